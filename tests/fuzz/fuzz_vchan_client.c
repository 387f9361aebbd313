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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/io/libxenvchan.h>

#include "tests/fuzz/vchan_fuzz_host.h"
#include "vchan.h"

#define BASE "/local/domain/0/data/vchan/1/7"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct os *os = vfh_new();
    unsigned lo = 8 + data[0] % 14, ro = 8 + data[1] % 14; /* 8..21: some invalid */
    unsigned lp = lo >= 12 ? 1u << (lo - 12) : 0, rp = ro >= 12 ? 1u << (ro - 12) : 0;
    size_t pages = 1 + lp + rp;
    uint8_t *mem = aligned_alloc(4096, pages * 4096);
    memset(mem, 0, pages * 4096);
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
    if (vchan_client_open(os, 0, BASE, &c) == 0) {
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
                break;
            case 4:
                n = vchan_write(c, buf, len);
                if (n > (long)len)
                    abort();
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
                break;
            }
        }
        vchan_close(c);
    }
    vfh_free(os);
    free(mem);
    return 0;
}
