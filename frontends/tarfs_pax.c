/*
 * tarfs_pax.c — pax extended headers ('x', 'g', Solaris 'X'): records
 * "LEN key=value\n" and the keys the reader uses, GNU sparse keys
 * included.
 */
#include "tarfs_impl.h"

/* Decimal text of exactly `n` bytes, as pax and sparse maps use. */
bool tarfs_parse_dec(const char *s, size_t n, uint64_t *out)
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
    if (!tarfs_parse_dec(s + i, end - i, &v))
        return false;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

static bool key_is(const char *k, size_t klen, const char *want)
{
    size_t n = os_strlen(want);
    return klen == n && os_memcmp(k, want, n) == 0;
}

static int bad_pax_value(struct tarfs *t, uint64_t off, const char *k, size_t klen)
{
    char key[48]; /* os_snprintf has no %.*s */
    size_t n = klen < sizeof key - 1 ? klen : sizeof key - 1;
    os_memcpy(key, k, n);
    key[n] = '\0';
    return tarfs_fail(t, off, -OS_EBADMSG, "bad pax value for %s", key);
}

/* One "key=value" record.  Sparse keys only mean something in 'x'. */
static int pax_apply(struct tarfs *t, struct pax *p, bool global, uint64_t off, const char *k,
                     size_t klen, const char *v, size_t vlen)
{
    uint64_t u;
    int rc;
#define BAD_VALUE() bad_pax_value(t, off, k, klen)
    if (key_is(k, klen, "path")) {
        if ((rc = tarfs_sbuf_set(t->os, &p->path, v, vlen)))
            return tarfs_fail(t, off, rc, "out of memory");
        p->has_path = vlen != 0;
    } else if (key_is(k, klen, "linkpath")) {
        if ((rc = tarfs_sbuf_set(t->os, &p->linkpath, v, vlen)))
            return tarfs_fail(t, off, rc, "out of memory");
        p->has_linkpath = vlen != 0;
    } else if (key_is(k, klen, "size")) {
        if (!vlen) {
            p->has_size = false;
            return 0;
        }
        if (!tarfs_parse_dec(v, vlen, &p->size))
            return BAD_VALUE();
        p->has_size = true;
    } else if (key_is(k, klen, "uid") || key_is(k, klen, "gid")) {
        if (!vlen)
            return 0;
        if (!tarfs_parse_dec(v, vlen, &u))
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
        if ((rc = tarfs_sbuf_set(t->os, &p->sparse_name, v, vlen)))
            return tarfs_fail(t, off, rc, "out of memory");
        p->has_sparse_name = true;
    } else if (key_is(k, klen, "GNU.sparse.size") || key_is(k, klen, "GNU.sparse.realsize")) {
        if (!tarfs_parse_dec(v, vlen, &p->realsize))
            return BAD_VALUE();
        p->has_realsize = true;
    } else if (key_is(k, klen, "GNU.sparse.major")) {
        if (!tarfs_parse_dec(v, vlen, &p->major))
            return BAD_VALUE();
        p->has_major = true;
    } else if (key_is(k, klen, "GNU.sparse.minor")) {
        if (!tarfs_parse_dec(v, vlen, &u))
            return BAD_VALUE();
    } else if (key_is(k, klen, "GNU.sparse.numblocks")) {
        if (!tarfs_parse_dec(v, vlen, &p->numblocks))
            return BAD_VALUE();
        if (p->numblocks > SPARSE_MAX)
            return tarfs_fail(t, off, -OS_E2BIG, "sparse map has more than %u entries", SPARSE_MAX);
        p->has_numblocks = true;
    } else if (key_is(k, klen, "GNU.sparse.offset")) {
        /* Format 0.0: offset/numbytes pairs, repeated, in order. */
        if (p->pending_offset || !tarfs_parse_dec(v, vlen, &p->pend_off))
            return BAD_VALUE();
        p->pending_offset = true;
        p->sparse_seen = true;
    } else if (key_is(k, klen, "GNU.sparse.numbytes")) {
        if (!p->pending_offset || !tarfs_parse_dec(v, vlen, &u))
            return BAD_VALUE();
        p->pending_offset = false;
        rc = tarfs_chunks_push(t->os, &t->sparse, p->pend_off, u);
        if (rc == -OS_E2BIG)
            return tarfs_fail(t, off, rc, "sparse map has more than %u entries", SPARSE_MAX);
        if (rc)
            return tarfs_fail(t, off, rc, "out of memory");
    } else if (key_is(k, klen, "GNU.sparse.map")) {
        t->sparse.n = 0;
        p->sparse_seen = true;
        return tarfs_sparse_map_text(t, off, v, vlen);
    }
    return 0;
#undef BAD_VALUE
}

/* Parses a pax member's data: records "LEN key=value\n", LEN counting the
 * whole record.  `off` is the member's header offset, for errors. */
int tarfs_pax_parse(struct tarfs *t, struct pax *p, bool global, uint64_t off, const char *d,
                    size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (d[i] == '\0') {
            /* Some writers pad with NULs; nothing may follow them. */
            for (size_t j = i; j < n; j++)
                if (d[j])
                    return tarfs_fail(t, off, -OS_EBADMSG, "pax header has data after NUL padding");
            break;
        }
        size_t j = i;
        uint64_t len = 0;
        while (j < n && d[j] >= '0' && d[j] <= '9' && j - i < 19) {
            len = len * 10 + (uint64_t)(d[j] - '0');
            j++;
        }
        if (j == i || j >= n || d[j] != ' ')
            return tarfs_fail(t, off, -OS_EBADMSG,
                              "bad pax record length at byte %zu of the pax header", i);
        if (len < (j - i) + 4 || len > n - i)
            return tarfs_fail(t, off, -OS_EBADMSG,
                              "pax record at byte %zu has impossible length %llu", i,
                              (unsigned long long)len);
        size_t end = i + (size_t)len; /* one past the newline */
        if (d[end - 1] != '\n')
            return tarfs_fail(t, off, -OS_EBADMSG,
                              "pax record at byte %zu does not end in a newline", i);
        const char *k = d + j + 1;
        size_t rest = end - 1 - (j + 1);
        size_t klen = 0;
        while (klen < rest && k[klen] != '=')
            klen++;
        if (klen == 0 || klen == rest)
            return tarfs_fail(t, off, -OS_EBADMSG, "pax record at byte %zu is not key=value", i);
        int rc = pax_apply(t, p, global, off, k, klen, k + klen + 1, rest - klen - 1);
        if (rc)
            return rc;
        i = end;
    }
    if (p->pending_offset)
        return tarfs_fail(t, off, -OS_EBADMSG, "GNU.sparse.offset without GNU.sparse.numbytes");
    return 0;
}

void tarfs_pax_clear(struct pax *p)
{
    /* Keep the buffers, forget the values. */
    struct sbuf a = p->path, b = p->linkpath, c = p->sparse_name;
    os_memset(p, 0, sizeof *p);
    p->path = a;
    p->linkpath = b;
    p->sparse_name = c;
}

void tarfs_pax_free(struct os *os, struct pax *p)
{
    tarfs_sbuf_free(os, &p->path);
    tarfs_sbuf_free(os, &p->linkpath);
    tarfs_sbuf_free(os, &p->sparse_name);
}
