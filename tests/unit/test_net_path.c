/*
 * test_net_path.c — netfront against netback's xenbus side and ring core,
 * both in this process over test_net_host: the negotiation matrix, frames
 * both ways, closing, and each end misbehaving towards the other.
 */
#include <check.h>

#include "tests/lib/check_main.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/test_net_host.h"
#include "netfront.h"
#include "os.h"
#include "backends-sim/netback/nb_csum.h"
#include "backends-sim/netback/nb_vif.h"

#include <xen/io/xenbus.h>

#define MAXF 64
struct rig {
    struct os *os;
    struct netfront *nf;
    struct nb_vif *vif;
    char belog[4096];
    unsigned nframes;
    size_t len[MAXF];
    struct nb_meta meta[MAXF];
    unsigned queue[MAXF];
    uint8_t *frame[MAXF];
};

static void belog(void *arg, const char *line)
{
    struct rig *r = arg;
    size_t n = strlen(r->belog);
    snprintf(r->belog + n, sizeof r->belog - n, "%s\n", line);
}

static void deliver(void *arg, struct nb_queue *q, const uint8_t *f, size_t len,
                    const struct nb_meta *m)
{
    struct rig *r = arg;
    if (r->nframes == MAXF)
        return;
    r->frame[r->nframes] = malloc(len);
    memcpy(r->frame[r->nframes], f, len);
    r->len[r->nframes] = len;
    r->meta[r->nframes] = *m;
    r->queue[r->nframes] = q->idx;
    r->nframes++;
}

static void pump(struct rig *r)
{
    for (int round = 0; round < 1000; round++) {
        int progress = 0;
        if (r->nf)
            progress |= netfront_poll(r->nf) > 0;
        char token[256];
        while (tnh_be_next_watch(r->os, token, sizeof token))
            if (r->vif && !strcmp(token, nb_vif_token(r->vif)))
                progress |= nb_vif_changed(r->vif);
        evtchn_port_t port;
        while (tnh_be_next_event(r->os, &port))
            ;
        if (r->vif)
            progress |= nb_vif_tx(r->vif, 64, deliver, r) > 0;
        if (!progress)
            return;
    }
    ck_abort_msg("the two ends never settled");
}

static void rig_up(struct rig *r, const struct netfront_opts *fo, const struct nb_vif_opts *bo)
{
    memset(r, 0, sizeof *r);
    r->os = tnh_new();
    tnh_toolstack(r->os);
    struct nb_vif_opts o = bo ? *bo : (struct nb_vif_opts){ .max_queues = 4 };
    o.log = belog;
    o.log_arg = r;
    ck_assert_int_eq(nb_vif_new(tnh_env(r->os), TNH_BE, &o, &r->vif), 0);
    if (fo)
        ck_assert_int_eq(netfront_open(r->os, "device/vif/0", fo, &r->nf), 0);
    pump(r);
}

static void rig_down(struct rig *r)
{
    nb_vif_free(r->vif);
    netfront_free(r->nf);
    for (unsigned i = 0; i < r->nframes; i++)
        free(r->frame[i]);
    tnh_free(r->os);
}

static void fill(uint8_t *f, size_t len, unsigned seed)
{
    static const uint8_t hdr[14] = { 0x00, 0x16, 0x3e, 0,    0,    1,    0xfe,
                                     0xff, 0xff, 0xff, 0xff, 0xff, 0x88, 0xb5 };
    for (size_t i = 0; i < len; i++)
        f[i] = (uint8_t)(i * 7 + seed);
    memcpy(f, hdr, len < 14 ? len : 14);
}

static const size_t sizes[] = { 60, 1514, 4096, 4097, 9000, 65535 };

/* bit 0: 4 queues; bit 1: split channels; bit 2: sg and gso */
START_TEST(negotiation_matrix)
{
    bool mq = _i & 1, split = _i & 2, sg = _i & 4;
    struct netfront_opts fo = {
        .max_queues = mq ? 4 : 1, .no_split_evtchn = !split, .no_sg = !sg, .no_gso = !sg
    };
    struct rig r;
    rig_up(&r, &fo, NULL);
    ck_assert_str_eq(netfront_state_name(netfront_state(r.nf)), "connected");
    ck_assert(nb_vif_connected(r.vif));
    ck_assert_str_eq(tnh_read(r.os, TNH_BE "/state"), "4");
    ck_assert_str_eq(tnh_read(r.os, TNH_FE "/state"), "4");
    ck_assert_uint_eq(netfront_num_queues(r.nf), mq ? 4 : 1);
    ck_assert_uint_eq(nb_vif_num_queues(r.vif), mq ? 4 : 1);
    ck_assert(netfront_split_evtchn(r.nf) == split);
    ck_assert(netfront_sg(r.nf) == sg);
    if (mq) {
        ck_assert_str_eq(tnh_read(r.os, TNH_FE "/multi-queue-num-queues"), "4");
        ck_assert_ptr_nonnull(tnh_read(r.os, TNH_FE "/queue-3/tx-ring-ref"));
        ck_assert_ptr_null(tnh_read(r.os, TNH_FE "/tx-ring-ref"));
    } else {
        ck_assert_ptr_null(tnh_read(r.os, TNH_FE "/multi-queue-num-queues"));
        ck_assert_ptr_nonnull(tnh_read(r.os, TNH_FE "/tx-ring-ref"));
    }
    const char *ev = split ? (mq ? TNH_FE "/queue-0/event-channel-tx" : TNH_FE "/event-channel-tx")
                           : (mq ? TNH_FE "/queue-0/event-channel" : TNH_FE "/event-channel");
    ck_assert_ptr_nonnull(tnh_read(r.os, ev));

    /* guest -> backend, every size on every queue */
    static uint8_t f[65536], g[65536];
    unsigned sent = 0;
    for (unsigned q = 0; q < netfront_num_queues(r.nf); q++)
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            fill(f, sizes[k], sent);
            struct netfront_meta m = { .queue = q };
            if (sg && sizes[k] > 4096) {
                m.gso_type = XEN_NETIF_GSO_TYPE_TCPV4;
                m.gso_size = 1448;
            }
            int rc = netfront_send(r.nf, f, sizes[k], &m);
            if (!sg && sizes[k] > 4096) {
                ck_assert_int_eq(rc, -OS_E2BIG);
                continue;
            }
            ck_assert_int_eq(rc, 0);
            pump(&r);
            ck_assert_uint_eq(r.nframes, sent + 1);
            ck_assert_uint_eq(r.len[sent], sizes[k]);
            ck_assert_uint_eq(r.queue[sent], q);
            ck_assert_uint_eq(r.meta[sent].gso_size, m.gso_size);
            ck_assert_uint_eq(r.meta[sent].gso_type, m.gso_type);
            ck_assert(memcmp(r.frame[sent], f, sizes[k]) == 0);
            sent++;
        }
    ck_assert(!netfront_tx_pending(r.nf));

    /* backend -> guest */
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        fill(f, sizes[k], 100 + (unsigned)k);
        struct nb_meta m = { .gso_size = 0 };
        if (sizes[k] > 4096) {
            m.gso_type = XEN_NETIF_GSO_TYPE_TCPV6;
            m.gso_size = 1400;
        }
        int rc = nb_vif_rx(r.vif, f, sizes[k], &m);
        if (!sg && sizes[k] > 4096) {
            ck_assert_int_eq(rc, -EMSGSIZE);
            continue;
        }
        ck_assert_int_eq(rc, 0);
        pump(&r);
        struct netfront_meta fm;
        long n = netfront_recv(r.nf, g, sizeof g, &fm);
        ck_assert_int_eq(n, (long)sizes[k]);
        ck_assert(memcmp(f, g, sizes[k]) == 0);
        ck_assert_uint_eq(fm.gso_type, m.gso_type);
        ck_assert_uint_eq(fm.gso_size, m.gso_size);
    }
    ck_assert_int_eq(netfront_recv(r.nf, g, sizeof g, NULL), 0);

    /* the guest closes */
    ck_assert_int_eq(netfront_close(r.nf), 0);
    pump(&r);
    ck_assert_str_eq(netfront_state_name(netfront_state(r.nf)), "closed");
    ck_assert(nb_vif_done(r.vif));
    ck_assert_str_eq(tnh_read(r.os, TNH_BE "/state"), "6");
    ck_assert_uint_eq(tnh_maps(r.os), 0);
    rig_down(&r);
}
END_TEST

