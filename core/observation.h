/*
 * observation.h: the one data model that travels through the pipeline.
 *
 *   targets -> scanner engine -> observation -> analyzer -> findings -> store / outputs
 *
 * The engine creates an observation per endpoint attempt (obs_new), fills it while the
 * connection runs, hands `const struct observation *` to the analyzer, the store and the
 * writers, and frees it in exactly one place (obs_free) once all of them have returned.
 * Nothing keeps a pointer into an observation after that.
 */
#ifndef CS_OBSERVATION_H
#define CS_OBSERVATION_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Endpoint status: stable identifiers (shared/DESIGN.md). Keep the order: the names table follows it. */
enum ep_status {
	EP_OK = 0,
	EP_REFUSED,
	EP_TIMEOUT,
	EP_RESET,
	EP_NOT_TLS,
	EP_HANDSHAKE_FAILED,
	EP_STARTTLS_FAILED,
	EP_DNS_FAILED,
	EP_STATUS_COUNT
};

/* Returns the stable name ("ok", "refused", ...); static storage, never NULL. */
const char *ep_status_name(enum ep_status s);
/* Parses a stable name; returns -1 when unknown. */
int ep_status_from_name(const char *name);

/* A hostile server can present any number of certificates: we keep at most this many. */
#define OBS_MAX_CHAIN 16
/* ... and refuse a single certificate larger than this many bytes. */
#define OBS_MAX_CERT_DER (64 * 1024)

struct der_blob {
	unsigned char *der; /* owned by the observation */
	size_t len;
};

/* Where the endpoint is and whose it is (enrich/geo.h); every field "" when unknown. */
struct obs_geo {
	char country[4];      /* ISO 3166-1 alpha-2, e.g. "DE" */
	char city[96];
	char asn[16];         /* "AS64500" */
	char as_org[128];
	char owner[128];      /* from the organisation's own owner database */
	char business_unit[128];
	char site[128];
};

/* How the observation was made. */
enum obs_source { OBS_ACTIVE = 0, OBS_PASSIVE = 1 };

struct observation {
	/* What was targeted. */
	char ip[46];          /* numeric address, "" when DNS failed */
	uint16_t port;
	char *host;           /* owned; the hostname the user gave, NULL for address targets */
	char *sni;            /* owned; the SNI sent (host or --sni), NULL for none */
	char starttls[16];    /* protocol name used ("" for direct TLS) */

	/* What happened. */
	enum ep_status status;
	char error[256];      /* human-readable, "" when status is ok; may quote peer bytes (sanitised) */
	int attempts;         /* connection attempts made (retries + 1) */
	time_t started;       /* wall clock when the first attempt began */

	/* Negotiated parameters (empty strings when unknown). */
	int tls_version;      /* wire value, e.g. 0x0303 for TLS 1.2; 0 unknown */
	char version[16];     /* "TLSv1.2" ... */
	char cipher[64];      /* IANA/OpenSSL name */
	char group[32];       /* key-exchange group, e.g. "x25519" */
	char alpn[32];        /* negotiated ALPN protocol */
	int ocsp_stapled;     /* 1 when the server stapled an OCSP response */

	/* Timings in milliseconds (-1 when the phase did not happen). */
	double ms_connect, ms_starttls, ms_handshake, ms_total;

	/* The presented chain, leaf first, in the order the server sent it. */
	struct der_blob chain[OBS_MAX_CHAIN];
	size_t chain_len;
	int chain_truncated;  /* 1 when the server sent more than OBS_MAX_CHAIN certificates */

	/* Enrichment and provenance (issue 6). */
	struct obs_geo geo;
	int geo_looked_up;       /* 1 when geo comes from a lookup (the store then replaces the
	                            endpoint's stored values, even with "" for a miss) */
	enum obs_source source;
	char ja3[33], ja3s[33];  /* passive: MD5 hex of the client's and server's hello, "" none */
	struct der_blob client_chain[OBS_MAX_CHAIN]; /* passive: a client certificate, owned */
	size_t client_chain_len;
};

/* Returns a zeroed observation with timings at -1, or NULL on allocation failure. */
struct observation *obs_new(void);
/* Frees the observation and everything it owns; NULL is a no-op. */
void obs_free(struct observation *o);
/* Sets the error text printf-style (truncated to fit). */
void obs_set_error(struct observation *o, enum ep_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Appends a copy of a DER certificate; returns 0, or -1 when full/oversized/out of memory. */
int obs_add_cert(struct observation *o, const unsigned char *der, size_t len);
/* The same for the client's certificates (passive captures). */
int obs_add_client_cert(struct observation *o, const unsigned char *der, size_t len);
/* A deep copy (for work that outlives the engine's callback, e.g. deep analysis); NULL on
 * allocation failure. Free with obs_free. */
struct observation *obs_dup(const struct observation *o);
/* Replaces *dst with a copy of src (NULL clears); returns 0 or -1 on allocation failure. */
int obs_set_str(char **dst, const char *src);

#endif
