/*
 * hv-peer — a small Xen program for the integration tests, built against
 * Debian's real <xengnttab.h>/<xenevtchn.h> and linked with the real
 * -lxengnttab -lxenevtchn; the tests run it with LD_LIBRARY_PATH pointing
 * at splitbed's drop-in libraries.  It reads one command per line on
 * stdin and answers one line on stdout: "ok ..." or "err ERRNO".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xenevtchn.h>
#include <xengnttab.h>

static xengnttab_handle *gt;
static xengntshr_handle *gs;
static xenevtchn_handle *ev;
static uint8_t *region; /* last shared or mapped range */
static uint32_t region_pages;
static int region_is_share;

static void reply_err(void)
{
    printf("err %d\n", errno);
}

static int need_gt(void)
{
    if (!gt)
        gt = xengnttab_open(NULL, 0);
    return gt ? 0 : -1;
}

static int need_gs(void)
{
    if (!gs)
        gs = xengntshr_open(NULL, 0);
    return gs ? 0 : -1;
}

static int need_ev(void)
{
    if (!ev)
        ev = xenevtchn_open(NULL, 0);
    return ev ? 0 : -1;
}

/* Waits for one event (hang guard 10 s), takes and unmasks it. */
static int wait_event(void)
{
    struct pollfd p = { .fd = xenevtchn_fd(ev), .events = POLLIN };
    int r = poll(&p, 1, 10000);
    if (r <= 0) {
        errno = r == 0 ? ETIMEDOUT : errno;
        return -1;
    }
    int port = xenevtchn_pending(ev);
    if (port < 0)
        return -1;
    xenevtchn_unmask(ev, (evtchn_port_t)port);
    return port;
}

/* The promise programs build their loops on: once xenevtchn_fd polled
 * readable, xenevtchn_pending returns a port without blocking, even when
 * the handle unbound a port in between (Linux's ring keeps it).  The
 * pending call runs in a child (it shares the handle's page and counter),
 * so that a broken promise shows as "bad hang" after the 10 s guard
 * instead of a stuck peer.  Prints "ok none" when the fd was not readable,
 * "ok PORT" (the port taken, then unmasked) otherwise. */
static void ready(int unbind_port)
{
    struct pollfd p = { .fd = xenevtchn_fd(ev), .events = POLLIN };
    int readable = poll(&p, 1, 0);
    if (readable < 0)
        return reply_err();
    if (unbind_port > 0 && xenevtchn_unbind(ev, (evtchn_port_t)unbind_port) < 0)
        return reply_err();
    if (readable == 0) {
        printf("ok none\n");
        return;
    }
    int fds[2];
    if (pipe(fds) < 0)
        return reply_err();
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return reply_err();
    }
    if (pid == 0) {
        int port = xenevtchn_pending(ev);
        if (port > 0)
            xenevtchn_unmask(ev, (evtchn_port_t)port);
        int v[2] = { port, errno };
        _exit(write(fds[1], v, sizeof(v)) == sizeof(v) ? 0 : 1);
    }
    close(fds[1]);
    struct pollfd w = { .fd = fds[0], .events = POLLIN };
    int v[2] = { -1, EIO };
    int r = poll(&w, 1, 10000);
    if (r == 1 && read(fds[0], v, sizeof(v)) != sizeof(v))
        v[0] = -1;
    if (r != 1)
        kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(fds[0]);
    if (r != 1)
        printf("bad hang\n");
    else if (v[0] > 0)
        printf("ok %d\n", v[0]);
    else
        printf("err %d\n", v[1]);
}

/* How many pages filled with `val` the memfds among our descriptors
 * reach, mapped readable (and written back with the same byte where
 * writable, to prove write access too). */
