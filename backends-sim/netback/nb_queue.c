/*
 * nb_queue.c — netback's ring core.  See nb_queue.h for what it promises.
 */
#include "backends-sim/netback/nb_queue.h"
#include "backends-sim/netback/nb_csum.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ETH_HLEN 14u

void nb_queue_break(struct nb_queue *q, const char *fmt, ...)
{
    if (q->broken)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q->why, sizeof q->why, fmt, ap);
    va_end(ap);
    q->broken = true;
}

void nb_queue_attach(struct nb_queue *q, const struct nb_env *env, domid_t dom, unsigned idx,
                     void *tx_sring, void *rx_sring)
{
    q->env = env;
    q->dom = dom;
    q->idx = idx;
    q->broken = false;
    q->why[0] = '\0';
    memset(&q->st, 0, sizeof q->st);
    /* The guest may have queued requests already (restore): keep them. */
    BACK_RING_ATTACH(&q->tx, (netif_tx_sring_t *)tx_sring, ((netif_tx_sring_t *)tx_sring)->rsp_prod,
                     NB_PAGE);
    BACK_RING_ATTACH(&q->rx, (netif_rx_sring_t *)rx_sring, ((netif_rx_sring_t *)rx_sring)->rsp_prod,
                     NB_PAGE);
}

static void tx_respond(struct nb_queue *q, uint16_t id, int16_t status)
{
    netif_tx_response_t *rsp = RING_GET_RESPONSE(&q->tx, q->tx.rsp_prod_pvt);
    /* Whole slot written, padding included: nothing of ours leaks (XSA-216). */
    netif_tx_response_t r;
    memset(&r, 0, sizeof r);
    r.id = id;
    r.status = status;
    memcpy(rsp, &r, sizeof r);
    q->tx.rsp_prod_pvt++;
}

static void tx_push(struct nb_queue *q)
{
    int notify;
    RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&q->tx, notify);
    if (notify)
        q->env->ops->notify(q->env->ctx, q->port_tx);
}

/* Parses the frame at `cons` (with `avail` requests produced) into
 * q->pend[np], adding its copies to q->ops.  1 parsed, 0 if it does not
 * fit in this batch (parse it in the next), -EPROTO broken. */
