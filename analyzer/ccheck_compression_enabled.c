/*
 * ccheck_compression_enabled.c: compression.enabled, the server accepts TLS-level compression
 * (DEFLATE) (high). Compressing secrets together with attacker-chosen data leaks them through the
 * record lengths: CRIME (CVE-2012-4929) recovers session cookies.
 */
#include "analyzer/ccheck.h"

static void run(const struct config_check *self, struct config_ctx *ctx)
{
	if (ctx->p->compression != 1)
		return;
	config_add(ctx, self, self->severity,
		   "the server accepts TLS compression (DEFLATE): secrets such as cookies can be "
		   "recovered from record lengths (CRIME, CVE-2012-4929)");
}

const struct config_check ccheck_compression_enabled = {
	.id = "compression.enabled",
	.severity = SEV_HIGH,
	.title = "TLS compression is enabled (CRIME)",
	.fix = "Disable TLS compression: Apache: SSLCompression off; nginx disables it since 1.3.2; "
	       "OpenSSL 1.1.0 and later have no compression unless built for it (upgrade).",
	.run = run,
};
