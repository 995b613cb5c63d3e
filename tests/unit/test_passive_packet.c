/*
 * test_passive_packet.c: pkt_decode on hand-built frames of every link type it reads (Ethernet
 * with 0, 1, 2 and 3 VLAN tags, Linux cooked v1 and v2, BSD loopback in both byte orders, raw
 * IP under each of its link-type numbers), IPv4 with options, IPv6 with extension headers, TCP
 * options; then frames whose length fields lie (each one in turn), frames cut by the capture
 * at every length (each prefix in an exactly sized heap buffer, so ASan sees any overread),
 * Ethernet padding, fragments and other protocols.
 *
 * PACKET_CORPUS_DIR=dir ./test_passive_packet also writes seed inputs for
 * tests/fuzz/fuzz_packet.c: short TCP conversations under each link type, in the fuzzer's input
 * layout (records of [link selector][length, 2 bytes big-endian][frame]).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <pcap/dlt.h>

#include "passive/packet.h"

#define A4 "127.0.0.1"
#define B4 "127.0.0.2"
#define A6 "::1"
#define B6 "::ffff:127.0.0.2"

struct spec {
	int family;
	const char *src, *dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	const unsigned char *payload;
	size_t plen;
	size_t tcp_opts;      /* bytes of TCP options (NOPs), a multiple of 4 */
	size_t ip_opts;       /* IPv4: bytes of IP options (NOPs), a multiple of 4 */
	const unsigned char *ext; /* IPv6: extension headers, chained in order before TCP */
	size_t ext_len;
	unsigned first_nh;    /* IPv6: next header of the fixed header when ext is set */
};

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* The IP packet (header, TCP header, payload) of s into out; its length. */
static size_t build_ip(unsigned char *out, const struct spec *s)
{
	size_t iph = s->family == 4 ? 20 + s->ip_opts : 40 + s->ext_len;
	size_t tcph = 20 + s->tcp_opts, total = iph + tcph + s->plen;
	unsigned char *t = out + iph;

	memset(out, 0, total);
	if (s->family == 4) {
		out[0] = (unsigned char)(0x40 | (iph / 4));
		put16(out + 2, (unsigned)total);
		put16(out + 4, 0x1234);
		out[6] = 0x40; /* don't fragment */
		out[8] = 64;
		out[9] = 6;
		memset(out + 20, 1, s->ip_opts);
		assert_int_equal(inet_pton(AF_INET, s->src, out + 12), 1);
		assert_int_equal(inet_pton(AF_INET, s->dst, out + 16), 1);
	} else {
		out[0] = 0x60;
		put16(out + 4, (unsigned)(total - 40));
		out[6] = s->ext_len > 0 ? (unsigned char)s->first_nh : 6;
		out[7] = 64;
		assert_int_equal(inet_pton(AF_INET6, s->src, out + 8), 1);
		assert_int_equal(inet_pton(AF_INET6, s->dst, out + 24), 1);
		if (s->ext_len > 0)
			memcpy(out + 40, s->ext, s->ext_len);
	}
	put16(t, s->sport);
	put16(t + 2, s->dport);
	put32(t + 4, s->seq);
	put32(t + 8, s->ack);
	t[12] = (unsigned char)((tcph / 4) << 4);
	t[13] = s->flags;
	put16(t + 14, 65535);
	memset(t + 20, 1, s->tcp_opts);
	if (s->plen > 0)
		memcpy(t + tcph, s->payload, s->plen);
	return total;
}

/* Link types as the fuzzer numbers them (tests/fuzz/fuzz_packet.c). */
static const int fuzz_dlts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP,
	                         DLT_RAW, DLT_IPV4, DLT_IPV6, 14, 101 };

/* Wraps the IP packet ip (family fam) in dlt's link header with `tags` VLAN tags (Ethernet);
 * `swap` writes a loopback family in little-endian order. The frame's length. */
