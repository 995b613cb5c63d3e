/*
 * test_flows.c: the flow table (passive/flows.c): which side is the client (SYN, SYN-ACK, else
 * the higher port), segments that start nothing, FIN tracking, close, eviction of the least
 * recently used flow at max_flows, idle expiry in capture time, flush on free, a new connection
 * on the same ends (port reuse), and a churn of 100,000 flows through a small table and through
 * the default one. Each flow carries a heap-allocated user object freed by the release callback
 * and some pending reassembly data, so a flow that leaves without release, or without its
 * memory, shows up under ASan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "passive/flows.h"

struct user {
	uint16_t cli_port;   /* to check that release gets the right flow */
};

struct log {
	size_t released[4];  /* per enum flow_end */
	uint16_t last_port;  /* cli_port of the last released flow */
	enum flow_end last_why;
	size_t created;
};

static void on_release(void *arg, struct flow *f, enum flow_end why)
{
	struct log *l = arg;
	struct user *u = f->user;

	assert_true((int)why >= FLOW_CLOSED && (int)why <= FLOW_FLUSHED);
	l->released[why]++;
	l->last_why = why;
	l->last_port = f->cli_port;
	if (u != NULL) {
		assert_int_equal(u->cli_port, f->cli_port);
		free(u);
		f->user = NULL;
	}
}

static struct pkt_tcp seg4(uint8_t a, uint16_t sport, uint8_t b, uint16_t dport, uint8_t flags,
                           size_t len)
{
	static const unsigned char data[64] = "payload";
	struct pkt_tcp s;

	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.src[0] = 127;
	s.src[3] = a;
	s.dst[0] = 127;
	s.dst[3] = b;
	s.sport = sport;
	s.dport = dport;
	s.seq = 1000;
	s.flags = flags;
	s.len = len;
	s.payload = len > 0 ? data : NULL;
	return s;
}

/* flows_get, attaching a user object to a new flow. */
static struct flow *get(struct flow_table *t, struct log *l, const struct pkt_tcp *s, int64_t now,
                        int *dir)
{
	struct flow *f = flows_get(t, s, now, dir);

	if (f != NULL && f->user == NULL) {
		struct user *u = malloc(sizeof(*u));

		assert_non_null(u);
		u->cli_port = f->cli_port;
		f->user = u;
		l->created++;
	}
	return f;
}

static int drop_bytes(void *arg, const unsigned char *p, size_t n)
{
	(void)arg;
	(void)p;
	(void)n;
	return 0;
}

static void test_defaults(void **state)
{
	struct flow_table *t = flows_new(NULL, NULL, NULL);
	const struct flow_limits *lim;
	struct flow_limits mine = { 10, 0, { 0, 3 } };

	(void)state;
	assert_non_null(t);
	lim = flows_limits(t);
	assert_int_equal(lim->max_flows, 65536);
	assert_int_equal(lim->idle_timeout, 60);
	assert_int_equal(lim->reasm.max_pending_bytes, 256 * 1024);
	assert_int_equal(lim->reasm.max_pending_segs, 256);
	assert_int_equal(flows_count(t), 0);
	assert_int_equal(flows_peak(t), 0);
	flows_free(t);
	flows_free(NULL);
	/* given fields are kept, zeros become defaults */
	t = flows_new(&mine, NULL, NULL);
	assert_non_null(t);
	lim = flows_limits(t);
	assert_int_equal(lim->max_flows, 10);
	assert_int_equal(lim->idle_timeout, 60);
	assert_int_equal(lim->reasm.max_pending_bytes, 256 * 1024);
	assert_int_equal(lim->reasm.max_pending_segs, 3);
	flows_free(t);
}

