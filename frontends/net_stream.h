/*
 * net_stream.h — how a byte stream rides on Ethernet frames between
 * netback's stream backings (stdio, fd:N) and pvcat.
 *
 * Each frame: destination MAC, source MAC, EtherType 0x88B5 (IEEE 802
 * "local experimental"), a 16-bit big-endian payload length L
 * (1..NET_STREAM_MAX), then L bytes of the stream, zero padding up to
 * the 60-byte Ethernet minimum.  Frames are delivered in order on one
 * queue; the end of the stream is not a frame but the backend leaving
 * Connected (Closing), so an empty input still ends the guest.
 * Frames of other EtherTypes are not part of the stream and are ignored.
 */
#ifndef SPLITBED_NET_STREAM_H
#define SPLITBED_NET_STREAM_H

#include <stddef.h>
#include <stdint.h>

#define NET_STREAM_ETHERTYPE 0x88B5u
#define NET_STREAM_HDR 16u   /* 14 Ethernet + 2 length */
#define NET_STREAM_MAX 1498u /* a 1514-byte frame */
#define NET_STREAM_MIN_FRAME 60u

/* The payload of a stream frame, or NULL (not ours, or a bad length). */
static inline const uint8_t *net_stream_payload(const uint8_t *f, size_t len, size_t *plen)
{
    if (len < NET_STREAM_HDR || f[12] != (NET_STREAM_ETHERTYPE >> 8) ||
        f[13] != (NET_STREAM_ETHERTYPE & 0xff))
        return NULL;
    size_t l = (size_t)f[14] << 8 | f[15];
    if (l == 0 || l > NET_STREAM_MAX || NET_STREAM_HDR + l > len)
        return NULL;
    *plen = l;
    return f + NET_STREAM_HDR;
}

/* Writes the header for a payload of plen bytes already placed at
 * f + NET_STREAM_HDR, pads, and returns the frame length. */
static inline size_t net_stream_frame(uint8_t *f, const uint8_t dst[6], const uint8_t src[6],
                                      size_t plen)
{
    for (int i = 0; i < 6; i++) {
        f[i] = dst[i];
        f[6 + i] = src[i];
    }
    f[12] = NET_STREAM_ETHERTYPE >> 8;
    f[13] = NET_STREAM_ETHERTYPE & 0xff;
    f[14] = (uint8_t)(plen >> 8);
    f[15] = (uint8_t)plen;
    size_t len = NET_STREAM_HDR + plen;
    while (len < NET_STREAM_MIN_FRAME)
        f[len++] = 0;
    return len;
}

#endif
