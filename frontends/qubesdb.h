/*
 * qubesdb.h — a Qubes VM's QubesDB client: its configuration from dom0
 * (name, IP, DNS, services …) over vchan port 111.
 *
 * As Qubes' own VM daemon and mirage-qubes do: connect as the vchan
 * client of dom0's server (/local/domain/0/data/vchan/SELF/111), ask for
 * everything once (MULTIREAD ""), keep the entries locally until the
 * terminator, then follow dom0: every CMD_WRITE and CMD_RM is applied and
 * answered with RESP_OK.  Reads are local.  Writes and removals go to
 * dom0 too.
 *
 * Event-driven: qubesdb_poll() never blocks; qubesdb_open_sync() is the
 * thin loop that waits for the first sync, logging "[qubes.db]
 * connecting to server..." and "[qubes.db] connected" as the seed's
 * unikernel did.  A dom0 that breaks the protocol (a bad header, a
 * second dump, a type that has no place on the link) gets one line and
 * is cut off; the client then reports the error and keeps what it has.
 */
#ifndef SPLITBED_QUBESDB_H
#define SPLITBED_QUBESDB_H

#include <stdbool.h>
#include <stddef.h>

#include "os.h"

struct qubesdb;

enum qubesdb_phase {
    QUBESDB_CONNECTING, /* waiting for dom0's vchan */
    QUBESDB_SYNCING,    /* MULTIREAD sent, entries arriving */
    QUBESDB_SYNCED,     /* the whole database is here; following dom0 */
    QUBESDB_CLOSED,     /* dom0 went away; what we had stays readable */
};

/* Starts connecting to the QubesDB of domain `server` (dom0: 0). */
int qubesdb_open(struct os *os, domid_t server, struct qubesdb **out);
/* Drives the client: the phase (>= 0), or the error once cut off. */
int qubesdb_poll(struct qubesdb *db);
enum qubesdb_phase qubesdb_phase(const struct qubesdb *db);
/* Waits until synced (the log lines above); 0 or a negative error. */
int qubesdb_open_sync(struct os *os, domid_t server, uint64_t deadline_ns, struct qubesdb **out);
void qubesdb_close(struct qubesdb *db);

/* The value of path (NUL-terminated) or NULL. */
const char *qubesdb_read(struct qubesdb *db, const char *path);
/* Calls fn for every entry whose path starts with prefix ("" = all), in
 * ascending order, with its value (multiread) — or use only the path
 * (list).  Returns the number of entries. */
size_t qubesdb_multiread(struct qubesdb *db, const char *prefix,
                         void (*fn)(void *ctx, const char *path, const char *value), void *ctx);
/* Writes/removes locally and in dom0 (removal of a path ending in '/'
 * removes the subtree).  -OS_EINVAL for a path or value QubesDB refuses,
 * -OS_ENOENT for an rm that matches nothing. */
int qubesdb_write(struct qubesdb *db, const char *path, const char *value);
int qubesdb_rm(struct qubesdb *db, const char *path);
/* fn is called with the path of every entry written or removed at path
 * (or under it, when it ends with '/'), by dom0 or by us. */
int qubesdb_watch(struct qubesdb *db, const char *path, void (*fn)(void *ctx, const char *path),
                  void *ctx);

#endif
