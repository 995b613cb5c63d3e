/*
 * html.c: the self-contained HTML dashboard (contract in html.h).
 *
 * The page is written top to bottom in one pass: head (CSP, inline CSS), header, summary tiles,
 * SVG charts, the diff section, the empty views, the data block, the script. Nothing is built in
 * memory but one table row of the data block at a time (a jansson array, dumped compactly, made
 * script-safe by json_script_safe, freed), so a 100,000-endpoint report costs the summary's
 * label arrays, a copy of the script and one row, not a document tree (about 1.5 s for 100,000
 * endpoints, 100,000 certificates and 200,000 findings). The diff tables show at most
 * DIFF_MAX_ROWS rows each.
 *
 * Escaping: every string that is not a literal of this file goes through html_text (the HTML
 * parts, SVG <text> and <title> included) or through ndjson_text + json_script_safe (the data
 * block). Numbers are printed with %zu / %d. Class names are chosen here from fixed tables,
 * never copied from data.
 *
 * CSP: the script's hash is the SHA-256 of the text the browser sees between <script> and
 * </script>. The HTML parser turns CR LF and lone CR into LF before hashing, so the embedded
 * script is written with its newlines normalised the same way and hashed as written. An asset
 * that would end its element early (a "</script" or "<!--" in the script, a "</style" in the
 * CSS), holds a NUL or invalid UTF-8 (the browser would hash U+FFFD instead) is refused.
 */
#include "report/html.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "analyzer/analyzer.h"
#include "core/text.h"
#include "report/assets.h"
#include "report/diff.h"
#include "report/ndjson.h"
#include "report/report.h"
#include "report/summary.h"

#define DAY INT64_C(86400)
#define WEEK (7 * DAY)
/* Rows per diff table in the static page; `certsweep diff` lists them all. */
#define DIFF_MAX_ROWS 500
/* Characters of a chart label shown in the SVG text (the <title> has it all). */
#define LABEL_CHARS 22

/* The colour class (report.css: ok, warn, bad) of each grade of summary.h's order. */
static const char *const grade_class[11] = {
	"ok", "ok", "ok", "warn", "warn", "bad", "bad", "bad", "bad", "bad", "muted",
};

static const char *const month_names[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* ------------------------------------------------------------------ small helpers */

/* t as "2026-11-25" (minutes 0) or "2026-11-25 02:00 UTC" (minutes 1). */
static void fmt_utc(char *buf, size_t len, int64_t t, int minutes)
{
	time_t tt = (time_t)t;
	struct tm tm;
	size_t n = 0;

	if (gmtime_r(&tt, &tm) != NULL)
		n = minutes ? strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm)
		            : strftime(buf, len, "%Y-%m-%d", &tm);
	if (n == 0)
		snprintf(buf, len, "?");
}

/* "192.0.2.1:443", "[2001:db8::1]:443", then " (sni)" or " (host)" and " starttls". */
static void ep_label(FILE *out, const struct inv_endpoint *e)
{
	int v6 = strchr(e->ip, ':') != NULL;

	fputs(v6 ? "[" : "", out);
	html_text(out, e->ip);
	fprintf(out, "%s:%d", v6 ? "]" : "", e->port);
	if (e->sni[0] != '\0' || e->host[0] != '\0') {
		fputs(" (", out);
		html_text(out, e->sni[0] != '\0' ? e->sni : e->host);
		fputs(")", out);
	}
	if (e->starttls[0] != '\0') {
		fputs(" ", out);
		html_text(out, e->starttls);
	}
}

static const char *cert_name(const struct inv_cert *c)
{
	return c->subject_cn[0] != '\0' ? c->subject_cn : c->subject;
}

static const char *cert_issuer(const struct inv_cert *c)
{
	if (c->issuer_cn[0] != '\0')
		return c->issuer_cn;
	return c->issuer_org[0] != '\0' ? c->issuer_org : c->issuer;
}

/* ------------------------------------------------------------------ assets */

/* 1 when s[0..n) contains needle, ASCII case-insensitively. */
static int contains_ci(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++)
		if (strncasecmp(s + i, needle, k) == 0)
			return 1;
	return 0;
}

/* Checks an asset: no NUL, valid UTF-8, none of the bad sequences. Returns 0 or -1. */
static int asset_check(const char *s, size_t n, const char *bad1, const char *bad2)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t k = p[i] == 0 ? 0 : text_utf8_seq(p + i, n - i);

		if (k == 0)
			return -1;
		i += k;
	}
	if (contains_ci(s, n, bad1) || (bad2 != NULL && contains_ci(s, n, bad2)))
		return -1;
	return 0;
}

