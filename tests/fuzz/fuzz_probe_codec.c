/*
 * fuzz_probe_codec.c: the prober's reply parser fed hostile bytes in random chunk sizes.
 *
 * Input layout: data[0] bit 0 = the hello was SSLv2 (expect_ssl2), bits 1..7 seed the chunk
 * sizes; data[1..] is what the server sent. The bytes are parsed twice: whole, and in chunks of
 * 1 .. 4096 bytes drawn from the seed; after each chunk the parser is called until it has nothing
 * more to say (as the driver does after a first flight, when it sent a heartbeat request).
 *
 * Beyond memory errors (run it under ASan/UBSan) it aborts when a contract of probe.h breaks:
 * a return other than 0/1; 1 with kind REPLY_NONE; a final reply without a printable reason
 * where one is due (NOT_TLS, MALFORMED); NOT_TLS after consuming bytes; fields out of range
 * (n_ssl2 > 16, an unterminated or unprintable alpn, complete without a kind that has a flight);
 * more consumed than given; a repeated call after the end that changes the reply or consumes;
 * and above all, chunked delivery giving other verdicts than whole delivery.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "scanner/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_EVENTS 4

struct events {
	struct server_reply r[MAX_EVENTS];
	size_t n;
	size_t left;          /* bytes the parser left unconsumed at the end */
	struct server_reply last;
};

static void check_text(const char *s, size_t cap, int must_have)
{
	size_t n = strnlen(s, cap);

	if (n == cap || (must_have && n == 0))
		abort();
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			abort();
}

static void check_reply(const struct server_reply *r, int rc)
{
	int must_say = rc == 1 && (r->kind == REPLY_NOT_TLS || r->kind == REPLY_MALFORMED);

	if (rc != 0 && rc != 1)
		abort();
	if (rc == 1 && r->kind == REPLY_NONE)
		abort();
	check_text(r->err, sizeof(r->err), must_say);
	check_text(r->alpn, sizeof(r->alpn), 0);
	if (r->n_ssl2 > 16 || r->alert_level < 0 || r->alert_level > 255 || r->alert_desc < 0 ||
	    r->alert_desc > 0xffff || r->dh_bits < 0 || r->dh_bits > 8 * 65535 || r->heartbeat_len > 18432)
		abort();
	if (r->complete && r->kind != REPLY_HELLO && r->kind != REPLY_SSL2_HELLO &&
	    r->kind != REPLY_HEARTBEAT)
		abort();
	if (r->kind == REPLY_SSL2_HELLO && r->version != 0x0002)
		abort();
}

/*
 * Feeds data in chunks (chunk 0: all at once; else sizes from the seed) and records every final
 * event. Returns the events; aborts on a broken contract.
 */
static void run(const uint8_t *data, size_t size, int ssl2, unsigned seed, struct events *ev)
{
	struct probe_parser *p = probe_parser_new(ssl2);
	struct evbuffer *in = evbuffer_new();
	size_t off = 0, given = 0, drained = 0;
	uint32_t x = seed * 2654435761u + 1;
	int ended = 0;

	if (p == NULL || in == NULL)
		abort();
	memset(ev, 0, sizeof(*ev));
	while (off < size && !ended) {
		size_t n = size - off;

		if (seed != 0) {
			x = x * 1103515245u + 12345u;
			n = 1 + (x >> 8) % ((x >> 28) < 8 ? 7 : 4096);
			if (n > size - off)
				n = size - off;
		}
		if (evbuffer_add(in, data + off, n) != 0)
			abort();
		off += n;
		given += n;
		for (;;) {
			struct server_reply r;
			size_t before = evbuffer_get_length(in);
			int rc;

			memset(&r, 0, sizeof(r));
			rc = probe_parser_feed(p, in, &r);
			drained += before - evbuffer_get_length(in);
			if (drained > given)
				abort();
			check_reply(&r, rc);
			if (rc == 1 && r.kind == REPLY_NOT_TLS && before != evbuffer_get_length(in))
				abort();
			ev->last = r;
			if (rc == 0)
				break;
			/* A final reply. Repeated with nothing consumed and nothing changed: the end. */
			if (ev->n > 0 && before == evbuffer_get_length(in) &&
			    memcmp(&ev->r[ev->n - 1], &r, sizeof(r)) == 0) {
				ended = 1;
				break;
			}
			if (ev->n == MAX_EVENTS)
				abort();      /* at most: first flight, heartbeat wait, end */
			ev->r[ev->n++] = r;
		}
	}
	if (ended) {
		/* After the end: the same reply, nothing consumed, whatever comes. */
		struct server_reply r;
		size_t before;

		if (evbuffer_add(in, "\x16\x03\x03\x00\x01\x00", 6) != 0)
			abort();
		before = evbuffer_get_length(in);
		memset(&r, 0, sizeof(r));
		if (probe_parser_feed(p, in, &r) != 1 || evbuffer_get_length(in) != before ||
		    memcmp(&r, &ev->r[ev->n - 1], sizeof(r)) != 0)
			abort();
		evbuffer_drain(in, 6);
	}
	ev->left = evbuffer_get_length(in) + (size - off);
	probe_parser_free(p);
	evbuffer_free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct events whole, chunked;
	int ssl2;
	unsigned seed;

	if (size < 1)
		return 0;
	ssl2 = data[0] & 1;
	seed = (data[0] >> 1) + 1;
	run(data + 1, size - 1, ssl2, 0, &whole);
	run(data + 1, size - 1, ssl2, seed, &chunked);
	if (whole.n != chunked.n || whole.left != chunked.left)
		abort();
	for (size_t i = 0; i < whole.n; i++)
		if (memcmp(&whole.r[i], &chunked.r[i], sizeof(whole.r[i])) != 0)
			abort();
	return 0;
}
