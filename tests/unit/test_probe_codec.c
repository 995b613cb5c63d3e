/*
 * test_probe_codec.c: the prober's ClientHello builder and reply parser (scanner/probe_codec*.c).
 *
 * Real server bytes: every server here is an in-process OpenSSL 3 SSL from TLS_server_method()
 * behind a BIO pair (security level 0, TLS 1.0 .. 1.3 unless a case narrows it), with an RSA-2048
 * or an ECDSA P-256 chain (leaf + intermediate). A case builds our hello with
 * probe_hello_build(), lets the server answer, and feeds the answer to the parser. Where it
 * matters the same server is also handshaken by an OpenSSL client offering the same single suite,
 * and both must agree on version, suite, ECDHE group and DH prime size (the witness), besides the
 * values written down per case.
 *
 * Covered: one suite at a time for every suite the server can negotiate in TLS 1.2, 1.1 and 1.0
 * and the five TLS 1.3 suites; lists with and without server preference; every key share we hold;
 * groups and DH sizes; the extension flags (renegotiation_info, EMS, ETM, session ticket, ALPN,
 * OCSP stapling, SCT, heartbeat, compression, fallback SCSV); HelloRetryRequest; alerts; garbage
 * after the ServerHello; chunked delivery from 1 byte up; limits. The SSLv2 and SSLv3 hellos cannot
 * be checked against this OpenSSL (it parses neither), so their bytes are decoded by hand against
 * the SSLv2 draft and RFC 6101; hand-written SSLv2 SERVER-HELLO and SSLv3 flights are parsed.
 *
 * PROBE_CODEC_CORPUS_DIR=dir ./test_probe_codec also writes seeds for tests/fuzz/fuzz_probe_codec.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "certgen.h"
#include "core/suites.h"
#include "scanner/probe.h"

#define DAY 86400
#define SNI "www.example.test"
#define WHOLE ((size_t)-1)

struct fx {
	struct probe_keys *keys;
	struct cg_cert ec_root, ec_int, ec_leaf, rsa_root, rsa_int, rsa_leaf;
};

static int group_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	time_t now = time(NULL);
	char err[256] = "";

	if (f == NULL)
		return -1;
	f->keys = probe_keys_new(err, sizeof(err));
	if (f->keys == NULL) {
		print_error("setup: %s\n", err);
		return -1;
	}
	if (cg_make(&(struct cg_spec){ .cn = "EC Root", .ca = 1, .not_before = now - DAY,
	                               .not_after = now + 900 * DAY }, &f->ec_root) ||
	    cg_make(&(struct cg_spec){ .cn = "EC Intermediate", .ca = 1, .issuer = &f->ec_root,
	                               .not_before = now - DAY, .not_after = now + 800 * DAY }, &f->ec_int) ||
	    cg_make(&(struct cg_spec){ .cn = SNI, .issuer = &f->ec_int, .san = "DNS:" SNI,
	                               .not_before = now - DAY, .not_after = now + 90 * DAY }, &f->ec_leaf) ||
	    cg_make(&(struct cg_spec){ .cn = "RSA Root", .ca = 1, .key = "rsa2048", .not_before = now - DAY,
	                               .not_after = now + 900 * DAY }, &f->rsa_root) ||
	    cg_make(&(struct cg_spec){ .cn = "RSA Intermediate", .ca = 1, .key = "rsa2048",
	                               .issuer = &f->rsa_root, .not_before = now - DAY,
	                               .not_after = now + 800 * DAY }, &f->rsa_int) ||
	    cg_make(&(struct cg_spec){ .cn = SNI, .key = "rsa2048", .issuer = &f->rsa_int,
	                               .san = "DNS:" SNI, .not_before = now - DAY,
	                               .not_after = now + 90 * DAY }, &f->rsa_leaf))
		return -1;
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fx *f = *state;

	probe_keys_free(f->keys);
	cg_free(&f->ec_root);
	cg_free(&f->ec_int);
	cg_free(&f->ec_leaf);
	cg_free(&f->rsa_root);
	cg_free(&f->rsa_int);
	cg_free(&f->rsa_leaf);
	free(f);
	return 0;
}

/* ------------------------------------------------------------------ servers */

struct srv_cfg {
	int rsa;                 /* RSA chain instead of ECDSA */
	int min_version, max_version;   /* 0: TLS 1.0 .. 1.3 */
	const char *ciphers;     /* TLS <= 1.2; NULL: ALL:COMPLEMENTOFALL at level 0 */
	const char *suites;      /* TLS 1.3; NULL: all five */
	const char *groups;      /* NULL: OpenSSL's default */
	const char *dh;          /* named DH parameters ("dh_1024_160", "modp_1536"); NULL: auto */
	int server_pref;         /* SSL_OP_CIPHER_SERVER_PREFERENCE */
	int alpn_h2, staple, sct, no_ticket;
};

#define ALL_13 "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:" \
               "TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256"

static const unsigned char fake_ocsp[] = { 0x30, 0x03, 0x0a, 0x01, 0x00 };
/* A SignedCertificateTimestampList with one (fake) 4-byte SCT. */
static const unsigned char fake_sct[] = { 0x00, 0x06, 0x00, 0x04, 0x00, 0x01, 0x02, 0x03 };

static int alpn_select(SSL *s, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg)
{
	static const unsigned char h2[] = "\x02h2";
	unsigned char *sel = NULL;

	(void)s;
	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, h2, sizeof(h2) - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

static int staple(SSL *s, void *arg)
{
	unsigned char *resp = OPENSSL_memdup(fake_ocsp, sizeof(fake_ocsp));

	(void)arg;
	if (resp == NULL || !SSL_set_tlsext_status_ocsp_resp(s, resp, (long)sizeof(fake_ocsp))) {
		OPENSSL_free(resp);
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	}
	return SSL_TLSEXT_ERR_OK;
}

static int sct_add(SSL *s, unsigned int type, const unsigned char **out, size_t *outlen, int *al, void *arg)
{
	(void)s;
	(void)type;
	(void)al;
	(void)arg;
	*out = fake_sct;
	*outlen = sizeof(fake_sct);
	return 1;
}

static int sct_parse(SSL *s, unsigned int type, const unsigned char *in, size_t inlen, int *al, void *arg)
{
	(void)s;
	(void)type;
	(void)in;
	(void)inlen;
	(void)al;
	(void)arg;
	return 1;
}

static EVP_PKEY *named_dh(const char *name)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)(uintptr_t)name, 0),
		OSSL_PARAM_construct_end(),
	};

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEY_PARAMETERS, params), 1);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

static SSL_CTX *server_ctx(const struct fx *f, const struct srv_cfg *c)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	const struct cg_cert *leaf = c->rsa ? &f->rsa_leaf : &f->ec_leaf;
	const struct cg_cert *inter = c->rsa ? &f->rsa_int : &f->ec_int;

	assert_non_null(ctx);
	SSL_CTX_set_security_level(ctx, 0);
	assert_int_equal(SSL_CTX_set_cipher_list(ctx, c->ciphers ? c->ciphers : "ALL:COMPLEMENTOFALL:@SECLEVEL=0"), 1);
	assert_int_equal(SSL_CTX_set_ciphersuites(ctx, c->suites ? c->suites : ALL_13), 1);
	assert_int_equal(SSL_CTX_set_min_proto_version(ctx, c->min_version ? c->min_version : TLS1_VERSION), 1);
	if (c->max_version)
		assert_int_equal(SSL_CTX_set_max_proto_version(ctx, c->max_version), 1);
	if (c->groups)
		assert_int_equal(SSL_CTX_set1_groups_list(ctx, c->groups), 1);
	assert_int_equal(SSL_CTX_use_certificate(ctx, leaf->x), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(ctx, leaf->key), 1);
	assert_int_equal(SSL_CTX_add1_chain_cert(ctx, inter->x), 1);
	if (c->dh)
		assert_int_equal(SSL_CTX_set0_tmp_dh_pkey(ctx, named_dh(c->dh)), 1);
	else
		SSL_CTX_set_dh_auto(ctx, 1);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (c->server_pref)
		SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (c->no_ticket)
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	if (c->alpn_h2)
		SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	if (c->staple)
		SSL_CTX_set_tlsext_status_cb(ctx, staple);
	if (c->sct)
		assert_int_equal(SSL_CTX_add_server_custom_ext(ctx, 18, sct_add, NULL, NULL, sct_parse, NULL), 1);
	return ctx;
}

struct srv {
	SSL *ssl;
	BIO *ext;   /* our end of the BIO pair */
};

static void srv_open(struct srv *s, SSL_CTX *ctx)
{
	BIO *in = NULL;

	s->ssl = SSL_new(ctx);
	assert_non_null(s->ssl);
	assert_int_equal(BIO_new_bio_pair(&in, 1 << 19, &s->ext, 1 << 19), 1);
	SSL_set_bio(s->ssl, in, in);
	SSL_set_accept_state(s->ssl);
}

static void srv_close(struct srv *s)
{
	SSL_free(s->ssl);
	BIO_free(s->ext);
}

/* Hands the server what the client wrote, lets it run, appends its answer to `to_client`. */
static void srv_turn(struct srv *s, struct evbuffer *from_client, struct evbuffer *to_client)
{
	size_t n = evbuffer_get_length(from_client);
	unsigned char buf[4096];
	int got;

	if (n > 0) {
		assert_int_equal(BIO_write(s->ext, evbuffer_pullup(from_client, -1), (int)n), (int)n);
		evbuffer_drain(from_client, n);
	}
	(void)SSL_do_handshake(s->ssl);
	ERR_clear_error();
	while ((got = BIO_read(s->ext, buf, sizeof(buf))) > 0)
		assert_int_equal(evbuffer_add(to_client, buf, (size_t)got), 0);
}

/* ------------------------------------------------------------------ our side */

/* Builds the hello for spec, lets a server from sctx answer; returns the answer's bytes. */
static struct evbuffer *exchange(const struct fx *f, SSL_CTX *sctx, const struct hello_spec *spec)
{
	struct evbuffer *out = evbuffer_new(), *in = evbuffer_new();
	char err[160] = "";
	struct srv s;

	assert_non_null(out);
	assert_non_null(in);
	if (probe_hello_build(f->keys, spec, out, err, sizeof(err)) != 0)
		fail_msg("probe_hello_build: %s", err);
	srv_open(&s, sctx);
	srv_turn(&s, out, in);
	srv_close(&s);
	evbuffer_free(out);
	return in;
}

/* Feeds `len` bytes in chunks of `chunk`, calling the parser after each, until it is final. */
static int parse_chunked(const unsigned char *p, size_t len, size_t chunk, int ssl2, struct server_reply *r,
                         size_t *left)
{
	struct probe_parser *ps = probe_parser_new(ssl2);
	struct evbuffer *in = evbuffer_new();
	size_t off = 0;
	int rc = 0;

	assert_non_null(ps);
	assert_non_null(in);
	memset(r, 0, sizeof(*r));
	while (rc == 0 && off < len) {
		size_t n = chunk < len - off ? chunk : len - off;

		assert_int_equal(evbuffer_add(in, p + off, n), 0);
		off += n;
		rc = probe_parser_feed(ps, in, r);
		assert_true(rc == 0 || rc == 1);
	}
	if (left != NULL)
		*left = evbuffer_get_length(in) + (len - off);
	probe_parser_free(ps);
	evbuffer_free(in);
	return rc;
}

static int parse_buf(struct evbuffer *b, int ssl2, struct server_reply *r)
{
	return parse_chunked(evbuffer_pullup(b, -1), evbuffer_get_length(b), WHOLE, ssl2, r, NULL);
}

/* A record with the given type and payload. */
static void add_record(struct evbuffer *b, unsigned type, uint16_t version, const void *p, size_t n)
{
	unsigned char h[5] = { (unsigned char)type, (unsigned char)(version >> 8), (unsigned char)version,
	                       (unsigned char)(n >> 8), (unsigned char)n };

	assert_int_equal(evbuffer_add(b, h, 5), 0);
	assert_int_equal(evbuffer_add(b, p, n), 0);
}

/* Our hello against a server; the parsed answer in *r (must be final). */
static void run(const struct fx *f, const struct srv_cfg *c, const struct hello_spec *spec, struct server_reply *r)
{
	SSL_CTX *sctx = server_ctx(f, c);
	struct evbuffer *ans = exchange(f, sctx, spec);

	if (parse_buf(ans, spec->version == 0x0002, r) != 1)
		fail_msg("no final reply (%zu bytes of answer)", evbuffer_get_length(ans));
	evbuffer_free(ans);
	SSL_CTX_free(sctx);
}

