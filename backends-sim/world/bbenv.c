/* bbenv.c — see bbenv.h. */
#include "backends-sim/world/bbenv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct mapping {
    struct mapping *next;
    uint8_t *va;
    unsigned count;
    grant_handle_t handles[];
};

struct bbenv {
    struct bb_store store; /* the ops find the bbenv from these */
    struct bb_evtchn evtchn;
    struct bb_mapper mapper;
    struct bb_env env;
    struct hvhost *h;
    domid_t dom;
    struct xsc_client *xs;
    const struct bbenv_ops *ops; /* never NULL */
    void *ctx;
    bool dead;
    struct mapping *maps;
    unsigned mapped;
    struct xsc_reply reply; /* scratch for one answer at a time */
};

#define FROM(ptr, member) ((struct bbenv *)((char *)(ptr)-offsetof(struct bbenv, member)))

/* ---- xenstore ----------------------------------------------------------- */

static int req(struct bbenv *e, uint32_t type, uint32_t tx, const char *a, const char *b)
{
    if (e->dead)
        return EPIPE;
    return b ? xsc_client_strs(e->xs, type, tx, &e->reply, a, b, NULL)
             : xsc_client_strs(e->xs, type, tx, &e->reply, a, NULL);
}

static char *st_read(struct bb_store *s, uint32_t tx, const char *path)
{
    struct bbenv *e = FROM(s, store);
    int err = req(e, XS_READ, tx, path, NULL);
    if (err) {
        errno = err;
        return NULL;
    }
    size_t n = e->reply.hdr.len;
    char *v = malloc(n + 1);
    if (!v) {
        errno = ENOMEM;
        return NULL;
    }
    memcpy(v, e->reply.body, n);
    v[n] = '\0';
    return v;
}

static int st_write(struct bb_store *s, uint32_t tx, const char *path, const char *value)
{
    struct bbenv *e = FROM(s, store);
    if (e->dead)
        return -EPIPE;
    return -xsc_client_write(e->xs, tx, path, value);
}

static char **st_directory(struct bb_store *s, uint32_t tx, const char *path, unsigned *num)
{
    struct bbenv *e = FROM(s, store);
    int err = req(e, XS_DIRECTORY, tx, path, NULL);
    if (err) {
        errno = err;
        return NULL;
    }
    size_t len = e->reply.hdr.len;
    unsigned n = 0;
    for (size_t i = 0; i < len; i++)
        n += e->reply.body[i] == '\0';
    /* As xs_directory: the vector, then the names, in one block. */
    char **v = malloc((n + 1) * sizeof(char *) + len + 1);
    if (!v) {
        errno = ENOMEM;
        return NULL;
    }
    char *names = (char *)(v + n + 1);
    memcpy(names, e->reply.body, len);
    names[len] = '\0';
    size_t off = 0;
    for (unsigned i = 0; i < n; i++) {
        v[i] = names + off;
        off += strlen(names + off) + 1;
    }
    v[n] = NULL;
    *num = n;
    return v;
}

static int st_rm(struct bb_store *s, uint32_t tx, const char *path)
{
    return -req(FROM(s, store), XS_RM, tx, path, NULL);
}

static int st_tx_start(struct bb_store *s, uint32_t *tx)
{
    struct bbenv *e = FROM(s, store);
    if (e->dead)
        return -EPIPE;
    return -xsc_client_tx_start(e->xs, tx);
}

static int st_tx_end(struct bb_store *s, uint32_t tx, bool abort)
{
    struct bbenv *e = FROM(s, store);
    if (e->dead)
        return -EPIPE;
    if (!abort && e->ops->tx_conflict && e->ops->tx_conflict(e->ctx)) {
        /* What a conflicting commit leaves: nothing written, EAGAIN. */
        (void)xsc_client_tx_end(e->xs, tx, false);
        return -EAGAIN;
    }
    return -xsc_client_tx_end(e->xs, tx, !abort);
}

static int st_watch(struct bb_store *s, const char *path, const char *token)
{
    return -req(FROM(s, store), XS_WATCH, 0, path, token);
}

