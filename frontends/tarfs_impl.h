/*
 * tarfs_impl.h — what the files of the tar reader share: the reader's
 * state, the header layout and the helpers each concern offers the
 * others.  Private to tarfs; users include tarfs.h.
 *
 *   tarfs.c          the reader: open, tarfs_next(), meta members, errors
 *   tarfs_header.c   the header block: numbers, checksum, names, type
 *   tarfs_pax.c      pax records
 *   tarfs_sparse.c   GNU sparse maps (old, 0.0, 0.1, 1.0)
 *   tarfs_member.c   reading an open member
 *   tarfs_lookup.c   finding a member by name
 */
#ifndef SPLITBED_TARFS_IMPL_H
#define SPLITBED_TARFS_IMPL_H

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

static inline size_t field_len(const uint8_t *f, size_t n)
{
    size_t i = 0;
    while (i < n && f[i])
        i++;
    return i;
}

static inline uint64_t round_block(uint64_t n)
{
    return (n + BLOCK - 1) & ~(uint64_t)(BLOCK - 1);
}

/* tarfs.c.  tarfs_fail() records the error "offset OFF: ..." and returns
 * code; the rest return 0 or a negative OS_E* value. */
int tarfs_fail(struct tarfs *t, uint64_t off, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int tarfs_sbuf_set(struct os *os, struct sbuf *s, const char *data, size_t len);
void tarfs_sbuf_free(struct os *os, struct sbuf *s);
/* Reads [off, off+len) of the device; an error is recorded. */
int tarfs_dev_read(struct tarfs *t, uint64_t off, void *buf, size_t len);

/* tarfs_header.c.  tarfs_parse_num() returns NULL and the value, or what
 * is wrong with the field; tarfs_hdr_num() reads field of t->hdr and
 * records an error naming `what`. */
const char *tarfs_parse_num(const uint8_t *f, size_t n, int64_t *out);
int tarfs_hdr_num(struct tarfs *t, size_t field, size_t n, const char *what, bool allow_negative,
                  bool allow_empty, int64_t *out);
bool tarfs_all_zero(const uint8_t *b, size_t n);
int tarfs_verify_checksum(struct tarfs *t);
/* Fills e's type, mode, ids, mtime and device numbers, and t->name and
 * t->linkname, from t->hdr and the pending meta state. */
int tarfs_header_fields(struct tarfs *t, struct tarfs_entry *e);

/* tarfs_pax.c. */
bool tarfs_parse_dec(const char *s, size_t n, uint64_t *out);
/* Applies the records of a pax member's data to p; off is the member's
 * header offset, for errors. */
int tarfs_pax_parse(struct tarfs *t, struct pax *p, bool global, uint64_t off, const char *d,
                    size_t n);
void tarfs_pax_clear(struct pax *p);
void tarfs_pax_free(struct os *os, struct pax *p);

/* tarfs_sparse.c. */
int tarfs_chunks_push(struct os *os, struct chunks *c, uint64_t off, uint64_t len);
/* "o,n,o,n,..." of GNU.sparse.map into t->sparse. */
int tarfs_sparse_map_text(struct tarfs *t, uint64_t off, const char *v, size_t n);
/* Whether the member of t->hdr, with its pending records, is sparse. */
bool tarfs_sparse_member(const struct tarfs *t);
/* Reads the member's sparse map into t->sparse (or empties it when the
 * member is not sparse) and sets e->size to the real size; a map stored
 * ahead of the data moves *data_off and shrinks e->stored_size. */
int tarfs_sparse_layout(struct tarfs *t, struct tarfs_entry *e, uint64_t size, uint64_t *data_off);
/* Checks t->sparse against e's sizes and hands it to e. */
int tarfs_sparse_attach(struct tarfs *t, struct tarfs_entry *e);

#endif
