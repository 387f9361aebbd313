/*
 * os.h — everything a portable splitbed frontend may ask of its host.
 *
 * The drivers in frontends/ (xenbus, blkfront, netfront, tarfs) and the
 * guest apps include only this header, their own headers, <stdint.h>,
 * <stddef.h>, <stdbool.h> and the Xen public headers.  Each home provides
 * one implementation:
 *   frontends/os/linux/      a Linux process, over libxengnttab (gntshr),
 *                            libxenevtchn and libxenstore — on the simulator
 *                            or in a real domU;
 *   frontends/os/unikernel/  a PVH guest, over hypercalls;
 *   backends-sim/world/home/ inside the seeded in-process world, where
 *                            os_wait() hands control to its scheduler;
 *   tests/unit/              the unit tests' in-memory peers (test_*_host.c).
 *
 * Rules every implementation keeps:
 *  - Nothing here blocks except os_wait().  Drivers never call os_wait();
 *    only synchronous helpers and app main loops do.
 *  - Errors are negative errno values (-EINVAL, -ENOMEM, -EAGAIN …) using
 *    the numbers below, the same on every home.
 *  - Strings are NUL-terminated; xenstore values are text.
 */
#ifndef SPLITBED_OS_H
#define SPLITBED_OS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xen_public.h"
#include <xen/grant_table.h>
#include <xen/event_channel.h>

/* Linux errno numbers, so portable code can name errors without <errno.h>. */
enum {
    OS_EPERM = 1,
    OS_ENOENT = 2,
    OS_EIO = 5,
    OS_E2BIG = 7,
    OS_EBADF = 9,
    OS_EAGAIN = 11,
    OS_ENOMEM = 12,
    OS_EACCES = 13,
    OS_EFAULT = 14,
    OS_EBUSY = 16,
    OS_EEXIST = 17,
    OS_ENODEV = 19,
    OS_EISDIR = 21,
    OS_EINVAL = 22,
    OS_ENOSPC = 28,
    OS_EROFS = 30,
    OS_ERANGE = 34,
    OS_ENOSYS = 38,
    OS_ENOTEMPTY = 39,
    OS_EPROTO = 71,
    OS_EOVERFLOW = 75,
    OS_EBADMSG = 74,
    OS_EOPNOTSUPP = 95,
    OS_ECONNRESET = 104,
    OS_EISCONN = 106,
    OS_ETIMEDOUT = 110,
    OS_ESHUTDOWN = 108,
};

#define OS_PAGE_SIZE 4096u

struct os; /* the host: opaque to drivers */

/* ---- logging ---------------------------------------------------------- */
enum os_log_level { OS_LOG_ERROR = 0, OS_LOG_WARN = 1, OS_LOG_INFO = 2, OS_LOG_DEBUG = 3 };
/* printf-like; the host adds the newline.  Supports %d %u %ld %lu %lld
 * %llu %x %lx %llx %zu %zx %s %c %p %% with optional width, '0' and '-'. */
