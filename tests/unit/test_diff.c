/*
 * test_diff.c: the sweep diff (report/diff.c) over snapshots built by hand: new, vanished
 * (absent, and down in B), renewed and replaced certificates, an unchanged endpoint, new and
 * resolved findings (and one that is not resolved because its endpoint is down in B); the text
 * and JSON writers (escaping, invalid UTF-8, write errors); 100,000 endpoints a side.
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

#include "report/diff.h"

/* ------------------------------------------------------------------ fixtures */

/* A certificate with what the diff reads; the rest "" as the loader would give. */
static struct inv_cert mk_cert(const char *sha, const char *cn, const char *issuer,
                               const char *issuer_cn, const char *not_after)
{
	return (struct inv_cert){
		.sha256 = sha, .subject = "", .issuer = issuer, .subject_cn = cn,
		.issuer_cn = issuer_cn, .issuer_org = "", .serial = "", .sans = "", .not_before = "",
		.not_after = not_after, .has_not_after = not_after[0] != '\0', .key_type = "RSA",
		.curve = "", .sig_alg = "", .order = INV_NONE,
	};
}

static struct inv_endpoint mk_ep(int64_t id, const char *ip, int port, const char *sni,
                                 const char *starttls, const char *status, size_t leaf)
{
	return (struct inv_endpoint){
		.id = id, .host = "", .ip = ip, .port = port, .sni = sni, .starttls = starttls,
		.status = status, .error = "", .version = "", .cipher = "", .group = "", .alpn = "",
		.verify_error = "", .grade = "", .grade_ignoring_trust = "", .protocols = "",
		.country = "", .asn = "", .as_org = "", .leaf = leaf, .order = INV_NONE,
	};
}

static struct inv_finding mk_finding(int64_t id, size_t ep, size_t cert, const char *check,
                                     const char *severity, const char *message)
{
	return (struct inv_finding){
		.id = id, .endpoint = ep, .cert = cert, .check_id = check,
		.kind = strncmp(check, "cert.", 5) == 0 ? "cert" : "config", .severity = severity,
		.message = message, .status = "open",
	};
}

#define CA1 "CN=Test CA 1,O=Test"
#define CA2 "CN=Other CA,O=Other"
#define EVIL_CN "evil\x1b[31m.test"

struct pair {
	struct inventory a, b;
	struct inv_scan scans_a[1], scans_b[1];
	struct inv_cert certs_a[6], certs_b[6];
	struct inv_endpoint eps_a[7], eps_b[6];
	struct inv_finding f_a[4], f_b[2];
};

/*
 * A (scan 1, "nightly"):                      B (scan 2, "nightly"):
 *   id 10 127.0.0.1:443 good.test ok, c old     ok, renewed (same issuer)
 *   id 11 127.0.0.2:443 ok, leaf by CA1         ok, replaced (CA2)
 *   id 12 127.0.0.3:443 ok                      ok, same leaf (another index in B)
 *   id 13 127.0.0.4:443 ok                      absent              -> vanished, now null
 *   id 14 127.0.0.5:443 ok                      timeout             -> vanished, now timeout
 *   id 16 127.0.0.7:25 smtp refused             ok                  -> new
 *   id 18 127.0.0.9:443 timeout                 timeout             -> nothing
 *                                               id 17 127.0.0.8:443 ok (evil CN) -> new
 * Findings A: 100 (ep 12, stays), 101 (ep 12, gone: resolved), 102 (ep 14, down in B: not
 * resolved), 103 (ep 13, absent in B: not resolved). B: 100, 104 (ep 17: new).
 * The ids are deliberately not in array order, so matching cannot rely on it.
 */
