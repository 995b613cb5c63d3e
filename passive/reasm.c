/*
 * reasm.c: one direction of a TCP connection back into its byte stream (see reasm.h).
 *
 * Positions are compared as offsets from r->next (the next byte to deliver), modulo 2^32:
 * everything kept lies at most REASM_WINDOW_MAX ahead of it, so an offset above 2^31 means
 * "already delivered". The pending list is singly linked, sorted by offset, and no two of its
 * segments share a byte; every pending segment starts strictly after next (when next reaches
 * one it is delivered at once). A FIN that arrives ahead of the data before it is kept as a
 * pending segment with `fin` set (it follows the segment's last byte; the segment may be empty)
 * and is always the last one: nothing lies beyond a FIN.
 *
 * First copy wins: a segment that overlaps bytes already pending keeps the pending bytes. A
 * segment that arrives in order is delivered straight from the caller's buffer, interleaved with
 * the pending segments it overlaps; only data that arrives ahead of a gap is copied (one
 * allocation per such segment, merged with the pending segments it overlaps).
 */
#include "passive/reasm.h"

#include <stdlib.h>
#include <string.h>

#include "passive/packet.h"

/* No TCP window exceeds 2^30 bytes (RFC 7323): nothing further ahead is kept. */
#define REASM_WINDOW_MAX ((size_t)1 << 30)

struct reasm_seg {
	struct reasm_seg *next;     /* owned: the following segment */
	uint32_t seq;               /* of data[0] */
	uint32_t len;
	int fin;                    /* a FIN follows data[len - 1] */
	unsigned char data[];       /* len bytes */
};

void reasm_init(struct reasm *r)
{
	memset(r, 0, sizeof(*r));
}

static void free_pending(struct reasm *r)
{
	struct reasm_seg *s = r->pending, *nx;

	for (; s != NULL; s = nx) {
		nx = s->next;
		free(s);
	}
	r->pending = NULL;
	r->pending_bytes = 0;
	r->pending_segs = 0;
}

void reasm_free(struct reasm *r)
{
	free_pending(r);
}

static int give_up(struct reasm *r)
{
	free_pending(r);
	r->gave_up = 1;
	return REASM_GAVE_UP;
}

static uint32_t offset(const struct reasm *r, uint32_t seq)
{
	return seq - r->next;
}

/* Where the pending data ends (offset past its last byte; 0 when none) and whether a FIN
 * follows it. */
static uint32_t pending_end(const struct reasm *r, int *fin)
{
	const struct reasm_seg *s = r->pending;

	*fin = 0;
	if (s == NULL)
		return 0;
	while (s->next != NULL)
		s = s->next;
	*fin = s->fin;
	return offset(r, s->seq) + s->len;
}

/* Removes the first pending segment (the caller frees it). */
static struct reasm_seg *pop(struct reasm *r)
{
	struct reasm_seg *h = r->pending;

	r->pending = h->next;
	r->pending_bytes -= h->len;
	r->pending_segs--;
	return h;
}

/* Delivers the n bytes at p, which start at next, together with the pending segments they meet
 * (whose bytes win where both have them), then whatever pending data becomes contiguous; fin: a
 * FIN follows p's last byte (no pending data lies beyond it). Never allocates. */
static int deliver_in_order(struct reasm *r, const unsigned char *p, size_t n, int fin,
                            reasm_deliver deliver, void *arg)
{
	uint32_t fin_seq = r->next + (uint32_t)n;
	int rc = 0;

	for (;;) {
		struct reasm_seg *h = r->pending;

		if (n == 0 && fin && r->next == fin_seq) {
			free_pending(r); /* at most a copy of this FIN */
			r->fin = 1;
			r->next++;
			return REASM_OK;
		}
		if (h != NULL && h->seq == r->next) {
			size_t skip = n < h->len ? n : h->len;

			h = pop(r);
			if (h->len > 0)
				rc = deliver(arg, h->data, h->len);
			r->next += h->len;
			if (skip > 0) {
				p += skip;
				n -= skip;
			}
			if (h->fin) {
				free_pending(r);
				r->fin = 1;
				r->next++;
			}
			free(h);
			if (rc != 0 || r->fin)
				return rc;
			continue;
		}
		if (n == 0)
			return REASM_OK;
		{
			size_t run = n;

			if (h != NULL && offset(r, h->seq) < run)
				run = offset(r, h->seq);
			rc = deliver(arg, p, run);
			r->next += (uint32_t)run;
			p += run;
			n -= run;
			if (rc != 0)
				return rc;
		}
	}
}

/* Keeps the n bytes at p, which start off bytes after next (off > 0, off + n within the
 * window), merged with the pending segments they overlap. */
