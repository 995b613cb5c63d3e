/*
 * dcv.h: domain control validation values, as the seed (Comodo) and today's Sectigo specify.
 *
 * All values derive from the CSR's DER (orders/csr.h keeps it as given):
 *   md5, sha256   hex digests of the DER
 *   HTTP(S) file  http[s]://<domain>/.well-known/pki-validation/<MD5 UPPER>.txt holding
 *                 "<sha256>\n<ca-domain>\n" and, with a unique value, "<unique>\n" after them
 *                 (every line newline-terminated; the CA compares lines, trailing blanks ignored)
 *   CNAME         _<md5 lower>.<domain>. CNAME <sha256[0:32]>.<sha256[32:64]>[.<unique>].<ca-domain>.
 *   email         admin@, administrator@, hostmaster@, postmaster@, webmaster@ each
 *                 authorization domain
 * The CA domain belongs to a CA profile (a const table): "comodo" -> comodoca.com (the seed's
 * documents, and the worked example), "sectigo" -> sectigo.com (today's values).
 *
 * Authorization domains (email and HTTP): a leading "*." wildcard label is removed, then the
 * FQDN and each parent down to two labels (a.b.example.com -> a.b.example.com, b.example.com,
 * example.com). This stops at two labels rather than at the registrable domain (no public
 * suffix list): for names under a multi-label suffix (example.co.uk) the last entry (co.uk) is
 * one the CA would not accept.
 *
 * Domains are normalised: lower case, one trailing dot removed, LDH labels of 1..63 bytes,
 * 253 bytes at most, at least two labels; IP addresses are refused (their validation differs).
 */
#ifndef CS_ORDERS_DCV_H
#define CS_ORDERS_DCV_H

#include <stddef.h>

#define DCV_DOMAIN_MAX 253
#define DCV_UNIQUE_MAX 63
#define DCV_MAX_AUTH_DOMAINS 16  /* FQDN + parents kept (deeper names keep the 16 longest) */
#define DCV_N_EMAIL_LOCALS 5
#define DCV_HTTP_DIR ".well-known/pki-validation"

struct ca_profile {
	const char *name;        /* "comodo", "sectigo" */
	const char *dcv_domain;  /* "comodoca.com", "sectigo.com" */
	const char *description;
};

/* The table, terminated by an entry with name NULL; static storage. */
extern const struct ca_profile ca_profiles[];
/* The profile of that name (case-insensitive), or NULL. */
const struct ca_profile *ca_profile_find(const char *name);

struct dcv_values {
	char md5[33];        /* lower-case hex */
	char md5_upper[33];  /* upper-case hex: the file name */
	char sha256[65];     /* lower-case hex */
};

/* From the CSR's DER (hashes it). */
void dcv_values_from_der(const unsigned char *der, size_t len, struct dcv_values *v);
/* From raw digests (e.g. struct csr_info's md5/sha256). */
void dcv_values_from_digests(const unsigned char md5[16], const unsigned char sha256[32],
			     struct dcv_values *v);
/* From hex digests of any case (the seed's worked example). Returns 0, or -1 with a message
 * when either is not 32/64 hex digits. */
int dcv_values_from_hex(const char *md5_hex, const char *sha256_hex, struct dcv_values *v,
			char *err, size_t errlen);

/* Normalises a domain as described above into out (at least DCV_DOMAIN_MAX + 1 bytes), with
 * any leading "*." removed. Returns 0, or -1 with a message. */
int dcv_domain_normalize(const char *in, char *out, size_t outlen, char *err, size_t errlen);

/* Checks a unique value: 1..DCV_UNIQUE_MAX letters and digits (it becomes a DNS label).
 * NULL or "" means none and is valid. Returns 0 or -1 with a message. */
int dcv_unique_check(const char *unique, char *err, size_t errlen);

/* "/.well-known/pki-validation/<MD5 UPPER>.txt" into buf (at least 80 bytes). */
void dcv_http_path(const struct dcv_values *v, char *buf, size_t len);

/* The file's content into buf (at least 160 bytes with no unique value, +64 with one).
 * unique may be NULL. Returns the length, or -1 with a message (bad unique value, small buf). */
int dcv_http_content(const struct dcv_values *v, const struct ca_profile *ca, const char *unique,
		     char *buf, size_t len, char *err, size_t errlen);

/* The CNAME record's owner name (no trailing dot) and target (with the trailing dot) for domain
 * (normalised first). name and target need DCV_DOMAIN_MAX + 1 and 256 bytes. Returns 0, or -1
 * with a message (bad domain or unique value, names too long). */
int dcv_cname(const struct dcv_values *v, const struct ca_profile *ca, const char *domain,
	      const char *unique, char *name, size_t namelen, char *target, size_t targetlen,
	      char *err, size_t errlen);

/* The record as one line: "<name> CNAME <target>". Same errors as dcv_cname. */
int dcv_cname_record(const struct dcv_values *v, const struct ca_profile *ca, const char *domain,
		     const char *unique, char *buf, size_t len, char *err, size_t errlen);

/*
 * The authorization domains of fqdn into out[0..], FQDN first. Returns how many (at most max
 * and DCV_MAX_AUTH_DOMAINS), or -1 with a message for a bad name.
 */
int dcv_auth_domains(const char *fqdn, char (*out)[DCV_DOMAIN_MAX + 1], size_t max, char *err,
		     size_t errlen);

#define DCV_EMAIL_MAX (DCV_DOMAIN_MAX + 16)
/* The constructed approver addresses: the five local parts for each authorization domain,
 * FQDN's first. Returns how many (at most max), or -1 with a message. */
int dcv_emails(const char *fqdn, char (*out)[DCV_EMAIL_MAX + 1], size_t max, char *err,
	       size_t errlen);

/*
 * Writes the DCV file into webroot (which must exist): creates .well-known/ and
 * .well-known/pki-validation/ with mode 0755 when missing, and writes the file with mode 0644
 * atomically, replacing an older one. The file's path goes into path_out (may be NULL).
 * Returns 0 or -1 with a message.
 */
int dcv_write_file(const char *webroot, const struct dcv_values *v, const struct ca_profile *ca,
		   const char *unique, char *path_out, size_t path_len, char *err, size_t errlen);

#endif
