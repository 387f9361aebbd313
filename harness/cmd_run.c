/*
 * splitbed run — one guest app against userspace backends, the way a
 * toolstack would set it up: a private simulator (or --dir), domain N,
 * the device nodes libxl writes, the backends in dom0, then the app.
 */
#include "cli.h"
#include "qubes_vm.h"
#include "backends-sim/qubes/qrexec_policy.h"
#include "daemons.h"
#include "devices.h"
#include "disk_spec.h"
#include "fault_spec.h"
#include "layout.h"
#include "statedir.h"
#include "toolstack.h"
#include "vdev.h"
#include "vif_spec.h"
#include "xlu_lib.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xen_public.h" /* before <xen/sched.h> */
#include <xen/sched.h>

#define MAX_DEVS 16
#define MAX_OPTS 64
#define MAX_FAULTS 8

struct run {
    const char *given_dir;
    char dir[4096];
    bool private_sim;
    bool quiet;
    unsigned domid;
    unsigned timeout_s;
    unsigned stop_timeout_s;  /* SIGTERM to SIGKILL on a shutdown request */
    char waits[MAX_DEVS][32]; /* --wait-device, as TYPE/NUMBER */
    unsigned nwaits;
    const char *disk_args[MAX_DEVS];
    unsigned ndisk_args;
    const char *vif_args[MAX_DEVS];
    unsigned nvif_args;
    const char *opts[MAX_OPTS]; /* blkback --opt values */
    unsigned nopts;
    const char *net_opts[MAX_OPTS]; /* netback --opt values */
    unsigned nnet_opts;
    struct disk_spec disks[MAX_DEVS];
    unsigned ndisks;
    struct vif_spec vifs[MAX_DEVS];
    unsigned nvifs;
    XLU_Config *cfg;  /* --config, owns strings above */
    FILE *cfg_report; /* where libxlutil reports, until cfg goes */
    char *cfg_report_buf;
    size_t cfg_report_len;
    pid_t hvd, xsd, blkback, netback, app;
    struct cli_sim sim; /* a private simulator's daemons while they start */
    bool sim_starting;
    bool created_domain;            /* ours to destroy at the end (with --dir) */
    unsigned added_disks;           /* the first this many disks' nodes are ours */
    unsigned added_vifs;            /* likewise vifs */
    char device_args[MAX_DEVS][32]; /* blkback's --device DOMID/DEVID */
    /* A Qubes VM (splitbed_qubesdb = [ "/KEY=VALUE", … ] in the config):
     * dom0 runs splitbed-qubesdb, splitbed-qrexec and splitbed-guid. */
    bool qubes;
    const char *qubes_name;
    const char *qubesdb_entries[MAX_OPTS];
    unsigned nqubesdb_entries;
    const char *qrexec_allow[MAX_OPTS]; /* splitbed_qrexec_allow: the VM's own calls */
    unsigned nqrexec_allow;
    const char *qrexec_services; /* splitbed_qrexec_services: dom0's programs */
    pid_t qubesdb, qrexec, guid;
    struct fault_spec faults[MAX_FAULTS];
    const char *fault_args[MAX_FAULTS];
    unsigned nfaults;
    char fault_bufs[MAX_FAULTS][4][48];
    char seed_opt[48];
    uint64_t seed;
    bool seed_given;
    bool restart_blkback;               /* a crash fault asked to restart it */
    const char *restart_opts[MAX_OPTS]; /* its knobs then: no crash */
    unsigned nrestart_opts;
    bool restart_netback;                   /* likewise for netback */
    const char *restart_net_opts[MAX_OPTS]; /* its knobs then: no crash */
    unsigned nrestart_net_opts;
    const char *netback_extra[2 * MAX_DEVS]; /* its --vif arguments */
    unsigned nnetback_extra;
    bool stdin_to_netback;
    const struct fault_spec *xs_conflict; /* xenstored's fault, or NULL */
    int report_fd;                        /* blkback's fault reports, or -1 */
    int status_fd;                        /* the guest init's report of the app, or -1 */
    int start_fd;                         /* the guest init's go line, until sent, or -1 */
    const struct fault_spec *on_report;   /* the destroy or pause fault it is for */
    bool paused;                          /* by the pause fault, until unpause_at */
    struct timespec unpause_at;
    bool reboot_destroys; /* on_reboot="destroy" in the config: a reboot ends the run */
    bool rebooted;        /* the guest shut down to reboot (supervise's finding) */
    unsigned reboots;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    interrupted = sig;
}

static int add(const char **list, unsigned *n, unsigned cap, const char *v, const char *what)
{
    if (*n >= cap) {
        fprintf(stderr, "splitbed run: too many %s\n", what);
        return -1;
    }
    list[(*n)++] = v;
    return 0;
}
/* Appends to one of struct run's fixed-size lists. */
#define ADD(list, count, v, what) \
    add((list), &(count), sizeof(list) / sizeof((list)[0]), (v), (what))

static int check_opt(const char *opt)
{
    const char *eq = strchr(opt, '=');
    if (!eq || eq == opt) {
        fprintf(stderr, "splitbed run: --backend-opt %s: expected KEY=VALUE\n", opt);
        return -1;
    }
    return 0;
}

