/*
 * starttls.c: the STARTTLS registry, its lookups, and the input helpers all modules share.
 *
 * Registry: starttls_protocols[] lists the const descriptors, one per protocol file
 * (scanner/starttls_<name>.c). Lookups go by name (--starttls smtp), by well-known port and by
 * the first bytes a server-first protocol sends (--starttls auto).
 *
 * Input helpers (starttls_int.h): modules never read `in` directly. Lines are found with
 * evbuffer_search from where the previous search stopped (io->scanned), so a server dripping one
 * byte at a time costs linear, not quadratic, work; a line is copied to the caller's stack buffer
 * and drained; every drained byte is counted in io->consumed, which starttls_check_budget holds
 * against STARTTLS_MAX_INPUT together with what is still pending.
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "scanner/starttls.h"
#include "scanner/starttls_int.h"

#define QUOTE_MAX 80

/*
 * Order matters for starttls_by_greeting: smtp and ftp both greet with "220", and smtp comes
 * first so a bare "220" is taken for SMTP. FTP is chosen by port (starttls_by_port(21)) or by
 * name, which the engine consults before looking at the greeting.
 */
const struct starttls_proto *const starttls_protocols[] = {
	&starttls_smtp,
	&starttls_imap,
	&starttls_pop3,
	&starttls_ftp,
	&starttls_ldap,
	&starttls_xmpp,
	&starttls_postgres,
	&starttls_mysql,
	NULL,
};

const struct starttls_proto *starttls_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; starttls_protocols[i] != NULL; i++)
		if (strcmp(starttls_protocols[i]->name, name) == 0)
			return starttls_protocols[i];
	return NULL;
}

const struct starttls_proto *starttls_by_port(uint16_t port)
{
	if (port == 0)
		return NULL;
	for (size_t i = 0; starttls_protocols[i] != NULL; i++) {
		const struct starttls_proto *p = starttls_protocols[i];
		for (size_t j = 0; j < sizeof(p->ports) / sizeof(p->ports[0]) && p->ports[j]; j++)
			if (p->ports[j] == port)
				return p;
	}
	return NULL;
}

/*
 * A MySQL initial handshake packet: 3-byte little-endian payload length, sequence id 0, then
 * protocol version 10. Real greetings are 50..120 bytes; anything under 16 or over
 * STARTTLS_MAX_LINE is not one we would accept anyway.
 */
static int looks_like_mysql(const unsigned char *buf, size_t len)
{
	size_t plen;

	if (len < 5)
		return 0;
	plen = (size_t)buf[0] | (size_t)buf[1] << 8 | (size_t)buf[2] << 16;
	return buf[3] == 0 && buf[4] == 10 && plen >= 16 && plen <= STARTTLS_MAX_LINE;
}

const struct starttls_proto *starttls_by_greeting(const unsigned char *buf, size_t len)
{
	if (buf == NULL)
		return NULL;
	for (size_t i = 0; starttls_protocols[i] != NULL; i++) {
		const struct starttls_proto *p = starttls_protocols[i];
		size_t glen;

		if (!p->server_first || p->greeting == NULL)
			continue;
		glen = strlen(p->greeting);
		if (len >= glen && memcmp(buf, p->greeting, glen) == 0)
			return p;
	}
	if (looks_like_mysql(buf, len))
		return &starttls_mysql;
	return NULL;
}

