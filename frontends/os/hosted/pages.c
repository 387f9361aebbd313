/*
 * pages.c — os_pages_alloc/os_pages_free of a home with a C library:
 * private, zeroed, page-aligned memory from the heap.
 */
#include <stdlib.h>
#include <string.h>

#include "os.h"

void *os_pages_alloc(struct os *os, unsigned npages)
{
    if (!npages)
        return NULL;
    void *p = aligned_alloc(OS_PAGE_SIZE, (size_t)npages * OS_PAGE_SIZE);
    if (p)
        memset(p, 0, (size_t)npages * OS_PAGE_SIZE);
    return p;
}

void os_pages_free(struct os *os, void *va, unsigned npages)
{
    free(va);
}
