/*
 * test_tarfs_align.c — the tar reader over a whole-sector device that
 * refuses any buffer not starting a page (as a zero-copy grant path
 * does), with the archive placed at awkward disk offsets and members read
 * at awkward offsets into awkward buffers.
 *
 * Built twice (tests/unit/tarfs.mk): normally, where no read may be
 * refused and every byte must match the same archive read from memory;
 * and with BLKDEV_BYTES_SEED_BUG, the reader of the original Qubes
 * report, where the device must refuse the first read with a diagnosis
 * naming the buffer.
 */
#include <check.h>

#include "tests/lib/check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_tarfs_host.h"

/* Where the archive starts on the disk: so member data (and headers)
 * land at these offsets plus multiples of 512. */
static const uint64_t bases[] = { 0, 1, 511, 512, 513, 4095, 4097 };
#define NBASES (sizeof bases / sizeof bases[0])

static const char *const archives[] = {
    "hello.tar",
    "gnutar-gnu.tar",
    "gnutar-long-pax.tar",
    "gnutar-sparse-pax-1.0.tar",
    "gnutar-sparse-oldgnu.tar",
    "python-types-pax.tar",
};
#define NARCHIVES (sizeof archives / sizeof archives[0])

static char *fixture(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/fixtures/tar/%s", source_dir(), name);
    return path;
}

/* A disk image: `base` bytes of filler, the archive, zeros to a whole
 * number of sectors. */
struct disk {
    uint8_t *bytes;
    uint64_t sectors;
    struct sectordev sd;
    struct blkdev_sectors bs;
    struct blkdev_bytes *bb;
    uint64_t base, archive_size;
};

static void disk_make(struct disk *d, const uint8_t *archive, size_t size, uint64_t base,
                      uint32_t sector_size)
{
    uint64_t total = base + size;
    total = (total + sector_size - 1) / sector_size * sector_size;
    d->bytes = calloc(1, total);
    memset(d->bytes, 0x5a, base);
    memcpy(d->bytes + base, archive, size);
    d->sectors = total / 512;
    d->base = base;
    d->archive_size = size;
    sectordev_init(&d->sd, d->bytes, d->sectors, sector_size, &d->bs);
    d->bb = blkdev_bytes_open(NULL, &d->bs);
    ck_assert_ptr_nonnull(d->bb);
}

static void disk_free(struct disk *d)
{
    blkdev_bytes_close(d->bb);
    free(d->bytes);
}

/* The archive as tarfs sees it: a window of the disk starting at base. */
static int window_read(void *ctx, uint64_t offset, void *buf, size_t len)
{
    struct disk *d = ctx;
    return blkdev_bytes_read(d->bb, d->base + offset, buf, len);
}

static void window_dev(struct disk *d, struct tarfs_dev *dev)
{
    dev->ctx = d;
    dev->size_bytes = d->archive_size;
    dev->read = window_read;
}

#ifndef BLKDEV_BYTES_SEED_BUG

/* Everything tarfs reports and reads, as one byte string. */
static uint8_t *walk(const struct tarfs_dev *dev, size_t *len)
{
    struct tarfs *t = tarfs_open(NULL, dev);
    struct tarfs_entry e;
    size_t cap = 1 << 16, n = 0;
    uint8_t *out = malloc(cap);
    int rc;
    while ((rc = tarfs_next(t, &e)) == 1) {
        uint64_t size = e.size;
        size_t need = strlen(e.name) + 64 + (size_t)size;
        while (n + need > cap)
            out = realloc(out, cap *= 2);
        n += (size_t)snprintf((char *)out + n, cap - n, "%s %s %llu\n", tarfs_type_name(e.type),
                              e.name, (unsigned long long)size);
        if (e.type == TARFS_FILE) {
            struct tarfs_file *f;
            ck_assert_int_eq(tarfs_file_from_entry(t, &e, &f), 0);
            ck_assert_int_eq(tarfs_file_read(f, 0, out + n, (size_t)size), (long)size);
            n += (size_t)size;
            tarfs_file_close(f);
        }
    }
    ck_assert_msg(rc == 0, "%s", tarfs_error(t));
    tarfs_close(t);
    *len = n;
    return out;
}

