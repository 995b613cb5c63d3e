/*
 * mkpcap.c: a big synthetic capture for the passive-discovery benchmark (tools/bench_sniff.sh).
 *
 *   mkpcap TEMPLATE OUT [--size N[K|M|G]] [--interleave K] [--mss N] [--servers S]
 *          [--map-port FROM=TO ...] [--seed S]
 *
 * Reads TEMPLATE (any capture libpcap reads; link types Ethernet, Linux cooked v1/v2, BSD
 * loopback, raw IP: what `tcpdump -i lo` writes is Ethernet) and keeps its IPv4 TCP
 * connections. Writes OUT, a classic pcap of the same link type, holding copies of those
 * connections, taken round robin, until OUT holds --size bytes (default 1G; K, M, G, T are
 * binary units). Every copy started before then is written to its last packet, so OUT ends a
 * little over the size and holds no cut connection. Each copy is a connection of its own:
 *   - addresses rewritten inside 127.0.0.0/8 (loopback, synthetic: this program sends nothing):
 *     the client is 127.1.0.1 + copy / 28232 on port 32768 + copy % 28232 (Linux's ephemeral
 *     range), so no two copies share a 4-tuple; the server is 127.128.0.1 + copy % S
 *     (--servers, default 1000) on the template's server port, or on TO when a --map-port
 *     FROM=TO names that port (at most 64 of them: e.g. a test server's port to 443, so that a
 *     reader that goes by well-known ports sees what a real capture shows);
 *   - each direction's sequence numbers are offset by a per-copy random value (the other
 *     side's ack numbers and SACK blocks with them);
 *   - timestamps keep the template's timing within the connection, from the copy's start;
 *   - IPv4 and TCP checksums are recomputed (a capture on lo holds partial TCP checksums);
 *     a frame the template's snap length cut short keeps its TCP checksum as it was.
 * K copies (--interleave, default 64) are in progress at any time: their packets are merged
 * in time order, and when one copy ends, the next starts 0-1 ms (random) after its last
 * packet, so a reader's flow table holds about K connections at once.
 * --mss N (default 1448, 0: off) splits every segment carrying more than N payload bytes into
 * segments of at most N bytes (FIN and PSH on the last one), as an Ethernet path carries them:
 * on lo, a sender's 16-64 KB writes are captured as single segments. SYN segments are never
 * split, nor frames cut short by the snap length.
 *
 * The client of a template connection is the side that sent a SYN without ACK; without one,
 * the side with the higher port. A SYN without ACK with a new sequence number on a 4-tuple
 * already seen starts a new connection (port reuse). Other packets (not TCP, IPv6, IP
 * fragments) are skipped and counted. The same template, options and seed give the same OUT.
 *
 * Bounds: a template of at most 256 MiB of frames, 4 Mi packets and 65,536 connections; OUT
 * at most 4 TiB. Memory: the template, one frame and K slots. Writes go through a 4 MiB stdio
 * buffer (libpcap's dumper).
 * Prints what it wrote to stdout. Exit: 0 done, 2 usage, 3 failure (the message on stderr).
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#define EXIT_USAGE 2
#define EXIT_RUNTIME 3

#define MAX_TEMPLATE_BYTES ((size_t)256 << 20)
#define MAX_TEMPLATE_PKTS ((size_t)4 << 20)
#define MAX_CONNS ((size_t)65536)
#define MAX_SIZE ((uint64_t)4 << 40)
#define MAX_INTERLEAVE 65536UL
#define MAX_SERVERS 1000000UL
#define OUT_BUFFER ((size_t)4 << 20)

#define CLIENT_BASE 0x7f010001UL  /* 127.1.0.1 */
#define CLIENT_LIMIT 0x7f800000UL /* clients stay below 127.128.0.0 */
#define CLIENT_PORTS 28232U       /* 32768-60999, Linux's ip_local_port_range */
#define CLIENT_PORT_BASE 32768U
#define MAX_PORT_MAPS 64
#define SERVER_BASE 0x7f800001UL  /* 127.128.0.1 */

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

