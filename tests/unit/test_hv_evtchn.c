/*
 * Event channels of the simulated hypervisor: alloc_unbound and
 * bind_interdomain, send with 2-level pending/mask semantics, close as
 * seen by the peer, port limits, and each refused case (code and trace).
 */
#include <errno.h>

#include "tests/unit/test_hv_util.h"

static struct hvhost *ip;
static hv_t *hv;

static void setup(void)
{
    ip = wf_hv_open();
    ck_assert_ptr_nonnull(ip);
    hv = hvhost_hv(ip);
    ck_assert_int_eq(hvhost_domain_create(ip, 0, 1), 0);
    ck_assert_int_eq(hvhost_domain_create(ip, 1, 1), 0);
    ck_assert_int_eq(hvhost_domain_create(ip, 2, 1), 0);
}

static void teardown(void)
{
    hvhost_free(ip);
}

static const void *const OWNER_A = "a";

/* A channel between d1 (alloc_unbound for d0) and d0 (binds). */
static void connect(evtchn_port_t *p1, evtchn_port_t *p0)
{
    ck_assert_int_eq(hv_evtchn_alloc_unbound(hv, 1, DOMID_SELF, 0, OWNER_A, p1), 0);
    ck_assert_int_eq(hv_evtchn_bind_interdomain(hv, 0, 1, *p1, NULL, p0), 0);
}

static void expect_event(size_t i, enum hvhost_event_kind kind, domid_t d, evtchn_port_t port)
{
    const struct hvhost_event *ev = hvhost_event(ip, i);
    ck_assert_ptr_nonnull(ev);
    ck_assert_int_eq(ev->kind, kind);
    ck_assert_uint_eq(ev->dom, d);
    ck_assert_uint_eq(ev->port, port);
}

START_TEST(alloc_and_bind)
{
    evtchn_port_t p1, p0;
    connect(&p1, &p0);
    ck_assert_uint_ne(p1, 0);
    ck_assert_uint_ne(p0, 0);

    struct hv_evtchn_info info;
    ck_assert_int_eq(hv_evtchn_info(hv, 1, p1, &info), 0);
    ck_assert_int_eq(info.state, HV_EVTCHN_INTERDOMAIN);
    ck_assert_uint_eq(info.remote_dom, 0);
    ck_assert_uint_eq(info.remote_port, p0);
    ck_assert_ptr_eq(info.owner, OWNER_A);
    ck_assert_int_eq(hv_evtchn_info(hv, 0, p0, &info), 0);
    ck_assert_int_eq(info.state, HV_EVTCHN_INTERDOMAIN);
    ck_assert_uint_eq(info.remote_dom, 1);
    ck_assert_uint_eq(info.remote_port, p1);
    ck_assert_int_eq(hv_evtchn_info(hv, 0, 0, &info), 0);
    ck_assert_int_eq(info.state, HV_EVTCHN_RESERVED);

    /* As in Xen, the binder's port starts pending: events sent to the
     * unbound end may have been lost. */
    ck_assert_uint_eq(hvhost_event_count(ip), 1);
    expect_event(0, HVHOST_NOTIFY, 0, p0);
    ck_assert_int_eq(hv_evtchn_is_pending(hv, 0, p0), 1);
    ck_assert_int_eq(hv_evtchn_is_pending(hv, 1, p1), 0);
    COUNTS_EQ(dom_counts(ip, 1), 0, 0, 1);
    COUNTS_EQ(dom_counts(ip, 0), 0, 0, 1);
    UNTRACED(ip);
}
END_TEST

