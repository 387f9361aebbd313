/* Unit tests of xenstore permissions: owner, n/r/w/b per domain, dom0's
 * override, SET_TARGET, and what a guest may never do. */
#include "test_xs_fixture.h"

static struct xsc_reply r;

START_TEST(guest_cannot_touch_dom0_nodes)
{
    struct xsc_client *g = fx_domain(1);
    char v[32];

    ck_assert_int_eq(xsc_client_write(dom0, 0, "/secret/k", "s"), 0);
    ck_assert_int_eq(xsc_client_read(g, 0, "/secret/k", v, sizeof(v)), EACCES);
    ck_assert_int_eq(xsc_client_write(g, 0, "/secret/k", "x"), EACCES);
    ck_assert_int_eq(xsc_client_write(g, 0, "/secret/new", "x"), EACCES);
    ck_assert_int_eq(xsc_client_write(g, 0, "/top", "x"), EACCES);
    ck_assert_int_eq(xsc_client_strs(g, XS_RM, 0, NULL, "/secret", NULL), EACCES);
    ck_assert_int_eq(xsc_client_strs(g, XS_DIRECTORY, 0, &r, "/secret", NULL), EACCES);
    ck_assert_int_eq(xsc_client_strs(g, XS_GET_PERMS, 0, &r, "/secret", NULL), EACCES);
    /* a missing node below an unreadable one does not reveal itself */
    ck_assert_int_eq(xsc_client_read(g, 0, "/secret/none", v, sizeof(v)), EACCES);
    /* its own home is readable, a sibling's is not */
    ck_assert_int_eq(xsc_client_read(g, 0, "domid", v, sizeof(v)), 0);
    ck_assert_int_eq(xsc_client_write(g, 0, "domid", "7"), EACCES);
    ck_assert_int_eq(xsc_client_read(g, 0, "/local/domain/0/name", v, sizeof(v)), EACCES);
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/secret/k", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "s");
    xsc_client_close(g);
}
END_TEST

START_TEST(guest_owns_what_it_creates)
{
    struct xsc_client *g = fx_domain(2);

    ck_assert_int_eq(xsc_client_write(g, 0, "data/mine", "m"), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_GET_PERMS, 0, &r, "/local/domain/2/data/mine", NULL),
                     0);
    ck_assert_str_eq(r.body, "n2");
    /* dom0 creating below inherits the parent's owner */
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/local/domain/2/data/d0", "x"), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_GET_PERMS, 0, &r, "/local/domain/2/data/d0", NULL),
                     0);
    ck_assert_str_eq(r.body, "n2");
    xsc_client_close(g);
}
END_TEST

