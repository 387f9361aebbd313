/*
 * tarfs.c — tar archive reader.  See tarfs.h for what it promises, and
 * tarfs_impl.h for the files that hold each format concern.
 *
 * Shape: tarfs_next() reads one header block at a time.  Meta members
 * (GNU 'L'/'K', pax 'x'/'g') only accumulate state for the member that
 * follows; the first ordinary header consumes that state and is reported.
 * Every length taken from the archive is checked against the device size
 * before anything is read or allocated, and the position always moves
 * forward by at least one block, so hostile input ends in an error, never
 * in a loop or an out-of-bounds read.
 */
#include "tarfs_impl.h"

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

int tarfs_fail(struct tarfs *t, uint64_t off, int code, const char *fmt, ...)
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

int tarfs_sbuf_set(struct os *os, struct sbuf *s, const char *data, size_t len)
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

void tarfs_sbuf_free(struct os *os, struct sbuf *s)
{
    os_free(os, s->p);
    s->p = NULL;
    s->len = s->cap = 0;
}

int tarfs_dev_read(struct tarfs *t, uint64_t off, void *buf, size_t len)
{
    /* Callers check ranges; this is the last line of defence. */
    if (off > t->dev.size_bytes || len > t->dev.size_bytes - off)
        return tarfs_fail(t, off, -OS_EIO, "read of %zu bytes past the end of the device", len);
    int rc = t->dev.read(t->dev.ctx, off, buf, len);
    if (rc < 0)
        return tarfs_fail(t, off, rc, "device read of %zu bytes failed (error %d)", len, rc);
    return 0;
}

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
    tarfs_pax_clear(&t->local);
    t->has_longname = t->has_longlink = false;
    t->meta_pending = false;
    t->sparse.n = 0;
}

