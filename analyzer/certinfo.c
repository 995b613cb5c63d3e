/*
 * certinfo.c: parses one DER certificate into the facts the checks, the store and the writers use.
 *
 * Contract: the input is hostile. d2i must consume exactly `len` bytes (no trailing data), the
 * input is bounded by OBS_MAX_CERT_DER, and every string taken from the certificate is bounded
 * (CI_MAX_*), made valid UTF-8 (invalid sequences become '?') and stripped of control characters,
 * so writers only have to escape for their medium. Names are RFC 2253 as printed by
 * X509_NAME_print_ex(XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) so UTF-8 stays UTF-8; a name OpenSSL
 * cannot print that way (invalid UTF8String, say) is printed byte-wise with \XX escapes instead.
 *
 * OpenSSL's error queue is left as it was found (ERR_set_mark / ERR_pop_to_mark): the scanner
 * shares the thread's queue and must not see our parse failures.
 *
 * Objects are reference counted (see internal.h): the certinfo is the first member of a box that
 * carries the count, so certinfo_free() finds the box from the certinfo pointer.
 */
#include "analyzer/analyzer.h"
#include "analyzer/internal.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/hex.h"

#define CI_MAX_NAME 2048   /* bytes kept of an RFC 2253 name */
#define CI_MAX_STR 1024    /* bytes kept of a CN, O, SAN or URL */
#define CI_MAX_SANS 1000   /* SAN entries kept */
#define CI_MAX_SERIAL 64   /* serial bytes shown, then "..." */

struct certinfo_box {
	struct certinfo ci;    /* first member: a certinfo pointer is the box pointer */
	atomic_int refs;
};

static struct certinfo_box *box_of(struct certinfo *ci)
{
	return (struct certinfo_box *)(void *)ci;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when it is invalid (overlong, surrogate,
 * beyond U+10FFFF, truncated). */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Copies s[0..n) into a new NUL-terminated string of at most max bytes: valid UTF-8, control
 * characters and invalid bytes replaced by '?', cut only between characters. */
static char *dup_clean(const unsigned char *s, size_t n, size_t max)
{
	char *out = malloc((n < max ? n : max) + 1);
	size_t i = 0, o = 0;

	if (out == NULL)
		return NULL;
	while (i < n) {
		size_t l = utf8_seq_len(s + i, n - i);

		if (l == 0 || s[i] < 0x20 || s[i] == 0x7f) {
			if (o + 1 > max)
				break;
			out[o++] = '?';
			i += l == 0 ? 1 : l;
			continue;
		}
		if (o + l > max)
			break;
		memcpy(out + o, s + i, l);
		o += l;
		i += l;
	}
	out[o] = '\0';
	return out;
}

static char *asn1_string_text(const ASN1_STRING *str, size_t max)
{
	unsigned char *utf8 = NULL;
	int n = ASN1_STRING_to_UTF8(&utf8, str);
	char *out;

	if (n >= 0) {
		out = dup_clean(utf8, (size_t)n, max);
		OPENSSL_free(utf8);
		return out;
	}
	/* Undecodable: show the raw bytes, sanitised. */
	return dup_clean(ASN1_STRING_get0_data(str), (size_t)ASN1_STRING_length(str), max);
}

static char *name_print(const X509_NAME *name, unsigned long flags)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	long n;

	if (bio == NULL)
		return NULL;
	if (X509_NAME_print_ex(bio, name, 0, flags) >= 0) {
		n = BIO_get_mem_data(bio, &data);
		if (n >= 0)
			out = dup_clean((const unsigned char *)data, (size_t)n, CI_MAX_NAME);
	}
	BIO_free(bio);
	return out;
}

char *certinfo_name_text(const void *x509_name)
{
	const X509_NAME *name = x509_name;
	char *s;

	s = name_print(name, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	if (s == NULL)
		s = name_print(name, (XN_FLAG_RFC2253 | ASN1_STRFLGS_IGNORE_TYPE) &
				     ~ASN1_STRFLGS_UTF8_CONVERT);
	return s;
}

/* The last entry of nid in name (the most specific one), or "" when absent. */
static char *name_entry_text(const X509_NAME *name, int nid)
{
	int i = -1, last = -1;

	while ((i = X509_NAME_get_index_by_NID(name, nid, i)) >= 0)
		last = i;
	if (last < 0)
		return strdup("");
	return asn1_string_text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last)),
				CI_MAX_STR);
}