static void spec_one(struct hello_spec *s, uint16_t version, uint16_t suite)
{
	hello_spec_default(s, version, SNI);
	s->suites[0] = suite;
	s->n_suites = 1;
}

/* ------------------------------------------------------------------ the OpenSSL witness */

struct witness {
	int ok;
	uint16_t version, suite, group;
	int dh_bits;
};

/* IANA id of an OpenSSL group NID (SSL_get_negotiated_group returns NIDs for known groups). */
static uint16_t group_of_nid(int nid)
{
	static const struct { int nid; uint16_t id; } map[] = {
		{ NID_X25519, 0x001d }, { NID_X448, 0x001e }, { NID_X9_62_prime256v1, 0x0017 },
		{ NID_secp384r1, 0x0018 }, { NID_secp521r1, 0x0019 }, { NID_ffdhe2048, 0x0100 },
	};

	if (nid & TLSEXT_nid_unknown)
		return (uint16_t)(nid & 0xffff);
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].nid == nid)
			return map[i].id;
	return 0;
}

/* An OpenSSL client offering only `cipher` (an OpenSSL name) at `version` to the same server. */
static struct witness openssl_client(SSL_CTX *sctx, const char *cipher, int version)
{
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	SSL *c, *s = SSL_new(sctx);
	BIO *cb = NULL, *sb = NULL;
	struct witness w = { 0 };
	int cdone = 0, sdone = 0;
	EVP_PKEY *tmp = NULL;

	assert_non_null(cctx);
	SSL_CTX_set_security_level(cctx, 0);
	assert_int_equal(SSL_CTX_set_min_proto_version(cctx, version), 1);
	assert_int_equal(SSL_CTX_set_max_proto_version(cctx, version), 1);
	if (version == TLS1_3_VERSION)
		assert_int_equal(SSL_CTX_set_ciphersuites(cctx, cipher), 1);
	else
		assert_int_equal(SSL_CTX_set_cipher_list(cctx, cipher), 1);
	c = SSL_new(cctx);
	assert_non_null(c);
	assert_int_equal(BIO_new_bio_pair(&cb, 1 << 19, &sb, 1 << 19), 1);
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	for (int i = 0; i < 20 && !(cdone && sdone); i++) {
		cdone = SSL_do_handshake(c) == 1;
		sdone = SSL_do_handshake(s) == 1;
	}
	ERR_clear_error();
	w.ok = cdone;
	if (cdone) {
		w.version = (uint16_t)SSL_version(c);
		w.suite = SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(c));
		if (SSL_get_peer_tmp_key(c, &tmp) == 1 && EVP_PKEY_is_a(tmp, "DH") && version != TLS1_3_VERSION)
			w.dh_bits = EVP_PKEY_get_bits(tmp);
		else
			w.group = group_of_nid(SSL_get_negotiated_group(c));
		EVP_PKEY_free(tmp);
	}
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	return w;
}

/* ------------------------------------------------------------------ one suite at a time */

static int kx_skip(int kx)
{
	return kx == NID_kx_psk || kx == NID_kx_srp || kx == NID_kx_dhe_psk || kx == NID_kx_ecdhe_psk ||
	       kx == NID_kx_rsa_psk;
}

/*
 * Every suite the server can negotiate at `version` with its key: offered alone by us, then by
 * an OpenSSL client; both must agree, and the answer must be a complete first flight.
 */
static void one_suite_each(const struct fx *f, int rsa, int version, int *tested)
{
	struct srv_cfg c = { .rsa = rsa, .max_version = version };
	SSL_CTX *sctx = server_ctx(f, &c);
	STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(sctx);
	int want_auth = rsa ? NID_auth_rsa : NID_auth_ecdsa;

	for (int i = 0; i < sk_SSL_CIPHER_num(sk); i++) {
		const SSL_CIPHER *sc = sk_SSL_CIPHER_value(sk, i);
		int kx = SSL_CIPHER_get_kx_nid(sc), auth = SSL_CIPHER_get_auth_nid(sc);
		uint16_t id = SSL_CIPHER_get_protocol_id(sc);
		const struct suite *s = suite_by_id(id);
		struct hello_spec spec;
		struct server_reply r;
		struct witness w;
		struct evbuffer *ans;

		assert_non_null(s);
		if (s->min_version > version || kx == NID_kx_any || kx_skip(kx) ||
		    (auth != want_auth && auth != NID_auth_null))
			continue;
		spec_one(&spec, (uint16_t)version, id);
		ans = exchange(f, sctx, &spec);
		assert_int_equal(parse_buf(ans, 0, &r), 1);
		evbuffer_free(ans);
		w = openssl_client(sctx, SSL_CIPHER_get_name(sc), version);
		assert_true(w.ok);
		if (r.kind != REPLY_HELLO)
			fail_msg("%s: kind %d (%s)", s->name, (int)r.kind, r.err);
		assert_int_equal(r.version, version);
		assert_int_equal(r.suite, id);
		assert_int_equal(w.suite, id);
		assert_int_equal(r.complete, 1);
		assert_int_equal(r.hrr, 0);
		assert_int_equal(r.n_certs, auth == NID_auth_null ? 0 : 2);
		assert_int_equal(r.compression, 0);
		if (kx == NID_kx_ecdhe) {
			assert_int_equal(r.group, 0x001d);
			assert_int_equal(w.group, 0x001d);
			assert_int_equal(r.dh_bits, 0);
		} else if (kx == NID_kx_dhe) {
			assert_int_equal(r.group, 0);
			assert_int_equal(r.dh_bits, w.dh_bits);
			assert_true(r.dh_bits >= 1024);
			if (rsa && auth == NID_auth_rsa)
				assert_int_equal(r.dh_bits, 2048);   /* dh_auto sized to RSA-2048 */
		} else {
			assert_int_equal(r.group, 0);
			assert_int_equal(r.dh_bits, 0);
		}
		assert_string_equal(r.err, "");
		(*tested)++;
	}
	SSL_CTX_free(sctx);
}

static void test_tls12_one_suite_each(void **state)
{
	const struct fx *f = *state;
	int n_rsa = 0, n_ec = 0;

	one_suite_each(f, 1, TLS1_2_VERSION, &n_rsa);
	one_suite_each(f, 0, TLS1_2_VERSION, &n_ec);
	print_message("  TLS 1.2: %d suites with RSA, %d with ECDSA\n", n_rsa, n_ec);
	assert_true(n_rsa >= 50);
	assert_true(n_ec >= 25);
}

static void test_tls10_11_one_suite_each(void **state)
{
	const struct fx *f = *state;
	int n10 = 0, n11 = 0;

	one_suite_each(f, 1, TLS1_VERSION, &n10);
	one_suite_each(f, 0, TLS1_VERSION, &n10);
	one_suite_each(f, 1, TLS1_1_VERSION, &n11);
	print_message("  TLS 1.0: %d suites, TLS 1.1 (RSA): %d\n", n10, n11);
	assert_true(n10 >= 20);
	assert_true(n11 >= 12);
}

static void test_tls13_suites(void **state)
{
	const struct fx *f = *state;
	static const struct { uint16_t id; const char *name; } s13[] = {
		{ 0x1301, "TLS_AES_128_GCM_SHA256" }, { 0x1302, "TLS_AES_256_GCM_SHA384" },
		{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256" }, { 0x1304, "TLS_AES_128_CCM_SHA256" },
		{ 0x1305, "TLS_AES_128_CCM_8_SHA256" },
	};

	for (int rsa = 0; rsa < 2; rsa++) {
		struct srv_cfg c = { .rsa = rsa };
		SSL_CTX *sctx = server_ctx(f, &c);

		for (size_t i = 0; i < 5; i++) {
			struct hello_spec spec;
			struct server_reply r;
			struct evbuffer *ans;
			struct witness w = openssl_client(sctx, s13[i].name, TLS1_3_VERSION);

			spec_one(&spec, 0x0304, s13[i].id);
			ans = exchange(f, sctx, &spec);
			assert_int_equal(parse_buf(ans, 0, &r), 1);
			evbuffer_free(ans);
			assert_int_equal(r.kind, REPLY_HELLO);
			assert_int_equal(r.version, 0x0304);
			assert_int_equal(r.suite, s13[i].id);
			assert_int_equal(w.suite, s13[i].id);
			assert_int_equal(r.group, 0x001d);
			assert_int_equal(w.group, 0x001d);
			assert_int_equal(r.hrr, 0);
			assert_int_equal(r.complete, 1);
			assert_int_equal(r.n_certs, 0);   /* encrypted in TLS 1.3 */
		}
		SSL_CTX_free(sctx);
	}
}

/* ------------------------------------------------------------------ lists, preference */

static void test_lists_and_preference(void **state)
{
	const struct fx *f = *state;
	static const uint16_t offer[] = { 0x009c, 0xc030, 0x0033 };
	struct {
		struct srv_cfg srv;
		uint16_t want;
	} cases[] = {
		{ { .rsa = 1, .max_version = TLS1_2_VERSION }, 0x009c },
		{ { .rsa = 1, .max_version = TLS1_2_VERSION, .server_pref = 1,
		    .ciphers = "ECDHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-SHA:AES128-GCM-SHA256" }, 0xc030 },
		{ { .rsa = 1, .max_version = TLS1_2_VERSION, .server_pref = 1,
		    .ciphers = "DHE-RSA-AES128-SHA:AES128-GCM-SHA256:@SECLEVEL=0" }, 0x0033 },
		{ { .rsa = 1, .max_version = TLS1_2_VERSION, .ciphers = "AES128-SHA:DHE-RSA-AES128-SHA" }, 0x0033 },
	};
	struct hello_spec spec;
	struct server_reply r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hello_spec_default(&spec, 0x0303, SNI);
		memcpy(spec.suites, offer, sizeof(offer));
		spec.n_suites = 3;
		run(f, &cases[i].srv, &spec, &r);
		assert_int_equal(r.kind, REPLY_HELLO);
		assert_int_equal(r.suite, cases[i].want);
		assert_int_equal(r.dh_bits, cases[i].want == 0x0033 ? 2048 : 0);
		assert_int_equal(r.group, cases[i].want == 0xc030 ? 0x001d : 0);
	}

	/* The default TLS 1.2 offer (every registry suite) against a server with its own order. */
	{
		struct srv_cfg c = { .rsa = 1, .max_version = TLS1_2_VERSION, .server_pref = 1 };

		hello_spec_default(&spec, 0x0303, SNI);
		assert_true(spec.n_suites > 300);
		run(f, &c, &spec, &r);
		assert_int_equal(r.kind, REPLY_HELLO);
		assert_int_equal(r.suite, 0xc030);
		assert_int_equal(r.n_certs, 2);
		assert_int_equal(r.complete, 1);
	}

	/* A server that follows the client: the default offer gets it the strongest suite. */
	{
		struct srv_cfg c = { .max_version = TLS1_2_VERSION };

		hello_spec_default(&spec, 0x0303, SNI);
		run(f, &c, &spec, &r);
		assert_int_equal(r.suite, 0xc02c);
		assert_int_equal(r.group, 0x001d);
	}

	/* TLS 1.3: the client's order, unless the server imposes its own. */
	{
		struct srv_cfg c = { 0 }, p = { .server_pref = 1, .suites = "TLS_AES_128_GCM_SHA256:"
		                                "TLS_CHACHA20_POLY1305_SHA256" };

		hello_spec_default(&spec, 0x0304, SNI);
		spec.suites[0] = 0x1303;
		spec.suites[1] = 0x1301;
		spec.n_suites = 2;
		run(f, &c, &spec, &r);
		assert_int_equal(r.suite, 0x1303);
		run(f, &p, &spec, &r);
		assert_int_equal(r.suite, 0x1301);
	}
}

/* ------------------------------------------------------------------ groups, key shares, DH */

static void test_key_shares(void **state)
{
	const struct fx *f = *state;
	static const uint16_t groups[] = { 0x001d, 0x001e, 0x0017, 0x0018, 0x0019, 0x0100 };
	struct srv_cfg c = { 0 };
	struct hello_spec spec;
	struct server_reply r;

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		hello_spec_default(&spec, 0x0304, SNI);
		spec.groups[0] = groups[i];
		spec.n_groups = 1;
		spec.key_shares[0] = groups[i];
		run(f, &c, &spec, &r);
		if (r.kind != REPLY_HELLO)
			fail_msg("group 0x%04x: kind %d %s", groups[i], (int)r.kind, r.err);
		assert_int_equal(r.version, 0x0304);
		assert_int_equal(r.group, groups[i]);
		assert_int_equal(r.hrr, 0);
	}
	/* Several shares: the server takes the first group it supports. */
	{
		struct srv_cfg p384 = { .groups = "P-384:X25519" };

		hello_spec_default(&spec, 0x0304, SNI);
		spec.groups[0] = 0x0017;
		spec.groups[1] = 0x0018;
		spec.groups[2] = 0x001d;
		spec.n_groups = 3;
		spec.key_shares[0] = 0x0017;
		spec.key_shares[1] = 0x0018;
		spec.n_key_shares = 2;
		run(f, &p384, &spec, &r);
		assert_int_equal(r.group, 0x0018);
		assert_int_equal(r.hrr, 0);
	}
}

