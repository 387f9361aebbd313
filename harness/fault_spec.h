/*
 * fault_spec.h — `splitbed run --fault SPEC`: the faults a user asks of a
 * run, as KIND[:KEY=VALUE[,KEY=VALUE]...]:
 *
 *   backend-crash:after=N[,restart=0|1]   blkback dies (SIGKILL) once it has
 *                                         served N requests; the run starts
 *                                         it again (restart=1, default)
 *   backend-slow:delay-ms=N               blkback sleeps N ms per request
 *   grant-fail:rate=P                     that share (0..1) of blkback's grant
 *                                         maps and copies fail
 *   domain-destroy:after=N                the guest's domain is destroyed once
 *                                         blkback has served N requests
 *   domain-pause:after=N,for-ms=M         the guest's domain is paused (xl
 *                                         pause) once blkback has served N
 *                                         requests, and unpaused M ms later
 *   negotiation:NAME                      blkback negotiates as a deviating
 *                                         backend does: mirage, probe,
 *                                         single-page, no-indirect,
 *                                         no-persistent, grant-copy
 *   netback-crash:after=N[,restart=0|1]   netback dies (SIGKILL) once it has
 *                                         served N frames; started again
 *   netback-slow:delay-ms=N               netback sleeps N ms per frame
 *   netback-grant-fail:rate=P             that share of netback's grant
 *                                         copies fail
 *   xs-conflict:rate=P                    that share of the guest's xenstore
 *                                         transaction commits fail (EAGAIN)
 */
#ifndef SPLITBED_FAULT_SPEC_H
#define SPLITBED_FAULT_SPEC_H

#include <stdbool.h>
#include <stdint.h>

enum fault_kind {
    FAULT_BACKEND_CRASH,
    FAULT_BACKEND_SLOW,
    FAULT_GRANT_FAIL,
    FAULT_DOMAIN_DESTROY,
    FAULT_DOMAIN_PAUSE,
    FAULT_NEGOTIATION,
    FAULT_NETBACK_CRASH,
    FAULT_NETBACK_SLOW,
    FAULT_NETBACK_GRANT_FAIL,
    FAULT_XS_CONFLICT,
};

/* Who carries a fault out. */
enum fault_target {
    FAULT_ON_BLKBACK, /* its knobs; the domain faults too (blkback reports) */
    FAULT_ON_NETBACK,
    FAULT_ON_XENSTORED,
};

struct fault_spec {
    enum fault_kind kind;
    uint64_t after;      /* crash, destroy: requests */
    bool restart;        /* crash */
    unsigned delay_ms;   /* slow */
    unsigned permille;   /* grant-fail, netback-grant-fail, xs-conflict */
    const char *opts[3]; /* negotiation: blkback knobs, NULL-terminated */
};

/* 0, or -1 after one line naming the spec and what is wrong. */
int fault_spec_parse(const char *spec, struct fault_spec *out);
enum fault_target fault_spec_target(const struct fault_spec *f);
/* The blkback or netback knobs ("key=value", in static or the spec's
 * storage) that give the fault (none for xenstored's); at most 4,
 * NULL-terminated.  buf holds formatted ones. */
void fault_spec_backend_opts(const struct fault_spec *f, char buf[4][48], const char *out[5]);

#endif
