/*
 * store.h: the SQLite inventory. The only code in certsweep that speaks SQL.
 *
 * Schema (versioned with PRAGMA user_version, migrations applied in order at open):
 *   certificates  deduplicated by SHA-256, DER kept, parsed columns for reports
 *   endpoints     (ip, port, sni, starttls) unique, first_seen/last_seen
 *   scans         start/end, arguments, totals, status (running/done/interrupted); for a
 *                 sweep its plan (seed, shard, space hash, command line) and resume watermark
 *   observations  endpoint x scan: status, error, version, cipher, group, alpn, timings,
 *                 permutation position
 *   store_meta    the database's random identity; merged_sources: scans merged from others
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
/* store_open, with SQLite's URI file names allowed when uri is set (certsweep merge attaches
 * its inputs as "file:PATH?mode=ro"; a path starting with "file:" is then a URI). */
struct store *store_open_flags(const char *path, int uri, char *err, size_t errlen);
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
/* The same, recording the endpoint's permutation position (pos >= 0; -1 for none), which
 * lets a resumed sweep skip the results already stored above its watermark. */
int store_add_result_pos(struct store *st, int64_t scan_id, const struct observation *obs,
                         const struct analysis *an, int64_t pos);
/* Commits, resolves findings of endpoints re-scanned in this scan that were not re-emitted,
 * writes totals and end time. status: "done" or "interrupted". */
int store_scan_end(struct store *st, int64_t scan_id, const struct scan_totals *t,
                   const char *status);
/* Commits the open batch now (with the pending store_scan_progress, if any). */
int store_flush(struct store *st);
/* Counts a scan's totals from its stored observations (open: status other than refused,
 * timeout, dns_failed; tls: status ok; certificates: distinct in its chains). */
int store_scan_totals(struct store *st, int64_t scan_id, struct scan_totals *t);
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

/* ================================================================ sweeps at scale (issue 7)
 * Resume and shards (doc/scale.md, schema migration 8). A sweep's scan row records its plan:
 * what a later process needs to rebuild the same permutation and to tell whether a target spec
 * is the same one. */
struct scan_plan {
	uint64_t seed;             /* the permutation seed */
	uint32_t shard, nshards;   /* 0-based shard and the shard count (0 and 1: not sharded) */
	const char *space_hash;    /* SHA-256 hex of the endpoint space (borrowed) */
	uint64_t space_size;       /* endpoints in the whole space (every shard) */
	const char *argv_json;     /* the scan's command line, a JSON array of strings (borrowed) */
};
/* Records the plan of a scan started by store_scan_begin (its watermark at 0). */
int store_scan_set_plan(struct store *st, int64_t scan_id, const struct scan_plan *p);
/* Marks the scan running by this process (host, pid): at its start, and when resumed (its
 * status goes back to running, its end time is cleared). */
int store_scan_claim(struct store *st, int64_t scan_id, const char *host, int64_t pid);
/* Records the resume watermark: every position of the scan's shard below pos is stored. It is
 * written (with a heartbeat, the time) in the transaction of the next commit, so it never runs
 * ahead of the committed results; call it after the results it covers were added. */
void store_scan_progress(struct store *st, int64_t scan_id, uint64_t pos);

/* A scan as `scan --resume` needs it. Strings owned (scan_info_free); NULL when absent. */
struct scan_info {
	int64_t id;
	char *name;                /* NULL for an ad-hoc scan */
	char *status;              /* running, done, interrupted */
	int has_plan;              /* 0: started by a certsweep without resume (or not a sweep) */
	uint64_t seed;
	uint32_t shard, nshards;
	char *space_hash;
	uint64_t space_size;
	char *argv_json;
	uint64_t resume_pos;       /* the watermark */
	int64_t heartbeat;         /* unix time of the last progress commit, 0 when unknown */
	char *run_host;            /* the host and process that last ran it */
	int64_t run_pid;
	int merged;                /* 1: assembled by certsweep merge */
};
void scan_info_free(struct scan_info *si);
/* Reads scan id, or with id 0 the latest scan named name (NULL: ad-hoc scans) that was not
 * assembled by merge, whatever its status. 1 when found (si filled), 0 when not, -1 on
 * failure. */
