/*
 * main.c — a guest app as a PVH unikernel: brings up the pieces of os.h
 * in order, runs app_main with the arguments of the domain's command line
 * (xl.cfg `extra=`, or `cmdline=`), and turns the result into the
 * domain's end: poweroff after status 0, crash otherwise, with the status
 * as the console's last line ("[uk] exit N") for whoever reads it.
 *
 * The command line is split at spaces and tabs; double quotes group
 * words.  -q/--quiet before any "--" drops informational log lines and
 * "--uk-debug" adds debug lines, as SPLITBED_DEBUG=1 does for the process.
 */
#include "uk.h"

#ifndef UK_APP_NAME
#define UK_APP_NAME "app"
#endif
#define MAX_ARGS 32
#define MAX_CMDLINE 1024

static char cmdline[MAX_CMDLINE];
static char *argv_store[MAX_ARGS + 1];
static struct os the_os = { .domid = 0, .max_level = OS_LOG_INFO };

static int split_args(char *s, char **argv, int max)
{
    int n = 0;
    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == '\n')
            s++;
        if (!*s)
            break;
        if (n == max)
            return -1;
        char *out = s;
        argv[n++] = out;
        bool quoted = false;
        while (*s && (quoted || (*s != ' ' && *s != '\t' && *s != '\n'))) {
            if (*s == '"')
                quoted = !quoted;
            else
                *out++ = *s;
            s++;
        }
        if (*s)
            s++;
        *out = '\0';
    }
    return n;
}

static void fail(const char *what, int rc)
{
    uk_panic("%s failed (%d)", what, rc);
}

int os_wait(struct os *os, uint64_t deadline_ns)
{
    for (;;) {
        uk_xs_pump();
        if (uk_xs_watch_queued() || uk_app_event_pending())
            return 1;
        if (deadline_ns && uk_now_ns() >= deadline_ns)
            return 0;
        if (uk_block(deadline_ns))
            return 1;
    }
}

void uk_start(const struct hvm_start_info *si);
void uk_start(const struct hvm_start_info *si)
{
    static const char hello[] = "[uk] " UK_APP_NAME ": PVH entry\n";
    uk_console_early(hello, sizeof(hello) - 1);
    uk_cpu_init();
    if (si->magic != XEN_HVM_START_MAGIC_VALUE)
        uk_panic("start info at %p has magic 0x%x, not a PVH start", (const void *)si, si->magic);
    /* Copy the command line out before the heap may reuse its page. */
    size_t cl = 0;
    if (si->cmdline_paddr && si->cmdline_paddr < UK_IDENTITY_LIMIT) {
        const char *src = (const char *)(uintptr_t)si->cmdline_paddr;
        cl = os_strlen(src);
        if (cl >= sizeof(cmdline))
            uk_panic("command line of %zu bytes is longer than %u", cl, MAX_CMDLINE - 1);
        memcpy(cmdline, src, cl + 1);
    }

    int rc = uk_hypercall_init();
    if (rc < 0) {
        static const char msg[] = "[uk] not running on Xen (no Xen CPUID leaves); command line: ";
        uk_console_early(msg, sizeof(msg) - 1);
        uk_console_early(cmdline, cl);
        uk_console_early("\n", 1);
        uk_shutdown(SHUTDOWN_crash);
    }
    if ((rc = uk_mem_init(si)) < 0)
        fail("finding RAM in the memory map", rc);
    if ((rc = uk_events_init()) < 0)
        fail("mapping shared_info and the event upcall", rc);
    uk_console_init();
    if ((rc = uk_grants_init()) < 0)
        fail("setting up the grant table", rc);
    if ((rc = uk_xs_init()) < 0)
        fail("connecting to xenstore", rc);
    uk_irq_enable();

    char buf[16];
    uint64_t id;
    if (os_xs_read(&the_os, 0, "domid", buf, sizeof(buf)) > 0 && os_parse_u64(buf, &id) == 0 &&
        id < DOMID_FIRST_RESERVED)
        the_os.domid = (domid_t)id;

    argv_store[0] = UK_APP_NAME;
    int n = split_args(cmdline, argv_store + 1, MAX_ARGS - 1);
    if (n < 0) {
        os_log(&the_os, OS_LOG_ERROR, "%s: more than %d arguments on the command line", UK_APP_NAME,
               MAX_ARGS - 1);
        rc = 2;
    } else {
        /* Host options, as the process's main() takes them. */
        int argc = 1;
        bool opts_done = false;
        for (int i = 1; i <= n; i++) {
            char *a = argv_store[i];
            if (!opts_done && os_strcmp(a, "--") == 0)
                opts_done = true;
            if (!opts_done && (os_strcmp(a, "-q") == 0 || os_strcmp(a, "--quiet") == 0)) {
                the_os.max_level = OS_LOG_WARN;
                continue;
            }
            if (!opts_done && os_strcmp(a, "--uk-debug") == 0) {
                the_os.max_level = OS_LOG_DEBUG;
                continue;
            }
            argv_store[argc++] = a;
        }
        argv_store[argc] = NULL;
        rc = app_main(&the_os, argc, argv_store);
        if (rc < 0 || rc > 2)
            rc = 1;
    }
    char line[32];
    int len = os_snprintf(line, sizeof(line), "[uk] exit %d\n", rc);
    os_console_write(&the_os, line, (size_t)len);
    uk_console_flush();
    uk_shutdown(rc == 0 ? SHUTDOWN_poweroff : SHUTDOWN_crash);
}
