/*
 * fuzz_tlsp.c: the passive TLS observer (passive/tlsp.h) fed two hostile streams in chunks.
 *
 * Input layout: a sequence of chunks [selector][bytes]; selector bit 7 is the direction (0
 * client to server, 1 server to client), bits 0..6 plus one the chunk length (1..128; the last
 * chunk takes what is left). The corpus (tests/fuzz/corpus/tlsp, written by
 * tests/unit/data/tlsp/corpus.py) holds the recorded handshakes of tests/unit/data/tlsp.
 *
 * Each input runs twice: as its chunks, and with every chunk fed one byte at a time. Beyond
 * memory errors (run it under ASan/UBSan) it aborts when a contract of tlsp.h breaks: the two
 * runs differ (how a direction's bytes are split must not matter), tlsp_feed's answer is not
 * tlsp_state's, feeding a final direction changes anything, a dir other than 0/1 is accepted,
 * tlsp_finished disagrees with the states, a string is unterminated or holds what it may not
 * (SNI outside 0x21..0x7e, JA3 other than digits ",-" and a closing "...", an MD5 not 32 hex
 * digits, an error not printable or missing while a direction is in ERROR), a hello flag
 * disagrees with its fingerprint, or a chain is longer than OBS_MAX_CHAIN or holds an empty,
 * oversized or unreadable certificate.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "passive/tlsp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_final(enum tlsp_state st)
{
	return st == TLSP_DONE || st == TLSP_NOT_TLS || st == TLSP_ERROR;
}

/* s is NUL-terminated within cap and every byte is accepted by ok(). */
static void check_text(const char *s, size_t cap, int (*ok)(int c))
{
	size_t n = strnlen(s, cap);

	if (n == cap)
		abort();
	for (size_t i = 0; i < n; i++)
		if (!ok((unsigned char)s[i]))
			abort();
}

static int sni_char(int c)
{
	return c > 0x20 && c < 0x7f;
}

static int print_char(int c)
{
	return c >= 0x20 && c < 0x7f;
}

static int ja3_char(int c)
{
	return (c >= '0' && c <= '9') || c == ',' || c == '-' || c == '.';
}

static int hex_char(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static void check_md5(const char *s, const char *of)
{
	check_text(s, 33, hex_char);
	if ((of[0] == '\0') != (s[0] == '\0') || (s[0] != '\0' && strlen(s) != 32))
		abort();
}

static void check_chain(const struct der_blob *c, size_t n)
{
	unsigned sum = 0;

	if (n > OBS_MAX_CHAIN)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (c[i].der == NULL || c[i].len == 0 || c[i].len > OBS_MAX_CERT_DER)
			abort();
		for (size_t k = 0; k < c[i].len; k++)
			sum += c[i].der[k];
	}
	(void)sum;
}

static void check(const struct tlsp *t)
{
	const struct tlsp_result *r = tlsp_result(t);
	enum tlsp_state s0 = tlsp_state(t, 0), s1 = tlsp_state(t, 1);

	if (tlsp_finished(t) != (is_final(s0) && is_final(s1)))
		abort();
	check_text(r->sni, sizeof(r->sni), sni_char);
	check_text(r->ja3, sizeof(r->ja3), ja3_char);
	check_text(r->ja3s, sizeof(r->ja3s), ja3_char);
	check_md5(r->ja3_md5, r->ja3);
	check_md5(r->ja3s_md5, r->ja3s);
	check_text(r->error, sizeof(r->error), print_char);
	check_text(r->starttls, sizeof(r->starttls), print_char);
	if ((r->error[0] != '\0') != (s0 == TLSP_ERROR || s1 == TLSP_ERROR))
		abort();
	if (r->client_hello != (r->ja3[0] != '\0') || r->server_hello != (r->ja3s[0] != '\0'))
		abort();
	if (r->starttls[0] != '\0' && strcmp(r->starttls, "smtp") != 0 &&
	    strcmp(r->starttls, "imap") != 0 && strcmp(r->starttls, "pop3") != 0 &&
	    strcmp(r->starttls, "ftp") != 0 && strcmp(r->starttls, "xmpp") != 0)
		abort();
	check_chain(r->server_chain, r->n_server_chain);
	check_chain(r->client_chain, r->n_client_chain);
}

static void feed(struct tlsp *t, int dir, const uint8_t *p, size_t n)
{
	struct tlsp_result before;
	int was_final = is_final(tlsp_state(t, dir));
	enum tlsp_state st;

	if (was_final)
		memcpy(&before, tlsp_result(t), sizeof(before));
	st = tlsp_feed(t, dir, p, n);
	if (st != tlsp_state(t, dir))
		abort();
	if (was_final && memcmp(&before, tlsp_result(t), sizeof(before)) != 0)
		abort();
	check(t);
}

static struct tlsp *run(const uint8_t *data, size_t size, int bytewise)
{
	struct tlsp *t = tlsp_new();
	size_t off = 0;

	if (t == NULL)
		abort();
	while (off < size) {
		int dir = data[off] >> 7;
		size_t n = (size_t)(data[off] & 0x7f) + 1;

		off++;
		if (n > size - off)
			n = size - off;
		if (!bytewise) {
			feed(t, dir, data + off, n);
		} else {
			for (size_t i = 0; i < n; i++)
				feed(t, dir, data + off + i, 1);
		}
		off += n;
	}
	return t;
}

static void same_chain(const struct der_blob *a, size_t na, const struct der_blob *b, size_t nb)
{
	if (na != nb)
		abort();
	for (size_t i = 0; i < na; i++)
		if (a[i].len != b[i].len || memcmp(a[i].der, b[i].der, a[i].len) != 0)
			abort();
}

static void same(const struct tlsp *x, const struct tlsp *y)
{
	const struct tlsp_result *a = tlsp_result(x), *b = tlsp_result(y);

	if (tlsp_state(x, 0) != tlsp_state(y, 0) || tlsp_state(x, 1) != tlsp_state(y, 1) ||
	    a->client_hello != b->client_hello || a->server_hello != b->server_hello ||
	    a->client_version != b->client_version || a->version != b->version ||
	    a->cipher != b->cipher || strcmp(a->sni, b->sni) != 0 || strcmp(a->ja3, b->ja3) != 0 ||
	    strcmp(a->ja3_md5, b->ja3_md5) != 0 || strcmp(a->ja3s, b->ja3s) != 0 ||
	    strcmp(a->ja3s_md5, b->ja3s_md5) != 0 || strcmp(a->starttls, b->starttls) != 0 ||
	    a->chain_truncated != b->chain_truncated || strcmp(a->error, b->error) != 0)
		abort();
	same_chain(a->server_chain, a->n_server_chain, b->server_chain, b->n_server_chain);
	same_chain(a->client_chain, a->n_client_chain, b->client_chain, b->n_client_chain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tlsp *whole = run(data, size, 0), *bytes = run(data, size, 1);

	same(whole, bytes);
	if (tlsp_feed(whole, 2, data, size) != TLSP_ERROR || tlsp_state(whole, -1) != TLSP_ERROR)
		abort();
	same(whole, bytes);
	tlsp_free(whole);
	tlsp_free(bytes);
	return 0;
}
