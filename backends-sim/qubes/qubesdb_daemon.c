/*
 * splitbed-qubesdb — dom0's QubesDB for one VM.
 *
 *   splitbed-qubesdb --domain N --socket PATH [--name NAME] [--entry /KEY=VALUE]...
 *                    [--ready-fd FD] [--quiet]
 *
 * Serves domain N on vchan port 111 (4096-byte rings, as Qubes' daemon)
 * with the keys Qubes' dom0 writes for an AppVM with a network VM, then
 * the --entry ones (which may override them).  The VM asks for
 * everything once (MULTIREAD ""): it gets every entry in descending
 * order and the terminator; from then on every change made in dom0 is
 * sent to it as CMD_WRITE / CMD_RM, and its own writes and removals are
 * applied and answered.  When the VM closes the channel the daemon
 * serves it again; a VM that breaks the protocol gets one line and a
 * fresh channel, and the daemon keeps serving.
 *
 * dom0's side is a Unix socket speaking QubesDB's local protocol (the
 * same headers: CMD_READ, CMD_WRITE, CMD_RM, CMD_LIST, CMD_MULTIREAD),
 * which `splitbed qubesdb DOM read|write|rm|list PATH [VALUE]` uses.
 *
 * Runs as a process of dom0 on the simulator or on a real Xen: it uses
 * the portable vchan through the frontends' Linux home.  What faces the
 * VM (the channel, its messages) is qubesdb_vm.h; this file holds the
 * options, dom0's socket and the poll loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "backends-sim/qubes/dom0_daemon.h"
#include "frontends/os/linux/os_linux.h"
#include "backends-sim/qubes/qubesdb_vm.h"
#include "frontends/qubesdb_proto.h"
#include "frontends/qubesdb_store.h"

#define MAX_CLIENTS 16
#define PROG "splitbed-qubesdb"

struct client {
    int fd;
    uint8_t buf[QDB_HDR_SIZE + QDB_VALUE_LIMIT];
    size_t len;
};

struct daemon {
    struct os *os;
    domid_t dom;
    struct qdb_store *store;
    struct qdb_vm *vm; /* the VM's side: qubesdb_vm.h */
    int listen_fd;
    struct client clients[MAX_CLIENTS];
    bool vm_due; /* something for the VM's channel to do besides its events */
};

/* What Qubes' dom0 writes for an AppVM with a network VM (QUBES-FACTS
 * §3.6); --entry may replace any of them. */
