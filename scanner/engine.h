/*
 * engine.h: the event-driven scanner. One libevent loop runs non-blocking connects, optional
 * STARTTLS dialogues and TLS handshakes for up to `concurrency` endpoints at once.
 *
 * For each endpoint the engine creates one observation, fills it, and calls the result callback
 * with a const pointer; when the callback returns, the engine frees the observation (the
 * callback must copy anything it wants to keep). Endpoints still in flight when the engine is
 * stopped are dropped without a result: their state is incomplete.
 *
 * The engine borrows the event base, the target set and the iterator; the caller owns them and
 * must keep them alive until engine_free.
 */
#ifndef CS_ENGINE_H
#define CS_ENGINE_H

#include <stdint.h>

#include "core/observation.h"
#include "scanner/targets.h"

struct event_base;
struct engine;

struct engine_config {
	int concurrency;          /* endpoints in flight at most (default 1000) */
	double rate;              /* new connections per second; 0 = unlimited */
	int connect_timeout_ms;   /* TCP connect (default 3000) */
	int handshake_timeout_ms; /* STARTTLS dialogue + TLS handshake (default 5000) */
	int retries;              /* extra attempts after a timeout (default 1) */
	const char *starttls;     /* default protocol: NULL/"" direct TLS, "auto", or a name */
	const char *sni;          /* --sni: overrides every endpoint's SNI */
	const char *resolver;     /* "ip[:port]" of the DNS server, NULL = /etc/resolv.conf */
	const char *hosts_file;   /* extra hosts file for name lookups, NULL = /etc/hosts */
	int dns_timeout_ms;       /* per lookup (default 5000) */
	int full_handshake;       /* 1: always OpenSSL's handshake; 0 (default): read the chain with
	                             the project's own ClientHello (scanner/tlsraw.h) and fall back to
	                             OpenSSL when that cannot finish */
};

/* Fills cfg with the defaults above. */
void engine_config_defaults(struct engine_config *cfg);

typedef void (*engine_result_cb)(void *arg, const struct observation *obs);

struct engine_stats {
	uint64_t total;      /* endpoints the iterator still had to visit at engine_new (its
	                        shard, from its position; names count once per port), plus the
	                        extra addresses of names */
	uint64_t done;       /* results delivered */
	uint64_t launched;   /* connection attempts started (including retries) */
	uint64_t in_flight;
	uint64_t open;       /* TCP connect succeeded */
	uint64_t tls;        /* handshakes completed */
	uint64_t resolved_extra; /* additional endpoints from names with several addresses */
	uint64_t full_fallbacks; /* raw handshakes redone with OpenSSL */
	uint64_t skipped;    /* endpoints not scanned: done before a resume (engine_skip_add) */
};

/* Creates an engine over the iterator's endpoints. Returns NULL with err on failure. */
struct engine *engine_new(struct event_base *base, const struct engine_config *cfg,
                          const struct target_set *ts, struct target_iter *it,
                          engine_result_cb cb, void *cb_arg, char *err, size_t errlen);
/* Starts launching connections; the caller then runs event_base_dispatch(base). The loop
 * exits by itself when every endpoint is done. */
int engine_start(struct engine *eng);
/* Stops now: no new connections, in-flight ones are closed and dropped, the loop is broken.
 * Safe to call from a signal event callback, and more than once. */
void engine_stop(struct engine *eng);
/* 1 when every endpoint was visited (not stopped early). */
int engine_finished(const struct engine *eng);
void engine_get_stats(const struct engine *eng, struct engine_stats *st);
void engine_free(struct engine *eng);

/*
 * Resume support (scan --resume). Positions are the iterator's (targets.h). A position is
 * finished when every endpoint made from it (a name: each of its addresses) has delivered its
 * result, or was skipped; one whose connection the engine dropped when stopped is not.
 */
/* The lowest position of the iterator's shard not yet finished: every one of its positions
 * below it is finished. targets_count() once the shard is done. A caller that stores results
 * records it with them (in the same transaction) and resumes from it. */
uint64_t engine_watermark(const struct engine *eng);
/* Inside the result callback: the position of the endpoint being delivered (a name's extra
 * addresses share the name's); UINT64_MAX outside it. */
uint64_t engine_result_pos(const struct engine *eng);
/* Marks the endpoint at pos with address ip ("" for a name whose lookup failed) as done
 * already: it is neither connected to nor delivered (counted in skipped). Call before
 * engine_start. Returns 0, or -1 when out of memory or over 2^24 entries. */
int engine_skip_add(struct engine *eng, uint64_t pos, const char *ip);

#endif