void os_log(struct os *os, enum os_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Formats into buf (always NUL-terminated when size > 0); returns the
 * length the full output would have, like snprintf. */
int os_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int os_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* ---- memory ----------------------------------------------------------- */
void *os_malloc(struct os *os, size_t size); /* NULL on failure */
void *os_calloc(struct os *os, size_t n, size_t size);
void os_free(struct os *os, void *p);
/* Private, zeroed, page-aligned memory (never shared). */
void *os_pages_alloc(struct os *os, unsigned npages);
void os_pages_free(struct os *os, void *va, unsigned npages);

/* Minimal freestanding helpers (the compiler may also emit calls to
 * memcpy/memset/memmove/memcmp, which every home provides). */
void *os_memcpy(void *dst, const void *src, size_t n);
void *os_memset(void *dst, int c, size_t n);
int os_memcmp(const void *a, const void *b, size_t n);
size_t os_strlen(const char *s);
int os_strcmp(const char *a, const char *b);
int os_strncmp(const char *a, const char *b, size_t n);
/* Parses an unsigned decimal (or 0x-hex) number that is the whole string;
 * -OS_EINVAL if s is empty, has other characters or overflows. */
int os_parse_u64(const char *s, uint64_t *out);

/* ---- grants ----------------------------------------------------------- */
/* Shares npages fresh zeroed pages with domain `peer`: *va receives their
 * (page-aligned, contiguous) address and refs[i] the grant of page i.
 * Linux: xengntshr_share_pages.  Unikernel: allocate + grant each frame. */
int os_share_pages(struct os *os, domid_t peer, unsigned npages, bool writable, void **va,
                   grant_ref_t *refs);
/* Ends the sharing and frees the pages.  -OS_EBUSY while the peer still
 * maps them (the pages are then kept, never reused: XSA-396). */
int os_unshare_pages(struct os *os, void *va, unsigned npages);
/* os_share_pages() of one page that also says goodbye when this side
 * goes away without unsharing it (the process dies): the byte at
 * notify_offset of the page is set to 0 and `port` notified, as Linux's
 * gntalloc unmap notification does.  vchan's live bytes use it.  A home
 * whose end is the domain's end (the unikernel) shares without it. */
int os_share_page_notify(struct os *os, domid_t peer, bool writable, uint32_t notify_offset,
                         evtchn_port_t port, void **va, grant_ref_t *ref);
/* Grants one existing page of this domain's memory to `peer` (zero copy).
 * `page` must be the first byte of a whole page the host can grant; any
 * other address is refused with -OS_EINVAL and one diagnostic line naming
 * the domain, the address and the rule (this is where the hypervisor
 * refuses a tar reader's unaligned buffer).  Linux process: only pages
 * obtained from os_share_pages qualify, and a read-only grant of a page
 * shared writable is a read-only copy of the page as it is now.
 * A page of an os_share_pages region granted with the region's own access
 * gets the region's ref on every home.
 * Returns 0 when the grant belongs to a region and ends with it (nothing
 * to give back), 1 when it took a grant entry of its own (the unikernel,
 * for any other page or access), which the caller gives back with
 * os_end_access() once the peer is done with the page (a request
 * answered), or a negative error. */
int os_grant_access(struct os *os, domid_t peer, const void *page, bool readonly, grant_ref_t *ref);
/* 0, -OS_EINVAL for a ref this home did not give, -OS_EBUSY while the
 * peer still maps the page (the grant then stays). */
int os_end_access(struct os *os, grant_ref_t ref);
/* Maps npages that domain `peer` granted (refs[i], page i) into this
 * domain, contiguously from *va; read-only unless `writable`.  A ref the
 * peer did not grant to us, or not with that access, fails as Xen fails
 * the map (-OS_EPERM, -OS_EINVAL …) and nothing stays mapped.
 * Linux: xengnttab_map_domain_grant_refs.  Unikernel: GNTTABOP_map_grant_ref
 * into frames given back to Xen first. */
int os_map_grants(struct os *os, domid_t peer, unsigned npages, const grant_ref_t *refs,
                  bool writable, void **va);
/* os_map_grants() of one page with os_share_page_notify()'s goodbye. */
int os_map_grant_notify(struct os *os, domid_t peer, grant_ref_t ref, bool writable,
                        uint32_t notify_offset, evtchn_port_t port, void **va);
/* Ends a mapping os_map_grants() made (the same va and npages). */
int os_unmap_grants(struct os *os, void *va, unsigned npages);

/* ---- event channels --------------------------------------------------- */
/* Allocates an unbound port that domain `peer` may bind.  Ports start
 * masked=false and are reported by os_evtchn_next_pending(). */
int os_evtchn_alloc_unbound(struct os *os, domid_t peer, evtchn_port_t *port);
/* Binds a local port to port `remote` of domain `peer`, which that
 * domain allocated unbound for us.  Reported like os_evtchn_alloc_unbound's. */
int os_evtchn_bind_interdomain(struct os *os, domid_t peer, evtchn_port_t remote,
                               evtchn_port_t *local);
int os_evtchn_notify(struct os *os, evtchn_port_t port);
int os_evtchn_close(struct os *os, evtchn_port_t port);
/* Returns the next port with an event delivered since the last call
 * (clearing it and re-arming delivery), 0 when there is none, or a
 * negative error.  Port 0 is never a valid port.  An event may be
 * reported only once an os_wait() has seen it; such a wait returns at
 * once, so no event is lost. */
int os_evtchn_next_pending(struct os *os, evtchn_port_t *port);

/* ---- xenstore ---------------------------------------------------------- */
typedef uint32_t os_xs_tx; /* 0 = no transaction */
/* Reads a node into buf (NUL-terminated); returns its length, -OS_ENOENT,
 * -OS_E2BIG if it does not fit, -OS_EACCES … */
int os_xs_read(struct os *os, os_xs_tx tx, const char *path, char *buf, size_t size);
int os_xs_write(struct os *os, os_xs_tx tx, const char *path, const char *value);
int os_xs_mkdir(struct os *os, os_xs_tx tx, const char *path);
int os_xs_rm(struct os *os, os_xs_tx tx, const char *path);
/* Gives path the permissions a vchan server gives its keys: owned by
 * this domain, no access for others, read access for `reader`. */
int os_xs_allow_read(struct os *os, os_xs_tx tx, const char *path, domid_t reader);
/* Lists children: names are packed NUL-separated in buf; returns their
 * count. */
int os_xs_directory(struct os *os, os_xs_tx tx, const char *path, char *buf, size_t size);
int os_xs_tx_start(struct os *os, os_xs_tx *tx);
/* Commits (abort=false) or aborts; -OS_EAGAIN when a commit conflicted
 * and the caller should redo the transaction. */
int os_xs_tx_end(struct os *os, os_xs_tx tx, bool abort);
/* A watch fires once at registration and then on every change at or
 * below path, as in Xen. */
int os_xs_watch(struct os *os, const char *path, const char *token);
int os_xs_unwatch(struct os *os, const char *path, const char *token);
/* Returns 1 and fills path/token with the next fired watch, 0 if none. */
int os_xs_next_watch(struct os *os, char *path, size_t path_size, char *token, size_t token_size);
/* This domain's id (from xenstore's "domid" node or the host). */
domid_t os_domid(struct os *os);

/* ---- time and waiting -------------------------------------------------- */
uint64_t os_now_ns(struct os *os); /* monotonic */
/* Blocks until an event channel or a watch has something, or until the
 * monotonic deadline (0 = no deadline).  Returns 1 if something may be
 * ready, 0 on timeout, negative on error.  Only apps and *_sync helpers
 * call this; drivers never do. */
int os_wait(struct os *os, uint64_t deadline_ns);

/* ---- the app ----------------------------------------------------------- */
/* Writes bytes to the guest's standard output (stdout of the process, the
 * console ring of a unikernel).  Returns bytes written or negative. */
long os_console_write(struct os *os, const void *buf, size_t len);
/* Every guest app is one portable function; each home provides main(),
 * builds the struct os, and turns the return value into the exit status
 * (0 success, 1 failure, 2 bad usage or input). */
int app_main(struct os *os, int argc, char **argv);

#endif
