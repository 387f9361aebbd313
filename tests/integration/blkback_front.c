/*
 * blkback_front.c — a minimal blkif frontend for blkback's integration
 * tests, written straight on libxengnttab (gntshr), libxenevtchn and
 * libxenstore, run as domain 1 by `splitbed exec`.  Unlike blkfront it
 * can break rules on purpose, and it never reconnects on its own: a
 * restarted backend must re-attach to its ring, as Linux blkfront expects.
 *
 *   blkback-front io [--order N]         negotiate, write/read/flush/discard/indirect, verify
 *   blkback-front flushloop N            N 4 KiB writes, a flush every 8; prints
 *                                        "flushed K" when writes 0..K-1 are flushed
 *   blkback-front bad-segment|overflow|bad-op|segs12
 *                                        one malicious request, then wait for Closing
 *
 * Prints one result line; exit 0 on the expected outcome, 1 otherwise.
 */
#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

#include "backends-sim/blkback/blkif_proto.h"
#include <xen/io/protocols.h>
#include <xen/io/xenbus.h>

#define DEV 51712
#define NDATA 80
#define TIMEOUT_MS 30000

static struct xs_handle *xs;
static xenevtchn_handle *xce;
static xengntshr_handle *xgs;
static evtchn_port_t port;
static blkif_front_ring_t ring;
static char fe[128], be[128];
static uint8_t *data; /* NDATA shared pages */
static uint32_t data_refs[NDATA];
static unsigned order_used;

static void die(const char *what)
{
    printf("error: %s: %s\n", what, strerror(errno));
    fflush(stdout);
    exit(1);
}

static long rd_num(const char *dir, const char *key, long dflt)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, key);
    unsigned len;
    char *s = xs_read(xs, XBT_NULL, path, &len);
    if (!s)
        return dflt;
    long v = strtol(s, NULL, 10);
    free(s);
    return v;
}

__attribute__((format(printf, 3, 4))) static void wr(xs_transaction_t t, const char *key,
                                                     const char *fmt, ...)
{
    char path[256], val[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    snprintf(path, sizeof(path), "%s/%s", fe, key);
    if (!xs_write(xs, t, path, val, (unsigned)strlen(val)))
        die(path);
}

/* Waits (on xenstore watch events) until pred(backend state) holds. */
static int wait_backend(bool (*pred)(long))
{
    char path[256];
    snprintf(path, sizeof(path), "%s/state", be);
    for (;;) {
        long st = rd_num(be, "state", 0);
        if (pred(st))
            return (int)st;
        struct pollfd p = { .fd = xs_fileno(xs), .events = POLLIN };
        if (poll(&p, 1, TIMEOUT_MS) <= 0) {
            printf("timeout: backend state stays %ld\n", st);
            exit(1);
        }
        unsigned n;
        char **v = xs_read_watch(xs, &n);
        free(v);
    }
}

static bool ready(long st)
{
    return st == XenbusStateInitWait || st == XenbusStateConnected;
}
static bool connected(long st)
{
    return st == XenbusStateConnected;
}
static bool closing(long st)
{
    return st == XenbusStateClosing || st == XenbusStateClosed;
}

static void kick(void)
{
    int notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&ring, notify);
    /* A dead backend leaves the port unbound; the event is lost, as on
     * Xen, and the restarted backend looks at the ring anyway. */
    if (notify)
        xenevtchn_notify(xce, port);
}

static uint8_t *mem; /* two rings, then the data pages */
static uint32_t mem_refs[2 * 16 + NDATA];
static unsigned ring_pages, ring_slot;
static bool backend_left;

/* Publishes ring `slot` (fresh) and a fresh event channel, then waits for
 * the backend to connect. */
