/*
 * vchan, and QubesDB over it, in the in-process world: two world homes
 * of os.h (backends-sim/world/home/) on one hypervisor core and one
 * xenstore core, stepped by hand.  The server grants, the client maps
 * through the core's GNTTABOP_map, both bind one event channel; bytes
 * move both ways through rings in pages of their own, a client that
 * closes and one that vanishes (its home freed, as a dying process) are
 * both seen by the server, and a QubesDB client reads what a dom0 server
 * in the world sends it.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends-sim/world/home/os_world.h"
#include "backends-sim/world/world_fixture.h"
#include "frontends/qubesdb.h"
#include "frontends/qubesdb_link.h"
#include "frontends/vchan.h"
#include "tests/lib/check_main.h"

#define FRAMES 256
#define PATH "/local/domain/1/data/vchan/2/7"

struct tw {
    struct hvhost *hv;
    struct wf_xenstore xs;
    struct xsc_client *cl[3];
    struct os *os[3];
    uint64_t now;
    char log[4096];
};

static void on_notify(void *ctx, domid_t d, evtchn_port_t port)
{
    struct tw *t = ctx;
    if (d < 3 && t->os[d])
        os_world_deliver_event(t->os[d], port);
}

static void on_trace(void *ctx, domid_t d, const char *line)
{
    struct tw *t = ctx;
    /* the last goodbye to a peer that closed first is dropped, as Xen
     * drops it; anything else is a rule broken */
    if (strstr(line, "port is unbound, event dropped"))
        return;
    size_t n = strlen(t->log);
    snprintf(t->log + n, sizeof t->log - n, "hv: %s\n", line);
}

static uint64_t now_ns(void *ctx)
{
    return ((struct tw *)ctx)->now;
}

static int wait_some(void *ctx, uint64_t deadline_ns)
{
    ((struct tw *)ctx)->now += 1000;
    return 1;
}

static uint8_t *memory(void *ctx, domid_t d, uint64_t *frames)
{
    return hvhost_memory(((struct tw *)ctx)->hv, d, frames);
}

static void on_log(void *ctx, enum os_log_level level, const char *line)
{
    struct tw *t = ctx;
    size_t n = strlen(t->log);
    if (level <= OS_LOG_WARN)
        snprintf(t->log + n, sizeof t->log - n, "%s\n", line);
}

static const struct os_world_ops ops = {
    .now_ns = now_ns, .wait = wait_some, .log = on_log, .memory = memory
};

static void xs_do(struct tw *t, uint32_t type, const char *a, const char *b)
{
    struct xsc_reply r;
    int err = b ? xsc_client_strs(t->xs.dom0, type, 0, &r, a, b, NULL)
                : xsc_client_strs(t->xs.dom0, type, 0, &r, a, NULL);
    ck_assert_int_eq(err, 0);
}

/* Domains 0, 1 and 2, each with its xenstore home as the toolstack
 * makes it, and a world home of os.h for each. */
static void world_up(struct tw *t)
{
    memset(t, 0, sizeof *t);
    static const struct hvhost_ops hops = { .notify = on_notify, .trace = on_trace };
    t->hv = wf_hv_open_ops(&hops, t);
    ck_assert_ptr_nonnull(t->hv);
    ck_assert_int_eq(wf_xenstore_open(&t->xs), 0);
    for (domid_t d = 0; d < 3; d++) {
        ck_assert_int_eq(hvhost_domain_create(t->hv, d, FRAMES), 0);
        char home[32], perm[16];
        snprintf(home, sizeof home, "/local/domain/%u", d);
        snprintf(perm, sizeof perm, "n%u", d);
        xs_do(t, XS_MKDIR, home, NULL);
        if (d)
            xs_do(t, XS_SET_PERMS, home, perm);
        t->cl[d] = d ? xsc_client_open(t->xs.core, d) : t->xs.dom0;
        ck_assert_ptr_nonnull(t->cl[d]);
        uint64_t frames;
        struct os_world_host h = { .hv = hvhost_hv(t->hv),
                                   .domid = d,
                                   .mem = hvhost_memory(t->hv, d, &frames),
                                   .nr_frames = frames,
                                   .xs = t->cl[d] };
        t->os[d] = os_world_new(&h, &ops, t);
        ck_assert_ptr_nonnull(t->os[d]);
    }
}

