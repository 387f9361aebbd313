/*
 * domains.c — the domains splitbed-hvd hosts: one listening socket and one
 * memory per domain, created and destroyed by the control handle.
 */
#include "backends-sim/hv/hvd/hvd.h"
#include "backends-sim/hv/hvd/memory.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct hdom *hvd_dom(struct hvd *h, domid_t d)
{
    for (struct hdom *x = h->doms; x; x = x->next)
        if (x->id == d)
            return x;
    return NULL;
}

static int listen_on(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0)
        return -errno;
    unlink(path);
    if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 64) < 0) {
        int e = errno;
        close(s);
        return -e;
    }
    return s;
}

static uint32_t dom_gen;

int hvd_dom_create(struct hvd *h, domid_t d)
{
    hvd_zombies_sweep(h);
    if (hvd_dom(h, d))
        return 1;
    /* Ports fit the event pages: 1023 as libxl gives a guest. */
    struct hv_domain_config cfg = { .max_evtchn_port = EVP_NPORTS - 1 };
    int r = hv_domain_create(h->hv, d, &cfg);
    if (r < 0)
        return r;
    struct hdom *dom = calloc(1, sizeof(*dom));
    if (!dom || asprintf(&dom->path, "%s/dom%u", h->hvdir, d) < 0) {
        free(dom);
        hv_domain_destroy(h->hv, d);
        return -ENOMEM;
    }
    dom->id = d;
    dom->gen = ++dom_gen;
    dom->max_pages = UINT32_MAX; /* "no limit" to libxenstat: none is enforced */
    if (d != 0 && getrandom(dom->handle, sizeof(dom->handle), 0) == (ssize_t)sizeof(dom->handle)) {
        dom->handle[6] = (uint8_t)((dom->handle[6] & 0x0f) | 0x40); /* a version 4 UUID */
        dom->handle[8] = (uint8_t)((dom->handle[8] & 0x3f) | 0x80);
    }
    dom->mem = dmem_new(h->hv, d);
    r = dom->mem ? dmem_alloc(dom->mem, &dom->bounce) : -ENOMEM;
    if (r == 0) {
        dom->listen_fd = listen_on(dom->path);
        r = dom->listen_fd < 0 ? dom->listen_fd : 0;
    }
    if (r == 0 && hvd_watch_fd(h, dom->listen_fd) < 0) {
        r = -errno;
        close(dom->listen_fd);
        unlink(dom->path);
    }
    if (r < 0) {
        dmem_free(dom->mem);
        free(dom->path);
        free(dom);
        hv_domain_destroy(h->hv, d);
        return r;
    }
    dom->next = h->doms;
    h->doms = dom;
    return 0;
}

/* Memory of a destroyed domain may still be mapped by others (as Xen keeps
 * a zombie domain): it is freed once the core reaped the domain, at the
 * destroy when nothing maps it, else at the next domain create, destroy
 * or status after the last unmap. */
struct zombie {
    domid_t id;
    struct dmem *mem;
};
static struct zombie *zombie_mem;
static size_t nzombie_mem;

void hvd_zombies_sweep(struct hvd *h)
{
    size_t j = 0;
    for (size_t i = 0; i < nzombie_mem; i++) {
        if (hv_domain_is_dying(h->hv, zombie_mem[i].id))
            zombie_mem[j++] = zombie_mem[i];
        else
            dmem_free(zombie_mem[i].mem);
    }
    nzombie_mem = j;
}

int hvd_dom_destroy(struct hvd *h, domid_t d)
{
    struct hdom *dom = hvd_dom(h, d);
    if (!dom)
        return ESRCH;
    if (d == 0)
        return EPERM;
    hvd_dom_kill(h, d);
    for (struct conn *c = h->conns, *next; c; c = next) {
        next = c->next;
        if (c->dom == dom) {
            hvd_conn_unlink(h, c);
            hvd_conn_release(h, c);
        }
    }
    hv_domain_destroy(h->hv, d);
    close(dom->listen_fd);
    unlink(dom->path);
    for (struct hdom **pp = &h->doms; *pp; pp = &(*pp)->next)
        if (*pp == dom) {
            *pp = dom->next;
            break;
        }
    struct zombie *z = realloc(zombie_mem, (nzombie_mem + 1) * sizeof(*z));
    if (z) {
        zombie_mem = z;
        zombie_mem[nzombie_mem++] = (struct zombie){ .id = d, .mem = dom->mem };
    }
    free(dom->path);
    free(dom);
    hvd_zombies_sweep(h);
    hvd_raise_dom_exc(h);
    return 0;
}

void hvd_doms_free(struct hvd *h)
{
    for (struct hdom *d = h->doms, *next; d; d = next) {
        next = d->next;
        close(d->listen_fd);
        unlink(d->path);
        dmem_free(d->mem);
        free(d->path);
        free(d);
    }
    h->doms = NULL;
    for (size_t i = 0; i < nzombie_mem; i++)
        dmem_free(zombie_mem[i].mem);
    free(zombie_mem);
    zombie_mem = NULL;
    nzombie_mem = 0;
}
