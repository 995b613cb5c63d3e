/*
 * tlsraw_parse.c: the server's handshake messages, one complete message at a time.
 *
 *   ST_WAIT_SH --ServerHello(<= 1.2)--> ST_TLS12: [Certificate] [CertificateStatus]
 *        |                                       [ServerKeyExchange] [CertificateRequest]
 *        |                                       ServerHelloDone -> DONE
 *        +--ServerHello(1.3)--> ST_TLS13 (encrypted): EncryptedExtensions [CertificateRequest]
 *        |                                       Certificate -> DONE
 *        +--HelloRetryRequest--> FALLBACK
 *
 * Within a state `stage` is the rank of the last message seen, and each message must rank
 * higher: this enforces the order above and allows each message once. Everything is read with
 * the bounded cursors of tlsraw_int.h; a message with bytes left over is malformed (ERROR).
 * What the server may only choose from our offer (version, suite, compression, ALPN protocol)
 * is checked against it; what it may choose freely (its curve, its DH prime) is only reported.
 * Signatures are not verified: nothing here authenticates the server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/tlsraw_int.h"

/* SHA-256("HelloRetryRequest"): the random of a HelloRetryRequest (RFC 8446 section 4.1.3). */
static const unsigned char hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* ServerHello.random ends with one of these when a TLS 1.3 (01) or 1.2 (00) server negotiated lower. */
static const unsigned char downgrade_tail[7] = { 'D', 'O', 'W', 'N', 'G', 'R', 'D' };

static const char *version_name(int v)
{
	switch (v) {
	case 0x0301: return "TLSv1";
	case 0x0302: return "TLSv1.1";
	case 0x0303: return "TLSv1.2";
	case 0x0304: return "TLSv1.3";
	default: return "unknown";
	}
}

/* The ALPN extension body of a server: exactly one protocol, one of those we offered. */
static enum tlsraw_rc take_alpn(struct tlsraw *t, struct rd ext)
{
	struct rd list, name;

	if (!t->alpn)
		return tlsraw_fail(t, TLSRAW_ERROR, "ALPN selected but not offered");
	if (rd_vec(&ext, 2, &list) != 0 || ext.n != 0 || rd_vec(&list, 1, &name) != 0 || list.n != 0)
		return tlsraw_fail(t, TLSRAW_ERROR, "malformed ALPN extension");
	if (!(name.n == 2 && memcmp(name.p, "h2", 2) == 0) &&
	    !(name.n == 8 && memcmp(name.p, "http/1.1", 8) == 0))
		return tlsraw_fail(t, TLSRAW_ERROR, "ALPN protocol not offered");
	memcpy(t->res.alpn, name.p, name.n);
	t->res.alpn[name.n] = '\0';
	return TLSRAW_MORE;
}

/* What the ServerHello extensions say; only the ones we act on. */
struct sh_ext {
	int has_sv, has_ks, has_alpn;
	unsigned sv;          /* supported_versions */
	unsigned ks_group;    /* key_share */
	struct rd ks_key;
	struct rd alpn;       /* the extension body */
};

static enum tlsraw_rc sh_extensions(struct tlsraw *t, struct rd exts, struct sh_ext *x)
{
	while (exts.n > 0) {
		struct rd body;
		unsigned type;

		if (rd_u16(&exts, &type) != 0 || rd_vec(&exts, 2, &body) != 0)
			return tlsraw_fail(t, TLSRAW_ERROR, "malformed ServerHello extensions");
		switch (type) {
		case EXT_SUPPORTED_VERSIONS:
			if (x->has_sv++ || rd_u16(&body, &x->sv) != 0 || body.n != 0)
				return tlsraw_fail(t, TLSRAW_ERROR, "malformed supported_versions");
			break;
		case EXT_KEY_SHARE:
			if (x->has_ks++ || rd_u16(&body, &x->ks_group) != 0 ||
			    rd_vec(&body, 2, &x->ks_key) != 0 || body.n != 0)
				return tlsraw_fail(t, TLSRAW_ERROR, "malformed key_share");
			break;
		case EXT_ALPN:
			if (x->has_alpn++)
				return tlsraw_fail(t, TLSRAW_ERROR, "duplicate ALPN extension");
			x->alpn = body;
			break;
		default:
			break;
		}
	}
	return TLSRAW_MORE;
}

