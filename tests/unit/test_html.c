/*
 * test_html.c: the HTML dashboard (report/html.c), its escaping helpers (report/html_escape.c),
 * the summary numbers (report/summary.c) and check_fix (analyzer/check_fix.c), over snapshots
 * built by hand (store/inventory.h) whose certificate fields carry script and markup payloads,
 * quotes, invalid UTF-8 and U+2028.
 *
 * What the page must satisfy: no payload survives raw anywhere, the escaped forms are there, the
 * data block holds no '<' and parses back to the original values, the CSP hash is the SHA-256
 * of the script text actually written, the tiles and charts show the numbers of the data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "analyzer/analyzer.h"
#include "report/assets.h"
#include "report/diff.h"
#include "report/html.h"
#include "report/summary.h"
#include "store/inventory.h"

#define NOW INT64_C(1795651200) /* 2026-11-26T00:00:00Z */
#define DAY INT64_C(86400)

#define XSS_SCRIPT "<script>alert(1)</script>"
#define XSS_IMG "<img src=x onerror=alert(1)>"

/* ------------------------------------------------------------------ the hand-made snapshot */

static struct inv_scan scans[1] = {
	{ .id = 12, .name = "nightly", .status = "done", .started = NOW - 22 * 3600,
	  .ended = NOW - 21 * 3600 },
};

/* endpoints serving each cert as leaf */
static size_t c0_eps[] = { 0 }, c1_eps[] = { 1 }, c2_eps[] = { 2 }, c3_eps[] = { 3 };
static size_t c4_eps[] = { 4 }, c6_eps[] = { 5 };
static size_t c0_chain[] = { 5 };
static size_t c0_findings[] = { 0 }, c1_findings[] = { 1 };

/*
 * Leaves: c0 expired 2 days ago (hostile fields, non-preferred, untrusted), c1 in 3 days,
 * c2 in 20 days (non-preferred), c3 in 60 days, c4 in 400 days, c6 unknown expiry;
 * c5 is an intermediate (not a leaf: not counted).
 */
static struct inv_cert certs[7] = {
	{ .id = 100, .sha256 = "00aa", .subject = "CN=" XSS_SCRIPT, .subject_cn = XSS_SCRIPT,
	  .issuer = "O=" XSS_IMG, .issuer_cn = "\"'&\xff\xfe bad", .issuer_org = XSS_IMG,
	  .sans = "DNS:\xe2\x80\xa8" "evil.example DNS:" XSS_SCRIPT,
	  .not_after = "2026-11-24T00:00:00Z", .not_after_unix = NOW - 2 * DAY, .has_not_after = 1,
	  .key_type = "RSA", .key_bits = 2048, .sig_alg = "sha256WithRSAEncryption", .leaf = 1,
	  .preferred = 0, .trusted = 0, .endpoints = c0_eps, .n_endpoints = 1, .chain = c0_chain,
	  .n_chain = 1, .findings = c0_findings, .n_findings = 1, .order = 0 },
	{ .id = 101, .sha256 = "11bb", .subject_cn = "soon.example",
	  .issuer_org = "Sectigo Limited", .issuer_cn = "Sectigo RSA DV",
	  .not_after_unix = NOW + 3 * DAY, .has_not_after = 1,
	  .key_type = "EC", .key_bits = 256, .curve = "P-256", .leaf = 1, .preferred = 1,
	  .trusted = 1, .endpoints = c1_eps, .n_endpoints = 1, .findings = c1_findings,
	  .n_findings = 1, .order = INV_NONE },
	{ .id = 102, .sha256 = "22cc", .subject_cn = "month.example",
	  .issuer_org = "Sectigo Limited", .not_after_unix = NOW + 20 * DAY, .has_not_after = 1,
	  .leaf = 1, .preferred = 0, .trusted = 1, .endpoints = c2_eps, .n_endpoints = 1,
	  .order = INV_NONE },
	{ .id = 103, .sha256 = "33dd", .subject_cn = "q.example", .issuer_cn = "Local CA",
	  .not_after_unix = NOW + 60 * DAY, .has_not_after = 1, .leaf = 1, .preferred = 1,
	  .trusted = 1, .endpoints = c3_eps, .n_endpoints = 1, .order = INV_NONE },
	{ .id = 104, .sha256 = "44ee", .subject_cn = "far.example",
	  .not_after_unix = NOW + 400 * DAY, .has_not_after = 1, .leaf = 1, .preferred = 1,
	  .trusted = 1, .endpoints = c4_eps, .n_endpoints = 1, .order = INV_NONE },
	{ .id = 105, .sha256 = "55ff", .subject_cn = "Intermediate", .issuer_org = "Root Org",
	  .not_after_unix = NOW + 1000 * DAY, .has_not_after = 1, .is_ca = 1, .leaf = 0,
	  .preferred = -1, .trusted = -1, .order = INV_NONE },
	{ .id = 106, .sha256 = "6600", .subject_cn = "unknown-expiry.example",
	  .issuer_org = "Sectigo Limited", .has_not_after = 0, .leaf = 1, .preferred = -1,
	  .trusted = -1, .endpoints = c6_eps, .n_endpoints = 1, .order = INV_NONE },
};

static size_t e0_findings[] = { 0, 3 }, e1_findings[] = { 1 }, e2_findings[] = { 2 };
static size_t e3_findings[] = { 4 };

