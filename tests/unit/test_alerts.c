/*
 * test_alerts.c: alerts/alerts.c and store/store_alerts.c (schema migration 5).
 *
 * Threshold logic at the day boundaries (floor of days left, the smallest threshold crossed,
 * expired = 0); threshold parsing. The once-per-crossing state on a store filled by hand
 * (an endpoint, its observations and leaves inserted through a second SQLite connection):
 * due once, not again after being marked, due again when a smaller threshold is crossed and
 * when expired, per channel, and never for a certificate no longer served. The ICS export
 * against a golden calendar (TEXT escaping, folding at 75 octets without cutting UTF-8, CRLF).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "alerts/alerts.h"
#include "store/store.h"

#define DAY 86400
#define T0 1764633600LL /* 2025-12-02T00:00:00Z */

static const int TH[] = { 30, 14, 7, 1 };

static void test_days_left(void **state)
{
	(void)state;
	assert_int_equal(alerts_days_left(T0 + 5 * DAY + 3600, T0), 5);
	assert_int_equal(alerts_days_left(T0 + DAY, T0), 1);
	assert_int_equal(alerts_days_left(T0 + DAY - 1, T0), 0);
	assert_int_equal(alerts_days_left(T0, T0), 0);
	assert_int_equal(alerts_days_left(T0 - 1, T0), -1);
	assert_int_equal(alerts_days_left(T0 - 30 * DAY, T0), -30);
	assert_int_equal(alerts_days_left(T0 - 30 * DAY - 1, T0), -31);
}

static void test_due_threshold(void **state)
{
	(void)state;
	assert_int_equal(alerts_due_threshold(T0 + 31 * DAY, T0, TH, 4), -1);
	assert_int_equal(alerts_due_threshold(T0 + 31 * DAY - 1, T0, TH, 4), 30);
	assert_int_equal(alerts_due_threshold(T0 + 30 * DAY, T0, TH, 4), 30);
	assert_int_equal(alerts_due_threshold(T0 + 14 * DAY + 5, T0, TH, 4), 14);
	assert_int_equal(alerts_due_threshold(T0 + 5 * DAY, T0, TH, 4), 7);
	assert_int_equal(alerts_due_threshold(T0 + 1 * DAY, T0, TH, 4), 1);
	assert_int_equal(alerts_due_threshold(T0 + 10, T0, TH, 4), 1);
	assert_int_equal(alerts_due_threshold(T0, T0, TH, 4), 0);
	assert_int_equal(alerts_due_threshold(T0 - 100 * DAY, T0, TH, 4), 0);
	/* order of the list does not matter */
	{
		static const int rev[] = { 1, 30, 7, 14 };

		assert_int_equal(alerts_due_threshold(T0 + 5 * DAY, T0, rev, 4), 7);
	}
	/* no thresholds: only expiry */
	assert_int_equal(alerts_due_threshold(T0 + DAY, T0, TH, 0), -1);
	assert_int_equal(alerts_due_threshold(T0 - DAY, T0, TH, 0), 0);
}

static void test_parse_thresholds(void **state)
{
	int t[ALERTS_MAX_THRESHOLDS];
	char err[128];

	(void)state;
	assert_int_equal(alerts_parse_thresholds("7,30,1,14,7", t, ALERTS_MAX_THRESHOLDS, err,
	                                         sizeof(err)), 4);
	assert_int_equal(t[0], 30);
	assert_int_equal(t[1], 14);
	assert_int_equal(t[2], 7);
	assert_int_equal(t[3], 1);
	assert_int_equal(alerts_parse_thresholds("0", t, 4, err, sizeof(err)), -1);
	assert_int_equal(alerts_parse_thresholds("3651", t, 4, err, sizeof(err)), -1);
	assert_int_equal(alerts_parse_thresholds("30,", t, 4, err, sizeof(err)), -1);
	assert_int_equal(alerts_parse_thresholds("-5", t, 4, err, sizeof(err)), -1);
	assert_int_equal(alerts_parse_thresholds("1 ,2", t, 4, err, sizeof(err)), -1);
	assert_int_equal(alerts_parse_thresholds("1,2,3,4,5", t, 4, err, sizeof(err)), -1);
	assert_int_equal(alerts_parse_thresholds("", t, 4, err, sizeof(err)), -1);
}

/* ---------------------------------------------------------------- state */

struct env {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct store *st;
	char err[256];

