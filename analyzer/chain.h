/*
 * chain.h: verification of a presented chain against the trust store, cached per unique chain
 * (private to analyzer/).
 *
 * The result keeps every error OpenSSL reports while building and checking the chain (the verify
 * callback records and continues), with the position of the offending certificate in the
 * presented chain, so the checks can tell "failed only because the leaf expired" from "does not
 * lead to a trusted root" and say which certificate is at fault.
 */
#ifndef CS_ANALYZER_CHAIN_H
#define CS_ANALYZER_CHAIN_H

#include <stddef.h>
#include <time.h>

#include "analyzer/analyzer.h"

#define CHAIN_MAX_ERRORS 8

struct chain_error {
	int code;          /* X509_V_ERR_* */
	int depth;         /* depth in the chain OpenSSL built (0 = leaf) */
	int pos;           /* position in the presented chain, -1 when the certificate is not one
	                      the server sent (trust store) or unknown */
	char *subject;     /* owned; RFC 2253 subject when pos == -1 (NULL when unknown) */
};

struct chain_result {
	int verified;      /* 1 when no error at all */
	int code;          /* first error (X509_V_OK when verified) */
	struct chain_error errors[CHAIN_MAX_ERRORS];
	size_t n_errors;
	int order_pos;     /* first presented cert whose issuer is sent later than next, or -1 */
	int order_issuer_pos; /* where its issuer is */
	int anchor_preferred; /* a certificate of the built chain the server did not send (the
	                         trust anchor) matches the policy */
};

struct chain_cache;

/* store: X509_STORE * (borrowed, must outlive the cache). */
struct chain_cache *chain_cache_new(void *store, const struct ca_policy *policy, size_t max);
void chain_cache_free(struct chain_cache *vc);

/*
 * Verifies certs[0..n) (leaf first, the rest untrusted) at time `at`, or returns the result of an
 * earlier verification of the same chain on the same UTC day. Never NULL: when memory runs out
 * the result says so (code X509_V_ERR_OUT_OF_MEM) and is not cached. The result is owned by the
 * cache and valid until the next chain_verify() call or chain_cache_free().
 */
const struct chain_result *chain_verify(struct chain_cache *vc, const struct certinfo *const *certs,
					size_t n, time_t at);

void chain_cache_stats(const struct chain_cache *vc, unsigned long *verifies,
			unsigned long *hits, size_t *entries);
/* Empties the cache and sets a new bound. */
void chain_cache_set_max(struct chain_cache *vc, size_t max);

#endif
