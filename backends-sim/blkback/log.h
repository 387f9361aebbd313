/*
 * log.h — where blkback's lines go.
 *
 * Two kinds: information, and diagnoses of a rule a frontend broke.  A
 * diagnosis names the frontend domain, the device, the offending value
 * (ref, index, segment …) and the rule, on one line.  The daemon sends
 * both to stderr and diagnoses also to the run's trace file; tests
 * capture them.
 */
#ifndef SPLITBED_BLKBACK_LOG_H
#define SPLITBED_BLKBACK_LOG_H

#include <stdbool.h>

struct bb_logger {
    void (*line)(void *ctx, bool diagnosis, const char *text);
    void *ctx;
};

void bb_log(const struct bb_logger *lg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bb_diag(const struct bb_logger *lg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
