/*
 * ccheck_kex_weak_group.c: kex.weak_group, the server accepts an elliptic curve below 224 bits
 * (secp160r1, secp192r1, sect163k1, ...) or a finite-field group below 2048 bits for (EC)DHE
 * (medium). 224 bits is the floor of NIST SP 800-57 for 112-bit security, the same line as
 * 2048-bit RSA. The groups come from the supported_groups probing; ecdh_bits (the smallest
 * ECDHE group the prober saw used) covers servers whose group list was not enumerated.
 */
#include "analyzer/ccheck.h"

static int weak(const struct named_group *g)
{
	return g->bits > 0 && (g->ffdhe ? g->bits < 2048 : g->bits < 224);
}

static void run(const struct config_check *self, struct config_ctx *ctx)
{
	const struct tls_profile *p = ctx->p;
	size_t n = p->n_groups < PROFILE_MAX_GROUPS ? p->n_groups : PROFILE_MAX_GROUPS;
	char list[200];
	struct cbuf b;
	int found = 0;

	cbuf_init(&b, list, sizeof(list), 16);
	for (size_t i = 0; i < n; i++) {
		const struct named_group *g = group_by_id(p->groups[i]);

		if (g == NULL || !weak(g))
			continue;
		cbuf_add(&b, "%s%s (%d bits)", found ? ", " : "", g->name, g->bits);
		found = 1;
	}
	cbuf_finish(&b);
	if (found)
		config_add(ctx, self, self->severity,
			   "weak key exchange groups accepted: %s; elliptic curves need at least 224 bits "
			   "and finite-field groups 2048 bits", list);
	else if (p->ecdh_bits > 0 && p->ecdh_bits < 224)
		config_add(ctx, self, self->severity,
			   "ECDHE key exchange uses a %d-bit curve; elliptic curves need at least 224 bits",
			   p->ecdh_bits);
}

const struct config_check ccheck_kex_weak_group = {
	.id = "kex.weak_group",
	.severity = SEV_MEDIUM,
	.title = "Weak elliptic curves or DH groups are accepted",
	.fix = "Accept only X25519, P-256 and P-384 (and ffdhe2048 or larger). nginx: ssl_ecdh_curve "
	       "X25519:prime256v1:secp384r1; Apache 2.4.8+: SSLOpenSSLConfCmd Curves "
	       "X25519:prime256v1:secp384r1.",
	.run = run,
};