static size_t wrap(int dlt, unsigned char *out, const unsigned char *ip, size_t len, int fam,
                   int tags, int swap)
{
	unsigned type = fam == 4 ? 0x0800 : 0x86dd;
	size_t h = 0;

	if (dlt == DLT_EN10MB) {
		static const unsigned tpid[] = { 0x88a8, 0x8100, 0x8100 };

		memcpy(out, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
		h = 12;
		for (int i = 0; i < tags; i++) {
			put16(out + h, tpid[i]);
			put16(out + h + 2, (unsigned)(100 + i)); /* VLAN id */
			h += 4;
		}
		put16(out + h, type);
		h += 2;
	} else if (dlt == DLT_LINUX_SLL) {
		memset(out, 0, 16);
		put16(out + 2, 1);  /* ARPHRD_ETHER */
		put16(out + 4, 6);
		memcpy(out + 6, "\x02\x00\x00\x00\x00\x01", 6);
		put16(out + 14, type);
		h = 16;
	} else if (dlt == DLT_LINUX_SLL2) {
		memset(out, 0, 20);
		put16(out, type);
		put32(out + 4, 2);  /* interface index */
		put16(out + 8, 1);
		out[10] = 4;        /* outgoing */
		out[11] = 6;
		h = 20;
	} else if (dlt == DLT_NULL || dlt == DLT_LOOP) {
		uint32_t af = fam == 4 ? 2 : 30;

		if (swap) {
			out[0] = (unsigned char)af;
			out[1] = out[2] = out[3] = 0;
		} else {
			put32(out, af);
		}
		h = 4;
	}
	memcpy(out + h, ip, len);
	return h + len;
}

static enum pkt_result decode(int dlt, const unsigned char *f, size_t n, struct pkt_tcp *seg)
{
	return pkt_decode(dlt, f, n, seg);
}

static void check_seg(const struct pkt_tcp *seg, const struct spec *s)
{
	unsigned char a[16] = { 0 }, b[16] = { 0 };

	assert_int_equal(seg->family, s->family);
	assert_int_equal(inet_pton(s->family == 4 ? AF_INET : AF_INET6, s->src, a), 1);
	assert_int_equal(inet_pton(s->family == 4 ? AF_INET : AF_INET6, s->dst, b), 1);
	assert_memory_equal(seg->src, a, s->family == 4 ? 4 : 16);
	assert_memory_equal(seg->dst, b, s->family == 4 ? 4 : 16);
	assert_int_equal(seg->sport, s->sport);
	assert_int_equal(seg->dport, s->dport);
	assert_int_equal(seg->seq, s->seq);
	assert_int_equal(seg->ack, s->ack);
	assert_int_equal(seg->flags, s->flags);
	assert_int_equal(seg->len, s->plen);
	if (s->plen > 0) {
		assert_non_null(seg->payload);
		assert_memory_equal(seg->payload, s->payload, s->plen);
	} else {
		assert_null(seg->payload);
	}
	assert_int_equal(seg->truncated, 0);
}

static const unsigned char hello[] = "\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00 client hello";

static struct spec spec4(void)
{
	struct spec s = { 4, A4, B4, 51000, 443, 0xfffffff0u, 0x01020304, TCPF_ACK | TCPF_PSH,
		          hello, sizeof(hello) - 1, 0, 0, NULL, 0, 0 };

	return s;
}

static struct spec spec6(void)
{
	struct spec s = spec4();

	s.family = 6;
	s.src = A6;
	s.dst = B6;
	return s;
}

static void test_link_types(void **state)
{
	unsigned char ip[256], frame[512];
	struct pkt_tcp seg;
	const int dlts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP, DLT_RAW,
		             12, 14, 101 };

	(void)state;
	for (int fam = 4; fam <= 6; fam += 2) {
		struct spec s = fam == 4 ? spec4() : spec6();
		size_t n = build_ip(ip, &s);

		for (size_t i = 0; i < sizeof(dlts) / sizeof(dlts[0]); i++) {
			for (int swap = 0; swap < 2; swap++) {
				size_t fl = wrap(dlts[i], frame, ip, n, fam, 0, swap);

				memset(&seg, 0xa5, sizeof(seg));
				assert_int_equal(decode(dlts[i], frame, fl, &seg), PKT_TCP);
				check_seg(&seg, &s);
				/* the payload points into the frame */
				assert_ptr_equal(seg.payload, frame + fl - s.plen);
			}
		}
		assert_int_equal(decode(fam == 4 ? DLT_IPV4 : DLT_IPV6, ip, n, &seg), PKT_TCP);
		check_seg(&seg, &s);
		/* the other one of DLT_IPV4 / DLT_IPV6: the version contradicts the link type */
		assert_int_equal(decode(fam == 4 ? DLT_IPV6 : DLT_IPV4, ip, n, &seg),
		                 PKT_MALFORMED);
	}
}

