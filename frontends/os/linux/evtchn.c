/* evtchn.c — event channels over xenevtchn. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>

#include "os_linux.h"

int os_evtchn_alloc_unbound(struct os *os, domid_t peer, evtchn_port_t *port)
{
    xenevtchn_handle *xce = os_linux_evtchn(os);
    if (!xce)
        return -OS_ENODEV;
    xenevtchn_port_or_error_t p = xenevtchn_bind_unbound_port(xce, peer);
    if (p < 0) {
        int e = errno ? errno : OS_EIO;
        os_log(os, OS_LOG_ERROR, "[os] d%u: allocating an event channel for d%u failed: %s",
               os->domid, peer, strerror(e));
        return -e;
    }
    *port = (evtchn_port_t)p;
    return 0;
}

int os_evtchn_notify(struct os *os, evtchn_port_t port)
{
    if (!os->xce)
        return -OS_EBADF;
    return xenevtchn_notify(os->xce, port) < 0 ? -(errno ? errno : OS_EIO) : 0;
}

int os_evtchn_close(struct os *os, evtchn_port_t port)
{
    if (!os->xce)
        return -OS_EBADF;
    return xenevtchn_unbind(os->xce, port) < 0 ? -(errno ? errno : OS_EIO) : 0;
}

int os_evtchn_next_pending(struct os *os, evtchn_port_t *port)
{
    if (!os->xce)
        return 0;
    if (os->xce_taken) {
        /* Taken by os_wait's spin; unmasked only now, as after a read. */
        evtchn_port_t taken = os->xce_taken;
        os->xce_taken = 0;
        (void)xenevtchn_unmask(os->xce, taken);
        *port = taken;
        return (int)taken;
    }
    if (os->xce_nonblock && !os->xce_polled_elsewhere) {
        if (!os->xce_ready)
            return 0;
        /* Whatever the read finds, the next one waits for a poll that
         * says the device is readable again. */
        os->xce_ready = false;
    } else if (!os->xce_nonblock) {
        /* The device's read blocks; look first. */
        struct pollfd pfd = { .fd = xenevtchn_fd(os->xce), .events = POLLIN };
        int r = poll(&pfd, 1, 0);
        if (r < 0)
            return errno == EINTR ? 0 : -errno;
        if (r == 0 || !(pfd.revents & POLLIN))
            return 0;
    }
    errno = 0;
    xenevtchn_port_or_error_t p = xenevtchn_pending(os->xce);
    if (p < 0)
        return errno == EAGAIN ? 0 : -(errno ? errno : OS_EIO);
    /* Delivery masked the port; re-arm it before the driver looks at the
     * ring so that an event raised meanwhile is not lost. */
    (void)xenevtchn_unmask(os->xce, (evtchn_port_t)p);
    *port = (evtchn_port_t)p;
    return p > 0 ? (int)p : 1;
}

int os_evtchn_bind_interdomain(struct os *os, domid_t peer, evtchn_port_t remote,
                               evtchn_port_t *local)
{
    xenevtchn_handle *xce = os_linux_evtchn(os);
    if (!xce)
        return -OS_ENODEV;
    xenevtchn_port_or_error_t p = xenevtchn_bind_interdomain(xce, peer, remote);
    if (p < 0) {
        int e = errno ? errno : OS_EIO;
        os_log(os, OS_LOG_DEBUG, "[os] d%u: binding port %u of d%u failed: %s", os->domid,
               (unsigned)remote, peer, strerror(e));
        return -e;
    }
    *local = (evtchn_port_t)p;
    return 0;
}
