/*
 * xs_client.h — an in-process xenstore client over xs_core, for unit
 * tests, fuzzing and the in-process host: the same messages a socket
 * client sends, answered synchronously, with watch events queued.
 */
#ifndef SPLITBED_XS_CLIENT_H
#define SPLITBED_XS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends-sim/xenstored/xs_core.h"

struct xs_client;

struct xs_reply {
    struct xsd_sockmsg hdr;
    char body[XENSTORE_PAYLOAD_MAX + 1]; /* NUL after hdr.len bytes */
};

/* A connection belonging to domid; NULL when out of memory. */
struct xs_client *xs_client_open(struct xs_core *c, unsigned domid);
void xs_client_close(struct xs_client *cl);

/*
 * Sends one message (hdr->len body bytes) and stores the reply.  Returns
 * 0, or -1 when the core closed the connection (no reply then).
 */
int xs_client_raw(struct xs_client *cl, const struct xsd_sockmsg *hdr, const void *body,
                  struct xs_reply *out);

/*
 * Sends type with the NUL-terminated strings given (NULL ends the list)
 * in transaction tx.  Returns 0 with the reply body in out (may be NULL),
 * the errno of an error reply, or EPIPE when the connection was closed.
 */
int xs_client_strs(struct xs_client *cl, uint32_t type, uint32_t tx, struct xs_reply *out, ...)
    __attribute__((sentinel));

/* Common requests: 0 or the errno xenstore answered. */
int xs_client_write(struct xs_client *cl, uint32_t tx, const char *path, const char *value);
/* value is copied into buf (NUL-terminated, truncated to size). */
int xs_client_read(struct xs_client *cl, uint32_t tx, const char *path, char *buf, size_t size);
int xs_client_tx_start(struct xs_client *cl, uint32_t *tx);
int xs_client_tx_end(struct xs_client *cl, uint32_t tx, bool commit);

/* Takes the oldest queued watch event; false when there is none. */
bool xs_client_event(struct xs_client *cl, char *path, size_t psize, char *token, size_t tsize);
unsigned xs_client_events(const struct xs_client *cl);

#endif
