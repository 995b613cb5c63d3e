/*
 * analyzer.h: pure functions over an observation. No I/O (beyond loading the trust store and
 * policy once, at setup), no SQL, no printing.
 *
 * Life cycle (all objects are owned by the caller, normally main):
 *   struct analyzer *az = analyzer_new(&cfg, err, sizeof err);   // loads trust store once
 *   struct analysis *an = analyze(az, obs);                     // per endpoint
 *   ... hand `an` (const) to the store and writers ...
 *   analysis_free(an);
 *   analyzer_free(az);
 *
 * Speed: certificates are parsed once per unique SHA-256 and chains verified once per unique
 * (chain fingerprints, verification time bucket): both caches live in the analyzer object.
 */
#ifndef CS_ANALYZER_H
#define CS_ANALYZER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/observation.h"

enum severity { SEV_INFO = 0, SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL };
const char *severity_name(enum severity s);       /* "info".."critical", static */
int severity_from_name(const char *name);          /* -1 when unknown */

/* Parsed facts of one certificate. Strings are UTF-8 as decoded from the certificate and are
 * attacker-controlled: every writer escapes them for its medium. */
struct certinfo {
	unsigned char sha256[32];
	char sha256_hex[65];
	char sha1_hex[41];
	char *subject;          /* RFC 2253, owned */
	char *issuer;           /* RFC 2253, owned */
	char *subject_cn;       /* owned, "" when absent */
	char *issuer_cn;        /* owned, "" when absent */
	char *issuer_org;       /* owned, "" when absent */
	char *serial_hex;       /* owned */
	char **sans;            /* owned array of owned strings: "DNS:name" / "IP:addr" / "email:x" */
	size_t n_sans;
	time_t not_before, not_after;
	char key_type[16];      /* "RSA", "EC", "ED25519", "DSA", ... */
	int key_bits;
	char curve[32];         /* EC curve name, "" otherwise */
	char sig_alg[64];       /* e.g. "sha256WithRSAEncryption" */
	int sig_weak;           /* 1 for MD2/MD4/MD5/SHA-1 signatures */
	char key_usage[128];    /* comma list, "" when absent */
	char ext_key_usage[128];
	char *aia_ocsp;         /* owned, first OCSP URL or NULL */
	char *aia_ca_issuers;   /* owned, first caIssuers URL or NULL */
	char *crl_url;          /* owned, first CRL distribution point URL or NULL */
	int has_sct;            /* embedded SCT list present */
	int is_ca;              /* basicConstraints CA:TRUE */
	int self_signed;        /* subject == issuer and the signature verifies with its own key */
	unsigned char *der;     /* owned copy of the DER */
	size_t der_len;
	void *x509;             /* X509 *, owned; opaque here so callers need not include OpenSSL */
};

/* Parses one DER certificate. Returns a new certinfo (caller frees with certinfo_free) or NULL
 * with a reason in err. */
struct certinfo *certinfo_parse(const unsigned char *der, size_t len, char *err, size_t errlen);
void certinfo_free(struct certinfo *ci);

/* Preferred-CA policy: a chain is preferred if any certificate in it matches a pattern (a
 * case-insensitive substring of the subject or issuer, RFC 2253) or a SHA-256 fingerprint. */
struct ca_policy;
/* The built-in default: the Comodo/Sectigo family. */
struct ca_policy *ca_policy_default(void);
/* An empty policy to fill with ca_policy_add_*; name is shown in messages ("Sectigo"). */
struct ca_policy *ca_policy_new(const char *name);
int ca_policy_add_pattern(struct ca_policy *p, const char *pattern);
/* hex: 64 hex digits, colons allowed; returns -1 when malformed */
int ca_policy_add_fingerprint(struct ca_policy *p, const char *hex);
/* Loads "pattern:TEXT" / "sha256:HEX" lines or a ca-families.tsv; -1 with err on failure. */
int ca_policy_load_file(struct ca_policy *p, const char *path, char *err, size_t errlen);
const char *ca_policy_name(const struct ca_policy *p);
int ca_policy_matches_cert(const struct ca_policy *p, const struct certinfo *ci);
void ca_policy_free(struct ca_policy *p);

struct analyzer_config {
	const char *ca_file;          /* NULL: system default trust store */
	const char *ca_path;
	struct ca_policy *policy;     /* borrowed; NULL means the default */
	int expiring_critical_days;   /* default 7 */
	int expiring_high_days;       /* default 30 */
	time_t at;                    /* 0: now (time(NULL) at analysis); else evaluate at this time */
};

struct finding {
	const char *id;            /* stable ID, static storage, e.g. "cert.expired" */
	enum severity severity;
	int cert_pos;              /* position in the presented chain, -1 for the endpoint/chain */
	char message[320];         /* what is wrong; may quote certificate fields (escape when printing) */
	const char *fix;           /* how to fix it, static storage */
};

/* The result of analysing one observation. Owned by the caller of analyze(). */
struct analysis {
	size_t n_certs;
	const struct certinfo *certs[OBS_MAX_CHAIN]; /* leaf first; reference-counted entries of the
	                                                analyzer's cache: valid until analysis_free */
	int verified;               /* 1 when the chain verified against the trust store */
	int verify_code;            /* X509_V_* code, 0 when verified */
	char verify_error[160];     /* OpenSSL's text, "" when verified */
	int hostname_checked;       /* 1 when a name was available to check */
	int hostname_ok;
	int preferred;              /* 1 when any certificate in the chain matches the policy */
	int days_left;              /* leaf not_after - evaluation time, in whole days (floor) */
	struct finding *findings;   /* owned array */
	size_t n_findings;
};

/* One check: a const descriptor in a registry table (analyzer/checks.c). */
struct check_ctx;
struct check {
	const char *id;
	enum severity severity;    /* default severity; run() may choose another (e.g. expiring) */
	const char *title;         /* one line for --list-checks */
	const char *fix;
	/* Appends findings through check_add(). Pure: reads ctx only. */
	void (*run)(const struct check *self, struct check_ctx *ctx);
};

/* The registry: NULL-terminated array of pointers to const descriptors. */
extern const struct check *const cert_checks[];
/* The fix text (static) of the certificate or configuration check with this id, looked up in
 * cert_checks[] and config_checks[] (config.h); NULL when the id is unknown (check_fix.c). */
const char *check_fix(const char *id);

struct analyzer;
struct analyzer *analyzer_new(const struct analyzer_config *cfg, char *err, size_t errlen);
void analyzer_free(struct analyzer *az);
/* Analyses an observation (any status; non-ok ones get no certificate findings). Returns NULL
 * only on allocation failure. */
struct analysis *analyze(struct analyzer *az, const struct observation *obs);
void analysis_free(struct analysis *an);

#endif
