/* xenstore.c — os.h's xenstore calls over libxenstore (xs_open(0)). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os_linux.h"

static int err(void)
{
    return -(errno ? errno : OS_EIO);
}

int os_xs_read(struct os *os, os_xs_tx tx, const char *path, char *buf, size_t size)
{
    unsigned len = 0;
    errno = 0;
    char *v = xs_read(os->xs, tx, path, &len);
    if (!v)
        return err();
    if ((size_t)len + 1 > size) {
        free(v);
        return -OS_E2BIG;
    }
    memcpy(buf, v, len);
    buf[len] = '\0';
    free(v);
    return (int)len;
}

int os_xs_write(struct os *os, os_xs_tx tx, const char *path, const char *value)
{
    errno = 0;
    return xs_write(os->xs, tx, path, value, (unsigned)strlen(value)) ? 0 : err();
}

int os_xs_mkdir(struct os *os, os_xs_tx tx, const char *path)
{
    errno = 0;
    return xs_mkdir(os->xs, tx, path) ? 0 : err();
}

int os_xs_rm(struct os *os, os_xs_tx tx, const char *path)
{
    errno = 0;
    return xs_rm(os->xs, tx, path) ? 0 : err();
}

int os_xs_allow_read(struct os *os, os_xs_tx tx, const char *path, domid_t reader)
{
    struct xs_permissions p[2] = {
        { .id = os->domid, .perms = XS_PERM_NONE },
        { .id = reader, .perms = XS_PERM_READ },
    };
    errno = 0;
    return xs_set_permissions(os->xs, tx, path, p, reader == os->domid ? 1 : 2) ? 0 : err();
}

int os_xs_directory(struct os *os, os_xs_tx tx, const char *path, char *buf, size_t size)
{
    unsigned n = 0;
    errno = 0;
    char **names = xs_directory(os->xs, tx, path, &n);
    if (!names)
        return err();
    size_t off = 0;
    for (unsigned i = 0; i < n; i++) {
        size_t l = strlen(names[i]) + 1;
        if (off + l > size) {
            free(names);
            return -OS_E2BIG;
        }
        memcpy(buf + off, names[i], l);
        off += l;
    }
    free(names);
    return (int)n;
}

int os_xs_tx_start(struct os *os, os_xs_tx *tx)
{
    errno = 0;
    xs_transaction_t t = xs_transaction_start(os->xs);
    if (t == XBT_NULL)
        return err();
    *tx = t;
    return 0;
}

int os_xs_tx_end(struct os *os, os_xs_tx tx, bool abort)
{
    errno = 0;
    if (xs_transaction_end(os->xs, tx, abort))
        return 0;
    return errno == EAGAIN ? -OS_EAGAIN : err();
}

/* An app that watches its own control/shutdown handles power requests
 * itself, as a unikernel does: it tells the domain's init (its parent,
 * splitbed-guest-init, which names itself in SPLITBED_GUEST_INIT), so
 * that init leaves the request to it. */
static void tell_init_if_control(struct os *os, const char *path)
{
    char own[64];
    snprintf(own, sizeof own, "/local/domain/%u/control/shutdown", (unsigned)os->domid);
    if (strcmp(path, own) != 0 && strcmp(path, "control/shutdown") != 0)
        return;
    const char *init = getenv("SPLITBED_GUEST_INIT");
    char *end;
    long pid = init && *init ? strtol(init, &end, 10) : 0;
    if (pid > 1 && !*end && pid == (long)getppid())
        kill((pid_t)pid, SIGUSR1);
}

int os_xs_watch(struct os *os, const char *path, const char *token)
{
    errno = 0;
    if (!xs_watch(os->xs, path, token))
        return err();
    tell_init_if_control(os, path);
    return 0;
}

int os_xs_unwatch(struct os *os, const char *path, const char *token)
{
    errno = 0;
    return xs_unwatch(os->xs, path, token) ? 0 : err();
}

int os_xs_next_watch(struct os *os, char *path, size_t path_size, char *token, size_t token_size)
{
    errno = 0;
    char **ev = xs_check_watch(os->xs);
    if (!ev)
        return errno == EAGAIN || errno == 0 ? 0 : err();
    int r = 1;
    size_t pl = strlen(ev[XS_WATCH_PATH]), tl = strlen(ev[XS_WATCH_TOKEN]);
    if (pl + 1 > path_size || tl + 1 > token_size)
        r = -OS_E2BIG;
    else {
        memcpy(path, ev[XS_WATCH_PATH], pl + 1);
        memcpy(token, ev[XS_WATCH_TOKEN], tl + 1);
    }
    free(ev);
    return r;
}
