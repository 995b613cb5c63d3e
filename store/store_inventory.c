/*
 * store_inventory.c: loads a report's snapshot (store/inventory.h) with a handful of bulk
 * queries, never one query per row, so a 100,000-endpoint sweep loads in about a second.
 *
 *   1. the scans the scope covers            -> temp.inv_scans
 *   2. each endpoint's latest observation     -> temp.inv_sel (obs, ep)
 *      among them
 *   3. endpoints joined to those observations (ordered by address)
 *   4. each endpoint's latest deep analysis   -> temp.inv_an (ep, scan) + grade columns
 *      no later than the newest scan
 *   5. the chains of the observations, then the certificates they name
 *   6. the findings the observations emitted, plus the config findings of step 4's analyses
 *   7. every order and its endpoints
 * Cross references are resolved through id -> index maps (sorted arrays, bsearch). The temp
 * tables live in the connection's temp database, which SQLite keeps writable on a read-only
 * connection; they are dropped before returning.
 */
#include "store/store_int.h"
#include "store/inventory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"

/* An id -> index entry; maps are sorted by id. */
struct idmap {
	int64_t id;
	size_t idx;
};

/* Loader state: everything freed at the end except what the inventory keeps. */
struct loader {
	struct store *st;
	struct inventory *inv;
	struct arena *mem;          /* the inventory's arena */
	struct idmap *ep_by_id;     /* n_endpoints entries, malloc'd */
	struct idmap *ep_by_obs;    /* n_endpoints entries, malloc'd */
	struct idmap *cert_by_id;   /* n_certs entries, malloc'd */
	struct idmap *order_by_id;  /* n_orders entries, malloc'd */
	struct inv_finding *fheap;  /* findings as read, malloc'd; copied into the arena sorted */
	size_t nf;
	int64_t max_scan;
};

