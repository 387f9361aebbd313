/*
 * run.c — `splitbed run`: the state dir (a private simulator, or --dir),
 * then the domain brought up (its init, the domain, its devices, their
 * backends, dom0's Qubes daemons for a Qubes VM), supervised, taken down
 * and brought up again on each reboot, and at the end what the run set
 * up taken away again.
 */
#include "run.h"

#include "harness/devices.h"
#include "harness/layout.h"
#include "harness/qubes_vm.h"
#include "harness/toolstack.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

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
    /* The init starts first and waits for run_app_go: it loads while the
     * simulator and the domain are built. */
    char **env = cli_guest_env(r->dir, r->domid);
    if (!env)
        return -1;
    r->app = run_spawn_app(r, app, nargs, args, env, !r->stdin_to_netback);
    cli_guest_env_free(env);
    if (r->app < 0)
        return -1;
    /* The disk specs once, while the daemons start (-2: bad usage). */
    if (!r->ndisks && r->ndisk_args && run_parse_disks(r) != 0)
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
        r->blkback = run_start_blkback(r, r->opts, r->nopts);
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
        r->netback = run_start_netback(r, r->net_opts, r->nnet_opts);
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

    if (run_app_go(r) != 0) {
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
    int first = run_parse_args(&r, argc, argv);
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

    run_catch_signals();

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
        status = run_supervise(&r);
        if (!r.rebooted || r.reboot_destroys || run_interrupted)
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
