/* vchan_fuzz_host.c — see vchan_fuzz_host.h. */
#include "tests/fuzz/vchan_fuzz_host.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REFS 2048
#define MAX_KEYS 64

struct region {
    void *va;
    unsigned npages;
    grant_ref_t first;
    bool clean; /* known to hold only zeros (vfh_region_clean) */
};

struct os {
    void *page[MAX_REFS]; /* ref -> page */
    grant_ref_t next_ref;
    struct region regions[64];
    unsigned nregions;
    evtchn_port_t next_port;
    char *key[MAX_KEYS], *val[MAX_KEYS];
};

/* The last host freed, kept for the next vfh_new: clearing the parts of
 * it that were used costs less than a fresh allocation of its tables. */
static struct os *spare;

struct os *vfh_new(void)
{
    struct os *os = spare;
    spare = NULL;
    if (os) {
        /* vfh_free left no key behind and no region in use. */
        memset(os->page, 0, os->next_ref * sizeof(os->page[0]));
        memset(os->regions, 0, os->nregions * sizeof(os->regions[0]));
        os->nregions = 0;
    } else {
        os = calloc(1, sizeof *os);
    }
    if (os) {
        os->next_ref = 8;
        os->next_port = 1;
    }
    return os;
}

/* A host lives for one input: the pages of its regions go back to a pool
 * when it goes and come out of it for the next host, which then clears
 * them instead of faulting in fresh memory (a vchan ring can be hundreds
 * of pages), unless they are known to hold only zeros. */
static struct {
    void *p;
    unsigned n;
    bool clean;
} pool[32];

static void *pool_take(unsigned npages, bool *clean)
{
    for (unsigned i = 0; i < 32; i++)
        if (pool[i].p && pool[i].n == npages) {
            void *p = pool[i].p;
            pool[i].p = NULL;
            *clean = pool[i].clean;
            return p;
        }
    *clean = false;
    return aligned_alloc(OS_PAGE_SIZE, (size_t)npages * OS_PAGE_SIZE);
}

static void pool_give(void *p, unsigned npages, bool clean)
{
    for (unsigned i = 0; i < 32; i++)
        if (!pool[i].p) {
            pool[i].p = p;
            pool[i].n = npages;
            pool[i].clean = clean;
            return;
        }
    free(p);
}

void vfh_free(struct os *os)
{
    for (unsigned i = 0; i < os->nregions; i++)
        pool_give(os->regions[i].va, os->regions[i].npages, os->regions[i].clean);
    for (unsigned i = 0; i < MAX_KEYS; i++) {
        free(os->key[i]);
        free(os->val[i]);
        os->key[i] = os->val[i] = NULL;
    }
    if (spare)
        free(spare);
    spare = os;
}

void vfh_region_clean(struct os *os, const void *va)
{
    for (unsigned i = 0; i < os->nregions; i++)
        if (os->regions[i].va == va)
            os->regions[i].clean = true;
}

void *vfh_page(struct os *os, grant_ref_t ref)
{
    return ref < MAX_REFS ? os->page[ref] : NULL;
}

grant_ref_t vfh_grant(struct os *os, void *page)
{
    if (os->next_ref >= MAX_REFS)
        return 0;
    os->page[os->next_ref] = page;
    return os->next_ref++;
}

void os_log(struct os *os, enum os_log_level level, const char *fmt, ...)
{
    (void)os, (void)level, (void)fmt;
}

/* ---- grants: one allocation per region, so a region is contiguous ---- */
int os_share_pages(struct os *os, domid_t peer, unsigned npages, bool writable, void **va,
                   grant_ref_t *refs)
{
    if (!npages || os->next_ref + npages > MAX_REFS || os->nregions >= 64)
        return -OS_ENOMEM;
    bool clean;
    uint8_t *p = pool_take(npages, &clean);
    if (!p)
        return -OS_ENOMEM;
    if (!clean)
        memset(p, 0, (size_t)npages * OS_PAGE_SIZE);
    os->regions[os->nregions++] = (struct region){ p, npages, os->next_ref, false };
    for (unsigned i = 0; i < npages; i++) {
        refs[i] = os->next_ref;
        os->page[os->next_ref] = p + (size_t)i * OS_PAGE_SIZE;
        os->next_ref++;
    }
    *va = p;
    return 0;
}

int os_share_page_notify(struct os *os, domid_t peer, bool writable, uint32_t notify_offset,
                         evtchn_port_t port, void **va, grant_ref_t *ref)
{
    return os_share_pages(os, peer, 1, writable, va, ref);
}

int os_unshare_pages(struct os *os, void *va, unsigned npages)
{
    return 0; /* freed with the host */
}

