/*
 * fuzz_xs_diff.c — differential libFuzzer target: the same requests to
 * the xenstore core (in process) and to Debian's C xenstored 4.17 (a fresh
 * daemon per input, tests/lib/xsref.h), transcripts compared as
 * tests/integration/test_xs_diff.c compares them.  A difference aborts,
 * so libFuzzer keeps the input; it prints both lines.
 *
 * Input: records of [type][tx][len][len >> 8][len bytes of body], as dom0
 * on one connection.  tx: 0 none, 1 the last transaction started, else
 * the byte itself.  CONTROL is never sent (its log and live-update
 * commands reach outside the daemon), nor a request whose answer in C
 * xenstored is a stale errno; an input on which the reference daemon dies
 * is skipped.
 *
 * The reference's shim is $XSREF_SHIM, or xsref_shim.so beside this
 * program.  Without xen-utils-4.17 every input passes, after one line.
 *
 * The core comes from the world's fixture header, as the unit tests take
 * it; the requests go on a dom0 connection of the target's own, whose
 * replies it queues.
 */
#include <libgen.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends-sim/world/world_fixture.h"
#include "tests/lib/xsdiff.h"
#include "tests/lib/xsref.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MSGS 32

static char shim[512];
static bool available;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char why[600], self[400];
    const char *env = getenv("XSREF_SHIM");

    if (env) {
        snprintf(shim, sizeof(shim), "%s", env);
    } else {
        snprintf(self, sizeof(self), "%s", (*argv)[0]);
        snprintf(shim, sizeof(shim), "%s/xsref_shim.so", dirname(self));
    }
    available = xsref_available(shim, why, sizeof(why));
    if (!available)
        fprintf(stderr, "fuzz_xs_diff: no reference, every input passes: %s\n", why);
    return 0;
}

/* The in-process side: what the core sends, queued for recv. */
struct queue {
    struct xsc_conn *conn;
    bool closed;
    struct item {
        struct xsd_sockmsg h;
        char *body;
    } items[64];
    size_t head, tail;
};

static void queue_put(void *ctx, const struct xsd_sockmsg *h, const void *body)
{
    struct queue *q = ctx;
    struct item *it;

    if (q->tail - q->head == 64)
        __builtin_trap(); /* more than one request's worth of messages */
    it = &q->items[q->tail++ % 64];
    it->h = *h;
    it->body = malloc(h->len + 1);
    if (!it->body)
        abort();
    memcpy(it->body, body, h->len);
    it->body[h->len] = '\0';
}

static int core_send(void *ctx, const struct xsd_sockmsg *h, const void *body)
{
    struct queue *q = ctx;
    char *copy;
    int rc;

    if (q->closed)
        return -1;
    copy = malloc(h->len + 1);
    if (!copy)
        abort();
    memcpy(copy, body, h->len);
    copy[h->len] = '\0';
    rc = xsc_core_handle(q->conn, h, copy);
    free(copy);
    if (rc != 0)
        q->closed = true;
    return 0;
}

static int core_recv(void *ctx, struct xsd_sockmsg *h, char *body, size_t size)
{
    struct queue *q = ctx;
    struct item *it;

    if (q->head == q->tail)
        return -1;
    it = &q->items[q->head++ % 64];
    *h = it->h;
    if (h->len >= size)
        __builtin_trap();
    memcpy(body, it->body, h->len + 1);
    free(it->body);
    return 0;
}

static void queue_drain(struct queue *q)
{
    while (q->head != q->tail)
        free(q->items[q->head++ % 64].body);
}

static const struct xsdiff_msg ref_prelude[] = {
    { XS_WRITE, 0,
      "/local/domain/0/domid\0"
      "0",
      23 },
    { XS_WRITE, 0,
      "/local/domain/0/name\0"
      "Domain-0",
      29 },
};

/* A request C xenstored answers with whatever errno its last failure left
 * (a READ, DIRECTORY, GET_PERMS, MKDIR or RM whose payload is not one
 * string): a deliberate difference (docs/xenstore-differences.md), so
 * such requests are left out. */
static bool stale_errno(uint32_t type, const char *body, size_t len)
{
    if (type != XS_READ && type != XS_DIRECTORY && type != XS_GET_PERMS && type != XS_MKDIR &&
        type != XS_RM)
        return false;
    return !len || strnlen(body, len) + 1 != len;
}

static size_t parse(const uint8_t *data, size_t size, struct xsdiff_msg *m)
{
    size_t n = 0, pos = 0;

    while (pos + 4 <= size && n < MAX_MSGS) {
        uint32_t type = data[pos] % (XS_TYPE_COUNT + 1);
        size_t len = data[pos + 2] | (size_t)data[pos + 3] << 8;
        uint8_t tx = data[pos + 1];
        pos += 4;
        if (len > size - pos)
            len = size - pos;
        if (type == XS_CONTROL)
            type = XS_TYPE_COUNT + 7; /* an unknown type instead */
        if (stale_errno(type, (const char *)data + pos, len)) {
            pos += len;
            continue;
        }
        m[n].type = type;
        m[n].tx = tx == 0 ? 0 : tx == 1 ? XSDIFF_TX_LAST : tx;
        m[n].body = (const char *)data + pos;
        m[n].len = len;
        pos += len;
        n++;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xsdiff_msg m[MAX_MSGS];
    struct xsdiff_log a = { 0 }, b = { 0 }, pre = { 0 };
    struct queue q = { 0 };
    struct xsref ref;
    struct wf_xenstore peers;
    char why[600], diff[1024];
    size_t n;
    int fd;

    if (!available || !(n = parse(data, size, m)))
        return 0;
    if (xsref_start(&ref, shim, why, sizeof(why)) != 0) {
        fprintf(stderr, "fuzz_xs_diff: %s\n", why);
        abort();
    }
    fd = xsdiff_connect(ref.sock);
    struct xsdiff_peer pb = xsdiff_fd_peer(&fd);
    xsdiff_run(&pb, ref_prelude, 2, &pre);
    xsdiff_run(&pb, m, n, &b);
    close(fd);
    if (!xsref_alive(&ref)) {
        /* the reference itself died: no answer to compare with */
        static bool said;
        if (!said)
            fprintf(stderr, "fuzz_xs_diff: the reference daemon died on an input (C xenstored "
                            "aborts on some sequences); such inputs are skipped\n");
        said = true;
        xsref_stop(&ref);
        xsdiff_log_free(&b);
        xsdiff_log_free(&pre);
        return 0;
    }
    xsref_stop(&ref);

    if (wf_xenstore_open(&peers) != 0)
        abort();
    q.conn = xsc_core_connect(peers.core, 0, queue_put, &q);
    struct xsdiff_peer pa = { core_send, core_recv, &q };
    xsdiff_run(&pa, m, n, &a);
    queue_drain(&q);
    xsc_core_disconnect(q.conn);
    unsigned long stray = wf_xenstore_close(&peers);
    if (stray) {
        fprintf(stderr, "fuzz_xs_diff: %lu node records unaccounted for after the input\n", stray);
        abort();
    }

    if (xsdiff_first_difference(&a, &b, diff, sizeof(diff))) {
        fprintf(stderr, "fuzz_xs_diff: replies differ at %s\n", diff);
        abort();
    }
    xsdiff_log_free(&a);
    xsdiff_log_free(&b);
    xsdiff_log_free(&pre);
    return 0;
}
