/*
 * Domains of the simulated hypervisor, releasing what an owner holds (a
 * client that went away), destruction with grants still mapped, counters
 * returning to zero, and the in-process host's page-alignment rule.
 */
#include <errno.h>
#include <regex.h>
#include <string.h>

#include "tests/unit/test_hv_util.h"

static struct hvhost *ip;
static hv_t *hv;

static void setup(void)
{
    ip = wf_hv_open();
    ck_assert_ptr_nonnull(ip);
    hv = hvhost_hv(ip);
}

static void teardown(void)
{
    hvhost_free(ip);
}

static const void *const CLIENT_A = "client a";
static const void *const CLIENT_B = "client b";

START_TEST(create_lookup_destroy)
{
    ck_assert_int_eq(hvhost_domain_create(ip, 0, 2), 0);
    ck_assert_int_eq(hvhost_domain_create(ip, 5, 3), 0);
    ck_assert_int_eq(hvhost_domain_create(ip, 5, 3), -EEXIST);
    ck_assert_int_eq(hvhost_domain_create(ip, DOMID_FIRST_RESERVED, 1), -EINVAL);
    ck_assert_int_eq(hvhost_domain_create(ip, DOMID_SELF, 1), -EINVAL);
    ck_assert(hv_domain_exists(hv, 5));
    ck_assert(!hv_domain_exists(hv, 4));
    ck_assert(hv_domain_is_privileged(hv, 0));
    ck_assert(!hv_domain_is_privileged(hv, 5));
    ck_assert_uint_eq(hv_domain_nr_frames(hv, 5), 3);

    uint64_t first;
    ck_assert_int_eq(hv_domain_add_frames(hv, 5, 4, &first), 0);
    ck_assert_uint_eq(first, 3);
    ck_assert_uint_eq(hv_domain_nr_frames(hv, 5), 7);

    domid_t ids[4];
    ck_assert_uint_eq(hv_domain_list(hv, ids, 4), 2);
    ck_assert_uint_eq(ids[0], 0);
    ck_assert_uint_eq(ids[1], 5);

    ck_assert_int_eq(hvhost_domain_destroy(ip, 5), 0);
    ck_assert(!hv_domain_exists(hv, 5));
    ck_assert_int_eq(hvhost_domain_destroy(ip, 5), -ESRCH);
    ck_assert_uint_eq(hv_domain_list(hv, ids, 4), 1);
    struct hv_counts c;
    ck_assert_int_eq(hv_domain_counts(hv, 5, &c), -ESRCH);
    /* Gone for good: the domid can be used again. */
    ck_assert_int_eq(hvhost_domain_create(ip, 5, 1), 0);
    ck_assert_uint_eq(hv_domain_nr_frames(hv, 5), 1);
}
END_TEST

START_TEST(configured_limits_are_checked)
{
    struct hv_domain_config cfg = { .max_evtchn_port = HV_EVTCHN_2L_PORTS };
    ck_assert_int_eq(hv_domain_create(hv, 3, &cfg), -EINVAL);
    cfg.max_evtchn_port = HV_EVTCHN_2L_PORTS - 1;
    ck_assert_int_eq(hv_domain_create(hv, 3, &cfg), 0);
}
END_TEST

/* d1 (a guest with two clients) and d0 (a backend) share pages and
 * channels; client A goes away. */