static void test_loopback_families(void **state)
{
	unsigned char ip[256], frame[512];
	struct spec s = spec6();
	size_t n = build_ip(ip, &s), fl = wrap(DLT_NULL, frame, ip, n, 6, 0, 0);
	struct pkt_tcp seg;
	const uint32_t inet6[] = { 10, 24, 28, 30 };

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		put32(frame, inet6[i]);
		assert_int_equal(decode(DLT_NULL, frame, fl, &seg), PKT_TCP);
		memset(frame, 0, 4);
		frame[0] = (unsigned char)inet6[i];
		assert_int_equal(decode(DLT_LOOP, frame, fl, &seg), PKT_TCP);
	}
	put32(frame, 7); /* no family we know */
	assert_int_equal(decode(DLT_NULL, frame, fl, &seg), PKT_OTHER);
	put32(frame, 2); /* says IPv4, holds IPv6 */
	assert_int_equal(decode(DLT_NULL, frame, fl, &seg), PKT_MALFORMED);
	assert_int_equal(decode(DLT_NULL, frame, 3, &seg), PKT_MALFORMED);
}

static void test_vlan(void **state)
{
	unsigned char ip[256], frame[512];
	struct spec s = spec4();
	size_t n = build_ip(ip, &s), fl;
	struct pkt_tcp seg;

	(void)state;
	for (int tags = 1; tags <= 2; tags++) {
		fl = wrap(DLT_EN10MB, frame, ip, n, 4, tags, 0);
		assert_int_equal(fl, 14 + 4 * (size_t)tags + n);
		assert_int_equal(decode(DLT_EN10MB, frame, fl, &seg), PKT_TCP);
		check_seg(&seg, &s);
	}
	/* 802.1Q as the outer tag too */
	fl = wrap(DLT_EN10MB, frame, ip, n, 4, 2, 0);
	put16(frame + 12, 0x8100);
	assert_int_equal(decode(DLT_EN10MB, frame, fl, &seg), PKT_TCP);
	/* the old 0x9100 QinQ type */
	put16(frame + 12, 0x9100);
	assert_int_equal(decode(DLT_EN10MB, frame, fl, &seg), PKT_TCP);
	/* three tags: more than we follow */
	fl = wrap(DLT_EN10MB, frame, ip, n, 4, 3, 0);
	assert_int_equal(decode(DLT_EN10MB, frame, fl, &seg), PKT_OTHER);
	/* a tag cut short */
	assert_int_equal(decode(DLT_EN10MB, frame, 16, &seg), PKT_MALFORMED);
	/* VLAN in a cooked capture */
	{
		unsigned char c[600];
		size_t cl = wrap(DLT_LINUX_SLL, c, ip, n, 4, 0, 0);

		memmove(c + 20, c + 16, cl - 16);
		put16(c + 14, 0x8100);
		put16(c + 16, 7);
		put16(c + 18, 0x0800);
		assert_int_equal(decode(DLT_LINUX_SLL, c, cl + 4, &seg), PKT_TCP);
		check_seg(&seg, &s);
	}
}

static void test_options_and_ext_headers(void **state)
{
	unsigned char ip[512], frame[600];
	struct spec s = spec4();
	struct pkt_tcp seg;
	size_t n, fl;
	/* hop-by-hop (8 bytes) -> routing (16 bytes) -> AH (12 bytes + 4 ICV = 16) -> dest opts
	 * (8 bytes) -> TCP */
	static const unsigned char ext[] = {
		43, 0, 1, 4, 0, 0, 0, 0,                       /* hop-by-hop: PadN */
		51, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* routing, len 1 (16 bytes) */
		60, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, /* AH, len 2 ((2 + 2) * 4 = 16) */
		6, 0, 1, 4, 0, 0, 0, 0,                        /* destination options */
	};

	(void)state;
	s.tcp_opts = 12;
	s.ip_opts = 8;
	n = build_ip(ip, &s);
	fl = wrap(DLT_EN10MB, frame, ip, n, 4, 1, 0);
	assert_int_equal(decode(DLT_EN10MB, frame, fl, &seg), PKT_TCP);
	check_seg(&seg, &s);

	s = spec6();
	s.ext = ext;
	s.ext_len = sizeof(ext);
	s.first_nh = 0;
	s.tcp_opts = 20;
	n = build_ip(ip, &s);
	fl = wrap(DLT_LINUX_SLL2, frame, ip, n, 6, 0, 0);
	assert_int_equal(decode(DLT_LINUX_SLL2, frame, fl, &seg), PKT_TCP);
	check_seg(&seg, &s);
	/* a fragment header anywhere in the chain: not followed */
	frame[20 + 40 + 8] = 44;
	assert_int_equal(decode(DLT_LINUX_SLL2, frame, fl, &seg), PKT_OTHER);
	frame[20 + 40 + 8] = 51;
	/* UDP after the extension headers */
	frame[20 + 40 + 40] = 17;
	assert_int_equal(decode(DLT_LINUX_SLL2, frame, fl, &seg), PKT_OTHER);
	frame[20 + 40 + 40] = 6;
	assert_int_equal(decode(DLT_LINUX_SLL2, frame, fl, &seg), PKT_TCP);
	/* an extension header whose length runs past the payload length */
	frame[20 + 40 + 8 + 1] = 200;
	assert_int_equal(decode(DLT_LINUX_SLL2, frame, fl, &seg), PKT_MALFORMED);
}

