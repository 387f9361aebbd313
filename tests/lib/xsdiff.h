/*
 * xsdiff.h — run one sequence of xs_wire requests against a xenstore and
 * write down what came back, so two daemons' answers can be compared byte
 * for byte.
 *
 * Each request is followed by a read of "/" outside any transaction, whose
 * reply proves that every watch event the request caused has arrived; the
 * transcript then has the reply, then those events in sorted order (when
 * an event goes out before or after the reply is not part of the
 * protocol).  The one thing normalised is the generation that opens a
 * DIRECTORY_PART reply: each daemon counts its own (clients only compare
 * it between calls), so it is written as "G".
 */
#ifndef SPLITBED_XSDIFF_H
#define SPLITBED_XSDIFF_H

#include <stddef.h>
#include <stdint.h>

#include <errno.h>
#include <xen/io/xs_wire.h>

/* tx value meaning "the id the last TRANSACTION_START returned". */
#define XSDIFF_TX_LAST 0xffffffffu

struct xsdiff_msg {
    uint32_t type;
    uint32_t tx;
    const char *body;
    size_t len;
};

/* Where requests go: send one message, receive one (0, or -1 when the
 * peer closed the connection or said nothing within the hang guard). */
struct xsdiff_peer {
    int (*send)(void *ctx, const struct xsd_sockmsg *hdr, const void *body);
    int (*recv)(void *ctx, struct xsd_sockmsg *hdr, char *body, size_t size);
    void *ctx;
};

struct xsdiff_log {
    char *text;
    size_t len, cap;
};

/* Runs the sequence and appends its transcript to log (one line per
 * request and per message back; bytes outside printable ASCII escaped).
 * Stops after a closed connection. */
void xsdiff_run(const struct xsdiff_peer *p, const struct xsdiff_msg *m, size_t n,
                struct xsdiff_log *log);
void xsdiff_log_free(struct xsdiff_log *log);
/* The first line where a and b differ, both versions, in out (or "" when
 * they are equal); returns the 1-based line number or 0. */
size_t xsdiff_first_difference(const struct xsdiff_log *a, const struct xsdiff_log *b, char *out,
                               size_t size);

/* A connected stream socket to a xenstore at path, or -1. */
int xsdiff_connect(const char *path);
/* A peer over a connected stream socket (hang guard: 5 s per message). */
struct xsdiff_peer xsdiff_fd_peer(int *fd);

#endif