static void test_direction_with_syn(void **state)
{
	struct log l = { { 0 }, 0, 0, 0 };
	struct flow_table *t = flows_new(NULL, on_release, &l);
	struct pkt_tcp s;
	struct flow *f, *g;
	int dir = -1;

	(void)state;
	/* the client's port is the lower one here: the SYN decides, not the ports */
	s = seg4(1, 4000, 2, 50000, TCPF_SYN, 0);
	f = get(t, &l, &s, 10, &dir);
	assert_non_null(f);
	assert_int_equal(dir, 0);
	assert_int_equal(f->family, 4);
	assert_int_equal(f->cli_port, 4000);
	assert_int_equal(f->srv_port, 50000);
	assert_int_equal(f->cli_addr[3], 1);
	assert_int_equal(f->srv_addr[3], 2);
	assert_int_equal(f->last_seen, 10);
	s = seg4(2, 50000, 1, 4000, TCPF_SYN | TCPF_ACK, 0);
	g = get(t, &l, &s, 11, &dir);
	assert_ptr_equal(g, f);
	assert_int_equal(dir, 1);
	assert_int_equal(f->last_seen, 11);
	s = seg4(1, 4000, 2, 50000, TCPF_ACK, 5);
	assert_ptr_equal(get(t, &l, &s, 11, &dir), f);
	assert_int_equal(dir, 0);
	assert_int_equal(flows_count(t), 1);
	/* a segment from another address, same ports: another flow */
	s = seg4(3, 4000, 2, 50000, TCPF_SYN, 0);
	g = get(t, &l, &s, 12, &dir);
	assert_non_null(g);
	assert_ptr_not_equal(g, f);
	assert_int_equal(flows_count(t), 2);
	flows_free(t);
	assert_int_equal(l.released[FLOW_FLUSHED], 2);
}

/* Seen first: a SYN-ACK (its receiver is the client), or data (the higher port is the client). */
static void test_direction_without_syn(void **state)
{
	struct log l = { { 0 }, 0, 0, 0 };
	struct flow_table *t = flows_new(NULL, on_release, &l);
	struct pkt_tcp s;
	struct flow *f;
	int dir = -1;

	(void)state;
	s = seg4(2, 443, 1, 51000, TCPF_ACK | TCPF_PSH, 20);
	f = get(t, &l, &s, 0, &dir);
	assert_non_null(f);
	assert_int_equal(dir, 1);
	assert_int_equal(f->cli_port, 51000);
	assert_int_equal(f->cli_addr[3], 1);
	assert_int_equal(f->srv_port, 443);
	s = seg4(1, 51000, 2, 443, TCPF_ACK, 0);
	assert_ptr_equal(get(t, &l, &s, 0, &dir), f);
	assert_int_equal(dir, 0);

	s = seg4(2, 60000, 1, 3000, TCPF_SYN | TCPF_ACK, 0); /* the server has the higher port */
	f = get(t, &l, &s, 0, &dir);
	assert_non_null(f);
	assert_int_equal(dir, 1);
	assert_int_equal(f->cli_port, 3000);
	/* the SYN shows up late (capture reordering): same flow, same roles */
	s = seg4(1, 3000, 2, 60000, TCPF_SYN, 0);
	assert_ptr_equal(get(t, &l, &s, 0, &dir), f);
	assert_int_equal(dir, 0);

	/* equal ports: the first sender is the client */
	s = seg4(5, 7000, 6, 7000, TCPF_ACK, 3);
	f = get(t, &l, &s, 0, &dir);
	assert_int_equal(dir, 0);
	assert_int_equal(f->cli_addr[3], 5);
	s = seg4(6, 7000, 5, 7000, TCPF_ACK, 3);
	assert_ptr_equal(get(t, &l, &s, 0, &dir), f);
	assert_int_equal(dir, 1);
	flows_free(t);
	assert_int_equal(l.released[FLOW_FLUSHED], 3);
}

/* Segments that start nothing: a lone ACK, RST or FIN of a connection not followed. */
static void test_nothing_to_follow(void **state)
{
	struct log l = { { 0 }, 0, 0, 0 };
	struct flow_table *t = flows_new(NULL, on_release, &l);
	struct pkt_tcp s;
	int dir;

	(void)state;
	s = seg4(1, 5000, 2, 443, TCPF_ACK, 0);
	assert_null(flows_get(t, &s, 0, &dir));
	s = seg4(1, 5000, 2, 443, TCPF_RST | TCPF_ACK, 0);
	assert_null(flows_get(t, &s, 0, &dir));
	s = seg4(1, 5000, 2, 443, TCPF_RST, 10); /* an RST with diagnostic text */
	assert_null(flows_get(t, &s, 0, &dir));
	s = seg4(1, 5000, 2, 443, TCPF_FIN | TCPF_ACK, 0);
	assert_null(flows_get(t, &s, 0, &dir));
	assert_int_equal(flows_count(t), 0);
	assert_int_equal(flows_peak(t), 0);
	flows_free(t);
	assert_int_equal(l.released[FLOW_FLUSHED], 0);
}

