/*
 * Grant tables of the simulated hypervisor: the granting guest's side,
 * map/unmap with maptrack handles, grant copy, limits, and each rule Xen
 * enforces (code and trace line).
 */
#include <errno.h>
#include <string.h>

#include "tests/unit/test_hv_util.h"

static struct hvhost *ip;
static hv_t *hv;

/* d0 is the backend domain, d1 and d2 guests with 8 pages each. */
static void setup(void)
{
    ip = wf_hv_open();
    ck_assert_ptr_nonnull(ip);
    hv = hvhost_hv(ip);
    ck_assert_int_eq(hvhost_domain_create(ip, 0, 4), 0);
    ck_assert_int_eq(hvhost_domain_create(ip, 1, 8), 0);
    ck_assert_int_eq(hvhost_domain_create(ip, 2, 8), 0);
}

static void teardown(void)
{
    hvhost_free(ip);
}

/* d1 grants its frame gfn to `to`; returns the ref. */
static grant_ref_t grant(domid_t to, uint64_t gfn, bool ro)
{
    grant_ref_t ref;
    ck_assert_int_eq(hv_gnt_alloc_ref(hv, 1, NULL, &ref), 0);
    ck_assert_int_eq(hv_gnt_grant(hv, 1, ref, to, gfn, ro, NULL), 0);
    return ref;
}

static uint16_t flags_of(domid_t d, grant_ref_t ref)
{
    grant_entry_v1_t e;
    ck_assert_int_eq(hv_gnt_read_entry(hv, d, ref, &e), 0);
    return e.flags;
}

/* ---- happy paths ---------------------------------------------------------- */

START_TEST(map_unmap_sets_and_clears_status_bits)
{
    grant_ref_t ref = grant(0, 3, false);
    ck_assert_uint_ge(ref, GNTTAB_NR_RESERVED_ENTRIES);
    ck_assert_uint_eq(flags_of(1, ref), GTF_permit_access);

    grant_handle_t h;
    uint64_t gfn = 99;
    ck_assert_int_eq(hv_gnt_map(hv, 0, 1, ref, GNTMAP_host_map, NULL, &h, &gfn), GNTST_okay);
    ck_assert_uint_eq(gfn, 3);
    ck_assert_uint_eq(flags_of(1, ref), GTF_permit_access | GTF_reading | GTF_writing);
    COUNTS_EQ(dom_counts(ip, 1), 1, 0, 0);
    COUNTS_EQ(dom_counts(ip, 0), 0, 1, 0);

    struct hv_mapping_info mi;
    ck_assert_int_eq(hv_gnt_mapping_info(hv, 0, h, &mi), 0);
    ck_assert_uint_eq(mi.granter, 1);
    ck_assert_uint_eq(mi.ref, ref);
    ck_assert_uint_eq(mi.gfn, 3);
    ck_assert(!mi.readonly);

    ck_assert_int_eq(hv_gnt_unmap(hv, 0, h), GNTST_okay);
    ck_assert_uint_eq(flags_of(1, ref), GTF_permit_access);
    COUNTS_EQ(dom_counts(ip, 0), 0, 0, 0);
    ck_assert_int_eq(hv_gnt_mapping_info(hv, 0, h, &mi), -EINVAL);
    UNTRACED(ip);
}
END_TEST

