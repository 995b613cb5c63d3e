/*
 * tlsp_hello.c: ClientHello and ServerHello bodies, and their JA3 / JA3S fingerprints exactly
 * as salesforce/ja3 computes them (python/ja3.py, python/ja3s.py):
 *
 *   JA3  = legacy_version,cipher suites,extension types,supported_groups,ec_point_formats
 *   JA3S = legacy_version,cipher suite,extension types
 *
 * every number in decimal, lists joined with '-'. JA3 leaves out GREASE values (RFC 8701:
 * 0x0a0a, 0x1a1a, ... 0xfafa) from the suites, the extension types and the groups, and keeps
 * every other extension (padding included); when an extension repeats, its last copy gives the
 * groups or point formats, as in ja3.py. JA3S keeps every extension type, as ja3s.py does. The
 * SSLVersion field is legacy_version in both (0x0303 = 771 for TLS 1.3 too). A hello without
 * extensions gives empty fields: "771,47-53,,," and "771,47,".
 *
 * The strings are cut with "..." where they would not fit TLSP_MAX_JA3; the MD5 (OpenSSL EVP)
 * is always of the whole string, and "" when this OpenSSL has no MD5 (FIPS-only setups).
 *
 * Beyond what JA3 reads, only what the result needs is parsed (SNI, supported_versions), but the
 * layout is checked: vectors within their parent, nothing left over, even-length lists.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "passive/tlsp_int.h"

enum { EXT_SERVER_NAME = 0, EXT_SUPPORTED_GROUPS = 10, EXT_EC_POINT_FORMATS = 11,
       EXT_SUPPORTED_VERSIONS = 43 };

/* SHA-256("HelloRetryRequest"): the random of a HelloRetryRequest (RFC 8446 section 4.1.3). */
static const unsigned char hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8,
	0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8,
	0x33, 0x9c,
};

