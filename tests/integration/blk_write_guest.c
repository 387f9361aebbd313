/*
 * blk-write-guest SEED [--no-persistent] — writes a known pattern to xvda
 * through blkfront's own shared buffers, the paths on which blkfront
 * grants the caller's pages instead of copying them (where a frontend
 * chooses between read-only and read-write grants), for
 * test_persistent_grants:
 *   - one page, zero copy, at sector 8;
 *   - as many pages as one request carries, zero copy, at sector 64;
 *   - three pages from a shared buffer at a 512-byte offset, at sector
 *     1024 (blkfront grants the buffer's pages with sector offsets).
 * The byte at disk offset pos is (pos * 31 + (pos >> 9) * 7 + SEED) & 0xff.
 * Then a flush, and one line "persistent P: wrote N bytes".
 * Exit 0, 1 on an I/O error (with blkfront's line), 2 on bad usage.
 */
#include "blkfront.h"

static const char prog[] = "blk-write-guest";

static uint8_t pattern(uint64_t pos, uint64_t seed)
{
    return (uint8_t)(pos * 31 + (pos >> 9) * 7 + seed);
}

static void fill(uint8_t *p, size_t len, uint64_t pos, uint64_t seed)
{
    for (size_t i = 0; i < len; i++)
        p[i] = pattern(pos + i, seed);
}

int app_main(struct os *os, int argc, char **argv)
{
    struct blkfront_opts o;
    blkfront_default_opts(&o);
    uint64_t seed = 0;
    bool have_seed = false;
    for (int i = 1; i < argc; i++) {
        if (os_strcmp(argv[i], "--no-persistent") == 0)
            o.persistent = false;
        else if (!have_seed && os_parse_u64(argv[i], &seed) == 0)
            have_seed = true;
        else {
            os_log(os, OS_LOG_ERROR, "%s: bad argument '%s'; usage: %s SEED [--no-persistent]",
                   prog, argv[i], prog);
            return 2;
        }
    }
    if (!have_seed) {
        os_log(os, OS_LOG_ERROR, "%s: usage: %s SEED [--no-persistent]", prog, prog);
        return 2;
    }
    struct blkfront *bf;
    if (blkfront_open_sync_opts(os, "xvda", &o, &bf) < 0)
        return 1;
    size_t big = blkfront_max_io(bf);
    unsigned npages = (unsigned)(big / OS_PAGE_SIZE) + 1;
    uint8_t *buf = blkfront_buffer_alloc(bf, npages);
    if (!buf) {
        os_log(os, OS_LOG_ERROR, "%s: cannot get %u shared pages from blkfront", prog, npages);
        blkfront_close(bf);
        return 1;
    }
    int e;
    fill(buf, OS_PAGE_SIZE, 8 * 512, seed);
    e = blkfront_write_zero_copy_sync(bf, 8, buf, OS_PAGE_SIZE);
    if (e == 0) {
        fill(buf, big, 64 * 512, seed);
        e = blkfront_write_zero_copy_sync(bf, 64, buf, big);
    }
    if (e == 0) {
        fill(buf + 512, 3 * OS_PAGE_SIZE, 1024 * 512, seed);
        e = blkfront_write_sync(bf, 1024, buf + 512, 3 * OS_PAGE_SIZE);
    }
    if (e == 0)
        e = blkfront_flush_sync(bf);
    bool persistent = blkfront_get_info(bf)->persistent;
    blkfront_buffer_free(bf, buf, npages);
    blkfront_close(bf);
    if (e < 0) {
        os_log(os, OS_LOG_ERROR, "%s: write failed: error %d", prog, -e);
        return 1;
    }
    char line[96];
    int n = os_snprintf(line, sizeof(line), "persistent %d: wrote %zu bytes\n", persistent ? 1 : 0,
                        OS_PAGE_SIZE + big + 3 * OS_PAGE_SIZE);
    os_console_write(os, line, (size_t)n);
    return 0;
}
