/*
 * ccheck_proto_tls11.c: proto.tls11, the server speaks TLS 1.1 (medium). Deprecated together
 * with TLS 1.0 by RFC 8996 (2021); no client that supports TLS 1.1 lacks TLS 1.2.
 */
#include "analyzer/ccheck.h"

static void run(const struct config_check *self, struct config_ctx *ctx)
{
	ccheck_protocol(self, ctx, PV_TLS11,
			"TLS 1.1 is deprecated (RFC 8996) and refused by current browsers; it has no "
			"AEAD suites and no client needs it that lacks TLS 1.2");
}

const struct config_check ccheck_proto_tls11 = {
	.id = "proto.tls11",
	.severity = SEV_MEDIUM,
	.title = "TLS 1.1 is enabled",
	.fix = "Disable TLS 1.1. nginx: ssl_protocols TLSv1.2 TLSv1.3; Apache: SSLProtocol -all "
	       "+TLSv1.2 +TLSv1.3.",
	.run = run,
};
