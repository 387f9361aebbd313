/*
 * tarfs_header.c — the tar header block (v7, ustar, GNU): numeric
 * fields, the checksum, and the fields of a reported entry, which pax
 * records and GNU long names override.
 */
#include "tarfs_impl.h"

/* Parses a numeric header field: octal text (leading spaces, ended by
 * NUL or space) or GNU base-256 (top bit of the first byte set, bit 6 the
 * sign).  Returns NULL and the value, or what is wrong with it. */
static const char EMPTY_FIELD[] = "is empty";

/* The C locale's isspace(), which GNU tar applies around numbers. */
static bool is_space(uint8_t c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

const char *tarfs_parse_num(const uint8_t *f, size_t n, int64_t *out)
{
    if (f[0] & 0x80) {
#ifdef SPLITBED_BUG_TAR_BASE256
        /* Injected bug (make fuzz-bench): a signed accumulator with no
         * bound, which overflows on a long base-256 field. */
        int64_t s = (int64_t)(f[0] & 0x3f);
        for (size_t i = 1; i < n; i++)
            s = s * 256 + (uint8_t)f[i];
        *out = (f[0] & 0x40) ? -s : s;
        return NULL;
#endif
        bool neg = f[0] & 0x40;
        uint8_t flip = neg ? 0xff : 0x00;
        uint64_t v = (uint8_t)((f[0] ^ flip) & 0x3f);
        for (size_t i = 1; i < n; i++) {
            if (v >> 55)
                return "overflows";
            v = (v << 8) | (uint8_t)(f[i] ^ flip);
        }
        if (v > INT63_MAX)
            return "overflows";
        /* Two's complement: -(~x + 1) == x for the complemented bits. */
        *out = neg ? -(int64_t)v - 1 : (int64_t)v;
        return NULL;
    }
    size_t i = 0;
    while (i < n && is_space(f[i]))
        i++;
    if (i == n || f[i] == '\0')
        return EMPTY_FIELD;
    uint64_t v = 0;
    size_t digits = 0;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
        if (v >> 60)
            return "overflows";
        v = v * 8 + (uint64_t)(f[i] - '0');
    }
    /* As GNU tar: the digits must end at a space or NUL (or the field's
     * end); what follows that terminator is not looked at. */
    if (!digits || (i < n && !is_space(f[i]) && f[i] != '\0'))
        return "is not an octal number";
    if (v > INT63_MAX)
        return "overflows";
    *out = (int64_t)v;
    return NULL;
}

int tarfs_hdr_num(struct tarfs *t, size_t field, size_t n, const char *what, bool allow_negative,
                  bool allow_empty, int64_t *out)
{
    const char *why = tarfs_parse_num(t->hdr + field, n, out);
    if (why == EMPTY_FIELD && allow_empty) {
        *out = 0;
        return 0;
    }
    if (why)
        return tarfs_fail(t, t->pos, -OS_EBADMSG, "%s field %s", what, why);
    if (*out < 0 && !allow_negative)
        return tarfs_fail(t, t->pos, -OS_EBADMSG, "negative %s (%lld)", what, (long long)*out);
    return 0;
}

/* The helpers below see every header of a scan; they take eight bytes
 * per step (one unaligned load: __builtin_memcpy of a constant size is
 * never a call, even freestanding).  Few loop steps matter twice: a
 * fuzzing build traces every loop comparison, and most fuzzed headers
 * fail the checksum. */
static uint64_t load64(const uint8_t *p)
{
    uint64_t w;
    __builtin_memcpy(&w, p, sizeof w);
    return w;
}

/* A real header's first word (the name) is almost never zero, so stop at
 * the first non-zero word. */
bool tarfs_all_zero(const uint8_t *b, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        if (load64(b + i))
            return false;
    for (; i < n; i++)
        if (b[i])
            return false;
    return true;
}

/* Byte sums of n bytes (n a multiple of 8): *high counts the bytes with
 * the top bit set, which is what separates the unsigned sum from the
 * signed one (each such byte is 256 less as a signed char). */
