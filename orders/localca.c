/*
 * localca.c: signs a CSR with a local CA (see localca.h for the contract). One function per
 * step (read the CA, build the certificate, add the extensions, encode), goto-cleanup in each
 * that acquires anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "orders/localca.h"

/* A memory BIO holding the file at path (regular, at most LOCALCA_MAX_FILE bytes); NULL with
 * err set. what names the file in messages. */
static BIO *read_bounded(const char *path, const char *what, char *err, size_t errlen)
{
	struct stat sb;
	FILE *f = NULL;
	unsigned char *buf = NULL;
	BIO *b = NULL;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &sb) != 0) {
		snprintf(err, errlen, "%s: cannot open %.200s", what, path);
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size <= 0 || sb.st_size > LOCALCA_MAX_FILE) {
		snprintf(err, errlen, "%s: %.200s is not a regular file of 1 to %d bytes", what,
		         path, LOCALCA_MAX_FILE);
		goto out;
	}
	if ((buf = malloc((size_t)sb.st_size)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	n = fread(buf, 1, (size_t)sb.st_size, f);
	if (n == 0 || (b = BIO_new(BIO_s_mem())) == NULL || BIO_write(b, buf, (int)n) != (int)n) {
		BIO_free(b);
		b = NULL;
		snprintf(err, errlen, "%s: cannot read %.200s", what, path);
	}
out:
	free(buf);
	if (f != NULL)
		fclose(f);
	return b;
}

/* A passphrase callback giving none: an encrypted key is refused, never prompted for. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return 0;
}

/* Reads the CA certificate and key and checks they belong together. 0, or -1 with err. */
static int load_ca(const char *cert_path, const char *key_path, X509 **ca, EVP_PKEY **key,
                   char *err, size_t errlen)
{
	BIO *b;
	BASIC_CONSTRAINTS *bc;
	int crit = 0;

	if ((b = read_bounded(cert_path, "--local-ca", err, errlen)) == NULL)
		return -1;
	*ca = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (*ca == NULL) {
		snprintf(err, errlen, "--local-ca: %.200s holds no PEM certificate", cert_path);
		return -1;
	}
	bc = X509_get_ext_d2i(*ca, NID_basic_constraints, &crit, NULL);
	if (bc == NULL && crit != -1) {
		snprintf(err, errlen, "--local-ca: %.200s has a corrupt basicConstraints", cert_path);
		return -1;
	}
	if (bc != NULL && !bc->ca) {
		BASIC_CONSTRAINTS_free(bc);
		snprintf(err, errlen, "--local-ca: %.200s is not a CA certificate", cert_path);
		return -1;
	}
	BASIC_CONSTRAINTS_free(bc);
	if ((b = read_bounded(key_path, "--local-ca-key", err, errlen)) == NULL)
		return -1;
	*key = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	if (*key == NULL) {
		snprintf(err, errlen, "--local-ca-key: %.200s holds no unencrypted PEM private key",
		         key_path);
		return -1;
	}
	if (X509_check_private_key(*ca, *key) != 1) {
		snprintf(err, errlen, "--local-ca-key: %.200s is not the key of %.200s", key_path,
		         cert_path);
		return -1;
	}
	return 0;
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok;

	if (ext == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -1;
}

/* Copies the CSR's requested subjectAltName into x. 0, or -1 (none or corrupt). */
static int copy_san(X509 *x, X509_REQ *req)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	int i, ret = -1;

	if (exts == NULL)
		return -1;
	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);

		if (OBJ_obj2nid(X509_EXTENSION_get_object(e)) == NID_subject_alt_name) {
			ret = X509_add_ext(x, e, -1) == 1 ? 0 : -1;
			break;
		}
	}
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return ret;
}

static int set_serial(X509 *x)
{
	unsigned char rnd[16];
	BIGNUM *bn = NULL;
	int ret = -1;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	rnd[0] &= 0x7f;                 /* positive */
	rnd[0] |= 0x40;                 /* and non-zero, 16 bytes long */
	if ((bn = BN_bin2bn(rnd, sizeof(rnd), NULL)) != NULL &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL)
		ret = 0;
	BN_free(bn);
	return ret;
}

