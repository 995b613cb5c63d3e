/*
 * test_csr.c: unit tests of orders/csr.c (keys and CSRs for renewal orders).
 *
 * Every key type is generated, written (mode 0600 even under a umask of 0, never over an
 * existing file), read back and used for a CSR with a CN, DNS and IP SANs and every optional
 * subject field; the CSR is parsed back from PEM and from DER and must give the same subject,
 * SANs (CN first), key type and size, a verifying signature and the digests of its DER.
 * Bad input must fail with its message: a country that is not two letters, bad SANs, no CN,
 * and hostile CSR bytes (empty, text, a certificate, corrupt PEM, truncated DER, trailing data,
 * too large, a SAN with control bytes); a tampered signature parses with signature_ok 0.
 * OpenSSL's error queue must be left empty.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the above first */
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "orders/csr.h"
#include "orders/dcv.h"

struct fixture {
	char dir[64];
	EVP_PKEY *p256;  /* a key shared by the tests that do not care which */
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[256];

	if (fx == NULL)
		return -1;
	strcpy(fx->dir, "/tmp/certsweep-csr-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	fx->p256 = csr_key_generate(CSR_KEY_P256, err, sizeof(err));
	if (fx->p256 == NULL)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	EVP_PKEY_free(fx->p256);
	free(fx);
	return 0;
}

static const char *const sans3[] = { "www.example.test", "*.shop.example.test", "192.0.2.7",
				      "2001:db8::1" };

static char *build(EVP_PKEY *key, const char *c, char *err, size_t errlen)
{
	struct csr_subject s = {
		.cn = "example.test",
		.sans = sans3,
		.n_sans = 4,
		.o = "Example Ltd",
		.ou = "Ops",
		.c = c,
		.st = "Greater London",
		.l = "London",
		.email = "pki@example.test",
	};

	return csr_build_pem(key, &s, err, errlen);
}

static void assert_digests(const struct csr_info *info)
{
	unsigned char md5[16], sha[32];

	assert_true(EVP_Digest(info->der, info->der_len, md5, NULL, EVP_md5(), NULL));
	assert_true(EVP_Digest(info->der, info->der_len, sha, NULL, EVP_sha256(), NULL));
	assert_memory_equal(md5, info->md5, 16);
	assert_memory_equal(sha, info->sha256, 32);
}

/* ---------------------------------------------------------------- keys and round trips */

static void test_every_key_type(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		enum csr_key_type t;
		const char *type;
		int bits;
		const char *curve;
	} cases[] = {
		{ CSR_KEY_RSA2048, "RSA", 2048, "" },
		{ CSR_KEY_RSA3072, "RSA", 3072, "" },
		{ CSR_KEY_RSA4096, "RSA", 4096, "" },
		{ CSR_KEY_P256, "EC", 256, "prime256v1" },
		{ CSR_KEY_P384, "EC", 384, "secp384r1" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[256] = "", path[128], *pem;
		struct csr_info *info = NULL;
		EVP_PKEY *key = csr_key_generate(cases[i].t, err, sizeof(err)), *back;
		struct stat st;
		mode_t old = umask(0);

		assert_non_null(key);
		snprintf(path, sizeof(path), "%s/%s.key", fx->dir, csr_key_type_name(cases[i].t));
		assert_int_equal(csr_key_write(key, path, err, sizeof(err)), 0);
		umask(old);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
		back = csr_key_read(path, err, sizeof(err));
		assert_non_null(back);
		assert_int_equal(EVP_PKEY_eq(key, back), 1);

		pem = build(key, "gb", err, sizeof(err));
		assert_non_null(pem);
		assert_non_null(strstr(pem, "-----BEGIN CERTIFICATE REQUEST-----"));
		assert_int_equal(csr_parse((const unsigned char *)pem, strlen(pem), &info, err,
					   sizeof(err)), 0);
		assert_string_equal(info->key_type, cases[i].type);
		assert_int_equal(info->key_bits, cases[i].bits);
		assert_string_equal(info->curve, cases[i].curve);
		assert_int_equal(info->signature_ok, 1);
		assert_non_null(strstr(info->sig_alg, "SHA256") ? info->sig_alg :
				strstr(info->sig_alg, "sha256"));
		assert_int_equal(csr_key_matches(info, back), 1);
		assert_int_equal(csr_key_matches(info, fx->p256), 0);
		assert_digests(info);
		csr_info_free(info);
		free(pem);
		EVP_PKEY_free(back);
		EVP_PKEY_free(key);
	}
	assert_int_equal(ERR_peek_error(), 0);
}

static void test_round_trip_fields(void **state)
{
	struct fixture *fx = *state;
	char err[256], *pem = build(fx->p256, "gb", err, sizeof(err));
	struct csr_info *info = NULL, *info2 = NULL;
	BIO *bio;
	X509_REQ *req;
	unsigned char *der = NULL;
	int der_len;

	assert_non_null(pem);
	assert_int_equal(csr_parse((const unsigned char *)pem, strlen(pem), &info, err, sizeof(err)), 0);
	assert_string_equal(info->subject,
			    "emailAddress=pki@example.test,CN=example.test,OU=Ops,O=Example Ltd,"
			    "L=London,ST=Greater London,C=GB");
	assert_string_equal(info->cn, "example.test");
	assert_int_equal(info->n_sans, 5);  /* the CN first, then the four given */
	assert_int_equal(info->sans[0].type, CSR_SAN_DNS);
	assert_string_equal(info->sans[0].value, "example.test");
	assert_string_equal(info->sans[1].value, "www.example.test");
	assert_string_equal(info->sans[2].value, "*.shop.example.test");
	assert_int_equal(info->sans[3].type, CSR_SAN_IP);
	assert_string_equal(info->sans[3].value, "192.0.2.7");
	assert_int_equal(info->sans[4].type, CSR_SAN_IP);
	assert_string_equal(info->sans[4].value, "2001:db8::1");

	/* The same request as DER: same digests, same facts. */
	bio = BIO_new_mem_buf(pem, -1);
	req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	assert_non_null(req);
	der_len = i2d_X509_REQ(req, &der);
	assert_true(der_len > 0);
	assert_int_equal((size_t)der_len, info->der_len);
	assert_memory_equal(der, info->der, info->der_len);
	assert_int_equal(csr_parse(der, (size_t)der_len, &info2, err, sizeof(err)), 0);
	assert_memory_equal(info2->md5, info->md5, 16);
	assert_memory_equal(info2->sha256, info->sha256, 32);
	assert_string_equal(info2->subject, info->subject);
	assert_int_equal(info2->signature_ok, 1);

	/* A PEM file with text and another block before the request, and the old header. */
	{
		char *text = malloc(strlen(pem) + 400), *p;
		struct csr_info *info3 = NULL;

		assert_non_null(text);
		strcpy(text, "Subject: whatever\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
		p = text + strlen(text);
		strcpy(p, pem);
		/* "-----BEGIN CERTIFICATE REQUEST-----" -> "-----BEGIN NEW CERTIFICATE REQUEST-----" */
		p = strstr(text, "BEGIN CERTIFICATE REQUEST");
		memmove(p + 10, p + 6, strlen(p + 6) + 1);
		memcpy(p + 6, "NEW ", 4);
		p = strstr(text, "END CERTIFICATE REQUEST");
		memmove(p + 8, p + 4, strlen(p + 4) + 1);
		memcpy(p + 4, "NEW ", 4);
		assert_int_equal(csr_parse((const unsigned char *)text, strlen(text), &info3, err,
					   sizeof(err)), 0);
		assert_memory_equal(info3->sha256, info->sha256, 32);
		csr_info_free(info3);
		free(text);
	}

	/* dcv_values_from_der agrees with the parser's digests. */
	{
		struct dcv_values a, b;

		dcv_values_from_der(info->der, info->der_len, &a);
		dcv_values_from_digests(info->md5, info->sha256, &b);
		assert_string_equal(a.md5, b.md5);
		assert_string_equal(a.sha256, b.sha256);
	}
	OPENSSL_free(der);
	X509_REQ_free(req);
	BIO_free(bio);
	csr_info_free(info);
	csr_info_free(info2);
	free(pem);
	assert_int_equal(ERR_peek_error(), 0);
}

static void test_minimal_csr(void **state)
{
	struct fixture *fx = *state;
	struct csr_subject s = { .cn = "only.example.test" };
	char err[256], *pem = csr_build_pem(fx->p256, &s, err, sizeof(err));
	struct csr_info *info = NULL;

	assert_non_null(pem);
	assert_int_equal(csr_parse((const unsigned char *)pem, strlen(pem), &info, err, sizeof(err)), 0);
	assert_string_equal(info->subject, "CN=only.example.test");
	assert_int_equal(info->n_sans, 1);
	assert_string_equal(info->sans[0].value, "only.example.test");
	csr_info_free(info);
	free(pem);
}

/* ---------------------------------------------------------------- key files */

static void test_key_refuses_overwrite(void **state)
{
	struct fixture *fx = *state;
	char err[256] = "", path[128], buf[16] = "";
	int fd;

	snprintf(path, sizeof(path), "%s/existing.key", fx->dir);
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "precious", 8), 8);
	close(fd);
	assert_int_equal(csr_key_write(fx->p256, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already exists"));
	fd = open(path, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf) - 1), 8);
	close(fd);
	assert_string_equal(buf, "precious");

