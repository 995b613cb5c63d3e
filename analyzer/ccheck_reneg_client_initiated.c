/*
 * ccheck_reneg_client_initiated.c: reneg.client_initiated, the server accepts renegotiations the
 * client starts (medium). Each renegotiation costs the server a full handshake's private-key
 * operation for a few bytes from the client, so one client can keep a CPU busy
 * (CVE-2011-1473, thc-ssl-dos). Servers only ever need to start renegotiation themselves.
 */
#include "analyzer/ccheck.h"

static void run(const struct config_check *self, struct config_ctx *ctx)
{
	if (ctx->p->client_reneg != 1)
		return;
	config_add(ctx, self, self->severity,
		   "the server accepts client-initiated renegotiation: a single client can make it "
		   "repeat expensive handshakes on one connection (denial of service, CVE-2011-1473)");
}

const struct config_check ccheck_reneg_client_initiated = {
	.id = "reneg.client_initiated",
	.severity = SEV_MEDIUM,
	.title = "Client-initiated renegotiation is accepted",
	.fix = "Refuse client-initiated renegotiation: nginx and Apache 2.4 with OpenSSL 1.1+ do so by "
	       "default (upgrade them); OpenSSL 3 servers can set SSL_OP_NO_RENEGOTIATION; on "
	       "appliances, look for a \"client renegotiation\" switch.",
	.run = run,
};
