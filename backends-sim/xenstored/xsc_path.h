/*
 * xsc_path.h — xenstore path rules: validation and resolution of the paths
 * clients send, and the ancestor test watches and removals are built on.
 */
#ifndef SPLITBED_XSC_PATH_H
#define SPLITBED_XSC_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* Large enough for any path that fits a 4096-byte payload plus the
 * "/local/domain/NNNNN/" prefix a relative path gains. */
#define XSC_PATH_BUF 4200

/*
 * Turns the path a client sent into an absolute one in out (XSC_PATH_BUF
 * bytes).  Relative paths resolve under /local/domain/<domid>/.  Special
 * paths ("@introduceDomain" …) are accepted only when allow_special, and
 * only their length is checked.  max_rel is the limit on the part below
 * /local/domain/N/ (the whole path elsewhere), for every caller as in C
 * xenstored (0: none).  Returns 0 or EINVAL; *relative tells whether the
 * input was relative.
 */
int xsc_path_resolve(unsigned domid, const char *in, bool allow_special, size_t max_rel, char *out,
                     bool *relative);

/* The absolute form of in (XSC_PATH_BUF bytes in out), unchecked. */
void xsc_path_canonical(unsigned domid, const char *in, char *out);

/* True when anc is p itself or one of its ancestors ("/" is everyone's). */
bool xsc_path_is_prefix(const char *anc, const char *p);

/* Length of the "/local/domain/<domid>/" prefix. */
size_t xsc_path_home_len(unsigned domid);

#endif
