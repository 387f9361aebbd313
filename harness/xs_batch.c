/*
 * xs_batch.c — pipelined transactional requests on a socket of their own
 * (xs_batch.h), in xenstore's wire format (<xen/io/xs_wire.h>).
 */
#include "xs_batch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <xen/io/xs_wire.h>

#define MAX_REQS 256
#define MAX_PROBES 8

struct req {
    uint32_t type, req_id;
    size_t at; /* the request's offset in out */
    int probe; /* index among probes, or -1 */
};

struct xs_batch {
    int fd;
    uint32_t tx;
    uint32_t next_id;
    char *out;
    size_t len, cap;
    bool oom; /* a request could not be queued: the send fails */
    struct req reqs[MAX_REQS];
    unsigned nreqs;
    bool found[MAX_PROBES];
    unsigned nprobes;
    char failed[XENSTORE_ABS_PATH_MAX + 1];
    char in[16384]; /* replies read ahead: many per read(2) */
    size_t in_at, in_len;
};

struct xs_batch *xs_batch_open(const char *socket_path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(socket_path) >= sizeof sa.sun_path) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);
    struct xs_batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (b->fd < 0 || connect(b->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        if (b->fd >= 0)
            close(b->fd);
        free(b);
        errno = e;
        return NULL;
    }
    return b;
}

void xs_batch_close(struct xs_batch *b)
{
    if (!b)
        return;
    close(b->fd);
    free(b->out);
    free(b);
}

static bool reserve(struct xs_batch *b, size_t more)
{
    if (b->len + more <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more)
        cap *= 2;
    char *p = realloc(b->out, cap);
    if (!p)
        return false;
    b->out = p;
    b->cap = cap;
    return true;
}

/* Queues a request whose payload is the parts, each followed by a NUL
 * except the last when last_nul is false. */
static void queue(struct xs_batch *b, uint32_t type, int probe, const char *const *parts,
                  unsigned nparts, bool last_nul)
{
    size_t plen = 0;
    for (unsigned i = 0; i < nparts; i++)
        plen += strlen(parts[i]) + (i + 1 < nparts || last_nul);
    if (b->oom || b->nreqs == MAX_REQS || plen > XENSTORE_PAYLOAD_MAX ||
        !reserve(b, sizeof(struct xsd_sockmsg) + plen)) {
        b->oom = true;
        return;
    }
    struct xsd_sockmsg h = {
        .type = type, .req_id = ++b->next_id, .tx_id = b->tx, .len = (uint32_t)plen
    };
    b->reqs[b->nreqs++] =
        (struct req){ .type = type, .req_id = h.req_id, .at = b->len, .probe = probe };
    memcpy(b->out + b->len, &h, sizeof h);
    b->len += sizeof h;
    for (unsigned i = 0; i < nparts; i++) {
        size_t n = strlen(parts[i]) + (i + 1 < nparts || last_nul);
        memcpy(b->out + b->len, parts[i], n);
        b->len += n;
    }
}

void xs_batch_write(struct xs_batch *b, const char *path, const char *value)
{
    queue(b, XS_WRITE, -1, (const char *const[]){ path, value }, 2, false);
}

void xs_batch_mkdir(struct xs_batch *b, const char *path)
{
    queue(b, XS_MKDIR, -1, (const char *const[]){ path }, 1, true);
}

void xs_batch_perms(struct xs_batch *b, const char *path, const char *const *perms, unsigned n)
{
    const char *parts[8] = { path };
    if (n + 1 > sizeof parts / sizeof parts[0]) {
        b->oom = true;
        return;
    }
    for (unsigned i = 0; i < n; i++)
        parts[i + 1] = perms[i];
    queue(b, XS_SET_PERMS, -1, parts, n + 1, true);
}

