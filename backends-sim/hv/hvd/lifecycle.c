/*
 * lifecycle.c — a hosted domain's state as Xen keeps it.  A simulated
 * domain's vCPU is its processes (procdom.h tells which they are), so
 * pausing it stops them (SIGSTOP: they hold, as a paused vCPU, and take
 * no event until unpaused; what they shared stays as it was) and
 * destroying it kills them.  Shutdown and death raise VIRQ_DOM_EXC to
 * dom0, as Xen does, for xenstored to look at the domains again.
 */
#include "backends-sim/hv/hvd/hvd.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* State letter of /proc/PID/stat, 0 when gone. */
static char proc_state(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : 0;
}

/* Sends sig to every process of domain d; returns how many.  SIGSTOP
 * returns once they stopped, as Xen's pause returns once the vCPUs are
 * off the CPUs (a signal is delivered when its target next runs), and
 * SIGCONT once they left the stopped state. */
static unsigned signal_domain(struct hvd *h, domid_t d, int sig)
{
    DIR *proc = opendir("/proc");
    if (!proc)
        return 0;
    unsigned n = 0;
    pid_t self = getpid();
    pid_t stopped[256];
    size_t nstopped = 0;
    for (struct dirent *e; (e = readdir(proc));) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 1 || pid == self)
            continue;
        if (procdom_of(&h->sim, (pid_t)pid) == (int)d && kill((pid_t)pid, sig) == 0) {
            n++;
            if ((sig == SIGSTOP || sig == SIGCONT) && nstopped < sizeof stopped / sizeof stopped[0])
                stopped[nstopped++] = (pid_t)pid;
        }
    }
    closedir(proc);
    /* At most 2 s per process: one that does not stop (traced, in an
     * uninterruptible wait) is left as it is. */
    for (size_t i = 0; i < nstopped; i++)
        for (int k = 0; k < 2000; k++) {
            char st = proc_state(stopped[i]);
            bool is_stopped = st == 'T' || st == 't';
            if (!st || st == 'Z' || st == 'X' || is_stopped == (sig == SIGSTOP))
                break;
            nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
        }
    return n;
}

int hvd_dom_pause(struct hvd *h, struct hdom *dom)
{
    if (dom->pause_count == 255)
        return -EUSERS;
    if (dom->pause_count++ == 0)
        signal_domain(h, dom->id, SIGSTOP);
    return 0;
}

int hvd_dom_unpause(struct hvd *h, struct hdom *dom)
{
    if (dom->pause_count == 0)
        return -EINVAL;
    if (--dom->pause_count == 0 && !dom->shutdown)
        signal_domain(h, dom->id, SIGCONT);
    return 0;
}

void hvd_dom_shutdown(struct hvd *h, struct hdom *dom, unsigned reason)
{
    if (dom->shutdown)
        return;
    dom->shutdown = true;
    dom->shutdown_code = (uint8_t)reason;
    /* Its vCPUs stop for good; the toolstack destroys it or not. */
    signal_domain(h, dom->id, SIGSTOP);
    hvd_raise_dom_exc(h);
}

void hvd_dom_kill(struct hvd *h, domid_t d)
{
    signal_domain(h, d, SIGKILL);
}

void hvd_raise_dom_exc(struct hvd *h)
{
    evtchn_port_t p = hv_evtchn_raise_global_virq(h->hv, VIRQ_DOM_EXC);
    /* Delivery state lives in the handle's event page (README): the
     * core's bit is cleared so that the next raise delivers again. */
    if (p)
        hv_evtchn_clear_pending(h->hv, 0, p);
}