START_TEST(pins_count_readers_and_writers)
{
    grant_ref_t ref = grant(0, 1, false);
    grant_handle_t r1, r2, w;
    ck_assert_int_eq(hv_gnt_map(hv, 0, 1, ref, GNTMAP_host_map | GNTMAP_readonly, NULL, &r1, NULL),
                     GNTST_okay);
    ck_assert_uint_eq(flags_of(1, ref), GTF_permit_access | GTF_reading);
    ck_assert_int_eq(hv_gnt_map(hv, 0, 1, ref, GNTMAP_host_map | GNTMAP_readonly, NULL, &r2, NULL),
                     GNTST_okay);
    ck_assert_int_eq(hv_gnt_map(hv, 0, 1, ref, GNTMAP_device_map, NULL, &w, NULL), GNTST_okay);
    ck_assert_uint_ne(r1, r2);
    ck_assert_uint_eq(flags_of(1, ref), GTF_permit_access | GTF_reading | GTF_writing);
    /* The writer goes: still read-mapped. */
    ck_assert_int_eq(hv_gnt_unmap(hv, 0, w), GNTST_okay);
    ck_assert_uint_eq(flags_of(1, ref), GTF_permit_access | GTF_reading);
    ck_assert_int_eq(hv_gnt_unmap(hv, 0, r1), GNTST_okay);
    ck_assert_uint_eq(flags_of(1, ref), GTF_permit_access | GTF_reading);
    ck_assert_int_eq(hv_gnt_unmap(hv, 0, r2), GNTST_okay);
    ck_assert_uint_eq(flags_of(1, ref), GTF_permit_access);
    UNTRACED(ip);
}
END_TEST

START_TEST(readonly_grant_maps_readonly)
{
    grant_ref_t ref = grant(2, 0, true);
    grant_handle_t h;
    ck_assert_int_eq(hv_gnt_map(hv, 2, 1, ref, GNTMAP_host_map | GNTMAP_readonly, NULL, &h, NULL),
                     GNTST_okay);
    ck_assert_uint_eq(flags_of(1, ref), GTF_permit_access | GTF_readonly | GTF_reading);
    ck_assert_int_eq(hv_gnt_unmap(hv, 2, h), GNTST_okay);
    UNTRACED(ip);
}
END_TEST

START_TEST(guest_cannot_set_xen_status_bits)
{
    grant_entry_v1_t e = {
        .flags = GTF_permit_access | GTF_reading | GTF_writing,
        .domid = 0,
        .frame = 2,
    };
    ck_assert_int_eq(hv_gnt_write_entry(hv, 1, 20, &e, NULL), 0);
    ck_assert_uint_eq(flags_of(1, 20), GTF_permit_access);
    /* And it can end access at once: nothing maps it. */
    ck_assert_int_eq(hv_gnt_end_access(hv, 1, 20), 0);
    ck_assert_uint_eq(flags_of(1, 20), 0);
    COUNTS_EQ(dom_counts(ip, 1), 0, 0, 0);
    UNTRACED(ip);
}
END_TEST

/* ---- map refused ------------------------------------------------------------ */

START_TEST(writable_map_of_readonly_grant_refused)
{
    grant_ref_t ref = grant(2, 4, true);
    grant_handle_t h;
    ck_assert_int_eq(hv_gnt_map(hv, 2, 1, ref, GNTMAP_host_map, NULL, &h, NULL),
                     GNTST_general_error);
    char want[160];
    snprintf(want, sizeof(want),
             "d2: map of gref %u from d1 refused: grant is "
             "read-only, writable mapping requested",
             ref);
    TRACED(ip, want);
    /* Nothing changed: no status bit, no mapping held. */
    ck_assert_uint_eq(flags_of(1, ref), GTF_permit_access | GTF_readonly);
    COUNTS_EQ(dom_counts(ip, 2), 0, 0, 0);
}
END_TEST

START_TEST(map_of_grant_for_another_domain_refused)
{
    grant_ref_t ref = grant(2, 4, false);
    grant_handle_t h;
    ck_assert_int_eq(hv_gnt_map(hv, 0, 1, ref, GNTMAP_host_map, NULL, &h, NULL),
                     GNTST_general_error);
    char want[160];
    snprintf(want, sizeof(want),
             "d0: map of gref %u from d1 refused: grant is "
             "for d2, not d0",
             ref);
    TRACED(ip, want);
    COUNTS_EQ(dom_counts(ip, 0), 0, 0, 0);
}
END_TEST

