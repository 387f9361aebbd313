/*
 * wire.h — the protocol between splitbed-hvd and its clients (the drop-in
 * libxengnttab/libxenevtchn and hvctl).
 *
 * Transport: a SOCK_SEQPACKET Unix socket per domain (DIR/hv/domN); the
 * socket a client connected to is its domain.  One connection is one
 * library handle.  Every request is one packet: struct hvw_req followed by
 * `len` payload bytes; every request gets exactly one reply packet:
 * struct hvw_rep, `len` payload bytes, and possibly file descriptors
 * (SCM_RIGHTS).  A packet whose size disagrees with its header, an unknown
 * op, or a payload that does not fit its op gets the connection closed
 * and a line in the trace.
 *
 * One op is posted: HVW_GNT_UNMAP gets no reply, so that unmapping costs
 * the client no round trip.  Before it serves any other request, the
 * daemon first serves every posted packet waiting at the head of any
 * client's socket: whatever a process does after an unmap (notify a peer,
 * which then ends its grant) reaches the daemon after the unmap took
 * effect, as if the unmap had been a synchronous hypercall.
 *
 * A gnttab handle may also post unmaps without a system call: HELLO's
 * reply to a gnttab handle carries a memfd holding its unmap ring (struct
 * hvw_unmap_ring).  The client writes map ids and advances prod; the
 * daemon reads the rings of every client before it serves any packet, so
 * the rule above holds for them too.  The ring wakes nobody: an unmap
 * whose mapping carries an unmap notification, or one that finds the ring
 * full, is posted on the socket instead (served after the ring).  A ring
 * whose prod runs more than HVW_UNMAP_RING past what the daemon has read,
 * or that names a mapping the handle does not hold, cuts the client off.
 *
 * All integers are host-endian: both ends run on the same machine.
 */
#ifndef SPLITBED_HVW_WIRE_H
#define SPLITBED_HVW_WIRE_H

#include <stdint.h>

#define HVW_PAGE_SIZE 4096u
#define HVW_MSG_MAX 65536u  /* largest packet either way */
#define HVW_MAX_FDS 16u     /* most fds one reply carries */
#define HVW_MAX_PAGES 4096u /* most pages one map/share request names */

enum hvw_kind { /* what a connection is, set by HELLO */
                HVW_KIND_GNTTAB = 1,
                HVW_KIND_GNTSHR = 2,
                HVW_KIND_EVTCHN = 3,
                HVW_KIND_CTL = 4,
                HVW_KIND_XENCALL = 5,
};

enum hvw_op {
    HVW_HELLO = 1,            /* hvw_hello -> hvw_hello_rep [+ evtchn fds | gnttab fds] */
    HVW_GNT_SHARE,            /* hvw_share -> hvw_share_rep + memfd */
    HVW_GNT_UNSHARE,          /* hvw_refs -> (nothing) */
    HVW_GNT_MAP,              /* hvw_map + hvw_map_ent[] -> hvw_map_rep */
    HVW_GNT_UNMAP,            /* hvw_handles, posted: no reply */
    HVW_GNT_COPY,             /* hvw_copy + hvw_copy_ent[] -> hvw_copy_rep + data */
    HVW_GNT_SET_MAX,          /* uint32 -> (nothing) */
    HVW_EVT_BIND_UNBOUND,     /* hvw_evt -> hvw_evt_rep */
    HVW_EVT_BIND_INTERDOMAIN, /* hvw_evt -> hvw_evt_rep */
    HVW_EVT_BIND_VIRQ,        /* hvw_evt -> hvw_evt_rep */
    HVW_EVT_UNBIND,           /* hvw_evt -> (nothing) */
    HVW_EVT_NOTIFY,           /* hvw_evt -> hvw_evt_rep [+ peer fds] */
    HVW_EVT_PEER,             /* hvw_evt -> hvw_evt_rep [+ peer fds] */
    HVW_EVT_RESTRICT,         /* hvw_evt -> (nothing) */
    HVW_CTL_PING,             /* -> (nothing) */
    HVW_CTL_DOMAIN_CREATE,    /* uint32 domid -> struct hvw_dom_created */
    HVW_CTL_DOMAIN_DESTROY,   /* uint32 domid -> (nothing) */
    HVW_CTL_STATUS,           /* -> text */
    HVW_GNT_MEM,              /* hvw_mem_req + ids -> memfds */
    HVW_CALL,                 /* hvw_call -> hvw_call_rep */
    HVW_CTL_DOMAIN_STATE,     /* hvw_dom_state -> (nothing) */
    HVW_OP_MAX
};

