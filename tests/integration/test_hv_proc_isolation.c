/*
 * A process given a grant reaches only the memory it was granted: a
 * hostile mapper (hv-peer's "snoop": it maps every memfd among its
 * descriptors over its whole size, readable and, where it can, writable)
 * finds neither a page its granter shared with a third domain nor a page
 * whose grant ended and was reused for another sharing.  A raw client,
 * past the library's own checks, finds hvd refusing ranges past a share.
 */
#include "tests/integration/test_hv_harness.h"
#include "backends-sim/hv/wire/packet.h"
#include "backends-sim/hv/wire/wire.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

START_TEST(mapper_sees_only_its_grants)
{
    hvt_start();
    struct peer a, b, c;
    hvt_peer(&a, 1);
    hvt_peer(&b, 2);
    hvt_peer(&c, 3);
    unsigned r3, r2;
    /* a page of domain 1 for domain 3 only */
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 3 1 1"), "%u", &r3), 1);
    hvt_ok(&a, "fill 0 %d", 0x5a);
    /* and one for domain 2, writable */
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 2 1 1"), "%u", &r2), 1);
    hvt_ok(&a, "fill 0 %d", 0x11);
    hvt_ok(&b, "map 1 1 %u", r2);
    hvt_ok(&b, "check 0 %d", 0x11);
    /* the snoop does find what it was granted: it would find more */
    ck_assert_str_eq(hvt_ok(&b, "snoop %d", 0x11), "1");
    ck_assert_str_eq(hvt_ok(&b, "snoop %d", 0x5a), "0");
    hvt_ok(&c, "map 1 0 %u", r3);
    hvt_ok(&c, "check 0 %d", 0x5a);
    hvt_ok(&c, "unmap");
    hvt_ok(&b, "unmap");
    /* a grant ends while b still holds what it was sent for it; the
     * frame goes to a sharing for domain 3 */
    hvt_ok(&a, "unshare");
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 3 1 1"), "%u", &r3), 1);
    hvt_ok(&a, "fill 0 %d", 0xa7);
    ck_assert_str_eq(hvt_ok(&b, "snoop %d", 0xa7), "0");
    ck_assert_str_eq(hvt_ok(&b, "snoop %d", 0x11), "0");
    hvt_ok(&c, "map 1 0 %u", r3);
    hvt_ok(&c, "check 0 %d", 0xa7);
    hvt_ok(&c, "unmap");
    hvt_end(&a);
    hvt_end(&b);
    hvt_end(&c);
    hvt_stop();
}
END_TEST

START_TEST(ended_page_mapped_late_is_not_reused)
{
    hvt_start();
    struct peer a, b, c;
    hvt_peer(&a, 1);
    hvt_peer(&b, 2);
    hvt_peer(&c, 3);
    unsigned r;
    /* b still maps the page when a ends its grant (as gntalloc, the
     * frame stays with the mapper until it unmaps) */
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 2 1 1"), "%u", &r), 1);
    hvt_ok(&a, "fill 0 %d", 0x33);
    hvt_ok(&b, "map 1 1 %u", r);
    hvt_ok(&a, "unshare");
    hvt_ok(&b, "check 0 %d", 0x33);
    /* while b maps it, a new share is given another frame: b's page keeps
     * its bytes and b sees nothing of the new one */
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 3 1 1"), "%u", &r), 1);
    hvt_ok(&a, "fill 0 %d", 0x5a);
    hvt_ok(&b, "check 0 %d", 0x33);
    ck_assert_str_eq(hvt_ok(&b, "snoop %d", 0x5a), "0");
    hvt_ok(&a, "unshare");
    hvt_ok(&b, "unmap");
    /* then its frame is reused for domain 3 */
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 3 1 1"), "%u", &r), 1);
    hvt_ok(&a, "fill 0 %d", 0xc4);
    ck_assert_str_eq(hvt_ok(&b, "snoop %d", 0xc4), "0");
    ck_assert_str_eq(hvt_ok(&b, "snoop %d", 0x33), "0");
    hvt_ok(&c, "map 1 0 %u", r);
    hvt_ok(&c, "check 0 %d", 0xc4);
    hvt_ok(&c, "unmap");
    hvt_end(&a);
    hvt_end(&b);
    hvt_end(&c);
    hvt_stop();
}
END_TEST

