/*
 * packet.h — one packet of the hvd protocol (wire.h) with its file
 * descriptors, over a SOCK_SEQPACKET socket.  Used by the daemon and by
 * every client.
 */
#ifndef SPLITBED_HVW_PACKET_H
#define SPLITBED_HVW_PACKET_H

#include <stddef.h>
#include <sys/types.h>

/* Sends head+body as one packet with nfds descriptors.  0 or -errno. */
int hvw_send(int sock, const void *head, size_t hlen, const void *body, size_t blen, const int *fds,
             unsigned nfds);

/* Receives one packet into buf.  Returns its length (0 on EOF) or -errno;
 * -EMSGSIZE if it did not fit buf or carried more than *nfds descriptors
 * (the extra ones are closed).  *nfds becomes the count received; they
 * are close-on-exec. */
ssize_t hvw_recv(int sock, void *buf, size_t size, int *fds, unsigned *nfds);

/* One request/reply exchange: sends op with body, waits for the reply.
 * Returns the reply's payload length (copied to rep, at most repmax) or
 * -errno: the daemon's error, or a transport error (-ECONNRESET when the
 * daemon is gone, -EPROTO for a malformed reply).  Descriptors the reply
 * carries land in fds (*nfds in: room, out: count); with fds NULL they
 * are closed. */
ssize_t hvw_call(int sock, unsigned op, const void *body, size_t blen, void *rep, size_t repmax,
                 int *fds, unsigned *nfds);

/* Connects to a domain socket.  Returns the socket or -errno. */
int hvw_connect(const char *path);

#endif
