/*
 * record.c — served requests as fuzz_blkback_req corpus entries.
 */
#include "backends-sim/blkback/record.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends-sim/blkback/blkif_proto.h"
#include "backends-sim/recorder/corpus_dir.h"

/* What tests/fuzz/fuzz_blkback_req.c gives a request: its header layout,
 * a one-page ring in frontend page 0, pages 1..15 free for data, the
 * input after the ring filling pages 16.. (indirect pages), every page
 * granted with the ref of its number, a disk of 1 MiB. */
#define HDR 5u
#define RING_BYTES (4096u - offsetof(blkif_sring_t, ring))
#define DATA_REF0 1u
#define DATA_REFS 15u
#define IND_REF0 16u
#define DISK_SECTORS 2048u
#define SEGS_PER_PAGE (4096u / sizeof(struct blkif_request_segment))

_Static_assert(HDR + RING_BYTES + BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST * 4096u <=
                   BB_RECORD_ENTRY_MAX,
               "an indirect request's entry fits");

struct bb_record {
    struct corpus_dir *dir;
    const struct bb_logger *log;
    unsigned char buf[BB_RECORD_ENTRY_MAX];
};

struct bb_record *bb_record_open(const char *dir, unsigned max, const struct bb_logger *log,
                                 char *err, size_t errlen)
{
    struct bb_record *rec = calloc(1, sizeof(*rec));
    if (!rec) {
        snprintf(err, errlen, "record=%s: out of memory", dir);
        return NULL;
    }
    rec->dir = corpus_dir_open(dir, BB_RECORD_TARGET, max, err, errlen);
    if (!rec->dir) {
        free(rec);
        return NULL;
    }
    rec->log = log;
    return rec;
}

void bb_record_close(struct bb_record *rec)
{
    if (!rec)
        return;
    corpus_dir_close(rec->dir);
    free(rec);
}

unsigned bb_record_count(const struct bb_record *rec)
{
    return corpus_dir_count(rec->dir);
}

/* Grant refs renumbered into the target's data pages, in order of first
 * use, so that a ref used twice is one page there too. */
struct renum {
    grant_ref_t seen[DATA_REFS];
    unsigned n, next;
};

static grant_ref_t renum(struct renum *m, grant_ref_t ref)
{
    for (unsigned i = 0; i < m->n; i++)
        if (m->seen[i] == ref)
            return DATA_REF0 + i;
    if (m->n < DATA_REFS) {
        m->seen[m->n] = ref;
        return DATA_REF0 + m->n++;
    }
    return DATA_REF0 + m->next++ % DATA_REFS;
}

/* Sectors the segments cover, or 0 if one leaves its page (served as a
 * violation whatever its sector).  The segments may sit at any byte of
 * the entry, so each is copied out and back. */
static uint64_t renum_segs(struct renum *m, void *at, unsigned n)
{
    uint64_t total = 0;
    bool ok = true;
    for (unsigned i = 0; i < n; i++) {
        struct blkif_request_segment s;
        unsigned char *p = (unsigned char *)at + i * sizeof(s);
        memcpy(&s, p, sizeof(s));
        s.gref = renum(m, s.gref);
        memcpy(p, &s, sizeof(s));
        if (s.first_sect > s.last_sect || s.last_sect >= 8)
            ok = false;
        else
            total += (uint64_t)(s.last_sect - s.first_sect + 1);
    }
    return ok ? total : 0;
}

/* A range beyond the target's disk moved inside it, same length, aligned
 * to the sector size. */
static uint64_t fold(uint64_t sector, uint64_t total, uint32_t sector_size)
{
    if (total == 0 || total > DISK_SECTORS || sector <= DISK_SECTORS - total)
        return sector;
    uint64_t s = sector % (DISK_SECTORS - total + 1);
    uint64_t per = sector_size == 4096 ? 8 : 1;
    return s - s % per;
}

