/*
 * test_reasm.c: TCP stream reassembly (passive/reasm.c): in order, reordered, duplicated,
 * overlapping retransmissions whose bytes differ (the first copy wins), sequence numbers that
 * wrap at 2^32, a capture that starts mid-stream, gaps that never close (REASM_GAVE_UP within
 * the limits), FIN, a consumer that stops; then random segmentations of a random stream, in
 * random order with random duplicates carrying other bytes, checked against a model of "first
 * copy wins".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "passive/packet.h"
#include "passive/reasm.h"

/* What the consumer received. */
struct sink {
	unsigned char buf[1 << 16];
	size_t len;
	size_t calls;
	int stop_after;         /* > 0: return 7 from this call on */
};

static int collect(void *arg, const unsigned char *p, size_t n)
{
	struct sink *s = arg;

	assert_non_null(p);
	assert_true(n > 0);
	assert_true(s->len + n <= sizeof(s->buf));
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->calls++;
	if (s->stop_after > 0 && s->calls >= (size_t)s->stop_after)
		return 7;
	return 0;
}

static const struct reasm_limits small = { 4096, 16 };

static int add(struct reasm *r, struct sink *s, uint32_t seq, uint8_t flags, const char *p,
               size_t n)
{
	return reasm_add(r, &small, seq, flags, (const unsigned char *)p, n, collect, s);
}

static void expect(const struct sink *s, const char *text)
{
	assert_int_equal(s->len, strlen(text));
	assert_memory_equal(s->buf, text, s->len);
}

static void test_in_order(void **state)
{
	static struct sink s;
	struct reasm r;

	(void)state;
	memset(&s, 0, sizeof(s));
	reasm_init(&r);
	assert_int_equal(add(&r, &s, 1000, TCPF_SYN, NULL, 0), REASM_OK);
	assert_int_equal(r.started, 1);
	assert_int_equal(r.next, 1001);
	assert_int_equal(add(&r, &s, 1001, TCPF_ACK, NULL, 0), REASM_OK);
	assert_int_equal(add(&r, &s, 1001, TCPF_ACK, "hello ", 6), REASM_OK);
	assert_int_equal(add(&r, &s, 1007, TCPF_ACK | TCPF_PSH, "world", 5), REASM_OK);
	expect(&s, "hello world");
	assert_int_equal(s.calls, 2); /* delivered at once, each segment in one run */
	assert_int_equal(r.next, 1012);
	assert_int_equal(r.pending_segs, 0);
	assert_null(r.pending);
	/* the SYN again (retransmitted) changes nothing */
	assert_int_equal(add(&r, &s, 1000, TCPF_SYN, NULL, 0), REASM_OK);
	assert_int_equal(r.next, 1012);
	assert_int_equal(add(&r, &s, 1012, TCPF_ACK | TCPF_FIN, NULL, 0), REASM_OK);
	assert_int_equal(r.fin, 1);
	assert_int_equal(r.next, 1013);
	/* after the FIN: nothing more is delivered */
	assert_int_equal(add(&r, &s, 1013, TCPF_ACK, "junk", 4), REASM_OK);
	expect(&s, "hello world");
	reasm_free(&r);
}

/* A SYN that carries data (TCP Fast Open): the data starts at ISN + 1. */
static void test_syn_data(void **state)
{
	static struct sink s;
	struct reasm r;

	(void)state;
	memset(&s, 0, sizeof(s));
	reasm_init(&r);
	assert_int_equal(add(&r, &s, 77, TCPF_SYN, "abc", 3), REASM_OK);
	assert_int_equal(add(&r, &s, 81, TCPF_ACK, "def", 3), REASM_OK);
	expect(&s, "abcdef");
	/* the SYN retransmitted with its data: nothing new */
	assert_int_equal(add(&r, &s, 77, TCPF_SYN, "abc", 3), REASM_OK);
	expect(&s, "abcdef");
	reasm_free(&r);
}

static void test_reordered(void **state)
{
	static struct sink s;
	struct reasm r;

	(void)state;
	memset(&s, 0, sizeof(s));
	reasm_init(&r);
	add(&r, &s, 99, TCPF_SYN, NULL, 0);
	assert_int_equal(add(&r, &s, 110, 0, "klmno", 5), REASM_OK);
	assert_int_equal(add(&r, &s, 105, 0, "fghij", 5), REASM_OK);
	assert_int_equal(s.len, 0);
	assert_int_equal(r.pending_segs, 2);
	assert_int_equal(r.pending_bytes, 10);
	assert_int_equal(add(&r, &s, 115, TCPF_FIN, "pq", 2), REASM_OK);
	assert_int_equal(r.fin, 0); /* the FIN waits for the data before it */
	assert_int_equal(add(&r, &s, 100, 0, "abcde", 5), REASM_OK);
	expect(&s, "abcdefghijklmnopq");
	assert_int_equal(r.fin, 1);
	assert_int_equal(r.next, 118);
	assert_int_equal(r.pending_segs, 0);
	assert_int_equal(r.pending_bytes, 0);
	reasm_free(&r);
}

