/*
 * vchan (frontends/vchan.c) on the simulator, end to end: vchan-stream
 * in one domain, its peer in another, each through `splitbed exec`.
 * The peer is vchan-stream itself, Debian's real libxenvchan
 * (tests/vchan-peer), or a server that breaks the protocol
 * (tests/vchan-hostile).  Both ends print the FNV-1a 64 of what they
 * sent and received; each side's "sent" must be the other's "recv".
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/qubes_sim.h"
#include "tests/lib/scratch.h"
#include "tests/lib/check_main.h"
#include "tests/lib/runproc.h"

#define PATH "/local/domain/1/data/vchan/2/7"

static void make_domain(unsigned d)
{
    struct qs_proc p;
    const char *argv[] = { "true", NULL };
    qs_exec(&p, d, argv);
    ck_assert_int_eq(qs_wait(&p), 0);
}

static void sums(const char *line, const char *who, unsigned long long *s, unsigned long long *r)
{
    ck_assert_msg(sscanf(line, "sent %llx recv %llx", s, r) == 2, "%s said: '%s'", who, line);
}

/* server in domain 1, client in domain 2; argv without the role's
 * arguments PEER PATH, which are added here. */
static void pair(const char *server_prog, const char *client_prog, const char *extra_opt,
                 const char *extra_val, const char *server_role)
{
    qs_start();
    make_domain(2);
    const char *sargv[] = { server_prog, server_role, "2", PATH, extra_opt, extra_val, NULL };
    const char *cargv[] = { client_prog, "client", "1", PATH, extra_opt, extra_val, NULL };
    if (!strstr(server_prog, "vchan-stream"))
        sargv[4] = NULL;
    if (!strstr(client_prog, "vchan-stream"))
        cargv[4] = NULL;
    struct qs_proc srv, cli;
    qs_exec(&srv, 1, sargv);
    ck_assert_str_eq(qs_line(&srv), "ready");
    qs_exec(&cli, 2, cargv);
    unsigned long long cs, cr, ss, sr;
    char line[128];
    snprintf(line, sizeof line, "%s", qs_line(&cli));
    sums(line, "client", &cs, &cr);
    snprintf(line, sizeof line, "%s", qs_line(&srv));
    sums(line, "server", &ss, &sr);
    ck_assert(cs == sr);
    ck_assert(ss == cr);
    ck_assert(cs != ss);
    ck_assert_str_eq(qs_line(&cli), "closed");
    ck_assert_int_eq(qs_wait(&srv), 0);
    ck_assert_int_eq(qs_wait(&cli), 0);
    ck_assert_msg(qs_err_count(&cli, "[vchan]") == 0, "client: %s", cli.errbuf);
    ck_assert_msg(qs_err_count(&srv, "[vchan]") == 0, "server: %s", srv.errbuf);
    qs_stop();
}

static const char *stream(void)
{
    static char b[4096];
    snprintf(b, sizeof b, "%s", build_path("libexec/splitbed/vchan-stream"));
    return b;
}

static const char *peer(void)
{
    static char b[4096];
    snprintf(b, sizeof b, "%s", build_path("tests/vchan-peer"));
    return b;
}

START_TEST(ours_server_libxenvchan_client)
{
    pair(stream(), peer(), NULL, NULL, "server");
}
END_TEST

START_TEST(libxenvchan_server_ours_client)
{
    pair(peer(), stream(), NULL, NULL, "server");
}
END_TEST

START_TEST(ours_both_ends_rings_in_the_page)
{
    /* 1024/1024 asked: 1 KiB and 2 KiB rings inside the shared page */
    pair(stream(), stream(), "--ring", "1024", "server");
}
END_TEST

START_TEST(ours_both_ends_1mib_rings)
{
    pair(stream(), stream(), "--ring", "1048576", "server");
}
END_TEST

START_TEST(ours_server_small_rings_libxenvchan_client)
{
    pair(stream(), peer(), "--ring", "2048", "server");
}
END_TEST

/* A server that stops without closing: its live byte is cleared by the
 * unmap notification of the dying process, and the client sees the
 * channel close. */
START_TEST(ours_server_vanishing_seen_by_libxenvchan)
{
    pair(stream(), peer(), NULL, NULL, "crash");
}
END_TEST

START_TEST(libxenvchan_server_vanishing_seen_by_ours)
{
    pair(peer(), stream(), NULL, NULL, "crash");
}
END_TEST

