/*
 * splitbed-qrexec — dom0's qrexec daemon for one VM.
 *
 *   splitbed-qrexec --domain N --socket PATH [--name NAME]
 *                   [--allow SERVICE[+ARG]@TARGET]... [--services DIR]
 *                   [--ready-fd FD] [--quiet]
 *
 * NAME is the VM's name as dom0 knows it (default: the domain's xenstore
 * name), which its calls come from. *
 * Connects to the VM's control channel (vchan port 512, the VM serves),
 * answers its HELLO with the same version, and reconnects when the VM's
 * agent starts again.  Calls come from dom0 on a Unix socket: one
 * message "USER:COMMAND" with the caller's stdin, stdout and stderr
 * attached (SCM_RIGHTS), as `splitbed qrexec` sends them.  For each, like
 * qrexec-client -d VM: a free data port from 513, a vchan served there
 * (65536-byte rings), EXEC_CMDLINE to the VM; then HELLO both ways, the
 * caller's stdin as DATA_STDIN chunks and EOF, the VM's stdout and stderr
 * onto the caller's, and its exit code back on the socket (4 bytes).
 * The port is free again when the VM says CONNECTION_TERMINATED.
 *
 * The VM's own calls (TRIGGER_SERVICE3, like qrexec-client-vm) go by
 * the allow list (qrexec_policy.h): a call not on it, or malformed, gets
 * SERVICE_REFUSED and one line in the log.  An allowed call to dom0 gets
 * a free data port in SERVICE_CONNECT; the VM serves that channel and
 * dom0 runs the service program from --services DIR on it
 * (qrexec_service.h).  Calls to another VM are refused here.
 *
 * A VM that breaks the protocol gets one line: on the control channel it
 * is dropped and connected to afresh, on a data channel that call ends
 * with exit code 125.  The daemon keeps serving.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backends-sim/qubes/dom0_daemon.h"
#include "backends-sim/qubes/qrexec_policy.h"
#include "backends-sim/qubes/qrexec_service.h"
#include "frontends/os/linux/os_linux.h"
#include "frontends/qrexec_proto.h"
#include "frontends/vchan.h"

#define PROG "splitbed-qrexec"
#define MAX_CALLS 8
#define DATA_RING 65536u

enum call_phase { CALL_FREE, CALL_QUEUED, CALL_WAIT_VM, CALL_RUNNING };

struct call {
    enum call_phase phase;
    int sock, fds[3]; /* the caller, its stdin/stdout/stderr */
    char *cmdline;
    unsigned port;
    struct vchan *v;
    struct qrexec_link link;
    char tag[64];
    bool hello, stdin_done;
};

struct daemon {
    struct os *os;
    domid_t dom;
    char ctl_base[96];
    struct vchan *ctl;
    struct qrexec_link link;
    bool hello;
    uint32_t version;       /* what we speak with the agent: data channels */
    uint32_t agent_version; /* what its HELLO said, echoed: its triggers */
    int listen_fd;
    bool port_busy[QREXEC_DATA_PORTS];
    struct call calls[MAX_CALLS];
    char tag[48];
    char vm_name[64];
    struct qrexec_policy policy;
    const char *services; /* dom0's service programs, or NULL */
    struct qrexec_service *svcs[MAX_CALLS];
};

/* ---- the control channel ------------------------------------------------ */

static int ctl_open(struct daemon *d)
{
    d->hello = false;
    int r = vchan_client_open(d->os, d->dom, d->ctl_base, &d->ctl);
    if (r == 0)
        r = qrexec_link_init(&d->link, d->os, d->ctl, d->tag, QREXEC_MAX_CMDLINE + 8);
    return r;
}

static void ctl_drop(struct daemon *d)
{
    vchan_close(d->ctl);
    d->ctl = NULL;
    qrexec_link_free(&d->link);
    d->hello = false;
}

/* ---- calls ------------------------------------------------------------------ */

