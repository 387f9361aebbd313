/*
 * splitbed qrexec [--dir DIR] DOM SERVICE[+ARG] [--user USER]
 * splitbed qrexec [--dir DIR] DOM start [--allow SERVICE[+ARG]@TARGET]...
 *                                       [--services DIR]
 *
 * Runs a qrexec service in a running Qubes VM, like `qrexec-client -d VM
 * USER:QUBESRPC SERVICE+ARG dom0`: our stdin goes to the service, its
 * stdout and stderr come to ours, and its exit code is ours.  The call
 * goes through that VM's splitbed-qrexec (dom0's daemon, socket
 * DIR/qrexec.DOM.sock), which gets our three descriptors.  `start`
 * starts the daemon by hand (splitbed run starts it for a Qubes VM),
 * with the VM's own calls allowed as listed and dom0's service programs
 * in --services DIR.
 */
#include "cli.h"
#include "qubes_vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char usage[] = "usage: splitbed qrexec [--dir DIR] DOM SERVICE[+ARG] [--user USER]\n"
                            "       splitbed qrexec [--dir DIR] DOM start "
                            "[--allow SERVICE[+ARG]@TARGET]... [--services DIR]\n";

static bool service_ok(const char *s)
{
    if (!*s || *s == '+' || strlen(s) > 1000)
        return false;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '+'))
            return false;
    }
    return true;
}

int cmd_qrexec(int argc, char **argv)
{
    const char *given = NULL, *user = "user", *services = NULL;
    const char *pos[2] = { NULL, NULL };
    const char *allow[64];
    unsigned nallow = 0;
    int npos = 0;
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            given = argv[++i];
        else if (!strcmp(argv[i], "--user") && i + 1 < argc)
            user = argv[++i];
        else if (!strcmp(argv[i], "--allow") && i + 1 < argc && nallow < 64)
            allow[nallow++] = argv[++i];
        else if (!strcmp(argv[i], "--services") && i + 1 < argc)
            services = argv[++i];
        else if (npos < 2 && argv[i][0] != '-')
            pos[npos++] = argv[i];
        else {
            fprintf(stderr, "splitbed qrexec: unexpected argument '%s'\n", argv[i]);
            fputs(usage, stderr);
            return EXIT_USAGE;
        }
    }
    if (npos != 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    unsigned domid;
    if (!cli_parse_domid(pos[0], &domid) || domid == 0) {
        fprintf(stderr, "splitbed qrexec: %s: not a guest domain id\n", pos[0]);
        return EXIT_USAGE;
    }
    char dir[4096], sock[4200];
    if (!cli_statedir(given, dir, sizeof dir))
        return EXIT_USAGE;
    if (!strcmp(pos[1], "start"))
        return qubes_vm_start_qrexec(dir, domid, NULL, allow, nallow, services, false, true) > 0
                   ? EXIT_OK
                   : EXIT_FAIL;
    if (nallow || services) {
        fprintf(stderr, "splitbed qrexec: --allow and --services go with start\n");
        return EXIT_USAGE;
    }
    if (!service_ok(pos[1]) || !*user || strpbrk(user, ": \n")) {
        fprintf(stderr,
                "splitbed qrexec: '%s' as '%s': a service is A-Z a-z 0-9 . _ - with an optional "
                "+ARG, a user has no ':' or space\n",
                pos[1], user);
        return EXIT_USAGE;
    }
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "%s:QUBESRPC %s%s dom0", user, pos[1],
             strchr(pos[1], '+') ? "" : "+");
    qubes_vm_qrexec_socket(sock, sizeof sock, dir, domid);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || strlen(sock) >= sizeof a.sun_path) {
        fprintf(stderr, "splitbed qrexec: %s: cannot use this socket path\n", sock);
        return EXIT_FAIL;
    }
    strcpy(a.sun_path, sock);
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
        fprintf(stderr, "splitbed qrexec: no qrexec daemon for domain %u in %s (%s: %s)\n", domid,
                dir, sock, strerror(errno));
        close(s);
        return EXIT_FAIL;
    }
    int fds[3] = { 0, 1, 2 };
    union {
        char buf[CMSG_SPACE(sizeof fds)];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct iovec iov = { .iov_base = cmd, .iov_len = strlen(cmd) + 1 };
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf
    };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof fds);
    memcpy(CMSG_DATA(cm), fds, sizeof fds);
    if (sendmsg(s, &m, MSG_NOSIGNAL) < 0) {
        fprintf(stderr, "splitbed qrexec: %s: %s\n", sock, strerror(errno));
        close(s);
        return EXIT_FAIL;
    }
    /* The daemon has our descriptors; we only wait for the exit code. */
    unsigned char e[4];
    size_t got = 0;
    while (got < 4) {
        ssize_t n = read(s, e + got, 4 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(s);
    if (got < 4) {
        fprintf(stderr, "splitbed qrexec: domain %u's qrexec daemon ended the call\n", domid);
        return EXIT_FAIL;
    }
    unsigned code =
        (unsigned)e[0] | (unsigned)e[1] << 8 | (unsigned)e[2] << 16 | (unsigned)e[3] << 24;
    return code > 255 ? 255 : (int)code;
}
