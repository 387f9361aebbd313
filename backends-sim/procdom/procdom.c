/*
 * procdom.c — a process's domain from its ancestors' initial
 * environments (procdom.h).
 */
#include "backends-sim/procdom/procdom.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 4096         /* ancestors walked at most */
#define MAX_ENVIRON (4u << 20) /* bytes of one environment read at most */
#define MAX_DOMID 0x7fefu      /* DOMID_FIRST_RESERVED - 1 */

int procdom_sim_init(struct procdom_sim *sim, const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return -errno;
    sim->dev = st.st_dev;
    sim->ino = st.st_ino;
    return 0;
}

/* The parent of pid, 0 at the top, -1 if pid is gone. */
static pid_t parent_of(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    /* "pid (comm) S ppid ...": comm may hold anything, ')' included. */
    char *p = strrchr(buf, ')');
    int ppid;
    if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1 || ppid < 0)
        return -1;
    return (pid_t)ppid;
}

/* Reads pid's initial environment into a malloc'd buffer (NUL-separated
 * entries, one more NUL after the last).  NULL if it cannot be read. */
static char *environ_of(pid_t pid, size_t *len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf)
            break;
        if (n == cap) {
            if (cap >= MAX_ENVIRON)
                break;
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(buf);
            buf = NULL;
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

static const char *find_var(const char *env, size_t len, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < len; i += strlen(env + i) + 1)
        if (!strncmp(env + i, name, nl) && env[i + nl] == '=')
            return env + i + nl + 1;
    return NULL;
}

/* The domain pid's own environment puts it in, or PROCDOM_HOST. */
static int marked_domain(const struct procdom_sim *sim, pid_t pid)
{
    size_t len = 0;
    char *env = environ_of(pid, &len);
    if (!env)
        return PROCDOM_HOST;
    int dom = PROCDOM_HOST;
    const char *dir = find_var(env, len, "SPLITBED_DIR");
    const char *id = find_var(env, len, "SPLITBED_DOMID");
    struct stat st;
    if (dir && id && stat(dir, &st) == 0 && st.st_dev == sim->dev && st.st_ino == sim->ino) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(id, &end, 10);
        if (*id >= '0' && *id <= '9' && !*end && !errno && v <= MAX_DOMID)
            dom = (int)v;
    }
    free(env);
    return dom;
}

int procdom_of(const struct procdom_sim *sim, pid_t pid)
{
    if (pid <= 0)
        return PROCDOM_UNKNOWN;
    /* From the top down, a host process or dom0 may start a process in
     * any domain, a guest's processes stay in it: the topmost guest
     * marker decides, else any dom0 marker. */
    int guest = PROCDOM_HOST;
    bool dom0 = false;
    for (int depth = 0; pid > 0 && depth < MAX_DEPTH; depth++) {
        pid_t parent = parent_of(pid);
        if (parent < 0) {
            if (depth == 0)
                return PROCDOM_UNKNOWN;
            break;
        }
        int d = marked_domain(sim, pid);
        if (d > 0)
            guest = d;
        else if (d == 0)
            dom0 = true;
        pid = parent;
    }
    return guest > 0 ? guest : dom0 ? 0 : PROCDOM_HOST;
}

int procdom_adopt_orphans(void)
{
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : -errno;
}
