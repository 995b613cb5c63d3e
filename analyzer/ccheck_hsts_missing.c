/*
 * ccheck_hsts_missing.c: hsts.missing, an HTTPS endpoint answers without a usable
 * Strict-Transport-Security header (medium): browsers may still be sent to http:// and have the
 * connection stripped of TLS (sslstrip). Only for endpoints where an HTTP request was made and
 * answered; a header without a valid max-age is ignored by browsers (RFC 6797 section 6.1.1) and
 * counts as missing.
 */
#include "analyzer/ccheck.h"

static void run(const struct config_check *self, struct config_ctx *ctx)
{
	const struct tls_profile *p = ctx->p;

	if (p->http_checked != 1 || p->http_status <= 0)
		return;
	if (p->hsts == 0)
		config_add(ctx, self, self->severity,
			   "the HTTPS response (status %d) has no Strict-Transport-Security header: "
			   "browsers can be led to plain http:// and the connection stripped (sslstrip)",
			   p->http_status);
	else if (p->hsts == 1 && p->hsts_max_age < 0)
		config_add(ctx, self, self->severity,
			   "the Strict-Transport-Security header (status %d response) has no valid "
			   "max-age directive, so browsers ignore it (RFC 6797 section 6.1.1)",
			   p->http_status);
}

const struct config_check ccheck_hsts_missing = {
	.id = "hsts.missing",
	.severity = SEV_MEDIUM,
	.title = "HTTP Strict Transport Security is missing",
	.fix = "Send the header on every HTTPS response: nginx: add_header Strict-Transport-Security "
	       "\"max-age=31536000; includeSubDomains\" always; Apache: Header always set "
	       "Strict-Transport-Security \"max-age=31536000; includeSubDomains\" (mod_headers).",
	.run = run,
};
