/*
 * test_analyzer.c: unit tests of analyzer/ (parsing, policy, verification, every check, caches).
 *
 * A test PKI is generated in-process (certgen.h) at group setup: a trusted root and intermediate
 * (organisation "Certsweep Test PKI"), an untrusted root and intermediate ("Elsewhere Ltd"), and a
 * trust file holding the trusted root. Every analysis runs at the fixed time AT (2026-01-01) so
 * validity windows are exact. Each finding is asserted present on a chain built to have the
 * problem AND absent on the clean chain, and the combinations that must give one finding only
 * (expired leaf, self-signed leaf, expired intermediate) are asserted explicitly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the above first */
#include <cmocka.h>

#include <openssl/x509_vfy.h>

#include "analyzer/analyzer.h"
#include "analyzer/hmap.h"
#include "analyzer/internal.h"
#include "core/observation.h"
#include "tests/unit/certgen.h"

#define DAY 86400L
#define AT ((time_t)1767225600) /* 2026-01-01 00:00:00 UTC */
#define HOST "www.example.test"
#define TEST_ORG "Certsweep Test PKI"

#define CHAIN(...) (const struct cg_cert *const[]){ __VA_ARGS__ }, \
	(sizeof((const struct cg_cert *const[]){ __VA_ARGS__ }) / sizeof(void *))

struct pki {
	struct cg_cert root, inter, leaf;          /* trusted, clean */
	struct cg_cert other_root, other_inter;    /* not in the trust store */
	char trust[64];                            /* PEM file with root */
	struct ca_policy *policy;                  /* matches TEST_ORG */
	struct analyzer *az;                       /* trust + policy, at AT */
};

static struct cg_spec leaf_spec(const struct cg_cert *issuer)
{
	return (struct cg_spec){
		.cn = HOST,
		.issuer = issuer,
		.not_before = AT - 30 * DAY,
		.not_after = AT + 60 * DAY,
		.san = "DNS:" HOST ",DNS:*.api.example.test,IP:127.0.0.1,IP:::1",
	};
}

static struct analyzer *new_analyzer(const char *trust, const struct ca_policy *policy, time_t at)
{
	struct analyzer_config cfg = {
		.ca_file = trust,
		.policy = (struct ca_policy *)(uintptr_t)policy,
		.at = at,
	};
	char err[256] = "";
	struct analyzer *az = analyzer_new(&cfg, err, sizeof(err));

	if (az == NULL)
		print_error("analyzer_new: %s\n", err);
	return az;
}

static int group_setup(void **state)
{
	struct pki *p = calloc(1, sizeof(*p));
	const struct cg_cert *trusted[1];

	if (p == NULL)
		return -1;
	if (cg_make(&(struct cg_spec){ .cn = "Test Root CA", .ca = 1, .not_before = AT - 2000 * DAY,
				       .not_after = AT + 5000 * DAY }, &p->root) ||
	    cg_make(&(struct cg_spec){ .cn = "Test Intermediate CA", .ca = 1, .issuer = &p->root,
				       .not_before = AT - 1000 * DAY, .not_after = AT + 3000 * DAY },
		    &p->inter) ||
	    cg_make(&(struct cg_spec){ .cn = "Other Root", .org = "Elsewhere Ltd", .ca = 1,
				       .not_before = AT - 2000 * DAY, .not_after = AT + 5000 * DAY },
		    &p->other_root) ||
	    cg_make(&(struct cg_spec){ .cn = "Other Intermediate", .org = "Elsewhere Ltd", .ca = 1,
				       .issuer = &p->other_root, .not_before = AT - 1000 * DAY,
				       .not_after = AT + 3000 * DAY }, &p->other_inter) ||
	    cg_make(&(struct cg_spec){ .cn = HOST, .issuer = &p->inter, .not_before = AT - 30 * DAY,
				       .not_after = AT + 60 * DAY,
				       .san = "DNS:" HOST ",DNS:*.api.example.test,IP:127.0.0.1,IP:::1" },
		    &p->leaf))
		return -1;
	trusted[0] = &p->root;
	if (cg_write_pem(trusted, 1, p->trust) != 0)
		return -1;
	p->policy = ca_policy_new("Test PKI");
	if (p->policy == NULL || ca_policy_add_pattern(p->policy, TEST_ORG) != 0)
		return -1;
	p->az = new_analyzer(p->trust, p->policy, AT);
	if (p->az == NULL)
		return -1;
	*state = p;
	return 0;
}

static int group_teardown(void **state)
{
	struct pki *p = *state;

	analyzer_free(p->az);
	ca_policy_free(p->policy);
	unlink(p->trust);
	cg_free(&p->root);
	cg_free(&p->inter);
	cg_free(&p->leaf);
	cg_free(&p->other_root);
	cg_free(&p->other_inter);
	free(p);
	return 0;
}

