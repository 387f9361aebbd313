/*
 * xen_public.h — the Xen public headers as every part of splitbed sees
 * them: drivers, backends and tests include this before any <xen/...>
 * header of their own.
 *
 * Without __XEN_INTERFACE_VERSION__ the headers fall back to the legacy
 * interface, whose <xen/io/ring.h> maps xen_mb() and friends to mb(),
 * rmb() and wmb(), which no userspace or freestanding header defines.
 * With the current one, ring.h asks its includer for them instead.
 * Either way the barriers are defined here, as real fences: the two ends
 * of a ring run on different CPUs (processes sharing pages, or a guest
 * and its backend).  The ring macros expand where they are used, so
 * these definitions win even over a legacy ring.h included earlier.
 *
 * Portable: compiler builtins only, no libc.
 */
#ifndef SPLITBED_XEN_PUBLIC_H
#define SPLITBED_XEN_PUBLIC_H

#include <stdint.h> /* the public headers use its types without including it */

#ifndef __XEN_INTERFACE_VERSION__
#define __XEN_INTERFACE_VERSION__ 0x00040e00
#endif
#include <xen/xen.h>
#include <xen/io/ring.h>

#undef xen_mb
#undef xen_rmb
#undef xen_wmb
#define xen_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)

#endif
