/*
 * trace_log.h — a world's trace: one line per event, each led by the step
 * number and indented by how deep the frontend waits, kept in one growing
 * string the caller takes at the end of the run.
 */
#ifndef SPLITBED_WORLD_TRACE_LOG_H
#define SPLITBED_WORLD_TRACE_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Zero-initialised is empty. */
struct trace_log {
    char *text;
    size_t len, cap;
};

/* Formats one line, without its newline, into line: the step, two spaces
 * per level of depth, then fmt.  It is cut to size - 2 characters so
 * that the newline fits; returns its length. */
size_t trace_log_format(char *line, size_t size, uint64_t step, unsigned depth, const char *fmt,
                        va_list ap);
/* Adds len characters of line and a newline.  A line there is no memory
 * for is left out: the trace is a record, not the run. */
void trace_log_add(struct trace_log *t, const char *line, size_t len);
/* The text so far ("" when there is none; NULL when out of memory); the
 * caller frees it and the log is empty after. */
char *trace_log_take(struct trace_log *t);
void trace_log_free(struct trace_log *t);

#endif
