/*
 * sync.c: `certsweep orders sync`: open findings -> one order per certificate lineage.
 *
 * 1. Read every open finding of orders_sync_kinds with the certificate it asks to replace
 *    (store_each_sync_finding), at most ORDERS_SYNC_MAX_FINDINGS of them.
 * 2. Key each by its SAN set (the lineage key without endpoints) and sort by (SAN set,
 *    endpoint, finding).
 * 3. Each run of one SAN set is one lineage: the distinct endpoints where that SAN set has a
 *    finding, the findings as the reason ("cert.expired#12 issuer.non_preferred#15"), the
 *    certificate (the lowest id among the run's, so the choice is stable), and the full
 *    lineage key (SAN set | endpoints).
 * 4. A lineage with an open order is left alone; otherwise an order is created (Waiting for
 *    CSR, created_by sync, duration orders_default_duration(now)). store_order_create checks
 *    the lineage again inside its transaction, so two syncs at once still create one order.
 *
 * Running it twice therefore creates nothing the second time. A finding that resolves (the
 * certificate was replaced) simply stops producing its lineage; it never closes an order here
 * (that is `orders verify`, later in issue 4).
 */
#include "orders/orders.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

const char *const orders_sync_kinds[] = {
	"cert.expiring", "cert.expired", "issuer.non_preferred", "cert.weak_key",
	"cert.weak_signature", NULL,
};

/* One finding, owned copies. */
struct row {
	int64_t finding_id, endpoint_id, certificate_id;
	char *check_id, *cn, *sans;
	char *san_key;                  /* lineage key of the SAN set alone */
};

struct rows {
	struct row *v;                  /* owned */
	size_t n, cap;
	size_t skipped;
	char *err;                      /* borrowed: the caller's buffer */
	size_t errlen;
};

static void rows_free(struct rows *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].check_id);
		free(r->v[i].cn);
		free(r->v[i].sans);
		free(r->v[i].san_key);
	}
	free(r->v);
}

static int collect(void *arg, const struct sync_finding *f)
{
	struct rows *r = arg;
	struct row *w;
	char kerr[128];

	if (f->sans[0] == '\0' && f->common_name[0] == '\0') {
		r->skipped++;
		return 0;
	}
	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 64;
		struct row *nv;

		if (r->n >= ORDERS_SYNC_MAX_FINDINGS) {
			snprintf(r->err, r->errlen, "more than %d open findings to sync: refusing",
			         ORDERS_SYNC_MAX_FINDINGS);
			return -1;
		}
		nv = realloc(r->v, ncap * sizeof(*nv));
		if (nv == NULL)
			goto oom;
		r->v = nv;
		r->cap = ncap;
	}
	w = &r->v[r->n];
	memset(w, 0, sizeof(*w));
	w->finding_id = f->finding_id;
	w->endpoint_id = f->endpoint_id;
	w->certificate_id = f->certificate_id;
	w->check_id = strdup(f->check_id);
	w->cn = strdup(f->common_name);
	w->sans = strdup(f->sans);
	w->san_key = orders_lineage_key(f->sans, f->common_name, NULL, 0, kerr, sizeof(kerr));
	r->n++; /* counted now so rows_free frees a partly filled row */
	if (w->check_id == NULL || w->cn == NULL || w->sans == NULL || w->san_key == NULL)
		goto oom;
	return 0;
oom:
	snprintf(r->err, r->errlen, "out of memory");
	return -1;
}

static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = strcmp(x->san_key, y->san_key);

	if (c != 0)
		return c;
	if (x->endpoint_id != y->endpoint_id)
		return x->endpoint_id < y->endpoint_id ? -1 : 1;
	return (x->finding_id > y->finding_id) - (x->finding_id < y->finding_id);
}

/* Builds the reason text of rows [lo, hi): "check#id ...". malloc'd; NULL when out of memory. */
static char *reason_text(const struct row *v, size_t lo, size_t hi)
{
	size_t len = 1, used = 0;
	char *out;

	for (size_t i = lo; i < hi; i++)
		len += strlen(v[i].check_id) + 22;
	if ((out = malloc(len)) == NULL)
		return NULL;
	out[0] = '\0';
	for (size_t i = lo; i < hi; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s#%" PRId64, used ? " " : "",
		                         v[i].check_id, v[i].finding_id);
	return out;
}