START_TEST(test_archive_at_every_disk_offset)
{
    const char *name = archives[_i];
    size_t size, want_len;
    uint8_t *archive = read_file(fixture(name), &size);
    struct memdev m;
    struct tarfs_dev mdev;
    memdev_init(&m, archive, size, &mdev);
    uint8_t *want = walk(&mdev, &want_len);

    for (size_t b = 0; b < NBASES; b++) {
        for (uint32_t ss = 512; ss <= 4096; ss *= 8) {
            struct disk d;
            struct tarfs_dev dev;
            size_t got_len;
            disk_make(&d, archive, size, bases[b], ss);
            window_dev(&d, &dev);
            uint8_t *got = walk(&dev, &got_len);
            ck_assert_msg(d.sd.refused == 0, "%s at %llu: device refused: %s", name,
                          (unsigned long long)bases[b], d.sd.diagnosis);
            ck_assert_msg(got_len == want_len && memcmp(got, want, want_len) == 0,
                          "%s at disk offset %llu, sector size %u: differs", name,
                          (unsigned long long)bases[b], ss);
            free(got);
            disk_free(&d);
        }
    }
    free(want);
    free(archive);
}
END_TEST

START_TEST(test_member_reads_at_every_offset)
{
    /* dir/binary.bin: 10496 bytes of 0..255 repeating. */
    size_t size;
    uint8_t *archive = read_file(fixture("gnutar-gnu.tar"), &size);
    static const uint64_t offsets[] = { 0, 1, 511, 512, 513, 4095, 4097 };
    static const size_t lens[] = { 1, 13, 511, 512, 513, 4096, 4097, 10496 };
    uint8_t *raw = malloc(10496 + 64);

    for (size_t b = 0; b < NBASES; b++) {
        struct disk d;
        struct tarfs_dev dev;
        struct tarfs_file *f;
        disk_make(&d, archive, size, bases[b], 512);
        window_dev(&d, &dev);
        struct tarfs *t = tarfs_open(NULL, &dev);
        ck_assert_int_eq(tarfs_lookup(t, "./dir/binary.bin", &f), 0);
        ck_assert_uint_eq(tarfs_file_size(f), 10496);
        for (size_t o = 0; o < sizeof offsets / sizeof offsets[0]; o++) {
            for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
                uint8_t *dst = raw + 1 + (o + l) % 7; /* never aligned */
                size_t expect = lens[l] < 10496 - offsets[o] ? lens[l] : 10496 - offsets[o];
                ck_assert_int_eq(tarfs_file_read(f, offsets[o], dst, lens[l]), (long)expect);
                for (size_t i = 0; i < expect; i++)
                    ck_assert_uint_eq(dst[i], (uint8_t)((offsets[o] + i) % 256));
            }
        }
        ck_assert_uint_eq(d.sd.refused, 0);
        tarfs_file_close(f);
        tarfs_close(t);
        disk_free(&d);
    }
    free(raw);
    free(archive);
}
END_TEST

