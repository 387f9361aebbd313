/*
 * os-grant-guest — shares and grants pages to domain 0 through the Linux
 * OS layer, for test_persistent_grants.  It prints one line
 *     refs RO PAGE0 PAGE1 SHARED
 * where PAGE0 and PAGE1 are the refs os_share_pages gave a writable region
 * of two pages (filled with 0x5a and 0xa5), RO is os_grant_access's
 * read-only grant of page 0 and SHARED the ref of a page shared read-only
 * (filled with 0x3c).  Then it waits for its stdin to close, ends every
 * sharing and prints "unshared".  Exit 0, or 1 after the host's line.
 */
#include <unistd.h>

#include "os.h"

static void say(struct os *os, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct os *os, const char *fmt, ...)
{
    char line[160];
    va_list ap;
    va_start(ap, fmt);
    int n = os_vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof(line))
        os_console_write(os, line, (size_t)n);
}

int app_main(struct os *os, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    uint8_t *rw, *ro;
    grant_ref_t page[2], shared, ro_ref;
    if (os_share_pages(os, 0, 2, true, (void **)&rw, page) < 0)
        return 1;
    os_memset(rw, 0x5a, OS_PAGE_SIZE);
    os_memset(rw + OS_PAGE_SIZE, 0xa5, OS_PAGE_SIZE);
    if (os_grant_access(os, 0, rw, true, &ro_ref) < 0)
        return 1;
    if (os_share_pages(os, 0, 1, false, (void **)&ro, &shared) < 0)
        return 1;
    os_memset(ro, 0x3c, OS_PAGE_SIZE);
    say(os, "refs %u %u %u %u\n", (unsigned)ro_ref, (unsigned)page[0], (unsigned)page[1],
        (unsigned)shared);
    char c;
    while (read(0, &c, 1) > 0)
        ;
    if (os_unshare_pages(os, rw, 2) < 0 || os_unshare_pages(os, ro, 1) < 0)
        return 1;
    say(os, "unshared\n");
    return 0;
}