static uint32_t sum_bytes(const uint8_t *b, size_t n, uint32_t *high)
{
    const uint64_t lo = 0x00ff00ff00ff00ffull, ones = 0x0101010101010101ull;
    uint64_t acc = 0; /* four 16-bit lanes: 512 bytes cannot overflow them */
    uint64_t top = 0; /* eight 8-bit lanes of top bits: at most 64 each */
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        uint64_t w0 = load64(b + i), w1 = load64(b + i + 8);
        uint64_t w2 = load64(b + i + 16), w3 = load64(b + i + 24);
        acc += (w0 & lo) + ((w0 >> 8) & lo) + (w1 & lo) + ((w1 >> 8) & lo) + (w2 & lo) +
               ((w2 >> 8) & lo) + (w3 & lo) + ((w3 >> 8) & lo);
        top += ((w0 >> 7) & ones) + ((w1 >> 7) & ones) + ((w2 >> 7) & ones) + ((w3 >> 7) & ones);
    }
    for (; i < n; i += 8) {
        uint64_t w = load64(b + i);
        acc += (w & lo) + ((w >> 8) & lo);
        top += (w >> 7) & ones;
    }
    acc = (acc & 0xffff) + ((acc >> 16) & 0xffff) + ((acc >> 32) & 0xffff) + (acc >> 48);
    top = (top & lo) + ((top >> 8) & lo);
    *high =
        (uint32_t)((top & 0xffff) + ((top >> 16) & 0xffff) + ((top >> 32) & 0xffff) + (top >> 48));
    return (uint32_t)acc;
}

int tarfs_verify_checksum(struct tarfs *t)
{
    int64_t stored;
    const char *why = tarfs_parse_num(t->hdr + H_CHKSUM, 8, &stored);
    if (why)
        return tarfs_fail(t, t->pos, -OS_EBADMSG, "header checksum field %s", why);
    /* The checksum field itself counts as eight spaces. */
    uint32_t high, field_high;
    uint32_t usum =
        sum_bytes(t->hdr, BLOCK, &high) - sum_bytes(t->hdr + H_CHKSUM, 8, &field_high) + 8 * ' ';
    if (stored == (int64_t)usum)
        return 0;
    /* Some old writers summed signed chars. */
    int32_t ssum = (int32_t)usum - 256 * (int32_t)(high - field_high);
    if (stored != (int64_t)ssum)
        return tarfs_fail(t, t->pos, -OS_EBADMSG, "bad header checksum (stored %llu, computed %u)",
                          (unsigned long long)stored, usum);
    return 0;
}

/* Joins "a/b" (or just b when a is empty). */
static int sbuf_join(struct os *os, struct sbuf *s, const char *a, size_t alen, const char *b,
                     size_t blen)
{
    char tmp[100 + 1 + 155 + 1];
    size_t n = 0;
    if (alen + 1 + blen >= sizeof tmp)
        return -OS_EINVAL;
    if (alen) {
        os_memcpy(tmp, a, alen);
        n = alen;
        tmp[n++] = '/';
    }
    os_memcpy(tmp + n, b, blen);
    return tarfs_sbuf_set(os, s, tmp, n + blen);
}

static bool ends_with_slash(const struct sbuf *s)
{
    return s->len && s->p[s->len - 1] == '/';
}

/* Name: pax path > GNU.sparse.name > global path > 'L' > header; the
 * link name likewise.  Into t->name and t->linkname. */
