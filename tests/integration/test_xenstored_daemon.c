#include "tests/integration/test_xenstored_daemon.h"
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* The daemon of the running test, for the exit handler: a failed
 * assertion ends the test process without its teardown. */
static struct xsd *running;
/* Every state dir lives in the scratch tree (tests/lib/scratch.h) of
 * the suite's own process, removed with whatever runs from it however
 * the run ends. */
void xsd_suite_begin(void)
{
    scratch_prefix = "splitbed-xsd";
    scratch_setup();
}

void xsd_suite_end(void)
{
    scratch_teardown();
}

static void cleanup_at_exit(void)
{
    if (running)
        xsd_kill(running);
}

void xsd_start(struct xsd *d)
{
    static bool registered;

    int p[2];
    char fdarg[16], line[32];
    struct pollfd pf;
    ssize_t n;

    memset(d, 0, sizeof(*d));
    scratch_dir(d->dir, sizeof(d->dir));
    snprintf(d->xsdir, sizeof(d->xsdir), "%s/xs", d->dir);
    snprintf(d->sock, sizeof(d->sock), "%s/socket", d->xsdir);
    snprintf(d->env0, sizeof(d->env0), "XENSTORED_PATH=%s", d->sock);
    ck_assert_int_eq(pipe(p), 0);
    d->pid = fork();
    ck_assert_int_ge(d->pid, 0);
    if (d->pid == 0) {
        const char *bin = build_path("bin/splitbed-xenstored");
        /* dies with the test process, however that ends */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        close(p[0]);
        snprintf(fdarg, sizeof(fdarg), "%d", p[1]);
        char trace[300];
        snprintf(trace, sizeof(trace), "%s/trace", d->dir);
        execl(bin, bin, "--dir", d->xsdir, "--ready-fd", fdarg, "--trace", trace, (char *)NULL);
        fprintf(stderr, "cannot run %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    close(p[1]);
    running = d;
    if (!registered) {
        atexit(cleanup_at_exit);
        registered = true;
    }
    pf = (struct pollfd){ p[0], POLLIN, 0 };
    ck_assert_int_eq(poll(&pf, 1, 10000), 1); /* hang guard */
    n = read(p[0], line, sizeof(line) - 1);
    close(p[0]);
    ck_assert_msg(n > 0, "splitbed-xenstored did not get ready");
}

void xsd_kill(struct xsd *d)
{
    char cmd[400];

    if (d->pid > 0) {
        kill(d->pid, SIGKILL);
        waitpid(d->pid, NULL, 0);
        d->pid = 0;
    }
    if (d->dir[0]) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->dir);
        if (system(cmd)) {
        }
        d->dir[0] = '\0';
    }
}

void xsd_stop(struct xsd *d)
{
    int st;
    struct stat sb;

    if (d->pid <= 0)
        return;
    ck_assert_int_eq(kill(d->pid, SIGTERM), 0);
    ck_assert_int_eq(waitpid(d->pid, &st, 0), d->pid);
    d->pid = 0;
    ck_assert(WIFEXITED(st));
    ck_assert_int_eq(WEXITSTATUS(st), 0);
    ck_assert_int_ne(stat(d->sock, &sb), 0);
    /* every domain's socket went too */
    {
        DIR *dir = opendir(d->xsdir);
        struct dirent *e;
        ck_assert_ptr_nonnull(dir);
        while ((e = readdir(dir)))
            ck_assert_msg(e->d_name[0] == '.', "%s left behind", e->d_name);
        closedir(dir);
    }
    xsd_kill(d);
}

void xsd_dom_sock(const struct xsd *d, unsigned domid, char *out, size_t size)
{
    snprintf(out, size, "%s/dom%u", d->xsdir, domid);
}

void xsd_dom_env(const struct xsd *d, unsigned domid, char *out, size_t size)
{
    snprintf(out, size, "XENSTORED_PATH=%s/dom%u", d->xsdir, domid);
}

int xsd_connect(const char *sock)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
        close(fd);
        return -1;
    }
    return fd;
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int xsd_send(int fd, uint32_t type, uint32_t req, uint32_t tx, const void *body, size_t len)
{
    struct xsd_sockmsg h = { type, req, tx, (uint32_t)len };

    if (write_all(fd, &h, sizeof(h)))
        return -1;
    return len ? write_all(fd, body, len) : 0;
}

