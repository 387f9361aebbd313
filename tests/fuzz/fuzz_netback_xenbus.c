/*
 * fuzz_netback_xenbus — netback's xenbus side (nb_vif) facing a frontend
 * that writes anything into its xenstore directory, in any order: ring
 * references, event channels (one or split), queue counts and per-queue
 * directories, request-rx-copy, feature-* flags and state moves.  Also a
 * toolstack that rewrites or removes the backend directory, and a
 * backend restarted on whatever is there.  netback must connect, or cut
 * the frontend off with an error node, and never crash; while connected
 * it says Connected, runs between one and the offered number of queues
 * and holds exactly two ring pages per queue; disconnected, it holds
 * none; freed, it leaves nothing mapped.
 *
 * The frontend (domain 1) has shared eight pages (grant refs 8..15) and
 * allocated four unbound event channels (ports 1..4) before the input
 * starts, so that the values the input writes can name real ones.
 *
 * Input: byte 0 sets what netback offers: bits 0-1 the queues (1, 2, 4,
 * 8), bit 2 no split event channels, bit 3 no feature-sg, bit 4 no GSO.
 * Then lines, each one step, after which netback reads the watch events
 * it was sent:
 *   KEY=VALUE     the frontend writes its KEY (e.g. state, queue-1/tx-ring-ref)
 *   -KEY          the frontend removes KEY
 *   !be:KEY=VALUE the toolstack writes the backend's KEY (not state)
 *   !tx !rx       netback serves its tx rings / sends the guest a frame
 *   !rxb !flush   netback adds a frame to its rx batch / flushes the batch
 *   !bad          the frontend puts a producer index far ahead on every
 *                 page it shared (so on whichever rings netback mapped)
 *   !close        netback wants to end (nb_vif_close)
 *   !destroy      the toolstack removes the backend directory
 *   !restart      the backend process is replaced by a new one
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/test_net_host.h"
#include "backends-sim/netback/nb_vif.h"
#include "tests/fuzz/xenbus_input.h"

#define MAX_STEPS 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(void *arg, const char *line)
{
    (void)arg;
    (void)line;
}

static void die(const char *what)
{
    fprintf(stderr, "fuzz_netback_xenbus: %s\n", what);
    abort();
}

static void deliver(void *arg, struct nb_queue *q, const uint8_t *frame, size_t len,
                    const struct nb_meta *meta)
{
    (void)arg;
    (void)q;
    (void)frame;
    (void)len;
    (void)meta;
}

/* What must hold between steps.  `closing`: netback was told to end, and
 * may keep serving while it says Closing. */
static void check(struct os *os, struct nb_vif *v, const struct nb_vif_opts *o, bool closing)
{
    const char *st = tnh_read(os, TNH_BE "/state");
    if (st && (strlen(st) != 1 || st[0] < '1' || st[0] > '6'))
        die("the backend wrote a state that is not one");
    if (!v)
        return;
    uint8_t mac[6];
    nb_vif_mac(v, mac);
    if (nb_vif_frontend_id(v) >= DOMID_FIRST_RESERVED || strcmp(nb_vif_path(v), TNH_BE) != 0)
        die("the vif's frontend id or path is not the toolstack's");
    for (unsigned i = 0; i < NB_MAX_QUEUES; i++) {
        struct nb_queue *q = nb_vif_queue(v, i);
        if (q && (!nb_vif_has_port(v, q->port_tx) || !nb_vif_has_port(v, q->port_rx)))
            die("a queue's ports are not the vif's");
    }
    (void)nb_vif_done(v); /* its owner's business: may stay set over a reconnect */
    if (nb_vif_connected(v)) {
        unsigned nq = nb_vif_num_queues(v);
        /* No state node: the toolstack removed the directory. */
        if (st && strcmp(st, "4") != 0 && !(closing && strcmp(st, "5") == 0))
            die("connected without saying Connected");
        if (nb_vif_error(v))
            die("connected after cutting the frontend off");
        if (nq == 0 || nq > o->max_queues)
            die("connected with a queue count it did not offer");
        if (tnh_maps(os) != 2 * nq)
            die("connected holding a number of ring pages other than two per queue");
    } else if (tnh_maps(os) != 0) {
        die("disconnected but still holding ring pages");
    }
}

