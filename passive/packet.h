/*
 * packet.h: decoding one captured frame down to its TCP segment (passive/packet.c). Pure: no
 * I/O, no allocation; the payload points into the caller's frame.
 *
 * Link types (pcap DLT_*): EN10MB (Ethernet II, with up to two 802.1Q/802.1ad VLAN tags),
 * LINUX_SLL and LINUX_SLL2 ("any" interface captures), NULL and LOOP (BSD loopback, 4-byte
 * family in host or network order), RAW / IPV4 / IPV6 (no link header; RAW is also accepted
 * as 12, 14 and LINKTYPE_RAW 101, whatever the platform's DLT_RAW is). Network: IPv4 (options
 * skipped; fragments other than the first, and first fragments, are ignored: TLS over
 * fragmented IP is not reassembled), IPv6 with hop-by-hop, routing, destination-options
 * extension headers skipped (a fragment header: ignored), at most 8 of them, AH skipped too.
 * The IP total/payload length bounds the TCP payload (Ethernet padding is not data); a length
 * of 0 (segmentation offload on the capturing host) takes the captured bytes. A frame cut short
 * by the snap length (caplen) gives a truncated payload and `truncated` set; one cut inside its
 * link, IP or TCP headers is PKT_MALFORMED. Checksums are not checked (offloaded on the
 * capturing host, they are often wrong in captures).
 */
#ifndef CS_PASSIVE_PACKET_H
#define CS_PASSIVE_PACKET_H

#include <stddef.h>
#include <stdint.h>

enum { TCPF_FIN = 0x01, TCPF_SYN = 0x02, TCPF_RST = 0x04, TCPF_PSH = 0x08, TCPF_ACK = 0x10 };

struct pkt_tcp {
	int family;                     /* 4 or 6 */
	unsigned char src[16], dst[16]; /* IPv4 in the first 4 bytes */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;                  /* TCPF_* (the TCP flags byte as sent: URG, ECE, CWR too) */
	const unsigned char *payload;   /* borrowed from the frame; NULL when len 0 */
	size_t len;
	int truncated;                  /* the capture cut the segment short */
};

enum pkt_result { PKT_TCP = 0, PKT_OTHER = 1, PKT_MALFORMED = -1 };

/* Decodes frame (caplen bytes captured) of link type dlt. PKT_TCP with *seg filled; PKT_OTHER
 * for anything that is not a decodable TCP segment (ARP, UDP, fragments, unknown link type,
 * more than two VLAN tags); PKT_MALFORMED for headers that contradict themselves (an IP version
 * other than the link type says, a length shorter than its header) or the capture length.
 * *seg is zeroed first whatever the result. */
enum pkt_result pkt_decode(int dlt, const unsigned char *frame, size_t caplen,
                           struct pkt_tcp *seg);

/* Numeric text of an address (family 4 or 6) into buf (>= 46 bytes); "?" for another family. */
void pkt_addr_text(int family, const unsigned char *addr, char *buf, size_t len);

#endif