static struct inv_endpoint endpoints[8] = {
	{ .id = 1, .ip = "192.0.2.1", .port = 443, .sni = XSS_SCRIPT ".example", .status = "ok",
	  .version = "TLSv1.2", .grade = "F", .country = "DE", .leaf = 0, .verified = 0,
	  .findings = e0_findings, .n_findings = 2, .order = 0, .observed_at = NOW - 3600 },
	{ .id = 2, .ip = "192.0.2.2", .port = 443, .status = "ok", .version = "TLSv1.3",
	  .grade = "A+", .country = "DE", .leaf = 1, .findings = e1_findings, .n_findings = 1,
	  .order = INV_NONE },
	{ .id = 3, .ip = "192.0.2.3", .port = 443, .status = "ok", .version = "TLSv1.3",
	  .country = "US", .leaf = 2, .findings = e2_findings, .n_findings = 1, .order = INV_NONE },
	{ .id = 4, .ip = "192.0.2.4", .port = 443, .status = "ok", .version = "TLSv1.3",
	  .grade = "A", .leaf = 3, .findings = e3_findings, .n_findings = 1, .order = INV_NONE },
	{ .id = 5, .ip = "192.0.2.5", .port = 443, .status = "ok", .version = "TLSv1.2",
	  .grade = "A", .leaf = 4, .order = INV_NONE },
	{ .id = 6, .ip = "192.0.2.6", .port = 443, .status = "ok", .version = "TLSv1.3",
	  .leaf = 6, .order = INV_NONE },
	{ .id = 7, .ip = "192.0.2.7", .port = 443, .status = "timeout", .leaf = INV_NONE,
	  .verified = -1, .order = INV_NONE },
	{ .id = 8, .ip = "2001:db8::1", .port = 25, .starttls = "smtp", .status = "refused",
	  .leaf = INV_NONE, .verified = -1, .order = INV_NONE },
};

static struct inv_finding findings[5] = {
	{ .id = 1, .endpoint = 0, .cert = 0, .check_id = "cert.expired", .kind = "cert",
	  .severity = "critical", .severity_level = 4,
	  .message = "certificate \"" XSS_SCRIPT "\" expired", .status = "open",
	  .first_seen = NOW - 10 * DAY, .last_seen = NOW - 3600 },
	{ .id = 2, .endpoint = 1, .cert = 1, .check_id = "cert.expiring", .kind = "cert",
	  .severity = "critical", .severity_level = 4, .message = "expires in 3 days",
	  .status = "open", .first_seen = NOW - DAY, .last_seen = NOW - 3600 },
	{ .id = 3, .endpoint = 2, .cert = INV_NONE, .check_id = "issuer.non_preferred",
	  .kind = "cert", .severity = "high", .severity_level = 3, .message = XSS_IMG,
	  .status = "open", .first_seen = NOW - DAY, .last_seen = NOW - 3600 },
	{ .id = 4, .endpoint = 0, .cert = INV_NONE, .check_id = "proto.tls10", .kind = "config",
	  .severity = "medium", .severity_level = 2, .message = "TLS 1.0 accepted",
	  .status = "open", .first_seen = NOW - DAY, .last_seen = NOW - 3600 },
	{ .id = 5, .endpoint = 3, .cert = INV_NONE, .check_id = "made.up.check", .kind = "cert",
	  .severity = "info", .severity_level = 0, .message = "x", .status = "resolved",
	  .first_seen = NOW - DAY, .last_seen = NOW - DAY, .resolved_at = NOW - 3600 },
};

static size_t o0_eps[] = { 0 };

static struct inv_order orders[1] = {
	{ .id = 7, .status = "pending", .common_name = XSS_SCRIPT, .sans = "DNS:a.example",
	  .reason = "expired", .created_by = "cli", .created_at = NOW - DAY,
	  .updated_at = NOW - 3600, .certificate_id = 100, .cert = 0, .new_cert = INV_NONE,
	  .endpoints = o0_eps, .n_endpoints = 1, .endpoint_text = "192.0.2.1:443" },
};

#define Z(field) do { if ((field) == NULL) (field) = ""; } while (0)

/* Every string field NULL in the initialisers above becomes "" (the inventory's contract). */
static void fill_strings(struct inventory *inv)
{
	for (size_t i = 0; i < inv->n_scans; i++) {
		Z(inv->scans[i].name);
		Z(inv->scans[i].status);
	}
	for (size_t i = 0; i < inv->n_certs; i++) {
		struct inv_cert *c = &inv->certs[i];

		Z(c->sha256); Z(c->subject); Z(c->issuer); Z(c->subject_cn); Z(c->issuer_cn);
		Z(c->issuer_org); Z(c->serial); Z(c->sans); Z(c->not_before); Z(c->not_after);
		Z(c->key_type); Z(c->curve); Z(c->sig_alg);
	}
	for (size_t i = 0; i < inv->n_endpoints; i++) {
		struct inv_endpoint *e = &inv->endpoints[i];

		Z(e->host); Z(e->ip); Z(e->sni); Z(e->starttls); Z(e->status); Z(e->error);
		Z(e->version); Z(e->cipher); Z(e->group); Z(e->alpn); Z(e->verify_error);
		Z(e->grade); Z(e->grade_ignoring_trust); Z(e->protocols); Z(e->country); Z(e->asn);
		Z(e->as_org); Z(e->city); Z(e->owner); Z(e->business_unit); Z(e->site); Z(e->ja3);
		Z(e->ja3s);
		if (e->source == NULL)
			e->source = "active";
	}
	for (size_t i = 0; i < inv->n_findings; i++) {
		struct inv_finding *f = &inv->findings[i];

		Z(f->check_id); Z(f->kind); Z(f->severity); Z(f->message); Z(f->status);
	}
	for (size_t i = 0; i < inv->n_orders; i++) {
		struct inv_order *o = &inv->orders[i];

		Z(o->status); Z(o->ca_state); Z(o->product); Z(o->common_name); Z(o->sans);
		Z(o->reason); Z(o->created_by); Z(o->endpoint_text);
	}
}

static struct inventory the_inv = {
	.generated_at = NOW, .scope = { .scan_id = 12 },
	.scans = scans, .n_scans = 1,
	.endpoints = endpoints, .n_endpoints = 8,
	.certs = certs, .n_certs = 7,
	.findings = findings, .n_findings = 5,
	.orders = orders, .n_orders = 1,
};

static int setup(void **state)
{
	(void)state;
	fill_strings(&the_inv);
	return 0;
}

/* ------------------------------------------------------------------ helpers */

