/*
 * run.h — the parts of `splitbed run` (harness/run/) and the state they
 * share, private to them: one guest app as a domain against userspace
 * backends in dom0, the way a toolstack sets it up.  args.c fills a
 * struct run from the command line and an xl.cfg; spawn.c starts dom0's
 * backends and the domain's init; supervise.c waits for the app while
 * backends crash, faults fall due and the guest reboots; run.c brings
 * the domain up, takes it down again and is cmd_run itself.
 */
#ifndef SPLITBED_RUN_H
#define SPLITBED_RUN_H

#include "harness/cli.h"
#include "harness/disk_spec.h"
#include "harness/fault_spec.h"
#include "harness/vif_spec.h"
#include "harness/xlu_lib.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

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

/* args.c.  The options (and an xl.cfg's lists) into r, each backend's
 * knobs checked by the backend itself: the index in argv of the app;
 * -2 after --help (printed); -1 on bad usage or input (after one line
 * naming it). */
int run_parse_args(struct run *r, int argc, char **argv);
/* The --disk specs (and a config's disk=[...]), through xl's parser:
 * 0, or -1 after one line naming the spec. */
int run_parse_disks(struct run *r);

/* spawn.c.  Asks backend `name` whether it takes these options (its
 * --check): 0, or -1; a refusal is one line naming the option as the
 * user gave it, after flag (--backend-opt, --netback-opt). */
int run_check_backend_opts(const char *name, const char *flag, const char *const *opts,
                           unsigned nopts);
/* Each start returns the process's pid, or -1 (with a message where the
 * cause is ours to name). */
/* splitbed-blkback for r's disks with these knobs; a domain-destroy or
 * domain-pause fault's reports then come on r->report_fd. */
pid_t run_start_blkback(struct run *r, const char *const *opts, unsigned nopts);
/* splitbed-netback for r's vifs (r->netback_extra) with these knobs. */
pid_t run_start_netback(struct run *r, const char *const *opts, unsigned nopts);
/* The domain's init, splitbed-guest-init, which runs app with its nargs
 * args once run_app_go lets it; its report of the app's end comes on
 * r->status_fd.  stdin_too: it gets our stdin. */
pid_t run_spawn_app(struct run *r, char *app, int nargs, char **args, char **env, bool stdin_too);
/* Lets the waiting init start the app: 0, or -1 when the init is gone. */
int run_app_go(struct run *r);

/* supervise.c.  The signal that asked the run to stop, or 0. */
extern volatile sig_atomic_t run_interrupted;
/* SIGINT and SIGTERM set run_interrupted; SIGPIPE is ignored. */
void run_catch_signals(void);
/* Waits for the app, through the faults it was asked for; a backend
 * that dies first ends the run.  The exit status of the run: the app's,
 * 128+N after signal N, or EXIT_FAIL.  r->rebooted says whether the
 * guest asked for a reboot. */
int run_supervise(struct run *r);

#endif
