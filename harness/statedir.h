/*
 * statedir.h — the state directory of a simulator (see docs/runtime.md).
 */
#ifndef SPLITBED_STATEDIR_H
#define SPLITBED_STATEDIR_H

#include <stddef.h>

/* The default: $SPLITBED_DIR, else $XDG_RUNTIME_DIR/splitbed, else
 * /tmp/splitbed-$UID.  Returns buf or NULL if it does not fit. */
char *statedir_default(char *buf, size_t size);
/* Makes an absolute path of dir (the daemons and guests may run
 * elsewhere).  Returns buf or NULL. */
char *statedir_absolute(char *buf, size_t size, const char *dir);
/* Creates dir (mode 0700) and its parents.  0 or -1 with a message. */
int statedir_create(const char *dir);
/* Paths inside a state dir. */
char *statedir_path(char *buf, size_t size, const char *dir, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
