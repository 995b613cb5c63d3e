/*
 * test_suites.c: the cipher-suite and named-group registry (core/suites.c).
 *
 * Three kinds of checks:
 *   - shape: counts, order (suite_by_id bisects), unique ids and names, the terminator;
 *   - the linked OpenSSL as an independent witness: every suite it knows at security level 0
 *     (ALL:COMPLEMENTOFALL plus all five TLS 1.3 suites) is in the table with the same IANA
 *     name, OpenSSL name, key exchange, authentication, cipher, strength, AEAD-ness and lowest
 *     version; every group it can name has the same name here;
 *   - the name as a second witness for the rest: each entry's flags and weakness are derived
 *     again from its IANA name ("_anon_", "EXPORT", "_RC4_", "GCM", ...) and must agree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>

#include "core/suites.h"

static size_t n_entries(void)
{
	size_t n = 0;

	while (suite_table[n].name != NULL)
		n++;
	return n;
}

static void test_shape(void **state)
{
	size_t n = n_entries(), n_tls = 0, n_ssl2 = 0, n_scsv = 0, n_13 = 0, n_export = 0;

	(void)state;
	assert_int_equal(suite_count(), n);
	for (size_t i = 0; i < n; i++) {
		const struct suite *s = &suite_table[i];

		if (s->flags & SUITE_SSL2) {
			n_ssl2++;
			assert_int_equal(s->id, 0);
			assert_true(s->ssl2 != 0);
			assert_true(strncmp(s->name, "SSL_CK_", 7) == 0);
			assert_int_equal(s->min_version, 0x0002);
			continue;
		}
		assert_int_equal(n_ssl2, 0);          /* SSLv2 kinds come last */
		n_tls++;
		assert_int_equal(s->ssl2, 0);
		assert_true(strncmp(s->name, "TLS_", 4) == 0);
		if (i > 0)
			assert_true(suite_table[i - 1].id < s->id);   /* sorted, unique */
		n_scsv += (s->flags & SUITE_SCSV) != 0;
		n_13 += (s->flags & SUITE_TLS13) != 0;
		n_export += (s->flags & SUITE_EXPORT) != 0;
		for (size_t k = 0; k < i; k++)
			assert_string_not_equal(suite_table[k].name, s->name);
	}
	/* The IANA registry: 350 assigned values (2 of them SCSVs), 13 of them TLS 1.3 suites
	 * (5 of RFC 8446, 2 SM4, 2 integrity-only, 4 GOST MGM), 15 EXPORT suites (+ 2 SSLv2). */
	assert_int_equal(n_tls, 350);
	assert_int_equal(n_ssl2, 7);
	assert_int_equal(n_scsv, 2);
	assert_int_equal(n_13, 13);
	assert_int_equal(n_export, 15);
	assert_null(suite_table[n].openssl);
}

