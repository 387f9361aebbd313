/* Connections, domains, transactions and the dispatch of xs_wire
 * messages to the node operations. */
#include "backends-sim/xenstored/xs_internal.h"
#include "backends-sim/xenstored/xs_path.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct xsd_errors *errtab(size_t *n)
{
	*n = sizeof(xsd_errors) / sizeof(xsd_errors[0]);
	return xsd_errors;
}

const char *xs_errname(int err)
{
	size_t n;
	const struct xsd_errors *e = errtab(&n);

	for (size_t i = 0; i < n; i++)
		if (e[i].errnum == err)
			return e[i].errstring;
	return "EINVAL";
}

int xs_errnum(const char *name)
{
	size_t n;
	const struct xsd_errors *e = errtab(&n);

	for (size_t i = 0; i < n; i++)
		if (strcmp(e[i].errstring, name) == 0)
			return e[i].errnum;
	return 0;
}

void xs_trace(struct xs_core *c, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!c->hooks.trace)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->hooks.trace(c->hooks.ctx, line);
}

struct xs_domain *xs_domain_find(struct xs_core *c, unsigned domid)
{
	for (struct xs_domain *d = c->domains; d; d = d->next)
		if (d->domid == domid)
			return d;
	return NULL;
}

struct xs_domain *xs_domain_get(struct xs_core *c, unsigned domid)
{
	struct xs_domain *d = xs_domain_find(c, domid);

	if (d)
		return d;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->domid = domid;
	d->target = XS_NO_TARGET;
	d->next = c->domains;
	c->domains = d;
	return d;
}

struct xs_special *xs_special_find(struct xs_core *c, const char *name)
{
	for (size_t i = 0; i < 2; i++)
		if (strcmp(c->special[i].name, name) == 0)
			return &c->special[i];
	return NULL;
}

static int seed(struct xs_core *c, const char *path, const char *v)
{
	struct xs_opctx x = { c, c->tree, 0, XS_NO_TARGET, false, false, true };
	return xs_op_write(&x, path, v, strlen(v));
}

struct xs_core *xs_core_new(const struct xs_core_hooks *hooks)
{
	static const struct xs_quota xen = { 1000, 2048, 128, 10, 5, 2048, 1024 };
	struct xs_core *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (hooks)
		c->hooks = *hooks;
	c->quota = xen;
	c->next_txid = 1;
	c->special[0].name = "@introduceDomain";
	c->special[1].name = "@releaseDomain";
	for (size_t i = 0; i < 2; i++) {
		c->special[i].perms = calloc(1, sizeof(struct xs_perm));
		c->special[i].nperms = 1;
	}
	c->tree = xs_tree_new(&c->gen);
	if (!c->tree || !c->special[0].perms || !c->special[1].perms ||
	    !xs_domain_get(c, 0) || seed(c, "/tool/xenstored", "") ||
	    seed(c, "/local/domain/0/domid", "0") ||
	    seed(c, "/local/domain/0/name", "Domain-0")) {
		xs_core_free(c);
		return NULL;
	}
	xs_domain_find(c, 0)->introduced = true;
	return c;
}

static void txn_free(struct xs_conn *conn, struct xs_txn *t)
{
	struct xs_domain *d = xs_domain_find(conn->core, conn->domid);

	if (d && d->transactions)
		d->transactions--;
	while (t->ops) {
		struct xs_op *o = t->ops;
		t->ops = o->next;
		free(o->path);
		free(o->data);
		free(o);
	}
	xs_tree_free(t->tree);
	free(t);
}

static void txn_drop_all(struct xs_conn *conn)
{
	while (conn->txns) {
		struct xs_txn *t = conn->txns;
		conn->txns = t->next;
		txn_free(conn, t);
	}
}

void xs_core_free(struct xs_core *c)
{
	if (!c)
		return;
	while (c->conns)
		xs_core_disconnect(c->conns);
	while (c->domains) {
		struct xs_domain *d = c->domains;
		c->domains = d->next;
		free(d);
	}
	for (size_t i = 0; i < c->nevents; i++)
		free(c->events[i].body);
	free(c->events);
	free(c->special[0].perms);
	free(c->special[1].perms);
	xs_tree_free(c->tree);
	free(c);
}

