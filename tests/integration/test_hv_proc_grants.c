/*
 * Grants between real processes in two domains, through splitbed-hvd and
 * the drop-in libxengnttab: programs linked against Debian's real library
 * share, map, read and write; every refused operation fails as on Xen and
 * Linux (errno) and leaves its line in the trace; a process killed with
 * SIGKILL leaves nothing behind.
 */
#include "tests/integration/test_hv_harness.h"
#include "backends-sim/hv/hvctl.h"
#include "backends-sim/hv/wire/wire.h"
#include "backends-sim/hv/wire/packet.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xen/grant_table.h>

static void assert_clean(void)
{
    struct hv_counts_line t = hvt_counts(-1);
    ck_assert_int_eq(t.grants, 0);
    ck_assert_int_eq(t.mappings, 0);
    ck_assert_int_eq(t.ports, 0);
}

START_TEST(share_map_read_write)
{
    hvt_start();
    struct peer a, b;
    hvt_peer(&a, 1);
    hvt_peer(&b, 2);
    unsigned r[4];
    const char *refs = hvt_ok(&a, "share 2 4 1");
    ck_assert_int_eq(sscanf(refs, "%u %u %u %u", &r[0], &r[1], &r[2], &r[3]), 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_ge(r[i], GNTTAB_NR_RESERVED_ENTRIES);
        hvt_ok(&a, "fill %d %d", i, 0x10 + i);
    }
    ck_assert_int_eq(hvt_counts(1).grants, 4);
    hvt_ok(&b, "map 1 1 %u %u %u %u", r[0], r[1], r[2], r[3]);
    ck_assert_int_eq(hvt_counts(2).mappings, 4);
    for (int i = 0; i < 4; i++)
        hvt_ok(&b, "check %d %d", i, 0x10 + i);
    hvt_ok(&b, "fill 2 %d", 0xee);
    hvt_ok(&a, "check 2 %d", 0xee);
    hvt_ok(&b, "unmap");
    ck_assert_int_eq(hvt_counts(2).mappings, 0);
    /* the single-ref calls map the same frame */
    hvt_ok(&b, "mapone 1 %u", r[1]);
    /* a sharing ends page by page */
    hvt_ok(&a, "unsharepart 1 2");
    ck_assert_int_eq(hvt_counts(1).grants, 2);
    ck_assert_str_eq(hvt_cmd(&b, "map 1 1 %u", r[1]), "err 22");
    hvt_ok(&b, "map 1 1 %u", r[3]);
    hvt_ok(&b, "check 0 %d", 0x13);
    hvt_ok(&b, "unmap");
    hvt_ok(&a, "unsharepart 0 1");
    hvt_ok(&a, "unsharepart 3 1");
    assert_clean();
    /* pages come back zeroed, as gntalloc hands them out */
    hvt_ok(&a, "share 2 1 1");
    hvt_ok(&a, "check 0 0");
    hvt_end(&a);
    hvt_end(&b);
    assert_clean();
    hvt_stop();
}
END_TEST

START_TEST(readonly_grant)
{
    hvt_start();
    struct peer a, b;
    hvt_peer(&a, 1);
    hvt_peer(&b, 2);
    unsigned r;
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 2 1 0"), "%u", &r), 1);
    hvt_ok(&a, "fill 0 %d", 0x42);
    ck_assert_str_eq(hvt_cmd(&b, "map 1 1 %u", r), "err 22");
    ck_assert(hvt_trace_has("d2: map of gref"));
    ck_assert(hvt_trace_has("grant is read-only, writable mapping requested"));
    hvt_ok(&b, "map 1 0 %u", r);
    hvt_ok(&b, "check 0 %d", 0x42);
    hvt_ok(&b, "unmap");
    hvt_end(&a);
    hvt_end(&b);
    assert_clean();
    hvt_stop();
}
END_TEST

