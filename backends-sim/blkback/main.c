/*
 * main.c — splitbed-blkback: serves the vbds the toolstack lists under
 * this domain's backend/vbd, through libxenstore, libxenevtchn and
 * libxengnttab.  The same binary runs in a real dom0 and on the
 * simulator (XENSTORED_PATH, LD_LIBRARY_PATH are the only difference).
 *
 * One thread, one poll loop (which spins briefly before it sleeps:
 * hybrid_poll.h, SPLITBED_POLL_US): xenstore watch events step the devices,
 * event-channel events serve their rings, SIGHUP checks every image for
 * a new size, SIGTERM/SIGINT close every device and exit 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "backends-sim/blkback/backend.h"
#include "backends-sim/blkback/faults.h"
#include "backends-sim/blkback/mapper_gnttab.h"
#include "backends-sim/blkback/params.h"
#include "backends-sim/blkback/record.h"
#include "backends-sim/blkback/xen_host.h"
#include "frontends/os/hosted/hybrid_poll.h"

#define PROG "splitbed-blkback"

static int trace_fd = -1;
static bool quiet;

static void log_line(void *ctx, bool diagnosis, const char *text)
{
    (void)ctx;
    if (quiet && !diagnosis)
        return;
    char line[600];
    int n = snprintf(line, sizeof(line), "%s\n", text);
    if (n < 0)
        return;
    if (n >= (int)sizeof(line))
        n = (int)sizeof(line) - 1;
    /* One write per line: lines from several daemons do not interleave. */
    if (write(STDERR_FILENO, line, (size_t)n) < 0) {
        /* nothing sensible to do */
    }
    if (diagnosis && trace_fd >= 0 && write(trace_fd, line, (size_t)n) < 0) {
        /* the trace is a copy; stderr has the line */
    }
}

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: " PROG " [--opt key=value]... [--domid N] [--device FRONTID/DEVID]...\n"
               "       [--frontend FRONTID]... [--kind vbd|qdisk] [--trace FILE] [--ready-fd FD]\n"
               "       [--report-fd FD] [--until-removed] [-q] [--check]\n"
               "Serves the block devices under /local/domain/N/backend/vbd (N = 0, or\n"
               "$SPLITBED_DOMID) to their frontends; with --device, only those listed;\n"
               "with --frontend, every device of those frontends.  --kind qdisk serves\n"
               "backend/qdisk instead (libxl's backendtype=qdisk disks).\n"
               "-q drops informational lines; diagnoses still print.  --check: only check\n"
               "the arguments (exit 0, or 2 with one line).  --report-fd: where the\n"
               "fault-report-after knob's line goes.  --until-removed: exit 0 once\n"
               "every device served so far is gone (the toolstack removed its\n"
               "directory).  --opt record=DIR (or $SPLITBED_RECORD=DIR): keep each\n"
               "request shape served as a corpus entry of the fuzz target in\n"
               "DIR/fuzz_blkback_req, at most record-max (256) of them.\n"
               "Knobs: see README.md.\n");
}

static int parse_num(const char *s, long max, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (!*s || *end || errno || x < 0 || x > max)
        return -1;
    *out = x;
    return 0;
}

/* FRONTID/DEVID, as the backend directory names a device. */
static int parse_device(const char *s, long *frontid, long *devid)
{
    char front[16];
    const char *slash = strchr(s, '/');
    if (!slash || slash == s || (size_t)(slash - s) >= sizeof(front))
        return -1;
    memcpy(front, s, (size_t)(slash - s));
    front[slash - s] = '\0';
    return parse_num(front, 32767, frontid) < 0 || parse_num(slash + 1, 0x7fffffff, devid) < 0 ? -1
                                                                                               : 0;
}

#define MAX_DEVICES 256

/* While the loop finds work without sleeping, it still looks at its
 * descriptors (xenstore, signals, events) at least this often. */
#define FD_LOOK_NS (HYBRID_POLL_DEFAULT_US * 1000ull)

/* What the loop's spin looks at (hybrid_poll_spin): the rings' memory,
 * and the descriptors once FD_LOOK_NS went by since their last look. */
struct spin_look {
    struct bb_backend *be;
    const uint64_t *looked;
    bool fds_due; /* the spin ended for the descriptors' look */
};

