/*
 * xsref_shim.c — an LD_PRELOAD library under which Debian's C xenstored
 * (xen-utils-4.17) runs as a plain process with no hypervisor, serving
 * only its Unix socket, so tests can compare splitbed-xenstored with it.
 *
 * The daemon reaches Xen through libxenctrl, libxenevtchn, libxengnttab
 * and two files under /proc/xen; their symbols are defined here first:
 *
 *  - handles are dummies; the event channel fd is a pipe nobody writes,
 *    so no ring kick and no VIRQ_DOM_EXC ever arrives;
 *  - a domain exists when its id is below XSREF_DOMID_LIMIT (default
 *    DOMID_FIRST_RESERVED): splitbed-xenstored does not ask the
 *    hypervisor, and takes every such id as existing too;
 *  - a ring page is fresh zeroed memory, so an introduced domain never
 *    speaks on it and every client is a socket client (dom0);
 *  - /proc/xen/xsd_kva and /proc/xen/xsd_port open files in XSREF_DIR;
 *  - when listen() on the socket succeeds, "ready" goes to the fd named by
 *    XSREF_READY_FD, which is then closed: the caller waits on it instead
 *    of polling the socket.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenevtchn.h>
#include <xengnttab.h>

#define PAGE 4096

static bool exists(uint32_t domid)
{
    const char *s = getenv("XSREF_DOMID_LIMIT");
    unsigned long limit = s ? strtoul(s, NULL, 0) : DOMID_FIRST_RESERVED;
    return domid < limit;
}

struct dummy {
    int rfd, wfd;
};

static void *dummy_new(void)
{
    struct dummy *d = calloc(1, sizeof(*d));
    int p[2];

    if (!d || pipe(p) != 0) {
        free(d);
        return NULL;
    }
    d->rfd = p[0];
    d->wfd = p[1];
    return d;
}

static int dummy_free(void *h)
{
    struct dummy *d = h;

    if (d) {
        close(d->rfd);
        close(d->wfd);
        free(d);
    }
    return 0;
}

xc_interface *xc_interface_open(xentoollog_logger *l, xentoollog_logger *dl, unsigned flags)
{
    return dummy_new();
}

int xc_interface_close(xc_interface *xch)
{
    return dummy_free(xch);
}

int xc_domain_getinfo(xc_interface *xch, uint32_t first, unsigned int max, xc_dominfo_t *info)
{
    unsigned int n = 0;

    for (uint32_t d = first; n < max && exists(d); d++, n++) {
        memset(&info[n], 0, sizeof(info[n]));
        info[n].domid = d;
        info[n].running = 1;
        info[n].nr_online_vcpus = 1;
    }
    return (int)n;
}

xengnttab_handle *xengnttab_open(struct xentoollog_logger *l, unsigned flags)
{
    return dummy_new();
}

int xengnttab_close(xengnttab_handle *h)
{
    return dummy_free(h);
}

int xengnttab_set_max_grants(xengnttab_handle *h, uint32_t n)
{
    return 0;
}

void *xengnttab_map_grant_ref(xengnttab_handle *h, uint32_t domid, uint32_t ref, int prot)
{
    void *p;

    if (!exists(domid)) {
        errno = ESRCH;
        return NULL;
    }
    p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

int xengnttab_unmap(xengnttab_handle *h, void *addr, uint32_t count)
{
    return munmap(addr, (size_t)PAGE * count);
}

static int next_port = 10;

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *l, unsigned flags)
{
    return dummy_new();
}

xenevtchn_handle *xenevtchn_fdopen(struct xentoollog_logger *l, int fd, unsigned flags)
{
    return dummy_new();
}

int xenevtchn_close(xenevtchn_handle *h)
{
    return dummy_free(h);
}

int xenevtchn_fd(xenevtchn_handle *h)
{
    return ((struct dummy *)h)->rfd;
}

int xenevtchn_notify(xenevtchn_handle *h, evtchn_port_t port)
{
    return 0;
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *h, uint32_t domid,
                                                     evtchn_port_t remote)
{
    if (!exists(domid)) {
        errno = ESRCH;
        return -1;
    }
    return next_port++;
}

xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *h, unsigned int virq)
{
    return next_port++;
}

int xenevtchn_unbind(xenevtchn_handle *h, evtchn_port_t port)
{
    return 0;
}

xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *h)
{
    errno = EAGAIN;
    return -1;
}

int xenevtchn_unmask(xenevtchn_handle *h, evtchn_port_t port)
{
    return 0;
}

/* /proc/xen/xsd_{kva,port} -> $XSREF_DIR/xsd_{kva,port} */
static const char *redirect(const char *path, char *buf, size_t size)
{
    const char *dir = getenv("XSREF_DIR");

    if (!dir || !path || strncmp(path, "/proc/xen/xsd_", 14) != 0)
        return path;
    snprintf(buf, size, "%s/%s", dir, path + 10);
    return buf;
}

static int open_via(const char *sym, const char *path, int flags, mode_t mode)
{
    int (*real)(const char *, int, ...);
    char buf[4096];

    *(void **)&real = dlsym(RTLD_NEXT, sym);
    return real(redirect(path, buf, sizeof(buf)), flags, mode);
}

int open(const char *path, int flags, ...)
{
    mode_t mode = 0;

    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    return open_via("open", path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    mode_t mode = 0;

    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    return open_via("open64", path, flags, mode);
}

int listen(int fd, int backlog)
{
    int (*real)(int, int);
    const char *s = getenv("XSREF_READY_FD");
    int rc;

    *(void **)&real = dlsym(RTLD_NEXT, "listen");
    rc = real(fd, backlog);
    if (rc == 0 && s) {
        int rfd = atoi(s);
        if (write(rfd, "ready\n", 6) != 6)
            rc = -1;
        close(rfd);
        unsetenv("XSREF_READY_FD");
    }
    return rc;
}