START_TEST(many_frames_flow_control)
{
    struct rig r;
    rig_up(&r, &(struct netfront_opts){ 0 }, NULL);
    static uint8_t f[1514], g[2048];
    /* The rx ring holds 256 buffers: the 257th frame waits for the guest. */
    unsigned k;
    for (k = 0; k < 300; k++) {
        fill(f, sizeof f, k);
        int rc = nb_vif_rx(r.vif, f, sizeof f, NULL);
        if (rc == -EAGAIN)
            break;
        ck_assert_int_eq(rc, 0);
    }
    ck_assert_uint_eq(k, 256);
    pump(&r);
    for (unsigned i = 0; i < 256; i++) {
        fill(f, sizeof f, i);
        ck_assert_int_eq(netfront_recv(r.nf, g, sizeof g, NULL), (long)sizeof f);
        ck_assert(memcmp(f, g, sizeof f) == 0);
    }
    ck_assert_int_eq(nb_vif_rx(r.vif, f, sizeof f, NULL), 0);
    /* tx: 256 slots, then -EAGAIN until the backend answers */
    for (k = 0; k < 300; k++) {
        int rc = netfront_send(r.nf, f, 60, NULL);
        if (rc == -OS_EAGAIN)
            break;
        ck_assert_int_eq(rc, 0);
    }
    ck_assert_uint_eq(k, 256);
    pump(&r);
    ck_assert_int_eq(netfront_send(r.nf, f, 60, NULL), 0);
    rig_down(&r);
}
END_TEST

START_TEST(backend_end_of_input_closes_after_delivery)
{
    struct rig r;
    rig_up(&r, &(struct netfront_opts){ 0 }, NULL);
    static uint8_t f[100], g[200];
    fill(f, sizeof f, 9);
    ck_assert_int_eq(nb_vif_rx(r.vif, f, sizeof f, NULL), 0);
    nb_vif_close(r.vif);
    pump(&r);
    ck_assert_str_eq(netfront_state_name(netfront_state(r.nf)), "closing");
    ck_assert_int_eq(netfront_recv(r.nf, g, sizeof g, NULL), (long)sizeof f);
    ck_assert_int_eq(netfront_recv(r.nf, g, sizeof g, NULL), 0);
    netfront_close(r.nf);
    pump(&r);
    ck_assert_str_eq(netfront_state_name(netfront_state(r.nf)), "closed");
    ck_assert(nb_vif_done(r.vif));
    rig_down(&r);
}
END_TEST

/* ---- a hostile frontend ---- */

static netif_tx_sring_t *tx_sring(struct rig *r)
{
    const char *ref = tnh_read(r->os, TNH_FE "/tx-ring-ref");
    ck_assert_ptr_nonnull(ref);
    return tnh_gref(r->os, (grant_ref_t)atoi(ref));
}

/* A valid data grant of the guest: its first rx buffer is as good as any. */
static grant_ref_t some_ref(struct rig *r)
{
    const char *ref = tnh_read(r->os, TNH_FE "/rx-ring-ref");
    return (grant_ref_t)atoi(ref) + 3;
}

static void put(netif_tx_sring_t *s, unsigned idx, grant_ref_t gref, uint16_t off, uint16_t flags,
                uint16_t id, uint16_t size)
{
    netif_tx_request_t *q = &s->ring[idx % 256].req;
    q->gref = gref;
    q->offset = off;
    q->flags = flags;
    q->id = id;
    q->size = size;
}