START_TEST(map_of_ungranted_ref_refused)
{
    grant_ref_t ref = grant(0, 4, false);
    ck_assert_int_eq(hv_gnt_end_access(hv, 1, ref), 0);
    grant_handle_t h;
    ck_assert_int_eq(hv_gnt_map(hv, 0, 1, ref, GNTMAP_host_map, NULL, &h, NULL),
                     GNTST_general_error);
    char want[160];
    snprintf(want, sizeof(want),
             "d0: map of gref %u from d1 refused: entry does "
             "not permit access (flags 0x0)",
             ref);
    TRACED(ip, want);
}
END_TEST

START_TEST(map_from_missing_domain_refused)
{
    grant_handle_t h;
    ck_assert_int_eq(hv_gnt_map(hv, 0, 7, 8, GNTMAP_host_map, NULL, &h, NULL), GNTST_bad_domain);
    TRACED(ip, "d0: map of gref 8 from d7 refused: granting domain does not exist");
}
END_TEST

START_TEST(map_of_ref_beyond_table_refused)
{
    (void)grant(0, 1, false); /* the table has one frame now */
    grant_handle_t h;
    ck_assert_int_eq(hv_gnt_map(hv, 0, 1, 512, GNTMAP_host_map, NULL, &h, NULL), GNTST_bad_gntref);
    TRACED(ip, "d0: map of gref 512 from d1 refused: ref beyond d1's grant "
               "table (512 entries)");
}
END_TEST

START_TEST(map_without_map_flags_refused)
{
    grant_ref_t ref = grant(0, 1, false);
    grant_handle_t h;
    ck_assert_int_eq(hv_gnt_map(hv, 0, 1, ref, GNTMAP_readonly, NULL, &h, NULL), GNTST_bad_gntref);
    char want[160];
    snprintf(want, sizeof(want),
             "d0: map of gref %u from d1 refused: neither "
             "GNTMAP_host_map nor GNTMAP_device_map given",
             ref);
    TRACED(ip, want);
}
END_TEST

START_TEST(map_of_frame_not_owned_by_granter_refused)
{
    grant_ref_t ref = grant(0, 8, false); /* d1 has frames 0..7 */
    grant_handle_t h;
    ck_assert_int_eq(hv_gnt_map(hv, 0, 1, ref, GNTMAP_host_map, NULL, &h, NULL), GNTST_bad_page);
    char want[160];
    snprintf(want, sizeof(want),
             "d0: map of gref %u from d1 refused: granted "
             "frame 0x8 is not a frame of d1 (it has 8)",
             ref);
    TRACED(ip, want);
    ck_assert_uint_eq(flags_of(1, ref), GTF_permit_access);
}
END_TEST

START_TEST(maptrack_handles_are_limited)
{
    struct hv_domain_config cfg = { .nr_frames = 1, .max_maptrack_frames = 1 };
    ck_assert_int_eq(hvhost_domain_create_cfg(ip, 3, &cfg), 0);
    grant_ref_t ref = grant(3, 0, true);
    grant_handle_t h;
    for (unsigned i = 0; i < HV_MAPTRACK_PER_FRAME; i++)
        ck_assert_int_eq(
            hv_gnt_map(hv, 3, 1, ref, GNTMAP_host_map | GNTMAP_readonly, NULL, &h, NULL),
            GNTST_okay);
    ck_assert_uint_eq(h, HV_MAPTRACK_PER_FRAME - 1);
    UNTRACED(ip);
    ck_assert_int_eq(hv_gnt_map(hv, 3, 1, ref, GNTMAP_host_map | GNTMAP_readonly, NULL, &h, NULL),
                     GNTST_no_space);
    char want[160];
    snprintf(want, sizeof(want),
             "d3: map of gref %u from d1 refused: all 256 "
             "maptrack handles in use",
             ref);
    TRACED(ip, want);
    /* One handle back, one map possible again. */
    ck_assert_int_eq(hv_gnt_unmap(hv, 3, 17), GNTST_okay);
    ck_assert_int_eq(hv_gnt_map(hv, 3, 1, ref, GNTMAP_host_map | GNTMAP_readonly, NULL, &h, NULL),
                     GNTST_okay);
    ck_assert_uint_eq(h, 17);
    COUNTS_EQ(dom_counts(ip, 3), 0, HV_MAPTRACK_PER_FRAME, 0);
}
END_TEST

