/*
 * faults.h — the faults a user asks of blkback (knobs fault-*): a grant
 * map or copy that fails at a rate, a delay per request, a crash or a
 * report once so many requests were served.  Random draws come from
 * fault-seed alone, so the same seed fails the same maps and copies of
 * the same request sequence.
 */
#ifndef SPLITBED_BLKBACK_FAULTS_H
#define SPLITBED_BLKBACK_FAULTS_H

#include "backends-sim/blkback/log.h"
#include "backends-sim/blkback/mapper.h"
#include "backends-sim/blkback/params.h"

struct bb_faults;

/* NULL when out of memory.  inner: the mapper that does the real work;
 * report_fd: where "served N" goes (-1: nowhere). */
struct bb_faults *bb_faults_new(const struct bb_params *p, struct bb_mapper *inner, int report_fd,
                                const struct bb_logger *log);
/* The mapper to hand the devices: inner's, failing a share of maps and
 * copies while fault-grant-fail (which may change at run time) says so. */
struct bb_mapper *bb_faults_mapper(struct bb_faults *f);
/* Grant faults strike only while armed: the daemon arms them while it
 * serves requests and disarms them while devices connect, so a ring is
 * always mapped and only requests see failures. */
void bb_faults_arm(struct bb_faults *f, bool armed);
/* After serving: served is bb_backend_served().  Sleeps for the new
 * requests, writes the report, or ends the process as a crash does. */
void bb_faults_after_serve(struct bb_faults *f, uint64_t served);
void bb_faults_free(struct bb_faults *f);

#endif