static void test_fin_and_close(void **state)
{
	struct log l = { { 0 }, 0, 0, 0 };
	struct flow_table *t = flows_new(NULL, on_release, &l);
	struct pkt_tcp s;
	struct flow *f;
	int dir;

	(void)state;
	s = seg4(1, 5000, 2, 443, TCPF_SYN, 0);
	f = get(t, &l, &s, 0, &dir);
	s = seg4(2, 443, 1, 5000, TCPF_FIN | TCPF_ACK, 0);
	assert_ptr_equal(get(t, &l, &s, 1, &dir), f);
	assert_int_equal(f->closed_by[1], 1);
	assert_int_equal(f->closed_by[0], 0);
	s = seg4(1, 5000, 2, 443, TCPF_FIN | TCPF_ACK, 0);
	assert_ptr_equal(get(t, &l, &s, 1, &dir), f);
	assert_int_equal(f->closed_by[0], 1);
	/* the consumer closes it */
	flows_close(t, f);
	assert_int_equal(l.released[FLOW_CLOSED], 1);
	assert_int_equal(l.last_port, 5000);
	assert_int_equal(flows_count(t), 0);
	assert_int_equal(flows_peak(t), 1);
	/* the last ACK after the close: nothing to follow */
	s = seg4(2, 443, 1, 5000, TCPF_ACK, 0);
	assert_null(flows_get(t, &s, 2, &dir));
	flows_free(t);
	assert_int_equal(l.released[FLOW_FLUSHED], 0);
}

/* The table is full: the least recently used flow goes. */
static void test_eviction(void **state)
{
	struct log l = { { 0 }, 0, 0, 0 };
	struct flow_limits lim = { 4, 60, { 0, 0 } };
	struct flow_table *t = flows_new(&lim, on_release, &l);
	struct pkt_tcp s;
	int dir;

	(void)state;
	for (uint16_t p = 1; p <= 4; p++) {
		s = seg4(1, (uint16_t)(40000 + p), 2, 443, TCPF_SYN, 0);
		assert_non_null(get(t, &l, &s, p, &dir));
	}
	assert_int_equal(flows_count(t), 4);
	/* flow 1 is used again: flow 2 is now the least recently used */
	s = seg4(2, 443, 1, 40001, TCPF_ACK, 10);
	assert_non_null(get(t, &l, &s, 5, &dir));
	s = seg4(1, 40005, 2, 443, TCPF_SYN, 0);
	assert_non_null(get(t, &l, &s, 6, &dir));
	assert_int_equal(l.released[FLOW_EVICTED], 1);
	assert_int_equal(l.last_port, 40002);
	assert_int_equal(flows_count(t), 4);
	assert_int_equal(flows_peak(t), 4);
	/* flow 2 is gone: its next ACK starts nothing, its data starts it anew (evicting 3) */
	s = seg4(1, 40002, 2, 443, TCPF_ACK, 0);
	assert_null(flows_get(t, &s, 7, &dir));
	s = seg4(1, 40002, 2, 443, TCPF_ACK, 8);
	assert_non_null(get(t, &l, &s, 7, &dir));
	assert_int_equal(l.released[FLOW_EVICTED], 2);
	assert_int_equal(l.last_port, 40003);
	flows_free(t);
	assert_int_equal(l.released[FLOW_FLUSHED], 4);
	assert_int_equal(l.created, 6);
}