START_TEST(release_owner_frees_only_its_objects)
{
    ck_assert_int_eq(hvhost_domain_create(ip, 0, 2), 0);
    ck_assert_int_eq(hvhost_domain_create(ip, 1, 8), 0);

    grant_ref_t a_mapped, a_idle, b_ref;
    ck_assert_int_eq(hv_gnt_alloc_ref(hv, 1, CLIENT_A, &a_mapped), 0);
    ck_assert_int_eq(hv_gnt_grant(hv, 1, a_mapped, 0, 1, false, CLIENT_A), 0);
    ck_assert_int_eq(hv_gnt_alloc_ref(hv, 1, CLIENT_A, &a_idle), 0);
    ck_assert_int_eq(hv_gnt_grant(hv, 1, a_idle, 0, 2, false, CLIENT_A), 0);
    ck_assert_int_eq(hv_gnt_alloc_ref(hv, 1, CLIENT_B, &b_ref), 0);
    ck_assert_int_eq(hv_gnt_grant(hv, 1, b_ref, 0, 3, true, CLIENT_B), 0);

    grant_handle_t h;
    ck_assert_int_eq(hv_gnt_map(hv, 0, 1, a_mapped, GNTMAP_host_map, NULL, &h, NULL), GNTST_okay);
    evtchn_port_t pa, p0, pb, pb0;
    ck_assert_int_eq(hv_evtchn_alloc_unbound(hv, 1, DOMID_SELF, 0, CLIENT_A, &pa), 0);
    ck_assert_int_eq(hv_evtchn_bind_interdomain(hv, 0, 1, pa, NULL, &p0), 0);
    ck_assert_int_eq(hv_evtchn_alloc_unbound(hv, 1, DOMID_SELF, 0, CLIENT_B, &pb), 0);
    ck_assert_int_eq(hv_evtchn_bind_interdomain(hv, 0, 1, pb, NULL, &pb0), 0);
    COUNTS_EQ(dom_counts(ip, 1), 3, 0, 2);
    COUNTS_EQ(dom_counts(ip, 0), 0, 1, 2);
    hvhost_clear(ip);

    hv_release_owner(hv, 1, CLIENT_A);
    /* The mapped grant stays until d0 unmaps; the idle one is gone; B's
     * grant and port are untouched; d0 saw A's port close. */
    COUNTS_EQ(dom_counts(ip, 1), 2, 0, 1);
    grant_entry_v1_t e;
    ck_assert_int_eq(hv_gnt_read_entry(hv, 1, a_idle, &e), 0);
    ck_assert_uint_eq(e.flags, 0);
    ck_assert_int_eq(hv_gnt_read_entry(hv, 1, a_mapped, &e), 0);
    ck_assert_uint_eq(e.flags, GTF_permit_access | GTF_reading | GTF_writing);
    ck_assert_int_eq(hv_gnt_read_entry(hv, 1, b_ref, &e), 0);
    ck_assert_uint_eq(e.flags, GTF_permit_access | GTF_readonly);
    ck_assert_uint_eq(hvhost_event_count(ip), 1);
    const struct hvhost_event *ev = hvhost_event(ip, 0);
    ck_assert_int_eq(ev->kind, HVHOST_PORT_CLOSED);
    ck_assert_uint_eq(ev->dom, 0);
    ck_assert_uint_eq(ev->port, p0);
    UNTRACED(ip);

    /* The peer unmaps: A's last grant is ended and its ref freed. */
    ck_assert_int_eq(hv_gnt_unmap(hv, 0, h), GNTST_okay);
    COUNTS_EQ(dom_counts(ip, 1), 1, 0, 1);
    ck_assert_int_eq(hv_gnt_read_entry(hv, 1, a_mapped, &e), 0);
    ck_assert_uint_eq(e.flags, 0);

    hv_release_owner(hv, 1, CLIENT_B);
    /* d0's ends are unbound now, still d0's until it closes them. */
    COUNTS_EQ(dom_counts(ip, 0), 0, 0, 2);
    ck_assert_int_eq(hv_evtchn_close(hv, 0, p0), 0);
    ck_assert_int_eq(hv_evtchn_close(hv, 0, pb0), 0);
    COUNTS_EQ(dom_counts(ip, 1), 0, 0, 0);
    COUNTS_EQ(dom_counts(ip, 0), 0, 0, 0);
    COUNTS_EQ(total_counts(ip), 0, 0, 0);
}
END_TEST