static struct observation *make_obs(const char *sni, const char *host,
				    const struct cg_cert *const *certs, size_t n)
{
	struct observation *o = obs_new();

	assert_non_null(o);
	strcpy(o->ip, "127.0.0.1");
	o->port = 443;
	o->status = EP_OK;
	assert_int_equal(obs_set_str(&o->sni, sni), 0);
	assert_int_equal(obs_set_str(&o->host, host), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(cg_obs_add(o, certs[i]), 0);
	return o;
}

static struct analysis *run_host(struct analyzer *az, const char *sni, const char *host,
				 const struct cg_cert *const *certs, size_t n)
{
	struct observation *o = make_obs(sni, host, certs, n);
	struct analysis *an = analyze(az, o);

	assert_non_null(an);
	obs_free(o); /* the analysis must not point into the observation */
	return an;
}

static struct analysis *run(struct analyzer *az, const struct cg_cert *const *certs, size_t n)
{
	return run_host(az, HOST, NULL, certs, n);
}

static size_t count(const struct analysis *an, const char *id)
{
	size_t k = 0;

	for (size_t i = 0; i < an->n_findings; i++)
		k += strcmp(an->findings[i].id, id) == 0;
	return k;
}

static const struct finding *find(const struct analysis *an, const char *id)
{
	for (size_t i = 0; i < an->n_findings; i++)
		if (strcmp(an->findings[i].id, id) == 0)
			return &an->findings[i];
	return NULL;
}

static void dump(const struct analysis *an)
{
	for (size_t i = 0; i < an->n_findings; i++)
		print_message("  %s [%s] @%d: %s\n", an->findings[i].id,
			      severity_name(an->findings[i].severity), an->findings[i].cert_pos,
			      an->findings[i].message);
}

/* Asserts the finding is there exactly once and returns it. */
static const struct finding *expect(const struct analysis *an, const char *id)
{
	const struct finding *f;

	if (count(an, id) != 1) {
		print_error("expected exactly one %s, got %zu; findings:\n", id, count(an, id));
		dump(an);
	}
	assert_int_equal(count(an, id), 1);
	f = find(an, id);
	if (f == NULL)
		abort(); /* not reached: tells the compiler f is set */
	return f;
}

static void expect_none(const struct analysis *an, const char *id)
{
	if (count(an, id) != 0) {
		print_error("unexpected %s; findings:\n", id);
		dump(an);
	}
	assert_int_equal(count(an, id), 0);
}

static void expect_only(const struct analysis *an, const char *const *ids, size_t n)
{
	if (an->n_findings != n) {
		print_error("expected %zu findings, got %zu:\n", n, an->n_findings);
		dump(an);
	}
	assert_int_equal(an->n_findings, n);
	for (size_t i = 0; i < n; i++)
		expect(an, ids[i]);
}

/* ------------------------------------------------------------------------------------------ */

static void test_severity_names(void **state)
{
	(void)state;
	assert_string_equal(severity_name(SEV_CRITICAL), "critical");
	assert_string_equal(severity_name(SEV_HIGH), "high");
	assert_string_equal(severity_name(SEV_MEDIUM), "medium");
	assert_string_equal(severity_name(SEV_LOW), "low");
	assert_string_equal(severity_name(SEV_INFO), "info");
	for (int s = SEV_INFO; s <= SEV_CRITICAL; s++)
		assert_int_equal(severity_from_name(severity_name(s)), s);
	assert_int_equal(severity_from_name("HIGH"), SEV_HIGH);
	assert_int_equal(severity_from_name("severe"), -1);
	assert_int_equal(severity_from_name(""), -1);
	assert_int_equal(severity_from_name(NULL), -1);
}

static void test_registry(void **state)
{
	static const char *const ids[] = {
		"cert.expired", "cert.expiring", "cert.not_yet_valid", "cert.self_signed",
		"cert.hostname_mismatch", "cert.weak_key", "cert.weak_signature",
		"cert.lifetime_too_long", "chain.untrusted", "chain.incomplete", "chain.order",
		"chain.expired_intermediate", "issuer.non_preferred",
	};
	size_t n = 0;

	(void)state;
	for (; cert_checks[n] != NULL; n++) {
		const struct check *c = cert_checks[n];

		assert_non_null(c->id);
		assert_non_null(c->title);
		assert_non_null(c->fix);
		assert_non_null(c->run);
		assert_true(strlen(c->fix) > 20);
		assert_true(c->severity >= SEV_INFO && c->severity <= SEV_CRITICAL);
		for (size_t j = 0; j < n; j++)
			assert_string_not_equal(cert_checks[j]->id, c->id);
	}
	assert_int_equal(n, sizeof(ids) / sizeof(ids[0]));
	for (size_t i = 0; i < n; i++) {
		int found = 0;

		for (size_t j = 0; j < n; j++)
			found |= strcmp(cert_checks[j]->id, ids[i]) == 0;
		assert_true(found);
	}
}

static void test_siphash_vector(void **state)
{
	unsigned char key[16], msg[15];

	(void)state;
	for (int i = 0; i < 16; i++)
		key[i] = (unsigned char)i;
	for (int i = 0; i < 15; i++)
		msg[i] = (unsigned char)i;
	/* Reference vectors from the SipHash paper's implementation. */
	assert_true(az_siphash24(key, msg, 0) == 0x726fdb47dd0e0e31ULL);
	assert_true(az_siphash24(key, msg, 15) == 0xa129ca6149be45e5ULL);
}

/* ------------------------------------------------------------------------------------------ */

static struct certinfo *parse_cert(const struct cg_cert *c)
{
	size_t len;
	unsigned char *der = cg_der(c, &len);
	char err[128] = "";
	struct certinfo *ci;

	assert_non_null(der);
	ci = certinfo_parse(der, len, err, sizeof(err));
	if (ci == NULL)
		print_error("certinfo_parse: %s\n", err);
	assert_non_null(ci);
	assert_int_equal(ci->der_len, len);
	assert_memory_equal(ci->der, der, len);
	OPENSSL_free(der);
	return ci;
}

static void test_parse_fields(void **state)
{
	struct pki *p = *state;
	struct cg_spec s = leaf_spec(&p->inter);
	unsigned char sha256[32];
	char hex[65];
	struct cg_cert c;
	struct certinfo *ci;

	s.cn = "Z\xc3\xbcrich Stra\xc3\x9f" "e \xe2\x84\xa2";   /* "Zürich Straße ™" */
	s.org = "Acme, Inc.";
	s.san = "DNS:www.example.test,IP:127.0.0.1,IP:::1,email:pki@example.test";
	s.aia = "OCSP;URI:http://ocsp.example.test,caIssuers;URI:http://ca.example.test/i.crt";
	s.crl = "URI:http://crl.example.test/ca.crl";
	s.eku = "serverAuth,clientAuth";
	s.ku = "critical,digitalSignature,keyAgreement";
	s.sct = 1;
	s.serial = 0x1234abcd;
	assert_int_equal(cg_make(&s, &c), 0);
	ci = parse_cert(&c);

	assert_string_equal(ci->subject, "CN=Z\xc3\xbcrich Stra\xc3\x9f" "e \xe2\x84\xa2,O=Acme\\, Inc.");
	assert_string_equal(ci->subject_cn, "Z\xc3\xbcrich Stra\xc3\x9f" "e \xe2\x84\xa2");
	assert_string_equal(ci->issuer, "CN=Test Intermediate CA,O=" TEST_ORG);
	assert_string_equal(ci->issuer_cn, "Test Intermediate CA");
	assert_string_equal(ci->issuer_org, TEST_ORG);
	assert_string_equal(ci->serial_hex, "1234abcd");
	assert_int_equal(ci->n_sans, 4);
	assert_string_equal(ci->sans[0], "DNS:www.example.test");
	assert_string_equal(ci->sans[1], "IP:127.0.0.1");
	assert_string_equal(ci->sans[2], "IP:::1");
	assert_string_equal(ci->sans[3], "email:pki@example.test");
	assert_true(ci->not_before == AT - 30 * DAY);
	assert_true(ci->not_after == AT + 60 * DAY);
	assert_string_equal(ci->key_type, "EC");
	assert_int_equal(ci->key_bits, 256);
	assert_string_equal(ci->curve, "prime256v1");
	assert_string_equal(ci->sig_alg, "ecdsa-with-SHA256");
	assert_int_equal(ci->sig_weak, 0);
	assert_string_equal(ci->key_usage, "digitalSignature,keyAgreement");
	assert_string_equal(ci->ext_key_usage, "serverAuth,clientAuth");
	assert_string_equal(ci->aia_ocsp, "http://ocsp.example.test");
	assert_string_equal(ci->aia_ca_issuers, "http://ca.example.test/i.crt");
	assert_string_equal(ci->crl_url, "http://crl.example.test/ca.crl");
	assert_int_equal(ci->has_sct, 1);
	assert_int_equal(ci->is_ca, 0);
	assert_int_equal(ci->self_signed, 0);
	assert_non_null(ci->x509);

	/* Fingerprints are of the DER. */
	assert_int_equal(EVP_Digest(ci->der, ci->der_len, sha256, NULL, EVP_sha256(), NULL), 1);
	assert_memory_equal(ci->sha256, sha256, 32);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", sha256[i]);
	assert_string_equal(ci->sha256_hex, hex);
	assert_int_equal(strlen(ci->sha1_hex), 40);
	certinfo_free(ci);
	cg_free(&c);

	/* The root: a CA, self-signed, no SANs / URLs / SCT. */
	ci = parse_cert(&p->root);
	assert_int_equal(ci->is_ca, 1);
	assert_int_equal(ci->self_signed, 1);
	assert_int_equal(ci->n_sans, 0);
	assert_null(ci->sans);
	assert_null(ci->aia_ocsp);
	assert_null(ci->crl_url);
	assert_int_equal(ci->has_sct, 0);
	assert_string_equal(ci->key_usage, "keyCertSign,cRLSign");
	assert_string_equal(ci->ext_key_usage, "");
	assert_string_equal(ci->subject, ci->issuer);
	certinfo_free(ci);
}

static void test_parse_rsa_sha1(void **state)
{
	struct pki *p = *state;
	struct cg_spec s = leaf_spec(NULL);
	struct cg_cert c;
	struct certinfo *ci;

	(void)p;
	s.key = "rsa1024";
	s.md = EVP_sha1();
	s.cn = NULL; /* no CN at all */
	assert_int_equal(cg_make(&s, &c), 0);
	ci = parse_cert(&c);
	assert_string_equal(ci->key_type, "RSA");
	assert_int_equal(ci->key_bits, 1024);
	assert_string_equal(ci->curve, "");
	assert_string_equal(ci->sig_alg, "sha1WithRSAEncryption");
	assert_int_equal(ci->sig_weak, 1);
	assert_string_equal(ci->subject_cn, "");
	assert_string_equal(ci->subject, "O=" TEST_ORG);
	assert_int_equal(ci->self_signed, 1);
	certinfo_free(ci);
	cg_free(&c);
}

static void test_parse_garbage(void **state)
{
	struct pki *p = *state;
	unsigned char junk[512], *der, *longer;
	char err[128];
	size_t len;

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 37 + 11);
	err[0] = '\0';
	assert_null(certinfo_parse(junk, sizeof(junk), err, sizeof(err)));
	assert_true(err[0] != '\0');
	assert_null(certinfo_parse(junk, 0, err, sizeof(err)));
	assert_null(certinfo_parse(NULL, 10, err, sizeof(err)));
	assert_null(certinfo_parse(junk, OBS_MAX_CERT_DER + 1, err, sizeof(err)));

	der = cg_der(&p->leaf, &len);
	assert_non_null(der);
	/* Every truncation fails cleanly. */
	for (size_t n = 1; n < len; n++)
		assert_null(certinfo_parse(der, n, err, sizeof(err)));
	/* Trailing bytes are refused. */
	longer = malloc(len + 1);
	assert_non_null(longer);
	memcpy(longer, der, len);
	longer[len] = 0;
	assert_null(certinfo_parse(longer, len + 1, err, sizeof(err)));
	assert_non_null(strstr(err, "trailing"));
	/* Bit flips never crash (they may still parse: a signature is not checked here). */
	for (size_t i = 0; i < len; i += 7) {
		struct certinfo *ci;

		memcpy(longer, der, len);
		longer[i] ^= 0x5a;
		ci = certinfo_parse(longer, len, err, sizeof(err));
		certinfo_free(ci);
	}
	free(longer);
	OPENSSL_free(der);
	certinfo_free(NULL);
}

