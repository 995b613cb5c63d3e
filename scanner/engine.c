/*
 * engine.c: scheduling. Keeps up to `concurrency` connections in flight, refills as each one
 * finishes, and paces new connections with a token bucket when --rate is set.
 *
 * Endpoints come from two places: the ready list (extra addresses of a resolved name, which
 * must not wait behind the rest of the permutation) and the target iterator. The loop ends by
 * itself when the iterator is exhausted and nothing is in flight.
 *
 * Timeouts use libevent's common timeouts: thousands of connections share one connect and one
 * handshake duration, so adding and removing a timer is O(1) instead of a heap operation.
 */
#include "scanner/engine_internal.h"
#include "scanner/probe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/dns.h>
#include <event2/event.h>

double engine_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void engine_config_defaults(struct engine_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->concurrency = 1000;
	cfg->connect_timeout_ms = 3000;
	cfg->handshake_timeout_ms = 5000;
	cfg->retries = 1;
	cfg->dns_timeout_ms = 5000;
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	engine_launch_more(arg);
}

static const struct timeval *common_timeout(struct event_base *base, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	return event_base_init_common_timeout(base, &tv);
}

struct engine *engine_new(struct event_base *base, const struct engine_config *cfg,
                          const struct target_set *ts, struct target_iter *it,
                          engine_result_cb cb, void *cb_arg, char *err, size_t errlen)
{
	struct engine *eng = calloc(1, sizeof(*eng));

	if (eng == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	eng->base = base;
	eng->cfg = *cfg;
	eng->ts = ts;
	eng->it = it;
	eng->cb = cb;
	eng->cb_arg = cb_arg;
	if (eng->cfg.concurrency < 1 || eng->cfg.connect_timeout_ms < 1 ||
	    eng->cfg.handshake_timeout_ms < 1 || eng->cfg.retries < 0) {
		snprintf(err, errlen, "invalid engine settings");
		goto fail;
	}
	if (cfg->starttls != NULL && cfg->starttls[0] != '\0' && strcmp(cfg->starttls, "none") != 0) {
		if (strcmp(cfg->starttls, "auto") == 0) {
			eng->default_auto = 1;
		} else if ((eng->default_proto = starttls_find(cfg->starttls)) == NULL) {
			snprintf(err, errlen, "unknown STARTTLS protocol \"%s\"", cfg->starttls);
			goto fail;
		}
	}
	eng->ssl_ctx = tls_client_ctx_new(err, errlen);
	if (eng->ssl_ctx == NULL)
		goto fail;
	if (!cfg->full_handshake && (eng->raw = tlsraw_shared_new(err, errlen)) == NULL)
		goto fail;
	eng->tv_connect = common_timeout(base, eng->cfg.connect_timeout_ms);
	eng->tv_handshake = common_timeout(base, eng->cfg.handshake_timeout_ms);
	eng->tick = evtimer_new(base, tick_cb, eng);
	if (eng->tv_connect == NULL || eng->tv_handshake == NULL || eng->tick == NULL) {
		snprintf(err, errlen, "cannot create timers");
		goto fail;
	}
	if ((cfg->resolver != NULL || cfg->hosts_file != NULL) && resolve_setup(eng, err, errlen) != 0)
		goto fail;
	eng->st.total = targets_count(ts);
	eng->tokens = 1;
	eng->last_refill = engine_now();
	return eng;
fail:
	engine_free(eng);
	return NULL;
}

int engine_start(struct engine *eng)
{
	engine_launch_more(eng);
	return 0;
}

/* Takes one token when pacing allows a new connection now; otherwise arms the tick timer. */
static int take_token(struct engine *eng)
{
	double now, burst;

	if (eng->cfg.rate <= 0)
		return 1;
	now = engine_now();
	burst = eng->cfg.rate / 50.0; /* 20 ms worth of connections */
	if (burst < 1)
		burst = 1;
	eng->tokens += (now - eng->last_refill) * eng->cfg.rate;
	if (eng->tokens > burst)
		eng->tokens = burst;
	eng->last_refill = now;
	if (eng->tokens >= 1) {
		eng->tokens -= 1;
		return 1;
	}
	if (!evtimer_pending(eng->tick, NULL)) {
		double wait = (1 - eng->tokens) / eng->cfg.rate;
		struct timeval tv = { .tv_sec = (time_t)wait,
		                      .tv_usec = (suseconds_t)((wait - (double)(time_t)wait) * 1e6) + 1 };
		evtimer_add(eng->tick, &tv);
	}
	return 0;
}

static void check_done(struct engine *eng)
{
	if (eng->iter_done && eng->active == NULL && eng->ready == NULL && !eng->stopped)
		event_base_loopbreak(eng->base);
}

void engine_launch_more(struct engine *eng)
{
	if (eng->launching || eng->stopped)
		return;
	eng->launching = 1;
	while (!eng->stopped && eng->st.in_flight < (uint64_t)eng->cfg.concurrency) {
		struct conn *c = NULL;

		if (eng->ready == NULL && eng->iter_done)
			break;
		if (!take_token(eng))
			break;
		if (eng->ready != NULL) {
			c = eng->ready;
			conn_list_remove(&eng->ready, c);
		} else {
			struct endpoint_spec ep;

			if (!targets_iter_next(eng->it, &ep)) {
				eng->iter_done = 1;
				continue;
			}
			c = conn_new(eng, &ep);
			if (c == NULL)
				continue; /* out of memory: the endpoint is skipped, the sweep goes on */
		}
		conn_list_push(&eng->active, c);
		eng->st.in_flight++;
		conn_begin(c);
	}
	eng->launching = 0;
	check_done(eng);
}

/* Marks the engine stopped and drops every connection without delivering it. */
static void drop_all(struct engine *eng)
{
	eng->stopped = 1;
	while (eng->active != NULL)
		conn_free(eng->active);
	while (eng->ready != NULL)
		conn_free(eng->ready);
}

void engine_launch_conn(struct engine *eng, struct conn *c)
{
	conn_list_push(&eng->active, c);
	eng->st.in_flight++;
	conn_begin(c);
}

void engine_stop(struct engine *eng)
{
	if (eng->stopped)
		return;
	drop_all(eng);
	event_base_loopbreak(eng->base);
}

int engine_finished(const struct engine *eng)
{
	return eng->iter_done && eng->active == NULL && eng->ready == NULL && !eng->stopped;
}

void engine_get_stats(const struct engine *eng, struct engine_stats *st)
{
	*st = eng->st;
}

void engine_free(struct engine *eng)
{
	if (eng == NULL)
		return;
	drop_all(eng);
	if (eng->tick != NULL)
		event_free(eng->tick);
	if (eng->dns != NULL)
		evdns_base_free(eng->dns, 1);
	SSL_CTX_free(eng->ssl_ctx);
	tlsraw_shared_free(eng->raw);
	probe_keys_free(eng->probe_keys);
	free(eng);
}
