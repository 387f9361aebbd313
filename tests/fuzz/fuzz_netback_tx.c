/*
 * libFuzzer target: netback's ring core fed a frontend's rings straight
 * from the input.  Input: a byte of producer overshoot, a byte of
 * frontend features, then 12-byte request slots as laid out in the ring,
 * alternately for the tx ring and (first 8 bytes) the rx ring.
 * The core must never read or write outside the frames and pages it was
 * given, answer exactly what it consumed, and stop at the first violation.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends-sim/netback/nb_queue.h"

#define NPAGES 8
#define REF0 8

static uint8_t pages[NPAGES][NB_PAGE] __attribute__((aligned(4096)));
static unsigned delivered;

static int f_copy(void *ctx, domid_t dom, struct nb_copy *ops, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct nb_copy *c = &ops[i];
        if (c->ref < REF0 || c->ref >= REF0 + NPAGES || (uint32_t)c->offset + c->len > NB_PAGE) {
            c->status = GNTST_bad_gntref;
            continue;
        }
        uint8_t *p = pages[c->ref - REF0] + c->offset;
        if (c->to_guest)
            memcpy(p, c->local, c->len);
        else
            memcpy(c->local, p, c->len);
        c->status = GNTST_okay;
    }
    return 0;
}
static void f_notify(void *ctx, evtchn_port_t p)
{
    (void)ctx;
    (void)p;
}

static void deliver(void *arg, struct nb_queue *q, const uint8_t *frame, size_t len,
                    const struct nb_meta *meta)
{
    (void)arg;
    (void)q;
    (void)meta;
    if (len == 0 || len > NB_MAX_FRAME)
        abort();
    volatile uint8_t sink = frame[0] ^ frame[len - 1];
    (void)sink;
    delivered++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void fuzz_target_summary(char *buf, size_t len);

/* Over every input run: tx frames delivered, dropped, answered with an
 * error, and inputs whose queue broke (corpus_main's -summary line). */
static unsigned long long sum_frames, sum_dropped, sum_errors, sum_broken;

void fuzz_target_summary(char *buf, size_t len)
{
    snprintf(buf, len, "%llu frames delivered, %llu dropped, %llu errors, %llu queues broken",
             sum_frames, sum_dropped, sum_errors, sum_broken);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct nb_env_ops ops = { .copy = f_copy, .notify = f_notify };
    static struct nb_env env = { .ops = &ops };
    static struct nb_queue q;
    static netif_tx_sring_t *tx;
    static netif_rx_sring_t *rx;
    if (!tx) {
        tx = aligned_alloc(NB_PAGE, NB_PAGE);
        rx = aligned_alloc(NB_PAGE, NB_PAGE);
    }
    if (size < 2)
        return 0;
    memset(tx, 0, NB_PAGE);
    memset(rx, 0, NB_PAGE);
    uint8_t overshoot = data[0], flags = data[1];
    data += 2;
    size -= 2;
    size_t n = size / sizeof(netif_tx_request_t);
    if (n > 2 * 256)
        n = 2 * 256;
    unsigned ntx = 0, nrx = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 2 == 0 && ntx < 256)
            memcpy(&tx->ring[ntx++].req, data + i * sizeof(netif_tx_request_t),
                   sizeof(netif_tx_request_t));
        else if (nrx < 256)
            memcpy(&rx->ring[nrx++].req, data + i * sizeof(netif_tx_request_t),
                   sizeof(netif_rx_request_t));
    }
    tx->req_prod = ntx + (overshoot & 0x80 ? overshoot : 0);
    rx->req_prod = nrx;
    nb_queue_attach(&q, &env, 1, 0, tx, rx);
    q.fe_sg = flags & 1;
    q.fe_gso4 = flags & 2;
    q.fe_gso6 = flags & 4;
    q.fe_csum4 = flags & 0x80;
    q.fe_csum6 = flags & 0x40;
    delivered = 0;
    int r = nb_queue_tx(&q, 1000, deliver, NULL);
    if (r >= 0) {
        /* Everything produced was answered, one response per slot. */
        if (q.tx.req_cons != tx->req_prod || tx->rsp_prod != q.tx.req_cons)
            abort();
    } else if (!q.broken || !q.why[0]) {
        abort();
    }
    if (nb_queue_tx(&q, 1000, deliver, NULL) != (q.broken ? -EPROTO : 0))
        abort();
    sum_frames += q.st.tx_frames;
    sum_dropped += q.st.tx_dropped;
    sum_errors += q.st.tx_errors;
    sum_broken += q.broken;
    /* Frames towards the guest, over whatever rx requests it posted. */
    static uint8_t frame[NB_MAX_FRAME];
    size_t lens[] = { 60, 1514, 4097, 9000, 65535 };
    for (size_t i = 0; i < sizeof lens / sizeof lens[0] && !q.broken; i++) {
        struct nb_meta m = { .gso_size = (uint16_t)(flags >> 3),
                             .gso_type = (uint8_t)((flags >> 1) & 3),
                             .csum_blank = flags & 0x20,
                             .data_validated = flags & 0x10 };
        int rr = nb_queue_rx(&q, frame, lens[i], &m);
        if (rr != 0 && rr != -EAGAIN && rr != -EMSGSIZE && rr != -EPROTO)
            abort();
        if (rx->rsp_prod != q.rx.req_cons)
            abort();
    }
    return 0;
}
