/*
 * packet.c: one captured frame down to its TCP segment (see packet.h).
 *
 * Every read is checked against the bytes captured: `end` is the frame's captured end and no
 * pointer is dereferenced at or past it. Lengths the headers claim (IPv4 total length, IPv6
 * payload length, TCP data offset) are checked against each other first (a contradiction is
 * PKT_MALFORMED), then the IP length bounds the segment (Ethernet padding after it is not data)
 * and the capture bounds what is returned of it (the payload is cut and `truncated` set).
 * Link, IP and TCP headers that are not all captured are PKT_MALFORMED: nothing can be said
 * about such a segment.
 */
#include "passive/packet.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <pcap/dlt.h>

/* LINKTYPE_* values (the numbers a pcap file carries) where they differ from this platform's
 * DLT_* ones: pcap_datalink() maps them, but a caller reading a file by hand may not. */
#define LT_RAW 101
#define LT_RAW_BSDOS 14
#define LT_RAW_OTHER 12
#define LT_LOOP 108
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#define DLT_IPV6 229
#endif

enum { ETH_IPV4 = 0x0800, ETH_IPV6 = 0x86dd, ETH_VLAN = 0x8100, ETH_QINQ = 0x88a8,
       ETH_QINQ_OLD = 0x9100 };
enum { IPPROTO_TCP_ = 6, IP6_HOPOPTS = 0, IP6_ROUTING = 43, IP6_AH = 51, IP6_NONE = 59,
       IP6_DSTOPTS = 60 };

/* At most this many IPv6 extension headers are skipped before the segment counts as other. */
#define MAX_IP6_EXT 8