static char *serial_text(const ASN1_INTEGER *sn)
{
	const unsigned char *d = ASN1_STRING_get0_data(sn);
	size_t n = (size_t)ASN1_STRING_length(sn);
	size_t shown = n > CI_MAX_SERIAL ? CI_MAX_SERIAL : n;
	char *out = malloc(2 * shown + 8);
	char *p;

	if (out == NULL)
		return NULL;
	p = out;
	if (ASN1_STRING_type(sn) == V_ASN1_NEG_INTEGER)
		*p++ = '-';
	if (shown == 0)
		strcpy(p, "0");
	else
		hex_encode(d, shown, p);
	if (shown < n)
		strcat(out, "...");
	return out;
}

static int asn1_time_to_time_t(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* Appends item to the comma list in buf when it fits whole. */
static void list_add(char *buf, size_t size, const char *item)
{
	size_t len = strlen(buf), need = strlen(item) + (len > 0);

	if (len + need + 1 > size)
		return;
	if (len > 0)
		buf[len++] = ',';
	memcpy(buf + len, item, strlen(item) + 1);
}

static void parse_key_usage(X509 *x, struct certinfo *ci)
{
	static const struct { uint32_t bit; const char *name; } ku[] = {
		{ KU_DIGITAL_SIGNATURE, "digitalSignature" },
		{ KU_NON_REPUDIATION, "nonRepudiation" },
		{ KU_KEY_ENCIPHERMENT, "keyEncipherment" },
		{ KU_DATA_ENCIPHERMENT, "dataEncipherment" },
		{ KU_KEY_AGREEMENT, "keyAgreement" },
		{ KU_KEY_CERT_SIGN, "keyCertSign" },
		{ KU_CRL_SIGN, "cRLSign" },
		{ KU_ENCIPHER_ONLY, "encipherOnly" },
		{ KU_DECIPHER_ONLY, "decipherOnly" },
	};
	uint32_t bits = X509_get_key_usage(x);
	EXTENDED_KEY_USAGE *eku;

	if (bits != UINT32_MAX)
		for (size_t i = 0; i < sizeof(ku) / sizeof(ku[0]); i++)
			if (bits & ku[i].bit)
				list_add(ci->key_usage, sizeof(ci->key_usage), ku[i].name);

	eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	for (int i = 0; eku != NULL && i < sk_ASN1_OBJECT_num(eku); i++) {
		const ASN1_OBJECT *obj = sk_ASN1_OBJECT_value(eku, i);
		int nid = OBJ_obj2nid(obj);
		char oid[80];

		if (nid != NID_undef)
			list_add(ci->ext_key_usage, sizeof(ci->ext_key_usage), OBJ_nid2sn(nid));
		else if (OBJ_obj2txt(oid, sizeof(oid), obj, 1) > 0)
			list_add(ci->ext_key_usage, sizeof(ci->ext_key_usage), oid);
	}
	EXTENDED_KEY_USAGE_free(eku);
}

/* "PREFIX:value" for one general name, or NULL when the type is not kept (or no memory). */
static char *general_name_text(const GENERAL_NAME *gen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const ASN1_STRING *s;
	const char *prefix;
	char *val, *out;
	size_t n;

	switch (gen->type) {
	case GEN_DNS:
		prefix = "DNS:";
		s = gen->d.dNSName;
		break;
	case GEN_EMAIL:
		prefix = "email:";
		s = gen->d.rfc822Name;
		break;
	case GEN_IPADD:
		s = gen->d.iPAddress;
		n = (size_t)ASN1_STRING_length(s);
		strcpy(buf, "IP:");
		if (!((n == 4 && inet_ntop(AF_INET, ASN1_STRING_get0_data(s), buf + 3,
					   sizeof(buf) - 3) != NULL) ||
		      (n == 16 && inet_ntop(AF_INET6, ASN1_STRING_get0_data(s), buf + 3,
					    sizeof(buf) - 3) != NULL)))
			strcpy(buf + 3, "invalid");
		return strdup(buf);
	default:
		return NULL;
	}
	val = dup_clean(ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), CI_MAX_STR);
	if (val == NULL)
		return NULL;
	out = malloc(strlen(prefix) + strlen(val) + 1);
	if (out != NULL) {
		strcpy(out, prefix);
		strcat(out, val);
	}
	free(val);
	return out;
}

