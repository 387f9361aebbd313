/*
 * params.c — parsing and checking blkback's knobs.
 */
#include "backends-sim/blkback/params.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bb_params_default(struct bb_params *p)
{
    *p = (struct bb_params){
        .max_ring_page_order = 4,
        .max_indirect_segments = 256,
        .persistent = true,
        .max_persistent_grants = 1056,
        .persistent_map = BB_PMAP_RW,
        .flush = true,
        .barrier = true,
        .discard = true,
        .discard_secure = false,
        .discard_granularity = 0,
        .discard_alignment = 0,
        .sector_size = 512,
        .physical_sector_size = 0,
        .features_at = BB_FEATURES_AT_CONNECTED,
        .skip_initwait = false,
        .strict = true,
        .max_queues = 1,
        .batch = 64,
        .resize_on_io = true,
        .resize_check_ms = 100,
        .hotplug_status = true,
        .record_max = 256,
    };
}

static int parse_uint(const char *v, unsigned long max, unsigned long *out)
{
    if (!*v || *v == '-' || *v == '+')
        return -1;
    char *end;
    errno = 0;
    unsigned long x = strtoul(v, &end, 0);
    if (errno || *end || x > max)
        return -1;
    *out = x;
    return 0;
}

static int parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "true"))
        *out = true;
    else if (!strcmp(v, "0") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "false"))
        *out = false;
    else
        return -1;
    return 0;
}

static bool pow2(unsigned long x)
{
    return x && !(x & (x - 1));
}

int bb_params_set(struct bb_params *p, const char *kv, char *err, size_t errlen)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        snprintf(err, errlen, "--opt %s: expected key=value", kv);
        return -1;
    }
    char key[64];
    size_t klen = (size_t)(eq - kv);
    if (klen >= sizeof(key)) {
        snprintf(err, errlen, "--opt %s: unknown key", kv);
        return -1;
    }
    memcpy(key, kv, klen);
    key[klen] = '\0';
    const char *v = eq + 1;
    unsigned long u;
    bool *b = NULL;

    static const struct {
        const char *name;
        size_t off;
    } bools[] = {
        { "persistent", offsetof(struct bb_params, persistent) },
        { "grant-copy", offsetof(struct bb_params, grant_copy) },
        { "flush", offsetof(struct bb_params, flush) },
        { "barrier", offsetof(struct bb_params, barrier) },
        { "discard", offsetof(struct bb_params, discard) },
        { "discard-secure", offsetof(struct bb_params, discard_secure) },
        { "skip-initwait", offsetof(struct bb_params, skip_initwait) },
        { "readonly", offsetof(struct bb_params, readonly) },
        { "cdrom", offsetof(struct bb_params, cdrom) },
        { "removable", offsetof(struct bb_params, removable) },
        { "strict", offsetof(struct bb_params, strict) },
        { "resize-on-io", offsetof(struct bb_params, resize_on_io) },
        { "hotplug-status", offsetof(struct bb_params, hotplug_status) },
    };
    for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
        if (!strcmp(key, bools[i].name))
            b = (bool *)((char *)p + bools[i].off);
    if (b) {
        if (parse_bool(v, b) < 0)
            goto bad_bool;
        return 0;
    }

    if (!strcmp(key, "max-ring-page-order")) {
        if (!strcmp(v, "none") || !strcmp(v, "absent")) {
            p->max_ring_page_order = -1;
            return 0;
        }
        if (parse_uint(v, 4, &u) < 0)
            goto bad_range;
        p->max_ring_page_order = (int)u;
    } else if (!strcmp(key, "max-indirect-segments")) {
        if (parse_uint(v, 4096, &u) < 0)
            goto bad_range;
        p->max_indirect_segments = (unsigned)u;
    } else if (!strcmp(key, "resize-check-ms")) {
        if (parse_uint(v, 60000, &u) < 0)
            goto bad_range;
        p->resize_check_ms = (unsigned)u;
    } else if (!strcmp(key, "max-persistent-grants")) {
        if (parse_uint(v, 65536, &u) < 0)
            goto bad_range;
        p->max_persistent_grants = (unsigned)u;
    } else if (!strcmp(key, "persistent-map")) {
        if (!strcmp(v, "rw"))
            p->persistent_map = BB_PMAP_RW;
        else if (!strcmp(v, "op"))
            p->persistent_map = BB_PMAP_OP;
        else
            goto bad_range;
    } else if (!strcmp(key, "discard-granularity")) {
        if (parse_uint(v, 1ul << 30, &u) < 0 || (u && (u % 512 || !pow2(u))))
            goto bad_range;
        p->discard_granularity = (uint32_t)u;
    } else if (!strcmp(key, "discard-alignment")) {
        if (parse_uint(v, 1ul << 30, &u) < 0 || u % 512)
            goto bad_range;
        p->discard_alignment = (uint32_t)u;
    } else if (!strcmp(key, "sector-size")) {
        if (parse_uint(v, 4096, &u) < 0 || (u != 512 && u != 4096))
            goto bad_range;
        p->sector_size = (uint32_t)u;
    } else if (!strcmp(key, "physical-sector-size")) {
        if (parse_uint(v, 1ul << 20, &u) < 0 || u < 512 || !pow2(u))
            goto bad_range;
        p->physical_sector_size = (uint32_t)u;
    } else if (!strcmp(key, "features-at")) {
        if (!strcmp(v, "probe"))
            p->features_at = BB_FEATURES_AT_PROBE;
        else if (!strcmp(v, "connected"))
            p->features_at = BB_FEATURES_AT_CONNECTED;
        else
            goto bad_range;
    } else if (!strcmp(key, "multi-queue-max-queues")) {
        if (parse_uint(v, 1, &u) < 0)
            goto bad_range;
        p->max_queues = (unsigned)u;
    } else if (!strcmp(key, "fault-crash-after") || !strcmp(key, "fault-report-after") ||
               !strcmp(key, "fault-seed")) {
        errno = 0;
        char *end;
        unsigned long long x = strtoull(v, &end, 0);
        if (!*v || *v == '-' || *end || errno)
            goto bad_range;
        if (!strcmp(key, "fault-crash-after"))
            p->fault_crash_after = x;
        else if (!strcmp(key, "fault-report-after"))
            p->fault_report_after = x;
        else
            p->fault_seed = x;
    } else if (!strcmp(key, "fault-delay-us")) {
        if (parse_uint(v, 10000000, &u) < 0)
            goto bad_range;
        p->fault_delay_us = (unsigned)u;
    } else if (!strcmp(key, "fault-grant-fail")) {
        if (parse_uint(v, 1000, &u) < 0)
            goto bad_range;
        p->fault_grant_fail = (unsigned)u;
    } else if (!strcmp(key, "record")) {
        if (!*v) {
            snprintf(err, errlen, "--opt %s: expected record=DIR", kv);
            return -1;
        }
        if (strlen(v) >= sizeof(p->record)) {
            snprintf(err, errlen, "--opt record=%.32s...: folder name longer than %zu bytes", v,
                     sizeof(p->record) - 1);
            return -1;
        }
        snprintf(p->record, sizeof(p->record), "%s", v);
    } else if (!strcmp(key, "record-max")) {
        if (parse_uint(v, 100000, &u) < 0 || u == 0)
            goto bad_range;
        p->record_max = (unsigned)u;
    } else if (!strcmp(key, "batch")) {
        if (parse_uint(v, 1u << 20, &u) < 0 || u == 0)
            goto bad_range;
        p->batch = (unsigned)u;
    } else {
        snprintf(err, errlen, "--opt %s: unknown key '%s'", kv, key);
        return -1;
    }
    return 0;

