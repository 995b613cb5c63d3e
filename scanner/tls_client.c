/*
 * tls_client.c: the OpenSSL side of a connection.
 *
 * One SSL_CTX serves every connection. It accepts what a discovery tool must see rather than
 * what a browser would accept: security level 0, TLS 1.0 and up (Debian's OpenSSL has no
 * SSLv3), every cipher (NULL encryption last), and SSL_VERIFY_NONE, so a bad chain never aborts a handshake: the
 * analyzer verifies the recorded chain afterwards against the chosen trust store.
 * The offered order puts modern suites first, so a server that follows the client's order
 * negotiates what a current client would get.
 *
 * A BIO callback keeps the first bytes the server sends (conn->peek): they tell a non-TLS
 * service ("220 mail ESMTP") from a TLS failure, and drive --starttls auto.
 */
#include "scanner/engine_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/tls1.h>
#include <openssl/x509.h>

/* ALPN offered on direct TLS: wire format (length-prefixed). */
static const unsigned char alpn_wire[] = "\x02h2\x08http/1.1";

SSL_CTX *tls_client_ctx_new(char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL)
		goto fail;
	SSL_CTX_set_security_level(ctx, 0);
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION))
		goto fail;
	/* The fast path's list (tlsraw_hello.c), then the NULL-encryption suites last: a server
	 * that offers nothing else is still reached and its certificate read (the fast path's
	 * alert sends such a server here). */
	if (!SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFDEFAULT:-eNULL:eNULL:@SECLEVEL=0"))
		goto fail;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* Same ClientHello content as the raw path (tlsraw sends the empty session_ticket too). */
	SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	/* Bound what a hostile server can make us buffer for its Certificate message. */
	SSL_CTX_set_max_cert_list(ctx, 256 * 1024);
	return ctx;
fail:
	snprintf(err, errlen, "cannot set up OpenSSL: %s", ERR_reason_error_string(ERR_get_error()));
	SSL_CTX_free(ctx);
	return NULL;
}

static long peek_cb(BIO *bio, int oper, const char *argp, size_t len, int argi, long argl,
                    int ret, size_t *processed)
{
	struct conn *c = (struct conn *)BIO_get_callback_arg(bio);

	if (oper == (BIO_CB_READ | BIO_CB_RETURN) && ret > 0 && processed != NULL &&
	    c != NULL && c->peek_len < sizeof(c->peek)) {
		size_t n = *processed;

		if (n > sizeof(c->peek) - c->peek_len)
			n = sizeof(c->peek) - c->peek_len;
		memcpy(c->peek + c->peek_len, argp, n);
		c->peek_len += n;
	}
	return ret;
}

int tls_client_sni_usable(const char *s)
{
	unsigned char buf[16];

	return s[0] != '\0' && inet_pton(AF_INET, s, buf) != 1 && inet_pton(AF_INET6, s, buf) != 1;
}

SSL *tls_client_new(struct conn *c, char *err, size_t errlen)
{
	SSL *ssl = SSL_new(c->eng->ssl_ctx);
	BIO *bio;

	if (ssl == NULL)
		goto fail;
	if (!SSL_set_fd(ssl, c->fd))
		goto fail;
	bio = SSL_get_rbio(ssl);
	BIO_set_callback_arg(bio, (char *)c);
	BIO_set_callback_ex(bio, peek_cb);
	if (c->obs->sni != NULL && tls_client_sni_usable(c->obs->sni) &&
	    !SSL_set_tlsext_host_name(ssl, c->obs->sni))
		goto fail;
	if (c->proto == NULL && SSL_set_alpn_protos(ssl, alpn_wire, sizeof(alpn_wire) - 1) != 0)
		goto fail;
	SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp);
	return ssl;
fail:
	snprintf(err, errlen, "cannot start TLS: %s", ERR_reason_error_string(ERR_get_error()));
	SSL_free(ssl);
	return NULL;
}

