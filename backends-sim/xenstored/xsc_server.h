/*
 * xsc_server.h — xsc_core on Unix sockets: a single-threaded poll loop.
 *
 * DIR/socket is dom0's privileged socket.  When dom0 introduces domain
 * N, DIR/domN appears and every connection to it is domain N; releasing
 * N closes those connections and removes the socket.  Reads and writes
 * may be partial; each connection has its own output queue.  A client
 * whose queue passes XSC_SERVER_BACKLOG bytes is not read from until it
 * catches up, and one whose queue passes the hard limit (watch events
 * it never reads) is cut off (XSA-326, XSA-416), so no client can make
 * the daemon grow without bound.
 */
#ifndef SPLITBED_XSC_SERVER_H
#define SPLITBED_XSC_SERVER_H

#include <stdio.h>

#define XSC_SERVER_BACKLOG (64u * 1024)
/* Connections one guest domain may hold at once.  On Xen a domain has
 * one ring, which its kernel's xenbus driver shares among its
 * processes (their requests queue there); here each process has its
 * own socket, up to this many per domain, beyond which a connection is
 * closed at once, with a trace line. */
#define XSC_SERVER_CONNS_PER_DOMAIN 128u
/* How long the daemon stops accepting when it runs out of descriptors. */
#define XSC_SERVER_ACCEPT_PAUSE_MS 100
#define XSC_SERVER_LIMIT_GUEST (1u << 20)
#define XSC_SERVER_LIMIT_DOM0 (16u << 20)

struct xsc_server;

/* Creates DIR if needed and listens on DIR/socket.  trace (may be NULL)
 * gets a copy of each trace line.  NULL with a message on stderr on
 * failure. */
struct xsc_server *xsc_server_new(const char *dir, FILE *trace);
/* Serves until stop_fd is readable (a signalfd, a pipe).  Returns 0, or
 * -1 on a failure of the loop itself. */
int xsc_server_run(struct xsc_server *s, int stop_fd);
/* Also serves VIRQ_DOM_EXC from the simulator in simdir
 * (xsc_domexc.h).  0, or -1 with a line on stderr. */
int xsc_server_watch_domains(struct xsc_server *s, const char *simdir);
/* Closes every connection and removes the sockets. */
void xsc_server_free(struct xsc_server *s);

#endif
