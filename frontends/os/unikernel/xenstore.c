/*
 * xenstore.c — the xenstore ring client (HVM_PARAM_STORE_PFN/EVTCHN).
 *
 * One request in flight at a time (we are single-threaded), written into
 * req[] and answered in rsp[] as <xen/io/xs_wire.h> frames them.  Watch
 * events may arrive before, between or instead of a reply; they go to a
 * queue that os_xs_next_watch() drains.  A daemon that breaks the framing
 * (length over XENSTORE_PAYLOAD_MAX, indices out of range, a reply to a
 * request we did not send) is cut off: every later call fails with -EIO.
 */
#include "uk.h"
#include <xen/io/xs_wire.h>

static struct xenstore_domain_interface *ring;
static evtchn_port_t port;
static bool broken;
static uint32_t next_req_id = 1;

/* The message being read off the ring. */
static struct xsd_sockmsg in_hdr;
static size_t in_got; /* bytes of header + body so far */
static char in_body[XENSTORE_PAYLOAD_MAX + 1];

/* The reply to the request in flight. */
static bool reply_ready;
static struct xsd_sockmsg reply_hdr;
static char reply_body[XENSTORE_PAYLOAD_MAX + 1];

#define WATCH_QUEUE 64
struct watch_event {
    char *path, *token;
};
static struct watch_event watchq[WATCH_QUEUE];
static unsigned wq_head, wq_len;

#define REPLY_TIMEOUT_NS 30000000000ull

static void cut_off(const char *why)
{
    if (!broken)
        os_log(NULL, OS_LOG_ERROR, "[os] xenstore: %s; connection dropped", why);
    broken = true;
}

int uk_xs_init(void)
{
    uint64_t pfn = 0, evt = 0;
    long rc = uk_hvm_get_param(HVM_PARAM_STORE_PFN, &pfn);
    if (rc < 0)
        return uk_err(rc);
    rc = uk_hvm_get_param(HVM_PARAM_STORE_EVTCHN, &evt);
    if (rc < 0)
        return uk_err(rc);
    if (!pfn || (pfn << UK_PAGE_SHIFT) >= UK_IDENTITY_LIMIT)
        return -OS_ENODEV;
    ring = (struct xenstore_domain_interface *)(uintptr_t)(pfn << UK_PAGE_SHIFT);
    port = (evtchn_port_t)evt;
    uk_evtchn_internal(port);
    return 0;
}

static void queue_watch(void)
{
    /* Body: path NUL token NUL. */
    size_t pl = os_strlen(in_body);
    if (pl + 1 >= in_hdr.len) {
        cut_off("watch event without a token");
        return;
    }
    const char *tok = in_body + pl + 1;
    size_t tl = os_strlen(tok);
    if (wq_len == WATCH_QUEUE) {
        /* Drivers re-read state on any event, so the oldest can go. */
        struct watch_event *old = &watchq[wq_head];
        os_free(NULL, old->path);
        os_free(NULL, old->token);
        wq_head = (wq_head + 1) % WATCH_QUEUE;
        wq_len--;
    }
    char *p = os_malloc(NULL, pl + 1), *t = os_malloc(NULL, tl + 1);
    if (!p || !t) {
        os_free(NULL, p);
        os_free(NULL, t);
        return;
    }
    memcpy(p, in_body, pl + 1);
    memcpy(t, tok, tl + 1);
    watchq[(wq_head + wq_len) % WATCH_QUEUE] = (struct watch_event){ p, t };
    wq_len++;
}

static void message_done(void)
{
    in_body[in_hdr.len] = '\0';
    if (in_hdr.type == XS_WATCH_EVENT) {
        queue_watch();
    } else if (reply_ready || in_hdr.req_id != next_req_id - 1) {
        cut_off("reply to a request that is not in flight");
    } else {
        reply_hdr = in_hdr;
        memcpy(reply_body, in_body, in_hdr.len + 1);
        reply_ready = true;
    }
    in_got = 0;
}