static void test_chain_too_long(void **state)
{
	unsigned char ip[512], ext[8 * 9];
	struct spec s = spec6();
	struct pkt_tcp seg;
	size_t n;

	(void)state;
	for (int i = 0; i < 9; i++) {
		memset(ext + 8 * i, 0, 8);
		ext[8 * i] = i == 8 ? 6 : 60;
	}
	s.ext = ext;
	s.first_nh = 60;
	s.ext_len = 8 * 8;
	ext[8 * 7] = 6;
	n = build_ip(ip, &s);
	assert_int_equal(decode(DLT_RAW, ip, n, &seg), PKT_TCP); /* eight: followed */
	ext[8 * 7] = 60;
	s.ext_len = 8 * 9;
	n = build_ip(ip, &s);
	assert_int_equal(decode(DLT_RAW, ip, n, &seg), PKT_OTHER); /* nine: not */
}

/* Ethernet pads a short frame to 60 bytes: the IP length says where the data ends. */
static void test_ethernet_padding(void **state)
{
	unsigned char ip[128], frame[128];
	struct spec s = spec4();
	struct pkt_tcp seg;
	size_t n, fl;

	(void)state;
	s.payload = (const unsigned char *)"hi";
	s.plen = 2;
	n = build_ip(ip, &s);
	fl = wrap(DLT_EN10MB, frame, ip, n, 4, 0, 0);
	assert_true(fl < 60);
	memset(frame + fl, 0xee, 60 - fl);
	assert_int_equal(decode(DLT_EN10MB, frame, 60, &seg), PKT_TCP);
	check_seg(&seg, &s);
	/* no payload at all, padded: len 0, payload NULL */
	s.plen = 0;
	s.flags = TCPF_ACK;
	n = build_ip(ip, &s);
	fl = wrap(DLT_EN10MB, frame, ip, n, 4, 0, 0);
	memset(frame + fl, 0xee, 60 - fl);
	assert_int_equal(decode(DLT_EN10MB, frame, 60, &seg), PKT_TCP);
	check_seg(&seg, &s);
	/* IPv6 likewise (an IPv6 frame is never short, but trailers exist) */
	s = spec6();
	n = build_ip(ip, &s);
	fl = wrap(DLT_EN10MB, frame, ip, n, 6, 0, 0);
	memset(frame + fl, 0xee, 8);
	assert_int_equal(decode(DLT_EN10MB, frame, fl + 8, &seg), PKT_TCP);
	check_seg(&seg, &s);
}

/* A snap length that cuts the payload: what was captured, flagged. */
static void test_truncated_payload(void **state)
{
	unsigned char ip[256], frame[512];
	struct pkt_tcp seg;

	(void)state;
	for (int fam = 4; fam <= 6; fam += 2) {
		struct spec s = fam == 4 ? spec4() : spec6();
		size_t n = build_ip(ip, &s), fl = wrap(DLT_EN10MB, frame, ip, n, fam, 0, 0);

		assert_int_equal(decode(DLT_EN10MB, frame, fl - 5, &seg), PKT_TCP);
		assert_int_equal(seg.len, s.plen - 5);
		assert_int_equal(seg.truncated, 1);
		assert_memory_equal(seg.payload, s.payload, s.plen - 5);
		/* cut right after the TCP header: no payload, still truncated */
		assert_int_equal(decode(DLT_EN10MB, frame, fl - s.plen, &seg), PKT_TCP);
		assert_int_equal(seg.len, 0);
		assert_null(seg.payload);
		assert_int_equal(seg.truncated, 1);
	}
}