	if (e == NULL)
		return -1;
	snprintf(e->dir, sizeof(e->dir), "/tmp/cs-alerts-XXXXXX");
	if (mkdtemp(e->dir) == NULL)
		return -1;
	snprintf(e->path, sizeof(e->path), "%s/inv.db", e->dir);
	st = store_open(e->path, err, sizeof(err));
	if (st == NULL || store_close(st) != 0)
		return -1;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[160];

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", e->path, suffix[i]);
		unlink(p);
	}
	rmdir(e->dir);
	free(e);
	return 0;
}

static void sql(const char *path, const char *text)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", text, msg);
	sqlite3_close(db);
}

/* Endpoint 1 serves certificate 1 (expires T0 + 20 days) in scan 1. */
static void fill(const char *path)
{
	sql(path,
	    "INSERT INTO certificates (id, sha256, subject_cn, not_after, not_after_unix,"
	    "  first_seen, last_seen) VALUES"
	    "  (1, 'aa', 'one.test', '2025-12-22T00:00:00Z', 1764633600 + 20 * 86400, 0, 0),"
	    "  (2, 'bb', 'two.test', '2026-06-01T00:00:00Z', 1764633600 + 180 * 86400, 0, 0);"
	    "INSERT INTO endpoints (id, ip, port, sni, first_seen, last_seen) VALUES"
	    "  (1, '127.0.0.1', 443, 'one.test', 0, 0), (2, '::1', 8443, '', 0, 0);"
	    "INSERT INTO scans (id, started, status) VALUES (1, 0, 'done');"
	    "INSERT INTO observations (id, scan_id, endpoint_id, status, observed_at) VALUES"
	    "  (1, 1, 1, 'ok', 100), (2, 1, 2, 'ok', 100);"
	    "INSERT INTO observation_certs VALUES (1, 0, 1), (2, 0, 1);");
}

static size_t collect(struct store *st, const char *spec, int64_t now, struct alert_list *l)
{
	const char *arg;
	char err[256];
	const struct alert_channel *ch = alerts_find_channel(spec, &arg, err, sizeof(err));

	assert_non_null(ch);
	alert_list_free(l);
	assert_int_equal(alerts_collect(st, ch, spec, TH, 4, now, l, err, sizeof(err)), 0);
	return l->n;
}

static void mark(struct store *st, const char *spec, int64_t now, const struct alert_list *l)
{
	const char *arg;
	char err[256];
	const struct alert_channel *ch = alerts_find_channel(spec, &arg, err, sizeof(err));

	assert_int_equal(alerts_mark_sent(st, ch, spec, l, now, err, sizeof(err)), 0);
}

