/* hvhost.c — see hvhost.h. */
#include "backends-sim/world/hvhost.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct guest_mem {
    uint8_t *base;
    uint64_t frames;
    int fd; /* memfd behind base; meaningful only for HVHOST_MEMFD */
};

struct hvhost {
    hv_t *hv;
    enum hvhost_memory memory;
    bool record;
    const struct hvhost_ops *ops;
    void *ctx;
    struct guest_mem mem[DOMID_FIRST_RESERVED];
    size_t mem_end; /* one above the highest domid given memory */

    struct hvhost_event *ev;
    size_t nev, ev_cap;
    char **trace;
    size_t ntrace, trace_cap;
};

/* ---- guest memory ---- */

static int mem_alloc(const struct hvhost *h, uint64_t frames, struct guest_mem *m)
{
    *m = (struct guest_mem){ .fd = -1, .frames = frames };
    if (!frames)
        return 0;
    if (frames > SIZE_MAX / HV_PAGE_SIZE)
        return -ENOMEM;
    size_t len = (size_t)frames * HV_PAGE_SIZE;
    if (h->memory == HVHOST_HEAP) {
        m->base = aligned_alloc(HV_PAGE_SIZE, len);
        if (!m->base)
            return -ENOMEM;
        memset(m->base, 0, len);
        return 0;
    }
    m->fd = memfd_create("splitbed-guest", MFD_CLOEXEC);
    if (m->fd < 0)
        return -errno;
    if (ftruncate(m->fd, (off_t)len) < 0) {
        int e = -errno;
        close(m->fd);
        return e;
    }
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
    if (p == MAP_FAILED) {
        int e = -errno;
        close(m->fd);
        return e;
    }
    m->base = p;
    return 0;
}

static void mem_release(const struct hvhost *h, struct guest_mem *m)
{
    if (h->memory == HVHOST_HEAP) {
        free(m->base);
    } else {
        if (m->base)
            munmap(m->base, (size_t)m->frames * HV_PAGE_SIZE);
        if (m->fd >= 0)
            close(m->fd);
    }
    *m = (struct guest_mem){ .fd = -1 };
}

/* ---- what the core reports ---- */

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

static void record_event(struct hvhost *h, enum hvhost_event_kind kind, domid_t d,
                         evtchn_port_t port)
{
    struct hvhost_event ev = { .kind = kind, .dom = d, .port = port };
    /* Out of memory only loses the record, never the event itself. */
    if (make_room((void **)&h->ev, &h->ev_cap, h->nev, sizeof(ev)) == 0)
        h->ev[h->nev++] = ev;
}

static void *host_frame_ptr(void *host, domid_t d, uint64_t gfn)
{
    return hvhost_page(host, d, gfn);
}

static void host_notify(void *host, domid_t d, evtchn_port_t port)
{
    struct hvhost *h = host;
    if (h->record)
        record_event(h, HVHOST_NOTIFY, d, port);
    if (h->ops && h->ops->notify)
        h->ops->notify(h->ctx, d, port);
}

static void host_port_closed(void *host, domid_t d, evtchn_port_t port)
{
    struct hvhost *h = host;
    if (h->record)
        record_event(h, HVHOST_PORT_CLOSED, d, port);
    if (h->ops && h->ops->port_closed)
        h->ops->port_closed(h->ctx, d, port);
}

static void host_trace(void *host, domid_t d, const char *line)
{
    struct hvhost *h = host;
    if (h->record) {
        char *copy = strdup(line);
        if (copy && make_room((void **)&h->trace, &h->trace_cap, h->ntrace, sizeof(char *)) == 0)
            h->trace[h->ntrace++] = copy;
        else
            free(copy);
    }
    if (h->ops && h->ops->trace)
        h->ops->trace(h->ctx, d, line);
}

/* ---- life ---- */

struct hvhost *hvhost_new(const struct hvhost_config *cfg)
{
    static const struct hv_host_ops core_ops = {
        .frame_ptr = host_frame_ptr,
        .notify = host_notify,
        .port_closed = host_port_closed,
        .trace = host_trace,
    };
    struct hvhost *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->memory = cfg->memory;
    h->record = cfg->record;
    h->ops = cfg->ops;
    h->ctx = cfg->ctx;
    h->hv = hv_new(&core_ops, h);
    if (!h->hv) {
        free(h);
        return NULL;
    }
    return h;
}

struct hvhost *hvhost_new_recording(void)
{
    struct hvhost_config cfg = { .memory = HVHOST_HEAP, .record = true };
    return hvhost_new(&cfg);
}

void hvhost_clear(struct hvhost *h)
{
    for (size_t i = 0; i < h->ntrace; i++)
        free(h->trace[i]);
    h->ntrace = 0;
    h->nev = 0;
}

void hvhost_free(struct hvhost *h)
{
    if (!h)
        return;
    hv_free(h->hv);
    for (size_t i = 0; i < h->mem_end; i++)
        if (h->mem[i].base)
            mem_release(h, &h->mem[i]);
    hvhost_clear(h);
    free(h->trace);
    free(h->ev);
    free(h);
}