/* Each length field lying, one at a time. */
static void test_lying_lengths(void **state)
{
	unsigned char ip[256], f[256];
	struct spec s = spec4();
	size_t n = build_ip(ip, &s);
	struct pkt_tcp seg;

	(void)state;
#define RESET() memcpy(f, ip, n)
	RESET();
	assert_int_equal(decode(DLT_RAW, f, n, &seg), PKT_TCP);
	/* IHL below the minimum */
	RESET(); f[0] = 0x44;
	assert_int_equal(decode(DLT_RAW, f, n, &seg), PKT_MALFORMED);
	/* IHL past the total length */
	RESET(); f[0] = 0x4f; put16(f + 2, 40);
	assert_int_equal(decode(DLT_RAW, f, n, &seg), PKT_MALFORMED);
	/* IHL past the capture (total length agrees) */
	RESET(); f[0] = 0x4f;
	assert_int_equal(decode(DLT_RAW, f, 50, &seg), PKT_MALFORMED);
	/* total length shorter than the IP header */
	RESET(); put16(f + 2, 19);
	assert_int_equal(decode(DLT_RAW, f, n, &seg), PKT_MALFORMED);
	/* total length leaves no room for the TCP header */
	RESET(); put16(f + 2, 30);
	assert_int_equal(decode(DLT_RAW, f, n, &seg), PKT_MALFORMED);
	/* total length longer than captured: a truncated segment, not malformed */
	RESET(); put16(f + 2, (unsigned)n + 100);
	assert_int_equal(decode(DLT_RAW, f, n, &seg), PKT_TCP);
	assert_int_equal(seg.truncated, 1);
	assert_int_equal(seg.len, s.plen);
	/* total length shorter than the frame: the rest is not data */
	RESET(); put16(f + 2, (unsigned)n - 4);
	assert_int_equal(decode(DLT_RAW, f, n, &seg), PKT_TCP);
	assert_int_equal(seg.len, s.plen - 4);
	assert_int_equal(seg.truncated, 0);
	/* total length 0: segmentation offload, the capture gives the length */
	RESET(); put16(f + 2, 0);
	assert_int_equal(decode(DLT_RAW, f, n, &seg), PKT_TCP);
	assert_int_equal(seg.len, s.plen);
	/* TCP data offset below the minimum */
	RESET(); f[20 + 12] = 0x40;
	assert_int_equal(decode(DLT_RAW, f, n, &seg), PKT_MALFORMED);
	/* TCP data offset past the segment */
	RESET(); f[20 + 12] = 0xf0; put16(f + 2, 20 + 40);
	assert_int_equal(decode(DLT_RAW, f, n, &seg), PKT_MALFORMED);
	/* TCP data offset past the capture (the total length has room for it) */
	RESET(); f[20 + 12] = 0xf0; put16(f + 2, 20 + 60 + 10);
	assert_int_equal(decode(DLT_RAW, f, n, &seg), PKT_MALFORMED);
	/* TCP data offset takes the whole segment: header only */
	RESET(); f[20 + 12] = (unsigned char)(((n - 20) / 4) << 4);
	put16(f + 2, 20 + ((unsigned)(n - 20) / 4) * 4);
	assert_int_equal(decode(DLT_RAW, f, n, &seg), PKT_TCP);
	assert_int_equal(seg.len, 0);
	/* version nibble */
	RESET(); f[0] = 0x55;
	assert_int_equal(decode(DLT_RAW, f, n, &seg), PKT_MALFORMED);
	/* Ethernet says IPv6, the packet is IPv4 */
	{
		unsigned char e[300];
		size_t el = wrap(DLT_EN10MB, e, ip, n, 6, 0, 0);

		assert_int_equal(decode(DLT_EN10MB, e, el, &seg), PKT_MALFORMED);
	}
	/* IPv6: payload length shorter than the TCP header, longer than captured, zero */
	s = spec6();
	n = build_ip(ip, &s);
	RESET(); put16(f + 4, 10);
	assert_int_equal(decode(DLT_RAW, f, n, &seg), PKT_MALFORMED);
	RESET(); put16(f + 4, (unsigned)n);
	assert_int_equal(decode(DLT_RAW, f, n, &seg), PKT_TCP);
	assert_int_equal(seg.truncated, 1);
	RESET(); put16(f + 4, (unsigned)n - 40 - 3);
	assert_int_equal(decode(DLT_RAW, f, n, &seg), PKT_TCP);
	assert_int_equal(seg.len, s.plen - 3);
	RESET(); put16(f + 4, 0);
	assert_int_equal(decode(DLT_RAW, f, n, &seg), PKT_TCP);
	assert_int_equal(seg.len, s.plen);
	RESET(); f[6] = 59; put16(f + 4, 0); /* no next header */
	assert_int_equal(decode(DLT_RAW, f, n, &seg), PKT_OTHER);
#undef RESET
}

