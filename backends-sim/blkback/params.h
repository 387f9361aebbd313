/*
 * params.h — blkback's knobs (`--opt key=value`), one per feature a real
 * backend may or may not offer and per deviation real backends show.
 * README.md lists them with their defaults; defaults follow Linux blkback.
 */
#ifndef SPLITBED_BLKBACK_PARAMS_H
#define SPLITBED_BLKBACK_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends-sim/blkback/ring.h"

enum bb_features_at { BB_FEATURES_AT_CONNECTED, BB_FEATURES_AT_PROBE };

struct bb_params {
    int max_ring_page_order;        /* 0..4; -1: no multi-page rings */
    unsigned max_indirect_segments; /* 0: no indirect descriptors */
    bool persistent;
    unsigned max_persistent_grants;
    enum bb_persistent_map persistent_map; /* rw (Linux) or op */
    bool grant_copy;                       /* move data by grant copy, not mappings */
    bool flush, barrier;
    bool discard, discard_secure;
    uint32_t discard_granularity; /* bytes; 0: the physical sector size */
    uint32_t discard_alignment;
    uint32_t sector_size;          /* 512 or 4096 */
    uint32_t physical_sector_size; /* 0: same as sector_size */
    enum bb_features_at features_at;
    bool skip_initwait;
    bool readonly, cdrom, removable;
    bool strict;
    unsigned max_queues; /* multi-queue-max-queues; 0: not written */
    unsigned batch;      /* requests per device per turn */
    bool resize_on_io;
    unsigned resize_check_ms; /* resize-on-io looks at most this often; 0: every batch */
    bool hotplug_status;
    /* Faults a user asks for (faults.h); 0: none. */
    uint64_t fault_crash_after;  /* die abruptly once this many requests were served */
    unsigned fault_delay_us;     /* sleep this long per request served */
    unsigned fault_grant_fail;   /* per mille of grant maps and copies that fail */
    uint64_t fault_report_after; /* say "served N" on the report fd once N were served */
    uint64_t fault_seed;         /* the draws of fault_grant_fail */
    /* Served requests kept as fuzz corpus entries (record.h). */
    char record[512];    /* the folder; empty: nothing recorded */
    unsigned record_max; /* entries at most */
};

void bb_params_default(struct bb_params *p);
/* Applies one "key=value".  Returns 0, or -1 with a message (naming the
 * key and what is wrong) in err. */
int bb_params_set(struct bb_params *p, const char *kv, char *err, size_t errlen);
/* Cross-checks after all knobs are set; same contract. */
int bb_params_check(const struct bb_params *p, char *err, size_t errlen);

#endif
