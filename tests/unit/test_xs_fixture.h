/*
 * test_xs_fixture.h — a fresh xenstore core per test and a dom0 client,
 * taken from the world's fixture, and domains created the way libxl
 * creates them, for the xenstored unit tests.
 */
#ifndef SPLITBED_TEST_XS_FIXTURE_H
#define SPLITBED_TEST_XS_FIXTURE_H

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "backends-sim/world/world_fixture.h"

static struct wf_xenstore peers;
static struct xsc_core *core;
static struct xsc_client *dom0;

static inline void fx_setup(void)
{
    ck_assert_int_eq(wf_xenstore_open(&peers), 0);
    core = peers.core;
    dom0 = peers.dom0;
}

/* After each case, as QEMU's xenstore tests do, every node record is
 * accounted for (the cases close the connections they open, and with them
 * every transaction): a node the core forgot to free fails the case that
 * leaked it. */
static inline void fx_teardown(void)
{
    ck_assert_uint_eq(wf_xenstore_close(&peers), 0);
    core = NULL;
    dom0 = NULL;
}

static inline int setperms(struct xsc_client *cl, const char *path, const char *p0, const char *p1)
{
    return xsc_client_strs(cl, XS_SET_PERMS, 0, NULL, path, p0, p1, NULL);
}

/* What libxl writes for a new domain, then INTRODUCE; returns a client
 * of that domain. */
static inline struct xsc_client *fx_domain(unsigned domid)
{
    char p[128], owner[16], reader[16], own[16], num[16];
    static const char *const ro[] = { "", "/device", "/control" };
    static const char *const rw[] = { "/control/shutdown", "/data" };
    struct xsc_client *cl;

    snprintf(owner, sizeof(owner), "n0");
    snprintf(reader, sizeof(reader), "r%u", domid);
    snprintf(own, sizeof(own), "n%u", domid);
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "/local/domain/%u%s", domid, ro[i]);
        ck_assert_int_eq(xsc_client_strs(dom0, XS_MKDIR, 0, NULL, p, NULL), 0);
        ck_assert_int_eq(setperms(dom0, p, owner, reader), 0);
    }
    for (size_t i = 0; i < 2; i++) {
        snprintf(p, sizeof(p), "/local/domain/%u%s", domid, rw[i]);
        ck_assert_int_eq(xsc_client_strs(dom0, XS_MKDIR, 0, NULL, p, NULL), 0);
        ck_assert_int_eq(setperms(dom0, p, own, NULL), 0);
    }
    snprintf(p, sizeof(p), "/local/domain/%u/domid", domid);
    snprintf(num, sizeof(num), "%u", domid);
    ck_assert_int_eq(xsc_client_write(dom0, 0, p, num), 0);
    snprintf(p, sizeof(p), "/local/domain/%u/name", domid);
    ck_assert_int_eq(xsc_client_write(dom0, 0, p, "guest"), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_INTRODUCE, 0, NULL, num, "1234", "5", NULL), 0);
    cl = xsc_client_open(core, domid);
    ck_assert_ptr_nonnull(cl);
    return cl;
}

/* Drains dom0-style events; returns how many there were. */
static inline unsigned fx_drain(struct xsc_client *cl)
{
    char p[4200], t[4200];
    unsigned n = 0;

    while (xsc_client_event(cl, p, sizeof(p), t, sizeof(t)))
        n++;
    return n;
}

/* Takes one event and checks it. */
static inline void fx_event(struct xsc_client *cl, const char *path, const char *token)
{
    char p[4200], t[4200];

    ck_assert_msg(xsc_client_event(cl, p, sizeof(p), t, sizeof(t)), "no event for %s", path);
    ck_assert_str_eq(p, path);
    ck_assert_str_eq(t, token);
}

static inline int fx_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

#endif
