/*
 * xen_view.h — what a process of a Xen domain sees of its host's files,
 * given to a program `splitbed exec` starts: /sys/hypervisor (type xen,
 * the version Xen's xen_version reports), /sys/bus/xen-backend/devices
 * (empty: simulated backends are processes, not kernel devices),
 * /run/xen (the toolstack's lock and state files, kept in DIR/run-xen)
 * and, for dom0, /var/lib/xen (libxl's saved domain configurations and
 * their locks, kept in DIR/var-lib-xen, see libxl_userdata.h).
 * Debian's wrappers (/usr/sbin/xl, /usr/sbin/xentop) find the tools by
 * /sys/hypervisor; libxenstat lists /sys/bus/xen-backend; libxl locks in
 * /run/xen and reads a domain's configuration (`xl list -l`) from
 * /var/lib/xen.
 *
 * The view is a private mount namespace: as root, a plain one; as
 * another user, inside a user namespace that maps the user to itself
 * (where the kernel allows unprivileged user namespaces).  The parent
 * of each folder that is missing becomes a tmpfs holding bind mounts of
 * everything that was there, plus the new entries, so the rest of /sys,
 * /run and /var/lib is seen as before (entries added there at their top
 * level later are not).  /proc/xen cannot be given: procfs takes no new
 * entries.
 */
#ifndef SPLITBED_XEN_VIEW_H
#define SPLITBED_XEN_VIEW_H

/* Enters the view for domain domid of the simulator in dir.  0, or
 * -errno when the kernel refused (the process is then unchanged or has
 * only part of the view). */
int xen_view_enter(const char *dir, unsigned domid);

#endif