/* xl.cfg: disk=[…], vif=[…], and splitbed's own lists of backend knobs. */
static int read_config(struct run *r, const char *file)
{
    if (access(file, R_OK) != 0) {
        fprintf(stderr, "splitbed run: --config %s: %s\n", file, strerror(errno));
        return -1;
    }
    if (r->cfg) {
        fprintf(stderr, "splitbed run: --config %s: only one --config may be given\n", file);
        return -1;
    }
    const struct xlu_lib *x = xlu_lib();
    if (!x)
        return -1;
    /* libxlutil reports on a FILE; keep its first line for ours. */
    r->cfg_report = open_memstream(&r->cfg_report_buf, &r->cfg_report_len);
    r->cfg = r->cfg_report ? x->xlu_cfg_init(r->cfg_report, file) : NULL;
    int e = r->cfg ? x->xlu_cfg_readfile(r->cfg, file) : ENOMEM;
    if (e != 0) {
        if (r->cfg_report)
            fflush(r->cfg_report);
        const char *why = r->cfg_report_buf && *r->cfg_report_buf ? r->cfg_report_buf : strerror(e);
        fprintf(stderr, "splitbed run: --config %.*s\n", (int)strcspn(why, "\n"), why);
        return -1;
    }
    static const struct {
        const char *key;
        int which;
    } lists[] = {
        { "disk", 0 },
        { "vif", 1 },
        { "splitbed_blkback_opts", 2 },
        { "splitbed_netback_opts", 3 },
        { "splitbed_qubesdb", 4 },
        { "splitbed_qrexec_allow", 5 },
    };
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        XLU_ConfigList *list;
        int n;
        if (x->xlu_cfg_get_list(r->cfg, lists[i].key, &list, &n, 1) != 0)
            continue;
        r->qubes |= lists[i].which == 4;
        for (int k = 0; k < n; k++) {
            const char *item = x->xlu_cfg_get_listitem(list, k);
            if (!item) {
                fprintf(stderr, "splitbed run: --config %s: %s[%d] is not a string\n", file,
                        lists[i].key, k);
                return -1;
            }
            int rc = 0;
            switch (lists[i].which) {
            case 0: rc = ADD(r->disk_args, r->ndisk_args, item, "disks"); break;
            case 1: rc = ADD(r->vif_args, r->nvif_args, item, "vifs"); break;
            case 2:
                rc = check_opt(item) ? -1 : ADD(r->opts, r->nopts, item, "backend options");
                break;
            case 3:
                rc = check_opt(item) ? -1 : ADD(r->net_opts, r->nnet_opts, item, "netback options");
                break;
            case 4:
                rc = qubes_vm_check_entry(file, item)
                         ? -1
                         : ADD(r->qubesdb_entries, r->nqubesdb_entries, item, "QubesDB entries");
                break;
            case 5: {
                struct qrexec_policy p = { .n = 0 };
                const char *why = qrexec_policy_add(&p, item);
                qrexec_policy_free(&p);
                if (why) {
                    fprintf(stderr,
                            "splitbed run: --config %s: splitbed_qrexec_allow item '%s' %s\n", file,
                            item, why);
                    rc = -1;
                } else {
                    rc = ADD(r->qrexec_allow, r->nqrexec_allow, item, "qrexec allow entries");
                }
                break;
            }
            }
            if (rc)
                return -1;
        }
    }
    const char *on_reboot = NULL;
    if (!x->xlu_cfg_get_string(r->cfg, "on_reboot", &on_reboot, 0)) {
        /* xl's actions; a simulated domain has no core to dump, and
         * cannot be kept or renamed for inspection. */
        if (!strcmp(on_reboot, "destroy") || !strcmp(on_reboot, "coredump-destroy"))
            r->reboot_destroys = true;
        else if (strcmp(on_reboot, "restart") && strcmp(on_reboot, "coredump-restart")) {
            fprintf(stderr,
                    "splitbed run: --config %s: on_reboot \"%s\" is not simulated (restart or "
                    "destroy)\n",
                    file, on_reboot);
            return -1;
        }
    }
    if (r->qubes) {
        (void)x->xlu_cfg_get_string(r->cfg, "name", &r->qubes_name, 0);
        (void)x->xlu_cfg_get_string(r->cfg, "splitbed_qrexec_services", &r->qrexec_services, 0);
    }
    return 0;
}

static const char run_usage[] =
    "usage: splitbed run [OPTIONS] -- APP [ARGS]\n"
    "Runs a guest app as a domain against userspace backends in dom0, on a\n"
    "private simulator or on a running one (--dir).\n"
    "  --disk SPEC          an xl disk spec (or a bare image path, read-only); repeatable\n"
    "  --vif SPEC           an xl vif spec plus backing=tap:NAME|stdio|fd:N|pcap:FILE|\n"
    "                       socket:PATH; repeatable\n"
    "  --config FILE        an xl.cfg: disk=[...], vif=[...], on_reboot=restart|destroy,\n"
    "                       splitbed_blkback_opts=[...], splitbed_netback_opts=[...]\n"
    "  --backend-opt K=V    a splitbed-blkback knob (needs a disk); repeatable\n"
    "  --netback-opt K=V    a splitbed-netback knob (needs a vif); repeatable\n"
    "  --dir DIR            use the simulator running in DIR instead of a private one\n"
    "  --domain N           the guest's domain id (default 1)\n"
    "  --timeout SECONDS    stop the app if it has not finished by then (exit 1)\n"
    "  --wait-device TYPE/ID  start the app once the domain has that device (vbd/xvdb,\n"
    "                       vbd/51728, vif/1), e.g. from block-attach; repeatable\n"
    "  --stop-timeout SECONDS  on a shutdown request (xl shutdown), how long the app\n"
    "                       has between SIGTERM and SIGKILL (default 10)\n"
    "  --fault SPEC         a fault, repeatable (the run prints its seed):\n"
    "                         backend-crash:after=N[,restart=0]  blkback dies after N\n"
    "                           requests; the run starts it again unless restart=0\n"
    "                         backend-slow:delay-ms=N  blkback sleeps N ms per request\n"
    "                         grant-fail:rate=P  that share (0..1) of blkback's grant maps\n"
    "                           and copies fail (maps happen per request only with\n"
    "                           --backend-opt persistent=0)\n"
    "                         domain-destroy:after=N  the guest's domain is destroyed once\n"
    "                           blkback served N requests\n"
    "                         domain-pause:after=N,for-ms=M  the guest's domain is paused\n"
    "                           (xl pause) once blkback served N requests, M ms long\n"
    "                         negotiation:NAME  blkback deviates as NAME does: mirage,\n"
    "                           probe, single-page, no-indirect, no-persistent, grant-copy\n"
    "                         netback-crash:after=N[,restart=0]  netback dies after N\n"
    "                           frames; the run starts it again unless restart=0\n"
    "                         netback-slow:delay-ms=N  netback sleeps N ms per frame\n"
    "                         netback-grant-fail:rate=P  that share of netback's grant\n"
    "                           copies fail\n"
    "                         xs-conflict:rate=P  that share of the guest's xenstore\n"
    "                           transaction commits fail with EAGAIN\n"
    "  --seed N             the seed of every random choice of the run's faults\n"
    "  -q, --quiet          only errors on stderr (passes -q to the app)\n"
    "  -h, --help           this text\n"
    "Exit status: the app's own; 1 when a backend failed or the app timed out;\n"
    "2 bad usage or input (one line naming it); 128+N when the app was killed by\n"
    "signal N (as shells report it).\n";

/* Asks a backend whether it takes these options (its --check): on a
 * refusal, one line naming the option as the user gave it. */
