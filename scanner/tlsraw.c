/*
 * tlsraw.c: the codec's lifetime, its record layer and handshake reassembly (see tlsraw.h for
 * the contract, tlsraw_int.h for how the files divide the work).
 *
 * Record layer (tlsraw_feed): records are taken from `in` only when complete; a record is
 * looked at in place (evbuffer_pullup, never written to) and drained once handled.
 *
 *   first 1-2 bytes not {20..24, 3}  -> NOT_TLS, nothing drained
 *   header bad later, payload > 2^14+2048 or empty -> ERROR
 *   alert (plain, or inner type 21 of a decrypted record) -> ALERT; warnings other than
 *     close_notify are skipped before TLS 1.3 is chosen, as OpenSSL does (at most 5)
 *   change_cipher_spec: skipped once TLS 1.3 is chosen (middlebox compatibility; at most 2),
 *     else ERROR
 *   handshake: appended to the reassembly buffer (plain before TLS 1.3 keys, ERROR after)
 *   application_data: TLS 1.3 only; decrypted straight into the reassembly buffer
 *
 * Reassembly: hs[] holds handshake bytes not yet parsed; complete messages (4-byte header +
 * body) go to tlsraw_handshake() in order, several per record or one over many records. The
 * buffer grows by doubling and the bytes received are held to TLSRAW_MAX_HANDSHAKE, so a hostile
 * server costs at most 256 KB + one record. A TLS 1.3 ServerHello must end its record, as the
 * keys change after it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <openssl/rand.h>

#include "scanner/tlsraw_int.h"

#define MAX_WARNINGS 5
#define MAX_CCS 2       /* compatibility ChangeCipherSpec records skipped in TLS 1.3 */

enum { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23, CT_HEARTBEAT = 24 };

struct tlsraw_shared *tlsraw_shared_new(char *err, size_t errlen)
{
	struct tlsraw_shared *sh = calloc(1, sizeof(*sh));

	if (sh == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (tls13_shared_init(sh, err, errlen) != 0)
		goto fail;
	sh->kx = tlsraw_kx_new(NULL);
	sh->names_ctx = SSL_CTX_new(TLS_client_method());
	sh->names = sh->names_ctx != NULL ? SSL_new(sh->names_ctx) : NULL;
	if (sh->kx == NULL || sh->names == NULL) {
		snprintf(err, errlen, "cannot set up X25519 or the cipher-name table");
		goto fail;
	}
	return sh;
fail:
	tlsraw_shared_free(sh);
	return NULL;
}

void tlsraw_shared_free(struct tlsraw_shared *sh)
{
	if (sh == NULL)
		return;
	tls13_shared_free(sh);
	tlsraw_kx_unref(sh->kx);
	SSL_free(sh->names);
	SSL_CTX_free(sh->names_ctx);
	free(sh);
}

/* A host name we may put in server_name: 1..255 printable ASCII bytes, no spaces. */
static int sni_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

struct tlsraw *tlsraw_new(struct tlsraw_shared *sh, const char *sni, int alpn, int max_version)
{
	struct tlsraw *t;