/* ---- unmap refused ------------------------------------------------------------ */

START_TEST(unmap_of_unknown_handle_refused)
{
    ck_assert_int_eq(hv_gnt_unmap(hv, 0, 0), GNTST_bad_handle);
    TRACED(ip, "d0: unmap of handle 0 refused: no mapping has this handle");
    ck_assert_int_eq(hv_gnt_unmap(hv, 0, 1u << 30), GNTST_bad_handle);
    TRACED(ip, "d0: unmap of handle 1073741824 refused: no mapping has this "
               "handle");

    grant_ref_t ref = grant(0, 2, false);
    grant_handle_t h;
    ck_assert_int_eq(hv_gnt_map(hv, 0, 1, ref, GNTMAP_host_map, NULL, &h, NULL), GNTST_okay);
    ck_assert_int_eq(hv_gnt_unmap(hv, 0, h), GNTST_okay);
    ck_assert_int_eq(hv_gnt_unmap(hv, 0, h), GNTST_bad_handle); /* twice */
    char want[100];
    snprintf(want, sizeof(want),
             "d0: unmap of handle %u refused: no mapping "
             "has this handle",
             h);
    TRACED(ip, want);
    /* A handle is the mapper's: another domain cannot unmap it. */
    ck_assert_int_eq(hv_gnt_map(hv, 0, 1, ref, GNTMAP_host_map, NULL, &h, NULL), GNTST_okay);
    ck_assert_int_eq(hv_gnt_unmap(hv, 2, h), GNTST_bad_handle);
    ck_assert_uint_eq(hvhost_trace_count(ip), 1);
    hvhost_clear(ip);
    ck_assert_uint_eq(flags_of(1, ref), GTF_permit_access | GTF_reading | GTF_writing);
}
END_TEST

/* ---- the granting guest --------------------------------------------------------- */

START_TEST(end_access_refused_while_mapped)
{
    grant_ref_t ref = grant(0, 5, false);
    grant_handle_t h;
    ck_assert_int_eq(hv_gnt_map(hv, 0, 1, ref, GNTMAP_host_map, NULL, &h, NULL), GNTST_okay);
    ck_assert_int_eq(hv_gnt_end_access(hv, 1, ref), -EBUSY);
    char want[160];
    snprintf(want, sizeof(want),
             "d1: end access of gref %u refused: grant is "
             "still mapped by d0 (GTF_reading|GTF_writing set)",
             ref);
    TRACED(ip, want);
    ck_assert_uint_eq(flags_of(1, ref), GTF_permit_access | GTF_reading | GTF_writing);

    ck_assert_int_eq(hv_gnt_unmap(hv, 0, h), GNTST_okay);
    ck_assert_int_eq(hv_gnt_end_access(hv, 1, ref), 0);
    ck_assert_uint_eq(flags_of(1, ref), 0);
    COUNTS_EQ(dom_counts(ip, 1), 0, 0, 0);
    UNTRACED(ip);
}
END_TEST

START_TEST(end_access_of_read_mapping_names_reading)
{
    grant_ref_t ref = grant(0, 5, true);
    grant_handle_t h;
    ck_assert_int_eq(hv_gnt_map(hv, 0, 1, ref, GNTMAP_host_map | GNTMAP_readonly, NULL, &h, NULL),
                     GNTST_okay);
    ck_assert_int_eq(hv_gnt_end_access(hv, 1, ref), -EBUSY);
    char want[160];
    snprintf(want, sizeof(want),
             "d1: end access of gref %u refused: grant is "
             "still mapped by d0 (GTF_reading set)",
             ref);
    TRACED(ip, want);
}
END_TEST

