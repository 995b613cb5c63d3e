/*
 * ccheck_kex_weak_dh.c: kex.weak_dh, the server's finite-field DHE parameters are below 2048 bits
 * (high; critical below 1024 bits, which academic teams have broken: Logjam, CVE-2015-4000,
 * showed 512-bit groups falling in minutes and 1024-bit ones within reach of nation states).
 * dh_bits is the smallest prime the prober saw in TLS <= 1.2 (0 when no DHE suite was used).
 */
#include "analyzer/ccheck.h"

/* The first DHE suite accepted on any protocol, for the message; NULL when none is known. */
static const struct suite *a_dhe_suite(const struct tls_profile *p)
{
	for (int v = PV_TLS12; v >= PV_SSL3; v--) {
		const struct proto_suites *ps = &p->suites[v];
		size_t n = ps->n < PROFILE_MAX_SUITES ? ps->n : PROFILE_MAX_SUITES;

		if (p->supported[v] != 1)
			continue;
		for (size_t i = 0; i < n; i++) {
			const struct suite *s = suite_by_id(ps->ids[i]);

			if (s != NULL && (s->kex == KX_DHE || s->kex == KX_DHE_PSK))
				return s;
		}
	}
	return NULL;
}

static void run(const struct config_check *self, struct config_ctx *ctx)
{
	int bits = ctx->p->dh_bits;
	const struct suite *s;

	if (bits <= 0 || bits >= 2048)
		return;
	s = a_dhe_suite(ctx->p);
	config_add(ctx, self, bits < 1024 ? SEV_CRITICAL : self->severity,
		   "DHE key exchange%s%s%s uses %d-bit Diffie-Hellman parameters, below 2048 bits: %s",
		   s != NULL ? " (e.g. " : "", s != NULL ? config_suite_name(s) : "", s != NULL ? ")" : "",
		   bits,
		   bits < 1024 ? "such groups can be broken today (Logjam, CVE-2015-4000)"
			       : "1024-bit groups are within reach of well-funded attackers (Logjam, "
				 "CVE-2015-4000)");
}

const struct config_check ccheck_kex_weak_dh = {
	.id = "kex.weak_dh",
	.severity = SEV_HIGH,
	.title = "DHE parameters are below 2048 bits",
	.fix = "Use 2048-bit or larger DH parameters: openssl dhparam -out /etc/ssl/dhparam.pem 2048, "
	       "then nginx: ssl_dhparam /etc/ssl/dhparam.pem; Apache 2.4.8+: SSLOpenSSLConfCmd "
	       "DHParameters /etc/ssl/dhparam.pem (or append them to the certificate file). Or drop "
	       "the DHE suites in favour of ECDHE.",
	.run = run,
};
