/*
 * os-event-guest — the Linux OS layer's event path, for test_os_events.
 * It binds an event channel to itself (a port allocated unbound for its
 * own domain, then bound from the same domain), lets the event of the
 * binding pass, and prints one line per step:
 *     quiet N          os_evtchn_next_pending before any event: N (0)
 *     unseen N         right after a notify, before any wait: N (0 or the
 *                      port: an event may be reported once a wait saw it)
 *     woke N           os_wait after the notify: N (1, the event, not the
 *                      timeout)
 *     pending N        the next os_evtchn_next_pending: the port
 *     drained N        os_evtchn_next_pending again: 0
 *     idle N           os_wait with nothing pending: 0 (the timeout)
 *     port P           the port, to compare with the lines above
 * and, after ROUNDS notifies each followed by a wait and a look,
 *     rounds K         how many of them reported the port (ROUNDS)
 * Exit 0, or 1 when a call failed.
 */
#include "os.h"

#define ROUNDS 1000

static void say(struct os *os, const char *key, long long v)
{
    char line[64];
    int n = os_snprintf(line, sizeof(line), "%s %lld\n", key, v);
    os_console_write(os, line, (size_t)n);
}

int app_main(struct os *os, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    domid_t self = os_domid(os);
    evtchn_port_t a, b, p;
    if (os_evtchn_alloc_unbound(os, self, &a) < 0 ||
        os_evtchn_bind_interdomain(os, self, a, &b) < 0)
        return 1;
    say(os, "port", a);
    /* Binding raises an event on the new local port, as Xen's does. */
    for (int i = 0; i < 100 && os_wait(os, os_now_ns(os) + 20000000ull) == 1; i++)
        (void)os_evtchn_next_pending(os, &p);
    say(os, "quiet", os_evtchn_next_pending(os, &p));
    if (os_evtchn_notify(os, b) < 0)
        return 1;
    int r = os_evtchn_next_pending(os, &p);
    say(os, "unseen", r > 0 ? (long long)p : r);
    if (r > 0 && os_evtchn_notify(os, b) < 0) /* raise it again for the wait */
        return 1;
    say(os, "woke", os_wait(os, os_now_ns(os) + 10000000000ull));
    r = os_evtchn_next_pending(os, &p);
    say(os, "pending", r > 0 ? (long long)p : r);
    say(os, "drained", os_evtchn_next_pending(os, &p));
    say(os, "idle", os_wait(os, os_now_ns(os) + 20000000ull));
    unsigned got = 0;
    for (unsigned i = 0; i < ROUNDS; i++) {
        if (os_evtchn_notify(os, b) < 0)
            return 1;
        if (os_wait(os, os_now_ns(os) + 10000000000ull) != 1)
            break;
        if (os_evtchn_next_pending(os, &p) > 0 && p == a)
            got++;
    }
    say(os, "rounds", got);
    return 0;
}