/* A malloc'd copy of s[0..n) with CR LF and lone CR turned into LF (length in *out_len). */
static char *newlines_normalised(const char *s, size_t n, size_t *out_len)
{
	char *d = malloc(n + 1);
	size_t o = 0;

	if (d == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\r')
			d[o++] = s[i];
		else if (i + 1 >= n || s[i + 1] != '\n')
			d[o++] = '\n';
	}
	d[o] = '\0';
	*out_len = o;
	return d;
}

/* "sha256-<base64>" of s[0..n) into buf (at least 7 + 88 + 1 bytes). Returns 0 or -1. */
static int csp_hash(const char *s, size_t n, char *buf, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE], b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	unsigned int md_len = 0;

	if (EVP_Digest(s, n, md, &md_len, EVP_sha256(), NULL) != 1)
		return -1;
	EVP_EncodeBlock(b64, md, (int)md_len);
	snprintf(buf, len, "sha256-%s", (const char *)b64);
	return 0;
}

/* ------------------------------------------------------------------ head, header, summary */

static void write_head(FILE *out, const char *hash, const char *scope, int64_t generated)
{
	char iso[32], human[40];

	iso8601_utc(iso, sizeof(iso), (time_t)generated);
	fmt_utc(human, sizeof(human), generated, 1);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", out);
	fprintf(out, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	        "script-src '%s'; style-src 'unsafe-inline'; img-src data:\">\n", hash);
	fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>certsweep report</title>\n<style>\n", out);
	fwrite(report_css, 1, report_css_len, out);
	fputs("\n</style>\n</head>\n<body>\n<header>\n<h1>certsweep report</h1>\n"
	      "<p class=\"scope\">", out);
	html_text(out, scope);
	fprintf(out, "</p>\n<p class=\"generated\">Generated <time datetime=\"%s\">%s</time></p>\n"
	        "</header>\n<main>\n", iso, human);
}

struct tile {
	const char *key, *label;
	size_t n;
	const char *cls;   /* "bad" / "warn" when n > 0, or NULL */
};

/* section#summary: one div.tile[data-key] per number (report.css lays the section out as a grid
 * of tiles), then one tile per grade present (data-key "grade_A+", ..., "grade_none"). */
static void write_summary(FILE *out, const struct report_summary *s)
{
	const struct tile tiles[] = {
		{ "endpoints", "Endpoints", s->endpoints, NULL },
		{ "tls", "TLS endpoints", s->tls, NULL },
		{ "unique_certs", "Unique certificates", s->unique_certs, NULL },
		{ "expired", "Expired", s->expired, "bad" },
		{ "expiring_7", "Expiring within 7 days", s->expiring_7, "bad" },
		{ "expiring_30", "Expiring within 30 days", s->expiring_30, "warn" },
		{ "expiring_90", "Expiring within 90 days", s->expiring_90, "warn" },
		{ "non_preferred", "Non-preferred CA", s->non_preferred, "bad" },
		{ "untrusted", "Untrusted chain", s->untrusted, "bad" },
		{ "passive_only", "Seen only in traffic (not in any sweep's ranges)", s->passive_only,
		  "warn" },
	};

	fputs("<section id=\"summary\">\n<h2>Summary</h2>\n", out);
	for (size_t i = 0; i < sizeof(tiles) / sizeof(tiles[0]); i++) {
		const struct tile *t = &tiles[i];
		int mark = t->cls != NULL && t->n > 0;

		fprintf(out, "<div class=\"tile%s%s\" data-key=\"%s\"><span class=\"n\">%zu</span>"
		        "<span class=\"l\">%s</span></div>\n", mark ? " " : "", mark ? t->cls : "",
		        t->key, t->n, t->label);
	}
	for (size_t g = 0; g < 11; g++) {
		if (s->grades[g].n == 0)
			continue;
		int none = strcmp(s->grades[g].label, "none") == 0;

		fprintf(out, "<div class=\"tile grade %s\" data-key=\"grade_%s\">"
		        "<span class=\"n\">%zu</span><span class=\"l\">%s%s</span></div>\n",
		        grade_class[g], s->grades[g].label, s->grades[g].n,
		        none ? "not graded (run analyze or scan --checks advanced)" : "grade ",
		        none ? "" : s->grades[g].label);
	}
	fputs("</section>\n", out);
}