static void call_finish(struct daemon *d, struct call *c, int code)
{
    if (c->sock >= 0) {
        uint8_t e[4];
        qrexec_put32(e, (uint32_t)code);
        (void)!send(c->sock, e, 4, MSG_NOSIGNAL);
        close(c->sock);
    }
    for (int i = 0; i < 3; i++)
        if (c->fds[i] >= 0)
            close(c->fds[i]);
    vchan_close(c->v);
    qrexec_link_free(&c->link);
    free(c->cmdline);
    /* before EXEC_CMDLINE went out nobody else knows the port */
    if (c->phase == CALL_QUEUED && c->port)
        d->port_busy[c->port - QREXEC_FIRST_DATA_PORT] = false;
    memset(c, 0, sizeof *c);
    c->sock = c->fds[0] = c->fds[1] = c->fds[2] = -1;
}

static void call_fail(struct daemon *d, struct call *c, int code, const char *why)
{
    if (why && c->fds[2] >= 0)
        dprintf(c->fds[2], "splitbed qrexec: %s\n", why);
    call_finish(d, c, code);
}

/* Sends EXEC_CMDLINE once the control channel is up. */
static void call_start(struct daemon *d, struct call *c)
{
    unsigned i = 0;
    while (i < QREXEC_DATA_PORTS && d->port_busy[i])
        i++;
    if (i == QREXEC_DATA_PORTS) {
        call_fail(d, c, QREXEC_EXIT_PROBLEM, "no free qrexec port");
        return;
    }
    c->port = QREXEC_FIRST_DATA_PORT + i;
    d->port_busy[i] = true;
    char base[96];
    vchan_qubes_path(base, sizeof base, os_domid(d->os), d->dom, c->port);
    snprintf(c->tag, sizeof c->tag, PROG ": d%u port %u:", (unsigned)d->dom, c->port);
    if (vchan_server_open(d->os, d->dom, base, DATA_RING, DATA_RING, &c->v) < 0 ||
        qrexec_link_init(&c->link, d->os, c->v, c->tag, QREXEC_MAX_CHUNK) < 0) {
        call_fail(d, c, QREXEC_EXIT_PROBLEM, "cannot open a data channel");
        return;
    }
    uint8_t p[8];
    qrexec_put32(p, os_domid(d->os));
    qrexec_put32(p + 4, c->port);
    if (qrexec_link_send(&d->link, QREXEC_MSG_EXEC_CMDLINE, p, 8, c->cmdline,
                         strlen(c->cmdline) + 1) < 0) {
        call_fail(d, c, QREXEC_EXIT_PROBLEM, "the VM's control channel failed");
        return;
    }
    c->phase = CALL_WAIT_VM;
}

/* Relays the caller's stdin while the ring keeps up. */
static void pump_stdin(struct call *c)
{
    static uint8_t buf[QREXEC_MAX_CHUNK];
    while (!c->stdin_done && qrexec_link_queued(&c->link) < 2 * QREXEC_MAX_CHUNK) {
        struct pollfd p = { .fd = c->fds[0], .events = POLLIN };
        if (poll(&p, 1, 0) != 1)
            return;
        ssize_t n = read(c->fds[0], buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            return;
        if (n <= 0) {
            c->stdin_done = true;
            (void)qrexec_link_send(&c->link, QREXEC_MSG_DATA_STDIN, NULL, 0, NULL, 0);
            return;
        }
        if (qrexec_link_send(&c->link, QREXEC_MSG_DATA_STDIN, buf, (size_t)n, NULL, 0) < 0)
            return;
    }
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* a caller that stopped reading loses the rest */
        p += w;
        n -= (size_t)w;
    }
}

