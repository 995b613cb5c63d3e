/*
 * chain.c: verify each unique presented chain once (see chain.h).
 *
 * Verification: X509_verify_cert with the leaf as target and the other presented certificates as
 * untrusted intermediates, purpose "TLS server", at the evaluation time. A verify callback records
 * each error (code, depth, position of the certificate in the presented chain) and returns 1, so
 * OpenSSL carries on and reports every problem instead of the first. verified = no error.
 *
 * Order: the presented list should run leaf -> issuer -> issuer's issuer. It is out of order when
 * certificate i+1 did not issue certificate i while some later certificate did
 * (X509_check_issued: names, key identifiers, key usage).
 *
 * Cache key: the SHA-256 of each presented certificate, concatenated, then the UTC day of the
 * evaluation time (8 bytes): a chain is verified once a day however many endpoints serve it. The
 * table is bounded (hmap.h: emptied when full). What changes within a day (an intermediate
 * expiring at noon) is still seen by the per-certificate date checks, which use the exact time.
 */
#include "analyzer/chain.h"
#include "analyzer/hmap.h"
#include "analyzer/internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#define KEY_MAX (OBS_MAX_CHAIN * 32 + 8)

struct verify_entry {
	struct az_hmap_node node;     /* key = key[] */
	struct chain_result res;
	unsigned char key[];
};

struct chain_cache {
	struct az_hmap map;
	X509_STORE *store;               /* borrowed */
	const struct ca_policy *policy;  /* borrowed */
	struct chain_result scratch;     /* results that could not be cached */
	unsigned long verifies, hits;
};

/* What the verify callback needs: where to record, and the presented chain to map positions. */
struct vstate {
	struct chain_result *res;
	const struct certinfo *const *certs;
	size_t n;
};

static void result_clear(struct chain_result *r)
{
	for (size_t i = 0; i < r->n_errors; i++)
		free(r->errors[i].subject);
	memset(r, 0, sizeof(*r));
	r->order_pos = r->order_issuer_pos = -1;
}

static void verify_entry_destroy(struct az_hmap_node *n)
{
	struct verify_entry *e = (struct verify_entry *)(void *)n;

	result_clear(&e->res);
	free(e);
}

struct chain_cache *chain_cache_new(void *store, const struct ca_policy *policy, size_t max)
{
	struct chain_cache *vc = calloc(1, sizeof(*vc));

	if (vc == NULL)
		return NULL;
	if (az_hmap_init(&vc->map, max, verify_entry_destroy) != 0) {
		free(vc);
		return NULL;
	}
	vc->store = store;
	vc->policy = policy;
	result_clear(&vc->scratch);
	return vc;
}

void chain_cache_free(struct chain_cache *vc)
{
	if (vc == NULL)
		return;
	az_hmap_fini(&vc->map);
	result_clear(&vc->scratch);
	free(vc);
}

void chain_cache_set_max(struct chain_cache *vc, size_t max)
{
	az_hmap_clear(&vc->map);
	vc->map.max = max > 0 ? max : 1;
}

void chain_cache_stats(const struct chain_cache *vc, unsigned long *verifies,
			unsigned long *hits, size_t *entries)
{
	*verifies = vc->verifies;
	*hits = vc->hits;
	*entries = vc->map.count;
}

/* Position of x in the presented chain, or -1. */
static int presented_pos(const struct vstate *st, const X509 *x)
{
	if (x == NULL)
		return -1;
	for (size_t i = 0; i < st->n; i++)
		if (st->certs[i]->x509 == x)
			return (int)i;
	for (size_t i = 0; i < st->n; i++)
		if (X509_cmp(st->certs[i]->x509, x) == 0)
			return (int)i;
	return -1;
}

static void record_error(struct vstate *st, int code, int depth, const X509 *x)
{
	struct chain_result *r = st->res;
	int pos = presented_pos(st, x);
	struct chain_error *e;

	for (size_t i = 0; i < r->n_errors; i++)
		if (r->errors[i].code == code &&
		    (pos >= 0 ? r->errors[i].pos == pos : r->errors[i].depth == depth))
			return;
	if (r->n_errors == 0)
		r->code = code;
	if (r->n_errors >= CHAIN_MAX_ERRORS)
		return;
	e = &r->errors[r->n_errors++];
	e->code = code;
	e->depth = depth;
	e->pos = pos;
	e->subject = pos < 0 && x != NULL ? certinfo_name_text(X509_get_subject_name(x)) : NULL;
}

static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	struct vstate *st = X509_STORE_CTX_get_app_data(ctx);

	if (ok)
		return 1;
	if (st == NULL)
		return 0;
	record_error(st, X509_STORE_CTX_get_error(ctx), X509_STORE_CTX_get_error_depth(ctx),
		     X509_STORE_CTX_get_current_cert(ctx));
	return 1;
}

