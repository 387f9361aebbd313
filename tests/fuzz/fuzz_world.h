/*
 * fuzz_world.h — what a fuzz target that keeps its world between inputs
 * offers, so that a kept world can be checked against a fresh one
 * (corpus_main's -reset-check).  A target without a kept world defines
 * neither.
 */
#ifndef SPLITBED_FUZZ_WORLD_H
#define SPLITBED_FUZZ_WORLD_H

#include <stddef.h>
#include <stdint.h>

/* 1: build a fresh world for every input; 0 (the default): keep one and
 * reset it between inputs. */
void fuzz_world_fresh(int on);
/* A digest of what the last input did, as the target can observe it
 * (completions, statuses, errors, log lines): equal for the same input
 * on a reset world and on a fresh one. */
uint64_t fuzz_world_digest(void);

/* Folds n bytes into *digest (FNV-1a's step): how a target builds the
 * digest above from what it observes. */
static inline void fuzz_world_mix(uint64_t *digest, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        *digest = (*digest ^ b[i]) * 1099511628211ull;
}

#endif
