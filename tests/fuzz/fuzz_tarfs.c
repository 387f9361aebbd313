/*
 * fuzz_tarfs.c — libFuzzer target: the tar reader over an in-memory
 * device.  Lists every member, reads the start of every file member, and
 * looks one name up, so headers, pax records, sparse maps and member
 * reads all see hostile input.  The device aborts on any read outside the
 * input (test_tarfs_host.c), so an out-of-bounds read is a crash even
 * where ASan would not see one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/test_tarfs_host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[4096];
    struct memdev m;
    struct tarfs_dev dev;
    struct tarfs_entry e;
    char name[256] = "";
    int members = 0;

    memdev_init(&m, data, size, &dev);
    struct tarfs *t = tarfs_open(NULL, &dev);
    if (!t)
        return 0;
    while (tarfs_next(t, &e) == 1 && members++ < 1000) {
        if (strlen(e.name) < sizeof name)
            strcpy(name, e.name);
        if (!*tarfs_type_name(e.type))
            abort(); /* every type has a name */
        if (e.type != TARFS_FILE)
            continue;
        struct tarfs_file *f;
        if (tarfs_file_from_entry(t, &e, &f) != 0)
            continue;
        /* Sparse sizes can be huge: read the start and a piece near the end. */
        tarfs_file_read(f, 0, buf, sizeof buf);
        if (e.size > 3)
            tarfs_file_read(f, e.size - 3, buf, sizeof buf);
        /* Every stored extent must lie on the device. */
        uint64_t off = 0, where;
        for (int k = 0; k < 64; k++) {
            uint64_t run = tarfs_file_extent(f, off, &where);
            if (!run)
                break;
            if (where != TARFS_HOLE && (where > size || run > size - where))
                abort();
            off += run;
        }
        tarfs_file_close(f);
    }
    /* A reader that stopped on an error says why. */
    if (tarfs_error_offset(t) && !*tarfs_error(t))
        abort();
    if (name[0]) {
        struct tarfs_file *f = NULL;
        tarfs_lookup(t, name, &f);
        if (f)
            tarfs_file_read(f, 0, buf, sizeof buf);
        tarfs_file_close(f);
    }
    tarfs_close(t);
    return 0;
}