/* Renders inv (and d) into a malloc'd NUL-terminated string; fails the test on error. */
static char *render(const struct inventory *inv, const struct diff_result *d)
{
	char *buf = NULL, err[256] = "";
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	assert_non_null(f);
	rc = report_html(inv, d, f, err, sizeof(err));
	if (rc != 0)
		fail_msg("report_html: %s", err);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(strlen(buf), len); /* no NUL inside */
	return buf;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* The tile number of data-key key. */
static long tile(const char *page, const char *key)
{
	char pat[96];
	const char *p;

	snprintf(pat, sizeof(pat), "data-key=\"%s\"><span class=\"n\">", key);
	p = strstr(page, pat);
	if (p == NULL)
		fail_msg("no tile %s", key);
	return strtol(p + strlen(pat), NULL, 10);
}

/* A malloc'd copy of the text between open (first occurrence) and the next close. */
static char *between(const char *page, const char *open, const char *close)
{
	const char *a = strstr(page, open), *b;
	char *s;

	if (a == NULL)
		fail_msg("missing %s", open);
	a += strlen(open);
	b = strstr(a, close);
	if (b == NULL)
		fail_msg("missing %s after %s", close, open);
	s = strndup(a, (size_t)(b - a));
	assert_non_null(s);
	return s;
}

/* The figure#chart-ID element's content (malloc'd). */
static char *figure(const char *page, const char *id)
{
	char open[96];

	snprintf(open, sizeof(open), "<figure class=\"chart\" id=\"chart-%s\">", id);
	return between(page, open, "</figure>");
}

static void sha256_b64(const char *s, size_t n, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	assert_int_equal(EVP_Digest(s, n, md, &md_len, EVP_sha256(), NULL), 1);
	assert_int_equal(md_len, 32);
	EVP_EncodeBlock((unsigned char *)out, md, (int)md_len);
}

/* ------------------------------------------------------------------ html_text and friends */

static char *escaped(void (*fn)(FILE *, const char *), const char *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, in);
	assert_int_equal(fclose(f), 0);
	return buf;
}

struct esc_case {
	const char *in, *want;
};

#define FFFD "\xef\xbf\xbd"

static const struct esc_case html_cases[] = {
	{ NULL, "" },
	{ "", "" },
	{ "plain text", "plain text" },
	{ "a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e&#39;f" },
	{ XSS_SCRIPT, "&lt;script&gt;alert(1)&lt;/script&gt;" },
	{ "&amp;", "&amp;amp;" },                       /* entities are text, escaped again */
	{ "tab\tnl\n", "tab\tnl\n" },                   /* tab and newline stay */
	{ "cr\r", "cr" FFFD },
	{ "\x01\x1b[31m", FFFD FFFD "[31m" },            /* C0, an escape sequence */
	{ "del\x7f", "del" FFFD },
	{ "c1\xc2\x85", "c1" FFFD },                    /* U+0085 NEL */
	{ "nbsp\xc2\xa0", "nbsp\xc2\xa0" },             /* U+00A0 is not a control */
	{ "\xff", FFFD },
	{ "ok\xe2\x82", "ok" FFFD FFFD },               /* truncated at the end */
	{ "\xc0\xbc", FFFD FFFD },                      /* overlong '<' */
	{ "\xed\xa0\x80", FFFD FFFD FFFD },             /* a surrogate */
	{ "\xf0\x9f\x94\x92<", "\xf0\x9f\x94\x92&lt;" },
	{ "caf\xc3\xa9 \xe8\xa8\xbc", "caf\xc3\xa9 \xe8\xa8\xbc" },
	{ "\xe2\x80\xa8", "\xe2\x80\xa8" },             /* U+2028 is fine in HTML text */
};

static void test_html_text(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(html_cases) / sizeof(html_cases[0]); i++) {
		char *got = escaped(html_text, html_cases[i].in);

		if (strcmp(got, html_cases[i].want) != 0)
			fail_msg("case %zu: got [%s] want [%s]", i, got, html_cases[i].want);
		free(got);
	}
}

static void test_html_text_cut(void **state)
{
	static const struct { const char *in; size_t max; const char *want; } cases[] = {
		{ "abcdef", 3, "abc\xe2\x80\xa6" },
		{ "abc", 3, "abc" },
		{ "abc", 0, "\xe2\x80\xa6" },
		{ "", 0, "" },
		{ "\xc3\xa9<x", 2, "\xc3\xa9&lt;\xe2\x80\xa6" },      /* characters, not bytes */
		{ "\xff\xffz", 2, FFFD FFFD "\xe2\x80\xa6" },   /* a bad byte is one character */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		assert_non_null(f);
		html_text_cut(f, cases[i].in, cases[i].max);
		assert_int_equal(fclose(f), 0);
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("case %zu: got [%s] want [%s]", i, buf, cases[i].want);
		free(buf);
	}
}

static const struct esc_case json_cases[] = {
	{ NULL, "" },
	{ "{\"a\":1}", "{\"a\":1}" },
	{ "[\"</script><!--\"]", "[\"\\u003c/script\\u003e\\u003c!--\"]" },
	{ "\"a&b\"", "\"a\\u0026b\"" },
	{ "\"\xe2\x80\xa8|\xe2\x80\xa9\"", "\"\\u2028|\\u2029\"" },
	{ "\"\xe2\x80\xaa\"", "\"\xe2\x80\xaa\"" },   /* U+202A is left alone */
	{ "\"\xe2\x80", "\"\xe2\x80" },               /* a cut sequence at the end: no overread */
};

static void test_json_script_safe(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
		char *got = escaped(json_script_safe, json_cases[i].in);

		if (strcmp(got, json_cases[i].want) != 0)
			fail_msg("case %zu: got [%s] want [%s]", i, got, json_cases[i].want);
		free(got);
	}
}

