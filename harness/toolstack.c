#include "toolstack.h"

#include "backends-sim/world/domain_layout.h"

#include "daemons.h"
#include "libxl_userdata.h"
#include "statedir.h"
#include "xs_batch.h"
#include "backends-sim/hv/hvctl.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

struct toolstack {
    char dir[4096];
    char sock[4200];
    struct xs_handle *xs;
    struct xs_batch *xb; /* transactions' requests, pipelined; opened on first use */
};

struct toolstack *toolstack_open(const char *dir)
{
    struct toolstack *ts = calloc(1, sizeof *ts);
    char sock[4200];
    if (!ts)
        return NULL;
    snprintf(ts->dir, sizeof ts->dir, "%s", dir);
    if (hvctl_ping(dir) != 0) {
        fprintf(
            stderr,
            "splitbed: no simulator running in %s (start one with: splitbed hv start --dir %s)\n",
            dir, dir);
        free(ts);
        return NULL;
    }
    statedir_path(sock, sizeof sock, dir, "xenstored/socket");
    snprintf(ts->sock, sizeof ts->sock, "%s", sock);
    /* libxenstore reads XENSTORED_PATH when it opens. */
    setenv("XENSTORED_PATH", sock, 1);
    ts->xs = xs_open(0);
    if (!ts->xs) {
        fprintf(stderr, "splitbed: cannot connect to xenstored at %s: %s\n", sock, strerror(errno));
        free(ts);
        return NULL;
    }
    return ts;
}

void toolstack_close(struct toolstack *ts)
{
    if (!ts)
        return;
    xs_batch_close(ts->xb);
    xs_close(ts->xs);
    free(ts);
}

char *toolstack_read(struct toolstack *ts, const char *path)
{
    unsigned len;
    return xs_read(ts->xs, XBT_NULL, path, &len);
}