START_TEST(release_owner_unmaps_its_mappings)
{
    ck_assert_int_eq(hvhost_domain_create(ip, 0, 2), 0);
    ck_assert_int_eq(hvhost_domain_create(ip, 1, 8), 0);
    grant_ref_t refs[3];
    grant_handle_t h[3], other;
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(hv_gnt_alloc_ref(hv, 1, NULL, &refs[i]), 0);
        ck_assert_int_eq(hv_gnt_grant(hv, 1, refs[i], 0, (uint64_t)i, i == 2, NULL), 0);
        ck_assert_int_eq(hv_gnt_map(hv, 0, 1, refs[i],
                                    GNTMAP_host_map | (i == 2 ? GNTMAP_readonly : 0), CLIENT_A,
                                    &h[i], NULL),
                         GNTST_okay);
    }
    ck_assert_int_eq(hv_gnt_map(hv, 0, 1, refs[0], GNTMAP_host_map, CLIENT_B, &other, NULL),
                     GNTST_okay);
    COUNTS_EQ(dom_counts(ip, 0), 0, 4, 0);

    hv_release_owner(hv, 0, CLIENT_A);
    COUNTS_EQ(dom_counts(ip, 0), 0, 1, 0);
    grant_entry_v1_t e;
    ck_assert_int_eq(hv_gnt_read_entry(hv, 1, refs[0], &e), 0);
    ck_assert_uint_eq(e.flags, GTF_permit_access | GTF_reading | GTF_writing);
    ck_assert_int_eq(hv_gnt_read_entry(hv, 1, refs[1], &e), 0);
    ck_assert_uint_eq(e.flags, GTF_permit_access);
    ck_assert_int_eq(hv_gnt_read_entry(hv, 1, refs[2], &e), 0);
    ck_assert_uint_eq(e.flags, GTF_permit_access | GTF_readonly);
    /* Handles of released mappings are no longer valid. */
    ck_assert_int_eq(hv_gnt_unmap(hv, 0, h[1]), GNTST_bad_handle);
    ck_assert_uint_eq(hvhost_trace_count(ip), 1);
    ck_assert_int_eq(hv_gnt_unmap(hv, 0, other), GNTST_okay);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(hv_gnt_end_access(hv, 1, refs[i]), 0);
    COUNTS_EQ(total_counts(ip), 0, 0, 0);
}
END_TEST

START_TEST(destroy_keeps_mapped_granter_until_unmap)
{
    ck_assert_int_eq(hvhost_domain_create(ip, 0, 2), 0);
    ck_assert_int_eq(hvhost_domain_create(ip, 7, 4), 0);
    grant_ref_t ref, idle;
    ck_assert_int_eq(hv_gnt_alloc_ref(hv, 7, NULL, &ref), 0);
    ck_assert_int_eq(hv_gnt_grant(hv, 7, ref, 0, 3, false, NULL), 0);
    ck_assert_int_eq(hv_gnt_alloc_ref(hv, 7, NULL, &idle), 0);
    ck_assert_int_eq(hv_gnt_grant(hv, 7, idle, 0, 2, false, NULL), 0);
    grant_handle_t h;
    uint64_t gfn;
    ck_assert_int_eq(hv_gnt_map(hv, 0, 7, ref, GNTMAP_host_map, NULL, &h, &gfn), GNTST_okay);
    evtchn_port_t p7, p0;
    ck_assert_int_eq(hv_evtchn_alloc_unbound(hv, 7, DOMID_SELF, 0, NULL, &p7), 0);
    ck_assert_int_eq(hv_evtchn_bind_interdomain(hv, 0, 7, p7, NULL, &p0), 0);
    uint8_t *page = hvhost_page(ip, 7, gfn);
    hvhost_clear(ip);

    ck_assert_int_eq(hvhost_domain_destroy(ip, 7), 0);
    /* d0's end of the channel is now unbound, and d0 was told. */
    ck_assert_uint_eq(hvhost_event_count(ip), 1);
    ck_assert_int_eq(hvhost_event(ip, 0)->kind, HVHOST_PORT_CLOSED);
    ck_assert_uint_eq(hvhost_event(ip, 0)->port, p0);
    /* d7 is gone for every new operation… */
    ck_assert(!hv_domain_exists(hv, 7));
    grant_handle_t h2;
    ck_assert_int_eq(hv_gnt_map(hv, 0, 7, ref, GNTMAP_host_map, NULL, &h2, NULL), GNTST_bad_domain);
    char want[100];
    snprintf(want, sizeof(want),
             "d0: map of gref %u from d7 refused: granting "
             "domain does not exist",
             ref);
    TRACED(ip, want);
    ck_assert_int_eq(hvhost_domain_create(ip, 7, 1), -EEXIST);
    /* …but the mapped page lives on, as Xen keeps a zombie domain. */
    COUNTS_EQ(total_counts(ip), 1, 1, 1);
    ck_assert_ptr_eq(hvhost_page(ip, 7, gfn), page);
    memset(page, 0xab, HV_PAGE_SIZE);

    ck_assert_int_eq(hv_gnt_unmap(hv, 0, h), GNTST_okay);
    COUNTS_EQ(total_counts(ip), 0, 0, 1);
    ck_assert_int_eq(hvhost_domain_create(ip, 7, 1), 0);
    ck_assert_int_eq(hv_evtchn_close(hv, 0, p0), 0);
    COUNTS_EQ(total_counts(ip), 0, 0, 0);
    UNTRACED(ip);
}
END_TEST