struct xs_quota *xs_core_quota(struct xs_core *c)
{
	return &c->quota;
}

struct xs_conn *xs_core_connect(struct xs_core *c, unsigned domid,
                                xs_send_fn *send, void *ctx)
{
	struct xs_conn *conn;

	if (!xs_domain_get(c, domid))
		return NULL;
	conn = calloc(1, sizeof(*conn));
	if (!conn)
		return NULL;
	conn->core = c;
	conn->domid = domid;
	conn->send = send;
	conn->ctx = ctx;
	conn->next = c->conns;
	if (c->conns)
		c->conns->prev = conn;
	c->conns = conn;
	return conn;
}

void xs_core_disconnect(struct xs_conn *conn)
{
	struct xs_core *c;

	if (!conn)
		return;
	c = conn->core;
	xs_watch_drop_all(conn);
	txn_drop_all(conn);
	xs_events_forget(c, conn);
	if (conn->prev)
		conn->prev->next = conn->next;
	else
		c->conns = conn->next;
	if (conn->next)
		conn->next->prev = conn->prev;
	free(conn);
}

bool xs_core_conn_dead(const struct xs_conn *conn)
{
	return conn->dead;
}

unsigned xs_core_conn_domid(const struct xs_conn *conn)
{
	return conn->domid;
}

bool xs_core_is_introduced(const struct xs_core *c, unsigned domid)
{
	for (const struct xs_domain *d = c->domains; d; d = d->next)
		if (d->domid == domid)
			return d->introduced;
	return false;
}

unsigned xs_core_nodes(const struct xs_core *c)
{
	return xs_tree_count(c->tree);
}

unsigned xs_core_nodes_owned(const struct xs_core *c, unsigned domid)
{
	return xs_tree_owned(c->tree, domid);
}

/* ---- replies ---- */

static void reply(struct xs_conn *conn, const struct xsd_sockmsg *req,
                  uint32_t type, const void *body, size_t len)
{
	struct xsd_sockmsg hdr = { type, req->req_id, req->tx_id, (uint32_t)len };
	conn->send(conn->ctx, &hdr, body);
}

static void reply_err(struct xs_conn *conn, const struct xsd_sockmsg *req,
                      int err)
{
	const char *s = xs_errname(err);
	reply(conn, req, XS_ERROR, s, strlen(s) + 1);
}

static void reply_str(struct xs_conn *conn, const struct xsd_sockmsg *req,
                      const char *s)
{
	reply(conn, req, req->type, s, strlen(s) + 1);
}

/* ---- argument parsing ---- */

/* Splits body into NUL-terminated strings; returns how many, or -1 if the
 * body does not end with a NUL. */
static int split(const char *body, size_t len, const char **v, int max)
{
	int n = 0;
	size_t i = 0;

	if (len == 0 || body[len - 1] != '\0')
		return -1;
	while (i < len) {
		if (n < max)
			v[n] = body + i;
		n++;
		i += strlen(body + i) + 1;
	}
	return n;
}

