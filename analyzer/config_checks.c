/*
 * config_checks.c: the registry of configuration checks, config_analyze(), and what the checks
 * and the grade share: the modern-client model, weakness classes, RSA-equivalent key sizes and
 * a bounded message builder.
 *
 * config_checks[] lists one const descriptor per ccheck_<id>.c file, in report order: protocols,
 * cipher suites, key exchange, renegotiation and compression, vulnerabilities and downgrade,
 * revocation and CT, HTTP headers, then information. Adding a check: write
 * analyzer/ccheck_<id>.c with its descriptor, declare it in ccheck.h, list it here.
 *
 * Hostile input: the profile comes from the network through the prober. Counts are clamped to
 * their arrays (n may claim more than PROFILE_MAX_SUITES), unknown suite and group ids are
 * skipped, and every message is built with bounded formatting.
 */
#include "analyzer/ccheck.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct config_check *const config_checks[] = {
	&ccheck_proto_sslv2,
	&ccheck_proto_sslv3,
	&ccheck_proto_tls10,
	&ccheck_proto_tls11,
	&ccheck_proto_no_tls13,
	&ccheck_cipher_weak,
	&ccheck_cipher_no_forward_secrecy,
	&ccheck_cipher_no_aead,
	&ccheck_kex_weak_dh,
	&ccheck_kex_weak_group,
	&ccheck_reneg_insecure,
	&ccheck_reneg_client_initiated,
	&ccheck_compression_enabled,
	&ccheck_vuln_heartbleed,
	&ccheck_fallback_scsv_missing,
	&ccheck_ocsp_no_stapling,
	&ccheck_ct_no_sct,
	&ccheck_hsts_missing,
	&ccheck_hsts_short,
	&ccheck_session_resumption,
	NULL,
};

int config_analyze(const struct tls_profile *p, const struct analysis *an, struct finding **out,
		   size_t *n_out)
{
	struct config_ctx ctx = { .p = p, .an = an };

	*out = NULL;
	*n_out = 0;
	if (p == NULL)
		return 0;
	for (size_t i = 0; config_checks[i] != NULL; i++)
		config_checks[i]->run(config_checks[i], &ctx);
	if (ctx.failed) {
		free(ctx.findings);
		return -1;
	}
	*out = ctx.findings;
	*n_out = ctx.n_findings;
	return 0;
}

void config_add(struct config_ctx *ctx, const struct config_check *self, enum severity sev,
		const char *fmt, ...)
{
	struct finding *f;
	va_list ap;

	if (ctx->n_findings >= CONFIG_MAX_FINDINGS)
		return;
	if (ctx->n_findings == ctx->cap_findings) {
		size_t cap = ctx->cap_findings ? ctx->cap_findings * 2 : 8;
		struct finding *grown = realloc(ctx->findings, cap * sizeof(*grown));

		if (grown == NULL) {
			ctx->failed = 1;
			return;
		}
		ctx->findings = grown;
		ctx->cap_findings = cap;
	}
	f = &ctx->findings[ctx->n_findings++];
	memset(f, 0, sizeof(*f));
	f->id = self->id;
	f->severity = sev;
	f->cert_pos = -1;
	f->fix = self->fix;
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
}

void cbuf_init(struct cbuf *b, char *buf, size_t size, size_t reserve)
{
	b->buf = buf;
	b->size = size;
	b->len = 0;
	b->reserve = reserve < size ? reserve : size;
	b->dropped = 0;
	if (size > 0)
		buf[0] = '\0';
}

int cbuf_add(struct cbuf *b, const char *fmt, ...)
{
	size_t room;
	va_list ap;
	int n;

	if (b->dropped > 0 || b->size == 0 || b->len + b->reserve + 1 >= b->size) {
		b->dropped++;
		return 0;
	}
	room = b->size - b->reserve - b->len;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		b->buf[b->len] = '\0';
		b->dropped++;
		return 0;
	}
	b->len += (size_t)n;
	return 1;
}

void cbuf_finish(struct cbuf *b)
{
	int n;

	if (b->dropped == 0 || b->size == 0)
		return;
	n = snprintf(b->buf + b->len, b->size - b->len, " (+%u more)", b->dropped);
	if (n > 0)
		b->len += (size_t)n < b->size - b->len ? (size_t)n : b->size - b->len - 1;
}

const char *config_suite_name(const struct suite *s)
{
	if (s->openssl != NULL && s->openssl[0] != '\0')
		return s->openssl;
	return s->name != NULL ? s->name : "?";
}

enum weak_class config_weak_class(const struct suite *s, const char **label)
{
	const char *l = NULL;
	enum weak_class c = WEAK_NONE;