START_TEST(test_adapter_reads_whole_windows)
{
    /* Sequential reads cost one device read per window, not per call. */
    size_t size;
    uint8_t *archive = read_file(fixture("gnutar-gnu.tar"), &size);
    struct disk d;
    uint8_t byte;
    disk_make(&d, archive, size, 0, 512);
    for (uint64_t off = 0; off < d.sectors * 512; off++)
        ck_assert_int_eq(blkdev_bytes_read(d.bb, off, &byte, 1), 0);
    /* A page for the first byte, then whole windows as the reads go on. */
    uint64_t window = 11 * OS_PAGE_SIZE;
    ck_assert_uint_eq(blkdev_bytes_device_reads(d.bb),
                      1 + (d.sectors * 512 - OS_PAGE_SIZE + window - 1) / window);
    ck_assert_int_eq(blkdev_bytes_read(d.bb, d.sectors * 512, &byte, 1), -OS_EINVAL);
    ck_assert_int_eq(blkdev_bytes_read(d.bb, d.sectors * 512, &byte, 0), 0);
    /* A read that starts on the device but runs one byte past its end. */
    uint8_t two[2];
    uint64_t reads = blkdev_bytes_device_reads(d.bb);
    ck_assert_int_eq(blkdev_bytes_read(d.bb, d.sectors * 512 - 1, two, 2), -OS_EINVAL);
    ck_assert_uint_eq(blkdev_bytes_device_reads(d.bb), reads); /* refused before any read */
    ck_assert_int_eq(blkdev_bytes_read(d.bb, d.sectors * 512 - 1, two, 1), 0);
    ck_assert_int_eq(two[0], archive[d.sectors * 512 - 1]);
    const void *p;
    ck_assert_int_eq(blkdev_bytes_peek(d.bb, d.sectors * 512 - 1, 2, &p), -OS_EINVAL);
    ck_assert_int_eq(blkdev_bytes_peek(d.bb, d.sectors * 512, 1, &p), -OS_EINVAL);
    ck_assert_int_eq(blkdev_bytes_peek(d.bb, d.sectors * 512, 0, &p), 0);
    ck_assert_int_eq(blkdev_bytes_peek(d.bb, 3, 2, &p), 2);
    ck_assert_int_eq(memcmp(p, archive + 3, 2), 0);
    disk_free(&d);
    free(archive);
}
END_TEST

START_TEST(test_adapter_streams_in_one_mib_windows)
{
    /* A device that takes large reads (blkfront cutting them into
     * requests it keeps on the ring together) is streamed 1 MiB at a
     * time: one round trip per MiB, not one per request. */
    enum { BYTES = 3 * 1024 * 1024 + 4096 };
    uint8_t *data = malloc(BYTES), chunk[65536];
    for (size_t i = 0; i < BYTES; i++)
        data[i] = (uint8_t)(i * 7 + i / 4096);
    struct sectordev sd;
    struct blkdev_sectors bs;
    sectordev_init(&sd, data, BYTES / 512, 512, &bs);
    sd.max_io = bs.max_io = 4u << 20;
    struct blkdev_bytes *bb = blkdev_bytes_open(NULL, &bs);
    ck_assert_ptr_nonnull(bb);
    for (uint64_t off = 0; off < BYTES; off += sizeof chunk) {
        size_t n = BYTES - off < sizeof chunk ? BYTES - off : sizeof chunk;
        ck_assert_int_eq(blkdev_bytes_read(bb, off, chunk, n), 0);
        ck_assert_int_eq(memcmp(chunk, data + off, n), 0);
    }
    /* The first 64 KiB as asked, then 1 MiB windows (128 KiB ones made 25). */
    ck_assert_uint_eq(blkdev_bytes_device_reads(bb), 1 + 3);
    ck_assert_uint_eq(sd.refused, 0);
    blkdev_bytes_close(bb);
    free(data);
}
END_TEST

/* Streams a member the way tar-cat does: extents, and the adapter's
 * cache lent without a copy. */
static uint8_t *stream(struct disk *d, struct tarfs_file *f, size_t *len)
{
    uint64_t size = tarfs_file_size(f), off = 0;
    uint8_t *out = malloc(size + 1);
    while (off < size) {
        uint64_t dev;
        uint64_t run = tarfs_file_extent(f, off, &dev);
        ck_assert_uint_gt(run, 0);
        ck_assert_uint_le(run, size - off);
        if (dev == TARFS_HOLE) {
            memset(out + off, 0, run);
            off += run;
            continue;
        }
        while (run) {
            const void *p;
            long n = blkdev_bytes_peek(d->bb, d->base + dev, run < 9999 ? run : 9999, &p);
            ck_assert_int_gt(n, 0);
            memcpy(out + off, p, (size_t)n);
            off += (uint64_t)n;
            dev += (uint64_t)n;
            run -= (uint64_t)n;
        }
    }
    ck_assert_uint_eq(tarfs_file_extent(f, size, &off), 0);
    *len = size;
    return out;
}