START_TEST(rewrite_of_mapped_entry_refused)
{
    grant_ref_t ref = grant(0, 5, false);
    grant_handle_t h;
    ck_assert_int_eq(hv_gnt_map(hv, 0, 1, ref, GNTMAP_host_map, NULL, &h, NULL), GNTST_okay);
    ck_assert_int_eq(hv_gnt_grant(hv, 1, ref, 2, 6, false, NULL), -EBUSY);
    char want[160];
    snprintf(want, sizeof(want),
             "d1: grant of gref %u refused: entry is mapped "
             "by d0; its access must end before it is rewritten",
             ref);
    TRACED(ip, want);
    grant_entry_v1_t e;
    ck_assert_int_eq(hv_gnt_read_entry(hv, 1, ref, &e), 0);
    ck_assert_uint_eq(e.domid, 0);
    ck_assert_uint_eq(e.frame, 5);
}
END_TEST

START_TEST(frame_must_fit_v1_entry)
{
    ck_assert_int_eq(hv_gnt_grant(hv, 1, 9, 0, 1ull << 32, false, NULL), -EINVAL);
    TRACED(ip, "d1: grant of gref 9 refused: frame 0x100000000 does not fit "
               "the 32-bit frame field of a v1 entry");
}
END_TEST

START_TEST(ref_allocator_skips_reserved_and_honours_limit)
{
    struct hv_domain_config cfg = { .nr_frames = 1, .max_grant_frames = 1 };
    ck_assert_int_eq(hvhost_domain_create_cfg(ip, 4, &cfg), 0);
    static bool seen[HV_GRANT_ENTRIES_PER_FRAME];
    memset(seen, 0, sizeof(seen));
    grant_ref_t ref;
    unsigned n = 0;
    while (hv_gnt_alloc_ref(hv, 4, NULL, &ref) == 0) {
        ck_assert_uint_ge(ref, GNTTAB_NR_RESERVED_ENTRIES);
        ck_assert_uint_lt(ref, HV_GRANT_ENTRIES_PER_FRAME);
        ck_assert(!seen[ref]);
        seen[ref] = true;
        n++;
    }
    ck_assert_uint_eq(n, HV_GRANT_ENTRIES_PER_FRAME - GNTTAB_NR_RESERVED_ENTRIES);
    ck_assert_int_eq(hv_gnt_alloc_ref(hv, 4, NULL, &ref), -ENOSPC);
    TRACED(ip, "d4: no free grant ref: all 504 entries of its grant table in use "
               "(max_grant_frames 1): ENOSPC");
    /* once, until a ref is free again */
    ck_assert_int_eq(hv_gnt_alloc_ref(hv, 4, NULL, &ref), -ENOSPC);
    UNTRACED(ip);
    /* A freed ref comes back. */
    ck_assert_int_eq(hv_gnt_release_ref(hv, 4, 100), 0);
    ck_assert_int_eq(hv_gnt_alloc_ref(hv, 4, NULL, &ref), 0);
    ck_assert_uint_eq(ref, 100);

    /* Writing past the table limit is refused. */
    grant_entry_v1_t e = { .flags = GTF_permit_access, .domid = 0, .frame = 0 };
    ck_assert_int_eq(hv_gnt_write_entry(hv, 4, 512, &e, NULL), -EINVAL);
    TRACED(ip, "d4: grant of gref 512 refused: beyond the grant table limit "
               "(1 frames, 512 entries)");
    ck_assert_int_eq(hv_gnt_end_access(hv, 4, 600), -EINVAL);
    TRACED(ip, "d4: end access of gref 600 refused: beyond the grant table "
               "limit (1 frames, 512 entries)");
}
END_TEST

