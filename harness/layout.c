#include "layout.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char prefix[PATH_MAX];

int layout_init(void)
{
    const char *env = getenv("SPLITBED_PREFIX");
    if (env && *env) {
        if (snprintf(prefix, sizeof prefix, "%s", env) >= (int)sizeof prefix) {
            fprintf(stderr, "splitbed: SPLITBED_PREFIX is too long\n");
            return -1;
        }
        return 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        perror("splitbed: cannot find its own binary (/proc/self/exe)");
        return -1;
    }
    exe[n] = '\0';
    /* PREFIX/bin/splitbed -> PREFIX */
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(exe, '/');
        if (!slash) {
            fprintf(stderr, "splitbed: unexpected binary path %s\n", exe);
            return -1;
        }
        *slash = '\0';
    }
    snprintf(prefix, sizeof prefix, "%s", exe[0] ? exe : "/");
    return 0;
}

const char *layout_prefix(void)
{
    return prefix;
}

char *layout_path(char *buf, size_t size, const char *sub, const char *name)
{
    int n = snprintf(buf, size, "%s/%s%s%s", prefix, sub, name ? "/" : "", name ? name : "");
    return (n < 0 || (size_t)n >= size) ? NULL : buf;
}

char *layout_find_program(char *buf, size_t size, const char *name)
{
    if (strchr(name, '/')) {
        if (snprintf(buf, size, "%s", name) >= (int)size || access(buf, X_OK) != 0)
            return NULL;
        return buf;
    }
    if (layout_path(buf, size, "libexec/splitbed", name) && access(buf, X_OK) == 0)
        return buf;
    const char *path = getenv("PATH");
    if (!path)
        return NULL;
    while (*path) {
        size_t len = strcspn(path, ":");
        if (len > 0 && snprintf(buf, size, "%.*s/%s", (int)len, path, name) < (int)size &&
            access(buf, X_OK) == 0)
            return buf;
        path += len + (path[len] == ':');
    }
    return NULL;
}
