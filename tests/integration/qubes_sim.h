/*
 * qubes_sim.h — a private simulator (`splitbed hv start`) and programs
 * running in its domains through `splitbed exec`, for the Qubes tests:
 * each program's stdout is read line by line with a hang guard, its
 * stderr kept for the test to look at.  Everything started here dies
 * with the test process.
 */
#ifndef SPLITBED_QUBES_SIM_H
#define SPLITBED_QUBES_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct qs_proc {
    pid_t pid;
    int in, out, err; /* its stdin (ours to write), stdout, stderr */
    char buf[8192];
    size_t len;
    char errbuf[16384];
    size_t errlen;
};

/* Starts a simulator in a fresh directory; returns the directory. */
const char *qs_start(void);
/* Stops it and removes the directory. */
void qs_stop(void);
const char *qs_dir(void);
/* Runs argv (argv[0] a guest app, a test program by absolute path, or
 * any command) as a process of domain `dom`, creating the domain. */
void qs_exec(struct qs_proc *p, unsigned dom, const char *const argv[]);
/* Same, with extra "K=V" environment entries (NULL-terminated). */
void qs_exec_env(struct qs_proc *p, unsigned dom, const char *const env[],
                 const char *const argv[]);
/* Runs argv (argv[0] a full path) as a host process, e.g. `splitbed run`. */
void qs_spawn(struct qs_proc *p, const char *const argv[]);
/* The next line on its stdout, "" at end of file (static buffer). */
const char *qs_line(struct qs_proc *p);
/* Closes its stdin. */
void qs_close_in(struct qs_proc *p);
/* Waits for it (hang guard) and returns its exit status (128+signal if
 * killed); its stderr is then in p->errbuf. */
int qs_wait(struct qs_proc *p);
/* Lines of its stderr that contain needle. */
int qs_err_count(const struct qs_proc *p, const char *needle);
/* Runs `splitbed ARGS…` to completion; returns the exit status, stdout
 * in out (NUL-terminated). */
int qs_splitbed(char *out, size_t size, const char *const args[]);

#endif