/* Strings from the certificate come out as valid UTF-8 without control characters, whatever
 * their ASN.1 type: a BMPString CN is converted, raw bytes in a SAN are replaced. */
static void test_parse_string_hygiene(void **state)
{
	static const unsigned char bmp[] = { 0x04, 0x16, 0x00, 'x' };        /* "Жx" in UCS-2 */
	static const unsigned char bad[] = { 'a', 0xff, 0xc3, 'b', 0x01, 'c' }; /* not UTF-8, a C0 */
	struct cg_cert c = { 0 };
	X509_NAME *name = X509_NAME_new();
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *gen = GENERAL_NAME_new();
	ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
	struct certinfo *ci;

	(void)state;
	assert_non_null(name);
	assert_non_null(gens);
	assert_non_null(gen);
	assert_non_null(ia5);
	assert_int_equal(cg_make(&(struct cg_spec){ .cn = "x", .not_before = AT, .not_after = AT + DAY },
				 &c), 0);
	assert_true(X509_NAME_add_entry_by_NID(name, NID_commonName, V_ASN1_BMPSTRING, bmp,
					       sizeof(bmp), -1, 0));
	assert_true(X509_set_subject_name(c.x, name));
	assert_true(ASN1_STRING_set(ia5, bad, sizeof(bad)));
	GENERAL_NAME_set0_value(gen, GEN_DNS, ia5);
	assert_true(sk_GENERAL_NAME_push(gens, gen) > 0);
	assert_true(X509_add1_ext_i2d(c.x, NID_subject_alt_name, gens, 0, 0) == 1);
	assert_true(X509_sign(c.x, c.key, EVP_sha256()) > 0);
	ci = parse_cert(&c);
	assert_string_equal(ci->subject_cn, "\xd0\x96x");
	assert_string_equal(ci->subject, "CN=\xd0\x96x");
	assert_int_equal(ci->n_sans, 1);
	assert_string_equal(ci->sans[0], "DNS:a??b?c");
	assert_int_equal(ci->self_signed, 0); /* subject no longer equals issuer */
	certinfo_free(ci);
	GENERAL_NAMES_free(gens);
	X509_NAME_free(name);
	cg_free(&c);
}

/* ------------------------------------------------------------------------------------------ */

static void test_clean_chain(void **state)
{
	struct pki *p = *state;
	struct analysis *an = run(p->az, CHAIN(&p->leaf, &p->inter));

	if (an->n_findings != 0)
		dump(an);
	assert_int_equal(an->n_findings, 0);
	assert_int_equal(an->n_certs, 2);
	assert_int_equal(an->verified, 1);
	assert_int_equal(an->verify_code, 0);
	assert_string_equal(an->verify_error, "");
	assert_int_equal(an->hostname_checked, 1);
	assert_int_equal(an->hostname_ok, 1);
	assert_int_equal(an->preferred, 1);
	assert_int_equal(an->days_left, 60);
	assert_string_equal(an->certs[0]->subject_cn, HOST);
	assert_string_equal(an->certs[1]->subject_cn, "Test Intermediate CA");
	for (size_t i = 0; cert_checks[i] != NULL; i++)
		expect_none(an, cert_checks[i]->id);
	analysis_free(an);

	/* The root sent too (allowed, in order): still clean. */
	an = run(p->az, CHAIN(&p->leaf, &p->inter, &p->root));
	assert_int_equal(an->n_findings, 0);
	assert_int_equal(an->verified, 1);
	analysis_free(an);
}

static void test_not_ok_status(void **state)
{
	struct pki *p = *state;
	struct observation *o = make_obs(HOST, NULL, CHAIN(&p->leaf, &p->inter));
	struct analysis *an;

	o->status = EP_HANDSHAKE_FAILED;
	an = analyze(p->az, o);
	assert_non_null(an);
	assert_int_equal(an->n_certs, 0);
	assert_int_equal(an->n_findings, 0);
	assert_int_equal(an->verified, 0);
	analysis_free(an);
	obs_free(o);

	o = make_obs(HOST, NULL, NULL, 0); /* ok, but no certificate */
	an = analyze(p->az, o);
	assert_non_null(an);
	assert_int_equal(an->n_certs, 0);
	assert_int_equal(an->n_findings, 0);
	analysis_free(an);
	obs_free(o);
}

static void test_garbage_chain(void **state)
{
	struct pki *p = *state;
	static const unsigned char junk[] = { 0x30, 0x82, 0x01, 0x00, 0xde, 0xad, 0xbe, 0xef };
	struct observation *o = make_obs(HOST, NULL, NULL, 0);
	struct analysis *an;

	assert_int_equal(obs_add_cert(o, junk, sizeof(junk)), 0);
	an = analyze(p->az, o);
	assert_non_null(an);
	assert_int_equal(an->n_certs, 0);
	assert_int_equal(an->n_findings, 0);
	analysis_free(an);
	obs_free(o);

	/* A good leaf followed by junk: the analysis keeps the leaf, stops at the junk. */
	o = make_obs(HOST, NULL, CHAIN(&p->leaf));
	assert_int_equal(obs_add_cert(o, junk, sizeof(junk)), 0);
	assert_int_equal(cg_obs_add(o, &p->inter), 0);
	an = analyze(p->az, o);
	assert_non_null(an);
	assert_int_equal(an->n_certs, 1);
	expect(an, "chain.incomplete");
	analysis_free(an);
	obs_free(o);
}

static void test_expired_leaf(void **state)
{
	struct pki *p = *state;
	struct cg_spec s = leaf_spec(&p->inter);
	struct cg_cert c;
	struct analysis *an;
	const struct finding *f;

	s.not_before = AT - 100 * DAY;
	s.not_after = AT - 3 * DAY;
	assert_int_equal(cg_make(&s, &c), 0);
	an = run(p->az, CHAIN(&c, &p->inter));
	expect_only(an, (const char *const[]){ "cert.expired" }, 1);
	f = expect(an, "cert.expired");
	assert_int_equal(f->severity, SEV_CRITICAL);
	assert_int_equal(f->cert_pos, 0);
	assert_non_null(strstr(f->message, "2025-12-29"));
	assert_non_null(strstr(f->message, "3 days ago"));
	assert_non_null(f->fix);
	assert_int_equal(an->verified, 0);
	assert_int_equal(an->verify_code, X509_V_ERR_CERT_HAS_EXPIRED);
	assert_string_equal(an->verify_error, "certificate has expired");
	assert_int_equal(an->days_left, -3);
	analysis_free(an);
	cg_free(&c);
}

