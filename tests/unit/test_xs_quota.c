/* Unit tests of xenstore quotas (Xen's defaults) and of what happens to
 * a domain's nodes, watches and connections when it is released. */
#include "test_xs_fixture.h"

#include <stdlib.h>

START_TEST(node_quota_is_1000)
{
    struct xsc_client *g = fx_domain(1);
    unsigned owned = xsc_core_nodes_owned(core, 1);
    char p[64];
    unsigned i;

    /* /local/domain/1/data is the guest's own: count starts there.
	 * Spread over directories: a record holds its children's names,
	 * so one directory cannot take 1000 of them. */
    for (i = 0; owned + i < 1000; i++) {
        if (i % 50 == 0)
            snprintf(p, sizeof(p), "data/d%u", i / 50);
        else
            snprintf(p, sizeof(p), "data/d%u/n%u", i / 50, i % 50);
        ck_assert_int_eq(xsc_client_write(g, 0, p, ""), 0);
    }
    ck_assert_uint_eq(xsc_core_nodes_owned(core, 1), 1000);
    ck_assert_int_eq(xsc_client_write(g, 0, "data/one-more", ""), ENOSPC);
    /* implicit parents count too */
    ck_assert_int_eq(xsc_client_strs(g, XS_RM, 0, NULL, "data/d0/n1", NULL), 0);
    ck_assert_int_eq(xsc_client_write(g, 0, "data/x/y", ""), ENOSPC);
    ck_assert_int_eq(xsc_client_write(g, 0, "data/x", ""), 0);
    /* XSA-415: a quota failure inside a transaction fails that write,
	 * the transaction still commits what it did */
    {
        uint32_t tx;
        ck_assert_int_eq(xsc_client_strs(g, XS_RM, 0, NULL, "data/d0/n2", NULL), 0);
        ck_assert_int_eq(xsc_client_tx_start(g, &tx), 0);
        ck_assert_int_eq(xsc_client_write(g, tx, "data/a", ""), 0);
        ck_assert_int_eq(xsc_client_write(g, tx, "data/b", ""), ENOSPC);
        ck_assert_int_eq(xsc_client_tx_end(g, tx, true), 0);
        ck_assert_uint_eq(xsc_core_nodes_owned(core, 1), 1000);
    }
    /* dom0 is exempt */
    for (i = 0; i < 1100; i++) {
        snprintf(p, sizeof(p), "/dom0/n%u", i);
        ck_assert_int_eq(xsc_client_write(dom0, 0, p, ""), 0);
    }
    xsc_client_close(g);
}
END_TEST

START_TEST(quota_hit_mid_path_leaves_nothing)
{
    /* XSA-414: a deep write that would pass the node quota creates
	 * none of its parents */
    struct xsc_client *g = fx_domain(11);
    char p[64], deep[4000];
    unsigned i, total;

    for (i = 0; xsc_core_nodes_owned(core, 11) < 990; i++) {
        if (i % 50 == 0)
            snprintf(p, sizeof(p), "data/d%u", i / 50);
        else
            snprintf(p, sizeof(p), "data/d%u/n%u", i / 50, i % 50);
        ck_assert_int_eq(xsc_client_write(g, 0, p, ""), 0);
    }
    total = xsc_core_nodes(core);
    strcpy(deep, "data/deep");
    for (i = 0; i < 20; i++)
        strcat(deep, "/x");
    ck_assert_int_eq(xsc_client_write(g, 0, deep, "v"), ENOSPC);
    ck_assert_uint_eq(xsc_core_nodes(core), total);
    ck_assert_int_eq(xsc_client_read(g, 0, "data/deep", NULL, 0), ENOENT);
    xsc_client_close(g);
}
END_TEST

START_TEST(node_size_refused_at_2048)
{
    /* record = 24 header + 8 per perm + value (+ child names):
	 * a one-perm leaf fits up to 2015 value bytes */
    struct xsc_client *g = fx_domain(2);
    char *v = malloc(3000);

    memset(v, 'v', 3000);
    v[2015] = '\0';
    ck_assert_int_eq(xsc_client_write(g, 0, "data/big", v), 0);
    v[2015] = 'v';
    v[2016] = '\0';
    ck_assert_int_eq(xsc_client_write(g, 0, "data/big", v), ENOSPC);
    ck_assert_int_eq(xsc_client_write(g, 0, "data/new", v), ENOSPC);
    /* more permissions, less room */
    ck_assert_int_eq(xsc_client_strs(g, XS_SET_PERMS, 0, NULL, "data/big", "n2", "r0", NULL),
                     ENOSPC);
    v[2999] = '\0';
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/local/domain/2/data/big", v), 0);
    free(v);
    xsc_client_close(g);
}
END_TEST

START_TEST(watch_quota_is_128)
{
    struct xsc_client *g = fx_domain(3);
    char tok[16];

    for (int i = 0; i < 128; i++) {
        snprintf(tok, sizeof(tok), "t%d", i);
        ck_assert_int_eq(xsc_client_strs(g, XS_WATCH, 0, NULL, "data", tok, NULL), 0);
    }
    ck_assert_int_eq(xsc_client_strs(g, XS_WATCH, 0, NULL, "data", "more", NULL), E2BIG);
    /* XSA-330: resetting gives the quota back, repeatedly */
    for (int round = 0; round < 3; round++) {
        ck_assert_int_eq(xsc_client_strs(g, XS_RESET_WATCHES, 0, NULL, "", NULL), 0);
        for (int i = 0; i < 128; i++) {
            snprintf(tok, sizeof(tok), "t%d", i);
            ck_assert_int_eq(xsc_client_strs(g, XS_WATCH, 0, NULL, "data", tok, NULL), 0);
        }
        ck_assert_int_eq(xsc_client_strs(g, XS_WATCH, 0, NULL, "data", "more", NULL), E2BIG);
    }
    xsc_client_close(g);
}
END_TEST

