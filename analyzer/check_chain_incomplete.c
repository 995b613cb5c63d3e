/*
 * check_chain_incomplete.c: chain.incomplete, the issuer of a presented certificate is neither
 * presented nor in the trust store: usually the server omits an intermediate. Detected from the
 * verification errors UNABLE_TO_GET_ISSUER_CERT(_LOCALLY) / UNABLE_TO_VERIFY_LEAF_SIGNATURE on a
 * presented certificate. (The issuer could also be a private CA missing from the trust store;
 * fetching it through AIA would be I/O, which the analyzer does not do: the message names the
 * issuer and the AIA URL so a person can tell.) A self-signed certificate has no issuer to miss:
 * that is cert.self_signed.
 */
#include "analyzer/check_ctx.h"

#include <openssl/x509_vfy.h>

static int issuer_missing(int code)
{
	return code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
	       code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
	       code == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
}

static void run(const struct check *self, struct check_ctx *ctx)
{
	const struct chain_result *vr = ctx->chain;

	for (size_t i = 0; i < vr->n_errors; i++) {
		const struct chain_error *e = &vr->errors[i];
		const struct certinfo *ci;

		if (!issuer_missing(e->code) || e->pos < 0 || check_root_unknown(ctx, e))
			continue;
		ci = ctx->an->certs[e->pos];
		if (ci->self_signed)
			continue;
		check_add(ctx, self, self->severity, e->pos,
			  "certificate %d (\"%.80s\") is issued by \"%.120s\", which the server does "
			  "not send and the trust store does not hold%s%.80s", e->pos,
			  check_cert_label(ci), ci->issuer,
			  ci->aia_ca_issuers != NULL ? "; the CA publishes it at " : "",
			  ci->aia_ca_issuers != NULL ? ci->aia_ca_issuers : "");
		return;
	}
}

const struct check check_chain_incomplete = {
	.id = "chain.incomplete",
	.severity = SEV_MEDIUM,
	.title = "Server does not send the intermediate certificates",
	.fix = "Configure the server to send the full chain: the leaf followed by every intermediate "
	       "(e.g. nginx ssl_certificate fullchain.pem, Apache SSLCertificateFile with the chain "
	       "appended); for a private CA, add its root to the trust store.",
	.run = run,
};