/* Each case: slots to write, then what must happen. */
START_TEST(hostile_frontend)
{
    struct rig r;
    rig_up(&r, &(struct netfront_opts){ 0 }, NULL);
    netif_tx_sring_t *s = tx_sring(&r);
    grant_ref_t g = some_ref(&r);
    unsigned p = s->req_prod;
    const char *expect = NULL;
    switch (_i) {
    case 0:
        put(s, p, g, 4000, 0, 1, 200);
        p += 1;
        expect = "crosses its page";
        break;
    case 1:
        put(s, p, g, 0, NETTXF_more_data, 1, 2000);
        p += 1;
        expect = "needs more slots";
        break;
    case 2:
        for (unsigned i = 0; i < 25; i++)
            put(s, p + i, g, 0, NETTXF_more_data, (uint16_t)i, i ? 10 : 2000);
        p += 25;
        expect = "spans more than 20";
        break;
    case 3:
        put(s, p, g, 0, NETTXF_more_data, 1, 100);
        put(s, p + 1, g, 0, 0, 2, 200);
        p += 2;
        expect = "bigger than";
        break;
    case 4:
        put(s, p, g, 0, 0, 1, 100);
        p += 300;
        expect = "more than a ring ahead";
        break;
    case 7: /* one byte more than what is left */
        put(s, p, g, 0, NETTXF_more_data, 1, 100);
        put(s, p + 1, g, 0, 0, 2, 101);
        p += 2;
        expect = "bigger than";
        break;
    case 5: {
        put(s, p, g, 0, NETTXF_extra_info, 1, 100);
        netif_extra_info_t *ex = (netif_extra_info_t *)&s->ring[(p + 1) % 256].req;
        memset(ex, 0, sizeof *ex);
        ex->type = 9;
        p += 2;
        expect = "unknown type 9";
        break;
    }
    case 6: {
        put(s, p, g, 0, NETTXF_extra_info, 1, 100);
        netif_extra_info_t *ex = (netif_extra_info_t *)&s->ring[(p + 1) % 256].req;
        memset(ex, 0, sizeof *ex);
        ex->type = XEN_NETIF_EXTRA_TYPE_GSO;
        ex->u.gso.type = 7;
        ex->u.gso.size = 1000;
        p += 2;
        expect = "unknown GSO type";
        break;
    }
    }
    s->req_prod = p;
    pump(&r);
    ck_assert_ptr_nonnull(nb_vif_error(r.vif));
    ck_assert_msg(strstr(nb_vif_error(r.vif), expect), "error '%s' lacks '%s'", nb_vif_error(r.vif),
                  expect);
    ck_assert_msg(strstr(r.belog, "cut off"), "log: %s", r.belog);
    ck_assert_str_eq(tnh_read(r.os, TNH_BE "/state"), "5");
    ck_assert_ptr_nonnull(tnh_read(r.os, TNH_BE "/error"));
    ck_assert_uint_eq(r.nframes, 0);
    ck_assert_uint_eq(tnh_maps(r.os), 0);
    rig_down(&r);
}
END_TEST

static int16_t tx_status(netif_tx_sring_t *s, unsigned idx)
{
    return s->ring[idx % 256].rsp.status;
}

START_TEST(frontend_oddities_are_answered_not_fatal)
{
    struct rig r;
    rig_up(&r, &(struct netfront_opts){ 0 }, NULL);
    netif_tx_sring_t *s = tx_sring(&r);
    grant_ref_t g = some_ref(&r);
    unsigned p = s->req_prod;
    /* XSA-448: a zero-length middle fragment with a bogus grant */
    put(s, p, g, 0, NETTXF_more_data, 1, 120);
    put(s, p + 1, 0xdead, 0, NETTXF_more_data, 2, 0);
    put(s, p + 2, g, 100, 0, 3, 20);
    /* 19 slots: over the 18-slot rule, dropped */
    for (unsigned i = 0; i < 19; i++)
        put(s, p + 3 + i, g, 0, i < 18 ? NETTXF_more_data : 0, (uint16_t)(10 + i), i ? 10 : 500);
    /* a grant the copy refuses */
    put(s, p + 22, 0xbeef, 0, 0, 40, 60);
    /* too short for Ethernet */
    put(s, p + 23, g, 0, 0, 41, 10);
    /* XSA-423/432: 18 slots (the most allowed) of one byte each, a frame
     * smaller than any header area: copied whole, byte by byte */
    uint8_t *pg = tnh_gref(r.os, g);
    for (unsigned i = 0; i < 18; i++) {
        put(s, p + 24 + i, g, (uint16_t)(200 + i), i < 17 ? NETTXF_more_data : 0,
            (uint16_t)(50 + i), i ? 1 : 18);
        pg[200 + i] = (uint8_t)(0xa0 + i);
    }
    s->req_prod = p + 42;
    s->rsp_event = p + 1;
    pump(&r);
    ck_assert_ptr_null(nb_vif_error(r.vif));
    ck_assert_uint_eq(r.nframes, 2);
    ck_assert_uint_eq(r.len[0], 120);
    ck_assert_uint_eq(r.len[1], 18);
    for (unsigned i = 0; i < 18; i++)
        ck_assert_uint_eq(r.frame[1][i], 0xa0 + i);
    ck_assert_int_eq(tx_status(s, p + 41), NETIF_RSP_OKAY);
    ck_assert_int_eq(s->rsp_prod, p + 42);
    ck_assert_int_eq(tx_status(s, p), NETIF_RSP_OKAY);
    ck_assert_int_eq(tx_status(s, p + 1), NETIF_RSP_OKAY);
    ck_assert_int_eq(tx_status(s, p + 3), NETIF_RSP_DROPPED);
    ck_assert_int_eq(tx_status(s, p + 22), NETIF_RSP_ERROR);
    ck_assert_int_eq(tx_status(s, p + 23), NETIF_RSP_DROPPED);
    ck_assert(nb_vif_connected(r.vif));
    rig_down(&r);
}
END_TEST