/* The backend's part after a step: every watch event it was sent. */
static void follow(struct os *os, struct nb_vif *v)
{
    char token[256];
    evtchn_port_t port;
    for (int round = 0; round < 64; round++) {
        if (!tnh_be_next_watch(os, token, sizeof token))
            break;
        if (v && strcmp(token, nb_vif_token(v)) == 0)
            nb_vif_changed(v);
    }
    while (tnh_be_next_event(os, &port))
        ;
}

static void write_key(struct os *os, const char *dir, const char *kv)
{
    char path[160];
    const char *value;
    if (!xi_key(dir, kv, path, sizeof path, &value))
        return;
    if (value)
        tnh_write(os, path, value);
    else
        tnh_rm(os, path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned queues[] = { 1, 2, 4, 8 };
    static const uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x16,
                                       0x3e, 0x00, 0x00, 0x02, 0x08, 0x00, 0x45 };
    if (size < 1)
        return 0;
    struct nb_vif_opts o = {
        .max_queues = queues[data[0] & 3],
        .no_split = data[0] & 4,
        .no_sg = data[0] & 8,
        .no_gso = data[0] & 16,
        .log = quiet,
    };
    struct os *os = tnh_new();
    tnh_toolstack(os);
    void *va;
    grant_ref_t refs[8];
    evtchn_port_t port;
    if (os_share_pages(os, 0, 8, true, &va, refs) < 0)
        die("cannot share the frontend's pages");
    for (int i = 0; i < 4; i++)
        if (os_evtchn_alloc_unbound(os, 0, &port) < 0)
            die("cannot allocate the frontend's ports");
    struct nb_vif *v = NULL;
    if (nb_vif_new(tnh_env(os), TNH_BE, &o, &v) < 0)
        v = NULL;
    bool closing = false;
    check(os, v, &o, closing);

    char line[128];
    size_t i = 1;
    for (int steps = 0; i < size && steps < MAX_STEPS; steps++) {
        if (!xi_line(data, size, &i, line, sizeof line))
            continue;
        if (!strncmp(line, "!be:", 4)) {
            /* The toolstack writes the backend's state only when it
             * makes the directory. */
            if (strncmp(line + 4, "state", 5) != 0)
                write_key(os, TNH_BE, line + 4);
        } else if (!strcmp(line, "!tx")) {
            if (v)
                (void)nb_vif_tx(v, 64, deliver, NULL);
        } else if (!strcmp(line, "!rx")) {
            if (v)
                (void)nb_vif_rx(v, frame, sizeof frame, NULL);
        } else if (!strcmp(line, "!rxb")) {
            if (v)
                (void)nb_vif_rx_add(v, frame, sizeof frame, NULL);
        } else if (!strcmp(line, "!flush")) {
            if (v)
                nb_vif_rx_flush(v);
        } else if (!strcmp(line, "!bad")) {
            for (int k = 0; k < 8; k++)
                ((netif_tx_sring_t *)((uint8_t *)va + k * 4096))->req_prod += 300;
        } else if (!strcmp(line, "!close")) {
            if (v)
                nb_vif_close(v);
            closing = v != NULL;
        } else if (!strcmp(line, "!destroy")) {
            tnh_rm(os, TNH_BE);
        } else if (!strcmp(line, "!restart")) {
            nb_vif_free(v);
            v = NULL;
            closing = false;
            if (tnh_maps(os) != 0)
                die("a freed backend left ring pages mapped");
            if (nb_vif_new(tnh_env(os), TNH_BE, &o, &v) < 0)
                v = NULL;
        } else if (line[0] == '-') {
            write_key(os, TNH_FE, line + 1);
        } else if (strchr(line, '=')) {
            write_key(os, TNH_FE, line);
        }
        follow(os, v);
        check(os, v, &o, closing);
    }
    nb_vif_free(v);
    if (tnh_maps(os) != 0)
        die("a freed backend left ring pages mapped");
    os_unshare_pages(os, va, 8);
    tnh_free(os);
    return 0;
}
