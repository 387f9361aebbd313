/* evq.c — the notifications in flight, a growing array kept in order. */
#include "backends-sim/world/evq.h"

#include <stdlib.h>
#include <string.h>

void evq_push(struct evq *q, domid_t d, evtchn_port_t port)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 32;
        struct evq_event *ev = realloc(q->ev, cap * sizeof(*ev));
        if (!ev)
            return;
        q->ev = ev;
        q->cap = cap;
    }
    q->ev[q->n++] = (struct evq_event){ .dom = d, .port = port };
}

/* Index of the oldest notification for dom, or q->n. */
static size_t first(const struct evq *q, domid_t dom)
{
    size_t i = 0;
    while (i < q->n && q->ev[i].dom != dom)
        i++;
    return i;
}

bool evq_has(const struct evq *q, domid_t dom)
{
    return first(q, dom) < q->n;
}

struct evq_event evq_take(struct evq *q, domid_t dom)
{
    size_t i = first(q, dom);
    struct evq_event ev = q->ev[i];
    memmove(&q->ev[i], &q->ev[i + 1], (q->n - i - 1) * sizeof(ev));
    q->n--;
    return ev;
}

void evq_drop(struct evq *q, domid_t dom)
{
    while (evq_has(q, dom))
        (void)evq_take(q, dom);
}

void evq_free(struct evq *q)
{
    free(q->ev);
    *q = (struct evq){ 0 };
}