static int check_backend_opts(const char *name, const char *flag, const char *const *opts,
                              unsigned nopts)
{
    if (!nopts)
        return 0;
    char prog[4096];
    if (!layout_path(prog, sizeof prog, "libexec/splitbed", name) || access(prog, X_OK) != 0) {
        fprintf(stderr, "splitbed run: backend %s not found in %s/libexec/splitbed\n", name,
                layout_prefix());
        return -1;
    }
    char **argv = calloc(2 * (size_t)nopts + 3, sizeof *argv);
    int pfd[2];
    if (!argv || pipe2(pfd, O_CLOEXEC) != 0) {
        free(argv);
        return -1;
    }
    unsigned k = 0;
    argv[k++] = prog;
    for (unsigned i = 0; i < nopts; i++) {
        argv[k++] = "--opt";
        argv[k++] = (char *)opts[i];
    }
    argv[k++] = "--check";
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 2);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        execv(prog, argv);
        _exit(127);
    }
    free(argv);
    close(pfd[1]);
    char line[512];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof line - 1 && (n = read(pfd[0], line + len, sizeof line - 1 - len)) > 0)
        len += (size_t)n;
    line[len] = '\0';
    close(pfd[0]);
    int ws = 0;
    if (pid < 0 || waitpid(pid, &ws, 0) < 0)
        return -1;
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
        return 0;
    line[strcspn(line, "\n")] = '\0';
    /* "splitbed-blkback: --opt K=V: why" names our flag instead. */
    const char *why = line;
    const char *opt = strstr(line, "--opt ");
    if (opt)
        fprintf(stderr, "splitbed run: %s %s\n", flag, opt + strlen("--opt "));
    else
        fprintf(stderr, "splitbed run: %s: %s\n", flag, *why ? why : "refused");
    return -1;
}

/* A seed nobody gave: from the kernel's random pool. */
static uint64_t fresh_seed(void)
{
    uint64_t s = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(&s, sizeof s, 1, f) != 1) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        s = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 20 ^ (uint64_t)getpid();
    }
    if (f)
        fclose(f);
    return s >> 12; /* short enough to type */
}

/* The faults' backend knobs join the user's; a restarted backend gets
 * them all but the crash. */
static int add_fault_opts(struct run *r)
{
    if (!r->nfaults && !r->seed_given)
        return 0;
    if (!r->seed_given)
        r->seed = fresh_seed();
    for (unsigned i = 0; i < r->nopts; i++)
        r->restart_opts[r->nrestart_opts++] = r->opts[i];
    for (unsigned i = 0; i < r->nnet_opts; i++)
        r->restart_net_opts[r->nrestart_net_opts++] = r->net_opts[i];
    bool net_faults = false;
    for (unsigned i = 0; i < r->nfaults; i++) {
        const struct fault_spec *f = &r->faults[i];
        enum fault_target on = fault_spec_target(f);
        if (on == FAULT_ON_XENSTORED) {
            r->xs_conflict = f;
            continue;
        }
        bool net = on == FAULT_ON_NETBACK;
        net_faults |= net;
        const char **opts = net ? r->net_opts : r->opts;
        unsigned *nopts = net ? &r->nnet_opts : &r->nopts;
        const char **again = net ? r->restart_net_opts : r->restart_opts;
        unsigned *nagain = net ? &r->nrestart_net_opts : &r->nrestart_opts;
        const char *o[5];
        fault_spec_backend_opts(f, r->fault_bufs[i], o);
        bool crash = f->kind == FAULT_BACKEND_CRASH || f->kind == FAULT_NETBACK_CRASH;
        if (crash && f->restart)
            *(net ? &r->restart_netback : &r->restart_blkback) = true;
        for (unsigned k = 0; o[k]; k++) {
            if (add(opts, nopts, MAX_OPTS, o[k], "backend options"))
                return -1;
            if (!crash && add(again, nagain, MAX_OPTS, o[k], "backend options"))
                return -1;
        }
    }
    snprintf(r->seed_opt, sizeof r->seed_opt, "fault-seed=%llu", (unsigned long long)r->seed);
    if (r->ndisk_args && (ADD(r->opts, r->nopts, r->seed_opt, "backend options") ||
                          ADD(r->restart_opts, r->nrestart_opts, r->seed_opt, "backend options")))
        return -1;
    if (net_faults &&
        (ADD(r->net_opts, r->nnet_opts, r->seed_opt, "netback options") ||
         ADD(r->restart_net_opts, r->nrestart_net_opts, r->seed_opt, "netback options")))
        return -1;
    return 0;
}