struct hvw_req {
    uint32_t op;
    uint32_t len;
};

struct hvw_rep {
    int32_t err; /* 0 or a positive errno */
    uint32_t len;
};

struct hvw_hello {
    uint32_t kind;
    uint32_t pid;
};

struct hvw_hello_rep {
    uint32_t domid;
    uint32_t conn_id;
    uint32_t nports; /* evtchn: ports the event page covers */
    uint32_t pad;
};

/*
 * Guest memory: the pages of one sharing (one GNT_SHARE) live in a memfd
 * of their own, page i of the sharing at page i of the memfd, so that a
 * descriptor reaches no page of its domain but those.  A map reply names
 * each page by (sharing memfd id, page); the client asks for the memfds
 * it lacks with GNT_MEM, which the daemon answers only for sharings a
 * mapping of this handle includes, read-only unless that mapping is
 * writable.  The client may keep memfds across mappings (ids are unique
 * for the daemon's life) and drop them when it likes.  A page whose grant
 * ended is punched out of its memfd: an old descriptor sees a hole there,
 * never the frame's next use.
 */
struct hvw_mem {
    uint64_t id;
    uint32_t readonly; /* the mapping is read-only */
    uint32_t pad;
};

#define HVW_NOTIFY_NONE 0xffffffffu

struct hvw_share {
    uint32_t domid; /* who may map */
    uint32_t count;
    uint32_t writable;
    uint32_t notify_offset; /* HVW_NOTIFY_NONE, or byte in page 0 */
    uint32_t notify_port;   /* HVW_NOTIFY_NONE, or local port */
};

struct hvw_share_rep { /* comes with the sharing's memfd, read-write */
    uint32_t share_id;
    uint32_t count;
    /* followed by uint32 refs[count] */
};

struct hvw_refs { /* GNT_UNSHARE */
    uint32_t share_id;
    uint32_t first; /* first page of the share to end */
    uint32_t count;
};

struct hvw_map {
    uint32_t count;
    uint32_t writable;
    uint32_t notify_offset;
    uint32_t notify_port;
    /* followed by hvw_map_ent[count] */
};

struct hvw_map_ent {
    uint32_t domid;
    uint32_t ref;
};

struct hvw_map_rep {
    uint32_t map_id; /* names the mapping in GNT_UNMAP */
    uint32_t count;
    uint32_t nmem;
    uint32_t pad;
    /* followed by hvw_mem[nmem], then per page: uint32 mem index, uint32
     * page in that memfd */
};

#define HVW_MEM_MAX HVW_MAX_FDS /* most memfds one GNT_MEM asks for */

struct hvw_mem_req { /* GNT_MEM */
    uint32_t count;
    uint32_t readonly;
    /* followed by uint64 id[count]; the reply carries count memfds, in order */
};

struct hvw_handles { /* GNT_UNMAP */
    uint32_t map_id;
};

#define HVW_UNMAP_RING 1000u

struct hvw_unmap_ring { /* one page, shared by a gnttab handle and the daemon */
    uint32_t prod;      /* written by the client */
    uint32_t cons;      /* written by the daemon: entries read */
    uint32_t map_id[HVW_UNMAP_RING];
};