static void test_idle_expiry(void **state)
{
	struct log l = { { 0 }, 0, 0, 0 };
	struct flow_limits lim = { 0, 60, { 0, 0 } };
	struct flow_table *t = flows_new(&lim, on_release, &l);
	struct pkt_tcp s;
	int dir;

	(void)state;
	s = seg4(1, 40001, 2, 443, TCPF_SYN, 0);
	get(t, &l, &s, 1000, &dir);
	s = seg4(1, 40002, 2, 443, TCPF_SYN, 0);
	get(t, &l, &s, 1030, &dir);
	s = seg4(1, 40003, 2, 443, TCPF_SYN, 0);
	get(t, &l, &s, 1040, &dir);
	/* flow 1 is seen again at 1050 */
	s = seg4(2, 443, 1, 40001, TCPF_ACK, 0);
	get(t, &l, &s, 1050, &dir);
	flows_expire(t, 1090);  /* flow 2 idle for 60 s: not longer than the timeout */
	assert_int_equal(flows_count(t), 3);
	flows_expire(t, 1091);
	assert_int_equal(flows_count(t), 2);
	assert_int_equal(l.released[FLOW_IDLE], 1);
	assert_int_equal(l.last_port, 40002);
	flows_expire(t, 1111);
	assert_int_equal(flows_count(t), 0);
	assert_int_equal(l.released[FLOW_IDLE], 3);
	assert_int_equal(l.last_port, 40001);
	/* a clock that goes back does not make a flow younger than it was */
	s = seg4(1, 40004, 2, 443, TCPF_SYN, 0);
	get(t, &l, &s, 2000, &dir);
	s = seg4(2, 443, 1, 40004, TCPF_ACK, 0);
	get(t, &l, &s, 1990, &dir);
	flows_expire(t, 2059);
	assert_int_equal(flows_count(t), 1);
	flows_expire(t, 2061);
	assert_int_equal(flows_count(t), 0);
	flows_free(t);
	assert_int_equal(l.released[FLOW_FLUSHED], 0);
}

/* A SYN on ends already followed: a new connection unless it repeats the flow's SYN. */
static void test_port_reuse(void **state)
{
	struct log l = { { 0 }, 0, 0, 0 };
	struct flow_table *t = flows_new(NULL, on_release, &l);
	struct pkt_tcp s;
	struct flow *f, *g;
	int dir;

	(void)state;
	s = seg4(1, 40001, 2, 443, TCPF_SYN, 0);
	f = get(t, &l, &s, 0, &dir);
	assert_ptr_equal(get(t, &l, &s, 1, &dir), f); /* retransmitted SYN */
	assert_int_equal(l.released[FLOW_CLOSED], 0);
	s = seg4(1, 40001, 2, 443, TCPF_ACK, 10);
	assert_int_equal(reasm_add(&f->dir[0], NULL, 1000, TCPF_SYN, NULL, 0, drop_bytes, NULL),
	                 REASM_OK);
	assert_ptr_equal(get(t, &l, &s, 1, &dir), f);
	/* the same ends, a new ISN: the old connection ended unseen */
	s = seg4(1, 40001, 2, 443, TCPF_SYN, 0);
	s.seq = 99999;
	g = get(t, &l, &s, 2, &dir);
	assert_non_null(g);
	assert_int_equal(l.released[FLOW_CLOSED], 1);
	assert_int_equal(flows_count(t), 1);
	assert_int_equal(g->dir[0].started, 0); /* fresh reassembly state */
	assert_int_equal(g->closed_by[0], 0);
	assert_int_equal(dir, 0);
	/* a flow picked up mid-stream, then a SYN: a new connection too */
	s = seg4(1, 40002, 2, 443, TCPF_ACK, 10);
	f = get(t, &l, &s, 3, &dir);
	s = seg4(1, 40002, 2, 443, TCPF_SYN, 0);
	g = get(t, &l, &s, 4, &dir);
	assert_non_null(g);
	assert_int_equal(l.released[FLOW_CLOSED], 2);
	flows_free(t);
	assert_int_equal(l.released[FLOW_FLUSHED], 2);
	(void)f;
}