static void call_step(struct daemon *d, struct call *c)
{
    int st = vchan_poll(c->v);
    if (st < 0) {
        call_fail(d, c, QREXEC_EXIT_PROBLEM, "the VM broke the data channel");
        return;
    }
    if (c->phase == CALL_WAIT_VM) {
        if (st != VCHAN_CONNECTED)
            return;
        uint8_t v[4];
        qrexec_put32(v, d->version);
        (void)qrexec_link_send(&c->link, QREXEC_MSG_HELLO, v, 4, NULL, 0);
        c->phase = CALL_RUNNING;
    }
    (void)qrexec_link_flush(&c->link);
    if (c->hello)
        pump_stdin(c);
    for (;;) {
        uint32_t type, len;
        const uint8_t *data;
        int r = qrexec_link_next(&c->link, &type, &data, &len);
        if (r == 0)
            return;
        if (r < 0) {
            fprintf(stderr, "%s vchan connection closed early\n", c->tag);
            call_fail(d, c, QREXEC_EXIT_PROBLEM,
                      r == -OS_ESHUTDOWN ? "the VM closed the call before its exit code"
                                         : "the VM broke the data channel");
            return;
        }
        if (!c->hello) {
            if (type != QREXEC_MSG_HELLO || len != 4 || qrexec_get32(data) < QREXEC_MIN_VERSION) {
                fprintf(stderr, "%s the VM began with %s, not a HELLO we speak; cutting it off\n",
                        c->tag, qrexec_type_name(type));
                call_fail(d, c, QREXEC_EXIT_PROBLEM, "the VM broke the data channel");
                return;
            }
            c->hello = true;
            pump_stdin(c);
            continue;
        }
        switch (type) {
        case QREXEC_MSG_DATA_STDOUT: write_all(c->fds[1], data, len); break;
        case QREXEC_MSG_DATA_STDERR: write_all(c->fds[2], data, len); break;
        case QREXEC_MSG_DATA_EXIT_CODE:
            if (!c->stdin_done)
                (void)qrexec_link_send(&c->link, QREXEC_MSG_DATA_STDIN, NULL, 0, NULL, 0);
            call_finish(d, c, len >= 4 ? (int)qrexec_get32(data) : 255);
            return;
        case QREXEC_MSG_DATA_STDIN:
            fprintf(stderr, "%s the VM sent DATA_STDIN; ignored\n", c->tag);
            break;
        default:
            fprintf(stderr, "%s the VM sent %s on a data channel; cutting it off\n", c->tag,
                    qrexec_type_name(type));
            call_fail(d, c, QREXEC_EXIT_PROBLEM, "the VM broke the data channel");
            return;
        }
    }
}

/* ---- the VM's own calls ------------------------------------------------------ */

static int refuse_call(struct daemon *d, const char *request_id)
{
    uint8_t id[32] = { 0 };
    memcpy(id, request_id, strnlen(request_id, sizeof id - 1));
    return qrexec_link_send(&d->link, QREXEC_MSG_SERVICE_REFUSED, id, sizeof id, NULL, 0);
}

static int trigger(struct daemon *d, uint8_t *data, uint32_t len, bool v4)
{
    struct qrexec_trigger t;
    const char *refuse;
    const char *bad = qrexec_trigger_parse(data, len, v4, &t, &refuse);
    if (bad) {
        fprintf(stderr, "%s the VM sent %s; cutting it off\n", d->tag, bad);
        return -OS_EPROTO;
    }
    if (refuse) {
        fprintf(stderr, "%s refused a call from the VM: %s\n", d->tag, refuse);
        return refuse_call(d, t.request_id);
    }
    if (!qrexec_policy_allows(&d->policy, t.service, t.target)) {
        fprintf(stderr, "%s refused %s -> %s %s: not allowed (--allow %s@%s would)\n", d->tag,
                d->vm_name, t.target, t.service, t.service, t.target);
        return refuse_call(d, t.request_id);
    }
    if (strcmp(t.target, "dom0")) {
        fprintf(stderr, "%s refused %s -> %s %s: calls to another VM are not served here\n", d->tag,
                d->vm_name, t.target, t.service);
        return refuse_call(d, t.request_id);
    }
    unsigned i = 0, slot = 0;
    while (i < QREXEC_DATA_PORTS && d->port_busy[i])
        i++;
    while (slot < MAX_CALLS && d->svcs[slot])
        slot++;
    if (i == QREXEC_DATA_PORTS || slot == MAX_CALLS) {
        fprintf(stderr, "%s refused %s -> dom0 %s: too many calls at once\n", d->tag, d->vm_name,
                t.service);
        return refuse_call(d, t.request_id);
    }
    unsigned port = QREXEC_FIRST_DATA_PORT + i;
    if (qrexec_service_start(d->os, d->dom, d->vm_name, port, d->services, t.service,
                             &d->svcs[slot]) < 0) {
        fprintf(stderr, "%s refused %s -> dom0 %s: no data channel\n", d->tag, d->vm_name,
                t.service);
        return refuse_call(d, t.request_id);
    }
    d->port_busy[i] = true;
    fprintf(stderr, "%s %s calls %s in dom0 on port %u\n", d->tag, d->vm_name, t.service, port);
    uint8_t p[40] = { 0 };
    qrexec_put32(p, 0);
    qrexec_put32(p + 4, port);
    memcpy(p + 8, t.request_id, strnlen(t.request_id, 31));
    return qrexec_link_send(&d->link, QREXEC_MSG_SERVICE_CONNECT, p, sizeof p, NULL, 0);
}

