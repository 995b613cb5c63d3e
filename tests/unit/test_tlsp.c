/*
 * test_tlsp.c: the passive TLS observer (passive/tlsp.h) on recorded handshakes and on hostile
 * input.
 *
 * The recorded streams of tests/unit/data/tlsp (see its README: openssl s_client against
 * s_server through a recording proxy on 127.0.0.1) are fed as captured, one byte at a time,
 * in random chunks with the directions interleaved at random, server first, re-framed into
 * other record sizes, and behind STARTTLS clear text; every way must give the same result.
 * Expected values: the JA3/JA3S strings and MD5s tshark 4.0 computed from pcaps of the same
 * exchanges (the NAME.tshark files), the versions and suites s_client reported, and the DER of
 * the certificates (openssl x509 -outform der). Synthetic hellos check what the recordings
 * lack (no extensions, repeated extensions, overlong fingerprints) against MD5s computed with
 * Python's hashlib; hostile inputs check every limit of tlsp.h.
 *
 * The data folder is TLSP_DATA_DIR, else tests/unit/data/tlsp (tests run from the top folder).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "passive/tlsp.h"

#define SNI "www.example.test"

/* tls12.tshark / tls12-client-cert.tshark */
#define JA3_TLS12 "771,49196-49200-159-52393-52392-52394-49195-49199-158-49188-49192-107-49187-" \
	"49191-103-49162-49172-57-49161-49171-51-157-156-61-60-53-47-255,0-11-10-35-22-23-13," \
	"29-23-30-25-24,0-1-2"
#define JA3_TLS12_MD5 "871a754af286dfb70c1b53c6887c62e0"
#define JA3S_TLS12 "771,49196,65281-11-35-23"
#define JA3S_TLS12_MD5 "abade5a4a7f42baf54766e5d108283b6"
/* tls13.tshark and grease.tshark (the padding extension, 21, is kept) */
#define JA3_TLS13 "771,4866-4867-4865-255,0-11-10-35-16-22-23-13-43-45-51-21," \
	"29-23-30-25-24-256-257-258-259-260,0-1-2"
#define JA3_TLS13_MD5 "a4e852ed87d60903caddb37da85ae9a9"
/* tls13.tshark and tls13-hrr.tshark */
#define JA3S_TLS13 "771,4866,43-51"
#define JA3S_TLS13_MD5 "15af977ce25de452b96affa2addb1036"
/* tls13-hrr.tshark */
#define JA3_HRR "771,4866-4867-4865-255,0-11-10-35-22-23-13-43-45-51," \
	"29-23-30-25-24-256-257-258-259-260,0-1-2"
#define JA3_HRR_MD5 "f146948b4a599d4d7ddf071b74696983"

/* A byte buffer (test code: grows without bound, aborts the test on allocation failure). */
struct bb {
	unsigned char *p;
	size_t n, cap;
};

struct conv {
	struct bb c2s, s2c;
};

struct fx {
	struct conv tls12, tls13, certreq, hrr, grease;
	struct bb server_der, int_der, client_der;
};

static void put(struct bb *b, const void *src, size_t n)
{
	if (b->cap - b->n < n) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap - b->n < n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		assert_non_null(b->p);
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->n, src, n);
	b->n += n;
}

static void put_uint(struct bb *b, size_t v, int width)
{
	unsigned char x[3];

	for (int i = 0; i < width; i++)
		x[i] = (unsigned char)(v >> (8 * (width - 1 - i)));
	put(b, x, (size_t)width);
}

static void put_str(struct bb *b, const char *s)
{
	put(b, s, strlen(s));
}

/* Opens a vector with a width-byte length prefix; close_vec fills it in. */
static size_t open_vec(struct bb *b, int width)
{
	size_t at = b->n;

	put_uint(b, 0, width);
	return at;
}

static void close_vec(struct bb *b, size_t at, int width)
{
	size_t len = b->n - at - (size_t)width;

	for (int i = 0; i < width; i++)
		b->p[at + (size_t)i] = (unsigned char)(len >> (8 * (width - 1 - i)));
}

/* Records of content type `type` carrying p[0..n), at most max bytes each. */
static void put_records(struct bb *out, unsigned type, const unsigned char *p, size_t n, size_t max)
{
	do {
		size_t k = n < max ? n : max;

		put_uint(out, type, 1);
		put_uint(out, 0x0303, 2);
		put_uint(out, k, 2);
		put(out, p, k);
		p += k;
		n -= k;
	} while (n > 0);
}

static void put_msg(struct bb *out, unsigned type, const struct bb *body)
{
	put_uint(out, type, 1);
	put_uint(out, body->n, 3);
	put(out, body->p, body->n);
}

/* One handshake message in one record. */
static void put_msg_record(struct bb *out, unsigned type, const struct bb *body)
{
	struct bb m = { 0 };

	put_msg(&m, type, body);
	put_records(out, 22, m.p, m.n, 16384);
	free(m.p);
}

static void put_ext(struct bb *exts, unsigned type, const struct bb *body)
{
	put_uint(exts, type, 2);
	put_uint(exts, body != NULL ? body->n : 0, 2);
	if (body != NULL)
		put(exts, body->p, body->n);
}

/* A ClientHello body; exts NULL: no extensions block at all. */
static void client_hello_body(struct bb *b, unsigned version, const unsigned *suites, size_t ns,
                              const struct bb *exts)
{
	size_t at;

	put_uint(b, version, 2);
	for (int i = 0; i < 32; i++)
		put_uint(b, (size_t)i, 1);
	put_uint(b, 0, 1);                 /* session id */
	at = open_vec(b, 2);
	for (size_t i = 0; i < ns; i++)
		put_uint(b, suites[i], 2);
	close_vec(b, at, 2);
	put_uint(b, 1, 1);                 /* compression: null */
	put_uint(b, 0, 1);
	if (exts != NULL) {
		put_uint(b, exts->n, 2);
		put(b, exts->p, exts->n);
	}
}

/* A ServerHello body; exts NULL: no extensions block. */
static void server_hello_body(struct bb *b, unsigned version, unsigned suite, const struct bb *exts)
{
	put_uint(b, version, 2);
	for (int i = 0; i < 32; i++)
		put_uint(b, (size_t)(0x40 + i), 1);
	put_uint(b, 0, 1);
	put_uint(b, suite, 2);
	put_uint(b, 0, 1);
	if (exts != NULL) {
		put_uint(b, exts->n, 2);
		put(b, exts->p, exts->n);
	}
}

