/*
 * fuzz_packet.c: the capture path below the TLS parser, fed hostile frames: pkt_decode ->
 * flows_get -> reasm_add, with the consumer's close rule (a RST, or FINs from both sides).
 *
 * Input layout: records of [selector][length, 2 bytes big-endian][frame]; a length that runs
 * past the input takes what is left. The selector's low nibble picks the link type (modulo 11:
 * EN10MB, LINUX_SLL, LINUX_SLL2, NULL, LOOP, RAW, IPV4, IPV6, 14, 101, and an unknown one; the
 * seed writer in tests/unit/test_passive_packet.c numbers them the same), its high nibble
 * advances the capture clock by that many seconds (expiring idle flows). Each frame is copied
 * into a buffer of exactly its size, so ASan sees any read past it. The table is small (8 flows,
 * 3 s idle, 2 KiB / 8 segments pending per direction) so eviction, expiry and giving up happen.
 *
 * Beyond memory errors (run it under ASan/UBSan) it aborts when a contract breaks:
 *   - packet.h: a payload outside its frame, a payload pointer with no length or the reverse,
 *     a family other than 4 or 6, an address text that is not a terminated printable string;
 *   - flows.h: a direction that does not match the flow's ends, more flows than max_flows, a
 *     count above the peak, a flow not released exactly once by the end;
 *   - reasm.h: a byte delivered that is not the first copy given for its sequence number (a
 *     shadow table per direction remembers the first byte given at each position, modulo its
 *     size; positions that collide are not checked), next not advanced by exactly what was
 *     delivered (plus one for a FIN), more bytes delivered than given, anything delivered after
 *     a FIN or after giving up, pending data over the limits or kept after giving up.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/dlt.h>

#include "passive/flows.h"
#include "passive/packet.h"
#include "passive/reasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int dlts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP,
	                    DLT_RAW, DLT_IPV4, DLT_IPV6, 14, 101, 147 };
#define NDLT (sizeof(dlts) / sizeof(dlts[0]))

#define SHADOW 1024
enum { SH_EMPTY = 0, SH_VALID, SH_COLLIDED };

struct shadow {
	uint32_t seq;
	unsigned char byte;
	unsigned char state;
};

struct dirstate {
	uint64_t given, delivered;
	struct shadow sh[SHADOW];
};

/* flow->user: per direction, what went in and what came out. */
struct fuser {
	struct dirstate d[2];
};

struct run {
	size_t created, released;
	struct flow_table *t;
};

static void on_release(void *arg, struct flow *f, enum flow_end why)
{
	struct run *r = arg;

	if ((int)why < FLOW_CLOSED || (int)why > FLOW_FLUSHED || f->user == NULL)
		abort();
	free(f->user);
	f->user = NULL;
	r->released++;
}

static void shadow_give(struct dirstate *ds, uint32_t seq, const unsigned char *p, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		uint32_t pos = seq + (uint32_t)k;
		struct shadow *e = &ds->sh[pos % SHADOW];

		if (e->state == SH_EMPTY) {
			e->state = SH_VALID;
			e->seq = pos;
			e->byte = p[k];
		} else if (e->state == SH_VALID && e->seq != pos) {
			e->state = SH_COLLIDED;
		}
	}
	ds->given += n;
}

struct dctx {
	struct dirstate *ds;
	uint32_t pos;       /* sequence number of the next byte expected */
	size_t calls;
};

static int on_deliver(void *arg, const unsigned char *p, size_t n)
{
	struct dctx *c = arg;

	if (p == NULL || n == 0)
		abort();
	for (size_t k = 0; k < n; k++) {
		uint32_t pos = c->pos + (uint32_t)k;
		const struct shadow *e = &c->ds->sh[pos % SHADOW];

		if (e->state == SH_EMPTY)
			abort(); /* never given */
		if (e->state == SH_VALID && (e->seq != pos || e->byte != p[k]))
			abort(); /* not given there, or not the first copy */
	}
	c->pos += (uint32_t)n;
	c->ds->delivered += n;
	if (c->ds->delivered > c->ds->given)
		abort();
	c->calls++;
	return 0;
}

static void check_text(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == cap || n == 0)
		abort();
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			abort();
}