/* ------------------------------------------------------------------ charts */

/* Weekly expiry: 52 bars (one rect.bar per week, zero-height when empty), month labels under
 * the weeks where a month starts with the year under the first one and under January, the
 * largest count on the y axis. A month that starts fewer than MIN_GAP weeks after week 0 takes
 * the first label, so labels never overlap. Sizes are in CSS pixels at the usual chart width
 * (report.css: a grid column of at least 22rem). */
static void chart_expiry(FILE *out, const struct report_summary *s)
{
	enum { LEFT = 30, TOP = 10, HEIGHT = 120, STEP = 7, BAR = 5, MIN_GAP = 4 };
	const int width = LEFT + SUMMARY_WEEKS * STEP + 6, height = TOP + HEIGHT + 34;
	int month[SUMMARY_WEEKS], labelled = 0;
	size_t max = 0;

	for (size_t i = 0; i < SUMMARY_WEEKS; i++) {
		time_t tt = (time_t)(s->now + (int64_t)i * WEEK);
		struct tm tm;

		month[i] = gmtime_r(&tt, &tm) != NULL ? tm.tm_year * 12 + tm.tm_mon : -1;
		if (s->expiry_weeks[i] > max)
			max = s->expiry_weeks[i];
	}
	fputs("<figure class=\"chart\" id=\"chart-expiry\">\n<figcaption id=\"cap-expiry\">"
	      "Leaf certificates expiring per week, next 52 weeks</figcaption>\n", out);
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" role=\"img\" "
	        "aria-labelledby=\"cap-expiry\">\n", width, height);
	fprintf(out, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", LEFT - 2,
	        TOP + HEIGHT, width, TOP + HEIGHT);
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%zu</text>\n", LEFT - 5,
	        TOP + 4, max);
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", LEFT - 5,
	        TOP + HEIGHT);
	for (size_t i = 0; i < SUMMARY_WEEKS; i++) {
		size_t n = s->expiry_weeks[i], next = 1;
		int h = max > 0 ? (int)((uint64_t)n * HEIGHT / max) : 0, x = LEFT + (int)i * STEP;
		char day[16];

		if (n > 0 && h == 0)
			h = 1;
		fmt_utc(day, sizeof(day), s->now + (int64_t)i * WEEK, 0);
		fprintf(out, "<rect class=\"bar wk\" data-week=\"%zu\" x=\"%d\" y=\"%d\" "
		        "width=\"%d\" height=\"%d\"><title>week of %s: %zu certificate%s</title>"
		        "</rect>\n", i, x, TOP + HEIGHT - h, BAR, h, day, n, n == 1 ? "" : "s");
		if (month[i] < 0 || (i > 0 && month[i] == month[i - 1]))
			continue;
		while (i == 0 && next < SUMMARY_WEEKS && month[next] == month[0])
			next++;
		if (i == 0 && next < MIN_GAP)
			continue;
		fprintf(out, "<line class=\"tick\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
		        "<text class=\"month\" x=\"%d\" y=\"%d\">%s</text>", x, TOP + HEIGHT, x,
		        TOP + HEIGHT + 4, x, TOP + HEIGHT + 15, month_names[month[i] % 12]);
		if (!labelled || month[i] % 12 == 0)
			fprintf(out, "<text class=\"year\" x=\"%d\" y=\"%d\">%d</text>", x,
			        TOP + HEIGHT + 28, month[i] / 12 + 1900);
		fputs("\n", out);
		labelled = 1;
	}
	fputs("</svg>\n", out);
	fprintf(out, "<p class=\"note\">Already expired: <span data-key=\"chart_expired\">%zu"
	        "</span>. A year or more away: <span data-key=\"chart_later\">%zu</span>.</p>\n"
	        "</figure>\n", s->expired, s->expiry_later);
}

/* Horizontal bars: one g.row per bar (label, rect, count, full label in <title>), then an
 * "other" row when other > 0. unit is singular ("endpoint"); classes (may be NULL) gives each
 * bar's extra class (static). */
