/*
 * csr.c: see csr.h. Keys come from EVP_PKEY_Q_keygen; CSRs are assembled with X509_REQ and a
 * subjectAltName extension built from GENERAL_NAMEs, then signed with SHA-256. Parsing keeps
 * the DER exactly as given (for DER input) or as the PEM block decodes (PEM input), because the
 * DCV digests are over those bytes, not over a re-encoding.
 */
#include "orders/csr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/text.h"
#include "orders/atomic_file.h"

struct key_desc {
	enum csr_key_type type;
	const char *name;
	const char *alias1, *alias2;
	const char *alg;  /* "RSA" or "EC" */
	size_t bits;      /* RSA */
	const char *group;/* EC */
};

static const struct key_desc key_table[] = {
	{ CSR_KEY_RSA2048, "rsa2048", "rsa", "rsa-2048", "RSA", 2048, NULL },
	{ CSR_KEY_RSA3072, "rsa3072", "rsa-3072", NULL, "RSA", 3072, NULL },
	{ CSR_KEY_RSA4096, "rsa4096", "rsa-4096", NULL, "RSA", 4096, NULL },
	{ CSR_KEY_P256, "p256", "ec256", "prime256v1", "EC", 0, "P-256" },
	{ CSR_KEY_P384, "p384", "ec384", "secp384r1", "EC", 0, "P-384" },
};

#define N_KEYS (sizeof(key_table) / sizeof(key_table[0]))

static const struct key_desc *key_desc_of(enum csr_key_type t)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (key_table[i].type == t)
			return &key_table[i];
	return NULL;
}

const char *csr_key_type_name(enum csr_key_type t)
{
	const struct key_desc *d = key_desc_of(t);

	return d ? d->name : NULL;
}

int csr_key_type_parse(const char *s, enum csr_key_type *out, char *err, size_t errlen)
{
	for (size_t i = 0; s != NULL && i < N_KEYS; i++) {
		const struct key_desc *d = &key_table[i];

		if (strcasecmp(s, d->name) == 0 || (d->alias1 && strcasecmp(s, d->alias1) == 0) ||
		    (d->alias2 && strcasecmp(s, d->alias2) == 0)) {
			*out = d->type;
			return 0;
		}
	}
	snprintf(err, errlen, "unknown key type '%.40s' (rsa2048, rsa3072, rsa4096, p256, p384)",
		 s ? s : "");
	return -1;
}

EVP_PKEY *csr_key_generate(enum csr_key_type t, char *err, size_t errlen)
{
	const struct key_desc *d = key_desc_of(t);
	EVP_PKEY *key;

	if (d == NULL) {
		snprintf(err, errlen, "unknown key type %d", (int)t);
		return NULL;
	}
	ERR_set_mark();
	if (d->bits)
		key = EVP_PKEY_Q_keygen(NULL, NULL, d->alg, d->bits);
	else
		key = EVP_PKEY_Q_keygen(NULL, NULL, d->alg, d->group);
	ERR_pop_to_mark();
	if (key == NULL)
		snprintf(err, errlen, "%s key generation failed", d->name);
	return key;
}

int csr_key_write(EVP_PKEY *key, const char *path, char *err, size_t errlen)
{
	BIO *bio = NULL;
	char *data;
	long len;
	int rc = -1;

	ERR_set_mark();
	bio = BIO_new(BIO_s_secmem());
	if (bio == NULL || !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
		snprintf(err, errlen, "cannot encode the private key");
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	if (len <= 0) {
		snprintf(err, errlen, "cannot encode the private key");
		goto out;
	}
	rc = atomic_write_file(path, data, (size_t)len, 0600, ATOMIC_NO_REPLACE, err, errlen);
out:
	BIO_free(bio);  /* secure memory: cleansed on free */
	ERR_pop_to_mark();
	return rc;
}

/* Reads a regular file of at most max bytes into a malloc'd buffer (caller frees). */
static int read_bounded(const char *path, size_t max, unsigned char **buf, size_t *len,
			char *err, size_t errlen)
{
	struct stat st;
	unsigned char *p = NULL;
	size_t got = 0;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if ((unsigned long long)st.st_size > max) {
		snprintf(err, errlen, "%s: too large (over %zu bytes)", path, max);
		goto out;
	}
	p = malloc(max + 1);
	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, p + got, max + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max) {
			snprintf(err, errlen, "%s: too large (over %zu bytes)", path, max);
			goto out;
		}
	}
	*buf = p;
	*len = got;
	p = NULL;
	rc = 0;
