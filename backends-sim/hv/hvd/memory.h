/*
 * memory.h — guest memory of one domain as the daemon backs it: one memfd
 * per domain, grown in chunks, frame gfn = page gfn of the memfd, kept
 * whole in the daemon and never handed out.  The frames of a sharing are
 * backed by a memfd of their own (struct smem), mapped over those frames
 * in the daemon's view: a client is only ever given a sharing's memfd, so
 * it reaches the pages of that sharing and nothing else of the domain.
 */
#ifndef SPLITBED_HVD_MEMORY_H
#define SPLITBED_HVD_MEMORY_H

#include <stdint.h>

struct hv;
struct dmem;
struct smem;

/* Creates the memory of domain d (no frames yet).  NULL on failure. */
struct dmem *dmem_new(struct hv *hv, uint16_t d);
void dmem_free(struct dmem *m);

/* Takes a free frame (adding frames to the domain in the core when none is
 * free).  Frames come back zeroed.  0 or -errno. */
int dmem_alloc(struct dmem *m, uint64_t *gfn);
/* Gives a frame back: its contents are discarded.  A frame a sharing
 * backs leaves it first: its page is punched out of the sharing's memfd
 * (whoever still holds that memfd sees zeros there) and the frame is
 * backed by the domain's own memory again.  A frame that cannot be given
 * fresh memory stays out of use. */
void dmem_release(struct dmem *m, uint64_t gfn);
/* The daemon's view of frame gfn, or NULL if not backed. */
void *dmem_ptr(struct dmem *m, uint64_t gfn);

/* Backs frames gfns[0..count) (taken with dmem_alloc, not yet shared) by
 * a new memfd whose page i is frame gfns[i].  0 or -errno. */
int dmem_share(struct dmem *m, const uint64_t *gfns, uint32_t count);
/* The sharing memfd backing frame gfn, and the page of it; NULL if the
 * frame is not shared.  It lives while a frame of it is not released. */
struct smem *dmem_backing(struct dmem *m, uint64_t gfn, uint32_t *page);
/* Unique for the daemon's life. */
uint64_t smem_id(const struct smem *s);
/* Its memfd, read-write or read-only (owned by s), or -errno. */
int smem_fd(struct smem *s, int readonly);
/* Frames the domain has and how many are free. */
uint64_t dmem_frames(const struct dmem *m);
uint64_t dmem_free_frames(const struct dmem *m);

#endif