/* A Certificate body from n entries of the given lengths (content: a repeated byte). */
static void certificate_body(struct bb *b, const size_t *lens, size_t n)
{
	size_t at = open_vec(b, 3);

	for (size_t i = 0; i < n; i++) {
		put_uint(b, lens[i], 3);
		for (size_t k = 0; k < lens[i]; k++)
			put_uint(b, (i + 1) & 0xff, 1);
	}
	close_vec(b, at, 3);
}

static void load(const char *dir, const char *name, struct bb *b, int required)
{
	char path[1024];
	unsigned char buf[4096];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (f == NULL) {
		if (required)
			fail_msg("cannot open %s (set TLSP_DATA_DIR?)", path);
		return;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		put(b, buf, n);
	fclose(f);
}

static void load_conv(const char *dir, const char *name, struct conv *c, int with_server)
{
	char file[256];

	snprintf(file, sizeof(file), "%s.c2s", name);
	load(dir, file, &c->c2s, 1);
	snprintf(file, sizeof(file), "%s.s2c", name);
	load(dir, file, &c->s2c, with_server);
}

static int group_setup(void **state)
{
	const char *dir = getenv("TLSP_DATA_DIR");
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (dir == NULL)
		dir = "tests/unit/data/tlsp";
	load_conv(dir, "tls12", &f->tls12, 1);
	load_conv(dir, "tls13", &f->tls13, 1);
	load_conv(dir, "tls12-client-cert", &f->certreq, 1);
	load_conv(dir, "tls13-hrr", &f->hrr, 1);
	load_conv(dir, "grease", &f->grease, 0);
	load(dir, "server.der", &f->server_der, 1);
	load(dir, "int.der", &f->int_der, 1);
	load(dir, "client.der", &f->client_der, 1);
	*state = f;
	return 0;
}

static void conv_free(struct conv *c)
{
	free(c->c2s.p);
	free(c->s2c.p);
}

static int group_teardown(void **state)
{
	struct fx *f = *state;

	conv_free(&f->tls12);
	conv_free(&f->tls13);
	conv_free(&f->certreq);
	conv_free(&f->hrr);
	conv_free(&f->grease);
	free(f->server_der.p);
	free(f->int_der.p);
	free(f->client_der.p);
	free(f);
	return 0;
}

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

enum how { WHOLE, SERVER_FIRST, BYTES, RANDOM };

/* Feeds both streams: whole (client first, or server first), one byte at a time alternating
 * the directions, or in random chunks of 1..300 bytes from a random direction (seeded). Each
 * feed's answer must be the direction's state. */
static struct tlsp *run(const struct bb *c2s, const struct bb *s2c, enum how how, uint64_t seed)
{
	struct tlsp *t = tlsp_new();
	const struct bb *s[2] = { c2s, s2c };
	size_t off[2] = { 0, 0 };

	assert_non_null(t);
	if (how == WHOLE || how == SERVER_FIRST) {
		for (int i = 0; i < 2; i++) {
			int dir = how == WHOLE ? i : 1 - i;
			enum tlsp_state st = tlsp_feed(t, dir, s[dir]->p, s[dir]->n);

			assert_int_equal(st, tlsp_state(t, dir));
		}
		return t;
	}
	while (off[0] < s[0]->n || off[1] < s[1]->n) {
		uint64_t x = rng_next(&seed);
		enum tlsp_state st;
		int dir = how == BYTES ? off[0] > off[1] : (int)(x & 1);
		size_t k = how == BYTES ? 1 : 1 + (size_t)((x >> 8) % 300);

		if (off[dir] == s[dir]->n)
			dir = 1 - dir;
		if (k > s[dir]->n - off[dir])
			k = s[dir]->n - off[dir];
		st = tlsp_feed(t, dir, s[dir]->p + off[dir], k);
		assert_int_equal(st, tlsp_state(t, dir));
		off[dir] += k;
	}
	return t;
}

static void assert_same_chain(const struct der_blob *a, size_t na, const struct der_blob *b,
                              size_t nb)
{
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		assert_int_equal(a[i].len, b[i].len);
		assert_memory_equal(a[i].der, b[i].der, a[i].len);
	}
}

static void assert_same(const struct tlsp *x, const struct tlsp *y)
{
	const struct tlsp_result *a = tlsp_result(x), *b = tlsp_result(y);

	assert_int_equal(tlsp_state(x, 0), tlsp_state(y, 0));
	assert_int_equal(tlsp_state(x, 1), tlsp_state(y, 1));
	assert_int_equal(a->client_hello, b->client_hello);
	assert_int_equal(a->server_hello, b->server_hello);
	assert_int_equal(a->client_version, b->client_version);
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->cipher, b->cipher);
	assert_string_equal(a->sni, b->sni);
	assert_string_equal(a->ja3, b->ja3);
	assert_string_equal(a->ja3_md5, b->ja3_md5);
	assert_string_equal(a->ja3s, b->ja3s);
	assert_string_equal(a->ja3s_md5, b->ja3s_md5);
	assert_string_equal(a->starttls, b->starttls);
	assert_int_equal(a->chain_truncated, b->chain_truncated);
	assert_string_equal(a->error, b->error);
	assert_same_chain(a->server_chain, a->n_server_chain, b->server_chain, b->n_server_chain);
	assert_same_chain(a->client_chain, a->n_client_chain, b->client_chain, b->n_client_chain);
}

static void assert_der(const struct der_blob *d, const struct bb *want)
{
	assert_int_equal(d->len, want->n);
	assert_memory_equal(d->der, want->p, want->n);
}

/* What the TLS 1.2 recordings must give (tls12.tshark, s_client: ECDHE-ECDSA-AES256-GCM-SHA384). */
static void assert_tls12(const struct fx *f, const struct tlsp *t, int client_cert)
{
	const struct tlsp_result *r = tlsp_result(t);

	assert_int_equal(tlsp_state(t, 0), TLSP_DONE);
	assert_int_equal(tlsp_state(t, 1), TLSP_DONE);
	assert_true(tlsp_finished(t));
	assert_true(r->client_hello);
	assert_true(r->server_hello);
	assert_int_equal(r->client_version, 0x0303);
	assert_int_equal(r->version, 0x0303);
	assert_int_equal(r->cipher, 0xc02c);
	assert_string_equal(r->sni, SNI);
	assert_string_equal(r->ja3, JA3_TLS12);
	assert_string_equal(r->ja3_md5, JA3_TLS12_MD5);
	assert_string_equal(r->ja3s, JA3S_TLS12);
	assert_string_equal(r->ja3s_md5, JA3S_TLS12_MD5);
	assert_int_equal(r->n_server_chain, 2);
	assert_der(&r->server_chain[0], &f->server_der);
	assert_der(&r->server_chain[1], &f->int_der);
	if (client_cert) {
		assert_int_equal(r->n_client_chain, 2);
		assert_der(&r->client_chain[0], &f->client_der);
		assert_der(&r->client_chain[1], &f->int_der);
	} else {
		assert_int_equal(r->n_client_chain, 0);
	}
	assert_false(r->chain_truncated);
	assert_string_equal(r->error, "");
}

