/*
 * boot.S — the PVH entry.
 *
 * Xen (or any PVH loader) enters at uk_pvh_entry in 32-bit protected mode,
 * paging off, with %ebx holding the physical address of struct
 * hvm_start_info.  We build identity page tables for the first 4 GiB
 * (2 MiB pages), switch to long mode, enable SSE (the compiler may use
 * it) and call uk_start(start_info) on our own stack.
 */
#include <xen/elfnote.h>

#define CR0_PE  (1 << 0)
#define CR0_MP  (1 << 1)
#define CR0_EM  (1 << 2)
#define CR0_PG  (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define PTE_P_RW 0x3
#define PDE_2M   0x83
#define STACK_SIZE (64 * 1024)

/* The note a PVH loader looks for: where to enter, as a 32-bit address. */
        .section .note.Xen, "a", @note
        .p2align 2
        .long 4f - 3f           /* namesz */
        .long 6f - 5f           /* descsz */
        .long XEN_ELFNOTE_PHYS32_ENTRY
3:      .asciz "Xen"
4:      .p2align 2
5:      .long uk_pvh_entry
6:      .p2align 2

        .section .text.boot, "ax", @progbits
        .code32
        .globl uk_pvh_entry
uk_pvh_entry:
        cld
        movl    %ebx, %esi              /* start info, kept for uk_start */

        /* PML4[0] -> PDPT; PDPT[0..3] -> the four page directories. */
        movl    $uk_pdpt, %eax
        orl     $PTE_P_RW, %eax
        movl    %eax, uk_pml4
        movl    $uk_pd, %eax
        orl     $PTE_P_RW, %eax
        xorl    %ecx, %ecx
1:      movl    %eax, uk_pdpt(,%ecx,8)
        addl    $4096, %eax
        incl    %ecx
        cmpl    $4, %ecx
        jb      1b

        /* 2048 entries of 2 MiB: physical address == virtual address. */
        xorl    %ecx, %ecx
2:      movl    %ecx, %eax
        shll    $21, %eax
        orl     $PDE_2M, %eax
        movl    %eax, uk_pd(,%ecx,8)
        movl    %ecx, %eax
        shrl    $11, %eax               /* high dword: bits 32+ of the address */
        movl    %eax, uk_pd+4(,%ecx,8)
        incl    %ecx
        cmpl    $2048, %ecx
        jb      2b

        lgdt    uk_gdt_desc
        movl    %cr4, %eax
        orl     $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
        movl    %eax, %cr4
        movl    $uk_pml4, %eax
        movl    %eax, %cr3
        movl    $MSR_EFER, %ecx
        rdmsr
        orl     $EFER_LME, %eax
        wrmsr
        movl    %cr0, %eax
        andl    $~CR0_EM, %eax
        orl     $(CR0_PE | CR0_MP | CR0_PG), %eax
        movl    %eax, %cr0
        ljmp    $0x08, $uk_long_entry

        .code64
uk_long_entry:
        movl    $0x10, %eax
        movl    %eax, %ds
        movl    %eax, %es
        movl    %eax, %ss
        xorl    %eax, %eax
        movl    %eax, %fs
        movl    %eax, %gs
        leaq    uk_stack_top(%rip), %rsp
        xorl    %ebp, %ebp
        movl    %esi, %edi              /* zero-extends: the start info */
        call    uk_start
3:      cli
        hlt
        jmp     3b

        .section .rodata
        .p2align 3
uk_gdt:
        .quad   0
        .quad   0x00af9a000000ffff      /* 0x08: 64-bit code */
        .quad   0x00cf92000000ffff      /* 0x10: data */
uk_gdt_end:
uk_gdt_desc:
        .word   uk_gdt_end - uk_gdt - 1
        .long   uk_gdt

        .section .bss
        .p2align 12
uk_pml4: .skip 4096
uk_pdpt: .skip 4096
uk_pd:   .skip 4 * 4096
        .p2align 4
uk_stack: .skip STACK_SIZE
uk_stack_top:

        .section .note.GNU-stack, "", @progbits
