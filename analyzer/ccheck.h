/*
 * ccheck.h: what a configuration check sees and how it reports (private to analyzer/).
 *
 * A configuration check is a const descriptor (config.h: struct config_check) in its own file
 * ccheck_<id>.c, listed in config_checks[] (config_checks.c). config_analyze() fills one
 * config_ctx per profile and calls every check's run(); checks only read p and an and append
 * at most one finding each with config_add().
 *
 * Messages list facts (suites, groups, protocols) through a bounded text builder (struct cbuf):
 * items that would not fit are counted and summarised as "(+N more)", never cut in half.
 */
#ifndef CS_ANALYZER_CCHECK_H
#define CS_ANALYZER_CCHECK_H

#include <stddef.h>

#include "analyzer/config.h"

/* Findings kept per profile at most (one per check is the rule; this is the hard bound). */
#define CONFIG_MAX_FINDINGS 64

struct config_ctx {
	const struct tls_profile *p;    /* borrowed, never NULL */
	const struct analysis *an;      /* borrowed, may be NULL (config-only analysis) */

	/* Output, filled by config_add(). */
	struct finding *findings;       /* owned until handed to the caller */
	size_t n_findings, cap_findings;
	int failed;                     /* an allocation failed */
};

/* Appends a finding of check `self` (id and fix from the descriptor, cert_pos -1), message
 * formatted printf-style and truncated to fit. */
void config_add(struct config_ctx *ctx, const struct config_check *self, enum severity sev,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A bounded text builder over a caller's buffer. */
struct cbuf {
	char *buf;          /* borrowed, always NUL-terminated */
	size_t size;        /* bytes of buf */
	size_t len;         /* bytes used */
	size_t reserve;     /* bytes kept free for the "(+N more)" tail */
	unsigned dropped;   /* items that did not fit */
};

void cbuf_init(struct cbuf *b, char *buf, size_t size, size_t reserve);
/* Appends one whole item (printf-style) or, when it would not fit before the reserve, nothing
 * (and counts it as dropped). Once an item is dropped every later one is too, so a list never
 * skips an item and shows a later one. Returns 1 when appended. */
int cbuf_add(struct cbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends " (+N more)" when items were dropped (uses the reserve). */
void cbuf_finish(struct cbuf *b);

/* A short name for a suite in messages: the OpenSSL name (what ssl_ciphers/SSLCipherSuite take),
 * else the IANA name. Static storage. */
const char *config_suite_name(const struct suite *s);

/* Weakness classes of cipher.weak, in increasing severity. */
enum weak_class { WEAK_NONE = 0, WEAK_3DES, WEAK_BROKEN /* RC4, DES, RC2 */, WEAK_CLEAR /* NULL,
	anon, EXPORT */ };
/* The class of s and a short label ("NULL", "anon", "EXPORT", "RC4", "DES", "RC2", "3DES"). */
enum weak_class config_weak_class(const struct suite *s, const char **label);

/* Shared by the four protocol checks: reports protocol v when it is supported. */
void ccheck_protocol(const struct config_check *self, struct config_ctx *ctx, enum proto_version v,
		     const char *why);

/* Descriptors, one per file. */
extern const struct config_check ccheck_proto_sslv2;
extern const struct config_check ccheck_proto_sslv3;
extern const struct config_check ccheck_proto_tls10;
extern const struct config_check ccheck_proto_tls11;
extern const struct config_check ccheck_proto_no_tls13;
extern const struct config_check ccheck_cipher_weak;
extern const struct config_check ccheck_cipher_no_forward_secrecy;
extern const struct config_check ccheck_cipher_no_aead;
extern const struct config_check ccheck_kex_weak_dh;
extern const struct config_check ccheck_kex_weak_group;
extern const struct config_check ccheck_reneg_insecure;
extern const struct config_check ccheck_reneg_client_initiated;
extern const struct config_check ccheck_compression_enabled;
extern const struct config_check ccheck_vuln_heartbleed;
extern const struct config_check ccheck_fallback_scsv_missing;
extern const struct config_check ccheck_ocsp_no_stapling;
extern const struct config_check ccheck_ct_no_sct;
extern const struct config_check ccheck_hsts_missing;
extern const struct config_check ccheck_hsts_short;
extern const struct config_check ccheck_session_resumption;

#endif
