/*
 * Event channels between real processes in two domains through
 * splitbed-hvd and the drop-in libxenevtchn (programs linked against
 * Debian's real library): a ping-pong of thousands of notifications, the
 * masking rules of /dev/xen/evtchn, each refused call failing with
 * Linux's errno and its trace line, and xenevtchn_fd's promise (readable
 * means xenevtchn_pending has a port) through binds, unbinds and deaths.
 */
#include "tests/integration/test_hv_harness.h"
#include "backends-sim/hv/hvctl.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void pair(struct peer *a, struct peer *b, int *pa, int *pb)
{
    hvt_peer(a, 1);
    hvt_peer(b, 2);
    ck_assert_int_eq(sscanf(hvt_ok(a, "bindu 2"), "%d", pa), 1);
    ck_assert_int_gt(*pa, 0);
    ck_assert_int_eq(sscanf(hvt_ok(b, "bindi 1 %d", *pa), "%d", pb), 1);
    ck_assert_int_gt(*pb, 0);
    /* Xen marks the binder's new port pending */
    ck_assert_int_eq(atoi(hvt_ok(b, "wait")), *pb);
}

START_TEST(ping_pong)
{
    hvt_start();
    struct peer a, b;
    int pa, pb;
    pair(&a, &b, &pa, &pb);
    /* both halves run at once: a sends first, b answers each event */
    hvt_send(&a, "pingpong %d 5000 1", pa);
    hvt_ok(&b, "pingpong %d 5000 0", pb);
    ck_assert_str_eq(hvt_reply(&a), "ok");
    hvt_end(&a);
    hvt_end(&b);
    hvt_stop();
}
END_TEST

START_TEST(masked_until_unmask)
{
    hvt_start();
    struct peer a, b;
    int pa, pb;
    pair(&a, &b, &pa, &pb);
    /* two notifies before the receiver looks: the first is delivered and
     * masks the port, the second stays pending until the unmask, which
     * delivers it again (as Xen re-raises a pending port on unmask) */
    hvt_ok(&b, "notify %d", pb);
    hvt_ok(&b, "notify %d", pb);
    ck_assert_int_eq(atoi(hvt_ok(&a, "wait")), pa);
    ck_assert_int_eq(atoi(hvt_ok(&a, "wait")), pa);
    /* nothing pending now: a non-blocking fd says EAGAIN, as the driver's */
    ck_assert_str_eq(hvt_cmd(&a, "pendingnb"), "err 11");
    hvt_ok(&b, "notify %d", pb);
    ck_assert_int_eq(atoi(hvt_ok(&a, "pendingnb")), pa);
    /* taken but not unmasked: further notifies stay pending, unseen */
    hvt_ok(&b, "notify %d", pb);
    ck_assert_str_eq(hvt_cmd(&a, "pendingnb"), "err 11");
    hvt_end(&a);
    hvt_end(&b);
    hvt_stop();
}
END_TEST

START_TEST(refused_calls)
{
    hvt_start();
    struct peer a, b;
    int pa, pb;
    pair(&a, &b, &pa, &pb);
    /* notify on a port this handle never bound */
    ck_assert_str_eq(hvt_cmd(&a, "notify 77"), "err 107");
    ck_assert(hvt_trace_has("d1: notify on port 77 refused: port is not bound"));
    /* notify on the other domain's port number, bound by another process */
    ck_assert_str_eq(hvt_cmd(&a, "unbind 500"), "err 107");
    /* bind to a port that is not unbound */
    ck_assert_str_eq(hvt_cmd(&b, "bindi 1 %d", pa), "err 22");
    /* bind to a port reserved for another domain */
    struct peer c;
    hvt_peer(&c, 3);
    int pr;
    ck_assert_int_eq(sscanf(hvt_ok(&a, "bindu 2"), "%d", &pr), 1);
    ck_assert_str_eq(hvt_cmd(&c, "bindi 1 %d", pr), "err 22");
    ck_assert(hvt_trace_has("is reserved for d2"));
    /* a domain that does not exist */
    ck_assert_str_eq(hvt_cmd(&c, "bindi 99 1"), "err 3");
    /* VIRQ_DOM_EXC is global: only its handler, dom0, binds it */
    ck_assert_str_eq(hvt_cmd(&c, "virq 3"), "err 16");
    ck_assert(hvt_trace_has("d3: bind of virq 3 refused: a global virq goes to its handler, d0"));
    ck_assert_str_eq(hvt_cmd(&c, "virq 24"), "err 22");
    /* a restricted handle binds only to its domain */
    hvt_ok(&c, "restrict 1");
    ck_assert_str_eq(hvt_cmd(&c, "bindu 1"), "err 13");
    ck_assert_str_eq(hvt_cmd(&c, "bindi 2 %d", pb), "err 13");
    ck_assert_str_eq(hvt_cmd(&c, "restrict 2"), "err 13");
    hvt_end(&c);
    hvt_end(&a);
    hvt_end(&b);
    hvt_stop();
}
END_TEST

