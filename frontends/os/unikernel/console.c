/*
 * console.c — the guest's console: the PV console ring that xenconsoled
 * serves (HVM_PARAM_CONSOLE_PFN/EVTCHN; what `xl console` shows), and
 * before it exists, I/O port 0xe9, which Xen prints on its own console
 * for HVM/PVH guests (with guest_loglvl=all) and QEMU's debugcon shows.
 */
#include "uk.h"
#include <xen/io/console.h>

static struct xencons_interface *ring;
static evtchn_port_t ring_port;

void uk_console_early(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        uk_outb(0xe9, (uint8_t)s[i]);
}

void uk_console_init(void)
{
    uint64_t pfn = 0, port = 0;
    if (uk_hvm_get_param(HVM_PARAM_CONSOLE_PFN, &pfn) < 0 || !pfn ||
        uk_hvm_get_param(HVM_PARAM_CONSOLE_EVTCHN, &port) < 0 ||
        (pfn << UK_PAGE_SHIFT) >= UK_IDENTITY_LIMIT)
        return; /* no ring: keep the early console */
    ring_port = (evtchn_port_t)port;
    uk_evtchn_internal(ring_port);
    ring = (struct xencons_interface *)(uintptr_t)(pfn << UK_PAGE_SHIFT);
}

/* Waits at most this long for xenconsoled to make room, then drops to
 * the early console: a stuck reader must not hang the guest forever. */
#define RING_STALL_NS 5000000000ull

static long ring_write(const char *p, size_t len)
{
    size_t done = 0;
    uint64_t deadline = 0;
    while (done < len) {
        XENCONS_RING_IDX cons = __atomic_load_n(&ring->out_cons, __ATOMIC_ACQUIRE);
        XENCONS_RING_IDX prod = ring->out_prod;
        if (prod - cons > sizeof(ring->out)) {
            ring = NULL; /* a backend that corrupts the indices is cut off */
            uk_console_early(p + done, len - done);
            return (long)len;
        }
        size_t room = sizeof(ring->out) - (prod - cons);
        if (room == 0) {
            uint64_t now = uk_now_ns();
            if (!deadline)
                deadline = now + RING_STALL_NS;
            if (now >= deadline) {
                uk_console_early(p + done, len - done);
                return (long)len;
            }
            uk_evtchn_send(ring_port);
            uk_block(deadline);
            continue;
        }
        deadline = 0;
        size_t n = len - done < room ? len - done : room;
        for (size_t i = 0; i < n; i++)
            ring->out[MASK_XENCONS_IDX(prod + i, ring->out)] = p[done + i];
        __atomic_store_n(&ring->out_prod, prod + (XENCONS_RING_IDX)n, __ATOMIC_RELEASE);
        uk_evtchn_send(ring_port);
        done += n;
    }
    return (long)done;
}

long os_console_write(struct os *os, const void *buf, size_t len)
{
    if (!ring) {
        uk_console_early(buf, len);
        return (long)len;
    }
    return ring_write(buf, len);
}

void uk_console_flush(void)
{
    uint64_t deadline = uk_now_ns() + RING_STALL_NS;
    while (ring && __atomic_load_n(&ring->out_cons, __ATOMIC_ACQUIRE) != ring->out_prod) {
        if (uk_now_ns() >= deadline)
            return;
        uk_evtchn_send(ring_port);
        uk_block(deadline);
    }
}

void os_log(struct os *os, enum os_log_level level, const char *fmt, ...)
{
    if (os && level > os->max_level)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = os_vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof(line) - 1 ? (size_t)n : sizeof(line) - 2;
    line[len++] = '\n';
    os_console_write(os, line, len);
}

void uk_panic(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = os_vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof(line) - 2 ? (size_t)n : sizeof(line) - 2;
    line[len++] = '\n';
    static const char tag[] = "[uk] panic: ";
    /* Both consoles: the ring may be what broke. */
    uk_console_early(tag, sizeof(tag) - 1);
    uk_console_early(line, len);
    if (ring) {
        ring_write(tag, sizeof(tag) - 1);
        ring_write(line, len);
        uk_console_flush();
    }
    uk_shutdown(SHUTDOWN_crash);
}
