/*
 * probe_codec.c: the prober's ClientHellos (the reply parser is in probe_codec_parse.c).
 *
 * One builder for every protocol the prober asks about; it writes exactly what the hello_spec
 * says, so the plan controls every byte that matters (suites, groups, versions, extensions).
 *
 * SSLv2 (spec version 0x0002), draft-hickman-netscape-ssl-00 section "CLIENT-HELLO":
 *   record header   2 bytes: 0x80 | length >> 8, length & 0xff (no padding)
 *   msg_type        1 (CLIENT-HELLO)
 *   version         0x0002
 *   cipher_specs_length, session_id_length (0), challenge_length (16): 2 bytes each
 *   cipher_specs    the 3-byte kinds of spec->ssl2_kinds
 *   challenge       16 random bytes
 *
 * SSLv3 .. TLS 1.3 (RFC 6101 5.6.1.2, RFC 5246 7.4.1.2, RFC 8446 4.1.2), one handshake record:
 *   record          type 22, version 0x0300 for an SSLv3 hello, else 0x0301 (what OpenSSL sends:
 *                   intolerant servers choke on higher record versions)
 *   client_version  min(spec->version, 0x0303)
 *   random          32 random bytes
 *   session_id      32 random bytes when TLS 1.3 is offered (middlebox compatibility), else empty
 *   cipher_suites   spec->suites in order, then 0x00ff (scsv_reneg), then 0x5600 (scsv_fallback)
 *   compression     DEFLATE (1) then null (0) when spec->compression, else null only
 *   extensions      unless spec->no_extensions, in this order, each when asked for:
 *                     renegotiation_info (empty), server_name, ec_point_formats and
 *                     supported_groups (when groups are given), session_ticket (empty),
 *                     status_request (OCSP), ALPN, signed_certificate_timestamp, encrypt_then_mac,
 *                     extended_master_secret, signature_algorithms (TLS 1.2 and up, always),
 *                     heartbeat (peer_allowed_to_send), then for TLS 1.3: supported_versions
 *                     (spec->version down to spec->min_version), psk_key_exchange_modes
 *                     (psk_dhe_ke), key_share (spec->key_shares, public keys from probe_keys),
 *                     and last the padding extension: a ClientHello message (with its 4-byte
 *                     header) of 256..511 bytes is padded to 512, as OpenSSL's
 *                     SSL_OP_TLSEXT_PADDING and Chrome do, because F5 BIG-IP terminators hang
 *                     on those sizes (RFC 7685 section 1). The padding extension always carries
 *                     at least one byte (WebSphere rejects an empty last extension).
 *
 * Key shares: probe_keys holds one key pair per group the prober may offer in a key_share
 * (x25519, x448, secp256r1, secp384r1, secp521r1, ffdhe2048), generated once per engine. Only
 * their public values are sent: the prober reads the ServerHello and never derives a secret.
 * ffdhe2048's share is the public value left-padded to the prime's 256 bytes (RFC 8446 4.2.8.1),
 * EC shares are uncompressed points (4.2.8.2), X25519/X448 the raw 32/56 bytes (4.2.8.2).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/suites.h"
#include "scanner/probe.h"

#define HELLO_BUF 8192            /* larger than any hello the spec limits allow (about 4 KB) */
#define PAD_MIN 0x100             /* RFC 7685 / F5: messages of 256 .. 511 bytes get padded */
#define PAD_TARGET 0x200
#define SSL2_CHALLENGE 16
#define MAX_SHARE 256             /* ffdhe2048 */

enum {
	EXT_SERVER_NAME = 0, EXT_STATUS_REQUEST = 5, EXT_SUPPORTED_GROUPS = 10, EXT_EC_POINT_FORMATS = 11,
	EXT_SIGNATURE_ALGORITHMS = 13, EXT_HEARTBEAT = 15, EXT_ALPN = 16, EXT_SCT = 18, EXT_PADDING = 21,
	EXT_ENCRYPT_THEN_MAC = 22, EXT_EMS = 23, EXT_SESSION_TICKET = 35, EXT_SUPPORTED_VERSIONS = 43,
	EXT_PSK_KEX_MODES = 45, EXT_KEY_SHARE = 51, EXT_RENEGOTIATION_INFO = 0xff01,
};

