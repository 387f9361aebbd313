/*
 * net_app.c — see net_app.h.
 */
#include "net_app.h"

void net_app_opts_init(struct net_app_opts *o)
{
    os_memset(o, 0, sizeof *o);
    o->device = "device/vif/0";
    o->fe.max_queues = 1;
    o->timeout_s = 30;
}

void net_app_error(struct os *os, const char *prog, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    os_vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    os_log(os, OS_LOG_ERROR, "%s: %s", prog, msg);
}

int net_app_uint(struct os *os, const char *prog, const char *opt, const char *v, uint64_t max,
                 uint64_t *out)
{
    if (!v || os_parse_u64(v, out) < 0 || *out == 0 || *out > max) {
        net_app_error(os, prog, "%s %s: expected a number from 1 to %llu", opt, v ? v : "(missing)",
                      (unsigned long long)max);
        return -1;
    }
    return 0;
}

int net_app_parse(struct os *os, const char *prog, int argc, char **argv, int *i,
                  struct net_app_opts *o)
{
    const char *a = argv[*i];
    const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    uint64_t n;
    if (!os_strcmp(a, "--device")) {
        if (!v || !*v) {
            net_app_error(os, prog, "--device needs a xenstore path");
            return -1;
        }
        o->device = v;
    } else if (!os_strcmp(a, "--queues")) {
        if (net_app_uint(os, prog, a, v, NETFRONT_MAX_QUEUES, &n) < 0)
            return -1;
        o->fe.max_queues = (unsigned)n;
    } else if (!os_strcmp(a, "--timeout")) {
        if (net_app_uint(os, prog, a, v, 3600, &n) < 0)
            return -1;
        o->timeout_s = (unsigned)n;
    } else if (!os_strcmp(a, "--no-split")) {
        o->fe.no_split_evtchn = true;
        return 1;
    } else if (!os_strcmp(a, "--no-sg")) {
        o->fe.no_sg = true;
        return 1;
    } else if (!os_strcmp(a, "--no-gso")) {
        o->fe.no_gso = true;
        return 1;
    } else {
        return 0;
    }
    (*i)++;
    return 1;
}

int net_app_connect(struct os *os, const char *prog, const struct net_app_opts *o,
                    struct netfront **out)
{
    struct netfront *nf;
    int r = netfront_open(os, o->device, &o->fe, &nf);
    if (r < 0) {
        net_app_error(os, prog, "%s: cannot open the network device (error %d)", o->device, -r);
        return 1;
    }
    uint64_t deadline = os_now_ns(os) + (uint64_t)o->timeout_s * 1000000000u;
    for (;;) {
        int p = netfront_poll(nf);
        enum netfront_state st = netfront_state(nf);
        /* Closing with rings in place: the backend connected and already
         * finished; what it sent is still to be read. */
        if (st == NETFRONT_CONNECTED || (st == NETFRONT_CLOSING && netfront_num_queues(nf) > 0)) {
            *out = nf;
            return 0;
        }
        if (st != NETFRONT_CONNECTING || p < 0) {
            net_app_error(os, prog, "%s: the backend did not connect (device %s)", o->device,
                          netfront_state_name(st));
            netfront_free(nf);
            return 1;
        }
        if (p > 0)
            continue;
        if (os_now_ns(os) >= deadline || os_wait(os, deadline) < 0) {
            net_app_error(os, prog, "%s: no backend connected within %u s", o->device,
                          o->timeout_s);
            netfront_free(nf);
            return 1;
        }
    }
}

void net_app_close(struct os *os, struct netfront *nf)
{
    /* Frames the app never saw: a warning, so that -q keeps it. */
    struct netfront_stats st;
    netfront_stats(nf, &st);
    if (st.rx_errors || st.rx_dropped || st.tx_errors)
        os_log(os, OS_LOG_WARN,
               "[netfront] frames lost: %llu received in error (a failed grant copy or a bad "
               "response), %llu too long, %llu sends refused; %llu received, %llu sent",
               (unsigned long long)st.rx_errors, (unsigned long long)st.rx_dropped,
               (unsigned long long)st.tx_errors, (unsigned long long)st.rx_frames,
               (unsigned long long)st.tx_frames);
    if (netfront_state(nf) != NETFRONT_BROKEN && netfront_close(nf) == 0) {
        uint64_t deadline = os_now_ns(os) + 5000000000ull;
        while (netfront_state(nf) != NETFRONT_CLOSED && os_now_ns(os) < deadline) {
            if (netfront_poll(nf) == 0)
                os_wait(os, deadline);
        }
    }
    netfront_free(nf);
}

bool net_app_write_all(struct os *os, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len) {
        long n = os_console_write(os, p, len);
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}
