/*
 * sniff.h: passive discovery (passive/sniff.c): reads packets from a capture file (pcap or
 * pcapng) or a live interface with libpcap, follows every TCP connection through the flow
 * table (flows.h) and its reassembly (reasm.h), feeds both byte streams to a passive TLS
 * observer (tlsp.h), and hands each handshake it learned something from to the caller as an
 * observation (core/observation.h) marked OBS_PASSIVE:
 *
 *   pcap -> pkt_decode -> flows_get -> reasm_add (per direction) -> tlsp_feed -> emit
 *
 * The server of a connection is the side that answered the SYN; without one, the side that
 * did not send the ClientHello (the roles are fixed when the first payload byte is seen). An
 * observation is emitted once per connection, as soon as its handshake is past the clear
 * (both directions final) or when the connection ends, idles out or is evicted: status ok,
 * the server's address and port, SNI, STARTTLS protocol, negotiated version and cipher,
 * the server's chain (TLS <= 1.2; none for TLS 1.3), the client's certificates, JA3 and JA3S,
 * and the capture time as obs->started. Connections that never showed a TLS hello emit
 * nothing. A TLS <= 1.2 handshake whose server chain could not be read because the capture
 * lost or cut segments is emitted as handshake_failed with an error that says so, never as
 * a complete handshake without a certificate. Repeats are the caller's to fold (the same server seen in many connections).
 *
 * Memory is bounded by the flow limits (flows.h, reasm.h) and one tlsp per followed flow
 * (tlsp.h). Time is capture time (packet timestamps), so a file replays the same way at any
 * speed. Live capture: sniff_open only opens; the caller drops privileges, then sniff_run;
 * sniff_break (async-signal-safe) makes sniff_run return after the current packet.
 */
#ifndef CS_PASSIVE_SNIFF_H
#define CS_PASSIVE_SNIFF_H

#include <stddef.h>
#include <stdint.h>

#include "core/observation.h"
#include "passive/flows.h"
#include "passive/tlsp.h"

struct sniff_opts {
	const char *file;            /* -r: a pcap or pcapng file ("-" stdin); or */
	const char *iface;           /* -i: a live interface */
	const char *filter;          /* BPF filter; NULL: "tcp" */
	int snaplen;                 /* live: bytes per packet, 0: 262144 */
	int promisc;                 /* live: promiscuous mode */
	struct flow_limits limits;   /* zeros: the defaults of flows.h */
};

struct sniff_stats {
	uint64_t packets, bytes;     /* frames read, bytes captured */
	uint64_t tcp, other, malformed;
	uint64_t flows;              /* connections followed */
	uint64_t tls;                /* connections that showed a TLS hello */
	uint64_t tls13, starttls;
	uint64_t certificates;       /* server and client certificates extracted */
	uint64_t emitted;            /* observations handed to the callback */
	uint64_t gave_up;            /* directions with lost segments (a gap that never closed) */
	uint64_t truncated;          /* packets cut short by the capture's snap length */
	uint64_t parse_errors;       /* directions whose TLS parse stopped on bad input */
	uint64_t kernel_drops;       /* live: packets the kernel dropped */
	size_t peak_flows;
};

/* Called for each observation (borrowed for the call only; r is its raw passive result).
 * Returns 0 to go on, non-zero to stop the run (sniff_run returns that value). */
typedef int (*sniff_emit)(void *arg, const struct observation *obs,
                          const struct tlsp_result *r);

struct sniffer;

/* Opens the capture and compiles the filter. NULL with a message in err ("cannot open
 * capture file x.pcap: ...", "no such interface", "bad filter: ...", "you need privileges to
 * capture on eth0 (run as root or give the binary cap_net_raw)"). */
struct sniffer *sniff_open(const struct sniff_opts *o, char *err, size_t errlen);
/* Reads until the end of the file, sniff_break, an error or a non-zero emit. Flows still
 * open at the end are flushed (emitted) first. Returns 0, the emit value, or -1 with err. */
int sniff_run(struct sniffer *s, sniff_emit emit, void *arg, char *err, size_t errlen);
/* Async-signal-safe: stop sniff_run soon. */
void sniff_break(struct sniffer *s);
const struct sniff_stats *sniff_stats(const struct sniffer *s);
/* The link type's name, e.g. "EN10MB" (for messages). */
const char *sniff_linktype(const struct sniffer *s);
/* NULL is a no-op. */
void sniff_close(struct sniffer *s);

/* The observation for one passive result: fills obs (obs_new'd by the caller) from r and the
 * connection's server end; incomplete: the server's stream lost or cut segments. Returns 0, or
 * -1 when memory runs out. Exposed for tests. */
int sniff_observation(const struct tlsp_result *r, int family, const unsigned char *srv_addr,
                      uint16_t srv_port, int64_t when, int incomplete, struct observation *obs);

#endif