/* The benchmark's mode: bytes only, counted, with the transfer's time. */
static void raw_counts(const char *line, const char *who)
{
    unsigned long long sent, recvd, ns;
    ck_assert_msg(sscanf(line, "sent %llu recv %llu ns %llu", &sent, &recvd, &ns) == 3,
                  "%s said: '%s'", who, line);
    ck_assert_msg(sent == 4u << 20 && recvd == 4u << 20, "%s said: '%s'", who, line);
}

START_TEST(raw_mode_ours_server_libxenvchan_client)
{
    qs_start();
    make_domain(2);
    const char *sargv[] = { stream(), "server", "2", PATH, "--raw", NULL };
    const char *cargv[] = { peer(), "client", "1", PATH, NULL };
    const char *cenv[] = { "VCHAN_PEER_RAW=1", NULL };
    struct qs_proc srv, cli;
    qs_exec(&srv, 1, sargv);
    ck_assert_str_eq(qs_line(&srv), "ready");
    qs_exec_env(&cli, 2, cenv, cargv);
    raw_counts(qs_line(&cli), "client");
    raw_counts(qs_line(&srv), "server");
    ck_assert_str_eq(qs_line(&cli), "closed");
    ck_assert_int_eq(qs_wait(&srv), 0);
    ck_assert_int_eq(qs_wait(&cli), 0);
    qs_stop();
}
END_TEST

/* The client names the fault in one line, exits 1 and closes its end,
 * which the hostile server sees ("cut"). */
static void hostile(const char *mode, const char *needle)
{
    qs_start();
    make_domain(2);
    char hostile_bin[4096];
    snprintf(hostile_bin, sizeof hostile_bin, "%s", build_path("tests/vchan-hostile"));
    const char *sargv[] = { hostile_bin, mode, "2", PATH, NULL };
    const char *cargv[] = { stream(), "client", "1", PATH, NULL };
    struct qs_proc srv, cli;
    qs_exec(&srv, 1, sargv);
    ck_assert_str_eq(qs_line(&srv), "ready");
    qs_exec(&cli, 2, cargv);
    ck_assert_int_eq(qs_wait(&cli), 1);
    ck_assert_msg(qs_err_count(&cli, "[vchan]") == 1, "client said: %s", cli.errbuf);
    ck_assert_msg(qs_err_count(&cli, needle) == 1, "client said: %s", cli.errbuf);
    ck_assert_msg(qs_err_count(&cli, "cutting it off") == 1, "client said: %s", cli.errbuf);
    if (strcmp(mode, "order") && strcmp(mode, "grants"))
        ck_assert_str_eq(qs_line(&srv), "cut");
    qs_wait(&srv);
    qs_stop();
}

START_TEST(hostile_ring_order)
{
    hostile("order", "ring order outside 10..20");
}
END_TEST

START_TEST(hostile_grant_list)
{
    hostile("grants", "more grants than fit");
}
END_TEST

START_TEST(hostile_producer_index)
{
    hostile("prod", "producer index past the ring");
}
END_TEST

START_TEST(hostile_live_byte)
{
    hostile("live", "live byte that means nothing");
}
END_TEST

int main(void)
{
    scratch_prefix = "sbvchan";
    Suite *s = suite_create("vchan");
    TCase *tc = tcase_create("interop");
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, ours_server_libxenvchan_client);
    tcase_add_test(tc, libxenvchan_server_ours_client);
    tcase_add_test(tc, ours_both_ends_rings_in_the_page);
    tcase_add_test(tc, ours_both_ends_1mib_rings);
    tcase_add_test(tc, ours_server_small_rings_libxenvchan_client);
    tcase_add_test(tc, ours_server_vanishing_seen_by_libxenvchan);
    tcase_add_test(tc, libxenvchan_server_vanishing_seen_by_ours);
    tcase_add_test(tc, raw_mode_ours_server_libxenvchan_client);
    suite_add_tcase(s, tc);
    TCase *th = tcase_create("hostile");
    tcase_add_unchecked_fixture(th, scratch_setup, scratch_teardown);
    tcase_set_timeout(th, 120);
    tcase_add_test(th, hostile_ring_order);
    tcase_add_test(th, hostile_grant_list);
    tcase_add_test(th, hostile_producer_index);
    tcase_add_test(th, hostile_live_byte);
    suite_add_tcase(s, th);
    return check_main(s);
}
