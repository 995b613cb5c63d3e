/*
 * check_cert_expiring.c: cert.expiring, the leaf is still valid but expires within
 * expiring_high_days (high) or expiring_critical_days (critical) whole days (days_left, floor).
 */
#include "analyzer/check_ctx.h"

static void run(const struct check *self, struct check_ctx *ctx)
{
	const struct certinfo *leaf = ctx->an->certs[0];
	int days = ctx->an->days_left;
	char when[40];

	if (leaf->not_after <= ctx->at || days > ctx->expiring_high_days)
		return;
	check_fmt_time(leaf->not_after, when, sizeof(when));
	check_add(ctx, self, days <= ctx->expiring_critical_days ? SEV_CRITICAL : SEV_HIGH, 0,
		  "certificate \"%.120s\" expires on %s, in %d days", check_cert_label(leaf), when,
		  days);
}

const struct check check_cert_expiring = {
	.id = "cert.expiring",
	.severity = SEV_HIGH,
	.title = "Leaf certificate expires soon (critical within 7 days, high within 30; configurable)",
	.fix = "Renew the certificate before it expires and install it with its intermediate chain; "
	       "automate renewal (ACME or the CA's API) so this does not recur.",
	.run = run,
};
