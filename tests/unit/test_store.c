/*
 * test_store.c: the SQLite inventory (store/).
 *
 * Every test works in its own temporary directory. Observations and analyses are built by hand
 * (fake DER bytes, certinfo filled here, SHA-256 computed with OpenSSL like the store does), so
 * these tests do not depend on the analyzer. Rows are read back with a separate SQLite
 * connection, which also proves what is committed and what is not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>
#include <sqlite3.h>

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
	snprintf(e->dir, sizeof(e->dir), "/tmp/cs-store-XXXXXX");
	if (mkdtemp(e->dir) == NULL)
		return -1;
	snprintf(e->path, sizeof(e->path), "%s/inv.db", e->dir);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal", ".copy" };
	char p[160];

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", e->path, suffix[i]);
		unlink(p);
	}
	rmdir(e->dir);
	free(e);
	return 0;
}

/* ------------------------------------------------------------------ helpers */

/* A hand-made certificate: fake DER "fake-der:<cn>", strings owned (free with cert_free). */
struct fake_cert {
	struct certinfo ci;
	unsigned char der[128];
};

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	assert_non_null(d);
	return d;
}

static void cert_init(struct fake_cert *fc, const char *cn, const char *issuer_cn,
                      time_t not_after)
{
	struct certinfo *ci = &fc->ci;
	char buf[512];
	int n;

	memset(fc, 0, sizeof(*fc));
	n = snprintf((char *)fc->der, sizeof(fc->der), "fake-der:%s", cn);
	assert_true(n > 0 && (size_t)n < sizeof(fc->der));
	ci->der = fc->der;
	ci->der_len = (size_t)n;
	SHA256(fc->der, ci->der_len, ci->sha256);
	for (int i = 0; i < 32; i++)
		snprintf(ci->sha256_hex + 2 * i, 3, "%02x", ci->sha256[i]);
	snprintf(ci->sha1_hex, sizeof(ci->sha1_hex), "%040d", 0);
	snprintf(buf, sizeof(buf), "CN=%s", cn);
	ci->subject = xstrdup(buf);
	snprintf(buf, sizeof(buf), "CN=%s,O=Test CA Org", issuer_cn);
	ci->issuer = xstrdup(buf);
	ci->subject_cn = xstrdup(cn);
	ci->issuer_cn = xstrdup(issuer_cn);
	ci->issuer_org = xstrdup("Test CA Org");
	ci->serial_hex = xstrdup("01AB");
	ci->sans = calloc(2, sizeof(char *));
	assert_non_null(ci->sans);
	snprintf(buf, sizeof(buf), "DNS:%s", cn);
	ci->sans[0] = xstrdup(buf);
	ci->sans[1] = xstrdup("IP:127.0.0.1");
	ci->n_sans = 2;
	ci->not_before = 1700000000;
	ci->not_after = not_after;
	snprintf(ci->key_type, sizeof(ci->key_type), "EC");
	ci->key_bits = 256;
	snprintf(ci->curve, sizeof(ci->curve), "prime256v1");
	snprintf(ci->sig_alg, sizeof(ci->sig_alg), "ecdsa-with-SHA256");
	snprintf(ci->key_usage, sizeof(ci->key_usage), "digitalSignature");
	snprintf(ci->ext_key_usage, sizeof(ci->ext_key_usage), "serverAuth");
	ci->aia_ocsp = xstrdup("http://ocsp.example.test");
	ci->has_sct = 1;
}

static void cert_free(struct fake_cert *fc)
{
	struct certinfo *ci = &fc->ci;

	free(ci->subject);
	free(ci->issuer);
	free(ci->subject_cn);
	free(ci->issuer_cn);
	free(ci->issuer_org);
	free(ci->serial_hex);
	for (size_t i = 0; i < ci->n_sans; i++)
		free(ci->sans[i]);
	free(ci->sans);
	free(ci->aia_ocsp);
}

/* An ok observation of ip:port presenting the given chain (leaf first). */
static struct observation *make_obs(const char *ip, int port, const char *host, time_t when,
                                    struct fake_cert **chain, size_t n)
{
	struct observation *o = obs_new();

	assert_non_null(o);
	snprintf(o->ip, sizeof(o->ip), "%s", ip);
	o->port = (uint16_t)port;
	if (host != NULL) {
		assert_int_equal(obs_set_str(&o->host, host), 0);
		assert_int_equal(obs_set_str(&o->sni, host), 0);
	}
	o->status = EP_OK;
	o->attempts = 1;
	o->started = when;
	o->tls_version = 0x0304;
	snprintf(o->version, sizeof(o->version), "TLSv1.3");
	snprintf(o->cipher, sizeof(o->cipher), "TLS_AES_128_GCM_SHA256");
	snprintf(o->group, sizeof(o->group), "x25519");
	o->ms_connect = 0.5;
	o->ms_handshake = 2.25;
	o->ms_total = 2.75;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(obs_add_cert(o, chain[i]->der, chain[i]->ci.der_len), 0);
	return o;
}

static struct observation *make_failed_obs(const char *ip, int port, time_t when)
{
	struct observation *o = obs_new();

	assert_non_null(o);
	snprintf(o->ip, sizeof(o->ip), "%s", ip);
	o->port = (uint16_t)port;
	o->started = when;
	o->attempts = 2;
	obs_set_error(o, EP_TIMEOUT, "connect timed out after %d ms", 3000);
	return o;
}

/* Stores n failed results (port 25, started at 100) of 127.0.net.first, 127.0.net.first + 1, ... */
static void add_failed(struct store *st, int64_t scan, int net, int first, int n)
{
	char ip[32];

	for (int i = first; i < first + n; i++) {
		struct observation *o;

		snprintf(ip, sizeof(ip), "127.0.%d.%d", net, i);
		o = make_failed_obs(ip, 25, 100);
		assert_int_equal(store_add_result(st, scan, o, NULL), 0);
		obs_free(o);
	}
}

/* An analysis of the chain with the given findings (copied; at most 8). */
struct fake_an {
	struct analysis an;
	struct finding f[8];
};

static void an_init(struct fake_an *fa, struct fake_cert **chain, size_t n, int preferred)
{
	memset(fa, 0, sizeof(*fa));
	for (size_t i = 0; i < n; i++)
		fa->an.certs[i] = &chain[i]->ci;
	fa->an.n_certs = n;
	fa->an.verified = 1;
	fa->an.hostname_checked = 1;
	fa->an.hostname_ok = 1;
	fa->an.preferred = preferred;
	fa->an.findings = fa->f;
}

static void an_finding(struct fake_an *fa, const char *id, enum severity sev, int cert_pos,
                       const char *msg)
{
	struct finding *f = &fa->f[fa->an.n_findings++];

	assert_true(fa->an.n_findings <= 8);
	f->id = id;
	f->severity = sev;
	f->cert_pos = cert_pos;
	snprintf(f->message, sizeof(f->message), "%s", msg);
	f->fix = "fix it";
}

/* Direct SQLite access for assertions. */
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

