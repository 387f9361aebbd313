/*
 * mem.c — pages and the heap.
 *
 * Pages come from the largest RAM region of the PVH memory map above the
 * image and below 4 GiB (what boot.S identity-maps), tracked by a bitmap
 * kept at the region's start.  os_malloc puts a 16-byte header before
 * each block: small blocks come from power-of-two free lists carved out
 * of pages, large ones are whole pages.
 */
#include "uk.h"

extern char uk_image_start[], uk_image_end[];

static uint64_t *bitmap;    /* bit set = page in use */
static uintptr_t heap_base; /* first allocatable page */
static unsigned long heap_pages, heap_used, next_fit;

#define E820_RAM 1

/* The loader puts the start info, memory map and command line just
 * after the image; all of that stays untouched. */
static uint64_t reserved_end;

static void reserve(uint64_t addr, uint64_t len)
{
    if (addr && addr + len > reserved_end && addr + len <= UK_IDENTITY_LIMIT)
        reserved_end = addr + len;
}

static void consider(uint64_t addr, uint64_t size, uint64_t *best, uint64_t *best_size)
{
    uint64_t lo = addr, hi = addr + size;
    if (hi > UK_IDENTITY_LIMIT)
        hi = UK_IDENTITY_LIMIT;
    if (lo < reserved_end && hi > (uint64_t)(uintptr_t)uk_image_start)
        lo = reserved_end;
    lo = (lo + OS_PAGE_SIZE - 1) & ~(uint64_t)(OS_PAGE_SIZE - 1);
    hi &= ~(uint64_t)(OS_PAGE_SIZE - 1);
    if (hi > lo && hi - lo > *best_size) {
        *best = lo;
        *best_size = hi - lo;
    }
}

int uk_mem_init(const struct hvm_start_info *si)
{
    uint64_t best = 0, best_size = 0;
    reserve((uint64_t)(uintptr_t)uk_image_end, 0);
    reserve((uint64_t)(uintptr_t)si, sizeof(*si));
    if (si->cmdline_paddr)
        reserve(si->cmdline_paddr, os_strlen((const char *)(uintptr_t)si->cmdline_paddr) + 1);
    if (si->version >= 1)
        reserve(si->memmap_paddr,
                (uint64_t)si->memmap_entries * sizeof(struct hvm_memmap_table_entry));
    if (si->nr_modules)
        reserve(si->modlist_paddr, (uint64_t)si->nr_modules * sizeof(struct hvm_modlist_entry));
    if (si->version >= 1 && si->memmap_paddr && si->memmap_entries) {
        const struct hvm_memmap_table_entry *m = (const void *)(uintptr_t)si->memmap_paddr;
        for (uint32_t i = 0; i < si->memmap_entries; i++)
            if (m[i].type == XEN_HVM_MEMMAP_TYPE_RAM)
                consider(m[i].addr, m[i].size, &best, &best_size);
    } else {
        /* Version 0 start info: ask Xen for the map instead. */
        static struct {
            uint64_t addr, size;
            uint32_t type;
        } __attribute__((packed)) e820[64];
        struct xen_memory_map mm = { .nr_entries = 64 };
        set_xen_guest_handle(mm.buffer, (void *)e820);
        if (uk_hypercall(__HYPERVISOR_memory_op, XENMEM_memory_map, (unsigned long)&mm, 0, 0, 0) <
            0)
            return -OS_ENOMEM;
        for (unsigned i = 0; i < mm.nr_entries && i < 64; i++)
            if (e820[i].type == E820_RAM)
                consider(e820[i].addr, e820[i].size, &best, &best_size);
    }
    unsigned long pages = (unsigned long)(best_size >> UK_PAGE_SHIFT);
    unsigned long map_bytes = (pages + 63) / 64 * 8;
    unsigned long map_pages = (map_bytes + OS_PAGE_SIZE - 1) / OS_PAGE_SIZE;
    if (pages <= map_pages + 16)
        return -OS_ENOMEM;
    bitmap = (uint64_t *)(uintptr_t)best;
    memset(bitmap, 0, map_pages * OS_PAGE_SIZE);
    heap_base = (uintptr_t)best + map_pages * OS_PAGE_SIZE;
    heap_pages = pages - map_pages;
    return 0;
}

unsigned long uk_mem_free_pages(void)
{
    return heap_pages - heap_used;
}

static bool page_used(unsigned long i)
{
    return bitmap[i / 64] >> (i % 64) & 1;
}
static void page_mark(unsigned long i, bool used)
{
    if (used)
        bitmap[i / 64] |= 1ull << (i % 64);
    else
        bitmap[i / 64] &= ~(1ull << (i % 64));
}

