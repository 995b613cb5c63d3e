/*
 * check_cert_not_yet_valid.c: cert.not_yet_valid, the leaf's notBefore is after the evaluation
 * time (a post-dated certificate, or a wrong clock). Explains the matching verification error,
 * so the chain is not also reported untrusted for it.
 */
#include "analyzer/check_ctx.h"

static void run(const struct check *self, struct check_ctx *ctx)
{
	const struct certinfo *leaf = ctx->an->certs[0];
	char when[40];

	if (leaf->not_before <= ctx->at)
		return;
	check_fmt_time(leaf->not_before, when, sizeof(when));
	check_add(ctx, self, self->severity, 0,
		  "certificate \"%.120s\" is not valid before %s (%ld days from now)",
		  check_cert_label(leaf), when, check_days_between(ctx->at, leaf->not_before));
}

const struct check check_cert_not_yet_valid = {
	.id = "cert.not_yet_valid",
	.severity = SEV_HIGH,
	.title = "Leaf certificate is not valid yet",
	.fix = "Check the clocks (server and issuing system) and install a certificate whose "
	       "validity has started; have it reissued if it was post-dated.",
	.run = run,
};