START_TEST(refused_maps)
{
    hvt_start();
    struct peer a, b, c;
    hvt_peer(&a, 1);
    hvt_peer(&b, 2);
    hvt_peer(&c, 3);
    unsigned r;
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 2 1 1"), "%u", &r), 1);
    /* a ref nobody granted */
    ck_assert_str_eq(hvt_cmd(&b, "map 1 1 %u", r + 100), "err 22");
    ck_assert(hvt_trace_has("entry does not permit access"));
    /* granted to d2, mapped by d3 */
    ck_assert_str_eq(hvt_cmd(&c, "map 1 1 %u", r), "err 22");
    ck_assert(hvt_trace_has("grant is for d2, not d3"));
    /* a domain that does not exist */
    ck_assert_str_eq(hvt_cmd(&b, "map 77 1 %u", r), "err 22");
    ck_assert(hvt_trace_has("granting domain does not exist"));
    /* a ref beyond the table */
    ck_assert_str_eq(hvt_cmd(&b, "map 1 1 %u", 1u << 30), "err 22");
    ck_assert(hvt_trace_has("beyond d1's grant table"));
    /* one bad ref fails the whole batch and maps nothing */
    ck_assert_str_eq(hvt_cmd(&b, "map 1 1 %u %u", r, r + 100), "err 22");
    ck_assert_int_eq(hvt_counts(2).mappings, 0);
    /* unmap needs the exact range of a mapping */
    hvt_ok(&b, "map 1 1 %u", r);
    ck_assert_str_eq(hvt_cmd(&b, "unmapbad"), "err 22");
    hvt_ok(&b, "unmap");
    /* dma-buf does not exist here */
    ck_assert_str_eq(hvt_cmd(&b, "dmabuf"), "err 95");
    hvt_end(&a);
    hvt_end(&b);
    hvt_end(&c);
    assert_clean();
    hvt_stop();
}
END_TEST

START_TEST(grant_copy)
{
    hvt_start();
    struct peer a, b;
    hvt_peer(&a, 1);
    hvt_peer(&b, 2);
    unsigned rw, ro;
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 2 1 1"), "%u", &rw), 1);
    hvt_ok(&a, "fill 0 %d", 0x5a);
    int st, byte;
    ck_assert_int_eq(sscanf(hvt_ok(&b, "copyr 1 %u 0 4096", rw), "%d %d", &st, &byte), 2);
    ck_assert_int_eq(st, GNTST_okay);
    ck_assert_int_eq(byte, 0x5a);
    ck_assert_int_eq(sscanf(hvt_ok(&b, "copyw 1 %u 0 4096 51", rw), "%d", &st), 1);
    ck_assert_int_eq(st, GNTST_okay);
    hvt_ok(&a, "check 0 51");
    /* grant to grant */
    unsigned rw2;
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 2 1 1"), "%u", &rw2), 1);
    ck_assert_int_eq(atoi(hvt_ok(&b, "copyg2g 1 %u %u", rw, rw2)), GNTST_okay);
    hvt_ok(&a, "check 0 51");
    /* many segments in one call (several packets to the daemon) */
    hvt_ok(&b, "copymany 1 %u 2000", rw);
    /* a segment leaving the page, or with no grant side, fails the whole
     * call with EINVAL before anything is copied, as gntdev does */
    ck_assert_str_eq(hvt_cmd(&b, "copyr 1 %u 4000 200", rw), "err 22");
    ck_assert_str_eq(hvt_cmd(&b, "copyw 1 %u 4095 2 9", rw), "err 22");
    ck_assert_str_eq(hvt_cmd(&b, "copybad 1 %u", rw), "err 22");
    /* copymany left 0 there; copybad did not write its 0x77 */
    ck_assert_str_eq(hvt_ok(&b, "copyr 1 %u 0 16", rw), "0 0");
    /* writing into a read-only grant */
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 2 1 0"), "%u", &ro), 1);
    ck_assert_int_eq(sscanf(hvt_ok(&b, "copyw 1 %u 0 16 1", ro), "%d", &st), 1);
    ck_assert_int_eq(st, GNTST_general_error);
    ck_assert(hvt_trace_has("grant is read-only, writable access requested"));
    hvt_end(&a);
    hvt_end(&b);
    assert_clean();
    hvt_stop();
}
END_TEST