/* What the TLS 1.3 recordings must give (TLS_AES_256_GCM_SHA384; certificates encrypted). */
static void assert_tls13(const struct tlsp *t, const char *ja3, const char *ja3_md5)
{
	const struct tlsp_result *r = tlsp_result(t);

	assert_int_equal(tlsp_state(t, 0), TLSP_DONE);
	assert_int_equal(tlsp_state(t, 1), TLSP_DONE);
	assert_true(tlsp_finished(t));
	assert_true(r->client_hello);
	assert_true(r->server_hello);
	assert_int_equal(r->client_version, 0x0303);
	assert_int_equal(r->version, 0x0304);
	assert_int_equal(r->cipher, 0x1302);
	assert_string_equal(r->sni, SNI);
	assert_string_equal(r->ja3, ja3);
	assert_string_equal(r->ja3_md5, ja3_md5);
	assert_string_equal(r->ja3s, JA3S_TLS13);
	assert_string_equal(r->ja3s_md5, JA3S_TLS13_MD5);
	assert_int_equal(r->n_server_chain, 0);
	assert_int_equal(r->n_client_chain, 0);
	assert_string_equal(r->error, "");
	assert_string_equal(r->starttls, "");
}

static void test_tls12(void **state)
{
	struct fx *f = *state;
	struct tlsp *t = run(&f->tls12.c2s, &f->tls12.s2c, WHOLE, 0);

	assert_tls12(f, t, 0);
	assert_string_equal(tlsp_result(t)->starttls, "");
	tlsp_free(t);
}

static void test_tls12_client_cert(void **state)
{
	struct fx *f = *state;
	struct tlsp *t = run(&f->certreq.c2s, &f->certreq.s2c, WHOLE, 0);

	assert_tls12(f, t, 1);
	tlsp_free(t);
}

static void test_tls13(void **state)
{
	struct fx *f = *state;
	struct tlsp *t = run(&f->tls13.c2s, &f->tls13.s2c, WHOLE, 0);

	assert_tls13(t, JA3_TLS13, JA3_TLS13_MD5);
	tlsp_free(t);
}

/* HelloRetryRequest, the server's compatibility CCS after it, the real ServerHello; the JA3 is
 * the first ClientHello's. */
static void test_tls13_hrr(void **state)
{
	struct fx *f = *state;
	struct tlsp *t = run(&f->hrr.c2s, &f->hrr.s2c, WHOLE, 0);

	assert_tls13(t, JA3_HRR, JA3_HRR_MD5);
	tlsp_free(t);
}

/* GREASE suites, extensions, groups and versions leave the JA3 as it was without them. */
static void test_grease(void **state)
{
	static const unsigned char grease_suite[] = { 0x0a, 0x0a };
	struct fx *f = *state;
	struct bb none = { 0 };
	struct tlsp *t = run(&f->grease.c2s, &none, WHOLE, 0);
	const struct tlsp_result *r = tlsp_result(t);

	assert_memory_equal(f->grease.c2s.p + 5 + 4 + 2 + 32 + 1 + 32 + 2, grease_suite, 2);
	assert_int_equal(tlsp_state(t, 0), TLSP_MORE);  /* the hello alone: waiting for more */
	assert_int_equal(tlsp_state(t, 1), TLSP_MORE);
	assert_false(tlsp_finished(t));
	assert_true(r->client_hello);
	assert_false(r->server_hello);
	assert_string_equal(r->ja3, JA3_TLS13);
	assert_string_equal(r->ja3_md5, JA3_TLS13_MD5);
	assert_string_equal(r->ja3s, "");
	assert_string_equal(r->ja3s_md5, "");
	assert_string_equal(r->sni, SNI);
	tlsp_free(t);
}

/* Every recording gives the same result however it is cut and interleaved. */
static void test_chunking(void **state)
{
	struct fx *f = *state;
	const struct conv *convs[] = { &f->tls12, &f->tls13, &f->certreq, &f->hrr };

	for (size_t i = 0; i < sizeof(convs) / sizeof(convs[0]); i++) {
		struct tlsp *ref = run(&convs[i]->c2s, &convs[i]->s2c, WHOLE, 0), *t;

		t = run(&convs[i]->c2s, &convs[i]->s2c, SERVER_FIRST, 0);
		assert_same(ref, t);
		tlsp_free(t);
		t = run(&convs[i]->c2s, &convs[i]->s2c, BYTES, 0);
		assert_same(ref, t);
		tlsp_free(t);
		for (uint64_t seed = 1; seed <= 40; seed++) {
			t = run(&convs[i]->c2s, &convs[i]->s2c, RANDOM, seed);
			assert_same(ref, t);
			tlsp_free(t);
		}
		tlsp_free(ref);
	}
}

/* The handshake bytes of the leading handshake records of s, in records of at most max bytes,
 * then the rest of s as it was. */
static struct bb reframe(const struct bb *s, size_t max)
{
	struct bb hs = { 0 }, out = { 0 };
	size_t off = 0;

	while (s->n - off >= 5 && s->p[off] == 22) {
		size_t len = (size_t)s->p[off + 3] << 8 | s->p[off + 4];

		assert_true(s->n - off - 5 >= len);
		put(&hs, s->p + off + 5, len);
		off += 5 + len;
	}
	assert_true(hs.n > 0);
	put_records(&out, 22, hs.p, hs.n, max);
	put(&out, s->p + off, s->n - off);
	free(hs.p);
	return out;
}

