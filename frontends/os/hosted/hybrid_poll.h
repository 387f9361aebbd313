/*
 * hybrid_poll.h — poll(2) that spins for a short, self-tuning budget
 * before it sleeps.
 *
 * A request answered by a peer within a few microseconds costs less than
 * the wake-up of a sleeping thread.  hybrid_poll() first looks at the
 * descriptors without sleeping (yielding the CPU between looks, so that
 * a peer on the same CPU can run), and sleeps in poll(2) only when the
 * budget is spent.  The budget tunes itself as Linux's KVM halt polling
 * does: it grows when an event came shortly after the spin gave up (a
 * longer spin would have caught it) and shrinks when the sleep was long
 * (the peer is idle, spinning would only burn the CPU); it drops to zero
 * when a yield shows another task wanting the CPU.  An idle process
 * therefore spins at most one budget per wake-up and then sleeps.
 *
 * SPLITBED_POLL_US sets the largest budget in microseconds (default
 * HYBRID_POLL_DEFAULT_US); 0 turns spinning off and every call is a
 * plain poll(2).
 */
#ifndef SPLITBED_HYBRID_POLL_H
#define SPLITBED_HYBRID_POLL_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#define HYBRID_POLL_DEFAULT_US 100u
#define HYBRID_POLL_MAX_US 1000000u /* the largest SPLITBED_POLL_US accepted */
#define HYBRID_POLL_GROW_START_NS 2000u
#define HYBRID_POLL_CONTENDED_NS 20000u /* a yield this long: the CPU is busy */

struct hybrid_poll {
    uint64_t max_ns;    /* 0: never spin */
    uint64_t budget_ns; /* the spin of the next call */
};

/* Sets the largest budget from SPLITBED_POLL_US (HYBRID_POLL_DEFAULT_US
 * when unset).  A value that is not a whole number of microseconds up to
 * HYBRID_POLL_MAX_US returns -1 and leaves polling off; the caller names
 * the variable in its one error line. */
int hybrid_poll_init(struct hybrid_poll *hp);
/* As hybrid_poll_init() with an explicit largest budget (0: off). */
void hybrid_poll_init_us(struct hybrid_poll *hp, uint64_t max_us);

/* poll(fds, n, timeout_ms) with the spin first.  timeout_ms 0 never
 * spins; -1 waits for ever.  Returns what poll(2) returns. */
int hybrid_poll(struct hybrid_poll *hp, struct pollfd *fds, nfds_t n, int timeout_ms);

/* The same spin for a caller that can see its peer's progress in memory
 * (a ring's producer index) instead of in a descriptor: calls ready(arg)
 * between yields for up to the budget, with no system call of its own
 * but the yields, and returns true as soon as it answers true; false
 * when the budget is spent (or 0, or spinning is off).  The caller then
 * makes sure its peer will wake it (a ring's final check), looks once
 * more, and sleeps with hybrid_poll_sleep(), which tunes the budget. */
bool hybrid_poll_spin(struct hybrid_poll *hp, bool (*ready)(void *arg), void *arg);
/* poll(fds, n, timeout_ms), then the tuning rule for the time it slept. */
int hybrid_poll_sleep(struct hybrid_poll *hp, struct pollfd *fds, nfds_t n, int timeout_ms);

/* The tuning rule, applied after each wait that slept: slept_ns is how
 * long the sleep lasted and woke whether an event (not the timeout)
 * ended it.  Exposed so that the rule can be checked on its own. */
void hybrid_poll_tune(struct hybrid_poll *hp, uint64_t slept_ns, bool woke);

#endif
