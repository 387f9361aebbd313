/*
 * fuzz_hv_core — drives the simulated hypervisor core (in-process host)
 * with an operation stream decoded from the input, and checks after every
 * step what must always hold:
 *  - a refused operation leaves exactly one trace line, of the shape
 *    "dN: <operation> <object> refused: <rule>", naming the acting domain;
 *    a successful one leaves none (a send on an unbound port, which Xen
 *    drops without error, counts as refused);
 *  - each live domain's counters equal what its grant table, maptrack and
 *    ports show; GTF_writing never appears without GTF_reading;
 *  - releasing every owner at the end brings every counter to zero.
 * Memory errors are the sanitizers' to find.  The same input always
 * replays the same run.
 *
 * One host serves every input (fuzz_world.h): each input destroys its
 * domains at the end, and a domain created again reuses its zeroed
 * memory.  fuzz_world_fresh(1) opens a new host for every input, and
 * fuzz_world_digest() sums up each operation's outcome, its trace line
 * and every domain's memory at the end.
 */
#include <errno.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends-sim/world/world_fixture.h"
#include "fuzz_world.h"

enum { DOMS = 4, OWNERS = 3, PAGES = 8, MAX_PORT = 15, OP_BYTES = 6 };

/* Small limits, so that the fuzzer reaches them and the checks can scan. */
static const struct hv_domain_config cfg = {
    .nr_frames = PAGES,
    .max_grant_frames = 1,
    .max_maptrack_frames = 1,
    .max_evtchn_port = MAX_PORT,
};
static const char owner_tag[OWNERS];

static regex_t shape;
static int fresh_each;
static uint64_t digest;
/* Memory enters the digest only under a check (which sets fresh or kept
 * explicitly): hashing 128 KiB would double the cost of an input. */
static int checking;

void fuzz_world_fresh(int on)
{
    fresh_each = on;
    checking = 1;
}

uint64_t fuzz_world_digest(void)
{
    return digest;
}

static void mix(const void *p, size_t n)
{
    fuzz_world_mix(&digest, p, n);
}

static void check_trace(struct hvhost *ip, domid_t d, int refused)
{
    size_t n = hvhost_trace_count(ip);
    if (n != (refused ? 1u : 0u)) {
        fprintf(stderr, "d%u: %zu trace lines for a %s operation (last: %s)\n", d, n,
                refused ? "refused" : "successful", hvhost_last_trace(ip));
        abort();
    }
    if (refused) {
        const char *line = hvhost_trace_line(ip, 0);
        mix(line, strlen(line));
        char who[16];
        snprintf(who, sizeof(who), "d%u: ", d);
        if (regexec(&shape, line, 0, NULL, 0) != 0 || strncmp(line, who, strlen(who)) != 0) {
            fprintf(stderr, "trace line of a bad shape for d%u: %s\n", d, line);
            abort();
        }
    }
    hvhost_clear(ip);
}

static void check_counts(hv_t *hv)
{
    for (domid_t d = 0; d < DOMS; d++) {
        struct hv_counts c, seen;
        uint32_t torn;
        if (hv_domain_counts(hv, d, &c) < 0)
            continue;
        if (hv_domain_audit(hv, d, &seen, &torn) < 0 || torn)
            abort(); /* GTF_writing without GTF_reading */
        if (c.grants != seen.grants || c.mappings != seen.mappings || c.ports != seen.ports) {
            fprintf(stderr, "d%u counters %u/%u/%u, tables show %u/%u/%u\n", d, c.grants,
                    c.mappings, c.ports, seen.grants, seen.mappings, seen.ports);
            abort();
        }
    }
}

static gnttab_copy_t copy_op(const uint8_t *b, domid_t peer)
{
    gnttab_copy_t op;
    memset(&op, 0, sizeof(op));
    op.flags = b[0] & 3;
    op.source.domid = (b[0] & 4) ? peer : DOMID_SELF;
    op.dest.domid = (b[0] & 8) ? peer : DOMID_SELF;
    op.source.u.ref = b[1] % 24; /* also a gmfn 0..23 */
    op.dest.u.ref = b[2] % 24;
    op.source.offset = (uint16_t)(b[3] * 17);
    op.dest.offset = (uint16_t)(b[4] * 17);
    op.len = (uint16_t)(b[5] * 32);
    return op;
}

