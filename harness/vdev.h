/*
 * vdev.h — Xen virtual disk names to device numbers, as the toolstack
 * and frontends compute them (xvda is 51712 = 202 << 8).
 */
#ifndef SPLITBED_VDEV_H
#define SPLITBED_VDEV_H

#include <stdbool.h>

/* Accepts xvdX[N], sdX[N], hdX[N] and plain numbers.  False if the name
 * is not a disk name. */
bool vdev_to_devid(const char *vdev, unsigned *devid);

#endif