START_TEST(default_table_is_64_frames)
{
    grant_entry_v1_t e = { .flags = GTF_permit_access, .domid = 0, .frame = 1 };
    grant_ref_t last = 64 * 512 - 1;
    ck_assert_int_eq(hv_gnt_write_entry(hv, 1, last, &e, NULL), 0);
    grant_handle_t h;
    ck_assert_int_eq(hv_gnt_map(hv, 0, 1, last, GNTMAP_host_map, NULL, &h, NULL), GNTST_okay);
    ck_assert_int_eq(hv_gnt_write_entry(hv, 1, last + 1, &e, NULL), -EINVAL);
    TRACED(ip, "d1: grant of gref 32768 refused: beyond the grant table limit "
               "(64 frames, 32768 entries)");
}
END_TEST

START_TEST(release_while_mapped_is_deferred_to_last_unmap)
{
    grant_ref_t ref = grant(0, 2, false);
    grant_handle_t h1, h2;
    ck_assert_int_eq(hv_gnt_map(hv, 0, 1, ref, GNTMAP_host_map, NULL, &h1, NULL), GNTST_okay);
    ck_assert_int_eq(hv_gnt_map(hv, 0, 1, ref, GNTMAP_host_map | GNTMAP_readonly, NULL, &h2, NULL),
                     GNTST_okay);
    ck_assert_int_eq(hv_gnt_release_ref(hv, 1, ref), 1);
    COUNTS_EQ(dom_counts(ip, 1), 1, 0, 0);
    /* Still granted and mapped: the peer keeps working. */
    ck_assert_uint_eq(flags_of(1, ref), GTF_permit_access | GTF_reading | GTF_writing);
    ck_assert_int_eq(hv_gnt_unmap(hv, 0, h1), GNTST_okay);
    COUNTS_EQ(dom_counts(ip, 1), 1, 0, 0);
    ck_assert_int_eq(hv_gnt_unmap(hv, 0, h2), GNTST_okay);
    COUNTS_EQ(dom_counts(ip, 1), 0, 0, 0);
    ck_assert_uint_eq(flags_of(1, ref), 0);
    UNTRACED(ip);
}
END_TEST

/* ---- copy ----------------------------------------------------------------------- */

static gnttab_copy_t copy_op(uint16_t flags, uint32_t src, domid_t sdom, uint16_t soff,
                             uint32_t dst, domid_t ddom, uint16_t doff, uint16_t len)
{
    gnttab_copy_t op;
    memset(&op, 0, sizeof(op));
    op.flags = flags;
    if (flags & GNTCOPY_source_gref)
        op.source.u.ref = src;
    else
        op.source.u.gmfn = src;
    op.source.domid = sdom;
    op.source.offset = soff;
    if (flags & GNTCOPY_dest_gref)
        op.dest.u.ref = dst;
    else
        op.dest.u.gmfn = dst;
    op.dest.domid = ddom;
    op.dest.offset = doff;
    op.len = len;
    return op;
}

START_TEST(copy_both_ways)
{
    /* d1 grants frame 6 to d0; d0 copies into it and back out. */
    grant_ref_t ref = grant(0, 6, false);
    uint8_t *guest = hvhost_page(ip, 1, 6);
    uint8_t *back = hvhost_page(ip, 0, 1);
    memcpy(back + 100, "hello, guest", 12);

    gnttab_copy_t op = copy_op(GNTCOPY_dest_gref, 1, DOMID_SELF, 100, ref, 1, 4000, 12);
    ck_assert_int_eq(hv_gnt_copy(hv, 0, &op), GNTST_okay);
    ck_assert_int_eq(op.status, GNTST_okay);
    ck_assert_mem_eq(guest + 4000, "hello, guest", 12);

    memcpy(guest, "reply", 5);
    op = copy_op(GNTCOPY_source_gref, ref, 1, 0, 2, DOMID_SELF, 4091, 5);
    ck_assert_int_eq(hv_gnt_copy(hv, 0, &op), GNTST_okay);
    ck_assert_mem_eq(hvhost_page(ip, 0, 2) + 4091, "reply", 5);
    /* A copy leaves no status bit and no mapping behind. */
    ck_assert_uint_eq(flags_of(1, ref), GTF_permit_access);
    COUNTS_EQ(dom_counts(ip, 0), 0, 0, 0);
    UNTRACED(ip);
}
END_TEST