/* Asks for one sharing memfd on a raw gnttab connection: the fd's access
 * mode, or -errno. */
static int ask_mem(int s, uint64_t id, int ro)
{
    struct {
        struct hvw_mem_req hd;
        uint64_t id;
    } req = { { 1, (uint32_t)ro }, id };
    int fds[HVW_MAX_FDS];
    unsigned nfds = HVW_MAX_FDS;
    ssize_t n = hvw_call(s, HVW_GNT_MEM, &req, sizeof(req), NULL, 0, fds, &nfds);
    if (n < 0)
        return (int)n;
    ck_assert_uint_eq(nfds, 1);
    int mode = fcntl(fds[0], F_GETFL) & O_ACCMODE;
    close(fds[0]);
    return mode;
}

/* The daemon hands a sharing's memfd only to a handle that maps a page of
 * it, read-write only when that mapping is. */
START_TEST(memfd_only_for_a_mapping)
{
    const char *dir = hvt_start();
    struct peer a, b;
    hvt_peer(&a, 1);
    hvt_peer(&b, 2); /* creates domain 2 */
    unsigned ref;
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 2 1 1"), "%u", &ref), 1);
    char path[128];
    snprintf(path, sizeof(path), "%s/hv/dom2", dir);
    int s = hvw_connect(path);
    ck_assert_int_ge(s, 0);
    struct hvw_hello hello = { HVW_KIND_GNTTAB, 0 };
    struct hvw_hello_rep hrep;
    int ring = -1;
    unsigned nring = 1;
    ck_assert_int_eq(
        hvw_call(s, HVW_HELLO, &hello, sizeof(hello), &hrep, sizeof(hrep), &ring, &nring),
        (ssize_t)sizeof(hrep));
    if (nring)
        close(ring);
    /* no mapping yet: no sharing's memfd, whatever the id */
    for (uint64_t id = 0; id < 64; id++)
        ck_assert_int_eq(ask_mem(s, id, 1), -EACCES);
    struct {
        struct hvw_map hd;
        struct hvw_map_ent e;
    } map = { { 1, 0, HVW_NOTIFY_NONE, HVW_NOTIFY_NONE }, { 1, ref } };
    struct {
        struct hvw_map_rep hd;
        struct hvw_mem mem;
        uint32_t page[2];
    } rep;
    ck_assert_int_eq(hvw_call(s, HVW_GNT_MAP, &map, sizeof(map), &rep, sizeof(rep), NULL, NULL),
                     (ssize_t)sizeof(rep));
    ck_assert_uint_eq(rep.hd.nmem, 1);
    ck_assert_uint_eq(rep.mem.readonly, 1);
    ck_assert_uint_eq(rep.page[0], 0);
    /* a read-only mapping of a writable grant: a read-only memfd only */
    ck_assert_int_eq(ask_mem(s, rep.mem.id, 0), -EACCES);
    ck_assert_int_eq(ask_mem(s, rep.mem.id, 1), O_RDONLY);
    ck_assert_int_eq(ask_mem(s, rep.mem.id + 1, 1), -EACCES);
    /* once unmapped, not even that */
    struct hvw_handles u = { rep.hd.map_id };
    struct hvw_req req = { HVW_GNT_UNMAP, sizeof(u) };
    ck_assert_int_eq(hvw_send(s, &req, sizeof(req), &u, sizeof(u), NULL, 0), 0);
    ck_assert_int_eq(ask_mem(s, rep.mem.id, 1), -EACCES);
    close(s);
    hvt_end(&a);
    hvt_end(&b);
    hvt_stop();
}
END_TEST

