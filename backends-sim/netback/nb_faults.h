/*
 * nb_faults.h — the faults a user asks of netback (--opt fault-*): a grant
 * copy that fails at a rate, a delay per frame, a crash once so many
 * frames were served.  Random draws come from fault-seed alone, so the
 * same seed fails the same copies of the same frame sequence.
 */
#ifndef SPLITBED_NB_FAULTS_H
#define SPLITBED_NB_FAULTS_H

#include <stdbool.h>
#include <stdint.h>

#include "backends-sim/netback/nb_env.h"

struct nb_faults {
    uint64_t crash_after; /* fault-crash-after: frames; 0 none */
    unsigned delay_us;    /* fault-delay-us: per frame */
    unsigned permille;    /* fault-grant-fail: share of copy segments */
    uint64_t seed;        /* fault-seed */
    /* What the daemon keeps while it runs. */
    uint64_t rng, seen;
    const struct nb_env *inner;
    struct nb_env env;
    struct nb_env_ops ops;
};

/* A fault-* key of --opt: 1 taken, 0 not a fault key, -1 a bad value
 * (one line said so). */
int nb_faults_opt(struct nb_faults *f, const char *key, const char *value);
/* `splitbed fault DOM netback-…` at run time: a device's splitbed-fault
 * node holds fault-* knobs, comma-separated, applied from now on (a
 * crash after N counts from frames, those served so far; a seed starts
 * the draws again).  Other keys are refused with one line each. */
void nb_faults_apply(struct nb_faults *f, const char *list, uint64_t frames);
/* The env the vifs use: inner's, with a share of copies failing when
 * fault-grant-fail asks for it (now or later).  The same env for the
 * same inner. */
const struct nb_env *nb_faults_env(struct nb_faults *f, const struct nb_env *inner);
/* After serving: frames is every frame served so far (both ways).  Sleeps
 * for the new ones, or ends the process as a crash does, between frames
 * (between_frames: no frame read from a backing is waiting for the
 * guest), so that the crash loses no frame a restarted netback could
 * not read again. */
void nb_faults_after_serve(struct nb_faults *f, uint64_t frames, bool between_frames);

#endif