/* Exactly one string filling the body. */
static const char *onearg(const char *body, size_t len)
{
	const char *v[1];
	return split(body, len, v, 1) == 1 ? v[0] : NULL;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_domid(const char *s, unsigned *domid)
{
	unsigned long v;

	if (!parse_uint(s, DOMID_FIRST_RESERVED - 1, &v))
		return false;
	*domid = (unsigned)v;
	return true;
}

static int resolve(struct xs_conn *conn, const char *in, bool special,
                   char *out, bool *rel)
{
	size_t max = conn->domid ? conn->core->quota.path : 0;
	int err = xs_path_resolve(conn->domid, in, special, max, out, rel);

	if (err)
		xs_trace(conn->core, "dom%u: bad path \"%.80s\"", conn->domid, in);
	return err;
}

/* ---- transactions ---- */

static struct xs_txn *txn_find(struct xs_conn *conn, uint32_t id)
{
	for (struct xs_txn *t = conn->txns; t; t = t->next)
		if (t->id == id)
			return t;
	return NULL;
}

static int txn_log(struct xs_txn *t, uint32_t type, const char *path,
                   const char *data, size_t len)
{
	struct xs_op *o = calloc(1, sizeof(*o));

	if (!o)
		return ENOMEM;
	o->type = type;
	o->path = strdup(path);
	o->data = malloc(len ? len : 1);
	if (!o->path || !o->data) {
		free(o->path);
		free(o->data);
		free(o);
		return ENOMEM;
	}
	memcpy(o->data, data, len);
	o->len = len;
	*t->tail = o;
	t->tail = &o->next;
	return 0;
}

static int txn_start(struct xs_conn *conn, uint32_t *id)
{
	struct xs_core *c = conn->core;
	struct xs_domain *d = xs_domain_get(c, conn->domid);
	struct xs_txn *t;

	if (!d)
		return ENOMEM;
	if (conn->domid != 0 && d->transactions >= c->quota.transactions) {
		xs_trace(c, "dom%u: transaction quota (%u) reached", conn->domid,
		         c->quota.transactions);
		return ENOSPC;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return ENOMEM;
	t->tree = xs_tree_clone(c->tree, true);
	if (!t->tree) {
		free(t);
		return ENOMEM;
	}
	do {
		t->id = c->next_txid++;
	} while (t->id == 0 || txn_find(conn, t->id));
	t->tail = &t->ops;
	t->next = conn->txns;
	conn->txns = t;
	d->transactions++;
	*id = t->id;
	return 0;
}

/* Commits t: EAGAIN if anything it looked at changed meanwhile. */
static int txn_commit(struct xs_conn *conn, struct xs_txn *t)
{
	struct xs_core *c = conn->core;
	struct xs_domain *d = xs_domain_find(c, conn->domid);
	struct xs_opctx x = { c, c->tree, conn->domid,
	                      d ? d->target : XS_NO_TARGET, false, true,
	                      conn->domid == 0 };
	const struct xs_access *acc;
	unsigned nacc;

	if (t->fail)
		return ENOMEM;
	acc = xs_tree_accesses(t->tree, &nacc);
	for (unsigned i = 0; i < nacc; i++) {
		struct xs_node *n = xs_tree_get(c->tree, acc[i].path);
		if ((n ? n->gen : 0) != acc[i].gen)
			return EAGAIN;
	}
	for (struct xs_op *o = t->ops; o; o = o->next) {
		struct xs_perm *p;
		unsigned np;

		switch (o->type) {
		case XS_WRITE:
			xs_op_write(&x, o->path, o->data, o->len);
			break;
		case XS_MKDIR:
			xs_op_mkdir(&x, o->path);
			break;
		case XS_RM:
			xs_op_rm(&x, o->path);
			break;
		case XS_SET_PERMS:
			if (!xs_perms_parse(o->data, o->len, &p, &np))
				xs_op_set_perms(&x, o->path, p, np);
			break;
		}
	}
	return 0;
}

/* ---- domains ---- */

static int introduce(struct xs_conn *conn, const char *body, size_t len)
{
	struct xs_core *c = conn->core;
	const char *v[3];
	unsigned domid;
	unsigned long mfn, port;
	struct xs_domain *d;
	int err;

	if (split(body, len, v, 3) != 3 || !parse_domid(v[0], &domid) ||
	    domid == 0 || !parse_uint(v[1], ~0ul, &mfn) ||
	    !parse_uint(v[2], 0xffffffffu, &port))
		return EINVAL;
	d = xs_domain_get(c, domid);
	if (!d)
		return ENOMEM;
	if (d->introduced)
		return d->mfn == mfn ? 0 : EINVAL;
	if (c->hooks.introduced && (err = c->hooks.introduced(c->hooks.ctx, domid)))
		return err;
	d->introduced = true;
	d->mfn = mfn;
	xs_watch_fire_special(c, "@introduceDomain");
	return 0;
}

struct owned {
	unsigned domid;
	char **paths;
	size_t n, cap;
};

/* Collects the topmost nodes the domain owns; strips it from the
 * permissions of the others so a later domain with its id gains
 * nothing (XSA-322). */
static bool find_owned(void *ctx, struct xs_node *n)
{
	struct owned *o = ctx;
	char path[XS_PATH_BUF];

	if (n->parent && n->perms[0].domid == o->domid) {
		if (o->n == o->cap) {
			size_t cap = o->cap ? o->cap * 2 : 8;
			char **p = realloc(o->paths, cap * sizeof(*p));
			if (!p)
				return false;
			o->paths = p;
			o->cap = cap;
		}
		if (xs_node_path(n, path, sizeof(path)) &&
		    (o->paths[o->n] = strdup(path)))
			o->n++;
		return false;
	}
	for (unsigned i = 1; i < n->nperms;) {
		if (n->perms[i].domid == o->domid) {
			memmove(n->perms + i, n->perms + i + 1,
			        (n->nperms - i - 1) * sizeof(*n->perms));
			n->nperms--;
		} else {
			i++;
		}
	}
	return true;
}

static int release(struct xs_conn *conn, const char *body, size_t len)
{
	struct xs_core *c = conn->core;
	struct xs_opctx x = { c, c->tree, 0, XS_NO_TARGET, false, true, true };
	const char *arg = onearg(body, len);
	struct owned o = { 0 };
	unsigned domid;
	struct xs_domain *d;

	if (!arg || !parse_domid(arg, &domid) || domid == 0)
		return EINVAL;
	d = xs_domain_find(c, domid);
	if (!d || !d->introduced)
		return ENOENT;
	d->introduced = false;
	d->mfn = 0;
	d->target = XS_NO_TARGET;
	for (struct xs_domain *e = c->domains; e; e = e->next)
		if (e->target == domid)
			e->target = XS_NO_TARGET;
	for (struct xs_conn *k = c->conns; k; k = k->next) {
		if (k->domid != domid)
			continue;
		xs_watch_drop_all(k);
		txn_drop_all(k);
		xs_events_forget(c, k);
		k->dead = true;
	}
	if (c->hooks.released)
		c->hooks.released(c->hooks.ctx, domid);
	o.domid = domid;
	xs_tree_walk(c->tree, find_owned, &o);
	for (size_t i = 0; i < o.n; i++) {
		xs_op_rm(&x, o.paths[i]);
		free(o.paths[i]);
	}
	free(o.paths);
	for (size_t i = 0; i < 2; i++) {
		struct xs_special *s = &c->special[i];
		for (unsigned j = 1; j < s->nperms;)
			if (s->perms[j].domid == domid)
				memmove(s->perms + j, s->perms + j + 1,
				        (--s->nperms - j) * sizeof(*s->perms));
			else
				j++;
	}
	xs_watch_fire_special(c, "@releaseDomain");
	return 0;
}

/* ---- dispatch ---- */

static void do_get(struct xs_conn *conn, struct xs_opctx *x,
                   const struct xsd_sockmsg *h, const char *body)
{
	char path[XS_PATH_BUF], buf[XENSTORE_PAYLOAD_MAX + 64];
	const char *arg = NULL, *v[2];
	unsigned long off = 0;
	const struct xs_node *n;
	bool rel, special = h->type == XS_GET_PERMS;
	int err;

	if (h->type == XS_DIRECTORY_PART) {
		if (split(body, h->len, v, 2) != 2 ||
		    !parse_uint(v[1], 0xffffffffu, &off)) {
			reply_err(conn, h, EINVAL);
			return;
		}
		arg = v[0];
	} else {
		arg = onearg(body, h->len);
	}
	if (!arg || (err = resolve(conn, arg, special, path, &rel))) {
		reply_err(conn, h, EINVAL);
		return;
	}
	if (path[0] == '@') {
		struct xs_special *s = xs_special_find(conn->core, path);
		size_t l;
		if (!s) {
			reply_err(conn, h, ENOENT);
			return;
		}
		l = xs_perms_format(s->perms, s->nperms, buf, sizeof(buf));
		reply(conn, h, h->type, buf, l);
		return;
	}
	n = xs_op_get(x, path, XSP_READ, &err);
	if (!n) {
		reply_err(conn, h, err);
		return;
	}
	switch (h->type) {
	case XS_READ:
		reply(conn, h, h->type, n->value, n->vlen);
		return;
	case XS_GET_PERMS: {
		size_t l = xs_perms_format(n->perms, n->nperms, buf, sizeof(buf));
		if (!l || l > XENSTORE_PAYLOAD_MAX)
			reply_err(conn, h, E2BIG);
		else
			reply(conn, h, h->type, buf, l);
		return;
	}
	case XS_DIRECTORY: {
		size_t l = 0;
		if (xs_node_children_size(n) > XENSTORE_PAYLOAD_MAX) {
			reply_err(conn, h, E2BIG);
			return;
		}
		for (unsigned i = 0; i < n->nkids; i++) {
			size_t k = strlen(n->kids[i]->name) + 1;
			memcpy(buf + l, n->kids[i]->name, k);
			l += k;
		}
		reply(conn, h, h->type, buf, l);
		return;
	}
	default: { /* XS_DIRECTORY_PART: generation, then names from off */
		size_t l = (size_t)snprintf(buf, sizeof(buf), "%llu",
		                            (unsigned long long)n->gen) + 1;
		size_t pos = 0;
		unsigned i = 0;
		for (; i < n->nkids && pos < off; i++)
			pos += strlen(n->kids[i]->name) + 1;
		if (pos != off) {
			reply_err(conn, h, EINVAL);
			return;
		}
		for (; i < n->nkids; i++) {
			size_t k = strlen(n->kids[i]->name) + 1;
			/* keep room for the final empty string */
			if (l + k + 1 > XENSTORE_PAYLOAD_MAX)
				break;
			memcpy(buf + l, n->kids[i]->name, k);
			l += k;
		}
		if (i == n->nkids)
			buf[l++] = '\0';
		reply(conn, h, h->type, buf, l);
		return;
	}
	}
}

/* WRITE, MKDIR, RM, SET_PERMS: applied, or logged in the transaction. */
static void do_change(struct xs_conn *conn, struct xs_opctx *x,
                      struct xs_txn *t, const struct xsd_sockmsg *h,
                      const char *body)
{
	char path[XS_PATH_BUF];
	const char *arg = body, *data = "";
	size_t dlen = 0, alen;
	bool rel;
	int err;

	alen = strnlen(body, h->len);
	if (alen == h->len) {
		reply_err(conn, h, EINVAL); /* no NUL after the path */
		return;
	}
	if (h->type == XS_WRITE || h->type == XS_SET_PERMS) {
		data = body + alen + 1;
		dlen = h->len - alen - 1;
	} else if (alen + 1 != h->len) {
		reply_err(conn, h, EINVAL);
		return;
	}
	if (resolve(conn, arg, h->type == XS_SET_PERMS, path, &rel)) {
		reply_err(conn, h, EINVAL);
		return;
	}
	switch (h->type) {
	case XS_WRITE:
		err = xs_op_write(x, path, data, dlen);
		break;
	case XS_MKDIR:
		err = xs_op_mkdir(x, path);
		break;
	case XS_RM:
		err = xs_op_rm(x, path);
		break;
	default: {
		struct xs_perm *p;
		unsigned np;
		if ((err = xs_perms_parse(data, dlen, &p, &np)))
			break;
		if (path[0] == '@') {
			struct xs_special *s = xs_special_find(conn->core, path);
			if (!s) {
				free(p);
				err = ENOENT;
			} else if (conn->domid != 0) {
				free(p);
				err = EACCES;
			} else {
				free(s->perms);
				s->perms = p;
				s->nperms = np;
			}
			break;
		}
		err = xs_op_set_perms(x, path, p, np);
		break;
	}
	}
	if (!err && t) {
		unsigned nacc;
		xs_tree_accesses(t->tree, &nacc);
		if (conn->domid != 0 && nacc > conn->core->quota.tx_nodes)
			err = ENOSPC;
		else
			err = txn_log(t, h->type, path, data, dlen);
	}
	if (err == ENOMEM && t)
		t->fail = true;
	if (err)
		reply_err(conn, h, err);
	else
		reply_str(conn, h, "OK");
}

static void do_watch(struct xs_conn *conn, const struct xsd_sockmsg *h,
                     const char *body)
{
	char path[XS_PATH_BUF];
	const char *v[2];
	bool rel;
	int err;

	if (split(body, h->len, v, 2) != 2 ||
	    resolve(conn, v[0], true, path, &rel)) {
		reply_err(conn, h, EINVAL);
		return;
	}
	if (h->type == XS_UNWATCH) {
		err = xs_watch_del(conn, path, v[1]);
	} else {
		err = xs_watch_add(conn, path, v[1],
		                   rel ? xs_path_home_len(conn->domid) : 0);
	}
	if (err) {
		reply_err(conn, h, err);
		return;
	}
	reply_str(conn, h, "OK");
	if (h->type == XS_WATCH)
		xs_event_queue(conn, v[0], v[1]);
}

static void do_control(struct xs_conn *conn, const struct xsd_sockmsg *h,
                       const char *body)
{
	struct xs_core *c = conn->core;
	const char *v[2];
	int n = split(body, h->len, v, 2);
	char buf[512];

	if (n < 1) {
		reply_err(conn, h, EINVAL);
		return;
	}
	if (strcmp(v[0], "check") == 0 && n == 1) {
		reply_str(conn, h, "OK");
	} else if (strcmp(v[0], "print") == 0 && n == 2) {
		xs_trace(c, "control: %s", v[1]);
		reply_str(conn, h, "OK");
	} else if (strcmp(v[0], "quota") == 0 && n == 1) {
		snprintf(buf, sizeof(buf),
		         "Nodes per domain: %u\nNode size: %u\n"
		         "Watches per domain: %u\nTransactions per domain: %u\n"
		         "Permissions per node: %u\nPath length: %u\n"
		         "Nodes per transaction: %u\n",
		         c->quota.nodes, c->quota.node_size, c->quota.watches,
		         c->quota.transactions, c->quota.perms, c->quota.path,
		         c->quota.tx_nodes);
		reply_str(conn, h, buf);
	} else if (strcmp(v[0], "help") == 0 && n == 1) {
		reply_str(conn, h, "check\nhelp\nprint <string>\nquota\n");
	} else {
		reply_err(conn, h, EINVAL);
	}
}

static void do_domain(struct xs_conn *conn, const struct xsd_sockmsg *h,
                      const char *body)
{
	struct xs_core *c = conn->core;
	const char *arg = onearg(body, h->len), *v[2];
	unsigned domid, target;
	struct xs_domain *d;
	char buf[64];

	switch (h->type) {
	case XS_GET_DOMAIN_PATH:
		if (!arg || !parse_domid(arg, &domid)) {
			reply_err(conn, h, EINVAL);
			return;
		}
		snprintf(buf, sizeof(buf), "/local/domain/%u", domid);
		reply_str(conn, h, buf);
		return;
	case XS_IS_DOMAIN_INTRODUCED:
		if (!arg || !parse_domid(arg, &domid)) {
			reply_err(conn, h, EINVAL);
			return;
		}
		reply_str(conn, h, xs_core_is_introduced(c, domid) ? "T" : "F");
		return;
	case XS_RESUME:
		if (!arg || !parse_domid(arg, &domid)) {
			reply_err(conn, h, EINVAL);
			return;
		}
		if (!xs_core_is_introduced(c, domid)) {
			reply_err(conn, h, ENOENT);
			return;
		}
		reply_str(conn, h, "OK");
		return;
	case XS_SET_TARGET:
		if (split(body, h->len, v, 2) != 2 || !parse_domid(v[0], &domid) ||
		    !parse_domid(v[1], &target)) {
			reply_err(conn, h, EINVAL);
			return;
		}
		if (!xs_core_is_introduced(c, domid) ||
		    !xs_core_is_introduced(c, target)) {
			reply_err(conn, h, ENOENT);
			return;
		}
		d = xs_domain_find(c, domid);
		d->target = target;
		reply_str(conn, h, "OK");
		return;
	case XS_INTRODUCE: {
		int err = introduce(conn, body, h->len);
		if (err)
			reply_err(conn, h, err);
		else
			reply_str(conn, h, "OK");
		return;
	}
	default: { /* XS_RELEASE */
		int err = release(conn, body, h->len);
		if (err)
			reply_err(conn, h, err);
		else
			reply_str(conn, h, "OK");
		return;
	}
	}
}

static bool privileged_only(uint32_t type)
{
	switch (type) {
	case XS_CONTROL: case XS_INTRODUCE: case XS_RELEASE:
	case XS_IS_DOMAIN_INTRODUCED: case XS_RESUME: case XS_SET_TARGET:
		return true;
	default:
		return false;
	}
}

int xs_core_handle(struct xs_conn *conn, const struct xsd_sockmsg *h,
                   const char *body)
{
	struct xs_core *c = conn->core;
	struct xs_domain *d;
	struct xs_txn *t = NULL;
	struct xs_opctx x;
	const char *arg;

	if (conn->dead)
		return -1;
	if (h->len > XENSTORE_PAYLOAD_MAX) {
		xs_trace(c, "dom%u: message of %u bytes, over %u: disconnected",
		         conn->domid, h->len, XENSTORE_PAYLOAD_MAX);
		return -1;
	}
	d = xs_domain_find(c, conn->domid);
	x = (struct xs_opctx){ c, c->tree, conn->domid,
	                       d ? d->target : XS_NO_TARGET, true, true,
	                       conn->domid == 0 };
	switch (h->type) {
	case XS_WATCH: case XS_UNWATCH: case XS_RESET_WATCHES:
	case XS_TRANSACTION_START:
		break; /* these ignore tx_id, as Xen's do */
	default:
		if (h->tx_id) {
			t = txn_find(conn, h->tx_id);
			if (!t) {
				reply_err(conn, h, ENOENT);
				goto out;
			}
			x.t = t->tree;
			x.fire = false;
		}
	}
	if (h->type >= XS_TYPE_COUNT || h->type == XS_WATCH_EVENT ||
	    h->type == XS_ERROR || h->type == XS_RESET_WATCHES - 1) {
		xs_trace(c, "dom%u: unknown message type %u", conn->domid, h->type);
		reply_err(conn, h, ENOSYS);
		goto out;
	}
	if (privileged_only(h->type) && conn->domid != 0) {
		xs_trace(c, "dom%u: privileged message type %u refused",
		         conn->domid, h->type);
		reply_err(conn, h, EACCES);
		goto out;
	}
	switch (h->type) {
	case XS_READ: case XS_DIRECTORY: case XS_DIRECTORY_PART:
	case XS_GET_PERMS:
		do_get(conn, &x, h, body);
		break;
	case XS_WRITE: case XS_MKDIR: case XS_RM: case XS_SET_PERMS:
		do_change(conn, &x, t, h, body);
		break;
	case XS_WATCH: case XS_UNWATCH:
		do_watch(conn, h, body);
		break;
	case XS_RESET_WATCHES:
		xs_watch_drop_all(conn);
		txn_drop_all(conn);
		reply_str(conn, h, "OK");
		break;
	case XS_TRANSACTION_START: {
		uint32_t id;
		char buf[16];
		int err;
		if (!onearg(body, h->len)) {
			reply_err(conn, h, EINVAL);
			break;
		}
		if (h->tx_id) {
			reply_err(conn, h, EBUSY);
			break;
		}
		if ((err = txn_start(conn, &id))) {
			reply_err(conn, h, err);
			break;
		}
		snprintf(buf, sizeof(buf), "%u", id);
		reply_str(conn, h, buf);
		break;
	}
	case XS_TRANSACTION_END: {
		int err;
		arg = onearg(body, h->len);
		if (!t) {
			reply_err(conn, h, ENOENT);
			break;
		}
		if (!arg || (strcmp(arg, "T") && strcmp(arg, "F"))) {
			reply_err(conn, h, EINVAL);
			break;
		}
		err = arg[0] == 'T' ? txn_commit(conn, t) : 0;
		for (struct xs_txn **pt = &conn->txns; *pt; pt = &(*pt)->next)
			if (*pt == t) {
				*pt = t->next;
				break;
			}
		txn_free(conn, t);
		if (err)
			reply_err(conn, h, err);
		else
			reply_str(conn, h, "OK");
		break;
	}
	case XS_CONTROL:
		do_control(conn, h, body);
		break;
	default:
		do_domain(conn, h, body);
		break;
	}
out:
	xs_events_flush(c);
	return 0;
}
