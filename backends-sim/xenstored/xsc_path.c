/* Path validation follows Xen's C xenstored: absolute, no "//", no
 * trailing "/", characters [A-Za-z0-9-/_@], and for unprivileged callers
 * at most XENSTORE_REL_PATH_MAX bytes below /local/domain/N/. */
#include "backends-sim/xenstored/xsc_path.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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
    if (len == 0 || len >= XSC_PATH_BUF - 32)
        return EINVAL;
    if (in[0] == '@') {
        if (!allow_special || !valid_chars(in))
            return EINVAL;
        memcpy(out, in, len + 1);
        return 0;
    }
    if (in[0] != '/') {
        *relative = true;
        snprintf(out, XSC_PATH_BUF, "/local/domain/%u/%s", domid, in);
    } else {
        memcpy(out, in, len + 1);
    }
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

bool xsc_path_is_prefix(const char *anc, const char *p)
{
    size_t n = strlen(anc);

    if (n == 1 && anc[0] == '/')
        return p[0] == '/';
    return strncmp(anc, p, n) == 0 && (p[n] == '\0' || p[n] == '/');
}
