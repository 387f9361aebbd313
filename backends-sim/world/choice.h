/*
 * choice.h — where every decision of a seeded run comes from.
 *
 * A run is a function of one byte string: the scheduler and the fault
 * plan draw every decision from it, in order.  A fuzzer hands the bytes
 * in (so it can mutate schedules); a 64-bit seed stands for the endless
 * string splitmix64 produces from it.  When given bytes run out, the
 * string continues with splitmix64 seeded from a hash of those bytes, so
 * a short input is still a whole run, and the same input is always the
 * same run.
 */
#ifndef SPLITBED_WORLD_CHOICE_H
#define SPLITBED_WORLD_CHOICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct choice {
    const uint8_t *data;
    size_t len, pos;
    uint64_t state; /* splitmix64 once data is used up */
    uint64_t buf;   /* bytes of the last splitmix64 output not used yet */
    unsigned buf_left;
    uint64_t drawn; /* decisions taken so far */
};

void choice_from_seed(struct choice *c, uint64_t seed);
/* data must outlive c. */
void choice_from_bytes(struct choice *c, const uint8_t *data, size_t len);
uint8_t choice_byte(struct choice *c);
/* A number in 0..n-1 (n >= 1; n <= 65536). */
unsigned choice_pick(struct choice *c, unsigned n);
/* True num times out of den. */
int choice_chance(struct choice *c, unsigned num, unsigned den);
/* The index of one of n candidates (n >= 1).  With hold, half the time
 * the ones marked in held sit this pick out, if any other can run: how
 * a scheduler holds deliveries back. */
unsigned choice_pick_holding(struct choice *c, bool hold, const bool *held, unsigned n);

#endif
