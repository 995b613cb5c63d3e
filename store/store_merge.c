/*
 * store_merge.c: `certsweep merge OUT IN...`: the scans of other certsweep databases (the
 * shards of a sweep run on several machines, typically) copied into this one.
 *
 * An input is checked first with store_open_readonly (a certsweep database at this schema
 * version: an older one must be opened read-write once, e.g. by a scan, to migrate it), then
 * ATTACHed read-only ("file:PATH?mode=ro") and copied in one transaction: all of it or none.
 *
 * Scans. Each scan of the input (by id) is either
 *   - running: left out (its process may still be adding to it); a later merge takes it;
 *   - merged before (merged_sources has its input's uuid and scan id) and unchanged since
 *     (same status, same number of observations): skipped, so merging twice changes nothing;
 *     changed since (e.g. interrupted, then resumed to the end): merged again into the same
 *     scan; rows already there are kept (every copy below ignores or folds duplicates);
 *   - a shard (nshards > 1, with its plan): merged into ONE scan per sweep run, the scan
 *     with merged = 1 of the same name, seed, space hash and shard count that does not have
 *     this shard yet (the oldest such), else a new one. So the four shards of tonight's sweep
 *     become one scan that reports and diffs see as any other sweep, and tomorrow's four, whose
 *     shard numbers that scan already has, become the next one. Its status is done once all N
 *     shards are in and each was done, else interrupted; its times span its shards'; its totals
 *     are counted from its observations;
 *   - any other scan: copied as a scan of its own (status, times and totals as they were).
 *
 * Rows. Identity across databases is by natural key, never by id: endpoints by (ip, port, sni,
 * starttls), certificates by SHA-256, findings by (endpoint, check, certificate SHA-256),
 * observations by (scan, endpoint). Endpoints and certificates are upserted (first_seen the
 * earliest, last_seen the latest, a certificate's parsed columns and DER filled in when missing,
 * an endpoint's host and location taken from the more recent side when known). Observations,
 * their chains, client certificates, finding links and analyses are inserted when absent. A
 * finding keeps the severity, message, status and resolution time of the side that saw it last.
 * Orders, alerts and the other tables are the output database's own and are not merged.
 */
#include "store/store_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Scans of one input merged at most (each costs a few statements). */
#define MERGE_MAX_SCANS 1000000

/* The endpoint join: source endpoint `s` to main endpoint `m`. */
#define EP_JOIN(s, m) \
	" JOIN main.endpoints " m " ON " m ".ip = " s ".ip AND " m ".port = " s ".port" \
	" AND " m ".sni = " s ".sni AND " m ".starttls = " s ".starttls"

/* Endpoints of source scan ?1 (observed or analysed), upserted. */
static const char sql_endpoints[] =
	"INSERT INTO main.endpoints (ip, ip_key, port, sni, starttls, host, first_seen, last_seen,"
	"  country, city, asn, as_org, owner, business_unit, site)"
	" SELECT ip, ip_key, port, sni, starttls, host, first_seen, last_seen, country, city, asn,"
	"  as_org, owner, business_unit, site FROM src.endpoints WHERE id IN"
	"  (SELECT endpoint_id FROM src.observations WHERE scan_id = ?1"
	"   UNION SELECT endpoint_id FROM src.analyses WHERE scan_id = ?1)"
	" ON CONFLICT (ip, port, sni, starttls) DO UPDATE SET"
	"  host = CASE WHEN excluded.host <> '' AND (host = '' OR excluded.last_seen > last_seen)"
	"   THEN excluded.host ELSE host END,"
	"  country = CASE WHEN excluded.country <> '' AND (country = '' OR excluded.last_seen > last_seen)"
	"   THEN excluded.country ELSE country END,"
	"  city = CASE WHEN excluded.city <> '' AND (city = '' OR excluded.last_seen > last_seen)"
	"   THEN excluded.city ELSE city END,"
	"  asn = CASE WHEN excluded.asn <> '' AND (asn = '' OR excluded.last_seen > last_seen)"
	"   THEN excluded.asn ELSE asn END,"
	"  as_org = CASE WHEN excluded.as_org <> '' AND (as_org = '' OR excluded.last_seen > last_seen)"
	"   THEN excluded.as_org ELSE as_org END,"
	"  owner = CASE WHEN excluded.owner <> '' AND (owner = '' OR excluded.last_seen > last_seen)"
	"   THEN excluded.owner ELSE owner END,"
	"  business_unit = CASE WHEN excluded.business_unit <> ''"
	"   AND (business_unit = '' OR excluded.last_seen > last_seen)"
	"   THEN excluded.business_unit ELSE business_unit END,"
	"  site = CASE WHEN excluded.site <> '' AND (site = '' OR excluded.last_seen > last_seen)"
	"   THEN excluded.site ELSE site END,"
	"  first_seen = min(first_seen, excluded.first_seen),"
	"  last_seen = max(last_seen, excluded.last_seen)";

