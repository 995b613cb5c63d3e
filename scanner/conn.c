/*
 * conn.c: one endpoint's life, a state machine driven by libevent.
 *
 *   NEW --name--> RESOLVE --address--> CONNECT --STARTTLS?--> STARTTLS --go-ahead--> TLS --> finish
 *                                         \---------------- direct TLS ------------/
 *
 * One io event and one timer per connection, re-armed as the phase changes. Every ending
 * (success, failure, timeout) goes through conn_finish(), the only place that delivers the
 * observation; conn_free() alone releases the socket, the SSL, the STARTTLS state and the
 * observation. A timeout is retried (new socket, same observation) up to --retries times.
 * With --starttls auto, a server that greets in clear text on a port that is not well known
 * is retried once with the STARTTLS protocol its greeting names.
 */
#include "scanner/engine_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/err.h>

static void on_io(evutil_socket_t fd, short what, void *arg);
static void on_timer(evutil_socket_t fd, short what, void *arg);

void conn_list_push(struct conn **head, struct conn *c)
{
	c->prev = NULL;
	c->next = *head;
	if (*head != NULL)
		(*head)->prev = c;
	*head = c;
	c->list = head;
}

void conn_list_remove(struct conn **head, struct conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		*head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	c->list = NULL;
}

static const char *ms_phase_name(const struct conn *c)
{
	switch (c->phase) {
	case PH_CONNECT: return "TCP connect";
	case PH_STARTTLS: return "STARTTLS dialogue";
	case PH_TLS:
	case PH_RAW: return "TLS handshake";
	default: return "lookup";
	}
}

/* Chooses the STARTTLS protocol for an endpoint: per-target override, else the default;
 * "auto" picks by well-known port now and by greeting later. Returns -1 for an unknown name. */
static int pick_protocol(struct conn *c, const char *override)
{
	struct engine *eng = c->eng;
	int want_auto = eng->default_auto;
	const struct starttls_proto *p = eng->default_proto;

	if (override != NULL && override[0] != '\0') {
		want_auto = 0;
		p = NULL;
		if (strcmp(override, "auto") == 0)
			want_auto = 1;
		else if (strcmp(override, "none") != 0 && (p = starttls_find(override)) == NULL)
			return -1;
	}
	if (want_auto) {
		p = starttls_by_port(c->obs->port);
		c->proto_auto = (p == NULL);
	}
	c->proto = p;
	return 0;
}

struct conn *conn_new(struct engine *eng, const struct endpoint_spec *ep)
{
	struct conn *c = calloc(1, sizeof(*c));
	const char *sni;

	if (c == NULL)
		return NULL;
	c->eng = eng;
	c->fd = -1;
	c->obs = obs_new();
	c->timer = evtimer_new(eng->base, on_timer, c);
	c->io = event_new(eng->base, -1, 0, on_io, c);
	if (c->obs == NULL || c->timer == NULL || c->io == NULL)
		goto fail;
	c->obs->port = ep->port;
	sni = eng->cfg.sni != NULL ? eng->cfg.sni : ep->sni != NULL ? ep->sni : ep->name;
	if (obs_set_str(&c->obs->host, ep->name) != 0 || obs_set_str(&c->obs->sni, sni) != 0)
		goto fail;
	if (pick_protocol(c, ep->starttls) != 0) {
		obs_set_error(c->obs, EP_STARTTLS_FAILED, "unknown STARTTLS protocol \"%.32s\"",
		              ep->starttls);
		c->phase = PH_NEW;
		return c; /* conn_begin delivers the error */
	}
	if (ep->name == NULL) {
		struct sockaddr_storage ss;
		socklen_t len;

		memset(&ss, 0, sizeof(ss));
		if (ep->family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
			sin->sin_family = AF_INET;
			memcpy(&sin->sin_addr, ep->addr, 4);
			len = sizeof(*sin);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
			sin6->sin6_family = AF_INET6;
			memcpy(&sin6->sin6_addr, ep->addr, 16);
			len = sizeof(*sin6);
		}
		conn_set_addr(c, (struct sockaddr *)&ss, len);
	}
	return c;
fail:
	conn_free(c);
	return NULL;
}