static int parse_sans(X509 *x, struct certinfo *ci)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int n = gens != NULL ? sk_GENERAL_NAME_num(gens) : 0;
	int rc = 0;

	if (n > CI_MAX_SANS)
		n = CI_MAX_SANS;
	if (n > 0 && (ci->sans = calloc((size_t)n, sizeof(*ci->sans))) == NULL)
		rc = -1;
	for (int i = 0; rc == 0 && i < n; i++) {
		const GENERAL_NAME *gen = sk_GENERAL_NAME_value(gens, i);
		char *s;

		if (gen->type != GEN_DNS && gen->type != GEN_EMAIL && gen->type != GEN_IPADD)
			continue;
		if ((s = general_name_text(gen)) == NULL)
			rc = -1;
		else
			ci->sans[ci->n_sans++] = s;
	}
	GENERAL_NAMES_free(gens);
	return rc;
}

/* First URI of a general-name list, or NULL. */
static const ASN1_IA5STRING *first_uri(const GENERAL_NAMES *gens)
{
	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type == GEN_URI)
			return g->d.uniformResourceIdentifier;
	}
	return NULL;
}

static char *ia5_dup(const ASN1_IA5STRING *s)
{
	return dup_clean(ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), CI_MAX_STR);
}

static int parse_urls(X509 *x, struct certinfo *ci)
{
	AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);
	CRL_DIST_POINTS *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	int rc = 0;

	for (int i = 0; aia != NULL && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
		const ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
		int nid = OBJ_obj2nid(ad->method);
		char **slot = nid == NID_ad_OCSP ? &ci->aia_ocsp :
			      nid == NID_ad_ca_issuers ? &ci->aia_ca_issuers : NULL;

		if (slot == NULL || *slot != NULL || ad->location->type != GEN_URI)
			continue;
		if ((*slot = ia5_dup(ad->location->d.uniformResourceIdentifier)) == NULL)
			rc = -1;
	}
	for (int i = 0; dps != NULL && ci->crl_url == NULL && i < sk_DIST_POINT_num(dps); i++) {
		const DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
		const ASN1_IA5STRING *uri;

		if (dp->distpoint == NULL || dp->distpoint->type != 0)
			continue;
		uri = first_uri(dp->distpoint->name.fullname);
		if (uri != NULL && (ci->crl_url = ia5_dup(uri)) == NULL)
			rc = -1;
	}
	AUTHORITY_INFO_ACCESS_free(aia);
	CRL_DIST_POINTS_free(dps);
	return rc;
}

static void parse_key(X509 *x, struct certinfo *ci)
{
	EVP_PKEY *pk = X509_get0_pubkey(x); /* owned by x */
	const char *type = NULL;

	if (pk == NULL) {
		strcpy(ci->key_type, "unknown");
		return;
	}
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA: type = "RSA"; break;
	case EVP_PKEY_RSA_PSS: type = "RSA-PSS"; break;
	case EVP_PKEY_DSA: type = "DSA"; break;
	case EVP_PKEY_EC: type = "EC"; break;
	case EVP_PKEY_ED25519: type = "ED25519"; break;
	case EVP_PKEY_ED448: type = "ED448"; break;
	default: type = EVP_PKEY_get0_type_name(pk); break;
	}
	snprintf(ci->key_type, sizeof(ci->key_type), "%s", type != NULL ? type : "unknown");
	ci->key_bits = EVP_PKEY_get_bits(pk);
	if (ci->key_bits < 0)
		ci->key_bits = 0;
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC &&
	    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, ci->curve,
					   sizeof(ci->curve), NULL) != 1)
		ci->curve[0] = '\0';
}

static int md_is_weak(int mdnid)
{
	return mdnid == NID_md2 || mdnid == NID_md4 || mdnid == NID_md5 || mdnid == NID_sha1 ||
	       mdnid == NID_md5_sha1;
}

static void parse_signature(X509 *x, struct certinfo *ci)
{
	const X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *obj = NULL;
	int nid, mdnid = NID_undef, pknid = NID_undef;

	X509_get0_signature(NULL, &alg, x);
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	nid = OBJ_obj2nid(obj);
	if (nid != NID_undef)
		snprintf(ci->sig_alg, sizeof(ci->sig_alg), "%s", OBJ_nid2ln(nid));
	else if (obj == NULL || OBJ_obj2txt(ci->sig_alg, sizeof(ci->sig_alg), obj, 1) <= 0)
		strcpy(ci->sig_alg, "unknown");
	/* X509_get_signature_info also sees the hash inside RSASSA-PSS parameters. */
	if (X509_get_signature_info(x, &mdnid, &pknid, NULL, NULL) != 1)
		(void)OBJ_find_sigid_algs(nid, &mdnid, &pknid);
	ci->sig_weak = md_is_weak(mdnid);
}

