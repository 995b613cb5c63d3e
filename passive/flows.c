/*
 * flows.c: the table of followed TCP connections (see flows.h).
 *
 * Each flow lives in a node that also links it into a bucket chain and into a list from the
 * least to the most recently used flow (eviction takes the oldest, expiry walks from it). The
 * bucket index comes from SipHash-2-4 (OpenSSL's EVP_MAC) under a random per-table key, over the
 * connection's two ends in a canonical order, so both directions find the same node and hostile
 * traffic cannot aim its connections at one bucket. The bucket array doubles when the flows
 * outnumber the buckets, up to the first power of two at or above max_flows.
 */
#include "passive/flows.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#define FLOWS_DEFAULT_MAX 65536
#define FLOWS_DEFAULT_IDLE 60
#define FLOWS_MIN_BUCKETS 256

/* A connection end as hashed and compared: address (16 bytes), port (big-endian). */
#define END_LEN 18
/* The key: family, then the lower end, then the higher one. */
#define KEY_LEN (1 + 2 * END_LEN)

struct flow_node {
	struct flow f;                  /* handed out; the node is found back from it */
	struct flow_node *hnext;        /* bucket chain */
	struct flow_node *older, *newer;/* use order: the table's oldest .. newest */
	uint64_t hash;
	uint32_t syn_seq;               /* the client's SYN, when syn_seen */
	int syn_seen;
	int carried;                    /* a segment with data or a FIN was seen */
};

struct flow_table {
	struct flow_node **buckets;     /* owned: nbuckets chains of owned nodes */
	size_t nbuckets, max_buckets;
	size_t count, peak;
	struct flow_node *oldest, *newest; /* the same nodes, in use order */
	struct flow_limits lim;
	flow_release release;
	void *arg;
	EVP_MAC_CTX *mac;               /* owned: SipHash keyed at flows_new */
};

static struct flow_node *node_of(struct flow *f)
{
	return (struct flow_node *)(void *)((char *)f - offsetof(struct flow_node, f));
}

static void put_end(unsigned char *out, const unsigned char addr[16], uint16_t port)
{
	memcpy(out, addr, 16);
	out[16] = (unsigned char)(port >> 8);
	out[17] = (unsigned char)port;
}

static uint64_t hash_key(struct flow_table *t, const unsigned char key[KEY_LEN])
{
	unsigned char out[8];
	size_t outlen = 0;
	uint64_t h = 0;

	/* a re-init without a key restores the keyed state; failure leaves hash 0 (slow, still
	 * correct) */
	if (EVP_MAC_init(t->mac, NULL, 0, NULL) == 1 && EVP_MAC_update(t->mac, key, KEY_LEN) == 1 &&
	    EVP_MAC_final(t->mac, out, &outlen, sizeof(out)) == 1 && outlen == sizeof(out))
		memcpy(&h, out, sizeof(h));
	return h;
}

/* The canonical key of seg's connection. */
static void make_key(const struct pkt_tcp *seg, unsigned char key[KEY_LEN])
{
	unsigned char a[END_LEN], b[END_LEN];

	put_end(a, seg->src, seg->sport);
	put_end(b, seg->dst, seg->dport);
	key[0] = (unsigned char)seg->family;
	if (memcmp(a, b, END_LEN) <= 0) {
		memcpy(key + 1, a, END_LEN);
		memcpy(key + 1 + END_LEN, b, END_LEN);
	} else {
		memcpy(key + 1, b, END_LEN);
		memcpy(key + 1 + END_LEN, a, END_LEN);
	}
}

/* 0 when seg goes from f's client to its server, 1 the other way, -1 when not f's. */
static int direction(const struct flow *f, const struct pkt_tcp *seg)
{
	if (f->family != seg->family)
		return -1;
	if (f->cli_port == seg->sport && f->srv_port == seg->dport &&
	    memcmp(f->cli_addr, seg->src, 16) == 0 && memcmp(f->srv_addr, seg->dst, 16) == 0)
		return 0;
	if (f->srv_port == seg->sport && f->cli_port == seg->dport &&
	    memcmp(f->srv_addr, seg->src, 16) == 0 && memcmp(f->cli_addr, seg->dst, 16) == 0)
		return 1;
	return -1;
}

