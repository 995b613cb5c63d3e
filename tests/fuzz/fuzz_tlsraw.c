/*
 * fuzz_tlsraw.c: the raw TLS codec fed hostile server flights in chunks.
 *
 * Input layout: data[0] picks the ClientHello (bit 0: offer TLS 1.2 at most, else 1.3; bit 1:
 * offer ALPN; bit 7: no SNI, else "fuzz.example.test"; bits 2..5: where the chunk-size cycle
 * starts); data[1..] is the server's flight, delivered in chunks of 1, 2, 3, 5, 8, 13, 64, 512,
 * 4096, 18437 bytes in turn until the codec stops saying MORE. The ClientHello uses fixed
 * secrets (the same as test_tlsraw.c's seed writer), so the recorded TLS 1.3 flights of the
 * corpus decrypt and reach the Certificate parser; mutated ones mostly stop at the AEAD.
 *
 * Beyond memory errors (run it under ASan/UBSan) it aborts when a contract of tlsraw.h breaks:
 * a final result without a printable reason, DONE without a version, cipher or sane chain
 * (every certificate byte is read), NOT_TLS after draining input, more drained than given, or a
 * call after the end that does not repeat the result or consumes input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "scanner/tlsraw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const size_t chunk_sizes[] = { 1, 2, 3, 5, 8, 13, 64, 512, 4096, 18437 };
#define NCHUNK (sizeof(chunk_sizes) / sizeof(chunk_sizes[0]))

static void fixed_secrets(unsigned char random[32], unsigned char sid[32], unsigned char priv[32])
{
	for (int i = 0; i < 32; i++) {
		random[i] = (unsigned char)i;
		sid[i] = (unsigned char)(0x80 + i);
		priv[i] = 0x42;
	}
}

static void check_text(const char *s, int must_have)
{
	if (must_have && s[0] == '\0')
		abort();
	for (const char *c = s; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			abort();
}

static void check_result(const struct tlsraw_result *r, enum tlsraw_rc rc)
{
	unsigned sum = 0;

	check_text(r->err, rc != TLSRAW_MORE && rc != TLSRAW_DONE);
	check_text(r->cipher_name, 0);
	check_text(r->version_name, 0);
	check_text(r->group, 0);
	check_text(r->alpn, 0);
	if (r->n_certs > 16)
		abort();
	for (size_t i = 0; i < r->n_certs; i++) {
		if (r->cert[i] == NULL || r->cert_len[i] == 0)
			abort();
		for (size_t k = 0; k < r->cert_len[i]; k++)
			sum += r->cert[i][k];
	}
	if (rc == TLSRAW_DONE && (r->version < 0x0301 || r->version > 0x0304 || r->cipher_name[0] == '\0' ||
	                          r->err[0] != '\0'))
		abort();
	if (rc == TLSRAW_ALERT && (r->alert_level < 0 || r->alert_level > 255))
		abort();
	(void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tlsraw_shared *sh;  /* made once, kept for the process (reachable) */
	unsigned char random[32], sid[32], priv[32];
	struct evbuffer *in = NULL, *out = NULL;
	struct tlsraw *t = NULL;
	enum tlsraw_rc rc = TLSRAW_MORE;
	size_t off = 1, k, given = 0, drained = 0;
	char err[256];

	if (size < 1)
		return 0;
	if (sh == NULL && (sh = tlsraw_shared_new(err, sizeof(err))) == NULL)
		abort();
	k = (data[0] >> 2) & 0x0f;
	in = evbuffer_new();
	out = evbuffer_new();
	t = tlsraw_new(sh, (data[0] & 0x80) ? NULL : "fuzz.example.test", data[0] & 2,
	               (data[0] & 1) ? 0x0303 : 0x0304);
	if (in == NULL || out == NULL || t == NULL)
		abort();
	fixed_secrets(random, sid, priv);
	if (tlsraw_fix_secrets(t, random, sid, priv) != 0 || tlsraw_client_hello(t, out) != 0)
		abort();

	while (rc == TLSRAW_MORE && off < size) {
		size_t n = chunk_sizes[k++ % NCHUNK], before;

		if (n > size - off)
			n = size - off;
		if (evbuffer_add(in, data + off, n) != 0)
			abort();
		off += n;
		given += n;
		before = evbuffer_get_length(in);
		rc = tlsraw_feed(t, in);
		drained += before - evbuffer_get_length(in);
		if (rc == TLSRAW_NOT_TLS && before != evbuffer_get_length(in))
			abort();
		if (drained > given)
			abort();
		check_result(tlsraw_result(t), rc);
	}
	if (rc != TLSRAW_MORE) {
		size_t before;

		if (evbuffer_add(in, "\x16\x03\x03\x00\x01\x00", 6) != 0)
			abort();
		before = evbuffer_get_length(in);
		if (tlsraw_feed(t, in) != rc || evbuffer_get_length(in) != before)
			abort();
	}
	tlsraw_free(t);
	evbuffer_free(in);
	evbuffer_free(out);
	return 0;
}
