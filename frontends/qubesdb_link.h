/*
 * qubesdb_link.h — QubesDB messages over a vchan: whole messages out of
 * the byte stream, and a queue for what the ring cannot take yet.  Both
 * ends use it: the VM's client (qubesdb.h) and dom0's daemon.
 */
#ifndef SPLITBED_QUBESDB_LINK_H
#define SPLITBED_QUBESDB_LINK_H

#include "os.h"
#include "qubesdb_proto.h"
#include "vchan.h"

struct qdb_link {
    struct os *os;
    struct vchan *v;
    const char *tag; /* log tag, e.g. "[qubes.db]" */
    uint8_t rx[QDB_HDR_SIZE + QDB_VALUE_LIMIT];
    size_t rxlen, consumed;
    struct vchan_txq tx;
    char diag[200];
};

void qdb_link_init(struct qdb_link *l, struct os *os, struct vchan *v, const char *tag);
/* Frees the queue (not the vchan). */
void qdb_link_reset(struct qdb_link *l);
/* Queues one message and sends what the ring takes; -OS_ENOMEM past
 * 1 MiB queued, or the vchan's error. */
int qdb_link_send(struct qdb_link *l, uint8_t type, const char *path, const void *value,
                  size_t len);
int qdb_link_flush(struct qdb_link *l);
/* The next whole message: 1 (h filled, *value points at h->data_len
 * bytes, NUL-terminated, valid until the next call), 0 if none yet, or
 * a negative error: the vchan's, or -OS_EPROTO for a message that breaks
 * the protocol (one line logged naming the peer and the fault). */
int qdb_link_next(struct qdb_link *l, struct qdb_hdr *h, const char **value);

#endif
