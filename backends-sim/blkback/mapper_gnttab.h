/*
 * mapper_gnttab.h — the production grant mapper, over libxengnttab.
 * On a real dom0 that is /dev/xen/gntdev; on the simulator the drop-in
 * libxengnttab.so.1 talks to splitbed-hvd.  Same code either way.
 */
#ifndef SPLITBED_BLKBACK_MAPPER_GNTTAB_H
#define SPLITBED_BLKBACK_MAPPER_GNTTAB_H

#include "backends-sim/blkback/mapper.h"

struct bb_gnttab_mapper;

/* NULL with errno on failure. */
struct bb_gnttab_mapper *bb_gnttab_mapper_open(void);
void bb_gnttab_mapper_close(struct bb_gnttab_mapper *m);
struct bb_mapper *bb_gnttab_mapper_base(struct bb_gnttab_mapper *m);

#endif