int toolstack_write(struct toolstack *ts, const char *path, const char *value)
{
    if (!xs_write(ts->xs, XBT_NULL, path, value, (unsigned)strlen(value))) {
        fprintf(stderr, "splitbed: xenstore write %s failed: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

int toolstack_xs_conflicts(struct toolstack *ts, unsigned domid, unsigned permille, uint64_t seed)
{
    char args[96];
    int n = snprintf(args, sizeof args, "%u%cxs-conflict%c%u%c%llu", domid, 0, 0, permille, 0,
                     (unsigned long long)seed);
    char *reply = xs_control_command(ts->xs, "splitbed-fault", args, (unsigned)n + 1);
    if (!reply) {
        fprintf(stderr, "splitbed: xenstored refused the conflict fault for domain %u: %s\n", domid,
                strerror(errno));
        return -1;
    }
    free(reply);
    return 0;
}

int toolstack_wait(struct toolstack *ts, const char *path,
                   bool (*done)(const char *value, void *arg), void *arg, int timeout_ms)
{
    static const char token[] = "splitbed-wait";
    if (!xs_watch(ts->xs, path, token))
        return -1;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int r = -1;
    for (;;) {
        char *v = toolstack_read(ts, path);
        bool ok = done(v, arg);
        free(v);
        if (ok) {
            r = 0;
            break;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long left = timeout_ms - ((now.tv_sec - start.tv_sec) * 1000LL +
                                       (now.tv_nsec - start.tv_nsec) / 1000000);
        if (left <= 0)
            break;
        struct pollfd p = { .fd = xs_fileno(ts->xs), .events = POLLIN };
        if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
            break;
        char **ev;
        while (p.revents && (ev = xs_check_watch(ts->xs)) != NULL)
            free(ev);
    }
    xs_unwatch(ts->xs, path, token);
    return r;
}

char **toolstack_directory(struct toolstack *ts, const char *path, unsigned *n)
{
    return xs_directory(ts->xs, XBT_NULL, path, n);
}

/* Runs queue (which adds requests to ts->xb) inside a transaction, sends
 * them in one go, then check (if any) on the replies; redoes it all
 * while the commit conflicts. */
static int in_transaction(struct toolstack *ts, int (*queue)(struct toolstack *, void *),
                          int (*check)(struct toolstack *, void *), void *arg)
{
    if (!ts->xb && !(ts->xb = xs_batch_open(ts->sock))) {
        fprintf(stderr, "splitbed: cannot connect to xenstored at %s: %s\n", ts->sock,
                strerror(errno));
        return -1;
    }
    for (int attempt = 0; attempt < 100; attempt++) {
        int rc = xs_batch_start(ts->xb);
        if (rc < 0) {
            fprintf(stderr, "splitbed: xenstore transaction start failed: %s\n", strerror(-rc));
            return -1;
        }
        if (queue(ts, arg) != 0) {
            (void)xs_batch_send(ts->xb); /* what was queued, then dropped */
            xs_batch_end(ts->xb, true);
            return -1;
        }
        rc = xs_batch_send(ts->xb);
        if (rc < 0) {
            fprintf(stderr, "splitbed: xenstore request on %s failed: %s\n",
                    xs_batch_failed_path(ts->xb)[0] ? xs_batch_failed_path(ts->xb) : "(none)",
                    strerror(-rc));
            xs_batch_end(ts->xb, true);
            return -1;
        }
        if (check && check(ts, arg) != 0) {
            xs_batch_end(ts->xb, true);
            return -1;
        }
        rc = xs_batch_end(ts->xb, false);
        if (rc == 0)
            return 0;
        if (rc != -EAGAIN) {
            fprintf(stderr, "splitbed: xenstore transaction commit failed: %s\n", strerror(-rc));
            return -1;
        }
    }
    fprintf(stderr, "splitbed: xenstore transaction kept conflicting\n");
    return -1;
}

static int dom0_nodes(struct toolstack *ts, void *arg)
{
    (void)arg;
    xs_batch_write(ts->xb, "/local/domain/0/domid", "0");
    xs_batch_write(ts->xb, "/local/domain/0/name", "Domain-0");
    /* The one CPU pool the simulated hypervisor reports (libxl names
     * pools from here). */
    xs_batch_write(ts->xb, "/local/pool/0/name", "Pool-0");
    return 0;
}

int toolstack_init_dom0(struct toolstack *ts)
{
    /* xen-init-dom0 saves dom0's configuration too, under its zero
     * UUID. */
    static const uint8_t zero[16];
    if (in_transaction(ts, dom0_nodes, NULL, NULL) != 0)
        return -1;
    return libxl_userdata_create(ts->dir, ts->xs, 0, zero);
}

struct domain_args {
    unsigned domid;
    const char *name;
};

struct domain_walk {
    struct toolstack *ts;
    unsigned domid;
};

/* Read-only nodes are dom0's with read access for the guest; the nodes
 * the guest writes are its own. */
static int domain_node(void *ctx, const char *path, const char *value, bool guest_owned)
{
    const struct domain_walk *w = ctx;
    char own[16], ro_owner[] = "n0", reader[16];
    snprintf(own, sizeof own, "n%u", w->domid);
    snprintf(reader, sizeof reader, "r%u", w->domid);
    if (!value)
        xs_batch_mkdir(w->ts->xb, path);
    else
        xs_batch_write(w->ts->xb, path, value);
    if (value && guest_owned)
        xs_batch_perms(w->ts->xb, path, (const char *const[]){ own }, 1);
    else
        xs_batch_perms(w->ts->xb, path, (const char *const[]){ ro_owner, reader }, 2);
    return 0;
}

static int domain_nodes(struct toolstack *ts, void *arg)
{
    const struct domain_args *a = arg;
    /* libxl keeps the domain's /vm entry (the "vm" node points there) and
     * removes it at destroy. */
    char vm[64];
    snprintf(vm, sizeof vm, "/vm/splitbed-%u/name", a->domid);
    xs_batch_write(ts->xb, vm, a->name);
    struct domain_walk w = { .ts = ts, .domid = a->domid };
    int r = domain_layout_each(a->domid, a->name, domain_node, &w);
    /* What libxl__build_post adds once the domain is built: its memory
     * ceiling and its one vCPU, online. */
    char path[64];
    snprintf(path, sizeof path, "/local/domain/%u/memory/static-max", a->domid);
    if (r == 0)
        r = domain_node(&w, path, "262144", false);
    snprintf(path, sizeof path, "/local/domain/%u/cpu/0/availability", a->domid);
    if (r == 0)
        r = domain_node(&w, path, "online", false);
    return r;
}

int toolstack_domain_ensure(struct toolstack *ts, unsigned domid, const char *name)
{
    if (domid == 0)
        return 1;
    uint8_t uuid[16];
    int r = hvctl_domain_create(ts->dir, domid, uuid);
    if (r < 0) {
        fprintf(stderr, "splitbed: cannot create domain %u: %s\n", domid, strerror(-r));
        return -1;
    }
    if (r == 1 && xs_is_domain_introduced(ts->xs, domid))
        return 1;
    char defname[32];
    if (!name) {
        snprintf(defname, sizeof defname, "splitbed-guest-%u", domid);
        name = defname;
    }
    struct domain_args a = { .domid = domid, .name = name };
    if (in_transaction(ts, domain_nodes, NULL, &a) != 0)
        return -1;
    /* Domains reach xenstored through sockets here, not a ring and its
     * event channel; port 1 stands for the one libxl passes, and xenstored
     * refuses 0 as C xenstored does. */
    if (!xs_introduce_domain(ts->xs, domid, 0, 1)) {
        fprintf(stderr, "splitbed: xenstored refused to introduce domain %u: %s\n", domid,
                strerror(errno));
        return -1;
    }
    if (libxl_userdata_create(ts->dir, ts->xs, domid, uuid) < 0)
        return -1;
    return r == 1;
}

/* The hot-plugged backends serving domid's devices (DIR/backends/
 * KIND-DOMID-DEVID.pid, see cmd_hotplug.c) serve nothing once the domain
 * is gone: stop them, so they neither linger nor take up a device a new
 * domain of the same id gets.  A pid no longer naming a splitbed program
 * was reused by something else and is left alone.  The pid file goes
 * first: its supervisor then lets the backend end. */
static void stop_hotplugged(const char *dir, int domid)
{
    char bdir[4200];
    statedir_path(bdir, sizeof bdir, dir, "backends");
    DIR *d = opendir(bdir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        unsigned dom, devid;
        char kind[4];
        int end = 0;
        if (sscanf(e->d_name, "%3[a-z]-%u-%u.pid%n", kind, &dom, &devid, &end) != 3 ||
            e->d_name[end] || (domid >= 0 && dom != (unsigned)domid) ||
            (strcmp(kind, "vbd") && strcmp(kind, "vif")))
            continue;
        char pidf[4500];
        snprintf(pidf, sizeof pidf, "%s/%s", bdir, e->d_name);
        pid_t pid = daemon_read_pidfile(pidf);
        unlink(pidf);
        if (pid > 0 && daemon_alive(pid) && daemon_stop(pid, 5000) != 0)
            fprintf(stderr, "splitbed: cannot stop the %s backend of domain %u device %u\n", kind,
                    dom, devid);
    }
    closedir(d);
}

void toolstack_stop_hotplugged(const char *dir)
{
    stop_hotplugged(dir, -1);
}

int toolstack_domain_destroy(struct toolstack *ts, unsigned domid)
{
    char path[64];
    if (domid == 0) {
        fprintf(stderr, "splitbed: domain 0 cannot be destroyed\n");
        return -1;
    }
    stop_hotplugged(ts->dir, (int)domid);
    if (!xs_release_domain(ts->xs, domid) && errno != ENOENT)
        fprintf(stderr, "splitbed: xenstored release of domain %u: %s\n", domid, strerror(errno));
    snprintf(path, sizeof path, "/local/domain/%u", domid);
    xs_rm(ts->xs, XBT_NULL, path);
    snprintf(path, sizeof path, "/vm/splitbed-%u", domid);
    xs_rm(ts->xs, XBT_NULL, path);
    snprintf(path, sizeof path, "/libxl/%u", domid);
    xs_rm(ts->xs, XBT_NULL, path);
    snprintf(path, sizeof path, "/local/domain/0/backend/vbd/%u", domid);
    xs_rm(ts->xs, XBT_NULL, path);
    snprintf(path, sizeof path, "/local/domain/0/backend/vif/%u", domid);
    xs_rm(ts->xs, XBT_NULL, path);
    libxl_userdata_remove(ts->dir, domid);
    int r = hvctl_domain_destroy(ts->dir, domid);
    if (r == -ESRCH)
        return 0; /* gone already (xl destroy, a destroy fault) */
    if (r < 0) {
        fprintf(stderr, "splitbed: cannot destroy domain %u: %s\n", domid, strerror(-r));
        return -1;
    }
    return 0;
}

struct device_args {
    const char *kind;
    unsigned back, front, devid;
    const char *const *back_kv, *const *front_kv;
    char bpath[256], fpath[256], lpath[256];
};

/* Keys under a directory whose permissions are already set: xenstored
 * gives a node a privileged caller creates its parent's permissions, so
 * (as libxl__device_generic_add does) there is nothing to set per key. */
static int write_kv(struct toolstack *ts, const char *dir, const char *const *kv)
{
    char path[512];
    for (int i = 0; kv && kv[i]; i += 2) {
        if (!kv[i + 1]) {
            fprintf(stderr, "splitbed: internal error: key %s has no value\n", kv[i]);
            return -1;
        }
        snprintf(path, sizeof path, "%s/%s", dir, kv[i]);
        xs_batch_write(ts->xb, path, kv[i + 1]);
    }
    return 0;
}

static int device_nodes(struct toolstack *ts, void *arg)
{
    struct device_args *a = arg;
    char sb[16], sf[16], bown[16], bread[16], fown[16], fread[16];
    snprintf(a->bpath, sizeof a->bpath, "/local/domain/%u/backend/%s/%u/%u", a->back, a->kind,
             a->front, a->devid);
    snprintf(a->fpath, sizeof a->fpath, "/local/domain/%u/device/%s/%u", a->front, a->kind,
             a->devid);
    snprintf(a->lpath, sizeof a->lpath, "/libxl/%u/device/%s/%u", a->front, a->kind, a->devid);
    snprintf(sb, sizeof sb, "%u", a->back);
    snprintf(sf, sizeof sf, "%u", a->front);
    /* libxl__device_generic_add: each end owns its directory and the
     * other end may read it. */
    snprintf(bown, sizeof bown, "n%u", a->back);
    snprintf(bread, sizeof bread, "r%u", a->front);
    snprintf(fown, sizeof fown, "n%u", a->front);
    snprintf(fread, sizeof fread, "r%u", a->back);

    /* One backend per device: a device another run (or block-attach)
     * set up stays theirs.  The probes' answers come before the writes
     * are committed (device_free). */
    xs_batch_probe(ts->xb, a->bpath);
    xs_batch_probe(ts->xb, a->fpath);
    xs_batch_mkdir(ts->xb, a->bpath);
    xs_batch_perms(ts->xb, a->bpath, (const char *const[]){ bown, bread }, 2);
    xs_batch_mkdir(ts->xb, a->fpath);
    xs_batch_perms(ts->xb, a->fpath, (const char *const[]){ fown, fread }, 2);
    const char *const back_std[] = { "frontend", a->fpath, "frontend-id", sf,  "online",
                                     "1",        "state",  "1",           NULL };
    const char *const front_std[] = { "backend", a->bpath, "backend-id", sb, "state", "1", NULL };
    /* libxl's own record of the device (dom0's only), which it lists
     * devices from: where both ends are, and the backend's settings. */
    const char *const libxl_std[] = { "frontend", a->fpath, "backend", a->bpath, NULL };
    if (write_kv(ts, a->bpath, back_std) || write_kv(ts, a->bpath, a->back_kv) ||
        write_kv(ts, a->fpath, front_std) || write_kv(ts, a->fpath, a->front_kv) ||
        write_kv(ts, a->lpath, libxl_std) || write_kv(ts, a->lpath, a->back_kv))
        return -1;
    return 0;
}

/* Refuses the transaction when either directory was there before it. */
static int device_free(struct toolstack *ts, void *arg)
{
    const struct device_args *a = arg;
    if (xs_batch_found(ts->xb, 0) || xs_batch_found(ts->xb, 1)) {
        fprintf(stderr, "splitbed: domain %u already has %s %u (%s)\n", a->front, a->kind, a->devid,
                a->bpath);
        return -1;
    }
    return 0;
}

int toolstack_device_remove(struct toolstack *ts, const char *kind, unsigned backend_domid,
                            unsigned frontend_domid, unsigned devid)
{
    char path[256];
    snprintf(path, sizeof path, "/local/domain/%u/backend/%s/%u/%u", backend_domid, kind,
             frontend_domid, devid);
    bool ok = xs_rm(ts->xs, XBT_NULL, path) || errno == ENOENT;
    snprintf(path, sizeof path, "/local/domain/%u/device/%s/%u", frontend_domid, kind, devid);
    ok &= xs_rm(ts->xs, XBT_NULL, path) || errno == ENOENT;
    snprintf(path, sizeof path, "/libxl/%u/device/%s/%u", frontend_domid, kind, devid);
    ok &= xs_rm(ts->xs, XBT_NULL, path) || errno == ENOENT;
    if (!ok) {
        fprintf(stderr, "splitbed: cannot remove %s %u of domain %u: %s\n", kind, devid,
                frontend_domid, strerror(errno));
        return -1;
    }
    return libxl_userdata_update(ts->dir, ts->xs, frontend_domid);
}

int toolstack_device_add(struct toolstack *ts, const char *kind, unsigned backend_domid,
                         unsigned frontend_domid, unsigned devid, const char *const *back_kv,
                         const char *const *front_kv)
{
    struct device_args a = { .kind = kind,
                             .back = backend_domid,
                             .front = frontend_domid,
                             .devid = devid,
                             .back_kv = back_kv,
                             .front_kv = front_kv };
    if (in_transaction(ts, device_nodes, device_free, &a) != 0)
        return -1;
    return libxl_userdata_update(ts->dir, ts->xs, frontend_domid);
}
