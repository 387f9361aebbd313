/* Unit tests of xenstore transactions: isolation, commit, abort, EAGAIN
 * on conflict, and the transaction XSAs. */
#include "test_xs_fixture.h"

START_TEST(isolation_until_commit)
{
    uint32_t tx;
    char v[32];

    ck_assert_int_eq(xsc_client_write(dom0, 0, "/i/k", "old"), 0);
    ck_assert_int_eq(xsc_client_tx_start(dom0, &tx), 0);
    ck_assert_uint_ne(tx, 0);
    ck_assert_int_eq(xsc_client_write(dom0, tx, "/i/k", "new"), 0);
    ck_assert_int_eq(xsc_client_write(dom0, tx, "/i/n", "1"), 0);
    ck_assert_int_eq(xsc_client_read(dom0, tx, "/i/k", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "new");
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/i/k", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "old");
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/i/n", v, sizeof(v)), ENOENT);
    ck_assert_int_eq(xsc_client_tx_end(dom0, tx, true), 0);
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/i/k", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "new");
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/i/n", v, sizeof(v)), 0);
    /* As C xenstored: a node is seen as it is when the transaction first
     * looks at it, and kept so; a later outside change to it fails the
     * commit, one to a node it never looked at does not. */
    ck_assert_int_eq(xsc_client_tx_start(dom0, &tx), 0);
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/i/later", "x"), 0);
    ck_assert_int_eq(xsc_client_read(dom0, tx, "/i/later", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "x");
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/i/later", "y"), 0);
    ck_assert_int_eq(xsc_client_read(dom0, tx, "/i/later", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "x");
    ck_assert_int_eq(xsc_client_tx_end(dom0, tx, true), EAGAIN);
    ck_assert_int_eq(xsc_client_tx_start(dom0, &tx), 0);
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/i/other", "x"), 0);
    ck_assert_int_eq(xsc_client_write(dom0, tx, "/i/mine", "m"), 0);
    ck_assert_int_eq(xsc_client_tx_end(dom0, tx, true), 0);
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/i/mine", v, sizeof(v)), 0);
}
END_TEST

START_TEST(new_directory_in_transaction_commits)
{
    /* what a transaction created itself is no conflict */
    uint32_t tx;
    char v[32];

    ck_assert_int_eq(xsc_client_tx_start(dom0, &tx), 0);
    ck_assert_int_eq(xsc_client_write(dom0, tx, "/nd/a", "1"), 0);
    ck_assert_int_eq(xsc_client_write(dom0, tx, "/nd/b", "2"), 0);
    ck_assert_int_eq(xsc_client_write(dom0, tx, "/nd/a", "3"), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_DIRECTORY, tx, NULL, "/nd", NULL), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_SET_PERMS, tx, NULL, "/nd/b", "r0", NULL), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_RM, tx, NULL, "/nd/b", NULL), 0);
    ck_assert_int_eq(xsc_client_tx_end(dom0, tx, true), 0);
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/nd/a", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "3");
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/nd/b", v, sizeof(v)), ENOENT);
}
END_TEST

START_TEST(abort_discards)
{
    uint32_t tx;

    ck_assert_int_eq(xsc_client_tx_start(dom0, &tx), 0);
    ck_assert_int_eq(xsc_client_write(dom0, tx, "/ab/x", "1"), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_RM, tx, NULL, "/tool", NULL), 0);
    ck_assert_int_eq(xsc_client_tx_end(dom0, tx, false), 0);
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/ab/x", NULL, 0), ENOENT);
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/tool", NULL, 0), 0);
}
END_TEST

