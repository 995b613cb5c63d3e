/*
 * check_cert_lifetime_too_long.c: cert.lifetime_too_long, the leaf's validity period (notBefore
 * to notAfter inclusive, as the Baseline Requirements count it) exceeds the CA/Browser Forum
 * maximum in force on its issuance date (notBefore), ballot SC081:
 *   before 2026-03-15: 398 days; from 2026-03-15: 200; from 2027-03-15: 100; from 2029-03-15: 47.
 * Medium when it exceeds 398 days (browsers reject such certificates outright), low otherwise.
 * Self-signed leaves are left to cert.self_signed: no CA rule applies to them.
 */
#include "analyzer/check_ctx.h"

static const struct {
	time_t from;  /* issuance on or after this instant (UTC) */
	long days;
} limits[] = {
	{ 1868227200, 47 },  /* 2029-03-15 */
	{ 1805068800, 100 }, /* 2027-03-15 */
	{ 1773532800, 200 }, /* 2026-03-15 */
};

static long max_days_at(time_t issued)
{
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if (issued >= limits[i].from)
			return limits[i].days;
	return 398;
}

static void run(const struct check *self, struct check_ctx *ctx)
{
	const struct certinfo *leaf = ctx->an->certs[0];
	long long secs = (long long)leaf->not_after - (long long)leaf->not_before + 1;
	long max = max_days_at(leaf->not_before);
	long long days = (secs + 86399) / 86400;
	char from[40], to[40];

	if (leaf->self_signed || secs <= (long long)max * 86400)
		return;
	check_fmt_time(leaf->not_before, from, sizeof(from));
	check_fmt_time(leaf->not_after, to, sizeof(to));
	check_add(ctx, self, secs > 398LL * 86400 ? SEV_MEDIUM : SEV_LOW, 0,
		  "certificate \"%.100s\" is valid for %lld days (%s to %s); the CA/Browser Forum "
		  "maximum for certificates issued then is %ld days", check_cert_label(leaf), days,
		  from, to, max);
}

const struct check check_cert_lifetime_too_long = {
	.id = "cert.lifetime_too_long",
	.severity = SEV_LOW,
	.title = "Leaf validity longer than the CA/Browser Forum maximum (medium over 398 days)",
	.fix = "Reissue the certificate with a validity within the CA/Browser Forum maximum (398 days; "
	       "200 from 2026-03-15, 100 from 2027-03-15, 47 from 2029-03-15) and automate renewal.",
	.run = run,
};