static void test_hello_retry_request(void **state)
{
	const struct fx *f = *state;
	struct {
		const char *server_groups;
		uint16_t want;
	} cases[] = { { "P-384", 0x0018 }, { "ffdhe3072", 0x0101 }, { "X448:P-521", 0x001e } };
	struct hello_spec spec;
	struct server_reply r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct srv_cfg c = { .groups = cases[i].server_groups };

		hello_spec_default(&spec, 0x0304, SNI);   /* x25519 share, ten groups */
		run(f, &c, &spec, &r);
		assert_int_equal(r.kind, REPLY_HELLO);
		assert_int_equal(r.hrr, 1);
		assert_int_equal(r.version, 0x0304);
		assert_int_equal(r.group, cases[i].want);
		assert_true(r.suite >= 0x1301 && r.suite <= 0x1305);
		assert_int_equal(r.complete, 1);
	}
	/* No group in common at all: refused. */
	{
		struct srv_cfg c = { .groups = "P-384", .min_version = TLS1_3_VERSION };

		hello_spec_default(&spec, 0x0304, SNI);
		spec.n_groups = 1;   /* x25519 only */
		run(f, &c, &spec, &r);
		assert_int_equal(r.kind, REPLY_ALERT);
		assert_int_equal(r.alert_desc, 40);
	}
}

static void test_tls12_groups_and_dh(void **state)
{
	const struct fx *f = *state;
	struct hello_spec spec;
	struct server_reply r;
	static const uint16_t curves[] = { 0x0017, 0x0018, 0x0019, 0x001e, 0x001d };

	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		struct srv_cfg c = { .rsa = 1, .max_version = TLS1_2_VERSION };

		spec_one(&spec, 0x0303, 0xc02f);
		spec.groups[0] = curves[i];
		spec.n_groups = 1;
		run(f, &c, &spec, &r);
		assert_int_equal(r.suite, 0xc02f);
		assert_int_equal(r.group, curves[i]);
	}
	/* The server takes the client's order of groups, unless it imposes its own. */
	for (int pref = 0; pref < 2; pref++) {
		struct srv_cfg c = { .rsa = 1, .max_version = TLS1_2_VERSION, .groups = "P-521:P-256",
		                     .server_pref = pref };

		spec_one(&spec, 0x0303, 0xc02f);
		run(f, &c, &spec, &r);
		assert_int_equal(r.group, pref ? 0x0019 : 0x0017);
	}
	static const struct { const char *dh; int bits; } dh[] = {
		{ "dh_1024_160", 1024 }, { "modp_1536", 1536 }, { "ffdhe2048", 2048 }, { "ffdhe4096", 4096 },
	};
	for (size_t i = 0; i < sizeof(dh) / sizeof(dh[0]); i++) {
		struct srv_cfg c = { .rsa = 1, .max_version = TLS1_2_VERSION, .dh = dh[i].dh };
		SSL_CTX *sctx = server_ctx(f, &c);
		struct witness w = openssl_client(sctx, "DHE-RSA-AES128-GCM-SHA256", TLS1_2_VERSION);
		struct evbuffer *ans;

		spec_one(&spec, 0x0303, 0x009e);
		ans = exchange(f, sctx, &spec);
		assert_int_equal(parse_buf(ans, 0, &r), 1);
		assert_int_equal(r.suite, 0x009e);
		assert_int_equal(r.dh_bits, dh[i].bits);
		assert_int_equal(w.dh_bits, dh[i].bits);
		assert_int_equal(r.group, 0);
		evbuffer_free(ans);
		SSL_CTX_free(sctx);
	}
}

/* ------------------------------------------------------------------ extensions */

struct ext_case {
	const char *name;
	struct srv_cfg srv;
	uint16_t version, suite;          /* suite 0: the default offer */
	void (*tweak)(struct hello_spec *);
	unsigned reneg, ticket, status, sct, hb, ems, etm, cert_status;
	const char *alpn;
};

static void no_alpn(struct hello_spec *s) { s->alpn = NULL; }
static void no_status(struct hello_spec *s) { s->status_request = 0; }
static void no_sct(struct hello_spec *s) { s->sct = 0; }
static void no_ticket(struct hello_spec *s) { s->session_ticket = 0; }
static void no_ems_etm(struct hello_spec *s) { s->ems = 0; s->etm = 0; }
static void no_reneg(struct hello_spec *s) { s->scsv_reneg = 0; s->reneg_ext = 0; }
static void reneg_ext(struct hello_spec *s) { s->scsv_reneg = 0; s->reneg_ext = 1; }
static void deflate(struct hello_spec *s) { s->compression = 1; }
static void no_exts(struct hello_spec *s) { s->no_extensions = 1; }

static const struct ext_case ext_cases[] = {
	{ "1.2 CBC, defaults", { .rsa = 1, .max_version = TLS1_2_VERSION }, 0x0303, 0xc013, NULL,
	  1, 1, 0, 0, 0, 1, 1, 0, "" },
	{ "1.2 GCM: no ETM", { .rsa = 1, .max_version = TLS1_2_VERSION }, 0x0303, 0xc02f, NULL,
	  1, 1, 0, 0, 0, 1, 0, 0, "" },
	{ "1.2 stapling, ALPN, SCT", { .rsa = 1, .max_version = TLS1_2_VERSION, .staple = 1, .alpn_h2 = 1,
	  .sct = 1 }, 0x0303, 0xc02f, NULL, 1, 1, 1, 1, 0, 1, 0, 1, "h2" },
	{ "1.2 stapling not asked", { .rsa = 1, .max_version = TLS1_2_VERSION, .staple = 1 }, 0x0303, 0xc02f,
	  no_status, 1, 1, 0, 0, 0, 1, 0, 0, "" },
	{ "1.2 ALPN not offered", { .rsa = 1, .max_version = TLS1_2_VERSION, .alpn_h2 = 1 }, 0x0303, 0xc02f,
	  no_alpn, 1, 1, 0, 0, 0, 1, 0, 0, "" },
	{ "1.2 SCT not asked", { .rsa = 1, .max_version = TLS1_2_VERSION, .sct = 1 }, 0x0303, 0xc02f,
	  no_sct, 1, 1, 0, 0, 0, 1, 0, 0, "" },
	{ "1.2 server without tickets", { .rsa = 1, .max_version = TLS1_2_VERSION, .no_ticket = 1 }, 0x0303,
	  0xc02f, NULL, 1, 0, 0, 0, 0, 1, 0, 0, "" },
	{ "1.2 tickets not offered", { .rsa = 1, .max_version = TLS1_2_VERSION }, 0x0303, 0xc02f, no_ticket,
	  1, 0, 0, 0, 0, 1, 0, 0, "" },
	{ "1.2 no EMS, no ETM", { .rsa = 1, .max_version = TLS1_2_VERSION }, 0x0303, 0xc013, no_ems_etm,
	  1, 1, 0, 0, 0, 0, 0, 0, "" },
	{ "1.2 no renegotiation signal", { .rsa = 1, .max_version = TLS1_2_VERSION }, 0x0303, 0xc02f,
	  no_reneg, 0, 1, 0, 0, 0, 1, 0, 0, "" },
	{ "1.2 renegotiation_info extension", { .rsa = 1, .max_version = TLS1_2_VERSION }, 0x0303, 0xc02f,
	  reneg_ext, 1, 1, 0, 0, 0, 1, 0, 0, "" },
	{ "1.2 DEFLATE offered", { .rsa = 1, .max_version = TLS1_2_VERSION }, 0x0303, 0xc02f, deflate,
	  1, 1, 0, 0, 0, 1, 0, 0, "" },
	{ "1.2 no extensions at all", { .rsa = 1, .max_version = TLS1_2_VERSION, .staple = 1 }, 0x0303,
	  0x009c, no_exts, 1, 0, 0, 0, 0, 0, 0, 0, "" },
	{ "1.1 CBC", { .rsa = 1, .max_version = TLS1_1_VERSION, .staple = 1, .alpn_h2 = 1 }, 0x0302, 0xc014,
	  NULL, 1, 1, 1, 0, 0, 1, 1, 1, "h2" },
	{ "1.0 CBC", { .max_version = TLS1_VERSION }, 0x0301, 0xc009, NULL, 1, 1, 0, 0, 0, 1, 1, 0, "" },
	{ "1.3 (extensions are encrypted)", { .staple = 1, .alpn_h2 = 1, .sct = 1 }, 0x0304, 0, NULL,
	  0, 0, 0, 0, 0, 0, 0, 0, "" },
};

static void test_extensions(void **state)
{
	const struct fx *f = *state;

	for (size_t i = 0; i < sizeof(ext_cases) / sizeof(ext_cases[0]); i++) {
		const struct ext_case *k = &ext_cases[i];
		struct hello_spec spec;
		struct server_reply r;

		hello_spec_default(&spec, k->version, SNI);
		if (k->suite != 0) {
			spec.suites[0] = k->suite;
			spec.n_suites = 1;
		}
		assert_int_equal(spec.heartbeat, 1);
		if (k->tweak != NULL)
			k->tweak(&spec);
		run(f, &k->srv, &spec, &r);
		print_message("  %-36s reneg %u ticket %u status %u/%u sct %u hb %u ems %u etm %u alpn '%s'\n",
		              k->name, r.ext_reneg, r.ext_ticket, r.ext_status, r.cert_status, r.ext_sct,
		              r.ext_heartbeat, r.ext_ems, r.ext_etm, r.alpn);
		if (r.kind != REPLY_HELLO)
			fail_msg("%s: kind %d %s", k->name, (int)r.kind, r.err);
		assert_int_equal(r.version, k->version);
		if (k->suite != 0)
			assert_int_equal(r.suite, k->suite);
		assert_int_equal(r.complete, 1);
		assert_int_equal(r.ext_reneg, k->reneg);
		assert_int_equal(r.ext_ticket, k->ticket);
		assert_int_equal(r.ext_status, k->status);
		assert_int_equal(r.ext_sct, k->sct);
		assert_int_equal(r.ext_heartbeat, k->hb);   /* OpenSSL 3 dropped heartbeats */
		assert_int_equal(r.ext_ems, k->ems);
		assert_int_equal(r.ext_etm, k->etm);
		assert_int_equal(r.cert_status, k->cert_status);
		assert_int_equal(r.compression, 0);
		assert_string_equal(r.alpn, k->alpn);
	}
}

/* ------------------------------------------------------------------ PSK and hand-made ServerKeyExchanges */

static unsigned int psk_cb(SSL *ssl, const char *identity, unsigned char *psk, unsigned int max_psk_len)
{
	(void)ssl;
	(void)identity;
	if (max_psk_len < 16)
		return 0;
	memset(psk, 0x42, 16);
	return 16;
}

/* The PSK suites put an identity hint before the key exchange parameters (RFC 4279, 5489). */
static void test_psk_suites(void **state)
{
	const struct fx *f = *state;
	static const struct { uint16_t id; int rsa; uint16_t group; int dh; } cases[] = {
		{ 0x008c, 0, 0, 0 },            /* PSK-AES128-CBC-SHA: the hint alone */
		{ 0x0090, 0, 0, 2048 },         /* DHE-PSK-AES128-CBC-SHA */
		{ 0x00aa, 0, 0, 2048 },         /* DHE-PSK-AES128-GCM-SHA256 */
		{ 0xc035, 0, 0x001d, 0 },       /* ECDHE-PSK-AES128-CBC-SHA */
		{ 0xccac, 0, 0x001d, 0 },       /* ECDHE-PSK-CHACHA20-POLY1305 */
		{ 0x0094, 1, 0, 0 },            /* RSA-PSK-AES128-CBC-SHA: certificate, hint */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct srv_cfg c = { .rsa = cases[i].rsa, .max_version = TLS1_2_VERSION, .dh = "ffdhe2048" };
		SSL_CTX *sctx = server_ctx(f, &c);
		struct hello_spec spec;
		struct server_reply r;
		struct evbuffer *ans;

		SSL_CTX_set_psk_server_callback(sctx, psk_cb);
		assert_int_equal(SSL_CTX_use_psk_identity_hint(sctx, "certsweep test hint"), 1);
		spec_one(&spec, 0x0303, cases[i].id);
		ans = exchange(f, sctx, &spec);
		assert_int_equal(parse_buf(ans, 0, &r), 1);
		if (r.kind != REPLY_HELLO)
			fail_msg("0x%04x: kind %d %s", cases[i].id, (int)r.kind, r.err);
		assert_int_equal(r.suite, cases[i].id);
		assert_int_equal(r.complete, 1);
		assert_int_equal(r.group, cases[i].group);
		assert_int_equal(r.dh_bits, cases[i].dh);
		assert_int_equal(r.n_certs, cases[i].rsa ? 2 : 0);
		evbuffer_free(ans);
		SSL_CTX_free(sctx);
	}
}

