/*
 * store.c: opening the inventory and every write to it (see store.h for the contract).
 *
 * Open: schema_check_file (plain reads) -> sqlite3_open_v2 -> schema_validate (reads only) ->
 * pragmas (busy_timeout, foreign_keys, journal_mode=WAL, synchronous=NORMAL, temp_store=MEMORY
 * so savepoint journals never touch disk) -> migrations. Nothing is written to a file before it
 * has passed the checks.
 *
 * Write path: store_add_result opens the batch transaction (BEGIN) when none is open, and wraps
 * each result in a SAVEPOINT so that a failing result leaves no half-written rows while the
 * rest of the batch survives. The batch is committed when it holds batch_max results or is
 * older than batch_ms (checked at each add: a quiet scanner should call store_flush, which the
 * scan end and store_close also do). WAL + synchronous=NORMAL: a crash loses at most the open
 * batch.
 *
 * One result is, in this order:
 *   endpoint upsert (last_seen)                 -> endpoint id
 *   certificate upsert per chain position       -> certificate ids (dedup by SHA-256); skipped
 *                                                  when the cert cache (store_int.h) shows the
 *                                                  row already up to date
 *   observation insert (UNIQUE(scan, endpoint)) -> a repeat in the same scan replaces the
 *                                                  earlier one (its chain and links cascade)
 *   observation_certs, one row per position
 *   finding upsert per finding (open again, last_seen, last_scan) + observation_findings link
 *
 * Chain identity: positions come from the observation's DER chain (hashed with SHA-256 here);
 * parsed columns come from the analysis certificate with the same SHA-256. When the observation
 * carries no DER (but the analysis has certificates), the analysis's certificates are used.
 *
 * Speed (tests/unit/test_store.c, 100,000 results of 2 certificates and 1-2 findings): about
 * 25,000 results/s on one core; the per-result SAVEPOINT costs about a fifth of that.
 *
 * Every value is bound as a parameter to a statement cached in the store: certificate fields
 * never reach SQL text. Strings are bound SQLITE_STATIC and the bindings cleared after each
 * step, so no statement keeps a pointer into the caller's data.
 */
#include "store/store_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/sha.h>

#include "core/hex.h"

/* Upper bound of the space-separated SAN list stored per certificate. */
#define SANS_MAX (256 * 1024)

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT result",
	[ST_RELEASE] = "RELEASE result",
	[ST_ROLLBACK_TO] = "ROLLBACK TO result",
	[ST_ENDPOINT_UPSERT] =
		"INSERT INTO endpoints (ip, ip_key, port, sni, starttls, host, first_seen, last_seen,"
		"  country, city, asn, as_org, owner, business_unit, site)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
		" ON CONFLICT (ip, port, sni, starttls) DO UPDATE SET"
		"  host = CASE WHEN excluded.host <> '' THEN excluded.host ELSE host END,"
		/* a sweep without a database keeps what an earlier one found; one with them replaces */
		"  country = CASE WHEN ?15 THEN excluded.country ELSE country END,"
		"  city = CASE WHEN ?15 THEN excluded.city ELSE city END,"
		"  asn = CASE WHEN ?15 THEN excluded.asn ELSE asn END,"
		"  as_org = CASE WHEN ?15 THEN excluded.as_org ELSE as_org END,"
		"  owner = CASE WHEN ?15 THEN excluded.owner ELSE owner END,"
		"  business_unit = CASE WHEN ?15 THEN excluded.business_unit ELSE business_unit END,"
		"  site = CASE WHEN ?15 THEN excluded.site ELSE site END,"
		"  first_seen = min(first_seen, excluded.first_seen),"
		"  last_seen = max(last_seen, excluded.last_seen)"
		" RETURNING id",
	[ST_CERT_UPSERT_FULL] =
		"INSERT INTO certificates (sha256, der, subject, issuer, subject_cn, issuer_cn,"
		"  issuer_org, serial, sans, not_before, not_after, not_before_unix, not_after_unix,"
		"  key_type, key_bits, curve, sig_alg, sig_weak, sha1, key_usage, eku, ocsp_url,"
		"  ca_issuers_url, crl_url, has_sct, is_ca, self_signed, first_seen, last_seen)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
		"  ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?28)"
		" ON CONFLICT (sha256) DO UPDATE SET"
		"  der = coalesce(der, excluded.der),"
		"  subject = excluded.subject, issuer = excluded.issuer,"
		"  subject_cn = excluded.subject_cn, issuer_cn = excluded.issuer_cn,"
		"  issuer_org = excluded.issuer_org, serial = excluded.serial, sans = excluded.sans,"
		"  not_before = excluded.not_before, not_after = excluded.not_after,"
		"  not_before_unix = excluded.not_before_unix,"
		"  not_after_unix = excluded.not_after_unix,"
		"  key_type = excluded.key_type, key_bits = excluded.key_bits,"
		"  curve = excluded.curve, sig_alg = excluded.sig_alg, sig_weak = excluded.sig_weak,"
		"  sha1 = excluded.sha1, key_usage = excluded.key_usage, eku = excluded.eku,"
		"  ocsp_url = excluded.ocsp_url, ca_issuers_url = excluded.ca_issuers_url,"
		"  crl_url = excluded.crl_url, has_sct = excluded.has_sct, is_ca = excluded.is_ca,"
		"  self_signed = excluded.self_signed,"
		"  first_seen = min(first_seen, excluded.first_seen),"
		"  last_seen = max(last_seen, excluded.last_seen)"
		" RETURNING id, first_seen, last_seen, subject IS NOT NULL",
	[ST_CERT_UPSERT_MIN] =
		"INSERT INTO certificates (sha256, der, first_seen, last_seen)"
		" VALUES (?1, ?2, ?3, ?3)"
		" ON CONFLICT (sha256) DO UPDATE SET"
		"  der = coalesce(der, excluded.der),"
		"  first_seen = min(first_seen, excluded.first_seen),"
		"  last_seen = max(last_seen, excluded.last_seen)"
		" RETURNING id, first_seen, last_seen, subject IS NOT NULL",
	[ST_OBS_INSERT] =
		"INSERT INTO observations (scan_id, endpoint_id, status, error, tls_version, version,"
		"  cipher, grp, alpn, ocsp_stapled, ms_connect, ms_starttls, ms_handshake, ms_total,"
		"  verified, verify_code, verify_error, hostname_checked, hostname_ok, preferred,"
		"  chain_len, chain_truncated, attempts, observed_at, source, ja3, ja3s, pos)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
		"  ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)",
	[ST_OBS_DELETE] = "DELETE FROM observations WHERE scan_id = ?1 AND endpoint_id = ?2",
	[ST_OBS_CERT_INSERT] =
		"INSERT INTO observation_certs (observation_id, position, certificate_id)"
		" VALUES (?1, ?2, ?3)",
	[ST_OBS_CLIENT_CERT_INSERT] =
		"INSERT INTO observation_client_certs (observation_id, position, certificate_id)"
		" VALUES (?1, ?2, ?3)",
	[ST_FINDING_UPSERT] =
		"INSERT INTO findings (endpoint_id, check_id, cert_sha256, certificate_id, severity,"
		"  severity_level, message, status, first_seen, last_seen, first_scan, last_scan, kind)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'open', ?8, ?8, ?9, ?9, ?10)"
		" ON CONFLICT (endpoint_id, check_id, cert_sha256) DO UPDATE SET"
		"  certificate_id = excluded.certificate_id,"
		"  severity = excluded.severity, severity_level = excluded.severity_level,"
		"  message = excluded.message,"
		"  reopened = reopened + (status = 'resolved'),"
		"  status = 'open', resolved_at = NULL,"
		"  first_seen = min(first_seen, excluded.first_seen),"
		"  last_seen = max(last_seen, excluded.last_seen),"
		"  first_scan = min(first_scan, excluded.first_scan),"
		"  last_scan = max(last_scan, excluded.last_scan)"
		" RETURNING id",
	[ST_OBS_FINDING_INSERT] =
		"INSERT OR IGNORE INTO observation_findings (observation_id, finding_id)"
		" VALUES (?1, ?2)",
	[ST_SCAN_PROGRESS] =
		"UPDATE scans SET resume_pos = ?1, heartbeat = ?2 WHERE id = ?3",
};