out:
	free(p);
	close(fd);
	return rc;
}

static int no_password_cb(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

EVP_PKEY *csr_key_read(const char *path, char *err, size_t errlen)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	EVP_PKEY *key = NULL;
	BIO *bio = NULL;

	if (read_bounded(path, CSR_MAX_KEY_FILE, &buf, &len, err, errlen) != 0)
		return NULL;
	ERR_set_mark();
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio != NULL)
		key = PEM_read_bio_PrivateKey(bio, NULL, no_password_cb, NULL);
	if (key == NULL)
		snprintf(err, errlen, "%s: not an unencrypted PEM private key", path);
	BIO_free(bio);
	ERR_pop_to_mark();
	OPENSSL_cleanse(buf, len);
	free(buf);
	return key;
}

/* ---------------------------------------------------------------- building */

static int is_ip_literal(const char *s)
{
	unsigned char a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* A DNS name: labels of 1..63 letters, digits and inner hyphens, 253 bytes at most, no
 * trailing dot; the first label may be "*". */
static int is_dns_name(const char *s)
{
	size_t len = strlen(s), label = 0;

	if (len == 0 || len > CSR_MAX_NAME)
		return 0;
	if (s[0] == '*') {
		if (s[1] != '.' || s[2] == '\0')
			return 0;
		s += 2;
	}
	for (const char *p = s;; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > 63 || p[-1] == '-')
				return 0;
			if (*p == '\0')
				return 1;
			label = 0;
			continue;
		}
		if (!(isalnum((unsigned char)*p) || (*p == '-' && label > 0)))
			return 0;
		label++;
	}
}

/* Subject fields: 1..max bytes of valid UTF-8 without control characters. */
static int check_field(const char *what, const char *v, size_t max, char *err, size_t errlen)
{
	size_t len = strlen(v);

	if (len > max) {
		snprintf(err, errlen, "%s longer than %zu bytes", what, max);
		return -1;
	}
	for (size_t i = 0; i < len;) {
		size_t n = text_utf8_seq((const unsigned char *)v + i, len - i);

		if (n == 0 || (n == 1 && ((unsigned char)v[i] < 0x20 || v[i] == 0x7f))) {
			snprintf(err, errlen, "%s contains a control character or invalid UTF-8", what);
			return -1;
		}
		i += n;
	}
	return 0;
}

static int set(const char *v)
{
	return v != NULL && v[0] != '\0';
}

static int add_entry(X509_NAME *name, int nid, const char *v)
{
	return X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, (const unsigned char *)v, -1,
					  -1, 0);
}

static GENERAL_NAME *make_gen(const char *v)
{
	GENERAL_NAME *g = GENERAL_NAME_new();

	if (g == NULL)
		return NULL;
	if (is_ip_literal(v)) {
		ASN1_OCTET_STRING *ip = a2i_IPADDRESS(v);

		if (ip == NULL)
			goto fail;
		GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
	} else {
		ASN1_IA5STRING *dns = ASN1_IA5STRING_new();

		if (dns == NULL || !ASN1_STRING_set(dns, v, (int)strlen(v))) {
			ASN1_IA5STRING_free(dns);
			goto fail;
		}
		GENERAL_NAME_set0_value(g, GEN_DNS, dns);
	}
	return g;
fail:
	GENERAL_NAME_free(g);
	return NULL;
}

