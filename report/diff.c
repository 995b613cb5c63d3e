/*
 * diff.c: what changed between two inventory snapshots (rules in diff.h), as text and JSON.
 *
 * Matching: endpoints by inv_endpoint.id, findings by inv_finding.id. Each side gets a sorted
 * index of (id, array position) that the other side looks up with bsearch, so a diff of two
 * 100,000-endpoint snapshots costs O(n log n). Leaf certificates are compared by SHA-256 (the
 * two snapshots number their certificates independently). The changed list follows B's order.
 *
 * Output: every string from the inventory is attacker-controlled. The text writer passes each
 * through text_terminal (bounded buffers: a longer value is cut); the JSON writer through
 * ndjson_text (invalid UTF-8 becomes U+FFFD, so jansson never refuses a string).
 */
#include "report/diff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/text.h"
#include "report/ndjson.h"

/* ---------------------------------------------------------------- id index */

struct id_slot {
	int64_t id;
	size_t pos;          /* position in the snapshot's array */
};

static int slot_cmp(const void *x, const void *y)
{
	const struct id_slot *a = x, *b = y;

	return (a->id > b->id) - (a->id < b->id);
}

/* The int64_t id at id_offset of each of the n records (stride bytes apart) at base, sorted by
 * id with each record's position; NULL when memory runs out. Caller frees. */
static struct id_slot *index_build(const void *base, size_t n, size_t stride, size_t id_offset)
{
	struct id_slot *ix = calloc(n > 0 ? n : 1, sizeof(*ix));

	if (ix == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const unsigned char *rec = (const unsigned char *)base + i * stride;

		memcpy(&ix[i].id, rec + id_offset, sizeof(int64_t));
		ix[i].pos = i;
	}
	qsort(ix, n, sizeof(*ix), slot_cmp);
	return ix;
}

/* The position of id in the indexed array, or INV_NONE. */
static size_t index_find(const struct id_slot *ix, size_t n, int64_t id)
{
	const struct id_slot key = { .id = id };
	const struct id_slot *hit = n > 0 ? bsearch(&key, ix, n, sizeof(*ix), slot_cmp) : NULL;

	return hit != NULL ? hit->pos : INV_NONE;
}

/* ---------------------------------------------------------------- compute */

static int ep_up(const struct inventory *inv, size_t i)
{
	return i != INV_NONE && i < inv->n_endpoints && strcmp(inv->endpoints[i].status, "ok") == 0;
}

/* The endpoint's leaf certificate, or NULL. */
static const struct inv_cert *leaf_of(const struct inventory *inv, size_t ep)
{
	size_t c = inv->endpoints[ep].leaf;

	return c != INV_NONE && c < inv->n_certs ? &inv->certs[c] : NULL;
}

/* A list of at most n indices (never a NULL pointer for n = 0). */
static size_t *idx_alloc(size_t n)
{
	return calloc(n > 0 ? n : 1, sizeof(size_t));
}

