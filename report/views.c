/*
 * views.c: the column tables of the report's views (views.h). One small getter per column;
 * the helpers below keep them to one line each.
 */
#include "report/views.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "analyzer/analyzer.h"

void report_time(char *buf, size_t len, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		return;
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void s(struct cell *c, const char *v)
{
	c->kind = CELL_STR;
	c->s = v != NULL ? v : "";
}

static void n(struct cell *c, long long v)
{
	c->kind = CELL_INT;
	c->i = v;
}

static void b(struct cell *c, int v)
{
	c->kind = CELL_BOOL;
	c->i = v < 0 ? -1 : v != 0;
}

static void t(struct cell *c, long long v)
{
	c->kind = CELL_TIME;
	c->i = v;
}

static void list(struct cell *c, const char *v)
{
	c->kind = CELL_LIST;
	c->s = v != NULL ? v : "";
}

static void null(struct cell *c)
{
	c->kind = CELL_NULL;
	c->s = "";
}

/* Appends item to the space-separated list in c->scratch when it fits whole. */
static void scratch_add(struct cell *c, const char *item)
{
	size_t used = strlen(c->scratch), len = strlen(item);

	if (used + (used > 0) + len + 1 > sizeof(c->scratch))
		return;
	if (used > 0)
		c->scratch[used++] = ' ';
	memcpy(c->scratch + used, item, len + 1);
}

/* 1 when item is already one of the space-separated items in c->scratch. */
static int scratch_has(const struct cell *c, const char *item)
{
	size_t len = strlen(item);

	for (const char *p = c->scratch; (p = strstr(p, item)) != NULL; p += len)
		if ((p == c->scratch || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
			return 1;
	return 0;
}

/* ---------------------------------------------------------------- endpoints */

#define EP (&inv->endpoints[row])

/* The endpoint's leaf certificate, or NULL. */
static const struct inv_cert *leaf_of(const struct inventory *inv, size_t row)
{
	size_t i = inv->endpoints[row].leaf;

	return i != INV_NONE ? &inv->certs[i] : NULL;
}

/* The finding's certificate, or NULL. */
static const struct inv_cert *cert_of(const struct inventory *inv, size_t row)
{
	size_t i = inv->findings[row].cert;

	return i != INV_NONE ? &inv->certs[i] : NULL;
}

static size_t ep_rows(const struct inventory *inv) { return inv->n_endpoints; }
static void ep_host(const struct inventory *inv, size_t row, struct cell *c) { s(c, EP->host); }
static void ep_ip(const struct inventory *inv, size_t row, struct cell *c) { s(c, EP->ip); }
static void ep_port(const struct inventory *inv, size_t row, struct cell *c) { n(c, EP->port); }
static void ep_sni(const struct inventory *inv, size_t row, struct cell *c) { s(c, EP->sni); }
static void ep_starttls(const struct inventory *inv, size_t row, struct cell *c) { s(c, EP->starttls); }
static void ep_status(const struct inventory *inv, size_t row, struct cell *c) { s(c, EP->status); }
static void ep_error(const struct inventory *inv, size_t row, struct cell *c) { s(c, EP->error); }
static void ep_version(const struct inventory *inv, size_t row, struct cell *c) { s(c, EP->version); }
static void ep_cipher(const struct inventory *inv, size_t row, struct cell *c) { s(c, EP->cipher); }
static void ep_group(const struct inventory *inv, size_t row, struct cell *c) { s(c, EP->group); }
static void ep_grade(const struct inventory *inv, size_t row, struct cell *c) { s(c, EP->grade); }
static void ep_country(const struct inventory *inv, size_t row, struct cell *c) { s(c, EP->country); }
static void ep_asn(const struct inventory *inv, size_t row, struct cell *c) { s(c, EP->asn); }
static void ep_as_org(const struct inventory *inv, size_t row, struct cell *c) { s(c, EP->as_org); }
static void ep_verified(const struct inventory *inv, size_t row, struct cell *c) { b(c, EP->verified); }
static void ep_hostname_ok(const struct inventory *inv, size_t row, struct cell *c) { b(c, EP->hostname_ok); }
static void ep_preferred(const struct inventory *inv, size_t row, struct cell *c) { b(c, EP->preferred); }
static void ep_observed(const struct inventory *inv, size_t row, struct cell *c) { t(c, EP->observed_at); }
static void ep_scan(const struct inventory *inv, size_t row, struct cell *c) { n(c, EP->scan_id); }
static void ep_city(const struct inventory *inv, size_t row, struct cell *c) { s(c, EP->city); }
static void ep_owner(const struct inventory *inv, size_t row, struct cell *c) { s(c, EP->owner); }
static void ep_unit(const struct inventory *inv, size_t row, struct cell *c) { s(c, EP->business_unit); }
static void ep_site(const struct inventory *inv, size_t row, struct cell *c) { s(c, EP->site); }
static void ep_source(const struct inventory *inv, size_t row, struct cell *c) { s(c, EP->source); }
static void ep_passive_only(const struct inventory *inv, size_t row, struct cell *c) { b(c, EP->passive_only); }
static void ep_ja3(const struct inventory *inv, size_t row, struct cell *c) { s(c, EP->ja3); }
static void ep_ja3s(const struct inventory *inv, size_t row, struct cell *c) { s(c, EP->ja3s); }

static void ep_score(const struct inventory *inv, size_t row, struct cell *c)
{
	if (EP->grade[0] != '\0')
		n(c, EP->score);
	else
		null(c);
}

static void ep_cn(const struct inventory *inv, size_t row, struct cell *c)
{
	s(c, leaf_of(inv, row) ? leaf_of(inv, row)->subject_cn : "");
}

static void ep_issuer(const struct inventory *inv, size_t row, struct cell *c)
{
	s(c, leaf_of(inv, row) ? leaf_of(inv, row)->issuer : "");
}

static void ep_not_after(const struct inventory *inv, size_t row, struct cell *c)
{
	s(c, leaf_of(inv, row) ? leaf_of(inv, row)->not_after : "");
}

static void ep_days(const struct inventory *inv, size_t row, struct cell *c)
{
	if (leaf_of(inv, row) != NULL && leaf_of(inv, row)->has_not_after)
		n(c, inv_days_until(leaf_of(inv, row)->not_after_unix, inv->generated_at));
	else
		null(c);
}

static void ep_sha256(const struct inventory *inv, size_t row, struct cell *c)
{
	s(c, leaf_of(inv, row) ? leaf_of(inv, row)->sha256 : "");
}

static void ep_findings(const struct inventory *inv, size_t row, struct cell *c)
{
	c->scratch[0] = '\0';
	for (size_t k = 0; k < EP->n_findings; k++) {
		const char *id = inv->findings[EP->findings[k]].check_id;

		/* the same check on two certificates of the chain is listed once */
		if (!scratch_has(c, id))
			scratch_add(c, id);
	}
	list(c, c->scratch);
}

static void ep_order_id(const struct inventory *inv, size_t row, struct cell *c)
{
	if (EP->order != INV_NONE)
		n(c, inv->orders[EP->order].id);
	else
		null(c);
}

static void ep_order_status(const struct inventory *inv, size_t row, struct cell *c)
{
	s(c, EP->order != INV_NONE ? inv->orders[EP->order].status : "");
}

#undef EP

static const struct view_col ep_cols[] = {
	{ "host", ep_host },           { "ip", ep_ip },
	{ "port", ep_port },           { "sni", ep_sni },
	{ "starttls", ep_starttls },   { "status", ep_status },
	{ "error", ep_error },         { "tls_version", ep_version },
	{ "cipher", ep_cipher },       { "group", ep_group },
	{ "grade", ep_grade },         { "score", ep_score },
	{ "country", ep_country },     { "asn", ep_asn },
	{ "as_org", ep_as_org },       { "verified", ep_verified },
	{ "hostname_ok", ep_hostname_ok }, { "preferred", ep_preferred },
	{ "subject_cn", ep_cn },       { "issuer", ep_issuer },
	{ "not_after", ep_not_after }, { "days_left", ep_days },
	{ "sha256", ep_sha256 },       { "findings", ep_findings },
	{ "order_id", ep_order_id },   { "order_status", ep_order_status },
	{ "observed_at", ep_observed }, { "scan_id", ep_scan },
	{ "city", ep_city },           { "owner", ep_owner },
	{ "business_unit", ep_unit },  { "site", ep_site },
	{ "source", ep_source },       { "passive_only", ep_passive_only },
	{ "ja3", ep_ja3 },             { "ja3s", ep_ja3s },
};

/* ---------------------------------------------------------------- certificates */

#define C (&inv->certs[row])

static size_t cert_rows(const struct inventory *inv) { return inv->n_certs; }
static void c_sha256(const struct inventory *inv, size_t row, struct cell *c) { s(c, C->sha256); }
static void c_cn(const struct inventory *inv, size_t row, struct cell *c) { s(c, C->subject_cn); }
static void c_subject(const struct inventory *inv, size_t row, struct cell *c) { s(c, C->subject); }
static void c_issuer_cn(const struct inventory *inv, size_t row, struct cell *c) { s(c, C->issuer_cn); }
static void c_issuer_org(const struct inventory *inv, size_t row, struct cell *c) { s(c, C->issuer_org); }
static void c_issuer(const struct inventory *inv, size_t row, struct cell *c) { s(c, C->issuer); }
static void c_serial(const struct inventory *inv, size_t row, struct cell *c) { s(c, C->serial); }
static void c_sans(const struct inventory *inv, size_t row, struct cell *c) { list(c, C->sans); }
static void c_not_before(const struct inventory *inv, size_t row, struct cell *c) { s(c, C->not_before); }
static void c_not_after(const struct inventory *inv, size_t row, struct cell *c) { s(c, C->not_after); }
static void c_key_type(const struct inventory *inv, size_t row, struct cell *c) { s(c, C->key_type); }
static void c_key_bits(const struct inventory *inv, size_t row, struct cell *c) { n(c, C->key_bits); }
static void c_curve(const struct inventory *inv, size_t row, struct cell *c) { s(c, C->curve); }
static void c_sig_alg(const struct inventory *inv, size_t row, struct cell *c) { s(c, C->sig_alg); }
static void c_self_signed(const struct inventory *inv, size_t row, struct cell *c) { b(c, C->self_signed); }
static void c_is_ca(const struct inventory *inv, size_t row, struct cell *c) { b(c, C->is_ca); }
static void c_leaf(const struct inventory *inv, size_t row, struct cell *c) { b(c, C->leaf); }
static void c_preferred(const struct inventory *inv, size_t row, struct cell *c) { b(c, C->preferred); }
static void c_trusted(const struct inventory *inv, size_t row, struct cell *c) { b(c, C->trusted); }
static void c_n_eps(const struct inventory *inv, size_t row, struct cell *c) { n(c, (long long)C->n_endpoints); }

static void c_days(const struct inventory *inv, size_t row, struct cell *c)
{
	if (C->has_not_after)
		n(c, inv_days_until(C->not_after_unix, inv->generated_at));
	else
		null(c);
}

/* "IP:PORT" or "[IPv6]:PORT", with "#SNI" when there is one: one item per endpoint. */
static void c_eps(const struct inventory *inv, size_t row, struct cell *c)
{
	c->scratch[0] = '\0';
	for (size_t k = 0; k < C->n_endpoints; k++) {
		const struct inv_endpoint *e = &inv->endpoints[C->endpoints[k]];
		char one[400];
		int v6 = strchr(e->ip, ':') != NULL;

		snprintf(one, sizeof(one), "%s%.64s%s:%d%s%.256s", v6 ? "[" : "", e->ip, v6 ? "]" : "",
		         e->port, e->sni[0] ? "#" : "", e->sni);
		/* a SNI with a space would split the item: such names are not hostnames */
		for (char *p = one; *p; p++)
			if (*p == ' ')
				*p = '_';
		scratch_add(c, one);
	}
	list(c, c->scratch);
}

static void c_findings(const struct inventory *inv, size_t row, struct cell *c)
{
	c->scratch[0] = '\0';
	for (size_t k = 0; k < C->n_findings; k++) {
		const char *id = inv->findings[C->findings[k]].check_id;

		if (!scratch_has(c, id))
			scratch_add(c, id);
	}
	list(c, c->scratch);
}

static void c_order_id(const struct inventory *inv, size_t row, struct cell *c)
{
	if (C->order != INV_NONE)
		n(c, inv->orders[C->order].id);
	else
		null(c);
}

static void c_order_status(const struct inventory *inv, size_t row, struct cell *c)
{
	s(c, C->order != INV_NONE ? inv->orders[C->order].status : "");
}

#undef C

static const struct view_col cert_cols[] = {
	{ "sha256", c_sha256 },         { "subject_cn", c_cn },
	{ "subject", c_subject },       { "issuer_cn", c_issuer_cn },
	{ "issuer_org", c_issuer_org }, { "issuer", c_issuer },
	{ "serial", c_serial },         { "sans", c_sans },
	{ "not_before", c_not_before }, { "not_after", c_not_after },
	{ "days_left", c_days },        { "key_type", c_key_type },
	{ "key_bits", c_key_bits },     { "curve", c_curve },
	{ "sig_alg", c_sig_alg },       { "self_signed", c_self_signed },
	{ "is_ca", c_is_ca },           { "leaf", c_leaf },
	{ "preferred", c_preferred },   { "trusted", c_trusted },
	{ "endpoint_count", c_n_eps },  { "endpoints", c_eps },
	{ "findings", c_findings },     { "order_id", c_order_id },
	{ "order_status", c_order_status },
};

/* ---------------------------------------------------------------- findings */

#define F (&inv->findings[row])
#define FE (&inv->endpoints[F->endpoint])

static size_t f_rows(const struct inventory *inv) { return inv->n_findings; }
static void f_check(const struct inventory *inv, size_t row, struct cell *c) { s(c, F->check_id); }
static void f_severity(const struct inventory *inv, size_t row, struct cell *c) { s(c, F->severity); }
static void f_kind(const struct inventory *inv, size_t row, struct cell *c) { s(c, F->kind); }
static void f_status(const struct inventory *inv, size_t row, struct cell *c) { s(c, F->status); }
static void f_message(const struct inventory *inv, size_t row, struct cell *c) { s(c, F->message); }
static void f_host(const struct inventory *inv, size_t row, struct cell *c) { s(c, FE->host); }
static void f_ip(const struct inventory *inv, size_t row, struct cell *c) { s(c, FE->ip); }
static void f_port(const struct inventory *inv, size_t row, struct cell *c) { n(c, FE->port); }
static void f_sni(const struct inventory *inv, size_t row, struct cell *c) { s(c, FE->sni); }
static void f_starttls(const struct inventory *inv, size_t row, struct cell *c) { s(c, FE->starttls); }
static void f_sha256(const struct inventory *inv, size_t row, struct cell *c) { s(c, cert_of(inv, row) ? cert_of(inv, row)->sha256 : ""); }
static void f_cn(const struct inventory *inv, size_t row, struct cell *c) { s(c, cert_of(inv, row) ? cert_of(inv, row)->subject_cn : ""); }
static void f_first(const struct inventory *inv, size_t row, struct cell *c) { t(c, F->first_seen); }
static void f_last(const struct inventory *inv, size_t row, struct cell *c) { t(c, F->last_seen); }
static void f_resolved(const struct inventory *inv, size_t row, struct cell *c) { t(c, F->resolved_at); }

static void f_owner(const struct inventory *inv, size_t row, struct cell *c) { s(c, FE->owner); }
static void f_unit(const struct inventory *inv, size_t row, struct cell *c) { s(c, FE->business_unit); }
static void f_site(const struct inventory *inv, size_t row, struct cell *c) { s(c, FE->site); }

static void f_fix(const struct inventory *inv, size_t row, struct cell *c)
{
	s(c, check_fix(F->check_id));
}

#undef F
#undef FE

static const struct view_col f_cols[] = {
	{ "check_id", f_check },        { "severity", f_severity },
	{ "kind", f_kind },             { "status", f_status },
	{ "message", f_message },       { "fix", f_fix },
	{ "host", f_host },             { "ip", f_ip },
	{ "port", f_port },             { "sni", f_sni },
	{ "starttls", f_starttls },     { "cert_sha256", f_sha256 },
	{ "cert_cn", f_cn },            { "first_seen", f_first },
	{ "last_seen", f_last },        { "resolved_at", f_resolved },
	{ "owner", f_owner },           { "business_unit", f_unit },
	{ "site", f_site },
};

/* ---------------------------------------------------------------- orders */

#define O (&inv->orders[row])

static size_t o_rows(const struct inventory *inv) { return inv->n_orders; }
static void o_id(const struct inventory *inv, size_t row, struct cell *c) { n(c, O->id); }
static void o_status(const struct inventory *inv, size_t row, struct cell *c) { s(c, O->status); }
static void o_ca_state(const struct inventory *inv, size_t row, struct cell *c) { s(c, O->ca_state); }
static void o_product(const struct inventory *inv, size_t row, struct cell *c) { s(c, O->product); }
static void o_days(const struct inventory *inv, size_t row, struct cell *c) { n(c, O->duration_days); }
static void o_cn(const struct inventory *inv, size_t row, struct cell *c) { s(c, O->common_name); }
static void o_sans(const struct inventory *inv, size_t row, struct cell *c) { list(c, O->sans); }
static void o_reason(const struct inventory *inv, size_t row, struct cell *c) { list(c, O->reason); }
static void o_by(const struct inventory *inv, size_t row, struct cell *c) { s(c, O->created_by); }
static void o_created(const struct inventory *inv, size_t row, struct cell *c) { t(c, O->created_at); }
static void o_updated(const struct inventory *inv, size_t row, struct cell *c) { t(c, O->updated_at); }
static void o_eps(const struct inventory *inv, size_t row, struct cell *c) { s(c, O->endpoint_text); }

/* The distinct owners of the order's endpoints in the snapshot, ", "-separated, in order. */
static void o_owners(const struct inventory *inv, size_t row, struct cell *c)
{
	size_t used = 0;

	c->scratch[0] = '\0';
	for (size_t k = 0; k < O->n_endpoints; k++) {
		const char *who = inv->endpoints[O->endpoints[k]].owner;
		size_t len = strlen(who);
		int seen = 0;

		for (size_t j = 0; j < k && !seen; j++)
			seen = strcmp(inv->endpoints[O->endpoints[j]].owner, who) == 0;
		if (seen || len == 0 || used + len + 3 > sizeof(c->scratch))
			continue;
		if (used > 0) {
			memcpy(c->scratch + used, ", ", 2);
			used += 2;
		}
		memcpy(c->scratch + used, who, len + 1);
		used += len;
	}
	s(c, c->scratch);
}

static void o_old(const struct inventory *inv, size_t row, struct cell *c)
{
	s(c, O->cert != INV_NONE ? inv->certs[O->cert].sha256 : "");
}

static void o_new(const struct inventory *inv, size_t row, struct cell *c)
{
	s(c, O->new_cert != INV_NONE ? inv->certs[O->new_cert].sha256 : "");
}

#undef O

static const struct view_col o_cols[] = {
	{ "id", o_id },                 { "status", o_status },
	{ "ca_state", o_ca_state },     { "product", o_product },
	{ "duration_days", o_days },    { "common_name", o_cn },
	{ "sans", o_sans },             { "reason", o_reason },
	{ "created_by", o_by },         { "created_at", o_created },
	{ "updated_at", o_updated },    { "replaces_sha256", o_old },
	{ "new_sha256", o_new },        { "endpoints", o_eps },
	{ "owners", o_owners },
};

#define COLS(a) a, sizeof(a) / sizeof(a[0])

static const struct view v_endpoints = { "endpoints", ep_rows, COLS(ep_cols) };
static const struct view v_certs = { "certificates", cert_rows, COLS(cert_cols) };
static const struct view v_findings = { "findings", f_rows, COLS(f_cols) };
static const struct view v_orders = { "orders", o_rows, COLS(o_cols) };

const struct view *const report_views[] = { &v_endpoints, &v_certs, &v_findings, &v_orders, NULL };

const struct view *report_view(const char *name)
{
	for (size_t i = 0; report_views[i] != NULL; i++)
		if (strcmp(report_views[i]->name, name) == 0)
			return report_views[i];
	return NULL;
}
