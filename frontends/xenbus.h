/*
 * xenbus.h — the frontend half of the XenbusState handshake.
 *
 * A split driver (blkfront, netfront) opens its device directory
 * (/local/domain/N/device/TYPE/ID, written by the toolstack), hands this
 * module a few callbacks, and calls xenbus_step() from its own poll
 * function.  xenbus_step() follows the backend's state and runs the
 * handshake of <xen/io/xenbus.h> as real peers do it, deviations included:
 *
 *  - waits for the backend to be ready: InitWait, or Initialised/Connected
 *    (a backend that bypasses InitWait), or Initialising once
 *    ops->ready_without_initwait() says it set itself up (a backend that
 *    never enters InitWait and waits for the frontend first, as Mirage's
 *    blkback does — waiting for InitWait there would deadlock);
 *  - then calls ops->setup() (allocate rings, event channels) and, inside
 *    a xenstore transaction retried on conflict, ops->write() (ring refs,
 *    event channel, feature requests) and switches to Initialised;
 *  - when the backend reaches Connected, calls ops->connect() (read the
 *    features the backend may only publish now) and switches to Connected;
 *  - while connected, a backend that rewrites Connected calls
 *    ops->changed() (blkback's resize signal);
 *  - a backend that goes Closing: ops->disconnect(), frontend Closed; when
 *    the backend is Closed (or comes back in InitWait, i.e. restarted, or
 *    the node disappears) the frontend returns to Initialising and the
 *    handshake starts again, so a restarted backend gets a fresh ring.
 *
 * Watches: every xenbus device of a host shares the host's watch queue, so
 * any device's xenbus_step() drains the queue and flags the devices whose
 * nodes changed.  Code that uses xenbus must not call os_xs_next_watch()
 * itself.
 */
#ifndef SPLITBED_XENBUS_H
#define SPLITBED_XENBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/io/xenbus.h>

#include "os.h"

struct xenbus_dev;

struct xenbus_ops {
    /* Allocates what the transport needs (outside any transaction).
     * Called once per handshake round. */
    int (*setup)(void *ctx);
    /* Writes the frontend's transport keys inside transaction tx; may be
     * called again when the transaction must be redone. */
    int (*write)(void *ctx, os_xs_tx tx);
    /* The backend is Connected: read its features and decide.  A negative
     * return is fatal for the device (it is put in the error state). */
    int (*connect)(void *ctx);
    /* The backend rewrote its state while both ends are Connected. */
    void (*changed)(void *ctx);
    /* The backend went away or is closing: stop using the transport and
     * release it.  The driver keeps what it wants to replay later. */
    void (*disconnect)(void *ctx);
    /* Optional: the backend is still Initialising; has it published
     * enough to show it set itself up and waits for us (a backend that
     * never enters InitWait)?  NULL: a non-empty hotplug-status says so. */
    bool (*ready_without_initwait)(void *ctx);
};

enum xenbus_phase {
    XENBUS_WAIT_BACKEND, /* Initialising, waiting for the backend to be ready */
    XENBUS_INITIALISED,  /* transport written, waiting for backend Connected */
    XENBUS_CONNECTED,
    XENBUS_CLOSING, /* we asked to close, waiting for the backend */
    XENBUS_CLOSED,  /* closed by us (xenbus_close_device) */
    XENBUS_ERROR,   /* fatal: see xenbus_error() */
};

/* Opens device TYPE/ID ("vbd"/"51712", "vif"/"0") of this domain: reads
 * `backend` and `backend-id` from the frontend directory and watches both
 * ends.  `name` is used in log lines ("xvda", "eth0"), `tag` is the log
 * tag ("blkfront").  Does not change any state yet. */
int xenbus_open(struct os *os, const char *type, const char *id, const char *name, const char *tag,
                const struct xenbus_ops *ops, void *ctx, struct xenbus_dev **out);
/* Deviations real frontends show, for testing backends against them:
 * skip_initialised writes Connected with the transport instead of
 * Initialised (Mini-OS, Mirage, Unikraft); early_transport writes the
 * transport without waiting for the backend to be ready (Mini-OS). */
void xenbus_set_quirks(struct xenbus_dev *xd, bool skip_initialised, bool early_transport);
/* Unwatches and frees (does not touch the device state; see
 * xenbus_close_device). */
void xenbus_free(struct xenbus_dev *xd);

/* Drives the handshake.  Returns 1 if the phase changed (or ops were
 * called), 0 if nothing happened, negative when the device is in the
 * error state. */
int xenbus_step(struct xenbus_dev *xd);
/* Starts an orderly close: frontend Closing, then Closed once the
 * backend is Closing or Closed (xenbus_step() finishes it). */
int xenbus_close_device(struct xenbus_dev *xd);
/* Marks the device failed with a diagnosis (logged once), switches the
 * frontend to Closing so the backend lets go, and stops the handshake. */
void xenbus_fail(struct xenbus_dev *xd, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

enum xenbus_phase xenbus_phase(const struct xenbus_dev *xd);
int xenbus_error(const struct xenbus_dev *xd);                 /* 0 or negative */
const char *xenbus_diagnosis(const struct xenbus_dev *xd);     /* "" if none */
XenbusState xenbus_backend_state(const struct xenbus_dev *xd); /* last seen */

struct os *xenbus_os(const struct xenbus_dev *xd);
const char *xenbus_frontend_path(const struct xenbus_dev *xd);
const char *xenbus_backend_path(const struct xenbus_dev *xd);
domid_t xenbus_backend_id(const struct xenbus_dev *xd);
const char *xenbus_name(const struct xenbus_dev *xd);
const char *xenbus_tag(const struct xenbus_dev *xd);

/* Reads backend key KEY (relative to the backend directory). */
int xenbus_read_backend(struct xenbus_dev *xd, const char *key, char *buf, size_t size);
/* Unsigned number in the backend directory: 0 and *out set, -OS_ENOENT if
 * absent, -OS_EINVAL (logged) if it is not a number. */
int xenbus_read_backend_u64(struct xenbus_dev *xd, const char *key, uint64_t *out);
/* A boolean feature key: "1" true; absent or "0" false; anything else is
 * logged and taken as false. */
bool xenbus_backend_feature(struct xenbus_dev *xd, const char *key);
/* Writes / removes key KEY of the frontend directory. */
int xenbus_write(struct xenbus_dev *xd, os_xs_tx tx, const char *key, const char *value);
int xenbus_printf(struct xenbus_dev *xd, os_xs_tx tx, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int xenbus_rm(struct xenbus_dev *xd, os_xs_tx tx, const char *key);
/* Writes the frontend's `state`. */
int xenbus_switch_state(struct xenbus_dev *xd, os_xs_tx tx, XenbusState state);

#ifdef SPLITBED_FUZZ
/* For fuzz targets that keep one connected device between inputs: a
 * device whose transport is up and whose backend is Connected, connected
 * or failed since by xenbus_fail(), is Connected again: the error and
 * its diagnosis are forgotten and the state node says Connected.
 * -OS_EPROTO, changing nothing, otherwise. */
int xenbus_rewind(struct xenbus_dev *xd);
#endif

/* Log helpers: "[tag] name: message". */
void xenbus_log(struct xenbus_dev *xd, enum os_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

const char *xenbus_state_name(XenbusState s);

/* Drains the host's watch queue and flags the xenbus devices whose nodes
 * changed.  xenbus_step() calls it; exposed for app main loops that own
 * no device. */
void xenbus_pump(struct os *os);

#endif
