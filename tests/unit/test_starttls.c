/*
 * test_starttls.c: the STARTTLS modules driven with canned server bytes.
 *
 * A conversation is a script of turns {server bytes, client bytes expected once they are all in};
 * turn 0 is the step right after connect (empty input). converse() plays a script delivering the
 * server bytes `chunk` at a time (1 = byte-at-a-time) and asserts that the module
 *   - writes nothing before the last byte of a turn and exactly the expected bytes after it,
 *   - returns STARTTLS_MORE until the last byte of the last turn, then STARTTLS_READY with `in`
 *     drained.
 * feed() plays server bytes until the module stops and returns how and where it stopped, for the
 * failure cases. Replies mimic real servers: Postfix and nginx mail (SMTP), Dovecot (IMAP, POP3),
 * vsftpd and ProFTPD (FTP), OpenLDAP slapd, ejabberd (XMPP), PostgreSQL, MySQL 8.0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "scanner/starttls.h"

#define S(s) (s), sizeof(s) - 1
#define NONE NULL, 0
#define WHOLE ((size_t)-1)

struct exch {
	const char *srv;  /* server bytes of this turn (may hold NULs) */
	size_t srvlen;
	const char *cli;  /* what the client must have written once they are all in */
	size_t clilen;
};

static const size_t chunk_sizes[] = { 1, 2, 3, 7, 64, WHOLE };

/* Takes everything the module wrote so far out of `out` into dst (NUL-terminated). */
static size_t take_out(struct evbuffer *out, char *dst, size_t cap)
{
	size_t n = evbuffer_get_length(out);

	assert_true(n < cap);
	assert_int_equal(evbuffer_remove(out, dst, n), (int)n);
	dst[n] = '\0';
	return n;
}

static void converse(const struct starttls_proto *p, const char *host,
                     const struct exch *script, size_t turns, size_t chunk)
{
	struct evbuffer *in = evbuffer_new(), *out = evbuffer_new();
	void *ctx = calloc(1, p->ctx_size);
	char err[256] = "", got[8192];
	enum starttls_rc rc;
	size_t n;

	assert_non_null(in);
	assert_non_null(out);
	assert_non_null(ctx);
	rc = p->step(ctx, in, out, host, err, sizeof(err));
	assert_int_equal(rc, STARTTLS_MORE);
	n = take_out(out, got, sizeof(got));
	assert_int_equal(n, script[0].clilen);
	if (n)
		assert_memory_equal(got, script[0].cli, n);
	for (size_t t = 1; t < turns; t++) {
		const struct exch *e = &script[t];
		int last_turn = t + 1 == turns;

		for (size_t off = 0; off < e->srvlen;) {
			size_t k = e->srvlen - off < chunk ? e->srvlen - off : chunk;
			int last_byte = off + k == e->srvlen;

			assert_int_equal(evbuffer_add(in, e->srv + off, k), 0);
			off += k;
			rc = p->step(ctx, in, out, host, err, sizeof(err));
			if (rc == STARTTLS_FAIL)
				fail_msg("turn %zu, %zu bytes in (chunk %zu): %s", t, off, chunk, err);
			if (!last_byte) {
				assert_int_equal(rc, STARTTLS_MORE);
				assert_int_equal(evbuffer_get_length(out), 0);
			}
		}
		assert_int_equal(rc, last_turn ? STARTTLS_READY : STARTTLS_MORE);
		n = take_out(out, got, sizeof(got));
		if (n != e->clilen || (n && memcmp(got, e->cli, n) != 0))
			fail_msg("turn %zu (chunk %zu): client wrote %zu bytes \"%s\"", t, chunk, n, got);
	}
	assert_int_equal(rc, STARTTLS_READY);
	assert_int_equal(evbuffer_get_length(in), 0);
	/* A finished module refuses to go on. */
	assert_int_equal(p->step(ctx, in, out, host, err, sizeof(err)), STARTTLS_FAIL);
	free(ctx);
	evbuffer_free(in);
	evbuffer_free(out);
}

static void converse_all(const char *name, const char *host, const struct exch *script,
                         size_t turns)
{
	const struct starttls_proto *p = starttls_find(name);

	assert_non_null(p);
	for (size_t i = 0; i < sizeof(chunk_sizes) / sizeof(chunk_sizes[0]); i++)
		converse(p, host, script, turns, chunk_sizes[i]);
}

struct result {
	enum starttls_rc rc;
	size_t fed;        /* server bytes delivered when the module stopped */
	char err[256];
	char out[8192];    /* everything the client wrote */
	size_t outlen;
};

/* Delivers srv `chunk` bytes at a time after the initial step, until the module stops. */
static void feed(const char *name, const char *host, const void *srv, size_t srvlen,
                 size_t chunk, struct result *r)
{
	const struct starttls_proto *p = starttls_find(name);
	struct evbuffer *in = evbuffer_new(), *out = evbuffer_new();
	void *ctx;

	assert_non_null(p);
	ctx = calloc(1, p->ctx_size);
	assert_non_null(ctx);
	memset(r, 0, sizeof(*r));
	r->rc = p->step(ctx, in, out, host, r->err, sizeof(r->err));
	while (r->rc == STARTTLS_MORE && r->fed < srvlen) {
		size_t k = srvlen - r->fed < chunk ? srvlen - r->fed : chunk;

		assert_int_equal(evbuffer_add(in, (const char *)srv + r->fed, k), 0);
		r->fed += k;
		r->rc = p->step(ctx, in, out, host, r->err, sizeof(r->err));
	}
	r->outlen = take_out(out, r->out, sizeof(r->out));
	free(ctx);
	evbuffer_free(in);
	evbuffer_free(out);
}

