/*
 * fuzz_hvd_client.c — libFuzzer target: splitbed-hvd's client protocol.
 * Packets from hostile clients go straight to the daemon's packet
 * handling (hvd_serve_packet: the header checks, the unmap ring, the
 * handlers for grants, events, hypercalls and control), in this process;
 * replies go back over a socket pair per client, read and dropped here.
 * Every input starts from a fresh daemon with dom0 and dom1.  The daemon
 * must answer or cut the client off, never crash or leak; after every
 * client hangs up it holds nothing for them.
 *
 * Input: records of [client] [length, 2 bytes little endian] [packet].
 * Client bits 0..1 pick one of four handles, 0 and 1 on dom0's socket,
 * 2 and 3 on dom1's; the packet is a struct hvw_req and its payload, as
 * sent (so the header may lie about the length).  Bit 2 puts it in the
 * handle's call page instead (wire.h; gnttab handles have one after
 * HELLO) and rings: hvd_serve_call, answers read and dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends-sim/hv/hvd/hvd.h"
#include "backends-sim/hv/hvd/memory.h"
#include "backends-sim/hv/wire/packet.h"

#define CLIENTS 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void core_trace(void *host, domid_t d, const char *line)
{
    (void)host;
    (void)d;
    (void)line;
}

static void *core_frame_ptr(void *host, domid_t d, uint64_t gfn)
{
    struct hdom *dom = hvd_dom(host, d);
    return dom ? dmem_ptr(dom->mem, gfn) : NULL;
}

static struct hvd hs;
static char *in;

/* The daemon's state directory and buffers, once. */
static void setup_once(void)
{
    static char dir[] = "/tmp/fuzz_hvd_client.XXXXXX";
    if (!mkdtemp(dir) || asprintf(&hs.hvdir, "%s/hv", dir) < 0 || mkdir(hs.hvdir, 0700) < 0)
        abort();
    hs.dir = dir;
    hs.trace_fd = -1;
    hs.out = malloc(HVW_MSG_MAX);
    hs.drain = malloc(HVW_MSG_MAX);
    in = malloc(HVW_MSG_MAX);
    if (!hs.out || !hs.drain || !in || procdom_sim_init(&hs.sim, dir) < 0)
        abort();
}

static void start(void)
{
    static const struct hv_host_ops ops = {
        .frame_ptr = core_frame_ptr,
        .notify = evt_core_notify,
        .port_closed = evt_core_port_closed,
        .trace = core_trace,
    };
    hs.hv = hv_new(&ops, &hs);
    hs.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (!hs.hv || hs.epfd < 0 || hvd_dom_create(&hs, 0) < 0 || hvd_dom_create(&hs, 1) < 0)
        abort();
}

static void stop(void)
{
    hvd_conns_free(&hs);
    hvd_doms_free(&hs);
    hv_free(hs.hv);
    hs.hv = NULL;
    close(hs.epfd);
    hs.next_conn_id = 0;
}

/* A client connection of domain d, as hvd_accept makes one; *peer is the
 * client's end. */
static struct conn *connect_client(domid_t d, int *peer)
{
    struct hdom *dom = hvd_dom(&hs, d);
    int sv[2];
    if (!dom || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
        abort();
    struct conn *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    c->fd = sv[0];
    c->id = ++hs.next_conn_id;
    c->dom = dom;
    c->pid = getpid();
    c->pid_dom = -1;
    c->rfd = c->efd = c->pagefd = c->uring_fd = c->arena_fd = -1;
    c->call_fd = c->bell_fd = c->answer_rfd = c->answer_wfd = -1;
    c->restrict_dom = -1;
    c->next = hs.conns;
    hs.conns = c;
    dom->nconns++;
    *peer = sv[1];
    return c;
}

/* Reads and drops what the daemon sent a client, descriptors included. */
static void drop_replies(int peer)
{
    static char buf[HVW_MSG_MAX];
    for (;;) {
        int fds[HVW_MAX_FDS];
        unsigned nfds = 0;
        ssize_t n = hvw_recv(peer, buf, sizeof(buf), fds, &nfds);
        for (unsigned i = 0; i < nfds; i++)
            close(fds[i]);
        if (n <= 0)
            return;
    }
}

/* A request through c's call page, as its client would put it there. */
static void serve_call(struct conn *c, const uint8_t *pkt, size_t len)
{
    if (len > sizeof(c->call->req))
        len = sizeof(c->call->req);
    memcpy(c->call->req, pkt, len);
    __atomic_store_n(&c->call->seq, c->call->seq + 1, __ATOMIC_RELEASE);
    hvd_serve_call(&hs, c, in);
    if (!hvd_conn_live(&hs, c) || c->answer_rfd < 0)
        return;
    static char drop[HVW_PAGE_SIZE];
    int n = 0;
    if (ioctl(c->answer_rfd, FIONREAD, &n) == 0 && n > 0)
        (void)!read(c->answer_rfd, drop, (size_t)n < sizeof(drop) ? (size_t)n : sizeof(drop));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!in)
        setup_once();
    start();
    struct conn *conns[CLIENTS] = { NULL };
    int peers[CLIENTS] = { -1, -1, -1, -1 };
    size_t off = 0;
    while (off + 3 <= size) {
        unsigned who = data[off] % CLIENTS;
        bool page = data[off] & 4;
        size_t len = (size_t)data[off + 1] | (size_t)data[off + 2] << 8;
        off += 3;
        if (len > size - off)
            len = size - off;
        if (!conns[who])
            conns[who] = connect_client(who < 2 ? 0 : 1, &peers[who]);
        if (hvd_conn_live(&hs, conns[who]) && page && conns[who]->call)
            serve_call(conns[who], data + off, len);
        else if (hvd_conn_live(&hs, conns[who])) {
            memcpy(in, data + off, len);
            hvd_serve_packet(&hs, conns[who], in, len, 0);
        }
        off += len;
        drop_replies(peers[who]);
    }
    /* Every client hangs up: the daemon lets go of what they held. */
    for (unsigned i = 0; i < CLIENTS; i++)
        if (conns[i]) {
            if (hvd_conn_live(&hs, conns[i]))
                hvd_conn_hangup(&hs, conns[i]);
            drop_replies(peers[i]);
            close(peers[i]);
        }
    hvd_reap_dying(&hs);
    if (hs.conns)
        abort(); /* a connection outlived its client */
    stop();
    return 0;
}
