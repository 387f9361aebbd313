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
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct os *os = tnh_new();
    tnh_toolstack(os);
    struct nb_vif *v;
    struct nb_vif_opts o = { .max_queues = 1, .log = quiet };
    struct netfront *nf;
    struct netfront_opts fo = { .no_csum_offload = size & 1 };
    if (nb_vif_new(tnh_env(os), TNH_BE, &o, &v) < 0 ||
        netfront_open(os, "device/vif/0", &fo, &nf) < 0)
        abort();
    pump(os, nf, v);
    if (netfront_state(nf) != NETFRONT_CONNECTED)
        abort();
    static uint8_t f[100];
    for (int i = 0; i < 3; i++) /* something outstanding to answer */
        netfront_send(nf, f, sizeof f, NULL);
    netif_rx_sring_t *rs = tnh_gref(os, (grant_ref_t)atoi(tnh_read(os, TNH_FE "/rx-ring-ref")));
    netif_tx_sring_t *ts = tnh_gref(os, (grant_ref_t)atoi(tnh_read(os, TNH_FE "/tx-ring-ref")));
    nb_vif_free(v); /* from here the input is the backend */
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
    static uint8_t buf[NETFRONT_MAX_FRAME];
    for (int round = 0; round < 600; round++) {
        netfront_poll(nf);
        struct netfront_meta m;
        long n = netfront_recv(nf, buf, round % 2 ? sizeof buf : 1600, &m);
        if (n > (long)(round % 2 ? sizeof buf : 1600))
            abort();
        if (n > 0 && fo.no_csum_offload && m.csum_blank)
            abort();
        if (n == 0 || n == -OS_EPROTO)
            break;
    }
    if (netfront_state(nf) == NETFRONT_BROKEN &&
        (netfront_send(nf, f, sizeof f, NULL) != -OS_EPROTO ||
         netfront_recv(nf, buf, sizeof buf, NULL) >= 0))
        abort();
    netfront_free(nf);
    tnh_free(os);
    return 0;
}