static void test_duplicates(void **state)
{
	static struct sink s;
	struct reasm r;

	(void)state;
	memset(&s, 0, sizeof(s));
	reasm_init(&r);
	add(&r, &s, 0, TCPF_SYN, NULL, 0);
	add(&r, &s, 6, 0, "ghi", 3);
	add(&r, &s, 6, 0, "ghi", 3);
	assert_int_equal(r.pending_segs, 1);
	assert_int_equal(r.pending_bytes, 3);
	add(&r, &s, 1, 0, "abc", 3);
	add(&r, &s, 1, 0, "abc", 3);
	add(&r, &s, 4, 0, "de", 2);
	add(&r, &s, 4, 0, "de", 2);
	add(&r, &s, 6, 0, "ghi", 3);
	expect(&s, "abcdeghi");
	reasm_free(&r);
}

/* Retransmissions that overlap what came before with other bytes: the first copy wins, whether
 * it was delivered already or is pending. */
static void test_overlap_first_copy_wins(void **state)
{
	static struct sink s;
	struct reasm r;

	(void)state;
	memset(&s, 0, sizeof(s));
	reasm_init(&r);
	add(&r, &s, 0, TCPF_SYN, NULL, 0);
	add(&r, &s, 1, 0, "abcd", 4);
	/* overlaps delivered bytes, brings two new ones */
	add(&r, &s, 3, 0, "XXef", 4);
	expect(&s, "abcdef");
	/* pending: [11,14) "klm" and [16,18) "pq"; then a segment over both with other bytes */
	add(&r, &s, 11, 0, "klm", 3);
	add(&r, &s, 16, 0, "pq", 2);
	add(&r, &s, 9, 0, "IJKLMNOPQR", 10);
	assert_int_equal(r.pending_segs, 1);  /* merged: no overlapping bytes kept twice */
	assert_int_equal(r.pending_bytes, 10);
	/* a pending copy of [12,20) again, differing: ignored */
	add(&r, &s, 12, 0, "########", 8);
	assert_int_equal(r.pending_bytes, 11);
	/* the in-order segment overlaps the pending bytes: theirs win */
	add(&r, &s, 7, 0, "gh!!!!!!!!!!!!!!", 16);
	expect(&s, "abcdefghIJklmNOpqR#!!!");
	assert_int_equal(r.next, 23);
	assert_int_equal(r.pending_segs, 0);
	reasm_free(&r);
}

/* A segment in order that reaches into several pending segments, delivered in one pass. */
static void test_in_order_through_pending(void **state)
{
	static struct sink s;
	struct reasm r;

	(void)state;
	memset(&s, 0, sizeof(s));
	reasm_init(&r);
	add(&r, &s, 0, TCPF_SYN, NULL, 0);
	add(&r, &s, 3, 0, "cd", 2);
	add(&r, &s, 7, 0, "gh", 2);
	add(&r, &s, 11, 0, "kl", 2); /* beyond the segment below: delivered after it */
	add(&r, &s, 1, 0, "ab__ef__ij", 10);
	expect(&s, "abcdefghijkl");
	assert_int_equal(r.pending_segs, 0);
	reasm_free(&r);
}

/* Sequence numbers wrap modulo 2^32. */
static void test_wrap(void **state)
{
	static struct sink s;
	struct reasm r;

	(void)state;
	memset(&s, 0, sizeof(s));
	reasm_init(&r);
	add(&r, &s, 0xfffffffau, TCPF_SYN, NULL, 0);
	assert_int_equal(r.next, 0xfffffffbu);
	add(&r, &s, 0x00000003u, 0, "ijkl", 4);         /* after the wrap */
	add(&r, &s, 0xffffffffu, 0, "efgh", 4);         /* across it */
	assert_int_equal(s.len, 0);
	add(&r, &s, 0xfffffffbu, 0, "abcd", 4);
	expect(&s, "abcdefghijkl");
	assert_int_equal(r.next, 7);
	/* an old retransmission from before the wrap is old, not far ahead */
	add(&r, &s, 0xfffffffbu, 0, "ZZZZ", 4);
	add(&r, &s, 0x00000007u, TCPF_FIN, "m", 1);
	expect(&s, "abcdefghijklm");
	assert_int_equal(r.fin, 1);
	reasm_free(&r);
}

