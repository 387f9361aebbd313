#include "backends-sim/hv/hvd/memory.h"
#include "backends-sim/hv/core/hv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Frames are added 256 at a time (1 MiB), each chunk mapped on its own so
 * growing never moves what is already mapped. */
#define CHUNK_FRAMES 256u
#define MAX_CHUNKS   4096u     /* 4 GiB of guest memory per domain */

struct dmem {
    hv_t *hv;
    uint16_t domid;
    int fd, rofd;
    uint64_t nframes;
    uint8_t *chunk[MAX_CHUNKS];
    uint64_t *freel;           /* stack of free gfns */
    uint64_t nfree, capfree;
};

struct dmem *dmem_new(struct hv *hv, uint16_t d)
{
    struct dmem *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    char name[32];
    snprintf(name, sizeof(name), "splitbed-dom%u", d);
    m->hv = hv;
    m->domid = d;
    m->fd = memfd_create(name, MFD_CLOEXEC);
    if (m->fd < 0) {
        free(m);
        return NULL;
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", m->fd);
    m->rofd = open(path, O_RDONLY | O_CLOEXEC);
    if (m->rofd < 0) {
        close(m->fd);
        free(m);
        return NULL;
    }
    return m;
}

void dmem_free(struct dmem *m)
{
    if (!m)
        return;
    for (uint64_t c = 0; c * CHUNK_FRAMES < m->nframes; c++)
        munmap(m->chunk[c], CHUNK_FRAMES * HV_PAGE_SIZE);
    close(m->fd);
    close(m->rofd);
    free(m->freel);
    free(m);
}

static int push_free(struct dmem *m, uint64_t gfn)
{
    if (m->nfree == m->capfree) {
        uint64_t cap = m->capfree ? m->capfree * 2 : CHUNK_FRAMES;
        uint64_t *n = realloc(m->freel, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        m->freel = n;
        m->capfree = cap;
    }
    m->freel[m->nfree++] = gfn;
    return 0;
}

static int grow(struct dmem *m)
{
    uint64_t c = m->nframes / CHUNK_FRAMES;
    if (c >= MAX_CHUNKS)
        return -ENOMEM;
    off_t size = (off_t)(m->nframes + CHUNK_FRAMES) * HV_PAGE_SIZE;
    if (ftruncate(m->fd, size) < 0)
        return -errno;
    void *p = mmap(NULL, CHUNK_FRAMES * HV_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
                   m->fd, (off_t)m->nframes * HV_PAGE_SIZE);
    if (p == MAP_FAILED)
        return -errno;
    uint64_t first;
    int r = hv_domain_add_frames(m->hv, m->domid, CHUNK_FRAMES, &first);
    if (r < 0 || first != m->nframes) {
        munmap(p, CHUNK_FRAMES * HV_PAGE_SIZE);
        return r < 0 ? r : -EIO;
    }
    m->chunk[c] = p;
    m->nframes += CHUNK_FRAMES;
    /* Push in reverse so frames are handed out in ascending order: shares
     * of several pages then tend to be contiguous in the memfd. */
    for (uint64_t i = CHUNK_FRAMES; i-- > 0;)
        if (push_free(m, first + i) < 0)
            return -ENOMEM;
    return 0;
}

int dmem_alloc(struct dmem *m, uint64_t *gfn)
{
    if (!m->nfree) {
        int r = grow(m);
        if (r < 0)
            return r;
    }
    *gfn = m->freel[--m->nfree];
    return 0;
}

void dmem_release(struct dmem *m, uint64_t gfn)
{
    if (gfn >= m->nframes)
        return;
    /* Discard the contents so the next owner starts from zeros, as
     * Linux's gntalloc hands out zeroed pages. */
    if (fallocate(m->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                  (off_t)gfn * HV_PAGE_SIZE, HV_PAGE_SIZE) < 0) {
        uint8_t *p = dmem_ptr(m, gfn);
        for (unsigned i = 0; i < HV_PAGE_SIZE; i++)
            p[i] = 0;
    }
    push_free(m, gfn);
}

void *dmem_ptr(struct dmem *m, uint64_t gfn)
{
    if (gfn >= m->nframes)
        return NULL;
    return m->chunk[gfn / CHUNK_FRAMES] + (gfn % CHUNK_FRAMES) * HV_PAGE_SIZE;
}

int dmem_fd(struct dmem *m, int readonly)
{
    return readonly ? m->rofd : m->fd;
}

uint64_t dmem_frames(const struct dmem *m)
{
    return m->nframes;
}

uint64_t dmem_free_frames(const struct dmem *m)
{
    return m->nfree;
}
