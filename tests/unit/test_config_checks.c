/*
 * test_config_checks.c: unit tests of the configuration checks (analyzer/config*.c, ccheck_*.c).
 *
 * Every profile is built by hand (tls_profiles.h) from the "modern" reference server, which has
 * exactly one finding (session.resumption, information). Each check is asserted present, with its
 * severity and the facts its message must name, on a profile made to have the problem, AND absent
 * on the modern profile and on the near misses (untested property, threshold exactly met, a
 * protocol that makes the problem impossible). The modern-client model is tested directly, and
 * hostile counts (more suites than the arrays hold, unknown ids) must not crash or mislead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the above first */
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/config.h"
#include "tests/unit/tls_profiles.h"

struct run {
	struct finding *f;
	size_t n;
};

static void run_checks(const struct tls_profile *p, const struct analysis *an, struct run *r)
{
	r->f = NULL;
	r->n = 0;
	assert_int_equal(config_analyze(p, an, &r->f, &r->n), 0);
	for (size_t i = 0; i < r->n; i++) {
		assert_non_null(r->f[i].id);
		assert_non_null(r->f[i].fix);
		assert_int_equal(r->f[i].cert_pos, -1);
		assert_true(strlen(r->f[i].message) > 0);
	}
}

static const struct finding *find(const struct run *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->f[i].id, id) == 0)
			return &r->f[i];
	return NULL;
}

static size_t count(const struct run *r, const char *id)
{
	size_t k = 0;

	for (size_t i = 0; i < r->n; i++)
		k += strcmp(r->f[i].id, id) == 0;
	return k;
}

/* Asserts finding id is present once with severity sev and every NULL-terminated fragment in
 * its message; returns it. */
static const struct finding *expect(const struct run *r, const char *id, enum severity sev, ...)
{
	const struct finding *f = find(r, id);
	const char *frag;
	va_list ap;

	if (f == NULL)
		fail_msg("expected finding %s, not reported", id);
	assert_int_equal(count(r, id), 1);
	if (f->severity != sev)
		fail_msg("%s: severity %s, expected %s (%s)", id, severity_name(f->severity),
			 severity_name(sev), f->message);
	va_start(ap, sev);
	while ((frag = va_arg(ap, const char *)) != NULL)
		if (strstr(f->message, frag) == NULL)
			fail_msg("%s: message lacks \"%s\": %s", id, frag, f->message);
	va_end(ap);
	return f;
}

static void absent(const struct run *r, const char *id)
{
	const struct finding *f = find(r, id);

	if (f != NULL)
		fail_msg("unexpected %s: %s", id, f->message);
}

/* Runs the checks on p (with an) and asserts finding id is absent. */
static void check_absent(const struct tls_profile *p, const struct analysis *an, const char *id)
{
	struct run r;

	run_checks(p, an, &r);
	absent(&r, id);
	free(r.f);
}

/* ---- the reference server ---- */

static void test_registry(void **state)
{
	static const char *const design_ids[] = { "proto.sslv2", "proto.sslv3", "proto.tls10",
		"proto.tls11", "proto.no_tls13", "cipher.weak", "cipher.no_forward_secrecy",
		"cipher.no_aead", "kex.weak_dh", "kex.weak_group", "reneg.insecure",
		"reneg.client_initiated", "compression.enabled", "vuln.heartbleed",
		"fallback_scsv.missing", "ocsp.no_stapling", "ct.no_sct", "hsts.missing", "hsts.short",
		"session.resumption" };
	size_t n = 0;

	(void)state;
	for (; config_checks[n] != NULL; n++) {
		const struct config_check *c = config_checks[n];

		assert_non_null(c->id);
		assert_non_null(c->title);
		assert_non_null(c->fix);
		assert_non_null(c->run);
		assert_true(strlen(c->fix) > 20);
		for (size_t k = 0; k < n; k++)
			assert_string_not_equal(c->id, config_checks[k]->id);
	}
	assert_int_equal(n, sizeof(design_ids) / sizeof(design_ids[0]));
	for (size_t i = 0; i < n; i++)
		assert_string_equal(config_checks[i]->id, design_ids[i]);
}

static void test_modern_has_only_resumption_info(void **state)
{
	struct tls_profile p;
	struct test_cert tc;
	struct run r;

	(void)state;
	modern_profile(&p);
	modern_cert(&tc);
	run_checks(&p, &tc.an, &r);
	assert_int_equal(r.n, 1);
	expect(&r, "session.resumption", SEV_INFO, "session IDs resumed",
	       "session tickets (RFC 5077) issued", "rotating the ticket key", NULL);
	free(r.f);
}

