/*
 * mapper_memfd.h — a grant mapper whose "frontend" is a memfd of pages in
 * this process, for the request core's unit tests and fuzz target.
 *
 * The test plays the frontend: it grants page i of the memfd as ref r
 * (read-only or writable), writes requests into pages, and hands the
 * mapper to the core.  A map is a real second mapping of the same memfd
 * pages (MAP_SHARED at a fixed address), read-only when asked, so a core
 * that wrote through a read-only map would fault, as on Xen.  Refs not
 * granted, granted to another domain, read-only refs mapped writable and
 * refs the test marked as failing are refused like GNTTABOP_map_grant_ref
 * refuses them.  Outstanding maps are counted so tests can assert that
 * nothing leaks (XSA-371).  Grant copies are checked the same way.
 */
#ifndef SPLITBED_BLKBACK_MAPPER_MEMFD_H
#define SPLITBED_BLKBACK_MAPPER_MEMFD_H

#include <stdbool.h>
#include "backends-sim/blkback/mapper.h"

struct bb_memfd_mapper;

/* A frontend of domain `dom` with `npages` zeroed pages; refs 0..max_refs-1. */
struct bb_memfd_mapper *bb_memfd_mapper_new(domid_t dom, unsigned npages, unsigned max_refs);
void bb_memfd_mapper_free(struct bb_memfd_mapper *m);
/* Back to what bb_memfd_mapper_new gave: pages zeroed, no grant, no failing
 * ref, counters at 0.  -EBUSY while a page is still mapped. */
int bb_memfd_mapper_reset(struct bb_memfd_mapper *m);
struct bb_mapper *bb_memfd_mapper_base(struct bb_memfd_mapper *m);

/* The frontend's own view of its pages (contiguous). */
void *bb_memfd_frontend_page(struct bb_memfd_mapper *m, unsigned page);
/* Grants page `page` as `ref`; returns 0 or -EINVAL. */
int bb_memfd_grant(struct bb_memfd_mapper *m, grant_ref_t ref, unsigned page, bool readonly);
int bb_memfd_revoke(struct bb_memfd_mapper *m, grant_ref_t ref);
/* Makes every later map of `ref` fail (a hypervisor refusing the op). */
void bb_memfd_fail_ref(struct bb_memfd_mapper *m, grant_ref_t ref, bool fail);
/* Calls fn before every map the core asks for, nth counting from 0: the
 * frontend acting while the backend is in the map hypercall, as a racing
 * guest can.  NULL stops it; a reset stops it too. */
void bb_memfd_on_map(struct bb_memfd_mapper *m, void (*fn)(void *ctx, unsigned nth), void *ctx);
/* Bytes moved by grant copy so far. */
unsigned long long bb_memfd_copied_bytes(const struct bb_memfd_mapper *m);
/* Pages currently mapped through this mapper. */
unsigned bb_memfd_mapped_pages(const struct bb_memfd_mapper *m);

#endif