/* A TLS 1.2 flight: ServerHello choosing `suite`, a ServerKeyExchange with `ske`, ServerHelloDone. */
static struct evbuffer *flight12(uint16_t suite, const unsigned char *ske, size_t ske_len)
{
	struct evbuffer *b = evbuffer_new(), *hs = evbuffer_new();
	unsigned char sh[4 + 2 + 32 + 1 + 2 + 1] = { 2, 0, 0, 38, 3, 3 };
	unsigned char h[4] = { 12, 0, (unsigned char)(ske_len >> 8), (unsigned char)ske_len };

	assert_non_null(b);
	assert_non_null(hs);
	sh[4 + 2 + 32 + 1] = (unsigned char)(suite >> 8);
	sh[4 + 2 + 32 + 2] = (unsigned char)suite;
	assert_int_equal(evbuffer_add(hs, sh, sizeof(sh)), 0);
	assert_int_equal(evbuffer_add(hs, h, 4), 0);
	assert_int_equal(evbuffer_add(hs, ske, ske_len), 0);
	assert_int_equal(evbuffer_add(hs, "\x0e\x00\x00\x00", 4), 0);
	add_record(b, 22, 0x0303, evbuffer_pullup(hs, -1), evbuffer_get_length(hs));
	evbuffer_free(hs);
	return b;
}

static void test_server_key_exchange(void **state)
{
	unsigned char ske[2 + 130 + 2 + 1 + 2 + 1];
	struct server_reply r;
	struct evbuffer *b;

	(void)state;
	/* DHE: p with two leading zero bytes, then 128 bytes: 1024 bits, or 1023 with 0x7f on top. */
	memset(ske, 0, sizeof(ske));
	ske[0] = 0;
	ske[1] = 130;
	ske[4] = 0x80;
	ske[132] = 0;
	ske[133] = 1;
	ske[134] = 2;         /* g = 2 */
	ske[135] = 0;
	ske[136] = 1;
	ske[137] = 5;         /* Ys */
	b = flight12(0x0033, ske, 138);
	assert_int_equal(parse_buf(b, 0, &r), 1);
	assert_int_equal(r.kind, REPLY_HELLO);
	assert_int_equal(r.complete, 1);
	assert_int_equal(r.dh_bits, 1024);
	evbuffer_free(b);
	ske[4] = 0x7f;
	b = flight12(0x0033, ske, 138);
	assert_int_equal(parse_buf(b, 0, &r), 1);
	assert_int_equal(r.dh_bits, 1023);
	evbuffer_free(b);
	/* A prime of zeros, a prime longer than the message: MALFORMED. */
	ske[4] = 0;
	b = flight12(0x0033, ske, 138);
	assert_int_equal(parse_buf(b, 0, &r), 1);
	assert_int_equal(r.kind, REPLY_MALFORMED);
	evbuffer_free(b);
	b = flight12(0x0033, (const unsigned char *)"\x01\x00\x80", 3);
	assert_int_equal(parse_buf(b, 0, &r), 1);
	assert_int_equal(r.kind, REPLY_MALFORMED);
	assert_string_equal(r.err, "malformed ServerKeyExchange");
	evbuffer_free(b);
	/* ECDHE: named curve; explicit prime and char2 curves; an unknown curve type. */
	b = flight12(0xc02f, (const unsigned char *)"\x03\x00\x1e\x01\x04", 5);
	assert_int_equal(parse_buf(b, 0, &r), 1);
	assert_int_equal(r.group, 0x001e);
	evbuffer_free(b);
	b = flight12(0xc02f, (const unsigned char *)"\x01\x00\x00", 3);
	assert_int_equal(parse_buf(b, 0, &r), 1);
	assert_int_equal(r.group, 0xff01);
	evbuffer_free(b);
	b = flight12(0xc013, (const unsigned char *)"\x02\x00\x00", 3);
	assert_int_equal(parse_buf(b, 0, &r), 1);
	assert_int_equal(r.group, 0xff02);
	evbuffer_free(b);
	b = flight12(0xc02f, (const unsigned char *)"\x07\x00\x17", 3);
	assert_int_equal(parse_buf(b, 0, &r), 1);
	assert_int_equal(r.kind, REPLY_MALFORMED);
	assert_string_equal(r.err, "ServerKeyExchange curve type 7");
	evbuffer_free(b);
	/* ECDHE_PSK: the hint comes first; a hint longer than the message is MALFORMED. */
	b = flight12(0xc035, (const unsigned char *)"\x00\x02hi\x03\x00\x18\x01\x04", 9);
	assert_int_equal(parse_buf(b, 0, &r), 1);
	assert_int_equal(r.group, 0x0018);
	evbuffer_free(b);
	b = flight12(0xc035, (const unsigned char *)"\x00\x09hi\x03\x00\x18", 7);
	assert_int_equal(parse_buf(b, 0, &r), 1);
	assert_int_equal(r.kind, REPLY_MALFORMED);
	evbuffer_free(b);
	/* RSA export, SRP and unknown suites: the ServerKeyExchange is skipped, the flight completes. */
	b = flight12(0x0003, (const unsigned char *)"\x00\x01\xc3\x00\x01\x03", 6);
	assert_int_equal(parse_buf(b, 0, &r), 1);
	assert_int_equal(r.kind, REPLY_HELLO);
	assert_int_equal(r.complete, 1);
	assert_int_equal(r.group, 0);
	assert_int_equal(r.dh_bits, 0);
	evbuffer_free(b);
	b = flight12(0x1234, (const unsigned char *)"\xff", 1);
	assert_int_equal(parse_buf(b, 0, &r), 1);
	assert_int_equal(r.suite, 0x1234);
	assert_int_equal(r.complete, 1);
	evbuffer_free(b);
}

/* ------------------------------------------------------------------ refusals */

static void test_alerts(void **state)
{
	const struct fx *f = *state;
	struct hello_spec spec;
	struct server_reply r;

	/* No suite in common. */
	{
		struct srv_cfg c = { .rsa = 1, .max_version = TLS1_2_VERSION };

		spec_one(&spec, 0x0303, 0xc02b);   /* ECDHE-ECDSA to an RSA server */
		run(f, &c, &spec, &r);
		assert_int_equal(r.kind, REPLY_ALERT);
		assert_int_equal(r.alert_level, 2);
		assert_int_equal(r.alert_desc, 40);
		assert_string_equal(r.err, "alert 40 handshake_failure");
		spec_one(&spec, 0x0303, 0x0005);   /* RC4: this OpenSSL has none */
		run(f, &c, &spec, &r);
		assert_int_equal(r.kind, REPLY_ALERT);
		assert_int_equal(r.alert_desc, 40);
	}
	/* A TLS 1.3-only server and a TLS 1.2 hello; TLS 1.2-only server and a 1.3-only hello. */
	{
		struct srv_cfg c13 = { .min_version = TLS1_3_VERSION }, c12 = { .max_version = TLS1_2_VERSION };

		hello_spec_default(&spec, 0x0303, SNI);
		run(f, &c13, &spec, &r);
		assert_int_equal(r.kind, REPLY_ALERT);
		assert_int_equal(r.alert_desc, 70);
		assert_string_equal(r.err, "alert 70 protocol_version");
		hello_spec_default(&spec, 0x0304, SNI);
		run(f, &c12, &spec, &r);
		assert_int_equal(r.kind, REPLY_ALERT);
		assert_int_equal(r.alert_desc, 70);
		/* ... but down to 1.2 in supported_versions, with 1.2 suites too: TLS 1.2. */
		spec.min_version = 0x0303;
		spec.suites[spec.n_suites++] = 0xc02b;
		run(f, &c12, &spec, &r);
		assert_int_equal(r.kind, REPLY_HELLO);
		assert_int_equal(r.version, 0x0303);
		assert_int_equal(r.suite, 0xc02b);
		assert_int_equal(r.complete, 1);
	}
	/* SSLv3: this OpenSSL reads the hello, finds the version too low and says so with a
	 * handshake_failure alert in an SSL 3.0 record. */
	{
		struct srv_cfg c = { .rsa = 1 };

		hello_spec_default(&spec, 0x0300, NULL);
		run(f, &c, &spec, &r);
		assert_int_equal(r.kind, REPLY_ALERT);
		assert_int_equal(r.alert_desc, 40);
		assert_int_equal(r.version, 0x0300);
	}
	/* TLS_FALLBACK_SCSV in a TLS 1.1 hello to a TLS 1.3 server: inappropriate_fallback. */
	{
		struct srv_cfg c = { .rsa = 1 };

		hello_spec_default(&spec, 0x0302, SNI);
		run(f, &c, &spec, &r);
		assert_int_equal(r.kind, REPLY_HELLO);
		assert_int_equal(r.version, 0x0302);
		spec.scsv_fallback = 1;
		run(f, &c, &spec, &r);
		assert_int_equal(r.kind, REPLY_ALERT);
		assert_int_equal(r.alert_desc, 86);
		assert_string_equal(r.err, "alert 86 inappropriate_fallback");
	}
}

/* ------------------------------------------------------------------ hello bytes */

static size_t build(const struct fx *f, const struct hello_spec *spec, unsigned char *buf, size_t cap)
{
	struct evbuffer *out = evbuffer_new();
	char err[160] = "";
	size_t n;

	assert_non_null(out);
	if (probe_hello_build(f->keys, spec, out, err, sizeof(err)) != 0)
		fail_msg("probe_hello_build: %s", err);
	n = evbuffer_get_length(out);
	assert_true(n <= cap);
	assert_int_equal(evbuffer_remove(out, buf, n), (int)n);
	evbuffer_free(out);
	return n;
}

/*
 * SSLv2 CLIENT-HELLO (draft-hickman-netscape-ssl-00, "Client Only Protocol Messages"):
 *   80 2e              2-byte record header, high bit set, length 46
 *   01                 CLIENT-HELLO
 *   00 02              CLIENT-VERSION: SSL 2.0
 *   00 15              CIPHER-SPECS-LENGTH 21 (7 kinds of 3 bytes)
 *   00 00              SESSION-ID-LENGTH 0
 *   00 10              CHALLENGE-LENGTH 16
 *   01 00 80 ... 07 00 c0   the kinds, in the spec's order
 *   16 random bytes    CHALLENGE-DATA
 */
static void test_ssl2_hello_bytes(void **state)
{
	const struct fx *f = *state;
	static const unsigned char golden[] = {
		0x80, 0x2e, 0x01, 0x00, 0x02, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10,
		0x01, 0x00, 0x80, 0x02, 0x00, 0x80, 0x03, 0x00, 0x80, 0x04, 0x00, 0x80,
		0x05, 0x00, 0x80, 0x06, 0x00, 0x40, 0x07, 0x00, 0xc0,
	};
	struct hello_spec spec;
	unsigned char a[128], b[128];
	size_t n, m;

	hello_spec_default(&spec, 0x0002, SNI);
	assert_int_equal(spec.n_ssl2, 7);
	assert_int_equal(spec.n_suites, 0);
	n = build(f, &spec, a, sizeof(a));
	assert_int_equal(n, sizeof(golden) + 16);
	assert_memory_equal(a, golden, sizeof(golden));
	m = build(f, &spec, b, sizeof(b));
	assert_int_equal(m, n);
	assert_memory_not_equal(a + sizeof(golden), b + sizeof(golden), 16);   /* fresh challenge */

	spec.ssl2_kinds[0] = 0x0700c0;
	spec.n_ssl2 = 1;
	n = build(f, &spec, a, sizeof(a));
	assert_int_equal(n, 2 + 9 + 3 + 16);
	assert_memory_equal(a, "\x80\x1c\x01\x00\x02\x00\x03\x00\x00\x00\x10\x07\x00\xc0", 14);
}

