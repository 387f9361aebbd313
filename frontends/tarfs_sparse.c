/*
 * tarfs_sparse.c — GNU sparse members: the old 'S' header with its
 * extension blocks, and the pax formats 0.0, 0.1 and 1.0; each yields a
 * map of stretches checked against the member's sizes.
 */
#include "tarfs_impl.h"

int tarfs_chunks_push(struct os *os, struct chunks *c, uint64_t off, uint64_t len)
{
    if (c->n == c->cap) {
        if (c->cap >= SPARSE_MAX)
            return -OS_E2BIG;
        size_t cap = c->cap ? c->cap * 2 : 8;
        struct tarfs_chunk *v = os_malloc(os, cap * sizeof *v);
        if (!v)
            return -OS_ENOMEM;
        if (c->n)
            os_memcpy(v, c->v, c->n * sizeof *v);
        os_free(os, c->v);
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n].offset = off;
    c->v[c->n].length = len;
    c->v[c->n].stored = 0;
    c->n++;
    return 0;
}

/* "o,n,o,n,..." from GNU.sparse.map (format 0.1). */
int tarfs_sparse_map_text(struct tarfs *t, uint64_t off, const char *v, size_t n)
{
    size_t i = 0;
    uint64_t pair[2];
    int k = 0;
    if (n == 0)
        return 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && v[j] != ',')
            j++;
        if (!tarfs_parse_dec(v + i, j - i, &pair[k]))
            return tarfs_fail(t, off, -OS_EBADMSG, "bad number in GNU.sparse.map");
        if (++k == 2) {
            int rc = tarfs_chunks_push(t->os, &t->sparse, pair[0], pair[1]);
            if (rc == -OS_E2BIG)
                return tarfs_fail(t, off, rc, "sparse map has more than %u entries", SPARSE_MAX);
            if (rc)
                return tarfs_fail(t, off, rc, "out of memory");
            k = 0;
        }
        i = j + 1;
    }
    if (k)
        return tarfs_fail(t, off, -OS_EBADMSG, "GNU.sparse.map has an odd count of numbers");
    return 0;
}

/* Reads the sparse map at the start of a format 1.0 member's data:
 * decimal numbers, one per line (count, then offset/length pairs),
 * padded to a block.  Returns the map's size in bytes via *map_bytes. */
static int read_sparse_map_1_0(struct tarfs *t, uint64_t data_off, uint64_t stored,
                               uint64_t *map_bytes)
{
    uint8_t blk[BLOCK];
    uint64_t want = 0, nums = 0, count = 0, v = 0, pair0 = 0;
    bool have_count = false;
    size_t digits = 0;
    t->sparse.n = 0;
    for (uint64_t at = 0;; at += BLOCK) {
        if (at + BLOCK > stored)
            return tarfs_fail(t, t->pos, -OS_EBADMSG, "sparse map runs past the member's data");
        int rc = tarfs_dev_read(t, data_off + at, blk, BLOCK);
        if (rc)
            return rc;
        for (size_t i = 0; i < BLOCK; i++) {
            uint8_t c = blk[i];
            if (c >= '0' && c <= '9') {
                if (digits++ >= 18)
                    return tarfs_fail(t, t->pos, -OS_EBADMSG, "sparse map number overflows");
                v = v * 10 + (uint64_t)(c - '0');
                continue;
            }
            if (c != '\n' || digits == 0)
                return tarfs_fail(t, t->pos, -OS_EBADMSG, "bad character in sparse map");
            if (!have_count) {
                if (v > SPARSE_MAX)
                    return tarfs_fail(t, t->pos, -OS_E2BIG, "sparse map has more than %u entries",
                                      SPARSE_MAX);
                count = v;
                want = 2 * count;
                have_count = true;
            } else if (nums++ % 2 == 0) {
                pair0 = v;
            } else {
                rc = tarfs_chunks_push(t->os, &t->sparse, pair0, v);
                if (rc)
                    return tarfs_fail(t, t->pos, rc, "out of memory");
            }
            v = 0;
            digits = 0;
            if (nums == want) {
                *map_bytes = at + BLOCK;
                return 0;
            }
        }
    }
}

/* Checks a map against the member's real and stored sizes and fills in
 * where each stretch is stored. */
static int finish_sparse(struct tarfs *t, uint64_t off, uint64_t realsize, uint64_t stored)
{
    uint64_t end = 0, sum = 0;
    for (size_t i = 0; i < t->sparse.n; i++) {
        struct tarfs_chunk *c = &t->sparse.v[i];
        if (c->offset < end || c->offset > realsize || c->length > realsize - c->offset)
            return tarfs_fail(
                t, off, -OS_EBADMSG,
                "sparse map entry %zu (offset %llu, length %llu) is out of order or past "
                "the real size %llu",
                i, (unsigned long long)c->offset, (unsigned long long)c->length,
                (unsigned long long)realsize);
        c->stored = sum;
        sum += c->length;
        end = c->offset + c->length;
    }
    /* Fewer is harmless (tar does not check); more would read past the
     * member. */
    if (sum > stored)
        return tarfs_fail(t, off, -OS_EBADMSG,
                          "sparse map describes %llu stored bytes but the member stores %llu",
                          (unsigned long long)sum, (unsigned long long)stored);
    return 0;
}