static int parse_args(struct run *r, int argc, char **argv)
{
    static const struct option opts[] = { { "disk", required_argument, NULL, 'D' },
                                          { "vif", required_argument, NULL, 'V' },
                                          { "config", required_argument, NULL, 'c' },
                                          { "backend-opt", required_argument, NULL, 'o' },
                                          { "netback-opt", required_argument, NULL, 'O' },
                                          { "dir", required_argument, NULL, 'd' },
                                          { "domain", required_argument, NULL, 'n' },
                                          { "timeout", required_argument, NULL, 't' },
                                          { "quiet", no_argument, NULL, 'q' },
                                          { "help", no_argument, NULL, 'h' },
                                          { "fault", required_argument, NULL, 'f' },
                                          { "seed", required_argument, NULL, 's' },
                                          { "stop-timeout", required_argument, NULL, 'T' },
                                          { "wait-device", required_argument, NULL, 'W' },
                                          { 0, 0, 0, 0 } };
    int c;
    optind = 1;
    argv[0] = "splitbed run"; /* getopt's messages start with it */
    while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(run_usage, stdout); return -2;
        case 'f':
            if (r->nfaults == MAX_FAULTS) {
                fprintf(stderr, "splitbed run: at most %d --fault\n", MAX_FAULTS);
                return -1;
            }
            if (fault_spec_parse(optarg, &r->faults[r->nfaults]) != 0)
                return -1;
            r->fault_args[r->nfaults++] = optarg;
            break;
        case 's': {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 0);
            if (!*optarg || *optarg == '-' || *end || errno) {
                fprintf(stderr, "splitbed run: --seed %s: expected a number\n", optarg);
                return -1;
            }
            r->seed = v;
            r->seed_given = true;
            break;
        }
        case 'D':
            if (ADD(r->disk_args, r->ndisk_args, optarg, "disks"))
                return -1;
            break;
        case 'V':
            if (ADD(r->vif_args, r->nvif_args, optarg, "vifs"))
                return -1;
            break;
        case 'c':
            if (read_config(r, optarg))
                return -1;
            break;
        case 'o':
            if (check_opt(optarg) || ADD(r->opts, r->nopts, optarg, "backend options"))
                return -1;
            break;
        case 'O':
            if (check_opt(optarg) || ADD(r->net_opts, r->nnet_opts, optarg, "netback options"))
                return -1;
            break;
        case 'd': r->given_dir = optarg; break;
        case 'q': r->quiet = true; break;
        case 'n':
            if (!cli_parse_domid(optarg, &r->domid) || r->domid == 0) {
                fprintf(stderr, "splitbed run: --domain %s: not a guest domain id (1..32751)\n",
                        optarg);
                return -1;
            }
            break;
        case 't': {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (!*optarg || *end || v == 0 || v > 86400) {
                fprintf(stderr, "splitbed run: --timeout %s: expected seconds (1..86400)\n",
                        optarg);
                return -1;
            }
            r->timeout_s = (unsigned)v;
            break;
        }
        case 'W': {
            const char *slash = strchr(optarg, '/');
            unsigned id = 0;
            bool vbd = slash && (size_t)(slash - optarg) == 3 && !strncmp(optarg, "vbd", 3);
            bool vif = slash && (size_t)(slash - optarg) == 3 && !strncmp(optarg, "vif", 3);
            char *end = NULL;
            bool ok = vbd ? vdev_to_devid(slash + 1, &id)
                          : vif && (id = (unsigned)strtoul(slash + 1, &end, 10),
                                    *end == 0 && slash[1] != 0);
            if (!ok || r->nwaits == MAX_DEVS) {
                fprintf(stderr,
                        "splitbed run: --wait-device %s: expected vbd/VDEV or vif/N "
                        "(vbd/xvdb, vbd/51728, vif/1)\n",
                        optarg);
                return -1;
            }
            snprintf(r->waits[r->nwaits++], sizeof r->waits[0], "%s/%u", vbd ? "vbd" : "vif", id);
            break;
        }
        case 'T': {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (!*optarg || *end || *optarg == '-' || v > 86400) {
                fprintf(stderr, "splitbed run: --stop-timeout %s: expected seconds (0..86400)\n",
                        optarg);
                return -1;
            }
            r->stop_timeout_s = (unsigned)v;
            break;
        }
        default: return -1;
        }
    }
    if (optind >= argc) {
        fprintf(stderr,
                "splitbed run: missing app (splitbed run [--disk SPEC]... -- APP [ARGS])\n");
        return -1;
    }
    if (r->nopts && !r->ndisk_args) {
        fprintf(stderr, "splitbed run: --backend-opt %s: no --disk for splitbed-blkback to serve\n",
                r->opts[0]);
        return -1;
    }
    if (r->nnet_opts && !r->nvif_args) {
        fprintf(stderr, "splitbed run: --netback-opt %s: no --vif for splitbed-netback to serve\n",
                r->net_opts[0]);
        return -1;
    }
    for (unsigned i = 0; i < r->nvif_args; i++) {
        if (vif_spec_parse(r->vif_args[i], i, &r->vifs[i]) != 0)
            return -1;
        r->nvifs++;
    }
    for (unsigned i = 0; i < r->nfaults; i++) {
        enum fault_target on = fault_spec_target(&r->faults[i]);
        if (on == FAULT_ON_BLKBACK && !r->ndisk_args) {
            fprintf(stderr, "splitbed run: --fault %s: no --disk for splitbed-blkback to serve\n",
                    r->fault_args[i]);
            return -1;
        }
        if (on == FAULT_ON_NETBACK && !r->nvifs) {
            fprintf(stderr, "splitbed run: --fault %s: no --vif for splitbed-netback to serve\n",
                    r->fault_args[i]);
            return -1;
        }
    }
    unsigned domain_faults = 0;
    for (unsigned i = 0; i < r->nfaults; i++)
        domain_faults +=
            r->faults[i].kind == FAULT_DOMAIN_DESTROY || r->faults[i].kind == FAULT_DOMAIN_PAUSE;
    if (domain_faults > 1) {
        fprintf(stderr, "splitbed run: --fault: one domain-destroy or domain-pause per run\n");
        return -1;
    }
    if (add_fault_opts(r) != 0)
        return -1;
    if (check_backend_opts("splitbed-blkback", "--backend-opt", r->opts, r->nopts) ||
        check_backend_opts("splitbed-netback", "--netback-opt", r->net_opts, r->nnet_opts))
        return -1;
    return optind;
}

/* The --disk specs (and a config's disk=[...]), through xl's parser.
 * A run calls it once the simulator is starting: loading the parser
 * then overlaps the daemons' start. */
static int parse_disks(struct run *r)
{
    for (unsigned i = 0; i < r->ndisk_args; i++) {
        if (disk_spec_parse(r->disk_args[i], i, &r->disks[i]) != 0)
            return -1;
        r->ndisks++;
        for (unsigned k = 0; k < i; k++)
            if (r->disks[k].devid == r->disks[i].devid) {
                fprintf(stderr, "splitbed run: --disk %s: vdev %s given twice\n", r->disk_args[i],
                        r->disks[i].vdev);
                return -1;
            }
    }
    return 0;
}

static int add_devices(struct run *r, struct toolstack *ts)
{
    for (unsigned i = 0; i < r->ndisks; i++) {
        if (devices_add_disk(ts, r->domid, &r->disks[i]) != 0)
            return -1;
        r->added_disks++;
    }
    for (unsigned i = 0; i < r->nvifs; i++) {
        if (devices_add_vif(ts, r->domid, &r->vifs[i]) != 0)
            return -1;
        r->added_vifs++;
    }
    return 0;
}

/* Starts argv[0] (a full path) with env; its stdout joins our stderr
 * when stdout_to_stderr, so only the app writes to our stdout.  Through
 * posix_spawn, which shares our memory with the child until it executes
 * instead of copying our page tables as fork does. */
static pid_t spawn(char *const argv[], char **env, bool stdout_to_stderr, bool stdin_too)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    if (posix_spawn_file_actions_init(&fa) != 0)
        return -1;
    if (posix_spawnattr_init(&attr) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return -1;
    }
    /* A teardown may signal the child at once (an app that fails in a
     * millisecond).  The child takes our SIGINT and SIGTERM as their
     * default actions before it runs anything of its own, so one sent
     * early ends it rather than running our handler there and being
     * lost, which would leave a backend that never stops. */
    sigset_t dfl;
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGINT);
    sigaddset(&dfl, SIGTERM);
    int e = posix_spawnattr_setsigdefault(&attr, &dfl);
    if (!e)
        e = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    if (!e && stdout_to_stderr)
        e = posix_spawn_file_actions_adddup2(&fa, 2, 1);
    if (!e && !stdin_too)
        e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    pid_t pid = -1;
    if (!e)
        e = posix_spawn(&pid, argv[0], &fa, &attr, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (e) {
        fprintf(stderr, "splitbed run: cannot run %s: %s\n", argv[0], strerror(e));
        return -1;
    }
    return pid;
}

