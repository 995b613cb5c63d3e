/*
 * check_cert_expired.c: cert.expired, the leaf's notAfter has passed (at or before the evaluation
 * time, as OpenSSL counts it). Critical: every client refuses the connection.
 * A chain that fails verification only because of this is not also chain.untrusted.
 */
#include "analyzer/check_ctx.h"

static void run(const struct check *self, struct check_ctx *ctx)
{
	const struct certinfo *leaf = ctx->an->certs[0];
	char when[40];

	if (leaf->not_after > ctx->at)
		return;
	check_fmt_time(leaf->not_after, when, sizeof(when));
	check_add(ctx, self, self->severity, 0, "certificate \"%.120s\" expired on %s (%ld days ago)",
		  check_cert_label(leaf), when, check_days_between(leaf->not_after, ctx->at));
}

const struct check check_cert_expired = {
	.id = "cert.expired",
	.severity = SEV_CRITICAL,
	.title = "Leaf certificate has expired",
	.fix = "Renew the certificate now, install it with its intermediate chain and reload the "
	       "service; then automate renewal so it cannot lapse again.",
	.run = run,
};
