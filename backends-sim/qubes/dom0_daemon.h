/* What dom0's Qubes daemons (splitbed-qubesdb, splitbed-qrexec,
 * splitbed-guid) share around their own protocol: the options every one
 * takes, the dom0-side Unix socket, stopping on SIGTERM/SIGINT, and
 * telling the starter they are ready. */
#ifndef SPLITBED_QUBES_DOM0_DAEMON_H
#define SPLITBED_QUBES_DOM0_DAEMON_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <xen/xen.h>

/* The common options: --domain N (the guest served, required, not 0),
 * --socket PATH (dom0's side; taken and required with need_socket),
 * --ready-fd FD, --quiet or -q. */
struct dom0_daemon_args {
    const char *prog;  /* for messages */
    const char *usage; /* the daemon's options, after its name */
    bool need_socket;
    /* Asked for any other option and the word after it (NULL at the end
     * of the line): 1 when it took both, 0 when it does not know the
     * option, 2 after its own line on stderr about the value. */
    int (*extra)(void *ctx, const char *opt, const char *val);
    void *ctx;
    /* filled in */
    domid_t dom;
    const char *socket; /* NULL when not given */
    int ready_fd;       /* -1 when not given */
    bool quiet;
};

/* Reads argv into a.  0, or 2 (the exit status) after one line on
 * stderr naming the program and what is wrong. */
int dom0_daemon_parse(struct dom0_daemon_args *a, int argc, char **argv);

/* Set to the signal's number once SIGTERM or SIGINT arrives after
 * dom0_daemon_catch_stop(); the daemon's loop ends when it is non-zero. */
extern volatile sig_atomic_t dom0_daemon_stop;

/* A listening stream socket at PATH (any old file there is replaced),
 * close-on-exec; or -1 after one line on stderr naming PROG and PATH. */
int dom0_daemon_listen(const char *prog, const char *path);

/* Catch SIGTERM and SIGINT into dom0_daemon_stop. */
void dom0_daemon_catch_stop(void);

/* Write one byte to READY_FD and close it; nothing when READY_FD < 0. */
void dom0_daemon_ready(int ready_fd);

#endif