/* ------------------------------------------------------------------ key shares */

struct probe_key {
	uint16_t group;
	const char *alg;              /* EVP_PKEY algorithm */
	const char *param;            /* curve or ffdhe group name, NULL for X25519/X448 */
	EVP_PKEY *key;                /* owned */
	unsigned char pub[MAX_SHARE];
	size_t pub_len;
};

#define N_KEYS 6

struct probe_keys {
	struct probe_key k[N_KEYS];
};

static const struct {
	uint16_t group;
	const char *alg, *param;
} key_groups[N_KEYS] = {
	{ 0x001d, "X25519", NULL },
	{ 0x001e, "X448", NULL },
	{ 0x0017, "EC", "P-256" },
	{ 0x0018, "EC", "P-384" },
	{ 0x0019, "EC", "P-521" },
	{ 0x0100, "DH", "ffdhe2048" },
};

/* Generates one key pair and takes its encoded public value. 0 or -1. */
static int key_make(struct probe_key *pk)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, pk->alg, NULL);
	unsigned char *enc = NULL;
	size_t len;
	int rc = -1;

	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1)
		goto out;
	if (pk->param != NULL) {
		OSSL_PARAM params[2] = {
			OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
			                                 (char *)(uintptr_t)pk->param, 0),
			OSSL_PARAM_construct_end(),
		};

		if (EVP_PKEY_CTX_set_params(ctx, params) != 1)
			goto out;
	}
	if (EVP_PKEY_generate(ctx, &pk->key) != 1)
		goto out;
	len = EVP_PKEY_get1_encoded_public_key(pk->key, &enc);
	if (len == 0 || len > sizeof(pk->pub))
		goto out;
	memcpy(pk->pub, enc, len);
	pk->pub_len = len;
	rc = 0;
out:
	OPENSSL_free(enc);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

struct probe_keys *probe_keys_new(char *err, size_t errlen)
{
	struct probe_keys *k = calloc(1, sizeof(*k));

	if (k == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < N_KEYS; i++) {
		k->k[i].group = key_groups[i].group;
		k->k[i].alg = key_groups[i].alg;
		k->k[i].param = key_groups[i].param;
		if (key_make(&k->k[i]) != 0) {
			unsigned long e = ERR_peek_last_error();

			snprintf(err, errlen, "cannot make a %s key share: %s",
			         key_groups[i].param ? key_groups[i].param : key_groups[i].alg,
			         e ? ERR_reason_error_string(e) : "bad key");
			ERR_clear_error();
			probe_keys_free(k);
			return NULL;
		}
	}
	return k;
}

void probe_keys_free(struct probe_keys *k)
{
	if (k == NULL)
		return;
	for (size_t i = 0; i < N_KEYS; i++)
		EVP_PKEY_free(k->k[i].key);
	free(k);
}

static const struct probe_key *key_find(const struct probe_keys *k, uint16_t group)
{
	if (k == NULL)
		return NULL;
	for (size_t i = 0; i < N_KEYS; i++)
		if (k->k[i].group == group)
			return &k->k[i];
	return NULL;
}

/* ------------------------------------------------------------------ default spec */

/* OpenSSL 3.0's client group order; the ffdhe groups only with TLS 1.3, as OpenSSL. */
static const uint16_t default_groups[] = { 0x001d, 0x0017, 0x001e, 0x0019, 0x0018,
                                           0x0100, 0x0101, 0x0102, 0x0103, 0x0104 };
#define N_EC_DEFAULT 5
static const uint16_t tls13_suites[] = { 0x1302, 0x1303, 0x1301, 0x1304, 0x1305 };

/*
 * Where a suite goes in the default offer, as a modern client orders them: forward secret AEAD
 * first, then forward secret, then the rest; ECDHE before DHE, 256-bit before 128-bit within
 * each; the weak suites (NULL, anon, EXPORT, DES, 3DES, RC4, RC2) last, so that a server that
 * follows the client's order picks what a browser would get. Within a rank: registry order.
 */
#define N_RANKS 17

