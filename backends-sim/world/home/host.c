/* host.c — the world home's lifetime, inbox, log, clock and waiting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends-sim/world/home/os_world_priv.h"

struct os *os_world_new(const struct os_world_host *host, const struct os_world_ops *ops, void *ctx)
{
    struct os *os = calloc(1, sizeof(*os));
    if (!os)
        return NULL;
    os->h = *host;
    os->ops = ops;
    os->ctx = ctx;
    os->frame_used = calloc(host->nr_frames ? host->nr_frames : 1, 1);
    if (!os->frame_used) {
        free(os);
        return NULL;
    }
    os->inbox_tail = &os->inbox;
    return os;
}

void os_world_free(struct os *os)
{
    if (!os)
        return;
    while (os->inbox) {
        struct os_watch_ev *ev = os->inbox;
        os->inbox = ev->next;
        free(ev->path);
        free(ev->token);
        free(ev);
    }
    os_world_end_maps(os);
    os_world_free_shares(os);
    free(os->frame_used);
    free(os);
}

unsigned os_world_queued_watches(const struct os *os)
{
    return xsc_client_events(os->h.xs);
}

bool os_world_deliver_watch(struct os *os, char *out, size_t size)
{
    char path[XENSTORE_ABS_PATH_MAX + 1], token[XENSTORE_ABS_PATH_MAX + 1];
    if (!xsc_client_event(os->h.xs, path, sizeof(path), token, sizeof(token)))
        return false;
    if (size)
        snprintf(out, size, "%s", path);
    struct os_watch_ev *ev = calloc(1, sizeof(*ev));
    if (ev) {
        ev->path = strdup(path);
        ev->token = strdup(token);
    }
    if (!ev || !ev->path || !ev->token) {
        /* Out of memory loses the event, as a full ring would. */
        if (ev) {
            free(ev->path);
            free(ev->token);
        }
        free(ev);
        return true;
    }
    *os->inbox_tail = ev;
    os->inbox_tail = &ev->next;
    return true;
}

void os_world_deliver_event(struct os *os, evtchn_port_t port)
{
    for (unsigned i = 0; i < os->nports; i++)
        if (os->ports[i] == port)
            return;
    if (os->nports < OS_WORLD_MAX_PORTS)
        os->ports[os->nports++] = port;
}

bool os_world_has_input(const struct os *os)
{
    return os->inbox || os->nports;
}

int os_xs_next_watch(struct os *os, char *path, size_t path_size, char *token, size_t token_size)
{
    struct os_watch_ev *ev = os->inbox;
    if (!ev)
        return 0;
    os->inbox = ev->next;
    if (!os->inbox)
        os->inbox_tail = &os->inbox;
    int r = 1;
    if (strlen(ev->path) + 1 > path_size || strlen(ev->token) + 1 > token_size)
        r = -OS_E2BIG;
    else {
        memcpy(path, ev->path, strlen(ev->path) + 1);
        memcpy(token, ev->token, strlen(ev->token) + 1);
    }
    free(ev->path);
    free(ev->token);
    free(ev);
    return r;
}

domid_t os_domid(struct os *os)
{
    return os->h.domid;
}

uint64_t os_now_ns(struct os *os)
{
    return os->ops->now_ns(os->ctx);
}

int os_wait(struct os *os, uint64_t deadline_ns)
{
    /* Even with input already here, time passes and others run: a caller
     * that waits without taking its input must not spin in place. */
    return os->ops->wait(os->ctx, deadline_ns);
}

void os_log(struct os *os, enum os_log_level level, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (os && os->ops->log)
        os->ops->log(os->ctx, level, line);
}

long os_console_write(struct os *os, const void *buf, size_t len)
{
    /* The world has no console; what an app prints goes to the log. */
    char line[256];
    snprintf(line, sizeof(line), "[console] %.*s", (int)(len < 200 ? len : 200), (const char *)buf);
    if (os->ops->log)
        os->ops->log(os->ctx, OS_LOG_INFO, line);
    return (long)len;
}
