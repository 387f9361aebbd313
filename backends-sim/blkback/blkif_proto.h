/*
 * blkif_proto.h — <xen/io/blkif.h> with the interface version and the
 * memory barriers its ring macros need (frontends/xen_public.h).
 */
#ifndef SPLITBED_BLKBACK_BLKIF_PROTO_H
#define SPLITBED_BLKBACK_BLKIF_PROTO_H

#include "frontends/xen_public.h"
#include <xen/io/blkif.h>

#endif