	/* a dangling symlink is an existing name too */
	snprintf(path, sizeof(path), "%s/link.key", fx->dir);
	assert_int_equal(symlink("/nonexistent/certsweep-target", path), 0);
	assert_int_equal(csr_key_write(fx->p256, path, err, sizeof(err)), -1);
	assert_null(csr_key_read(path, err, sizeof(err)));

	/* no temporary file is left behind */
	{
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "ls '%s' | grep -q tmp", fx->dir);
		assert_int_not_equal(system(cmd), 0);
	}
	snprintf(path, sizeof(path), "%s/nodir/x.key", fx->dir);
	assert_int_equal(csr_key_write(fx->p256, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nodir"));
}

static void test_key_type_names(void **state)
{
	enum csr_key_type t;
	char err[128];

	(void)state;
	assert_int_equal(csr_key_type_parse("RSA3072", &t, err, sizeof(err)), 0);
	assert_int_equal(t, CSR_KEY_RSA3072);
	assert_int_equal(csr_key_type_parse("secp384r1", &t, err, sizeof(err)), 0);
	assert_int_equal(t, CSR_KEY_P384);
	assert_int_equal(csr_key_type_parse("dsa1024", &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "rsa2048"));
	assert_null(csr_key_generate((enum csr_key_type)99, err, sizeof(err)));
}

/* ---------------------------------------------------------------- bad subjects */

static void test_bad_country(void **state)
{
	struct fixture *fx = *state;
	static const char *const bad[] = { "GBR", "G", "G1", "1B", "\xc3\xbc" "A", "g " };
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_null(build(fx->p256, bad[i], err, sizeof(err)));
		assert_non_null(strstr(err, "2-letter"));
	}
	/* empty means "no country" */
	{
		char *pem = build(fx->p256, "", err, sizeof(err));

		assert_non_null(pem);
		free(pem);
	}
	assert_int_equal(ERR_peek_error(), 0);
}

