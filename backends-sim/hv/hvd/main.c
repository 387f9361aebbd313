/*
 * splitbed-hvd --dir DIR [--ready-fd FD]... [--gntalloc-limit N]
 * Hosts the simulated hypervisor for processes (docs/runtime.md).
 * Each --ready-fd gets a line once it serves: the one who started it,
 * and a daemon started beside it that needs it (splitbed-xenstored).
 */
#include "backends-sim/hv/hvd/hvd.h"
#include "backends-sim/hv/hvd/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(const char *what, const char *arg)
{
    fprintf(stderr,
            "splitbed-hvd: %s%s%s (usage: splitbed-hvd --dir DIR [--ready-fd FD]... "
            "[--gntalloc-limit N])\n",
            what, arg ? ": " : "", arg ? arg : "");
    return 2;
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    int ready[HVD_READY_FDS_MAX];
    unsigned nready = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--ready-fd") && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || end == argv[i] || v < 0 || v > 65535)
                return usage("--ready-fd needs a file descriptor number, not", argv[i]);
            if (nready == HVD_READY_FDS_MAX)
                return usage("too many --ready-fd, at", argv[i]);
            ready[nready++] = (int)v;
        } else if (!strcmp(argv[i], "--gntalloc-limit") && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || end == argv[i] || v < 1 || v > 1L << 20)
                return usage("--gntalloc-limit needs a number of grants from 1 to 1048576, not",
                             argv[i]);
            hvd_gntalloc_limit = (uint32_t)v;
        } else
            return usage("unknown option or missing value", argv[i]);
    }
    if (!dir || !*dir)
        return usage("--dir DIR is required", NULL);
    return hvd_run(dir, ready, nready);
}