START_TEST(send_sets_pending_and_notifies_once)
{
    evtchn_port_t p1, p0;
    connect(&p1, &p0);
    hvhost_clear(ip);
    ck_assert_int_eq(hv_evtchn_send(hv, 0, p0), 0);
    ck_assert_uint_eq(hvhost_notify_count(ip, 1, p1), 1);
    ck_assert_int_eq(hv_evtchn_is_pending(hv, 1, p1), 1);
    /* Already pending: no second upcall. */
    ck_assert_int_eq(hv_evtchn_send(hv, 0, p0), 0);
    ck_assert_uint_eq(hvhost_notify_count(ip, 1, p1), 1);
    /* The guest handles it; the next send notifies again. */
    ck_assert_int_eq(hv_evtchn_clear_pending(hv, 1, p1), 0);
    ck_assert_int_eq(hv_evtchn_send(hv, 0, p0), 0);
    ck_assert_uint_eq(hvhost_notify_count(ip, 1, p1), 2);
    /* And the other way. */
    ck_assert_int_eq(hv_evtchn_clear_pending(hv, 0, p0), 0);
    ck_assert_int_eq(hv_evtchn_send(hv, 1, p1), 0);
    ck_assert_uint_eq(hvhost_notify_count(ip, 0, p0), 1);
    UNTRACED(ip);
}
END_TEST

START_TEST(mask_holds_and_unmask_redelivers)
{
    evtchn_port_t p1, p0;
    connect(&p1, &p0);
    hvhost_clear(ip);
    ck_assert_int_eq(hv_evtchn_mask(hv, 1, p1), 0);
    ck_assert_int_eq(hv_evtchn_is_masked(hv, 1, p1), 1);
    ck_assert_int_eq(hv_evtchn_send(hv, 0, p0), 0);
    ck_assert_int_eq(hv_evtchn_is_pending(hv, 1, p1), 1);
    ck_assert_uint_eq(hvhost_notify_count(ip, 1, p1), 0);
    ck_assert_int_eq(hv_evtchn_unmask(hv, 1, p1), 0);
    ck_assert_uint_eq(hvhost_notify_count(ip, 1, p1), 1);
    /* Unmasking a port that was not masked delivers nothing new. */
    ck_assert_int_eq(hv_evtchn_unmask(hv, 1, p1), 0);
    ck_assert_uint_eq(hvhost_notify_count(ip, 1, p1), 1);
    /* Masked without anything pending: unmask is silent. */
    ck_assert_int_eq(hv_evtchn_clear_pending(hv, 1, p1), 0);
    ck_assert_int_eq(hv_evtchn_mask(hv, 1, p1), 0);
    ck_assert_int_eq(hv_evtchn_unmask(hv, 1, p1), 0);
    ck_assert_uint_eq(hvhost_notify_count(ip, 1, p1), 1);
    UNTRACED(ip);
}
END_TEST

START_TEST(close_is_seen_by_peer)
{
    evtchn_port_t p1, p0;
    connect(&p1, &p0);
    hvhost_clear(ip);
    ck_assert_int_eq(hv_evtchn_close(hv, 0, p0), 0);
    ck_assert_uint_eq(hvhost_event_count(ip), 1);
    expect_event(0, HVHOST_PORT_CLOSED, 1, p1);
    struct hv_evtchn_info info;
    ck_assert_int_eq(hv_evtchn_info(hv, 1, p1, &info), 0);
    ck_assert_int_eq(info.state, HV_EVTCHN_UNBOUND);
    ck_assert_uint_eq(info.remote_dom, 0);
    ck_assert_int_eq(hv_evtchn_info(hv, 0, p0, &info), 0);
    ck_assert_int_eq(info.state, HV_EVTCHN_FREE);
    COUNTS_EQ(dom_counts(ip, 0), 0, 0, 0);
    COUNTS_EQ(dom_counts(ip, 1), 0, 0, 1);

    /* The survivor's notify now goes nowhere: Xen returns 0, we trace. */
    ck_assert_int_eq(hv_evtchn_send(hv, 1, p1), 0);
    char want[160];
    snprintf(want, sizeof(want),
             "d1: notify port %u refused: port is unbound, "
             "event dropped (as Xen does, without error)",
             p1);
    TRACED(ip, want);
    /* The closed end's port is gone. */
    ck_assert_int_eq(hv_evtchn_send(hv, 0, p0), -EINVAL);
    snprintf(want, sizeof(want),
             "d0: notify port %u refused: port is not "
             "allocated",
             p0);
    TRACED(ip, want);

    /* d0 may bind again to the same port. */
    evtchn_port_t again;
    ck_assert_int_eq(hv_evtchn_bind_interdomain(hv, 0, 1, p1, NULL, &again), 0);
    ck_assert_int_eq(hv_evtchn_send(hv, 1, p1), 0);
    ck_assert_uint_eq(hvhost_notify_count(ip, 0, again), 1);
    UNTRACED(ip);
}
END_TEST

