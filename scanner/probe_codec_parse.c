/*
 * probe_codec_parse.c: the prober's reply parser and heartbeat request (see probe.h; the hellos
 * are built in probe_codec.c).
 *
 * The parser reads only what travels in clear: the server's first flight. It is fed whatever
 * arrived and takes complete records only (a partial record stays in `in`), so the verdict does
 * not depend on how the bytes were split. States:
 *
 *   WAIT_SH --ServerHello (TLS 1.3) or HelloRetryRequest----------------------> END (HELLO, complete)
 *      |    --ServerHello (SSLv3 .. TLS 1.2)--> FLIGHT12: [Certificate] [CertificateStatus]
 *      |                                        [ServerKeyExchange] [CertificateRequest]
 *      |                                        ServerHelloDone --> HB_WAIT (HELLO, complete)
 *      |    --alert--> END (ALERT)             an alert in FLIGHT12 --> END (HELLO, not complete)
 *      +--SSLv2 SERVER-HELLO (expect_ssl2)--> END (SSL2_HELLO); SSLv2 ERROR --> END (ALERT)
 *   HB_WAIT: a heartbeat response --> END (HEARTBEAT); an alert or anything else --> END (the
 *            HELLO stays, with the alert or a reason in err); nothing yet --> 0
 *
 * probe_parser_feed returns 1 each time *out becomes final: once for the first flight, and once
 * more from HB_WAIT (the driver sent a heartbeat request, or reads on); after END it returns 1
 * again without consuming anything. *out always shows the state so far (after a ServerHello
 * and before ServerHelloDone: kind REPLY_HELLO with complete = 0).
 *
 * What is accepted, and what is MALFORMED:
 *   - the first 1 or 2 bytes decide NOT_TLS (content type 20..24 and major version 3, or with
 *     expect_ssl2 a 2-byte SSLv2 header); NOT_TLS drains nothing, the caller keeps the bytes;
 *   - records of 1 .. 2^14+2048 bytes; warning unrecognized_name alerts are skipped (at most 5,
 *     servers send them before the ServerHello); any other alert is an answer;
 *   - handshake messages reassembled across records, several per record, at most 256 KB in all;
 *     a HelloRequest is ignored; in the TLS <= 1.2 flight each message may come once and in
 *     the order above; a message with bytes left over, a TLS 1.3 ServerHello or HRR not ending
 *     its record, a ChangeCipherSpec, application data or heartbeat record in the flight, or
 *     handshake bytes after ServerHelloDone in its record: MALFORMED.
 *   - the ServerHello's choices (version, suite, compression, ALPN) are reported, not judged:
 *     the parser does not know the offer; the plan compares.
 * ServerKeyExchange: an ECDHE curve (named; explicit prime/char2 curves give 0xff01/0xff02) or
 * the DHE prime's size in bits (its length without leading zero bytes, counted to the top bit,
 * as OpenSSL's DH_bits), after the PSK identity hint for the *_PSK suites; other key exchanges
 * (RSA export, SRP, PSK) are skipped. Nothing is verified: no signature, no MAC.
 *
 * Fields beyond probe.h's comments: REPLY_ALERT carries the alert record's version in `version`
 * (an SSLv2 ERROR: 0x0002, alert_level 2, the SSLv2 error code in alert_desc); in a TLS 1.3
 * ServerHello only supported_versions and key_share are in clear, so the ext_* flags stay 0
 * (they travel in EncryptedExtensions, which this parser does not decrypt).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <openssl/rand.h>

#include "core/suites.h"
#include "scanner/probe.h"

#define MAX_RECORD (16384 + 2048)
#define MAX_HANDSHAKE (256 * 1024)
#define MAX_WARNINGS 5
#define HB_PADDING 16

enum { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23, CT_HEARTBEAT = 24 };

enum {
	HS_HELLO_REQUEST = 0, HS_SERVER_HELLO = 2, HS_CERTIFICATE = 11, HS_SERVER_KEY_EXCHANGE = 12,
	HS_CERTIFICATE_REQUEST = 13, HS_SERVER_HELLO_DONE = 14, HS_CERTIFICATE_STATUS = 22,
};

enum pstate { PS_WAIT_SH, PS_FLIGHT12, PS_HB_WAIT, PS_END };

struct probe_parser {
	int expect_ssl2;
	enum pstate state;
	int seen_record;              /* a record header was accepted: bad bytes are now MALFORMED */
	int warnings;
	int stage;                    /* rank of the last TLS <= 1.2 flight message */
	const struct suite *suite;    /* the chosen TLS <= 1.2 suite, NULL when not in the registry */

	unsigned char *hs;            /* owned; handshake bytes not parsed yet */
	size_t hs_len, hs_cap;
	size_t hs_total;              /* handshake bytes received, held to MAX_HANDSHAKE */

	struct server_reply r;
};

