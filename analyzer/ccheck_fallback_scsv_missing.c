/*
 * ccheck_fallback_scsv_missing.c: fallback_scsv.missing, the server does not reject
 * TLS_FALLBACK_SCSV (RFC 7507) downgraded connections (low).
 *
 * A downgrade needs two protocols to fall between, so the finding is raised only when the server
 * speaks at least two of SSLv3, TLS 1.0, 1.1 and 1.2. TLS 1.3 is left out: RFC 8446 section 4.1.3
 * has its own downgrade protection (the ServerHello.random sentinel), so a TLS 1.3 + TLS 1.2
 * server needs no SCSV.
 */
#include "analyzer/ccheck.h"

#include <stdio.h>

static void run(const struct config_check *self, struct config_ctx *ctx)
{
	const struct tls_profile *p = ctx->p;
	char list[96];
	struct cbuf b;

	if (p->fallback_scsv != 0 || config_legacy_protocols(p) < 2)
		return;
	cbuf_init(&b, list, sizeof(list), 0);
	for (int v = PV_SSL3; v <= PV_TLS12; v++)
		if (p->supported[v] == 1)
			cbuf_add(&b, "%s%s", b.len ? ", " : "", proto_version_name(v));
	config_add(ctx, self, self->severity,
		   "the server does not reject downgraded connections signalled with "
		   "TLS_FALLBACK_SCSV (RFC 7507) while it speaks %s: an attacker can make clients that "
		   "retry with a lower version settle for the weakest one", list);
}

const struct config_check ccheck_fallback_scsv_missing = {
	.id = "fallback_scsv.missing",
	.severity = SEV_LOW,
	.title = "TLS_FALLBACK_SCSV downgrade protection is missing",
	.fix = "Upgrade the TLS library (OpenSSL 1.0.1j and later honour TLS_FALLBACK_SCSV), or better, "
	       "disable the old protocols so that only TLS 1.2 and 1.3 remain.",
	.run = run,
};