/* Stable severity names (shared/DESIGN.md), kept here so the store does not depend on the
 * analyzer's object code; enum severity is the index. */
static const char *const sev_names[] = { "info", "low", "medium", "high", "critical" };

int store_seterr(struct store *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return -1;
}

int store_sqlerr(struct store *st, const char *what)
{
	return store_seterr(st, "%s: %s", what, sqlite3_errmsg(st->db));
}

const char *store_errmsg(const struct store *st)
{
	if (st == NULL)
		return "no store";
	return st->err;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Returns the cached statement, preparing it on first use; NULL with st->err on failure. */
static sqlite3_stmt *stmt(struct store *st, enum stmt_id id)
{
	if (st->stmt[id] == NULL &&
	    sqlite3_prepare_v3(st->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[id],
	                       NULL) != SQLITE_OK) {
		store_sqlerr(st, "preparing a statement");
		st->stmt[id] = NULL;
	}
	return st->stmt[id];
}

/* Resets a statement for its next use and drops its (borrowed) string bindings. */
static void stmt_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Steps a statement that returns no row. Returns 0, or -1 with st->err ("what: ..."). */
static int step_done(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE) {
		store_sqlerr(st, what);
		stmt_done(s);
		return -1;
	}
	stmt_done(s);
	return 0;
}

/* Steps a statement whose first row's first column is an id (RETURNING id). */
static int step_id(struct store *st, sqlite3_stmt *s, const char *what, int64_t *id)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_ROW) {
		store_sqlerr(st, what);
		stmt_done(s);
		return -1;
	}
	*id = sqlite3_column_int64(s, 0);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		store_sqlerr(st, what);
		stmt_done(s);
		return -1;
	}
	stmt_done(s);
	return 0;
}

/* Runs a cached statement without parameters. */
static int run(struct store *st, enum stmt_id id, const char *what)
{
	sqlite3_stmt *s = stmt(st, id);

	return s == NULL ? -1 : step_done(st, s, what);
}

/* Prepares a statement run once (not cached); NULL with st->err ("what: ...") on failure.
 * The caller owns the statement: sqlite3_finalize it. */
static sqlite3_stmt *prepare_once(struct store *st, const char *sql, const char *what)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		store_sqlerr(st, what);
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

/* Text binding: NULL stays NULL. The string must outlive the step (it is not copied). */
static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

/* Text binding of a fixed-size char array that may lack its NUL; NULL/absent becomes ''. */
static void bind_arr(sqlite3_stmt *s, int i, const char *v, size_t cap)
{
	sqlite3_bind_text(s, i, v ? v : "", v ? (int)strnlen(v, cap) : 0, SQLITE_STATIC);
}

/* Timing in ms, NULL when the phase did not happen (negative). */
static void bind_ms(sqlite3_stmt *s, int i, double ms)
{
	if (ms < 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_double(s, i, ms);
}

/* ISO 8601 UTC ("2025-01-31T12:00:00Z") into buf[32]; "" when out of range. */
static void iso_utc(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		buf[0] = '\0';
}

/* ---------------------------------------------------------------- open / close */

static struct store *store_alloc(void)
{
	struct store *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return NULL;
	st->batch_max = 500;
	st->batch_ms = 1000;
	return st;
}

static void store_free(struct store *st)
{
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st->cache);
	free(st);
}

/* Sets the connection pragmas of a writer; journal_mode must come back as "wal". */
static int set_pragmas(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	const char *mode;
	char *msg = NULL;
	int ret = -1;

	if (sqlite3_exec(db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;"
	                 " PRAGMA temp_store = MEMORY", NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "setting pragmas: %s", msg ? msg : sqlite3_errmsg(db));
		goto out;
	}
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		snprintf(err, errlen, "setting WAL mode: %s", sqlite3_errmsg(db));
		goto out;
	}
	mode = (const char *)sqlite3_column_text(s, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		snprintf(err, errlen, "cannot use WAL mode (journal mode is %s)", mode ? mode : "?");
		goto out;
	}
	ret = 0;
out:
	sqlite3_free(msg);
	sqlite3_finalize(s);
	return ret;
}

/* Opens st->db with SQLite open flags, then turns on extended result codes and the busy
 * timeout. Returns 0, or -1 with a message in err; either way store_free closes st->db. */
static int open_db(struct store *st, const char *path, int flags, char *err, size_t errlen)
{
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		         st->db ? sqlite3_errmsg(st->db) : "out of memory");
		return -1;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
	return 0;
}