/* The escapes mean the same to a JSON reader: a round trip keeps the value. */
static void test_json_script_safe_roundtrip(void **state)
{
	const char *value = "</script><!--&\xe2\x80\xa8\xe2\x80\xa9>";
	json_t *j = json_pack("[s]", value), *back;
	char *txt, *safe;

	(void)state;
	assert_non_null(j);
	txt = json_dumps(j, JSON_COMPACT);
	assert_non_null(txt);
	safe = escaped(json_script_safe, txt);
	assert_null(strchr(safe, '<'));
	assert_null(strstr(safe, "\xe2\x80\xa8"));
	back = json_loads(safe, 0, NULL);
	assert_non_null(back);
	assert_string_equal(json_string_value(json_array_get(back, 0)), value);
	json_decref(back);
	json_decref(j);
	free(txt);
	free(safe);
}

static void test_check_fix(void **state)
{
	(void)state;
	for (size_t i = 0; cert_checks[i] != NULL; i++)
		assert_ptr_equal(check_fix(cert_checks[i]->id), cert_checks[i]->fix);
	assert_non_null(check_fix("cert.expired"));
	assert_non_null(check_fix("proto.tls10")); /* a configuration check */
	assert_null(check_fix("made.up.check"));
	assert_null(check_fix(""));
	assert_null(check_fix(NULL));
}

static void test_assets(void **state)
{
	(void)state;
	assert_true(report_js_len > 0);
	assert_int_equal(strlen(report_js), report_js_len);
	assert_int_equal(strlen(report_css), report_css_len);
}

/* ------------------------------------------------------------------ summary */

static void test_summary_counts(void **state)
{
	struct report_summary s;

	(void)state;
	assert_int_equal(report_summarize(&the_inv, NOW, &s), 0);
	assert_int_equal(s.now, NOW);
	assert_int_equal(s.endpoints, 8);
	assert_int_equal(s.tls, 6);
	assert_int_equal(s.unique_certs, 6);      /* c5, the intermediate, is no leaf */
	assert_int_equal(s.expired, 1);
	assert_int_equal(s.expiring_7, 1);        /* cumulative: 7 <= 30 <= 90 */
	assert_int_equal(s.expiring_30, 2);
	assert_int_equal(s.expiring_90, 3);
	assert_int_equal(s.non_preferred, 2);     /* c0, c2; c6's -1 is unknown, not "no" */
	assert_int_equal(s.untrusted, 1);
	for (size_t i = 0; i < SUMMARY_WEEKS; i++)
		assert_int_equal(s.expiry_weeks[i], i == 0 || i == 2 || i == 8 ? 1 : 0);
	assert_int_equal(s.expiry_later, 1);

	/* grades: A+ A A- B C D E F T M none */
	{
		static const size_t want[11] = { 1, 2, 0, 0, 0, 0, 0, 1, 0, 0, 2 };
		static const char *const labels[11] = {
			"A+", "A", "A-", "B", "C", "D", "E", "F", "T", "M", "none",
		};

		for (size_t g = 0; g < 11; g++) {
			assert_string_equal(s.grades[g].label, labels[g]);
			assert_int_equal(s.grades[g].n, want[g]);
		}
	}
	/* issuers: by count, ties by label (byte order) */
	assert_int_equal(s.n_issuers, 4);
	assert_int_equal(s.issuers_other, 0);
	assert_string_equal(s.issuers[0].label, "Sectigo Limited");
	assert_int_equal(s.issuers[0].n, 3);
	assert_string_equal(s.issuers[1].label, "(unknown)");
	assert_string_equal(s.issuers[2].label, XSS_IMG);   /* issuer_org before issuer_cn */
	assert_string_equal(s.issuers[3].label, "Local CA"); /* issuer_cn when no org */
	/* protocols of TLS endpoints */
	assert_int_equal(s.n_protocols, 2);
	assert_string_equal(s.protocols[0].label, "TLSv1.3");
	assert_int_equal(s.protocols[0].n, 4);
	assert_string_equal(s.protocols[1].label, "TLSv1.2");
	assert_int_equal(s.protocols[1].n, 2);
	/* countries */
	assert_int_equal(s.n_countries, 2);
	assert_string_equal(s.countries[0].label, "DE");
	assert_int_equal(s.countries[0].n, 2);
	assert_string_equal(s.countries[1].label, "US");
	assert_int_equal(s.countries_other, 0);
}

/* Expiry boundaries in seconds: exactly now is expired; exactly 7 days is within 7 days and in
 * week 1; just under a year is week 51; exactly 52 weeks is "later". */
static void test_summary_boundaries(void **state)
{
	static const int64_t offs[] = {
		0, 1, 7 * DAY, 7 * DAY + 1, 30 * DAY, 90 * DAY + 1, 52 * 7 * DAY - 1, 52 * 7 * DAY,
	};
	struct inv_cert c[sizeof(offs) / sizeof(offs[0])];
	struct inventory inv = {
		.generated_at = NOW, .certs = c, .n_certs = sizeof(c) / sizeof(c[0]),
	};
	struct report_summary s;

	(void)state;
	memset(c, 0, sizeof(c));
	for (size_t i = 0; i < inv.n_certs; i++) {
		c[i].issuer_org = c[i].issuer_cn = "";
		c[i].leaf = 1;
		c[i].preferred = c[i].trusted = 1;
		c[i].has_not_after = 1;
		c[i].not_after_unix = NOW + offs[i];
	}
	assert_int_equal(report_summarize(&inv, NOW, &s), 0);
	assert_int_equal(s.expired, 1);
	assert_int_equal(s.expiring_7, 2);
	assert_int_equal(s.expiring_30, 4);
	assert_int_equal(s.expiring_90, 4); /* 90 days + 1 s is not within 90 days */
	assert_int_equal(s.expiry_weeks[0], 1);
	assert_int_equal(s.expiry_weeks[1], 2);
	assert_int_equal(s.expiry_weeks[51], 1);
	assert_int_equal(s.expiry_later, 1);
	assert_int_equal(s.n_issuers, 1);
	assert_string_equal(s.issuers[0].label, "(unknown)");
	assert_int_equal(s.issuers[0].n, 8);
	assert_int_equal(s.grades[10].n, 0); /* no endpoints */
	assert_int_equal(s.n_protocols, 0);
	assert_int_equal(s.n_countries, 0);
}