int store_scan_info(struct store *st, int64_t id, const char *name, struct scan_info *si);
/* Calls cb with (position, address) of every observation of the scan at position >= pos
 * (address "" for a failed name lookup). Returns 0, cb's non-zero value, or -1. */
typedef int (*stored_pos_cb)(void *arg, uint64_t pos, const char *ip);
int store_each_stored_from(struct store *st, int64_t scan_id, uint64_t pos, stored_pos_cb cb,
                           void *arg);
/* This database's random identity (32 lowercase hex digits and a NUL). */
int store_uuid(struct store *st, char uuid[33]);

/* certsweep merge (store/store_merge.c): copies the scans of the database at in_path into st.
 * See store_merge.c for the rules (shard scans of one sweep become one merged scan; a scan
 * merged before and unchanged since is skipped; running scans are left for a later merge). One
 * transaction per input: on failure nothing of it is kept. */
struct merge_stats {
	unsigned scans;            /* scans copied (or brought up to date) */
	unsigned unchanged;        /* merged before and unchanged since: skipped */
	unsigned running;          /* still running in the input: skipped */
	unsigned groups;           /* of the scans, shards (merged into their sweep run's scan) */
	uint64_t observations;     /* observations added */
};
int store_merge(struct store *st, const char *in_path, struct merge_stats *ms);

/* Latest finished-or-interrupted scan id of the given name; with name NULL the latest sweep
 * (`certsweep analyze` runs, named "analyze", are not sweeps). 0 when there is none. */
int64_t store_latest_scan(struct store *st, const char *name);
/* The finished-or-interrupted scan before scan_id with the same name (ad-hoc scans: the
 * previous ad-hoc scan), for diffs. 0 when there is none (or on error: store_errmsg). */
int64_t store_previous_scan(struct store *st, int64_t scan_id);
/* An endpoint a passive run saw that no active sweep ever observed. Strings borrowed for the
 * callback only. */
struct passive_endpoint {
	const char *ip, *sni, *starttls;
	int port;
};
typedef int (*passive_endpoint_cb)(void *arg, const struct passive_endpoint *e);
/* Calls cb for each endpoint observed in scan_id with no active observation anywhere, by
 * address. Returns 0, cb's non-zero value, or -1 (store_errmsg). */
int store_each_passive_only(struct store *st, int64_t scan_id, passive_endpoint_cb cb,
                            void *arg);
/* 1 when the scan exists, 0 when not, -1 on error. */
int store_scan_exists(struct store *st, int64_t scan_id);

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

/* ================================================================ orders (issue 4)
 * The renewal pipeline's orders (store/store_orders.c; the lifecycle rules are in
 * orders/orders.h, the store only records). Statuses and CA states are stored by name; ids of
 * certificates are 0 when absent. Each write runs in its own IMMEDIATE transaction (after the
 * open scan batch, if any, is committed), so an order, its endpoints and its audit-log row are
 * written together or not at all. Strings handed in are borrowed; strings handed out in
 * struct order_rec are owned by it (order_rec_free). */

/* A new order. status must be "Waiting for CSR" for the pipeline, but any valid name works. */
struct order_new {
	const char *lineage_key;
	const char *status;
	const char *product;             /* NULL when unspecified */
	int duration_days;               /* > 0 */
	const char *common_name;
	const char *sans;                /* space-separated */
	const char *reason;              /* "" for none */
	int64_t certificate_id;          /* 0: none */
	const char *ca_profile;          /* NULL: "sectigo" */
	const char *created_by;          /* "sync" or "manual" */
	const int64_t *endpoint_ids;
	size_t n_endpoints;
	const char *note;                /* the creation event's note; NULL for "" */
};