static void chart_hbars(FILE *out, const char *id, const char *caption, const char *unit,
                        const struct summary_bar *bars, size_t n, size_t other,
                        const char *const *classes)
{
	enum { LABEL_W = 150, BAR_W = 190, ROW = 20, BAR_H = 14, TOP = 3 };
	size_t rows = n + (other > 0), max = other;

	for (size_t i = 0; i < n; i++)
		if (bars[i].n > max)
			max = bars[i].n;
	fprintf(out, "<figure class=\"chart\" id=\"chart-%s\">\n<figcaption id=\"cap-%s\">%s"
	        "</figcaption>\n", id, id, caption);
	if (rows == 0) {
		fputs("<p class=\"empty\">No data.</p>\n</figure>\n", out);
		return;
	}
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %zu\" "
	        "role=\"img\" aria-labelledby=\"cap-%s\">\n", LABEL_W + BAR_W + 45,
	        TOP * 2 + rows * ROW, id);
	for (size_t i = 0; i < rows; i++) {
		int is_other = i == n;
		const char *label = is_other ? "other" : bars[i].label;
		size_t count = is_other ? other : bars[i].n;
		int w = max > 0 ? (int)((uint64_t)count * BAR_W / max) : 0;
		size_t y = TOP + i * ROW;

		if (count > 0 && w == 0)
			w = 1;
		fputs("<g class=\"row\"><title>", out);
		html_text(out, label);
		fprintf(out, ": %zu %s%s</title><text class=\"label\" x=\"%d\" y=\"%zu\" "
		        "text-anchor=\"end\">", count, unit, count == 1 ? "" : "s", LABEL_W - 6,
		        y + BAR_H - 3);
		html_text_cut(out, label, LABEL_CHARS);
		fprintf(out, "</text><rect class=\"bar%s%s\" x=\"%d\" y=\"%zu\" width=\"%d\" "
		        "height=\"%d\"/><text class=\"count\" x=\"%d\" y=\"%zu\">%zu</text></g>\n",
		        is_other ? " muted other" : classes != NULL ? " " : "",
		        !is_other && classes != NULL ? classes[i] : "", LABEL_W, y, w, BAR_H,
		        LABEL_W + w + 6, y + BAR_H - 3, count);
	}
	fputs("</svg>\n</figure>\n", out);
}

static void write_charts(FILE *out, const struct report_summary *s)
{
	struct summary_bar grades[11];
	const char *classes[11];
	size_t n_grades = 0;

	for (size_t g = 0; g < 11; g++) {
		if (s->grades[g].n == 0)
			continue;
		classes[n_grades] = grade_class[g];
		grades[n_grades++] = s->grades[g];
	}
	fputs("<section id=\"charts\">\n<h2>Charts</h2>\n", out);
	chart_expiry(out, s);
	chart_hbars(out, "issuers", "Leaf certificates by issuer", "certificate", s->issuers,
	            s->n_issuers, s->issuers_other, NULL);
	chart_hbars(out, "grades", "TLS endpoints by grade", "endpoint", grades, n_grades, 0,
	            classes);
	chart_hbars(out, "protocols", "TLS endpoints by negotiated protocol", "endpoint",
	            s->protocols, s->n_protocols, 0, NULL);
	if (s->n_countries > 0)
		chart_hbars(out, "countries", "Endpoints by country", "endpoint", s->countries,
		            s->n_countries, s->countries_other, NULL);
	fputs("</section>\n", out);
}

/* ------------------------------------------------------------------ diff */

/* Opens a diff table: heading with the count, then the table head (or "None."). Returns the
 * number of rows to write (capped). */
static size_t diff_open(FILE *out, const char *id, const char *title, size_t n,
                        const char *const *cols, size_t n_cols)
{
	fprintf(out, "<h3>%s (%zu)</h3>\n", title, n);
	if (n == 0) {
		fputs("<p class=\"empty\">None.</p>\n", out);
		return 0;
	}
	fprintf(out, "<table class=\"diff\" id=\"diff-%s\">\n<thead><tr>", id);
	for (size_t i = 0; i < n_cols; i++)
		fprintf(out, "<th>%s</th>", cols[i]);
	fputs("</tr></thead>\n<tbody>\n", out);
	return n < DIFF_MAX_ROWS ? n : DIFF_MAX_ROWS;
}

static void diff_close(FILE *out, size_t n)
{
	if (n == 0)
		return;
	fputs("</tbody>\n</table>\n", out);
	if (n > DIFF_MAX_ROWS)
		fprintf(out, "<p class=\"more\">%zu more not shown here: "
		        "<code>certsweep diff</code> lists them all.</p>\n", n - DIFF_MAX_ROWS);
}