/* Checks the version and suite the server chose against our offer. */
static enum tlsraw_rc check_choice(struct tlsraw *t, const struct sh_ext *x, unsigned legacy,
                                   unsigned cipher, unsigned comp, const struct tlsraw_suite **suite)
{
	int version = (int)legacy;

	if (x->has_sv) {
		if (x->sv != 0x0304 || t->max_version < 0x0304)
			return tlsraw_fail(t, TLSRAW_ERROR, "server chose version 0x%04x, not offered", x->sv);
		version = 0x0304;
	} else if (version < 0x0301 || version > t->max_version || version > 0x0303) {
		return tlsraw_fail(t, TLSRAW_ERROR, "server chose version 0x%04x, not offered", legacy);
	}
	*suite = tlsraw_suite_find((uint16_t)cipher);
	if (*suite == NULL || (version == 0x0304) != ((*suite)->kx == KX_TLS13) ||
	    (*suite)->min_version > version)
		return tlsraw_fail(t, TLSRAW_ERROR, "server chose cipher suite 0x%04x, not offered", cipher);
	if (comp != 0)
		return tlsraw_fail(t, TLSRAW_ERROR, "server chose compression %u, not offered", comp);
	t->res.version = version;
	snprintf(t->res.version_name, sizeof(t->res.version_name), "%s", version_name(version));
	t->res.cipher = (uint16_t)cipher;
	tlsraw_set_cipher_name(t, (uint16_t)cipher);
	return TLSRAW_MORE;
}

static enum tlsraw_rc server_hello(struct tlsraw *t, const unsigned char *msg, size_t msglen)
{
	struct rd r = { msg + 4, msglen - 4 }, sid, exts = { NULL, 0 };
	const struct tlsraw_suite *suite = NULL;
	struct sh_ext x = { 0 };
	const unsigned char *random;
	unsigned legacy, cipher, comp;
	enum tlsraw_rc rc;

	if (rd_u16(&r, &legacy) != 0 || r.n < 32)
		return tlsraw_fail(t, TLSRAW_ERROR, "malformed ServerHello");
	random = r.p;
	if (rd_skip(&r, 32) != 0 || rd_vec(&r, 1, &sid) != 0 || sid.n > 32 || rd_u16(&r, &cipher) != 0 ||
	    rd_u8(&r, &comp) != 0 || (r.n > 0 && (rd_vec(&r, 2, &exts) != 0 || r.n != 0)))
		return tlsraw_fail(t, TLSRAW_ERROR, "malformed ServerHello");
	if (memcmp(random, hrr_random, 32) == 0)
		return tlsraw_fail(t, TLSRAW_FALLBACK, "HelloRetryRequest");
	if ((rc = sh_extensions(t, exts, &x)) != TLSRAW_MORE ||
	    (rc = check_choice(t, &x, legacy, cipher, comp, &suite)) != TLSRAW_MORE)
		return rc;

	if (t->res.version < 0x0304) {
		/* RFC 8446 section 4.1.3: a client that offered more must not accept a downgrade. */
		if (memcmp(random + 24, downgrade_tail, 7) == 0 &&
		    ((random[31] == 1 && t->max_version >= 0x0304) ||
		     (random[31] == 0 && t->max_version >= 0x0303 && t->res.version < 0x0303)))
			return tlsraw_fail(t, TLSRAW_FALLBACK, "downgrade sentinel in ServerHello");
		if (x.has_alpn && (rc = take_alpn(t, x.alpn)) != TLSRAW_MORE)
			return rc;
		t->kx12 = suite->kx;
		t->state = ST_TLS12;
		t->stage = 0;
		return TLSRAW_MORE;
	}

	if (sid.n != t->sid_len || memcmp(sid.p, t->sid, sid.n) != 0)
		return tlsraw_fail(t, TLSRAW_ERROR, "ServerHello does not echo our session id");
	if (x.has_alpn)
		return tlsraw_fail(t, TLSRAW_ERROR, "ALPN in a TLS 1.3 ServerHello");
	if (!x.has_ks)
		return tlsraw_fail(t, TLSRAW_ERROR, "TLS 1.3 ServerHello without key_share");
	tlsraw_set_group_name(t, (uint16_t)x.ks_group);
	if (x.ks_group != GROUP_X25519)
		return tlsraw_fail(t, TLSRAW_FALLBACK, "server chose group %s", t->res.group);
	if (x.ks_key.n != 32)
		return tlsraw_fail(t, TLSRAW_ERROR, "malformed X25519 key share");
	if (tls13_start(t, (uint16_t)cipher, x.ks_key.p, msg, msglen) != 0)
		return t->rc;
	t->state = ST_TLS13;
	t->stage = 0;
	return TLSRAW_MORE;
}

