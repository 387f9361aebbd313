/*
 * net_app.h — what the network guest apps share: their common options,
 * connecting a netfront synchronously, and closing it.
 *
 * Common options (before the app's own):
 *   --device PATH   xenstore device directory (default device/vif/0)
 *   --queues N      queues to ask for (default 1)
 *   --no-split --no-sg --no-gso
 *   --timeout S     give up connecting after S seconds (default 30)
 */
#ifndef SPLITBED_NET_APP_H
#define SPLITBED_NET_APP_H

#include "os.h"
#include "netfront.h"

#define NET_APP_USAGE "[--device PATH] [--queues N] [--no-split] [--no-sg] [--no-gso] [--timeout S]"

struct net_app_opts {
    const char *device;
    struct netfront_opts fe;
    unsigned timeout_s;
};

void net_app_opts_init(struct net_app_opts *o);
/* 1 if argv[*i] was a common option (and consumed its value), 0 if not,
 * -1 after an error line for a bad value. */
int net_app_parse(struct os *os, const char *prog, int argc, char **argv, int *i,
                  struct net_app_opts *o);
/* Parses an unsigned option value in 1..max; -1 after an error line. */
int net_app_uint(struct os *os, const char *prog, const char *opt, const char *v, uint64_t max,
                 uint64_t *out);
void net_app_error(struct os *os, const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Opens and waits for Connected.  0, or 1 after an error line. */
int net_app_connect(struct os *os, const char *prog, const struct net_app_opts *o,
                    struct netfront **out);
/* Closes (waiting a few seconds at most for the backend) and frees;
 * first, a warning line counting the frames lost, if any were. */
void net_app_close(struct os *os, struct netfront *nf);
/* Writes all of buf to the console; false if it cannot. */
bool net_app_write_all(struct os *os, const void *buf, size_t len);

#endif
