/*
 * ccheck_proto_no_tls13.c: proto.no_tls13, the server speaks TLS but not TLS 1.3 (info). Only
 * reported when TLS 1.3 was tested and refused and another protocol works: a server that speaks
 * nothing is not a TLS server, and an untested TLS 1.3 is not a finding.
 */
#include "analyzer/ccheck.h"

static void run(const struct config_check *self, struct config_ctx *ctx)
{
	int best = config_best_protocol(ctx->p);

	if (ctx->p->supported[PV_TLS13] != 0 || best < 0)
		return;
	config_add(ctx, self, self->severity,
		   "TLS 1.3 is not supported (best protocol: %s): TLS 1.3 has a faster handshake, "
		   "only forward-secret AEAD suites and downgrade protection built in",
		   proto_version_name(best));
}

const struct config_check ccheck_proto_no_tls13 = {
	.id = "proto.no_tls13",
	.severity = SEV_INFO,
	.title = "TLS 1.3 is not supported",
	.fix = "Enable TLS 1.3 (OpenSSL 1.1.1 or later). nginx: ssl_protocols TLSv1.2 TLSv1.3; "
	       "Apache 2.4.37+: SSLProtocol -all +TLSv1.2 +TLSv1.3.",
	.run = run,
};