int diff_compute(const struct inventory *a, const struct inventory *b, struct diff_result *d)
{
	/* Owned here, freed at out: the four indices. */
	struct id_slot *ea = NULL, *eb = NULL, *fa = NULL, *fb = NULL;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	d->a = a;
	d->b = b;
	ea = index_build(a->endpoints, a->n_endpoints, sizeof(*a->endpoints),
	                 offsetof(struct inv_endpoint, id));
	eb = index_build(b->endpoints, b->n_endpoints, sizeof(*b->endpoints),
	                 offsetof(struct inv_endpoint, id));
	fa = index_build(a->findings, a->n_findings, sizeof(*a->findings),
	                 offsetof(struct inv_finding, id));
	fb = index_build(b->findings, b->n_findings, sizeof(*b->findings),
	                 offsetof(struct inv_finding, id));
	d->new_eps = idx_alloc(b->n_endpoints);
	d->vanished_eps = idx_alloc(a->n_endpoints);
	d->vanished_now = idx_alloc(a->n_endpoints);
	d->changed = calloc(b->n_endpoints > 0 ? b->n_endpoints : 1, sizeof(*d->changed));
	d->new_findings = idx_alloc(b->n_findings);
	d->resolved_findings = idx_alloc(a->n_findings);
	if (ea == NULL || eb == NULL || fa == NULL || fb == NULL || d->new_eps == NULL ||
	    d->vanished_eps == NULL || d->vanished_now == NULL || d->changed == NULL ||
	    d->new_findings == NULL || d->resolved_findings == NULL)
		goto out;

	for (size_t i = 0; i < b->n_endpoints; i++) {
		size_t in_a = index_find(ea, a->n_endpoints, b->endpoints[i].id);
		const struct inv_cert *ca, *cb;

		if (!ep_up(b, i))
			continue;
		if (!ep_up(a, in_a)) {
			d->new_eps[d->n_new_eps++] = i;
			continue;
		}
		ca = leaf_of(a, in_a);
		cb = leaf_of(b, i);
		if (ca != NULL && cb != NULL && strcmp(ca->sha256, cb->sha256) != 0)
			d->changed[d->n_changed++] = (struct diff_change){
				.ep_a = in_a, .ep_b = i, .cert_a = a->endpoints[in_a].leaf,
				.cert_b = b->endpoints[i].leaf, .renewed = strcmp(ca->issuer, cb->issuer) == 0,
			};
	}
	for (size_t i = 0; i < a->n_endpoints; i++) {
		size_t in_b = index_find(eb, b->n_endpoints, a->endpoints[i].id);

		if (ep_up(a, i) && !ep_up(b, in_b)) {
			d->vanished_now[d->n_vanished_eps] = in_b;
			d->vanished_eps[d->n_vanished_eps++] = i;
		}
	}
	for (size_t i = 0; i < b->n_findings; i++)
		if (index_find(fa, a->n_findings, b->findings[i].id) == INV_NONE)
			d->new_findings[d->n_new_findings++] = i;
	for (size_t i = 0; i < a->n_findings; i++) {
		const struct inv_finding *f = &a->findings[i];

		if (index_find(fb, b->n_findings, f->id) != INV_NONE || f->endpoint >= a->n_endpoints)
			continue;
		/* Only an endpoint that answered in B tells that the finding is gone. */
		if (ep_up(b, index_find(eb, b->n_endpoints, a->endpoints[f->endpoint].id)))
			d->resolved_findings[d->n_resolved_findings++] = i;
	}
	rc = 0;
out:
	free(ea);
	free(eb);
	free(fa);
	free(fb);
	if (rc != 0) {
		diff_free(d);
		d->a = a;
		d->b = b;
	}
	return rc;
}

void diff_free(struct diff_result *d)
{
	if (d == NULL)
		return;
	free(d->new_eps);
	free(d->vanished_eps);
	free(d->vanished_now);
	free(d->changed);
	free(d->new_findings);
	free(d->resolved_findings);
	memset(d, 0, sizeof(*d));
}

int diff_empty(const struct diff_result *d)
{
	return d == NULL || (d->n_new_eps == 0 && d->n_vanished_eps == 0 && d->n_changed == 0 &&
	                     d->n_new_findings == 0 && d->n_resolved_findings == 0);
}

/* ---------------------------------------------------------------- text */

/* Terminal-safe copies of inventory strings; a value longer than the buffer is cut. */
#define SAFE_LEN 512