static int digest_hex(const unsigned char *der, size_t len, const EVP_MD *md, unsigned char *raw,
		      char *hex)
{
	unsigned char buf[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(der, len, buf, &n, md, NULL) != 1)
		return -1;
	if (raw != NULL)
		memcpy(raw, buf, n);
	hex_encode(buf, n, hex);
	return 0;
}

static int is_self_signed(X509 *x)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);

	return X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0 &&
	       pk != NULL && X509_verify(x, pk) == 1;
}

/* Fills every field of ci from x; returns -1 with a reason on failure. */
static int fill(struct certinfo *ci, X509 *x, char *err, size_t errlen)
{
	BASIC_CONSTRAINTS *bc;

	if (digest_hex(ci->der, ci->der_len, EVP_sha256(), ci->sha256, ci->sha256_hex) != 0 ||
	    digest_hex(ci->der, ci->der_len, EVP_sha1(), NULL, ci->sha1_hex) != 0) {
		snprintf(err, errlen, "cannot compute fingerprints");
		return -1;
	}
	if (asn1_time_to_time_t(X509_get0_notBefore(x), &ci->not_before) != 0 ||
	    asn1_time_to_time_t(X509_get0_notAfter(x), &ci->not_after) != 0) {
		snprintf(err, errlen, "invalid validity dates");
		return -1;
	}
	ci->subject = certinfo_name_text(X509_get_subject_name(x));
	ci->issuer = certinfo_name_text(X509_get_issuer_name(x));
	ci->subject_cn = name_entry_text(X509_get_subject_name(x), NID_commonName);
	ci->issuer_cn = name_entry_text(X509_get_issuer_name(x), NID_commonName);
	ci->issuer_org = name_entry_text(X509_get_issuer_name(x), NID_organizationName);
	ci->serial_hex = serial_text(X509_get0_serialNumber(x));
	if (ci->subject == NULL || ci->issuer == NULL || ci->subject_cn == NULL ||
	    ci->issuer_cn == NULL || ci->issuer_org == NULL || ci->serial_hex == NULL ||
	    parse_sans(x, ci) != 0 || parse_urls(x, ci) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	parse_key(x, ci);
	parse_signature(x, ci);
	parse_key_usage(x, ci);
	ci->has_sct = X509_get_ext_by_NID(x, NID_ct_precert_scts, -1) >= 0;
	bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	ci->is_ca = bc != NULL && bc->ca;
	BASIC_CONSTRAINTS_free(bc);
	ci->self_signed = is_self_signed(x);
	return 0;
}

struct certinfo *certinfo_parse(const unsigned char *der, size_t len, char *err, size_t errlen)
{
	struct certinfo_box *box = NULL;
	struct certinfo *ci = NULL;
	const unsigned char *p = der;
	X509 *x = NULL;

	ERR_set_mark();
	if (der == NULL || len == 0 || len > OBS_MAX_CERT_DER) {
		snprintf(err, errlen, "certificate size %zu out of range (1..%d)", len,
			 OBS_MAX_CERT_DER);
		goto out;
	}
	x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL) {
		snprintf(err, errlen, "not a DER X.509 certificate");
		goto out;
	}
	if (p != der + len) {
		snprintf(err, errlen, "%zu trailing bytes after the certificate",
			 (size_t)(der + len - p));
		goto out;
	}
	box = calloc(1, sizeof(*box));
	if (box == NULL || (box->ci.der = malloc(len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	atomic_init(&box->refs, 1);
	ci = &box->ci;
	box = NULL;
	memcpy(ci->der, der, len);
	ci->der_len = len;
	ci->x509 = x;
	x = NULL;
	if (fill(ci, ci->x509, err, errlen) != 0) {
		certinfo_free(ci);
		ci = NULL;
	}
out:
	free(box);
	X509_free(x);
	ERR_pop_to_mark();
	return ci;
}

struct certinfo *certinfo_ref(struct certinfo *ci)
{
	atomic_fetch_add(&box_of(ci)->refs, 1);
	return ci;
}

void certinfo_free(struct certinfo *ci)
{
	if (ci == NULL || atomic_fetch_sub(&box_of(ci)->refs, 1) != 1)
		return;
	free(ci->subject);
	free(ci->issuer);
	free(ci->subject_cn);
	free(ci->issuer_cn);
	free(ci->issuer_org);
	free(ci->serial_hex);
	for (size_t i = 0; i < ci->n_sans; i++)
		free(ci->sans[i]);
	free(ci->sans);
	free(ci->aia_ocsp);
	free(ci->aia_ca_issuers);
	free(ci->crl_url);
	free(ci->der);
	X509_free(ci->x509);
	free(box_of(ci));
}
