#include "statedir.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *statedir_default(char *buf, size_t size)
{
    const char *env = getenv("SPLITBED_DIR");
    int n;
    if (env && *env)
        n = snprintf(buf, size, "%s", env);
    else if ((env = getenv("XDG_RUNTIME_DIR")) && *env)
        n = snprintf(buf, size, "%s/splitbed", env);
    else
        n = snprintf(buf, size, "/tmp/splitbed-%u", (unsigned)getuid());
    return (n < 0 || (size_t)n >= size) ? NULL : buf;
}

char *statedir_absolute(char *buf, size_t size, const char *dir)
{
    int n;
    if (dir[0] == '/') {
        n = snprintf(buf, size, "%s", dir);
    } else {
        char cwd[4096];
        if (!getcwd(cwd, sizeof cwd))
            return NULL;
        n = snprintf(buf, size, "%s/%s", cwd, dir);
    }
    if (n < 0 || (size_t)n >= size)
        return NULL;
    /* Trailing slashes would make socket paths differ for the same dir. */
    for (size_t len = strlen(buf); len > 1 && buf[len - 1] == '/'; len--)
        buf[len - 1] = '\0';
    return buf;
}

int statedir_create(const char *dir)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp) {
        fprintf(stderr, "splitbed: state dir path too long: %s\n", dir);
        return -1;
    }
    for (char *p = tmp + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
                fprintf(stderr, "splitbed: cannot create state dir %s: %s\n", tmp, strerror(errno));
                return -1;
            }
            *p = c;
            if (c == '\0')
                break;
        }
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "splitbed: state dir %s is not a directory\n", dir);
        return -1;
    }
    return 0;
}

char *statedir_path(char *buf, size_t size, const char *dir, const char *fmt, ...)
{
    int n = snprintf(buf, size, "%s/", dir);
    if (n < 0 || (size_t)n >= size)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(buf + n, size - (size_t)n, fmt, ap);
    va_end(ap);
    return (m < 0 || (size_t)m >= size - (size_t)n) ? NULL : buf;
}