/* A guest may have 10 transactions open (Xen's default quota), not one
 * more; ending one gives it back. */
START_TEST(transaction_quota_is_10)
{
    struct xsc_client *g = fx_domain(7);
    uint32_t tx[10], extra;
    unsigned n = 10;

    for (unsigned i = 0; i < n; i++)
        ck_assert_int_eq(xsc_client_tx_start(g, &tx[i]), 0);
    ck_assert_int_eq(xsc_client_tx_start(g, &extra), ENOSPC);
    ck_assert_int_eq(xsc_client_tx_end(g, tx[n - 1], false), 0);
    ck_assert_int_eq(xsc_client_tx_start(g, &tx[n - 1]), 0);
    ck_assert_int_eq(xsc_client_tx_start(g, &extra), ENOSPC);
    /* dom0 has no such quota */
    ck_assert_int_eq(xsc_client_tx_start(dom0, &extra), 0);
    xsc_client_close(g);
}
END_TEST

START_TEST(perms_quota_is_5)
{
    struct xsc_client *g = fx_domain(4);

    ck_assert_int_eq(xsc_client_write(g, 0, "data/p", ""), 0);
    ck_assert_int_eq(
        xsc_client_strs(g, XS_SET_PERMS, 0, NULL, "data/p", "n4", "r1", "r2", "r3", "r5", NULL), 0);
    ck_assert_int_eq(xsc_client_strs(g, XS_SET_PERMS, 0, NULL, "data/p", "n4", "r1", "r2", "r3",
                                     "r5", "r6", NULL),
                     ENOSPC);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_SET_PERMS, 0, NULL, "/local/domain/4/data/p", "n4",
                                     "r1", "r2", "r3", "r5", "r6", NULL),
                     0);
    xsc_client_close(g);
}
END_TEST

START_TEST(release_removes_what_the_domain_owned)
{
    /* XSA-419 and XSA-322: a released domain's nodes go, and a new
	 * domain with the same id inherits no access */
    struct xsc_client *g = fx_domain(5), *g2;
    unsigned before;

    ck_assert_int_eq(xsc_client_write(dom0, 0, "/public", "p"), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_SET_PERMS, 0, NULL, "/public", "n0", "b5", NULL), 0);
    ck_assert_int_eq(xsc_client_write(g, 0, "/public/mine", "m"), 0);
    ck_assert_int_eq(xsc_client_write(g, 0, "data/a/b", "x"), 0);
    ck_assert_int_eq(xsc_client_strs(g, XS_WATCH, 0, NULL, "data", "w", NULL), 0);
    before = xsc_core_nodes_owned(core, 5);
    ck_assert_uint_ge(before, 5);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_WATCH, 0, NULL, "/public", "pw", NULL), 0);
    ck_assert_uint_eq(fx_drain(dom0), 1);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_RELEASE, 0, NULL, "5", NULL), 0);
    ck_assert_uint_eq(xsc_core_nodes_owned(core, 5), 0);
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/public/mine", NULL, 0), ENOENT);
    fx_event(dom0, "/public/mine", "pw");
    /* the toolstack's own nodes stay until it removes them */
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/local/domain/5/domid", NULL, 0), 0);
    ck_assert_int_eq(xsc_client_read(g, 0, "domid", NULL, 0), EPIPE);
    xsc_client_close(g);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_GET_PERMS, 0, NULL, "/public", NULL), 0);
    /* same id again: the old grant on /public is gone */
    ck_assert_int_eq(xsc_client_strs(dom0, XS_RM, 0, NULL, "/local/domain/5", NULL), 0);
    g2 = fx_domain(5);
    ck_assert_int_eq(xsc_client_write(g2, 0, "/public/again", "x"), EACCES);
    ck_assert_int_eq(xsc_client_read(g2, 0, "/public", NULL, 0), EACCES);
    /* its watch quota starts afresh */
    ck_assert_int_eq(xsc_client_strs(g2, XS_WATCH, 0, NULL, "data", "w", NULL), 0);
    xsc_client_close(g2);
}
END_TEST

START_TEST(release_leaves_others_alone)
{
    /* XSA-325: releasing one domain tells dom0 once, others carry on */
    struct xsc_client *a = fx_domain(6), *b = fx_domain(7);

    ck_assert_int_eq(xsc_client_strs(dom0, XS_WATCH, 0, NULL, "@releaseDomain", "r", NULL), 0);
    ck_assert_uint_eq(fx_drain(dom0), 1);
    ck_assert_int_eq(xsc_client_write(b, 0, "data/x", "1"), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_RELEASE, 0, NULL, "6", NULL), 0);
    fx_event(dom0, "@releaseDomain", "r");
    ck_assert_uint_eq(xsc_client_events(dom0), 0);
    ck_assert_int_eq(xsc_client_read(b, 0, "data/x", NULL, 0), 0);
    ck_assert_int_eq(xsc_client_write(a, 0, "data/x", "1"), EPIPE);
    xsc_client_close(a);
    xsc_client_close(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("xsc_quota");
    TCase *tc = tcase_create("quota");

    tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
    tcase_add_test(tc, node_quota_is_1000);
    tcase_add_test(tc, quota_hit_mid_path_leaves_nothing);
    tcase_add_test(tc, node_size_refused_at_2048);
    tcase_add_test(tc, watch_quota_is_128);
    tcase_add_test(tc, perms_quota_is_5);
    tcase_add_test(tc, transaction_quota_is_10);
    tcase_add_test(tc, release_removes_what_the_domain_owned);
    tcase_add_test(tc, release_leaves_others_alone);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
