#include "backends-sim/xenstored/xsc_perms.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int letter_bits(char c, uint8_t *bits)
{
    switch (c) {
    case 'n': *bits = 0; return 0;
    case 'r': *bits = XSP_READ; return 0;
    case 'w': *bits = XSP_WRITE; return 0;
    case 'b': *bits = XSP_READ | XSP_WRITE; return 0;
    default: return EINVAL;
    }
}

static char bits_letter(uint8_t bits)
{
    static const char l[] = "nrwb";
    return l[bits & 3];
}

int xsc_perms_parse(const char *buf, unsigned n, struct xsc_perm **out, unsigned *count)
{
    struct xsc_perm *p = calloc(n ? n : 1, sizeof(*p));

    if (!p)
        return ENOMEM;
    for (unsigned i = 0; i < n; i++) {
        char *end;
        if (letter_bits(buf[0], &p[i].bits) || !buf[1])
            goto bad;
        p[i].domid = (unsigned)strtol(buf + 1, &end, 0);
        if (*end)
            goto bad;
        buf = end + 1;
    }
    *out = p;
    *count = n;
    return 0;
bad:
    free(p);
    return EINVAL;
}

size_t xsc_perms_format(const struct xsc_perm *p, unsigned n, char *out, size_t size)
{
    size_t used = 0;

    for (unsigned i = 0; i < n; i++) {
        int w = snprintf(out + used, size - used, "%c%d", bits_letter(p[i].bits), (int)p[i].domid);
        if (w < 0 || (size_t)w + 1 > size - used)
            return 0;
        used += (size_t)w + 1; /* keep the NUL */
    }
    return used;
}

unsigned xsc_perms_access(const struct xsc_perm *p, unsigned n, unsigned domid, unsigned target)
{
    const unsigned all = XSP_READ | XSP_WRITE | XSP_OWNER;

    if (domid == 0 || n == 0)
        return domid == 0 ? all : 0;
    if (p[0].domid == domid || p[0].domid == target)
        return all;
    for (unsigned i = 1; i < n; i++)
        if (p[i].domid == domid || p[i].domid == target)
            return p[i].bits;
    return p[0].bits;
}
