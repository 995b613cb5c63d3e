/*
 * starttls_pop3.c: POP3 STLS (RFC 2595 4) as a two-state machine.
 *
 *   POP3_GREETING  read "+OK ..."                      -> send "STLS"
 *   POP3_STLS      read "+OK ..."                      -> READY (`in` must be empty)
 *
 * "-ERR ..." anywhere fails quoting the line; anything else fails as garbage.
 */
#include "scanner/starttls.h"
#include "scanner/starttls_int.h"

enum pop3_state { POP3_GREETING, POP3_STLS, POP3_DONE };

struct pop3_ctx {
	struct starttls_io io;
	enum pop3_state state;
};

static enum starttls_rc pop3_on_line(struct pop3_ctx *c, const struct starttls_line *l,
                                     struct evbuffer *in, struct evbuffer *out,
                                     char *err, size_t errlen)
{
	static const char stls_cmd[] = "STLS\r\n";
	int ok = starttls_word_at(l, 0, "+OK");

	switch (c->state) {
	case POP3_GREETING:
		if (starttls_word_at(l, 0, "-ERR"))
			return starttls_fail(err, errlen, "POP3 greeting refused", l->text, l->len);
		if (!ok)
			return starttls_fail(err, errlen, "unexpected POP3 greeting", l->text, l->len);
		c->state = POP3_STLS;
		return starttls_send(out, stls_cmd, sizeof(stls_cmd) - 1, err, errlen);
	case POP3_STLS:
		if (starttls_word_at(l, 0, "-ERR"))
			return starttls_fail(err, errlen, "POP3 STLS refused", l->text, l->len);
		if (!ok)
			return starttls_fail(err, errlen, "unexpected POP3 reply", l->text, l->len);
		return starttls_go_ahead(in, err, errlen);
	case POP3_DONE:
		break;
	}
	return starttls_fail(err, errlen, "POP3 exchange already finished", NULL, 0);
}

static enum starttls_rc pop3_step(void *ctx, struct evbuffer *in, struct evbuffer *out,
                                  const char *host, char *err, size_t errlen)
{
	struct pop3_ctx *c = ctx;
	struct starttls_line line;
	enum starttls_rc rc;
	int got;

	if (c->state == POP3_DONE)
		return starttls_fail(err, errlen, "POP3 exchange already finished", NULL, 0);
	rc = starttls_check_budget(&c->io, in, err, errlen);
	while (rc == STARTTLS_MORE) {
		got = starttls_read_line(&c->io, in, &line, err, errlen);
		if (got == 0)
			return STARTTLS_MORE;
		rc = got < 0 ? STARTTLS_FAIL : pop3_on_line(c, &line, in, out, err, errlen);
	}
	c->state = POP3_DONE;
	return rc;
}

const struct starttls_proto starttls_pop3 = {
	.name = "pop3",
	.ports = { 110, 0 },
	.server_first = 1,
	.greeting = "+OK",
	.ctx_size = sizeof(struct pop3_ctx),
	.step = pop3_step,
};
