/* qrexec_vm.c — dom0's qrexec toward one VM (qrexec_vm.h). */
#include "backends-sim/qubes/qrexec_vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backends-sim/qubes/qrexec_service.h"
#include "frontends/qrexec_proto.h"
#include "frontends/vchan.h"

#define PROG "splitbed-qrexec"
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

struct qrexec_vm {
    struct os *os;
    domid_t dom;
    char ctl_base[96];
    struct vchan *ctl;
    struct qrexec_link link;
    bool hello;
    uint32_t version;       /* what we speak with the agent: data channels */
    uint32_t agent_version; /* what its HELLO said, echoed: its triggers */
    bool port_busy[QREXEC_DATA_PORTS];
    struct call calls[QREXEC_VM_MAX_CALLS];
    char tag[48];
    char vm_name[64];
    const struct qrexec_policy *policy;
    const char *services; /* dom0's service programs, or NULL */
    struct qrexec_service *svcs[QREXEC_VM_MAX_CALLS];
};

/* ---- the control channel ------------------------------------------------ */

static int ctl_open(struct qrexec_vm *d)
{
    d->hello = false;
    int r = vchan_client_open(d->os, d->dom, d->ctl_base, &d->ctl);
    if (r == 0)
        r = qrexec_link_init(&d->link, d->os, d->ctl, d->tag, QREXEC_MAX_CMDLINE + 8);
    return r;
}

static void ctl_drop(struct qrexec_vm *d)
{
    vchan_close(d->ctl);
    d->ctl = NULL;
    qrexec_link_free(&d->link);
    d->hello = false;
}

/* ---- calls ------------------------------------------------------------------ */

static void call_finish(struct qrexec_vm *d, struct call *c, int code)
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

static void call_fail(struct qrexec_vm *d, struct call *c, int code, const char *why)
{
    if (why && c->fds[2] >= 0)
        dprintf(c->fds[2], "splitbed qrexec: %s\n", why);
    call_finish(d, c, code);
}

/* Sends EXEC_CMDLINE once the control channel is up. */
static void call_start(struct qrexec_vm *d, struct call *c)
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
    if (!c->stdin_done && c->fds[0] < 0) {
        /* a caller with no stdin: EOF at once */
        c->stdin_done = true;
        (void)qrexec_link_send(&c->link, QREXEC_MSG_DATA_STDIN, NULL, 0, NULL, 0);
    }
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

static void call_step(struct qrexec_vm *d, struct call *c)
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
            os_log(d->os, OS_LOG_WARN, "%s vchan connection closed early", c->tag);
            call_fail(d, c, QREXEC_EXIT_PROBLEM,
                      r == -OS_ESHUTDOWN ? "the VM closed the call before its exit code"
                                         : "the VM broke the data channel");
            return;
        }
        if (!c->hello) {
            if (type != QREXEC_MSG_HELLO || len != 4 || qrexec_get32(data) < QREXEC_MIN_VERSION) {
                os_log(d->os, OS_LOG_WARN,
                       "%s the VM began with %s, not a HELLO we speak; cutting it off", c->tag,
                       qrexec_type_name(type));
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
            os_log(d->os, OS_LOG_WARN, "%s the VM sent DATA_STDIN; ignored", c->tag);
            break;
        default:
            os_log(d->os, OS_LOG_WARN, "%s the VM sent %s on a data channel; cutting it off",
                   c->tag, qrexec_type_name(type));
            call_fail(d, c, QREXEC_EXIT_PROBLEM, "the VM broke the data channel");
            return;
        }
    }
}

/* ---- the VM's own calls ------------------------------------------------------ */

static int refuse_call(struct qrexec_vm *d, const char *request_id)
{
    uint8_t id[32] = { 0 };
    memcpy(id, request_id, strnlen(request_id, sizeof id - 1));
    return qrexec_link_send(&d->link, QREXEC_MSG_SERVICE_REFUSED, id, sizeof id, NULL, 0);
}

