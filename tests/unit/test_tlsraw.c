/*
 * test_tlsraw.c: the raw TLS codec against real OpenSSL servers, in process.
 *
 * Every server here is an SSL from TLS_server_method() behind a BIO pair, with a generated
 * ECDSA P-256 chain (root -> intermediate -> leaf) or an RSA-2048 one. A case writes our
 * ClientHello into the server, lets it answer, and feeds its whole first flight to
 * tlsraw_feed(). The same server configuration is then handshaken by the project's OpenSSL path
 * (tls_client_ctx_new + tls_client_collect) and both reports must agree: version, cipher name,
 * group, ALPN, OCSP stapling and the DER chain; the expected values are also written down per
 * case, so agreeing on a wrong answer fails too.
 *
 * Also: our ClientHello against the one OpenSSL itself builds (same bytes but random, session id
 * and key share), HelloRetryRequest, refusals (alerts), non-TLS bytes, the same flights in
 * chunks from 1 byte up, truncation, oversized and tampered input, and a micro benchmark that
 * prints client CPU per handshake (ours vs OpenSSL's) and per HKDF-Expand-Label.
 *
 * TLSRAW_CORPUS_DIR=dir ./test_tlsraw also writes seed inputs for tests/fuzz/fuzz_tlsraw.c
 * (server flights for the fuzzer's fixed ClientHello secrets).
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
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/ssl.h>

#include "certgen.h"
#include "core/observation.h"
#include "scanner/engine_internal.h"
#include "scanner/tlsraw.h"
#include "scanner/tlsraw_int.h"

#define DAY 86400
#define SNI "www.example.test"
#define WHOLE ((size_t)-1)

struct fx {
	struct tlsraw_shared *sh;
	struct cg_cert ec_root, ec_int, ec_leaf, rsa_root, rsa_int, rsa_leaf;
	SSL_CTX *client;   /* the project's OpenSSL client context (scanner/tls_client.c) */
};

struct srv_cfg {
	int rsa;                 /* RSA chain instead of ECDSA */
	int min_version, max_version;
	const char *suites;      /* TLS 1.3 ciphersuites, NULL: default */
	const char *ciphers;     /* TLS <= 1.2 cipher list, NULL: DEFAULT at level 0 */
	const char *groups;      /* NULL: default */
	int alpn_h2;             /* select h2 when offered */
	int staple;              /* staple an OCSP response */
	int request_cert;        /* send a CertificateRequest */
	int extra_chain;         /* the intermediate this many more times (long chains) */
};

/* Bytes the stapling server sends as its "OCSP response" (not parsed by anyone here). */
static const unsigned char fake_ocsp[] = { 0x30, 0x03, 0x0a, 0x01, 0x00 };

/* The fuzzer's fixed secrets (tests/fuzz/fuzz_tlsraw.c has the same). */
static void fuzz_secrets(unsigned char random[32], unsigned char sid[32], unsigned char priv[32])
{
	for (int i = 0; i < 32; i++) {
		random[i] = (unsigned char)i;
		sid[i] = (unsigned char)(0x80 + i);
		priv[i] = 0x42;
	}
}

static int group_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	time_t now = time(NULL);
	char err[256] = "";

	if (f == NULL)
		return -1;
	f->sh = tlsraw_shared_new(err, sizeof(err));
	f->client = tls_client_ctx_new(err, sizeof(err));
	if (f->sh == NULL || f->client == NULL) {
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

	tlsraw_shared_free(f->sh);
	SSL_CTX_free(f->client);
	cg_free(&f->ec_root);
	cg_free(&f->ec_int);
	cg_free(&f->ec_leaf);
	cg_free(&f->rsa_root);
	cg_free(&f->rsa_int);
	cg_free(&f->rsa_leaf);
	free(f);
	return 0;
}

/* ---- servers ---- */

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

static int accept_any(int ok, X509_STORE_CTX *ctx)
{
	(void)ok;
	(void)ctx;
	return 1;
}

static SSL_CTX *server_ctx(const struct fx *f, const struct srv_cfg *c)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	const struct cg_cert *leaf = c->rsa ? &f->rsa_leaf : &f->ec_leaf;
	const struct cg_cert *inter = c->rsa ? &f->rsa_int : &f->ec_int;

	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_set_cipher_list(ctx, c->ciphers ? c->ciphers : "DEFAULT:@SECLEVEL=0"), 1);
	SSL_CTX_set_security_level(ctx, 0);
	assert_int_equal(SSL_CTX_set_min_proto_version(ctx, c->min_version ? c->min_version : TLS1_VERSION), 1);
	if (c->max_version)
		assert_int_equal(SSL_CTX_set_max_proto_version(ctx, c->max_version), 1);
	if (c->suites)
		assert_int_equal(SSL_CTX_set_ciphersuites(ctx, c->suites), 1);
	if (c->groups)
		assert_int_equal(SSL_CTX_set1_groups_list(ctx, c->groups), 1);
	assert_int_equal(SSL_CTX_use_certificate(ctx, leaf->x), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(ctx, leaf->key), 1);
	for (int i = 0; i <= c->extra_chain; i++)
		assert_int_equal(SSL_CTX_add1_chain_cert(ctx, inter->x), 1);
	SSL_CTX_set_dh_auto(ctx, 1);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (c->alpn_h2)
		SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	if (c->staple) {
		SSL_CTX_set_tlsext_status_cb(ctx, staple);
	}
	if (c->request_cert)
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any);
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

/* ---- our side ---- */

struct raw_opts {
	const char *sni;
	int alpn;
	int max_version;
	int fixed;          /* use the fuzzer's fixed secrets */
};

static struct tlsraw *raw_new(const struct fx *f, const struct raw_opts *o)
{
	struct tlsraw *t = tlsraw_new(f->sh, o->sni, o->alpn, o->max_version);
	unsigned char r[32], sid[32], k[32];

	assert_non_null(t);
	if (o->fixed) {
		fuzz_secrets(r, sid, k);
		assert_int_equal(tlsraw_fix_secrets(t, r, sid, k), 0);
	}
	return t;
}

/*
 * Runs our ClientHello against a new server from sctx and feeds the codec the server's whole
 * answer (a copy goes to `flight` when not NULL). Returns the codec; *rc is its verdict.
 */
