/*
 * nb_backing.c — see nb_backing.h.
 */
#include "backends-sim/netback/nb_backing.h"
#include "frontends/net_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <xen/io/netif.h>

enum kind { K_TAP, K_STDIO, K_FD, K_PCAP, K_SOCKET };

struct nb_backing {
    enum kind kind;
    int in, out;   /* descriptors; -1 if none */
    bool frames;   /* fd:N on a datagram/seqpacket socket: a frame per message */
    bool vnet;     /* tap: each frame comes and goes after a virtio_net_hdr */
    int listen_fd; /* socket: still waiting for the peer */
    char sock_path[108];
    bool owns_path;
    pcap_t *pcap;
    pcap_dumper_t *dump;    /* pcap: sink */
    pcap_dumper_t *capture; /* capture=: both directions */
    uint8_t guest_mac[6];
};

static const uint8_t backend_mac[6] = { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff };

static int open_dump(struct nb_backing *b, const char *file, pcap_dumper_t **d, char *err,
                     size_t es)
{
    if (!b->pcap && !(b->pcap = pcap_open_dead(DLT_EN10MB, 65535))) {
        snprintf(err, es, "pcap: cannot start a capture");
        return -ENOMEM;
    }
    if (!(*d = pcap_dump_open(b->pcap, file))) {
        snprintf(err, es, "%s: %s", file, pcap_geterr(b->pcap));
        return -EIO;
    }
    return 0;
}

static void record(pcap_dumper_t *d, const uint8_t *frame, size_t len)
{
    struct pcap_pkthdr h;
    gettimeofday(&h.ts, NULL);
    h.caplen = h.len = (bpf_u_int32)len;
    pcap_dump((u_char *)d, &h, frame);
    pcap_dump_flush(d);
}

static int open_tap(struct nb_backing *b, const char *name, char *err, size_t es)
{
    struct ifreq ifr;
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(err, es, "tap:%s: /dev/net/tun: %s", name, strerror(errno));
        return -errno;
    }
    /* With a virtio-net header where the kernel has one; plain otherwise. */
    int hdr = (int)sizeof(struct virtio_net_hdr);
    for (int vnet = 1; vnet >= 0; vnet--) {
        memset(&ifr, 0, sizeof ifr);
        ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0));
        snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
        if (ioctl(fd, TUNSETIFF, &ifr) == 0) {
            b->vnet = vnet && ioctl(fd, TUNSETVNETHDRSZ, &hdr) == 0;
            b->in = b->out = fd;
            return 0;
        }
        if (errno != EINVAL || !vnet)
            break;
    }
    int e = errno;
    snprintf(err, es, "tap:%s: cannot attach: %s", name, strerror(e));
    close(fd);
    return -e;
}

/* Listen at PATH without a window in which it exists but refuses
 * connections: bind and listen under a private name, then hard-link it
 * into place (a Unix socket is reached through its inode). Returns the
 * descriptor, -EEXIST when a peer published first, or another -errno. */
static int publish_listener(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    int n = snprintf(a.sun_path, sizeof a.sun_path, "%s.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof a.sun_path)
        return -ENAMETOOLONG;
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    unlink(a.sun_path);
    int r = 0;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 1) < 0)
        r = -errno;
    else if (link(a.sun_path, path) < 0)
        r = -errno;
    unlink(a.sun_path);
    if (r < 0) {
        close(fd);
        return r;
    }
    return fd;
}

/* socket:PATH: the first of two backends to arrive listens, the second
 * connects. Both may arrive at once, so each step that loses the race
 * goes round again; a file nobody listens on is a leftover and is taken. */
static int open_socket(struct nb_backing *b, const char *path, char *err, size_t es)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof a.sun_path - 12) {
        snprintf(err, es, "socket:%s: path longer than %zu bytes", path, sizeof a.sun_path - 13);
        return -EINVAL;
    }
    strcpy(a.sun_path, path);
    for (int round = 0; round < 100; round++) {
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            snprintf(err, es, "socket:%s: %s", path, strerror(errno));
            return -errno;
        }
        if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
            b->in = b->out = fd;
            return 0;
        }
        int e = errno;
        close(fd);
        if (e == ECONNREFUSED) {
            struct stat st;
            if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
                unlink(path);
            continue;
        }
        if (e != ENOENT) {
            snprintf(err, es, "socket:%s: %s", path, strerror(e));
            return -EIO;
        }
        fd = publish_listener(path);
        if (fd == -EEXIST)
            continue;
        if (fd < 0) {
            snprintf(err, es, "socket:%s: cannot listen: %s", path, strerror(-fd));
            return -EIO;
        }
        b->listen_fd = fd;
        b->owns_path = true;
        snprintf(b->sock_path, sizeof b->sock_path, "%s", path);
        return 0;
    }
    snprintf(err, es, "socket:%s: neither connects nor can be listened on", path);
    return -EIO;
}

