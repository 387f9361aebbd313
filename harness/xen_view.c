/*
 * xen_view.c — see xen_view.h.
 */
#include "harness/xen_view.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    size_t n = strlen(text);
    int r = write(fd, text, n) == (ssize_t)n ? 0 : -EIO;
    close(fd);
    return r;
}

/* Replaces folder `path` by a tmpfs holding bind mounts of its entries,
 * staged at `stage` (an empty folder); the caller then adds to it. */
static int cover(const char *path, const char *stage)
{
    if (mount("splitbed", stage, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
        return -errno;
    DIR *d = opendir(path);
    if (!d)
        return -errno;
    int r = 0;
    for (struct dirent *e; r == 0 && (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char from[PATH_MAX], to[PATH_MAX];
        snprintf(from, sizeof from, "%s/%s", path, e->d_name);
        snprintf(to, sizeof to, "%s/%s", stage, e->d_name);
        struct stat st;
        if (lstat(from, &st) < 0)
            continue; /* gone meanwhile */
        if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t n = readlink(from, target, sizeof target - 1);
            if (n < 0)
                continue;
            target[n] = 0;
            r = symlink(target, to) < 0 ? -errno : 0;
            continue;
        }
        if (S_ISDIR(st.st_mode))
            r = mkdir(to, st.st_mode & 07777) < 0 ? -errno : 0;
        else
            r = write_file(to, "");
        if (r == 0 && mount(from, to, NULL, MS_BIND | MS_REC, NULL) < 0)
            r = -errno;
    }
    closedir(d);
    if (r == 0 && mount(stage, path, NULL, MS_MOVE, NULL) < 0)
        r = -errno;
    return r;
}

static int map_self(void)
{
    char line[64];
    int r = write_file("/proc/self/setgroups", "deny");
    if (r < 0 && r != -ENOENT)
        return r;
    snprintf(line, sizeof line, "%u %u 1", (unsigned)geteuid(), (unsigned)geteuid());
    uid_t uid = geteuid();
    gid_t gid = getegid();
    snprintf(line, sizeof line, "%u %u 1", (unsigned)uid, (unsigned)uid);
    r = write_file("/proc/self/uid_map", line);
    if (r == 0) {
        snprintf(line, sizeof line, "%u %u 1", (unsigned)gid, (unsigned)gid);
        r = write_file("/proc/self/gid_map", line);
    }
    return r;
}

int xen_view_enter(const char *dir, unsigned domid)
{
    if (geteuid() == 0) {
        if (unshare(CLONE_NEWNS) < 0)
            return -errno;
    } else {
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
            return -errno;
        int r = map_self();
        if (r < 0)
            return r;
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return -errno;
    char stage[PATH_MAX], runxen[PATH_MAX], libxen[PATH_MAX];
    snprintf(stage, sizeof stage, "%s/mnt", dir);
    snprintf(runxen, sizeof runxen, "%s/run-xen", dir);
    snprintf(libxen, sizeof libxen, "%s/var-lib-xen", dir);
    if ((mkdir(stage, 0700) < 0 && errno != EEXIST) ||
        (mkdir(runxen, 0700) < 0 && errno != EEXIST) ||
        (mkdir(libxen, 0700) < 0 && errno != EEXIST))
        return -errno;

    int r = cover("/sys", stage);
    if (r == 0 && mkdir("/sys/hypervisor/", 0755) < 0 && errno != EEXIST)
        r = -errno;
    if (r == 0 && mkdir("/sys/hypervisor/version", 0755) < 0 && errno != EEXIST)
        r = -errno;
    if (r == 0)
        r = write_file("/sys/hypervisor/type", "xen\n");
    if (r == 0)
        r = write_file("/sys/hypervisor/version/major", "4\n");
    if (r == 0)
        r = write_file("/sys/hypervisor/version/minor", "17\n");
    if (r == 0)
        r = write_file("/sys/hypervisor/version/extra", "-splitbed\n");
    if (r == 0 && access("/sys/bus", F_OK) == 0) {
        r = cover("/sys/bus", stage);
        if (r == 0 && mkdir("/sys/bus/xen-backend", 0755) < 0 && errno != EEXIST)
            r = -errno;
        if (r == 0 && mkdir("/sys/bus/xen-backend/devices", 0755) < 0 && errno != EEXIST)
            r = -errno;
    }
    if (r == 0 && domid == 0 && access("/run/xen", F_OK) < 0) {
        r = cover("/run", stage);
        if (r == 0 && mkdir("/run/xen", 0755) < 0 && errno != EEXIST)
            r = -errno;
        if (r == 0 && mount(runxen, "/run/xen", NULL, MS_BIND, NULL) < 0)
            r = -errno;
    }
    /* The host's own /var/lib/xen (if any) stays out of sight: the
     * simulated domains' saved configurations are the simulator's. */
    if (r == 0 && domid == 0 && access("/var/lib/xen", F_OK) < 0 && access("/var/lib", F_OK) == 0) {
        r = cover("/var/lib", stage);
        if (r == 0 && mkdir("/var/lib/xen", 0755) < 0 && errno != EEXIST)
            r = -errno;
    }
    if (r == 0 && domid == 0 && access("/var/lib/xen", F_OK) == 0 &&
        mount(libxen, "/var/lib/xen", NULL, MS_BIND, NULL) < 0)
        r = -errno;
    return r;
}
