/* nbenv.c — see nbenv.h. */
#include "backends-sim/world/nbenv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NB_MAX_MAPS 32u /* two rings per queue, NB_MAX_QUEUES queues */

struct nbenv {
    struct nb_env env;
    struct hvhost *h;
    domid_t dom;
    struct xsc_client *xs;
    bool (*fail_copy)(void *ctx);
    void *ctx;
    struct {
        void *va;
        grant_handle_t handle;
    } maps[NB_MAX_MAPS];
    unsigned mapped;
    struct xsc_reply reply;
};

static int xs_read(void *ctx, const char *path, char *buf, size_t size)
{
    struct nbenv *e = ctx;
    int err = xsc_client_strs(e->xs, XS_READ, 0, &e->reply, path, NULL);
    if (err)
        return -err;
    size_t n = e->reply.hdr.len;
    if (n + 1 > size)
        return -E2BIG;
    memcpy(buf, e->reply.body, n);
    buf[n] = '\0';
    return (int)n;
}

static int xs_write(void *ctx, const char *path, const char *value)
{
    struct nbenv *e = ctx;
    return -xsc_client_write(e->xs, 0, path, value);
}

static int xs_watch(void *ctx, const char *path, const char *token)
{
    struct nbenv *e = ctx;
    return -xsc_client_strs(e->xs, XS_WATCH, 0, NULL, path, token, NULL);
}

static int xs_unwatch(void *ctx, const char *path, const char *token)
{
    struct nbenv *e = ctx;
    return -xsc_client_strs(e->xs, XS_UNWATCH, 0, NULL, path, token, NULL);
}

static void *map(void *ctx, domid_t dom, grant_ref_t ref, int *err)
{
    struct nbenv *e = ctx;
    unsigned slot = 0;
    while (slot < NB_MAX_MAPS && e->maps[slot].va)
        slot++;
    if (slot == NB_MAX_MAPS) {
        *err = -ENOSPC;
        return NULL;
    }
    grant_handle_t hd;
    uint64_t gfn, frames;
    int st = hv_gnt_map(hvhost_hv(e->h), e->dom, dom, ref, GNTMAP_host_map, e, &hd, &gfn);
    uint8_t *mem = hvhost_memory(e->h, dom, &frames);
    if (st != GNTST_okay || !mem || gfn >= frames) {
        if (st == GNTST_okay)
            (void)hv_gnt_unmap(hvhost_hv(e->h), e->dom, hd);
        *err = -EINVAL; /* the reason is in the hypervisor's trace line */
        return NULL;
    }
    e->maps[slot].va = mem + gfn * HV_PAGE_SIZE;
    e->maps[slot].handle = hd;
    e->mapped++;
    return e->maps[slot].va;
}

static void unmap(void *ctx, void *page)
{
    struct nbenv *e = ctx;
    for (unsigned i = 0; i < NB_MAX_MAPS; i++)
        if (e->maps[i].va == page) {
            (void)hv_gnt_unmap(hvhost_hv(e->h), e->dom, e->maps[i].handle);
            e->maps[i].va = NULL;
            e->mapped--;
            return;
        }
}

/* Each copy as a map, a copy and an unmap: the same checks Xen's grant
 * copy makes (granted to us, writable for a copy into it). */
static int copy(void *ctx, domid_t dom, struct nb_copy *ops, unsigned n)
{
    struct nbenv *e = ctx;
    for (unsigned i = 0; i < n; i++) {
        struct nb_copy *c = &ops[i];
        if ((unsigned)c->offset + c->len > HV_PAGE_SIZE) {
            c->status = GNTST_bad_copy_arg;
            continue;
        }
        if (e->fail_copy && e->fail_copy(e->ctx)) {
            c->status = GNTST_general_error;
            continue;
        }
        uint32_t flags = GNTMAP_host_map | (c->to_guest ? 0 : GNTMAP_readonly);
        grant_handle_t hd;
        uint64_t gfn, frames;
        int st = hv_gnt_map(hvhost_hv(e->h), e->dom, dom, c->ref, flags, e, &hd, &gfn);
        c->status = (int16_t)st;
        if (st != GNTST_okay)
            continue;
        uint8_t *page = hvhost_memory(e->h, dom, &frames) + gfn * HV_PAGE_SIZE + c->offset;
        if (c->to_guest)
            memcpy(page, c->local, c->len);
        else
            memcpy(c->local, page, c->len);
        (void)hv_gnt_unmap(hvhost_hv(e->h), e->dom, hd);
    }
    return 0;
}

static int bind(void *ctx, domid_t dom, evtchn_port_t remote, evtchn_port_t *local)
{
    struct nbenv *e = ctx;
    return hv_evtchn_bind_interdomain(hvhost_hv(e->h), e->dom, dom, remote, e, local);
}

static void unbind(void *ctx, evtchn_port_t local)
{
    struct nbenv *e = ctx;
    (void)hv_evtchn_close(hvhost_hv(e->h), e->dom, local);
}

static void notify(void *ctx, evtchn_port_t local)
{
    struct nbenv *e = ctx;
    (void)hv_evtchn_send(hvhost_hv(e->h), e->dom, local);
}

static const struct nb_env_ops ops = {
    .xs_read = xs_read,
    .xs_write = xs_write,
    .xs_watch = xs_watch,
    .xs_unwatch = xs_unwatch,
    .map = map,
    .unmap = unmap,
    .copy = copy,
    .bind = bind,
    .unbind = unbind,
    .notify = notify,
};

struct nbenv *nbenv_new(struct hvhost *h, struct xsc_core *xs, domid_t dom,
                        bool (*fail_copy)(void *ctx), void *ctx)
{
    struct nbenv *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->xs = xsc_client_open(xs, dom);
    if (!e->xs) {
        free(e);
        return NULL;
    }
    e->h = h;
    e->dom = dom;
    e->fail_copy = fail_copy;
    e->ctx = ctx;
    e->env = (struct nb_env){ .ops = &ops, .ctx = e };
    return e;
}

void nbenv_free(struct nbenv *e)
{
    if (!e)
        return;
    hv_release_owner(hvhost_hv(e->h), e->dom, e);
    xsc_client_close(e->xs);
    free(e);
}

const struct nb_env *nbenv_env(struct nbenv *e)
{
    return &e->env;
}

struct xsc_client *nbenv_xs(struct nbenv *e)
{
    return e->xs;
}

unsigned nbenv_mapped(const struct nbenv *e)
{
    return e->mapped;
}