static void test_lookups(void **state)
{
	const struct suite *s;

	(void)state;
	s = suite_by_id(0xc02f);
	assert_non_null(s);
	assert_string_equal(s->name, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	assert_string_equal(s->openssl, "ECDHE-RSA-AES128-GCM-SHA256");
	assert_int_equal(s->kex, KX_ECDHE);
	assert_int_equal(s->auth, AU_RSA);
	assert_int_equal(s->enc, EN_AES_GCM);
	assert_int_equal(s->bits, 128);
	assert_int_equal(s->flags, SUITE_AEAD | SUITE_FS);
	assert_int_equal(s->min_version, 0x0303);

	s = suite_by_id(0x0000);   /* not an SSLv2 kind, although those have id 0 */
	assert_non_null(s);
	assert_string_equal(s->name, "TLS_NULL_WITH_NULL_NULL");
	s = suite_by_id(0xd005);   /* the last one */
	assert_non_null(s);
	assert_string_equal(s->name, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256");
	s = suite_by_id(0x000a);
	assert_string_equal(s->openssl, "DES-CBC3-SHA");
	assert_int_equal(s->bits, 112);
	assert_int_equal(s->min_version, 0x0300);
	s = suite_by_id(0x0003);
	assert_string_equal(s->name, "TLS_RSA_EXPORT_WITH_RC4_40_MD5");
	assert_int_equal(s->bits, 40);
	assert_int_equal(s->flags, SUITE_EXPORT);
	s = suite_by_id(0x1303);
	assert_int_equal(s->kex, KX_TLS13);
	assert_int_equal(s->flags, SUITE_AEAD | SUITE_FS | SUITE_TLS13);
	assert_int_equal(s->min_version, 0x0304);
	s = suite_by_id(0x00ff);
	assert_string_equal(s->name, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV");
	assert_int_equal(s->flags, SUITE_SCSV);
	assert_string_equal(suite_by_id(0x5600)->name, "TLS_FALLBACK_SCSV");
	assert_int_equal(suite_by_id(0x00a7)->auth, AU_ANON);
	assert_int_equal(suite_by_id(0x00a7)->flags, SUITE_AEAD);   /* anon: not forward secret */

	/* Unassigned or reserved values. */
	assert_null(suite_by_id(0x001c));
	assert_null(suite_by_id(0x0047));
	assert_null(suite_by_id(0x0080));
	assert_null(suite_by_id(0x1306));
	assert_null(suite_by_id(0xcc13));
	assert_null(suite_by_id(0xd004));
	assert_null(suite_by_id(0xfeff));
	assert_null(suite_by_id(0xffff));
	assert_null(suite_by_id(0x0a0a));   /* GREASE */

	static const struct { uint32_t kind; const char *name, *openssl; int bits; } v2[] = {
		{ 0x010080, "SSL_CK_RC4_128_WITH_MD5", "RC4-MD5", 128 },
		{ 0x020080, "SSL_CK_RC4_128_EXPORT40_WITH_MD5", "EXP-RC4-MD5", 40 },
		{ 0x030080, "SSL_CK_RC2_128_CBC_WITH_MD5", "RC2-CBC-MD5", 128 },
		{ 0x040080, "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5", "EXP-RC2-CBC-MD5", 40 },
		{ 0x050080, "SSL_CK_IDEA_128_CBC_WITH_MD5", "IDEA-CBC-MD5", 128 },
		{ 0x060040, "SSL_CK_DES_64_CBC_WITH_MD5", "DES-CBC-MD5", 56 },
		{ 0x0700c0, "SSL_CK_DES_192_EDE3_CBC_WITH_MD5", "DES-CBC3-MD5", 112 },
	};
	for (size_t i = 0; i < sizeof(v2) / sizeof(v2[0]); i++) {
		s = suite_by_ssl2(v2[i].kind);
		assert_non_null(s);
		assert_string_equal(s->name, v2[i].name);
		assert_string_equal(s->openssl, v2[i].openssl);
		assert_int_equal(s->bits, v2[i].bits);
		assert_true(s->flags & SUITE_SSL2);
	}
	assert_null(suite_by_ssl2(0x080080));
	assert_null(suite_by_ssl2(0));
	assert_null(suite_by_ssl2(0x00c02f));
}

/* ---- OpenSSL as a witness ---- */

static enum suite_kex kex_of_nid(int nid)
{
	switch (nid) {
	case NID_kx_rsa: return KX_RSA;
	case NID_kx_ecdhe: return KX_ECDHE;
	case NID_kx_dhe: return KX_DHE;
	case NID_kx_ecdhe_psk: return KX_ECDHE_PSK;
	case NID_kx_dhe_psk: return KX_DHE_PSK;
	case NID_kx_rsa_psk: return KX_RSA_PSK;
	case NID_kx_psk: return KX_PSK;
	case NID_kx_srp: return KX_SRP;
	case NID_kx_any: return KX_TLS13;
	default: fail_msg("kx nid %d", nid); return KX_NULL;
	}
}

static enum suite_auth auth_of_nid(int nid)
{
	switch (nid) {
	case NID_auth_rsa: return AU_RSA;
	case NID_auth_ecdsa: return AU_ECDSA;
	case NID_auth_dss: return AU_DSS;
	case NID_auth_psk: return AU_PSK;
	case NID_auth_srp: return AU_PSK;     /* SRP_SHA without a certificate: a shared secret */
	case NID_auth_null: return AU_ANON;
	case NID_auth_any: return AU_TLS13;
	default: fail_msg("auth nid %d", nid); return AU_NULL;
	}
}

static enum suite_enc enc_of_nid(int nid)
{
	switch (nid) {
	case NID_undef: return EN_NULL;
	case NID_aes_128_cbc: case NID_aes_256_cbc: return EN_AES_CBC;
	case NID_aes_128_gcm: case NID_aes_256_gcm: return EN_AES_GCM;
	case NID_aes_128_ccm: case NID_aes_256_ccm: return EN_AES_CCM;
	case NID_camellia_128_cbc: case NID_camellia_256_cbc: return EN_CAMELLIA_CBC;
	case NID_aria_128_gcm: case NID_aria_256_gcm: return EN_ARIA_GCM;
	case NID_chacha20_poly1305: return EN_CHACHA20;
	case NID_seed_cbc: return EN_SEED;
	case NID_des_ede3_cbc: return EN_3DES;
	case NID_des_cbc: return EN_DES;
	case NID_rc4: return EN_RC4;
	case NID_idea_cbc: return EN_IDEA;
	default: fail_msg("cipher nid %d", nid); return EN_NULL;
	}
}

static uint16_t version_of(const char *v)
{
	if (strcmp(v, "SSLv3") == 0)
		return 0x0300;
	if (strcmp(v, "TLSv1.0") == 0)
		return 0x0301;
	if (strcmp(v, "TLSv1.2") == 0)
		return 0x0303;
	if (strcmp(v, "TLSv1.3") == 0)
		return 0x0304;
	fail_msg("version %s", v);
	return 0;
}

static void test_every_openssl_suite(void **state)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());
	STACK_OF(SSL_CIPHER) *sk;
	int n;

	(void)state;
	assert_non_null(ctx);
	SSL_CTX_set_security_level(ctx, 0);
	assert_int_equal(SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL:@SECLEVEL=0"), 1);
	assert_int_equal(SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
	                 "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256"), 1);
	sk = SSL_CTX_get_ciphers(ctx);
	n = sk_SSL_CIPHER_num(sk);
	assert_true(n >= 150);   /* Debian's 3.0.19: 160 */
	for (int i = 0; i < n; i++) {
		const SSL_CIPHER *c = sk_SSL_CIPHER_value(sk, i);
		uint16_t id = SSL_CIPHER_get_protocol_id(c);
		const struct suite *s = suite_by_id(id);
		int alg_bits;

		if (s == NULL)
			fail_msg("0x%04x %s is not in the table", id, SSL_CIPHER_get_name(c));
		assert_string_equal(s->name, SSL_CIPHER_standard_name(c));
		assert_non_null(s->openssl);
		assert_string_equal(s->openssl, SSL_CIPHER_get_name(c));
		assert_int_equal(s->kex, kex_of_nid(SSL_CIPHER_get_kx_nid(c)));
		assert_int_equal(s->auth, auth_of_nid(SSL_CIPHER_get_auth_nid(c)));
		assert_int_equal(s->enc, enc_of_nid(SSL_CIPHER_get_cipher_nid(c)));
		assert_int_equal(s->bits, SSL_CIPHER_get_bits(c, &alg_bits));
		assert_int_equal((s->flags & SUITE_AEAD) != 0, SSL_CIPHER_is_aead(c) && s->enc != EN_NULL);
		assert_int_equal(s->min_version, version_of(SSL_CIPHER_get_version(c)));
		assert_int_equal((s->flags & SUITE_TLS13) != 0, id >> 8 == 0x13);
	}
	SSL_CTX_free(ctx);
}

/* ---- the name as a witness ---- */

static int has(const char *s, const char *sub)
{
	return strstr(s, sub) != NULL;
}

static void test_flags_match_names(void **state)
{
	(void)state;
	for (const struct suite *s = suite_table; s->name != NULL; s++) {
		const char *n = s->name;
		int anon = has(n, "_anon_");
		int tls13 = (s->flags & SUITE_TLS13) != 0;
		int eph = has(n, "DHE_") || has(n, "_DHE_") || has(n, "SRP_") || has(n, "ECCPWD") || tls13;
		int aead = has(n, "GCM") || has(n, "CCM") || has(n, "POLY1305") || has(n, "MGM");

		if (s->flags & SUITE_SCSV) {
			assert_true(has(n, "SCSV"));
			continue;
		}
		assert_int_equal((s->flags & SUITE_EXPORT) != 0, has(n, "EXPORT"));
		assert_int_equal((s->flags & SUITE_AEAD) != 0, aead);
		assert_int_equal((s->flags & SUITE_FS) != 0, eph && !anon);
		assert_int_equal(s->auth == AU_ANON, anon);
		if (tls13) {
			assert_int_equal(s->min_version, 0x0304);
			assert_int_equal(s->kex, KX_TLS13);
		} else if (!(s->flags & SUITE_SSL2)) {
			assert_true(s->min_version >= 0x0300 && s->min_version <= 0x0303);
			/* Suites with a SHA-256/384 MAC or an AEAD need TLS 1.2, but for PSK (RFC 5487). */
			if (aead)
				assert_int_equal(s->min_version, 0x0303);
		}
		if (has(n, "_WITH_NULL_") || s->enc == EN_NULL)
			assert_int_equal(s->bits, 0);
		if (has(n, "_256_") || has(n, "CHACHA20"))
			assert_int_equal(s->bits, 256);
		if (has(n, "_128_") && !has(n, "RC4_128") && !has(n, "RC2_128"))
			assert_int_equal(s->bits, has(n, "EDE3") ? 112 : 128);
	}
}

static void test_weak(void **state)
{
	static const struct { uint16_t id; const char *reason; } cases[] = {
		{ 0x0000, "NULL encryption" },
		{ 0x0002, "NULL encryption" },
		{ 0xc0b4, "NULL encryption" },          /* TLS_SHA256_SHA256: integrity only */
		{ 0x0018, "anonymous (no authentication)" },   /* anon before RC4 */
		{ 0x0034, "anonymous (no authentication)" },
		{ 0x00a6, "anonymous (no authentication)" },
		{ 0xc018, "anonymous (no authentication)" },
		{ 0x0003, "EXPORT (40-bit)" },
		{ 0x0014, "EXPORT (40-bit)" },
		{ 0x0028, "EXPORT (40-bit)" },
		{ 0x0009, "DES (56-bit)" },
		{ 0x0015, "DES (56-bit)" },
		{ 0x000a, "3DES (64-bit block)" },
		{ 0xc012, "3DES (64-bit block)" },
		{ 0x0005, "RC4" },
		{ 0xc011, "RC4" },
		{ 0xc02f, NULL },
		{ 0x1301, NULL },
		{ 0x0007, NULL },                        /* IDEA: old, not on the list */
		{ 0x0096, NULL },                        /* SEED */
		{ 0x0035, NULL },
		{ 0x00ff, NULL },                        /* an SCSV is no suite */
		{ 0x5600, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct suite *s = suite_by_id(cases[i].id);

		assert_non_null(s);
		if (cases[i].reason == NULL) {
			assert_null(suite_weak_reason(s));
			assert_int_equal(suite_is_weak(s), 0);
		} else {
			assert_string_equal(suite_weak_reason(s), cases[i].reason);
			assert_int_equal(suite_is_weak(s), 1);
		}
	}
	assert_string_equal(suite_weak_reason(suite_by_ssl2(0x030080)), "RC2");
	assert_string_equal(suite_weak_reason(suite_by_ssl2(0x040080)), "EXPORT (40-bit)");
	assert_null(suite_weak_reason(suite_by_ssl2(0x050080)));
	assert_null(suite_weak_reason(NULL));
	assert_int_equal(suite_is_weak(NULL), 0);

	/* Every entry: weak exactly when its name says NULL, anon, EXPORT, DES, 3DES, RC4 or RC2. */
	for (const struct suite *s = suite_table; s->name != NULL; s++) {
		const char *n = s->name;
		int weak = !(s->flags & SUITE_SCSV) &&
		           (has(n, "_NULL") || has(n, "SHA256_SHA256") || has(n, "SHA384_SHA384") ||
		            has(n, "_anon_") || has(n, "EXPORT") || has(n, "_DES") || has(n, "3DES") ||
		            has(n, "_RC4_") || has(n, "_RC2_"));

		if (suite_is_weak(s) != weak)
			fail_msg("%s: weak %d, expected %d", n, suite_is_weak(s), weak);
	}
}

static void test_groups(void **state)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());
	SSL *ssl = SSL_new(ctx);
	const struct named_group *g;
	int named = 0;

	(void)state;
	assert_non_null(ssl);
	g = group_by_id(0x001d);
	assert_non_null(g);
	assert_string_equal(g->name, "x25519");
	assert_int_equal(g->bits, 255);
	assert_int_equal(g->ffdhe, 0);
	g = group_by_id(0x0100);
	assert_string_equal(g->name, "ffdhe2048");
	assert_int_equal(g->bits, 2048);
	assert_int_equal(g->ffdhe, 1);
	assert_string_equal(group_by_id(0x0017)->name, "secp256r1");
	assert_int_equal(group_by_id(0x0013)->bits, 192);
	assert_string_equal(group_by_id(0x001f)->name, "brainpoolP256r1tls13");
	assert_string_equal(group_by_id(0x11ec)->name, "X25519MLKEM768");
	assert_null(group_by_id(0));
	assert_null(group_by_id(0x002a));
	assert_null(group_by_id(0x0105));
	assert_null(group_by_id(0x0a0a));
	/* Every IANA curve 1..41 and ffdhe group is there, ids unique and increasing. */
	for (uint16_t id = 1; id <= 0x29; id++)
		assert_non_null(group_by_id(id));
	for (uint16_t id = 0x100; id <= 0x104; id++)
		assert_non_null(group_by_id(id));
	for (g = group_table; g->name != NULL; g++) {
		const char *theirs = SSL_group_to_name(ssl, (int)(TLSEXT_nid_unknown | g->id));

		if (g != group_table)
			assert_true(g[-1].id < g->id);
		assert_int_equal(g->ffdhe, g->id >= 0x100 && g->id <= 0x104);
		if (theirs != NULL) {
			assert_string_equal(g->name, theirs);
			named++;
		}
	}
	assert_true(named >= 35);   /* OpenSSL 3.0 names 1..30 and ffdhe2048..8192 */
	SSL_free(ssl);
	SSL_CTX_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_every_openssl_suite),
		cmocka_unit_test(test_flags_match_names),
		cmocka_unit_test(test_weak),
		cmocka_unit_test(test_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
