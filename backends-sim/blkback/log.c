/*
 * log.c — formats a line and hands it to the logger.
 */
#include "backends-sim/blkback/log.h"

#include <stdarg.h>
#include <stdio.h>

static void emit(const struct bb_logger *lg, bool diagnosis, const char *fmt, va_list ap)
{
    char buf[512];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    if (lg && lg->line)
        lg->line(lg->ctx, diagnosis, buf);
}

void bb_log(const struct bb_logger *lg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(lg, false, fmt, ap);
    va_end(ap);
}

void bb_diag(const struct bb_logger *lg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(lg, true, fmt, ap);
    va_end(ap);
}
