/*
 * inproc.c — in-process host of the hypervisor core: plain page-aligned
 * buffers as guest memory, and an ordered record of everything the core
 * reported.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends-sim/hv/core/inproc.h"

struct guest_mem {
    uint8_t *base;
    uint64_t pages;
};

struct inproc {
    hv_t *hv;
    struct guest_mem mem[DOMID_FIRST_RESERVED];
    size_t mem_end; /* one above the highest domid given memory */

    struct inproc_event *ev;
    size_t nev, ev_cap;
    char **trace;
    size_t ntrace, trace_cap;

    void (*trace_fn)(void *arg, domid_t d, const char *line);
    void *trace_arg;
    void (*event_fn)(void *arg, const struct inproc_event *ev);
    void *event_arg;
};

/* Grows an array of `size`-byte items so that one more fits. */
static int make_room(void **arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 64;
    void *p = realloc(*arr, ncap * size);
    if (!p)
        return -ENOMEM;
    *arr = p;
    *cap = ncap;
    return 0;
}

static void record_event(struct inproc *ip, enum inproc_event_kind kind, domid_t d,
                         evtchn_port_t port)
{
    struct inproc_event ev = { .kind = kind, .dom = d, .port = port };
    /* Out of memory only loses the record, never the event itself. */
    if (make_room((void **)&ip->ev, &ip->ev_cap, ip->nev, sizeof(ev)) == 0)
        ip->ev[ip->nev++] = ev;
    if (ip->event_fn)
        ip->event_fn(ip->event_arg, &ev);
}

static void *host_frame_ptr(void *host, domid_t d, uint64_t gfn)
{
    return inproc_page(host, d, gfn);
}

static void host_notify(void *host, domid_t d, evtchn_port_t port)
{
    record_event(host, INPROC_NOTIFY, d, port);
}

static void host_port_closed(void *host, domid_t d, evtchn_port_t port)
{
    record_event(host, INPROC_PORT_CLOSED, d, port);
}

static void host_trace(void *host, domid_t d, const char *line)
{
    struct inproc *ip = host;
    char *copy = strdup(line);
    if (copy && make_room((void **)&ip->trace, &ip->trace_cap, ip->ntrace, sizeof(char *)) == 0)
        ip->trace[ip->ntrace++] = copy;
    else
        free(copy);
    if (ip->trace_fn)
        ip->trace_fn(ip->trace_arg, d, line);
}

struct inproc *inproc_new(void)
{
    static const struct hv_host_ops ops = {
        .frame_ptr = host_frame_ptr,
        .notify = host_notify,
        .port_closed = host_port_closed,
        .trace = host_trace,
    };
    struct inproc *ip = calloc(1, sizeof(*ip));
    if (!ip)
        return NULL;
    ip->hv = hv_new(&ops, ip);
    if (!ip->hv) {
        free(ip);
        return NULL;
    }
    return ip;
}

void inproc_clear(struct inproc *ip)
{
    for (size_t i = 0; i < ip->ntrace; i++)
        free(ip->trace[i]);
    ip->ntrace = 0;
    ip->nev = 0;
}

void inproc_free(struct inproc *ip)
{
    if (!ip)
        return;
    hv_free(ip->hv);
    for (size_t i = 0; i < ip->mem_end; i++)
        free(ip->mem[i].base);
    inproc_clear(ip);
    free(ip->trace);
    free(ip->ev);
    free(ip);
}

hv_t *inproc_hv(struct inproc *ip)
{
    return ip->hv;
}

int inproc_domain_create_cfg(struct inproc *ip, domid_t d, const struct hv_domain_config *cfg)
{
    if (d >= DOMID_FIRST_RESERVED)
        return -EINVAL;
    uint64_t pages = cfg ? cfg->nr_frames : 0;
    if (pages > SIZE_MAX / HV_PAGE_SIZE)
        return -ENOMEM;
    uint8_t *base = NULL;
    if (pages) {
        base = aligned_alloc(HV_PAGE_SIZE, (size_t)pages * HV_PAGE_SIZE);
        if (!base)
            return -ENOMEM;
        memset(base, 0, (size_t)pages * HV_PAGE_SIZE);
    }
    int rc = hv_domain_create(ip->hv, d, cfg);
    if (rc < 0) {
        free(base);
        return rc;
    }
    /* The domid was free, so nothing maps the memory of its last life. */
    free(ip->mem[d].base);
    ip->mem[d].base = base;
    ip->mem[d].pages = pages;
    if ((size_t)d >= ip->mem_end)
        ip->mem_end = (size_t)d + 1;
    return 0;
}

