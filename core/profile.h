/*
 * profile.h: what the deep analysis learns about one TLS endpoint's configuration.
 *
 * The prober (scanner/probe*.c) fills a tls_profile over many connections; the configuration
 * checks and the grade (analyzer/) read it as const; the store and the writers record it.
 * It is a plain value with no pointers: copy it, zero it, compare it.
 *
 * Tri-state fields use PROFILE_UNKNOWN (-1) for "not tested / could not tell", 0 for no, 1 for yes.
 */
#ifndef CS_PROFILE_H
#define CS_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#define PROFILE_UNKNOWN (-1)

/* Protocol versions in the order the reports list them. */
enum proto_version { PV_SSL2 = 0, PV_SSL3, PV_TLS10, PV_TLS11, PV_TLS12, PV_TLS13, PV_COUNT };
/* "SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3" */
const char *proto_version_name(enum proto_version v);
/* Wire value (0x0002, 0x0300 ... 0x0304). */
uint16_t proto_version_wire(enum proto_version v);

#define PROFILE_MAX_SUITES 128
#define PROFILE_MAX_GROUPS 32

struct proto_suites {
	uint16_t ids[PROFILE_MAX_SUITES];  /* accepted suites (IANA ids), server preference order when
	                                      server_order == 1, else the order found; unused for SSLv2 */
	size_t n;
	int server_order;                  /* 1 server imposes its order, 0 follows the client, -1 unknown */
};

struct tls_profile {
	int supported[PV_COUNT];           /* per protocol: 1, 0, or PROFILE_UNKNOWN */
	struct proto_suites suites[PV_COUNT];
	uint32_t ssl2_kinds[16];           /* SSLv2 cipher kinds the server lists in its SERVER-HELLO */
	size_t n_ssl2;
	uint16_t groups[PROFILE_MAX_GROUPS];  /* named groups accepted (ECDHE in TLS <= 1.2, and TLS 1.3) */
	size_t n_groups;
	int groups_server_order;           /* 1, 0, PROFILE_UNKNOWN */
	int dh_bits;                       /* smallest finite-field DHE prime seen in TLS <= 1.2; 0 none */
	int ecdh_bits;                     /* smallest ECDHE group size accepted; 0 none */

	int secure_reneg;                  /* renegotiation_info (RFC 5746) in the ServerHello */
	int client_reneg;                  /* server accepts client-initiated renegotiation */
	int compression;                   /* server accepted TLS compression (DEFLATE) */
	int heartbeat;                     /* heartbeat extension acknowledged */
	int heartbleed;                    /* CVE-2014-0160 answered with more than was sent */
	int fallback_scsv;                 /* 1 rejects TLS_FALLBACK_SCSV downgrades (inappropriate_fallback) */
	int session_ticket;                /* server sends session tickets */
	int session_resumption;            /* session ID resumption works (PROFILE_UNKNOWN when not tried) */
	int ocsp_stapling;                 /* server staples OCSP */
	int sct_extension;                 /* SCTs delivered in the TLS extension */
	int sct_ocsp;                      /* SCTs in the stapled OCSP response (PROFILE_UNKNOWN if not parsed) */
	int ems;                           /* extended master secret */
	int etm;                           /* encrypt-then-MAC */
	char alpn[64];                     /* ALPN protocols the server selected, comma-separated ("h2,http/1.1") */

	int http_checked;                  /* an HTTP request was made after the handshake */
	int http_status;                   /* its status code, 0 when none */
	int hsts;                          /* Strict-Transport-Security present */
	long hsts_max_age;                 /* seconds, -1 when absent or unparseable */
	int hsts_subdomains, hsts_preload;

	unsigned connections;              /* connections the analysis used */
	double ms;                         /* wall time of the analysis */
	char error[160];                   /* why parts could not be tested, "" otherwise */
};

/* Sets every tri-state to PROFILE_UNKNOWN and everything else to zero/empty. */
void profile_init(struct tls_profile *p);

#endif
