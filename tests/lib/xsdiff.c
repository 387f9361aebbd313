#include "tests/lib/xsdiff.h"

#include <poll.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *const type_names[] = {
    [XS_CONTROL] = "CONTROL",
    [XS_DIRECTORY] = "DIRECTORY",
    [XS_READ] = "READ",
    [XS_GET_PERMS] = "GET_PERMS",
    [XS_WATCH] = "WATCH",
    [XS_UNWATCH] = "UNWATCH",
    [XS_TRANSACTION_START] = "TRANSACTION_START",
    [XS_TRANSACTION_END] = "TRANSACTION_END",
    [XS_INTRODUCE] = "INTRODUCE",
    [XS_RELEASE] = "RELEASE",
    [XS_GET_DOMAIN_PATH] = "GET_DOMAIN_PATH",
    [XS_WRITE] = "WRITE",
    [XS_MKDIR] = "MKDIR",
    [XS_RM] = "RM",
    [XS_SET_PERMS] = "SET_PERMS",
    [XS_WATCH_EVENT] = "WATCH_EVENT",
    [XS_ERROR] = "ERROR",
    [XS_IS_DOMAIN_INTRODUCED] = "IS_DOMAIN_INTRODUCED",
    [XS_RESUME] = "RESUME",
    [XS_SET_TARGET] = "SET_TARGET",
    [XS_RESET_WATCHES] = "RESET_WATCHES",
    [XS_DIRECTORY_PART] = "DIRECTORY_PART",
};

static void put(struct xsdiff_log *log, const char *s, size_t n)
{
    if (log->len + n + 1 > log->cap) {
        size_t cap = log->cap ? log->cap : 4096;
        while (cap < log->len + n + 1)
            cap *= 2;
        char *t = realloc(log->text, cap);
        if (!t)
            abort();
        log->text = t;
        log->cap = cap;
    }
    memcpy(log->text + log->len, s, n);
    log->len += n;
    log->text[log->len] = '\0';
}