/* A capture that starts mid-connection: the stream starts at the first data. */
static void test_mid_stream(void **state)
{
	static struct sink s;
	struct reasm r;

	(void)state;
	memset(&s, 0, sizeof(s));
	reasm_init(&r);
	assert_int_equal(add(&r, &s, 5000, TCPF_ACK, NULL, 0), REASM_OK); /* an ACK: not yet */
	assert_int_equal(r.started, 0);
	assert_int_equal(add(&r, &s, 7000, TCPF_ACK, "middle", 6), REASM_OK);
	assert_int_equal(r.started, 1);
	/* earlier bytes of the connection come too late */
	assert_int_equal(add(&r, &s, 6990, TCPF_ACK, "0123456789", 10), REASM_OK);
	assert_int_equal(add(&r, &s, 7006, TCPF_ACK, " end", 4), REASM_OK);
	expect(&s, "middle end");
	reasm_free(&r);

	/* a bare FIN as the first thing seen ends an empty stream */
	memset(&s, 0, sizeof(s));
	reasm_init(&r);
	assert_int_equal(add(&r, &s, 42, TCPF_FIN | TCPF_ACK, NULL, 0), REASM_OK);
	assert_int_equal(r.fin, 1);
	assert_int_equal(s.len, 0);
	reasm_free(&r);
}

/* A lost segment: the data after it piles up until the limit, then the stream gives up and
 * frees what it kept. */
static void test_gap_never_closes(void **state)
{
	static struct sink s;
	struct reasm r;
	char blk[512];
	uint32_t seq = 1 + 100;
	int rc = REASM_OK, adds = 0;

	(void)state;
	memset(&s, 0, sizeof(s));
	memset(blk, 'x', sizeof(blk));
	reasm_init(&r);
	add(&r, &s, 0, TCPF_SYN, NULL, 0);
	/* bytes [1, 101) never arrive */
	while (rc == REASM_OK) {
		rc = add(&r, &s, seq, 0, blk, sizeof(blk));
		seq += sizeof(blk);
		adds++;
		assert_true(r.pending_bytes <= small.max_pending_bytes);
		assert_true(adds < 100);
	}
	assert_int_equal(rc, REASM_GAVE_UP);
	/* 100 + 7 * 512 = 3684 fits in 4096; 100 + 8 * 512 does not */
	assert_int_equal(adds, 8);
	assert_int_equal(r.gave_up, 1);
	assert_null(r.pending);
	assert_int_equal(r.pending_bytes, 0);
	assert_int_equal(r.pending_segs, 0);
	/* the missing bytes come at last: too late */
	assert_int_equal(add(&r, &s, 1, 0, blk, 100), REASM_GAVE_UP);
	assert_int_equal(s.len, 0);
	reasm_free(&r);
}

/* Many small segments after a gap: the segment count limit. */
static void test_too_many_segments(void **state)
{
	static struct sink s;
	struct reasm r;
	int rc = REASM_OK;
	size_t i;

	(void)state;
	memset(&s, 0, sizeof(s));
	reasm_init(&r);
	add(&r, &s, 0, TCPF_SYN, NULL, 0);
	for (i = 0; i < 100 && rc == REASM_OK; i++) {
		rc = add(&r, &s, (uint32_t)(10 + 2 * i), 0, "y", 1); /* 1-byte holes between */
		assert_true(r.pending_segs <= small.max_pending_segs);
	}
	assert_int_equal(rc, REASM_GAVE_UP);
	assert_int_equal(i, small.max_pending_segs + 1);
	assert_null(r.pending);
	reasm_free(&r);
}

/* A segment that starts far beyond anything the limits allow to wait for. */
static void test_far_ahead(void **state)
{
	static struct sink s;
	struct reasm r;

	(void)state;
	memset(&s, 0, sizeof(s));
	reasm_init(&r);
	add(&r, &s, 0, TCPF_SYN, NULL, 0);
	assert_int_equal(add(&r, &s, 1 + 4096, 0, "z", 1), REASM_GAVE_UP);
	reasm_free(&r);

	memset(&s, 0, sizeof(s));
	reasm_init(&r);
	add(&r, &s, 0, TCPF_SYN, NULL, 0);
	assert_int_equal(add(&r, &s, 1 + 4095, 0, "z", 1), REASM_OK); /* just fits */
	assert_int_equal(r.pending_bytes, 1);
	reasm_free(&r); /* frees the pending segment (ASan: no leak) */
}

