/*
 * os_world.h — the third home of os.h: a frontend living inside the
 * seeded world (backends-sim/world/), in the same process as its backend,
 * the hypervisor core and xenstore.
 *
 * Grants and event channels go to the hypervisor core as domain `domid`;
 * xenstore goes through an in-process client of that domain.  Nothing
 * arrives by itself: the world delivers watch events and event-channel
 * notifications into this home's inbox when its scheduler says so, and
 * os_wait() does not block but hands control back to the scheduler, which
 * runs the other actors until this domain has input.  So the drivers run
 * unchanged — blkfront_close()'s bounded wait included — and every
 * interleaving is the scheduler's choice.
 *
 * Shared pages are frames of the domain's memory (a first-fit allocator
 * over them, so the same run always picks the same frames).  A region the
 * peer still maps when it is unshared is let go as Linux's gntalloc lets
 * it go: its grants end at the peer's last unmap, and only then do its
 * frames return to the allocator; os_world_held_frames() counts those
 * still waiting.
 *
 * Mapping a peer's grants (vchan's client) goes through the core's
 * GNTTABOP_map and hands back the peer's own frames, which must lie one
 * after the other in its memory when several are mapped at once (they do
 * when the peer is a world home: its regions are contiguous).  The unmap
 * notifications of os_share_page_notify()/os_map_grant_notify() are said
 * by os_world_free(), as a dying process's kernel says them.
 */
#ifndef SPLITBED_OS_WORLD_H
#define SPLITBED_OS_WORLD_H

#include "os.h"

#include "backends-sim/hv/core/hv.h"
#include "backends-sim/xenstored/xsc_client.h"

/* What the world does for this home; each gets the ctx given to
 * os_world_new() first.  tx_conflict and log may be NULL. */
struct os_world_ops {
    uint64_t (*now_ns)(void *ctx);
    /* Runs other actors until this domain has input or the deadline
     * passes (os_wait's contract: 1, 0 on timeout, negative to stop). */
    int (*wait)(void *ctx, uint64_t deadline_ns);
    /* Asked at every commit: true makes it fail with EAGAIN (a fault). */
    bool (*tx_conflict)(void *ctx);
    void (*log)(void *ctx, enum os_log_level level, const char *line);
    /* Another domain's memory as this process sees it (and its frame
     * count), for mapping what that domain granted (os_map_grants); NULL
     * when this world maps nothing: the calls then fail with -OS_ENOSYS. */
    uint8_t *(*memory)(void *ctx, domid_t d, uint64_t *frames);
};

/* The domain this home runs as. */
struct os_world_host {
    hv_t *hv;
    domid_t domid;
    uint8_t *mem;          /* the domain's memory ... */
    uint64_t nr_frames;    /* ... and its frame count */
    struct xsc_client *xs; /* a connection of this domain */
    /* Test hook, a deliberately broken frontend: every region shared
     * after the first (the ring) is granted read-only. */
    bool bug_readonly_data;
};

struct os *os_world_new(const struct os_world_host *host, const struct os_world_ops *ops,
                        void *ctx);
/* Frees the home (ends nothing: the world checks what was left), after
 * saying the unmap notifications still armed: the byte cleared and the
 * port notified, as for a process that died. */
void os_world_free(struct os *os);

/* Watch events the domain's connection holds, not yet delivered. */
unsigned os_world_queued_watches(const struct os *os);
/* Delivers the oldest of them to the inbox (its path copied to path, for
 * the caller's record); false if there was none. */
bool os_world_deliver_watch(struct os *os, char *path, size_t size);
/* Delivers an event on `port` (once, however often it comes). */
void os_world_deliver_event(struct os *os, evtchn_port_t port);
/* Something delivered and not yet taken by the driver. */
bool os_world_has_input(const struct os *os);
unsigned os_world_held_frames(struct os *os);

#endif