/* Reads old GNU sparse entries: 4 in the header, 21 per extension block.
 * Returns the number of extension blocks via *ext. */
static int read_old_gnu_sparse(struct tarfs *t, uint64_t *ext)
{
    uint8_t blk[BLOCK];
    const uint8_t *area = t->hdr + H_GNU_SPARSE;
    size_t nent = 4;
    bool more = t->hdr[H_GNU_ISEXT] != 0;
    uint64_t at = t->pos + BLOCK;
    *ext = 0;
    t->sparse.n = 0;
    for (;;) {
        for (size_t i = 0; i < nent; i++) {
            const uint8_t *e = area + 24 * i;
            int64_t off, len;
            if (e[0] == '\0')
                break;
            if (tarfs_parse_num(e, 12, &off) || tarfs_parse_num(e + 12, 12, &len) || off < 0 ||
                len < 0)
                return tarfs_fail(t, t->pos, -OS_EBADMSG, "bad old GNU sparse map entry");
            int rc = tarfs_chunks_push(t->os, &t->sparse, (uint64_t)off, (uint64_t)len);
            if (rc == -OS_E2BIG)
                return tarfs_fail(t, t->pos, rc, "sparse map has more than %u entries", SPARSE_MAX);
            if (rc)
                return tarfs_fail(t, t->pos, rc, "out of memory");
        }
        if (!more)
            return 0;
        if (at > t->dev.size_bytes || t->dev.size_bytes - at < BLOCK)
            return tarfs_fail(t, at, -OS_EBADMSG, "truncated sparse extension header");
        int rc = tarfs_dev_read(t, at, blk, BLOCK);
        if (rc)
            return rc;
        area = blk;
        nent = 21;
        more = blk[504] != 0;
        at += BLOCK;
        (*ext)++;
    }
}

bool tarfs_sparse_member(const struct tarfs *t)
{
    return t->hdr[H_TYPE] == 'S' || t->local.has_major || t->local.sparse_seen ||
           t->local.has_numblocks;
}

int tarfs_sparse_layout(struct tarfs *t, struct tarfs_entry *e, uint64_t size, uint64_t *data_off)
{
    int64_t v;
    int rc;

    if (t->hdr[H_TYPE] == 'S') {
        uint64_t ext;
        if ((rc = read_old_gnu_sparse(t, &ext)))
            return rc;
        *data_off += ext * BLOCK;
        if ((rc = tarfs_hdr_num(t, H_GNU_REALSIZE, 12, "sparse real size", false, true, &v)))
            return rc;
        e->size = (uint64_t)v;
        return 0;
    }
    if (!tarfs_sparse_member(t)) {
        t->sparse.n = 0;
        return 0;
    }
    if (!t->local.has_realsize)
        return tarfs_fail(t, t->pos, -OS_EBADMSG, "sparse member without a real size");
    e->size = t->local.realsize;
    if (t->local.has_major) {
        uint64_t mb = 0;
        if (t->local.major != 1)
            return tarfs_fail(t, t->pos, -OS_EOPNOTSUPP, "GNU sparse format %llu is not supported",
                              (unsigned long long)t->local.major);
        if (*data_off > t->dev.size_bytes || size > t->dev.size_bytes - *data_off)
            return tarfs_fail(t, t->pos, -OS_EBADMSG,
                              "truncated data: member needs %llu bytes, the device has %llu left",
                              (unsigned long long)size,
                              (unsigned long long)(t->dev.size_bytes - *data_off));
        if ((rc = read_sparse_map_1_0(t, *data_off, size, &mb)))
            return rc;
        *data_off += mb;
        e->stored_size = size - mb;
    } else if (t->local.has_numblocks && t->local.numblocks != t->sparse.n) {
        return tarfs_fail(t, t->meta_off, -OS_EBADMSG,
                          "GNU.sparse.numblocks says %llu but the map has %zu",
                          (unsigned long long)t->local.numblocks, t->sparse.n);
    }
    return 0;
}

int tarfs_sparse_attach(struct tarfs *t, struct tarfs_entry *e)
{
    /* A map from pax records is blamed on their header. */
    uint64_t map_off = t->hdr[H_TYPE] == 'S' || t->local.has_major ? t->pos : t->meta_off;
    int rc = finish_sparse(t, map_off, e->size, e->stored_size);
    if (rc)
        return rc;
    e->sparse = t->sparse.v;
    e->nsparse = t->sparse.n;
    if (!e->sparse) {
        /* An empty map is still a map: all hole. */
        static const struct tarfs_chunk none;
        e->sparse = &none;
    }
    return 0;
}
