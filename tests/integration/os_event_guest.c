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
 * and, after RACES notifies from another thread, each made from 0 to
 * about 2 ms after the wait began (before its spin's first look, during
 * the spin, as it gives up, during the sleep: the spin lasts at most
 * SPLITBED_POLL_US, 1 ms in test_os_events),
 *     raced K          how many of them woke the wait and reported the
 *                      port within 10 s (RACES: none was lost)
 * Exit 0, or 1 when a call failed.
 */
#include "os.h"

#include <pthread.h>
#include <unistd.h>

#define ROUNDS 1000
#define RACES 500

struct racer {
    struct os *os;
    evtchn_port_t port;
    int go[2];
    bool failed;
};

/* Notifies once per byte on go, after a delay that moves the notify
 * across the waiter's spin and sleep from round to round. */
static void *race(void *arg)
{
    struct racer *r = arg;
    char c;
    for (unsigned i = 0; read(r->go[0], &c, 1) == 1; i++) {
        uint64_t until = os_now_ns(r->os) + (uint64_t)(i % 50) * 40000u;
        while (os_now_ns(r->os) < until)
            ;
        if (os_evtchn_notify(r->os, r->port) < 0) {
            r->failed = true;
            break;
        }
    }
    return NULL;
}

/* How many of RACES notifies from another thread were each seen. */
static long long races(struct os *os, evtchn_port_t local, evtchn_port_t remote)
{
    struct racer r = { .os = os, .port = remote };
    pthread_t t;
    if (pipe(r.go) < 0)
        return -1;
    if (pthread_create(&t, NULL, race, &r) != 0) {
        close(r.go[0]);
        close(r.go[1]);
        return -1;
    }
    long long got = 0;
    for (unsigned i = 0; i < RACES; i++) {
        if (write(r.go[1], "g", 1) != 1)
            break;
        uint64_t deadline = os_now_ns(os) + 10000000000ull;
        evtchn_port_t p = 0;
        while (os_wait(os, deadline) == 1 && !(os_evtchn_next_pending(os, &p) > 0 && p == local))
            ;
        if (p != local)
            break;
        got++;
    }
    close(r.go[1]);
    pthread_join(t, NULL);
    close(r.go[0]);
    return r.failed ? -1 : got;
}

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
    say(os, "raced", races(os, a, b));
    return 0;
}