	if (s->flags & SUITE_SCSV)
		c = WEAK_NONE; /* a signalling value, never a negotiated suite */
	else if (s->enc == EN_NULL)
		c = WEAK_CLEAR, l = "NULL";
	else if (s->auth == AU_ANON)
		c = WEAK_CLEAR, l = "anon";
	else if (s->flags & SUITE_EXPORT)
		c = WEAK_CLEAR, l = "EXPORT";
	else if (s->enc == EN_RC4)
		c = WEAK_BROKEN, l = "RC4";
	else if (s->enc == EN_DES)
		c = WEAK_BROKEN, l = "DES";
	else if (s->enc == EN_RC2)
		c = WEAK_BROKEN, l = "RC2";
	else if (s->enc == EN_3DES)
		c = WEAK_3DES, l = "3DES";
	if (label != NULL)
		*label = l;
	return c;
}

int config_legacy_protocols(const struct tls_profile *p)
{
	int n = 0;

	for (int v = PV_SSL3; v <= PV_TLS12; v++)
		n += p->supported[v] == 1;
	return n;
}

int config_best_protocol(const struct tls_profile *p)
{
	for (int v = PV_COUNT - 1; v >= 0; v--)
		if (p->supported[v] == 1)
			return v;
	return -1;
}

int config_client_offers(const struct suite *s, enum proto_version v)
{
	if (s == NULL || v < PV_TLS10 || v >= PV_COUNT)
		return 0;
	if (v == PV_TLS13)
		return (s->flags & SUITE_TLS13) != 0;
	if (s->flags & (SUITE_TLS13 | SUITE_SCSV | SUITE_SSL2 | SUITE_EXPORT))
		return 0;
	if (s->min_version > proto_version_wire(v))
		return 0;
	if (s->kex != KX_RSA && s->kex != KX_DHE && s->kex != KX_ECDHE)
		return 0;
	if (s->auth != AU_RSA && s->auth != AU_ECDSA)
		return 0;
	switch (s->enc) {
	case EN_AES_CBC:
	case EN_AES_GCM:
	case EN_AES_CCM:
	case EN_CHACHA20:
	case EN_CAMELLIA_CBC:
	case EN_CAMELLIA_GCM:
	case EN_ARIA_CBC:
	case EN_ARIA_GCM:
	case EN_3DES:
		return 1;
	default:
		return 0;
	}
}

/* The modern client's own preference: lower is preferred. */
static int client_rank(const struct suite *s)
{
	int fs = (s->flags & SUITE_FS) != 0, aead = (s->flags & SUITE_AEAD) != 0;

	if (s->enc == EN_3DES)
		return 4;
	if (fs && aead)
		return 0;
	if (fs)
		return 1;
	if (aead)
		return 2;
	return 3;
}

const struct suite *config_client_choice(const struct tls_profile *p, enum proto_version v)
{
	const struct proto_suites *ps;
	const struct suite *best = NULL;
	int best_rank = 0;
	size_t n;

	if ((int)v < 0 || v >= PV_COUNT || p->supported[v] != 1)
		return NULL;
	ps = &p->suites[v];
	n = ps->n < PROFILE_MAX_SUITES ? ps->n : PROFILE_MAX_SUITES;
	for (size_t i = 0; i < n; i++) {
		const struct suite *s = suite_by_id(ps->ids[i]);
		int r;

		if (!config_client_offers(s, v))
			continue;
		if (ps->server_order != 0)
			return s;
		r = client_rank(s);
		if (best == NULL || r < best_rank) {
			best = s;
			best_rank = r;
		}
	}
	return best;
}

int config_rsa_equivalent(const char *type, int bits)
{
	if (type == NULL)
		type = "";
	if (strcmp(type, "ED25519") == 0)
		return 3072;
	if (strcmp(type, "ED448") == 0)
		return 7680;
	if (bits <= 0)
		return 0;
	if (strcmp(type, "EC") == 0) {
		if (bits >= 500)
			return 15360;
		if (bits >= 380)
			return 7680;
		if (bits >= 250)
			return 3072;
		if (bits >= 224)
			return 2048;
		if (bits >= 160)
			return 1024;
		return 512;
	}
	return bits;
}

void ccheck_protocol(const struct config_check *self, struct config_ctx *ctx, enum proto_version v,
		     const char *why)
{
	const struct tls_profile *p = ctx->p;
	size_t n = v == PV_SSL2 ? p->n_ssl2 : p->suites[v].n;
	size_t max = v == PV_SSL2 ? sizeof(p->ssl2_kinds) / sizeof(p->ssl2_kinds[0]) : PROFILE_MAX_SUITES;
	const char *unit = v == PV_SSL2 ? "cipher kinds" : "cipher suites";

	if (p->supported[v] != 1)
		return;
	if (n > max)
		n = max;
	if (n == 0)
		config_add(ctx, self, self->severity, "%s is enabled: %s", proto_version_name(v), why);
	else
		config_add(ctx, self, self->severity, "%s is enabled (%zu %s accepted): %s",
			   proto_version_name(v), n, unit, why);
}
