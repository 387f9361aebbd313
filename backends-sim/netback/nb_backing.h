/*
 * nb_backing.h — where a vif's frames go on the host side.
 *
 * SPEC is KIND[:ARG][,capture=FILE]:
 *   tap:NAME      an existing or new TAP device (IFF_TAP|IFF_NO_PI), frames
 *                 both ways, no end; each frame with a virtio-net header
 *                 (IFF_VNET_HDR) where the kernel offers it, so that a GSO
 *                 frame of up to 64 KiB is one write and checksums can be
 *                 left blank both ways
 *   stdio         a byte stream: stdin -> guest, guest -> stdout, framed as
 *                 in frontends/net_stream.h; end of stdin ends the vif
 *   fd:N          the same over inherited descriptor N (read and write); if
 *                 N is a datagram or seqpacket socket, frames instead: one
 *                 Ethernet frame per message, both ways
 *   pcap:FILE     a sink: the guest's frames are written to a pcap file
 *   socket:PATH   a link to another vif: the first to arrive listens on the
 *                 Unix seqpacket socket PATH, the second connects; one frame
 *                 per message; the peer leaving ends the vif
 *   capture=FILE  also records both directions to a pcap file (any kind)
 */
#ifndef SPLITBED_NB_BACKING_H
#define SPLITBED_NB_BACKING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends-sim/netback/nb_meta.h"

struct nb_backing;

/* -EINVAL: SPEC is malformed (err says how); other negative: it could not
 * be opened (err says why). */
int nb_backing_open(const char *spec, struct nb_backing **out, char *err, size_t errsize);
void nb_backing_free(struct nb_backing *b);

/* MACs for stream frames: the guest's (destination) and ours (source). */
void nb_backing_set_guest_mac(struct nb_backing *b, const uint8_t mac[6]);

/* Descriptor to poll for input, -1 when there is none. */
int nb_backing_fd(const struct nb_backing *b);
/* One frame for the guest: its length, 0 if none now, -EPIPE at the end
 * of input, another negative value on error.  A frame longer than `size`
 * comes back `size` bytes long (pass one byte more than the largest frame
 * taken, to tell).  With _meta, what came with it (GSO, checksum state;
 * only once offloads were asked for with nb_backing_set_offload). */
long nb_backing_read(struct nb_backing *b, uint8_t *frame, size_t size);
long nb_backing_read_meta(struct nb_backing *b, uint8_t *frame, size_t size, struct nb_meta *meta);
/* One frame from the guest.  0 or negative (the frame is lost).  With
 * _meta, a GSO frame or a blank checksum (located: csum_start/offset) is
 * handed on as such where the backing takes it (nb_backing_takes_gso,
 * nb_backing_takes_blank_csum); elsewhere the frame goes as it is. */
int nb_backing_write(struct nb_backing *b, const uint8_t *frame, size_t len);
int nb_backing_write_meta(struct nb_backing *b, const uint8_t *frame, size_t len,
                          const struct nb_meta *meta);

/* Whether GSO frames from the guest reach the host whole and are cut into
 * segments there (a TAP with virtio-net headers), and whether a blank
 * checksum may be left to the host (the same, when no capture records
 * the frames: a capture shows them as they go, complete). */
bool nb_backing_takes_gso(const struct nb_backing *b);
bool nb_backing_takes_blank_csum(const struct nb_backing *b);
/* What the guest takes, so the host may send it frames with blank
 * checksums and TCP GSO frames (TUNSETOFFLOAD); everything false: the
 * host completes and segments every frame first.  0, or negative where
 * the host refuses; a no-op for backings other than a TAP. */
int nb_backing_set_offload(struct nb_backing *b, bool csum, bool tso4, bool tso6);

const char *nb_backing_kind(const struct nb_backing *b);

#endif
