/*
 * text.c: the terminal report: one line per endpoint x leaf certificate, fixed columns.
 * Every value passes through text_terminal(), so a certificate cannot send escape sequences
 * to the administrator's terminal; long values are cut on a UTF-8 character boundary.
 */
#include <stdio.h>
#include <string.h>

#include "core/text.h"
#include "report/report.h"

/* Copies s, made terminal-safe, into dst cut to at most width characters ("..." marks a cut). */
static void cell(char *dst, size_t dstlen, const char *s, size_t width)
{
	char safe[1024];
	size_t i = 0, chars = 0, len;

	text_terminal(safe, sizeof(safe), s != NULL && s[0] != '\0' ? s : "-");
	len = strlen(safe);
	while (i < len && chars < width) {
		size_t n = text_utf8_seq((const unsigned char *)safe + i, len - i);
		if (n == 0)
			n = 1;
		if (chars == width - 1 && i + n < len) { /* room for the ellipsis only */
			break;
		}
		i += n;
		chars++;
	}
	if (i < len && i + 4 <= dstlen) {
		snprintf(dst, dstlen, "%.*s~", (int)i, safe);
		return;
	}
	snprintf(dst, dstlen, "%.*s", (int)i, safe);
}

/* printf pads by bytes; pad by characters so UTF-8 names keep the columns straight. */
static void put_padded(FILE *out, const char *s, size_t width)
{
	size_t chars = 0, len = strlen(s);

	for (size_t i = 0; i < len; chars++) {
		size_t n = text_utf8_seq((const unsigned char *)s + i, len - i);
		i += n ? n : 1;
	}
	fputs(s, out);
	for (; chars < width; chars++)
		fputc(' ', out);
	fputc(' ', out);
}

static int row_write(FILE *out, const struct inventory *inv, const struct inv_endpoint *e)
{
	const struct inv_cert *c = &inv->certs[e->leaf];
	char ep[128], host[128], cn[128], issuer[128], days[16], findings[512], ids[512] = "";
	size_t used = 0;

	if (strchr(e->ip, ':') != NULL)
		snprintf(ep, sizeof(ep), "[%.60s]:%d", e->ip, e->port);
	else
		snprintf(ep, sizeof(ep), "%.60s:%d", e->ip, e->port);
	cell(host, sizeof(host), e->sni[0] ? e->sni : e->host, 24);
	cell(cn, sizeof(cn), c->subject_cn, 28);
	cell(issuer, sizeof(issuer), c->issuer, 36);
	if (c->has_not_after)
		snprintf(days, sizeof(days), "%d", inv_days_until(c->not_after_unix, inv->generated_at));
	else
		snprintf(days, sizeof(days), "?");
	for (size_t k = 0; k < e->n_findings; k++) {
		const char *id = inv->findings[e->findings[k]].check_id;
		int w = snprintf(ids + used, sizeof(ids) - used, "%s%s", used ? " " : "", id);

		if (w < 0 || (size_t)w >= sizeof(ids) - used) {
			ids[used] = '\0';
			break;
		}
		used += (size_t)w;
	}
	cell(findings, sizeof(findings), ids, 200);
	put_padded(out, ep, 21);
	put_padded(out, host, 24);
	put_padded(out, e->starttls[0] ? e->starttls : "-", 8);
	put_padded(out, cn, 28);
	put_padded(out, days, 5);
	put_padded(out, e->preferred == 1 ? "yes" : e->preferred == 0 ? "NO" : "?", 4);
	put_padded(out, issuer, 36);
	fprintf(out, "%s\n", findings);
	return ferror(out) ? -1 : 0;
}

int report_text(const struct inventory *inv, FILE *out, char *err, size_t errlen)
{
	char scope[256], safe[512];
	size_t rows = 0;

	fprintf(out, "%-21s %-24s %-8s %-28s %-5s %-4s %-36s %s\n", "ENDPOINT", "NAME", "STARTTLS",
	        "SUBJECT CN", "DAYS", "PREF", "ISSUER", "FINDINGS");
	for (size_t i = 0; i < inv->n_endpoints; i++) {
		if (inv->endpoints[i].leaf == INV_NONE || strcmp(inv->endpoints[i].status, "ok") != 0)
			continue;
		if (row_write(out, inv, &inv->endpoints[i]) != 0)
			break;
		rows++;
	}
	report_scope_text(inv, scope, sizeof(scope));
	text_terminal(safe, sizeof(safe), scope);
	fprintf(out, "(%zu TLS endpoint%s in %s)\n", rows, rows == 1 ? "" : "s", safe);
	if (fflush(out) != 0 || ferror(out)) {
		snprintf(err, errlen, "write error");
		return -1;
	}
	return 0;
}