/* Asserts srv makes `name` fail with an error containing `want`, byte-at-a-time and whole. */
static void expect_fail(const char *name, const char *host, const void *srv, size_t srvlen,
                        const char *want)
{
	struct result r1, rw;

	feed(name, host, srv, srvlen, 1, &r1);
	feed(name, host, srv, srvlen, WHOLE, &rw);
	if (r1.rc != STARTTLS_FAIL || strstr(r1.err, want) == NULL)
		fail_msg("%s byte-at-a-time: rc %d err \"%s\", want \"%s\"", name, r1.rc, r1.err, want);
	if (rw.rc != STARTTLS_FAIL || strstr(rw.err, want) == NULL)
		fail_msg("%s whole: rc %d err \"%s\", want \"%s\"", name, rw.rc, rw.err, want);
	assert_string_equal(r1.err, rw.err);
	for (const char *c = r1.err; *c; c++)
		assert_true(*c >= 0x20 && *c < 0x7f);
}

/* Asserts srv, delivered in one piece, makes `name` fail with `want` (for data after go-ahead). */
static void expect_fail_whole(const char *name, const void *srv, size_t srvlen, const char *want)
{
	struct result r;

	feed(name, "example.test", srv, srvlen, WHOLE, &r);
	assert_int_equal(r.rc, STARTTLS_FAIL);
	if (strstr(r.err, want) == NULL)
		fail_msg("%s: err \"%s\", want \"%s\"", name, r.err, want);
}

/* ---- SMTP ---- */

static const char postfix_ehlo_reply[] =
	"250-mx.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n"
	"250-ETRN\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
	"250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n";

static void test_smtp_postfix(void **state)
{
	const struct exch script[] = {
		{ NONE, NONE },
		{ S("220 mx.example.test ESMTP Postfix (Debian/GNU)\r\n"),
		  S("EHLO mx.example.test\r\n") },
		{ S(postfix_ehlo_reply), S("STARTTLS\r\n") },
		{ S("220 2.0.0 Ready to start TLS\r\n"), NONE },
	};

	(void)state;
	converse_all("smtp", "mx.example.test", script, 4);
}

static void test_smtp_nginx_multiline_greeting(void **state)
{
	/* nginx mail proxy, greeting split over two lines, no host given, LF-only last line */
	const struct exch script[] = {
		{ NONE, NONE },
		{ S("220-localhost ESMTP ready\r\n220 no UCE\n"), S("EHLO certsweep.invalid\r\n") },
		{ S("250-localhost\r\n250-SIZE 10485760\r\n250-8BITMIME\r\n250-PIPELINING\r\n"
		    "250-starttls\r\n250 AUTH PLAIN LOGIN\r\n"), S("STARTTLS\r\n") },
		{ S("220 2.0.0 Start TLS\r\n"), NONE },
	};

	(void)state;
	converse_all("smtp", NULL, script, 4);
}

static void test_smtp_ehlo_names(void **state)
{
	struct result r;
	static const char greet[] = "220 mx ESMTP\r\n";

	(void)state;
	feed("smtp", "192.0.2.7", S(greet), WHOLE, &r);
	assert_string_equal(r.out, "EHLO [192.0.2.7]\r\n");
	feed("smtp", "2001:db8::1", S(greet), WHOLE, &r);
	assert_string_equal(r.out, "EHLO [IPv6:2001:db8::1]\r\n");
	/* Nothing a caller passes can smuggle a command into the EHLO line. */
	feed("smtp", "evil.test\r\nRCPT TO:<x@y>", S(greet), WHOLE, &r);
	assert_string_equal(r.out, "EHLO certsweep.invalid\r\n");
	feed("smtp", "", S(greet), WHOLE, &r);
	assert_string_equal(r.out, "EHLO certsweep.invalid\r\n");
	feed("smtp", "bad..name", S(greet), WHOLE, &r);
	assert_string_equal(r.out, "EHLO certsweep.invalid\r\n");
}

static void test_smtp_no_starttls(void **state)
{
	/* The first line is the server's name, not a keyword; STARTTLSX is another keyword. */
	static const char srv[] =
		"220 mx ESMTP\r\n250-STARTTLS\r\n250-STARTTLSX\r\n250-X-STARTTLS\r\n250 SIZE\r\n";
	struct result r;

	(void)state;
	expect_fail("smtp", "mx.example.test", S(srv), "server does not offer STARTTLS");
	feed("smtp", "mx.example.test", S(srv), WHOLE, &r);
	assert_string_equal(r.out, "EHLO mx.example.test\r\n"); /* never sent STARTTLS */
}