static void build_pair(struct pair *p)
{
	memset(p, 0, sizeof(*p));
	p->scans_a[0] = (struct inv_scan){ .id = 1, .name = "nightly", .status = "done",
	                                   .started = 1795000000, .ended = 1795000100 };
	p->scans_b[0] = (struct inv_scan){ .id = 2, .name = "nightly", .status = "done",
	                                   .started = 1795604800, .ended = 1795604900 };

	p->certs_a[0] = mk_cert("aa01", "old.test", CA1, "Test CA 1", "2026-12-01T00:00:00Z");
	p->certs_a[1] = mk_cert("aa02", "replaced.test", CA1, "Test CA 1", "2026-10-01T00:00:00Z");
	p->certs_a[2] = mk_cert("aa03", "same.test", CA1, "Test CA 1", "2027-01-01T00:00:00Z");
	p->certs_a[3] = mk_cert("aa04", "gone.test", CA1, "Test CA 1", "2027-02-01T00:00:00Z");
	p->certs_a[4] = mk_cert("aa05", "sleepy.test", CA1, "Test CA 1", "2027-02-02T00:00:00Z");
	p->certs_a[5] = mk_cert("aa06", "mail.test", CA1, "Test CA 1", "");
	p->eps_a[0] = mk_ep(10, "127.0.0.1", 443, "good.test", "", "ok", 0);
	p->eps_a[1] = mk_ep(11, "127.0.0.2", 443, "", "", "ok", 1);
	p->eps_a[2] = mk_ep(12, "127.0.0.3", 443, "", "", "ok", 2);
	p->eps_a[3] = mk_ep(13, "127.0.0.4", 443, "", "", "ok", 3);
	p->eps_a[4] = mk_ep(14, "127.0.0.5", 443, "", "", "ok", 4);
	p->eps_a[5] = mk_ep(16, "127.0.0.7", 25, "", "smtp", "refused", INV_NONE);
	p->eps_a[6] = mk_ep(18, "127.0.0.9", 443, "", "", "timeout", INV_NONE);
	p->f_a[0] = mk_finding(100, 2, 2, "cert.expiring", "medium", "expires soon");
	p->f_a[1] = mk_finding(101, 2, INV_NONE, "config.tls10", "low", "TLS 1.0 accepted");
	p->f_a[2] = mk_finding(102, 4, 4, "cert.weak_key", "high", "weak key");
	p->f_a[3] = mk_finding(103, 3, 3, "cert.self_signed", "high", "self-signed");

	/* B's certificates in another order than A's: matching goes by SHA-256. */
	p->certs_b[0] = mk_cert("aa03", "same.test", CA1, "Test CA 1", "2027-01-01T00:00:00Z");
	p->certs_b[1] = mk_cert("bb01", "new.test", CA1, "Test CA 1", "2027-03-01T00:00:00Z");
	p->certs_b[2] = mk_cert("bb02", "replacement.test", CA2, "Other CA", "2027-04-01T00:00:00Z");
	p->certs_b[3] = mk_cert("bb06", "mail.test", CA1, "Test CA 1", "2027-05-01T00:00:00Z");
	p->certs_b[4] = mk_cert("bb07", EVIL_CN, CA2, "Other CA", "2027-06-01T00:00:00Z");
	p->certs_b[5] = mk_cert("ffff", "chain.test", "", "", ""); /* unused intermediate */
	p->eps_b[0] = mk_ep(10, "127.0.0.1", 443, "good.test", "", "ok", 1);
	p->eps_b[1] = mk_ep(11, "127.0.0.2", 443, "", "", "ok", 2);
	p->eps_b[2] = mk_ep(12, "127.0.0.3", 443, "", "", "ok", 0);
	p->eps_b[3] = mk_ep(14, "127.0.0.5", 443, "", "", "timeout", INV_NONE);
	p->eps_b[4] = mk_ep(16, "127.0.0.7", 25, "", "smtp", "ok", 3);
	p->eps_b[5] = mk_ep(17, "127.0.0.8", 443, "", "", "ok", 4);
	p->f_b[0] = mk_finding(104, 5, 4, "cert.self_signed", "high", "self-signed \xff bytes");
	p->f_b[1] = mk_finding(100, 2, 0, "cert.expiring", "medium", "expires soon");

	p->a = (struct inventory){ .scans = p->scans_a, .n_scans = 1, .endpoints = p->eps_a,
	                           .n_endpoints = 7, .certs = p->certs_a, .n_certs = 6,
	                           .findings = p->f_a, .n_findings = 4 };
	p->b = (struct inventory){ .scans = p->scans_b, .n_scans = 1, .endpoints = p->eps_b,
	                           .n_endpoints = 6, .certs = p->certs_b, .n_certs = 6,
	                           .findings = p->f_b, .n_findings = 2 };
	/* id 18 (timeout in both) only in A: not listed anywhere. */
}

