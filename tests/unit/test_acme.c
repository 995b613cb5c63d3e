/*
 * test_acme.c: unit tests of acme_check_chain (orders/acme.c): the check of an issued chain
 * against the order before anything is stored. A CSR is made with key A for a.test, b.test and
 * 127.0.0.1; certificates are made for it with key A or key B and with various SANs. The right
 * one passes (names compared case-insensitively) and is returned re-encoded without the text
 * around it; another key, a missing DNS name or address, a chain without a certificate, and
 * too many certificates fail with their reason. OpenSSL's error queue must be left empty.
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

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "orders/acme.h"
#include "orders/csr.h"

struct fixture {
	EVP_PKEY *a, *b;
	struct csr_info *ci;
};

static const char *const names[] = { "a.test", "b.test", "127.0.0.1" };

static int setup(void **state)
{
	static const char *const sans[] = { "a.test", "b.test", "127.0.0.1" };
	struct fixture *f = calloc(1, sizeof(*f));
	struct csr_subject s = { .cn = "a.test", .sans = sans, .n_sans = 3 };
	char err[256], *pem;

	assert_non_null(f);
	assert_non_null(f->a = csr_key_generate(CSR_KEY_P256, err, sizeof(err)));
	assert_non_null(f->b = csr_key_generate(CSR_KEY_P256, err, sizeof(err)));
	assert_non_null(pem = csr_build_pem(f->a, &s, err, sizeof(err)));
	assert_int_equal(csr_parse((const unsigned char *)pem, strlen(pem), &f->ci, err,
	                           sizeof(err)), 0);
	free(pem);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	EVP_PKEY_free(f->a);
	EVP_PKEY_free(f->b);
	csr_info_free(f->ci);
	free(f);
	return 0;
}

/* A PEM certificate for key with subjectAltName san (e.g. "DNS:a.test"), self-signed, with
 * prefix text before it; malloc'd. */
static char *make_cert(EVP_PKEY *key, const char *san, const char *prefix, int copies)
{
	X509 *x = X509_new();
	X509_EXTENSION *ext;
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	assert_non_null(x);
	assert_non_null(b);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                           (const unsigned char *)"t", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, key);
	if (san != NULL) {
		ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
		assert_non_null(ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	BIO_puts(b, prefix);
	for (int i = 0; i < copies; i++)
		PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &data);
	out = malloc((size_t)n + 1);
	assert_non_null(out);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	BIO_free(b);
	X509_free(x);
	return out;
}

static int check(struct fixture *f, const char *pem, char **clean, char *err, size_t len)
{
	return acme_check_chain(pem, f->ci->der, f->ci->der_len, names, 3, clean, err, len);
}

static void test_match(void **state)
{
	struct fixture *f = *state;
	char err[256] = "", *clean = NULL;
	char *pem = make_cert(f->a, "DNS:A.TEST,DNS:b.test,IP:127.0.0.1", "junk \x1b[31m\n", 2);

	assert_int_equal(check(f, pem, &clean, err, sizeof(err)), 0);
	assert_non_null(clean);
	assert_true(strncmp(clean, "-----BEGIN CERTIFICATE-----", 27) == 0);
	assert_null(strstr(clean, "junk"));
	assert_non_null(strstr(clean + 27, "-----BEGIN CERTIFICATE-----"));  /* both kept */
	assert_int_equal(ERR_peek_error(), 0);
	free(clean);
	free(pem);
}

static void expect_fail(struct fixture *f, const char *pem, const char *why)
{
	char err[256] = "", *clean = (char *)1;

	assert_int_equal(check(f, pem, &clean, err, sizeof(err)), -1);
	assert_null(clean);
	if (strstr(err, why) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", why, err);
	assert_int_equal(ERR_peek_error(), 0);
}

static void test_other_key(void **state)
{
	struct fixture *f = *state;
	char *pem = make_cert(f->b, "DNS:a.test,DNS:b.test,IP:127.0.0.1", "", 1);

	expect_fail(f, pem, "public key is not the CSR's key");
	free(pem);
}

static void test_missing_names(void **state)
{
	struct fixture *f = *state;
	char *pem = make_cert(f->a, "DNS:a.test,IP:127.0.0.1", "", 1);

	expect_fail(f, pem, "lacks b.test");
	free(pem);
	pem = make_cert(f->a, "DNS:a.test,DNS:b.test,IP:127.0.0.2", "", 1);
	expect_fail(f, pem, "lacks 127.0.0.1");
	free(pem);
	pem = make_cert(f->a, "DNS:a.test,DNS:b.test,DNS:127.0.0.1", "", 1);
	expect_fail(f, pem, "lacks 127.0.0.1");   /* an address is not a DNS name */
	free(pem);
	pem = make_cert(f->a, "DNS:*.test,DNS:b.test,IP:127.0.0.1", "", 1);
	expect_fail(f, pem, "lacks a.test");      /* exact names, no wildcard matching */
	free(pem);
	pem = make_cert(f->a, NULL, "", 1);
	expect_fail(f, pem, "lacks a.test");
	free(pem);
}

static void test_garbage(void **state)
{
	struct fixture *f = *state;
	char *pem = make_cert(f->a, "DNS:a.test,DNS:b.test,IP:127.0.0.1", "", 18);

	expect_fail(f, "", "no readable certificate");
	expect_fail(f, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
	            "no readable certificate");
	expect_fail(f, pem, "more than 16 certificates");
	free(pem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_other_key),
		cmocka_unit_test(test_missing_names),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