static int trigger(struct qrexec_vm *d, uint8_t *data, uint32_t len, bool v4)
{
    struct qrexec_trigger t;
    const char *refuse;
    const char *bad = qrexec_trigger_parse(data, len, v4, &t, &refuse);
    if (bad) {
        os_log(d->os, OS_LOG_WARN, "%s the VM sent %s; cutting it off", d->tag, bad);
        return -OS_EPROTO;
    }
    if (refuse) {
        os_log(d->os, OS_LOG_WARN, "%s refused a call from the VM: %s", d->tag, refuse);
        return refuse_call(d, t.request_id);
    }
    if (!qrexec_policy_allows(d->policy, t.service, t.target)) {
        os_log(d->os, OS_LOG_WARN, "%s refused %s -> %s %s: not allowed (--allow %s@%s would)",
               d->tag, d->vm_name, t.target, t.service, t.service, t.target);
        return refuse_call(d, t.request_id);
    }
    if (strcmp(t.target, "dom0")) {
        os_log(d->os, OS_LOG_WARN,
               "%s refused %s -> %s %s: calls to another VM are not served here", d->tag,
               d->vm_name, t.target, t.service);
        return refuse_call(d, t.request_id);
    }
    unsigned i = 0, slot = 0;
    while (i < QREXEC_DATA_PORTS && d->port_busy[i])
        i++;
    while (slot < QREXEC_VM_MAX_CALLS && d->svcs[slot])
        slot++;
    if (i == QREXEC_DATA_PORTS || slot == QREXEC_VM_MAX_CALLS) {
        os_log(d->os, OS_LOG_WARN, "%s refused %s -> dom0 %s: too many calls at once", d->tag,
               d->vm_name, t.service);
        return refuse_call(d, t.request_id);
    }
    unsigned port = QREXEC_FIRST_DATA_PORT + i;
    if (qrexec_service_start(d->os, d->dom, d->vm_name, port, d->services, t.service,
                             &d->svcs[slot]) < 0) {
        os_log(d->os, OS_LOG_WARN, "%s refused %s -> dom0 %s: no data channel", d->tag, d->vm_name,
               t.service);
        return refuse_call(d, t.request_id);
    }
    d->port_busy[i] = true;
    os_log(d->os, OS_LOG_WARN, "%s %s calls %s in dom0 on port %u", d->tag, d->vm_name, t.service,
           port);
    uint8_t p[40] = { 0 };
    qrexec_put32(p, 0);
    qrexec_put32(p + 4, port);
    memcpy(p + 8, t.request_id, strnlen(t.request_id, 31));
    return qrexec_link_send(&d->link, QREXEC_MSG_SERVICE_CONNECT, p, sizeof p, NULL, 0);
}

/* ---- the control channel's messages ------------------------------------------ */

static int ctl_message(struct qrexec_vm *d, uint32_t type, const uint8_t *data, uint32_t len)
{
    if (!d->hello) {
        if (type != QREXEC_MSG_HELLO || len != 4) {
            os_log(d->os, OS_LOG_WARN, "%s the VM began with %s instead of HELLO; cutting it off",
                   d->tag, qrexec_type_name(type));
            return -OS_EPROTO;
        }
        uint32_t v = qrexec_get32(data);
        if (v < QREXEC_MIN_VERSION) {
            os_log(d->os, OS_LOG_WARN, "%s the VM speaks qrexec %u, below %u; cutting it off",
                   d->tag, v, QREXEC_MIN_VERSION);
            return -OS_EPROTO;
        }
        d->version = v < QREXEC_VERSION ? v : QREXEC_VERSION;
        d->agent_version = v;
        /* Qubes' daemon answers with the agent's own number */
        uint8_t e[4];
        qrexec_put32(e, v);
        d->hello = true;
        os_log(d->os, OS_LOG_WARN, "%s the VM's agent connected, protocol %u", d->tag, d->version);
        return qrexec_link_send(&d->link, QREXEC_MSG_HELLO, e, 4, NULL, 0);
    }
    if (type == QREXEC_MSG_CONNECTION_TERMINATED) {
        if (len != 8) {
            os_log(d->os, OS_LOG_WARN,
                   "%s the VM sent CONNECTION_TERMINATED of %u bytes; cutting it off", d->tag, len);
            return -OS_EPROTO;
        }
        uint32_t dom = qrexec_get32(data), port = qrexec_get32(data + 4);
#ifndef SPLITBED_BUG_QREXEC_TERMINATED_PORT
        if (port < QREXEC_FIRST_DATA_PORT || port >= QREXEC_FIRST_DATA_PORT + QREXEC_DATA_PORTS) {
            os_log(d->os, OS_LOG_WARN, "%s the VM ended port %u, not a data port; cutting it off",
                   d->tag, port);
            return -OS_EPROTO;
        }
#endif
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
            os_log(d->os, OS_LOG_WARN, "%s the VM sent %s at protocol %u; cutting it off", d->tag,
                   qrexec_type_name(type), d->agent_version);
            return -OS_EPROTO;
        }
        /* the link's own buffer: ours to sanitise in place */
        return trigger(d, (uint8_t *)data, len, type == QREXEC_MSG_TRIGGER_SERVICE4);
    }
    os_log(d->os, OS_LOG_WARN,
           "%s the VM sent %s, which this daemon does not serve; cutting it off", d->tag,
           qrexec_type_name(type));
    return -OS_EPROTO;
}