/* "127.0.0.1:443 (good.test) starttls smtp", "[::1]:443": the endpoint made terminal-safe. */
static void ep_label(char *dst, size_t len, const struct inventory *inv, size_t ep)
{
	char ip[SAFE_LEN], name[SAFE_LEN], st[SAFE_LEN];
	const struct inv_endpoint *e;

	if (ep >= inv->n_endpoints) {
		snprintf(dst, len, "(unknown endpoint)");
		return;
	}
	e = &inv->endpoints[ep];
	text_terminal(ip, sizeof(ip), e->ip);
	text_terminal(name, sizeof(name), e->sni[0] != '\0' ? e->sni : e->host);
	text_terminal(st, sizeof(st), e->starttls);
	snprintf(dst, len, strchr(e->ip, ':') != NULL ? "[%s]:%d%s%s%s%s%s" : "%s:%d%s%s%s%s%s", ip,
	         e->port, name[0] ? " (" : "", name, name[0] ? ")" : "", st[0] ? " starttls " : "", st);
}

/* "CN x", else the whole subject, else "(no subject)"; NULL cert: "no certificate". */
static void cert_label(char *dst, size_t len, const struct inv_cert *c)
{
	char safe[SAFE_LEN];

	if (c == NULL) {
		snprintf(dst, len, "no certificate");
	} else if (c->subject_cn[0] != '\0') {
		text_terminal(safe, sizeof(safe), c->subject_cn);
		snprintf(dst, len, "CN %s", safe);
	} else if (c->subject[0] != '\0') {
		text_terminal(safe, sizeof(safe), c->subject);
		snprintf(dst, len, "%s", safe);
	} else {
		snprintf(dst, len, "(no subject)");
	}
}

/* The issuer's CN, else its whole name, else "(no issuer)". */
static void issuer_label(char *dst, size_t len, const struct inv_cert *c)
{
	const char *s = c->issuer_cn[0] != '\0' ? c->issuer_cn : c->issuer;

	if (s[0] == '\0')
		snprintf(dst, len, "(no issuer)");
	else
		text_terminal(dst, len, s);
}

/* The date part of the expiry ("2027-03-01"), or "unknown". */
static void expiry_label(char *dst, size_t len, const struct inv_cert *c)
{
	char date[16];
	size_t n = strcspn(c->not_after, "T ");

	if (c->not_after[0] == '\0') {
		snprintf(dst, len, "unknown");
		return;
	}
	snprintf(date, sizeof(date), "%.*s", (int)(n < 10 ? n : 10), c->not_after);
	text_terminal(dst, len, date);
}

/* "scan 12 (nightly, started 2026-11-20T02:00:00Z)", or for several scans
 * "7 scans, ids 3 to 9 (nightly, started 2026-11-20T02:00:00Z to 2026-11-27T02:00:00Z)". */
static void side_label(char *dst, size_t len, const struct inventory *inv)
{
	char name[SAFE_LEN], first[32], last[32];
	int64_t lo, hi;
	const char *common;

	if (inv->n_scans == 0) {
		snprintf(dst, len, "no scan");
		return;
	}
	common = inv->scans[0].name;
	lo = hi = inv->scans[0].started;
	for (size_t i = 1; i < inv->n_scans; i++) {
		if (common != NULL && strcmp(common, inv->scans[i].name) != 0)
			common = NULL;
		lo = inv->scans[i].started < lo ? inv->scans[i].started : lo;
		hi = inv->scans[i].started > hi ? inv->scans[i].started : hi;
	}
	if (common == NULL)
		snprintf(name, sizeof(name), "several names");
	else if (common[0] == '\0')
		snprintf(name, sizeof(name), "ad-hoc");
	else
		text_terminal(name, sizeof(name), common);
	iso8601_utc(first, sizeof(first), (time_t)lo);
	iso8601_utc(last, sizeof(last), (time_t)hi);
	if (inv->n_scans == 1)
		snprintf(dst, len, "scan %lld (%s, started %s)", (long long)inv->scans[0].id, name, first);
	else
		snprintf(dst, len, "%zu scans, ids %lld to %lld (%s, started %s to %s)", inv->n_scans,
		         (long long)inv->scans[0].id, (long long)inv->scans[inv->n_scans - 1].id, name,
		         first, last);
}

static void heading(FILE *out, const char *title, size_t n)
{
	fprintf(out, "\n%s (%zu)\n", title, n);
}

