/*
 * ccheck_vuln_heartbleed.c: vuln.heartbleed, the server answered a heartbeat request with more
 * bytes than it carried (critical): its process memory, including private keys, session keys
 * and other users' requests, can be read by anyone (CVE-2014-0160, OpenSSL 1.0.1 to 1.0.1f).
 */
#include "analyzer/ccheck.h"

static void run(const struct config_check *self, struct config_ctx *ctx)
{
	if (ctx->p->heartbleed != 1)
		return;
	config_add(ctx, self, self->severity,
		   "the server leaks process memory through TLS heartbeats (Heartbleed, "
		   "CVE-2014-0160): private keys, session keys and other users' data can be read");
}

const struct config_check ccheck_vuln_heartbleed = {
	.id = "vuln.heartbleed",
	.severity = SEV_CRITICAL,
	.title = "Vulnerable to Heartbleed (CVE-2014-0160)",
	.fix = "Upgrade OpenSSL (1.0.1g or later; better, a supported release) and restart every "
	       "service using it, then treat the private key as compromised: generate a new key, "
	       "have the certificate reissued and revoke the old one; invalidate sessions and "
	       "passwords that went through the server.",
	.run = run,
};
