/*
 * procdom.h — which simulated domain a process belongs to.
 *
 * `splitbed exec` and `splitbed run` start a domain's first process with
 * SPLITBED_DIR=DIR and SPLITBED_DOMID=N in its environment: a marker.
 * The kernel shows a process's initial environment in /proc/PID/environ,
 * fixed when it was started.  A process (itself included) whose
 * ancestors carry markers of DIR is in the domain of the topmost guest
 * (N > 0) marker: a guest's descendants stay in it whatever they put in
 * their own environment or their children's.  Without a guest marker, a
 * process below a dom0 marker is in dom0: dom0 and host processes may
 * start processes in any domain, as a toolstack does.  A process with no
 * marker at all is a host process, outside every domain (the toolstack,
 * tests, backends started by hand).
 *
 * Directories are compared by device and inode, so another spelling of
 * DIR (a symlink, "..", a bind mount) names the same simulator.
 * docs/runtime.md says what this guarantees and what it does not.
 */
#ifndef SPLITBED_PROCDOM_H
#define SPLITBED_PROCDOM_H

#include <stdbool.h>
#include <sys/types.h>

enum {
    PROCDOM_HOST = -1,    /* no ancestor started in a domain of this simulator */
    PROCDOM_UNKNOWN = -2, /* the process is gone or its /proc cannot be read */
};

/* A simulator's state directory, as its daemons know it. */
struct procdom_sim {
    dev_t dev;
    ino_t ino;
};

/* Fills sim for state directory dir.  -errno on failure. */
int procdom_sim_init(struct procdom_sim *sim, const char *dir);

/* The domain pid belongs to (0..0x7fef), PROCDOM_HOST or PROCDOM_UNKNOWN. */
int procdom_of(const struct procdom_sim *sim, pid_t pid);

/* The first process of a domain sets the subreaper bit before it runs its
 * command, so that orphans of its descendants stay below it.  0 or -errno. */
int procdom_adopt_orphans(void);

#endif