static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}
static uint16_t fold16(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

/* ---- checksums, against a reference sum ---- */

/* The one's complement sum of an IPv4 TCP/UDP packet's pseudo header and
 * L4 bytes (checksum field included), fully folded: 0xffff when the
 * checksum is right. */
static uint32_t ref_sum(const uint8_t *f, uint32_t *unfolded)
{
    const uint8_t *ip = f + 14;
    size_t l4len = (size_t)(ip[2] << 8 | ip[3]) - 20;
    uint32_t s = ip[9] + (uint32_t)l4len;
    for (int i = 12; i < 20; i += 2)
        s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    for (size_t i = 0; i < l4len; i += 2)
        s += (uint32_t)(ip[20 + i] << 8) | (i + 1 < l4len ? ip[20 + i + 1] : 0);
    *unfolded = s;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return s;
}

static size_t ipv4_packet(uint8_t *f, uint8_t proto, size_t payload, uint8_t fill)
{
    size_t hl = proto == 17 ? 8 : 20, tot = 20 + hl + payload;
    memset(f, 0, 14 + tot);
    f[12] = 0x08;
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    ip[2] = (uint8_t)(tot >> 8);
    ip[3] = (uint8_t)tot;
    ip[8] = 64;
    ip[9] = proto;
    memcpy(ip + 12, (uint8_t[]){ 10, 0, 0, 1, 10, 0, 0, 2 }, 8);
    uint8_t *l4 = ip + 20;
    l4[0] = 0x30, l4[1] = 0x39, l4[2] = 0x00, l4[3] = 0x35;
    if (proto == 17) {
        l4[4] = (uint8_t)((hl + payload) >> 8);
        l4[5] = (uint8_t)(hl + payload);
    } else {
        l4[12] = 0x50;
    }
    memset(l4 + hl, fill, payload);
    return 14 + tot;
}

/* Every completed checksum verifies, including sums whose carry needs
 * more than one fold, and a UDP sum of zero is sent as 0xffff (zero
 * would mean "no checksum"). */
START_TEST(completed_checksums_verify)
{
    static uint8_t f[14 + 20 + 20 + 65000];
    static const size_t payloads[] = { 0, 1, 2, 1001, 64000 };
    static const uint8_t fills[] = { 0x00, 0x5a, 0xfe, 0xff };
    bool double_carry = false;
    for (int proto = 6; proto <= 17; proto += 11)
        for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++)
            for (size_t j = 0; j < sizeof fills; j++) {
                size_t len = ipv4_packet(f, (uint8_t)proto, payloads[i], fills[j]);
                uint32_t raw; /* with the field still zero, as the backend sums it */
                ref_sum(f, &raw);
                double_carry |= (raw & 0xffff) + (raw >> 16) > 0xffff;
                ck_assert_int_eq(nb_csum_complete(f, len), 0);
                ck_assert_msg(ref_sum(f, &raw) == 0xffff, "proto %d, %zu bytes of 0x%02x", proto,
                              payloads[i], fills[j]);
            }
    ck_assert(double_carry);
    /* A UDP packet whose checksum comes out as zero: the word that makes
     * the sum 0xffff is the checksum computed without it. */
    size_t len = ipv4_packet(f, 17, 64, 0);
    ck_assert_int_eq(nb_csum_complete(f, len), 0);
    uint8_t *payload = f + 14 + 20 + 8, *field = f + 14 + 20 + 6;
    payload[0] = field[0];
    payload[1] = field[1];
    ck_assert_int_eq(nb_csum_complete(f, len), 0);
    ck_assert_msg(field[0] == 0xff && field[1] == 0xff, "UDP checksum 0x%02x%02x", field[0],
                  field[1]);
}
END_TEST

/* A TCP or UDP packet over IPv4 or IPv6 in f, its checksum field holding
 * a partial value as Linux leaves it; returns the frame's length. */
static size_t l4_frame(uint8_t *f, bool v6, bool tcp)
{
    size_t l4len = (tcp ? 20 : 8) + 37, iphl = v6 ? 40 : 20, len = 14 + iphl + l4len;
    memset(f, 0, len);
    f[12] = v6 ? 0x86 : 0x08;
    f[13] = v6 ? 0xdd : 0x00;
    uint8_t *ip = f + 14, *l4 = ip + iphl;
    if (v6) {
        ip[0] = 0x60;
        ip[4] = 0;
        ip[5] = (uint8_t)l4len;
        ip[6] = tcp ? 6 : 17;
        ip[7] = 64;
        for (int i = 0; i < 32; i++)
            ip[8 + i] = (uint8_t)(i * 3 + 1);
    } else {
        ip[0] = 0x45;
        ip[3] = (uint8_t)(20 + l4len);
        ip[8] = 64;
        ip[9] = tcp ? 6 : 17;
        ip[12] = 10;
        ip[15] = 1;
        ip[16] = 10;
        ip[19] = 2;
    }
    l4[0] = 0x30;
    l4[1] = 0x39;
    l4[2] = 0x00;
    l4[3] = 0x50;
    if (tcp)
        l4[12] = 0x50;
    else
        l4[5] = (uint8_t)l4len;
    for (size_t i = (tcp ? 20 : 8); i < l4len; i++)
        l4[i] = (uint8_t)(i * 11);
    l4[tcp ? 16 : 6] = 0x12;
    return len;
}

/* Whether the frame's TCP/UDP checksum (as l4_frame builds it) is right. */
static bool l4_checksum_ok(const uint8_t *f, bool v6, bool tcp)
{
    size_t l4len = (tcp ? 20 : 8) + 37, iphl = v6 ? 40 : 20;
    uint32_t ps = v6 ? sum16(0, f + 14 + 8, 32) : sum16(0, f + 14 + 12, 8);
    ps += (uint32_t)(tcp ? 6 : 17) + (uint32_t)l4len;
    return fold16(sum16(ps, f + 14 + iphl, l4len)) == 0xffff;
}

/* NETTXF_csum_blank: the backend completes TCP/UDP checksums (IPv4, IPv6). */
START_TEST(blank_checksums_completed)
{
    struct rig r;
    rig_up(&r, &(struct netfront_opts){ 0 }, NULL);
    netif_tx_sring_t *s = tx_sring(&r);
    grant_ref_t g = some_ref(&r);
    uint8_t *page = tnh_gref(r.os, g);
    ck_assert_ptr_nonnull(page);
    bool v6 = _i & 1, tcp = _i & 2;
    size_t len = l4_frame(page, v6, tcp);
    unsigned p = s->req_prod;
    put(s, p, g, 0, NETTXF_csum_blank, 1, (uint16_t)len);
    s->req_prod = p + 1;
    pump(&r);
    ck_assert_uint_eq(r.nframes, 1);
    ck_assert(l4_checksum_ok(r.frame[0], v6, tcp));
    rig_down(&r);
}
END_TEST

