/*
 * starttls_int.h: what the STARTTLS modules share (private to scanner/starttls*.c and their tests).
 *
 * Every module's ctx begins with a struct starttls_io. Input is only ever taken out of `in` through
 * these helpers, so the io counts every byte consumed and the two bounds of starttls.h hold for all
 * modules alike:
 *   - a line (or an XMPP '>'-terminated chunk), terminator included, is at most STARTTLS_MAX_LINE;
 *   - consumed + still pending input never exceeds STARTTLS_MAX_INPUT before READY.
 * Lines are copied into a struct starttls_line, which callers keep on their stack (nothing here
 * allocates; the ctx stays a few dozen bytes per connection).
 */
#ifndef CS_STARTTLS_INT_H
#define CS_STARTTLS_INT_H

#include <stddef.h>

#include "scanner/starttls.h"

struct starttls_io {
	size_t consumed;  /* bytes drained from `in` so far */
	size_t scanned;   /* bytes at the front of `in` known to hold no terminator */
};

struct starttls_line {
	char text[STARTTLS_MAX_LINE]; /* the line without its terminator (and CR), NUL-terminated */
	size_t len;                   /* bytes in text (text may itself contain NULs) */
	/* Set by starttls_read_reply only: */
	int code;                     /* reply code, 100..599 */
	int index;                    /* 0 for the first line of a reply */
	int final;                    /* 1 on the last line of a reply */
};

/* State of a numbered (SMTP/FTP) reply being read; zero it before the first reply. */
struct starttls_reply {
	int code;   /* code of the reply in progress, 0 between replies */
	int lines;  /* lines of it read so far */
};

/* The module descriptors, listed in starttls_protocols[]. */
extern const struct starttls_proto starttls_smtp;
extern const struct starttls_proto starttls_imap;
extern const struct starttls_proto starttls_pop3;
extern const struct starttls_proto starttls_ftp;
extern const struct starttls_proto starttls_ldap;
extern const struct starttls_proto starttls_xmpp;
extern const struct starttls_proto starttls_postgres;
extern const struct starttls_proto starttls_mysql;

/*
 * Writes `what` into err, followed by `: "<quoted peer text>"` when peer is not NULL.
 * Returns STARTTLS_FAIL so callers can `return starttls_fail(...)`. err may be NULL.
 */
enum starttls_rc starttls_fail(char *err, size_t errlen, const char *what,
                               const void *peer, size_t peerlen);

/* STARTTLS_FAIL (err set) when more than STARTTLS_MAX_INPUT bytes came in, else STARTTLS_MORE. */
enum starttls_rc starttls_check_budget(const struct starttls_io *io, const struct evbuffer *in,
                                       char *err, size_t errlen);

/*
 * Takes one `delim`-terminated chunk out of `in` into l (terminator dropped; for '\n' a CR before
 * it is dropped too). Returns 1 when a chunk was read, 0 when more input is needed, -1 (err set)
 * when the chunk would exceed STARTTLS_MAX_LINE.
 */
int starttls_read_until(struct starttls_io *io, struct evbuffer *in, char delim,
                        struct starttls_line *l, char *err, size_t errlen);

/* starttls_read_until(..., '\n', ...): one CRLF- or LF-terminated line. */
int starttls_read_line(struct starttls_io *io, struct evbuffer *in, struct starttls_line *l,
                       char *err, size_t errlen);

/*
 * Reads one line of a numbered reply ("250-...", "250 ..."; RFC 5321 4.2, RFC 959 4.2) and fills
 * l->code, l->index, l->final. strict (SMTP): every line must carry the reply's code. Otherwise
 * (FTP) lines inside a multi-line reply are free text until "<code> " ends it.
 * Returns 1, 0 or -1 like starttls_read_until; a malformed line fails quoting it.
 */
int starttls_read_reply(struct starttls_io *io, struct starttls_reply *r, struct evbuffer *in,
                        int strict, struct starttls_line *l, char *err, size_t errlen);

/* Copies n bytes out of `in` into dst without draining; 0 on success, -1 if fewer are there. */
int starttls_peek(struct evbuffer *in, void *dst, size_t n);

/* Drains n bytes of `in` and counts them. */
void starttls_consume(struct starttls_io *io, struct evbuffer *in, size_t n);

/* Appends to `out`; STARTTLS_MORE on success, STARTTLS_FAIL (err set) when out of memory. */
enum starttls_rc starttls_send(struct evbuffer *out, const void *data, size_t len,
                               char *err, size_t errlen);

/*
 * The server said go ahead: STARTTLS_READY when `in` is empty, else STARTTLS_FAIL with
 * "unexpected data after STARTTLS go-ahead" (bytes pipelined before the handshake would be
 * read as if they came over TLS: the STARTTLS command-injection class, CVE-2011-0411 & co.).
 */
enum starttls_rc starttls_go_ahead(struct evbuffer *in, char *err, size_t errlen);

/*
 * 1 when l->text at byte `off` holds `word` (ASCII case-insensitive) followed by the end of the
 * line or a space.
 */
int starttls_word_at(const struct starttls_line *l, size_t off, const char *word);

/* 1 when host is a plain DNS name (LDH labels of 1..63 bytes, 1..253 bytes in all). */
int starttls_is_dns_name(const char *host);

#endif