void uk_xs_pump(void)
{
    if (!ring || broken)
        return;
    for (;;) {
        XENSTORE_RING_IDX prod = __atomic_load_n(&ring->rsp_prod, __ATOMIC_ACQUIRE);
        XENSTORE_RING_IDX cons = ring->rsp_cons;
        if (prod - cons > XENSTORE_RING_SIZE) {
            cut_off("response ring indices out of range");
            return;
        }
        if (prod == cons)
            return;
        size_t want = in_got < sizeof(in_hdr) ? sizeof(in_hdr) - in_got
                                              : sizeof(in_hdr) + in_hdr.len - in_got;
        size_t avail = prod - cons;
        size_t n = want < avail ? want : avail;
        for (size_t i = 0; i < n; i++) {
            char c = ring->rsp[MASK_XENSTORE_IDX(cons + i)];
            if (in_got < sizeof(in_hdr))
                ((char *)&in_hdr)[in_got] = c;
            else
                in_body[in_got - sizeof(in_hdr)] = c;
            in_got++;
        }
        __atomic_store_n(&ring->rsp_cons, cons + (XENSTORE_RING_IDX)n, __ATOMIC_RELEASE);
        uk_evtchn_send(port);
        if (in_got == sizeof(in_hdr) && in_hdr.len > XENSTORE_PAYLOAD_MAX) {
            cut_off("message longer than XENSTORE_PAYLOAD_MAX");
            return;
        }
        if (in_got >= sizeof(in_hdr) && in_got == sizeof(in_hdr) + in_hdr.len)
            message_done();
    }
}

bool uk_xs_watch_queued(void)
{
    return wq_len > 0;
}

static int ring_put(const void *data, size_t len, uint64_t deadline)
{
    const char *p = data;
    while (len) {
        XENSTORE_RING_IDX cons = __atomic_load_n(&ring->req_cons, __ATOMIC_ACQUIRE);
        XENSTORE_RING_IDX prod = ring->req_prod;
        if (prod - cons > XENSTORE_RING_SIZE) {
            cut_off("request ring indices out of range");
            return -OS_EIO;
        }
        size_t room = XENSTORE_RING_SIZE - (prod - cons);
        if (!room) {
            uk_xs_pump();
            if (uk_now_ns() >= deadline) {
                cut_off("request ring full for too long");
                return -OS_EIO;
            }
            uk_block(deadline);
            continue;
        }
        size_t n = len < room ? len : room;
        for (size_t i = 0; i < n; i++)
            ring->req[MASK_XENSTORE_IDX(prod + i)] = p[i];
        __atomic_store_n(&ring->req_prod, prod + (XENSTORE_RING_IDX)n, __ATOMIC_RELEASE);
        uk_evtchn_send(port);
        p += n;
        len -= n;
    }
    return 0;
}

static const struct {
    const char *name;
    int err;
} xs_errors[] = {
    { "EINVAL", OS_EINVAL }, { "EACCES", OS_EACCES },   { "EEXIST", OS_EEXIST },
    { "EISDIR", OS_EISDIR }, { "ENOENT", OS_ENOENT },   { "ENOMEM", OS_ENOMEM },
    { "ENOSPC", OS_ENOSPC }, { "EIO", OS_EIO },         { "ENOTEMPTY", OS_ENOTEMPTY },
    { "ENOSYS", OS_ENOSYS }, { "EROFS", OS_EROFS },     { "EBUSY", OS_EBUSY },
    { "EAGAIN", OS_EAGAIN }, { "EISCONN", OS_EISCONN }, { "E2BIG", OS_E2BIG },
    { "EPERM", OS_EPERM },
};

/* Sends type with the payload parts (each sent with its NUL when
 * with_nul is set for it) and waits for the answer in reply_*. */
static int request_raw(enum xsd_sockmsg_type type, os_xs_tx tx, const char *a, bool a_nul,
                       const char *b, size_t lb)
{
    if (!ring || broken)
        return -OS_EIO;
    size_t la = a ? os_strlen(a) + a_nul : 0;
    if (la + lb > XENSTORE_PAYLOAD_MAX)
        return -OS_E2BIG;
    uk_xs_pump(); /* anything stale is read before we ask */
    reply_ready = false;
    struct xsd_sockmsg h = {
        .type = type, .req_id = next_req_id++, .tx_id = tx, .len = (uint32_t)(la + lb)
    };
    uint64_t deadline = uk_now_ns() + REPLY_TIMEOUT_NS;
    int rc = ring_put(&h, sizeof(h), deadline);
    if (!rc && la)
        rc = ring_put(a, la, deadline);
    if (!rc && lb)
        rc = ring_put(b, lb, deadline);
    if (rc)
        return rc;
    while (!reply_ready) {
        uk_xs_pump();
        if (broken)
            return -OS_EIO;
        if (reply_ready)
            break;
        if (uk_now_ns() >= deadline) {
            cut_off("no reply within 30 s");
            return -OS_ETIMEDOUT;
        }
        uk_block(deadline);
    }
    reply_ready = false;
    if (reply_hdr.type == XS_ERROR) {
        for (size_t i = 0; i < sizeof(xs_errors) / sizeof(xs_errors[0]); i++)
            if (os_strcmp(reply_body, xs_errors[i].name) == 0)
                return -xs_errors[i].err;
        return -OS_EIO;
    }
    if (reply_hdr.type != type) {
        cut_off("reply of the wrong type");
        return -OS_EIO;
    }
    return 0;
}

