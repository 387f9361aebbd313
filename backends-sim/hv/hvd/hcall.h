/*
 * hcall.h — what the hypercall handlers share (hypercall.c, domctl.c,
 * sysctl.c, dominfo.c).  Private to splitbed-hvd.
 *
 * A hypercall reaches the daemon as its op and five arguments (wire.h);
 * arguments that point to memory are addresses in the caller's arena.
 * Handlers copy a structure in, act on the copy, and copy the result
 * out, so a caller changing its buffer meanwhile changes nothing here.
 * They return what Xen's would: 0 or a positive value, or a negative
 * errno.
 */
#ifndef SPLITBED_HVD_HCALL_H
#define SPLITBED_HVD_HCALL_H

#define __XEN_TOOLS__ 1

#include "backends-sim/hv/hvd/hvd.h"

#include <xen/domctl.h>
#include <xen/sysctl.h>

struct hctx {
    struct hvd *h;
    struct conn *c;
    uint64_t base; /* where the caller mapped its arena */
    domid_t caller;
};

/* Copies len bytes between the caller's arena at addr and here: 0, or
 * -EFAULT when [addr, addr+len) is not inside the arena. */
int hc_copy_in(const struct hctx *x, void *dst, uint64_t addr, size_t len);
int hc_copy_out(const struct hctx *x, uint64_t addr, const void *src, size_t len);

/* One trace line "dN: <what> <sub> (<name>) not simulated"; -ENOSYS. */
long hc_unsimulated(const struct hctx *x, const char *what, unsigned sub, const char *name);
/* Only dom0 may: 0, or -EPERM and one trace line naming the op. */
long hc_privileged(const struct hctx *x, const char *what, unsigned sub, const char *name);

/* What a domctl and a sysctl share before their own work: the op (size
 * bytes, beginning with cmd and interface_version as Xen's ABI has both)
 * is copied in from arg; a guest is refused as by hc_privileged(), and
 * an interface version other than `version` with -EACCES, as Xen does.
 * *name gets the sub-op's name.  0, or the negative errno to return. */
long hc_control_in(const struct hctx *x, const char *what, const char *(*name_of)(unsigned),
                   uint32_t version, void *op, size_t size, uint64_t arg, const char **name);

long hc_domctl(const struct hctx *x, uint64_t arg);
long hc_sysctl(const struct hctx *x, uint64_t arg);

/* XEN_DOMCTL_getdomaininfo's answer for dom. */
void hc_dominfo(struct hvd *h, const struct hdom *dom, struct xen_domctl_getdomaininfo *out);
/* The first hosted domain whose id is >= d, or NULL. */
struct hdom *hc_dom_from(struct hvd *h, domid_t d);

/* Names of sub-ops as Xen's headers spell them, or "unknown". */
const char *hc_hypercall_name(unsigned op);
const char *hc_domctl_name(unsigned cmd);
const char *hc_sysctl_name(unsigned cmd);
const char *hc_evtchnop_name(unsigned cmd);
const char *hc_schedop_name(unsigned cmd);
const char *hc_xenver_name(unsigned cmd);
const char *hc_memop_name(unsigned cmd);

#endif