/* One template packet. The frame is tmpl.data[off .. off + caplen). */
struct tpkt {
	int64_t rel_us;         /* time since its connection's first packet, non-decreasing */
	size_t off;
	uint32_t caplen, len;   /* as captured */
	uint32_t conn;          /* index into tmpl.conns */
	uint16_t l3, l4;        /* offsets of the IPv4 and TCP headers in the frame */
	uint8_t from_a;         /* sent by the connection's end a */
	uint8_t from_client;    /* filled once the client is known */
};

/* One template connection: a is the source of its first packet. */
struct tconn {
	uint32_t addr_a, addr_b;        /* host order */
	uint16_t port_a, port_b;
	int64_t t0_us;                  /* its first packet's time */
	int syn_a, syn_b;               /* a SYN without ACK came from a / b */
	uint32_t isn;                   /* the sequence number of that SYN */
	int client_is_a;
	uint16_t srv_port;              /* in the copies: the template's, or as --map-port says */
	size_t first, n;                /* its packets: tmpl.order[first .. first + n) */
};

/* The template, all owned. */
struct tmpl {
	unsigned char *data;            /* every kept frame, back to back */
	size_t data_len, data_cap;
	struct tpkt *pkts;
	size_t n_pkts, cap_pkts;
	struct tconn *conns;
	size_t n_conns, cap_conns;
	size_t *order;                  /* n_pkts packet indexes, grouped by connection */
	uint32_t max_caplen;
	int dlt, snaplen;
	size_t skipped;
};

/* A copy in progress. */
struct slot {
	size_t conn;                    /* the template connection */
	uint64_t copy;
	size_t next;                    /* its next packet, 0 .. conns[conn].n */
	int64_t t0_us;                  /* when the copy starts */
	int64_t key;                    /* the time of its next packet */
	uint32_t delta[2];              /* sequence number offsets, 0: client to server */
	uint32_t cli_addr, srv_addr;
	uint16_t cli_port;
};

/* The output and its counts. */
struct writer {
	pcap_dumper_t *d;               /* owned */
	unsigned char *buf;             /* owned: one frame being built */
	size_t buf_len;
	uint64_t bytes, packets, copies;
	int64_t first_us, last_us;
};

/* splitmix64: small, fast, and the same sequence everywhere for a seed. */
struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------- reading the template */

/* The offset of the IPv4 header in a frame of link type dlt, or -1 when the frame does not
 * carry IPv4. */
static long ipv4_offset(int dlt, const unsigned char *f, size_t caplen)
{
	size_t off;
	uint16_t type;

	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < 14)
			return -1;
		type = get16(f + 12);
		off = 14;
		for (int tags = 0; tags < 2 && (type == 0x8100 || type == 0x88a8); tags++) {
			if (caplen < off + 4)
				return -1;
			type = get16(f + off + 2);
			off += 4;
		}
		return type == 0x0800 ? (long)off : -1;
	case DLT_LINUX_SLL:
		return caplen >= 16 && get16(f + 14) == 0x0800 ? 16 : -1;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		return caplen >= 20 && get16(f) == 0x0800 ? 20 : -1;
#endif
	case DLT_NULL:
	case DLT_LOOP:
		/* the family AF_INET (2 everywhere), in either byte order */
		if (caplen < 4)
			return -1;
		return (f[0] == 2 && f[1] == 0 && f[2] == 0 && f[3] == 0) ||
		       (f[0] == 0 && f[1] == 0 && f[2] == 0 && f[3] == 2) ? 4 : -1;
	case DLT_RAW:
#ifdef DLT_IPV4
	case DLT_IPV4:
#endif
		return caplen >= 1 && (f[0] >> 4) == 4 ? 0 : -1;
	default:
		return -1;
	}
}

static int supported_dlt(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
#endif
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_RAW:
#ifdef DLT_IPV4
	case DLT_IPV4:
#endif
		return 1;
	default:
		return 0;
	}
}

/* Grows *v (n elements of size each, capacity *cap) to hold one more, up to max elements.
 * Returns 0, or -1 when over max or out of memory. */
