/*
 * fuzz_vchan_client — our vchan client against a hostile server: the
 * input picks the ring orders and grant list the server publishes, then
 * moves the server's indices and live byte at will while the client
 * reads, writes and polls.  The client must cut the server off or carry
 * on, never touch memory outside the rings, never return more than
 * asked.
 *
 * Input: left order, right order (bytes), then 5-byte steps: an opcode
 * and a 32-bit little-endian value.
 *
 * The server's pages are one region kept for every input, as large as
 * the largest rings an input can ask for (two of 512 pages): faulting in
 * and clearing megabytes per input was most of a run.  The pages beyond
 * this input's rings are poisoned, so that ASan still sees the client
 * step outside them; page 0 is cleared for every input, the ring pages
 * after an input that wrote into them (nothing else does).
 * fuzz_world_fresh(1) clears the whole region for every input instead;
 * fuzz_world_digest() sums up what each call returned and read.
 */
#include <sanitizer/asan_interface.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/io/libxenvchan.h>

#include "tests/fuzz/fuzz_world.h"
#include "tests/fuzz/vchan_fuzz_host.h"
#include "vchan.h"

#define BASE "/local/domain/0/data/vchan/1/7"

static bool fresh_each;
static uint64_t digest;
/* What was read enters the digest only under a check (which sets fresh
 * or kept explicitly): hashing up to 64 KiB per read would slow a run. */
static bool checking;

void fuzz_world_fresh(int on)
{
    fresh_each = on;
    checking = true;
}

uint64_t fuzz_world_digest(void)
{
    return digest;
}

static void mix(const void *p, size_t n)
{
    fuzz_world_mix(&digest, p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    digest = 14695981039346656037ull;
    if (size < 2)
        return 0;
    enum { MAX_PAGES = 1 + 2 * (1u << (21 - 12)) };
    static uint8_t *mem;
    if (!mem) {
        if (!(mem = aligned_alloc(4096, (size_t)MAX_PAGES * 4096)))
            abort();
        memset(mem, 0, (size_t)MAX_PAGES * 4096);
    }
    struct os *os = vfh_new();
    unsigned lo = 8 + data[0] % 14, ro = 8 + data[1] % 14; /* 8..21: some invalid */
    unsigned lp = lo >= 12 ? 1u << (lo - 12) : 0, rp = ro >= 12 ? 1u << (ro - 12) : 0;
    size_t pages = 1 + lp + rp;
    ASAN_UNPOISON_MEMORY_REGION(mem, (size_t)MAX_PAGES * 4096);
    memset(mem, 0, fresh_each ? (size_t)MAX_PAGES * 4096 : 4096);
    ASAN_POISON_MEMORY_REGION(mem + pages * 4096, (MAX_PAGES - pages) * 4096);
    bool wrote = false;
    grant_ref_t first = 0;
    for (size_t i = 0; i < pages; i++) {
        grant_ref_t r = vfh_grant(os, mem + i * 4096);
        if (i == 0)
            first = r;
    }
    struct vchan_interface *s = (struct vchan_interface *)mem;
    s->left_order = (uint16_t)lo;
    s->right_order = (uint16_t)ro;
    s->cli_live = 2;
    s->srv_live = 1;
    for (size_t i = 0; i < lp + rp && 24 + 4 * i < 4096; i++)
        s->grants[i] = first + 1 + (uint32_t)i;
    char v[16];
    snprintf(v, sizeof v, "%u", first);
    vfh_write(os, BASE "/ring-ref", v);
    vfh_write(os, BASE "/event-channel", "5");

    struct vchan *c;
    int rc = vchan_client_open(os, 0, BASE, &c);
    mix(&rc, sizeof(rc));
    if (rc == 0) {
        static uint8_t buf[1 << 16];
        (void)vchan_poll(c);
        for (size_t i = 2; i + 5 <= size; i += 5) {
            uint32_t val = (uint32_t)data[i + 1] | (uint32_t)data[i + 2] << 8 |
                           (uint32_t)data[i + 3] << 16 | (uint32_t)data[i + 4] << 24;
            size_t len = val & 0xffff;
            long n;
            switch (data[i] % 9) {
            case 0: s->right.prod = val; break;
            case 1: s->left.cons = val; break;
            case 2: s->srv_live = (uint8_t)val; break;
            case 3:
                n = vchan_read(c, buf, len);
                if (n > (long)len)
                    abort();
                mix(&n, sizeof(n));
                if (checking && n > 0)
                    mix(buf, (size_t)n);
                break;
            case 4:
                wrote = true;
                n = vchan_write(c, buf, len);
                if (n > (long)len)
                    abort();
                mix(&n, sizeof(n));
                break;
            case 5: (void)vchan_poll(c); break;
            case 6:
                s->left_order = (uint16_t)val;
                s->right_order = (uint16_t)(val >> 16);
                break;
            case 7: (void)vchan_data_ready(c), (void)vchan_buffer_space(c); break;
            case 8:
                n = vchan_recv(c, buf, len);
                if (n > (long)len)
                    abort();
                mix(&n, sizeof(n));
                if (checking && n > 0)
                    mix(buf, (size_t)n);
                break;
            }
        }
        /* A broken vchan says why; its ring sizes stay within the largest. */
        if (vchan_error(c) && !*vchan_diagnosis(c))
            abort();
        if (vchan_read_size(c) > VCHAN_MAX_RING || vchan_write_size(c) > VCHAN_MAX_RING)
            abort();
        vchan_close(c);
    }
    vfh_free(os);
    if (wrote)
        memset(mem + 4096, 0, (pages - 1) * 4096);
    return 0;
}