static int validate_subject(const struct csr_subject *s, char country[3], char *err,
			    size_t errlen)
{
	static const struct {
		const char *what;
		size_t off;
		size_t max;
	} fields[] = {
		{ "O", offsetof(struct csr_subject, o), 64 },
		{ "OU", offsetof(struct csr_subject, ou), 64 },
		{ "ST", offsetof(struct csr_subject, st), CSR_MAX_FIELD },
		{ "L", offsetof(struct csr_subject, l), CSR_MAX_FIELD },
		{ "email", offsetof(struct csr_subject, email), CSR_MAX_FIELD },
	};

	if (!set(s->cn)) {
		snprintf(err, errlen, "a CSR needs a common name (CN)");
		return -1;
	}
	if (strlen(s->cn) > 64) {
		snprintf(err, errlen, "CN longer than 64 characters");
		return -1;
	}
	if (!is_dns_name(s->cn) && !is_ip_literal(s->cn)) {
		snprintf(err, errlen, "CN '%.70s' is not a DNS name or IP address", s->cn);
		return -1;
	}
	if (s->n_sans > 0 && s->sans == NULL) {
		snprintf(err, errlen, "SAN list missing");
		return -1;
	}
	if (s->n_sans >= CSR_MAX_SANS) {
		snprintf(err, errlen, "too many SANs (at most %d with the CN)", CSR_MAX_SANS);
		return -1;
	}
	for (size_t i = 0; i < s->n_sans; i++) {
		const char *v = s->sans[i];

		if (v == NULL || (!is_dns_name(v) && !is_ip_literal(v))) {
			char shown[80];

			text_terminal(shown, sizeof(shown), v ? v : "");
			snprintf(err, errlen, "SAN '%s' is not a DNS name or IP address", shown);
			return -1;
		}
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *v = *(const char *const *)(const void *)((const char *)s + fields[i].off);

		if (set(v) && check_field(fields[i].what, v, fields[i].max, err, errlen) != 0)
			return -1;
	}
	if (set(s->email) && (strchr(s->email, '@') == NULL || s->email[0] == '@')) {
		snprintf(err, errlen, "email '%.70s' is not an address", s->email);
		return -1;
	}
	country[0] = '\0';
	if (set(s->c)) {
		if (strlen(s->c) != 2 || !isalpha((unsigned char)s->c[0]) ||
		    !isalpha((unsigned char)s->c[1]) || (unsigned char)s->c[0] > 0x7f ||
		    (unsigned char)s->c[1] > 0x7f) {
			char shown[40];

			text_terminal(shown, sizeof(shown), s->c);
			snprintf(err, errlen,
				 "country '%s' is not a 2-letter code (ISO 3166-1 alpha-2, e.g. GB)",
				 shown);
			return -1;
		}
		country[0] = (char)toupper((unsigned char)s->c[0]);
		country[1] = (char)toupper((unsigned char)s->c[1]);
		country[2] = '\0';
	}
	return 0;
}

/* The SAN extension: the CN first unless listed, then the SANs, case-insensitive duplicates
 * dropped. */
static GENERAL_NAMES *make_sans(const struct csr_subject *s)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	int cn_listed = 0;

	if (gens == NULL)
		return NULL;
	for (size_t i = 0; i < s->n_sans; i++)
		if (strcasecmp(s->sans[i], s->cn) == 0)
			cn_listed = 1;
	for (size_t i = 0; i <= s->n_sans; i++) {
		const char *v;
		GENERAL_NAME *g;
		int dup = 0;

		if (i == 0) {
			if (cn_listed)
				continue;
			v = s->cn;
		} else {
			v = s->sans[i - 1];
		}
		for (size_t j = 0; j + 1 < i; j++)
			if (strcasecmp(s->sans[j], v) == 0)
				dup = 1;
		if (dup)
			continue;
		g = make_gen(v);
		if (g == NULL || !sk_GENERAL_NAME_push(gens, g)) {
			GENERAL_NAME_free(g);
			GENERAL_NAMES_free(gens);
			return NULL;
		}
	}
	return gens;
}

