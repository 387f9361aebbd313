/*
 * bench_result.h — one machine-readable record per benchmark figure.
 *
 * Every bench program prints its figures for people; it also calls
 * bench_result() once per figure.  When SPLITBED_BENCH_RESULTS names a file,
 * the record is appended to it as one JSON object per line; `make bench`
 * gathers those lines into build/bench/results.json (tests/bench/collect).
 * Without the variable the call does nothing.
 *
 * A figure with nothing of the same run to compare it with (a time to
 * start the 64th guest, a daemon's memory per domain) has baseline NULL:
 * its record then has null for baseline, base_value, base_unit and ratio,
 * and no goal.
 */
#ifndef SPLITBED_BENCH_RESULT_H
#define SPLITBED_BENCH_RESULT_H

struct bench_figure {
    const char *name;     /* what was measured, e.g. "blk 4 KiB read latency QD1" */
    double value;         /* the figure */
    const char *unit;     /* its unit, e.g. "us", "MiB/s", "frames/s" */
    const char *baseline; /* what it is compared with, e.g. "eventfd ping-pong"; NULL: none */
    double base_value;    /* the baseline's figure, in base_unit */
    const char *base_unit;
    double ratio; /* figure / baseline as the program defines it */
    /* The goal for the ratio: "<= 1.3", ">= 0.5", or NULL for none
     * (always none without a baseline). */
    const char *goal;
};

/* Appends one record; returns 0, or -1 when the file cannot be written. */
int bench_result(const struct bench_figure *f);

#endif
