/*
 * xenbus.c — the frontend half of the XenbusState handshake (see xenbus.h).
 *
 * Watches are level-triggered in effect: a fired watch only marks the
 * device dirty, and xenbus_step() then re-reads the backend's state and
 * acts on what it finds, so coalesced or reordered watch events and peers
 * that skip states all end in the same place.
 */
#include "xenbus.h"

#define XB_MAX_DEVS 32
#define XB_PATH_MAX 128
#define XB_TX_RETRIES 32

struct xenbus_dev {
    struct os *os;
    const struct xenbus_ops *ops;
    void *ctx;
    char name[32], tag[16], token[16];
    char fe[XB_PATH_MAX], be[XB_PATH_MAX];
    char be_state_path[XB_PATH_MAX + 8];
    domid_t be_id;
    int slot;
    bool dirty;
    bool transport_up; /* ops->setup done, no disconnect since */
    bool reopen;       /* CLOSING is a reset, not a final close */
    bool skip_initialised, early_transport;
    enum xenbus_phase phase;
    XenbusState be_state, fe_state;
    int err;
    char diag[192];
};

/* Every device of every host in this address space: a watch event carries
 * only a token, and the watch queue belongs to the host, not the device. */
static struct xenbus_dev *registry[XB_MAX_DEVS];

static const char *const state_names[] = {
    "Unknown", "Initialising", "InitWait",      "Initialised",  "Connected",
    "Closing", "Closed",       "Reconfiguring", "Reconfigured",
};

const char *xenbus_state_name(XenbusState s)
{
    return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "invalid";
}

static void copy_str(char *dst, size_t size, const char *src)
{
    size_t n = os_strlen(src);
    if (n >= size)
        n = size - 1;
    os_memcpy(dst, src, n);
    dst[n] = '\0';
}

static void vlog(struct xenbus_dev *xd, enum os_log_level level, const char *fmt, va_list ap)
{
    char msg[384];
    os_vsnprintf(msg, sizeof(msg), fmt, ap);
    os_log(xd->os, level, "[%s] %s: %s", xd->tag, xd->name, msg);
}

void xenbus_log(struct xenbus_dev *xd, enum os_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(xd, level, fmt, ap);
    va_end(ap);
}

/* ---- xenstore helpers --------------------------------------------------- */

static int join(char *buf, size_t size, const char *dir, const char *key)
{
    int n = os_snprintf(buf, size, "%s/%s", dir, key);
    return n < 0 || (size_t)n >= size ? -OS_E2BIG : 0;
}

int xenbus_read_backend(struct xenbus_dev *xd, const char *key, char *buf, size_t size)
{
    char path[XB_PATH_MAX + 64];
    if (join(path, sizeof(path), xd->be, key) < 0)
        return -OS_E2BIG;
    return os_xs_read(xd->os, 0, path, buf, size);
}

int xenbus_read_backend_u64(struct xenbus_dev *xd, const char *key, uint64_t *out)
{
    char v[32];
    int r = xenbus_read_backend(xd, key, v, sizeof(v));
    if (r == -OS_E2BIG) {
        xenbus_log(xd, OS_LOG_WARN, "backend %s is too long for a number; ignored", key);
        return -OS_EINVAL;
    }
    if (r < 0)
        return r;
    if (os_parse_u64(v, out) < 0) {
        xenbus_log(xd, OS_LOG_WARN, "backend %s = '%s' is not a number; ignored", key, v);
        return -OS_EINVAL;
    }
    return 0;
}

bool xenbus_backend_feature(struct xenbus_dev *xd, const char *key)
{
    uint64_t v;
    int r = xenbus_read_backend_u64(xd, key, &v);
    if (r < 0)
        return false;
    if (v > 1) {
        xenbus_log(xd, OS_LOG_WARN, "backend %s = %llu is not 0 or 1; taken as 0", key,
                   (unsigned long long)v);
        return false;
    }
    return v == 1;
}

