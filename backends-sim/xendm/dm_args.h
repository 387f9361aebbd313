/*
 * dm_args.h — the command line libxl gives a device model, read the way
 * splitbed-xen-dm needs it.
 *
 * libxl 4.17 starts QEMU for a PV or PVH guest (libxl_dm.c) with
 * `-xen-domid N`, `-chardev socket,id=ID,path=P|fd=N,server=on,wait=off`
 * plus `-mon chardev=ID,mode=control` for each monitor it will talk QMP
 * on, and options about emulation that mean nothing here (`-machine
 * xenpv`, `-m`, `-vnc`, `-display`, `-name`...).  These are taken and
 * ignored.  Options of our own, given through xl.cfg's
 * `device_model_args_pv`:
 *   -splitbed-blkback-opt KEY=VALUE   a splitbed-blkback knob (repeatable)
 *   -splitbed-netback-opt KEY=VALUE   a splitbed-netback --opt (repeatable)
 */
#ifndef SPLITBED_XENDM_ARGS_H
#define SPLITBED_XENDM_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#define DM_MAX_MONITORS 4
#define DM_MAX_OPTS 32

/* A QMP monitor: a socket to listen on at path, or an inherited
 * listening socket (fd >= 0, path NULL). */
struct dm_monitor {
    const char *id;
    const char *path;
    int fd;
};

struct dm_args {
    long domid;
    const char *name;   /* -name, or NULL */
    bool start_stopped; /* -S: QMP "cont" starts it, as QEMU's */
    struct dm_monitor mon[DM_MAX_MONITORS];
    unsigned nmon;
    const char *blkback_opts[DM_MAX_OPTS];
    unsigned nblkback_opts;
    const char *netback_opts[DM_MAX_OPTS];
    unsigned nnetback_opts;
};

/* Fills *a from argv.  0; 1 when --help was asked; -1 with one line in
 * err naming the argument and what is wrong with it.  Pointers in *a point
 * into argv. */
int dm_parse_args(int argc, char **argv, struct dm_args *a, char *err, size_t errlen);

#endif