static void test_smtp_refusals(void **state)
{
	(void)state;
	expect_fail("smtp", "mx", S("220 mx ESMTP\r\n250-mx\r\n250 STARTTLS\r\n"
	                            "454 4.7.0 TLS not available due to local problem\r\n"),
	            "SMTP STARTTLS refused: \"454 4.7.0 TLS not available due to local problem\"");
	expect_fail("smtp", "mx", S("554 5.7.1 No SMTP service here\r\n"),
	            "SMTP greeting refused: \"554 5.7.1 No SMTP service here\"");
	expect_fail("smtp", "mx", S("421-busy\r\n421 try later\r\n"),
	            "SMTP greeting refused: \"421-busy\"");
	expect_fail("smtp", "mx", S("220 mx\r\n502 5.5.2 Error: command not recognized\r\n"),
	            "SMTP EHLO refused: \"502 5.5.2");
	/* Strict RFC 5321 framing: a continuation line must carry the same code. */
	expect_fail("smtp", "mx", S("220-mx\r\nhello\r\n"), "malformed reply: \"hello\"");
	expect_fail("smtp", "mx", S("220 mx\r\n250-mx\r\n251 x\r\n"), "malformed reply");
}

static void test_smtp_garbage(void **state)
{
	(void)state;
	expect_fail("smtp", "mx", S("HTTP/1.1 400 Bad Request\r\n"),
	            "malformed reply: \"HTTP/1.1 400 Bad Request\"");
	expect_fail("smtp", "mx", S("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"), "malformed reply");
	/* Non-printable bytes are quoted as dots. */
	expect_fail("smtp", "mx", S("\x16\x03\x01\x00\x05\x01\xff\x1b[2J\n"),
	            "malformed reply: \"........[2J\"");
	expect_fail("smtp", "mx", S("220x\r\n"), "malformed reply");
	expect_fail("smtp", "mx", S("2\r\n"), "malformed reply");
}

static void test_smtp_data_after_go_ahead(void **state)
{
	(void)state;
	/* A server (or a man in the middle) pipelining a reply behind the go-ahead. */
	expect_fail_whole("smtp", S("220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go ahead\r\n"
	                            "250 injected\r\n"),
	                  "unexpected data after STARTTLS go-ahead: \"250 injected..\"");
	expect_fail_whole("smtp", S("220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go ahead\r\nX"),
	                  "unexpected data after STARTTLS go-ahead");
}

/* ---- bounds, on every line-based protocol ---- */

static void fill(char *buf, size_t n, char c)
{
	memset(buf, c, n);
}

static void test_line_bounds(void **state)
{
	static char buf[STARTTLS_MAX_LINE + 64];
	static const char *const names[] = { "smtp", "imap", "pop3", "ftp", "xmpp" };
	struct result r;

	(void)state;
	/* No terminator at all: fails once STARTTLS_MAX_LINE bytes are pending. */
	fill(buf, sizeof(buf), 'A');
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		expect_fail(names[i], "example.test", buf, sizeof(buf), "line too long");
		feed(names[i], "example.test", buf, sizeof(buf), 1, &r);
		assert_int_equal(r.fed, STARTTLS_MAX_LINE);
	}
	/* A line of exactly STARTTLS_MAX_LINE bytes, CRLF included, is fine; one more is not. */
	memcpy(buf, "220 ", 4);
	fill(buf + 4, STARTTLS_MAX_LINE - 6, 'x');
	memcpy(buf + STARTTLS_MAX_LINE - 2, "\r\n", 2);
	feed("smtp", "mx", buf, STARTTLS_MAX_LINE, 1, &r);
	assert_int_equal(r.rc, STARTTLS_MORE);
	assert_string_equal(r.out, "EHLO mx\r\n");
	fill(buf + 4, STARTTLS_MAX_LINE - 5, 'x');
	memcpy(buf + STARTTLS_MAX_LINE - 1, "\r\n", 2);
	expect_fail("smtp", "mx", buf, STARTTLS_MAX_LINE + 1, "line too long: \"220 xxx");
}

/* Repeats `unit` after `prefix` until past STARTTLS_MAX_INPUT; checks the module stops there. */
static void expect_budget(const char *name, const char *prefix, const char *unit)
{
	size_t cap = STARTTLS_MAX_INPUT + 8192, n = 0;
	char *buf = malloc(cap);
	struct result r;

	assert_non_null(buf);
	n = strlen(prefix);
	memcpy(buf, prefix, n);
	while (n + strlen(unit) <= cap) {
		memcpy(buf + n, unit, strlen(unit));
		n += strlen(unit);
	}
	expect_fail(name, "example.test", buf, n, "too much input without a STARTTLS go-ahead");
	feed(name, "example.test", buf, n, 1, &r);
	assert_int_equal(r.fed, STARTTLS_MAX_INPUT + 1);
	feed(name, "example.test", buf, n, 1000, &r);
	assert_true(r.fed > STARTTLS_MAX_INPUT && r.fed <= STARTTLS_MAX_INPUT + 1000);
	free(buf);
}

static void test_input_budget(void **state)
{
	(void)state;
	/* Servers that talk forever without ever giving the go-ahead. */
	expect_budget("smtp", "", "220-still greeting you\r\n");
	expect_budget("smtp", "220 mx\r\n", "250-X-FILLER-KEYWORD\r\n");
	expect_budget("imap", "* OK ready\r\n", "* 1 EXISTS\r\n");
	expect_budget("ftp", "", "120 wait\r\n");
	expect_budget("ftp", "220-welcome\r\n", " read the rules\r\n");
	expect_budget("xmpp", "<stream:stream><stream:features>", "<x/>");
	expect_budget("xmpp", "<stream:stream>", " <presence/>");
}