static int read_all(int fd, void *buf, size_t len)
{
    char *p = buf;

    while (len) {
        struct pollfd pf = { fd, POLLIN, 0 };
        ssize_t n;
        if (poll(&pf, 1, 10000) != 1) /* hang guard */
            return -1;
        n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int xsd_recv(int fd, struct xsd_sockmsg *hdr, char *body, size_t size)
{
    if (read_all(fd, hdr, sizeof(*hdr)) || hdr->len + 1 > size || read_all(fd, body, hdr->len))
        return -1;
    body[hdr->len] = '\0';
    return 0;
}

int xsd_call(int fd, uint32_t type, char *out, ...)
{
    char body[XENSTORE_PAYLOAD_MAX * 2], scratch[XENSTORE_PAYLOAD_MAX + 1];
    size_t len = 0;
    struct xsd_sockmsg h;
    const char *s;
    va_list ap;

    va_start(ap, out);
    while ((s = va_arg(ap, const char *))) {
        size_t l = strlen(s) + 1;
        if (len + l > sizeof(body))
            break;
        memcpy(body + len, s, l);
        len += l;
    }
    va_end(ap);
    if (xsd_send(fd, type, 77, 0, body, len))
        return -1;
    /* skip watch events that arrive in between */
    do {
        if (xsd_recv(fd, &h, out ? out : scratch, sizeof(scratch)))
            return -1;
    } while (h.type == XS_WATCH_EVENT);
    return (int)h.type;
}

static void ok(int fd, uint32_t type, ...)
{
    char out[XENSTORE_PAYLOAD_MAX + 1], body[512];
    size_t len = 0;
    const char *s;
    va_list ap;
    struct xsd_sockmsg h;

    va_start(ap, type);
    while ((s = va_arg(ap, const char *))) {
        size_t l = strlen(s) + 1;
        memcpy(body + len, s, l);
        len += l;
    }
    va_end(ap);
    ck_assert_int_eq(xsd_send(fd, type, 1, 0, body, len), 0);
    do
        ck_assert_int_eq(xsd_recv(fd, &h, out, sizeof(out)), 0);
    while (h.type == XS_WATCH_EVENT);
    ck_assert_msg(h.type == type, "message %u failed: %s", type, out);
}

void xsd_make_domain(int fd, unsigned domid)
{
    char p[128], r[16], n[16], num[16];

    snprintf(r, sizeof(r), "r%u", domid);
    snprintf(n, sizeof(n), "n%u", domid);
    snprintf(num, sizeof(num), "%u", domid);
    snprintf(p, sizeof(p), "/local/domain/%u", domid);
    ok(fd, XS_MKDIR, p, NULL);
    ok(fd, XS_SET_PERMS, p, "n0", r, NULL);
    snprintf(p, sizeof(p), "/local/domain/%u/device", domid);
    ok(fd, XS_MKDIR, p, NULL);
    snprintf(p, sizeof(p), "/local/domain/%u/control", domid);
    ok(fd, XS_MKDIR, p, NULL);
    snprintf(p, sizeof(p), "/local/domain/%u/control/shutdown", domid);
    ok(fd, XS_MKDIR, p, NULL);
    ok(fd, XS_SET_PERMS, p, n, NULL);
    snprintf(p, sizeof(p), "/local/domain/%u/data", domid);
    ok(fd, XS_MKDIR, p, NULL);
    ok(fd, XS_SET_PERMS, p, n, NULL);
    snprintf(p, sizeof(p), "/local/domain/%u/domid", domid);
    {
        char body[160];
        size_t l = strlen(p) + 1;
        struct xsd_sockmsg h;
        char out[XENSTORE_PAYLOAD_MAX + 1];
        memcpy(body, p, l);
        memcpy(body + l, num, strlen(num));
        ck_assert_int_eq(xsd_send(fd, XS_WRITE, 1, 0, body, l + strlen(num)), 0);
        do
            ck_assert_int_eq(xsd_recv(fd, &h, out, sizeof(out)), 0);
        while (h.type == XS_WATCH_EVENT);
        ck_assert_uint_eq(h.type, XS_WRITE);
    }
    ok(fd, XS_INTRODUCE, num, "4096", "7", NULL);
}