	if (max_version == 0)
		max_version = 0x0304;
	if (sh == NULL || max_version < 0x0301 || max_version > 0x0304 || (sni != NULL && !sni_ok(sni)))
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->sh = sh;
	if (sni != NULL)
		memcpy(t->sni, sni, strlen(sni) + 1);
	t->alpn = alpn != 0;
	t->max_version = max_version;
	t->state = ST_NEW;
	return t;
}

void tlsraw_free(struct tlsraw *t)
{
	if (t == NULL)
		return;
	tlsraw_kx_unref(t->kx);
	EVP_CIPHER_CTX_free(t->cctx);
	OPENSSL_cleanse(t->iv, sizeof(t->iv));
	free(t->hs);
	free(t->certmsg);
	free(t);
}

const struct tlsraw_result *tlsraw_result(const struct tlsraw *t)
{
	return &t->res;
}

int tlsraw_fix_secrets(struct tlsraw *t, const unsigned char *random,
                       const unsigned char *session_id, const unsigned char *x25519_private)
{
	if (t->state != ST_NEW || random == NULL || session_id == NULL)
		return -1;
	memcpy(t->random, random, sizeof(t->random));
	memcpy(t->sid, session_id, sizeof(t->sid));
	if (x25519_private != NULL) {
		struct tlsraw_kx *kx = tlsraw_kx_new(x25519_private);

		if (kx == NULL)
			return -1;
		tlsraw_kx_unref(t->kx);
		t->kx = kx;
	}
	t->fixed = 1;
	return 0;
}

/* Takes a reference to the shared key pair, rotating it every TLSRAW_KEY_USES hellos. */
static int take_shared_key(struct tlsraw *t)
{
	struct tlsraw_shared *sh = t->sh;

	if (sh->kx == NULL || sh->kx_uses >= TLSRAW_KEY_USES) {
		struct tlsraw_kx *kx = tlsraw_kx_new(NULL);

		if (kx == NULL)
			return -1;
		tlsraw_kx_unref(sh->kx);  /* connections still using it keep their reference */
		sh->kx = kx;
		sh->kx_uses = 0;
	}
	sh->kx_uses++;
	sh->kx->refs++;
	t->kx = sh->kx;
	return 0;
}

int tlsraw_client_hello(struct tlsraw *t, struct evbuffer *out)
{
	unsigned char hdr[5] = { CT_HANDSHAKE, 0x03, 0x01, 0, 0 };
	unsigned char rnd[64];

	if (t->state != ST_NEW) {
		snprintf(t->res.err, sizeof(t->res.err), "ClientHello already sent");
		return -1;
	}
	if (!t->fixed) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			snprintf(t->res.err, sizeof(t->res.err), "RAND_bytes failed");
			return -1;
		}
		memcpy(t->random, rnd, 32);
		memcpy(t->sid, rnd + 32, 32);
	}
	t->sid_len = t->max_version >= 0x0304 ? 32 : 0;
	if (t->max_version >= 0x0304 && t->kx == NULL && take_shared_key(t) != 0) {
		snprintf(t->res.err, sizeof(t->res.err), "cannot make an X25519 key");
		return -1;
	}
	if (tlsraw_build_hello(t) != 0) {
		snprintf(t->res.err, sizeof(t->res.err), "ClientHello does not fit");
		return -1;
	}
	hdr[3] = (unsigned char)(t->hello_len >> 8);
	hdr[4] = (unsigned char)t->hello_len;
	if (evbuffer_add(out, hdr, sizeof(hdr)) != 0 || evbuffer_add(out, t->hello, t->hello_len) != 0) {
		snprintf(t->res.err, sizeof(t->res.err), "out of memory");
		return -1;
	}
	t->state = ST_WAIT_SH;
	return 0;
}

enum tlsraw_rc tlsraw_fail(struct tlsraw *t, enum tlsraw_rc rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->res.err, sizeof(t->res.err), fmt, ap);
	va_end(ap);
	t->state = ST_END;
	t->rc = rc;
	return rc;
}

const char *tlsraw_msg_name(unsigned type)
{
	switch (type) {
	case HS_HELLO_REQUEST: return "HelloRequest";
	case HS_CLIENT_HELLO: return "ClientHello";
	case HS_SERVER_HELLO: return "ServerHello";
	case HS_NEW_SESSION_TICKET: return "NewSessionTicket";
	case HS_ENCRYPTED_EXTENSIONS: return "EncryptedExtensions";
	case HS_CERTIFICATE: return "Certificate";
	case HS_SERVER_KEY_EXCHANGE: return "ServerKeyExchange";
	case HS_CERTIFICATE_REQUEST: return "CertificateRequest";
	case HS_SERVER_HELLO_DONE: return "ServerHelloDone";
	case HS_CERTIFICATE_VERIFY: return "CertificateVerify";
	case HS_FINISHED: return "Finished";
	case HS_CERTIFICATE_STATUS: return "CertificateStatus";
	default: return "unknown";
	}
}

void tlsraw_set_cipher_name(struct tlsraw *t, uint16_t id)
{
	const unsigned char b[2] = { (unsigned char)(id >> 8), (unsigned char)id };
	const SSL_CIPHER *c = SSL_CIPHER_find(t->sh->names, b);
	const char *name = c != NULL ? SSL_CIPHER_standard_name(c) : NULL;

	if (name != NULL)
		snprintf(t->res.cipher_name, sizeof(t->res.cipher_name), "%s", name);
	else
		snprintf(t->res.cipher_name, sizeof(t->res.cipher_name), "0x%04x", id);
}

