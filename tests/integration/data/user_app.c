/* A program of a user's, built only against an installed splitbed (its
 * headers, archives and pkg-config file): reads the first sector of xvda
 * and prints the name in the tar header found there. */
#include <blkfront.h>
#include <os.h>

int app_main(struct os *os, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct blkfront *bf;
    char sector[512];
    if (blkfront_open_sync(os, "xvda", &bf) < 0)
        return 1;
    int r = blkfront_read_sync(bf, 0, sector, sizeof sector);
    blkfront_close(bf);
    if (r < 0)
        return 1;
    size_t n = 0;
    while (n < 100 && sector[n])
        n++;
    os_console_write(os, sector, n);
    os_console_write(os, "\n", 1);
    return 0;
}
