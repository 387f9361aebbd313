/*
 * vchan.h — a byte stream between two domains over shared rings, in
 * libxenvchan's format (<xen/io/libxenvchan.h>): Qubes' QubesDB, qrexec
 * and GUI channels, and any peer built on Xen's or Qubes' libvchan.
 *
 * The server grants a shared page and the ring pages to one peer domain,
 * allocates an event channel for it, and publishes both under a xenstore
 * directory BASE (`ring-ref`, `event-channel`, readable by the peer only).
 * The client reads them, binds the channel, maps the pages and says it is
 * there.  Qubes' directory for (server S, client C, port P) is
 * /local/domain/S/data/vchan/C/P (vchan_qubes_path()).
 *
 * Ring sizes: the server asks for at least read_min and write_min bytes;
 * a ring of 1024 or 2048 bytes lives inside the shared page, larger ones
 * are 2^k bytes (4 KiB to 1 MiB) in pages of their own, as libxenvchan
 * picks them.
 *
 * Event-driven: nothing here blocks.  vchan_poll() follows the peer (a
 * client connects as soon as the server's keys appear; both ends notice
 * the other closing); vchan_read()/vchan_write() move what the rings
 * allow now and ask the peer for an event when they cannot.  An app
 * waits with os_wait() and calls vchan_poll() after every wake-up.
 *
 * A peer that breaks the protocol — indices moved past the ring, ring
 * orders or grant lists that do not fit the page, a live byte with a
 * value that means nothing — gets one line naming the channel and what
 * it did, and is cut off: the channel goes to VCHAN_BROKEN, our side
 * closes, and every call returns the error.  The peer vanishing (its
 * live byte cleared, by itself or by the unmap notification of a dying
 * process) is VCHAN_CLOSED: what it wrote before can still be read.
 */
#ifndef SPLITBED_VCHAN_H
#define SPLITBED_VCHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os.h"

struct vchan;

enum vchan_state {
    VCHAN_WAITING,   /* server: no client yet; client: no server keys yet */
    VCHAN_CONNECTED, /* both ends live */
    VCHAN_CLOSED,    /* the peer closed or vanished */
    VCHAN_BROKEN,    /* the peer broke the protocol and was cut off */
};

/* Largest ring: 2^20 bytes. */
#define VCHAN_MAX_RING (1u << 20)

/* "/local/domain/S/data/vchan/C/P" into buf. */
int vchan_qubes_path(char *buf, size_t size, domid_t server, domid_t client, unsigned port);

/* Serves `peer` under xenstore directory `base` with rings of at least
 * read_min / write_min bytes (each <= VCHAN_MAX_RING).  0 or a negative
 * error (logged). */
int vchan_server_open(struct os *os, domid_t peer, const char *base, size_t read_min,
                      size_t write_min, struct vchan **out);
/* Connects to the server domain `server` under `base`; the connection
 * completes in vchan_poll() once the server's keys are there. */
int vchan_client_open(struct os *os, domid_t server, const char *base, struct vchan **out);

/* Follows the peer: returns the state (>= 0) or, once broken, the error. */
int vchan_poll(struct vchan *v);
enum vchan_state vchan_state(const struct vchan *v);
int vchan_error(const struct vchan *v);
/* The line logged when the channel broke ("" otherwise). */
const char *vchan_diagnosis(const struct vchan *v);

/* Bytes readable now / bytes writable now (0 while not connected).
 * Less than asked for (anything to read; the whole ring free) asks the
 * peer for an event when that changes, so a loop on them can wait. */
size_t vchan_data_ready(struct vchan *v);
size_t vchan_buffer_space(struct vchan *v);
/* Ring sizes in bytes (0 while a client is not connected yet). */
size_t vchan_read_size(const struct vchan *v);
size_t vchan_write_size(const struct vchan *v);

/* Stream calls: move up to len bytes; 0 when nothing can move now (the
 * peer is asked for an event).  vchan_read() returns -OS_ESHUTDOWN once
 * the peer closed and everything it wrote has been read; vchan_write()
 * -OS_ESHUTDOWN once the peer closed.  A broken channel: its error. */
long vchan_read(struct vchan *v, void *buf, size_t len);
long vchan_write(struct vchan *v, const void *buf, size_t len);
/* Packet calls: all len bytes or none (0), like libvchan_send/recv.
 * len larger than the ring is -OS_EMSGSIZE-like -OS_E2BIG. */
long vchan_send(struct vchan *v, const void *buf, size_t len);
long vchan_recv(struct vchan *v, void *buf, size_t len);

/* Says goodbye to the peer (live byte 0 + event), ends every grant,
 * mapping and port, removes the server's xenstore keys, frees v. */
void vchan_close(struct vchan *v);

/* A send queue over a vchan, for message protocols whose messages may
 * not fit in the ring at once (QubesDB, qrexec): messages are appended
 * whole and leave in order as the ring takes them. */
struct vchan_txq {
    uint8_t *buf;
    size_t len, cap;
};

/* Room for n more bytes at the end of the queue, to be filled by the
 * caller and then committed with vchan_txq_commit(); NULL when the queue
 * would pass limit bytes or memory is short. */
uint8_t *vchan_txq_reserve(struct os *os, struct vchan_txq *q, size_t n, size_t limit);
void vchan_txq_commit(struct vchan_txq *q, size_t n);
/* Writes what the ring takes now; 0, or the channel's error. */
int vchan_txq_flush(struct vchan_txq *q, struct vchan *v);
void vchan_txq_free(struct os *os, struct vchan_txq *q);

/* Synchronous helper: waits (os_wait) until the channel leaves
 * VCHAN_WAITING or the deadline (monotonic ns, 0 = none) passes.
 * Returns the state, -OS_ETIMEDOUT, or the channel's error. */
int vchan_wait_connected(struct vchan *v, uint64_t deadline_ns);

#endif