/* A flood in one piece fails before anything is parsed, whatever the protocol. */
static void test_input_flood(void **state)
{
	size_t n = STARTTLS_MAX_INPUT + 1;
	char *buf = malloc(n);
	struct result r;

	(void)state;
	assert_non_null(buf);
	memset(buf, '\n', n);
	for (size_t i = 0; starttls_protocols[i] != NULL; i++) {
		feed(starttls_protocols[i]->name, NULL, buf, n, WHOLE, &r);
		assert_int_equal(r.rc, STARTTLS_FAIL);
		assert_string_equal(r.err, "too much input without a STARTTLS go-ahead");
		/* exactly the bound is not yet too much */
		feed(starttls_protocols[i]->name, NULL, buf, n - 1, WHOLE, &r);
		assert_string_not_equal(r.err, "too much input without a STARTTLS go-ahead");
	}
	free(buf);
}

/* ---- IMAP ---- */

static const char dovecot_imap_greeting[] =
	"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS "
	"LOGINDISABLED] Dovecot (Debian) ready.\r\n";

static void test_imap_dovecot(void **state)
{
	const struct exch script[] = {
		{ NONE, NONE },
		{ S(dovecot_imap_greeting), S("a001 STARTTLS\r\n") },
		{ S("a001 OK Begin TLS negotiation now.\r\n"), NONE },
	};
	/* Untagged lines before the tagged reply are skipped; PREAUTH is accepted; lower case. */
	const struct exch script2[] = {
		{ NONE, NONE },
		{ S("* PREAUTH IMAP4rev1 server logged in as tester\r\n"), S("a001 STARTTLS\r\n") },
		{ S("* CAPABILITY IMAP4rev1 STARTTLS\r\n* 3 EXISTS\r\na001 ok go\n"), NONE },
	};

	(void)state;
	converse_all("imap", "imap.example.test", script, 3);
	converse_all("imap", NULL, script2, 3);
}

static void test_imap_failures(void **state)
{
	(void)state;
	expect_fail("imap", NULL, S("* BYE Too many connections\r\n"),
	            "IMAP server closed the session: \"* BYE Too many connections\"");
	expect_fail("imap", NULL, S("* OK ready\r\n* BYE shutting down\r\n"),
	            "IMAP server closed the session");
	expect_fail("imap", NULL, S("* OK ready\r\na001 BAD Unknown command.\r\n"),
	            "IMAP STARTTLS refused: \"a001 BAD Unknown command.\"");
	expect_fail("imap", NULL, S("* OK ready\r\na001 NO [UNAVAILABLE] TLS off\r\n"),
	            "IMAP STARTTLS refused");
	expect_fail("imap", NULL, S("+OK Dovecot ready.\r\n"), "unexpected IMAP greeting");
	expect_fail("imap", NULL, S("* OKAY\r\n"), "unexpected IMAP greeting");
	expect_fail("imap", NULL, S("* OK ready\r\n+ go on\r\n"), "unexpected IMAP reply");
	expect_fail("imap", NULL, S("* OK ready\r\na002 OK\r\n"), "unexpected IMAP reply");
	expect_fail_whole("imap", S("* OK ready\r\na001 OK go\r\n* injected\r\n"),
	                  "unexpected data after STARTTLS go-ahead");
}

/* ---- POP3 ---- */

static void test_pop3_dovecot(void **state)
{
	const struct exch script[] = {
		{ NONE, NONE },
		{ S("+OK Dovecot (Debian) ready.\r\n"), S("STLS\r\n") },
		{ S("+OK Begin TLS negotiation now.\r\n"), NONE },
	};
	const struct exch bare[] = {
		{ NONE, NONE },
		{ S("+OK\n"), S("STLS\r\n") },
		{ S("+OK\n"), NONE },
	};

	(void)state;
	converse_all("pop3", "pop.example.test", script, 3);
	converse_all("pop3", NULL, bare, 3);
}

static void test_pop3_failures(void **state)
{
	(void)state;
	expect_fail("pop3", NULL, S("+OK ready\r\n-ERR Unknown command.\r\n"),
	            "POP3 STLS refused: \"-ERR Unknown command.\"");
	expect_fail("pop3", NULL, S("-ERR [SYS/TEMP] shutting down\r\n"),
	            "POP3 greeting refused");
	expect_fail("pop3", NULL, S("220 smtp\r\n"), "unexpected POP3 greeting: \"220 smtp\"");
	expect_fail("pop3", NULL, S("+OKAY\r\n"), "unexpected POP3 greeting");
	expect_fail("pop3", NULL, S("+OK\r\n+ maybe\r\n"), "unexpected POP3 reply");
	expect_fail_whole("pop3", S("+OK hi\r\n+OK go\r\n+OK injected\r\n"),
	                  "unexpected data after STARTTLS go-ahead");
}

/* ---- FTP ---- */

static void test_ftp_vsftpd(void **state)
{
	const struct exch script[] = {
		{ NONE, NONE },
		{ S("220 (vsFTPd 3.0.3)\r\n"), S("AUTH TLS\r\n") },
		{ S("234 Proceed with negotiation.\r\n"), NONE },
	};
	/* ProFTPD-style banner: free-text lines inside a multi-line 220, after a 120. */
	const struct exch banner[] = {
		{ NONE, NONE },
		{ S("120 Service ready in 1 minute\r\n220-Welcome to example FTP\r\n"
		    "  Authorized use only\r\n221 not the end\r\n220-still here\r\n"
		    "220 ProFTPD Server (Debian) [::ffff:127.0.0.1]\r\n"), S("AUTH TLS\r\n") },
		{ S("234 AUTH TLS successful\r\n"), NONE },
	};

	(void)state;
	converse_all("ftp", "ftp.example.test", script, 3);
	converse_all("ftp", NULL, banner, 3);
}