bad_bool:
    snprintf(err, errlen, "--opt %s: '%s' is not 0 or 1", kv, v);
    return -1;
bad_range : {
    const char *want = !strcmp(key, "max-ring-page-order")      ? "0..4 or none"
                       : !strcmp(key, "max-indirect-segments")  ? "0..4096"
                       : !strcmp(key, "max-persistent-grants")  ? "0..65536"
                       : !strcmp(key, "discard-granularity")    ? "0 or a power of two >= 512"
                       : !strcmp(key, "discard-alignment")      ? "a multiple of 512"
                       : !strcmp(key, "sector-size")            ? "512 or 4096"
                       : !strcmp(key, "physical-sector-size")   ? "a power of two >= 512"
                       : !strcmp(key, "features-at")            ? "probe or connected"
                       : !strcmp(key, "persistent-map")         ? "rw or op"
                       : !strcmp(key, "multi-queue-max-queues") ? "0 (not written) or 1"
                       : !strcmp(key, "fault-delay-us")         ? "0..10000000"
                       : !strcmp(key, "fault-grant-fail")       ? "0..1000 (per mille)"
                       : !strcmp(key, "resize-check-ms")        ? "0..60000"
                       : !strcmp(key, "record-max")             ? "1..100000"
                       : !strncmp(key, "fault-", 6)             ? "a number"
                                                                : "a positive number";
    snprintf(err, errlen, "--opt %s: '%s' is not %s", kv, v, want);
    return -1;
}
}

int bb_params_check(const struct bb_params *p, char *err, size_t errlen)
{
    if (p->physical_sector_size && p->physical_sector_size < p->sector_size) {
        snprintf(err, errlen, "--opt physical-sector-size=%u: smaller than sector-size %u",
                 p->physical_sector_size, p->sector_size);
        return -1;
    }
    return 0;
}
