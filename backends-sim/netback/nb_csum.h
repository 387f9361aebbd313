/*
 * nb_csum.h — completing the TCP/UDP checksum of a frame a guest sent with
 * NETTXF_csum_blank (its stack left the checksum to the "hardware", as
 * Linux netfront does for IPv4 and, once offered, IPv6).
 */
#ifndef SPLITBED_NB_CSUM_H
#define SPLITBED_NB_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Where the L4 header starts and the checksum field's offset in it, for
 * an unfragmented TCP or UDP packet over IPv4 or IPv6 (no extension
 * headers) in an Ethernet frame.  0 and the values, or -1 if the frame is
 * not one. */
int nb_csum_locate(const uint8_t *f, size_t len, size_t *l4, size_t *field);

/* Computes and stores the checksum.  0, or -1 if the frame is not a
 * packet it knows how to checksum (left as it is). */
int nb_csum_complete(uint8_t *f, size_t len);

#endif