/* Returns a malloc'd copy of the first column of the first row ("(null)" for NULL). */
static char *q_text(const char *path, const char *sql)
{
	sqlite3 *db = db_open(path, SQLITE_OPEN_READONLY);
	sqlite3_stmt *s = NULL;
	const char *t;
	char *v;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	t = (const char *)sqlite3_column_text(s, 0);
	v = xstrdup(t ? t : "(null)");
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void exec_sql(const char *path, const char *sql)
{
	sqlite3 *db = db_open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void assert_text(const char *path, const char *sql, const char *want)
{
	char *got = q_text(path, sql);

	assert_string_equal(got, want);
	free(got);
}

/* Whole-file snapshot, to prove a refused file was not touched. */
struct blob {
	unsigned char *p;
	size_t n;
};

static struct blob slurp(const char *path)
{
	struct blob b = { NULL, 0 };
	FILE *f = fopen(path, "rb");
	long len;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	b.n = (size_t)len;
	b.p = malloc(b.n + 1);
	assert_non_null(b.p);
	assert_int_equal(fread(b.p, 1, b.n, f), b.n);
	fclose(f);
	return b;
}

static void spit(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void assert_same_file(const char *path, const struct blob *before)
{
	struct blob now = slurp(path);

	assert_int_equal(now.n, before->n);
	assert_memory_equal(now.p, before->p, now.n);
	free(now.p);
}

static int file_exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

/* Opening must fail with a message containing `want`, and leave the file byte-identical and
 * with no WAL/SHM/journal files left behind; both for store_open and store_open_readonly. */
static void assert_refused(const char *path, const char *want)
{
	struct blob before = slurp(path);
	char err[512] = "", side[160];
	struct store *st;

	st = store_open(path, err, sizeof(err));
	assert_null(st);
	if (strstr(err, want) == NULL)
		fail_msg("store_open error \"%s\" lacks \"%s\"", err, want);
	assert_same_file(path, &before);
	err[0] = '\0';
	st = store_open_readonly(path, err, sizeof(err));
	assert_null(st);
	if (strstr(err, want) == NULL)
		fail_msg("store_open_readonly error \"%s\" lacks \"%s\"", err, want);
	assert_same_file(path, &before);
	snprintf(side, sizeof(side), "%s-journal", path);
	assert_false(file_exists(side));
	free(before.p);
}

static struct store *open_ok(const char *path)
{
	char err[512] = "";
	struct store *st = store_open(path, err, sizeof(err));

	if (st == NULL)
		fail_msg("store_open: %s", err);
	return st;
}

/* Stores one scan of `n` endpoints 10.0.0.1.. each presenting leaf_i + a shared intermediate. */
static int64_t store_small_scan(struct store *st, int n)
{
	struct fake_cert inter, leaf;
	int64_t scan = 0;
	char ip[32], cn[64];

	cert_init(&inter, "Test Intermediate", "Test Root", 2000000000);
	assert_int_equal(store_scan_begin(st, "small", "certsweep sweep small", &scan), 0);
	for (int i = 0; i < n; i++) {
		struct fake_cert *chain[2] = { &leaf, &inter };
		struct fake_an fa;
		struct observation *o;

		snprintf(cn, sizeof(cn), "host%d.example.test", i);
		snprintf(ip, sizeof(ip), "10.0.0.%d", i + 1);
		cert_init(&leaf, cn, "Test Intermediate", time(NULL) + 40 * 86400);
		o = make_obs(ip, 443, cn, 1000, chain, 2);
		an_init(&fa, chain, 2, 1);
		an_finding(&fa, "ocsp.no_stapling", SEV_LOW, -1, "no OCSP staple");
		assert_int_equal(store_add_result(st, scan, o, &fa.an), 0);
		obs_free(o);
		cert_free(&leaf);
	}
	assert_int_equal(store_scan_end(st, scan, NULL, "done"), 0);
	cert_free(&inter);
	return scan;
}

/* ------------------------------------------------------------------ open, migrate, refuse */

static void test_open_create(void **state)
{
	struct env *e = *state;
	struct store *st = open_ok(e->path);

	assert_true(store_schema_version() >= 2);
	assert_string_equal(store_errmsg(st), "");
	assert_int_equal(store_close(st), 0);
	assert_int_equal(q_int(e->path, "PRAGMA user_version"), store_schema_version());
	assert_int_equal(q_int(e->path, "PRAGMA application_id"), STORE_APPLICATION_ID);
	assert_text(e->path, "PRAGMA journal_mode", "wal");
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
	                                " AND name IN ('certificates', 'endpoints', 'scans',"
	                                " 'observations', 'observation_certs', 'findings',"
	                                " 'observation_findings')"), 7);
	/* Opening again is a no-op migration. */
	st = open_ok(e->path);
	assert_int_equal(store_close(st), 0);
	assert_int_equal(q_int(e->path, "PRAGMA user_version"), store_schema_version());
	assert_int_equal(store_close(NULL), 0);
}

/* An empty file (e.g. from touch) is a new database. */
static void test_open_empty_file(void **state)
{
	struct env *e = *state;
	struct store *st;

	spit(e->path, "", 0);
	st = open_ok(e->path);
	assert_int_equal(store_close(st), 0);
	assert_int_equal(q_int(e->path, "PRAGMA user_version"), store_schema_version());
}

static void test_migrate_from_v1(void **state)
{
	struct env *e = *state;
	struct store *st;

	assert_null(schema_migration_sql(0));
	assert_null(schema_migration_sql(store_schema_version() + 1));
	/* A database as version 1 of certsweep left it, with data. */
	exec_sql(e->path, schema_migration_sql(1));
	exec_sql(e->path, "PRAGMA user_version = 1;"
	                  "INSERT INTO endpoints (ip, port, first_seen, last_seen)"
	                  " VALUES ('192.0.2.1', 443, 5, 6)");
	assert_int_equal(q_int(e->path, "PRAGMA application_id"), STORE_APPLICATION_ID);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
	                                " AND name = 'findings_status'"), 0);
	st = open_ok(e->path);
	assert_int_equal(store_close(st), 0);
	assert_int_equal(q_int(e->path, "PRAGMA user_version"), store_schema_version());
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
	                                " AND name = 'findings_status'"), 1);
	assert_int_equal(q_int(e->path, "SELECT last_seen FROM endpoints WHERE ip = '192.0.2.1'"), 6);
}

static void test_reopen_keeps_data(void **state)
{
	struct env *e = *state;
	struct store *st = open_ok(e->path);
	int64_t scan = store_small_scan(st, 3);

	assert_int_equal(store_close(st), 0);
	st = open_ok(e->path);
	assert_int_equal(store_latest_scan(st, NULL), scan);
	assert_int_equal(store_latest_scan(st, "small"), scan);
	assert_int_equal(store_latest_scan(st, "other"), 0);
	assert_int_equal(store_close(st), 0);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM observations"), 3);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM certificates"), 4);
	assert_int_equal(q_int(e->path, "SELECT total_endpoints FROM scans"), 3);
	assert_int_equal(q_int(e->path, "SELECT total_tls FROM scans"), 3);
	assert_int_equal(q_int(e->path, "SELECT total_unique_certs FROM scans"), 4);
	assert_text(e->path, "SELECT status FROM scans", "done");
	assert_text(e->path, "SELECT name || '|' || args FROM scans", "small|certsweep sweep small");
}

static void test_schema_too_new(void **state)
{
	struct env *e = *state;
	char want[128];

	assert_int_equal(store_close(open_ok(e->path)), 0);
	exec_sql(e->path, "PRAGMA user_version = 99");
	snprintf(want, sizeof(want), "database schema version 99 is newer than this certsweep (%d)",
	         store_schema_version());
	assert_refused(e->path, want);
}

static void test_garbage_file(void **state)
{
	struct env *e = *state;
	unsigned char junk[8192];
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(junk); i++) {
		x = x * 1103515245 + 12345;
		junk[i] = (unsigned char)(x >> 16);
	}
	spit(e->path, junk, sizeof(junk));
	assert_refused(e->path, "is not an SQLite database");
	/* Shorter than a header, and plain text. */
	spit(e->path, "hello, world\n", 13);
	assert_refused(e->path, "is not an SQLite database");
	/* A directory is not a database either. */
	{
		char err[256] = "";

		assert_null(store_open(e->dir, err, sizeof(err)));
		assert_non_null(strstr(err, "not a regular file"));
	}
}

static void test_truncated_db(void **state)
{
	struct env *e = *state;
	struct store *st = open_ok(e->path);
	struct blob b;

	store_small_scan(st, 50);
	assert_int_equal(store_close(st), 0);
	b = slurp(e->path);
	assert_true(b.n >= 8 * 4096);
	spit(e->path, b.p, b.n / 2);
	assert_refused(e->path, "truncated");
	/* Cut in the middle of a page too. */
	spit(e->path, b.p, b.n / 2 + 100);
	assert_refused(e->path, "corrupt");
	free(b.p);
}