char *csr_build_pem(EVP_PKEY *key, const struct csr_subject *s, char *err, size_t errlen)
{
	X509_REQ *req = NULL;
	X509_NAME *name = NULL;
	GENERAL_NAMES *gens = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION *ext = NULL;
	BIO *bio = NULL;
	char country[3], *pem = NULL, *data;
	long len;

	if (key == NULL || s == NULL) {
		snprintf(err, errlen, "no key or subject");
		return NULL;
	}
	if (validate_subject(s, country, err, errlen) != 0)
		return NULL;
	ERR_set_mark();
	req = X509_REQ_new();
	name = X509_NAME_new();
	if (req == NULL || name == NULL || !X509_REQ_set_version(req, X509_REQ_VERSION_1))
		goto oom;
	if ((country[0] && !add_entry(name, NID_countryName, country)) ||
	    (set(s->st) && !add_entry(name, NID_stateOrProvinceName, s->st)) ||
	    (set(s->l) && !add_entry(name, NID_localityName, s->l)) ||
	    (set(s->o) && !add_entry(name, NID_organizationName, s->o)) ||
	    (set(s->ou) && !add_entry(name, NID_organizationalUnitName, s->ou)) ||
	    !add_entry(name, NID_commonName, s->cn) ||
	    (set(s->email) && !add_entry(name, NID_pkcs9_emailAddress, s->email))) {
		snprintf(err, errlen, "a subject field is too long or not representable");
		goto out;
	}
	if (!X509_REQ_set_subject_name(req, name) || !X509_REQ_set_pubkey(req, key))
		goto oom;
	gens = make_sans(s);
	exts = sk_X509_EXTENSION_new_null();
	if (gens == NULL || exts == NULL)
		goto oom;
	ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens);
	if (ext == NULL || !sk_X509_EXTENSION_push(exts, ext))
		goto oom;
	ext = NULL;  /* owned by exts */
	if (!X509_REQ_add_extensions(req, exts))
		goto oom;
	if (X509_REQ_sign(req, key, EVP_sha256()) <= 0) {
		snprintf(err, errlen, "signing the CSR failed (key without its private part?)");
		goto out;
	}
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL || !PEM_write_bio_X509_REQ(bio, req))
		goto oom;
	len = BIO_get_mem_data(bio, &data);
	pem = malloc((size_t)len + 1);
	if (pem == NULL)
		goto oom;
	memcpy(pem, data, (size_t)len);
	pem[len] = '\0';
	goto out;
oom:
	snprintf(err, errlen, "cannot build the CSR (out of memory)");
out:
	BIO_free(bio);
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAMES_free(gens);
	X509_NAME_free(name);
	X509_REQ_free(req);
	ERR_pop_to_mark();
	return pem;
}

/* ---------------------------------------------------------------- parsing */

static int memfind(const unsigned char *buf, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(buf + i, needle, n) == 0)
			return 1;
	return 0;
}

