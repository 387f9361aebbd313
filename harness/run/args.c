/*
 * args.c — `splitbed run`'s command line: the options, an xl.cfg's
 * disk=[…], vif=[…] and splitbed's own lists (--config), the faults'
 * knobs and seed, and each backend's knobs checked by the backend
 * (its --check), all into a struct run before anything starts.  The
 * disk specs are parsed later, by run_parse_disks, while the simulator
 * starts.
 */
#include "run.h"

#include "backends-sim/qubes/qrexec_policy.h"
#include "harness/qubes_vm.h"
#include "harness/vdev.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

int run_parse_args(struct run *r, int argc, char **argv)
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
    if (run_check_backend_opts("splitbed-blkback", "--backend-opt", r->opts, r->nopts) ||
        run_check_backend_opts("splitbed-netback", "--netback-opt", r->net_opts, r->nnet_opts))
        return -1;
    return optind;
}

/* The --disk specs (and a config's disk=[...]), through xl's parser.
 * A run calls it once the simulator is starting: loading the parser
 * then overlaps the daemons' start. */
int run_parse_disks(struct run *r)
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