/* ---- the control channel's messages ------------------------------------------ */

static int ctl_message(struct daemon *d, uint32_t type, const uint8_t *data, uint32_t len)
{
    if (!d->hello) {
        if (type != QREXEC_MSG_HELLO || len != 4) {
            fprintf(stderr, "%s the VM began with %s instead of HELLO; cutting it off\n", d->tag,
                    qrexec_type_name(type));
            return -OS_EPROTO;
        }
        uint32_t v = qrexec_get32(data);
        if (v < QREXEC_MIN_VERSION) {
            fprintf(stderr, "%s the VM speaks qrexec %u, below %u; cutting it off\n", d->tag, v,
                    QREXEC_MIN_VERSION);
            return -OS_EPROTO;
        }
        d->version = v < QREXEC_VERSION ? v : QREXEC_VERSION;
        d->agent_version = v;
        /* Qubes' daemon answers with the agent's own number */
        uint8_t e[4];
        qrexec_put32(e, v);
        d->hello = true;
        fprintf(stderr, "%s the VM's agent connected, protocol %u\n", d->tag, d->version);
        return qrexec_link_send(&d->link, QREXEC_MSG_HELLO, e, 4, NULL, 0);
    }
    if (type == QREXEC_MSG_CONNECTION_TERMINATED) {
        if (len != 8) {
            fprintf(stderr, "%s the VM sent CONNECTION_TERMINATED of %u bytes; cutting it off\n",
                    d->tag, len);
            return -OS_EPROTO;
        }
        uint32_t dom = qrexec_get32(data), port = qrexec_get32(data + 4);
        if (port < QREXEC_FIRST_DATA_PORT || port >= QREXEC_FIRST_DATA_PORT + QREXEC_DATA_PORTS) {
            fprintf(stderr, "%s the VM ended port %u, not a data port; cutting it off\n", d->tag,
                    port);
            return -OS_EPROTO;
        }
        if (dom == os_domid(d->os))
            d->port_busy[port - QREXEC_FIRST_DATA_PORT] = false;
        return 0;
    }
    if (type == QREXEC_MSG_TRIGGER_SERVICE || type == QREXEC_MSG_TRIGGER_SERVICE3 ||
        type == QREXEC_MSG_TRIGGER_SERVICE4) {
        /* the trigger of the version the agent was told (its own) */
        uint32_t want = d->agent_version >= 4   ? QREXEC_MSG_TRIGGER_SERVICE4
                        : d->agent_version == 3 ? QREXEC_MSG_TRIGGER_SERVICE3
                                                : QREXEC_MSG_TRIGGER_SERVICE;
        if (type != want || want == QREXEC_MSG_TRIGGER_SERVICE) {
            fprintf(stderr, "%s the VM sent %s at protocol %u; cutting it off\n", d->tag,
                    qrexec_type_name(type), d->agent_version);
            return -OS_EPROTO;
        }
        /* the link's own buffer: ours to sanitise in place */
        return trigger(d, (uint8_t *)data, len, type == QREXEC_MSG_TRIGGER_SERVICE4);
    }
    fprintf(stderr, "%s the VM sent %s, which this daemon does not serve; cutting it off\n", d->tag,
            qrexec_type_name(type));
    return -OS_EPROTO;
}

