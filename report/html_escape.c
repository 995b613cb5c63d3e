/*
 * html_escape.c: hostile text into HTML and into a JSON data block (see html.h).
 *
 * html_text walks s by UTF-8 sequences (text_utf8_seq of core/text.c decides what is valid):
 * a byte that starts no valid sequence becomes U+FFFD, as does a control character the HTML
 * parser would flag (C0 but tab and newline, DEL, C1 U+0080..U+009F); & < > " ' become
 * entities, so the result is safe both as element content and inside a quoted attribute.
 * Valid runs are written with one fwrite each, not byte by byte.
 */
#include "report/html.h"

#include <string.h>

#include "core/text.h"

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

/* The entity for an ASCII byte that needs one, else NULL. */
static const char *entity(unsigned char c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	default: return NULL;
	}
}

/* 1 when the sequence of n bytes at p is a control character to replace. */
static int is_control(const unsigned char *p, size_t n)
{
	if (n == 1)
		return (p[0] < 0x20 && p[0] != '\t' && p[0] != '\n') || p[0] == 0x7f;
	return n == 2 && p[0] == 0xc2 && p[1] < 0xa0; /* C1: c2 80 .. c2 9f */
}

/* Writes at most max_chars characters of s; returns 1 when s had more. */
static int write_text(FILE *out, const char *s, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	const unsigned char *end = p + strlen((const char *)p), *run = p;
	size_t chars = 0;

	while (p < end) {
		size_t n = text_utf8_seq(p, (size_t)(end - p));
		const char *ent = n == 1 ? entity(*p) : NULL;

		if (chars == max_chars)
			break;
		chars++;
		if (n != 0 && ent == NULL && !is_control(p, n)) {
			p += n;
			continue;
		}
		fwrite(run, 1, (size_t)(p - run), out);
		if (ent != NULL)
			fputs(ent, out);
		else
			fputs(replacement, out);
		p += n != 0 ? n : 1;
		run = p;
	}
	fwrite(run, 1, (size_t)(p - run), out);
	return p < end;
}

void html_text(FILE *out, const char *s)
{
	write_text(out, s, (size_t)-1);
}

void html_text_cut(FILE *out, const char *s, size_t max_chars)
{
	if (write_text(out, s, max_chars))
		fputs("\xe2\x80\xa6", out); /* U+2026 */
}

void json_script_safe(FILE *out, const char *json)
{
	const char *p = json != NULL ? json : "", *run = p;

	for (; *p != '\0'; p++) {
		const char *esc = NULL;

		if (*p == '<')
			esc = "\\u003c";
		else if (*p == '>')
			esc = "\\u003e";
		else if (*p == '&')
			esc = "\\u0026";
		else if ((unsigned char)p[0] == 0xe2 && (unsigned char)p[1] == 0x80 &&
		         ((unsigned char)p[2] == 0xa8 || (unsigned char)p[2] == 0xa9))
			esc = (unsigned char)p[2] == 0xa8 ? "\\u2028" : "\\u2029";
		if (esc == NULL)
			continue;
		fwrite(run, 1, (size_t)(p - run), out);
		fputs(esc, out);
		if (esc[2] == '2')
			p += 2; /* the rest of the three-byte sequence */
		run = p + 1;
	}
	fwrite(run, 1, (size_t)(p - run), out);
}
