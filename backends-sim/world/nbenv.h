/*
 * nbenv.h — netback's environment (struct nb_env) over the world:
 * xenstore through an in-process client of dom0, grant maps, grant
 * copies and event channels through the hypervisor core, as nb_xen.c
 * gives them over the real libraries.  One nbenv is one backend process;
 * freeing it releases what it still holds as the kernel does.
 */
#ifndef SPLITBED_WORLD_NBENV_H
#define SPLITBED_WORLD_NBENV_H

#include "backends-sim/netback/nb_env.h"
#include "backends-sim/world/hvhost.h"
#include "backends-sim/xenstored/xsc_client.h"

struct nbenv;

/* dom is the backend's domain (0).  NULL when out of memory.  fail_copy,
 * when set, is asked before each grant copy: true fails it
 * (GNTST_general_error), a fault the world plans. */
struct nbenv *nbenv_new(struct hvhost *h, struct xsc_core *xs, domid_t dom,
                        bool (*fail_copy)(void *ctx), void *ctx);
void nbenv_free(struct nbenv *e);
const struct nb_env *nbenv_env(struct nbenv *e);
struct xsc_client *nbenv_xs(struct nbenv *e);
/* Ring pages mapped now. */
unsigned nbenv_mapped(const struct nbenv *e);

#endif