/* SHA-256("HelloRetryRequest"): the random of a HelloRetryRequest (RFC 8446 section 4.1.3). */
static const unsigned char hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* ------------------------------------------------------------------ byte cursor */

/* A cursor over hostile bytes: every read checks the length first; -1 on a short input. */
struct rd {
	const unsigned char *p;
	size_t n;
};

static int rd_skip(struct rd *r, size_t k)
{
	if (r->n < k)
		return -1;
	r->p += k;
	r->n -= k;
	return 0;
}

static int rd_u8(struct rd *r, unsigned *v)
{
	if (r->n < 1)
		return -1;
	*v = r->p[0];
	return rd_skip(r, 1);
}

static int rd_u16(struct rd *r, unsigned *v)
{
	if (r->n < 2)
		return -1;
	*v = (unsigned)r->p[0] << 8 | r->p[1];
	return rd_skip(r, 2);
}

/* Reads a vector with a `width`-byte length prefix (1, 2 or 3) into sub. */
static int rd_vec(struct rd *r, int width, struct rd *sub)
{
	size_t len = 0;

	if (r->n < (size_t)width)
		return -1;
	for (int i = 0; i < width; i++)
		len = len << 8 | r->p[i];
	if (r->n - (size_t)width < len)
		return -1;
	sub->p = r->p + width;
	sub->n = len;
	return rd_skip(r, (size_t)width + len);
}

/* ------------------------------------------------------------------ lifetime, verdicts */

struct probe_parser *probe_parser_new(int expect_ssl2)
{
	struct probe_parser *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->expect_ssl2 = expect_ssl2 != 0;
	p->state = PS_WAIT_SH;
	return p;
}

void probe_parser_free(struct probe_parser *p)
{
	if (p == NULL)
		return;
	free(p->hs);
	free(p);
}

