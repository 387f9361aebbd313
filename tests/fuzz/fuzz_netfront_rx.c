/*
 * libFuzzer target: netfront facing a backend that writes anything into
 * its rx and tx response rings.  The device is connected for real (over
 * netback's xenbus side on the in-process host), then the backend stops
 * and the input becomes its responses: byte 0 picks how far rsp_prod
 * moves on each ring, the rest are 8-byte response slots, alternately rx
 * and tx.  netfront must never crash, never hand out more bytes than a
 * frame can hold, never report a blank checksum it said it cannot take
 * (an odd-sized input connects with feature-no-csum-offload=1), and once
 * broken refuse all further work.
 *
 * The device connects once per shape (with or without checksum offload)
 * and is kept: after an input netfront_rewind() and tnh_rewind() put it
 * and the host back where they stood once it connected, and the rings'
 * shared pages get the bytes they held then; a device the input broke is
 * built again.  fuzz_world_fresh(1) builds a fresh one for every input;
 * fuzz_world_digest() sums up what an input did (corpus_main's
 * -reset-check compares both ways).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_world.h"
#include "tests/unit/test_net_host.h"
#include "netfront.h"
#include "backends-sim/netback/nb_vif.h"

static void pump(struct os *os, struct netfront *nf, struct nb_vif *v)
{
    for (int round = 0; round < 50; round++) {
        char token[256];
        evtchn_port_t port;
        int p = netfront_poll(nf) > 0;
        while (tnh_be_next_watch(os, token, sizeof token))
            p |= nb_vif_changed(v);
        while (tnh_be_next_event(os, &port))
            ;
        if (!p)
            return;
    }
}

static void quiet(void *arg, const char *line)
{
    (void)arg;
    (void)line;
}

/* One connected device and its host, per shape. */
struct world {
    struct os *os;
    struct netfront *nf;
    netif_rx_sring_t *rs;
    netif_tx_sring_t *ts;
    uint8_t rs_then[OS_PAGE_SIZE], ts_then[OS_PAGE_SIZE]; /* as connected */
};
static struct world worlds[2];
static bool fresh_each;
static uint64_t digest;

void fuzz_world_fresh(int on)
{
    fresh_each = on;
}

uint64_t fuzz_world_digest(void)
{
    return digest;
}

static void mix(const void *p, size_t n)
{
    fuzz_world_mix(&digest, p, n);
}

static void build(struct world *w, bool no_csum_offload)
{
    w->os = tnh_new();
    tnh_toolstack(w->os);
    struct nb_vif *v;
    struct nb_vif_opts o = { .max_queues = 1, .log = quiet };
    struct netfront_opts fo = { .no_csum_offload = no_csum_offload };
    if (nb_vif_new(tnh_env(w->os), TNH_BE, &o, &v) < 0 ||
        netfront_open(w->os, "device/vif/0", &fo, &w->nf) < 0)
        abort();
    pump(w->os, w->nf, v);
    if (netfront_state(w->nf) != NETFRONT_CONNECTED)
        abort();
    w->rs = tnh_gref(w->os, (grant_ref_t)atoi(tnh_read(w->os, TNH_FE "/rx-ring-ref")));
    w->ts = tnh_gref(w->os, (grant_ref_t)atoi(tnh_read(w->os, TNH_FE "/tx-ring-ref")));
    nb_vif_free(v); /* from here the input is the backend */
    memcpy(w->rs_then, w->rs, OS_PAGE_SIZE);
    memcpy(w->ts_then, w->ts, OS_PAGE_SIZE);
    tnh_mark(w->os);
}

static void rewind_or_destroy(struct world *w)
{
    if (fresh_each || netfront_rewind(w->nf) < 0) {
        netfront_free(w->nf);
        tnh_free(w->os);
        w->os = NULL;
        return;
    }
    memcpy(w->rs, w->rs_then, OS_PAGE_SIZE);
    memcpy(w->ts, w->ts_then, OS_PAGE_SIZE);
    tnh_rewind(w->os);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool no_csum_offload = size & 1;
    struct world *w = &worlds[no_csum_offload];
    if (!w->os)
        build(w, no_csum_offload);
    struct netfront *nf = w->nf;
    netif_rx_sring_t *rs = w->rs;
    netif_tx_sring_t *ts = w->ts;
    static uint8_t f[100];
    for (int i = 0; i < 3; i++) /* something outstanding to answer */
        netfront_send(nf, f, sizeof f, NULL);
    uint8_t moves = data[0];
    data++;
    size--;
    RING_IDX rp = rs->rsp_prod, tp = ts->rsp_prod;
    unsigned nrx = 0, ntx = 0;
    for (size_t i = 0; i + 8 <= size && i / 8 < 512; i += 8) {
        if ((i / 8) % 2 == 0)
            memcpy(&rs->ring[(rp + nrx++) % 256].rsp, data + i, 8);
        else
            memcpy(&ts->ring[(tp + ntx++) % 256].rsp, data + i, 4);
    }
    rs->rsp_prod = rp + (moves & 0x80 ? moves : nrx);
    ts->rsp_prod = tp + (moves & 0x40 ? (moves & 0x3f) * 7u : ntx);
    digest = 14695981039346656037ull;
    static uint8_t buf[NETFRONT_MAX_FRAME];
    for (int round = 0; round < 600; round++) {
        netfront_poll(nf);
        struct netfront_meta m = { 0 };
        long n = netfront_recv(nf, buf, round % 2 ? sizeof buf : 1600, &m);
        if (n > (long)(round % 2 ? sizeof buf : 1600))
            abort();
        if (n > 0 && no_csum_offload && m.csum_blank)
            abort();
        mix(&n, sizeof n);
        if (n > 0) {
            unsigned meta[5] = { m.gso_size, m.gso_type, m.queue, m.csum_blank, m.data_validated };
            mix(meta, sizeof meta);
        }
        if (n == 0 || n == -OS_EPROTO)
            break;
    }
    if (netfront_state(nf) == NETFRONT_BROKEN &&
        (netfront_send(nf, f, sizeof f, NULL) != -OS_EPROTO ||
         netfront_recv(nf, buf, sizeof buf, NULL) >= 0))
        abort();
    int state = (int)netfront_state(nf);
    bool pending = netfront_tx_pending(nf);
    mix(&state, sizeof state);
    mix(&pending, sizeof pending);
    mix(tnh_log(w->os), strlen(tnh_log(w->os)));
    rewind_or_destroy(w);
    return 0;
}
