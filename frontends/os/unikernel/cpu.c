/*
 * cpu.c — the interrupt descriptor table.
 *
 * Exceptions report where they happened and stop the domain as crashed;
 * one vector carries Xen's event upcall (HVM_PARAM_CALLBACK_IRQ of type
 * vector, so no local APIC programming and no EOI).
 */
#include "uk.h"

struct idt_gate {
    uint16_t off_lo, sel;
    uint8_t ist, type;
    uint16_t off_mid;
    uint32_t off_hi, zero;
} __attribute__((packed));

const uint8_t uk_upcall_vector = 0xf3;

extern const uint64_t uk_trap_stubs[32];
extern char uk_upcall_entry[];
/* Read by uk_upcall_entry; points at a harmless byte until events.c has
 * mapped shared_info. */
static uint8_t upcall_scratch;
uint8_t *uk_upcall_pending_flag = &upcall_scratch;

static struct idt_gate idt[256] __attribute__((aligned(16)));

static void set_gate(unsigned vec, uint64_t handler)
{
    idt[vec] = (struct idt_gate){
        .off_lo = (uint16_t)handler,
        .sel = 0x08,
        .ist = 0,
        .type = 0x8e, /* present, DPL 0, 64-bit interrupt gate */
        .off_mid = (uint16_t)(handler >> 16),
        .off_hi = (uint32_t)(handler >> 32),
    };
}

void uk_cpu_init(void)
{
    for (unsigned v = 0; v < 32; v++)
        set_gate(v, uk_trap_stubs[v]);
    set_gate(uk_upcall_vector, (uint64_t)(uintptr_t)uk_upcall_entry);
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) d = {
        sizeof(idt) - 1,
        (uint64_t)(uintptr_t)idt,
    };
    __asm__ volatile("lidt %0" ::"m"(d));
}

void uk_trap(uint64_t vec, uint64_t err, uint64_t rip, uint64_t cr2);
void uk_trap(uint64_t vec, uint64_t err, uint64_t rip, uint64_t cr2)
{
    uk_panic("cpu exception %lu (error code 0x%lx) at rip 0x%lx, cr2 0x%lx", (unsigned long)vec,
             (unsigned long)err, (unsigned long)rip, (unsigned long)cr2);
}
