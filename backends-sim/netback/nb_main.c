/*
 * splitbed-netback — a userspace netback, driven by xenstore as Linux
 * netback is, over the real Xen userspace libraries.  See README.md.
 *
 *   splitbed-netback --vif PATH=SPEC [--vif PATH=SPEC]… [--once]
 *                    [--max-queues N] [--no-split] [--no-sg] [--no-gso] [-q]
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xen/io/xenbus.h>

#include "backends-sim/netback/nb_backing.h"
#include "backends-sim/netback/nb_faults.h"
#include "backends-sim/netback/nb_record.h"
#include "backends-sim/netback/nb_vif.h"
#include "backends-sim/netback/nb_xen.h"

#define MAX_VIFS 16
#define TX_BUDGET 256u
#define RX_ARENA (8u * (NB_MAX_FRAME + 1)) /* frames read, copied in one batch */

struct served {
    char path[160];          /* empty until a bare HANDLE is resolved */
    int any_frontend_handle; /* --vif HANDLE=…: -1 otherwise */
    int fe_dom;              /* --vif FRONTID/HANDLE=…: -1 otherwise */
    unsigned fe_handle;
    char spec[512];
    struct nb_backing *backing;
    struct nb_vif *vif;
    bool finished, failed;
    bool eof;
    bool dir_seen;         /* its backend directory existed once */
    char fault[256];       /* its splitbed-fault node as last applied */
    int write_err;         /* the backing's last refusal (errno), 0 when writing */
    unsigned long refused; /* frames refused since write_err was set */
    bool offload_set;      /* the backing knows what this guest takes */
    /* Frames read for the guest: those of the batch being placed, then
     * maybe one waiting for guest buffers (at pending_off). */
    size_t pending_off, pending_len;
    struct nb_meta pending_meta;
    uint8_t arena[RX_ARENA];
};

static struct served vifs[MAX_VIFS];
static unsigned nvifs;
static struct nb_xen *xen;
static struct nb_vif_opts vopts;
static bool quiet;
static bool once;           /* --once */
static bool until_removed;  /* --until-removed */
static const char *capture; /* --opt capture=FILE */
static const char *record;  /* --opt record=DIR, or $SPLITBED_RECORD */
static unsigned record_max = NB_RECORD_DEFAULT_MAX;
static bool gso_asked;          /* --opt gso=… given */
static struct nb_faults faults; /* --opt fault-*=… */
static volatile sig_atomic_t stop;

/* The host's operations, through the faults asked for. */
static const struct nb_env *env_of(struct nb_xen *x)
{
    return nb_faults_env(&faults, nb_xen_env(x));
}

