/*
 * blk_opts.h — the command line the block apps share.
 *
 *   [--vdev xvda|51712] [--max-ring-order N] [--max-indirect N]
 *   [--no-persistent] [--skip-initialised] [--early-transport] [--explicit-order0]
 *   [--timeout SECONDS]
 *
 * (-q/--quiet is taken by the host before app_main runs.)
 */
#ifndef SPLITBED_BLK_OPTS_H
#define SPLITBED_BLK_OPTS_H

#include "blkfront.h"

#define BLK_OPTS_USAGE                                                               \
    "[--vdev xvda|51712] [--max-ring-order N] [--max-indirect N] [--no-persistent] " \
    "[--skip-initialised] [--early-transport] [--explicit-order0] [--timeout SECONDS]"

struct blk_app_opts {
    const char *vdev;
    struct blkfront_opts fe;
};

/* Parses argv[*i] (and its value); returns 1 if it was a common option,
 * 0 if not, -1 (after printing one line) if it was malformed. */
int blk_opts_parse(struct os *os, const char *prog, int argc, char **argv, int *i,
                   struct blk_app_opts *o);
void blk_opts_init(struct blk_app_opts *o);
/* Parses an unsigned option value; prints one line and returns -1 if bad. */
int blk_opts_number(struct os *os, const char *prog, const char *opt, const char *v, uint64_t max,
                    uint64_t *out);
/* Prints "prog: message" on stderr as an error line. */
void blk_app_error(struct os *os, const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