struct store *store_open(const char *path, char *err, size_t errlen)
{
	return store_open_flags(path, 0, err, errlen);
}

struct store *store_open_flags(const char *path, int uri, char *err, size_t errlen)
{
	struct store *st = NULL;
	struct stat sb;
	int version = 0;

	if (stat(path, &sb) == 0) {
		if (schema_check_file(path, err, errlen) != 0)
			return NULL;
	} else if (errno != ENOENT) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	st = store_alloc();
	if (st == NULL || (st->cache = calloc(CERT_CACHE_SLOTS, sizeof(*st->cache))) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(st);
		return NULL;
	}
	if (open_db(st, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | (uri ? SQLITE_OPEN_URI : 0),
	            err, errlen) != 0 ||
	    schema_validate(st->db, path, 0, &version, err, errlen) != 0 ||
	    set_pragmas(st->db, err, errlen) != 0 ||
	    schema_migrate(st->db, err, errlen) != 0)
		goto fail;
	return st;
fail:
	store_free(st);
	return NULL;
}

struct store *store_open_readonly(const char *path, char *err, size_t errlen)
{
	struct store *st = NULL;
	struct stat sb;
	int version = 0;

	if (stat(path, &sb) != 0) {
		if (errno == ENOENT)
			snprintf(err, errlen, "no such database: %s", path);
		else
			snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (schema_check_file(path, err, errlen) != 0)
		return NULL;
	st = store_alloc();
	if (st == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	st->readonly = 1;
	if (open_db(st, path, SQLITE_OPEN_READONLY, err, errlen) != 0 ||
	    schema_validate(st->db, path, 1, &version, err, errlen) != 0)
		goto fail;
	return st;
fail:
	store_free(st);
	return NULL;
}

int store_close(struct store *st)
{
	int ret = 0;

	if (st == NULL)
		return 0;
	if (!st->readonly) {
		ret = store_flush(st);
		if (ret != 0 && st->in_batch)
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_exec(st->db, "PRAGMA optimize", NULL, NULL, NULL);
	}
	store_free(st);
	return ret;
}

/* ---------------------------------------------------------------- batching */
/* Forgets every cached id: called after a rollback, which may have removed rows. */
static void cache_clear(struct store *st)
{
	if (st->cache != NULL)
		memset(st->cache, 0, CERT_CACHE_SLOTS * sizeof(*st->cache));
}


void store_set_batch(struct store *st, int results, int ms)
{
	st->batch_max = results < 1 ? 1 : results;
	st->batch_ms = ms < 0 ? 0 : ms;
}

static int writable(struct store *st)
{
	if (st->readonly)
		return store_seterr(st, "the database is open read-only");
	return 0;
}

static int batch_begin(struct store *st)
{
	if (st->in_batch)
		return 0;
	if (run(st, ST_BEGIN, "beginning a transaction") != 0)
		return -1;
	st->in_batch = 1;
	st->pending = 0;
	st->batch_t0 = mono_ms();
	return 0;
}

/* Writes the pending resume watermark and heartbeat into the open transaction. */
static int put_progress(struct store *st)
{
	sqlite3_stmt *s = stmt(st, ST_SCAN_PROGRESS);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)st->progress_pos);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)time(NULL));
	sqlite3_bind_int64(s, 3, st->progress_scan);
	return step_done(st, s, "recording the scan's progress");
}

int store_flush(struct store *st)
{
	if (st->progress_dirty && !st->readonly &&
	    (batch_begin(st) != 0 || put_progress(st) != 0))
		return -1;
	if (!st->in_batch)
		return 0;
	if (run(st, ST_COMMIT, "committing") != 0)
		return -1; /* the transaction stays open: a later flush or close retries */
	st->in_batch = 0;
	st->pending = 0;
	st->progress_dirty = 0;
	return 0;
}

void store_scan_progress(struct store *st, int64_t scan_id, uint64_t pos)
{
	st->progress_scan = scan_id;
	st->progress_pos = pos;
	st->progress_dirty = 1;
}

static int batch_due(const struct store *st)
{
	return st->pending >= st->batch_max ||
	       (st->batch_ms > 0 && mono_ms() - st->batch_t0 >= st->batch_ms);
}

/* ---------------------------------------------------------------- scans */

int store_scan_begin(struct store *st, const char *name, const char *args, int64_t *scan_id)
{
	static const char sql[] =
		"INSERT INTO scans (name, args, started, status) VALUES (?1, ?2, ?3, 'running')";
	sqlite3_stmt *s;
	int ret;

	if (writable(st) != 0 || store_flush(st) != 0)
		return -1;
	if ((s = prepare_once(st, sql, "starting a scan")) == NULL)
		return -1;
	bind_text(s, 1, name);
	bind_text(s, 2, args ? args : "");
	sqlite3_bind_int64(s, 3, (sqlite3_int64)time(NULL));
	ret = step_done(st, s, "starting a scan");
	if (ret == 0)
		*scan_id = sqlite3_last_insert_rowid(st->db);
	sqlite3_finalize(s);
	return ret;
}

/* Counts the scan's stored observations when the caller has no totals. */
static int count_totals(struct store *st, int64_t scan_id, struct scan_totals *t)
{
	static const char sql[] =
		"SELECT count(*),"
		"  coalesce(sum(status NOT IN ('refused', 'timeout', 'dns_failed')), 0),"
		"  coalesce(sum(status = 'ok'), 0),"
		"  (SELECT count(DISTINCT oc.certificate_id) FROM observation_certs oc"
		"    JOIN observations o2 ON o2.id = oc.observation_id WHERE o2.scan_id = ?1)"
		" FROM observations WHERE scan_id = ?1";
	sqlite3_stmt *s = prepare_once(st, sql, "counting scan totals");
	int ret = -1;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, scan_id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		t->endpoints = (uint64_t)sqlite3_column_int64(s, 0);
		t->open = (uint64_t)sqlite3_column_int64(s, 1);
		t->tls = (uint64_t)sqlite3_column_int64(s, 2);
		t->unique_certs = (uint64_t)sqlite3_column_int64(s, 3);
		ret = 0;
	} else {
		store_sqlerr(st, "counting scan totals");
	}
	sqlite3_finalize(s);
	return ret;
}

/* Resolves the open findings of endpoints seen (status ok) in this scan that this scan did
 * not emit again. An endpoint that failed this time proves nothing: its findings stay open. */