/* A certificate's parsed column, taken from the input when this side lacks the parse. */
#define PARSED(c) "  " c " = CASE WHEN subject IS NULL THEN excluded." c " ELSE " c " END,"

/* Certificates source scan ?1 refers to (chains, client chains, findings), upserted. */
static const char sql_certificates[] =
	"INSERT INTO main.certificates (sha256, der, subject, issuer, subject_cn, issuer_cn,"
	"  issuer_org, serial, sans, not_before, not_after, not_before_unix, not_after_unix,"
	"  key_type, key_bits, curve, sig_alg, sig_weak, sha1, key_usage, eku, ocsp_url,"
	"  ca_issuers_url, crl_url, has_sct, is_ca, self_signed, first_seen, last_seen)"
	" SELECT sha256, der, subject, issuer, subject_cn, issuer_cn, issuer_org, serial, sans,"
	"  not_before, not_after, not_before_unix, not_after_unix, key_type, key_bits, curve,"
	"  sig_alg, sig_weak, sha1, key_usage, eku, ocsp_url, ca_issuers_url, crl_url, has_sct,"
	"  is_ca, self_signed, first_seen, last_seen FROM src.certificates WHERE id IN"
	"  (SELECT oc.certificate_id FROM src.observation_certs oc"
	"    JOIN src.observations o ON o.id = oc.observation_id WHERE o.scan_id = ?1"
	"   UNION SELECT cc.certificate_id FROM src.observation_client_certs cc"
	"    JOIN src.observations o ON o.id = cc.observation_id WHERE o.scan_id = ?1"
	"   UNION SELECT f.certificate_id FROM src.findings f"
	"    JOIN src.observation_findings x ON x.finding_id = f.id"
	"    JOIN src.observations o ON o.id = x.observation_id WHERE o.scan_id = ?1)"
	" ON CONFLICT (sha256) DO UPDATE SET"
	"  der = coalesce(der, excluded.der),"
	PARSED("issuer") PARSED("subject_cn") PARSED("issuer_cn") PARSED("issuer_org")
	PARSED("serial") PARSED("sans") PARSED("not_before") PARSED("not_after")
	PARSED("not_before_unix") PARSED("not_after_unix") PARSED("key_type") PARSED("key_bits")
	PARSED("curve") PARSED("sig_alg") PARSED("sig_weak") PARSED("sha1") PARSED("key_usage")
	PARSED("eku") PARSED("ocsp_url") PARSED("ca_issuers_url") PARSED("crl_url")
	PARSED("has_sct") PARSED("is_ca") PARSED("self_signed")
	"  subject = coalesce(subject, excluded.subject),"
	"  first_seen = min(first_seen, excluded.first_seen),"
	"  last_seen = max(last_seen, excluded.last_seen)";