static void test_null_profile(void **state)
{
	struct finding *f = (struct finding *)&f;
	size_t n = 7;

	(void)state;
	assert_int_equal(config_analyze(NULL, NULL, &f, &n), 0);
	assert_null(f);
	assert_int_equal(n, 0);
}

/* ---- protocols ---- */

static void test_proto_sslv2(void **state)
{
	struct tls_profile p;
	struct run r;

	(void)state;
	modern_profile(&p);
	p.supported[PV_SSL2] = 1;
	p.ssl2_kinds[0] = K2_RC4_128;
	p.ssl2_kinds[1] = K2_3DES;
	p.n_ssl2 = 2;
	run_checks(&p, NULL, &r);
	expect(&r, "proto.sslv2", SEV_CRITICAL, "SSLv2 is enabled (2 cipher kinds accepted)", "DROWN",
	       NULL);
	/* its cipher kinds are judged too */
	expect(&r, "cipher.weak", SEV_HIGH, "SSLv2: RC4-MD5 (RC4), DES-CBC3-MD5 (3DES)", NULL);
	free(r.f);

	modern_profile(&p);
	check_absent(&p, NULL, "proto.sslv2");
	p.supported[PV_SSL2] = PROFILE_UNKNOWN;
	check_absent(&p, NULL, "proto.sslv2");
}

static void test_proto_sslv3_tls10_tls11(void **state)
{
	struct tls_profile p;
	struct run r;

	(void)state;
	modern_profile(&p);
	SUITES(&p, PV_SSL3, 1, S_RSA_AES128_CBC);
	SUITES(&p, PV_TLS10, 1, S_ECDHE_AES128_CBC, S_RSA_AES128_CBC);
	SUITES(&p, PV_TLS11, 1, S_ECDHE_AES128_CBC, S_RSA_AES128_CBC, S_RSA_AES256_CBC);
	run_checks(&p, NULL, &r);
	expect(&r, "proto.sslv3", SEV_HIGH, "SSLv3 is enabled (1 cipher suites accepted)", "POODLE",
	       NULL);
	expect(&r, "proto.tls10", SEV_MEDIUM, "TLSv1.0 is enabled (2 cipher suites accepted)",
	       "RFC 8996", NULL);
	expect(&r, "proto.tls11", SEV_MEDIUM, "TLSv1.1 is enabled (3 cipher suites accepted)",
	       "RFC 8996", NULL);
	absent(&r, "proto.sslv2");
	absent(&r, "proto.no_tls13");
	free(r.f);

	/* supported but suites not enumerated: still reported, without a count */
	modern_profile(&p);
	p.supported[PV_TLS10] = 1;
	run_checks(&p, NULL, &r);
	expect(&r, "proto.tls10", SEV_MEDIUM, "TLSv1.0 is enabled: TLS 1.0 is deprecated", NULL);
	absent(&r, "proto.tls11");
	absent(&r, "proto.sslv3");
	free(r.f);
}

static void test_proto_no_tls13(void **state)
{
	struct tls_profile p;
	struct run r;

	(void)state;
	modern_profile(&p);
	refuse(&p, PV_TLS13);
	run_checks(&p, NULL, &r);
	expect(&r, "proto.no_tls13", SEV_INFO, "TLS 1.3 is not supported (best protocol: TLSv1.2)",
	       NULL);
	free(r.f);

	modern_profile(&p);
	check_absent(&p, NULL, "proto.no_tls13");
	p.supported[PV_TLS13] = PROFILE_UNKNOWN; /* not tested: not a finding */
	check_absent(&p, NULL, "proto.no_tls13");
	for (int v = 0; v < PV_COUNT; v++) /* nothing at all: not a TLS server */
		refuse(&p, (enum proto_version)v);
	check_absent(&p, NULL, "proto.no_tls13");
}

/* ---- cipher suites ---- */

