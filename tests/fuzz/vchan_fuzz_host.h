/*
 * vchan_fuzz_host.h — an in-memory os.h for the vchan, QubesDB and qrexec
 * fuzz targets: both ends of a channel live in one process as domain 1
 * (grants are pages of the heap, events only count, xenstore is a small
 * table).  Nothing here is real I/O; the end-to-end tests use the
 * simulator.
 */
#ifndef VCHAN_FUZZ_HOST_H
#define VCHAN_FUZZ_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "os.h"

struct os *vfh_new(void);
void vfh_free(struct os *os);
/* The page behind a grant ref, NULL if none. */
void *vfh_page(struct os *os, grant_ref_t ref);
/* Grants a page of the caller's (page-aligned, 4096 bytes) as ref. */
grant_ref_t vfh_grant(struct os *os, void *page);
void vfh_write(struct os *os, const char *path, const char *value);
/* The region os_share_pages gave at va holds only zeros again (the caller
 * knows that nothing wrote into it): it goes back to the pool without
 * being cleared for its next use. */
void vfh_region_clean(struct os *os, const void *va);

#endif