int xenbus_write(struct xenbus_dev *xd, os_xs_tx tx, const char *key, const char *value)
{
    char path[XB_PATH_MAX + 64];
    if (join(path, sizeof(path), xd->fe, key) < 0)
        return -OS_E2BIG;
    return os_xs_write(xd->os, tx, path, value);
}

int xenbus_printf(struct xenbus_dev *xd, os_xs_tx tx, const char *key, const char *fmt, ...)
{
    char v[128];
    va_list ap;
    va_start(ap, fmt);
    int n = os_vsnprintf(v, sizeof(v), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(v))
        return -OS_E2BIG;
    return xenbus_write(xd, tx, key, v);
}

int xenbus_rm(struct xenbus_dev *xd, os_xs_tx tx, const char *key)
{
    char path[XB_PATH_MAX + 64];
    if (join(path, sizeof(path), xd->fe, key) < 0)
        return -OS_E2BIG;
    int r = os_xs_rm(xd->os, tx, path);
    return r == -OS_ENOENT ? 0 : r;
}

int xenbus_switch_state(struct xenbus_dev *xd, os_xs_tx tx, XenbusState state)
{
    int r = xenbus_printf(xd, tx, "state", "%u", (unsigned)state);
    if (r == 0 && tx == 0)
        xd->fe_state = state;
    if (r == 0)
        xenbus_log(xd, OS_LOG_DEBUG, "frontend -> %s", xenbus_state_name(state));
    return r;
}

/* ---- accessors ---------------------------------------------------------- */

enum xenbus_phase xenbus_phase(const struct xenbus_dev *xd)
{
    return xd->phase;
}
int xenbus_error(const struct xenbus_dev *xd)
{
    return xd->err;
}
const char *xenbus_diagnosis(const struct xenbus_dev *xd)
{
    return xd->diag;
}
XenbusState xenbus_backend_state(const struct xenbus_dev *xd)
{
    return xd->be_state;
}
struct os *xenbus_os(const struct xenbus_dev *xd)
{
    return xd->os;
}
const char *xenbus_frontend_path(const struct xenbus_dev *xd)
{
    return xd->fe;
}
const char *xenbus_backend_path(const struct xenbus_dev *xd)
{
    return xd->be;
}
domid_t xenbus_backend_id(const struct xenbus_dev *xd)
{
    return xd->be_id;
}
const char *xenbus_name(const struct xenbus_dev *xd)
{
    return xd->name;
}
const char *xenbus_tag(const struct xenbus_dev *xd)
{
    return xd->tag;
}

/* ---- watches ------------------------------------------------------------ */

void xenbus_pump(struct os *os)
{
    char path[256], token[32];
    for (;;) {
        int r = os_xs_next_watch(os, path, sizeof(path), token, sizeof(token));
        if (r == 0)
            return;
        if (r < 0) {
            /* An oversized event cannot be ours; make every device look. */
            for (int i = 0; i < XB_MAX_DEVS; i++)
                if (registry[i] && registry[i]->os == os)
                    registry[i]->dirty = true;
            if (r != -OS_E2BIG)
                return;
            continue;
        }
        for (int i = 0; i < XB_MAX_DEVS; i++)
            if (registry[i] && registry[i]->os == os && os_strcmp(registry[i]->token, token) == 0)
                registry[i]->dirty = true;
    }
}

/* ---- open / free -------------------------------------------------------- */

static bool parse_state(const char *v, XenbusState *out)
{
    uint64_t n;
    if (os_parse_u64(v, &n) < 0 || n > XenbusStateReconfigured)
        return false;
    *out = (XenbusState)n;
    return true;
}

