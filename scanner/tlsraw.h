/*
 * tlsraw.h: a raw TLS client codec that reads a server's certificate chain and negotiated
 * parameters with the project's own ClientHello, without a full OpenSSL handshake.
 *
 * Pure codec, no sockets: the caller writes the bytes tlsraw_client_hello() appends to `out`,
 * then hands whatever the server sends to tlsraw_feed() until it stops returning TLSRAW_MORE.
 *
 *   sh = tlsraw_shared_new(err, sizeof(err));         once per engine (one thread at a time)
 *   t = tlsraw_new(sh, "www.example.test", 1, 0x0304);  per connection
 *   tlsraw_client_hello(t, out);                        send `out`
 *   while ((rc = tlsraw_feed(t, in)) == TLSRAW_MORE)    read more into `in`
 *   r = tlsraw_result(t);                               valid until tlsraw_free(t)
 *
 * The ClientHello mimics OpenSSL 3.0's default client configured like scanner/tls_client.c
 * (TLS 1.0..1.3, 'ALL:COMPLEMENTOFDEFAULT:!eNULL:@SECLEVEL=0', OCSP status request), so a
 * server negotiates what a real client gets. For TLS <= 1.2 the chain travels in clear; for
 * TLS 1.3 the codec runs X25519 and the RFC 8446 key schedule up to the server handshake
 * traffic key, decrypts EncryptedExtensions and Certificate, and stops there (DONE) without
 * waiting for CertificateVerify/Finished, which it never checks: the result says what the
 * server presented, it proves nothing about who holds the key.
 *
 * Results: DONE (everything in tlsraw_result), ALERT (the server refused: alert_level/desc),
 * FALLBACK (something this codec does not do, e.g. a HelloRetryRequest: redo the endpoint with
 * OpenSSL), NOT_TLS (the first bytes are no TLS record: the caller still has them), ERROR
 * (malformed, hostile or oversized input). After a final result tlsraw_feed returns it again
 * and consumes nothing.
 *
 * Thread safety: a tlsraw_shared and the tlsraw objects made from it belong to one thread.
 */
#ifndef CS_TLSRAW_H
#define CS_TLSRAW_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

/* Engine-wide state: prefetched EVP_MD/EVP_CIPHER/EVP_MAC, an X25519 key pair reused across
 * connections and rotated every TLSRAW_KEY_USES ClientHellos, a dummy SSL for cipher names. */
struct tlsraw_shared;

#define TLSRAW_KEY_USES 4096
/* Bounds on hostile input. */
#define TLSRAW_MAX_RECORD (16384 + 2048)       /* record payload bytes */
#define TLSRAW_MAX_HANDSHAKE (256 * 1024)     /* handshake bytes per connection */
#define TLSRAW_MAX_CERTS 16                   /* certificates kept (more are counted, not kept) */

/* Returns the shared state, or NULL with a reason in err. */
struct tlsraw_shared *tlsraw_shared_new(char *err, size_t errlen);
/* Frees it; every tlsraw made from it must be freed first. NULL is a no-op. */
void tlsraw_shared_free(struct tlsraw_shared *sh);

struct tlsraw;

/*
 * A connection's codec. sh is borrowed and must outlive it. sni may be NULL (no server_name);
 * otherwise a host name of 1..255 printable ASCII bytes, never an IP literal (the caller
 * ensures that), copied. alpn=1 offers h2,http/1.1. max_version: 0x0304 offers TLS 1.0..1.3,
 * 0x0303 TLS 1.0..1.2, 0x0302 and 0x0301 as a client capped there would; 0 means 0x0304.
 * Returns NULL on a bad argument or when out of memory.
 */
struct tlsraw *tlsraw_new(struct tlsraw_shared *sh, const char *sni, int alpn, int max_version);

/* Appends the ClientHello record to out; 0, or -1 (reason in the result's err). Call once. */
int tlsraw_client_hello(struct tlsraw *t, struct evbuffer *out);

enum tlsraw_rc { TLSRAW_MORE = 0, TLSRAW_DONE, TLSRAW_ALERT, TLSRAW_FALLBACK, TLSRAW_NOT_TLS, TLSRAW_ERROR };

/*
 * Consumes (drains) whatever complete records are in `in`; an incomplete record stays there.
 * Returns MORE until it has what it needs. Records after the one that completed the job stay
 * in `in` too. NOT_TLS is decided on the first one or two bytes and drains nothing.
 */
enum tlsraw_rc tlsraw_feed(struct tlsraw *t, struct evbuffer *in);

struct tlsraw_result {
	int version;            /* 0x0301..0x0304; 0 before the ServerHello */
	uint16_t cipher;        /* IANA id */
	char cipher_name[64];   /* IANA standard name as SSL_CIPHER_standard_name gives; "0xXXXX" if unknown */
	char version_name[16];  /* "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3" like SSL_get_version */
	char group[32];         /* like SSL_group_to_name ("x25519", "secp256r1"); DHE: "DH-<bits>";
	                           RSA key exchange: ""; unknown ids: "0xXXXX" */
	char alpn[32];          /* negotiated ALPN protocol, "" for none */
	int ocsp_stapled;       /* TLS 1.2 CertificateStatus, or TLS 1.3 status_request on the leaf */
	size_t n_certs;         /* presented chain, leaf first, at most TLSRAW_MAX_CERTS kept */
	const unsigned char *cert[TLSRAW_MAX_CERTS];  /* borrowed, valid until tlsraw_free */
	size_t cert_len[TLSRAW_MAX_CERTS];
	int chain_truncated;    /* 1 when the server sent more than TLSRAW_MAX_CERTS */
	int alert_level, alert_desc;  /* when TLSRAW_ALERT */
	char err[160];          /* reason for ALERT/FALLBACK/NOT_TLS/ERROR, e.g. "alert 70 protocol_version";
	                           printable ASCII, never quotes peer bytes */
};

/* The result so far (complete after DONE); borrowed, valid until tlsraw_free. */
const struct tlsraw_result *tlsraw_result(const struct tlsraw *t);

/* Frees the codec and the certificate bytes the result points to. NULL is a no-op. */
void tlsraw_free(struct tlsraw *t);

/*
 * For tests and fuzzing only, never on a real scan: makes the next tlsraw_client_hello use
 * these bytes instead of fresh randomness (random: 32 bytes, session_id: 32 bytes, used when
 * TLS 1.3 is offered) and, when x25519_private is not NULL, this X25519 private key (32 bytes)
 * instead of the shared one, so a recorded server flight can be replayed. Returns 0 or -1.
 */
int tlsraw_fix_secrets(struct tlsraw *t, const unsigned char *random,
                       const unsigned char *session_id, const unsigned char *x25519_private);

#endif
