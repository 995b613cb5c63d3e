/*
 * acme.h: an RFC 8555 (ACME) client for the renewal pipeline (issue 4, "Issuance").
 *
 * acme_issue() runs one issuance from start to end over HTTPS (libcurl): the directory,
 * newNonce, newAccount (termsOfServiceAgreed, with External Account Binding per RFC 8555
 * 7.3.4 when a key id and HMAC key are given), newOrder with the order's names as identifiers
 * ("dns", or "ip" per RFC 8738 for address literals), one challenge per authorization
 * (http-01 written into a web root or served by a built-in evhttp responder; dns-01 through a
 * hook command run as `/bin/sh -c 'CMD "$@"' sh add|del DOMAIN TXT`, TXT being
 * base64url(SHA-256(key authorization))), polling with a doubling back-off (bounded by
 * timeout_s in all), finalize with the order's own CSR (DER, base64url), then the chain
 * (application/pem-certificate-chain). Requests are JWS (ES256, RFC 7515 flattened JSON)
 * signed with the account key: an EC P-256 PKCS#8 PEM, generated and written with mode 0600
 * (never replacing a file) when account_key does not exist. Replay-Nonce is kept from every
 * response; a badNonce problem is retried once with the fresh nonce.
 *
 * Results: ACME_OK with *chain_pem (malloc'd, caller frees), ACME_REFUSED (the CA refused: a
 * problem document "TYPE: DETAIL", an invalid authorization or order, pebble 2.4's
 * non-standard "deactivated" order status, a hook or web root failure, a timeout), or
 * ACME_UNREACHABLE (no HTTPS answer from the CA at all). The chain is not checked here:
 * acme_check_chain() does that and the caller stores nothing before it passes.
 * Every answer is hostile: bodies are bounded (ACME_MAX_BODY), URLs must be https (or the
 * directory's scheme), lists are bounded. Library code: no printing, errors in err.
 */
#ifndef CS_ORDERS_ACME_H
#define CS_ORDERS_ACME_H

#include <stddef.h>

#define ACME_MAX_BODY (1024 * 1024)
#define ACME_MAX_NAMES 100
#define ACME_DEFAULT_TIMEOUT 300   /* seconds for the whole issuance */

enum { ACME_OK = 0, ACME_REFUSED = -1, ACME_UNREACHABLE = -2 };

struct acme_cfg {
	const char *directory_url;      /* required */
	const char *ca_file;            /* PEM roots trusted for the ACME server; NULL: system */
	const char *account_key;        /* required: path, created when missing */
	const char *eab_kid;            /* both or neither */
	const char *eab_hmac_key;       /* base64url */
	const char *http01_webroot;     /* at most one of webroot and listen */
	const char *http01_listen;      /* "IP:PORT" (IPv6 as [IP]:PORT) */
	const char *dns01_hook;         /* a shell command */
	const unsigned char *csr_der;   /* the order's CSR */
	size_t csr_der_len;
	const char *const *names;       /* the order's names (identifiers); borrowed */
	size_t n_names;
	int timeout_s;                  /* <= 0: ACME_DEFAULT_TIMEOUT */
};

/* Runs the issuance; see above. *chain_pem is NULL unless ACME_OK. */
int acme_issue(const struct acme_cfg *cfg, char **chain_pem, char *err, size_t errlen);

/* Checks a PEM chain against the order: the first certificate's public key is the CSR's and
 * its subjectAltName covers every name (DNS exact, case-insensitive; IP by address). 0 with
 * *clean_pem (malloc'd: the certificates re-encoded as PEM, leaf first, nothing else of the
 * CA's text), or -1 with the reason. */
int acme_check_chain(const char *chain_pem, const unsigned char *csr_der, size_t csr_der_len,
                     const char *const *names, size_t n_names, char **clean_pem, char *err,
                     size_t errlen);

#endif
