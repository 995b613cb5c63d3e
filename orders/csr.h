/*
 * csr.h: private keys and certificate signing requests for renewal orders.
 *
 * Generation: a key (RSA 2048/3072/4096 or ECDSA P-256/P-384, OpenSSL 3 EVP_PKEY_Q_keygen),
 * written as unencrypted PKCS#8 PEM with mode 0600 through atomic_write_file(ATOMIC_NO_REPLACE):
 * an existing file is never overwritten. A CSR (PKCS#10) with CN, optional O, OU, C, ST, L and
 * emailAddress, and a subjectAltName extension of DNS names and IP addresses, signed with
 * SHA-256. The CN is always one of the SANs (added first when the list lacks it), as the
 * CA/Browser Forum requires of the certificate.
 *
 * Import ("validate & parse"): a CSR as PEM (CERTIFICATE REQUEST or NEW CERTIFICATE REQUEST, the
 * first such block; text around it is ignored) or DER (exactly one request, nothing after it),
 * detected by content, at most CSR_MAX_INPUT bytes. Parsing yields the subject (RFC 2253, shown
 * safely for a terminal), CN, SANs, key type and size, whether the self-signature verifies
 * (X509_REQ_verify), and the MD5 and SHA-256 of the request's DER: the exact DER bytes given, or
 * decoded from the PEM, which domain control validation hashes (orders/dcv.h).
 *
 * Every input is hostile: sizes are bounded (CSR_MAX_SANS names of at most CSR_MAX_NAME bytes,
 * names with bytes outside printable ASCII are refused), and OpenSSL's error queue is left as it
 * was found. Library code: no printing, errors in err.
 */
#ifndef CS_ORDERS_CSR_H
#define CS_ORDERS_CSR_H

#include <stddef.h>

#include <openssl/evp.h>

#define CSR_MAX_INPUT (64 * 1024)  /* bytes of an imported CSR file */
#define CSR_MAX_SANS 256           /* subjectAltName entries */
#define CSR_MAX_NAME 253           /* bytes of one SAN (a DNS name) */
#define CSR_MAX_FIELD 128          /* bytes of one subject attribute given to csr_build_pem */
#define CSR_MAX_KEY_FILE (64 * 1024)

enum csr_key_type {
	CSR_KEY_RSA2048 = 0,
	CSR_KEY_RSA3072,
	CSR_KEY_RSA4096,
	CSR_KEY_P256,
	CSR_KEY_P384,
};

/* "rsa2048", "rsa3072", "rsa4096", "p256", "p384"; static storage; NULL for a bad value. */
const char *csr_key_type_name(enum csr_key_type t);
/* Parses those names (also "ec256"/"ec384", "prime256v1", "secp384r1"; case-insensitive).
 * Returns 0, or -1 with a message listing the valid names. */
int csr_key_type_parse(const char *s, enum csr_key_type *out, char *err, size_t errlen);

/* Generates a new key; caller frees with EVP_PKEY_free. NULL with a message on failure. */
EVP_PKEY *csr_key_generate(enum csr_key_type t, char *err, size_t errlen);

/* Writes key's private part as PKCS#8 PEM to path with mode 0600, atomically, refusing to
 * replace an existing file. Returns 0 or -1 with a message. */
int csr_key_write(EVP_PKEY *key, const char *path, char *err, size_t errlen);

/* Reads a private key PEM (unencrypted) of at most CSR_MAX_KEY_FILE bytes; caller frees.
 * NULL with a message naming the path. */
EVP_PKEY *csr_key_read(const char *path, char *err, size_t errlen);

struct csr_subject {
	const char *cn;               /* required: a DNS name (or IP literal); not copied */
	const char *const *sans;      /* DNS names or IP literals (v4/v6); not copied; may be NULL */
	size_t n_sans;
	const char *o, *ou, *c, *st, *l, *email;  /* optional (NULL or ""); c: 2 letters */
};

/*
 * Validates s and builds a CSR signed (SHA-256) with key. Returns the CSR as a malloc'd,
 * NUL-terminated PEM string (caller frees), or NULL with a message: missing CN, a name that is
 * not a DNS name or IP address, too many SANs, a country that is not two letters A-Z (lower
 * case is upper-cased), a field with control characters or over CSR_MAX_FIELD bytes, an email
 * without '@'. A wildcard "*." is allowed as the first label of a DNS name.
 */
char *csr_build_pem(EVP_PKEY *key, const struct csr_subject *s, char *err, size_t errlen);

enum csr_san_type { CSR_SAN_DNS = 0, CSR_SAN_IP };

struct csr_san {
	enum csr_san_type type;
	char value[CSR_MAX_NAME + 1];  /* DNS name as in the CSR, or IP address text */
};

struct csr_info {
	char subject[1024];        /* RFC 2253, terminal-safe, may be truncated */
	char cn[CSR_MAX_NAME + 1]; /* first CN, terminal-safe; "" if none */
	struct csr_san *sans;      /* owned; n_sans entries */
	size_t n_sans;
	char key_type[16];         /* "RSA", "EC", "ED25519", ... or "unknown" */
	int key_bits;
	char curve[32];            /* EC group name ("prime256v1"), "" otherwise */
	char sig_alg[64];          /* e.g. "sha256WithRSAEncryption" */
	int signature_ok;          /* 1: X509_REQ_verify with the request's own key succeeded */
	unsigned char md5[16];     /* of der */
	unsigned char sha256[32];  /* of der */
	unsigned char *der;        /* owned; the request's DER */
	size_t der_len;
};

/*
 * Parses a CSR from buf (PEM or DER, see above). Returns 0 and a new *out (free with
 * csr_info_free), or -1 with a message: empty, too large, not a CSR, corrupt PEM/DER, trailing
 * data after the DER, no public key, too many SANs, a SAN that is not printable ASCII. A bad
 * signature is not an error here: signature_ok is 0 and the caller decides.
 */
int csr_parse(const unsigned char *buf, size_t len, struct csr_info **out, char *err,
	      size_t errlen);

/* The same from a file ("-" is not special); refuses non-regular files and those over
 * CSR_MAX_INPUT bytes. */
int csr_parse_file(const char *path, struct csr_info **out, char *err, size_t errlen);

void csr_info_free(struct csr_info *info);

/* 1 when the CSR's public key is key's public key, 0 when not, -1 when the DER cannot be read. */
int csr_key_matches(const struct csr_info *info, EVP_PKEY *key);

#endif