/* libxenvchan ends mappings and sharings with a plain munmap(). */
START_TEST(plain_munmap_ends_mapping)
{
    hvt_start();
    struct peer a, b;
    hvt_peer(&a, 1);
    hvt_peer(&b, 2);
    unsigned r1, r2;
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 2 2 1"), "%u %u", &r1, &r2), 2);
    hvt_ok(&b, "map 1 1 %u %u", r1, r2);
    hvt_ok(&b, "munmap");
    hvt_ok(&b, "close");
    ck_assert_int_eq(hvt_counts(2).mappings, 0);
    hvt_ok(&a, "munmap");
    hvt_ok(&a, "close");
    ck_assert_int_eq(hvt_counts(1).grants, 0);
    /* a handle closed while its mapping lives keeps the grant mapped */
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 2 1 1"), "%u", &r1), 1);
    hvt_ok(&b, "map 1 1 %u", r1);
    hvt_ok(&b, "close");
    ck_assert_int_eq(hvt_counts(2).mappings, 1);
    hvt_ok(&b, "check 0 0");
    hvt_end(&b);
    hvt_end(&a);
    assert_clean();
    hvt_stop();
}
END_TEST

/* 64 pages each way, ended by plain munmap and noticed at close. */
START_TEST(large_regions)
{
    hvt_start();
    struct peer a, b;
    hvt_peer(&a, 1);
    hvt_peer(&b, 2);
    char refs[1024];
    snprintf(refs, sizeof(refs), "%s", hvt_ok(&a, "share 2 64 1"));
    hvt_ok(&a, "fill 63 %d", 0x63);
    hvt_ok(&b, "map 1 1 %s", refs);
    ck_assert_int_eq(hvt_counts(2).mappings, 64);
    hvt_ok(&b, "check 63 %d", 0x63);
    hvt_ok(&b, "munmap");
    hvt_ok(&b, "close");
    ck_assert_int_eq(hvt_counts(2).mappings, 0);
    hvt_ok(&a, "munmap");
    hvt_ok(&a, "close");
    assert_clean();
    hvt_end(&a);
    hvt_end(&b);
    hvt_stop();
}
END_TEST

static void notify_case(int use_kill)
{
    hvt_start();
    struct peer a, b;
    hvt_peer(&a, 1);
    hvt_peer(&b, 2);
    int pa, pb;
    unsigned r;
    ck_assert_int_eq(sscanf(hvt_ok(&a, "bindu 2"), "%d", &pa), 1);
    ck_assert_int_eq(sscanf(hvt_ok(&b, "bindi 1 %d", pa), "%d", &pb), 1);
    ck_assert_int_eq(atoi(hvt_ok(&b, "wait")), pb); /* Xen's bind-time event */
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 2 1 1"), "%u", &r), 1);
    hvt_ok(&a, "setbyte 100 1");
    hvt_ok(&b, "mapnotify 1 %u 100 %d", r, pb);
    ck_assert_str_eq(hvt_ok(&b, "byte 100"), "1");
    if (use_kill)
        hvt_kill(&b, SIGKILL);
    else
        hvt_ok(&b, "unmap");
    ck_assert_int_eq(atoi(hvt_ok(&a, "wait")), pa);
    ck_assert_str_eq(hvt_ok(&a, "byte 100"), "0");
    if (use_kill) {
        ck_assert_int_eq(hvt_counts(2).mappings, 0);
        ck_assert_int_eq(hvt_counts(2).ports, 0);
        /* d1's end is unbound now: Xen drops the event, we trace it */
        hvt_ok(&a, "notify %d", pa);
        ck_assert(hvt_trace_has("is unbound"));
    } else
        hvt_end(&b);
    hvt_end(&a);
    assert_clean();
    hvt_stop();
}

START_TEST(map_notify_on_unmap)
{
    notify_case(0);
}
END_TEST

START_TEST(map_notify_on_kill)
{
    notify_case(1);
}
END_TEST