void conn_set_addr(struct conn *c, const struct sockaddr *sa, socklen_t len)
{
	memcpy(&c->sa, sa, len);
	c->salen = len;
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&c->sa;
		sin->sin_port = htons(c->obs->port);
		inet_ntop(AF_INET, &sin->sin_addr, c->obs->ip, sizeof(c->obs->ip));
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&c->sa;
		sin6->sin6_port = htons(c->obs->port);
		inet_ntop(AF_INET6, &sin6->sin6_addr, c->obs->ip, sizeof(c->obs->ip));
	}
}

struct conn *conn_new_job(struct engine *eng, const struct sockaddr *sa, socklen_t len, uint16_t port,
                          const char *sni, const struct starttls_proto *proto,
                          const struct conn_job *job, void *job_ctx)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->eng = eng;
	c->fd = -1;
	c->proto = proto;
	c->job = job;
	c->job_ctx = job_ctx;
	c->obs = obs_new();
	c->timer = evtimer_new(eng->base, on_timer, c);
	c->io = event_new(eng->base, -1, 0, on_io, c);
	if (c->obs == NULL || c->timer == NULL || c->io == NULL || obs_set_str(&c->obs->sni, sni) != 0) {
		c->job = NULL; /* the caller keeps job_ctx on failure */
		conn_free(c);
		return NULL;
	}
	c->obs->port = port;
	c->phase = PH_RESOLVE;
	conn_set_addr(c, sa, len);
	return c;
}

struct conn *conn_clone_for_addr(const struct conn *c, const struct sockaddr *sa, socklen_t len)
{
	struct conn *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->eng = c->eng;
	n->fd = -1;
	n->proto = c->proto;
	n->proto_auto = c->proto_auto;
	n->obs = obs_new();
	n->timer = evtimer_new(c->eng->base, on_timer, n);
	n->io = event_new(c->eng->base, -1, 0, on_io, n);
	if (n->obs == NULL || n->timer == NULL || n->io == NULL ||
	    obs_set_str(&n->obs->host, c->obs->host) != 0 ||
	    obs_set_str(&n->obs->sni, c->obs->sni) != 0) {
		conn_free(n);
		return NULL;
	}
	n->obs->port = c->obs->port;
	n->phase = PH_RESOLVE; /* already resolved: conn_begin goes straight to connect */
	conn_set_addr(n, sa, len);
	n->slot = c->slot; /* the name's position: finished when all its addresses are */
	if (n->slot != NULL)
		engine_slot_ref(n->slot);
	return n;
}

void conn_begin(struct conn *c)
{
	c->t_start = engine_now();
	c->obs->started = time(NULL);
	if (c->obs->status != EP_OK) { /* set up failed in conn_new (bad protocol name) */
		conn_finish(c);
		return;
	}
	if (c->salen == 0) {
		/* May finish (and free c) before it returns. */
		resolve_start(c, c->obs->host);
		return;
	}
	conn_connect(c);
}

/* (Re)arms the io event for the current fd with the given interest. */
void conn_wait(struct conn *c, short what)
{
	event_del(c->io);
	event_assign(c->io, c->eng->base, c->fd, what, on_io, c);
	event_add(c->io, NULL);
}

void conn_fail_errno(struct conn *c, int err, const char *what)
{
	enum ep_status st;

	switch (err) {
	case ECONNREFUSED:
		st = EP_REFUSED;
		break;
	case ETIMEDOUT:
		st = EP_TIMEOUT;
		break;
	case ECONNRESET:
	case EPIPE:
	case ECONNABORTED:
		st = EP_RESET;
		break;
	default: /* unreachable networks and hosts, local errors */
		st = c->phase == PH_CONNECT ? EP_REFUSED : EP_RESET;
		break;
	}
	obs_set_error(c->obs, st, "%s: %s", what, strerror(err));
	conn_finish(c);
}

/* Closes the socket and per-attempt state, keeping the observation's identity. */
static void conn_reset_attempt(struct conn *c)
{
	event_del(c->io);
	evtimer_del(c->timer);
	SSL_free(c->ssl);
	c->ssl = NULL;
	tlsraw_free(c->raw);
	c->raw = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->proto_ctx);
	c->proto_ctx = NULL;
	if (c->in != NULL)
		evbuffer_free(c->in);
	if (c->out != NULL)
		evbuffer_free(c->out);
	c->in = c->out = NULL;
	c->peek_len = 0;
	c->starttls_ready = 0;
	c->obs->ms_connect = c->obs->ms_starttls = c->obs->ms_handshake = -1;
	c->obs->status = EP_OK;
	c->obs->error[0] = '\0';
}