static int tx_parse(struct nb_queue *q, RING_IDX cons, RING_IDX avail, unsigned np, unsigned *nops,
                    uint32_t *boff)
{
    struct nb_tx_pending *p = &q->pend[np];
    netif_tx_request_t slot[NB_FATAL_SLOTS];
    unsigned nslots = 0, n = 0;
    netif_tx_request_t first;
    netif_tx_request_t extras[XEN_NETIF_EXTRA_TYPE_MAX];
    unsigned nextras = 0;

    memset(p, 0, sizeof *p);
    p->cons = cons;
    RING_COPY_REQUEST(&q->tx, cons, &first);
    slot[nslots++] = first;
    n++;
    if (first.flags & NETTXF_extra_info) {
        bool more = true;
        unsigned seen = 0;
        while (more) {
            if (n >= avail) {
                nb_queue_break(q,
                               "tx frame at slot %u: extra info runs past the %u requests produced",
                               cons, avail);
                return -EPROTO;
            }
            /* An extra-info segment fills a request slot; copy the slot once. */
            netif_tx_request_t raw;
            netif_extra_info_t ex;
            _Static_assert(sizeof ex <= sizeof raw, "extra info fits a tx slot");
            RING_COPY_REQUEST(&q->tx, cons + n, &raw);
            memcpy(&ex, &raw, sizeof ex);
            extras[nextras++] = raw;
            p->extra_mask |= 1u << n;
            n++;
            if (++seen >= XEN_NETIF_EXTRA_TYPE_MAX) {
                nb_queue_break(q, "tx frame at slot %u: more than %u extra info segments", cons,
                               XEN_NETIF_EXTRA_TYPE_MAX - 1);
                return -EPROTO;
            }
            if (ex.type == XEN_NETIF_EXTRA_TYPE_NONE || ex.type >= XEN_NETIF_EXTRA_TYPE_MAX) {
                nb_queue_break(q, "tx frame at slot %u: extra info of unknown type %u", cons,
                               ex.type);
                return -EPROTO;
            }
            if (ex.type == XEN_NETIF_EXTRA_TYPE_GSO) {
                if (ex.u.gso.size == 0) {
                    nb_queue_break(q, "tx frame at slot %u: GSO size 0", cons);
                    return -EPROTO;
                }
                if (ex.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV4 &&
                    ex.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV6) {
                    nb_queue_break(q, "tx frame at slot %u: unknown GSO type %u", cons,
                                   ex.u.gso.type);
                    return -EPROTO;
                }
                p->meta.gso_size = ex.u.gso.size;
                p->meta.gso_type = ex.u.gso.type;
            }
            more = (ex.flags & XEN_NETIF_EXTRA_FLAG_MORE) != 0;
        }
    }
    uint16_t flags = first.flags;
    while (flags & NETTXF_more_data) {
        if (n >= avail) {
            nb_queue_break(q, "tx frame at slot %u needs more slots than the %u produced", cons,
                           avail);
            return -EPROTO;
        }
#ifndef SPLITBED_BUG_NETBACK_SLOTS
        if (nslots >= NB_FATAL_SLOTS) {
            nb_queue_break(q, "tx frame at slot %u spans more than %u slots", cons, NB_FATAL_SLOTS);
            return -EPROTO;
        }
#endif
        RING_COPY_REQUEST(&q->tx, cons + n, &slot[nslots]);
        flags = slot[nslots].flags;
        nslots++;
        n++;
    }
    /* Sizes: the first slot names the whole frame; fragments come out of it. */
    uint32_t first_len = first.size;
    for (unsigned i = 1; i < nslots; i++) {
        if (slot[i].size > first_len) {
            nb_queue_break(q,
                           "tx frame at slot %u: fragment %u of %u bytes is bigger than what is "
                           "left of the frame (%u)",
                           cons, i, slot[i].size, first_len);
            return -EPROTO;
        }
        first_len -= slot[i].size;
    }
    for (unsigned i = 0; i < nslots; i++) {
        uint32_t len = i == 0 ? first_len : slot[i].size;
        if ((uint32_t)slot[i].offset + len > NB_PAGE) {
            nb_queue_break(q, "tx frame at slot %u: slot %u crosses its page (offset %u, size %u)",
                           cons, i, slot[i].offset, len);
            return -EPROTO;
        }
    }
    bool drop = nslots > NB_MAX_SLOTS || first.size < ETH_HLEN;
    if (!drop && (np > 0 && *boff + first.size > NB_TX_BATCH_BYTES))
        return 0; /* next batch: the buffer is full */
    if (q->record)
        q->record(q->record_ctx, q, slot, nslots, extras, nextras);
    p->n = (uint16_t)n;
    p->nslots = (uint16_t)nslots;
    p->meta.csum_blank = (first.flags & NETTXF_csum_blank) != 0;
    p->meta.data_validated = (first.flags & NETTXF_data_validated) != 0;
    for (unsigned i = 0; i < nslots; i++)
        p->ids[i] = slot[i].id;
    if (drop) {
        p->status = NETIF_RSP_DROPPED;
        q->st.tx_dropped++;
        return 1;
    }
    p->status = NETIF_RSP_OKAY;
    p->off = *boff;
    p->op_first = (uint16_t)*nops;
    uint32_t off = *boff;
    for (unsigned i = 0; i < nslots; i++) {
        uint32_t len = i == 0 ? first_len : slot[i].size;
        if (len == 0)
            continue; /* XSA-448: no copy, no look at its grant */
        q->ops[(*nops)++] = (struct nb_copy){ .ref = slot[i].gref,
                                              .offset = slot[i].offset,
                                              .len = (uint16_t)len,
                                              .local = q->batch + off,
                                              .to_guest = false,
                                              .status = GNTST_general_error };
        off += len;
    }
    p->op_count = (uint16_t)(*nops - p->op_first);
    p->len = off - *boff;
    *boff = off;
    return 1;
}

static void tx_complete(struct nb_queue *q, unsigned np, int copy_err, nb_deliver_fn deliver,
                        void *arg)
{
    for (unsigned k = 0; k < np; k++) {
        struct nb_tx_pending *p = &q->pend[k];
        if (p->status == NETIF_RSP_OKAY) {
            bool ok = copy_err == 0;
            for (unsigned i = 0; ok && i < p->op_count; i++)
                ok = q->ops[p->op_first + i].status == GNTST_okay;
            if (!ok) {
                p->status = NETIF_RSP_ERROR;
                q->st.tx_errors++;
            } else {
                q->st.tx_frames++;
                q->st.tx_bytes += p->len;
                /* The guest left the checksum to us: whoever gets the frame
                 * next expects it complete (GSO frames: per segment, later),
                 * unless it completes checksums itself. */
                if (p->meta.csum_blank) {
                    size_t l4, field;
                    if (nb_csum_locate(q->batch + p->off, p->len, &l4, &field) == 0) {
                        p->meta.csum_start = (uint16_t)l4;
                        p->meta.csum_offset = (uint16_t)field;
                    }
                    if (!q->pass_csum_blank && p->meta.gso_type == XEN_NETIF_GSO_TYPE_NONE) {
                        nb_csum_complete(q->batch + p->off, p->len);
                        p->meta.csum_blank = false;
                        p->meta.csum_start = p->meta.csum_offset = 0;
                    }
                }
                deliver(arg, q, q->batch + p->off, p->len, &p->meta);
            }
        }
        unsigned d = 0;
        for (unsigned i = 0; i < p->n; i++) {
            if (p->extra_mask & (1u << i))
                tx_respond(q, 0, NETIF_RSP_NULL);
            else
                tx_respond(q, p->ids[d++], p->status);
        }
    }
}