static pid_t start_backend(struct run *r, const char *name, const char *const *opts, unsigned nopts,
                           const char *const *extra, unsigned nextra, bool takes_stdin)
{
    char prog[4096];
    if (!layout_path(prog, sizeof prog, "libexec/splitbed", name) || access(prog, X_OK) != 0) {
        fprintf(stderr, "splitbed run: backend %s not found in %s/libexec/splitbed\n", name,
                layout_prefix());
        return -1;
    }
    char **argv = calloc(2 * nopts + nextra + 3, sizeof *argv);
    if (!argv)
        return -1;
    unsigned k = 0;
    argv[k++] = prog;
    for (unsigned i = 0; i < nopts; i++) {
        argv[k++] = "--opt";
        argv[k++] = (char *)opts[i];
    }
    for (unsigned i = 0; i < nextra; i++)
        argv[k++] = (char *)extra[i];
    if (r->quiet)
        argv[k++] = "--quiet";
    char **env = cli_guest_env(r->dir, 0);
    /* A stdio vif is the host's stdin and stdout; other backends only
     * talk on stderr, so the app's output stays alone on stdout. */
    pid_t pid = env ? spawn(argv, env, !takes_stdin, takes_stdin) : -1;
    cli_guest_env_free(env);
    free(argv);
    return pid;
}

/* blkback for this run's disks; with a domain-destroy fault, its
 * reports come on a pipe whose read end is r->report_fd. */
static pid_t start_blkback(struct run *r, const char *const *opts, unsigned nopts)
{
    const char *extra[2 * MAX_DEVS + 2];
    unsigned nextra = 0;
    for (unsigned i = 0; i < r->ndisks; i++) {
        snprintf(r->device_args[i], sizeof r->device_args[i], "%u/%u", r->domid, r->disks[i].devid);
        extra[nextra++] = "--device";
        extra[nextra++] = r->device_args[i];
    }
    bool reports = false;
    for (unsigned i = 0; i < r->nfaults; i++)
        if (r->faults[i].kind == FAULT_DOMAIN_DESTROY || r->faults[i].kind == FAULT_DOMAIN_PAUSE) {
            reports = true;
            r->on_report = &r->faults[i];
        }
    int pfd[2] = { -1, -1 };
    char fdarg[16];
    if (reports && r->report_fd < 0) {
        if (pipe2(pfd, O_CLOEXEC) != 0) {
            perror("splitbed run: pipe");
            return -1;
        }
        /* Only blkback gets the write end: without CLOEXEC while it
         * starts, with it again before anything else does. */
        fcntl(pfd[1], F_SETFD, 0);
        snprintf(fdarg, sizeof fdarg, "%d", pfd[1]);
        extra[nextra++] = "--report-fd";
        extra[nextra++] = fdarg;
    }
    pid_t pid = start_backend(r, "splitbed-blkback", opts, nopts, extra, nextra, false);
    if (pfd[1] >= 0) {
        close(pfd[1]);
        r->report_fd = pfd[0];
    }
    return pid;
}

/* The domain's first process: splitbed-guest-init, which answers the
 * toolstack's shutdown requests as a Linux guest does and runs the app
 * (app, then nargs args) below it.  Its report of the app's end comes on
 * r->status_fd.  It is started while the simulator and the domain are
 * being set up, so that its loading overlaps theirs, and waits for
 * app_go. */
static pid_t spawn_app(struct run *r, char *app, int nargs, char **args, char **env, bool stdin_too)
{
    char init[4096];
    if (!layout_path(init, sizeof init, "libexec/splitbed", "splitbed-guest-init") ||
        access(init, X_OK) != 0) {
        fprintf(stderr, "splitbed run: splitbed-guest-init not found in %s/libexec/splitbed\n",
                layout_prefix());
        return -1;
    }
    char **argv = calloc((size_t)nargs + 14 + 2 * r->nwaits, sizeof *argv);
    int pfd[2], go[2] = { -1, -1 };
    if (!argv || pipe2(pfd, O_CLOEXEC) != 0) {
        free(argv);
        perror("splitbed run: pipe");
        return -1;
    }
    if (pipe2(go, O_CLOEXEC) != 0) {
        perror("splitbed run: pipe");
        free(argv);
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    char fdarg[16], gofd[16], stop[16];
    snprintf(fdarg, sizeof fdarg, "%d", pfd[1]);
    snprintf(gofd, sizeof gofd, "%d", go[0]);
    snprintf(stop, sizeof stop, "%u", r->stop_timeout_s);
    unsigned k = 0;
    argv[k++] = init;
    argv[k++] = "--status-fd";
    argv[k++] = fdarg;
    argv[k++] = "--start-fd";
    argv[k++] = gofd;
    argv[k++] = "--stop-timeout";
    argv[k++] = stop;
    if (r->quiet)
        argv[k++] = "-q";
    for (unsigned i = 0; i < r->nwaits; i++) {
        argv[k++] = "--wait-device";
        argv[k++] = r->waits[i];
    }
    argv[k++] = "--";
    argv[k++] = app;
    /* The frontends' Linux OS layer takes -q right after the app name
     * and drops informational lines. */
    if (r->quiet)
        argv[k++] = "-q";
    for (int i = 0; i < nargs; i++)
        argv[k++] = args[i];
    /* Only the init gets the status pipe's write end and the go pipe's
     * read end: without CLOEXEC while it starts, closed here before
     * anything else starts. */
    fcntl(pfd[1], F_SETFD, 0);
    fcntl(go[0], F_SETFD, 0);
    /* With a stdio vif, the host's stdin belongs to netback and the
     * guest's output to our stdout. */
    pid_t pid = spawn(argv, env, false, stdin_too);
    close(pfd[1]);
    close(go[0]);
    free(argv);
    if (pid < 0) {
        close(pfd[0]);
        close(go[1]);
    } else {
        r->status_fd = pfd[0];
        r->start_fd = go[1];
    }
    return pid;
}

/* Lets the waiting init start the app: the domain and its devices are
 * there.  0, or -1 when the init is gone. */
static int app_go(struct run *r)
{
    ssize_t n = write(r->start_fd, "go\n", 3);
    close(r->start_fd);
    r->start_fd = -1;
    return n == 3 ? 0 : -1;
}

/* The init's line "WAITSTATUS REASON" (reason -1: the app ended by
 * itself).  False when there is none (the init was killed). */
static bool read_app_status(struct run *r, int *ws, int *reason)
{
    if (r->status_fd < 0)
        return false;
    char line[64];
    ssize_t n = read(r->status_fd, line, sizeof line - 1);
    close(r->status_fd);
    r->status_fd = -1;
    if (n <= 0)
        return false;
    line[n] = '\0';
    return sscanf(line, "%d %d", ws, reason) == 2 && *ws >= 0;
}

/* netback for this run's vifs. */
static pid_t start_netback(struct run *r, const char *const *opts, unsigned nopts)
{
    return start_backend(r, "splitbed-netback", opts, nopts, r->netback_extra, r->nnetback_extra,
                         r->stdin_to_netback);
}

static int pidfd_of(pid_t pid)
{
    return pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
}

static int exit_status_of(int ws)
{
    if (WIFEXITED(ws))
        return WEXITSTATUS(ws);
    return 128 + WTERMSIG(ws);
}

/* `splitbed exec --domain 0 -- xl ACTION DOMID`: Debian's xl in dom0. */
static int run_xl(struct run *r, const char *action)
{
    char self[4096], dom[16];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -1;
    self[n] = '\0';
    snprintf(dom, sizeof dom, "%u", r->domid);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        execl(self, "splitbed", "exec", "--dir", r->dir, "--domain", "0", "--", "xl", action, dom,
              (char *)NULL);
        _exit(127);
    }
    int ws;
    if (pid < 0 || waitpid(pid, &ws, 0) < 0)
        return -1;
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
}

