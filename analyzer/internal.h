/*
 * internal.h: interfaces shared between the analyzer's own files (and its unit tests); not part of
 * the public API in analyzer.h.
 *
 * Certificate lifetime: certinfo objects are reference counted. certinfo_parse() returns one
 * reference, certinfo_ref() adds one and certinfo_free() drops one; the last drop frees. The
 * certificate cache holds one reference per entry and every analysis holds one per certificate,
 * so an analysis stays valid whatever the order of analysis_free / analyzer_free, and a cache that
 * evicts (past its bound) never frees a certificate an analysis still shows.
 */
#ifndef CS_ANALYZER_INTERNAL_H
#define CS_ANALYZER_INTERNAL_H

#include <stddef.h>

#include "analyzer/analyzer.h"

/* Bounds of the two caches (entries); past them the cache is emptied and refills. */
#define CERT_CACHE_MAX 100000
#define VERIFY_CACHE_MAX 100000

/* Adds a reference; returns ci. */
struct certinfo *certinfo_ref(struct certinfo *ci);

/* Formats a distinguished name (an X509_NAME *) as RFC 2253 with UTF-8 kept, sanitised to valid
 * UTF-8 without control characters and bounded. Returns a malloc'd string or NULL on failure. */
char *certinfo_name_text(const void *x509_name);

/* Certificate cache: one parsed certinfo per unique DER (hence per SHA-256). */
struct cert_cache;
struct cert_cache *cert_cache_new(size_t max);
void cert_cache_free(struct cert_cache *cc);
/* Returns the certificate with one reference for the caller (drop it with certinfo_free), parsing
 * it on a miss; NULL when the DER does not parse or memory ran out. */
struct certinfo *cert_cache_get(struct cert_cache *cc, const unsigned char *der, size_t len);
void cert_cache_stats(const struct cert_cache *cc, unsigned long *parses, unsigned long *hits,
		      size_t *entries);

/* Policy match on raw facts, for trust-store certificates that have no certinfo. */
int ca_policy_matches(const struct ca_policy *p, const unsigned char sha256[32],
		      const char *subject, const char *issuer);

/* Counters, for tests and benchmarks. */
struct analyzer_stats {
	unsigned long cert_parses, cert_hits;
	unsigned long chain_verifies, chain_hits;
	size_t cert_entries, chain_entries;
};
void analyzer_get_stats(const struct analyzer *az, struct analyzer_stats *st);
/* Replaces the cache bounds (emptying both caches); for tests of eviction. */
int analyzer_set_cache_limits(struct analyzer *az, size_t certs, size_t chains);

#endif
