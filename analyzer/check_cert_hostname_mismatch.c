/*
 * check_cert_hostname_mismatch.c: cert.hostname_mismatch, the leaf does not cover the name the
 * client asked for (SNI, else the host given). Matching is OpenSSL's (analyze.c): DNS SANs with
 * whole-label wildcards, IP SANs for an IP literal, never the CN. When the certificate has no DNS
 * SAN but its CN would match, the message says so: browsers have ignored the CN since 2017.
 */
#include "analyzer/check_ctx.h"

#include <stdio.h>
#include <string.h>

#include <openssl/x509v3.h>

/* "DNS:a, DNS:b, ... (+N more)" within size bytes. */
static void san_list(const struct certinfo *ci, char *buf, size_t size)
{
	size_t used = 0, shown = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ci->n_sans; i++) {
		int n = snprintf(buf + used, size - used, "%s%.60s", shown ? ", " : "", ci->sans[i]);

		if (n < 0 || (size_t)n >= size - used - 16) {
			buf[used] = '\0';
			break;
		}
		used += (size_t)n;
		shown++;
	}
	if (shown < ci->n_sans)
		snprintf(buf + used, size - used, "%s(+%zu more)", shown ? " " : "",
			 ci->n_sans - shown);
	else if (ci->n_sans == 0)
		snprintf(buf, size, "no subjectAltName");
}

static int has_dns_san(const struct certinfo *ci)
{
	for (size_t i = 0; i < ci->n_sans; i++)
		if (strncmp(ci->sans[i], "DNS:", 4) == 0)
			return 1;
	return 0;
}

static void run(const struct check *self, struct check_ctx *ctx)
{
	const struct certinfo *leaf = ctx->an->certs[0];
	char sans[160];

	if (!ctx->an->hostname_checked || ctx->an->hostname_ok)
		return;
	if (ctx->hostname == NULL) {
		check_add(ctx, self, self->severity, 0, "the requested host name is too long to match");
		return;
	}
	if (!has_dns_san(leaf) &&
	    X509_check_host(leaf->x509, ctx->hostname, 0, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
			    NULL) == 1) {
		check_add(ctx, self, self->severity, 0,
			  "certificate \"%.120s\" names %.100s only in its CN: it has no DNS "
			  "subjectAltName, and browsers ignore the CN", check_cert_label(leaf),
			  ctx->hostname);
		return;
	}
	san_list(leaf, sans, sizeof(sans));
	check_add(ctx, self, self->severity, 0, "certificate \"%.80s\" (%s) does not cover %.100s",
		  check_cert_label(leaf), sans, ctx->hostname);
}

const struct check check_cert_hostname_mismatch = {
	.id = "cert.hostname_mismatch",
	.severity = SEV_HIGH,
	.title = "Certificate does not cover the host name",
	.fix = "Issue a certificate whose subjectAltName lists every name (or IP address) clients use "
	       "for this service, or configure the server to present the right certificate for this "
	       "name (SNI).",
	.run = run,
};