static void ctl_step(struct daemon *d)
{
    if (!d->ctl && ctl_open(d) < 0)
        return;
    int st = vchan_poll(d->ctl);
    int r = st < 0 ? st : qrexec_link_flush(&d->link);
    while (r >= 0) {
        uint32_t type, len;
        const uint8_t *data;
        r = qrexec_link_next(&d->link, &type, &data, &len);
        if (r <= 0)
            break;
        r = ctl_message(d, type, data, len);
    }
    if (r < 0 || vchan_state(d->ctl) == VCHAN_CLOSED) {
        /* the agent went away or broke the protocol: wait for a new one */
        ctl_drop(d);
        memset(d->port_busy, 0, sizeof d->port_busy);
        for (int i = 0; i < MAX_CALLS; i++)
            if (d->calls[i].phase != CALL_FREE)
                call_fail(d, &d->calls[i], QREXEC_EXIT_PROBLEM, "the VM's agent went away");
        (void)ctl_open(d);
        return;
    }
    if (d->hello)
        for (int i = 0; i < MAX_CALLS; i++)
            if (d->calls[i].phase == CALL_QUEUED)
                call_start(d, &d->calls[i]);
}

/* ---- dom0's socket -------------------------------------------------------------- */

static void accept_call(struct daemon *d)
{
    int s = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (s < 0)
        return;
    struct call *c = NULL;
    for (int i = 0; i < MAX_CALLS && !c; i++)
        if (d->calls[i].phase == CALL_FREE)
            c = &d->calls[i];
    char cmd[QREXEC_MAX_CMDLINE + 1];
    union {
        char buf[CMSG_SPACE(3 * sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = { .iov_base = cmd, .iov_len = sizeof cmd - 1 };
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf
    };
    struct pollfd p = { .fd = s, .events = POLLIN };
    ssize_t n = poll(&p, 1, 5000) == 1 ? recvmsg(s, &m, MSG_CMSG_CLOEXEC) : -1;
    int fds[3] = { -1, -1, -1 };
    struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&m) : NULL;
    if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
        cm->cmsg_len == CMSG_LEN(3 * sizeof(int)))
        memcpy(fds, CMSG_DATA(cm), sizeof fds);
    if (!c || n <= 1 || fds[2] < 0 || cmd[n - 1] != 0 || !strchr(cmd, ':')) {
        for (int i = 0; i < 3; i++)
            if (fds[i] >= 0)
                close(fds[i]);
        uint8_t e[4];
        qrexec_put32(e, QREXEC_EXIT_PROBLEM);
        (void)!send(s, e, 4, MSG_NOSIGNAL);
        close(s);
        return;
    }
    c->sock = s;
    memcpy(c->fds, fds, sizeof fds);
    c->cmdline = strdup(cmd);
    c->phase = CALL_QUEUED;
    if (d->hello)
        call_start(d, c);
}

