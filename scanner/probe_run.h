/*
 * probe_run.h: runs the deep analysis of one endpoint on the engine's event loop.
 *
 * A probe host drives the pure plan (scanner/probe.h): each ClientHello the plan asks for goes
 * out on its own connection (after STARTTLS when the endpoint needs it), at most `per_host` at
 * once, and each answer goes back to the plan. Beside the plan it runs three OpenSSL sessions
 * that need a complete handshake: an HTTP request for the HSTS header (direct TLS only), a
 * resumption of that session, and a client-initiated renegotiation (TLS <= 1.2).
 * When all are done the callback receives the finished profile; the probe host then frees itself.
 * If the engine is stopped first, the callback receives profile == NULL (abandoned).
 */
#ifndef CS_PROBE_RUN_H
#define CS_PROBE_RUN_H

#include "core/observation.h"
#include "core/profile.h"

struct engine;

struct probe_options {
	int per_host;          /* connections at once for one endpoint (default 4) */
	int max_connections;   /* budget for one endpoint (default 400) */
	int heartbleed;        /* run the (safe) heartbleed probe (default 1) */
	int http;              /* fetch / for HSTS on direct-TLS endpoints (default 1) */
};
void probe_options_defaults(struct probe_options *o);

/* The endpoint and its profile; strings and profile borrowed for the callback only. */
struct probe_host_result {
	const char *ip;
	unsigned port;
	const char *sni;       /* NULL when none */
	const char *starttls;  /* "" for direct TLS */
	const struct tls_profile *profile;   /* NULL: abandoned because the engine stopped */
};
typedef void (*probe_host_cb)(void *arg, const struct probe_host_result *res);

/* Starts the analysis of the endpoint an ok observation describes (ip, port, sni, starttls).
 * Returns 0, or -1 (err) when it cannot start. The callback runs later, on the loop. */
int probe_host_start(struct engine *eng, const struct observation *obs, const struct probe_options *opt,
                     probe_host_cb cb, void *arg, char *err, size_t errlen);

#endif
