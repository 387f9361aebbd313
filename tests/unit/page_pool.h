/*
 * page_pool.h — the page blocks the in-memory test hosts share with a
 * peer (test_blkfront_host.c, test_net_host.c): zeroed and page-aligned.
 *
 * Fuzz targets (SPLITBED_FUZZ) build a host per input: a block given
 * back goes to a pool and comes out again for the next take of its
 * size, which saves faulting in fresh memory every time.  Tests keep
 * plain malloc, so ASan still sees every use after free there.
 */
#ifndef TEST_PAGE_POOL_H
#define TEST_PAGE_POOL_H

/* npages zeroed pages, or NULL when there is no memory. */
void *page_pool_take(unsigned npages);
/* Gives back a block page_pool_take gave, with its size. */
void page_pool_give(void *p, unsigned npages);

#endif
