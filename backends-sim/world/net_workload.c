/*
 * net_workload.c — the net world's frames: what each end sends, what
 * arrives, and the account that every frame sent either arrived once and
 * intact or was counted as dropped.
 *
 * A frame says who sent it and its sequence number right after the
 * Ethernet header, and its bytes follow from both, so whoever receives
 * it can check it whole without keeping a copy.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "backends-sim/world/networld_priv.h"

#define DIR_TX 0x54 /* 'T': the guest sent it */
#define DIR_RX 0x52 /* 'R': the backend's wire sent it */
#define HDR 17u     /* Ethernet header, direction, sequence number */

static uint8_t frame_buf[NETFRONT_MAX_FRAME + 1];

static void fill(uint8_t *f, uint32_t len, uint8_t dir, unsigned seq)
{
    static const uint8_t guest[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x01 };
    for (uint32_t i = 0; i < len; i++)
        f[i] = (uint8_t)(i * 31u + seq * 7u + dir);
    memcpy(f, dir == DIR_RX ? guest : (const uint8_t[6]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 6);
    memcpy(f + 6, dir == DIR_RX ? (const uint8_t[6]){ 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff } : guest,
           6);
    f[12] = 0x88; /* EtherType 0x88B6, local experimental */
    f[13] = 0xb6;
    f[14] = dir;
    f[15] = (uint8_t)(seq >> 8);
    f[16] = (uint8_t)seq;
}

/* A frame arrived at its receiver: the right one, whole, the first time. */
static void arrived(struct networld *w, const uint8_t *f, size_t len, uint8_t dir)
{
    const char *who = dir == DIR_TX ? "the backend" : "the guest";
    struct nw_frame *frames = dir == DIR_TX ? w->tx : w->rx;
    unsigned sent = dir == DIR_TX ? w->tx_sent : w->rx_given;
    if (len < HDR || f[14] != dir) {
        nw_fail(w, NW_INV_FRAMES, "%s received a %zu-byte frame nobody sent that way", who, len);
        return;
    }
    unsigned seq = (unsigned)f[15] << 8 | f[16];
    if (seq >= sent) {
        nw_fail(w, NW_INV_FRAMES, "%s received frame %u, which was never sent", who, seq);
        return;
    }
    struct nw_frame *fr = &frames[seq];
    fill(frame_buf, fr->len, dir, seq);
    if (len != fr->len || memcmp(f, frame_buf, len)) {
        size_t i = 0;
        while (i < len && i < fr->len && f[i] == frame_buf[i])
            i++;
        nw_fail(w, NW_INV_FRAMES,
                "%s received frame %u with %zu bytes, %u were sent; first difference at byte %zu",
                who, seq, len, fr->len, i);
        return;
    }
    if (++fr->arrived > 1)
        nw_fail(w, NW_INV_FRAMES, "%s received frame %u (%u bytes) %u times", who, seq, fr->len,
                fr->arrived);
    nw_trace(w, "%s received frame %u (%u bytes)", who, seq, fr->len);
}

void nwl_deliver(void *arg, struct nb_queue *q, const uint8_t *frame, size_t len,
                 const struct nb_meta *meta)
{
    struct networld *w = arg;
    if (w->opts.bug == WORLD_BUG_NET_LOST_FRAME && len >= HDR && frame[16] == 1 &&
        !w->frames_lost) {
        w->frames_lost++;
        nw_trace(w, "bug: the backend loses frame 1 without counting it");
        return;
    }
    arrived(w, frame, len, DIR_TX);
}

static uint32_t pick_size(struct networld *w, bool sg)
{
    static const uint32_t big[] = { 60, 61, 1514, 4000, 4097, 9000, 65535 };
    static const uint32_t one[] = { 60, 61, 1000, 1514 };
    return sg ? big[choice_pick(&w->ch, sizeof big / sizeof big[0])]
              : one[choice_pick(&w->ch, sizeof one / sizeof one[0])];
}

bool nwl_ready(struct networld *w)
{
    if (!w->nf || w->phase != NW_RUN)
        return false;
    if (w->tx_sent < w->cfg.ntx)
        return !w->tx_blocked && netfront_state(w->nf) == NETFRONT_CONNECTED;
    return false;
}

void nwl_step(struct networld *w)
{
    uint32_t len = pick_size(w, netfront_sg(w->nf));
    unsigned seq = w->tx_sent;
    fill(frame_buf, len, DIR_TX, seq);
    unsigned queue = choice_pick(&w->ch, netfront_num_queues(w->nf));
    struct netfront_meta m = { .queue = queue };
    int rc = netfront_send(w->nf, frame_buf, len, &m);
    w->tx_tries++;
    nw_trace(w, "guest sends frame %u (%u bytes) on queue %u: %d", seq, len, queue, rc);
    if (rc == 0) {
        w->tx[seq] = (struct nw_frame){ .len = len };
        w->tx_sent++;
        w->fe_kick = true;
    } else if (rc == -OS_EAGAIN) {
        w->tx_blocked = true;
    } else if (rc != -OS_E2BIG) {
        nw_fail(w, "the guest can send", "netfront_send of %u bytes failed with %d", len, rc);
    }
}

bool nwl_wire_ready(const struct networld *w)
{
    return w->vif && nb_vif_connected(w->vif) && w->phase == NW_RUN && !w->rx_held &&
           w->rx_given < w->cfg.nrx;
}

/* Offers rx[rx_given] to the guest (again, when held). */
static void offer(struct networld *w)
{
    unsigned seq = w->rx_given;
    struct nw_frame *fr = &w->rx[seq];
    fill(frame_buf, fr->len, DIR_RX, seq);
    int rc = nb_vif_rx(w->vif, frame_buf, fr->len, NULL);
    nw_trace(w, "backend's wire: frame %u (%u bytes) to the guest: %d", seq, fr->len, rc);
    w->rx_held = false;
    if (rc == 0) {
        w->rx_given++;
    } else if (rc == -EAGAIN) {
        w->rx_held = true;
    } else if (rc == -EMSGSIZE) {
        /* Larger than the guest takes: refused, never sent. */
        w->rx_refused++;
        w->cfg.nrx--;
    } else {
        nw_fail(w, "the backend never cuts off an honest frontend",
                "nb_vif_rx of frame %u failed with %d: %s", seq, rc,
                nb_vif_error(w->vif) ? nb_vif_error(w->vif) : "(no reason)");
    }
}

void nwl_wire(struct networld *w)
{
    if (w->rx_held) {
        offer(w);
        return;
    }
    w->rx[w->rx_given] = (struct nw_frame){ .len = pick_size(w, true) };
    w->rx_tries++;
    offer(w);
}

void nwl_receive(struct networld *w)
{
    for (;;) {
        struct netfront_meta m;
        long n = netfront_recv(w->nf, frame_buf, sizeof frame_buf, &m);
        if (n <= 0) {
            /* Negative: a frame the guest dropped; netfront counts it. */
            if (n < 0)
                nw_trace(w, "guest: a frame dropped (%ld)", n);
            if (n == 0)
                return;
            continue;
        }
        arrived(w, frame_buf, (size_t)n, DIR_RX);
    }
}

bool nwl_accounted(struct networld *w)
{
    if (w->tx_sent < w->cfg.ntx || w->rx_given < w->cfg.nrx || w->rx_held || !w->nf || !w->vif)
        return false;
    uint64_t be = 0;
    for (unsigned i = 0; i < nb_vif_num_queues(w->vif); i++) {
        const struct nb_queue *q = nb_vif_queue(w->vif, i);
        be += q->st.tx_errors + q->st.tx_dropped;
    }
    struct netfront_stats st;
    netfront_stats(w->nf, &st);
    w->be_dropped = be;
    w->fe_dropped = st.rx_errors + st.rx_dropped;
    unsigned tx_arrived = 0, rx_arrived = 0;
    for (unsigned i = 0; i < w->tx_sent; i++)
        tx_arrived += w->tx[i].arrived;
    for (unsigned i = 0; i < w->rx_given; i++)
        rx_arrived += w->rx[i].arrived;
    if (tx_arrived + be > w->tx_sent || rx_arrived + w->fe_dropped > w->rx_given) {
        nw_fail(w, NW_INV_FRAMES,
                "more frames arrived or were dropped than were sent: tx %u sent, %u arrived, %llu "
                "dropped; rx %u sent, %u arrived, %llu dropped",
                w->tx_sent, tx_arrived, (unsigned long long)be, w->rx_given, rx_arrived,
                (unsigned long long)w->fe_dropped);
        return false;
    }
    return tx_arrived + be == w->tx_sent && rx_arrived + w->fe_dropped == w->rx_given;
}

void nwl_missing(struct networld *w)
{
    unsigned tx_arrived = 0, rx_arrived = 0;
    for (unsigned i = 0; i < w->tx_sent; i++)
        tx_arrived += w->tx[i].arrived;
    for (unsigned i = 0; i < w->rx_given; i++)
        rx_arrived += w->rx[i].arrived;
    if (tx_arrived + w->be_dropped < w->tx_sent && !netfront_tx_pending(w->nf)) {
        unsigned i = 0;
        while (w->tx[i].arrived)
            i++;
        nw_fail(w, NW_INV_FRAMES,
                "the guest's frames were all answered, but %u of %u arrived and the backend "
                "counts %llu dropped (frame %u, %u bytes, is one that did not arrive)",
                tx_arrived, w->tx_sent, (unsigned long long)w->be_dropped, i, w->tx[i].len);
        return;
    }
    if (rx_arrived + w->fe_dropped < w->rx_given) {
        unsigned i = 0;
        while (w->rx[i].arrived)
            i++;
        nw_fail(w, NW_INV_FRAMES,
                "%u of the %u frames the backend gave the guest arrived and the guest counts "
                "%llu dropped (frame %u, %u bytes, is one that did not arrive)",
                rx_arrived, w->rx_given, (unsigned long long)w->fe_dropped, i, w->rx[i].len);
    }
}
