/*
 * dm_qmp.c — QMP answers for libxl (see dm_qmp.h).
 */
#include "backends-sim/xendm/dm_qmp.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_LISTEN 4
#define MAX_CLIENTS 16
#define BUF_MAX 4096

/* The QEMU release Debian 12 ships with Xen 4.17: libxl compares this
 * version before using newer commands. */
#define QEMU_VERSION \
    "{\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\": \"splitbed-xen-dm\"}"

struct client {
    int fd;
    char buf[BUF_MAX];
    size_t len;
};

struct dm_qmp {
    void (*log)(const char *line);
    int listen[MAX_LISTEN];
    char *path[MAX_LISTEN];
    unsigned nlisten;
    struct client cl[MAX_CLIENTS];
    unsigned ncl;
    bool running, quit;
};

__attribute__((format(printf, 2, 3))) static void say(struct dm_qmp *q, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    q->log(line);
}

struct dm_qmp *dm_qmp_new(void (*log)(const char *line))
{
    struct dm_qmp *q = calloc(1, sizeof(*q));
    if (q)
        q->log = log;
    return q;
}

int dm_qmp_listen_path(struct dm_qmp *q, const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (q->nlisten == MAX_LISTEN)
        return -EMFILE;
    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    unlink(path); /* QEMU replaces a stale socket file the same way */
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    q->path[q->nlisten] = strdup(path);
    q->listen[q->nlisten++] = fd;
    return 0;
}

int dm_qmp_listen_fd(struct dm_qmp *q, int fd)
{
    if (q->nlisten == MAX_LISTEN)
        return -EMFILE;
    int type = 0;
    socklen_t tl = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0)
        return -errno;
    if (listen(fd, 8) < 0)
        return -errno;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    q->path[q->nlisten] = NULL;
    q->listen[q->nlisten++] = fd;
    return 0;
}

void dm_qmp_set_running(struct dm_qmp *q, bool running)
{
    q->running = running;
}

bool dm_qmp_running(const struct dm_qmp *q)
{
    return q->running;
}

bool dm_qmp_quit(const struct dm_qmp *q)
{
    return q->quit;
}

unsigned dm_qmp_pollfds(struct dm_qmp *q, struct pollfd *p, unsigned max)
{
    unsigned n = 0;
    for (unsigned i = 0; i < q->nlisten && n < max; i++)
        p[n++] = (struct pollfd){ .fd = q->listen[i], .events = POLLIN };
    for (unsigned i = 0; i < q->ncl && n < max; i++)
        p[n++] = (struct pollfd){ .fd = q->cl[i].fd, .events = POLLIN };
    return n;
}

static void send_all(int fd, const char *s)
{
    size_t len = strlen(s);
    while (len) {
        ssize_t w = send(fd, s, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* the client went; its poll says so next */
        s += w;
        len -= (size_t)w;
    }
}

static void drop(struct dm_qmp *q, unsigned i)
{
    close(q->cl[i].fd);
    q->cl[i] = q->cl[--q->ncl];
}

static void accept_one(struct dm_qmp *q, int lfd)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    if (q->ncl == MAX_CLIENTS) {
        say(q, "splitbed-xen-dm: QMP: more than %d clients at once; refusing one", MAX_CLIENTS);
        close(fd);
        return;
    }
    q->cl[q->ncl].fd = fd;
    q->cl[q->ncl].len = 0;
    q->ncl++;
    send_all(fd, "{\"QMP\": {\"version\": " QEMU_VERSION ", \"capabilities\": []}}\r\n");
}

/* A walk over JSON text that knows which characters stand in a string. */
struct scan {
    int depth;     /* { and [ open */
    bool str, esc; /* in a string; after its backslash */
};

/* Steps over c: returns it when it stands outside a string (a string's
 * opening quote included), 0 inside one (its closing quote included). */
static char scan_step(struct scan *s, char c)
{
    if (s->str) {
        if (s->esc)
            s->esc = false;
        else if (c == '\\')
            s->esc = true;
        else if (c == '"')
            s->str = false;
        return 0;
    }
    if (c == '"')
        s->str = true;
    else if (c == '{' || c == '[')
        s->depth++;
    else if (c == '}' || c == ']')
        s->depth--;
    return c;
}

/* The end of the JSON object starting at s[0] == '{', or 0 when it is not
 * complete in len bytes. */
static size_t object_end(const char *s, size_t len)
{
    struct scan sc = { 0 };
    for (size_t i = 0; i < len; i++) {
        char c = scan_step(&sc, s[i]);
        if ((c == '}' || c == ']') && sc.depth == 0)
            return i + 1;
    }
    return 0;
}

static size_t skip_blanks(const char *s, size_t len, size_t i)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i;
}

/* The raw JSON value starting at obj[start], up to the comma or bracket
 * that ends it, trailing blanks cut, copied to out; false when empty or
 * too long. */
static bool copy_value(const char *obj, size_t len, size_t start, char *out, size_t outlen)
{
    struct scan sc = { 0 };
    size_t j = start;
    for (; j < len; j++) {
        char c = scan_step(&sc, obj[j]);
        if (sc.depth < 0 || (c == ',' && sc.depth == 0))
            break;
    }
    size_t n = j - start;
    while (n && (obj[start + n - 1] == ' ' || obj[start + n - 1] == '\t'))
        n--;
    if (n == 0 || n >= outlen)
        return false;
    memcpy(out, obj + start, n);
    out[n] = '\0';
    return true;
}