struct order_rec {
	int64_t id;
	char *lineage_key, *status, *ca_state; /* ca_state NULL when none */
	char *product;                   /* NULL when unspecified */
	int duration_days;
	char *common_name, *sans, *reason;
	int64_t certificate_id, new_certificate_id; /* 0 when none */
	char *csr_pem, *key_path;        /* NULL when none */
	char *ca_profile, *created_by;
	int64_t created_at, updated_at;
};
void order_rec_free(struct order_rec *o);

/* Creates the order, its endpoint links and its creation event ("" -> status, actor
 * created_by). Returns 0 with *id; 1 when an open order already holds the lineage (*id is that
 * order, nothing written); -1 with store_errmsg on failure (e.g. an unknown endpoint id). */
int store_order_create(struct store *st, const struct order_new *o, int64_t *id);
/* The open order (not Installed, Rejected or Cancelled) holding a lineage: 1 with *id, 0 when
 * none, -1 on failure. */
int store_order_open_lineage(struct store *st, const char *lineage_key, int64_t *id);
/* Reads order id into *o (zeroed first). 0, 1 when there is no such order, -1 on failure. */
int store_order_get(struct store *st, int64_t id, struct order_rec *o);
/* Calls cb for every order (status NULL) or those with that status, by id. The record is
 * borrowed for the callback only. Stops and returns cb's value when non-zero. */
typedef int (*order_cb)(void *arg, const struct order_rec *o);
int store_each_order(struct store *st, const char *status, order_cb cb, void *arg);
/* Moves order id from (from_status, from_ca) to (to_status, to_ca) and appends its audit-log
 * event, in one transaction. The caller has validated the change (orders_check_change); the
 * update applies only if the order is still in the from state, else -1 with "order N was
 * changed meanwhile". ca names may be NULL (none). note may be NULL. */
int store_order_transition(struct store *st, int64_t id, const char *from_status,
                           const char *from_ca, const char *to_status, const char *to_ca,
                           const char *actor, const char *note);

/* Stores the order's CSR (PEM) and key path (NULL: none, e.g. an imported CSR) and moves it
 * from (from_status, from_ca) to to_status (CA state unchanged) with its audit-log event, in
 * one transaction; the same compare-and-set as store_order_transition. */
int store_order_set_csr(struct store *st, int64_t id, const char *from_status,
                        const char *from_ca, const char *to_status, const char *csr_pem,
                        const char *key_path, const char *actor, const char *note);

/* Stores the issued chain (PEM, leaf first, already checked against the order) in
 * orders.issued_pem and moves the order from (from_status, from_ca) to Issued with CA state
 * "Certificate available for download", in one transaction with its audit-log event. via_ca
 * (NULL: none) is an intermediate CA state the CA went through (e.g. "Accepted for automatic
 * processing" when from_ca is NULL), recorded as its own event first. The same
 * compare-and-set as store_order_transition. */
int store_order_set_issued(struct store *st, int64_t id, const char *from_status,
                           const char *from_ca, const char *via_ca, const char *chain_pem,
                           const char *actor, const char *note);
/* The stored issued chain of order id: 0 with *pem (malloc'd, NULL when none), -1 on failure. */
int store_order_issued_pem(struct store *st, int64_t id, char **pem);

/* One row of an order's audit log; strings borrowed for the callback only. */
struct order_event {
	int64_t at;
	const char *from_status;         /* NULL for the creation event */
	const char *to_status;
	const char *from_ca_state, *to_ca_state; /* NULL when none */
	const char *actor, *note;
};
typedef int (*order_event_cb)(void *arg, const struct order_event *ev);
int store_each_order_event(struct store *st, int64_t order_id, order_event_cb cb, void *arg);