/* Checksum offload as Linux netfront negotiates it, both ways.
 * bit 0: IPv6; bit 1: TCP; bit 2: the frontend asks for no offload. */
START_TEST(checksum_offload_matrix)
{
    bool v6 = _i & 1, tcp = _i & 2, off = _i & 4;
    struct rig r;
    rig_up(&r, &(struct netfront_opts){ .no_csum_offload = off }, NULL);
    ck_assert_str_eq(netfront_state_name(netfront_state(r.nf)), "connected");
    if (off) {
        ck_assert_str_eq(tnh_read(r.os, TNH_FE "/feature-no-csum-offload"), "1");
        ck_assert_str_eq(tnh_read(r.os, TNH_FE "/feature-ipv6-csum-offload"), "0");
    } else {
        ck_assert_ptr_null(tnh_read(r.os, TNH_FE "/feature-no-csum-offload"));
        ck_assert_str_eq(tnh_read(r.os, TNH_FE "/feature-ipv6-csum-offload"), "1");
    }
    ck_assert(netfront_csum_offload_ipv6(r.nf)); /* netback offers it */
    static uint8_t f[256], g[256];
    size_t len = l4_frame(f, v6, tcp);

    /* guest -> backend: the frame leaves blank and arrives complete */
    struct netfront_meta m = { .csum_blank = true };
    ck_assert_int_eq(netfront_send(r.nf, f, len, &m), 0);
    pump(&r);
    ck_assert_uint_eq(r.nframes, 1);
    ck_assert(l4_checksum_ok(r.frame[0], v6, tcp));
    ck_assert(!r.meta[0].csum_blank);
    ck_assert(r.meta[0].data_validated);

    /* backend -> guest: blank if the frontend takes it, else completed */
    struct nb_meta bm = { .csum_blank = true };
    ck_assert_int_eq(nb_vif_rx(r.vif, f, len, &bm), 0);
    pump(&r);
    struct netfront_meta fm;
    ck_assert_int_eq(netfront_recv(r.nf, g, sizeof g, &fm), (long)len);
    if (off) {
        ck_assert(!fm.csum_blank);
        ck_assert(l4_checksum_ok(g, v6, tcp));
    } else {
        ck_assert(fm.csum_blank && fm.data_validated);
        ck_assert(memcmp(f, g, len) == 0); /* still partial: the app completes it */
    }

    /* a frame the backend vouches for */
    struct nb_meta vm = { .data_validated = true };
    ck_assert_int_eq(nb_vif_rx(r.vif, r.frame[0], len, &vm), 0);
    pump(&r);
    ck_assert_int_eq(netfront_recv(r.nf, g, sizeof g, &fm), (long)len);
    ck_assert(fm.data_validated && !fm.csum_blank);
    ck_assert(l4_checksum_ok(g, v6, tcp));
    rig_down(&r);
}
END_TEST

/* Frontend keys the backend must refuse. */
START_TEST(frontend_bad_keys)
{
    struct rig r;
    rig_up(&r, NULL, NULL);
    const char *expect = NULL;
    tnh_write(r.os, TNH_FE "/tx-ring-ref", "8");
    tnh_write(r.os, TNH_FE "/rx-ring-ref", "9");
    tnh_write(r.os, TNH_FE "/event-channel", "1");
    tnh_write(r.os, TNH_FE "/request-rx-copy", "1");
    tnh_write(r.os, TNH_FE "/feature-rx-notify", "1");
    switch (_i) {
    case 0:
        tnh_rm(r.os, TNH_FE "/feature-rx-notify");
        expect = "feature-rx-notify";
        break;
    case 1:
        tnh_write(r.os, TNH_FE "/request-rx-copy", "0");
        expect = "rx-copy";
        break;
    case 2:
        tnh_write(r.os, TNH_FE "/multi-queue-num-queues", "9");
        expect = "multi-queue-num-queues";
        break;
    case 3:
        tnh_write(r.os, TNH_FE "/tx-ring-ref", "12x");
        expect = "tx-ring-ref";
        break;
    case 4: expect = "cannot map"; break; /* refs 8/9 were never granted */
    case 5:
        tnh_write(r.os, TNH_FE "/event-channel-tx", "3");
        expect = "need both";
        break;
    }
    tnh_write(r.os, TNH_FE "/state", "4");
    pump(&r);
    ck_assert_ptr_nonnull(nb_vif_error(r.vif));
    ck_assert_msg(strstr(nb_vif_error(r.vif), expect), "error '%s' lacks '%s'", nb_vif_error(r.vif),
                  expect);
    ck_assert_str_eq(tnh_read(r.os, TNH_BE "/state"), "5");
    rig_down(&r);
}
END_TEST

START_TEST(backend_directory_checked)
{
    struct os *os = tnh_new();
    struct nb_vif *v = NULL;
    struct rig r;
    memset(&r, 0, sizeof r);
    struct nb_vif_opts o = { .log = belog, .log_arg = &r };
    tnh_toolstack(os);
    tnh_write(os, TNH_BE "/frontend", "/local/domain/2/device/vif/0");
    ck_assert_int_lt(nb_vif_new(tnh_env(os), TNH_BE, &o, &v), 0);
    ck_assert_ptr_nonnull(strstr(r.belog, "is not under /local/domain/1/"));
    tnh_toolstack(os);
    tnh_write(os, TNH_BE "/mac", "00:16:3e:00:00");
    ck_assert_int_lt(nb_vif_new(tnh_env(os), TNH_BE, &o, &v), 0);
    ck_assert_ptr_nonnull(strstr(r.belog, "/mac: missing or not a MAC"));
    tnh_free(os);
}
END_TEST