static int grow(void **v, size_t *cap, size_t n, size_t size, size_t max)
{
	size_t nc;
	void *p;

	if (n < *cap)
		return 0;
	if (n >= max)
		return -1;
	nc = *cap ? *cap * 2 : 1024;
	if (nc > max)
		nc = max;
	if ((p = realloc(*v, nc * size)) == NULL)
		return -1;
	*v = p;
	*cap = nc;
	return 0;
}

/* The connection of a segment, created when new (a SYN without ACK and a new ISN on a known
 * 4-tuple starts a new one). Sets *from_a. Returns its index, or -1 when over the bound. */
static long find_conn(struct tmpl *t, uint32_t src, uint16_t sport, uint32_t dst,
		      uint16_t dport, int syn_only, uint32_t seq, int64_t ts, int *from_a)
{
	struct tconn *c;

	/* newest first: a reused 4-tuple belongs to its latest connection */
	for (size_t i = t->n_conns; i-- > 0;) {
		c = &t->conns[i];
		if (c->addr_a == src && c->port_a == sport && c->addr_b == dst &&
		    c->port_b == dport)
			*from_a = 1;
		else if (c->addr_a == dst && c->port_a == dport && c->addr_b == src &&
			 c->port_b == sport)
			*from_a = 0;
		else
			continue;
		if (syn_only && (c->syn_a || c->syn_b) && c->isn != seq)
			break; /* port reuse: a new connection */
		return (long)i;
	}
	if (grow((void **)&t->conns, &t->cap_conns, t->n_conns, sizeof(*t->conns), MAX_CONNS) != 0)
		return -1;
	c = &t->conns[t->n_conns];
	memset(c, 0, sizeof(*c));
	c->addr_a = src;
	c->port_a = sport;
	c->addr_b = dst;
	c->port_b = dport;
	c->t0_us = ts;
	*from_a = 1;
	return (long)t->n_conns++;
}

/* Keeps one frame when it is an IPv4 TCP segment (whole headers captured, not a fragment);
 * counts it as skipped otherwise. Returns 0, or -1 with err when over a bound. */