static struct tlsraw *run_raw(const struct fx *f, SSL_CTX *sctx, const struct raw_opts *o,
                              struct evbuffer *flight, enum tlsraw_rc *rc)
{
	struct tlsraw *t = raw_new(f, o);
	struct evbuffer *out = evbuffer_new(), *in = evbuffer_new();
	struct srv s;

	assert_non_null(out);
	assert_non_null(in);
	srv_open(&s, sctx);
	assert_int_equal(tlsraw_client_hello(t, out), 0);
	srv_turn(&s, out, in);
	assert_true(evbuffer_get_length(in) > 0);
	if (flight != NULL)
		assert_int_equal(evbuffer_add(flight, evbuffer_pullup(in, -1), evbuffer_get_length(in)), 0);
	*rc = tlsraw_feed(t, in);
	srv_close(&s);
	evbuffer_free(out);
	evbuffer_free(in);
	return t;
}

/* The same server handshaken by the project's OpenSSL path; returns its observation. */
static struct observation *run_openssl(const struct fx *f, SSL_CTX *sctx, const struct raw_opts *o)
{
	static const unsigned char alpn_wire[] = "\x02h2\x08http/1.1";
	SSL *c = SSL_new(f->client), *s = SSL_new(sctx);
	BIO *cb = NULL, *sb = NULL;
	struct observation *obs = obs_new();
	int cdone = 0, sdone = 0;

	assert_non_null(c);
	assert_non_null(s);
	assert_non_null(obs);
	assert_int_equal(BIO_new_bio_pair(&cb, 1 << 19, &sb, 1 << 19), 1);
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	if (o->sni)
		assert_int_equal(SSL_set_tlsext_host_name(c, o->sni), 1);
	if (o->alpn)
		assert_int_equal(SSL_set_alpn_protos(c, alpn_wire, sizeof(alpn_wire) - 1), 0);
	SSL_set_tlsext_status_type(c, TLSEXT_STATUSTYPE_ocsp);
	if (o->max_version)
		assert_int_equal(SSL_set_max_proto_version(c, o->max_version), 1);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	for (int i = 0; i < 20 && !(cdone && sdone); i++) {
		cdone = SSL_do_handshake(c) == 1;
		sdone = SSL_do_handshake(s) == 1;
	}
	assert_true(cdone);
	tls_client_collect(c, obs);
	SSL_free(c);
	SSL_free(s);
	return obs;
}

static void assert_chain(const struct tlsraw_result *r, const struct cg_cert *leaf,
                         const struct cg_cert *inter, size_t n_inter)
{
	assert_int_equal(r->n_certs, 1 + n_inter);
	for (size_t i = 0; i < r->n_certs; i++) {
		size_t len;
		unsigned char *der = cg_der(i == 0 ? leaf : inter, &len);

		assert_non_null(der);
		assert_int_equal(r->cert_len[i], len);
		assert_memory_equal(r->cert[i], der, len);
		OPENSSL_free(der);
	}
}

static void assert_same_as_openssl(const struct tlsraw_result *r, const struct observation *o)
{
	assert_int_equal(r->version, o->tls_version);
	assert_string_equal(r->version_name, o->version);
	assert_string_equal(r->cipher_name, o->cipher);
	if (strncmp(r->group, "DH-", 3) == 0) {
		/* OpenSSL names a well-known prime ("modp_2048", "ffdhe2048"); we give its size. */
		if (strcmp(r->group, o->group) != 0) {
			const char *bits = o->group + strcspn(o->group, "0123456789");

			assert_string_equal(r->group + 3, bits);
		}
	} else {
		assert_string_equal(r->group, o->group);
	}
	assert_string_equal(r->alpn, o->alpn);
	assert_int_equal(r->ocsp_stapled, o->ocsp_stapled);
	assert_int_equal(r->n_certs, o->chain_len);
	for (size_t i = 0; i < r->n_certs; i++) {
		assert_int_equal(r->cert_len[i], o->chain[i].len);
		assert_memory_equal(r->cert[i], o->chain[i].der, o->chain[i].len);
	}
}

/* ---- the ClientHello ---- */

/* The ClientHello record an OpenSSL 3.0 client configured like ours sends. */
static size_t openssl_hello(const struct raw_opts *o, unsigned char *buf, size_t cap)
{
	static const unsigned char alpn_wire[] = "\x02h2\x08http/1.1";
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *s;
	BIO *r = BIO_new(BIO_s_mem()), *w = BIO_new(BIO_s_mem());
	int n;

	assert_non_null(ctx);
	assert_non_null(r);
	assert_non_null(w);
	SSL_CTX_set_security_level(ctx, 0);
	assert_int_equal(SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION), 1);
	assert_int_equal(SSL_CTX_set_max_proto_version(ctx, o->max_version), 1);
	assert_int_equal(SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFDEFAULT:!eNULL:@SECLEVEL=0"), 1);
	s = SSL_new(ctx);
	assert_non_null(s);
	SSL_set_bio(s, r, w);
	if (o->sni)
		assert_int_equal(SSL_set_tlsext_host_name(s, o->sni), 1);
	if (o->alpn)
		assert_int_equal(SSL_set_alpn_protos(s, alpn_wire, sizeof(alpn_wire) - 1), 0);
	SSL_set_tlsext_status_type(s, TLSEXT_STATUSTYPE_ocsp);
	assert_true(SSL_connect(s) <= 0);
	n = BIO_read(w, buf, (int)cap);
	assert_true(n > 0);
	SSL_free(s);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return (size_t)n;
}

static void test_hello_matches_openssl(void **state)
{
	const struct fx *f = *state;
	static const int versions[] = { 0x0304, 0x0303, 0x0302, 0x0301 };

	for (size_t v = 0; v < 4; v++) {
		for (int variant = 0; variant < 3; variant++) {
			struct raw_opts o = { .sni = variant == 1 ? NULL : SNI, .alpn = variant != 2,
			                      .max_version = versions[v] };
			unsigned char theirs[2048], ours[2048];
			struct tlsraw *t = raw_new(f, &o);
			struct evbuffer *out = evbuffer_new();
			size_t n = openssl_hello(&o, theirs, sizeof(theirs)), m, sid_len;

			assert_int_equal(tlsraw_client_hello(t, out), 0);
			assert_int_equal(tlsraw_client_hello(t, out), -1);  /* once only */
			m = evbuffer_get_length(out);
			assert_int_equal(m, n);
			assert_int_equal(evbuffer_remove(out, ours, m), (int)m);
			/* Take our random, session id and key share into OpenSSL's bytes. */
			sid_len = theirs[43];
			assert_int_equal(sid_len, versions[v] == 0x0304 ? 32 : 0);
			assert_int_equal(ours[43], sid_len);
			memcpy(theirs + 11, ours + 11, 32 + 1 + sid_len);
			if (versions[v] == 0x0304) {
				/* key_share is the last extension: 00 33 00 26 00 24 00 1d 00 20 <32 bytes> */
				assert_memory_equal(theirs + n - 42, "\x00\x33\x00\x26\x00\x24\x00\x1d\x00\x20", 10);
				memcpy(theirs + n - 32, ours + n - 32, 32);
			}
			assert_memory_equal(ours, theirs, n);
			evbuffer_free(out);
			tlsraw_free(t);
		}
	}
}

