/*
 * csv.c: the CSV writer (RFC 4180) and the "endpoint x leaf certificate" view.
 *
 * A text cell is encoded in two passes over its bytes (a scan, then the copy):
 *   1. quote it when any byte is ',', '"', or a control character (< 0x20 or 0x7f): this keeps
 *      CR, LF, TAB and the rest inside the field where every RFC 4180 reader expects them;
 *   2. prefix "'" when the first byte is '=', '+', '-', '@', TAB or CR (formula injection:
 *      spreadsheets otherwise evaluate "=HYPERLINK(...)" from a certificate's subject);
 *   3. copy valid UTF-8 sequences (text_utf8_seq of core/text.c decides), write U+FFFD for
 *      each byte that does not start one, and double every '"'.
 * All values are treated as hostile: certificate fields are chosen by whoever made the
 * certificate. The encoder writes either to a FILE or into a bounded buffer (a "sink").
 */
#include "report/report.h"

#include <errno.h>
#include <string.h>

#include "core/text.h"

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

struct sink {
	FILE *f;        /* borrowed; NULL when writing to buf */
	char *buf;      /* borrowed, size bytes */
	size_t size;
	size_t len;     /* bytes the full output needs so far */
};

static void sink_put(struct sink *k, const char *p, size_t n)
{
	if (k->f != NULL) {
		fwrite(p, 1, n, k->f);
	} else if (k->size > 0 && k->len < k->size - 1) {
		size_t room = k->size - 1 - k->len;

		memcpy(k->buf + k->len, p, n < room ? n : room);
	}
	k->len += n;
}

static int needs_quotes(const unsigned char *p)
{
	for (; *p != '\0'; p++)
		if (*p == ',' || *p == '"' || *p < 0x20 || *p == 0x7f)
			return 1;
	return 0;
}

static int is_formula_start(unsigned char c)
{
	return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

static void encode(struct sink *k, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	const unsigned char *end = p + strlen((const char *)p);
	int quote = needs_quotes(p);

	if (quote)
		sink_put(k, "\"", 1);
	if (is_formula_start(p[0]))
		sink_put(k, "'", 1);
	while (*p != '\0') {
		size_t n = text_utf8_seq(p, (size_t)(end - p));

		if (n == 0) {
			sink_put(k, replacement, sizeof(replacement) - 1);
			p++;
		} else if (*p == '"') {
			sink_put(k, "\"\"", 2);
			p++;
		} else {
			sink_put(k, (const char *)p, n);
			p += n;
		}
	}
	if (quote)
		sink_put(k, "\"", 1);
}

void csv_cell(FILE *out, const char *s)
{
	struct sink k = { .f = out };

	encode(&k, s);
}

size_t csv_cell_buf(char *buf, size_t size, const char *s)
{
	struct sink k = { .buf = buf, .size = size };

	encode(&k, s);
	if (size > 0)
		buf[k.len < size ? k.len : size - 1] = '\0';
	return k.len;
}

void csv_int(FILE *out, long long v)
{
	fprintf(out, "%lld", v);
}

void csv_sep(FILE *out)
{
	putc(',', out);
}

void csv_eol(FILE *out)
{
	fputs("\r\n", out);
}

/* ---------------------------------------------------------------- endpoint x leaf view */

static const char *const leaf_columns[] = {
	"host", "ip", "port", "subject_cn", "sans", "issuer", "not_after", "days_left",
	"preferred", "findings", "sni", "starttls", "sha256",
};

/* A text cell that is not the last of its row: the cell, then the separator. */
static void cell_sep(FILE *out, const char *s)
{
	csv_cell(out, s);
	csv_sep(out);
}

static int leaf_row_write(void *arg, const struct leaf_row *r)
{
	FILE *out = arg;

	cell_sep(out, r->host);
	cell_sep(out, r->ip);
	csv_int(out, r->port);
	csv_sep(out);
	cell_sep(out, r->subject_cn);
	cell_sep(out, r->sans);
	cell_sep(out, r->issuer);
	cell_sep(out, r->not_after);
	if (r->not_after != NULL && r->not_after[0] != '\0')
		csv_int(out, r->days_left);
	csv_sep(out);
	cell_sep(out, r->preferred ? "yes" : "no");
	cell_sep(out, r->findings);
	cell_sep(out, r->sni);
	cell_sep(out, r->starttls);
	csv_cell(out, r->sha256);
	csv_eol(out);
	return ferror(out) ? 1 : 0; /* stop early on a write error (full disk, closed pipe) */
}

int report_csv_leaf(struct store *st, int64_t scan_id, FILE *out, char *err, size_t errlen)
{
	int rc;

	if (scan_id <= 0) {
		scan_id = store_latest_scan(st, NULL);
		if (scan_id == 0) {
			if (store_errmsg(st)[0] != '\0')
				snprintf(err, errlen, "%s", store_errmsg(st));
			else
				snprintf(err, errlen, "no finished scan in the database");
			return -1;
		}
	}
	for (size_t i = 0; i < sizeof(leaf_columns) / sizeof(leaf_columns[0]); i++) {
		if (i > 0)
			csv_sep(out);
		csv_cell(out, leaf_columns[i]);
	}
	csv_eol(out);
	rc = store_each_leaf_row(st, scan_id, leaf_row_write, out);
	if (rc < 0) {
		snprintf(err, errlen, "%s", store_errmsg(st));
		return -1;
	}
	if (fflush(out) != 0 || ferror(out)) {
		snprintf(err, errlen, "write error: %s", strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}