/*
 * A Certificate message: copied once into t->certmsg, which result.cert[] point into.
 * TLS 1.3 adds a request context before the list and extensions after each certificate; a
 * status_request extension on the leaf carries its stapled OCSP response.
 */
static enum tlsraw_rc certificate(struct tlsraw *t, const unsigned char *body, size_t len, int tls13)
{
	struct rd r, ctx, list;

	if (t->certmsg != NULL)
		return tlsraw_fail(t, TLSRAW_ERROR, "second Certificate message");
	t->certmsg = malloc(len > 0 ? len : 1);
	if (t->certmsg == NULL)
		return tlsraw_fail(t, TLSRAW_ERROR, "out of memory");
	memcpy(t->certmsg, body, len);
	r.p = t->certmsg;
	r.n = len;
	if ((tls13 && rd_vec(&r, 1, &ctx) != 0) || rd_vec(&r, 3, &list) != 0 || r.n != 0)
		return tlsraw_fail(t, TLSRAW_ERROR, "malformed Certificate message");
	for (size_t i = 0; list.n > 0; i++) {
		struct rd der, exts = { NULL, 0 };

		if (rd_vec(&list, 3, &der) != 0 || der.n == 0 || (tls13 && rd_vec(&list, 2, &exts) != 0))
			return tlsraw_fail(t, TLSRAW_ERROR, "malformed Certificate message");
		while (tls13 && exts.n > 0) {
			struct rd ebody;
			unsigned type;

			if (rd_u16(&exts, &type) != 0 || rd_vec(&exts, 2, &ebody) != 0)
				return tlsraw_fail(t, TLSRAW_ERROR, "malformed certificate extensions");
			if (i == 0 && type == EXT_STATUS_REQUEST && ebody.n > 0)
				t->res.ocsp_stapled = 1;
		}
		if (i < TLSRAW_MAX_CERTS) {
			t->res.cert[i] = der.p;
			t->res.cert_len[i] = der.n;
			t->res.n_certs = i + 1;
		} else {
			t->res.chain_truncated = 1;
		}
	}
	return TLSRAW_MORE;
}

/* Number of significant bits in a big-endian unsigned integer. */
static size_t bit_length(const unsigned char *p, size_t n)
{
	while (n > 0 && *p == 0) {
		p++;
		n--;
	}
	if (n == 0)
		return 0;
	size_t bits = (n - 1) * 8;
	for (unsigned b = *p; b != 0; b >>= 1)
		bits++;
	return bits;
}

static enum tlsraw_rc server_key_exchange(struct tlsraw *t, const unsigned char *body, size_t len)
{
	struct rd r = { body, len }, p;
	unsigned curve_type, group;

	switch (t->kx12) {
	case KX_ECDHE:
		if (rd_u8(&r, &curve_type) != 0 || rd_u16(&r, &group) != 0)
			return tlsraw_fail(t, TLSRAW_ERROR, "malformed ServerKeyExchange");
		if (curve_type != 3)
			return tlsraw_fail(t, TLSRAW_FALLBACK, "ServerKeyExchange curve type %u", curve_type);
		tlsraw_set_group_name(t, (uint16_t)group);
		return TLSRAW_MORE;
	case KX_DHE:
		if (rd_vec(&r, 2, &p) != 0 || p.n == 0)
			return tlsraw_fail(t, TLSRAW_ERROR, "malformed ServerKeyExchange");
		snprintf(t->res.group, sizeof(t->res.group), "DH-%zu", bit_length(p.p, p.n));
		return TLSRAW_MORE;
	default:
		return tlsraw_fail(t, TLSRAW_ERROR, "ServerKeyExchange with RSA key exchange");
	}
}

static enum tlsraw_rc certificate_status(struct tlsraw *t, const unsigned char *body, size_t len)
{
	struct rd r = { body, len }, resp;
	unsigned type;