static int seed_defaults(struct daemon *d, const char *name)
{
    char ip[32];
    snprintf(ip, sizeof ip, "10.137.0.%u", (unsigned)(d->dom % 250) + 2);
    const char *const kv[][2] = {
        { "/name", name },
        { "/type", "AppVM" },
        { "/qubes-vm-type", "AppVM" },
        { "/default-user", "user" },
        { "/qubes-vm-updateable", "False" },
        { "/qubes-vm-persistence", "rw-only" },
        { "/qubes-debug-mode", "0" },
        { "/qubes-base-template", "debian-12" },
        { "/qubes-timezone", "UTC" },
        { "/qubes-block-devices", "" },
        { "/qubes-usb-devices", "" },
        { "/qubes-mac", "00:16:3e:5e:6c:00" },
        { "/qubes-ip", ip },
        { "/qubes-netmask", "255.255.255.255" },
        { "/qubes-gateway", "10.138.0.1" },
        { "/qubes-primary-dns", "10.139.1.1" },
        { "/qubes-secondary-dns", "10.139.1.2" },
        { "/qubes-service/meminfo-writer", "1" },
        { "/qubes-gui-enabled", "False" },
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (qdb_store_write(d->store, kv[i][0], kv[i][1], strlen(kv[i][1])) < 0)
            return -1;
    return 0;
}

static int add_entry(struct daemon *d, const char *arg)
{
    const char *eq = strchr(arg, '=');
    char path[QDB_PATH_SIZE];
    size_t n = eq ? (size_t)(eq - arg) : 0;
    if (!eq || n >= sizeof path) {
        fprintf(stderr, PROG ": --entry %s: expected /KEY=VALUE\n", arg);
        return -1;
    }
    memcpy(path, arg, n);
    path[n] = 0;
    if (!qdb_path_ok(path, true)) {
        fprintf(stderr,
                PROG ": --entry %s: '%s' is not a QubesDB key (starts with '/', under 64 "
                     "characters of A-Z a-z 0-9 - _ / . : @)\n",
                arg, path);
        return -1;
    }
    if (!qdb_value_ok(eq + 1, strlen(eq + 1))) {
        fprintf(stderr, PROG ": --entry %s: the value is 3072 bytes or longer\n", arg);
        return -1;
    }
    return qdb_store_write(d->store, path, eq + 1, strlen(eq + 1)) < 0 ? -1 : 0;
}

/* dom0 changed something: the VM follows, once it has the database. */
static void mirror(struct daemon *d, uint8_t type, const char *path, const char *v, size_t len)
{
    if (qdb_vm_changed(d->vm, type, path, v, len))
        d->vm_due = true;
}

/* ---- dom0's local socket ------------------------------------------------ */

/* Header and value in one call: one wake-up for the client, not two. */
static int reply(struct client *c, uint8_t type, const char *path, const char *v, size_t len)
{
    uint8_t h[QDB_HDR_SIZE];
    qdb_hdr_encode(h, type, path, (uint32_t)len);
    struct iovec iov[2] = { { h, sizeof h }, { (void *)v, len } };
    struct msghdr m = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
    return sendmsg(c->fd, &m, MSG_NOSIGNAL) == (ssize_t)(sizeof h + len) ? 0 : -1;
}

static int local_request(struct daemon *d, struct client *c, const struct qdb_hdr *h,
                         const char *value)
{
    size_t len;
    switch (h->type) {
    case QDB_CMD_READ: {
        const char *v = qdb_store_read(d->store, h->path, &len);
        return v ? reply(c, QDB_RESP_READ, h->path, v, len)
                 : reply(c, QDB_RESP_ERROR_NOENT, h->path, NULL, 0);
    }
    case QDB_CMD_WRITE:
        if (!qdb_value_ok(value, h->data_len) ||
            qdb_store_write(d->store, h->path, value, h->data_len) < 0)
            return reply(c, QDB_RESP_ERROR, h->path, NULL, 0);
        mirror(d, QDB_CMD_WRITE, h->path, value, h->data_len);
        return reply(c, QDB_RESP_OK, h->path, NULL, 0);
    case QDB_CMD_RM:
        if (!h->path[0] || !qdb_store_rm(d->store, h->path))
            return reply(c, QDB_RESP_ERROR_NOENT, h->path, NULL, 0);
        mirror(d, QDB_CMD_RM, h->path, NULL, 0);
        return reply(c, QDB_RESP_OK, h->path, NULL, 0);
    case QDB_CMD_LIST:
    case QDB_CMD_MULTIREAD: {
        bool values = h->type == QDB_CMD_MULTIREAD;
        uint8_t t = values ? QDB_RESP_MULTIREAD : QDB_RESP_LIST;
        for (size_t i = qdb_store_lower_bound(d->store, h->path); i < qdb_store_count(d->store);
             i++) {
            const char *p = qdb_store_path(d->store, i);
            if (!qdb_has_prefix(p, h->path))
                break;
            const char *v = qdb_store_value(d->store, i, &len);
            if (reply(c, t, p, v, values ? len : 0) < 0)
                return -1;
        }
        return reply(c, t, "", NULL, 0);
    }
    default: return reply(c, QDB_RESP_ERROR, h->path, NULL, 0);
    }
}

static void drop_client(struct client *c)
{
    close(c->fd);
    c->fd = -1;
    c->len = 0;
}

static void client_step(struct daemon *d, struct client *c)
{
    ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        drop_client(c);
        return;
    }
    if (n > 0)
        c->len += (size_t)n;
    while (c->len >= QDB_HDR_SIZE) {
        struct qdb_hdr h;
        const char *why = qdb_hdr_decode(c->buf, false, &h);
        if (why) {
            fprintf(stderr, PROG ": a local client sent a message that %s; closing it\n", why);
            drop_client(c);
            return;
        }
        size_t total = QDB_HDR_SIZE + h.data_len;
        if (c->len < total)
            return;
        char value[QDB_VALUE_LIMIT + 1];
        memcpy(value, c->buf + QDB_HDR_SIZE, h.data_len);
        value[h.data_len] = 0;
        memmove(c->buf, c->buf + total, c->len - total);
        c->len -= total;
        if (local_request(d, c, &h, value) < 0) {
            drop_client(c);
            return;
        }
    }
}

