/*
 * load.c: a certificate chain file -> the observation's DER chain (contract in load.h).
 *
 * Algorithm:
 *   1. read the file whole, refusing more than CHAIN_LOAD_MAX_FILE bytes (fstat first, then a
 *      bounded read, since a pipe or /proc file has no honest size);
 *   2. detect the format by content: a "-----BEGIN " anywhere means PEM (text may surround the
 *      blocks); else a DER SEQUENCE whose first inner element names the structure: a SEQUENCE
 *      is a certificate (TBSCertificate), an OBJECT IDENTIFIER a PKCS#7 ContentInfo, an
 *      INTEGER a PKCS#12 PFX (version 3); anything else is "not a certificate file";
 *   3. every certificate found, whatever the container, goes through one funnel, bundle_add():
 *      re-parsed from its DER in the default library context, size-checked, counted;
 *   4. pick the leaf and sort (see load.h), then copy the DER into the observation.
 *
 * Error queue: each entry point sets a mark and pops to it, reading OpenSSL's reasons in between.
 */
#include "analyzer/load.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/text.h"

/* MAC key-derivation iterations accepted: common tools use 2,048 to 600,000; a hostile file must not
 * buy hours of CPU with one number. */
#define P12_MAX_ITER 10000000

/* The certificates found so far, in file order. */
struct bundle {
	X509 *x[OBS_MAX_CHAIN];    /* owned */
	size_t n;
	int key_idx;               /* PKCS#12: index of the key's certificate, -1 none */
	int has_key;
};

static const char *const format_names[] = {
	[CHAIN_FMT_PEM] = "pem",
	[CHAIN_FMT_DER] = "der",
	[CHAIN_FMT_PKCS7] = "pkcs7",
	[CHAIN_FMT_PKCS12] = "pkcs12",
};

const char *chain_format_name(enum chain_format f)
{
	if ((unsigned)f > CHAIN_FMT_PKCS12)
		return "unknown";
	return format_names[f];
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* OpenSSL's reason for the latest error, or what. Static storage. */
static const char *ossl_reason(const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	return r != NULL ? r : what;
}

static void bundle_free(struct bundle *b)
{
	for (size_t i = 0; i < b->n; i++)
		X509_free(b->x[i]);
	b->n = 0;
}

/* Adds one certificate given as DER; what names it in errors ("certificate 2"). The DER must be
 * exactly one certificate. */
static int bundle_add(struct bundle *b, const unsigned char *der, size_t len, char *err,
		      size_t errlen)
{
	const unsigned char *p = der;
	X509 *x;

	if (b->n == OBS_MAX_CHAIN) {
		seterr(err, errlen, "more than %d certificates: a chain has at most %d (a bundle of "
		       "roots belongs in the trust store)", OBS_MAX_CHAIN, OBS_MAX_CHAIN);
		return -1;
	}
	if (len == 0 || len > OBS_MAX_CERT_DER) {
		seterr(err, errlen, "certificate %zu: size %zu out of range (1 to %d bytes)", b->n + 1,
		       len, OBS_MAX_CERT_DER);
		return -1;
	}
	x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL) {
		seterr(err, errlen, "certificate %zu: corrupt DER (%s)", b->n + 1,
		       ossl_reason("not an X.509 certificate"));
		return -1;
	}
	if (p != der + len) {
		seterr(err, errlen, "certificate %zu: corrupt DER (%zu bytes after the certificate)",
		       b->n + 1, (size_t)(der + len - p));
		X509_free(x);
		return -1;
	}
	b->x[b->n++] = x;
	return 0;
}

/* Adds a parsed certificate (borrowed) through its DER encoding. */
static int bundle_add_x509(struct bundle *b, X509 *x, char *err, size_t errlen)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der), rc;

	if (n <= 0) {
		seterr(err, errlen, "certificate %zu: cannot be encoded (%s)", b->n + 1,
		       ossl_reason("corrupt"));
		return -1;
	}
	rc = bundle_add(b, der, (size_t)n, err, errlen);
	OPENSSL_free(der);
	return rc;
}

/* ---------------------------------------------------------------- PKCS#7 */