static int idmap_cmp(const void *a, const void *b)
{
	const struct idmap *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* Index of id in map, or INV_NONE. */
static size_t idmap_find(const struct idmap *map, size_t n, int64_t id)
{
	struct idmap key = { id, 0 };
	const struct idmap *hit;

	if (map == NULL || n == 0)
		return INV_NONE;
	hit = bsearch(&key, map, n, sizeof(*map), idmap_cmp);
	return hit != NULL ? hit->idx : INV_NONE;
}

int inv_days_until(int64_t t, int64_t now)
{
	int64_t d = t / 86400 - now / 86400;
	int64_t r = t % 86400 - now % 86400;

	while (r < 0) {
		r += 86400;
		d--;
	}
	while (r >= 86400) {
		r -= 86400;
		d++;
	}
	if (d > 1000000)
		d = 1000000;
	if (d < -1000000)
		d = -1000000;
	return (int)d;
}

static int exec(struct loader *L, const char *sql, const char *what)
{
	if (sqlite3_exec(L->st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_sqlerr(L->st, what);
	return 0;
}

static sqlite3_stmt *prep(struct loader *L, const char *sql, const char *what)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(L->st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		store_sqlerr(L->st, what);
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

/* Column i as an arena string ("" for NULL); NULL only when memory runs out. */
static const char *str(struct loader *L, sqlite3_stmt *s, int i)
{
	return arena_strdup(L->mem, (const char *)sqlite3_column_text(s, i));
}

static int tri(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? -1 : sqlite3_column_int(s, i) != 0;
}

static int nomem(struct loader *L)
{
	return store_seterr(L->st, "out of memory loading the inventory");
}

/* Counts rows of a one-column COUNT query. */
static int count(struct loader *L, const char *sql, size_t *n)
{
	sqlite3_stmt *s = prep(L, sql, "counting rows");
	int rc = -1;

	if (s == NULL)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*n = (size_t)sqlite3_column_int64(s, 0);
		rc = 0;
	} else {
		store_sqlerr(L->st, "counting rows");
	}
	sqlite3_finalize(s);
	return rc;
}

/* ---------------------------------------------------------------- 1. scans */

static int load_scans(struct loader *L, const struct inv_scope *sc)
{
	static const char fill[] =
		"INSERT INTO temp.inv_scans SELECT id FROM scans WHERE"
		" (?1 > 0 AND id = ?1)"
		" OR (?1 <= 0 AND ?3 > 0 AND status IN ('done', 'interrupted') AND started >= ?3"
		"     AND (?2 IS NULL AND coalesce(name, '') <> 'analyze' OR name = ?2))"
		" OR (?1 <= 0 AND ?3 <= 0 AND id = (SELECT id FROM scans WHERE status IN ('done',"
		"     'interrupted') AND (?2 IS NULL AND coalesce(name, '') <> 'analyze' OR name = ?2)"
		"     ORDER BY id DESC LIMIT 1))";
	static const char rows[] =
		"SELECT s.id, coalesce(s.name, ''), s.status, s.started, coalesce(s.ended, 0),"
		"  s.total_endpoints, s.total_open, s.total_tls, s.total_unique_certs"
		" FROM temp.inv_scans t JOIN scans s ON s.id = t.id ORDER BY s.id";
	struct inventory *inv = L->inv;
	sqlite3_stmt *s = NULL;
	size_t i = 0, n = 0;
	int rc = -1;

	if ((s = prep(L, fill, "selecting the scans")) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, sc->scan_id);
	if (sc->sweep != NULL)
		sqlite3_bind_text(s, 2, sc->sweep, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, sc->since);
	if (sqlite3_step(s) != SQLITE_DONE) {
		store_sqlerr(L->st, "selecting the scans");
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (count(L, "SELECT count(*) FROM temp.inv_scans", &n) != 0)
		goto out;
	if (n == 0) {
		rc = 1;
		goto out;
	}
	if ((inv->scans = arena_array(L->mem, n, sizeof(*inv->scans))) == NULL) {
		nomem(L);
		goto out;
	}
	if ((s = prep(L, rows, "reading the scans")) == NULL)
		goto out;
	while (i < n && sqlite3_step(s) == SQLITE_ROW) {
		struct inv_scan *x = &inv->scans[i++];

		x->id = sqlite3_column_int64(s, 0);
		x->name = str(L, s, 1);
		x->status = str(L, s, 2);
		x->started = sqlite3_column_int64(s, 3);
		x->ended = sqlite3_column_int64(s, 4);
		x->total_endpoints = (uint64_t)sqlite3_column_int64(s, 5);
		x->total_open = (uint64_t)sqlite3_column_int64(s, 6);
		x->total_tls = (uint64_t)sqlite3_column_int64(s, 7);
		x->total_unique_certs = (uint64_t)sqlite3_column_int64(s, 8);
		if (x->name == NULL || x->status == NULL) {
			nomem(L);
			goto out;
		}
		if (x->id > L->max_scan)
			L->max_scan = x->id;
	}
	inv->n_scans = i;
	rc = 0;
out:
	sqlite3_finalize(s);
	return rc;
}

/* ---------------------------------------------------------------- 2-4. endpoints, analyses */

static int load_endpoints(struct loader *L)
{
	static const char rows[] =
		"SELECT e.id, o.id, o.scan_id, e.host, e.ip, e.port, e.sni, e.starttls, o.status, o.error,"
		"  o.version, o.cipher, o.grp, o.alpn, o.verified, o.verify_error, o.hostname_checked,"
		"  o.hostname_ok, o.preferred, o.observed_at, e.country, e.asn, e.as_org, e.city,"
		"  e.owner, e.business_unit, e.site, o.source, o.ja3, o.ja3s,"
		"  NOT EXISTS (SELECT 1 FROM observations a WHERE a.endpoint_id = e.id"
		"    AND a.source = 'active')"
		" FROM temp.inv_sel x JOIN observations o ON o.id = x.obs JOIN endpoints e ON e.id = x.ep"
		" ORDER BY e.ip_key, e.ip, e.port, e.sni, e.starttls";
	struct inventory *inv = L->inv;
	sqlite3_stmt *s = NULL;
	size_t n = 0, i = 0;
	int rc = -1, step;

	if (count(L, "SELECT count(*) FROM temp.inv_sel", &n) != 0)
		return -1;
	inv->endpoints = arena_array(L->mem, n, sizeof(*inv->endpoints));
	L->ep_by_id = calloc(n + 1, sizeof(*L->ep_by_id));
	L->ep_by_obs = calloc(n + 1, sizeof(*L->ep_by_obs));
	if (inv->endpoints == NULL || L->ep_by_id == NULL || L->ep_by_obs == NULL)
		return nomem(L);
	if ((s = prep(L, rows, "reading the endpoints")) == NULL)
		return -1;
	while (i < n && (step = sqlite3_step(s)) == SQLITE_ROW) {
		struct inv_endpoint *e = &inv->endpoints[i];

		e->id = sqlite3_column_int64(s, 0);
		e->observation_id = sqlite3_column_int64(s, 1);
		e->scan_id = sqlite3_column_int64(s, 2);
		e->host = str(L, s, 3);
		e->ip = str(L, s, 4);
		e->port = sqlite3_column_int(s, 5);
		e->sni = str(L, s, 6);
		e->starttls = str(L, s, 7);
		e->status = str(L, s, 8);
		e->error = str(L, s, 9);
		e->version = str(L, s, 10);
		e->cipher = str(L, s, 11);
		e->group = str(L, s, 12);
		e->alpn = str(L, s, 13);
		e->verified = tri(s, 14);
		e->verify_error = str(L, s, 15);
		e->hostname_ok = sqlite3_column_int(s, 16) != 0 ? tri(s, 17) : -1;
		e->preferred = tri(s, 18);
		e->observed_at = sqlite3_column_int64(s, 19);
		e->country = str(L, s, 20);
		e->asn = str(L, s, 21);
		e->as_org = str(L, s, 22);
		e->city = str(L, s, 23);
		e->owner = str(L, s, 24);
		e->business_unit = str(L, s, 25);
		e->site = str(L, s, 26);
		e->source = str(L, s, 27);
		e->ja3 = str(L, s, 28);
		e->ja3s = str(L, s, 29);
		e->passive_only = sqlite3_column_int(s, 30) != 0;
		if (e->status != NULL && strcmp(e->status, "ok") != 0) {
			/* no chain was presented: nothing was verified or judged */
			e->verified = e->preferred = e->hostname_ok = -1;
		}
		e->grade = e->grade_ignoring_trust = e->protocols = "";
		e->leaf = INV_NONE;
		e->order = INV_NONE;
		if (e->host == NULL || e->ip == NULL || e->sni == NULL || e->starttls == NULL ||
		    e->status == NULL || e->error == NULL || e->version == NULL || e->cipher == NULL ||
		    e->group == NULL || e->alpn == NULL || e->verify_error == NULL ||
		    e->country == NULL || e->asn == NULL || e->as_org == NULL || e->city == NULL ||
		    e->owner == NULL || e->business_unit == NULL || e->site == NULL ||
		    e->source == NULL || e->ja3 == NULL || e->ja3s == NULL) {
			nomem(L);
			goto out;
		}
		L->ep_by_id[i] = (struct idmap){ e->id, i };
		L->ep_by_obs[i] = (struct idmap){ e->observation_id, i };
		i++;
	}
	if (i < n) {
		store_sqlerr(L->st, "reading the endpoints");
		goto out;
	}
	inv->n_endpoints = n;
	qsort(L->ep_by_id, n, sizeof(*L->ep_by_id), idmap_cmp);
	qsort(L->ep_by_obs, n, sizeof(*L->ep_by_obs), idmap_cmp);
	rc = 0;
out:
	sqlite3_finalize(s);
	return rc;
}

static int load_analyses(struct loader *L)
{
	static const char fill[] =
		"INSERT INTO temp.inv_an SELECT x.ep, (SELECT a.scan_id FROM analyses a"
		"   WHERE a.endpoint_id = x.ep AND a.scan_id <= ?1 ORDER BY a.scan_id DESC LIMIT 1)"
		" FROM temp.inv_sel x";
	static const char rows[] =
		"SELECT a.endpoint_id, a.grade, a.grade_ignoring_trust, a.score, a.protocols,"
		"  a.analyzed_at FROM temp.inv_an t"
		" JOIN analyses a ON a.endpoint_id = t.ep AND a.scan_id = t.scan";
	sqlite3_stmt *s = NULL;
	int rc = -1, step;

	if ((s = prep(L, fill, "selecting the analyses")) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, L->max_scan);
	step = sqlite3_step(s);
	sqlite3_finalize(s);
	if (step != SQLITE_DONE)
		return store_sqlerr(L->st, "selecting the analyses");
	if ((s = prep(L, rows, "reading the analyses")) == NULL)
		return -1;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		size_t i = idmap_find(L->ep_by_id, L->inv->n_endpoints, sqlite3_column_int64(s, 0));
		struct inv_endpoint *e;

		if (i == INV_NONE)
			continue;
		e = &L->inv->endpoints[i];
		e->grade = str(L, s, 1);
		e->grade_ignoring_trust = str(L, s, 2);
		e->score = sqlite3_column_int(s, 3);
		e->protocols = str(L, s, 4);
		e->analyzed_at = sqlite3_column_int64(s, 5);
		if (e->grade == NULL || e->grade_ignoring_trust == NULL || e->protocols == NULL) {
			nomem(L);
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		store_sqlerr(L->st, "reading the analyses");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(s);
	return rc;
}

/* ---------------------------------------------------------------- 5. chains, certificates */

static int load_certs(struct loader *L)
{
	static const char rows[] =
		"SELECT c.id, c.sha256, c.subject, c.issuer, c.subject_cn, c.issuer_cn, c.issuer_org,"
		"  c.serial, c.sans, c.not_before, c.not_after, c.not_before_unix, c.not_after_unix,"
		"  c.key_type, c.key_bits, c.curve, c.sig_alg, c.sig_weak, c.self_signed, c.is_ca"
		" FROM certificates c WHERE c.id IN (SELECT DISTINCT oc.certificate_id"
		"   FROM temp.inv_sel x JOIN observation_certs oc ON oc.observation_id = x.obs)"
		" ORDER BY c.not_after_unix IS NULL, c.not_after_unix, c.sha256";
	static const char nrows[] =
		"SELECT count(DISTINCT oc.certificate_id) FROM temp.inv_sel x"
		" JOIN observation_certs oc ON oc.observation_id = x.obs";
	struct inventory *inv = L->inv;
	sqlite3_stmt *s = NULL;
	size_t n = 0, i = 0;
	int rc = -1;

	if (count(L, nrows, &n) != 0)
		return -1;
	inv->certs = arena_array(L->mem, n, sizeof(*inv->certs));
	L->cert_by_id = calloc(n + 1, sizeof(*L->cert_by_id));
	if (inv->certs == NULL || L->cert_by_id == NULL)
		return nomem(L);
	if ((s = prep(L, rows, "reading the certificates")) == NULL)
		return -1;
	while (i < n && sqlite3_step(s) == SQLITE_ROW) {
		struct inv_cert *c = &inv->certs[i];

		c->id = sqlite3_column_int64(s, 0);
		c->sha256 = str(L, s, 1);
		c->subject = str(L, s, 2);
		c->issuer = str(L, s, 3);
		c->subject_cn = str(L, s, 4);
		c->issuer_cn = str(L, s, 5);
		c->issuer_org = str(L, s, 6);
		c->serial = str(L, s, 7);
		c->sans = str(L, s, 8);
		c->not_before = str(L, s, 9);
		c->not_after = str(L, s, 10);
		c->not_before_unix = sqlite3_column_int64(s, 11);
		c->has_not_after = sqlite3_column_type(s, 12) != SQLITE_NULL;
		c->not_after_unix = sqlite3_column_int64(s, 12);
		c->key_type = str(L, s, 13);
		c->key_bits = sqlite3_column_int(s, 14);
		c->curve = str(L, s, 15);
		c->sig_alg = str(L, s, 16);
		c->sig_weak = sqlite3_column_int(s, 17) != 0;
		c->self_signed = sqlite3_column_int(s, 18) != 0;
		c->is_ca = sqlite3_column_int(s, 19) != 0;
		c->preferred = -1;
		c->trusted = -1;
		c->order = INV_NONE;
		if (c->sha256 == NULL || c->subject == NULL || c->issuer == NULL ||
		    c->subject_cn == NULL || c->issuer_cn == NULL || c->issuer_org == NULL ||
		    c->serial == NULL || c->sans == NULL || c->not_before == NULL ||
		    c->not_after == NULL || c->key_type == NULL || c->curve == NULL ||
		    c->sig_alg == NULL) {
			nomem(L);
			goto out;
		}
		L->cert_by_id[i] = (struct idmap){ c->id, i };
		i++;
	}
	if (i < n) {
		store_sqlerr(L->st, "reading the certificates");
		goto out;
	}
	inv->n_certs = n;
	qsort(L->cert_by_id, n, sizeof(*L->cert_by_id), idmap_cmp);
	rc = 0;
out:
	sqlite3_finalize(s);
	return rc;
}

/* One chain position read before it is distributed to its endpoint. */
struct chain_row {
	size_t ep, cert;
};

/* Gives every endpoint its chain (leaf first) and every certificate served as a leaf its
 * endpoints, preferred/trusted summary, and the chain above it from its first endpoint. */
static int load_chains(struct loader *L)
{
	static const char rows[] =
		"SELECT oc.observation_id, oc.certificate_id FROM temp.inv_sel x"
		" JOIN observation_certs oc ON oc.observation_id = x.obs"
		" ORDER BY oc.observation_id, oc.position";
	struct inventory *inv = L->inv;
	struct chain_row *cr = NULL;
	size_t n = 0, cap = 0, *fill = NULL;
	sqlite3_stmt *s = NULL;
	int rc = -1, step;

	if ((s = prep(L, rows, "reading the chains")) == NULL)
		return -1;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		size_t ep = idmap_find(L->ep_by_obs, inv->n_endpoints, sqlite3_column_int64(s, 0));
		size_t cert = idmap_find(L->cert_by_id, inv->n_certs, sqlite3_column_int64(s, 1));

		if (ep == INV_NONE || cert == INV_NONE)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 1024;
			struct chain_row *p = realloc(cr, ncap * sizeof(*cr));

			if (p == NULL) {
				nomem(L);
				goto out;
			}
			cr = p;
			cap = ncap;
		}
		cr[n++] = (struct chain_row){ ep, cert };
		inv->endpoints[ep].n_chain++;
	}
	if (step != SQLITE_DONE) {
		store_sqlerr(L->st, "reading the chains");
		goto out;
	}
	/* Rows come grouped by observation in position order: hand them out in that order. */
	for (size_t i = 0; i < inv->n_endpoints; i++) {
		struct inv_endpoint *e = &inv->endpoints[i];

		if (e->n_chain == 0)
			continue;
		if ((e->chain = arena_array(L->mem, e->n_chain, sizeof(size_t))) == NULL) {
			nomem(L);
			goto out;
		}
		e->n_chain = 0;
	}
	for (size_t k = 0; k < n; k++) {
		struct inv_endpoint *e = &inv->endpoints[cr[k].ep];

		e->chain[e->n_chain++] = cr[k].cert;
	}
	/* Leaves: count, then fill the endpoint lists (ascending since i ascends). */
	for (size_t i = 0; i < inv->n_endpoints; i++) {
		struct inv_endpoint *e = &inv->endpoints[i];
		struct inv_cert *c;

		if (e->n_chain == 0)
			continue;
		e->leaf = e->chain[0];
		c = &inv->certs[e->leaf];
		if (c->n_endpoints++ == 0) {
			c->leaf = 1;
			c->n_chain = e->n_chain - 1;
			c->chain = e->chain + 1;
		}
		if (e->preferred == 0 || (e->preferred == 1 && c->preferred == -1))
			c->preferred = e->preferred;
		if (e->verified == 0 || (e->verified == 1 && c->trusted == -1))
			c->trusted = e->verified;
	}
	if ((fill = calloc(inv->n_certs + 1, sizeof(*fill))) == NULL) {
		nomem(L);
		goto out;
	}
	for (size_t i = 0; i < inv->n_certs; i++) {
		struct inv_cert *c = &inv->certs[i];

		if (c->n_endpoints > 0 &&
		    (c->endpoints = arena_array(L->mem, c->n_endpoints, sizeof(size_t))) == NULL) {
			nomem(L);
			goto out;
		}
	}
	for (size_t i = 0; i < inv->n_endpoints; i++) {
		size_t leaf = inv->endpoints[i].leaf;

		if (leaf != INV_NONE)
			inv->certs[leaf].endpoints[fill[leaf]++] = i;
	}
	rc = 0;
out:
	free(fill);
	free(cr);
	sqlite3_finalize(s);
	return rc;
}

/* ---------------------------------------------------------------- 6. findings */

static int load_findings(struct loader *L)
{
	static const char rows[] =
		"SELECT f.id, f.endpoint_id, f.certificate_id, f.check_id, f.kind, f.severity,"
		"  f.severity_level, f.message, f.status, f.first_seen, f.last_seen,"
		"  coalesce(f.resolved_at, 0)"
		" FROM findings f WHERE f.id IN ("
		"   SELECT xf.finding_id FROM temp.inv_sel x"
		"     JOIN observation_findings xf ON xf.observation_id = x.obs"
		"   UNION SELECT xf.finding_id FROM temp.inv_an t"
		"     JOIN observations o ON o.scan_id = t.scan AND o.endpoint_id = t.ep"
		"     JOIN observation_findings xf ON xf.observation_id = o.id"
		"     JOIN findings f2 ON f2.id = xf.finding_id AND f2.kind = 'config')";
	struct inventory *inv = L->inv;
	sqlite3_stmt *s = NULL;
	size_t n = 0, cap = 0;
	int rc = -1, step;

	if ((s = prep(L, rows, "reading the findings")) == NULL)
		return -1;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		size_t ep = idmap_find(L->ep_by_id, inv->n_endpoints, sqlite3_column_int64(s, 1));
		struct inv_finding *f;

		if (ep == INV_NONE)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 1024;
			struct inv_finding *p = realloc(L->fheap, ncap * sizeof(*p));

			if (p == NULL) {
				nomem(L);
				goto out;
			}
			L->fheap = p;
			cap = ncap;
		}
		f = &L->fheap[n];
		memset(f, 0, sizeof(*f));
		f->id = sqlite3_column_int64(s, 0);
		f->endpoint = ep;
		f->cert = sqlite3_column_type(s, 2) == SQLITE_NULL ? INV_NONE :
		          idmap_find(L->cert_by_id, inv->n_certs, sqlite3_column_int64(s, 2));
		f->check_id = str(L, s, 3);
		f->kind = str(L, s, 4);
		f->severity = str(L, s, 5);
		f->severity_level = sqlite3_column_int(s, 6);
		f->message = str(L, s, 7);
		f->status = str(L, s, 8);
		f->first_seen = sqlite3_column_int64(s, 9);
		f->last_seen = sqlite3_column_int64(s, 10);
		f->resolved_at = sqlite3_column_int64(s, 11);
		L->nf = ++n;
		if (f->check_id == NULL || f->kind == NULL || f->severity == NULL ||
		    f->message == NULL || f->status == NULL) {
			nomem(L);
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		store_sqlerr(L->st, "reading the findings");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(s);
	return rc;
}

static int finding_cmp(const void *a, const void *b)
{
	const struct inv_finding *x = a, *y = b;
	int c;

	if (x->severity_level != y->severity_level)
		return y->severity_level - x->severity_level;
	if ((c = strcmp(x->check_id, y->check_id)) != 0)
		return c;
	if (x->endpoint != y->endpoint)
		return x->endpoint < y->endpoint ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/* Sorts the findings (report order) and moves them into the arena, then gives endpoints and
 * certificates their finding lists. */
static int index_findings(struct loader *L)
{
	struct inventory *inv = L->inv;
	size_t *fe = NULL, *fc = NULL;
	int rc = -1;

	if (L->nf > 0)
		qsort(L->fheap, L->nf, sizeof(*L->fheap), finding_cmp);
	if ((inv->findings = arena_array(L->mem, L->nf, sizeof(*inv->findings))) == NULL) {
		nomem(L);
		goto out;
	}
	inv->n_findings = L->nf;
	if (L->nf > 0)
		memcpy(inv->findings, L->fheap, L->nf * sizeof(*L->fheap));
	for (size_t k = 0; k < inv->n_findings; k++) {
		inv->endpoints[inv->findings[k].endpoint].n_findings++;
		if (inv->findings[k].cert != INV_NONE)
			inv->certs[inv->findings[k].cert].n_findings++;
	}
	fe = calloc(inv->n_endpoints + 1, sizeof(*fe));
	fc = calloc(inv->n_certs + 1, sizeof(*fc));
	if (fe == NULL || fc == NULL) {
		nomem(L);
		goto out;
	}
	for (size_t i = 0; i < inv->n_endpoints; i++) {
		struct inv_endpoint *e = &inv->endpoints[i];

		if (e->n_findings > 0 &&
		    (e->findings = arena_array(L->mem, e->n_findings, sizeof(size_t))) == NULL) {
			nomem(L);
			goto out;
		}
	}
	for (size_t i = 0; i < inv->n_certs; i++) {
		struct inv_cert *c = &inv->certs[i];

		if (c->n_findings > 0 &&
		    (c->findings = arena_array(L->mem, c->n_findings, sizeof(size_t))) == NULL) {
			nomem(L);
			goto out;
		}
	}
	for (size_t k = 0; k < inv->n_findings; k++) {
		size_t ep = inv->findings[k].endpoint, c = inv->findings[k].cert;

		inv->endpoints[ep].findings[fe[ep]++] = k;
		if (c != INV_NONE)
			inv->certs[c].findings[fc[c]++] = k;
	}
	rc = 0;
out:
	free(fe);
	free(fc);
	return rc;
}

/* ---------------------------------------------------------------- 7. orders */

static int load_orders(struct loader *L)
{
	static const char rows[] =
		"SELECT id, status, coalesce(ca_state, ''), coalesce(product, ''), duration_days,"
		"  common_name, sans, reason, created_by, created_at, updated_at,"
		"  coalesce(certificate_id, 0), coalesce(new_certificate_id, 0)"
		" FROM orders ORDER BY id";
	static const char eps[] =
		"SELECT oe.order_id, oe.endpoint_id, e.ip, e.port, e.sni FROM order_endpoints oe"
		" JOIN endpoints e ON e.id = oe.endpoint_id"
		" ORDER BY oe.order_id, e.ip_key, e.ip, e.port, e.sni, e.starttls";
	struct inventory *inv = L->inv;
	sqlite3_stmt *s = NULL;
	size_t n = 0, i = 0;
	/* Per order: its endpoints' text and snapshot indices, built while the rows stream. */
	char *text = NULL;
	size_t tlen = 0, tcap = 0, *idx = NULL, nidx = 0, icap = 0, cur = INV_NONE;
	int rc = -1, step;

	if (count(L, "SELECT count(*) FROM orders", &n) != 0)
		return -1;
	inv->orders = arena_array(L->mem, n, sizeof(*inv->orders));
	L->order_by_id = calloc(n + 1, sizeof(*L->order_by_id));
	if (inv->orders == NULL || L->order_by_id == NULL)
		return nomem(L);
	if ((s = prep(L, rows, "reading the orders")) == NULL)
		return -1;
	while (i < n && sqlite3_step(s) == SQLITE_ROW) {
		struct inv_order *o = &inv->orders[i];

		o->id = sqlite3_column_int64(s, 0);
		o->status = str(L, s, 1);
		o->ca_state = str(L, s, 2);
		o->product = str(L, s, 3);
		o->duration_days = sqlite3_column_int(s, 4);
		o->common_name = str(L, s, 5);
		o->sans = str(L, s, 6);
		o->reason = str(L, s, 7);
		o->created_by = str(L, s, 8);
		o->created_at = sqlite3_column_int64(s, 9);
		o->updated_at = sqlite3_column_int64(s, 10);
		o->certificate_id = sqlite3_column_int64(s, 11);
		o->new_certificate_id = sqlite3_column_int64(s, 12);
		o->cert = idmap_find(L->cert_by_id, inv->n_certs, o->certificate_id);
		o->new_cert = idmap_find(L->cert_by_id, inv->n_certs, o->new_certificate_id);
		o->endpoint_text = "";
		if (o->status == NULL || o->ca_state == NULL || o->product == NULL ||
		    o->common_name == NULL || o->sans == NULL || o->reason == NULL ||
		    o->created_by == NULL) {
			nomem(L);
			goto out;
		}
		L->order_by_id[i] = (struct idmap){ o->id, i };
		/* Orders ascend by id: the last one naming a certificate is the newest. */
		if (o->cert != INV_NONE)
			inv->certs[o->cert].order = i;
		i++;
	}
	if (i < n) {
		store_sqlerr(L->st, "reading the orders");
		goto out;
	}
	inv->n_orders = n;
	sqlite3_finalize(s);
	if ((s = prep(L, eps, "reading the orders' endpoints")) == NULL)
		goto out;
	for (;;) {
		int64_t oid = 0;
		size_t o = INV_NONE;

		step = sqlite3_step(s);
		if (step == SQLITE_ROW) {
			oid = sqlite3_column_int64(s, 0);
			o = idmap_find(L->order_by_id, n, oid);
		} else if (step != SQLITE_DONE) {
			store_sqlerr(L->st, "reading the orders' endpoints");
			goto out;
		}
		if (cur != INV_NONE && (step == SQLITE_DONE || o != cur)) {
			struct inv_order *po = &inv->orders[cur];

			po->endpoint_text = arena_strdup(L->mem, text != NULL ? text : "");
			po->endpoints = arena_array(L->mem, nidx, sizeof(size_t));
			if (po->endpoint_text == NULL || po->endpoints == NULL) {
				nomem(L);
				goto out;
			}
			if (nidx > 0)
				memcpy(po->endpoints, idx, nidx * sizeof(size_t));
			po->n_endpoints = nidx;
			tlen = nidx = 0;
			if (text != NULL)
				text[0] = '\0';
		}
		if (step == SQLITE_DONE)
			break;
		cur = o;
		if (o == INV_NONE)
			continue;
		{
			const char *ip = (const char *)sqlite3_column_text(s, 2);
			const char *sni = (const char *)sqlite3_column_text(s, 4);
			size_t ep = idmap_find(L->ep_by_id, inv->n_endpoints, sqlite3_column_int64(s, 1));
			char one[600];
			int w;

			if (ip == NULL)
				ip = "";
			w = snprintf(one, sizeof(one), "%s%s%s%s:%d%s%.300s%s", tlen > 0 ? ", " : "",
			             strchr(ip, ':') ? "[" : "", ip, strchr(ip, ':') ? "]" : "",
			             sqlite3_column_int(s, 3), sni != NULL && *sni ? " (" : "",
			             sni != NULL ? sni : "", sni != NULL && *sni ? ")" : "");
			if (w < 0 || (size_t)w >= sizeof(one))
				w = (int)strlen(one);
			if (tlen + (size_t)w + 1 > tcap) {
				size_t ncap = (tlen + (size_t)w + 1) * 2;
				char *p = realloc(text, ncap);

				if (p == NULL) {
					nomem(L);
					goto out;
				}
				text = p;
				tcap = ncap;
			}
			memcpy(text + tlen, one, (size_t)w + 1);
			tlen += (size_t)w;
			if (ep != INV_NONE) {
				if (nidx == icap) {
					size_t ncap = icap ? icap * 2 : 16;
					size_t *p = realloc(idx, ncap * sizeof(*idx));

					if (p == NULL) {
						nomem(L);
						goto out;
					}
					idx = p;
					icap = ncap;
				}
				idx[nidx++] = ep;
				/* ascending order ids: the last order naming it is the newest */
				inv->endpoints[ep].order = o;
			}
		}
	}
	rc = 0;
out:
	free(text);
	free(idx);
	sqlite3_finalize(s);
	return rc;
}

/* ---------------------------------------------------------------- entry points */

int store_inventory_load(struct store *st, const struct inv_scope *scope, struct inventory **out)
{
	static const char setup[] =
		"DROP TABLE IF EXISTS temp.inv_scans; DROP TABLE IF EXISTS temp.inv_sel;"
		"DROP TABLE IF EXISTS temp.inv_an;"
		"CREATE TEMP TABLE inv_scans (id INTEGER PRIMARY KEY);"
		"CREATE TEMP TABLE inv_sel (obs INTEGER PRIMARY KEY, ep INTEGER NOT NULL);"
		"CREATE TEMP TABLE inv_an (ep INTEGER PRIMARY KEY, scan INTEGER);";
	static const char select_obs[] =
		"INSERT INTO temp.inv_sel SELECT max(o.id), o.endpoint_id FROM observations o"
		" WHERE o.scan_id IN (SELECT id FROM temp.inv_scans) GROUP BY o.endpoint_id";
	static const char teardown[] =
		"DROP TABLE IF EXISTS temp.inv_scans; DROP TABLE IF EXISTS temp.inv_sel;"
		"DROP TABLE IF EXISTS temp.inv_an;";
	struct loader L;
	struct inventory *inv = NULL;
	struct arena *mem = NULL;
	int rc = -1, r;

	*out = NULL;
	memset(&L, 0, sizeof(L));
	st->err[0] = '\0';
	if (!st->readonly && store_flush(st) != 0)
		return -1;
	inv = calloc(1, sizeof(*inv));
	mem = calloc(1, sizeof(*mem));
	if (inv == NULL || mem == NULL) {
		store_seterr(st, "out of memory loading the inventory");
		goto out;
	}
	inv->mem = mem;
	inv->generated_at = (int64_t)time(NULL);
	inv->scope = *scope;
	L.st = st;
	L.inv = inv;
	L.mem = mem;
	if (scope->sweep != NULL && (inv->scope.sweep = arena_strdup(mem, scope->sweep)) == NULL) {
		nomem(&L);
		goto out;
	}
	/* One read transaction: every query sees the same state, even with a sweep writing. */
	if (exec(&L, "BEGIN", "starting to read the inventory") != 0)
		goto out;
	if (exec(&L, setup, "preparing the inventory") != 0)
		goto rollback;
	if ((r = load_scans(&L, scope)) != 0) {
		if (r == 1) {
			if (scope->scan_id > 0)
				store_seterr(st, "no scan %lld in the inventory", (long long)scope->scan_id);
			else if (scope->since > 0)
				store_seterr(st, "no %s%.100s%ssweep started since then",
				             scope->sweep ? "\"" : "", scope->sweep ? scope->sweep : "",
				             scope->sweep ? "\" " : "");
			else if (scope->sweep != NULL)
				store_seterr(st, "no finished sweep named \"%.100s\"", scope->sweep);
			else
				store_seterr(st, "no finished sweep yet: run 'certsweep scan' first");
			rc = 1;
		}
		goto rollback;
	}
	if (exec(&L, select_obs, "selecting the observations") != 0 ||
	    load_endpoints(&L) != 0 || load_analyses(&L) != 0 || load_certs(&L) != 0 ||
	    load_chains(&L) != 0 || load_findings(&L) != 0 || index_findings(&L) != 0 ||
	    load_orders(&L) != 0)
		goto rollback;
	sqlite3_exec(st->db, teardown, NULL, NULL, NULL);
	if (exec(&L, "COMMIT", "finishing reading the inventory") != 0)
		goto out;
	*out = inv;
	inv = NULL;
	rc = 0;
	goto out;
rollback:
	sqlite3_exec(st->db, teardown, NULL, NULL, NULL);
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
out:
	free(L.ep_by_id);
	free(L.ep_by_obs);
	free(L.cert_by_id);
	free(L.order_by_id);
	free(L.fheap);
	inventory_free(inv);
	return rc;
}

void inventory_free(struct inventory *inv)
{
	if (inv == NULL)
		return;
	if (inv->mem != NULL) {
		arena_free(inv->mem);
		free(inv->mem);
	}
	free(inv);
}
