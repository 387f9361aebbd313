/*
 * fmem-peer DOMID — built against Debian's real libxenforeignmemory:
 * maps page 0 of DOMID and prints what happened, one line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xenforeignmemory.h>

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    xenforeignmemory_handle *h = xenforeignmemory_open(NULL, 0);
    if (!h) {
        printf("open failed: %s\n", strerror(errno));
        return 1;
    }
    xen_pfn_t pfn = 0;
    int err = 0;
    void *p = xenforeignmemory_map(h, (uint32_t)atoi(argv[1]), PROT_READ, 1, &pfn, &err);
    if (p)
        printf("mapped\n");
    else
        printf("map failed: %s\n", strerror(errno));
    xenforeignmemory_close(h);
    return 0;
}
