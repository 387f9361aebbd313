/* qrexec_agent.c — the VM side of qrexec (qrexec_agent.h). */
#include "qrexec_agent.h"

#include "qrexec_proto.h"
#include "vchan.h"

#define MAX_CONNS 8
#define MAX_REQUESTS 4
#define REQUEST_RING 65536u
#define MAX_INPUT (1u << 20) /* stdin kept for a handler */
#define CONTROL_RING 4096u

static const char tag[] = "[qubes.rexec]";

struct buf {
    uint8_t *p;
    size_t len, cap;
};

enum conn_phase {
    C_CONNECTING, /* waiting for dom0's data channel */
    C_INPUT,      /* HELLO sent; stdin arriving */
    C_OUTPUT,     /* output queued; waiting until dom0 has read it */
};

struct qrexec_conn {
    struct qrexec_agent *a;
    bool used;
    enum conn_phase phase;
    bool just_exec, hello_seen;
    uint32_t domain, port;
    char *cmdline; /* "user:command" */
    struct vchan *v;
    struct qrexec_link link;
    char ltag[64];
    struct buf in, out, err;
    struct qrexec_call call; /* once dom0 said HELLO on the channel */
    char *svc;               /* call.service's storage */
    bool streaming;          /* the stream handler took the call */
};

enum req_phase {
    R_ASKED,   /* TRIGGER_SERVICE3 sent; waiting for dom0's answer */
    R_RUNNING, /* our data channel is served */
    R_DONE,
};

struct qrexec_request {
    struct qrexec_agent *a; /* NULL once the agent is gone */
    struct os *os;
    enum req_phase phase;
    char id[32];
    uint32_t domain, port;
    struct vchan *v;
    struct qrexec_link link;
    char ltag[64];
    const uint8_t *input; /* the caller's copy */
    size_t input_len, input_off;
    bool hello_seen, eof_sent;
    uint32_t version;
    int code;
    struct buf out, err;
};

struct qrexec_agent {
    struct os *os;
    qrexec_handler handler;
    void *ctx;
    qrexec_stream_handler stream;
    void *stream_ctx;
    char base[96];
    struct vchan *ctl;
    struct qrexec_link link;
    bool hello_seen;
    uint32_t version;
    unsigned calls;
    struct qrexec_conn conns[MAX_CONNS];
    struct qrexec_request *reqs[MAX_REQUESTS];
    unsigned next_id;
};

/* ---- buffers --------------------------------------------------------------- */

static int buf_add(struct os *os, struct buf *b, const void *p, size_t n, size_t limit)
{
    if (b->len + n > limit)
        return -OS_ENOMEM;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *q = os_malloc(os, cap);
        if (!q)
            return -OS_ENOMEM;
        if (b->len)
            os_memcpy(q, b->p, b->len);
        os_free(os, b->p);
        b->p = q;
        b->cap = cap;
    }
    if (n)
        os_memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

