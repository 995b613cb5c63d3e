/*
 * probe.h: the deep-analysis prober's pure parts.
 *
 *   plan (probe_plan.c)      decides which ClientHello to send next, from what came back
 *   codec (probe_codec*.c)   builds any ClientHello (SSLv2 format, SSLv3 .. TLS 1.3) and parses
 *                            whatever the server answers, defensively
 *   driver (probe_run.c)     sends each hello on the engine's event loop (after STARTTLS when
 *                            asked) and feeds the reply back to the plan
 *
 * Nothing here touches a socket: the plan and the codec are tested by feeding bytes from real
 * servers (in-process OpenSSL over BIO pairs) and from models of servers.
 *
 * Why our own bytes: Debian's OpenSSL 3.0 can neither offer nor parse SSLv2, and cannot offer
 * SSLv3, RC4, 3DES, EXPORT or DES suites: a scanner limited to its handshake is blind exactly
 * where it matters most. The codec only needs the server's first flight (ServerHello and, for
 * TLS <= 1.2, Certificate/ServerKeyExchange/ServerHelloDone), which travels in clear.
 */
#ifndef CS_PROBE_H
#define CS_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "core/profile.h"

struct evbuffer;

/* ------------------------------------------------------------------ ClientHello description */

#define HELLO_MAX_SUITES 512
#define HELLO_MAX_GROUPS 32

struct hello_spec {
	uint16_t version;            /* highest version offered: 0x0002 SSLv2 (SSLv2 record format),
	                                0x0300 SSLv3, 0x0301..0x0303, 0x0304 (supported_versions) */
	uint16_t min_version;        /* with 0x0304: lowest version listed in supported_versions */
	uint16_t suites[HELLO_MAX_SUITES];   /* TLS suites in offer order (for 1.3: the 1.3 suites) */
	size_t n_suites;
	uint32_t ssl2_kinds[16];     /* SSLv2 CLIENT-HELLO cipher kinds (version 0x0002 only) */
	size_t n_ssl2;
	uint16_t groups[HELLO_MAX_GROUPS];   /* supported_groups, in order; 0 entries = omit extension */
	size_t n_groups;
	uint16_t key_shares[4];      /* TLS 1.3 key_share entries (must be among groups) */
	size_t n_key_shares;
	const char *sni;             /* server_name, NULL to omit (never an IP literal) */
	const char *alpn;            /* "h2,http/1.1" or NULL to omit */
	unsigned no_extensions : 1;  /* SSLv3-style hello without any extension block */
	unsigned scsv_reneg : 1;     /* append TLS_EMPTY_RENEGOTIATION_INFO_SCSV (0x00ff) */
	unsigned scsv_fallback : 1;  /* append TLS_FALLBACK_SCSV (0x5600) */
	unsigned reneg_ext : 1;      /* renegotiation_info extension (empty) */
	unsigned compression : 1;    /* offer DEFLATE (1) before null (0) */
	unsigned heartbeat : 1;      /* heartbeat extension, peer_allowed_to_send */
	unsigned status_request : 1; /* OCSP status_request */
	unsigned sct : 1;            /* signed_certificate_timestamp */
	unsigned session_ticket : 1; /* empty session_ticket */
	unsigned ems : 1;            /* extended_master_secret */
	unsigned etm : 1;            /* encrypt_then_mac */
};

/* Fills spec with what a modern client sends for the given highest version (suites, groups,
 * extensions all on, SNI as given); callers then narrow it. */
void hello_spec_default(struct hello_spec *spec, uint16_t version, const char *sni);

/* Engine-wide key material for TLS 1.3 key shares (one key pair per group, generated once). */
struct probe_keys;
struct probe_keys *probe_keys_new(char *err, size_t errlen);
void probe_keys_free(struct probe_keys *k);

/* Appends the ClientHello (one record; SSLv2 format for version 0x0002) to out; 0, or -1 with
 * err (e.g. a key share for a group without a key). */
int probe_hello_build(const struct probe_keys *k, const struct hello_spec *spec, struct evbuffer *out,
                      char *err, size_t errlen);

/* ------------------------------------------------------------------ the server's answer */

enum reply_kind {
	REPLY_NONE = 0,       /* nothing parsed yet */
	REPLY_HELLO,          /* a ServerHello (TLS/SSLv3), fields below */
	REPLY_SSL2_HELLO,     /* an SSLv2 SERVER-HELLO */
	REPLY_ALERT,          /* an alert before any ServerHello */
	REPLY_NOT_TLS,        /* bytes that are not TLS (or not the expected SSLv2 answer) */
	REPLY_MALFORMED,      /* TLS records, but broken (lengths, truncated message, garbage after the ServerHello) */
	REPLY_HEARTBEAT,      /* a heartbeat response (heartbleed probe) */
};

