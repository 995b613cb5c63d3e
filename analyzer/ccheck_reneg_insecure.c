/*
 * ccheck_reneg_insecure.c: reneg.insecure, the server speaks TLS <= 1.2 without secure
 * renegotiation (RFC 5746 renegotiation_info) (high). Without it a man in the middle can splice
 * its own request in front of a client's (CVE-2009-3555) wherever renegotiation happens; when the
 * server also lets clients renegotiate, the attack needs nothing more (critical). TLS 1.3 has
 * no renegotiation, so a TLS 1.3-only server never has this finding.
 */
#include "analyzer/ccheck.h"

static void run(const struct config_check *self, struct config_ctx *ctx)
{
	const struct tls_profile *p = ctx->p;

	if (p->secure_reneg != 0 || config_legacy_protocols(p) == 0)
		return;
	if (p->client_reneg == 1)
		config_add(ctx, self, SEV_CRITICAL,
			   "the server does not support secure renegotiation (RFC 5746) and accepts "
			   "client-initiated renegotiation: a man in the middle can inject data into "
			   "clients' sessions (CVE-2009-3555)");
	else
		config_add(ctx, self, self->severity,
			   "the server does not support secure renegotiation (RFC 5746): any "
			   "renegotiation it performs is open to prefix injection (CVE-2009-3555), and "
			   "clients that require RFC 5746 refuse it");
}

const struct config_check ccheck_reneg_insecure = {
	.id = "reneg.insecure",
	.severity = SEV_HIGH,
	.title = "Secure renegotiation (RFC 5746) is not supported",
	.fix = "Upgrade the TLS library: every OpenSSL since 0.9.8m (2010), GnuTLS and current server "
	       "software support RFC 5746. Until then, disable renegotiation entirely.",
	.run = run,
};
