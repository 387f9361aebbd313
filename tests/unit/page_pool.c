/* page_pool.c — see page_pool.h. */
#include <stdlib.h>
#include <string.h>

#include "os.h"
#include "tests/unit/page_pool.h"

#ifdef SPLITBED_FUZZ
#define POOL_BLOCKS 64

static struct {
    void *p;
    unsigned n;
} pool[POOL_BLOCKS];

static void *reuse(unsigned npages)
{
    for (unsigned i = 0; i < POOL_BLOCKS; i++)
        if (pool[i].p && pool[i].n == npages) {
            void *p = pool[i].p;
            pool[i].p = NULL;
            return p;
        }
    return NULL;
}

static bool keep(void *p, unsigned npages)
{
    for (unsigned i = 0; i < POOL_BLOCKS; i++)
        if (!pool[i].p) {
            pool[i].p = p;
            pool[i].n = npages;
            return true;
        }
    return false;
}
#else
static void *reuse(unsigned npages)
{
    return NULL;
}

static bool keep(void *p, unsigned npages)
{
    return false;
}
#endif

void *page_pool_take(unsigned npages)
{
    size_t size = (size_t)npages * OS_PAGE_SIZE;
    void *p = reuse(npages);
    if (!p)
        p = aligned_alloc(OS_PAGE_SIZE, size);
    if (p)
        memset(p, 0, size);
    return p;
}

void page_pool_give(void *p, unsigned npages)
{
    if (!keep(p, npages))
        free(p);
}