static void on_signal(int sig)
{
    stop = sig;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char line[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
}

static void usage(void)
{
    fprintf(
        stderr,
        "usage: splitbed-netback --vif PATH=SPEC [--vif PATH=SPEC]... [--once]\n"
        "                        [--max-queues N] [--no-split] [--no-sg] [--no-gso]\n"
        "                        [--opt KEY=VALUE]... [--until-removed] [-q] [--check]\n"
        "  PATH  backend directory (/local/domain/0/backend/vif/1/0), FRONTID/HANDLE or HANDLE\n"
        "  SPEC  tap:NAME | stdio | fd:N | pcap:FILE | socket:PATH, then optionally "
        ",capture=FILE\n"
        "  --until-removed  exit 0 once every vif's directory, seen once, is gone\n"
        "  --check  only check the options (exit 0, or 2 with one line)\n"
        "  --opt record=DIR (or $SPLITBED_RECORD=DIR)  keep each tx frame shape served as a\n"
        "        corpus entry of the fuzz target in DIR/fuzz_netback_tx, at most\n"
        "        record-max (256) of them\n");
}

static void deliver(void *arg, struct nb_queue *q, const uint8_t *frame, size_t len,
                    const struct nb_meta *meta)
{
    struct served *s = arg;
    int r = nb_backing_write_meta(s->backing, frame, len, meta);
    /* A TAP whose link is down refuses every frame with EIO, as a cable
     * pulled out drops them: one line when a refusal starts (or changes
     * reason) and one with the count when frames pass again, not one per
     * frame. */
    if (r < 0 && r != -EAGAIN) {
        if (-r != s->write_err && !quiet)
            say("[netback] %s: %s backing refused a %zu-byte frame: %s (dropping until it takes "
                "frames again)",
                s->path, nb_backing_kind(s->backing), len, strerror(-r));
        s->write_err = -r;
        s->refused++;
    } else if (r >= 0 && s->write_err) {
        if (!quiet)
            say("[netback] %s: %s backing takes frames again; %lu dropped", s->path,
                nb_backing_kind(s->backing), s->refused);
        s->write_err = 0;
        s->refused = 0;
    }
}

/* --vif HANDLE=…: the vif of that handle of whichever frontend domain
 * the toolstack gives it to and no backend has claimed yet (state still
 * Initialising; the lowest domain id if several). */
static void resolve(struct served *s, domid_t self)
{
    char root[64];
    unsigned n = 0;
    snprintf(root, sizeof root, "/local/domain/%u/backend/vif", (unsigned)self);
    char **dir = nb_xen_directory(xen, root, &n);
    if (!dir)
        return;
    unsigned long best = ~0ul;
    for (unsigned i = 0; i < n; i++) {
        char *end, path[200], v[8];
        unsigned long fe = strtoul(dir[i], &end, 10);
        if (*end || fe >= DOMID_FIRST_RESERVED || fe >= best)
            continue;
        /* Unclaimed only: another backend has moved a claimed one on. */
        snprintf(path, sizeof path, "%s/%lu/%d/state", root, fe, s->any_frontend_handle);
        const struct nb_env *env = env_of(xen);
        if (env->ops->xs_read(env->ctx, path, v, sizeof v) >= 0 &&
            atoi(v) == XenbusStateInitialising)
            best = fe;
    }
    free(dir);
    if (best != ~0ul)
        snprintf(s->path, sizeof s->path, "%s/%lu/%d", root, best, s->any_frontend_handle);
}

static int fe_state(struct served *s)
{
    const struct nb_env *env = env_of(xen);
    char fe[200], path[256], v[16];
    if ((size_t)snprintf(path, sizeof path, "%.160s/frontend", s->path) >= sizeof path ||
        env->ops->xs_read(env->ctx, path, fe, sizeof fe) < 0)
        return -1;
    snprintf(path, sizeof path, "%.200s/state", fe);
    if (env->ops->xs_read(env->ctx, path, v, sizeof v) < 0)
        return -1;
    return atoi(v);
}

/* A configured vif whose directory has appeared (and whose frontend is
 * not already gone) gets its nb_vif. */
static void scan(domid_t self)
{
    for (unsigned i = 0; i < nvifs; i++) {
        struct served *s = &vifs[i];
        if (s->vif)
            continue;
        if (s->finished) {
            /* Again only if its input has not ended and it was not cut off. */
            if (once || s->eof || s->failed || fe_state(s) != XenbusStateInitialising)
                continue;
            s->finished = false;
            s->pending_len = 0;
        }
        if (!s->path[0])
            resolve(s, self);
        if (!s->path[0])
            continue;
        int st = fe_state(s);
        if (st < XenbusStateInitialising || st > XenbusStateConnected)
            continue;
        /* A TAP without virtio-net headers takes frames up to its MTU:
         * GSO frames would be lost, so it is not offered there unless
         * asked for. */
        struct nb_vif_opts o = vopts;
        if (!strcmp(nb_backing_kind(s->backing), "tap") && !nb_backing_takes_gso(s->backing) &&
            !gso_asked)
            o.no_gso = true;
        o.pass_csum_blank = nb_backing_takes_blank_csum(s->backing);
        int r = nb_vif_new(env_of(xen), s->path, &o, &s->vif);
        if (r < 0) {
            s->finished = s->failed = true;
            continue;
        }
        uint8_t mac[6];
        nb_vif_mac(s->vif, mac);
        nb_backing_set_guest_mac(s->backing, mac);
        if (!quiet)
            say("[netback] %s: serving frontend %u on %s", s->path,
                (unsigned)nb_vif_frontend_id(s->vif), s->spec);
    }
}

static uint64_t frames_served(void);

/* `splitbed fault DOM netback-…`: a vif's splitbed-fault node changed. */
static void apply_fault_nodes(void)
{
    const struct nb_env *env = env_of(xen);
    for (unsigned i = 0; i < nvifs; i++) {
        struct served *s = &vifs[i];
        char path[200], v[256];
        if (!s->path[0])
            continue;
        snprintf(path, sizeof path, "%.160s/splitbed-fault", s->path);
        if (env->ops->xs_read(env->ctx, path, v, sizeof v) < 0 || !strcmp(v, s->fault))
            continue;
        snprintf(s->fault, sizeof s->fault, "%s", v);
        nb_faults_apply(&faults, v, frames_served());
    }
}

/* --until-removed: has the toolstack removed every vif's directory
 * (detach, a domain's destroy) after it existed?  Then nothing is left
 * to serve. */
static bool all_removed(void)
{
    const struct nb_env *env = env_of(xen);
    bool gone = true;
    for (unsigned i = 0; i < nvifs; i++) {
        struct served *s = &vifs[i];
        char v[16];
        bool present = s->path[0] && env->ops->xs_read(env->ctx, s->path, v, sizeof v) >= 0;
        s->dir_seen |= present;
        gone &= s->dir_seen && !present;
    }
    return gone;
}

static void finish(struct served *s)
{
    if (nb_vif_error(s->vif))
        s->failed = true;
    nb_vif_free(s->vif);
    s->vif = NULL;
    s->finished = true;
    if (s->offload_set)
        nb_backing_set_offload(s->backing, false, false, false);
    s->offload_set = false;
    if (!quiet)
        say("[netback] %s: closed", s->path);
    /* Unless told to stop after one connection, serve the frontend again
     * when it comes back Initialising (D7): watch it meanwhile. */
    char fe[200], path[256];
    const struct nb_env *env = env_of(xen);
    snprintf(path, sizeof path, "%.160s/frontend", s->path);
    if (!once && env->ops->xs_read(env->ctx, path, fe, sizeof fe) >= 0) {
        snprintf(path, sizeof path, "%.200s/state", fe);
        env->ops->xs_watch(env->ctx, path, "@vifs");
    }
}

/* Moves frames towards the guest while it has buffers, many per grant
 * copy and notification: each frame read stays in the arena until the
 * batch is flushed. */
static bool feed(struct served *s)
{
    bool progress = false;
    size_t used = 0; /* arena bytes the unflushed batch refers to */
    for (unsigned budget = 0; budget < TX_BUDGET; budget++) {
        if (!s->pending_len) {
            if (s->eof)
                break;
            if (RX_ARENA - used < NB_MAX_FRAME + 1) {
                nb_vif_rx_flush(s->vif);
                used = 0;
            }
            s->pending_off = used;
            long n = nb_backing_read_meta(s->backing, s->arena + used, NB_MAX_FRAME + 1,
                                          &s->pending_meta);
            if (n == -EPIPE) {
                s->eof = true;
                break;
            }
            if (n < 0) {
                say("[netback] %s: %s backing: %s", s->path, nb_backing_kind(s->backing),
                    strerror((int)-n));
                s->eof = true;
                break;
            }
            if (n == 0)
                break;
            s->pending_len = (size_t)n;
        }
        int r = nb_vif_rx_add(s->vif, s->arena + s->pending_off, s->pending_len, &s->pending_meta);
        if (r == -EAGAIN)
            break;
        if (r == 0)
            used = s->pending_off + s->pending_len;
        s->pending_len = 0; /* placed, or not deliverable (counted) */
        progress = true;
        if (r == -EPROTO)
            break;
    }
    nb_vif_rx_flush(s->vif);
    if (s->eof && !s->pending_len)
        nb_vif_close(s->vif);
    return progress;
}

/* Once connected: the host may leave checksums blank and send TCP GSO
 * frames where this guest takes them (and GSO was not turned off). */
static void set_offload(struct served *s)
{
    const struct nb_queue *q = nb_vif_queue(s->vif, 0);
    bool gso = !vopts.no_gso && q->fe_sg;
    int r =
        nb_backing_set_offload(s->backing, q->fe_csum4 || q->fe_csum6,
                               gso && q->fe_gso4 && q->fe_csum4, gso && q->fe_gso6 && q->fe_csum6);
    if (r < 0 && !quiet)
        say("[netback] %s: %s backing refused offloads: %s (frames come segmented)", s->path,
            nb_backing_kind(s->backing), strerror(-r));
    s->offload_set = true;
}

static bool serve(struct served *s)
{
    bool progress = false;
    if (!s->vif || !nb_vif_connected(s->vif))
        return false;
    if (!s->offload_set)
        set_offload(s);
    int r = nb_vif_tx(s->vif, TX_BUDGET, deliver, s);
    if (r > 0)
        progress = true;
    if (nb_vif_connected(s->vif))
        progress |= feed(s);
    return progress;
}

static bool parse_vif(const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (nvifs == MAX_VIFS) {
        say("splitbed-netback: at most %d --vif", MAX_VIFS);
        return false;
    }
    if (!eq || eq == arg || !eq[1]) {
        say("splitbed-netback: --vif %s: expected PATH=SPEC", arg);
        return false;
    }
    struct served *s = &vifs[nvifs];
    s->any_frontend_handle = -1;
    s->fe_dom = -1;
    size_t plen = (size_t)(eq - arg);
    char path[160];
    if (plen >= sizeof path) {
        say("splitbed-netback: --vif %s: path too long", arg);
        return false;
    }
    memcpy(path, arg, plen);
    path[plen] = '\0';
    unsigned fe, handle;
    char tail;
    if (path[0] == '/') {
        snprintf(s->path, sizeof s->path, "%s", path);
    } else if (sscanf(path, "%u/%u%c", &fe, &handle, &tail) == 2 && fe < DOMID_FIRST_RESERVED) {
        s->fe_dom = (int)fe; /* the path needs our domain id: later */
        s->fe_handle = handle;
    } else if (sscanf(path, "%u%c", &handle, &tail) == 1 && handle < 65536) {
        s->any_frontend_handle = (int)handle;
    } else {
        say("splitbed-netback: --vif %s: PATH is not a backend directory, FRONTID/HANDLE or HANDLE",
            arg);
        return false;
    }
    snprintf(s->spec, sizeof s->spec, "%s", eq + 1);
    nvifs++;
    return true;
}

static bool parse_uint_arg(const char *opt, const char *v, unsigned max, unsigned *out)
{
    char *end;
    unsigned long n = v ? strtoul(v, &end, 10) : 0;
    if (!v || !*v || *end || n == 0 || n > max) {
        say("splitbed-netback: %s %s: expected 1..%u", opt, v ? v : "", max);
        return false;
    }
    *out = (unsigned)n;
    return true;
}

/* --opt KEY=VALUE, the form `splitbed run --netback-opt` passes on. */
static bool parse_opt(const char *kv)
{
    const char *eq = strchr(kv, '=');
    char key[32];
    if (!eq || (size_t)(eq - kv) >= sizeof key) {
        say("splitbed-netback: --opt %s: expected KEY=VALUE", kv);
        return false;
    }
    memcpy(key, kv, (size_t)(eq - kv));
    key[eq - kv] = '\0';
    const char *v = eq + 1;
    if (!strcmp(key, "capture")) {
        if (!*v) {
            say("splitbed-netback: --opt capture=FILE needs a file name");
            return false;
        }
        capture = v;
        return true;
    }
    if (!strcmp(key, "record")) {
        if (!*v) {
            say("splitbed-netback: --opt record=DIR needs a folder name");
            return false;
        }
        record = v;
        return true;
    }
    if (!strcmp(key, "record-max"))
        return parse_uint_arg("--opt record-max", v, 100000, &record_max);
    int f = nb_faults_opt(&faults, key, v);
    if (f)
        return f > 0;
    if (!strcmp(key, "max-queues"))
        return parse_uint_arg("--opt max-queues", v, NB_MAX_QUEUES, &vopts.max_queues);
    bool *flag = !strcmp(key, "split") ? &vopts.no_split
                 : !strcmp(key, "sg")  ? &vopts.no_sg
                 : !strcmp(key, "gso") ? &vopts.no_gso
                                       : NULL;
    if (!flag) {
        say("splitbed-netback: --opt %s: unknown key (capture, record, record-max, max-queues, "
            "split, sg, gso, fault-crash-after, fault-delay-us, fault-grant-fail, fault-seed)",
            kv);
        return false;
    }
    if (strcmp(v, "0") && strcmp(v, "1")) {
        say("splitbed-netback: --opt %s: expected 0 or 1", kv);
        return false;
    }
    *flag = v[0] == '0';
    if (flag == &vopts.no_gso)
        gso_asked = true;
    return true;
}

/* A frame read from a backing that no guest took yet. */
static bool frames_held(void)
{
    for (unsigned i = 0; i < nvifs; i++)
        if (vifs[i].pending_len)
            return true;
    return false;
}

/* Every frame served so far, both ways, on every vif. */
static uint64_t frames_served(void)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < nvifs; i++) {
        if (!vifs[i].vif)
            continue;
        for (unsigned q = 0; q < nb_vif_num_queues(vifs[i].vif); q++) {
            const struct nb_queue *nq = nb_vif_queue(vifs[i].vif, q);
            n += nq->st.tx_frames + nq->st.rx_frames;
        }
    }
    return n;
}