START_TEST(destroy_unmaps_the_domains_own_mappings)
{
    ck_assert_int_eq(hvhost_domain_create(ip, 1, 2), 0);
    ck_assert_int_eq(hvhost_domain_create(ip, 2, 2), 0);
    grant_ref_t ref;
    ck_assert_int_eq(hv_gnt_alloc_ref(hv, 1, NULL, &ref), 0);
    ck_assert_int_eq(hv_gnt_grant(hv, 1, ref, 2, 0, false, NULL), 0);
    grant_handle_t h;
    ck_assert_int_eq(hv_gnt_map(hv, 2, 1, ref, GNTMAP_host_map, NULL, &h, NULL), GNTST_okay);
    /* A domain mapping its own grant, too. */
    grant_ref_t self;
    ck_assert_int_eq(hv_gnt_alloc_ref(hv, 2, NULL, &self), 0);
    ck_assert_int_eq(hv_gnt_grant(hv, 2, self, 2, 1, false, NULL), 0);
    grant_handle_t hs;
    ck_assert_int_eq(hv_gnt_map(hv, 2, 2, self, GNTMAP_host_map, NULL, &hs, NULL), GNTST_okay);

    ck_assert_int_eq(hvhost_domain_destroy(ip, 2), 0);
    grant_entry_v1_t e;
    ck_assert_int_eq(hv_gnt_read_entry(hv, 1, ref, &e), 0);
    ck_assert_uint_eq(e.flags, GTF_permit_access);
    ck_assert_int_eq(hv_gnt_end_access(hv, 1, ref), 0);
    COUNTS_EQ(total_counts(ip), 0, 0, 0);
    ck_assert_int_eq(hvhost_domain_create(ip, 2, 1), 0);
    UNTRACED(ip);
}
END_TEST

/* ---- the in-process host --------------------------------------------------- */

START_TEST(grant_address_must_start_a_whole_page)
{
    ck_assert_int_eq(hvhost_domain_create(ip, 0, 1), 0);
    ck_assert_int_eq(hvhost_domain_create(ip, 3, 4), 0);
    uint64_t frames;
    uint8_t *mem = hvhost_memory(ip, 3, &frames);
    ck_assert_ptr_nonnull(mem);
    ck_assert_uint_eq(frames, 4);
    ck_assert_uint_eq((uintptr_t)mem % HV_PAGE_SIZE, 0);

    /* A buffer inside a page, as a tar reader handing blkfront a slice. */
    grant_ref_t ref;
    ck_assert_int_eq(hvhost_grant_address(ip, 3, 0, mem + 2 * HV_PAGE_SIZE + 512, false, &ref),
                     -EINVAL);
    char want[200];
    snprintf(want, sizeof(want),
             "d3: grant of address %p to d0 refused: not "
             "the start of a whole page (512 bytes into frame 0x2)",
             (void *)(mem + 2 * HV_PAGE_SIZE + 512));
    TRACED(ip, want);
    uint8_t outside;
    ck_assert_int_eq(hvhost_grant_address(ip, 3, 0, &outside, false, &ref), -EINVAL);
    snprintf(want, sizeof(want),
             "d3: grant of address %p to d0 refused: not "
             "in d3's memory",
             (void *)&outside);
    TRACED(ip, want);
    ck_assert_int_eq(hvhost_grant_address(ip, 3, 0, mem + frames * HV_PAGE_SIZE, false, &ref),
                     -EINVAL);
    ck_assert_uint_eq(hvhost_trace_count(ip), 1);
    hvhost_clear(ip);
    COUNTS_EQ(dom_counts(ip, 3), 0, 0, 0);

    /* A whole page: granted, and the mapper sees the same bytes. */
    memcpy(mem + 3 * HV_PAGE_SIZE, "page three", 10);
    ck_assert_int_eq(hvhost_grant_address(ip, 3, 0, mem + 3 * HV_PAGE_SIZE, true, &ref), 0);
    ck_assert_uint_ge(ref, GNTTAB_NR_RESERVED_ENTRIES);
    grant_handle_t h;
    uint64_t gfn;
    ck_assert_int_eq(hv_gnt_map(hv, 0, 3, ref, GNTMAP_host_map | GNTMAP_readonly, NULL, &h, &gfn),
                     GNTST_okay);
    ck_assert_uint_eq(gfn, 3);
    ck_assert_mem_eq(hvhost_page(ip, 3, gfn), "page three", 10);
    ck_assert_int_eq(hv_gnt_unmap(hv, 0, h), GNTST_okay);
    ck_assert_int_eq(hv_gnt_release_ref(hv, 3, ref), 0);
    COUNTS_EQ(total_counts(ip), 0, 0, 0);
    UNTRACED(ip);
}
END_TEST