static int entry_names(struct tarfs *t)
{
    const uint8_t *h = t->hdr;
    bool posix = os_memcmp(h + H_MAGIC, "ustar\0", 6) == 0;
    int rc;

    const struct sbuf *src = NULL;
    if (t->local.has_sparse_name)
        src = &t->local.sparse_name;
    else if (t->local.has_path)
        src = &t->local.path;
    else if (t->global.has_path)
        src = &t->global.path;
    else if (t->has_longname)
        src = &t->longname;
    if (src) {
        rc = tarfs_sbuf_set(t->os, &t->name, src->p, src->len);
    } else {
        size_t nlen = field_len(h + H_NAME, 100);
        size_t plen = posix ? field_len(h + H_PREFIX, 155) : 0;
        rc = sbuf_join(t->os, &t->name, (const char *)h + H_PREFIX, plen, (const char *)h + H_NAME,
                       nlen);
    }
    if (rc)
        return tarfs_fail(t, t->pos, rc, "out of memory");
    if (t->name.len == 0)
        return tarfs_fail(t, t->pos, -OS_EBADMSG, "member has an empty name");

    src = t->local.has_linkpath    ? &t->local.linkpath
          : t->global.has_linkpath ? &t->global.linkpath
          : t->has_longlink        ? &t->longlink
                                   : NULL;
    if (src)
        rc = tarfs_sbuf_set(t->os, &t->linkname, src->p, src->len);
    else
        rc = tarfs_sbuf_set(t->os, &t->linkname, (const char *)h + H_LINKNAME,
                            field_len(h + H_LINKNAME, 100));
    if (rc)
        return tarfs_fail(t, t->pos, rc, "out of memory");

    return 0;
}

static enum tarfs_type entry_type(const struct tarfs *t, char tf)
{
    switch (tf) {
    case '1': return TARFS_HARDLINK;
    case '2': return TARFS_SYMLINK;
    case '3': return TARFS_CHARDEV;
    case '4': return TARFS_BLOCKDEV;
    case '5':
    case 'D': return TARFS_DIR;
    case '6': return TARFS_FIFO;
    case '\0':
    case '0':
        /* Pre-POSIX writers marked directories only by a trailing slash;
         * GNU tar honours that in every format. */
        return ends_with_slash(&t->name) ? TARFS_DIR : TARFS_FILE;
    }
    return TARFS_FILE; /* tar extracts unknown types as files */
}

static int entry_numbers(struct tarfs *t, struct tarfs_entry *e)
{
    int64_t v;
    int rc;

    if ((rc = tarfs_hdr_num(t, H_MODE, 8, "mode", false, true, &v)))
        return rc;
    e->mode = (uint32_t)(v & 07777);
    if (t->local.has_uid)
        e->uid = t->local.uid;
    else if (t->global.has_uid)
        e->uid = t->global.uid;
    else if ((rc = tarfs_hdr_num(t, H_UID, 8, "uid", false, true, &v)))
        return rc;
    else
        e->uid = (uint64_t)v;
    if (t->local.has_gid)
        e->gid = t->local.gid;
    else if (t->global.has_gid)
        e->gid = t->global.gid;
    else if ((rc = tarfs_hdr_num(t, H_GID, 8, "gid", false, true, &v)))
        return rc;
    else
        e->gid = (uint64_t)v;
    if (t->local.has_mtime)
        e->mtime = t->local.mtime;
    else if (t->global.has_mtime)
        e->mtime = t->global.mtime;
    else if ((rc = tarfs_hdr_num(t, H_MTIME, 12, "mtime", true, true, &v)))
        return rc;
    else
        e->mtime = v;
    if (e->type == TARFS_CHARDEV || e->type == TARFS_BLOCKDEV) {
        if ((rc = tarfs_hdr_num(t, H_DEVMAJOR, 8, "devmajor", false, true, &v)))
            return rc;
        e->devmajor = (uint32_t)v;
        if ((rc = tarfs_hdr_num(t, H_DEVMINOR, 8, "devminor", false, true, &v)))
            return rc;
        e->devminor = (uint32_t)v;
    }

    return 0;
}

int tarfs_header_fields(struct tarfs *t, struct tarfs_entry *e)
{
    int rc = entry_names(t);
    if (rc)
        return rc;
    e->type = entry_type(t, e->typeflag);
    if (e->type != TARFS_HARDLINK && e->type != TARFS_SYMLINK)
        t->linkname.len = 0, t->linkname.p[0] = '\0';
    return entry_numbers(t, e);
}