static void lru_unlink(struct flow_table *t, struct flow_node *n)
{
	if (n->older != NULL)
		n->older->newer = n->newer;
	else
		t->oldest = n->newer;
	if (n->newer != NULL)
		n->newer->older = n->older;
	else
		t->newest = n->older;
	n->older = n->newer = NULL;
}

static void lru_push(struct flow_table *t, struct flow_node *n)
{
	n->older = t->newest;
	n->newer = NULL;
	if (t->newest != NULL)
		t->newest->newer = n;
	else
		t->oldest = n;
	t->newest = n;
}

/* Calls release, then unlinks and frees n. */
static void drop(struct flow_table *t, struct flow_node *n, enum flow_end why)
{
	struct flow_node **link = &t->buckets[n->hash & (t->nbuckets - 1)];

	if (t->release != NULL)
		t->release(t->arg, &n->f, why);
	while (*link != n)
		link = &(*link)->hnext;
	*link = n->hnext;
	lru_unlink(t, n);
	reasm_free(&n->f.dir[0]);
	reasm_free(&n->f.dir[1]);
	free(n);
	t->count--;
}

/* Doubles the bucket array when the flows outnumber the buckets; on allocation failure the
 * chains just grow longer. */
static void maybe_grow(struct flow_table *t)
{
	struct flow_node **b;
	size_t n = t->nbuckets * 2;

	if (t->count < t->nbuckets || t->nbuckets >= t->max_buckets)
		return;
	if ((b = calloc(n, sizeof(*b))) == NULL)
		return;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct flow_node *e = t->buckets[i], *next;

		for (; e != NULL; e = next) {
			next = e->hnext;
			e->hnext = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

struct flow_table *flows_new(const struct flow_limits *lim, flow_release release, void *arg)
{
	struct flow_table *t = calloc(1, sizeof(*t)), *ret = NULL;
	unsigned char key[16];
	size_t size = 8;
	OSSL_PARAM params[] = { OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
		                OSSL_PARAM_construct_end() };
	EVP_MAC *mac = NULL;

	if (t == NULL)
		goto out;
	if (lim != NULL)
		t->lim = *lim;
	if (t->lim.max_flows == 0)
		t->lim.max_flows = FLOWS_DEFAULT_MAX;
	if (t->lim.idle_timeout <= 0)
		t->lim.idle_timeout = FLOWS_DEFAULT_IDLE;
	if (t->lim.reasm.max_pending_bytes == 0)
		t->lim.reasm.max_pending_bytes = REASM_DEFAULT_PENDING_BYTES;
	if (t->lim.reasm.max_pending_segs == 0)
		t->lim.reasm.max_pending_segs = REASM_DEFAULT_PENDING_SEGS;
	t->release = release;
	t->arg = arg;
	t->max_buckets = FLOWS_MIN_BUCKETS;
	while (t->max_buckets < t->lim.max_flows && t->max_buckets <= SIZE_MAX / 4)
		t->max_buckets *= 2;
	t->nbuckets = FLOWS_MIN_BUCKETS;
	if ((t->buckets = calloc(t->nbuckets, sizeof(*t->buckets))) == NULL)
		goto out;
	if (RAND_bytes(key, sizeof(key)) != 1)
		goto out;
	if ((mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL)) == NULL ||
	    (t->mac = EVP_MAC_CTX_new(mac)) == NULL ||
	    EVP_MAC_init(t->mac, key, sizeof(key), params) != 1)
		goto out;
	ret = t;
	t = NULL;
out:
	OPENSSL_cleanse(key, sizeof(key));
	EVP_MAC_free(mac);
	if (t != NULL) {
		EVP_MAC_CTX_free(t->mac);
		free(t->buckets);
		free(t);
	}
	return ret;
}

/* The client of a new flow first seen with seg: 1 when it is seg's sender. */
static int sender_is_client(const struct pkt_tcp *seg)
{
	if (seg->flags & TCPF_SYN)
		return !(seg->flags & TCPF_ACK); /* SYN: the client; SYN-ACK: the server */
	if (seg->sport != seg->dport)
		return seg->sport > seg->dport; /* ephemeral ports are the higher */
	return 1;
}

static struct flow_node *create(struct flow_table *t, const struct pkt_tcp *seg, uint64_t hash,
                                int64_t now, int *dir)
{
	struct flow_node *n, **b;
	int cli = sender_is_client(seg);

	if (t->count >= t->lim.max_flows && t->oldest != NULL)
		drop(t, t->oldest, FLOW_EVICTED);
	maybe_grow(t);
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->hash = hash;
	n->f.family = seg->family;
	memcpy(n->f.cli_addr, cli ? seg->src : seg->dst, 16);
	memcpy(n->f.srv_addr, cli ? seg->dst : seg->src, 16);
	n->f.cli_port = cli ? seg->sport : seg->dport;
	n->f.srv_port = cli ? seg->dport : seg->sport;
	reasm_init(&n->f.dir[0]);
	reasm_init(&n->f.dir[1]);
	n->f.last_seen = now;
	b = &t->buckets[hash & (t->nbuckets - 1)];
	n->hnext = *b;
	*b = n;
	lru_push(t, n);
	if (++t->count > t->peak)
		t->peak = t->count;
	*dir = cli ? 0 : 1;
	return n;
}

/* A SYN without ACK on a flow that is already followed starts a new connection on the same ends
 * (the old one ended unseen) unless it repeats the flow's own SYN, or the flow has carried
 * nothing yet (a SYN-ACK seen before its SYN). */
static int is_new_connection(const struct flow_node *n, const struct pkt_tcp *seg, int dir)
{
	if ((seg->flags & (TCPF_SYN | TCPF_ACK | TCPF_RST)) != TCPF_SYN)
		return 0;
	if (n->syn_seen)
		return !(dir == 0 && seg->seq == n->syn_seq);
	return n->carried;
}

struct flow *flows_get(struct flow_table *t, const struct pkt_tcp *seg, int64_t now, int *dir)
{
	unsigned char key[KEY_LEN];
	struct flow_node *n;
	uint64_t hash;
	int d = -1;

	make_key(seg, key);
	hash = hash_key(t, key);
	for (n = t->buckets[hash & (t->nbuckets - 1)]; n != NULL; n = n->hnext)
		if (n->hash == hash && (d = direction(&n->f, seg)) >= 0)
			break;
	if (n != NULL && is_new_connection(n, seg, d)) {
		drop(t, n, FLOW_CLOSED);
		n = NULL;
	}
	if (n == NULL) {
		if ((seg->flags & TCPF_RST) || (!(seg->flags & TCPF_SYN) && seg->len == 0))
			return NULL; /* nothing to follow */
		if ((n = create(t, seg, hash, now, &d)) == NULL)
			return NULL;
	} else {
		if (now > n->f.last_seen)
			n->f.last_seen = now;
		lru_unlink(t, n);
		lru_push(t, n);
	}
	if ((seg->flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN && d == 0 && !n->syn_seen) {
		n->syn_seen = 1;
		n->syn_seq = seg->seq;
	}
	if (seg->flags & TCPF_FIN)
		n->f.closed_by[d] = 1;
	if (seg->len > 0 || (seg->flags & TCPF_FIN))
		n->carried = 1;
	*dir = d;
	return &n->f;
}

void flows_close(struct flow_table *t, struct flow *f)
{
	if (f != NULL)
		drop(t, node_of(f), FLOW_CLOSED);
}

void flows_expire(struct flow_table *t, int64_t now)
{
	/* in use order: the first flow that is not idle ends the walk */
	while (t->oldest != NULL && now - t->oldest->f.last_seen > t->lim.idle_timeout)
		drop(t, t->oldest, FLOW_IDLE);
}

void flows_free(struct flow_table *t)
{
	if (t == NULL)
		return;
	while (t->oldest != NULL)
		drop(t, t->oldest, FLOW_FLUSHED);
	free(t->buckets);
	EVP_MAC_CTX_free(t->mac);
	free(t);
}

size_t flows_count(const struct flow_table *t)
{
	return t->count;
}

size_t flows_peak(const struct flow_table *t)
{
	return t->peak;
}

const struct flow_limits *flows_limits(const struct flow_table *t)
{
	return &t->lim;
}