START_TEST(peer_unbind_and_kill)
{
    hvt_start();
    struct peer a, b;
    int pa, pb;
    pair(&a, &b, &pa, &pb);
    hvt_ok(&a, "notify %d", pa); /* learn the fast route */
    ck_assert_int_eq(atoi(hvt_ok(&b, "wait")), pb);
    hvt_ok(&b, "unbind %d", pb);
    /* the route a learnt is stale now: Xen drops the event, we trace */
    hvt_ok(&a, "notify %d", pa);
    ck_assert(hvt_trace_has("d1: notify port"));
    ck_assert(hvt_trace_has("is unbound"));
    /* rebinding works, then a SIGKILL releases b's port */
    ck_assert_int_eq(sscanf(hvt_ok(&b, "bindi 1 %d", pa), "%d", &pb), 1);
    ck_assert_int_eq(hvt_counts(2).ports, 1);
    hvt_kill(&b, SIGKILL);
    ck_assert_int_eq(hvt_counts(2).ports, 0);
    ck_assert_int_eq(hvt_counts(1).ports, 1);
    hvt_end(&a);
    ck_assert_int_eq(hvt_counts(-1).ports, 0);
    hvt_stop();
}
END_TEST

/* A notifier whose peer died keeps working.  The peer's counter is a
 * pipe whose other read ends go with it; a notifier that wrote to it on a
 * route learnt just before the death would get SIGPIPE, which is why
 * notifiers hold a read end too.  (The death changes the route, so here
 * the later notifies go through the daemon; the race itself is not
 * reproduced.) */
START_TEST(notify_after_owner_died)
{
    hvt_start();
    struct peer a, b;
    int pa, pb;
    pair(&a, &b, &pa, &pb);
    hvt_ok(&b, "notify %d", pb); /* b learns the route to a's counter */
    ck_assert_int_eq(atoi(hvt_ok(&a, "wait")), pa);
    hvt_ok(&b, "notify %d", pb); /* straight to a's counter */
    hvt_kill(&a, SIGKILL);
    ck_assert_int_eq(hvt_counts(1).ports, 0); /* a's handle is released */
    for (int i = 0; i < 3; i++)
        hvt_cmd(&b, "notify %d", pb); /* Xen drops it; b must survive */
    ck_assert_int_gt(atoi(hvt_ok(&b, "pid")), 0);
    hvt_end(&b);
    hvt_stop();
}
END_TEST

/* A process that fills its own event counter cannot stall the daemon or
 * its peers: kicks never block. */
START_TEST(saturated_counter_blocks_nobody)
{
    const char *dir = hvt_start();
    struct peer a, b;
    int pa, pb;
    pair(&a, &b, &pa, &pb);
    ck_assert_int_ge(atoi(hvt_ok(&a, "saturate")), 1);
    hvt_ok(&b, "notify %d", pb); /* the fast path */
    hvt_ok(&b, "unbind %d", pb); /* the daemon resets a's side */
    hvt_ok(&a, "unbind %d", pa);
    ck_assert_int_eq(hvctl_ping(dir), 0);
    hvt_end(&a);
    hvt_end(&b);
    hvt_stop();
}
END_TEST

/* Takes every event a's fd says is ready, each without blocking ("ready"
 * fails with "bad hang" otherwise); returns how many there were. */
