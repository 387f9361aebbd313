/*
 * domain_layout.h — the nodes libxl__domain_make writes for a guest's
 * xenstore home, as one list both toolstacks walk: the `splitbed`
 * command's (over libxenstore) and the seeded world's (over xsc_client).
 */
#ifndef SPLITBED_DOMAIN_LAYOUT_H
#define SPLITBED_DOMAIN_LAYOUT_H

#include <stdbool.h>

/* Called for the home /local/domain/N itself (value NULL: make the
 * directory), then for every node under it in libxl's order.  Nodes the
 * guest owns are `guest_owned`; the others are dom0's and the guest may
 * read them.  A non-zero return stops the walk and is returned. */
typedef int (*domain_node_fn)(void *ctx, const char *path, const char *value, bool guest_owned);

int domain_layout_each(unsigned domid, const char *name, domain_node_fn fn, void *ctx);

#endif
