/* splitbed replay FILE|--seed N [--trace] [...]: runs one schedule of the
 * seeded in-process world (backends-sim/world/), e.g. a fuzzer's crash file. */
#include "cli.h"
#include "layout.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cmd_replay(int argc, char **argv)
{
    char prog[4096];
    if (!layout_path(prog, sizeof prog, "libexec/splitbed", "splitbed-replay") ||
        access(prog, X_OK) != 0) {
        fprintf(stderr, "splitbed: replay: %s is missing (is splitbed built or installed whole?)\n",
                prog);
        return EXIT_FAIL;
    }
    /* The tool parses its own arguments and owns the exit status. */
    argv[0] = prog;
    execv(prog, argv);
    fprintf(stderr, "splitbed: replay: cannot run %s: %s\n", prog, strerror(errno));
    return EXIT_FAIL;
}
