/*
 * check_ctx.h: what a check sees and how it reports (private to analyzer/).
 *
 * A check is a const descriptor (analyzer.h: struct check) in its own file check_<id>.c, listed
 * in cert_checks[] (checks.c). analyze() fills one check_ctx per observation and calls every
 * check's run(); checks only read the context and append findings with check_add(). Checks run
 * only when at least one certificate parsed, so ctx->an->certs[0] (the leaf) is always there.
 *
 * One clear finding per problem: each check states which other check already explains a
 * combination (an expired leaf is cert.expired, not also chain.untrusted; a self-signed leaf is
 * cert.self_signed, not also chain.incomplete).
 */
#ifndef CS_ANALYZER_CHECK_CTX_H
#define CS_ANALYZER_CHECK_CTX_H

#include <stddef.h>
#include <time.h>

#include "analyzer/analyzer.h"
#include "analyzer/chain.h"

/* Findings kept per analysis at most (16 certificates x a few checks fit easily). */
#define CHECK_MAX_FINDINGS 128

struct check_ctx {
	const struct observation *obs;      /* borrowed */
	const struct analysis *an;          /* borrowed: certs, hostname, preferred, days_left */
	const struct chain_result *chain;   /* borrowed: verification errors and order */
	const struct ca_policy *policy;     /* borrowed, never NULL */
	time_t at;                          /* evaluation time */
	const char *hostname;               /* the name checked against the leaf, NULL when none */
	int expiring_critical_days;
	int expiring_high_days;

	/* Output, filled by check_add(). */
	struct finding *findings;           /* owned until handed to the analysis */
	size_t n_findings, cap_findings;
	int failed;                         /* an allocation failed */
};

/* Appends a finding of check `self` (id and fix from the descriptor). The message is formatted
 * printf-style, truncated to fit, never cut inside a UTF-8 character. */
void check_add(struct check_ctx *ctx, const struct check *self, enum severity sev, int cert_pos,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* "2026-01-31 23:59:59 UTC" */
void check_fmt_time(time_t t, char *buf, size_t size);
/* A short name for a certificate in messages: its CN, else its subject. Static storage of ci. */
const char *check_cert_label(const struct certinfo *ci);
/* 1 when e says a presented CA certificate (not the leaf) has no known issuer: the server sent
 * its intermediates and the chain ends at a root the trust store does not hold, an unknown or
 * private CA (chain.untrusted), rather than a missing intermediate (chain.incomplete). */
int check_root_unknown(const struct check_ctx *ctx, const struct chain_error *e);
/* floor((t - at) / 86400) */
long check_days_between(time_t at, time_t t);

/* Descriptors, one per file. */
extern const struct check check_cert_expired;
extern const struct check check_cert_expiring;
extern const struct check check_cert_not_yet_valid;
extern const struct check check_cert_self_signed;
extern const struct check check_cert_hostname_mismatch;
extern const struct check check_cert_weak_key;
extern const struct check check_cert_weak_signature;
extern const struct check check_cert_lifetime_too_long;
extern const struct check check_chain_untrusted;
extern const struct check check_chain_incomplete;
extern const struct check check_chain_order;
extern const struct check check_chain_expired_intermediate;
extern const struct check check_issuer_non_preferred;

#endif
