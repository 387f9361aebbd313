/* host.c — building and tearing down the Linux struct os. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os_linux.h"

static bool parse_domid(const char *s, domid_t *out)
{
    uint64_t v;
    if (!s || os_parse_u64(s, &v) < 0 || v >= DOMID_FIRST_RESERVED)
        return false;
    *out = (domid_t)v;
    return true;
}

struct os *os_linux_open(const struct os_linux_opts *opts)
{
    struct os *os = calloc(1, sizeof(*os));
    if (!os) {
        fprintf(stderr, "[os] out of memory\n");
        return NULL;
    }
    os->max_level = opts->quiet ? OS_LOG_WARN : opts->debug ? OS_LOG_DEBUG : OS_LOG_INFO;
    if (hybrid_poll_init(&os->hp) < 0) {
        fprintf(stderr, "[os] SPLITBED_POLL_US=%s: not a number of microseconds from 0 to %u\n",
                getenv("SPLITBED_POLL_US"), HYBRID_POLL_MAX_US);
        free(os);
        return NULL;
    }
    os->xs = xs_open(0);
    if (!os->xs) {
        const char *p = getenv("XENSTORED_PATH");
        fprintf(stderr, "[os] cannot connect to xenstore%s%s%s: %s\n", p ? " at " : "", p ? p : "",
                p ? " (XENSTORED_PATH)" : "", strerror(errno));
        free(os);
        return NULL;
    }
    /* A domain learns its id from its own xenstore home ("domid" is
     * relative to /local/domain/N); dom0's tools may lack it. */
    unsigned len = 0;
    char *v = xs_read(os->xs, XBT_NULL, "domid", &len);
    if (!parse_domid(v, &os->domid) && !parse_domid(getenv("SPLITBED_DOMID"), &os->domid))
        os->domid = 0;
    free(v);
    return os;
}

void os_linux_close(struct os *os)
{
    if (!os)
        return;
    os_linux_unshare_all(os);
    if (os->xce)
        xenevtchn_close(os->xce);
    if (os->gs)
        xengntshr_close(os->gs);
    if (os->gt)
        xengnttab_close(os->gt);
    xs_close(os->xs);
    free(os);
}

xengntshr_handle *os_linux_gntshr(struct os *os)
{
    if (!os->gs && !os->gs_failed) {
        os->gs = xengntshr_open(NULL, 0);
        if (!os->gs) {
            os->gs_failed = true;
            os_log(os, OS_LOG_ERROR, "[os] d%u: cannot open the grant-sharing device: %s",
                   os->domid, strerror(errno));
        }
    }
    return os->gs;
}

xenevtchn_handle *os_linux_evtchn(struct os *os)
{
    if (!os->xce && !os->xce_failed) {
        os->xce = xenevtchn_open(NULL, 0);
        if (os->xce) {
            /* Non-blocking, looking for an event is one read instead of
             * poll() and read(); Linux's evtchn device and the simulator's
             * both answer EAGAIN when there is none. */
            int fd = xenevtchn_fd(os->xce);
            int fl = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
            os->xce_nonblock = fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
            os->xce_ready = true;
        }
        if (!os->xce) {
            os->xce_failed = true;
            os_log(os, OS_LOG_ERROR, "[os] d%u: cannot open the event-channel device: %s",
                   os->domid, strerror(errno));
        }
    }
    return os->xce;
}

domid_t os_domid(struct os *os)
{
    return os->domid;
}