int main(int argc, char **argv)
{
    bool check_only = false;
    char err[300];
    const char *vif_args[MAX_VIFS + 1];
    unsigned nargs = 0;
    vopts.max_queues = 4;
    /* The toolstack's way to ask for recording (nb_record.h), for
     * backends it starts itself; an --opt record=… given here wins. */
    if (getenv("SPLITBED_RECORD") && *getenv("SPLITBED_RECORD"))
        record = getenv("SPLITBED_RECORD");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--vif") && i + 1 < argc) {
            if (nargs == MAX_VIFS) {
                say("splitbed-netback: at most %d --vif", MAX_VIFS);
                return 2;
            }
            vif_args[nargs++] = argv[++i];
        } else if (!strcmp(a, "--max-queues")) {
            if (!parse_uint_arg(a, i + 1 < argc ? argv[++i] : NULL, NB_MAX_QUEUES,
                                &vopts.max_queues))
                return 2;
        } else if (!strcmp(a, "--opt") && i + 1 < argc) {
            if (!parse_opt(argv[++i]))
                return 2;
        } else if (!strcmp(a, "--once")) {
            once = true;
        } else if (!strcmp(a, "--until-removed")) {
            until_removed = true;
        } else if (!strcmp(a, "--check")) {
            check_only = true;
        } else if (!strcmp(a, "--no-split")) {
            vopts.no_split = true;
        } else if (!strcmp(a, "--no-sg")) {
            vopts.no_sg = true;
        } else if (!strcmp(a, "--no-gso")) {
            vopts.no_gso = true;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = true;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage();
            return 0;
        } else {
            say("splitbed-netback: unknown argument '%s' (see --help)", a);
            return 2;
        }
    }
    if (check_only)
        return 0;
    if (!nargs) {
        say("splitbed-netback: no --vif given (see --help)");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* Signals are let in only while waiting in ppoll, so a SIGTERM can
     * never land between the check of `stop` and the wait. */
    sigset_t block, waitmask;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &waitmask);

    /* Usage first: a bad --vif is exit 2 whatever state xenstore is in. */
    for (unsigned i = 0; i < nargs; i++)
        if (!parse_vif(vif_args[i]))
            return 2;
    for (unsigned i = 0; i < nvifs; i++) {
        if (capture) {
            size_t n = strlen(vifs[i].spec);
            if (nvifs == 1)
                snprintf(vifs[i].spec + n, sizeof vifs[i].spec - n, ",capture=%s", capture);
            else
                snprintf(vifs[i].spec + n, sizeof vifs[i].spec - n, ",capture=%s.%u", capture, i);
        }
        int r = nb_backing_open(vifs[i].spec, &vifs[i].backing, err, sizeof err);
        if (r < 0) {
            say("splitbed-netback: --vif %s: %s", vif_args[i], err);
            return r == -EINVAL ? 2 : 1;
        }
    }
    struct nb_record *rec = NULL;
    if (record) {
        rec = nb_record_open(record, record_max, NULL, NULL, err, sizeof err);
        if (!rec) {
            say("splitbed-netback: --opt record: %s", err);
            return 2;
        }
        vopts.record = nb_record_frame;
        vopts.record_ctx = rec;
    }
    if (nb_xen_open(&xen, err, sizeof err) < 0) {
        say("splitbed-netback: %s", err);
        return 1;
    }
    domid_t self = nb_xen_domid(xen);
    for (unsigned i = 0; i < nvifs; i++)
        if (vifs[i].fe_dom >= 0)
            snprintf(vifs[i].path, sizeof vifs[i].path, "/local/domain/%u/backend/vif/%d/%u",
                     (unsigned)self, vifs[i].fe_dom, vifs[i].fe_handle);
    char root[64];
    snprintf(root, sizeof root, "/local/domain/%u/backend/vif", (unsigned)self);
    const struct nb_env *env = env_of(xen);
    /* Every vif named by its directory: watch those only, so that other
     * backends' vifs never wake this process (many guests on one dom0).
     * A HANDLE-only vif needs the whole directory to find its frontend. */
    bool only_ours = true;
    for (unsigned i = 0; i < nvifs; i++)
        only_ours &= vifs[i].path[0] != '\0';
    for (unsigned i = 0; i < (only_ours ? nvifs : 1); i++) {
        const char *w = only_ours ? vifs[i].path : root;
        if (env->ops->xs_watch(env->ctx, w, "@vifs") < 0) {
            say("splitbed-netback: cannot watch %s", w);
            return 1;
        }
    }

    int status = 0;
    while (!stop) {
        char token[256];
        int w;
        bool again = false, changed = false;
        while ((w = nb_xen_next_watch(xen, token, sizeof token)) > 0) {
            if (!strcmp(token, "@vifs")) {
                scan(self);
                changed = true;
                continue;
            }
            for (unsigned i = 0; i < nvifs; i++)
                if (vifs[i].vif && !strcmp(token, nb_vif_token(vifs[i].vif)))
                    nb_vif_changed(vifs[i].vif);
        }
        if (w < 0) {
            say("splitbed-netback: lost xenstore: %s", strerror(-w));
            status = 1;
            break;
        }
        evtchn_port_t port;
        while (nb_xen_next_event(xen, &port) > 0)
            ;
        bool all_done = true;
        for (unsigned i = 0; i < nvifs; i++) {
            struct served *s = &vifs[i];
            if (s->vif) {
                again |= serve(s);
                if (nb_vif_done(s->vif))
                    finish(s);
            }
            if (!s->finished)
                all_done = false;
        }
        if (once && all_done)
            break;
        if (until_removed && changed && all_removed())
            break;
        if (changed)
            apply_fault_nodes();
        if (faults.crash_after || faults.delay_us)
            nb_faults_after_serve(&faults, frames_served(), !frames_held());

        struct pollfd pfd[2 + MAX_VIFS];
        nfds_t n = 0;
        pfd[n++] = (struct pollfd){ .fd = nb_xen_xs_fd(xen), .events = POLLIN };
        pfd[n++] = (struct pollfd){ .fd = nb_xen_evtchn_fd(xen), .events = POLLIN };
        for (unsigned i = 0; i < nvifs; i++) {
            struct served *s = &vifs[i];
            int fd = nb_backing_fd(s->backing);
            if (s->vif && nb_vif_connected(s->vif) && !s->pending_len && !s->eof && fd >= 0)
                pfd[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
        }
        struct timespec zero = { 0, 0 };
        if (ppoll(pfd, n, again ? &zero : NULL, &waitmask) < 0 && errno != EINTR) {
            say("splitbed-netback: poll: %s", strerror(errno));
            status = 1;
            break;
        }
    }
    for (unsigned i = 0; i < nvifs; i++) {
        if (vifs[i].failed)
            status = 1;
        nb_vif_free(vifs[i].vif);
        nb_backing_free(vifs[i].backing);
    }
    for (unsigned i = 0; i < (only_ours ? nvifs : 1); i++)
        env->ops->xs_unwatch(env->ctx, only_ours ? vifs[i].path : root, "@vifs");
    nb_xen_close(xen);
    nb_record_close(rec);
    return status;
}