/* The writer's output as a NUL-terminated string; caller frees. */
static char *capture(int (*write)(const struct diff_result *, FILE *), const struct diff_result *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(write(d, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* ------------------------------------------------------------------ compute */

static void test_compute(void **state)
{
	struct pair *p = malloc(sizeof(*p));
	struct diff_result d;

	assert_non_null(p);
	build_pair(p);
	assert_int_equal(diff_compute(&p->a, &p->b, &d), 0);
	assert_ptr_equal(d.a, &p->a);
	assert_ptr_equal(d.b, &p->b);
	assert_false(diff_empty(&d));

	/* new: id 16 (refused in A) and id 17 (absent from A), in B's order */
	assert_int_equal(d.n_new_eps, 2);
	assert_int_equal(d.new_eps[0], 4);
	assert_int_equal(d.new_eps[1], 5);
	/* vanished: id 13 (absent from B) and id 14 (timeout in B), in A's order */
	assert_int_equal(d.n_vanished_eps, 2);
	assert_int_equal(d.vanished_eps[0], 3);
	assert_int_equal(d.vanished_now[0], INV_NONE);
	assert_int_equal(d.vanished_eps[1], 4);
	assert_int_equal(d.vanished_now[1], 3);
	/* changed: id 10 renewed, id 11 replaced; id 12 keeps its leaf */
	assert_int_equal(d.n_changed, 2);
	assert_int_equal(d.changed[0].ep_a, 0);
	assert_int_equal(d.changed[0].ep_b, 0);
	assert_int_equal(d.changed[0].cert_a, 0);
	assert_int_equal(d.changed[0].cert_b, 1);
	assert_int_equal(d.changed[0].renewed, 1);
	assert_int_equal(d.changed[1].ep_a, 1);
	assert_int_equal(d.changed[1].ep_b, 1);
	assert_int_equal(d.changed[1].cert_a, 1);
	assert_int_equal(d.changed[1].cert_b, 2);
	assert_int_equal(d.changed[1].renewed, 0);
	/* findings: 104 new; 101 resolved; 102 (endpoint down in B) and 103 (endpoint absent)
	 * are not */
	assert_int_equal(d.n_new_findings, 1);
	assert_int_equal(d.new_findings[0], 0);
	assert_int_equal(d.n_resolved_findings, 1);
	assert_int_equal(d.resolved_findings[0], 1);

	diff_free(&d);
	assert_null(d.new_eps);
	assert_int_equal(d.n_changed, 0);
	diff_free(&d); /* twice is harmless */
	diff_free(NULL);
	free(p);
}

static void test_identical_is_empty(void **state)
{
	struct pair *p = malloc(sizeof(*p));
	struct diff_result d;
	char *text, *js;
	json_t *doc;

	assert_non_null(p);
	build_pair(p);
	assert_int_equal(diff_compute(&p->b, &p->b, &d), 0);
	assert_true(diff_empty(&d));
	text = capture(diff_write_text, &d);
	assert_non_null(strstr(text, "No changes between scan A and scan B.\n"));
	assert_null(strstr(text, "New endpoints"));
	js = capture(diff_write_json, &d);
	doc = json_loads(js, 0, NULL);
	assert_non_null(doc);
	assert_int_equal(json_array_size(json_object_get(doc, "new_endpoints")), 0);
	assert_true(json_is_array(json_object_get(doc, "resolved_findings")));
	json_decref(doc);
	free(js);
	free(text);
	diff_free(&d);

	/* Two empty snapshots: nothing to allocate for, still a valid empty result. */
	struct inventory none = { 0 };
	assert_int_equal(diff_compute(&none, &none, &d), 0);
	assert_true(diff_empty(&d));
	text = capture(diff_write_text, &d);
	assert_non_null(strstr(text, "A = no scan; B = no scan\n"));
	free(text);
	diff_free(&d);

	/* The full pair is not empty, nor the reverse direction. */
	assert_int_equal(diff_compute(&p->b, &p->a, &d), 0);
	assert_false(diff_empty(&d));
	diff_free(&d);
	free(p);
}

/* ------------------------------------------------------------------ text */

static void test_text(void **state)
{
	struct pair *p = malloc(sizeof(*p));
	struct diff_result d;
	char *text;

	assert_non_null(p);
	build_pair(p);
	assert_int_equal(diff_compute(&p->a, &p->b, &d), 0);
	text = capture(diff_write_text, &d);
	assert_true(strncmp(text, "A = scan 1 (nightly, started 2026-11-18T", 40) == 0);
	assert_non_null(strstr(text, "; B = scan 2 (nightly, started 2026-11-25T"));
	assert_non_null(strstr(text, "\nNew endpoints (2)\n"
	                             "  127.0.0.7:25 starttls smtp  CN mail.test, not after 2027-05-01\n"
	                             "  127.0.0.8:443  CN evil\\x1b[31m.test, not after 2027-06-01\n"));
	assert_non_null(strstr(text, "\nVanished endpoints (2)\n"
	                             "  127.0.0.4:443  CN gone.test  not in B\n"
	                             "  127.0.0.5:443  CN sleepy.test  now timeout\n"));
	assert_non_null(strstr(text, "\nChanged certificates (2)\n"
	                             "  127.0.0.1:443 (good.test)  CN old.test -> CN new.test  renewed, "
	                             "same issuer; not after 2026-12-01 -> 2027-03-01\n"
	                             "  127.0.0.2:443  CN replaced.test -> CN replacement.test  "
	                             "replaced, issuer Test CA 1 -> Other CA; not after 2026-10-01 -> "
	                             "2027-04-01\n"));
	assert_non_null(strstr(text, "\nNew findings (1)\n"
	                             "  [high] cert.self_signed  127.0.0.8:443  self-signed \\xff bytes\n"));
	assert_non_null(strstr(text, "\nResolved findings (1)\n"
	                             "  [low] config.tls10  127.0.0.3:443  TLS 1.0 accepted\n"));
	assert_null(strstr(text, "weak key"));         /* endpoint down in B: not resolved */
	assert_null(strstr(text, "self-signed\n"));    /* endpoint absent from B: not resolved */
	assert_null(strstr(text, "same.test"));        /* unchanged */
	assert_null(strstr(text, "127.0.0.9"));        /* down on both sides */
	assert_null(strstr(text, "No changes"));
	assert_null(strchr(text, '\x1b'));             /* the escape never reaches the terminal */
	free(text);
	diff_free(&d);
	free(p);
}

static void test_ipv6_label_and_several_scans(void **state)
{
	struct pair *p = malloc(sizeof(*p));
	struct inv_scan scans[2] = {
		{ .id = 3, .name = "", .status = "done", .started = 1795000000 },
		{ .id = 7, .name = "", .status = "done", .started = 1795100000 },
	};
	struct diff_result d;
	char *text;

	assert_non_null(p);
	build_pair(p);
	p->eps_b[5].ip = "::1";
	p->eps_b[5].host = "localhost";
	p->b.scans = scans;
	p->b.n_scans = 2;
	assert_int_equal(diff_compute(&p->a, &p->b, &d), 0);
	text = capture(diff_write_text, &d);
	assert_non_null(strstr(text, "; B = 2 scans, ids 3 to 7 (ad-hoc, started 2026-11-18T"));
	assert_non_null(strstr(text, "\n  [::1]:443 (localhost)  CN evil\\x1b[31m.test"));
	free(text);
	diff_free(&d);
	free(p);
}

static void test_write_errors(void **state)
{
	struct pair *p = malloc(sizeof(*p));
	struct diff_result d;
	FILE *full = fopen("/dev/full", "w");

	assert_non_null(p);
	assert_non_null(full);
	build_pair(p);
	assert_int_equal(diff_compute(&p->a, &p->b, &d), 0);
	assert_int_equal(diff_write_text(&d, full), -1);
	clearerr(full);
	assert_int_equal(diff_write_json(&d, full), -1);
	fclose(full);
	diff_free(&d);
	free(p);
}

/* ------------------------------------------------------------------ JSON */

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

static void test_json(void **state)
{
	struct pair *p = malloc(sizeof(*p));
	struct diff_result d;
	json_error_t err;
	json_t *doc, *arr, *o, *side;
	char *js;

	assert_non_null(p);
	build_pair(p);
	assert_int_equal(diff_compute(&p->a, &p->b, &d), 0);
	js = capture(diff_write_json, &d);
	doc = json_loads(js, 0, &err);
	if (doc == NULL)
		fail_msg("JSON does not parse: %s (line %d)", err.text, err.line);
	assert_string_equal(jstr(doc, "schema"), "certsweep.diff/1");

	side = json_object_get(doc, "a");
	assert_int_equal(json_array_size(json_object_get(side, "scans")), 1);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(side, "scans"), 0)), 1);
	assert_string_equal(jstr(side, "name"), "nightly");
	assert_string_equal(jstr(side, "started"), "2026-11-18T11:06:40Z");
	side = json_object_get(doc, "b");
	assert_int_equal(json_integer_value(json_array_get(json_object_get(side, "scans"), 0)), 2);

	arr = json_object_get(doc, "new_endpoints");
	assert_int_equal(json_array_size(arr), 2);
	o = json_array_get(arr, 0);
	assert_string_equal(jstr(o, "ip"), "127.0.0.7");
	assert_int_equal(json_integer_value(json_object_get(o, "port")), 25);
	assert_true(json_is_null(json_object_get(o, "sni")));
	assert_string_equal(jstr(o, "starttls"), "smtp");
	assert_true(json_is_null(json_object_get(o, "host")));
	assert_string_equal(jstr(o, "status"), "ok");
	assert_string_equal(jstr(o, "leaf_sha256"), "bb06");
	assert_string_equal(jstr(o, "leaf_cn"), "mail.test");
	o = json_array_get(arr, 1);
	assert_string_equal(jstr(o, "leaf_cn"), EVIL_CN); /* JSON escapes it; the value is intact */
	assert_null(strchr(js, '\x1b'));

	arr = json_object_get(doc, "vanished_endpoints");
	assert_int_equal(json_array_size(arr), 2);
	o = json_array_get(arr, 0);
	assert_string_equal(jstr(o, "ip"), "127.0.0.4");
	assert_string_equal(jstr(o, "status"), "ok");
	assert_string_equal(jstr(o, "leaf_cn"), "gone.test");
	assert_true(json_is_null(json_object_get(o, "status_now")));
	o = json_array_get(arr, 1);
	assert_string_equal(jstr(o, "ip"), "127.0.0.5");
	assert_string_equal(jstr(o, "status_now"), "timeout");

	arr = json_object_get(doc, "changed_certificates");
	assert_int_equal(json_array_size(arr), 2);
	o = json_array_get(arr, 0);
	assert_string_equal(jstr(o, "ip"), "127.0.0.1");
	assert_int_equal(json_integer_value(json_object_get(o, "port")), 443);
	assert_string_equal(jstr(o, "sni"), "good.test");
	assert_true(json_is_null(json_object_get(o, "starttls")));
	assert_string_equal(jstr(o, "change"), "renewed");
	assert_string_equal(jstr(json_object_get(o, "old"), "sha256"), "aa01");
	assert_string_equal(jstr(json_object_get(o, "old"), "cn"), "old.test");
	assert_string_equal(jstr(json_object_get(o, "old"), "issuer"), CA1);
	assert_string_equal(jstr(json_object_get(o, "old"), "not_after"), "2026-12-01T00:00:00Z");
	assert_string_equal(jstr(json_object_get(o, "new"), "sha256"), "bb01");
	assert_string_equal(jstr(json_object_get(o, "new"), "not_after"), "2027-03-01T00:00:00Z");
	o = json_array_get(arr, 1);
	assert_string_equal(jstr(o, "change"), "replaced");
	assert_string_equal(jstr(json_object_get(o, "old"), "issuer"), CA1);
	assert_string_equal(jstr(json_object_get(o, "new"), "issuer"), CA2);

	arr = json_object_get(doc, "new_findings");
	assert_int_equal(json_array_size(arr), 1);
	o = json_array_get(arr, 0);
	assert_string_equal(jstr(o, "check"), "cert.self_signed");
	assert_string_equal(jstr(o, "severity"), "high");
	assert_string_equal(jstr(o, "kind"), "cert");
	assert_string_equal(jstr(o, "message"), "self-signed \xef\xbf\xbd bytes"); /* U+FFFD */
	assert_string_equal(jstr(o, "ip"), "127.0.0.8");
	assert_int_equal(json_integer_value(json_object_get(o, "port")), 443);
	assert_string_equal(jstr(o, "sha256"), "bb07");

	arr = json_object_get(doc, "resolved_findings");
	assert_int_equal(json_array_size(arr), 1);
	o = json_array_get(arr, 0);
	assert_string_equal(jstr(o, "check"), "config.tls10");
	assert_string_equal(jstr(o, "kind"), "config");
	assert_string_equal(jstr(o, "ip"), "127.0.0.3");
	assert_true(json_is_null(json_object_get(o, "sha256")));

	json_decref(doc);
	free(js);
	diff_free(&d);
	free(p);
}

