/* Parsing `splitbed run --fault SPEC` (see fault_spec.h). */
#include "fault_spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    const char *opts[3];
} deviations[] = {
    { "mirage", { "skip-initwait=1", "max-ring-page-order=none", NULL } },
    { "probe", { "features-at=probe", NULL, NULL } },
    { "single-page", { "max-ring-page-order=none", NULL, NULL } },
    { "no-indirect", { "max-indirect-segments=0", NULL, NULL } },
    { "no-persistent", { "persistent=0", NULL, NULL } },
    { "grant-copy", { "grant-copy=1", NULL, NULL } },
};

static int bad(const char *spec, const char *why)
{
    fprintf(stderr, "splitbed run: --fault %s: %s\n", spec, why);
    return -1;
}

static bool number(const char *v, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (!*v || *v == '-' || *v == '+' || *end || errno || x > max)
        return false;
    *out = x;
    return true;
}

/* A share 0..1 with at most three decimals, in per mille. */
static bool share(const char *v, unsigned *permille)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || *end || errno || !(x >= 0 && x <= 1))
        return false;
    *permille = (unsigned)(x * 1000 + 0.5);
    return true;
}

int fault_spec_parse(const char *spec, struct fault_spec *out)
{
    *out = (struct fault_spec){ .restart = true, .delay_ms = 1000 };
    char kind[32];
    const char *colon = strchr(spec, ':');
    size_t klen = colon ? (size_t)(colon - spec) : strlen(spec);
    if (klen == 0 || klen >= sizeof kind)
        return bad(spec, "expected KIND[:KEY=VALUE,...]");
    memcpy(kind, spec, klen);
    kind[klen] = '\0';
    const char *args = colon ? colon + 1 : "";

    if (!strcmp(kind, "negotiation")) {
        for (size_t i = 0; i < sizeof deviations / sizeof deviations[0]; i++)
            if (!strcmp(args, deviations[i].name)) {
                out->kind = FAULT_NEGOTIATION;
                memcpy(out->opts, deviations[i].opts, sizeof out->opts);
                return 0;
            }
        return bad(spec, "negotiation is one of mirage, probe, single-page, no-indirect, "
                         "no-persistent, grant-copy");
    }
    static const struct {
        const char *name;
        enum fault_kind kind;
        const char *needs;
    } kinds[] = {
        { "backend-crash", FAULT_BACKEND_CRASH, "after" },
        { "backend-slow", FAULT_BACKEND_SLOW, "delay-ms" },
        { "grant-fail", FAULT_GRANT_FAIL, "rate" },
        { "domain-destroy", FAULT_DOMAIN_DESTROY, "after" },
        { "domain-pause", FAULT_DOMAIN_PAUSE, "after" },
        { "netback-crash", FAULT_NETBACK_CRASH, "after" },
        { "netback-slow", FAULT_NETBACK_SLOW, "delay-ms" },
        { "netback-grant-fail", FAULT_NETBACK_GRANT_FAIL, "rate" },
        { "xs-conflict", FAULT_XS_CONFLICT, "rate" },
    };
    size_t k = 0;
    while (k < sizeof kinds / sizeof kinds[0] && strcmp(kind, kinds[k].name))
        k++;
    if (k == sizeof kinds / sizeof kinds[0])
        return bad(spec, "unknown fault (backend-crash, backend-slow, grant-fail, "
                         "domain-destroy, domain-pause, negotiation, netback-crash, "
                         "netback-slow, netback-grant-fail, xs-conflict)");
    out->kind = kinds[k].kind;
    bool have = false;
    char copy[256];
    if (strlen(args) >= sizeof copy)
        return bad(spec, "too long");
    strcpy(copy, args);
    for (char *save, *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            return bad(spec, "expected KEY=VALUE after the kind");
        *eq = '\0';
        const char *key = kv, *v = eq + 1;
        uint64_t n;
        char why[128];
        if (!strcmp(key, kinds[k].needs))
            have = true;
        enum fault_kind fk = kinds[k].kind;
        if (!strcmp(key, "after") && !strcmp(kinds[k].needs, "after")) {
            if (!number(v, UINT64_MAX, &n) || n == 0)
                return bad(spec, fk == FAULT_NETBACK_CRASH
                                     ? "after is a number of frames (1 or more)"
                                     : "after is a number of requests (1 or more)");
            out->after = n;
        } else if (!strcmp(key, "restart") &&
                   (fk == FAULT_BACKEND_CRASH || fk == FAULT_NETBACK_CRASH)) {
            if (strcmp(v, "0") && strcmp(v, "1"))
                return bad(spec, "restart is 0 or 1");
            out->restart = v[0] == '1';
        } else if (!strcmp(key, "delay-ms") && !strcmp(kinds[k].needs, "delay-ms")) {
            if (!number(v, 10000, &n))
                return bad(spec, "delay-ms is 0..10000");
            out->delay_ms = (unsigned)n;
        } else if (!strcmp(key, "for-ms") && kinds[k].kind == FAULT_DOMAIN_PAUSE) {
            if (!number(v, 600000, &n))
                return bad(spec, "for-ms is 0..600000");
            out->delay_ms = (unsigned)n;
        } else if (!strcmp(key, "rate") && !strcmp(kinds[k].needs, "rate")) {
            if (!share(v, &out->permille))
                return bad(spec, "rate is a share 0..1");
        } else {
            snprintf(why, sizeof why, "%s takes no key '%s'", kind, key);
            return bad(spec, why);
        }
    }
    if (!have) {
        char why[64];
        snprintf(why, sizeof why, "%s needs %s=", kind, kinds[k].needs);
        return bad(spec, why);
    }
    return 0;
}

enum fault_target fault_spec_target(const struct fault_spec *f)
{
    switch (f->kind) {
    case FAULT_NETBACK_CRASH:
    case FAULT_NETBACK_SLOW:
    case FAULT_NETBACK_GRANT_FAIL: return FAULT_ON_NETBACK;
    case FAULT_XS_CONFLICT: return FAULT_ON_XENSTORED;
    default: return FAULT_ON_BLKBACK;
    }
}

void fault_spec_backend_opts(const struct fault_spec *f, char buf[4][48], const char *out[5])
{
    unsigned n = 0;
    switch (f->kind) {
    case FAULT_XS_CONFLICT: break;
    case FAULT_NETBACK_CRASH:
    case FAULT_BACKEND_CRASH:
        snprintf(buf[n], sizeof buf[n], "fault-crash-after=%llu", (unsigned long long)f->after);
        out[n] = buf[n];
        n++;
        break;
    case FAULT_NETBACK_SLOW:
    case FAULT_BACKEND_SLOW:
        snprintf(buf[n], sizeof buf[n], "fault-delay-us=%u", f->delay_ms * 1000);
        out[n] = buf[n];
        n++;
        break;
    case FAULT_NETBACK_GRANT_FAIL:
    case FAULT_GRANT_FAIL:
        snprintf(buf[n], sizeof buf[n], "fault-grant-fail=%u", f->permille);
        out[n] = buf[n];
        n++;
        break;
    case FAULT_DOMAIN_DESTROY:
    case FAULT_DOMAIN_PAUSE:
        snprintf(buf[n], sizeof buf[n], "fault-report-after=%llu", (unsigned long long)f->after);
        out[n] = buf[n];
        n++;
        break;
    case FAULT_NEGOTIATION:
        for (unsigned i = 0; i < 3 && f->opts[i]; i++)
            out[n++] = f->opts[i];
        break;
    }
    out[n] = NULL;
}