START_TEST(conflict_gives_eagain)
{
    uint32_t tx;
    char v[32];

    ck_assert_int_eq(xsc_client_write(dom0, 0, "/c/k", "0"), 0);
    /* read-modify-write raced by an outside write */
    ck_assert_int_eq(xsc_client_tx_start(dom0, &tx), 0);
    ck_assert_int_eq(xsc_client_read(dom0, tx, "/c/k", v, sizeof(v)), 0);
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/c/k", "outside"), 0);
    ck_assert_int_eq(xsc_client_write(dom0, tx, "/c/k", "inside"), 0);
    ck_assert_int_eq(xsc_client_tx_end(dom0, tx, true), EAGAIN);
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/c/k", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "outside");
    /* a node the transaction found absent appears meanwhile */
    ck_assert_int_eq(xsc_client_tx_start(dom0, &tx), 0);
    ck_assert_int_eq(xsc_client_read(dom0, tx, "/c/new", v, sizeof(v)), ENOENT);
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/c/new", "x"), 0);
    ck_assert_int_eq(xsc_client_tx_end(dom0, tx, true), EAGAIN);
    /* a directory listed in the transaction gains a child */
    ck_assert_int_eq(xsc_client_tx_start(dom0, &tx), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_DIRECTORY, tx, NULL, "/c", NULL), 0);
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/c/other", "x"), 0);
    ck_assert_int_eq(xsc_client_tx_end(dom0, tx, true), EAGAIN);
    /* disjoint transactions both commit */
    {
        struct xsc_client *g = xsc_client_open(core, 0);
        uint32_t t1, t2;
        ck_assert_int_eq(xsc_client_tx_start(dom0, &t1), 0);
        ck_assert_int_eq(xsc_client_tx_start(g, &t2), 0);
        ck_assert_int_eq(xsc_client_write(dom0, t1, "/c/k", "1"), 0);
        ck_assert_int_eq(xsc_client_write(g, t2, "/c/new", "2"), 0);
        ck_assert_int_eq(xsc_client_tx_end(dom0, t1, true), 0);
        ck_assert_int_eq(xsc_client_tx_end(g, t2, true), 0);
        /* a transaction belongs to its connection */
        ck_assert_int_eq(xsc_client_tx_start(g, &t2), 0);
        ck_assert_int_eq(xsc_client_tx_end(dom0, t2, true), ENOENT);
        xsc_client_close(g);
    }
}
END_TEST

START_TEST(removal_in_transaction_conflicts_with_changes_below)
{
    uint32_t tx;

    ck_assert_int_eq(xsc_client_write(dom0, 0, "/rm/a/b", "1"), 0);
    ck_assert_int_eq(xsc_client_tx_start(dom0, &tx), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_RM, tx, NULL, "/rm", NULL), 0);
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/rm/a/b", "2"), 0);
    ck_assert_int_eq(xsc_client_tx_end(dom0, tx, true), EAGAIN);
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/rm/a/b", NULL, 0), 0);
}
END_TEST

START_TEST(two_transactions_delete_same_nodes)
{
    /* XSA-440: the second commit conflicts, nothing breaks */
    struct xsc_client *other = xsc_client_open(core, 0);
    uint32_t t1, t2;
    char p[32];
    unsigned before;

    for (int i = 0; i < 50; i++) {
        snprintf(p, sizeof(p), "/many/n%d", i);
        ck_assert_int_eq(xsc_client_write(dom0, 0, p, "x"), 0);
    }
    before = xsc_core_nodes(core);
    ck_assert_int_eq(xsc_client_tx_start(dom0, &t1), 0);
    ck_assert_int_eq(xsc_client_tx_start(other, &t2), 0);
    for (int i = 0; i < 50; i++) {
        snprintf(p, sizeof(p), "/many/n%d", i);
        ck_assert_int_eq(xsc_client_strs(dom0, XS_RM, t1, NULL, p, NULL), 0);
        ck_assert_int_eq(xsc_client_strs(other, XS_RM, t2, NULL, p, NULL), 0);
    }
    ck_assert_int_eq(xsc_client_tx_end(dom0, t1, true), 0);
    ck_assert_int_eq(xsc_client_tx_end(other, t2, true), EAGAIN);
    ck_assert_uint_eq(xsc_core_nodes(core), before - 50);
    xsc_client_close(other);
}
END_TEST

START_TEST(create_and_remove_in_transaction_keeps_accounts)
{
    /* XSA-421: nodes created and removed in one transaction must not
	 * escape the node count */
    struct xsc_client *g = fx_domain(4);
    unsigned owned = xsc_core_nodes_owned(core, 4);

    for (int round = 0; round < 20; round++) {
        uint32_t tx;
        ck_assert_int_eq(xsc_client_tx_start(g, &tx), 0);
        for (int i = 0; i < 60; i++) {
            char p[32];
            snprintf(p, sizeof(p), "data/t%d", i);
            ck_assert_int_eq(xsc_client_write(g, tx, p, "x"), 0);
        }
        ck_assert_int_eq(xsc_client_strs(g, XS_RM, tx, NULL, "data/t0", NULL), 0);
        ck_assert_int_eq(xsc_client_tx_end(g, tx, true), 0);
        ck_assert_int_eq(xsc_client_tx_start(g, &tx), 0);
        for (int i = 1; i < 60; i++) {
            char p[32];
            snprintf(p, sizeof(p), "data/t%d", i);
            ck_assert_int_eq(xsc_client_strs(g, XS_RM, tx, NULL, p, NULL), 0);
        }
        ck_assert_int_eq(xsc_client_tx_end(g, tx, true), 0);
    }
    ck_assert_uint_eq(xsc_core_nodes_owned(core, 4), owned);
    xsc_client_close(g);
}
END_TEST