static void test_bad_subjects(void **state)
{
	struct fixture *fx = *state;
	char err[256], longcn[80];
	static const char *const bad_sans[] = { "exa mple.test", "-bad.test", "bad-.test",
						"a..test", "*.*.test", "x.*.test", "" };
	struct csr_subject s = { .cn = NULL };

	assert_null(csr_build_pem(fx->p256, &s, err, sizeof(err)));
	assert_non_null(strstr(err, "common name"));
	memset(longcn, 'a', 70);
	longcn[70] = '\0';
	s.cn = longcn;
	assert_null(csr_build_pem(fx->p256, &s, err, sizeof(err)));
	assert_non_null(strstr(err, "64"));
	s.cn = "ok.example.test";
	for (size_t i = 0; i < sizeof(bad_sans) / sizeof(bad_sans[0]); i++) {
		const char *one[1] = { bad_sans[i] };

		s.sans = one;
		s.n_sans = 1;
		err[0] = '\0';
		assert_null(csr_build_pem(fx->p256, &s, err, sizeof(err)));
		assert_non_null(strstr(err, "SAN"));
	}
	s.sans = NULL;
	s.n_sans = 0;
	s.o = "Evil\x1b[31m Corp";
	assert_null(csr_build_pem(fx->p256, &s, err, sizeof(err)));
	assert_non_null(strstr(err, "control"));
	s.o = NULL;
	s.email = "nobody";
	assert_null(csr_build_pem(fx->p256, &s, err, sizeof(err)));
	assert_non_null(strstr(err, "email"));
}

/* ---------------------------------------------------------------- hostile CSR bytes */

static void expect_parse_error(const void *buf, size_t len, const char *needle)
{
	struct csr_info *info = (struct csr_info *)1;
	char err[256] = "";

	assert_int_equal(csr_parse(buf, len, &info, err, sizeof(err)), -1);
	assert_null(info);
	if (strstr(err, needle) == NULL)
		fail_msg("error '%s' lacks '%s'", err, needle);
	assert_int_equal(ERR_peek_error(), 0);
}

