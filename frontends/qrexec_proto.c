/* qrexec_proto.c — qrexec framing over a vchan (qrexec_proto.h). */
#include "qrexec_proto.h"

#define TX_LIMIT (4u << 20)

int qrexec_link_init(struct qrexec_link *l, struct os *os, struct vchan *v, const char *tag,
                     uint32_t max_len)
{
    os_memset(l, 0, sizeof *l);
    l->os = os;
    l->v = v;
    l->tag = tag;
    l->max_len = max_len;
    l->rx = os_malloc(os, QREXEC_HDR_SIZE + max_len + 1);
    return l->rx ? 0 : -OS_ENOMEM;
}

void qrexec_link_free(struct qrexec_link *l)
{
    os_free(l->os, l->rx);
    l->rx = NULL;
    vchan_txq_free(l->os, &l->tx);
    l->rxlen = l->consumed = 0;
}

size_t qrexec_link_queued(const struct qrexec_link *l)
{
    return l->tx.len;
}

int qrexec_link_flush(struct qrexec_link *l)
{
    return vchan_txq_flush(&l->tx, l->v);
}

int qrexec_link_send(struct qrexec_link *l, uint32_t type, const void *a, size_t alen,
                     const void *b, size_t blen)
{
    size_t n = QREXEC_HDR_SIZE + alen + blen;
    uint8_t *p = vchan_txq_reserve(l->os, &l->tx, n, TX_LIMIT);
    if (!p)
        return -OS_ENOMEM;
    qrexec_put32(p, type);
    qrexec_put32(p + 4, (uint32_t)(alen + blen));
    if (alen)
        os_memcpy(p + QREXEC_HDR_SIZE, a, alen);
    if (blen)
        os_memcpy(p + QREXEC_HDR_SIZE + alen, b, blen);
    vchan_txq_commit(&l->tx, n);
    return qrexec_link_flush(l);
}

int qrexec_link_next(struct qrexec_link *l, uint32_t *type, const uint8_t **data, uint32_t *len)
{
    if (l->consumed) {
        for (size_t i = l->consumed; i < l->rxlen; i++)
            l->rx[i - l->consumed] = l->rx[i];
        l->rxlen -= l->consumed;
        l->consumed = 0;
    }
    for (;;) {
        if (l->rxlen >= QREXEC_HDR_SIZE) {
            uint32_t n = qrexec_get32(l->rx + 4);
            if (n > l->max_len) {
                os_log(
                    l->os, OS_LOG_ERROR,
                    "%s the peer sent a %s message of %u bytes (at most %u here); cutting it off",
                    l->tag, qrexec_type_name(qrexec_get32(l->rx)), n, l->max_len);
                return -OS_EPROTO;
            }
            if (l->rxlen >= QREXEC_HDR_SIZE + n) {
                *type = qrexec_get32(l->rx);
                *len = n;
                /* reads stop at the message's end: the next byte is free */
                l->rx[QREXEC_HDR_SIZE + n] = 0;
                *data = l->rx + QREXEC_HDR_SIZE;
                l->consumed = QREXEC_HDR_SIZE + n;
                return 1;
            }
        }
        size_t want = l->rxlen < QREXEC_HDR_SIZE
                          ? QREXEC_HDR_SIZE - l->rxlen
                          : QREXEC_HDR_SIZE + qrexec_get32(l->rx + 4) - l->rxlen;
        long r = vchan_read(l->v, l->rx + l->rxlen, want);
        if (r <= 0)
            return (int)r;
        l->rxlen += (size_t)r;
    }
}

const char *qrexec_type_name(uint32_t type)
{
    switch (type) {
    case QREXEC_MSG_EXEC_CMDLINE: return "EXEC_CMDLINE";
    case QREXEC_MSG_JUST_EXEC: return "JUST_EXEC";
    case QREXEC_MSG_SERVICE_CONNECT: return "SERVICE_CONNECT";
    case QREXEC_MSG_SERVICE_REFUSED: return "SERVICE_REFUSED";
    case QREXEC_MSG_TRIGGER_SERVICE: return "TRIGGER_SERVICE";
    case QREXEC_MSG_CONNECTION_TERMINATED: return "CONNECTION_TERMINATED";
    case QREXEC_MSG_TRIGGER_SERVICE3: return "TRIGGER_SERVICE3";
    case QREXEC_MSG_TRIGGER_SERVICE4: return "TRIGGER_SERVICE4";
    case QREXEC_MSG_HELLO: return "HELLO";
    case QREXEC_MSG_DATA_STDIN: return "DATA_STDIN";
    case QREXEC_MSG_DATA_STDOUT: return "DATA_STDOUT";
    case QREXEC_MSG_DATA_STDERR: return "DATA_STDERR";
    case QREXEC_MSG_DATA_EXIT_CODE: return "DATA_EXIT_CODE";
    default: return "unknown";
    }
}
