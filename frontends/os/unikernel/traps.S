/*
 * traps.S — interrupt entry stubs.
 *
 * Exceptions 0-31 are fatal here: each stub lines the frame up (a zero
 * where the CPU pushes no error code), and uk_trap() reports and stops.
 * The event upcall only clears vcpu_info's evtchn_upcall_pending (Xen
 * re-injects the vector while it stays set); waiters look at the pending
 * bitmap themselves, so there is nothing else to do in interrupt context.
 */
        .text
        .code64

.macro TRAP_NOERR n
        .p2align 4
uk_trap\n:
        pushq   $0
        pushq   $\n
        jmp     uk_trap_common
.endm
.macro TRAP_ERR n
        .p2align 4
uk_trap\n:
        pushq   $\n
        jmp     uk_trap_common
.endm

TRAP_NOERR 0
TRAP_NOERR 1
TRAP_NOERR 2
TRAP_NOERR 3
TRAP_NOERR 4
TRAP_NOERR 5
TRAP_NOERR 6
TRAP_NOERR 7
TRAP_ERR   8
TRAP_NOERR 9
TRAP_ERR   10
TRAP_ERR   11
TRAP_ERR   12
TRAP_ERR   13
TRAP_ERR   14
TRAP_NOERR 15
TRAP_NOERR 16
TRAP_ERR   17
TRAP_NOERR 18
TRAP_NOERR 19
TRAP_NOERR 20
TRAP_ERR   21
TRAP_NOERR 22
TRAP_NOERR 23
TRAP_NOERR 24
TRAP_NOERR 25
TRAP_NOERR 26
TRAP_NOERR 27
TRAP_NOERR 28
TRAP_ERR   29
TRAP_ERR   30
TRAP_NOERR 31

uk_trap_common:
        movq    (%rsp), %rdi            /* vector */
        movq    8(%rsp), %rsi           /* error code */
        movq    16(%rsp), %rdx          /* faulting rip */
        movq    %cr2, %rcx
        andq    $-16, %rsp
        call    uk_trap                 /* does not return */
1:      cli
        hlt
        jmp     1b

        .globl  uk_upcall_entry
        .p2align 4
uk_upcall_entry:
        pushq   %rax
        movq    uk_upcall_pending_flag(%rip), %rax
        movb    $0, (%rax)
        popq    %rax
        iretq

        .section .rodata
        .globl  uk_trap_stubs
        .p2align 3
uk_trap_stubs:
        .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .quad   uk_trap\n
        .endr

        .section .note.GNU-stack, "", @progbits
