/*
 * ccheck_proto_sslv2.c: proto.sslv2, the server speaks SSL 2.0 (critical). SSL 2.0 has been
 * broken since 1996 and prohibited since RFC 6176 (2011); a server that still speaks it also
 * exposes every other server sharing its RSA key to DROWN (CVE-2016-0800).
 */
#include "analyzer/ccheck.h"

static void run(const struct config_check *self, struct config_ctx *ctx)
{
	ccheck_protocol(self, ctx, PV_SSL2,
			"SSL 2.0 is broken (RFC 6176) and its RSA key exchange lets attackers decrypt "
			"TLS sessions of any server sharing the key (DROWN, CVE-2016-0800)");
}

const struct config_check ccheck_proto_sslv2 = {
	.id = "proto.sslv2",
	.severity = SEV_CRITICAL,
	.title = "SSL 2.0 is enabled",
	.fix = "Disable SSL 2.0 (and SSL 3.0, TLS 1.0, TLS 1.1). nginx: ssl_protocols TLSv1.2 TLSv1.3; "
	       "Apache: SSLProtocol -all +TLSv1.2 +TLSv1.3. Also disable it on every other service "
	       "that uses the same RSA key.",
	.run = run,
};
