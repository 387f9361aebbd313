/*
 * hypercall.c — finding Xen and calling it.
 *
 * A PVH guest learns the hypercall instruction (vmcall or vmmcall) by
 * asking Xen to write its hypercall page: CPUID leaf base+2 names the MSR,
 * and writing the page's physical address to it fills the page with one
 * 32-byte stub per hypercall.  Arguments go in rdi, rsi, rdx, r10, r8.
 */
#include "uk.h"

extern char uk_hypercall_page[];
static bool on_xen;

static void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

int uk_hypercall_init(void)
{
    /* Xen may sit at 0x40000000 or, with Viridian enabled, 0x100 above. */
    for (uint32_t base = 0x40000000; base < 0x40010000; base += 0x100) {
        uint32_t a, b, c, d;
        cpuid(base, &a, &b, &c, &d);
        if (b != 0x566e6558 || c != 0x65584d4d || d != 0x4d4d566e) /* "XenVMMXenVMM" */
            continue;
        if (a < base + 2)
            return -OS_ENODEV;
        cpuid(base + 2, &a, &b, &c, &d);
        if (a < 1)
            return -OS_ENODEV;
        uint64_t pa = (uint64_t)(uintptr_t)uk_hypercall_page;
        __asm__ volatile("wrmsr" ::"c"(b), "a"((uint32_t)pa), "d"((uint32_t)(pa >> 32)));
        on_xen = true;
        return 0;
    }
    return -OS_ENODEV;
}

long uk_hypercall(unsigned op, unsigned long a1, unsigned long a2, unsigned long a3,
                  unsigned long a4, unsigned long a5)
{
    register unsigned long r10 __asm__("r10") = a4;
    register unsigned long r8 __asm__("r8") = a5;
    long ret;
    if (!on_xen)
        return -OS_ENOSYS; /* the page is still zeroes: never run it */
    void *stub = uk_hypercall_page + op * 32;
    __asm__ volatile("call *%[stub]"
                     : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
                     : [stub] "r"(stub)
                     : "memory", "rcx", "r9", "r11");
    return ret;
}

long uk_hvm_get_param(unsigned index, uint64_t *value)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index };
    long rc = uk_hypercall(__HYPERVISOR_hvm_op, HVMOP_get_param, (unsigned long)&p, 0, 0, 0);
    if (rc == 0)
        *value = p.value;
    return rc;
}

long uk_hvm_set_param(unsigned index, uint64_t value)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index, .value = value };
    return uk_hypercall(__HYPERVISOR_hvm_op, HVMOP_set_param, (unsigned long)&p, 0, 0, 0);
}

long uk_add_to_physmap(unsigned space, unsigned long idx, unsigned long gpfn)
{
    struct xen_add_to_physmap x = {
        .domid = DOMID_SELF,
        .size = 0,
        .space = space,
        .idx = idx,
        .gpfn = gpfn,
    };
    return uk_hypercall(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (unsigned long)&x, 0, 0, 0);
}

long uk_evtchn_op(unsigned cmd, void *arg)
{
    return uk_hypercall(__HYPERVISOR_event_channel_op, cmd, (unsigned long)arg, 0, 0, 0);
}

void uk_shutdown(unsigned reason)
{
    struct sched_shutdown s = { .reason = reason };
    for (;;) {
        uk_hypercall(__HYPERVISOR_sched_op, SCHEDOP_shutdown, (unsigned long)&s, 0, 0, 0);
        /* Not on Xen (a plain PVH loader such as QEMU's): its
         * isa-debug-exit port, if present, ends the machine with
         * status (code << 1) | 1. */
        uk_outb(0xf4, reason == SHUTDOWN_poweroff ? 0 : 1);
        uk_irq_disable();
        __asm__ volatile("hlt");
    }
}
