#include "vif_spec.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool valid_mac(const char *s)
{
    unsigned b[6];
    char extra;
    if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
                                  &b[5], &extra) != 6)
        return false;
    for (int i = 0; i < 17; i++)
        if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
            return false;
    return !(b[0] & 1); /* a unicast address */
}

static bool valid_backing(const char *b)
{
    if (!strcmp(b, "stdio"))
        return true;
    static const char *const prefixes[] = { "tap:", "fd:", "pcap:", "socket:", NULL };
    for (int i = 0; prefixes[i]; i++) {
        size_t n = strlen(prefixes[i]);
        if (!strncmp(b, prefixes[i], n) && b[n])
            return true;
    }
    return false;
}

/* Keys xl knows that mean nothing to a userspace netback are accepted and
 * ignored, so a real xl.cfg line works unchanged. */
static const char *const ignored_keys[] = { "bridge",     "ip",    "script", "backend",
                                            "vifname",    "model", "rate",   "type",
                                            "gatewaydev", "accel", "mtu",    NULL };

int vif_spec_parse(const char *spec, unsigned index, struct vif_spec *out)
{
    memset(out, 0, sizeof *out);
    out->handle = index;
    snprintf(out->mac, sizeof out->mac, "00:16:3e:00:00:%02x", index & 0xff);
    snprintf(out->backing, sizeof out->backing, "stdio");

    char *copy = strdup(spec);
    if (!copy)
        return -1;
    int status = -1;
    const char *capture = NULL;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (isspace((unsigned char)*tok))
            tok++;
        char *end = tok + strlen(tok);
        while (end > tok && isspace((unsigned char)end[-1]))
            *--end = '\0';
        if (!*tok)
            continue;
        /* A lone word is a backing, so `--vif stdio` reads naturally. */
        char *eq = strchr(tok, '=');
        const char *key = eq ? tok : "backing";
        const char *val = eq ? eq + 1 : tok;
        if (eq)
            *eq = '\0';
        if (!strcmp(key, "mac")) {
            if (!valid_mac(val)) {
                fprintf(stderr, "splitbed: --vif %s: mac %s is not a unicast MAC address\n", spec,
                        val);
                goto out;
            }
            snprintf(out->mac, sizeof out->mac, "%s", val);
        } else if (!strcmp(key, "backing")) {
            if (!valid_backing(val) || strlen(val) >= sizeof out->backing) {
                fprintf(stderr,
                        "splitbed: --vif %s: backing %s is not one of tap:NAME, stdio, fd:N, "
                        "pcap:FILE, socket:PATH\n",
                        spec, val);
                goto out;
            }
            snprintf(out->backing, sizeof out->backing, "%s", val);
        } else if (!strcmp(key, "capture")) {
            /* xl splits a vif spec at commas, so the backing's own
             * ",capture=FILE" arrives here as a key of the vif. */
            if (!*val) {
                fprintf(stderr, "splitbed: --vif %s: capture= needs a file name\n", spec);
                goto out;
            }
            capture = val;
        } else if (!strcmp(key, "devid")) {
            char *e;
            unsigned long v = strtoul(val, &e, 10);
            if (!*val || *e || v > 255) {
                fprintf(stderr, "splitbed: --vif %s: devid %s is not a number 0..255\n", spec, val);
                goto out;
            }
            out->handle = (unsigned)v;
        } else {
            bool known = false;
            for (int i = 0; ignored_keys[i]; i++)
                known |= !strcmp(key, ignored_keys[i]);
            if (!known) {
                fprintf(stderr, "splitbed: --vif %s: unknown key '%s'\n", spec, key);
                goto out;
            }
        }
    }
    out->uses_stdio = !strcmp(out->backing, "stdio");
    if (capture) {
        size_t used = strlen(out->backing);
        int n = snprintf(out->backing + used, sizeof out->backing - used, ",capture=%s", capture);
        if (n < 0 || (size_t)n >= sizeof out->backing - used) {
            fprintf(stderr, "splitbed: --vif %s: capture file name too long\n", spec);
            goto out;
        }
    }
    status = 0;
out:
    free(copy);
    return status;
}
