/*
 * netfront.h — portable Xen network frontend (<xen/io/netif.h>).
 *
 * What it promises:
 *  - The netif handshake as Linux netfront does it: wait for the backend's
 *    InitWait, read its features, share the rings and write
 *    tx-ring-ref/rx-ring-ref, event-channel or event-channel-tx/-rx, and
 *    multi-queue-num-queues with queue-N/ directories when more than one
 *    queue is used; request-rx-copy, feature-rx-notify, feature-sg,
 *    feature-gso-tcpv4/v6, feature-ipv6-csum-offload; then Connected.
 *  - Checksum offload both ways, as Linux netfront: a frame sent with
 *    csum_blank goes out with NETTXF_csum_blank (the backend completes its
 *    TCP/UDP checksum; IPv6 only if the backend offers
 *    feature-ipv6-csum-offload), and received frames report
 *    NETRXF_csum_blank and NETRXF_data_validated.  With no_csum_offload
 *    it writes feature-no-csum-offload=1 instead and takes only frames
 *    whose checksums are complete.
 *  - Frames of up to 65535 bytes over up to XEN_NETIF_NR_SLOTS_MIN slots,
 *    with a GSO extra-info segment when asked and negotiated.
 *  - Transmit answers are asked for in batches: the backend notifies once
 *    half of the frames outstanding on a queue are answered (never later
 *    than the last), so a sender that keeps its ring full is woken once
 *    per half ring rather than once per backend pass.
 *  - A backend is not trusted: responses are copied out of the ring before
 *    use, response counts and ids are checked, and a backend that breaks
 *    the protocol turns the device NETFRONT_BROKEN with one log line
 *    naming the rule; nothing it does makes the driver crash or spin.
 *  - Never blocks.  The app's loop calls netfront_poll() whenever os_wait()
 *    returns, and waits again when it reports no progress.  netfront_poll()
 *    drains the os's pending watch events and event-channel notifications
 *    and then looks at its rings (and, during the handshake, at the
 *    backend's state) whatever it found, so a notification another driver
 *    of the same app consumed is never lost.
 */
#ifndef SPLITBED_NETFRONT_H
#define SPLITBED_NETFRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct os;
struct netfront;

#define NETFRONT_MAX_QUEUES 8u
#define NETFRONT_MAX_FRAME 65535u /* XEN_NETIF_MAX_TX_SIZE */

enum netfront_state {
    NETFRONT_CONNECTING, /* handshake in progress */
    NETFRONT_CONNECTED,  /* frames flow */
    NETFRONT_CLOSING,    /* the backend left Connected; drain, then close */
    NETFRONT_CLOSED,     /* both ends are Closed (after netfront_close) */
    NETFRONT_BROKEN,     /* the backend broke a rule; see the log */
};

struct netfront_opts {
    unsigned max_queues;  /* 0 = 1; capped by multi-queue-max-queues */
    bool no_split_evtchn; /* use one event channel even if offered */
    bool no_sg;           /* do not advertise feature-sg */
    bool no_gso;          /* do not advertise feature-gso-tcpv4/v6 */
    bool no_csum_offload; /* write feature-no-csum-offload=1: complete checksums only */
};

/* GSO metadata carried in an extra-info segment (gso_type 0 = none). */
struct netfront_meta {
    uint16_t gso_size;
    uint8_t gso_type; /* XEN_NETIF_GSO_TYPE_* */
    unsigned queue;   /* queue to send on / received on */
    /* The TCP/UDP checksum holds only the pseudo-header's sum: whoever
     * needs it complete completes it (tx: the backend; rx: the app). */
    bool csum_blank;
    /* The checksum is known good (rx: the backend checked it or made the
     * frame; tx: tell the backend so). */
    bool data_validated;
};

/* Starts the handshake for `node` (e.g. "device/vif/0").  Returns 0 and
 * *out, or a negative error after one log line (missing backend nodes,
 * no memory …). */
int netfront_open(struct os *os, const char *node, const struct netfront_opts *opts,
                  struct netfront **out);

/* Consumes watches and events addressed to this device, advances the
 * handshake, reclaims transmitted slots and refills receive buffers.
 * Returns 1 if anything progressed, 0 if not, negative once broken. */
int netfront_poll(struct netfront *nf);

enum netfront_state netfront_state(const struct netfront *nf);
const char *netfront_state_name(enum netfront_state s);

/* Queues one Ethernet frame.  0, -OS_EAGAIN when the ring or buffers are
 * full (poll and retry), -OS_E2BIG when it needs more slots than
 * negotiated, -OS_EINVAL for an empty frame, unnegotiated GSO or a blank
 * IPv6 checksum the backend does not offer to complete,
 * -OS_ENOTCONN-like -OS_ESHUTDOWN when not connected. */
int netfront_send(struct netfront *nf, const void *frame, size_t len,
                  const struct netfront_meta *meta);

/* Takes the next received frame: its length (> 0), 0 if none is waiting,
 * or negative.  A frame longer than `size` is dropped with -OS_E2BIG. */
long netfront_recv(struct netfront *nf, void *buf, size_t size, struct netfront_meta *meta);

/* True while frames sent are not yet answered by the backend. */
bool netfront_tx_pending(const struct netfront *nf);

void netfront_mac(const struct netfront *nf, uint8_t mac[6]);
unsigned netfront_num_queues(const struct netfront *nf);
bool netfront_split_evtchn(const struct netfront *nf);
bool netfront_sg(const struct netfront *nf); /* backend and we agreed */
bool netfront_gso(const struct netfront *nf);
/* Whether csum_blank may be sent on IPv4 (always) and IPv6 (the backend
 * offers feature-ipv6-csum-offload) frames. */
bool netfront_csum_offload_ipv6(const struct netfront *nf);

struct netfront_stats {
    uint64_t tx_frames, tx_bytes, rx_frames, rx_bytes;
    uint64_t rx_errors, rx_dropped, tx_errors, spurious_events;
};
void netfront_stats(const struct netfront *nf, struct netfront_stats *st);

/* Starts closing: Closing now, Closed once the backend has let go; poll
 * until netfront_state() is NETFRONT_CLOSED (or give up after a deadline). */
int netfront_close(struct netfront *nf);
/* Ends grants and frees memory; pages still mapped by the backend are
 * leaked rather than reused (XSA-396). */
void netfront_free(struct netfront *nf);

#ifdef SPLITBED_FUZZ
/* For fuzz targets that keep one connected device between inputs: puts a
 * device that connected, and that its backend may since have broken,
 * back where it stood when it connected.
 * Frames sent and not answered are forgotten, the ring pages are zeroed
 * and their indices start again, every receive buffer is posted again
 * (without an event, as at connecting).  The frame pages keep what they
 * held and the statistics keep counting.  The backend must forget the
 * rings' old indices too.  -OS_EPROTO, changing nothing, when the device
 * is neither connected nor broken, or its queues are not set up. */
int netfront_rewind(struct netfront *nf);
#endif

#endif
