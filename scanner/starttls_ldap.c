/*
 * starttls_ldap.c: LDAP StartTLS extended operation (RFC 4511 4.14) as a two-state machine.
 *
 *   LDAP_REQUEST   (client first) send the ExtendedRequest, message ID 1:
 *                    30 1d                  LDAPMessage SEQUENCE, 29 bytes
 *                       02 01 01            messageID 1
 *                       77 18               [APPLICATION 23] ExtendedRequest, 24 bytes
 *                          80 16 "1.3.6.1.4.1.1466.20037"   requestName [0], 22 bytes
 *   LDAP_RESPONSE  wait for one whole LDAPMessage, then parse it:
 *                    30 L  02 n messageID  78 L  0a n resultCode  04 n matchedDN
 *                                                 04 n diagnosticMessage  ...
 *                  resultCode 0 -> READY (`in` must be empty), else fail quoting the
 *                  diagnosticMessage. messageID 0 is an unsolicited notification (e.g. Notice of
 *                  Disconnection) and fails.
 *
 * BER is read defensively: single-byte tags only; short lengths and long ones of 1..4 bytes;
 * no indefinite lengths; every inner length is checked against its parent; the whole message is
 * bounded by STARTTLS_MAX_LINE before anything is copied.
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "scanner/starttls.h"
#include "scanner/starttls_int.h"

#define LDAP_MAX_MESSAGE STARTTLS_MAX_LINE
#define BER_SEQUENCE 0x30
#define BER_INTEGER 0x02
#define BER_ENUMERATED 0x0a
#define BER_OCTET_STRING 0x04
#define LDAP_EXTENDED_RESPONSE 0x78  /* [APPLICATION 24], constructed */

enum ldap_state { LDAP_REQUEST, LDAP_RESPONSE, LDAP_DONE };

struct ldap_ctx {
	struct starttls_io io;
	enum ldap_state state;
};

static const unsigned char ldap_starttls_request[] = {
	0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16,
	'1', '.', '3', '.', '6', '.', '1', '.', '4', '.', '1', '.',
	'1', '4', '6', '6', '.', '2', '0', '0', '3', '7',
};

/* One TLV inside a complete message. */
struct ber_tlv {
	unsigned char tag;
	const unsigned char *val;  /* points into the message; not owned */
	size_t len;
};

/*
 * Parses a tag and length at p[0..n). Returns the header size, 0 when more bytes are needed,
 * -1 when malformed (multi-byte tag, indefinite or over-long length).
 */
static int ber_header(const unsigned char *p, size_t n, unsigned char *tag, size_t *len)
{
	size_t nb, v = 0;

	if (n < 2)
		return 0;
	if ((p[0] & 0x1f) == 0x1f)
		return -1;
	*tag = p[0];
	if (p[1] < 0x80) {
		*len = p[1];
		return 2;
	}
	nb = p[1] & 0x7f;
	if (nb == 0 || nb > 4)
		return -1;
	if (n < 2 + nb)
		return 0;
	for (size_t i = 0; i < nb; i++)
		v = v << 8 | p[2 + i];
	*len = v;
	return (int)(2 + nb);
}

/* Takes the next TLV from [*p, end); 0 on success, -1 when it does not fit. */
static int ber_next(const unsigned char **p, const unsigned char *end, struct ber_tlv *t)
{
	size_t avail = (size_t)(end - *p);
	int h = ber_header(*p, avail, &t->tag, &t->len);

	if (h <= 0 || t->len > avail - (size_t)h)
		return -1;
	t->val = *p + h;
	*p = t->val + t->len;
	return 0;
}

/* A non-negative INTEGER/ENUMERATED of at most 4 bytes; -1 otherwise. */
static long ber_uint(const struct ber_tlv *t)
{
	unsigned long v = 0;

	if (t->len == 0 || t->len > 4 || (t->val[0] & 0x80))
		return -1;
	for (size_t i = 0; i < t->len; i++)
		v = v << 8 | t->val[i];
	return (long)v;
}

