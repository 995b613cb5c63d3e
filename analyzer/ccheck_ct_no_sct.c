/*
 * ccheck_ct_no_sct.c: ct.no_sct, no Signed Certificate Timestamp reaches the client (low): not
 * embedded in the leaf certificate, not in the TLS extension, not in the stapled OCSP response.
 * Chrome and Safari reject publicly trusted certificates without SCTs.
 *
 * Needs the certificate facts (an, with a leaf) and a definite "no" from the TLS extension; when
 * an OCSP response is stapled but its SCTs were not parsed, the answer is unknown and nothing is
 * said. A self-signed leaf is cert.self_signed's business (no CA logs it).
 */
#include "analyzer/ccheck.h"

static void run(const struct config_check *self, struct config_ctx *ctx)
{
	const struct tls_profile *p = ctx->p;
	const struct certinfo *leaf;

	if (ctx->an == NULL || ctx->an->n_certs == 0 || ctx->an->certs[0] == NULL)
		return;
	leaf = ctx->an->certs[0];
	if (leaf->has_sct || leaf->self_signed || p->sct_extension != 0 || p->sct_ocsp == 1)
		return;
	if (p->ocsp_stapling == 1 && p->sct_ocsp == PROFILE_UNKNOWN)
		return;
	config_add(ctx, self, self->severity,
		   "no Signed Certificate Timestamp is delivered (none embedded in the certificate, "
		   "none in the TLS extension%s): Chrome and Safari reject publicly trusted "
		   "certificates without Certificate Transparency proof",
		   p->ocsp_stapling == 1 ? " or the stapled OCSP response" : "");
}

const struct config_check ccheck_ct_no_sct = {
	.id = "ct.no_sct",
	.severity = SEV_LOW,
	.title = "No Certificate Transparency SCTs",
	.fix = "Get the certificate reissued by a CA that embeds SCTs (all public CAs do today), or "
	       "serve SCTs in the TLS extension (nginx-ct ssl_ct_static_scts; Apache mod_ssl_ct). "
	       "Private-CA certificates do not need CT: ignore this finding for them.",
	.run = run,
};
