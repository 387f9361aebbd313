/*
 * qubes-hello [BLK OPTIONS] [--stay] [PATH] — what the MirageOS unikernel
 * of the report this project started from did on Qubes: read its
 * configuration from dom0's QubesDB over vchan, answer dom0's qrexec
 * daemon, list the configuration, then read a file (hello.txt by
 * default) from the tar archive that is its disk, through blkfront, and
 * write it to standard output.
 *
 * Log (stderr): "[qubes.db] connecting to server...", "[qubes.db]
 * connected", "[qubes.rexec] client connected, using protocol version 3"
 * (when dom0 runs a qrexec daemon), "[qubes.gui] waiting for client..."
 * and "[qubes.gui] client connected (…)" (when /qubes-gui-enabled is
 * True: the GUI handshake with dom0's GUI daemon), blkfront's
 * negotiation, then
 * "[unikernel] QubesDB =" and one tab-indented "PATH = VALUE" line per
 * entry.  Output (stdout): the file.
 *
 * With --stay it then keeps answering qrexec calls until the toolstack
 * asks it to power off (control/shutdown = "poweroff", as `xl shutdown`
 * does).  Services: qubes.WaitForSession; splitbed.TarCat+PATH (a member
 * of the tar disk on stdout); splitbed.Echo (stdin back on stdout, as it
 * arrives); splitbed.Sum (the size and FNV-1a 64 of stdin, one line);
 * splitbed.Head+N (the first N bytes of stdin back, then exit 0 without
 * reading the rest).  Echo, Sum and Head take stdin as a stream, of any
 * length.
 *
 * Exit 0, 1 when QubesDB or the disk fails, 2 on bad usage or a missing
 * member.
 */
#include "gui_agent.h"
#include "qrexec_agent.h"
#include "qubesdb.h"
#include "tar_disk.h"

static const char prog[] = "qubes-hello";
#define QUBESDB_WAIT_NS (30ull * 1000000000ull)
#define QREXEC_WAIT_NS (10ull * 1000000000ull)
#define CHUNK 65536u

struct hello {
    struct os *os;
    struct tar_disk *disk; /* once open */
};

static void show(void *ctx, const char *path, const char *value)
{
    struct hello *h = ctx;
    if (value[0])
        os_log(h->os, OS_LOG_INFO, "\t%s = %s", path, value);
    else
        os_log(h->os, OS_LOG_INFO, "\t%s =", path);
}

/* Streams a member of the archive to sink; 0, 1 (disk failed) or 2 (no
 * such member), with one line said. */
static int cat(struct tar_disk *d, const char *path, int (*sink)(void *, const void *, size_t),
               void *sctx)
{
    struct tarfs_file *f = NULL;
    int rc = tarfs_lookup(d->tar, path, &f);
    if (rc == -OS_ENOENT || rc == -OS_EISDIR || (rc == -OS_EINVAL && f == NULL)) {
        blk_app_error(d->os, prog, "%s: no file named '%s' in the archive", d->vdev, path);
        return 2;
    }
    if (rc < 0 || !f)
        return tar_disk_report(d, rc);
    uint8_t *buf = os_malloc(d->os, CHUNK);
    int status = buf ? 0 : 1;
    uint64_t size = tarfs_file_size(f);
    for (uint64_t off = 0; off < size && status == 0;) {
        long n = tarfs_file_read(f, off, buf, CHUNK);
        if (n <= 0) {
            blk_app_error(d->os, prog, "%s: reading '%s' at byte %llu failed (error %ld)", d->vdev,
                          path, (unsigned long long)off, -n);
            status = 1;
            break;
        }
        if (sink(sctx, buf, (size_t)n) < 0)
            status = 1;
        off += (uint64_t)n;
    }
    os_free(d->os, buf);
    tarfs_file_close(f);
    return status;
}

static int to_console(void *ctx, const void *p, size_t n)
{
    return tar_disk_write(ctx, p, n);
}