void conn_connect(struct conn *c)
{
	int fd;

	c->attempt++;
	c->obs->attempts = c->attempt;
	c->phase = PH_CONNECT;
	c->t_phase = engine_now();
	fd = socket(c->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		conn_fail_errno(c, errno, "socket");
		return;
	}
	c->fd = fd;
	if (connect(fd, (struct sockaddr *)&c->sa, c->salen) != 0 && errno != EINPROGRESS) {
		conn_fail_errno(c, errno, "connect");
		return;
	}
	conn_wait(c, EV_WRITE);
	evtimer_add(c->timer, c->eng->tv_connect);
}

static void tls_step(struct conn *c);
static void raw_begin(struct conn *c);

/* --starttls auto: a server that greeted in clear text is tried again with the protocol its
 * greeting names. Returns 1 when the connection was restarted. */
static int switch_to_greeting_protocol(struct conn *c)
{
	const struct starttls_proto *p;

	if (!c->proto_auto || (p = starttls_by_greeting(c->peek, c->peek_len)) == NULL)
		return 0;
	conn_reset_attempt(c);
	c->proto = p;
	c->proto_auto = 0;
	c->attempt--; /* a protocol switch is not a retry */
	conn_connect(c);
	return 1;
}

static void tls_begin(struct conn *c)
{
	char err[160];

	c->phase = PH_TLS;
	c->t_phase = engine_now();
	if (c->proto != NULL)
		snprintf(c->obs->starttls, sizeof(c->obs->starttls), "%s", c->proto->name);
	if (c->job != NULL && c->job->begin != NULL) {
		c->phase = PH_JOB;
		c->job->begin(c);
		return;
	}
	if (c->eng->raw != NULL && !c->force_full && c->job == NULL) {
		raw_begin(c);
		return;
	}
	c->ssl = tls_client_new(c, err, sizeof(err));
	if (c->ssl == NULL) {
		obs_set_error(c->obs, EP_HANDSHAKE_FAILED, "%s", err);
		conn_finish(c);
		return;
	}
	if (c->job != NULL && c->job->setup_ssl != NULL)
		c->job->setup_ssl(c, c->ssl);
	tls_step(c);
}

static void tls_step(struct conn *c)
{
	int r, e;

	ERR_clear_error();
	errno = 0;
	r = SSL_connect(c->ssl);
	if (r == 1) {
		c->obs->ms_handshake = (engine_now() - c->t_phase) * 1000;
		tls_client_collect(c->ssl, c->obs);
		c->obs->status = EP_OK;
		if (c->job != NULL) {
			if (c->job->after_handshake != NULL && c->job->after_handshake(c)) {
				c->phase = PH_JOB;
				return;
			}
		} else {
			c->eng->st.tls++;
		}
		conn_finish(c);
		return;
	}
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ) {
		conn_wait(c, EV_READ);
		return;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		conn_wait(c, EV_WRITE);
		return;
	}
	tls_client_classify_failure(c, e, errno);
	ERR_clear_error();
	if (c->obs->status == EP_NOT_TLS && switch_to_greeting_protocol(c))
		return;
	conn_finish(c);
}

/* Writes what is queued in c->out; returns 0, or -1 after finishing the connection. */
int conn_flush(struct conn *c)
{
	while (evbuffer_get_length(c->out) > 0) {
		int n = evbuffer_write(c->out, c->fd);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			conn_fail_errno(c, errno, c->phase == PH_RAW ? "TLS write" : "STARTTLS write");
			return -1;
		}
	}
	return 0;
}

static void starttls_run(struct conn *c)
{
	char err[200] = "";
	enum starttls_rc rc;

	/* The name to announce (EHLO, XMPP to=): the SNI, else the hostname, else the address. */
	const char *name = c->obs->sni != NULL ? c->obs->sni : c->obs->host != NULL ? c->obs->host : c->obs->ip;

	rc = c->proto->step(c->proto_ctx, c->in, c->out, name, err, sizeof(err));
	if (rc == STARTTLS_FAIL) {
		obs_set_error(c->obs, EP_STARTTLS_FAILED, "%s: %s", c->proto->name,
		              err[0] ? err : "STARTTLS refused");
		conn_finish(c);
		return;
	}
	if (conn_flush(c) != 0)
		return;
	if (rc == STARTTLS_READY) {
		c->starttls_ready = 1;
		if (evbuffer_get_length(c->out) > 0) { /* wait until the last command is sent */
			conn_wait(c, EV_WRITE);
			return;
		}
		c->obs->ms_starttls = (engine_now() - c->t_phase) * 1000;
		tls_begin(c);
		return;
	}
	conn_wait(c, evbuffer_get_length(c->out) > 0 ? EV_READ | EV_WRITE : EV_READ);
}