static void test_not_tcp(void **state)
{
	unsigned char ip[256], f[300];
	struct spec s = spec4();
	size_t n = build_ip(ip, &s), fl;
	struct pkt_tcp seg;

	(void)state;
	fl = wrap(DLT_EN10MB, f, ip, n, 4, 0, 0);
	/* fragments: more fragments set; an offset; both */
	f[14 + 6] = 0x20;
	assert_int_equal(decode(DLT_EN10MB, f, fl, &seg), PKT_OTHER);
	f[14 + 6] = 0x00; f[14 + 7] = 0x10;
	assert_int_equal(decode(DLT_EN10MB, f, fl, &seg), PKT_OTHER);
	f[14 + 6] = 0x40; f[14 + 7] = 0;
	assert_int_equal(decode(DLT_EN10MB, f, fl, &seg), PKT_TCP);
	/* UDP */
	f[14 + 9] = 17;
	assert_int_equal(decode(DLT_EN10MB, f, fl, &seg), PKT_OTHER);
	assert_int_equal(seg.family, 0); /* nothing filled in */
	f[14 + 9] = 6;
	/* ARP, an 802.3 length field */
	put16(f + 12, 0x0806);
	assert_int_equal(decode(DLT_EN10MB, f, fl, &seg), PKT_OTHER);
	put16(f + 12, 0x0100);
	assert_int_equal(decode(DLT_EN10MB, f, fl, &seg), PKT_OTHER);
	/* an unknown link type */
	assert_int_equal(decode(147, f, fl, &seg), PKT_OTHER);
	/* nothing at all */
	assert_int_equal(decode(DLT_EN10MB, f, 0, &seg), PKT_MALFORMED);
	assert_int_equal(decode(DLT_EN10MB, NULL, 0, &seg), PKT_MALFORMED);
	assert_int_equal(decode(DLT_RAW, f, 0, &seg), PKT_MALFORMED);
}

/* Every prefix of every kind of frame, each in a buffer of exactly its size: TCP (truncated when
 * the payload is cut) or malformed, never a read past the end. */
static void test_every_prefix(void **state)
{
	static const unsigned char ext[] = { 60, 0, 1, 4, 0, 0, 0, 0, 6, 1, 0, 0, 0, 0, 0, 0,
		                             0, 0, 0, 0, 0, 0, 0, 0 };
	unsigned char ip[512], frame[600];
	const int dlts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP,
		             DLT_RAW };
	struct pkt_tcp seg;

	(void)state;
	for (int fam = 4; fam <= 6; fam += 2) {
		struct spec s = fam == 4 ? spec4() : spec6();
		size_t n;

		s.tcp_opts = 8;
		if (fam == 4) {
			s.ip_opts = 4;
		} else {
			s.ext = ext;
			s.ext_len = sizeof(ext);
			s.first_nh = 0;
		}
		n = build_ip(ip, &s);
		for (size_t d = 0; d < sizeof(dlts) / sizeof(dlts[0]); d++) {
			int tags = dlts[d] == DLT_EN10MB ? 2 : 0;
			size_t fl = wrap(dlts[d], frame, ip, n, fam, tags, 0);
			size_t hdrs = fl - s.plen;

			for (size_t cut = 0; cut <= fl; cut++) {
				unsigned char *b = malloc(cut > 0 ? cut : 1);
				enum pkt_result rc;

				assert_non_null(b);
				memcpy(b, frame, cut);
				rc = decode(dlts[d], b, cut, &seg);
				if (cut < hdrs) {
					assert_int_equal(rc, PKT_MALFORMED);
				} else {
					assert_int_equal(rc, PKT_TCP);
					assert_int_equal(seg.len, cut - hdrs);
					assert_int_equal(seg.truncated, cut < fl);
				}
				free(b);
			}
		}
	}
}

