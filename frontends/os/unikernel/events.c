/*
 * events.c — event channels over the 2-level ABI in shared_info.
 *
 * Delivery: Xen raises our upcall vector whenever a port becomes pending
 * and its word's selector bit was clear.  We never take action in the
 * interrupt; instead waiters clear the selector and the upcall flag, scan
 * the pending bitmap, and halt with interrupts enabled only when nothing
 * is there.  Ports the drivers allocated ("app" ports) stay pending until
 * os_evtchn_next_pending() takes them; internal ports (xenstore, console,
 * the timer) only wake the waiter.
 */
#include "uk.h"

#define NR_PORTS (sizeof(((shared_info_t *)0)->evtchn_pending) * 8)
#define WORD_BITS (sizeof(xen_ulong_t) * 8)

static shared_info_t *shinfo;
static evtchn_port_t timer_port;
static xen_ulong_t app_ports[NR_PORTS / WORD_BITS];
extern uint8_t *uk_upcall_pending_flag;

shared_info_t *uk_shared_info(void)
{
    return shinfo;
}

static void bit_set(xen_ulong_t *w, unsigned b)
{
    __atomic_or_fetch(&w[b / WORD_BITS], (xen_ulong_t)1 << (b % WORD_BITS), __ATOMIC_SEQ_CST);
}
static void bit_clear(xen_ulong_t *w, unsigned b)
{
    __atomic_and_fetch(&w[b / WORD_BITS], ~((xen_ulong_t)1 << (b % WORD_BITS)), __ATOMIC_SEQ_CST);
}
static bool bit_test(const xen_ulong_t *w, unsigned b)
{
    return w[b / WORD_BITS] >> (b % WORD_BITS) & 1;
}

int uk_events_init(void)
{
    void *page = uk_pages_alloc(1);
    if (!page)
        return -OS_ENOMEM;
    long rc = uk_add_to_physmap(XENMAPSPACE_shared_info, 0, (uintptr_t)page >> UK_PAGE_SHIFT);
    if (rc < 0)
        return uk_err(rc);
    shinfo = page;
    /* Nothing is masked: we poll every port we own. */
    for (size_t i = 0; i < sizeof(shinfo->evtchn_mask) / sizeof(shinfo->evtchn_mask[0]); i++)
        shinfo->evtchn_mask[i] = 0;
    uk_upcall_pending_flag = &shinfo->vcpu_info[0].evtchn_upcall_pending;
    shinfo->vcpu_info[0].evtchn_upcall_mask = 0;

    rc = uk_hvm_set_param(HVM_PARAM_CALLBACK_IRQ,
                          ((uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << 56) | uk_upcall_vector);
    if (rc < 0)
        return uk_err(rc);

    struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
    rc = uk_evtchn_op(EVTCHNOP_bind_virq, &bv);
    if (rc < 0)
        return uk_err(rc);
    timer_port = bv.port;
    return 0;
}

void uk_evtchn_internal(evtchn_port_t port)
{
    if (port < NR_PORTS)
        bit_clear(app_ports, port);
}

bool uk_evtchn_test_and_clear(evtchn_port_t port)
{
    if (port >= NR_PORTS)
        return false;
    xen_ulong_t m = (xen_ulong_t)1 << (port % WORD_BITS);
    return __atomic_fetch_and(&shinfo->evtchn_pending[port / WORD_BITS], ~m, __ATOMIC_SEQ_CST) & m;
}

int uk_evtchn_send(evtchn_port_t port)
{
    struct evtchn_send s = { .port = port };
    return uk_err(uk_evtchn_op(EVTCHNOP_send, &s));
}

enum { EV_APP = 1, EV_INTERNAL = 2 };

/* Re-arms delivery, takes internal events, reports what was there. */
static int scan(void)
{
    struct vcpu_info *v = &shinfo->vcpu_info[0];
    v->evtchn_upcall_pending = 0;
    __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    int found = 0;
    for (unsigned w = 0; w < NR_PORTS / WORD_BITS; w++) {
        xen_ulong_t bits = __atomic_load_n(&shinfo->evtchn_pending[w], __ATOMIC_SEQ_CST);
        bits &= ~shinfo->evtchn_mask[w];
        if (!bits)
            continue;
        xen_ulong_t internal = bits & ~app_ports[w];
        if (internal) {
            __atomic_and_fetch(&shinfo->evtchn_pending[w], ~internal, __ATOMIC_SEQ_CST);
            found |= EV_INTERNAL;
        }
        if (bits & app_ports[w])
            found |= EV_APP;
    }
    return found;
}

bool uk_app_event_pending(void)
{
    /* Looks only: taking internal events here would let the next
     * uk_block() halt on news nobody has read. */
    for (unsigned w = 0; w < NR_PORTS / WORD_BITS; w++)
        if (__atomic_load_n(&shinfo->evtchn_pending[w], __ATOMIC_SEQ_CST) & app_ports[w])
            return true;
    return false;
}

bool uk_block(uint64_t deadline_ns)
{
    uk_irq_disable();
    /* An internal event taken here (xenstore, console, timer) is news
     * for the caller, who rechecks its condition: no halt then. */
    int found = scan();
    if (found) {
        uk_irq_enable();
        return found & EV_APP;
    }
    if (deadline_ns) {
        if (uk_now_ns() >= deadline_ns) {
            uk_irq_enable();
            return false;
        }
        uk_hypercall(__HYPERVISOR_set_timer_op, deadline_ns, 0, 0, 0, 0);
    }
    /* Anything that arrived since scan() left the upcall pending, so the
     * halt returns at once. */
    uk_irq_enable_halt();
    return false;
}

/* ---- os.h --------------------------------------------------------------- */
int os_evtchn_alloc_unbound(struct os *os, domid_t peer, evtchn_port_t *port)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = peer };
    long rc = uk_evtchn_op(EVTCHNOP_alloc_unbound, &a);
    if (rc < 0)
        return uk_err(rc);
    if (a.port == 0 || a.port >= NR_PORTS || a.port == timer_port) {
        struct evtchn_close c = { .port = a.port };
        uk_evtchn_op(EVTCHNOP_close, &c);
        return -OS_ENOSPC; /* beyond what the 2-level bitmap can report */
    }
    bit_clear(shinfo->evtchn_pending, a.port);
    bit_clear(shinfo->evtchn_mask, a.port);
    bit_set(app_ports, a.port);
    *port = a.port;
    return 0;
}

