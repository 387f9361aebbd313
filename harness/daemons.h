/*
 * daemons.h — starting and stopping splitbed's daemons and backends.
 *
 * A daemon is started with `--ready-fd N`; it writes a line to N once it
 * serves, so callers continue exactly when it is ready.  Stopping waits on
 * a pidfd, so it works for processes that are not our children.
 */
#ifndef SPLITBED_DAEMONS_H
#define SPLITBED_DAEMONS_H

#include <stdbool.h>
#include <sys/types.h>

/* Runs argv (argv[0] is a full path) with "--ready-fd N" appended, its
 * stdout/stderr appended to logfile (NULL = inherit), in its own session
 * if detach.  Waits up to timeout_ms for the ready line.  Returns the pid,
 * or -1 after printing one line that says why (and the log's tail). */
pid_t daemon_start(char *const argv[], const char *logfile, bool detach, int timeout_ms);

/* daemon_start in two halves, so that several daemons start at once and
 * are waited for together. */
struct daemon_spawning {
    pid_t pid;
    int ready_fd;
    char name[256];
    char logfile[4200];
};
/* Starts it as daemon_start does; pass_fds stay open in the child under
 * the same numbers.  0, or -1 after one line saying why. */
int daemon_spawn(struct daemon_spawning *d, char *const argv[], const char *logfile, bool detach,
                 const int *pass_fds, unsigned npass);
/* Waits for its ready line: its pid, or -1 as daemon_start says (the
 * daemon is then killed and reaped). */
pid_t daemon_wait_ready(struct daemon_spawning *d, int timeout_ms);
/* Sends SIGTERM, waits up to timeout_ms for the exit, then SIGKILLs.
 * 0 when the process is gone (or was already), -1 on error. */
int daemon_stop(pid_t pid, int timeout_ms);
/* True if pid is alive and its command line names a splitbed program. */
bool daemon_alive(pid_t pid);
/* Pid files: write, read (0 if absent or unreadable). */
int daemon_write_pidfile(const char *path, pid_t pid);
pid_t daemon_read_pidfile(const char *path);

#endif