static int load_pkcs7(struct bundle *b, const unsigned char *der, size_t len, char *err,
		      size_t errlen)
{
	const unsigned char *p = der;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)len);
	STACK_OF(X509) *certs = NULL;
	int rc = -1, n;

	if (p7 == NULL) {
		seterr(err, errlen, "corrupt PKCS#7 (%s)", ossl_reason("cannot parse"));
		goto out;
	}
	if (p != der + len) {
		seterr(err, errlen, "corrupt PKCS#7 (%zu bytes after the structure)",
		       (size_t)(der + len - p));
		goto out;
	}
	if (!PKCS7_type_is_signed(p7)) {
		seterr(err, errlen, "PKCS#7 of type %s holds no certificates (only SignedData does, "
		       "as in .p7b files)", OBJ_nid2sn(OBJ_obj2nid(p7->type)));
		goto out;
	}
	if (p7->d.sign != NULL)
		certs = p7->d.sign->cert;
	n = certs != NULL ? sk_X509_num(certs) : 0;
	if (n == 0) {
		seterr(err, errlen, "the PKCS#7 structure holds no certificate");
		goto out;
	}
	for (int i = 0; i < n; i++)
		if (bundle_add_x509(b, sk_X509_value(certs, i), err, errlen) != 0)
			goto out;
	rc = 0;
out:
	PKCS7_free(p7);
	return rc;
}

/* ---------------------------------------------------------------- PKCS#12 */

/* What one PKCS12_parse gave, as DER so nothing outlives the library context it was made in. */
struct p12_out {
	unsigned char *der[OBS_MAX_CHAIN]; /* OPENSSL_malloc'd; der[0] is the key's certificate
	                                      when has_cert */
	int len[OBS_MAX_CHAIN];
	int n;
	int too_many;
	int has_key, has_cert;
};

static void p12_out_free(struct p12_out *o)
{
	for (int i = 0; i < o->n; i++)
		OPENSSL_free(o->der[i]);
	o->n = 0;
}

static int p12_out_add(struct p12_out *o, X509 *x)
{
	unsigned char *der = NULL;
	int n;

	if (o->n == OBS_MAX_CHAIN) {
		o->too_many = 1;
		return 0;
	}
	n = i2d_X509(x, &der);
	if (n <= 0)
		return -1;
	o->der[o->n] = der;
	o->len[o->n++] = n;
	return 0;
}

/*
 * d2i + PKCS12_parse with password pw in whatever library context is the thread's default now.
 * Returns 0 on success, -1 on a parse or decryption failure (reason left on the error queue).
 */
static int p12_parse_once(const unsigned char *der, size_t len, const char *pw, struct p12_out *o)
{
	const unsigned char *p = der;
	PKCS12 *p12 = d2i_PKCS12(NULL, &p, (long)len);
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *ca = NULL;
	int rc = -1;

	memset(o, 0, sizeof(*o));
	if (p12 == NULL || !PKCS12_parse(p12, pw, &pkey, &cert, &ca))
		goto out;
	o->has_key = pkey != NULL;
	o->has_cert = cert != NULL;
	if (cert != NULL && p12_out_add(o, cert) != 0)
		goto out;
	for (int i = 0; ca != NULL && i < sk_X509_num(ca); i++)
		if (p12_out_add(o, sk_X509_value(ca, i)) != 0)
			goto out;
	rc = 0;
out:
	if (rc != 0)
		p12_out_free(o);
	sk_X509_pop_free(ca, X509_free);
	X509_free(cert);
	EVP_PKEY_free(pkey);
	PKCS12_free(p12);
	return rc;
}

/*
 * The same inside a private library context holding the default and legacy providers, made the
 * thread's default for the duration: RC2-40 and friends, which OpenSSL 1.x used for the
 * certificate bag by default, live in the legacy provider.
 */
static int p12_parse_legacy(const unsigned char *der, size_t len, const char *pw,
			    struct p12_out *o)
{
	OSSL_LIB_CTX *lctx = OSSL_LIB_CTX_new(), *prev;
	OSSL_PROVIDER *def = NULL, *leg = NULL;
	int rc = -1;