/* A guest run twice in a row: the second frontend writes Initialising
 * before the backend has read the first one's Closed.  The backend still
 * says Closing, as a goodbye, not a refusal: it must come back to InitWait
 * and the second frontend must wait for that and connect. */
START_TEST(frontend_back_before_closed_was_read_connects)
{
    struct rig r;
    struct netfront_opts fo = { .max_queues = 1 };
    rig_up(&r, &fo, NULL);
    ck_assert_int_eq(netfront_state(r.nf), NETFRONT_CONNECTED);
    netfront_free(r.nf);
    r.nf = NULL;
    tnh_write(r.os, TNH_FE "/state", "5");
    pump(&r);
    ck_assert_str_eq(tnh_read(r.os, TNH_BE "/state"), "5");
    tnh_write(r.os, TNH_FE "/state", "6"); /* not yet read by the backend */
    ck_assert_int_eq(netfront_open(r.os, "device/vif/0", &fo, &r.nf), 0);
    pump(&r);
    ck_assert_int_eq(netfront_state(r.nf), NETFRONT_CONNECTED);
    ck_assert_str_eq(tnh_read(r.os, TNH_BE "/state"), "4");
    ck_assert_ptr_null(nb_vif_error(r.vif));
    rig_down(&r);
}
END_TEST

/* The same overtaking, but the backend had cut the first frontend off:
 * its Closing is a refusal and the new frontend is told so at once. */
START_TEST(frontend_meets_cut_off_backend_refused)
{
    struct rig r;
    struct netfront_opts fo = { .max_queues = 1 };
    rig_up(&r, NULL, NULL);
    tnh_write(r.os, TNH_FE "/tx-ring-ref", "8");
    tnh_write(r.os, TNH_FE "/rx-ring-ref", "9");
    tnh_write(r.os, TNH_FE "/event-channel", "1");
    tnh_write(r.os, TNH_FE "/request-rx-copy", "1");
    tnh_write(r.os, TNH_FE "/feature-rx-notify", "1");
    tnh_write(r.os, TNH_FE "/state", "4"); /* refs 8/9 were never granted */
    pump(&r);
    ck_assert_ptr_nonnull(nb_vif_error(r.vif));
    ck_assert_int_eq(netfront_open(r.os, "device/vif/0", &fo, &r.nf), 0);
    pump(&r);
    ck_assert_int_eq(netfront_state(r.nf), NETFRONT_CLOSING);
    ck_assert_str_eq(tnh_read(r.os, TNH_BE "/state"), "5");
    rig_down(&r);
}
END_TEST

/* ---- a hostile backend ---- */

static netif_rx_sring_t *rx_sring(struct rig *r)
{
    return tnh_gref(r->os, (grant_ref_t)atoi(tnh_read(r->os, TNH_FE "/rx-ring-ref")));
}

START_TEST(hostile_backend)
{
    struct rig r;
    rig_up(&r, &(struct netfront_opts){ 0 }, NULL);
    netif_rx_sring_t *rs = rx_sring(&r);
    netif_tx_sring_t *ts = tx_sring(&r);
    static uint8_t buf[70000];
    const char *expect = NULL;
    /* The first id past the ring arrives with an event pending on the
     * queue, as a real backend's response does: the refusal must not
     * depend on what the queue's state holds beside its busy table. */
    if (_i == 6)
        tnh_env(r.os)->ops->notify(tnh_env(r.os)->ctx, nb_vif_queue(r.vif, 0)->port_tx);
    /* Stop the real backend: from here on the test is the backend. */
    nb_vif_free(r.vif);
    r.vif = NULL;
    unsigned p = rs->rsp_prod;
    switch (_i) {
    case 0:
        rs->rsp_prod = p + 257;
        expect = "illegal number of rx responses";
        break;
    case 1:
        rs->ring[p % 256].rsp =
            (netif_rx_response_t){ .id = (uint16_t)((p + 5) % 256), .status = 60 };
        rs->rsp_prod = p + 1;
        expect = "has id";
        break;
    case 2:
        for (unsigned i = 0; i < 20; i++)
            rs->ring[(p + i) % 256].rsp = (netif_rx_response_t){ .id = (uint16_t)((p + i) % 256),
                                                                 .flags = NETRXF_more_data,
                                                                 .status = 100 };
        rs->rsp_prod = p + 20;
        expect = "more than 18 data slots";
        break;
    case 3:
        ck_assert_int_eq(netfront_send(r.nf, buf, 60, NULL), 0);
        ts->ring[ts->rsp_prod % 256].rsp = (netif_tx_response_t){ .id = 200, .status = 0 };
        ts->rsp_prod++;
        expect = "tx response id 200 is not outstanding";
        break;
    case 6: /* the first id past the ring */
        ck_assert_int_eq(netfront_send(r.nf, buf, 60, NULL), 0);
        ts->ring[ts->rsp_prod % 256].rsp = (netif_tx_response_t){ .id = 256, .status = 0 };
        ts->rsp_prod++;
        expect = "tx response id 256 is not outstanding";
        break;
    case 4:
        ts->rsp_prod += 300;
        expect = "illegal number of tx responses";
        break;
    case 5: {
        netif_extra_info_t ex = { .type = 7 };
        rs->ring[p % 256].rsp = (netif_rx_response_t){ .id = (uint16_t)(p % 256),
                                                       .flags = NETRXF_extra_info,
                                                       .status = 100 };
        memcpy(&rs->ring[(p + 1) % 256].rsp, &ex, sizeof ex);
        rs->rsp_prod = p + 2;
        expect = "extra info of unknown type";
        break;
    }
    }
    netfront_poll(r.nf);
    netfront_recv(r.nf, buf, sizeof buf, NULL);
    ck_assert_str_eq(netfront_state_name(netfront_state(r.nf)), "broken");
    ck_assert_msg(strstr(tnh_log(r.os), expect), "log '%s' lacks '%s'", tnh_log(r.os), expect);
    ck_assert_int_eq(netfront_send(r.nf, buf, 60, NULL), -OS_EPROTO);
    ck_assert_int_lt(netfront_recv(r.nf, buf, sizeof buf, NULL), 0);
    rig_down(&r);
}
END_TEST