int nb_queue_tx(struct nb_queue *q, unsigned budget, nb_deliver_fn deliver, void *arg)
{
    int done = 0;
    if (q->broken)
        return -EPROTO;
    while ((unsigned)done < budget) {
        RING_IDX prod = q->tx.sring->req_prod;
        xen_rmb();
        if (RING_REQUEST_PROD_OVERFLOW(&q->tx, prod)) {
            nb_queue_break(q, "tx producer %u is more than a ring ahead of our responses (%u)",
                           prod, q->tx.rsp_prod_pvt);
            return -EPROTO;
        }
        if (q->tx.req_cons == prod) {
            tx_push(q);
            int more;
            RING_FINAL_CHECK_FOR_REQUESTS(&q->tx, more);
            if (!more)
                break;
            continue;
        }
        /* Parse a batch of frames, copy them all at once, then answer. */
        unsigned np = 0, nops = 0;
        uint32_t boff = 0;
        RING_IDX cons = q->tx.req_cons;
        while (cons != prod && np < NB_TX_BATCH && (unsigned)done + np < budget) {
            int r = tx_parse(q, cons, prod - cons, np, &nops, &boff);
            if (r < 0)
                return -EPROTO; /* nothing of this batch is answered: cut off */
            if (r == 0)
                break;
            cons += q->pend[np].n;
            np++;
        }
        int err = nops ? q->env->ops->copy(q->env->ctx, q->dom, q->ops, nops) : 0;
        tx_complete(q, np, err, deliver, arg);
        q->tx.req_cons = cons;
        done += (int)np;
        tx_push(q);
    }
    tx_push(q);
    return done;
}

void nb_queue_rx_flush(struct nb_queue *q)
{
    if (!q->nrxp)
        return;
    int r = q->env->ops->copy(q->env->ctx, q->dom, q->rxops, q->nrxops);
    for (unsigned f = 0; f < q->nrxp; f++) {
        const struct nb_rx_pending *p = &q->rxp[f];
        unsigned o = 0;
        for (unsigned k = 0; k < p->need; k++) {
            void *slotp = RING_GET_RESPONSE(&q->rx, q->rx.rsp_prod_pvt);
            if (p->extra && k == 1) {
                netif_extra_info_t ex;
                memset(&ex, 0, sizeof ex);
                ex.type = XEN_NETIF_EXTRA_TYPE_GSO;
                ex.u.gso.size = p->gso_size;
                ex.u.gso.type = p->gso_type;
                memcpy(slotp, &ex, sizeof ex);
            } else {
                const struct nb_copy *op = &q->rxops[p->op_first + o];
                netif_rx_response_t rsp;
                memset(&rsp, 0, sizeof rsp);
                rsp.id = p->ids[k];
                rsp.offset = 0;
                rsp.flags = (uint16_t)((o + 1 < p->nop ? NETRXF_more_data : 0) |
                                       (k == 0 && p->extra ? NETRXF_extra_info : 0) |
                                       (k == 0 ? p->flags : 0));
                rsp.status = (r == 0 && op->status == GNTST_okay) ? (int16_t)op->len
                                                                  : (int16_t)NETIF_RSP_ERROR;
                memcpy(slotp, &rsp, sizeof rsp);
                o++;
            }
            q->rx.rsp_prod_pvt++;
        }
        q->st.rx_frames++;
        q->st.rx_bytes += p->len;
    }
    q->nrxp = q->nrxops = 0;
    int notify;
    RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&q->rx, notify);
    if (notify)
        q->env->ops->notify(q->env->ctx, q->port_rx);
}

int nb_queue_rx(struct nb_queue *q, const uint8_t *frame, size_t len, const struct nb_meta *meta)
{
    int r = nb_queue_rx_add(q, frame, len, meta);
    if (r == 0)
        nb_queue_rx_flush(q);
    return r;
}