/* Messages split over many records, and many messages in one record. */
static void test_reframe(void **state)
{
	static const size_t sizes[] = { 1, 3, 4, 5, 7, 100, 16384 };
	struct fx *f = *state;
	const struct conv *convs[] = { &f->tls12, &f->certreq, &f->hrr };

	for (size_t i = 0; i < sizeof(convs) / sizeof(convs[0]); i++) {
		struct tlsp *ref = run(&convs[i]->c2s, &convs[i]->s2c, WHOLE, 0);

		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			struct bb c = reframe(&convs[i]->c2s, sizes[k]);
			struct bb s = reframe(&convs[i]->s2c, sizes[k]);
			struct tlsp *t = run(&c, &s, WHOLE, 0);

			assert_same(ref, t);
			tlsp_free(t);
			t = run(&c, &s, RANDOM, k + 1);
			assert_same(ref, t);
			tlsp_free(t);
			free(c.p);
			free(s.p);
		}
		tlsp_free(ref);
	}
	/* The TLS <= 1.2 server flight in one record: ServerHello ... ServerHelloDone. */
	{
		struct bb s = reframe(&f->tls12.s2c, 16384);

		assert_true(s.n > 1024 && ((size_t)s.p[3] << 8 | s.p[4]) > 1024);
		free(s.p);
	}
}

/* The length of the first record of s (the ClientHello of a recording). */
static size_t first_record(const struct bb *s)
{
	return 5 + ((size_t)s->p[3] << 8 | s->p[4]);
}

/* TLS 1.3: the client's direction ends after its ClientHello once the server chose 1.3,
 * whichever side is fed first; anything the client sends after it is not read. */
static void test_tls13_order(void **state)
{
	static const unsigned char garbage[] = { 0x16, 0x03, 0x03, 0x00, 0x04, 0x63, 0, 0, 0 };
	struct fx *f = *state;
	size_t ch = first_record(&f->tls13.c2s);
	struct tlsp *t = tlsp_new();

	/* Client first: the ClientHello alone waits; the ServerHello ends both. */
	assert_non_null(t);
	assert_int_equal(tlsp_feed(t, 0, f->tls13.c2s.p, ch), TLSP_MORE);
	assert_false(tlsp_finished(t));
	assert_int_equal(tlsp_feed(t, 1, f->tls13.s2c.p, f->tls13.s2c.n), TLSP_DONE);
	assert_int_equal(tlsp_state(t, 0), TLSP_DONE);
	assert_true(tlsp_finished(t));
	assert_int_equal(tlsp_feed(t, 0, garbage, sizeof(garbage)), TLSP_DONE);
	assert_string_equal(tlsp_result(t)->error, "");
	tlsp_free(t);

	/* Server first: the ClientHello ends the client's side at once, garbage after it unread. */
	t = tlsp_new();
	assert_non_null(t);
	assert_int_equal(tlsp_feed(t, 1, f->tls13.s2c.p, 10), TLSP_MORE);
	assert_int_equal(tlsp_feed(t, 1, f->tls13.s2c.p + 10, f->tls13.s2c.n - 10), TLSP_DONE);
	assert_false(tlsp_finished(t));
	{
		struct bb c = { 0 };

		put(&c, f->tls13.c2s.p, ch);
		put(&c, garbage, sizeof(garbage));
		assert_int_equal(tlsp_feed(t, 0, c.p, c.n), TLSP_DONE);
		free(c.p);
	}
	assert_true(tlsp_finished(t));
	assert_tls13(t, JA3_TLS13, JA3_TLS13_MD5);
	tlsp_free(t);

	/* Without the server's answer the same garbage is read, and is an error. */
	t = tlsp_new();
	assert_non_null(t);
	assert_int_equal(tlsp_feed(t, 0, f->tls13.c2s.p, ch), TLSP_MORE);
	assert_int_equal(tlsp_feed(t, 0, garbage, sizeof(garbage)), TLSP_ERROR);
	assert_true(tlsp_result(t)->client_hello);
	assert_string_equal(tlsp_result(t)->ja3_md5, JA3_TLS13_MD5);
	assert_string_equal(tlsp_result(t)->error,
	                    "client: unexpected unknown message 99 from the client");
	tlsp_free(t);
}

struct starttls_case {
	const char *client, *server;  /* clear text before each side's TLS */
	const char *proto;
};

static const struct starttls_case starttls_cases[] = {
	{ "EHLO client.test\r\nSTARTTLS\r\n",
	  "220 mx.test ESMTP\r\n250-mx.test\r\n250-SIZE 1000\r\n250 STARTTLS\r\n"
	  "220 2.0.0 go ahead\r\n",
	  "smtp" },
	{ "ehlo client.test\r\nMAIL FROM:<a@b.test>\r\nRSET\r\nstarttls\r\n",
	  "220 mx.test ESMTP\r\n250 STARTTLS\r\n250 ok\r\n250 ok\r\n220 go\r\n", "smtp" },
	{ "HELO client.test\r\nSTARTTLS\n", "220 mx\n250 mx\n220 go\n", "smtp" },
	{ "a1 CAPABILITY\r\na2 STARTTLS\r\n",
	  "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n* CAPABILITY IMAP4rev1 STARTTLS\r\n"
	  "a1 OK done\r\na2 OK Begin TLS negotiation now\r\n", "imap" },
	{ "CAPA\r\nSTLS\r\n", "+OK POP3 ready\r\n+OK\r\nSTLS\r\nUSER\r\n.\r\n+OK Begin TLS\r\n",
	  "pop3" },
	{ "AUTH TLS\r\n", "220 FTP ready\r\n234 AUTH TLS OK.\r\n", "ftp" },
	{ "FEAT\r\nAUTH SSL\r\n",
	  "220 FTP ready\r\n211-Features:\r\n AUTH TLS\r\n211 End\r\n234 ok\r\n", "ftp" },
	{ "<?xml version='1.0'?><stream:stream to='example.test' xmlns='jabber:client' "
	  "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
	  "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
	  "<?xml version='1.0'?><stream:stream from='example.test' id='x' xmlns='jabber:client' "
	  "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'><stream:features>"
	  "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
	  "</stream:features><proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", "xmpp" },
	{ "<stream:stream to='x.test'>\n  <starttls xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\"/>",
	  "<stream:stream>\n<proceed xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\"/>", "xmpp" },
	/* A bare STARTTLS without EHLO (NNTP's): followed, but not named. */
	{ "CAPABILITIES\r\nSTARTTLS\r\n", "200 news\r\n101 caps\r\nSTARTTLS\r\n.\r\n382 go\r\n",
	  "" },
};

static void test_starttls(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(starttls_cases) / sizeof(starttls_cases[0]); i++) {
		const struct starttls_case *sc = &starttls_cases[i];
		struct bb c = { 0 }, s = { 0 };

		put_str(&c, sc->client);
		put(&c, f->tls12.c2s.p, f->tls12.c2s.n);
		put_str(&s, sc->server);
		put(&s, f->tls12.s2c.p, f->tls12.s2c.n);
		for (enum how how = WHOLE; how <= RANDOM; how++) {
			struct tlsp *t = run(&c, &s, how, i + 1);

			assert_tls12(f, t, 0);
			assert_string_equal(tlsp_result(t)->starttls, sc->proto);
			tlsp_free(t);
		}
		free(c.p);
		free(s.p);
	}
}