	if (lctx == NULL)
		return -1;
	def = OSSL_PROVIDER_load(lctx, "default");
	leg = OSSL_PROVIDER_load(lctx, "legacy");
	if (def != NULL && leg != NULL) {
		prev = OSSL_LIB_CTX_set0_default(lctx);
		if (prev != NULL) {
			rc = p12_parse_once(der, len, pw, o);
			OSSL_LIB_CTX_set0_default(prev);
		}
	}
	if (leg != NULL)
		OSSL_PROVIDER_unload(leg);
	if (def != NULL)
		OSSL_PROVIDER_unload(def);
	OSSL_LIB_CTX_free(lctx);
	return rc;
}

/*
 * Which password opens the file: the empty one (NULL or "") first, then pw. Returns the password
 * to use ("" or pw), or NULL with err set. A file without a MAC cannot tell: "" is returned and
 * pw tried by the caller when decryption fails.
 */
static const char *p12_password(PKCS12 *p12, const char *pw, char *err, size_t errlen)
{
	const ASN1_INTEGER *iter = NULL;
	long n;

	if (!PKCS12_mac_present(p12))
		return "";
	PKCS12_get0_mac(NULL, NULL, NULL, &iter, p12);
	n = iter != NULL ? ASN1_INTEGER_get(iter) : 1;
	if (n < 1 || n > P12_MAX_ITER) {
		seterr(err, errlen, "the PKCS#12 integrity check asks for %ld key-derivation "
		       "iterations (1 to %d accepted)", n, P12_MAX_ITER);
		return NULL;
	}
	if (PKCS12_verify_mac(p12, NULL, 0) || PKCS12_verify_mac(p12, "", 0))
		return "";
	if (pw != NULL && pw[0] != '\0' && PKCS12_verify_mac(p12, pw, -1))
		return pw;
	if (pw == NULL || pw[0] == '\0')
		seterr(err, errlen, "the PKCS#12 file is protected by a password: give it with "
		       "--password-file or --password-env");
	else
		seterr(err, errlen, "wrong password for the PKCS#12 file (the integrity check "
		       "failed)");
	return NULL;
}

static int load_pkcs12(struct bundle *b, const unsigned char *der, size_t len, const char *pw,
		       char *err, size_t errlen)
{
	const unsigned char *p = der;
	PKCS12 *p12 = d2i_PKCS12(NULL, &p, (long)len);
	struct p12_out o = { .n = 0 };
	const char *use;
	int rc = -1;

	if (p12 == NULL) {
		seterr(err, errlen, "corrupt PKCS#12 (%s)", ossl_reason("cannot parse"));
		goto out;
	}
	if (p != der + len) {
		seterr(err, errlen, "corrupt PKCS#12 (%zu bytes after the structure)",
		       (size_t)(der + len - p));
		goto out;
	}
	use = p12_password(p12, pw, err, errlen);
	if (use == NULL)
		goto out;
	if (p12_parse_once(der, len, use, &o) != 0 && p12_parse_legacy(der, len, use, &o) != 0) {
		/* No MAC: the empty password was a guess; the given one may decrypt. */
		if (!PKCS12_mac_present(p12) && pw != NULL && pw[0] != '\0' &&
		    (p12_parse_once(der, len, pw, &o) == 0 || p12_parse_legacy(der, len, pw, &o) == 0))
			goto parsed;
		seterr(err, errlen, "cannot decrypt the PKCS#12 contents (%s)",
		       ossl_reason("unsupported or corrupt"));
		goto out;
	}
parsed:
	if (o.too_many) {
		seterr(err, errlen, "more than %d certificates: a chain has at most %d (a bundle of "
		       "roots belongs in the trust store)", OBS_MAX_CHAIN, OBS_MAX_CHAIN);
		goto out;
	}
	if (o.n == 0) {
		seterr(err, errlen, "the PKCS#12 file holds no certificate%s",
		       o.has_key ? " (only a private key)" : "");
		goto out;
	}
	for (int i = 0; i < o.n; i++)
		if (bundle_add(b, o.der[i], (size_t)o.len[i], err, errlen) != 0)
			goto out;
	b->has_key = o.has_key;
	b->key_idx = o.has_cert ? 0 : -1;
	rc = 0;
out:
	p12_out_free(&o);
	PKCS12_free(p12);
	return rc;
}