/* blkback's report that the domain-destroy or domain-pause fault is due.
 * Destroy: the guest's domain goes mid-I/O as `xl destroy` takes it (its
 * processes killed, its nodes and devices removed, its hypervisor state
 * released); the backends see their frontend go.  Returns true then (the
 * run ends).  Pause: `xl pause`, and `xl unpause` for-ms later. */
static bool report_fault(struct run *r, int fd)
{
    char line[64];
    ssize_t n = read(fd, line, sizeof line - 1);
    close(fd);
    if (n <= 0 || !r->on_report)
        return false;
    line[n] = '\0';
    line[strcspn(line, "\n")] = '\0';
    if (r->on_report->kind == FAULT_DOMAIN_PAUSE) {
        fprintf(stderr, "splitbed run: fault: pausing domain %u for %u ms (blkback %s requests)\n",
                r->domid, r->on_report->delay_ms, line);
        if (run_xl(r, "pause") != 0) {
            fprintf(stderr, "splitbed run: fault: xl pause %u failed\n", r->domid);
            return false;
        }
        clock_gettime(CLOCK_MONOTONIC, &r->unpause_at);
        r->unpause_at.tv_sec += r->on_report->delay_ms / 1000;
        r->unpause_at.tv_nsec += (long)(r->on_report->delay_ms % 1000) * 1000000;
        if (r->unpause_at.tv_nsec >= 1000000000) {
            r->unpause_at.tv_sec++;
            r->unpause_at.tv_nsec -= 1000000000;
        }
        r->paused = true;
        return false;
    }
    fprintf(stderr, "splitbed run: fault: destroying domain %u (blkback %s requests)\n", r->domid,
            line);
    kill(r->app, SIGKILL);
    waitpid(r->app, NULL, 0);
    r->app = 0;
    struct toolstack *ts = toolstack_open(r->dir);
    if (ts) {
        toolstack_domain_destroy(ts, r->domid);
        toolstack_close(ts);
    }
    r->created_domain = false;
    return true;
}

/* The pause fault's time is up: unpause.  Else how long until it is. */
static int pause_left_ms(struct run *r)
{
    if (!r->paused)
        return -1;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long left = (r->unpause_at.tv_sec - now.tv_sec) * 1000LL +
                     (r->unpause_at.tv_nsec - now.tv_nsec) / 1000000;
    if (left > 0)
        return (int)left;
    r->paused = false;
    fprintf(stderr, "splitbed run: fault: unpausing domain %u\n", r->domid);
    if (run_xl(r, "unpause") != 0)
        fprintf(stderr, "splitbed run: fault: xl unpause %u failed\n", r->domid);
    return -1;
}

/* Waits for the app; a backend that dies first is reported and ends the
 * run (a frontend would otherwise wait for it forever). */