START_TEST(backend_oddities_dropped_not_fatal)
{
    struct rig r;
    rig_up(&r, &(struct netfront_opts){ 0 }, NULL);
    netif_rx_sring_t *rs = rx_sring(&r);
    static uint8_t buf[70000];
    nb_vif_free(r.vif);
    r.vif = NULL;
    unsigned p = rs->rsp_prod;
    /* offset + size past the page, then an error status, then a good one */
    rs->ring[p % 256].rsp =
        (netif_rx_response_t){ .id = (uint16_t)(p % 256), .offset = 4000, .status = 200 };
    rs->ring[(p + 1) % 256].rsp =
        (netif_rx_response_t){ .id = (uint16_t)((p + 1) % 256), .status = NETIF_RSP_ERROR };
    rs->ring[(p + 2) % 256].rsp =
        (netif_rx_response_t){ .id = (uint16_t)((p + 2) % 256), .status = 64 };
    rs->rsp_prod = p + 3;
    ck_assert_int_eq(netfront_recv(r.nf, buf, sizeof buf, NULL), -OS_EIO);
    ck_assert_int_eq(netfront_recv(r.nf, buf, sizeof buf, NULL), -OS_EIO);
    ck_assert_int_eq(netfront_recv(r.nf, buf, sizeof buf, NULL), 64);
    /* a frame bigger than the caller's buffer is dropped, not truncated */
    rs->ring[(p + 3) % 256].rsp =
        (netif_rx_response_t){ .id = (uint16_t)((p + 3) % 256), .status = 1000 };
    rs->rsp_prod = p + 4;
    ck_assert_int_eq(netfront_recv(r.nf, buf, 500, NULL), -OS_E2BIG);
    /* an empty frame is an error, not "nothing waiting" */
    rs->ring[(p + 4) % 256].rsp =
        (netif_rx_response_t){ .id = (uint16_t)((p + 4) % 256), .status = 0 };
    rs->ring[(p + 5) % 256].rsp =
        (netif_rx_response_t){ .id = (uint16_t)((p + 5) % 256), .status = 70 };
    rs->rsp_prod = p + 6;
    ck_assert_int_eq(netfront_recv(r.nf, buf, sizeof buf, NULL), -OS_EIO);
    ck_assert_int_eq(netfront_recv(r.nf, buf, sizeof buf, NULL), 70);
    p += 2;
    /* a chain the backend never finishes: nothing yet, and no spinning */
    rs->ring[(p + 4) % 256].rsp = (netif_rx_response_t){ .id = (uint16_t)((p + 4) % 256),
                                                         .flags = NETRXF_more_data,
                                                         .status = 100 };
    rs->rsp_prod = p + 5;
    ck_assert_int_eq(netfront_recv(r.nf, buf, sizeof buf, NULL), 0);
    ck_assert_int_eq(netfront_poll(r.nf), 0);
    ck_assert_str_eq(netfront_state_name(netfront_state(r.nf)), "connected");
    struct netfront_stats st;
    netfront_stats(r.nf, &st);
    ck_assert_uint_eq(st.rx_errors, 3);
    ck_assert_uint_eq(st.rx_dropped, 1);
    rig_down(&r);
}
END_TEST

/* XSA-391: a backend raising events with nothing behind them gets
 * nothing done, is counted, and the device goes on working. */
START_TEST(event_storm_counted_not_spun_on)
{
    struct rig r;
    rig_up(&r, &(struct netfront_opts){ 0 }, NULL);
    struct nb_queue *q = nb_vif_queue(r.vif, 0);
    ck_assert_ptr_nonnull(q);
    for (int i = 0; i < 1000; i++) {
        tnh_env(r.os)->ops->notify(tnh_env(r.os)->ctx, q->port_rx);
        ck_assert_int_eq(netfront_poll(r.nf), 0);
    }
    struct netfront_stats st;
    netfront_stats(r.nf, &st);
    ck_assert_uint_eq(st.spurious_events, 1000);
    static uint8_t f[60], g[100];
    fill(f, sizeof f, 1);
    ck_assert_int_eq(nb_vif_rx(r.vif, f, sizeof f, NULL), 0);
    pump(&r);
    ck_assert_int_eq(netfront_recv(r.nf, g, sizeof g, NULL), 60);
    rig_down(&r);
}
END_TEST

START_TEST(backend_without_rx_copy_refused)
{
    struct rig r;
    memset(&r, 0, sizeof r);
    r.os = tnh_new();
    tnh_toolstack(r.os);
    tnh_write(r.os, TNH_BE "/state", "2");
    ck_assert_int_eq(netfront_open(r.os, "device/vif/0", NULL, &r.nf), 0);
    pump(&r);
    ck_assert_str_eq(netfront_state_name(netfront_state(r.nf)), "broken");
    ck_assert_ptr_nonnull(strstr(tnh_log(r.os), "does not offer feature-rx-copy"));
    rig_down(&r);
}
END_TEST

START_TEST(frontend_refuses_bad_sends)
{
    struct rig r;
    rig_up(&r, &(struct netfront_opts){ .no_gso = true }, NULL);
    static uint8_t f[70000];
    ck_assert_int_eq(netfront_send(r.nf, f, 0, NULL), -OS_EINVAL);
    ck_assert_int_eq(netfront_send(r.nf, f, 65536, NULL), -OS_E2BIG);
    struct netfront_meta m = { .gso_type = XEN_NETIF_GSO_TYPE_TCPV4, .gso_size = 1000 };
    ck_assert_int_eq(netfront_send(r.nf, f, 5000, &m), -OS_EINVAL);
    rig_down(&r);
}
END_TEST

/* Counts the grant-copy calls netback makes, then makes them. */
static unsigned copy_calls;
static const struct nb_env *copy_inner;
static int counting_copy(void *ctx, domid_t dom, struct nb_copy *ops, unsigned n)
{
    copy_calls++;
    return copy_inner->ops->copy(ctx, dom, ops, n);
}