static int st_unwatch(struct bb_store *s, const char *path, const char *token)
{
    return -req(FROM(s, store), XS_UNWATCH, 0, path, token);
}

static const struct bb_store_ops store_ops = {
    .read = st_read,
    .write = st_write,
    .directory = st_directory,
    .rm = st_rm,
    .tx_start = st_tx_start,
    .tx_end = st_tx_end,
    .watch = st_watch,
    .unwatch = st_unwatch,
};

/* ---- event channels ----------------------------------------------------- */

static int ev_bind(struct bb_evtchn *ev, uint32_t dom, uint32_t remote_port, uint32_t *local)
{
    struct bbenv *e = FROM(ev, evtchn);
    if (e->dead)
        return -EPIPE;
    evtchn_port_t p;
    int rc = hv_evtchn_bind_interdomain(hvhost_hv(e->h), e->dom, (domid_t)dom, remote_port, e, &p);
    if (rc == 0)
        *local = p;
    return rc;
}

static int ev_unbind(struct bb_evtchn *ev, uint32_t local)
{
    struct bbenv *e = FROM(ev, evtchn);
    return e->dead ? 0 : hv_evtchn_close(hvhost_hv(e->h), e->dom, local);
}

static int ev_notify(struct bb_evtchn *ev, uint32_t local)
{
    struct bbenv *e = FROM(ev, evtchn);
    return e->dead ? -EPIPE : hv_evtchn_send(hvhost_hv(e->h), e->dom, local);
}

static const struct bb_evtchn_ops evtchn_ops = {
    .bind = ev_bind,
    .unbind = ev_unbind,
    .notify = ev_notify,
};

/* ---- grant mappings ----------------------------------------------------- */

static void unmap_handles(struct bbenv *e, const grant_handle_t *h, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        (void)hv_gnt_unmap(hvhost_hv(e->h), e->dom, h[i]);
}

