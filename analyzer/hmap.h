/*
 * hmap.h: a small bounded hash table with intrusive nodes, keyed by SipHash-2-4 with a random
 * per-table key (private to analyzer/).
 *
 * The keys come from hostile servers (certificates, chains), so bucket indexes are derived from a
 * keyed hash an attacker cannot predict: no amount of grinding certificates piles them into one
 * bucket. The table holds at most `max` entries; inserting into a full table first empties it
 * (az_hmap_clear), which is the whole eviction policy: simple, O(1) amortised, and caches refill.
 *
 * Ownership: nodes are embedded in the caller's entries; the table owns the entries once inserted
 * and hands them to `destroy` when it clears or is finalised. The key is not copied: node->key must
 * point into the entry itself.
 */
#ifndef CS_ANALYZER_HMAP_H
#define CS_ANALYZER_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct az_hmap_node {
	struct az_hmap_node *next;    /* bucket chain, managed by the table */
	uint64_t hash;             /* az_hmap_hash() of the key, set by the caller before insert */
	const unsigned char *key;  /* points into the entry; not copied */
	size_t key_len;
};

struct az_hmap {
	struct az_hmap_node **buckets; /* owned */
	size_t n_buckets;           /* power of two, 0 before the first insert */
	size_t count;
	size_t max;                 /* entries kept at most */
	unsigned char sipkey[16];
	void (*destroy)(struct az_hmap_node *n);
};

/* SipHash-2-4 of in[0..len) under a 16-byte key. */
uint64_t az_siphash24(const unsigned char key[16], const void *in, size_t len);

/* Initialises an empty table with a random key; returns -1 when no randomness is available. */
int az_hmap_init(struct az_hmap *h, size_t max, void (*destroy)(struct az_hmap_node *n));
/* Destroys every entry and frees the buckets. */
void az_hmap_fini(struct az_hmap *h);
/* Destroys every entry; the table stays usable. */
void az_hmap_clear(struct az_hmap *h);
uint64_t az_hmap_hash(const struct az_hmap *h, const void *key, size_t len);
/* Returns the node with this key, or NULL. */
struct az_hmap_node *az_hmap_find(const struct az_hmap *h, uint64_t hash, const void *key, size_t len);
/* Inserts n (whose hash/key are set, and whose key is not yet present). When the table is full it
 * is emptied first. Returns 0, or -1 on allocation failure (n is then still the caller's). */
int az_hmap_insert(struct az_hmap *h, struct az_hmap_node *n);

#endif