int nb_backing_open(const char *spec, struct nb_backing **out, char *err, size_t es)
{
    char buf[512], *capture = NULL;
    if (strlen(spec) >= sizeof buf) {
        snprintf(err, es, "backing spec longer than %zu bytes", sizeof buf - 1);
        return -EINVAL;
    }
    strcpy(buf, spec);
    char *comma = strchr(buf, ',');
    if (comma) {
        *comma = '\0';
        if (strncmp(comma + 1, "capture=", 8) != 0 || !comma[9] || strchr(comma + 1, ',')) {
            snprintf(err, es, "backing option '%s' is not capture=FILE", comma + 1);
            return -EINVAL;
        }
        capture = comma + 9;
    }
    struct nb_backing *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, es, "out of memory");
        return -ENOMEM;
    }
    b->in = b->out = b->listen_fd = -1;
    char *arg = strchr(buf, ':');
    if (arg)
        *arg++ = '\0';
    int r = 0;
    if (!strcmp(buf, "tap")) {
        b->kind = K_TAP;
        if (!arg || !*arg || strlen(arg) >= IFNAMSIZ) {
            snprintf(err, es, "tap:NAME needs an interface name of 1..%d characters", IFNAMSIZ - 1);
            r = -EINVAL;
        } else {
            r = open_tap(b, arg, err, es);
        }
    } else if (!strcmp(buf, "stdio")) {
        b->kind = K_STDIO;
        if (arg) {
            snprintf(err, es, "stdio takes no argument");
            r = -EINVAL;
        }
        b->in = 0;
        b->out = 1;
    } else if (!strcmp(buf, "fd")) {
        b->kind = K_FD;
        char *end;
        long n = arg ? strtol(arg, &end, 10) : -1;
        if (!arg || !*arg || *end || n < 0 || n > INT_MAX) {
            snprintf(err, es, "fd:N needs a descriptor number, not '%s'", arg ? arg : "");
            r = -EINVAL;
        } else if (fcntl((int)n, F_GETFD) < 0) {
            snprintf(err, es, "fd:%ld: not an open descriptor", n);
            r = -EINVAL;
        } else {
            b->in = b->out = (int)n;
            int type = 0;
            socklen_t tl = sizeof type;
            if (getsockopt((int)n, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 &&
                (type == SOCK_SEQPACKET || type == SOCK_DGRAM))
                b->frames = true;
        }
    } else if (!strcmp(buf, "pcap")) {
        b->kind = K_PCAP;
        if (!arg || !*arg) {
            snprintf(err, es, "pcap:FILE needs a file name");
            r = -EINVAL;
        } else {
            r = open_dump(b, arg, &b->dump, err, es);
        }
    } else if (!strcmp(buf, "socket")) {
        b->kind = K_SOCKET;
        if (!arg || !*arg) {
            snprintf(err, es, "socket:PATH needs a path");
            r = -EINVAL;
        } else {
            r = open_socket(b, arg, err, es);
        }
    } else {
        snprintf(err, es, "unknown backing '%s' (tap:NAME, stdio, fd:N, pcap:FILE, socket:PATH)",
                 buf);
        r = -EINVAL;
    }
    if (r == 0 && capture)
        r = open_dump(b, capture, &b->capture, err, es);
    if (r < 0) {
        nb_backing_free(b);
        return r;
    }
    *out = b;
    return 0;
}

void nb_backing_free(struct nb_backing *b)
{
    if (!b)
        return;
    if (b->kind == K_TAP || b->kind == K_SOCKET) {
        if (b->in >= 0)
            close(b->in);
    }
    if (b->listen_fd >= 0)
        close(b->listen_fd);
    if (b->owns_path)
        unlink(b->sock_path);
    if (b->dump)
        pcap_dump_close(b->dump);
    if (b->capture)
        pcap_dump_close(b->capture);
    if (b->pcap)
        pcap_close(b->pcap);
    free(b);
}

