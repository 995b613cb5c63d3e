/*
 * test_grade.c: unit tests of the SSL Labs-style grade (analyzer/grade.c).
 *
 * Server types are built by hand (tls_profiles.h) from the modern reference server (A+, 93/100:
 * protocol 100, key exchange 90 for P-256/X25519, cipher 90 for AES-128..256). Each test changes
 * one thing and asserts the letter, the rule that decided it (decided_by), the reasons listed and,
 * where the guide's arithmetic is the point, the exact scores. The rule table is checked for
 * completeness against doc/grading.md (run from the repository root, as make unit does).
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
#include "analyzer/grade.h"
#include "tests/unit/tls_profiles.h"

static void grade_ok(const struct tls_profile *p, const struct analysis *an, struct grade *g)
{
	assert_int_equal(grade_compute(p, an, g), 0);
	assert_true(g->n_reasons <= GRADE_MAX_REASONS);
	for (size_t i = 0; i < g->n_reasons; i++) {
		assert_non_null(g->reasons[i].rule);
		assert_true(strlen(g->reasons[i].text) > 0);
	}
}

/* Asserts the letter and the rule that set it. */
static void expect_grade(const struct grade *g, const char *letter, const char *decided_by)
{
	if (strcmp(g->letter, letter) != 0 || strcmp(g->decided_by, decided_by) != 0) {
		for (size_t i = 0; i < g->n_reasons; i++)
			print_message("  reason %s (%s): %s\n", g->reasons[i].rule->id,
				      g->reasons[i].rule->cap, g->reasons[i].text);
		fail_msg("grade %s decided by %s (score %d: %d/%d/%d), expected %s by %s", g->letter,
			 g->decided_by, g->score, g->protocol_score, g->kex_score, g->cipher_score, letter,
			 decided_by);
	}
}

/* Asserts rule id applied and its text holds fragment (NULL: any). */
static void expect_reason(const struct grade *g, const char *id, const char *fragment)
{
	const struct grade_reason *r = grade_find_reason(g, id);

	if (r == NULL)
		fail_msg("rule %s did not apply (grade %s)", id, g->letter);
	if (fragment != NULL && strstr(r->text, fragment) == NULL)
		fail_msg("rule %s: text lacks \"%s\": %s", id, fragment, r->text);
}

static void no_reason(const struct grade *g, const char *id)
{
	const struct grade_reason *r = grade_find_reason(g, id);

	if (r != NULL)
		fail_msg("rule %s applied: %s", id, r->text);
}

static void expect_scores(const struct grade *g, int proto, int kex, int cipher, int total)
{
	if (g->protocol_score != proto || g->kex_score != kex || g->cipher_score != cipher ||
	    g->score != total)
		fail_msg("scores %d/%d/%d = %d, expected %d/%d/%d = %d", g->protocol_score, g->kex_score,
			 g->cipher_score, g->score, proto, kex, cipher, total);
}

/* ---- the reference server and the A range ---- */

static void test_modern_hsts_is_a_plus(void **state)
{
	struct tls_profile p;
	struct test_cert tc;
	struct grade g;

	(void)state;
	modern_profile(&p);
	modern_cert(&tc);
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "A+", "aplus");
	assert_string_equal(g.letter_ignoring_trust, "A+");
	assert_string_equal(g.score_letter, "A");
	expect_scores(&g, 100, 90, 90, 93);
	assert_int_equal(g.kex_bits, 3072);
	assert_int_equal(g.kex_assumed, 0);
	assert_int_equal(g.cipher_best_bits, 256);
	assert_int_equal(g.cipher_worst_bits, 128);
	assert_int_equal(g.n_reasons, 0);
	assert_int_equal(g.n_warnings, 0);

	/* an RSA 4096 certificate and only 256-bit ciphers: the weakest kex is still X25519 */
	strcpy(tc.leaf.key_type, "RSA");
	tc.leaf.key_bits = 4096;
	SUITES(&p, PV_TLS12, 1, S_ECDHE_AES256_GCM);
	SUITES(&p, PV_TLS13, 0, S_TLS13_AES256, S_TLS13_CHACHA);
	grade_ok(&p, &tc.an, &g);
	expect_scores(&g, 100, 90, 100, 97);
	expect_grade(&g, "A+", "aplus");
}

