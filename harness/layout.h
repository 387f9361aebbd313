/*
 * layout.h — where splitbed's own programs live.
 *
 * The build tree and an installed prefix have the same shape (bin/,
 * lib/splitbed/, libexec/splitbed/), so every path is derived from the
 * location of the running `splitbed` binary.  SPLITBED_PREFIX overrides it.
 */
#ifndef SPLITBED_LAYOUT_H
#define SPLITBED_LAYOUT_H

#include <stddef.h>

/* The prefix (the folder holding bin/); never NULL once layout_init ran. */
const char *layout_prefix(void);
/* 0 on success; -1 with a message on stderr if the prefix is unknown. */
int layout_init(void);
/* Writes PREFIX/<sub>/<name> into buf; returns buf, or NULL if it does
 * not fit.  sub is e.g. "bin", "lib/splitbed", "libexec/splitbed". */
char *layout_path(char *buf, size_t size, const char *sub, const char *name);
/* Finds a guest app or backend: an absolute or ./relative path is used as
 * is; a bare name is looked up in libexec/splitbed, then in $PATH.  Returns
 * buf or NULL if nothing executable has that name. */
char *layout_find_program(char *buf, size_t size, const char *name);

#endif
