/*
 * ccheck_hsts_short.c: hsts.short, the HSTS max-age is under 180 days (15552000 s, the floor
 * SSL Labs and testssl.sh use) (low): browsers forget the policy between visits and the first
 * request after that is unprotected. max-age=0 tells browsers to drop the policy at once.
 */
#include "analyzer/ccheck.h"

static void run(const struct config_check *self, struct config_ctx *ctx)
{
	long age = ctx->p->hsts_max_age;

	if (ctx->p->hsts != 1 || age < 0 || age >= HSTS_MIN_MAX_AGE)
		return;
	if (age == 0)
		config_add(ctx, self, self->severity,
			   "Strict-Transport-Security has max-age=0, which tells browsers to forget the "
			   "policy: HSTS is effectively switched off");
	else
		config_add(ctx, self, self->severity,
			   "Strict-Transport-Security max-age=%ld (%ld days) is shorter than 180 days "
			   "(15552000 s): browsers forget the policy between visits", age, age / 86400);
}

const struct config_check ccheck_hsts_short = {
	.id = "hsts.short",
	.severity = SEV_LOW,
	.title = "HSTS max-age is shorter than 180 days",
	.fix = "Raise max-age to one year or more: nginx: add_header Strict-Transport-Security "
	       "\"max-age=31536000; includeSubDomains\" always; Apache: Header always set "
	       "Strict-Transport-Security \"max-age=31536000; includeSubDomains\".",
	.run = run,
};
