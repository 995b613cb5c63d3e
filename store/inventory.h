/*
 * inventory.h: a read-only, in-memory snapshot of the inventory for one report or one side of
 * a diff (store/store_inventory.c loads it; report/ writers and the diff read it).
 *
 * What a snapshot covers (struct inv_scope):
 *   - one scan (scan_id), or the latest finished-or-interrupted scan of a sweep name (sweep),
 *     or the latest sweep of any name when both are unset;
 *   - or, with since > 0, every sweep (not `certsweep analyze` runs) started at or after since:
 *     each endpoint's latest observation among them.
 * Endpoints are the observed endpoints of those scans, whatever their status (ok, refused,
 * timeout, ...). Certificates are every certificate in a chain one of them presented. Findings
 * are those the selected observations emitted, plus the configuration findings of each
 * endpoint's latest deep analysis (certsweep analyze, scan --checks advanced) made no later
 * than the newest selected scan; the grade comes from that same analysis. Orders are all the
 * inventory's orders.
 *
 * Ownership: the loader allocates everything; inventory_free releases it all. Every string is
 * non-NULL ("" when absent), owned by the inventory, and attacker-controlled when it comes from
 * a certificate or a server (escape when printing). Cross references are indices into the
 * arrays of the same inventory (INV_NONE when absent), never pointers, so arrays can be sorted
 * by readers that copy them.
 *
 * Orders of the arrays: endpoints by numeric address, port, SNI, STARTTLS; certificates by
 * expiry (unknown last) then SHA-256; findings by severity (critical first), check id,
 * endpoint; orders by id; scans by id.
 */
#ifndef CS_INVENTORY_H
#define CS_INVENTORY_H

#include <stddef.h>
#include <stdint.h>

#define INV_NONE ((size_t)-1)

struct store;

struct inv_scope {
	int64_t scan_id;     /* > 0: this scan */
	const char *sweep;   /* NULL, or the latest scan of this sweep name (scan_id 0, since 0) */
	int64_t since;       /* > 0: every sweep started at or after this unix time */
};

struct inv_scan {
	int64_t id;
	const char *name;    /* "" for an ad-hoc scan */
	const char *status;  /* running, done, interrupted */
	int64_t started, ended; /* unix seconds; ended 0 while running */
	uint64_t total_endpoints, total_open, total_tls, total_unique_certs;
};

struct inv_cert {
	int64_t id;
	const char *sha256;          /* lowercase hex */
	const char *subject, *issuer; /* one-line RFC 2253-style names as stored */
	const char *subject_cn, *issuer_cn, *issuer_org;
	const char *serial;
	const char *sans;            /* space-separated "DNS:x IP:y" */
	const char *not_before, *not_after; /* ISO 8601 UTC, "" when unknown */
	int64_t not_before_unix, not_after_unix;
	int has_not_after;           /* 0 when the expiry is unknown */
	const char *key_type;        /* "RSA", "EC", "ED25519", ... */
	int key_bits;
	const char *curve;
	const char *sig_alg;
	int sig_weak, self_signed, is_ca;
	/* Derived over the snapshot: */
	int leaf;                    /* 1 when some endpoint serves it as its leaf */
	int preferred;               /* as leaf: 1 when issued by the preferred CA, 0 not, -1 unknown */
	int trusted;                 /* as leaf: 1 when its chain verified on every endpoint serving
	                                it, 0 when it failed on one, -1 unknown or not a leaf */
	size_t *endpoints, n_endpoints; /* endpoints serving it as leaf, ascending */
	size_t *chain, n_chain;      /* the chain above it as its first endpoint presented it:
	                                positions 1.. (empty for a non-leaf) */
	size_t *findings, n_findings; /* findings about it (the finding's cert), ascending */
	size_t order;                /* the newest order replacing it (orders.certificate_id), or
	                                INV_NONE */
};