int xenbus_open(struct os *os, const char *type, const char *id, const char *name, const char *tag,
                const struct xenbus_ops *ops, void *ctx, struct xenbus_dev **out)
{
    int slot = -1;
    for (int i = 0; i < XB_MAX_DEVS; i++)
        if (!registry[i]) {
            slot = i;
            break;
        }
    if (slot < 0) {
        os_log(os, OS_LOG_ERROR, "[%s] %s: more than %d xenbus devices open", tag, name,
               XB_MAX_DEVS);
        return -OS_ENOSPC;
    }
    struct xenbus_dev *xd = os_calloc(os, 1, sizeof(*xd));
    if (!xd) {
        os_log(os, OS_LOG_ERROR, "[%s] %s: out of memory", tag, name);
        return -OS_ENOMEM;
    }
    xd->os = os;
    xd->ops = ops;
    xd->ctx = ctx;
    xd->slot = slot;
    copy_str(xd->name, sizeof(xd->name), name);
    copy_str(xd->tag, sizeof(xd->tag), tag);
    os_snprintf(xd->token, sizeof(xd->token), "xenbus-%d", slot);

    int r;
    int n = os_snprintf(xd->fe, sizeof(xd->fe), "/local/domain/%u/device/%s/%s",
                        (unsigned)os_domid(os), type, id);
    if (n < 0 || (size_t)n >= sizeof(xd->fe)) {
        xenbus_log(xd, OS_LOG_ERROR, "device id '%s' is too long", id);
        r = -OS_EINVAL;
        goto fail;
    }
    char path[XB_PATH_MAX + 16], v[XB_PATH_MAX];
    join(path, sizeof(path), xd->fe, "backend");
    r = os_xs_read(os, 0, path, xd->be, sizeof(xd->be));
    if (r < 0) {
        xenbus_log(xd, OS_LOG_ERROR, "cannot read %s (%s): no %s device %s for this domain", path,
                   r == -OS_ENOENT   ? "absent"
                   : r == -OS_EACCES ? "permission denied"
                                     : "error",
                   type, id);
        goto fail;
    }
    uint64_t beid;
    join(path, sizeof(path), xd->fe, "backend-id");
    r = os_xs_read(os, 0, path, v, sizeof(v));
    if (r < 0 || os_parse_u64(v, &beid) < 0 || beid >= DOMID_FIRST_RESERVED) {
        xenbus_log(xd, OS_LOG_ERROR, "%s is %s", path, r < 0 ? "unreadable" : "not a domain id");
        r = r < 0 ? r : -OS_EINVAL;
        goto fail;
    }
    xd->be_id = (domid_t)beid;
    join(path, sizeof(path), xd->fe, "state");
    xd->fe_state = XenbusStateUnknown;
    if (os_xs_read(os, 0, path, v, sizeof(v)) >= 0)
        (void)parse_state(v, &xd->fe_state);
    join(xd->be_state_path, sizeof(xd->be_state_path), xd->be, "state");
    /* The whole directory: a backend that never leaves Initialising only
     * tells us it is ready through other nodes (hotplug-status). */
    r = os_xs_watch(os, xd->be, xd->token);
    if (r < 0) {
        xenbus_log(xd, OS_LOG_ERROR, "cannot watch %s", xd->be);
        goto fail;
    }
    registry[slot] = xd;
    xd->dirty = true;

    switch (xd->fe_state) {
    case XenbusStateInitialised:
    case XenbusStateConnected:
    case XenbusStateClosing:
        /* Left behind by an earlier user of the device: make the backend
         * drop the old transport before starting afresh. */
        xenbus_log(xd, OS_LOG_INFO, "frontend found in %s; closing it before reconnecting",
                   xenbus_state_name(xd->fe_state));
        xd->phase = XENBUS_CLOSING;
        xd->reopen = true;
        r = xenbus_switch_state(xd, 0, XenbusStateClosing);
        break;
    default:
        xd->phase = XENBUS_WAIT_BACKEND;
        r = 0;
        break;
    }
    if (r < 0) {
        xenbus_log(xd, OS_LOG_ERROR, "cannot write %s/state", xd->fe);
        registry[slot] = NULL;
        (void)os_xs_unwatch(os, xd->be, xd->token);
        goto fail;
    }
    *out = xd;
    return 0;
fail:
    os_free(os, xd);
    return r;
}

void xenbus_set_quirks(struct xenbus_dev *xd, bool skip_initialised, bool early_transport)
{
    xd->skip_initialised = skip_initialised;
    xd->early_transport = early_transport;
    xd->dirty = true;
}

