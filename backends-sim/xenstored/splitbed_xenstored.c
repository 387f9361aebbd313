/* splitbed-xenstored: the simulator's xenstore daemon (see README.md). */
#include "backends-sim/xenstored/xsc_server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

static int usage(const char *why)
{
    fprintf(stderr,
            "splitbed-xenstored: %s\n"
            "usage: splitbed-xenstored --dir DIR [--ready-fd FD] "
            "[--trace FILE] [--hv-dir SIMDIR [--hv-ready-fd FD]]\n",
            why);
    return 2;
}

/* Waits for splitbed-hvd's ready line on fd: false (with one line) when
 * it ended without one. */
static bool hv_ready(int fd, const char *hvdir)
{
    char line[16];
    ssize_t n;
    while ((n = read(fd, line, sizeof(line))) < 0 && errno == EINTR)
        ;
    close(fd);
    if (n > 0)
        return true;
    fprintf(stderr, "splitbed-xenstored: the splitbed-hvd of %s ended before it served\n", hvdir);
    return false;
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *tracepath = NULL, *hvdir = NULL;
    int ready = -1, hvready = -1, sfd, rc;
    FILE *tracef = NULL;
    struct xsc_server *s;
    sigset_t set;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0) {
            printf("usage: splitbed-xenstored --dir DIR [--ready-fd FD] "
                   "[--trace FILE] [--hv-dir SIMDIR [--hv-ready-fd FD]]\n");
            return 0;
        }
        if (i + 1 >= argc) {
            char why[256];
            snprintf(why, sizeof(why), "%.200s needs a value", a);
            return usage(why);
        }
        if (strcmp(a, "--dir") == 0) {
            dir = argv[++i];
        } else if (strcmp(a, "--hv-dir") == 0) {
            hvdir = argv[++i];
        } else if (strcmp(a, "--trace") == 0) {
            tracepath = argv[++i];
        } else if (strcmp(a, "--ready-fd") == 0 || strcmp(a, "--hv-ready-fd") == 0) {
            char *end;
            long v;
            errno = 0;
            v = strtol(argv[++i], &end, 10);
            if (errno || *end || v < 0 || v > 65535 || fcntl(v, F_GETFD) < 0) {
                fprintf(stderr,
                        "splitbed-xenstored: %s %s: "
                        "not an open file descriptor\n",
                        a, argv[i]);
                return 2;
            }
            *(strcmp(a, "--ready-fd") == 0 ? &ready : &hvready) = (int)v;
        } else {
            char why[256];
            snprintf(why, sizeof(why), "unknown option %.200s", a);
            return usage(why);
        }
    }
    if (!dir)
        return usage("--dir is required");
    if (hvready >= 0 && !hvdir)
        return usage("--hv-ready-fd needs --hv-dir");
    if (tracepath && !(tracef = fopen(tracepath, "a"))) {
        fprintf(stderr, "splitbed-xenstored: %s: %s\n", tracepath, strerror(errno));
        return 1;
    }
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0) {
        perror("splitbed-xenstored: signalfd");
        return 1;
    }
    /* Descriptors are what clients cost: take all the system allows. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    s = xsc_server_new(dir, tracef);
    if (!s)
        return 1;
    /* VIRQ_DOM_EXC from the simulator's splitbed-hvd (xsc_domexc.h),
     * once it serves when it is starting beside us. */
    if (hvready >= 0 && !hv_ready(hvready, hvdir)) {
        xsc_server_free(s);
        return 1;
    }
    if (hvdir && xsc_server_watch_domains(s, hvdir) < 0) {
        xsc_server_free(s);
        return 1;
    }
    if (ready >= 0) {
        static const char line[] = "ready\n";
        if (write(ready, line, sizeof(line) - 1) < 0)
            perror("splitbed-xenstored: ready-fd");
        close(ready);
    }
    rc = xsc_server_run(s, sfd);
    xsc_server_free(s);
    if (tracef)
        fclose(tracef);
    return rc ? 1 : 0;
}