int os_grant_access(struct os *os, domid_t peer, const void *page, bool readonly, grant_ref_t *ref)
{
    return -OS_EINVAL;
}

int os_end_access(struct os *os, grant_ref_t ref)
{
    return 0;
}

int os_map_grants(struct os *os, domid_t peer, unsigned npages, const grant_ref_t *refs,
                  bool writable, void **va)
{
    /* pages must follow each other in memory, as a real mapping does */
    uint8_t *first = vfh_page(os, refs[0]);
    if (!first)
        return -OS_EINVAL;
    for (unsigned i = 1; i < npages; i++)
        if (vfh_page(os, refs[i]) != first + (size_t)i * OS_PAGE_SIZE)
            return -OS_EINVAL;
    *va = first;
    return 0;
}

int os_map_grant_notify(struct os *os, domid_t peer, grant_ref_t ref, bool writable,
                        uint32_t notify_offset, evtchn_port_t port, void **va)
{
    return os_map_grants(os, peer, 1, &ref, writable, va);
}

int os_unmap_grants(struct os *os, void *va, unsigned npages)
{
    return 0;
}

/* ---- events: counted, never pending ---- */
int os_evtchn_alloc_unbound(struct os *os, domid_t peer, evtchn_port_t *port)
{
    *port = os->next_port++;
    return 0;
}

int os_evtchn_bind_interdomain(struct os *os, domid_t peer, evtchn_port_t remote,
                               evtchn_port_t *local)
{
    *local = os->next_port++;
    return 0;
}

int os_evtchn_notify(struct os *os, evtchn_port_t port)
{
    return 0;
}

int os_evtchn_close(struct os *os, evtchn_port_t port)
{
    return 0;
}

int os_evtchn_next_pending(struct os *os, evtchn_port_t *port)
{
    return 0;
}

/* ---- xenstore: a table ---- */
static int find(struct os *os, const char *path)
{
    for (int i = 0; i < MAX_KEYS; i++)
        if (os->key[i] && !strcmp(os->key[i], path))
            return i;
    return -1;
}

void vfh_write(struct os *os, const char *path, const char *value)
{
    int i = find(os, path);
    for (int k = 0; i < 0 && k < MAX_KEYS; k++)
        if (!os->key[k]) {
            i = k;
            os->key[k] = strdup(path);
        }
    if (i < 0)
        return;
    free(os->val[i]);
    os->val[i] = strdup(value);
}

int os_xs_read(struct os *os, os_xs_tx tx, const char *path, char *buf, size_t size)
{
    int i = find(os, path);
    if (i < 0)
        return -OS_ENOENT;
    size_t n = strlen(os->val[i]);
    if (n + 1 > size)
        return -OS_E2BIG;
    memcpy(buf, os->val[i], n + 1);
    return (int)n;
}

int os_xs_write(struct os *os, os_xs_tx tx, const char *path, const char *value)
{
    vfh_write(os, path, value);
    return 0;
}

int os_xs_mkdir(struct os *os, os_xs_tx tx, const char *path)
{
    return 0;
}

int os_xs_rm(struct os *os, os_xs_tx tx, const char *path)
{
    size_t n = strlen(path);
    for (int i = 0; i < MAX_KEYS; i++)
        if (os->key[i] && !strncmp(os->key[i], path, n) &&
            (os->key[i][n] == 0 || os->key[i][n] == '/')) {
            free(os->key[i]);
            free(os->val[i]);
            os->key[i] = os->val[i] = NULL;
        }
    return 0;
}

int os_xs_allow_read(struct os *os, os_xs_tx tx, const char *path, domid_t reader)
{
    return 0;
}

int os_xs_directory(struct os *os, os_xs_tx tx, const char *path, char *buf, size_t size)
{
    return 0;
}

int os_xs_tx_start(struct os *os, os_xs_tx *tx)
{
    *tx = 1;
    return 0;
}

int os_xs_tx_end(struct os *os, os_xs_tx tx, bool abort)
{
    return 0;
}

int os_xs_watch(struct os *os, const char *path, const char *token)
{
    return 0;
}

int os_xs_unwatch(struct os *os, const char *path, const char *token)
{
    return 0;
}

int os_xs_next_watch(struct os *os, char *path, size_t ps, char *token, size_t ts)
{
    return 0;
}

domid_t os_domid(struct os *os)
{
    return 1;
}

uint64_t os_now_ns(struct os *os)
{
    static uint64_t t;
    return t += 1000;
}

int os_wait(struct os *os, uint64_t deadline_ns)
{
    return 0;
}

long os_console_write(struct os *os, const void *buf, size_t len)
{
    return (long)len;
}