static void td_text(FILE *out, const char *s)
{
	fputs("<td>", out);
	html_text(out, s);
	fputs("</td>", out);
}

/* The CN, issuer and expiry cells of certificate i of inv (three "-" cells when none). */
static void td_cert(FILE *out, const struct inventory *inv, size_t i)
{
	if (i >= inv->n_certs) {
		fputs("<td>-</td><td>-</td><td>-</td>", out);
		return;
	}
	td_text(out, cert_name(&inv->certs[i]));
	td_text(out, cert_issuer(&inv->certs[i]));
	td_text(out, inv->certs[i].not_after);
}

static void td_ep(FILE *out, const struct inventory *inv, size_t i)
{
	fputs("<td>", out);
	if (i < inv->n_endpoints)
		ep_label(out, &inv->endpoints[i]);
	else
		fputs("-", out);
	fputs("</td>", out);
}

/* "old → new" in one cell. */
static void td_change(FILE *out, const char *old, const char *new_)
{
	fputs("<td><span class=\"old\">", out);
	html_text(out, old);
	fputs("</span> \xe2\x86\x92 <span class=\"new\">", out);
	html_text(out, new_);
	fputs("</span></td>", out);
}

static const char *sev_class(int level)
{
	static const char *const names[5] = {
		"sev-info", "sev-low", "sev-medium", "sev-high", "sev-critical",
	};

	return names[level < 0 ? 0 : level > 4 ? 4 : level];
}

static void diff_findings(FILE *out, const struct inventory *inv, const char *id,
                          const char *title, const size_t *list, size_t n)
{
	static const char *const cols[] = { "Severity", "Check", "Endpoint", "Message" };
	size_t shown = diff_open(out, id, title, n, cols, 4);

	for (size_t i = 0; i < shown; i++) {
		const struct inv_finding *f;

		if (list[i] >= inv->n_findings)
			continue;
		f = &inv->findings[list[i]];
		fprintf(out, "<tr><td class=\"%s\">", sev_class(f->severity_level));
		html_text(out, f->severity);
		fputs("</td>", out);
		td_text(out, f->check_id);
		td_ep(out, inv, f->endpoint);
		td_text(out, f->message);
		fputs("</tr>\n", out);
	}
	diff_close(out, n);
}

static void write_diff(FILE *out, const struct diff_result *d)
{
	static const char *const new_cols[] = { "Endpoint", "Common name", "Issuer", "Not after" };
	static const char *const gone_cols[] = {
		"Endpoint", "Common name", "Issuer", "Not after", "Now",
	};
	static const char *const chg_cols[] = {
		"Endpoint", "Change", "Common name", "Issuer", "Not after",
	};
	const struct inventory *a = d->a, *b = d->b;
	char scope_a[320], scope_b[320];
	size_t shown;

	if (a == NULL || b == NULL)
		return;
	report_scope_text(a, scope_a, sizeof(scope_a));
	report_scope_text(b, scope_b, sizeof(scope_b));
	fputs("<section id=\"diff\">\n<h2>Changes</h2>\n<p class=\"scope\">From ", out);
	html_text(out, scope_a);
	fputs(" to ", out);
	html_text(out, scope_b);
	fputs(".</p>\n", out);

	shown = diff_open(out, "new", "New endpoints", d->n_new_eps, new_cols, 4);
	for (size_t i = 0; i < shown; i++) {
		size_t e = d->new_eps[i];

		if (e >= b->n_endpoints)
			continue;
		fputs("<tr>", out);
		td_ep(out, b, e);
		td_cert(out, b, b->endpoints[e].leaf);
		fputs("</tr>\n", out);
	}
	diff_close(out, d->n_new_eps);

	shown = diff_open(out, "vanished", "Vanished endpoints", d->n_vanished_eps, gone_cols, 5);
	for (size_t i = 0; i < shown; i++) {
		size_t e = d->vanished_eps[i];
		size_t now = d->vanished_now != NULL ? d->vanished_now[i] : INV_NONE;

		if (e >= a->n_endpoints)
			continue;
		fputs("<tr>", out);
		td_ep(out, a, e);
		td_cert(out, a, a->endpoints[e].leaf);
		td_text(out, now < b->n_endpoints ? b->endpoints[now].status : "absent");
		fputs("</tr>\n", out);
	}
	diff_close(out, d->n_vanished_eps);

	shown = diff_open(out, "changed", "Changed certificates", d->n_changed, chg_cols, 5);
	for (size_t i = 0; i < shown; i++) {
		const struct diff_change *c = &d->changed[i];
		const struct inv_cert *ca = c->cert_a < a->n_certs ? &a->certs[c->cert_a] : NULL;
		const struct inv_cert *cb = c->cert_b < b->n_certs ? &b->certs[c->cert_b] : NULL;

		fputs("<tr>", out);
		if (c->ep_b < b->n_endpoints)
			td_ep(out, b, c->ep_b);
		else
			td_ep(out, a, c->ep_a);
		fprintf(out, "<td class=\"%s\">%s</td>", c->renewed ? "renewed" : "replaced",
		        c->renewed ? "renewed" : "replaced");
		td_change(out, ca ? cert_name(ca) : "-", cb ? cert_name(cb) : "-");
		td_change(out, ca ? cert_issuer(ca) : "-", cb ? cert_issuer(cb) : "-");
		td_change(out, ca ? ca->not_after : "-", cb ? cb->not_after : "-");
		fputs("</tr>\n", out);
	}
	diff_close(out, d->n_changed);

	diff_findings(out, b, "new-findings", "New findings", d->new_findings, d->n_new_findings);
	diff_findings(out, a, "resolved-findings", "Resolved findings", d->resolved_findings,
	              d->n_resolved_findings);
	fputs("</section>\n", out);
}

