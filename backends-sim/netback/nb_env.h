/*
 * nb_env.h — what netback asks of its host: xenstore, grant mapping and
 * copying, event channels.  nb_xen.c provides it over the real
 * libxenstore/libxengnttab/libxenevtchn (simulator or real dom0); tests
 * and fuzz targets provide it in memory, so the ring core and the xenbus
 * state machine run without daemons.
 *
 * Errors are negative errno values.
 */
#ifndef SPLITBED_NB_ENV_H
#define SPLITBED_NB_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frontends/xen_public.h"
#include <xen/grant_table.h>
#include <xen/event_channel.h>

/* One piece of a grant copy between local memory and a frontend page. */
struct nb_copy {
    grant_ref_t ref;
    uint16_t offset;
    uint16_t len;
    void *local;
    bool to_guest;  /* local -> granted page; else page -> local */
    int16_t status; /* GNTST_* on return */
};

/* The host's operations; each gets the env's ctx first. */
struct nb_env_ops {
    /* Value length, -ENOENT, -E2BIG … */
    int (*xs_read)(void *ctx, const char *path, char *buf, size_t size);
    int (*xs_write)(void *ctx, const char *path, const char *value);
    int (*xs_watch)(void *ctx, const char *path, const char *token);
    int (*xs_unwatch)(void *ctx, const char *path, const char *token);
    /* Maps one page granted by dom, writable; NULL and *err on failure. */
    void *(*map)(void *ctx, domid_t dom, grant_ref_t ref, int *err);
    void (*unmap)(void *ctx, void *page);
    /* Performs n copies with dom's grants; each op gets its own status.
     * Returns 0, or negative if the batch could not be issued at all. */
    int (*copy)(void *ctx, domid_t dom, struct nb_copy *ops, unsigned n);
    int (*bind)(void *ctx, domid_t dom, evtchn_port_t remote, evtchn_port_t *local);
    void (*unbind)(void *ctx, evtchn_port_t local);
    void (*notify)(void *ctx, evtchn_port_t local);
};

struct nb_env {
    const struct nb_env_ops *ops;
    void *ctx;
};

#endif