static void test_new_rejects_bad_arguments(void **state)
{
	const struct fx *f = *state;
	char longname[300];
	struct tlsraw *t;
	struct evbuffer *out = evbuffer_new();

	assert_null(tlsraw_new(f->sh, NULL, 0, 0x0300));
	assert_null(tlsraw_new(f->sh, NULL, 0, 0x0305));
	assert_null(tlsraw_new(f->sh, "", 0, 0x0304));
	assert_null(tlsraw_new(f->sh, "a b", 0, 0x0304));
	assert_null(tlsraw_new(f->sh, "caf\xc3\xa9.test", 0, 0x0304));
	assert_null(tlsraw_new(NULL, SNI, 0, 0x0304));
	memset(longname, 'a', sizeof(longname));
	longname[256] = '\0';
	assert_null(tlsraw_new(f->sh, longname, 0, 0x0304));
	longname[255] = '\0';
	t = tlsraw_new(f->sh, longname, 1, 0);  /* 255 bytes: the longest, and 0 means TLS 1.3 */
	assert_non_null(t);
	assert_int_equal(tlsraw_feed(t, out), TLSRAW_ERROR);  /* no hello yet */
	tlsraw_free(t);
	t = tlsraw_new(f->sh, longname, 1, 0);
	assert_int_equal(tlsraw_client_hello(t, out), 0);
	assert_true(evbuffer_get_length(out) > 255 + 400);
	tlsraw_free(t);
	evbuffer_free(out);
}

/* ---- handshakes that succeed ---- */

struct ok_case {
	const char *name;
	struct srv_cfg srv;
	struct raw_opts cli;
	int version;
	const char *cipher, *group, *alpn;
	int ocsp;
};

static const struct ok_case ok_cases[] = {
	{ "1.3 AES-128-GCM", { .suites = "TLS_AES_128_GCM_SHA256" }, { SNI, 0, 0x0304, 0 },
	  0x0304, "TLS_AES_128_GCM_SHA256", "x25519", "", 0 },
	{ "1.3 AES-256-GCM", { .suites = "TLS_AES_256_GCM_SHA384" }, { SNI, 0, 0x0304, 0 },
	  0x0304, "TLS_AES_256_GCM_SHA384", "x25519", "", 0 },
	{ "1.3 ChaCha20", { .suites = "TLS_CHACHA20_POLY1305_SHA256" }, { SNI, 1, 0x0304, 0 },
	  0x0304, "TLS_CHACHA20_POLY1305_SHA256", "x25519", "", 0 },
	{ "1.3 RSA, ALPN, OCSP, CertificateRequest",
	  { .rsa = 1, .alpn_h2 = 1, .staple = 1, .request_cert = 1 }, { SNI, 1, 0x0304, 0 },
	  0x0304, "TLS_AES_256_GCM_SHA384", "x25519", "h2", 1 },
	{ "1.3 no SNI", { .staple = 1 }, { NULL, 0, 0x0304, 0 },
	  0x0304, "TLS_AES_256_GCM_SHA384", "x25519", "", 1 },
	{ "1.2 ECDHE-ECDSA", { .max_version = TLS1_2_VERSION }, { SNI, 1, 0x0304, 0 },
	  0x0303, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "x25519", "", 0 },
	{ "1.2 ECDHE-ECDSA P-384", { .max_version = TLS1_2_VERSION, .groups = "P-384" },
	  { SNI, 0, 0x0304, 0 }, 0x0303, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "secp384r1", "", 0 },
	{ "1.2 ECDHE-RSA", { .rsa = 1, .max_version = TLS1_2_VERSION }, { SNI, 0, 0x0304, 0 },
	  0x0303, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "x25519", "", 0 },
	{ "1.2 DHE-RSA", { .rsa = 1, .ciphers = "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0" },
	  { SNI, 0, 0x0303, 0 }, 0x0303, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "DH-2048", "", 0 },
	{ "1.2 RSA key exchange", { .rsa = 1, .max_version = TLS1_2_VERSION, .ciphers = "AES128-GCM-SHA256" },
	  { SNI, 0, 0x0304, 0 }, 0x0303, "TLS_RSA_WITH_AES_128_GCM_SHA256", "", "", 0 },
	{ "1.2 ALPN, OCSP, CertificateRequest",
	  { .max_version = TLS1_2_VERSION, .alpn_h2 = 1, .staple = 1, .request_cert = 1 },
	  { SNI, 1, 0x0304, 0 }, 0x0303, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "x25519", "h2", 1 },
	{ "1.2 client max 1.2 vs a 1.3 server", { .rsa = 1, .staple = 1 }, { SNI, 1, 0x0303, 0 },
	  0x0303, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "x25519", "", 1 },
	{ "1.1 ECDHE-RSA", { .rsa = 1, .max_version = TLS1_1_VERSION }, { SNI, 1, 0x0304, 0 },
	  0x0302, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "x25519", "", 0 },
	{ "1.0 ECDHE-ECDSA", { .max_version = TLS1_VERSION, .staple = 1 }, { SNI, 0, 0x0304, 0 },
	  0x0301, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "x25519", "", 1 },
	{ "1.0 client max 1.0", { .rsa = 1 }, { SNI, 0, 0x0301, 0 },
	  0x0301, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "x25519", "", 0 },
	{ "1.0 DHE-RSA", { .rsa = 1, .max_version = TLS1_VERSION, .ciphers = "DHE-RSA-AES128-SHA:@SECLEVEL=0" },
	  { SNI, 0, 0x0304, 0 }, 0x0301, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "DH-2048", "", 0 },
};