/* ---------------------------------------------------------------- PEM */

static int is_cert_block(const char *name)
{
	return strcmp(name, PEM_STRING_X509) == 0 || strcmp(name, PEM_STRING_X509_OLD) == 0;
}

static int is_p7_block(const char *name)
{
	return strcmp(name, PEM_STRING_PKCS7) == 0 || strcmp(name, PEM_STRING_PKCS7_SIGNED) == 0;
}

/* A TRUSTED CERTIFICATE block: the certificate followed by OpenSSL's trust settings. */
static int add_trusted(struct bundle *b, const unsigned char *data, long dlen, char *err,
		       size_t errlen)
{
	const unsigned char *p = data;
	X509 *x = d2i_X509_AUX(NULL, &p, dlen);
	int rc;

	if (x == NULL || p != data + dlen) {
		seterr(err, errlen, "certificate %zu: corrupt TRUSTED CERTIFICATE block (%s)",
		       b->n + 1, x == NULL ? ossl_reason("cannot parse") : "trailing bytes");
		X509_free(x);
		return -1;
	}
	rc = bundle_add_x509(b, x, err, errlen);
	X509_free(x);
	return rc;
}

/* Appends a block name to the list of skipped ones (for "no certificate" messages). */
static void note_skipped(char *list, size_t size, const char *name)
{
	size_t used = strlen(list);
	char clean[40];

	if (strstr(list, name) != NULL || used + 4 >= size)
		return;
	text_terminal(clean, sizeof(clean), name);
	snprintf(list + used, size - used, "%s%s", used ? ", " : "", clean);
}

/*
 * Reads every PEM block. Returns the number of blocks seen (>= 0) or -1 with err set. *p7_only
 * is set when certificates came only from PKCS7 blocks.
 */
