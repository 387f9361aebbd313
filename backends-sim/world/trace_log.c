/* trace_log.c — the trace's lines and the string that holds them. */
#include "backends-sim/world/trace_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t trace_log_format(char *line, size_t size, uint64_t step, unsigned depth, const char *fmt,
                        va_list ap)
{
    int n = snprintf(line, size, "%6llu%*s ", (unsigned long long)step, (int)(2 * depth), "");
    int m = vsnprintf(line + n, size - (size_t)n - 1, fmt, ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    return len > size - 2 ? size - 2 : len;
}

void trace_log_add(struct trace_log *t, const char *line, size_t len)
{
    size_t n = len + 1;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 1 << 16;
        while (t->len + n + 1 > cap)
            cap *= 2;
        char *text = realloc(t->text, cap);
        if (!text)
            return;
        t->text = text;
        t->cap = cap;
    }
    memcpy(t->text + t->len, line, len);
    t->text[t->len + len] = '\n';
    t->len += n;
    t->text[t->len] = '\0';
}

char *trace_log_take(struct trace_log *t)
{
    char *text = t->text ? t->text : strdup("");
    *t = (struct trace_log){ 0 };
    return text;
}

void trace_log_free(struct trace_log *t)
{
    free(t->text);
    *t = (struct trace_log){ 0 };
}