static int add_frame(struct tmpl *t, const struct pcap_pkthdr *h, const unsigned char *f,
		     char *err, size_t errlen)
{
	long l3 = ipv4_offset(t->dlt, f, h->caplen), ci;
	size_t ihl, thl, l4;
	uint16_t frag;
	uint8_t flags;
	int syn_only, from_a;
	int64_t ts = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
	struct tpkt *p;
	struct tconn *c;

	if (l3 < 0 || h->caplen < (size_t)l3 + 20 || (f[l3] >> 4) != 4 || f[l3 + 9] != 6)
		goto skip;
	ihl = (size_t)(f[l3] & 15) * 4;
	frag = get16(f + l3 + 6);
	if (ihl < 20 || (frag & 0x3fff) != 0 || get16(f + l3 + 2) < ihl + 20)
		goto skip;
	l4 = (size_t)l3 + ihl;
	if (h->caplen < l4 + 20)
		goto skip;
	thl = (size_t)(f[l4 + 12] >> 4) * 4;
	if (thl < 20 || h->caplen < l4 + thl || get16(f + l3 + 2) < ihl + thl || l4 > 0xffff)
		goto skip;
	if (h->caplen > MAX_TEMPLATE_BYTES - t->data_len) {
		snprintf(err, errlen, "the template holds over %zu MiB of TCP frames",
			 MAX_TEMPLATE_BYTES >> 20);
		return -1;
	}
	flags = f[l4 + 13];
	syn_only = (flags & (TH_SYN | TH_ACK)) == TH_SYN;
	ci = find_conn(t, get32(f + l3 + 12), get16(f + l4), get32(f + l3 + 16), get16(f + l4 + 2),
		       syn_only, get32(f + l4 + 4), ts, &from_a);
	if (ci < 0 || grow((void **)&t->pkts, &t->cap_pkts, t->n_pkts, sizeof(*t->pkts),
			   MAX_TEMPLATE_PKTS) != 0) {
		snprintf(err, errlen, "the template is too large (at most %zu connections and %zu "
			 "packets) or memory ran out", MAX_CONNS, MAX_TEMPLATE_PKTS);
		return -1;
	}
	while (t->data_len + h->caplen > t->data_cap) {
		size_t nc = t->data_cap ? t->data_cap * 2 : (size_t)1 << 20;
		unsigned char *d = realloc(t->data, nc);

		if (d == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		t->data = d;
		t->data_cap = nc;
	}
	c = &t->conns[ci];
	if (syn_only && !c->syn_a && !c->syn_b) {
		c->isn = get32(f + l4 + 4);
		if (from_a)
			c->syn_a = 1;
		else
			c->syn_b = 1;
	}
	p = &t->pkts[t->n_pkts++];
	p->rel_us = ts - c->t0_us;
	p->off = t->data_len;
	p->caplen = h->caplen;
	p->len = h->len;
	p->conn = (uint32_t)ci;
	p->l3 = (uint16_t)l3;
	p->l4 = (uint16_t)l4;
	p->from_a = (uint8_t)from_a;
	memcpy(t->data + t->data_len, f, h->caplen);
	t->data_len += h->caplen;
	if (h->caplen > t->max_caplen)
		t->max_caplen = h->caplen;
	return 0;
skip:
	t->skipped++;
	return 0;
}

/* Fixes each connection's client and server, and groups the packets by connection. */
static int index_template(struct tmpl *t, char *err, size_t errlen)
{
	size_t *fill = NULL;
	int rc = -1;

	if ((t->order = calloc(t->n_pkts, sizeof(*t->order))) == NULL ||
	    (fill = calloc(t->n_conns, sizeof(*fill))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < t->n_conns; i++) {
		struct tconn *c = &t->conns[i];

		c->client_is_a = c->syn_a ? 1 : c->syn_b ? 0 : c->port_a > c->port_b;
		c->srv_port = c->client_is_a ? c->port_b : c->port_a;
	}
	for (size_t i = 0; i < t->n_pkts; i++)
		t->conns[t->pkts[i].conn].n++;
	for (size_t i = 0, at = 0; i < t->n_conns; i++) {
		t->conns[i].first = at;
		fill[i] = at;
		at += t->conns[i].n;
	}
	for (size_t i = 0; i < t->n_pkts; i++) {
		struct tpkt *p = &t->pkts[i];
		const struct tconn *c = &t->conns[p->conn];
		size_t at = fill[p->conn]++;

		p->from_client = (uint8_t)(p->from_a == c->client_is_a);
		/* timestamps never go back within a connection, so the merge stays in order */
		if (at > c->first && p->rel_us < t->pkts[t->order[at - 1]].rel_us)
			p->rel_us = t->pkts[t->order[at - 1]].rel_us;
		if (p->rel_us < 0)
			p->rel_us = 0;
		t->order[at] = i;
	}
	rc = 0;
out:
	free(fill);
	return rc;
}

static int load_template(struct tmpl *t, const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct pcap_pkthdr *h;
	const unsigned char *data;
	pcap_t *p;
	int r, rc = -1;

	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (p == NULL) {
		snprintf(err, errlen, "cannot read %.200s: %s", path, ebuf);
		return -1;
	}
	t->dlt = pcap_datalink(p);
	t->snaplen = pcap_snapshot(p);
	if (!supported_dlt(t->dlt)) {
		const char *name = pcap_datalink_val_to_name(t->dlt);

		snprintf(err, errlen, "%.200s: link type %s is not supported", path,
			 name != NULL ? name : "?");
		goto out;
	}
	while ((r = pcap_next_ex(p, &h, &data)) == 1)
		if (add_frame(t, h, data, err, errlen) != 0)
			goto out;
	if (r == PCAP_ERROR) {
		snprintf(err, errlen, "reading %.200s: %s", path, pcap_geterr(p));
		goto out;
	}
	if (t->n_conns == 0) {
		snprintf(err, errlen, "%.200s holds no IPv4 TCP connection", path);
		goto out;
	}
	rc = index_template(t, err, errlen);
out:
	pcap_close(p);
	return rc;
}

static void tmpl_free(struct tmpl *t)
{
	free(t->data);
	free(t->pkts);
	free(t->conns);
	free(t->order);
	memset(t, 0, sizeof(*t));
}

/* ---------------------------------------------------------------- writing copies */

/* The Internet checksum of sum's running total plus p[0 .. n), folded, not complemented. */
static uint32_t csum_add(uint32_t sum, const unsigned char *p, size_t n)
{
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < n)
		s += (uint32_t)(p[i] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

/* Recomputes the IPv4 header checksum, and the TCP one when the segment is whole (tcp_len
 * bytes from l4 are in the frame). */
static void fix_checksums(unsigned char *f, size_t l3, size_t l4, size_t tcp_len, int whole)
{
	unsigned char pseudo[12];
	uint32_t s;

	put16(f + l3 + 10, 0);
	put16(f + l3 + 10, (uint16_t)~csum_add(0, f + l3, l4 - l3));
	if (!whole)
		return;
	memcpy(pseudo, f + l3 + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 6;
	put16(pseudo + 10, (uint16_t)tcp_len);
	put16(f + l4 + 16, 0);
	s = csum_add(csum_add(0, pseudo, sizeof(pseudo)), f + l4, tcp_len);
	put16(f + l4 + 16, (uint16_t)~s);
}

/* Adds delta to the SACK blocks among the TCP options opt[0 .. n). */
static void shift_sack(unsigned char *opt, size_t n, uint32_t delta)
{
	size_t i = 0;

	while (i < n) {
		unsigned char kind = opt[i];
		size_t len;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n || (len = opt[i + 1]) < 2 || i + len > n)
			break;
		if (kind == 5)
			for (size_t b = i + 2; b + 4 <= i + len; b += 4)
				put32(opt + b, get32(opt + b) + delta);
		i += len;
	}
}

/* Appends the frame f (caplen bytes captured of len) at time us to the output. */
static void write_frame(struct writer *w, const unsigned char *f, size_t caplen, size_t len,
			int64_t us)
{
	struct pcap_pkthdr h;

	h.ts.tv_sec = (time_t)(us / 1000000);
	h.ts.tv_usec = (suseconds_t)(us % 1000000);
	h.caplen = (bpf_u_int32)caplen;
	h.len = (bpf_u_int32)len;
	pcap_dump((unsigned char *)w->d, &h, f);
	w->bytes += 16 + caplen;
	w->packets++;
	if (w->packets == 1)
		w->first_us = us;
	w->last_us = us;
}

/* Writes template packet p as part of the copy in slot s, at time us: rewritten, and split
 * into segments of at most mss payload bytes when mss > 0 and it carries more. */
static void write_packet(struct writer *w, const struct tmpl *t, const struct slot *s,
			 const struct tpkt *p, int64_t us, size_t mss)
{
	unsigned char *f = w->buf;
	size_t l3 = p->l3, l4 = p->l4, ihl = l4 - l3, thl, ip_len, pay, hdr, whole;
	int dir = p->from_client ? 0 : 1;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t id;

	memcpy(f, t->data + p->off, p->caplen);
	thl = (size_t)(f[l4 + 12] >> 4) * 4;
	ip_len = get16(f + l3 + 2);
	whole = p->caplen >= l3 + ip_len;
	put32(f + l3 + 12, dir == 0 ? s->cli_addr : s->srv_addr);
	put32(f + l3 + 16, dir == 0 ? s->srv_addr : s->cli_addr);
	put16(f + l4 + (dir == 0 ? 0 : 2), s->cli_port);
	put16(f + l4 + (dir == 0 ? 2 : 0), t->conns[s->conn].srv_port);
	seq = get32(f + l4 + 4) + s->delta[dir];
	ack = get32(f + l4 + 8);
	flags = f[l4 + 13];
	if (flags & TH_ACK)
		ack += s->delta[dir ^ 1];
	put32(f + l4 + 4, seq);
	put32(f + l4 + 8, ack);
	shift_sack(f + l4 + 20, thl - 20, s->delta[dir ^ 1]);
	pay = ip_len - ihl - thl;
	hdr = l4 + thl;
	if (mss == 0 || pay <= mss || !whole || (flags & TH_SYN)) {
		fix_checksums(f, l3, l4, ip_len - ihl, whole);
		write_frame(w, f, p->caplen, p->len, us);
		return;
	}
	/* Split: the headers stay in place, each piece's payload is moved right behind them. The
	 * pieces are written in order, so piece k's bytes are copied from the template, not from
	 * the buffer the previous piece overwrote. */
	id = get16(f + l3 + 4);
	for (size_t off = 0; off < pay; off += mss) {
		size_t chunk = pay - off < mss ? pay - off : mss;
		int last = off + chunk == pay;

		memcpy(f + hdr, t->data + p->off + hdr + off, chunk);
		put16(f + l3 + 2, (uint16_t)(ihl + thl + chunk));
		put16(f + l3 + 4, (uint16_t)(id + off / mss));
		put32(f + l4 + 4, seq + (uint32_t)off);
		f[l4 + 13] = last ? flags : (uint8_t)(flags & ~(TH_FIN | TH_PSH));
		fix_checksums(f, l3, l4, thl + chunk, 1);
		write_frame(w, f, hdr + chunk, hdr + chunk, us);
	}
}

/* ---------------------------------------------------------------- the merge */

static int slot_before(const struct slot *a, const struct slot *b)
{
	return a->key < b->key || (a->key == b->key && a->copy < b->copy);
}

/* A binary min-heap of slots by next packet time (ties: the older copy first). */
static void heap_down(struct slot **h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct slot *tmp;

		if (l < n && slot_before(h[l], h[m]))
			m = l;
		if (l + 1 < n && slot_before(h[l + 1], h[m]))
			m = l + 1;
		if (m == i)
			return;
		tmp = h[i];
		h[i] = h[m];
		h[m] = tmp;
		i = m;
	}
}

static int64_t slot_key(const struct tmpl *t, const struct slot *s)
{
	return s->t0_us + t->pkts[t->order[t->conns[s->conn].first + s->next]].rel_us;
}

/* Starts copy number copy (of template connection copy % n_conns) in s at time t0. */
static int start_copy(struct slot *s, const struct tmpl *t, uint64_t copy, int64_t t0,
		      unsigned long servers, struct rng *r)
{
	uint64_t cli = CLIENT_BASE + copy / CLIENT_PORTS;

	if (cli >= CLIENT_LIMIT)
		return -1;
	s->conn = (size_t)(copy % t->n_conns);
	s->copy = copy;
	s->next = 0;
	s->t0_us = t0;
	s->delta[0] = (uint32_t)rng_next(r);
	s->delta[1] = (uint32_t)rng_next(r);
	s->cli_addr = (uint32_t)cli;
	s->cli_port = (uint16_t)(CLIENT_PORT_BASE + copy % CLIENT_PORTS);
	s->srv_addr = (uint32_t)(SERVER_BASE + copy % servers);
	s->key = slot_key(t, s);
	return 0;
}

struct gen_opts {
	uint64_t size;
	unsigned long interleave, servers, seed;
	size_t mss;
	uint16_t map_from[MAX_PORT_MAPS], map_to[MAX_PORT_MAPS];
	size_t n_maps;
};

/* Applies the --map-port pairs to the template's server ports. */
static void map_ports(struct tmpl *t, const struct gen_opts *o)
{
	for (size_t i = 0; i < t->n_conns; i++)
		for (size_t m = 0; m < o->n_maps; m++)
			if (t->conns[i].srv_port == o->map_from[m]) {
				t->conns[i].srv_port = o->map_to[m];
				break;
			}
}

/* Writes copies until w->bytes reaches o->size, then finishes those in progress. */
static int generate(struct writer *w, const struct tmpl *t, const struct gen_opts *o,
		    char *err, size_t errlen)
{
	struct slot *slots = calloc(o->interleave, sizeof(*slots));
	struct slot **heap = calloc(o->interleave, sizeof(*heap));
	struct rng r = { o->seed ^ 0x6d6b706361700000ULL };
	int64_t base = t->conns[0].t0_us;
	size_t n = 0;
	int rc = -1;

	if (slots == NULL || heap == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < o->interleave; i++) {
		if (start_copy(&slots[i], t, w->copies++, base + (int64_t)(rng_next(&r) % 1000),
			       o->servers, &r) != 0)
			goto full;
		heap[n++] = &slots[i];
	}
	for (size_t i = n / 2; i-- > 0;)
		heap_down(heap, n, i);
	while (n > 0) {
		struct slot *s = heap[0];
		const struct tconn *c = &t->conns[s->conn];

		write_packet(w, t, s, &t->pkts[t->order[c->first + s->next]], s->key, o->mss);
		if (++s->next < c->n) {
			s->key = slot_key(t, s);
		} else if (w->bytes < o->size) {
			if (start_copy(s, t, w->copies++, s->key + (int64_t)(rng_next(&r) % 1000),
				       o->servers, &r) != 0)
				goto full;
		} else {
			heap[0] = heap[--n];
		}
		heap_down(heap, n, 0);
	}
	rc = 0;
	goto out;
full:
	snprintf(err, errlen, "out of client addresses after %llu copies",
		 (unsigned long long)w->copies);
out:
	free(slots);
	free(heap);
	return rc;
}

/* ---------------------------------------------------------------- main */

static int parse_num(const char *what, const char *s, unsigned long lo, unsigned long hi,
		     unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < lo || v > hi) {
		fprintf(stderr, "mkpcap: %s must be a number in %lu..%lu\n", what, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

/* "FROM=TO", two ports 1..65535, appended to o's map. */
static int parse_map(const char *s, struct gen_opts *o)
{
	unsigned long from, to;
	char *end;

	errno = 0;
	from = strtoul(s, &end, 10);
	if (errno == 0 && end != s && *end == '=' && s[0] != '-' && end[1] != '-') {
		const char *t = end + 1;

		to = strtoul(t, &end, 10);
		if (errno == 0 && end != t && *end == '\0' && from >= 1 && from <= 65535 &&
		    to >= 1 && to <= 65535 && o->n_maps < MAX_PORT_MAPS) {
			o->map_from[o->n_maps] = (uint16_t)from;
			o->map_to[o->n_maps++] = (uint16_t)to;
			return 0;
		}
	}
	fprintf(stderr, "mkpcap: --map-port wants FROM=TO, two ports in 1..65535, at most %d "
		"times\n", MAX_PORT_MAPS);
	return -1;
}

/* "1G", "512M", "100000": bytes, binary units. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == 0 && end != s && s[0] != '-') {
		switch (*end) {
		case 'T': case 't': shift = 40; end++; break;
		case 'G': case 'g': shift = 30; end++; break;
		case 'M': case 'm': shift = 20; end++; break;
		case 'K': case 'k': shift = 10; end++; break;
		default: break;
		}
		if (*end == '\0' && v >= 1 && v <= (MAX_SIZE >> shift)) {
			*out = (uint64_t)v << shift;
			return 0;
		}
	}
	fprintf(stderr, "mkpcap: --size must be a number of bytes (K, M, G, T: binary units) "
		"from 1 to 4T\n");
	return -1;
}

static const char usage[] =
	"usage: mkpcap TEMPLATE OUT [--size N[K|M|G]] [--interleave K] [--mss N] [--servers S]\n"
	"              [--map-port FROM=TO ...] [--seed S]\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 'S' },
		{ "interleave", required_argument, NULL, 'k' },
		{ "mss", required_argument, NULL, 'm' },
		{ "servers", required_argument, NULL, 'v' },
		{ "map-port", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct gen_opts o = { .size = (uint64_t)1 << 30, .interleave = 64, .servers = 1000,
			      .seed = 1, .mss = 1448 };
	struct tmpl t;
	struct writer w;
	char err[512];
	pcap_t *dead = NULL;
	FILE *fp = NULL;
	unsigned long v;
	double t0 = now_s(), t_read;
	int ch, rc = EXIT_RUNTIME;

	memset(&t, 0, sizeof(t));
	memset(&w, 0, sizeof(w));
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'S':
			if (parse_size(optarg, &o.size) != 0)
				return EXIT_USAGE;
			break;
		case 'k':
			if (parse_num("--interleave", optarg, 1, MAX_INTERLEAVE,
				      &o.interleave) != 0)
				return EXIT_USAGE;
			break;
		case 'm':
			if (parse_num("--mss", optarg, 0, 65535, &v) != 0)
				return EXIT_USAGE;
			if (v != 0 && v < 64) {
				fprintf(stderr, "mkpcap: --mss must be 0 (off) or 64..65535\n");
				return EXIT_USAGE;
			}
			o.mss = v;
			break;
		case 'v':
			if (parse_num("--servers", optarg, 1, MAX_SERVERS, &o.servers) != 0)
				return EXIT_USAGE;
			break;
		case 'p':
			if (parse_map(optarg, &o) != 0)
				return EXIT_USAGE;
			break;
		case 's':
			if (parse_num("--seed", optarg, 0, 0xffffffffUL, &o.seed) != 0)
				return EXIT_USAGE;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (load_template(&t, argv[optind], err, sizeof(err)) != 0)
		goto fail;
	map_ports(&t, &o);
	t_read = now_s();
	w.buf_len = t.max_caplen;
	if ((w.buf = malloc(w.buf_len)) == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	dead = pcap_open_dead_with_tstamp_precision(t.dlt, t.snaplen, PCAP_TSTAMP_PRECISION_MICRO);
	if (dead == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if ((fp = fopen(argv[optind + 1], "wb")) == NULL) {
		snprintf(err, sizeof(err), "cannot create %.200s: %s", argv[optind + 1],
			 strerror(errno));
		goto fail;
	}
	if (setvbuf(fp, NULL, _IOFBF, OUT_BUFFER) != 0 ||
	    (w.d = pcap_dump_fopen(dead, fp)) == NULL) {
		snprintf(err, sizeof(err), "cannot write %.200s: %s", argv[optind + 1],
			 pcap_geterr(dead));
		goto fail;
	}
	fp = NULL; /* the dumper owns it now */
	w.bytes = 24; /* the file header */
	if (generate(&w, &t, &o, err, sizeof(err)) != 0)
		goto fail;
	if (pcap_dump_flush(w.d) != 0 || ferror(pcap_dump_file(w.d))) {
		snprintf(err, sizeof(err), "writing %.200s: %s", argv[optind + 1], strerror(errno));
		goto fail;
	}
	printf("mkpcap: template %s: %zu packets in %zu TCP connections (%zu other packets "
	       "skipped), read in %.2fs\n", argv[optind], t.n_pkts, t.n_conns, t.skipped,
	       t_read - t0);
	printf("mkpcap: wrote %s: %llu bytes, %llu packets, %llu connections, %lu at a time, "
	       "mss %zu, %.1f s of capture time, in %.2fs\n", argv[optind + 1],
	       (unsigned long long)w.bytes, (unsigned long long)w.packets,
	       (unsigned long long)w.copies, o.interleave, o.mss,
	       (double)(w.last_us - w.first_us) / 1e6, now_s() - t0);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "mkpcap: %s\n", err);
out:
	if (w.d != NULL) {
		/* pcap_dump_close reports nothing: check the close of the file ourselves */
		FILE *df = pcap_dump_file(w.d);

		if (fflush(df) != 0 && rc == 0) {
			fprintf(stderr, "mkpcap: writing %s: %s\n", argv[optind + 1],
				strerror(errno));
			rc = EXIT_RUNTIME;
		}
		pcap_dump_close(w.d);
	}
	if (fp != NULL)
		fclose(fp);
	if (dead != NULL)
		pcap_close(dead);
	free(w.buf);
	tmpl_free(&t);
	return rc;
}