hv_t *hvhost_hv(struct hvhost *h)
{
    return h->hv;
}

int hvhost_domain_create_cfg(struct hvhost *h, domid_t d, const struct hv_domain_config *cfg)
{
    if (d >= DOMID_FIRST_RESERVED)
        return -EINVAL;
    uint64_t frames = cfg ? cfg->nr_frames : 0;
#ifdef SPLITBED_FUZZ
    /* Fuzz targets create and destroy the same domains for every input:
     * heap memory of the domid's last life, of the same size, is zeroed
     * and reused instead of freed for a fresh allocation.  Elsewhere each
     * life gets new memory, so that the sanitizers see a stale pointer
     * into an old one. */
    struct guest_mem *last = &h->mem[d];
    if (h->memory == HVHOST_HEAP && last->base && last->frames == frames) {
        int rc = hv_domain_create(h->hv, d, cfg);
        if (rc == 0)
            memset(last->base, 0, (size_t)frames * HV_PAGE_SIZE);
        return rc;
    }
#endif
    struct guest_mem m;
    int rc = mem_alloc(h, frames, &m);
    if (rc < 0)
        return rc;
    rc = hv_domain_create(h->hv, d, cfg);
    if (rc < 0) {
        mem_release(h, &m);
        return rc;
    }
    /* The domid was free, so nothing maps the memory of its last life. */
    if (h->mem[d].base)
        mem_release(h, &h->mem[d]);
    h->mem[d] = m;
    if ((size_t)d >= h->mem_end)
        h->mem_end = (size_t)d + 1;
    return 0;
}

int hvhost_domain_create(struct hvhost *h, domid_t d, uint64_t frames)
{
    struct hv_domain_config cfg = { .nr_frames = frames };
    return hvhost_domain_create_cfg(h, d, &cfg);
}

int hvhost_domain_destroy(struct hvhost *h, domid_t d)
{
    return hv_domain_destroy(h->hv, d);
}

uint8_t *hvhost_memory(struct hvhost *h, domid_t d, uint64_t *frames)
{
    if (d >= DOMID_FIRST_RESERVED || !h->mem[d].base)
        return NULL;
    if (frames)
        *frames = h->mem[d].frames;
    return h->mem[d].base;
}

void *hvhost_page(struct hvhost *h, domid_t d, uint64_t gfn)
{
    if (d >= DOMID_FIRST_RESERVED || gfn >= h->mem[d].frames)
        return NULL;
    return h->mem[d].base + (size_t)gfn * HV_PAGE_SIZE;
}

int hvhost_memfd(struct hvhost *h, domid_t d)
{
    if (h->memory != HVHOST_MEMFD || d >= DOMID_FIRST_RESERVED || !h->mem[d].base)
        return -1;
    return h->mem[d].fd;
}

int hvhost_grant_address(struct hvhost *h, domid_t d, domid_t peer, const void *addr, bool readonly,
                         grant_ref_t *ref)
{
    if (!hv_domain_exists(h->hv, d))
        return -ESRCH;
    const struct guest_mem *m = &h->mem[d];
    uintptr_t a = (uintptr_t)addr, base = (uintptr_t)m->base;
    size_t len = (size_t)m->frames * HV_PAGE_SIZE;
    char line[200];
    if (!m->base || a < base || a - base >= len) {
        snprintf(line, sizeof(line),
                 "d%u: grant of address %p to d%u "
                 "refused: not in d%u's memory",
                 d, addr, peer, d);
        host_trace(h, d, line);
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
        host_trace(h, d, line);
        return -EINVAL;
    }
    grant_ref_t r;
    int rc = hv_gnt_alloc_ref(h->hv, d, NULL, &r);
    if (rc < 0)
        return rc;
    rc = hv_gnt_grant(h->hv, d, r, peer, gfn, readonly, NULL);
    if (rc < 0) {
        hv_gnt_release_ref(h->hv, d, r);
        return rc;
    }
    *ref = r;
    return 0;
}

/* ---- the record ---- */

size_t hvhost_event_count(const struct hvhost *h)
{
    return h->nev;
}

const struct hvhost_event *hvhost_event(const struct hvhost *h, size_t i)
{
    return i < h->nev ? &h->ev[i] : NULL;
}

size_t hvhost_notify_count(const struct hvhost *h, domid_t d, evtchn_port_t port)
{
    size_t n = 0;
    for (size_t i = 0; i < h->nev; i++)
        if (h->ev[i].kind == HVHOST_NOTIFY && h->ev[i].dom == d && h->ev[i].port == port)
            n++;
    return n;
}

size_t hvhost_trace_count(const struct hvhost *h)
{
    return h->ntrace;
}

const char *hvhost_trace_line(const struct hvhost *h, size_t i)
{
    return i < h->ntrace ? h->trace[i] : NULL;
}

const char *hvhost_last_trace(const struct hvhost *h)
{
    return h->ntrace ? h->trace[h->ntrace - 1] : "";
}