static int snoop(uint8_t val)
{
    int found = 0;
    for (int fd = 3; fd < 1024; fd++) {
        char path[64], target[256];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
            continue;
        target[n] = 0;
        if (strncmp(target, "/memfd:", 7) != 0)
            continue;
        off_t size = lseek(fd, 0, SEEK_END);
        if (size <= 0)
            continue;
        int acc = fcntl(fd, F_GETFL) & O_ACCMODE;
        int prot = acc == O_RDWR ? PROT_READ | PROT_WRITE : PROT_READ;
        uint8_t *p = mmap(NULL, (size_t)size, prot, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
            continue;
        for (off_t off = 0; off + 4096 <= size; off += 4096) {
            unsigned k = 0;
            while (k < 4096 && p[off + k] == val)
                k++;
            if (k == 4096) {
                found++;
                if (prot & PROT_WRITE)
                    p[off] = val;
            }
        }
        munmap(p, (size_t)size);
    }
    return found;
}

static void command(char *line)
{
    char *argv[80];
    int argc = 0;
    for (char *t = strtok(line, " \n"); t && argc < 80; t = strtok(NULL, " \n"))
        argv[argc++] = t;
    if (argc == 0)
        return;
#define U(i) ((uint32_t)strtoul(argv[i], NULL, 0))
    const char *c = argv[0];
    if (!strcmp(c, "share") && argc == 4) {
        uint32_t refs[64], n = U(2);
        if (n > 64 || need_gs() < 0)
            return reply_err();
        void *p = xengntshr_share_pages(gs, U(1), (int)n, refs, (int)U(3));
        if (!p)
            return reply_err();
        region = p, region_pages = n, region_is_share = 1;
        printf("ok");
        for (uint32_t i = 0; i < n; i++)
            printf(" %u", refs[i]);
        printf("\n");
    } else if (!strcmp(c, "sharenotify") && argc == 4) {
        uint32_t ref;
        if (need_gs() < 0)
            return reply_err();
        void *p = xengntshr_share_page_notify(gs, U(1), &ref, 1, U(2), U(3));
        if (!p)
            return reply_err();
        region = p, region_pages = 1, region_is_share = 1;
        printf("ok %u\n", ref);
    } else if (!strcmp(c, "map") && argc >= 4) {
        uint32_t n = (uint32_t)argc - 3, doms[80], refs[80];
        for (uint32_t i = 0; i < n; i++)
            doms[i] = U(1), refs[i] = U(3 + i);
        if (need_gt() < 0)
            return reply_err();
        void *p =
            xengnttab_map_grant_refs(gt, n, doms, refs, U(2) ? PROT_READ | PROT_WRITE : PROT_READ);
        if (!p)
            return reply_err();
        region = p, region_pages = n, region_is_share = 0;
        printf("ok\n");
    } else if (!strcmp(c, "mapnotify") && argc == 5) {
        if (need_gt() < 0)
            return reply_err();
        void *p =
            xengnttab_map_grant_ref_notify(gt, U(1), U(2), PROT_READ | PROT_WRITE, U(3), U(4));
        if (!p)
            return reply_err();
        region = p, region_pages = 1, region_is_share = 0;
        printf("ok\n");
    } else if (!strcmp(c, "unmap") && argc == 1) {
        if (xengnttab_unmap(gt, region, region_pages) < 0)
            return reply_err();
        printf("ok\n");
    } else if (!strcmp(c, "unmapbad") && argc == 1) {
        if (xengnttab_unmap(gt, region + 4096, 1) < 0)
            return reply_err();
        printf("ok\n");
    } else if (!strcmp(c, "unshare") && argc == 1) {
        if (xengntshr_unshare(gs, region, region_pages) < 0)
            return reply_err();
        printf("ok\n");
    } else if (!strcmp(c, "unsharepart") && argc == 3) {
        if (xengntshr_unshare(gs, region + (size_t)U(1) * 4096, U(2)) < 0)
            return reply_err();
        printf("ok\n");
    } else if (!strcmp(c, "mapone") && argc == 3) {
        /* xengnttab_map_grant_ref, then xengnttab_map_domain_grant_refs */
        uint32_t ref = U(2);
        if (need_gt() < 0)
            return reply_err();
        uint8_t *p1 = xengnttab_map_grant_ref(gt, U(1), ref, PROT_READ);
        if (!p1)
            return reply_err();
        uint8_t *p2 = xengnttab_map_domain_grant_refs(gt, 1, U(1), &ref, PROT_READ);
        if (!p2)
            return reply_err();
        int same = p1[0] == p2[0] && p1[4095] == p2[4095];
        xengnttab_unmap(gt, p1, 1);
        xengnttab_unmap(gt, p2, 1);
        printf(same ? "ok %u\n" : "bad\n", p1 == p2 ? 0u : 1u);
    } else if (!strcmp(c, "copyg2g") && argc == 4) {
        /* grant-to-grant copy of a whole page: copyg2g D SRCREF DSTREF */
        xengnttab_grant_copy_segment_t s = { .flags = GNTCOPY_source_gref | GNTCOPY_dest_gref,
                                             .len = 4096 };
        s.source.foreign.domid = s.dest.foreign.domid = (uint16_t)U(1);
        s.source.foreign.ref = U(2);
        s.dest.foreign.ref = U(3);
        if (need_gt() < 0 || xengnttab_grant_copy(gt, 1, &s) < 0)
            return reply_err();
        printf("ok %d\n", s.status);
    } else if (!strcmp(c, "munmap") && argc == 1) {
        munmap(region, (size_t)region_pages * 4096);
        printf("ok\n");
    } else if (!strcmp(c, "fill") && argc == 3) {
        memset(region + (size_t)U(1) * 4096, (int)U(2), 4096);
        printf("ok\n");
    } else if (!strcmp(c, "check") && argc == 3) {
        const uint8_t *p = region + (size_t)U(1) * 4096;
        for (unsigned i = 0; i < 4096; i++)
            if (p[i] != (uint8_t)U(2)) {
                printf("bad %u %u\n", i, p[i]);
                return;
            }
        printf("ok\n");
    } else if (!strcmp(c, "snoop") && argc == 2) {
        /* A hostile mapper: looks through every memfd it holds for a page
         * filled with the byte, reading and writing beyond its mappings. */
        printf("ok %d\n", snoop((uint8_t)U(1)));
    } else if (!strcmp(c, "byte") && argc == 2) {
        printf("ok %u\n", region[U(1)]);
    } else if (!strcmp(c, "setbyte") && argc == 3) {
        region[U(1)] = (uint8_t)U(2);
        printf("ok\n");
    } else if (!strcmp(c, "poke") && argc == 2 && strchr("rwp", argv[1][0])) {
        /* poke r|w|p: a child reads or writes the last region's first byte,
         * or makes its page writable; the signal that ended it, else the
         * errno of mprotect, else 0 (after unmap, or on a read-only
         * mapping, each must fail) */
        pid_t k = fork();
        if (k == 0) {
            volatile uint8_t *b = region;
            if (argv[1][0] == 'r')
                (void)*b;
            else if (argv[1][0] == 'w')
                *b = 1;
            else if (mprotect(region, 4096, PROT_READ | PROT_WRITE) < 0)
                _exit(errno);
            _exit(0);
        }
        int st;
        if (k < 0 || waitpid(k, &st, 0) != k)
            return reply_err();
        printf("ok %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    } else if (!strcmp(c, "copyr") && argc == 5) {
        static uint8_t buf[4096];
        xengnttab_grant_copy_segment_t s = { .flags = GNTCOPY_source_gref, .len = (uint16_t)U(4) };
        s.source.foreign.domid = (uint16_t)U(1);
        s.source.foreign.ref = U(2);
        s.source.foreign.offset = (uint16_t)U(3);
        s.dest.virt = buf;
        if (need_gt() < 0 || xengnttab_grant_copy(gt, 1, &s) < 0)
            return reply_err();
        printf("ok %d %u\n", s.status, buf[0]);
    } else if (!strcmp(c, "copyw") && argc == 6) {
        static uint8_t buf[4096];
        memset(buf, (int)U(5), sizeof(buf));
        xengnttab_grant_copy_segment_t s = { .flags = GNTCOPY_dest_gref, .len = (uint16_t)U(4) };
        s.dest.foreign.domid = (uint16_t)U(1);
        s.dest.foreign.ref = U(2);
        s.dest.foreign.offset = (uint16_t)U(3);
        s.source.virt = buf;
        if (need_gt() < 0 || xengnttab_grant_copy(gt, 1, &s) < 0)
            return reply_err();
        printf("ok %d\n", s.status);
    } else if (!strcmp(c, "copybad") && argc == 3) {
        /* copybad D REF: one good segment writing 0x77 at offset 0 of the
         * grant, then one with no grant side (a local copy) */
        static uint8_t a[16], b[16];
        memset(a, 0x77, sizeof(a));
        xengnttab_grant_copy_segment_t s[2] = { { .flags = GNTCOPY_dest_gref, .len = 16 },
                                                { .flags = 0, .len = 16 } };
        s[0].source.virt = a;
        s[0].dest.foreign.domid = (uint16_t)U(1);
        s[0].dest.foreign.ref = U(2);
        s[1].source.virt = a;
        s[1].dest.virt = b;
        if (need_gt() < 0 || xengnttab_grant_copy(gt, 2, s) < 0)
            return reply_err();
        printf("ok %d %d\n", s[0].status, s[1].status);
    } else if (!strcmp(c, "copymany") && argc == 4) {
        /* copymany D REF N: N segments write byte (i & 0xff) at offset
         * 16*i of the page (16 bytes each), then N segments read them
         * back, in one call each */
        uint32_t n = U(3);
        static xengnttab_grant_copy_segment_t seg[2048];
        static uint8_t src[2048][16], dst[2048][16];
        if (n > 2048 || need_gt() < 0)
            return reply_err();
        for (uint32_t i = 0; i < n; i++) {
            memset(src[i], (int)(i & 0xff), 16);
            seg[i] = (xengnttab_grant_copy_segment_t){ .flags = GNTCOPY_dest_gref, .len = 16 };
            seg[i].source.virt = src[i];
            seg[i].dest.foreign.domid = (uint16_t)U(1);
            seg[i].dest.foreign.ref = U(2);
            seg[i].dest.foreign.offset = (uint16_t)((i * 16) % 4096);
        }
        if (xengnttab_grant_copy(gt, n, seg) < 0)
            return reply_err();
        for (uint32_t i = 0; i < n; i++) {
            if (seg[i].status != GNTST_okay) {
                printf("bad write %u %d\n", i, seg[i].status);
                return;
            }
            seg[i] = (xengnttab_grant_copy_segment_t){ .flags = GNTCOPY_source_gref, .len = 16 };
            seg[i].source.foreign.domid = (uint16_t)U(1);
            seg[i].source.foreign.ref = U(2);
            seg[i].source.foreign.offset = (uint16_t)((i * 16) % 4096);
            seg[i].dest.virt = dst[i];
        }
        if (xengnttab_grant_copy(gt, n, seg) < 0)
            return reply_err();
        /* the page holds the last write to each offset */
        for (uint32_t i = 0; i < n; i++) {
            uint32_t last = i;
            while (last + 256 < n)
                last += 256;
            if (seg[i].status != GNTST_okay || dst[i][0] != (uint8_t)(last & 0xff) ||
                dst[i][15] != (uint8_t)(last & 0xff)) {
                printf("bad read %u %d %u\n", i, seg[i].status, dst[i][0]);
                return;
            }
        }
        printf("ok\n");
    } else if (!strcmp(c, "bindu") && argc == 2) {
        if (need_ev() < 0)
            return reply_err();
        int p = xenevtchn_bind_unbound_port(ev, U(1));
        if (p < 0)
            return reply_err();
        printf("ok %d\n", p);
    } else if (!strcmp(c, "bindi") && argc == 3) {
        if (need_ev() < 0)
            return reply_err();
        int p = xenevtchn_bind_interdomain(ev, U(1), U(2));
        if (p < 0)
            return reply_err();
        printf("ok %d\n", p);
    } else if (!strcmp(c, "virq") && argc == 2) {
        if (need_ev() < 0)
            return reply_err();
        int p = xenevtchn_bind_virq(ev, U(1));
        if (p < 0)
            return reply_err();
        printf("ok %d\n", p);
    } else if (!strcmp(c, "unbind") && argc == 2) {
        if (need_ev() < 0 || xenevtchn_unbind(ev, U(1)) < 0)
            return reply_err();
        printf("ok\n");
    } else if (!strcmp(c, "restrict") && argc == 2) {
        if (need_ev() < 0 || xenevtchn_restrict(ev, (domid_t)U(1)) < 0)
            return reply_err();
        printf("ok\n");
    } else if (!strcmp(c, "notify") && argc == 2) {
        if (need_ev() < 0 || xenevtchn_notify(ev, U(1)) < 0)
            return reply_err();
        printf("ok\n");
    } else if (!strcmp(c, "wait") && argc == 1) {
        int p = need_ev() < 0 ? -1 : wait_event();
        if (p < 0)
            return reply_err();
        printf("ok %d\n", p);
    } else if (!strcmp(c, "ready") && argc <= 2) {
        /* ready [PORT]: poll the fd, unbind PORT, then take what was ready */
        if (need_ev() < 0)
            return reply_err();
        ready(argc == 2 ? (int)U(1) : 0);
    } else if (!strcmp(c, "pingpong") && argc == 4) {
        /* pingpong PORT COUNT FIRST: COUNT round trips */
        uint32_t port = U(1), n = U(2);
        if (need_ev() < 0)
            return reply_err();
        for (uint32_t i = 0; i < n; i++) {
            if (U(3) && xenevtchn_notify(ev, port) < 0)
                return reply_err();
            int got = wait_event();
            if (got < 0)
                return reply_err();
            if ((uint32_t)got != port) {
                printf("bad port %d\n", got);
                return;
            }
            if (!U(3) && xenevtchn_notify(ev, port) < 0)
                return reply_err();
        }
        printf("ok\n");
    } else if (!strcmp(c, "dmabuf") && argc == 1) {
        uint32_t fd, ref = 8;
        if (need_gt() < 0)
            return reply_err();
        if (xengnttab_dmabuf_exp_from_refs(gt, 0, 0, 1, &ref, &fd) == 0) {
            printf("bad succeeded\n");
            return;
        }
        reply_err();
    } else if (!strcmp(c, "saturate") && argc == 1) {
        /* a hostile owner fills every event counter it holds */
        int n = 0;
        if (need_ev() < 0)
            return reply_err();
        for (int fd = 3; fd < 1024; fd++) {
            char path[64], link[64];
            snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
            ssize_t k = readlink(path, link, sizeof(link) - 1);
            if (k <= 0)
                continue;
            link[k] = 0;
            /* event counters are pipes whose write end is non-blocking */
            int fl = fcntl(fd, F_GETFL);
            if (strncmp(link, "pipe:", 5) || fl < 0 || (fl & O_ACCMODE) != O_WRONLY ||
                !(fl & O_NONBLOCK))
                continue;
            static const char junk[4096];
            while (write(fd, junk, sizeof(junk)) > 0 || errno == EINTR)
                ;
            if (errno == EAGAIN)
                n++;
        }
        printf("ok %d\n", n);
    } else if (!strcmp(c, "pendingnb") && argc == 1) {
        /* xenevtchn_pending on a non-blocking fd with nothing pending */
        int fd = need_ev() < 0 ? -1 : xenevtchn_fd(ev);
        int fl = fd < 0 ? -1 : fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
            return reply_err();
        int p = xenevtchn_pending(ev);
        int e = errno;
        fcntl(fd, F_SETFL, fl);
        if (p >= 0) {
            printf("ok %d\n", p);
            return;
        }
        errno = e;
        reply_err();
    } else if (!strcmp(c, "close") && argc == 1) {
        xengnttab_close(gt);
        xengntshr_close(gs);
        xenevtchn_close(ev);
        gt = NULL, gs = NULL, ev = NULL;
        printf("ok\n");
    } else if (!strcmp(c, "pid") && argc == 1) {
        printf("ok %d\n", (int)getpid());
    } else if (!strcmp(c, "open") && argc == 1) {
        errno = 0;
        xenevtchn_handle *e = xenevtchn_open(NULL, 0);
        if (!e)
            return reply_err();
        xenevtchn_close(e);
        printf("ok\n");
    } else
        printf("err %d\n", EINVAL);
}

int main(void)
{
    char line[4096];
    setvbuf(stdout, NULL, _IOLBF, 0);
    while (fgets(line, sizeof(line), stdin)) {
        if (!strcmp(line, "exit\n"))
            break;
        command(line);
        fflush(stdout);
    }
    return 0;
}
