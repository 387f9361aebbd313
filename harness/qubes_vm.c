/* qubes_vm.c — dom0's daemons for a Qubes VM (qubes_vm.h). */
#include "qubes_vm.h"

#include "cli.h"
#include "daemons.h"
#include "layout.h"
#include "statedir.h"

#include "frontends/qubesdb_proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glob.h>
#include <unistd.h>

#define READY_TIMEOUT_MS 30000

extern char **environ;

const char *qubes_vm_qubesdb_socket(char *buf, size_t size, const char *dir, unsigned domid)
{
    int n = snprintf(buf, size, "%s/qubesdb.%u.sock", dir, domid);
    return n < 0 || (size_t)n >= size ? NULL : buf;
}

/* Starts libexec/splitbed/NAME as a process of dom0 with argv after
 * the program, its log in DIR/KIND.DOMID.log and its pid in
 * DIR/KIND.DOMID.pid. */
static pid_t start_daemon(const char *dir, const char *name, const char *kind, unsigned domid,
                          const char **args, unsigned nargs, bool detach)
{
    char prog[4096], log[4200];
    if (!layout_path(prog, sizeof prog, "libexec/splitbed", name) || access(prog, X_OK) != 0) {
        fprintf(stderr, "splitbed: %s not found in %s/libexec/splitbed\n", name, layout_prefix());
        return -1;
    }
    snprintf(log, sizeof log, "%s/%s.%u.log", dir, kind, domid);
    const char **argv = calloc(nargs + 2, sizeof *argv);
    if (!argv)
        return -1;
    argv[0] = prog;
    memcpy(argv + 1, args, nargs * sizeof *argv);
    /* A process of dom0: the drop-in libraries and xenstored of dir. */
    char **env = cli_guest_env(dir, 0);
    pid_t pid = -1;
    if (env) {
        char **saved = environ;
        environ = env;
        pid = daemon_start((char *const *)argv, log, detach, READY_TIMEOUT_MS);
        environ = saved;
        cli_guest_env_free(env);
    }
    free(argv);
    if (pid > 0) {
        char pidf[4200];
        snprintf(pidf, sizeof pidf, "%s/%s.%u.pid", dir, kind, domid);
        daemon_write_pidfile(pidf, pid);
    }
    return pid;
}

pid_t qubes_vm_start_qubesdb(const char *dir, unsigned domid, const char *name,
                             const char *const *entries, unsigned nentries, bool quiet, bool detach)
{
    char sock[4200], dom[16];
    if (!qubes_vm_qubesdb_socket(sock, sizeof sock, dir, domid)) {
        fprintf(stderr, "splitbed: state dir %s: path too long\n", dir);
        return -1;
    }
    snprintf(dom, sizeof dom, "%u", domid);
    const char **argv = calloc(2 * nentries + 12, sizeof *argv);
    if (!argv)
        return -1;
    unsigned k = 0;
    argv[k++] = "--domain";
    argv[k++] = dom;
    argv[k++] = "--socket";
    argv[k++] = sock;
    if (name) {
        argv[k++] = "--name";
        argv[k++] = name;
    }
    for (unsigned i = 0; i < nentries; i++) {
        argv[k++] = "--entry";
        argv[k++] = entries[i];
    }
    if (quiet)
        argv[k++] = "--quiet";
    pid_t pid = start_daemon(dir, "splitbed-qubesdb", "qubesdb", domid, argv, k, detach);
    free(argv);
    return pid;
}

const char *qubes_vm_qrexec_socket(char *buf, size_t size, const char *dir, unsigned domid)
{
    int n = snprintf(buf, size, "%s/qrexec.%u.sock", dir, domid);
    return n < 0 || (size_t)n >= size ? NULL : buf;
}

pid_t qubes_vm_start_qrexec(const char *dir, unsigned domid, const char *name,
                            const char *const *allow, unsigned nallow, const char *services,
                            bool quiet, bool detach)
{
    char sock[4200], dom[16];
    if (!qubes_vm_qrexec_socket(sock, sizeof sock, dir, domid)) {
        fprintf(stderr, "splitbed: state dir %s: path too long\n", dir);
        return -1;
    }
    snprintf(dom, sizeof dom, "%u", domid);
    const char **argv = calloc(2 * nallow + 10, sizeof *argv);
    if (!argv)
        return -1;
    unsigned k = 0;
    argv[k++] = "--domain";
    argv[k++] = dom;
    argv[k++] = "--socket";
    argv[k++] = sock;
    if (name) {
        argv[k++] = "--name";
        argv[k++] = name;
    }
    for (unsigned i = 0; i < nallow; i++) {
        argv[k++] = "--allow";
        argv[k++] = allow[i];
    }
    if (services) {
        argv[k++] = "--services";
        argv[k++] = services;
    }
    if (quiet)
        argv[k++] = "--quiet";
    pid_t pid = start_daemon(dir, "splitbed-qrexec", "qrexec", domid, argv, k, detach);
    free(argv);
    return pid;
}

pid_t qubes_vm_start_guid(const char *dir, unsigned domid, bool quiet, bool detach)
{
    char dom[16];
    snprintf(dom, sizeof dom, "%u", domid);
    const char *argv[] = { "--domain", dom, "--quiet" };
    return start_daemon(dir, "splitbed-guid", "guid", domid, argv, quiet ? 3 : 2, detach);
}

void qubes_vm_stop_all(const char *dir)
{
    static const char *const kinds[] = { "guid", "qrexec", "qubesdb" };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        char pat[4200];
        snprintf(pat, sizeof pat, "%s/%s.*.pid", dir, kinds[k]);
        glob_t g;
        if (glob(pat, 0, NULL, &g) != 0)
            continue;
        for (size_t i = 0; i < g.gl_pathc; i++) {
            pid_t pid = daemon_read_pidfile(g.gl_pathv[i]);
            if (pid && daemon_alive(pid))
                (void)daemon_stop(pid, 5000);
            unlink(g.gl_pathv[i]);
        }
        globfree(&g);
    }
}

int qubes_vm_check_entry(const char *file, const char *item)
{
    const char *eq = strchr(item, '=');
    char path[QDB_PATH_SIZE];
    size_t n = eq ? (size_t)(eq - item) : 0;
    if (eq && n < sizeof path) {
        memcpy(path, item, n);
        path[n] = 0;
    }
    if (!eq || n >= sizeof path || !qdb_path_ok(path, true)) {
        fprintf(stderr,
                "splitbed run: --config %s: splitbed_qubesdb item '%s' is not /KEY=VALUE with a "
                "QubesDB key (under 64 characters of A-Z a-z 0-9 - _ / . : @)\n",
                file, item);
        return -1;
    }
    if (!qdb_value_ok(eq + 1, strlen(eq + 1))) {
        fprintf(stderr,
                "splitbed run: --config %s: splitbed_qubesdb item '%.40s…': the value is 3072 "
                "bytes or longer\n",
                file, item);
        return -1;
    }
    return 0;
}
