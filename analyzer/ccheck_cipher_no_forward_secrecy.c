/*
 * ccheck_cipher_no_forward_secrecy.c: cipher.no_forward_secrecy, a modern client does not get
 * forward secrecy (high), as SSL Labs judges it: accepting non-forward-secret suites is fine as
 * long as clients that can do better never negotiate them.
 *
 * On the best protocol the server supports, the modern client's choice (config.h) must be an
 * ECDHE or DHE suite. When TLS 1.3 is the best (always forward secret), the check looks at what
 * a client limited to TLS 1.2 would get and reports a non-forward-secret choice there as medium.
 * When no suite the modern client offers is accepted, the finding is raised only if no
 * forward-secret suite is accepted at all (the rest is cipher.weak's business).
 */
#include "analyzer/ccheck.h"

#include <stddef.h>

static const struct suite *first_fs(const struct tls_profile *p, enum proto_version v)
{
	const struct proto_suites *ps = &p->suites[v];
	size_t n = ps->n < PROFILE_MAX_SUITES ? ps->n : PROFILE_MAX_SUITES;

	for (size_t i = 0; i < n; i++) {
		const struct suite *s = suite_by_id(ps->ids[i]);

		if (s != NULL && (s->flags & SUITE_FS))
			return s;
	}
	return NULL;
}

static void run(const struct config_check *self, struct config_ctx *ctx)
{
	const struct tls_profile *p = ctx->p;
	int best = config_best_protocol(p);
	const struct suite *choice, *fs;

	if (best < PV_SSL3)
		return; /* nothing, or SSLv2 only (proto.sslv2) */
	if (best == PV_TLS13) {
		choice = config_client_choice(p, PV_TLS12);
		if (choice == NULL || (choice->flags & SUITE_FS))
			return;
		fs = first_fs(p, PV_TLS12);
		config_add(ctx, self, SEV_MEDIUM,
			   "TLS 1.3 clients get forward secrecy, but a client limited to TLS 1.2 "
			   "negotiates %s, which has none%s%s",
			   config_suite_name(choice), fs != NULL ? ": the server prefers it over " : "",
			   fs != NULL ? config_suite_name(fs) : "");
		return;
	}
	if (p->suites[best].n == 0)
		return; /* suites not enumerated: cannot tell */
	choice = config_client_choice(p, (enum proto_version)best);
	if (choice != NULL && (choice->flags & SUITE_FS))
		return;
	fs = first_fs(p, (enum proto_version)best);
	if (fs == NULL)
		config_add(ctx, self, self->severity,
			   "no forward-secret suite (ECDHE or DHE) is accepted on %s, the best protocol: "
			   "anyone holding the server's private key can decrypt recorded sessions%s%s",
			   proto_version_name(best), choice != NULL ? "; a modern client negotiates " : "",
			   choice != NULL ? config_suite_name(choice) : "");
	else if (choice != NULL)
		config_add(ctx, self, self->severity,
			   "a modern client negotiates %s on %s, which has no forward secrecy: the server "
			   "prefers it over its forward-secret suites (e.g. %s)",
			   config_suite_name(choice), proto_version_name(best), config_suite_name(fs));
}

const struct config_check ccheck_cipher_no_forward_secrecy = {
	.id = "cipher.no_forward_secrecy",
	.severity = SEV_HIGH,
	.title = "Modern clients do not get forward secrecy",
	.fix = "Offer ECDHE suites and prefer them: nginx: ssl_ciphers with the ECDHE suites first and "
	       "ssl_prefer_server_ciphers on; Apache: SSLCipherSuite likewise and SSLHonorCipherOrder "
	       "on. Better, drop the static RSA key exchange suites (kRSA / AES128-GCM-SHA256 style) "
	       "and enable TLS 1.3.",
	.run = run,
};