static void buf_free(struct os *os, struct buf *b)
{
    os_free(os, b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

int qrexec_call_out(struct qrexec_call *call, const void *buf, size_t len)
{
    return buf_add(call->conn->a->os, &call->conn->out, buf, len, 64u << 20);
}

int qrexec_call_err(struct qrexec_call *call, const void *buf, size_t len)
{
    return buf_add(call->conn->a->os, &call->conn->err, buf, len, 1u << 20);
}

static void say_err(struct qrexec_call *call, const char *a, const char *b, const char *c)
{
    (void)qrexec_call_err(call, a, os_strlen(a));
    (void)qrexec_call_err(call, b, os_strlen(b));
    (void)qrexec_call_err(call, c, os_strlen(c));
}

/* ---- control channel ----------------------------------------------------------- */

static void ctl_drop(struct qrexec_agent *a)
{
    vchan_close(a->ctl);
    a->ctl = NULL;
    qrexec_link_free(&a->link);
    a->hello_seen = false;
}

static int ctl_serve(struct qrexec_agent *a)
{
    int r = vchan_server_open(a->os, 0, a->base, CONTROL_RING, CONTROL_RING, &a->ctl);
    if (r < 0)
        return r;
    r = qrexec_link_init(&a->link, a->os, a->ctl, tag, QREXEC_MAX_CMDLINE + 8);
    if (r < 0) {
        vchan_close(a->ctl);
        a->ctl = NULL;
        return r;
    }
    /* HELLO may go out before dom0 attaches */
    uint8_t v[4];
    qrexec_put32(v, QREXEC_VERSION);
    return qrexec_link_send(&a->link, QREXEC_MSG_HELLO, v, 4, NULL, 0);
}

int qrexec_agent_open(struct os *os, qrexec_handler handler, void *ctx, struct qrexec_agent **out)
{
    struct qrexec_agent *a = os_calloc(os, 1, sizeof *a);
    if (!a)
        return -OS_ENOMEM;
    a->os = os;
    a->handler = handler;
    a->ctx = ctx;
    vchan_qubes_path(a->base, sizeof a->base, os_domid(os), 0, QREXEC_CONTROL_PORT);
    int r = ctl_serve(a);
    if (r < 0) {
        os_free(os, a);
        return r;
    }
    *out = a;
    return 0;
}

void qrexec_agent_set_stream_handler(struct qrexec_agent *a, qrexec_stream_handler stream,
                                     void *ctx)
{
    a->stream = stream;
    a->stream_ctx = ctx;
}

bool qrexec_agent_connected(const struct qrexec_agent *a)
{
    return a->hello_seen;
}

unsigned qrexec_agent_calls(const struct qrexec_agent *a)
{
    return a->calls;
}

/* ---- calls this VM makes ------------------------------------------------------ */

static void req_end(struct qrexec_request *r, int code)
{
    struct qrexec_agent *a = r->a;
    bool had_channel = r->v != NULL;
    if (r->v) {
        vchan_close(r->v);
        r->v = NULL;
        qrexec_link_free(&r->link);
    }
    r->code = code;
    r->phase = R_DONE;
    if (had_channel && a && a->ctl && a->hello_seen) {
        uint8_t p[8];
        qrexec_put32(p, r->domain);
        qrexec_put32(p + 4, r->port);
        (void)qrexec_link_send(&a->link, QREXEC_MSG_CONNECTION_TERMINATED, p, 8, NULL, 0);
    }
}

int qrexec_agent_request(struct qrexec_agent *a, const char *target, const char *service,
                         const void *input, size_t len, struct qrexec_request **out)
{
    size_t tlen = os_strlen(target), slen = os_strlen(service);
    if (!tlen || tlen >= 64 || !slen || slen > 65000 || service[0] == '+')
        return -OS_EINVAL;
    if (!a->ctl || !a->hello_seen || a->version < 3)
        return -OS_EAGAIN;
    unsigned slot = 0;
    while (slot < MAX_REQUESTS && a->reqs[slot])
        slot++;
    if (slot == MAX_REQUESTS)
        return -OS_EBUSY;
    struct qrexec_request *r = os_calloc(a->os, 1, sizeof *r);
    if (!r)
        return -OS_ENOMEM;
    r->a = a;
    r->os = a->os;
    r->input = input;
    r->input_len = len;
    os_snprintf(r->id, sizeof r->id, "SPLITBED%u", a->next_id++);
    uint8_t fixed[96];
    os_memset(fixed, 0, sizeof fixed);
    os_memcpy(fixed, target, tlen);
    os_memcpy(fixed + 64, r->id, os_strlen(r->id));
    int e = qrexec_link_send(&a->link, QREXEC_MSG_TRIGGER_SERVICE3, fixed, sizeof fixed, service,
                             slen + 1);
    if (e < 0) {
        os_free(a->os, r);
        return e;
    }
    a->reqs[slot] = r;
    os_log(a->os, OS_LOG_DEBUG, "%s asking dom0 for %s in %s (%s)", tag, service, target, r->id);
    *out = r;
    return 0;
}

int qrexec_request_result(const struct qrexec_request *r, int *code, const uint8_t **out,
                          size_t *out_len, const uint8_t **err, size_t *err_len)
{
    if (r->phase != R_DONE)
        return 0;
    *code = r->code;
    *out = r->out.p;
    *out_len = r->out.len;
    *err = r->err.p;
    *err_len = r->err.len;
    return 1;
}

static void req_release(struct qrexec_request *r)
{
    struct os *os = r->os;
    if (r->v) {
        vchan_close(r->v);
        qrexec_link_free(&r->link);
    }
    buf_free(os, &r->out);
    buf_free(os, &r->err);
    os_free(os, r);
}

void qrexec_request_free(struct qrexec_request *r)
{
    if (!r)
        return;
    struct qrexec_agent *a = r->a;
    if (!a) {
        req_release(r); /* the agent went first and left it to us */
        return;
    }
    if (r->phase != R_DONE)
        req_end(r, QREXEC_EXIT_PROBLEM);
    for (unsigned i = 0; i < MAX_REQUESTS; i++)
        if (a->reqs[i] == r)
            a->reqs[i] = NULL;
    req_release(r);
}

static struct qrexec_request *req_by_id(struct qrexec_agent *a, const uint8_t *id)
{
    for (unsigned i = 0; i < MAX_REQUESTS; i++) {
        struct qrexec_request *r = a->reqs[i];
        if (r && r->phase == R_ASKED && !os_strncmp(r->id, (const char *)id, sizeof r->id))
            return r;
    }
    return NULL;
}

/* SERVICE_CONNECT or SERVICE_REFUSED from dom0. */
static int req_answer(struct qrexec_agent *a, uint32_t type, const uint8_t *d, uint32_t len)
{
    bool connect = type == QREXEC_MSG_SERVICE_CONNECT;
    if (len != (connect ? 40u : 32u) || d[len - 1] != 0) {
        os_log(a->os, OS_LOG_ERROR, "%s dom0 sent %s of %u bytes; cutting it off", tag,
               qrexec_type_name(type), len);
        return -OS_EPROTO;
    }
    const uint8_t *id = connect ? d + 8 : d;
    struct qrexec_request *r = req_by_id(a, id);
    if (!r) {
        os_log(a->os, OS_LOG_WARN, "%s dom0 answered %s to a call we did not make; ignored", tag,
               (const char *)id);
        return 0;
    }
    if (!connect) {
        os_log(a->os, OS_LOG_INFO, "%s dom0 refused call %s", tag, r->id);
        req_end(r, QREXEC_EXIT_REFUSED);
        return 0;
    }
    r->domain = qrexec_get32(d);
    r->port = qrexec_get32(d + 4);
    if (r->domain >= DOMID_FIRST_RESERVED || r->port < QREXEC_FIRST_DATA_PORT ||
        r->port >= QREXEC_FIRST_DATA_PORT + QREXEC_DATA_PORTS) {
        os_log(a->os, OS_LOG_ERROR,
               "%s dom0 named d%u port %u for %s, not a data channel; "
               "cutting it off",
               tag, r->domain, r->port, r->id);
        req_end(r, QREXEC_EXIT_PROBLEM);
        return -OS_EPROTO;
    }
    char base[96];
    vchan_qubes_path(base, sizeof base, os_domid(a->os), (domid_t)r->domain, r->port);
    os_snprintf(r->ltag, sizeof r->ltag, "%s d%u port %u:", tag, r->domain, r->port);
    int e = vchan_server_open(a->os, (domid_t)r->domain, base, REQUEST_RING, REQUEST_RING, &r->v);
    if (e == 0)
        e = qrexec_link_init(&r->link, a->os, r->v, r->ltag, QREXEC_MAX_CHUNK);
    if (e < 0) {
        if (r->v) {
            vchan_close(r->v);
            r->v = NULL;
        }
        r->code = QREXEC_EXIT_PROBLEM;
        r->phase = R_DONE;
        return 0;
    }
    /* the server says HELLO first */
    uint8_t v[4];
    qrexec_put32(v, QREXEC_VERSION);
    (void)qrexec_link_send(&r->link, QREXEC_MSG_HELLO, v, 4, NULL, 0);
    r->phase = R_RUNNING;
    return 0;
}

static void req_step(struct qrexec_request *r)
{
    struct qrexec_agent *a = r->a;
    int st = vchan_poll(r->v);
    if (st < 0 || qrexec_link_flush(&r->link) < 0) {
        req_end(r, QREXEC_EXIT_PROBLEM);
        return;
    }
    for (;;) {
        uint32_t type, len;
        const uint8_t *d;
        int n = qrexec_link_next(&r->link, &type, &d, &len);
        if (n == 0)
            break;
        if (n < 0) {
            os_log(a->os, OS_LOG_WARN, "%s the service closed before its exit code", r->ltag);
            req_end(r, QREXEC_EXIT_PROBLEM);
            return;
        }
        if (!r->hello_seen) {
            if (type != QREXEC_MSG_HELLO || len != 4 || qrexec_get32(d) < QREXEC_MIN_VERSION) {
                os_log(a->os, OS_LOG_ERROR,
                       "%s the service began with %s, not a HELLO we speak; cutting it off",
                       r->ltag, qrexec_type_name(type));
                req_end(r, QREXEC_EXIT_PROBLEM);
                return;
            }
            uint32_t v = qrexec_get32(d);
            r->version = v < QREXEC_VERSION ? v : QREXEC_VERSION;
            r->hello_seen = true;
            continue;
        }
        switch (type) {
        case QREXEC_MSG_DATA_STDOUT:
        case QREXEC_MSG_DATA_STDERR:
            if (buf_add(a->os, type == QREXEC_MSG_DATA_STDOUT ? &r->out : &r->err, d, len,
                        64u << 20) < 0) {
                os_log(a->os, OS_LOG_ERROR, "%s output beyond 64 MiB; ending the call", r->ltag);
                req_end(r, QREXEC_EXIT_PROBLEM);
                return;
            }
            break;
        case QREXEC_MSG_DATA_EXIT_CODE: req_end(r, len >= 4 ? (int)qrexec_get32(d) : 255); return;
        default:
            os_log(a->os, OS_LOG_WARN, "%s the service sent %s; ignored", r->ltag,
                   qrexec_type_name(type));
        }
    }
    /* stdin while the ring keeps up, then its EOF */
    uint32_t chunk = r->version >= 3 ? QREXEC_MAX_CHUNK : 4096u;
    while (r->hello_seen && !r->eof_sent && qrexec_link_queued(&r->link) < 2 * QREXEC_MAX_CHUNK) {
        size_t n = r->input_len - r->input_off;
        if (n > chunk)
            n = chunk;
        if (qrexec_link_send(&r->link, QREXEC_MSG_DATA_STDIN, r->input + r->input_off, n, NULL, 0) <
            0)
            break;
        r->input_off += n;
        r->eof_sent = n == 0;
    }
}

/* ---- data channels ----------------------------------------------------------------- */

static void conn_free(struct qrexec_conn *c)
{
    struct os *os = c->a->os;
    vchan_close(c->v);
    qrexec_link_free(&c->link);
    os_free(os, c->cmdline);
    os_free(os, c->svc);
    buf_free(os, &c->in);
    buf_free(os, &c->out);
    buf_free(os, &c->err);
    os_memset(c, 0, sizeof *c);
}

/* The data channel is done (or failed): dom0 frees the port when told. */
static void conn_end(struct qrexec_conn *c)
{
    struct qrexec_agent *a = c->a;
    uint8_t p[8];
    qrexec_put32(p, c->domain);
    qrexec_put32(p + 4, c->port);
    if (a->ctl && a->hello_seen)
        (void)qrexec_link_send(&a->link, QREXEC_MSG_CONNECTION_TERMINATED, p, 8, NULL, 0);
    conn_free(c);
    a->calls++;
}

static int start_exec(struct qrexec_agent *a, bool just, const uint8_t *d, uint32_t len)
{
    if (len <= 8 || d[len - 1] != 0)
        return -OS_EPROTO;
    uint32_t domain = qrexec_get32(d), port = qrexec_get32(d + 4);
    const char *cmd = (const char *)d + 8;
    struct qrexec_conn *c = NULL;
    for (unsigned i = 0; i < MAX_CONNS && !c; i++)
        if (!a->conns[i].used)
            c = &a->conns[i];
    if (!c || domain >= DOMID_FIRST_RESERVED || port < QREXEC_FIRST_DATA_PORT ||
        port >= QREXEC_FIRST_DATA_PORT + QREXEC_DATA_PORTS) {
        os_log(a->os, OS_LOG_WARN, "%s cannot take %s for d%u port %u: %s", tag,
               just ? "JUST_EXEC" : "EXEC_CMDLINE", domain, port,
               c ? "not a data channel" : "too many calls at once");
        uint8_t p[8];
        qrexec_put32(p, domain);
        qrexec_put32(p + 4, port);
        return qrexec_link_send(&a->link, QREXEC_MSG_CONNECTION_TERMINATED, p, 8, NULL, 0);
    }
    c->a = a;
    c->used = true;
    c->just_exec = just;
    c->domain = domain;
    c->port = port;
    size_t n = os_strlen(cmd);
    c->cmdline = os_malloc(a->os, n + 1);
    char base[96];
    vchan_qubes_path(base, sizeof base, (domid_t)domain, os_domid(a->os), port);
    os_snprintf(c->ltag, sizeof c->ltag, "%s d%u port %u:", tag, domain, port);
    int r = c->cmdline ? vchan_client_open(a->os, (domid_t)domain, base, &c->v) : -OS_ENOMEM;
    if (r == 0)
        r = qrexec_link_init(&c->link, a->os, c->v, c->ltag, QREXEC_MAX_CHUNK);
    if (r < 0) {
        conn_end(c);
        return 0;
    }
    os_memcpy(c->cmdline, cmd, n + 1);
    c->phase = C_CONNECTING;
    os_log(a->os, OS_LOG_DEBUG, "%s d%u asks for '%s' on port %u", tag, domain, cmd, port);
    return 0;
}

static int ctl_message(struct qrexec_agent *a, uint32_t type, const uint8_t *d, uint32_t len)
{
    if (!a->hello_seen) {
        if (type != QREXEC_MSG_HELLO || len != 4) {
            os_log(a->os, OS_LOG_ERROR, "%s dom0 began with %s instead of HELLO; cutting it off",
                   tag, qrexec_type_name(type));
            return -OS_EPROTO;
        }
        uint32_t v = qrexec_get32(d);
        if (v < QREXEC_MIN_VERSION) {
            os_log(a->os, OS_LOG_ERROR, "%s dom0 speaks qrexec %u, below %u; cutting it off", tag,
                   v, QREXEC_MIN_VERSION);
            return -OS_EPROTO;
        }
        a->version = v < QREXEC_VERSION ? v : QREXEC_VERSION;
        a->hello_seen = true;
        os_log(a->os, OS_LOG_INFO, "%s client connected, using protocol version %u", tag,
               a->version);
        return 0;
    }
    switch (type) {
    case QREXEC_MSG_SERVICE_CONNECT:
    case QREXEC_MSG_SERVICE_REFUSED: return req_answer(a, type, d, len);
    case QREXEC_MSG_EXEC_CMDLINE:
    case QREXEC_MSG_JUST_EXEC:
        if (start_exec(a, type == QREXEC_MSG_JUST_EXEC, d, len) < 0) {
            os_log(a->os, OS_LOG_ERROR,
                   "%s dom0 sent %s without a terminated command line; cutting it off", tag,
                   qrexec_type_name(type));
            return -OS_EPROTO;
        }
        return 0;
    default:
        os_log(a->os, OS_LOG_ERROR, "%s dom0 sent %s, which a VM does not take; cutting it off",
               tag, qrexec_type_name(type));
        return -OS_EPROTO;
    }
}

/* Splits "user:[nogui:]command" into c->call: 0, or the exit code of a
 * command line that cannot run (its message queued on stderr). */
static int parse(struct qrexec_conn *c)
{
    struct qrexec_agent *a = c->a;
    struct qrexec_call *call = &c->call;
    call->conn = c;
    char *cmd = c->cmdline, *colon = cmd;
    while (*colon && *colon != ':')
        colon++;
    if (!*colon) {
        say_err(call, "qrexec: no user in command line '", cmd, "'\n");
        return QREXEC_EXIT_PROBLEM;
    }
    *colon = 0;
    call->user = cmd;
    call->command = colon + 1;
    if (!os_strncmp(call->command, "nogui:", 6))
        call->command += 6;
    if (os_strncmp(call->command, "QUBESRPC ", 9))
        return 0;
    /* "QUBESRPC service+arg source": split in place, on a copy */
    size_t n = os_strlen(call->command + 9);
    char *svc = c->svc = os_malloc(a->os, n + 2);
    if (!svc)
        return QREXEC_EXIT_PROBLEM;
    os_memcpy(svc, call->command + 9, n + 1);
    char *sp = svc;
    while (*sp && *sp != ' ')
        sp++;
    call->source = *sp ? sp + 1 : "";
    *sp = 0;
    char *plus = svc;
    while (*plus && *plus != '+')
        plus++;
    call->arg = *plus ? plus + 1 : "";
    *plus = 0;
    call->service = svc;
    return 0;
}

/* Queues what the service wrote so far as STDOUT / STDERR chunks. */
static void send_output(struct qrexec_conn *c)
{
    uint32_t chunk = c->a->version >= 3 ? QREXEC_MAX_CHUNK : 4096u;
    struct buf *bufs[2] = { &c->out, &c->err };
    const uint32_t types[2] = { QREXEC_MSG_DATA_STDOUT, QREXEC_MSG_DATA_STDERR };
    for (int s = 0; s < 2; s++) {
        for (size_t off = 0; off < bufs[s]->len;) {
            size_t n = bufs[s]->len - off < chunk ? bufs[s]->len - off : chunk;
            if (qrexec_link_send(&c->link, types[s], bufs[s]->p + off, n, NULL, 0) < 0)
                break;
            off += n;
        }
        bufs[s]->len = 0;
    }
}

/* The service is done: its output, both EOFs and the exit code. */
static void finish(struct qrexec_conn *c, int code)
{
    if (c->just_exec) {
        /* JUST_EXEC: only the exit code (0: it started) */
        code = 0;
    } else {
        send_output(c);
        (void)qrexec_link_send(&c->link, QREXEC_MSG_DATA_STDOUT, NULL, 0, NULL, 0);
        (void)qrexec_link_send(&c->link, QREXEC_MSG_DATA_STDERR, NULL, 0, NULL, 0);
    }
    uint8_t e[4];
    qrexec_put32(e, (uint32_t)code);
    (void)qrexec_link_send(&c->link, QREXEC_MSG_DATA_EXIT_CODE, e, 4, NULL, 0);
    c->phase = C_OUTPUT;
}

/* The whole-stdin handler, once stdin has ended. */
static void run(struct qrexec_conn *c)
{
    struct qrexec_agent *a = c->a;
    struct qrexec_call *call = &c->call;
    call->input = c->in.p;
    call->input_len = c->in.len;
    call->eof = true;
    int code;
    if (call->service && !os_strcmp(call->service, "qubes.WaitForSession")) {
        code = 0; /* the session is this app: it is up */
    } else {
        code = a->handler ? a->handler(a->ctx, call) : QREXEC_AGENT_UNKNOWN;
        if (code == QREXEC_AGENT_UNKNOWN || code == QREXEC_AGENT_MORE) {
            say_err(call, "qrexec: ", call->service ? call->service : call->command,
                    ": not found in this VM\n");
            code = QREXEC_EXIT_NOT_FOUND;
        }
    }
    finish(c, code);
}

/* dom0 said HELLO: parse the command, offer it to the stream handler.
 * False when the call is already finished. */
static bool begin(struct qrexec_conn *c)
{
    struct qrexec_agent *a = c->a;
    int code = parse(c);
    if (code) {
        finish(c, code);
        return false;
    }
    if (c->just_exec) {
        run(c); /* JUST_EXEC: no stdin to wait for */
        return false;
    }
    const char *svc = c->call.service;
    if (!a->stream || (svc && !os_strcmp(svc, "qubes.WaitForSession")))
        return true;
    code = a->stream(a->stream_ctx, &c->call);
    if (code == QREXEC_AGENT_UNKNOWN)
        return true;
    if (code != QREXEC_AGENT_MORE) {
        finish(c, code);
        return false;
    }
    c->streaming = true;
    send_output(c);
    return true;
}

/* A chunk of stdin (len 0: its end) for the stream handler. */
static void feed(struct qrexec_conn *c, const uint8_t *d, uint32_t len)
{
    struct qrexec_agent *a = c->a;
    c->call.input = d;
    c->call.input_len = len;
    c->call.eof = len == 0;
    int code = a->stream(a->stream_ctx, &c->call);
    c->call.input = NULL;
    c->call.input_len = 0;
    if (code == QREXEC_AGENT_UNKNOWN)
        code = QREXEC_EXIT_PROBLEM;
    if (code == QREXEC_AGENT_MORE && !c->call.eof) {
        send_output(c);
        return;
    }
    finish(c, code == QREXEC_AGENT_MORE ? 0 : code);
}

static void conn_step(struct qrexec_conn *c)
{
    struct qrexec_agent *a = c->a;
    int st = vchan_poll(c->v);
    if (st < 0) {
        conn_end(c);
        return;
    }
    if (c->phase == C_CONNECTING) {
        if (st != VCHAN_CONNECTED)
            return;
        uint8_t v[4];
        qrexec_put32(v, QREXEC_VERSION);
        if (qrexec_link_send(&c->link, QREXEC_MSG_HELLO, v, 4, NULL, 0) < 0) {
            conn_end(c);
            return;
        }
        c->phase = C_INPUT;
    }
    if (qrexec_link_flush(&c->link) < 0) {
        conn_end(c);
        return;
    }
    /* a streamed call takes no more stdin while dom0 has output to read */
    while (c->phase == C_INPUT &&
           (!c->streaming || qrexec_link_queued(&c->link) < 2 * QREXEC_MAX_CHUNK)) {
        uint32_t type, len;
        const uint8_t *d;
        int r = qrexec_link_next(&c->link, &type, &d, &len);
        if (r == 0)
            return;
        if (r < 0) {
            if (r == -OS_ESHUTDOWN)
                os_log(a->os, OS_LOG_WARN, "%s the caller closed before stdin ended", c->ltag);
            conn_end(c);
            return;
        }
        if (!c->hello_seen) {
            if (type != QREXEC_MSG_HELLO || len != 4 || qrexec_get32(d) < QREXEC_MIN_VERSION) {
                os_log(a->os, OS_LOG_ERROR,
                       "%s the caller began with %s, not a HELLO we speak; cutting it off", c->ltag,
                       qrexec_type_name(type));
                conn_end(c);
                return;
            }
            c->hello_seen = true;
            if (!begin(c))
                break;
            continue;
        }
        if (type == QREXEC_MSG_DATA_STDIN) {
            if (c->streaming) {
                feed(c, d, len);
                continue;
            }
            if (len == 0) {
                run(c);
                break;
            }
            if (buf_add(a->os, &c->in, d, len, MAX_INPUT) < 0) {
                os_log(a->os, OS_LOG_ERROR, "%s stdin beyond %u bytes; ending the call", c->ltag,
                       MAX_INPUT);
                conn_end(c);
                return;
            }
            continue;
        }
        if (type == QREXEC_MSG_DATA_STDOUT || type == QREXEC_MSG_DATA_STDERR ||
            type == QREXEC_MSG_DATA_EXIT_CODE) {
            os_log(a->os, OS_LOG_WARN, "%s the caller sent %s; ignored", c->ltag,
                   qrexec_type_name(type));
            continue;
        }
        os_log(a->os, OS_LOG_ERROR, "%s the caller sent %s on a data channel; cutting it off",
               c->ltag, qrexec_type_name(type));
        conn_end(c);
        return;
    }
    if (c->phase == C_INPUT)
        (void)qrexec_link_flush(&c->link);
    if (c->phase == C_OUTPUT) {
        /* done when dom0 has everything, or has gone */
        if (qrexec_link_flush(&c->link) < 0 || vchan_state(c->v) != VCHAN_CONNECTED ||
            (qrexec_link_queued(&c->link) == 0 &&
             vchan_buffer_space(c->v) == vchan_write_size(c->v)))
            conn_end(c);
    }
}

int qrexec_agent_poll(struct qrexec_agent *a)
{
    if (!a->ctl) {
        int r = ctl_serve(a);
        if (r < 0)
            return r;
    }
    int st = vchan_poll(a->ctl);
    int r = st < 0 ? st : qrexec_link_flush(&a->link);
    while (r >= 0) {
        uint32_t type, len;
        const uint8_t *d;
        r = qrexec_link_next(&a->link, &type, &d, &len);
        if (r <= 0)
            break;
        r = ctl_message(a, type, d, len);
    }
    if (r < 0 || vchan_state(a->ctl) == VCHAN_CLOSED) {
        if (r == -OS_ESHUTDOWN || vchan_state(a->ctl) == VCHAN_CLOSED)
            os_log(a->os, OS_LOG_INFO, "%s dom0 closed the control channel; serving it again", tag);
        ctl_drop(a);
        /* calls still waiting for dom0's answer will not get one */
        for (unsigned i = 0; i < MAX_REQUESTS; i++)
            if (a->reqs[i] && a->reqs[i]->phase == R_ASKED)
                req_end(a->reqs[i], QREXEC_EXIT_PROBLEM);
        r = ctl_serve(a);
        if (r < 0)
            return r;
    }
    for (unsigned i = 0; i < MAX_CONNS; i++)
        if (a->conns[i].used)
            conn_step(&a->conns[i]);
    for (unsigned i = 0; i < MAX_REQUESTS; i++)
        if (a->reqs[i] && a->reqs[i]->phase == R_RUNNING)
            req_step(a->reqs[i]);
    (void)qrexec_link_flush(&a->link);
    return (int)a->calls;
}

void qrexec_agent_close(struct qrexec_agent *a)
{
    if (!a)
        return;
    for (unsigned i = 0; i < MAX_CONNS; i++)
        if (a->conns[i].used)
            conn_free(&a->conns[i]);
    /* the app frees its requests; they stop here */
    for (unsigned i = 0; i < MAX_REQUESTS; i++)
        if (a->reqs[i]) {
            if (a->reqs[i]->phase != R_DONE)
                req_end(a->reqs[i], QREXEC_EXIT_PROBLEM);
            a->reqs[i]->a = NULL;
        }
    ctl_drop(a);
    os_free(a->os, a);
}
