/*
 * tarfs.c — tar archive reader.  See tarfs.h for what it promises.
 *
 * Shape: tarfs_next() reads one header block at a time.  Meta members
 * (GNU 'L'/'K', pax 'x'/'g') only accumulate state for the member that
 * follows; the first ordinary header consumes that state and is reported.
 * Every length taken from the archive is checked against the device size
 * before anything is read or allocated, and the position always moves
 * forward by at least one block, so hostile input ends in an error, never
 * in a loop or an out-of-bounds read.
 */
#include "tarfs.h"

#define BLOCK 512u
#define META_MAX (1u << 20) /* largest L/K/pax member we accept */
#define SPARSE_MAX 65536u   /* most stretches in one sparse map */
#define INT63_MAX 0x7fffffffffffffffull

/* Header field offsets (POSIX ustar; oldgnu reuses the prefix area). */
enum {
    H_NAME = 0,
    H_MODE = 100,
    H_UID = 108,
    H_GID = 116,
    H_SIZE = 124,
    H_MTIME = 136,
    H_CHKSUM = 148,
    H_TYPE = 156,
    H_LINKNAME = 157,
    H_MAGIC = 257,
    H_VERSION = 263,
    H_DEVMAJOR = 329,
    H_DEVMINOR = 337,
    H_PREFIX = 345,
    H_GNU_SPARSE = 386,
    H_GNU_ISEXT = 482,
    H_GNU_REALSIZE = 483,
};

struct sbuf {
    char *p;
    size_t len, cap;
};

struct chunks {
    struct tarfs_chunk *v;
    size_t n, cap;
};

/* What pax records (or their GNU equivalents) said about the next member. */
struct pax {
    bool has_path, has_linkpath, has_size, has_mtime, has_uid, has_gid;
    struct sbuf path, linkpath;
    uint64_t size, uid, gid;
    int64_t mtime;
    /* GNU sparse keys */
    bool has_realsize, has_sparse_name, has_major, has_numblocks, sparse_seen;
    bool pending_offset;
    struct sbuf sparse_name;
    uint64_t realsize, major, numblocks, pend_off;
};

struct tarfs {
    struct os *os;
    struct tarfs_dev dev;
    uint64_t pos; /* next header block */
    bool done;
    int err;
    uint64_t err_off;
    char errmsg[192];

    struct pax global, local;
    struct sbuf longname, longlink;
    bool has_longname, has_longlink;
    uint64_t meta_off; /* first pending meta header, for errors */
    bool meta_pending;

    struct chunks sparse;       /* the current member's map */
    struct sbuf name, linkname; /* the current member's names */
    struct sbuf scratch;        /* meta member data */
    uint8_t hdr[BLOCK];
};

struct tarfs_file {
    struct os *os;
    struct tarfs_dev dev;
    uint64_t size, data_offset, stored;
    struct tarfs_chunk *map; /* NULL: stored contiguously */
    size_t nmap;
};

/* ---- small helpers ------------------------------------------------------ */

const char *tarfs_type_name(enum tarfs_type type)
{
    switch (type) {
    case TARFS_FILE: return "file";
    case TARFS_DIR: return "dir";
    case TARFS_SYMLINK: return "symlink";
    case TARFS_HARDLINK: return "hardlink";
    case TARFS_CHARDEV: return "chardev";
    case TARFS_BLOCKDEV: return "blockdev";
    case TARFS_FIFO: return "fifo";
    }
    return "unknown";
}

static size_t field_len(const uint8_t *f, size_t n)
{
    size_t i = 0;
    while (i < n && f[i])
        i++;
    return i;
}

static int fail(struct tarfs *t, uint64_t off, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct tarfs *t, uint64_t off, int code, const char *fmt, ...)
{
    va_list ap;
    int n = os_snprintf(t->errmsg, sizeof t->errmsg, "offset %llu: ", (unsigned long long)off);
    if (n < 0 || (size_t)n >= sizeof t->errmsg)
        n = 0;
    va_start(ap, fmt);
    os_vsnprintf(t->errmsg + n, sizeof t->errmsg - (size_t)n, fmt, ap);
    va_end(ap);
    t->err = code;
    t->err_off = off;
    return code;
}

