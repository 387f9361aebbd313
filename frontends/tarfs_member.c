/*
 * tarfs_member.c — an open member: its bytes, holes of sparse members
 * read as zeros, and where each stretch lives on the device.
 */
#include "tarfs_impl.h"

int tarfs_file_from_entry(struct tarfs *t, const struct tarfs_entry *e, struct tarfs_file **out)
{
    struct tarfs_file *f = os_calloc(t->os, 1, sizeof *f);
    if (!f)
        return -OS_ENOMEM;
    f->os = t->os;
    f->dev = t->dev;
    f->size = e->size;
    f->data_offset = e->data_offset;
    f->stored = e->stored_size;
    if (e->sparse) {
        size_t bytes = e->nsparse * sizeof *e->sparse;
        f->map = os_malloc(t->os, bytes ? bytes : 1);
        if (!f->map) {
            os_free(t->os, f);
            return -OS_ENOMEM;
        }
        if (bytes)
            os_memcpy(f->map, e->sparse, bytes);
        f->nmap = e->nsparse;
    }
    *out = f;
    return 0;
}

void tarfs_file_close(struct tarfs_file *f)
{
    if (!f)
        return;
    os_free(f->os, f->map);
    os_free(f->os, f);
}

uint64_t tarfs_file_size(const struct tarfs_file *f)
{
    return f->size;
}

/* Index of the first stretch ending after `pos` (nmap if none). */
static size_t chunk_after(const struct tarfs_file *f, uint64_t pos)
{
    size_t lo = 0, hi = f->nmap;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->map[mid].offset + f->map[mid].length <= pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

long tarfs_file_read(struct tarfs_file *f, uint64_t offset, void *buf, size_t len)
{
    if (offset >= f->size)
        return 0;
    if (len > f->size - offset)
        len = (size_t)(f->size - offset);
    if (len > (size_t)0x40000000)
        len = 0x40000000; /* keep the count representable in a long */
    if (!f->map) {
        int rc = f->dev.read(f->dev.ctx, f->data_offset + offset, buf, len);
        return rc < 0 ? rc : (long)len;
    }
    uint8_t *p = buf;
    size_t done = 0;
    size_t i = chunk_after(f, offset);
    while (done < len) {
        uint64_t pos = offset + done;
        size_t want = len - done;
        if (i >= f->nmap || pos < f->map[i].offset) {
            /* A hole up to the next stretch (or the end). */
            uint64_t gap = i < f->nmap ? f->map[i].offset - pos : want;
            size_t n = gap < want ? (size_t)gap : want;
            os_memset(p + done, 0, n);
            done += n;
            continue;
        }
        const struct tarfs_chunk *c = &f->map[i];
        uint64_t in = pos - c->offset;
        uint64_t avail = c->length - in;
        size_t n = avail < want ? (size_t)avail : want;
        int rc = f->dev.read(f->dev.ctx, f->data_offset + c->stored + in, p + done, n);
        if (rc < 0)
            return rc;
        done += n;
        i++;
    }
    return (long)done;
}

uint64_t tarfs_file_extent(const struct tarfs_file *f, uint64_t offset, uint64_t *dev_offset)
{
    if (offset >= f->size)
        return 0;
    if (!f->map) {
        *dev_offset = f->data_offset + offset;
        return f->size - offset;
    }
    size_t i = chunk_after(f, offset);
    if (i >= f->nmap || offset < f->map[i].offset) {
        *dev_offset = TARFS_HOLE;
        return (i < f->nmap ? f->map[i].offset : f->size) - offset;
    }
    uint64_t in = offset - f->map[i].offset;
    *dev_offset = f->data_offset + f->map[i].stored + in;
    return f->map[i].length - in;
}
