/* qrexec_service.c — dom0 running a service for a VM's call (qrexec_service.h). */
#include "backends-sim/qubes/qrexec_service.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frontends/qrexec_proto.h"
#include "frontends/vchan.h"

#define PENDING_MAX (2 * QREXEC_MAX_CHUNK)

struct qrexec_service {
    struct os *os;
    domid_t vm;
    char vm_name[64];
    char prog[PATH_MAX], arg[QREXEC_MAX_CMDLINE + 1];
    struct vchan *v;
    struct qrexec_link link;
    char tag[96];
    bool hello, running, done;
    uint32_t version;
    pid_t pid;
    int pidfd;
    int in, out, err; /* the program's stdin (ours to write), stdout, stderr */
    uint8_t *pending; /* stdin the program has not taken yet */
    size_t pending_len;
    bool stdin_eof;
};

static int nonblock_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0
               ? -1
               : 0;
}

/* DIR/NAME+ARG if it is there, else DIR/NAME with ARG as argv[1]. */
static void find_program(struct qrexec_service *s, const char *dir, const char *service)
{
    const char *plus = strchr(service, '+');
    size_t nlen = plus ? (size_t)(plus - service) : strlen(service);
    snprintf(s->arg, sizeof s->arg, "%s", plus ? plus + 1 : "");
    if (!dir) {
        s->prog[0] = 0;
        return;
    }
    snprintf(s->prog, sizeof s->prog, "%s/%s", dir, service);
    if (plus && access(s->prog, X_OK) == 0) {
        s->arg[0] = 0; /* the specific program takes no argument */
        return;
    }
    snprintf(s->prog, sizeof s->prog, "%s/%.*s", dir, (int)nlen, service);
    if (access(s->prog, X_OK) != 0)
        s->prog[0] = 0;
}

int qrexec_service_start(struct os *os, domid_t vm, const char *vm_name, unsigned port,
                         const char *dir, const char *service, struct qrexec_service **out)
{
    struct qrexec_service *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->os = os;
    s->vm = vm;
    s->pidfd = s->in = s->out = s->err = -1;
    snprintf(s->vm_name, sizeof s->vm_name, "%s", vm_name);
    snprintf(s->tag, sizeof s->tag, "splitbed-qrexec: d%u port %u (%.40s):", (unsigned)vm, port,
             service);
    find_program(s, dir, service);
    char base[96];
    vchan_qubes_path(base, sizeof base, vm, os_domid(os), port);
    int r = vchan_client_open(os, vm, base, &s->v);
    if (r == 0)
        r = qrexec_link_init(&s->link, os, s->v, s->tag, QREXEC_MAX_CHUNK);
    if (r < 0) {
        qrexec_service_free(s);
        return r;
    }
    *out = s;
    return 0;
}

int qrexec_service_poll_fds(const struct qrexec_service *s, struct pollfd *p, int max)
{
    int n = 0;
    bool room = qrexec_link_queued(&s->link) < PENDING_MAX;
    if (n < max && s->out >= 0 && room)
        p[n++] = (struct pollfd){ .fd = s->out, .events = POLLIN };
    if (n < max && s->err >= 0 && room)
        p[n++] = (struct pollfd){ .fd = s->err, .events = POLLIN };
    if (n < max && s->in >= 0 && s->pending_len)
        p[n++] = (struct pollfd){ .fd = s->in, .events = POLLOUT };
    if (n < max && s->pidfd >= 0 && s->out < 0 && s->err < 0)
        p[n++] = (struct pollfd){ .fd = s->pidfd, .events = POLLIN };
    return n;
}

static void send_exit(struct qrexec_service *s, int code)
{
    uint8_t e[4];
    qrexec_put32(e, (uint32_t)code);
    (void)qrexec_link_send(&s->link, QREXEC_MSG_DATA_STDOUT, NULL, 0, NULL, 0);
    (void)qrexec_link_send(&s->link, QREXEC_MSG_DATA_STDERR, NULL, 0, NULL, 0);
    (void)qrexec_link_send(&s->link, QREXEC_MSG_DATA_EXIT_CODE, e, 4, NULL, 0);
    s->done = true;
}

static void spawn(struct qrexec_service *s)
{
    if (!s->prog[0]) {
        char msg[160];
        int n = snprintf(msg, sizeof msg, "splitbed-qrexec: no such service in dom0\n");
        (void)qrexec_link_send(&s->link, QREXEC_MSG_DATA_STDERR, msg, (size_t)n, NULL, 0);
        send_exit(s, QREXEC_EXIT_NOT_FOUND);
        return;
    }
    int pin[2], pout[2], perr[2];
    if (pipe(pin) < 0 || pipe(pout) < 0 || pipe(perr) < 0) {
        send_exit(s, QREXEC_EXIT_PROBLEM);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pin[0], 0);
        dup2(pout[1], 1);
        dup2(perr[1], 2);
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        signal(SIGPIPE, SIG_DFL);
        setenv("QREXEC_REMOTE_DOMAIN", s->vm_name, 1);
        setenv("QREXEC_SERVICE_ARGUMENT", s->arg, 1);
        char *argv[] = { s->prog, s->arg[0] ? s->arg : NULL, NULL };
        execv(s->prog, argv);
        fprintf(stderr, "splitbed-qrexec: cannot run %s: %s\n", s->prog, strerror(errno));
        _exit(QREXEC_EXIT_NOT_FOUND);
    }
    close(pin[0]);
    close(pout[1]);
    close(perr[1]);
    s->in = pin[1], s->out = pout[0], s->err = perr[0];
    if (pid < 0 || nonblock_cloexec(s->in) || nonblock_cloexec(s->out) ||
        nonblock_cloexec(s->err)) {
        send_exit(s, QREXEC_EXIT_PROBLEM);
        return;
    }
    s->pid = pid;
    s->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    s->running = true;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* The program's output while the VM keeps up. */
