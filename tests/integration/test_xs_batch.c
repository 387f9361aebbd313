/*
 * test_xs_batch.c — the toolstack's pipelined transactions
 * (harness/xs_batch.h) against splitbed-xenstored: requests sent back to
 * back are answered in order, a failed one is named while the ones after
 * it still get their own answers, probes tell what exists, an abort
 * leaves nothing, and a commit that conflicts says EAGAIN.  What the
 * batch wrote is read back through Debian's libxenstore.
 */
#include "harness/xs_batch.h"
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#define TIMEOUT 60

static char dir[64], sim[128], sock[200];
static struct runproc r;
static struct xs_batch *b;
static struct xs_handle *xs;

static void setup(void)
{
    scratch_dir(dir, sizeof dir);
    snprintf(sim, sizeof sim, "%s/sim", dir);
    char *argv[] = { (char *)build_path("bin/splitbed"), "hv", "start", "--dir", sim, NULL };
    runproc(&r, NULL, 0, TIMEOUT, NULL, argv);
    ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
    snprintf(sock, sizeof sock, "%s/xenstored/socket", sim);
    b = xs_batch_open(sock);
    ck_assert_msg(b != NULL, "%s: %s", sock, strerror(errno));
    setenv("XENSTORED_PATH", sock, 1);
    xs = xs_open(0);
    ck_assert_ptr_nonnull(xs);
}

static void teardown(void)
{
    xs_close(xs);
    xs_batch_close(b);
    runproc_sim_remove(sim, dir, TIMEOUT);
}

/* The node's value through libxenstore, or "(none)". */
static const char *value(const char *path)
{
    static char out[256];
    unsigned len;
    char *v = xs_read(xs, XBT_NULL, path, &len);
    snprintf(out, sizeof out, "%s", v ? v : "(none)");
    free(v);
    return out;
}

START_TEST(a_transaction_in_one_send_commits_every_request)
{
    ck_assert_int_eq(xs_batch_start(b), 0);
    xs_batch_probe(b, "/local/domain/0");
    xs_batch_probe(b, "/t/nothing");
    xs_batch_mkdir(b, "/t/dir");
    xs_batch_perms(b, "/t/dir", (const char *const[]){ "n0", "r5" }, 2);
    for (int i = 0; i < 100; i++) {
        char path[64], v[16];
        snprintf(path, sizeof path, "/t/dir/k%d", i);
        snprintf(v, sizeof v, "v%d", i);
        xs_batch_write(b, path, v);
    }
    ck_assert_int_eq(xs_batch_send(b), 0);
    ck_assert(xs_batch_found(b, 0));
    ck_assert(!xs_batch_found(b, 1));
    ck_assert_str_eq(value("/t/dir/k7"), "(none)"); /* not committed yet */
    ck_assert_int_eq(xs_batch_end(b, false), 0);
    ck_assert_str_eq(value("/t/dir/k0"), "v0");
    ck_assert_str_eq(value("/t/dir/k99"), "v99");
    unsigned n;
    struct xs_permissions *p = xs_get_permissions(xs, XBT_NULL, "/t/dir", &n);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(p[1].id, 5);
    ck_assert_uint_eq(p[1].perms, XS_PERM_READ);
    free(p);
}
END_TEST

START_TEST(a_failed_request_is_named_and_the_rest_answered)
{
    ck_assert_int_eq(xs_batch_start(b), 0);
    xs_batch_write(b, "/t/a", "1");
    xs_batch_write(b, "/t//bad", "2");
    xs_batch_probe(b, "/t/a"); /* written earlier in this transaction */
    ck_assert_int_eq(xs_batch_send(b), -EINVAL);
    ck_assert_str_eq(xs_batch_failed_path(b), "/t//bad");
    ck_assert(xs_batch_found(b, 0));
    ck_assert_int_eq(xs_batch_end(b, true), 0);
    ck_assert_str_eq(value("/t/a"), "(none)"); /* aborted */
    /* The connection is still in step. */
    ck_assert_int_eq(xs_batch_start(b), 0);
    xs_batch_write(b, "/t/a", "3");
    ck_assert_int_eq(xs_batch_send(b), 0);
    ck_assert_int_eq(xs_batch_end(b, false), 0);
    ck_assert_str_eq(value("/t/a"), "3");
}
END_TEST

START_TEST(a_conflicting_commit_says_eagain)
{
    ck_assert(xs_write(xs, XBT_NULL, "/t/c", "0", 1));
    ck_assert_int_eq(xs_batch_start(b), 0);
    xs_batch_probe(b, "/t/c");
    xs_batch_write(b, "/t/c", "batch");
    ck_assert_int_eq(xs_batch_send(b), 0);
    ck_assert(xs_write(xs, XBT_NULL, "/t/c", "other", 5));
    ck_assert_int_eq(xs_batch_end(b, false), -EAGAIN);
    ck_assert_str_eq(value("/t/c"), "other");
}
END_TEST

START_TEST(a_payload_too_large_is_refused_before_sending)
{
    static char big[8192];
    memset(big, 'x', sizeof big - 1);
    ck_assert_int_eq(xs_batch_start(b), 0);
    xs_batch_write(b, "/t/big", big);
    ck_assert_int_eq(xs_batch_send(b), -ENOMEM);
    ck_assert_int_eq(xs_batch_end(b, true), 0);
    ck_assert_str_eq(value("/t/big"), "(none)");
}
END_TEST

int main(void)
{
    scratch_prefix = "sbxsb";
    Suite *s = suite_create("xs-batch");
    TCase *t = tcase_create("batch");
    tcase_add_unchecked_fixture(t, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, a_transaction_in_one_send_commits_every_request);
    tcase_add_test(t, a_failed_request_is_named_and_the_rest_answered);
    tcase_add_test(t, a_conflicting_commit_says_eagain);
    tcase_add_test(t, a_payload_too_large_is_refused_before_sending);
    suite_add_tcase(s, t);
    return check_main(s);
}