/* Frames for the guest placed in a batch take one grant copy and one
 * event between them, the batch's frames stay unseen until it is
 * flushed, and each arrives whole and in order. */
START_TEST(rx_batch_is_one_copy_and_one_event)
{
    struct rig r;
    rig_up(&r, &(struct netfront_opts){ 0 }, NULL);
    struct nb_queue *q = nb_vif_queue(r.vif, 0);
    copy_inner = q->env;
    static struct nb_env_ops ops;
    static struct nb_env env;
    ops = *copy_inner->ops;
    ops.copy = counting_copy;
    env = (struct nb_env){ .ops = &ops, .ctx = copy_inner->ctx };
    q->env = &env;
    static uint8_t f[40][1514], g[2048];
    evtchn_port_t port;
    while (os_evtchn_next_pending(r.os, &port) > 0)
        ;
    copy_calls = 0;
    for (unsigned k = 0; k < 40; k++) {
        fill(f[k], sizeof f[k], k);
        ck_assert_int_eq(nb_vif_rx_add(r.vif, f[k], sizeof f[k], NULL), 0);
    }
    ck_assert_uint_eq(copy_calls, 0);
    ck_assert_int_eq(netfront_recv(r.nf, g, sizeof g, NULL), 0);
    ck_assert_int_eq(os_evtchn_next_pending(r.os, &port), 0);
    nb_vif_rx_flush(r.vif);
    ck_assert_uint_eq(copy_calls, 1);
    ck_assert_int_eq(os_evtchn_next_pending(r.os, &port), 1);
    ck_assert_int_eq(os_evtchn_next_pending(r.os, &port), 0);
    for (unsigned k = 0; k < 40; k++) {
        ck_assert_int_eq(netfront_recv(r.nf, g, sizeof g, NULL), (long)sizeof f[k]);
        ck_assert(memcmp(f[k], g, sizeof f[k]) == 0);
    }
    /* A batch fills at NB_RX_BATCH frames and flushes by itself. */
    copy_calls = 0;
    for (unsigned k = 0; k < NB_RX_BATCH + 1; k++)
        ck_assert_int_eq(nb_vif_rx_add(r.vif, f[k % 40], 60, NULL), 0);
    ck_assert_uint_eq(copy_calls, 1);
    nb_vif_rx_flush(r.vif);
    ck_assert_uint_eq(copy_calls, 2);
    for (unsigned k = 0; k < NB_RX_BATCH + 1; k++) {
        ck_assert_int_eq(netfront_recv(r.nf, g, sizeof g, NULL), 60);
        ck_assert(memcmp(f[k % 40], g, 60) == 0);
    }
    q->env = copy_inner;
    rig_down(&r);
}
END_TEST

/* A sender that filled its ring is told once half of what it has
 * outstanding is answered, not at every response, and never later than
 * the last one. */
START_TEST(tx_event_once_half_the_outstanding_frames_are_answered)
{
    struct netfront_opts fo = { .max_queues = 1 };
    struct rig r;
    rig_up(&r, &fo, NULL);
    static uint8_t f[60];
    fill(f, sizeof f, 3);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(netfront_send(r.nf, f, sizeof f, NULL), 0);
    netfront_poll(r.nf);
    struct nb_queue *q = nb_vif_queue(r.vif, 0);
    RING_IDX base = q->tx.rsp_prod_pvt;
    ck_assert_uint_eq(q->tx.sring->rsp_event, base + 51);
    evtchn_port_t port;
    while (os_evtchn_next_pending(r.os, &port) > 0)
        ;
    ck_assert_int_eq(nb_queue_tx(q, 50, deliver, &r), 50);
    ck_assert_int_eq(os_evtchn_next_pending(r.os, &port), 0);
    ck_assert_int_eq(nb_queue_tx(q, 1, deliver, &r), 1);
    ck_assert_int_eq(os_evtchn_next_pending(r.os, &port), 1);
    ck_assert(netfront_tx_pending(r.nf));
    /* The rest, down to the last frame, still wakes the sender. */
    for (unsigned left = 49; left > 0;) {
        netfront_poll(r.nf);
        while (os_evtchn_next_pending(r.os, &port) > 0)
            ;
        unsigned until = q->tx.sring->rsp_event - q->tx.rsp_prod_pvt;
        ck_assert_uint_ge(until, 1);
        ck_assert_uint_le(until, left);
        ck_assert_int_eq(nb_queue_tx(q, until, deliver, &r), (int)until);
        ck_assert_int_eq(os_evtchn_next_pending(r.os, &port), 1);
        left -= until;
    }
    netfront_poll(r.nf);
    ck_assert(!netfront_tx_pending(r.nf));
    rig_down(&r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("net_path");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, negotiation_matrix, 0, 8);
    tcase_add_loop_test(tc, checksum_offload_matrix, 0, 8);
    tcase_add_test(tc, many_frames_flow_control);
    tcase_add_test(tc, tx_event_once_half_the_outstanding_frames_are_answered);
    tcase_add_test(tc, rx_batch_is_one_copy_and_one_event);
    tcase_add_test(tc, backend_end_of_input_closes_after_delivery);
    tcase_add_loop_test(tc, hostile_frontend, 0, 8);
    tcase_add_test(tc, completed_checksums_verify);
    tcase_add_test(tc, frontend_oddities_are_answered_not_fatal);
    tcase_add_loop_test(tc, blank_checksums_completed, 0, 4);
    tcase_add_loop_test(tc, frontend_bad_keys, 0, 6);
    tcase_add_test(tc, backend_directory_checked);
    tcase_add_test(tc, frontend_back_before_closed_was_read_connects);
    tcase_add_test(tc, frontend_meets_cut_off_backend_refused);
    tcase_add_loop_test(tc, hostile_backend, 0, 7);
    tcase_add_test(tc, backend_oddities_dropped_not_fatal);
    tcase_add_test(tc, backend_without_rx_copy_refused);
    tcase_add_test(tc, event_storm_counted_not_spun_on);
    tcase_add_test(tc, frontend_refuses_bad_sends);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_main(suite());
}
