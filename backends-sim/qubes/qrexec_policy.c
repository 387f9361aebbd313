/* qrexec_policy.c — a VM's trigger and dom0's allow list (qrexec_policy.h). */
#include "backends-sim/qubes/qrexec_policy.h"

#include <stdlib.h>
#include <string.h>

static bool service_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-' || c == '+';
}

static bool target_char(char c)
{
    return service_char(c) || c == '@' || c == ':';
}

const char *qrexec_policy_add(struct qrexec_policy *p, const char *entry)
{
    const char *at = strrchr(entry, '@');
    if (!at || at == entry || !at[1])
        return "is not SERVICE[+ARG]@TARGET";
    if (entry[0] == '+')
        return "names no service before its '+'";
    for (const char *c = entry; c < at; c++)
        if (!service_char(*c))
            return "has a character a service name may not have";
    for (const char *c = at + 1; *c; c++)
        if (!target_char(*c) || *c == '@')
            return "has a character a target may not have";
    if (strlen(at + 1) >= 64)
        return "names a target of 64 characters or more";
    if (p->n == QREXEC_POLICY_MAX)
        return "is one too many (at most 64 entries)";
    char *copy = strdup(entry);
    if (!copy)
        return "does not fit in memory";
    p->allow[p->n++] = copy;
    return NULL;
}

bool qrexec_policy_allows(const struct qrexec_policy *p, const char *service, const char *target)
{
    size_t name_len = strcspn(service, "+");
    for (unsigned i = 0; i < p->n; i++) {
        const char *e = p->allow[i], *at = strrchr(e, '@');
        if (strcmp(at + 1, target))
            continue;
        size_t elen = (size_t)(at - e);
        bool with_arg = memchr(e, '+', elen) != NULL;
        if (with_arg ? strlen(service) == elen && !memcmp(e, service, elen)
                     : name_len == elen && !memcmp(e, service, elen))
            return true;
    }
    return false;
}

void qrexec_policy_free(struct qrexec_policy *p)
{
    for (unsigned i = 0; i < p->n; i++)
        free(p->allow[i]);
    p->n = 0;
}

static bool id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c == ' ';
}

const char *qrexec_trigger_parse(uint8_t *data, uint32_t len, bool v4, struct qrexec_trigger *t,
                                 const char **refuse)
{
    *refuse = NULL;
    uint32_t fixed = v4 ? QREXEC_TRIGGER4_FIXED : QREXEC_TRIGGER3_FIXED;
    uint32_t at_target = v4 ? 64 : 0, at_id = at_target + 64;
    if (len <= fixed)
        return v4 ? "a TRIGGER_SERVICE4 with no service name"
                  : "a TRIGGER_SERVICE3 with no service name";
    if (len - fixed > QREXEC_MAX_SERVICE)
        return "a trigger with a service name over 65000 bytes";
    memcpy(t->target, data + at_target, sizeof t->target);
    t->target[sizeof t->target - 1] = 0;
    for (char *c = t->target; *c; c++)
        if (!target_char(*c))
            *c = '_';
    memcpy(t->request_id, data + at_id, sizeof t->request_id);
    const char *id = t->request_id;
    size_t idlen = strnlen(id, sizeof t->request_id);
    bool id_ok = idlen < sizeof t->request_id;
    for (size_t i = 0; id_ok && i < idlen; i++)
        id_ok = id_char(id[i]);
    for (size_t i = idlen; id_ok && i < sizeof t->request_id; i++)
        id_ok = id[i] == 0;
    char *svc = (char *)data + fixed;
    uint32_t slen = len - fixed;
    if (!id_ok) {
        t->request_id[0] = 0;
        *refuse = "its request id has characters other than A-Z a-z 0-9 _ - . and space";
    } else if (memchr(svc, 0, slen) != svc + slen - 1) {
        *refuse = "its service name is not one string ending at the message's end";
    } else if (!svc[0] || svc[0] == '+') {
        *refuse = "its service name is empty or begins with '+'";
    }
    if (*refuse)
        return NULL;
    for (char *c = svc; *c; c++)
        if (!service_char(*c))
            *c = '_';
    t->service = svc;
    return NULL;
}