static void test_no_hsts_is_a(void **state)
{
	struct tls_profile p;
	struct test_cert tc;
	struct grade g;

	(void)state;
	modern_profile(&p);
	modern_cert(&tc);
	p.hsts = 0;
	p.hsts_max_age = -1;
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "A", "hsts.aplus");
	expect_reason(&g, "hsts.aplus", "no Strict-Transport-Security header");
	assert_int_equal(g.n_reasons, 1);

	/* short HSTS, not an HTTPS endpoint: A too, each with its reason */
	p.hsts = 1;
	p.hsts_max_age = 86400;
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "A", "hsts.aplus");
	expect_reason(&g, "hsts.aplus", "it is 86400");
	p.http_checked = 0;
	p.http_status = 0;
	p.hsts = PROFILE_UNKNOWN;
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "A", "hsts.aplus");
	expect_reason(&g, "hsts.aplus", "no HTTP response was checked");
	/* exactly 180 days is enough */
	modern_profile(&p);
	p.hsts_max_age = HSTS_MIN_MAX_AGE;
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "A+", "aplus");
}

static void test_insecure_renegotiation(void **state)
{
	struct tls_profile p;
	struct test_cert tc;
	struct grade g;

	(void)state;
	/* no RFC 5746: a warning, A- */
	modern_profile(&p);
	modern_cert(&tc);
	p.secure_reneg = 0;
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "A-", "warnings");
	assert_int_equal(g.n_warnings, 1);
	assert_string_equal(g.warnings[0].rule->id, "reneg.no_secure");
	assert_string_equal(g.warnings[0].rule->cap, "A-");
	assert_int_equal(g.n_reasons, 0);

	/* ... and client-initiated renegotiation on top: CVE-2009-3555, F */
	p.client_reneg = 1;
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "F", "reneg.insecure_client");
	expect_reason(&g, "reneg.no_secure", "RFC 5746");

	/* secure client-initiated renegotiation: a DoS finding, no grade effect */
	modern_profile(&p);
	p.client_reneg = 1;
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "A+", "aplus");

	/* TLS 1.3 only: no renegotiation at all */
	modern_profile(&p);
	refuse(&p, PV_TLS12);
	p.secure_reneg = 0;
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "A+", "aplus");
}

/* ---- protocols ---- */

static void test_tls10_is_b(void **state)
{
	struct tls_profile p;
	struct test_cert tc;
	struct grade g;

	(void)state;
	modern_profile(&p);
	modern_cert(&tc);
	SUITES(&p, PV_TLS10, 1, S_ECDHE_AES128_CBC, S_ECDHE_AES256_CBC);
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "B", "proto.tls10_11");
	expect_reason(&g, "proto.tls10_11", "TLS 1.0 is supported");
	/* (100 + 90) / 2 = 95; 0.3*95 + 0.3*90 + 0.4*90 = 91.5 -> 92: an A by score */
	expect_scores(&g, 95, 90, 90, 92);
	assert_string_equal(g.score_letter, "A");
	no_reason(&g, "fallback_scsv.missing"); /* fallback_scsv is 1 */

	/* TLS 1.1 too, no SCSV: still B, and the missing SCSV is listed */
	SUITES(&p, PV_TLS11, 1, S_ECDHE_AES128_CBC);
	p.fallback_scsv = 0;
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "B", "proto.tls10_11");
	expect_reason(&g, "proto.tls10_11", "TLS 1.0 and TLS 1.1 are supported");
	expect_reason(&g, "fallback_scsv.missing", NULL);

	/* TLS 1.0 only: no TLS 1.2 caps at C */
	for (int v = 0; v < PV_COUNT; v++)
		refuse(&p, (enum proto_version)v);
	SUITES(&p, PV_TLS10, 1, S_ECDHE_AES128_CBC);
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "C", "proto.no_tls12");
	expect_reason(&g, "proto.no_tls12", "best: TLSv1.0");
	expect_reason(&g, "cipher.no_aead", "best protocol is TLSv1.0");
	expect_scores(&g, 90, 90, 80, 86);
}

