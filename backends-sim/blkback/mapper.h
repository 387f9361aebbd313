/*
 * mapper.h — how the request core reaches a frontend's granted pages.
 *
 * The core never calls libxengnttab itself: production code passes the
 * xengnttab mapper (mapper_gnttab.h), unit tests and the fuzz target pass
 * the memfd mapper (mapper_memfd.h), whose "frontend" is plain memory.
 */
#ifndef SPLITBED_BLKBACK_MAPPER_H
#define SPLITBED_BLKBACK_MAPPER_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

struct bb_mapper;

/* One grant copy: `len` bytes at `offset` in the page granted as `ref`,
 * to it from `local` (to_grant) or from it into `local`. */
struct bb_copy {
    grant_ref_t ref;
    uint16_t offset, len;
    void *local;
    bool to_grant;
    int16_t status; /* GNTST_okay or the GNTST_* error */
};

struct bb_mapper_ops {
    /* Maps `count` grants of domain `dom` into one contiguous range of
     * count pages.  All or nothing: on failure no mapping survives and
     * NULL is returned with errno set (as xengnttab_map_domain_grant_refs
     * does). */
    void *(*map)(struct bb_mapper *m, domid_t dom, unsigned count, const grant_ref_t *refs,
                 bool writable);
    /* Ends a mapping made by map (the whole range). */
    int (*unmap)(struct bb_mapper *m, void *addr, unsigned count);
    /* Grant copy (xengnttab_grant_copy): fills each status.  Returns 0
     * when the copies were attempted, -errno when none could be. */
    int (*copy)(struct bb_mapper *m, domid_t dom, unsigned n, struct bb_copy *segs);
};

struct bb_mapper {
    const struct bb_mapper_ops *ops;
};

static inline void *bb_map(struct bb_mapper *m, domid_t dom, unsigned count,
                           const grant_ref_t *refs, bool writable)
{
    return m->ops->map(m, dom, count, refs, writable);
}

static inline int bb_unmap(struct bb_mapper *m, void *addr, unsigned count)
{
    return m->ops->unmap(m, addr, count);
}

static inline int bb_copy(struct bb_mapper *m, domid_t dom, unsigned n, struct bb_copy *segs)
{
    return m->ops->copy(m, dom, n, segs);
}

#endif