static void test_handshakes(void **state)
{
	const struct fx *f = *state;

	for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		const struct ok_case *k = &ok_cases[i];
		SSL_CTX *sctx = server_ctx(f, &k->srv);
		enum tlsraw_rc rc;
		struct tlsraw *t = run_raw(f, sctx, &k->cli, NULL, &rc);
		const struct tlsraw_result *r = tlsraw_result(t);
		struct observation *o = run_openssl(f, sctx, &k->cli);

		print_message("  %-40s %s %s %s %s%s\n", k->name, r->version_name, r->cipher_name, r->group,
		              r->alpn, r->ocsp_stapled ? " ocsp" : "");
		if (rc != TLSRAW_DONE)
			print_error("%s: %s\n", k->name, r->err);
		assert_int_equal(rc, TLSRAW_DONE);
		assert_string_equal(r->err, "");
		assert_int_equal(r->version, k->version);
		assert_string_equal(r->cipher_name, k->cipher);
		assert_string_equal(r->group, k->group);
		assert_string_equal(r->alpn, k->alpn);
		assert_int_equal(r->ocsp_stapled, k->ocsp);
		assert_int_equal(r->chain_truncated, 0);
		assert_chain(r, k->srv.rsa ? &f->rsa_leaf : &f->ec_leaf, k->srv.rsa ? &f->rsa_int : &f->ec_int, 1);
		assert_same_as_openssl(r, o);
		obs_free(o);
		tlsraw_free(t);
		SSL_CTX_free(sctx);
	}
}

static void test_long_chain_kept_to_16(void **state)
{
	const struct fx *f = *state;

	for (int v = 0; v < 2; v++) {
		struct srv_cfg c = { .extra_chain = 19, .max_version = v ? TLS1_2_VERSION : 0 };
		struct raw_opts o = { SNI, 0, 0x0304, 0 };
		SSL_CTX *sctx = server_ctx(f, &c);
		enum tlsraw_rc rc;
		struct tlsraw *t = run_raw(f, sctx, &o, NULL, &rc);
		const struct tlsraw_result *r = tlsraw_result(t);

		assert_int_equal(rc, TLSRAW_DONE);
		assert_int_equal(r->chain_truncated, 1);
		assert_chain(r, &f->ec_leaf, &f->ec_int, TLSRAW_MAX_CERTS - 1);
		tlsraw_free(t);
		SSL_CTX_free(sctx);
	}
}

/*
 * The shared X25519 key serves TLSRAW_KEY_USES hellos, then a new one is made; a connection
 * whose hello carried the old key still completes after the rotation (it holds a reference).
 */
static void test_key_rotation(void **state)
{
	const struct fx *f = *state;
	struct srv_cfg c = { 0 };
	SSL_CTX *sctx = server_ctx(f, &c);
	struct evbuffer *out = evbuffer_new(), *in = evbuffer_new(), *old_out = evbuffer_new();
	struct tlsraw *old = tlsraw_new(f->sh, SNI, 0, 0x0304), *t;
	unsigned char first[32], cur[32], prev[32];
	int rotations = 0;
	struct srv s;

	assert_int_equal(tlsraw_client_hello(old, old_out), 0);
	memcpy(first, evbuffer_pullup(old_out, -1) + evbuffer_get_length(old_out) - 32, 32);
	memcpy(prev, first, 32);
	for (int i = 0; i < TLSRAW_KEY_USES + 1; i++) {
		t = tlsraw_new(f->sh, SNI, 0, 0x0304);
		assert_int_equal(tlsraw_client_hello(t, out), 0);
		memcpy(cur, evbuffer_pullup(out, -1) + evbuffer_get_length(out) - 32, 32);
		evbuffer_drain(out, evbuffer_get_length(out));
		if (memcmp(cur, prev, 32) != 0) {
			rotations++;
			assert_int_equal(f->sh->kx_uses, 1);
		}
		memcpy(prev, cur, 32);
		tlsraw_free(t);
	}
	assert_int_equal(rotations, 1);
	assert_memory_not_equal(cur, first, 32);
	srv_open(&s, sctx);
	srv_turn(&s, old_out, in);
	assert_int_equal(tlsraw_feed(old, in), TLSRAW_DONE);
	assert_chain(tlsraw_result(old), &f->ec_leaf, &f->ec_int, 1);
	srv_close(&s);
	tlsraw_free(old);
	evbuffer_free(out);
	evbuffer_free(in);
	evbuffer_free(old_out);
	SSL_CTX_free(sctx);
}

/* ---- handshakes that do not ---- */

static void test_hello_retry_request_falls_back(void **state)
{
	const struct fx *f = *state;
	struct srv_cfg c = { .groups = "P-384" };
	struct raw_opts o = { SNI, 1, 0x0304, 0 };
	SSL_CTX *sctx = server_ctx(f, &c);
	enum tlsraw_rc rc;
	struct tlsraw *t = run_raw(f, sctx, &o, NULL, &rc);

	assert_int_equal(rc, TLSRAW_FALLBACK);
	assert_string_equal(tlsraw_result(t)->err, "HelloRetryRequest");
	assert_int_equal(tlsraw_result(t)->n_certs, 0);
	tlsraw_free(t);
	SSL_CTX_free(sctx);
}