static void test_hostile_bytes(void **state)
{
	struct fixture *fx = *state;
	char err[256], *pem = build(fx->p256, "GB", err, sizeof(err));
	struct csr_info *info = NULL;
	unsigned char *der, *big;
	size_t len;

	assert_non_null(pem);
	assert_int_equal(csr_parse((const unsigned char *)pem, strlen(pem), &info, err, sizeof(err)), 0);
	der = malloc(info->der_len + 1);
	assert_non_null(der);
	memcpy(der, info->der, info->der_len);
	len = info->der_len;

	expect_parse_error("", 0, "empty");
	expect_parse_error("hello world\n", 12, "neither PEM nor DER");
	expect_parse_error("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", 58,
			   "no CERTIFICATE REQUEST");
	{
		const char *c = "-----BEGIN CERTIFICATE REQUEST-----\n!!!notbase64!!!\n"
				"-----END CERTIFICATE REQUEST-----\n";

		expect_parse_error(c, strlen(c), "corrupt PEM");
	}
	expect_parse_error(der, len / 2, "corrupt CSR");
	expect_parse_error(der, 1, "corrupt CSR");
	der[len] = 0;
	expect_parse_error(der, len + 1, "trailing data");
	big = calloc(1, CSR_MAX_INPUT + 1);
	assert_non_null(big);
	big[0] = 0x30;
	expect_parse_error(big, CSR_MAX_INPUT + 1, "too large");
	free(big);

	/* A flipped byte in the signature: it parses, but the signature does not verify. */
	{
		struct csr_info *bad = NULL;

		der[len - 3] ^= 0x55;
		assert_int_equal(csr_parse(der, len, &bad, err, sizeof(err)), 0);
		assert_int_equal(bad->signature_ok, 0);
		csr_info_free(bad);
		assert_int_equal(ERR_peek_error(), 0);
	}
	free(der);
	csr_info_free(info);
	free(pem);
}

/* A CSR made directly with OpenSSL whose DNS SAN holds an escape sequence. */
static void test_hostile_san(void **state)
{
	struct fixture *fx = *state;
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
	unsigned char *der = NULL;
	int len;

	assert_true(ASN1_STRING_set(ia5, "evil\x1b[2J.test", -1));
	GENERAL_NAME_set0_value(g, GEN_DNS, ia5);
	assert_true(sk_GENERAL_NAME_push(gens, g));
	assert_true(sk_X509_EXTENSION_push(exts, X509V3_EXT_i2d(NID_subject_alt_name, 0, gens)));
	assert_true(X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
					       (const unsigned char *)"x\x1b[2J.test", -1, -1, 0));
	assert_true(X509_REQ_set_subject_name(req, name));
	assert_true(X509_REQ_set_pubkey(req, fx->p256));
	assert_true(X509_REQ_add_extensions(req, exts));
	assert_true(X509_REQ_sign(req, fx->p256, EVP_sha256()) > 0);
	len = i2d_X509_REQ(req, &der);
	assert_true(len > 0);
	expect_parse_error(der, (size_t)len, "not printable ASCII");
	OPENSSL_free(der);
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(name);
	X509_REQ_free(req);
}

static void test_parse_file(void **state)
{
	struct fixture *fx = *state;
	char err[256], path[128], *pem = build(fx->p256, "DE", err, sizeof(err));
	struct csr_info *info = NULL;
	FILE *f;

	assert_non_null(pem);
	snprintf(path, sizeof(path), "%s/req.csr", fx->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(pem, f);
	fclose(f);
	assert_int_equal(csr_parse_file(path, &info, err, sizeof(err)), 0);
	assert_non_null(strstr(info->subject, "C=DE"));
	csr_info_free(info);
	assert_int_equal(csr_parse_file(fx->dir, &info, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	snprintf(path, sizeof(path), "%s/none.csr", fx->dir);
	assert_int_equal(csr_parse_file(path, &info, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "none.csr"));
	free(pem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_type),
		cmocka_unit_test(test_round_trip_fields),
		cmocka_unit_test(test_minimal_csr),
		cmocka_unit_test(test_key_refuses_overwrite),
		cmocka_unit_test(test_key_type_names),
		cmocka_unit_test(test_bad_country),
		cmocka_unit_test(test_bad_subjects),
		cmocka_unit_test(test_hostile_bytes),
		cmocka_unit_test(test_hostile_san),
		cmocka_unit_test(test_parse_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