static int sbuf_set(struct os *os, struct sbuf *s, const char *data, size_t len)
{
    if (len + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 128;
        while (cap < len + 1)
            cap *= 2;
        char *p = os_malloc(os, cap);
        if (!p)
            return -OS_ENOMEM;
        os_free(os, s->p);
        s->p = p;
        s->cap = cap;
    }
    if (len)
        os_memcpy(s->p, data, len);
    s->p[len] = '\0';
    s->len = len;
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
    return sbuf_set(os, s, tmp, n + blen);
}

static void sbuf_free(struct os *os, struct sbuf *s)
{
    os_free(os, s->p);
    s->p = NULL;
    s->len = s->cap = 0;
}

static int chunks_push(struct os *os, struct chunks *c, uint64_t off, uint64_t len)
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

static void pax_clear(struct pax *p)
{
    /* Keep the buffers, forget the values. */
    struct sbuf a = p->path, b = p->linkpath, c = p->sparse_name;
    os_memset(p, 0, sizeof *p);
    p->path = a;
    p->linkpath = b;
    p->sparse_name = c;
}

static void pax_free(struct os *os, struct pax *p)
{
    sbuf_free(os, &p->path);
    sbuf_free(os, &p->linkpath);
    sbuf_free(os, &p->sparse_name);
}

static int dev_read(struct tarfs *t, uint64_t off, void *buf, size_t len)
{
    /* Callers check ranges; this is the last line of defence. */
    if (off > t->dev.size_bytes || len > t->dev.size_bytes - off)
        return fail(t, off, -OS_EIO, "read of %zu bytes past the end of the device", len);
    int rc = t->dev.read(t->dev.ctx, off, buf, len);
    if (rc < 0)
        return fail(t, off, rc, "device read of %zu bytes failed (error %d)", len, rc);
    return 0;
}

/* ---- numbers ------------------------------------------------------------ */

/* Parses a numeric header field: octal text (leading spaces, ended by
 * NUL or space) or GNU base-256 (top bit of the first byte set, bit 6 the
 * sign).  Returns NULL and the value, or what is wrong with it. */
static const char EMPTY_FIELD[] = "is empty";

