/*
 * hvd.h — the daemon's shared state, between its event loop (loop.c),
 * domains (domains.c), client connections (connections.c), request
 * dispatch (dispatch.c) and the request handlers (gnt.c, evt.c, ctl.c).
 * Private to splitbed-hvd.
 */
#ifndef SPLITBED_HVD_HVD_H
#define SPLITBED_HVD_HVD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "backends-sim/hv/core/hv.h"
#include "backends-sim/hv/wire/evpage.h"
#include "backends-sim/hv/wire/wire.h"
#include "backends-sim/procdom/procdom.h"

struct dmem;

/* Grants one domain may hold through gntalloc (ENOSPC beyond): Linux's
 * xen_gntalloc.limit, 1024 unless --gntalloc-limit says otherwise. */
#define HVD_GNTALLOC_LIMIT 1024u
extern uint32_t hvd_gntalloc_limit;
/* Handles (gnttab, gntshr, evtchn) one guest domain may hold open at once: a
 * Linux process's default RLIMIT_NOFILE.  Each costs the daemon 2 to 6
 * descriptors, so no domain can exhaust the daemon's. */
#define HVD_HANDLES_PER_DOMAIN 1024u
/* How long the daemon stops accepting when it runs out of descriptors. */
#define HVD_ACCEPT_PAUSE_MS 100

struct hdom { /* a domain as the daemon hosts it */
    domid_t id;
    uint32_t gen;
    int listen_fd;
    char *path; /* DIR/hv/domN */
    struct dmem *mem;
    uint64_t bounce; /* frame used to carry grant-copy data */
    /* Xen's view of the domain (hypercall.h) */
    uint32_t pause_count;  /* XEN_DOMCTL_pausedomain, not yet undone */
    bool shutdown;         /* SCHEDOP_shutdown / remote_shutdown seen */
    uint8_t shutdown_code; /* SHUTDOWN_* */
    uint64_t max_pages;    /* XEN_DOMCTL_max_mem, in pages */
    uint8_t handle[16];    /* xen_domain_handle_t: a UUID, dom0's is zero */
    uint32_t shared;       /* grants its gntshr handles hold (gntalloc's count) */
    uint32_t nconns;       /* its handles (connections) */
    bool share_limit_traced, conn_limit_traced; /* once until below again */
    struct hdom *next;
};

struct notify_spec { /* UNMAP_NOTIFY_* of Linux gntdev/gntalloc */
    uint32_t offset; /* HVW_NOTIFY_NONE: no byte to clear */
    uint32_t port;   /* HVW_NOTIFY_NONE: no event to send */
};

struct hmap { /* one xengnttab mapping */
    uint32_t id;
    uint32_t count;
    grant_handle_t *handles;
    domid_t *granters;
    uint64_t *gfns;
    uint64_t *mems; /* per page: id of the sharing memfd backing it */
    bool writable;
    struct notify_spec notify;
    struct hmap *next;
};

struct hshare { /* one xengntshr sharing */
    uint32_t id;
    uint32_t count;
    grant_ref_t *refs;
    uint64_t *gfns;
    bool *live;
    struct notify_spec notify;
    struct hshare *next;
};

struct conn {
    int fd;
    uint32_t id; /* unique for the daemon's life */
    struct hdom *dom;
    uint32_t kind; /* 0 until HELLO */
    pid_t pid;
    int pid_dom;  /* the domain pid belongs to (procdom.h) */
    bool refused; /* pid is not of this socket's domain: HELLO gets EPERM */
    bool dying;   /* hung up, release deferred */
    /* evtchn: the event counter's read and write ends (evpage.h) */
    int rfd;
    int efd;
    int pagefd;
    struct evpage *page;
    int32_t restrict_dom; /* -1: any */
    /* gnttab / gntshr */
    struct hmap *maps;
    struct hshare *shares;
    uint32_t next_obj;
    uint32_t max_grants;
    uint32_t nmapped;
    /* gnttab: unmap ring (wire.h) and how far we read it */
    struct hvw_unmap_ring *uring;
    int uring_fd;
    uint32_t ucons;
    /* gnttab: the call page, its doorbell and answer pipe (wire.h) */
    struct hvw_call_page *call;
    int call_fd, bell_fd, answer_rfd, answer_wfd;
    bool bell_watched;
    uint32_t call_seen; /* the latest request number taken */
    /* xencall: the hypercall buffer arena (wire.h) */
    void *arena;
    int arena_fd;
    struct conn *next;
};

