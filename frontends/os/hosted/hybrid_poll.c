/*
 * hybrid_poll.c — the spin-then-sleep poll of hybrid_poll.h.
 *
 * The spin looks with poll(2) and a zero timeout, so that it sees exactly
 * what the sleep would wake for (an eventfd, a socket, an epoll set) and
 * needs no knowledge of rings.  sched_yield() between looks hands the CPU
 * to a runnable peer when both share one CPU, and returns at once when
 * nothing else wants it.  A yield that takes long means the CPU is
 * contended; then the spin stops and its budget starts again from zero:
 * on a busy machine a sleeper, woken with the scheduler's preference,
 * answers sooner than a spinner that used up its share.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include "hybrid_poll.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void hybrid_poll_init_us(struct hybrid_poll *hp, uint64_t max_us)
{
    hp->max_ns = max_us * 1000u;
    hp->budget_ns = 0;
}

int hybrid_poll_init(struct hybrid_poll *hp)
{
    hybrid_poll_init_us(hp, 0);
    const char *s = getenv("SPLITBED_POLL_US");
    if (!s) {
        hybrid_poll_init_us(hp, HYBRID_POLL_DEFAULT_US);
        return 0;
    }
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > HYBRID_POLL_MAX_US)
        return -1;
    hybrid_poll_init_us(hp, v);
    return 0;
}

void hybrid_poll_tune(struct hybrid_poll *hp, uint64_t slept_ns, bool woke)
{
    if (!hp->max_ns)
        return;
    if (woke && slept_ns <= hp->max_ns) {
        /* The event came soon after the spin gave up: spin longer. */
        uint64_t b = hp->budget_ns ? hp->budget_ns * 2 : HYBRID_POLL_GROW_START_NS;
        hp->budget_ns = b > hp->max_ns ? hp->max_ns : b;
    } else {
        /* A long sleep: the peer is idle, spinning would be wasted. */
        hp->budget_ns /= 2;
        if (hp->budget_ns < HYBRID_POLL_GROW_START_NS)
            hp->budget_ns = 0;
    }
}

/* Looks (look(arg) != 0 ends it) for up to the budget, yielding
 * between looks; returns look's last answer.  *t is when the spin ended. */
static int spin(struct hybrid_poll *hp, int (*look)(void *), void *arg, uint64_t t0, uint64_t *t)
{
    *t = t0;
    for (;;) {
        int r = look(arg);
        if (r != 0)
            return r;
        *t = now_ns();
        if (*t - t0 >= hp->budget_ns)
            return 0;
        sched_yield();
        uint64_t back = now_ns();
        if (back - *t > HYBRID_POLL_CONTENDED_NS) {
            /* Another task had the CPU: spinning competes with it
             * and loses the scheduler's favour a sleeper gets. */
            hp->budget_ns = 0;
            *t = back;
            return 0;
        }
    }
}

struct fds_look {
    struct pollfd *fds;
    nfds_t n;
};

static int look_fds(void *arg)
{
    struct fds_look *l = arg;
    return poll(l->fds, l->n, 0);
}

int hybrid_poll(struct hybrid_poll *hp, struct pollfd *fds, nfds_t n, int timeout_ms)
{
    if (!hp->max_ns || timeout_ms == 0)
        return poll(fds, n, timeout_ms);
    uint64_t t0 = now_ns(), t = t0;
    if (hp->budget_ns) {
        int r = spin(hp, look_fds, &(struct fds_look){ fds, n }, t0, &t);
        if (r != 0)
            return r;
    }
    int left = timeout_ms;
    if (timeout_ms > 0) {
        uint64_t spent_ms = (t - t0) / 1000000u;
        left = spent_ms >= (uint64_t)timeout_ms ? 0 : timeout_ms - (int)spent_ms;
    }
    int r = poll(fds, n, left);
    hybrid_poll_tune(hp, now_ns() - t, r > 0);
    return r;
}

struct mem_look {
    bool (*ready)(void *);
    void *arg;
};

static int look_mem(void *arg)
{
    struct mem_look *l = arg;
    return l->ready(l->arg);
}

bool hybrid_poll_spin(struct hybrid_poll *hp, bool (*ready)(void *arg), void *arg)
{
    if (!hp->max_ns || !hp->budget_ns)
        return false;
    uint64_t t;
    return spin(hp, look_mem, &(struct mem_look){ ready, arg }, now_ns(), &t) != 0;
}

int hybrid_poll_sleep(struct hybrid_poll *hp, struct pollfd *fds, nfds_t n, int timeout_ms)
{
    if (!hp->max_ns || timeout_ms == 0)
        return poll(fds, n, timeout_ms);
    uint64_t t = now_ns();
    int r = poll(fds, n, timeout_ms);
    hybrid_poll_tune(hp, now_ns() - t, r > 0);
    return r;
}
