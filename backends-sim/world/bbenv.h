/*
 * bbenv.h — blkback's environment (struct bb_env's store, event channels
 * and grant mapper) over the world: xenstore through an in-process
 * client of dom0, event channels and grants through the hypervisor core.
 *
 * One bbenv is one backend process: crash() drops everything it holds
 * without a word to anyone (its xenstore connection closes, its mappings
 * and ports are released as the kernel releases a dead process's), and a
 * new bbenv is a restarted process.
 */
#ifndef SPLITBED_WORLD_BBENV_H
#define SPLITBED_WORLD_BBENV_H

#include <stdbool.h>

#include "backends-sim/blkback/vbd.h"
#include "backends-sim/world/hvhost.h"
#include "backends-sim/xenstored/xsc_client.h"

/* What the world decides for the backend's process, with the ctx given
 * to bbenv_new(); any may be NULL. */
struct bbenv_ops {
    /* Asked at every commit: true makes it fail with EAGAIN (a fault). */
    bool (*tx_conflict)(void *ctx);
};

struct bbenv;

/* dom is the backend's domain (0).  NULL when out of memory. */
struct bbenv *bbenv_new(struct hvhost *h, struct xsc_core *xs, domid_t dom,
                        const struct bb_params *params, const struct bb_logger *log,
                        const struct bbenv_ops *ops, void *ctx);
/* The process dies: from now on every operation fails (EPIPE) or does
 * nothing, so freeing the backend's structures reaches no peer. */
void bbenv_kill(struct bbenv *e);
/* Releases what is left as the kernel does for a process that exited
 * (mappings, ports, the xenstore connection) and frees. */
void bbenv_free(struct bbenv *e);
const struct bb_env *bbenv_env(struct bbenv *e);
struct xsc_client *bbenv_xs(struct bbenv *e);
/* Mappings held now (pages). */
unsigned bbenv_mapped(const struct bbenv *e);

#endif
