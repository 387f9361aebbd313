/*
 * qubesdb-watch [--write /KEY=VALUE]... [--rm PATH]... [--until PATH]
 *
 * A Qubes VM's view of its QubesDB: syncs with dom0, prints every entry
 * ("PATH=VALUE", ascending), makes the given writes and removals (dom0
 * sees them), prints "synced", then prints every change dom0 makes as it
 * arrives ("write PATH=VALUE", "rm PATH").  With --until it exits 0 once
 * PATH is written; otherwise it runs until dom0 closes.  Exit 1 when
 * QubesDB fails, 2 on bad usage.
 */
#include "os.h"
#include "qubesdb.h"

static const char prog[] = "qubesdb-watch";

struct ctx {
    struct os *os;
    struct qubesdb *db;
    const char *until;
    bool done;
};

static void out(struct os *os, const char *a, const char *b, const char *c, const char *d)
{
    char line[3200];
    int n = os_snprintf(line, sizeof line, "%s%s%s%s\n", a, b, c, d);
    if (n > 0)
        (void)os_console_write(os, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void entry(void *p, const char *path, const char *value)
{
    struct ctx *c = p;
    out(c->os, path, "=", value, "");
}

static void changed(void *p, const char *path)
{
    struct ctx *c = p;
    const char *v = qubesdb_read(c->db, path);
    if (v)
        out(c->os, "write ", path, "=", v);
    else
        out(c->os, "rm ", path, "", "");
    if (c->until && v && !os_strcmp(path, c->until))
        c->done = true;
}

int app_main(struct os *os, int argc, char **argv)
{
    struct ctx c = { .os = os };
    for (int i = 1; i < argc; i++) {
        bool arg = i + 1 < argc;
        if (arg && (!os_strcmp(argv[i], "--write") || !os_strcmp(argv[i], "--rm")))
            i++; /* made once synced */
        else if (arg && !os_strcmp(argv[i], "--until"))
            c.until = argv[++i];
        else {
            os_log(os, OS_LOG_ERROR,
                   "%s: unexpected argument '%s'; usage: qubesdb-watch [--write /KEY=VALUE]... "
                   "[--rm PATH]... [--until PATH]",
                   prog, argv[i]);
            return 2;
        }
    }
    int r = qubesdb_open_sync(os, 0, os_now_ns(os) + 30000000000ull, &c.db);
    if (r < 0) {
        os_log(os, OS_LOG_ERROR, "%s: no QubesDB from dom0 (error %d)", prog, -r);
        return 1;
    }
    qubesdb_multiread(c.db, "", entry, &c);
    for (int i = 1; i < argc; i++) {
        if (!os_strcmp(argv[i], "--until")) {
            i++;
            continue;
        }
        const char *a = argv[++i];
        if (!os_strcmp(argv[i - 1], "--rm")) {
            r = qubesdb_rm(c.db, a);
        } else {
            char path[64];
            size_t k = 0;
            while (a[k] && a[k] != '=' && k + 1 < sizeof path) {
                path[k] = a[k];
                k++;
            }
            path[k] = 0;
            r = a[k] == '=' ? qubesdb_write(c.db, path, a + k + 1) : -OS_EINVAL;
        }
        if (r < 0) {
            os_log(os, OS_LOG_ERROR, "%s: %s %s refused (error %d)", prog, argv[i - 1], a, -r);
            qubesdb_close(c.db);
            return 2;
        }
    }
    qubesdb_watch(c.db, "/", changed, &c);
    out(os, "synced", "", "", "");
    int status = 0;
    while (!c.done) {
        r = qubesdb_poll(c.db);
        if (r < 0) {
            status = 1;
            break;
        }
        if (r == QUBESDB_CLOSED)
            break;
        if (c.done)
            break;
        if (os_wait(os, 0) < 0) {
            status = 1;
            break;
        }
    }
    qubesdb_close(c.db);
    return status;
}
