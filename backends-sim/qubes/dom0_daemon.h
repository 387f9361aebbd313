/* What dom0's Qubes daemons (splitbed-qubesdb, splitbed-qrexec,
 * splitbed-guid) share around their own protocol: the dom0-side Unix
 * socket, stopping on SIGTERM/SIGINT, and telling the starter they are
 * ready. */
#ifndef SPLITBED_QUBES_DOM0_DAEMON_H
#define SPLITBED_QUBES_DOM0_DAEMON_H

#include <signal.h>

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