struct hvd {
    hv_t *hv;
    const char *dir;
    char *hvdir;
    int trace_fd;
    struct hdom *doms;
    struct conn *conns;
    uint32_t next_conn_id;
    struct procdom_sim sim; /* DIR, to tell which domain a client is in */
    int epfd;               /* the main loop's epoll set: listen and client sockets */
    bool paused;            /* out of descriptors: domain sockets unpolled until resume_at */
    bool pause_traced;      /* traced once until an accept succeeds */
    long long resume_at;    /* CLOCK_MONOTONIC ms */
    char *drain;            /* receive buffer for posted packets */
    char *in;               /* receive buffer for requests */
    /* the reply being built by a handler */
    char *out;
    size_t outlen;
    int outfds[HVW_MAX_FDS];
    unsigned noutfds;
};

/* Reply building, used by handlers: append bytes / a descriptor (not
 * owned; sent, not closed). */
void *hvd_out(struct hvd *h, size_t n);
int hvd_out_fd(struct hvd *h, int fd);

/* One trace line for domain d: stderr and DIR/trace. */
void hvd_trace(struct hvd *h, domid_t d, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Adds fd to the event loop's epoll set (closing fd removes it). */
int hvd_watch_fd(struct hvd *h, int fd);
/* Stops polling every domain socket for HVD_ACCEPT_PAUSE_MS: out of
 * descriptors, a listening socket stays readable while accept keeps
 * failing, so polling it would spin. */
void hvd_listen_pause(struct hvd *h);

/* Domains (domains.c). */
struct hdom *hvd_dom(struct hvd *h, domid_t d);
int hvd_dom_create(struct hvd *h, domid_t d); /* 0, 1 existed, -errno */
int hvd_dom_destroy(struct hvd *h, domid_t d);
/* XEN_DOMCTL_pausedomain / unpausedomain (lifecycle.c): 0 or -errno. */
int hvd_dom_pause(struct hvd *h, struct hdom *dom);
int hvd_dom_unpause(struct hvd *h, struct hdom *dom);
/* SCHEDOP_shutdown / remote_shutdown: the first one sets the reason,
 * stops the domain's processes and raises VIRQ_DOM_EXC. */
void hvd_dom_shutdown(struct hvd *h, struct hdom *dom, unsigned reason);
/* Kills every process of domain d (at destroy). */
void hvd_dom_kill(struct hvd *h, domid_t d);
/* VIRQ_DOM_EXC to dom0's handler: a domain shut down or died. */
void hvd_raise_dom_exc(struct hvd *h);
/* Frees every domain and the memory of destroyed ones: at exit. */
void hvd_doms_free(struct hvd *h);
/* Frees the memory of destroyed domains the core has let go of. */
void hvd_zombies_sweep(struct hvd *h);

/* Connections (connections.c).  A hung-up connection is `dying` until
 * nothing holds it any more; the lookups skip dying ones. */
struct conn *hvd_conn_by_id(struct hvd *h, uint32_t id);
struct conn *hvd_conn_by_fd(struct hvd *h, int fd);
bool hvd_conn_live(const struct hvd *h, const struct conn *c);
/* Accepts one client on dom's socket. */
void hvd_accept(struct hvd *h, struct hdom *dom);
/* Takes c off the list; hvd_conn_release() then frees what it holds. */
void hvd_conn_unlink(struct hvd *h, struct conn *c);
void hvd_conn_release(struct hvd *h, struct conn *c);
/* Closes c's socket and releases it once nothing holds it. */
void hvd_conn_hangup(struct hvd *h, struct conn *c);
/* Traces why and hangs c up: a hostile or broken client. */
void hvd_cut_off(struct hvd *h, struct conn *c, const char *why);
/* Releases the hung-up connections nothing holds any more. */
void hvd_reap_dying(struct hvd *h);
/* Releases every connection: at exit. */
void hvd_conns_free(struct hvd *h);

/* Requests (dispatch.c).  Serves one packet of c, read into buf (of
 * HVW_MSG_MAX bytes). */
enum hvd_served {
    SERVED_NONE,    /* there was none to read, or c is gone */
    SERVED_POSTED,  /* a posted packet */
    SERVED_REPLIED, /* a request answered */
};
enum hvd_served hvd_serve(struct hvd *h, struct conn *c, char *buf);
/* The same for a packet already read: n bytes in buf, which came with
 * nfds descriptors (already closed). */
enum hvd_served hvd_serve_packet(struct hvd *h, struct conn *c, char *buf, size_t n, unsigned nfds);
/* The same for a request (n bytes in buf, which has HVW_MSG_MAX) that
 * came as a packet or, with page, through c's call page. */
enum hvd_served hvd_serve_request(struct hvd *h, struct conn *c, char *buf, size_t n, bool page);

/* Call pages (callpage.c, wire.h).  hvd_call_open sets up c's at HELLO
 * (0 or a positive errno) and adds its three descriptors to the reply;
 * hvd_call_close ends it (at hang-up).  hvd_serve_call serves what c rang
 * for, reading into buf (HVW_MSG_MAX bytes); hvd_call_answer puts a reply
 * of n bytes in c's page and wakes c: 0, or -errno when c's answer pipe
 * is full (it does not read its answers). */
int hvd_call_open(struct hvd *h, struct conn *c);
void hvd_call_close(struct hvd *h, struct conn *c);
struct conn *hvd_conn_by_bell(struct hvd *h, int fd);
void hvd_serve_call(struct hvd *h, struct conn *c, char *buf);
int hvd_call_answer(struct hvd *h, struct conn *c, const void *rep, size_t n);

/* Handlers: payload in, reply via hvd_out; return 0 or a positive errno
 * for the client, or -1 to cut the client off (malformed request). */
int gnt_share(struct hvd *h, struct conn *c, const void *p, size_t n);
int gnt_unshare(struct hvd *h, struct conn *c, const void *p, size_t n);
int gnt_map(struct hvd *h, struct conn *c, const void *p, size_t n);
int gnt_unmap(struct hvd *h, struct conn *c, const void *p, size_t n);
int gnt_mem(struct hvd *h, struct conn *c, const void *p, size_t n);
int gnt_copy(struct hvd *h, struct conn *c, const void *p, size_t n);
int gnt_set_max(struct hvd *h, struct conn *c, const void *p, size_t n);
void gnt_release(struct hvd *h, struct conn *c);
/* Whether an unmap notification c still has to send uses a port that
 * `owner` bound. */
bool gnt_notify_uses(struct hvd *h, const struct conn *c, const struct conn *owner);

int evt_open(struct hvd *h, struct conn *c);
int evt_bind_unbound(struct hvd *h, struct conn *c, const void *p, size_t n);
int evt_bind_interdomain(struct hvd *h, struct conn *c, const void *p, size_t n);
int evt_bind_virq(struct hvd *h, struct conn *c, const void *p, size_t n);
int evt_unbind(struct hvd *h, struct conn *c, const void *p, size_t n);
int evt_notify(struct hvd *h, struct conn *c, const void *p, size_t n);
int evt_peer(struct hvd *h, struct conn *c, const void *p, size_t n);
int evt_restrict(struct hvd *h, struct conn *c, const void *p, size_t n);
void evt_release(struct hvd *h, struct conn *c);
/* Sends an event on port `port` of domain d as the daemon (unmap notify). */
void evt_send_as(struct hvd *h, domid_t d, evtchn_port_t port);
/* Core callbacks. */
void evt_core_notify(void *host, domid_t d, evtchn_port_t port);
void evt_core_port_closed(void *host, domid_t d, evtchn_port_t port);

int ctl_status(struct hvd *h, char *buf, size_t size);

/* xencall handles (hypercall.c): the arena at HELLO, one hypercall, and
 * release. */
int hcall_open(struct hvd *h, struct conn *c);
int hcall(struct hvd *h, struct conn *c, const void *p, size_t n);
void hcall_release(struct hvd *h, struct conn *c);

#endif