/* Observations of source scan ?1 into scan ?2. */
static const char sql_observations[] =
	"INSERT INTO main.observations (scan_id, endpoint_id, status, error, tls_version, version,"
	"  cipher, grp, alpn, ocsp_stapled, ms_connect, ms_starttls, ms_handshake, ms_total,"
	"  verified, verify_code, verify_error, hostname_checked, hostname_ok, preferred,"
	"  chain_len, chain_truncated, attempts, observed_at, source, ja3, ja3s, pos)"
	" SELECT ?2, me.id, o.status, o.error, o.tls_version, o.version, o.cipher, o.grp, o.alpn,"
	"  o.ocsp_stapled, o.ms_connect, o.ms_starttls, o.ms_handshake, o.ms_total, o.verified,"
	"  o.verify_code, o.verify_error, o.hostname_checked, o.hostname_ok, o.preferred,"
	"  o.chain_len, o.chain_truncated, o.attempts, o.observed_at, o.source, o.ja3, o.ja3s, o.pos"
	" FROM src.observations o JOIN src.endpoints se ON se.id = o.endpoint_id"
	EP_JOIN("se", "me")
	" WHERE o.scan_id = ?1"
	" ON CONFLICT (scan_id, endpoint_id) DO NOTHING";

/* The source observation `o` of scan ?1 to its copy `mo` in scan ?2. */
#define OBS_MAP \
	" JOIN src.endpoints se ON se.id = o.endpoint_id" EP_JOIN("se", "me") \
	" JOIN main.observations mo ON mo.scan_id = ?2 AND mo.endpoint_id = me.id"

static const char sql_chains[] =
	"INSERT OR IGNORE INTO main.observation_certs (observation_id, position, certificate_id)"
	" SELECT mo.id, oc.position, mc.id FROM src.observation_certs oc"
	" JOIN src.observations o ON o.id = oc.observation_id AND o.scan_id = ?1" OBS_MAP
	" JOIN src.certificates sc ON sc.id = oc.certificate_id"
	" JOIN main.certificates mc ON mc.sha256 = sc.sha256";

static const char sql_client_chains[] =
	"INSERT OR IGNORE INTO main.observation_client_certs (observation_id, position,"
	"  certificate_id)"
	" SELECT mo.id, cc.position, mc.id FROM src.observation_client_certs cc"
	" JOIN src.observations o ON o.id = cc.observation_id AND o.scan_id = ?1" OBS_MAP
	" JOIN src.certificates sc ON sc.id = cc.certificate_id"
	" JOIN main.certificates mc ON mc.sha256 = sc.sha256";

/* Findings scan ?1 emitted (linked to its observations), first and last scan set to ?2. */
static const char sql_findings[] =
	"INSERT INTO main.findings (endpoint_id, check_id, cert_sha256, certificate_id, severity,"
	"  severity_level, message, status, first_seen, last_seen, first_scan, last_scan,"
	"  resolved_at, reopened, kind)"
	" SELECT me.id, f.check_id, f.cert_sha256, mc.id, f.severity, f.severity_level, f.message,"
	"  f.status, f.first_seen, f.last_seen, ?2, ?2, f.resolved_at, f.reopened, f.kind"
	" FROM src.findings f JOIN src.endpoints se ON se.id = f.endpoint_id" EP_JOIN("se", "me")
	" LEFT JOIN main.certificates mc ON mc.sha256 = f.cert_sha256 AND f.cert_sha256 <> ''"
	" WHERE f.id IN (SELECT x.finding_id FROM src.observation_findings x"
	"  JOIN src.observations o ON o.id = x.observation_id WHERE o.scan_id = ?1)"
	" ON CONFLICT (endpoint_id, check_id, cert_sha256) DO UPDATE SET"
	"  certificate_id = coalesce(excluded.certificate_id, certificate_id),"
	"  severity = CASE WHEN excluded.last_seen >= last_seen THEN excluded.severity"
	"   ELSE severity END,"
	"  severity_level = CASE WHEN excluded.last_seen >= last_seen THEN excluded.severity_level"
	"   ELSE severity_level END,"
	"  message = CASE WHEN excluded.last_seen >= last_seen THEN excluded.message"
	"   ELSE message END,"
	"  status = CASE WHEN excluded.last_seen >= last_seen THEN excluded.status ELSE status END,"
	"  resolved_at = CASE WHEN excluded.last_seen >= last_seen THEN excluded.resolved_at"
	"   ELSE resolved_at END,"
	"  reopened = max(reopened, excluded.reopened),"
	"  first_seen = min(first_seen, excluded.first_seen),"
	"  last_seen = max(last_seen, excluded.last_seen),"
	"  first_scan = min(first_scan, excluded.first_scan),"
	"  last_scan = max(last_scan, excluded.last_scan)";

