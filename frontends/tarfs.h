/*
 * tarfs.h — a read-only tar archive reader over a byte-addressed device.
 *
 * What it promises:
 *  - Formats: v7, ustar (with prefix), GNU/oldgnu (L/K long names, old
 *    sparse 'S' with extension blocks), pax ('x', 'g', Solaris 'X'; keys
 *    path, linkpath, size, mtime, uid, gid and the GNU sparse keys of
 *    versions 0.0, 0.1 and 1.0), base-256 numbers.
 *  - The archive ends at a zero block (one or two), or exactly at the end
 *    of the device.  Anything else that does not parse is an error with
 *    the byte offset of the damaged header and one line of text; entries
 *    before that point have already been returned.
 *  - It never assumes alignment: every read it issues is an arbitrary
 *    (offset, length) pair, so the device adapter decides how to satisfy
 *    it.  It never reads outside [0, size_bytes) and never loops without
 *    advancing.
 *  - Names are reported exactly as the archive spells them (absolute
 *    paths and ".." included); nothing is resolved against a filesystem.
 *  - As GNU tar does: unknown type flags are regular files, a volume
 *    label ('V') is not a member, a '0'/NUL member whose name ends in '/'
 *    is a directory, and checksums summed over signed chars
 *    are accepted.
 *  - Limits, each an error naming the offset when exceeded: a long name
 *    or pax header of more than 1 MiB, a sparse map of more than 65536
 *    stretches.
 *
 * Portable: includes only os.h.  Not thread-safe; one reader per archive.
 */
#ifndef SPLITBED_TARFS_H
#define SPLITBED_TARFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os.h"

/* The archive's storage.  read() fills buf with len bytes starting at
 * byte offset; tarfs only asks for ranges inside [0, size_bytes).
 * Returns 0 or a negative OS_E* value. */
struct tarfs_dev {
    void *ctx;
    uint64_t size_bytes;
    int (*read)(void *ctx, uint64_t offset, void *buf, size_t len);
};

enum tarfs_type {
    TARFS_FILE,
    TARFS_DIR,
    TARFS_SYMLINK,
    TARFS_HARDLINK,
    TARFS_CHARDEV,
    TARFS_BLOCKDEV,
    TARFS_FIFO,
};

/* "file", "dir", "symlink", "hardlink", "chardev", "blockdev", "fifo". */
const char *tarfs_type_name(enum tarfs_type type);

/* One stretch of real data in a sparse member: `length` bytes of the
 * member starting at `offset` are stored at `stored` bytes after the
 * member's data_offset.  Everything between stretches reads as zeros. */
struct tarfs_chunk {
    uint64_t offset, length, stored;
};

/* One archive member, as tarfs_next() reports it.  The strings and the
 * sparse map belong to the reader and stay valid until the next call
 * of tarfs_next(), tarfs_rewind() or tarfs_close(). */
struct tarfs_entry {
    enum tarfs_type type;
    char typeflag; /* the raw header byte */
    const char *name;
    const char *linkname;   /* "" unless a link */
    uint64_t size;          /* bytes a reader of the member sees */
    uint64_t header_offset; /* the member's own header block */
    uint64_t data_offset;   /* first stored byte of the member */
    uint64_t stored_size;   /* bytes stored from data_offset */
    uint32_t mode;
    uint64_t uid, gid;
    int64_t mtime;
    uint32_t devmajor, devminor;
    const struct tarfs_chunk *sparse; /* NULL unless sparse */
    size_t nsparse;
};

struct tarfs;

/* A reader positioned at the start of the archive; NULL when out of
 * memory.  `dev` is copied. */
struct tarfs *tarfs_open(struct os *os, const struct tarfs_dev *dev);
void tarfs_close(struct tarfs *t);
/* Back to the first member; clears any error. */
void tarfs_rewind(struct tarfs *t);

/* Reads the next member: 1 with *out filled, 0 at the clean end of the
 * archive, negative OS_E* on damage (tarfs_error() says what and where;
 * later calls return the same error). */
int tarfs_next(struct tarfs *t, struct tarfs_entry *out);

/* The last error as one line, "offset N: problem", or "" if none. */
const char *tarfs_error(const struct tarfs *t);
/* Byte offset the last error refers to. */
uint64_t tarfs_error_offset(const struct tarfs *t);

/* ---- reading members ---------------------------------------------------- */

/* An open member; owns a copy of what it needs (sparse map included). */
struct tarfs_file;

/* Finds the member called `path` the way tar extraction does: the whole
 * archive is scanned and the last member of that name wins; a hard link
 * is followed to the member it names.  Returns
 *   0             found, archive read to its end without damage;
 *   -OS_ENOENT    no such member (archive undamaged);
 *   -OS_EISDIR, -OS_EINVAL  the member is a directory / not readable data
 *                 (symlink, device, fifo); *out is NULL;
 *   other <0      the archive is damaged (tarfs_error()); *out is still
 *                 set if a match was found before the damage.
 * Trailing slashes are ignored when matching. */
int tarfs_lookup(struct tarfs *t, const char *path, struct tarfs_file **out);

/* Opens the member described by `e` (from tarfs_next) without a scan. */
int tarfs_file_from_entry(struct tarfs *t, const struct tarfs_entry *e, struct tarfs_file **out);

uint64_t tarfs_file_size(const struct tarfs_file *f);
/* Copies up to len bytes of the member starting at `offset` into buf;
 * holes of sparse members read as zeros.  Returns bytes copied (0 at or
 * past the end) or a negative OS_E* from the device. */
long tarfs_file_read(struct tarfs_file *f, uint64_t offset, void *buf, size_t len);
/* Where the member's bytes from `offset` on live: returns how many bytes
 * from there are stored contiguously at device byte *dev_offset, or are
 * a hole (*dev_offset = TARFS_HOLE: they read as zeros); 0 at or past the
 * end.  Lets a reader stream a member straight from device buffers. */
#define TARFS_HOLE (~(uint64_t)0)
uint64_t tarfs_file_extent(const struct tarfs_file *f, uint64_t offset, uint64_t *dev_offset);
void tarfs_file_close(struct tarfs_file *f);

#endif