static void putf(struct xsdiff_log *log, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void putf(struct xsdiff_log *log, const char *fmt, ...)
{
    char buf[128];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    put(log, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static void put_type(struct xsdiff_log *log, uint32_t type)
{
    if (type < sizeof(type_names) / sizeof(type_names[0]) && type_names[type])
        putf(log, "%s", type_names[type]);
    else
        putf(log, "type%u", type);
}

static void put_bytes(struct xsdiff_log *log, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)b[i];
        if (c == 0)
            put(log, "\\0", 2);
        else if (c == '\\')
            put(log, "\\\\", 2);
        else if (c >= 0x20 && c < 0x7f)
            put(log, (const char *)&c, 1);
        else
            putf(log, "\\x%02x", c);
    }
}

static void put_msg(struct xsdiff_log *log, const char *dir, const struct xsd_sockmsg *h,
                    const char *body)
{
    size_t skip = 0;

    putf(log, "%s ", dir);
    put_type(log, h->type);
    putf(log, " req %u tx %u len %u: ", h->req_id, h->tx_id, h->len);
    if (h->type == XS_DIRECTORY_PART) {
        skip = strnlen(body, h->len);
        put(log, "G", 1);
    }
    put_bytes(log, body + skip, h->len - skip);
    put(log, "\n", 1);
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Receives until the reply to req; events go to ev.  0, or -1 closed. */
static int until_reply(const struct xsdiff_peer *p, uint32_t req, struct xsdiff_log *log,
                       struct xsdiff_log *ev, char *body, bool record)
{
    struct xsd_sockmsg h;

    for (;;) {
        if (p->recv(p->ctx, &h, body, XENSTORE_PAYLOAD_MAX + 1) != 0) {
            put(log, "< closed\n", 9);
            return -1;
        }
        if (h.type == XS_WATCH_EVENT) {
            put_msg(ev, "<", &h, body);
            continue;
        }
        if (record)
            put_msg(log, "<", &h, body);
        if (h.req_id == req)
            return 0;
    }
}

static void flush_events(struct xsdiff_log *log, struct xsdiff_log *ev)
{
    char *lines[256], *s = ev->text;
    size_t n = 0;

    if (!ev->len)
        return;
    while (s && *s && n < 256) {
        char *nl = strchr(s, '\n');
        lines[n++] = s;
        if (!nl)
            break;
        *nl = '\0';
        s = nl + 1;
    }
    qsort(lines, n, sizeof(lines[0]), cmp_line);
    for (size_t i = 0; i < n; i++) {
        put(log, lines[i], strlen(lines[i]));
        put(log, "\n", 1);
    }
    ev->len = 0;
}

void xsdiff_run(const struct xsdiff_peer *p, const struct xsdiff_msg *m, size_t n,
                struct xsdiff_log *log)
{
    static const char root[] = "/";
    char *body = malloc(XENSTORE_PAYLOAD_MAX + 1);
    struct xsdiff_log ev = { 0 };
    uint32_t last_tx = 0, req = 0;

    if (!body)
        abort();
    for (size_t i = 0; i < n; i++) {
        struct xsd_sockmsg h = { m[i].type, ++req, m[i].tx == XSDIFF_TX_LAST ? last_tx : m[i].tx,
                                 (uint32_t)m[i].len };
        struct xsd_sockmsg sync = { XS_READ, ++req, 0, sizeof(root) };
        put_msg(log, ">", &h, m[i].body);
        if (p->send(p->ctx, &h, m[i].body) != 0 || until_reply(p, h.req_id, log, &ev, body, true)) {
            flush_events(log, &ev);
            break;
        }
        if (h.type == XS_TRANSACTION_START)
            last_tx = (uint32_t)strtoul(body, NULL, 10);
        if (p->send(p->ctx, &sync, root) != 0 ||
            until_reply(p, sync.req_id, log, &ev, body, false)) {
            flush_events(log, &ev);
            break;
        }
        flush_events(log, &ev);
    }
    xsdiff_log_free(&ev);
    free(body);
}

void xsdiff_log_free(struct xsdiff_log *log)
{
    free(log->text);
    *log = (struct xsdiff_log){ 0 };
}

size_t xsdiff_first_difference(const struct xsdiff_log *a, const struct xsdiff_log *b, char *out,
                               size_t size)
{
    const char *x = a->text ? a->text : "", *y = b->text ? b->text : "";
    size_t line = 1;

    out[0] = '\0';
    if (strcmp(x, y) == 0)
        return 0;
    for (;;) {
        size_t lx = strcspn(x, "\n"), ly = strcspn(y, "\n");
        if (lx != ly || memcmp(x, y, lx) != 0) {
            snprintf(out, size, "line %zu:\n  splitbed:  %.*s\n  reference: %.*s", line,
                     (int)(lx > 300 ? 300 : lx), x, (int)(ly > 300 ? 300 : ly), y);
            return line;
        }
        x += lx + (x[lx] == '\n');
        y += ly + (y[ly] == '\n');
        line++;
    }
}

static int fd_send(void *ctx, const struct xsd_sockmsg *h, const void *body)
{
    int fd = *(int *)ctx;
    char buf[sizeof(*h) + XENSTORE_PAYLOAD_MAX + 64];
    size_t len = sizeof(*h) + h->len, off = 0;

    if (h->len > XENSTORE_PAYLOAD_MAX + 64)
        return -1;
    memcpy(buf, h, sizeof(*h));
    memcpy(buf + sizeof(*h), body, h->len);
    while (off < len) {
        ssize_t w = send(fd, buf + off, len - off, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        off += (size_t)w;
    }
    return 0;
}

static int read_exact(int fd, void *buf, size_t len)
{
    char *p = buf;

    while (len) {
        struct pollfd pf = { fd, POLLIN, 0 };
        ssize_t r;
        if (poll(&pf, 1, 5000) != 1) /* hang guard */
            return -1;
        r = read(fd, p, len);
        if (r <= 0)
            return -1;
        p += r;
        len -= (size_t)r;
    }
    return 0;
}

static int fd_recv(void *ctx, struct xsd_sockmsg *h, char *body, size_t size)
{
    int fd = *(int *)ctx;

    if (read_exact(fd, h, sizeof(*h)) || h->len >= size || read_exact(fd, body, h->len))
        return -1;
    body[h->len] = '\0';
    return 0;
}

struct xsdiff_peer xsdiff_fd_peer(int *fd)
{
    return (struct xsdiff_peer){ fd_send, fd_recv, fd };
}

int xsdiff_connect(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}