static void ctl_step(struct qrexec_vm *d)
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
        for (int i = 0; i < QREXEC_VM_MAX_CALLS; i++)
            if (d->calls[i].phase != CALL_FREE)
                call_fail(d, &d->calls[i], QREXEC_EXIT_PROBLEM, "the VM's agent went away");
        (void)ctl_open(d);
        return;
    }
    if (d->hello)
        for (int i = 0; i < QREXEC_VM_MAX_CALLS; i++)
            if (d->calls[i].phase == CALL_QUEUED)
                call_start(d, &d->calls[i]);
}

/* ---- what the daemon's loop calls ------------------------------------------------ */

int qrexec_vm_open(struct os *os, domid_t dom, const char *vm_name,
                   const struct qrexec_policy *policy, const char *services, struct qrexec_vm **out)
{
    struct qrexec_vm *d = calloc(1, sizeof *d);
    if (!d)
        return -OS_ENOMEM;
    d->os = os;
    d->dom = dom;
    d->policy = policy;
    d->services = services;
    snprintf(d->vm_name, sizeof d->vm_name, "%s", vm_name);
    snprintf(d->tag, sizeof d->tag, PROG ": d%u:", (unsigned)dom);
    for (int i = 0; i < QREXEC_VM_MAX_CALLS; i++)
        d->calls[i].sock = d->calls[i].fds[0] = d->calls[i].fds[1] = d->calls[i].fds[2] = -1;
    vchan_qubes_path(d->ctl_base, sizeof d->ctl_base, dom, os_domid(os), QREXEC_CONTROL_PORT);
    int r = ctl_open(d);
    if (r < 0) {
        ctl_drop(d);
        free(d);
        return r;
    }
    *out = d;
    return 0;
}

int qrexec_vm_call(struct qrexec_vm *d, int sock, const int fds[3], const char *cmdline)
{
    struct call *c = NULL;
    for (int i = 0; i < QREXEC_VM_MAX_CALLS && !c; i++)
        if (d->calls[i].phase == CALL_FREE)
            c = &d->calls[i];
    char *copy = c ? strdup(cmdline) : NULL;
    if (!copy)
        return -1;
    c->sock = sock;
    memcpy(c->fds, fds, sizeof c->fds);
    c->cmdline = copy;
    c->phase = CALL_QUEUED;
    if (d->hello)
        call_start(d, c);
    return 0;
}

int qrexec_vm_poll_fds(const struct qrexec_vm *d, struct pollfd *p, int max)
{
    int n = 0;
    /* callers' stdin, while their call wants it */
    for (int i = 0; i < QREXEC_VM_MAX_CALLS && n < max; i++) {
        const struct call *c = &d->calls[i];
        if (c->phase == CALL_RUNNING && c->hello && !c->stdin_done && c->fds[0] >= 0 &&
            qrexec_link_queued(&c->link) < 2 * QREXEC_MAX_CHUNK)
            p[n++] = (struct pollfd){ .fd = c->fds[0], .events = POLLIN };
    }
    /* dom0's services for the VM's calls: their pipes and exit */
    for (int i = 0; i < QREXEC_VM_MAX_CALLS && n < max; i++)
        if (d->svcs[i])
            n += qrexec_service_poll_fds(d->svcs[i], p + n, max - n < 4 ? max - n : 4);
    return n;
}

int qrexec_vm_timeout(const struct qrexec_vm *d)
{
    return d->ctl && vchan_state(d->ctl) == VCHAN_WAITING ? 100 : -1;
}

void qrexec_vm_step(struct qrexec_vm *d)
{
    ctl_step(d);
    for (int i = 0; i < QREXEC_VM_MAX_CALLS; i++)
        if (d->calls[i].phase == CALL_WAIT_VM || d->calls[i].phase == CALL_RUNNING)
            call_step(d, &d->calls[i]);
    for (int i = 0; i < QREXEC_VM_MAX_CALLS; i++)
        if (d->svcs[i] && qrexec_service_step(d->svcs[i]) == 0) {
            qrexec_service_free(d->svcs[i]);
            d->svcs[i] = NULL;
        }
    if (d->ctl)
        (void)qrexec_link_flush(&d->link);
}

void qrexec_vm_close(struct qrexec_vm *d)
{
    if (!d)
        return;
    for (int i = 0; i < QREXEC_VM_MAX_CALLS; i++)
        qrexec_service_free(d->svcs[i]);
    for (int i = 0; i < QREXEC_VM_MAX_CALLS; i++)
        if (d->calls[i].phase != CALL_FREE)
            call_fail(d, &d->calls[i], QREXEC_EXIT_PROBLEM, "dom0's qrexec daemon stopped");
    ctl_drop(d);
    free(d);
}
