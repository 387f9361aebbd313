/*
 * vchan_ring.h — the page libxenvchan's two ends share, laid out as the
 * Xen and the Qubes implementations lay it out, with the Xen public
 * headers' types.
 *
 * It is written here rather than taken from <xen/io/libxenvchan.h>
 * because that header includes <sys/types.h>, a libc header, and the
 * drivers build freestanding against the Xen public headers and the
 * compiler's own headers only.  The static assertions pin every offset
 * to the wire layout, so a peer built from Xen's header reads the same
 * bytes.
 */
#ifndef SPLITBED_VCHAN_RING_H
#define SPLITBED_VCHAN_RING_H

#include <stddef.h>
#include <stdint.h>

#include "xen_public.h"

#include <xen/grant_table.h>

/* One ring's free-running byte counters: the consumer advances cons, the
 * producer prod; offset = counter & (size - 1). */
struct vchan_ring {
    uint32_t cons, prod;
};

/* Bits of cli_notify / srv_notify: wake me when you produce data (WRITE),
 * when you consume data (READ).  Same values as libxenvchan's. */
#define VCHAN_NOTIFY_WRITE 0x1
#define VCHAN_NOTIFY_READ 0x2

/* The first granted page.  left: client writes, server reads; right:
 * server writes, client reads.  An order of 10 or 11 puts that ring
 * inside this page (at 1024 or 2048); 12 and up, in 2^(order-12) pages of
 * its own whose refs follow in grants[], left's first.  A live byte is 0
 * once its end has gone, 1 when connected, 2 while the client is yet to
 * come. */
struct vchan_shared {
    struct vchan_ring left, right;
    uint16_t left_order, right_order;
    uint8_t cli_live, srv_live;
    uint8_t cli_notify, srv_notify;
    grant_ref_t grants[];
};

_Static_assert(offsetof(struct vchan_shared, right) == 8, "vchan: right ring at 8");
_Static_assert(offsetof(struct vchan_shared, left_order) == 16, "vchan: orders at 16");
_Static_assert(offsetof(struct vchan_shared, cli_live) == 20, "vchan: cli_live at 20");
_Static_assert(offsetof(struct vchan_shared, srv_live) == 21, "vchan: srv_live at 21");
_Static_assert(offsetof(struct vchan_shared, srv_notify) == 23, "vchan: srv_notify at 23");
_Static_assert(offsetof(struct vchan_shared, grants) == 24, "vchan: grants at 24");

#endif
