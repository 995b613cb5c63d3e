/*
 * starttls_imap.c: IMAP STARTTLS (RFC 3501 6.2.1, RFC 2595) as a two-state machine.
 *
 *   IMAP_GREETING  read "* OK ..." (or "* PREAUTH ...")             -> send "a001 STARTTLS"
 *   IMAP_STARTTLS  skip untagged "* ..." lines, read "a001 OK ..."  -> READY (`in` must be empty)
 *
 * No CAPABILITY round trip: a server without STARTTLS answers "a001 BAD"/"a001 NO", which fails
 * quoting the line, as does a "* BYE" at any point. Keywords are matched case-insensitively.
 */
#include <string.h>

#include "scanner/starttls.h"
#include "scanner/starttls_int.h"

#define IMAP_TAG "a001"

enum imap_state { IMAP_GREETING, IMAP_STARTTLS, IMAP_DONE };

struct imap_ctx {
	struct starttls_io io;
	enum imap_state state;
};

static int imap_untagged(const struct starttls_line *l)
{
	return l->len >= 2 && l->text[0] == '*' && l->text[1] == ' ';
}

static enum starttls_rc imap_on_line(struct imap_ctx *c, const struct starttls_line *l,
                                     struct evbuffer *in, struct evbuffer *out,
                                     char *err, size_t errlen)
{
	static const char starttls_cmd[] = IMAP_TAG " STARTTLS\r\n";
	const size_t tl = sizeof(IMAP_TAG) - 1;

	if (imap_untagged(l) && starttls_word_at(l, 2, "BYE"))
		return starttls_fail(err, errlen, "IMAP server closed the session", l->text, l->len);
	switch (c->state) {
	case IMAP_GREETING:
		if (!imap_untagged(l) ||
		    !(starttls_word_at(l, 2, "OK") || starttls_word_at(l, 2, "PREAUTH")))
			return starttls_fail(err, errlen, "unexpected IMAP greeting", l->text, l->len);
		c->state = IMAP_STARTTLS;
		return starttls_send(out, starttls_cmd, sizeof(starttls_cmd) - 1, err, errlen);
	case IMAP_STARTTLS:
		if (imap_untagged(l))
			return STARTTLS_MORE;
		if (l->len <= tl || memcmp(l->text, IMAP_TAG " ", tl + 1) != 0)
			return starttls_fail(err, errlen, "unexpected IMAP reply", l->text, l->len);
		if (starttls_word_at(l, tl + 1, "OK"))
			return starttls_go_ahead(in, err, errlen);
		return starttls_fail(err, errlen, "IMAP STARTTLS refused", l->text, l->len);
	case IMAP_DONE:
		break;
	}
	return starttls_fail(err, errlen, "IMAP exchange already finished", NULL, 0);
}

static enum starttls_rc imap_step(void *ctx, struct evbuffer *in, struct evbuffer *out,
                                  const char *host, char *err, size_t errlen)
{
	struct imap_ctx *c = ctx;
	struct starttls_line line;
	enum starttls_rc rc;
	int got;

	if (c->state == IMAP_DONE)
		return starttls_fail(err, errlen, "IMAP exchange already finished", NULL, 0);
	rc = starttls_check_budget(&c->io, in, err, errlen);
	while (rc == STARTTLS_MORE) {
		got = starttls_read_line(&c->io, in, &line, err, errlen);
		if (got == 0)
			return STARTTLS_MORE;
		rc = got < 0 ? STARTTLS_FAIL : imap_on_line(c, &line, in, out, err, errlen);
	}
	c->state = IMAP_DONE;
	return rc;
}

const struct starttls_proto starttls_imap = {
	.name = "imap",
	.ports = { 143, 0 },
	.server_first = 1,
	.greeting = "* OK",
	.ctx_size = sizeof(struct imap_ctx),
	.step = imap_step,
};