/* The header and schema are intact but a data page is garbage: only quick_check sees it
 * (opening reads no data page). Then every page after the first. */
static void test_corrupt_pages(void **state)
{
	struct env *e = *state;
	struct store *st = open_ok(e->path);
	struct blob b;

	store_small_scan(st, 50);
	assert_int_equal(store_close(st), 0);
	b = slurp(e->path);
	assert_true(b.n % 4096 == 0 && b.n > 3 * 4096);
	{
		unsigned char *last = malloc(b.n);

		assert_non_null(last);
		memcpy(last, b.p, b.n);
		memset(last + b.n - 4096, 0xa5, 4096);
		spit(e->path, last, b.n);
		free(last);
	}
	assert_refused(e->path, "is corrupt");
	memset(b.p + 4096, 0xa5, b.n - 4096);
	spit(e->path, b.p, b.n);
	assert_refused(e->path, "is corrupt");
	free(b.p);
}

static void test_foreign_db(void **state)
{
	struct env *e = *state;

	exec_sql(e->path, "CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('alice')");
	assert_refused(e->path, "is not a certsweep database");
	unlink(e->path);
	/* Marked by another application, no tables yet. */
	exec_sql(e->path, "PRAGMA application_id = 42; PRAGMA user_version = 1");
	assert_refused(e->path, "is not a certsweep database");
}

static void test_readonly(void **state)
{
	struct env *e = *state;
	char err[512] = "", want[256];
	struct store *st;
	struct observation *o;
	int64_t scan = 0;

	snprintf(want, sizeof(want), "no such database: %s", e->path);
	assert_null(store_open_readonly(e->path, err, sizeof(err)));
	assert_string_equal(err, want);
	assert_false(file_exists(e->path));

	st = open_ok(e->path);
	store_small_scan(st, 2);
	assert_int_equal(store_close(st), 0);

	st = store_open_readonly(e->path, err, sizeof(err));
	assert_non_null(st);
	assert_true(store_latest_scan(st, NULL) > 0);
	assert_int_equal(store_scan_begin(st, NULL, "", &scan), -1);
	assert_string_equal(store_errmsg(st), "the database is open read-only");
	o = make_failed_obs("10.9.9.9", 443, 1);
	assert_int_equal(store_add_result(st, 1, o, NULL), -1);
	obs_free(o);
	assert_int_equal(store_close(st), 0);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM scans"), 1);

	/* An older schema cannot be read without migrating. */
	exec_sql(e->path, "PRAGMA user_version = 1");
	assert_null(store_open_readonly(e->path, err, sizeof(err)));
	assert_non_null(strstr(err, "database schema version 1 is older than this certsweep"));
}

/* ------------------------------------------------------------------ results */

struct collected {
	int n;
	int stop_at;          /* return 7 from the callback at this row (1-based), 0 never */
	char ip[8][46];
	int port[8];
	char cn[8][64];
	char sans[8][128];
	char issuer[8][128];
	char not_after[8][32];
	int days_left[8];
	int preferred[8];
	char findings[8][256];
	char sha256[8][65];
	char host[8][64];
	char status[8][16];
};

static int collect_cb(void *arg, const struct leaf_row *r)
{
	struct collected *c = arg;
	int i = c->n++;

	if (i >= 8)
		return -99;
	snprintf(c->ip[i], sizeof(c->ip[i]), "%s", r->ip);
	c->port[i] = r->port;
	snprintf(c->cn[i], sizeof(c->cn[i]), "%s", r->subject_cn);
	snprintf(c->sans[i], sizeof(c->sans[i]), "%s", r->sans);
	snprintf(c->issuer[i], sizeof(c->issuer[i]), "%s", r->issuer);
	snprintf(c->not_after[i], sizeof(c->not_after[i]), "%s", r->not_after);
	c->days_left[i] = r->days_left;
	c->preferred[i] = r->preferred;
	snprintf(c->findings[i], sizeof(c->findings[i]), "%s", r->findings);
	snprintf(c->sha256[i], sizeof(c->sha256[i]), "%s", r->sha256);
	snprintf(c->host[i], sizeof(c->host[i]), "%s", r->host);
	snprintf(c->status[i], sizeof(c->status[i]), "%s", r->status);
	return c->n == c->stop_at ? 7 : 0;
}

