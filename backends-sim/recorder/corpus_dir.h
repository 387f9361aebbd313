/*
 * corpus_dir.h — a folder of fuzz corpus entries that a backend fills
 * with the requests it served, as libFuzzer keeps a corpus: one input per
 * file, named by its content, so the same input recorded twice (by two
 * runs, or two processes at once) is one file.
 *
 * Bounded: at most `max` entries in the folder (counting those already
 * there when it was opened), each written whole (a temporary name, then
 * rename) so a reader never sees half an entry.  Which requests are worth
 * an entry is the caller's choice: corpus_dir_seen() remembers keys (a
 * request's shape) so that one entry is kept per shape.
 *
 * A write that fails stops the recording for good: corpus_dir_add()
 * returns the error once, then every later call is a no-op, so a full
 * disk costs a backend one line, not its service.
 */
#ifndef SPLITBED_RECORDER_CORPUS_DIR_H
#define SPLITBED_RECORDER_CORPUS_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CORPUS_DIR_MAX_ENTRIES 100000u

struct corpus_dir;

/* Opens ROOT/NAME for entries, creating both folders as needed.  max is
 * 1..CORPUS_DIR_MAX_ENTRIES.  NULL with one line in err (naming the
 * folder and what is wrong) on failure. */
struct corpus_dir *corpus_dir_open(const char *root, const char *name, unsigned max, char *err,
                                   size_t errlen);
void corpus_dir_close(struct corpus_dir *d);

/* Whether key was passed here before; remembers it.  True once the
 * folder is full or recording stopped, so callers skip building entries. */
bool corpus_dir_seen(struct corpus_dir *d, uint64_t key);

/* Writes one entry named by the hash of its bytes.  1 written, 0 not
 * (already there, the folder is full, or recording stopped), -errno
 * when the write failed, with one line in err; recording then stops. */
int corpus_dir_add(struct corpus_dir *d, const void *data, size_t len, char *err, size_t errlen);

/* Entries in the folder as far as this process knows. */
unsigned corpus_dir_count(const struct corpus_dir *d);
const char *corpus_dir_path(const struct corpus_dir *d);

/* 64-bit FNV-1a of len bytes, continuing from h (start with
 * CORPUS_HASH_INIT): the entry names and the callers' shape keys. */
#define CORPUS_HASH_INIT 0xcbf29ce484222325ull
uint64_t corpus_hash(uint64_t h, const void *data, size_t len);

#endif