START_TEST(grant_address_of_missing_domain)
{
    uint8_t x = 0;
    grant_ref_t ref;
    ck_assert_int_eq(hvhost_grant_address(ip, 4, 0, &x, false, &ref), -ESRCH);
}
END_TEST

static uint32_t rnd(uint32_t *seed, uint32_t n)
{
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 8) % n;
}

/* Many clients doing many things, then all of them going away: nothing
 * may be left behind.  A fixed LCG keeps the run reproducible. */
/* What a checker outside the core sees through the API, entry by entry,
 * against one pass of hv_domain_audit and against the counters. */
static void audit_matches_scan(domid_t d)
{
    struct hv_counts scan = { 0 }, seen, c;
    uint32_t torn, torn_scan = 0;
    for (grant_ref_t r = 0;; r++) {
        grant_entry_v1_t e;
        if (hv_gnt_read_entry(hv, d, r, &e) < 0)
            break;
        scan.grants += (e.flags & GTF_type_mask) == GTF_permit_access;
        torn_scan += (e.flags & GTF_writing) && !(e.flags & GTF_reading);
    }
    for (grant_handle_t h = 0; h < 4096; h++) {
        struct hv_mapping_info mi;
        scan.mappings += hv_gnt_mapping_info(hv, d, h, &mi) == 0;
    }
    for (evtchn_port_t p = 1;; p++) {
        struct hv_evtchn_info info;
        if (hv_evtchn_info(hv, d, p, &info) < 0)
            break;
        scan.ports += info.state != HV_EVTCHN_FREE;
    }
    ck_assert_int_eq(hv_domain_audit(hv, d, &seen, &torn), 0);
    ck_assert_int_eq(hv_domain_counts(hv, d, &c), 0);
    COUNTS_EQ(seen, scan.grants, scan.mappings, scan.ports);
    COUNTS_EQ(c, scan.grants, scan.mappings, scan.ports);
    ck_assert_uint_eq(torn, torn_scan);
}