static void test_results_roundtrip(void **state)
{
	struct env *e = *state;
	struct store *st = open_ok(e->path);
	struct fake_cert leaf, inter, other;
	struct fake_cert *chain[2] = { &leaf, &inter };
	struct fake_cert *chain2[2] = { &other, &inter };
	struct fake_an fa;
	struct observation *o;
	struct collected c;
	time_t exp = time(NULL) + 10 * 86400 + 3600;
	int64_t scan = 0;
	char sql[256], *s;

	cert_init(&leaf, "www.example.test", "Test Intermediate", exp);
	cert_init(&inter, "Test Intermediate", "Test Root", 2000000000);
	cert_init(&other, "mail.example.test", "Test Intermediate", time(NULL) - 2 * 86400 + 60);
	assert_int_equal(store_scan_begin(st, NULL, "certsweep scan 10.0.0.0/24", &scan), 0);
	assert_true(scan > 0);

	/* Same leaf on two endpoints (10.0.0.10 and 10.0.0.9: numeric order puts .9 first). */
	o = make_obs("10.0.0.10", 443, "www.example.test", 1000, chain, 2);
	an_init(&fa, chain, 2, 1);
	an_finding(&fa, "proto.tls10", SEV_MEDIUM, -1, "TLS 1.0 enabled");
	an_finding(&fa, "cert.expiring", SEV_HIGH, 0, "expires in 10 days");
	assert_int_equal(store_add_result(st, scan, o, &fa.an), 0);
	obs_free(o);
	o = make_obs("10.0.0.9", 8443, "www.example.test", 1000, chain, 2);
	an_init(&fa, chain, 2, 0);
	assert_int_equal(store_add_result(st, scan, o, &fa.an), 0);
	obs_free(o);
	/* A third endpoint with another leaf under the same intermediate, analysed. */
	o = make_obs("10.0.0.11", 443, NULL, 1000, chain2, 2);
	an_init(&fa, chain2, 2, 1);
	an_finding(&fa, "cert.expired", SEV_CRITICAL, 0, "expired");
	an_finding(&fa, "chain.untrusted", SEV_HIGH, -1, "untrusted");
	an_finding(&fa, "cert.expired", SEV_CRITICAL, 0, "expired (twice in one analysis)");
	assert_int_equal(store_add_result(st, scan, o, &fa.an), 0);
	obs_free(o);
	/* Not analysed: the certificate is stored by hash and DER only. */
	{
		static const unsigned char raw[] = "raw-der-bytes";
		o = make_obs("10.0.0.12", 443, NULL, 1000, NULL, 0);
		assert_int_equal(obs_add_cert(o, raw, sizeof(raw) - 1), 0);
		assert_int_equal(store_add_result(st, scan, o, NULL), 0);
		obs_free(o);
	}
	/* A timeout: observation stored, no leaf row. */
	o = make_failed_obs("10.0.0.13", 443, 1000);
	assert_int_equal(store_add_result(st, scan, o, NULL), 0);
	obs_free(o);
	assert_int_equal(store_scan_end(st, scan, NULL, "done"), 0);

	assert_int_equal(q_int(e->path, "SELECT count(*) FROM endpoints"), 5);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM observations"), 5);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM certificates"), 4);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM observation_certs"), 7);
	assert_int_equal(q_int(e->path, "SELECT total_endpoints FROM scans"), 5);
	assert_int_equal(q_int(e->path, "SELECT total_open FROM scans"), 4);
	assert_int_equal(q_int(e->path, "SELECT total_tls FROM scans"), 4);
	assert_int_equal(q_int(e->path, "SELECT total_unique_certs FROM scans"), 4);
	/* Chain positions: the leaf at 0, the shared intermediate at 1. */
	snprintf(sql, sizeof(sql),
	         "SELECT group_concat(c.sha256) FROM observation_certs oc JOIN certificates c"
	         " ON c.id = oc.certificate_id WHERE oc.observation_id = (SELECT o.id FROM"
	         " observations o JOIN endpoints e ON e.id = o.endpoint_id WHERE e.ip = '10.0.0.9')"
	         " AND oc.position = %d", 0);
	assert_text(e->path, sql, leaf.ci.sha256_hex);
	sql[strlen(sql) - 1] = '1';
	assert_text(e->path, sql, inter.ci.sha256_hex);
	/* The shared intermediate is stored once and referenced three times. */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM observation_certs oc JOIN certificates c"
	         " ON c.id = oc.certificate_id WHERE c.sha256 = '%s'", inter.ci.sha256_hex);
	assert_int_equal(q_int(e->path, sql), 3);
	/* Parsed columns. */
	snprintf(sql, sizeof(sql), "SELECT subject || '|' || issuer_cn || '|' || sans || '|' ||"
	         " not_before || '|' || key_type || key_bits || '|' || has_sct || is_ca FROM"
	         " certificates WHERE sha256 = '%s'", leaf.ci.sha256_hex);
	assert_text(e->path, sql, "CN=www.example.test|Test Intermediate|DNS:www.example.test "
	            "IP:127.0.0.1|2023-11-14T22:13:20Z|EC256|10");
	snprintf(sql, sizeof(sql), "SELECT der FROM certificates WHERE sha256 = '%s'",
	         leaf.ci.sha256_hex);
	assert_text(e->path, sql, "fake-der:www.example.test");
	assert_text(e->path, "SELECT coalesce(subject, 'none') || '|' || der FROM certificates"
	            " WHERE der = CAST('raw-der-bytes' AS BLOB)", "none|raw-der-bytes");
	/* Observation columns. */
	assert_text(e->path, "SELECT o.status || '|' || o.error || '|' || o.attempts || '|' ||"
	            " typeof(o.ms_handshake) FROM observations o JOIN endpoints e"
	            " ON e.id = o.endpoint_id WHERE e.ip = '10.0.0.13'",
	            "timeout|connect timed out after 3000 ms|2|null");
	assert_text(e->path, "SELECT o.version || '|' || o.cipher || '|' || o.grp || '|' ||"
	            " o.ms_handshake || '|' || o.preferred FROM observations o JOIN endpoints e"
	            " ON e.id = o.endpoint_id WHERE e.ip = '10.0.0.10'",
	            "TLSv1.3|TLS_AES_128_GCM_SHA256|x25519|2.25|1");
	/* Findings: an endpoint finding keyed '', a certificate finding keyed by its SHA-256. */
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM findings"), 4);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM findings WHERE check_id = 'cert.expiring'"
	         " AND cert_sha256 = '%s' AND certificate_id IS NOT NULL AND severity = 'high'"
	         " AND severity_level = 3", leaf.ci.sha256_hex);
	assert_int_equal(q_int(e->path, sql), 1);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM findings WHERE check_id ="
	                                " 'proto.tls10' AND cert_sha256 = '' AND certificate_id"
	                                " IS NULL AND status = 'open'"), 1);
	assert_text(e->path, "SELECT message FROM findings WHERE check_id = 'cert.expired'",
	            "expired (twice in one analysis)");

	/* The leaf view. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_each_leaf_row(st, scan, collect_cb, &c), 0);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.ip[0], "10.0.0.9");
	assert_string_equal(c.ip[1], "10.0.0.10");
	assert_string_equal(c.ip[2], "10.0.0.11");
	assert_string_equal(c.ip[3], "10.0.0.12");
	assert_int_equal(c.port[0], 8443);
	assert_string_equal(c.host[0], "www.example.test");
	assert_string_equal(c.status[0], "ok");
	assert_string_equal(c.cn[0], "www.example.test");
	assert_string_equal(c.sans[0], "DNS:www.example.test IP:127.0.0.1");
	assert_string_equal(c.issuer[0], "CN=Test Intermediate,O=Test CA Org");
	assert_string_equal(c.sha256[0], leaf.ci.sha256_hex);
	assert_int_equal(c.days_left[0], 10);
	assert_int_equal(c.days_left[2], -2);
	assert_int_equal(c.preferred[0], 0);
	assert_int_equal(c.preferred[1], 1);
	assert_string_equal(c.findings[0], "");
	assert_string_equal(c.findings[1], "cert.expiring proto.tls10");
	assert_string_equal(c.findings[2], "cert.expired chain.untrusted");
	{
		struct tm tm;
		char iso[32];

		gmtime_r(&exp, &tm);
		strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
		assert_string_equal(c.not_after[0], iso);
	}
	assert_string_equal(c.not_after[3], "");
	assert_string_equal(c.cn[3], "");
	/* The callback's non-zero value stops the walk and is returned. */
	memset(&c, 0, sizeof(c));
	c.stop_at = 2;
	assert_int_equal(store_each_leaf_row(st, scan, collect_cb, &c), 7);
	assert_int_equal(c.n, 2);

	/* A repeat of an endpoint within the same scan replaces its observation. */
	o = make_obs("10.0.0.9", 8443, "www.example.test", 1001, chain2, 2);
	an_init(&fa, chain2, 2, 1);
	assert_int_equal(store_add_result(st, scan, o, &fa.an), 0);
	obs_free(o);
	assert_int_equal(store_flush(st), 0);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM observations"), 5);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM observation_certs"), 7);
	s = q_text(e->path, "SELECT c.subject_cn FROM observation_certs oc JOIN certificates c"
	           " ON c.id = oc.certificate_id JOIN observations o ON o.id = oc.observation_id"
	           " JOIN endpoints e ON e.id = o.endpoint_id WHERE e.port = 8443"
	           " AND oc.position = 0");
	assert_string_equal(s, "mail.example.test");
	free(s);

	/* Bad scan status and unknown scan are errors. */
	assert_int_equal(store_scan_end(st, scan, NULL, "finished"), -1);
	assert_non_null(strstr(store_errmsg(st), "must be"));
	assert_int_equal(store_scan_end(st, scan + 100, NULL, "done"), -1);
	assert_non_null(strstr(store_errmsg(st), "no scan"));
	/* A result for a scan that does not exist is refused, and leaves nothing behind. */
	o = make_obs("10.0.0.99", 443, NULL, 1000, chain, 2);
	assert_int_equal(store_add_result(st, scan + 100, o, NULL), -1);
	assert_non_null(strstr(store_errmsg(st), "FOREIGN KEY"));
	obs_free(o);
	assert_int_equal(store_close(st), 0);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM endpoints WHERE ip = '10.0.0.99'"), 0);
	cert_free(&leaf);
	cert_free(&inter);
	cert_free(&other);
}

/* Findings across scans: open -> resolved when not re-emitted -> re-opened. */
static void add_a(struct store *st, int64_t scan, time_t when, int with_tls10, int with_expiring,
                  struct fake_cert **chain)
{
	struct fake_an fa;
	struct observation *o = make_obs("127.0.0.1", 443, "a.test", when, chain, 1);

	an_init(&fa, chain, 1, 1);
	if (with_expiring)
		an_finding(&fa, "cert.expiring", SEV_HIGH, 0, "expires soon");
	if (with_tls10)
		an_finding(&fa, "proto.tls10", SEV_MEDIUM, -1, "TLS 1.0");
	assert_int_equal(store_add_result(st, scan, o, &fa.an), 0);
	obs_free(o);
}