static void test_cipher_weak_severity_by_worst(void **state)
{
	struct tls_profile p;
	struct run r;

	(void)state;
	/* 3DES alone: medium */
	modern_profile(&p);
	SUITES(&p, PV_TLS12, 1, S_ECDSA_AES128_GCM, S_RSA_3DES);
	run_checks(&p, NULL, &r);
	expect(&r, "cipher.weak", SEV_MEDIUM,
	       "weak cipher suites accepted (3DES): TLSv1.2: DES-CBC3-SHA (3DES)", NULL);
	free(r.f);

	/* RC4 and DES: high; per protocol, in order */
	SUITES(&p, PV_TLS10, 1, S_RSA_RC4_SHA, S_RSA_DES);
	SUITES(&p, PV_TLS12, 1, S_ECDSA_AES128_GCM, S_RSA_3DES, S_RSA_RC4_MD5);
	run_checks(&p, NULL, &r);
	expect(&r, "cipher.weak", SEV_HIGH, "(RC4, DES, 3DES)",
	       "TLSv1.0: RC4-SHA (RC4), DES-CBC-SHA (DES); TLSv1.2: DES-CBC3-SHA (3DES), RC4-MD5 (RC4)",
	       NULL);
	free(r.f);

	/* NULL: critical */
	modern_profile(&p);
	SUITES(&p, PV_TLS12, 1, S_ECDSA_AES128_GCM, S_RSA_NULL_SHA);
	run_checks(&p, NULL, &r);
	expect(&r, "cipher.weak", SEV_CRITICAL, "(NULL)", "TLSv1.2: NULL-SHA (NULL)", NULL);
	free(r.f);

	/* anonymous: critical */
	modern_profile(&p);
	SUITES(&p, PV_TLS12, 1, S_ECDSA_AES128_GCM, S_ADH_AES128);
	run_checks(&p, NULL, &r);
	expect(&r, "cipher.weak", SEV_CRITICAL, "ADH-AES128-SHA (anon)", NULL);
	free(r.f);

	/* export, on TLS and in SSLv2 kinds: critical */
	modern_profile(&p);
	SUITES(&p, PV_TLS10, 1, S_EXP_RC4_MD5);
	p.supported[PV_SSL2] = 1;
	p.ssl2_kinds[0] = K2_EXP_RC4;
	p.n_ssl2 = 1;
	run_checks(&p, NULL, &r);
	expect(&r, "cipher.weak", SEV_CRITICAL, "(EXPORT)",
	       "SSLv2: EXP-RC4-MD5 (EXPORT); TLSv1.0: EXP-RC4-MD5 (EXPORT)", NULL);
	free(r.f);
}

static void test_cipher_weak_absent_and_bounded(void **state)
{
	struct tls_profile p;
	struct run r;
	const struct finding *f;

	(void)state;
	modern_profile(&p);
	check_absent(&p, NULL, "cipher.weak");
	/* a signalling value listed as "accepted" (hostile prober input) is not a NULL suite */
	SUITES(&p, PV_TLS12, 1, S_ECDSA_AES128_GCM, S_EMPTY_RENEG_SCSV, 0xfefe);
	check_absent(&p, NULL, "cipher.weak");
	/* weak suites on a protocol not supported are not accepted suites */
	modern_profile(&p);
	SUITES(&p, PV_TLS10, 1, S_RSA_RC4_SHA);
	p.supported[PV_TLS10] = 0;
	check_absent(&p, NULL, "cipher.weak");

	/* many weak suites on every protocol: the message stays whole and says how many are left */
	modern_profile(&p);
	for (int v = PV_SSL3; v <= PV_TLS12; v++)
		SUITES(&p, (enum proto_version)v, 1, S_RSA_RC4_SHA, S_RSA_RC4_MD5, S_RSA_DES, S_RSA_3DES,
		       S_EXP_RC4_MD5, S_RSA_NULL_SHA, S_ADH_AES128);
	run_checks(&p, NULL, &r);
	f = expect(&r, "cipher.weak", SEV_CRITICAL, "(NULL, anon, EXPORT, RC4, DES, 3DES)",
		   "SSLv3: RC4-SHA (RC4), ", " more)", NULL);
	assert_true(strlen(f->message) < sizeof(f->message) - 1);
	free(r.f);

	/* a count larger than the array: clamped, no read past the end */
	modern_profile(&p);
	p.suites[PV_TLS12].n = 100000;
	run_checks(&p, NULL, &r);
	free(r.f);
}

