/*
 * blkback_fakexs.h — an in-memory xenstore and event-channel table for
 * blkback's xenbus tests: enough of libxenstore's behaviour (values,
 * directories, rm of subtrees, watches recorded, transactions that can be
 * made to conflict) to drive the state machine step by step.
 */
#ifndef SPLITBED_TEST_BLKBACK_FAKEXS_H
#define SPLITBED_TEST_BLKBACK_FAKEXS_H

#include <stdbool.h>
#include "backends-sim/blkback/store.h"

struct fake_xs;
struct fake_xs *fxs_new(void);
void fxs_free(struct fake_xs *f);
struct bb_store *fxs_store(struct fake_xs *f);
/* Test-side access: printf-style paths. */
void fxs_set(struct fake_xs *f, const char *path, const char *value);
const char *fxs_get(struct fake_xs *f, const char *path); /* NULL if absent */
void fxs_rm(struct fake_xs *f, const char *path);
unsigned fxs_writes(struct fake_xs *f, const char *path); /* writes seen */
unsigned fxs_watches(struct fake_xs *f);
/* The next n transaction commits fail with EAGAIN. */
void fxs_conflicts(struct fake_xs *f, unsigned n);

struct fake_ev;
struct fake_ev *fev_new(void);
void fev_free(struct fake_ev *e);
struct bb_evtchn *fev_base(struct fake_ev *e);
/* Binding remote port `bad` fails with EINVAL. */
void fev_refuse(struct fake_ev *e, unsigned bad);
unsigned fev_notifies(struct fake_ev *e, unsigned local);
unsigned fev_bound(struct fake_ev *e);

#endif