void tlsraw_set_group_name(struct tlsraw *t, uint16_t id)
{
	/* SSL_group_to_name takes what SSL_get_negotiated_group returns: a NID, or
	 * TLSEXT_nid_unknown | the IANA id, which it resolves for every group it knows. */
	const char *name = SSL_group_to_name(t->sh->names, TLSEXT_nid_unknown | id);

	if (name != NULL)
		snprintf(t->res.group, sizeof(t->res.group), "%s", name);
	else
		snprintf(t->res.group, sizeof(t->res.group), "0x%04x", id);
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
		{ 110, "unsupported_extension" }, { 111, "certificate_unobtainable" },
		{ 112, "unrecognized_name" }, { 113, "bad_certificate_status_response" },
		{ 114, "bad_certificate_hash_value" }, { 115, "unknown_psk_identity" },
		{ 116, "certificate_required" }, { 120, "no_application_protocol" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == desc)
			return names[i].name;
	return "unknown";
}

static enum tlsraw_rc alert(struct tlsraw *t, const unsigned char *p, size_t len)
{
	if (len != 2)
		return tlsraw_fail(t, TLSRAW_ERROR, "malformed alert record");
	if (p[0] == 1 && p[1] != 0 && t->state != ST_TLS13) {
		if (++t->warnings > MAX_WARNINGS)
			return tlsraw_fail(t, TLSRAW_ERROR, "too many warning alerts");
		return TLSRAW_MORE;
	}
	t->res.alert_level = p[0];
	t->res.alert_desc = p[1];
	return tlsraw_fail(t, TLSRAW_ALERT, "alert %u %s", p[1], alert_name(p[1]));
}

static int hs_reserve(struct tlsraw *t, size_t extra)
{
	size_t need = t->hs_len + extra, cap = t->hs_cap ? t->hs_cap : 4096;
	unsigned char *p;

	if (need <= t->hs_cap)
		return 0;
	if (need > TLSRAW_MAX_HANDSHAKE + TLSRAW_MAX_RECORD)
		return -1;
	while (cap < need)
		cap *= 2;
	p = realloc(t->hs, cap);
	if (p == NULL)
		return -1;
	t->hs = p;
	t->hs_cap = cap;
	return 0;
}

/* Counts n more handshake bytes against the bound. */
static int hs_account(struct tlsraw *t, size_t n)
{
	if (n > TLSRAW_MAX_HANDSHAKE - t->hs_total)
		return -1;
	t->hs_total += n;
	return 0;
}

/* Hands every complete message in hs[] to the parser, then keeps only the unparsed tail. */
static enum tlsraw_rc hs_parse(struct tlsraw *t)
{
	enum tlsraw_rc rc = TLSRAW_MORE;
	size_t off = 0;

	while (rc == TLSRAW_MORE && t->hs_len - off >= 4) {
		const unsigned char *m = t->hs + off;
		size_t len = (size_t)m[1] << 16 | (size_t)m[2] << 8 | m[3];
		enum tlsraw_state before = t->state;

		if (len > TLSRAW_MAX_HANDSHAKE)
			return tlsraw_fail(t, TLSRAW_ERROR, "handshake message of %zu bytes", len);
		if (t->hs_len - off - 4 < len)
			break;
		rc = tlsraw_handshake(t, m, 4 + len);
		off += 4 + len;
		if (rc == TLSRAW_MORE && before == ST_WAIT_SH && t->state == ST_TLS13 && off != t->hs_len)
			return tlsraw_fail(t, TLSRAW_ERROR, "data after the TLS 1.3 ServerHello in its record");
	}
	if (rc == TLSRAW_MORE && off > 0) {
		memmove(t->hs, t->hs + off, t->hs_len - off);
		t->hs_len -= off;
	}
	return rc;
}

static enum tlsraw_rc plain_handshake(struct tlsraw *t, const unsigned char *p, size_t len)
{
	if (t->state == ST_TLS13)
		return tlsraw_fail(t, TLSRAW_ERROR, "unencrypted handshake record after the ServerHello");
	if (hs_account(t, len) != 0)
		return tlsraw_fail(t, TLSRAW_ERROR, "more than %d bytes of handshake data",
		                   TLSRAW_MAX_HANDSHAKE);
	if (hs_reserve(t, len) != 0)
		return tlsraw_fail(t, TLSRAW_ERROR, "out of memory");
	memcpy(t->hs + t->hs_len, p, len);
	t->hs_len += len;
	return hs_parse(t);
}

