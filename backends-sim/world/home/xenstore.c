/* xenstore.c — os.h's xenstore calls over an in-process client. */
#include <stdio.h>
#include <string.h>

#include "backends-sim/world/home/os_world_priv.h"

static int req(struct os *os, uint32_t type, os_xs_tx tx, const char *a, const char *b)
{
    int err = b ? xsc_client_strs(os->h.xs, type, tx, &os->reply, a, b, NULL)
                : xsc_client_strs(os->h.xs, type, tx, &os->reply, a, NULL);
    return -err;
}

int os_xs_read(struct os *os, os_xs_tx tx, const char *path, char *buf, size_t size)
{
    int r = req(os, XS_READ, tx, path, NULL);
    if (r < 0)
        return r;
    size_t n = os->reply.hdr.len;
    if (n + 1 > size)
        return -OS_E2BIG;
    memcpy(buf, os->reply.body, n);
    buf[n] = '\0';
    return (int)n;
}

int os_xs_write(struct os *os, os_xs_tx tx, const char *path, const char *value)
{
    return -xsc_client_write(os->h.xs, tx, path, value);
}

int os_xs_mkdir(struct os *os, os_xs_tx tx, const char *path)
{
    return req(os, XS_MKDIR, tx, path, NULL);
}

int os_xs_rm(struct os *os, os_xs_tx tx, const char *path)
{
    return req(os, XS_RM, tx, path, NULL);
}

int os_xs_allow_read(struct os *os, os_xs_tx tx, const char *path, domid_t reader)
{
    char owner[16], rd[16];
    snprintf(owner, sizeof owner, "n%u", (unsigned)os->h.domid);
    snprintf(rd, sizeof rd, "r%u", (unsigned)reader);
    int err = reader == os->h.domid
                  ? xsc_client_strs(os->h.xs, XS_SET_PERMS, tx, &os->reply, path, owner, NULL)
                  : xsc_client_strs(os->h.xs, XS_SET_PERMS, tx, &os->reply, path, owner, rd, NULL);
    return -err;
}

int os_xs_directory(struct os *os, os_xs_tx tx, const char *path, char *buf, size_t size)
{
    int r = req(os, XS_DIRECTORY, tx, path, NULL);
    if (r < 0)
        return r;
    size_t len = os->reply.hdr.len;
    if (len > size)
        return -OS_E2BIG;
    int n = 0;
    for (size_t i = 0; i < len; i++)
        n += os->reply.body[i] == '\0';
    memcpy(buf, os->reply.body, len);
    return n;
}

int os_xs_tx_start(struct os *os, os_xs_tx *tx)
{
    uint32_t t;
    int err = xsc_client_tx_start(os->h.xs, &t);
    if (err)
        return -err;
    *tx = t;
    return 0;
}

int os_xs_tx_end(struct os *os, os_xs_tx tx, bool abort)
{
    if (!abort && os->ops->tx_conflict && os->ops->tx_conflict(os->ctx)) {
        /* What a conflicting commit leaves: nothing written, EAGAIN. */
        (void)xsc_client_tx_end(os->h.xs, tx, false);
        return -OS_EAGAIN;
    }
    return -xsc_client_tx_end(os->h.xs, tx, !abort);
}

int os_xs_watch(struct os *os, const char *path, const char *token)
{
    return req(os, XS_WATCH, 0, path, token);
}

int os_xs_unwatch(struct os *os, const char *path, const char *token)
{
    return req(os, XS_UNWATCH, 0, path, token);
}