/*
 * SSLv3 ClientHello (RFC 6101 5.2.1 and 5.6.1.2), no extension block:
 *   16 03 00 00 35     handshake record, SSL 3.0, 53 bytes
 *   01 00 00 31        client_hello, 49 bytes
 *   03 00              client_version
 *   32 random bytes    (gmt_unix_time + random_bytes)
 *   00                 session_id: empty
 *   00 0a              cipher_suites: 10 bytes
 *   00 0a 00 05 00 04 00 09   DES-CBC3-SHA, RC4-SHA, RC4-MD5, DES-CBC-SHA
 *   00 ff              TLS_EMPTY_RENEGOTIATION_INFO_SCSV
 *   01 00              compression_methods: null
 */
static void test_ssl3_hello_bytes(void **state)
{
	const struct fx *f = *state;
	static const unsigned char head[] = { 0x16, 0x03, 0x00, 0x00, 0x35, 0x01, 0x00, 0x00, 0x31, 0x03, 0x00 };
	static const unsigned char tail[] = { 0x00, 0x00, 0x0a, 0x00, 0x0a, 0x00, 0x05, 0x00, 0x04, 0x00, 0x09,
	                                      0x00, 0xff, 0x01, 0x00 };
	static const uint16_t suites[] = { 0x000a, 0x0005, 0x0004, 0x0009 };
	struct hello_spec spec;
	unsigned char a[256];
	size_t n;

	hello_spec_default(&spec, 0x0300, SNI);
	assert_int_equal(spec.no_extensions, 1);
	assert_int_equal(spec.scsv_reneg, 1);
	memcpy(spec.suites, suites, sizeof(suites));
	spec.n_suites = 4;
	n = build(f, &spec, a, sizeof(a));
	assert_int_equal(n, sizeof(head) + 32 + sizeof(tail));
	assert_memory_equal(a, head, sizeof(head));
	assert_memory_equal(a + sizeof(head) + 32, tail, sizeof(tail));

	/* With DEFLATE and the fallback SCSV: 2 more suite bytes, 1 more compression byte. */
	spec.compression = 1;
	spec.scsv_fallback = 1;
	n = build(f, &spec, a, sizeof(a));
	assert_int_equal(n, sizeof(head) + 32 + sizeof(tail) + 3);
	assert_memory_equal(a, "\x16\x03\x00\x00\x38\x01\x00\x00\x34\x03\x00", 11);
	assert_memory_equal(a + 11 + 32, "\x00\x00\x0c\x00\x0a\x00\x05\x00\x04\x00\x09\x00\xff\x56\x00"
	                    "\x02\x01\x00", 18);
}

/* A decoded ClientHello: every field located, every length checked. */
struct dec {
	uint16_t rec_version, version;
	size_t msg_len;
	size_t sid_len;
	uint16_t suites[600];
	size_t n_suites;
	unsigned char comp[4];
	size_t n_comp;
	int has_exts;
	struct { uint16_t type; const unsigned char *p; size_t n; } ext[32];
	size_t n_ext;
};

static unsigned get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void decode(const unsigned char *b, size_t n, struct dec *d)
{
	size_t off, len, end;

	memset(d, 0, sizeof(*d));
	assert_true(n >= 9);
	assert_int_equal(b[0], 22);
	d->rec_version = (uint16_t)get16(b + 1);
	assert_int_equal(get16(b + 3), n - 5);
	assert_int_equal(b[5], 1);
	d->msg_len = (size_t)b[6] << 16 | get16(b + 7);
	assert_int_equal(d->msg_len, n - 9);
	d->version = (uint16_t)get16(b + 9);
	off = 11 + 32;
	d->sid_len = b[off++];
	off += d->sid_len;
	len = get16(b + off);
	off += 2;
	assert_true(len % 2 == 0 && off + len <= n);
	for (size_t i = 0; i < len; i += 2)
		d->suites[d->n_suites++] = (uint16_t)get16(b + off + i);
	off += len;
	d->n_comp = b[off++];
	memcpy(d->comp, b + off, d->n_comp);
	off += d->n_comp;
	if (off == n)
		return;
	d->has_exts = 1;
	len = get16(b + off);
	off += 2;
	assert_int_equal(off + len, n);
	end = n;
	while (off < end) {
		assert_true(d->n_ext < 32);
		d->ext[d->n_ext].type = (uint16_t)get16(b + off);
		d->ext[d->n_ext].n = get16(b + off + 2);
		d->ext[d->n_ext].p = b + off + 4;
		off += 4 + d->ext[d->n_ext].n;
		assert_true(off <= end);
		d->n_ext++;
	}
}

static const unsigned char *find_ext(const struct dec *d, uint16_t type, size_t *n)
{
	for (size_t i = 0; i < d->n_ext; i++)
		if (d->ext[i].type == type) {
			*n = d->ext[i].n;
			return d->ext[i].p;
		}
	return NULL;
}

/* The extension's body; the case fails when it is missing. */
static const unsigned char *must_ext(const struct dec *d, uint16_t type, size_t *n)
{
	const unsigned char *p = find_ext(d, type, n);
	static const unsigned char none[1];

	if (p == NULL) {
		fail_msg("extension %u missing", type);
		*n = 0;
		return none;
	}
	return p;
}

static void test_tls_hello_layout(void **state)
{
	const struct fx *f = *state;
	static unsigned char buf[8192];
	struct hello_spec spec;
	struct dec d;
	const unsigned char *e;
	size_t n, el;

	/* TLS 1.3, every key share we hold, supported_versions down to 1.0. */
	hello_spec_default(&spec, 0x0304, SNI);
	spec.min_version = 0x0301;
	spec.key_shares[0] = 0x001d;
	spec.key_shares[1] = 0x001e;
	spec.key_shares[2] = 0x0017;
	spec.key_shares[3] = 0x0100;
	spec.n_key_shares = 4;
	n = build(f, &spec, buf, sizeof(buf));
	decode(buf, n, &d);
	assert_int_equal(d.rec_version, 0x0301);
	assert_int_equal(d.version, 0x0303);
	assert_int_equal(d.sid_len, 32);
	assert_int_equal(d.n_suites, 6);
	assert_int_equal(d.suites[0], 0x1302);
	assert_int_equal(d.suites[5], 0x00ff);
	assert_int_equal(d.n_comp, 1);
	e = must_ext(&d, 43, &el);
	assert_non_null(e);
	assert_int_equal(el, 9);
	assert_memory_equal(e, "\x08\x03\x04\x03\x03\x03\x02\x03\x01", 9);
	e = must_ext(&d, 51, &el);
	assert_non_null(e);
	assert_int_equal(get16(e), el - 2);
	assert_int_equal(el, 2 + (4 + 32) + (4 + 56) + (4 + 65) + (4 + 256));
	assert_memory_equal(e + 2, "\x00\x1d\x00\x20", 4);
	assert_memory_equal(e + 2 + 36, "\x00\x1e\x00\x38", 4);
	assert_memory_equal(e + 2 + 36 + 60, "\x00\x17\x00\x41\x04", 5);
	assert_memory_equal(e + 2 + 36 + 60 + 69, "\x01\x00\x01\x00", 4);
	e = must_ext(&d, 0, &el);   /* server_name */
	assert_int_equal(el, 5 + strlen(SNI));
	assert_memory_equal(e, "\x00\x13\x00\x00\x10" SNI, el);
	e = must_ext(&d, 16, &el);  /* ALPN */
	assert_int_equal(el, 2 + 3 + 9);
	assert_memory_equal(e, "\x00\x0c\x02h2\x08http/1.1", el);
	assert_non_null(must_ext(&d, 10, &el));
	assert_int_equal(el, 2 + 2 * 10);
	assert_non_null(must_ext(&d, 13, &el));     /* signature_algorithms */
	assert_non_null(must_ext(&d, 45, &el));     /* psk_key_exchange_modes */
	assert_memory_equal(must_ext(&d, 15, &el), "\x01", 1);
	assert_int_equal(el, 1);
	assert_memory_equal(must_ext(&d, 5, &el), "\x01\x00\x00\x00\x00", 5);
	assert_non_null(must_ext(&d, 18, &el));
	assert_int_equal(el, 0);
	assert_non_null(must_ext(&d, 22, &el));
	assert_non_null(must_ext(&d, 23, &el));
	assert_non_null(must_ext(&d, 35, &el));
	assert_null(find_ext(&d, 0xff01, &el));     /* the SCSV signals it */

	/* Each flag off removes its extension; the fallback SCSV and DEFLATE show up. */
	hello_spec_default(&spec, 0x0303, SNI);
	spec.n_suites = 2;
	spec.sni = NULL;
	spec.alpn = NULL;
	spec.heartbeat = spec.status_request = spec.sct = spec.session_ticket = spec.ems = spec.etm = 0;
	spec.scsv_fallback = 1;
	spec.compression = 1;
	spec.reneg_ext = 1;
	spec.n_groups = 0;
	n = build(f, &spec, buf, sizeof(buf));
	decode(buf, n, &d);
	assert_int_equal(d.sid_len, 0);
	assert_int_equal(d.n_suites, 4);
	assert_int_equal(d.suites[2], 0x00ff);
	assert_int_equal(d.suites[3], 0x5600);
	assert_int_equal(d.n_comp, 2);
	assert_memory_equal(d.comp, "\x01\x00", 2);
	assert_int_equal(d.n_ext, 2);               /* renegotiation_info, signature_algorithms */
	assert_int_equal(d.ext[0].type, 0xff01);
	assert_memory_equal(d.ext[0].p, "\x00", 1);
	assert_int_equal(d.ext[1].type, 13);
	assert_int_equal(d.ext[1].n, 2 + 2 * 23);

	/* TLS 1.0: no signature_algorithms; SSLv3 with extensions: record version 3.0. */
	hello_spec_default(&spec, 0x0301, SNI);
	n = build(f, &spec, buf, sizeof(buf));
	decode(buf, n, &d);
	assert_int_equal(d.version, 0x0301);
	assert_null(find_ext(&d, 13, &el));
	assert_int_equal(d.n_suites, 158 + 1);   /* every suite TLS 1.0 can use, and the SCSV */
	hello_spec_default(&spec, 0x0300, NULL);
	spec.no_extensions = 0;
	spec.n_suites = 3;
	n = build(f, &spec, buf, sizeof(buf));
	decode(buf, n, &d);
	assert_int_equal(d.rec_version, 0x0300);
	assert_int_equal(d.version, 0x0300);
	assert_true(d.has_exts);
}

/* RFC 7685 / F5: no ClientHello message of 256..511 bytes leaves the builder. */
static void test_padding(void **state)
{
	const struct fx *f = *state;
	static unsigned char buf[8192];
	int padded = 0, unpadded = 0;

	for (size_t ns = 1; ns <= 260; ns++) {
		for (int sni = 0; sni < 2; sni++) {
			struct hello_spec spec;
			struct dec d;
			const unsigned char *pad;
			size_t n, el;

			hello_spec_default(&spec, ns % 3 ? 0x0303 : 0x0304, sni ? SNI : NULL);
			for (size_t i = 0; i < ns; i++)
				spec.suites[i] = (uint16_t)(0xc000 + i);
			spec.n_suites = ns;
			n = build(f, &spec, buf, sizeof(buf));
			decode(buf, n, &d);
			assert_true(d.msg_len + 4 < 256 || d.msg_len + 4 >= 512);
			pad = find_ext(&d, 21, &el);
			if (pad != NULL) {
				padded++;
				assert_int_equal(d.ext[d.n_ext - 1].type, 21);   /* last */
				assert_true(el >= 1);
				for (size_t i = 0; i < el; i++)
					assert_int_equal(pad[i], 0);
				/* Without the padding the message was in the F5 range. */
				assert_true(d.msg_len + 4 - (4 + el) >= 256 && d.msg_len + 4 - (4 + el) < 512);
				if (el > 1)
					assert_int_equal(d.msg_len + 4, 512);
			} else {
				unpadded++;
			}
		}
	}
	assert_true(padded > 50);
	assert_true(unpadded > 50);
}