static void starttls_begin(struct conn *c)
{
	c->phase = PH_STARTTLS;
	snprintf(c->obs->starttls, sizeof(c->obs->starttls), "%s", c->proto->name);
	c->in = evbuffer_new();
	c->out = evbuffer_new();
	c->proto_ctx = calloc(1, c->proto->ctx_size > 0 ? c->proto->ctx_size : 1);
	if (c->in == NULL || c->out == NULL || c->proto_ctx == NULL) {
		obs_set_error(c->obs, EP_STARTTLS_FAILED, "out of memory");
		conn_finish(c);
		return;
	}
	starttls_run(c);
}

static void starttls_io(struct conn *c, short what)
{
	if ((what & EV_WRITE) && conn_flush(c) != 0)
		return;
	if (c->starttls_ready) { /* only the last command was left to send */
		if (evbuffer_get_length(c->out) > 0)
			return;
		c->obs->ms_starttls = (engine_now() - c->t_phase) * 1000;
		tls_begin(c);
		return;
	}
	if (what & EV_READ) {
		int n = evbuffer_read(c->in, c->fd, 16384);

		if (n == 0) {
			obs_set_error(c->obs, EP_STARTTLS_FAILED,
			              "%s: server closed the connection during the STARTTLS dialogue",
			              c->proto->name);
			conn_finish(c);
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_fail_errno(c, errno, "STARTTLS read");
			return;
		}
	}
	starttls_run(c);
}

/*
 * The raw handshake (scanner/tlsraw.h): our own ClientHello, then the server's flight is read
 * until the chain and the negotiated parameters are known (in clear for TLS <= 1.2; decrypted
 * with the handshake keys for TLS 1.3), and the connection is closed. Whatever it cannot
 * finish (an alert, HelloRetryRequest, a close, a parse error) is redone from scratch with
 * OpenSSL's full handshake, which then gives the definitive answer.
 */
static void raw_fallback(struct conn *c)
{
	conn_reset_attempt(c);
	c->force_full = 1;
	c->attempt--; /* not a retry: the same attempt, another client */
	c->eng->st.full_fallbacks++;
	conn_connect(c);
}

static void raw_collect(struct conn *c)
{
	const struct tlsraw_result *r = tlsraw_result(c->raw);
	struct observation *obs = c->obs;

	obs->ms_handshake = (engine_now() - c->t_phase) * 1000;
	obs->tls_version = r->version;
	snprintf(obs->version, sizeof(obs->version), "%s", r->version_name);
	snprintf(obs->cipher, sizeof(obs->cipher), "%s", r->cipher_name);
	snprintf(obs->group, sizeof(obs->group), "%s", r->group);
	snprintf(obs->alpn, sizeof(obs->alpn), "%s", r->alpn);
	obs->ocsp_stapled = r->ocsp_stapled;
	for (size_t i = 0; i < r->n_certs; i++)
		obs_add_cert(obs, r->cert[i], r->cert_len[i]);
	if (r->chain_truncated)
		obs->chain_truncated = 1;
	obs->status = EP_OK;
	c->eng->st.tls++;
}

static void raw_io(struct conn *c, short what)
{
	enum tlsraw_rc rc;

	if ((what & EV_WRITE) && conn_flush(c) != 0)
		return;
	if (what & EV_READ) {
		int n = evbuffer_read(c->in, c->fd, 16384);

		if (n == 0) { /* closed before the chain arrived: let OpenSSL say why */
			raw_fallback(c);
			return;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			conn_fail_errno(c, errno, "TLS handshake");
			return;
		}
	}
	rc = tlsraw_feed(c->raw, c->in);
	switch (rc) {
	case TLSRAW_MORE:
		conn_wait(c, evbuffer_get_length(c->out) > 0 ? EV_READ | EV_WRITE : EV_READ);
		return;
	case TLSRAW_DONE:
		raw_collect(c);
		conn_finish(c);
		return;
	case TLSRAW_NOT_TLS:
		c->peek_len = evbuffer_copyout(c->in, c->peek, sizeof(c->peek));
		tls_client_note_not_tls(c);
		if (!switch_to_greeting_protocol(c))
			conn_finish(c);
		return;
	default: /* ALERT, FALLBACK, ERROR */
		raw_fallback(c);
		return;
	}
}