START_TEST(a_transaction_copies_only_what_it_touches)
{
    /* Many guests make a large store; a transaction started on it (each
     * xenbus state change is one) must not cost the whole store. */
    uint32_t tx;
    char p[64], v[32];

    for (int i = 0; i < 4000; i++) {
        snprintf(p, sizeof(p), "/local/domain/%d/device/vbd/%d", 1 + i / 40, i % 40);
        ck_assert_int_eq(xsc_client_write(dom0, 0, p, "x"), 0);
    }
    unsigned long before = xsc_core_live_nodes();
    ck_assert_int_eq(xsc_client_tx_start(dom0, &tx), 0);
    ck_assert_int_eq(xsc_client_read(dom0, tx, "/local/domain/7/device/vbd/3", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "x");
    ck_assert_int_eq(xsc_client_write(dom0, tx, "/local/domain/7/device/vbd/3", "y"), 0);
    /* the path there and the listings on it: /, local, domain (100
     * entries), 7, device, vbd (40) */
    ck_assert_uint_lt(xsc_core_live_nodes() - before, 200);
    ck_assert_int_eq(xsc_client_tx_end(dom0, tx, true), 0);
    ck_assert_uint_eq(xsc_core_live_nodes(), before);
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/local/domain/7/device/vbd/3", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "y");
}
END_TEST

START_TEST(removal_leaves_the_siblings_a_transaction_never_listed)
{
    /* libxl removes a device, then its parent if the listing shows it
     * empty: the listing must show the siblings the store has. */
    uint32_t tx;
    static struct xsc_reply r;

    ck_assert_int_eq(xsc_client_write(dom0, 0, "/be/vbd/3/51712/state", "4"), 0);
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/be/vbd/3/51728/state", "4"), 0);
    ck_assert_int_eq(xsc_client_tx_start(dom0, &tx), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_RM, tx, NULL, "/be/vbd/3/51712", NULL), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_DIRECTORY, tx, &r, "/be/vbd/3", NULL), 0);
    ck_assert_uint_eq(r.hdr.len, sizeof("51728"));
    ck_assert_str_eq(r.body, "51728");
    ck_assert_int_eq(xsc_client_tx_end(dom0, tx, true), 0);
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/be/vbd/3/51712/state", NULL, 0), ENOENT);
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/be/vbd/3/51728/state", NULL, 0), 0);
}
END_TEST

START_TEST(transactions_per_domain_quota)
{
    struct xsc_client *g = fx_domain(5);
    uint32_t tx[11];

    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(xsc_client_tx_start(g, &tx[i]), 0);
    ck_assert_int_eq(xsc_client_tx_start(g, &tx[10]), ENOSPC);
    ck_assert_int_eq(xsc_client_tx_end(g, tx[3], false), 0);
    ck_assert_int_eq(xsc_client_tx_start(g, &tx[10]), 0);
    /* dom0 has no such limit */
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(xsc_client_tx_start(dom0, &tx[0]), 0);
    xsc_client_close(g);
}
END_TEST

START_TEST(closing_drops_transactions)
{
    struct xsc_client *g = fx_domain(6);
    uint32_t tx;

    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(xsc_client_tx_start(g, &tx), 0);
    xsc_client_close(g);
    g = xsc_client_open(core, 6);
    ck_assert_int_eq(xsc_client_tx_start(g, &tx), 0);
    xsc_client_close(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("xsc_txn");
    TCase *tc = tcase_create("txn");

    tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
    tcase_add_test(tc, isolation_until_commit);
    tcase_add_test(tc, new_directory_in_transaction_commits);
    tcase_add_test(tc, abort_discards);
    tcase_add_test(tc, conflict_gives_eagain);
    tcase_add_test(tc, removal_in_transaction_conflicts_with_changes_below);
    tcase_add_test(tc, two_transactions_delete_same_nodes);
    tcase_add_test(tc, create_and_remove_in_transaction_keeps_accounts);
    tcase_add_test(tc, a_transaction_copies_only_what_it_touches);
    tcase_add_test(tc, removal_leaves_the_siblings_a_transaction_never_listed);
    tcase_add_test(tc, transactions_per_domain_quota);
    tcase_add_test(tc, closing_drops_transactions);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
