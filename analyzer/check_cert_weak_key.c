/*
 * check_cert_weak_key.c: cert.weak_key, a presented certificate has an RSA or DSA key under 2048
 * bits or an EC key under 224 bits (CA/Browser Forum baseline; OpenSSL refuses them at security
 * level 2). One finding per weak certificate, leaf or CA: a chain is as strong as its weakest key.
 */
#include "analyzer/check_ctx.h"

#include <string.h>

/* The minimum size for this key type, or 0 when there is no size rule (Ed25519, unknown). */
static int min_bits(const struct certinfo *ci)
{
	if (strcmp(ci->key_type, "RSA") == 0 || strcmp(ci->key_type, "RSA-PSS") == 0 ||
	    strcmp(ci->key_type, "DSA") == 0)
		return 2048;
	if (strcmp(ci->key_type, "EC") == 0)
		return 224;
	return 0;
}

static void run(const struct check *self, struct check_ctx *ctx)
{
	for (size_t i = 0; i < ctx->an->n_certs; i++) {
		const struct certinfo *ci = ctx->an->certs[i];
		int need = min_bits(ci);

		if (need == 0 || ci->key_bits <= 0 || ci->key_bits >= need)
			continue;
		check_add(ctx, self, self->severity, (int)i,
			  "%s %zu (\"%.120s\") has a %d-bit %s key; at least %d bits are required",
			  i == 0 ? "leaf certificate" : "CA certificate", i, check_cert_label(ci),
			  ci->key_bits, ci->key_type, need);
	}
}

const struct check check_cert_weak_key = {
	.id = "cert.weak_key",
	.severity = SEV_HIGH,
	.title = "Certificate key is too small",
	.fix = "Generate a new key (RSA 2048 bits or more, or ECDSA P-256/P-384) and have the "
	       "certificate reissued with it; replace weak CA certificates with the CA's current ones.",
	.run = run,
};
