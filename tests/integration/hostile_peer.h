/*
 * hostile_peer.h — what the tests' hostile Qubes peers share (programs on
 * os.h that break a protocol on purpose): a line on the console for the
 * test to read, and waiting for the other end to cut the channel.
 */
#ifndef SPLITBED_TESTS_HOSTILE_PEER_H
#define SPLITBED_TESTS_HOSTILE_PEER_H

#include <stdint.h>

#include "os.h"
#include "vchan.h"

/* Writes s to the console: what the test reads, line by line. */
void hp_say(struct os *os, const char *s);

/* Reads and drops whatever the other end sends until it closes the
 * channel; then says "cut", closes v and returns 0.  1 when deadline
 * (os_now_ns) passes first. */
int hp_wait_cut(struct os *os, struct vchan *v, uint64_t deadline);

#endif