/* ------------------------------------------------------------------ scale */

#define BIG 100000
#define SHIFT 5000  /* B drops A's first SHIFT ids and adds SHIFT new ones */

struct big_side {
	struct inventory inv;
	struct inv_endpoint *eps;
	struct inv_cert *certs;
	struct inv_finding *f;
	char *sha;                  /* BIG strings of 16 bytes */
};

/* Endpoint i gets id base + (i * 7919) % BIG (a permutation: the ids are not sorted), one leaf
 * and one finding of the same id; common endpoints whose id is a multiple of 10 get another
 * leaf in B. A also has a second finding (id + 10,000,000) on ids that are multiples of 100:
 * gone in B, so resolved where the endpoint is still there. */
static void big_build(struct big_side *s, int64_t base, int is_b)
{
	size_t nf = 0;

	memset(s, 0, sizeof(*s));
	s->eps = calloc(BIG, sizeof(*s->eps));
	s->certs = calloc(BIG, sizeof(*s->certs));
	s->f = calloc(2 * BIG, sizeof(*s->f));
	s->sha = calloc(BIG, 16);
	assert_non_null(s->eps);
	assert_non_null(s->certs);
	assert_non_null(s->f);
	assert_non_null(s->sha);
	for (size_t i = 0; i < BIG; i++) {
		int64_t id = base + (int64_t)((i * 7919) % BIG);
		char *sha = s->sha + 16 * i;

		snprintf(sha, 16, "%c%lld", is_b && id % 10 == 0 ? 'b' : 'a', (long long)id);
		s->certs[i] = mk_cert(sha, "big.test", CA1, "Test CA 1", "2027-01-01T00:00:00Z");
		s->eps[i] = mk_ep(id, "127.0.0.1", 443, "", "", "ok", i);
		s->f[nf++] = mk_finding(id, i, i, "cert.expiring", "medium", "soon");
		if (!is_b && id % 100 == 0)
			s->f[nf++] = mk_finding(id + 10000000, i, i, "config.tls10", "low", "TLS 1.0");
	}
	s->inv = (struct inventory){ .endpoints = s->eps, .n_endpoints = BIG, .certs = s->certs,
	                             .n_certs = BIG, .findings = s->f, .n_findings = nf };
}

