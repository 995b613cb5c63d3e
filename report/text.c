/*
 * text.c: the terminal report: one line per endpoint x leaf certificate, fixed columns.
 * Every value passes through text_terminal(), so a certificate cannot send escape sequences
 * to the administrator's terminal; long values are cut on a UTF-8 character boundary.
 */
#include <stdio.h>
#include <string.h>

#include "core/text.h"
#include "report/report.h"

struct text_ctx {
	FILE *out;
	size_t rows;
};

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

static int row_cb(void *arg, const struct leaf_row *r)
{
	struct text_ctx *t = arg;
	char ep[128], host[128], cn[128], issuer[128], days[16], findings[512];

	if (strchr(r->ip, ':') != NULL)
		snprintf(ep, sizeof(ep), "[%s]:%d", r->ip, r->port);
	else
		snprintf(ep, sizeof(ep), "%s:%d", r->ip, r->port);
	cell(host, sizeof(host), r->sni != NULL && r->sni[0] ? r->sni : r->host, 24);
	cell(cn, sizeof(cn), r->subject_cn, 28);
	cell(issuer, sizeof(issuer), r->issuer, 36);
	snprintf(days, sizeof(days), "%d", r->days_left);
	cell(findings, sizeof(findings), r->findings, 200);
	put_padded(t->out, ep, 21);
	put_padded(t->out, host, 24);
	put_padded(t->out, r->starttls != NULL && r->starttls[0] ? r->starttls : "-", 8);
	put_padded(t->out, cn, 28);
	put_padded(t->out, days, 5);
	put_padded(t->out, r->preferred ? "yes" : "NO", 4);
	put_padded(t->out, issuer, 36);
	fprintf(t->out, "%s\n", findings);
	t->rows++;
	return ferror(t->out) ? -1 : 0;
}

int report_text_leaf(struct store *st, int64_t scan_id, FILE *out, char *err, size_t errlen)
{
	struct text_ctx t = { .out = out };

	fprintf(out, "%-21s %-24s %-8s %-28s %-5s %-4s %-36s %s\n", "ENDPOINT", "NAME", "STARTTLS",
	        "SUBJECT CN", "DAYS", "PREF", "ISSUER", "FINDINGS");
	if (store_each_leaf_row(st, scan_id, row_cb, &t) != 0) {
		snprintf(err, errlen, "%s", ferror(out) ? "write error" : store_errmsg(st));
		return -1;
	}
	fprintf(out, "(%zu TLS endpoint%s in scan %lld)\n", t.rows, t.rows == 1 ? "" : "s", (long long)scan_id);
	return ferror(out) ? (snprintf(err, errlen, "write error"), -1) : 0;
}