static void test_client_model(void **state)
{
	struct tls_profile p;
	const struct suite *s;

	(void)state;
	modern_profile(&p);
	/* TLS 1.3: the first suite; TLS 1.2 server order: the server's first */
	assert_int_equal(config_client_choice(&p, PV_TLS13)->id, S_TLS13_AES128);
	assert_int_equal(config_client_choice(&p, PV_TLS12)->id, S_ECDSA_AES128_GCM);
	/* not offered by a modern client: skipped in server order */
	SUITES(&p, PV_TLS12, 1, S_RSA_RC4_SHA, S_ADH_AES128, 0xfefe, S_RSA_AES128_CBC, S_ECDHE_AES128_GCM);
	assert_int_equal(config_client_choice(&p, PV_TLS12)->id, S_RSA_AES128_CBC);
	/* client order: FS+AEAD, then FS, then AEAD, then the rest, 3DES last */
	SUITES(&p, PV_TLS12, 0, S_RSA_3DES, S_RSA_AES128_CBC, S_RSA_AES128_GCM, S_ECDHE_AES128_CBC,
	       S_ECDHE_AES128_GCM);
	assert_int_equal(config_client_choice(&p, PV_TLS12)->id, S_ECDHE_AES128_GCM);
	SUITES(&p, PV_TLS12, 0, S_RSA_3DES, S_RSA_AES128_CBC, S_RSA_AES128_GCM, S_ECDHE_AES128_CBC);
	assert_int_equal(config_client_choice(&p, PV_TLS12)->id, S_ECDHE_AES128_CBC);
	SUITES(&p, PV_TLS12, 0, S_RSA_3DES, S_RSA_AES128_CBC, S_RSA_AES128_GCM);
	assert_int_equal(config_client_choice(&p, PV_TLS12)->id, S_RSA_AES128_GCM);
	SUITES(&p, PV_TLS12, 0, S_RSA_3DES, S_RSA_AES128_CBC);
	assert_int_equal(config_client_choice(&p, PV_TLS12)->id, S_RSA_AES128_CBC);
	/* unknown order: the order found is taken as the server's */
	SUITES(&p, PV_TLS12, PROFILE_UNKNOWN, S_RSA_3DES, S_ECDHE_AES128_GCM);
	assert_int_equal(config_client_choice(&p, PV_TLS12)->id, S_RSA_3DES);
	/* nothing the client offers; unsupported protocol; SSLv3 */
	SUITES(&p, PV_TLS12, 1, S_RSA_RC4_SHA, S_RSA_NULL_SHA);
	assert_null(config_client_choice(&p, PV_TLS12));
	assert_null(config_client_choice(&p, PV_TLS10));
	SUITES(&p, PV_SSL3, 1, S_RSA_AES128_CBC);
	assert_null(config_client_choice(&p, PV_SSL3));
	/* a GCM suite claimed on TLS 1.0 is not one a client could negotiate there */
	s = suite_by_id(S_ECDHE_AES128_GCM);
	assert_non_null(s);
	assert_false(config_client_offers(s, PV_TLS10));
	assert_true(config_client_offers(s, PV_TLS12));
	assert_false(config_client_offers(s, PV_TLS13));

	assert_int_equal(config_rsa_equivalent("EC", 256), 3072);
	assert_int_equal(config_rsa_equivalent("EC", 255), 3072);
	assert_int_equal(config_rsa_equivalent("EC", 384), 7680);
	assert_int_equal(config_rsa_equivalent("EC", 224), 2048);
	assert_int_equal(config_rsa_equivalent("EC", 192), 1024);
	assert_int_equal(config_rsa_equivalent("EC", 112), 512);
	assert_int_equal(config_rsa_equivalent("RSA", 2048), 2048);
	assert_int_equal(config_rsa_equivalent("ED25519", 0), 3072);
	assert_int_equal(config_rsa_equivalent("RSA", 0), 0);
}