/* Opens a raw gntshr connection to domain dom's socket. */
static int raw_gntshr(const char *dir, int dom)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/hv/dom%d", dir, dom);
    int s = hvw_connect(path);
    ck_assert_int_ge(s, 0);
    struct hvw_hello hello = { HVW_KIND_GNTSHR, 0 };
    struct hvw_hello_rep hrep;
    int fds[HVW_MAX_FDS];
    unsigned nfds = HVW_MAX_FDS;
    ck_assert_int_eq(hvw_call(s, HVW_HELLO, &hello, sizeof(hello), &hrep, sizeof(hrep), fds, &nfds),
                     (ssize_t)sizeof(hrep));
    for (unsigned i = 0; i < nfds; i++)
        close(fds[i]);
    return s;
}

/* Shares count pages with domain 2 over a raw connection: the share id,
 * or -errno. */
static int64_t raw_share(int s, uint32_t count, uint32_t notify_offset)
{
    struct hvw_share req = { 2, count, 1, notify_offset, HVW_NOTIFY_NONE };
    struct {
        struct hvw_share_rep hd;
        uint32_t refs[8];
    } rep;
    int fds[HVW_MAX_FDS];
    unsigned nfds = HVW_MAX_FDS;
    ssize_t n = hvw_call(s, HVW_GNT_SHARE, &req, sizeof(req), &rep, sizeof(rep), fds, &nfds);
    for (unsigned i = 0; i < nfds; i++)
        close(fds[i]);
    if (n < 0)
        return n;
    ck_assert_uint_eq(rep.hd.count, count);
    return rep.hd.share_id;
}

static ssize_t raw_unshare(int s, uint32_t id, uint32_t first, uint32_t count)
{
    struct hvw_refs req = { id, first, count };
    return hvw_call(s, HVW_GNT_UNSHARE, &req, sizeof(req), NULL, 0, NULL, NULL);
}

/* hvd itself, not only the drop-in library in front of it, refuses an
 * unmap-notify byte past the shared pages and an unshare range that runs
 * past the share's end; it accepts the last byte and the last page. */
START_TEST(hvd_refuses_ranges_past_a_share)
{
    const char *dir = hvt_start();
    struct peer a, b;
    hvt_peer(&a, 1);
    hvt_peer(&b, 2); /* creates domain 2 */
    int s = raw_gntshr(dir, 1);
    ck_assert_int_eq(raw_share(s, 1, HVW_PAGE_SIZE), -EINVAL);
    ck_assert_int_eq(raw_share(s, 2, 2 * HVW_PAGE_SIZE), -EINVAL);
    int64_t last = raw_share(s, 2, 2 * HVW_PAGE_SIZE - 1);
    ck_assert_int_gt(last, 0);
    ck_assert_int_eq(raw_unshare(s, (uint32_t)last, 0, 2), 0);
    int64_t id = raw_share(s, 2, HVW_NOTIFY_NONE);
    ck_assert_int_gt(id, 0);
    ck_assert_int_eq(raw_unshare(s, (uint32_t)id, 2, 1), -EINVAL);
    ck_assert_int_eq(raw_unshare(s, (uint32_t)id, 1, 2), -EINVAL);
    ck_assert_int_eq(raw_unshare(s, (uint32_t)id, 0, 3), -EINVAL);
    /* both pages are still shared: the last one alone, then the first */
    ck_assert_int_eq(raw_unshare(s, (uint32_t)id, 1, 1), 0);
    ck_assert_int_eq(raw_unshare(s, (uint32_t)id, 0, 1), 0);
    /* and with that the share is gone */
    ck_assert_int_eq(raw_unshare(s, (uint32_t)id, 0, 1), -EINVAL);
    close(s);
    hvt_end(&a);
    hvt_end(&b);
    hvt_stop();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hv_proc_isolation");
    TCase *tc = tcase_create("isolation");
    tcase_add_unchecked_fixture(tc, hvt_suite_setup, hvt_suite_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, mapper_sees_only_its_grants);
    tcase_add_test(tc, ended_page_mapped_late_is_not_reused);
    tcase_add_test(tc, memfd_only_for_a_mapping);
    tcase_add_test(tc, hvd_refuses_ranges_past_a_share);
    suite_add_tcase(s, tc);
    return check_main(s);
}
