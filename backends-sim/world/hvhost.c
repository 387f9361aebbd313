/* hvhost.c — see hvhost.h. */
#include "backends-sim/world/hvhost.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_DOMS 4u /* the world has dom0 and one guest */

struct guest {
    domid_t dom;
    int fd;
    uint8_t *base;
    uint64_t frames;
};

struct hvhost {
    hv_t *hv;
    const struct hvhost_ops *ops;
    void *ctx;
    struct guest g[MAX_DOMS];
    unsigned n;
};

static struct guest *find(struct hvhost *h, domid_t d)
{
    for (unsigned i = 0; i < h->n; i++)
        if (h->g[i].dom == d)
            return &h->g[i];
    return NULL;
}

static void *frame_ptr(void *host, domid_t d, uint64_t gfn)
{
    struct guest *g = find(host, d);
    if (!g || !g->base || gfn >= g->frames)
        return NULL;
    return g->base + gfn * HV_PAGE_SIZE;
}

static void on_notify(void *host, domid_t d, evtchn_port_t port)
{
    struct hvhost *h = host;
    if (h->ops->notify)
        h->ops->notify(h->ctx, d, port);
}

static void on_port_closed(void *host, domid_t d, evtchn_port_t port)
{
    struct hvhost *h = host;
    if (h->ops->port_closed)
        h->ops->port_closed(h->ctx, d, port);
}

static void on_trace(void *host, domid_t d, const char *line)
{
    struct hvhost *h = host;
    if (h->ops->trace)
        h->ops->trace(h->ctx, d, line);
}

struct hvhost *hvhost_new(const struct hvhost_ops *ops, void *ctx)
{
    static const struct hv_host_ops core_ops = {
        .frame_ptr = frame_ptr,
        .notify = on_notify,
        .port_closed = on_port_closed,
        .trace = on_trace,
    };
    struct hvhost *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->ops = ops;
    h->ctx = ctx;
    h->hv = hv_new(&core_ops, h);
    if (!h->hv) {
        free(h);
        return NULL;
    }
    return h;
}

void hvhost_free(struct hvhost *h)
{
    if (!h)
        return;
    hv_free(h->hv);
    for (unsigned i = 0; i < h->n; i++) {
        if (h->g[i].base)
            munmap(h->g[i].base, h->g[i].frames * HV_PAGE_SIZE);
        if (h->g[i].fd >= 0)
            close(h->g[i].fd);
    }
    free(h);
}

hv_t *hvhost_hv(struct hvhost *h)
{
    return h->hv;
}

int hvhost_domain_create(struct hvhost *h, domid_t d, uint64_t frames)
{
    if (h->n == MAX_DOMS || find(h, d))
        return -EEXIST;
    struct guest g = { .dom = d, .fd = -1, .frames = frames };
    if (frames) {
        g.fd = memfd_create("splitbed-guest", MFD_CLOEXEC);
        if (g.fd < 0)
            return -errno;
        if (ftruncate(g.fd, (off_t)(frames * HV_PAGE_SIZE)) < 0) {
            int e = -errno;
            close(g.fd);
            return e;
        }
        void *p = mmap(NULL, frames * HV_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, g.fd, 0);
        if (p == MAP_FAILED) {
            int e = -errno;
            close(g.fd);
            return e;
        }
        g.base = p;
    }
    struct hv_domain_config cfg = { .nr_frames = frames };
    int rc = hv_domain_create(h->hv, d, &cfg);
    if (rc < 0) {
        if (g.base)
            munmap(g.base, frames * HV_PAGE_SIZE);
        if (g.fd >= 0)
            close(g.fd);
        return rc;
    }
    h->g[h->n++] = g;
    return 0;
}

uint8_t *hvhost_memory(struct hvhost *h, domid_t d, uint64_t *frames)
{
    struct guest *g = find(h, d);
    if (!g)
        return NULL;
    if (frames)
        *frames = g->frames;
    return g->base;
}

int hvhost_memfd(struct hvhost *h, domid_t d)
{
    struct guest *g = find(h, d);
    return g ? g->fd : -1;
}
