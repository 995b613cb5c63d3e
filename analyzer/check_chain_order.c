/*
 * check_chain_order.c: chain.order, the presented certificates are not in leaf -> issuer order:
 * certificate i+1 did not issue certificate i while a later one did (computed once per chain in
 * chain.c with X509_check_issued). Low: OpenSSL and browsers reorder, older and embedded clients
 * fail.
 */
#include "analyzer/check_ctx.h"

static void run(const struct check *self, struct check_ctx *ctx)
{
	const struct chain_result *vr = ctx->chain;
	int i = vr->order_pos, j = vr->order_issuer_pos;

	if (i < 0 || j < 0 || (size_t)j >= ctx->an->n_certs)
		return;
	check_add(ctx, self, self->severity, i,
		  "certificate %d (\"%.80s\") is followed by \"%.80s\", which did not issue it; its "
		  "issuer \"%.80s\" is sent at position %d", i, check_cert_label(ctx->an->certs[i]),
		  check_cert_label(ctx->an->certs[i + 1]), check_cert_label(ctx->an->certs[j]), j);
}

const struct check check_chain_order = {
	.id = "chain.order",
	.severity = SEV_LOW,
	.title = "Chain certificates sent out of order",
	.fix = "Reorder the chain file: the leaf first, then the certificate that issued it, then that "
	       "certificate's issuer, and so on (the root may be left out).",
	.run = run,
};