/* --name, --allow and --services (dom0_daemon_args.extra). */
static int own_option(void *ctx, const char *opt, const char *val)
{
    struct daemon *d = ctx;
    if (!val)
        return 0;
    if (!strcmp(opt, "--services")) {
        d->services = val;
        return 1;
    }
    if (!strcmp(opt, "--name")) {
        snprintf(d->vm_name, sizeof d->vm_name, "%s", val);
        return 1;
    }
    if (!strcmp(opt, "--allow")) {
        const char *why = qrexec_policy_add(&d->policy, val);
        if (why) {
            fprintf(stderr, PROG ": --allow '%s' %s\n", val, why);
            return 2;
        }
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct daemon d = { .listen_fd = -1 };
    struct dom0_daemon_args args = { .prog = PROG,
                                     .usage = "--domain N --socket PATH [--name NAME] "
                                              "[--allow SERVICE[+ARG]@TARGET]... [--services DIR]",
                                     .need_socket = true,
                                     .extra = own_option,
                                     .ctx = &d };
    if (dom0_daemon_parse(&args, argc, argv))
        return 2;
    const char *sock = args.socket;
    int ready_fd = args.ready_fd;
    struct os_linux_opts oo = { .quiet = args.quiet };
    d.dom = args.dom;
    for (int i = 0; i < MAX_CALLS; i++)
        d.calls[i].sock = d.calls[i].fds[0] = d.calls[i].fds[1] = d.calls[i].fds[2] = -1;
    snprintf(d.tag, sizeof d.tag, PROG ": d%u:", (unsigned)d.dom);
    d.os = os_linux_open(&oo);
    if (!d.os)
        return 1;
    vchan_qubes_path(d.ctl_base, sizeof d.ctl_base, d.dom, os_domid(d.os), QREXEC_CONTROL_PORT);
    char npath[64];
    snprintf(npath, sizeof npath, "/local/domain/%u/name", (unsigned)d.dom);
    if (!d.vm_name[0] && os_xs_read(d.os, 0, npath, d.vm_name, sizeof d.vm_name) <= 0)
        snprintf(d.vm_name, sizeof d.vm_name, "d%u", (unsigned)d.dom);
    d.listen_fd = dom0_daemon_listen(PROG, sock);
    if (d.listen_fd < 0 || ctl_open(&d) < 0)
        return 1;
    dom0_daemon_catch_stop();
    signal(SIGPIPE, SIG_IGN);
    dom0_daemon_ready(ready_fd);
    while (!dom0_daemon_stop) {
        struct pollfd p[4 + 2 * MAX_CALLS + 4 * MAX_CALLS];
        int n = os_linux_poll_fds(d.os, p, 4);
        int lfd = n;
        p[n++] = (struct pollfd){ .fd = d.listen_fd, .events = POLLIN };
        /* callers' stdin, while their call wants it */
        for (int i = 0; i < MAX_CALLS; i++) {
            struct call *c = &d.calls[i];
            bool want = c->phase == CALL_RUNNING && c->hello && !c->stdin_done &&
                        qrexec_link_queued(&c->link) < 2 * QREXEC_MAX_CHUNK;
            p[n++] = (struct pollfd){ .fd = want ? c->fds[0] : -1, .events = POLLIN };
        }
        /* dom0's services for the VM's calls: their pipes and exit */
        for (int i = 0; i < MAX_CALLS; i++)
            if (d.svcs[i])
                n += qrexec_service_poll_fds(d.svcs[i], p + n, 4);
        /* a client without a watch of its own looks again every 100 ms */
        int r = poll(p, (nfds_t)n, d.ctl && vchan_state(d.ctl) == VCHAN_WAITING ? 100 : -1);
        if (r < 0 && errno != EINTR)
            break;
        if (p[lfd].revents & POLLIN)
            accept_call(&d);
        char wp[256], wt[64];
        while (os_xs_next_watch(d.os, wp, sizeof wp, wt, sizeof wt) > 0)
            ;
        ctl_step(&d);
        for (int i = 0; i < MAX_CALLS; i++)
            if (d.calls[i].phase == CALL_WAIT_VM || d.calls[i].phase == CALL_RUNNING)
                call_step(&d, &d.calls[i]);
        for (int i = 0; i < MAX_CALLS; i++)
            if (d.svcs[i] && qrexec_service_step(d.svcs[i]) == 0) {
                qrexec_service_free(d.svcs[i]);
                d.svcs[i] = NULL;
            }
        if (d.ctl)
            (void)qrexec_link_flush(&d.link);
    }
    for (int i = 0; i < MAX_CALLS; i++)
        qrexec_service_free(d.svcs[i]);
    qrexec_policy_free(&d.policy);
    for (int i = 0; i < MAX_CALLS; i++)
        if (d.calls[i].phase != CALL_FREE)
            call_fail(&d, &d.calls[i], QREXEC_EXIT_PROBLEM, "dom0's qrexec daemon stopped");
    ctl_drop(&d);
    close(d.listen_fd);
    unlink(sock);
    os_linux_close(d.os);
    return 0;
}
