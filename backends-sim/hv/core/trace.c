/*
 * trace.c — one line per broken rule, handed to the host.  The core never
 * prints; formatting into a bounded buffer is all it does here.
 */
#include <stdarg.h>
#include <stdio.h>

#include "backends-sim/hv/core/hv_internal.h"

void hv_trace(const hv_t *hv, domid_t d, const char *fmt, ...)
{
    char line[256];
    va_list ap;

    if (!hv->ops.trace)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    hv->ops.trace(hv->host, d, line);
}
