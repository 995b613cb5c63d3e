/*
 * test_csv.c: the CSV writer (report/csv.c): RFC 4180 quoting, formula-injection neutralisation,
 * UTF-8 repair, the bounded buffer variant, and the "endpoint x leaf" report end to end over a
 * store filled by hand (golden output).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "report/report.h"
#include "store/store.h"

/* ------------------------------------------------------------------ cells */

struct cell_case {
	const char *in;
	const char *want;
};

static const struct cell_case cell_cases[] = {
	{ "", "" },
	{ "plain", "plain" },
	{ "www.example.com", "www.example.com" },
	{ "a b  c", "a b  c" },                         /* spaces are data, no quotes */
	{ "a,b", "\"a,b\"" },
	{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
	{ "\"", "\"\"\"\"" },
	{ "line1\nline2", "\"line1\nline2\"" },
	{ "cr\rlf\r\n", "\"cr\rlf\r\n\"" },
	{ "bell\x07", "\"bell\x07\"" },                   /* other controls stay inside quotes */
	{ "del\x7f", "\"del\x7f\"" },
	{ "tab\tinside", "\"tab\tinside\"" },
	/* formula injection: a leading = + - @ TAB CR gets a quote */
	{ "=1+2", "'=1+2" },
	{ "+1", "'+1" },
	{ "-2", "'-2" },
	{ "@SUM(A1:A9)", "'@SUM(A1:A9)" },
	{ "\tx", "\"'\tx\"" },
	{ "\r=x", "\"'\r=x\"" },
	{ "=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0" },
	{ "=HYPERLINK(\"http://evil.test\",\"x\")",
	  "\"'=HYPERLINK(\"\"http://evil.test\"\",\"\"x\"\")\"" },
	{ "=1,2", "\"'=1,2\"" },
	{ "a=b", "a=b" },                               /* only the first character matters */
	{ " =1+2", " =1+2" },
	{ "'quoted'", "'quoted'" },
	/* UTF-8 kept; invalid bytes become U+FFFD */
	{ "Ünïcödé café 証明書", "Ünïcödé café 証明書" },
	{ "\xff\xfe", "\xef\xbf\xbd\xef\xbf\xbd" },
	{ "ok\xc3", "ok\xef\xbf\xbd" },                  /* truncated sequence at the end */
	{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },       /* overlong '/' */
	{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
	{ "\xf0\x9f\x94\x92 lock", "\xf0\x9f\x94\x92 lock" },
	{ "-\xff", "'-\xef\xbf\xbd" },
};

static void test_cell_golden(void **state)
{
	char buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cell_cases) / sizeof(cell_cases[0]); i++) {
		size_t n = csv_cell_buf(buf, sizeof(buf), cell_cases[i].in);

		if (strcmp(buf, cell_cases[i].want) != 0)
			fail_msg("case %zu: got [%s] want [%s]", i, buf, cell_cases[i].want);
		assert_int_equal(n, strlen(cell_cases[i].want));
	}
	assert_int_equal(csv_cell_buf(buf, sizeof(buf), NULL), 0);
	assert_string_equal(buf, "");
}

/* The FILE writer produces exactly what the buffer writer does. */
static void test_cell_file_matches_buf(void **state)
{
	char want[256], *mem = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	for (size_t i = 0; i < sizeof(cell_cases) / sizeof(cell_cases[0]); i++) {
		f = open_memstream(&mem, &len);
		assert_non_null(f);
		csv_cell(f, cell_cases[i].in);
		assert_int_equal(fclose(f), 0);
		csv_cell_buf(want, sizeof(want), cell_cases[i].in);
		assert_string_equal(mem, want);
		free(mem);
		mem = NULL;
	}
}

/* snprintf semantics: truncated output is NUL-terminated, the full length is returned. */
static void test_cell_buf_truncation(void **state)
{
	char buf[6];

	(void)state;
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(csv_cell_buf(buf, sizeof(buf), "say \"hi\""), 12);
	assert_string_equal(buf, "\"say ");
	assert_int_equal(csv_cell_buf(buf, 1, "abc"), 3);
	assert_string_equal(buf, "");
	buf[0] = 'Z';
	assert_int_equal(csv_cell_buf(buf, 0, "abc"), 3);
	assert_int_equal(buf[0], 'Z'); /* size 0: nothing written */
	/* A multi-byte sequence may be cut, but never past the buffer. */
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(csv_cell_buf(buf, 3, "\xe8\xa8\xbc"), 3);
	assert_int_equal(buf[2], '\0');
	assert_int_equal(buf[3], 'X');
}

