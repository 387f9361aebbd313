/* qubesdb_link.c — QubesDB framing over a vchan (qubesdb_link.h). */
#include "qubesdb_link.h"

#define TX_LIMIT (1u << 20)

void qdb_link_init(struct qdb_link *l, struct os *os, struct vchan *v, const char *tag)
{
    os_memset(l, 0, sizeof *l);
    l->os = os;
    l->v = v;
    l->tag = tag;
}

void qdb_link_reset(struct qdb_link *l)
{
    vchan_txq_free(l->os, &l->tx);
    l->rxlen = l->consumed = 0;
}

int qdb_link_flush(struct qdb_link *l)
{
    return vchan_txq_flush(&l->tx, l->v);
}

int qdb_link_send(struct qdb_link *l, uint8_t type, const char *path, const void *value, size_t len)
{
    size_t n = QDB_HDR_SIZE + len;
    uint8_t *p = vchan_txq_reserve(l->os, &l->tx, n, TX_LIMIT);
    if (!p)
        return -OS_ENOMEM;
    qdb_hdr_encode(p, type, path, (uint32_t)len);
    if (len)
        os_memcpy(p + QDB_HDR_SIZE, value, len);
    vchan_txq_commit(&l->tx, n);
    return qdb_link_flush(l);
}

int qdb_link_next(struct qdb_link *l, struct qdb_hdr *h, const char **value)
{
    if (l->consumed) {
        for (size_t i = l->consumed; i < l->rxlen; i++)
            l->rx[i - l->consumed] = l->rx[i];
        l->rxlen -= l->consumed;
        l->consumed = 0;
    }
    for (;;) {
        if (l->rxlen >= QDB_HDR_SIZE) {
            const char *why = qdb_hdr_decode(l->rx, true, h);
            if (why) {
                os_snprintf(l->diag, sizeof l->diag,
                            "%s the peer sent a message (type 0x%02x) that %s; cutting it off",
                            l->tag, (unsigned)l->rx[0], why);
                os_log(l->os, OS_LOG_ERROR, "%s", l->diag);
                return -OS_EPROTO;
            }
            size_t total = QDB_HDR_SIZE + h->data_len;
            if (l->rxlen >= total) {
                /* reads stop at the message's end, so the byte after it
                 * is free for a terminator (data_len < QDB_VALUE_LIMIT) */
                l->rx[total] = 0;
                *value = (const char *)l->rx + QDB_HDR_SIZE;
                l->consumed = total;
                return 1;
            }
        }
        size_t want = l->rxlen < QDB_HDR_SIZE ? QDB_HDR_SIZE - l->rxlen
                                              : QDB_HDR_SIZE + h->data_len - l->rxlen;
        long r = vchan_read(l->v, l->rx + l->rxlen, want);
        if (r < 0)
            return (int)r;
        if (r == 0)
            return 0;
        l->rxlen += (size_t)r;
    }
}