struct server_reply {
	enum reply_kind kind;
	uint16_t version;        /* negotiated (supported_versions for 1.3), or SSLv2 0x0002 */
	uint16_t suite;          /* chosen suite */
	uint8_t compression;     /* chosen compression method */
	unsigned hrr : 1;        /* HelloRetryRequest */
	uint16_t group;          /* TLS 1.3: key_share / HRR group; TLS <= 1.2: ECDHE curve from ServerKeyExchange */
	int dh_bits;             /* TLS <= 1.2 DHE prime size from ServerKeyExchange, 0 otherwise */
	unsigned ext_reneg : 1, ext_ticket : 1, ext_status : 1, ext_sct : 1, ext_heartbeat : 1,
	         ext_ems : 1, ext_etm : 1, cert_status : 1, complete : 1;
	                         /* complete: the whole first flight (up to ServerHelloDone, or the
	                            ServerHello for TLS 1.3) was parsed */
	char alpn[32];
	int alert_level, alert_desc;
	uint32_t ssl2_kinds[16]; /* SSLv2 SERVER-HELLO cipher kinds */
	size_t n_ssl2;
	size_t n_certs;          /* certificates in the Certificate message (TLS <= 1.2) */
	size_t heartbeat_len;    /* REPLY_HEARTBEAT: payload bytes the server returned */
	char err[120];           /* for NOT_TLS / MALFORMED: what was wrong (never quotes peer bytes) */
};

/* Per-connection reply parser. */
struct probe_parser;
/* expect_ssl2: the hello sent was SSLv2-format. */
struct probe_parser *probe_parser_new(int expect_ssl2);
void probe_parser_free(struct probe_parser *p);
/* Consumes complete records from in. Returns 0 while more bytes are needed, 1 when *out is
 * final (kind != REPLY_NONE). Bounded: more than 256 KB of handshake data is MALFORMED. */
int probe_parser_feed(struct probe_parser *p, struct evbuffer *in, struct server_reply *out);
/* After a ServerHelloDone in TLS <= 1.2: a heartbeat request declaring `declared` payload bytes
 * while carrying `sent` (declared > sent is the heartbleed probe; keep the difference small). */
int probe_heartbeat_build(uint16_t version, size_t declared, size_t sent, struct evbuffer *out);
/* Then keep feeding the same parser: a heartbeat response gives REPLY_HEARTBEAT. */

/* ------------------------------------------------------------------ the plan */

/* What a probe connection ended with, as the driver reports it to the plan. */
enum probe_outcome {
	PO_REPLY = 0,        /* the parser produced `reply` */
	PO_CLOSED,           /* the server closed or reset without a parsable answer */
	PO_TIMEOUT,
	PO_CONNECT_FAILED,   /* refused/unreachable: the plan stops */
	PO_STARTTLS_FAILED,
};

struct probe_plan;

struct probe_plan_config {
	const char *sni;         /* NULL for none */
	int test_heartbleed;     /* default 1 */
	int max_connections;     /* bound on connections for the whole analysis (default 400) */
};

struct probe_plan *probe_plan_new(const struct probe_plan_config *cfg);
void probe_plan_free(struct probe_plan *pl);

/* The next probe to run, if any can start now: fills *spec and returns its id (>= 0); returns
 * PLAN_WAIT when the next steps depend on answers still in flight, PLAN_DONE when finished.
 * `heartbeat_after` is set to 1 when the driver must, after a complete TLS <= 1.2 first flight,
 * send probe_heartbeat_build(...) with the plan's sizes (heartbeat_declared/sent) and keep reading. */
#define PLAN_WAIT (-1)
#define PLAN_DONE (-2)
struct probe_request {
	struct hello_spec spec;
	int heartbeat_after;
	size_t heartbeat_declared, heartbeat_sent;
};
int probe_plan_next(struct probe_plan *pl, struct probe_request *req);
/* Reports the outcome of probe `id`. reply is NULL unless outcome == PO_REPLY. */
void probe_plan_result(struct probe_plan *pl, int id, enum probe_outcome outcome,
                       const struct server_reply *reply);
/* The profile learned so far (complete once probe_plan_next returned PLAN_DONE). The caller
 * adds what needs a full OpenSSL session (client renegotiation, HTTP headers, resumption). */
const struct tls_profile *probe_plan_profile(const struct probe_plan *pl);

#endif