/* 14 issuers: Z x5, M x2, A..L x1 -> the top 10 (Z, M, A..H), the other 4 folded into
 * issuers_other. */
static void test_summary_issuers_other(void **state)
{
	static const char *const names[] = {
		"Z", "Z", "Z", "Z", "Z", "M", "M", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J",
		"K", "L",
	};
	enum { N = sizeof(names) / sizeof(names[0]) };
	struct inv_cert c[N];
	struct inventory inv = { .generated_at = NOW, .certs = c, .n_certs = N };
	struct report_summary s;

	(void)state;
	memset(c, 0, sizeof(c));
	for (size_t i = 0; i < N; i++) {
		c[i].issuer_org = names[i];
		c[i].issuer_cn = "";
		c[i].leaf = 1;
	}
	assert_int_equal(report_summarize(&inv, NOW, &s), 0);
	assert_int_equal(s.unique_certs, N);
	assert_int_equal(s.n_issuers, SUMMARY_TOP);
	assert_string_equal(s.issuers[0].label, "Z");
	assert_int_equal(s.issuers[0].n, 5);
	assert_string_equal(s.issuers[1].label, "M");
	assert_int_equal(s.issuers[1].n, 2);
	for (size_t i = 2; i < SUMMARY_TOP; i++) {
		char want[2] = { (char)('A' + i - 2), '\0' };

		assert_string_equal(s.issuers[i].label, want);
		assert_int_equal(s.issuers[i].n, 1);
	}
	assert_int_equal(s.issuers_other, 4); /* I J K L */
	assert_int_equal(s.expired + s.expiry_later, 0); /* unknown expiry counts nowhere */
}

/* ------------------------------------------------------------------ the page */

static void test_page_no_raw_payload(void **state)
{
	char *page = render(&the_inv, NULL);

	(void)state;
	assert_null(strstr(page, "<script>alert"));
	assert_null(strstr(page, "<img src=x"));
	assert_null(strstr(page, "\xff"));
	/* exactly two script elements: the data block and report.js (whose text may mention
	 * "<script" harmlessly: only "</script" or "<!--" could change how it parses) */
	{
		const char *js = strstr(page, "</script>\n<script>");
		char *before;

		assert_non_null(js);
		before = strndup(page, (size_t)(js - page) + strlen("</script>\n<script>"));
		assert_non_null(before);
		assert_int_equal(count(before, "<script"), 2);
		assert_int_equal(count(before, "</script>"), 1);
		assert_int_equal(count(js + 1, "</script"), 1);
		assert_null(strstr(js, "<!--"));
		free(before);
	}
	/* the issuer payload, escaped, in the chart's SVG text and title */
	{
		char *fig = figure(page, "issuers");

		assert_int_equal(count(fig, "<title>&lt;img src=x onerror=alert(1)&gt;: "
		                            "1 certificate</title>"), 1);
		/* the visible label is cut at 22 characters (escaping is per character) */
		assert_int_equal(count(fig, ">&lt;img src=x onerror=ale\xe2\x80\xa6</text>"), 1);
		free(fig);
	}
	assert_non_null(strstr(page, "<title>certsweep report</title>"));
	assert_non_null(strstr(page, "<meta charset=\"utf-8\">"));
	assert_non_null(strstr(page, "name=\"viewport\""));
	assert_non_null(strstr(page, "<p class=\"scope\">"));
	assert_non_null(strstr(page, "scan 12"));
	assert_non_null(strstr(page, "datetime=\"2026-11-26T00:00:00Z\""));
	for (size_t i = 0; i < 4; i++) {
		static const char *const ids[] = {
			"id=\"view-endpoints\"></div>", "id=\"view-certs\"></div>",
			"id=\"view-findings\"></div>", "id=\"view-orders\"></div>",
		};

		assert_non_null(strstr(page, ids[i]));
	}
	assert_non_null(strstr(page, "<aside id=\"detail\" hidden>"));
	assert_non_null(strstr(page, "<noscript>"));
	assert_null(strstr(page, "<section id=\"diff\">"));
	free(page);
}

static void test_page_csp_hash(void **state)
{
	char *page = render(&the_inv, NULL), *csp, *script, want[128], b64[96];
	const char *last;

	(void)state;
	csp = between(page, "<meta http-equiv=\"Content-Security-Policy\" content=\"", "\">");
	/* the script actually written: after the data block's "</script>\n<script>" */
	last = strstr(page, "</script>\n<script>");
	assert_non_null(last);
	script = between(last, "</script>\n<script>", "</script>\n</body>");
	sha256_b64(script, strlen(script), b64);
	snprintf(want, sizeof(want), "'sha256-%s'", b64);
	assert_non_null(strstr(csp, want));
	assert_non_null(strstr(csp, "default-src 'none'"));
	assert_non_null(strstr(csp, "style-src 'unsafe-inline'"));
	assert_non_null(strstr(csp, "img-src data:"));
	assert_null(strstr(csp, "unsafe-eval"));
	/* CSP comes before any script or style */
	assert_true(strstr(page, "Content-Security-Policy") < strstr(page, "<style>"));
	/* the written script is the embedded one (newlines aside, as the browser sees it) */
	assert_null(strchr(script, '\r'));
	if (memchr(report_js, '\r', report_js_len) == NULL)
		assert_memory_equal(script, report_js, report_js_len);
	free(csp);
	free(script);
	free(page);
}