START_TEST(entries_grant_per_domain_first_match)
{
    struct xsc_client *a = fx_domain(3), *b = fx_domain(4), *c = fx_domain(5);
    char v[32];

    ck_assert_int_eq(xsc_client_write(dom0, 0, "/shared", "s"), 0);
    ck_assert_int_eq(
        xsc_client_strs(dom0, XS_SET_PERMS, 0, NULL, "/shared", "n0", "r3", "b4", "w5", "n3", NULL),
        0);
    ck_assert_int_eq(xsc_client_read(a, 0, "/shared", v, sizeof(v)), 0);
    ck_assert_int_eq(xsc_client_write(a, 0, "/shared", "x"), EACCES);
    ck_assert_int_eq(xsc_client_write(b, 0, "/shared", "b"), 0);
    ck_assert_int_eq(xsc_client_read(b, 0, "/shared", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "b");
    ck_assert_int_eq(xsc_client_read(c, 0, "/shared", v, sizeof(v)), EACCES);
    ck_assert_int_eq(xsc_client_write(c, 0, "/shared", "c"), 0);
    /* only the owner (or dom0) may change permissions */
    ck_assert_int_eq(xsc_client_strs(b, XS_SET_PERMS, 0, NULL, "/shared", "n0", "b4", NULL),
                     EACCES);
    /* the default entry applies to everyone unlisted */
    ck_assert_int_eq(xsc_client_strs(dom0, XS_SET_PERMS, 0, NULL, "/shared", "r0", NULL), 0);
    ck_assert_int_eq(xsc_client_read(c, 0, "/shared", v, sizeof(v)), 0);
    xsc_client_close(a);
    xsc_client_close(b);
    xsc_client_close(c);
}
END_TEST

/* Removing a node takes write permission: a domain that may only read
 * a node (a frontend reading its backend's nodes) must not delete it,
 * nor a missing child below it; one that may write may. */
START_TEST(rm_needs_write_not_read)
{
    struct xsc_client *rd = fx_domain(11), *wr = fx_domain(12);
    char v[32];

    ck_assert_int_eq(xsc_client_write(dom0, 0, "/be/state", "4"), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_SET_PERMS, 0, NULL, "/be", "n0", "r11", "b12", NULL),
                     0);
    ck_assert_int_eq(
        xsc_client_strs(dom0, XS_SET_PERMS, 0, NULL, "/be/state", "n0", "r11", "b12", NULL), 0);
    ck_assert_int_eq(xsc_client_read(rd, 0, "/be/state", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "4");
    ck_assert_int_eq(xsc_client_strs(rd, XS_RM, 0, NULL, "/be/state", NULL), EACCES);
    ck_assert_int_eq(xsc_client_strs(rd, XS_RM, 0, NULL, "/be/gone", NULL), EACCES);
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/be/state", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "4");
    ck_assert_int_eq(xsc_client_strs(wr, XS_RM, 0, NULL, "/be/gone", NULL), 0);
    ck_assert_int_eq(xsc_client_strs(wr, XS_RM, 0, NULL, "/be/state", NULL), 0);
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/be/state", v, sizeof(v)), ENOENT);
    xsc_client_close(rd);
    xsc_client_close(wr);
}
END_TEST

START_TEST(owner_may_not_give_nodes_away)
{
    /* XSA-352: an unprivileged owner cannot change the owner */
    struct xsc_client *g = fx_domain(6);

    ck_assert_int_eq(xsc_client_write(g, 0, "data/x", "x"), 0);
    ck_assert_int_eq(xsc_client_strs(g, XS_SET_PERMS, 0, NULL, "data/x", "n0", NULL), EPERM);
    ck_assert_int_eq(xsc_client_strs(g, XS_SET_PERMS, 0, NULL, "data/x", "r6", "b0", NULL), 0);
    /* XSA-353: nobody but dom0 does anything to / */
    ck_assert_int_eq(xsc_client_strs(g, XS_SET_PERMS, 0, NULL, "/", "b6", NULL), EACCES);
    ck_assert_int_eq(xsc_client_strs(g, XS_RM, 0, NULL, "/", NULL), EINVAL);
    ck_assert_int_eq(xsc_client_write(g, 0, "/", "x"), EACCES);
    xsc_client_close(g);
}
END_TEST

START_TEST(set_target_acts_for_the_target)
{
    struct xsc_client *stub = fx_domain(8);
    struct xsc_client *guest = fx_domain(9);
    char v[32];

    ck_assert_int_eq(xsc_client_write(guest, 0, "data/k", "g"), 0);
    ck_assert_int_eq(xsc_client_read(stub, 0, "/local/domain/9/data/k", v, sizeof(v)), EACCES);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_SET_TARGET, 0, NULL, "8", "9", NULL), 0);
    ck_assert_int_eq(xsc_client_read(stub, 0, "/local/domain/9/data/k", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "g");
    ck_assert_int_eq(xsc_client_write(stub, 0, "/local/domain/9/data/k", "s"), 0);
    xsc_client_close(stub);
    xsc_client_close(guest);
}
END_TEST

START_TEST(special_node_perms)
{
    struct xsc_client *g = fx_domain(10);

    ck_assert_int_eq(xsc_client_strs(g, XS_SET_PERMS, 0, NULL, "@releaseDomain", "r10", NULL),
                     EACCES);
    ck_assert_int_eq(
        xsc_client_strs(dom0, XS_SET_PERMS, 0, NULL, "@releaseDomain", "n0", "r10", NULL), 0);
    /* never read back (C xenstored answers EINVAL); seen in what they allow */
    ck_assert_int_eq(xsc_client_strs(dom0, XS_GET_PERMS, 0, &r, "@releaseDomain", NULL), EINVAL);
    ck_assert_int_eq(xsc_client_strs(g, XS_SET_PERMS, 0, NULL, "@releaseDomain", "n10", NULL),
                     EACCES);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_SET_PERMS, 0, NULL, "@releaseDomain", "n10", NULL),
                     0);
    ck_assert_int_eq(xsc_client_strs(g, XS_SET_PERMS, 0, NULL, "@releaseDomain", "n10", "r0", NULL),
                     0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_SET_PERMS, 0, NULL, "@nonsense", "n0", NULL), EINVAL);
    xsc_client_close(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("xsc_perms");
    TCase *tc = tcase_create("perms");

    tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
    tcase_add_test(tc, guest_cannot_touch_dom0_nodes);
    tcase_add_test(tc, guest_owns_what_it_creates);
    tcase_add_test(tc, entries_grant_per_domain_first_match);
    tcase_add_test(tc, rm_needs_write_not_read);
    tcase_add_test(tc, owner_may_not_give_nodes_away);
    tcase_add_test(tc, set_target_acts_for_the_target);
    tcase_add_test(tc, special_node_perms);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