void *uk_pages_alloc(unsigned npages)
{
    if (!npages || npages > heap_pages)
        return NULL;
    /* First fit from where the last allocation ended, wrapping once. */
    for (unsigned long pass = 0, i = next_fit; pass < 2; pass++, i = 0) {
        unsigned long run = 0;
        for (; i < heap_pages; i++) {
            if (page_used(i)) {
                run = 0;
                continue;
            }
            if (++run == npages) {
                unsigned long first = i + 1 - npages;
                for (unsigned long k = first; k <= i; k++)
                    page_mark(k, true);
                heap_used += npages;
                next_fit = i + 1 < heap_pages ? i + 1 : 0;
                void *va = (void *)(heap_base + first * OS_PAGE_SIZE);
                memset(va, 0, (size_t)npages * OS_PAGE_SIZE);
                return va;
            }
        }
    }
    return NULL;
}

void uk_pages_free(void *va, unsigned npages)
{
    uintptr_t a = (uintptr_t)va;
    if (!va || a < heap_base || (a - heap_base) % OS_PAGE_SIZE)
        uk_panic("free of pages at %p that the allocator never gave", va);
    unsigned long first = (a - heap_base) / OS_PAGE_SIZE;
    if (first + npages > heap_pages)
        uk_panic("free of %u pages at %p runs past the heap", npages, va);
    for (unsigned long k = first; k < first + npages; k++) {
        if (!page_used(k))
            uk_panic("double free of page %p", (void *)(heap_base + k * OS_PAGE_SIZE));
        page_mark(k, false);
    }
    heap_used -= npages;
}

bool uk_mem_owned(const void *p, size_t len)
{
    uintptr_t a = (uintptr_t)p;
    if (a + len < a)
        return false;
    if (a >= (uintptr_t)uk_image_start && a + len <= (uintptr_t)uk_image_end)
        return true;
    if (a < heap_base || a + len > heap_base + heap_pages * OS_PAGE_SIZE)
        return false;
    for (unsigned long k = (a - heap_base) / OS_PAGE_SIZE;
         k <= (a + len - 1 - heap_base) / OS_PAGE_SIZE; k++)
        if (!page_used(k))
            return false;
    return true;
}

void *os_pages_alloc(struct os *os, unsigned npages)
{
    return uk_pages_alloc(npages);
}
void os_pages_free(struct os *os, void *va, unsigned npages)
{
    if (va)
        uk_pages_free(va, npages);
}

/* ---- the heap ------------------------------------------------------------ */
#define HDR 16u
#define MIN_SHIFT 5u  /* 32-byte blocks, header included */
#define MAX_SHIFT 11u /* 2 KiB; larger goes to pages */
#define SMALL_MAGIC 0x5a11u
#define LARGE_MAGIC 0x1a26u

struct hdr {
    uint32_t magic;
    uint32_t shift_or_pages;
    uint64_t pad;
};
struct free_block {
    struct free_block *next;
};
static struct free_block *free_lists[MAX_SHIFT + 1];

void *os_malloc(struct os *os, size_t size)
{
    if (size > (size_t)UINT32_MAX * OS_PAGE_SIZE - HDR)
        return NULL;
    size_t total = size + HDR;
    struct hdr *h;
    if (total <= (1u << MAX_SHIFT)) {
        unsigned shift = MIN_SHIFT;
        while ((1u << shift) < total)
            shift++;
        if (!free_lists[shift]) {
            uint8_t *page = uk_pages_alloc(1);
            if (!page)
                return NULL;
            for (size_t off = 0; off < OS_PAGE_SIZE; off += 1u << shift) {
                struct free_block *b = (void *)(page + off);
                b->next = free_lists[shift];
                free_lists[shift] = b;
            }
        }
        h = (struct hdr *)free_lists[shift];
        free_lists[shift] = free_lists[shift]->next;
        *h = (struct hdr){ SMALL_MAGIC, shift, 0 };
    } else {
        unsigned pages = (unsigned)((total + OS_PAGE_SIZE - 1) / OS_PAGE_SIZE);
        h = uk_pages_alloc(pages);
        if (!h)
            return NULL;
        *h = (struct hdr){ LARGE_MAGIC, pages, 0 };
    }
    return (uint8_t *)h + HDR;
}

void *os_calloc(struct os *os, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = os_malloc(os, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void os_free(struct os *os, void *p)
{
    if (!p)
        return;
    struct hdr *h = (struct hdr *)((uint8_t *)p - HDR);
    if (h->magic == SMALL_MAGIC && h->shift_or_pages >= MIN_SHIFT &&
        h->shift_or_pages <= MAX_SHIFT) {
        unsigned shift = h->shift_or_pages;
        h->magic = 0;
        struct free_block *b = (void *)h;
        b->next = free_lists[shift];
        free_lists[shift] = b;
    } else if (h->magic == LARGE_MAGIC) {
        h->magic = 0;
        uk_pages_free(h, h->shift_or_pages);
    } else {
        uk_panic("os_free(%p): not a block os_malloc returned (or freed twice)", p);
    }
}
