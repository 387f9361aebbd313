/*
 * mapper_gnttab.c — grant mapping through libxengnttab.
 */
#include "backends-sim/blkback/mapper_gnttab.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <xengnttab.h>

struct bb_gnttab_mapper {
    struct bb_mapper base; /* first: the ops see this */
    xengnttab_handle *xgt;
};

static void *gnttab_map(struct bb_mapper *bm, domid_t dom, unsigned count, const grant_ref_t *refs,
                        bool writable)
{
    struct bb_gnttab_mapper *m = (struct bb_gnttab_mapper *)bm;
    /* The library takes a non-const array; it does not write to it. */
    return xengnttab_map_domain_grant_refs(m->xgt, count, dom, (uint32_t *)refs,
                                           PROT_READ | (writable ? PROT_WRITE : 0));
}

static int gnttab_unmap(struct bb_mapper *bm, void *addr, unsigned count)
{
    struct bb_gnttab_mapper *m = (struct bb_gnttab_mapper *)bm;
    return xengnttab_unmap(m->xgt, addr, count) < 0 ? -errno : 0;
}

static int gnttab_copy(struct bb_mapper *bm, domid_t dom, unsigned n, struct bb_copy *segs)
{
    struct bb_gnttab_mapper *m = (struct bb_gnttab_mapper *)bm;
    xengnttab_grant_copy_segment_t *g = calloc(n, sizeof(*g));
    if (!g)
        return -ENOMEM;
    for (unsigned i = 0; i < n; i++) {
        union xengnttab_copy_ptr foreign = {
            .foreign = { .ref = segs[i].ref, .offset = segs[i].offset, .domid = dom }
        };
        union xengnttab_copy_ptr local = { .virt = segs[i].local };
        g[i].len = segs[i].len;
        if (segs[i].to_grant) {
            g[i].source = local;
            g[i].dest = foreign;
            g[i].flags = GNTCOPY_dest_gref;
        } else {
            g[i].source = foreign;
            g[i].dest = local;
            g[i].flags = GNTCOPY_source_gref;
        }
    }
    int rc = xengnttab_grant_copy(m->xgt, n, g) < 0 ? -errno : 0;
    for (unsigned i = 0; i < n; i++)
        segs[i].status = rc < 0 ? GNTST_general_error : g[i].status;
    free(g);
    return rc;
}

static const struct bb_mapper_ops gnttab_ops = { .map = gnttab_map,
                                                 .unmap = gnttab_unmap,
                                                 .copy = gnttab_copy };

struct bb_gnttab_mapper *bb_gnttab_mapper_open(void)
{
    struct bb_gnttab_mapper *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->base.ops = &gnttab_ops;
    m->xgt = xengnttab_open(NULL, 0);
    if (!m->xgt) {
        int e = errno;
        free(m);
        errno = e;
        return NULL;
    }
    /* Room for many rings, persistent grants and in-flight segments. */
    xengnttab_set_max_grants(m->xgt, 65536);
    return m;
}

void bb_gnttab_mapper_close(struct bb_gnttab_mapper *m)
{
    if (!m)
        return;
    xengnttab_close(m->xgt);
    free(m);
}

struct bb_mapper *bb_gnttab_mapper_base(struct bb_gnttab_mapper *m)
{
    return &m->base;
}
