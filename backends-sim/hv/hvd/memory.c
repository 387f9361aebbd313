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
#define MAX_CHUNKS 4096u /* 4 GiB of guest memory per domain */

struct smem { /* the memory of one sharing */
    uint64_t id;
    int fd, rofd;  /* rofd: -1 until a read-only map wants it */
    uint32_t live; /* frames it still backs */
};

struct back {
    struct smem *s;
    uint32_t page;
};

struct dmem {
    hv_t *hv;
    uint16_t domid;
    int fd;
    uint64_t nframes;
    uint8_t *chunk[MAX_CHUNKS];
    struct back *back[MAX_CHUNKS]; /* per frame: the sharing backing it */
    uint64_t *freel;               /* stack of free gfns */
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
    return m;
}

static void smem_unref(struct smem *s)
{
    if (--s->live)
        return;
    close(s->fd);
    if (s->rofd >= 0)
        close(s->rofd);
    free(s);
}

void dmem_free(struct dmem *m)
{
    if (!m)
        return;
    for (uint64_t c = 0; c * CHUNK_FRAMES < m->nframes; c++) {
        munmap(m->chunk[c], CHUNK_FRAMES * HV_PAGE_SIZE);
        for (unsigned i = 0; i < CHUNK_FRAMES; i++)
            if (m->back[c][i].s)
                smem_unref(m->back[c][i].s);
        free(m->back[c]);
    }
    close(m->fd);
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
    struct back *b = calloc(CHUNK_FRAMES, sizeof(*b));
    if (!b)
        return -ENOMEM;
    void *p = mmap(NULL, CHUNK_FRAMES * HV_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd,
                   (off_t)m->nframes * HV_PAGE_SIZE);
    if (p == MAP_FAILED) {
        free(b);
        return -errno;
    }
    uint64_t first;
    int r = hv_domain_add_frames(m->hv, m->domid, CHUNK_FRAMES, &first);
    if (r < 0 || first != m->nframes) {
        munmap(p, CHUNK_FRAMES * HV_PAGE_SIZE);
        free(b);
        return r < 0 ? r : -EIO;
    }
    m->chunk[c] = p;
    m->back[c] = b;
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

static struct back *back_of(struct dmem *m, uint64_t gfn)
{
    return &m->back[gfn / CHUNK_FRAMES][gfn % CHUNK_FRAMES];
}

/* The frame leaves its sharing: whoever still holds the sharing's memfd
 * finds a hole there, and the daemon's view is the domain's own (zeroed)
 * page again, so the next sharing of the frame is memory nobody else
 * reaches.  -errno if the view could not be switched. */
static int unshare_frame(struct dmem *m, uint64_t gfn)
{
    struct back *b = back_of(m, gfn);
    if (!b->s)
        return 0;
    void *p = dmem_ptr(m, gfn);
    if (fallocate(m->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)gfn * HV_PAGE_SIZE,
                  HV_PAGE_SIZE) < 0)
        return -errno;
    if (mmap(p, HV_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, m->fd,
             (off_t)gfn * HV_PAGE_SIZE) == MAP_FAILED)
        return -errno;
    /* Nothing else must reach the contents: fails only on a broken
     * kernel, and then the page is merely not freed early. */
    (void)fallocate(b->s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                    (off_t)b->page * HV_PAGE_SIZE, HV_PAGE_SIZE);
    smem_unref(b->s);
    *b = (struct back){ NULL, 0 };
    return 0;
}

void dmem_release(struct dmem *m, uint64_t gfn)
{
    if (gfn >= m->nframes)
        return;
    if (unshare_frame(m, gfn) < 0)
        return;
    /* Discard the contents so the next owner starts from zeros, as
     * Linux's gntalloc hands out zeroed pages. */
    if (fallocate(m->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)gfn * HV_PAGE_SIZE,
                  HV_PAGE_SIZE) < 0) {
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

static uint64_t next_smem_id;

int dmem_share(struct dmem *m, const uint64_t *gfns, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++)
        if (gfns[i] >= m->nframes || back_of(m, gfns[i])->s)
            return -EINVAL;
    struct smem *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    char name[48];
    snprintf(name, sizeof(name), "splitbed-dom%u-share", m->domid);
    s->fd = memfd_create(name, MFD_CLOEXEC);
    s->rofd = -1;
    if (s->fd < 0 || ftruncate(s->fd, (off_t)count * HV_PAGE_SIZE) < 0) {
        int e = errno;
        if (s->fd >= 0)
            close(s->fd);
        free(s);
        return -e;
    }
    s->id = ++next_smem_id;
    /* One mmap per run of frames contiguous in the daemon's view. */
    uint32_t done = 0;
    int err = 0;
    while (done < count) {
        uint8_t *p = dmem_ptr(m, gfns[done]);
        uint32_t run = 1;
        while (done + run < count &&
               dmem_ptr(m, gfns[done + run]) == p + (size_t)run * HV_PAGE_SIZE)
            run++;
        if (mmap(p, (size_t)run * HV_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
                 s->fd, (off_t)done * HV_PAGE_SIZE) == MAP_FAILED) {
            err = -errno;
            break;
        }
        for (uint32_t i = done; i < done + run; i++) {
            *back_of(m, gfns[i]) = (struct back){ s, i };
            s->live++;
        }
        done += run;
    }
    if (err) {
        /* hand back what was switched; the rest never was */
        for (uint32_t i = 0; i < done; i++)
            if (unshare_frame(m, gfns[i]) < 0)
                return err; /* the frames stay backed by s: s lives on */
        if (!done) {
            close(s->fd);
            free(s);
        }
        return err;
    }
    return 0;
}

struct smem *dmem_backing(struct dmem *m, uint64_t gfn, uint32_t *page)
{
    if (gfn >= m->nframes)
        return NULL;
    struct back *b = back_of(m, gfn);
    if (page)
        *page = b->page;
    return b->s;
}

uint64_t smem_id(const struct smem *s)
{
    return s->id;
}

int smem_fd(struct smem *s, int readonly)
{
    if (!readonly)
        return s->fd;
    if (s->rofd < 0) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", s->fd);
        s->rofd = open(path, O_RDONLY | O_CLOEXEC);
        if (s->rofd < 0)
            return -errno;
    }
    return s->rofd;
}

uint64_t dmem_frames(const struct dmem *m)
{
    return m->nframes;
}

uint64_t dmem_free_frames(const struct dmem *m)
{
    return m->nfree;
}
