/*
 * nb_xen.h — nb_env over the real Xen userspace libraries: libxenstore
 * (xs_open), libxengnttab (grant copy, with map+copy as fallback) and
 * libxenevtchn.  The same calls reach the simulator's drop-in libraries
 * and splitbed-xenstored, or a real dom0's.
 */
#ifndef SPLITBED_NB_XEN_H
#define SPLITBED_NB_XEN_H

#include "backends-sim/netback/nb_env.h"

struct nb_xen;

/* 0, or negative with a one-line reason in err. */
int nb_xen_open(struct nb_xen **out, char *err, size_t errsize);
void nb_xen_close(struct nb_xen *x);
const struct nb_env *nb_xen_env(struct nb_xen *x);

int nb_xen_xs_fd(struct nb_xen *x);
int nb_xen_evtchn_fd(struct nb_xen *x);
/* This domain's id (the relative node "domid"; 0 if absent). */
domid_t nb_xen_domid(struct nb_xen *x);
/* Children of a directory, as a malloc'd array of n strings (free the
 * array only); NULL if it cannot be listed. */
char **nb_xen_directory(struct nb_xen *x, const char *path, unsigned *n);
/* Next fired watch: 1 with its token, 0 if none waiting, negative on error. */
int nb_xen_next_watch(struct nb_xen *x, char *token, size_t size);
/* Next pending port, unmasked again: 1, 0 if none, negative on error. */
int nb_xen_next_event(struct nb_xen *x, evtchn_port_t *port);

#endif
