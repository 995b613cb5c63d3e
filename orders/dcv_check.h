/*
 * dcv_check.h: the DCV pre-check, run before an order is submitted, doing what the CA will do.
 *
 * File method (libcurl): GET http[s]://<domain>/.well-known/pki-validation/<MD5>.txt.
 *   - the answer must be 2xx;
 *   - redirects are followed by this code, not by curl, and only as the Baseline Requirements
 *     3.2.2.4.18/19 allow: a 3xx answer with a Location to an http:// or https:// URL on the
 *     authorization domain itself (case-insensitive, trailing dot ignored) on an Authorized
 *     Port (80 for http, 443 for https, given or implied), at most DCV_MAX_REDIRECTS times;
 *   - the body (at most DCV_MAX_BODY bytes) is compared with the expected content line by
 *     line, each line's trailing white space (blank, tab, CR) trimmed and trailing empty lines
 *     ignored; the first differing line is named;
 *   - https does not verify the server's certificate by default (the name is being validated;
 *     the certificate is what the order is for), as the CAs' HTTPS file check does not.
 * CNAME method (libldns): one recursive query for _<md5>.<domain> CNAME through the resolver
 * given (IP[:PORT]) or /etc/resolv.conf's; the answer's CNAME target is compared with the
 * expected one case-insensitively, with or without the trailing dot.
 *
 * Testing on loopback: opts.resolve maps a host to an address (as curl's CURLOPT_RESOLVE), and
 * opts.port_override makes connections meant for 80/443 go to other ports, while the URL (and
 * so the Host header, the SNI and the redirect policy) stays the CA's. Neither changes which
 * redirects are allowed.
 *
 * Results are per domain, with a short reason for a failure: "HTTP 404", "redirect to another
 * host not allowed", "redirect to port 8080 not allowed", "too many redirects",
 * "content differs: line 1", "response body too large", "timeout", "connection refused",
 * "CNAME points to X", "NXDOMAIN", "no CNAME record", "DNS SERVFAIL".
 * No global state: libcurl's global init happens on first use (thread-safe since 7.84).
 */
#ifndef CS_ORDERS_DCV_CHECK_H
#define CS_ORDERS_DCV_CHECK_H

#include <stddef.h>

#include "orders/dcv.h"

#define DCV_MAX_BODY 4096
#define DCV_MAX_REDIRECTS 5
#define DCV_REASON_MAX 200

enum dcv_method { DCV_METHOD_HTTP = 0, DCV_METHOD_HTTPS, DCV_METHOD_CNAME };

/* "http", "https", "cname"; static storage. */
const char *dcv_method_name(enum dcv_method m);
/* Parses those names; -1 when unknown. */
int dcv_method_parse(const char *s, enum dcv_method *out);

struct dcv_host_map {
	const char *host;  /* name as in the URL; not copied */
	const char *addr;  /* IPv4 or IPv6 literal to connect to instead of resolving */
};

struct dcv_check_opts {
	struct {
		unsigned http;   /* 0: 80; else connections for port 80 go here */
		unsigned https;  /* 0: 443 */
	} port_override;
	const struct dcv_host_map *resolve;  /* n_resolve entries; not copied */
	size_t n_resolve;
	const char *dns_server;   /* "IP" or "IP:PORT" ("[v6]:PORT"); NULL: /etc/resolv.conf */
	long timeout_ms;          /* per HTTP request and per DNS query; 0: 10000 */
	int max_redirects;        /* 0: DCV_MAX_REDIRECTS; -1: none allowed */
	int verify_tls;           /* 1: https must present a certificate valid for the host */
	const char *ca_file;      /* with verify_tls; NULL: the system store */
};

struct dcv_check_result {
	char domain[DCV_DOMAIN_MAX + 1];  /* normalised */
	enum dcv_method method;
	int pass;                         /* 1 pass, 0 fail */
	char reason[DCV_REASON_MAX];      /* "ok" on a pass, else why not; terminal-safe */
	char where[512];                  /* the last URL fetched, or the name queried */
};

/*
 * Runs one check for one domain (the CSR name; a "*." prefix is removed) and fills r.
 * opts may be NULL (defaults). Returns 1 when it passed, 0 when it failed (reason in r).
 * unique may be NULL.
 */
int dcv_check(enum dcv_method m, const char *domain, const struct dcv_values *v,
	      const struct ca_profile *ca, const char *unique, const struct dcv_check_opts *opts,
	      struct dcv_check_result *r);

/*
 * Compares an HTTP body with the expected file content as described above; returns 0 when they
 * match, else the 1-based number of the first line that differs.
 */
int dcv_compare_content(const char *expected, const char *body, size_t body_len);

/*
 * 1 when a redirect from an authorization-domain URL to location is allowed (see above),
 * 0 with the reason in reason. location may be relative. base is the URL that answered.
 */
int dcv_redirect_allowed(const char *domain, const char *base, const char *location,
			 char *reason, size_t reasonlen);

#endif