static void test_no_forward_secrecy(void **state)
{
	struct tls_profile p;
	struct run r;

	(void)state;
	/* only static RSA key exchange */
	modern_profile(&p);
	ONLY_TLS12(&p, 1, S_RSA_AES128_GCM, S_RSA_AES256_GCM);
	run_checks(&p, NULL, &r);
	expect(&r, "cipher.no_forward_secrecy", SEV_HIGH,
	       "no forward-secret suite (ECDHE or DHE) is accepted on TLSv1.2",
	       "a modern client negotiates AES128-GCM-SHA256", NULL);
	free(r.f);

	/* FS accepted but the server prefers RSA */
	ONLY_TLS12(&p, 1, S_RSA_AES128_GCM, S_ECDHE_AES128_GCM);
	run_checks(&p, NULL, &r);
	expect(&r, "cipher.no_forward_secrecy", SEV_HIGH,
	       "a modern client negotiates AES128-GCM-SHA256 on TLSv1.2",
	       "(e.g. ECDHE-RSA-AES128-GCM-SHA256)", NULL);
	free(r.f);

	/* the same suites with the client's order: clients that can do FS get it */
	ONLY_TLS12(&p, 0, S_RSA_AES128_GCM, S_ECDHE_AES128_GCM);
	check_absent(&p, NULL, "cipher.no_forward_secrecy");
	/* DHE counts */
	ONLY_TLS12(&p, 1, S_DHE_AES128_GCM, S_RSA_AES128_GCM);
	check_absent(&p, NULL, "cipher.no_forward_secrecy");

	/* TLS 1.3 gives FS; a TLS 1.2-only client still negotiates RSA: medium */
	modern_profile(&p);
	SUITES(&p, PV_TLS12, 1, S_RSA_AES128_GCM, S_ECDHE_AES128_GCM);
	run_checks(&p, NULL, &r);
	expect(&r, "cipher.no_forward_secrecy", SEV_MEDIUM,
	       "a client limited to TLS 1.2 negotiates AES128-GCM-SHA256",
	       "prefers it over ECDHE-RSA-AES128-GCM-SHA256", NULL);
	free(r.f);

	modern_profile(&p);
	check_absent(&p, NULL, "cipher.no_forward_secrecy");
	/* suites not enumerated: cannot tell */
	ONLY_TLS12(&p, 1, S_RSA_AES128_GCM);
	p.suites[PV_TLS12].n = 0;
	check_absent(&p, NULL, "cipher.no_forward_secrecy");
}

static void test_no_aead(void **state)
{
	struct tls_profile p;
	struct run r;

	(void)state;
	modern_profile(&p);
	ONLY_TLS12(&p, 1, S_ECDHE_AES128_CBC, S_ECDHE_AES256_CBC, S_RSA_AES128_CBC);
	run_checks(&p, NULL, &r);
	expect(&r, "cipher.no_aead", SEV_LOW,
	       "TLS 1.2 is accepted with 3 cipher suites, none of them AEAD", NULL);
	absent(&r, "cipher.no_forward_secrecy");
	free(r.f);

	/* TLS 1.0 only: AEAD impossible */
	for (int v = 0; v < PV_COUNT; v++)
		refuse(&p, (enum proto_version)v);
	SUITES(&p, PV_TLS10, 1, S_ECDHE_AES128_CBC);
	run_checks(&p, NULL, &r);
	expect(&r, "cipher.no_aead", SEV_LOW, "AEAD needs TLS 1.2 or 1.3 and the best protocol is TLSv1.0",
	       NULL);
	free(r.f);

	/* one AEAD suite is enough, even last */
	modern_profile(&p);
	ONLY_TLS12(&p, 1, S_ECDHE_AES128_CBC, S_RSA_AES128_GCM);
	check_absent(&p, NULL, "cipher.no_aead");
	/* TLS 1.3 untested: cannot tell */
	ONLY_TLS12(&p, 1, S_ECDHE_AES128_CBC);
	p.supported[PV_TLS13] = PROFILE_UNKNOWN;
	check_absent(&p, NULL, "cipher.no_aead");
	/* TLS 1.3 supported: all its suites are AEAD */
	modern_profile(&p);
	SUITES(&p, PV_TLS12, 1, S_ECDHE_AES128_CBC);
	check_absent(&p, NULL, "cipher.no_aead");
}

/* ---- key exchange ---- */

static void test_weak_dh(void **state)
{
	struct tls_profile p;
	struct run r;

	(void)state;
	modern_profile(&p);
	SUITES(&p, PV_TLS12, 1, S_ECDSA_AES128_GCM, S_DHE_AES128_GCM);
	p.dh_bits = 1024;
	run_checks(&p, NULL, &r);
	expect(&r, "kex.weak_dh", SEV_HIGH, "(e.g. DHE-RSA-AES128-GCM-SHA256)",
	       "1024-bit Diffie-Hellman parameters", "Logjam", NULL);
	free(r.f);

	p.dh_bits = 512;
	run_checks(&p, NULL, &r);
	expect(&r, "kex.weak_dh", SEV_CRITICAL, "512-bit", "can be broken today", NULL);
	free(r.f);

	p.dh_bits = 2048;
	check_absent(&p, NULL, "kex.weak_dh");
	p.dh_bits = 0;
	check_absent(&p, NULL, "kex.weak_dh");
}

