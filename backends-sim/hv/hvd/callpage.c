/*
 * callpage.c — the call page of gnttab handles (wire.h): set up at HELLO,
 * a request rung on its doorbell, its answer, and its end.
 */
#include "backends-sim/hv/hvd/hvd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

int hvd_call_open(struct hvd *h, struct conn *c)
{
    int answer[2] = { -1, -1 };
    c->call_fd = memfd_create("splitbed-call-page", MFD_CLOEXEC);
    if (c->call_fd < 0 || ftruncate(c->call_fd, sizeof(*c->call)) < 0)
        return ENOMEM;
    void *p = mmap(NULL, sizeof(*c->call), PROT_READ | PROT_WRITE, MAP_SHARED, c->call_fd, 0);
    if (p == MAP_FAILED)
        return ENOMEM;
    c->call = p;
    /* Both ends non-blocking for the daemon: a client that rings without
     * end or never reads its answers makes it wait for nothing. */
    c->bell_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (c->bell_fd < 0 || pipe2(answer, O_CLOEXEC) < 0)
        return ENOMEM;
    c->answer_rfd = answer[0];
    c->answer_wfd = answer[1];
    /* One answer per request, one request at a time: a page of room is
     * plenty, and a client that stops reading is found out early. */
    if (fcntl(c->answer_wfd, F_SETFL, O_NONBLOCK) < 0 ||
        fcntl(c->answer_wfd, F_SETPIPE_SZ, HVW_PAGE_SIZE) < 0)
        return ENOMEM;
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = c->bell_fd };
    if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, c->bell_fd, &ev) < 0)
        return ENOMEM;
    c->bell_watched = true;
    hvd_out_fd(h, c->call_fd);
    hvd_out_fd(h, c->bell_fd);
    hvd_out_fd(h, c->answer_rfd);
    return 0;
}

void hvd_call_close(struct hvd *h, struct conn *c)
{
    /* The client holds the doorbell too: closing ours would leave it in
     * the epoll set, its events naming a number that may be reused. */
    if (c->bell_watched)
        epoll_ctl(h->epfd, EPOLL_CTL_DEL, c->bell_fd, NULL);
    c->bell_watched = false;
    if (c->call)
        munmap(c->call, sizeof(*c->call));
    c->call = NULL;
    int *fds[] = { &c->call_fd, &c->bell_fd, &c->answer_rfd, &c->answer_wfd };
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
}

struct conn *hvd_conn_by_bell(struct hvd *h, int fd)
{
    for (struct conn *x = h->conns; x; x = x->next)
        if (x->bell_fd == fd && x->call && !x->dying)
            return x;
    return NULL;
}

void hvd_serve_call(struct hvd *h, struct conn *c, char *buf)
{
    uint64_t rings;
    (void)!read(c->bell_fd, &rings, sizeof(rings));
    uint32_t seq = __atomic_load_n(&c->call->seq, __ATOMIC_ACQUIRE);
    if (seq == c->call_seen)
        return; /* rung with no new request: nothing to answer */
    c->call_seen = seq;
    /* The client can write the page while we read it: take the header
     * once, then a private copy of what it announces, and serve the copy
     * (whose header is checked again as a packet's is). */
    struct hvw_req req;
    memcpy(&req, c->call->req, sizeof(req));
    if (req.len > HVW_MSG_MAX - sizeof(req)) {
        char why[80];
        snprintf(why, sizeof(why), "call page request of %u payload bytes", req.len);
        hvd_cut_off(h, c, why);
        return;
    }
    memcpy(buf, c->call->req, sizeof(req) + req.len);
    hvd_serve_request(h, c, buf, sizeof(req) + req.len, true);
}

int hvd_call_answer(struct hvd *h, struct conn *c, const void *rep, size_t n)
{
    (void)h;
    memcpy(c->call->rep, rep, n);
    __atomic_store_n(&c->call->done, c->call_seen, __ATOMIC_RELEASE);
    const char one = 1;
    ssize_t r;
    do
        r = write(c->answer_wfd, &one, 1);
    while (r < 0 && errno == EINTR);
    return r == 1 ? 0 : -errno;
}
