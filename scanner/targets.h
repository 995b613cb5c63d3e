/*
 * targets.h: what to scan, as a stream of endpoints in a pseudo-random order.
 *
 * A target set is a list of blocks. An address block is an interval of IPv4 or IPv6 addresses
 * (after exclusions are subtracted) crossed with a port list; a name block is one hostname
 * crossed with a port list (the engine resolves it and scans every address it gets, with the
 * name as SNI). The endpoint space is the concatenation of all blocks, N endpoints in all, and
 * it is visited through a keyed permutation of [0, N) (scanner/permute.h), so nothing is ever
 * materialised: a /8 x 10 ports costs a few hundred bytes.
 *
 * Accepted target specs (targets_add_spec):
 *   192.0.2.7            2001:db8::1          an address
 *   192.0.2.0/24         2001:db8::/120       a CIDR block
 *   192.0.2.10-192.0.2.20, 192.0.2.10-20     a dash range (inclusive; IPv6 needs both ends)
 *   host.example.com                          a hostname (resolved at scan time)
 *   host:8443  192.0.2.7:8443  [2001:db8::1]:8443   with a port that overrides the port list
 * Targets file lines (targets_load_file, "-" = stdin): a spec as above, or CSV
 *   target,port,sni,starttls      (empty fields take the defaults; '#' starts a comment)
 * Exclusions: addresses, CIDR blocks and ranges only.
 */
#ifndef CS_TARGETS_H
#define CS_TARGETS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PORTLIST_MAX 65536

struct portlist {
	uint16_t *ports;   /* owned, sorted, unique */
	size_t n;
};
/* Parses "443,8443,9000-9010". Returns 0, or -1 with a message naming the bad item. */
int portlist_parse(struct portlist *pl, const char *spec, char *err, size_t errlen);
void portlist_free(struct portlist *pl);

struct target_set;

/* One endpoint to visit. Pointers are borrowed from the target set (valid until targets_free). */
struct endpoint_spec {
	int family;               /* AF_INET or AF_INET6 for an address; 0 for a name */
	unsigned char addr[16];   /* network order; first 4 bytes for IPv4 */
	const char *name;         /* hostname for name blocks, else NULL */
	uint16_t port;
	const char *sni;          /* SNI override, NULL for default */
	const char *starttls;     /* protocol override, NULL for default */
};

struct target_set *targets_new(void);
/* Optional: a check that a STARTTLS protocol named in a target (targets file, CSV field) exists,
 * so a typo is reported with its file and line instead of failing every endpoint later.
 * known returns 1 for a valid name. */
void targets_set_protocol_check(struct target_set *ts, int (*known)(const char *name));
void targets_free(struct target_set *ts);

/* Adds one target spec with optional per-target overrides (port 0 = use the port list; sni and
 * starttls NULL = defaults). Returns 0, or -1 with a clear message in err. */
int targets_add(struct target_set *ts, const char *spec, uint16_t port, const char *sni,
                const char *starttls, char *err, size_t errlen);
/* Adds an exclusion (address, CIDR or range). */
int targets_add_exclude(struct target_set *ts, const char *spec, char *err, size_t errlen);
/* Loads a targets file (exclude=0) or an exclusions file (exclude=1); path "-" reads stdin.
 * Errors name the file and line. */
int targets_load_file(struct target_set *ts, const char *path, int exclude, char *err, size_t errlen);

/* Freezes the set: subtracts exclusions, merges overlaps so each endpoint appears once, and keys
 * the permutation with seed. default_ports applies to targets without a port. Returns -1 (with
 * err) when the space is empty or too large. Must be called once before iterating. */
int targets_finalize(struct target_set *ts, const struct portlist *default_ports, uint64_t seed,
                     char *err, size_t errlen);
/* Number of endpoints in the space (names count once per port). */
uint64_t targets_count(const struct target_set *ts);
/* Re-keys the permutation of a finalized set (the blocks stay): positions now map to endpoints
 * in the order of the new seed. For callers that must see the space before choosing the seed
 * (a seed derived from targets_describe). Returns 0, or -1 when ts is not finalized. */
int targets_reseed(struct target_set *ts, uint64_t seed);
/* Feeds a canonical byte description of the finalized space to emit, in pieces: the default
 * port list, every block (family, addresses, ports, name, SNI, STARTTLS overrides, first
 * position) and the exclusions (they also filter the addresses names resolve to). Two sets
 * with the same description visit the same endpoints at the same positions for a given seed,
 * whatever the order or spelling of the specs that built them; the seed is not part of it.
 * Hash it to compare a target spec with the one a scan was started with (scan --resume). */
void targets_describe(const struct target_set *ts,
                      void (*emit)(void *arg, const void *data, size_t len), void *arg);
/* 1 when the address (family, 4 or 16 bytes) is excluded (used after resolving names). */
int targets_is_excluded(const struct target_set *ts, int family, const unsigned char *addr);

/* Iterator over the permuted space; shard i of n takes positions p with p % n == i.
 * Plain struct so callers can keep it on the stack; its fields are private. */
struct target_iter {
	const struct target_set *ts;
	uint64_t pos;      /* next position in [0, N) to visit */
	uint32_t shard, nshards;
};
void targets_iter_init(struct target_iter *it, const struct target_set *ts, uint32_t shard,
                       uint32_t nshards, uint64_t start_pos);
/* Fills out with the next endpoint; returns 1, or 0 when the space is exhausted. */
int targets_iter_next(struct target_iter *it, struct endpoint_spec *out);
/* Position of the endpoint the next targets_iter_next returns (>= targets_count when none). */
uint64_t targets_iter_pos(const struct target_iter *it);
/* Endpoints the iterator has still to return (its shard's positions from the current one). */
uint64_t targets_iter_remaining(const struct target_iter *it);

#endif
