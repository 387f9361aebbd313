#include "backends-sim/libxen/client.h"
#include "backends-sim/hv/wire/packet.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xentoollog.h>

void hvclient_log(struct xentoollog_logger *log, const char *lib, int err, const char *fmt, ...)
{
    int saved = errno;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (log)
        xtl_log(log, XTL_ERROR, err, lib, "%s", msg);
    else if (err)
        fprintf(stderr, "%s: %s: %s\n", lib, msg, strerror(err));
    else
        fprintf(stderr, "%s: %s\n", lib, msg);
    errno = saved;
}

int hvclient_open(struct hvclient *c, unsigned kind, const char *lib, struct xentoollog_logger *log,
                  struct hvw_hello_rep *rep, int *fds, unsigned *nfds)
{
    memset(c, 0, sizeof(*c));
    c->sock = -1;
    c->log = log;
    c->lib = lib;
    const char *path = getenv("SPLITBED_HV_SOCKET");
    if (!path || !*path) {
        hvclient_log(log, lib, ENOENT,
                     "SPLITBED_HV_SOCKET is not set: run under `splitbed exec` "
                     "or point it at a splitbed-hvd domain socket");
        errno = ENOENT;
        return -1;
    }
    int s = hvw_connect(path);
    if (s < 0) {
        hvclient_log(log, lib, -s, "cannot connect to %s", path);
        errno = -s;
        return -1;
    }
    c->sock = s;
    pthread_mutex_init(&c->lock, NULL);
    struct hvw_hello hello = { .kind = kind, .pid = (uint32_t)getpid() };
    ssize_t n = hvclient_call(c, HVW_HELLO, &hello, sizeof(hello), rep, sizeof(*rep), fds, nfds);
    if (n != (ssize_t)sizeof(*rep)) {
        int e = n < 0 ? errno : EPROTO;
        hvclient_log(log, lib, e, "splitbed-hvd at %s refused the handle", path);
        if (n >= 0 && fds)
            for (unsigned i = 0; i < *nfds; i++)
                close(fds[i]);
        hvclient_close(c);
        errno = e;
        return -1;
    }
    c->domid = rep->domid;
    c->conn_id = rep->conn_id;
    return 0;
}

void hvclient_close(struct hvclient *c)
{
    if (c->sock >= 0) {
        close(c->sock);
        pthread_mutex_destroy(&c->lock);
    }
    c->sock = -1;
}

ssize_t hvclient_call(struct hvclient *c, unsigned op, const void *body, size_t blen, void *rep,
                      size_t repmax, int *fds, unsigned *nfds)
{
    ssize_t n = hvw_call(c->sock, op, body, blen, rep, repmax, fds, nfds);
    if (n < 0) {
        if (n == -ECONNRESET || n == -EPROTO)
            hvclient_log(c->log, c->lib, (int)-n, "lost splitbed-hvd");
        errno = (int)-n;
        return -1;
    }
    return n;
}

int hvclient_post(struct hvclient *c, unsigned op, const void *body, size_t blen)
{
    struct hvw_req req = { .op = op, .len = (uint32_t)blen };
    int r = hvw_send(c->sock, &req, sizeof(req), body, blen, NULL, 0);
    if (r < 0) {
        hvclient_log(c->log, c->lib, -r, "lost splitbed-hvd");
        errno = r == -EPIPE ? ECONNRESET : -r;
        return -1;
    }
    return 0;
}
