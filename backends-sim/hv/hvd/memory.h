/*
 * memory.h — guest memory of one domain as the daemon backs it: one memfd
 * per domain, grown in chunks, frame gfn = page gfn of the memfd.  The
 * daemon keeps the whole memfd mapped (frame_ptr for the core) and hands
 * clients the memfd (read-write or read-only) to map granted frames.
 */
#ifndef SPLITBED_HVD_MEMORY_H
#define SPLITBED_HVD_MEMORY_H

#include <stdint.h>

struct hv;
struct dmem;

/* Creates the memory of domain d (no frames yet).  NULL on failure. */
struct dmem *dmem_new(struct hv *hv, uint16_t d);
void dmem_free(struct dmem *m);

/* Takes a free frame (adding frames to the domain in the core when none is
 * free).  Frames come back zeroed.  0 or -errno. */
int dmem_alloc(struct dmem *m, uint64_t *gfn);
/* Gives a frame back: its contents are discarded. */
void dmem_release(struct dmem *m, uint64_t gfn);
/* The daemon's view of frame gfn, or NULL if not backed. */
void *dmem_ptr(struct dmem *m, uint64_t gfn);
/* The memfd, read-write or read-only (owned by m). */
int dmem_fd(struct dmem *m, int readonly);
/* Frames the domain has and how many are free. */
uint64_t dmem_frames(const struct dmem *m);
uint64_t dmem_free_frames(const struct dmem *m);

#endif