START_TEST(close_refused_for_bad_ports)
{
    ck_assert_int_eq(hv_evtchn_close(hv, 1, 0), -EINVAL);
    TRACED(ip, "d1: close port 0 refused: port 0 is reserved");
    ck_assert_int_eq(hv_evtchn_close(hv, 1, 5), -EINVAL);
    TRACED(ip, "d1: close port 5 refused: port is not allocated");
    ck_assert_int_eq(hv_evtchn_close(hv, 1, 1024), -EINVAL);
    TRACED(ip, "d1: close port 1024 refused: port beyond the domain's limit");
    evtchn_port_t p;
    ck_assert_int_eq(hv_evtchn_alloc_unbound(hv, 1, DOMID_SELF, 0, NULL, &p), 0);
    ck_assert_int_eq(hv_evtchn_close(hv, 1, p), 0);
    ck_assert_int_eq(hv_evtchn_close(hv, 1, p), -EINVAL); /* twice */
    char want[80];
    snprintf(want, sizeof(want),
             "d1: close port %u refused: port is not "
             "allocated",
             p);
    TRACED(ip, want);
}
END_TEST

START_TEST(send_refused_for_bad_ports)
{
    ck_assert_int_eq(hv_evtchn_send(hv, 2, 0), -EINVAL);
    TRACED(ip, "d2: notify port 0 refused: port is not allocated");
    ck_assert_int_eq(hv_evtchn_send(hv, 2, 77), -EINVAL);
    TRACED(ip, "d2: notify port 77 refused: port is not allocated");
    ck_assert_int_eq(hv_evtchn_send(hv, 2, 100000), -EINVAL);
    TRACED(ip, "d2: notify port 100000 refused: port is not allocated");
    evtchn_port_t p;
    ck_assert_int_eq(hv_evtchn_alloc_unbound(hv, 2, DOMID_SELF, 0, NULL, &p), 0);
    ck_assert_int_eq(hv_evtchn_send(hv, 2, p), 0);
    ck_assert_uint_eq(hvhost_trace_count(ip), 1);
    ck_assert_uint_eq(hvhost_event_count(ip), 0);
}
END_TEST

