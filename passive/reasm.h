/*
 * reasm.h: reassembly of one direction of a TCP connection into the byte stream the receiver
 * saw (passive/reasm.c), well enough to follow a TLS handshake: segments out of order,
 * retransmitted (in full or overlapping: the first copy of a byte wins, as most stacks keep
 * it), split records and several records per segment are all the consumer's bytes in order.
 *
 * The stream starts at the SYN's sequence number + 1 when the SYN was seen, else at the first
 * segment that carries data or a FIN (a capture that starts mid-connection; bytes from before
 * that point are then taken as retransmissions). Sequence numbers wrap (comparisons are modulo
 * 2^32). Out-of-order data waits in a list bounded by limits->max_pending_bytes; past it, or
 * when the gap stays open while more than that much later data arrives, the stream gives up
 * (REASM_GAVE_UP) rather than grow: a lost segment in a capture must not cost memory forever.
 * Precisely: a segment that ends more than max_pending_bytes past the first missing byte, or a
 * pending list that would hold more than max_pending_segs segments, gives up (and frees the
 * list). Memory per direction: the pending list only; data is delivered as soon as it is in
 * order and never kept; a segment that arrives in order is delivered from the caller's buffer
 * without any allocation.
 *
 * FIN: once everything before it is delivered, fin is set and the stream is over. Data beyond
 * a FIN, and a FIN at another position than the first one seen, are ignored (so is a FIN with
 * data already pending beyond it: that data came first).
 */
#ifndef CS_PASSIVE_REASM_H
#define CS_PASSIVE_REASM_H

#include <stddef.h>
#include <stdint.h>

struct reasm_seg;

struct reasm {
	int started;                    /* next is valid */
	uint32_t next;                  /* sequence number of the next byte to deliver */
	struct reasm_seg *pending;      /* owned: out-of-order segments by sequence, no overlap */
	size_t pending_bytes;
	size_t pending_segs;
	int gave_up;
	int fin;                        /* FIN seen and everything before it delivered */
};

struct reasm_limits {
	size_t max_pending_bytes;       /* default 256 KiB (0: the default) */
	size_t max_pending_segs;        /* default 256 (0: the default) */
};
#define REASM_DEFAULT_PENDING_BYTES ((size_t)256 * 1024)
#define REASM_DEFAULT_PENDING_SEGS ((size_t)256)

enum reasm_rc { REASM_OK = 0, REASM_GAVE_UP = 1, REASM_NOMEM = -1 };

/* Called with each run of bytes in stream order (n > 0); returns 0 to go on, non-zero to stop
 * delivering (the value is returned by reasm_add). After a stop, the run counts as delivered
 * (next is past it), the rest of that call's segment is dropped and pending data stays. */
typedef int (*reasm_deliver)(void *arg, const unsigned char *p, size_t n);

void reasm_init(struct reasm *r);
/* Adds one segment (seq, payload, SYN/FIN flags as in struct pkt_tcp.flags; other flags are
 * ignored); delivers what becomes in order. lim NULL: the defaults. p is not kept. Returns
 * REASM_OK, REASM_GAVE_UP (limits hit or a gap that cannot close; nothing more is delivered,
 * every later call returns it too), REASM_NOMEM (this segment was dropped), or the deliver
 * callback's non-zero value. After the FIN, calls return REASM_OK and deliver nothing. */
int reasm_add(struct reasm *r, const struct reasm_limits *lim, uint32_t seq, uint8_t flags,
              const unsigned char *p, size_t n, reasm_deliver deliver, void *arg);
/* Frees the pending list. */
void reasm_free(struct reasm *r);

#endif
