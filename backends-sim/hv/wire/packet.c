#include "backends-sim/hv/wire/packet.h"
#include "backends-sim/hv/wire/wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int hvw_send(int sock, const void *head, size_t hlen, const void *body, size_t blen, const int *fds,
             unsigned nfds)
{
    struct iovec iov[2] = {
        { .iov_base = (void *)head, .iov_len = hlen },
        { .iov_base = (void *)body, .iov_len = blen },
    };
    union {
        char buf[CMSG_SPACE(sizeof(int) * HVW_MAX_FDS)];
        struct cmsghdr align;
    } ctl;
    struct msghdr msg = { .msg_iov = iov, .msg_iovlen = blen ? 2 : 1 };

    if (nfds > HVW_MAX_FDS)
        return -EINVAL;
    if (nfds) {
        memset(&ctl, 0, sizeof(ctl));
        msg.msg_control = ctl.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    for (;;) {
        ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
        if (n >= 0)
            return (size_t)n == hlen + blen ? 0 : -EMSGSIZE;
        if (errno != EINTR)
            return -errno;
    }
}

ssize_t hvw_recv(int sock, void *buf, size_t size, int *fds, unsigned *nfds)
{
    struct iovec iov = { .iov_base = buf, .iov_len = size };
    union {
        char buf[CMSG_SPACE(sizeof(int) * HVW_MAX_FDS)];
        struct cmsghdr align;
    } ctl;
    struct msghdr msg = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = ctl.buf,
        .msg_controllen = sizeof(ctl.buf),
    };
    unsigned room = nfds ? *nfds : 0, got = 0;
    ssize_t n;
    do
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        int e = errno;
        if (nfds)
            *nfds = 0; /* the caller closes what it counts */
        return -e;
    }
    int toomany = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        unsigned k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (unsigned i = 0; i < k; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (got < room)
                fds[got++] = fd;
            else {
                close(fd);
                toomany = 1;
            }
        }
    }
    if (nfds)
        *nfds = got;
    if (toomany || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
        for (unsigned i = 0; i < got; i++)
            close(fds[i]);
        if (nfds)
            *nfds = 0;
        return -EMSGSIZE;
    }
    return n;
}

ssize_t hvw_call(int sock, unsigned op, const void *body, size_t blen, void *rep, size_t repmax,
                 int *fds, unsigned *nfds)
{
    struct hvw_req req = { .op = op, .len = (uint32_t)blen };
    int r = hvw_send(sock, &req, sizeof(req), body, blen, NULL, 0);
    if (r < 0)
        return r == -EPIPE ? -ECONNRESET : r;

    size_t cap = sizeof(struct hvw_rep) + repmax;
    char stackbuf[512];
    char *buf = cap <= sizeof(stackbuf) ? stackbuf : malloc(cap);
    if (!buf)
        return -ENOMEM;
    int tmpfds[HVW_MAX_FDS];
    unsigned nf = HVW_MAX_FDS;
    ssize_t n = hvw_recv(sock, buf, cap, tmpfds, &nf);
    ssize_t ret;
    struct hvw_rep h;
    if (n == 0)
        ret = -ECONNRESET;
    else if (n < 0)
        ret = n;
    else if ((size_t)n < sizeof(h))
        ret = -EPROTO;
    else {
        memcpy(&h, buf, sizeof(h));
        if (h.len != (size_t)n - sizeof(h) || h.err < 0)
            ret = -EPROTO;
        else if (h.err)
            ret = -h.err;
        else {
            if (h.len)
                memcpy(rep, buf + sizeof(h), h.len);
            ret = h.len;
        }
    }
    unsigned room = nfds ? *nfds : 0, kept = 0;
    for (unsigned i = 0; i < nf; i++) {
        if (ret >= 0 && fds && kept < room)
            fds[kept++] = tmpfds[i];
        else
            close(tmpfds[i]);
    }
    if (nfds)
        *nfds = kept;
    if (buf != stackbuf)
        free(buf);
    return ret;
}

int hvw_connect(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -errno;
    if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(s);
        return -e;
    }
    return s;
}
