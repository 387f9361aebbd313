/*
 * qrexec-vm — a Qubes VM that only answers qrexec: the agent
 * (frontends/qrexec_agent.h) with qubes.WaitForSession and splitbed.Echo
 * (stdin back on stdout, "+ARG" then a newline first if given), until
 * the toolstack asks it to power off (control/shutdown = "poweroff").
 * Prints "serving" once its control channel is published and
 * "connected" once dom0's daemon said HELLO.  Exit 0 at power-off, 1 if
 * the agent fails.
 */
#include "os.h"
#include "qrexec_agent.h"

static int service(void *ctx, struct qrexec_call *call)
{
    if (!call->service || os_strcmp(call->service, "splitbed.Echo"))
        return QREXEC_AGENT_UNKNOWN;
    if (call->arg[0]) {
        (void)qrexec_call_out(call, call->arg, os_strlen(call->arg));
        (void)qrexec_call_out(call, "\n", 1);
    }
    (void)qrexec_call_out(call, call->input, call->input_len);
    return 0;
}

static void say(struct os *os, const char *s)
{
    (void)os_console_write(os, s, os_strlen(s));
}

int app_main(struct os *os, int argc, char **argv)
{
    if (argc != 1) {
        os_log(os, OS_LOG_ERROR, "qrexec-vm: takes no arguments");
        return 2;
    }
    struct qrexec_agent *a;
    int r = qrexec_agent_open(os, service, NULL, &a);
    if (r < 0) {
        os_log(os, OS_LOG_ERROR, "qrexec-vm: cannot serve qrexec (error %d)", -r);
        return 1;
    }
    say(os, "serving\n");
    char path[64], v[32];
    os_snprintf(path, sizeof path, "/local/domain/%u/control/shutdown", (unsigned)os_domid(os));
    (void)os_xs_watch(os, path, "qrexec-vm-shutdown");
    bool said = false;
    for (;;) {
        if (qrexec_agent_poll(a) < 0) {
            qrexec_agent_close(a);
            return 1;
        }
        if (!said && qrexec_agent_connected(a)) {
            say(os, "connected\n");
            said = true;
        }
        if (said && !qrexec_agent_connected(a))
            said = false; /* dom0's daemon went; say it again for the next */
        if (os_xs_read(os, 0, path, v, sizeof v) > 0 && !os_strcmp(v, "poweroff"))
            break;
        char wp[128], wt[64];
        while (os_xs_next_watch(os, wp, sizeof wp, wt, sizeof wt) > 0)
            ;
        /* a client channel without a watch is looked at again within 1 s */
        if (os_wait(os, os_now_ns(os) + 1000000000ull) < 0)
            break;
    }
    qrexec_agent_close(a);
    return 0;
}
