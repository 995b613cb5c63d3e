/*
 * store_query.c: read queries for the reports. They work on read-only and read-write stores
 * (a read-write store first commits its open batch so the report sees every stored result).
 *
 * store_each_leaf_row: one row per (observation with status ok) x (its chain position 0),
 * ordered by the endpoint's numeric address (ip_key), port, SNI, STARTTLS. The finding IDs of
 * a row are those the observation emitted (observation_findings), distinct and sorted, read
 * with a second statement per row so the order is defined (group_concat's is not).
 * days_left is floor((not_after - now) / 1 day) with now = time(NULL) at the call.
 */
#include "store/store_int.h"
#include "store/inventory.h"

#include <stdio.h>
#include <string.h>

/* Bound of the space-separated finding IDs of one row; IDs past it are left out. */
#define FINDINGS_TEXT_MAX 2048

int64_t store_latest_scan(struct store *st, const char *name)
{
	static const char sql[] =
		"SELECT id FROM scans WHERE status IN ('done', 'interrupted')"
		" AND (?1 IS NULL AND coalesce(name, '') <> 'analyze' OR name = ?1)"
		" ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *s = NULL;
	int64_t id = 0;
	int rc;

	st->err[0] = '\0';
	if (!st->readonly && store_flush(st) != 0)
		return 0;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		store_sqlerr(st, "finding the latest scan");
		goto out;
	}
	if (name != NULL)
		sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		store_sqlerr(st, "finding the latest scan");
out:
	sqlite3_finalize(s);
	return id;
}

int64_t store_previous_scan(struct store *st, int64_t scan_id)
{
	static const char sql[] =
		"SELECT p.id FROM scans s JOIN scans p ON p.id < s.id"
		"  AND p.status IN ('done', 'interrupted') AND p.name IS s.name"
		" WHERE s.id = ?1 ORDER BY p.id DESC LIMIT 1";
	sqlite3_stmt *s = NULL;
	int64_t id = 0;
	int rc;

	st->err[0] = '\0';
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		store_sqlerr(st, "finding the previous scan");
		return 0;
	}
	sqlite3_bind_int64(s, 1, scan_id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		store_sqlerr(st, "finding the previous scan");
	sqlite3_finalize(s);
	return id;
}