static void test_weak_group(void **state)
{
	struct tls_profile p;
	struct run r;

	(void)state;
	modern_profile(&p);
	GROUPS(&p, G_X25519, G_P192, G_P256);
	run_checks(&p, NULL, &r);
	expect(&r, "kex.weak_group", SEV_MEDIUM, "weak key exchange groups accepted: secp192r1 (192 bits)",
	       NULL);
	free(r.f);

	/* groups not enumerated, but a small curve was used */
	p.n_groups = 0;
	p.ecdh_bits = 160;
	run_checks(&p, NULL, &r);
	expect(&r, "kex.weak_group", SEV_MEDIUM, "ECDHE key exchange uses a 160-bit curve", NULL);
	free(r.f);

	modern_profile(&p);
	check_absent(&p, NULL, "kex.weak_group");
	GROUPS(&p, G_X25519, G_EXPLICIT, 0x7777); /* size unknown, id unknown: not judged */
	check_absent(&p, NULL, "kex.weak_group");
	p.ecdh_bits = 224; /* exactly the floor */
	check_absent(&p, NULL, "kex.weak_group");
}

/* ---- renegotiation, compression, vulnerabilities ---- */

static void test_reneg(void **state)
{
	struct tls_profile p;
	struct run r;

	(void)state;
	modern_profile(&p);
	p.secure_reneg = 0;
	run_checks(&p, NULL, &r);
	expect(&r, "reneg.insecure", SEV_HIGH, "does not support secure renegotiation (RFC 5746)", NULL);
	absent(&r, "reneg.client_initiated");
	free(r.f);

	p.client_reneg = 1;
	run_checks(&p, NULL, &r);
	expect(&r, "reneg.insecure", SEV_CRITICAL, "accepts client-initiated renegotiation",
	       "CVE-2009-3555", NULL);
	expect(&r, "reneg.client_initiated", SEV_MEDIUM, "CVE-2011-1473", NULL);
	free(r.f);

	/* secure renegotiation, client-initiated allowed: only the DoS finding */
	modern_profile(&p);
	p.client_reneg = 1;
	run_checks(&p, NULL, &r);
	expect(&r, "reneg.client_initiated", SEV_MEDIUM, "denial of service", NULL);
	absent(&r, "reneg.insecure");
	free(r.f);

	/* TLS 1.3 only: no renegotiation exists */
	modern_profile(&p);
	refuse(&p, PV_TLS12);
	p.secure_reneg = 0;
	check_absent(&p, NULL, "reneg.insecure");
	modern_profile(&p);
	p.secure_reneg = PROFILE_UNKNOWN;
	check_absent(&p, NULL, "reneg.insecure");
	check_absent(&p, NULL, "reneg.client_initiated");
}

static void test_compression_heartbleed(void **state)
{
	struct tls_profile p;
	struct run r;

	(void)state;
	modern_profile(&p);
	p.compression = 1;
	p.heartbleed = 1;
	run_checks(&p, NULL, &r);
	expect(&r, "compression.enabled", SEV_HIGH, "CRIME, CVE-2012-4929", NULL);
	expect(&r, "vuln.heartbleed", SEV_CRITICAL, "CVE-2014-0160", NULL);
	free(r.f);

	modern_profile(&p);
	check_absent(&p, NULL, "compression.enabled");
	check_absent(&p, NULL, "vuln.heartbleed");
	p.compression = PROFILE_UNKNOWN;
	p.heartbleed = PROFILE_UNKNOWN;
	p.heartbeat = 1; /* the extension alone is not the bug */
	check_absent(&p, NULL, "compression.enabled");
	check_absent(&p, NULL, "vuln.heartbleed");
}