static void test_hello_errors(void **state)
{
	const struct fx *f = *state;
	struct evbuffer *out = evbuffer_new();
	struct hello_spec spec;
	char err[160];
	char longname[300];

	assert_non_null(out);
#define REFUSED(k, sub)                                                                 \
	do {                                                                            \
		err[0] = '\0';                                                          \
		assert_int_equal(probe_hello_build((k), &spec, out, err, sizeof(err)), -1); \
		assert_non_null(strstr(err, (sub)));                                    \
		assert_int_equal(evbuffer_get_length(out), 0);                          \
	} while (0)

	hello_spec_default(&spec, 0x0304, SNI);
	spec.key_shares[0] = 0x0018;           /* not among the groups */
	spec.n_groups = 1;
	REFUSED(f->keys, "not among the groups");
	hello_spec_default(&spec, 0x0304, SNI);
	spec.key_shares[0] = 0x0101;           /* ffdhe3072: no key */
	REFUSED(f->keys, "no key");
	hello_spec_default(&spec, 0x0304, SNI);
	REFUSED(NULL, "no key");
	hello_spec_default(&spec, 0x0303, SNI);
	spec.version = 0x0305;
	REFUSED(f->keys, "cannot be offered");
	spec.version = 0x0200;
	REFUSED(f->keys, "cannot be offered");
	hello_spec_default(&spec, 0x0303, SNI);
	spec.sni = "127.0.0.1";
	REFUSED(f->keys, "server_name");
	spec.sni = "::1";
	REFUSED(f->keys, "server_name");
	spec.sni = "a b.test";
	REFUSED(f->keys, "server_name");
	memset(longname, 'a', sizeof(longname));
	longname[256] = '\0';
	spec.sni = longname;
	REFUSED(f->keys, "server_name");
	longname[255] = '\0';                  /* 255 bytes: the longest allowed */
	assert_int_equal(probe_hello_build(f->keys, &spec, out, err, sizeof(err)), 0);
	evbuffer_drain(out, evbuffer_get_length(out));
	hello_spec_default(&spec, 0x0303, SNI);
	spec.alpn = "h2,,http/1.1";
	REFUSED(f->keys, "ALPN");
	spec.alpn = "";
	REFUSED(f->keys, "ALPN");
	hello_spec_default(&spec, 0x0303, SNI);
	spec.n_suites = HELLO_MAX_SUITES + 1;
	REFUSED(f->keys, "out of range");
	spec.n_suites = 0;
	spec.scsv_reneg = 0;
	REFUSED(f->keys, "without cipher suites");
	hello_spec_default(&spec, 0x0002, NULL);
	spec.n_ssl2 = 0;
	REFUSED(f->keys, "without cipher kinds");
	spec.n_ssl2 = 17;
	REFUSED(f->keys, "out of range");
	/* A TLS <= 1.2 hello needs no keys; the largest hello fits. */
	hello_spec_default(&spec, 0x0303, longname);
	spec.n_suites = HELLO_MAX_SUITES;
	assert_int_equal(probe_hello_build(NULL, &spec, out, err, sizeof(err)), 0);
	assert_true(evbuffer_get_length(out) > 1024 + 255);
	evbuffer_free(out);
#undef REFUSED
}

static void test_spec_default(void **state)
{
	struct hello_spec s;

	(void)state;
	hello_spec_default(&s, 0x0304, "127.0.0.1");
	assert_null(s.sni);                    /* IP literals are never a server_name */
	assert_int_equal(s.min_version, 0x0304);
	assert_int_equal(s.n_suites, 5);
	assert_int_equal(s.n_groups, 10);
	assert_int_equal(s.n_key_shares, 1);
	assert_int_equal(s.key_shares[0], 0x001d);
	assert_string_equal(s.alpn, "h2,http/1.1");
	assert_true(s.scsv_reneg && s.status_request && s.sct && s.session_ticket && s.ems && s.etm && s.heartbeat);
	assert_false(s.scsv_fallback || s.compression || s.no_extensions || s.reneg_ext);

	hello_spec_default(&s, 0x0303, SNI);
	assert_string_equal(s.sni, SNI);
	assert_int_equal(s.n_groups, 5);
	assert_int_equal(s.n_key_shares, 0);
	for (size_t i = 0; i < s.n_suites; i++) {
		const struct suite *su = suite_by_id(s.suites[i]);

		assert_non_null(su);
		assert_false(su->flags & (SUITE_SCSV | SUITE_TLS13 | SUITE_SSL2));
	}
	assert_int_equal(s.n_suites, 350 - 2 - 13);
	/* A modern client's order: forward-secret AEAD first, ECDHE and 256-bit ahead; weak last. */
	assert_int_equal(s.suites[0], 0xc02c);
	assert_int_equal(s.suites[1], 0xc030);
	for (size_t i = 0, seen_weak = 0, seen_plain = 0; i < s.n_suites; i++) {
		const struct suite *su = suite_by_id(s.suites[i]);
		int fs_aead = (su->flags & (SUITE_FS | SUITE_AEAD)) == (SUITE_FS | SUITE_AEAD);

		if (suite_is_weak(su))
			seen_weak = 1;
		else
			assert_false(seen_weak);
		if (!fs_aead)
			seen_plain = 1;
		else
			assert_false(seen_plain);
	}
	hello_spec_default(&s, 0x0302, SNI);
	for (size_t i = 0; i < s.n_suites; i++) {
		const struct suite *su = suite_by_id(s.suites[i]);

		assert_non_null(su);
		assert_true(su->min_version <= 0x0302);
	}
	assert_true(s.n_suites > 150);
	hello_spec_default(&s, 0x0300, SNI);
	assert_int_equal(s.no_extensions, 1);
	assert_null(s.alpn);
}

/* ------------------------------------------------------------------ hand-written replies */

/*
 * An SSLv2 SERVER-HELLO (draft-hickman-netscape-ssl-00):
 *   80 25          2-byte header, 37 bytes
 *   04             SERVER-HELLO
 *   00             SESSION-ID-HIT: no
 *   01             CERTIFICATE-TYPE: SSL_CT_X509_CERTIFICATE
 *   00 02          SERVER-VERSION
 *   00 04          CERTIFICATE-LENGTH
 *   00 06          CIPHER-SPECS-LENGTH (2 kinds)
 *   00 10          CONNECTION-ID-LENGTH
 *   30 02 05 00    the "certificate"
 *   01 00 80 07 00 c0   RC4_128_WITH_MD5, DES_192_EDE3_CBC_WITH_MD5
 *   16 bytes       CONNECTION-ID
 */
static const unsigned char ssl2_server_hello[] = {
	0x80, 0x25, 0x04, 0x00, 0x01, 0x00, 0x02, 0x00, 0x04, 0x00, 0x06, 0x00, 0x10,
	0x30, 0x02, 0x05, 0x00, 0x01, 0x00, 0x80, 0x07, 0x00, 0xc0,
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
};

/*
 * An SSLv3 first flight (RFC 6101 5.6): ServerHello (3.0, DES-CBC3-SHA, a 32-byte session id,
 * no extensions), Certificate (one 4-byte "certificate"), ServerHelloDone, in one record.
 */
static size_t ssl3_flight(unsigned char *b)
{
	size_t n = 0;

	memcpy(b, "\x16\x03\x00\x00\x5c", 5);
	n = 5;
	memcpy(b + n, "\x02\x00\x00\x46\x03\x00", 6);
	n += 6;
	for (int i = 0; i < 32; i++)
		b[n++] = (unsigned char)(0x10 + i);
	b[n++] = 32;
	for (int i = 0; i < 32; i++)
		b[n++] = (unsigned char)(0x80 + i);
	memcpy(b + n, "\x00\x0a\x00", 3);
	n += 3;
	memcpy(b + n, "\x0b\x00\x00\x0a\x00\x00\x07\x00\x00\x04\x30\x02\x05\x00", 14);
	n += 14;
	memcpy(b + n, "\x0e\x00\x00\x00", 4);
	n += 4;
	assert_int_equal(n, 5 + 0x5c);
	return n;
}

static void test_parse_ssl2(void **state)
{
	unsigned char b[sizeof(ssl2_server_hello)];
	struct server_reply r, w;
	size_t left;

	(void)state;
	assert_int_equal(parse_chunked(ssl2_server_hello, sizeof(ssl2_server_hello), WHOLE, 1, &r, &left), 1);
	assert_int_equal(r.kind, REPLY_SSL2_HELLO);
	assert_int_equal(r.version, 0x0002);
	assert_int_equal(r.n_ssl2, 2);
	assert_int_equal(r.ssl2_kinds[0], 0x010080);
	assert_int_equal(r.ssl2_kinds[1], 0x0700c0);
	assert_int_equal(r.n_certs, 1);
	assert_int_equal(r.complete, 1);
	assert_int_equal(left, 0);
	for (size_t c = 1; c < 8; c++) {
		assert_int_equal(parse_chunked(ssl2_server_hello, sizeof(ssl2_server_hello), c, 1, &w, NULL), 1);
		assert_memory_equal(&w, &r, sizeof(r));
	}
	/* Without expect_ssl2 it is not TLS. */
	assert_int_equal(parse_chunked(ssl2_server_hello, sizeof(ssl2_server_hello), WHOLE, 0, &r, &left), 1);
	assert_int_equal(r.kind, REPLY_NOT_TLS);
	assert_int_equal(left, sizeof(ssl2_server_hello));
	/* A server with SSLv2 on but no cipher (CVE-2015-3197's servers list none). */
	memcpy(b, ssl2_server_hello, sizeof(b));
	b[1] = 0x1f;
	b[10] = 0x00;
	memmove(b + 17, b + 23, 16);
	assert_int_equal(parse_chunked(b, sizeof(b) - 6, WHOLE, 1, &r, NULL), 1);
	assert_int_equal(r.kind, REPLY_SSL2_HELLO);
	assert_int_equal(r.n_ssl2, 0);
	/* Broken lengths. */
	memcpy(b, ssl2_server_hello, sizeof(b));
	b[10] = 0x05;   /* 5 bytes of cipher specs */
	assert_int_equal(parse_chunked(b, sizeof(b), WHOLE, 1, &r, NULL), 1);
	assert_int_equal(r.kind, REPLY_MALFORMED);
	assert_string_equal(r.err, "malformed SSLv2 SERVER-HELLO");
	memcpy(b, ssl2_server_hello, sizeof(b));
	b[8] = 0x40;    /* certificate longer than the record */
	assert_int_equal(parse_chunked(b, sizeof(b), WHOLE, 1, &r, NULL), 1);
	assert_int_equal(r.kind, REPLY_MALFORMED);
	memcpy(b, ssl2_server_hello, sizeof(b));
	b[6] = 0x03;    /* version 0x0003 */
	assert_int_equal(parse_chunked(b, sizeof(b), WHOLE, 1, &r, NULL), 1);
	assert_int_equal(r.kind, REPLY_MALFORMED);
	assert_int_equal(parse_chunked(ssl2_server_hello, 20, WHOLE, 1, &r, NULL), 0);  /* truncated: wait */
	/* An SSLv2 ERROR (NO-CIPHER-ERROR), and a TLS alert to an SSLv2 hello. */
	assert_int_equal(parse_chunked((const unsigned char *)"\x80\x03\x00\x00\x01", 5, WHOLE, 1, &r, NULL), 1);
	assert_int_equal(r.kind, REPLY_ALERT);
	assert_int_equal(r.alert_desc, 1);
	assert_string_equal(r.err, "SSLv2 error 1");
	assert_int_equal(parse_chunked((const unsigned char *)"\x15\x03\x01\x00\x02\x02\x46", 7, WHOLE, 1, &r,
	                               NULL), 1);
	assert_int_equal(r.kind, REPLY_ALERT);
	assert_int_equal(r.alert_desc, 70);
	assert_int_equal(r.version, 0x0301);
	/* Another SSLv2 message: not the expected answer, and nothing consumed. */
	assert_int_equal(parse_chunked((const unsigned char *)"\x80\x03\x05\x00\x01", 5, WHOLE, 1, &r, &left), 1);
	assert_int_equal(r.kind, REPLY_NOT_TLS);
	assert_int_equal(left, 5);
}

static void test_parse_ssl3(void **state)
{
	unsigned char b[256];
	size_t n = ssl3_flight(b), left;
	struct server_reply r, w;

	(void)state;
	assert_int_equal(parse_chunked(b, n, WHOLE, 0, &r, &left), 1);
	assert_int_equal(r.kind, REPLY_HELLO);
	assert_int_equal(r.version, 0x0300);
	assert_int_equal(r.suite, 0x000a);
	assert_int_equal(r.n_certs, 1);
	assert_int_equal(r.complete, 1);
	assert_int_equal(r.ext_reneg, 0);
	assert_int_equal(r.group, 0);
	assert_int_equal(left, 0);
	for (size_t c = 1; c < 12; c++) {
		assert_int_equal(parse_chunked(b, n, c, 0, &w, NULL), 1);
		assert_memory_equal(&w, &r, sizeof(r));
	}
	/* The ServerHello alone: a hello, not complete yet. */
	b[3] = 0x00;
	b[4] = 0x4a;
	assert_int_equal(parse_chunked(b, 5 + 0x4a, WHOLE, 0, &r, NULL), 0);
	assert_int_equal(r.kind, REPLY_HELLO);
	assert_int_equal(r.complete, 0);
	assert_int_equal(r.suite, 0x000a);
}