static void publish_ring(int want_order)
{
    blkif_sring_t *sring = (blkif_sring_t *)(mem + (size_t)ring_slot * ring_pages * 4096);
    memset(sring, 0, (size_t)ring_pages * 4096);
    SHARED_RING_INIT(sring);
    FRONT_RING_INIT(&ring, sring, 4096u * ring_pages);
    const uint32_t *refs = mem_refs + ring_slot * ring_pages;
    if (port)
        xenevtchn_unbind(xce, port);
    xenevtchn_port_or_error_t p = xenevtchn_bind_unbound_port(xce, 0);
    if (p < 0)
        die("evtchn");
    port = (evtchn_port_t)p;
    for (;;) {
        xs_transaction_t t = xs_transaction_start(xs);
        if (want_order < 0) {
            wr(t, "ring-ref", "%u", refs[0]);
        } else {
            wr(t, "ring-page-order", "%u", order_used);
            for (unsigned i = 0; i < ring_pages; i++) {
                char key[32];
                snprintf(key, sizeof(key), "ring-ref%u", i);
                wr(t, key, "%u", refs[i]);
            }
        }
        wr(t, "event-channel", "%u", port);
        wr(t, "protocol", "%s", XEN_IO_PROTO_ABI_NATIVE);
        wr(t, "feature-persistent", "1");
        wr(t, "state", "%d", XenbusStateInitialised);
        if (xs_transaction_end(xs, t, false))
            break;
        if (errno != EAGAIN)
            die("transaction");
    }
    wait_backend(connected);
    wr(XBT_NULL, "state", "%d", XenbusStateConnected);
    backend_left = false;
}

static int order_wanted;

static void connect_ring(int want_order)
{
    if (!xs_watch(xs, be, "be"))
        die("watch backend");
    /* the backend path is watched as a whole: state and features */
    wait_backend(ready);
    long max = rd_num(be, "max-ring-page-order", -1);
    int order = want_order < 0 ? 0 : want_order;
    if (order > max)
        order = max < 0 ? 0 : (int)max;
    order_used = (unsigned)order;
    order_wanted = want_order;
    ring_pages = 1u << order;
    /* One share for everything: two rings (the second for a reconnect)
     * and the data pages. */
    mem = xengntshr_share_pages(xgs, 0, (int)(2 * ring_pages + NDATA), mem_refs, 1);
    if (!mem)
        die("share ring and data pages");
    data = mem + (size_t)2 * ring_pages * 4096;
    memcpy(data_refs, mem_refs + 2 * ring_pages, sizeof(data_refs));
    publish_ring(want_order);
}

static bool ready_or_closing(long st)
{
    return ready(st) || closing(st);
}
static bool closed(long st)
{
    return st == XenbusStateClosed;
}

/* The backend went away and came back.  A new process closes the old
 * connection first (Closing), as a frontend sees any backend leave:
 * answer Closed, start again from Initialising, then publish the other
 * ring; the caller re-issues what was in flight. */
static void reconnect(void)
{
    if (closing(wait_backend(ready_or_closing))) {
        wr(XBT_NULL, "state", "%d", XenbusStateClosed);
        wait_backend(closed);
        wr(XBT_NULL, "state", "%d", XenbusStateInitialising);
        wait_backend(ready);
    }
    ring_slot ^= 1;
    publish_ring(order_wanted);
    printf("reconnected\n");
}

/* Waits for one response; a hang guard only.  Returns false on timeout
 * or, setting backend_left, when the backend leaves Connected. */
static bool response(blkif_response_t *rsp, int timeout_ms)
{
    for (;;) {
        if (RING_HAS_UNCONSUMED_RESPONSES(&ring)) {
            RING_COPY_RESPONSE(&ring, ring.rsp_cons, rsp);
            ring.rsp_cons++;
            return true;
        }
        int more;
        RING_FINAL_CHECK_FOR_RESPONSES(&ring, more);
        if (more)
            continue;
        struct pollfd p[2] = { { .fd = xenevtchn_fd(xce), .events = POLLIN },
                               { .fd = xs_fileno(xs), .events = POLLIN } };
        if (poll(p, 2, timeout_ms) <= 0)
            return false;
        if (p[0].revents & POLLIN) {
            xenevtchn_port_or_error_t got = xenevtchn_pending(xce);
            if (got >= 0)
                xenevtchn_unmask(xce, (evtchn_port_t)got);
        }
        if (p[1].revents & POLLIN) {
            unsigned n;
            free(xs_read_watch(xs, &n));
            if (rd_num(be, "state", 0) != XenbusStateConnected) {
                backend_left = true;
                return false;
            }
        }
    }
}

