/*
 * suites.h: the IANA TLS cipher suite registry (plus the SSLv2 cipher kinds), as a const table
 * of facts: what each suite's key exchange, authentication, encryption and MAC are. The
 * prober offers suites from it, the checks and the grade judge accepted suites by it, and the
 * reports name suites with it. Nothing here depends on what the linked OpenSSL supports.
 */
#ifndef CS_SUITES_H
#define CS_SUITES_H

#include <stddef.h>
#include <stdint.h>

enum suite_kex { KX_NULL, KX_RSA, KX_DH, KX_DHE, KX_ECDH, KX_ECDHE, KX_PSK, KX_DHE_PSK, KX_RSA_PSK,
	         KX_ECDHE_PSK, KX_SRP, KX_KRB5, KX_GOST, KX_TLS13 /* TLS 1.3: negotiated separately */ };
enum suite_auth { AU_NULL, AU_RSA, AU_DSS, AU_ECDSA, AU_PSK, AU_ANON, AU_KRB5, AU_GOST, AU_TLS13 };
enum suite_enc { EN_NULL, EN_RC4, EN_RC2, EN_IDEA, EN_DES, EN_3DES, EN_AES_CBC, EN_AES_GCM, EN_AES_CCM,
	         EN_CAMELLIA_CBC, EN_CAMELLIA_GCM, EN_ARIA_CBC, EN_ARIA_GCM, EN_SEED, EN_CHACHA20,
	         EN_GOST, EN_SM4 };

/* Flags. */
#define SUITE_EXPORT  0x01   /* export-grade (40/56-bit) */
#define SUITE_AEAD    0x02
#define SUITE_FS      0x04   /* forward secrecy (ephemeral key exchange) */
#define SUITE_TLS13   0x08   /* a TLS 1.3 suite */
#define SUITE_SCSV    0x10   /* signalling value, not a suite (EMPTY_RENEGOTIATION_INFO, FALLBACK) */
#define SUITE_SSL2    0x20   /* an SSLv2 cipher kind (3-byte id in `ssl2`) */

struct suite {
	uint16_t id;             /* IANA value (0 for SSLv2 kinds) */
	uint32_t ssl2;           /* SSLv2 cipher kind (3 bytes), 0 otherwise */
	const char *name;        /* IANA name, e.g. "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" */
	const char *openssl;     /* OpenSSL name or NULL, e.g. "ECDHE-RSA-AES128-GCM-SHA256" */
	enum suite_kex kex;
	enum suite_auth auth;
	enum suite_enc enc;
	uint16_t bits;           /* symmetric key strength in bits (3DES: 112; NULL: 0) */
	uint8_t flags;
	uint16_t min_version;    /* lowest protocol that defines it: 0x0002 (SSLv2), 0x0300, 0x0303, 0x0304 */
};

/* The whole registry, terminated by an entry with name == NULL. */
extern const struct suite suite_table[];
size_t suite_count(void);
/* Looks up a TLS suite by IANA id; NULL when unknown. */
const struct suite *suite_by_id(uint16_t id);
/* Looks up an SSLv2 cipher kind; NULL when unknown. */
const struct suite *suite_by_ssl2(uint32_t kind);
/* Weak by the project's rules (cipher.weak): NULL, anon, EXPORT, DES, 3DES, RC4, RC2, IDEA? no:
 * NULL encryption, anonymous auth, export, single DES, 3DES, RC4, RC2. */
int suite_is_weak(const struct suite *s);
/* Short reason for a weak suite ("RC4", "3DES (64-bit block)", "NULL encryption", ...), or NULL. */
const char *suite_weak_reason(const struct suite *s);

/* Named groups (supported_groups), IANA ids. */
struct named_group {
	uint16_t id;
	const char *name;        /* as OpenSSL names them: "x25519", "secp256r1", "ffdhe2048" */
	int bits;                /* security-relevant size: 255 for x25519, 256 for P-256, 2048 ffdhe */
	int ffdhe;               /* 1 for finite-field groups */
};
extern const struct named_group group_table[];   /* terminated by name == NULL */
const struct named_group *group_by_id(uint16_t id);

#endif