static void test_fin_cases(void **state)
{
	static struct sink s;
	struct reasm r;

	(void)state;
	/* a bare FIN ahead of data; the data beyond it is junk */
	memset(&s, 0, sizeof(s));
	reasm_init(&r);
	add(&r, &s, 0, TCPF_SYN, NULL, 0);
	assert_int_equal(add(&r, &s, 4, TCPF_FIN, NULL, 0), REASM_OK);
	assert_int_equal(r.pending_segs, 1);
	assert_int_equal(add(&r, &s, 4, 0, "after", 5), REASM_OK);
	/* a FIN elsewhere is junk (its byte is the first copy, though) */
	assert_int_equal(add(&r, &s, 2, TCPF_FIN, "B", 1), REASM_OK);
	assert_int_equal(r.fin, 0);
	assert_int_equal(add(&r, &s, 1, 0, "abcdef", 6), REASM_OK);
	expect(&s, "aBc");
	assert_int_equal(r.fin, 1);
	assert_int_equal(r.next, 5);
	reasm_free(&r);

	/* a FIN in order while later data is pending: the data came first, the FIN is junk */
	memset(&s, 0, sizeof(s));
	reasm_init(&r);
	add(&r, &s, 0, TCPF_SYN, NULL, 0);
	add(&r, &s, 5, 0, "ef", 2);
	assert_int_equal(add(&r, &s, 1, TCPF_FIN, "ab", 2), REASM_OK);
	assert_int_equal(r.fin, 0);
	add(&r, &s, 3, 0, "cd", 2);
	expect(&s, "abcdef");
	add(&r, &s, 7, TCPF_FIN, NULL, 0);
	assert_int_equal(r.fin, 1);
	reasm_free(&r);

	/* the FIN retransmitted while it waits */
	memset(&s, 0, sizeof(s));
	reasm_init(&r);
	add(&r, &s, 0, TCPF_SYN, NULL, 0);
	add(&r, &s, 3, TCPF_FIN, "cd", 2);
	add(&r, &s, 3, TCPF_FIN, "cd", 2);
	add(&r, &s, 5, TCPF_FIN, NULL, 0);
	assert_int_equal(r.pending_segs, 1);
	add(&r, &s, 1, 0, "ab", 2);
	expect(&s, "abcd");
	assert_int_equal(r.fin, 1);
	reasm_free(&r);
}

/* The consumer stops: its value comes back, and the run it stopped in counts as delivered. */
static void test_consumer_stops(void **state)
{
	static struct sink s;
	struct reasm r;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	reasm_init(&r);
	add(&r, &s, 0, TCPF_SYN, NULL, 0);
	assert_int_equal(add(&r, &s, 3, 0, "cd", 2), REASM_OK);
	assert_int_equal(add(&r, &s, 7, 0, "gh", 2), REASM_OK);
	/* runs: "ab" (new), "cd" (pending) -> stop */
	assert_int_equal(add(&r, &s, 1, 0, "abcdefgh", 8), 7);
	expect(&s, "abcd");
	assert_int_equal(r.next, 5);
	reasm_free(&r);

	/* stopped in a run of the segment's own bytes: the rest of it is dropped */
	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	reasm_init(&r);
	add(&r, &s, 0, TCPF_SYN, NULL, 0);
	assert_int_equal(add(&r, &s, 5, 0, "ef", 2), REASM_OK);
	assert_int_equal(add(&r, &s, 1, 0, "abcdef", 6), 7);
	expect(&s, "abcd");
	assert_int_equal(r.next, 5);
	assert_int_equal(r.pending_segs, 1); /* "ef" still waits */
	reasm_free(&r);
}

/* NULL limits: the defaults (256 KiB of pending data). */
static void test_default_limits(void **state)
{
	static struct sink s;
	static unsigned char blk[64 * 1024];
	struct reasm r;
	int rc = REASM_OK, i;

	(void)state;
	memset(&s, 0, sizeof(s));
	reasm_init(&r);
	assert_int_equal(reasm_add(&r, NULL, 0, TCPF_SYN, NULL, 0, collect, &s), REASM_OK);
	for (i = 0; i < 10 && rc == REASM_OK; i++)
		rc = reasm_add(&r, NULL, (uint32_t)(2 + i * sizeof(blk)), 0, blk, sizeof(blk),
		               collect, &s);
	assert_int_equal(rc, REASM_GAVE_UP);
	assert_int_equal(i, 4); /* 1 + 4 * 64 KiB is past 256 KiB */
	reasm_free(&r);
}

