/*
 * text.h: making attacker-controlled text safe for the medium it is printed on.
 * Certificate fields, server banners and error texts quoting peers all pass through here
 * (JSON needs valid UTF-8; a terminal must not receive control sequences).
 */
#ifndef CS_TEXT_H
#define CS_TEXT_H

#include <stddef.h>

/* Returns a malloc'd copy of s (NULL -> "") in which every invalid UTF-8 sequence is replaced
 * by U+FFFD; caller frees. NULL only on allocation failure. */
char *text_utf8_dup(const char *s);
/* Writes s into dst (always NUL-terminated) with C0/C1 controls, DEL and invalid UTF-8 shown
 * as \xNN escapes, so nothing a peer sent can move the cursor or recolour the terminal. */
void text_terminal(char *dst, size_t dstlen, const char *s);
/* Length of the valid UTF-8 sequence at s (1-4), or 0 when s does not start one. */
size_t text_utf8_seq(const unsigned char *s, size_t avail);

#endif