void tarfs_rewind(struct tarfs *t)
{
    reset_member_state(t);
    tarfs_pax_clear(&t->global);
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
    tarfs_pax_free(t->os, &t->global);
    tarfs_pax_free(t->os, &t->local);
    tarfs_sbuf_free(t->os, &t->longname);
    tarfs_sbuf_free(t->os, &t->longlink);
    tarfs_sbuf_free(t->os, &t->name);
    tarfs_sbuf_free(t->os, &t->linkname);
    tarfs_sbuf_free(t->os, &t->scratch);
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

/* Reads a meta member's data (at most META_MAX bytes) into t->scratch. */
static int read_meta(struct tarfs *t, uint64_t data_off, uint64_t size, const char *what)
{
    if (size > META_MAX)
        return tarfs_fail(t, t->pos, -OS_E2BIG, "%s of %llu bytes is larger than %u", what,
                          (unsigned long long)size, META_MAX);
    if (size + 1 > t->scratch.cap) {
        /* sbuf_set with no data just grows the buffer. */
        int rc = tarfs_sbuf_set(t->os, &t->scratch, NULL, 0);
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
            return tarfs_fail(t, t->pos, rc, "out of memory");
    }
    int rc = tarfs_dev_read(t, data_off, t->scratch.p, (size_t)size);
    if (rc)
        return rc;
    t->scratch.p[size] = '\0';
    t->scratch.len = (size_t)size;
    return 0;
}

/* Builds the reported entry from the header in t->hdr and the pending
 * meta state.  *next receives where the following header starts. */
static int build_entry(struct tarfs *t, struct tarfs_entry *e, uint64_t size, uint64_t *next)
{
    char tf = (char)t->hdr[H_TYPE];
    int rc;

    os_memset(e, 0, sizeof *e);
    e->typeflag = tf;
    e->header_offset = t->pos;
    if ((rc = tarfs_header_fields(t, e)))
        return rc;

    uint64_t data_off = t->pos + BLOCK;
    e->size = size;
    /* POSIX stores no data after a directory header, whatever its size
     * says; GNU tar lists the size and reads the next header right after
     * (its dumpdir 'D' does carry data). */
    e->stored_size = tf == '5' ? 0 : size;

    bool sparse = tarfs_sparse_member(t);
    if ((rc = tarfs_sparse_layout(t, e, size, &data_off)))
        return rc;
    if (data_off > t->dev.size_bytes || e->stored_size > t->dev.size_bytes - data_off)
        return tarfs_fail(
            t, t->pos, -OS_EBADMSG,
            "truncated data: member needs %llu bytes, the device has %llu left",
            (unsigned long long)e->stored_size,
            (unsigned long long)(data_off <= t->dev.size_bytes ? t->dev.size_bytes - data_off : 0));
    if (sparse && (rc = tarfs_sparse_attach(t, e)))
        return rc;
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
        /* Not even one header: GNU tar says the same of an empty device. */
        if (t->pos == 0 && left < BLOCK)
            return tarfs_fail(t, 0, -OS_EBADMSG,
                              "does not look like a tar archive (%llu bytes, less than a header)",
                              (unsigned long long)left);
        if (left < BLOCK) {
            /* The device ends here (a last padding block may be missing).
             * A partial block counts as the end only if it is blank. */
            uint8_t tail[BLOCK];
            if (left && (rc = tarfs_dev_read(t, t->pos, tail, (size_t)left)))
                return rc;
            if (left && !tarfs_all_zero(tail, (size_t)left))
                return tarfs_fail(t, t->pos, -OS_EBADMSG,
                                  "truncated header: %llu bytes left on the device",
                                  (unsigned long long)left);
            if (t->meta_pending)
                return tarfs_fail(t, t->meta_off, -OS_EBADMSG,
                                  "archive ends after an extended header, before its member");
            t->done = true;
            return 0;
        }
        if ((rc = tarfs_dev_read(t, t->pos, t->hdr, BLOCK)))
            return rc;
        if (tarfs_all_zero(t->hdr, BLOCK)) {
            if (t->meta_pending)
                return tarfs_fail(t, t->meta_off, -OS_EBADMSG,
                                  "archive ends after an extended header, before its member");
            t->done = true;
            return 0;
        }
        if ((rc = tarfs_verify_checksum(t))) {
            /* A first block that is no header: not an archive at all. */
            if (t->pos == 0)
                return tarfs_fail(t, 0, -OS_EBADMSG,
                                  "does not look like a tar archive (no tar header in the "
                                  "first block)");
            return rc;
        }

        char tf = (char)t->hdr[H_TYPE];
        int64_t sv = 0;
        uint64_t size;
        bool is_meta = tf == 'L' || tf == 'K' || tf == 'x' || tf == 'X' || tf == 'g';
        if (tf == '1')
            size = 0; /* a hard link stores no data; tar ignores its size field */
        else if (!is_meta && t->local.has_size)
            size = t->local.size;
        else if ((rc = tarfs_hdr_num(t, H_SIZE, 12, "size", false, false, &sv)))
            return rc;
        else
            size = (uint64_t)sv;

        uint64_t data_off = t->pos + BLOCK;
        if (is_meta) {
            if (size > t->dev.size_bytes - data_off)
                return tarfs_fail(
                    t, t->pos, -OS_EBADMSG,
                    "truncated data: member needs %llu bytes, the device has %llu left",
                    (unsigned long long)size, (unsigned long long)(t->dev.size_bytes - data_off));
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
                if ((rc = tarfs_sbuf_set(t->os, dst, t->scratch.p, n)))
                    return tarfs_fail(t, t->pos, rc, "out of memory");
                if (tf == 'L')
                    t->has_longname = true;
                else
                    t->has_longlink = true;
            } else if ((rc = tarfs_pax_parse(t, tf == 'g' ? &t->global : &t->local, tf == 'g',
                                             t->pos, t->scratch.p, t->scratch.len))) {
                return rc;
            }
            t->pos = data_off + round_block(size);
            continue;
        }
        if (tf == 'V') {
            /* A volume label names the archive, not a member. */
            if (size > t->dev.size_bytes - data_off)
                return tarfs_fail(t, t->pos, -OS_EBADMSG,
                                  "truncated data: volume label needs %llu bytes",
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