static void world_down(struct tw *t)
{
    for (domid_t d = 0; d < 3; d++) {
        os_world_free(t->os[d]);
        if (d)
            xsc_client_close(t->cl[d]);
    }
    ck_assert_uint_eq(wf_xenstore_close(&t->xs), 0);
    hvhost_free(t->hv);
}

/* Hands every queued watch event to its home. */
static void pump(struct tw *t)
{
    for (domid_t d = 0; d < 3; d++)
        while (t->os[d] && os_world_deliver_watch(t->os[d], NULL, 0))
            ;
    t->now += 1000;
}

static void connect_pair(struct tw *t, size_t ring, struct vchan **s, struct vchan **c)
{
    ck_assert_int_eq(vchan_server_open(t->os[1], 2, PATH, ring, ring, s), 0);
    ck_assert_int_eq(vchan_client_open(t->os[2], 1, PATH, c), 0);
    for (int i = 0; i < 100; i++) {
        pump(t);
        (void)vchan_poll(*c);
        (void)vchan_poll(*s);
        if (vchan_state(*s) == VCHAN_CONNECTED && vchan_state(*c) == VCHAN_CONNECTED)
            break;
    }
    ck_assert_msg(vchan_state(*c) == VCHAN_CONNECTED, "client: %s", t->log);
    ck_assert_msg(vchan_state(*s) == VCHAN_CONNECTED, "server: %s", t->log);
    ck_assert_uint_ge(vchan_read_size(*c), ring);
}

static uint8_t pattern(uint32_t seed, size_t i)
{
    return (uint8_t)((i * 2654435761u ^ seed) >> 7);
}

START_TEST(bytes_move_both_ways_through_mapped_rings)
{
    struct tw t;
    world_up(&t);
    struct vchan *s, *c;
    connect_pair(&t, 8192, &s, &c);
    /* the server's keys have done their job */
    char v[32];
    ck_assert_int_eq(os_xs_read(t.os[1], 0, PATH "/ring-ref", v, sizeof v), -OS_ENOENT);

    enum { N = 300000 };
    static uint8_t in_c[N], in_s[N];
    size_t sent_s = 0, sent_c = 0, got_c = 0, got_s = 0;
    for (int round = 0; round < 2000 && (got_c < N || got_s < N); round++) {
        uint8_t buf[3000];
        size_t n = N - sent_s < sizeof buf ? N - sent_s : sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = pattern(1, sent_s + i);
        long w = vchan_write(s, buf, n);
        ck_assert_int_ge(w, 0);
        sent_s += (size_t)w;
        n = N - sent_c < sizeof buf ? N - sent_c : sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = pattern(2, sent_c + i);
        w = vchan_write(c, buf, n);
        ck_assert_int_ge(w, 0);
        sent_c += (size_t)w;
        long r = vchan_read(c, in_c + got_c, N - got_c);
        ck_assert_int_ge(r, 0);
        got_c += (size_t)r;
        r = vchan_read(s, in_s + got_s, N - got_s);
        ck_assert_int_ge(r, 0);
        got_s += (size_t)r;
        ck_assert_int_ge(vchan_poll(s), 0);
        ck_assert_int_ge(vchan_poll(c), 0);
    }
    ck_assert_msg(got_c == N && got_s == N, "sent %zu/%zu got %zu/%zu: %s", sent_s, sent_c, got_c,
                  got_s, t.log);
    size_t bad = N;
    for (size_t i = 0; i < N && bad == N; i++)
        if (in_c[i] != pattern(1, i) || in_s[i] != pattern(2, i))
            bad = i;
    ck_assert_msg(bad == N, "byte %zu differs", bad);
    /* the client says goodbye; the server sees it */
    vchan_close(c);
    ck_assert_int_eq(vchan_poll(s), VCHAN_CLOSED);
    vchan_close(s);
    ck_assert_msg(t.log[0] == 0, "%s", t.log);
    world_down(&t);
}
END_TEST