static enum tlsraw_rc encrypted(struct tlsraw *t, const unsigned char *rec, size_t len)
{
	unsigned type = 0;
	long n;

	if (t->state != ST_TLS13)
		return tlsraw_fail(t, TLSRAW_ERROR, "unexpected application data record");
	if (len > TLS13_MAX_CIPHERTEXT)
		return tlsraw_fail(t, TLSRAW_ERROR, "encrypted record of %zu bytes", len);
	if (hs_reserve(t, len) != 0)
		return tlsraw_fail(t, TLSRAW_ERROR, "out of memory");
	n = tls13_decrypt(t, rec, rec + 5, len, t->hs + t->hs_len, &type);
	if (n < 0)
		return tlsraw_fail(t, TLSRAW_ERROR, "cannot decrypt a TLS 1.3 handshake record");
	if (type == CT_ALERT)
		return alert(t, t->hs + t->hs_len, (size_t)n);
	if (type != CT_HANDSHAKE || n == 0)
		return tlsraw_fail(t, TLSRAW_ERROR, "unexpected inner content type %u", type);
	if (hs_account(t, (size_t)n) != 0)
		return tlsraw_fail(t, TLSRAW_ERROR, "more than %d bytes of handshake data",
		                   TLSRAW_MAX_HANDSHAKE);
	t->hs_len += (size_t)n;
	return hs_parse(t);
}

static enum tlsraw_rc record(struct tlsraw *t, const unsigned char *rec, size_t len)
{
	const unsigned char *p = rec + 5;

	switch (rec[0]) {
	case CT_ALERT:
		return alert(t, p, len);
	case CT_CCS:
		if (t->state == ST_TLS13 && len == 1 && p[0] == 1 && ++t->ccs <= MAX_CCS)
			return TLSRAW_MORE;
		return tlsraw_fail(t, TLSRAW_ERROR, "unexpected ChangeCipherSpec");
	case CT_HANDSHAKE:
		return plain_handshake(t, p, len);
	case CT_APPDATA:
		return encrypted(t, rec, len);
	default:
		return tlsraw_fail(t, TLSRAW_ERROR, "unexpected record type %u", rec[0]);
	}
}

/* 1 when the first n (1..5) bytes can start a TLS record: content type 20..24, major version 3. */
static int looks_tls(const unsigned char *h, size_t n)
{
	return h[0] >= CT_CCS && h[0] <= CT_HEARTBEAT && (n < 2 || h[1] == 3);
}

enum tlsraw_rc tlsraw_feed(struct tlsraw *t, struct evbuffer *in)
{
	enum tlsraw_rc rc = TLSRAW_MORE;

	if (t->state == ST_END)
		return t->rc;
	if (t->state == ST_NEW)
		return tlsraw_fail(t, TLSRAW_ERROR, "no ClientHello sent");
	while (rc == TLSRAW_MORE) {
		size_t avail = evbuffer_get_length(in), len;
		unsigned char hdr[5];
		const unsigned char *rec;
		size_t n = avail < 5 ? avail : 5;

		if (n == 0 || evbuffer_copyout(in, hdr, n) != (ev_ssize_t)n)
			break;
		if (!looks_tls(hdr, n))
			return tlsraw_fail(t, t->seen_record ? TLSRAW_ERROR : TLSRAW_NOT_TLS,
			                   t->seen_record ? "malformed record header" : "not a TLS record");
		if (n < 5)
			break;
		len = (size_t)hdr[3] << 8 | hdr[4];
		if (len > TLSRAW_MAX_RECORD)
			return tlsraw_fail(t, TLSRAW_ERROR, "record of %zu bytes", len);
		if (len == 0)
			return tlsraw_fail(t, TLSRAW_ERROR, "empty record");
		if (avail < 5 + len)
			break;
		rec = evbuffer_pullup(in, (ev_ssize_t)(5 + len));
		if (rec == NULL)
			return tlsraw_fail(t, TLSRAW_ERROR, "out of memory");
		t->seen_record = 1;
		rc = record(t, rec, len);
		evbuffer_drain(in, 5 + len);
	}
	if (rc != TLSRAW_MORE) {
		t->state = ST_END;  /* DONE comes from the parser without tlsraw_fail */
		t->rc = rc;
	}
	return rc;
}
