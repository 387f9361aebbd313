/*
 * fmt.c — os_vsnprintf: the printf subset os.h promises (%d %u %x %s %c
 * %p %% with l/ll/z, a width, and the '0' and '-' flags).  An unknown
 * conversion is copied out as written, so a bad format shows in the log
 * instead of eating arguments.
 */
#include "uk.h"

struct out {
    char *buf;
    size_t size, len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, unsigned width, bool left, char pad)
{
    size_t fill = width > n ? width - n : 0;
    if (!left && pad == '0' && n && (*s == '-')) {
        put(o, *s++); /* the sign goes before the zeroes */
        n--;
    }
    if (!left)
        while (fill--)
            put(o, pad);
    while (n--)
        put(o, *s++);
    if (left)
        while (fill--)
            put(o, ' ');
}

static size_t utoa(char *tmp, unsigned long long v, unsigned base)
{
    char rev[24];
    size_t n = 0;
    do {
        unsigned d = (unsigned)(v % base);
        rev[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    for (size_t i = 0; i < n; i++)
        tmp[i] = rev[n - 1 - i];
    return n;
}

int os_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put(&o, *p);
            continue;
        }
        const char *start = p++;
        bool left = false;
        char pad = ' ';
        for (;; p++) {
            if (*p == '-')
                left = true;
            else if (*p == '0')
                pad = '0';
            else
                break;
        }
        unsigned width = 0;
        while (*p >= '0' && *p <= '9')
            width = width * 10 + (unsigned)(*p++ - '0');
        int lng = 0; /* 1 = l, 2 = ll, 3 = z */
        if (*p == 'l') {
            lng = 1;
            p++;
            if (*p == 'l') {
                lng = 2;
                p++;
            }
        } else if (*p == 'z') {
            lng = 3;
            p++;
        }
        char tmp[32];
        size_t n;
        unsigned long long u;
        switch (*p) {
        case 'd':
        case 'i': {
            long long v = lng == 2   ? va_arg(ap, long long)
                          : lng == 1 ? va_arg(ap, long)
                          : lng == 3 ? (long long)va_arg(ap, size_t)
                                     : va_arg(ap, int);
            n = 0;
            if (v < 0) {
                tmp[n++] = '-';
                u = 0ull - (unsigned long long)v;
            } else {
                u = (unsigned long long)v;
            }
            n += utoa(tmp + n, u, 10);
            put_padded(&o, tmp, n, width, left, pad);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
            u = lng == 2   ? va_arg(ap, unsigned long long)
                : lng == 1 ? va_arg(ap, unsigned long)
                : lng == 3 ? va_arg(ap, size_t)
                           : va_arg(ap, unsigned);
            n = utoa(tmp, u, *p == 'u' ? 10 : 16);
            put_padded(&o, tmp, n, width, left, pad);
            break;
        case 'p':
            tmp[0] = '0';
            tmp[1] = 'x';
            n = 2 + utoa(tmp + 2, (unsigned long long)(uintptr_t)va_arg(ap, void *), 16);
            put_padded(&o, tmp, n, width, left, pad);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            put_padded(&o, s, os_strlen(s), width, left, ' ');
            break;
        }
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            put_padded(&o, tmp, 1, width, left, ' ');
            break;
        case '%': put(&o, '%'); break;
        default:
            for (; start <= p && *start; start++)
                put(&o, *start);
            if (!*p)
                p--;
            break;
        }
    }
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int os_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = os_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
