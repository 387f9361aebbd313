/*
 * The unikernel's xenstore ring client, formatter and string helpers, run
 * in a Linux process.  The hypercall side is replaced by a scripted
 * xenstored that serves the same shared page: it runs whenever the client
 * notifies or blocks, and the fake clock advances one second per block,
 * so timeouts are reached without waiting.  Modes make the daemon
 * hostile (overlong message, wrong request id, corrupt indices, silence).
 */
#include <check.h>

#include "tests/lib/check_main.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "frontends/os/unikernel/uk.h"
#include <xen/io/xs_wire.h>

/* ---- fakes of the hypercall side ---------------------------------------- */
static struct xenstore_domain_interface *ring;
static uint64_t fake_now = 1000;
static char logbuf[4096];
static int notifies;

enum mode { NORMAL, SILENT, OVERLONG, WRONG_ID, BAD_INDEX, WATCH_FIRST, CONFLICT };
static enum mode mode;

static void serve(void);

long uk_hvm_get_param(unsigned index, uint64_t *value)
{
    if (index == HVM_PARAM_STORE_PFN)
        *value = (uint64_t)(uintptr_t)ring >> UK_PAGE_SHIFT;
    else if (index == HVM_PARAM_STORE_EVTCHN)
        *value = 7;
    else
        return -OS_EINVAL;
    return 0;
}
void uk_evtchn_internal(evtchn_port_t port)
{
    ck_assert_uint_eq(port, 7);
}
int uk_evtchn_send(evtchn_port_t port)
{
    ck_assert_uint_eq(port, 7);
    notifies++;
    serve();
    return 0;
}
bool uk_block(uint64_t deadline_ns)
{
    fake_now += 1000000000ull;
    serve();
    return false;
}
uint64_t uk_now_ns(void)
{
    return fake_now;
}
void *os_malloc(struct os *os, size_t size)
{
    return malloc(size);
}
void os_free(struct os *os, void *p)
{
    free(p);
}
void os_log(struct os *os, enum os_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t l = strlen(logbuf);
    vsnprintf(logbuf + l, sizeof logbuf - l, fmt, ap);
    va_end(ap);
    strncat(logbuf, "\n", sizeof logbuf - strlen(logbuf) - 1);
}

/* ---- the scripted xenstored --------------------------------------------- */
struct node {
    char path[128];
    char value[4200];
};
static struct node nodes[96];
static struct watch {
    char path[128], token[64];
} watches[4];
static char reqbuf[XENSTORE_PAYLOAD_MAX + 64];
static size_t req_len;
static char outq[65536];
static size_t out_len, out_sent;

static struct node *find(const char *path)
{
    for (int i = 0; i < 96; i++)
        if (nodes[i].path[0] && strcmp(nodes[i].path, path) == 0)
            return &nodes[i];
    return NULL;
}

static void emit(uint32_t type, uint32_t req_id, uint32_t tx, const void *body, uint32_t len)
{
    struct xsd_sockmsg h = { .type = type, .req_id = req_id, .tx_id = tx, .len = len };
    if (mode == OVERLONG)
        h.len = XENSTORE_PAYLOAD_MAX + 1;
    if (mode == WRONG_ID && type != XS_WATCH_EVENT)
        h.req_id += 100;
    memcpy(outq + out_len, &h, sizeof h);
    memcpy(outq + out_len + sizeof h, body, len);
    out_len += sizeof h + len;
}

static void fire(const char *path)
{
    for (int i = 0; i < 4; i++) {
        size_t pl = strlen(watches[i].path);
        if (!pl || strncmp(path, watches[i].path, pl) != 0 || (path[pl] && path[pl] != '/'))
            continue;
        char body[256];
        size_t n = (size_t)snprintf(body, sizeof body, "%s%c%s", path, 0, watches[i].token) + 1;
        emit(XS_WATCH_EVENT, 0, 0, body, (uint32_t)n);
    }
}