static bool spin_ready(void *arg)
{
    struct spin_look *l = arg;
    if (bb_backend_has_requests(l->be))
        return true;
    if (monotonic_ns() - *l->looked < FD_LOOK_NS)
        return false;
    l->fds_due = true;
    return true;
}

/* `splitbed fault DOM SPEC` writes fault-* knobs, comma-separated, to a
 * device's splitbed-fault node: they apply to this process from then on
 * (a change of the node applies again; others knobs are not taken). */
static void apply_fault_node(struct bb_backend *be, struct bb_params *params,
                             const struct bb_logger *log, char *applied, size_t len)
{
    char v[256];
    if (bb_backend_read_key(be, "splitbed-fault", v, sizeof(v)) != 0 || !strcmp(v, applied))
        return;
    snprintf(applied, len, "%s", v);
    char *save = NULL;
    for (char *kv = strtok_r(v, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char err[256];
        if (strncmp(kv, "fault-", 6) != 0) {
            bb_diag(log, "blkback: fault: %s refused: only fault-* knobs change at run time", kv);
            continue;
        }
        if (bb_params_set(params, kv, err, sizeof(err)) < 0) {
            bb_diag(log, "blkback: fault: %s", err);
            continue;
        }
        /* Counts given at run time start from now. */
        if (!strncmp(kv, "fault-crash-after=", 18) && params->fault_crash_after)
            params->fault_crash_after += bb_backend_served(be);
        if (!strncmp(kv, "fault-report-after=", 19) && params->fault_report_after)
            params->fault_report_after += bb_backend_served(be);
        bb_log(log, "blkback: fault: %s from now on", kv);
    }
}

int main(int argc, char **argv)
{
    struct bb_params params;
    bb_params_default(&params);
    long domid = 0, ready_fd = -1, report_fd = -1;
    const char *trace = NULL, *env_dom = getenv("SPLITBED_DOMID");
    bool check_only = false, until_removed = false;
    long only[MAX_DEVICES][2];
    unsigned nonly = 0;
    long fronts[MAX_DEVICES];
    unsigned nfronts = 0;
    const char *kind = "vbd";
    if (env_dom && parse_num(env_dom, 32767, &domid) < 0) {
        fprintf(stderr, PROG ": SPLITBED_DOMID=%s is not a domain id\n", env_dom);
        return 2;
    }
    /* The toolstack's way to ask for recording (record.h), for backends
     * it starts itself; an --opt record=… given here wins. */
    const char *env_rec = getenv("SPLITBED_RECORD");
    if (env_rec && *env_rec) {
        char kv[600], err[256];
        snprintf(kv, sizeof(kv), "record=%s", env_rec);
        if (bb_params_set(&params, kv, err, sizeof(err)) < 0) {
            fprintf(stderr, PROG ": SPLITBED_RECORD: %s\n", err);
            return 2;
        }
    }
    struct hybrid_poll hp;
    if (hybrid_poll_init(&hp) < 0) {
        fprintf(stderr, PROG ": SPLITBED_POLL_US=%s: not a number of microseconds from 0 to %u\n",
                getenv("SPLITBED_POLL_US"), HYBRID_POLL_MAX_US);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char err[256];
        const char *val = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            quiet = true;
            continue;
        }
        if (!strcmp(a, "--check")) {
            check_only = true;
            continue;
        }
        if (!strcmp(a, "--until-removed")) {
            until_removed = true;
            continue;
        }
        if (!strcmp(a, "--opt") || !strcmp(a, "--domid") || !strcmp(a, "--trace") ||
            !strcmp(a, "--ready-fd") || !strcmp(a, "--device") || !strcmp(a, "--report-fd") ||
            !strcmp(a, "--frontend") || !strcmp(a, "--kind")) {
            if (i + 1 >= argc) {
                fprintf(stderr, PROG ": %s needs a value\n", a);
                return 2;
            }
            val = argv[++i];
        } else if (!strncmp(a, "--opt=", 6)) {
            val = a + 6;
            a = "--opt";
        } else {
            fprintf(stderr, PROG ": unknown argument '%s' (try --help)\n", a);
            return 2;
        }
        if (!strcmp(a, "--opt")) {
            if (bb_params_set(&params, val, err, sizeof(err)) < 0) {
                fprintf(stderr, PROG ": %s\n", err);
                return 2;
            }
        } else if (!strcmp(a, "--domid")) {
            if (parse_num(val, 32767, &domid) < 0) {
                fprintf(stderr, PROG ": --domid %s: not a domain id\n", val);
                return 2;
            }
        } else if (!strcmp(a, "--trace")) {
            trace = val;
        } else if (!strcmp(a, "--device")) {
            if (nonly == MAX_DEVICES) {
                fprintf(stderr, PROG ": at most %d --device\n", MAX_DEVICES);
                return 2;
            }
            if (parse_device(val, &only[nonly][0], &only[nonly][1]) < 0) {
                fprintf(stderr, PROG ": --device %s: expected FRONTID/DEVID\n", val);
                return 2;
            }
            nonly++;
        } else if (!strcmp(a, "--frontend")) {
            if (nfronts == MAX_DEVICES) {
                fprintf(stderr, PROG ": at most %d --frontend\n", MAX_DEVICES);
                return 2;
            }
            if (parse_num(val, 32767, &fronts[nfronts]) < 0) {
                fprintf(stderr, PROG ": --frontend %s: not a domain id\n", val);
                return 2;
            }
            nfronts++;
        } else if (!strcmp(a, "--kind")) {
            if (strcmp(val, "vbd") && strcmp(val, "qdisk")) {
                fprintf(stderr, PROG ": --kind %s: expected vbd or qdisk\n", val);
                return 2;
            }
            kind = val;
        } else if (!strcmp(a, "--report-fd")) {
            if (parse_num(val, 1 << 20, &report_fd) < 0) {
                fprintf(stderr, PROG ": --report-fd %s: not a file descriptor\n", val);
                return 2;
            }
        } else if (parse_num(val, 1 << 20, &ready_fd) < 0) {
            fprintf(stderr, PROG ": --ready-fd %s: not a file descriptor\n", val);
            return 2;
        }
    }
    char err[256];
    if (bb_params_check(&params, err, sizeof(err)) < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        return 2;
    }
    if (check_only)
        return 0;
    char trace_path[512];
    if (!trace && getenv("SPLITBED_DIR")) {
        snprintf(trace_path, sizeof(trace_path), "%s/trace", getenv("SPLITBED_DIR"));
        trace = trace_path;
    }
    if (trace) {
        trace_fd = open(trace, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (trace_fd < 0) {
            fprintf(stderr, PROG ": trace file %s: %s\n", trace, strerror(errno));
            return 1;
        }
    }

    struct bb_record *rec = NULL;
    static const struct bb_logger rec_log = { .line = log_line };
    if (params.record[0]) {
        rec = bb_record_open(params.record, params.record_max, &rec_log, err, sizeof(err));
        if (!rec) {
            fprintf(stderr, PROG ": --opt record: %s\n", err);
            return 2;
        }
    }

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    sigprocmask(SIG_BLOCK, &sigs, NULL);
    int sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
    signal(SIGPIPE, SIG_IGN);

    struct bb_xs *xs = bb_xs_open();
    if (!xs) {
        fprintf(stderr, PROG ": cannot connect to xenstore (XENSTORED_PATH=%s): %s\n",
                getenv("XENSTORED_PATH") ? getenv("XENSTORED_PATH") : "unset", strerror(errno));
        return 1;
    }
    struct bb_xenevtchn *ev = bb_xenevtchn_open();
    if (!ev) {
        fprintf(stderr, PROG ": cannot open event channels: %s\n", strerror(errno));
        bb_xs_close(xs);
        return 1;
    }
    struct bb_gnttab_mapper *gt = bb_gnttab_mapper_open();
    if (!gt) {
        fprintf(stderr, PROG ": cannot open the grant table: %s\n", strerror(errno));
        bb_xenevtchn_close(ev);
        bb_xs_close(xs);
        return 1;
    }
    struct bb_env env = {
        .store = bb_xs_store(xs),
        .evtchn = bb_xenevtchn_base(ev),
        .params = &params,
        .log = { .line = log_line },
        .now_ns = monotonic_ns,
        .record = rec ? bb_record_request : NULL,
        .record_ctx = rec,
        /* Spinning, the loop watches the rings' memory: a frontend need
         * not send an event for a request made while it does. */
        .poll_rings = hp.max_ns > 0,
    };
    struct bb_faults *faults =
        bb_faults_new(&params, bb_gnttab_mapper_base(gt), (int)report_fd, &env.log);
    if (!faults) {
        fprintf(stderr, PROG ": out of memory\n");
        return 1;
    }
    env.mapper = bb_faults_mapper(faults);
    char home[64];
    snprintf(home, sizeof(home), "/local/domain/%ld", domid);
    struct bb_backend *be = bb_backend_new(&env, home);
    int rc = be ? bb_backend_set_kind(be, home, kind) : -ENOMEM;
    for (unsigned i = 0; rc == 0 && i < nonly; i++)
        rc = bb_backend_limit(be, (uint32_t)only[i][0], (uint32_t)only[i][1]);
    for (unsigned i = 0; rc == 0 && i < nfronts; i++)
        rc = bb_backend_limit_frontend(be, (uint32_t)fronts[i]);
    if (rc == 0)
        rc = bb_backend_watch(be, "blkback-vbd");
    if (rc < 0) {
        fprintf(stderr, PROG ": cannot watch %s/backend/%s: %s\n", home, kind, strerror(-rc));
        bb_backend_free(be, false);
        bb_faults_free(faults);
        bb_gnttab_mapper_close(gt);
        bb_xenevtchn_close(ev);
        bb_xs_close(xs);
        return 1;
    }
    if (ready_fd >= 0) {
        if (write((int)ready_fd, "ready\n", 6) < 0) {
            /* whoever waits will see the fd close */
        }
        close((int)ready_fd);
    }

    char applied[256] = "";
    int status = 0;
    bool busy = false, running = true, served_any = false;
    uint64_t looked = 0;
    while (running) {
        struct pollfd pfd[3] = {
            { .fd = bb_xs_fd(xs), .events = POLLIN },
            { .fd = bb_xenevtchn_fd(ev), .events = POLLIN },
            { .fd = sfd, .events = POLLIN },
        };
        /* Work found without sleeping: requests seen in a ring while
         * spinning, or by the final check that arms the rings' events
         * before sleeping (a request made after it comes with an event,
         * so none is missed by the sleep). */
        bool ready = false;
        struct spin_look spin = { be, &looked, false };
        if (env.poll_rings && !busy)
            ready = hybrid_poll_spin(&hp, spin_ready, &spin) || bb_backend_arm(be);
        bool sleep = !busy && !ready;
        int n = 0;
        if (sleep || !env.poll_rings || spin.fds_due || monotonic_ns() - looked >= FD_LOOK_NS) {
            n = env.poll_rings ? hybrid_poll_sleep(&hp, pfd, 3, sleep ? -1 : 0)
                               : hybrid_poll(&hp, pfd, 3, sleep ? -1 : 0);
            looked = monotonic_ns();
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, PROG ": poll: %s\n", strerror(errno));
            status = 1;
            break;
        }
        if (pfd[2].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                if (si.ssi_signo == SIGHUP)
                    bb_backend_check_resize(be);
                else
                    running = false;
            }
        }
        if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            char token[64];
            int fired = 0, w;
            while ((w = bb_xs_next_watch(xs, token, sizeof(token))) == 1)
                fired++;
            if (w < 0) {
                fprintf(stderr, PROG ": xenstore connection lost: %s\n", strerror(-w));
                status = 1;
                break;
            }
            if (fired) {
                bb_faults_arm(faults, false);
                bb_backend_rescan(be);
                bb_faults_arm(faults, true);
                apply_fault_node(be, &params, &env.log, applied, sizeof(applied));
                /* A hot-plugged backend has nothing left to do once the
                 * toolstack removed its devices (detach, destroy). */
                served_any |= bb_backend_count(be) > 0;
                if (until_removed && served_any && bb_backend_count(be) == 0)
                    running = false;
            }
        }
        if (pfd[1].revents & POLLIN) {
            uint32_t port;
            if (bb_xenevtchn_pending(ev, &port) == 0)
                bb_backend_event(be, port);
        }
        busy = bb_backend_serve_busy(be);
        bb_faults_after_serve(faults, bb_backend_served(be));
    }
    bb_backend_free(be, status == 0);
    bb_faults_free(faults);
    bb_record_close(rec);
    bb_gnttab_mapper_close(gt);
    bb_xenevtchn_close(ev);
    bb_xs_close(xs);
    if (trace_fd >= 0)
        close(trace_fd);
    return status;
}
