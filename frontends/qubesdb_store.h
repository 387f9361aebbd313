/*
 * qubesdb_store.h — QubesDB's key/value tree as a sorted table: what the
 * VM's client keeps locally and what dom0's daemon serves.  Paths and
 * values are checked by the caller (qubesdb_proto.h); the store copies
 * them.
 */
#ifndef SPLITBED_QUBESDB_STORE_H
#define SPLITBED_QUBESDB_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "os.h"

#define QDB_STORE_MAX 16384u /* entries */

struct qdb_store;

struct qdb_store *qdb_store_new(struct os *os);
void qdb_store_free(struct qdb_store *s);
/* Adds or replaces; -OS_ENOMEM, -OS_ENOSPC past QDB_STORE_MAX entries. */
int qdb_store_write(struct qdb_store *s, const char *path, const char *value, size_t len);
/* Removes path, or every entry under it when it ends with '/'; returns
 * how many entries went. */
unsigned qdb_store_rm(struct qdb_store *s, const char *path);
/* The value (NUL-terminated; *len its length if len) or NULL. */
const char *qdb_store_read(const struct qdb_store *s, const char *path, size_t *len);
/* Entries in ascending strcmp order of path. */
size_t qdb_store_count(const struct qdb_store *s);
const char *qdb_store_path(const struct qdb_store *s, size_t i);
const char *qdb_store_value(const struct qdb_store *s, size_t i, size_t *len);
/* Index of the first entry whose path is >= prefix. */
size_t qdb_store_lower_bound(const struct qdb_store *s, const char *prefix);
bool qdb_has_prefix(const char *path, const char *prefix);

#endif
