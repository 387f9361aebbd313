/*
 * mapper_memfd.c — grant mapping over a memfd, for tests and fuzzing.
 */
#include "backends-sim/blkback/mapper_memfd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE_BYTES 4096u

struct grant {
    bool valid, readonly, fail;
    unsigned page;
};

struct bb_memfd_mapper {
    struct bb_mapper base; /* first: the ops see this */
    domid_t dom;
    int fd;
    unsigned npages, max_refs;
    void *front;
    struct grant *grants;
    unsigned mapped;
    unsigned long long copied;
    void (*on_map)(void *ctx, unsigned nth);
    void *on_map_ctx;
    unsigned maps; /* map calls so far */
};

static void *memfd_map(struct bb_mapper *bm, domid_t dom, unsigned count, const grant_ref_t *refs,
                       bool writable)
{
    struct bb_memfd_mapper *m = (struct bb_memfd_mapper *)bm;
    if (m->on_map)
        m->on_map(m->on_map_ctx, m->maps);
    m->maps++;
    if (count == 0) {
        errno = EINVAL;
        return NULL;
    }
    for (unsigned i = 0; i < count; i++) {
        grant_ref_t r = refs[i];
        if (dom != m->dom || r >= m->max_refs || !m->grants[r].valid || m->grants[r].fail) {
            errno = EINVAL;
            return NULL;
        }
        if (writable && m->grants[r].readonly) {
            errno = EACCES;
            return NULL;
        }
    }
    int prot = PROT_READ | (writable ? PROT_WRITE : 0);
    char *va =
        mmap(NULL, (size_t)count * PAGE_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (va == MAP_FAILED)
        return NULL;
    for (unsigned i = 0; i < count; i++) {
        off_t off = (off_t)m->grants[refs[i]].page * PAGE_BYTES;
        if (mmap(va + (size_t)i * PAGE_BYTES, PAGE_BYTES, prot, MAP_SHARED | MAP_FIXED, m->fd,
                 off) == MAP_FAILED) {
            int e = errno;
            munmap(va, (size_t)count * PAGE_BYTES);
            errno = e;
            return NULL;
        }
    }
    m->mapped += count;
    return va;
}

static int memfd_unmap(struct bb_mapper *bm, void *addr, unsigned count)
{
    struct bb_memfd_mapper *m = (struct bb_memfd_mapper *)bm;
    if (munmap(addr, (size_t)count * PAGE_BYTES) < 0)
        return -errno;
    m->mapped -= count;
    return 0;
}

static int memfd_copy(struct bb_mapper *bm, domid_t dom, unsigned n, struct bb_copy *segs)
{
    struct bb_memfd_mapper *m = (struct bb_memfd_mapper *)bm;
    for (unsigned i = 0; i < n; i++) {
        struct bb_copy *c = &segs[i];
        grant_ref_t r = c->ref;
        if (dom != m->dom || r >= m->max_refs || !m->grants[r].valid || m->grants[r].fail)
            c->status = GNTST_bad_gntref;
        else if ((unsigned)c->offset + c->len > PAGE_BYTES)
            c->status = GNTST_bad_copy_arg;
        else if (c->to_grant && m->grants[r].readonly)
            c->status = GNTST_general_error; /* Xen: write-pin of a read-only entry */
        else {
            char *page = (char *)m->front + (size_t)m->grants[r].page * PAGE_BYTES + c->offset;
            if (c->to_grant)
                memcpy(page, c->local, c->len);
            else
                memcpy(c->local, page, c->len);
            c->status = GNTST_okay;
            m->copied += c->len;
        }
    }
    return 0;
}

static const struct bb_mapper_ops memfd_ops = { .map = memfd_map,
                                                .unmap = memfd_unmap,
                                                .copy = memfd_copy };

struct bb_memfd_mapper *bb_memfd_mapper_new(domid_t dom, unsigned npages, unsigned max_refs)
{
    struct bb_memfd_mapper *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->base.ops = &memfd_ops;
    m->dom = dom;
    m->npages = npages;
    m->max_refs = max_refs;
    m->grants = calloc(max_refs, sizeof(*m->grants));
    m->fd = memfd_create("splitbed-frontend", MFD_CLOEXEC);
    if (!m->grants || m->fd < 0 || ftruncate(m->fd, (off_t)npages * PAGE_BYTES) < 0)
        goto fail;
    m->front =
        mmap(NULL, (size_t)npages * PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
    if (m->front == MAP_FAILED) {
        m->front = NULL;
        goto fail;
    }
    return m;
fail:
    bb_memfd_mapper_free(m);
    return NULL;
}

void bb_memfd_mapper_free(struct bb_memfd_mapper *m)
{
    if (!m)
        return;
    if (m->front)
        munmap(m->front, (size_t)m->npages * PAGE_BYTES);
    if (m->fd >= 0)
        close(m->fd);
    free(m->grants);
    free(m);
}

int bb_memfd_mapper_reset(struct bb_memfd_mapper *m)
{
    if (m->mapped)
        return -EBUSY;
    memset(m->front, 0, (size_t)m->npages * PAGE_BYTES);
    memset(m->grants, 0, (size_t)m->max_refs * sizeof(*m->grants));
    m->copied = 0;
    m->on_map = NULL;
    m->maps = 0;
    return 0;
}

struct bb_mapper *bb_memfd_mapper_base(struct bb_memfd_mapper *m)
{
    return &m->base;
}

void *bb_memfd_frontend_page(struct bb_memfd_mapper *m, unsigned page)
{
    return page < m->npages ? (char *)m->front + (size_t)page * PAGE_BYTES : NULL;
}

int bb_memfd_grant(struct bb_memfd_mapper *m, grant_ref_t ref, unsigned page, bool readonly)
{
    if (ref >= m->max_refs || page >= m->npages)
        return -EINVAL;
    m->grants[ref] = (struct grant){ .valid = true, .readonly = readonly, .page = page };
    return 0;
}

int bb_memfd_revoke(struct bb_memfd_mapper *m, grant_ref_t ref)
{
    if (ref >= m->max_refs)
        return -EINVAL;
    m->grants[ref].valid = false;
    return 0;
}

void bb_memfd_fail_ref(struct bb_memfd_mapper *m, grant_ref_t ref, bool fail)
{
    if (ref < m->max_refs)
        m->grants[ref].fail = fail;
}

unsigned bb_memfd_mapped_pages(const struct bb_memfd_mapper *m)
{
    return m->mapped;
}

unsigned long long bb_memfd_copied_bytes(const struct bb_memfd_mapper *m)
{
    return m->copied;
}

void bb_memfd_on_map(struct bb_memfd_mapper *m, void (*fn)(void *ctx, unsigned nth), void *ctx)
{
    m->on_map = fn;
    m->on_map_ctx = ctx;
    m->maps = 0;
}
