/*
 * xs_frame.h — cuts a byte stream into xs_wire messages, without I/O.
 *
 * The caller asks where the next bytes go and how many are wanted, puts
 * them there (read(2), memcpy), and reports how many came.  A header
 * announcing more than XENSTORE_PAYLOAD_MAX is fatal for the stream, as
 * in Xen: the connection is closed.
 */
#ifndef SPLITBED_XS_FRAME_H
#define SPLITBED_XS_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <errno.h> /* xs_wire.h names its error table only after it */
#include <xen/xen.h>
#include <xen/io/xs_wire.h>

enum xs_frame_state { XS_FRAME_MORE, XS_FRAME_READY, XS_FRAME_BAD };

struct xs_frame {
    struct xsd_sockmsg hdr;
    char body[XENSTORE_PAYLOAD_MAX + 1]; /* one spare byte, always NUL */
    size_t have;                         /* header + body bytes so far */
};

void xs_frame_reset(struct xs_frame *f);
/* Where the next bytes go; returns how many are wanted (> 0). */
size_t xs_frame_space(struct xs_frame *f, void **where);
/* n bytes were put where xs_frame_space said. */
enum xs_frame_state xs_frame_advance(struct xs_frame *f, size_t n);
/* Copies from buf; *used tells how much was consumed. */
enum xs_frame_state xs_frame_feed(struct xs_frame *f, const void *buf, size_t len, size_t *used);

#endif