static int load_pem(struct bundle *b, const unsigned char *buf, size_t len, int *p7_only,
		    char *err, size_t errlen)
{
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	char *name = NULL, *header = NULL, skipped[160] = "";
	unsigned char *data = NULL;
	long dlen = 0;
	int blocks = 0, certs = 0, p7s = 0, rc = -1;

	if (bio == NULL) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	for (;;) {
		if (!PEM_read_bio(bio, &name, &header, &data, &dlen)) {
			unsigned long e = ERR_peek_last_error();

			if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
				break;
			seterr(err, errlen, "corrupt PEM: block %d (%s)", blocks + 1,
			       ossl_reason("cannot decode"));
			goto out;
		}
		blocks++;
		if (is_cert_block(name)) {
			if (bundle_add(b, data, (size_t)dlen, err, errlen) != 0)
				goto out;
			certs++;
		} else if (strcmp(name, PEM_STRING_X509_TRUSTED) == 0) {
			if (add_trusted(b, data, dlen, err, errlen) != 0)
				goto out;
			certs++;
		} else if (is_p7_block(name)) {
			if (load_pkcs7(b, data, (size_t)dlen, err, errlen) != 0)
				goto out;
			p7s++;
		} else {
			note_skipped(skipped, sizeof(skipped), name);
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
		name = header = NULL;
		data = NULL;
	}
	if (blocks > 0 && b->n == 0) {
		seterr(err, errlen, "no certificate in the PEM data (blocks found: %s)", skipped);
		goto out;
	}
	*p7_only = p7s > 0 && certs == 0;
	rc = blocks;
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(bio);
	return rc;
}

/* ---------------------------------------------------------------- detection */

enum der_kind { DER_NONE, DER_CERT, DER_PKCS7, DER_PKCS12 };

/* The structure a DER buffer claims to be, from the tag of the first element inside the outer
 * SEQUENCE (definite or indefinite length). */
static enum der_kind der_sniff(const unsigned char *b, size_t len)
{
	size_t hdr;

	if (len < 4 || b[0] != 0x30)
		return DER_NONE;
	if (b[1] < 0x80 || b[1] == 0x80)
		hdr = 2;
	else if (b[1] <= 0x84)
		hdr = 2 + (size_t)(b[1] & 0x7f);
	else
		return DER_NONE;
	if (len <= hdr + 1)
		return DER_NONE;
	switch (b[hdr]) {
	case 0x30: return DER_CERT;
	case 0x06: return DER_PKCS7;
	case 0x02: return DER_PKCS12;
	default: return DER_NONE;
	}
}

static int only_space(const unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r' && buf[i] != '\n')
			return 0;
	return 1;
}

static int detect_and_load(struct bundle *b, const unsigned char *buf, size_t len,
			   const char *pw, enum chain_format *fmt, char *err, size_t errlen)
{
	int p7_only = 0, blocks = 0;

	if (len == 0 || only_space(buf, len)) {
		seterr(err, errlen, "empty file");
		return -1;
	}
	if (memmem(buf, len, "-----BEGIN ", 11) != NULL) {
		blocks = load_pem(b, buf, len, &p7_only, err, errlen);
		if (blocks < 0)
			return -1;
		if (blocks > 0) {
			*fmt = p7_only ? CHAIN_FMT_PKCS7 : CHAIN_FMT_PEM;
			return 0;
		}
		/* A "-----BEGIN " that starts no block: perhaps DER quoting it. */
	}
	switch (der_sniff(buf, len)) {
	case DER_CERT:
		*fmt = CHAIN_FMT_DER;
		return bundle_add(b, buf, len, err, errlen);
	case DER_PKCS7:
		*fmt = CHAIN_FMT_PKCS7;
		return load_pkcs7(b, buf, len, err, errlen);
	case DER_PKCS12:
		*fmt = CHAIN_FMT_PKCS12;
		return load_pkcs12(b, buf, len, pw, err, errlen);
	default:
		seterr(err, errlen, "not a certificate file (%s)",
		       memmem(buf, len, "-----BEGIN ", 11) != NULL ?
		       "a \"-----BEGIN \" line that starts no valid PEM block" :
		       "no PEM block, and not DER: expected PEM, DER, PKCS#7 or PKCS#12");
		return -1;
	}
}

/* ---------------------------------------------------------------- order */

static int issued(X509 *issuer, X509 *subject)
{
	return X509_check_issued(issuer, subject) == X509_V_OK;
}

/* The leaf: see load.h. */
static int pick_leaf(const struct bundle *b)
{
	int first = -1;

	if (b->key_idx >= 0)
		return b->key_idx;
	for (size_t i = 0; i < b->n; i++) {
		int issues_other = 0;

		for (size_t j = 0; j < b->n && !issues_other; j++)
			issues_other = j != i && issued(b->x[i], b->x[j]);
		if (issues_other)
			continue;
		if (X509_check_ca(b->x[i]) == 0)
			return (int)i;
		if (first < 0)
			first = (int)i;
	}
	return first >= 0 ? first : 0;
}

/* out[k] = bundle index of the k-th certificate in analysed order. */
static void order_chain(const struct bundle *b, int leaf, int out[OBS_MAX_CHAIN])
{
	unsigned char used[OBS_MAX_CHAIN] = { 0 };
	size_t k = 0;
	int cur = leaf;

	out[k++] = cur;
	used[cur] = 1;
	while (k < b->n && !issued(b->x[cur], b->x[cur])) {
		int next = -1;

		for (size_t j = 0; j < b->n && next < 0; j++)
			if (!used[j] && issued(b->x[j], b->x[cur]))
				next = (int)j;
		if (next < 0)
			break;
		out[k++] = next;
		used[next] = 1;
		cur = next;
	}
	for (size_t j = 0; j < b->n; j++)
		if (!used[j])
			out[k++] = (int)j;
}

static int fill_obs(const struct bundle *b, enum chain_format fmt, struct observation *obs,
		    struct chain_load_info *info, char *err, size_t errlen)
{
	int order[OBS_MAX_CHAIN];

	order_chain(b, pick_leaf(b), order);
	memset(info, 0, sizeof(*info));
	info->format = fmt;
	info->order_reportable = fmt == CHAIN_FMT_PEM || fmt == CHAIN_FMT_DER;
	info->has_key = b->has_key;
	info->key_matches = b->has_key && b->key_idx >= 0;
	for (size_t i = 0; i < b->n; i++) {
		unsigned char *der = NULL;
		int n = i2d_X509(b->x[order[i]], &der);
		int rc = n > 0 ? obs_add_cert(obs, der, (size_t)n) : -1;

		OPENSSL_free(der);
		if (rc != 0) {
			seterr(err, errlen, "out of memory");
			return -1;
		}
		info->file_pos[i] = order[i];
		info->n_certs++;
	}
	return 0;
}

static void obs_clear_chain(struct observation *obs)
{
	for (size_t i = 0; i < obs->chain_len && i < OBS_MAX_CHAIN; i++) {
		free(obs->chain[i].der);
		obs->chain[i].der = NULL;
		obs->chain[i].len = 0;
	}
	obs->chain_len = 0;
}

int chain_load_mem(const unsigned char *buf, size_t len, const char *password,
		   struct observation *obs, struct chain_load_info *info, char *err, size_t errlen)
{
	struct bundle b = { .n = 0, .key_idx = -1 };
	struct chain_load_info scratch;
	enum chain_format fmt = CHAIN_FMT_PEM;
	int rc = -1;

	if (info == NULL)
		info = &scratch;
	memset(info, 0, sizeof(*info));
	if (obs->chain_len != 0) {
		seterr(err, errlen, "internal error: the observation already holds a chain");
		return -1;
	}
	if (len > CHAIN_LOAD_MAX_FILE) {
		seterr(err, errlen, "larger than %d MB: not a certificate chain",
		       CHAIN_LOAD_MAX_FILE / (1024 * 1024));
		return -1;
	}
	ERR_set_mark();
	if (detect_and_load(&b, buf, len, password, &fmt, err, errlen) == 0 &&
	    fill_obs(&b, fmt, obs, info, err, errlen) == 0)
		rc = 0;
	ERR_pop_to_mark();
	if (rc != 0) {
		obs_clear_chain(obs);
		memset(info, 0, sizeof(*info));
	}
	bundle_free(&b);
	return rc;
}

/* ---------------------------------------------------------------- files */

/* Reads at most max + 1 bytes of fd into a new buffer; *len is what was read. */
static unsigned char *read_bounded(int fd, size_t max, size_t *len, int *errnum)
{
	size_t cap = 64 * 1024, n = 0;
	unsigned char *buf = malloc(cap), *nb;

	*errnum = ENOMEM;
	while (buf != NULL) {
		ssize_t r;

		if (n == cap) {
			if (cap > max) /* already past the bound: the caller refuses */
				break;
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*errnum = errno;
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return buf;
}

int chain_load_file(const char *path, const char *password, struct observation *obs,
		    struct chain_load_info *info, char *err, size_t errlen)
{
	int stdin_ = strcmp(path, "-") == 0;
	int fd = stdin_ ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	unsigned char *buf = NULL;
	size_t len = 0;
	struct stat sb;
	int rc = -1, errnum;
	char msg[256];

	if (fd < 0) {
		seterr(err, errlen, "%s: %s", path, errno == ENOENT ? "no such file" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(sb.st_mode)) {
		seterr(err, errlen, "%s: is a directory, not a certificate file", path);
		goto out;
	}
	if (S_ISREG(sb.st_mode) && sb.st_size > CHAIN_LOAD_MAX_FILE) {
		seterr(err, errlen, "%s: larger than %d MB (%lld bytes): not a certificate chain",
		       path, CHAIN_LOAD_MAX_FILE / (1024 * 1024), (long long)sb.st_size);
		goto out;
	}
	buf = read_bounded(fd, CHAIN_LOAD_MAX_FILE, &len, &errnum);
	if (buf == NULL) {
		seterr(err, errlen, "%s: %s", path, strerror(errnum));
		goto out;
	}
	if (len > CHAIN_LOAD_MAX_FILE) {
		seterr(err, errlen, "%s: larger than %d MB: not a certificate chain", path,
		       CHAIN_LOAD_MAX_FILE / (1024 * 1024));
		goto out;
	}
	if (chain_load_mem(buf, len, password, obs, info, msg, sizeof(msg)) != 0) {
		seterr(err, errlen, "%s: %s", path, msg);
		goto out;
	}
	rc = 0;
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len); /* a PKCS#12 or PEM may hold a private key */
		free(buf);
	}
	if (!stdin_)
		close(fd);
	return rc;
}

/* ---------------------------------------------------------------- the order finding */

/* Copies s into dst (size > max), keeping at most max bytes: a longer s is cut on a UTF-8
 * character boundary and ends in "...". */
static void utf8_cut(char *dst, size_t size, const char *s, size_t max)
{
	size_t len = strlen(s), i = 0, limit;

	if (max >= size)
		max = size - 1;
	limit = len <= max ? len : max >= 3 ? max - 3 : 0;
	while (i < limit) {
		size_t n = text_utf8_seq((const unsigned char *)s + i, len - i);

		if (n == 0)
			n = 1;
		if (i + n > limit)
			break;
		i += n;
	}
	memcpy(dst, s, i);
	if (len > max && max >= 3) {
		memcpy(dst + i, "...", 3);
		i += 3;
	}
	dst[i] = '\0';
}

static const char *label(const struct certinfo *ci, char *buf, size_t size)
{
	utf8_cut(buf, size, ci->subject_cn[0] != '\0' ? ci->subject_cn : ci->subject, 48);
	return buf;
}

static const struct check *order_check(void)
{
	for (size_t i = 0; cert_checks[i] != NULL; i++)
		if (strcmp(cert_checks[i]->id, "chain.order") == 0)
			return cert_checks[i];
	return NULL;
}

/* Appends printf-style to f->message, cutting on a UTF-8 boundary when full. */
static void msg_add(struct finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void msg_add(struct finding *f, const char *fmt, ...)
{
	char tmp[sizeof(f->message) * 2];
	size_t used = strlen(f->message);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	utf8_cut(f->message + used, sizeof(f->message) - used, tmp, sizeof(f->message) - used - 1);
}

int chain_order_finding(const struct chain_load_info *info, const struct analysis *an,
			struct finding *f)
{
	const struct check *desc = order_check();
	size_t n = info->n_certs < an->n_certs ? info->n_certs : an->n_certs, first = 0, k;
	char a[64], b[64], c[64];

	if (!info->order_reportable || n == 0)
		return 0;
	while (first < n && info->file_pos[first] == (int)first)
		first++;
	if (first == n)
		return 0;
	memset(f, 0, sizeof(*f));
	f->id = desc != NULL ? desc->id : "chain.order";
	f->fix = desc != NULL ? desc->fix :
		 "Reorder the chain file: the leaf first, then the certificate that issued it, "
		 "then that certificate's issuer, and so on.";
	f->severity = desc != NULL ? desc->severity : SEV_LOW;
	if (first == 0) {
		/* The leaf is not the file's first certificate. */
		if (f->severity < SEV_MEDIUM)
			f->severity = SEV_MEDIUM;
		f->cert_pos = 0;
		msg_add(f, "the leaf \"%s\" is certificate %d of the file, not the first: nginx and "
			"Apache take the first certificate as the private key's and refuse the file; "
			"the file's order:", label(an->certs[0], a, sizeof(a)), info->file_pos[0] + 1);
		for (int pos = 0; pos < (int)n; pos++)
			for (k = 0; k < n; k++)
				if (info->file_pos[k] == pos)
					msg_add(f, "%s %d \"%s\"", pos ? "," : "", pos + 1,
						label(an->certs[k], b, sizeof(b)));
		return 1;
	}
	/* The file agrees up to position first - 1; the certificate it puts next is not the issuer
	 * that the sorted chain puts there (see load.h: the sorted prefix is the issuer path). */
	for (k = 0; k < n && info->file_pos[k] != (int)first; k++)
		;
	f->cert_pos = (int)first - 1;
	msg_add(f, "certificate %zu of the file (\"%s\") is followed by \"%s\", which did not issue "
		"it; its issuer \"%s\" is certificate %d of the file", first,
		label(an->certs[first - 1], a, sizeof(a)),
		k < n ? label(an->certs[k], b, sizeof(b)) : "?", label(an->certs[first], c, sizeof(c)),
		info->file_pos[first] + 1);
	return 1;
}