/* The C locale's isspace(), which GNU tar applies around numbers. */
static bool is_space(uint8_t c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static const char *parse_num(const uint8_t *f, size_t n, int64_t *out)
{
    if (f[0] & 0x80) {
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

static int hdr_num(struct tarfs *t, size_t field, size_t n, const char *what, bool allow_negative,
                   bool allow_empty, int64_t *out)
{
    const char *why = parse_num(t->hdr + field, n, out);
    if (why == EMPTY_FIELD && allow_empty) {
        *out = 0;
        return 0;
    }
    if (why)
        return fail(t, t->pos, -OS_EBADMSG, "%s field %s", what, why);
    if (*out < 0 && !allow_negative)
        return fail(t, t->pos, -OS_EBADMSG, "negative %s (%lld)", what, (long long)*out);
    return 0;
}

/* Decimal text of exactly `n` bytes, as pax and sparse maps use. */
static bool parse_dec(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        if (v > (INT63_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

/* pax times: [-]seconds[.fraction]; the fraction is dropped. */
static bool parse_time(const char *s, size_t n, int64_t *out)
{
    bool neg = n && s[0] == '-';
    size_t i = neg ? 1 : 0, end = i;
    while (end < n && s[end] != '.')
        end++;
    for (size_t j = end + 1; j < n; j++)
        if (s[j] < '0' || s[j] > '9')
            return false;
    uint64_t v;
    if (!parse_dec(s + i, end - i, &v))
        return false;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

/* ---- pax ---------------------------------------------------------------- */

static bool key_is(const char *k, size_t klen, const char *want)
{
    size_t n = os_strlen(want);
    return klen == n && os_memcmp(k, want, n) == 0;
}

/* "o,n,o,n,..." from GNU.sparse.map (format 0.1). */
static int parse_sparse_map_text(struct tarfs *t, uint64_t off, const char *v, size_t n)
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
        if (!parse_dec(v + i, j - i, &pair[k]))
            return fail(t, off, -OS_EBADMSG, "bad number in GNU.sparse.map");
        if (++k == 2) {
            int rc = chunks_push(t->os, &t->sparse, pair[0], pair[1]);
            if (rc == -OS_E2BIG)
                return fail(t, off, rc, "sparse map has more than %u entries", SPARSE_MAX);
            if (rc)
                return fail(t, off, rc, "out of memory");
            k = 0;
        }
        i = j + 1;
    }
    if (k)
        return fail(t, off, -OS_EBADMSG, "GNU.sparse.map has an odd count of numbers");
    return 0;
}

static int bad_pax_value(struct tarfs *t, uint64_t off, const char *k, size_t klen)
{
    char key[48]; /* os_snprintf has no %.*s */
    size_t n = klen < sizeof key - 1 ? klen : sizeof key - 1;
    os_memcpy(key, k, n);
    key[n] = '\0';
    return fail(t, off, -OS_EBADMSG, "bad pax value for %s", key);
}

/* One "key=value" record.  Sparse keys only mean something in 'x'. */
static int pax_apply(struct tarfs *t, struct pax *p, bool global, uint64_t off, const char *k,
                     size_t klen, const char *v, size_t vlen)
{
    uint64_t u;
    int rc;
#define BAD_VALUE() bad_pax_value(t, off, k, klen)
    if (key_is(k, klen, "path")) {
        if ((rc = sbuf_set(t->os, &p->path, v, vlen)))
            return fail(t, off, rc, "out of memory");
        p->has_path = vlen != 0;
    } else if (key_is(k, klen, "linkpath")) {
        if ((rc = sbuf_set(t->os, &p->linkpath, v, vlen)))
            return fail(t, off, rc, "out of memory");
        p->has_linkpath = vlen != 0;
    } else if (key_is(k, klen, "size")) {
        if (!vlen) {
            p->has_size = false;
            return 0;
        }
        if (!parse_dec(v, vlen, &p->size))
            return BAD_VALUE();
        p->has_size = true;
    } else if (key_is(k, klen, "uid") || key_is(k, klen, "gid")) {
        if (!vlen)
            return 0;
        if (!parse_dec(v, vlen, &u))
            return BAD_VALUE();
        if (k[0] == 'u') {
            p->uid = u;
            p->has_uid = true;
        } else {
            p->gid = u;
            p->has_gid = true;
        }
    } else if (key_is(k, klen, "mtime")) {
        if (!vlen)
            return 0;
        if (!parse_time(v, vlen, &p->mtime))
            return BAD_VALUE();
        p->has_mtime = true;
    } else if (global || klen < 11 || os_memcmp(k, "GNU.sparse.", 11) != 0) {
        return 0; /* a key we do not need */
    } else if (key_is(k, klen, "GNU.sparse.name")) {
        if ((rc = sbuf_set(t->os, &p->sparse_name, v, vlen)))
            return fail(t, off, rc, "out of memory");
        p->has_sparse_name = true;
    } else if (key_is(k, klen, "GNU.sparse.size") || key_is(k, klen, "GNU.sparse.realsize")) {
        if (!parse_dec(v, vlen, &p->realsize))
            return BAD_VALUE();
        p->has_realsize = true;
    } else if (key_is(k, klen, "GNU.sparse.major")) {
        if (!parse_dec(v, vlen, &p->major))
            return BAD_VALUE();
        p->has_major = true;
    } else if (key_is(k, klen, "GNU.sparse.minor")) {
        if (!parse_dec(v, vlen, &u))
            return BAD_VALUE();
    } else if (key_is(k, klen, "GNU.sparse.numblocks")) {
        if (!parse_dec(v, vlen, &p->numblocks))
            return BAD_VALUE();
        if (p->numblocks > SPARSE_MAX)
            return fail(t, off, -OS_E2BIG, "sparse map has more than %u entries", SPARSE_MAX);
        p->has_numblocks = true;
    } else if (key_is(k, klen, "GNU.sparse.offset")) {
        /* Format 0.0: offset/numbytes pairs, repeated, in order. */
        if (p->pending_offset || !parse_dec(v, vlen, &p->pend_off))
            return BAD_VALUE();
        p->pending_offset = true;
        p->sparse_seen = true;
    } else if (key_is(k, klen, "GNU.sparse.numbytes")) {
        if (!p->pending_offset || !parse_dec(v, vlen, &u))
            return BAD_VALUE();
        p->pending_offset = false;
        rc = chunks_push(t->os, &t->sparse, p->pend_off, u);
        if (rc == -OS_E2BIG)
            return fail(t, off, rc, "sparse map has more than %u entries", SPARSE_MAX);
        if (rc)
            return fail(t, off, rc, "out of memory");
    } else if (key_is(k, klen, "GNU.sparse.map")) {
        t->sparse.n = 0;
        p->sparse_seen = true;
        return parse_sparse_map_text(t, off, v, vlen);
    }
    return 0;
#undef BAD_VALUE
}

/* Parses a pax member's data: records "LEN key=value\n", LEN counting the
 * whole record.  `off` is the member's header offset, for errors. */
static int pax_parse(struct tarfs *t, struct pax *p, bool global, uint64_t off, const char *d,
                     size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (d[i] == '\0') {
            /* Some writers pad with NULs; nothing may follow them. */
            for (size_t j = i; j < n; j++)
                if (d[j])
                    return fail(t, off, -OS_EBADMSG, "pax header has data after NUL padding");
            break;
        }
        size_t j = i;
        uint64_t len = 0;
        while (j < n && d[j] >= '0' && d[j] <= '9' && j - i < 19) {
            len = len * 10 + (uint64_t)(d[j] - '0');
            j++;
        }
        if (j == i || j >= n || d[j] != ' ')
            return fail(t, off, -OS_EBADMSG, "bad pax record length at byte %zu of the pax header",
                        i);
        if (len < (j - i) + 4 || len > n - i)
            return fail(t, off, -OS_EBADMSG, "pax record at byte %zu has impossible length %llu", i,
                        (unsigned long long)len);
        size_t end = i + (size_t)len; /* one past the newline */
        if (d[end - 1] != '\n')
            return fail(t, off, -OS_EBADMSG, "pax record at byte %zu does not end in a newline", i);
        const char *k = d + j + 1;
        size_t rest = end - 1 - (j + 1);
        size_t klen = 0;
        while (klen < rest && k[klen] != '=')
            klen++;
        if (klen == 0 || klen == rest)
            return fail(t, off, -OS_EBADMSG, "pax record at byte %zu is not key=value", i);
        int rc = pax_apply(t, p, global, off, k, klen, k + klen + 1, rest - klen - 1);
        if (rc)
            return rc;
        i = end;
    }
    if (p->pending_offset)
        return fail(t, off, -OS_EBADMSG, "GNU.sparse.offset without GNU.sparse.numbytes");
    return 0;
}

/* ---- the reader ---------------------------------------------------------- */

struct tarfs *tarfs_open(struct os *os, const struct tarfs_dev *dev)
{
    struct tarfs *t = os_calloc(os, 1, sizeof *t);
    if (!t)
        return NULL;
    t->os = os;
    t->dev = *dev;
    return t;
}

static void reset_member_state(struct tarfs *t)
{
    pax_clear(&t->local);
    t->has_longname = t->has_longlink = false;
    t->meta_pending = false;
    t->sparse.n = 0;
}

void tarfs_rewind(struct tarfs *t)
{
    reset_member_state(t);
    pax_clear(&t->global);
    t->pos = 0;
    t->done = false;
    t->err = 0;
    t->err_off = 0;
    t->errmsg[0] = '\0';
}

void tarfs_close(struct tarfs *t)
{
    if (!t)
        return;
    pax_free(t->os, &t->global);
    pax_free(t->os, &t->local);
    sbuf_free(t->os, &t->longname);
    sbuf_free(t->os, &t->longlink);
    sbuf_free(t->os, &t->name);
    sbuf_free(t->os, &t->linkname);
    sbuf_free(t->os, &t->scratch);
    os_free(t->os, t->sparse.v);
    os_free(t->os, t);
}

const char *tarfs_error(const struct tarfs *t)
{
    return t->err ? t->errmsg : "";
}

uint64_t tarfs_error_offset(const struct tarfs *t)
{
    return t->err_off;
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
static bool all_zero(const uint8_t *b, size_t n)
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

static int verify_checksum(struct tarfs *t)
{
    int64_t stored;
    const char *why = parse_num(t->hdr + H_CHKSUM, 8, &stored);
    if (why)
        return fail(t, t->pos, -OS_EBADMSG, "header checksum field %s", why);
    /* The checksum field itself counts as eight spaces. */
    uint32_t high, field_high;
    uint32_t usum =
        sum_bytes(t->hdr, BLOCK, &high) - sum_bytes(t->hdr + H_CHKSUM, 8, &field_high) + 8 * ' ';
    if (stored == (int64_t)usum)
        return 0;
    /* Some old writers summed signed chars. */
    int32_t ssum = (int32_t)usum - 256 * (int32_t)(high - field_high);
    if (stored != (int64_t)ssum)
        return fail(t, t->pos, -OS_EBADMSG, "bad header checksum (stored %llu, computed %u)",
                    (unsigned long long)stored, usum);
    return 0;
}

/* Reads a meta member's data (at most META_MAX bytes) into t->scratch. */
static int read_meta(struct tarfs *t, uint64_t data_off, uint64_t size, const char *what)
{
    if (size > META_MAX)
        return fail(t, t->pos, -OS_E2BIG, "%s of %llu bytes is larger than %u", what,
                    (unsigned long long)size, META_MAX);
    if (size + 1 > t->scratch.cap) {
        /* sbuf_set with no data just grows the buffer. */
        int rc = sbuf_set(t->os, &t->scratch, NULL, 0);
        size_t cap = t->scratch.cap;
        while (!rc && cap < size + 1)
            cap *= 2;
        if (!rc && cap != t->scratch.cap) {
            char *p = os_malloc(t->os, cap);
            if (!p)
                rc = -OS_ENOMEM;
            else {
                os_free(t->os, t->scratch.p);
                t->scratch.p = p;
                t->scratch.cap = cap;
            }
        }
        if (rc)
            return fail(t, t->pos, rc, "out of memory");
    }
    int rc = dev_read(t, data_off, t->scratch.p, (size_t)size);
    if (rc)
        return rc;
    t->scratch.p[size] = '\0';
    t->scratch.len = (size_t)size;
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
            return fail(t, t->pos, -OS_EBADMSG, "sparse map runs past the member's data");
        int rc = dev_read(t, data_off + at, blk, BLOCK);
        if (rc)
            return rc;
        for (size_t i = 0; i < BLOCK; i++) {
            uint8_t c = blk[i];
            if (c >= '0' && c <= '9') {
                if (digits++ >= 18)
                    return fail(t, t->pos, -OS_EBADMSG, "sparse map number overflows");
                v = v * 10 + (uint64_t)(c - '0');
                continue;
            }
            if (c != '\n' || digits == 0)
                return fail(t, t->pos, -OS_EBADMSG, "bad character in sparse map");
            if (!have_count) {
                if (v > SPARSE_MAX)
                    return fail(t, t->pos, -OS_E2BIG, "sparse map has more than %u entries",
                                SPARSE_MAX);
                count = v;
                want = 2 * count;
                have_count = true;
            } else if (nums++ % 2 == 0) {
                pair0 = v;
            } else {
                rc = chunks_push(t->os, &t->sparse, pair0, v);
                if (rc)
                    return fail(t, t->pos, rc, "out of memory");
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
            return fail(t, off, -OS_EBADMSG,
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
        return fail(t, off, -OS_EBADMSG,
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
            if (parse_num(e, 12, &off) || parse_num(e + 12, 12, &len) || off < 0 || len < 0)
                return fail(t, t->pos, -OS_EBADMSG, "bad old GNU sparse map entry");
            int rc = chunks_push(t->os, &t->sparse, (uint64_t)off, (uint64_t)len);
            if (rc == -OS_E2BIG)
                return fail(t, t->pos, rc, "sparse map has more than %u entries", SPARSE_MAX);
            if (rc)
                return fail(t, t->pos, rc, "out of memory");
        }
        if (!more)
            return 0;
        if (at > t->dev.size_bytes || t->dev.size_bytes - at < BLOCK)
            return fail(t, at, -OS_EBADMSG, "truncated sparse extension header");
        int rc = dev_read(t, at, blk, BLOCK);
        if (rc)
            return rc;
        area = blk;
        nent = 21;
        more = blk[504] != 0;
        at += BLOCK;
        (*ext)++;
    }
}

static uint64_t round_block(uint64_t n)
{
    return (n + BLOCK - 1) & ~(uint64_t)(BLOCK - 1);
}

static bool ends_with_slash(const struct sbuf *s)
{
    return s->len && s->p[s->len - 1] == '/';
}

/* Builds the reported entry from the header in t->hdr and the pending
 * meta state.  *next receives where the following header starts. */
static int build_entry(struct tarfs *t, struct tarfs_entry *e, uint64_t size, uint64_t *next)
{
    const uint8_t *h = t->hdr;
    char tf = (char)h[H_TYPE];
    bool posix = os_memcmp(h + H_MAGIC, "ustar\0", 6) == 0;
    int64_t v;
    int rc;

    os_memset(e, 0, sizeof *e);
    e->typeflag = tf;
    e->header_offset = t->pos;

    /* Name: pax path > GNU.sparse.name > global path > 'L' > header. */
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
        rc = sbuf_set(t->os, &t->name, src->p, src->len);
    } else {
        size_t nlen = field_len(h + H_NAME, 100);
        size_t plen = posix ? field_len(h + H_PREFIX, 155) : 0;
        rc = sbuf_join(t->os, &t->name, (const char *)h + H_PREFIX, plen, (const char *)h + H_NAME,
                       nlen);
    }
    if (rc)
        return fail(t, t->pos, rc, "out of memory");
    if (t->name.len == 0)
        return fail(t, t->pos, -OS_EBADMSG, "member has an empty name");

    src = t->local.has_linkpath    ? &t->local.linkpath
          : t->global.has_linkpath ? &t->global.linkpath
          : t->has_longlink        ? &t->longlink
                                   : NULL;
    if (src)
        rc = sbuf_set(t->os, &t->linkname, src->p, src->len);
    else
        rc = sbuf_set(t->os, &t->linkname, (const char *)h + H_LINKNAME,
                      field_len(h + H_LINKNAME, 100));
    if (rc)
        return fail(t, t->pos, rc, "out of memory");

    switch (tf) {
    case '1': e->type = TARFS_HARDLINK; break;
    case '2': e->type = TARFS_SYMLINK; break;
    case '3': e->type = TARFS_CHARDEV; break;
    case '4': e->type = TARFS_BLOCKDEV; break;
    case '5':
    case 'D': e->type = TARFS_DIR; break;
    case '6': e->type = TARFS_FIFO; break;
    case '\0':
    case '0':
        /* Pre-POSIX writers marked directories only by a trailing slash;
         * GNU tar honours that in every format. */
        e->type = ends_with_slash(&t->name) ? TARFS_DIR : TARFS_FILE;
        break;
    default: e->type = TARFS_FILE; break; /* tar extracts unknown types as files */
    }
    if (e->type != TARFS_HARDLINK && e->type != TARFS_SYMLINK)
        t->linkname.len = 0, t->linkname.p[0] = '\0';

    if ((rc = hdr_num(t, H_MODE, 8, "mode", false, true, &v)))
        return rc;
    e->mode = (uint32_t)(v & 07777);
    if (t->local.has_uid)
        e->uid = t->local.uid;
    else if (t->global.has_uid)
        e->uid = t->global.uid;
    else if ((rc = hdr_num(t, H_UID, 8, "uid", false, true, &v)))
        return rc;
    else
        e->uid = (uint64_t)v;
    if (t->local.has_gid)
        e->gid = t->local.gid;
    else if (t->global.has_gid)
        e->gid = t->global.gid;
    else if ((rc = hdr_num(t, H_GID, 8, "gid", false, true, &v)))
        return rc;
    else
        e->gid = (uint64_t)v;
    if (t->local.has_mtime)
        e->mtime = t->local.mtime;
    else if (t->global.has_mtime)
        e->mtime = t->global.mtime;
    else if ((rc = hdr_num(t, H_MTIME, 12, "mtime", true, true, &v)))
        return rc;
    else
        e->mtime = v;
    if (e->type == TARFS_CHARDEV || e->type == TARFS_BLOCKDEV) {
        if ((rc = hdr_num(t, H_DEVMAJOR, 8, "devmajor", false, true, &v)))
            return rc;
        e->devmajor = (uint32_t)v;
        if ((rc = hdr_num(t, H_DEVMINOR, 8, "devminor", false, true, &v)))
            return rc;
        e->devminor = (uint32_t)v;
    }

    uint64_t data_off = t->pos + BLOCK;
    e->size = size;
    /* POSIX stores no data after a directory header, whatever its size
     * says; GNU tar lists the size and reads the next header right after
     * (its dumpdir 'D' does carry data). */
    e->stored_size = tf == '5' ? 0 : size;

    /* Sparse members: find the map and the real size. */
    bool sparse = tf == 'S' || t->local.has_major || t->local.sparse_seen || t->local.has_numblocks;
    if (tf == 'S') {
        uint64_t ext;
        if ((rc = read_old_gnu_sparse(t, &ext)))
            return rc;
        data_off += ext * BLOCK;
        if ((rc = hdr_num(t, H_GNU_REALSIZE, 12, "sparse real size", false, true, &v)))
            return rc;
        e->size = (uint64_t)v;
    } else if (sparse) {
        if (!t->local.has_realsize)
            return fail(t, t->pos, -OS_EBADMSG, "sparse member without a real size");
        e->size = t->local.realsize;
        if (t->local.has_major) {
            uint64_t mb = 0;
            if (t->local.major != 1)
                return fail(t, t->pos, -OS_EOPNOTSUPP, "GNU sparse format %llu is not supported",
                            (unsigned long long)t->local.major);
            if (data_off > t->dev.size_bytes || size > t->dev.size_bytes - data_off)
                return fail(t, t->pos, -OS_EBADMSG,
                            "truncated data: member needs %llu bytes, the device has %llu left",
                            (unsigned long long)size,
                            (unsigned long long)(t->dev.size_bytes - data_off));
            if ((rc = read_sparse_map_1_0(t, data_off, size, &mb)))
                return rc;
            data_off += mb;
            e->stored_size = size - mb;
        } else if (t->local.has_numblocks && t->local.numblocks != t->sparse.n) {
            return fail(t, t->meta_off, -OS_EBADMSG,
                        "GNU.sparse.numblocks says %llu but the map has %zu",
                        (unsigned long long)t->local.numblocks, t->sparse.n);
        }
    } else {
        t->sparse.n = 0;
    }

    if (data_off > t->dev.size_bytes || e->stored_size > t->dev.size_bytes - data_off)
        return fail(
            t, t->pos, -OS_EBADMSG,
            "truncated data: member needs %llu bytes, the device has %llu left",
            (unsigned long long)e->stored_size,
            (unsigned long long)(data_off <= t->dev.size_bytes ? t->dev.size_bytes - data_off : 0));
    if (sparse) {
        /* A map from pax records is blamed on their header. */
        uint64_t map_off = tf == 'S' || t->local.has_major ? t->pos : t->meta_off;
        if ((rc = finish_sparse(t, map_off, e->size, e->stored_size)))
            return rc;
        e->sparse = t->sparse.v;
        e->nsparse = t->sparse.n;
        if (!e->sparse) {
            /* An empty map is still a map: all hole. */
            static const struct tarfs_chunk none;
            e->sparse = &none;
        }
    }
    /* A device has no bytes to read; tar lists major,minor, not a size. */
    if (e->type == TARFS_CHARDEV || e->type == TARFS_BLOCKDEV)
        e->size = 0;
    e->data_offset = data_off;
    e->name = t->name.p;
    e->linkname = t->linkname.p ? t->linkname.p : "";
    *next = data_off + round_block(e->stored_size);
    return 0;
}

int tarfs_next(struct tarfs *t, struct tarfs_entry *out)
{
    int rc;
    if (t->err)
        return t->err;
    if (t->done)
        return 0;
    reset_member_state(t);
    for (;;) {
        uint64_t left = t->pos <= t->dev.size_bytes ? t->dev.size_bytes - t->pos : 0;
        if (left < BLOCK) {
            /* The device ends here (a last padding block may be missing).
             * A partial block counts as the end only if it is blank. */
            uint8_t tail[BLOCK];
            if (left && (rc = dev_read(t, t->pos, tail, (size_t)left)))
                return rc;
            if (left && !all_zero(tail, (size_t)left))
                return fail(t, t->pos, -OS_EBADMSG,
                            "truncated header: %llu bytes left on the device",
                            (unsigned long long)left);
            if (t->meta_pending)
                return fail(t, t->meta_off, -OS_EBADMSG,
                            "archive ends after an extended header, before its member");
            t->done = true;
            return 0;
        }
        if ((rc = dev_read(t, t->pos, t->hdr, BLOCK)))
            return rc;
        if (all_zero(t->hdr, BLOCK)) {
            if (t->meta_pending)
                return fail(t, t->meta_off, -OS_EBADMSG,
                            "archive ends after an extended header, before its member");
            t->done = true;
            return 0;
        }
        if ((rc = verify_checksum(t)))
            return rc;

        char tf = (char)t->hdr[H_TYPE];
        int64_t sv = 0;
        uint64_t size;
        bool is_meta = tf == 'L' || tf == 'K' || tf == 'x' || tf == 'X' || tf == 'g';
        if (tf == '1')
            size = 0; /* a hard link stores no data; tar ignores its size field */
        else if (!is_meta && t->local.has_size)
            size = t->local.size;
        else if ((rc = hdr_num(t, H_SIZE, 12, "size", false, false, &sv)))
            return rc;
        else
            size = (uint64_t)sv;

        uint64_t data_off = t->pos + BLOCK;
        if (is_meta) {
            if (size > t->dev.size_bytes - data_off)
                return fail(t, t->pos, -OS_EBADMSG,
                            "truncated data: member needs %llu bytes, the device has %llu left",
                            (unsigned long long)size,
                            (unsigned long long)(t->dev.size_bytes - data_off));
            const char *what = tf == 'L'   ? "long name"
                               : tf == 'K' ? "long link name"
                                           : "pax header";
            if ((rc = read_meta(t, data_off, size, what)))
                return rc;
            if (tf != 'g' && !t->meta_pending) {
                t->meta_off = t->pos;
                t->meta_pending = true;
            }
            if (tf == 'L' || tf == 'K') {
                struct sbuf *dst = tf == 'L' ? &t->longname : &t->longlink;
                size_t n = field_len((const uint8_t *)t->scratch.p, t->scratch.len);
                if ((rc = sbuf_set(t->os, dst, t->scratch.p, n)))
                    return fail(t, t->pos, rc, "out of memory");
                if (tf == 'L')
                    t->has_longname = true;
                else
                    t->has_longlink = true;
            } else if ((rc = pax_parse(t, tf == 'g' ? &t->global : &t->local, tf == 'g', t->pos,
                                       t->scratch.p, t->scratch.len))) {
                return rc;
            }
            t->pos = data_off + round_block(size);
            continue;
        }
        if (tf == 'V') {
            /* A volume label names the archive, not a member. */
            if (size > t->dev.size_bytes - data_off)
                return fail(t, t->pos, -OS_EBADMSG, "truncated data: volume label needs %llu bytes",
                            (unsigned long long)size);
            t->pos = data_off + round_block(size);
            continue;
        }
        uint64_t next = 0;
        if ((rc = build_entry(t, out, size, &next)))
            return rc;
        t->pos = next;
        return 1;
    }
}

/* ---- members ------------------------------------------------------------ */

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

/* Compares member names the way extraction matches them: trailing
 * slashes do not count. */
static bool same_name(const char *a, const char *b)
{
    size_t la = os_strlen(a), lb = os_strlen(b);
    while (la > 1 && a[la - 1] == '/')
        la--;
    while (lb > 1 && b[lb - 1] == '/')
        lb--;
    return la == lb && os_memcmp(a, b, la) == 0;
}

/* Scans members whose header lies before `limit`; the last one called
 * `path` wins.  Hard links are followed to earlier members. */
static int lookup_before(struct tarfs *t, const char *path, uint64_t limit, int depth,
                         struct tarfs_file **out)
{
    struct tarfs_entry e;
    struct tarfs_file *found = NULL;
    bool is_link = false, is_dir = false, is_other = false;
    uint64_t link_at = 0;
    struct sbuf target = { 0 };
    int rc;

    *out = NULL;
    tarfs_rewind(t);
    while ((rc = tarfs_next(t, &e)) == 1) {
        if (e.header_offset >= limit)
            break;
        if (!same_name(e.name, path))
            continue;
        tarfs_file_close(found);
        found = NULL;
        is_link = is_dir = is_other = false;
        if (e.type == TARFS_DIR) {
            is_dir = true;
        } else if (e.type == TARFS_HARDLINK && e.stored_size == 0) {
            is_link = true;
            link_at = e.header_offset;
            if (sbuf_set(t->os, &target, e.linkname, os_strlen(e.linkname))) {
                rc = -OS_ENOMEM;
                break;
            }
        } else if (e.type == TARFS_FILE || e.type == TARFS_HARDLINK) {
            if ((rc = tarfs_file_from_entry(t, &e, &found)))
                break;
        } else {
            is_other = true;
        }
    }
    if (rc == 1)
        rc = 0;
    if (rc == 0 && is_link) {
        if (depth >= 16)
            rc = -OS_EINVAL; /* a chain of links this long is not an archive tar writes */
        else
            rc = lookup_before(t, target.p, link_at, depth + 1, &found);
    }
    sbuf_free(t->os, &target);
    if (rc == 0 && !found)
        rc = is_dir ? -OS_EISDIR : is_other ? -OS_EINVAL : -OS_ENOENT;
    *out = found;
    return rc;
}

int tarfs_lookup(struct tarfs *t, const char *path, struct tarfs_file **out)
{
    return lookup_before(t, path, ~(uint64_t)0, 0, out);
}