static void test_page_data_block(void **state)
{
	const char *open = "<script id=\"cs-data\" type=\"application/json\">";
	char *page = render(&the_inv, NULL), *data;
	json_t *root, *eps, *certs_j, *c0, *f, *fixes, *o;
	json_error_t jerr;
	const char *p;

	(void)state;
	p = strstr(page, open);
	assert_non_null(p);
	p += strlen(open);
	/* the first '<' after the opening tag is the element's own end tag */
	assert_non_null(strchr(p, '<'));
	assert_int_equal(strncmp(strchr(p, '<'), "</script>\n<script>", 18), 0);
	data = between(page, open, "</script>");
	assert_null(strchr(data, '<'));
	assert_null(strchr(data, '>'));
	assert_null(strchr(data, '&'));
	assert_null(strstr(data, "\xe2\x80\xa8"));
	assert_non_null(strstr(data, "\\u2028"));
	assert_non_null(strstr(data, "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"));

	root = json_loads(data, 0, &jerr);
	if (root == NULL)
		fail_msg("data block: %s at %d", jerr.text, jerr.position);
	assert_int_equal(json_integer_value(json_object_get(root, "v")), 1);
	assert_int_equal(json_integer_value(json_object_get(root, "now")), NOW);
	assert_string_equal(json_string_value(json_object_get(root, "generated")),
	                    "2026-11-26T00:00:00Z");
	assert_non_null(strstr(json_string_value(json_object_get(root, "scope")), "scan 12"));
	assert_int_equal(json_array_size(json_object_get(root, "ep_cols")), 28);
	assert_string_equal(json_string_value(json_array_get(json_object_get(root, "ep_cols"), 21)),
	                    "observed");
	assert_int_equal(json_array_size(json_object_get(root, "cert_cols")), 20);
	assert_int_equal(json_array_size(json_object_get(root, "f_cols")), 9);
	assert_int_equal(json_array_size(json_object_get(root, "o_cols")), 11);

	eps = json_object_get(root, "eps");
	assert_int_equal(json_array_size(eps), 8);
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(json_array_size(json_array_get(eps, i)), 28);
	/* endpoint 0: sni, port, verified, cert, findings, order, observed */
	assert_string_equal(json_string_value(json_array_get(json_array_get(eps, 0), 3)),
	                    XSS_SCRIPT ".example");
	assert_int_equal(json_integer_value(json_array_get(json_array_get(eps, 0), 2)), 443);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(eps, 0), 15)), 0);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(eps, 0), 18)), 0);
	assert_int_equal(json_array_size(json_array_get(json_array_get(eps, 0), 19)), 2);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(eps, 0), 20)), 0);
	assert_string_equal(json_string_value(json_array_get(json_array_get(eps, 0), 21)),
	                    "2026-11-25T23:00:00Z");
	/* endpoint 6: no leaf, no order */
	assert_int_equal(json_integer_value(json_array_get(json_array_get(eps, 6), 18)), -1);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(eps, 6), 20)), -1);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(eps, 6), 15)), -1);

	certs_j = json_object_get(root, "certs");
	assert_int_equal(json_array_size(certs_j), 7);
	c0 = json_array_get(certs_j, 0);
	assert_int_equal(json_array_size(c0), 20);
	assert_string_equal(json_string_value(json_array_get(c0, 1)), XSS_SCRIPT);
	assert_string_equal(json_string_value(json_array_get(c0, 3)), "O=" XSS_IMG);
	assert_string_equal(json_string_value(json_array_get(c0, 4)), "\"'&" FFFD FFFD " bad");
	assert_string_equal(json_string_value(json_array_get(c0, 6)),
	                    "DNS:\xe2\x80\xa8" "evil.example DNS:" XSS_SCRIPT);
	assert_int_equal(json_integer_value(json_array_get(c0, 9)), -2);   /* days */
	assert_string_equal(json_string_value(json_array_get(c0, 10)), "RSA 2048");
	assert_int_equal(json_integer_value(json_array_get(c0, 12)), 0);   /* preferred */
	assert_int_equal(json_integer_value(json_array_get(c0, 14)), 1);   /* leaf */
	assert_int_equal(json_integer_value(json_array_get(json_array_get(c0, 16), 0)), 5);
	assert_int_equal(json_integer_value(json_array_get(c0, 19)), 0);   /* order */
	assert_string_equal(json_string_value(json_array_get(json_array_get(certs_j, 1), 10)),
	                    "EC P-256");
	assert_int_equal(json_integer_value(json_array_get(json_array_get(certs_j, 1), 9)), 3);
	assert_true(json_is_null(json_array_get(json_array_get(certs_j, 6), 9)));
	assert_int_equal(json_integer_value(json_array_get(json_array_get(certs_j, 5), 14)), 0);

	f = json_object_get(root, "findings");
	assert_int_equal(json_array_size(f), 5);
	assert_string_equal(json_string_value(json_array_get(json_array_get(f, 0), 4)),
	                    "certificate \"" XSS_SCRIPT "\" expired");
	assert_int_equal(json_integer_value(json_array_get(json_array_get(f, 2), 5)), 2);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(f, 2), 6)), -1);

	fixes = json_object_get(root, "fixes");
	assert_int_equal(json_object_size(fixes), 4); /* the made-up id has no fix */
	assert_string_equal(json_string_value(json_object_get(fixes, "cert.expired")),
	                    check_fix("cert.expired"));
	assert_string_equal(json_string_value(json_object_get(fixes, "proto.tls10")),
	                    check_fix("proto.tls10"));
	assert_null(json_object_get(fixes, "made.up.check"));

	o = json_array_get(json_object_get(root, "orders"), 0);
	assert_int_equal(json_array_size(o), 11);
	assert_int_equal(json_integer_value(json_array_get(o, 0)), 7);
	assert_string_equal(json_string_value(json_array_get(o, 3)), XSS_SCRIPT);
	assert_int_equal(json_integer_value(json_array_get(o, 8)), 0);
	assert_string_equal(json_string_value(json_array_get(o, 10)), "192.0.2.1:443");
	json_decref(root);
	free(data);
	free(page);
}