START_TEST(test_streaming_equals_reading)
{
    static const char *const names[] = { "gnutar-sparse-oldgnu.tar", "gnutar-sparse-pax-1.0.tar",
                                         "gnutar-gnu.tar", "bsdtar-sparse-pax.tar" };
    static const char *const members[] = { "./sparse.bin", "./sparse.bin", "./dir/binary.bin",
                                           "./sparse.bin" };
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        size_t size, a, b;
        uint8_t *archive = read_file(fixture(names[k]), &size);
        struct disk d;
        struct tarfs_dev dev;
        struct tarfs_file *f;
        disk_make(&d, archive, size, bases[k % NBASES], 512);
        window_dev(&d, &dev);
        struct tarfs *t = tarfs_open(NULL, &dev);
        ck_assert_int_eq(tarfs_lookup(t, members[k], &f), 0);
        uint8_t *x = stream(&d, f, &a);
        uint8_t *y = malloc(tarfs_file_size(f) + 1);
        b = (size_t)tarfs_file_read(f, 0, y, tarfs_file_size(f));
        ck_assert_uint_eq(a, b);
        ck_assert_msg(memcmp(x, y, a) == 0, "%s: streamed bytes differ", names[k]);
        ck_assert_uint_eq(d.sd.refused, 0);
        free(x);
        free(y);
        tarfs_file_close(f);
        tarfs_close(t);
        disk_free(&d);
        free(archive);
    }
}
END_TEST

START_TEST(test_adapter_skips_what_it_jumps_over)
{
    /* A tar scan reads a header, then the next one far away: the member
     * data in between never crosses the device. */
    size_t size = 8u << 20;
    uint8_t *img = calloc(1, size);
    struct disk d;
    uint8_t hdr[512];
    disk_make(&d, img, size, 0, 512);
    for (uint64_t off = 0; off < size; off += 1u << 20)
        ck_assert_int_eq(blkdev_bytes_read(d.bb, off, hdr, sizeof hdr), 0);
    ck_assert_uint_eq(d.sd.reads, 8);
    ck_assert_uint_eq(d.sd.bytes, 8 * OS_PAGE_SIZE);
    disk_free(&d);
    free(img);
}
END_TEST

#else /* BLKDEV_BYTES_SEED_BUG */

START_TEST(test_seed_bug_is_refused)
{
    size_t size;
    uint8_t *archive = read_file(fixture("hello.tar"), &size);
    struct disk d;
    struct tarfs_dev dev;
    struct tarfs_entry e;
    disk_make(&d, archive, size, 0, 512);
    window_dev(&d, &dev);
    struct tarfs *t = tarfs_open(NULL, &dev);
    ck_assert_int_eq(tarfs_next(t, &e), -OS_EINVAL);
    ck_assert_uint_ge(d.sd.refused, 1);
    ck_assert_ptr_nonnull(strstr(d.sd.diagnosis, "is not the first byte of a page"));
    ck_assert_ptr_nonnull(strstr(tarfs_error(t), "offset 0: device read"));
    tarfs_close(t);
    disk_free(&d);
    free(archive);
}
END_TEST

#endif

int main(void)
{
    Suite *s = suite_create("tarfs-align");
    TCase *tc = tcase_create("align");
    tcase_set_timeout(tc, 60);
#ifndef BLKDEV_BYTES_SEED_BUG
    tcase_add_loop_test(tc, test_archive_at_every_disk_offset, 0, (int)NARCHIVES);
    tcase_add_test(tc, test_member_reads_at_every_offset);
    tcase_add_test(tc, test_adapter_reads_whole_windows);
    tcase_add_test(tc, test_adapter_streams_in_one_mib_windows);
    tcase_add_test(tc, test_adapter_skips_what_it_jumps_over);
    tcase_add_test(tc, test_streaming_equals_reading);
#else
    (void)archives;
    (void)bases;
    tcase_add_test(tc, test_seed_bug_is_refused);
#endif
    suite_add_tcase(s, tc);
    return check_main(s);
}