/* The raw JSON value of top-level "key" in obj (a string's quotes kept),
 * copied to out; false when absent or too long. */
static bool member(const char *obj, size_t len, const char *key, char *out, size_t outlen)
{
    size_t kl = strlen(key);
    struct scan sc = { 0 };
    for (size_t i = 0; i < len; i++) {
        /* A string opening at the top level: the key, if a colon follows. */
        if (scan_step(&sc, obj[i]) != '"' || sc.depth != 1)
            continue;
        if (i + kl + 1 < len && !strncmp(obj + i + 1, key, kl) && obj[i + kl + 1] == '"') {
            size_t j = skip_blanks(obj, len, i + kl + 2);
            if (j < len && obj[j] == ':')
                return copy_value(obj, len, skip_blanks(obj, len, j + 1), out, outlen);
        }
    }
    return false;
}

static void answer(struct dm_qmp *q, int fd, const char *obj, size_t len)
{
    char cmd[64], id[64], reply[512];
    const char *ret = NULL;
    bool have_id = member(obj, len, "id", id, sizeof(id));
    if (!member(obj, len, "execute", cmd, sizeof(cmd)) || cmd[0] != '"') {
        snprintf(reply, sizeof(reply),
                 "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input lacks member "
                 "'execute'\"}%s%s}\r\n",
                 have_id ? ", \"id\": " : "", have_id ? id : "");
        send_all(fd, reply);
        return;
    }
    if (!strcmp(cmd, "\"qmp_capabilities\"") || !strcmp(cmd, "\"stop\"")) {
        ret = "{}";
    } else if (!strcmp(cmd, "\"cont\"")) {
        q->running = true;
        ret = "{}";
    } else if (!strcmp(cmd, "\"query-status\"")) {
        ret = q->running ? "{\"status\": \"running\", \"singlestep\": false, \"running\": true}"
                         : "{\"status\": \"prelaunch\", \"singlestep\": false, \"running\": false}";
    } else if (!strcmp(cmd, "\"query-chardev\"")) {
        ret = "[]";
    } else if (!strcmp(cmd, "\"query-vnc\"")) {
        ret = "{\"enabled\": false}";
    } else if (!strcmp(cmd, "\"query-version\"")) {
        ret = QEMU_VERSION;
    } else if (!strcmp(cmd, "\"quit\"")) {
        q->quit = true;
        ret = "{}";
    }
    if (ret) {
        snprintf(reply, sizeof(reply), "{\"return\": %s%s%s}\r\n", ret, have_id ? ", \"id\": " : "",
                 have_id ? id : "");
    } else {
        say(q, "splitbed-xen-dm: QMP: command %s is not served (no emulation here)", cmd);
        snprintf(reply, sizeof(reply),
                 "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command %.*s has "
                 "not been found\"}%s%s}\r\n",
                 (int)strlen(cmd) - 2, cmd + 1, have_id ? ", \"id\": " : "", have_id ? id : "");
    }
    send_all(fd, reply);
}

/* Reads what client i sent and answers every complete command; false when
 * the client was dropped. */
static bool serve(struct dm_qmp *q, unsigned i)
{
    struct client *c = &q->cl[i];
    ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return true;
    if (r <= 0) {
        drop(q, i);
        return false;
    }
    c->len += (size_t)r;
    for (;;) {
        size_t skip = 0;
        while (skip < c->len && strchr(" \t\r\n", c->buf[skip]))
            skip++;
        memmove(c->buf, c->buf + skip, c->len - skip);
        c->len -= skip;
        if (!c->len)
            return true;
        if (c->buf[0] != '{') {
            say(q, "splitbed-xen-dm: QMP: a client sent something that is not a JSON object; "
                   "disconnecting it");
            drop(q, i);
            return false;
        }
        size_t end = object_end(c->buf, c->len);
        if (!end) {
            if (c->len == sizeof(c->buf)) {
                say(q,
                    "splitbed-xen-dm: QMP: a client sent %d bytes without a complete "
                    "command; disconnecting it",
                    BUF_MAX);
                drop(q, i);
                return false;
            }
            return true;
        }
        answer(q, c->fd, c->buf, end);
        memmove(c->buf, c->buf + end, c->len - end);
        c->len -= end;
    }
}

void dm_qmp_handle(struct dm_qmp *q, const struct pollfd *p, unsigned n)
{
    unsigned nl = q->nlisten < n ? q->nlisten : n;
    for (unsigned i = 0; i < nl; i++)
        if (p[i].revents & POLLIN)
            accept_one(q, p[i].fd);
    /* Clients by fd: dropping one reorders the array. */
    for (unsigned k = nl; k < n; k++) {
        if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        for (unsigned i = 0; i < q->ncl; i++)
            if (q->cl[i].fd == p[k].fd) {
                serve(q, i);
                break;
            }
    }
}

void dm_qmp_free(struct dm_qmp *q)
{
    if (!q)
        return;
    while (q->ncl)
        drop(q, 0);
    for (unsigned i = 0; i < q->nlisten; i++) {
        close(q->listen[i]);
        if (q->path[i])
            unlink(q->path[i]);
        free(q->path[i]);
    }
    free(q);
}