static void raw_begin(struct conn *c)
{
	const char *sni = c->obs->sni;

	c->phase = PH_RAW;
	if (sni != NULL && !tls_client_sni_usable(sni))
		sni = NULL;
	c->raw = tlsraw_new(c->eng->raw, sni, c->proto == NULL, 0x0304);
	if (c->in == NULL)
		c->in = evbuffer_new();
	if (c->out == NULL)
		c->out = evbuffer_new();
	if (c->raw == NULL || c->in == NULL || c->out == NULL || tlsraw_client_hello(c->raw, c->out) != 0) {
		raw_fallback(c);
		return;
	}
	raw_io(c, EV_WRITE);
}

static void on_connected(struct conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		conn_fail_errno(c, err, "connect");
		return;
	}
	c->obs->ms_connect = (engine_now() - c->t_phase) * 1000;
	evtimer_add(c->timer, c->eng->tv_handshake);
	c->t_phase = engine_now();
	if (c->proto != NULL)
		starttls_begin(c);
	else
		tls_begin(c);
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	switch (c->phase) {
	case PH_CONNECT:
		on_connected(c);
		break;
	case PH_STARTTLS:
		starttls_io(c, what);
		break;
	case PH_TLS:
		tls_step(c);
		break;
	case PH_RAW:
		raw_io(c, what);
		break;
	case PH_JOB:
		if (c->job != NULL && c->job->io != NULL)
			c->job->io(c, what);
		break;
	default:
		break;
	}
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	const struct engine *eng = c->eng;
	int ms = c->phase == PH_CONNECT ? eng->cfg.connect_timeout_ms : eng->cfg.handshake_timeout_ms;
	const char *phase = ms_phase_name(c);

	if (c->phase == PH_JOB && c->job->timeout != NULL && c->job->timeout(c))
		return;
	if (c->attempt <= eng->cfg.retries) {
		conn_reset_attempt(c);
		conn_connect(c);
		return;
	}
	obs_set_error(c->obs, EP_TIMEOUT, "%s timed out after %d ms%s", phase, ms,
	              c->attempt > 1 ? " (every attempt)" : "");
	conn_finish(c);
}

/* Tells the job its connection ended, once (conn_finish, or conn_free when abandoned). */
static void conn_job_done(struct conn *c)
{
	const struct conn_job *job = c->job;

	c->job = NULL;
	if (job != NULL && job->done != NULL)
		job->done(c);
}

void conn_finish(struct conn *c)
{
	struct engine *eng = c->eng;

	/* Detach first: the callback may stop the engine, which frees every connection still
	 * linked; this one is freed below, once. */
	if (c->list != NULL) {
		if (c->list == &eng->active)
			eng->st.in_flight--;
		conn_list_remove(c->list, c);
	}
	c->obs->ms_total = (engine_now() - c->t_start) * 1000;
	if (c->ssl != NULL && c->obs->status == EP_OK)
		SSL_shutdown(c->ssl); /* best effort close_notify; the socket closes right after */
	if (c->job != NULL) {
		conn_job_done(c);
	} else if (!eng->stopped) {
		eng->st.done++;
		if (c->obs->ms_connect >= 0)
			eng->st.open++; /* counted when delivered, so open <= done */
		eng->result_pos = c->slot != NULL ? c->slot->pos : UINT64_MAX;
		eng->cb(eng->cb_arg, c->obs);
		eng->result_pos = UINT64_MAX;
	}
	conn_free(c);
	engine_launch_more(eng);
}

void conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	conn_job_done(c); /* an abandoned job connection (engine stopped) */
	resolve_cancel(c);
	if (c->slot != NULL && !c->eng->stopped)
		engine_slot_release(c->eng, c->slot);
	c->slot = NULL;
	if (c->list != NULL) {
		if (c->list == &c->eng->active)
			c->eng->st.in_flight--;
		conn_list_remove(c->list, c);
	}
	if (c->io != NULL)
		event_free(c->io);
	if (c->timer != NULL)
		event_free(c->timer);
	SSL_free(c->ssl);
	tlsraw_free(c->raw);
	if (c->fd >= 0)
		close(c->fd);
	free(c->proto_ctx);
	if (c->in != NULL)
		evbuffer_free(c->in);
	if (c->out != NULL)
		evbuffer_free(c->out);
	obs_free(c->obs);
	free(c);
}
