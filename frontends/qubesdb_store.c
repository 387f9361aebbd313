/* qubesdb_store.c — a sorted array of entries, binary-searched. */
#include "qubesdb_store.h"

struct entry {
    char *path;
    char *value;
    size_t len;
};

struct qdb_store {
    struct os *os;
    struct entry *e;
    size_t n, cap;
};

struct qdb_store *qdb_store_new(struct os *os)
{
    struct qdb_store *s = os_calloc(os, 1, sizeof *s);
    if (s)
        s->os = os;
    return s;
}

static void drop(struct qdb_store *s, size_t i)
{
    os_free(s->os, s->e[i].path);
    os_free(s->os, s->e[i].value);
}

void qdb_store_free(struct qdb_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        drop(s, i);
    os_free(s->os, s->e);
    os_free(s->os, s);
}

size_t qdb_store_lower_bound(const struct qdb_store *s, const char *prefix)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (os_strcmp(s->e[mid].path, prefix) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool qdb_has_prefix(const char *path, const char *prefix)
{
    size_t n = os_strlen(prefix);
    return os_strncmp(path, prefix, n) == 0;
}

static char *dup_bytes(struct os *os, const char *p, size_t len)
{
    char *d = os_malloc(os, len + 1);
    if (d) {
        os_memcpy(d, p, len);
        d[len] = 0;
    }
    return d;
}

int qdb_store_write(struct qdb_store *s, const char *path, const char *value, size_t len)
{
    char *v = dup_bytes(s->os, value, len);
    if (!v)
        return -OS_ENOMEM;
    size_t i = qdb_store_lower_bound(s, path);
    if (i < s->n && os_strcmp(s->e[i].path, path) == 0) {
        os_free(s->os, s->e[i].value);
        s->e[i].value = v;
        s->e[i].len = len;
        return 0;
    }
    if (s->n >= QDB_STORE_MAX) {
        os_free(s->os, v);
        return -OS_ENOSPC;
    }
    char *p = dup_bytes(s->os, path, os_strlen(path));
    if (!p) {
        os_free(s->os, v);
        return -OS_ENOMEM;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        struct entry *e = os_malloc(s->os, cap * sizeof *e);
        if (!e) {
            os_free(s->os, p);
            os_free(s->os, v);
            return -OS_ENOMEM;
        }
        if (s->n)
            os_memcpy(e, s->e, s->n * sizeof *e);
        os_free(s->os, s->e);
        s->e = e;
        s->cap = cap;
    }
    for (size_t k = s->n; k > i; k--)
        s->e[k] = s->e[k - 1];
    s->e[i] = (struct entry){ .path = p, .value = v, .len = len };
    s->n++;
    return 0;
}

unsigned qdb_store_rm(struct qdb_store *s, const char *path)
{
    size_t n = os_strlen(path);
    bool subtree = n && path[n - 1] == '/';
    size_t i = qdb_store_lower_bound(s, path), j = i;
    if (subtree)
        while (j < s->n && qdb_has_prefix(s->e[j].path, path))
            j++;
    else if (j < s->n && os_strcmp(s->e[j].path, path) == 0)
        j++;
    for (size_t k = i; k < j; k++)
        drop(s, k);
    for (size_t k = j; k < s->n; k++)
        s->e[k - (j - i)] = s->e[k];
    s->n -= j - i;
    return (unsigned)(j - i);
}

const char *qdb_store_read(const struct qdb_store *s, const char *path, size_t *len)
{
    size_t i = qdb_store_lower_bound(s, path);
    if (i >= s->n || os_strcmp(s->e[i].path, path) != 0)
        return NULL;
    if (len)
        *len = s->e[i].len;
    return s->e[i].value;
}

size_t qdb_store_count(const struct qdb_store *s)
{
    return s->n;
}

const char *qdb_store_path(const struct qdb_store *s, size_t i)
{
    return s->e[i].path;
}

const char *qdb_store_value(const struct qdb_store *s, size_t i, size_t *len)
{
    if (len)
        *len = s->e[i].len;
    return s->e[i].value;
}