static int offer_rank(const struct suite *s)
{
	int fs = (s->flags & SUITE_FS) != 0, aead = (s->flags & SUITE_AEAD) != 0;
	int group = fs && aead ? 0 : fs ? 1 : aead ? 2 : 3;
	int ecdhe = s->kex == KX_ECDHE || s->kex == KX_ECDHE_PSK;

	if (suite_is_weak(s))
		return N_RANKS - 1;
	return group * 4 + (ecdhe ? 0 : 2) + (s->bits >= 256 ? 0 : 1);
}

/* 1 when s parses as an IPv4 or IPv6 literal. */
static int ip_literal(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/*
 * TLS 1.3: min_version 0x0304, the five TLS 1.3 suites, groups x25519 .. ffdhe8192 with an
 * x25519 key share. TLS 1.0 .. 1.2: every registry suite defined for the version (TLS 1.2-only
 * suites from 0x0303), in offer_rank order (335 for TLS 1.2, 158 below: some old servers refuse
 * hellos with that many suites, the plan narrows these lists anyway). SSLv3: the same
 * suites as TLS 1.0 (SSLv3 servers of the OpenSSL 1.0 era negotiate the ECC suites too), no
 * extension block. SSLv2: the seven cipher kinds. Extensions: everything on, including the
 * heartbeat (to learn whether it is acknowledged) and the renegotiation SCSV (not the
 * extension: RFC 5746 3.3 recommends one of the two); no compression, no fallback SCSV.
 * An IP literal given as sni is dropped (server_name must be a host name).
 */
void hello_spec_default(struct hello_spec *spec, uint16_t version, const char *sni)
{
	memset(spec, 0, sizeof(*spec));
	spec->version = version;
	spec->min_version = version;
	if (version == 0x0002) {
		size_t cap = sizeof(spec->ssl2_kinds) / sizeof(spec->ssl2_kinds[0]);

		for (const struct suite *s = suite_table; s->name != NULL && spec->n_ssl2 < cap; s++)
			if (s->flags & SUITE_SSL2)
				spec->ssl2_kinds[spec->n_ssl2++] = s->ssl2;
		return;
	}
	if (version >= 0x0304) {
		memcpy(spec->suites, tls13_suites, sizeof(tls13_suites));
		spec->n_suites = sizeof(tls13_suites) / sizeof(tls13_suites[0]);
	} else {
		uint16_t cap = version < 0x0301 ? 0x0301 : version;

		for (int rank = 0; rank < N_RANKS; rank++)
			for (const struct suite *s = suite_table; s->name != NULL; s++)
				if (!(s->flags & (SUITE_SSL2 | SUITE_SCSV | SUITE_TLS13)) &&
				    s->min_version <= cap && offer_rank(s) == rank &&
				    spec->n_suites < HELLO_MAX_SUITES)
					spec->suites[spec->n_suites++] = s->id;
	}
	spec->n_groups = version >= 0x0304 ? sizeof(default_groups) / sizeof(default_groups[0])
	                                   : N_EC_DEFAULT;
	memcpy(spec->groups, default_groups, spec->n_groups * sizeof(default_groups[0]));
	if (version >= 0x0304) {
		spec->key_shares[0] = 0x001d;
		spec->n_key_shares = 1;
	}
	spec->sni = sni != NULL && !ip_literal(sni) ? sni : NULL;
	spec->alpn = version >= 0x0301 ? "h2,http/1.1" : NULL;
	spec->no_extensions = version < 0x0301;
	spec->scsv_reneg = 1;
	spec->heartbeat = 1;
	spec->status_request = 1;
	spec->sct = 1;
	spec->session_ticket = 1;
	spec->ems = 1;
	spec->etm = 1;
}

/* ------------------------------------------------------------------ writer */

/* Bounded writer: every write checks room; `bad` sticks once anything would overflow. */
struct wr {
	unsigned char *p;
	size_t n, cap;
	int bad;
};

static void wr_bytes(struct wr *w, const void *src, size_t len)
{
	if (w->bad || w->cap - w->n < len) {
		w->bad = 1;
		return;
	}
	if (len == 0)
		return;
	memcpy(w->p + w->n, src, len);
	w->n += len;
}

static void wr_uint(struct wr *w, size_t v, int width)
{
	unsigned char b[3];

	for (int i = 0; i < width; i++)
		b[i] = (unsigned char)(v >> (8 * (width - 1 - i)));
	wr_bytes(w, b, (size_t)width);
}

/* Opens a vector with a `width`-byte length prefix; returns where the prefix sits. */
static size_t wr_open(struct wr *w, int width)
{
	size_t at = w->n;

	wr_uint(w, 0, width);
	return at;
}

/* Closes the vector opened at `at`: writes its length into the prefix. */
static void wr_close(struct wr *w, size_t at, int width)
{
	size_t len;

	if (w->bad)
		return;
	len = w->n - at - (size_t)width;
	if (len >> (8 * width)) {
		w->bad = 1;
		return;
	}
	for (int i = 0; i < width; i++)
		w->p[at + (size_t)i] = (unsigned char)(len >> (8 * (width - 1 - i)));
}

/* An extension with an opaque body. */
static void wr_ext(struct wr *w, unsigned type, const void *body, size_t len)
{
	wr_uint(w, type, 2);
	wr_uint(w, len, 2);
	wr_bytes(w, body, len);
}

/* ------------------------------------------------------------------ checks */

/* A host name we may put in server_name: 1..255 printable ASCII bytes, no space, no IP literal. */
static int sni_ok(const char *s)
{
	size_t n = strnlen(s, 256);

	if (n == 0 || n > 255 || ip_literal(s))
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* ALPN list "h2,http/1.1" -> the wire's ProtocolNameList body. 0, or -1 if malformed. */
static int alpn_wire(const char *list, struct wr *w)
{
	size_t at = wr_open(w, 2), n = 0;
	const char *p = list;

	while (*p != '\0') {
		size_t len = strcspn(p, ",");

		if (len == 0 || len > 255)
			return -1;
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
				return -1;
		wr_uint(w, len, 1);
		wr_bytes(w, p, len);
		n++;
		p += len;
		if (*p == ',')
			p++;
		if (n > 32)
			return -1;
	}
	wr_close(w, at, 2);
	return n > 0 ? 0 : -1;
}

static int spec_check(const struct probe_keys *k, const struct hello_spec *s, char *err, size_t errlen)
{
	if (s->version != 0x0002 && (s->version < 0x0300 || s->version > 0x0304)) {
		snprintf(err, errlen, "version 0x%04x cannot be offered", s->version);
		return -1;
	}
	if (s->n_suites > HELLO_MAX_SUITES || s->n_groups > HELLO_MAX_GROUPS ||
	    s->n_ssl2 > sizeof(s->ssl2_kinds) / sizeof(s->ssl2_kinds[0]) ||
	    s->n_key_shares > sizeof(s->key_shares) / sizeof(s->key_shares[0])) {
		snprintf(err, errlen, "hello_spec counts out of range");
		return -1;
	}
	if (s->version == 0x0002) {
		if (s->n_ssl2 == 0) {
			snprintf(err, errlen, "SSLv2 hello without cipher kinds");
			return -1;
		}
		return 0;
	}
	if (s->n_suites == 0 && !s->scsv_reneg && !s->scsv_fallback) {
		snprintf(err, errlen, "hello without cipher suites");
		return -1;
	}
	if (s->sni != NULL && !sni_ok(s->sni)) {
		snprintf(err, errlen, "server_name must be a host name of 1..255 printable bytes");
		return -1;
	}
	for (size_t i = 0; s->version >= 0x0304 && i < s->n_key_shares; i++) {
		int listed = 0;

		for (size_t g = 0; g < s->n_groups; g++)
			listed |= s->groups[g] == s->key_shares[i];
		if (!listed) {
			snprintf(err, errlen, "key share 0x%04x is not among the groups", s->key_shares[i]);
			return -1;
		}
		if (key_find(k, s->key_shares[i]) == NULL) {
			snprintf(err, errlen, "no key for a 0x%04x key share", s->key_shares[i]);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ SSLv2 */

static int build_ssl2(const struct hello_spec *s, struct evbuffer *out, char *err, size_t errlen)
{
	unsigned char buf[2 + 9 + 16 * 3 + SSL2_CHALLENGE];
	struct wr w = { .p = buf, .cap = sizeof(buf) };
	unsigned char challenge[SSL2_CHALLENGE];
	size_t len;

	if (RAND_bytes(challenge, sizeof(challenge)) != 1) {
		snprintf(err, errlen, "RAND_bytes failed");
		return -1;
	}
	len = 9 + s->n_ssl2 * 3 + SSL2_CHALLENGE;
	wr_uint(&w, 0x8000 | len, 2);
	wr_uint(&w, 1, 1);                   /* CLIENT-HELLO */
	wr_uint(&w, 0x0002, 2);
	wr_uint(&w, s->n_ssl2 * 3, 2);
	wr_uint(&w, 0, 2);                   /* no session id */
	wr_uint(&w, SSL2_CHALLENGE, 2);
	for (size_t i = 0; i < s->n_ssl2; i++)
		wr_uint(&w, s->ssl2_kinds[i] & 0xffffff, 3);
	wr_bytes(&w, challenge, sizeof(challenge));
	if (w.bad || evbuffer_add(out, buf, w.n) != 0) {
		snprintf(err, errlen, "cannot write the SSLv2 hello");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ SSLv3 .. TLS 1.3 */

/* OpenSSL 3.0's signature_algorithms list (23 schemes), sent with TLS 1.2 and 1.3. */
static const uint16_t sigalgs[] = {
	0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805, 0x0806,
	0x0401, 0x0501, 0x0601, 0x0303, 0x0203, 0x0301, 0x0201, 0x0302, 0x0202, 0x0402, 0x0502,
	0x0602,
};

static void put_sni(struct wr *w, const char *sni)
{
	size_t at, list, name;

	wr_uint(w, EXT_SERVER_NAME, 2);
	at = wr_open(w, 2);
	list = wr_open(w, 2);
	wr_uint(w, 0, 1);            /* host_name */
	name = wr_open(w, 2);
	wr_bytes(w, sni, strlen(sni));
	wr_close(w, name, 2);
	wr_close(w, list, 2);
	wr_close(w, at, 2);
}

static void put_u16_list(struct wr *w, unsigned type, const uint16_t *v, size_t n, int width)
{
	size_t at, in;

	wr_uint(w, type, 2);
	at = wr_open(w, 2);
	in = wr_open(w, width);
	for (size_t i = 0; i < n; i++)
		wr_uint(w, v[i], 2);
	wr_close(w, in, width);
	wr_close(w, at, 2);
}

static void put_tls13(struct wr *w, const struct probe_keys *k, const struct hello_spec *s)
{
	uint16_t versions[5];
	size_t nv = 0, at, in;
	uint16_t low = s->min_version >= 0x0300 && s->min_version <= s->version ? s->min_version : s->version;

	for (unsigned v = s->version; v >= low && nv < 5; v--)
		versions[nv++] = (uint16_t)v;
	put_u16_list(w, EXT_SUPPORTED_VERSIONS, versions, nv, 1);
	wr_ext(w, EXT_PSK_KEX_MODES, "\x01\x01", 2);      /* psk_dhe_ke */

	wr_uint(w, EXT_KEY_SHARE, 2);
	at = wr_open(w, 2);
	in = wr_open(w, 2);
	for (size_t i = 0; i < s->n_key_shares; i++) {
		const struct probe_key *pk = key_find(k, s->key_shares[i]);

		if (pk == NULL) {      /* spec_check made sure this cannot happen */
			w->bad = 1;
			return;
		}
		wr_uint(w, pk->group, 2);
		wr_uint(w, pk->pub_len, 2);
		wr_bytes(w, pk->pub, pk->pub_len);
	}
	wr_close(w, in, 2);
	wr_close(w, at, 2);
}

/* The extension block; `msg_start` is where the handshake message began (for the padding). */
static int put_extensions(struct wr *w, size_t msg_start, const struct probe_keys *k,
                          const struct hello_spec *s)
{
	size_t all = wr_open(w, 2), len;

	if (s->reneg_ext)
		wr_ext(w, EXT_RENEGOTIATION_INFO, "\x00", 1);
	if (s->sni != NULL)
		put_sni(w, s->sni);
	if (s->n_groups > 0) {
		wr_ext(w, EXT_EC_POINT_FORMATS, "\x03\x00\x01\x02", 4);
		put_u16_list(w, EXT_SUPPORTED_GROUPS, s->groups, s->n_groups, 2);
	}
	if (s->session_ticket)
		wr_ext(w, EXT_SESSION_TICKET, NULL, 0);
	if (s->status_request)
		wr_ext(w, EXT_STATUS_REQUEST, "\x01\x00\x00\x00\x00", 5);  /* ocsp, no ids, no exts */
	if (s->alpn != NULL) {
		size_t at;

		wr_uint(w, EXT_ALPN, 2);
		at = wr_open(w, 2);
		if (alpn_wire(s->alpn, w) != 0)
			return -1;
		wr_close(w, at, 2);
	}
	if (s->sct)
		wr_ext(w, EXT_SCT, NULL, 0);
	if (s->etm)
		wr_ext(w, EXT_ENCRYPT_THEN_MAC, NULL, 0);
	if (s->ems)
		wr_ext(w, EXT_EMS, NULL, 0);
	if (s->version >= 0x0303)
		put_u16_list(w, EXT_SIGNATURE_ALGORITHMS, sigalgs, sizeof(sigalgs) / sizeof(sigalgs[0]), 2);
	if (s->heartbeat)
		wr_ext(w, EXT_HEARTBEAT, "\x01", 1);     /* peer_allowed_to_send */
	if (s->version >= 0x0304)
		put_tls13(w, k, s);

	len = w->n - msg_start;
	if (!w->bad && len >= PAD_MIN && len < PAD_TARGET) {
		static const unsigned char zeros[PAD_TARGET];
		size_t pad = PAD_TARGET - len;

		pad = pad > 4 ? pad - 4 : 1;
		wr_ext(w, EXT_PADDING, zeros, pad);
	}
	wr_close(w, all, 2);
	return 0;
}

static int build_tls(const struct probe_keys *k, const struct hello_spec *s, struct evbuffer *out,
                     char *err, size_t errlen)
{
	unsigned char *buf = malloc(HELLO_BUF), rnd[64];
	struct wr w = { .p = buf, .cap = HELLO_BUF };
	size_t rec, msg, body, sid_len = s->version >= 0x0304 ? 32 : 0;
	int rc = -1;

	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		snprintf(err, errlen, "RAND_bytes failed");
		goto out;
	}
	wr_uint(&w, 22, 1);
	wr_uint(&w, s->version >= 0x0301 ? 0x0301 : 0x0300, 2);
	rec = wr_open(&w, 2);
	msg = w.n;
	wr_uint(&w, 1, 1);                                   /* client_hello */
	body = wr_open(&w, 3);
	wr_uint(&w, s->version > 0x0303 ? 0x0303 : s->version, 2);
	wr_bytes(&w, rnd, 32);
	wr_uint(&w, sid_len, 1);
	wr_bytes(&w, rnd + 32, sid_len);
	{
		size_t at = wr_open(&w, 2);

		for (size_t i = 0; i < s->n_suites; i++)
			wr_uint(&w, s->suites[i], 2);
		if (s->scsv_reneg)
			wr_uint(&w, 0x00ff, 2);
		if (s->scsv_fallback)
			wr_uint(&w, 0x5600, 2);
		wr_close(&w, at, 2);
	}
	if (s->compression)
		wr_bytes(&w, "\x02\x01\x00", 3);
	else
		wr_bytes(&w, "\x01\x00", 2);
	if (!s->no_extensions && put_extensions(&w, msg, k, s) != 0) {
		snprintf(err, errlen, "malformed ALPN list");
		goto out;
	}
	wr_close(&w, body, 3);
	wr_close(&w, rec, 2);
	if (w.bad || w.n - 5 > 16384) {
		snprintf(err, errlen, "ClientHello does not fit in one record");
		goto out;
	}
	if (evbuffer_add(out, buf, w.n) != 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

int probe_hello_build(const struct probe_keys *k, const struct hello_spec *spec, struct evbuffer *out,
                      char *err, size_t errlen)
{
	if (spec_check(k, spec, err, errlen) != 0)
		return -1;
	if (spec->version == 0x0002)
		return build_ssl2(spec, out, err, errlen);
	return build_tls(k, spec, out, err, errlen);
}