void nb_backing_set_guest_mac(struct nb_backing *b, const uint8_t mac[6])
{
    memcpy(b->guest_mac, mac, 6);
}

int nb_backing_fd(const struct nb_backing *b)
{
    return b->listen_fd >= 0 ? b->listen_fd : b->in;
}

const char *nb_backing_kind(const struct nb_backing *b)
{
    static const char *const n[] = { "tap", "stdio", "fd", "pcap", "socket" };
    return n[b->kind];
}

/* The kernel's virtio-net header of a frame from the TAP, as nb_meta.
 * false for a GSO kind the guest cannot be given (it is dropped). */
static bool meta_of_vnet(const struct virtio_net_hdr *h, struct nb_meta *m)
{
    memset(m, 0, sizeof *m);
    m->csum_blank = (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0;
    m->data_validated = (h->flags & VIRTIO_NET_HDR_F_DATA_VALID) != 0;
    if (m->csum_blank) {
        m->csum_start = h->csum_start;
        m->csum_offset = h->csum_offset;
    }
    switch (h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
    case VIRTIO_NET_HDR_GSO_NONE: return true;
    case VIRTIO_NET_HDR_GSO_TCPV4: m->gso_type = XEN_NETIF_GSO_TYPE_TCPV4; break;
    case VIRTIO_NET_HDR_GSO_TCPV6: m->gso_type = XEN_NETIF_GSO_TYPE_TCPV6; break;
    default: return false;
    }
    m->gso_size = h->gso_size;
    return m->gso_size != 0;
}

static long read_vnet(struct nb_backing *b, uint8_t *frame, size_t size, struct nb_meta *meta)
{
    struct virtio_net_hdr h;
    struct iovec iov[2] = { { &h, sizeof h }, { frame, size } };
    ssize_t n = readv(b->in, iov, 2);
    if (n <= 0)
        return n == 0 || errno == EAGAIN || errno == EINTR ? 0 : -errno;
    if ((size_t)n < sizeof h)
        return 0;
    struct nb_meta m;
    if (!meta_of_vnet(&h, &m))
        return 0; /* a kind of GSO netif has no name for: not asked for */
    if (meta)
        *meta = m;
    n -= (ssize_t)sizeof h;
    if (b->capture)
        record(b->capture, frame, (size_t)n);
    return (long)n;
}

long nb_backing_read(struct nb_backing *b, uint8_t *frame, size_t size)
{
    return nb_backing_read_meta(b, frame, size, NULL);
}

long nb_backing_read_meta(struct nb_backing *b, uint8_t *frame, size_t size, struct nb_meta *meta)
{
    ssize_t n;
    if (meta)
        memset(meta, 0, sizeof *meta);
    if (b->listen_fd >= 0) {
        int fd = accept4(b->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        close(b->listen_fd);
        b->listen_fd = -1;
        b->in = b->out = fd;
        return 0;
    }
    if (b->in < 0)
        return 0;
    if (b->frames) {
        n = recv(b->in, frame, size, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        if (n == 0)
            return -EPIPE; /* seqpacket: the peer closed */
        if ((size_t)n > size || n < 14)
            return 0; /* not a frame we can pass on */
        if (b->capture)
            record(b->capture, frame, (size_t)n);
        return (long)n;
    }
    switch (b->kind) {
    case K_STDIO:
    case K_FD: {
        /* The descriptor is shared with whoever gave it (a terminal, a
         * pipe): never make it non-blocking, ask first instead. */
        struct pollfd p = { .fd = b->in, .events = POLLIN };
        if (poll(&p, 1, 0) <= 0)
            return 0;
        size_t room =
            size - NET_STREAM_HDR < NET_STREAM_MAX ? size - NET_STREAM_HDR : NET_STREAM_MAX;
        n = read(b->in, frame + NET_STREAM_HDR, room);
#ifdef SPLITBED_BUG_NET_EOF_SPIN
        if (n == 0)
            return 0; /* injected bug (make fuzz-bench): end taken for "no frame now" */
#endif
        if (n == 0)
            return -EPIPE;
        if (n < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        n = (ssize_t)net_stream_frame(frame, b->guest_mac, backend_mac, (size_t)n);
        break;
    }
    case K_SOCKET:
        n = recv(b->in, frame, size, MSG_DONTWAIT | MSG_TRUNC);
        if (n == 0)
            return -EPIPE;
        if (n < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        if ((size_t)n > size)
            return 0; /* truncated: not a frame we can pass on */
        break;
    default:
        if (b->vnet)
            return read_vnet(b, frame, size, meta);
        n = read(b->in, frame, size);
        if (n <= 0)
            return n == 0 || errno == EAGAIN || errno == EINTR ? 0 : -errno;
        break;
    }
    if (b->capture)
        record(b->capture, frame, (size_t)n);
    return (long)n;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The virtio-net header a frame from the guest goes to the TAP with. */
static void vnet_of_meta(const struct nb_meta *m, const uint8_t *frame, size_t len, bool blank_ok,
                         struct virtio_net_hdr *h)
{
    memset(h, 0, sizeof *h);
    if (!m)
        return;
    bool located = m->csum_blank && m->csum_start && m->csum_start < len;
    if (located && (blank_ok || m->gso_type != XEN_NETIF_GSO_TYPE_NONE)) {
        h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
        h->csum_start = m->csum_start;
        h->csum_offset = m->csum_offset;
    } else if (m->data_validated && !m->csum_blank) {
        h->flags = VIRTIO_NET_HDR_F_DATA_VALID;
    }
    if (m->gso_type == XEN_NETIF_GSO_TYPE_NONE || !located)
        return;
    h->gso_type = m->gso_type == XEN_NETIF_GSO_TYPE_TCPV6 ? VIRTIO_NET_HDR_GSO_TCPV6
                                                          : VIRTIO_NET_HDR_GSO_TCPV4;
    h->gso_size = m->gso_size;
    /* Headers up to the TCP payload: the data offset of the TCP header. */
    size_t hl = m->csum_start + 20u;
    if ((size_t)m->csum_start + 13 <= len)
        hl = m->csum_start + (size_t)(frame[m->csum_start + 12] >> 4) * 4;
    h->hdr_len = (uint16_t)(hl < len ? hl : len);
}

bool nb_backing_takes_gso(const struct nb_backing *b)
{
    return b->kind == K_TAP && b->vnet;
}

bool nb_backing_takes_blank_csum(const struct nb_backing *b)
{
    return b->kind == K_TAP && b->vnet && !b->capture;
}

int nb_backing_set_offload(struct nb_backing *b, bool csum, bool tso4, bool tso6)
{
    if (b->kind != K_TAP || !b->vnet)
        return 0;
    unsigned long f = 0;
    if (csum) {
        f = TUN_F_CSUM;
        f |= tso4 ? TUN_F_TSO4 : 0;
        f |= tso6 ? TUN_F_TSO6 : 0;
    }
    return ioctl(b->out, TUNSETOFFLOAD, f) < 0 ? -errno : 0;
}

int nb_backing_write(struct nb_backing *b, const uint8_t *frame, size_t len)
{
    return nb_backing_write_meta(b, frame, len, NULL);
}

int nb_backing_write_meta(struct nb_backing *b, const uint8_t *frame, size_t len,
                          const struct nb_meta *meta)
{
    if (b->capture)
        record(b->capture, frame, len);
    if (b->frames)
        return send(b->out, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -errno : 0;
    switch (b->kind) {
    case K_PCAP: record(b->dump, frame, len); return 0;
    case K_STDIO:
    case K_FD: {
        size_t plen;
        const uint8_t *p = net_stream_payload(frame, len, &plen);
        return p ? write_all(b->out, p, plen) : 0;
    }
    case K_SOCKET:
        if (b->out < 0)
            return 0; /* no peer yet: the wire is unplugged */
        return send(b->out, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -errno : 0;
    case K_TAP:
        if (b->vnet) {
            struct virtio_net_hdr h;
            vnet_of_meta(meta, frame, len, !b->capture, &h);
            struct iovec iov[2] = { { &h, sizeof h }, { (void *)frame, len } };
            return writev(b->out, iov, 2) < 0 ? -errno : 0;
        }
        return write(b->out, frame, len) < 0 ? -errno : 0;
    }
    return 0;
}