/*
 * The call page: a gnttab handle's requests without a packet.  HELLO's
 * reply to a gnttab handle carries, after its unmap ring, the memfd of a
 * struct hvw_call_page, a doorbell (an eventfd the daemon polls) and the
 * read end of an answer pipe whose write end only the daemon holds, so
 * that a client waiting for an answer sees EOF if the daemon is gone.
 * A request whose reply carries no descriptor (hvw_call_op_ok) may go
 * this way: the client writes struct hvw_req and the payload into req,
 * then its new request number into seq, adds 1 to the doorbell and reads
 * one byte from the answer pipe.  The daemon copies the request out of
 * the page before it looks at it and serves it as it serves a packet
 * (every unmap ring and posted packet first, but for what the client
 * itself posted on its socket: a client that posted there sends its next
 * request there, behind the posted packets), then writes struct hvw_rep
 * and the reply payload into rep, seq into done, and one byte into the
 * pipe.  A request in the page that
 * a packet could not carry, or an op not allowed there, cuts the client
 * off; so does a client that leaves its answers unread until the pipe is
 * full.  The page saves the socket's buffer handling on both sides; a
 * map costs the client a write and a read, the daemon a read and a write.
 */
struct hvw_call_page {
    uint32_t seq;  /* written by the client: its latest request */
    uint32_t done; /* written by the daemon: the latest request answered */
    uint8_t pad[HVW_PAGE_SIZE - 2 * sizeof(uint32_t)];
    uint8_t req[HVW_MSG_MAX]; /* struct hvw_req, then its payload */
    uint8_t rep[HVW_MSG_MAX]; /* struct hvw_rep, then its payload */
};

static inline int hvw_call_op_ok(uint32_t op)
{
    return op == HVW_GNT_MAP || op == HVW_GNT_COPY || op == HVW_GNT_SET_MAX;
}

#define HVW_COPY_SRC_GREF 1u /* GNTCOPY_source_gref */
#define HVW_COPY_DST_GREF 2u /* GNTCOPY_dest_gref */

struct hvw_copy {
    uint32_t count;
    uint32_t pad;
    /* followed by hvw_copy_ent[count] */
};

struct hvw_copy_ent { /* one foreign side of a copy segment */
    uint32_t domid;
    uint32_t ref;
    uint16_t offset;
    uint16_t len;
    uint32_t write; /* the copy writes into the grant */
};

struct hvw_copy_rep {
    uint32_t count;
    uint32_t nmem; /* 0 */
    /* followed by int32 status[count] (GNTST_*), then the bytes of each
     * read, in order */
};

struct hvw_evt {
    uint32_t domid;
    uint32_t port; /* local or remote port, per op */
};

struct hvw_evt_rep {
    uint32_t port;
    uint32_t peer_conn; /* 0: no peer handle yet */
    uint32_t peer_port;
    uint32_t gen;    /* binding generation of the local port */
    uint32_t nports; /* size of the peer's event page */
    int32_t fd_base; /* index of the peer counter's write end, then its page
                      * and read end (evpage.h); -1 */
};

/*
 * Hypercalls (libxencall).  HELLO's reply to a xencall handle carries a
 * memfd of HVW_CALL_ARENA bytes, sealed against resizing: the handle's
 * hypercall buffers (xencall_alloc_buffer*) are carved from it, so the
 * daemon reads and writes the structures they hold, and follows guest
 * handles inside them, wherever they point into the arena.  `base` is
 * where the client mapped it: an address outside [base, base + arena)
 * is a bad address (EFAULT), as it is for Xen outside the caller's
 * memory.  ret is the hypercall's return value (a negative errno).
 */
#define HVW_CALL_ARENA (16u << 20)

enum hvw_dom_action { HVW_DOM_PAUSE = 1, HVW_DOM_UNPAUSE, HVW_DOM_SHUTDOWN };

struct hvw_dom_state { /* CTL_DOMAIN_STATE: the toolstack acts on a domain */
    uint32_t domid;
    uint32_t action; /* hvw_dom_action */
    uint32_t reason; /* SHUTDOWN_*, for HVW_DOM_SHUTDOWN */
};

struct hvw_dom_created { /* CTL_DOMAIN_CREATE's reply */
    uint32_t existed;    /* 1 when the domain was there already */
    uint8_t handle[16];  /* its UUID (xen_domain_handle_t), dom0's zero */
};

struct hvw_call {
    uint64_t base;
    uint32_t op; /* __HYPERVISOR_* */
    uint32_t pad;
    uint64_t arg[5];
};

struct hvw_call_rep {
    int64_t ret;
};

#endif