/* Decodes the first CERTIFICATE REQUEST block; *der is OPENSSL_malloc'd. */
static int pem_to_der(const unsigned char *buf, size_t len, unsigned char **der, long *der_len,
		      char *err, size_t errlen)
{
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	char *pem_name = NULL;
	int rc = -1;

	if (bio == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (PEM_bytes_read_bio(der, der_len, &pem_name, PEM_STRING_X509_REQ, bio, NULL, NULL)) {
		rc = 0;
	} else if (ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE) {
		snprintf(err, errlen, "no CERTIFICATE REQUEST block in the PEM text");
	} else {
		snprintf(err, errlen, "corrupt PEM CERTIFICATE REQUEST block");
	}
	OPENSSL_free(pem_name);
	BIO_free(bio);
	return rc;
}

static void fill_subject(const X509_REQ *req, struct csr_info *info)
{
	const X509_NAME *name = X509_REQ_get_subject_name(req);
	BIO *bio = BIO_new(BIO_s_mem());
	char raw[sizeof(info->subject)];
	int idx, n = 0;

	raw[0] = '\0';
	if (bio != NULL && X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
		n = BIO_read(bio, raw, (int)sizeof(raw) - 1);
		raw[n > 0 ? n : 0] = '\0';
	}
	BIO_free(bio);
	text_terminal(info->subject, sizeof(info->subject), raw);
	idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (idx >= 0) {
		const ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
		unsigned char *utf8 = NULL;
		int ulen = ASN1_STRING_to_UTF8(&utf8, d);

		if (ulen >= 0 && utf8 != NULL && memchr(utf8, '\0', (size_t)ulen) == NULL)
			text_terminal(info->cn, sizeof(info->cn), (const char *)utf8);
		OPENSSL_free(utf8);
	}
}

static int fill_sans(X509_REQ *req, struct csr_info *info, char *err, size_t errlen)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	GENERAL_NAMES *gens = NULL;
	int crit = -1, rc = -1, n;

	if (exts == NULL)
		return 0;  /* no extensions (or an unreadable attribute): no SANs */
	gens = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
	if (gens == NULL) {
		if (crit == -1) {
			rc = 0;  /* no SAN extension */
		} else {
			snprintf(err, errlen, crit == -2 ? "more than one subjectAltName extension" :
							   "corrupt subjectAltName extension");
		}
		goto out;
	}
	n = sk_GENERAL_NAME_num(gens);
	if (n > CSR_MAX_SANS) {
		snprintf(err, errlen, "too many SANs (%d, at most %d)", n, CSR_MAX_SANS);
		goto out;
	}
	info->sans = calloc((size_t)(n > 0 ? n : 1), sizeof(*info->sans));
	if (info->sans == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		struct csr_san *san = &info->sans[info->n_sans];

		if (g->type == GEN_DNS) {
			const unsigned char *d = ASN1_STRING_get0_data(g->d.dNSName);
			int len = ASN1_STRING_length(g->d.dNSName);

			if (len <= 0 || len > CSR_MAX_NAME) {
				snprintf(err, errlen, "SAN DNS name %d is empty or too long", i + 1);
				goto out;
			}
			for (int j = 0; j < len; j++) {
				if (d[j] < 0x21 || d[j] > 0x7e) {
					snprintf(err, errlen,
						 "SAN DNS name %d contains a byte that is not printable ASCII",
						 i + 1);
					goto out;
				}
			}
			san->type = CSR_SAN_DNS;
			memcpy(san->value, d, (size_t)len);
			san->value[len] = '\0';
			info->n_sans++;
		} else if (g->type == GEN_IPADD) {
			int len = ASN1_STRING_length(g->d.iPAddress);
			const unsigned char *d = ASN1_STRING_get0_data(g->d.iPAddress);

			if ((len != 4 && len != 16) ||
			    inet_ntop(len == 4 ? AF_INET : AF_INET6, d, san->value,
				      sizeof(san->value)) == NULL) {
				snprintf(err, errlen, "SAN IP address %d is malformed", i + 1);
				goto out;
			}
			san->type = CSR_SAN_IP;
			info->n_sans++;
		}
		/* other name types (email, URI, ...) are not certificate names a CA validates */
	}
	rc = 0;
out:
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

static int fill_key(X509_REQ *req, struct csr_info *info, char *err, size_t errlen)
{
	EVP_PKEY *pk = X509_REQ_get0_pubkey(req);
	const char *tn;
	const X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *obj = NULL;

	if (pk == NULL) {
		snprintf(err, errlen, "the CSR's public key is missing, corrupt or of an unknown type");
		return -1;
	}
	tn = EVP_PKEY_get0_type_name(pk);
	snprintf(info->key_type, sizeof(info->key_type), "%s", tn ? tn : "unknown");
	info->key_bits = EVP_PKEY_get_bits(pk);
	if (EVP_PKEY_is_a(pk, "EC")) {
		size_t glen = 0;

		if (!EVP_PKEY_get_group_name(pk, info->curve, sizeof(info->curve), &glen))
			info->curve[0] = '\0';
	}
	X509_REQ_get0_signature(req, NULL, &alg);
	if (alg != NULL)
		X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (obj == NULL || OBJ_obj2txt(info->sig_alg, sizeof(info->sig_alg), obj, 0) <= 0)
		snprintf(info->sig_alg, sizeof(info->sig_alg), "unknown");
	info->signature_ok = X509_REQ_verify(req, pk) == 1;
	return 0;
}

int csr_parse(const unsigned char *buf, size_t len, struct csr_info **out, char *err,
	      size_t errlen)
{
	struct csr_info *info = NULL;
	unsigned char *der = NULL;
	long der_len = 0;
	const unsigned char *p;
	X509_REQ *req = NULL;
	int rc = -1;

	*out = NULL;
	if (buf == NULL || len == 0) {
		snprintf(err, errlen, "empty CSR");
		return -1;
	}
	if (len > CSR_MAX_INPUT) {
		snprintf(err, errlen, "CSR too large (%zu bytes, at most %d)", len, CSR_MAX_INPUT);
		return -1;
	}
	ERR_set_mark();
	if (memfind(buf, len, "-----BEGIN ")) {
		if (pem_to_der(buf, len, &der, &der_len, err, errlen) != 0)
			goto out;
	} else if (buf[0] == 0x30) {
		der = OPENSSL_memdup(buf, len);
		der_len = (long)len;
		if (der == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	} else {
		snprintf(err, errlen, "not a CSR: neither PEM nor DER");
		goto out;
	}
	p = der;
	req = d2i_X509_REQ(NULL, &p, der_len);
	if (req == NULL) {
		snprintf(err, errlen, "corrupt CSR: not a PKCS#10 certificate request");
		goto out;
	}
	if (p != der + der_len) {
		snprintf(err, errlen, "corrupt CSR: %ld bytes of trailing data", (long)(der + der_len - p));
		goto out;
	}
	info = calloc(1, sizeof(*info));
	if (info == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	fill_subject(req, info);
	if (fill_sans(req, info, err, errlen) != 0 || fill_key(req, info, err, errlen) != 0)
		goto out;
	info->der = malloc((size_t)der_len);
	if (info->der == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	memcpy(info->der, der, (size_t)der_len);
	info->der_len = (size_t)der_len;
	if (!EVP_Digest(der, (size_t)der_len, info->md5, NULL, EVP_md5(), NULL) ||
	    !EVP_Digest(der, (size_t)der_len, info->sha256, NULL, EVP_sha256(), NULL)) {
		snprintf(err, errlen, "cannot hash the CSR (MD5/SHA-256 unavailable)");
		goto out;
	}
	*out = info;
	info = NULL;
	rc = 0;
out:
	csr_info_free(info);
	X509_REQ_free(req);
	OPENSSL_free(der);
	ERR_pop_to_mark();
	return rc;
}

int csr_parse_file(const char *path, struct csr_info **out, char *err, size_t errlen)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	char sub[200];
	int rc;

	*out = NULL;
	if (read_bounded(path, CSR_MAX_INPUT, &buf, &len, err, errlen) != 0)
		return -1;
	rc = csr_parse(buf, len, out, sub, sizeof(sub));
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", path, sub);
	free(buf);
	return rc;
}

void csr_info_free(struct csr_info *info)
{
	if (info == NULL)
		return;
	free(info->sans);
	free(info->der);
	free(info);
}

int csr_key_matches(const struct csr_info *info, EVP_PKEY *key)
{
	const unsigned char *p = info->der;
	X509_REQ *req;
	EVP_PKEY *pk;
	int rc = -1;

	ERR_set_mark();
	req = d2i_X509_REQ(NULL, &p, (long)info->der_len);
	if (req != NULL && (pk = X509_REQ_get0_pubkey(req)) != NULL)
		rc = EVP_PKEY_eq(pk, key) == 1;
	X509_REQ_free(req);
	ERR_pop_to_mark();
	return rc;
}
