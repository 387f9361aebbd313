/*
 * record.h — blkback's request recorder (`--opt record=DIR`): each
 * request the core served becomes a corpus entry of the fuzz target
 * tests/fuzz/fuzz_blkback_req.c, in DIR/fuzz_blkback_req/, so that what
 * real frontends send (Linux's xen-blkfront under `make test-xen`, ours
 * under `make fuzz-seeds`) seeds the fuzzer.
 *
 * An entry is exactly that target's input: a header that gives the
 * target's world this ring's negotiated features (persistent grants,
 * indirect descriptors, sector size, read-only, strict, grant copy), one
 * request on a one-page ring, and for an indirect request the segment
 * pages it pointed at.  Grant references are renumbered into the pages
 * the target grants (data: refs 1..15 in order of first use; indirect
 * pages: 16..23), the id is 0, and a sector range beyond the target's
 * 1 MiB disk is moved inside it, keeping its length and alignment: so a
 * request served here is served there by the same path.
 *
 * One entry per request shape (everything but id, sector and refs), at
 * most `max` per folder.  Names are the content's hash: a request
 * recorded again is the same file.
 */
#ifndef SPLITBED_BLKBACK_RECORD_H
#define SPLITBED_BLKBACK_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "backends-sim/blkback/log.h"
#include "backends-sim/blkback/ring.h"

#define BB_RECORD_TARGET "fuzz_blkback_req"
#define BB_RECORD_DEFAULT_MAX 256u

struct bb_record;

/* Opens DIR/fuzz_blkback_req (created as needed).  NULL with one line in
 * err.  Lines about the recording (a write that failed) go to log. */
struct bb_record *bb_record_open(const char *dir, unsigned max, const struct bb_logger *log,
                                 char *err, size_t errlen);
void bb_record_close(struct bb_record *rec);

/* A bb_record_fn: ctx is the struct bb_record. */
void bb_record_request(void *ctx, const struct bb_ring_config *cfg, const struct blkif_request *req,
                       const struct blkif_request_segment *ind, unsigned nind);

/* Entries in the folder as far as this process knows. */
unsigned bb_record_count(const struct bb_record *rec);

/* Builds the entry for one request into buf (BB_RECORD_ENTRY_MAX bytes);
 * returns its length.  *shape gets the key of its shape. */
#define BB_RECORD_ENTRY_MAX (5u + 4096u + 8u * 4096u)
size_t bb_record_entry(const struct bb_ring_config *cfg, const struct blkif_request *req,
                       const struct blkif_request_segment *ind, unsigned nind, unsigned char *buf,
                       uint64_t *shape);

#endif
