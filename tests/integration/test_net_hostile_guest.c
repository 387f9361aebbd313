/*
 * A hostile network guest, for test_net_hostile: it negotiates a vif over
 * the real Xen userspace libraries like any frontend, then puts a tx
 * request on the ring whose data leaves its page (offset 4000, size 200)
 * and waits to be cut off.  Prints the backend's `error` node and exits 0
 * once the backend is Closing; 1 if that does not happen.
 *
 *   test_net_hostile_guest DEVICE   (e.g. device/vif/0)
 */
#include "frontends/xen_public.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

#include <xen/io/netif.h>
#include <xen/io/xenbus.h>

static struct xs_handle *xs;

static char *rd(const char *dir, const char *key)
{
    char path[256];
    unsigned len;
    snprintf(path, sizeof path, "%s/%s", dir, key);
    return xs_read(xs, XBT_NULL, path, &len);
}

static void wr(const char *dir, const char *key, unsigned v)
{
    char path[256], val[16];
    snprintf(path, sizeof path, "%s/%s", dir, key);
    snprintf(val, sizeof val, "%u", v);
    if (!xs_write(xs, XBT_NULL, path, val, (unsigned)strlen(val))) {
        fprintf(stderr, "hostile guest: cannot write %s\n", path);
        exit(1);
    }
}

/* Blocks on the watch until the backend's state is `want`. */
static void wait_state(const char *be, int want)
{
    char path[256];
    snprintf(path, sizeof path, "%s/state", be);
    for (;;) {
        char *v = rd(be, "state");
        int st = v ? atoi(v) : -1;
        free(v);
        if (st == want)
            return;
        unsigned n;
        char **w = xs_read_watch(xs, &n);
        if (!w) {
            fprintf(stderr, "hostile guest: lost xenstore waiting for state %d\n", want);
            exit(1);
        }
        free(w);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_net_hostile_guest DEVICE\n");
        return 2;
    }
    const char *dev = argv[1];
    xengntshr_handle *gs = xengntshr_open(NULL, 0);
    xenevtchn_handle *ev = xenevtchn_open(NULL, 0);
    xs = xs_open(0);
    if (!gs || !ev || !xs) {
        fprintf(stderr, "hostile guest: cannot open the Xen devices: %s\n", strerror(errno));
        return 1;
    }
    char *be = rd(dev, "backend"), *beid = rd(dev, "backend-id");
    if (!be || !beid) {
        fprintf(stderr, "hostile guest: %s has no backend\n", dev);
        return 1;
    }
    uint32_t bdom = (uint32_t)atoi(beid);
    char state_path[256];
    snprintf(state_path, sizeof state_path, "%s/state", be);
    xs_watch(xs, state_path, "be");
    wait_state(be, XenbusStateInitWait);

    uint32_t refs[3];
    uint8_t *pages = xengntshr_share_pages(gs, bdom, 3, refs, 1);
    if (!pages) {
        fprintf(stderr, "hostile guest: cannot share pages: %s\n", strerror(errno));
        return 1;
    }
    netif_tx_sring_t *tx = (netif_tx_sring_t *)pages;
    netif_rx_sring_t *rx = (netif_rx_sring_t *)(pages + 4096);
    SHARED_RING_INIT(tx);
    SHARED_RING_INIT(rx);
    int port = xenevtchn_bind_unbound_port(ev, bdom);
    if (port < 0) {
        fprintf(stderr, "hostile guest: no event channel: %s\n", strerror(errno));
        return 1;
    }
    wr(dev, "tx-ring-ref", refs[0]);
    wr(dev, "rx-ring-ref", refs[1]);
    wr(dev, "event-channel", (unsigned)port);
    wr(dev, "request-rx-copy", 1);
    wr(dev, "feature-rx-notify", 1);
    wr(dev, "state", XenbusStateConnected);
    wait_state(be, XenbusStateConnected);

    /* The attack: a request whose data leaves its page. */
    netif_tx_request_t *req = &tx->ring[0].req;
    req->gref = refs[2];
    req->offset = 4000;
    req->size = 200;
    req->flags = 0;
    req->id = 0;
    xen_wmb();
    tx->req_prod = 1;
    xen_mb();
    xenevtchn_notify(ev, (evtchn_port_t)port);

    wait_state(be, XenbusStateClosing);
    char *err = rd(be, "error");
    printf("cut off: %s\n", err ? err : "(no error node)");
    free(err);
    wr(dev, "state", XenbusStateClosed);
    xs_unwatch(xs, state_path, "be");
    xenevtchn_unbind(ev, (evtchn_port_t)port);
    xengntshr_unshare(gs, pages, 3);
    xenevtchn_close(ev);
    xengntshr_close(gs);
    xs_close(xs);
    free(be);
    free(beid);
    return 0;
}