static const char sql_finding_links[] =
	"INSERT OR IGNORE INTO main.observation_findings (observation_id, finding_id)"
	" SELECT mo.id, mf.id FROM src.observation_findings x"
	" JOIN src.observations o ON o.id = x.observation_id AND o.scan_id = ?1" OBS_MAP
	" JOIN src.findings f ON f.id = x.finding_id"
	" JOIN src.endpoints fe ON fe.id = f.endpoint_id" EP_JOIN("fe", "mfe")
	" JOIN main.findings mf ON mf.endpoint_id = mfe.id AND mf.check_id = f.check_id"
	"  AND mf.cert_sha256 = f.cert_sha256";

static const char sql_analyses[] =
	"INSERT INTO main.analyses (scan_id, endpoint_id, grade, grade_ignoring_trust, score,"
	"  protocols, profile, connections, ms, analyzed_at)"
	" SELECT ?2, me.id, a.grade, a.grade_ignoring_trust, a.score, a.protocols, a.profile,"
	"  a.connections, a.ms, a.analyzed_at"
	" FROM src.analyses a JOIN src.endpoints se ON se.id = a.endpoint_id" EP_JOIN("se", "me")
	" WHERE a.scan_id = ?1"
	" ON CONFLICT (scan_id, endpoint_id) DO NOTHING";

/* One scan of the input, as read before anything is written. */
struct src_scan {
	int64_t id;
	char *name;                /* owned, NULL for an ad-hoc scan */
	char *status;              /* owned */
	int shard_plan;            /* 1: a shard with its plan (seed, space hash, shard count) */
	int64_t shard, nshards, seed;
	char *space_hash;          /* owned */
	int64_t nobs;              /* its observations */
};

struct merger {
	struct store *st;          /* borrowed */
	char uuid[33];             /* the input's */
	struct merge_stats *ms;    /* borrowed */
};

static void src_scans_free(struct src_scan *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++) {
		free(v[i].name);
		free(v[i].status);
		free(v[i].space_hash);
	}
	free(v);
}

static sqlite3_stmt *prep(struct merger *m, const char *sql, const char *what)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(m->st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		store_sqlerr(m->st, what);
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

/* Runs sql with ?1 = a and ?2 = b (when the statement has them); *changes gets the rows it
 * changed when not NULL. Returns 0 or -1. */
static int run2(struct merger *m, const char *sql, int64_t a, int64_t b, const char *what,
                int64_t *changes)
{
	sqlite3_stmt *s = prep(m, sql, what);
	int rc;

	if (s == NULL)
		return -1;
	if (sqlite3_bind_parameter_count(s) >= 1)
		sqlite3_bind_int64(s, 1, a);
	if (sqlite3_bind_parameter_count(s) >= 2)
		sqlite3_bind_int64(s, 2, b);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_sqlerr(m->st, what);
	if (changes != NULL)
		*changes = sqlite3_changes(m->st->db);
	return 0;
}

static int dup_col(sqlite3_stmt *s, int i, char **out)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	*out = NULL;
	if (t != NULL && (*out = strdup((const char *)t)) == NULL)
		return -1;
	return 0;
}

/* Reads the input's scans (with their observation counts) into *out. */
static int read_scans(struct merger *m, struct src_scan **out, size_t *n)
{
	static const char sql[] =
		"SELECT s.id, s.name, s.status, s.shard, s.nshards, s.seed, s.space_hash,"
		" s.shard IS NOT NULL AND s.nshards > 1 AND s.seed IS NOT NULL"
		"  AND s.space_hash IS NOT NULL AND s.merged = 0,"
		" (SELECT count(*) FROM src.observations o WHERE o.scan_id = s.id)"
		" FROM src.scans s ORDER BY s.id";
	sqlite3_stmt *s = prep(m, sql, "reading the input's scans");
	struct src_scan *v = NULL;
	size_t cap = 0, k = 0;
	int rc, ret = -1;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct src_scan *x;

		if (k == cap) {
			struct src_scan *nv;

			if (cap >= MERGE_MAX_SCANS) {
				store_seterr(m->st, "the input has more than %d scans", MERGE_MAX_SCANS);
				goto out;
			}
			cap = cap ? cap * 2 : 16;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				store_seterr(m->st, "out of memory");
				goto out;
			}
			v = nv;
		}
		x = &v[k++];
		memset(x, 0, sizeof(*x));
		x->id = sqlite3_column_int64(s, 0);
		x->shard = sqlite3_column_int64(s, 3);
		x->nshards = sqlite3_column_int64(s, 4);
		x->seed = sqlite3_column_int64(s, 5);
		x->shard_plan = sqlite3_column_int(s, 7);
		x->nobs = sqlite3_column_int64(s, 8);
		if (dup_col(s, 1, &x->name) != 0 || dup_col(s, 2, &x->status) != 0 ||
		    dup_col(s, 6, &x->space_hash) != 0) {
			store_seterr(m->st, "out of memory");
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		store_sqlerr(m->st, "reading the input's scans");
		goto out;
	}
	*out = v;
	*n = k;
	v = NULL;
	ret = 0;