static void test_fallback_scsv(void **state)
{
	struct tls_profile p;
	struct run r;

	(void)state;
	modern_profile(&p);
	SUITES(&p, PV_TLS10, 1, S_ECDHE_AES128_CBC);
	p.fallback_scsv = 0;
	run_checks(&p, NULL, &r);
	expect(&r, "fallback_scsv.missing", SEV_LOW, "TLS_FALLBACK_SCSV (RFC 7507)",
	       "while it speaks TLSv1.0, TLSv1.2", NULL);
	free(r.f);

	/* TLS 1.2 + TLS 1.3 only: TLS 1.3's own downgrade protection, no finding */
	modern_profile(&p);
	p.fallback_scsv = 0;
	check_absent(&p, NULL, "fallback_scsv.missing");
	/* honoured, or untested */
	SUITES(&p, PV_TLS10, 1, S_ECDHE_AES128_CBC);
	p.fallback_scsv = 1;
	check_absent(&p, NULL, "fallback_scsv.missing");
	p.fallback_scsv = PROFILE_UNKNOWN;
	check_absent(&p, NULL, "fallback_scsv.missing");
}

/* ---- revocation, CT, HTTP ---- */

static void test_ocsp_stapling(void **state)
{
	struct tls_profile p;
	struct run r;

	(void)state;
	modern_profile(&p);
	p.ocsp_stapling = 0;
	run_checks(&p, NULL, &r);
	expect(&r, "ocsp.no_stapling", SEV_INFO, "does not staple an OCSP response", NULL);
	free(r.f);
	p.ocsp_stapling = PROFILE_UNKNOWN;
	check_absent(&p, NULL, "ocsp.no_stapling");
	modern_profile(&p);
	check_absent(&p, NULL, "ocsp.no_stapling");
}

static void test_ct_no_sct(void **state)
{
	struct tls_profile p;
	struct test_cert tc;
	struct run r;

	(void)state;
	modern_profile(&p);
	modern_cert(&tc);
	tc.leaf.has_sct = 0;
	p.ocsp_stapling = 0;
	run_checks(&p, &tc.an, &r);
	expect(&r, "ct.no_sct", SEV_LOW, "none embedded in the certificate, none in the TLS extension)",
	       NULL);
	free(r.f);

	/* stapled OCSP parsed without SCTs: named in the message */
	p.ocsp_stapling = 1;
	p.sct_ocsp = 0;
	run_checks(&p, &tc.an, &r);
	expect(&r, "ct.no_sct", SEV_LOW, "or the stapled OCSP response", NULL);
	free(r.f);

	/* any one source is enough; unknown sources say nothing */
	p.sct_ocsp = PROFILE_UNKNOWN; /* stapled but not parsed */
	check_absent(&p, &tc.an, "ct.no_sct");
	p.sct_ocsp = 1;
	check_absent(&p, &tc.an, "ct.no_sct");
	p.sct_ocsp = 0;
	p.sct_extension = 1;
	check_absent(&p, &tc.an, "ct.no_sct");
	p.sct_extension = PROFILE_UNKNOWN;
	check_absent(&p, &tc.an, "ct.no_sct");
	p.sct_extension = 0;
	tc.leaf.has_sct = 1;
	check_absent(&p, &tc.an, "ct.no_sct");
	tc.leaf.has_sct = 0;
	tc.leaf.self_signed = 1; /* cert.self_signed's business */
	check_absent(&p, &tc.an, "ct.no_sct");
	check_absent(&p, NULL, "ct.no_sct"); /* no certificate facts */
	tc.leaf.self_signed = 0;
	tc.an.n_certs = 0;
	check_absent(&p, &tc.an, "ct.no_sct");
}

static void test_hsts(void **state)
{
	struct tls_profile p;
	struct run r;

	(void)state;
	modern_profile(&p);
	p.hsts = 0;
	p.hsts_max_age = -1;
	run_checks(&p, NULL, &r);
	expect(&r, "hsts.missing", SEV_MEDIUM, "(status 200) has no Strict-Transport-Security header",
	       NULL);
	absent(&r, "hsts.short");
	free(r.f);

	/* present but without a usable max-age: ignored by browsers, so missing */
	p.hsts = 1;
	run_checks(&p, NULL, &r);
	expect(&r, "hsts.missing", SEV_MEDIUM, "no valid max-age", NULL);
	absent(&r, "hsts.short");
	free(r.f);

	p.hsts_max_age = 86400;
	run_checks(&p, NULL, &r);
	expect(&r, "hsts.short", SEV_LOW, "max-age=86400 (1 days) is shorter than 180 days", NULL);
	absent(&r, "hsts.missing");
	free(r.f);

	p.hsts_max_age = 0;
	run_checks(&p, NULL, &r);
	expect(&r, "hsts.short", SEV_LOW, "max-age=0", "switched off", NULL);
	free(r.f);

	p.hsts_max_age = HSTS_MIN_MAX_AGE; /* exactly 180 days */
	check_absent(&p, NULL, "hsts.short");
	/* not an HTTPS endpoint (no request, or no answer): neither finding */
	p.hsts = 0;
	p.http_checked = 0;
	check_absent(&p, NULL, "hsts.missing");
	p.http_checked = 1;
	p.http_status = 0;
	check_absent(&p, NULL, "hsts.missing");
	modern_profile(&p);
	check_absent(&p, NULL, "hsts.missing");
	check_absent(&p, NULL, "hsts.short");
}

