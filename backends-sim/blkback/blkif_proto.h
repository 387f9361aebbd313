/*
 * blkif_proto.h — <xen/io/blkif.h> with the memory barriers its ring
 * macros need in a process.
 *
 * Unless the includer asks for a recent __XEN_INTERFACE_VERSION__,
 * <xen/io/ring.h> maps xen_mb() and friends to mb()/rmb()/wmb(), which no
 * userspace header defines.  Frontend and backend are separate processes
 * sharing pages, so these are real fences.  Macros expand where they are
 * used, so defining them after the include is enough.
 */
#ifndef SPLITBED_BLKBACK_BLKIF_PROTO_H
#define SPLITBED_BLKBACK_BLKIF_PROTO_H

#include <xen/io/blkif.h>

#undef xen_mb
#undef xen_rmb
#undef xen_wmb
#define xen_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)

#endif
