/*
 * main.c — a guest app as a Linux process: builds the struct os, runs
 * app_main, and turns its result into the exit status.
 *
 * -q/--quiet (before any "--") drops informational log lines for every
 * app alike and is not passed on; SPLITBED_DEBUG=1 adds debug lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os_linux.h"

int main(int argc, char **argv)
{
    struct os_linux_opts opts = { .quiet = false };
    const char *dbg = getenv("SPLITBED_DEBUG");
    opts.debug = dbg && *dbg && strcmp(dbg, "0") != 0;

    char **args = calloc((size_t)argc + 1, sizeof(*args));
    if (!args) {
        fprintf(stderr, "%s: out of memory\n", argv[0]);
        return 1;
    }
    int n = 0;
    bool opts_done = false;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && !opts_done && strcmp(argv[i], "--") == 0)
            opts_done = true;
        if (i > 0 && !opts_done &&
            (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0)) {
            opts.quiet = true;
            continue;
        }
        args[n++] = argv[i];
    }
    args[n] = NULL;

    struct os *os = os_linux_open(&opts);
    if (!os) {
        free(args);
        return 1;
    }
    int rc = app_main(os, n, args);
    os_linux_close(os);
    free(args);
    if (rc < 0 || rc > 2)
        rc = 1;
    return rc;
}
