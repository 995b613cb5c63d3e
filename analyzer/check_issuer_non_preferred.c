/*
 * check_issuer_non_preferred.c: issuer.non_preferred, no certificate of the chain (presented, or
 * the trust anchor it verified to) matches the preferred-CA policy (policy.c), i.e. the
 * certificate was not bought from the organisation's CA. The message names the policy and the
 * leaf's issuer so a renewal order can be raised with the right CA.
 */
#include "analyzer/check_ctx.h"

static void run(const struct check *self, struct check_ctx *ctx)
{
	const struct certinfo *leaf = ctx->an->certs[0];

	if (ctx->an->preferred)
		return;
	check_add(ctx, self, self->severity, -1,
		  "no certificate in the chain matches the preferred-CA policy \"%s\"; the leaf is "
		  "issued by \"%.160s\"", ca_policy_name(ctx->policy), leaf->issuer);
}

const struct check check_issuer_non_preferred = {
	.id = "issuer.non_preferred",
	.severity = SEV_MEDIUM,
	.title = "Certificate not issued by the preferred CA",
	.fix = "At the next renewal (or now, if policy requires), replace the certificate with one "
	       "from the organisation's preferred CA.",
	.run = run,
};