static void test_page_tiles(void **state)
{
	char *page = render(&the_inv, NULL);

	(void)state;
	assert_int_equal(tile(page, "endpoints"), 8);
	assert_int_equal(tile(page, "tls"), 6);
	assert_int_equal(tile(page, "unique_certs"), 6);
	assert_int_equal(tile(page, "expired"), 1);
	assert_int_equal(tile(page, "expiring_7"), 1);
	assert_int_equal(tile(page, "expiring_30"), 2);
	assert_int_equal(tile(page, "expiring_90"), 3);
	assert_int_equal(tile(page, "non_preferred"), 2);
	assert_int_equal(tile(page, "untrusted"), 1);
	assert_int_equal(tile(page, "grade_A+"), 1);
	assert_int_equal(tile(page, "grade_A"), 2);
	assert_int_equal(tile(page, "grade_F"), 1);
	assert_int_equal(tile(page, "grade_none"), 2);
	assert_null(strstr(page, "data-key=\"grade_B\"")); /* absent grades have no tile */
	assert_non_null(strstr(page, "<div class=\"tile bad\" data-key=\"expired\">"));
	assert_non_null(strstr(page, "<div class=\"tile warn\" data-key=\"expiring_30\">"));
	assert_non_null(strstr(page, "<div class=\"tile\" data-key=\"endpoints\">"));
	/* the summary tiles are inside section#summary, before the charts */
	assert_true(strstr(page, "<section id=\"summary\">") < strstr(page, "data-key=\"tls\""));
	assert_true(strstr(page, "data-key=\"untrusted\"") <
	            strstr(page, "<section id=\"charts\">"));
	free(page);
}

static void test_page_charts(void **state)
{
	char *page = render(&the_inv, NULL), *fig, *grades_fig;
	char pat[64];

	(void)state;
	fig = figure(page, "expiry");
	assert_int_equal(count(fig, "<rect class=\"bar wk\""), SUMMARY_WEEKS);
	for (size_t i = 0; i < SUMMARY_WEEKS; i++) {
		int one = i == 0 || i == 2 || i == 8;
		char *rect;

		snprintf(pat, sizeof(pat), "data-week=\"%zu\"", i);
		assert_int_equal(count(fig, pat), 1);
		rect = between(fig, pat, "</rect>");
		/* weeks 0, 2 and 8 have one certificate (a full-height bar: 120), the rest none */
		assert_non_null(strstr(rect, one ? "height=\"120\"><title>"
		                                 : "height=\"0\"><title>"));
		assert_non_null(strstr(rect, one ? ": 1 certificate</title>"
		                                 : ": 0 certificates</title>"));
		free(rect);
	}
	assert_non_null(strstr(fig, "<title>week of 2026-11-26: 1 certificate</title>"));
	assert_non_null(strstr(fig, "<title>week of 2026-12-03: 0 certificates</title>"));
	/* month labels: November's last days get none (December starts a week later), the
	 * first label and January's carry the year */
	assert_int_equal(count(fig, "class=\"month\""), 12);
	assert_int_equal(count(fig, "class=\"year\""), 2);
	assert_true(strstr(fig, ">Dec</text>") < strstr(fig, ">Nov</text>")); /* November 2027 */
	assert_true(strstr(fig, ">Dec</text><text class=\"year\"") < strstr(fig, ">2026</text>"));
	assert_true(strstr(fig, ">Jan</text><text class=\"year\"") < strstr(fig, ">2027</text>"));
	assert_null(strstr(fig, ">Feb</text><text class=\"year\""));
	assert_non_null(strstr(fig, "data-key=\"chart_expired\">1<"));
	assert_non_null(strstr(fig, "data-key=\"chart_later\">1<"));
	free(fig);

	/* issuers: most first, ties by label */
	fig = figure(page, "issuers");
	assert_int_equal(count(fig, "<g class=\"row\">"), 4);
	assert_true(strstr(fig, "Sectigo Limited") < strstr(fig, "(unknown)"));
	assert_true(strstr(fig, "(unknown)") < strstr(fig, "&lt;img"));
	assert_true(strstr(fig, "&lt;img") < strstr(fig, "Local CA"));
	assert_non_null(strstr(fig, "<title>Sectigo Limited: 3 certificates</title>"));
	assert_null(strstr(fig, "bar other")); /* no "other" with 4 issuers */
	free(fig);

	grades_fig = figure(page, "grades");
	assert_int_equal(count(grades_fig, "<g class=\"row\">"), 4); /* A+ A F none */
	assert_non_null(strstr(grades_fig, "<title>A+: 1 endpoint</title>"));
	assert_non_null(strstr(grades_fig, "class=\"bar bad\""));
	free(grades_fig);

	fig = figure(page, "protocols");
	assert_int_equal(count(fig, "<g class=\"row\">"), 2);
	assert_true(strstr(fig, "TLSv1.3") < strstr(fig, "TLSv1.2"));
	free(fig);

	fig = figure(page, "countries");
	assert_int_equal(count(fig, "<g class=\"row\">"), 2);
	assert_non_null(strstr(fig, "<title>DE: 2 endpoints</title>"));
	free(fig);
	free(page);
}

/* Without GeoIP data there is no country chart; more than 10 issuers get an "other" bar. */
static void test_page_no_countries_other_issuers(void **state)
{
	enum { N = 12 };
	struct inv_cert c[N];
	struct inv_endpoint e = endpoints[1];
	char names[N][8];
	struct inventory inv = {
		.generated_at = NOW, .scope = { .scan_id = 12 }, .scans = scans, .n_scans = 1,
		.endpoints = &e, .n_endpoints = 1, .certs = c, .n_certs = N,
	};
	char *page, *fig;

	(void)state;
	e.country = "";
	e.leaf = 0;
	e.findings = NULL;
	e.n_findings = 0;
	for (size_t i = 0; i < N; i++) {
		c[i] = certs[3];
		snprintf(names[i], sizeof(names[i]), "CA %02zu", i);
		c[i].issuer_cn = names[i];
		c[i].endpoints = NULL;
		c[i].n_endpoints = 0;
	}
	page = render(&inv, NULL);
	assert_null(strstr(page, "chart-countries"));
	fig = figure(page, "issuers");
	assert_int_equal(count(fig, "<g class=\"row\">"), SUMMARY_TOP + 1);
	assert_non_null(strstr(fig, "<title>other: 2 certificates</title>"));
	assert_non_null(strstr(fig, "class=\"bar muted other\""));
	free(fig);
	free(page);
}

