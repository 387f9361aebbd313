/*
 * strings.c — the string and number helpers os.h promises.  Nothing here
 * touches Xen, so the same file is tested in a Linux process.
 */
#include "uk.h"

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
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int os_strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int os_strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}

static int digit_value(char c, unsigned base)
{
    unsigned v;
    if (c >= '0' && c <= '9')
        v = (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
        v = (unsigned)(c - 'a') + 10;
    else if (c >= 'A' && c <= 'F')
        v = (unsigned)(c - 'A') + 10;
    else
        return -1;
    return v < base ? (int)v : -1;
}

int os_parse_u64(const char *s, uint64_t *out)
{
    unsigned base = 10;
    if (!s || !*s)
        return -OS_EINVAL;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        if (!*s)
            return -OS_EINVAL;
    }
    uint64_t v = 0;
    for (; *s; s++) {
        int d = digit_value(*s, base);
        if (d < 0)
            return -OS_EINVAL;
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            return -OS_EINVAL;
        v = v * base + (uint64_t)d;
    }
    *out = v;
    return 0;
}
