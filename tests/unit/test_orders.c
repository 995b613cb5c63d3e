/*
 * test_orders.c: the renewal pipeline's orders (orders/lifecycle.c, orders/sync.c,
 * store/store_orders.c, schema migration 4).
 *
 * The transition tables are checked exhaustively against matrices written out here from the
 * issue's statuses and JCS states, the SC081 durations one second either side of each date,
 * lineage keys for order, case, prefixes and bounds. Sync runs on a store filled by hand (fake
 * certificates and findings, as tests/unit/test_store.c does) and is run twice. Migration from
 * a version 3 database keeps its rows. Rows are read back through a separate SQLite connection.
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

#include <openssl/sha.h>
#include <sqlite3.h>

#include "orders/orders.h"
#include "store/store.h"
#include "store/store_int.h"

struct env {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return -1;
	snprintf(e->dir, sizeof(e->dir), "/tmp/cs-orders-XXXXXX");
	if (mkdtemp(e->dir) == NULL)
		return -1;
	snprintf(e->path, sizeof(e->path), "%s/inv.db", e->dir);
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

/* ------------------------------------------------------------------ SQL helpers */

static sqlite3 *db_open(const char *path, int flags)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, flags, NULL), SQLITE_OK);
	return db;
}

static long long q_int(const char *path, const char *sql)
{
	sqlite3 *db = db_open(path, SQLITE_OPEN_READONLY);
	sqlite3_stmt *s = NULL;
	long long v;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void assert_text(const char *path, const char *sql, const char *want)
{
	sqlite3 *db = db_open(path, SQLITE_OPEN_READONLY);
	sqlite3_stmt *s = NULL;
	const char *t;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	t = (const char *)sqlite3_column_text(s, 0);
	assert_string_equal(t ? t : "(null)", want);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* Runs sql; returns SQLite's result code (so a test can expect a constraint failure). */
static int exec_rc(const char *path, const char *sql)
{
	sqlite3 *db = db_open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	return rc;
}

static void exec_sql(const char *path, const char *sql)
{
	int rc = exec_rc(path, sql);

	if (rc != SQLITE_OK)
		fail_msg("%s: error %d", sql, rc);
}

static struct store *open_ok(const char *path)
{
	char err[512] = "";
	struct store *st = store_open(path, err, sizeof(err));

	if (st == NULL)
		fail_msg("store_open: %s", err);
	return st;
}

/* ------------------------------------------------------------------ the tables */

enum { W = ORDER_WAITING_CSR, P = ORDER_PROCESSING, A = ORDER_AWAITING_PAYMENT,
       I = ORDER_ISSUED, N = ORDER_INSTALLED, R = ORDER_REJECTED, C = ORDER_CANCELLED };

static void test_status_table(void **state)
{
	/* allowed[from][to], in the issue's order: Waiting for CSR, Processing, Awaiting payment,
	 * Issued, Installed, Rejected, Cancelled. */
	static const int allowed[7][7] = {
		/*            W  P  A  I  N  R  C */
		[W] = {       0, 1, 0, 0, 0, 0, 1 },
		[P] = {       1, 0, 1, 1, 0, 1, 1 },
		[A] = {       0, 1, 0, 1, 0, 1, 1 },
		[I] = {       0, 0, 0, 0, 1, 0, 1 },
		[N] = {       0, 0, 0, 0, 0, 0, 0 },
		[R] = {       0, 0, 0, 0, 0, 0, 0 },
		[C] = {       0, 0, 0, 0, 0, 0, 0 },
	};
	static const char *const names[7] = { "Waiting for CSR", "Processing", "Awaiting payment",
	                                      "Issued", "Installed", "Rejected", "Cancelled" };
	char err[256];

	(void)state;
	assert_int_equal(ORDER_STATUS_COUNT, 7);
	for (int f = 0; f < 7; f++) {
		assert_string_equal(order_status_name((enum order_status)f), names[f]);
		assert_int_equal(order_status_closed((enum order_status)f), f == N || f == R || f == C);
		for (int t = 0; t < 7; t++) {
			int got = orders_transition_allowed((enum order_status)f, (enum order_status)t);
			int chk = orders_check_change(7, (enum order_status)f, (enum order_status)t, CA_NONE,
			                              CA_NONE, err, sizeof(err));

			if (got != allowed[f][t])
				fail_msg("%s -> %s: table says %d, want %d", names[f], names[t], got,
				         allowed[f][t]);
			assert_int_equal(chk, allowed[f][t] ? 0 : -1);
		}
	}
	assert_int_equal(orders_transition_allowed((enum order_status)-1, ORDER_PROCESSING), 0);
	assert_int_equal(orders_transition_allowed(ORDER_WAITING_CSR, ORDER_STATUS_COUNT), 0);
	assert_null(order_status_name(ORDER_STATUS_COUNT));
}

static void test_ca_table(void **state)
{
	/* allowed[from + 1][to]: from -1 is "no CA state yet". */
	enum { AA = CA_ACCEPTED_AUTO, WM = CA_WAITING_APPROVAL, AC = CA_ACCEPTED,
	       RJ = CA_REJECTED, CD = CA_CERT_AVAILABLE };
	static const int allowed[6][5] = {
		/*                AA WM AC RJ CD */
		[0] = {           1, 1, 0, 1, 0 },
		[1 + AA] = {      0, 0, 1, 1, 1 },
		[1 + WM] = {      0, 0, 1, 1, 0 },
		[1 + AC] = {      0, 0, 0, 1, 1 },
		[1 + RJ] = {      0, 0, 0, 0, 0 },
		[1 + CD] = {      0, 0, 0, 0, 0 },
	};
	static const char *const names[5] = {
		"Accepted for automatic processing", "Waiting for manual approval", "Accepted by CA",
		"Rejected by CA", "Certificate available for download" };

	(void)state;
	assert_int_equal(CA_STATE_COUNT, 5);
	for (int t = 0; t < 5; t++)
		assert_string_equal(ca_state_name((enum ca_state)t), names[t]);
	assert_null(ca_state_name(CA_NONE));
	for (int f = -1; f < 5; f++)
		for (int t = 0; t < 5; t++)
			assert_int_equal(orders_ca_transition_allowed((enum ca_state)f, (enum ca_state)t),
			                 allowed[f + 1][t]);
	/* Never back to "none". */
	for (int f = -1; f < 5; f++)
		assert_int_equal(orders_ca_transition_allowed((enum ca_state)f, CA_NONE), 0);
}

static void test_check_change_messages(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(orders_check_change(12, ORDER_ISSUED, ORDER_WAITING_CSR, CA_NONE, CA_NONE, err, sizeof(err)), -1);
	assert_string_equal(err, "order 12: cannot go from Issued to Waiting for CSR");
	assert_int_equal(orders_check_change(3, ORDER_CANCELLED, ORDER_PROCESSING, CA_NONE, CA_NONE, err, sizeof(err)), -1);
	assert_string_equal(err, "order 3: cannot change a cancelled order (Cancelled is final)");
	assert_int_equal(orders_check_change(3, ORDER_PROCESSING, ORDER_PROCESSING, CA_NONE, CA_NONE, err, sizeof(err)), -1);
	assert_string_equal(err, "order 3: already Processing");
	/* A CA state needs a request that went out. */
	assert_int_equal(orders_check_change(4, ORDER_WAITING_CSR, ORDER_WAITING_CSR, CA_NONE, CA_ACCEPTED_AUTO, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nothing was submitted"));
	assert_int_equal(orders_check_change(4, ORDER_WAITING_CSR, ORDER_PROCESSING, CA_NONE, CA_ACCEPTED_AUTO, err, sizeof(err)), 0);
	/* Only the CA state changes. */
	assert_int_equal(orders_check_change(4, ORDER_PROCESSING, ORDER_PROCESSING, CA_ACCEPTED_AUTO, CA_ACCEPTED, err, sizeof(err)), 0);
	assert_int_equal(orders_check_change(4, ORDER_PROCESSING, ORDER_PROCESSING, CA_ACCEPTED, CA_WAITING_APPROVAL, err,
	                                     sizeof(err)), -1);
	assert_string_equal(err, "order 4: cannot go from CA state Accepted by CA to Waiting for "
	                         "manual approval");
	assert_int_equal(orders_check_change(4, ORDER_PROCESSING, ORDER_PROCESSING, CA_NONE, CA_ACCEPTED, err, sizeof(err)), -1);
	assert_string_equal(err, "order 4: cannot go from CA state (none) to Accepted by CA");
	/* Nothing changes on a closed order, not even its CA state. */
	assert_int_equal(orders_check_change(5, ORDER_INSTALLED, ORDER_INSTALLED, CA_CERT_AVAILABLE, CA_REJECTED, err,
	                                     sizeof(err)), -1);
}

static void test_parse_names(void **state)
{
	enum order_status s;
	enum ca_state c;

	(void)state;
	assert_int_equal(order_status_parse("Waiting for CSR", &s), 0);
	assert_int_equal(s, W);
	assert_int_equal(order_status_parse("waiting-for-csr", &s), 0);
	assert_int_equal(s, W);
	assert_int_equal(order_status_parse("AWAITING_PAYMENT", &s), 0);
	assert_int_equal(s, A);
	assert_int_equal(order_status_parse("cancelled", &s), 0);
	assert_int_equal(s, C);
	assert_int_equal(order_status_parse("Cancel", &s), -1);
	assert_int_equal(order_status_parse("Cancelledx", &s), -1);
	assert_int_equal(order_status_parse("", &s), -1);
	assert_int_equal(order_status_parse(NULL, &s), -1);
	assert_int_equal(ca_state_parse("accepted-by-ca", &c), 0);
	assert_int_equal(c, CA_ACCEPTED);
	assert_int_equal(ca_state_parse("Certificate available for download", &c), 0);
	assert_int_equal(c, CA_CERT_AVAILABLE);
	assert_int_equal(ca_state_parse("none", &c), 0);
	assert_int_equal(c, CA_NONE);
	assert_int_equal(ca_state_parse("Accepted", &c), -1);
}

/* ------------------------------------------------------------------ durations */

static void test_default_duration(void **state)
{
	static const struct { int64_t t; int days; } cases[] = {
		{ 0, 398 },
		{ 1700000000, 398 },             /* 2023 */
		{ 1773532799, 398 },             /* 2026-03-14T23:59:59Z */
		{ 1773532800, 200 },             /* 2026-03-15T00:00:00Z */
		{ 1805068799, 200 },             /* 2027-03-14T23:59:59Z */
		{ 1805068800, 100 },             /* 2027-03-15 */
		{ 1868227199, 100 },             /* 2029-03-14T23:59:59Z */
		{ 1868227200, 47 },              /* 2029-03-15 */
		{ 4102444800, 47 },              /* 2100 */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (orders_default_duration((time_t)cases[i].t) != cases[i].days)
			fail_msg("at %lld: %d days, want %d", (long long)cases[i].t,
			         orders_default_duration((time_t)cases[i].t), cases[i].days);
}

/* ------------------------------------------------------------------ lineage keys */

static void test_lineage_key(void **state)
{
	static const int64_t eps1[] = { 17, 3, 17 }, eps2[] = { 3, 17 };
	char err[128], *k1, *k2, *k3, *big, *kb, *t;

	(void)state;
	k1 = orders_lineage_key("DNS:WWW.example.org DNS:a.example.org IP:127.0.0.1", "x", eps1, 3,
	                        err, sizeof(err));
	assert_non_null(k1);
	assert_string_equal(k1, "127.0.0.1,a.example.org,www.example.org|3,17");
	/* Same set typed by hand in another order and case, duplicates: same key. */
	k2 = orders_lineage_key("a.example.org 127.0.0.1 www.EXAMPLE.org a.example.org", NULL, eps2,
	                        2, err, sizeof(err));
	assert_non_null(k2);
	assert_string_equal(k1, k2);
	/* Other endpoints: another lineage. */
	k3 = orders_lineage_key("a.example.org 127.0.0.1 www.example.org", NULL, eps2, 1, err,
	                        sizeof(err));
	assert_string_equal(k3, "127.0.0.1,a.example.org,www.example.org|3");
	free(k1);
	free(k2);
	free(k3);
	/* No SAN: the common name. Nothing at all: an error. */
	k1 = orders_lineage_key("", "Legacy.Example", NULL, 0, err, sizeof(err));
	assert_string_equal(k1, "legacy.example|");
	free(k1);
	assert_null(orders_lineage_key("  ", "", NULL, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "no name"));
	/* Over the bound: hashed, same input same hash. */
	big = malloc(20000);
	assert_non_null(big);
	for (int i = 0; i < 1000; i++)
		snprintf(big + i * 19, 20, "n%05d.example.tld ", i);
	kb = orders_lineage_key(big, NULL, eps2, 2, err, sizeof(err));
	k1 = orders_lineage_key(big, NULL, eps2, 2, err, sizeof(err));
	assert_non_null(kb);
	assert_int_equal(strlen(kb), 7 + 64);
	assert_int_equal(strncmp(kb, "sha256:", 7), 0);
	assert_string_equal(kb, k1);
	free(kb);
	free(k1);
	free(big);
	t = orders_sans_text("DNS:www.example.org DNS:WWW.example.org IP:127.0.0.1");
	assert_string_equal(t, "www.example.org 127.0.0.1");
	free(t);
}

/* ------------------------------------------------------------------ a store filled by hand */

struct fake_cert {
	struct certinfo ci;
	unsigned char der[128];
	char *sans[3];
};

/* A leaf (or CA) named cn with SANs "DNS:cn" and sans2 (may be NULL). */
static void cert_init(struct fake_cert *fc, const char *cn, const char *san2, int is_ca)
{
	struct certinfo *ci = &fc->ci;
	char buf[300];
	int n;

	memset(fc, 0, sizeof(*fc));
	n = snprintf((char *)fc->der, sizeof(fc->der), "fake-der:%s", cn);
	ci->der = fc->der;
	ci->der_len = (size_t)n;
	SHA256(fc->der, ci->der_len, ci->sha256);
	for (int i = 0; i < 32; i++)
		snprintf(ci->sha256_hex + 2 * i, 3, "%02x", ci->sha256[i]);
	ci->subject_cn = strdup(cn);
	snprintf(buf, sizeof(buf), "DNS:%s", cn);
	fc->sans[0] = strdup(buf);
	fc->sans[1] = san2 != NULL ? strdup(san2) : NULL;
	ci->sans = fc->sans;
	ci->n_sans = san2 != NULL ? 2 : 1;
	ci->not_before = 1700000000;
	ci->not_after = 1800000000;
	ci->is_ca = is_ca;
}

static void cert_free(struct fake_cert *fc)
{
	free(fc->ci.subject_cn);
	free(fc->sans[0]);
	free(fc->sans[1]);
}

struct fake_an {
	struct analysis an;
	struct finding f[4];
};

/* Stores one ok observation of 127.0.0.1:port presenting leaf (+ ca), with findings given as
 * "id@pos" (pos -1 for endpoint findings). */
static void add_result(struct store *st, int64_t scan, int port, struct fake_cert *leaf,
                       struct fake_cert *ca, const char *const *ids, const int *pos, size_t n)
{
	struct observation *o = obs_new();
	struct fake_an fa;

	assert_non_null(o);
	snprintf(o->ip, sizeof(o->ip), "127.0.0.1");
	o->port = (uint16_t)port;
	o->status = EP_OK;
	o->started = 1750000000;
	assert_int_equal(obs_add_cert(o, leaf->der, leaf->ci.der_len), 0);
	memset(&fa, 0, sizeof(fa));
	fa.an.certs[0] = &leaf->ci;
	fa.an.n_certs = 1;
	if (ca != NULL) {
		assert_int_equal(obs_add_cert(o, ca->der, ca->ci.der_len), 0);
		fa.an.certs[1] = &ca->ci;
		fa.an.n_certs = 2;
	}
	fa.an.findings = fa.f;
	for (size_t i = 0; i < n; i++) {
		fa.f[i].id = ids[i];
		fa.f[i].severity = SEV_HIGH;
		fa.f[i].cert_pos = pos[i];
		snprintf(fa.f[i].message, sizeof(fa.f[i].message), "%s", ids[i]);
	}
	fa.an.n_findings = n;
	assert_int_equal(store_add_result(st, scan, o, &fa.an), 0);
	obs_free(o);
}

/* The inventory of the sync tests:
 *   :1001 and :1002 serve leaf "a.test" (+ www.a.test), cert.expired on both -> one lineage
 *   :1003 serves "b.test": issuer.non_preferred (endpoint finding) + cert.weak_key on the leaf
 *   :1004 serves "c.test": chain.untrusted only -> no order
 *   :1005 serves "d.test" via an intermediate with cert.weak_signature at position 1 -> an
 *         order for the leaf d.test */
static void fill_store(struct store *st, struct fake_cert *c)
{
	static const char *const expired[] = { "cert.expired" };
	static const char *const b_ids[] = { "issuer.non_preferred", "cert.weak_key" };
	static const char *const c_ids[] = { "chain.untrusted" };
	static const char *const d_ids[] = { "cert.weak_signature" };
	static const int p0[] = { 0 }, b_pos[] = { -1, 0 }, p1[] = { 1 }, pm[] = { -1 };
	int64_t scan = 0;

	cert_init(&c[0], "a.test", "DNS:www.a.test", 0);
	cert_init(&c[1], "b.test", "IP:127.0.0.1", 0);
	cert_init(&c[2], "c.test", NULL, 0);
	cert_init(&c[3], "d.test", NULL, 0);
	cert_init(&c[4], "Weak Intermediate", NULL, 1);
	assert_int_equal(store_scan_begin(st, "t", "", &scan), 0);
	add_result(st, scan, 1001, &c[0], NULL, expired, p0, 1);
	add_result(st, scan, 1002, &c[0], NULL, expired, p0, 1);
	add_result(st, scan, 1003, &c[1], NULL, b_ids, b_pos, 2);
	add_result(st, scan, 1004, &c[2], NULL, c_ids, pm, 1);
	add_result(st, scan, 1005, &c[3], &c[4], d_ids, p1, 1);
	assert_int_equal(store_scan_end(st, scan, NULL, "done"), 0);
}

struct seen {
	size_t n;
	char keys[8][128];
	char reasons[8][128];
	int existing[8];
};

static void seen_cb(void *arg, const struct sync_order *o)
{
	struct seen *s = arg;

	assert_true(s->n < 8);
	snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", o->lineage_key);
	snprintf(s->reasons[s->n], sizeof(s->reasons[0]), "%s", o->reason);
	s->existing[s->n] = o->existing;
	s->n++;
}

static long long ep_id(const char *path, int port)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT id FROM endpoints WHERE port = %d", port);
	return q_int(path, sql);
}

static void test_sync_idempotent(void **state)
{
	struct env *e = *state;
	struct fake_cert c[5];
	struct store *st = open_ok(e->path);
	struct sync_result res;
	struct seen s1 = { 0 }, s2 = { 0 }, s3 = { 0 };
	char err[256], want[128];
	time_t now = 1780000000; /* 2026-05-28: 200 days */

	fill_store(st, c);
	/* A dry run writes nothing. */
	assert_int_equal(orders_sync(st, now, 1, NULL, NULL, &res, err, sizeof(err)), 0);
	assert_int_equal(res.created, 3);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM orders"), 0);

	assert_int_equal(orders_sync(st, now, 0, seen_cb, &s1, &res, err, sizeof(err)), 0);
	assert_int_equal(res.findings, 5);  /* 2 expired, non_preferred, weak_key, weak_signature */
	assert_int_equal(res.lineages, 3);
	assert_int_equal(res.created, 3);
	assert_int_equal(res.existing, 0);
	assert_int_equal(s1.n, 3);
	/* In SAN-set order ("127.0.0.1,b.test" sorts before "a.test"). */
	snprintf(want, sizeof(want), "127.0.0.1,b.test|%lld", ep_id(e->path, 1003));
	assert_string_equal(s1.keys[0], want);
	snprintf(want, sizeof(want), "a.test,www.a.test|%lld,%lld", ep_id(e->path, 1001),
	         ep_id(e->path, 1002));
	assert_string_equal(s1.keys[1], want);
	snprintf(want, sizeof(want), "d.test|%lld", ep_id(e->path, 1005));
	assert_string_equal(s1.keys[2], want);
	assert_non_null(strstr(s1.reasons[0], "issuer.non_preferred#"));
	assert_non_null(strstr(s1.reasons[0], "cert.weak_key#"));
	assert_non_null(strstr(s1.reasons[2], "cert.weak_signature#"));
	assert_int_equal(strncmp(s1.reasons[1], "cert.expired#", 13), 0);
	assert_non_null(strstr(s1.reasons[1], " cert.expired#"));

	assert_int_equal(q_int(e->path, "SELECT count(*) FROM orders"), 3);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM orders WHERE status = 'Waiting for CSR'"
	                                " AND created_by = 'sync' AND duration_days = 200"
	                                " AND ca_state IS NULL AND ca_profile = 'sectigo'"), 3);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM order_endpoints oe JOIN orders o"
	                                " ON o.id = oe.order_id WHERE o.common_name = 'a.test'"), 2);
	assert_text(e->path, "SELECT sans FROM orders WHERE common_name = 'a.test'", "a.test www.a.test");
	/* d.test's order replaces the leaf, not the weak intermediate. */
	assert_int_equal(q_int(e->path, "SELECT o.certificate_id = c.id FROM orders o JOIN"
	                                " certificates c ON c.subject_cn = 'd.test'"
	                                " WHERE o.common_name = 'd.test'"), 1);
	assert_int_equal(q_int(e->path, "SELECT o.certificate_id = c.id FROM orders o JOIN"
	                                " certificates c ON c.subject_cn = 'b.test'"
	                                " WHERE o.common_name = 'b.test'"), 1);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM orders WHERE common_name = 'c.test'"), 0);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM order_events WHERE from_status IS NULL"
	                                " AND to_status = 'Waiting for CSR' AND actor = 'sync'"), 3);

	/* Twice: nothing new. */
	assert_int_equal(orders_sync(st, now, 0, seen_cb, &s2, &res, err, sizeof(err)), 0);
	assert_int_equal(res.created, 0);
	assert_int_equal(res.existing, 3);
	assert_int_equal(s2.n, 3);
	assert_true(s2.existing[0] && s2.existing[1] && s2.existing[2]);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM orders"), 3);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM order_events"), 3);

	/* A cancelled order frees its lineage: the still-open finding orders it again. */
	{
		int64_t id = q_int(e->path, "SELECT id FROM orders WHERE common_name = 'd.test'");

		assert_int_equal(store_order_transition(st, id, "Waiting for CSR", NULL, "Cancelled",
		                                        NULL, "manual", "not ours"), 0);
	}
	assert_int_equal(orders_sync(st, now, 0, seen_cb, &s3, &res, err, sizeof(err)), 0);
	assert_int_equal(res.created, 1);
	assert_int_equal(res.existing, 2);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM orders WHERE common_name = 'd.test'"), 2);
	assert_int_equal(store_close(st), 0);
	for (int i = 0; i < 5; i++)
		cert_free(&c[i]);
}