static void test_page_diff(void **state)
{
	size_t new_eps[] = { 0 }, gone[] = { 6 }, gone_now[] = { INV_NONE };
	size_t new_f[] = { 0 }, resolved[] = { 2 };
	struct diff_change changed[] = { { .ep_a = 1, .ep_b = 0, .cert_a = 1, .cert_b = 0 } };
	struct diff_result d = {
		.a = &the_inv, .b = &the_inv, .new_eps = new_eps, .n_new_eps = 1,
		.vanished_eps = gone, .n_vanished_eps = 1, .vanished_now = gone_now,
		.changed = changed, .n_changed = 1, .new_findings = new_f, .n_new_findings = 1,
		.resolved_findings = resolved, .n_resolved_findings = 1,
	};
	char *page, *sec;

	(void)state;
	page = render(&the_inv, &d);
	assert_null(strstr(page, "<script>alert"));
	assert_null(strstr(page, "<img src=x"));
	sec = between(page, "<section id=\"diff\">", "</section>");
	assert_non_null(strstr(sec, "New endpoints (1)"));
	assert_non_null(strstr(sec, "Vanished endpoints (1)"));
	assert_non_null(strstr(sec, "Changed certificates (1)"));
	assert_non_null(strstr(sec, "New findings (1)"));
	assert_non_null(strstr(sec, "Resolved findings (1)"));
	/* the new endpoint's SNI and its certificate's CN and issuer, escaped */
	assert_non_null(strstr(sec, "192.0.2.1:443 (&lt;script&gt;alert(1)&lt;/script&gt;"
	                            ".example)"));
	assert_non_null(strstr(sec, "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"));
	assert_non_null(strstr(sec, "<td>&quot;&#39;&amp;" FFFD FFFD " bad</td>"));
	/* vanished: gone from B */
	assert_non_null(strstr(sec, "192.0.2.7:443"));
	assert_non_null(strstr(sec, "<td>absent</td>"));
	/* changed: old -> new, replaced (renewed 0) */
	assert_non_null(strstr(sec, "<td class=\"replaced\">replaced</td>"));
	assert_non_null(strstr(sec, "<span class=\"old\">soon.example</span> \xe2\x86\x92 "
	                            "<span class=\"new\">&lt;script&gt;alert(1)&lt;/script&gt;"
	                            "</span>"));
	assert_non_null(strstr(sec, "<span class=\"old\"></span> \xe2\x86\x92 "
	                            "<span class=\"new\">2026-11-24T00:00:00Z</span>"));
	/* findings: the new one quotes the payload, the resolved one is the <img> message */
	assert_non_null(strstr(sec, "<tr><td class=\"sev-critical\">critical</td>"
	                            "<td>cert.expired</td>"));
	assert_non_null(strstr(sec, "<td>certificate &quot;&lt;script&gt;alert(1)&lt;/script&gt;"
	                            "&quot; expired</td>"));
	assert_non_null(strstr(sec, "<td>&lt;img src=x onerror=alert(1)&gt;</td>"));
	/* the diff comes after the charts and before the views */
	assert_true(strstr(page, "<section id=\"charts\">") <
	            strstr(page, "<section id=\"diff\">"));
	assert_true(strstr(page, "<section id=\"diff\">") < strstr(page, "id=\"view-endpoints\""));
	free(sec);
	free(page);

	/* an empty diff: the section with "None." under each heading */
	memset(&d, 0, sizeof(d));
	d.a = d.b = &the_inv;
	page = render(&the_inv, &d);
	sec = between(page, "<section id=\"diff\">", "</section>");
	assert_int_equal(count(sec, "<p class=\"empty\">None.</p>"), 5);
	assert_null(strstr(sec, "<table"));
	free(sec);
	free(page);
}

/* An empty snapshot still makes a valid page: zero tiles, 52 empty weeks, empty tables. */
static void test_page_empty(void **state)
{
	struct inventory inv = { .generated_at = NOW, .scope = { .scan_id = 3 } };
	char *page, *data;
	json_t *root;

	(void)state;
	page = render(&inv, NULL);
	assert_int_equal(tile(page, "endpoints"), 0);
	assert_int_equal(tile(page, "expired"), 0);
	assert_non_null(strstr(page, "<div class=\"tile\" data-key=\"expired\">"));
	assert_int_equal(count(page, "<rect class=\"bar wk\""), SUMMARY_WEEKS);
	assert_int_equal(count(page, "height=\"0\"><title>week of"), SUMMARY_WEEKS);
	data = between(page, "<script id=\"cs-data\" type=\"application/json\">", "</script>");
	root = json_loads(data, 0, NULL);
	assert_non_null(root);
	assert_int_equal(json_array_size(json_object_get(root, "eps")), 0);
	assert_int_equal(json_object_size(json_object_get(root, "fixes")), 0);
	json_decref(root);
	free(data);
	free(page);
}

/* A write error is reported, not ignored. */
static void test_write_error(void **state)
{
	FILE *f = fopen("/dev/full", "w");
	char err[256] = "";

	(void)state;
	assert_non_null(f);
	assert_int_equal(report_html(&the_inv, NULL, f, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "write error"));
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_text),
		cmocka_unit_test(test_html_text_cut),
		cmocka_unit_test(test_json_script_safe),
		cmocka_unit_test(test_json_script_safe_roundtrip),
		cmocka_unit_test(test_check_fix),
		cmocka_unit_test(test_assets),
		cmocka_unit_test(test_summary_counts),
		cmocka_unit_test(test_summary_boundaries),
		cmocka_unit_test(test_summary_issuers_other),
		cmocka_unit_test(test_page_no_raw_payload),
		cmocka_unit_test(test_page_csp_hash),
		cmocka_unit_test(test_page_data_block),
		cmocka_unit_test(test_page_tiles),
		cmocka_unit_test(test_page_charts),
		cmocka_unit_test(test_page_no_countries_other_issuers),
		cmocka_unit_test(test_page_diff),
		cmocka_unit_test(test_page_empty),
		cmocka_unit_test(test_write_error),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