out:
	sqlite3_finalize(s);
	src_scans_free(v, k);
	return ret;
}

/* The merged scan of x's sweep run that lacks x's shard, or 0 (*id). */
static int find_group(struct merger *m, const struct src_scan *x, int64_t *id)
{
	static const char sql[] =
		"SELECT s.id FROM main.scans s WHERE s.merged = 1 AND s.shard IS NULL"
		" AND s.name IS ?1 AND s.seed = ?2 AND s.space_hash = ?3 AND s.nshards = ?4"
		" AND NOT EXISTS (SELECT 1 FROM main.merged_sources ms"
		"  WHERE ms.scan_id = s.id AND ms.shard = ?5)"
		" ORDER BY s.id LIMIT 1";
	sqlite3_stmt *s = prep(m, sql, "finding the merged scan");
	int rc;

	if (s == NULL)
		return -1;
	if (x->name != NULL)
		sqlite3_bind_text(s, 1, x->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, x->seed);
	sqlite3_bind_text(s, 3, x->space_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, x->nshards);
	sqlite3_bind_int64(s, 5, x->shard);
	*id = 0;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_sqlerr(m->st, "finding the merged scan");
	return 0;
}

/* A new scan for source scan ?1: a merged scan of shards (group), or a copy. */
static int new_scan(struct merger *m, const struct src_scan *x, int group, int64_t *id)
{
	static const char sql_group[] =
		"INSERT INTO main.scans (name, args, started, ended, status, seed, shard, nshards,"
		"  space_hash, space_size, argv, resume_pos, merged)"
		" SELECT name, 'certsweep merge of ' || nshards || ' shards: ' || args, started, ended,"
		"  'interrupted', seed, NULL, nshards, space_hash, space_size, argv, 0, 1"
		" FROM src.scans WHERE id = ?1";
	static const char sql_copy[] =
		"INSERT INTO main.scans (name, args, started, ended, status, total_endpoints,"
		"  total_open, total_tls, total_unique_certs, seed, shard, nshards, space_hash,"
		"  space_size, argv, resume_pos, heartbeat, run_host, run_pid, merged)"
		" SELECT name, args, started, ended, status, total_endpoints, total_open, total_tls,"
		"  total_unique_certs, seed, shard, nshards, space_hash, space_size, argv, resume_pos,"
		"  heartbeat, run_host, run_pid, merged FROM src.scans WHERE id = ?1";

	if (run2(m, group ? sql_group : sql_copy, x->id, 0, "creating the merged scan", NULL) != 0)
		return -1;
	*id = sqlite3_last_insert_rowid(m->st->db);
	return 0;
}

/* Scan ?2's row after its rows were merged: a group's span, status and totals; a copy's
 * status, end, totals and watermark as the source has them now. */