static uint16_t rd16(const unsigned char *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The TCP header at p; `wire` bytes of segment per the IP length, `have` of them captured
 * (have <= wire). */
static enum pkt_result decode_tcp(const unsigned char *p, size_t wire, size_t have,
                                  struct pkt_tcp *seg)
{
	size_t hlen;

	if (wire < 20)
		return PKT_MALFORMED;
	if (have < 20)
		return PKT_MALFORMED;
	hlen = (size_t)(p[12] >> 4) * 4;
	if (hlen < 20 || hlen > wire)
		return PKT_MALFORMED;
	if (hlen > have)
		return PKT_MALFORMED; /* options cut by the capture */
	seg->sport = rd16(p);
	seg->dport = rd16(p + 2);
	seg->seq = rd32(p + 4);
	seg->ack = rd32(p + 8);
	seg->flags = p[13];
	seg->len = have - hlen;
	seg->payload = seg->len > 0 ? p + hlen : NULL;
	seg->truncated = have < wire;
	return PKT_TCP;
}

static enum pkt_result decode_ipv4(const unsigned char *p, const unsigned char *end,
                                   struct pkt_tcp *seg)
{
	size_t cap = (size_t)(end - p), ihl, total;

	if (cap < 20)
		return PKT_MALFORMED;
	if (p[0] >> 4 != 4)
		return PKT_MALFORMED;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	total = rd16(p + 2);
	if (total == 0)
		total = cap; /* segmentation offload on the capturing host: the length is unset */
	if (ihl < 20 || total < ihl)
		return PKT_MALFORMED;
	if (ihl > cap)
		return PKT_MALFORMED;
	if ((rd16(p + 6) & 0x3fff) != 0)
		return PKT_OTHER; /* a fragment (more fragments, or an offset) */
	if (p[9] != IPPROTO_TCP_)
		return PKT_OTHER;
	seg->family = 4;
	memcpy(seg->src, p + 12, 4);
	memcpy(seg->dst, p + 16, 4);
	return decode_tcp(p + ihl, total - ihl, (total < cap ? total : cap) - ihl, seg);
}

static enum pkt_result decode_ipv6(const unsigned char *p, const unsigned char *end,
                                   struct pkt_tcp *seg)
{
	size_t cap = (size_t)(end - p), total, have, off = 40;
	unsigned nh;

	if (cap < 40)
		return PKT_MALFORMED;
	if (p[0] >> 4 != 6)
		return PKT_MALFORMED;
	nh = p[6];
	total = 40 + (size_t)rd16(p + 4);
	if (total == 40 && nh != IP6_NONE)
		total = cap; /* offloaded segment or jumbogram: the length is not in the header */
	have = total < cap ? total : cap;
	for (int i = 0; nh != IPPROTO_TCP_; i++) {
		size_t hl;

		if (nh != IP6_HOPOPTS && nh != IP6_ROUTING && nh != IP6_DSTOPTS && nh != IP6_AH)
			return PKT_OTHER; /* a fragment, UDP, ICMPv6, ESP, no next header, ... */
		if (i == MAX_IP6_EXT)
			return PKT_OTHER;
		if (off + 2 > have)
			return PKT_MALFORMED; /* past the payload length, or not captured */
		/* AH counts its length in 4-byte units less 2, the others in 8-byte units less 1 */
		hl = nh == IP6_AH ? ((size_t)p[off + 1] + 2) * 4 : ((size_t)p[off + 1] + 1) * 8;
		nh = p[off];
		off += hl;
		if (off > total)
			return PKT_MALFORMED;
	}
	if (off > have)
		return PKT_MALFORMED;
	seg->family = 6;
	memcpy(seg->src, p + 8, 16);
	memcpy(seg->dst, p + 24, 16);
	return decode_tcp(p + off, total - off, have - off, seg);
}

/* The network layer at p named by an Ethernet type, after up to two VLAN tags. */
static enum pkt_result decode_ethertype(unsigned type, const unsigned char *p,
                                        const unsigned char *end, struct pkt_tcp *seg)
{
	for (int tags = 0; type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ_OLD; tags++) {
		if (tags == 2)
			return PKT_OTHER;
		if (end - p < 4)
			return PKT_MALFORMED;
		type = rd16(p + 2);
		p += 4;
	}
	if (type == ETH_IPV4)
		return decode_ipv4(p, end, seg);
	if (type == ETH_IPV6)
		return decode_ipv6(p, end, seg);
	return PKT_OTHER;
}

/* Raw IP: the version nibble says which. */
static enum pkt_result decode_ip(const unsigned char *p, const unsigned char *end,
                                 struct pkt_tcp *seg)
{
	if (p >= end)
		return PKT_MALFORMED;
	if (p[0] >> 4 == 4)
		return decode_ipv4(p, end, seg);
	if (p[0] >> 4 == 6)
		return decode_ipv6(p, end, seg);
	return PKT_MALFORMED;
}

/* BSD loopback: a 4-byte address family in the writer's byte order (DLT_NULL) or network order
 * (DLT_LOOP), both accepted. AF_INET6 differs between systems (Linux 10, NetBSD and OpenBSD 24,
 * FreeBSD 28, macOS 30). */
static enum pkt_result decode_null(const unsigned char *p, const unsigned char *end,
                                   struct pkt_tcp *seg)
{
	uint32_t fam;

	if (end - p < 4)
		return PKT_MALFORMED;
	fam = rd32(p);
	if ((fam & 0xffff0000u) != 0) /* little-endian: swap */
		fam = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
	p += 4;
	if (fam == 2)
		return decode_ipv4(p, end, seg);
	if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
		return decode_ipv6(p, end, seg);
	return PKT_OTHER;
}

enum pkt_result pkt_decode(int dlt, const unsigned char *frame, size_t caplen,
                           struct pkt_tcp *seg)
{
	const unsigned char *end;

	memset(seg, 0, sizeof(*seg));
	if (frame == NULL)
		return PKT_MALFORMED;
	end = frame + caplen;
	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < 14)
			return PKT_MALFORMED;
		return decode_ethertype(rd16(frame + 12), frame + 14, end, seg);
	case DLT_LINUX_SLL:
		/* packet type, ARPHRD type, address length, 8 address bytes, protocol */
		if (caplen < 16)
			return PKT_MALFORMED;
		return decode_ethertype(rd16(frame + 14), frame + 16, end, seg);
	case DLT_LINUX_SLL2:
		/* protocol, reserved, interface index, ARPHRD type, packet type, address length,
		 * 8 address bytes */
		if (caplen < 20)
			return PKT_MALFORMED;
		return decode_ethertype(rd16(frame), frame + 20, end, seg);
	case DLT_NULL:
		return decode_null(frame, end, seg);
	case DLT_IPV4:
		if (caplen < 1 || frame[0] >> 4 != 4)
			return PKT_MALFORMED;
		return decode_ipv4(frame, end, seg);
	case DLT_IPV6:
		if (caplen < 1 || frame[0] >> 4 != 6)
			return PKT_MALFORMED;
		return decode_ipv6(frame, end, seg);
	default:
		break;
	}
	/* 12 is DLT_LOOP on OpenBSD and DLT_RAW elsewhere: ask the platform's DLT_LOOP first. */
	if (dlt == DLT_LOOP || dlt == LT_LOOP)
		return decode_null(frame, end, seg);
	if (dlt == DLT_RAW || dlt == LT_RAW || dlt == LT_RAW_BSDOS || dlt == LT_RAW_OTHER)
		return decode_ip(frame, end, seg);
	return PKT_OTHER;
}

void pkt_addr_text(int family, const unsigned char *addr, char *buf, size_t len)
{
	if (len == 0)
		return;
	buf[0] = '\0';
	if (family == 4 || family == 6) {
		if (inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, buf, (socklen_t)len) != NULL)
			return;
	}
	snprintf(buf, len, "?");
}
