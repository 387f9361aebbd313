/*
 * client.h — one library handle's connection to splitbed-hvd, found
 * through $SPLITBED_HV_SOCKET (the socket of the process's domain).
 */
#ifndef SPLITBED_LIBXEN_CLIENT_H
#define SPLITBED_LIBXEN_CLIENT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "backends-sim/hv/wire/wire.h"

struct xentoollog_logger;

struct hvclient {
    int sock;
    pthread_mutex_t lock;
    uint32_t domid;
    uint32_t conn_id;
    struct xentoollog_logger *log;
    const char *lib; /* "gnttab", "gntshr", "evtchn": log prefix */
};

/* Connects and says HELLO.  fds/nfds receive what HELLO's reply carries.
 * -1 with errno set (ENOENT when SPLITBED_HV_SOCKET is unset) and a line
 * on the logger. */
int hvclient_open(struct hvclient *c, unsigned kind, const char *lib, struct xentoollog_logger *log,
                  struct hvw_hello_rep *rep, int *fds, unsigned *nfds);
void hvclient_close(struct hvclient *c);

/* One request; the reply payload goes to rep.  Returns its length, or -1
 * with errno set to the daemon's answer.  Call with c->lock held. */
ssize_t hvclient_call(struct hvclient *c, unsigned op, const void *body, size_t blen, void *rep,
                      size_t repmax, int *fds, unsigned *nfds);

/* Sends a posted request (no reply, wire.h).  0, or -1 with errno set.
 * Call with c->lock held. */
int hvclient_post(struct hvclient *c, unsigned op, const void *body, size_t blen);

/* A line on the handle's logger (stderr without one); keeps errno. */
void hvclient_log(struct xentoollog_logger *log, const char *lib, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
