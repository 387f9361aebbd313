#include "vdev.h"

#include <stdlib.h>
#include <string.h>

/* "a".."z", "aa".. as bijective base 26: a=0, z=25, aa=26. */
static const char *disk_index(const char *p, unsigned *disk)
{
    unsigned v = 0;
    const char *q = p;
    while (*q >= 'a' && *q <= 'z') {
        v = v * 26 + (unsigned)(*q - 'a' + 1);
        if (v > 1u << 20)
            return NULL;
        q++;
    }
    if (q == p)
        return NULL;
    *disk = v - 1;
    return q;
}

static bool partition(const char *p, unsigned *part)
{
    if (!*p) {
        *part = 0;
        return true;
    }
    char *end;
    unsigned long v = strtoul(p, &end, 10);
    if (*end || p[0] == '0' || v > 255)
        return false;
    *part = (unsigned)v;
    return true;
}

bool vdev_to_devid(const char *vdev, unsigned *devid)
{
    unsigned disk, part;
    const char *p;
    if (vdev[0] >= '0' && vdev[0] <= '9') {
        char *end;
        unsigned long v = strtoul(vdev, &end, 10);
        if (*end || v == 0 || v > 0xFFFFFFF)
            return false;
        *devid = (unsigned)v;
        return true;
    }
    if (!strncmp(vdev, "xvd", 3)) {
        if (!(p = disk_index(vdev + 3, &disk)) || !partition(p, &part))
            return false;
        /* The compact encoding covers 16 disks of 16 partitions; beyond,
         * the extended one (1 << 28) is used. */
        if (disk < 16 && part < 16)
            *devid = (202u << 8) | (disk << 4) | part;
        else
            *devid = (1u << 28) | (disk << 8) | part;
        return true;
    }
    if (!strncmp(vdev, "sd", 2)) {
        if (!(p = disk_index(vdev + 2, &disk)) || !partition(p, &part) || disk >= 16 || part >= 16)
            return false;
        *devid = (8u << 8) | (disk << 4) | part;
        return true;
    }
    if (!strncmp(vdev, "hd", 2)) {
        static const unsigned major[4] = { 3, 3, 22, 22 };
        if (!(p = disk_index(vdev + 2, &disk)) || !partition(p, &part) || disk >= 4 || part >= 64)
            return false;
        *devid = (major[disk] << 8) | ((disk & 1) << 6) | part;
        return true;
    }
    return false;
}
