/*
 * store.h: the SQLite inventory. The only code in certsweep that speaks SQL.
 *
 * Schema (versioned with PRAGMA user_version, migrations applied in order at open):
 *   certificates  deduplicated by SHA-256, DER kept, parsed columns for reports
 *   endpoints     (ip, port, sni, starttls) unique, first_seen/last_seen
 *   scans         start/end, arguments, totals, status (running/done/interrupted)
 *   observations  endpoint x scan: status, error, version, cipher, group, alpn, timings
 *   observation_certs  chain positions of an observation
 *   findings      (endpoint, check id, certificate) with open/resolved, first_seen/last_seen
 *
 * Writes are batched: results are buffered into one open transaction that is committed every
 * `batch` results or `batch_ms` milliseconds (whichever first) and at store_scan_end. WAL mode,
 * synchronous=NORMAL: a crash loses at most the open batch, never committed rows.
 *
 * Every value is bound as a parameter: certificate fields never reach SQL text.
 * Functions return 0 on success, -1 on failure with a message in the store (store_errmsg).
 */
#ifndef CS_STORE_H
#define CS_STORE_H

#include <stdint.h>
#include <time.h>

#include "analyzer/analyzer.h"
#include "core/observation.h"

struct store;

/* Opens (creating if needed) and migrates the database. On failure returns NULL and writes a
 * clear message to err (e.g. "not a certsweep database", "database is corrupt"). */
struct store *store_open(const char *path, char *err, size_t errlen);
/* Opens an existing database read-only (reports); fails if missing. */
struct store *store_open_readonly(const char *path, char *err, size_t errlen);
/* Commits any open batch and closes. NULL is a no-op. */
int store_close(struct store *st);
const char *store_errmsg(const struct store *st);
/* Current schema version the code writes. */
int store_schema_version(void);

struct scan_totals {
	uint64_t endpoints;       /* endpoints tried */
	uint64_t open;            /* TCP connect succeeded */
	uint64_t tls;             /* TLS handshake completed (chain recorded) */
	uint64_t unique_certs;    /* distinct certificates seen in this scan */
};

/* Starts a scan row; name may be NULL (ad-hoc scan); args is the command line as text. */
int store_scan_begin(struct store *st, const char *name, const char *args, int64_t *scan_id);
/* Buffers one endpoint result (observation + its analysis, which may be NULL when not analysed). */
int store_add_result(struct store *st, int64_t scan_id, const struct observation *obs,
                     const struct analysis *an);
/* Commits, resolves findings of endpoints re-scanned in this scan that were not re-emitted,
 * writes totals and end time. status: "done" or "interrupted". */
int store_scan_end(struct store *st, int64_t scan_id, const struct scan_totals *t,
                   const char *status);
/* Commits the open batch now. */
int store_flush(struct store *st);
/* Batch tuning (defaults: 500 results, 1000 ms). */
void store_set_batch(struct store *st, int results, int ms);

/* A deep analysis of one endpoint (certsweep analyze, scan --checks advanced). Strings are
 * borrowed; findings are the configuration findings (kind 'config'), resolved by a later scan
 * that analyses the same endpoint without re-emitting them. */
struct analysis_record {
	const char *grade;                 /* "A+", "A", ..., "T", "M" */
	const char *grade_ignoring_trust;  /* the grade without the trust rules, "" when the same */
	int score;                         /* 0..100 */
	const char *protocols;             /* space-separated supported protocols */
	const char *profile_json;          /* the analyze --json document */
	unsigned connections;
	double ms;
	const struct finding *findings;
	size_t n_findings;
};
/* Stores it for the endpoint obs names (creating the endpoint if needed), linked to the scan's
 * observation of that endpoint when there is one. Batched like store_add_result. */
int store_add_analysis(struct store *st, int64_t scan_id, const struct observation *obs,
                       const struct analysis_record *rec);

/* Latest finished-or-interrupted scan id, optionally of a given name; 0 when there is none. */
int64_t store_latest_scan(struct store *st, const char *name);

/* One row of the "latest sweep, endpoint x leaf" view used by the CSV report. Strings are
 * borrowed for the duration of the callback only. */
struct leaf_row {
	const char *host;        /* hostname target or "" */
	const char *ip;
	int port;
	const char *sni;
	const char *starttls;
	const char *status;
	const char *subject_cn;
	const char *sans;        /* space-separated */
	const char *issuer;
	const char *not_after;   /* ISO 8601 UTC */
	int days_left;
	int preferred;
	const char *findings;    /* space-separated finding IDs */
	const char *sha256;
};
typedef int (*leaf_row_cb)(void *arg, const struct leaf_row *row);
/* Calls cb for every endpoint x leaf certificate of the scan (ok endpoints only), ordered by
 * ip, port. Stops and returns cb's value when it is non-zero. */
int store_each_leaf_row(struct store *st, int64_t scan_id, leaf_row_cb cb, void *arg);

#endif
