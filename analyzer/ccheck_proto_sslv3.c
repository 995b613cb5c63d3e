/*
 * ccheck_proto_sslv3.c: proto.sslv3, the server speaks SSL 3.0 (high). SSL 3.0 has no fix for
 * POODLE (CVE-2014-3566) with CBC suites and only RC4 otherwise; RFC 7568 (2015) prohibits it.
 */
#include "analyzer/ccheck.h"

static void run(const struct config_check *self, struct config_ctx *ctx)
{
	ccheck_protocol(self, ctx, PV_SSL3,
			"SSL 3.0 is prohibited (RFC 7568): its CBC padding is open to POODLE "
			"(CVE-2014-3566) and its only other cipher is RC4");
}

const struct config_check ccheck_proto_sslv3 = {
	.id = "proto.sslv3",
	.severity = SEV_HIGH,
	.title = "SSL 3.0 is enabled",
	.fix = "Disable SSL 3.0 (and TLS 1.0, TLS 1.1). nginx: ssl_protocols TLSv1.2 TLSv1.3; "
	       "Apache: SSLProtocol -all +TLSv1.2 +TLSv1.3.",
	.run = run,
};
