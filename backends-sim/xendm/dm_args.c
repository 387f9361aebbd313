/*
 * dm_args.c — reads libxl's device-model command line (see dm_args.h).
 */
#include "backends-sim/xendm/dm_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* QEMU options libxl may give that take no value; every other option
 * takes exactly one. */
static const char *const flags[] = {
    "-xen-attach", "-no-shutdown", "-nodefaults", "-no-user-config",     "-nographic",
    "-S",          "-daemonize",   "-no-reboot",  "-xen-domid-restrict",
};

struct chardev {
    char id[64];
    const char *path;
    int fd;
    bool socket_server;
};

static bool is_flag(const char *a)
{
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        if (!strcmp(a, flags[i]))
            return true;
    return false;
}

static int parse_long(const char *s, long max, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (!*s || *end || errno || x < 0 || x > max)
        return -1;
    *out = x;
    return 0;
}

/* The value of KEY in a QEMU "a,key=value,flag" list, NULL when absent.
 * *len gets its length. */
static const char *opt_value(const char *list, const char *key, size_t *len)
{
    size_t kl = strlen(key);
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n > kl && !strncmp(p, key, kl) && p[kl] == '=') {
            *len = n - kl - 1;
            return p + kl + 1;
        }
        p = comma ? comma + 1 : NULL;
    }
    return NULL;
}

static bool has_word(const char *list, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == wl && !strncmp(p, word, wl))
            return true;
        p = comma ? comma + 1 : NULL;
    }
    return false;
}

/* -chardev socket,id=ID,path=P,server=on,wait=off (or fd=N; the older
 * "server,nowait" spelling too).  Other chardevs (libxl's channels) are
 * recorded without a socket: no monitor may name them. */
static int parse_chardev(const char *v, struct chardev *c, char *err, size_t errlen)
{
    size_t n;
    const char *id = opt_value(v, "id", &n);
    if (!id || n == 0 || n >= sizeof(c->id)) {
        snprintf(err, errlen, "-chardev %s: no id, or an id over %zu bytes", v, sizeof(c->id) - 1);
        return -1;
    }
    memcpy(c->id, id, n);
    c->id[n] = '\0';
    c->path = NULL;
    c->fd = -1;
    c->socket_server = false;
    if (strncmp(v, "socket,", 7))
        return 0;
    const char *server = opt_value(v, "server", &n);
    c->socket_server = has_word(v, "server") || (server && n == 2 && !strncmp(server, "on", 2));
    const char *path = opt_value(v, "path", &n);
    const char *fd = opt_value(v, "fd", &n);
    if (path) {
        c->path = path; /* runs to the next comma: cut below */
    } else if (fd) {
        char num[16];
        long x;
        if (n == 0 || n >= sizeof(num)) {
            snprintf(err, errlen, "-chardev %s: fd= is not a descriptor number", v);
            return -1;
        }
        memcpy(num, fd, n);
        num[n] = '\0';
        if (parse_long(num, 1 << 20, &x) < 0) {
            snprintf(err, errlen, "-chardev %s: fd=%s is not a descriptor number", v, num);
            return -1;
        }
        c->fd = (int)x;
    }
    return 0;
}

int dm_parse_args(int argc, char **argv, struct dm_args *a, char *err, size_t errlen)
{
    static struct chardev chardevs[8];
    static char paths[8][256];
    unsigned nchardev = 0;
    const char *mons[DM_MAX_MONITORS];
    unsigned nmons = 0;
    memset(a, 0, sizeof(*a));
    a->domid = -1;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--help") || !strcmp(o, "-h"))
            return 1;
        if (o[0] != '-') {
            snprintf(err, errlen, "unexpected argument '%s' (options start with '-')", o);
            return -1;
        }
        if (!strcmp(o, "-S")) {
            a->start_stopped = true;
            continue;
        }
        if (is_flag(o))
            continue;
        if (i + 1 >= argc) {
            snprintf(err, errlen, "%s needs a value", o);
            return -1;
        }
        const char *v = argv[++i];
        if (!strcmp(o, "-xen-domid")) {
            if (parse_long(v, 32767, &a->domid) < 0 || a->domid == 0) {
                snprintf(err, errlen, "-xen-domid %s: not a guest domain id (1..32767)", v);
                return -1;
            }
        } else if (!strcmp(o, "-name")) {
            a->name = v;
        } else if (!strcmp(o, "-chardev")) {
            if (nchardev == sizeof(chardevs) / sizeof(chardevs[0])) {
                snprintf(err, errlen, "-chardev %s: more than %u chardevs", v, nchardev);
                return -1;
            }
            struct chardev *c = &chardevs[nchardev];
            if (parse_chardev(v, c, err, errlen) < 0)
                return -1;
            if (c->path) {
                size_t n = strcspn(c->path, ",");
                if (n == 0 || n >= sizeof(paths[0])) {
                    snprintf(err, errlen, "-chardev %s: path= empty or over %zu bytes", v,
                             sizeof(paths[0]) - 1);
                    return -1;
                }
                memcpy(paths[nchardev], c->path, n);
                paths[nchardev][n] = '\0';
                c->path = paths[nchardev];
            }
            nchardev++;
        } else if (!strcmp(o, "-mon")) {
            size_t n;
            const char *mode = opt_value(v, "mode", &n);
            if (!mode || n != 7 || strncmp(mode, "control", 7))
                continue; /* a human monitor: nobody talks to it here */
            if (nmons == DM_MAX_MONITORS) {
                snprintf(err, errlen, "-mon %s: more than %d control monitors", v, DM_MAX_MONITORS);
                return -1;
            }
            mons[nmons++] = v;
        } else if (!strcmp(o, "-splitbed-blkback-opt")) {
            if (a->nblkback_opts == DM_MAX_OPTS) {
                snprintf(err, errlen, "-splitbed-blkback-opt %s: more than %d", v, DM_MAX_OPTS);
                return -1;
            }
            a->blkback_opts[a->nblkback_opts++] = v;
        } else if (!strcmp(o, "-splitbed-netback-opt")) {
            if (a->nnetback_opts == DM_MAX_OPTS) {
                snprintf(err, errlen, "-splitbed-netback-opt %s: more than %d", v, DM_MAX_OPTS);
                return -1;
            }
            a->netback_opts[a->nnetback_opts++] = v;
        }
        /* Anything else is about emulation (-machine, -m, -vnc, ...). */
    }
    if (a->domid < 0) {
        snprintf(err, errlen, "no -xen-domid: which guest to serve is not known");
        return -1;
    }
    for (unsigned m = 0; m < nmons; m++) {
        size_t n;
        const char *id = opt_value(mons[m], "chardev", &n);
        struct chardev *c = NULL;
        for (unsigned k = 0; id && k < nchardev; k++)
            if (strlen(chardevs[k].id) == n && !strncmp(chardevs[k].id, id, n))
                c = &chardevs[k];
        if (!c || !c->socket_server || (!c->path && c->fd < 0)) {
            snprintf(err, errlen, "-mon %s: no listening -chardev socket with that id", mons[m]);
            return -1;
        }
        a->mon[a->nmon++] = (struct dm_monitor){ .id = c->id, .path = c->path, .fd = c->fd };
    }
    return 0;
}