/* ------------------------------------------------------------------ recorded flights */

struct flight {
	const char *name;
	struct srv_cfg srv;
	uint16_t version, suite;
	int ssl2;
};

static const struct flight flights[] = {
	{ "tls12-rsa-ecdhe-ocsp-alpn-sct", { .rsa = 1, .staple = 1, .alpn_h2 = 1, .sct = 1,
	  .max_version = TLS1_2_VERSION }, 0x0303, 0xc02f, 0 },
	{ "tls12-rsa-dhe-1024", { .rsa = 1, .dh = "dh_1024_160", .max_version = TLS1_2_VERSION }, 0x0303,
	  0x0033, 0 },
	{ "tls12-ecdsa-default", { .max_version = TLS1_2_VERSION }, 0x0303, 0, 0 },
	{ "tls11-rsa-kx", { .rsa = 1, .max_version = TLS1_1_VERSION }, 0x0302, 0x002f, 0 },
	{ "tls10-ecdhe-ecdsa", { .max_version = TLS1_VERSION }, 0x0301, 0xc00a, 0 },
	{ "tls12-anon", { .rsa = 1, .max_version = TLS1_2_VERSION }, 0x0303, 0x00a7, 0 },
	{ "tls13", { .rsa = 1 }, 0x0304, 0, 0 },
	{ "tls13-hrr", { .groups = "P-384" }, 0x0304, 0, 0 },
	{ "alert-handshake-failure", { .rsa = 1, .max_version = TLS1_2_VERSION }, 0x0303, 0xc02b, 0 },
	{ "alert-protocol-version", { .min_version = TLS1_3_VERSION }, 0x0302, 0, 0 },
};

static struct evbuffer *capture(const struct fx *f, const struct flight *fl)
{
	SSL_CTX *sctx = server_ctx(f, &fl->srv);
	struct hello_spec spec;
	struct evbuffer *ans;

	hello_spec_default(&spec, fl->version, SNI);
	if (fl->suite != 0) {
		spec.suites[0] = fl->suite;
		spec.n_suites = 1;
	}
	ans = exchange(f, sctx, &spec);
	SSL_CTX_free(sctx);
	return ans;
}

static void assert_same_reply(const struct server_reply *a, const struct server_reply *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->suite, b->suite);
	assert_int_equal(a->compression, b->compression);
	assert_int_equal(a->hrr, b->hrr);
	assert_int_equal(a->group, b->group);
	assert_int_equal(a->dh_bits, b->dh_bits);
	assert_int_equal(a->ext_reneg, b->ext_reneg);
	assert_int_equal(a->ext_ticket, b->ext_ticket);
	assert_int_equal(a->ext_status, b->ext_status);
	assert_int_equal(a->ext_sct, b->ext_sct);
	assert_int_equal(a->ext_heartbeat, b->ext_heartbeat);
	assert_int_equal(a->ext_ems, b->ext_ems);
	assert_int_equal(a->ext_etm, b->ext_etm);
	assert_int_equal(a->cert_status, b->cert_status);
	assert_int_equal(a->complete, b->complete);
	assert_string_equal(a->alpn, b->alpn);
	assert_int_equal(a->alert_level, b->alert_level);
	assert_int_equal(a->alert_desc, b->alert_desc);
	assert_int_equal(a->n_ssl2, b->n_ssl2);
	assert_memory_equal(a->ssl2_kinds, b->ssl2_kinds, sizeof(a->ssl2_kinds));
	assert_int_equal(a->n_certs, b->n_certs);
	assert_int_equal(a->heartbeat_len, b->heartbeat_len);
	assert_string_equal(a->err, b->err);
}

/* Split delivery, from 1 byte up, gives exactly what whole delivery gives. */
static void test_chunked_delivery(void **state)
{
	const struct fx *f = *state;
	static const size_t chunks[] = { 1, 2, 3, 4, 5, 7, 13, 100, 1000 };

	for (size_t i = 0; i < sizeof(flights) / sizeof(flights[0]); i++) {
		struct evbuffer *fl = capture(f, &flights[i]);
		const unsigned char *p = evbuffer_pullup(fl, -1);
		size_t len = evbuffer_get_length(fl), left_whole, left, need = 0;
		struct server_reply whole, r;

		assert_int_equal(parse_chunked(p, len, WHOLE, 0, &whole, &left_whole), 1);
		assert_int_not_equal(whole.kind, REPLY_MALFORMED);
		assert_int_not_equal(whole.kind, REPLY_NOT_TLS);
		print_message("  %-32s %5zu bytes: kind %d version 0x%04x suite 0x%04x group 0x%04x dh %d%s\n",
		              flights[i].name, len, (int)whole.kind, whole.version, whole.suite, whole.group,
		              whole.dh_bits, whole.hrr ? " HRR" : "");
		for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			assert_int_equal(parse_chunked(p, len, chunks[c], 0, &r, &left), 1);
			assert_same_reply(&r, &whole);
			assert_int_equal(left, left_whole);
		}
		/* The shortest prefix that is final, and one byte less is not. */
		for (size_t cut = 1; cut <= len && need == 0; cut++)
			if (parse_chunked(p, cut, WHOLE, 0, &r, NULL) == 1)
				need = cut;
		assert_true(need > 0);
		assert_int_equal(parse_chunked(p, need - 1, 1, 0, &r, NULL), 0);
		assert_int_equal(need, len - left_whole);
		evbuffer_free(fl);
	}
}

/* Length of the first record of a buffer. */
static size_t first_record(const unsigned char *p)
{
	return 5 + ((size_t)p[3] << 8 | p[4]);
}

static void test_garbage_after_server_hello(void **state)
{
	const struct fx *f = *state;
	struct evbuffer *f12 = capture(f, &flights[0]), *f13 = capture(f, &flights[6]), *b = evbuffer_new();
	const unsigned char *p12 = evbuffer_pullup(f12, -1), *p13 = evbuffer_pullup(f13, -1);
	size_t sh12 = first_record(p12), sh13 = first_record(p13);
	struct server_reply r;
	unsigned char tmp[64];

	/* The ServerHello alone is its own record in OpenSSL's flights. */
	assert_int_equal(p12[5], 2);
	assert_int_equal(sh12, 9 + ((size_t)p12[7] << 8 | p12[8]));
	assert_int_equal(p13[5], 2);
	assert_int_equal(sh13, 9 + ((size_t)p13[7] << 8 | p13[8]));

	/* Bytes that are no record after the ServerHello. */
	assert_int_equal(evbuffer_add(b, p12, sh12), 0);
	assert_int_equal(evbuffer_add(b, "HTTP/1.1 400 Bad Request\r\n\r\n", 28), 0);
	assert_int_equal(parse_buf(b, 0, &r), 1);
	assert_int_equal(r.kind, REPLY_MALFORMED);
	assert_string_equal(r.err, "malformed record header");
	assert_int_equal(r.suite, 0xc02f);   /* what was learnt stays readable */
	evbuffer_drain(b, evbuffer_get_length(b));

	/* A handshake record with a message that has no place in the flight. */
	assert_int_equal(evbuffer_add(b, p12, sh12), 0);
	add_record(b, 22, 0x0303, "\x63\x00\x00\x02\xab\xcd", 6);
	assert_int_equal(parse_buf(b, 0, &r), 1);
	assert_int_equal(r.kind, REPLY_MALFORMED);
	assert_string_equal(r.err, "unexpected unknown message");
	evbuffer_drain(b, evbuffer_get_length(b));

	/* Application data, a ChangeCipherSpec, a heartbeat record in the flight. */
	for (unsigned type = 20; type <= 24; type++) {
		if (type == 21 || type == 22)
			continue;
		assert_int_equal(evbuffer_add(b, p12, sh12), 0);
		add_record(b, type, 0x0303, "\x01\x00\x00", 3);
		assert_int_equal(parse_buf(b, 0, &r), 1);
		assert_int_equal(r.kind, REPLY_MALFORMED);
		evbuffer_drain(b, evbuffer_get_length(b));
	}

	/* Broken lengths: the ServerHello claims one byte more than it has. */
	assert_int_equal(evbuffer_add(b, p12, evbuffer_get_length(f12)), 0);
	evbuffer_pullup(b, -1)[8]++;
	assert_int_equal(parse_buf(b, 0, &r), 1);
	assert_int_equal(r.kind, REPLY_MALFORMED);
	assert_string_equal(r.err, "malformed ServerHello");
	evbuffer_drain(b, evbuffer_get_length(b));

	/* Trailing bytes inside the TLS 1.3 ServerHello's record. */
	memcpy(tmp, p13, 5);
	assert_int_equal(evbuffer_add(b, p13, sh13), 0);
	assert_int_equal(evbuffer_add(b, "\x00\x00\x00\x00", 4), 0);
	evbuffer_pullup(b, -1)[4] += 4;
	assert_int_equal(parse_buf(b, 0, &r), 1);
	assert_int_equal(r.kind, REPLY_MALFORMED);
	assert_string_equal(r.err, "data after the TLS 1.3 ServerHello in its record");
	evbuffer_drain(b, evbuffer_get_length(b));

	/* A record that ends in the middle of the alert; an alert that is too long. */
	add_record(b, 21, 0x0303, "\x02", 1);
	assert_int_equal(parse_buf(b, 0, &r), 1);
	assert_int_equal(r.kind, REPLY_MALFORMED);
	evbuffer_drain(b, evbuffer_get_length(b));

	/* An alert after the ServerHello: the suite was chosen, the flight did not finish. */
	assert_int_equal(evbuffer_add(b, p12, sh12), 0);
	add_record(b, 21, 0x0303, "\x02\x50", 2);
	assert_int_equal(parse_buf(b, 0, &r), 1);
	assert_int_equal(r.kind, REPLY_HELLO);
	assert_int_equal(r.complete, 0);
	assert_int_equal(r.alert_desc, 80);
	assert_string_equal(r.err, "alert 80 internal_error after the ServerHello");
	evbuffer_drain(b, evbuffer_get_length(b));

	/* Messages out of order: ServerHelloDone then Certificate. */
	assert_int_equal(evbuffer_add(b, p12, sh12), 0);
	add_record(b, 22, 0x0303, "\x0e\x00\x00\x01\x00", 5);
	assert_int_equal(parse_buf(b, 0, &r), 1);
	assert_int_equal(r.kind, REPLY_MALFORMED);
	assert_string_equal(r.err, "malformed ServerHelloDone");
	evbuffer_drain(b, evbuffer_get_length(b));
	assert_int_equal(evbuffer_add(b, p12, sh12), 0);
	add_record(b, 22, 0x0303, "\x0c\x00\x00\x04\x03\x00\x17\x00\x0b\x00\x00\x03\x00\x00\x00", 15);
	assert_int_equal(parse_buf(b, 0, &r), 1);
	assert_int_equal(r.kind, REPLY_MALFORMED);
	assert_string_equal(r.err, "unexpected Certificate message");
	assert_int_equal(r.group, 0x0017);
	evbuffer_free(b);
	evbuffer_free(f12);
	evbuffer_free(f13);
}

static void test_not_tls(void **state)
{
	static const char *const inputs[] = {
		"HTTP/1.1 400 Bad Request\r\n\r\n", "SSH-2.0-OpenSSH_9.2\r\n", "220 mail.example ESMTP\r\n",
		"\x15\x02\x00\x00\x02\x02\x46", "\x16\x48", "H", "\x19\x03\x03\x00\x01\x00",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		for (int ssl2 = 0; ssl2 < 2; ssl2++) {
			size_t n = strlen(inputs[i]), left = 0;
			struct server_reply r;

			assert_int_equal(parse_chunked((const unsigned char *)inputs[i], n, WHOLE, ssl2, &r, &left), 1);
			assert_int_equal(r.kind, REPLY_NOT_TLS);
			assert_string_equal(r.err, "not a TLS record");
			assert_int_equal(left, n);   /* nothing consumed */
		}
	}
}