/* Streams that are not TLS, and the bounds of the clear-text phase. */
static void test_not_tls(void **state)
{
	static const unsigned char sslv2[] = { 0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00,
	                                       0x00 };
	static const unsigned char binary[] = { 0x00, 0x01, 0x02, 0x03 };
	static const unsigned char bad_version[] = { 0x16, 0x05, 0x01, 0x00, 0x10 };
	static const char http[] = "GET / HTTP/1.1\r\nHost: www.example.test\r\n\r\n";
	struct fx *f = *state;
	struct tlsp *t = tlsp_new();
	struct bb text = { 0 };

	assert_non_null(t);
	assert_int_equal(tlsp_feed(t, 0, sslv2, sizeof(sslv2)), TLSP_NOT_TLS);
	assert_int_equal(tlsp_feed(t, 1, binary, sizeof(binary)), TLSP_NOT_TLS);
	assert_true(tlsp_finished(t));
	assert_string_equal(tlsp_result(t)->error, "");
	tlsp_free(t);

	/* A first record header that is not TLS; a lone 0x16 still waits. */
	t = tlsp_new();
	assert_non_null(t);
	assert_int_equal(tlsp_feed(t, 0, bad_version, sizeof(bad_version)), TLSP_NOT_TLS);
	assert_int_equal(tlsp_feed(t, 1, bad_version, 1), TLSP_MORE);
	tlsp_free(t);

	/* STARTTLS followed by a record header that is not TLS: NOT_TLS, and no protocol named. */
	t = tlsp_new();
	assert_non_null(t);
	assert_int_equal(tlsp_feed(t, 0, (const unsigned char *)"EHLO x\r\nSTARTTLS\r\n", 18),
	                 TLSP_MORE);
	assert_int_equal(tlsp_feed(t, 0, bad_version, sizeof(bad_version)), TLSP_NOT_TLS);
	assert_string_equal(tlsp_result(t)->starttls, "");
	tlsp_free(t);

	/* Text with a control byte in it. */
	t = tlsp_new();
	assert_non_null(t);
	assert_int_equal(tlsp_feed(t, 0, (const unsigned char *)"EHLO x\r\n\001", 9), TLSP_NOT_TLS);
	tlsp_free(t);

	/* HTTP: text, waiting, until more than 8 KiB of it were seen. */
	t = tlsp_new();
	assert_non_null(t);
	while (text.n + sizeof(http) - 1 <= 8192)
		put_str(&text, http);
	assert_int_equal(tlsp_feed(t, 0, text.p, text.n), TLSP_MORE);
	while (text.n < 8192) {
		assert_int_equal(tlsp_feed(t, 0, (const unsigned char *)"x", 1), TLSP_MORE);
		text.n++;
	}
	assert_int_equal(tlsp_feed(t, 0, (const unsigned char *)"x", 1), TLSP_NOT_TLS);
	tlsp_free(t);
	free(text.p);

	/* Exactly 8 KiB of clear text then TLS: followed; one byte more: NOT_TLS. */
	for (int extra = 0; extra <= 1; extra++) {
		struct bb c = { 0 };

		while (c.n < 8192 - 2 + (size_t)extra)
			put_str(&c, "a");
		put_str(&c, "\r\n");
		assert_int_equal(c.n, 8192 + (size_t)extra);
		put(&c, f->tls12.c2s.p, f->tls12.c2s.n);
		t = tlsp_new();
		assert_non_null(t);
		assert_int_equal(tlsp_feed(t, 0, c.p, c.n), extra ? TLSP_NOT_TLS : TLSP_DONE);
		assert_int_equal(tlsp_result(t)->client_hello, !extra);
		tlsp_free(t);
		free(c.p);
	}
}

/* The TLS 1.2 server's ServerHello record (first record of tls12.s2c). */
static struct tlsp *after_server_hello(const struct fx *f)
{
	struct tlsp *t = tlsp_new();

	assert_non_null(t);
	assert_int_equal(tlsp_feed(t, 1, f->tls12.s2c.p, first_record(&f->tls12.s2c)), TLSP_MORE);
	assert_true(tlsp_result(t)->server_hello);
	return t;
}

/* Feeds `times` copies of rec to the server side; returns the state after the last. */
static enum tlsp_state repeat(struct tlsp *t, int dir, const unsigned char *rec, size_t n,
                              int times)
{
	enum tlsp_state st = TLSP_MORE;

	for (int i = 0; i < times; i++)
		st = tlsp_feed(t, dir, rec, n);
	return st;
}

