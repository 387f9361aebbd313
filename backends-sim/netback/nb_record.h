/*
 * nb_record.h — netback's request recorder (`--opt record=DIR`): each tx
 * frame a queue took becomes a corpus entry of the fuzz target
 * tests/fuzz/fuzz_netback_tx.c, in DIR/fuzz_netback_tx/, so that what
 * real frontends send (Linux's xen-netfront under `make test-xen`, ours
 * under `make fuzz-seeds`) seeds the fuzzer.
 *
 * An entry is exactly that target's input: no producer overshoot, the
 * features the frontend negotiated for this queue (sg, GSO, blank
 * checksums), then the frame's slots as they lay in the ring (first,
 * extra info, fragments) interleaved with rx requests, since the target
 * alternates tx and rx slots: rx slot i asks for one page, id i.  Grant
 * references are renumbered into the target's eight pages in order of
 * first use, and ids count the slots from 0; offsets, sizes, flags and
 * extra info are kept, so a frame taken here is taken there by the same
 * path.
 *
 * One entry per frame shape (everything but offsets and sizes, save
 * whether the frame is shorter than an Ethernet header), at most `max`
 * per folder.  Names are the content's hash.
 */
#ifndef SPLITBED_NB_RECORD_H
#define SPLITBED_NB_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "backends-sim/netback/nb_queue.h"

#define NB_RECORD_TARGET "fuzz_netback_tx"
#define NB_RECORD_DEFAULT_MAX 256u

struct nb_record;

/* Opens DIR/fuzz_netback_tx (created as needed).  NULL with one line in
 * err.  log gets the line of a write that failed (NULL: stderr). */
struct nb_record *nb_record_open(const char *dir, unsigned max,
                                 void (*log)(void *arg, const char *line), void *log_arg, char *err,
                                 size_t errlen);
void nb_record_close(struct nb_record *rec);

/* An nb_record_fn: ctx is the struct nb_record. */
void nb_record_frame(void *ctx, const struct nb_queue *q, const netif_tx_request_t *slots,
                     unsigned nslots, const netif_tx_request_t *extras, unsigned nextras);

unsigned nb_record_count(const struct nb_record *rec);

/* The entry for one frame into buf (NB_RECORD_ENTRY_MAX bytes); its
 * length, and its shape's key in *shape. */
#define NB_RECORD_SLOTS (NB_FATAL_SLOTS + XEN_NETIF_EXTRA_TYPE_MAX)
#define NB_RECORD_ENTRY_MAX (2u + 2u * NB_RECORD_SLOTS * sizeof(netif_tx_request_t))
size_t nb_record_entry(const struct nb_queue *q, const netif_tx_request_t *slots, unsigned nslots,
                       const netif_tx_request_t *extras, unsigned nextras, uint8_t *buf,
                       uint64_t *shape);

#endif