static int request(enum xsd_sockmsg_type type, os_xs_tx tx, const char *a, bool a_nul,
                   const char *b, bool b_nul)
{
    return request_raw(type, tx, a, a_nul, b, b ? os_strlen(b) + b_nul : 0);
}

int os_xs_read(struct os *os, os_xs_tx tx, const char *path, char *buf, size_t size)
{
    int rc = request(XS_READ, tx, path, true, NULL, false);
    if (rc)
        return rc;
    if (reply_hdr.len + 1 > size)
        return -OS_E2BIG;
    memcpy(buf, reply_body, reply_hdr.len);
    buf[reply_hdr.len] = '\0';
    return (int)reply_hdr.len;
}

int os_xs_write(struct os *os, os_xs_tx tx, const char *path, const char *value)
{
    return request(XS_WRITE, tx, path, true, value, false);
}

int os_xs_mkdir(struct os *os, os_xs_tx tx, const char *path)
{
    return request(XS_MKDIR, tx, path, true, NULL, false);
}

int os_xs_rm(struct os *os, os_xs_tx tx, const char *path)
{
    return request(XS_RM, tx, path, true, NULL, false);
}

int os_xs_allow_read(struct os *os, os_xs_tx tx, const char *path, domid_t reader)
{
    /* The payload is path, "n<self>" and "r<reader>", each NUL-ended. */
    char perms[32];
    int n = os_snprintf(perms, sizeof perms, "n%u", (unsigned)os_domid(os));
    os_snprintf(perms + n + 1, sizeof perms - (size_t)n - 1, "r%u", (unsigned)reader);
    return request_raw(XS_SET_PERMS, tx, path, true, perms,
                       (size_t)n + 1 + os_strlen(perms + n + 1) + 1);
}

int os_xs_directory(struct os *os, os_xs_tx tx, const char *path, char *buf, size_t size)
{
    int rc = request(XS_DIRECTORY, tx, path, true, NULL, false);
    if (rc)
        return rc;
    if (reply_hdr.len > size)
        return -OS_E2BIG;
    int n = 0;
    for (uint32_t i = 0; i < reply_hdr.len; i++)
        if (reply_body[i] == '\0')
            n++;
    if (reply_hdr.len && reply_body[reply_hdr.len - 1] != '\0')
        return -OS_EPROTO;
    memcpy(buf, reply_body, reply_hdr.len);
    return n;
}

int os_xs_tx_start(struct os *os, os_xs_tx *tx)
{
    int rc = request(XS_TRANSACTION_START, 0, "", true, NULL, false);
    if (rc)
        return rc;
    uint64_t id;
    if (os_parse_u64(reply_body, &id) < 0 || id == 0 || id > UINT32_MAX)
        return -OS_EPROTO;
    *tx = (os_xs_tx)id;
    return 0;
}

int os_xs_tx_end(struct os *os, os_xs_tx tx, bool abort)
{
    return request(XS_TRANSACTION_END, tx, abort ? "F" : "T", true, NULL, false);
}

int os_xs_watch(struct os *os, const char *path, const char *token)
{
    return request(XS_WATCH, 0, path, true, token, true);
}

int os_xs_unwatch(struct os *os, const char *path, const char *token)
{
    return request(XS_UNWATCH, 0, path, true, token, true);
}

int os_xs_next_watch(struct os *os, char *path, size_t path_size, char *token, size_t token_size)
{
    uk_xs_pump();
    if (!wq_len)
        return broken ? -OS_EIO : 0;
    struct watch_event *e = &watchq[wq_head];
    wq_head = (wq_head + 1) % WATCH_QUEUE;
    wq_len--;
    size_t pl = os_strlen(e->path), tl = os_strlen(e->token);
    int r = 1;
    if (pl + 1 > path_size || tl + 1 > token_size) {
        r = -OS_E2BIG;
    } else {
        memcpy(path, e->path, pl + 1);
        memcpy(token, e->token, tl + 1);
    }
    os_free(os, e->path);
    os_free(os, e->token);
    return r;
}

domid_t os_domid(struct os *os)
{
    return os->domid;
}
