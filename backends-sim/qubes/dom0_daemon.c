/* The dom0-side scaffolding the Qubes daemons share; see dom0_daemon.h. */
#include "dom0_daemon.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

volatile sig_atomic_t dom0_daemon_stop;

static void on_signal(int sig)
{
    dom0_daemon_stop = sig;
}

int dom0_daemon_listen(const char *prog, const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof a.sun_path) {
        fprintf(stderr, "%s: --socket %s: path too long\n", prog, path);
        return -1;
    }
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    unlink(path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 8) < 0) {
        fprintf(stderr, "%s: --socket %s: %s\n", prog, path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

void dom0_daemon_catch_stop(void)
{
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

void dom0_daemon_ready(int ready_fd)
{
    if (ready_fd < 0)
        return;
    (void)!write(ready_fd, "1", 1);
    close(ready_fd);
}
