/*
 * xsc_frame.h — cuts a byte stream into xs_wire messages, without I/O.
 *
 * The caller asks where the next bytes go and how many are wanted, puts
 * them there (read(2), memcpy), and reports how many came.  A header
 * announcing more than XENSTORE_PAYLOAD_MAX is fatal for the stream, as
 * in Xen: the connection is closed.
 */
#ifndef SPLITBED_XSC_FRAME_H
#define SPLITBED_XSC_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <errno.h> /* xs_wire.h names its error table only after it */
#include <xen/xen.h>
#include <xen/io/xs_wire.h>

enum xsc_frame_state { XSC_FRAME_MORE, XSC_FRAME_READY, XSC_FRAME_BAD };

struct xsc_frame {
    struct xsd_sockmsg hdr;
    char body[XENSTORE_PAYLOAD_MAX + 1]; /* one spare byte, always NUL */
    size_t have;                         /* header + body bytes so far */
};

void xsc_frame_reset(struct xsc_frame *f);
/* Where the next bytes go; returns how many are wanted (> 0). */
size_t xsc_frame_space(struct xsc_frame *f, void **where);
/* n bytes were put where xsc_frame_space said. */
enum xsc_frame_state xsc_frame_advance(struct xsc_frame *f, size_t n);
/* Copies from buf; *used tells how much was consumed. */
enum xsc_frame_state xsc_frame_feed(struct xsc_frame *f, const void *buf, size_t len, size_t *used);

#endif
