/*
 * starttls_postgres.c: PostgreSQL SSLRequest (protocol docs 53.2.10 "SSL Session Encryption").
 *
 *   PG_SSLREQUEST  (client first) send Int32 length 8, Int32 code 80877103 (0x04d2162f)
 *   PG_RESPONSE    read one byte: 'S' -> READY (`in` must be empty after it);
 *                  'N' -> fail "server does not support SSL";
 *                  'E' -> an ErrorResponse (e.g. a server refusing the connection): fail
 *                         quoting its message;
 *                  anything else fails as garbage.
 */
#include <string.h>

#include <event2/buffer.h>

#include "scanner/starttls.h"
#include "scanner/starttls_int.h"

#define PG_MAX_ERROR STARTTLS_MAX_LINE

enum pg_state { PG_SSLREQUEST, PG_RESPONSE, PG_DONE };

struct pg_ctx {
	struct starttls_io io;
	enum pg_state state;
};

static const unsigned char pg_sslrequest[8] = { 0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f };

/*
 * An ErrorResponse: 'E', Int32 length (itself included), then fields, each a type byte and a
 * NUL-terminated string, ended by a 0 byte. Waits for all of it (bounded) and quotes the 'M'
 * (message) field. A pre-7.4 server answers with 'E' and a bare string instead: its "length" is
 * text and out of bounds, and it fails quoting those four bytes.
 */
static enum starttls_rc pg_error(struct pg_ctx *c, struct evbuffer *in, char *err, size_t errlen)
{
	static const char what[] = "PostgreSQL server refused SSLRequest";
	unsigned char msg[PG_MAX_ERROR];
	size_t len, i;

	if (starttls_peek(in, msg, 5) != 0)
		return STARTTLS_MORE;
	len = (size_t)msg[1] << 24 | (size_t)msg[2] << 16 | (size_t)msg[3] << 8 | msg[4];
	if (len < 4 || len > sizeof(msg) - 1)
		return starttls_fail(err, errlen, what, msg + 1, 4);
	if (starttls_peek(in, msg, 1 + len) != 0)
		return STARTTLS_MORE;
	starttls_consume(&c->io, in, 1 + len);
	for (i = 5; i < 1 + len && msg[i] != 0;) {
		unsigned char type = msg[i++];
		const unsigned char *nul = memchr(msg + i, 0, 1 + len - i);
		size_t flen = nul ? (size_t)(nul - (msg + i)) : 1 + len - i;

		if (type == 'M')
			return starttls_fail(err, errlen, what, msg + i, flen);
		i += flen + 1;
	}
	return starttls_fail(err, errlen, what, NULL, 0);
}

static enum starttls_rc pg_response(struct pg_ctx *c, struct evbuffer *in,
                                    char *err, size_t errlen)
{
	unsigned char b;

	if (starttls_peek(in, &b, 1) != 0)
		return STARTTLS_MORE;
	switch (b) {
	case 'S':
		starttls_consume(&c->io, in, 1);
		return starttls_go_ahead(in, err, errlen);
	case 'N':
		return starttls_fail(err, errlen, "server does not support SSL", NULL, 0);
	case 'E':
		return pg_error(c, in, err, errlen);
	default:
		return starttls_fail(err, errlen, "unexpected PostgreSQL reply", &b, 1);
	}
}

static enum starttls_rc pg_step(void *ctx, struct evbuffer *in, struct evbuffer *out,
                                const char *host, char *err, size_t errlen)
{
	struct pg_ctx *c = ctx;
	enum starttls_rc rc;

	if (c->state == PG_DONE)
		return starttls_fail(err, errlen, "PostgreSQL exchange already finished", NULL, 0);
	rc = starttls_check_budget(&c->io, in, err, errlen);
	if (rc == STARTTLS_MORE && c->state == PG_SSLREQUEST) {
		c->state = PG_RESPONSE;
		rc = starttls_send(out, pg_sslrequest, sizeof(pg_sslrequest), err, errlen);
	}
	if (rc == STARTTLS_MORE && evbuffer_get_length(in) > 0)
		rc = pg_response(c, in, err, errlen);
	if (rc != STARTTLS_MORE)
		c->state = PG_DONE;
	return rc;
}

const struct starttls_proto starttls_postgres = {
	.name = "postgres",
	.ports = { 5432, 0 },
	.server_first = 0,
	.greeting = NULL,
	.ctx_size = sizeof(struct pg_ctx),
	.step = pg_step,
};