static void test_refusals_are_alerts(void **state)
{
	const struct fx *f = *state;
	struct {
		struct srv_cfg srv;
		struct raw_opts cli;
		int desc;
		const char *err;
	} cases[] = {
		{ { .min_version = TLS1_3_VERSION }, { SNI, 0, 0x0303, 0 }, 70, "alert 70 protocol_version" },
		{ { .max_version = TLS1_2_VERSION, .ciphers = "PSK-AES128-CBC-SHA:@SECLEVEL=0" },
		  { SNI, 0, 0x0304, 0 }, 40, "alert 40 handshake_failure" },
		{ { .suites = "TLS_AES_128_CCM_SHA256", .min_version = TLS1_3_VERSION },
		  { SNI, 0, 0x0304, 0 }, 40, "alert 40 handshake_failure" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		SSL_CTX *sctx = server_ctx(f, &cases[i].srv);
		enum tlsraw_rc rc;
		struct tlsraw *t = run_raw(f, sctx, &cases[i].cli, NULL, &rc);
		const struct tlsraw_result *r = tlsraw_result(t);

		assert_int_equal(rc, TLSRAW_ALERT);
		assert_int_equal(r->alert_level, 2);
		assert_int_equal(r->alert_desc, cases[i].desc);
		assert_string_equal(r->err, cases[i].err);
		tlsraw_free(t);
		SSL_CTX_free(sctx);
	}
}

static enum tlsraw_rc feed_bytes(struct tlsraw *t, const void *p, size_t n, size_t *left)
{
	struct evbuffer *in = evbuffer_new();
	enum tlsraw_rc rc;

	assert_non_null(in);
	assert_int_equal(evbuffer_add(in, p, n), 0);
	rc = tlsraw_feed(t, in);
	if (left != NULL)
		*left = evbuffer_get_length(in);
	evbuffer_free(in);
	return rc;
}

static struct tlsraw *hello_sent(const struct fx *f, int max_version)
{
	struct raw_opts o = { SNI, 1, max_version, 0 };
	struct tlsraw *t = raw_new(f, &o);
	struct evbuffer *out = evbuffer_new();

	assert_int_equal(tlsraw_client_hello(t, out), 0);
	evbuffer_free(out);
	return t;
}

static void test_not_tls(void **state)
{
	const struct fx *f = *state;
	static const char *const inputs[] = {
		"HTTP/1.1 400 Bad Request\r\n\r\n", "SSH-2.0-OpenSSH_9.2\r\n", "220 mail.example ESMTP\r\n",
		"\x15\x02\x00\x00\x02\x02\x46", "\x80\x2e\x04\x00\x01", "H",
	};

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct tlsraw *t = hello_sent(f, 0x0304);
		size_t n = strlen(inputs[i]), left = 0;

		assert_int_equal(feed_bytes(t, inputs[i], n, &left), TLSRAW_NOT_TLS);
		assert_int_equal(left, n);  /* nothing consumed: the caller still has the bytes */
		assert_string_equal(tlsraw_result(t)->err, "not a TLS record");
		tlsraw_free(t);
	}
}

static void test_limits(void **state)
{
	const struct fx *f = *state;
	struct tlsraw *t;
	unsigned char *big = calloc(1, 5 + TLSRAW_MAX_RECORD);
	struct evbuffer *in = evbuffer_new();
	enum tlsraw_rc rc = TLSRAW_MORE;
	size_t left;

	assert_non_null(big);
	/* One byte over the record limit: ERROR on the header alone. */
	t = hello_sent(f, 0x0304);
	assert_int_equal(feed_bytes(t, "\x16\x03\x03\x48\x01", 5, NULL), TLSRAW_ERROR);
	assert_string_equal(tlsraw_result(t)->err, "record of 18433 bytes");
	tlsraw_free(t);
	/* At the limit: waits for the rest. */
	t = hello_sent(f, 0x0304);
	assert_int_equal(feed_bytes(t, "\x16\x03\x03\x48\x00", 5, &left), TLSRAW_MORE);
	assert_int_equal(left, 5);
	tlsraw_free(t);
	/* A handshake message longer than the handshake bound. */
	t = hello_sent(f, 0x0304);
	assert_int_equal(feed_bytes(t, "\x16\x03\x03\x00\x04\x02\x40\x00\x01", 9, NULL), TLSRAW_ERROR);
	tlsraw_free(t);
	/* Empty records. */
	t = hello_sent(f, 0x0304);
	assert_int_equal(feed_bytes(t, "\x16\x03\x03\x00\x00", 5, NULL), TLSRAW_ERROR);
	tlsraw_free(t);
	/* Full records of HelloRequests (ignored) until the 256 KB handshake bound trips. */
	t = hello_sent(f, 0x0304);
	memcpy(big, "\x16\x03\x03\x48\x00", 5);
	for (int i = 0; i < 40 && rc == TLSRAW_MORE; i++) {
		assert_int_equal(evbuffer_add(in, big, 5 + TLSRAW_MAX_RECORD), 0);
		rc = tlsraw_feed(t, in);
		if (rc == TLSRAW_MORE)
			assert_true((size_t)(i + 1) * TLSRAW_MAX_RECORD <= TLSRAW_MAX_HANDSHAKE);
	}
	assert_int_equal(rc, TLSRAW_ERROR);
	assert_string_equal(tlsraw_result(t)->err, "more than 262144 bytes of handshake data");
	/* Final: says it again, consumes nothing. */
	left = evbuffer_get_length(in);
	assert_int_equal(tlsraw_feed(t, in), TLSRAW_ERROR);
	assert_int_equal(evbuffer_get_length(in), left);
	tlsraw_free(t);
	/* Warning alerts are skipped (at most 5); a fatal one ends it. */
	t = hello_sent(f, 0x0304);
	assert_int_equal(feed_bytes(t, "\x15\x03\x03\x00\x02\x01\x70", 7, &left), TLSRAW_MORE);
	assert_int_equal(left, 0);
	assert_int_equal(feed_bytes(t, "\x15\x03\x03\x00\x02\x02\x28", 7, NULL), TLSRAW_ALERT);
	assert_string_equal(tlsraw_result(t)->err, "alert 40 handshake_failure");
	tlsraw_free(t);
	/* A non-handshake message where the ServerHello belongs. */
	t = hello_sent(f, 0x0304);
	assert_int_equal(feed_bytes(t, "\x16\x03\x03\x00\x04\x0e\x00\x00\x00", 9, NULL), TLSRAW_ERROR);
	assert_string_equal(tlsraw_result(t)->err, "expected ServerHello, got ServerHelloDone");
	tlsraw_free(t);
	evbuffer_free(in);
	free(big);
}

/* ---- recorded flights: chunking, truncation, tampering ---- */

/* A server flight for the fixed-secret ClientHello with these options. */
static struct evbuffer *capture(const struct fx *f, const struct srv_cfg *c, const struct raw_opts *o)
{
	SSL_CTX *sctx = server_ctx(f, c);
	struct evbuffer *flight = evbuffer_new();
	enum tlsraw_rc rc;
	struct tlsraw *t;

	assert_non_null(flight);
	t = run_raw(f, sctx, o, flight, &rc);
	assert_int_equal(rc, TLSRAW_DONE);
	tlsraw_free(t);
	SSL_CTX_free(sctx);
	return flight;
}