/* "  [high] cert.expired  127.0.0.1:443 (good.test)  message" */
static void finding_line(FILE *out, const struct inventory *inv, size_t i)
{
	const struct inv_finding *f = &inv->findings[i];
	char sev[64], check[SAFE_LEN], ep[3 * SAFE_LEN], msg[2 * SAFE_LEN];

	text_terminal(sev, sizeof(sev), f->severity);
	text_terminal(check, sizeof(check), f->check_id);
	ep_label(ep, sizeof(ep), inv, f->endpoint);
	text_terminal(msg, sizeof(msg), f->message);
	fprintf(out, "  [%s] %s  %s  %s\n", sev, check, ep, msg);
}

static void change_line(FILE *out, const struct diff_result *d, const struct diff_change *c)
{
	const struct inv_cert *ca = &d->a->certs[c->cert_a], *cb = &d->b->certs[c->cert_b];
	char ep[3 * SAFE_LEN], la[SAFE_LEN + 8], lb[SAFE_LEN + 8], ia[SAFE_LEN], ib[SAFE_LEN];
	char xa[32], xb[32];

	ep_label(ep, sizeof(ep), d->b, c->ep_b);
	cert_label(la, sizeof(la), ca);
	cert_label(lb, sizeof(lb), cb);
	expiry_label(xa, sizeof(xa), ca);
	expiry_label(xb, sizeof(xb), cb);
	if (c->renewed) {
		fprintf(out, "  %s  %s -> %s  renewed, same issuer; not after %s -> %s\n", ep, la, lb,
		        xa, xb);
	} else {
		issuer_label(ia, sizeof(ia), ca);
		issuer_label(ib, sizeof(ib), cb);
		fprintf(out, "  %s  %s -> %s  replaced, issuer %s -> %s; not after %s -> %s\n", ep, la,
		        lb, ia, ib, xa, xb);
	}
}

int diff_write_text(const struct diff_result *d, FILE *out)
{
	char sa[2 * SAFE_LEN], sb[2 * SAFE_LEN], ep[3 * SAFE_LEN], cert[SAFE_LEN + 8];
	char st[SAFE_LEN], exp[32];

	if (d == NULL || d->a == NULL || d->b == NULL)
		return -1;
	side_label(sa, sizeof(sa), d->a);
	side_label(sb, sizeof(sb), d->b);
	fprintf(out, "A = %s; B = %s\n", sa, sb);
	if (diff_empty(d))
		fprintf(out, "\nNo changes between scan A and scan B.\n");
	if (d->n_new_eps > 0)
		heading(out, "New endpoints", d->n_new_eps);
	for (size_t i = 0; i < d->n_new_eps; i++) {
		const struct inv_cert *c = leaf_of(d->b, d->new_eps[i]);

		ep_label(ep, sizeof(ep), d->b, d->new_eps[i]);
		cert_label(cert, sizeof(cert), c);
		if (c != NULL)
			expiry_label(exp, sizeof(exp), c);
		fprintf(out, "  %s  %s%s%s\n", ep, cert, c != NULL ? ", not after " : "",
		        c != NULL ? exp : "");
	}
	if (d->n_vanished_eps > 0)
		heading(out, "Vanished endpoints", d->n_vanished_eps);
	for (size_t i = 0; i < d->n_vanished_eps; i++) {
		size_t now = d->vanished_now[i];

		ep_label(ep, sizeof(ep), d->a, d->vanished_eps[i]);
		cert_label(cert, sizeof(cert), leaf_of(d->a, d->vanished_eps[i]));
		if (now != INV_NONE && now < d->b->n_endpoints)
			text_terminal(st, sizeof(st), d->b->endpoints[now].status);
		fprintf(out, "  %s  %s  %s%s\n", ep, cert,
		        now != INV_NONE && now < d->b->n_endpoints ? "now " : "not in B",
		        now != INV_NONE && now < d->b->n_endpoints ? st : "");
	}
	if (d->n_changed > 0)
		heading(out, "Changed certificates", d->n_changed);
	for (size_t i = 0; i < d->n_changed; i++)
		change_line(out, d, &d->changed[i]);
	if (d->n_new_findings > 0)
		heading(out, "New findings", d->n_new_findings);
	for (size_t i = 0; i < d->n_new_findings; i++)
		finding_line(out, d->b, d->new_findings[i]);
	if (d->n_resolved_findings > 0)
		heading(out, "Resolved findings", d->n_resolved_findings);
	for (size_t i = 0; i < d->n_resolved_findings; i++)
		finding_line(out, d->a, d->resolved_findings[i]);
	return fflush(out) != 0 || ferror(out) ? -1 : 0;
}