static int resolve_findings(struct store *st, int64_t scan_id, int64_t now)
{
	static const char sql[] =
		"UPDATE findings SET status = 'resolved', resolved_at = ?1"
		" WHERE status = 'open' AND last_scan < ?2 AND ("
		"  (kind = 'cert' AND endpoint_id IN"
		"   (SELECT endpoint_id FROM observations WHERE scan_id = ?2 AND status = 'ok'))"
		"  OR (kind = 'config' AND endpoint_id IN"
		"   (SELECT endpoint_id FROM analyses WHERE scan_id = ?2)))";
	sqlite3_stmt *s = prepare_once(st, sql, "resolving findings");
	int ret;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, scan_id);
	ret = step_done(st, s, "resolving findings");
	sqlite3_finalize(s);
	return ret;
}

static int write_scan_end(struct store *st, int64_t scan_id, const struct scan_totals *t,
                          const char *status, int64_t now)
{
	static const char sql[] =
		"UPDATE scans SET ended = ?1, status = ?2, total_endpoints = ?3, total_open = ?4,"
		" total_tls = ?5, total_unique_certs = ?6 WHERE id = ?7";
	sqlite3_stmt *s = prepare_once(st, sql, "ending the scan");
	int ret;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	bind_text(s, 2, status);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)t->endpoints);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)t->open);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)t->tls);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)t->unique_certs);
	sqlite3_bind_int64(s, 7, scan_id);
	ret = step_done(st, s, "ending the scan");
	if (ret == 0 && sqlite3_changes(st->db) != 1)
		ret = store_seterr(st, "ending the scan: no scan %lld", (long long)scan_id);
	sqlite3_finalize(s);
	return ret;
}

int store_scan_end(struct store *st, int64_t scan_id, const struct scan_totals *t,
                   const char *status)
{
	struct scan_totals counted;
	int64_t now = (int64_t)time(NULL);

	if (writable(st) != 0)
		return -1;
	if (status == NULL || (strcmp(status, "done") != 0 && strcmp(status, "interrupted") != 0))
		return store_seterr(st, "scan status must be \"done\" or \"interrupted\"");
	if (store_flush(st) != 0 || batch_begin(st) != 0)
		return -1;
	if (t == NULL) {
		if (count_totals(st, scan_id, &counted) != 0)
			goto fail;
		t = &counted;
	}
	if (resolve_findings(st, scan_id, now) != 0 ||
	    write_scan_end(st, scan_id, t, status, now) != 0)
		goto fail;
	return store_flush(st);
fail:
	if (run(st, ST_ROLLBACK, "rolling back") == 0)
		st->in_batch = 0;
	cache_clear(st);
	return -1;
}

int store_scan_totals(struct store *st, int64_t scan_id, struct scan_totals *t)
{
	if (!st->readonly && store_flush(st) != 0)
		return -1;
	return count_totals(st, scan_id, t);
}

/* ---------------------------------------------------------------- resume and shards */

int store_scan_set_plan(struct store *st, int64_t scan_id, const struct scan_plan *p)
{
	static const char sql[] =
		"UPDATE scans SET seed = ?1, shard = ?2, nshards = ?3, space_hash = ?4,"
		" space_size = ?5, argv = ?6, resume_pos = 0 WHERE id = ?7";
	sqlite3_stmt *s;
	int ret;

	if (writable(st) != 0 || store_flush(st) != 0)
		return -1;
	if ((s = prepare_once(st, sql, "recording the scan's plan")) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)p->seed); /* two's complement: read back as is */
	sqlite3_bind_int64(s, 2, p->shard);
	sqlite3_bind_int64(s, 3, p->nshards);
	bind_text(s, 4, p->space_hash);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)p->space_size);
	bind_text(s, 6, p->argv_json);
	sqlite3_bind_int64(s, 7, scan_id);
	ret = step_done(st, s, "recording the scan's plan");
	if (ret == 0 && sqlite3_changes(st->db) != 1)
		ret = store_seterr(st, "recording the scan's plan: no scan %lld", (long long)scan_id);
	sqlite3_finalize(s);
	return ret;
}

int store_scan_claim(struct store *st, int64_t scan_id, const char *host, int64_t pid)
{
	static const char sql[] =
		"UPDATE scans SET status = 'running', ended = NULL, heartbeat = ?1, run_host = ?2,"
		" run_pid = ?3 WHERE id = ?4";
	sqlite3_stmt *s;
	int ret;

	if (writable(st) != 0 || store_flush(st) != 0)
		return -1;
	if ((s = prepare_once(st, sql, "claiming the scan")) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)time(NULL));
	bind_text(s, 2, host);
	sqlite3_bind_int64(s, 3, pid);
	sqlite3_bind_int64(s, 4, scan_id);
	ret = step_done(st, s, "claiming the scan");
	if (ret == 0 && sqlite3_changes(st->db) != 1)
		ret = store_seterr(st, "claiming the scan: no scan %lld", (long long)scan_id);
	sqlite3_finalize(s);
	return ret;
}

void scan_info_free(struct scan_info *si)
{
	if (si == NULL)
		return;
	free(si->name);
	free(si->status);
	free(si->space_hash);
	free(si->argv_json);
	free(si->run_host);
	memset(si, 0, sizeof(*si));
}

/* A malloc'd copy of a text column, NULL for NULL; -1 when out of memory. */
static int col_dup(sqlite3_stmt *s, int i, char **out)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	*out = NULL;
	if (t == NULL)
		return 0;
	*out = strdup((const char *)t);
	return *out == NULL ? -1 : 0;
}

