/*
 * dominfo.c — XEN_DOMCTL_getdomaininfo's answer for a hosted domain.
 * A simulated domain's vCPU is its processes (those holding a handle of
 * the domain): their CPU time is its cpu_time, and it is running while
 * one of them is, blocked otherwise, as Xen reports a vCPU waiting for
 * events.  Its pages are the frames the daemon gave it.
 */
#include "backends-sim/hv/hvd/hcall.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct hdom *hc_dom_from(struct hvd *h, domid_t d)
{
    struct hdom *best = NULL;
    for (struct hdom *x = h->doms; x; x = x->next)
        if (x->id >= d && hv_domain_exists(h->hv, x->id) && (!best || x->id < best->id))
            best = x;
    return best;
}

/* CPU time (ns) of pid and whether it is running, from /proc. */
static bool proc_stat(pid_t pid, uint64_t *ns, bool *running)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')'); /* the name may hold spaces */
    char state;
    unsigned long long ut, st;
    if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &state, &ut,
                     &st) != 3)
        return false;
    long hz = sysconf(_SC_CLK_TCK);
    *ns += (ut + st) * (1000000000ull / (uint64_t)(hz > 0 ? hz : 100));
    *running |= state == 'R';
    return true;
}

void hc_dominfo(struct hvd *h, const struct hdom *dom, struct xen_domctl_getdomaininfo *out)
{
    memset(out, 0, sizeof(*out));
    out->domain = dom->id;
    uint64_t ns = 0;
    bool running = false;
    pid_t seen[64];
    size_t nseen = 0;
    for (const struct conn *c = h->conns; c; c = c->next) {
        if (c->dom != dom || c->dying || c->pid <= 0)
            continue;
        bool dup = false;
        for (size_t i = 0; i < nseen; i++)
            dup |= seen[i] == c->pid;
        if (dup)
            continue;
        if (nseen < sizeof(seen) / sizeof(seen[0]))
            seen[nseen++] = c->pid;
        proc_stat(c->pid, &ns, &running);
    }
    uint32_t flags = 0;
    if (dom->pause_count)
        flags |= XEN_DOMINF_paused;
    if (dom->shutdown)
        flags |= XEN_DOMINF_shutdown | ((uint32_t)dom->shutdown_code & XEN_DOMINF_shutdownmask)
                                           << XEN_DOMINF_shutdownshift;
    else if (!dom->pause_count)
        flags |= running ? XEN_DOMINF_running : XEN_DOMINF_blocked;
    out->flags = flags;
    out->tot_pages = hv_domain_nr_frames(h->hv, dom->id);
    out->max_pages = dom->max_pages;
    out->cpu_time = ns;
    out->nr_online_vcpus = 1;
    out->max_vcpu_id = 0;
    memcpy(out->handle, dom->handle, sizeof(out->handle));
    out->gpaddr_bits = 52;
}