/* Parses a whole LDAPMessage holding the ExtendedResponse. */
static enum starttls_rc ldap_parse(const unsigned char *msg, size_t n, struct evbuffer *in,
                                   char *err, size_t errlen)
{
	const unsigned char *p = msg, *end = msg + n, *q, *qend;
	struct ber_tlv outer, id, op, code, dn, diag = { 0, NULL, 0 };
	long msgid, result;
	char what[96];

	if (ber_next(&p, end, &outer) != 0 || outer.tag != BER_SEQUENCE)
		return starttls_fail(err, errlen, "malformed LDAP response", msg, n);
	q = outer.val;
	qend = outer.val + outer.len;
	if (ber_next(&q, qend, &id) != 0 || id.tag != BER_INTEGER ||
	    (msgid = ber_uint(&id)) < 0 || ber_next(&q, qend, &op) != 0)
		return starttls_fail(err, errlen, "malformed LDAP response", msg, n);
	if (op.tag != LDAP_EXTENDED_RESPONSE)
		return starttls_fail(err, errlen, "unexpected LDAP response", msg, n);
	q = op.val;
	qend = op.val + op.len;
	if (ber_next(&q, qend, &code) != 0 || code.tag != BER_ENUMERATED ||
	    (result = ber_uint(&code)) < 0 ||
	    ber_next(&q, qend, &dn) != 0 || dn.tag != BER_OCTET_STRING ||
	    ber_next(&q, qend, &diag) != 0 || diag.tag != BER_OCTET_STRING)
		return starttls_fail(err, errlen, "malformed LDAP ExtendedResponse", msg, n);
	if (msgid == 0)
		return starttls_fail(err, errlen, "LDAP server sent a notice of disconnection",
		                     diag.val, diag.len);
	if (msgid != 1)
		return starttls_fail(err, errlen, "unexpected LDAP message ID", NULL, 0);
	if (result != 0) {
		snprintf(what, sizeof(what), "LDAP StartTLS refused (resultCode %ld)", result);
		return starttls_fail(err, errlen, what, diag.val, diag.len);
	}
	return starttls_go_ahead(in, err, errlen);
}

/* Waits for one whole LDAPMessage in `in`, takes it out and parses it. */
static enum starttls_rc ldap_response(struct ldap_ctx *c, struct evbuffer *in,
                                      char *err, size_t errlen)
{
	unsigned char msg[LDAP_MAX_MESSAGE];
	unsigned char tag;
	size_t len, have = evbuffer_get_length(in), total;
	int h;

	if (starttls_peek(in, msg, have < 6 ? have : 6) != 0)
		return starttls_fail(err, errlen, "cannot read input buffer", NULL, 0);
	h = ber_header(msg, have < 6 ? have : 6, &tag, &len);
	if (h == 0)
		return STARTTLS_MORE;
	if (h < 0 || tag != BER_SEQUENCE)  /* quote nothing: what is pending depends on timing */
		return starttls_fail(err, errlen, "malformed LDAP response", NULL, 0);
	if (len > LDAP_MAX_MESSAGE - (size_t)h)
		return starttls_fail(err, errlen, "LDAP response too long", NULL, 0);
	total = (size_t)h + len;
	if (have < total)
		return STARTTLS_MORE;
	if (starttls_peek(in, msg, total) != 0)
		return starttls_fail(err, errlen, "cannot read input buffer", NULL, 0);
	starttls_consume(&c->io, in, total);
	return ldap_parse(msg, total, in, err, errlen);
}

static enum starttls_rc ldap_step(void *ctx, struct evbuffer *in, struct evbuffer *out,
                                  const char *host, char *err, size_t errlen)
{
	struct ldap_ctx *c = ctx;
	enum starttls_rc rc;

	if (c->state == LDAP_DONE)
		return starttls_fail(err, errlen, "LDAP exchange already finished", NULL, 0);
	rc = starttls_check_budget(&c->io, in, err, errlen);
	if (rc == STARTTLS_MORE && c->state == LDAP_REQUEST) {
		c->state = LDAP_RESPONSE;
		rc = starttls_send(out, ldap_starttls_request, sizeof(ldap_starttls_request),
		                   err, errlen);
	}
	if (rc == STARTTLS_MORE && evbuffer_get_length(in) > 0)
		rc = ldap_response(c, in, err, errlen);
	if (rc != STARTTLS_MORE)
		c->state = LDAP_DONE;
	return rc;
}

const struct starttls_proto starttls_ldap = {
	.name = "ldap",
	.ports = { 389, 0 },
	.server_first = 0,
	.greeting = NULL,
	.ctx_size = sizeof(struct ldap_ctx),
	.step = ldap_step,
};