static void test_findings_lifecycle(void **state)
{
	struct env *e = *state;
	struct store *st = open_ok(e->path);
	struct fake_cert ca, cb;
	struct fake_cert *chain_a[1] = { &ca }, *chain_b[1] = { &cb };
	struct fake_an fa;
	struct observation *o;
	struct collected c;
	int64_t s1 = 0, s2 = 0, s3 = 0;

	cert_init(&ca, "a.test", "CA", time(NULL) + 5 * 86400);
	cert_init(&cb, "b.test", "b.test", time(NULL) + 90 * 86400);

	/* Scan 1: A emits expiring + tls10, B emits self_signed. */
	assert_int_equal(store_scan_begin(st, "nightly", "", &s1), 0);
	add_a(st, s1, 1000, 1, 1, chain_a);
	o = make_obs("127.0.0.2", 443, "b.test", 1000, chain_b, 1);
	an_init(&fa, chain_b, 1, 0);
	an_finding(&fa, "cert.self_signed", SEV_HIGH, 0, "self-signed");
	assert_int_equal(store_add_result(st, s1, o, &fa.an), 0);
	obs_free(o);
	assert_int_equal(store_scan_end(st, s1, NULL, "done"), 0);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM findings WHERE status = 'open'"), 3);

	/* Scan 2: A only expiring (tls10 fixed); B times out: its finding stays open. */
	assert_int_equal(store_scan_begin(st, "nightly", "", &s2), 0);
	add_a(st, s2, 2000, 0, 1, chain_a);
	o = make_failed_obs("127.0.0.2", 443, 2000);
	assert_int_equal(obs_set_str(&o->sni, "b.test"), 0);
	assert_int_equal(store_add_result(st, s2, o, NULL), 0);
	obs_free(o);
	/* Before the scan ends nothing is resolved. */
	assert_int_equal(store_flush(st), 0);
	assert_text(e->path, "SELECT status FROM findings WHERE check_id = 'proto.tls10'", "open");
	assert_int_equal(store_scan_end(st, s2, NULL, "done"), 0);
	assert_text(e->path, "SELECT status FROM findings WHERE check_id = 'proto.tls10'",
	            "resolved");
	assert_true(q_int(e->path, "SELECT resolved_at FROM findings"
	                           " WHERE check_id = 'proto.tls10'") >= time(NULL) - 60);
	assert_text(e->path, "SELECT status || '|' || first_seen || '|' || last_seen || '|' ||"
	            " first_scan || '|' || last_scan FROM findings WHERE check_id = 'cert.expiring'",
	            "open|1000|2000|1|2");
	assert_text(e->path, "SELECT status FROM findings WHERE check_id = 'cert.self_signed'",
	            "open");

	/* Scan 3: tls10 is back: re-opened, same row, counted. */
	assert_int_equal(store_scan_begin(st, "nightly", "", &s3), 0);
	add_a(st, s3, 3000, 1, 1, chain_a);
	{
		/* The caller's totals are written as given. */
		const struct scan_totals t = { .endpoints = 7, .open = 6, .tls = 5, .unique_certs = 4 };

		assert_int_equal(store_scan_end(st, s3, &t, "interrupted"), 0);
		assert_text(e->path, "SELECT total_endpoints || total_open || total_tls ||"
		            " total_unique_certs || '|' || (ended >= started) FROM scans WHERE id = 3",
		            "7654|1");
	}
	assert_text(e->path, "SELECT status || '|' || coalesce(resolved_at, 'null') || '|' ||"
	            " reopened || '|' || first_seen || '|' || last_seen || '|' || last_scan"
	            " FROM findings WHERE check_id = 'proto.tls10'", "open|null|1|1000|3000|3");
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM findings"), 3);
	assert_text(e->path, "SELECT status FROM scans WHERE id = 3", "interrupted");
	assert_int_equal(q_int(e->path, "SELECT last_seen FROM endpoints WHERE ip = '127.0.0.1'"),
	                 3000);
	assert_int_equal(q_int(e->path, "SELECT first_seen FROM endpoints WHERE ip = '127.0.0.1'"),
	                 1000);
	/* The certificate's own first/last seen follow the observations too. */
	assert_text(e->path, "SELECT first_seen || '|' || last_seen FROM certificates"
	            " WHERE subject_cn = 'a.test'", "1000|3000");

	/* Each scan's report shows the findings of that scan. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_each_leaf_row(st, s1, collect_cb, &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.findings[0], "cert.expiring proto.tls10");
	assert_string_equal(c.findings[1], "cert.self_signed");
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_each_leaf_row(st, s2, collect_cb, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.findings[0], "cert.expiring");
	assert_int_equal(store_latest_scan(st, "nightly"), s3);
	assert_int_equal(store_close(st), 0);
	cert_free(&ca);
	cert_free(&cb);
}


/* Deep analyses: stored per scan and endpoint; configuration findings resolve only when a later
 * scan analyses the endpoint again, never because a plain sweep saw it. */
static void test_analysis_config_findings(void **state)
{
	struct env *e = *state;
	struct store *st = open_ok(e->path);
	struct fake_cert ca;
	struct fake_cert *chain[1] = { &ca };
	struct fake_an fa;
	struct observation *o;
	struct finding cfg[2];
	struct analysis_record rec;
	int64_t s1 = 0, s2 = 0, s3 = 0;

	cert_init(&ca, "a.test", "CA", time(NULL) + 90 * 86400);
	memset(cfg, 0, sizeof(cfg));
	cfg[0].id = "proto.tls10";
	cfg[0].severity = SEV_MEDIUM;
	cfg[0].cert_pos = -1;
	snprintf(cfg[0].message, sizeof(cfg[0].message), "TLS 1.0 is enabled");
	cfg[1].id = "hsts.missing";
	cfg[1].severity = SEV_MEDIUM;
	cfg[1].cert_pos = -1;
	memset(&rec, 0, sizeof(rec));
	rec.grade = "B";
	rec.score = 85;
	rec.protocols = "TLSv1.0 TLSv1.2";
	rec.profile_json = "{\"grade\":{\"letter\":\"B\"}}";
	rec.connections = 40;
	rec.ms = 120.5;
	rec.findings = cfg;
	rec.n_findings = 2;

	/* Scan 1: analysed, both config findings open, linked to the observation. */
	assert_int_equal(store_scan_begin(st, "analyze", "", &s1), 0);
	o = make_obs("127.0.0.1", 443, "a.test", 1000, chain, 1);
	an_init(&fa, chain, 1, 1);
	assert_int_equal(store_add_result(st, s1, o, &fa.an), 0);
	assert_int_equal(store_add_analysis(st, s1, o, &rec), 0);
	assert_int_equal(store_scan_end(st, s1, NULL, "done"), 0);
	assert_text(e->path, "SELECT grade || '|' || score || '|' || protocols || '|' || connections FROM analyses",
	            "B|85|TLSv1.0 TLSv1.2|40");
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM findings WHERE kind = 'config' AND status = 'open'"), 2);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM observation_findings"), 2);

	/* Scan 2: a plain sweep of the same endpoint: config findings stay open. */
	assert_int_equal(store_scan_begin(st, "nightly", "", &s2), 0);
	assert_int_equal(store_add_result(st, s2, o, &fa.an), 0);
	assert_int_equal(store_scan_end(st, s2, NULL, "done"), 0);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM findings WHERE kind = 'config' AND status = 'open'"), 2);

	/* Scan 3: analysed again, TLS 1.0 now off: proto.tls10 resolved, hsts.missing open. */
	assert_int_equal(store_scan_begin(st, "analyze", "", &s3), 0);
	assert_int_equal(store_add_result(st, s3, o, &fa.an), 0);
	rec.findings = &cfg[1];
	rec.n_findings = 1;
	rec.grade = "A";
	assert_int_equal(store_add_analysis(st, s3, o, &rec), 0);
	assert_int_equal(store_scan_end(st, s3, NULL, "done"), 0);
	assert_text(e->path, "SELECT status FROM findings WHERE check_id = 'proto.tls10'", "resolved");
	assert_text(e->path, "SELECT status FROM findings WHERE check_id = 'hsts.missing'", "open");
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM analyses"), 2);
	assert_text(e->path, "SELECT group_concat(grade, '') FROM (SELECT grade FROM analyses ORDER BY scan_id)", "BA");
	obs_free(o);
	assert_int_equal(store_close(st), 0);
	cert_free(&ca);
}

/* ------------------------------------------------------------------ batching, durability */

