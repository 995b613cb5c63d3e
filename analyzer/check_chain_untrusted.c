/*
 * check_chain_untrusted.c: chain.untrusted, the presented chain does not verify to a trusted
 * root for a reason no other finding already states. Every verification error (chain.h) is
 * either explained by another check or reported here, first unexplained one only, with
 * OpenSSL's reason and the certificate at fault:
 *   certificate has expired        leaf: cert.expired; sent CA: chain.expired_intermediate
 *                                  (an expired root in the trust store is reported here)
 *   not yet valid                  leaf: cert.not_yet_valid
 *   unable to get issuer / verify leaf signature      chain.incomplete (or cert.self_signed),
 *                                  except when the certificate missing its issuer is a sent CA:
 *                                  the chain then ends at an unknown root, reported here
 *   self-signed leaf               cert.self_signed
 *   key too small / weak CA digest cert.weak_key, cert.weak_signature
 * Anything else (an untrusted root, a bad signature, a CA without CA rights, a purpose...) is
 * chain.untrusted.
 */
#include "analyzer/check_ctx.h"

#include <openssl/x509_vfy.h>

static int explained(const struct check_ctx *ctx, const struct chain_error *e)
{
	switch (e->code) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return e->pos >= 0;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return e->pos == 0;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		return e->pos >= 0 && !check_root_unknown(ctx, e);
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		return e->pos == 0 && ctx->an->certs[0]->self_signed;
	case X509_V_ERR_EE_KEY_TOO_SMALL:
	case X509_V_ERR_CA_KEY_TOO_SMALL:
	case X509_V_ERR_CA_MD_TOO_WEAK:
		return e->pos >= 0;
	default:
		return 0;
	}
}

static void run(const struct check *self, struct check_ctx *ctx)
{
	const struct chain_result *vr = ctx->chain;

	if (vr->verified)
		return;
	for (size_t i = 0; i < vr->n_errors; i++) {
		const struct chain_error *e = &vr->errors[i];
		const char *why = X509_verify_cert_error_string(e->code);

		if (explained(ctx, e))
			continue;
		if (check_root_unknown(ctx, e))
			check_add(ctx, self, self->severity, e->pos,
				  "the chain ends at CA certificate %d (\"%.80s\"), whose issuer \"%.120s\" is "
				  "not a trusted root: an unknown or private CA", e->pos,
				  check_cert_label(ctx->an->certs[e->pos]), ctx->an->certs[e->pos]->issuer);
		else if (e->pos >= 0)
			check_add(ctx, self, self->severity, e->pos,
				  "the chain does not verify to a trusted root: %s (certificate %d, "
				  "\"%.120s\")", why, e->pos, check_cert_label(ctx->an->certs[e->pos]));
		else if (e->subject != NULL)
			check_add(ctx, self, self->severity, -1,
				  "the chain does not verify to a trusted root: %s (trust-store "
				  "certificate \"%.120s\")", why, e->subject);
		else
			check_add(ctx, self, self->severity, -1,
				  "the chain does not verify to a trusted root: %s", why);
		return;
	}
}

const struct check check_chain_untrusted = {
	.id = "chain.untrusted",
	.severity = SEV_HIGH,
	.title = "Chain does not verify to a trusted root",
	.fix = "Serve a certificate from a CA the clients trust, with its intermediates; for a private "
	       "CA, install its root in the clients' trust stores (and give it to certsweep with "
	       "--ca-file).",
	.run = run,
};
