/*
 * checks.c: the registry of certificate and chain checks, and the helpers checks share.
 *
 * cert_checks[] lists one const descriptor per check file, in the order findings are reported
 * (leaf validity first, then the leaf's properties, then the chain, then policy). Adding a check:
 * write analyzer/check_<id>.c with its descriptor, declare it in check_ctx.h, list it here.
 * `--list-checks` and the documentation fall out of this table.
 */
#include "analyzer/check_ctx.h"

#include <openssl/x509_vfy.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct check *const cert_checks[] = {
	&check_cert_expired,
	&check_cert_expiring,
	&check_cert_not_yet_valid,
	&check_cert_self_signed,
	&check_cert_hostname_mismatch,
	&check_cert_weak_key,
	&check_cert_weak_signature,
	&check_cert_lifetime_too_long,
	&check_chain_untrusted,
	&check_chain_incomplete,
	&check_chain_order,
	&check_chain_expired_intermediate,
	&check_issuer_non_preferred,
	NULL,
};

/* Cuts a trailing incomplete UTF-8 sequence (left by truncation) off s. */
static void trim_partial_utf8(char *s)
{
	size_t len = strlen(s), i = len, need;
	unsigned char lead;

	while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80 && len - i < 3)
		i--;
	if (i == 0)
		return;
	lead = (unsigned char)s[i - 1];
	if (lead < 0xc0)
		return; /* ASCII, or a stray continuation byte run: leave it */
	need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
	if (len - (i - 1) < need)
		s[i - 1] = '\0';
}

void check_add(struct check_ctx *ctx, const struct check *self, enum severity sev, int cert_pos,
	       const char *fmt, ...)
{
	struct finding *f;
	va_list ap;

	if (ctx->n_findings >= CHECK_MAX_FINDINGS)
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
	f->cert_pos = cert_pos;
	f->fix = self->fix;
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
	trim_partial_utf8(f->message);
}

void check_fmt_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, size, "@%lld", (long long)t);
}

const char *check_cert_label(const struct certinfo *ci)
{
	return ci->subject_cn[0] != '\0' ? ci->subject_cn : ci->subject;
}

long check_days_between(time_t at, time_t t)
{
	long long d = (long long)t - (long long)at;

	return (long)(d >= 0 ? d / 86400 : -((-d + 86399) / 86400));
}

int check_root_unknown(const struct check_ctx *ctx, const struct chain_error *e)
{
	return (e->code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
	        e->code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY) &&
	       e->pos > 0 && (size_t)e->pos < ctx->an->n_certs && ctx->an->certs[e->pos]->is_ca &&
	       !ctx->an->certs[e->pos]->self_signed;
}
