/*
 * qrexec_agent.h — a Qubes VM's qrexec agent: runs what dom0 asks.
 *
 * It serves the control channel (vchan port 512 to dom0, 4096-byte
 * rings) and says HELLO (protocol 3) at once; dom0's daemon answers with
 * its own.  For each EXEC_CMDLINE or JUST_EXEC it connects to the data
 * channel dom0 named, exchanges HELLO, collects the caller's stdin up to
 * its EOF, runs the command, and sends stdout, stderr, both EOFs and the
 * exit code; then it closes the data channel and tells dom0
 * CONNECTION_TERMINATED with the same domain and port.
 *
 * Commands are "USER:COMMAND" ("nogui:" after the user is dropped).
 * "QUBESRPC SERVICE[+ARG] SOURCE" is a service call; the agent answers
 * qubes.WaitForSession itself (exit 0 once stdin ended) and offers every
 * other command first to the app's stream handler, if it set one, then
 * to its handler.
 *
 * The handler sees the caller's stdin whole (up to 1 MiB), fills the
 * call's output and returns the exit code.  A stream handler takes stdin
 * as it arrives, with no limit: it is asked first with no input; it
 * returns QREXEC_AGENT_UNKNOWN to leave the call to the handler,
 * QREXEC_AGENT_MORE to take the stream, or an exit code at once.  It is
 * then called for each chunk of stdin and once more with call->eof set,
 * where it must return the exit code; what it wrote with
 * qrexec_call_out/err leaves after each call, and while dom0 has not
 * read that yet no more stdin is taken.  An exit code returned before
 * the end of stdin ends the call there (the rest is not read).
 * Without either, or when both return QREXEC_AGENT_UNKNOWN, the caller
 * gets "… not found" on stderr and 127.
 *
 * Event-driven like the drivers: qrexec_agent_poll() never blocks.  A
 * dom0 that breaks the protocol (a message too long, a command line
 * without its terminator, a type the VM does not take) gets one line
 * and the control channel is served afresh; a data channel that breaks
 * is dropped alone.  The VM keeps running.
 */
#ifndef SPLITBED_QREXEC_AGENT_H
#define SPLITBED_QREXEC_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os.h"

struct qrexec_agent;
struct qrexec_conn;

struct qrexec_call {
    const char *user;     /* before the first ':' */
    const char *command;  /* after it ("nogui:" dropped) */
    const char *service;  /* QUBESRPC calls: "qubes.WaitForSession", else NULL */
    const char *arg;      /* after '+' ("" if none) */
    const char *source;   /* the calling domain's name, as dom0 gave it */
    const uint8_t *input; /* the caller's stdin: whole, or this chunk when streamed */
    size_t input_len;
    bool eof;          /* streamed: stdin has ended (input_len is 0) */
    uint64_t state[4]; /* streamed: the stream handler's own, 0 at first, kept across chunks */
    /* the agent's */
    struct qrexec_conn *conn;
};

#define QREXEC_AGENT_UNKNOWN (-1)
#define QREXEC_AGENT_MORE (-2)

/* Returns the exit code (0..255) or QREXEC_AGENT_UNKNOWN. */
typedef int (*qrexec_handler)(void *ctx, struct qrexec_call *call);
/* Returns the exit code, QREXEC_AGENT_MORE or QREXEC_AGENT_UNKNOWN. */
typedef int (*qrexec_stream_handler)(void *ctx, struct qrexec_call *call);

int qrexec_agent_open(struct os *os, qrexec_handler handler, void *ctx, struct qrexec_agent **out);
/* Offers every call to `stream` first (with its own ctx). */
void qrexec_agent_set_stream_handler(struct qrexec_agent *a, qrexec_stream_handler stream,
                                     void *ctx);
/* Drives the control and data channels: >= 0 (calls completed so far),
 * or a negative error the agent cannot recover from. */
int qrexec_agent_poll(struct qrexec_agent *a);
/* True once dom0's daemon said HELLO on the control channel. */
bool qrexec_agent_connected(const struct qrexec_agent *a);
/* Calls answered so far. */
unsigned qrexec_agent_calls(const struct qrexec_agent *a);
void qrexec_agent_close(struct qrexec_agent *a);

/* A call this VM makes, like qrexec-client-vm: dom0 is asked
 * (TRIGGER_SERVICE3) to run SERVICE[+ARG] in TARGET ("dom0" or a VM's
 * name); if its policy allows, it names a data channel that this VM then
 * serves, saying HELLO first, and the call's stdin (`input`, then EOF)
 * goes out while its stdout and stderr come back, then the exit code.
 * Refused calls end with exit code 126, a failed channel with 125.
 * qrexec_agent_poll() moves it.  0, -OS_EAGAIN before dom0's daemon said
 * HELLO (or when it speaks protocol 2), -OS_EBUSY with 4 calls going on,
 * -OS_EINVAL for a target or service name that cannot be sent. */
struct qrexec_request;
int qrexec_agent_request(struct qrexec_agent *a, const char *target, const char *service,
                         const void *input, size_t len, struct qrexec_request **out);
/* 0 while the call goes on; 1 once it is over, with its exit code and
 * output (valid until qrexec_request_free). */
int qrexec_request_result(const struct qrexec_request *r, int *code, const uint8_t **out,
                          size_t *out_len, const uint8_t **err, size_t *err_len);
void qrexec_request_free(struct qrexec_request *r);

/* For handlers: appends to the call's stdout / stderr (0 or -OS_ENOMEM). */
int qrexec_call_out(struct qrexec_call *call, const void *buf, size_t len);
int qrexec_call_err(struct qrexec_call *call, const void *buf, size_t len);

#endif