int inproc_domain_create(struct inproc *ip, domid_t d, uint64_t nr_pages)
{
    struct hv_domain_config cfg = { .nr_frames = nr_pages };
    return inproc_domain_create_cfg(ip, d, &cfg);
}

int inproc_domain_destroy(struct inproc *ip, domid_t d)
{
    return hv_domain_destroy(ip->hv, d);
}

void *inproc_memory(struct inproc *ip, domid_t d, size_t *len)
{
    if (d >= DOMID_FIRST_RESERVED || !ip->mem[d].base)
        return NULL;
    if (len)
        *len = (size_t)ip->mem[d].pages * HV_PAGE_SIZE;
    return ip->mem[d].base;
}

void *inproc_page(struct inproc *ip, domid_t d, uint64_t gfn)
{
    if (d >= DOMID_FIRST_RESERVED || gfn >= ip->mem[d].pages)
        return NULL;
    return ip->mem[d].base + (size_t)gfn * HV_PAGE_SIZE;
}

int inproc_grant_address(struct inproc *ip, domid_t d, domid_t peer, const void *addr,
                         bool readonly, grant_ref_t *ref)
{
    if (!hv_domain_exists(ip->hv, d))
        return -ESRCH;
    const struct guest_mem *m = &ip->mem[d];
    uintptr_t a = (uintptr_t)addr, base = (uintptr_t)m->base;
    size_t len = (size_t)m->pages * HV_PAGE_SIZE;
    char line[200];
    if (!m->base || a < base || a - base >= len) {
        snprintf(line, sizeof(line),
                 "d%u: grant of address %p to d%u "
                 "refused: not in d%u's memory",
                 d, addr, peer, d);
        host_trace(ip, d, line);
        return -EINVAL;
    }
    size_t off = (a - base) % HV_PAGE_SIZE;
    uint64_t gfn = (a - base) / HV_PAGE_SIZE;
    if (off) {
        snprintf(line, sizeof(line),
                 "d%u: grant of address %p to d%u "
                 "refused: not the start of a whole page (%zu bytes into "
                 "frame 0x%llx)",
                 d, addr, peer, off, (unsigned long long)gfn);
        host_trace(ip, d, line);
        return -EINVAL;
    }
    grant_ref_t r;
    int rc = hv_gnt_alloc_ref(ip->hv, d, NULL, &r);
    if (rc < 0)
        return rc;
    rc = hv_gnt_grant(ip->hv, d, r, peer, gfn, readonly, NULL);
    if (rc < 0) {
        hv_gnt_release_ref(ip->hv, d, r);
        return rc;
    }
    *ref = r;
    return 0;
}

size_t inproc_event_count(const struct inproc *ip)
{
    return ip->nev;
}

const struct inproc_event *inproc_event(const struct inproc *ip, size_t i)
{
    return i < ip->nev ? &ip->ev[i] : NULL;
}

size_t inproc_notify_count(const struct inproc *ip, domid_t d, evtchn_port_t port)
{
    size_t n = 0;
    for (size_t i = 0; i < ip->nev; i++)
        if (ip->ev[i].kind == INPROC_NOTIFY && ip->ev[i].dom == d && ip->ev[i].port == port)
            n++;
    return n;
}

size_t inproc_trace_count(const struct inproc *ip)
{
    return ip->ntrace;
}

const char *inproc_trace_line(const struct inproc *ip, size_t i)
{
    return i < ip->ntrace ? ip->trace[i] : NULL;
}

const char *inproc_last_trace(const struct inproc *ip)
{
    return ip->ntrace ? ip->trace[ip->ntrace - 1] : "";
}

void inproc_on_trace(struct inproc *ip, void (*fn)(void *arg, domid_t d, const char *line),
                     void *arg)
{
    ip->trace_fn = fn;
    ip->trace_arg = arg;
}

void inproc_on_event(struct inproc *ip, void (*fn)(void *arg, const struct inproc_event *ev),
                     void *arg)
{
    ip->event_fn = fn;
    ip->event_arg = arg;
}