int os_evtchn_bind_interdomain(struct os *os, domid_t peer, evtchn_port_t remote,
                               evtchn_port_t *local)
{
    struct evtchn_bind_interdomain b = { .remote_dom = peer, .remote_port = remote };
    long rc = uk_evtchn_op(EVTCHNOP_bind_interdomain, &b);
    if (rc < 0)
        return uk_err(rc);
    if (b.local_port == 0 || b.local_port >= NR_PORTS || b.local_port == timer_port) {
        struct evtchn_close c = { .port = b.local_port };
        uk_evtchn_op(EVTCHNOP_close, &c);
        return -OS_ENOSPC;
    }
    bit_clear(shinfo->evtchn_pending, b.local_port);
    bit_clear(shinfo->evtchn_mask, b.local_port);
    bit_set(app_ports, b.local_port);
    *local = b.local_port;
    return 0;
}

int os_evtchn_notify(struct os *os, evtchn_port_t port)
{
    return uk_evtchn_send(port);
}

int os_evtchn_close(struct os *os, evtchn_port_t port)
{
    if (port >= NR_PORTS || !bit_test(app_ports, port))
        return -OS_EINVAL;
    struct evtchn_close c = { .port = port };
    long rc = uk_evtchn_op(EVTCHNOP_close, &c);
    bit_clear(app_ports, port);
    bit_clear(shinfo->evtchn_pending, port);
    return uk_err(rc);
}

int os_evtchn_next_pending(struct os *os, evtchn_port_t *port)
{
    for (unsigned w = 0; w < NR_PORTS / WORD_BITS; w++) {
        xen_ulong_t bits =
            __atomic_load_n(&shinfo->evtchn_pending[w], __ATOMIC_SEQ_CST) & app_ports[w];
        if (!bits)
            continue;
        unsigned b = (unsigned)__builtin_ctzl(bits);
        evtchn_port_t p = w * WORD_BITS + b;
        if (uk_evtchn_test_and_clear(p)) {
            *port = p;
            return (int)p;
        }
    }
    return 0;
}