static void set_err(struct probe_parser *p, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void set_err(struct probe_parser *p, const char *fmt, va_list ap)
{
	vsnprintf(p->r.err, sizeof(p->r.err), fmt, ap);
}

/* Final verdict `kind` with a reason; returns 1. */
static int fail(struct probe_parser *p, enum reply_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct probe_parser *p, enum reply_kind kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_err(p, fmt, ap);
	va_end(ap);
	p->r.kind = kind;
	p->state = PS_END;
	return 1;
}

/* Ends HB_WAIT with the hello reply kept and a note in err; returns 1. */
static int end_note(struct probe_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int end_note(struct probe_parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_err(p, fmt, ap);
	va_end(ap);
	p->state = PS_END;
	return 1;
}

static const char *alert_name(unsigned desc)
{
	static const struct { unsigned char code; const char *name; } names[] = {
		{ 0, "close_notify" }, { 10, "unexpected_message" }, { 20, "bad_record_mac" },
		{ 21, "decryption_failed" }, { 22, "record_overflow" }, { 30, "decompression_failure" },
		{ 40, "handshake_failure" }, { 41, "no_certificate" }, { 42, "bad_certificate" },
		{ 43, "unsupported_certificate" }, { 44, "certificate_revoked" },
		{ 45, "certificate_expired" }, { 46, "certificate_unknown" }, { 47, "illegal_parameter" },
		{ 48, "unknown_ca" }, { 49, "access_denied" }, { 50, "decode_error" },
		{ 51, "decrypt_error" }, { 60, "export_restriction" }, { 70, "protocol_version" },
		{ 71, "insufficient_security" }, { 80, "internal_error" }, { 86, "inappropriate_fallback" },
		{ 90, "user_canceled" }, { 100, "no_renegotiation" }, { 109, "missing_extension" },
		{ 110, "unsupported_extension" }, { 112, "unrecognized_name" },
		{ 113, "bad_certificate_status_response" }, { 115, "unknown_psk_identity" },
		{ 116, "certificate_required" }, { 120, "no_application_protocol" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == desc)
			return names[i].name;
	return "unknown";
}

static const char *msg_name(unsigned type)
{
	switch (type) {
	case HS_HELLO_REQUEST: return "HelloRequest";
	case 1: return "ClientHello";
	case HS_SERVER_HELLO: return "ServerHello";
	case 4: return "NewSessionTicket";
	case 8: return "EncryptedExtensions";
	case HS_CERTIFICATE: return "Certificate";
	case HS_SERVER_KEY_EXCHANGE: return "ServerKeyExchange";
	case HS_CERTIFICATE_REQUEST: return "CertificateRequest";
	case HS_SERVER_HELLO_DONE: return "ServerHelloDone";
	case 15: return "CertificateVerify";
	case 20: return "Finished";
	case HS_CERTIFICATE_STATUS: return "CertificateStatus";
	default: return "unknown";
	}
}

/* ------------------------------------------------------------------ ServerHello */

/* Extensions we read, as bits of a mask (duplicates are MALFORMED). */
enum { X_RENEG, X_TICKET, X_STATUS, X_SCT, X_HEARTBEAT, X_EMS, X_ETM, X_ALPN, X_SV, X_KS };

static int ext_bit(unsigned type)
{
	switch (type) {
	case 0xff01: return X_RENEG;
	case 35: return X_TICKET;
	case 5: return X_STATUS;
	case 18: return X_SCT;
	case 15: return X_HEARTBEAT;
	case 23: return X_EMS;
	case 22: return X_ETM;
	case 16: return X_ALPN;
	case 43: return X_SV;
	case 51: return X_KS;
	default: return -1;
	}
}

/* ALPN body: a list holding exactly one printable protocol name shorter than r.alpn. */
static int take_alpn(struct probe_parser *p, struct rd body)
{
	struct rd list, name;

	if (rd_vec(&body, 2, &list) != 0 || body.n != 0 || rd_vec(&list, 1, &name) != 0 || list.n != 0 ||
	    name.n == 0 || name.n >= sizeof(p->r.alpn))
		return -1;
	for (size_t i = 0; i < name.n; i++)
		if (name.p[i] < 0x21 || name.p[i] > 0x7e)
			return -1;
	memcpy(p->r.alpn, name.p, name.n);
	p->r.alpn[name.n] = '\0';
	return 0;
}

struct sh_ext {
	unsigned sv;          /* supported_versions, 0 when absent */
	int has_ks;
	unsigned ks_group;
};

static int sh_extensions(struct probe_parser *p, struct rd exts, int hrr, struct sh_ext *x)
{
	unsigned seen = 0;

	while (exts.n > 0) {
		struct rd body, tmp;
		unsigned type, v;
		int bit;

		if (rd_u16(&exts, &type) != 0 || rd_vec(&exts, 2, &body) != 0)
			return fail(p, REPLY_MALFORMED, "malformed ServerHello extensions");
		bit = ext_bit(type);
		if (bit < 0)
			continue;
		if (seen & (1u << bit))
			return fail(p, REPLY_MALFORMED, "duplicate extension %u in the ServerHello", type);
		seen |= 1u << bit;
		switch (bit) {
		case X_RENEG:
			if (rd_vec(&body, 1, &tmp) != 0 || body.n != 0)
				return fail(p, REPLY_MALFORMED, "malformed renegotiation_info");
			p->r.ext_reneg = 1;
			break;
		case X_TICKET: p->r.ext_ticket = 1; break;
		case X_STATUS: p->r.ext_status = 1; break;
		case X_SCT: p->r.ext_sct = 1; break;
		case X_HEARTBEAT: p->r.ext_heartbeat = 1; break;
		case X_EMS: p->r.ext_ems = 1; break;
		case X_ETM: p->r.ext_etm = 1; break;
		case X_ALPN:
			if (take_alpn(p, body) != 0)
				return fail(p, REPLY_MALFORMED, "malformed ALPN extension");
			break;
		case X_SV:
			if (rd_u16(&body, &v) != 0 || body.n != 0)
				return fail(p, REPLY_MALFORMED, "malformed supported_versions");
			x->sv = v;
			break;
		default: /* X_KS: a group only in a HelloRetryRequest, group and share in a ServerHello */
			if (rd_u16(&body, &x->ks_group) != 0 || (!hrr && rd_vec(&body, 2, &tmp) != 0) ||
			    body.n != 0)
				return fail(p, REPLY_MALFORMED, "malformed key_share");
			x->has_ks = 1;
			break;
		}
	}
	return 0;
}

/* TLS 1.3 or one of its drafts (0x7fxx) in supported_versions. */
static int is_tls13(unsigned v)
{
	return v == 0x0304 || (v & 0xff00) == 0x7f00;
}

/* Returns 1 when final, 0 to go on (with the state set to FLIGHT12). */
static int server_hello(struct probe_parser *p, const unsigned char *body, size_t len)
{
	struct rd r = { body, len }, sid, exts = { NULL, 0 };
	struct sh_ext x = { 0, 0, 0 };
	unsigned legacy, cipher, comp;
	int hrr;

	if (rd_u16(&r, &legacy) != 0 || r.n < 32)
		return fail(p, REPLY_MALFORMED, "malformed ServerHello");
	hrr = memcmp(r.p, hrr_random, 32) == 0;
	if (rd_skip(&r, 32) != 0 || rd_vec(&r, 1, &sid) != 0 || sid.n > 32 || rd_u16(&r, &cipher) != 0 ||
	    rd_u8(&r, &comp) != 0 || (r.n > 0 && (rd_vec(&r, 2, &exts) != 0 || r.n != 0)))
		return fail(p, REPLY_MALFORMED, "malformed ServerHello");
	p->r.kind = REPLY_HELLO;
	p->r.suite = (uint16_t)cipher;
	p->r.compression = (uint8_t)comp;
	if (sh_extensions(p, exts, hrr, &x) != 0)
		return 1;
	if (x.sv != 0) {
		if (!is_tls13(x.sv))
			return fail(p, REPLY_MALFORMED, "supported_versions selects 0x%04x", x.sv);
		p->r.version = (uint16_t)x.sv;
		p->r.group = x.has_ks ? (uint16_t)x.ks_group : 0;
		p->r.hrr = hrr;
		if (!hrr && !x.has_ks)
			return fail(p, REPLY_MALFORMED, "TLS 1.3 ServerHello without key_share");
		p->r.complete = 1;
		p->state = PS_END;
		return 1;
	}
	if (hrr)
		return fail(p, REPLY_MALFORMED, "HelloRetryRequest without supported_versions");
	p->r.version = (uint16_t)legacy;
	if (legacy < 0x0300 || legacy > 0x0303)
		return fail(p, REPLY_MALFORMED, "ServerHello version 0x%04x", legacy);
	p->suite = suite_by_id((uint16_t)cipher);
	p->state = PS_FLIGHT12;
	p->stage = 0;
	return 0;
}

/* ------------------------------------------------------------------ TLS <= 1.2 flight */

static int certificate(struct probe_parser *p, const unsigned char *body, size_t len)
{
	struct rd r = { body, len }, list, der;
	size_t n = 0;

	if (rd_vec(&r, 3, &list) != 0 || r.n != 0)
		return fail(p, REPLY_MALFORMED, "malformed Certificate message");
	while (list.n > 0) {
		if (rd_vec(&list, 3, &der) != 0 || der.n == 0)
			return fail(p, REPLY_MALFORMED, "malformed Certificate message");
		n++;
	}
	p->r.n_certs = n;
	return 0;
}

static int certificate_status(struct probe_parser *p, const unsigned char *body, size_t len)
{
	struct rd r = { body, len }, resp;
	unsigned type;

	if (rd_u8(&r, &type) != 0 || type != 1 || rd_vec(&r, 3, &resp) != 0 || r.n != 0)
		return fail(p, REPLY_MALFORMED, "malformed CertificateStatus");
	p->r.cert_status = resp.n > 0;
	return 0;
}

/* Number of significant bits in a big-endian unsigned integer. */
static int bit_length(const unsigned char *b, size_t n)
{
	int bits;

	while (n > 0 && *b == 0) {
		b++;
		n--;
	}
	if (n == 0)
		return 0;
	bits = (int)(n - 1) * 8;
	for (unsigned v = *b; v != 0; v >>= 1)
		bits++;
	return bits;
}

static int server_key_exchange(struct probe_parser *p, const unsigned char *body, size_t len)
{
	struct rd r = { body, len }, hint, prime;
	unsigned curve_type, group;
	enum suite_kex kex = p->suite != NULL ? p->suite->kex : KX_NULL;

	if ((kex == KX_ECDHE_PSK || kex == KX_DHE_PSK) && rd_vec(&r, 2, &hint) != 0)
		return fail(p, REPLY_MALFORMED, "malformed ServerKeyExchange");
	switch (kex) {
	case KX_ECDHE:
	case KX_ECDHE_PSK:
		if (rd_u8(&r, &curve_type) != 0)
			return fail(p, REPLY_MALFORMED, "malformed ServerKeyExchange");
		if (curve_type == 3) {
			if (rd_u16(&r, &group) != 0)
				return fail(p, REPLY_MALFORMED, "malformed ServerKeyExchange");
			p->r.group = (uint16_t)group;
		} else if (curve_type == 1 || curve_type == 2) {
			p->r.group = curve_type == 1 ? 0xff01 : 0xff02;  /* explicit prime / char2 curve */
		} else {
			return fail(p, REPLY_MALFORMED, "ServerKeyExchange curve type %u", curve_type);
		}
		return 0;
	case KX_DHE:
	case KX_DHE_PSK:
		if (rd_vec(&r, 2, &prime) != 0 || (p->r.dh_bits = bit_length(prime.p, prime.n)) == 0)
			return fail(p, REPLY_MALFORMED, "malformed ServerKeyExchange");
		return 0;
	default:
		return 0;   /* RSA export, SRP, PSK hints, unknown suites: nothing we report */
	}
}

/* Rank of a TLS <= 1.2 server message in the flight; 0 for messages that do not belong. */
static int rank12(unsigned type)
{
	switch (type) {
	case HS_CERTIFICATE: return 1;
	case HS_CERTIFICATE_STATUS: return 2;
	case HS_SERVER_KEY_EXCHANGE: return 3;
	case HS_CERTIFICATE_REQUEST: return 4;
	case HS_SERVER_HELLO_DONE: return 5;
	default: return 0;
	}
}

static int flight12(struct probe_parser *p, unsigned type, const unsigned char *body, size_t len)
{
	int rank = rank12(type);

	if (rank <= p->stage)
		return fail(p, REPLY_MALFORMED, "unexpected %s message", msg_name(type));
	p->stage = rank;
	switch (type) {
	case HS_CERTIFICATE:
		return certificate(p, body, len);
	case HS_CERTIFICATE_STATUS:
		return certificate_status(p, body, len);
	case HS_SERVER_KEY_EXCHANGE:
		return server_key_exchange(p, body, len);
	case HS_CERTIFICATE_REQUEST:
		return 0;
	default: /* HS_SERVER_HELLO_DONE */
		if (len != 0)
			return fail(p, REPLY_MALFORMED, "malformed ServerHelloDone");
		p->r.complete = 1;
		p->state = PS_HB_WAIT;
		return 1;
	}
}

/* One complete handshake message (type, body). 1 when final, else 0. */
static int handshake(struct probe_parser *p, unsigned type, const unsigned char *body, size_t len)
{
	if (type == HS_HELLO_REQUEST && len == 0)
		return 0;   /* to be ignored mid-handshake (RFC 5246 section 7.4.1.1) */
	if (p->state == PS_WAIT_SH) {
		if (type != HS_SERVER_HELLO)
			return fail(p, REPLY_MALFORMED, "expected ServerHello, got %s", msg_name(type));
		return server_hello(p, body, len);
	}
	return flight12(p, type, body, len);
}

/* ------------------------------------------------------------------ records */

static int hs_reserve(struct probe_parser *p, size_t extra)
{
	size_t need = p->hs_len + extra, cap = p->hs_cap ? p->hs_cap : 4096;
	unsigned char *n;

	if (need <= p->hs_cap)
		return 0;
	if (need > MAX_HANDSHAKE + MAX_RECORD)
		return -1;
	while (cap < need)
		cap *= 2;
	n = realloc(p->hs, cap);
	if (n == NULL)
		return -1;
	p->hs = n;
	p->hs_cap = cap;
	return 0;
}

/* Appends a handshake record's payload and parses every complete message in it. */
static int handshake_record(struct probe_parser *p, const unsigned char *data, size_t len)
{
	size_t off = 0;
	int rc = 0;

	if (len > MAX_HANDSHAKE - p->hs_total)
		return fail(p, REPLY_MALFORMED, "more than %d bytes of handshake data", MAX_HANDSHAKE);
	p->hs_total += len;
	if (hs_reserve(p, len) != 0)
		return fail(p, REPLY_MALFORMED, "out of memory");
	memcpy(p->hs + p->hs_len, data, len);
	p->hs_len += len;
	while (rc == 0 && p->hs_len - off >= 4) {
		const unsigned char *m = p->hs + off;
		size_t mlen = (size_t)m[1] << 16 | (size_t)m[2] << 8 | m[3];

		if (mlen > MAX_HANDSHAKE)
			return fail(p, REPLY_MALFORMED, "handshake message of %zu bytes", mlen);
		if (p->hs_len - off - 4 < mlen)
			break;
		rc = handshake(p, m[0], m + 4, mlen);
		off += 4 + mlen;
	}
	/* A final hello must end its record: TLS 1.3 changes keys, and nothing follows
	 * ServerHelloDone or a HelloRetryRequest in the server's flight. */
	if (rc == 1 && p->r.kind == REPLY_HELLO && p->r.complete && off != p->hs_len) {
		const char *what = p->r.hrr ? "HelloRetryRequest" :
		                   p->state == PS_END ? "TLS 1.3 ServerHello" : "ServerHelloDone";

		p->r.complete = 0;
		return fail(p, REPLY_MALFORMED, "data after the %s in its record", what);
	}
	if (rc == 0 && off > 0) {
		memmove(p->hs, p->hs + off, p->hs_len - off);
		p->hs_len -= off;
	}
	return rc;
}

static int alert_record(struct probe_parser *p, const unsigned char *rec, size_t len)
{
	const unsigned char *a = rec + 5;

	if (len != 2)
		return fail(p, REPLY_MALFORMED, "malformed alert record");
	if (a[0] == 1 && a[1] == 112) {
		if (++p->warnings > MAX_WARNINGS)
			return fail(p, REPLY_MALFORMED, "too many warning alerts");
		return 0;
	}
	p->r.alert_level = a[0];
	p->r.alert_desc = a[1];
	if (p->state == PS_WAIT_SH) {
		p->r.version = (uint16_t)(rec[1] << 8 | rec[2]);
		return fail(p, REPLY_ALERT, "alert %u %s", a[1], alert_name(a[1]));
	}
	/* After the ServerHello: the suite was chosen, the flight did not finish. */
	p->state = PS_END;
	snprintf(p->r.err, sizeof(p->r.err), "alert %u %s after the ServerHello", a[1], alert_name(a[1]));
	return 1;
}

static int tls_record(struct probe_parser *p, const unsigned char *rec, size_t len)
{
	switch (rec[0]) {
	case CT_ALERT:
		return alert_record(p, rec, len);
	case CT_HANDSHAKE:
		return handshake_record(p, rec + 5, len);
	case CT_CCS:
		return fail(p, REPLY_MALFORMED, "unexpected ChangeCipherSpec record");
	case CT_APPDATA:
		return fail(p, REPLY_MALFORMED, "unexpected application data record");
	default:
		return fail(p, REPLY_MALFORMED, "unexpected heartbeat record");
	}
}

/* After ServerHelloDone: only a heartbeat response or an alert is expected. */
static int hb_record(struct probe_parser *p, const unsigned char *rec, size_t len)
{
	const unsigned char *b = rec + 5;

	switch (rec[0]) {
	case CT_HEARTBEAT:
		if (len >= 3 && b[0] == 2) {          /* heartbeat_response */
			size_t declared = (size_t)b[1] << 8 | b[2];

			p->r.kind = REPLY_HEARTBEAT;
			p->r.heartbeat_len = declared < len - 3 ? declared : len - 3;
			p->state = PS_END;
			return 1;
		}
		return 0;                             /* a request or a runt: not an answer */
	case CT_ALERT:
		if (len != 2)
			return end_note(p, "malformed alert record after ServerHelloDone");
		p->r.alert_level = b[0];
		p->r.alert_desc = b[1];
		return end_note(p, "alert %u %s after ServerHelloDone", b[1], alert_name(b[1]));
	default:
		return end_note(p, "unexpected record type %u after ServerHelloDone", rec[0]);
	}
}

/*
 * SSLv2 record (2-byte header, already complete): SERVER-HELLO or ERROR. 1 when final; -1 for
 * an unexpected message (NOT_TLS, the record is left in the buffer).
 */
static int ssl2_record(struct probe_parser *p, const unsigned char *b, size_t len)
{
	struct rd r = { b, len }, specs;
	unsigned type, hit, cert_type, version, cert_len, specs_len, conn_len;

	if (rd_u8(&r, &type) != 0)
		return fail(p, REPLY_MALFORMED, "empty SSLv2 record");
	if (type == 0) {   /* ERROR: 2-byte error code */
		if (rd_u16(&r, &version) != 0 || r.n != 0)
			return fail(p, REPLY_MALFORMED, "malformed SSLv2 ERROR");
		p->r.version = 0x0002;
		p->r.alert_level = 2;
		p->r.alert_desc = (int)version;
		return fail(p, REPLY_ALERT, "SSLv2 error %u", version);
	}
	if (type != 4) {
		fail(p, REPLY_NOT_TLS, "unexpected SSLv2 message %u", type);
		return -1;
	}
	if (rd_u8(&r, &hit) != 0 || rd_u8(&r, &cert_type) != 0 || rd_u16(&r, &version) != 0 ||
	    rd_u16(&r, &cert_len) != 0 || rd_u16(&r, &specs_len) != 0 || rd_u16(&r, &conn_len) != 0 ||
	    r.n != (size_t)cert_len + specs_len + conn_len || specs_len % 3 != 0 ||
	    conn_len < 16 || conn_len > 32)
		return fail(p, REPLY_MALFORMED, "malformed SSLv2 SERVER-HELLO");
	if (version != 0x0002)
		return fail(p, REPLY_MALFORMED, "SSLv2 SERVER-HELLO version 0x%04x", version);
	specs.p = r.p + cert_len;
	specs.n = specs_len;
	p->r.kind = REPLY_SSL2_HELLO;
	p->r.version = 0x0002;
	p->r.n_certs = cert_len > 0;
	for (size_t i = 0; i + 3 <= specs.n; i += 3)
		if (p->r.n_ssl2 < sizeof(p->r.ssl2_kinds) / sizeof(p->r.ssl2_kinds[0]))
			p->r.ssl2_kinds[p->r.n_ssl2++] = (uint32_t)specs.p[i] << 16 |
			                                 (uint32_t)specs.p[i + 1] << 8 | specs.p[i + 2];
	p->r.complete = 1;
	p->state = PS_END;
	return 1;
}

/* 1 when the first n (1..5) bytes can start a TLS record: content type 20..24, major version 3. */
static int looks_tls(const unsigned char *h, size_t n)
{
	return h[0] >= CT_CCS && h[0] <= CT_HEARTBEAT && (n < 2 || h[1] == 3);
}

/* Bytes that cannot be a record header: what they mean depends on where we are. */
static int bad_header(struct probe_parser *p)
{
	if (p->state == PS_HB_WAIT)
		return end_note(p, "unexpected bytes after ServerHelloDone");
	if (!p->seen_record)
		return fail(p, REPLY_NOT_TLS, "not a TLS record");
	return fail(p, REPLY_MALFORMED, "malformed record header");
}

/* Takes one SSLv2 record when it is complete. 0 more needed, 1 final. */
static int feed_ssl2(struct probe_parser *p, struct evbuffer *in, const unsigned char *hdr, size_t avail)
{
	size_t len = (size_t)(hdr[0] & 0x7f) << 8 | hdr[1];
	const unsigned char *rec;
	int rc;

	if (len == 0 || len > MAX_RECORD)
		return fail(p, REPLY_MALFORMED, "SSLv2 record of %zu bytes", len);
	if (avail < 2 + len)
		return 0;
	rec = evbuffer_pullup(in, (ev_ssize_t)(2 + len));
	if (rec == NULL)
		return fail(p, REPLY_MALFORMED, "out of memory");
	p->seen_record = 1;
	rc = ssl2_record(p, rec + 2, len);
	if (rc < 0)
		return 1;   /* NOT_TLS: the bytes stay */
	evbuffer_drain(in, 2 + len);
	return rc;
}

int probe_parser_feed(struct probe_parser *p, struct evbuffer *in, struct server_reply *out)
{
	int rc = 0;

	while (rc == 0 && p->state != PS_END) {
		size_t avail = evbuffer_get_length(in), n = avail < 5 ? avail : 5, len;
		unsigned char hdr[5];
		const unsigned char *rec;

		if (n == 0 || evbuffer_copyout(in, hdr, n) != (ev_ssize_t)n)
			break;
		if (p->expect_ssl2 && !p->seen_record && (hdr[0] & 0x80)) {
			if (n < 2)
				break;
			rc = feed_ssl2(p, in, hdr, avail);
			break;
		}
		if (!looks_tls(hdr, n)) {
			rc = bad_header(p);
			break;
		}
		if (n < 5)
			break;
		len = (size_t)hdr[3] << 8 | hdr[4];
		if (len == 0 || len > MAX_RECORD) {
			if (p->state == PS_HB_WAIT)
				rc = end_note(p, "record of %zu bytes after ServerHelloDone", len);
			else
				rc = fail(p, REPLY_MALFORMED, "record of %zu bytes", len);
			break;
		}
		if (avail < 5 + len)
			break;
		rec = evbuffer_pullup(in, (ev_ssize_t)(5 + len));
		if (rec == NULL) {
			rc = fail(p, REPLY_MALFORMED, "out of memory");
			break;
		}
		p->seen_record = 1;
		rc = p->state == PS_HB_WAIT ? hb_record(p, rec, len) : tls_record(p, rec, len);
		evbuffer_drain(in, 5 + len);
	}
	if (p->state == PS_END)
		rc = 1;
	*out = p->r;
	return rc;
}

/* ------------------------------------------------------------------ heartbeat request */

/*
 * RFC 6520 section 4: type heartbeat_request (1), payload_length = declared, `sent` payload
 * bytes, 16 random padding bytes, in a plaintext record of content type 24. A correct server
 * discards a request whose payload_length exceeds what it carries (declared > sent); a
 * vulnerable one (CVE-2014-0160) answers with `declared` bytes, reading past the request.
 */
int probe_heartbeat_build(uint16_t version, size_t declared, size_t sent, struct evbuffer *out)
{
	unsigned char buf[5 + 3 + 1024 + HB_PADDING];
	size_t body = 3 + sent + HB_PADDING;

	if (version < 0x0300 || version > 0x0303 || declared > 0xffff || sent > 1024)
		return -1;
	buf[0] = CT_HEARTBEAT;
	buf[1] = (unsigned char)(version >> 8);
	buf[2] = (unsigned char)version;
	buf[3] = (unsigned char)(body >> 8);
	buf[4] = (unsigned char)body;
	buf[5] = 1;
	buf[6] = (unsigned char)(declared >> 8);
	buf[7] = (unsigned char)declared;
	for (size_t i = 0; i < sent; i++)
		buf[8 + i] = (unsigned char)('A' + i % 26);
	if (RAND_bytes(buf + 8 + sent, HB_PADDING) != 1)
		return -1;
	return evbuffer_add(out, buf, 5 + body) == 0 ? 0 : -1;
}