/* The client's home goes without closing (a process that died): the
 * unmap notification clears its live byte and the server sees it gone;
 * the other way round too. */
START_TEST(a_vanished_peer_is_seen)
{
    struct tw t;
    world_up(&t);
    struct vchan *s, *c;
    connect_pair(&t, 1024, &s, &c);
    os_world_free(t.os[2]);
    t.os[2] = NULL;
    ck_assert_int_eq(vchan_poll(s), VCHAN_CLOSED);
    ck_assert_int_eq(vchan_read(s, (char[4]){ 0 }, 4), -OS_ESHUTDOWN);
    vchan_close(s);
    free(c); /* the dead process's memory */
    world_down(&t);

    world_up(&t);
    connect_pair(&t, 65536, &s, &c);
    os_world_free(t.os[1]);
    t.os[1] = NULL;
    ck_assert_int_eq(vchan_poll(c), VCHAN_CLOSED);
    vchan_close(c);
    free(s);
    world_down(&t);
}
END_TEST

/* A dom0 QubesDB server in the world (port 111, 4096-byte rings): the
 * VM's client syncs the whole database and follows a later write. */
START_TEST(qubesdb_client_syncs_from_dom0_in_the_world)
{
    struct tw t;
    world_up(&t);
    char base[96];
    vchan_qubes_path(base, sizeof base, 0, 1, QDB_VCHAN_PORT);
    struct vchan *sv;
    ck_assert_int_eq(vchan_server_open(t.os[0], 1, base, 4096, 4096, &sv), 0);
    static struct qdb_link link;
    qdb_link_init(&link, t.os[0], sv, "dom0 qubesdb");
    struct qubesdb *db;
    ck_assert_int_eq(qubesdb_open(t.os[1], 0, &db), 0);
    bool dumped = false, wrote = false;
    for (int i = 0; i < 1000 && !wrote; i++) {
        pump(&t);
        ck_assert_int_ge(qubesdb_poll(db), 0);
        (void)vchan_poll(sv);
        ck_assert_int_ge(qdb_link_flush(&link), 0);
        struct qdb_hdr h;
        const char *value;
        while (qdb_link_next(&link, &h, &value) == 1) {
            if (h.type == QDB_CMD_MULTIREAD && !dumped) {
                /* descending, then the terminator, as Qubes' daemon */
                qdb_link_send(&link, QDB_RESP_MULTIREAD, "/qubes-ip", "10.137.0.5", 10);
                qdb_link_send(&link, QDB_RESP_MULTIREAD, "/name", "work", 4);
                qdb_link_send(&link, QDB_RESP_MULTIREAD, "", NULL, 0);
                dumped = true;
            } else if (h.type == QDB_RESP_OK) {
                wrote = true;
            }
        }
        if (dumped && qubesdb_phase(db) == QUBESDB_SYNCED && !wrote && i % 50 == 0)
            qdb_link_send(&link, QDB_CMD_WRITE, "/qubes-ip", "10.137.0.6", 10);
    }
    ck_assert_msg(qubesdb_phase(db) == QUBESDB_SYNCED, "%s", t.log);
    ck_assert_str_eq(qubesdb_read(db, "/name"), "work");
    ck_assert(wrote);
    ck_assert_str_eq(qubesdb_read(db, "/qubes-ip"), "10.137.0.6");
    qubesdb_close(db);
    (void)vchan_poll(sv);
    qdb_link_reset(&link);
    vchan_close(sv);
    world_down(&t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("world_vchan");
    TCase *tc = tcase_create("vchan");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, bytes_move_both_ways_through_mapped_rings);
    tcase_add_test(tc, a_vanished_peer_is_seen);
    tcase_add_test(tc, qubesdb_client_syncs_from_dom0_in_the_world);
    suite_add_tcase(s, tc);
    return check_main(s);
}