static void test_batch_commit_on_close(void **state)
{
	struct env *e = *state;
	struct store *st = open_ok(e->path);
	int64_t scan = 0;

	store_set_batch(st, 1000, 0);
	assert_int_equal(store_scan_begin(st, NULL, "", &scan), 0);
	add_failed(st, scan, 1, 1, 5);
	/* The scan row is committed at once; the results wait in the open batch. */
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM scans"), 1);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM observations"), 0);
	assert_int_equal(store_close(st), 0);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM observations"), 5);
	assert_text(e->path, "SELECT status FROM scans", "running");

	/* A batch of 2 commits after each second result. */
	st = open_ok(e->path);
	store_set_batch(st, 2, 0);
	add_failed(st, scan, 2, 1, 3);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM observations"), 7);
	/* ... and a time limit commits a batch once it is old enough. */
	assert_int_equal(store_flush(st), 0);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM observations"), 8);
	/* A window far longer than one insert takes even under sanitizers on a loaded machine, so
	 * the first result waits and the second, after the window, commits both. */
	store_set_batch(st, 1000, 300);
	{
		struct timespec ts = { 0, 400 * 1000 * 1000 };

		add_failed(st, scan, 3, 1, 1);
		assert_int_equal(q_int(e->path, "SELECT count(*) FROM observations"), 8);
		nanosleep(&ts, NULL);
		add_failed(st, scan, 3, 2, 1);
	}
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM observations"), 10);
	assert_int_equal(store_close(st), 0);
}

/* A process killed mid-scan keeps every committed batch (WAL recovery on the next open). */
static void test_crash_keeps_committed(void **state)
{
	struct env *e = *state;
	struct store *st;
	int status = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[256];
		int64_t scan = 0;

		st = store_open(e->path, err, sizeof(err));
		if (st == NULL || store_scan_begin(st, "crash", "", &scan) != 0)
			_exit(2);
		store_set_batch(st, 10, 0);
		for (int i = 0; i < 25; i++) {
			struct observation *o = obs_new();

			snprintf(o->ip, sizeof(o->ip), "127.0.4.%d", i + 1);
			o->port = 443;
			o->started = 100;
			obs_set_error(o, EP_REFUSED, "refused");
			if (store_add_result(st, scan, o, NULL) != 0)
				_exit(3);
			obs_free(o);
		}
		/* Die like a crash: no store_close, the last 5 results are in no committed batch. */
		raise(SIGKILL);
		_exit(4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status))
		fail_msg("child exited with status %d", WEXITSTATUS(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);

	st = open_ok(e->path);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM observations"), 20);
	assert_text(e->path, "SELECT status FROM scans", "running");
	assert_int_equal(store_latest_scan(st, "crash"), 0); /* still running */
	assert_int_equal(store_scan_end(st, 1, NULL, "interrupted"), 0);
	assert_int_equal(store_latest_scan(st, "crash"), 1);
	assert_int_equal(store_close(st), 0);
	assert_int_equal(q_int(e->path, "SELECT total_endpoints FROM scans"), 20);
	assert_int_equal(q_int(e->path, "SELECT total_open FROM scans"), 0);
}

/* ------------------------------------------------------------------ hostile input */

static void test_sql_injection_verbatim(void **state)
{
	struct env *e = *state;
	struct store *st = open_ok(e->path);
	static const char evil[] = "x'); DROP TABLE certificates; --";
	static const char evil2[] = "\" OR 1=1; DELETE FROM findings; /*";
	struct fake_cert fc;
	struct fake_cert *chain[1] = { &fc };
	struct fake_an fa;
	struct observation *o;
	struct collected c;
	int64_t scan = 0;
	char sql[256];

	cert_init(&fc, evil, evil2, time(NULL) + 86400 * 3);
	free(fc.ci.subject);
	fc.ci.subject = xstrdup(evil);
	assert_int_equal(store_scan_begin(st, evil, evil2, &scan), 0);
	o = make_obs("127.0.0.1", 443, evil, 1000, chain, 1);
	an_init(&fa, chain, 1, 0);
	an_finding(&fa, "cert.self_signed", SEV_HIGH, 0, evil2);
	assert_int_equal(store_add_result(st, scan, o, &fa.an), 0);
	obs_free(o);
	assert_int_equal(store_scan_end(st, scan, NULL, "done"), 0);
	assert_int_equal(store_close(st), 0);

	assert_int_equal(q_int(e->path, "SELECT count(*) FROM certificates"), 1);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM findings"), 1);
	snprintf(sql, sizeof(sql), "SELECT subject FROM certificates WHERE sha256 = '%s'",
	         fc.ci.sha256_hex);
	assert_text(e->path, sql, evil);
	assert_text(e->path, "SELECT subject_cn FROM certificates", evil);
	assert_text(e->path, "SELECT issuer_cn FROM certificates", evil2);
	assert_text(e->path, "SELECT host FROM endpoints", evil);
	assert_text(e->path, "SELECT sni FROM endpoints", evil);
	assert_text(e->path, "SELECT message FROM findings", evil2);
	assert_text(e->path, "SELECT name FROM scans", evil);
	assert_text(e->path, "SELECT args FROM scans", evil2);

	st = store_open_readonly(e->path, sql, sizeof(sql));
	assert_non_null(st);
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_latest_scan(st, evil), scan);
	assert_int_equal(store_each_leaf_row(st, scan, collect_cb, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.cn[0], evil);
	assert_string_equal(c.host[0], evil);
	assert_int_equal(store_close(st), 0);
	cert_free(&fc);
}

/* ------------------------------------------------------------------ volume */

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_bulk_100k(void **state)
{
	enum { N = 100000, LEAVES = 1000 };
	struct env *e = *state;
	struct store *st = open_ok(e->path);
	struct fake_cert inter, *leaves;
	int64_t scan = 0;
	double t0, c0, dt, dc;
	char ip[32], cn[64];

	leaves = calloc(LEAVES, sizeof(*leaves));
	assert_non_null(leaves);
	cert_init(&inter, "Bulk Intermediate", "Bulk Root", 2000000000);
	for (int i = 0; i < LEAVES; i++) {
		snprintf(cn, sizeof(cn), "leaf%d.bulk.test", i);
		cert_init(&leaves[i], cn, "Bulk Intermediate", time(NULL) + (i % 400) * 86400);
	}
	assert_int_equal(store_scan_begin(st, "bulk", "", &scan), 0);
	t0 = now_s(CLOCK_MONOTONIC);
	c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	for (int i = 0; i < N; i++) {
		struct fake_cert *chain[2] = { &leaves[i % LEAVES], &inter };
		struct fake_an fa;
		struct observation *o;

		snprintf(ip, sizeof(ip), "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		o = make_obs(ip, 443, NULL, 1000, chain, 2);
		an_init(&fa, chain, 2, i % 2);
		an_finding(&fa, "ocsp.no_stapling", SEV_LOW, -1, "no OCSP staple");
		if (i % 3 == 0)
			an_finding(&fa, "cert.expiring", SEV_HIGH, 0, "expires soon");
		if (store_add_result(st, scan, o, &fa.an) != 0)
			fail_msg("result %d: %s", i, store_errmsg(st));
		obs_free(o);
	}
	assert_int_equal(store_scan_end(st, scan, NULL, "done"), 0);
	dt = now_s(CLOCK_MONOTONIC) - t0;
	dc = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	/* Includes building the test observations and hashing their DER (as the store does). */
	print_message("store: %d results in %.2f s (%.2f s CPU): %.0f results/s\n", N, dt, dc,
	              N / dt);
	assert_int_equal(store_close(st), 0);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM observations"), N);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM certificates"), LEAVES + 1);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM observation_certs"), 2 * N);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM findings"), N + (N + 2) / 3);
	assert_int_equal(q_int(e->path, "SELECT total_unique_certs FROM scans"), LEAVES + 1);
	for (int i = 0; i < LEAVES; i++)
		cert_free(&leaves[i]);
	free(leaves);
	cert_free(&inter);
}

/* ------------------------------------------------------------------ sweeps at scale (issue 7) */