	if (rd_u8(&r, &type) != 0 || type != 1 || rd_vec(&r, 3, &resp) != 0 || r.n != 0)
		return tlsraw_fail(t, TLSRAW_ERROR, "malformed CertificateStatus");
	t->res.ocsp_stapled = resp.n > 0;
	return TLSRAW_MORE;
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

static enum tlsraw_rc flight12(struct tlsraw *t, unsigned type, const unsigned char *body, size_t len)
{
	int rank = rank12(type);

	if (type == HS_HELLO_REQUEST && len == 0)
		return TLSRAW_MORE;  /* to be ignored mid-handshake (RFC 5246 section 7.4.1.1) */
	if (rank <= t->stage)
		return tlsraw_fail(t, TLSRAW_ERROR, "unexpected %s message", tlsraw_msg_name(type));
	t->stage = rank;
	switch (type) {
	case HS_CERTIFICATE:
		return certificate(t, body, len, 0);
	case HS_CERTIFICATE_STATUS:
		return certificate_status(t, body, len);
	case HS_SERVER_KEY_EXCHANGE:
		return server_key_exchange(t, body, len);
	case HS_CERTIFICATE_REQUEST:
		return TLSRAW_MORE;
	default: /* HS_SERVER_HELLO_DONE */
		if (len != 0)
			return tlsraw_fail(t, TLSRAW_ERROR, "malformed ServerHelloDone");
		return TLSRAW_DONE;
	}
}

static enum tlsraw_rc encrypted_extensions(struct tlsraw *t, const unsigned char *body, size_t len)
{
	struct rd r = { body, len }, exts;
	int seen_alpn = 0;
	enum tlsraw_rc rc;

	if (rd_vec(&r, 2, &exts) != 0 || r.n != 0)
		return tlsraw_fail(t, TLSRAW_ERROR, "malformed EncryptedExtensions");
	while (exts.n > 0) {
		struct rd ebody;
		unsigned type;

		if (rd_u16(&exts, &type) != 0 || rd_vec(&exts, 2, &ebody) != 0)
			return tlsraw_fail(t, TLSRAW_ERROR, "malformed EncryptedExtensions");
		if (type != EXT_ALPN)
			continue;
		if (seen_alpn++)
			return tlsraw_fail(t, TLSRAW_ERROR, "duplicate ALPN extension");
		if ((rc = take_alpn(t, ebody)) != TLSRAW_MORE)
			return rc;
	}
	return TLSRAW_MORE;
}

static enum tlsraw_rc flight13(struct tlsraw *t, unsigned type, const unsigned char *body, size_t len)
{
	enum tlsraw_rc rc;

	switch (type) {
	case HS_ENCRYPTED_EXTENSIONS:
		if (t->stage != 0)
			break;
		t->stage = 1;
		return encrypted_extensions(t, body, len);
	case HS_CERTIFICATE_REQUEST:
		if (t->stage != 1)
			break;
		t->stage = 2;
		return TLSRAW_MORE;
	case HS_CERTIFICATE:
		if (t->stage < 1)
			break;
		rc = certificate(t, body, len, 1);
		return rc == TLSRAW_MORE ? TLSRAW_DONE : rc;
	default:
		break;
	}
	return tlsraw_fail(t, TLSRAW_ERROR, "unexpected %s message in TLS 1.3", tlsraw_msg_name(type));
}

enum tlsraw_rc tlsraw_handshake(struct tlsraw *t, const unsigned char *msg, size_t msglen)
{
	unsigned type = msg[0];

	switch (t->state) {
	case ST_WAIT_SH:
		if (type == HS_HELLO_REQUEST && msglen == 4)
			return TLSRAW_MORE;
		if (type != HS_SERVER_HELLO)
			return tlsraw_fail(t, TLSRAW_ERROR, "expected ServerHello, got %s",
			                   tlsraw_msg_name(type));
		return server_hello(t, msg, msglen);
	case ST_TLS12:
		return flight12(t, type, msg + 4, msglen - 4);
	case ST_TLS13:
		return flight13(t, type, msg + 4, msglen - 4);
	default:
		return tlsraw_fail(t, TLSRAW_ERROR, "handshake message in state %d", (int)t->state);
	}
}