static void test_session_resumption(void **state)
{
	struct tls_profile p;
	struct run r;

	(void)state;
	modern_profile(&p);
	p.session_ticket = 0;
	p.session_resumption = PROFILE_UNKNOWN;
	run_checks(&p, NULL, &r);
	expect(&r, "session.resumption", SEV_INFO,
	       "session IDs not tested; session tickets (RFC 5077) not issued", NULL);
	free(r.f);
	p.session_ticket = PROFILE_UNKNOWN;
	check_absent(&p, NULL, "session.resumption");
}

/* ---- a server with everything wrong: every problem once, in registry order ---- */

static void test_worst_server_order(void **state)
{
	struct tls_profile p;
	struct test_cert tc;
	struct run r;
	size_t k = 0;

	(void)state;
	profile_init(&p);
	p.supported[PV_SSL2] = 1;
	p.ssl2_kinds[0] = K2_EXP_RC4;
	p.n_ssl2 = 1;
	SUITES(&p, PV_SSL3, 1, S_RSA_RC4_SHA, S_RSA_AES128_CBC);
	SUITES(&p, PV_TLS10, 1, S_RSA_RC4_SHA, S_RSA_AES128_CBC, S_DHE_AES128_CBC);
	SUITES(&p, PV_TLS11, 1, S_RSA_AES128_CBC);
	refuse(&p, PV_TLS12);
	refuse(&p, PV_TLS13);
	GROUPS(&p, G_P192);
	p.dh_bits = 768;
	p.secure_reneg = 0;
	p.client_reneg = 1;
	p.compression = 1;
	p.heartbleed = 1;
	p.fallback_scsv = 0;
	p.session_ticket = 0;
	p.session_resumption = 0;
	p.ocsp_stapling = 0;
	p.sct_extension = 0;
	p.http_checked = 1;
	p.http_status = 200;
	p.hsts = 1;
	p.hsts_max_age = 3600;
	modern_cert(&tc);
	tc.leaf.has_sct = 0;
	run_checks(&p, &tc.an, &r);
	expect(&r, "proto.no_tls13", SEV_INFO, "best protocol: TLSv1.1", NULL);
	expect(&r, "cipher.no_forward_secrecy", SEV_HIGH,
	       "no forward-secret suite (ECDHE or DHE) is accepted on TLSv1.1",
	       "a modern client negotiates AES128-SHA", NULL);
	absent(&r, "hsts.missing");
	/* every registered check except hsts.missing fired, in registry order */
	assert_int_equal(r.n, 19);
	for (size_t i = 0; config_checks[i] != NULL; i++) {
		if (strcmp(config_checks[i]->id, "hsts.missing") == 0)
			continue;
		assert_string_equal(r.f[k].id, config_checks[i]->id);
		k++;
	}
	free(r.f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_modern_has_only_resumption_info),
		cmocka_unit_test(test_null_profile),
		cmocka_unit_test(test_proto_sslv2),
		cmocka_unit_test(test_proto_sslv3_tls10_tls11),
		cmocka_unit_test(test_proto_no_tls13),
		cmocka_unit_test(test_cipher_weak_severity_by_worst),
		cmocka_unit_test(test_cipher_weak_absent_and_bounded),
		cmocka_unit_test(test_client_model),
		cmocka_unit_test(test_no_forward_secrecy),
		cmocka_unit_test(test_no_aead),
		cmocka_unit_test(test_weak_dh),
		cmocka_unit_test(test_weak_group),
		cmocka_unit_test(test_reneg),
		cmocka_unit_test(test_compression_heartbleed),
		cmocka_unit_test(test_fallback_scsv),
		cmocka_unit_test(test_ocsp_stapling),
		cmocka_unit_test(test_ct_no_sct),
		cmocka_unit_test(test_hsts),
		cmocka_unit_test(test_session_resumption),
		cmocka_unit_test(test_worst_server_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