static int drain(struct peer *a)
{
    for (int n = 0; n < 64; n++) {
        const char *r = hvt_ok(a, "ready");
        if (!strcmp(r, "none"))
            return n;
        ck_assert_int_gt(atoi(r), 0);
    }
    ck_abort_msg("xenevtchn_fd stays readable");
    return -1;
}

/* What a backend's main loop does when the frontend's last notify and its
 * own disconnect come together: poll says readable, the loop unbinds,
 * then takes the event.  /dev/xen/evtchn still hands out the port. */
START_TEST(unbind_after_poll_still_delivers)
{
    hvt_start();
    struct peer a, b;
    int pa, pb;
    pair(&a, &b, &pa, &pb);
    hvt_ok(&b, "notify %d", pb);
    ck_assert_int_eq(atoi(hvt_ok(&a, "ready %d", pa)), pa);
    ck_assert_int_eq(drain(&a), 0);
    hvt_end(&a);
    hvt_end(&b);
    hvt_stop();
}
END_TEST

/* Bind, notify (through the daemon, then straight to the page), unbind
 * on either side, peer death and reuse of port numbers with events still
 * queued, in every order: whenever a's fd polls readable, pending gives a
 * port without blocking, and the fd never stays readable without one. */
START_TEST(readable_means_a_port)
{
    hvt_start();
    struct peer a, b;
    hvt_peer(&a, 1);
    hvt_peer(&b, 2);
    bool left = false; /* an event left queued on a's last port */
    int last = 0;
    for (int i = 0; i < 300; i++) {
        int pa, pb, notifies = i % 3;
        ck_assert_int_eq(sscanf(hvt_ok(&a, "bindu 2"), "%d", &pa), 1);
        ck_assert_int_eq(sscanf(hvt_ok(&b, "bindi 1 %d", pa), "%d", &pb), 1);
        ck_assert_int_eq(atoi(hvt_ok(&b, "wait")), pb);
        if (left && pa != last) /* another number: the old port alone */
            ck_assert_int_eq(atoi(hvt_ok(&a, "ready")), last);
        for (int k = 0; k < notifies; k++)
            hvt_ok(&b, "notify %d", pb);
        /* the same number again: what the last binding left is due too */
        bool due = notifies > 0 || (left && pa == last);
        left = false;
        const char *r;
        switch (i % 4) {
        case 0: /* a unbinds between its poll and its pending */
            r = hvt_ok(&a, "ready %d", pa);
            if (due)
                ck_assert_int_eq(atoi(r), pa);
            else
                ck_assert_str_eq(r, "none");
            hvt_ok(&b, "unbind %d", pb);
            break;
        case 1: /* b dies with its port bound, then the same */
            hvt_kill(&b, SIGKILL);
            hvt_peer(&b, 2);
            r = hvt_ok(&a, "ready %d", pa);
            if (due)
                ck_assert_int_eq(atoi(r), pa);
            else
                ck_assert_str_eq(r, "none");
            break;
        case 2: /* b unbinds first; a takes what came, then unbinds */
            hvt_ok(&b, "unbind %d", pb);
            ck_assert_int_eq(drain(&a) > 0, due);
            hvt_ok(&a, "unbind %d", pa);
            break;
        case 3: /* a unbinds without looking: the event stays queued
                         * while the next binding takes the same number */
            hvt_ok(&a, "unbind %d", pa);
            hvt_ok(&b, "unbind %d", pb);
            left = due;
            last = pa;
            continue;
        }
        drain(&a);
    }
    hvt_end(&a);
    hvt_end(&b);
    hvt_stop();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hv-proc-evtchn");
    TCase *tc = tcase_create("evtchn");
    tcase_add_unchecked_fixture(tc, hvt_suite_setup, hvt_suite_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, ping_pong);
    tcase_add_test(tc, masked_until_unmask);
    tcase_add_test(tc, refused_calls);
    tcase_add_test(tc, peer_unbind_and_kill);
    tcase_add_test(tc, notify_after_owner_died);
    tcase_add_test(tc, saturated_counter_blocks_nobody);
    tcase_add_test(tc, unbind_after_poll_still_delivers);
    tcase_add_test(tc, readable_means_a_port);
    suite_add_tcase(s, tc);
    return check_main(s);
}
