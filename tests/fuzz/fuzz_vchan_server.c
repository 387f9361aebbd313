/*
 * fuzz_vchan_server — our vchan server against a hostile client: the
 * input picks the ring sizes asked for, then the client's side moves its
 * indices, live byte, notify byte and even the ring orders at will while
 * the server reads, writes and polls.  The server must cut the client
 * off or carry on, never touch memory outside its rings, never return
 * more than asked.
 *
 * Input: two 16-bit ring sizes, then 5-byte steps as fuzz_vchan_client.
 *
 * The host's pages come from a pool kept between inputs (rings of up to
 * 256 pages each); only the server's writes put data into its rings, so
 * after an input that made none the ring pages go back without being
 * cleared again.  fuzz_world_fresh(1) clears them for every input;
 * fuzz_world_digest() sums up what each call returned and read.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <xen/io/libxenvchan.h>

#include "tests/fuzz/fuzz_world.h"
#include "tests/fuzz/vchan_fuzz_host.h"
#include "vchan.h"

#define BASE "/local/domain/1/data/vchan/2/7"

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
    if (size < 4)
        return 0;
    struct os *os = vfh_new();
    size_t rd = (size_t)(data[0] | data[1] << 8) * 16, wr = (size_t)(data[2] | data[3] << 8) * 16;
    struct vchan *v;
    int rc = vchan_server_open(os, 2, BASE, rd, wr, &v);
    mix(&rc, sizeof(rc));
    if (rc == 0) {
        bool wrote = false;
        char ref[16];
        struct vchan_interface *s = NULL;
        if (os_xs_read(os, 0, BASE "/ring-ref", ref, sizeof ref) > 0)
            s = vfh_page(os, (grant_ref_t)atoi(ref));
        /* The rings are one region, its first page granted first (as the
         * server published it, before the client moves anything). */
        void *rings =
            s && (s->left_order >= 12 || s->right_order >= 12) ? vfh_page(os, s->grants[0]) : NULL;
        static uint8_t buf[1 << 16];
        for (size_t i = 4; s && i + 5 <= size; i += 5) {
            uint32_t val = (uint32_t)data[i + 1] | (uint32_t)data[i + 2] << 8 |
                           (uint32_t)data[i + 3] << 16 | (uint32_t)data[i + 4] << 24;
            size_t len = val & 0xffff;
            long n;
            switch (data[i] % 9) {
            case 0: s->left.prod = val; break;
            case 1: s->right.cons = val; break;
            case 2: s->cli_live = (uint8_t)val; break;
            case 3:
                n = vchan_read(v, buf, len);
                if (n > (long)len)
                    abort();
                mix(&n, sizeof(n));
                if (checking && n > 0)
                    mix(buf, (size_t)n);
                break;
            case 4:
                wrote = true;
                n = vchan_write(v, buf, len);
                if (n > (long)len)
                    abort();
                mix(&n, sizeof(n));
                break;
            case 5: (void)vchan_poll(v); break;
            case 6:
                s->left_order = (uint16_t)val;
                s->right_order = (uint16_t)(val >> 16);
                break;
            case 7: s->srv_notify = (uint8_t)val; break;
            case 8:
                wrote = true;
                n = vchan_send(v, buf, len);
                if (n > (long)len)
                    abort();
                mix(&n, sizeof(n));
                break;
            }
        }
        /* A broken vchan says why; its ring sizes stay within the largest. */
        if (vchan_error(v) && !*vchan_diagnosis(v))
            abort();
        if (vchan_read_size(v) > VCHAN_MAX_RING || vchan_write_size(v) > VCHAN_MAX_RING)
            abort();
        if (rings && !wrote && !fresh_each)
            vfh_region_clean(os, rings);
        vchan_close(v);
    }
    vfh_free(os);
    return 0;
}