void xenbus_free(struct xenbus_dev *xd)
{
    if (!xd)
        return;
    (void)os_xs_unwatch(xd->os, xd->be, xd->token);
    registry[xd->slot] = NULL;
    os_free(xd->os, xd);
}

void xenbus_fail(struct xenbus_dev *xd, int err, const char *fmt, ...)
{
    if (xd->phase == XENBUS_ERROR)
        return;
    va_list ap;
    va_start(ap, fmt);
    os_vsnprintf(xd->diag, sizeof(xd->diag), fmt, ap);
    va_end(ap);
    xd->err = err < 0 ? err : -OS_EIO;
    xd->phase = XENBUS_ERROR;
    xenbus_log(xd, OS_LOG_ERROR, "%s", xd->diag);
    /* Tell the backend to let go; nothing more will be done here. */
    (void)xenbus_switch_state(xd, 0, XenbusStateClosing);
}

int xenbus_close_device(struct xenbus_dev *xd)
{
    if (xd->phase == XENBUS_ERROR || xd->phase == XENBUS_CLOSED)
        return 0;
    /* The transport stays until the backend answers Closing: it still
     * maps the ring, and a page it maps cannot be taken back (the
     * unikernel's end of access fails; XSA-396).  The step below drops it
     * then, as Linux blkfront frees its rings only once the backend has
     * closed. */
    xd->reopen = false;
    xd->phase = XENBUS_CLOSING;
    xd->dirty = true;
    return xenbus_switch_state(xd, 0, XenbusStateClosing);
}

/* ---- the handshake ------------------------------------------------------ */

static int read_backend_state(struct xenbus_dev *xd)
{
    char v[16];
    int r = os_xs_read(xd->os, 0, xd->be_state_path, v, sizeof(v));
    XenbusState s;
    if (r == -OS_ENOENT) {
        s = XenbusStateUnknown;
    } else if (r < 0) {
        return r;
    } else if (!parse_state(v, &s)) {
        xenbus_fail(xd, -OS_EPROTO, "backend %s = '%s' is not a XenbusState", xd->be_state_path, v);
        return -OS_EPROTO;
    }
    if (s != xd->be_state)
        xenbus_log(xd, OS_LOG_DEBUG, "backend %s -> %s", xenbus_state_name(xd->be_state),
                   xenbus_state_name(s));
    xd->be_state = s;
    return 0;
}

static void drop_transport(struct xenbus_dev *xd)
{
    if (xd->transport_up && xd->ops->disconnect)
        xd->ops->disconnect(xd->ctx);
    xd->transport_up = false;
}

/* Is the backend waiting for our transport? */
static bool backend_ready(struct xenbus_dev *xd)
{
    if (xd->early_transport && xd->be_state != XenbusStateClosing) {
        xenbus_log(xd, OS_LOG_INFO, "writing the ring without waiting for the backend (backend %s)",
                   xenbus_state_name(xd->be_state));
        return true;
    }
    switch (xd->be_state) {
    case XenbusStateInitWait: return true;
    case XenbusStateInitialised:
    case XenbusStateConnected:
        /* A backend may bypass InitWait; it still needs our ring. */
        return true;
    case XenbusStateInitialising: {
        /* A backend that never enters InitWait publishes what it has up
         * front and then waits for us (Mirage's blkback): waiting for
         * InitWait there would deadlock both ends. */
        if (xd->ops->ready_without_initwait) {
            if (!xd->ops->ready_without_initwait(xd->ctx))
                return false;
        } else {
            char v[32];
            if (xenbus_read_backend(xd, "hotplug-status", v, sizeof(v)) <= 0)
                return false;
        }
        xenbus_log(
            xd, OS_LOG_INFO,
            "backend stays Initialising but has set itself up; writing the ring without InitWait");
        return true;
    }
    default: return false;
    }
}

