/*
 * dm_qmp.h — the QMP monitors libxl talks to, answered as QEMU would for
 * a device model that emulates nothing.
 *
 * libxl connects once the device model says "running" in xenstore and
 * asks `query-chardev` (and `query-vnc` when a VNC display is
 * configured); with a pre-opened socket and -S it asks `query-status`
 * and later `cont`.  Each connection gets QEMU's greeting, then one
 * answer per command ("\r\n" after each message, as QEMU ends them):
 *   qmp_capabilities, cont, stop      {}
 *   query-status                      "prelaunch" until cont, then "running"
 *   query-chardev                     []   (no serial ports)
 *   query-vnc                         {"enabled": false}
 *   query-version                     the version in the greeting
 *   quit                              {}, then the device model exits
 *   anything else                     a CommandNotFound error
 * A client that sends more than 4 KiB without a complete command, or
 * something that is not a JSON object, gets one line in the log and is
 * disconnected; other clients go on.
 */
#ifndef SPLITBED_XENDM_QMP_H
#define SPLITBED_XENDM_QMP_H

#include <poll.h>
#include <stdbool.h>

struct dm_qmp;

/* log(line) prints one line (without newline) to the device model's log. */
struct dm_qmp *dm_qmp_new(void (*log)(const char *line));
/* Listens on a Unix socket at path (an old socket file there is
 * replaced), or on an inherited listening socket fd.  0 or -errno. */
int dm_qmp_listen_path(struct dm_qmp *q, const char *path);
int dm_qmp_listen_fd(struct dm_qmp *q, int fd);
/* Whether `cont` (or no -S) has let the model run. */
void dm_qmp_set_running(struct dm_qmp *q, bool running);
bool dm_qmp_running(const struct dm_qmp *q);
/* True once a client asked `quit`. */
bool dm_qmp_quit(const struct dm_qmp *q);
/* Fills at most max pollfds; returns how many. */
unsigned dm_qmp_pollfds(struct dm_qmp *q, struct pollfd *p, unsigned max);
/* Handles what poll reported on the pollfds dm_qmp_pollfds filled. */
void dm_qmp_handle(struct dm_qmp *q, const struct pollfd *p, unsigned n);
/* Closes every socket and removes the socket files it made. */
void dm_qmp_free(struct dm_qmp *q);

#endif
