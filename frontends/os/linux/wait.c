/* wait.c — the monotonic clock and the one place a process sleeps
 * (after a short spin: hybrid_poll.h). */
#include <errno.h>
#include <poll.h>
#include <time.h>

#include "os_linux.h"

uint64_t os_now_ns(struct os *os)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* poll()'s timeout for deadline_ns (0: none, -1). */
static int timeout_ms(struct os *os, uint64_t deadline_ns)
{
    if (!deadline_ns)
        return -1;
    uint64_t now = os_now_ns(os);
    uint64_t left = deadline_ns > now ? deadline_ns - now : 0;
    uint64_t ms = (left + 999999) / 1000000;
    return ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

/* While work keeps coming, xenstore is still looked at this often. */
#define XS_LOOK_NS (HYBRID_POLL_DEFAULT_US * 1000ull)

/* The spin's look when the event device is non-blocking: one read of the
 * device (what os_evtchn_next_pending would make after a poll), which
 * takes the event when there is one; xenstore at most every XS_LOOK_NS.
 * The first look is skipped: the driver looked just before it waits, so
 * its peer, if it shares our CPU, has yet to run (the yield lets it). */
struct wait_look {
    struct os *os;
    struct pollfd *xs;
    uint64_t deadline_ns, xs_looked;
    bool first;
    enum { LOOK_NONE, LOOK_EVENT, LOOK_POLL, LOOK_TIMEOUT } why;
};

static bool look_for_event(void *arg)
{
    struct wait_look *l = arg;
    if (l->first) {
        l->first = false;
        return false;
    }
    errno = 0;
    xenevtchn_port_or_error_t p = xenevtchn_pending(l->os->xce);
    if (p > 0) {
        l->os->xce_taken = (evtchn_port_t)p;
        l->why = LOOK_EVENT;
        return true;
    }
    if (p == 0 || errno != EAGAIN) {
        /* Not ours to judge here: the poll and the next read report it. */
        l->why = LOOK_POLL;
        return true;
    }
    uint64_t now = os_now_ns(l->os);
    if (l->deadline_ns && now >= l->deadline_ns) {
        l->why = LOOK_TIMEOUT;
        return true;
    }
    if (now - l->xs_looked >= XS_LOOK_NS) {
        l->xs_looked = now;
        if (poll(l->xs, 1, 0) != 0) {
            l->why = LOOK_POLL;
            return true;
        }
    }
    return false;
}

int os_wait(struct os *os, uint64_t deadline_ns)
{
    if (os->xce_taken)
        return 1;
    struct pollfd pfd[2];
    int n = 0;
    pfd[n++] = (struct pollfd){ .fd = xs_fileno(os->xs), .events = POLLIN };
    if (os->xce)
        pfd[n++] = (struct pollfd){ .fd = xenevtchn_fd(os->xce), .events = POLLIN };
    if (pfd[0].fd < 0)
        return -OS_EIO;
    int timeout = timeout_ms(os, deadline_ns);
    int r;
    if (n > 1 && os->xce_nonblock && !os->xce_polled_elsewhere && timeout != 0) {
        /* Spin by reading the device, then sleep in poll(). */
        struct wait_look l = { os, &pfd[0], deadline_ns, os_now_ns(os), true, LOOK_NONE };
        if (hybrid_poll_spin(&os->hp, look_for_event, &l)) {
            if (l.why == LOOK_EVENT)
                return 1;
            if (l.why == LOOK_TIMEOUT)
                return 0;
            timeout = 0; /* LOOK_POLL: see what the descriptors say */
        } else {
            timeout = timeout_ms(os, deadline_ns); /* what the spin left */
        }
        r = hybrid_poll_sleep(&os->hp, pfd, (nfds_t)n, timeout);
    } else {
        r = hybrid_poll(&os->hp, pfd, (nfds_t)n, timeout);
    }
    if (r > 0 && n > 1 && (pfd[1].revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL)))
        os->xce_ready = true;
    if (r < 0)
        return errno == EINTR ? 1 : -errno;
    return r > 0 ? 1 : 0;
}

int os_linux_poll_fds(struct os *os, struct pollfd *fds, int max)
{
    int n = 0;
    os->xce_polled_elsewhere = true;
    if (n < max && xs_fileno(os->xs) >= 0)
        fds[n++] = (struct pollfd){ .fd = xs_fileno(os->xs), .events = POLLIN };
    if (n < max && os->xce)
        fds[n++] = (struct pollfd){ .fd = xenevtchn_fd(os->xce), .events = POLLIN };
    return n;
}