/* Replays `len` bytes of flight in chunks of `chunk`; returns the codec and its last verdict. */
static struct tlsraw *replay(const struct fx *f, const struct raw_opts *o, const unsigned char *flight,
                             size_t len, size_t chunk, enum tlsraw_rc *rc)
{
	struct tlsraw *t = raw_new(f, o);
	struct evbuffer *out = evbuffer_new(), *in = evbuffer_new();
	size_t off = 0;

	assert_int_equal(tlsraw_client_hello(t, out), 0);
	*rc = TLSRAW_MORE;
	while (*rc == TLSRAW_MORE && off < len) {
		size_t n = chunk < len - off ? chunk : len - off;

		assert_int_equal(evbuffer_add(in, flight + off, n), 0);
		off += n;
		*rc = tlsraw_feed(t, in);
	}
	evbuffer_free(out);
	evbuffer_free(in);
	return t;
}

static void assert_same_result(const struct tlsraw_result *a, const struct tlsraw_result *b)
{
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->cipher, b->cipher);
	assert_string_equal(a->cipher_name, b->cipher_name);
	assert_string_equal(a->version_name, b->version_name);
	assert_string_equal(a->group, b->group);
	assert_string_equal(a->alpn, b->alpn);
	assert_int_equal(a->ocsp_stapled, b->ocsp_stapled);
	assert_int_equal(a->n_certs, b->n_certs);
	for (size_t i = 0; i < a->n_certs; i++) {
		assert_int_equal(a->cert_len[i], b->cert_len[i]);
		assert_memory_equal(a->cert[i], b->cert[i], a->cert_len[i]);
	}
	assert_string_equal(a->err, b->err);
}

static void test_chunks_and_truncation(void **state)
{
	const struct fx *f = *state;
	static const size_t chunks[] = { 1, 2, 3, 7, 100, 1000, WHOLE };
	struct {
		struct srv_cfg srv;
		struct raw_opts cli;
	} cases[] = {
		{ { .alpn_h2 = 1, .staple = 1, .suites = "TLS_CHACHA20_POLY1305_SHA256" }, { SNI, 1, 0x0304, 1 } },
		{ { .rsa = 1, .request_cert = 1 }, { SNI, 0, 0x0304, 1 } },
		{ { .max_version = TLS1_2_VERSION, .alpn_h2 = 1, .staple = 1 }, { SNI, 1, 0x0304, 1 } },
		{ { .rsa = 1, .ciphers = "DHE-RSA-AES256-GCM-SHA384:@SECLEVEL=0" }, { NULL, 0, 0x0303, 1 } },
	};

	struct evbuffer *in = evbuffer_new(), *out = evbuffer_new();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct evbuffer *fl = capture(f, &cases[i].srv, &cases[i].cli);
		size_t len = evbuffer_get_length(fl);
		const unsigned char *p = evbuffer_pullup(fl, -1);
		enum tlsraw_rc rc;
		struct tlsraw *whole = replay(f, &cases[i].cli, p, len, WHOLE, &rc), *t;

		assert_int_equal(rc, TLSRAW_DONE);
		for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			t = replay(f, &cases[i].cli, p, len, chunks[c], &rc);
			assert_int_equal(rc, TLSRAW_DONE);
			assert_same_result(tlsraw_result(t), tlsraw_result(whole));
			tlsraw_free(t);
		}
		/*
		 * Truncated: find the shortest prefix that completes (the flight goes on past what
		 * the codec needs), then check one byte less is MORE with nothing lost.
		 */
		size_t need = 0;
		for (size_t cut = 1; cut <= len && need == 0; cut++) {
			t = replay(f, &cases[i].cli, p, cut, WHOLE, &rc);
			if (rc == TLSRAW_DONE)
				need = cut;
			else
				assert_int_equal(rc, TLSRAW_MORE);
			tlsraw_free(t);
		}
		assert_true(need > 0);
		t = raw_new(f, &cases[i].cli);
		assert_int_equal(tlsraw_client_hello(t, out), 0);
		for (size_t k = 0; k + 1 < need; k++) {
			assert_int_equal(evbuffer_add(in, p + k, 1), 0);
			assert_int_equal(tlsraw_feed(t, in), TLSRAW_MORE);
		}
		assert_int_equal(evbuffer_add(in, p + need - 1, 1), 0);
		assert_int_equal(tlsraw_feed(t, in), TLSRAW_DONE);
		assert_same_result(tlsraw_result(t), tlsraw_result(whole));
		/* Done is final: the rest of the flight is neither parsed nor consumed. */
		assert_int_equal(evbuffer_add(in, p + need, len - need), 0);
		assert_int_equal(evbuffer_add(in, "\x16\x03\x03\x00\x01\x00", 6), 0);
		assert_int_equal(tlsraw_feed(t, in), TLSRAW_DONE);
		assert_int_equal(evbuffer_get_length(in), len - need + 6);
		assert_same_result(tlsraw_result(t), tlsraw_result(whole));
		tlsraw_free(t);
		evbuffer_drain(in, evbuffer_get_length(in));
		evbuffer_drain(out, evbuffer_get_length(out));
		tlsraw_free(whole);
		evbuffer_free(fl);
	}
	evbuffer_free(in);
	evbuffer_free(out);
}

/* Offset of the n-th record (0-based) of content type `type` in a flight, or -1. */
static long find_record(const unsigned char *p, size_t len, unsigned type, int nth)
{
	size_t off = 0;

	while (off + 5 <= len) {
		size_t rl = (size_t)p[off + 3] << 8 | p[off + 4];

		if (p[off] == type && nth-- == 0)
			return (long)off;
		off += 5 + rl;
	}
	return -1;
}

