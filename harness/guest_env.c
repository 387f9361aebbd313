/* The environment that puts a process into a simulated domain. */
#include "cli.h"
#include "layout.h"
#include "statedir.h"
#include "backends-sim/procdom/procdom.h"

#include <unistd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static const char *const ours[] = { "LD_LIBRARY_PATH=", "SPLITBED_HV_SOCKET=", "XENSTORED_PATH=",
                                    "SPLITBED_DIR=",    "SPLITBED_DOMID=",     NULL };

static bool is_ours(const char *var)
{
    for (int i = 0; ours[i]; i++)
        if (!strncmp(var, ours[i], strlen(ours[i])))
            return true;
    return false;
}

static char *fmt(const char *f, const char *a, const char *b)
{
    size_t n = strlen(f) + strlen(a) + (b ? strlen(b) : 0) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, f, a, b ? b : "");
    return s;
}

char **cli_guest_env(const char *dir, unsigned domid)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 8, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!is_ours(environ[i]))
            env[k++] = environ[i];

    char lib[4200], path[4200], num[16];
    const char *old = getenv("LD_LIBRARY_PATH");
    layout_path(lib, sizeof lib, "lib/splitbed", NULL);
    /* Our drop-in libraries must win over the system's libxen*. */
    env[k++] = old && *old ? fmt("LD_LIBRARY_PATH=%s:%s", lib, old)
                           : fmt("LD_LIBRARY_PATH=%s%s", lib, NULL);
    statedir_path(path, sizeof path, dir, "hv/dom%u", domid);
    env[k++] = fmt("SPLITBED_HV_SOCKET=%s%s", path, NULL);
    if (domid == 0)
        statedir_path(path, sizeof path, dir, "xenstored/socket");
    else
        statedir_path(path, sizeof path, dir, "xenstored/dom%u", domid);
    env[k++] = fmt("XENSTORED_PATH=%s%s", path, NULL);
    env[k++] = fmt("SPLITBED_DIR=%s%s", dir, NULL);
    snprintf(num, sizeof num, "%u", domid);
    env[k++] = fmt("SPLITBED_DOMID=%s%s", num, NULL);
    for (size_t i = 0; i < k; i++)
        if (!env[i]) {
            env[k] = NULL;
            for (size_t j = i + 1; j < k; j++)
                free(env[j]);
            env[i] = NULL;
            cli_guest_env_free(env);
            return NULL;
        }
    return env;
}

void cli_guest_env_free(char **env)
{
    if (!env)
        return;
    /* The caller's own variables were borrowed; ours were allocated. */
    for (size_t i = 0; env[i]; i++)
        if (is_ours(env[i]))
            free(env[i]);
    free(env);
}

int cli_own_domain(const char *dir)
{
    struct procdom_sim sim;
    if (procdom_sim_init(&sim, dir) != 0)
        return -1; /* no simulator there yet: nobody is inside it */
    int d = procdom_of(&sim, getpid());
    return d >= 0 ? d : -1;
}

bool cli_refuse_guest(const char *dir, const char *cmd, const char *what)
{
    int d = cli_own_domain(dir);
    if (d <= 0)
        return false;
    fprintf(stderr, "%s: refused: this process runs in domain %d of %s; only dom0 may %s\n", cmd, d,
            dir, what);
    return true;
}