static void test_limits(void **state)
{
	unsigned char *big = calloc(1, 5 + 18432);
	struct probe_parser *p = probe_parser_new(0);
	struct evbuffer *in = evbuffer_new();
	struct server_reply r;
	int rc = 0;
	size_t left;

	(void)state;
	assert_non_null(big);
	assert_non_null(p);
	assert_non_null(in);
	/* One byte over the record limit: MALFORMED on the header alone; at the limit: waits. */
	assert_int_equal(parse_chunked((const unsigned char *)"\x16\x03\x03\x48\x01", 5, WHOLE, 0, &r, NULL), 1);
	assert_int_equal(r.kind, REPLY_MALFORMED);
	assert_string_equal(r.err, "record of 18433 bytes");
	assert_int_equal(parse_chunked((const unsigned char *)"\x16\x03\x03\x48\x00", 5, WHOLE, 0, &r, &left), 0);
	assert_int_equal(left, 5);
	assert_int_equal(parse_chunked((const unsigned char *)"\x16\x03\x03\x00\x00", 5, WHOLE, 0, &r, NULL), 1);
	assert_string_equal(r.err, "record of 0 bytes");
	/* A handshake message longer than the handshake bound. */
	assert_int_equal(parse_chunked((const unsigned char *)"\x16\x03\x03\x00\x04\x02\x04\x00\x01", 9, WHOLE, 0,
	                               &r, NULL), 1);
	assert_string_equal(r.err, "handshake message of 262145 bytes");
	/* Full records of HelloRequests (ignored) until the 256 KB handshake bound trips. */
	memcpy(big, "\x16\x03\x03\x48\x00", 5);
	for (int i = 0; i < 40 && rc == 0; i++) {
		assert_int_equal(evbuffer_add(in, big, 5 + 18432), 0);
		rc = probe_parser_feed(p, in, &r);
		if (rc == 0)
			assert_true((size_t)(i + 1) * 18432 <= 256 * 1024);
	}
	assert_int_equal(rc, 1);
	assert_int_equal(r.kind, REPLY_MALFORMED);
	assert_string_equal(r.err, "more than 262144 bytes of handshake data");
	/* Final: says it again, consumes nothing. */
	left = evbuffer_get_length(in);
	memset(&r, 0, sizeof(r));
	assert_int_equal(probe_parser_feed(p, in, &r), 1);
	assert_int_equal(r.kind, REPLY_MALFORMED);
	assert_int_equal(evbuffer_get_length(in), left);
	probe_parser_free(p);
	/* Warning unrecognized_name alerts are skipped (at most 5); other warnings are answers. */
	p = probe_parser_new(0);
	evbuffer_drain(in, evbuffer_get_length(in));
	for (int i = 0; i < 5; i++) {
		add_record(in, 21, 0x0303, "\x01\x70", 2);
		assert_int_equal(probe_parser_feed(p, in, &r), 0);
	}
	add_record(in, 21, 0x0303, "\x01\x70", 2);
	assert_int_equal(probe_parser_feed(p, in, &r), 1);
	assert_string_equal(r.err, "too many warning alerts");
	probe_parser_free(p);
	assert_int_equal(parse_chunked((const unsigned char *)"\x15\x03\x01\x00\x02\x01\x28", 7, WHOLE, 0, &r, NULL), 1);
	assert_int_equal(r.kind, REPLY_ALERT);
	assert_int_equal(r.alert_level, 1);
	assert_int_equal(r.alert_desc, 40);
	/* Something other than a ServerHello first. */
	assert_int_equal(parse_chunked((const unsigned char *)"\x16\x03\x03\x00\x04\x0e\x00\x00\x00", 9, WHOLE, 0,
	                               &r, NULL), 1);
	assert_string_equal(r.err, "expected ServerHello, got ServerHelloDone");
	evbuffer_free(in);
	free(big);
}

/* ------------------------------------------------------------------ heartbeat */

static void test_heartbeat(void **state)
{
	const struct fx *f = *state;
	struct evbuffer *out = evbuffer_new(), *fl = capture(f, &flights[0]), *in = evbuffer_new();
	struct probe_parser *p = probe_parser_new(0);
	unsigned char b[64], resp[3 + 40 + 16];
	struct server_reply r;

	assert_non_null(out);
	assert_non_null(p);
	/* type 24, version, length 3 + sent + 16; request (1), declared, payload, 16 padding bytes. */
	assert_int_equal(probe_heartbeat_build(0x0303, 40, 2, out), 0);
	assert_int_equal(evbuffer_get_length(out), 5 + 3 + 2 + 16);
	assert_int_equal(evbuffer_remove(out, b, 26), 26);
	assert_memory_equal(b, "\x18\x03\x03\x00\x15\x01\x00\x28" "AB", 10);
	assert_int_equal(probe_heartbeat_build(0x0301, 0xffff, 0, out), 0);
	assert_int_equal(evbuffer_remove(out, b, 24), 24);
	assert_memory_equal(b, "\x18\x03\x01\x00\x13\x01\xff\xff", 8);
	assert_int_equal(probe_heartbeat_build(0x0304, 40, 2, out), -1);
	assert_int_equal(probe_heartbeat_build(0x0002, 40, 2, out), -1);
	assert_int_equal(probe_heartbeat_build(0x0303, 0x10000, 2, out), -1);
	assert_int_equal(evbuffer_get_length(out), 0);

	/* After the first flight: nothing more is 0; a heartbeat response is REPLY_HEARTBEAT. */
	assert_int_equal(evbuffer_add_buffer(in, fl), 0);
	assert_int_equal(probe_parser_feed(p, in, &r), 1);
	assert_int_equal(r.kind, REPLY_HELLO);
	assert_int_equal(r.complete, 1);
	assert_int_equal(evbuffer_get_length(in), 0);
	assert_int_equal(probe_parser_feed(p, in, &r), 0);
	assert_int_equal(r.kind, REPLY_HELLO);
	add_record(in, 24, 0x0303, "\x01\x00\x01\x41", 4);   /* a request from the server: not an answer */
	assert_int_equal(probe_parser_feed(p, in, &r), 0);
	resp[0] = 2;
	resp[1] = 0;
	resp[2] = 40;                 /* 40 declared and returned: more than the 2 we sent */
	memset(resp + 3, 0x5a, sizeof(resp) - 3);
	add_record(in, 24, 0x0303, resp, 3 + 20);   /* first 20 bytes only */
	assert_int_equal(probe_parser_feed(p, in, &r), 1);
	assert_int_equal(r.kind, REPLY_HEARTBEAT);
	assert_int_equal(r.heartbeat_len, 20);
	assert_int_equal(r.suite, 0xc02f);
	add_record(in, 24, 0x0303, resp, sizeof(resp));
	assert_int_equal(probe_parser_feed(p, in, &r), 1);   /* final: repeats, consumes nothing */
	assert_int_equal(r.heartbeat_len, 20);
	assert_int_equal(evbuffer_get_length(in), 5 + sizeof(resp));
	probe_parser_free(p);

	/* An answer that returns all 40 declared bytes. */
	p = probe_parser_new(0);
	evbuffer_drain(in, evbuffer_get_length(in));
	evbuffer_free(fl);
	fl = capture(f, &flights[0]);
	assert_int_equal(evbuffer_add_buffer(in, fl), 0);
	add_record(in, 24, 0x0303, resp, sizeof(resp));
	assert_int_equal(probe_parser_feed(p, in, &r), 1);
	assert_int_equal(r.kind, REPLY_HELLO);
	assert_int_equal(probe_parser_feed(p, in, &r), 1);
	assert_int_equal(r.kind, REPLY_HEARTBEAT);
	assert_int_equal(r.heartbeat_len, 40);
	probe_parser_free(p);
	evbuffer_free(fl);

	/* OpenSSL 3 has no heartbeats: a request after its flight is refused with an alert. */
	{
		SSL_CTX *sctx = server_ctx(f, &flights[0].srv);
		struct hello_spec spec;
		struct srv s;
		char err[160];

		hello_spec_default(&spec, 0x0303, SNI);
		p = probe_parser_new(0);
		evbuffer_drain(in, evbuffer_get_length(in));
		assert_int_equal(probe_hello_build(f->keys, &spec, out, err, sizeof(err)), 0);
		srv_open(&s, sctx);
		srv_turn(&s, out, in);
		assert_int_equal(probe_parser_feed(p, in, &r), 1);
		assert_int_equal(r.kind, REPLY_HELLO);
		assert_int_equal(r.ext_heartbeat, 0);
		assert_int_equal(probe_heartbeat_build(r.version, 40, 2, out), 0);
		srv_turn(&s, out, in);
		print_message("  OpenSSL 3 answers a heartbeat request with %zu bytes\n", evbuffer_get_length(in));
		if (evbuffer_get_length(in) > 0) {
			assert_int_equal(probe_parser_feed(p, in, &r), 1);
			assert_int_equal(r.kind, REPLY_HELLO);
			assert_int_equal(r.alert_level, 2);
			assert_int_equal(r.alert_desc, 10);   /* unexpected_message */
			assert_string_equal(r.err, "alert 10 unexpected_message after ServerHelloDone");
		}
		srv_close(&s);
		probe_parser_free(p);
		SSL_CTX_free(sctx);
	}
	evbuffer_free(in);
	evbuffer_free(out);
}

/* ------------------------------------------------------------------ fuzz seeds */

static void write_seed(const char *dir, const char *name, unsigned char sel, const void *p, size_t n)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(&sel, 1, 1, fp), 1);
	assert_int_equal(fwrite(p, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

/*
 * Seeds for fuzz_probe_codec: byte 0 = bit 0 expect_ssl2, bits 1..7 the chunking seed; the rest
 * is what the server sent (real flights, the hand-written SSLv2/SSLv3 ones, and a flight
 * followed by a heartbeat response).
 */
static void test_write_fuzz_seeds(void **state)
{
	const struct fx *f = *state;
	const char *dir = getenv("PROBE_CODEC_CORPUS_DIR");
	unsigned char b[256];

	if (dir == NULL) {
		skip();
		return;
	}
	for (size_t i = 0; i < sizeof(flights) / sizeof(flights[0]); i++) {
		struct evbuffer *fl = capture(f, &flights[i]);

		write_seed(dir, flights[i].name, (unsigned char)(i << 1), evbuffer_pullup(fl, -1),
		           evbuffer_get_length(fl));
		if (i == 0) {
			unsigned char resp[3 + 8 + 16] = { 2, 0, 8 };

			add_record(fl, 24, 0x0303, resp, sizeof(resp));
			write_seed(dir, "tls12-then-heartbeat", 0x40, evbuffer_pullup(fl, -1), evbuffer_get_length(fl));
		}
		evbuffer_free(fl);
	}
	write_seed(dir, "ssl2-server-hello", 0x01, ssl2_server_hello, sizeof(ssl2_server_hello));
	write_seed(dir, "ssl2-error", 0x03, "\x80\x03\x00\x00\x01", 5);
	write_seed(dir, "ssl3-flight", 0x10, b, ssl3_flight(b));
	{
		struct evbuffer *fl = flight12(0xc035, (const unsigned char *)"\x00\x02hi\x03\x00\x18\x01\x04", 9);

		write_seed(dir, "tls12-ecdhe-psk-made", 0x22, evbuffer_pullup(fl, -1), evbuffer_get_length(fl));
		evbuffer_free(fl);
		memset(b, 0, sizeof(b));
		b[1] = 130;
		b[4] = 0x80;
		b[133] = 1;
		b[134] = 2;
		b[136] = 1;
		b[137] = 5;
		fl = flight12(0x0090, b, 138);   /* DHE-PSK without a hint: read as the hint, then p */
		write_seed(dir, "tls12-dhe-psk-made", 0x24, evbuffer_pullup(fl, -1), evbuffer_get_length(fl));
		evbuffer_free(fl);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_default),
		cmocka_unit_test(test_ssl2_hello_bytes),
		cmocka_unit_test(test_ssl3_hello_bytes),
		cmocka_unit_test(test_tls_hello_layout),
		cmocka_unit_test(test_padding),
		cmocka_unit_test(test_hello_errors),
		cmocka_unit_test(test_tls12_one_suite_each),
		cmocka_unit_test(test_tls10_11_one_suite_each),
		cmocka_unit_test(test_tls13_suites),
		cmocka_unit_test(test_lists_and_preference),
		cmocka_unit_test(test_key_shares),
		cmocka_unit_test(test_hello_retry_request),
		cmocka_unit_test(test_tls12_groups_and_dh),
		cmocka_unit_test(test_extensions),
		cmocka_unit_test(test_psk_suites),
		cmocka_unit_test(test_server_key_exchange),
		cmocka_unit_test(test_alerts),
		cmocka_unit_test(test_parse_ssl2),
		cmocka_unit_test(test_parse_ssl3),
		cmocka_unit_test(test_chunked_delivery),
		cmocka_unit_test(test_garbage_after_server_hello),
		cmocka_unit_test(test_not_tls),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_heartbeat),
		cmocka_unit_test(test_write_fuzz_seeds),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