START_TEST(kill_leaves_no_leak)
{
    hvt_start();
    struct peer a, b;
    hvt_peer(&a, 1);
    hvt_peer(&b, 2);
    unsigned r[8];
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 2 8 1"), "%u %u %u %u %u %u %u %u", &r[0], &r[1],
                            &r[2], &r[3], &r[4], &r[5], &r[6], &r[7]),
                     8);
    int pa;
    ck_assert_int_eq(sscanf(hvt_ok(&a, "bindu 2"), "%d", &pa), 1);
    hvt_ok(&b, "map 1 1 %u %u %u %u", r[0], r[1], r[2], r[3]);
    hvt_ok(&b, "bindi 1 %d", pa);
    struct hv_counts_line before = hvt_counts(-1);
    ck_assert_int_eq(before.grants, 8);
    ck_assert_int_eq(before.mappings, 4);
    ck_assert_int_eq(before.ports, 2);
    /* the granter dies first: its grants stay while mapped */
    hvt_kill(&a, SIGKILL);
    struct hv_counts_line mid = hvt_counts(-1);
    ck_assert_int_eq(mid.mappings, 4);
    ck_assert_int_eq(mid.ports, 1);
    hvt_ok(&b, "check 0 0");
    hvt_kill(&b, SIGKILL);
    assert_clean();
    hvt_stop();
}
END_TEST

START_TEST(malicious_client_cut_off)
{
    const char *dir = hvt_start();
    struct peer a;
    hvt_peer(&a, 1);
    char path[128];
    snprintf(path, sizeof(path), "%s/hv/dom1", dir);
    struct {
        const char *what;
        uint32_t op, len;
        size_t send;
    } bad[] = {
        { "length", HVW_HELLO, 1u << 30, 8 },
        { "op", 999, 0, 8 },
        { "short", HVW_HELLO, 0, 3 },
        { "before hello", HVW_GNT_MAP, 0, 8 },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int s = hvw_connect(path);
        ck_assert_int_ge(s, 0);
        struct hvw_req req = { bad[i].op, bad[i].len };
        ck_assert_int_eq(hvw_send(s, &req, bad[i].send, NULL, 0, NULL, 0), 0);
        char buf[64];
        ck_assert_msg(hvw_recv(s, buf, sizeof(buf), NULL, NULL) == 0,
                      "connection with bad %s not closed", bad[i].what);
        close(s);
    }
    /* a request carrying a descriptor */
    {
        int s = hvw_connect(path);
        ck_assert_int_ge(s, 0);
        struct hvw_req req = { HVW_CTL_PING, 0 };
        int fd = 0;
        ck_assert_int_eq(hvw_send(s, &req, sizeof(req), NULL, 0, &fd, 1), 0);
        char buf[64];
        ck_assert_int_eq(hvw_recv(s, buf, sizeof(buf), NULL, NULL), 0);
        close(s);
    }
    /* a client that sends and never reads its replies */
    {
        int s = hvw_connect(path);
        ck_assert_int_ge(s, 0);
        struct hvw_hello hello = { HVW_KIND_GNTTAB, 0 };
        struct hvw_hello_rep hrep;
        ck_assert_int_eq(
            hvw_call(s, HVW_HELLO, &hello, sizeof(hello), &hrep, sizeof(hrep), NULL, NULL),
            (ssize_t)sizeof(hrep));
        uint32_t max = 1;
        struct hvw_req req = { HVW_GNT_SET_MAX, sizeof(max) };
        int sent = 0;
        /* blocks once the daemon stops reading us; fails once it cut us off */
        while (sent < 1000000 && hvw_send(s, &req, sizeof(req), &max, sizeof(max), NULL, 0) == 0)
            sent++;
        ck_assert_int_lt(sent, 1000000);
        close(s);
        ck_assert(hvt_trace_has("cut off: does not read its replies"));
    }
    /* a guest asking for toolstack control on its own socket */
    {
        int s = hvw_connect(path);
        ck_assert_int_ge(s, 0);
        struct hvw_hello hello = { HVW_KIND_CTL, 0 };
        struct hvw_hello_rep hrep;
        ck_assert_int_eq(
            hvw_call(s, HVW_HELLO, &hello, sizeof(hello), &hrep, sizeof(hrep), NULL, NULL), -EPERM);
        close(s);
        ck_assert(hvt_trace_has("of d1 asked for toolstack control: EPERM"));
    }
    ck_assert(hvt_trace_has("cut off: packet too large or carries descriptors"));
    ck_assert(hvt_trace_has("cut off: header says 1073741824 payload bytes"));
    ck_assert(hvt_trace_has("cut off: unknown op 999"));
    ck_assert(hvt_trace_has("cut off: packet shorter than a header"));
    /* others are still served */
    hvt_ok(&a, "share 0 1 1");
    ck_assert_int_eq(hvctl_ping(dir), 0);
    hvt_end(&a);
    hvt_stop();
}
END_TEST