static void relay_output(struct qrexec_service *s)
{
    static uint8_t buf[QREXEC_MAX_CHUNK];
    uint32_t chunk = s->version >= 3 ? QREXEC_MAX_CHUNK : 4096u;
    int *fds[2] = { &s->out, &s->err };
    const uint32_t types[2] = { QREXEC_MSG_DATA_STDOUT, QREXEC_MSG_DATA_STDERR };
    for (int k = 0; k < 2; k++) {
        while (*fds[k] >= 0 && qrexec_link_queued(&s->link) < PENDING_MAX) {
            ssize_t n = read(*fds[k], buf, chunk);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN)
                break;
            if (n <= 0) {
                close_fd(fds[k]);
                (void)qrexec_link_send(&s->link, types[k], NULL, 0, NULL, 0);
                break;
            }
            if (qrexec_link_send(&s->link, types[k], buf, (size_t)n, NULL, 0) < 0)
                break;
        }
    }
}

/* Stdin the program has not taken yet. */
static void relay_input(struct qrexec_service *s)
{
    while (s->in >= 0 && s->pending_len) {
        ssize_t w = write(s->in, s->pending, s->pending_len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            return;
        if (w <= 0) {
            /* the program stopped reading: the rest is dropped */
            s->pending_len = 0;
            close_fd(&s->in);
            return;
        }
        memmove(s->pending, s->pending + w, s->pending_len - (size_t)w);
        s->pending_len -= (size_t)w;
    }
    if (s->stdin_eof && !s->pending_len)
        close_fd(&s->in);
}

int qrexec_service_step(struct qrexec_service *s)
{
    int st = vchan_poll(s->v);
    if (st < 0)
        return 0;
    if (qrexec_link_flush(&s->link) < 0)
        return 0;
    if (s->done) {
        /* over once the VM has everything, or has gone */
        return vchan_state(s->v) == VCHAN_CONNECTED &&
               (qrexec_link_queued(&s->link) || vchan_buffer_space(s->v) != vchan_write_size(s->v));
    }
    if (vchan_state(s->v) == VCHAN_CLOSED && s->hello && !s->running)
        return 0;
    relay_input(s);
    while (!s->done && (!s->running || s->pending_len < PENDING_MAX)) {
        uint32_t type, len;
        const uint8_t *d;
        int r = qrexec_link_next(&s->link, &type, &d, &len);
        if (r == 0)
            break;
        if (r < 0) {
            os_log(s->os, OS_LOG_WARN, "%s the VM closed the call early", s->tag);
            return 0;
        }
        if (!s->hello) {
            if (type != QREXEC_MSG_HELLO || len != 4 || qrexec_get32(d) < QREXEC_MIN_VERSION) {
                os_log(s->os, OS_LOG_WARN,
                       "%s the VM began with %s, not a HELLO we speak; cutting it off", s->tag,
                       qrexec_type_name(type));
                return 0;
            }
            uint32_t v = qrexec_get32(d);
            s->version = v < QREXEC_VERSION ? v : QREXEC_VERSION;
            uint8_t h[4];
            qrexec_put32(h, QREXEC_VERSION);
            (void)qrexec_link_send(&s->link, QREXEC_MSG_HELLO, h, 4, NULL, 0);
            s->hello = true;
            spawn(s);
            continue;
        }
        if (type != QREXEC_MSG_DATA_STDIN) {
            os_log(s->os, OS_LOG_WARN, "%s the VM sent %s; ignored", s->tag,
                   qrexec_type_name(type));
            continue;
        }
        if (len == 0) {
            s->stdin_eof = true;
        } else if (s->in >= 0) {
            uint8_t *p = realloc(s->pending, s->pending_len + len);
            if (!p)
                return 0;
            s->pending = p;
            memcpy(p + s->pending_len, d, len);
            s->pending_len += len;
        }
        relay_input(s);
    }
    if (s->running) {
        relay_output(s);
        if (s->out < 0 && s->err < 0) {
            int status;
            pid_t w = waitpid(s->pid, &status, s->pidfd >= 0 ? WNOHANG : 0);
            if (w == s->pid) {
                s->running = false;
                s->pid = 0;
                close_fd(&s->in);
                send_exit(s, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
            }
        }
    }
    (void)qrexec_link_flush(&s->link);
    return 1;
}

void qrexec_service_free(struct qrexec_service *s)
{
    if (!s)
        return;
    close_fd(&s->in);
    close_fd(&s->out);
    close_fd(&s->err);
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
    }
    close_fd(&s->pidfd);
    free(s->pending);
    if (s->v)
        qrexec_link_free(&s->link);
    vchan_close(s->v);
    free(s);
}
