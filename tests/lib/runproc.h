/*
 * runproc.h — run a program the way a user would and capture what it
 * says: exit status, stdout, stderr.  For integration tests.
 */
#ifndef SPLITBED_RUNPROC_H
#define SPLITBED_RUNPROC_H

#include <stddef.h>
#include <sys/types.h>

struct runproc {
    int status; /* exit code, 128+signal if killed, -1 if it could not run */
    char out[65536];
    char err[16384];
    size_t out_len, err_len;
};

/* Runs argv (NULL-terminated; argv[0] looked up in PATH) with stdin from
 * `input` (NULL: /dev/null), waits at most timeout_s seconds (a hang
 * guard: the child is killed and status is 128+9).  extra_env: NULL or
 * NULL-terminated "K=V" strings added to the environment. */
void runproc(struct runproc *r, const char *input, size_t input_len, int timeout_s,
             char *const extra_env[], char *const argv[]);
/* runproc() of $SPLITBED_BUILD/bin/splitbed with args (NULL-terminated)
 * after it, stdin from /dev/null.  More than 62 args: status -1 and a
 * line in err saying so, nothing run. */
void runproc_splitbed(struct runproc *r, int timeout_s, char *const extra_env[],
                      char *const args[]);
/* A test's teardown: stops the simulator whose state is in sim
 * (`splitbed hv stop --dir sim`, its outcome ignored: the test may have
 * stopped it or never started it), then removes the tree. */
void runproc_sim_remove(const char *sim, const char *tree, int timeout_s);
/* The pid written in the file at path; 0 if there is none or no number. */
int runproc_pid_file(const char *path);
/* The state letter of process pid as /proc/PID/stat gives it ('R', 'S',
 * 'T' stopped, 'Z' zombie...), 0 when there is no such process. */
char runproc_proc_state(pid_t pid);
/* 1 if process pid is gone, or a zombie waiting for a parent that does
 * not reap it; else 0. */
int runproc_gone(pid_t pid);
/* 1 if the trace file of the simulator whose state is in sim holds
 * needle anywhere (the whole file is read, however long); else 0. */
int runproc_trace_has(const char *sim, const char *needle);
/* Counts the lines of s. */
int runproc_lines(const char *s);
/* Waits for a child of ours at most timeout_ms (a hang guard: it is then
 * killed); returns its exit code, 128+signal, or -1. */
int runproc_wait(pid_t pid, int timeout_ms);
/* Removes a scratch tree (files, sockets, folders); never follows links. */
void runproc_rmtree(const char *path);
/* $SPLITBED_BUILD/<rel> (default build/), in a static buffer per call slot. */
const char *build_path(const char *rel);

#endif
