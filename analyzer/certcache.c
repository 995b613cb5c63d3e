/*
 * certcache.c: parse each unique certificate once.
 *
 * A sweep sees the same intermediates on thousands of endpoints and the same leaf on every
 * address of a host, and parsing (OpenSSL 3.0's decoders, two digests, a self-signature check)
 * costs more than looking the bytes up. Entries are keyed by the DER itself (identical DER <=>
 * identical SHA-256), so a hit costs one SipHash over the DER and one memcmp, no digest.
 *
 * Bounded: at most `max` entries; the table empties when full (hmap.h). The cache owns one
 * reference per entry; callers get their own reference, so eviction never frees a certificate
 * an analysis still shows.
 */
#include "analyzer/hmap.h"
#include "analyzer/internal.h"

#include <stdlib.h>

struct cert_entry {
	struct az_hmap_node node;   /* key = ci->der */
	struct certinfo *ci;     /* one reference owned by the entry */
};

struct cert_cache {
	struct az_hmap map;
	unsigned long parses, hits;
};

static void cert_entry_destroy(struct az_hmap_node *n)
{
	struct cert_entry *e = (struct cert_entry *)(void *)n;

	certinfo_free(e->ci);
	free(e);
}

struct cert_cache *cert_cache_new(size_t max)
{
	struct cert_cache *cc = calloc(1, sizeof(*cc));

	if (cc == NULL)
		return NULL;
	if (az_hmap_init(&cc->map, max, cert_entry_destroy) != 0) {
		free(cc);
		return NULL;
	}
	return cc;
}

void cert_cache_free(struct cert_cache *cc)
{
	if (cc == NULL)
		return;
	az_hmap_fini(&cc->map);
	free(cc);
}

struct certinfo *cert_cache_get(struct cert_cache *cc, const unsigned char *der, size_t len)
{
	struct az_hmap_node *n;
	struct cert_entry *e;
	struct certinfo *ci;
	char err[128];
	uint64_t h;

	if (der == NULL || len == 0)
		return NULL;
	h = az_hmap_hash(&cc->map, der, len);
	n = az_hmap_find(&cc->map, h, der, len);
	if (n != NULL) {
		cc->hits++;
		return certinfo_ref(((struct cert_entry *)(void *)n)->ci);
	}
	ci = certinfo_parse(der, len, err, sizeof(err));
	if (ci == NULL)
		return NULL;
	cc->parses++;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return ci; /* usable, just not cached */
	e->ci = certinfo_ref(ci);
	e->node.hash = h;
	e->node.key = ci->der;
	e->node.key_len = ci->der_len;
	if (az_hmap_insert(&cc->map, &e->node) != 0)
		cert_entry_destroy(&e->node);
	return ci;
}

void cert_cache_stats(const struct cert_cache *cc, unsigned long *parses, unsigned long *hits,
		      size_t *entries)
{
	*parses = cc->parses;
	*hits = cc->hits;
	*entries = cc->map.count;
}