static int write_transport(struct xenbus_dev *xd)
{
    int r = 0;
    if (!xd->transport_up) {
        r = xd->ops->setup ? xd->ops->setup(xd->ctx) : 0;
        if (r < 0) {
            xenbus_fail(xd, r, "cannot set up the transport (error %d)", -r);
            return r;
        }
        xd->transport_up = true;
    }
    for (int attempt = 0; attempt < XB_TX_RETRIES; attempt++) {
        os_xs_tx tx;
        r = os_xs_tx_start(xd->os, &tx);
        if (r < 0)
            break;
        r = xd->ops->write ? xd->ops->write(xd->ctx, tx) : 0;
        if (r == 0)
            r = xenbus_switch_state(
                xd, tx, xd->skip_initialised ? XenbusStateConnected : XenbusStateInitialised);
        int e = os_xs_tx_end(xd->os, tx, r < 0);
        if (r < 0)
            break;
        r = e;
        if (e != -OS_EAGAIN)
            break;
        /* A conflict: again, up to XB_TX_RETRIES times; then r says so. */
    }
    if (r < 0) {
        xenbus_fail(xd, r, "cannot write the transport to %s (error %d)", xd->fe, -r);
        return r;
    }
    xd->fe_state = xd->skip_initialised ? XenbusStateConnected : XenbusStateInitialised;
    if (xd->skip_initialised)
        xenbus_log(xd, OS_LOG_INFO,
                   "wrote the ring and went straight to Connected, skipping Initialised");
    xd->phase = XENBUS_INITIALISED;
    return 0;
}

/* Is the toolstack taking the device away?  libxl sets the backend's
 * online to 0 before it asks the backend to close; a directory that is
 * gone altogether (the domain or the device was destroyed) says so too.
 * A backend that merely closes or restarts keeps online=1. */
static bool backend_removed(struct xenbus_dev *xd, XenbusState be)
{
    char path[XB_PATH_MAX + 16], v[16];
    join(path, sizeof(path), xd->be, "online");
    int r = os_xs_read(xd->os, 0, path, v, sizeof(v));
    if (r >= 0)
        return v[0] == '0' && v[1] == '\0';
    return r == -OS_ENOENT && be == XenbusStateUnknown;
}

/* The device is gone: Closed, so that the backend finishes the close the
 * toolstack waits for, and every operation fails with ENODEV from now
 * on.  The transport is left as it is: the backend may still map it. */
static void device_gone(struct xenbus_dev *xd)
{
    os_snprintf(xd->diag, sizeof(xd->diag), "the toolstack removed the device (backend %s)",
                xd->be);
    xd->err = -OS_ENODEV;
    xd->phase = XENBUS_ERROR;
    xenbus_log(xd, OS_LOG_ERROR, "%s", xd->diag);
    (void)xenbus_switch_state(xd, 0, XenbusStateClosed);
}

/* The backend left us (closing, closed, restarted): drop the transport
 * and go back to the start of the handshake. */
static int restart(struct xenbus_dev *xd)
{
    drop_transport(xd);
    xd->phase = XENBUS_WAIT_BACKEND;
    if (xd->be_state == XenbusStateClosing)
        return xenbus_switch_state(xd, 0, XenbusStateClosed);
    return xenbus_switch_state(xd, 0, XenbusStateInitialising);
}