int store_scan_info(struct store *st, int64_t id, const char *name, struct scan_info *si)
{
	static const char cols[] =
		"SELECT id, name, status, seed, shard, nshards, space_hash, space_size, argv,"
		" resume_pos, heartbeat, run_host, run_pid, merged, seed IS NOT NULL"
		"  AND nshards IS NOT NULL AND space_hash IS NOT NULL AND argv IS NOT NULL"
		" FROM scans";
	char sql[512];
	sqlite3_stmt *s = NULL;
	int rc, ret = -1;

	memset(si, 0, sizeof(*si));
	if (!st->readonly && store_flush(st) != 0)
		return -1;
	if (id > 0)
		snprintf(sql, sizeof(sql), "%s WHERE id = ?1", cols);
	else
		snprintf(sql, sizeof(sql), "%s WHERE name IS ?2 AND merged = 0"
		         " ORDER BY id DESC LIMIT 1", cols);
	if ((s = prepare_once(st, sql, "finding the scan")) == NULL)
		return -1;
	if (id > 0)
		sqlite3_bind_int64(s, 1, id);
	else
		bind_text(s, 2, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		ret = 0;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		store_sqlerr(st, "finding the scan");
		goto out;
	}
	si->id = sqlite3_column_int64(s, 0);
	si->seed = (uint64_t)sqlite3_column_int64(s, 3);
	si->shard = (uint32_t)sqlite3_column_int64(s, 4);
	si->nshards = (uint32_t)sqlite3_column_int64(s, 5);
	si->space_size = (uint64_t)sqlite3_column_int64(s, 7);
	si->resume_pos = (uint64_t)sqlite3_column_int64(s, 9);
	si->heartbeat = sqlite3_column_int64(s, 10);
	si->run_pid = sqlite3_column_int64(s, 12);
	si->merged = sqlite3_column_int(s, 13);
	si->has_plan = sqlite3_column_int(s, 14);
	if (col_dup(s, 1, &si->name) != 0 || col_dup(s, 2, &si->status) != 0 ||
	    col_dup(s, 6, &si->space_hash) != 0 || col_dup(s, 8, &si->argv_json) != 0 ||
	    col_dup(s, 11, &si->run_host) != 0) {
		store_seterr(st, "out of memory");
		scan_info_free(si);
		goto out;
	}
	ret = 1;
out:
	sqlite3_finalize(s);
	return ret;
}

int store_each_stored_from(struct store *st, int64_t scan_id, uint64_t pos, stored_pos_cb cb,
                           void *arg)
{
	static const char sql[] =
		"SELECT o.pos, e.ip FROM observations o JOIN endpoints e ON e.id = o.endpoint_id"
		" WHERE o.scan_id = ?1 AND o.pos >= ?2";
	sqlite3_stmt *s;
	int rc, ret = 0;

	if (!st->readonly && store_flush(st) != 0)
		return -1;
	if ((s = prepare_once(st, sql, "reading the scan's results")) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, scan_id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)pos);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *ip = (const char *)sqlite3_column_text(s, 1);

		if ((ret = cb(arg, (uint64_t)sqlite3_column_int64(s, 0), ip != NULL ? ip : "")) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_sqlerr(st, "reading the scan's results");
	sqlite3_finalize(s);
	return ret;
}

int store_uuid(struct store *st, char uuid[33])
{
	static const char sql[] = "SELECT value FROM store_meta WHERE key = 'uuid'";
	sqlite3_stmt *s;
	const unsigned char *v;
	int ret = -1;

	if ((s = prepare_once(st, sql, "reading the database's identity")) == NULL)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW && (v = sqlite3_column_text(s, 0)) != NULL &&
	    strlen((const char *)v) == 32) {
		memcpy(uuid, v, 33);
		ret = 0;
	} else {
		store_seterr(st, "the database has no identity (store_meta)");
	}
	sqlite3_finalize(s);
	return ret;
}

/* ---------------------------------------------------------------- one result */

/* One position of the presented chain. Pointers are borrowed from the observation/analysis. */
struct chain_pos {
	unsigned char md[32];
	char sha256[65];
	const struct certinfo *ci;      /* parsed facts, NULL when not analysed */
	const unsigned char *der;       /* NULL when unknown */
	size_t der_len;
	int64_t id;                     /* certificates.id once stored */
};

static const struct certinfo *find_certinfo(const struct analysis *an, const unsigned char *md)
{
	if (an == NULL)
		return NULL;
	for (size_t i = 0; i < an->n_certs && i < OBS_MAX_CHAIN; i++)
		if (an->certs[i] != NULL && memcmp(an->certs[i]->sha256, md, 32) == 0)
			return an->certs[i];
	return NULL;
}

/* Fills pos[] from the observation's DER chain, else from the analysis. Returns the count. */
static size_t chain_collect(const struct observation *obs, const struct analysis *an,
                            struct chain_pos *pos)
{
	size_t n = 0;

	if (obs->chain_len > 0) {
		for (size_t i = 0; i < obs->chain_len && i < OBS_MAX_CHAIN; i++) {
			if (obs->chain[i].der == NULL || obs->chain[i].len == 0)
				continue;
			SHA256(obs->chain[i].der, obs->chain[i].len, pos[n].md);
			hex_encode(pos[n].md, sizeof(pos[n].md), pos[n].sha256);
			pos[n].ci = find_certinfo(an, pos[n].md);
			pos[n].der = obs->chain[i].der;
			pos[n].der_len = obs->chain[i].len;
			n++;
		}
		return n;
	}
	for (size_t i = 0; an != NULL && i < an->n_certs && i < OBS_MAX_CHAIN; i++) {
		const struct certinfo *ci = an->certs[i];

		if (ci == NULL)
			continue;
		memcpy(pos[n].md, ci->sha256, sizeof(pos[n].md));
		hex_encode(ci->sha256, sizeof(ci->sha256), pos[n].sha256);
		pos[n].ci = ci;
		pos[n].der = ci->der;
		pos[n].der_len = ci->der_len;
		n++;
	}
	return n;
}

/* 16-byte ordering key of an address (IPv4 as ::ffff:a.b.c.d); 0 when not numeric. */
static int ip_key(const char *ip, unsigned char key[16])
{
	struct in_addr a4;

	if (inet_pton(AF_INET6, ip, key) == 1)
		return 1;
	if (inet_pton(AF_INET, ip, &a4) == 1) {
		memset(key, 0, 10);
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &a4, 4);
		return 1;
	}
	return 0;
}