static void test_sslv2_is_f(void **state)
{
	struct tls_profile p;
	struct test_cert tc;
	struct grade g;

	(void)state;
	modern_profile(&p);
	modern_cert(&tc);
	p.supported[PV_SSL2] = 1;
	p.ssl2_kinds[0] = K2_RC4_128;
	p.ssl2_kinds[1] = K2_EXP_RC4;
	p.n_ssl2 = 2;
	grade_ok(&p, &tc.an, &g);
	/* first F rule in table order decides; the export kind and RC4 are listed too */
	expect_grade(&g, "F", "proto.sslv2");
	expect_reason(&g, "kex.export", "EXP-RC4-MD5 on SSLv2");
	expect_reason(&g, "cipher.rc4", "RC4-MD5 on SSLv2");
	/* guide table: SSL 2.0 20 -> (100 + 20) / 2; export kex 512 bits -> 40; 40-bit RC4 -> 20 */
	expect_scores(&g, 60, 40, 60, 54);
	assert_int_equal(g.kex_bits, 512);
	assert_int_equal(g.cipher_worst_bits, 40);
}

static void test_sslv3(void **state)
{
	struct tls_profile p;
	struct test_cert tc;
	struct grade g;

	(void)state;
	/* SSL 3.0 only, with CBC suites */
	modern_profile(&p);
	modern_cert(&tc);
	strcpy(tc.leaf.key_type, "RSA");
	tc.leaf.key_bits = 2048;
	for (int v = 0; v < PV_COUNT; v++)
		refuse(&p, (enum proto_version)v);
	SUITES(&p, PV_SSL3, 1, S_RSA_AES128_CBC, S_RSA_3DES);
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "F", "proto.sslv3_only");
	expect_reason(&g, "proto.poodle", "AES128-SHA");
	expect_reason(&g, "proto.sslv3", NULL);
	expect_reason(&g, "proto.no_tls12", "best: SSLv3");
	expect_reason(&g, "kex.no_fs", "no forward-secret suite is accepted on SSLv3");
	no_reason(&g, "proto.tls10_11");
	expect_scores(&g, 80, 90, 80, 83);

	/* SSL 3.0 next to a modern TLS: POODLE caps at C */
	modern_profile(&p);
	SUITES(&p, PV_SSL3, 1, S_RSA_AES128_CBC);
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "C", "proto.poodle");
	expect_reason(&g, "proto.sslv3", NULL);
	/* SSL 3.0 with RC4 only: no POODLE, but SSL 3.0 and RC4 cap at B */
	SUITES(&p, PV_SSL3, 1, S_RSA_RC4_SHA);
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "B", "proto.sslv3");
	no_reason(&g, "proto.poodle");
	expect_reason(&g, "cipher.rc4", "RC4-SHA on SSLv3");
	no_reason(&g, "cipher.rc4_modern");
}

/* ---- key exchange ---- */

static void test_no_forward_secrecy_is_b(void **state)
{
	struct tls_profile p;
	struct test_cert tc;
	struct grade g;

	(void)state;
	modern_profile(&p);
	modern_cert(&tc);
	strcpy(tc.leaf.key_type, "RSA");
	tc.leaf.key_bits = 2048;
	ONLY_TLS12(&p, 1, S_RSA_AES128_GCM, S_RSA_AES256_GCM);
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "B", "kex.no_fs");
	expect_reason(&g, "kex.no_fs", "negotiates AES128-GCM-SHA256 on TLSv1.2");
	no_reason(&g, "cipher.no_aead");
	expect_scores(&g, 100, 90, 90, 93);

	/* RSA first but the client's order: FS clients get ECDHE, no cap */
	ONLY_TLS12(&p, 0, S_RSA_AES128_GCM, S_ECDHE_AES128_GCM);
	grade_ok(&p, &tc.an, &g);
	no_reason(&g, "kex.no_fs");
	expect_grade(&g, "A+", "aplus");
	/* the server's order: capped */
	ONLY_TLS12(&p, 1, S_RSA_AES128_GCM, S_ECDHE_AES128_GCM);
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "B", "kex.no_fs");
}

