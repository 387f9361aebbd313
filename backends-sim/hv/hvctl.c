#include "backends-sim/hv/hvctl.h"
#include "backends-sim/hv/wire/packet.h"
#include "backends-sim/hv/wire/wire.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Opens a control connection to dom0's socket in dir. */
static int ctl_open(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof(path), "%s/hv/dom0", dir) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    int s = hvw_connect(path);
    if (s < 0)
        return s;
    struct hvw_hello hello = { .kind = HVW_KIND_CTL, .pid = (uint32_t)getpid() };
    struct hvw_hello_rep rep;
    ssize_t n = hvw_call(s, HVW_HELLO, &hello, sizeof(hello), &rep, sizeof(rep), NULL, NULL);
    if (n != (ssize_t)sizeof(rep)) {
        close(s);
        return n < 0 ? (int)n : -EPROTO;
    }
    return s;
}

static ssize_t ctl_call(const char *dir, unsigned op, const void *body, size_t blen, void *rep,
                        size_t repmax)
{
    int s = ctl_open(dir);
    if (s < 0)
        return s;
    ssize_t n = hvw_call(s, op, body, blen, rep, repmax, NULL, NULL);
    close(s);
    return n;
}

int hvctl_ping(const char *dir)
{
    ssize_t n = ctl_call(dir, HVW_CTL_PING, NULL, 0, NULL, 0);
    return n < 0 ? (int)n : 0;
}

int hvctl_domain_create(const char *dir, unsigned domid, uint8_t handle[16])
{
    uint32_t d = domid;
    struct hvw_dom_created rep = { 0 };
    ssize_t n = ctl_call(dir, HVW_CTL_DOMAIN_CREATE, &d, sizeof(d), &rep, sizeof(rep));
    if (n < 0)
        return (int)n;
    if (n != sizeof(rep))
        return -EPROTO;
    if (handle)
        memcpy(handle, rep.handle, sizeof(rep.handle));
    return rep.existed ? 1 : 0;
}

int hvctl_domain_destroy(const char *dir, unsigned domid)
{
    uint32_t d = domid;
    ssize_t n = ctl_call(dir, HVW_CTL_DOMAIN_DESTROY, &d, sizeof(d), NULL, 0);
    return n < 0 ? (int)n : 0;
}

int hvctl_status(const char *dir, char *buf, size_t size)
{
    char *rep = malloc(HVW_MSG_MAX);
    if (!rep)
        return -ENOMEM;
    ssize_t n = ctl_call(dir, HVW_CTL_STATUS, NULL, 0, rep, HVW_MSG_MAX - sizeof(struct hvw_rep));
    if (n >= 0 && size) {
        size_t k = (size_t)n < size - 1 ? (size_t)n : size - 1;
        memcpy(buf, rep, k);
        buf[k] = 0;
    }
    free(rep);
    return (int)n;
}

static int domain_state(const char *dir, unsigned domid, unsigned action, unsigned reason)
{
    struct hvw_dom_state st = { .domid = domid, .action = action, .reason = reason };
    ssize_t n = ctl_call(dir, HVW_CTL_DOMAIN_STATE, &st, sizeof(st), NULL, 0);
    return n < 0 ? (int)n : 0;
}

int hvctl_domain_pause(const char *dir, unsigned domid)
{
    return domain_state(dir, domid, HVW_DOM_PAUSE, 0);
}

int hvctl_domain_unpause(const char *dir, unsigned domid)
{
    return domain_state(dir, domid, HVW_DOM_UNPAUSE, 0);
}

int hvctl_domain_shutdown(const char *dir, unsigned domid, unsigned reason)
{
    return domain_state(dir, domid, HVW_DOM_SHUTDOWN, reason);
}