/* One endpoint of an order; strings borrowed for the callback only. */
struct order_endpoint {
	int64_t id;
	const char *ip, *sni, *starttls, *host;
	int port;
};
typedef int (*order_endpoint_cb)(void *arg, const struct order_endpoint *ep);
int store_each_order_endpoint(struct store *st, int64_t order_id, order_endpoint_cb cb,
                              void *arg);
/* Every endpoint with this address and port (any SNI or STARTTLS), by id, for `orders new
 * --endpoint`: calls cb per endpoint. */
int store_each_endpoint_at(struct store *st, const char *ip, int port, order_endpoint_cb cb,
                           void *arg);

/* One open finding that `orders sync` turns into an order, joined to the certificate to
 * replace: the finding's own certificate when the endpoint served it as its leaf, else the
 * leaf of the endpoint's latest ok observation (issuer.non_preferred is an endpoint finding;
 * a weak signature may be an intermediate's). certificate_id 0 and sans/cn "" when no leaf is
 * known. Strings borrowed for the callback only. */
struct sync_finding {
	int64_t finding_id;
	const char *check_id;
	int64_t endpoint_id;
	int64_t certificate_id;
	const char *common_name;         /* the certificate's subject CN */
	const char *sans;                /* the certificate's SANs, "DNS:x IP:y" */
	int64_t not_after;               /* unix seconds */
};
typedef int (*sync_finding_cb)(void *arg, const struct sync_finding *f);
/* Calls cb for every open finding whose check id is in kinds (NULL-terminated), by finding
 * id. */
int store_each_sync_finding(struct store *st, const char *const *kinds, sync_finding_cb cb,
                            void *arg);

/* ================================================================ alerts (issue 4)
 * The alerts' queries and their once-per-crossing state (store/store_alerts.c, schema
 * migration 5; the threshold rules are in alerts/alerts.h). Strings handed to callbacks are
 * borrowed for the callback only. */

/* A certificate currently served: the leaf of the latest observation of one or more endpoints,
 * when that observation is ok. endpoints: "IP:PORT" or "IP:PORT (SNI)" ("[IPv6]:PORT"),
 * separated by newlines, ordered. */
struct served_cert {
	int64_t certificate_id;
	const char *sha256;              /* lowercase hex */
	const char *subject_cn;
	const char *not_after;           /* ISO 8601 UTC */
	int64_t not_after_unix;
	const char *endpoints;
};
typedef int (*served_cert_cb)(void *arg, const struct served_cert *c);
/* Calls cb for every currently served certificate, by expiry then SHA-256. */
int store_each_served_cert(struct store *st, served_cert_cb cb, void *arg);

/* One open finding of check_id first seen at or after `since`, with the certificate it is
 * about (its own, else the endpoint's latest ok leaf; fields "" / 0 when none) and the
 * endpoint as above. */
struct new_finding {
	int64_t finding_id;
	int64_t first_seen;
	const char *sha256, *subject_cn, *not_after;
	int64_t not_after_unix;
	const char *endpoint;
};
typedef int (*new_finding_cb)(void *arg, const struct new_finding *f);
int store_each_new_finding(struct store *st, const char *check_id, int64_t since,
                           new_finding_cb cb, void *arg);

/* 1 when an alert (kind, key) was already sent on channel at a threshold <= threshold (a
 * smaller threshold is a later crossing), 0 when not, -1 on failure. */
int store_alert_sent(struct store *st, const char *kind, const char *key, int threshold,
                     const char *channel);
/* Records that it was sent at `now` (a repeat is not an error). */
int store_alert_mark_sent(struct store *st, const char *kind, const char *key, int threshold,
                          const char *channel, int64_t now);
/* When alerts last ran successfully on channel: 1 with *at, 0 when never, -1 on failure. */
int store_alert_last_run(struct store *st, const char *channel, int64_t *at);
int store_alert_set_last_run(struct store *st, const char *channel, int64_t at);

#endif