struct inv_endpoint {
	int64_t id, observation_id, scan_id;
	const char *host;            /* hostname target, "" for an address target */
	const char *ip;
	int port;
	const char *sni, *starttls;  /* "" when none */
	const char *status;          /* ok, refused, timeout, reset, not_tls, ... */
	const char *error;
	const char *version, *cipher, *group, *alpn; /* "" when not negotiated */
	int verified;                /* 1, 0, -1 unknown (not TLS) */
	const char *verify_error;
	int hostname_ok;             /* 1, 0, -1 not checked */
	int preferred;               /* 1, 0, -1 unknown */
	int64_t observed_at;
	size_t leaf;                 /* chain[0], or INV_NONE */
	size_t *chain, n_chain;      /* the presented chain, leaf first */
	const char *grade;           /* latest deep analysis: "A+".."F", "T", "M"; "" when none */
	const char *grade_ignoring_trust;
	int score;                   /* 0..100, 0 when no analysis */
	const char *protocols;       /* space-separated, "" when no analysis */
	int64_t analyzed_at;         /* 0 when no analysis */
	const char *country;         /* ISO 3166 code, "" without GeoIP data */
	const char *city;            /* "" without data */
	const char *asn;             /* "AS64500", "" without data */
	const char *as_org;          /* "" without data */
	const char *owner, *business_unit, *site; /* owner database, "" without data */
	const char *source;          /* this observation's: "active" or "passive" */
	int passive_only;            /* 1 when no active sweep ever observed the endpoint */
	const char *ja3, *ja3s;      /* passive: MD5 hex of the hellos, "" otherwise */
	size_t *findings, n_findings; /* ascending */
	size_t order;                /* the newest order covering it, or INV_NONE */
};

struct inv_finding {
	int64_t id;
	size_t endpoint;
	size_t cert;                 /* INV_NONE for an endpoint or chain finding */
	const char *check_id;        /* stable ID, e.g. "cert.expired" */
	const char *kind;            /* "cert" or "config" */
	const char *severity;        /* critical, high, medium, low, info */
	int severity_level;          /* 4 critical .. 0 info */
	const char *message;         /* may quote certificate fields */
	const char *status;          /* open, resolved (now, not at the scan) */
	int64_t first_seen, last_seen, resolved_at; /* resolved_at 0 when open */
};

struct inv_order {
	int64_t id;
	const char *status, *ca_state; /* ca_state "" when none */
	const char *product;         /* "" when unspecified */
	int duration_days;
	const char *common_name, *sans, *reason, *created_by;
	int64_t created_at, updated_at;
	int64_t certificate_id, new_certificate_id; /* 0 when none */
	size_t cert, new_cert;       /* indices when the certificate is in the snapshot */
	size_t *endpoints, n_endpoints; /* its endpoints that are in the snapshot, ascending */
	const char *endpoint_text;   /* all its endpoints, "IP:PORT" or "IP:PORT (SNI)", ", "-separated */
};

struct inventory {
	int64_t generated_at;        /* time(NULL) at load */
	struct inv_scope scope;      /* as asked (sweep copied) */
	struct inv_scan *scans; size_t n_scans;
	struct inv_endpoint *endpoints; size_t n_endpoints;
	struct inv_cert *certs; size_t n_certs;
	struct inv_finding *findings; size_t n_findings;
	struct inv_order *orders; size_t n_orders;
	void *mem;                   /* the loader's allocations (private) */
};

/* Loads the snapshot scope describes. Returns 0 with *out, 1 when the scope matches nothing
 * (no such scan, no sweep of that name, nothing since) with a message in store_errmsg, -1 on
 * failure (store_errmsg). Works on read-only and read-write stores. */
int store_inventory_load(struct store *st, const struct inv_scope *scope, struct inventory **out);
/* Frees the snapshot. NULL is a no-op. */
void inventory_free(struct inventory *inv);

/* Days from now to t: floor((t - now) / 86400), clamped to +-1,000,000. */
int inv_days_until(int64_t t, int64_t now);

#endif