/* --name NAME; --entry is taken after the defaults, in main(). */
static int own_option(void *ctx, const char *opt, const char *val)
{
    const char **name = ctx;
    if (val && !strcmp(opt, "--name"))
        *name = val;
    return val && (!strcmp(opt, "--name") || !strcmp(opt, "--entry"));
}

int main(int argc, char **argv)
{
    struct daemon d = { .listen_fd = -1 };
    const char *name = NULL;
    struct dom0_daemon_args args = {
        .prog = PROG,
        .usage = "--domain N --socket PATH [--name NAME] [--entry /KEY=VALUE]...",
        .need_socket = true,
        .extra = own_option,
        .ctx = &name,
    };
    if (dom0_daemon_parse(&args, argc, argv))
        return 2;
    const char *sock = args.socket;
    int ready_fd = args.ready_fd;
    struct os_linux_opts oo = { .quiet = args.quiet };
    d.dom = args.dom;
    char defname[32];
    snprintf(defname, sizeof defname, "vm%u", (unsigned)d.dom);
    d.store = qdb_store_new(NULL);
    if (!d.store || seed_defaults(&d, name ? name : defname) < 0)
        return 1;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--entry") && i + 1 < argc && add_entry(&d, argv[++i]) < 0)
            return 2;

    d.os = os_linux_open(&oo);
    if (!d.os)
        return 1;
    d.listen_fd = dom0_daemon_listen(PROG, sock);
    if (d.listen_fd < 0 || qdb_vm_open(d.os, d.dom, d.store, &d.vm) < 0)
        return 1;
    for (int i = 0; i < MAX_CLIENTS; i++)
        d.clients[i].fd = -1;
    dom0_daemon_catch_stop();
    dom0_daemon_ready(ready_fd);
    os_log(d.os, OS_LOG_INFO, PROG ": d%u: QubesDB at %s, %zu entries, dom0 socket %s",
           (unsigned)d.dom, qdb_vm_base(d.vm), qdb_store_count(d.store), sock);

    while (!dom0_daemon_stop) {
        struct pollfd p[4 + MAX_CLIENTS];
        int n = os_linux_poll_fds(d.os, p, 4);
        int first_client = n + 1;
        p[n++] = (struct pollfd){ .fd = d.listen_fd, .events = POLLIN };
        for (int i = 0; i < MAX_CLIENTS; i++)
            p[n++] = (struct pollfd){ .fd = d.clients[i].fd, .events = POLLIN };
        int r = poll(p, (nfds_t)n, -1);
        if (r < 0 && errno != EINTR)
            break;
        if (p[first_client - 1].revents & POLLIN) {
            int c = accept4(d.listen_fd, NULL, NULL, SOCK_CLOEXEC);
            int slot = -1;
            for (int i = 0; i < MAX_CLIENTS && c >= 0 && slot < 0; i++)
                if (d.clients[i].fd < 0)
                    slot = i;
            if (slot >= 0)
                d.clients[slot].fd = c;
            else if (c >= 0)
                close(c);
        }
        for (int i = 0; i < MAX_CLIENTS; i++)
            if (d.clients[i].fd >= 0 && p[first_client + i].revents)
                client_step(&d, &d.clients[i]);
        /* The VM's channel moves on its event channel and xenstore, or
         * when dom0 gave it something to send; a local read alone leaves
         * it be. */
        bool vm_events = r < 0 || d.vm_due || !qdb_vm_serving(d.vm);
        for (int i = 0; i < first_client - 1; i++)
            vm_events |= p[i].revents != 0;
        if (!vm_events)
            continue;
        d.vm_due = false;
        /* the xenstore watch queue is nobody's here: keep it empty */
        char wp[256], wt[64];
        while (os_xs_next_watch(d.os, wp, sizeof wp, wt, sizeof wt) > 0)
            ;
        qdb_vm_step(d.vm);
    }
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (d.clients[i].fd >= 0)
            close(d.clients[i].fd);
    qdb_vm_close(d.vm);
    close(d.listen_fd);
    unlink(sock);
    qdb_store_free(d.store);
    os_linux_close(d.os);
    return 0;
}
