/* http_head.c: status line and Strict-Transport-Security of an HTTP response head (see http_head.h). */
#include "scanner/http_head.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* max-age value: digits, optionally in double quotes; -1 when anything else. */
static long parse_max_age(const char *v, const char *end)
{
	long n = 0;
	int quoted = 0, digits = 0;

	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	if (v < end && *v == '"') {
		quoted = 1;
		v++;
	}
	for (; v < end && isdigit((unsigned char)*v); v++, digits++) {
		if (n > (LONG_MAX - 9) / 10)
			return -1; /* absurdly large */
		n = n * 10 + (*v - '0');
	}
	if (quoted) {
		if (v >= end || *v != '"')
			return -1;
		v++;
	}
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	return digits > 0 && v == end ? n : -1;
}

static void parse_sts(const char *v, const char *end, struct http_head *out)
{
	out->hsts = 1;
	out->hsts_max_age = -1;
	while (v < end) {
		const char *semi = memchr(v, ';', (size_t)(end - v)), *dend = semi != NULL ? semi : end;
		const char *eq;

		while (v < dend && (*v == ' ' || *v == '\t'))
			v++;
		eq = memchr(v, '=', (size_t)(dend - v));
		if ((size_t)(dend - v) >= 7 && strncasecmp(v, "max-age", 7) == 0 && eq != NULL) {
			const char *n = v + 7;
			while (n < eq && (*n == ' ' || *n == '\t'))
				n++;
			if (n == eq)
				out->hsts_max_age = parse_max_age(eq + 1, dend);
		} else if ((size_t)(dend - v) >= 17 && strncasecmp(v, "includesubdomains", 17) == 0) {
			out->hsts_subdomains = 1;
		} else if ((size_t)(dend - v) >= 7 && strncasecmp(v, "preload", 7) == 0) {
			out->hsts_preload = 1;
		}
		v = semi != NULL ? semi + 1 : end;
	}
}

void http_head_parse(const char *buf, size_t len, struct http_head *out)
{
	const char *p = buf, *end;

	memset(out, 0, sizeof(*out));
	out->hsts_max_age = -1;
	if (len > HTTP_HEAD_MAX)
		len = HTTP_HEAD_MAX;
	end = buf + len;
	if (len < 5 || memcmp(buf, "HTTP/", 5) != 0)
		return;
	out->is_http = 1;
	{ /* "HTTP/1.1 200 OK": the code after the first space */
		const char *sp = memchr(buf, ' ', len);
		int code = 0, n = 0;

		for (sp = sp != NULL ? sp + 1 : end; sp < end && isdigit((unsigned char)*sp) && n < 3; sp++, n++)
			code = code * 10 + (*sp - '0');
		out->status = n == 3 && code >= 100 ? code : 0;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *lend;

		if (nl == NULL)
			break;
		p = nl + 1;
		lend = memchr(p, '\n', (size_t)(end - p));
		if (lend == NULL)
			lend = end;
		if (lend > p && lend[-1] == '\r')
			lend--;
		if (lend == p) /* the empty line: end of the head */
			break;
		if ((size_t)(lend - p) >= 26 && strncasecmp(p, "strict-transport-security:", 26) == 0) {
			parse_sts(p + 26, lend, out);
			break; /* RFC 6797 8.1: only the first one counts */
		}
	}
}
