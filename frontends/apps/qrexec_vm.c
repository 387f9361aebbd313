/*
 * qrexec-vm [--call TARGET SERVICE[+ARG] [--input TEXT]]... [--exit] — a Qubes VM
 * that only does qrexec: the agent (frontends/qrexec_agent.h) with
 * qubes.WaitForSession and splitbed.Echo (stdin back on stdout, "+ARG"
 * then a newline first if given), until the toolstack asks it to power
 * off (control/shutdown = "poweroff").  Prints "serving" once its
 * control channel is published and "connected" once dom0's daemon said
 * HELLO.
 *
 * Each --call is then made in turn, as qrexec-client-vm makes it: dom0
 * is asked to run SERVICE in TARGET with TEXT (default none) as stdin;
 * the service's stdout is printed as it came, its stderr as lines
 * beginning "stderr: ", then "call exit N" (126: dom0 refused it).
 * --exit ends the VM once its calls are done instead of at power-off.
 * Exit 0 at power-off (or --exit), 1 if the agent fails, 2 on bad usage.
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

#define MAX_CALLS 8

struct call_arg {
    const char *target, *service, *input;
};

/* Prints a finished call's output and exit code. */
static void report(struct os *os, struct qrexec_request *r)
{
    int code;
    const uint8_t *out, *err;
    size_t out_len, err_len;
    (void)qrexec_request_result(r, &code, &out, &out_len, &err, &err_len);
    (void)os_console_write(os, (const char *)out, out_len);
    for (size_t i = 0; i < err_len;) {
        size_t j = i;
        while (j < err_len && err[j] != '\n')
            j++;
        say(os, "stderr: ");
        (void)os_console_write(os, (const char *)err + i, j - i);
        say(os, "\n");
        i = j + 1;
    }
    char line[32];
    os_snprintf(line, sizeof line, "call exit %d\n", code);
    say(os, line);
}

int app_main(struct os *os, int argc, char **argv)
{
    struct call_arg calls[MAX_CALLS];
    unsigned ncalls = 0;
    bool exit_after = false;
    for (int i = 1; i < argc; i++) {
        if (!os_strcmp(argv[i], "--exit")) {
            exit_after = true;
            continue;
        }
        if (!os_strcmp(argv[i], "--call") && i + 2 < argc && ncalls < MAX_CALLS) {
            calls[ncalls++] = (struct call_arg){ argv[i + 1], argv[i + 2], "" };
            i += 2;
        } else if (!os_strcmp(argv[i], "--input") && i + 1 < argc && ncalls) {
            calls[ncalls - 1].input = argv[++i];
        } else {
            os_log(os, OS_LOG_ERROR,
                   "qrexec-vm: unexpected argument '%s'; usage: qrexec-vm [--call TARGET "
                   "SERVICE[+ARG] [--input TEXT]]... [--exit] (at most %u calls)",
                   argv[i], MAX_CALLS);
            return 2;
        }
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
    unsigned next = 0;
    struct qrexec_request *req = NULL;
    for (;;) {
        if (qrexec_agent_poll(a) < 0) {
            qrexec_request_free(req);
            qrexec_agent_close(a);
            return 1;
        }
        if (!said && qrexec_agent_connected(a)) {
            say(os, "connected\n");
            said = true;
        }
        int code;
        const uint8_t *o, *e;
        size_t ol, el;
        if (req && qrexec_request_result(req, &code, &o, &ol, &e, &el)) {
            report(os, req);
            qrexec_request_free(req);
            req = NULL;
        }
        if (!req && next < ncalls && qrexec_agent_connected(a)) {
            const struct call_arg *c = &calls[next++];
            r = qrexec_agent_request(a, c->target, c->service, c->input, os_strlen(c->input), &req);
            if (r < 0) {
                os_log(os, OS_LOG_ERROR, "qrexec-vm: cannot call %s in %s (error %d)", c->service,
                       c->target, -r);
                req = NULL;
            }
            continue; /* the trigger is out: look at the channel again at once */
        }
        if (exit_after && !req && next == ncalls)
            break;
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
    qrexec_request_free(req);
    qrexec_agent_close(a);
    return 0;
}
