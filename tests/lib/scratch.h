/*
 * scratch.h — a test case's scratch tree and everything run from it.
 *
 * Check runs a test in a child process that a failed assertion ends at
 * once (no checked teardown), a crash or a timeout kills: cleanup there
 * is not reliable.  These functions are an *unchecked* fixture, run by
 * Check's parent process: the teardown runs after the case whatever its
 * tests did.  It ends every process whose command line or environment
 * names the tree (the daemons a test started with --dir, SPLITBED_DIR,
 * XENSTORED_PATH … under it), SIGTERM first and SIGKILL after a grace
 * period, and removes the tree.  The same happens if the test binary
 * itself is killed (SIGTERM, SIGKILL): a reaper process made with the
 * tree waits for the binary's end, and a test process that made a
 * folder with scratch_dir dies with the binary.
 *
 *   scratch_prefix = "sbblk";      before srunner_run_all
 *   tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
 *   scratch_dir(dir, sizeof dir);  in a test: a fresh folder of its own
 *
 * or, for one tree around the whole run, scratch_setup() and
 * scratch_teardown() around srunner_run_all in main.
 */
#ifndef SPLITBED_TEST_SCRATCH_H
#define SPLITBED_TEST_SCRATCH_H

#include <stddef.h>

/* Names the tree $TMPDIR/<prefix>-XXXXXX ($TMPDIR is /tmp if unset). */
extern const char *scratch_prefix;
void scratch_setup(void);
void scratch_teardown(void);
/* The tree's path ("" outside the fixture). */
const char *scratch_base(void);
/* Makes a new folder under the tree and writes its path to out. */
void scratch_dir(char *out, size_t size);

#endif
