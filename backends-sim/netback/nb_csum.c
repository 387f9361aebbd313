/*
 * nb_csum.c — see nb_csum.h.  The whole checksum is recomputed (pseudo
 * header included), whatever partial value the guest left in the field.
 */
#include "backends-sim/netback/nb_csum.h"

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t sum(uint32_t s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += rd16(p + i);
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

/* The L4 protocol and payload length, with the pseudo header summed. */
static int l3(const uint8_t *f, size_t len, size_t *l4, size_t *l4len, uint8_t *proto, uint32_t *ps)
{
    if (len < 14)
        return -1;
    uint16_t type = rd16(f + 12);
    const uint8_t *h = f + 14;
    if (type == 0x0800) {
        if (len < 14 + 20 || (h[0] >> 4) != 4)
            return -1;
        size_t ihl = (size_t)(h[0] & 15) * 4, tot = rd16(h + 2);
        if (ihl < 20 || tot < ihl || 14 + tot > len || (rd16(h + 6) & 0x3fff) != 0)
            return -1;
        *proto = h[9];
        *l4 = 14 + ihl;
        *l4len = tot - ihl;
        *ps = sum(0, h + 12, 8) + *proto + (uint32_t)*l4len;
        return 0;
    }
    if (type == 0x86dd) {
        if (len < 14 + 40 || (h[0] >> 4) != 6)
            return -1;
        size_t plen = rd16(h + 4);
        if (14 + 40 + plen > len)
            return -1;
        *proto = h[6];
        *l4 = 14 + 40;
        *l4len = plen;
        *ps = sum(0, h + 8, 32) + *proto + (uint32_t)plen;
        return 0;
    }
    return -1;
}

int nb_csum_locate(const uint8_t *f, size_t len, size_t *l4, size_t *field)
{
    size_t l4len;
    uint8_t proto;
    uint32_t ps;
    if (l3(f, len, l4, &l4len, &proto, &ps) < 0)
        return -1;
    if (proto == 6 && l4len >= 20)
        *field = 16;
    else if (proto == 17 && l4len >= 8)
        *field = 6;
    else
        return -1;
    return 0;
}

int nb_csum_complete(uint8_t *f, size_t len)
{
    size_t l4, l4len, field;
    uint8_t proto;
    uint32_t ps;
    if (nb_csum_locate(f, len, &l4, &field) < 0 || l3(f, len, &l4, &l4len, &proto, &ps) < 0)
        return -1;
    f[l4 + field] = f[l4 + field + 1] = 0;
    uint16_t c = (uint16_t)~fold(sum(ps, f + l4, l4len));
    if (proto == 17 && c == 0)
        c = 0xffff; /* UDP: 0 would mean "no checksum" */
    f[l4 + field] = (uint8_t)(c >> 8);
    f[l4 + field + 1] = (uint8_t)c;
    return 0;
}
