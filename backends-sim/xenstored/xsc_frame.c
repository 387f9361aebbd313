#include "backends-sim/xenstored/xsc_frame.h"

#include <string.h>

#define HDR sizeof(struct xsd_sockmsg)

void xsc_frame_reset(struct xsc_frame *f)
{
    f->have = 0;
    f->body[0] = '\0';
}

size_t xsc_frame_space(struct xsc_frame *f, void **where)
{
    if (f->have < HDR) {
        *where = (char *)&f->hdr + f->have;
        return HDR - f->have;
    }
    *where = f->body + (f->have - HDR);
    return HDR + f->hdr.len - f->have;
}

enum xsc_frame_state xsc_frame_advance(struct xsc_frame *f, size_t n)
{
    f->have += n;
    if (f->have < HDR)
        return XSC_FRAME_MORE;
    if (f->hdr.len > XENSTORE_PAYLOAD_MAX)
        return XSC_FRAME_BAD;
    if (f->have < HDR + f->hdr.len)
        return XSC_FRAME_MORE;
    f->body[f->hdr.len] = '\0';
    return XSC_FRAME_READY;
}

enum xsc_frame_state xsc_frame_feed(struct xsc_frame *f, const void *buf, size_t len, size_t *used)
{
    enum xsc_frame_state st = XSC_FRAME_MORE;

    *used = 0;
    while (*used < len) {
        void *where;
        size_t want = xsc_frame_space(f, &where);
        size_t n = len - *used < want ? len - *used : want;

        memcpy(where, (const char *)buf + *used, n);
        *used += n;
        st = xsc_frame_advance(f, n);
        if (st != XSC_FRAME_MORE)
            return st;
    }
    /* A header of len 0 completes without further bytes. */
    if (f->have == HDR && f->hdr.len == 0)
        return xsc_frame_advance(f, 0);
    return st;
}
