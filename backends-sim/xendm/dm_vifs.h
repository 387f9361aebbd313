/*
 * dm_vifs.h — the guest's vifs, each served by a splitbed-netback on a
 * TAP device, where Linux's netback is not loaded.
 *
 * libxl adds a guest's vifs after its device model runs, writing
 * backend/vif/DOMID/HANDLE and waiting (10 s) for the backend's
 * InitWait before it runs the vif's hotplug script with vif=NAME.  For
 * each vif that appears, a splitbed-netback is started on a TAP device
 * called NAME (the `vifname` node when xl.cfg gave one, else
 * vifDOMID.HANDLE, the name Linux's netback gives its interface), so
 * that the usual scripts (vif-bridge, vif-route, or the vif's own
 * script=) find the interface they expect.  With Linux's netback loaded
 * (/sys/bus/xen-backend/drivers/vif exists), every vif is the kernel's:
 * each then gets one line and is left alone.
 */
#ifndef SPLITBED_XENDM_VIFS_H
#define SPLITBED_XENDM_VIFS_H

#include <stdbool.h>
#include <sys/types.h>
#include <xenstore.h>

struct dm_vifs;

/* netback: the program to run; opts: --opt values for it.  Watches the
 * guest's backend/vif directory with the token "dm-vifs". */
struct dm_vifs *dm_vifs_new(struct xs_handle *xs, unsigned self, long domid, const char *netback,
                            const char *const *opts, unsigned nopts, void (*log)(const char *));
/* After a watch event with token "dm-vifs": starts a backend for every
 * new vif. */
void dm_vifs_scan(struct dm_vifs *v);
/* A child ended: true (and one line) if it was one of these backends. */
bool dm_vifs_reaped(struct dm_vifs *v, pid_t pid, int status);
/* Stops every backend (SIGTERM, then waits), unwatches, frees. */
void dm_vifs_free(struct dm_vifs *v);

#endif
