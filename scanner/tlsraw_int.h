/*
 * tlsraw_int.h: what the tlsraw_*.c files share; nothing outside them includes it.
 *
 *   tlsraw.c        shared state, object lifetime, record layer (tlsraw_feed), handshake reassembly
 *   tlsraw_hello.c  the ClientHello and the offered cipher-suite table
 *   tlsraw_parse.c  the server's handshake messages (ServerHello, TLS 1.2 flight, TLS 1.3 flight)
 *   tlsraw_tls13.c  X25519, the RFC 8446 key schedule, record decryption
 *
 * Byte readers: a `struct rd` is a cursor over hostile bytes; every read checks the length and
 * returns -1 on a short input, leaving the cursor where it was.
 */
#ifndef CS_TLSRAW_INT_H
#define CS_TLSRAW_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "core/rd.h"
#include "scanner/tlsraw.h"

#define TLSRAW_HELLO_MAX 1024      /* ClientHello handshake message, SNI included */
#define TLS13_MAX_CIPHERTEXT (16384 + 256)
#define TLS13_TAG 16
#define TLS13_IV 12
#define TLSRAW_MAX_HASH 48

/* Handshake message types (RFC 8446 section 4, RFC 5246 section 7.4, RFC 6066 section 8). */
enum {
	HS_HELLO_REQUEST = 0, HS_CLIENT_HELLO = 1, HS_SERVER_HELLO = 2, HS_NEW_SESSION_TICKET = 4,
	HS_ENCRYPTED_EXTENSIONS = 8, HS_CERTIFICATE = 11, HS_SERVER_KEY_EXCHANGE = 12,
	HS_CERTIFICATE_REQUEST = 13, HS_SERVER_HELLO_DONE = 14, HS_CERTIFICATE_VERIFY = 15,
	HS_FINISHED = 20, HS_CERTIFICATE_STATUS = 22,
};

/* Extension types we read or write. */
enum {
	EXT_SERVER_NAME = 0, EXT_STATUS_REQUEST = 5, EXT_SUPPORTED_GROUPS = 10, EXT_EC_POINT_FORMATS = 11,
	EXT_SIGNATURE_ALGORITHMS = 13, EXT_ALPN = 16, EXT_ENCRYPT_THEN_MAC = 22, EXT_EMS = 23,
	EXT_SESSION_TICKET = 35, EXT_SUPPORTED_VERSIONS = 43, EXT_PSK_KEX_MODES = 45, EXT_KEY_SHARE = 51,
};

#define GROUP_X25519 0x001d

/* Key exchange of an offered suite. */
enum tlsraw_kx_kind { KX_TLS13, KX_ECDHE, KX_DHE, KX_RSA };

struct tlsraw_suite {
	uint16_t id;
	uint8_t kx;            /* enum tlsraw_kx_kind */
	uint16_t min_version;  /* lowest protocol version that may negotiate it */
};

/* One X25519 key pair with a derive context ready for a peer; reference-counted (one thread). */
struct tlsraw_kx {
	int refs;
	EVP_PKEY *key;        /* owned */
	EVP_PKEY_CTX *dctx;   /* owned; EVP_PKEY_derive_init done, the peer is set per derivation */
	unsigned char pub[32];
};

/* Hash-dependent constants of the key schedule, computed once. */
struct tlsraw_hash {
	EVP_MD *md;           /* owned (EVP_MD_fetch) */
	EVP_MAC_CTX *hmac;    /* owned; digest set, the key is set per use */
	size_t len;
	unsigned char derived[TLSRAW_MAX_HASH];  /* Derive-Secret(Early Secret, "derived", "") */
};

struct tlsraw_shared {
	struct tlsraw_hash sha256, sha384;
	EVP_MAC *mac;                 /* owned (EVP_MAC_fetch "HMAC") */
	EVP_MD_CTX *mdctx;            /* owned; scratch for transcript hashes */
	EVP_CIPHER *aes128gcm, *aes256gcm, *chacha;  /* owned (EVP_CIPHER_fetch) */
	struct tlsraw_kx *kx;         /* one reference owned; NULL until the first TLS 1.3 hello */
	unsigned kx_uses;             /* ClientHellos that used kx */
	SSL_CTX *names_ctx;           /* owned; only for the dummy SSL */
	SSL *names;                   /* owned; SSL_CIPHER_find / SSL_group_to_name */
};

