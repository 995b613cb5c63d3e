/*
 * engine.c: scheduling. Keeps up to `concurrency` connections in flight, refills as each one
 * finishes, and paces new connections with a token bucket when --rate is set.
 *
 * Endpoints come from two places: the ready list (extra addresses of a resolved name, which
 * must not wait behind the rest of the permutation) and the target iterator. The loop ends by
 * itself when the iterator is exhausted and nothing is in flight.
 *
 * Timeouts use libevent's common timeouts: thousands of connections share one connect and one
 * handshake duration, so adding and removing a timer is O(1) instead of a heap operation. A
 * dead address costs its connect timeout (times 1 + retries), never the kernel's SYN retries:
 * the socket is closed when the timer fires.
 *
 * Resume bookkeeping (engine.h): every endpoint taken from the iterator gets a position slot
 * (engine_internal.h), appended to eng->slots in dispatch order, so positions ascend along the
 * list; a slot is unlinked when its last connection delivered its result. The watermark is the
 * first slot's position, or the iterator's next position when nothing is in flight: O(1), and
 * memory proportional to the positions in flight, never to the sweep. The skip set holds the
 * (position, address) pairs a resumed scan had already stored above its watermark; they are
 * checked before a connection is made (addresses), after a lookup (a name's addresses) and for
 * a name's failed lookup (address "").
 */
#include "scanner/engine_internal.h"
#include "scanner/probe.h"

#include <arpa/inet.h>
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

/* ---------------------------------------------------------------- skip set */

/* Entries at most (a resume loads the results above its watermark: the positions that were in
 * flight or finished out of order when the sweep stopped, far fewer in practice). */
#define SKIPSET_MAX (1u << 24)

struct skip_entry {
	uint64_t pos;
	char ip[46];                   /* "" for a name whose lookup failed */
	unsigned char used;
};

/* Open addressing, linear probing, at most half full. */
struct skipset {
	struct skip_entry *e;          /* owned, cap entries */
	size_t cap, n;
};