static void test_int_sep_eol(void **state)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);

	(void)state;
	assert_non_null(f);
	csv_int(f, -5);        /* numbers the writer makes are not neutralised */
	csv_sep(f);
	csv_int(f, 443);
	csv_eol(f);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(mem, "-5,443\r\n");
	free(mem);
}

/* ------------------------------------------------------------------ the leaf report */

struct env {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return -1;
	snprintf(e->dir, sizeof(e->dir), "/tmp/cs-csv-XXXXXX");
	if (mkdtemp(e->dir) == NULL)
		return -1;
	snprintf(e->path, sizeof(e->path), "%s/inv.db", e->dir);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char p[160];

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", e->path, suffix[i]);
		unlink(p);
	}
	rmdir(e->dir);
	free(e);
	return 0;
}

/* A certificate made by hand; every string is owned and freed by fake_free. */
struct fake {
	struct certinfo ci;
	unsigned char der[256];
	char *san_list[2];
};

static char *xdup(const char *s)
{
	char *d = strdup(s);

	assert_non_null(d);
	return d;
}

static void fake_init(struct fake *fc, const char *cn, const char *san1, const char *san2,
                      const char *issuer, time_t not_after)
{
	struct certinfo *ci = &fc->ci;
	int n;

	memset(fc, 0, sizeof(*fc));
	n = snprintf((char *)fc->der, sizeof(fc->der), "der:%s", cn);
	assert_true(n > 0 && (size_t)n < sizeof(fc->der));
	ci->der = fc->der;
	ci->der_len = (size_t)n;
	SHA256(fc->der, ci->der_len, ci->sha256);
	for (int i = 0; i < 32; i++)
		snprintf(ci->sha256_hex + 2 * i, 3, "%02x", ci->sha256[i]);
	ci->subject = xdup(cn);
	ci->issuer = xdup(issuer);
	ci->subject_cn = xdup(cn);
	ci->issuer_cn = xdup("");
	ci->issuer_org = xdup("");
	ci->serial_hex = xdup("01");
	fc->san_list[0] = xdup(san1);
	fc->san_list[1] = xdup(san2);
	ci->sans = fc->san_list;
	ci->n_sans = 2;
	ci->not_before = 1700000000;
	ci->not_after = not_after;
}

static void fake_free(struct fake *fc)
{
	free(fc->ci.subject);
	free(fc->ci.issuer);
	free(fc->ci.subject_cn);
	free(fc->ci.issuer_cn);
	free(fc->ci.issuer_org);
	free(fc->ci.serial_hex);
	free(fc->san_list[0]);
	free(fc->san_list[1]);
}

static void add(struct store *st, int64_t scan, const char *ip, int port, const char *host,
                struct fake *leaf, int preferred, const char *finding)
{
	struct observation *o = obs_new();
	struct analysis an;
	struct finding f;

	assert_non_null(o);
	snprintf(o->ip, sizeof(o->ip), "%s", ip);
	o->port = (uint16_t)port;
	o->started = 1000;
	if (host != NULL) {
		assert_int_equal(obs_set_str(&o->host, host), 0);
		assert_int_equal(obs_set_str(&o->sni, host), 0);
	}
	if (leaf == NULL) {
		obs_set_error(o, EP_REFUSED, "refused");
	} else {
		o->status = EP_OK;
		assert_int_equal(obs_add_cert(o, leaf->der, leaf->ci.der_len), 0);
	}
	memset(&an, 0, sizeof(an));
	memset(&f, 0, sizeof(f));
	if (leaf != NULL) {
		an.certs[0] = &leaf->ci;
		an.n_certs = 1;
	}
	an.preferred = preferred;
	if (finding != NULL) {
		f.id = finding;
		f.severity = SEV_HIGH;
		f.cert_pos = 0;
		snprintf(f.message, sizeof(f.message), "%s", finding);
		an.findings = &f;
		an.n_findings = 1;
	}
	assert_int_equal(store_add_result(st, scan, o, &an), 0);
	obs_free(o);
}

