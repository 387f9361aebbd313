/*
 * qrexec_proto.h — qrexec's messages (QUBES-FACTS §4): an 8-byte header,
 * type (u32 LE) and len (u32 LE), then len bytes.  The control channel
 * (vchan port 512, the VM serves) carries HELLO, EXEC_CMDLINE/JUST_EXEC
 * and CONNECTION_TERMINATED; a data channel (ports 513–768) carries
 * HELLO, then STDIN/STDOUT/STDERR chunks (len 0 = EOF) and EXIT_CODE.
 * qrexec_link frames them over a vchan: whole messages in, a queue out.
 */
#ifndef SPLITBED_QREXEC_PROTO_H
#define SPLITBED_QREXEC_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os.h"
#include "vchan.h"

#define QREXEC_HDR_SIZE 8u
#define QREXEC_CONTROL_PORT 512u
#define QREXEC_FIRST_DATA_PORT 513u
#define QREXEC_DATA_PORTS 256u
#define QREXEC_MAX_CHUNK 65536u /* protocol 3 and later */
#define QREXEC_MAX_CMDLINE 65535u
#define QREXEC_VERSION 3u /* what we speak: 64 KiB chunks, TRIGGER_SERVICE3 */
#define QREXEC_MIN_VERSION 2u

enum qrexec_type {
    QREXEC_MSG_EXEC_CMDLINE = 0x200,
    QREXEC_MSG_JUST_EXEC = 0x201,
    QREXEC_MSG_SERVICE_CONNECT = 0x202,
    QREXEC_MSG_SERVICE_REFUSED = 0x203,
    QREXEC_MSG_TRIGGER_SERVICE = 0x210,
    QREXEC_MSG_CONNECTION_TERMINATED = 0x211,
    QREXEC_MSG_TRIGGER_SERVICE3 = 0x212,
    QREXEC_MSG_TRIGGER_SERVICE4 = 0x213,
    QREXEC_MSG_HELLO = 0x300,
    QREXEC_MSG_DATA_STDIN = 0x190,
    QREXEC_MSG_DATA_STDOUT = 0x191,
    QREXEC_MSG_DATA_STDERR = 0x192,
    QREXEC_MSG_DATA_EXIT_CODE = 0x193,
};

enum { QREXEC_EXIT_PROBLEM = 125, QREXEC_EXIT_REFUSED = 126, QREXEC_EXIT_NOT_FOUND = 127 };

static inline void qrexec_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
    p[3] = (uint8_t)(v >> 24);
}
static inline uint32_t qrexec_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

struct qrexec_link {
    struct os *os;
    struct vchan *v;
    const char *tag;  /* log prefix naming the channel */
    uint32_t max_len; /* largest payload accepted */
    uint8_t *rx;      /* header + max_len + 1 */
    size_t rxlen, consumed;
    struct vchan_txq tx;
};

int qrexec_link_init(struct qrexec_link *l, struct os *os, struct vchan *v, const char *tag,
                     uint32_t max_len);
void qrexec_link_free(struct qrexec_link *l);
/* Queues a message and sends what the ring takes now. */
int qrexec_link_send(struct qrexec_link *l, uint32_t type, const void *a, size_t alen,
                     const void *b, size_t blen);
int qrexec_link_flush(struct qrexec_link *l);
size_t qrexec_link_queued(const struct qrexec_link *l);
/* The next whole message: 1 (*type, *data, *len; data NUL-terminated
 * after len, valid until the next call), 0 if none yet, a negative error
 * (the vchan's, -OS_ESHUTDOWN when the peer closed, -OS_EPROTO for a
 * payload over max_len, logged in one line). */
int qrexec_link_next(struct qrexec_link *l, uint32_t *type, const uint8_t **data, uint32_t *len);
const char *qrexec_type_name(uint32_t type);

#endif
