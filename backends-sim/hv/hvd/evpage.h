/*
 * evpage.h — the event page shared between splitbed-hvd, the process that
 * owns an event-channel handle and the processes that notify it.
 *
 * Each evtchn handle has one page set (in a memfd) indexed by port number
 * of its domain, and one semaphore eventfd (xenevtchn_fd).  The state of a
 * port follows Linux's /dev/xen/evtchn: a delivered port is masked until
 * xenevtchn_unmask; a notify while masked leaves it pending and unmask
 * delivers it again.  Delivery = set the port's queued bit, then add 1 to
 * the eventfd; xenevtchn_pending takes 1 from the eventfd, then a queued
 * port.  All of it is lock-free, so a notify between two processes costs
 * one eventfd write, as on Xen it costs one hypercall.
 *
 * gen[port] is written only by the daemon and changes whenever the
 * binding of the port changes; a notifier's cached route to the peer is
 * valid while gen matches.
 */
#ifndef SPLITBED_HVD_EVPAGE_H
#define SPLITBED_HVD_EVPAGE_H

#include <stdint.h>

#define EVP_NPORTS 1024u        /* ports per domain (port 0 is never used) */

struct evpage {
    uint32_t state[EVP_NPORTS];         /* EVP_PENDING | EVP_MASKED, atomic */
    uint32_t gen[EVP_NPORTS];
    uint64_t queued[EVP_NPORTS / 64];   /* atomic bitmap */
};

#define EVP_PENDING 1u
#define EVP_MASKED  2u
#define EVP_BYTES   ((sizeof(struct evpage) + 4095u) & ~4095u)

/* Raise port: returns 1 when it became queued, so the caller must add 1
 * to the owner's eventfd. */
int evp_raise(struct evpage *p, unsigned port);

/* Takes one queued port, or returns -1 when none is. */
int evp_take(struct evpage *p);

/* Unmask port: returns 1 when it was pending and is queued again. */
int evp_unmask(struct evpage *p, unsigned port);

/* Forget the port's state (bind or close).  Returns 1 when it was queued:
 * the owner's eventfd then counts one event too many. */
int evp_reset(struct evpage *p, unsigned port);

/* Adds 1 to an event counter (a non-blocking eventfd). */
void evp_kick(int efd);

#endif
