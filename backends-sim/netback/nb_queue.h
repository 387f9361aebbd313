/*
 * nb_queue.h — one netif queue seen from the backend: its tx ring (frames
 * the guest sends) and rx ring (frames for the guest), no I/O of its own.
 *
 * The frontend is not trusted.  Every request is copied out of the ring
 * once (RING_COPY_REQUEST) and checked: producer overrun, slot chains
 * longer than the ring holds or than XEN_NETIF_NR_SLOTS_MIN allows, a slot
 * that leaves its page, fragments larger than the frame, unknown extra
 * info.  A protocol violation breaks the queue with one diagnostic line
 * (nb_queue_why) and it is never looked at again; a frame that is merely
 * unusable (too short, a failed grant copy) is answered with an error and
 * the queue goes on.  Zero-length fragments are answered without touching
 * their grant (XSA-448).
 */
#ifndef SPLITBED_NB_QUEUE_H
#define SPLITBED_NB_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends-sim/netback/nb_env.h"
#include "backends-sim/netback/nb_meta.h"

#include <xen/io/netif.h>

#define NB_PAGE 4096u
#define NB_MAX_FRAME 65535u
#define NB_MAX_SLOTS XEN_NETIF_NR_SLOTS_MIN /* frames above it are dropped */
#define NB_FATAL_SLOTS 20u                  /* chains above it are hostile */
#define NB_TX_BATCH 64u                     /* frames per grant-copy batch */
#define NB_TX_BATCH_BYTES (256u * 1024u)    /* and bytes */
#define NB_RX_BATCH 64u                     /* frames per rx grant-copy batch */

struct nb_queue;
/* Sees each tx frame taken (dropped ones included, not those that broke
 * the queue), from the copies the core parsed, never the ring: its data
 * slots in order and the extra-info slots that followed the first.
 * nb_record.h keeps them as fuzz corpus entries. */
typedef void nb_record_fn(void *ctx, const struct nb_queue *q, const netif_tx_request_t *slots,
                          unsigned nslots, const netif_tx_request_t *extras, unsigned nextras);

struct nb_queue_stats {
    uint64_t tx_frames, tx_bytes, tx_errors, tx_dropped;
    uint64_t rx_frames, rx_bytes, rx_dropped;
};

struct nb_queue {
    const struct nb_env *env;
    domid_t dom;
    unsigned idx;
    netif_tx_back_ring_t tx;
    netif_rx_back_ring_t rx;
    evtchn_port_t port_tx, port_rx; /* local ports; equal when shared */
    bool fe_sg, fe_gso4, fe_gso6;   /* what the frontend accepts on rx */
    bool fe_csum4, fe_csum6;        /* blank checksums it accepts on rx */
    /* Whoever takes the guest's frames completes blank checksums itself
     * (a TAP with virtio-net headers): they are handed on blank, located
     * (nb_meta.csum_start/offset), rather than completed here. */
    bool pass_csum_blank;
    bool broken;
    char why[200];
    struct nb_queue_stats st;
    nb_record_fn *record; /* NULL: nothing recorded */
    void *record_ctx;
    /* Frames parsed in one sweep, copied with one grant-copy batch. */
    struct nb_tx_pending {
        RING_IDX cons;
        uint16_t n;      /* slots consumed, extras included */
        uint16_t nslots; /* data slots */
        uint16_t ids[NB_FATAL_SLOTS];
        uint32_t extra_mask; /* which of the n slots are extra info */
        int16_t status;
        uint32_t off, len; /* in batch */
        uint16_t op_first, op_count;
        struct nb_meta meta;
    } pend[NB_TX_BATCH];
    struct nb_copy ops[NB_TX_BATCH * NB_MAX_SLOTS];
    uint8_t batch[NB_TX_BATCH_BYTES];
    uint8_t rx_fix[NB_MAX_FRAME]; /* a frame whose checksum we complete */
    /* Frames placed in the guest's buffers, copied and answered at once
     * by nb_queue_rx_flush. */
    struct nb_rx_pending {
        uint16_t need; /* slots taken, the extra info's included */
        bool extra;
        uint16_t flags; /* the first response's checksum flags */
        uint16_t gso_size;
        uint8_t gso_type;
        uint16_t op_first, nop;
        uint16_t ids[NB_MAX_SLOTS + 1];
        uint32_t len;
    } rxp[NB_RX_BATCH];
    unsigned nrxp, nrxops;
    struct nb_copy rxops[NB_RX_BATCH * NB_MAX_SLOTS];
};

/* Frames the guest sent are handed to this, one by one. */
typedef void (*nb_deliver_fn)(void *arg, struct nb_queue *q, const uint8_t *frame, size_t len,
                              const struct nb_meta *meta);

/* Attaches to rings already mapped (never reinitialising them: D12). */
void nb_queue_attach(struct nb_queue *q, const struct nb_env *env, domid_t dom, unsigned idx,
                     void *tx_sring, void *rx_sring);

/* Consumes up to `budget` tx frames.  Returns how many were consumed (0
 * when none are waiting), or -EPROTO once the queue is broken. */
int nb_queue_tx(struct nb_queue *q, unsigned budget, nb_deliver_fn deliver, void *arg);

/* Places one frame into the guest's rx buffers.  0 done; -EAGAIN when the
 * guest has not posted enough buffers (retry after its next event);
 * -EMSGSIZE if it cannot take a frame this size (dropped); -EPROTO once
 * broken. */
int nb_queue_rx(struct nb_queue *q, const uint8_t *frame, size_t len, const struct nb_meta *meta);
/* The same in a batch: the frame takes its buffers now and is copied,
 * answered and notified with the others at nb_queue_rx_flush(), so its
 * bytes must stay where they are until then (a full batch flushes by
 * itself).  Same return values. */
int nb_queue_rx_add(struct nb_queue *q, const uint8_t *frame, size_t len,
                    const struct nb_meta *meta);
void nb_queue_rx_flush(struct nb_queue *q);

/* Marks the queue broken with a diagnosis (also used by the owner). */
void nb_queue_break(struct nb_queue *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
