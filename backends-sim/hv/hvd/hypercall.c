/*
 * hypercall.c — hypercalls of xencall handles (Debian's libxenctrl over
 * our libxencall): the arena, dispatch by hypercall, and the small ones
 * (xen_version, event_channel_op, sched_op).  domctl.c and sysctl.c
 * serve the control hypercalls.  What is not simulated returns -ENOSYS
 * with one trace line naming it, as the issue of an unknown op would on
 * a Xen built without it.
 */
#include "backends-sim/hv/hvd/hcall.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xen/event_channel.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/version.h>

int hcall_open(struct hvd *h, struct conn *c)
{
    int fd = memfd_create("splitbed-xencall", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return errno;
    /* Sealed, so the client cannot shrink it under the daemon's view. */
    void *a = MAP_FAILED;
    if (ftruncate(fd, HVW_CALL_ARENA) == 0 &&
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0)
        a = mmap(NULL, HVW_CALL_ARENA, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (a == MAP_FAILED) {
        int e = errno;
        close(fd);
        return e;
    }
    c->arena = a;
    c->arena_fd = fd; /* sent with HELLO's reply, closed at release */
    hvd_out_fd(h, fd);
    return 0;
}

void hcall_release(struct hvd *h, struct conn *c)
{
    if (c->arena)
        munmap(c->arena, HVW_CALL_ARENA);
    if (c->arena_fd >= 0)
        close(c->arena_fd);
    c->arena = NULL;
    c->arena_fd = -1;
}

int hc_copy_in(const struct hctx *x, void *dst, uint64_t addr, size_t len)
{
    if (addr < x->base || addr - x->base > HVW_CALL_ARENA ||
        len > HVW_CALL_ARENA - (addr - x->base))
        return -EFAULT;
    memcpy(dst, (const char *)x->c->arena + (addr - x->base), len);
    return 0;
}

int hc_copy_out(const struct hctx *x, uint64_t addr, const void *src, size_t len)
{
    if (addr < x->base || addr - x->base > HVW_CALL_ARENA ||
        len > HVW_CALL_ARENA - (addr - x->base))
        return -EFAULT;
    memcpy((char *)x->c->arena + (addr - x->base), src, len);
    return 0;
}

long hc_unsimulated(const struct hctx *x, const char *what, unsigned sub, const char *name)
{
    hvd_trace(x->h, x->caller, "d%u: %s %u (%s) not simulated", x->caller, what, sub, name);
    return -ENOSYS;
}

long hc_privileged(const struct hctx *x, const char *what, unsigned sub, const char *name)
{
    if (hv_domain_is_privileged(x->h->hv, x->caller))
        return 0;
    hvd_trace(x->h, x->caller, "d%u: %s %u (%s) refused: only dom0 may", x->caller, what, sub,
              name);
    return -EPERM;
}

/* The head both control ops begin with. */
struct control_head {
    uint32_t cmd;
    uint32_t interface_version;
};
_Static_assert(offsetof(struct xen_domctl, cmd) == offsetof(struct control_head, cmd) &&
                   offsetof(struct xen_domctl, interface_version) ==
                       offsetof(struct control_head, interface_version),
               "xen_domctl begins with cmd, interface_version");
_Static_assert(offsetof(struct xen_sysctl, cmd) == offsetof(struct control_head, cmd) &&
                   offsetof(struct xen_sysctl, interface_version) ==
                       offsetof(struct control_head, interface_version),
               "xen_sysctl begins with cmd, interface_version");

long hc_control_in(const struct hctx *x, const char *what, const char *(*name_of)(unsigned),
                   uint32_t version, void *op, size_t size, uint64_t arg, const char **name)
{
    struct control_head head;
    long r = hc_copy_in(x, op, arg, size);
    if (r)
        return r;
    memcpy(&head, op, sizeof(head));
    *name = name_of(head.cmd);
    r = hc_privileged(x, what, head.cmd, *name);
    if (r)
        return r;
    return head.interface_version == version ? 0 : -EACCES;
}

/* ---- xen_version -------------------------------------------------------- */

static long copy_string(const struct hctx *x, uint64_t arg, size_t size, const char *s)
{
    char buf[1024] = { 0 };
    strncpy(buf, s, size - 1);
    return hc_copy_out(x, arg, buf, size);
}

static long xen_version(const struct hctx *x, unsigned cmd, uint64_t arg)
{
    switch (cmd) {
    case XENVER_version: return (4 << 16) | 17;
    case XENVER_extraversion: return copy_string(x, arg, sizeof(xen_extraversion_t), "-splitbed");
    case XENVER_compile_info: {
        xen_compile_info_t ci = { 0 };
        strcpy(ci.compiler, "splitbed-hvd");
        strcpy(ci.compile_by, "splitbed");
        return hc_copy_out(x, arg, &ci, sizeof(ci));
    }
    case XENVER_capabilities:
        return copy_string(x, arg, sizeof(xen_capabilities_info_t), "xen-3.0-x86_64");
    case XENVER_changeset:
        return copy_string(x, arg, sizeof(xen_changeset_info_t), "splitbed simulator");
    case XENVER_platform_parameters: {
        xen_platform_parameters_t pp = { .virt_start = 0xffff800000000000ull };
        return hc_copy_out(x, arg, &pp, sizeof(pp));
    }
    case XENVER_get_features: {
        xen_feature_info_t fi;
        long r = hc_copy_in(x, &fi, arg, sizeof(fi));
        if (r)
            return r;
        fi.submap = 0; /* no PV features: a simulated guest is a process */
        return hc_copy_out(x, arg, &fi, sizeof(fi));
    }
    case XENVER_pagesize: return HV_PAGE_SIZE;
    case XENVER_guest_handle: {
        struct hdom *d = hvd_dom(x->h, x->caller);
        return hc_copy_out(x, arg, d->handle, sizeof(xen_domain_handle_t));
    }
    case XENVER_commandline:
        if (!hv_domain_is_privileged(x->h->hv, x->caller))
            return -EPERM;
        return copy_string(x, arg, sizeof(xen_commandline_t), "");
    case XENVER_build_id: return -ENODATA; /* as a Xen built without one */
    }
    return hc_unsimulated(x, "xen_version", cmd, hc_xenver_name(cmd));
}

/* ---- event_channel_op --------------------------------------------------- */

static long evtchn_status(const struct hctx *x, uint64_t arg)
{
    evtchn_status_t st;
    long r = hc_copy_in(x, &st, arg, sizeof(st));
    if (r)
        return r;
    domid_t d = st.dom == DOMID_SELF ? x->caller : st.dom;
    if (!hv_domain_exists(x->h->hv, d))
        return -ESRCH;
    if (d != x->caller && !hv_domain_is_privileged(x->h->hv, x->caller))
        return -EPERM;
    struct hv_evtchn_info info;
    r = hv_evtchn_info(x->h->hv, d, st.port, &info);
    if (r)
        return r;
    st.vcpu = 0;
    memset(&st.u, 0, sizeof(st.u));
    switch (info.state) {
    case HV_EVTCHN_FREE:
    case HV_EVTCHN_RESERVED: st.status = EVTCHNSTAT_closed; break;
    case HV_EVTCHN_UNBOUND:
        st.status = EVTCHNSTAT_unbound;
        st.u.unbound.dom = info.remote_dom;
        break;
    case HV_EVTCHN_INTERDOMAIN:
        st.status = EVTCHNSTAT_interdomain;
        st.u.interdomain.dom = info.remote_dom;
        st.u.interdomain.port = info.remote_port;
        break;
    case HV_EVTCHN_VIRQ:
        st.status = EVTCHNSTAT_virq;
        st.u.virq = info.virq;
        break;
    }
    return hc_copy_out(x, arg, &st, sizeof(st));
}

static long evtchn_alloc_unbound(const struct hctx *x, uint64_t arg)
{
    evtchn_alloc_unbound_t au;
    long r = hc_copy_in(x, &au, arg, sizeof(au));
    if (r)
        return r;
    /* Owned by the domain, not by this handle: the port stays until it is
     * closed or the domain dies, as a port made by hypercall does. */
    r = hv_evtchn_alloc_unbound(x->h->hv, x->caller, au.dom, au.remote_dom, NULL, &au.port);
    return r ? r : hc_copy_out(x, arg, &au, sizeof(au));
}

static long evtchn_close(const struct hctx *x, uint64_t arg)
{
    evtchn_close_t cl;
    long r = hc_copy_in(x, &cl, arg, sizeof(cl));
    if (r)
        return r;
    struct hv_evtchn_info info;
    if (hv_evtchn_info(x->h->hv, x->caller, cl.port, &info) == 0 && info.owner) {
        hvd_trace(x->h, x->caller,
                  "d%u: close of port %u refused: bound through an evtchn handle, which "
                  "unbinds it",
                  x->caller, cl.port);
        return -EINVAL;
    }
    return hv_evtchn_close(x->h->hv, x->caller, cl.port);
}

static long event_channel_op(const struct hctx *x, unsigned cmd, uint64_t arg)
{
    switch (cmd) {
    case EVTCHNOP_status: return evtchn_status(x, arg);
    case EVTCHNOP_alloc_unbound: return evtchn_alloc_unbound(x, arg);
    case EVTCHNOP_close: return evtchn_close(x, arg);
    }
    return hc_unsimulated(x, "event_channel_op", cmd, hc_evtchnop_name(cmd));
}

/* ---- sched_op ------------------------------------------------------------ */

static long shut_down(const struct hctx *x, domid_t d, unsigned reason)
{
    struct hdom *dom = hvd_dom(x->h, d);
    if (!dom || !hv_domain_exists(x->h->hv, d))
        return -ESRCH;
    if (d == 0) {
        hvd_trace(x->h, x->caller, "d%u: shutdown of d0 not simulated: it is the simulator's host",
                  x->caller);
        return -EINVAL;
    }
    if (reason > SHUTDOWN_MAX)
        return -EINVAL;
    hvd_dom_shutdown(x->h, dom, reason);
    return 0;
}

static long sched_op(const struct hctx *x, unsigned cmd, uint64_t arg)
{
    switch (cmd) {
    case SCHEDOP_yield: return 0;
    case SCHEDOP_shutdown: {
        struct sched_shutdown s;
        long r = hc_copy_in(x, &s, arg, sizeof(s));
        return r ? r : shut_down(x, x->caller, s.reason);
    }
    case SCHEDOP_remote_shutdown: {
        struct sched_remote_shutdown s;
        long r = hc_copy_in(x, &s, arg, sizeof(s));
        if (r)
            return r;
        r = hc_privileged(x, "sched_op", cmd, hc_schedop_name(cmd));
        return r ? r : shut_down(x, s.domain_id, s.reason);
    }
    case SCHEDOP_shutdown_code: {
        struct sched_shutdown s;
        long r = hc_copy_in(x, &s, arg, sizeof(s));
        if (r)
            return r;
        if (s.reason > SHUTDOWN_MAX)
            return -EINVAL;
        struct hdom *dom = hvd_dom(x->h, x->caller);
        if (!dom->shutdown)
            dom->shutdown_code = (uint8_t)s.reason;
        return 0;
    }
    }
    return hc_unsimulated(x, "sched_op", cmd, hc_schedop_name(cmd));
}

/* ---- memory_op ---------------------------------------------------------- */

static long memory_op(const struct hctx *x, unsigned cmd, uint64_t arg)
{
    switch (cmd) {
    case XENMEM_get_sharing_freed_pages:
    case XENMEM_get_sharing_shared_pages: return 0; /* no page sharing here */
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation: {
        domid_t d;
        long r = hc_copy_in(x, &d, arg, sizeof(d));
        if (r)
            return r;
        d = d == DOMID_SELF ? x->caller : d;
        if (d != x->caller && !hv_domain_is_privileged(x->h->hv, x->caller))
            return -EPERM;
        struct hdom *dom = hvd_dom(x->h, d);
        if (!dom || !hv_domain_exists(x->h->hv, d))
            return -ESRCH;
        uint64_t pages =
            cmd == XENMEM_current_reservation ? hv_domain_nr_frames(x->h->hv, d) : dom->max_pages;
        return pages > (uint64_t)INT64_MAX ? INT64_MAX : (long)pages;
    }
    }
    return hc_unsimulated(x, "memory_op", cmd, hc_memop_name(cmd));
}

/* ---- dispatch ------------------------------------------------------------ */

static long dispatch(const struct hctx *x, uint64_t op, const uint64_t arg[5], int depth);

/* Each entry's hypercall in turn, its result in the entry, as Xen does;
 * a multicall inside a multicall is refused, as Xen refuses it. */
static long multicall(const struct hctx *x, uint64_t list, uint64_t n, int depth)
{
    if (n > HVW_CALL_ARENA / sizeof(multicall_entry_t))
        return -EINVAL;
    for (uint64_t i = 0; i < n; i++) {
        multicall_entry_t e;
        uint64_t at = list + i * sizeof(e);
        long r = hc_copy_in(x, &e, at, sizeof(e));
        if (r)
            return r;
        uint64_t args[5] = { e.args[0], e.args[1], e.args[2], e.args[3], e.args[4] };
        e.result =
            (xen_ulong_t)(e.op == __HYPERVISOR_multicall ? -EINVAL
                                                         : dispatch(x, e.op, args, depth + 1));
        r = hc_copy_out(x, at, &e, sizeof(e));
        if (r)
            return r;
    }
    return 0;
}

static long dispatch(const struct hctx *x, uint64_t op, const uint64_t arg[5], int depth)
{
    switch (op) {
    case __HYPERVISOR_xen_version: return xen_version(x, (unsigned)arg[0], arg[1]);
    case __HYPERVISOR_event_channel_op: return event_channel_op(x, (unsigned)arg[0], arg[1]);
    case __HYPERVISOR_sched_op: return sched_op(x, (unsigned)arg[0], arg[1]);
    case __HYPERVISOR_domctl: return hc_domctl(x, arg[0]);
    case __HYPERVISOR_sysctl: return hc_sysctl(x, arg[0]);
    case __HYPERVISOR_multicall: return depth ? -EINVAL : multicall(x, arg[0], arg[1], depth);
    case __HYPERVISOR_xsm_op:
        return -ENOSYS; /* what Xen without FLASK answers: the real answer, no trace */
    case __HYPERVISOR_memory_op: return memory_op(x, (unsigned)arg[0], arg[1]);
    }
    hvd_trace(x->h, x->caller, "d%u: hypercall %llu (%s) not simulated", x->caller,
              (unsigned long long)op, hc_hypercall_name(op < 64 ? (unsigned)op : 64));
    return -ENOSYS;
}

int hcall(struct hvd *h, struct conn *c, const void *p, size_t n)
{
    struct hvw_call req;
    if (n != sizeof(req))
        return -1;
    memcpy(&req, p, sizeof(req));
    struct hctx x = { .h = h, .c = c, .base = req.base, .caller = c->dom->id };
    struct hvw_call_rep *rep = hvd_out(h, sizeof(*rep));
    rep->ret = dispatch(&x, req.op, req.arg, 0);
    return 0;
}
