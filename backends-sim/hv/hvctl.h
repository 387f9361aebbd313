/*
 * hvctl.h — the toolstack's side of splitbed-hvd, over dom0's socket
 * (DIR/hv/dom0).  Used by the splitbed CLI (hv status, exec).
 * Every call returns a negative errno on failure: -ECONNREFUSED or
 * -ENOENT when no daemon serves DIR.
 */
#ifndef SPLITBED_HVCTL_H
#define SPLITBED_HVCTL_H

#include <stddef.h>
#include <stdint.h>

/* 0 when the daemon answers. */
int hvctl_ping(const char *dir);
/* Creates domain domid (and its socket DIR/hv/domN): 0 created, 1 it
 * existed already.  handle (if not NULL) gets the domain's UUID, as
 * XEN_DOMCTL_getdomaininfo reports it. */
int hvctl_domain_create(const char *dir, unsigned domid, uint8_t handle[16]);
/* Destroys domain domid: its clients are cut off and everything they held
 * is released; -ESRCH if none, -EPERM for dom0. */
int hvctl_domain_destroy(const char *dir, unsigned domid);
/* Pauses, unpauses or shuts down (reason: SHUTDOWN_*) domain domid, as
 * XEN_DOMCTL_pausedomain, unpausedomain and SCHEDOP_remote_shutdown do.
 * -ESRCH if none, -EINVAL for dom0 or an unpause of a running domain. */
int hvctl_domain_pause(const char *dir, unsigned domid);
int hvctl_domain_unpause(const char *dir, unsigned domid);
int hvctl_domain_shutdown(const char *dir, unsigned domid, unsigned reason);
/* Writes a text report into buf (NUL-terminated, truncated to size): one
 * line per domain "domN grants G mappings M ports P state S" (S: running,
 * paused, or "shutdown CODE"), then a "total" line with the counts.  Returns the report's length. */
int hvctl_status(const char *dir, char *buf, size_t size);

#endif