static void test_tampering(void **state)
{
	const struct fx *f = *state;
	struct raw_opts o13 = { SNI, 1, 0x0304, 1 }, o12 = { SNI, 1, 0x0303, 1 };
	struct srv_cfg c13 = { 0 }, c12 = { .max_version = TLS1_2_VERSION };
	struct evbuffer *f13 = capture(f, &c13, &o13), *f12 = capture(f, &c12, &o13);
	size_t n13 = evbuffer_get_length(f13), n12 = evbuffer_get_length(f12);
	unsigned char *b13 = malloc(n13), *b12 = malloc(n12);
	size_t cipher_at;
	long at;
	enum tlsraw_rc rc;
	struct tlsraw *t;

	assert_non_null(b13);
	assert_non_null(b12);
	memcpy(b13, evbuffer_pullup(f13, -1), n13);
	memcpy(b12, evbuffer_pullup(f12, -1), n12);

	/* A flipped bit in an encrypted record: the AEAD refuses it. */
	at = find_record(b13, n13, 23, 0);
	assert_true(at > 0);
	b13[at + 20] ^= 0x01;
	t = replay(f, &o13, b13, n13, WHOLE, &rc);
	assert_int_equal(rc, TLSRAW_ERROR);
	assert_string_equal(tlsraw_result(t)->err, "cannot decrypt a TLS 1.3 handshake record");
	tlsraw_free(t);
	b13[at + 20] ^= 0x01;

	/* The right flight for another ClientHello (no ALPN: other transcript): wrong keys. */
	{
		struct raw_opts other = o13;

		other.alpn = 0;
		t = replay(f, &other, b13, n13, WHOLE, &rc);
		assert_int_equal(rc, TLSRAW_ERROR);
		tlsraw_free(t);
	}

	/* Compatibility ChangeCipherSpec records: the server's one is skipped, a third is not. */
	at = find_record(b13, n13, 20, 0);
	assert_true(at > 0);
	for (int extra = 1; extra <= 2; extra++) {
		struct evbuffer *fl = evbuffer_new();

		assert_int_equal(evbuffer_add(fl, b13, (size_t)at + 6), 0);
		for (int i = 0; i < extra; i++)
			assert_int_equal(evbuffer_add(fl, "\x14\x03\x03\x00\x01\x01", 6), 0);
		assert_int_equal(evbuffer_add(fl, b13 + at + 6, n13 - (size_t)at - 6), 0);
		t = replay(f, &o13, evbuffer_pullup(fl, -1), evbuffer_get_length(fl), WHOLE, &rc);
		assert_int_equal(rc, extra == 1 ? TLSRAW_DONE : TLSRAW_ERROR);
		tlsraw_free(t);
		evbuffer_free(fl);
	}

	/* A TLS 1.3 ServerHello to a client that offered 1.2 at most. */
	t = replay(f, &o12, b13, n13, WHOLE, &rc);
	assert_int_equal(rc, TLSRAW_ERROR);
	assert_string_equal(tlsraw_result(t)->err, "server chose version 0x0304, not offered");
	tlsraw_free(t);

	/* TLS 1.2 ServerHello: record 5 + header 4 + version 2 + random 32 + session id. */
	cipher_at = 5 + 4 + 2 + 32 + 1 + b12[5 + 4 + 2 + 32];
	b12[cipher_at] = 0x00;
	b12[cipher_at + 1] = 0x05;  /* RC4-SHA: never offered */
	t = replay(f, &o13, b12, n12, WHOLE, &rc);
	assert_int_equal(rc, TLSRAW_ERROR);
	assert_string_equal(tlsraw_result(t)->err, "server chose cipher suite 0x0005, not offered");
	tlsraw_free(t);
	b12[cipher_at] = 0x13;
	b12[cipher_at + 1] = 0x01;  /* a TLS 1.3 suite in TLS 1.2 */
	t = replay(f, &o13, b12, n12, WHOLE, &rc);
	assert_int_equal(rc, TLSRAW_ERROR);
	tlsraw_free(t);
	b12[cipher_at] = 0xc0;
	b12[cipher_at + 1] = 0x2c;
	b12[5 + 4 + 1] = 0x00;  /* legacy_version 0x0300: SSL 3.0 */
	t = replay(f, &o13, b12, n12, WHOLE, &rc);
	assert_int_equal(rc, TLSRAW_ERROR);
	assert_string_equal(tlsraw_result(t)->err, "server chose version 0x0300, not offered");
	tlsraw_free(t);
	b12[5 + 4 + 1] = 0x03;
	/* The TLS 1.2 downgrade sentinel of a TLS 1.3 server. */
	memcpy(b12 + 5 + 4 + 2 + 24, "DOWNGRD\x01", 8);
	t = replay(f, &o13, b12, n12, WHOLE, &rc);
	assert_int_equal(rc, TLSRAW_FALLBACK);
	tlsraw_free(t);
	/* ... which a client that offered only 1.2 accepts. */
	t = replay(f, &o12, b12, n12, WHOLE, &rc);
	assert_int_equal(rc, TLSRAW_DONE);
	tlsraw_free(t);

	free(b13);
	free(b12);
	evbuffer_free(f13);
	evbuffer_free(f12);
}

/* ---- cost ---- */

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Client CPU per handshake: ours (new, hello, feed, free) vs the OpenSSL path's (handshake, collect). */
static void bench_pair(const struct fx *f, const char *label, const struct srv_cfg *c, int rounds)
{
	SSL_CTX *sctx = server_ctx(f, c);
	struct raw_opts o = { SNI, 1, 0x0304, 0 };
	static const unsigned char alpn_wire[] = "\x02h2\x08http/1.1";
	double ours = 0, theirs = 0, t0;

	for (int i = 0; i < rounds; i++) {
		struct evbuffer *out = evbuffer_new(), *in = evbuffer_new();
		struct tlsraw *t;
		struct srv s;
		enum tlsraw_rc rc;

		srv_open(&s, sctx);
		t0 = cpu_now();
		t = tlsraw_new(f->sh, SNI, 1, 0x0304);
		assert_int_equal(tlsraw_client_hello(t, out), 0);
		ours += cpu_now() - t0;
		srv_turn(&s, out, in);
		t0 = cpu_now();
		rc = tlsraw_feed(t, in);
		tlsraw_free(t);
		ours += cpu_now() - t0;
		assert_int_equal(rc, TLSRAW_DONE);
		srv_close(&s);
		evbuffer_free(out);
		evbuffer_free(in);
	}
	for (int i = 0; i < rounds; i++) {
		SSL *cl, *sv = SSL_new(sctx);
		BIO *cb = NULL, *sb = NULL;
		struct observation *obs = obs_new();
		int done = 0;

		assert_int_equal(BIO_new_bio_pair(&cb, 1 << 19, &sb, 1 << 19), 1);
		SSL_set_bio(sv, sb, sb);
		SSL_set_accept_state(sv);
		t0 = cpu_now();
		cl = SSL_new(f->client);
		SSL_set_bio(cl, cb, cb);
		SSL_set_tlsext_host_name(cl, o.sni);
		SSL_set_alpn_protos(cl, alpn_wire, sizeof(alpn_wire) - 1);
		SSL_set_tlsext_status_type(cl, TLSEXT_STATUSTYPE_ocsp);
		SSL_set_connect_state(cl);
		theirs += cpu_now() - t0;
		for (int k = 0; k < 10 && !done; k++) {
			t0 = cpu_now();
			done = SSL_do_handshake(cl) == 1;
			if (done)
				tls_client_collect(cl, obs);
			theirs += cpu_now() - t0;
			(void)SSL_do_handshake(sv);
		}
		assert_true(done);
		t0 = cpu_now();
		SSL_free(cl);
		theirs += cpu_now() - t0;
		SSL_free(sv);
		obs_free(obs);
	}
	print_message("  %s: tlsraw %.1f us/handshake, OpenSSL client %.1f us (x%.1f)\n", label,
	              ours / rounds * 1e6, theirs / rounds * 1e6, theirs / ours);
	SSL_CTX_free(sctx);
}

