/*
 * xencall.c — the drop-in libxencall.so.1: Debian's libxenctrl reaches
 * Xen through it.  A hypercall is one request to splitbed-hvd naming the
 * op and its five arguments; arguments that point to memory point into
 * the handle's arena, a memfd the daemon maps too (wire.h), from which
 * every hypercall buffer is carved, so the daemon reads and writes the
 * caller's structures in place as Xen does.  The return value is the
 * hypercall's: a negative one becomes -1 with errno, as privcmd's ioctl
 * gives it.
 */
#include "backends-sim/libxen/client.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xencall.h>

#define NPAGES (HVW_CALL_ARENA / HVW_PAGE_SIZE)

struct xencall_handle {
    struct hvclient cl;
    char *arena;
    uint32_t run[NPAGES]; /* pages of the buffer starting here; 0: none */
    bool used[NPAGES];
};

xencall_handle *xencall_open(struct xentoollog_logger *logger, unsigned open_flags)
{
    xencall_handle *h = calloc(1, sizeof(*h));
    if (!h) {
        errno = ENOMEM;
        return NULL;
    }
    struct hvw_hello_rep rep;
    int fd = -1;
    unsigned nfds = 1;
    if (hvclient_open(&h->cl, HVW_KIND_XENCALL, "xencall", logger, &rep, &fd, &nfds) < 0) {
        int e = errno;
        free(h);
        errno = e;
        return NULL;
    }
    void *a = MAP_FAILED;
    if (nfds == 1)
        a = mmap(NULL, HVW_CALL_ARENA, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (nfds == 1)
        close(fd);
    if (a == MAP_FAILED) {
        hvclient_log(logger, "xencall", EPROTO, "splitbed-hvd sent no hypercall buffer arena");
        hvclient_close(&h->cl);
        free(h);
        errno = EPROTO;
        return NULL;
    }
    h->arena = a;
    return h;
}

int xencall_close(xencall_handle *h)
{
    if (!h)
        return 0;
    munmap(h->arena, HVW_CALL_ARENA);
    hvclient_close(&h->cl);
    free(h);
    return 0;
}

int xencall_fd(xencall_handle *h)
{
    return h->cl.sock;
}

int xencall_buffers_never_fault(xencall_handle *h)
{
    return 1;
}

static long call(xencall_handle *h, unsigned op, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                 uint64_t a5)
{
    struct hvw_call req = {
        .base = (uint64_t)(uintptr_t)h->arena,
        .op = op,
        .arg = { a1, a2, a3, a4, a5 },
    };
    struct hvw_call_rep rep;
    pthread_mutex_lock(&h->cl.lock);
    ssize_t n = hvclient_call(&h->cl, HVW_CALL, &req, sizeof(req), &rep, sizeof(rep), NULL, NULL);
    pthread_mutex_unlock(&h->cl.lock);
    if (n < 0)
        return -1;
    if (n != (ssize_t)sizeof(rep)) {
        errno = EPROTO;
        return -1;
    }
    if (rep.ret < 0) {
        errno = (int)-rep.ret;
        return -1;
    }
    return (long)rep.ret;
}

int xencall0(xencall_handle *h, unsigned int op)
{
    return (int)call(h, op, 0, 0, 0, 0, 0);
}

int xencall1(xencall_handle *h, unsigned int op, uint64_t arg1)
{
    return (int)call(h, op, arg1, 0, 0, 0, 0);
}

int xencall2(xencall_handle *h, unsigned int op, uint64_t arg1, uint64_t arg2)
{
    return (int)call(h, op, arg1, arg2, 0, 0, 0);
}

long xencall2L(xencall_handle *h, unsigned int op, uint64_t arg1, uint64_t arg2)
{
    return call(h, op, arg1, arg2, 0, 0, 0);
}

int xencall3(xencall_handle *h, unsigned int op, uint64_t arg1, uint64_t arg2, uint64_t arg3)
{
    return (int)call(h, op, arg1, arg2, arg3, 0, 0);
}

int xencall4(xencall_handle *h, unsigned int op, uint64_t arg1, uint64_t arg2, uint64_t arg3,
             uint64_t arg4)
{
    return (int)call(h, op, arg1, arg2, arg3, arg4, 0);
}

int xencall5(xencall_handle *h, unsigned int op, uint64_t arg1, uint64_t arg2, uint64_t arg3,
             uint64_t arg4, uint64_t arg5)
{
    return (int)call(h, op, arg1, arg2, arg3, arg4, arg5);
}

/* First fit over the arena's pages. */
void *xencall_alloc_buffer_pages(xencall_handle *h, size_t nr_pages)
{
    if (nr_pages == 0 || nr_pages > NPAGES) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = NULL;
    pthread_mutex_lock(&h->cl.lock);
    for (size_t i = 0, free_run = 0; i < NPAGES; i++) {
        free_run = h->used[i] ? 0 : free_run + 1;
        if (free_run == nr_pages) {
            size_t first = i + 1 - nr_pages;
            for (size_t k = first; k <= i; k++)
                h->used[k] = true;
            h->run[first] = (uint32_t)nr_pages;
            p = h->arena + first * HVW_PAGE_SIZE;
            break;
        }
    }
    pthread_mutex_unlock(&h->cl.lock);
    if (!p) {
        hvclient_log(h->cl.log, "xencall", ENOMEM,
                     "hypercall buffer of %zu pages does not fit the %u-page arena", nr_pages,
                     NPAGES);
        errno = ENOMEM;
        return NULL;
    }
    memset(p, 0, nr_pages * HVW_PAGE_SIZE);
    return p;
}

void xencall_free_buffer_pages(xencall_handle *h, void *p, size_t nr_pages)
{
    if (!p)
        return;
    size_t first = (size_t)((char *)p - h->arena) / HVW_PAGE_SIZE;
    if ((char *)p < h->arena || first >= NPAGES)
        return;
    pthread_mutex_lock(&h->cl.lock);
    for (size_t k = first; k < first + nr_pages && k < NPAGES; k++)
        h->used[k] = false;
    h->run[first] = 0;
    pthread_mutex_unlock(&h->cl.lock);
}

void *xencall_alloc_buffer(xencall_handle *h, size_t size)
{
    return xencall_alloc_buffer_pages(h, (size + HVW_PAGE_SIZE - 1) / HVW_PAGE_SIZE);
}

void xencall_free_buffer(xencall_handle *h, void *p)
{
    if (!p)
        return;
    size_t first = (size_t)((char *)p - h->arena) / HVW_PAGE_SIZE;
    if ((char *)p < h->arena || first >= NPAGES)
        return;
    xencall_free_buffer_pages(h, p, h->run[first]);
}
