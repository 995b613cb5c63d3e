/*
 * ccheck_ocsp_no_stapling.c: ocsp.no_stapling, the server does not staple an OCSP response
 * (info). Without stapling each client asks the CA's responder itself (slower, and it tells the
 * CA who visits), or, as browsers mostly do, does not check revocation at all.
 */
#include "analyzer/ccheck.h"

static void run(const struct config_check *self, struct config_ctx *ctx)
{
	if (ctx->p->ocsp_stapling != 0)
		return;
	config_add(ctx, self, self->severity,
		   "the server does not staple an OCSP response (status_request): clients must ask "
		   "the CA themselves or skip the revocation check");
}

const struct config_check ccheck_ocsp_no_stapling = {
	.id = "ocsp.no_stapling",
	.severity = SEV_INFO,
	.title = "OCSP stapling is not enabled",
	.fix = "nginx: ssl_stapling on; ssl_stapling_verify on; ssl_trusted_certificate <chain>; "
	       "resolver <dns>; Apache: SSLUseStapling on and SSLStaplingCache "
	       "shmcb:/var/run/ocsp(128000) (outside the VirtualHost).",
	.run = run,
};