static void queue_rw(uint8_t op, uint64_t id, uint64_t sector, unsigned nseg, unsigned page0)
{
    blkif_request_t *req = RING_GET_REQUEST(&ring, ring.req_prod_pvt++);
    memset(req, 0, sizeof(*req));
    req->operation = op;
    req->nr_segments = (uint8_t)nseg;
    req->handle = DEV;
    req->id = id;
    req->sector_number = sector;
    for (unsigned i = 0; i < nseg && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++)
        req->seg[i] = (struct blkif_request_segment){ .gref = data_refs[(page0 + i) % NDATA],
                                                      .first_sect = 0,
                                                      .last_sect = 7 };
}

static int16_t sync_status(uint64_t id)
{
    kick();
    blkif_response_t rsp;
    if (!response(&rsp, TIMEOUT_MS)) {
        printf("timeout: no response to request %llu\n", (unsigned long long)id);
        exit(1);
    }
    if (rsp.id != id) {
        printf("error: response id %llu, want %llu\n", (unsigned long long)rsp.id,
               (unsigned long long)id);
        exit(1);
    }
    return rsp.status;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed * 13u + i * 7u + (i >> 12));
}

static void check(bool ok, const char *what)
{
    if (!ok) {
        printf("error: %s\n", what);
        exit(1);
    }
}

static int scenario_io(int want_order)
{
    connect_ring(want_order);
    long sectors = rd_num(be, "sectors", 0), ssize = rd_num(be, "sector-size", 512);
    long indirect = rd_num(be, "feature-max-indirect-segments", 0);
    check(sectors >= 2048, "sectors");
    unsigned step = (unsigned)(ssize / 512);
    /* 11 pages direct, then read back into other pages. */
    fill(data, 11 * 4096, 1);
    queue_rw(BLKIF_OP_WRITE, 1, 8 * step, 11, 0);
    check(sync_status(1) == BLKIF_RSP_OKAY, "write");
    queue_rw(BLKIF_OP_READ, 2, 8 * step, 11, 20);
    check(sync_status(2) == BLKIF_RSP_OKAY, "read");
    check(!memcmp(data, data + 20 * 4096, 11 * 4096), "read back differs");
    /* flush */
    queue_rw(BLKIF_OP_FLUSH_DISKCACHE, 3, 0, 0, 0);
    int16_t fs = sync_status(3);
    check(fs == (rd_num(be, "feature-flush-cache", 0) ? BLKIF_RSP_OKAY : BLKIF_RSP_EOPNOTSUPP),
          "flush status");
    /* indirect: 40 pages through one indirect page */
    if (indirect >= 40) {
        struct blkif_request_segment *segs = (void *)(data + 79 * 4096);
        fill(data + 0, 40 * 4096, 2);
        for (unsigned i = 0; i < 40; i++)
            segs[i] = (struct blkif_request_segment){ .gref = data_refs[i],
                                                      .first_sect = 0,
                                                      .last_sect = 7 };
        blkif_request_indirect_t *ind = (void *)RING_GET_REQUEST(&ring, ring.req_prod_pvt++);
        memset(ind, 0, sizeof(*ind));
        ind->operation = BLKIF_OP_INDIRECT;
        ind->indirect_op = BLKIF_OP_WRITE;
        ind->nr_segments = 40;
        ind->id = 4;
        ind->sector_number = 1024;
        ind->handle = DEV;
        ind->indirect_grefs[0] = data_refs[79];
        check(sync_status(4) == BLKIF_RSP_OKAY, "indirect write");
        for (unsigned i = 0; i < 40; i++)
            segs[i].gref = data_refs[40 + i];
        ind = (void *)RING_GET_REQUEST(&ring, ring.req_prod_pvt++);
        memset(ind, 0, sizeof(*ind));
        ind->operation = BLKIF_OP_INDIRECT;
        ind->indirect_op = BLKIF_OP_READ;
        ind->nr_segments = 40;
        ind->id = 5;
        ind->sector_number = 1024;
        ind->handle = DEV;
        ind->indirect_grefs[0] = data_refs[79];
        check(sync_status(5) == BLKIF_RSP_OKAY, "indirect read");
        check(!memcmp(data, data + 40 * 4096, 40 * 4096), "indirect read back differs");
    }
    /* Many requests at once: more than one ring page holds when multi-page. */
    unsigned n = RING_SIZE(&ring);
    for (unsigned i = 0; i < n; i++)
        queue_rw(BLKIF_OP_READ, 100 + i, (uint64_t)(i % 64) * 8 * step, 1, i % 60);
    kick();
    for (unsigned i = 0; i < n; i++) {
        blkif_response_t rsp;
        check(response(&rsp, TIMEOUT_MS), "queued read timed out");
        check(rsp.id == 100 + i && rsp.status == BLKIF_RSP_OKAY, "queued read");
    }
    printf("ok order %u slots %u sectors %ld sector-size %ld indirect %ld\n", order_used, n,
           sectors, ssize, indirect);
    return 0;
}