static void test_weak_dh(void **state)
{
	struct tls_profile p;
	struct test_cert tc;
	struct grade g;

	(void)state;
	modern_profile(&p);
	modern_cert(&tc);
	strcpy(tc.leaf.key_type, "RSA");
	tc.leaf.key_bits = 2048;
	ONLY_TLS12(&p, 1, S_DHE_AES128_GCM);
	p.dh_bits = 1024;
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "B", "kex.dh_weak");
	expect_reason(&g, "kex.dh_weak", "1024-bit");
	assert_int_equal(g.kex_bits, 1024);
	expect_scores(&g, 100, 80, 80, 86);

	p.dh_bits = 512;
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "F", "kex.dh_insecure");
	no_reason(&g, "kex.dh_weak");
	expect_scores(&g, 100, 40, 80, 74);

	p.dh_bits = 2048;
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "A+", "aplus");
	assert_int_equal(g.kex_bits, 2048);

	/* 4096-bit DH and RSA: the only way to a key exchange score of 100 */
	p.dh_bits = 4096;
	tc.leaf.key_bits = 4096;
	grade_ok(&p, &tc.an, &g);
	expect_scores(&g, 100, 100, 80, 92);
}

static void test_weak_group_and_cert_key(void **state)
{
	struct tls_profile p;
	struct test_cert tc;
	struct grade g;

	(void)state;
	modern_profile(&p);
	modern_cert(&tc);
	GROUPS(&p, G_X25519, G_P192);
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "B", "kex.weak_group");
	expect_reason(&g, "kex.weak_group", "secp192r1 (192 bits)");
	/* TLS 1.3's weakest group (P-192, RSA-eq. 1024) sets the key exchange score */
	assert_int_equal(g.kex_bits, 1024);
	assert_int_equal(g.kex_score, 80);

	/* certificate keys */
	modern_profile(&p);
	strcpy(tc.leaf.key_type, "RSA");
	tc.leaf.key_bits = 1024;
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "B", "cert.key_weak");
	expect_reason(&g, "cert.key_weak", "1024-bit RSA key");
	tc.leaf.key_bits = 512;
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "F", "cert.key_insecure");
	assert_int_equal(g.kex_score, 40);
	tc.leaf.key_bits = 2048;
	strcpy(tc.leaf.sig_alg, "md5WithRSAEncryption");
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "F", "cert.md5");
	strcpy(tc.leaf.sig_alg, "sha256WithRSAEncryption");
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "A+", "aplus");
}

static void test_anon_and_export_are_f(void **state)
{
	struct tls_profile p;
	struct test_cert tc;
	struct grade g;

	(void)state;
	/* anonymous: key exchange 0, which zeroes the total */
	modern_profile(&p);
	modern_cert(&tc);
	SUITES(&p, PV_TLS12, 1, S_ECDSA_AES128_GCM, S_ADH_AES128);
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "F", "kex.anon");
	expect_scores(&g, 100, 0, 90, 0);
	assert_string_equal(g.score_letter, "F");
	assert_int_equal(g.kex_bits, 0);

	/* export suites on TLS 1.0 */
	modern_profile(&p);
	SUITES(&p, PV_TLS10, 1, S_ECDHE_AES128_CBC, S_EXP_EDH_DES);
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "F", "kex.export");
	expect_reason(&g, "kex.export", "EXP-EDH-RSA-DES-CBC-SHA on TLSv1.0");
	expect_reason(&g, "proto.tls10_11", NULL);
	assert_int_equal(g.kex_score, 40);
}

/* ---- ciphers ---- */

static void test_rc4(void **state)
{
	struct tls_profile p;
	struct test_cert tc;
	struct grade g;

	(void)state;
	/* RC4 last on TLS 1.2: C (RC4 with a modern protocol), the plain RC4 rule listed too */
	modern_profile(&p);
	modern_cert(&tc);
	SUITES(&p, PV_TLS12, 1, S_ECDSA_AES128_GCM, S_RSA_RC4_SHA);
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "C", "cipher.rc4_modern");
	expect_reason(&g, "cipher.rc4_modern", "RC4 is accepted with TLSv1.2: RC4-SHA");
	expect_reason(&g, "cipher.rc4", NULL);

	/* RC4 on TLS 1.0 only: B (and TLS 1.0's own B) */
	modern_profile(&p);
	SUITES(&p, PV_TLS10, 1, S_ECDHE_AES128_CBC, S_RSA_RC4_SHA);
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "B", "proto.tls10_11");
	expect_reason(&g, "cipher.rc4", "RC4-SHA on TLSv1.0");
	no_reason(&g, "cipher.rc4_modern");
}

