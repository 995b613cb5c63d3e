/*
 * test_load.c: unit tests of analyzer/load.c (chain files for `certsweep analyze --file`).
 *
 * Group setup makes an in-process PKI (certgen.h): a root, an intermediate and a leaf for
 * www.example.test, plus a temporary folder. Each test writes one file in one format (PEM with
 * text and a key around the certificates, TRUSTED CERTIFICATE, DER, PKCS#7 in DER and PEM,
 * PKCS#12 without and with a password, certificates only, and with RC2-40 as OpenSSL 1.x made
 * them), loads it, and compares every DER in the observation with the expected chain in leaf ->
 * issuer order, the file positions and the format. The order finding is checked on misordered
 * PEM files through a real analysis, and every error path (no file, empty, text, corrupt PEM, DER
 * and PKCS#12, wrong and missing password, a key and no certificate, too many certificates, too
 * large, a directory) must fail with its message, leave no certificate in the observation and
 * leave OpenSSL's error queue empty.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the above first */
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>

#include "analyzer/analyzer.h"
#include "analyzer/load.h"
#include "core/observation.h"
#include "tests/unit/certgen.h"

#define DAY 86400L
#define AT ((time_t)1767225600) /* 2026-01-01 00:00:00 UTC */
#define HOST "www.example.test"

struct fixture {
	struct cg_cert root, inter, leaf;
	char dir[64];
	char roots[128];   /* PEM with the root, for analyses */
};

/* ---------------------------------------------------------------- helpers */

static void path_in(const struct fixture *fx, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", fx->dir, name);
}