size_t bb_record_entry(const struct bb_ring_config *cfg, const struct blkif_request *req,
                       const struct blkif_request_segment *ind, unsigned nind, unsigned char *buf,
                       uint64_t *shape)
{
    uint8_t flags = 0; /* ring order 0 */
    if (cfg->strict)
        flags |= 0x08;
    if (cfg->persistent && !cfg->grant_copy)
        flags |= 0x10;
    if (cfg->sector_size == 4096)
        flags |= 0x20;
    if (cfg->max_indirect_segments == 0)
        flags |= 0x40;
    if (cfg->readonly)
        flags |= 0x80;
    uint16_t faults = 0; /* no grant fails, every page read-write */
    if (cfg->grant_copy)
        faults |= 0x8000;
    if (cfg->persistent_map == BB_PMAP_OP)
        faults |= 0x4000;
    buf[0] = flags;
    buf[1] = 1; /* one request produced */
    buf[2] = 0; /* from slot 0 */
    buf[3] = (uint8_t)faults;
    buf[4] = (uint8_t)(faults >> 8);

    blkif_request_t q;
    memcpy(&q, req, sizeof(q));
    q.id = 0;
    struct renum m = { .n = 0 };
    size_t len = HDR + sizeof(q), sector_at = 0;
    switch (q.operation) {
    case BLKIF_OP_READ:
    case BLKIF_OP_WRITE:
    case BLKIF_OP_WRITE_BARRIER:
    case BLKIF_OP_FLUSH_DISKCACHE:
        if (q.nr_segments <= BLKIF_MAX_SEGMENTS_PER_REQUEST) {
            uint64_t total = renum_segs(&m, q.seg, q.nr_segments);
            q.sector_number = fold(q.sector_number, total, cfg->sector_size);
        }
        sector_at = offsetof(blkif_request_t, sector_number);
        break;
    case BLKIF_OP_DISCARD: {
        blkif_request_discard_t *d = (blkif_request_discard_t *)&q;
        d->sector_number = fold(d->sector_number, d->nr_sectors, cfg->sector_size);
        sector_at = offsetof(blkif_request_discard_t, sector_number);
        break;
    }
    case BLKIF_OP_INDIRECT: {
        blkif_request_indirect_t *in = (blkif_request_indirect_t *)&q;
        unsigned n = in->nr_segments;
        unsigned pages = (n + SEGS_PER_PAGE - 1) / SEGS_PER_PAGE;
        if (pages > BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST)
            pages = BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST;
        for (unsigned i = 0; i < pages; i++)
            in->indirect_grefs[i] = IND_REF0 + i;
        if (nind && nind == n && pages * SEGS_PER_PAGE >= n) {
            unsigned char *segs = buf + HDR + RING_BYTES;
            memcpy(segs, ind, nind * sizeof(*ind));
            uint64_t total = renum_segs(&m, segs, nind);
            in->sector_number = fold(in->sector_number, total, cfg->sector_size);
            memset(buf + HDR + sizeof(q), 0, RING_BYTES - sizeof(q));
            len = HDR + RING_BYTES + nind * sizeof(*ind);
        }
        sector_at = offsetof(blkif_request_indirect_t, sector_number);
        break;
    }
    default: break;
    }
    memcpy(buf + HDR, &q, sizeof(q));
    /* The shape: the entry with its sector left out. */
    uint64_t sector = 0;
    if (sector_at) {
        memcpy(&sector, buf + HDR + sector_at, sizeof(sector));
        memset(buf + HDR + sector_at, 0, sizeof(sector));
    }
    *shape = corpus_hash(CORPUS_HASH_INIT, buf, len);
    if (sector_at)
        memcpy(buf + HDR + sector_at, &sector, sizeof(sector));
    return len;
}

void bb_record_request(void *ctx, const struct bb_ring_config *cfg, const struct blkif_request *req,
                       const struct blkif_request_segment *ind, unsigned nind)
{
    struct bb_record *rec = ctx;
    uint64_t shape;
    size_t len = bb_record_entry(cfg, req, ind, nind, rec->buf, &shape);
    if (corpus_dir_seen(rec->dir, shape))
        return;
    char err[300];
    if (corpus_dir_add(rec->dir, rec->buf, len, err, sizeof(err)) < 0)
        bb_log(rec->log, "blkback: %s", err);
}
