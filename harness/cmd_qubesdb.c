/*
 * splitbed qubesdb [--dir DIR] DOM read|write|rm|list|multiread PATH [VALUE]
 * splitbed qubesdb [--dir DIR] DOM start [--name NAME] [--entry /K=V]...
 *
 * dom0's hand on a VM's QubesDB while it runs, as Qubes' qubesdb-read -d
 * and friends: it talks to that VM's splitbed-qubesdb over its socket in
 * the state dir (QubesDB's local protocol).  A write or rm reaches the VM
 * at once.  `start` starts the daemon by hand (splitbed run starts it for
 * a Qubes VM scenario).
 */
#include "cli.h"
#include "qubes_vm.h"

#include "frontends/qubesdb_proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char usage[] =
    "usage: splitbed qubesdb [--dir DIR] DOM read|write|rm|list|multiread PATH [VALUE]\n"
    "       splitbed qubesdb [--dir DIR] DOM start [--name NAME] [--entry /KEY=VALUE]...\n";

static int connect_to(const char *sock)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (strlen(sock) >= sizeof a.sun_path)
        return -1;
    strcpy(a.sun_path, sock);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
        return fd;
    if (fd >= 0)
        close(fd);
    return -1;
}

static int read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

/* One reply: header and value (NUL-terminated in value). */
static int recv_reply(int fd, struct qdb_hdr *h, char *value)
{
    uint8_t raw[QDB_HDR_SIZE];
    if (read_full(fd, raw, sizeof raw) < 0 || qdb_hdr_decode(raw, false, h) != NULL ||
        read_full(fd, value, h->data_len) < 0)
        return -1;
    value[h->data_len] = 0;
    return 0;
}

static int start(const char *dir, unsigned domid, int argc, char **argv)
{
    const char *name = NULL;
    const char **entries = calloc((size_t)argc + 1, sizeof *entries);
    unsigned n = 0;
    if (!entries)
        return EXIT_FAIL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--name") && i + 1 < argc)
            name = argv[++i];
        else if (!strcmp(argv[i], "--entry") && i + 1 < argc)
            entries[n++] = argv[++i];
        else {
            fprintf(stderr, "splitbed qubesdb: start: unexpected argument '%s'\n", argv[i]);
            free(entries);
            return EXIT_USAGE;
        }
    }
    pid_t pid = qubes_vm_start_qubesdb(dir, domid, name, entries, n, false, true);
    free(entries);
    return pid > 0 ? EXIT_OK : EXIT_FAIL;
}

int cmd_qubesdb(int argc, char **argv)
{
    const char *given = NULL;
    int i = 1;
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (i + 1 < argc && !strcmp(argv[i], "--dir")) {
        given = argv[i + 1];
        i += 2;
    }
    if (argc - i < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    unsigned domid;
    if (!cli_parse_domid(argv[i], &domid) || domid == 0) {
        fprintf(stderr, "splitbed qubesdb: %s: not a guest domain id\n", argv[i]);
        return EXIT_USAGE;
    }
    const char *op = argv[i + 1];
    char dir[4096], sock[4200];
    if (!cli_statedir(given, dir, sizeof dir))
        return EXIT_USAGE;
    if (!strcmp(op, "start"))
        return start(dir, domid, argc - i - 2, argv + i + 2);

    static const struct {
        const char *name;
        uint8_t type;
        int nargs;
    } ops[] = {
        { "read", QDB_CMD_READ, 1 }, { "write", QDB_CMD_WRITE, 2 },         { "rm", QDB_CMD_RM, 1 },
        { "list", QDB_CMD_LIST, 1 }, { "multiread", QDB_CMD_MULTIREAD, 1 },
    };
    int k = -1;
    for (size_t j = 0; j < sizeof ops / sizeof ops[0]; j++)
        if (!strcmp(op, ops[j].name))
            k = (int)j;
    int rest = argc - i - 2;
    if (k < 0 || rest != ops[k].nargs) {
        if (k < 0)
            fprintf(stderr, "splitbed qubesdb: unknown operation '%s'\n", op);
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *path = argv[i + 2], *value = rest > 1 ? argv[i + 3] : "";
    bool key = ops[k].type == QDB_CMD_READ || ops[k].type == QDB_CMD_WRITE;
    if (!qdb_path_ok(path, key) || (ops[k].type == QDB_CMD_RM && !path[0])) {
        fprintf(stderr,
                "splitbed qubesdb: '%s' is not a QubesDB %s (under 64 characters of A-Z a-z 0-9 - "
                "_ / . : @%s)\n",
                path, key ? "key" : "path", key ? ", starting with '/', not ending with '/'" : "");
        return EXIT_USAGE;
    }
    if (!qdb_value_ok(value, strlen(value))) {
        fprintf(stderr, "splitbed qubesdb: the value is 3072 bytes or longer\n");
        return EXIT_USAGE;
    }
    qubes_vm_qubesdb_socket(sock, sizeof sock, dir, domid);
    int fd = connect_to(sock);
    if (fd < 0) {
        fprintf(stderr, "splitbed qubesdb: no QubesDB for domain %u in %s (%s: %s)\n", domid, dir,
                sock, strerror(errno));
        return EXIT_FAIL;
    }
    uint8_t hdr[QDB_HDR_SIZE];
    size_t vlen = ops[k].type == QDB_CMD_WRITE ? strlen(value) : 0;
    qdb_hdr_encode(hdr, ops[k].type, path, (uint32_t)vlen);
    if (write(fd, hdr, sizeof hdr) != (ssize_t)sizeof hdr ||
        (vlen && write(fd, value, vlen) != (ssize_t)vlen)) {
        fprintf(stderr, "splitbed qubesdb: %s: %s\n", sock, strerror(errno));
        close(fd);
        return EXIT_FAIL;
    }
    int status = EXIT_OK;
    static char v[QDB_VALUE_LIMIT + 1];
    for (;;) {
        struct qdb_hdr h;
        if (recv_reply(fd, &h, v) < 0) {
            fprintf(stderr, "splitbed qubesdb: domain %u's QubesDB gave no valid answer\n", domid);
            status = EXIT_FAIL;
            break;
        }
        if (h.type == QDB_RESP_ERROR_NOENT) {
            fprintf(stderr, "splitbed qubesdb: %s: no such entry\n", path);
            status = EXIT_FAIL;
            break;
        }
        if (h.type == QDB_RESP_ERROR) {
            fprintf(stderr, "splitbed qubesdb: domain %u's QubesDB refused %s %s\n", domid, op,
                    path);
            status = EXIT_FAIL;
            break;
        }
        if (h.type == QDB_RESP_READ) {
            printf("%s\n", v);
            break;
        }
        if (h.type == QDB_RESP_OK)
            break;
        if (h.type == QDB_RESP_LIST || h.type == QDB_RESP_MULTIREAD) {
            if (!h.path[0])
                break;
            if (h.type == QDB_RESP_LIST)
                printf("%s\n", h.path);
            else
                printf("%s=%s\n", h.path, v);
            continue;
        }
        fprintf(stderr, "splitbed qubesdb: unexpected %s from domain %u's QubesDB\n",
                qdb_type_name(h.type), domid);
        status = EXIT_FAIL;
        break;
    }
    close(fd);
    return status;
}