void starttls_quote(char *dst, size_t dstlen, const unsigned char *src, size_t srclen)
{
	size_t n;

	if (dst == NULL || dstlen == 0)
		return;
	n = srclen < QUOTE_MAX ? srclen : QUOTE_MAX;
	if (n > dstlen - 1)
		n = dstlen - 1;
	if (src == NULL)
		n = 0;
	for (size_t i = 0; i < n; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '.';
	dst[n] = '\0';
}

enum starttls_rc starttls_fail(char *err, size_t errlen, const char *what,
                               const void *peer, size_t peerlen)
{
	char q[QUOTE_MAX + 1];

	if (err == NULL || errlen == 0)
		return STARTTLS_FAIL;
	if (peer == NULL) {
		snprintf(err, errlen, "%s", what);
	} else {
		starttls_quote(q, sizeof(q), peer, peerlen);
		snprintf(err, errlen, "%s: \"%s\"", what, q);
	}
	return STARTTLS_FAIL;
}

enum starttls_rc starttls_check_budget(const struct starttls_io *io, const struct evbuffer *in,
                                       char *err, size_t errlen)
{
	size_t pending = evbuffer_get_length(in);

	if (pending > STARTTLS_MAX_INPUT || io->consumed > STARTTLS_MAX_INPUT - pending)
		return starttls_fail(err, errlen,
		                     "too much input without a STARTTLS go-ahead", NULL, 0);
	return STARTTLS_MORE;
}

void starttls_consume(struct starttls_io *io, struct evbuffer *in, size_t n)
{
	evbuffer_drain(in, n);
	io->consumed += n;
	io->scanned = 0;
}

int starttls_peek(struct evbuffer *in, void *dst, size_t n)
{
	if (evbuffer_get_length(in) < n)
		return -1;
	if (n == 0)
		return 0;
	return evbuffer_copyout(in, dst, n) == (ev_ssize_t)n ? 0 : -1;
}

int starttls_read_until(struct starttls_io *io, struct evbuffer *in, char delim,
                        struct starttls_line *l, char *err, size_t errlen)
{
	size_t pending = evbuffer_get_length(in);
	struct evbuffer_ptr start, hit;
	size_t n;

	hit.pos = -1;
	if (io->scanned < pending) {
		if (io->scanned == 0)
			hit = evbuffer_search(in, &delim, 1, NULL);
		else if (evbuffer_ptr_set(in, &start, io->scanned, EVBUFFER_PTR_SET) == 0)
			hit = evbuffer_search(in, &delim, 1, &start);
	}
	if (hit.pos < 0) {
		io->scanned = pending;
		if (pending >= STARTTLS_MAX_LINE)
			goto too_long;
		return 0;
	}
	n = (size_t)hit.pos + 1;
	if (n > STARTTLS_MAX_LINE)
		goto too_long;
	if (starttls_peek(in, l->text, n - 1) != 0)
		return starttls_fail(err, errlen, "cannot read input buffer", NULL, 0);
	l->len = n - 1;
	if (delim == '\n' && l->len > 0 && l->text[l->len - 1] == '\r')
		l->len--;
	l->text[l->len] = '\0';
	starttls_consume(io, in, n);
	return 1;

too_long:
	{
		unsigned char head[QUOTE_MAX];
		size_t hn = pending < sizeof(head) ? pending : sizeof(head);

		if (starttls_peek(in, head, hn) != 0)
			hn = 0;
		return starttls_fail(err, errlen, "line too long", head, hn);
	}
}

int starttls_read_line(struct starttls_io *io, struct evbuffer *in, struct starttls_line *l,
                       char *err, size_t errlen)
{
	return starttls_read_until(io, in, '\n', l, err, errlen);
}

/* Parses the "DDD" that starts a reply line; *sep is its 4th byte, ' ' for a bare code. */
static int reply_code(const struct starttls_line *l, int *code, char *sep)
{
	const char *t = l->text;

	if (l->len < 3 || t[0] < '1' || t[0] > '5' || t[1] < '0' || t[1] > '9' ||
	    t[2] < '0' || t[2] > '9')
		return 0;
	*sep = l->len == 3 ? ' ' : t[3];
	if (*sep != ' ' && *sep != '-')
		return 0;
	*code = (t[0] - '0') * 100 + (t[1] - '0') * 10 + (t[2] - '0');
	return 1;
}

int starttls_read_reply(struct starttls_io *io, struct starttls_reply *r, struct evbuffer *in,
                        int strict, struct starttls_line *l, char *err, size_t errlen)
{
	int rc, code = 0;
	char sep = ' ';

	rc = starttls_read_line(io, in, l, err, errlen);
	if (rc <= 0)
		return rc;
	if (r->code == 0) {
		if (!reply_code(l, &code, &sep)) {
			starttls_fail(err, errlen, "malformed reply", l->text, l->len);
			return -1;
		}
		r->code = code;
		r->lines = 0;
	} else if (!reply_code(l, &code, &sep) || code != r->code) {
		if (strict) {
			starttls_fail(err, errlen, "malformed reply", l->text, l->len);
			return -1;
		}
		sep = '-'; /* RFC 959: free text inside a multi-line reply */
	}
	l->code = r->code;
	l->index = r->lines++;
	l->final = sep != '-';
	if (l->final)
		r->code = 0;
	return 1;
}

enum starttls_rc starttls_send(struct evbuffer *out, const void *data, size_t len,
                               char *err, size_t errlen)
{
	if (evbuffer_add(out, data, len) != 0)
		return starttls_fail(err, errlen, "out of memory", NULL, 0);
	return STARTTLS_MORE;
}

enum starttls_rc starttls_go_ahead(struct evbuffer *in, char *err, size_t errlen)
{
	unsigned char head[QUOTE_MAX];
	size_t n = evbuffer_get_length(in);

	if (n == 0)
		return STARTTLS_READY;
	if (n > sizeof(head))
		n = sizeof(head);
	if (starttls_peek(in, head, n) != 0)
		n = 0;
	return starttls_fail(err, errlen, "unexpected data after STARTTLS go-ahead", head, n);
}

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

int starttls_word_at(const struct starttls_line *l, size_t off, const char *word)
{
	size_t wl = strlen(word);

	if (off > l->len || l->len - off < wl)
		return 0;
	for (size_t i = 0; i < wl; i++)
		if (lower((unsigned char)l->text[off + i]) != lower((unsigned char)word[i]))
			return 0;
	return off + wl == l->len || l->text[off + wl] == ' ';
}

int starttls_is_dns_name(const char *host)
{
	size_t label = 0, total = 0;

	if (host == NULL || host[0] == '\0')
		return 0;
	for (const char *p = host; *p; p++, total++) {
		unsigned char c = (unsigned char)*p;

		if (total >= 253)
			return 0;
		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0;
}