static void test_cost(void **state)
{
	const struct fx *f = *state;
	struct srv_cfg c13 = { 0 }, c12 = { .max_version = TLS1_2_VERSION }, c13rsa = { .rsa = 1 };
	const struct tlsraw_hash *h = &f->sh->sha256;
	unsigned char secret[32], ours[32], kdf_out[32], info[64];
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	const int rounds = 20000;
	double t0, t_ours, t_kdf;
	size_t info_len = 0;

	bench_pair(f, "TLS 1.3 ECDSA", &c13, 300);
	bench_pair(f, "TLS 1.3 RSA  ", &c13rsa, 200);
	bench_pair(f, "TLS 1.2 ECDSA", &c12, 300);

	/* HKDF-Expand-Label: our HMAC on a keyed EVP_MAC_CTX vs EVP_KDF HKDF in EXPAND_ONLY mode. */
	for (int i = 0; i < 32; i++)
		secret[i] = (unsigned char)(i * 7);
	info[info_len++] = 0;
	info[info_len++] = 32;
	info[info_len++] = 6 + 3;
	memcpy(info + info_len, "tls13 key", 9);
	info_len += 9;
	info[info_len++] = 0;
	assert_non_null(kdf);
	t0 = cpu_now();
	for (int i = 0; i < rounds; i++)
		assert_int_equal(tls13_expand_label(h, secret, "key", NULL, 0, ours, 32), 0);
	t_ours = cpu_now() - t0;
	t0 = cpu_now();
	for (int i = 0; i < rounds; i++) {
		EVP_KDF_CTX *k = EVP_KDF_CTX_new(kdf);
		int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
		OSSL_PARAM p[] = {
			OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)(uintptr_t)"SHA256", 0),
			OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
			OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, secret, sizeof(secret)),
			OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, info_len),
			OSSL_PARAM_construct_end(),
		};

		assert_non_null(k);
		assert_int_equal(EVP_KDF_derive(k, kdf_out, sizeof(kdf_out), p), 1);
		EVP_KDF_CTX_free(k);
	}
	t_kdf = cpu_now() - t0;
	assert_memory_equal(ours, kdf_out, 32);
	print_message("  HKDF-Expand-Label: HMAC on a keyed EVP_MAC_CTX %.2f us, EVP_KDF HKDF %.2f us\n",
	              t_ours / rounds * 1e6, t_kdf / rounds * 1e6);
	EVP_KDF_free(kdf);
}

/* ---- fuzz seeds ---- */

static void write_seed(const char *dir, const char *name, unsigned char sel, struct evbuffer *fl)
{
	char path[512];
	FILE *fp;
	size_t n = evbuffer_get_length(fl);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(&sel, 1, 1, fp), 1);
	assert_int_equal(fwrite(evbuffer_pullup(fl, -1), 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

/*
 * Seeds for fuzz_tlsraw: byte 0 selects the ClientHello (bit 0: max TLS 1.2, bit 1: ALPN,
 * bit 7: no SNI, SNI otherwise "fuzz.example.test"), the rest is the server's flight.
 */
static void test_write_fuzz_seeds(void **state)
{
	const struct fx *f = *state;
	const char *dir = getenv("TLSRAW_CORPUS_DIR");
	struct {
		const char *name;
		unsigned char sel;
		struct srv_cfg srv;
	} seeds[] = {
		{ "tls13-ecdsa-alpn-ocsp", 0x02, { .alpn_h2 = 1, .staple = 1 } },
		{ "tls13-rsa-certreq-chacha", 0x00, { .rsa = 1, .request_cert = 1,
		                                      .suites = "TLS_CHACHA20_POLY1305_SHA256" } },
		{ "tls13-hrr", 0x00, { .groups = "P-384" } },
		{ "tls12-ecdhe-ecdsa-alpn-ocsp", 0x03, { .alpn_h2 = 1, .staple = 1 } },
		{ "tls12-dhe-rsa", 0x01, { .rsa = 1, .ciphers = "DHE-RSA-AES128-SHA256:@SECLEVEL=0" } },
		{ "tls12-rsa-certreq", 0x81, { .rsa = 1, .request_cert = 1, .ciphers = "AES256-SHA" } },
		{ "tls10-ecdhe-rsa", 0x00, { .rsa = 1, .max_version = TLS1_VERSION } },
		{ "alert-protocol-version", 0x01, { .min_version = TLS1_3_VERSION } },
	};

	if (dir == NULL) {
		skip();
		return;
	}
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		struct raw_opts o = { (seeds[i].sel & 0x80) ? NULL : "fuzz.example.test", (seeds[i].sel & 2) != 0,
		                      (seeds[i].sel & 1) ? 0x0303 : 0x0304, 1 };
		SSL_CTX *sctx = server_ctx(f, &seeds[i].srv);
		struct evbuffer *fl = evbuffer_new();
		enum tlsraw_rc rc;
		struct tlsraw *t = run_raw(f, sctx, &o, fl, &rc);

		write_seed(dir, seeds[i].name, seeds[i].sel, fl);
		print_message("  seed %s: %zu bytes, rc %d\n", seeds[i].name, evbuffer_get_length(fl), (int)rc);
		tlsraw_free(t);
		evbuffer_free(fl);
		SSL_CTX_free(sctx);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_matches_openssl),
		cmocka_unit_test(test_new_rejects_bad_arguments),
		cmocka_unit_test(test_handshakes),
		cmocka_unit_test(test_long_chain_kept_to_16),
		cmocka_unit_test(test_key_rotation),
		cmocka_unit_test(test_hello_retry_request_falls_back),
		cmocka_unit_test(test_refusals_are_alerts),
		cmocka_unit_test(test_not_tls),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_chunks_and_truncation),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_cost),
		cmocka_unit_test(test_write_fuzz_seeds),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
