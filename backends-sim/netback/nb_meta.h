/*
 * nb_meta.h — what travels beside a frame between netback's rings and
 * its backings: GSO (one frame to be cut into segments of gso_size) and
 * the state of its TCP/UDP checksum.
 */
#ifndef SPLITBED_NB_META_H
#define SPLITBED_NB_META_H

#include <stdbool.h>
#include <stdint.h>

struct nb_meta {
    uint16_t gso_size;
    uint8_t gso_type;    /* XEN_NETIF_GSO_TYPE_* */
    bool csum_blank;     /* the TCP/UDP checksum is left to whoever needs it */
    bool data_validated; /* the checksum is known good */
    /* With csum_blank, from a guest: where the L4 header starts and the
     * checksum field's offset in it (0, 0 when not located). */
    uint16_t csum_start, csum_offset;
};

#endif
