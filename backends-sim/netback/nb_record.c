/*
 * nb_record.c — tx frames taken as fuzz_netback_tx corpus entries.
 */
#include "backends-sim/netback/nb_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends-sim/recorder/corpus_dir.h"

/* What tests/fuzz/fuzz_netback_tx.c gives a frame: eight granted pages
 * with refs 8..15, tx and rx slots alternating after two header bytes. */
#define REF0 8u
#define NPAGES 8u
#define ETH_HLEN 14u

struct nb_record {
    struct corpus_dir *dir;
    void (*log)(void *arg, const char *line);
    void *log_arg;
    uint8_t buf[NB_RECORD_ENTRY_MAX];
};

struct nb_record *nb_record_open(const char *dir, unsigned max,
                                 void (*log)(void *arg, const char *line), void *log_arg, char *err,
                                 size_t errlen)
{
    struct nb_record *rec = calloc(1, sizeof(*rec));
    if (!rec) {
        snprintf(err, errlen, "record=%s: out of memory", dir);
        return NULL;
    }
    rec->dir = corpus_dir_open(dir, NB_RECORD_TARGET, max, err, errlen);
    if (!rec->dir) {
        free(rec);
        return NULL;
    }
    rec->log = log;
    rec->log_arg = log_arg;
    return rec;
}

void nb_record_close(struct nb_record *rec)
{
    if (!rec)
        return;
    corpus_dir_close(rec->dir);
    free(rec);
}

unsigned nb_record_count(const struct nb_record *rec)
{
    return corpus_dir_count(rec->dir);
}

size_t nb_record_entry(const struct nb_queue *q, const netif_tx_request_t *slots, unsigned nslots,
                       const netif_tx_request_t *extras, unsigned nextras, uint8_t *buf,
                       uint64_t *shape)
{
    netif_tx_request_t ring[NB_RECORD_SLOTS];
    unsigned n = 0;
    if (nslots > NB_FATAL_SLOTS)
        nslots = NB_FATAL_SLOTS;
    if (nextras > XEN_NETIF_EXTRA_TYPE_MAX)
        nextras = XEN_NETIF_EXTRA_TYPE_MAX;
    grant_ref_t seen[NPAGES];
    unsigned nseen = 0, wrap = 0;
    for (unsigned i = 0; i < nslots; i++) {
        netif_tx_request_t s = slots[i];
        unsigned k = 0;
        while (k < nseen && seen[k] != s.gref)
            k++;
        if (k == nseen) {
            if (nseen < NPAGES)
                seen[nseen++] = s.gref;
            else
                k = wrap++ % NPAGES;
        }
        s.gref = REF0 + k;
        ring[n++] = s;
        if (i == 0)
            for (unsigned e = 0; e < nextras; e++)
                ring[n++] = extras[e];
    }
    /* Ids: the ring position of each data slot. */
    for (unsigned i = 0, d = 0; i < n; i++)
        if (i == 0 || i > nextras)
            ring[i].id = (uint16_t)d++;

    buf[0] = 0; /* req_prod exactly at the last slot */
    buf[1] = (uint8_t)((q->fe_sg ? 1 : 0) | (q->fe_gso4 ? 2 : 0) | (q->fe_gso6 ? 4 : 0) |
                       (q->fe_csum4 ? 0x80 : 0) | (q->fe_csum6 ? 0x40 : 0));
    size_t len = 2;
    for (unsigned i = 0; i < n; i++) {
        memcpy(buf + len, &ring[i], sizeof(ring[i]));
        len += sizeof(ring[i]);
        if (i + 1 == n)
            break;
        netif_rx_request_t rx = { .id = (uint16_t)i, .gref = REF0 + i % NPAGES };
        memset(buf + len, 0, sizeof(netif_tx_request_t));
        memcpy(buf + len, &rx, sizeof(rx));
        len += sizeof(netif_tx_request_t);
    }

    /* The shape: the entry without offsets and sizes, but with whether
     * the frame is shorter than an Ethernet header. */
    uint64_t h = corpus_hash(CORPUS_HASH_INIT, buf, 2);
    for (unsigned i = 0; i < n; i++) {
        netif_tx_request_t s = ring[i];
        if (i == 0 || i > nextras) {
            s.offset = 0;
            s.size = i == 0 && ring[0].size < ETH_HLEN;
        }
        h = corpus_hash(h, &s, sizeof(s));
    }
    *shape = h;
    return len;
}

void nb_record_frame(void *ctx, const struct nb_queue *q, const netif_tx_request_t *slots,
                     unsigned nslots, const netif_tx_request_t *extras, unsigned nextras)
{
    struct nb_record *rec = ctx;
    uint64_t shape;
    size_t len = nb_record_entry(q, slots, nslots, extras, nextras, rec->buf, &shape);
    if (corpus_dir_seen(rec->dir, shape))
        return;
    char err[300], line[340];
    if (corpus_dir_add(rec->dir, rec->buf, len, err, sizeof(err)) < 0) {
        snprintf(line, sizeof(line), "splitbed-netback: %s", err);
        if (rec->log)
            rec->log(rec->log_arg, line);
        else
            fprintf(stderr, "%s\n", line);
    }
}