/* ------------------------------------------------------------------ store: create, transition */

static void test_create_and_transition(void **state)
{
	struct env *e = *state;
	struct store *st = open_ok(e->path);
	struct order_rec o;
	int64_t id = 0, id2 = 0;
	static const int64_t no_such[] = { 999 };
	struct order_new on = {
		.lineage_key = "x.test|", .status = "Waiting for CSR", .product = "PositiveSSL",
		.duration_days = 90, .common_name = "x.test", .sans = "x.test", .reason = "",
		.created_by = "manual",
	};

	assert_int_equal(store_order_create(st, &on, &id), 0);
	assert_true(id > 0);
	/* Same lineage while open: refused, the holder's id given. */
	assert_int_equal(store_order_create(st, &on, &id2), 1);
	assert_int_equal(id2, id);
	assert_non_null(strstr(store_errmsg(st), "already open"));
	/* An unknown endpoint: nothing written at all. */
	on.lineage_key = "y.test|999";
	on.endpoint_ids = no_such;
	on.n_endpoints = 1;
	assert_int_equal(store_order_create(st, &on, &id2), -1);
	assert_non_null(strstr(store_errmsg(st), "no endpoint 999"));
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM orders"), 1);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM order_events"), 1);
	/* A status the schema does not know. */
	on.lineage_key = "z.test|";
	on.n_endpoints = 0;
	on.status = "Done";
	assert_int_equal(store_order_create(st, &on, &id2), -1);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM orders"), 1);

	/* Compare-and-set: from a state the order is not in -> refused, nothing changes. */
	assert_int_equal(store_order_transition(st, id, "Processing", NULL, "Issued", NULL, "manual",
	                                        NULL), -1);
	assert_non_null(strstr(store_errmsg(st), "changed meanwhile"));
	assert_int_equal(store_order_transition(st, id, "Waiting for CSR", NULL, "Processing",
	                                        "Accepted by CA", "manual", "submitted"), 0);
	assert_int_equal(store_order_get(st, id, &o), 0);
	assert_string_equal(o.status, "Processing");
	assert_string_equal(o.ca_state, "Accepted by CA");
	assert_string_equal(o.product, "PositiveSSL");
	assert_int_equal(o.duration_days, 90);
	assert_int_equal(o.certificate_id, 0);
	assert_null(o.csr_pem);
	order_rec_free(&o);
	assert_int_equal(store_order_get(st, id + 100, &o), 1);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM order_events WHERE order_id = 1"
	                                " AND from_status = 'Waiting for CSR' AND to_status ="
	                                " 'Processing' AND to_ca_state = 'Accepted by CA'"
	                                " AND note = 'submitted'"), 1);
	assert_int_equal(store_close(st), 0);
}