/* ---------------------------------------------------------------- JSON */

/* A JSON string of hostile text, or null when s is empty. */
static json_t *text_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? ndjson_text(s) : json_null();
}

/* {"scans": [ids], "name": common name or null, "started": earliest start or null} */
static json_t *side_json(const struct inventory *inv)
{
	json_t *ids = json_array(), *started = json_null();
	const char *common = inv->n_scans > 0 ? inv->scans[0].name : NULL;
	int64_t lo = inv->n_scans > 0 ? inv->scans[0].started : 0;
	char when[32];

	for (size_t i = 0; ids != NULL && i < inv->n_scans; i++) {
		if (json_array_append_new(ids, json_integer((json_int_t)inv->scans[i].id)) != 0) {
			json_decref(ids);
			ids = NULL;
			break;
		}
		if (common != NULL && strcmp(common, inv->scans[i].name) != 0)
			common = NULL;
		lo = inv->scans[i].started < lo ? inv->scans[i].started : lo;
	}
	if (inv->n_scans > 0) {
		iso8601_utc(when, sizeof(when), (time_t)lo);
		started = json_string(when);
	}
	return json_pack("{s:o, s:o, s:o}", "scans", ids, "name", text_or_null(common), "started",
	                 started);
}

/* ip, port, sni, starttls: the fields every list item starts with. */
static json_t *ep_base(const struct inventory *inv, size_t ep)
{
	const struct inv_endpoint *e = &inv->endpoints[ep];

	return json_pack("{s:o, s:i, s:o, s:o}", "ip", ndjson_text(e->ip), "port", e->port, "sni",
	                 text_or_null(e->sni), "starttls", text_or_null(e->starttls));
}