static void collect_group(SSL *ssl, struct observation *obs)
{
	int nid = SSL_get_negotiated_group(ssl);
	EVP_PKEY *tmp = NULL;
	const char *name = NULL;

	if (nid != 0 && nid != NID_undef)
		name = SSL_group_to_name(ssl, nid);
	if (name != NULL) {
		snprintf(obs->group, sizeof(obs->group), "%s", name);
		return;
	}
	if (SSL_get_peer_tmp_key(ssl, &tmp) && tmp != NULL) {
		char gname[64];
		size_t glen = 0;

		if (EVP_PKEY_is_a(tmp, "DH")) /* finite-field DHE in TLS <= 1.2: name by size */
			snprintf(obs->group, sizeof(obs->group), "DH-%d", EVP_PKEY_get_bits(tmp));
		else if (EVP_PKEY_get_group_name(tmp, gname, sizeof(gname), &glen))
			snprintf(obs->group, sizeof(obs->group), "%.31s", gname);
		else
			snprintf(obs->group, sizeof(obs->group), "%s", EVP_PKEY_get0_type_name(tmp));
		EVP_PKEY_free(tmp);
	}
}

void tls_client_collect(SSL *ssl, struct observation *obs)
{
	const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
	const unsigned char *alpn = NULL;
	unsigned int alpn_len = 0;
	const unsigned char *ocsp = NULL;
	STACK_OF(X509) *chain;

	obs->tls_version = SSL_version(ssl);
	snprintf(obs->version, sizeof(obs->version), "%s", SSL_get_version(ssl));
	if (cipher != NULL) {
		const char *std = SSL_CIPHER_standard_name(cipher);
		snprintf(obs->cipher, sizeof(obs->cipher), "%s",
		         std != NULL ? std : SSL_CIPHER_get_name(cipher));
	}
	collect_group(ssl, obs);
	SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
	if (alpn != NULL && alpn_len > 0 && alpn_len < sizeof(obs->alpn)) {
		memcpy(obs->alpn, alpn, alpn_len);
		obs->alpn[alpn_len] = '\0';
	}
	obs->ocsp_stapled = SSL_get_tlsext_status_ocsp_resp(ssl, &ocsp) > 0 && ocsp != NULL;
	chain = SSL_get_peer_cert_chain(ssl); /* client side: includes the leaf; not ours to free */
	for (int i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
		unsigned char *der = NULL;
		int len = i2d_X509(sk_X509_value(chain, i), &der);

		if (len > 0)
			obs_add_cert(obs, der, (size_t)len);
		OPENSSL_free(der);
	}
}

/* 1 when the bytes can start a TLS (or SSLv2-compatible) server response. */
static int looks_like_tls(const unsigned char *p, size_t n)
{
	if (n == 0)
		return 1;
	if (p[0] >= 0x14 && p[0] <= 0x18)
		return n < 2 || p[1] == 0x03;
	return (p[0] & 0x80) != 0 && n >= 3 && p[2] == 0x04; /* SSLv2 SERVER-HELLO */
}

void tls_client_note_not_tls(struct conn *c)
{
	char quoted[96];
	ssize_t more;

	/* The TLS client read only a record header's worth: take what else has arrived, to quote it. */
	if (c->peek_len < sizeof(c->peek)) {
		more = recv(c->fd, c->peek + c->peek_len, sizeof(c->peek) - c->peek_len, MSG_DONTWAIT);
		if (more > 0)
			c->peek_len += (size_t)more;
	}
	starttls_quote(quoted, sizeof(quoted), c->peek, c->peek_len);
	obs_set_error(c->obs, EP_NOT_TLS, "server sent non-TLS data: \"%s\"", quoted);
}

void tls_client_classify_failure(struct conn *c, int ssl_err, int sys_errno)
{
	struct observation *obs = c->obs;
	unsigned long e = ERR_peek_last_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

	if (!looks_like_tls(c->peek, c->peek_len)) {
		tls_client_note_not_tls(c);
		return;
	}
	if (ssl_err == SSL_ERROR_SYSCALL || ssl_err == SSL_ERROR_ZERO_RETURN ||
	    (ssl_err == SSL_ERROR_SSL && e != 0 && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
		if (sys_errno == ECONNRESET || sys_errno == EPIPE)
			obs_set_error(obs, EP_RESET, "connection reset by peer during TLS handshake");
		else if (sys_errno != 0 && sys_errno != EAGAIN)
			obs_set_error(obs, EP_RESET, "TLS handshake: %s", strerror(sys_errno));
		else if (c->peek_len == 0)
			obs_set_error(obs, EP_RESET, "connection closed by peer before any TLS data");
		else
			obs_set_error(obs, EP_RESET, "connection closed by peer during TLS handshake");
		return;
	}
	obs_set_error(obs, EP_HANDSHAKE_FAILED, "TLS handshake failed: %s",
	              reason != NULL ? reason : "unknown error");
}
