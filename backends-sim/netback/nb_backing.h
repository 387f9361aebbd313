/*
 * nb_backing.h — where a vif's frames go on the host side.
 *
 * SPEC is KIND[:ARG][,capture=FILE]:
 *   tap:NAME      an existing or new TAP device (IFF_TAP|IFF_NO_PI), frames
 *                 both ways, no end
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
 * of input, another negative value on error. */
long nb_backing_read(struct nb_backing *b, uint8_t *frame, size_t size);
/* One frame from the guest.  0 or negative (the frame is lost). */
int nb_backing_write(struct nb_backing *b, const uint8_t *frame, size_t len);

const char *nb_backing_kind(const struct nb_backing *b);

#endif