/* ep_base plus host, status, leaf_sha256, leaf_cn. */
static json_t *ep_json(const struct inventory *inv, size_t ep)
{
	const struct inv_endpoint *e = &inv->endpoints[ep];
	const struct inv_cert *leaf = leaf_of(inv, ep);
	json_t *o = ep_base(inv, ep);

	if (o == NULL ||
	    json_object_set_new(o, "host", text_or_null(e->host)) != 0 ||
	    json_object_set_new(o, "status", ndjson_text(e->status)) != 0 ||
	    json_object_set_new(o, "leaf_sha256",
	                        leaf != NULL ? ndjson_text(leaf->sha256) : json_null()) != 0 ||
	    json_object_set_new(o, "leaf_cn",
	                        leaf != NULL ? text_or_null(leaf->subject_cn) : json_null()) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *cert_json(const struct inv_cert *c)
{
	return json_pack("{s:o, s:o, s:o, s:o}", "sha256", ndjson_text(c->sha256), "cn",
	                 text_or_null(c->subject_cn), "issuer", ndjson_text(c->issuer), "not_after",
	                 text_or_null(c->not_after));
}

static json_t *change_json(const struct diff_result *d, const struct diff_change *c)
{
	json_t *o = ep_base(d->b, c->ep_b);

	if (o == NULL ||
	    json_object_set_new(o, "change", json_string(c->renewed ? "renewed" : "replaced")) != 0 ||
	    json_object_set_new(o, "old", cert_json(&d->a->certs[c->cert_a])) != 0 ||
	    json_object_set_new(o, "new", cert_json(&d->b->certs[c->cert_b])) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *finding_json(const struct inventory *inv, size_t i)
{
	const struct inv_finding *f = &inv->findings[i];
	const struct inv_endpoint *e = f->endpoint < inv->n_endpoints ? &inv->endpoints[f->endpoint]
	                                                              : NULL;
	const struct inv_cert *c = f->cert != INV_NONE && f->cert < inv->n_certs ? &inv->certs[f->cert]
	                                                                          : NULL;

	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "check",
	                 ndjson_text(f->check_id), "severity", ndjson_text(f->severity), "kind",
	                 ndjson_text(f->kind), "message", ndjson_text(f->message), "ip",
	                 e != NULL ? ndjson_text(e->ip) : json_null(), "port",
	                 e != NULL ? json_integer(e->port) : json_null(), "sni",
	                 e != NULL ? text_or_null(e->sni) : json_null(), "starttls",
	                 e != NULL ? text_or_null(e->starttls) : json_null(), "sha256",
	                 c != NULL ? ndjson_text(c->sha256) : json_null());
}

/* Appends item (stolen; NULL means it could not be built) to arr. 0 or -1. */
static int push(json_t *arr, json_t *item)
{
	return item != NULL && json_array_append_new(arr, item) == 0 ? 0 : -1;
}

/* The whole document, or NULL when memory runs out. */
static json_t *diff_json(const struct diff_result *d)
{
	json_t *doc = NULL, *neps = json_array(), *veps = json_array(), *chg = json_array();
	json_t *nf = json_array(), *rf = json_array();

	if (neps == NULL || veps == NULL || chg == NULL || nf == NULL || rf == NULL)
		goto out;
	for (size_t i = 0; i < d->n_new_eps; i++)
		if (push(neps, ep_json(d->b, d->new_eps[i])) != 0)
			goto out;
	for (size_t i = 0; i < d->n_vanished_eps; i++) {
		size_t now = d->vanished_now[i];
		json_t *o = ep_json(d->a, d->vanished_eps[i]);

		if (o == NULL ||
		    json_object_set_new(o, "status_now",
		                        now != INV_NONE && now < d->b->n_endpoints
		                                ? ndjson_text(d->b->endpoints[now].status)
		                                : json_null()) != 0) {
			json_decref(o);
			goto out;
		}
		if (push(veps, o) != 0)
			goto out;
	}
	for (size_t i = 0; i < d->n_changed; i++)
		if (push(chg, change_json(d, &d->changed[i])) != 0)
			goto out;
	for (size_t i = 0; i < d->n_new_findings; i++)
		if (push(nf, finding_json(d->b, d->new_findings[i])) != 0)
			goto out;
	for (size_t i = 0; i < d->n_resolved_findings; i++)
		if (push(rf, finding_json(d->a, d->resolved_findings[i])) != 0)
			goto out;
	/* json_pack's "o" steals each reference, also when it fails. */
	doc = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "schema", "certsweep.diff/1", "a",
	                side_json(d->a), "b", side_json(d->b), "new_endpoints", neps,
	                "vanished_endpoints", veps, "changed_certificates", chg, "new_findings", nf,
	                "resolved_findings", rf);
	neps = veps = chg = nf = rf = NULL;
out:
	json_decref(neps);
	json_decref(veps);
	json_decref(chg);
	json_decref(nf);
	json_decref(rf);
	return doc;
}

int diff_write_json(const struct diff_result *d, FILE *out)
{
	json_t *doc;
	int rc = -1;

	if (d == NULL || d->a == NULL || d->b == NULL)
		return -1;
	doc = diff_json(d);
	if (doc != NULL && json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 &&
	    fputc('\n', out) != EOF && fflush(out) == 0 && !ferror(out))
		rc = 0;
	json_decref(doc);
	return rc;
}
