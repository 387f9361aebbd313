/*
 * toolstack.h — what libxl does for a domain and its devices, done
 * against a simulator: the hypervisor side through hvctl, the xenstore
 * side through the real libxenstore as dom0.
 */
#ifndef SPLITBED_TOOLSTACK_H
#define SPLITBED_TOOLSTACK_H

#include <stdbool.h>
#include <stdint.h>

struct toolstack;

/* Connects to the simulator in dir (absolute).  NULL with a message on
 * stderr if it is not running. */
struct toolstack *toolstack_open(const char *dir);
void toolstack_close(struct toolstack *ts);

/* Dom0's own nodes, as xencommons writes them at boot. */
int toolstack_init_dom0(struct toolstack *ts);
/* Creates domain domid (if it does not exist) with the nodes libxl
 * writes and introduces it to xenstored.  0 when it was created, 1 when
 * it existed (dom0 always does), -1 with a message. */
int toolstack_domain_ensure(struct toolstack *ts, unsigned domid, const char *name);
/* Releases the domain from xenstored, removes its nodes and destroys it. */
int toolstack_domain_destroy(struct toolstack *ts, unsigned domid);
/* Stops every hot-plugged backend of the simulator in dir (hv stop). */
void toolstack_stop_hotplugged(const char *dir);

/* A device pair as libxl__device_generic_add writes it.  kind is "vbd"
 * or "vif"; back/front are NULL-terminated key/value arrays added to the
 * standard keys.  Both ends start in XenbusStateInitialising.  A device
 * whose directory exists already is refused (-1 with a message): each
 * device has one backend. */
int toolstack_device_add(struct toolstack *ts, const char *kind, unsigned backend_domid,
                         unsigned frontend_domid, unsigned devid, const char *const *back_kv,
                         const char *const *front_kv);
/* Removes both ends' directories of a device.  0, or -1 with a message. */
int toolstack_device_remove(struct toolstack *ts, const char *kind, unsigned backend_domid,
                            unsigned frontend_domid, unsigned devid);

/* Lists a node's children (as dom0): a malloc'd array (free it whole)
 * and their count in *n, or NULL. */
char **toolstack_directory(struct toolstack *ts, const char *path, unsigned *n);
/* Reads a node (as dom0); returns a malloc'd string or NULL. */
char *toolstack_read(struct toolstack *ts, const char *path);
/* Writes a node (as dom0).  0, or -1 with a message. */
int toolstack_write(struct toolstack *ts, const char *path, const char *value);
/* The conflict fault (XS_CONTROL splitbed-fault): that share, in
 * thousandths, of domid's transaction commits fail with EAGAIN, drawn
 * from seed; 0 ends it.  0, or -1 with a message. */
int toolstack_xs_conflicts(struct toolstack *ts, unsigned domid, unsigned permille, uint64_t seed);
/* Waits until done(value of path, or NULL when absent, arg) is true,
 * watching the node, at most timeout_ms.  0 when it was, -1 when the
 * time ran out or xenstore failed. */
int toolstack_wait(struct toolstack *ts, const char *path,
                   bool (*done)(const char *value, void *arg), void *arg, int timeout_ms);

#endif
