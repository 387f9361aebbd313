/* Path validation follows Xen's C xenstored: absolute, no "//", no
 * trailing "/", characters [A-Za-z0-9-/_@], and for every caller at most
 * the path quota (XENSTORE_REL_PATH_MAX) below /local/domain/N/, or in
 * all elsewhere. */
#include "backends-sim/xenstored/xsc_path.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <xen/io/xs_wire.h>

static bool valid_chars(const char *p)
{
    for (; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '/' || c == '_' || c == '@'))
            return false;
    }
    return true;
}

/* Offset of the part below "/local/domain/N/", or 0 when p is not there. */
static size_t below_home(const char *p)
{
    static const char pre[] = "/local/domain/";
    size_t i = sizeof(pre) - 1, digits = 0;

    if (strncmp(p, pre, i) != 0)
        return 0;
    while (p[i] >= '0' && p[i] <= '9' && digits < 5) {
        i++;
        digits++;
    }
    if (digits == 0 || p[i] != '/')
        return 0;
    return i + 1;
}

size_t xsc_path_home_len(unsigned domid)
{
    char buf[40];
    return (size_t)snprintf(buf, sizeof(buf), "/local/domain/%u/", domid);
}

int xsc_path_resolve(unsigned domid, const char *in, bool allow_special, size_t max_rel, char *out,
                     bool *relative)
{
    size_t len = strlen(in);

    *relative = false;
    if (len >= XSC_PATH_BUF - 32)
        return EINVAL;
    if (in[0] == '@') {
        /* C xenstored checks only the length of a special name */
        if (!allow_special || len > XENSTORE_REL_PATH_MAX)
            return EINVAL;
        memcpy(out, in, len + 1);
        return 0;
    }
    *relative = in[0] != '/';
    xsc_path_canonical(domid, in, out);
    len = strlen(out);
    if (len > 1 && out[len - 1] == '/')
        return EINVAL;
    if (strstr(out, "//"))
        return EINVAL;
    if (!valid_chars(out))
        return EINVAL;
    if (max_rel && len - below_home(out) > max_rel)
        return EINVAL;
    return 0;
}

void xsc_path_canonical(unsigned domid, const char *in, char *out)
{
    if (in[0] == '/' || in[0] == '@')
        snprintf(out, XSC_PATH_BUF, "%s", in);
    else
        snprintf(out, XSC_PATH_BUF, "/local/domain/%u/%s", domid, in);
}

bool xsc_path_is_prefix(const char *anc, const char *p)
{
    size_t n = strlen(anc);

    if (n == 1 && anc[0] == '/')
        return p[0] == '/';
    return strncmp(anc, p, n) == 0 && (p[n] == '\0' || p[n] == '/');
}
