/*
 * starttls_ftp.c: FTP AUTH TLS (RFC 4217 4) as a two-state machine.
 *
 *   FTP_GREETING  read the 220 greeting; "220-" starts a multi-line one that runs, through
 *                 lines of free text, to "220 " (RFC 959 4.2); 1yz replies ("120 ready in
 *                 5 minutes") are preliminary and skipped                -> send "AUTH TLS"
 *   FTP_AUTH      read the reply to AUTH TLS: 234                        -> READY
 *
 * Any other code fails quoting its first line (e.g. vsftpd without ssl_enable answers
 * "530 Please login with USER and PASS.").
 */
#include "scanner/starttls.h"
#include "scanner/starttls_int.h"

enum ftp_state { FTP_GREETING, FTP_AUTH, FTP_DONE };

struct ftp_ctx {
	struct starttls_io io;
	struct starttls_reply reply;
	enum ftp_state state;
	int skip;  /* the reply being read is a 1yz preliminary one */
};

static enum starttls_rc ftp_on_line(struct ftp_ctx *c, const struct starttls_line *l,
                                    struct evbuffer *in, struct evbuffer *out,
                                    char *err, size_t errlen)
{
	static const char auth_cmd[] = "AUTH TLS\r\n";

	if (l->index == 0)
		c->skip = l->code < 200;
	if (c->skip)
		return STARTTLS_MORE;
	switch (c->state) {
	case FTP_GREETING:
		if (l->code != 220)
			return starttls_fail(err, errlen, "FTP greeting refused", l->text, l->len);
		if (!l->final)
			return STARTTLS_MORE;
		c->state = FTP_AUTH;
		return starttls_send(out, auth_cmd, sizeof(auth_cmd) - 1, err, errlen);
	case FTP_AUTH:
		if (l->code != 234)
			return starttls_fail(err, errlen, "FTP AUTH TLS refused", l->text, l->len);
		if (!l->final)
			return STARTTLS_MORE;
		return starttls_go_ahead(in, err, errlen);
	case FTP_DONE:
		break;
	}
	return starttls_fail(err, errlen, "FTP exchange already finished", NULL, 0);
}

static enum starttls_rc ftp_step(void *ctx, struct evbuffer *in, struct evbuffer *out,
                                 const char *host, char *err, size_t errlen)
{
	struct ftp_ctx *c = ctx;
	struct starttls_line line;
	enum starttls_rc rc;
	int got;

	if (c->state == FTP_DONE)
		return starttls_fail(err, errlen, "FTP exchange already finished", NULL, 0);
	rc = starttls_check_budget(&c->io, in, err, errlen);
	while (rc == STARTTLS_MORE) {
		got = starttls_read_reply(&c->io, &c->reply, in, 0, &line, err, errlen);
		if (got == 0)
			return STARTTLS_MORE;
		rc = got < 0 ? STARTTLS_FAIL : ftp_on_line(c, &line, in, out, err, errlen);
	}
	c->state = FTP_DONE;
	return rc;
}

/* Shares "220" with SMTP: starttls_by_greeting answers smtp, port 21 picks ftp. */
const struct starttls_proto starttls_ftp = {
	.name = "ftp",
	.ports = { 21, 0 },
	.server_first = 1,
	.greeting = "220",
	.ctx_size = sizeof(struct ftp_ctx),
	.step = ftp_step,
};