static void test_hostile_records(void **state)
{
	static const unsigned char ccs[] = { 0x14, 0x03, 0x03, 0x00, 0x01, 0x01 };
	static const unsigned char ccs2[] = { 0x14, 0x03, 0x03, 0x00, 0x02, 0x01, 0x01 };
	static const unsigned char warning[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x70 };
	static const unsigned char fatal[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28 };
	static const unsigned char empty_hs[] = { 0x16, 0x03, 0x03, 0x00, 0x00 };
	static const unsigned char hello_request[] = { 0x16, 0x03, 0x03, 0x00, 0x04, 0, 0, 0, 0 };
	static const unsigned char long_rec[] = { 0x16, 0x03, 0x03, 0x48, 0x01 };
	static const unsigned char max_rec[] = { 0x16, 0x03, 0x03, 0x48, 0x00 };
	static const unsigned char bad_type[] = { 0x30, 0x03, 0x03, 0x00, 0x01, 0x00 };
	struct fx *f = *state;
	struct tlsp *t;

	/* Endless ChangeCipherSpec: the first one ends the direction; the rest is ignored. */
	t = after_server_hello(f);
	assert_int_equal(repeat(t, 1, ccs, sizeof(ccs), 1000), TLSP_DONE);
	assert_string_equal(tlsp_result(t)->error, "");
	assert_int_equal(tlsp_result(t)->n_server_chain, 0);
	tlsp_free(t);
	t = after_server_hello(f);
	assert_int_equal(tlsp_feed(t, 1, ccs2, sizeof(ccs2)), TLSP_ERROR);
	assert_string_equal(tlsp_result(t)->error, "server: malformed ChangeCipherSpec");
	tlsp_free(t);

	/* Warning alerts: four are skipped, the fifth is too many; a fatal one ends. */
	t = after_server_hello(f);
	assert_int_equal(repeat(t, 1, warning, sizeof(warning), 4), TLSP_MORE);
	assert_int_equal(tlsp_feed(t, 1, warning, sizeof(warning)), TLSP_ERROR);
	assert_string_equal(tlsp_result(t)->error, "server: more than 4 warning alerts");
	tlsp_free(t);
	t = after_server_hello(f);
	assert_int_equal(tlsp_feed(t, 1, fatal, sizeof(fatal)), TLSP_DONE);
	tlsp_free(t);

	/* Zero-length handshake record. */
	t = after_server_hello(f);
	assert_int_equal(tlsp_feed(t, 1, empty_hs, sizeof(empty_hs)), TLSP_ERROR);
	assert_string_equal(tlsp_result(t)->error, "server: empty handshake record");
	assert_true(tlsp_result(t)->server_hello);     /* what was found is kept */
	assert_string_equal(tlsp_result(t)->ja3s, JA3S_TLS12);
	tlsp_free(t);

	/* Endless HelloRequests: 64 messages at most (the ServerHello was the first). */
	t = after_server_hello(f);
	assert_int_equal(repeat(t, 1, hello_request, sizeof(hello_request), 63), TLSP_MORE);
	assert_int_equal(tlsp_feed(t, 1, hello_request, sizeof(hello_request)), TLSP_ERROR);
	assert_string_equal(tlsp_result(t)->error, "server: more than 64 handshake messages");
	tlsp_free(t);

	/* Record lengths: 2^14 + 2048 is the most. */
	t = after_server_hello(f);
	assert_int_equal(tlsp_feed(t, 1, max_rec, sizeof(max_rec)), TLSP_MORE);
	tlsp_free(t);
	t = after_server_hello(f);
	assert_int_equal(tlsp_feed(t, 1, long_rec, sizeof(long_rec)), TLSP_ERROR);
	assert_string_equal(tlsp_result(t)->error, "server: record of 18433 bytes");
	tlsp_free(t);

	/* A content type that is not TLS after the first record. */
	t = after_server_hello(f);
	assert_int_equal(tlsp_feed(t, 1, bad_type, sizeof(bad_type)), TLSP_ERROR);
	assert_string_equal(tlsp_result(t)->error, "server: malformed record header 30 03 03");
	tlsp_free(t);

	/* A direction out of range changes nothing. */
	t = tlsp_new();
	assert_non_null(t);
	assert_int_equal(tlsp_feed(t, 2, ccs, sizeof(ccs)), TLSP_ERROR);
	assert_int_equal(tlsp_feed(t, -1, ccs, sizeof(ccs)), TLSP_ERROR);
	assert_int_equal(tlsp_state(t, 2), TLSP_ERROR);
	assert_int_equal(tlsp_state(t, 0), TLSP_MORE);
	assert_int_equal(tlsp_state(t, 1), TLSP_MORE);
	assert_string_equal(tlsp_result(t)->error, "");
	tlsp_free(t);
}

static void test_hostile_messages(void **state)
{
	static const unsigned char huge_msg[] = { 0x16, 3, 1, 0, 4, 0x01, 0xff, 0xff, 0xff };
	static const unsigned char max_msg[] = { 0x16, 3, 1, 0, 4, 0x01, 0x04, 0x00, 0x00 };
	static const unsigned char over_msg[] = { 0x16, 3, 1, 0, 4, 0x01, 0x04, 0x00, 0x01 };
	struct fx *f = *state;
	struct tlsp *t;
	struct bb body = { 0 }, recs = { 0 };
	size_t ch = first_record(&f->tls12.c2s);

	/* Message lengths: TLSP_MAX_MESSAGE is the most. */
	t = tlsp_new();
	assert_non_null(t);
	assert_int_equal(tlsp_feed(t, 0, huge_msg, sizeof(huge_msg)), TLSP_ERROR);
	assert_string_equal(tlsp_result(t)->error, "client: handshake message of 16777215 bytes");
	tlsp_free(t);
	t = tlsp_new();
	assert_non_null(t);
	assert_int_equal(tlsp_feed(t, 0, max_msg, sizeof(max_msg)), TLSP_MORE);
	tlsp_free(t);
	t = tlsp_new();
	assert_non_null(t);
	assert_int_equal(tlsp_feed(t, 0, over_msg, sizeof(over_msg)), TLSP_ERROR);
	tlsp_free(t);

	/* More than 1 MiB of handshake (ServerKeyExchange messages, never stored). */
	for (int i = 0; i < 200000; i++)
		put_uint(&body, 0x5a, 1);
	for (int i = 0; i < 6; i++) {
		struct bb m = { 0 };

		put_msg(&m, 12, &body);
		put_records(&recs, 22, m.p, m.n, 16384);
		free(m.p);
	}
	t = after_server_hello(f);
	assert_int_equal(tlsp_feed(t, 1, recs.p, recs.n), TLSP_ERROR);
	assert_string_equal(tlsp_result(t)->error, "server: more than 1048576 bytes of handshake");
	tlsp_free(t);
	free(recs.p);
	free(body.p);

	/* A truncated ClientHello waits; the rest completes it. */
	t = tlsp_new();
	assert_non_null(t);
	assert_int_equal(tlsp_feed(t, 0, f->tls12.c2s.p, ch - 1), TLSP_MORE);
	assert_false(tlsp_result(t)->client_hello);
	assert_int_equal(tlsp_feed(t, 0, f->tls12.c2s.p + ch - 1, 1), TLSP_MORE);
	assert_true(tlsp_result(t)->client_hello);
	assert_string_equal(tlsp_result(t)->ja3_md5, JA3_TLS12_MD5);
	tlsp_free(t);

	/* A malformed ClientHello (session id of 33 bytes) ends the client's side only. */
	{
		struct bb c = { 0 };

		put(&c, f->tls12.c2s.p, ch);
		assert_int_equal(c.p[5 + 4 + 2 + 32], 0);   /* its session id was empty */
		c.p[5 + 4 + 2 + 32] = 33;
		t = run(&c, &f->tls12.s2c, WHOLE, 0);
		assert_int_equal(tlsp_state(t, 0), TLSP_ERROR);
		assert_int_equal(tlsp_state(t, 1), TLSP_DONE);
		assert_string_equal(tlsp_result(t)->error, "client: malformed ClientHello");
		assert_false(tlsp_result(t)->client_hello);
		assert_string_equal(tlsp_result(t)->ja3, "");
		assert_string_equal(tlsp_result(t)->ja3s, JA3S_TLS12);
		assert_int_equal(tlsp_result(t)->n_server_chain, 2);
		tlsp_free(t);
		free(c.p);
	}

	/* Swapped directions: each side's first message is out of place. */
	t = run(&f->tls12.s2c, &f->tls12.c2s, WHOLE, 0);
	assert_int_equal(tlsp_state(t, 0), TLSP_ERROR);
	assert_int_equal(tlsp_state(t, 1), TLSP_ERROR);
	assert_string_equal(tlsp_result(t)->error,
	                    "client: expected ClientHello, got ServerHello 2");
	tlsp_free(t);
}

