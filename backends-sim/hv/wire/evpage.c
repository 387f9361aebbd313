#include "backends-sim/hv/wire/evpage.h"

#include <errno.h>
#include <unistd.h>

/* Returns 1 when the bit was clear: only then does the delivery need a
 * count of its own.  A port queued already (not taken yet, or left by a
 * binding that is gone) has one, and xenevtchn_pending returns it once for
 * both, as Xen merges events on a pending port. */
static int set_queued(struct evpage *p, unsigned port)
{
    uint64_t bit = 1ull << (port % 64);
    return !(__atomic_fetch_or(&p->queued[port / 64], bit, __ATOMIC_SEQ_CST) & bit);
}

int evp_raise(struct evpage *p, unsigned port)
{
    if (port == 0 || port >= EVP_NPORTS)
        return 0;
    uint32_t old = __atomic_load_n(&p->state[port], __ATOMIC_ACQUIRE), nw;
    do {
        if (old & EVP_PENDING)
            return 0;
        /* Unmasked: deliver now and mask, as the Linux driver does on the
         * upcall.  Masked: remember it for unmask. */
        nw = (old & EVP_MASKED) ? (old | EVP_PENDING) : (old | EVP_MASKED);
    } while (!__atomic_compare_exchange_n(&p->state[port], &old, nw, 0, __ATOMIC_SEQ_CST,
                                          __ATOMIC_ACQUIRE));
    if (old & EVP_MASKED)
        return 0;
    return set_queued(p, port);
}

int evp_take(struct evpage *p)
{
    for (unsigned w = 0; w < EVP_NPORTS / 64; w++) {
        uint64_t v = __atomic_load_n(&p->queued[w], __ATOMIC_ACQUIRE);
        while (v) {
            unsigned b = (unsigned)__builtin_ctzll(v);
            uint64_t bit = 1ull << b;
            uint64_t before = __atomic_fetch_and(&p->queued[w], ~bit, __ATOMIC_SEQ_CST);
            if (before & bit)
                return (int)(w * 64 + b);
            v = before & ~bit;
        }
    }
    return -1;
}

int evp_unmask(struct evpage *p, unsigned port)
{
    if (port == 0 || port >= EVP_NPORTS)
        return 0;
    uint32_t old = __atomic_load_n(&p->state[port], __ATOMIC_ACQUIRE), nw;
    do {
        nw = (old & EVP_PENDING) ? ((old & ~EVP_PENDING) | EVP_MASKED) : (old & ~EVP_MASKED);
    } while (!__atomic_compare_exchange_n(&p->state[port], &old, nw, 0, __ATOMIC_SEQ_CST,
                                          __ATOMIC_ACQUIRE));
    if (!(old & EVP_PENDING))
        return 0;
    return set_queued(p, port);
}

void evp_reset(struct evpage *p, unsigned port)
{
    /* The queued bit stays: taking it back would also mean taking a count
     * from the owner's counter, and that count may be the one that just
     * made its xenevtchn_fd poll readable (the owner unbinds between its
     * poll and its xenevtchn_pending), while the port's own count may
     * still be on its way from a notifier (it would then arrive for a bit
     * already gone: a count without a port). */
    if (port > 0 && port < EVP_NPORTS)
        __atomic_store_n(&p->state[port], 0, __ATOMIC_SEQ_CST);
}

void evp_kick(int wfd)
{
    /* Write ends are non-blocking: a full pipe (a hostile owner or peer
     * can fill it) already says "readable", which is all a kick means. */
    const char one = 1;
    while (write(wfd, &one, 1) < 0 && errno == EINTR)
        ;
}