/* ------------------------------------------------------------------ migration 3 -> 4 */

static void test_migrate_v3_to_v4(void **state)
{
	struct env *e = *state;
	struct store *st;

	assert_true(store_schema_version() >= 4); /* later migrations (5: alerts) apply too */
	/* A database as version 3 of certsweep left it, with data. */
	for (int v = 1; v <= 3; v++)
		exec_sql(e->path, schema_migration_sql(v));
	exec_sql(e->path, "PRAGMA user_version = 3;"
	                  "INSERT INTO endpoints (ip, port, first_seen, last_seen)"
	                  " VALUES ('192.0.2.1', 443, 5, 6);"
	                  "INSERT INTO scans (id, started, status) VALUES (1, 5, 'done');"
	                  "INSERT INTO findings (endpoint_id, check_id, severity, severity_level,"
	                  " first_seen, last_seen, first_scan, last_scan, kind)"
	                  " VALUES (1, 'cert.expired', 'high', 3, 5, 6, 1, 1, 'cert');"
	                  "INSERT INTO analyses (scan_id, endpoint_id, grade, analyzed_at)"
	                  " VALUES (1, 1, 'B', 7)");
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM sqlite_master WHERE name = 'orders'"), 0);
	st = open_ok(e->path);
	assert_int_equal(store_close(st), 0);
	assert_int_equal(q_int(e->path, "PRAGMA user_version"), store_schema_version());
	assert_int_equal(q_int(e->path, "SELECT last_seen FROM endpoints WHERE ip = '192.0.2.1'"), 6);
	assert_text(e->path, "SELECT check_id FROM findings", "cert.expired");
	assert_text(e->path, "SELECT grade FROM analyses", "B");
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM sqlite_master WHERE name IN"
	                                " ('orders', 'order_endpoints', 'order_events',"
	                                " 'orders_open_lineage')"), 4);
	/* The partial unique index: one open order per lineage, any number of closed ones. */
	exec_sql(e->path, "INSERT INTO orders (lineage_key, duration_days, common_name, created_at,"
	                  " updated_at, created_by) VALUES ('k', 1, 'n', 1, 1, 'manual')");
	assert_int_equal(exec_rc(e->path, "INSERT INTO orders (lineage_key, status, duration_days,"
	                                  " common_name, created_at, updated_at, created_by) VALUES"
	                                  " ('k', 'Processing', 1, 'n', 1, 1, 'manual')"),
	                 SQLITE_CONSTRAINT);
	exec_sql(e->path, "INSERT INTO orders (lineage_key, status, duration_days, common_name,"
	                  " created_at, updated_at, created_by) VALUES"
	                  " ('k', 'Cancelled', 1, 'n', 1, 1, 'manual'),"
	                  " ('k', 'Installed', 1, 'n', 1, 1, 'sync')");
	/* The CHECKs. */
	assert_int_equal(exec_rc(e->path, "INSERT INTO orders (lineage_key, status, duration_days,"
	                                  " common_name, created_at, updated_at, created_by) VALUES"
	                                  " ('q', 'Done', 1, 'n', 1, 1, 'manual')"), SQLITE_CONSTRAINT);
	assert_int_equal(exec_rc(e->path, "INSERT INTO orders (lineage_key, ca_state, duration_days,"
	                                  " common_name, created_at, updated_at, created_by) VALUES"
	                                  " ('q', 'Accepted', 1, 'n', 1, 1, 'manual')"),
	                 SQLITE_CONSTRAINT);
	assert_int_equal(exec_rc(e->path, "INSERT INTO orders (lineage_key, duration_days,"
	                                  " common_name, created_at, updated_at, created_by) VALUES"
	                                  " ('q', 1, 'n', 1, 1, 'robot')"), SQLITE_CONSTRAINT);
	/* Opening again changes nothing. */
	st = open_ok(e->path);
	assert_int_equal(store_close(st), 0);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM orders"), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_table),
		cmocka_unit_test(test_ca_table),
		cmocka_unit_test(test_check_change_messages),
		cmocka_unit_test(test_parse_names),
		cmocka_unit_test(test_default_duration),
		cmocka_unit_test(test_lineage_key),
		cmocka_unit_test_setup_teardown(test_sync_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_and_transition, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v3_to_v4, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