static int put_endpoint(struct store *st, const struct observation *obs, int64_t now,
                        int64_t *id)
{
	sqlite3_stmt *s = stmt(st, ST_ENDPOINT_UPSERT);
	char ip[sizeof(obs->ip)];
	unsigned char key[16];

	if (s == NULL)
		return -1;
	snprintf(ip, sizeof(ip), "%.*s", (int)strnlen(obs->ip, sizeof(obs->ip)), obs->ip);
	sqlite3_bind_text(s, 1, ip, -1, SQLITE_STATIC);
	if (ip_key(ip, key))
		sqlite3_bind_blob(s, 2, key, sizeof(key), SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 2);
	sqlite3_bind_int(s, 3, obs->port);
	bind_text(s, 4, obs->sni ? obs->sni : "");
	bind_arr(s, 5, obs->starttls, sizeof(obs->starttls));
	bind_text(s, 6, obs->host ? obs->host : "");
	sqlite3_bind_int64(s, 7, now);
	bind_arr(s, 8, obs->geo.country, sizeof(obs->geo.country));
	bind_arr(s, 9, obs->geo.city, sizeof(obs->geo.city));
	bind_arr(s, 10, obs->geo.asn, sizeof(obs->geo.asn));
	bind_arr(s, 11, obs->geo.as_org, sizeof(obs->geo.as_org));
	bind_arr(s, 12, obs->geo.owner, sizeof(obs->geo.owner));
	bind_arr(s, 13, obs->geo.business_unit, sizeof(obs->geo.business_unit));
	bind_arr(s, 14, obs->geo.site, sizeof(obs->geo.site));
	sqlite3_bind_int(s, 15, obs->geo_looked_up);
	return step_id(st, s, "storing an endpoint", id);
}

/* Joins the SANs with spaces into a new string (bounded by SANS_MAX); NULL when out of memory. */
static char *join_sans(const struct certinfo *ci)
{
	size_t len = 0, cap = 1;
	char *out;

	for (size_t i = 0; i < ci->n_sans; i++)
		if (ci->sans[i] != NULL)
			cap += strlen(ci->sans[i]) + 1;
	if (cap > SANS_MAX)
		cap = SANS_MAX;
	out = malloc(cap);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < ci->n_sans; i++) {
		size_t n;

		if (ci->sans[i] == NULL)
			continue;
		n = strlen(ci->sans[i]);
		if (len + (len > 0) + n + 1 > cap)
			break; /* over SANS_MAX: keep whole names only */
		if (len > 0)
			out[len++] = ' ';
		memcpy(out + len, ci->sans[i], n);
		len += n;
	}
	out[len] = '\0';
	return out;
}

/* Steps a certificate upsert and records its RETURNING columns in the cache slot. */
static int step_cert(struct store *st, sqlite3_stmt *s, struct chain_pos *p,
                     struct cert_slot *slot)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_ROW) {
		store_sqlerr(st, "storing a certificate");
		stmt_done(s);
		return -1;
	}
	p->id = sqlite3_column_int64(s, 0);
	memcpy(slot->sha256, p->md, sizeof(slot->sha256));
	slot->id = p->id;
	slot->first_seen = sqlite3_column_int64(s, 1);
	slot->last_seen = sqlite3_column_int64(s, 2);
	slot->parsed = sqlite3_column_int(s, 3);
	slot->used = 1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	stmt_done(s);
	if (rc != SQLITE_DONE) {
		slot->used = 0;
		return store_sqlerr(st, "storing a certificate");
	}
	return 0;
}

static int put_cert_full(struct store *st, struct chain_pos *p, int64_t now,
                         struct cert_slot *slot)
{
	const struct certinfo *ci = p->ci;
	sqlite3_stmt *s = stmt(st, ST_CERT_UPSERT_FULL);
	char nb[32], na[32];
	char *sans = NULL;
	int ret;

	if (s == NULL)
		return -1;
	sans = join_sans(ci);
	if (sans == NULL)
		return store_seterr(st, "out of memory");
	iso_utc(ci->not_before, nb, sizeof(nb));
	iso_utc(ci->not_after, na, sizeof(na));
	bind_text(s, 1, p->sha256);
	if (p->der != NULL)
		sqlite3_bind_blob(s, 2, p->der, (int)p->der_len, SQLITE_STATIC);
	bind_text(s, 3, ci->subject);
	bind_text(s, 4, ci->issuer);
	bind_text(s, 5, ci->subject_cn);
	bind_text(s, 6, ci->issuer_cn);
	bind_text(s, 7, ci->issuer_org);
	bind_text(s, 8, ci->serial_hex);
	bind_text(s, 9, sans);
	bind_text(s, 10, nb);
	bind_text(s, 11, na);
	sqlite3_bind_int64(s, 12, (sqlite3_int64)ci->not_before);
	sqlite3_bind_int64(s, 13, (sqlite3_int64)ci->not_after);
	bind_arr(s, 14, ci->key_type, sizeof(ci->key_type));
	sqlite3_bind_int(s, 15, ci->key_bits);
	bind_arr(s, 16, ci->curve, sizeof(ci->curve));
	bind_arr(s, 17, ci->sig_alg, sizeof(ci->sig_alg));
	sqlite3_bind_int(s, 18, ci->sig_weak);
	bind_arr(s, 19, ci->sha1_hex, sizeof(ci->sha1_hex));
	bind_arr(s, 20, ci->key_usage, sizeof(ci->key_usage));
	bind_arr(s, 21, ci->ext_key_usage, sizeof(ci->ext_key_usage));
	bind_text(s, 22, ci->aia_ocsp);
	bind_text(s, 23, ci->aia_ca_issuers);
	bind_text(s, 24, ci->crl_url);
	sqlite3_bind_int(s, 25, ci->has_sct);
	sqlite3_bind_int(s, 26, ci->is_ca);
	sqlite3_bind_int(s, 27, ci->self_signed);
	sqlite3_bind_int64(s, 28, now);
	ret = step_cert(st, s, p, slot);
	free(sans);
	return ret;
}

static int put_cert_min(struct store *st, struct chain_pos *p, int64_t now,
                        struct cert_slot *slot)
{
	sqlite3_stmt *s = stmt(st, ST_CERT_UPSERT_MIN);