static int to_call(void *ctx, const void *p, size_t n)
{
    return qrexec_call_out(ctx, p, n);
}

/* Services that take stdin as it arrives (qrexec_agent.h); call->state
 * holds [started, FNV-1a 64 so far, bytes so far, bytes Head has left]. */
static int stream_service(void *ctx, struct qrexec_call *call)
{
    (void)ctx;
    const char *svc = call->service;
    bool echo = svc && !os_strcmp(svc, "splitbed.Echo");
    bool sum = svc && !os_strcmp(svc, "splitbed.Sum");
    bool head = svc && !os_strcmp(svc, "splitbed.Head");
    if (!echo && !sum && !head)
        return QREXEC_AGENT_UNKNOWN;
    uint64_t *st = call->state;
    if (!st[0]) {
        st[0] = 1;
        st[1] = 0xcbf29ce484222325ull;
        if (head && os_parse_u64(call->arg, &st[3]) < 0) {
            static const char msg[] = "splitbed.Head: +N must be a byte count\n";
            (void)qrexec_call_err(call, msg, sizeof msg - 1);
            return 2;
        }
        if (!(head && st[3] == 0))
            return QREXEC_AGENT_MORE;
    }
    size_t n = call->input_len;
    if (head && n > st[3])
        n = (size_t)st[3];
    if (echo || head)
        (void)qrexec_call_out(call, call->input, n);
    for (size_t i = 0; sum && i < n; i++)
        st[1] = (st[1] ^ call->input[i]) * 0x100000001b3ull;
    st[2] += n;
    if (head)
        st[3] -= n;
    if (!call->eof && !(head && st[3] == 0))
        return QREXEC_AGENT_MORE;
    if (sum) {
        char line[80];
        int k = os_snprintf(line, sizeof line, "%llu bytes, fnv1a64 %016llx\n",
                            (unsigned long long)st[2], (unsigned long long)st[1]);
        (void)qrexec_call_out(call, line, (size_t)k);
    }
    return 0;
}

static int service(void *ctx, struct qrexec_call *call)
{
    struct hello *h = ctx;
    if (!call->service)
        return QREXEC_AGENT_UNKNOWN; /* no shell in here */
    if (!os_strcmp(call->service, "splitbed.TarCat")) {
        if (!h->disk) {
            static const char msg[] = "splitbed.TarCat: the disk is not open yet\n";
            (void)qrexec_call_err(call, msg, sizeof msg - 1);
            return 125;
        }
        int st = cat(h->disk, call->arg[0] ? call->arg : "hello.txt", to_call, call);
        if (st) {
            static const char msg[] = "splitbed.TarCat: no such file in the archive\n";
            (void)qrexec_call_err(call, msg, sizeof msg - 1);
        }
        return st;
    }
    return QREXEC_AGENT_UNKNOWN;
}

static bool poweroff_asked(struct os *os)
{
    char path[64], v[32];
    os_snprintf(path, sizeof path, "/local/domain/%u/control/shutdown", (unsigned)os_domid(os));
    return os_xs_read(os, 0, path, v, sizeof v) > 0 && !os_strcmp(v, "poweroff");
}

/* Answers qrexec until power-off; 0, or 1 if the agent fails. */
static int stay(struct os *os, struct qrexec_agent *agent, struct qubesdb *db,
                struct gui_agent *gui)
{
    char path[64];
    os_snprintf(path, sizeof path, "/local/domain/%u/control/shutdown", (unsigned)os_domid(os));
    (void)os_xs_watch(os, path, "qubes-hello-shutdown");
    for (;;) {
        if (qrexec_agent_poll(agent) < 0)
            return 1;
        (void)qubesdb_poll(db);
        if (gui)
            (void)gui_agent_poll(gui);
        if (poweroff_asked(os)) {
            os_log(os, OS_LOG_INFO, "[unikernel] powering off");
            return 0;
        }
        /* the watch queue is ours alone now; a second's nap bounds a
         * missed wake-up */
        char wp[128], wt[64];
        while (os_xs_next_watch(os, wp, sizeof wp, wt, sizeof wt) > 0)
            ;
        if (os_wait(os, os_now_ns(os) + 1000000000ull) < 0)
            return 1;
    }
}

