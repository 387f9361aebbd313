/*
 * libxl_userdata.c — see libxl_userdata.h.
 */
#include "libxl_userdata.h"

#include "statedir.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The file name's domain part, "userdata-d.<domid>.". */
static void prefix(char *buf, size_t size, unsigned domid)
{
    snprintf(buf, size, "userdata-d.%u.", domid);
}

static const char suffix[] = ".libxl-json";

/* Calls fn on each file of domid in DIR/var-lib-xen; stops at the first
 * non-zero return and gives it. */
static int each_file(const char *dir, unsigned domid, int (*fn)(const char *path, void *arg),
                     void *arg)
{
    char base[PATH_MAX], pre[64];
    statedir_path(base, sizeof base, dir, "var-lib-xen");
    prefix(pre, sizeof pre, domid);
    DIR *d = opendir(base);
    if (!d)
        return 0;
    int r = 0;
    for (struct dirent *e; r == 0 && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, pre, strlen(pre)) || len < sizeof suffix ||
            strcmp(e->d_name + len - (sizeof suffix - 1), suffix))
            continue;
        char path[PATH_MAX + 256];
        snprintf(path, sizeof path, "%s/%s", base, e->d_name);
        r = fn(path, arg);
    }
    closedir(d);
    return r;
}

static int unlink_one(const char *path, void *arg)
{
    (void)arg;
    unlink(path);
    return 0;
}

static int found_one(const char *path, void *arg)
{
    snprintf(arg, PATH_MAX + 256, "%s", path);
    return 1;
}

/* A JSON string of s (NULL as an empty one). */
static void put_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static char *node(struct xs_handle *xs, const char *dir, const char *key)
{
    char path[512];
    unsigned len;
    snprintf(path, sizeof path, "%s/%s", dir, key);
    return xs_read(xs, XBT_NULL, path, &len);
}

/* The entries of one kind of device, as libxl's JSON names them. */
static void put_devices(FILE *f, struct xs_handle *xs, unsigned domid, const char *kind)
{
    char base[128];
    unsigned n = 0;
    snprintf(base, sizeof base, "/libxl/%u/device/%s", domid, kind);
    char **ids = xs_directory(xs, XBT_NULL, base, &n);
    if (!ids || n == 0) {
        free(ids);
        return;
    }
    fprintf(f, ",\n    \"%s\": [", strcmp(kind, "vbd") ? "nics" : "disks");
    for (unsigned i = 0; i < n; i++) {
        char dev[256];
        snprintf(dev, sizeof dev, "%s/%s", base, ids[i]);
        fprintf(f, "%s\n        { ", i ? "," : "");
        if (!strcmp(kind, "vbd")) {
            char *params = node(xs, dev, "params"), *vdev = node(xs, dev, "dev"),
                 *mode = node(xs, dev, "mode"), *type = node(xs, dev, "device-type");
            fputs("\"pdev_path\": ", f);
            put_str(f, params);
            fputs(", \"vdev\": ", f);
            put_str(f, vdev);
            fprintf(f, ", \"format\": \"raw\", \"readwrite\": %d, \"is_cdrom\": %d }",
                    mode && !strcmp(mode, "w"), type && !strcmp(type, "cdrom"));
            free(params);
            free(vdev);
            free(mode);
            free(type);
        } else {
            char *mac = node(xs, dev, "mac");
            fprintf(f, "\"devid\": %ld, \"mac\": ", strtol(ids[i], NULL, 10));
            put_str(f, mac);
            fputs(" }", f);
            free(mac);
        }
    }
    fputs("\n    ]", f);
    free(ids);
}

/* Writes the configuration to path, through a file renamed over it. */
static int write_config(const char *path, struct xs_handle *xs, unsigned domid)
{
    char tmp[PATH_MAX + 300], home[64];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    snprintf(home, sizeof home, "/local/domain/%u", domid);
    FILE *f = fopen(tmp, "we");
    if (!f) {
        fprintf(stderr, "splitbed: cannot write %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    char *name = node(xs, home, "name"), *mem = node(xs, home, "memory/static-max");
    long memkb = mem ? strtol(mem, NULL, 10) : 0;
    /* A PV guest of one vCPU, as the simulator runs each domain. */
    fputs("{\n    \"c_info\": { \"type\": \"pv\", \"name\": ", f);
    put_str(f, name);
    fprintf(f,
            " },\n    \"b_info\": { \"max_vcpus\": 1, \"max_memkb\": %ld, \"target_memkb\": %ld,"
            " \"type.pv\": { } }",
            memkb, memkb);
    put_devices(f, xs, domid, "vbd");
    put_devices(f, xs, domid, "vif");
    fputs(",\n    \"on_poweroff\": \"destroy\", \"on_reboot\": \"restart\","
          " \"on_crash\": \"destroy\"\n}\n",
          f);
    free(name);
    free(mem);
    if (fclose(f) != 0 || rename(tmp, path) < 0) {
        fprintf(stderr, "splitbed: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int libxl_userdata_create(const char *dir, struct xs_handle *xs, unsigned domid,
                          const uint8_t uuid[16])
{
    char base[PATH_MAX], path[PATH_MAX + 256];
    if (statedir_create(statedir_path(base, sizeof base, dir, "var-lib-xen")) < 0)
        return -1;
    each_file(dir, domid, unlink_one, NULL);
    const uint8_t *u = uuid;
    snprintf(path, sizeof path,
             "%s/userdata-d.%u.%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x%s",
             base, domid, u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
             u[12], u[13], u[14], u[15], suffix);
    return write_config(path, xs, domid);
}

int libxl_userdata_update(const char *dir, struct xs_handle *xs, unsigned domid)
{
    char path[PATH_MAX + 256];
    if (each_file(dir, domid, found_one, path) == 0)
        return 0;
    return write_config(path, xs, domid);
}

void libxl_userdata_remove(const char *dir, unsigned domid)
{
    each_file(dir, domid, unlink_one, NULL);
}