static int is_grease(unsigned v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static int bad(char *why, size_t whylen, const char *what)
{
	snprintf(why, whylen, "%s", what);
	return -1;
}

/* A fingerprint string being written: bounded text plus the running MD5 of all of it. */
struct ja3w {
	char *s;                  /* borrowed: the result field */
	size_t cap, len;
	int cut;                  /* something did not fit */
	EVP_MD_CTX *md;           /* owned; NULL when MD5 is unavailable */
};

static void ja3_begin(struct ja3w *w, char *s, size_t cap)
{
	EVP_MD *md5 = EVP_MD_fetch(NULL, "MD5", NULL);

	w->s = s;
	w->cap = cap;
	w->len = 0;
	w->cut = 0;
	s[0] = '\0';
	w->md = md5 != NULL ? EVP_MD_CTX_new() : NULL;
	if (w->md != NULL && EVP_DigestInit_ex(w->md, md5, NULL) != 1) {
		EVP_MD_CTX_free(w->md);
		w->md = NULL;
	}
	EVP_MD_free(md5);
	if (w->md == NULL)
		ERR_clear_error();
}

static void ja3_put(struct ja3w *w, const char *text)
{
	size_t n = strlen(text);

	if (w->md != NULL && EVP_DigestUpdate(w->md, text, n) != 1) {
		EVP_MD_CTX_free(w->md);
		w->md = NULL;
		ERR_clear_error();
	}
	if (w->cut)
		return;
	if (n >= w->cap - w->len) {
		w->cut = 1;
		return;
	}
	memcpy(w->s + w->len, text, n + 1);
	w->len += n;
}

/* Appends sep (unless *first) and v in decimal. */
static void ja3_num(struct ja3w *w, int *first, unsigned v)
{
	char b[16];

	snprintf(b, sizeof(b), "%s%u", *first ? "" : "-", v);
	*first = 0;
	ja3_put(w, b);
}

/* A list of 2-byte values (GREASE left out when skip_grease), or 1-byte values. */
static void ja3_list(struct ja3w *w, struct rd l, int width, int skip_grease)
{
	int first = 1;
	unsigned v;

	while ((width == 2 ? rd_u16(&l, &v) : rd_u8(&l, &v)) == 0)
		if (!skip_grease || !is_grease(v))
			ja3_num(w, &first, v);
}

/* The extension types of a (checked) extensions block. */
static void ja3_ext_types(struct ja3w *w, struct rd exts, int skip_grease)
{
	int first = 1;
	struct rd body;
	unsigned type;

	while (rd_u16(&exts, &type) == 0 && rd_vec(&exts, 2, &body) == 0)
		if (!skip_grease || !is_grease(type))
			ja3_num(w, &first, type);
}

/* Ends the string and writes the MD5 in hex into md5hex[33] ("" when unavailable). */
static void ja3_end(struct ja3w *w, char *md5hex)
{
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;

	md5hex[0] = '\0';
	if (w->cut) {
		if (w->len > w->cap - 4)
			w->len = w->cap - 4;
		memcpy(w->s + w->len, "...", 4);
	}
	if (w->md != NULL && EVP_DigestFinal_ex(w->md, dig, &dlen) == 1 && dlen == 16) {
		for (unsigned i = 0; i < dlen; i++)
			snprintf(md5hex + 2 * i, 3, "%02x", dig[i]);
	}
	EVP_MD_CTX_free(w->md);
	w->md = NULL;
	ERR_clear_error();
}

/* A host name we report: 1..255 bytes of printable ASCII without spaces. */
static int printable_name(struct rd name, size_t max)
{
	if (name.n == 0 || name.n > max)
		return 0;
	for (size_t i = 0; i < name.n; i++)
		if (name.p[i] <= 0x20 || name.p[i] >= 0x7f)
			return 0;
	return 1;
}

/* server_name (RFC 6066 section 3): the first host_name, kept when printable_name. 0, or -1
 * when malformed. An empty extension (as servers send it) is no name. */
static int server_name(struct rd body, char *sni, size_t snilen)
{
	struct rd list, name;
	unsigned type;
	int seen = 0;

	if (body.n == 0)
		return 0;
	if (rd_vec(&body, 2, &list) != 0 || body.n != 0)
		return -1;
	while (list.n > 0) {
		if (rd_u8(&list, &type) != 0 || rd_vec(&list, 2, &name) != 0)
			return -1;
		if (type == 0 && !seen++ && printable_name(name, snilen - 1)) {
			memcpy(sni, name.p, name.n);
			sni[name.n] = '\0';
		}
	}
	return 0;
}

/* One pass over the ClientHello extensions: checks them and picks what we read. */
static int client_extensions(struct rd exts, char *sni, size_t snilen, struct rd *groups,
                             struct rd *formats)
{
	while (exts.n > 0) {
		struct rd body, list;
		unsigned type;

		if (rd_u16(&exts, &type) != 0 || rd_vec(&exts, 2, &body) != 0)
			return -1;
		switch (type) {
		case EXT_SERVER_NAME:
			if (server_name(body, sni, snilen) != 0)
				return -1;
			break;
		case EXT_SUPPORTED_GROUPS:
			if (rd_vec(&body, 2, &list) != 0 || body.n != 0 || list.n % 2 != 0)
				return -1;
			*groups = list;
			break;
		case EXT_EC_POINT_FORMATS:
			if (rd_vec(&body, 1, &list) != 0 || body.n != 0)
				return -1;
			*formats = list;
			break;
		case EXT_SUPPORTED_VERSIONS:
			if (rd_vec(&body, 1, &list) != 0 || body.n != 0 || list.n == 0 ||
			    list.n % 2 != 0)
				return -1;
			break;
		default:
			break;
		}
	}
	return 0;
}

int tlsp_client_hello(struct tlsp_result *res, const unsigned char *body, size_t len, char *why,
                      size_t whylen)
{
	struct rd r = { body, len }, sid, suites, comp, exts = { NULL, 0 };
	struct rd groups = { NULL, 0 }, formats = { NULL, 0 };
	char sni[sizeof(res->sni)] = "", b[16];
	struct ja3w w;
	unsigned version;

	if (rd_u16(&r, &version) != 0 || rd_skip(&r, 32) != 0 || rd_vec(&r, 1, &sid) != 0 ||
	    sid.n > 32 || rd_vec(&r, 2, &suites) != 0 || suites.n == 0 || suites.n % 2 != 0 ||
	    rd_vec(&r, 1, &comp) != 0 || comp.n == 0 ||
	    (r.n > 0 && (rd_vec(&r, 2, &exts) != 0 || r.n != 0)))
		return bad(why, whylen, "malformed ClientHello");
	if (client_extensions(exts, sni, sizeof(sni), &groups, &formats) != 0)
		return bad(why, whylen, "malformed ClientHello extensions");

	res->client_version = (uint16_t)version;
	memcpy(res->sni, sni, sizeof(sni));
	ja3_begin(&w, res->ja3, sizeof(res->ja3));
	snprintf(b, sizeof(b), "%u,", version);
	ja3_put(&w, b);
	ja3_list(&w, suites, 2, 1);
	ja3_put(&w, ",");
	ja3_ext_types(&w, exts, 1);
	ja3_put(&w, ",");
	ja3_list(&w, groups, 2, 1);
	ja3_put(&w, ",");
	ja3_list(&w, formats, 1, 0);
	ja3_end(&w, res->ja3_md5);
	return 0;
}

int tlsp_server_hello(struct tlsp_result *res, const unsigned char *body, size_t len, int *tls13,
                      int *hrr, char *why, size_t whylen)
{
	struct rd r = { body, len }, sid, exts = { NULL, 0 }, walk;
	const unsigned char *random;
	unsigned legacy, cipher, comp, sv = 0;
	int has_sv = 0;
	struct ja3w w;
	char b[32];

	if (rd_u16(&r, &legacy) != 0 || r.n < 32)
		return bad(why, whylen, "malformed ServerHello");
	random = r.p;
	if (rd_skip(&r, 32) != 0 || rd_vec(&r, 1, &sid) != 0 || sid.n > 32 ||
	    rd_u16(&r, &cipher) != 0 || rd_u8(&r, &comp) != 0 ||
	    (r.n > 0 && (rd_vec(&r, 2, &exts) != 0 || r.n != 0)))
		return bad(why, whylen, "malformed ServerHello");
	for (walk = exts; walk.n > 0;) {
		struct rd ebody;
		unsigned type;

		if (rd_u16(&walk, &type) != 0 || rd_vec(&walk, 2, &ebody) != 0)
			return bad(why, whylen, "malformed ServerHello extensions");
		if (type != EXT_SUPPORTED_VERSIONS)
			continue;
		if (has_sv++ || rd_u16(&ebody, &sv) != 0 || ebody.n != 0)
			return bad(why, whylen, "malformed supported_versions in ServerHello");
	}

	*tls13 = has_sv;
	*hrr = memcmp(random, hrr_random, sizeof(hrr_random)) == 0;
	res->version = (uint16_t)(has_sv ? sv : legacy);
	res->cipher = (uint16_t)cipher;
	ja3_begin(&w, res->ja3s, sizeof(res->ja3s));
	snprintf(b, sizeof(b), "%u,%u,", legacy, cipher);
	ja3_put(&w, b);
	ja3_ext_types(&w, exts, 0);
	ja3_end(&w, res->ja3s_md5);
	return 0;
}