static int update_scan(struct merger *m, const struct src_scan *x, int64_t target, int group)
{
	static const char sql_group[] =
		"UPDATE main.scans SET"
		"  started = min(started, (SELECT started FROM src.scans WHERE id = ?1)),"
		"  ended = nullif(max(coalesce(ended, 0),"
		"   coalesce((SELECT ended FROM src.scans WHERE id = ?1), 0)), 0),"
		"  status = CASE WHEN (SELECT count(DISTINCT shard) FROM main.merged_sources"
		"   WHERE scan_id = ?2 AND source_status = 'done') = nshards"
		"   THEN 'done' ELSE 'interrupted' END,"
		"  total_endpoints = (SELECT count(*) FROM main.observations WHERE scan_id = ?2),"
		"  total_open = (SELECT count(*) FROM main.observations WHERE scan_id = ?2"
		"   AND status NOT IN ('refused', 'timeout', 'dns_failed')),"
		"  total_tls = (SELECT count(*) FROM main.observations WHERE scan_id = ?2"
		"   AND status = 'ok'),"
		"  total_unique_certs = (SELECT count(DISTINCT oc.certificate_id)"
		"   FROM main.observation_certs oc JOIN main.observations o ON o.id = oc.observation_id"
		"   WHERE o.scan_id = ?2)"
		" WHERE id = ?2";
	static const char sql_copy[] =
		"UPDATE main.scans SET (status, ended, total_endpoints, total_open, total_tls,"
		"  total_unique_certs, resume_pos) = (SELECT status, ended, total_endpoints, total_open,"
		"  total_tls, total_unique_certs, resume_pos FROM src.scans WHERE id = ?1)"
		" WHERE id = ?2";

	return run2(m, group ? sql_group : sql_copy, x->id, target, "updating the merged scan",
	            NULL);
}

static int record_source(struct merger *m, const struct src_scan *x, int64_t target)
{
	static const char sql[] =
		"INSERT INTO main.merged_sources (source_uuid, source_scan, scan_id, shard,"
		"  source_status, source_observations, merged_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		" ON CONFLICT (source_uuid, source_scan) DO UPDATE SET scan_id = excluded.scan_id,"
		"  source_status = excluded.source_status,"
		"  source_observations = excluded.source_observations, merged_at = excluded.merged_at";
	sqlite3_stmt *s = prep(m, sql, "recording the merged scan");
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, m->uuid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, x->id);
	sqlite3_bind_int64(s, 3, target);
	if (x->shard_plan)
		sqlite3_bind_int64(s, 4, x->shard);
	sqlite3_bind_text(s, 5, x->status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, x->nobs);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)time(NULL));
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : store_sqlerr(m->st, "recording the merged scan");
}

/* Copies the rows of source scan x into scan target. */
static int copy_rows(struct merger *m, const struct src_scan *x, int64_t target)
{
	int64_t added = 0;

	if (run2(m, sql_endpoints, x->id, target, "merging endpoints", NULL) != 0 ||
	    run2(m, sql_certificates, x->id, target, "merging certificates", NULL) != 0 ||
	    run2(m, sql_observations, x->id, target, "merging observations", &added) != 0 ||
	    run2(m, sql_chains, x->id, target, "merging chains", NULL) != 0 ||
	    run2(m, sql_client_chains, x->id, target, "merging client certificates", NULL) != 0 ||
	    run2(m, sql_findings, x->id, target, "merging findings", NULL) != 0 ||
	    run2(m, sql_finding_links, x->id, target, "merging finding links", NULL) != 0 ||
	    run2(m, sql_analyses, x->id, target, "merging analyses", NULL) != 0)
		return -1;
	m->ms->observations += (uint64_t)added;
	return 0;
}

