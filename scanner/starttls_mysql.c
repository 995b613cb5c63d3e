/*
 * starttls_mysql.c: MySQL/MariaDB SSL upgrade (client/server protocol, "Initial Handshake" and
 * "SSLRequest" packets) as a one-state machine.
 *
 *   MYSQL_GREETING  wait for the whole first packet:
 *                     3-byte LE payload length, sequence id 0, payload:
 *                     0x0a (protocol 10) | server version, NUL-terminated | connection id (4) |
 *                     auth-plugin-data part 1 (8) | filler (1) | capability flags, low 2 bytes | ...
 *                   0xff instead of 0x0a is an ERR packet ("Host ... is not allowed to connect"):
 *                   fail quoting its message. Without CLIENT_SSL (0x0800) fail. Otherwise send
 *                   the SSLRequest and READY: 4-byte header (length 32, sequence id 1), then
 *                     capability flags (4, LE) CLIENT_SSL | CLIENT_PROTOCOL_41 |
 *                     CLIENT_SECURE_CONNECTION, max packet 16 MiB (4, LE), charset 33 (utf8), 23 zeros.
 *
 * The packet length is bounded by STARTTLS_MAX_LINE before anything is copied; real greetings
 * are under 128 bytes.
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "scanner/starttls.h"
#include "scanner/starttls_int.h"

#define MYSQL_MAX_PACKET STARTTLS_MAX_LINE
#define MYSQL_PROTOCOL_10 0x0a
#define MYSQL_ERR_PACKET 0xff
#define CLIENT_PROTOCOL_41 0x00000200u
#define CLIENT_SSL 0x00000800u
#define CLIENT_SECURE_CONNECTION 0x00008000u

enum mysql_state { MYSQL_GREETING, MYSQL_DONE };

struct mysql_ctx {
	struct starttls_io io;
	enum mysql_state state;
};

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static enum starttls_rc mysql_send_ssl_request(struct evbuffer *out, char *err, size_t errlen)
{
	unsigned char pkt[4 + 32];

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 32;   /* payload length, LE */
	pkt[3] = 1;    /* sequence id */
	put_le32(pkt + 4, CLIENT_SSL | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION);
	put_le32(pkt + 8, 16u * 1024 * 1024);
	pkt[12] = 33;  /* utf8_general_ci; 23 reserved zero bytes follow */
	return starttls_send(out, pkt, sizeof(pkt), err, errlen);
}

/* ERR packet: 0xff, error code (2, LE), ["#" sqlstate (5)], message. */
static enum starttls_rc mysql_error(const unsigned char *p, size_t n, char *err, size_t errlen)
{
	char what[48];
	unsigned code = n >= 3 ? (unsigned)p[1] | (unsigned)p[2] << 8 : 0;
	size_t off = n >= 3 ? 3 : n;

	if (n >= 9 && p[3] == '#')
		off = 9;
	snprintf(what, sizeof(what), "MySQL error %u", code);
	return starttls_fail(err, errlen, what, p + off, n - off);
}

static enum starttls_rc mysql_greeting(const unsigned char *p, size_t n, struct evbuffer *in,
                                       struct evbuffer *out, char *err, size_t errlen)
{
	const unsigned char *nul;
	size_t off;
	unsigned caps;

	if (p[0] == MYSQL_ERR_PACKET)
		return mysql_error(p, n, err, errlen);
	if (p[0] != MYSQL_PROTOCOL_10)
		return starttls_fail(err, errlen, "unsupported MySQL protocol", p, n);
	nul = memchr(p + 1, 0, n - 1);
	if (nul == NULL)
		return starttls_fail(err, errlen, "malformed MySQL greeting", p, n);
	off = (size_t)(nul - p) + 1;
	/* connection id (4), auth data part 1 (8), filler (1), capabilities low (2) */
	if (n - off < 4 + 8 + 1 + 2)
		return starttls_fail(err, errlen, "truncated MySQL greeting", p, n);
	caps = (unsigned)p[off + 13] | (unsigned)p[off + 14] << 8;
	if (!(caps & CLIENT_SSL))
		return starttls_fail(err, errlen, "MySQL server does not support SSL",
		                     p + 1, (size_t)(nul - p) - 1);
	if (evbuffer_get_length(in) != 0)
		return starttls_go_ahead(in, err, errlen);
	if (mysql_send_ssl_request(out, err, errlen) != STARTTLS_MORE)
		return STARTTLS_FAIL;
	return STARTTLS_READY;
}

static enum starttls_rc mysql_step(void *ctx, struct evbuffer *in, struct evbuffer *out,
                                   const char *host, char *err, size_t errlen)
{
	struct mysql_ctx *c = ctx;
	unsigned char pkt[MYSQL_MAX_PACKET];
	size_t len, have = evbuffer_get_length(in);
	enum starttls_rc rc;

	if (c->state == MYSQL_DONE)
		return starttls_fail(err, errlen, "MySQL exchange already finished", NULL, 0);
	rc = starttls_check_budget(&c->io, in, err, errlen);
	if (rc != STARTTLS_MORE)
		goto out;
	if (have < 4)
		return STARTTLS_MORE;
	if (starttls_peek(in, pkt, 4) != 0) {
		rc = starttls_fail(err, errlen, "cannot read input buffer", NULL, 0);
		goto out;
	}
	len = (size_t)pkt[0] | (size_t)pkt[1] << 8 | (size_t)pkt[2] << 16;
	if (pkt[3] != 0 || len == 0 || len > MYSQL_MAX_PACKET - 4) {
		rc = starttls_fail(err, errlen, pkt[3] != 0 ? "unexpected MySQL packet sequence"
		                   : "bad MySQL greeting length", pkt, 4);
		goto out;
	}
	if (have < 4 + len)
		return STARTTLS_MORE;
	if (starttls_peek(in, pkt, 4 + len) != 0) {
		rc = starttls_fail(err, errlen, "cannot read input buffer", NULL, 0);
		goto out;
	}
	starttls_consume(&c->io, in, 4 + len);
	rc = mysql_greeting(pkt + 4, len, in, out, err, errlen);
out:
	c->state = MYSQL_DONE;
	return rc;
}

const struct starttls_proto starttls_mysql = {
	.name = "mysql",
	.ports = { 3306, 0 },
	.server_first = 1,
	.greeting = NULL,
	.ctx_size = sizeof(struct mysql_ctx),
	.step = mysql_step,
};
