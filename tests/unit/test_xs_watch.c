/* Unit tests of xenstore watches: the initial event, which changes fire
 * which watches, relative watches, visibility (XSA-115), special
 * watches, and oversized events (XSA-324). */
#include "test_xs_fixture.h"

static int watch(struct xsc_client *cl, const char *path, const char *token)
{
    return xsc_client_strs(cl, XS_WATCH, 0, NULL, path, token, NULL);
}

START_TEST(initial_event_then_changes_below)
{
    ck_assert_int_eq(watch(dom0, "/w", "tok"), 0);
    fx_event(dom0, "/w", "tok");
    ck_assert_uint_eq(xsc_client_events(dom0), 0);
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/w/a/b", "1"), 0);
    fx_event(dom0, "/w/a/b", "tok");
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/wx", "1"), 0);
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/other", "1"), 0);
    ck_assert_uint_eq(xsc_client_events(dom0), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_SET_PERMS, 0, NULL, "/w/a", "r0", NULL), 0);
    fx_event(dom0, "/w/a", "tok");
    ck_assert_int_eq(watch(dom0, "/w", "tok"), EEXIST);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_UNWATCH, 0, NULL, "/w", "tok", NULL), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_UNWATCH, 0, NULL, "/w", "tok", NULL), ENOENT);
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/w/a/b", "2"), 0);
    ck_assert_uint_eq(xsc_client_events(dom0), 0);
}
END_TEST

START_TEST(rm_fires_watches_below)
{
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/t/x/y", "1"), 0);
    ck_assert_int_eq(watch(dom0, "/t/x/y", "deep"), 0);
    ck_assert_int_eq(watch(dom0, "/t/none", "absent"), 0);
    ck_assert_int_eq(watch(dom0, "/", "root"), 0);
    ck_assert_uint_eq(fx_drain(dom0), 3);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_RM, 0, NULL, "/t", NULL), 0);
    /* the root watcher hears of /t; the deep one of its own node; a
	 * watch on a node that never existed hears nothing */
    fx_event(dom0, "/t", "root");
    fx_event(dom0, "/t/x/y", "deep");
    ck_assert_uint_eq(xsc_client_events(dom0), 0);
}
END_TEST

START_TEST(relative_watch_gets_relative_paths)
{
    struct xsc_client *g = fx_domain(1);

    ck_assert_int_eq(watch(g, "data", "rel"), 0);
    fx_event(g, "data", "rel");
    ck_assert_int_eq(xsc_client_write(g, 0, "data/k", "v"), 0);
    fx_event(g, "data/k", "rel");
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/local/domain/1/data/z", "v"), 0);
    fx_event(g, "data/z", "rel");
    xsc_client_close(g);
}
END_TEST

START_TEST(guest_hears_only_what_it_may_read)
{
    /* XSA-115: a guest watching / learns nothing of dom0's nodes */
    struct xsc_client *g = fx_domain(2);

    ck_assert_int_eq(watch(g, "/", "all"), 0);
    fx_event(g, "/", "all"); /* the initial event is always sent */
    ck_assert_int_eq(watch(g, "/secret", "s"), 0);
    fx_event(g, "/secret", "s");
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/secret/k", "x"), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_RM, 0, NULL, "/secret", NULL), 0);
    ck_assert_uint_eq(xsc_client_events(g), 0);
    /* readable node: heard */
    ck_assert_int_eq(xsc_client_write(g, 0, "data/k", "x"), 0);
    fx_event(g, "/local/domain/2/data/k", "all");
    /* unreadable node under a readable parent: heard (Xen's rule) */
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/local/domain/2/hidden", "x"), 0);
    ck_assert_int_eq(
        xsc_client_strs(dom0, XS_SET_PERMS, 0, NULL, "/local/domain/2/hidden", "n0", NULL), 0);
    fx_event(g, "/local/domain/2/hidden", "all"); /* the write */
    fx_event(g, "/local/domain/2/hidden", "all"); /* the new permissions */
    ck_assert_uint_eq(xsc_client_events(g), 0);
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/local/domain/2/hidden/deeper", "x"), 0);
    ck_assert_uint_eq(xsc_client_events(g), 0);
    xsc_client_close(g);
}
END_TEST

