/*
 * check_cert_weak_signature.c: cert.weak_signature, the leaf or an intermediate is signed with
 * MD2, MD4, MD5 or SHA-1 (certinfo.sig_weak). Self-signatures are not checked: a client trusts
 * a root (or a pinned self-signed leaf) for what it is, never by verifying its own signature, so
 * a self-signed leaf is cert.self_signed only (plus cert.weak_key if its key is weak).
 */
#include "analyzer/check_ctx.h"

static void run(const struct check *self, struct check_ctx *ctx)
{
	for (size_t i = 0; i < ctx->an->n_certs; i++) {
		const struct certinfo *ci = ctx->an->certs[i];

		if (!ci->sig_weak || ci->self_signed)
			continue;
		check_add(ctx, self, self->severity, (int)i,
			  "%s %zu (\"%.120s\") is signed with %s, a hash clients no longer accept",
			  i == 0 ? "leaf certificate" : "intermediate certificate", i,
			  check_cert_label(ci), ci->sig_alg);
	}
}

const struct check check_cert_weak_signature = {
	.id = "cert.weak_signature",
	.severity = SEV_HIGH,
	.title = "Certificate signed with a weak hash (MD5, SHA-1)",
	.fix = "Have the certificate reissued with a SHA-256 (or stronger) signature and serve the "
	       "CA's current SHA-256 intermediates.",
	.run = run,
};
