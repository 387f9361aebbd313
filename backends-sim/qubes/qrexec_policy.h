/*
 * qrexec_policy.h — what dom0 does with a VM's own qrexec call
 * (TRIGGER_SERVICE3, QUBES-FACTS §4.6): the trigger read and checked as
 * Qubes' daemon checks it, then an allow list decides.
 *
 * Allow entries are "SERVICE@TARGET" (any argument) or
 * "SERVICE+ARG@TARGET" (that argument only); TARGET is "dom0" or a VM's
 * name.  Anything not listed is refused.
 */
#ifndef SPLITBED_QUBES_QREXEC_POLICY_H
#define SPLITBED_QUBES_QREXEC_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QREXEC_POLICY_MAX 64
#define QREXEC_TRIGGER3_FIXED 96u  /* target[64] + request_id[32] */
#define QREXEC_TRIGGER4_FIXED 160u /* source[64] + target[64] + request_id[32] */
#define QREXEC_MAX_SERVICE 65000u

struct qrexec_policy {
    char *allow[QREXEC_POLICY_MAX];
    unsigned n;
};

/* Adds one entry; NULL, or why it is not one (the policy is unchanged). */
const char *qrexec_policy_add(struct qrexec_policy *p, const char *entry);
/* Whether "SERVICE[+ARG]" may run in TARGET. */
bool qrexec_policy_allows(const struct qrexec_policy *p, const char *service, const char *target);
void qrexec_policy_free(struct qrexec_policy *p);

struct qrexec_trigger {
    char target[64];     /* sanitised: a-z A-Z 0-9 _ . - + @ :, others '_' */
    char request_id[32]; /* as sent, checked */
    const char *service; /* "name[+arg]", sanitised in place in the message */
};

/* Reads a TRIGGER_SERVICE3 payload, or with v4 a TRIGGER_SERVICE4 one
 * (whose source domain dom0 ignores: it knows who is calling), modified
 * in place.  Returns NULL and fills t, or why the message breaks the
 * protocol (the VM is then cut off: Qubes' daemon exits), and *refuse
 * names a request that is only malformed (answered SERVICE_REFUSED, as
 * Qubes does). */
const char *qrexec_trigger_parse(uint8_t *data, uint32_t len, bool v4, struct qrexec_trigger *t,
                                 const char **refuse);

#endif
