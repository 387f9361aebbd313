#include "disk_spec.h"
#include "vdev.h"
#include "xlu_lib.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_bare_path(const char *spec)
{
    return !strchr(spec, '=') && !strchr(spec, ',');
}

int disk_spec_parse(const char *spec, unsigned index, struct disk_spec *out)
{
    char expanded[PATH_MAX + 128];
    const char *given = spec;
    memset(out, 0, sizeof *out);
    if (!*spec) {
        fprintf(stderr, "splitbed: --disk: empty disk spec\n");
        return -1;
    }
    if (is_bare_path(spec)) {
        if (index >= 26) {
            fprintf(stderr, "splitbed: --disk %s: too many bare disk paths (name a vdev)\n", spec);
            return -1;
        }
        snprintf(expanded, sizeof expanded, "format=raw, vdev=xvd%c, access=ro, target=%s",
                 'a' + index, spec);
        spec = expanded;
    }

    const struct xlu_lib *x = xlu_lib();
    if (!x)
        return -1;
    /* libxlutil reports on a FILE; catch it so the user gets one line. */
    char *report = NULL;
    size_t report_len = 0;
    FILE *rep = open_memstream(&report, &report_len);
    XLU_Config *cfg = rep ? x->xlu_cfg_init(rep, "--disk") : NULL;
    if (!cfg) {
        fprintf(stderr, "splitbed: --disk %s: cannot initialise the xl parser\n", given);
        if (rep)
            fclose(rep);
        free(report);
        return -1;
    }
    libxl_device_disk disk;
    x->libxl_device_disk_init(&disk);
    const char *specs[1] = { spec };
    int r = x->xlu_disk_parse(cfg, 1, specs, &disk);
    int status = -1;
    fflush(rep);
    if (r != 0) {
        const char *why = report ? strstr(report, "disk specification: ") : NULL;
        why = why ? why + strlen("disk specification: ") : "not a valid xl disk spec";
        fprintf(stderr, "splitbed: --disk %s: %.*s\n", given, (int)strcspn(why, "\n"), why);
        goto out;
    }
    if (!disk.pdev_path || !*disk.pdev_path) {
        fprintf(stderr, "splitbed: --disk %s: no target (image path)\n", given);
        goto out;
    }
    if (!disk.vdev) {
        fprintf(stderr, "splitbed: --disk %s: no vdev\n", given);
        goto out;
    }
    if (disk.format != LIBXL_DISK_FORMAT_RAW && disk.format != LIBXL_DISK_FORMAT_UNKNOWN) {
        fprintf(stderr, "splitbed: --disk %s: format %s not supported (raw only)\n", given,
                x->libxl_disk_format_to_string(disk.format));
        goto out;
    }
    unsigned devid;
    if (!vdev_to_devid(disk.vdev, &devid)) {
        fprintf(stderr, "splitbed: --disk %s: vdev %s is not a disk name (xvda, xvdb, ...)\n",
                given, disk.vdev);
        goto out;
    }
    struct stat st;
    if (stat(disk.pdev_path, &st) != 0) {
        fprintf(stderr, "splitbed: --disk %s: target %s: %s\n", given, disk.pdev_path,
                strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        fprintf(stderr, "splitbed: --disk %s: target %s is not a file or block device\n", given,
                disk.pdev_path);
        goto out;
    }
    if (access(disk.pdev_path, disk.readwrite ? R_OK | W_OK : R_OK) != 0) {
        fprintf(stderr, "splitbed: --disk %s: target %s: %s\n", given, disk.pdev_path,
                strerror(errno));
        goto out;
    }
    out->target = realpath(disk.pdev_path, NULL);
    out->vdev = strdup(disk.vdev);
    if (!out->target || !out->vdev) {
        fprintf(stderr, "splitbed: --disk %s: %s\n", given, strerror(errno));
        disk_spec_free(out);
        goto out;
    }
    out->devid = devid;
    out->writable = disk.readwrite != 0;
    out->cdrom = disk.is_cdrom != 0;
    status = 0;
out:
    x->libxl_device_disk_dispose(&disk);
    x->xlu_cfg_destroy(cfg);
    fclose(rep);
    free(report);
    return status;
}

void disk_spec_free(struct disk_spec *d)
{
    free(d->target);
    free(d->vdev);
    d->target = d->vdev = NULL;
}