int nb_queue_rx_add(struct nb_queue *q, const uint8_t *frame, size_t len,
                    const struct nb_meta *meta)
{
    if (q->broken)
        return -EPROTO;
    if (len == 0 || len > NB_MAX_FRAME)
        return -EMSGSIZE;
    unsigned slots = (unsigned)((len + NB_PAGE - 1) / NB_PAGE);
    if ((slots > 1 && !q->fe_sg) || slots > NB_MAX_SLOTS) {
        q->st.rx_dropped++;
        return -EMSGSIZE;
    }
    bool extra = meta && meta->gso_type != XEN_NETIF_GSO_TYPE_NONE &&
                 ((meta->gso_type == XEN_NETIF_GSO_TYPE_TCPV4 && q->fe_gso4) ||
                  (meta->gso_type == XEN_NETIF_GSO_TYPE_TCPV6 && q->fe_gso6));
    unsigned need = slots + (extra ? 1 : 0);
    /* A blank checksum goes through as Linux netback sends it when the
     * frontend takes it (IPv4 unless feature-no-csum-offload, IPv6 with
     * feature-ipv6-csum-offload); otherwise it is completed here, which
     * cannot be done for a GSO frame before it is cut into segments. */
    uint16_t csum_flags = meta && meta->data_validated ? NETRXF_data_validated : 0;
    bool fix = false;
    if (meta && meta->csum_blank) {
        bool v6 = len >= 14 && frame[12] == 0x86 && frame[13] == 0xdd;
        if (v6 ? q->fe_csum6 : q->fe_csum4) {
            csum_flags = NETRXF_csum_blank | NETRXF_data_validated;
        } else if (meta->gso_type != XEN_NETIF_GSO_TYPE_NONE) {
            q->st.rx_dropped++;
            return -EMSGSIZE;
        } else {
            fix = true;
            csum_flags = 0;
        }
    }
    if (q->nrxp == NB_RX_BATCH || (fix && q->nrxp))
        nb_queue_rx_flush(q); /* the batch is full, or rx_fix is wanted again */
    RING_IDX prod = q->rx.sring->req_prod;
    xen_rmb();
    if (RING_REQUEST_PROD_OVERFLOW(&q->rx, prod)) {
        nb_queue_break(q, "rx producer %u is more than a ring ahead of our responses (%u)", prod,
                       q->rx.rsp_prod_pvt);
        return -EPROTO;
    }
    if (prod - q->rx.req_cons < need) {
        /* Ask for an event as soon as the guest posts its next buffer:
         * past those it already posted, or a guest refilling from there
         * sees no reason to notify (Linux: req_event = prod + 1). */
        q->rx.sring->req_event = prod + 1;
        xen_mb();
        prod = q->rx.sring->req_prod;
        xen_rmb();
        if (RING_REQUEST_PROD_OVERFLOW(&q->rx, prod) || prod - q->rx.req_cons < need)
            return -EAGAIN;
    }
    if (fix) {
        memcpy(q->rx_fix, frame, len);
        nb_csum_complete(q->rx_fix, len);
        frame = q->rx_fix;
    }
    RING_IDX cons = q->rx.req_cons;
    struct nb_rx_pending *p = &q->rxp[q->nrxp];
    p->need = (uint16_t)need;
    p->extra = extra;
    p->flags = csum_flags;
    p->gso_size = extra ? meta->gso_size : 0;
    p->gso_type = extra ? meta->gso_type : 0;
    p->op_first = (uint16_t)q->nrxops;
    p->len = (uint32_t)len;
    unsigned nop = 0;
    size_t off = 0;
    for (unsigned k = 0; k < need; k++) {
        netif_rx_request_t req;
        RING_COPY_REQUEST(&q->rx, cons + k, &req);
        p->ids[k] = req.id;
        if (extra && k == 1)
            continue; /* the extra-info response takes this slot */
        size_t chunk = len - off < NB_PAGE ? len - off : NB_PAGE;
        q->rxops[q->nrxops + nop++] = (struct nb_copy){ .ref = req.gref,
                                                        .offset = 0,
                                                        .len = (uint16_t)chunk,
                                                        .local = (void *)(frame + off),
                                                        .to_guest = true,
                                                        .status = GNTST_general_error };
        off += chunk;
    }
    p->nop = (uint16_t)nop;
    q->nrxops += nop;
    q->rx.req_cons = cons + need;
    q->nrxp++;
    if (fix)
        nb_queue_rx_flush(q);
    return 0;
}