static void *mp_map(struct bb_mapper *m, domid_t dom, unsigned count, const grant_ref_t *refs,
                    bool writable)
{
    struct bbenv *e = FROM(m, mapper);
    int fd = hvhost_memfd(e->h, dom);
    if (e->dead || count == 0) {
        errno = e->dead ? EPIPE : EINVAL;
        return NULL;
    }
    struct mapping *mp = calloc(1, sizeof(*mp) + count * sizeof(grant_handle_t));
    if (!mp) {
        errno = ENOMEM;
        return NULL;
    }
    uint32_t flags = GNTMAP_host_map | (writable ? 0 : GNTMAP_readonly);
    uint64_t *gfns = calloc(count, sizeof(*gfns));
    unsigned done = 0;
    int st = gfns ? GNTST_okay : GNTST_no_space;
    for (; st == GNTST_okay && done < count; done++) {
        st = hv_gnt_map(hvhost_hv(e->h), e->dom, dom, refs[done], flags, e, &mp->handles[done],
                        &gfns[done]);
        if (st != GNTST_okay)
            break;
    }
    uint8_t *va = MAP_FAILED;
    if (st == GNTST_okay && fd >= 0)
        va =
            mmap(NULL, (size_t)count * HV_PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int prot = PROT_READ | (writable ? PROT_WRITE : 0);
    for (unsigned i = 0; va != MAP_FAILED && i < count; i++)
        if (mmap(va + (size_t)i * HV_PAGE_SIZE, HV_PAGE_SIZE, prot, MAP_SHARED | MAP_FIXED, fd,
                 (off_t)(gfns[i] * HV_PAGE_SIZE)) == MAP_FAILED) {
            munmap(va, (size_t)count * HV_PAGE_SIZE);
            va = MAP_FAILED;
        }
    free(gfns);
    if (va == MAP_FAILED) {
        /* All or nothing, as xengnttab_map_domain_grant_refs. */
        unmap_handles(e, mp->handles, done);
        free(mp);
        errno = EINVAL; /* the reason is in the hypervisor's trace line */
        return NULL;
    }
    mp->va = va;
    mp->count = count;
    mp->next = e->maps;
    e->maps = mp;
    e->mapped += count;
    return va;
}

static int mp_unmap(struct bb_mapper *m, void *addr, unsigned count)
{
    struct bbenv *e = FROM(m, mapper);
    for (struct mapping **pp = &e->maps; *pp; pp = &(*pp)->next) {
        struct mapping *mp = *pp;
        if (mp->va != addr || mp->count != count)
            continue;
        *pp = mp->next;
        if (!e->dead)
            unmap_handles(e, mp->handles, count);
        munmap(mp->va, (size_t)count * HV_PAGE_SIZE);
        e->mapped -= count;
        free(mp);
        return 0;
    }
    return -EINVAL;
}

/* Grant copy as a map, a copy and an unmap of each page: the same checks
 * (granted to us, writable for a copy into it), no mapping left over. */
static int mp_copy(struct bb_mapper *m, domid_t dom, unsigned n, struct bb_copy *segs)
{
    struct bbenv *e = FROM(m, mapper);
    if (e->dead)
        return -EPIPE;
    for (unsigned i = 0; i < n; i++) {
        struct bb_copy *c = &segs[i];
        if ((unsigned)c->offset + c->len > HV_PAGE_SIZE) {
            c->status = GNTST_bad_copy_arg;
            continue;
        }
        uint32_t flags = GNTMAP_host_map | (c->to_grant ? 0 : GNTMAP_readonly);
        grant_handle_t hd;
        uint64_t gfn;
        int st = hv_gnt_map(hvhost_hv(e->h), e->dom, dom, c->ref, flags, e, &hd, &gfn);
        c->status = (int16_t)st;
        if (st != GNTST_okay)
            continue;
        uint64_t frames;
        uint8_t *page = hvhost_memory(e->h, dom, &frames) + gfn * HV_PAGE_SIZE + c->offset;
        if (c->to_grant)
            memcpy(page, c->local, c->len);
        else
            memcpy(c->local, page, c->len);
        (void)hv_gnt_unmap(hvhost_hv(e->h), e->dom, hd);
    }
    return 0;
}

static const struct bb_mapper_ops mapper_ops = {
    .map = mp_map,
    .unmap = mp_unmap,
    .copy = mp_copy,
};

/* ---- lifetime ----------------------------------------------------------- */

struct bbenv *bbenv_new(struct hvhost *h, struct xsc_core *xs, domid_t dom,
                        const struct bb_params *params, const struct bb_logger *log,
                        const struct bbenv_ops *ops, void *ctx)
{
    static const struct bbenv_ops none;
    struct bbenv *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->xs = xsc_client_open(xs, dom);
    if (!e->xs) {
        free(e);
        return NULL;
    }
    e->h = h;
    e->dom = dom;
    e->ops = ops ? ops : &none;
    e->ctx = ctx;
    e->store.ops = &store_ops;
    e->evtchn.ops = &evtchn_ops;
    e->mapper.ops = &mapper_ops;
    e->env = (struct bb_env){
        .store = &e->store,
        .evtchn = &e->evtchn,
        .mapper = &e->mapper,
        .params = params,
        .log = *log,
    };
    return e;
}

void bbenv_kill(struct bbenv *e)
{
    e->dead = true;
}

void bbenv_free(struct bbenv *e)
{
    if (!e)
        return;
    /* The kernel's part: grant mappings, event channels, the socket. */
    while (e->maps) {
        struct mapping *mp = e->maps;
        e->maps = mp->next;
        munmap(mp->va, (size_t)mp->count * HV_PAGE_SIZE);
        free(mp);
    }
    hv_release_owner(hvhost_hv(e->h), e->dom, e);
    xsc_client_close(e->xs);
    free(e);
}

const struct bb_env *bbenv_env(struct bbenv *e)
{
    return &e->env;
}
struct xsc_client *bbenv_xs(struct bbenv *e)
{
    return e->xs;
}
unsigned bbenv_mapped(const struct bbenv *e)
{
    return e->mapped;
}