/* One operation; returns whether it was refused. */
static int step(struct hvhost *ip, const uint8_t *b)
{
    hv_t *hv = hvhost_hv(ip);
    domid_t d = b[1] % DOMS, peer = b[2] % DOMS;
    const void *owner = &owner_tag[b[3] % OWNERS];
    uint32_t x = b[4], y = b[5];
    grant_ref_t ref;
    grant_handle_t h;
    evtchn_port_t p;

    if (!hv_domain_exists(hv, d)) {
        /* Dead or dying: bring it back if its domid is free again. */
        int rc = hvhost_domain_create_cfg(ip, d, &cfg);
        if (rc != 0 && rc != -EEXIST)
            abort();
        return -1;
    }
    switch (b[0] % 18) {
    case 0:
        if (hv_gnt_alloc_ref(hv, d, owner, &ref) < 0)
            return 0;
        return hv_gnt_grant(hv, d, ref, peer, x % (PAGES + 2), y & 1, owner) < 0;
    case 1: {
        grant_entry_v1_t e = {
            .flags = (uint16_t)(x | (y << 8)),
            .domid = peer,
            .frame = y % 10,
        };
        return hv_gnt_write_entry(hv, d, (x * 3) % 530, &e, owner) < 0;
    }
    case 2:
        return hv_gnt_map(hv, d, peer, x % 40 + y % 2 * 500, (y >> 1) & 7, owner, &h, NULL) !=
               GNTST_okay;
    case 3: return hv_gnt_unmap(hv, d, x % 40 + (y & 1) * 250) != GNTST_okay;
    case 4: return hv_gnt_end_access(hv, d, x % 40 + (y & 1) * 500) < 0;
    case 5: return hv_gnt_release_ref(hv, d, x % 40 + (y & 1) * 500) < 0;
    case 6: {
        gnttab_copy_t op = copy_op(b, peer);
        return hv_gnt_copy(hv, d, &op) != GNTST_okay;
    }
    case 7:
    case 8:
        return hv_evtchn_alloc_unbound(hv, d, (y & 1) ? peer : DOMID_SELF,
                                       (y & 2) ? DOMID_SELF : peer, owner, &p) < 0;
    case 9:
    case 10: return hv_evtchn_bind_interdomain(hv, d, peer, x % (MAX_PORT + 3), owner, &p) < 0;
    case 11:
    case 12: {
        struct hv_evtchn_info info = { .state = HV_EVTCHN_FREE };
        (void)hv_evtchn_info(hv, d, x % (MAX_PORT + 3), &info);
        int rc = hv_evtchn_send(hv, d, x % (MAX_PORT + 3));
        return rc < 0 || info.state == HV_EVTCHN_UNBOUND;
    }
    case 13: return hv_evtchn_close(hv, d, x % (MAX_PORT + 3)) < 0;
    case 14:
        /* Bit operations are not hypercalls: never traced. */
        (void)(y & 1 ? hv_evtchn_mask : hv_evtchn_unmask)(hv, d, x % (MAX_PORT + 1));
        (void)hv_evtchn_clear_pending(hv, d, y % (MAX_PORT + 1));
        return 0;
    case 15: hv_release_owner(hv, d, owner); return 0;
    case 16:
        if (d != 0 && x < 32 && hvhost_domain_destroy(ip, d) != 0)
            abort();
        return 0;
    default: {
        /* Touch granted memory as a guest would, while peers map it. */
        uint8_t *page = hvhost_page(ip, d, x % PAGES);
        if (page)
            page[y * 16] ^= 0x5a;
        return 0;
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        if (regcomp(&shape, "^d[0-9]+: [^:]+ refused: [^ ].*[^ ]$", REG_EXTENDED | REG_NOSUB) != 0)
            abort();
        ready = 1;
    }
    /* One host for the whole run: each input destroys its domains at the
     * end, so the next one starts from the same empty core. */
    static struct hvhost *ip;
    if (fresh_each) {
        hvhost_free(ip);
        ip = NULL;
    }
    if (!ip && !(ip = wf_hv_open()))
        abort();
    digest = 14695981039346656037ull;
    for (domid_t d = 0; d < DOMS; d++)
        if (hvhost_domain_create_cfg(ip, d, &cfg) != 0)
            abort();
    hv_t *hv = hvhost_hv(ip);

    for (size_t i = 0; i + OP_BYTES <= size; i += OP_BYTES) {
        const uint8_t *b = data + i;
        domid_t actor = b[1] % DOMS;
        int refused = step(ip, b);
        mix(&refused, sizeof(refused));
        /* A domain brought back, not an operation of the guest's. */
        if (refused < 0)
            hvhost_clear(ip);
        else
            check_trace(ip, actor, refused);
        check_counts(hv);
    }

    for (domid_t d = 0; d < DOMS; d++)
        for (int o = 0; o < OWNERS; o++)
            hv_release_owner(hv, d, &owner_tag[o]);
    struct hv_counts t;
    hv_total_counts(hv, &t);
    if (t.grants || t.mappings || t.ports) {
        fprintf(stderr, "left behind: %u grants, %u mappings, %u ports\n", t.grants, t.mappings,
                t.ports);
        abort();
    }
    for (domid_t d = 0; checking && d < DOMS; d++)
        for (uint64_t g = 0; g < PAGES; g++) {
            const uint8_t *page = hvhost_page(ip, d, g);
            if (page)
                mix(page, HV_PAGE_SIZE);
        }
    /* Nothing maps anything now, so every domain goes for good. */
    for (domid_t d = 0; d < DOMS; d++)
        if (hv_domain_exists(hv, d) && hvhost_domain_destroy(ip, d) != 0)
            abort();
    hvhost_clear(ip);
    return 0;
}