/* Removes a database and its WAL and shared-memory files (for tests with several databases). */
static void unlink_db(const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[192];

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}
}

/* Every database gets its own random identity, kept across openings. */
static void test_identity(void **state)
{
	struct env *e = *state;
	char other[160], a[33], b[33], again[33];
	struct store *st = open_ok(e->path);

	assert_int_equal(store_uuid(st, a), 0);
	assert_int_equal(strlen(a), 32);
	assert_int_equal(strspn(a, "0123456789abcdef"), 32);
	assert_int_equal(store_close(st), 0);
	st = open_ok(e->path);
	assert_int_equal(store_uuid(st, again), 0);
	assert_string_equal(a, again);
	assert_int_equal(store_close(st), 0);
	snprintf(other, sizeof(other), "%s/other.db", e->dir);
	st = open_ok(other);
	assert_int_equal(store_uuid(st, b), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(store_close(st), 0);
	unlink_db(other);
}

/* A result with its permutation position (status refused, port 443). */
static void add_at(struct store *st, int64_t scan, const char *ip, int64_t pos)
{
	struct observation *o = obs_new();

	assert_non_null(o);
	snprintf(o->ip, sizeof(o->ip), "%s", ip);
	o->port = 443;
	o->started = 100;
	obs_set_error(o, EP_REFUSED, "refused");
	assert_int_equal(store_add_result_pos(st, scan, o, NULL, pos), 0);
	obs_free(o);
}

/* The watermark is written with the commit that holds the results, never before. */
static void test_progress_with_commit(void **state)
{
	struct env *e = *state;
	struct store *st = open_ok(e->path);
	struct scan_plan plan = { 42, 0, 1, "ab", 10, "[\"scan\"]" };
	int64_t scan = 0;

	store_set_batch(st, 1000, 0);
	assert_int_equal(store_scan_begin(st, "w", "", &scan), 0);
	assert_int_equal(store_scan_set_plan(st, scan, &plan), 0);
	add_at(st, scan, "127.0.5.1", 0);
	add_at(st, scan, "127.0.5.2", 1);
	add_at(st, scan, "127.0.5.4", 3);
	store_scan_progress(st, scan, 2);
	/* Not committed yet: neither the results nor the watermark. */
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM observations"), 0);
	assert_int_equal(q_int(e->path, "SELECT resume_pos FROM scans"), 0);
	assert_int_equal(store_flush(st), 0);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM observations"), 3);
	assert_int_equal(q_int(e->path, "SELECT resume_pos FROM scans"), 2);
	assert_true(q_int(e->path, "SELECT heartbeat FROM scans") >= time(NULL) - 5);
	assert_int_equal(q_int(e->path, "SELECT group_concat(pos, ',') = '0,1,3' FROM"
	                                " (SELECT pos FROM observations ORDER BY pos)"), 1);
	/* Progress alone (skipped endpoints) is committed on its own. */
	store_scan_progress(st, scan, 5);
	assert_int_equal(store_flush(st), 0);
	assert_int_equal(q_int(e->path, "SELECT resume_pos FROM scans"), 5);
	/* A plain store_add_result has no position. */
	add_failed(st, scan, 6, 1, 1);
	assert_int_equal(store_close(st), 0);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM observations WHERE pos IS NULL"), 1);
}

struct stored_list {
	char text[256];
};

static int collect_stored(void *arg, uint64_t pos, const char *ip)
{
	struct stored_list *l = arg;
	size_t n = strlen(l->text);

	snprintf(l->text + n, sizeof(l->text) - n, "%llu=%s ", (unsigned long long)pos, ip);
	return 0;
}

/* The plan survives as stored (a seed with its top bit set included); --resume finds the scan
 * by id or by name, and reads what was stored above the watermark. */
static void test_plan_and_resume_info(void **state)
{
	struct env *e = *state;
	struct store *st = open_ok(e->path);
	struct scan_plan plan = { 0xfedcba9876543210ULL, 2, 4, "hash", 1000, "[\"scan\",\"x\"]" };
	struct scan_info si;
	struct stored_list l = { "" };
	int64_t done = 0, scan = 0;

	assert_int_equal(store_scan_begin(st, "nightly", "", &done), 0);
	assert_int_equal(store_scan_end(st, done, NULL, "done"), 0);
	assert_int_equal(store_scan_info(st, 0, "nightly", &si), 1); /* the latest, even done */
	assert_int_equal(si.id, done);
	assert_string_equal(si.status, "done");
	scan_info_free(&si);
	assert_int_equal(store_scan_begin(st, "nightly", "", &scan), 0);
	assert_int_equal(store_scan_set_plan(st, scan, &plan), 0);
	assert_int_equal(store_scan_claim(st, scan, "host-a", 4242), 0);
	add_at(st, scan, "127.0.7.1", 2);
	add_at(st, scan, "127.0.7.2", 6);
	add_at(st, scan, "127.0.7.3", 10);
	store_scan_progress(st, scan, 6);
	assert_int_equal(store_flush(st), 0);

	assert_int_equal(store_scan_info(st, 0, "nightly", &si), 1);
	assert_int_equal(si.id, scan);
	assert_string_equal(si.status, "running");
	assert_int_equal(si.has_plan, 1);
	assert_true(si.seed == 0xfedcba9876543210ULL);
	assert_int_equal(si.shard, 2);
	assert_int_equal(si.nshards, 4);
	assert_string_equal(si.space_hash, "hash");
	assert_int_equal(si.space_size, 1000);
	assert_string_equal(si.argv_json, "[\"scan\",\"x\"]");
	assert_int_equal(si.resume_pos, 6);
	assert_string_equal(si.run_host, "host-a");
	assert_int_equal(si.run_pid, 4242);
	assert_int_equal(si.merged, 0);
	scan_info_free(&si);
	assert_int_equal(store_scan_info(st, 0, "other", &si), 0);
	assert_int_equal(store_scan_info(st, done, NULL, &si), 1); /* by id: any status */
	assert_string_equal(si.status, "done");
	assert_int_equal(si.has_plan, 0);
	scan_info_free(&si);

	assert_int_equal(store_each_stored_from(st, scan, 6, collect_stored, &l), 0);
	assert_string_equal(l.text, "6=127.0.7.2 10=127.0.7.3 ");
	/* Interrupted, then claimed again by a resume: running, no end time. */
	assert_int_equal(store_scan_end(st, scan, NULL, "interrupted"), 0);
	assert_int_equal(store_scan_claim(st, scan, "host-b", 7), 0);
	assert_int_equal(store_close(st), 0);
	assert_text(e->path, "SELECT status || '|' || coalesce(ended, 'none') || '|' || run_host"
	                     " FROM scans WHERE id = 2", "running|none|host-b");
}

/* Killed mid-sweep: every position below the committed watermark is committed. */
static void test_crash_watermark(void **state)
{
	struct env *e = *state;
	int status = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[256], ip[32];
		int64_t scan = 0;
		struct store *st = store_open(e->path, err, sizeof(err));

		if (st == NULL || store_scan_begin(st, "crash", "", &scan) != 0)
			_exit(2);
		store_set_batch(st, 7, 0);
		/* Results finish out of order: position i + 2 before i (a slow endpoint). */
		for (int i = 0; i < 40; i++) {
			struct observation *o = obs_new();
			int64_t pos = i % 3 == 0 ? i + 2 : i % 3 == 2 ? i - 2 : i;

			snprintf(ip, sizeof(ip), "127.0.8.%d", (int)pos + 1);
			snprintf(o->ip, sizeof(o->ip), "%s", ip);
			o->port = 443;
			o->started = 100;
			obs_set_error(o, EP_REFUSED, "refused");
			if (store_add_result_pos(st, scan, o, NULL, pos) != 0)
				_exit(3);
			obs_free(o);
			/* the lowest position not delivered yet */
			store_scan_progress(st, scan, (uint64_t)(i % 3 == 0 ? i : i + 1));
		}
		raise(SIGKILL);
		_exit(4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_text(e->path, "PRAGMA integrity_check", "ok");
	assert_true(q_int(e->path, "SELECT resume_pos FROM scans") > 0);
	assert_int_equal(q_int(e->path, "WITH RECURSIVE p(v) AS (SELECT 0 UNION ALL SELECT v + 1"
	                                " FROM p WHERE v + 1 < (SELECT resume_pos FROM scans))"
	                                " SELECT count(*) FROM p WHERE NOT EXISTS"
	                                " (SELECT 1 FROM observations WHERE pos = p.v)"), 0);
}

/* One input database of the merge test: scans of `name` (seed 7, space "space", 2 shards). */
static void shard_db(const char *path, int shard, int run, int with_extra)
{
	char err[512], ip[32];
	struct store *st = store_open(path, err, sizeof(err));
	struct fake_cert inter, leaf;
	struct scan_plan plan = { 7, (uint32_t)shard, 2, "space", 8, "[\"scan\"]" };
	int64_t scan = 0;

	if (st == NULL)
		fail_msg("%s", err);
	cert_init(&inter, "Merge Intermediate", "Merge Root", 2000000000);
	assert_int_equal(store_scan_begin(st, "nightly", "certsweep scan --shard", &scan), 0);
	assert_int_equal(store_scan_set_plan(st, scan, &plan), 0);
	for (int i = 0; i < 4; i++) {
		struct fake_cert *chain[2] = { &leaf, &inter };
		struct fake_an fa;
		struct observation *o;
		char cn[64];

		snprintf(cn, sizeof(cn), "m%d.r%d.example.test", shard * 4 + i, run);
		snprintf(ip, sizeof(ip), "10.9.%d.%d", shard, i + 1);
		cert_init(&leaf, cn, "Merge Intermediate", 1900000000 + run);
		o = make_obs(ip, 443, cn, 1000 + run, chain, 2);
		an_init(&fa, chain, 2, 1);
		an_finding(&fa, "ocsp.no_stapling", SEV_LOW, -1, "no OCSP staple");
		an_finding(&fa, "cert.weak_key", SEV_HIGH, 0, "weak");
		assert_int_equal(store_add_result_pos(st, scan, o, &fa.an, shard + 2 * i), 0);
		obs_free(o);
		cert_free(&leaf);
	}
	store_scan_progress(st, scan, 8);
	assert_int_equal(store_scan_end(st, scan, NULL, "done"), 0);
	if (with_extra) {
		int64_t adhoc = 0, live = 0;

		/* an ad-hoc scan (copied as it is) and one still running (left out) */
		assert_int_equal(store_scan_begin(st, NULL, "adhoc", &adhoc), 0);
		add_failed(st, adhoc, 9, 1, 3);
		assert_int_equal(store_scan_end(st, adhoc, NULL, "interrupted"), 0);
		assert_int_equal(store_scan_begin(st, "nightly", "live", &live), 0);
		add_failed(st, live, 9, 10, 2);
	}
	assert_int_equal(store_close(st), 0);
	cert_free(&inter);
}

static char *table_counts(const char *path)
{
	static const char sql[] =
		"SELECT (SELECT count(*) FROM scans) || ' ' || (SELECT count(*) FROM endpoints) || ' ' ||"
		" (SELECT count(*) FROM certificates) || ' ' || (SELECT count(*) FROM observations) || ' ' ||"
		" (SELECT count(*) FROM observation_certs) || ' ' || (SELECT count(*) FROM findings) || ' ' ||"
		" (SELECT count(*) FROM observation_findings) || ' ' ||"
		" (SELECT count(*) FROM merged_sources)";

	return q_text(path, sql);
}

static void test_merge(void **state)
{
	struct env *e = *state;
	char in0[160], in1[160], err[512];
	struct merge_stats ms;
	struct store *st;
	char *before, *after;

	snprintf(in0, sizeof(in0), "%s/shard0.db", e->dir);
	snprintf(in1, sizeof(in1), "%s/shard1.db", e->dir);
	shard_db(in0, 0, 0, 1);
	shard_db(in1, 1, 0, 0);

	st = store_open_flags(e->path, 1, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(store_merge(st, in0, &ms), 0);
	assert_int_equal(ms.scans, 2);       /* the shard and the ad-hoc scan */
	assert_int_equal(ms.groups, 1);
	assert_int_equal(ms.running, 1);
	assert_int_equal(ms.observations, 7);
	/* Half the shards: the merged scan is not complete. */
	assert_text(e->path, "SELECT status || '|' || merged || '|' || nshards || '|' ||"
	                     " coalesce(shard, 'none') FROM scans WHERE name = 'nightly'",
	            "interrupted|1|2|none");
	assert_int_equal(store_merge(st, in1, &ms), 0);
	assert_int_equal(ms.scans, 1);
	assert_int_equal(ms.observations, 4);
	assert_text(e->path, "SELECT count(*) || '|' || status || '|' || total_endpoints || '|' ||"
	                     " total_tls || '|' || total_unique_certs FROM scans WHERE name = 'nightly'",
	            "1|done|8|8|9");
	/* Certificates by SHA-256: 8 leaves, one intermediate; findings by natural key. */
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM certificates"), 9);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM findings"), 16);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM observation_findings x JOIN"
	                                " observations o ON o.id = x.observation_id"
	                                " JOIN findings f ON f.id = x.finding_id"
	                                " WHERE f.endpoint_id = o.endpoint_id"), 16);
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM observation_certs oc JOIN"
	                                " certificates c ON c.id = oc.certificate_id"
	                                " WHERE oc.position = 1 AND c.subject_cn = 'Merge Intermediate'"), 8);
	assert_int_equal(q_int(e->path, "SELECT count(DISTINCT pos) FROM observations o JOIN scans s"
	                                " ON s.id = o.scan_id WHERE s.merged = 1"), 8);
	assert_text(e->path, "SELECT status FROM scans WHERE args = 'adhoc'", "interrupted");

	/* Merging again changes nothing. */
	before = table_counts(e->path);
	assert_int_equal(store_merge(st, in0, &ms), 0);
	assert_int_equal(ms.scans, 0);
	assert_int_equal(ms.unchanged, 2);
	assert_int_equal(ms.running, 1);
	assert_int_equal(store_merge(st, in1, &ms), 0);
	assert_int_equal(ms.unchanged, 1);
	after = table_counts(e->path);
	assert_string_equal(before, after);
	free(before);
	free(after);

	/* The output itself is refused, and so is a file that is no certsweep database. */
	assert_int_equal(store_merge(st, e->path, &ms), -1);
	assert_non_null(strstr(store_errmsg(st), "output database itself"));
	unlink_db(in1);
	spit(in1, "garbage garbage garbage", 23);
	assert_int_equal(store_merge(st, in1, &ms), -1);
	assert_int_equal(store_close(st), 0);

	/* The next run of the sweep, in the same shard databases: a second merged scan. */
	unlink_db(in1);
	shard_db(in0, 0, 1, 0);
	shard_db(in1, 1, 1, 0);
	st = store_open_flags(e->path, 1, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(store_merge(st, in0, &ms), 0);
	assert_int_equal(ms.scans, 1);
	assert_int_equal(store_merge(st, in1, &ms), 0);
	assert_int_equal(ms.scans, 1);
	assert_int_equal(store_close(st), 0);
	assert_text(e->path, "SELECT group_concat(status, ',') FROM (SELECT status FROM scans"
	                     " WHERE merged = 1 ORDER BY id)", "done,done");
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM observations o JOIN scans s"
	                                " ON s.id = o.scan_id WHERE s.merged = 1"), 16);
	/* run 1's leaves are other certificates: 8 more */
	assert_int_equal(q_int(e->path, "SELECT count(*) FROM certificates"), 17);
	unlink_db(in0);
	unlink_db(in1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_empty_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_too_new, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_db, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_db, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_results_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_findings_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_analysis_config_findings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_commit_on_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_keeps_committed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sql_injection_verbatim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_100k, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_progress_with_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_and_resume_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_watermark, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
