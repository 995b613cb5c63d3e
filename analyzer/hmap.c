/*
 * hmap.c: bounded intrusive hash table keyed by SipHash-2-4 (see hmap.h for the contract).
 *
 * Buckets are singly linked chains; the bucket array doubles when the load factor passes 1 (up to
 * HMAP_MAX_BUCKETS), rehashing with the hash stored in each node. SipHash-2-4 follows the reference
 * description by Aumasson and Bernstein (four 64-bit lanes, two compression and four finalisation
 * rounds; test vector: key 00..0f, empty input -> 0x726fdb47dd0e0e31).
 */
#include "analyzer/hmap.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#define HMAP_MIN_BUCKETS 64
#define HMAP_MAX_BUCKETS ((size_t)1 << 20)

static uint64_t rd64le(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static void sipround(uint64_t v[4])
{
	v[0] += v[1]; v[1] = rotl(v[1], 13); v[1] ^= v[0]; v[0] = rotl(v[0], 32);
	v[2] += v[3]; v[3] = rotl(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = rotl(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = rotl(v[1], 17); v[1] ^= v[2]; v[2] = rotl(v[2], 32);
}

uint64_t az_siphash24(const unsigned char key[16], const void *in, size_t len)
{
	const unsigned char *p = in;
	uint64_t k0 = rd64le(key), k1 = rd64le(key + 8);
	uint64_t v[4] = {
		0x736f6d6570736575ULL ^ k0, 0x646f72616e646f6dULL ^ k1,
		0x6c7967656e657261ULL ^ k0, 0x7465646279746573ULL ^ k1,
	};
	uint64_t b = (uint64_t)len << 56;
	size_t full = len - (len % 8);

	for (size_t i = 0; i < full; i += 8) {
		uint64_t m = rd64le(p + i);

		v[3] ^= m;
		sipround(v);
		sipround(v);
		v[0] ^= m;
	}
	for (size_t i = 0; i < len % 8; i++)
		b |= (uint64_t)p[full + i] << (8 * i);
	v[3] ^= b;
	sipround(v);
	sipround(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

int az_hmap_init(struct az_hmap *h, size_t max, void (*destroy)(struct az_hmap_node *n))
{
	memset(h, 0, sizeof(*h));
	h->max = max > 0 ? max : 1;
	h->destroy = destroy;
	if (RAND_bytes(h->sipkey, sizeof(h->sipkey)) != 1)
		return -1;
	return 0;
}

void az_hmap_clear(struct az_hmap *h)
{
	for (size_t i = 0; i < h->n_buckets; i++) {
		struct az_hmap_node *n = h->buckets[i];

		while (n != NULL) {
			struct az_hmap_node *next = n->next;

			h->destroy(n);
			n = next;
		}
		h->buckets[i] = NULL;
	}
	h->count = 0;
}

void az_hmap_fini(struct az_hmap *h)
{
	az_hmap_clear(h);
	free(h->buckets);
	h->buckets = NULL;
	h->n_buckets = 0;
}

uint64_t az_hmap_hash(const struct az_hmap *h, const void *key, size_t len)
{
	return az_siphash24(h->sipkey, key, len);
}

struct az_hmap_node *az_hmap_find(const struct az_hmap *h, uint64_t hash, const void *key, size_t len)
{
	struct az_hmap_node *n;

	if (h->n_buckets == 0)
		return NULL;
	for (n = h->buckets[hash & (h->n_buckets - 1)]; n != NULL; n = n->next)
		if (n->hash == hash && n->key_len == len && memcmp(n->key, key, len) == 0)
			return n;
	return NULL;
}

/* Grows the bucket array to n buckets (a power of two); returns -1 on allocation failure. */
static int az_hmap_resize(struct az_hmap *h, size_t n)
{
	struct az_hmap_node **b = calloc(n, sizeof(*b));

	if (b == NULL)
		return -1;
	for (size_t i = 0; i < h->n_buckets; i++) {
		struct az_hmap_node *e = h->buckets[i];

		while (e != NULL) {
			struct az_hmap_node *next = e->next;
			size_t j = e->hash & (n - 1);

			e->next = b[j];
			b[j] = e;
			e = next;
		}
	}
	free(h->buckets);
	h->buckets = b;
	h->n_buckets = n;
	return 0;
}

int az_hmap_insert(struct az_hmap *h, struct az_hmap_node *n)
{
	size_t j;

	if (h->count >= h->max)
		az_hmap_clear(h);
	if (h->n_buckets == 0 && az_hmap_resize(h, HMAP_MIN_BUCKETS) != 0)
		return -1;
	if (h->count >= h->n_buckets && h->n_buckets < HMAP_MAX_BUCKETS)
		(void)az_hmap_resize(h, h->n_buckets * 2); /* a failed resize only costs speed */
	j = n->hash & (h->n_buckets - 1);
	n->next = h->buckets[j];
	h->buckets[j] = n;
	h->count++;
	return 0;
}
