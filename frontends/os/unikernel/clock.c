/*
 * clock.c — Xen system time (ns since boot) from the pvclock fields of
 * vcpu_info: system_time at tsc_timestamp, advanced by the TSC scaled by
 * tsc_to_system_mul >> (32 - tsc_shift).  The version field is a seqlock:
 * odd while Xen updates, changed after.  The same clock is the one
 * set_timer_op deadlines use.
 */
#include "uk.h"

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

uint64_t uk_now_ns(void)
{
    shared_info_t *s = uk_shared_info();
    if (!s)
        return 0;
    volatile struct vcpu_time_info *t = &s->vcpu_info[0].time;
    static uint64_t last;
    uint32_t version;
    uint64_t ns;
    do {
        version = t->version;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        uint64_t delta = rdtsc() - t->tsc_timestamp;
        int8_t shift = t->tsc_shift;
        if (shift < 0)
            delta >>= -shift;
        else
            delta <<= shift;
        ns = t->system_time + (uint64_t)(((unsigned __int128)delta * t->tsc_to_system_mul) >> 32);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    } while ((version & 1) || version != t->version);
    /* Monotonic even across a vCPU's TSC re-stamp. */
    if (ns < last)
        ns = last;
    last = ns;
    return ns;
}

uint64_t os_now_ns(struct os *os)
{
    return uk_now_ns();
}