static void big_free(struct big_side *s)
{
	free(s->eps);
	free(s->certs);
	free(s->f);
	free(s->sha);
}

static void test_scale(void **state)
{
	struct big_side *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct diff_result d;
	size_t changed = 0, resolved = 0;

	assert_non_null(a);
	assert_non_null(b);
	big_build(a, 1, 0);          /* ids 1 .. BIG */
	big_build(b, 1 + SHIFT, 1);  /* ids 1 + SHIFT .. BIG + SHIFT */
	for (int64_t id = 1 + SHIFT; id <= BIG; id++) {
		changed += id % 10 == 0;
		resolved += id % 100 == 0;
	}
	assert_int_equal(diff_compute(&a->inv, &b->inv, &d), 0);
	assert_int_equal(d.n_new_eps, SHIFT);
	assert_int_equal(d.n_vanished_eps, SHIFT);
	assert_int_equal(d.n_changed, changed);
	assert_int_equal(d.n_new_findings, SHIFT);
	assert_int_equal(d.n_resolved_findings, resolved);
	for (size_t i = 0; i < d.n_new_eps; i++)
		assert_true(b->eps[d.new_eps[i]].id > BIG);
	for (size_t i = 0; i < d.n_vanished_eps; i++) {
		assert_true(a->eps[d.vanished_eps[i]].id <= SHIFT);
		assert_int_equal(d.vanished_now[i], INV_NONE);
	}
	for (size_t i = 0; i < d.n_changed; i++) {
		assert_int_equal(a->eps[d.changed[i].ep_a].id, b->eps[d.changed[i].ep_b].id);
		assert_int_equal(d.changed[i].renewed, 1);
	}
	diff_free(&d);
	big_free(a);
	big_free(b);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compute),
		cmocka_unit_test(test_identical_is_empty),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_ipv6_label_and_several_scans),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_scale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
