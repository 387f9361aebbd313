/*
 * The unikernel images as a loader sees them: each is an x86_64 ELF
 * whose Xen note XEN_ELFNOTE_PHYS32_ENTRY names a 32-bit entry inside an
 * executable load segment, and tar-cat.xen boots under QEMU's own PVH
 * loader (TCG, no Xen): the entry, long mode, C code, the start info and
 * the command line all run, the guest finds no Xen, says so with its
 * arguments, and stops through the debug-exit port.
 */
#include "tests/lib/runproc.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <elf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/elfnote.h>

#define QEMU_TIMEOUT 60
static const char *const images[] = { "tar-cat", "blk-verify", "net-echo", "tar-ls", "blk-info" };

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f, "%s: cannot open (make unikernel builds it)", path);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    ck_assert_int_gt(n, (long)sizeof(Elf64_Ehdr));
    rewind(f);
    char *buf = malloc((size_t)n);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Returns the PHYS32 entry of the image's PT_NOTE segments, 0 if none. */
static uint32_t pvh_entry(const char *img, size_t len, const Elf64_Ehdr *eh)
{
    uint32_t entry = 0;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        const Elf64_Phdr *ph = (const void *)(img + eh->e_phoff + (size_t)i * eh->e_phentsize);
        if (ph->p_type != PT_NOTE)
            continue;
        ck_assert_uint_le(ph->p_offset + ph->p_filesz, len);
        size_t off = 0;
        while (off + sizeof(Elf64_Nhdr) <= ph->p_filesz) {
            const Elf64_Nhdr *nh = (const void *)(img + ph->p_offset + off);
            const char *name = (const char *)(nh + 1);
            const char *desc = name + ((nh->n_namesz + 3) & ~3u);
            if (nh->n_namesz == 4 && memcmp(name, "Xen", 4) == 0 &&
                nh->n_type == XEN_ELFNOTE_PHYS32_ENTRY) {
                ck_assert_uint_eq(nh->n_descsz, 4);
                memcpy(&entry, desc, 4);
            }
            off += sizeof(*nh) + ((nh->n_namesz + 3) & ~3u) + ((nh->n_descsz + 3) & ~3u);
        }
    }
    return entry;
}

START_TEST(test_image_is_pvh_elf)
{
    char rel[64];
    snprintf(rel, sizeof rel, "unikernel/%s.xen", images[_i]);
    size_t len;
    char *img = slurp(build_path(rel), &len);
    const Elf64_Ehdr *eh = (const void *)img;
    ck_assert_msg(memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0, "%s: not ELF", rel);
    ck_assert_int_eq(eh->e_ident[EI_CLASS], ELFCLASS64);
    ck_assert_int_eq(eh->e_machine, EM_X86_64);
    ck_assert_int_eq(eh->e_type, ET_EXEC);
    ck_assert_uint_le(eh->e_phoff + (size_t)eh->e_phnum * eh->e_phentsize, len);

    uint32_t entry = pvh_entry(img, len, eh);
    ck_assert_msg(entry != 0, "%s: no Xen PHYS32_ENTRY note in a PT_NOTE segment", rel);
    ck_assert_uint_eq(entry, eh->e_entry);
    bool in_text = false;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        const Elf64_Phdr *ph = (const void *)(img + eh->e_phoff + (size_t)i * eh->e_phentsize);
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && entry >= ph->p_paddr &&
            entry < ph->p_paddr + ph->p_filesz)
            in_text = true;
        /* Loaded below 4 GiB: the identity map covers the whole image. */
        if (ph->p_type == PT_LOAD)
            ck_assert_uint_lt(ph->p_paddr + ph->p_memsz, 1ull << 32);
    }
    ck_assert_msg(in_text, "%s: entry 0x%x is not in an executable load segment", rel, entry);
    free(img);
}
END_TEST

static void boot(struct runproc *r, const char *image, const char *append)
{
    char *argv[] = {
        "qemu-system-x86_64",
        "-machine",
        "pc,accel=tcg",
        "-m",
        "64",
        "-display",
        "none",
        "-nodefaults",
        "-no-reboot",
        "-kernel",
        (char *)build_path(image),
        "-append",
        (char *)append,
        "-debugcon",
        "stdio",
        "-device",
        "isa-debug-exit,iobase=0xf4,iosize=1",
        NULL,
    };
    runproc(r, NULL, 0, QEMU_TIMEOUT, NULL, argv);
    ck_assert_msg(r->status != -1,
                  "qemu-system-x86_64 did not run (mk/deps.sh installs qemu-system-x86)");
}

START_TEST(test_boot_reaches_c_with_cmdline)
{
    static struct runproc r;
    boot(&r, "unikernel/tar-cat.xen", "hello.txt \"two words\"");
    ck_assert_msg(strstr(r.out, "[uk] tar-cat: PVH entry\n"), "no entry line; output:\n%s%s", r.out,
                  r.err);
    ck_assert_msg(strstr(r.out, "[uk] not running on Xen (no Xen CPUID leaves); "
                                "command line: hello.txt \"two words\"\n"),
                  "command line not seen; output:\n%s%s", r.out, r.err);
    /* isa-debug-exit: (1 << 1) | 1, the crash code of a guest that cannot run. */
    ck_assert_int_eq(r.status, 3);
}
END_TEST

START_TEST(test_boot_long_cmdline_refused)
{
    static struct runproc r;
    static char line[1500];
    memset(line, 'a', sizeof line - 1);
    boot(&r, "unikernel/blk-verify.xen", line);
    ck_assert_msg(strstr(r.out, "[uk] panic: command line of 1499 bytes is longer than 1023\n"),
                  "no refusal; output:\n%s%s", r.out, r.err);
    ck_assert_int_eq(r.status, 3);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("unikernel_image");
    TCase *tc = tcase_create("image");
    tcase_set_timeout(tc, 2 * QEMU_TIMEOUT);
    tcase_add_loop_test(tc, test_image_is_pvh_elf, 0, (int)(sizeof images / sizeof images[0]));
    tcase_add_test(tc, test_boot_reaches_c_with_cmdline);
    tcase_add_test(tc, test_boot_long_cmdline_refused);
    suite_add_tcase(s, tc);
    return check_main(s);
}
