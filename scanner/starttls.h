/*
 * starttls.h: STARTTLS protocol modules, each a tiny state machine over buffered I/O.
 *
 * A module is a const descriptor in the registry (starttls_protocols[]). The engine owns the
 * connection; per connection it allocates `ctx_size` zeroed bytes for the module's state, then:
 *   - right after TCP connect, calls step(ctx, in, out, ...) with an empty `in` (a client-first
 *     protocol writes its first command into `out` here);
 *   - whenever bytes arrive, appends them to `in` and calls step again. The module consumes what
 *     it has parsed from `in` (evbuffer_drain / evbuffer_readln) and writes replies to `out`.
 * step returns STARTTLS_MORE (need more bytes), STARTTLS_READY (the server agreed: start the TLS
 * handshake now; `in` must be empty), or STARTTLS_FAIL (err holds a short reason; any text
 * quoted from the server must be passed through starttls_quote()).
 * Modules never allocate beyond their ctx and never touch sockets: this keeps them testable by
 * feeding canned server bytes, and fuzzable.
 *
 * Bounds: a module fails when a line exceeds STARTTLS_MAX_LINE or when more than
 * STARTTLS_MAX_INPUT bytes arrive without reaching READY (hostile or slow-drip servers).
 */
#ifndef CS_STARTTLS_H
#define CS_STARTTLS_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

#define STARTTLS_MAX_LINE 4096
#define STARTTLS_MAX_INPUT (64 * 1024)

enum starttls_rc { STARTTLS_MORE = 0, STARTTLS_READY = 1, STARTTLS_FAIL = -1 };

struct starttls_proto {
	const char *name;             /* "smtp", "imap", ... (the --starttls value) */
	uint16_t ports[4];            /* well-known ports for --starttls auto, 0-terminated */
	int server_first;             /* 1 when the server greets first */
	const char *greeting;         /* prefix that identifies the greeting for auto ("220 "), or NULL */
	size_t ctx_size;              /* bytes of per-connection state the engine allocates (zeroed) */
	/* host: the name to announce (EHLO, XMPP to=), may be NULL. */
	enum starttls_rc (*step)(void *ctx, struct evbuffer *in, struct evbuffer *out,
	                         const char *host, char *err, size_t errlen);
};

/* NULL-terminated registry. */
extern const struct starttls_proto *const starttls_protocols[];

/* Looks a protocol up by name; NULL when unknown. */
const struct starttls_proto *starttls_find(const char *name);
/* The protocol whose well-known port this is, or NULL. */
const struct starttls_proto *starttls_by_port(uint16_t port);
/* The server-first protocol whose greeting prefixes these bytes, or NULL. */
const struct starttls_proto *starttls_by_greeting(const unsigned char *buf, size_t len);
/* Copies up to 80 bytes of peer text into dst as printable ASCII (others become '.'). */
void starttls_quote(char *dst, size_t dstlen, const unsigned char *src, size_t srclen);

#endif