static int keep(struct reasm *r, const struct reasm_limits *lim, uint32_t off,
                const unsigned char *p, size_t n, int fin)
{
	struct reasm_seg **link = &r->pending, *first, *s, *m;
	uint32_t lo = off, hi = off + (uint32_t)n;
	size_t old_bytes = 0, old_segs = 0;

	/* the first segment that ends after off (touching is not overlapping); a pending FIN is
	 * never reached: the caller cut the data at it */
	while (*link != NULL && offset(r, (*link)->seq) + (*link)->len <= off)
		link = &(*link)->next;
	first = *link;
	for (s = first; s != NULL && offset(r, s->seq) < off + n; s = s->next) {
		uint32_t so = offset(r, s->seq);

		if (so < lo)
			lo = so;
		if (so + s->len > hi)
			hi = so + s->len;
		old_bytes += s->len;
		old_segs++;
	}
	/* s: the first segment after the merged range */
	if (old_segs == 1 && lo == offset(r, first->seq) && hi == lo + first->len &&
	    (!fin || first->fin))
		return REASM_OK; /* a copy of what is pending: nothing new */
	if (r->pending_segs - old_segs + 1 > lim->max_pending_segs ||
	    r->pending_bytes - old_bytes + (hi - lo) > lim->max_pending_bytes)
		return give_up(r);
	m = malloc(sizeof(*m) + (hi - lo));
	if (m == NULL)
		return REASM_NOMEM;
	m->seq = r->next + lo;
	m->len = hi - lo;
	m->fin = fin && hi == off + n;
	if (n > 0)
		memcpy(m->data + (off - lo), p, n);
	/* the bytes that were here first overwrite the new copy */
	while (*link != s) {
		struct reasm_seg *o = *link;

		memcpy(m->data + (offset(r, o->seq) - lo), o->data, o->len);
		if (o->fin)
			m->fin = 1;
		*link = o->next;
		free(o);
	}
	m->next = s;
	*link = m;
	r->pending_bytes = r->pending_bytes - old_bytes + m->len;
	r->pending_segs = r->pending_segs - old_segs + 1;
	return REASM_OK;
}

int reasm_add(struct reasm *r, const struct reasm_limits *lim, uint32_t seq, uint8_t flags,
              const unsigned char *p, size_t n, reasm_deliver deliver, void *arg)
{
	struct reasm_limits l = { REASM_DEFAULT_PENDING_BYTES, REASM_DEFAULT_PENDING_SEGS };
	int fin = (flags & TCPF_FIN) != 0;
	uint32_t off, end;
	int pfin;

	if (lim != NULL) {
		if (lim->max_pending_bytes > 0)
			l.max_pending_bytes = lim->max_pending_bytes;
		if (lim->max_pending_segs > 0)
			l.max_pending_segs = lim->max_pending_segs;
	}
	if (l.max_pending_bytes > REASM_WINDOW_MAX)
		l.max_pending_bytes = REASM_WINDOW_MAX;
	if (r->gave_up)
		return REASM_GAVE_UP;
	if (r->fin)
		return REASM_OK; /* the stream has ended: retransmissions, or junk */
	if (p == NULL)
		n = 0;
	if (n > REASM_WINDOW_MAX)
		return give_up(r);
	if (flags & TCPF_SYN) {
		seq++; /* the SYN takes a sequence number: the data starts after it */
		if (!r->started) {
			r->started = 1;
			r->next = seq;
		}
	}
	if (!r->started) {
		if (n == 0 && !fin)
			return REASM_OK; /* an ACK says nothing about where the stream is */
		r->started = 1;
		r->next = seq; /* mid-stream: the first segment that says something */
	}
	off = offset(r, seq);
	if (off > (uint32_t)INT32_MAX) {
		/* starts before next: a retransmission, maybe with new bytes at its end */
		uint32_t behind = r->next - seq;

		if (behind > n)
			return REASM_OK; /* wholly delivered, FIN included */
		p += behind;
		n -= behind;
		off = 0;
	}
	end = pending_end(r, &pfin);
	if (pfin) {
		/* a FIN is known: nothing lies beyond it, and a FIN elsewhere is junk */
		if (off >= end)
			return REASM_OK;
		if ((uint64_t)off + n > end)
			n = end - off;
		if ((uint64_t)off + n != end)
			fin = 0;
	} else if (fin && end > (uint64_t)off + n) {
		fin = 0; /* data beyond this FIN came first */
	}
	if (n == 0 && !fin)
		return REASM_OK;
	if (off == 0)
		return deliver_in_order(r, n > 0 ? p : NULL, n, fin, deliver, arg);
	/* a gap before this segment: keep it if the gap can still close within the limits */
	if ((uint64_t)off + n > l.max_pending_bytes)
		return give_up(r);
	return keep(r, &l, off, p, n, fin);
}