START_TEST(copy_beyond_page_refused)
{
    grant_ref_t ref = grant(0, 6, false);
    gnttab_copy_t op = copy_op(GNTCOPY_dest_gref, 1, DOMID_SELF, 0, ref, 1, 4000, 97);
    ck_assert_int_eq(hv_gnt_copy(hv, 0, &op), GNTST_bad_copy_arg);
    ck_assert_int_eq(op.status, GNTST_bad_copy_arg);
    TRACED(ip, "d0: copy to frame 0x6 of d1 refused: offset 4000 + length 97 "
               "leaves the page");
    op = copy_op(GNTCOPY_dest_gref, 1, DOMID_SELF, 4095, ref, 1, 0, 2);
    ck_assert_int_eq(hv_gnt_copy(hv, 0, &op), GNTST_bad_copy_arg);
    TRACED(ip, "d0: copy from frame 0x1 of d0 refused: offset 4095 + length 2 "
               "leaves the page");
    /* Nothing was written. */
    uint8_t zero[100] = { 0 };
    ck_assert_mem_eq(hvhost_page(ip, 1, 6) + 3996, zero, 100);
}
END_TEST

START_TEST(copy_into_readonly_grant_refused)
{
    grant_ref_t ref = grant(0, 6, true);
    gnttab_copy_t op = copy_op(GNTCOPY_dest_gref, 1, DOMID_SELF, 0, ref, 1, 0, 8);
    ck_assert_int_eq(hv_gnt_copy(hv, 0, &op), GNTST_general_error);
    char want[160];
    snprintf(want, sizeof(want),
             "d0: copy to gref %u of d1 refused: grant is "
             "read-only, writable access requested",
             ref);
    TRACED(ip, want);
    /* Reading it is fine. */
    op = copy_op(GNTCOPY_source_gref, ref, 1, 0, 1, DOMID_SELF, 0, 8);
    ck_assert_int_eq(hv_gnt_copy(hv, 0, &op), GNTST_okay);
    UNTRACED(ip);
}
END_TEST

START_TEST(copy_by_frame_only_as_self)
{
    gnttab_copy_t op = copy_op(0, 1, 1, 0, 2, DOMID_SELF, 0, 8);
    ck_assert_int_eq(hv_gnt_copy(hv, 0, &op), GNTST_permission_denied);
    TRACED(ip, "d0: copy from gmfn 0x1 of d1 refused: a frame may be named "
               "only with DOMID_SELF");
    op = copy_op(0, 9, DOMID_SELF, 0, 2, DOMID_SELF, 0, 8);
    ck_assert_int_eq(hv_gnt_copy(hv, 1, &op), GNTST_bad_page);
    TRACED(ip, "d1: copy from gmfn 0x9 of d1 refused: not a frame of d1 (it "
               "has 8)");
}
END_TEST