static void test_3des(void **state)
{
	struct tls_profile p;
	struct test_cert tc;
	struct grade g;

	(void)state;
	/* 3DES preferred on TLS 1.2: a modern client negotiates it, C */
	modern_profile(&p);
	modern_cert(&tc);
	SUITES(&p, PV_TLS12, 1, S_ECDHE_3DES, S_ECDSA_AES256_GCM);
	SUITES(&p, PV_TLS13, 0, S_TLS13_AES256, S_TLS13_CHACHA);
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "C", "cipher.64bit_modern");
	expect_reason(&g, "cipher.64bit_modern",
		      "ECDHE-RSA-DES-CBC3-SHA (64-bit block cipher, Sweet32) on TLSv1.2");
	no_reason(&g, "cipher.no_aead"); /* TLS 1.3 is the best protocol: AEAD for modern clients */
	/* scored at its nominal 168 bits: 80, as the guide's example */
	assert_int_equal(g.cipher_worst_bits, 168);
	assert_int_equal(g.cipher_score, 90);

	/* 3DES kept at the end: not negotiated, not penalised (the cipher score is unchanged) */
	SUITES(&p, PV_TLS12, 1, S_ECDSA_AES128_GCM, S_ECDSA_AES256_GCM, S_RSA_3DES);
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "A+", "aplus");
	expect_scores(&g, 100, 90, 90, 93);

	/* the client's order with 3DES first in the list: the client still prefers AES */
	SUITES(&p, PV_TLS12, 0, S_RSA_3DES, S_ECDSA_AES128_GCM);
	grade_ok(&p, &tc.an, &g);
	no_reason(&g, "cipher.64bit_modern");

	/* TLS 1.1 counts as modern too */
	modern_profile(&p);
	SUITES(&p, PV_TLS11, 1, S_RSA_3DES, S_ECDHE_AES128_CBC);
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "C", "cipher.64bit_modern");
	expect_reason(&g, "cipher.64bit_modern", "on TLSv1.1");
}

static void test_null_is_f(void **state)
{
	struct tls_profile p;
	struct test_cert tc;
	struct grade g;

	(void)state;
	modern_profile(&p);
	modern_cert(&tc);
	SUITES(&p, PV_TLS12, 1, S_ECDSA_AES128_GCM, S_RSA_NULL_SHA);
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "F", "cipher.null");
	expect_reason(&g, "cipher.null", "NULL-SHA on TLSv1.2");
	/* by score alone it would be a B: (100 + 0) / 2 = 50 for ciphers */
	expect_scores(&g, 100, 90, 50, 77);
	assert_string_equal(g.score_letter, "B");
}

static void test_no_aead_is_b(void **state)
{
	struct tls_profile p;
	struct test_cert tc;
	struct grade g;

	(void)state;
	modern_profile(&p);
	modern_cert(&tc);
	ONLY_TLS12(&p, 1, S_ECDHE_AES128_CBC, S_ECDHE_AES256_CBC);
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "B", "cipher.no_aead");
	expect_reason(&g, "cipher.no_aead", "ECDHE-RSA-AES128-SHA on TLSv1.2, which is not AEAD");
	no_reason(&g, "kex.no_fs");
	/* AEAD accepted but CBC preferred: still capped (clients that can do AEAD do not get it) */
	ONLY_TLS12(&p, 1, S_ECDHE_AES128_CBC, S_ECDHE_AES128_GCM);
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "B", "cipher.no_aead");
	/* client order: they do */
	ONLY_TLS12(&p, 0, S_ECDHE_AES128_CBC, S_ECDHE_AES128_GCM);
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "A+", "aplus");
}

/* ---- vulnerabilities ---- */

