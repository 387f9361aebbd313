#include "tests/lib/xsref.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

bool xsref_available(const char *shim, char *why, size_t size)
{
    if (access(XSREF_DAEMON, X_OK) != 0) {
        snprintf(why, size, "%s: %s (install xen-utils-4.17)", XSREF_DAEMON, strerror(errno));
        return false;
    }
    if (access(shim, R_OK) != 0) {
        snprintf(why, size, "%s: %s", shim, strerror(errno));
        return false;
    }
    return true;
}

static int write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[160];
    int fd, ok;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    ok = write(fd, data, len) == (ssize_t)len;
    close(fd);
    return ok ? 0 : -1;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[400];

    if (!d)
        return;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* The child: environment, output to dir/log, exec. */
static void exec_daemon(const struct xsref *r, const char *shim, int ready)
{
    char path[160], fdnum[16];
    int log;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    snprintf(path, sizeof(path), "%s/log", r->dir);
    log = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (log >= 0) {
        dup2(log, 1);
        dup2(log, 2);
    }
    snprintf(fdnum, sizeof(fdnum), "%d", ready);
    setenv("LD_PRELOAD", shim, 1);
    setenv("XSREF_DIR", r->dir, 1);
    setenv("XSREF_READY_FD", fdnum, 1);
    setenv("XENSTORED_PATH", r->sock, 1);
    setenv("XENSTORED_RUNDIR", r->dir, 1);
    setenv("XENSTORED_ROOTDIR", r->dir, 1);
    /* -T: a trace file, as splitbed-xenstored always has one (memreport
     * and log on/off act on it) */
    snprintf(path, sizeof(path), "%s/trace", r->dir);
    execl(XSREF_DAEMON, XSREF_DAEMON, "-N", "-T", path, (char *)NULL);
    fprintf(stderr, "cannot run %s: %s\n", XSREF_DAEMON, strerror(errno));
    _exit(127);
}

int xsref_start(struct xsref *r, const char *shim, char *why, size_t size)
{
    static const char zero[4096];
    char abs[512], line[16];
    struct pollfd pf;
    int p[2];
    ssize_t n;

    memset(r, 0, sizeof(*r));
    if (!realpath(shim, abs)) {
        snprintf(why, size, "%s: %s", shim, strerror(errno));
        return -1;
    }
    const char *tmp = getenv("TMPDIR");
    int len =
        snprintf(r->dir, sizeof(r->dir), "%s/splitbed-xsref-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (len <= 0 || (size_t)len >= sizeof(r->dir)) {
        snprintf(why, size, "$TMPDIR too long for a socket path: %s", tmp);
        r->dir[0] = '\0';
        return -1;
    }
    if (!mkdtemp(r->dir)) {
        snprintf(why, size, "mkdtemp: %s", strerror(errno));
        r->dir[0] = '\0';
        return -1;
    }
    snprintf(r->sock, sizeof(r->sock), "%s/socket", r->dir);
    /* dom0's own ring page and port, which the kernel gives on Xen */
    if (write_file(r->dir, "xsd_kva", zero, sizeof(zero)) ||
        write_file(r->dir, "xsd_port", "1", 1) || pipe(p) != 0) {
        snprintf(why, size, "%s: %s", r->dir, strerror(errno));
        xsref_stop(r);
        return -1;
    }
    r->pid = fork();
    if (r->pid == 0) {
        close(p[0]);
        exec_daemon(r, abs, p[1]);
    }
    close(p[1]);
    if (r->pid < 0) {
        snprintf(why, size, "fork: %s", strerror(errno));
        close(p[0]);
        xsref_stop(r);
        return -1;
    }
    pf = (struct pollfd){ p[0], POLLIN, 0 };
    n = poll(&pf, 1, 10000) == 1 ? read(p[0], line, sizeof(line)) : -1; /* hang guard */
    close(p[0]);
    if (n <= 0) {
        snprintf(why, size, "%s did not start (log: %s/log)", XSREF_DAEMON, r->dir);
        xsref_stop(r);
        return -1;
    }
    return 0;
}

bool xsref_alive(struct xsref *r)
{
    if (r->pid <= 0)
        return false;
    if (waitpid(r->pid, NULL, WNOHANG) == r->pid) {
        r->pid = 0;
        return false;
    }
    return true;
}

void xsref_stop(struct xsref *r)
{
    if (r->pid > 0) {
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
        r->pid = 0;
    }
    if (r->dir[0]) {
        remove_dir(r->dir);
        r->dir[0] = '\0';
    }
}
