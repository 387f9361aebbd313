/*
 * os_linux.h — the Linux-process home of os.h (private to this folder).
 *
 * One struct os per process: handles on the real Xen userspace libraries
 * (on the simulator the same sonames are the drop-in ones; only
 * LD_LIBRARY_PATH and XENSTORED_PATH differ).
 */
#ifndef SPLITBED_OS_LINUX_H
#define SPLITBED_OS_LINUX_H

#include <poll.h>
#include <stdbool.h>
#include <xengnttab.h>
#include <xenevtchn.h>
#include <xenstore.h>

#include "os.h"
#include "os/hosted/hybrid_poll.h"

struct os_share; /* one os_share_pages() region (grants.c) */

struct os {
    struct xs_handle *xs;
    xengntshr_handle *gs;  /* opened on first use */
    xenevtchn_handle *xce; /* opened on first use */
    xengnttab_handle *gt;  /* maps peers' grants; opened on first use */
    bool gs_failed, xce_failed, gt_failed;
    bool xce_nonblock; /* reading the device never blocks */
    /* With a non-blocking device, os_evtchn_next_pending reads it only
     * when the last os_wait() saw it readable (or before the first
     * wait): an event is level-triggered, so one not read yet wakes the
     * next wait at once, and a read bound to fail is never made there
     * (os_wait's spin reads it as its look instead of polling).  A daemon
     * polling the descriptors itself (os_linux_poll_fds) gets a read on
     * every call. */
    bool xce_ready;
    bool xce_polled_elsewhere;
    /* A port os_wait's spin took from the device (its look is the read
     * os_evtchn_next_pending would make), still masked: the next
     * os_evtchn_next_pending hands it out; 0 when none.  While one is
     * held, os_wait returns at once, as for a readable device. */
    evtchn_port_t xce_taken;
    domid_t domid;
    enum os_log_level max_level; /* lines above this are dropped */
    struct os_share *shares;
    struct hybrid_poll hp; /* os_wait spins this long before it sleeps */
};

struct os_linux_opts {
    bool quiet; /* drop OS_LOG_INFO and OS_LOG_DEBUG */
    bool debug; /* keep OS_LOG_DEBUG */
};

/* Connects to xenstore (xs_open(0)) and learns the domain id.  Returns
 * NULL after printing one line naming what failed. */
struct os *os_linux_open(const struct os_linux_opts *opts);
void os_linux_close(struct os *os);

/* Lazily opened library handles; NULL (logged once) if unavailable. */
xengntshr_handle *os_linux_gntshr(struct os *os);
xenevtchn_handle *os_linux_evtchn(struct os *os);
/* The descriptors os_wait() sleeps on (xenstore, event channels), for a
 * daemon that multiplexes them with its own in one poll(): fills up to
 * max entries (events POLLIN) and returns how many. */
int os_linux_poll_fds(struct os *os, struct pollfd *fds, int max);
/* Frees every region still shared (at exit). */
void os_linux_unshare_all(struct os *os);

#endif