static void test_heartbleed_and_compression(void **state)
{
	struct tls_profile p;
	struct test_cert tc;
	struct grade g;

	(void)state;
	modern_profile(&p);
	modern_cert(&tc);
	p.heartbleed = 1;
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "F", "vuln.heartbleed");
	expect_scores(&g, 100, 90, 90, 93);

	modern_profile(&p);
	p.compression = 1;
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "C", "compression.enabled");
	expect_reason(&g, "compression.enabled", "CRIME");

	/* untested vulnerabilities never cap */
	p.compression = PROFILE_UNKNOWN;
	p.heartbleed = PROFILE_UNKNOWN;
	p.secure_reneg = PROFILE_UNKNOWN;
	p.fallback_scsv = PROFILE_UNKNOWN;
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "A+", "aplus");
}

/* ---- trust ---- */

static void test_untrusted_is_t(void **state)
{
	struct tls_profile p;
	struct test_cert tc;
	struct grade g;

	(void)state;
	modern_profile(&p);
	modern_cert(&tc);
	tc.an.verified = 0;
	tc.an.verify_code = 19;
	strcpy(tc.an.verify_error, "self-signed certificate in certificate chain");
	cert_finding(&tc, "chain.untrusted", "the chain does not verify to a trusted root");
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "T", "trust.untrusted");
	assert_string_equal(g.letter_ignoring_trust, "A+");
	expect_reason(&g, "trust.untrusted",
		      "not trusted: self-signed certificate in certificate chain (chain.untrusted)");

	/* expired leaf: T, and the configuration grade underneath */
	modern_cert(&tc);
	tc.an.verified = 0;
	strcpy(tc.an.verify_error, "certificate has expired");
	cert_finding(&tc, "cert.expired", "expired");
	p.hsts = 0;
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "T", "trust.untrusted");
	assert_string_equal(g.letter_ignoring_trust, "A");
	expect_reason(&g, "trust.untrusted", "(cert.expired)");

	/* incomplete chain: T; ignoring trust, the incomplete chain itself caps at B */
	modern_profile(&p);
	modern_cert(&tc);
	tc.an.verified = 0;
	strcpy(tc.an.verify_error, "unable to get local issuer certificate");
	cert_finding(&tc, "chain.incomplete", "the server does not send the intermediate");
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "T", "trust.untrusted");
	assert_string_equal(g.letter_ignoring_trust, "B");
	expect_reason(&g, "chain.incomplete", "intermediate");
}

static void test_hostname_mismatch_is_m(void **state)
{
	struct tls_profile p;
	struct test_cert tc;
	struct grade g;

	(void)state;
	modern_profile(&p);
	modern_cert(&tc);
	tc.an.hostname_ok = 0;
	cert_finding(&tc, "cert.hostname_mismatch",
		     "certificate \"www.example.test\" (DNS:www.example.test) does not cover other.test");
	p.supported[PV_TLS10] = 1; /* the grade underneath is B */
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "M", "trust.hostname");
	assert_string_equal(g.letter_ignoring_trust, "B");
	expect_reason(&g, "trust.hostname", "does not cover other.test");

	/* both: T first, both listed */
	tc.an.verified = 0;
	grade_ok(&p, &tc.an, &g);
	expect_grade(&g, "T", "trust.untrusted");
	expect_reason(&g, "trust.hostname", NULL);
	expect_reason(&g, "trust.untrusted", "verification failed");

	/* no name to check: no M */
	modern_cert(&tc);
	tc.an.hostname_checked = 0;
	tc.an.hostname_ok = 0;
	grade_ok(&p, &tc.an, &g);
	assert_string_equal(g.letter, "B");
}

static void test_config_only(void **state)
{
	struct tls_profile p;
	struct grade g;

	(void)state;
	/* no certificate facts: no T or M; ECDHE parameters still give the key exchange */
	modern_profile(&p);
	grade_ok(&p, NULL, &g);
	expect_grade(&g, "A+", "aplus");
	expect_scores(&g, 100, 90, 90, 93);
	assert_int_equal(g.kex_assumed, 0);

	/* RSA key exchange only and no certificate: 2048 bits assumed, and said so */
	ONLY_TLS12(&p, 0, S_RSA_AES128_GCM);
	grade_ok(&p, NULL, &g);
	assert_int_equal(g.kex_assumed, 1);
	assert_int_equal(g.kex_bits, 2048);
	expect_grade(&g, "B", "kex.no_fs");

	/* an analysis without certificates counts as none */
	{
		struct analysis an;

		memset(&an, 0, sizeof(an));
		modern_profile(&p);
		grade_ok(&p, &an, &g);
		expect_grade(&g, "A+", "aplus");
	}
}