static void test_expiring(void **state)
{
	struct pki *p = *state;
	static const struct { long secs; int present; enum severity sev; int days; } cases[] = {
		{ 5 * DAY, 1, SEV_CRITICAL, 5 },
		{ 7 * DAY + 3600, 1, SEV_CRITICAL, 7 },
		{ 8 * DAY, 1, SEV_HIGH, 8 },
		{ 20 * DAY, 1, SEV_HIGH, 20 },
		{ 30 * DAY + 60, 1, SEV_HIGH, 30 },
		{ 31 * DAY, 0, SEV_INFO, 31 },
		{ 3600, 1, SEV_CRITICAL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cg_spec s = leaf_spec(&p->inter);
		struct cg_cert c;
		struct analysis *an;

		s.not_after = AT + cases[i].secs;
		assert_int_equal(cg_make(&s, &c), 0);
		an = run(p->az, CHAIN(&c, &p->inter));
		assert_int_equal(an->days_left, cases[i].days);
		expect_none(an, "cert.expired");
		if (cases[i].present) {
			const struct finding *f = expect(an, "cert.expiring");

			assert_int_equal(f->severity, cases[i].sev);
			assert_non_null(strstr(f->message, "expires on"));
			assert_int_equal(an->n_findings, 1);
		} else {
			expect_none(an, "cert.expiring");
		}
		analysis_free(an);
		cg_free(&c);
	}
}

static void test_expiring_thresholds_configurable(void **state)
{
	struct pki *p = *state;
	struct analyzer_config cfg = { .ca_file = p->trust, .policy = p->policy, .at = AT,
				       .expiring_critical_days = 2, .expiring_high_days = 90 };
	char err[128];
	struct analyzer *az = analyzer_new(&cfg, err, sizeof(err));
	struct analysis *an;

	assert_non_null(az);
	an = run(az, CHAIN(&p->leaf, &p->inter)); /* 60 days left */
	assert_int_equal(expect(an, "cert.expiring")->severity, SEV_HIGH);
	analysis_free(an);
	analyzer_free(az);
}

static void test_not_yet_valid(void **state)
{
	struct pki *p = *state;
	struct cg_spec s = leaf_spec(&p->inter);
	struct cg_cert c;
	struct analysis *an;
	const struct finding *f;

	s.not_before = AT + 2 * DAY;
	s.not_after = AT + 90 * DAY;
	assert_int_equal(cg_make(&s, &c), 0);
	an = run(p->az, CHAIN(&c, &p->inter));
	expect_only(an, (const char *const[]){ "cert.not_yet_valid" }, 1);
	f = expect(an, "cert.not_yet_valid");
	assert_int_equal(f->severity, SEV_HIGH);
	assert_non_null(strstr(f->message, "2026-01-03"));
	assert_int_equal(an->verify_code, X509_V_ERR_CERT_NOT_YET_VALID);
	analysis_free(an);
	cg_free(&c);
}

static void test_self_signed(void **state)
{
	struct pki *p = *state;
	/* Default KU (digitalSignature only: no keyCertSign), no KU at all, and a CA-style KU. */
	static const char *const kus[] = { NULL, "", "critical,digitalSignature,keyCertSign" };

	for (size_t i = 0; i < sizeof(kus) / sizeof(kus[0]); i++) {
		struct cg_spec s = leaf_spec(NULL);
		struct cg_cert c;
		struct analysis *an;
		const struct finding *f;

		s.ku = kus[i];
		assert_int_equal(cg_make(&s, &c), 0);
		an = run(p->az, CHAIN(&c));
		assert_int_equal(an->certs[0]->self_signed, 1);
		f = expect(an, "cert.self_signed");
		assert_int_equal(f->severity, SEV_HIGH);
		assert_int_equal(f->cert_pos, 0);
		assert_non_null(strstr(f->message, HOST));
		expect_none(an, "chain.incomplete");
		expect_none(an, "chain.untrusted");
		expect_none(an, "cert.lifetime_too_long");
		assert_int_equal(an->verified, 0);
		analysis_free(an);
		cg_free(&c);
	}
}

/* A self-signed leaf whose AKID names another key: OpenSSL then looks for an issuer and reports
 * one missing, but the certificate is signed by its own key: cert.self_signed, not incomplete. */
static void test_self_signed_stray_akid(void **state)
{
	struct pki *p = *state;
	struct cg_spec s = leaf_spec(NULL);
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
	static const unsigned char other_id[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	struct cg_cert c;
	struct analysis *an;

	assert_non_null(akid);
	assert_int_equal(cg_make(&s, &c), 0);
	akid->keyid = ASN1_OCTET_STRING_new();
	assert_non_null(akid->keyid);
	assert_true(ASN1_OCTET_STRING_set(akid->keyid, other_id, sizeof(other_id)));
	assert_true(X509_add1_ext_i2d(c.x, NID_authority_key_identifier, akid, 0, 0) == 1);
	assert_true(X509_sign(c.x, c.key, EVP_sha256()) > 0);
	an = run(p->az, CHAIN(&c));
	assert_int_equal(an->certs[0]->self_signed, 1);
	assert_int_equal(an->verify_code, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
	expect(an, "cert.self_signed");
	expect_none(an, "chain.incomplete");
	expect_none(an, "chain.untrusted");
	analysis_free(an);
	AUTHORITY_KEYID_free(akid);
	cg_free(&c);
}

static void test_self_signed_expired(void **state)
{
	struct pki *p = *state;
	struct cg_spec s = leaf_spec(NULL);
	struct cg_cert c;
	struct analysis *an;

	s.not_before = AT - 1000 * DAY;
	s.not_after = AT - DAY;
	assert_int_equal(cg_make(&s, &c), 0);
	an = run(p->az, CHAIN(&c));
	expect(an, "cert.self_signed");
	expect(an, "cert.expired");
	expect_none(an, "chain.untrusted");
	expect_none(an, "chain.incomplete");
	expect_none(an, "cert.lifetime_too_long");
	analysis_free(an);
	cg_free(&c);
}

/* A self-signed certificate the administrator put in the trust store is pinned: no finding. */
static void test_self_signed_pinned(void **state)
{
	struct pki *p = *state;
	struct cg_spec s = leaf_spec(NULL);
	struct cg_cert c;
	const struct cg_cert *tr[2];
	char path[64];
	struct analyzer *az;
	struct analysis *an;

	s.org = TEST_ORG;
	assert_int_equal(cg_make(&s, &c), 0);
	tr[0] = &p->root;
	tr[1] = &c;
	assert_int_equal(cg_write_pem(tr, 2, path), 0);
	az = new_analyzer(path, p->policy, AT);
	assert_non_null(az);
	an = run(az, CHAIN(&c));
	assert_int_equal(an->verified, 1);
	expect_none(an, "cert.self_signed");
	expect_none(an, "chain.untrusted");
	expect_none(an, "chain.incomplete");
	/* A self-signed leaf is "issued" by nobody: the policy sees it only by fingerprint. */
	expect_only(an, (const char *const[]){ "issuer.non_preferred" }, 1);
	analysis_free(an);
	analyzer_free(az);
	unlink(path);
	cg_free(&c);
}

static void test_hostname(void **state)
{
	struct pki *p = *state;
	struct analysis *an;
	const struct finding *f;

	/* SNI decides. */
	an = run_host(p->az, "other.test", HOST, CHAIN(&p->leaf, &p->inter));
	assert_int_equal(an->hostname_checked, 1);
	assert_int_equal(an->hostname_ok, 0);
	f = expect(an, "cert.hostname_mismatch");
	assert_int_equal(f->severity, SEV_HIGH);
	assert_non_null(strstr(f->message, "other.test"));
	assert_non_null(strstr(f->message, "DNS:" HOST));
	assert_int_equal(an->n_findings, 1);
	analysis_free(an);

	/* No SNI: the host the user gave. */
	an = run_host(p->az, NULL, HOST, CHAIN(&p->leaf, &p->inter));
	assert_int_equal(an->hostname_ok, 1);
	expect_none(an, "cert.hostname_mismatch");
	analysis_free(an);

	/* Wildcards cover one label only. */
	an = run_host(p->az, "x.api.example.test", NULL, CHAIN(&p->leaf, &p->inter));
	expect_none(an, "cert.hostname_mismatch");
	analysis_free(an);
	an = run_host(p->az, "y.x.api.example.test", NULL, CHAIN(&p->leaf, &p->inter));
	expect(an, "cert.hostname_mismatch");
	analysis_free(an);

	/* Trailing dot and case do not matter. */
	an = run_host(p->az, "WWW.Example.Test.", NULL, CHAIN(&p->leaf, &p->inter));
	expect_none(an, "cert.hostname_mismatch");
	analysis_free(an);

	/* IP literals against IP SANs. */
	an = run_host(p->az, NULL, "127.0.0.1", CHAIN(&p->leaf, &p->inter));
	assert_int_equal(an->hostname_ok, 1);
	analysis_free(an);
	an = run_host(p->az, NULL, "[::1]", CHAIN(&p->leaf, &p->inter));
	assert_int_equal(an->hostname_ok, 1);
	analysis_free(an);
	an = run_host(p->az, NULL, "127.0.0.2", CHAIN(&p->leaf, &p->inter));
	assert_int_equal(an->hostname_ok, 0);
	expect(an, "cert.hostname_mismatch");
	analysis_free(an);

	/* Nothing to check against: skipped. */
	an = run_host(p->az, NULL, NULL, CHAIN(&p->leaf, &p->inter));
	assert_int_equal(an->hostname_checked, 0);
	expect_none(an, "cert.hostname_mismatch");
	assert_int_equal(an->n_findings, 0);
	analysis_free(an);
}

static void test_hostname_cn_only(void **state)
{
	struct pki *p = *state;
	struct cg_spec s = leaf_spec(&p->inter);
	struct cg_cert c;
	struct analysis *an;
	const struct finding *f;

	s.san = NULL;
	assert_int_equal(cg_make(&s, &c), 0);
	an = run(p->az, CHAIN(&c, &p->inter));
	f = expect(an, "cert.hostname_mismatch");
	assert_non_null(strstr(f->message, "CN"));
	assert_non_null(strstr(f->message, "no DNS subjectAltName"));
	analysis_free(an);
	cg_free(&c);
}

static void test_weak_key(void **state)
{
	struct pki *p = *state;
	static const struct { const char *key; const char *text; } cases[] = {
		{ "rsa1024", "1024-bit RSA" },
		{ "ec192", "192-bit EC" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cg_spec s = leaf_spec(&p->inter);
		struct cg_cert c;
		struct analysis *an;
		const struct finding *f;

		s.key = cases[i].key;
		assert_int_equal(cg_make(&s, &c), 0);
		an = run(p->az, CHAIN(&c, &p->inter));
		f = expect(an, "cert.weak_key");
		assert_int_equal(f->severity, SEV_HIGH);
		assert_int_equal(f->cert_pos, 0);
		assert_non_null(strstr(f->message, cases[i].text));
		expect_none(an, "chain.untrusted");
		analysis_free(an);
		cg_free(&c);
	}
}

static void test_weak_key_rsa2048_ok(void **state)
{
	struct pki *p = *state;
	struct cg_spec s = leaf_spec(&p->inter);
	struct cg_cert c;
	struct analysis *an;

	s.key = "rsa2048";
	assert_int_equal(cg_make(&s, &c), 0);
	an = run(p->az, CHAIN(&c, &p->inter));
	assert_int_equal(an->certs[0]->key_bits, 2048);
	assert_int_equal(an->n_findings, 0);
	analysis_free(an);
	cg_free(&c);
}

static void test_weak_signature(void **state)
{
	struct pki *p = *state;
	struct cg_spec s = leaf_spec(&p->inter);
	struct cg_cert leaf_sha1, inter_sha1, leaf2, root_sha1, inter3, leaf3;
	const struct cg_cert *tr[2];
	char path[64];
	struct analyzer *az;
	struct analysis *an;
	const struct finding *f;

	/* SHA-1 on the leaf. */
	s.md = EVP_sha1();
	assert_int_equal(cg_make(&s, &leaf_sha1), 0);
	an = run(p->az, CHAIN(&leaf_sha1, &p->inter));
	f = expect(an, "cert.weak_signature");
	assert_int_equal(f->cert_pos, 0);
	assert_int_equal(f->severity, SEV_HIGH);
	assert_non_null(strstr(f->message, "ecdsa-with-SHA1"));
	analysis_free(an);

	/* A self-signed SHA-1 leaf: self-signed (and weak key), the self-signature is not a finding. */
	s = leaf_spec(NULL);
	s.md = EVP_sha1();
	s.key = "rsa1024";
	assert_int_equal(cg_make(&s, &leaf2), 0);
	an = run(p->az, CHAIN(&leaf2));
	expect(an, "cert.self_signed");
	expect(an, "cert.weak_key");
	expect_none(an, "cert.weak_signature");
	analysis_free(an);
	cg_free(&leaf2);

	/* SHA-1 on an intermediate. */
	assert_int_equal(cg_make(&(struct cg_spec){ .cn = "SHA1 Intermediate", .ca = 1, .issuer = &p->root,
						     .md = EVP_sha1(), .not_before = AT - 900 * DAY,
						     .not_after = AT + 900 * DAY }, &inter_sha1), 0);
	s = leaf_spec(&inter_sha1);
	assert_int_equal(cg_make(&s, &leaf2), 0);
	an = run(p->az, CHAIN(&leaf2, &inter_sha1));
	f = expect(an, "cert.weak_signature");
	assert_int_equal(f->cert_pos, 1);
	analysis_free(an);

	/* A SHA-1 self-signature on a root (sent in the chain) is not a finding. */
	assert_int_equal(cg_make(&(struct cg_spec){ .cn = "SHA1 Root", .ca = 1, .md = EVP_sha1(),
						     .not_before = AT - 2000 * DAY,
						     .not_after = AT + 2000 * DAY }, &root_sha1), 0);
	assert_int_equal(cg_make(&(struct cg_spec){ .cn = "Inter Under SHA1 Root", .ca = 1,
						     .issuer = &root_sha1, .not_before = AT - 900 * DAY,
						     .not_after = AT + 900 * DAY }, &inter3), 0);
	s = leaf_spec(&inter3);
	assert_int_equal(cg_make(&s, &leaf3), 0);
	tr[0] = &p->root;
	tr[1] = &root_sha1;
	assert_int_equal(cg_write_pem(tr, 2, path), 0);
	az = new_analyzer(path, p->policy, AT);
	assert_non_null(az);
	an = run(az, CHAIN(&leaf3, &inter3, &root_sha1));
	assert_int_equal(an->verified, 1);
	expect_none(an, "cert.weak_signature");
	assert_int_equal(an->n_findings, 0);
	analysis_free(an);
	analyzer_free(az);
	unlink(path);

	cg_free(&leaf_sha1);
	cg_free(&inter_sha1);
	cg_free(&leaf2);
	cg_free(&root_sha1);
	cg_free(&inter3);
	cg_free(&leaf3);
}

static void test_untrusted_root(void **state)
{
	struct pki *p = *state;
	struct cg_spec s = leaf_spec(&p->other_inter);
	struct cg_cert c;
	struct analysis *an;
	const struct finding *f;

	assert_int_equal(cg_make(&s, &c), 0);
	an = run(p->az, CHAIN(&c, &p->other_inter, &p->other_root));
	f = expect(an, "chain.untrusted");
	assert_int_equal(f->severity, SEV_HIGH);
	assert_int_equal(f->cert_pos, 2);
	assert_non_null(strstr(f->message, "self-signed certificate in certificate chain"));
	assert_non_null(strstr(f->message, "Other Root"));
	expect_none(an, "chain.incomplete");
	expect(an, "issuer.non_preferred");
	assert_int_equal(an->n_findings, 2);
	assert_int_equal(an->verify_code, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN);
	analysis_free(an);
	cg_free(&c);
}

static void test_bad_signature(void **state)
{
	struct pki *p = *state;
	struct cg_spec s = leaf_spec(&p->inter);
	struct cg_cert c;
	struct analysis *an;
	const struct finding *f;

	s.sign_key = p->other_inter.key; /* claims the test intermediate, signed by another key */
	assert_int_equal(cg_make(&s, &c), 0);
	an = run(p->az, CHAIN(&c, &p->inter));
	f = expect(an, "chain.untrusted");
	assert_non_null(strstr(f->message, "signature"));
	assert_int_equal(f->cert_pos, 0);
	expect_none(an, "chain.incomplete");
	analysis_free(an);
	cg_free(&c);
}

static void test_wrong_purpose(void **state)
{
	struct pki *p = *state;
	struct cg_spec s = leaf_spec(&p->inter);
	struct cg_cert c;
	struct analysis *an;
	const struct finding *f;

	s.eku = "clientAuth";
	assert_int_equal(cg_make(&s, &c), 0);
	an = run(p->az, CHAIN(&c, &p->inter));
	f = expect(an, "chain.untrusted");
	assert_non_null(strstr(f->message, "purpose"));
	assert_int_equal(an->verify_code, X509_V_ERR_INVALID_PURPOSE);
	analysis_free(an);
	cg_free(&c);
}

static void test_incomplete(void **state)
{
	struct pki *p = *state;
	struct cg_spec s = leaf_spec(&p->inter);
	struct cg_cert c;
	struct analysis *an;
	const struct finding *f;

	/* The server omits the intermediate. */
	an = run(p->az, CHAIN(&p->leaf));
	f = expect(an, "chain.incomplete");
	assert_int_equal(f->severity, SEV_MEDIUM);
	assert_int_equal(f->cert_pos, 0);
	assert_non_null(strstr(f->message, "Test Intermediate CA"));
	expect_none(an, "chain.untrusted");
	expect_none(an, "cert.self_signed");
	assert_int_equal(an->n_findings, 1);
	assert_int_equal(an->verify_code, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
	analysis_free(an);

	/* The message points at the CA's AIA URL when there is one. */
	s.aia = "caIssuers;URI:http://ca.example.test/inter.crt";
	assert_int_equal(cg_make(&s, &c), 0);
	an = run(p->az, CHAIN(&c));
	f = expect(an, "chain.incomplete");
	assert_non_null(strstr(f->message, "http://ca.example.test/inter.crt"));
	analysis_free(an);
	cg_free(&c);

	/* An intermediate whose own issuer is missing (a second level omitted). */
	an = run(p->az, CHAIN(&p->leaf, &p->other_inter));
	expect(an, "chain.incomplete");
	analysis_free(an);
}

static void test_order(void **state)
{
	struct pki *p = *state;
	struct cg_cert inter2, leaf2;
	struct cg_spec s;
	struct analysis *an;
	const struct finding *f;

	an = run(p->az, CHAIN(&p->leaf, &p->root, &p->inter));
	f = expect(an, "chain.order");
	assert_int_equal(f->severity, SEV_LOW);
	assert_int_equal(f->cert_pos, 0);
	assert_non_null(strstr(f->message, "position 2"));
	assert_int_equal(an->verified, 1); /* OpenSSL copes; old clients do not */
	assert_int_equal(an->n_findings, 1);
	analysis_free(an);

	/* Two intermediates swapped. */
	assert_int_equal(cg_make(&(struct cg_spec){ .cn = "Second Level CA", .ca = 1, .issuer = &p->inter,
						     .not_before = AT - 500 * DAY,
						     .not_after = AT + 500 * DAY }, &inter2), 0);
	s = leaf_spec(&inter2);
	assert_int_equal(cg_make(&s, &leaf2), 0);
	an = run(p->az, CHAIN(&leaf2, &p->inter, &inter2));
	expect(an, "chain.order");
	analysis_free(an);
	an = run(p->az, CHAIN(&leaf2, &inter2, &p->inter));
	expect_none(an, "chain.order");
	assert_int_equal(an->n_findings, 0);
	analysis_free(an);
	cg_free(&inter2);
	cg_free(&leaf2);
}

static void test_expired_intermediate(void **state)
{
	struct pki *p = *state;
	struct cg_cert inter, leaf;
	struct cg_spec s;
	struct analysis *an;
	const struct finding *f;

	assert_int_equal(cg_make(&(struct cg_spec){ .cn = "Expired Intermediate", .ca = 1,
						     .issuer = &p->root, .not_before = AT - 900 * DAY,
						     .not_after = AT - 10 * DAY }, &inter), 0);
	s = leaf_spec(&inter);
	assert_int_equal(cg_make(&s, &leaf), 0);
	an = run(p->az, CHAIN(&leaf, &inter));
	f = expect(an, "chain.expired_intermediate");
	assert_int_equal(f->severity, SEV_HIGH);
	assert_int_equal(f->cert_pos, 1);
	assert_non_null(strstr(f->message, "Expired Intermediate"));
	assert_non_null(strstr(f->message, "2025-12-22"));
	expect_none(an, "chain.untrusted");
	expect_none(an, "cert.expired");
	assert_int_equal(an->n_findings, 1);
	assert_int_equal(an->verified, 0);
	analysis_free(an);
	cg_free(&inter);
	cg_free(&leaf);
}

/* An expired root in the trust store is nothing the server sent: chain.untrusted names it. */
static void test_expired_trust_anchor(void **state)
{
	struct pki *p = *state;
	struct cg_cert root, inter, leaf;
	const struct cg_cert *tr[1];
	struct cg_spec s;
	char path[64];
	struct analyzer *az;
	struct analysis *an;
	const struct finding *f;

	assert_int_equal(cg_make(&(struct cg_spec){ .cn = "Old Root", .ca = 1,
						     .not_before = AT - 5000 * DAY,
						     .not_after = AT - 5 * DAY }, &root), 0);
	assert_int_equal(cg_make(&(struct cg_spec){ .cn = "Young Intermediate", .ca = 1,
						     .issuer = &root, .not_before = AT - 900 * DAY,
						     .not_after = AT + 900 * DAY }, &inter), 0);
	s = leaf_spec(&inter);
	assert_int_equal(cg_make(&s, &leaf), 0);
	tr[0] = &root;
	assert_int_equal(cg_write_pem(tr, 1, path), 0);
	az = new_analyzer(path, p->policy, AT);
	assert_non_null(az);
	an = run(az, CHAIN(&leaf, &inter));
	f = expect(an, "chain.untrusted");
	assert_int_equal(f->cert_pos, -1);
	assert_non_null(strstr(f->message, "certificate has expired"));
	assert_non_null(strstr(f->message, "trust-store certificate"));
	assert_non_null(strstr(f->message, "Old Root"));
	expect_none(an, "chain.expired_intermediate");
	analysis_free(an);
	analyzer_free(az);
	unlink(path);
	cg_free(&root);
	cg_free(&inter);
	cg_free(&leaf);
}

static void test_lifetime(void **state)
{
	struct pki *p = *state;
	static const struct { time_t nb; long days; int present; enum severity sev; } cases[] = {
		{ 1748736000, 500, 1, SEV_MEDIUM },  /* 2025-06-01 + 500 > 398 */
		{ 1748736000, 398, 0, SEV_INFO },    /* exactly 398 days: allowed */
		{ 1748736000, 399, 1, SEV_MEDIUM },
		{ 1775001600, 300, 1, SEV_LOW },     /* 2026-04-01: max 200 */
		{ 1775001600, 199, 0, SEV_INFO },
		{ 1806537600, 150, 1, SEV_LOW },     /* 2027-04-01: max 100 */
		{ 1806537600, 100, 0, SEV_INFO },
		{ 1869696000, 60, 1, SEV_LOW },      /* 2029-04-01: max 47 */
		{ 1869696000, 47, 0, SEV_INFO },
		{ 1773532800 - 1, 300, 0, SEV_INFO }, /* one second before 2026-03-15: 398 */
	};
	struct analyzer *az = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cg_spec s = leaf_spec(&p->inter);
		struct cg_cert c;
		struct analysis *an;

		s.not_before = cases[i].nb;
		/* inclusive count: notAfter is the last second of the last day */
		s.not_after = cases[i].nb + cases[i].days * DAY - 1;
		assert_int_equal(cg_make(&s, &c), 0);
		az = new_analyzer(p->trust, p->policy, cases[i].nb + DAY);
		assert_non_null(az);
		an = run(az, CHAIN(&c, &p->inter));
		if (cases[i].present) {
			const struct finding *f = expect(an, "cert.lifetime_too_long");

			assert_int_equal(f->severity, cases[i].sev);
			assert_int_equal(f->cert_pos, 0);
		} else {
			expect_none(an, "cert.lifetime_too_long");
		}
		analysis_free(an);
		analyzer_free(az);
		cg_free(&c);
	}
}

static void test_non_preferred_default_policy(void **state)
{
	struct pki *p = *state;
	struct analyzer *az = new_analyzer(p->trust, NULL, AT); /* default policy */
	struct cg_cert sectigo, leaf;
	struct cg_spec s;
	struct analysis *an;
	const struct finding *f;

	assert_non_null(az);
	an = run(az, CHAIN(&p->leaf, &p->inter));
	f = expect(an, "issuer.non_preferred");
	assert_int_equal(f->severity, SEV_MEDIUM);
	assert_int_equal(f->cert_pos, -1);
	assert_non_null(strstr(f->message, "Comodo/Sectigo"));
	assert_non_null(strstr(f->message, "Test Intermediate CA"));
	assert_int_equal(an->preferred, 0);
	assert_int_equal(an->n_findings, 1);
	analysis_free(an);

	/* A leaf whose issuer's O is "Sectigo Limited" is preferred. */
	assert_int_equal(cg_make(&(struct cg_spec){ .cn = "Sectigo RSA Domain Validation Secure Server CA",
						     .org = "Sectigo Limited", .ca = 1, .issuer = &p->root,
						     .not_before = AT - 900 * DAY,
						     .not_after = AT + 900 * DAY }, &sectigo), 0);
	s = leaf_spec(&sectigo);
	assert_int_equal(cg_make(&s, &leaf), 0);
	an = run(az, CHAIN(&leaf, &sectigo));
	assert_int_equal(an->preferred, 1);
	expect_none(an, "issuer.non_preferred");
	assert_int_equal(an->n_findings, 0);
	analysis_free(an);
	/* The leaf's own subject names the customer, not the CA: no match from it. */
	cg_free(&leaf);
	s = leaf_spec(&p->inter);
	s.org = "Sectigo Limited";
	assert_int_equal(cg_make(&s, &leaf), 0);
	an = run(az, CHAIN(&leaf, &p->inter));
	assert_int_equal(an->preferred, 0);
	expect(an, "issuer.non_preferred");
	analysis_free(an);
	cg_free(&leaf);
	s = leaf_spec(&sectigo);
	assert_int_equal(cg_make(&s, &leaf), 0);
	/* ... even when the intermediate is not sent: the leaf's issuer names it. */
	an = run(az, CHAIN(&leaf));
	assert_int_equal(an->preferred, 1);
	expect_none(an, "issuer.non_preferred");
	analysis_free(an);
	analyzer_free(az);
	cg_free(&sectigo);
	cg_free(&leaf);
}

/* The trust anchor (not sent) counts for the policy: pin the test root's fingerprint. */
static void test_preferred_by_anchor(void **state)
{
	struct pki *p = *state;
	struct ca_policy *pol = ca_policy_new("Pinned root");
	struct certinfo *root = parse_cert(&p->root);
	struct analyzer *az;
	struct analysis *an;

	assert_non_null(pol);
	assert_int_equal(ca_policy_add_fingerprint(pol, root->sha256_hex), 0);
	az = new_analyzer(p->trust, pol, AT);
	assert_non_null(az);
	an = run(az, CHAIN(&p->leaf, &p->inter));
	assert_int_equal(an->preferred, 1);
	assert_int_equal(an->n_findings, 0);
	analysis_free(an);
	an = run(az, CHAIN(&p->other_inter)); /* not the pinned root */
	assert_int_equal(an->preferred, 0);
	expect(an, "issuer.non_preferred");
	analysis_free(an);
	analyzer_free(az);
	ca_policy_free(pol);
	certinfo_free(root);
}

/* ------------------------------------------------------------------------------------------ */

static void test_policy_api(void **state)
{
	struct pki *p = *state;
	struct ca_policy *pol = ca_policy_new("Acme");
	struct ca_policy *def = ca_policy_default();
	struct certinfo *leaf = parse_cert(&p->leaf), *inter = parse_cert(&p->inter);
	char colons[3 * 32];
	struct cg_cert comma;
	struct certinfo *ci;

	assert_non_null(pol);
	assert_non_null(def);
	assert_string_equal(ca_policy_name(pol), "Acme");
	assert_string_equal(ca_policy_name(def), "Comodo/Sectigo");
	assert_int_equal(ca_policy_matches_cert(pol, leaf), 0);
	assert_int_equal(ca_policy_matches_cert(def, leaf), 0);

	/* Fingerprints: hex, colons allowed, either case; malformed refused. */
	for (int i = 0; i < 32; i++)
		sprintf(colons + 3 * i, "%02X%s", inter->sha256[i], i < 31 ? ":" : "");
	assert_int_equal(ca_policy_add_fingerprint(pol, colons), 0);
	assert_int_equal(ca_policy_matches_cert(pol, inter), 1);
	assert_int_equal(ca_policy_matches_cert(pol, leaf), 0); /* by fingerprint: the leaf is not it */
	assert_int_equal(ca_policy_add_fingerprint(pol, "abcd"), -1);
	assert_int_equal(ca_policy_add_fingerprint(pol, "zz"), -1);
	assert_int_equal(ca_policy_add_fingerprint(pol, ""), -1);
	assert_int_equal(ca_policy_add_fingerprint(pol, NULL), -1);
	assert_int_equal(ca_policy_add_fingerprint(pol, inter->sha256_hex), 0); /* duplicate: ok */

	/* Patterns: case-insensitive substring of the subject or issuer. */
	assert_int_equal(ca_policy_add_pattern(pol, ""), -1);
	assert_int_equal(ca_policy_add_pattern(pol, "test intermediate"), 0);
	assert_int_equal(ca_policy_matches_cert(pol, leaf), 1); /* its issuer */
	ca_policy_free(pol);

	/* A pattern with a comma matches the RFC 2253-escaped name. */
	pol = ca_policy_new(NULL);
	assert_string_equal(ca_policy_name(pol), "custom");
	assert_int_equal(ca_policy_add_pattern(pol, "acme, inc."), 0);
	assert_int_equal(cg_make(&(struct cg_spec){ .cn = "c", .org = "Acme, Inc.", .not_before = AT,
						     .not_after = AT + DAY }, &comma), 0);
	ci = parse_cert(&comma);
	assert_non_null(strstr(ci->subject, "Acme\\, Inc."));
	assert_int_equal(ca_policy_matches_cert(pol, ci), 1);
	assert_int_equal(ca_policy_matches_cert(pol, NULL), 0);
	certinfo_free(ci);
	cg_free(&comma);
	ca_policy_free(pol);

	ca_policy_free(def);
	certinfo_free(leaf);
	certinfo_free(inter);
}

static int write_text(char *path, const char *text)
{
	int fd;
	ssize_t n;

	strcpy(path, "/tmp/certsweep-policy-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void test_policy_files(void **state)
{
	struct pki *p = *state;
	struct certinfo *leaf = parse_cert(&p->leaf), *other = parse_cert(&p->other_inter);
	struct ca_policy *pol;
	char path[64], text[512], err[256];

	/* pattern:/sha256: lines with comments and blanks. */
	snprintf(text, sizeof(text),
		 "# our CAs\n\n  pattern: elsewhere ltd  \nsha256:%s\n# end\n", leaf->sha256_hex);
	assert_int_equal(write_text(path, text), 0);
	pol = ca_policy_new("Mine");
	assert_int_equal(ca_policy_load_file(pol, path, err, sizeof(err)), 0);
	assert_int_equal(ca_policy_matches_cert(pol, other), 1);
	assert_int_equal(ca_policy_matches_cert(pol, leaf), 1);
	ca_policy_free(pol);
	unlink(path);

	/* The ca-families.tsv format: O= of the subject becomes a pattern, plus the fingerprint. */
	snprintf(text, sizeof(text),
		 "# comment\nkind\tsubject\tsha256\tnote\n"
		 "root\tCN=Other Root,O=Elsewhere Ltd,C=GB\t%s\tnote here\n"
		 "intermediate\tCN=X\\, Y,O=Comma\\, Corp,C=US\t\tno fingerprint\n",
		 leaf->sha256_hex);
	assert_int_equal(write_text(path, text), 0);
	pol = ca_policy_new("Families");
	assert_int_equal(ca_policy_load_file(pol, path, err, sizeof(err)), 0);
	assert_int_equal(ca_policy_matches_cert(pol, other), 1);  /* by O=Elsewhere Ltd */
	assert_int_equal(ca_policy_matches_cert(pol, leaf), 1);   /* by fingerprint */
	ca_policy_free(pol);
	unlink(path);

	/* Errors name the file and line. */
	assert_int_equal(write_text(path, "pattern:ok\nsha256:nothex\n"), 0);
	pol = ca_policy_new("Bad");
	assert_int_equal(ca_policy_load_file(pol, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2:"));
	ca_policy_free(pol);
	unlink(path);
	assert_int_equal(write_text(path, "what is this\n"), 0);
	pol = ca_policy_new("Bad");
	assert_int_equal(ca_policy_load_file(pol, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":1:"));
	ca_policy_free(pol);
	unlink(path);
	pol = ca_policy_new("Missing");
	assert_int_equal(ca_policy_load_file(pol, "/nonexistent/policy", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/policy"));
	ca_policy_free(pol);

	certinfo_free(leaf);
	certinfo_free(other);
}

/* ------------------------------------------------------------------------------------------ */

static void test_cache_hits(void **state)
{
	struct pki *p = *state;
	struct analyzer *az = new_analyzer(p->trust, p->policy, AT);
	struct analyzer_stats st0, st1, st2;
	struct analysis *a1, *a2, *a3;

	assert_non_null(az);
	a1 = run(az, CHAIN(&p->leaf, &p->inter));
	analyzer_get_stats(az, &st0);
	assert_int_equal(st0.cert_parses, 2);
	assert_int_equal(st0.chain_verifies, 1);
	a2 = run_host(az, "other.test", NULL, CHAIN(&p->leaf, &p->inter));
	analyzer_get_stats(az, &st1);
	assert_ptr_equal(a1->certs[0], a2->certs[0]);
	assert_ptr_equal(a1->certs[1], a2->certs[1]);
	assert_int_equal(st1.cert_parses, 2);
	assert_int_equal(st1.cert_hits, 2);
	assert_int_equal(st1.chain_verifies, 1);
	assert_int_equal(st1.chain_hits, 1);
	/* Same result from the cache, name checked per observation. */
	assert_int_equal(a2->verified, 1);
	expect(a2, "cert.hostname_mismatch");
	/* A different chain (leaf alone) shares the leaf but is verified on its own. */
	a3 = run(az, CHAIN(&p->leaf));
	analyzer_get_stats(az, &st2);
	assert_ptr_equal(a3->certs[0], a1->certs[0]);
	assert_int_equal(st2.cert_parses, 2);
	assert_int_equal(st2.chain_verifies, 2);
	expect(a3, "chain.incomplete");
	analysis_free(a1);
	analysis_free(a2);
	analysis_free(a3);
	analyzer_free(az);
}

/* Past the bound the caches empty; analyses already made stay valid (checked under ASan). */
static void test_cache_eviction(void **state)
{
	struct pki *p = *state;
	struct analyzer *az = new_analyzer(p->trust, p->policy, AT);
	struct analysis *keep[6];
	struct cg_cert leaves[6];
	struct analyzer_stats st;

	assert_non_null(az);
	assert_int_equal(analyzer_set_cache_limits(az, 3, 2), 0);
	for (int i = 0; i < 6; i++) {
		struct cg_spec s = leaf_spec(&p->inter);

		assert_int_equal(cg_make(&s, &leaves[i]), 0);
		keep[i] = run(az, CHAIN(&leaves[i], &p->inter));
		assert_int_equal(keep[i]->n_findings, 0);
	}
	analyzer_get_stats(az, &st);
	assert_true(st.cert_entries <= 3);
	assert_true(st.chain_entries <= 2);
	assert_true(st.cert_parses > 7); /* the intermediate was parsed again after an eviction */
	for (int i = 0; i < 6; i++) {
		assert_string_equal(keep[i]->certs[0]->subject_cn, HOST);
		assert_string_equal(keep[i]->certs[1]->subject_cn, "Test Intermediate CA");
	}
	/* The analyses outlive the analyzer too. */
	analyzer_free(az);
	for (int i = 0; i < 6; i++) {
		assert_string_equal(keep[i]->certs[1]->issuer_cn, "Test Root CA");
		analysis_free(keep[i]);
		cg_free(&leaves[i]);
	}
}

static void test_cache_day_bucket(void **state)
{
	struct pki *p = *state;
	struct analyzer_stats st;
	struct analyzer *az;
	struct analysis *an;

	/* at = 0 means now; the cache is keyed by day, so the second call hits. */
	az = new_analyzer(p->trust, p->policy, 0);
	assert_non_null(az);
	an = run(az, CHAIN(&p->root)); /* the root itself: valid until AT + 5000 days */
	analysis_free(an);
	an = run(az, CHAIN(&p->root));
	analyzer_get_stats(az, &st);
	assert_int_equal(st.chain_verifies, 1);
	assert_int_equal(st.chain_hits, 1);
	analysis_free(an);
	analyzer_free(az);
}

static void test_analyzer_new_errors(void **state)
{
	struct analyzer_config cfg = { .ca_file = "/nonexistent/ca.pem" };
	char err[256] = "";
	struct analyzer *az;

	(void)state;
	assert_null(analyzer_new(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/ca.pem"));
	/* NULL config: system trust store, default policy. */
	az = analyzer_new(NULL, err, sizeof(err));
	assert_non_null(az);
	analyzer_free(az);
	analyzer_free(NULL);
	analysis_free(NULL);
}

/* A long-lived trusted chain seen from the system trust store is not trusted: the test root is
 * nowhere in it. (Sanity check that the default store is used and the test PKI is not leaking.) */
static void test_default_store(void **state)
{
	struct pki *p = *state;
	char err[256];
	struct analyzer *az = analyzer_new(&(struct analyzer_config){ .policy = p->policy, .at = AT },
					   err, sizeof(err));
	struct analysis *an;

	assert_non_null(az);
	/* The intermediate is sent; its root is not in the system store: an unknown root. */
	an = run(az, CHAIN(&p->leaf, &p->inter));
	assert_int_equal(an->verified, 0);
	expect(an, "chain.untrusted");
	assert_null(find(an, "chain.incomplete"));
	analysis_free(an);
	/* Only the leaf is sent: its issuer may be a missing intermediate. */
	an = run(az, CHAIN(&p->leaf));
	expect(an, "chain.incomplete");
	assert_null(find(an, "chain.untrusted"));
	analysis_free(an);
	analyzer_free(az);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_severity_names),
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_siphash_vector),
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_parse_rsa_sha1),
		cmocka_unit_test(test_parse_garbage),
		cmocka_unit_test(test_parse_string_hygiene),
		cmocka_unit_test(test_clean_chain),
		cmocka_unit_test(test_not_ok_status),
		cmocka_unit_test(test_garbage_chain),
		cmocka_unit_test(test_expired_leaf),
		cmocka_unit_test(test_expiring),
		cmocka_unit_test(test_expiring_thresholds_configurable),
		cmocka_unit_test(test_not_yet_valid),
		cmocka_unit_test(test_self_signed),
		cmocka_unit_test(test_self_signed_stray_akid),
		cmocka_unit_test(test_self_signed_expired),
		cmocka_unit_test(test_self_signed_pinned),
		cmocka_unit_test(test_hostname),
		cmocka_unit_test(test_hostname_cn_only),
		cmocka_unit_test(test_weak_key),
		cmocka_unit_test(test_weak_key_rsa2048_ok),
		cmocka_unit_test(test_weak_signature),
		cmocka_unit_test(test_untrusted_root),
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_wrong_purpose),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_expired_intermediate),
		cmocka_unit_test(test_expired_trust_anchor),
		cmocka_unit_test(test_lifetime),
		cmocka_unit_test(test_non_preferred_default_policy),
		cmocka_unit_test(test_preferred_by_anchor),
		cmocka_unit_test(test_policy_api),
		cmocka_unit_test(test_policy_files),
		cmocka_unit_test(test_cache_hits),
		cmocka_unit_test(test_cache_eviction),
		cmocka_unit_test(test_cache_day_bucket),
		cmocka_unit_test(test_analyzer_new_errors),
		cmocka_unit_test(test_default_store),
	};

	return cmocka_run_group_tests_name("analyzer", tests, group_setup, group_teardown);
}
