/*
 * libxl_userdata.h — the configuration libxl saves for each domain it
 * creates, /var/lib/xen/userdata-d.<domid>.<uuid>.libxl-json, which
 * `xl list -l` and libxl_retrieve_domain_configuration read back.  Here
 * it is kept in DIR/var-lib-xen (dom0's /var/lib/xen in the view
 * xen_view.h gives) and rebuilt from xenstore whenever the toolstack
 * changes the domain: its name, and its disks and vifs as the
 * /libxl/<domid>/device nodes list them.
 */
#ifndef SPLITBED_LIBXL_USERDATA_H
#define SPLITBED_LIBXL_USERDATA_H

#include <stdint.h>
#include <xenstore.h>

/* Writes domain domid's file under its UUID (as getdomaininfo reports
 * it), replacing any other of that domain.  0, or -1 with a message. */
int libxl_userdata_create(const char *dir, struct xs_handle *xs, unsigned domid,
                          const uint8_t uuid[16]);
/* Rewrites the domain's file if it has one (a device came or went).
 * 0, or -1 with a message. */
int libxl_userdata_update(const char *dir, struct xs_handle *xs, unsigned domid);
/* Removes the domain's file. */
void libxl_userdata_remove(const char *dir, unsigned domid);

#endif
