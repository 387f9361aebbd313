/*
 * xl_call.c — Debian's xl on a domain, run as dom0 of the simulator
 * (`splitbed exec --dir DIR --domain 0 -- xl ACTION DOMID`): what the
 * faults that pause or destroy a domain do, so that they go the way a
 * user's own `xl` would.
 */
#include "cli.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int cli_xl(const char *dir, const char *action, unsigned domid, bool quiet)
{
    char self[4096], dom[16];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -1;
    self[n] = '\0';
    snprintf(dom, sizeof dom, "%u", domid);
    pid_t pid = fork();
    if (pid == 0) {
        if (quiet) {
            int null = open("/dev/null", O_RDWR);
            dup2(null, 0);
            dup2(null, 1);
        }
        execl(self, "splitbed", "exec", "--dir", dir, "--domain", "0", "--", "xl", action, dom,
              (char *)NULL);
        _exit(127);
    }
    int ws;
    if (pid < 0 || waitpid(pid, &ws, 0) < 0)
        return -1;
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
}