static int scenario_flushloop(unsigned total)
{
    connect_ring(0);
    unsigned done = 0;
    while (done < total) {
        /* Eight writes in flight, then a flush covering them.  If the
         * backend restarts meanwhile, reconnect and redo the batch: the
         * writes are idempotent and none of them was reported flushed. */
        unsigned batch = total - done < 8 ? total - done : 8;
        for (unsigned k = 0; k < batch; k++) {
            unsigned i = done + k;
            fill(data + (size_t)(i % 64) * 4096, 4096, i);
            queue_rw(BLKIF_OP_WRITE, i, (uint64_t)i * 8, 1, i % 64);
        }
        queue_rw(BLKIF_OP_FLUSH_DISKCACHE, 1000000 + done, 0, 0, 0);
        kick();
        bool ok = true;
        for (unsigned k = 0; k <= batch && ok; k++) {
            blkif_response_t rsp;
            if (!response(&rsp, TIMEOUT_MS)) {
                check(backend_left, "response timed out");
                ok = false;
                break;
            }
            check(rsp.status == BLKIF_RSP_OKAY, k < batch ? "write failed" : "flush failed");
            /* The flush is the last request of the batch: its response
             * comes after every write's. */
            check(k < batch || rsp.id == 1000000 + done, "flush answered before its writes");
        }
        if (!ok) {
            reconnect();
            continue;
        }
        done += batch;
        printf("flushed %u\n", done);
    }
    printf("done %u\n", done);
    return 0;
}

static int scenario_evil(const char *what)
{
    connect_ring(0);
    if (!strcmp(what, "overflow")) {
        ring.sring->req_prod = ring.req_prod_pvt + RING_SIZE(&ring) + 5;
        xenevtchn_notify(xce, port);
    } else {
        queue_rw(BLKIF_OP_READ, 7, 0, 1, 0);
        blkif_request_t *req = RING_GET_REQUEST(&ring, ring.req_prod_pvt - 1);
        if (!strcmp(what, "bad-segment"))
            req->seg[0].last_sect = 8;
        else if (!strcmp(what, "bad-op"))
            req->operation = 99;
        else if (!strcmp(what, "segs12"))
            req->nr_segments = 12;
        else {
            printf("error: unknown scenario %s\n", what);
            return 2;
        }
        kick();
        blkif_response_t rsp;
        if (response(&rsp, TIMEOUT_MS))
            printf("response %d\n", rsp.status);
    }
    int st = wait_backend(closing);
    printf("cut off: backend state %d\n", st);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* `splitbed run -q` passes -q on to the app: nothing to quieten here. */
    int k = 1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-q") && strcmp(argv[i], "--quiet"))
            argv[k++] = argv[i];
    argc = k;
    if (argc < 2) {
        fprintf(stderr, "usage: blkback-front io [--order N] | flushloop N | bad-segment | "
                        "overflow | bad-op | segs12\n");
        return 2;
    }
    const char *dom = getenv("SPLITBED_DOMID");
    snprintf(fe, sizeof(fe), "/local/domain/%s/device/vbd/%d", dom ? dom : "1", DEV);
    xs = xs_open(0);
    xce = xenevtchn_open(NULL, 0);
    xgs = xengntshr_open(NULL, 0);
    if (!xs || !xce || !xgs)
        die("open");
    char path[160];
    snprintf(path, sizeof(path), "%s/backend", fe);
    unsigned len;
    char *b = xs_read(xs, XBT_NULL, path, &len);
    if (!b)
        die(path);
    snprintf(be, sizeof(be), "%s", b);
    free(b);
    if (!strcmp(argv[1], "io")) {
        int order = -1;
        if (argc == 4 && !strcmp(argv[2], "--order"))
            order = atoi(argv[3]);
        return scenario_io(order);
    }
    if (!strcmp(argv[1], "flushloop") && argc == 3)
        return scenario_flushloop((unsigned)atoi(argv[2]));
    return scenario_evil(argv[1]);
}