static uint64_t skip_hash(uint64_t pos, const char *ip)
{
	uint64_t h = 1469598103934665603ULL ^ (pos * 0x9e3779b97f4a7c15ULL);

	for (const unsigned char *p = (const unsigned char *)ip; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h ^ (h >> 29);
}

static struct skip_entry *skip_find(const struct skipset *ss, uint64_t pos, const char *ip)
{
	size_t i = (size_t)skip_hash(pos, ip) & (ss->cap - 1);

	while (ss->e[i].used) {
		if (ss->e[i].pos == pos && strcmp(ss->e[i].ip, ip) == 0)
			return &ss->e[i];
		i = (i + 1) & (ss->cap - 1);
	}
	return &ss->e[i];
}

static int skip_grow(struct skipset *ss)
{
	struct skipset bigger = { NULL, ss->cap != 0 ? ss->cap * 2 : 1024, 0 };

	bigger.e = calloc(bigger.cap, sizeof(*bigger.e));
	if (bigger.e == NULL)
		return -1;
	for (size_t i = 0; i < ss->cap; i++)
		if (ss->e[i].used)
			*skip_find(&bigger, ss->e[i].pos, ss->e[i].ip) = ss->e[i];
	bigger.n = ss->n;
	free(ss->e);
	*ss = bigger;
	return 0;
}

static int skip_has(const struct engine *eng, uint64_t pos, const char *ip)
{
	return eng->skip != NULL && eng->skip->n > 0 && skip_find(eng->skip, pos, ip)->used;
}

int engine_skip_add(struct engine *eng, uint64_t pos, const char *ip)
{
	struct skip_entry *e;

	if (ip == NULL || strlen(ip) >= sizeof(e->ip))
		return -1;
	if (eng->skip == NULL && (eng->skip = calloc(1, sizeof(*eng->skip))) == NULL)
		return -1;
	if ((eng->skip->n + 1) * 2 > eng->skip->cap) {
		if (eng->skip->n >= SKIPSET_MAX || skip_grow(eng->skip) != 0)
			return -1;
	}
	e = skip_find(eng->skip, pos, ip);
	if (!e->used) {
		e->used = 1;
		e->pos = pos;
		snprintf(e->ip, sizeof(e->ip), "%s", ip);
		eng->skip->n++;
	}
	return 0;
}

static void skip_free(struct skipset *ss)
{
	if (ss == NULL)
		return;
	free(ss->e);
	free(ss);
}

/* 1 when the endpoint the iterator gave at pos was done before the resume. */
static int skip_endpoint(const struct engine *eng, uint64_t pos, const struct endpoint_spec *ep)
{
	char ip[INET6_ADDRSTRLEN] = "";

	if (eng->skip == NULL || eng->skip->n == 0)
		return 0;
	if (ep->name == NULL &&
	    inet_ntop(ep->family, ep->addr, ip, sizeof(ip)) == NULL)
		return 0;
	return skip_has(eng, pos, ip); /* a name: "" matches a stored failed lookup */
}

/* A skipped endpoint costs no token of --rate. */
static void refund_token(struct engine *eng)
{
	if (eng->cfg.rate > 0)
		eng->tokens += 1;
}

/* ---------------------------------------------------------------- position slots */

static struct pos_slot *slot_new(struct engine *eng, uint64_t pos)
{
	struct pos_slot *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->pos = pos;
	s->refs = 1;
	s->prev = eng->slots_tail;
	if (eng->slots_tail != NULL)
		eng->slots_tail->next = s;
	else
		eng->slots = s;
	eng->slots_tail = s;
	return s;
}

void engine_slot_ref(struct pos_slot *s)
{
	s->refs++;
}

void engine_slot_release(struct engine *eng, struct pos_slot *s)
{
	if (--s->refs > 0)
		return;
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		eng->slots = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	else
		eng->slots_tail = s->prev;
	free(s);
}

int engine_skip_resolved(struct engine *eng, struct conn *c)
{
	if (c->slot == NULL || !skip_has(eng, c->slot->pos, c->obs->ip))
		return 0;
	if (c->list != NULL) {
		if (c->list == &eng->active)
			eng->st.in_flight--;
		conn_list_remove(c->list, c);
	}
	eng->st.skipped++;
	conn_free(c);
	engine_launch_more(eng);
	return 1;
}

uint64_t engine_watermark(const struct engine *eng)
{
	uint64_t n = targets_count(eng->ts);
	uint64_t w = eng->slots != NULL ? eng->slots->pos : targets_iter_pos(eng->it);

	return w < n ? w : n;
}

uint64_t engine_result_pos(const struct engine *eng)
{
	return eng->result_pos;
}

/* ---------------------------------------------------------------- scheduling */

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
	eng->st.total = targets_iter_remaining(it);
	eng->result_pos = UINT64_MAX;
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
			if (c->slot != NULL && skip_has(eng, c->slot->pos, c->obs->ip)) {
				eng->st.skipped++;
				refund_token(eng);
				conn_free(c);
				continue;
			}
		} else {
			struct endpoint_spec ep;
			uint64_t pos = targets_iter_pos(eng->it);

			if (!targets_iter_next(eng->it, &ep)) {
				eng->iter_done = 1;
				continue;
			}
			if (skip_endpoint(eng, pos, &ep)) {
				eng->st.skipped++;
				refund_token(eng);
				continue;
			}
			c = conn_new(eng, &ep);
			if (c != NULL && (c->slot = slot_new(eng, pos)) == NULL) {
				conn_free(c);
				c = NULL;
			}
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
	while (eng->slots != NULL) { /* the positions of dropped connections */
		struct pos_slot *next = eng->slots->next;

		free(eng->slots);
		eng->slots = next;
	}
	skip_free(eng->skip);
	if (eng->tick != NULL)
		event_free(eng->tick);
	if (eng->dns != NULL)
		evdns_base_free(eng->dns, 1);
	SSL_CTX_free(eng->ssl_ctx);
	tlsraw_shared_free(eng->raw);
	probe_keys_free(eng->probe_keys);
	free(eng);
}
