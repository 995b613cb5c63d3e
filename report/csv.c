/*
 * csv.c: the CSV writer (RFC 4180) and the CSV form of the report's views (views.h).
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
#include <stdlib.h>
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

/* ---------------------------------------------------------------- views */

/* One cell of a view in CSV form (views.h gives the mapping). */
static void view_cell(FILE *out, const struct cell *c)
{
	char when[32];

	switch (c->kind) {
	case CELL_INT:
		csv_int(out, c->i);
		break;
	case CELL_BOOL:
		if (c->i >= 0)
			csv_cell(out, c->i ? "yes" : "no");
		break;
	case CELL_TIME:
		report_time(when, sizeof(when), c->i);
		csv_cell(out, when);
		break;
	case CELL_STR:
	case CELL_LIST:
		csv_cell(out, c->s);
		break;
	case CELL_NULL:
		break;
	}
}

int report_csv_view(const struct inventory *inv, const struct view *v, FILE *out, char *err,
                    size_t errlen)
{
	struct cell *c = malloc(sizeof(*c));
	size_t rows = v->rows(inv);
	int rc = -1;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < v->n_cols; i++) {
		if (i > 0)
			csv_sep(out);
		csv_cell(out, v->cols[i].name);
	}
	csv_eol(out);
	for (size_t r = 0; r < rows && !ferror(out); r++) {
		for (size_t i = 0; i < v->n_cols; i++) {
			if (i > 0)
				csv_sep(out);
			c->scratch[0] = '\0';
			v->cols[i].get(inv, r, c);
			view_cell(out, c);
		}
		csv_eol(out);
	}
	if (fflush(out) != 0 || ferror(out)) {
		snprintf(err, errlen, "write error: %s", strerror(errno ? errno : EIO));
		goto out;
	}
	rc = 0;
out:
	free(c);
	return rc;
}