/* A gnttab handle's unmap ring (wire.h) is read before anything else is
 * served: one whose producer runs past its room, or that names a mapping
 * the handle does not hold, gets its client cut off. */
START_TEST(unmap_ring_abuse_cut_off)
{
    const char *dir = hvt_start();
    struct peer a;
    hvt_peer(&a, 1);
    char path[128];
    snprintf(path, sizeof(path), "%s/hv/dom1", dir);
    struct {
        uint32_t prod, id;
        const char *why;
    } bad[] = {
        { HVW_UNMAP_RING + 5, 0,
          "cut off: unmap ring producer 1005 is 1005 entries past what was read" },
        { 1, 4242, "cut off: unmap ring names mapping 4242, which it does not hold" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int s = hvw_connect(path);
        ck_assert_int_ge(s, 0);
        struct hvw_hello hello = { HVW_KIND_GNTTAB, 0 };
        struct hvw_hello_rep hrep;
        int fd = -1;
        unsigned nfds = 1;
        ck_assert_int_eq(
            hvw_call(s, HVW_HELLO, &hello, sizeof(hello), &hrep, sizeof(hrep), &fd, &nfds),
            (ssize_t)sizeof(hrep));
        ck_assert_uint_eq(nfds, 1);
        struct hvw_unmap_ring *r =
            mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        ck_assert(r != MAP_FAILED);
        close(fd);
        r->map_id[0] = bad[i].id;
        __atomic_store_n(&r->prod, bad[i].prod, __ATOMIC_RELEASE);
        /* anyone's next request makes the daemon read the ring */
        ck_assert_int_eq(hvctl_ping(dir), 0);
        char buf[64];
        ck_assert_int_eq(hvw_recv(s, buf, sizeof(buf), NULL, NULL), 0);
        ck_assert(hvt_trace_has(bad[i].why));
        munmap(r, sizeof(*r));
        close(s);
    }
    /* others are still served */
    hvt_ok(&a, "share 0 1 1");
    hvt_end(&a);
    hvt_stop();
}
END_TEST

/* An unmap posted on the socket (its mapping carries a notification) is
 * served before the next map of the same process, even one the call page
 * would carry: mapping the page again sees the byte the unmap cleared. */
START_TEST(unmap_posted_before_next_map)
{
    hvt_start();
    struct peer a, b;
    hvt_peer(&a, 1);
    hvt_peer(&b, 2);
    int pa, pb;
    unsigned r;
    ck_assert_int_eq(sscanf(hvt_ok(&a, "bindu 2"), "%d", &pa), 1);
    ck_assert_int_eq(sscanf(hvt_ok(&b, "bindi 1 %d", pa), "%d", &pb), 1);
    ck_assert_int_eq(atoi(hvt_ok(&b, "wait")), pb);
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 2 1 1"), "%u", &r), 1);
    hvt_ok(&a, "setbyte 100 1");
    for (int i = 0; i < 20; i++) {
        hvt_ok(&b, "mapnotify 1 %u 100 %d", r, pb);
        hvt_ok(&b, "setbyte 100 1");
        hvt_ok(&b, "unmap");
        hvt_ok(&b, "map 1 1 %u", r);
        ck_assert_str_eq(hvt_ok(&b, "byte 100"), "0");
        hvt_ok(&b, "unmap");
    }
    hvt_end(&a);
    hvt_end(&b);
    assert_clean();
    hvt_stop();
}
END_TEST

/* A raw gnttab client and its call page (wire.h). */
struct raw_gnttab {
    int sock, bell, answer;
    struct hvw_call_page *page;
};

static void raw_open(struct raw_gnttab *g, const char *path)
{
    g->sock = hvw_connect(path);
    ck_assert_int_ge(g->sock, 0);
    struct hvw_hello hello = { HVW_KIND_GNTTAB, 0 };
    struct hvw_hello_rep hrep;
    int fd[4];
    unsigned nfds = 4;
    ck_assert_int_eq(
        hvw_call(g->sock, HVW_HELLO, &hello, sizeof(hello), &hrep, sizeof(hrep), fd, &nfds),
        (ssize_t)sizeof(hrep));
    ck_assert_uint_eq(nfds, 4);
    g->page = mmap(NULL, sizeof(*g->page), PROT_READ | PROT_WRITE, MAP_SHARED, fd[1], 0);
    ck_assert(g->page != MAP_FAILED);
    close(fd[0]);
    close(fd[1]);
    g->bell = fd[2];
    g->answer = fd[3];
}

static void raw_close(struct raw_gnttab *g)
{
    munmap(g->page, sizeof(*g->page));
    close(g->sock);
    close(g->bell);
    close(g->answer);
}

/* Puts a request in the page and rings. */
static void raw_ring(struct raw_gnttab *g, uint32_t seq, uint32_t op, const void *body,
                     uint32_t len)
{
    struct hvw_req req = { op, len };
    memcpy(g->page->req, &req, sizeof(req));
    memcpy(g->page->req + sizeof(req), body, len);
    __atomic_store_n(&g->page->seq, seq, __ATOMIC_RELEASE);
    uint64_t one = 1;
    ck_assert_int_eq(write(g->bell, &one, sizeof(one)), sizeof(one));
}

/* Requests in the call page are served as packets are; what a packet
 * could not say, or an op that may not come that way, cuts the client off
 * and nobody else; so does a client that never reads its answers. */
START_TEST(call_page_abuse_cut_off)
{
    const char *dir = hvt_start();
    struct peer a;
    hvt_peer(&a, 1);
    char path[128];
    snprintf(path, sizeof(path), "%s/hv/dom1", dir);
    struct raw_gnttab g;
    char b;
    uint32_t max = 64;

    /* a good request is answered in the page, a ring without one is not */
    raw_open(&g, path);
    raw_ring(&g, 1, HVW_GNT_SET_MAX, &max, sizeof(max));
    ck_assert_int_eq(read(g.answer, &b, 1), 1);
    ck_assert_uint_eq(__atomic_load_n(&g.page->done, __ATOMIC_ACQUIRE), 1);
    struct hvw_rep rep;
    memcpy(&rep, g.page->rep, sizeof(rep));
    ck_assert_int_eq(rep.err, 0);
    uint64_t one = 1;
    ck_assert_int_eq(write(g.bell, &one, sizeof(one)), sizeof(one)); /* no new request */
    raw_ring(&g, 2, HVW_GNT_SET_MAX, &max, sizeof(max));
    ck_assert_int_eq(read(g.answer, &b, 1), 1);
    ck_assert_uint_eq(__atomic_load_n(&g.page->done, __ATOMIC_ACQUIRE), 2);

    /* a length no packet could have */
    struct hvw_req big = { HVW_GNT_SET_MAX, HVW_MSG_MAX };
    memcpy(g.page->req, &big, sizeof(big));
    __atomic_store_n(&g.page->seq, 3, __ATOMIC_RELEASE);
    ck_assert_int_eq(write(g.bell, &one, sizeof(one)), sizeof(one));
    ck_assert_int_eq(read(g.answer, &b, 1), 0); /* EOF: cut off */
    ck_assert(hvt_trace_has("cut off: call page request of 65536 payload bytes"));
    raw_close(&g);

    /* an op whose reply carries descriptors */
    raw_open(&g, path);
    struct {
        struct hvw_mem_req hd;
        uint64_t id;
    } mem = { { 1, 0 }, 1 };
    raw_ring(&g, 1, HVW_GNT_MEM, &mem, sizeof(mem));
    ck_assert_int_eq(read(g.answer, &b, 1), 0); /* EOF: cut off */
    ck_assert(hvt_trace_has("cut off: op 19 through the call page"));
    raw_close(&g);

    /* answers never read: the pipe fills, the client is cut off */
    raw_open(&g, path);
    bool cut = false;
    for (uint32_t seq = 1; seq < 100000 && !cut; seq++) {
        raw_ring(&g, seq, HVW_GNT_SET_MAX, &max, sizeof(max));
        /* wait until the daemon took it: answered, or the socket closed */
        while (__atomic_load_n(&g.page->done, __ATOMIC_ACQUIRE) != seq && !cut) {
            struct pollfd p = { .fd = g.sock, .events = POLLIN };
            cut = poll(&p, 1, 0) == 1 && recv(g.sock, &b, 1, MSG_DONTWAIT) == 0;
            if (!cut)
                sched_yield();
        }
    }
    ck_assert(cut);
    ck_assert(hvt_trace_has("does not read its replies"));
    raw_close(&g);

    /* others are still served */
    hvt_ok(&a, "share 0 1 1");
    hvt_end(&a);
    hvt_stop();
}
END_TEST

/* A process waiting for an answer in its call page learns that the
 * daemon is gone (EOF on the answer pipe) instead of waiting for ever. */
START_TEST(call_page_daemon_gone)
{
    hvt_start();
    struct peer b;
    hvt_peer(&b, 1);
    ck_assert_str_eq(hvt_cmd(&b, "map 0 1 4242"), "err 22"); /* opens the handle */
    hvt_stop();
    ck_assert_str_eq(hvt_cmd(&b, "map 0 1 4242"), "err 104");
    hvt_end(&b);
}
END_TEST

/* The library keeps an unmapped range for the next map of the same pages
 * (gntdev.h): out of reach meanwhile, and handed back only for the same
 * live grant with the same protection. */
START_TEST(unmapped_range_parked_strictly)
{
    hvt_start();
    struct peer a, b;
    hvt_peer(&a, 1);
    hvt_peer(&b, 2);
    unsigned r, r2;
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 2 1 1"), "%u", &r), 1);
    hvt_ok(&a, "setbyte 0 7");
    /* read-only first: no write, and (the process never had the page
     * writable) no way to make it writable */
    hvt_ok(&b, "map 1 0 %u", r);
    ck_assert_str_eq(hvt_ok(&b, "byte 0"), "7");
    ck_assert_int_eq(atoi(hvt_ok(&b, "poke w")), SIGSEGV);
    ck_assert_int_eq(atoi(hvt_ok(&b, "poke p")), EACCES);
    hvt_ok(&b, "unmap");
    /* a use after unmap faults; the grant is unmapped at once */
    ck_assert_int_eq(atoi(hvt_ok(&b, "poke r")), SIGSEGV);
    ck_assert_int_eq(hvt_counts(2).mappings, 0);
    /* writable next, which the range kept read-only cannot give */
    hvt_ok(&b, "map 1 1 %u", r);
    ck_assert_int_eq(atoi(hvt_ok(&b, "poke w")), 0);
    ck_assert_str_eq(hvt_ok(&a, "byte 0"), "1");
    hvt_ok(&b, "unmap");
    ck_assert_int_eq(atoi(hvt_ok(&b, "poke r")), SIGSEGV);
    ck_assert_int_eq(atoi(hvt_ok(&b, "poke w")), SIGSEGV);
    /* mapped again: the grant's contents now, writable as asked */
    hvt_ok(&a, "setbyte 0 9");
    hvt_ok(&b, "map 1 1 %u", r);
    ck_assert_int_eq(hvt_counts(2).mappings, 1);
    ck_assert_str_eq(hvt_ok(&b, "byte 0"), "9");
    ck_assert_int_eq(atoi(hvt_ok(&b, "poke w")), 0);
    hvt_ok(&b, "unmap");
    /* read-only again: the range kept writable is not handed out */
    hvt_ok(&b, "map 1 0 %u", r);
    ck_assert_int_eq(atoi(hvt_ok(&b, "poke w")), SIGSEGV);
    hvt_ok(&b, "unmap");
    /* the grant ends: what was kept of it is no way back */
    hvt_ok(&a, "unshare");
    ck_assert_str_eq(hvt_cmd(&b, "map 1 1 %u", r), "err 22");
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 2 1 1"), "%u", &r2), 1);
    hvt_ok(&a, "setbyte 0 5");
    hvt_ok(&b, "map 1 1 %u", r2);
    ck_assert_str_eq(hvt_ok(&b, "byte 0"), "5");
    hvt_ok(&b, "unmap");
    hvt_ok(&a, "unshare");
    hvt_end(&a);
    hvt_end(&b);
    assert_clean();
    hvt_stop();
}
END_TEST

START_TEST(no_socket_in_environment)
{
    hvt_start();
    struct peer p;
    hvt_peer_noenv(&p);
    ck_assert_str_eq(hvt_cmd(&p, "open"), "err 2");
    hvt_end(&p);
    hvt_stop();
}
END_TEST

START_TEST(hvctl_domains)
{
    const char *dir = hvt_start();
    ck_assert_int_eq(hvctl_ping(dir), 0);
    ck_assert_int_eq(hvctl_domain_create(dir, 5, NULL), 0);
    ck_assert_int_eq(hvctl_domain_create(dir, 5, NULL), 1);
    char path[128];
    snprintf(path, sizeof(path), "%s/hv/dom5", dir);
    ck_assert_int_eq(access(path, F_OK), 0);
    ck_assert_int_eq(hvctl_domain_create(dir, DOMID_FIRST_RESERVED, NULL), -EINVAL);
    ck_assert_int_eq(hvctl_domain_destroy(dir, 6), -ESRCH);
    ck_assert_int_eq(hvctl_domain_destroy(dir, 0), -EPERM);
    /* a domain's clients go with it */
    struct peer p;
    hvt_peer(&p, 5);
    hvt_ok(&p, "share 0 2 1");
    ck_assert_int_eq(hvt_counts(5).grants, 2);
    ck_assert_int_eq(hvctl_domain_destroy(dir, 5), 0);
    ck_assert_int_ne(access(path, F_OK), 0);
    ck_assert_int_eq(hvt_counts(-1).grants, 0);
    hvt_kill(&p, SIGKILL);
    hvt_stop();
    ck_assert_int_lt(hvctl_ping(dir), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hv-proc-grants");
    TCase *tc = tcase_create("grants");
    tcase_add_unchecked_fixture(tc, hvt_suite_setup, hvt_suite_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, share_map_read_write);
    tcase_add_test(tc, readonly_grant);
    tcase_add_test(tc, refused_maps);
    tcase_add_test(tc, grant_copy);
    tcase_add_test(tc, plain_munmap_ends_mapping);
    tcase_add_test(tc, large_regions);
    tcase_add_test(tc, map_notify_on_unmap);
    tcase_add_test(tc, map_notify_on_kill);
    tcase_add_test(tc, kill_leaves_no_leak);
    tcase_add_test(tc, malicious_client_cut_off);
    tcase_add_test(tc, unmap_ring_abuse_cut_off);
    tcase_add_test(tc, unmap_posted_before_next_map);
    tcase_add_test(tc, call_page_abuse_cut_off);
    tcase_add_test(tc, call_page_daemon_gone);
    tcase_add_test(tc, unmapped_range_parked_strictly);
    tcase_add_test(tc, no_socket_in_environment);
    tcase_add_test(tc, hvctl_domains);
    suite_add_tcase(s, tc);
    return check_main(s);
}
