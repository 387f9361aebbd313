/*
 * xsc_perms.h — xenstore node permissions: the wire form ("b0", "r5" …),
 * and what a domain may do with a node.
 *
 * Entry 0 names the owner and the access every unlisted domain gets;
 * later entries grant access to one domain each, first match wins.  The
 * owner, dom0 and a domain whose target (SET_TARGET) is the owner have
 * full access.
 */
#ifndef SPLITBED_XSC_PERMS_H
#define SPLITBED_XSC_PERMS_H

#include <stddef.h>
#include <stdint.h>

#define XSP_READ 1u
#define XSP_WRITE 2u
#define XSP_OWNER 4u /* may change permissions */

#define XSC_NO_TARGET 0xffffffffu

struct xsc_perm {
    unsigned domid; /* as C xenstored holds it: any 32-bit value */
    uint8_t bits;   /* XSP_READ | XSP_WRITE */
};

/*
 * Parses the first n NUL-terminated entries of buf (the tail of a
 * SET_PERMS payload, which holds at least n NULs) as C xenstored does: a
 * letter, then a number as strtol(…, 0) reads it (leading blanks, a sign,
 * 0x or 0 prefixes), cut to 32 bits.  Returns 0 with *out malloc'd and
 * *count = n, or EINVAL / ENOMEM.
 */
int xsc_perms_parse(const char *buf, unsigned n, struct xsc_perm **out, unsigned *count);

/* Writes the wire form of perms into out (ids as signed numbers, as C
 * xenstored prints them); returns bytes used, or 0 when it does not fit. */
size_t xsc_perms_format(const struct xsc_perm *p, unsigned n, char *out, size_t size);

/* XSP_* bits domid (whose target is target, or XSC_NO_TARGET) holds. */
unsigned xsc_perms_access(const struct xsc_perm *p, unsigned n, unsigned domid, unsigned target);

#endif