/* ------------------------------------------------------------------ data block */

static const char *const ep_cols[] = {
	"host", "ip", "port", "sni", "starttls", "status", "error", "version", "cipher", "group",
	"grade", "score", "country", "asn", "org", "verified", "hostname_ok", "preferred", "cert",
	"findings", "order", "observed", "city", "owner", "unit", "site", "source", "passive_only",
};
static const char *const cert_cols[] = {
	"sha256", "cn", "subject", "issuer", "issuer_cn", "issuer_org", "sans", "not_before",
	"not_after", "days", "key", "sig", "preferred", "trusted", "leaf", "self_signed", "chain",
	"eps", "findings", "order",
};
static const char *const f_cols[] = {
	"check", "severity", "kind", "status", "message", "ep", "cert", "first_seen", "last_seen",
};
static const char *const o_cols[] = {
	"id", "status", "ca_state", "cn", "sans", "reason", "created", "updated", "cert", "eps",
	"endpoints",
};

/* Cross reference i into a table of n rows: the index, or -1. */
static json_int_t ix(size_t i, size_t n)
{
	return i < n ? (json_int_t)i : -1;
}

/* [indices] keeping those below n. NULL on allocation failure. */
static json_t *jix_array(const size_t *v, size_t k, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < k; i++) {
		if (v[i] >= n)
			continue;
		if (json_array_append_new(arr, json_integer((json_int_t)v[i])) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* ISO 8601 UTC, "" for 0. */
static json_t *jtime(int64_t t)
{
	char buf[32] = "";

	if (t > 0)
		iso8601_utc(buf, sizeof(buf), (time_t)t);
	return json_string(buf);
}

/* Writes row (its reference is consumed) as compact, script-safe JSON, after ",\n" unless first.
 * Returns 0, or -1 when the row could not be built or dumped (no memory). */
static int emit(FILE *out, json_t *row, int first)
{
	char *txt;

	if (row == NULL)
		return -1;
	txt = json_dumps(row, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(row);
	if (txt == NULL)
		return -1;
	if (!first)
		fputs(",\n", out);
	json_script_safe(out, txt);
	free(txt);
	return 0;
}

/* "key":["c1","c2",...] for a static column list (plain ASCII: no escaping needed). */
static void write_cols(FILE *out, const char *key, const char *const *cols, size_t n)
{
	fprintf(out, ",\n\"%s\":[", key);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s\"%s\"", i > 0 ? "," : "", cols[i]);
	fputs("]", out);
}

static json_t *ep_row(const struct inventory *inv, const struct inv_endpoint *e)
{
	return json_pack("[o,o,i,o,o,o,o,o,o,o,o,i,o,o,o,i,i,i,I,o,I,o,o,o,o,o,o,i]",
	                 ndjson_text(e->host), ndjson_text(e->ip), e->port, ndjson_text(e->sni),
	                 ndjson_text(e->starttls), ndjson_text(e->status), ndjson_text(e->error),
	                 ndjson_text(e->version), ndjson_text(e->cipher), ndjson_text(e->group),
	                 ndjson_text(e->grade), e->score, ndjson_text(e->country),
	                 ndjson_text(e->asn), ndjson_text(e->as_org), e->verified, e->hostname_ok,
	                 e->preferred, ix(e->leaf, inv->n_certs),
	                 jix_array(e->findings, e->n_findings, inv->n_findings),
	                 ix(e->order, inv->n_orders), jtime(e->observed_at),
	                 ndjson_text(e->city), ndjson_text(e->owner),
	                 ndjson_text(e->business_unit), ndjson_text(e->site),
	                 ndjson_text(e->source), e->passive_only != 0);
}

static json_t *cert_row(const struct inventory *inv, const struct inv_cert *c)
{
	char key[96];

	if (c->curve[0] != '\0')
		snprintf(key, sizeof(key), "%.40s %.40s", c->key_type, c->curve);
	else if (c->key_bits > 0)
		snprintf(key, sizeof(key), "%.40s %d", c->key_type, c->key_bits);
	else
		snprintf(key, sizeof(key), "%.40s", c->key_type);
	return json_pack("[o,o,o,o,o,o,o,o,o,o,o,o,i,i,i,i,o,o,o,I]",
	                 ndjson_text(c->sha256), ndjson_text(c->subject_cn),
	                 ndjson_text(c->subject), ndjson_text(c->issuer), ndjson_text(c->issuer_cn),
	                 ndjson_text(c->issuer_org), ndjson_text(c->sans),
	                 ndjson_text(c->not_before), ndjson_text(c->not_after),
	                 c->has_not_after ? json_integer(inv_days_until(c->not_after_unix,
	                                                                inv->generated_at))
	                                  : json_null(),
	                 ndjson_text(key), ndjson_text(c->sig_alg), c->preferred, c->trusted,
	                 c->leaf != 0, c->self_signed != 0,
	                 jix_array(c->chain, c->n_chain, inv->n_certs),
	                 jix_array(c->endpoints, c->n_endpoints, inv->n_endpoints),
	                 jix_array(c->findings, c->n_findings, inv->n_findings),
	                 ix(c->order, inv->n_orders));
}

static json_t *finding_row(const struct inventory *inv, const struct inv_finding *f)
{
	return json_pack("[o,o,o,o,o,I,I,o,o]", ndjson_text(f->check_id), ndjson_text(f->severity),
	                 ndjson_text(f->kind), ndjson_text(f->status), ndjson_text(f->message),
	                 ix(f->endpoint, inv->n_endpoints), ix(f->cert, inv->n_certs),
	                 jtime(f->first_seen), jtime(f->last_seen));
}

static json_t *order_row(const struct inventory *inv, const struct inv_order *o)
{
	return json_pack("[I,o,o,o,o,o,o,o,I,o,o]", (json_int_t)o->id, ndjson_text(o->status),
	                 ndjson_text(o->ca_state), ndjson_text(o->common_name),
	                 ndjson_text(o->sans),
	                 ndjson_text(o->reason), jtime(o->created_at), jtime(o->updated_at),
	                 ix(o->cert, inv->n_certs),
	                 jix_array(o->endpoints, o->n_endpoints, inv->n_endpoints),
	                 ndjson_text(o->endpoint_text));
}

/* The "fixes" object: the fix of each distinct known check id among the findings (at most one
 * entry per registry check, whatever the number of findings). NULL on allocation failure. */
static json_t *fixes_json(const struct inventory *inv)
{
	json_t *obj = json_object();
	const char *prev = NULL;

	for (size_t i = 0; obj != NULL && i < inv->n_findings; i++) {
		const char *id = inv->findings[i].check_id, *fix;

		if ((prev != NULL && strcmp(id, prev) == 0) || json_object_get(obj, id) != NULL)
			continue;
		prev = id;
		if ((fix = check_fix(id)) == NULL)
			continue;
		/* a known id equals a registry literal: valid UTF-8, as is its fix */
		if (json_object_set_new(obj, id, json_string(fix)) != 0) {
			json_decref(obj);
			return NULL;
		}
	}
	return obj;
}

/* Writes the <script id="cs-data"> element. Returns 0, or -1 (no memory, or a write error:
 * ferror(out) tells which). */
static int write_data(FILE *out, const struct inventory *inv, const char *scope)
{
	char iso[32];
	int rc = -1;

	iso8601_utc(iso, sizeof(iso), (time_t)inv->generated_at);
	fprintf(out, "<script id=\"cs-data\" type=\"application/json\">"
	        "{\"v\":1,\"generated\":\"%s\",\"now\":%lld,\"scope\":", iso,
	        (long long)inv->generated_at);
	if (emit(out, ndjson_text(scope), 1) < 0)
		goto out;

	write_cols(out, "ep_cols", ep_cols, sizeof(ep_cols) / sizeof(ep_cols[0]));
	fputs(",\n\"eps\":[\n", out);
	for (size_t i = 0; i < inv->n_endpoints && !ferror(out); i++)
		if (emit(out, ep_row(inv, &inv->endpoints[i]), i == 0) < 0)
			goto out;
	fputs("]", out);

	write_cols(out, "cert_cols", cert_cols, sizeof(cert_cols) / sizeof(cert_cols[0]));
	fputs(",\n\"certs\":[\n", out);
	for (size_t i = 0; i < inv->n_certs && !ferror(out); i++)
		if (emit(out, cert_row(inv, &inv->certs[i]), i == 0) < 0)
			goto out;
	fputs("]", out);

	write_cols(out, "f_cols", f_cols, sizeof(f_cols) / sizeof(f_cols[0]));
	fputs(",\n\"findings\":[\n", out);
	for (size_t i = 0; i < inv->n_findings && !ferror(out); i++)
		if (emit(out, finding_row(inv, &inv->findings[i]), i == 0) < 0)
			goto out;
	fputs("],\n\"fixes\":", out);
	if (emit(out, fixes_json(inv), 1) < 0)
		goto out;

	write_cols(out, "o_cols", o_cols, sizeof(o_cols) / sizeof(o_cols[0]));
	fputs(",\n\"orders\":[\n", out);
	for (size_t i = 0; i < inv->n_orders && !ferror(out); i++)
		if (emit(out, order_row(inv, &inv->orders[i]), i == 0) < 0)
			goto out;
	fputs("]}</script>\n", out);
	rc = ferror(out) ? -1 : 0;
out:
	return rc;
}

/* ------------------------------------------------------------------ the page */

static void write_views(FILE *out)
{
	fputs("<section id=\"tables\">\n"
	      "<div class=\"view\" id=\"view-endpoints\"></div>\n"
	      "<div class=\"view\" id=\"view-certs\"></div>\n"
	      "<div class=\"view\" id=\"view-findings\"></div>\n"
	      "<div class=\"view\" id=\"view-orders\"></div>\n"
	      "</section>\n<aside id=\"detail\" hidden></aside>\n"
	      "<noscript><p class=\"note\">The endpoint, certificate, finding and order tables "
	      "need JavaScript; the summary and the charts above do not.</p></noscript>\n"
	      "</main>\n", out);
}

int report_html(const struct inventory *inv, const struct diff_result *diff, FILE *out,
                char *err, size_t errlen)
{
	struct report_summary sum;
	char scope[320], hash[128];
	char *js = NULL;
	size_t js_len = 0;
	int rc = -1;

	if (asset_check(report_js, report_js_len, "</script", "<!--") < 0 ||
	    asset_check(report_css, report_css_len, "</style", NULL) < 0) {
		snprintf(err, errlen, "embedded report assets are unusable (NUL, invalid UTF-8, "
		         "or a sequence that ends their element)");
		goto out;
	}
	js = newlines_normalised(report_js, report_js_len, &js_len);
	if (js == NULL || report_summarize(inv, inv->generated_at, &sum) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (csp_hash(js, js_len, hash, sizeof(hash)) < 0) {
		snprintf(err, errlen, "SHA-256 failed");
		goto out;
	}
	report_scope_text(inv, scope, sizeof(scope));
	write_head(out, hash, scope, inv->generated_at);
	write_summary(out, &sum);
	write_charts(out, &sum);
	if (diff != NULL)
		write_diff(out, diff);
	write_views(out);
	if (write_data(out, inv, scope) < 0 && !ferror(out)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	fputs("<script>", out);
	fwrite(js, 1, js_len, out);
	fputs("</script>\n</body>\n</html>\n", out);
	if (fflush(out) != 0 || ferror(out)) {
		snprintf(err, errlen, "write error: %s", strerror(errno ? errno : EIO));
		goto out;
	}
	rc = 0;
out:
	free(js);
	return rc;
}