static int supervise(struct run *r)
{
    struct pollfd p[5] = { { .fd = pidfd_of(r->app), .events = POLLIN },
                           { .fd = pidfd_of(r->blkback), .events = POLLIN },
                           { .fd = pidfd_of(r->netback), .events = POLLIN },
                           { .fd = r->report_fd, .events = POLLIN },
                           { .fd = r->status_fd, .events = POLLIN } };
    const char *names[3] = { "app", "splitbed-blkback", "splitbed-netback" };
    pid_t pids[3] = { r->app, r->blkback, r->netback };
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int status = EXIT_FAIL;
    for (;;) {
        int wait_ms = -1;
        if (r->timeout_s) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long long left =
                (long long)r->timeout_s * 1000 -
                ((now.tv_sec - start.tv_sec) * 1000LL + (now.tv_nsec - start.tv_nsec) / 1000000);
            if (left <= 0) {
                fprintf(stderr, "splitbed run: app did not finish within %u s, stopping it\n",
                        r->timeout_s);
                kill(r->app, SIGKILL);
                waitpid(r->app, NULL, 0);
                r->app = 0;
                break;
            }
            wait_ms = (int)(left > 1000 ? 1000 : left);
        }
        int pause_ms = pause_left_ms(r);
        if (pause_ms >= 0 && (wait_ms < 0 || pause_ms < wait_ms))
            wait_ms = pause_ms;
        int n = poll(p, 5, wait_ms);
        if (interrupted) {
            kill(r->app, SIGTERM);
            waitpid(r->app, NULL, 0);
            r->app = 0;
            status = 128 + interrupted;
            break;
        }
        if (n < 0 && errno != EINTR)
            break;
        if (n <= 0)
            continue;
        if (p[0].revents || (p[4].fd >= 0 && p[4].revents)) {
            int ws, reason = -1;
            bool reported = read_app_status(r, &ws, &reason);
            p[4].fd = -1;
            /* After a shutdown request the init asks the hypervisor to
             * shut the domain down, which stops it for good once the
             * state is recorded: the teardown may then destroy it. */
            int iws = 0;
            pid_t w = waitpid(r->app, &iws, reported && reason >= 0 ? WUNTRACED : 0);
            if (w == r->app && WIFSTOPPED(iws)) {
                fprintf(stderr, "splitbed run: domain %u shut down on request (%s)\n", r->domid,
                        reason == SHUTDOWN_reboot ? "reboot" : "poweroff");
                r->rebooted = reason == SHUTDOWN_reboot;
            } else {
                r->app = 0;
            }
            if (!reported)
                ws = iws;
            status = exit_status_of(ws);
            if (WIFSIGNALED(ws))
                fprintf(stderr, "splitbed run: app killed by signal %d\n", WTERMSIG(ws));
            break;
        }
        if (p[3].fd >= 0 && p[3].revents) {
            if (report_fault(r, p[3].fd)) {
                p[3].fd = -1;
                status = EXIT_FAIL;
                break;
            }
            p[3].fd = -1;
        }
        for (int i = 1; i < 3; i++) {
            if (p[i].fd >= 0 && p[i].revents) {
                int ws;
                waitpid(pids[i], &ws, 0);
                if (i == 1)
                    r->blkback = 0;
                else
                    r->netback = 0;
                close(p[i].fd);
                p[i].fd = -1;
                bool *restart = i == 1 ? &r->restart_blkback : &r->restart_netback;
                if (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL && *restart) {
                    /* The crash fault: as a driver domain's toolstack
                     * would, start the backend again; the frontend
                     * reconnects to it. */
                    fprintf(stderr, "splitbed run: fault: %s crashed as asked; starting it again\n",
                            names[i]);
                    *restart = false;
                    pid_t again = i == 1
                                      ? start_blkback(r, r->restart_opts, r->nrestart_opts)
                                      : start_netback(r, r->restart_net_opts, r->nrestart_net_opts);
                    if (again < 0) {
                        kill(r->app, SIGKILL);
                        waitpid(r->app, NULL, 0);
                        r->app = 0;
                        return EXIT_FAIL;
                    }
                    *(i == 1 ? &r->blkback : &r->netback) = again;
                    pids[i] = again;
                    p[i].fd = pidfd_of(again);
                    continue;
                }
                /* A netback whose input ended moves the device to Closing
                 * and the app finishes by itself. */
                if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
                    continue;
                fprintf(stderr,
                        "splitbed run: %s exited with status %d while the app was running\n",
                        names[i], exit_status_of(ws));
                kill(r->app, SIGKILL);
                waitpid(r->app, NULL, 0);
                r->app = 0;
                return EXIT_FAIL;
            }
        }
    }
    for (int i = 0; i < 3; i++)
        if (p[i].fd >= 0)
            close(p[i].fd);
    if (p[3].fd >= 0)
        close(p[3].fd);
    /* The app may end before the pause fault's time is up (it paused
     * after the app's last request): the domain is unpaused all the
     * same. */
    if (r->paused) {
        r->unpause_at = (struct timespec){ 0, 0 };
        pause_left_ms(r);
    }
    r->report_fd = -1;
    return status;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* On a shared simulator, what this run set up goes as libxl's destroy
 * takes it away: the devices' nodes once their backends are gone, then
 * the domain if this run created it. */
static void release_shared(struct run *r)
{
    if (!r->added_disks && !r->added_vifs && !r->created_domain && !r->xs_conflict)
        return;
    struct toolstack *ts = toolstack_open(r->dir);
    if (!ts)
        return;
    if (r->xs_conflict)
        toolstack_xs_conflicts(ts, r->domid, 0, 0);
    for (unsigned i = 0; i < r->added_disks; i++)
        toolstack_device_remove(ts, "vbd", 0, r->domid, r->disks[i].devid);
    for (unsigned i = 0; i < r->added_vifs; i++)
        toolstack_device_remove(ts, "vif", 0, r->domid, r->vifs[i].handle);
    if (r->created_domain)
        toolstack_domain_destroy(ts, r->domid);
    toolstack_close(ts);
}