static void check_segment(const struct pkt_tcp *seg, const unsigned char *frame, size_t caplen)
{
	char buf[64];

	if (seg->family != 4 && seg->family != 6)
		abort();
	if ((seg->payload == NULL) != (seg->len == 0))
		abort();
	if (seg->len > 0 && (seg->payload < frame || seg->len > caplen ||
	                     (size_t)(seg->payload - frame) > caplen - seg->len))
		abort();
	pkt_addr_text(seg->family, seg->src, buf, sizeof(buf));
	check_text(buf, sizeof(buf));
	pkt_addr_text(seg->family, seg->dst, buf, sizeof(buf));
	check_text(buf, sizeof(buf));
}

static void check_flow(const struct flow *f, const struct pkt_tcp *seg, int dir)
{
	const unsigned char *from = dir == 0 ? f->cli_addr : f->srv_addr;
	const unsigned char *to = dir == 0 ? f->srv_addr : f->cli_addr;

	if ((dir != 0 && dir != 1) || f->family != seg->family)
		abort();
	if (memcmp(from, seg->src, 16) != 0 || memcmp(to, seg->dst, 16) != 0)
		abort();
	if ((dir == 0 ? f->cli_port : f->srv_port) != seg->sport ||
	    (dir == 0 ? f->srv_port : f->cli_port) != seg->dport)
		abort();
}

static void feed(struct run *run, const struct pkt_tcp *seg, int64_t now)
{
	const struct reasm_limits *lim = &flows_limits(run->t)->reasm;
	struct flow *f;
	struct reasm *r;
	struct dctx c;
	int dir = -1, rc, was_gave_up, was_fin, syn = (seg->flags & TCPF_SYN) != 0;

	if ((f = flows_get(run->t, seg, now, &dir)) == NULL) {
		if (!(seg->flags & TCPF_RST) && (syn || seg->len > 0))
			abort(); /* a segment worth following, and memory did not run out */
		return;
	}
	check_flow(f, seg, dir);
	if (f->user == NULL) {
		if ((f->user = calloc(1, sizeof(struct fuser))) == NULL)
			abort();
		run->created++;
	}
	if (flows_count(run->t) > flows_limits(run->t)->max_flows ||
	    flows_count(run->t) > flows_peak(run->t))
		abort();
	r = &f->dir[dir];
	c.ds = &((struct fuser *)f->user)->d[dir];
	c.pos = r->started ? r->next : seg->seq + (uint32_t)syn;
	c.calls = 0;
	was_gave_up = r->gave_up;
	was_fin = r->fin;
	if (seg->len > 0)
		shadow_give(c.ds, seg->seq + (uint32_t)syn, seg->payload, seg->len);
	rc = reasm_add(r, lim, seg->seq, seg->flags, seg->payload, seg->len, on_deliver, &c);
	if (rc != REASM_OK && rc != REASM_GAVE_UP)
		abort();
	if ((was_gave_up || was_fin) && c.calls != 0)
		abort();
	if (was_gave_up && rc != REASM_GAVE_UP)
		abort();
	if (rc == REASM_GAVE_UP && (!r->gave_up || r->pending != NULL || r->pending_bytes != 0))
		abort();
	if (r->started && r->next != c.pos + (uint32_t)(r->fin && !was_fin))
		abort();
	if (r->pending_bytes > lim->max_pending_bytes || r->pending_segs > lim->max_pending_segs ||
	    (r->pending == NULL) != (r->pending_segs == 0))
		abort();
	if ((seg->flags & TCPF_RST) || (f->closed_by[0] && f->closed_by[1]))
		flows_close(run->t, f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct flow_limits lim = { 8, 3, { 2048, 8 } };
	struct run run = { 0, 0, NULL };
	int64_t now = 1000;
	size_t off = 0;

	run.t = flows_new(&lim, on_release, &run);
	if (run.t == NULL)
		abort();
	while (off + 3 <= size) {
		unsigned sel = data[off];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
		unsigned char *frame;
		struct pkt_tcp seg;
		enum pkt_result pr;

		off += 3;
		if (len > size - off)
			len = size - off;
		if ((frame = malloc(len > 0 ? len : 1)) == NULL)
			abort();
		memcpy(frame, data + off, len);
		off += len;
		if (sel >> 4) {
			now += sel >> 4;
			flows_expire(run.t, now);
		}
		pr = pkt_decode(dlts[(sel & 0x0f) % NDLT], frame, len, &seg);
		if (pr == PKT_TCP) {
			check_segment(&seg, frame, len);
			feed(&run, &seg, now);
		} else if (pr != PKT_OTHER && pr != PKT_MALFORMED) {
			abort();
		}
		free(frame);
	}
	flows_free(run.t);
	if (run.released != run.created)
		abort();
	return 0;
}
