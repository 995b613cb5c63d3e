/*
 * check_chain_expired_intermediate.c: chain.expired_intermediate, a certificate the server sends
 * after the leaf has expired. Reported even when the chain still verifies through another path
 * (the AddTrust External CA Root expiry of 2020: clients that follow the sent chain break).
 * Explains the matching verification error: not also chain.untrusted.
 */
#include "analyzer/check_ctx.h"

static void run(const struct check *self, struct check_ctx *ctx)
{
	for (size_t i = 1; i < ctx->an->n_certs; i++) {
		const struct certinfo *ci = ctx->an->certs[i];
		char when[40];

		if (ci->not_after > ctx->at)
			continue;
		check_fmt_time(ci->not_after, when, sizeof(when));
		check_add(ctx, self, self->severity, (int)i,
			  "%s certificate %zu (\"%.120s\") sent in the chain expired on %s",
			  ci->self_signed ? "root" : "intermediate", i, check_cert_label(ci), when);
	}
}

const struct check check_chain_expired_intermediate = {
	.id = "chain.expired_intermediate",
	.severity = SEV_HIGH,
	.title = "Chain contains an expired CA certificate",
	.fix = "Remove the expired certificate from the served chain and install the CA's current "
	       "intermediate in its place (download it from the CA's repository).",
	.run = run,
};
