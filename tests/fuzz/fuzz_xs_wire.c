/*
 * fuzz_xs_wire.c — libFuzzer target for the xenstore wire framer and core.
 *
 * The input is three clients' byte streams interleaved: records of
 * [selector][n][n bytes], the selector's low bits choosing dom0, guest 1
 * or guest 2 (introduced the way libxl does it).  Bytes go through the
 * same framer the daemon uses, so messages may arrive split anywhere.
 * The core must answer every message with at most XENSTORE_PAYLOAD_MAX
 * bytes, echo req_id, or close the connection; it must never crash,
 * leak or loop.  A closed client reconnects.
 *
 * And what a guest's message does is checked against Xen's rules: it
 * never takes the guest past its node quota (kept small here, 2, so that
 * inputs reach it), and it never removes a node dom0 owns unless dom0 has
 * handed out permissions on its own nodes in this input.
 *
 * The core and its dom0 client come from the world's fixture header, as
 * the unit tests take them; when an input is done every node record must
 * be accounted for.
 *
 * The setup (the two guests made and introduced) is built once and each
 * input runs on a fork of it (xsc_core_fork), so that a run costs the
 * input's messages only (fuzz_world.h).  fuzz_world_fresh(1) builds the
 * setup for every input and runs on it; fuzz_world_digest() sums up
 * every reply and event each client got.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends-sim/world/world_fixture.h"
#include "backends-sim/xenstored/xsc_frame.h"
#include "fuzz_world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct slot {
    unsigned domid;
    struct xsc_conn *conn;
    struct xsc_frame in;
    uint32_t last_req;
};

static int fresh_each;
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

static void sink(void *ctx, const struct xsd_sockmsg *hdr, const void *body)
{
    struct slot *s = ctx;

    mix(&s->domid, sizeof(s->domid));
    mix(hdr, sizeof(*hdr));
    mix(body, hdr->len <= XENSTORE_PAYLOAD_MAX ? hdr->len : 0);
    if (hdr->len > XENSTORE_PAYLOAD_MAX)
        __builtin_trap();
    if (hdr->type != XS_WATCH_EVENT && hdr->req_id != s->last_req)
        __builtin_trap();
    (void)body;
}

static void check_guest_step(struct xsc_core *c, unsigned domid, unsigned owned0_before,
                             unsigned owned_before, bool dom0_set_perms)
{
    unsigned owned = xsc_core_nodes_owned(c, domid), quota = xsc_core_quota(c)->nodes;
    if (owned > quota && owned > owned_before) {
        fprintf(stderr, "fuzz_xs_wire: dom%u went past its node quota: %u nodes, quota %u\n", domid,
                owned, quota);
        abort();
    }
    if (!dom0_set_perms && xsc_core_nodes_owned(c, 0) < owned0_before) {
        fprintf(stderr, "fuzz_xs_wire: dom%u removed nodes of dom0 it may not write (%u -> %u)\n",
                domid, owned0_before, xsc_core_nodes_owned(c, 0));
        abort();
    }
}

static void make_domain(struct xsc_client *dom0, unsigned domid)
{
    char p[64], r[8], n[8], num[8];

    snprintf(r, sizeof(r), "r%u", domid);
    snprintf(n, sizeof(n), "n%u", domid);
    snprintf(num, sizeof(num), "%u", domid);
    snprintf(p, sizeof(p), "/local/domain/%u/data", domid);
    xsc_client_strs(dom0, XS_MKDIR, 0, NULL, p, NULL);
    xsc_client_strs(dom0, XS_SET_PERMS, 0, NULL, p, n, NULL);
    snprintf(p, sizeof(p), "/local/domain/%u", domid);
    xsc_client_strs(dom0, XS_SET_PERMS, 0, NULL, p, "n0", r, NULL);
    snprintf(p, sizeof(p), "/local/domain/%u/domid", domid);
    xsc_client_write(dom0, 0, p, num);
    xsc_client_strs(dom0, XS_INTRODUCE, 0, NULL, num, "1", "1", NULL);
}

/* The core as every input starts: guests 1 and 2 made and introduced,
 * no connection open.  NULL when out of memory. */
static struct xsc_core *setup(void)
{
    struct wf_xenstore peers;

    if (wf_xenstore_open(&peers) != 0)
        return NULL;
    xsc_core_quota(peers.core)->nodes = 2;
    make_domain(peers.dom0, 1);
    make_domain(peers.dom0, 2);
    xsc_client_close(peers.dom0);
    return peers.core;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct xsc_core *kept;
    struct xsc_core *c;
    struct slot slots[3];
    size_t pos = 0;

    digest = 14695981039346656037ull;
    if (fresh_each) {
        xsc_core_free(kept);
        kept = NULL;
    }
    /* Node records alive before the input: the kept setup's. */
    unsigned long live_before = xsc_core_live_nodes();
    if (fresh_each)
        c = setup();
    else {
        if (!kept && !(kept = setup()))
            return 0;
        live_before = xsc_core_live_nodes();
        c = xsc_core_fork(kept);
    }
    if (!c)
        return 0;
    memset(slots, 0, sizeof(slots));
    for (int i = 0; i < 3; i++) {
        slots[i].domid = (unsigned)i;
        slots[i].conn = xsc_core_connect(c, slots[i].domid, sink, &slots[i]);
        xsc_frame_reset(&slots[i].in);
    }
    bool dom0_set_perms = false;
    while (pos + 2 <= size) {
        struct slot *s = &slots[data[pos] % 3];
        size_t n = data[pos + 1], used;

        pos += 2;
        if (n > size - pos)
            n = size - pos;
        while (n) {
            enum xsc_frame_state st = xsc_frame_feed(&s->in, data + pos, n, &used);
            pos += used;
            n -= used;
            if (st == XSC_FRAME_MORE)
                break;
            if (st == XSC_FRAME_READY) {
                s->last_req = s->in.hdr.req_id;
                unsigned owned0 = xsc_core_nodes_owned(c, 0);
                unsigned owned = xsc_core_nodes_owned(c, s->domid);
                if (s->domid == 0 && s->in.hdr.type == XS_SET_PERMS)
                    dom0_set_perms = true;
                int rc = xsc_core_handle(s->conn, &s->in.hdr, s->in.body);
                if (s->domid != 0)
                    check_guest_step(c, s->domid, owned0, owned, dom0_set_perms);
                if (rc == 0) {
                    xsc_frame_reset(&s->in);
                    continue;
                }
            }
            /* closed: the client comes back on a new connection */
            xsc_core_disconnect(s->conn);
            s->conn = xsc_core_connect(c, s->domid, sink, s);
            xsc_frame_reset(&s->in);
        }
    }
    for (int i = 0; i < 3; i++)
        xsc_core_disconnect(slots[i].conn);
    /* With every connection (and so every transaction) gone, each node
     * record alive beyond the kept setup's must be one of this tree's,
     * and none may outlive it. */
    unsigned long nodes = xsc_core_nodes(c), live = xsc_core_live_nodes() - live_before;
    mix(&nodes, sizeof(nodes));
    unsigned long stray = live > nodes ? live - nodes : nodes - live;
    xsc_core_free(c);
    stray += xsc_core_live_nodes() - live_before;
    if (stray) {
        fprintf(stderr, "fuzz_xs_wire: %lu node records unaccounted for after the input\n", stray);
        abort();
    }
    return 0;
}