/* Handles one lineage: rows [lo, hi) share a SAN set. */
static int one_lineage(struct store *st, const struct row *v, size_t lo, size_t hi, time_t now,
                       int dry_run, sync_order_cb cb, void *arg, struct sync_result *res,
                       char *err, size_t errlen)
{
	int64_t *eps = NULL;
	size_t n_eps = 0, best = lo;
	char *key = NULL, *reason = NULL, *sans = NULL;
	struct sync_order so;
	int64_t id = 0;
	int rc, ret = -1;

	eps = malloc((hi - lo) * sizeof(*eps));
	if (eps == NULL)
		goto oom;
	for (size_t i = lo; i < hi; i++) {
		if (n_eps == 0 || eps[n_eps - 1] != v[i].endpoint_id) /* sorted by endpoint */
			eps[n_eps++] = v[i].endpoint_id;
		if (v[i].certificate_id != 0 &&
		    (v[best].certificate_id == 0 || v[i].certificate_id < v[best].certificate_id))
			best = i;
	}
	key = orders_lineage_key(v[best].sans, v[best].cn, eps, n_eps, err, errlen);
	if (key == NULL)
		goto out;
	if ((reason = reason_text(v, lo, hi)) == NULL || (sans = orders_sans_text(v[best].sans)) == NULL)
		goto oom;
	memset(&so, 0, sizeof(so));
	so.lineage_key = key;
	so.common_name = v[best].cn[0] != '\0' ? v[best].cn : sans;
	so.sans = sans;
	so.reason = reason;
	so.endpoint_ids = eps;
	so.n_endpoints = n_eps;
	so.certificate_id = v[best].certificate_id;
	so.duration_days = orders_default_duration(now);
	rc = store_order_open_lineage(st, key, &id);
	if (rc < 0) {
		snprintf(err, errlen, "%s", store_errmsg(st));
		goto out;
	}
	if (rc == 0 && !dry_run) {
		struct order_new on = {
			.lineage_key = key,
			.status = order_status_name(ORDER_WAITING_CSR),
			.duration_days = so.duration_days,
			.common_name = so.common_name,
			.sans = sans,
			.reason = reason,
			.certificate_id = so.certificate_id,
			.created_by = "sync",
			.endpoint_ids = eps,
			.n_endpoints = n_eps,
			.note = "created by orders sync",
		};

		rc = store_order_create(st, &on, &id);
		if (rc < 0) {
			snprintf(err, errlen, "%s", store_errmsg(st));
			goto out;
		}
	}
	so.order_id = id;
	so.existing = rc == 1;
	if (so.existing)
		res->existing++;
	else
		res->created++;
	if (cb != NULL)
		cb(arg, &so);
	ret = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	free(eps);
	free(key);
	free(reason);
	free(sans);
	return ret;
}

int orders_sync(struct store *st, time_t now, int dry_run, sync_order_cb cb, void *arg,
                struct sync_result *res, char *err, size_t errlen)
{
	struct rows r = { .err = err, .errlen = errlen };
	int ret = -1;

	memset(res, 0, sizeof(*res));
	err[0] = '\0';
	if (store_each_sync_finding(st, orders_sync_kinds, collect, &r) != 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "%s", store_errmsg(st));
		goto out;
	}
	res->findings = r.n + r.skipped;
	res->skipped = r.skipped;
	if (r.n > 0)
		qsort(r.v, r.n, sizeof(*r.v), cmp_row);
	for (size_t lo = 0, hi; lo < r.n; lo = hi) {
		for (hi = lo + 1; hi < r.n && strcmp(r.v[hi].san_key, r.v[lo].san_key) == 0; hi++)
			;
		res->lineages++;
		if (one_lineage(st, r.v, lo, hi, now, dry_run, cb, arg, res, err, errlen) != 0)
			goto out;
	}
	ret = 0;
out:
	rows_free(&r);
	return ret;
}
