/*
 * config.h: configuration checks over a TLS profile (core/profile.h), the deep analysis's
 * counterpart of the certificate checks (analyzer.h). Pure functions: no I/O, no printing.
 *
 *   struct finding *f = NULL;
 *   size_t n = 0;
 *   if (config_analyze(profile, an, &f, &n) < 0) ... out of memory ...
 *   ... hand f[0..n) (const) to the store and writers ...
 *   free(f);
 *
 * Each check is a const descriptor in its own file analyzer/ccheck_<id>.c, listed in
 * config_checks[] (config_checks.c): `--list-checks` and the documentation fall out of the table.
 * A check reports at most one finding (cert_pos -1), whose message names the facts (protocols,
 * suites, sizes) that made it fire. A check whose input is PROFILE_UNKNOWN stays silent: an
 * untested property is never reported as a problem nor as fine.
 *
 * The "modern client" model below is shared with the grade (grade.c): it answers "what would a
 * current browser negotiate here", which is what SSL Labs means by forward secrecy and AEAD "with
 * modern clients" and by 3DES "negotiated with TLS 1.1+".
 */
#ifndef CS_ANALYZER_CONFIG_H
#define CS_ANALYZER_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer/analyzer.h"
#include "core/profile.h"
#include "core/suites.h"

/* HSTS max-age below this is hsts.short, and keeps the grade from A+ (180 days, SSL Labs). */
#define HSTS_MIN_MAX_AGE 15552000L

/* What a configuration check sees (defined in ccheck.h, private to analyzer/). */
struct config_ctx;

/* One configuration check: a const descriptor in the config_checks[] registry. */
struct config_check {
	const char *id;            /* stable finding ID (DESIGN.md), e.g. "proto.tls10" */
	enum severity severity;    /* default severity; run() may choose another (cipher.weak) */
	const char *title;         /* one line for --list-checks */
	const char *fix;           /* how to fix it, with nginx/Apache directives where they help */
	/* Appends at most one finding through config_add() (ccheck.h). Pure: reads ctx only. */
	void (*run)(const struct config_check *self, struct config_ctx *ctx);
};

/* The registry: NULL-terminated array of pointers to const descriptors, in report order. */
extern const struct config_check *const config_checks[];

/*
 * Runs every configuration check over p. an (may be NULL) gives the certificate facts some
 * checks need (ct.no_sct reads the leaf's embedded SCTs); with NULL those checks stay silent.
 * On success returns 0 and sets *out to a malloc'd array of *n_out findings (NULL when there are
 * none) that the caller frees with free(); ids and fixes point to static storage. Returns -1
 * (with *out NULL and *n_out 0) only when memory runs out.
 */
int config_analyze(const struct tls_profile *p, const struct analysis *an, struct finding **out,
		   size_t *n_out);

/* The highest protocol the profile says is supported (1), or -1 when none is. */
int config_best_protocol(const struct tls_profile *p);
/* How many of SSLv3, TLS 1.0, 1.1, 1.2 (the protocols with renegotiation, compression and
 * version fallback) the profile says are supported. */
int config_legacy_protocols(const struct tls_profile *p);

/*
 * The "modern client": a current browser. It speaks TLS 1.0-1.3 and, for TLS <= 1.2, offers
 * RSA, DHE and ECDHE key exchange with RSA or ECDSA authentication and AES (CBC/GCM/CCM),
 * ChaCha20, Camellia or ARIA, then 3DES last; never NULL, anonymous, export, DES, RC4, RC2,
 * IDEA, SEED, PSK or SRP suites. Its own order prefers forward secrecy + AEAD, then forward
 * secrecy, then AEAD, then the rest, then 3DES.
 * config_client_offers(): whether it offers s on protocol v.
 * config_client_choice(): the suite it negotiates on protocol v: when the server imposes its
 * order (server_order 1, or -1: the order found is then the best evidence), the first suite of
 * the server's list the client offers; when the server follows the client (0), the accepted
 * suite the client prefers most. NULL when v is not supported, its suites are not known, or no
 * accepted suite is one the client offers. Unknown suite ids are skipped.
 */
int config_client_offers(const struct suite *s, enum proto_version v);
const struct suite *config_client_choice(const struct tls_profile *p, enum proto_version v);

/* The SSL Labs-style RSA-equivalent strength of a key or group of `bits` bits of kind `type`
 * ("RSA", "RSA-PSS", "DSA", "DH" as is; "EC" via NIST SP 800-57 part 1 table 2: <160 -> 512,
 * 160 -> 1024, 224 -> 2048, 250 -> 3072 (P-256, X25519), 380 -> 7680, 500 -> 15360;
 * "ED25519" 3072, "ED448" 7680). 0 when bits <= 0 and the type has no fixed size. */
int config_rsa_equivalent(const char *type, int bits);

#endif
