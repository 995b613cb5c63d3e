/*
 * starttls_smtp.c: SMTP STARTTLS (RFC 3207) as a three-state machine.
 *
 *   SMTP_GREETING  read the 220 greeting ("220-" lines continue it)   -> send "EHLO <name>"
 *   SMTP_EHLO      read the 250 reply; remember a STARTTLS keyword    -> send "STARTTLS"
 *   SMTP_STARTTLS  read the 220 go-ahead, `in` must then be empty     -> READY
 *
 * Replies are read with starttls_read_reply in strict mode (every line carries the code,
 * RFC 5321 4.2). Any line with another code (421 at greeting, 554, 454 "TLS not available", ...)
 * fails at once, quoting that line. The EHLO name is the host when it is a DNS name, an address
 * literal "[192.0.2.1]" / "[IPv6:2001:db8::1]" for an IP (RFC 5321 4.1.3), else
 * "certsweep.invalid": nothing the caller passes can inject a CRLF into the command.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "scanner/starttls.h"
#include "scanner/starttls_int.h"

#define SMTP_FALLBACK_NAME "certsweep.invalid"

enum smtp_state { SMTP_GREETING, SMTP_EHLO, SMTP_STARTTLS, SMTP_DONE };

struct smtp_ctx {
	struct starttls_io io;
	struct starttls_reply reply;
	enum smtp_state state;
	int has_starttls;  /* the EHLO reply listed STARTTLS */
};

/* Writes "EHLO <name>\r\n" for host into dst (at least 300 bytes). */
static void smtp_ehlo_command(const char *host, char *dst, size_t dstlen)
{
	unsigned char addr[16];

	if (host != NULL && inet_pton(AF_INET, host, addr) == 1)
		snprintf(dst, dstlen, "EHLO [%s]\r\n", host);
	else if (host != NULL && strlen(host) < 64 && inet_pton(AF_INET6, host, addr) == 1)
		snprintf(dst, dstlen, "EHLO [IPv6:%s]\r\n", host);
	else if (starttls_is_dns_name(host))
		snprintf(dst, dstlen, "EHLO %s\r\n", host);
	else
		snprintf(dst, dstlen, "EHLO %s\r\n", SMTP_FALLBACK_NAME);
}

static enum starttls_rc smtp_on_line(struct smtp_ctx *c, const struct starttls_line *l,
                                     struct evbuffer *in, struct evbuffer *out,
                                     const char *host, char *err, size_t errlen)
{
	static const char starttls_cmd[] = "STARTTLS\r\n";
	char ehlo[320];

	switch (c->state) {
	case SMTP_GREETING:
		if (l->code != 220)
			return starttls_fail(err, errlen, "SMTP greeting refused", l->text, l->len);
		if (!l->final)
			return STARTTLS_MORE;
		smtp_ehlo_command(host, ehlo, sizeof(ehlo));
		c->state = SMTP_EHLO;
		return starttls_send(out, ehlo, strlen(ehlo), err, errlen);
	case SMTP_EHLO:
		if (l->code != 250)
			return starttls_fail(err, errlen, "SMTP EHLO refused", l->text, l->len);
		/* The first line names the server; keywords follow (RFC 5321 4.1.1.1). */
		if (l->index > 0 && starttls_word_at(l, 4, "STARTTLS"))
			c->has_starttls = 1;
		if (!l->final)
			return STARTTLS_MORE;
		if (!c->has_starttls)
			return starttls_fail(err, errlen, "server does not offer STARTTLS", NULL, 0);
		c->state = SMTP_STARTTLS;
		return starttls_send(out, starttls_cmd, sizeof(starttls_cmd) - 1, err, errlen);
	case SMTP_STARTTLS:
		if (l->code != 220)
			return starttls_fail(err, errlen, "SMTP STARTTLS refused", l->text, l->len);
		if (!l->final)
			return STARTTLS_MORE;
		return starttls_go_ahead(in, err, errlen);
	case SMTP_DONE:
		break;
	}
	return starttls_fail(err, errlen, "SMTP exchange already finished", NULL, 0);
}

static enum starttls_rc smtp_step(void *ctx, struct evbuffer *in, struct evbuffer *out,
                                  const char *host, char *err, size_t errlen)
{
	struct smtp_ctx *c = ctx;
	struct starttls_line line;
	enum starttls_rc rc = STARTTLS_MORE;
	int got;

	if (c->state == SMTP_DONE)
		return starttls_fail(err, errlen, "SMTP exchange already finished", NULL, 0);
	rc = starttls_check_budget(&c->io, in, err, errlen);
	while (rc == STARTTLS_MORE) {
		got = starttls_read_reply(&c->io, &c->reply, in, 1, &line, err, errlen);
		if (got == 0)
			return STARTTLS_MORE;
		if (got < 0)
			rc = STARTTLS_FAIL;
		else
			rc = smtp_on_line(c, &line, in, out, host, err, errlen);
	}
	c->state = SMTP_DONE;
	return rc;
}

const struct starttls_proto starttls_smtp = {
	.name = "smtp",
	.ports = { 25, 587, 0 },
	.server_first = 1,
	.greeting = "220",
	.ctx_size = sizeof(struct smtp_ctx),
	.step = smtp_step,
};
