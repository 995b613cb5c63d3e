/*
 * flows.h: the table of TCP connections a capture is following (passive/flows.c).
 *
 * A flow is keyed by its two (address, port) ends regardless of direction, under a keyed hash
 * (SipHash, a random key per table) so that hostile traffic cannot crowd one bucket. Its
 * client is the side that sent the SYN without ACK when that was seen first, else the receiver
 * of a SYN-ACK, else the side whose port is higher (ephemeral ports are above the service
 * ports, 1024+), else (equal ports) the sender of the first segment. Each flow holds two struct
 * reasm and a consumer pointer (void *user) the caller owns through the release callback.
 *
 * A SYN without ACK on ends already followed starts a new connection (the old one ended
 * unseen, its ports reused): the old flow is released (FLOW_CLOSED) and flows_get returns a new
 * one. Not when it repeats the flow's own SYN (same side, same sequence number), nor when the
 * flow has seen no SYN and carried no data or FIN yet (a SYN-ACK captured before its SYN).
 *
 * Bounded: at most limits->max_flows flows (default 65,536): a new flow beyond it evicts the
 * least recently used one first. Idle flows (no packet for limits->idle_timeout seconds,
 * default 60, in capture time) are expired by flows_expire; closed flows (FIN from both sides
 * or a RST) are released at once. Eviction, expiry and close all call release(arg, flow)
 * before the flow is freed, so the consumer can emit what it has; release must not call back
 * into the table. Memory: the table, the flows, and their reassembly lists (each bounded by
 * struct reasm_limits).
 */
#ifndef CS_PASSIVE_FLOWS_H
#define CS_PASSIVE_FLOWS_H

#include <stddef.h>
#include <stdint.h>

#include "passive/packet.h"
#include "passive/reasm.h"

struct flow {
	int family;
	unsigned char cli_addr[16], srv_addr[16];
	uint16_t cli_port, srv_port;
	struct reasm dir[2];            /* 0: client -> server, 1: server -> client */
	int64_t last_seen;              /* capture time, seconds (the latest; never goes back) */
	int closed_by[2];               /* FIN seen from that side */
	void *user;                     /* the consumer's state; released through release() */
};

struct flow_limits {
	size_t max_flows;               /* default 65536 */
	int64_t idle_timeout;           /* seconds, default 60 */
	struct reasm_limits reasm;
};

enum flow_end { FLOW_CLOSED, FLOW_IDLE, FLOW_EVICTED, FLOW_FLUSHED };

struct flow_table;
typedef void (*flow_release)(void *arg, struct flow *f, enum flow_end why);

/* A table with these limits (NULL, or fields 0: defaults); release (may be NULL) is called for
 * every flow that goes. NULL when memory (or randomness for the hash key) runs out. */
struct flow_table *flows_new(const struct flow_limits *lim, flow_release release, void *arg);
/* The flow of segment seg, created when new (and the table makes room by evicting); sets *dir
 * to the segment's direction (0 client to server), refreshes last_seen and the use order, and
 * sets closed_by[*dir] on a FIN. NULL when memory runs out, or when seg is a lone RST/ACK/FIN
 * of a flow that is not being followed (nothing to follow): only a segment with SYN or data,
 * and without RST, starts a flow. */
struct flow *flows_get(struct flow_table *t, const struct pkt_tcp *seg, int64_t now, int *dir);
/* Releases (FLOW_CLOSED) and frees f now: both FINs seen, or a RST. */
void flows_close(struct flow_table *t, struct flow *f);
/* Releases (FLOW_IDLE) every flow idle for longer than the timeout at time now (now -
 * last_seen > idle_timeout): walks from the least recently used flow and stops at the first
 * that is not idle, so it costs O(flows released); a capture clock that goes back can delay an
 * expiry until a later call. */
void flows_expire(struct flow_table *t, int64_t now);
/* Releases (FLOW_FLUSHED) every flow and frees the table. NULL is a no-op. */
void flows_free(struct flow_table *t);
/* Flows currently followed, and the most at once since flows_new. */
size_t flows_count(const struct flow_table *t);
size_t flows_peak(const struct flow_table *t);
/* The limits in effect (defaults filled in). */
const struct flow_limits *flows_limits(const struct flow_table *t);

#endif
