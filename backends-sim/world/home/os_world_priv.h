/*
 * os_world_priv.h — the world home's struct os (private to this folder).
 */
#ifndef SPLITBED_OS_WORLD_PRIV_H
#define SPLITBED_OS_WORLD_PRIV_H

#include "backends-sim/world/home/os_world.h"

struct os_share; /* one os_share_pages() region (grants.c) */
struct os_map;   /* one os_map_grants() mapping (gntmap.c) */

/* An unmap notification armed by os_share_page_notify() or
 * os_map_grant_notify(): said at os_world_free() unless ended first. */
struct os_goodbye {
    struct os_goodbye *next;
    uint8_t *page;
    uint32_t offset;
    evtchn_port_t port;
};

struct os_watch_ev {
    struct os_watch_ev *next;
    char *path, *token;
};

#define OS_WORLD_MAX_PORTS 64u /* delivered ports waiting for the driver */

struct os {
    struct os_world_host h;
    const struct os_world_ops *ops;
    void *ctx;
    uint8_t *frame_used; /* per frame: free, in use, held by the peer */
    struct os_share *shares;
    struct os_share *held; /* unshared, still mapped by the peer */
    unsigned nshares;      /* ever made: the first is the ring */
    struct os_watch_ev *inbox, **inbox_tail;
    evtchn_port_t ports[OS_WORLD_MAX_PORTS];
    unsigned nports;
    struct xsc_reply reply; /* scratch for one answer at a time */
    struct os_map *maps;
    struct os_goodbye *goodbyes;
};

void os_world_free_shares(struct os *os);
/* Says the armed goodbyes and forgets every mapping (gntmap.c). */
void os_world_end_maps(struct os *os);
/* Forgets the goodbye armed for page (it was unshared or unmapped). */
void os_world_forget_goodbye(struct os *os, const void *page);

#endif
