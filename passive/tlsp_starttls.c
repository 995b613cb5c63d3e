/*
 * tlsp_starttls.c: the clear-text phase of a direction that does not start with a TLS record.
 *
 * Both directions: text bytes (printable ASCII, tab, CR, LF, and bytes >= 0x80 for UTF-8) are
 * counted up to TLSP_MAX_CLEAR; a handshake record's first byte (22) right after a '\n' or a
 * '>' switches the direction to TLS records (the record layer then checks the header). Any other
 * byte, or clear text beyond the bound, makes the direction NOT_TLS.
 *
 * Client direction: its text is cut into pieces at '\n' and '>' (each kept up to TLSP_PIECE
 * bytes; a longer one is no command) to recognise the command that asked for TLS, case
 * insensitive, a line at a time:
 *   EHLO / HELO ...        remembered (SMTP)
 *   STARTTLS               smtp, after an EHLO or HELO (alone it is also NNTP's: not named)
 *   <tag> STARTTLS         imap
 *   STLS                   pop3
 *   AUTH TLS / AUTH SSL    ftp
 * and, for a piece ending in '>': <starttls ... urn:ietf:params:xml:ns:xmpp-tls ...>  xmpp.
 * The last command recognised names res.starttls when the client's first TLS record header is
 * accepted (tlsp.c).
 */
#include <string.h>
#include <strings.h>

#include "passive/tlsp_int.h"

static int text_byte(unsigned c)
{
	return (c >= 0x20 && c != 0x7f) || c == '\t' || c == '\r' || c == '\n';
}

/* 1 when s[0..n) equals word, case insensitive. */
static int is_word(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && strncasecmp(s, word, n) == 0;
}

/* A complete line of the client (NUL-terminated, without its '\n'). */
static void client_line(struct tlsp_clear *c, char *line)
{
	size_t n = strlen(line), first;
	const char *rest;

	while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
		line[--n] = '\0';
	first = strcspn(line, " ");
	rest = line[first] == ' ' ? line + first + 1 : NULL;
	if (is_word(line, first, "EHLO") || is_word(line, first, "HELO"))
		c->helo = 1;
	else if (rest == NULL && is_word(line, n, "STARTTLS"))
		c->proto = c->helo ? "smtp" : NULL;
	else if (rest == NULL && is_word(line, n, "STLS"))
		c->proto = "pop3";
	else if (rest != NULL && is_word(line, first, "AUTH") &&
	         (is_word(rest, strlen(rest), "TLS") || is_word(rest, strlen(rest), "SSL")))
		c->proto = "ftp";
	else if (rest != NULL && first > 0 && is_word(rest, strlen(rest), "STARTTLS"))
		c->proto = "imap";
}

/* A piece of the client that ended with '>' (NUL-terminated, without the '>'). */
static void client_tag(struct tlsp_clear *c, const char *tag)
{
	tag += strspn(tag, " \t\r\n");
	if (strncmp(tag, "<starttls", 9) == 0 && strchr(" \t\r\n/", tag[9]) != NULL &&
	    strstr(tag, "urn:ietf:params:xml:ns:xmpp-tls") != NULL)
		c->proto = "xmpp";
}

static void client_byte(struct tlsp_clear *c, unsigned char ch)
{
	if (ch == '\n' || ch == '>') {
		c->piece[c->piece_len] = '\0';
		if (!c->piece_long && ch == '\n' && c->piece_line)
			client_line(c, c->piece);
		else if (!c->piece_long && ch == '>')
			client_tag(c, c->piece);
		c->piece_len = 0;
		c->piece_long = 0;
		c->piece_line = ch == '\n';
		return;
	}
	if (c->piece_len < sizeof(c->piece) - 1)
		c->piece[c->piece_len++] = (char)ch;
	else
		c->piece_long = 1;
}

size_t tlsp_clear_feed(struct tlsp *t, int dir, const unsigned char *p, size_t n)
{
	struct tlsp_clear *c = &t->dir[dir].clear;

	if (c->seen == 0)
		c->piece_line = 1;
	for (size_t i = 0; i < n; i++) {
		if (c->boundary && p[i] == CT_HANDSHAKE) {
			t->dir[dir].phase = PH_RECORDS;
			return i;
		}
		if (c->seen == TLSP_MAX_CLEAR || !text_byte(p[i])) {
			tlsp_end(t, dir, TLSP_NOT_TLS);
			return n;
		}
		c->seen++;
		c->boundary = p[i] == '\n' || p[i] == '>';
		if (dir == 0)
			client_byte(c, p[i]);
	}
	return n;
}
