/*
 * cli.h — the splitbed subcommands.  Each returns the process exit
 * status: 0 success, 1 failure, 2 bad usage or input (after printing one
 * line that says what was wrong).
 */
#ifndef SPLITBED_CLI_H
#define SPLITBED_CLI_H

#include <stdbool.h>
#include <sys/types.h>

#include "daemons.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

int cmd_hv(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_domain(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_replay(int argc, char **argv);
/* block-attach, block-detach, block-list, network-attach,
 * network-detach, network-list: argv[0] is the command's name. */
int cmd_hotplug(int argc, char **argv);
int cmd_fault(int argc, char **argv);
bool cli_is_hotplug(const char *name);
int cmd_qubesdb(int argc, char **argv);
int cmd_qrexec(int argc, char **argv);

/* Shared by the commands: the state dir given by --dir or the default,
 * made absolute.  NULL after a message if it cannot be formed. */
const char *cli_statedir(const char *given, char *buf, size_t size);
/* Starts splitbed-hvd and splitbed-xenstored in dir and initialises
 * dom0.  detach: leave them running after we exit.  Fills their pids. */
int cli_sim_start(const char *dir, bool detach, pid_t *hvd, pid_t *xsd);
/* cli_sim_start in two halves, so that the caller works while the
 * daemons start: cli_sim_spawn starts them (0, or -1 with a message),
 * then either cli_sim_wait waits until they serve and initialises dom0
 * (as cli_sim_start; with keep, the toolstack connection that did it is
 * left open there for the caller, who closes it), or cli_sim_abandon
 * kills them. */
struct cli_sim {
    struct daemon_spawning hv, xs;
};
struct toolstack;
int cli_sim_spawn(const char *dir, bool detach, struct cli_sim *s);
int cli_sim_wait(const char *dir, struct cli_sim *s, pid_t *hvd, pid_t *xsd,
                 struct toolstack **keep);
void cli_sim_abandon(struct cli_sim *s);
int cli_sim_stop(const char *dir);
/* Environment for a process of domain `domid`: a NULL-terminated array
 * (the caller's environment plus splitbed's variables); free it with
 * cli_guest_env_free. */
char **cli_guest_env(const char *dir, unsigned domid);
void cli_guest_env_free(char **env);
/* The domain of the simulator in dir this process was started in
 * (backends-sim/procdom/procdom.h), or -1 for a host process. */
int cli_own_domain(const char *dir);
/* If this process is inside a guest domain of the simulator in dir,
 * says on stderr that only dom0 may do `what` and returns true. */
bool cli_refuse_guest(const char *dir, const char *cmd, const char *what);
/* Debian's xl ACTION DOMID as dom0 of the simulator in dir (through
 * `splitbed exec`), its stdin and stdout on /dev/null when quiet; xl's
 * exit status, or -1 if it could not be run or was killed. */
int cli_xl(const char *dir, const char *action, unsigned domid, bool quiet);
/* Parses a domain id (0..32751). */
bool cli_parse_domid(const char *s, unsigned *out);

#endif