static void test_families(void **state)
{
	struct log l = { { 0 }, 0, 0, 0 };
	struct flow_table *t = flows_new(NULL, on_release, &l);
	struct pkt_tcp a = seg4(1, 40001, 1, 443, TCPF_SYN, 0), b = a;
	struct flow *fa, *fb;
	int dir;

	(void)state;
	/* ::1 and ::ffff:... differ from 127.0.0.1 as keys even where the bytes overlap */
	b.family = 6;
	memset(b.src, 0, 16);
	memset(b.dst, 0, 16);
	b.src[15] = 1;
	b.dst[15] = 1;
	fa = get(t, &l, &a, 0, &dir);
	fb = get(t, &l, &b, 0, &dir);
	assert_non_null(fa);
	assert_non_null(fb);
	assert_ptr_not_equal(fa, fb);
	assert_int_equal(fb->family, 6);
	/* same address on both ends: the SYN picks the client */
	assert_int_equal(fa->cli_port, 40001);
	a = seg4(1, 443, 1, 40001, TCPF_SYN | TCPF_ACK, 0);
	assert_ptr_equal(get(t, &l, &a, 0, &dir), fa);
	assert_int_equal(dir, 1);
	flows_free(t);
	assert_int_equal(l.released[FLOW_FLUSHED], 2);
}

/* 100,000 connections through a table of max_flows: each ends closed, evicted, expired or
 * flushed, exactly once, with its pending reassembly data freed. */
static size_t churn(size_t max_flows)
{
	struct log l = { { 0 }, 0, 0, 0 };
	struct flow_limits lim = { max_flows, 5, { 0, 0 } };
	struct flow_table *t = flows_new(&lim, on_release, &l);
	uint64_t x = 88172645463325252ULL;
	size_t total, peak;

	assert_non_null(t);
	for (uint32_t i = 0; i < 100000; i++) {
		struct pkt_tcp s = seg4((uint8_t)i, (uint16_t)(1024 + i % 60000), 2, 443, TCPF_SYN,
		                        0);
		struct flow *f;
		int dir;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		s.src[1] = (unsigned char)(i >> 16); /* unique ends: 127.(i >> 16).(i >> 8).i */
		s.src[2] = (unsigned char)(i >> 8);
		f = get(t, &l, &s, i / 1000, &dir);
		assert_non_null(f);
		/* some out-of-order data waits in the reassembly list */
		if (x % 3 == 0) {
			const struct reasm_limits *rl = &flows_limits(t)->reasm;

			const unsigned char *d = (const unsigned char *)"pending";

			assert_int_equal(reasm_add(&f->dir[0], rl, s.seq, TCPF_SYN, NULL, 0,
			                           drop_bytes, NULL), REASM_OK);
			assert_int_equal(reasm_add(&f->dir[0], rl, s.seq + 100, 0, d, 7, drop_bytes,
			                           NULL), REASM_OK);
			assert_int_equal(f->dir[0].pending_segs, 1);
		}
		if (x % 5 == 0)
			flows_close(t, f);
		if (i % 1000 == 999)
			flows_expire(t, i / 1000);
		assert_true(flows_count(t) <= max_flows);
	}
	peak = flows_peak(t);
	assert_true(peak <= max_flows);
	total = l.released[FLOW_CLOSED] + l.released[FLOW_IDLE] + l.released[FLOW_EVICTED] +
	        l.released[FLOW_FLUSHED] + flows_count(t);
	assert_int_equal(total, l.created);
	assert_int_equal(l.created, 100000);
	flows_free(t);
	assert_int_equal(l.released[FLOW_CLOSED] + l.released[FLOW_IDLE] +
	                 l.released[FLOW_EVICTED] + l.released[FLOW_FLUSHED], 100000);
	print_message("    max_flows %zu: closed %zu, idle %zu, evicted %zu, flushed %zu\n",
	              max_flows, l.released[FLOW_CLOSED], l.released[FLOW_IDLE],
	              l.released[FLOW_EVICTED], l.released[FLOW_FLUSHED]);
	return peak;
}

static void test_churn(void **state)
{
	(void)state;
	assert_int_equal(churn(1000), 1000);   /* mostly evicted */
	assert_true(churn(65536) > 4000);      /* mostly expired; the bucket array grows */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_direction_with_syn),
		cmocka_unit_test(test_direction_without_syn),
		cmocka_unit_test(test_nothing_to_follow),
		cmocka_unit_test(test_fin_and_close),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_idle_expiry),
		cmocka_unit_test(test_port_reuse),
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