/* Builds and signs the leaf for req. NULL with err set. */
static X509 *make_leaf(X509_REQ *req, EVP_PKEY *pub, X509 *ca, EVP_PKEY *ca_key, int days,
                       char *err, size_t errlen)
{
	X509V3_CTX ctx;
	X509 *x = X509_new();
	const EVP_MD *md = EVP_sha256();
	int id = EVP_PKEY_get_base_id(ca_key);

	if (x == NULL || X509_set_version(x, 2) != 1 || set_serial(x) != 0 ||
	    X509_set_issuer_name(x, X509_get_subject_name(ca)) != 1 ||
	    X509_set_subject_name(x, X509_REQ_get_subject_name(req)) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL) == NULL ||
	    X509_set_pubkey(x, pub) != 1) {
		snprintf(err, errlen, "cannot build the certificate");
		goto fail;
	}
	if (copy_san(x, req) != 0) {
		snprintf(err, errlen, "the CSR requests no subjectAltName");
		goto fail;
	}
	X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
	if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
	    add_ext(x, &ctx, NID_key_usage, EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA ?
	            "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature") != 0 ||
	    add_ext(x, &ctx, NID_ext_key_usage, "serverAuth") != 0 ||
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash") != 0 ||
	    add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") != 0) {
		snprintf(err, errlen, "cannot add the certificate's extensions");
		goto fail;
	}
	if (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448)
		md = NULL;
	if (X509_sign(x, ca_key, md) <= 0) {
		snprintf(err, errlen, "cannot sign with the CA key");
		goto fail;
	}
	return x;
fail:
	X509_free(x);
	return NULL;
}

/* Appends the PEM of x to b. 0 or -1. */
static int put_pem(BIO *b, X509 *x)
{
	return PEM_write_bio_X509(b, x) == 1 ? 0 : -1;
}

int localca_sign(const unsigned char *csr_der, size_t csr_der_len, const char *ca_cert_path,
                 const char *ca_key_path, int days, char **chain_pem, char *err, size_t errlen)
{
	const unsigned char *p = csr_der;
	X509_REQ *req = NULL;
	X509 *ca = NULL, *leaf = NULL;
	EVP_PKEY *ca_key = NULL, *pub = NULL;
	BIO *out = NULL;
	char *data;
	long n;
	int ret = -1;

	*chain_pem = NULL;
	if (days < 1 || days > LOCALCA_MAX_DAYS) {
		snprintf(err, errlen, "validity of %d days is out of range", days);
		goto out;
	}
	if (csr_der_len == 0 || csr_der_len > LOCALCA_MAX_FILE ||
	    (req = d2i_X509_REQ(NULL, &p, (long)csr_der_len)) == NULL ||
	    p != csr_der + csr_der_len) {
		snprintf(err, errlen, "the CSR does not parse");
		goto out;
	}
	if ((pub = X509_REQ_get_pubkey(req)) == NULL || X509_REQ_verify(req, pub) != 1) {
		snprintf(err, errlen, "the CSR's signature does not verify");
		goto out;
	}
	if (load_ca(ca_cert_path, ca_key_path, &ca, &ca_key, err, errlen) != 0)
		goto out;
	if ((leaf = make_leaf(req, pub, ca, ca_key, days, err, errlen)) == NULL)
		goto out;
	if ((out = BIO_new(BIO_s_mem())) == NULL || put_pem(out, leaf) != 0 ||
	    put_pem(out, ca) != 0 || (n = BIO_get_mem_data(out, &data)) <= 0 ||
	    (*chain_pem = strndup(data, (size_t)n)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	ret = 0;
out:
	BIO_free(out);
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(pub);
	X509_REQ_free(req);
	ERR_clear_error();
	return ret;
}