/* ---------------------------------------------------------------- random model check */

static uint64_t rng(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct piece {
	uint32_t off;
	size_t len;
	int fin;
	int variant;   /* 0: the true bytes, else other bytes (a differing retransmission) */
};

/* The byte piece p carries at stream position at. */
static unsigned char piece_byte(const struct piece *p, const unsigned char *stream, size_t at)
{
	return p->variant ? (unsigned char)(stream[at] ^ 0x5a) : stream[at];
}

/* A random stream cut into random overlapping pieces, given in random order with duplicates
 * (some with other bytes). Whatever arrives first for a byte is what must come out. */
static void test_random_model(void **state)
{
	enum { LEN = 3000, MAXP = 400 };
	static unsigned char stream[LEN], expect_buf[LEN], seg[LEN];
	static struct sink s;
	static struct piece pc[MAXP];
	static const struct reasm_limits roomy = { 64 * 1024, 4096 };
	uint64_t seed = 12345;

	(void)state;
	for (int round = 0; round < 300; round++) {
		struct reasm r;
		uint32_t isn = (uint32_t)rng(&seed);
		size_t np = 0, covered_to = 0;
		int have[LEN];
		int fin_given = 0;

		if (round % 3 == 0)
			isn = 0xffffffffu - (uint32_t)(rng(&seed) % 2000); /* wraps inside */
		for (size_t i = 0; i < LEN; i++)
			stream[i] = (unsigned char)rng(&seed);
		/* pieces that cover the stream, then duplicates and differing overlaps */
		while (covered_to < LEN) {
			size_t len = 1 + rng(&seed) % 200;

			if (covered_to + len > LEN)
				len = LEN - covered_to;
			pc[np++] = (struct piece){ (uint32_t)covered_to, len, 0, 0 };
			pc[np - 1].fin = covered_to + len == LEN;
			covered_to += len;
		}
		while (np < MAXP - 1 && rng(&seed) % 4 != 0) {
			size_t a = rng(&seed) % LEN, len = 1 + rng(&seed) % 300;

			if (a + len > LEN)
				len = LEN - a;
			pc[np++] = (struct piece){ (uint32_t)a, len, 0, (int)(rng(&seed) % 2) };
		}
		for (size_t i = np; i > 1; i--) { /* shuffle */
			size_t j = rng(&seed) % i;
			struct piece t = pc[i - 1];

			pc[i - 1] = pc[j];
			pc[j] = t;
		}
		/* the model: first copy of each byte */
		memset(have, 0, sizeof(have));
		for (size_t i = 0; i < np; i++)
			for (size_t k = 0; k < pc[i].len; k++) {
				size_t at = pc[i].off + k;

				if (!have[at]) {
					have[at] = 1;
					expect_buf[at] = piece_byte(&pc[i], stream, at);
				}
			}
		memset(&s, 0, sizeof(s));
		reasm_init(&r);
		assert_int_equal(reasm_add(&r, &roomy, isn, TCPF_SYN, NULL, 0, collect, &s),
		                 REASM_OK);
		for (size_t i = 0; i < np; i++) {
			uint8_t fl = pc[i].fin ? TCPF_FIN : 0;
			uint32_t at = isn + 1 + pc[i].off;

			for (size_t k = 0; k < pc[i].len; k++)
				seg[k] = piece_byte(&pc[i], stream, pc[i].off + k);
			fin_given |= pc[i].fin;
			assert_int_equal(reasm_add(&r, &roomy, at, fl, seg, pc[i].len, collect, &s),
			                 REASM_OK);
			assert_true(r.pending_bytes <= LEN);
		}
		assert_int_equal(s.len, LEN);
		assert_memory_equal(s.buf, expect_buf, LEN);
		assert_int_equal(r.fin, fin_given);
		assert_int_equal(r.next, (uint32_t)(isn + 1 + LEN + 1));
		assert_int_equal(r.pending_segs, 0);
		reasm_free(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_syn_data),
		cmocka_unit_test(test_reordered),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_overlap_first_copy_wins),
		cmocka_unit_test(test_in_order_through_pending),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_mid_stream),
		cmocka_unit_test(test_gap_never_closes),
		cmocka_unit_test(test_too_many_segments),
		cmocka_unit_test(test_far_ahead),
		cmocka_unit_test(test_fin_cases),
		cmocka_unit_test(test_consumer_stops),
		cmocka_unit_test(test_default_limits),
		cmocka_unit_test(test_random_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