int store_each_passive_only(struct store *st, int64_t scan_id, passive_endpoint_cb cb,
                            void *arg)
{
	static const char sql[] =
		"SELECT e.ip, e.port, e.sni, e.starttls FROM observations o"
		" JOIN endpoints e ON e.id = o.endpoint_id"
		" WHERE o.scan_id = ?1 AND NOT EXISTS (SELECT 1 FROM observations a"
		"   WHERE a.endpoint_id = e.id AND a.source = 'active')"
		" ORDER BY e.ip_key, e.ip, e.port, e.sni, e.starttls";
	sqlite3_stmt *s = NULL;
	int rc, ret = -1;

	st->err[0] = '\0';
	if (!st->readonly && store_flush(st) != 0)
		return -1;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		store_sqlerr(st, "listing passive-only endpoints");
		return -1;
	}
	sqlite3_bind_int64(s, 1, scan_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct passive_endpoint e = {
			.ip = (const char *)sqlite3_column_text(s, 0),
			.port = sqlite3_column_int(s, 1),
			.sni = (const char *)sqlite3_column_text(s, 2),
			.starttls = (const char *)sqlite3_column_text(s, 3),
		};
		int c;

		if (e.ip == NULL)
			e.ip = "";
		if (e.sni == NULL)
			e.sni = "";
		if (e.starttls == NULL)
			e.starttls = "";
		if ((c = cb(arg, &e)) != 0) {
			ret = c;
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		store_sqlerr(st, "listing passive-only endpoints");
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

/* Column text, "" for NULL. Valid until the next step of s. */
static const char *col(sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);

	return v ? v : "";
}

/* Writes the sorted distinct finding IDs of observation obs_id into buf. */
static int findings_text(struct store *st, sqlite3_stmt *fs, int64_t obs_id, char *buf,
                         size_t len)
{
	size_t used = 0;
	int rc;

	buf[0] = '\0';
	sqlite3_bind_int64(fs, 1, obs_id);
	while ((rc = sqlite3_step(fs)) == SQLITE_ROW) {
		const char *id = col(fs, 0);
		size_t n = strlen(id);

		if (used + (used > 0) + n + 1 > len)
			continue; /* bounded: drop what does not fit */
		if (used > 0)
			buf[used++] = ' ';
		memcpy(buf + used, id, n + 1);
		used += n;
	}
	sqlite3_reset(fs);
	if (rc != SQLITE_DONE)
		return store_sqlerr(st, "reading findings");
	return 0;
}

int store_each_leaf_row(struct store *st, int64_t scan_id, leaf_row_cb cb, void *arg)
{
	static const char rows_sql[] =
		"SELECT e.host, e.ip, e.port, e.sni, e.starttls, o.status, c.subject_cn, c.sans,"
		"  c.issuer, c.not_after, c.not_after_unix, coalesce(o.preferred, 0), c.sha256, o.id"
		" FROM observations o"
		" JOIN endpoints e ON e.id = o.endpoint_id"
		" JOIN observation_certs oc ON oc.observation_id = o.id AND oc.position = 0"
		" JOIN certificates c ON c.id = oc.certificate_id"
		" WHERE o.scan_id = ?1 AND o.status = 'ok'"
		" ORDER BY e.ip_key, e.ip, e.port, e.sni, e.starttls";
	static const char findings_sql[] =
		"SELECT DISTINCT f.check_id FROM observation_findings x"
		" JOIN findings f ON f.id = x.finding_id"
		" WHERE x.observation_id = ?1 ORDER BY f.check_id";
	sqlite3_stmt *rows = NULL, *fs = NULL;
	char findings[FINDINGS_TEXT_MAX];
	int64_t now = (int64_t)time(NULL);
	int rc, ret = -1;

	st->err[0] = '\0';
	if (!st->readonly && store_flush(st) != 0)
		return -1;
	if (sqlite3_prepare_v2(st->db, rows_sql, -1, &rows, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, findings_sql, -1, &fs, NULL) != SQLITE_OK) {
		store_sqlerr(st, "reading the leaf certificates");
		goto out;
	}
	sqlite3_bind_int64(rows, 1, scan_id);
	while ((rc = sqlite3_step(rows)) == SQLITE_ROW) {
		struct leaf_row r;
		int cb_ret;

		if (findings_text(st, fs, sqlite3_column_int64(rows, 13), findings,
		                  sizeof(findings)) != 0)
			goto out;
		memset(&r, 0, sizeof(r));
		r.host = col(rows, 0);
		r.ip = col(rows, 1);
		r.port = sqlite3_column_int(rows, 2);
		r.sni = col(rows, 3);
		r.starttls = col(rows, 4);
		r.status = col(rows, 5);
		r.subject_cn = col(rows, 6);
		r.sans = col(rows, 7);
		r.issuer = col(rows, 8);
		r.not_after = col(rows, 9);
		/* Unknown expiry (certificate stored without analysis): not_after "" and 0 days. */
		if (sqlite3_column_type(rows, 10) != SQLITE_NULL)
			r.days_left = inv_days_until(sqlite3_column_int64(rows, 10), now);
		r.preferred = sqlite3_column_int(rows, 11) != 0;
		r.findings = findings;
		r.sha256 = col(rows, 12);
		cb_ret = cb(arg, &r);
		if (cb_ret != 0) {
			ret = cb_ret;
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		store_sqlerr(st, "reading the leaf certificates");
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(fs);
	sqlite3_finalize(rows);
	return ret;
}

int store_scan_exists(struct store *st, int64_t scan_id)
{
	sqlite3_stmt *s = NULL;
	int found = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM scans WHERE id = ?1", -1, &s, NULL) != SQLITE_OK) {
		store_sqlerr(st, "looking up the scan");
		return -1;
	}
	sqlite3_bind_int64(s, 1, scan_id);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}
