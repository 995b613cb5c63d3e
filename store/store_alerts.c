/*
 * store_alerts.c: the queries behind `certsweep alerts` and their once-per-crossing state
 * (schema migration 5; contract in store.h, threshold rules in alerts/alerts.h).
 *
 * "Currently served" is the leaf (position 0) of each endpoint's latest observation (by
 * observed_at, then id) when that observation is ok: a certificate replaced on every endpoint
 * that served it, or an endpoint that no longer answers, drops out, so a renewed certificate
 * never alerts again. Certificates are grouped, their endpoints joined with newlines.
 *
 * State: alerts_sent has one row per (kind, key, threshold, channel); alert_runs the time of
 * each channel's last successful run. Writes are single statements (autocommit) after the
 * open scan batch, if any, is committed. Every value is bound as a parameter.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>

static const char *col(sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);

	return v ? v : "";
}

static sqlite3_stmt *prepare(struct store *st, const char *sql, const char *what)
{
	sqlite3_stmt *s = NULL;

	st->err[0] = '\0';
	if (!st->readonly && store_flush(st) != 0)
		return NULL;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		store_sqlerr(st, what);
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

/* The endpoint of e as text (shared by both queries). */
#define ENDPOINT_TEXT(e) \
	"(CASE WHEN instr(" e ".ip, ':') > 0 THEN '[' || " e ".ip || ']' ELSE " e ".ip END" \
	" || ':' || " e ".port || CASE WHEN " e ".sni <> '' THEN ' (' || " e ".sni || ')'" \
	" ELSE '' END)"

/* Latest observation id of each endpoint. */
#define LATEST_CTE \
	"latest AS (SELECT e.id AS endpoint_id, (SELECT o.id FROM observations o" \
	"  WHERE o.endpoint_id = e.id ORDER BY o.observed_at DESC, o.id DESC LIMIT 1) AS obs_id" \
	"  FROM endpoints e)"

int store_each_served_cert(struct store *st, served_cert_cb cb, void *arg)
{
	static const char sql[] =
		"WITH " LATEST_CTE ","
		" served AS (SELECT oc.certificate_id AS cert_id, " ENDPOINT_TEXT("e") " AS ep"
		"  FROM latest l JOIN observations o ON o.id = l.obs_id AND o.status = 'ok'"
		"  JOIN observation_certs oc ON oc.observation_id = o.id AND oc.position = 0"
		"  JOIN endpoints e ON e.id = l.endpoint_id ORDER BY e.ip_key, e.port, e.sni)"
		" SELECT c.id, c.sha256, coalesce(c.subject_cn, ''), coalesce(c.not_after, ''),"
		"  coalesce(c.not_after_unix, 0), group_concat(s.ep, char(10))"
		" FROM served s JOIN certificates c ON c.id = s.cert_id"
		" GROUP BY c.id ORDER BY c.not_after_unix, c.sha256";
	sqlite3_stmt *s = prepare(st, sql, "reading the served certificates");
	int rc = SQLITE_DONE, ret = 0;

	if (s == NULL)
		return -1;
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct served_cert c = {
			.certificate_id = sqlite3_column_int64(s, 0),
			.sha256 = col(s, 1),
			.subject_cn = col(s, 2),
			.not_after = col(s, 3),
			.not_after_unix = sqlite3_column_int64(s, 4),
			.endpoints = col(s, 5),
		};

		ret = cb(arg, &c);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_sqlerr(st, "reading the served certificates");
	sqlite3_finalize(s);
	return ret;
}

int store_each_new_finding(struct store *st, const char *check_id, int64_t since,
                           new_finding_cb cb, void *arg)
{
	static const char sql[] =
		"WITH " LATEST_CTE ","
		" f AS (SELECT f.id, f.first_seen, f.endpoint_id, coalesce(f.certificate_id,"
		"   (SELECT oc.certificate_id FROM latest l JOIN observation_certs oc"
		"     ON oc.observation_id = l.obs_id AND oc.position = 0"
		"     WHERE l.endpoint_id = f.endpoint_id)) AS cert_id"
		"  FROM findings f WHERE f.status = 'open' AND f.check_id = ?1 AND f.first_seen >= ?2)"
		" SELECT f.id, f.first_seen, coalesce(c.sha256, ''), coalesce(c.subject_cn, ''),"
		"  coalesce(c.not_after, ''), coalesce(c.not_after_unix, 0), " ENDPOINT_TEXT("e")
		" FROM f JOIN endpoints e ON e.id = f.endpoint_id"
		" LEFT JOIN certificates c ON c.id = f.cert_id ORDER BY f.id";
	sqlite3_stmt *s = prepare(st, sql, "reading new findings");
	int rc = SQLITE_DONE, ret = 0;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, check_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, since);
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct new_finding f = {
			.finding_id = sqlite3_column_int64(s, 0),
			.first_seen = sqlite3_column_int64(s, 1),
			.sha256 = col(s, 2),
			.subject_cn = col(s, 3),
			.not_after = col(s, 4),
			.not_after_unix = sqlite3_column_int64(s, 5),
			.endpoint = col(s, 6),
		};

		ret = cb(arg, &f);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_sqlerr(st, "reading new findings");
	sqlite3_finalize(s);
	return ret;
}

int store_alert_sent(struct store *st, const char *kind, const char *key, int threshold,
                     const char *channel)
{
	static const char sql[] =
		"SELECT 1 FROM alerts_sent WHERE kind = ?1 AND key = ?2 AND channel = ?3"
		" AND threshold <= ?4 LIMIT 1";
	sqlite3_stmt *s = prepare(st, sql, "reading the alerts sent");
	int rc, ret = -1;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, channel, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, threshold);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		ret = 1;
	else if (rc == SQLITE_DONE)
		ret = 0;
	else
		store_sqlerr(st, "reading the alerts sent");
	sqlite3_finalize(s);
	return ret;
}

static int exec_write(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE)
		store_sqlerr(st, what);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_alert_mark_sent(struct store *st, const char *kind, const char *key, int threshold,
                          const char *channel, int64_t now)
{
	static const char sql[] =
		"INSERT OR IGNORE INTO alerts_sent (kind, key, threshold, channel, sent_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5)";
	sqlite3_stmt *s;

	if (st->readonly)
		return store_seterr(st, "the database is open read-only");
	if ((s = prepare(st, sql, "recording a sent alert")) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, threshold);
	sqlite3_bind_text(s, 4, channel, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, now);
	return exec_write(st, s, "recording a sent alert");
}

int store_alert_last_run(struct store *st, const char *channel, int64_t *at)
{
	static const char sql[] = "SELECT ran_at FROM alert_runs WHERE channel = ?1";
	sqlite3_stmt *s = prepare(st, sql, "reading the last alerts run");
	int rc, ret = -1;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, channel, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*at = sqlite3_column_int64(s, 0);
		ret = 1;
	} else if (rc == SQLITE_DONE) {
		ret = 0;
	} else {
		store_sqlerr(st, "reading the last alerts run");
	}
	sqlite3_finalize(s);
	return ret;
}

int store_alert_set_last_run(struct store *st, const char *channel, int64_t at)
{
	static const char sql[] =
		"INSERT INTO alert_runs (channel, ran_at) VALUES (?1, ?2)"
		" ON CONFLICT (channel) DO UPDATE SET ran_at = excluded.ran_at";
	sqlite3_stmt *s;

	if (st->readonly)
		return store_seterr(st, "the database is open read-only");
	if ((s = prepare(st, sql, "recording the alerts run")) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, channel, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, at);
	return exec_write(st, s, "recording the alerts run");
}
