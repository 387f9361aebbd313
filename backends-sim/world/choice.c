/* choice.c — see choice.h. */
#include "backends-sim/world/choice.h"

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void choice_from_seed(struct choice *c, uint64_t seed)
{
    *c = (struct choice){ .state = seed };
}

void choice_from_bytes(struct choice *c, const uint8_t *data, size_t len)
{
    /* FNV-1a of the input seeds what follows it. */
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ data[i]) * 0x100000001b3ull;
    *c = (struct choice){ .data = data, .len = len, .state = h };
}

uint8_t choice_byte(struct choice *c)
{
    c->drawn++;
    if (c->pos < c->len)
        return c->data[c->pos++];
    if (!c->buf_left) {
        c->buf = splitmix64(&c->state);
        c->buf_left = 8;
    }
    uint8_t b = (uint8_t)c->buf;
    c->buf >>= 8;
    c->buf_left--;
    return b;
}

unsigned choice_pick(struct choice *c, unsigned n)
{
    if (n <= 1)
        return 0;
    unsigned v = choice_byte(c);
    if (n > 256)
        v = v << 8 | choice_byte(c);
    return v % n;
}

int choice_chance(struct choice *c, unsigned num, unsigned den)
{
    return choice_pick(c, den) < num;
}

unsigned choice_pick_holding(struct choice *c, bool hold, const bool *held, unsigned n)
{
    unsigned free_n = 0;
    if (hold && n > 1 && choice_chance(c, 1, 2))
        for (unsigned i = 0; i < n; i++)
            free_n += !held[i];
    if (!free_n)
        return choice_pick(c, n);
    unsigned k = choice_pick(c, free_n);
    unsigned i = 0;
    for (;; i++)
        if (!held[i] && k-- == 0)
            break;
    return i;
}
