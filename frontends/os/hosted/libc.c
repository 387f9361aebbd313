/*
 * libc.c — the part of os.h that any home with a C library provides the
 * same way: the heap, the string helpers, formatting and number parsing.
 * The Linux-process home, the seeded world's home and the unit tests'
 * in-memory hosts all link it (with pages.c, but for a host that keeps
 * its own page pool); the unikernel has its own.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os.h"

void *os_malloc(struct os *os, size_t size)
{
    return malloc(size ? size : 1);
}
void *os_calloc(struct os *os, size_t n, size_t size)
{
    return calloc(n ? n : 1, size ? size : 1);
}
void os_free(struct os *os, void *p)
{
    free(p);
}

void *os_memcpy(void *dst, const void *src, size_t n)
{
    return memcpy(dst, src, n);
}
void *os_memset(void *dst, int c, size_t n)
{
    return memset(dst, c, n);
}
int os_memcmp(const void *a, const void *b, size_t n)
{
    return memcmp(a, b, n);
}
size_t os_strlen(const char *s)
{
    return strlen(s);
}
int os_strcmp(const char *a, const char *b)
{
    return strcmp(a, b);
}
int os_strncmp(const char *a, const char *b, size_t n)
{
    return strncmp(a, b, n);
}

int os_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    return vsnprintf(buf, size, fmt, ap);
}

int os_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* Decimal, or hex after 0x; nothing else, no sign, no overflow. */
int os_parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base = 10;
    if (!s || !*s)
        return -OS_EINVAL;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        if (!*s)
            return -OS_EINVAL;
    }
    for (; *s; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            return -OS_EINVAL;
        if (v > (UINT64_MAX - d) / base)
            return -OS_EINVAL;
        v = v * base + d;
    }
    *out = v;
    return 0;
}
