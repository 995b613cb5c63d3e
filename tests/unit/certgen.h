/*
 * certgen.h: in-process test PKI for the unit tests (static helpers: each tests/unit/test_*.c is
 * one binary linked only with the library, so this header carries its own code).
 *
 *   struct cg_cert root = { 0 };
 *   cg_make(&(struct cg_spec){ .cn = "Test Root", .ca = 1,
 *                              .not_before = t0, .not_after = t1 }, &root);
 *   cg_make(&(struct cg_spec){ .cn = "www.example.test", .issuer = &root,
 *                              .san = "DNS:www.example.test",
 *                              .not_before = t0, .not_after = t1 }, &leaf);
 *   cg_obs_add(obs, &leaf);  ...  cg_free(&leaf);
 *
 * Keys: "ec256" (default, fast), "ec192", "rsa1024", "rsa2048". Signature hash: SHA-256 unless
 * .md says otherwise (libcrypto signs with SHA-1 and RSA-1024 fine; only TLS refuses them).
 * Extensions are given in openssl.cnf syntax; NULL means a sensible default, "" means none.
 * Returns 0 or -1; tests assert on it.
 */
#ifndef CS_TESTS_CERTGEN_H
#define CS_TESTS_CERTGEN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/observation.h"

struct cg_cert {
	X509 *x;        /* owned */
	EVP_PKEY *key;  /* owned */
};

struct cg_spec {
	const char *cn;                /* subject CN (NULL: none) */
	const char *org;               /* subject O (NULL: "Certsweep Test PKI") */
	const struct cg_cert *issuer;  /* NULL: self-signed */
	EVP_PKEY *sign_key;            /* overrides the issuer's key (to make a bad signature) */
	time_t not_before, not_after;
	int ca;                        /* basicConstraints CA:TRUE */
	const char *key;               /* "ec256" (default), "ec192", "rsa1024", "rsa2048" */
	const EVP_MD *md;              /* NULL: SHA-256 */
	const char *san;               /* e.g. "DNS:a.test,IP:127.0.0.1" */
	const char *ku, *eku;          /* NULL: default for a CA/leaf, "": none */
	const char *aia;               /* "OCSP;URI:http://o.test,caIssuers;URI:http://ca.test/i.crt" */
	const char *crl;               /* e.g. "URI:http://crl.test/ca.crl" */
	int sct;                       /* add an (empty) embedded SCT list extension */
	long serial;                   /* 0: 1000 + a counter */
};

static inline EVP_PKEY *cg_keygen(const char *kind)
{
	if (kind == NULL || strcmp(kind, "ec256") == 0)
		return EVP_EC_gen("P-256");
	if (strcmp(kind, "ec192") == 0)
		return EVP_EC_gen("prime192v1");
	if (strcmp(kind, "rsa1024") == 0)
		return EVP_RSA_gen(1024);
	if (strcmp(kind, "rsa2048") == 0)
		return EVP_RSA_gen(2048);
	return NULL;
}

static inline int cg_add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext;
	int ok;

	if (value == NULL || value[0] == '\0')
		return 0;
	ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	if (ext == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -1;
}

static inline int cg_add_sct(X509 *x)
{
	static const unsigned char empty_list[] = { 0x04, 0x02, 0x00, 0x00 };
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	int rc = -1;

	if (os != NULL && ASN1_OCTET_STRING_set(os, empty_list, sizeof(empty_list)) == 1 &&
	    (ext = X509_EXTENSION_create_by_NID(NULL, NID_ct_precert_scts, 0, os)) != NULL &&
	    X509_add_ext(x, ext, -1) == 1)
		rc = 0;
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	return rc;
}

static inline int cg_make(const struct cg_spec *s, struct cg_cert *out)
{
	static long counter;
	X509 *x = X509_new();
	EVP_PKEY *key = cg_keygen(s->key);
	X509_NAME *name = X509_NAME_new();
	EVP_PKEY *signer;
	X509V3_CTX ctx;
	int rc = -1;

	out->x = NULL;
	out->key = NULL;
	if (x == NULL || key == NULL || name == NULL)
		goto out;
	/* O then CN: RFC 2253 prints the most specific first, "CN=...,O=..." */
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
					(const unsigned char *)(s->org ? s->org : "Certsweep Test PKI"),
					-1, -1, 0))
		goto out;
	if (s->cn != NULL &&
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)s->cn,
					-1, -1, 0))
		goto out;
	if (!X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), s->serial ? s->serial : 1000 + ++counter) ||
	    !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, s->issuer ? X509_get_subject_name(s->issuer->x) : name) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), s->not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), s->not_after) || !X509_set_pubkey(x, key))
		goto out;
	X509V3_set_ctx(&ctx, s->issuer ? s->issuer->x : x, x, NULL, NULL, 0);
	if (cg_add_ext(x, &ctx, NID_basic_constraints, s->ca ? "critical,CA:TRUE" : "CA:FALSE") ||
	    cg_add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
	    (s->issuer && cg_add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always")) ||
	    cg_add_ext(x, &ctx, NID_key_usage,
		       s->ku ? s->ku : s->ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature") ||
	    cg_add_ext(x, &ctx, NID_ext_key_usage, s->eku ? s->eku : s->ca ? "" : "serverAuth") ||
	    cg_add_ext(x, &ctx, NID_subject_alt_name, s->san) ||
	    cg_add_ext(x, &ctx, NID_info_access, s->aia) ||
	    cg_add_ext(x, &ctx, NID_crl_distribution_points, s->crl) ||
	    (s->sct && cg_add_sct(x)))
		goto out;
	signer = s->sign_key ? s->sign_key : s->issuer ? s->issuer->key : key;
	if (X509_sign(x, signer, s->md ? s->md : EVP_sha256()) <= 0)
		goto out;
	out->x = x;
	out->key = key;
	x = NULL;
	key = NULL;
	rc = 0;
out:
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

static inline void cg_free(struct cg_cert *c)
{
	X509_free(c->x);
	EVP_PKEY_free(c->key);
	c->x = NULL;
	c->key = NULL;
}

/* DER of the certificate, malloc'd (OpenSSL's allocator): free with OPENSSL_free. */
static inline unsigned char *cg_der(const struct cg_cert *c, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509(c->x, &der);

	*len = n > 0 ? (size_t)n : 0;
	return n > 0 ? der : NULL;
}

static inline int cg_obs_add(struct observation *o, const struct cg_cert *c)
{
	size_t len;
	unsigned char *der = cg_der(c, &len);
	int rc = der != NULL ? obs_add_cert(o, der, len) : -1;

	OPENSSL_free(der);
	return rc;
}

/* Writes the certificates as PEM to a new temporary file; path receives its name (>= 64 bytes). */
static inline int cg_write_pem(const struct cg_cert *const *certs, size_t n, char *path)
{
	int fd, rc = 0;
	FILE *f;

	strcpy(path, "/tmp/certsweep-test-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (PEM_write_X509(f, certs[i]->x) != 1)
			rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

#endif
