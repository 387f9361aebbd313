/*
 * uk.h — the unikernel home of os.h (private to this folder).
 *
 * One x86_64 PVH guest, one vCPU, one thread.  The files here share this
 * header; drivers and apps see only os.h.  Physical addresses below 4 GiB
 * are identity-mapped, so a guest frame number is its address >> 12.
 */
#ifndef SPLITBED_UK_H
#define SPLITBED_UK_H

#include "os.h"
#include <xen/sched.h>
#include <xen/memory.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/arch-x86/hvm/start_info.h>

#define UK_PAGE_SHIFT 12
#define UK_IDENTITY_LIMIT (4ull << 30) /* what boot.S maps */

struct os {
    domid_t domid;
    enum os_log_level max_level;
};

/* ---- hypercall.c -------------------------------------------------------- */
/* Finds Xen's CPUID leaves and installs the hypercall page.  0 on success,
 * -OS_ENODEV when not running on Xen. */
int uk_hypercall_init(void);
long uk_hypercall(unsigned op, unsigned long a1, unsigned long a2, unsigned long a3,
                  unsigned long a4, unsigned long a5);
long uk_hvm_get_param(unsigned index, uint64_t *value);
long uk_hvm_set_param(unsigned index, uint64_t value);
/* Maps one Xen-owned frame (shared_info, grant table) at guest frame gpfn. */
long uk_add_to_physmap(unsigned space, unsigned long idx, unsigned long gpfn);
long uk_evtchn_op(unsigned cmd, void *arg);
void uk_shutdown(unsigned reason) __attribute__((noreturn));
/* Turns a Xen error (-XEN_Exxx, same numbers as Linux) into an os.h one. */
static inline int uk_err(long rc)
{
    return rc < 0 ? (int)rc : 0;
}

/* ---- cpu.c -------------------------------------------------------------- */
void uk_cpu_init(void); /* IDT: exceptions + event upcall */
extern const uint8_t uk_upcall_vector;
static inline void uk_irq_disable(void)
{
    __asm__ volatile("cli" ::: "memory");
}
static inline void uk_irq_enable(void)
{
    __asm__ volatile("sti" ::: "memory");
}
/* Enables interrupts and halts in one step (sti's shadow covers hlt), so
 * an upcall raised just before still wakes the halt. */
static inline void uk_irq_enable_halt(void)
{
    __asm__ volatile("sti; hlt" ::: "memory");
}
static inline void uk_outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

/* ---- console.c ---------------------------------------------------------- */
void uk_console_early(const char *s, size_t len); /* port 0xe9 */
void uk_console_init(void);                       /* the console ring */
void uk_console_flush(void);
void uk_panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* ---- mem.c -------------------------------------------------------------- */
int uk_mem_init(const struct hvm_start_info *si);
void *uk_pages_alloc(unsigned npages); /* zeroed; NULL when out */
void uk_pages_free(void *va, unsigned npages);
/* True if [p, p+len) lies in RAM this guest owns (image or heap). */
bool uk_mem_owned(const void *p, size_t len);
unsigned long uk_mem_free_pages(void);

/* ---- events.c ----------------------------------------------------------- */
int uk_events_init(void); /* maps shared_info, upcall, timer */
/* Marks a port as internal (xenstore, console): its events only wake. */
void uk_evtchn_internal(evtchn_port_t port);
/* Sleeps until some event arrives or the deadline (0 = none) passes;
 * returns at once if one is already pending.  Internal ports are cleared
 * here; app ports stay pending for os_evtchn_next_pending().  Returns
 * true if an app port is pending.  Callers recheck their condition. */
bool uk_block(uint64_t deadline_ns);
bool uk_app_event_pending(void);
shared_info_t *uk_shared_info(void);
int uk_evtchn_send(evtchn_port_t port);
/* Atomically clears and returns a port's pending bit. */
bool uk_evtchn_test_and_clear(evtchn_port_t port);

/* ---- clock.c ------------------------------------------------------------ */
uint64_t uk_now_ns(void); /* Xen system time */

/* ---- grants.c ----------------------------------------------------------- */
int uk_grants_init(void);

/* ---- xenstore.c --------------------------------------------------------- */
int uk_xs_init(void);
/* Moves whatever the ring holds into the reply buffer / watch queue
 * without waiting. */
void uk_xs_pump(void);
bool uk_xs_watch_queued(void);

/* ---- libc.c ------------------------------------------------------------- */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