int xenbus_step(struct xenbus_dev *xd)
{
    xenbus_pump(xd->os);
    if (xd->phase == XENBUS_ERROR)
        return xd->err;
    if (!xd->dirty)
        return 0;
    xd->dirty = false;
    XenbusState prev = xd->be_state;
    int r = read_backend_state(xd);
    if (r < 0)
        return xd->phase == XENBUS_ERROR ? xd->err : r;
    XenbusState be = xd->be_state;
    if (be == XenbusStateReconfiguring || be == XenbusStateReconfigured)
        return 0; /* runtime reconfiguration is not ours to refuse */
    if ((be == XenbusStateClosing || be == XenbusStateClosed || be == XenbusStateUnknown) &&
        xd->phase != XENBUS_CLOSING && xd->phase != XENBUS_CLOSED && backend_removed(xd, be)) {
        device_gone(xd);
        return xd->err;
    }

    enum xenbus_phase before = xd->phase;
    switch (xd->phase) {
    case XENBUS_CLOSING:
        if (be == XenbusStateClosing || be == XenbusStateClosed || be == XenbusStateUnknown ||
            be == XenbusStateInitWait || be == XenbusStateInitialising) {
            drop_transport(xd);
            r = xenbus_switch_state(xd, 0, XenbusStateClosed);
            if (r < 0)
                break;
            if (!xd->reopen) {
                xd->phase = XENBUS_CLOSED;
                break;
            }
            xd->reopen = false;
            xd->phase = XENBUS_WAIT_BACKEND;
            xd->dirty = true; /* look again: the backend may be ready */
        }
        break;
    case XENBUS_WAIT_BACKEND:
        if (xd->fe_state == XenbusStateClosed || xd->fe_state == XenbusStateClosing) {
            /* We acknowledged a close; reopen once the backend is done
             * closing, so that it prepares for a new connection. */
            if (be == XenbusStateClosing)
                break;
            r = xenbus_switch_state(xd, 0, XenbusStateInitialising);
            if (r < 0)
                break;
            if (be == XenbusStateClosed)
                break; /* the backend answers with InitWait */
        }
        if (!backend_ready(xd))
            break;
        r = write_transport(xd);
        if (r < 0 || be != XenbusStateConnected)
            break;
        /* The backend is already Connected. */
        __attribute__((fallthrough));
    case XENBUS_INITIALISED:
        if (be == XenbusStateConnected) {
            r = xd->ops->connect ? xd->ops->connect(xd->ctx) : 0;
            if (r < 0) {
                if (xd->phase != XENBUS_ERROR)
                    xenbus_fail(xd, r, "cannot connect (error %d)", -r);
                break;
            }
            r = xenbus_switch_state(xd, 0, XenbusStateConnected);
            if (r == 0)
                xd->phase = XENBUS_CONNECTED;
        } else if (be == XenbusStateClosing || be == XenbusStateClosed ||
                   be == XenbusStateUnknown ||
                   ((be == XenbusStateInitWait || be == XenbusStateInitialising) &&
                    prev >= XenbusStateInitialised && prev <= XenbusStateClosed)) {
            /* Closed, gone, or back at the start: a backend restarted
             * before it connected wants a fresh ring too. */
            xenbus_log(xd, OS_LOG_INFO, "backend went %s before connecting; starting over",
                       xenbus_state_name(be));
            r = restart(xd);
            if (r == 0)
                xd->dirty = true;
        }
        break;
    case XENBUS_CONNECTED:
        if (be == XenbusStateConnected) {
            if (xd->ops->changed)
                xd->ops->changed(xd->ctx);
            return 1;
        }
        xenbus_log(xd, OS_LOG_INFO, "backend went %s while connected; %s", xenbus_state_name(be),
                   be == XenbusStateClosing ? "closing and waiting to reconnect" : "reconnecting");
        r = restart(xd);
        if (r == 0)
            xd->dirty = true;
        break;
    case XENBUS_CLOSED:
    case XENBUS_ERROR: break;
    }
    if (r < 0 && xd->phase != XENBUS_ERROR)
        xenbus_fail(xd, r, "xenstore error %d in the handshake", -r);
    if (xd->phase == XENBUS_ERROR)
        return xd->err;
    return xd->phase != before || xd->dirty ? 1 : 0;
}

#ifdef SPLITBED_FUZZ
int xenbus_rewind(struct xenbus_dev *xd)
{
    if (!xd->transport_up || xd->be_state != XenbusStateConnected ||
        (xd->phase != XENBUS_CONNECTED && xd->phase != XENBUS_ERROR))
        return -OS_EPROTO;
    xd->phase = XENBUS_CONNECTED;
    xd->err = 0;
    xd->diag[0] = '\0';
    xd->dirty = false;
    if (xd->fe_state != XenbusStateConnected)
        return xenbus_switch_state(xd, 0, XenbusStateConnected);
    return 0;
}
#endif
