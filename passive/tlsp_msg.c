/*
 * tlsp_msg.c: the handshake messages each direction may send in clear, and the Certificate.
 *
 *   client: ClientHello (the first message; a later one, after a HelloRetryRequest, is
 *           skipped: JA3 describes the first), [Certificate], ClientKeyExchange -> DONE;
 *           CertificateVerify is skipped. With TLS 1.3 chosen by the server: DONE right after
 *           the ClientHello (tlsp.c settles the case where the server's side comes second).
 *   server: [HelloRequest...] ServerHello: TLS 1.3 (supported_versions) -> DONE; a
 *           HelloRetryRequest (once) is recorded and another ServerHello awaited. TLS <= 1.2:
 *           [Certificate] [CertificateStatus] [ServerKeyExchange] [CertificateRequest]
 *           ServerHelloDone -> DONE; NewSessionTicket and HelloRequest are skipped.
 * Anything else is ERROR: a message out of place is what a swapped direction or garbage gives.
 * The order within a TLS <= 1.2 flight is not enforced: nothing here depends on it.
 *
 * Certificate (TLS <= 1.2 layout: a 3-byte list length, then a 3-byte length and the DER of
 * each certificate) is checked whole before anything is copied; the first OBS_MAX_CHAIN
 * certificates are copied, up to one larger than OBS_MAX_CERT_DER, which cuts the chain there;
 * either sets chain_truncated.
 */
#include <stdlib.h>
#include <string.h>

#include "passive/tlsp_int.h"

static const char *msg_name(unsigned type)
{
	switch (type) {
	case HS_HELLO_REQUEST: return "HelloRequest";
	case HS_CLIENT_HELLO: return "ClientHello";
	case HS_SERVER_HELLO: return "ServerHello";
	case HS_NEW_SESSION_TICKET: return "NewSessionTicket";
	case HS_CERTIFICATE: return "Certificate";
	case HS_SERVER_KEY_EXCHANGE: return "ServerKeyExchange";
	case HS_CERTIFICATE_REQUEST: return "CertificateRequest";
	case HS_SERVER_HELLO_DONE: return "ServerHelloDone";
	case HS_CERTIFICATE_VERIFY: return "CertificateVerify";
	case HS_CLIENT_KEY_EXCHANGE: return "ClientKeyExchange";
	case HS_CERTIFICATE_STATUS: return "CertificateStatus";
	default: return "unknown message";
	}
}

int tlsp_msg_wanted(const struct tlsp *t, int dir, unsigned type)
{
	const struct tlsp_dir *d = &t->dir[dir];

	if (type == HS_CERTIFICATE)
		return !d->certificate;
	if (dir == 0)
		return type == HS_CLIENT_HELLO && !d->hello;
	return type == HS_SERVER_HELLO && !d->hello;
}

static enum tlsp_state certificate(struct tlsp *t, int dir, const unsigned char *body, size_t len)
{
	struct der_blob *chain = dir == 0 ? t->res.client_chain : t->res.server_chain;
	size_t *n = dir == 0 ? &t->res.n_client_chain : &t->res.n_server_chain;
	struct rd r = { body, len }, list, walk, der;

	if (t->dir[dir].certificate++)
		return tlsp_fail(t, dir, "second Certificate message");
	if (rd_vec(&r, 3, &list) != 0 || r.n != 0)
		return tlsp_fail(t, dir, "malformed Certificate message");
	for (walk = list; walk.n > 0;)
		if (rd_vec(&walk, 3, &der) != 0 || der.n == 0)
			return tlsp_fail(t, dir, "malformed Certificate message");
	while (rd_vec(&list, 3, &der) == 0) {
		if (*n == OBS_MAX_CHAIN || der.n > OBS_MAX_CERT_DER) {
			t->res.chain_truncated = 1;
			break;
		}
		chain[*n].der = malloc(der.n);
		if (chain[*n].der == NULL)
			return tlsp_fail(t, dir, "out of memory");
		memcpy(chain[*n].der, der.p, der.n);
		chain[*n].len = der.n;
		(*n)++;
	}
	return TLSP_MORE;
}

static enum tlsp_state client_message(struct tlsp *t, unsigned type, const unsigned char *body,
                                      size_t len)
{
	struct tlsp_dir *d = &t->dir[0];
	char why[96];

	if (!d->hello) {
		if (type != HS_CLIENT_HELLO)
			return tlsp_fail(t, 0, "expected ClientHello, got %s %u", msg_name(type),
			                 type);
		if (tlsp_client_hello(&t->res, body, len, why, sizeof(why)) != 0)
			return tlsp_fail(t, 0, "%s", why);
		d->hello = 1;
		t->res.client_hello = 1;
		if (t->tls13)
			tlsp_end(t, 0, TLSP_DONE);
		return d->state;
	}
	switch (type) {
	case HS_CERTIFICATE:
		return certificate(t, 0, body, len);
	case HS_CLIENT_HELLO:       /* the second one, after a HelloRetryRequest */
	case HS_CERTIFICATE_VERIFY:
		return TLSP_MORE;
	case HS_CLIENT_KEY_EXCHANGE:
		tlsp_end(t, 0, TLSP_DONE);
		return TLSP_DONE;
	default:
		return tlsp_fail(t, 0, "unexpected %s %u from the client", msg_name(type), type);
	}
}

static enum tlsp_state server_hello(struct tlsp *t, const unsigned char *body, size_t len)
{
	struct tlsp_dir *d = &t->dir[1];
	int tls13 = 0, hrr = 0;
	char why[96];

	if (tlsp_server_hello(&t->res, body, len, &tls13, &hrr, why, sizeof(why)) != 0)
		return tlsp_fail(t, 1, "%s", why);
	t->res.server_hello = 1;
	if (hrr) {
		if (d->hrr++)
			return tlsp_fail(t, 1, "second HelloRetryRequest");
		d->ccs_ok = 1;
		return TLSP_MORE;
	}
	d->ccs_ok = 0;
	d->hello = 1;
	if (tls13) {
		t->tls13 = 1;
		tlsp_end(t, 1, TLSP_DONE);
		return TLSP_DONE;
	}
	return TLSP_MORE;
}

static enum tlsp_state server_message(struct tlsp *t, unsigned type, const unsigned char *body,
                                      size_t len)
{
	if (type == HS_HELLO_REQUEST && len == 0)
		return TLSP_MORE;
	if (!t->dir[1].hello) {
		if (type != HS_SERVER_HELLO)
			return tlsp_fail(t, 1, "expected ServerHello, got %s %u", msg_name(type),
			                 type);
		return server_hello(t, body, len);
	}
	switch (type) {
	case HS_CERTIFICATE:
		return certificate(t, 1, body, len);
	case HS_CERTIFICATE_STATUS:
	case HS_SERVER_KEY_EXCHANGE:
	case HS_CERTIFICATE_REQUEST:
	case HS_NEW_SESSION_TICKET:
		return TLSP_MORE;
	case HS_SERVER_HELLO_DONE:
		tlsp_end(t, 1, TLSP_DONE);
		return TLSP_DONE;
	default:
		return tlsp_fail(t, 1, "unexpected %s %u from the server", msg_name(type), type);
	}
}

enum tlsp_state tlsp_message(struct tlsp *t, int dir, unsigned type, const unsigned char *body,
                             size_t len)
{
	if (dir == 0)
		return client_message(t, type, body, len);
	return server_message(t, type, body, len);
}