static void test_ftp_failures(void **state)
{
	(void)state;
	expect_fail("ftp", NULL, S("220 (vsFTPd 3.0.3)\r\n530 Please login with USER and PASS.\r\n"),
	            "FTP AUTH TLS refused: \"530 Please login with USER and PASS.\"");
	expect_fail("ftp", NULL, S("220 (vsFTPd 3.0.3)\r\n500 AUTH not understood\r\n"),
	            "FTP AUTH TLS refused");
	expect_fail("ftp", NULL, S("421 Too many users\r\n"), "FTP greeting refused: \"421");
	expect_fail("ftp", NULL, S("* OK IMAP\r\n"), "malformed reply");
	expect_fail_whole("ftp", S("220 x\r\n234 go\r\n220 injected\r\n"),
	                  "unexpected data after STARTTLS go-ahead");
}

/* ---- LDAP ---- */

static const char ldap_request[] =
	"\x30\x1d\x02\x01\x01\x77\x18\x80\x16" "1.3.6.1.4.1.1466.20037";

/* slapd's reply: resultCode success, empty matchedDN and diagnostic, responseName = the OID */
static const char slapd_ok[] =
	"\x30\x24\x02\x01\x01\x78\x1f\x0a\x01\x00\x04\x00\x04\x00\x8a\x16" "1.3.6.1.4.1.1466.20037";

static void test_ldap_openldap(void **state)
{
	const struct exch script[] = {
		{ NONE, S(ldap_request) },
		{ S(slapd_ok), NONE },
	};
	/* The same reply with long-form lengths (0x81 / 0x82 prefixes), minimal form absent. */
	const struct exch longform[] = {
		{ NONE, S(ldap_request) },
		{ S("\x30\x82\x00\x27\x02\x01\x01\x78\x81\x1f\x0a\x01\x00\x04\x00\x04\x00\x8a\x16"
		    "1.3.6.1.4.1.1466.20037\xa0\x00"), NONE },
	};

	(void)state;
	assert_int_equal(sizeof(ldap_request) - 1, 31);
	converse_all("ldap", "ldap.example.test", script, 2);
	converse_all("ldap", NULL, longform, 2);
}

static void test_ldap_failures(void **state)
{
	(void)state;
	/* slapd with no TLS configured: unavailable (52) */
	expect_fail("ldap", NULL,
	            S("\x30\x26\x02\x01\x01\x78\x21\x0a\x01\x34\x04\x00\x04\x18"
	              "Could not initialize TLS\x8a\x00"),
	            "LDAP StartTLS refused (resultCode 52): \"Could not initialize TLS\"");
	/* protocolError (2) from a server that does not know the operation */
	expect_fail("ldap", NULL,
	            S("\x30\x2a\x02\x01\x01\x78\x25\x0a\x01\x02\x04\x00\x04\x1e"
	              "unsupported extended operation"),
	            "resultCode 2): \"unsupported extended operation\"");
	/* Notice of Disconnection (messageID 0) */
	expect_fail("ldap", NULL,
	            S("\x30\x0f\x02\x01\x00\x78\x0a\x0a\x01\x34\x04\x00\x04\x03" "bye"),
	            "notice of disconnection: \"bye\"");
	expect_fail("ldap", NULL, S("\x30\x0c\x02\x01\x07\x78\x07\x0a\x01\x00\x04\x00\x04\x00"),
	            "unexpected LDAP message ID");
	/* a BindResponse instead */
	expect_fail("ldap", NULL, S("\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00"),
	            "unexpected LDAP response");
	/* indefinite length, 5-byte length, wrong outer tag, multi-byte tag */
	expect_fail("ldap", NULL, S("\x30\x80\x02\x01\x01"), "malformed LDAP response");
	expect_fail("ldap", NULL, S("\x30\x85\x00\x00\x00\x00\x10"), "malformed LDAP response");
	expect_fail("ldap", NULL, S("HTTP/1.0 400\r\n"), "malformed LDAP response");
	expect_fail("ldap", NULL, S("\x1f\x01\x01"), "malformed LDAP response");
	/* an outer length past the bound */
	expect_fail("ldap", NULL, S("\x30\x84\x7f\xff\xff\xff"), "LDAP response too long");
	expect_fail("ldap", NULL, S("\x30\x82\x10\x00"), "LDAP response too long");
	/* inner lengths that overrun their parent */
	expect_fail("ldap", NULL, S("\x30\x0c\x02\x01\x01\x78\x20\x0a\x01\x00\x04\x00\x04\x00"),
	            "malformed LDAP response");
	expect_fail("ldap", NULL, S("\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x05"),
	            "malformed LDAP ExtendedResponse");
	expect_fail("ldap", NULL, S("\x30\x0c\x02\x05\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00"),
	            "malformed LDAP response");
	/* empty or negative resultCode, missing diagnosticMessage */
	expect_fail("ldap", NULL, S("\x30\x0b\x02\x01\x01\x78\x06\x0a\x00\x04\x00\x04\x00"),
	            "malformed LDAP ExtendedResponse");
	expect_fail("ldap", NULL, S("\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\xff\x04\x00\x04\x00"),
	            "malformed LDAP ExtendedResponse");
	expect_fail("ldap", NULL, S("\x30\x0a\x02\x01\x01\x78\x05\x0a\x01\x00\x04\x00"),
	            "malformed LDAP ExtendedResponse");
	expect_fail_whole("ldap", S("\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00\x30"),
	                  "unexpected data after STARTTLS go-ahead");
}