/* Does any certificate of the built chain that the server did not send match the policy? */
static int anchor_matches(const struct vstate *st, X509_STORE_CTX *ctx,
			  const struct ca_policy *policy)
{
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx); /* owned by ctx */
	int found = 0;

	for (int i = 0; chain != NULL && !found && i < sk_X509_num(chain); i++) {
		X509 *x = sk_X509_value(chain, i);
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		char *subject, *issuer;

		if (presented_pos(st, x) >= 0 || X509_digest(x, EVP_sha256(), md, &mdlen) != 1)
			continue;
		subject = certinfo_name_text(X509_get_subject_name(x));
		issuer = certinfo_name_text(X509_get_issuer_name(x));
		found = ca_policy_matches(policy, md, subject, issuer);
		free(subject);
		free(issuer);
	}
	return found;
}

static void run_verify(struct chain_cache *vc, const struct certinfo *const *certs, size_t n,
		       time_t at, struct chain_result *res)
{
	struct vstate st = { .res = res, .certs = certs, .n = n };
	STACK_OF(X509) *untrusted = sk_X509_new_null(); /* borrows the X509s */
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc;

	if (untrusted == NULL || ctx == NULL)
		goto oom;
	for (size_t i = 1; i < n; i++)
		if (sk_X509_push(untrusted, certs[i]->x509) <= 0)
			goto oom;
	if (X509_STORE_CTX_init(ctx, vc->store, certs[0]->x509, untrusted) != 1)
		goto oom;
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), at);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
	X509_STORE_CTX_set_app_data(ctx, &st);
	rc = X509_verify_cert(ctx);
	if (rc <= 0 && res->n_errors == 0) {
		int code = X509_STORE_CTX_get_error(ctx);

		record_error(&st, code != X509_V_OK ? code : X509_V_ERR_UNSPECIFIED, 0, NULL);
	}
	res->anchor_preferred = anchor_matches(&st, ctx, vc->policy);
	goto out;
oom:
	record_error(&st, X509_V_ERR_OUT_OF_MEM, 0, NULL);
out:
	res->verified = res->n_errors == 0;
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
}

static int issued(const struct certinfo *issuer, const struct certinfo *subject)
{
	return X509_check_issued(issuer->x509, subject->x509) == X509_V_OK;
}

static void check_order(const struct certinfo *const *certs, size_t n, struct chain_result *res)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (issued(certs[i + 1], certs[i]))
			continue;
		for (size_t j = i + 2; j < n; j++) {
			if (issued(certs[j], certs[i])) {
				res->order_pos = (int)i;
				res->order_issuer_pos = (int)j;
				return;
			}
		}
	}
}

static size_t make_key(const struct certinfo *const *certs, size_t n, time_t at,
		       unsigned char key[KEY_MAX])
{
	int64_t day = (int64_t)(at / 86400) - (at % 86400 < 0);
	size_t len = 0;

	for (size_t i = 0; i < n; i++, len += 32)
		memcpy(key + len, certs[i]->sha256, 32);
	for (int i = 0; i < 8; i++)
		key[len++] = (unsigned char)((uint64_t)day >> (8 * i));
	return len;
}

const struct chain_result *chain_verify(struct chain_cache *vc, const struct certinfo *const *certs,
					size_t n, time_t at)
{
	unsigned char key[KEY_MAX];
	struct verify_entry *e;
	struct chain_result *res;
	struct az_hmap_node *node;
	size_t key_len;
	uint64_t h;

	if (n > OBS_MAX_CHAIN)
		n = OBS_MAX_CHAIN;
	result_clear(&vc->scratch);
	key_len = make_key(certs, n, at, key);
	h = az_hmap_hash(&vc->map, key, key_len);
	node = az_hmap_find(&vc->map, h, key, key_len);
	if (node != NULL) {
		vc->hits++;
		return &((struct verify_entry *)(void *)node)->res;
	}

	e = calloc(1, sizeof(*e) + key_len);
	res = e != NULL ? &e->res : &vc->scratch;
	result_clear(res);
	vc->verifies++;
	ERR_set_mark();
	if (n > 0) {
		run_verify(vc, certs, n, at, res);
		check_order(certs, n, res);
	}
	ERR_pop_to_mark();
	if (e == NULL || res->code == X509_V_ERR_OUT_OF_MEM) {
		if (e != NULL) {
			vc->scratch = e->res; /* moves the owned subjects */
			free(e);
		}
		return &vc->scratch;
	}
	memcpy(e->key, key, key_len);
	e->node.hash = h;
	e->node.key = e->key;
	e->node.key_len = key_len;
	if (az_hmap_insert(&vc->map, &e->node) != 0) {
		vc->scratch = e->res;
		free(e);
		return &vc->scratch;
	}
	return &e->res;
}