/* A TLS 1.2 server: ServerHello, then a Certificate with these entry lengths. */
static struct tlsp *server_certificate(const struct fx *f, const size_t *lens, size_t n,
                                       enum tlsp_state want)
{
	struct tlsp *t = after_server_hello(f);
	struct bb body = { 0 }, recs = { 0 };

	certificate_body(&body, lens, n);
	put_msg_record(&recs, 11, &body);
	assert_int_equal(tlsp_feed(t, 1, recs.p, recs.n), want);
	free(body.p);
	free(recs.p);
	return t;
}

static void test_certificates(void **state)
{
	static const size_t seventeen[17] = { 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
	                                      22, 23, 24, 25, 26 };
	static const size_t oversized[3] = { 100, 64 * 1024 + 1, 100 };
	static const size_t at_limit[2] = { 64 * 1024, 5 };
	static const size_t with_empty[3] = { 10, 0, 10 };
	struct fx *f = *state;
	const struct tlsp_result *r;
	struct tlsp *t;

	/* 17 certificates: 16 kept, in order, and chain_truncated. */
	t = server_certificate(f, seventeen, 17, TLSP_MORE);
	r = tlsp_result(t);
	assert_int_equal(r->n_server_chain, 16);
	assert_true(r->chain_truncated);
	for (size_t i = 0; i < 16; i++) {
		assert_int_equal(r->server_chain[i].len, seventeen[i]);
		assert_int_equal(r->server_chain[i].der[0], i + 1);
	}
	tlsp_free(t);

	/* One larger than OBS_MAX_CERT_DER cuts the chain before it. */
	t = server_certificate(f, oversized, 3, TLSP_MORE);
	r = tlsp_result(t);
	assert_int_equal(r->n_server_chain, 1);
	assert_true(r->chain_truncated);
	tlsp_free(t);
	t = server_certificate(f, at_limit, 2, TLSP_MORE);
	r = tlsp_result(t);
	assert_int_equal(r->n_server_chain, 2);
	assert_int_equal(r->server_chain[0].len, 64 * 1024);
	assert_false(r->chain_truncated);
	tlsp_free(t);

	/* An empty entry is malformed: nothing is copied. */
	t = server_certificate(f, with_empty, 3, TLSP_ERROR);
	assert_int_equal(tlsp_result(t)->n_server_chain, 0);
	assert_string_equal(tlsp_result(t)->error, "server: malformed Certificate message");
	tlsp_free(t);

	/* A list length that disagrees with the message, and a second Certificate. */
	{
		struct bb body = { 0 }, recs = { 0 };

		t = after_server_hello(f);
		certificate_body(&body, with_empty, 1);
		put_uint(&body, 0, 1);   /* one byte after the list */
		put_msg_record(&recs, 11, &body);
		assert_int_equal(tlsp_feed(t, 1, recs.p, recs.n), TLSP_ERROR);
		assert_string_equal(tlsp_result(t)->error, "server: malformed Certificate message");
		tlsp_free(t);
		free(body.p);
		free(recs.p);
	}
	{
		struct bb body = { 0 }, recs = { 0 };

		t = after_server_hello(f);
		certificate_body(&body, with_empty, 1);
		put_msg_record(&recs, 11, &body);
		put_msg_record(&recs, 11, &body);
		assert_int_equal(tlsp_feed(t, 1, recs.p, recs.n), TLSP_ERROR);
		assert_string_equal(tlsp_result(t)->error, "server: second Certificate message");
		assert_int_equal(tlsp_result(t)->n_server_chain, 1);
		tlsp_free(t);
		free(body.p);
		free(recs.p);
	}
}

/* Feeds one ClientHello record with this body; returns the observer (client side DONE or MORE). */
static struct tlsp *client_hello(const struct bb *body, enum tlsp_state want)
{
	struct tlsp *t = tlsp_new();
	struct bb recs = { 0 };

	assert_non_null(t);
	put_msg_record(&recs, 1, body);
	assert_int_equal(tlsp_feed(t, 0, recs.p, recs.n), want);
	free(recs.p);
	return t;
}