static void test_once_per_crossing(void **state)
{
	struct env *e = *state;
	struct alert_list l = { 0 };
	struct store *st;
	char err[256];

	fill(e->path);
	st = store_open(e->path, err, sizeof(err));
	assert_non_null(st);

	/* 20 days left: the 30 threshold, one alert naming both endpoints */
	assert_int_equal(collect(st, "stdout", T0, &l), 1);
	assert_string_equal(l.v[0].sha256, "aa");
	assert_int_equal(l.v[0].threshold, 30);
	assert_int_equal(l.v[0].days_left, 20);
	assert_string_equal(l.v[0].endpoints, "127.0.0.1:443 (one.test)\n[::1]:8443");
	/* not marked: due again (a failed channel retries) */
	assert_int_equal(collect(st, "stdout", T0, &l), 1);
	mark(st, "stdout", T0, &l);
	assert_int_equal(collect(st, "stdout", T0, &l), 0);
	/* another channel has its own state */
	assert_int_equal(collect(st, "webhook:http://127.0.0.1:1/", T0, &l), 1);
	/* 5 days later (15 left): still only 30 crossed; 13 days left crosses 14 */
	assert_int_equal(collect(st, "stdout", T0 + 5 * DAY, &l), 0);
	assert_int_equal(collect(st, "stdout", T0 + 6 * DAY + 1, &l), 1);
	assert_int_equal(l.v[0].threshold, 14);
	/* skipping 14 to 7: one alert, at 7; then 14 is not sent late */
	assert_int_equal(collect(st, "stdout", T0 + 15 * DAY, &l), 1);
	assert_int_equal(l.v[0].threshold, 7);
	mark(st, "stdout", T0 + 15 * DAY, &l);
	assert_int_equal(collect(st, "stdout", T0 + 15 * DAY, &l), 0);
	/* expired: threshold 0, once */
	assert_int_equal(collect(st, "stdout", T0 + 21 * DAY, &l), 1);
	assert_int_equal(l.v[0].threshold, 0);
	assert_int_equal(l.v[0].days_left, -1);
	mark(st, "stdout", T0 + 21 * DAY, &l);
	assert_int_equal(collect(st, "stdout", T0 + 40 * DAY, &l), 0);
	alert_list_free(&l);
	assert_int_equal(store_close(st), 0);

	/* Renewed: a later scan serves certificate 2 on both endpoints; 1 is no longer due. */
	sql(e->path, "DELETE FROM alerts_sent;"
	    "INSERT INTO scans (id, started, status) VALUES (2, 200, 'done');"
	    "INSERT INTO observations (id, scan_id, endpoint_id, status, observed_at) VALUES"
	    "  (3, 2, 1, 'ok', 200), (4, 2, 2, 'ok', 200);"
	    "INSERT INTO observation_certs VALUES (3, 0, 2), (4, 0, 2);");
	st = store_open(e->path, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(collect(st, "stdout", T0, &l), 0);
	/* the ics export gets every served certificate, whatever the state */
	assert_int_equal(collect(st, "ics:/dev/null", T0, &l), 1);
	assert_string_equal(l.v[0].sha256, "bb");
	alert_list_free(&l);
	assert_int_equal(store_close(st), 0);

	/* An endpoint whose latest observation failed serves nothing. */
	sql(e->path, "INSERT INTO scans (id, started, status) VALUES (3, 300, 'done');"
	    "INSERT INTO observations (id, scan_id, endpoint_id, status, observed_at) VALUES"
	    "  (5, 3, 1, 'refused', 300), (6, 3, 2, 'timeout', 300);");
	st = store_open(e->path, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(collect(st, "ics:/dev/null", T0, &l), 0);
	alert_list_free(&l);
	assert_int_equal(store_close(st), 0);
}

static void test_non_preferred_and_failed(void **state)
{
	struct env *e = *state;
	struct alert_list l = { 0 };
	struct store *st;
	char err[256];

	fill(e->path);
	sql(e->path,
	    "INSERT INTO findings (id, endpoint_id, check_id, severity, severity_level, first_seen,"
	    "  last_seen, first_scan, last_scan) VALUES"
	    "  (1, 2, 'issuer.non_preferred', 'medium', 2, 50, 50, 1, 1);"
	    "INSERT INTO orders (id, lineage_key, status, ca_state, duration_days, common_name,"
	    "  created_at, updated_at, created_by) VALUES"
	    "  (1, 'k1', 'Processing', 'Rejected by CA', 90, 'rej.test', 0, 0, 'manual'),"
	    "  (2, 'k2', 'Processing', NULL, 90, 'ok.test', 0, 0, 'manual');");
	st = store_open(e->path, err, sizeof(err));
	assert_non_null(st);
	/* thresholds crossed: none at T0 - 100 days */
	assert_int_equal(collect(st, "stdout", T0 - 100 * DAY, &l), 2);
	assert_int_equal(l.v[0].kind, ALERT_NON_PREFERRED);
	assert_string_equal(l.v[0].sha256, "aa");
	assert_string_equal(l.v[0].endpoints, "[::1]:8443");
	assert_int_equal(l.v[1].kind, ALERT_FAILED_RENEWAL);
	assert_string_equal(l.v[1].key, "1");
	mark(st, "stdout", 60, &l);
	assert_int_equal(collect(st, "stdout", T0 - 100 * DAY, &l), 0);
	alert_list_free(&l);
	assert_int_equal(store_close(st), 0);

	/* a finding first seen before the last run is not new (after its state is gone) */
	sql(e->path, "DELETE FROM alerts_sent;"
	    "INSERT INTO findings (id, endpoint_id, check_id, severity, severity_level, first_seen,"
	    "  last_seen, first_scan, last_scan) VALUES"
	    "  (2, 1, 'issuer.non_preferred', 'medium', 2, 70, 70, 1, 1);");
	st = store_open(e->path, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(collect(st, "stdout", T0 - 100 * DAY, &l), 2);
	assert_int_equal(l.v[0].kind, ALERT_NON_PREFERRED);
	assert_string_equal(l.v[0].key, "2");
	alert_list_free(&l);
	assert_int_equal(store_close(st), 0);
}

/* ---------------------------------------------------------------- ics */

static void test_ics_golden(void **state)
{
	/* CN with every TEXT special, a newline, a control byte and two-byte UTF-8 that must
	 * be folded between sequences (line 1 ends at 74 octets, a 2-byte e-acute would make 76). */
	struct alert a[2] = {
		{
			.kind = ALERT_EXPIRY, .key = (char *)(uintptr_t)"abc123", .threshold = 30,
			.days_left = 30, .not_after = 1767225600,
			.not_after_iso = (char *)(uintptr_t)"2026-01-01T00:00:00Z",
			.subject_cn = (char *)(uintptr_t)"a,b;c\\d\n\x1bx"
			"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
			.sha256 = (char *)(uintptr_t)"abc123",
			.endpoints = (char *)(uintptr_t)"127.0.0.1:443\n[::1]:443 (x.test)",
			.detail = (char *)(uintptr_t)"",
		},
		{ .kind = ALERT_FAILED_RENEWAL, .not_after = 0 }, /* no date: no event */
	};
	static const char golden[] =
		"BEGIN:VCALENDAR\r\n"
		"VERSION:2.0\r\n"
		"PRODID:-//certsweep//alerts//EN\r\n"
		"CALSCALE:GREGORIAN\r\n"
		"BEGIN:VEVENT\r\n"
		"UID:abc123-expiry@certsweep\r\n"
		"DTSTAMP:20251202T000000Z\r\n"
		"DTSTART;VALUE=DATE:20260101\r\n"
		"SUMMARY:Certificate expires: a\\,b\\;c\\\\d\\nx"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\r\n"
		" \xc3\xa9\r\n"
		"DESCRIPTION:SHA-256 abc123\\nnot after 2026-01-01T00:00:00Z\\nendpoints:\\n127\r\n"
		" .0.0.1:443\\n[::1]:443 (x.test)\r\n"
		"END:VEVENT\r\n"
		"END:VCALENDAR\r\n";
	char *out = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(alerts_ics_render(a, 2, (time_t)T0, &out, &len), 0);
	assert_int_equal(len, strlen(out));
	assert_string_equal(out, golden);
	free(out);
}

/* Every physical line of a long hostile value is at most 75 octets and unfolds to the input. */
static void test_ics_fold_bounds(void **state)
{
	char cn[600], *out = NULL, *p, *unfolded;
	size_t len = 0, o = 0;
	struct alert a = {
		.kind = ALERT_EXPIRY, .key = (char *)(uintptr_t)"k", .not_after = 1767225600,
		.not_after_iso = (char *)(uintptr_t)"", .sha256 = (char *)(uintptr_t)"k",
		.endpoints = (char *)(uintptr_t)"", .detail = (char *)(uintptr_t)"",
	};

	(void)state;
	for (size_t i = 0; i + 3 < sizeof(cn); i += 3)
		memcpy(cn + i, "\xe2\x82\xac", 3); /* euro sign: 3 octets */
	cn[sizeof(cn) - 1 - (sizeof(cn) - 1) % 3] = '\0';
	a.subject_cn = cn;
	assert_int_equal(alerts_ics_render(&a, 1, (time_t)T0, &out, &len), 0);
	unfolded = calloc(1, len + 1);
	assert_non_null(unfolded);
	for (p = out; *p != '\0';) {
		char *eol = strstr(p, "\r\n");

		assert_non_null(eol);
		assert_true(eol - p <= 75);
		if (*p == ' ') {
			o--; /* drop the previous newline: continuation */
			memcpy(unfolded + o, p + 1, (size_t)(eol - p - 1));
			o += (size_t)(eol - p - 1);
		} else {
			memcpy(unfolded + o, p, (size_t)(eol - p));
			o += (size_t)(eol - p);
		}
		unfolded[o++] = '\n';
		p = eol + 2;
	}
	assert_non_null(strstr(unfolded, cn));
	free(unfolded);
	free(out);
}

static void test_json_hostile(void **state)
{
	struct alert a = {
		.kind = ALERT_EXPIRY, .key = (char *)(uintptr_t)"k", .threshold = 0, .days_left = -3,
		.not_after = 1, .not_after_iso = (char *)(uintptr_t)"1970-01-01T00:00:01Z",
		.subject_cn = (char *)(uintptr_t)"bad\xff\"}", .sha256 = (char *)(uintptr_t)"k",
		.endpoints = (char *)(uintptr_t)"a:1\nb:2", .detail = (char *)(uintptr_t)"",
	};
	char *s;

	(void)state;
	s = alerts_json(&a, 1);
	assert_non_null(s);
	assert_string_equal(s, "{\"alerts\":[{\"kind\":\"expiry\",\"days_left\":-3,"
	                    "\"not_after\":\"1970-01-01T00:00:01Z\",\"subject_cn\":\"bad\xef\xbf\xbd\\\"}\","
	                    "\"sha256\":\"k\",\"endpoints\":[\"a:1\",\"b:2\"],\"threshold\":0,"
	                    "\"detail\":\"\"}]}");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_days_left),
		cmocka_unit_test(test_due_threshold),
		cmocka_unit_test(test_parse_thresholds),
		cmocka_unit_test_setup_teardown(test_once_per_crossing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_preferred_and_failed, setup, teardown),
		cmocka_unit_test(test_ics_golden),
		cmocka_unit_test(test_ics_fold_bounds),
		cmocka_unit_test(test_json_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
