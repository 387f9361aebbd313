/*
 * disk_spec.h — xl disk specs (`format=raw, vdev=xvda, access=ro,
 * target=FILE`), parsed by Debian's libxlutil exactly as xl parses them.
 */
#ifndef SPLITBED_DISK_SPEC_H
#define SPLITBED_DISK_SPEC_H

#include <stdbool.h>

struct disk_spec {
    char *target;   /* absolute path of the image */
    char *vdev;     /* e.g. "xvda" */
    unsigned devid; /* e.g. 51712 */
    bool writable;
    bool cdrom;
};

/* Parses one spec.  A spec without '=' or ',' is a bare image path,
 * meaning "format=raw, vdev=xvdX, access=ro, target=PATH" with X the
 * index-th disk letter.  0, or -1 after one line on stderr naming the
 * spec and the problem. */
int disk_spec_parse(const char *spec, unsigned index, struct disk_spec *out);
void disk_spec_free(struct disk_spec *d);

#endif