static void teardown(struct run *r)
{
    if (r->start_fd >= 0)
        close(r->start_fd); /* an init still waiting exits without the app */
    if (r->app > 0) {
        kill(r->app, SIGKILL);
        waitpid(r->app, NULL, 0);
    }
    if (r->status_fd >= 0)
        close(r->status_fd);
    if (r->blkback > 0)
        daemon_stop(r->blkback, 5000);
    if (r->netback > 0)
        daemon_stop(r->netback, 5000);
    if (r->qubesdb > 0)
        daemon_stop(r->qubesdb, 5000);
    if (r->qrexec > 0)
        daemon_stop(r->qrexec, 5000);
    if (r->guid > 0)
        daemon_stop(r->guid, 5000);
    if (!r->private_sim)
        release_shared(r);
    if (r->sim_starting)
        cli_sim_abandon(&r->sim);
    if (r->private_sim) {
        daemon_stop(r->xsd, 5000);
        daemon_stop(r->hvd, 5000);
        if (!getenv("SPLITBED_KEEP"))
            nftw(r->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        else
            fprintf(stderr, "splitbed run: state kept in %s\n", r->dir);
    }
    for (unsigned i = 0; i < r->ndisks; i++)
        disk_spec_free(&r->disks[i]);
    if (r->cfg)
        xlu_lib()->xlu_cfg_destroy(r->cfg); /* loaded, since cfg is */
    if (r->cfg_report)
        fclose(r->cfg_report);
    free(r->cfg_report_buf);
}

/* Starts the domain's init (the app waits), the private simulator the
 * first time, creates the domain (unless it exists), adds its devices,
 * starts their backends and dom0's daemons, then lets the app go. */
static int bring_up(struct run *r, char *app, int nargs, char **args)
{
    /* The init starts first and waits for app_go: it loads while the
     * simulator and the domain are built. */
    char **env = cli_guest_env(r->dir, r->domid);
    if (!env)
        return -1;
    r->app = spawn_app(r, app, nargs, args, env, !r->stdin_to_netback);
    cli_guest_env_free(env);
    if (r->app < 0)
        return -1;
    /* The disk specs once, while the daemons start (-2: bad usage). */
    if (!r->ndisks && r->ndisk_args && parse_disks(r) != 0)
        return -2;
    /* One toolstack connection from dom0's nodes to the devices'. */
    struct toolstack *ts = NULL;
    if (r->sim_starting) {
        r->sim_starting = false;
        if (cli_sim_wait(r->dir, &r->sim, &r->hvd, &r->xsd, &ts) != 0)
            return -1;
    }
    if (!ts && !(ts = toolstack_open(r->dir)))
        return -1;
    int rc = toolstack_domain_ensure(ts, r->domid, NULL);
    r->created_domain = rc == 0;
    if (rc >= 0)
        rc = add_devices(r, ts);
    toolstack_close(ts);
    if (rc != 0)
        return -1;

    if (r->xs_conflict) {
        /* xenstored draws the conflicts from the run's seed. */
        struct toolstack *xts = toolstack_open(r->dir);
        int x = xts ? toolstack_xs_conflicts(xts, r->domid, r->xs_conflict->permille, r->seed) : -1;
        if (xts)
            toolstack_close(xts);
        if (x != 0)
            return -1;
    }
    if (r->ndisks) {
        /* Only this run's devices: other runs on the simulator have
         * their own backends (one per device, never two). */
        r->blkback = start_blkback(r, r->opts, r->nopts);
        if (r->blkback < 0)
            return -1;
    }
    if (r->nvifs) {
        for (unsigned i = 0; i < r->nvifs; i++) {
            /* DOMID/HANDLE: unambiguous even with several guests. */
            snprintf(r->vifs[i].netback_arg, sizeof r->vifs[i].netback_arg, "%u/%u=%s", r->domid,
                     r->vifs[i].handle, r->vifs[i].backing);
            r->netback_extra[r->nnetback_extra++] = "--vif";
            r->netback_extra[r->nnetback_extra++] = r->vifs[i].netback_arg;
        }
        r->netback = start_netback(r, r->net_opts, r->nnet_opts);
        if (r->netback < 0)
            return -1;
    }

    if (r->qubes) {
        r->qubesdb = qubes_vm_start_qubesdb(r->dir, r->domid, r->qubes_name, r->qubesdb_entries,
                                            r->nqubesdb_entries, r->quiet, false);
        if (r->qubesdb < 0)
            return -1;
        r->qrexec = qubes_vm_start_qrexec(r->dir, r->domid, r->qubes_name, r->qrexec_allow,
                                          r->nqrexec_allow, r->qrexec_services, r->quiet, false);
        if (r->qrexec < 0)
            return -1;
        r->guid = qubes_vm_start_guid(r->dir, r->domid, r->quiet, false);
        if (r->guid < 0)
            return -1;
    }

    if (app_go(r) != 0) {
        fprintf(stderr, "splitbed run: splitbed-guest-init ended before the app started\n");
        return -1;
    }
    return 0;
}

/* A reboot: the domain goes as xl destroy takes it (its processes, its
 * backends once they are told, its nodes); what the run created and
 * started is made again by bring_up.  The same domain id comes back:
 * --domain N names the guest for the user's other commands (xl would
 * pick a new one). */
static void take_down(struct run *r)
{
    if (r->app > 0) {
        kill(r->app, SIGKILL);
        waitpid(r->app, NULL, 0);
        r->app = 0;
    }
    if (r->status_fd >= 0)
        close(r->status_fd);
    r->status_fd = -1;
    pid_t *daemons[] = { &r->blkback, &r->netback, &r->qubesdb, &r->qrexec, &r->guid };
    for (size_t i = 0; i < sizeof daemons / sizeof daemons[0]; i++)
        if (*daemons[i] > 0) {
            daemon_stop(*daemons[i], 5000);
            *daemons[i] = 0;
        }
    r->created_domain = true; /* destroyed now, whoever made it */
    release_shared(r);
    r->created_domain = false;
    r->added_disks = r->added_vifs = 0;
    r->nnetback_extra = 0;
    r->rebooted = false;
}

int cmd_run(int argc, char **argv)
{
    struct run r = {
        .domid = 1, .report_fd = -1, .status_fd = -1, .start_fd = -1, .stop_timeout_s = 10
    };
    int first = parse_args(&r, argc, argv);
    if (first < 0) {
        teardown(&r);
        return first == -2 ? EXIT_OK : EXIT_USAGE;
    }
    if (r.nfaults || r.seed_given)
        fprintf(stderr, "splitbed run: seed %llu (--seed %llu runs the same faults again)\n",
                (unsigned long long)r.seed, (unsigned long long)r.seed);
    char app[4096];
    if (!layout_find_program(app, sizeof app, argv[first])) {
        fprintf(stderr,
                "splitbed run: app %s not found (looked in %s/libexec/splitbed and $PATH)\n",
                argv[first], layout_prefix());
        teardown(&r);
        return EXIT_USAGE;
    }

    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int status = EXIT_FAIL;
    if (r.given_dir) {
        if (!cli_statedir(r.given_dir, r.dir, sizeof r.dir))
            goto out_usage;
    } else {
        /* In memory where the system offers it: a run creates a few
         * dozen files and sockets, and a disk file system's inode
         * allocation and journal made up much of a run's start. */
        char tmpl[64];
        snprintf(tmpl, sizeof tmpl, "%s/splitbed-run-XXXXXX",
                 access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(tmpl)) {
            perror("splitbed run: mkdtemp");
            goto out;
        }
        snprintf(r.dir, sizeof r.dir, "%s", tmpl);
        r.private_sim = true;
        if (cli_sim_spawn(r.dir, false, &r.sim) != 0)
            goto out;
        r.sim_starting = true;
    }
    /* While the daemons start: the guest's init, then the disk specs. */
    for (unsigned i = 0; i < r.nvifs; i++)
        r.stdin_to_netback |= r.vifs[i].uses_stdio;
    for (;;) {
        int up = bring_up(&r, app, argc - first - 1, argv + first + 1);
        if (up == -2)
            goto out_usage;
        if (up != 0)
            goto out;
        status = supervise(&r);
        if (!r.rebooted || r.reboot_destroys || interrupted)
            break;
        /* xl's on_reboot="restart": the domain goes as xl destroy takes
         * it, and one of the same name and devices starts the app again. */
        r.reboots++;
        fprintf(stderr, "splitbed run: domain %u rebooting: starting it again (start %u)\n",
                r.domid, r.reboots + 1);
        take_down(&r);
    }
out:
    teardown(&r);
    return status;
out_usage:
    teardown(&r);
    return EXIT_USAGE;
}
