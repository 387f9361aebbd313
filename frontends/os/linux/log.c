/* log.c — os_log over stderr; the console is stdout. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "os_linux.h"

void os_log(struct os *os, enum os_log_level level, const char *fmt, ...)
{
    if (os && level > os->max_level)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    /* One write per line so lines of concurrent processes do not mix. */
    size_t len = (size_t)n < sizeof(line) - 1 ? (size_t)n : sizeof(line) - 2;
    line[len++] = '\n';
    (void)!write(STDERR_FILENO, line, len);
}

long os_console_write(struct os *os, const void *buf, size_t len)
{
    const char *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(STDOUT_FILENO, p + done, len - done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return done ? (long)done : -errno;
        }
        done += (size_t)w;
    }
    return (long)done;
}
