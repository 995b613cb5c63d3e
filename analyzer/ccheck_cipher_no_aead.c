/*
 * ccheck_cipher_no_aead.c: cipher.no_aead, no AEAD suite (AES-GCM, AES-CCM, ChaCha20-Poly1305)
 * is accepted (low): every connection uses CBC with MAC-then-encrypt (Lucky13-style padding
 * oracles) or a stream cipher. TLS 1.3 suites are all AEAD, so a server with TLS 1.3 never has
 * this finding; the check needs TLS 1.3 to have been tested and refused.
 */
#include "analyzer/ccheck.h"

static void run(const struct config_check *self, struct config_ctx *ctx)
{
	const struct tls_profile *p = ctx->p;
	const struct proto_suites *ps = &p->suites[PV_TLS12];
	size_t n = ps->n < PROFILE_MAX_SUITES ? ps->n : PROFILE_MAX_SUITES;

	if (p->supported[PV_TLS13] != 0 || config_best_protocol(p) < 0)
		return;
	if (p->supported[PV_TLS12] != 1) {
		config_add(ctx, self, self->severity,
			   "no AEAD cipher suite can be used: AEAD needs TLS 1.2 or 1.3 and the best "
			   "protocol is %s", proto_version_name(config_best_protocol(p)));
		return;
	}
	if (n == 0)
		return; /* suites not enumerated: cannot tell */
	for (size_t i = 0; i < n; i++) {
		const struct suite *s = suite_by_id(ps->ids[i]);

		if (s != NULL && (s->flags & SUITE_AEAD))
			return;
	}
	config_add(ctx, self, self->severity,
		   "TLS 1.2 is accepted with %zu cipher suites, none of them AEAD (AES-GCM, AES-CCM, "
		   "ChaCha20-Poly1305): every connection uses CBC mode or a stream cipher", n);
}

const struct config_check ccheck_cipher_no_aead = {
	.id = "cipher.no_aead",
	.severity = SEV_LOW,
	.title = "No AEAD cipher suite is accepted",
	.fix = "Enable AES-GCM and ChaCha20-Poly1305 suites and prefer them (nginx: ssl_ciphers "
	       "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:...; Apache: SSLCipherSuite), "
	       "and enable TLS 1.3; this needs OpenSSL 1.0.1 or later.",
	.run = run,
};