/* JA3 corner cases; the MD5s are Python hashlib's of the expected strings. */
static void test_ja3_synthetic(void **state)
{
	static const unsigned suites2[] = { 0x002f, 0x0035 };
	static const unsigned suite1[] = { 0x1301 };
	struct bb body = { 0 }, exts = { 0 }, e = { 0 };
	unsigned *many = calloc(2000, sizeof(*many));
	const struct tlsp_result *r;
	struct tlsp *t;
	size_t at;

	(void)state;
	/* No extensions block at all: empty fields, as ja3.py gives. */
	client_hello_body(&body, 0x0301, suites2, 2, NULL);
	t = client_hello(&body, TLSP_MORE);
	r = tlsp_result(t);
	assert_int_equal(r->client_version, 0x0301);
	assert_string_equal(r->ja3, "769,47-53,,,");
	assert_string_equal(r->ja3_md5, "dac4920d4335e769327dbf4e1b759e15");
	assert_string_equal(r->sni, "");
	tlsp_free(t);

	/* supported_groups twice: the last one counts; the extension list keeps both. */
	body.n = 0;
	at = open_vec(&e, 2);
	put_uint(&e, 23, 2);
	close_vec(&e, at, 2);
	put_ext(&exts, 10, &e);
	e.n = 0;
	at = open_vec(&e, 2);
	put_uint(&e, 29, 2);
	put_uint(&e, 0x2a2a, 2);
	put_uint(&e, 24, 2);
	close_vec(&e, at, 2);
	put_ext(&exts, 10, &e);
	e.n = 0;
	put_uint(&e, 1, 1);
	put_uint(&e, 0, 1);
	put_ext(&exts, 11, &e);
	client_hello_body(&body, 0x0303, suite1, 1, &exts);
	t = client_hello(&body, TLSP_MORE);
	assert_string_equal(tlsp_result(t)->ja3, "771,4865,10-10-11,29-24,0");
	assert_string_equal(tlsp_result(t)->ja3_md5, "eb28d73971cb2a8e2c700e1ffce7e6ca");
	tlsp_free(t);

	/* 2000 suites: the string is cut with "...", the MD5 is of the whole (8899 bytes). */
	assert_non_null(many);
	for (unsigned i = 0; i < 2000; i++)
		many[i] = i + 1;
	body.n = 0;
	client_hello_body(&body, 0x0303, many, 2000, NULL);
	t = client_hello(&body, TLSP_MORE);
	r = tlsp_result(t);
	assert_int_equal(strlen(r->ja3), TLSP_MAX_JA3 - 1);
	assert_int_equal(strncmp(r->ja3, "771,1-2-3-4-5-", 14), 0);
	assert_string_equal(r->ja3 + TLSP_MAX_JA3 - 4, "...");
	assert_string_equal(r->ja3_md5, "2e29cd4c8c68809e179f0e041d531caf");
	tlsp_free(t);
	free(many);

	/* ServerHello without extensions. */
	{
		struct bb sh = { 0 }, recs = { 0 };

		server_hello_body(&sh, 0x0303, 0x002f, NULL);
		put_msg_record(&recs, 2, &sh);
		t = tlsp_new();
		assert_non_null(t);
		assert_int_equal(tlsp_feed(t, 1, recs.p, recs.n), TLSP_MORE);
		r = tlsp_result(t);
		assert_string_equal(r->ja3s, "771,47,");
		assert_string_equal(r->ja3s_md5, "5397c414a9ebeaff1bf18b70ca22eaa0");
		assert_int_equal(r->version, 0x0303);
		assert_int_equal(r->cipher, 0x002f);
		tlsp_free(t);
		free(sh.p);
		free(recs.p);
	}
	free(body.p);
	free(exts.p);
	free(e.p);
}

/* server_name: printable names only, up to 255 bytes; malformed lists are errors. */
static void test_sni(void **state)
{
	static const unsigned suite1[] = { 0x1301 };
	static const struct {
		const char *name;
		size_t len;          /* 0: strlen(name) */
		const char *want;
	} cases[] = {
		{ "mail.example.test", 0, "mail.example.test" },
		{ "bad name.test", 0, "" },
		{ "bad\001.test", 0, "" },
		{ "caf\xc3\xa9.test", 0, "" },
		{ "x", 255, "" },    /* 255 x's: kept (checked below) */
		{ "x", 256, "" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bb body = { 0 }, exts = { 0 }, e = { 0 };
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].name), at, at2;
		struct tlsp *t;

		at = open_vec(&e, 2);
		put_uint(&e, 0, 1);
		at2 = open_vec(&e, 2);
		for (size_t k = 0; k < len; k++)
			put(&e, cases[i].len ? "x" : cases[i].name + k, 1);
		close_vec(&e, at2, 2);
		close_vec(&e, at, 2);
		put_ext(&exts, 0, &e);
		client_hello_body(&body, 0x0303, suite1, 1, &exts);
		t = client_hello(&body, TLSP_MORE);
		if (cases[i].len == 255)
			assert_int_equal(strspn(tlsp_result(t)->sni, "x"), 255);
		else
			assert_string_equal(tlsp_result(t)->sni, cases[i].want);
		assert_string_equal(tlsp_result(t)->ja3, "771,4865,0,,");
		tlsp_free(t);

		/* The same extension one byte short inside: malformed. */
		e.p[1]++;
		exts.n = 0;
		put_ext(&exts, 0, &e);
		body.n = 0;
		client_hello_body(&body, 0x0303, suite1, 1, &exts);
		t = client_hello(&body, TLSP_ERROR);
		assert_string_equal(tlsp_result(t)->error,
		                    "client: malformed ClientHello extensions");
		tlsp_free(t);
		free(body.p);
		free(exts.p);
		free(e.p);
	}
}

/* A client that sends several messages before ClientKeyExchange: only the first ClientHello
 * counts, a Certificate is taken, ClientKeyExchange ends the side. */
static void test_client_flight(void **state)
{
	static const size_t one[1] = { 20 };
	static const unsigned suite1[] = { 0x002f };
	struct bb ch = { 0 }, ch2 = { 0 }, cert = { 0 }, cke = { 0 }, msgs = { 0 }, recs = { 0 };
	struct tlsp *t = tlsp_new();
	const struct tlsp_result *r;

	(void)state;
	assert_non_null(t);
	client_hello_body(&ch, 0x0303, suite1, 1, NULL);
	client_hello_body(&ch2, 0x0302, suite1, 1, NULL);
	certificate_body(&cert, one, 1);
	put_uint(&cke, 0, 2);
	put_msg(&msgs, 1, &ch);
	put_msg(&msgs, 1, &ch2);
	put_msg(&msgs, 11, &cert);
	put_msg(&msgs, 16, &cke);
	put_msg(&msgs, 99, &cke);   /* after ClientKeyExchange: not read */
	put_records(&recs, 22, msgs.p, msgs.n, 9);
	assert_int_equal(tlsp_feed(t, 0, recs.p, recs.n), TLSP_DONE);
	r = tlsp_result(t);
	assert_int_equal(r->client_version, 0x0303);
	assert_string_equal(r->ja3, "771,47,,,");
	assert_int_equal(r->n_client_chain, 1);
	assert_int_equal(r->client_chain[0].len, 20);
	assert_int_equal(r->n_server_chain, 0);
	assert_string_equal(r->error, "");
	tlsp_free(t);
	free(ch.p);
	free(ch2.p);
	free(cert.p);
	free(cke.p);
	free(msgs.p);
	free(recs.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls12),
		cmocka_unit_test(test_tls12_client_cert),
		cmocka_unit_test(test_tls13),
		cmocka_unit_test(test_tls13_hrr),
		cmocka_unit_test(test_grease),
		cmocka_unit_test(test_chunking),
		cmocka_unit_test(test_reframe),
		cmocka_unit_test(test_tls13_order),
		cmocka_unit_test(test_starttls),
		cmocka_unit_test(test_not_tls),
		cmocka_unit_test(test_hostile_records),
		cmocka_unit_test(test_hostile_messages),
		cmocka_unit_test(test_certificates),
		cmocka_unit_test(test_ja3_synthetic),
		cmocka_unit_test(test_sni),
		cmocka_unit_test(test_client_flight),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
