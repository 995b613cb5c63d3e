/*
 * check_cert_self_signed.c: cert.self_signed, the leaf is signed by its own key (subject ==
 * issuer and the signature verifies with the certificate's key), so no client can verify it.
 * Not reported when the chain verifies anyway (the administrator put that very certificate in
 * the trust store: it is pinned, not a problem). A self-signed leaf is never also
 * chain.incomplete (its issuer is itself) nor chain.untrusted for that reason alone.
 */
#include "analyzer/check_ctx.h"

static void run(const struct check *self, struct check_ctx *ctx)
{
	const struct certinfo *leaf = ctx->an->certs[0];

	if (!leaf->self_signed || ctx->chain->verified)
		return;
	check_add(ctx, self, self->severity, 0,
		  "certificate \"%.120s\" is self-signed (issuer \"%.120s\" is itself): clients "
		  "cannot verify it", check_cert_label(leaf), leaf->issuer);
}

const struct check check_cert_self_signed = {
	.id = "cert.self_signed",
	.severity = SEV_HIGH,
	.title = "Leaf certificate is self-signed",
	.fix = "Replace the self-signed certificate with one issued by the organisation's CA "
	       "(public, or an internal CA whose root the clients trust) and serve its chain.",
	.run = run,
};
