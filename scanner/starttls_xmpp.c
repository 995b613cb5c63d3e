/*
 * starttls_xmpp.c: XMPP client STARTTLS (RFC 6120 5.4) as a three-state machine.
 *
 *   XMPP_HEADER    (client first) send the stream header       -> XMPP_FEATURES
 *   XMPP_FEATURES  read the server's stream header and <stream:features>; note <starttls>
 *                  inside; at </stream:features> send <starttls/> (or fail when absent)
 *   XMPP_PROCEED   <proceed/> -> READY (`in` must be empty); <failure/> fails
 *
 * In any state <stream:error> fails, naming its condition: the element after it (RFC 6120 4.9.3,
 * e.g. "host-unknown" from Prosody when to= names no host it serves). An empty <stream:error/>,
 * or one closed before any condition, fails without a name.
 *
 * No XML parser: the stream is cut into chunks ending at '>' (starttls_read_until), each chunk is
 * optional character data plus one tag, and only the tag's name is looked at ("stream:features",
 * "/stream:features", "starttls", "proceed", "failure", "stream:error", "/stream:stream").
 * Chunks are bounded by STARTTLS_MAX_LINE and the whole exchange by STARTTLS_MAX_INPUT, so the
 * buffering is bounded whatever the server sends. The header's to= is the host when it is a DNS
 * name or an IPv4 address (nothing that could close the quote), and is left out otherwise.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "scanner/starttls.h"
#include "scanner/starttls_int.h"

enum xmpp_state { XMPP_HEADER, XMPP_FEATURES, XMPP_PROCEED, XMPP_DONE };

struct xmpp_ctx {
	struct starttls_io io;
	enum xmpp_state state;
	int in_features;   /* inside <stream:features> */
	int has_starttls;  /* <starttls> seen inside it */
	int in_error;      /* inside <stream:error>: the next element names the condition */
};

#define XMPP_HEADER_FMT "<?xml version='1.0'?><stream:stream xmlns='jabber:client' " \
	"xmlns:stream='http://etherx.jabber.org/streams'%s%s%s version='1.0'>"

/* The name of the tag in a chunk, a leading '/' kept for an end tag. */
struct xmpp_tag {
	const char *name;  /* points into the chunk; not owned */
	size_t len;
	int empty;         /* self-closing: <name .../> */
};

static int xmpp_tag(const struct starttls_line *l, struct xmpp_tag *t)
{
	const char *lt = memchr(l->text, '<', l->len);
	const char *end = l->text + l->len, *p;

	if (lt == NULL)
		return 0;
	p = lt + 1;
	t->name = p;
	if (p < end && *p == '/')
		p++;
	while (p < end && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' && *p != '/')
		p++;
	t->len = (size_t)(p - t->name);
	t->empty = l->len > 0 && l->text[l->len - 1] == '/';
	return 1;
}

static int tag_is(const struct xmpp_tag *t, const char *name)
{
	return t->len == strlen(name) && memcmp(t->name, name, t->len) == 0;
}

static enum starttls_rc xmpp_send_header(struct evbuffer *out, const char *host,
                                         char *err, size_t errlen)
{
	char hdr[512];
	unsigned char addr[4];
	int named = starttls_is_dns_name(host) ||
	            (host != NULL && inet_pton(AF_INET, host, addr) == 1);

	snprintf(hdr, sizeof(hdr), XMPP_HEADER_FMT, named ? " to='" : "", named ? host : "",
	         named ? "'" : "");
	return starttls_send(out, hdr, strlen(hdr), err, errlen);
}

static enum starttls_rc xmpp_on_chunk(struct xmpp_ctx *c, const struct starttls_line *l,
                                      struct evbuffer *in, struct evbuffer *out,
                                      char *err, size_t errlen)
{
	static const char starttls_cmd[] = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
	struct xmpp_tag t;

	if (!xmpp_tag(l, &t))
		return STARTTLS_MORE;  /* character data, e.g. whitespace keepalives */
	if (c->in_error) {
		if (t.len > 0 && t.name[0] != '/')
			return starttls_fail(err, errlen, "XMPP stream error", t.name, t.len);
		return starttls_fail(err, errlen, "XMPP stream error", NULL, 0);
	}
	if (tag_is(&t, "stream:error")) {
		if (t.empty)
			return starttls_fail(err, errlen, "XMPP stream error", NULL, 0);
		c->in_error = 1;
		return STARTTLS_MORE;
	}
	if (tag_is(&t, "/stream:stream"))
		return starttls_fail(err, errlen, "XMPP server closed the stream", NULL, 0);
	switch (c->state) {
	case XMPP_FEATURES:
		if (tag_is(&t, "stream:features")) {
			c->in_features = !t.empty;
			if (c->in_features)
				return STARTTLS_MORE;
		} else if (c->in_features && tag_is(&t, "starttls")) {
			c->has_starttls = 1;
			return STARTTLS_MORE;
		} else if (!tag_is(&t, "/stream:features")) {
			return STARTTLS_MORE;
		}
		if (!c->has_starttls)
			return starttls_fail(err, errlen, "server does not offer STARTTLS", NULL, 0);
		c->in_features = 0;
		c->state = XMPP_PROCEED;
		return starttls_send(out, starttls_cmd, sizeof(starttls_cmd) - 1, err, errlen);
	case XMPP_PROCEED:
		if (tag_is(&t, "proceed"))
			return starttls_go_ahead(in, err, errlen);
		if (tag_is(&t, "failure"))
			return starttls_fail(err, errlen, "XMPP STARTTLS refused", l->text, l->len);
		return STARTTLS_MORE;
	case XMPP_HEADER:
	case XMPP_DONE:
		break;
	}
	return starttls_fail(err, errlen, "XMPP exchange in a bad state", NULL, 0);
}

static enum starttls_rc xmpp_step(void *ctx, struct evbuffer *in, struct evbuffer *out,
                                  const char *host, char *err, size_t errlen)
{
	struct xmpp_ctx *c = ctx;
	struct starttls_line chunk;
	enum starttls_rc rc;
	int got;

	if (c->state == XMPP_DONE)
		return starttls_fail(err, errlen, "XMPP exchange already finished", NULL, 0);
	rc = starttls_check_budget(&c->io, in, err, errlen);
	if (rc == STARTTLS_MORE && c->state == XMPP_HEADER) {
		c->state = XMPP_FEATURES;
		rc = xmpp_send_header(out, host, err, errlen);
	}
	while (rc == STARTTLS_MORE) {
		got = starttls_read_until(&c->io, in, '>', &chunk, err, errlen);
		if (got == 0)
			return STARTTLS_MORE;
		rc = got < 0 ? STARTTLS_FAIL : xmpp_on_chunk(c, &chunk, in, out, err, errlen);
	}
	c->state = XMPP_DONE;
	return rc;
}

const struct starttls_proto starttls_xmpp = {
	.name = "xmpp",
	.ports = { 5222, 0 },
	.server_first = 0,
	.greeting = NULL,
	.ctx_size = sizeof(struct xmpp_ctx),
	.step = xmpp_step,
};
