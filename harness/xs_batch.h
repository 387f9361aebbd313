/*
 * xs_batch.h — a transaction's xenstore requests sent back to back.
 *
 * Writing a domain's or a device's nodes is a few dozen requests in one
 * transaction.  Through libxenstore each is a round trip (and a hand-off
 * to its reader thread); here the requests of a transaction go out in
 * one write on a connection of their own and the replies are read after,
 * in order, as the wire protocol allows: a transaction costs three round
 * trips (start, the batch, end) whatever its size.
 *
 * Requests are queued with xs_batch_*() and sent by xs_batch_send(),
 * which reports the first request that failed, naming its path.
 */
#ifndef SPLITBED_XS_BATCH_H
#define SPLITBED_XS_BATCH_H

#include <stdbool.h>
#include <stdint.h>

struct xs_batch;

/* Connects to xenstored's socket.  NULL with errno set. */
struct xs_batch *xs_batch_open(const char *socket_path);
void xs_batch_close(struct xs_batch *b);

/* Starts a transaction; later requests belong to it.  0 or -errno. */
int xs_batch_start(struct xs_batch *b);
/* Ends the transaction (commit, or abort when abort is true): 0,
 * -EAGAIN when the commit conflicted (start again), or -errno. */
int xs_batch_end(struct xs_batch *b, bool abort);

/* Queued requests.  A perms string is xenstore's: "n0", "r1"… */
void xs_batch_write(struct xs_batch *b, const char *path, const char *value);
void xs_batch_mkdir(struct xs_batch *b, const char *path);
void xs_batch_perms(struct xs_batch *b, const char *path, const char *const *perms, unsigned n);
/* A directory listing whose outcome xs_batch_found() tells after the send. */
void xs_batch_probe(struct xs_batch *b, const char *path);

/* Sends what is queued and reads every reply.  0, or -errno of the first
 * request that failed (a probe's ENOENT is no failure), with its path in
 * xs_batch_failed_path(). */
int xs_batch_send(struct xs_batch *b);
const char *xs_batch_failed_path(const struct xs_batch *b);
/* After a send: whether the i-th probe (from 0) of that send found its node. */
bool xs_batch_found(const struct xs_batch *b, unsigned i);

#endif