START_TEST(copy_checks_grant_and_domain)
{
    grant_ref_t ref = grant(2, 6, false); /* for d2, not d0 */
    gnttab_copy_t op = copy_op(GNTCOPY_source_gref, ref, 1, 0, 1, DOMID_SELF, 0, 8);
    ck_assert_int_eq(hv_gnt_copy(hv, 0, &op), GNTST_general_error);
    char want[160];
    snprintf(want, sizeof(want),
             "d0: copy from gref %u of d1 refused: grant is "
             "for d2, not d0",
             ref);
    TRACED(ip, want);
    op = copy_op(GNTCOPY_source_gref, 8, 9, 0, 1, DOMID_SELF, 0, 8);
    ck_assert_int_eq(hv_gnt_copy(hv, 0, &op), GNTST_bad_domain);
    TRACED(ip, "d0: copy from gref 8 of d9 refused: domain does not exist");
    op = copy_op(GNTCOPY_source_gref, 5000, 1, 0, 1, DOMID_SELF, 0, 8);
    ck_assert_int_eq(hv_gnt_copy(hv, 0, &op), GNTST_bad_gntref);
    TRACED(ip, "d0: copy from gref 5000 of d1 refused: ref beyond d1's grant "
               "table (512 entries)");
}
END_TEST

START_TEST(copy_batch_reports_first_failure)
{
    grant_ref_t ref = grant(0, 6, false);
    gnttab_copy_t ops[3] = {
        copy_op(GNTCOPY_dest_gref, 1, DOMID_SELF, 0, ref, 1, 0, 4),
        copy_op(GNTCOPY_dest_gref, 1, DOMID_SELF, 0, ref, 1, 4094, 4),
        copy_op(0, 1, 1, 0, 2, DOMID_SELF, 0, 8),
    };
    memcpy(hvhost_page(ip, 0, 1), "abcd", 4);
    ck_assert_int_eq(hv_gnt_copy_batch(hv, 0, ops, 3), GNTST_bad_copy_arg);
    ck_assert_int_eq(ops[0].status, GNTST_okay);
    ck_assert_int_eq(ops[1].status, GNTST_bad_copy_arg);
    ck_assert_int_eq(ops[2].status, GNTST_permission_denied);
    ck_assert_mem_eq(hvhost_page(ip, 1, 6), "abcd", 4);
    ck_assert_uint_eq(hvhost_trace_count(ip), 2); /* one per refused op */
}
END_TEST

static Suite *gnttab_suite(void)
{
    Suite *s = suite_create("hv grant tables");
    TCase *tc = tcase_create("gnttab");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, map_unmap_sets_and_clears_status_bits);
    tcase_add_test(tc, pins_count_readers_and_writers);
    tcase_add_test(tc, readonly_grant_maps_readonly);
    tcase_add_test(tc, guest_cannot_set_xen_status_bits);
    tcase_add_test(tc, writable_map_of_readonly_grant_refused);
    tcase_add_test(tc, map_of_grant_for_another_domain_refused);
    tcase_add_test(tc, map_of_ungranted_ref_refused);
    tcase_add_test(tc, map_from_missing_domain_refused);
    tcase_add_test(tc, map_of_ref_beyond_table_refused);
    tcase_add_test(tc, map_without_map_flags_refused);
    tcase_add_test(tc, map_of_frame_not_owned_by_granter_refused);
    tcase_add_test(tc, maptrack_handles_are_limited);
    tcase_add_test(tc, unmap_of_unknown_handle_refused);
    tcase_add_test(tc, end_access_refused_while_mapped);
    tcase_add_test(tc, end_access_of_read_mapping_names_reading);
    tcase_add_test(tc, rewrite_of_mapped_entry_refused);
    tcase_add_test(tc, frame_must_fit_v1_entry);
    tcase_add_test(tc, ref_allocator_skips_reserved_and_honours_limit);
    tcase_add_test(tc, default_table_is_64_frames);
    tcase_add_test(tc, release_while_mapped_is_deferred_to_last_unmap);
    tcase_add_test(tc, copy_both_ways);
    tcase_add_test(tc, copy_beyond_page_refused);
    tcase_add_test(tc, copy_into_readonly_grant_refused);
    tcase_add_test(tc, copy_by_frame_only_as_self);
    tcase_add_test(tc, copy_checks_grant_and_domain);
    tcase_add_test(tc, copy_batch_reports_first_failure);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(gnttab_suite());
}