START_TEST(special_watches)
{
    struct xsc_client *g = fx_domain(3), *h;

    ck_assert_int_eq(watch(dom0, "@introduceDomain", "in"), 0);
    ck_assert_int_eq(watch(dom0, "@releaseDomain", "out"), 0);
    ck_assert_int_eq(watch(g, "@introduceDomain", "gin"), 0);
    ck_assert_int_eq(watch(g, "@releaseDomain", "gout"), 0);
    fx_event(dom0, "@introduceDomain", "in");
    fx_event(dom0, "@releaseDomain", "out");
    fx_event(g, "@introduceDomain", "gin");
    fx_event(g, "@releaseDomain", "gout");
    ck_assert_uint_eq(xsc_client_events(dom0) + xsc_client_events(g), 0);
    h = fx_domain(4);
    fx_event(dom0, "@introduceDomain", "in");
    ck_assert_uint_eq(xsc_client_events(g), 0); /* XSA-115 */
    ck_assert_int_eq(
        xsc_client_strs(dom0, XS_SET_PERMS, 0, NULL, "@releaseDomain", "n0", "r3", NULL), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_RELEASE, 0, NULL, "4", NULL), 0);
    fx_event(dom0, "@releaseDomain", "out");
    fx_event(g, "@releaseDomain", "gout");
    xsc_client_close(h);
    xsc_client_close(g);
}
END_TEST

START_TEST(transactions_fire_on_commit_only)
{
    uint32_t tx;

    ck_assert_int_eq(watch(dom0, "/tw", "t"), 0);
    ck_assert_uint_eq(fx_drain(dom0), 1);
    ck_assert_int_eq(xsc_client_tx_start(dom0, &tx), 0);
    ck_assert_int_eq(xsc_client_write(dom0, tx, "/tw/a", "1"), 0);
    ck_assert_uint_eq(xsc_client_events(dom0), 0);
    ck_assert_int_eq(xsc_client_tx_end(dom0, tx, true), 0);
    fx_event(dom0, "/tw/a", "t");
    ck_assert_int_eq(xsc_client_tx_start(dom0, &tx), 0);
    ck_assert_int_eq(xsc_client_write(dom0, tx, "/tw/b", "1"), 0);
    ck_assert_int_eq(xsc_client_tx_end(dom0, tx, false), 0);
    ck_assert_uint_eq(xsc_client_events(dom0), 0);
    /* WATCH ignores tx_id */
    ck_assert_int_eq(xsc_client_tx_start(dom0, &tx), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_WATCH, tx, NULL, "/tw2", "x", NULL), 0);
    ck_assert_int_eq(xsc_client_tx_end(dom0, tx, false), 0);
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/tw2", "1"), 0);
    fx_event(dom0, "/tw2", "x"); /* the initial event */
    fx_event(dom0, "/tw2", "x"); /* the write */
    ck_assert_uint_eq(xsc_client_events(dom0), 0);
}
END_TEST

START_TEST(oversized_event_is_dropped)
{
    /* XSA-324: path + token over 4096 bytes cannot be an event */
    static char token[4000];
    char path[300];

    memset(token, 't', sizeof(token) - 1);
    ck_assert_int_eq(watch(dom0, "/big", token), 0);
    ck_assert_uint_eq(fx_drain(dom0), 1);
    strcpy(path, "/big");
    while (strlen(path) < 200)
        strcat(path, "/abcdefgh");
    ck_assert_int_eq(xsc_client_write(dom0, 0, path, "v"), 0);
    ck_assert_uint_eq(xsc_client_events(dom0), 0);
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/big", "v"), 0);
    ck_assert_uint_eq(xsc_client_events(dom0), 1);
}
END_TEST

START_TEST(reset_watches_drops_all)
{
    uint32_t tx;

    ck_assert_int_eq(watch(dom0, "/r1", "a"), 0);
    ck_assert_int_eq(watch(dom0, "/r2", "b"), 0);
    ck_assert_int_eq(xsc_client_tx_start(dom0, &tx), 0);
    fx_event(dom0, "/r1", "a");
    fx_event(dom0, "/r2", "b");
    ck_assert_uint_eq(xsc_client_events(dom0), 0);
    /* XSA-484: RESET_WATCHES inside a transaction */
    ck_assert_int_eq(xsc_client_strs(dom0, XS_RESET_WATCHES, tx, NULL, "", NULL), 0);
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/r1", "1"), 0);
    ck_assert_uint_eq(xsc_client_events(dom0), 0);
    ck_assert_int_eq(xsc_client_tx_end(dom0, tx, true), ENOENT);
    ck_assert_int_eq(watch(dom0, "/r1", "a"), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("xs_watch");
    TCase *tc = tcase_create("watch");

    tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
    tcase_add_test(tc, initial_event_then_changes_below);
    tcase_add_test(tc, rm_fires_watches_below);
    tcase_add_test(tc, relative_watch_gets_relative_paths);
    tcase_add_test(tc, guest_hears_only_what_it_may_read);
    tcase_add_test(tc, special_watches);
    tcase_add_test(tc, transactions_fire_on_commit_only);
    tcase_add_test(tc, oversized_event_is_dropped);
    tcase_add_test(tc, reset_watches_drops_all);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
