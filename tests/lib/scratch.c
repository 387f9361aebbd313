/*
 * scratch.c — see scratch.h.
 */
#include "tests/lib/scratch.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/lib/runproc.h"

const char *scratch_prefix = "splitbed-test";
static char base[96];

void scratch_setup(void)
{
    snprintf(base, sizeof base, "/tmp/%s-XXXXXX", scratch_prefix);
    if (!mkdtemp(base)) {
        perror("scratch: mkdtemp");
        abort();
    }
}

const char *scratch_base(void)
{
    return base;
}

void scratch_dir(char *out, size_t size)
{
    ck_assert_msg(base[0], "scratch_dir outside the scratch fixture");
    int n = snprintf(out, size, "%s/t-XXXXXX", base);
    ck_assert_msg(n > 0 && (size_t)n < size, "scratch: path too long for its buffer");
    ck_assert_ptr_nonnull(mkdtemp(out));
}

/* Does the NUL-separated file /proc/PID/WHAT name the tree? */
static int names_base(const char *pid, const char *what)
{
    char path[64];
    static char buf[1 << 16];
    snprintf(path, sizeof path, "/proc/%s/%s", pid, what);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    for (ssize_t i = 0; i < n; i++)
        if (!buf[i])
            buf[i] = '\n';
    return strstr(buf, base) != NULL;
}

/* Kills what was run from the tree; returns how many it found. */
static int kill_strays(void)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9' || atoi(e->d_name) == getpid())
            continue;
        if (names_base(e->d_name, "cmdline") || names_base(e->d_name, "environ")) {
            /* Wait for it to be gone, so that it writes nothing into the
             * tree once that is being removed. */
            int pfd = (int)syscall(SYS_pidfd_open, atoi(e->d_name), 0);
            kill(atoi(e->d_name), SIGKILL);
            if (pfd >= 0) {
                struct pollfd p = { .fd = pfd, .events = POLLIN };
                poll(&p, 1, 10000);
                close(pfd);
            }
            found++;
        }
    }
    closedir(d);
    return found;
}

void scratch_teardown(void)
{
    if (!base[0])
        return;
    /* A killed process may be one that would have started another. */
    for (int round = 0; round < 5 && kill_strays() > 0; round++)
        ;
    runproc_rmtree(base);
    base[0] = '\0';
}
