/*
 * dm_vifs.c — a splitbed-netback per vif of the guest (see dm_vifs.h).
 */
#include "backends-sim/xendm/dm_vifs.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_VIFS 16
#define KERNEL_NETBACK "/sys/bus/xen-backend/drivers/vif"

struct vif {
    unsigned handle;
    pid_t pid; /* 0 once ended */
};

struct dm_vifs {
    struct xs_handle *xs;
    unsigned self;
    long domid;
    const char *netback;
    const char *const *opts;
    unsigned nopts;
    void (*log)(const char *);
    char dir[128];
    struct vif vif[MAX_VIFS];
    unsigned n;
    bool kernel_said;
};

__attribute__((format(printf, 2, 3))) static void say(const struct dm_vifs *v, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    v->log(line);
}

struct dm_vifs *dm_vifs_new(struct xs_handle *xs, unsigned self, long domid, const char *netback,
                            const char *const *opts, unsigned nopts, void (*log)(const char *))
{
    struct dm_vifs *v = calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    *v = (struct dm_vifs){ .xs = xs,
                           .self = self,
                           .domid = domid,
                           .netback = netback,
                           .opts = opts,
                           .nopts = nopts,
                           .log = log };
    snprintf(v->dir, sizeof(v->dir), "/local/domain/%u/backend/vif/%ld", self, domid);
    if (!xs_watch(xs, v->dir, "dm-vifs")) {
        say(v, "splitbed-xen-dm: dom%ld: cannot watch %s: %s", domid, v->dir, strerror(errno));
        free(v);
        return NULL;
    }
    return v;
}

static bool known(const struct dm_vifs *v, unsigned handle)
{
    for (unsigned i = 0; i < v->n; i++)
        if (v->vif[i].handle == handle)
            return true;
    return false;
}

static void start(struct dm_vifs *v, unsigned handle)
{
    char path[160], key[192], name[32], spec[256];
    snprintf(path, sizeof(path), "%s/%u", v->dir, handle);
    /* libxl writes the backend in one transaction: frontend and
     * frontend-id come with it.  Until then it is not a vif yet. */
    snprintf(key, sizeof(key), "%s/frontend-id", path);
    unsigned len = 0;
    char *fid = xs_read(v->xs, XBT_NULL, key, &len);
    if (!fid)
        return;
    free(fid);
    snprintf(key, sizeof(key), "%s/vifname", path);
    char *given = xs_read(v->xs, XBT_NULL, key, &len);
    if (given && len > 0 && len < 16 && !strpbrk(given, "/ =,:"))
        snprintf(name, sizeof(name), "%s", given);
    else
        snprintf(name, sizeof(name), "vif%ld.%u", v->domid, handle);
    free(given);
    if (v->n == MAX_VIFS) {
        say(v, "splitbed-xen-dm: dom%ld: vif %u not served: more than %d vifs", v->domid, handle,
            MAX_VIFS);
        return;
    }
    snprintf(spec, sizeof(spec), "%s=tap:%s", path, name);
    const char *argv[8 + 2 * 32];
    unsigned n = 0;
    argv[n++] = v->netback;
    argv[n++] = "--vif";
    argv[n++] = spec;
    for (unsigned i = 0; i < v->nopts && i < 32; i++) {
        argv[n++] = "--opt";
        argv[n++] = v->opts[i];
    }
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0) {
        say(v, "splitbed-xen-dm: dom%ld: vif %u: fork: %s", v->domid, handle, strerror(errno));
        return;
    }
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execv(v->netback, (char *const *)argv);
        _exit(127);
    }
    v->vif[v->n++] = (struct vif){ .handle = handle, .pid = pid };
    say(v, "splitbed-xen-dm: dom%ld: vif %u served by splitbed-netback on TAP %s", v->domid, handle,
        name);
}

void dm_vifs_scan(struct dm_vifs *v)
{
    unsigned nd = 0;
    char **devs = xs_directory(v->xs, XBT_NULL, v->dir, &nd);
    struct stat st;
    bool kernel = stat(KERNEL_NETBACK, &st) == 0;
    for (unsigned i = 0; devs && i < nd; i++) {
        char *end;
        errno = 0;
        unsigned long h = strtoul(devs[i], &end, 10);
        if (!*devs[i] || *end || errno || h > 0xffff || known(v, (unsigned)h))
            continue;
        if (kernel) {
            if (!v->kernel_said)
                say(v,
                    "splitbed-xen-dm: dom%ld: vifs left to Linux's netback (xen-netback is "
                    "loaded)",
                    v->domid);
            v->kernel_said = true;
            continue;
        }
        start(v, (unsigned)h);
    }
    free(devs);
}

bool dm_vifs_reaped(struct dm_vifs *v, pid_t pid, int status)
{
    for (unsigned i = 0; i < v->n; i++)
        if (v->vif[i].pid == pid) {
            v->vif[i].pid = 0;
            say(v, "splitbed-xen-dm: dom%ld: splitbed-netback of vif %u ended (%s %d)", v->domid,
                v->vif[i].handle, WIFSIGNALED(status) ? "signal" : "status",
                WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
            return true;
        }
    return false;
}

void dm_vifs_free(struct dm_vifs *v)
{
    if (!v)
        return;
    for (unsigned i = 0; i < v->n; i++)
        if (v->vif[i].pid > 0)
            kill(v->vif[i].pid, SIGTERM);
    for (unsigned i = 0; i < v->n; i++)
        if (v->vif[i].pid > 0)
            waitpid(v->vif[i].pid, NULL, 0);
    xs_unwatch(v->xs, v->dir, "dm-vifs");
    free(v);
}