static void write_bytes(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Writes whatever the BIO callback wrote into a memory BIO to the file. */
static void write_bio(const char *path, BIO *bio)
{
	char *data;
	long len = BIO_get_mem_data(bio, &data);

	assert_true(len >= 0);
	write_bytes(path, data, (size_t)len);
	BIO_free(bio);
}

static void write_pem(const char *path, const char *prefix, const struct cg_cert *const *certs,
		      size_t n, const char *suffix)
{
	BIO *bio = BIO_new(BIO_s_mem());

	assert_non_null(bio);
	if (prefix != NULL)
		BIO_puts(bio, prefix);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(PEM_write_bio_X509(bio, certs[i]->x), 1);
	if (suffix != NULL)
		BIO_puts(bio, suffix);
	write_bio(path, bio);
}

/* Asserts obs holds exactly the certificates `want`, in that order. */
static void assert_chain(const struct observation *obs, const struct cg_cert *const *want, size_t n)
{
	assert_int_equal(obs->chain_len, n);
	for (size_t i = 0; i < n; i++) {
		size_t len;
		unsigned char *der = cg_der(want[i], &len);

		assert_non_null(der);
		assert_int_equal(obs->chain[i].len, len);
		assert_memory_equal(obs->chain[i].der, der, len);
		OPENSSL_free(der);
	}
}

/* Loads path; asserts success and no error left on the queue. Returns a new observation. */
static struct observation *load_ok(const char *path, const char *pw, struct chain_load_info *info)
{
	struct observation *obs = obs_new();
	char err[256] = "";

	assert_non_null(obs);
	ERR_clear_error();
	if (chain_load_file(path, pw, obs, info, err, sizeof(err)) != 0)
		fail_msg("loading %s failed: %s", path, err);
	assert_int_equal(ERR_peek_error(), 0);
	return obs;
}

/* Loads path; asserts failure with `want` in the message, an empty chain and a clean queue. */
static void load_fails(const char *path, const char *pw, const char *want)
{
	struct observation *obs = obs_new();
	struct chain_load_info info;
	char err[256] = "";

	assert_non_null(obs);
	ERR_clear_error();
	assert_int_equal(chain_load_file(path, pw, obs, &info, err, sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("%s: expected \"%s\" in \"%s\"", path, want, err);
	assert_int_equal(obs->chain_len, 0);
	assert_int_equal(ERR_peek_error(), 0);
	obs_free(obs);
}

static struct analysis *analyse(const struct fixture *fx, const struct observation *obs,
				struct analyzer **az)
{
	struct analyzer_config cfg = { .ca_file = fx->roots, .at = AT };
	char err[256];
	struct analysis *an;

	*az = analyzer_new(&cfg, err, sizeof(err));
	assert_non_null(*az);
	an = analyze(*az, obs);
	assert_non_null(an);
	return an;
}

static int has_finding(const struct analysis *an, const char *id)
{
	for (size_t i = 0; i < an->n_findings; i++)
		if (strcmp(an->findings[i].id, id) == 0)
			return 1;
	return 0;
}

static PKCS12 *make_p12(const struct fixture *fx, const char *pw, int with_key, int nid_cert,
			OSSL_LIB_CTX *ctx)
{
	STACK_OF(X509) *ca = sk_X509_new_null();
	PKCS12 *p12;

	assert_non_null(ca);
	/* The CA certificates in the "wrong" order: the loader sorts them. */
	assert_true(sk_X509_push(ca, fx->root.x) > 0);
	assert_true(sk_X509_push(ca, fx->inter.x) > 0);
	if (!with_key)
		assert_true(sk_X509_push(ca, fx->leaf.x) > 0);
	p12 = PKCS12_create_ex(pw, "leaf", with_key ? fx->leaf.key : NULL,
			       with_key ? fx->leaf.x : NULL, ca, 0, nid_cert, 0, 0, 0, ctx, NULL);
	sk_X509_free(ca);
	assert_non_null(p12);
	return p12;
}

static void write_p12(const char *path, PKCS12 *p12)
{
	BIO *bio = BIO_new(BIO_s_mem());

	assert_non_null(bio);
	assert_int_equal(i2d_PKCS12_bio(bio, p12), 1);
	PKCS12_free(p12);
	write_bio(path, bio);
}

static PKCS7 *make_p7(const struct cg_cert *const *certs, size_t n)
{
	PKCS7 *p7 = PKCS7_new();

	assert_non_null(p7);
	assert_int_equal(PKCS7_set_type(p7, NID_pkcs7_signed), 1);
	assert_int_equal(PKCS7_content_new(p7, NID_pkcs7_data), 1);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(PKCS7_add_certificate(p7, certs[i]->x), 1);
	return p7;
}

/* ---------------------------------------------------------------- setup */

static int group_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	const struct cg_cert *root[1];

	if (fx == NULL)
		return -1;
	if (cg_make(&(struct cg_spec){ .cn = "Load Test Root", .ca = 1, .not_before = AT - 365 * DAY,
				       .not_after = AT + 3650 * DAY }, &fx->root) ||
	    cg_make(&(struct cg_spec){ .cn = "Load Test Intermediate", .ca = 1, .issuer = &fx->root,
				       .not_before = AT - 365 * DAY, .not_after = AT + 1825 * DAY },
		    &fx->inter) ||
	    cg_make(&(struct cg_spec){ .cn = HOST, .issuer = &fx->inter, .san = "DNS:" HOST,
				       .not_before = AT - 30 * DAY, .not_after = AT + 60 * DAY },
		    &fx->leaf))
		return -1;
	strcpy(fx->dir, "/tmp/certsweep-test-load-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->roots, sizeof(fx->roots), "%s/roots.pem", fx->dir);
	root[0] = &fx->root;
	{
		FILE *f = fopen(fx->roots, "w");
		if (f == NULL || PEM_write_X509(f, root[0]->x) != 1 || fclose(f) != 0)
			return -1;
	}
	*state = fx;
	return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	return remove(path);
}

static int group_teardown(void **state)
{
	struct fixture *fx = *state;

	cg_free(&fx->root);
	cg_free(&fx->inter);
	cg_free(&fx->leaf);
	/* The folder holds only files this test wrote, under a mkdtemp name: depth first. */
	if (nftw(fx->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "could not remove %s\n", fx->dir);
	free(fx);
	return 0;
}

#define FX struct fixture *fx = *state
#define CERTS(...) (const struct cg_cert *const[]){ __VA_ARGS__ }, \
	(sizeof((const struct cg_cert *const[]){ __VA_ARGS__ }) / sizeof(void *))

/* ---------------------------------------------------------------- formats */

static void test_pem_chain_with_key_and_text(void **state)
{
	FX;
	char path[128], *keypem = NULL;
	struct chain_load_info info;
	struct observation *obs;
	BIO *kb = BIO_new(BIO_s_mem());
	long klen;

	/* "openssl x509 -text"-style text before, a private key between and after. */
	assert_non_null(kb);
	assert_int_equal(PEM_write_bio_PrivateKey(kb, fx->leaf.key, NULL, NULL, 0, NULL, NULL), 1);
	klen = BIO_get_mem_data(kb, &keypem);
	{
		BIO *bio = BIO_new(BIO_s_mem());
		BIO_puts(bio, "Certificate:\n    Data:\n        Version: 3 (0x2)\n");
		assert_int_equal(PEM_write_bio_X509(bio, fx->leaf.x), 1);
		BIO_write(bio, keypem, (int)klen);
		assert_int_equal(PEM_write_bio_X509(bio, fx->inter.x), 1);
		assert_int_equal(PEM_write_bio_X509(bio, fx->root.x), 1);
		BIO_puts(bio, "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n");
		path_in(fx, "chain.pem", path, sizeof(path));
		write_bio(path, bio);
	}
	BIO_free(kb);
	obs = load_ok(path, NULL, &info);
	assert_chain(obs, CERTS(&fx->leaf, &fx->inter, &fx->root));
	assert_int_equal(info.format, CHAIN_FMT_PEM);
	assert_string_equal(chain_format_name(info.format), "pem");
	assert_int_equal(info.n_certs, 3);
	assert_int_equal(info.file_pos[0], 0);
	assert_int_equal(info.file_pos[1], 1);
	assert_int_equal(info.file_pos[2], 2);
	assert_true(info.order_reportable);
	assert_false(info.has_key);
	{
		struct analyzer *az;
		struct analysis *an = analyse(fx, obs, &az);
		struct finding f;

		assert_true(an->verified);
		assert_int_equal(chain_order_finding(&info, an, &f), 0);
		analysis_free(an);
		analyzer_free(az);
	}
	obs_free(obs);
}

static void test_pem_reversed(void **state)
{
	FX;
	char path[128];
	struct chain_load_info info;
	struct observation *obs;
	struct analyzer *az;
	struct analysis *an;
	struct finding f;

	path_in(fx, "reversed.pem", path, sizeof(path));
	write_pem(path, NULL, CERTS(&fx->root, &fx->inter, &fx->leaf), NULL);
	obs = load_ok(path, NULL, &info);
	assert_chain(obs, CERTS(&fx->leaf, &fx->inter, &fx->root));
	assert_int_equal(info.file_pos[0], 2);
	assert_int_equal(info.file_pos[1], 1);
	assert_int_equal(info.file_pos[2], 0);
	an = analyse(fx, obs, &az);
	assert_true(an->verified);
	assert_false(has_finding(an, "chain.order")); /* the analyzer sees the sorted chain */
	assert_int_equal(chain_order_finding(&info, an, &f), 1);
	assert_string_equal(f.id, "chain.order");
	assert_int_equal(f.severity, SEV_MEDIUM);
	assert_int_equal(f.cert_pos, 0);
	assert_non_null(f.fix);
	assert_non_null(strstr(f.message, "the leaf \"" HOST "\" is certificate 3 of the file"));
	assert_non_null(strstr(f.message, "1 \"Load Test Root\", 2 \"Load Test Intermediate\", 3 \"" HOST "\""));
	analysis_free(an);
	analyzer_free(az);
	obs_free(obs);
}

static void test_pem_intermediates_misordered(void **state)
{
	FX;
	char path[128];
	struct chain_load_info info;
	struct observation *obs;
	struct analyzer *az;
	struct analysis *an;
	struct finding f;

	path_in(fx, "misordered.pem", path, sizeof(path));
	write_pem(path, NULL, CERTS(&fx->leaf, &fx->root, &fx->inter), NULL);
	obs = load_ok(path, NULL, &info);
	assert_chain(obs, CERTS(&fx->leaf, &fx->inter, &fx->root));
	assert_int_equal(info.file_pos[1], 2);
	an = analyse(fx, obs, &az);
	assert_int_equal(chain_order_finding(&info, an, &f), 1);
	assert_int_equal(f.severity, SEV_LOW);
	assert_int_equal(f.cert_pos, 0);
	assert_string_equal(f.message, "certificate 1 of the file (\"" HOST "\") is followed by "
			    "\"Load Test Root\", which did not issue it; its issuer \"Load Test "
			    "Intermediate\" is certificate 3 of the file");
	analysis_free(an);
	analyzer_free(az);
	obs_free(obs);
}

static void test_no_leaf_in_bundle(void **state)
{
	FX;
	char path[128];
	struct chain_load_info info;
	struct observation *obs;

	/* Root then intermediate, no leaf: the intermediate issues nothing here, so it leads. */
	path_in(fx, "cas.pem", path, sizeof(path));
	write_pem(path, NULL, CERTS(&fx->root, &fx->inter), NULL);
	obs = load_ok(path, NULL, &info);
	assert_chain(obs, CERTS(&fx->inter, &fx->root));
	obs_free(obs);

	/* A single self-signed certificate. */
	path_in(fx, "root.pem", path, sizeof(path));
	write_pem(path, NULL, CERTS(&fx->root), NULL);
	obs = load_ok(path, NULL, &info);
	assert_chain(obs, CERTS(&fx->root));
	assert_int_equal(info.file_pos[0], 0);
	obs_free(obs);

	/* An unrelated root first: it issues nothing here either, but the leaf is the non-CA one;
	 * the unrelated root follows the leaf's issuer path. */
	{
		struct cg_cert other = { 0 };

		assert_int_equal(cg_make(&(struct cg_spec){ .cn = "Other Root", .ca = 1,
							   .not_before = AT - DAY,
							   .not_after = AT + DAY }, &other), 0);
		path_in(fx, "other.pem", path, sizeof(path));
		write_pem(path, NULL, CERTS(&other, &fx->root, &fx->leaf, &fx->inter), NULL);
		obs = load_ok(path, NULL, &info);
		assert_chain(obs, CERTS(&fx->leaf, &fx->inter, &fx->root, &other));
		assert_int_equal(info.file_pos[0], 2);
		assert_int_equal(info.file_pos[1], 3);
		assert_int_equal(info.file_pos[2], 1);
		assert_int_equal(info.file_pos[3], 0);
		obs_free(obs);
		cg_free(&other);
	}
}

static void test_trusted_certificate(void **state)
{
	FX;
	char path[128];
	struct chain_load_info info;
	struct observation *obs;
	BIO *bio = BIO_new(BIO_s_mem());
	X509 *dup = X509_dup(fx->leaf.x);
	ASN1_OBJECT *obj = OBJ_nid2obj(NID_server_auth);

	assert_non_null(dup);
	assert_int_equal(X509_add1_trust_object(dup, obj), 1);
	assert_int_equal(PEM_write_bio_X509_AUX(bio, dup), 1);
	assert_int_equal(PEM_write_bio_X509(bio, fx->inter.x), 1);
	X509_free(dup);
	path_in(fx, "trusted.pem", path, sizeof(path));
	write_bio(path, bio);
	{
		FILE *f = fopen(path, "r");
		char line[64];
		assert_non_null(fgets(line, sizeof(line), f));
		fclose(f);
		assert_string_equal(line, "-----BEGIN TRUSTED CERTIFICATE-----\n");
	}
	obs = load_ok(path, NULL, &info);
	assert_chain(obs, CERTS(&fx->leaf, &fx->inter)); /* the certificate's DER, no trust aux */
	assert_int_equal(info.format, CHAIN_FMT_PEM);
	obs_free(obs);
}

static void test_der(void **state)
{
	FX;
	char path[128];
	struct chain_load_info info;
	struct observation *obs;
	size_t len;
	unsigned char *der = cg_der(&fx->leaf, &len);

	path_in(fx, "leaf.der", path, sizeof(path));
	write_bytes(path, der, len);
	OPENSSL_free(der);
	obs = load_ok(path, NULL, &info);
	assert_chain(obs, CERTS(&fx->leaf));
	assert_int_equal(info.format, CHAIN_FMT_DER);
	assert_string_equal(chain_format_name(info.format), "der");
	assert_true(info.order_reportable);
	obs_free(obs);
}

static void test_pkcs7(void **state)
{
	FX;
	char der_path[128], pem_path[128];
	struct chain_load_info info;
	struct observation *obs;
	PKCS7 *p7 = make_p7(CERTS(&fx->root, &fx->leaf, &fx->inter));
	BIO *bio = BIO_new(BIO_s_mem());

	assert_int_equal(i2d_PKCS7_bio(bio, p7), 1);
	path_in(fx, "chain.p7b", der_path, sizeof(der_path));
	write_bio(der_path, bio);
	bio = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PKCS7(bio, p7), 1);
	path_in(fx, "chain-p7.pem", pem_path, sizeof(pem_path));
	write_bio(pem_path, bio);
	PKCS7_free(p7);

	obs = load_ok(der_path, NULL, &info);
	assert_chain(obs, CERTS(&fx->leaf, &fx->inter, &fx->root));
	assert_int_equal(info.format, CHAIN_FMT_PKCS7);
	assert_string_equal(chain_format_name(info.format), "pkcs7");
	assert_false(info.order_reportable); /* a SET OF: its order means nothing */
	assert_int_equal(info.file_pos[0], 1);
	obs_free(obs);

	obs = load_ok(pem_path, NULL, &info);
	assert_chain(obs, CERTS(&fx->leaf, &fx->inter, &fx->root));
	assert_int_equal(info.format, CHAIN_FMT_PKCS7);
	obs_free(obs);
}

static void test_pkcs7_errors(void **state)
{
	FX;
	char path[128];
	PKCS7 *p7 = make_p7(NULL, 0);
	BIO *bio = BIO_new(BIO_s_mem());

	assert_int_equal(i2d_PKCS7_bio(bio, p7), 1);
	PKCS7_free(p7);
	path_in(fx, "empty.p7b", path, sizeof(path));
	write_bio(path, bio);
	load_fails(path, NULL, "holds no certificate");

	p7 = PKCS7_new();
	assert_int_equal(PKCS7_set_type(p7, NID_pkcs7_data), 1);
	bio = BIO_new(BIO_s_mem());
	assert_int_equal(i2d_PKCS7_bio(bio, p7), 1);
	PKCS7_free(p7);
	path_in(fx, "data.p7", path, sizeof(path));
	write_bio(path, bio);
	load_fails(path, NULL, "PKCS#7 of type pkcs7-data holds no certificates");
}

static void test_pkcs12_no_password(void **state)
{
	FX;
	char path[128];
	struct chain_load_info info;
	struct observation *obs;

	path_in(fx, "nopass.p12", path, sizeof(path));
	write_p12(path, make_p12(fx, "", 1, 0, NULL));
	obs = load_ok(path, NULL, &info);
	assert_chain(obs, CERTS(&fx->leaf, &fx->inter, &fx->root));
	assert_int_equal(info.format, CHAIN_FMT_PKCS12);
	assert_string_equal(chain_format_name(info.format), "pkcs12");
	assert_true(info.has_key);
	assert_true(info.key_matches);
	assert_false(info.order_reportable);
	obs_free(obs);
	/* A password given for a file that needs none does no harm. */
	obs = load_ok(path, "unused", &info);
	assert_chain(obs, CERTS(&fx->leaf, &fx->inter, &fx->root));
	obs_free(obs);
}

static void test_pkcs12_password(void **state)
{
	FX;
	char path[128];
	struct chain_load_info info;
	struct observation *obs;

	path_in(fx, "pass.p12", path, sizeof(path));
	write_p12(path, make_p12(fx, "s3cret pass", 1, 0, NULL));
	obs = load_ok(path, "s3cret pass", &info);
	assert_chain(obs, CERTS(&fx->leaf, &fx->inter, &fx->root));
	assert_true(info.key_matches);
	assert_int_equal(info.file_pos[0], 0);
	obs_free(obs);
	load_fails(path, "wrong", "wrong password for the PKCS#12 file");
	load_fails(path, NULL, "protected by a password");
	load_fails(path, "", "protected by a password");
}

static void test_pkcs12_certs_only(void **state)
{
	FX;
	char path[128];
	struct chain_load_info info;
	struct observation *obs;

	path_in(fx, "certs.p12", path, sizeof(path));
	write_p12(path, make_p12(fx, "pw", 0, 0, NULL));
	obs = load_ok(path, "pw", &info);
	assert_chain(obs, CERTS(&fx->leaf, &fx->inter, &fx->root)); /* leaf found by issuance */
	assert_false(info.has_key);
	obs_free(obs);
}

/* RC2-40 for the certificate bag, as OpenSSL 1.x wrote by default: needs the legacy provider,
 * which the loader loads into a private library context. */
static void test_pkcs12_legacy(void **state)
{
	FX;
	char path[128];
	struct chain_load_info info;
	struct observation *obs;
	OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();
	OSSL_PROVIDER *def = OSSL_PROVIDER_load(ctx, "default");
	OSSL_PROVIDER *leg = OSSL_PROVIDER_load(ctx, "legacy");

	if (leg == NULL)
		skip();
	path_in(fx, "legacy.p12", path, sizeof(path));
	write_p12(path, make_p12(fx, "old", 1, NID_pbe_WithSHA1And40BitRC2_CBC, ctx));
	OSSL_PROVIDER_unload(leg);
	OSSL_PROVIDER_unload(def);
	OSSL_LIB_CTX_free(ctx);
	/* The default context cannot decrypt it ... */
	assert_null(OSSL_PROVIDER_available(NULL, "legacy") ? "legacy already loaded" : NULL);
	obs = load_ok(path, "old", &info);
	assert_chain(obs, CERTS(&fx->leaf, &fx->inter, &fx->root));
	assert_true(info.key_matches);
	obs_free(obs);
	/* ... and the loader left it so. */
	assert_false(OSSL_PROVIDER_available(NULL, "legacy"));
	load_fails(path, "new", "wrong password");
}

static void test_mem_and_stdin_contract(void **state)
{
	FX;
	struct observation *obs = obs_new();
	struct chain_load_info info;
	char err[256];
	size_t len;
	unsigned char *der = cg_der(&fx->leaf, &len);

	assert_int_equal(chain_load_mem(der, len, NULL, obs, &info, err, sizeof(err)), 0);
	assert_chain(obs, CERTS(&fx->leaf));
	/* A second load into the same observation is refused. */
	assert_int_equal(chain_load_mem(der, len, NULL, obs, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already holds a chain"));
	assert_int_equal(obs->chain_len, 1);
	obs_free(obs);
	/* info may be NULL. */
	obs = obs_new();
	assert_int_equal(chain_load_mem(der, len, NULL, obs, NULL, err, sizeof(err)), 0);
	obs_free(obs);
	/* Too large, refused unread. */
	obs = obs_new();
	assert_int_equal(chain_load_mem(der, CHAIN_LOAD_MAX_FILE + 1, NULL, obs, NULL, err,
					sizeof(err)), -1);
	assert_non_null(strstr(err, "larger than 10 MB"));
	obs_free(obs);
	OPENSSL_free(der);
	assert_string_equal(chain_format_name((enum chain_format)99), "unknown");
}

/* ---------------------------------------------------------------- errors */

static void test_file_errors(void **state)
{
	FX;
	char path[128];
	int fd;

	path_in(fx, "does-not-exist.pem", path, sizeof(path));
	load_fails(path, NULL, "does-not-exist.pem: no such file");
	load_fails(fx->dir, NULL, "is a directory");

	path_in(fx, "empty.pem", path, sizeof(path));
	write_bytes(path, "", 0);
	load_fails(path, NULL, "empty.pem: empty file");
	path_in(fx, "blank.pem", path, sizeof(path));
	write_bytes(path, " \n\r\n\t", 5);
	load_fails(path, NULL, "empty file");

	path_in(fx, "text.txt", path, sizeof(path));
	write_bytes(path, "hello, this is not a certificate\n", 33);
	load_fails(path, NULL, "not a certificate file");
	path_in(fx, "zero.bin", path, sizeof(path));
	write_bytes(path, "0\x03\x01\x01\x00", 5);
	load_fails(path, NULL, "not a certificate file");

	/* 10 MB + 1 byte (sparse): refused by size before reading. */
	path_in(fx, "huge.pem", path, sizeof(path));
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, CHAIN_LOAD_MAX_FILE + 1), 0);
	close(fd);
	load_fails(path, NULL, "larger than 10 MB");
	unlink(path);
}

static void test_corrupt_pem(void **state)
{
	FX;
	char path[128];
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *copy;
	long len;

	assert_int_equal(PEM_write_bio_X509(bio, fx->leaf.x), 1);
	assert_int_equal(PEM_write_bio_X509(bio, fx->inter.x), 1);
	len = BIO_get_mem_data(bio, &data);
	copy = malloc((size_t)len + 1);
	memcpy(copy, data, (size_t)len);
	copy[len] = '\0';
	BIO_free(bio);

	/* Bad base64 in the second block. */
	{
		char *second = strstr(copy + 10, "-----BEGIN CERTIFICATE-----");
		char *body = strchr(second, '\n') + 1;
		body[5] = '!';
		body[6] = '*';
		path_in(fx, "badb64.pem", path, sizeof(path));
		write_bytes(path, copy, (size_t)len);
		load_fails(path, NULL, "corrupt PEM: block 2");
		body[5] = 'A';
		body[6] = 'A';
	}
	/* No END line. */
	{
		char *end = strstr(copy, "-----END CERTIFICATE-----");
		path_in(fx, "noend.pem", path, sizeof(path));
		write_bytes(path, copy, (size_t)(end - copy));
		load_fails(path, NULL, "corrupt PEM: block 1");
	}
	/* Valid base64 of something that is not a certificate. */
	path_in(fx, "notcert.pem", path, sizeof(path));
	write_bytes(path, "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n", 71);
	load_fails(path, NULL, "certificate 1: corrupt DER");
	/* Only a key. */
	{
		BIO *kb = BIO_new(BIO_s_mem());
		assert_int_equal(PEM_write_bio_PrivateKey(kb, fx->leaf.key, NULL, NULL, 0, NULL, NULL), 1);
		path_in(fx, "key.pem", path, sizeof(path));
		write_bio(path, kb);
		load_fails(path, NULL, "no certificate in the PEM data (blocks found: PRIVATE KEY)");
	}
	free(copy);
}

static void test_corrupt_der(void **state)
{
	FX;
	char path[128];
	size_t len;
	unsigned char *der = cg_der(&fx->leaf, &len);
	unsigned char *longer = malloc(len + 1);

	path_in(fx, "trunc.der", path, sizeof(path));
	write_bytes(path, der, len / 2);
	load_fails(path, NULL, "corrupt DER");
	memcpy(longer, der, len);
	longer[len] = 0;
	path_in(fx, "trailing.der", path, sizeof(path));
	write_bytes(path, longer, len + 1);
	load_fails(path, NULL, "1 bytes after the certificate");
	free(longer);
	OPENSSL_free(der);
}

static void test_corrupt_pkcs12(void **state)
{
	FX;
	char path[128];
	PKCS12 *p12 = make_p12(fx, "pw", 1, 0, NULL);
	unsigned char *der = NULL;
	int len = i2d_PKCS12(p12, &der);

	PKCS12_free(p12);
	assert_true(len > 100);
	path_in(fx, "trunc.p12", path, sizeof(path));
	write_bytes(path, der, (size_t)len - 40);
	load_fails(path, "pw", "corrupt PKCS#12");
	/* One flipped byte inside the encrypted data: the MAC no longer verifies. */
	der[len / 2] ^= 0x55;
	path_in(fx, "flipped.p12", path, sizeof(path));
	write_bytes(path, der, (size_t)len);
	{
		struct observation *obs = obs_new();
		char err[256];
		assert_int_equal(chain_load_file(path, "pw", obs, NULL, err, sizeof(err)), -1);
		assert_int_equal(obs->chain_len, 0);
		obs_free(obs);
	}
	OPENSSL_free(der);
}

static void test_too_many(void **state)
{
	FX;
	char path[128];
	const struct cg_cert *many[OBS_MAX_CHAIN + 1];
	struct chain_load_info info;
	struct observation *obs;

	for (size_t i = 0; i <= OBS_MAX_CHAIN; i++)
		many[i] = &fx->root;
	path_in(fx, "many.pem", path, sizeof(path));
	write_pem(path, NULL, many, OBS_MAX_CHAIN + 1, NULL);
	load_fails(path, NULL, "more than 16 certificates");
	/* Exactly 16 is fine. */
	write_pem(path, NULL, many, OBS_MAX_CHAIN, NULL);
	obs = load_ok(path, NULL, &info);
	assert_int_equal(obs->chain_len, OBS_MAX_CHAIN);
	obs_free(obs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pem_chain_with_key_and_text),
		cmocka_unit_test(test_pem_reversed),
		cmocka_unit_test(test_pem_intermediates_misordered),
		cmocka_unit_test(test_no_leaf_in_bundle),
		cmocka_unit_test(test_trusted_certificate),
		cmocka_unit_test(test_der),
		cmocka_unit_test(test_pkcs7),
		cmocka_unit_test(test_pkcs7_errors),
		cmocka_unit_test(test_pkcs12_no_password),
		cmocka_unit_test(test_pkcs12_password),
		cmocka_unit_test(test_pkcs12_certs_only),
		cmocka_unit_test(test_pkcs12_legacy),
		cmocka_unit_test(test_mem_and_stdin_contract),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_corrupt_pem),
		cmocka_unit_test(test_corrupt_der),
		cmocka_unit_test(test_corrupt_pkcs12),
		cmocka_unit_test(test_too_many),
	};

	return cmocka_run_group_tests_name("load", tests, group_setup, group_teardown);
}