START_TEST(bind_refused_unless_reserved_for_binder)
{
    evtchn_port_t p1, p0, lp;
    /* Reserved for d0: d2 may not take it. */
    ck_assert_int_eq(hv_evtchn_alloc_unbound(hv, 1, DOMID_SELF, 0, NULL, &p1), 0);
    ck_assert_int_eq(hv_evtchn_bind_interdomain(hv, 2, 1, p1, NULL, &lp), -EINVAL);
    char want[120];
    snprintf(want, sizeof(want),
             "d2: bind to port %u of d1 refused: port is "
             "reserved for d0",
             p1);
    TRACED(ip, want);
    /* Bound already: nobody else may bind. */
    ck_assert_int_eq(hv_evtchn_bind_interdomain(hv, 0, 1, p1, NULL, &p0), 0);
    ck_assert_int_eq(hv_evtchn_bind_interdomain(hv, 0, 1, p1, NULL, &lp), -EINVAL);
    snprintf(want, sizeof(want),
             "d0: bind to port %u of d1 refused: port is "
             "already bound",
             p1);
    TRACED(ip, want);
    ck_assert_int_eq(hv_evtchn_bind_interdomain(hv, 0, 1, 0, NULL, &lp), -EINVAL);
    TRACED(ip, "d0: bind to port 0 of d1 refused: no such port");
    ck_assert_int_eq(hv_evtchn_bind_interdomain(hv, 0, 1, 300, NULL, &lp), -EINVAL);
    TRACED(ip, "d0: bind to port 300 of d1 refused: port is not allocated");
    ck_assert_int_eq(hv_evtchn_bind_interdomain(hv, 0, 1, 5000, NULL, &lp), -EINVAL);
    TRACED(ip, "d0: bind to port 5000 of d1 refused: no such port");
    ck_assert_int_eq(hv_evtchn_bind_interdomain(hv, 0, 9, 1, NULL, &lp), -ESRCH);
    TRACED(ip, "d0: bind to port 1 of d9 refused: domain does not exist");
    /* None of the refusals took a port. */
    COUNTS_EQ(dom_counts(ip, 2), 0, 0, 0);
    COUNTS_EQ(dom_counts(ip, 0), 0, 0, 1);
}
END_TEST

START_TEST(alloc_for_another_domain_needs_privilege)
{
    evtchn_port_t p;
    ck_assert_int_eq(hv_evtchn_alloc_unbound(hv, 1, 2, 0, NULL, &p), -EPERM);
    TRACED(ip, "d1: alloc unbound port for d2 refused: only a privileged "
               "domain may allocate for another");
    ck_assert_int_eq(hv_evtchn_alloc_unbound(hv, 0, 9, 1, NULL, &p), -ESRCH);
    TRACED(ip, "d0: alloc unbound port for d9 refused: domain does not exist");
    /* dom0 may: the toolstack sets up a guest's channels this way. */
    ck_assert_int_eq(hv_evtchn_alloc_unbound(hv, 0, 2, 1, NULL, &p), 0);
    struct hv_evtchn_info info;
    ck_assert_int_eq(hv_evtchn_info(hv, 2, p, &info), 0);
    ck_assert_int_eq(info.state, HV_EVTCHN_UNBOUND);
    ck_assert_uint_eq(info.remote_dom, 1);
    evtchn_port_t lp;
    ck_assert_int_eq(hv_evtchn_bind_interdomain(hv, 1, 2, p, NULL, &lp), 0);
    UNTRACED(ip);
}
END_TEST

START_TEST(loopback_within_one_domain)
{
    evtchn_port_t a, b;
    ck_assert_int_eq(hv_evtchn_alloc_unbound(hv, 1, DOMID_SELF, DOMID_SELF, NULL, &a), 0);
    ck_assert_int_eq(hv_evtchn_bind_interdomain(hv, 1, DOMID_SELF, a, NULL, &b), 0);
    hvhost_clear(ip);
    ck_assert_int_eq(hv_evtchn_send(hv, 1, b), 0);
    ck_assert_uint_eq(hvhost_notify_count(ip, 1, a), 1);
    ck_assert_int_eq(hv_evtchn_close(hv, 1, a), 0);
    expect_event(1, HVHOST_PORT_CLOSED, 1, b);
    UNTRACED(ip);
}
END_TEST