static void handle(const struct xsd_sockmsg *h, const char *body)
{
    const char *err = NULL;
    char reply[XENSTORE_PAYLOAD_MAX];
    uint32_t rlen = 0;
    if (mode == WATCH_FIRST) {
        static const char ev[] = "/elsewhere\0early";
        emit(XS_WATCH_EVENT, 0, 0, ev, sizeof ev);
    }
    switch (h->type) {
    case XS_READ: {
        struct node *n = find(body);
        if (!n)
            err = "ENOENT";
        else
            memcpy(reply, n->value, rlen = (uint32_t)strlen(n->value));
        break;
    }
    case XS_WRITE: {
        size_t pl = strlen(body);
        struct node *n = find(body);
        for (int i = 0; !n && i < 96; i++)
            if (!nodes[i].path[0])
                n = &nodes[i];
        ck_assert_ptr_nonnull(n);
        ck_assert_uint_lt(pl, sizeof n->path);
        memcpy(n->path, body, pl + 1);
        memcpy(n->value, body + pl + 1, h->len - pl - 1);
        n->value[h->len - pl - 1] = '\0';
        memcpy(reply, "OK", rlen = 3);
        break;
    }
    case XS_DIRECTORY:
        if (strcmp(body, "/d") == 0)
            memcpy(reply, "a\0bb\0ccc", rlen = 9);
        else
            err = "ENOENT";
        break;
    case XS_TRANSACTION_START: memcpy(reply, "17", rlen = 3); break;
    case XS_TRANSACTION_END:
        if (h->tx_id != 17)
            err = "ENOENT";
        else if (mode == CONFLICT && body[0] == 'T')
            err = "EAGAIN";
        else
            memcpy(reply, "OK", rlen = 3);
        break;
    case XS_WATCH:
        for (int i = 0; i < 4; i++)
            if (!watches[i].path[0]) {
                snprintf(watches[i].path, sizeof watches[i].path, "%s", body);
                snprintf(watches[i].token, sizeof watches[i].token, "%s", body + strlen(body) + 1);
                break;
            }
        memcpy(reply, "OK", rlen = 3);
        break;
    default: err = "ENOSYS";
    }
    if (err)
        emit(XS_ERROR, h->req_id, h->tx_id, err, (uint32_t)strlen(err) + 1);
    else
        emit(h->type, h->req_id, h->tx_id, reply, rlen);
    /* As xenstored: a new watch fires once; a write fires the watches. */
    if (!err && h->type == XS_WATCH)
        fire(body);
    if (!err && h->type == XS_WRITE)
        fire(body);
}

static void serve(void)
{
    if (mode == SILENT)
        return;
    /* Take requests (a frame may span several notifies). */
    while (ring->req_cons != ring->req_prod) {
        reqbuf[req_len++] = ring->req[MASK_XENSTORE_IDX(ring->req_cons)];
        ring->req_cons++;
        struct xsd_sockmsg h;
        if (req_len < sizeof h)
            continue;
        memcpy(&h, reqbuf, sizeof h);
        if (req_len == sizeof h + h.len) {
            reqbuf[req_len] = '\0';
            handle(&h, reqbuf + sizeof h);
            req_len = 0;
        }
    }
    if (mode == BAD_INDEX && out_len) {
        ring->rsp_prod = ring->rsp_cons + XENSTORE_RING_SIZE + 1;
        return;
    }
    /* Give what fits; the rest when the client has made room. */
    while (out_sent < out_len && ring->rsp_prod - ring->rsp_cons < XENSTORE_RING_SIZE) {
        ring->rsp[MASK_XENSTORE_IDX(ring->rsp_prod)] = outq[out_sent++];
        ring->rsp_prod++;
    }
    if (out_sent == out_len)
        out_len = out_sent = 0;
}

static void setup(void)
{
    /* The client finds the page by frame number below 4 GiB. */
    void *p =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    ck_assert_ptr_ne(p, MAP_FAILED);
    ring = p;
    mode = NORMAL;
    ck_assert_int_eq(uk_xs_init(), 0);
}

static struct os os;

/* ---- tests -------------------------------------------------------------- */
START_TEST(test_read_write)
{
    char buf[64];
    ck_assert_int_eq(os_xs_write(&os, 0, "device/vbd/51712/state", "4"), 0);
    ck_assert_int_eq(os_xs_read(&os, 0, "device/vbd/51712/state", buf, sizeof buf), 1);
    ck_assert_str_eq(buf, "4");
    ck_assert_int_eq(os_xs_read(&os, 0, "nope", buf, sizeof buf), -OS_ENOENT);
    ck_assert_int_eq(os_xs_write(&os, 0, "k", "twelve chars"), 0);
    ck_assert_int_eq(os_xs_read(&os, 0, "k", buf, 12), -OS_E2BIG);
    ck_assert_int_eq(os_xs_read(&os, 0, "k", buf, 13), 12);
    ck_assert_int_eq(os_xs_mkdir(&os, 0, "x"), -OS_ENOSYS);
    ck_assert_uint_gt(notifies, 0);
}
END_TEST

