/* text.c: UTF-8 validation and terminal-safe rendering of hostile text (see text.h). */
#include "core/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t text_utf8_seq(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	size_t n;
	unsigned int cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (avail < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

char *text_utf8_dup(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t len = strlen((const char *)p), o = 0;
	char *out = malloc(len * 3 + 1); /* each bad byte becomes 3 bytes of U+FFFD */

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t n = text_utf8_seq(p + i, len - i);
		if (n == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, p + i, n);
			o += n;
			i += n;
		}
	}
	out[o] = '\0';
	return out;
}

void text_terminal(char *dst, size_t dstlen, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t len = strlen((const char *)p), o = 0;

	if (dstlen == 0)
		return;
	for (size_t i = 0; i < len;) {
		size_t n = text_utf8_seq(p + i, len - i);
		int ctrl = n == 1 && (p[i] < 0x20 || p[i] == 0x7f);
		/* C1 controls U+0080..U+009F arrive as c2 80..c2 9f */
		int c1 = n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0;

		if (n == 0 || ctrl || c1) {
			if (o + 4 >= dstlen)
				break;
			snprintf(dst + o, dstlen - o, "\\x%02x", p[i]);
			o += 4;
			i++;
			continue;
		}
		if (o + n >= dstlen)
			break;
		memcpy(dst + o, p + i, n);
		o += n;
		i += n;
	}
	dst[o] = '\0';
}
