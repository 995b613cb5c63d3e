/*
 * ccheck_proto_tls10.c: proto.tls10, the server speaks TLS 1.0 (medium). Deprecated by RFC 8996
 * (2021), refused by current browsers since 2020, not allowed by PCI DSS since 2018.
 */
#include "analyzer/ccheck.h"

static void run(const struct config_check *self, struct config_ctx *ctx)
{
	ccheck_protocol(self, ctx, PV_TLS10,
			"TLS 1.0 is deprecated (RFC 8996), refused by current browsers and not allowed "
			"by PCI DSS; it has only CBC and RC4 suites and a SHA-1/MD5 handshake hash");
}

const struct config_check ccheck_proto_tls10 = {
	.id = "proto.tls10",
	.severity = SEV_MEDIUM,
	.title = "TLS 1.0 is enabled",
	.fix = "Disable TLS 1.0 (and TLS 1.1) unless a named legacy client still needs it. nginx: "
	       "ssl_protocols TLSv1.2 TLSv1.3; Apache: SSLProtocol -all +TLSv1.2 +TLSv1.3.",
	.run = run,
};
