/*
 * xsc_client.h — an in-process xenstore client over xsc_core, for unit
 * tests, fuzzing and the in-process host: the same messages a socket
 * client sends, answered synchronously, with watch events queued.
 */
#ifndef SPLITBED_XSC_CLIENT_H
#define SPLITBED_XSC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends-sim/xenstored/xsc_core.h"

struct xsc_client;

struct xsc_reply {
    struct xsd_sockmsg hdr;
    char body[XENSTORE_PAYLOAD_MAX + 1]; /* NUL after hdr.len bytes */
};

/* A connection belonging to domid; NULL when out of memory. */
struct xsc_client *xsc_client_open(struct xsc_core *c, unsigned domid);
void xsc_client_close(struct xsc_client *cl);

/*
 * Sends one message (hdr->len body bytes) and stores the reply.  Returns
 * 0, or -1 when the core closed the connection (no reply then).
 */
int xsc_client_raw(struct xsc_client *cl, const struct xsd_sockmsg *hdr, const void *body,
                   struct xsc_reply *out);

/*
 * Sends type with the NUL-terminated strings given (NULL ends the list)
 * in transaction tx.  Returns 0 with the reply body in out (may be NULL),
 * the errno of an error reply, or EPIPE when the connection was closed.
 */
int xsc_client_strs(struct xsc_client *cl, uint32_t type, uint32_t tx, struct xsc_reply *out, ...)
    __attribute__((sentinel));

/* Common requests: 0 or the errno xenstore answered. */
int xsc_client_write(struct xsc_client *cl, uint32_t tx, const char *path, const char *value);
/* value is copied into buf (NUL-terminated, truncated to size). */
int xsc_client_read(struct xsc_client *cl, uint32_t tx, const char *path, char *buf, size_t size);
int xsc_client_tx_start(struct xsc_client *cl, uint32_t *tx);
int xsc_client_tx_end(struct xsc_client *cl, uint32_t tx, bool commit);

/* Takes the oldest queued watch event; false when there is none. */
bool xsc_client_event(struct xsc_client *cl, char *path, size_t psize, char *token, size_t tsize);
unsigned xsc_client_events(const struct xsc_client *cl);
/* Watches this connection has set and not removed. */
unsigned xsc_client_watches(const struct xsc_client *cl);

#endif
