/*
 * splitbed-qrexec — dom0's qrexec daemon for one VM.
 *
 *   splitbed-qrexec --domain N --socket PATH [--name NAME]
 *                   [--allow SERVICE[+ARG]@TARGET]... [--services DIR]
 *                   [--ready-fd FD] [--quiet]
 *
 * NAME is the VM's name as dom0 knows it (default: the domain's xenstore
 * name), which its calls come from.
 *
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
 *
 * What faces the VM (its channels and messages, the allow list, dom0's
 * services) is qrexec_vm.h; this file holds the options, dom0's socket
 * and the poll loop.
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
#include "backends-sim/qubes/qrexec_vm.h"
#include "frontends/os/linux/os_linux.h"
#include "frontends/qrexec_proto.h"

#define PROG "splitbed-qrexec"

struct daemon {
    struct os *os;
    domid_t dom;
    int listen_fd;
    char vm_name[64];
    struct qrexec_policy policy;
    const char *services; /* dom0's service programs, or NULL */
    struct qrexec_vm *vm; /* the VM's side: qrexec_vm.h */
};

/* ---- dom0's socket -------------------------------------------------------------- */

static void accept_call(struct daemon *d)
{
    int s = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (s < 0)
        return;
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
    if (n <= 1 || fds[2] < 0 || cmd[n - 1] != 0 || !strchr(cmd, ':') ||
        qrexec_vm_call(d->vm, s, fds, cmd) < 0) {
        for (int i = 0; i < 3; i++)
            if (fds[i] >= 0)
                close(fds[i]);
        uint8_t e[4];
        qrexec_put32(e, QREXEC_EXIT_PROBLEM);
        (void)!send(s, e, 4, MSG_NOSIGNAL);
        close(s);
    }
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
    d.os = os_linux_open(&oo);
    if (!d.os)
        return 1;
    char npath[64];
    snprintf(npath, sizeof npath, "/local/domain/%u/name", (unsigned)d.dom);
    if (!d.vm_name[0] && os_xs_read(d.os, 0, npath, d.vm_name, sizeof d.vm_name) <= 0)
        snprintf(d.vm_name, sizeof d.vm_name, "d%u", (unsigned)d.dom);
    d.listen_fd = dom0_daemon_listen(PROG, sock);
    if (d.listen_fd < 0 || qrexec_vm_open(d.os, d.dom, d.vm_name, &d.policy, d.services, &d.vm) < 0)
        return 1;
    dom0_daemon_catch_stop();
    signal(SIGPIPE, SIG_IGN);
    dom0_daemon_ready(ready_fd);
    while (!dom0_daemon_stop) {
        struct pollfd p[4 + 1 + 5 * QREXEC_VM_MAX_CALLS];
        int n = os_linux_poll_fds(d.os, p, 4);
        int lfd = n;
        p[n++] = (struct pollfd){ .fd = d.listen_fd, .events = POLLIN };
        n += qrexec_vm_poll_fds(d.vm, p + n, (int)(sizeof p / sizeof p[0]) - n);
        int r = poll(p, (nfds_t)n, qrexec_vm_timeout(d.vm));
        if (r < 0 && errno != EINTR)
            break;
        if (p[lfd].revents & POLLIN)
            accept_call(&d);
        char wp[256], wt[64];
        while (os_xs_next_watch(d.os, wp, sizeof wp, wt, sizeof wt) > 0)
            ;
        qrexec_vm_step(d.vm);
    }
    qrexec_vm_close(d.vm);
    qrexec_policy_free(&d.policy);
    close(d.listen_fd);
    unlink(sock);
    os_linux_close(d.os);
    return 0;
}