START_TEST(test_large_values_wrap_both_rings)
{
    static char big[4001], back[4096];
    for (int i = 0; i < 4000; i++)
        big[i] = (char)('a' + i % 26);
    ck_assert_int_eq(os_xs_write(&os, 0, "big", big), 0);
    for (int round = 0; round < 3; round++) {
        ck_assert_int_eq(os_xs_read(&os, 0, "big", back, sizeof back), 4000);
        ck_assert_str_eq(back, big);
    }
    char too_long[XENSTORE_PAYLOAD_MAX + 8];
    memset(too_long, 'v', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    ck_assert_int_eq(os_xs_write(&os, 0, "p", too_long), -OS_E2BIG);
}
END_TEST

START_TEST(test_directory)
{
    char buf[16];
    ck_assert_int_eq(os_xs_directory(&os, 0, "/d", buf, sizeof buf), 3);
    ck_assert_int_eq(memcmp(buf, "a\0bb\0ccc", 9), 0);
    ck_assert_int_eq(os_xs_directory(&os, 0, "/d", buf, 8), -OS_E2BIG);
    ck_assert_int_eq(os_xs_directory(&os, 0, "/none", buf, sizeof buf), -OS_ENOENT);
}
END_TEST

START_TEST(test_watches)
{
    char path[64], token[16];
    ck_assert_int_eq(os_xs_next_watch(&os, path, sizeof path, token, sizeof token), 0);
    ck_assert_int_eq(os_xs_watch(&os, "backend/vbd", "be"), 0);
    ck_assert_int_eq(os_xs_next_watch(&os, path, sizeof path, token, sizeof token), 1);
    ck_assert_str_eq(path, "backend/vbd");
    ck_assert_str_eq(token, "be");
    ck_assert_int_eq(os_xs_next_watch(&os, path, sizeof path, token, sizeof token), 0);
    ck_assert_int_eq(os_xs_write(&os, 0, "backend/vbd/state", "2"), 0);
    ck_assert_int_eq(os_xs_write(&os, 0, "backend/vbdx", "no"), 0);
    ck_assert_int_eq(os_xs_next_watch(&os, path, sizeof path, token, sizeof token), 1);
    ck_assert_str_eq(path, "backend/vbd/state");
    ck_assert_int_eq(os_xs_next_watch(&os, path, sizeof path, token, sizeof token), 0);
    ck_assert(!uk_xs_watch_queued());
    /* A watch event ahead of a reply is queued, not taken as the reply. */
    mode = WATCH_FIRST;
    char buf[8];
    ck_assert_int_eq(os_xs_read(&os, 0, "backend/vbd/state", buf, sizeof buf), 1);
    ck_assert_str_eq(buf, "2");
    ck_assert(uk_xs_watch_queued());
    ck_assert_int_eq(os_xs_next_watch(&os, path, 4, token, sizeof token), -OS_E2BIG);
}
END_TEST

START_TEST(test_watch_queue_keeps_newest)
{
    char path[64], token[16], val[8];
    ck_assert_int_eq(os_xs_watch(&os, "w", "tok"), 0); /* event 0: "w" */
    for (int i = 1; i <= 70; i++) {
        snprintf(path, sizeof path, "w/%d", i);
        ck_assert_int_eq(os_xs_write(&os, 0, path, "x"), 0);
        if (i % 10 == 0) /* a read lets the client drain without consuming */
            os_xs_read(&os, 0, path, val, sizeof val);
    }
    int n = 0;
    while (os_xs_next_watch(&os, path, sizeof path, token, sizeof token) == 1) {
        char want[16];
        snprintf(want, sizeof want, "w/%d", 70 - 64 + 1 + n);
        ck_assert_str_eq(path, want);
        n++;
    }
    ck_assert_int_eq(n, 64);
}
END_TEST

START_TEST(test_transactions)
{
    os_xs_tx tx = 0;
    ck_assert_int_eq(os_xs_tx_start(&os, &tx), 0);
    ck_assert_uint_eq(tx, 17);
    ck_assert_int_eq(os_xs_tx_end(&os, tx, false), 0);
    ck_assert_int_eq(os_xs_tx_end(&os, 5, false), -OS_ENOENT);
    mode = CONFLICT;
    ck_assert_int_eq(os_xs_tx_end(&os, tx, false), -OS_EAGAIN);
    ck_assert_int_eq(os_xs_tx_end(&os, tx, true), 0);
}
END_TEST

static void check_cut_off(enum mode m, int first_rc, const char *why)
{
    char buf[8];
    os_xs_write(&os, 0, "k", "v");
    mode = m;
    ck_assert_int_eq(os_xs_read(&os, 0, "k", buf, sizeof buf), first_rc);
    ck_assert_msg(strstr(logbuf, why), "log lacks \"%s\": %s", why, logbuf);
    /* Cut off for good, even once the daemon behaves again. */
    mode = NORMAL;
    ck_assert_int_eq(os_xs_read(&os, 0, "k", buf, sizeof buf), -OS_EIO);
    ck_assert_int_eq(os_xs_write(&os, 0, "k", "v"), -OS_EIO);
}

START_TEST(test_hostile_overlong)
{
    check_cut_off(OVERLONG, -OS_EIO, "longer than XENSTORE_PAYLOAD_MAX");
}
END_TEST
START_TEST(test_hostile_wrong_id)
{
    check_cut_off(WRONG_ID, -OS_EIO, "not in flight");
}
END_TEST
START_TEST(test_hostile_indices)
{
    check_cut_off(BAD_INDEX, -OS_EIO, "indices out of range");
}
END_TEST
START_TEST(test_silent_daemon_times_out)
{
    uint64_t t0 = fake_now;
    check_cut_off(SILENT, -OS_ETIMEDOUT, "no reply within 30 s");
    ck_assert_uint_ge(fake_now - t0, 30000000000ull);
    ck_assert_uint_le(fake_now - t0, 32000000000ull);
}
END_TEST

/* ---- formatter and helpers ---------------------------------------------- */
#define SAME(...)                                       \
    do {                                                \
        char a[128], b[128];                            \
        int na = os_snprintf(a, sizeof a, __VA_ARGS__); \
        int nb = snprintf(b, sizeof b, __VA_ARGS__);    \
        ck_assert_str_eq(a, b);                         \
        ck_assert_int_eq(na, nb);                       \
    } while (0)

START_TEST(test_format_matches_libc)
{
    SAME("%d %u %x %s %c %%", -42, 42u, 0xbeefu, "str", 'q');
    SAME("[%5d][%-5d][%05d][%05d]", 42, 42, 42, -42);
    SAME("%ld %lu %lx %lld %llu %llx", -1L, ~0UL, 0xfeedUL, (long long)INT64_MIN, ~0ULL, 0x123ULL);
    SAME("%zu %zx %zd", (size_t)12345, (size_t)0xabc, (size_t)7);
    SAME("%p", (void *)0x1234);
    SAME("[%8s][%-8s][%s]", "ab", "cd", "");
    SAME("%08x|%-8x|", 0xabu, 0xcdu);
    char small[6];
    ck_assert_int_eq(os_snprintf(small, sizeof small, "%s", "truncated"), 9);
    ck_assert_str_eq(small, "trunc");
    ck_assert_int_eq(os_snprintf(NULL, 0, "%d", 12345), 5);
    char out[32];
    const char *unknown = "a%qb%"; /* not a literal: the compiler would refuse it */
    os_snprintf(out, sizeof out, unknown, 1);
    ck_assert_str_eq(out, "a%qb%");
}
END_TEST

START_TEST(test_parse_u64)
{
    uint64_t v = 7;
    ck_assert_int_eq(os_parse_u64("0", &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(os_parse_u64("18446744073709551615", &v), 0);
    ck_assert_uint_eq(v, UINT64_MAX);
    ck_assert_int_eq(os_parse_u64("0x1F", &v), 0);
    ck_assert_uint_eq(v, 31);
    const char *bad[] = {
        "", "18446744073709551616", "0x", "12a", "-1", " 1", "0x10000000000000000"
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(os_parse_u64(bad[i], &v) == -OS_EINVAL, "accepted \"%s\"", bad[i]);
    ck_assert_int_eq(os_strncmp("abc", "abd", 2), 0);
    ck_assert_int_lt(os_strncmp("abc", "abd", 3), 0);
    ck_assert_int_gt(os_strcmp("b", "a"), 0);
    ck_assert_int_eq(os_strcmp("same", "same"), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("uk_xenstore");
    TCase *xs = tcase_create("xenstore");
    tcase_add_checked_fixture(xs, setup, NULL);
    tcase_add_test(xs, test_read_write);
    tcase_add_test(xs, test_large_values_wrap_both_rings);
    tcase_add_test(xs, test_directory);
    tcase_add_test(xs, test_watches);
    tcase_add_test(xs, test_watch_queue_keeps_newest);
    tcase_add_test(xs, test_transactions);
    tcase_add_test(xs, test_hostile_overlong);
    tcase_add_test(xs, test_hostile_wrong_id);
    tcase_add_test(xs, test_hostile_indices);
    tcase_add_test(xs, test_silent_daemon_times_out);
    suite_add_tcase(s, xs);
    TCase *fmt = tcase_create("fmt");
    tcase_add_test(fmt, test_format_matches_libc);
    tcase_add_test(fmt, test_parse_u64);
    suite_add_tcase(s, fmt);
    return check_main(s);
}