/* ---- XMPP ---- */

static const char xmpp_header_to[] =
	"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
	"xmlns:stream='http://etherx.jabber.org/streams' to='example.test' version='1.0'>";
static const char xmpp_header_noto[] =
	"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
	"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";
static const char ejabberd_features[] =
	"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
	"xmlns:stream='http://etherx.jabber.org/streams' id='8046394736941585920' "
	"from='example.test' version='1.0' xml:lang='en'><stream:features>"
	"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
	"<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism>"
	"<mechanism>SCRAM-SHA-1</mechanism></mechanisms>"
	"<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://www.process-one.net/en/ejabberd/' ver='abc='/>"
	"<register xmlns='http://jabber.org/features/iq-register'/></stream:features>";
static const char xmpp_starttls[] = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";

static void test_xmpp_ejabberd(void **state)
{
	const struct exch script[] = {
		{ NONE, S(xmpp_header_to) },
		{ S(ejabberd_features), S(xmpp_starttls) },
		{ S("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), NONE },
	};
	/* whitespace keepalives, features in pieces, proceed as an open+close pair */
	const struct exch split[] = {
		{ NONE, S(xmpp_header_noto) },
		{ S("<?xml version='1.0'?>\n<stream:stream xmlns:stream='http://etherx.jabber.org/"
		    "streams' version='1.0'>  \n<stream:features>\n  <starttls\n xmlns='urn:ietf:"
		    "params:xml:ns:xmpp-tls'/>\n</stream:features>"), S(xmpp_starttls) },
		{ S(" <proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"), NONE },
	};

	(void)state;
	converse_all("xmpp", "example.test", script, 3);
	converse_all("xmpp", NULL, split, 3);
}

static void test_xmpp_host(void **state)
{
	struct result r;

	(void)state;
	feed("xmpp", "127.0.0.1", NONE, WHOLE, &r);
	assert_non_null(strstr(r.out, " to='127.0.0.1' version='1.0'>"));
	feed("xmpp", "x' evil='1", NONE, WHOLE, &r);
	assert_string_equal(r.out, xmpp_header_noto);
	feed("xmpp", "example.test", NONE, WHOLE, &r);
	assert_string_equal(r.out, xmpp_header_to);
}

static void test_xmpp_failures(void **state)
{
	(void)state;
	expect_fail("xmpp", "example.test",
	            S("<stream:stream><stream:features><mechanisms><mechanism>PLAIN</mechanism>"
	              "</mechanisms></stream:features>"), "server does not offer STARTTLS");
	/* <starttls/> outside the features does not count; empty features */
	expect_fail("xmpp", "example.test",
	            S("<stream:stream><starttls/><stream:features></stream:features>"),
	            "server does not offer STARTTLS");
	expect_fail("xmpp", "example.test", S("<stream:stream><stream:features/>"),
	            "server does not offer STARTTLS");
	expect_fail("xmpp", "example.test",
	            S("<stream:stream><stream:features><starttls/></stream:features>"
	              "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>"),
	            "XMPP STARTTLS refused: \"<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/\"");
	expect_fail("xmpp", "example.test",
	            S("<?xml version='1.0'?><stream:stream version='1.0'><stream:error>"
	              "<host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"),
	            "XMPP stream error");
	expect_fail("xmpp", "example.test", S("<stream:stream></stream:stream>"),
	            "XMPP server closed the stream");
	expect_fail_whole("xmpp", S("<stream:stream><stream:features><starttls/></stream:features>"
	                            "<proceed/><message>hi</message>"),
	                  "unexpected data after STARTTLS go-ahead: \"<message>hi</message>\"");
}

/* ---- PostgreSQL ---- */

static const char pg_sslrequest[] = "\x00\x00\x00\x08\x04\xd2\x16\x2f";

static void test_postgres(void **state)
{
	const struct exch script[] = {
		{ NONE, pg_sslrequest, 8 },
		{ S("S"), NONE },
	};

	(void)state;
	converse_all("postgres", NULL, script, 2);
	expect_fail("postgres", NULL, S("N"), "server does not support SSL");
	expect_fail("postgres", NULL,
	            S("E\x00\x00\x00\x46SFATAL\0VFATAL\0C28000\0Mno pg_hba.conf entry for host\0"
	              "Fauth.c\0L543\0\0"),
	            "PostgreSQL server refused SSLRequest: \"no pg_hba.conf entry for host\"");
	expect_fail("postgres", NULL, S("EFATAL: unsupported frontend protocol\n"),
	            "PostgreSQL server refused SSLRequest: \"FATA\"");
	expect_fail("postgres", NULL, S("E\x00\x00\x00\x05\0"),
	            "PostgreSQL server refused SSLRequest");
	expect_fail("postgres", NULL, S("HTTP/1.1 400"), "unexpected PostgreSQL reply: \"H\"");
	expect_fail_whole("postgres", S("S\x16\x03\x03"), "unexpected data after STARTTLS go-ahead");
}

/* ---- MySQL ---- */

/* A MySQL 8.0.36 Initial Handshake packet as the server sends it (78 bytes). */
static const unsigned char mysql8_greeting[] = {
	0x4a, 0x00, 0x00, 0x00,                                /* length 74, sequence 0 */
	0x0a,                                                  /* protocol 10 */
	'8', '.', '0', '.', '3', '6', 0x00,                    /* server version */
	0x0b, 0x00, 0x00, 0x00,                                /* connection id 11 */
	0x1f, 0x3c, 0x5e, 0x0b, 0x6d, 0x2a, 0x1c, 0x46,        /* auth-plugin-data part 1 */
	0x00,                                                  /* filler */
	0xff, 0xff,                                            /* capabilities (low) */
	0xff,                                                  /* charset utf8mb4_0900_ai_ci */
	0x02, 0x00,                                            /* status: autocommit */
	0xff, 0xdf,                                            /* capabilities (high) */
	0x15,                                                  /* auth data length 21 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0,                          /* reserved */
	0x3d, 0x7b, 0x61, 0x01, 0x18, 0x3f, 0x6e, 0x5a, 0x4c, 0x2f, 0x12, 0x70, 0x00,
	'c', 'a', 'c', 'h', 'i', 'n', 'g', '_', 's', 'h', 'a', '2', '_',
	'p', 'a', 's', 's', 'w', 'o', 'r', 'd', 0x00,
};

static const unsigned char mysql_ssl_request[36] = {
	0x20, 0x00, 0x00, 0x01,        /* length 32, sequence 1 */
	0x00, 0x8a, 0x00, 0x00,        /* CLIENT_SSL | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION */
	0x00, 0x00, 0x00, 0x01,        /* max packet 16 MiB */
	0x21,                          /* charset 33 */
	/* 23 zero bytes */
};

static void test_mysql8(void **state)
{
	const struct exch script[] = {
		{ NONE, NONE },
		{ (const char *)mysql8_greeting, sizeof(mysql8_greeting),
		  (const char *)mysql_ssl_request, sizeof(mysql_ssl_request) },
	};

	(void)state;
	assert_int_equal(sizeof(mysql8_greeting), 78);
	converse_all("mysql", NULL, script, 2);
}

static void test_mysql_failures(void **state)
{
	unsigned char g[sizeof(mysql8_greeting) + 1];
	static const unsigned char host_denied[] = {
		0x42, 0x00, 0x00, 0x00, 0xff, 0x6a, 0x04,
		'H', 'o', 's', 't', ' ', '\'', '1', '2', '7', '.', '0', '.', '0', '.', '2', '\'',
		' ', 'i', 's', ' ', 'n', 'o', 't', ' ', 'a', 'l', 'l', 'o', 'w', 'e', 'd', ' ',
		't', 'o', ' ', 'c', 'o', 'n', 'n', 'e', 'c', 't', ' ', 't', 'o', ' ', 't', 'h',
		'i', 's', ' ', 'M', 'y', 'S', 'Q', 'L', ' ', 's', 'e', 'r', 'v', 'e', 'r',
	};
	static const unsigned char truncated[] = { 0x09, 0, 0, 0, 0x0a, '5', 0, 1, 2, 3, 4, 5, 6 };
	static const unsigned char nonul[] = { 0x05, 0, 0, 0, 0x0a, '5', '.', '7', '.' };

	(void)state;
	assert_int_equal(sizeof(host_denied), 4 + 0x42);
	expect_fail("mysql", NULL, host_denied, sizeof(host_denied),
	            "MySQL error 1130: \"Host '127.0.0.2' is not allowed to connect");
	/* no CLIENT_SSL: clear bit 11 of the low capability bytes */
	memcpy(g, mysql8_greeting, sizeof(mysql8_greeting));
	g[4 + 1 + 7 + 4 + 8 + 1 + 1] &= (unsigned char)~0x08;
	expect_fail("mysql", NULL, g, sizeof(mysql8_greeting),
	            "MySQL server does not support SSL: \"8.0.36\"");
	/* sequence id, protocol version, lengths */
	memcpy(g, mysql8_greeting, sizeof(mysql8_greeting));
	g[3] = 1;
	expect_fail("mysql", NULL, g, sizeof(mysql8_greeting), "unexpected MySQL packet sequence");
	memcpy(g, mysql8_greeting, sizeof(mysql8_greeting));
	g[4] = 9;
	expect_fail("mysql", NULL, g, sizeof(mysql8_greeting), "unsupported MySQL protocol");
	expect_fail("mysql", NULL, S("\xff\xff\xff\x00\x0a"), "bad MySQL greeting length");
	expect_fail("mysql", NULL, S("\x00\x00\x00\x00"), "bad MySQL greeting length");
	expect_fail("mysql", NULL, truncated, sizeof(truncated), "truncated MySQL greeting");
	expect_fail("mysql", NULL, nonul, sizeof(nonul), "malformed MySQL greeting");
	expect_fail("mysql", NULL, S("220 mx ESMTP\r\n"), "unexpected MySQL packet sequence: \"220 \"");
	/* extra bytes behind the greeting: never answer */
	memcpy(g, mysql8_greeting, sizeof(mysql8_greeting));
	g[sizeof(mysql8_greeting)] = 0x42;
	expect_fail_whole("mysql", g, sizeof(g), "unexpected data after STARTTLS go-ahead");
}

/* ---- registry ---- */

static void test_registry(void **state)
{
	static const char *const names[] = {
		"smtp", "imap", "pop3", "ftp", "ldap", "xmpp", "postgres", "mysql",
	};
	size_t count = 0;

	(void)state;
	for (size_t i = 0; starttls_protocols[i] != NULL; i++) {
		const struct starttls_proto *p = starttls_protocols[i];

		assert_non_null(p->name);
		assert_non_null(p->step);
		assert_true(p->ctx_size > 0 && p->ctx_size < 256);
		assert_true(p->ports[0] != 0);
		assert_ptr_equal(starttls_find(p->name), p);
		if (!p->server_first)
			assert_null(p->greeting);
		count++;
	}
	assert_int_equal(count, sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < count; i++)
		assert_string_equal(starttls_find(names[i])->name, names[i]);
	assert_null(starttls_find("SMTP"));
	assert_null(starttls_find("http"));
	assert_null(starttls_find(""));
	assert_null(starttls_find(NULL));
}

static void test_by_port(void **state)
{
	static const struct { uint16_t port; const char *name; } cases[] = {
		{ 25, "smtp" }, { 587, "smtp" }, { 143, "imap" }, { 110, "pop3" }, { 21, "ftp" },
		{ 389, "ldap" }, { 5222, "xmpp" }, { 5432, "postgres" }, { 3306, "mysql" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(starttls_by_port(cases[i].port)->name, cases[i].name);
	assert_null(starttls_by_port(0));
	assert_null(starttls_by_port(443));
	assert_null(starttls_by_port(465));
	assert_null(starttls_by_port(993));
}

static const char *greeting_name(const void *buf, size_t len)
{
	const struct starttls_proto *p = starttls_by_greeting(buf, len);

	return p ? p->name : "(none)";
}

static void test_by_greeting(void **state)
{
	(void)state;
	assert_string_equal(greeting_name(S("220 mx.example.test ESMTP Postfix\r\n")), "smtp");
	assert_string_equal(greeting_name(S("220-multi\r\n")), "smtp");
	/* vsftpd greets with 220 too: taken as SMTP, ftp is chosen by port 21. */
	assert_string_equal(greeting_name(S("220 (vsFTPd 3.0.3)\r\n")), "smtp");
	assert_string_equal(greeting_name(S(dovecot_imap_greeting)), "imap");
	assert_string_equal(greeting_name(S("+OK Dovecot (Debian) ready.\r\n")), "pop3");
	assert_string_equal(greeting_name(mysql8_greeting, sizeof(mysql8_greeting)), "mysql");
	assert_string_equal(greeting_name(mysql8_greeting, 5), "mysql");
	assert_string_equal(greeting_name(mysql8_greeting, 4), "(none)");
	assert_string_equal(greeting_name(S("22")), "(none)");
	assert_string_equal(greeting_name(S("* O")), "(none)");
	assert_string_equal(greeting_name(S("SSH-2.0-OpenSSH_9.2p1\r\n")), "(none)");
	assert_string_equal(greeting_name(S("HTTP/1.1 400 Bad Request\r\n")), "(none)");
	assert_string_equal(greeting_name(S("\x16\x03\x03\x00\x2a")), "(none)");
	assert_string_equal(greeting_name(S("\x4a\x00\x00\x01\x0a")), "(none)");
	assert_string_equal(greeting_name(NULL, 0), "(none)");
}

static void test_quote(void **state)
{
	char dst[128], small[4];
	unsigned char src[200];

	(void)state;
	starttls_quote(dst, sizeof(dst), (const unsigned char *)"a\tb\x7f\x80\r\n~ z", 10);
	assert_string_equal(dst, "a.b....~ z");
	memset(src, 'q', sizeof(src));
	starttls_quote(dst, sizeof(dst), src, sizeof(src));
	assert_int_equal(strlen(dst), 80);
	starttls_quote(small, sizeof(small), src, sizeof(src));
	assert_string_equal(small, "qqq");
	starttls_quote(dst, sizeof(dst), src, 0);
	assert_string_equal(dst, "");
	starttls_quote(small, 0, src, 3); /* no write at all */
	assert_string_equal(small, "qqq");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smtp_postfix),
		cmocka_unit_test(test_smtp_nginx_multiline_greeting),
		cmocka_unit_test(test_smtp_ehlo_names),
		cmocka_unit_test(test_smtp_no_starttls),
		cmocka_unit_test(test_smtp_refusals),
		cmocka_unit_test(test_smtp_garbage),
		cmocka_unit_test(test_smtp_data_after_go_ahead),
		cmocka_unit_test(test_line_bounds),
		cmocka_unit_test(test_input_budget),
		cmocka_unit_test(test_input_flood),
		cmocka_unit_test(test_imap_dovecot),
		cmocka_unit_test(test_imap_failures),
		cmocka_unit_test(test_pop3_dovecot),
		cmocka_unit_test(test_pop3_failures),
		cmocka_unit_test(test_ftp_vsftpd),
		cmocka_unit_test(test_ftp_failures),
		cmocka_unit_test(test_ldap_openldap),
		cmocka_unit_test(test_ldap_failures),
		cmocka_unit_test(test_xmpp_ejabberd),
		cmocka_unit_test(test_xmpp_host),
		cmocka_unit_test(test_xmpp_failures),
		cmocka_unit_test(test_postgres),
		cmocka_unit_test(test_mysql8),
		cmocka_unit_test(test_mysql_failures),
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_by_port),
		cmocka_unit_test(test_by_greeting),
		cmocka_unit_test(test_quote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