static void iso(char *buf, size_t len, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Runs one view of the latest scan into a string (caller frees). */
static char *view_text(struct store *st, const char *view, int64_t scan_id)
{
	struct inventory *inv = NULL;
	char err[256] = "", *mem = NULL;
	size_t len = 0;
	FILE *f;

	assert_int_equal(store_inventory_load(st, &(struct inv_scope){ .scan_id = scan_id }, &inv), 0);
	f = open_memstream(&mem, &len);
	assert_non_null(f);
	assert_int_equal(report_csv_view(inv, report_view(view), f, err, sizeof(err)), 0);
	assert_int_equal(fclose(f), 0);
	inventory_free(inv);
	return mem;
}

static void test_report_views_golden(void **state)
{
	struct env *e = *state;
	time_t now = time(NULL);
	time_t exp1 = now + 30 * 86400 + 3600, exp2 = now - 3 * 86400 + 3600;
	struct fake good, evil;
	char err[256] = "", want[4096], na1[32], na2[32];
	char *mem = NULL, *line2, *line3;
	struct store *st;
	struct inventory *inv = NULL;
	int64_t scan = 0;
	FILE *f;

	fake_init(&good, "www.example.test", "DNS:www.example.test", "DNS:example.test",
	          "CN=Sectigo RSA Domain Validation Secure Server CA,O=Sectigo Limited", exp1);
	fake_init(&evil, "=cmd|' /C calc'!A0", "DNS:a,b.test", "DNS:\"q\".test",
	          "CN=Evil \"CA\"\r\nInjected,O=-Bad", exp2);
	iso(na1, sizeof(na1), exp1);
	iso(na2, sizeof(na2), exp2);

	st = store_open(e->path, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(store_scan_begin(st, "csv", "", &scan), 0);
	add(st, scan, "127.0.0.10", 443, "www.example.test", &good, 1, NULL);
	add(st, scan, "127.0.0.9", 8443, "@evil.test", &evil, 0, "cert.expired");
	add(st, scan, "127.0.0.11", 443, NULL, NULL, 0, NULL); /* refused: a row without a certificate */
	assert_int_equal(store_scan_end(st, scan, NULL, "done"), 0);
	assert_int_equal(store_close(st), 0);

	st = store_open_readonly(e->path, err, sizeof(err));
	assert_non_null(st);

	/* The snapshot: three endpoints by address, two certificates by expiry, one finding. */
	assert_int_equal(store_inventory_load(st, &(struct inv_scope){ 0 }, &inv), 0);
	assert_int_equal(inv->n_scans, 1);
	assert_int_equal(inv->n_endpoints, 3);
	assert_int_equal(inv->n_certs, 2);
	assert_int_equal(inv->n_findings, 1);
	assert_string_equal(inv->endpoints[0].ip, "127.0.0.9");
	assert_string_equal(inv->endpoints[2].status, "refused");
	assert_true(inv->endpoints[2].leaf == INV_NONE);
	assert_string_equal(inv->certs[0].subject_cn, "=cmd|' /C calc'!A0"); /* expires first */
	assert_int_equal(inv->certs[0].preferred, 0);
	assert_int_equal(inv->certs[1].preferred, 1);
	assert_true(inv->endpoints[0].leaf == 0);
	assert_int_equal(inv->certs[0].n_endpoints, 1);
	assert_int_equal(inv->endpoints[0].n_findings, 1);
	assert_string_equal(inv->findings[0].check_id, "cert.expired");
	assert_true(inv->findings[0].cert == 0);
	inventory_free(inv);
	inv = NULL;

	/* Endpoints view: the header is the documented column list; text cells are neutralised,
	 * quoted and escaped; numbers stay numbers (-3 days). */
	mem = view_text(st, "endpoints", 0);
	line2 = strstr(mem, "\r\n");
	assert_non_null(line2);
	*line2 = '\0';
	assert_string_equal(mem, "host,ip,port,sni,starttls,status,error,tls_version,cipher,group,"
	                         "grade,score,country,asn,as_org,verified,hostname_ok,preferred,"
	                         "subject_cn,issuer,not_after,days_left,sha256,findings,order_id,"
	                         "order_status,observed_at,scan_id,city,owner,business_unit,site,"
	                         "source,passive_only,ja3,ja3s");
	line2 += 2;
	snprintf(want, sizeof(want),
	         "'@evil.test,127.0.0.9,8443,'@evil.test,,ok,,,,,,,,,,no,,no,'=cmd|' /C calc'!A0,"
	         "\"CN=Evil \"\"CA\"\"\r\nInjected,O=-Bad\",%s,-3,%s,cert.expired,,,", na2,
	         evil.ci.sha256_hex);
	assert_memory_equal(line2, want, strlen(want));
	line3 = strstr(line2, "Injected");
	assert_non_null(line3);
	line3 = strstr(line3, "\r\n");
	assert_non_null(line3);
	line3 += 2;
	snprintf(want, sizeof(want),
	         "www.example.test,127.0.0.10,443,www.example.test,,ok,,,,,,,,,,no,,yes,"
	         "www.example.test,\"CN=Sectigo RSA Domain Validation Secure Server CA,"
	         "O=Sectigo Limited\",%s,30,%s,,,,", na1, good.ci.sha256_hex);
	assert_memory_equal(line3, want, strlen(want));
	assert_non_null(strstr(line3, "\r\n,127.0.0.11,443,,,refused,refused,"));
	free(mem);

	/* Certificates view: SANs keep their hostile commas and quotes inside one quoted cell. */
	mem = view_text(st, "certificates", scan);
	assert_non_null(strstr(mem, ",\"DNS:a,b.test DNS:\"\"q\"\".test\","));
	assert_non_null(strstr(mem, ",'=cmd|' /C calc'!A0,"));
	free(mem);

	/* Findings view: the fix text comes from the check registry. */
	mem = view_text(st, "findings", scan);
	assert_non_null(strstr(mem, "\r\ncert.expired,high,cert,open,cert.expired,"));
	assert_non_null(strstr(mem, check_fix("cert.expired")));
	free(mem);

	/* A write error is reported, not ignored. */
	assert_int_equal(store_inventory_load(st, &(struct inv_scope){ .scan_id = scan }, &inv), 0);
	f = fopen("/dev/full", "w");
	if (f != NULL) {
		assert_int_equal(report_csv_view(inv, report_view("endpoints"), f, err, sizeof(err)),
		                 -1);
		assert_non_null(strstr(err, "write error"));
		fclose(f);
	}
	inventory_free(inv);
	/* An unknown scan: no snapshot, a message. */
	inv = NULL;
	assert_int_equal(store_inventory_load(st, &(struct inv_scope){ .scan_id = scan + 5 }, &inv),
	                 1);
	assert_null(inv);
	assert_non_null(strstr(store_errmsg(st), "no scan"));
	assert_int_equal(store_close(st), 0);
	fake_free(&good);
	fake_free(&evil);
}

static void test_report_no_scan(void **state)
{
	struct env *e = *state;
	char err[256] = "";
	struct store *st = store_open(e->path, err, sizeof(err));
	struct inventory *inv = NULL;
	int64_t scan = 0;

	assert_non_null(st);
	assert_int_equal(store_inventory_load(st, &(struct inv_scope){ 0 }, &inv), 1);
	assert_null(inv);
	assert_non_null(strstr(store_errmsg(st), "no finished sweep"));
	/* A running scan is not "finished" either. */
	assert_int_equal(store_scan_begin(st, NULL, "", &scan), 0);
	assert_int_equal(store_inventory_load(st, &(struct inv_scope){ 0 }, &inv), 1);
	assert_int_equal(store_inventory_load(st, &(struct inv_scope){ .sweep = "nightly" }, &inv), 1);
	assert_non_null(strstr(store_errmsg(st), "nightly"));
	assert_int_equal(store_close(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cell_golden),
		cmocka_unit_test(test_cell_file_matches_buf),
		cmocka_unit_test(test_cell_buf_truncation),
		cmocka_unit_test(test_int_sep_eol),
		cmocka_unit_test_setup_teardown(test_report_views_golden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_no_scan, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