START_TEST(port_limit_and_lowest_free_port)
{
    struct hv_domain_config cfg = { .nr_frames = 1, .max_evtchn_port = 4 };
    ck_assert_int_eq(hvhost_domain_create_cfg(ip, 3, &cfg), 0);
    evtchn_port_t p;
    for (evtchn_port_t want = 1; want <= 4; want++) {
        ck_assert_int_eq(hv_evtchn_alloc_unbound(hv, 3, DOMID_SELF, 0, NULL, &p), 0);
        ck_assert_uint_eq(p, want);
    }
    ck_assert_int_eq(hv_evtchn_alloc_unbound(hv, 3, DOMID_SELF, 0, NULL, &p), -ENOSPC);
    TRACED(ip, "d3: alloc unbound port for d3 refused: all ports of d3 up to 4 "
               "in use");
    evtchn_port_t p0;
    ck_assert_int_eq(hv_evtchn_alloc_unbound(hv, 0, DOMID_SELF, 3, NULL, &p0), 0);
    ck_assert_int_eq(hv_evtchn_bind_interdomain(hv, 3, 0, p0, NULL, &p), -ENOSPC);
    char want[100];
    snprintf(want, sizeof(want),
             "d3: bind to port %u of d0 refused: all ports "
             "of d3 up to 4 in use",
             p0);
    TRACED(ip, want);
    /* The lowest free port is reused. */
    ck_assert_int_eq(hv_evtchn_close(hv, 3, 2), 0);
    ck_assert_int_eq(hv_evtchn_bind_interdomain(hv, 3, 0, p0, NULL, &p), 0);
    ck_assert_uint_eq(p, 2);
    COUNTS_EQ(dom_counts(ip, 3), 0, 0, 4);
}
END_TEST

START_TEST(default_port_limits)
{
    evtchn_port_t p;
    unsigned n = 0;
    while (hv_evtchn_alloc_unbound(hv, 1, DOMID_SELF, 0, NULL, &p) == 0)
        n++;
    ck_assert_uint_eq(n, HV_DEFAULT_MAX_EVTCHN_PORT);
    ck_assert_uint_eq(p, HV_DEFAULT_MAX_EVTCHN_PORT);
    hvhost_clear(ip);
    n = 0;
    while (hv_evtchn_alloc_unbound(hv, 0, DOMID_SELF, 1, NULL, &p) == 0)
        n++;
    ck_assert_uint_eq(n, HV_EVTCHN_2L_PORTS - 1);
    TRACED(ip, "d0: alloc unbound port for d0 refused: all ports of d0 up to "
               "4095 in use");
}
END_TEST

START_TEST(bit_operations_need_an_allocated_port)
{
    ck_assert_int_eq(hv_evtchn_mask(hv, 1, 3), -EINVAL);
    ck_assert_int_eq(hv_evtchn_unmask(hv, 1, 3), -EINVAL);
    ck_assert_int_eq(hv_evtchn_clear_pending(hv, 1, 0), -EINVAL);
    ck_assert_int_eq(hv_evtchn_is_pending(hv, 1, 4096), -EINVAL);
    ck_assert_int_eq(hv_evtchn_is_masked(hv, 9, 1), -EINVAL);
    struct hv_evtchn_info info;
    ck_assert_int_eq(hv_evtchn_info(hv, 1, 1024, &info), -EINVAL);
    ck_assert_int_eq(hv_evtchn_info(hv, 9, 1, &info), -ESRCH);
}
END_TEST

static Suite *evtchn_suite(void)
{
    Suite *s = suite_create("hv event channels");
    TCase *tc = tcase_create("evtchn");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, alloc_and_bind);
    tcase_add_test(tc, send_sets_pending_and_notifies_once);
    tcase_add_test(tc, mask_holds_and_unmask_redelivers);
    tcase_add_test(tc, close_is_seen_by_peer);
    tcase_add_test(tc, close_refused_for_bad_ports);
    tcase_add_test(tc, send_refused_for_bad_ports);
    tcase_add_test(tc, bind_refused_unless_reserved_for_binder);
    tcase_add_test(tc, alloc_for_another_domain_needs_privilege);
    tcase_add_test(tc, loopback_within_one_domain);
    tcase_add_test(tc, port_limit_and_lowest_free_port);
    tcase_add_test(tc, default_port_limits);
    tcase_add_test(tc, bit_operations_need_an_allocated_port);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(evtchn_suite());
}