/* Merges one source scan (see the rules at the top). */
static int merge_scan(struct merger *m, const struct src_scan *x)
{
	static const char sql_prev[] =
		"SELECT scan_id, source_status = ?2 AND source_observations = ?3"
		" FROM main.merged_sources WHERE source_uuid = ?4 AND source_scan = ?1";
	sqlite3_stmt *s;
	int64_t target = 0;
	int rc, unchanged = 0, group = x->shard_plan;

	if (strcmp(x->status, "running") == 0) {
		m->ms->running++;
		return 0;
	}
	if ((s = prep(m, sql_prev, "looking up earlier merges")) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, x->id);
	sqlite3_bind_text(s, 2, x->status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, x->nobs);
	sqlite3_bind_text(s, 4, m->uuid, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		target = sqlite3_column_int64(s, 0);
		unchanged = sqlite3_column_int(s, 1);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_sqlerr(m->st, "looking up earlier merges");
	if (unchanged) {
		m->ms->unchanged++;
		return 0;
	}
	if (target == 0 && group && find_group(m, x, &target) != 0)
		return -1;
	if (target == 0 && new_scan(m, x, group, &target) != 0)
		return -1;
	if (copy_rows(m, x, target) != 0 || record_source(m, x, target) != 0 ||
	    update_scan(m, x, target, group) != 0)
		return -1;
	m->ms->scans++;
	if (group)
		m->ms->groups++;
	return 0;
}

/* "file:PATH?mode=ro" with PATH absolute and percent-encoded (RFC 3986 unreserved and '/'
 * kept), malloc'd; NULL when out of memory or the current directory is unknown. */
static char *ro_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	char cwd[PATH_MAX] = "";
	size_t len, n = 0;
	char *full, *uri;

	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	len = strlen(cwd) + strlen(path) + 2;
	if ((full = malloc(len)) == NULL)
		return NULL;
	snprintf(full, len, "%s%s%s", cwd, cwd[0] != '\0' ? "/" : "", path);
	if ((uri = malloc(strlen(full) * 3 + 16)) == NULL) {
		free(full);
		return NULL;
	}
	n = (size_t)sprintf(uri, "file:");
	for (const unsigned char *p = (const unsigned char *)full; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~' || *p == '/') {
			uri[n++] = (char)*p;
		} else {
			uri[n++] = '%';
			uri[n++] = hex[*p >> 4];
			uri[n++] = hex[*p & 15];
		}
	}
	strcpy(uri + n, "?mode=ro");
	free(full);
	return uri;
}

/* Checks the input and reads its identity (without attaching it). */
static int check_input(struct store *st, const char *in_path, char uuid[33])
{
	char err[512], own[33];
	struct store *in = store_open_readonly(in_path, err, sizeof(err));
	int ret = -1;

	if (in == NULL)
		return store_seterr(st, "%s", err);
	if (store_uuid(in, uuid) != 0) {
		store_seterr(st, "%s: %s", in_path, store_errmsg(in));
		goto out;
	}
	if (store_uuid(st, own) != 0)
		goto out;
	if (strcmp(uuid, own) == 0) {
		store_seterr(st, "%s is the output database itself (or a copy of it)", in_path);
		goto out;
	}
	ret = 0;
out:
	store_close(in);
	return ret;
}

int store_merge(struct store *st, const char *in_path, struct merge_stats *ms)
{
	struct merger m = { st, "", ms };
	struct src_scan *scans = NULL;
	size_t nscans = 0;
	sqlite3_stmt *s = NULL;
	char *uri = NULL;
	int attached = 0, in_tx = 0, ret = -1;

	memset(ms, 0, sizeof(*ms));
	if (st->readonly)
		return store_seterr(st, "the database is open read-only");
	if (store_flush(st) != 0 || check_input(st, in_path, m.uuid) != 0)
		return -1;
	if ((uri = ro_uri(in_path)) == NULL) {
		store_seterr(st, "%s: %s", in_path, strerror(errno ? errno : ENOMEM));
		goto out;
	}
	if ((s = prep(&m, "ATTACH DATABASE ?1 AS src", "attaching the input")) == NULL)
		goto out;
	sqlite3_bind_text(s, 1, uri, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		store_seterr(st, "cannot read %s: %s", in_path, sqlite3_errmsg(st->db));
		goto out;
	}
	attached = 1;
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		store_sqlerr(st, "beginning the merge");
		goto out;
	}
	in_tx = 1;
	if (read_scans(&m, &scans, &nscans) != 0)
		goto out;
	for (size_t i = 0; i < nscans; i++)
		if (merge_scan(&m, &scans[i]) != 0)
			goto out;
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		store_sqlerr(st, "committing the merge");
		goto out;
	}
	in_tx = 0;
	ret = 0;
out:
	if (in_tx) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		memset(ms, 0, sizeof(*ms));
	}
	sqlite3_finalize(s);
	if (attached)
		sqlite3_exec(st->db, "DETACH DATABASE src", NULL, NULL, NULL);
	free(uri);
	src_scans_free(scans, nscans);
	return ret;
}