static void test_ungradable(void **state)
{
	struct tls_profile p;
	struct grade g;

	(void)state;
	profile_init(&p);
	assert_int_equal(grade_compute(&p, NULL, &g), -1);
	assert_string_equal(g.letter, "");
	for (int v = 0; v < PV_COUNT; v++)
		refuse(&p, (enum proto_version)v);
	assert_int_equal(grade_compute(&p, NULL, &g), -1);
	/* supported, but no suite known (or only unknown ids) */
	p.supported[PV_TLS12] = 1;
	assert_int_equal(grade_compute(&p, NULL, &g), -1);
	SUITES(&p, PV_TLS12, 1, 0xfefe, 0xfeff);
	assert_int_equal(grade_compute(&p, NULL, &g), -1);
	assert_int_equal(grade_compute(NULL, NULL, &g), -1);
	/* hostile counts are clamped */
	modern_profile(&p);
	p.suites[PV_TLS12].n = 1u << 20;
	p.n_groups = 1u << 20;
	p.n_ssl2 = 1u << 20;
	assert_int_equal(grade_compute(&p, NULL, &g), 0);
}

/* ---- the rule table and its documentation ---- */

static char *read_doc(void)
{
	static const char *const paths[] = { "doc/grading.md", "../doc/grading.md",
		"../../doc/grading.md", "../../../doc/grading.md" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		FILE *f = fopen(paths[i], "r");
		char *buf;
		size_t n;

		if (f == NULL)
			continue;
		buf = calloc(1, 1 << 16);
		assert_non_null(buf);
		n = fread(buf, 1, (1 << 16) - 1, f);
		fclose(f);
		buf[n] = '\0';
		return buf;
	}
	return NULL;
}

static void test_rule_table_documented(void **state)
{
	static const char *const caps[] = { "F", "C", "B", "A", "A-", "T", "M" };
	char *doc = read_doc();
	size_t n = 0;

	(void)state;
	if (doc == NULL)
		fail_msg("doc/grading.md not found (run from the repository root)");
	for (const struct grade_rule_desc *d; (d = grade_rule(n)) != NULL; n++) {
		char needle[64];
		int cap_ok = 0;

		assert_true(strlen(d->title) > 0);
		assert_true(strlen(d->source) > 10);
		for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++)
			cap_ok |= strcmp(d->cap, caps[c]) == 0;
		assert_true(cap_ok);
		for (size_t k = 0; k < n; k++)
			assert_string_not_equal(d->id, grade_rule(k)->id);
		snprintf(needle, sizeof(needle), "`%s`", d->id);
		if (strstr(doc, needle) == NULL)
			fail_msg("doc/grading.md does not document rule %s", d->id);
	}
	assert_true(n >= 25);
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modern_hsts_is_a_plus),
		cmocka_unit_test(test_no_hsts_is_a),
		cmocka_unit_test(test_insecure_renegotiation),
		cmocka_unit_test(test_tls10_is_b),
		cmocka_unit_test(test_sslv2_is_f),
		cmocka_unit_test(test_sslv3),
		cmocka_unit_test(test_no_forward_secrecy_is_b),
		cmocka_unit_test(test_weak_dh),
		cmocka_unit_test(test_weak_group_and_cert_key),
		cmocka_unit_test(test_anon_and_export_are_f),
		cmocka_unit_test(test_rc4),
		cmocka_unit_test(test_3des),
		cmocka_unit_test(test_null_is_f),
		cmocka_unit_test(test_no_aead_is_b),
		cmocka_unit_test(test_heartbleed_and_compression),
		cmocka_unit_test(test_untrusted_is_t),
		cmocka_unit_test(test_hostname_mismatch_is_m),
		cmocka_unit_test(test_config_only),
		cmocka_unit_test(test_ungradable),
		cmocka_unit_test(test_rule_table_documented),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