	if (s == NULL)
		return -1;
	bind_text(s, 1, p->sha256);
	if (p->der != NULL)
		sqlite3_bind_blob(s, 2, p->der, (int)p->der_len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	return step_cert(st, s, p, slot);
}

/* Upserts each position's certificate unless the cache shows its row needs no change: known
 * id, parsed columns present when we have them, first_seen <= now <= last_seen. */
static int put_certs(struct store *st, struct chain_pos *pos, size_t n, int64_t now)
{
	for (size_t i = 0; i < n; i++) {
		struct chain_pos *p = &pos[i];
		struct cert_slot *slot;
		uint32_t h;
		int hit, rc;

		memcpy(&h, p->md, sizeof(h));
		slot = &st->cache[h & (CERT_CACHE_SLOTS - 1)];
		hit = slot->used && memcmp(slot->sha256, p->md, sizeof(p->md)) == 0;
		if (hit && (slot->parsed || p->ci == NULL) && slot->first_seen <= now &&
		    slot->last_seen >= now) {
			p->id = slot->id;
			continue;
		}
		if (p->ci != NULL && !(hit && slot->parsed))
			rc = put_cert_full(st, p, now, slot);
		else
			rc = put_cert_min(st, p, now, slot);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static void bind_observation(sqlite3_stmt *s, int64_t scan_id, int64_t ep_id,
                             const struct observation *obs, const struct analysis *an,
                             size_t n_chain, int64_t now, int64_t pos)
{
	sqlite3_bind_int64(s, 1, scan_id);
	sqlite3_bind_int64(s, 2, ep_id);
	bind_text(s, 3, ep_status_name(obs->status));
	bind_arr(s, 4, obs->error, sizeof(obs->error));
	sqlite3_bind_int(s, 5, obs->tls_version);
	bind_arr(s, 6, obs->version, sizeof(obs->version));
	bind_arr(s, 7, obs->cipher, sizeof(obs->cipher));
	bind_arr(s, 8, obs->group, sizeof(obs->group));
	bind_arr(s, 9, obs->alpn, sizeof(obs->alpn));
	sqlite3_bind_int(s, 10, obs->ocsp_stapled);
	bind_ms(s, 11, obs->ms_connect);
	bind_ms(s, 12, obs->ms_starttls);
	bind_ms(s, 13, obs->ms_handshake);
	bind_ms(s, 14, obs->ms_total);
	if (an != NULL) {
		sqlite3_bind_int(s, 15, an->verified);
		sqlite3_bind_int(s, 16, an->verify_code);
		bind_arr(s, 17, an->verify_error, sizeof(an->verify_error));
		sqlite3_bind_int(s, 18, an->hostname_checked);
		sqlite3_bind_int(s, 19, an->hostname_ok);
		sqlite3_bind_int(s, 20, an->preferred);
	} /* else 15..20 stay NULL: not analysed */
	sqlite3_bind_int64(s, 21, (sqlite3_int64)n_chain);
	sqlite3_bind_int(s, 22, obs->chain_truncated);
	sqlite3_bind_int(s, 23, obs->attempts);
	sqlite3_bind_int64(s, 24, now);
	bind_text(s, 25, obs->source == OBS_PASSIVE ? "passive" : "active");
	bind_arr(s, 26, obs->ja3, sizeof(obs->ja3));
	bind_arr(s, 27, obs->ja3s, sizeof(obs->ja3s));
	if (pos >= 0)
		sqlite3_bind_int64(s, 28, pos);
}

/* Inserts the observation; a repeat of (scan, endpoint) replaces the earlier row (its chain
 * positions and finding links go with it through ON DELETE CASCADE). */
static int put_observation(struct store *st, int64_t scan_id, int64_t ep_id,
                           const struct observation *obs, const struct analysis *an,
                           size_t n_chain, int64_t now, int64_t pos, int64_t *id)
{
	sqlite3_stmt *s = stmt(st, ST_OBS_INSERT);
	sqlite3_stmt *del = NULL;
	int rc;

	if (s == NULL)
		return -1;
	bind_observation(s, scan_id, ep_id, obs, an, n_chain, now, pos);
	rc = sqlite3_step(s);
	stmt_done(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		if ((del = stmt(st, ST_OBS_DELETE)) == NULL)
			return -1;
		sqlite3_bind_int64(del, 1, scan_id);
		sqlite3_bind_int64(del, 2, ep_id);
		if (step_done(st, del, "replacing an observation") != 0)
			return -1;
		bind_observation(s, scan_id, ep_id, obs, an, n_chain, now, pos);
		rc = sqlite3_step(s);
		stmt_done(s);
	}
	if (rc != SQLITE_DONE)
		return store_sqlerr(st, "storing an observation");
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

static int put_chain(struct store *st, int64_t obs_id, const struct chain_pos *pos, size_t n)
{
	sqlite3_stmt *s = stmt(st, ST_OBS_CERT_INSERT);

	if (s == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_int64(s, 1, obs_id);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
		sqlite3_bind_int64(s, 3, pos[i].id);
		if (step_done(st, s, "storing a chain position") != 0)
			return -1;
	}
	return 0;
}

static int put_finding(struct store *st, const struct finding *f, int64_t ep_id, int64_t obs_id,
                       int64_t scan_id, const struct chain_pos *pos, size_t n, int64_t now,
                       const char *kind)
{
	sqlite3_stmt *s = stmt(st, ST_FINDING_UPSERT);
	sqlite3_stmt *link = stmt(st, ST_OBS_FINDING_INSERT);
	unsigned sev = (unsigned)f->severity;
	int64_t finding_id;

	if (s == NULL || link == NULL)
		return -1;
	if (sev >= sizeof(sev_names) / sizeof(sev_names[0]))
		sev = SEV_INFO;
	sqlite3_bind_int64(s, 1, ep_id);
	bind_text(s, 2, f->id);
	if (f->cert_pos >= 0 && (size_t)f->cert_pos < n) {
		bind_text(s, 3, pos[f->cert_pos].sha256);
		sqlite3_bind_int64(s, 4, pos[f->cert_pos].id);
	} else {
		bind_text(s, 3, ""); /* endpoint finding (and the NULL certificate_id stays) */
	}
	bind_text(s, 5, sev_names[sev]);
	sqlite3_bind_int(s, 6, (int)sev);
	bind_arr(s, 7, f->message, sizeof(f->message));
	sqlite3_bind_int64(s, 8, now);
	sqlite3_bind_int64(s, 9, scan_id);
	bind_text(s, 10, kind);
	if (step_id(st, s, "storing a finding", &finding_id) != 0)
		return -1;
	if (obs_id == 0) { /* no observation of this endpoint in the scan to link it to */
		stmt_done(link);
		return 0;
	}
	sqlite3_bind_int64(link, 1, obs_id);
	sqlite3_bind_int64(link, 2, finding_id);
	return step_done(st, link, "linking a finding");
}

/* The client certificates a passive capture saw: stored by DER (no parsed columns), linked in
 * observation_client_certs. */
static int put_client_chain(struct store *st, int64_t obs_id, const struct observation *obs,
                            int64_t now)
{
	struct chain_pos pos[OBS_MAX_CHAIN];
	sqlite3_stmt *s;
	size_t n = 0;

	for (size_t i = 0; i < obs->client_chain_len && i < OBS_MAX_CHAIN; i++) {
		if (obs->client_chain[i].der == NULL || obs->client_chain[i].len == 0)
			continue;
		memset(&pos[n], 0, sizeof(pos[n]));
		SHA256(obs->client_chain[i].der, obs->client_chain[i].len, pos[n].md);
		hex_encode(pos[n].md, sizeof(pos[n].md), pos[n].sha256);
		pos[n].der = obs->client_chain[i].der;
		pos[n].der_len = obs->client_chain[i].len;
		n++;
	}
	if (n == 0)
		return 0;
	if (put_certs(st, pos, n, now) != 0 || (s = stmt(st, ST_OBS_CLIENT_CERT_INSERT)) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_int64(s, 1, obs_id);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
		sqlite3_bind_int64(s, 3, pos[i].id);
		if (step_done(st, s, "storing a client certificate") != 0)
			return -1;
	}
	return 0;
}

static int put_findings(struct store *st, const struct analysis *an, int64_t ep_id,
                        int64_t obs_id, int64_t scan_id, const struct chain_pos *pos, size_t n,
                        int64_t now)
{
	for (size_t i = 0; an != NULL && i < an->n_findings; i++) {
		if (an->findings[i].id == NULL)
			continue;
		if (put_finding(st, &an->findings[i], ep_id, obs_id, scan_id, pos, n, now, "cert") != 0)
			return -1;
	}
	return 0;
}

int store_add_result(struct store *st, int64_t scan_id, const struct observation *obs,
                     const struct analysis *an)
{
	return store_add_result_pos(st, scan_id, obs, an, -1);
}

int store_add_result_pos(struct store *st, int64_t scan_id, const struct observation *obs,
                         const struct analysis *an, int64_t perm_pos)
{
	struct chain_pos pos[OBS_MAX_CHAIN];
	int64_t now = obs->started > 0 ? (int64_t)obs->started : (int64_t)time(NULL);
	int64_t ep_id = 0, obs_id = 0;
	size_t n;

	if (writable(st) != 0 || batch_begin(st) != 0)
		return -1;
	if (run(st, ST_SAVEPOINT, "starting a result") != 0)
		return -1;
	memset(pos, 0, sizeof(pos));
	n = chain_collect(obs, an, pos);
	if (put_endpoint(st, obs, now, &ep_id) != 0 ||
	    put_certs(st, pos, n, now) != 0 ||
	    put_observation(st, scan_id, ep_id, obs, an, n, now, perm_pos, &obs_id) != 0 ||
	    put_chain(st, obs_id, pos, n) != 0 ||
	    put_client_chain(st, obs_id, obs, now) != 0 ||
	    put_findings(st, an, ep_id, obs_id, scan_id, pos, n, now) != 0) {
		/* Undo this result only; the message in st->err is the first failure's. */
		sqlite3_stmt *s = stmt(st, ST_ROLLBACK_TO);

		cache_clear(st);
		if (s != NULL) {
			sqlite3_step(s);
			stmt_done(s);
		}
		if ((s = stmt(st, ST_RELEASE)) != NULL) {
			sqlite3_step(s);
			stmt_done(s);
		}
		return -1;
	}
	if (run(st, ST_RELEASE, "finishing a result") != 0)
		return -1;
	st->pending++;
	return batch_due(st) ? store_flush(st) : 0;
}

/* ---------------------------------------------------------------- deep analysis */

int store_add_analysis(struct store *st, int64_t scan_id, const struct observation *obs,
                       const struct analysis_record *rec)
{
	static const char find_obs[] = "SELECT id FROM observations WHERE scan_id = ?1 AND endpoint_id = ?2";
	static const char ins[] =
		"INSERT INTO analyses (scan_id, endpoint_id, grade, grade_ignoring_trust, score, protocols,"
		"  profile, connections, ms, analyzed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
		" ON CONFLICT (scan_id, endpoint_id) DO UPDATE SET grade = excluded.grade,"
		"  grade_ignoring_trust = excluded.grade_ignoring_trust, score = excluded.score,"
		"  protocols = excluded.protocols, profile = excluded.profile,"
		"  connections = excluded.connections, ms = excluded.ms, analyzed_at = excluded.analyzed_at";
	int64_t now = (int64_t)time(NULL), ep_id = 0, obs_id = 0;
	sqlite3_stmt *s = NULL;
	int rc;

	if (writable(st) != 0 || batch_begin(st) != 0)
		return -1;
	if (run(st, ST_SAVEPOINT, "starting an analysis") != 0)
		return -1;
	if (put_endpoint(st, obs, now, &ep_id) != 0)
		goto fail;
	if ((s = prepare_once(st, find_obs, "finding the observation")) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, scan_id);
	sqlite3_bind_int64(s, 2, ep_id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		obs_id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_sqlerr(st, "finding the observation");
		goto fail;
	}
	if ((s = prepare_once(st, ins, "storing an analysis")) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, scan_id);
	sqlite3_bind_int64(s, 2, ep_id);
	bind_text(s, 3, rec->grade);
	bind_text(s, 4, rec->grade_ignoring_trust != NULL ? rec->grade_ignoring_trust : "");
	sqlite3_bind_int(s, 5, rec->score);
	bind_text(s, 6, rec->protocols != NULL ? rec->protocols : "");
	bind_text(s, 7, rec->profile_json != NULL ? rec->profile_json : "{}");
	sqlite3_bind_int(s, 8, (int)rec->connections);
	bind_ms(s, 9, rec->ms);
	sqlite3_bind_int64(s, 10, now);
	rc = step_done(st, s, "storing an analysis");
	sqlite3_finalize(s);
	if (rc != 0)
		goto fail;
	for (size_t i = 0; i < rec->n_findings; i++)
		if (rec->findings[i].id != NULL &&
		    put_finding(st, &rec->findings[i], ep_id, obs_id, scan_id, NULL, 0, now, "config") != 0)
			goto fail;
	if (run(st, ST_RELEASE, "finishing an analysis") != 0)
		return -1;
	st->pending++;
	return batch_due(st) ? store_flush(st) : 0;
fail:
	cache_clear(st);
	if ((s = stmt(st, ST_ROLLBACK_TO)) != NULL) {
		sqlite3_step(s);
		stmt_done(s);
	}
	if ((s = stmt(st, ST_RELEASE)) != NULL) {
		sqlite3_step(s);
		stmt_done(s);
	}
	return -1;
}