enum tlsraw_state { ST_NEW, ST_WAIT_SH, ST_TLS12, ST_TLS13, ST_END };

struct tlsraw {
	struct tlsraw_shared *sh;     /* borrowed */
	struct tlsraw_kx *kx;         /* one reference owned; NULL unless TLS 1.3 is offered */
	char sni[256];                /* "" for none */
	int alpn;
	int max_version;
	int fixed;                    /* tlsraw_fix_secrets was called */
	unsigned char random[32];
	unsigned char sid[32];
	size_t sid_len;
	unsigned char hello[TLSRAW_HELLO_MAX];  /* the ClientHello handshake message (transcript) */
	size_t hello_len;

	enum tlsraw_state state;
	enum tlsraw_rc rc;            /* final result once state is ST_END */
	int seen_record;              /* a complete record header was accepted */
	int warnings;                 /* warning alerts skipped */
	int ccs;                      /* ChangeCipherSpec records skipped */
	int stage;                    /* order of messages within the current state */
	uint8_t kx12;                 /* enum tlsraw_kx_kind of the TLS <= 1.2 suite */

	/* Handshake reassembly: hs[0..hs_len) holds bytes not yet parsed. */
	unsigned char *hs;            /* owned */
	size_t hs_len, hs_cap;
	size_t hs_total;              /* handshake bytes received so far, held to TLSRAW_MAX_HANDSHAKE */

	/* TLS 1.3 record protection (server handshake traffic). */
	const struct tlsraw_hash *hash;     /* borrowed from sh */
	EVP_CIPHER_CTX *cctx;         /* owned; key set, the nonce is set per record */
	unsigned char iv[TLS13_IV];
	uint64_t seq;

	unsigned char *certmsg;       /* owned copy of the Certificate message: result.cert[] point here */
	struct tlsraw_result res;
};

/* tlsraw.c */
enum tlsraw_rc tlsraw_fail(struct tlsraw *t, enum tlsraw_rc rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *tlsraw_msg_name(unsigned type);
void tlsraw_set_cipher_name(struct tlsraw *t, uint16_t id);
void tlsraw_set_group_name(struct tlsraw *t, uint16_t id);

/* tlsraw_hello.c */
const struct tlsraw_suite *tlsraw_suite_find(uint16_t id);
int tlsraw_build_hello(struct tlsraw *t);

/* tlsraw_parse.c: one complete handshake message (msg includes its 4-byte header). */
enum tlsraw_rc tlsraw_handshake(struct tlsraw *t, const unsigned char *msg, size_t msglen);

/* tlsraw_tls13.c */
int tls13_shared_init(struct tlsraw_shared *sh, char *err, size_t errlen);
void tls13_shared_free(struct tlsraw_shared *sh);
struct tlsraw_kx *tlsraw_kx_new(const unsigned char *priv);
void tlsraw_kx_unref(struct tlsraw_kx *kx);
/* ServerHello chose suite `id` and sent `peer` (32 bytes): derives the server handshake key.
 * 0, or -1 with the reason in t->res.err. */
int tls13_start(struct tlsraw *t, uint16_t id, const unsigned char *peer, const unsigned char *sh_msg,
                size_t sh_len);
/* Decrypts one TLSCiphertext (hdr: its 5-byte header; ct: len bytes) into out (>= len bytes).
 * Sets *type to the inner content type and returns the content length, or -1. */
long tls13_decrypt(struct tlsraw *t, const unsigned char *hdr, const unsigned char *ct, size_t len,
                   unsigned char *out, unsigned *type);
/* HKDF-Expand-Label (RFC 8446 section 7.1) with out_len <= h->len. 0 or -1. */
int tls13_expand_label(const struct tlsraw_hash *h, const unsigned char *secret, const char *label,
                       const unsigned char *ctx, size_t ctx_len, unsigned char *out, size_t out_len);

#endif