static void test_addr_text(void **state)
{
	unsigned char a[16] = { 127, 0, 0, 1 }, b[16] = { 0 };
	char buf[64];

	(void)state;
	pkt_addr_text(4, a, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1");
	b[15] = 1;
	pkt_addr_text(6, b, buf, sizeof(buf));
	assert_string_equal(buf, "::1");
	assert_int_equal(inet_pton(AF_INET6, B6, b), 1);
	pkt_addr_text(6, b, buf, sizeof(buf));
	assert_string_equal(buf, "::ffff:127.0.0.2");
	pkt_addr_text(5, b, buf, sizeof(buf));
	assert_string_equal(buf, "?");
	pkt_addr_text(4, a, buf, 4); /* too small: still a terminated string */
	assert_true(strlen(buf) < 4);
}

/* ---------------------------------------------------------------- fuzz seeds */

struct rec {
	unsigned char *buf;
	size_t len, cap;
};

static void rec_add(struct rec *r, unsigned sel, const unsigned char *f, size_t n)
{
	assert_true(r->len + 3 + n <= r->cap);
	r->buf[r->len] = (unsigned char)sel;
	put16(r->buf + r->len + 1, (unsigned)n);
	memcpy(r->buf + r->len + 3, f, n);
	r->len += 3 + n;
}

/* One segment between client port cport and port 443, framed for fuzz link selector sel. */
static void port_seg(struct rec *r, unsigned sel, int fam, uint16_t cport, int from_client,
                     uint32_t seq, uint32_t ack, uint8_t flags, const char *data, size_t n)
{
	unsigned char ip[2048], frame[2100];
	struct spec s = fam == 4 ? spec4() : spec6();
	int dlt = fuzz_dlts[sel & 0x0f];
	size_t il, fl;

	s.sport = cport;
	if (!from_client) {
		const char *t = s.src;
		s.src = s.dst;
		s.dst = t;
		s.sport = 443;
		s.dport = cport;
	}
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	s.payload = (const unsigned char *)data;
	s.plen = n;
	il = build_ip(ip, &s);
	fl = wrap(dlt, frame, ip, il, fam, dlt == DLT_EN10MB ? (int)(seq & 1) : 0, 0);
	rec_add(r, sel, frame, fl);
}

static void conv_seg(struct rec *r, unsigned sel, int fam, int from_client, uint32_t seq,
                     uint32_t ack, uint8_t flags, const char *data, size_t n)
{
	port_seg(r, sel, fam, 51000, from_client, seq, ack, flags, data, n);
}

/* A handshake, data out of order and retransmitted (with different bytes), FINs. The client's
 * ISN sits just below 2^32 so its stream wraps. */
static void conversation(struct rec *r, unsigned sel, int fam)
{
	const uint32_t c = 0xfffffff0u, sv = 0x10000000u;
	/* (longer than the parts sent) */
	const char *ch = "\x16\x03\x01\x00\x20\x01\x00\x00\x1c\x03\x03 client hello bytes, padding";
	const char *sh = "\x16\x03\x03\x00\x10\x02\x00\x00\x0c\x03\x03 server hello bytes, padding";

	conv_seg(r, sel, fam, 1, c, 0, TCPF_SYN, NULL, 0);
	conv_seg(r, sel, fam, 0, sv, c + 1, TCPF_SYN | TCPF_ACK, NULL, 0);
	conv_seg(r, sel, fam, 1, c + 1, sv + 1, TCPF_ACK, NULL, 0);
	conv_seg(r, sel, fam, 1, c + 1 + 20, sv + 1, TCPF_ACK | TCPF_PSH, ch + 20, 17);
	conv_seg(r, sel, fam, 1, c + 1, sv + 1, TCPF_ACK, ch, 20);
	conv_seg(r, sel, fam, 1, c + 1 + 10, sv + 1, TCPF_ACK, "XXXXXXXXXXXXXXXX", 16);
	conv_seg(r, sel | 0x10, fam, 0, sv + 1, c + 38, TCPF_ACK | TCPF_PSH, sh, 30);
	conv_seg(r, sel, fam, 0, sv + 31, c + 38, TCPF_ACK | TCPF_FIN, NULL, 0);
	conv_seg(r, sel, fam, 1, c + 38, sv + 32, TCPF_ACK | TCPF_FIN, NULL, 0);
}

/* More connections than the fuzzer's table holds (8), one with a gap that never closes (more
 * than its 2 KiB of pending data after it), a RST, and the clock moving past the idle timeout. */
static void busy(struct rec *r)
{
	static char blk[400];

	memset(blk, 'b', sizeof(blk));
	for (uint16_t i = 0; i < 12; i++) {
		unsigned sel = i % 2 ? 5 : 0;
		uint16_t cp = (uint16_t)(40000 + i);

		port_seg(r, sel, 4, cp, 1, 1000u * i, 0, TCPF_SYN, NULL, 0);
		port_seg(r, sel, 4, cp, 1, 1000u * i + 1, 0, TCPF_ACK, "\x16\x03\x01hi", 5);
		port_seg(r, sel, 4, cp, 0, 7, 1000u * i + 6, TCPF_ACK, "\x16\x03\x03ok", 5);
	}
	port_seg(r, 0, 6, 41000, 1, 50, 0, TCPF_SYN, NULL, 0);
	for (uint32_t k = 0; k < 7; k++) /* byte 51 never comes */
		port_seg(r, 0, 6, 41000, 1, 52 + k * 400, 0, TCPF_ACK, blk, sizeof(blk));
	port_seg(r, 0, 6, 41000, 0, 9, 0, TCPF_RST, NULL, 0);
	port_seg(r, 0x40, 4, 40011, 1, 11006, 0, TCPF_ACK, "late", 4);
	port_seg(r, 0x40, 4, 40011, 1, 11010, 0, TCPF_ACK | TCPF_FIN, NULL, 0);
}

/* Out-of-order segments that overlap each other with different bytes before the gap closes
 * (IPv6), and many small segments after a gap (more than the fuzzer's 8 pending segments). */
static void overlaps(struct rec *r)
{
	port_seg(r, 2, 6, 42000, 1, 100, 0, TCPF_SYN, NULL, 0);
	port_seg(r, 2, 6, 42000, 1, 111, 0, TCPF_ACK, "aaaaaaaaaa", 10);
	port_seg(r, 2, 6, 42000, 1, 116, 0, TCPF_ACK, "BBBBBBBBBBBBBBB", 15);
	port_seg(r, 2, 6, 42000, 1, 106, 0, TCPF_ACK, "ccccccc", 7);
	port_seg(r, 2, 6, 42000, 1, 131, 0, TCPF_ACK | TCPF_FIN, "dd", 2);
	port_seg(r, 2, 6, 42000, 1, 109, 0, TCPF_ACK, "EEEEEEEEEEEEEEEEEEEEEEEE", 24);
	port_seg(r, 2, 6, 42000, 1, 101, 0, TCPF_ACK, "ffffffffff", 10);
	port_seg(r, 3, 4, 42001, 1, 500, 0, TCPF_SYN, NULL, 0);
	for (uint32_t k = 0; k < 10; k++)
		port_seg(r, 3, 4, 42001, 1, 503 + 2 * k, 0, TCPF_ACK, "g", 1);
	port_seg(r, 3, 4, 42001, 1, 501, 0, TCPF_ACK, "hhhhhhhhhhhhhhhhhhhhhhhh", 24);
}

static void test_write_fuzz_corpus(void **state)
{
	const char *dir = getenv("PACKET_CORPUS_DIR");
	struct rec r;
	static const char *const names[] = { "en10mb", "sll", "sll2", "null", "loop", "raw",
		                             "ipv4", "ipv6", "raw14", "raw101" };

	(void)state;
	if (dir == NULL)
		skip();
	r.cap = 64 * 1024;
	r.buf = malloc(r.cap);
	assert_non_null(r.buf);
	for (unsigned sel = 0; sel < 10; sel++) {
		for (int fam = 4; fam <= 6; fam += 2) {
			char path[1024];
			FILE *f;

			if ((fuzz_dlts[sel] == DLT_IPV4 && fam == 6) ||
			    (fuzz_dlts[sel] == DLT_IPV6 && fam == 4))
				continue;
			r.len = 0;
			conversation(&r, sel, fam);
			snprintf(path, sizeof(path), "%s/%s-v%d", dir, names[sel], fam);
			f = fopen(path, "wb");
			assert_non_null(f);
			assert_int_equal(fwrite(r.buf, 1, r.len, f), r.len);
			assert_int_equal(fclose(f), 0);
		}
	}
	for (int k = 0; k < 2; k++) {
		char path[1024];
		FILE *f;

		r.len = 0;
		if (k == 0)
			busy(&r);
		else
			overlaps(&r);
		snprintf(path, sizeof(path), "%s/%s", dir, k == 0 ? "busy" : "overlaps");
		f = fopen(path, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(r.buf, 1, r.len, f), r.len);
		assert_int_equal(fclose(f), 0);
	}
	free(r.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_types),
		cmocka_unit_test(test_loopback_families),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_options_and_ext_headers),
		cmocka_unit_test(test_chain_too_long),
		cmocka_unit_test(test_ethernet_padding),
		cmocka_unit_test(test_truncated_payload),
		cmocka_unit_test(test_lying_lengths),
		cmocka_unit_test(test_not_tcp),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_addr_text),
		cmocka_unit_test(test_write_fuzz_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