START_TEST(churn_then_release_leaves_nothing)
{
    enum { DOMS = 4, OWNERS = 3, STEPS = 20000 };
    static const char owner_tag[OWNERS] = { 0 };
    for (domid_t d = 0; d < DOMS; d++)
        ck_assert_int_eq(hvhost_domain_create(ip, d, 16), 0);
    uint32_t seed = 12345;
    regex_t shape;
    ck_assert_int_eq(
        regcomp(&shape, "^d[0-9]+: [^:]+ refused: [^ ].*[^ ]$", REG_EXTENDED | REG_NOSUB), 0);
    unsigned maps = 0, binds = 0;
    grant_ref_t recent[DOMS][8] = { { 0 } }; /* refs lately granted */
    for (int i = 0; i < STEPS; i++) {
        /* Drawn in a fixed order, so the run is the same everywhere. */
        domid_t d = (domid_t)rnd(&seed, DOMS), peer = (domid_t)rnd(&seed, DOMS);
        const void *owner = &owner_tag[rnd(&seed, OWNERS)];
        uint32_t op = rnd(&seed, 8), a = rnd(&seed, 64), b = rnd(&seed, 2);
        uint32_t port = 1 + rnd(&seed, 40), gfn = rnd(&seed, 17);
        grant_ref_t ref;
        grant_handle_t h;
        evtchn_port_t p, lp;
        int rc = 0; /* < 0: refused, so exactly one trace line */
        switch (op) {
        case 0:
            /* Running out of refs is the guest's own affair: no trace. */
            if (hv_gnt_alloc_ref(hv, d, owner, &ref) == 0) {
                rc = hv_gnt_grant(hv, d, ref, peer, gfn, b, owner);
                if (rc == 0)
                    recent[d][a % 8] = ref;
            }
            break;
        case 1:
            rc = hv_gnt_map(hv, d, peer, recent[peer][a % 8],
                            GNTMAP_host_map | (b ? GNTMAP_readonly : 0), owner, &h, NULL);
            maps += rc == GNTST_okay;
            break;
        case 2: rc = hv_gnt_unmap(hv, d, a); break;
        case 3: rc = hv_gnt_release_ref(hv, d, recent[d][a % 8]); break;
        case 4: rc = hv_evtchn_alloc_unbound(hv, d, DOMID_SELF, peer, owner, &p); break;
        case 5:
            rc = hv_evtchn_bind_interdomain(hv, d, peer, port, owner, &lp);
            binds += rc == 0;
            break;
        case 6: {
            /* Xen drops a send on an unbound port without error; we trace. */
            struct hv_evtchn_info info;
            ck_assert_int_eq(hv_evtchn_info(hv, d, port, &info), 0);
            rc = hv_evtchn_send(hv, d, port);
            if (rc == 0 && info.state == HV_EVTCHN_UNBOUND)
                rc = -1;
            break;
        }
        default:
            if (a == 0)
                hv_release_owner(hv, d, owner);
            else
                rc = hv_evtchn_close(hv, d, port);
            break;
        }
        ck_assert_uint_eq(hvhost_trace_count(ip), rc < 0 ? 1 : 0);
        if (rc < 0) {
            /* One grep-able shape, naming the domain that broke the rule. */
            const char *line = hvhost_trace_line(ip, 0);
            ck_assert_msg(regexec(&shape, line, 0, NULL, 0) == 0,
                          "trace line of an unexpected shape: %s", line);
            char who[16];
            snprintf(who, sizeof(who), "d%u: ", d);
            ck_assert_msg(strncmp(line, who, strlen(who)) == 0,
                          "trace line does not start with %s: %s", who, line);
        }
        hvhost_clear(ip);
        if (i % 1000 == 0)
            audit_matches_scan(d);
    }
    regfree(&shape);
    /* The mix really shared pages and channels. */
    ck_assert_uint_gt(maps, 300);
    ck_assert_uint_gt(binds, 100);
    struct hv_counts c = total_counts(ip);
    ck_assert_uint_gt(c.grants + c.mappings + c.ports, 0);
    for (domid_t d = 0; d < DOMS; d++)
        for (int o = 0; o < OWNERS; o++)
            hv_release_owner(hv, d, &owner_tag[o]);
    COUNTS_EQ(total_counts(ip), 0, 0, 0);
    for (domid_t d = 0; d < DOMS; d++) {
        for (evtchn_port_t port = 1; port <= HV_DEFAULT_MAX_EVTCHN_PORT; port++) {
            struct hv_evtchn_info info;
            ck_assert_int_eq(hv_evtchn_info(hv, d, port, &info), 0);
            ck_assert_int_eq(info.state, HV_EVTCHN_FREE);
        }
    }
}
END_TEST

static Suite *domain_suite(void)
{
    Suite *s = suite_create("hv domains and owners");
    TCase *tc = tcase_create("domain");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, create_lookup_destroy);
    tcase_add_test(tc, configured_limits_are_checked);
    tcase_add_test(tc, release_owner_frees_only_its_objects);
    tcase_add_test(tc, release_owner_unmaps_its_mappings);
    tcase_add_test(tc, destroy_keeps_mapped_granter_until_unmap);
    tcase_add_test(tc, destroy_unmaps_the_domains_own_mappings);
    tcase_add_test(tc, grant_address_must_start_a_whole_page);
    tcase_add_test(tc, grant_address_of_missing_domain);
    tcase_add_test(tc, churn_then_release_leaves_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(domain_suite());
}