void xs_batch_probe(struct xs_batch *b, const char *path)
{
    if (b->nprobes == MAX_PROBES) {
        b->oom = true;
        return;
    }
    queue(b, XS_DIRECTORY, (int)b->nprobes++, (const char *const[]){ path }, 1, true);
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* n bytes of the replies, from what was read ahead or a new read. */
static int read_all(struct xs_batch *b, void *buf, size_t n)
{
    char *p = buf;
    while (n) {
        if (b->in_at == b->in_len) {
            ssize_t r = read(b->fd, b->in, sizeof b->in);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return -(r < 0 ? errno : ECONNRESET);
            b->in_at = 0;
            b->in_len = (size_t)r;
        }
        size_t k = b->in_len - b->in_at;
        if (k > n)
            k = n;
        memcpy(p, b->in + b->in_at, k);
        b->in_at += k;
        p += k;
        n -= k;
    }
    return 0;
}

/* The errno an XS_ERROR reply names. */
static int reply_errno(const char *s)
{
    for (size_t i = 0; i < sizeof xsd_errors / sizeof xsd_errors[0]; i++)
        if (!strcmp(s, xsd_errors[i].errstring))
            return xsd_errors[i].errnum;
    return EIO;
}

/* Reads the reply to request r into payload (NUL-terminated): 0 or
 * -errno, the reply's error, or the connection's with *broken set (no
 * later reply can be read then). */
static int read_reply(struct xs_batch *b, const struct req *r, char *payload, bool *broken)
{
    struct xsd_sockmsg h;
    int rc = read_all(b, &h, sizeof h);
    if (rc == 0 && h.len > XENSTORE_PAYLOAD_MAX)
        rc = -EPROTO;
    if (rc == 0)
        rc = read_all(b, payload, h.len);
    if (rc == 0 && h.req_id != r->req_id)
        rc = -EPROTO;
    if (rc < 0) {
        *broken = true;
        return rc;
    }
    payload[h.len] = '\0';
    if (h.type == XS_ERROR)
        return -reply_errno(payload);
    return h.type == r->type ? 0 : -EPROTO;
}

int xs_batch_send(struct xs_batch *b)
{
    static char payload[XENSTORE_PAYLOAD_MAX + 1];
    int first = b->oom ? -ENOMEM : 0;
    bool broken = false;
    b->failed[0] = '\0';
    if (!first && write_all(b->fd, b->out, b->len) < 0) {
        first = -errno;
        broken = true;
    }
    for (unsigned i = 0; !broken && !b->oom && i < b->nreqs; i++) {
        const struct req *r = &b->reqs[i];
        int e = read_reply(b, r, payload, &broken);
        if (r->probe >= 0) {
            b->found[r->probe] = e == 0;
            if (e == -ENOENT)
                e = 0;
        }
        if (e < 0 && !first) {
            first = e;
            const char *path = b->out + r->at + sizeof(struct xsd_sockmsg);
            snprintf(b->failed, sizeof b->failed, "%s", path);
        }
    }
    b->len = 0;
    b->nreqs = 0;
    b->nprobes = 0;
    b->oom = false;
    return first;
}

const char *xs_batch_failed_path(const struct xs_batch *b)
{
    return b->failed;
}

bool xs_batch_found(const struct xs_batch *b, unsigned i)
{
    return i < MAX_PROBES && b->found[i];
}

/* One request and its reply, outside any batch. */
static int round_trip(struct xs_batch *b, uint32_t type, const char *arg, char *reply)
{
    if (b->nreqs)
        return -EBUSY;
    queue(b, type, -1, (const char *const[]){ arg }, 1, true);
    if (b->oom) {
        b->oom = false;
        b->len = b->nreqs = 0;
        return -ENOMEM;
    }
    bool broken = false;
    int rc = write_all(b->fd, b->out, b->len);
    if (rc == 0)
        rc = read_reply(b, &b->reqs[0], reply, &broken);
    b->len = 0;
    b->nreqs = 0;
    return rc;
}

int xs_batch_start(struct xs_batch *b)
{
    static char reply[XENSTORE_PAYLOAD_MAX + 1];
    b->tx = 0;
    int rc = round_trip(b, XS_TRANSACTION_START, "", reply);
    if (rc < 0)
        return rc;
    char *end;
    unsigned long id = strtoul(reply, &end, 10);
    if (end == reply || *end || id == 0 || id > UINT32_MAX)
        return -EPROTO;
    b->tx = (uint32_t)id;
    return 0;
}

int xs_batch_end(struct xs_batch *b, bool abort)
{
    static char reply[XENSTORE_PAYLOAD_MAX + 1];
    int rc = round_trip(b, XS_TRANSACTION_END, abort ? "F" : "T", reply);
    b->tx = 0;
    return rc;
}