int app_main(struct os *os, int argc, char **argv)
{
    struct blk_app_opts opts;
    const char *path = NULL;
    bool keep = false;
    blk_opts_init(&opts);
    for (int i = 1; i < argc; i++) {
        if (!os_strcmp(argv[i], "--stay")) {
            keep = true;
            continue;
        }
        int r = blk_opts_parse(os, prog, argc, argv, &i, &opts);
        if (r < 0)
            return 2;
        if (r == 1)
            continue;
        if (path || (argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2])) {
            blk_app_error(os, prog,
                          "unexpected argument '%s'; usage: qubes-hello %s [--stay] [PATH]",
                          argv[i], BLK_OPTS_USAGE);
            return 2;
        }
        path = argv[i];
    }
    if (!path)
        path = "hello.txt";

    struct hello h = { .os = os };
    struct qubesdb *db;
    int r = qubesdb_open_sync(os, 0, os_now_ns(os) + QUBESDB_WAIT_NS, &db);
    if (r < 0) {
        blk_app_error(os, prog, "no QubesDB from dom0 (error %d)", -r);
        return 1;
    }
    struct qrexec_agent *agent;
    r = qrexec_agent_open(os, service, &h, &agent);
    if (r < 0) {
        blk_app_error(os, prog, "cannot serve qrexec (error %d)", -r);
        qubesdb_close(db);
        return 1;
    }
    qrexec_agent_set_stream_handler(agent, stream_service, &h);
    /* dom0's daemon connects while the VM starts; give it a moment */
    uint64_t until = os_now_ns(os) + QREXEC_WAIT_NS;
    while (qrexec_agent_poll(agent) >= 0 && !qrexec_agent_connected(agent) && os_now_ns(os) < until)
        (void)os_wait(os, os_now_ns(os) + 100000000ull);
    if (!qrexec_agent_connected(agent))
        os_log(os, OS_LOG_WARN, "[qubes.rexec] no qrexec daemon in dom0 yet; going on");

    /* the GUI handshake, when dom0 runs a GUI daemon for this VM */
    struct gui_agent *gui = NULL;
    const char *enabled = qubesdb_read(db, "/qubes-gui-enabled");
    if (enabled && !os_strcmp(enabled, "True")) {
        uint64_t gdom = 0;
        const char *x = qubesdb_read(db, "/qubes-gui-domain-xid");
        if (x && (os_parse_u64(x, &gdom) < 0 || gdom >= DOMID_FIRST_RESERVED))
            gdom = 0;
        if (gui_agent_open(os, (domid_t)gdom, &gui) == 0) {
            until = os_now_ns(os) + QREXEC_WAIT_NS;
            while (gui_agent_poll(gui) == 0 && os_now_ns(os) < until) {
                (void)qrexec_agent_poll(agent);
                (void)os_wait(os, os_now_ns(os) + 100000000ull);
            }
            if (!gui_agent_connected(gui))
                os_log(os, OS_LOG_WARN, "[qubes.gui] no GUI daemon in dom0 yet; going on");
        }
    }

    struct tar_disk d;
    int status = tar_disk_open(os, prog, &opts, &d);
    if (status) {
        gui_agent_close(gui);
        qrexec_agent_close(agent);
        qubesdb_close(db);
        return status;
    }
    h.disk = &d;
    os_log(os, OS_LOG_INFO, "[unikernel] QubesDB =");
    qubesdb_multiread(db, "", show, &h);
    status = cat(&d, path, to_console, os);
    if (status == 0 && keep)
        status = stay(os, agent, db, gui);
    h.disk = NULL;
    tar_disk_close(&d);
    gui_agent_close(gui);
    qrexec_agent_close(agent);
    qubesdb_close(db);
    return status;
}
