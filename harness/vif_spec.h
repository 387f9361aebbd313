/*
 * vif_spec.h — xl vif specs (`mac=00:16:3e:01:02:03,bridge=xenbr0`),
 * comma-separated key=value as xl reads a `vif=[…]` entry, plus
 * splitbed's own key `backing=` (tap:NAME, stdio, fd:N, pcap:FILE,
 * socket:PATH) saying what the userspace netback plugs the vif into,
 * and `capture=FILE` (every frame both ways also recorded in FILE),
 * which becomes the backing's own `,capture=FILE`.
 */
#ifndef SPLITBED_VIF_SPEC_H
#define SPLITBED_VIF_SPEC_H

#include <stdbool.h>

struct vif_spec {
    unsigned handle; /* devid: the index of the vif unless given */
    char mac[18];
    char backing[256];
    bool uses_stdio;
    char netback_arg[320]; /* room for splitbed-netback's --vif DOMID/HANDLE=SPEC */
};

/* 0, or -1 after one line naming the spec and the problem. */
int vif_spec_parse(const char *spec, unsigned index, struct vif_spec *out);

#endif
