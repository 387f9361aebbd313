/*
 * evpage.h — the event page shared between splitbed-hvd, the process that
 * owns an event-channel handle and the processes that notify it.
 *
 * Each evtchn handle has one page set (in a memfd) indexed by port number
 * of its domain, and one event counter: a pipe holding one byte per count.
 * Its read end is xenevtchn_fd, held by the owner alone among those who
 * use it, so the program's O_NONBLOCK on it decides, as on
 * /dev/xen/evtchn, whether xenevtchn_pending blocks, and a blocking wait is
 * one read(2).  Its write end is non-blocking and shared with the daemon
 * and the notifiers, so nobody can be made to wait on it.  The state of a
 * port follows Linux's /dev/xen/evtchn: a delivered port is masked until
 * xenevtchn_unmask; a notify while masked leaves it pending and unmask
 * delivers it again.  Delivery = set the port's queued bit, then add a
 * byte to the pipe; xenevtchn_pending takes a byte, then a queued port.
 * All of it is lock-free, so a notify between two processes costs one
 * write(2), as on Xen it costs one hypercall.
 *
 * The promise programs rely on (xenevtchn_fd readable => xenevtchn_pending
 * has a port) rests on one rule: the counter holds exactly one count per
 * queued bit.  Only the 0->1 change of a bit adds a count (a delivery to a
 * port already queued merges with it), and only xenevtchn_pending takes
 * counts and clears bits.  Nobody else, not even the daemon when a port
 * is unbound or bound again, removes either: a port queued before its
 * unbind is still handed out, as Linux's ring of /dev/xen/evtchn hands
 * it out.
 *
 * gen[port] is written only by the daemon and changes whenever the
 * binding of the port changes; a notifier's cached route to the peer is
 * valid while gen matches.
 */
#ifndef SPLITBED_HVW_EVPAGE_H
#define SPLITBED_HVW_EVPAGE_H

#include <stdint.h>

#define EVP_NPORTS 1024u /* ports per domain (port 0 is never used) */

struct evpage {
    uint32_t state[EVP_NPORTS]; /* EVP_PENDING | EVP_MASKED, atomic */
    uint32_t gen[EVP_NPORTS];
    uint64_t queued[EVP_NPORTS / 64]; /* atomic bitmap */
};

#define EVP_PENDING 1u
#define EVP_MASKED 2u
#define EVP_BYTES ((sizeof(struct evpage) + 4095u) & ~4095u)

/* Raise port: returns 1 when its queued bit went from 0 to 1, so the
 * caller must add 1 to the owner's counter. */
int evp_raise(struct evpage *p, unsigned port);

/* Takes one queued port, or returns -1 when none is. */
int evp_take(struct evpage *p);

/* Unmask port: returns 1 when it was pending and its queued bit went from
 * 0 to 1 (the caller adds 1 to the counter). */
int evp_unmask(struct evpage *p, unsigned port);

/* Forget the port's mask and pending state (bind or close).  A delivery
 * already queued stays, with its count. */
void evp_reset(struct evpage *p, unsigned port);

/* Adds 1 to an event counter (the non-blocking write end of its pipe). */
void evp_kick(int wfd);

#endif
