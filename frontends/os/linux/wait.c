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

int os_wait(struct os *os, uint64_t deadline_ns)
{
    struct pollfd pfd[2];
    int n = 0;
    pfd[n++] = (struct pollfd){ .fd = xs_fileno(os->xs), .events = POLLIN };
    if (os->xce)
        pfd[n++] = (struct pollfd){ .fd = xenevtchn_fd(os->xce), .events = POLLIN };
    if (pfd[0].fd < 0)
        return -OS_EIO;
    int timeout = -1;
    if (deadline_ns) {
        uint64_t now = os_now_ns(os);
        uint64_t left = deadline_ns > now ? deadline_ns - now : 0;
        uint64_t ms = (left + 999999) / 1000000;
        timeout = ms > 0x7fffffff ? 0x7fffffff : (int)ms;
    }
    int r = hybrid_poll(&os->hp, pfd, (nfds_t)n, timeout);
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
