/*
 * probe_run.c: the deep-analysis driver (see probe_run.h).
 *
 *   probe host ----> plan: next ClientHello? ----> probe connection (job "probe")
 *        ^                                              | connect, STARTTLS, hello, parse reply
 *        '------- plan: result(id, outcome, reply) <----'
 *   and, beside the plan, three OpenSSL sessions (job "session"): HTTP for HSTS, resumption,
 *   client-initiated renegotiation.
 *
 * Ownership: the probe host owns the plan, its copies of the endpoint's names and the saved
 * SSL_SESSION; each connection's job_ctx (struct probe_conn / struct sess_conn) is owned by
 * the connection and released in its done hook, which also reports to the host. The host
 * frees itself when its last connection is done and the plan has finished (or the engine
 * stopped). Nothing here blocks: every step is a callback on the engine's loop.
 */
#include "scanner/probe_run.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/ssl.h>

#include "scanner/engine_internal.h"
#include "scanner/http_head.h"
#include "scanner/probe.h"

#define HTTP_MAX_HEAD (16 * 1024)
#define HEARTBEAT_WAIT_MS 1500
#define RENEG_WAIT_MS 2000

enum sess_kind { SESS_HTTP, SESS_RESUME, SESS_RENEG };

struct probe_host {
	struct engine *eng;                 /* borrowed */
	struct probe_plan *plan;            /* owned */
	struct sockaddr_storage sa;
	socklen_t salen;
	uint16_t port;
	char ip[46];
	char *sni;                          /* owned, NULL for none */
	const struct starttls_proto *proto; /* registry entry or NULL */
	struct probe_options opt;
	probe_host_cb cb;
	void *cb_arg;
	int probes_in_flight, sessions_in_flight;
	int no_alpn;                        /* the server refuses our ALPN list (alert 120): omit it */
	int plan_done, pumping, finished;
	unsigned session_conns;
	double t0;
	SSL_SESSION *session;               /* owned: from the HTTP session, for resumption */
	/* what the OpenSSL sessions learned (merged into the plan's profile at the end) */
	int http_checked, http_status, hsts, hsts_subdomains, hsts_preload;
	long hsts_max_age;
	int client_reneg, session_resumption;
	int sct_ocsp;                       /* SCTs in a stapled OCSP response (PROFILE_UNKNOWN: no staple seen) */
};

struct probe_conn {
	struct probe_host *host;            /* borrowed */
	int id;
	struct probe_request req;
	struct probe_parser *parser;        /* owned */
	struct server_reply reply;
	int have_reply, hb_sent, outcome_set;
	enum probe_outcome outcome;
};

struct sess_conn {
	struct probe_host *host;            /* borrowed */
	enum sess_kind kind;
	int sent, reneg_started;
};

void probe_options_defaults(struct probe_options *o)
{
	o->per_host = 4;
	o->max_connections = 400;
	o->heartbleed = 1;
	o->http = 1;
}

static void host_pump(struct probe_host *h);
static struct conn *host_conn(struct probe_host *h, const struct conn_job *job, void *ctx);
static const struct conn_job probe_job;

static void host_free(struct probe_host *h)
{
	probe_plan_free(h->plan);
	SSL_SESSION_free(h->session);
	free(h->sni);
	free(h);
}

/* Calls back with the merged profile once everything is done; frees the host. */
static void host_maybe_finish(struct probe_host *h)
{
	struct tls_profile p;
	struct probe_host_result res;

	if (h->probes_in_flight > 0 || h->sessions_in_flight > 0)
		return;
	if (h->eng->stopped) { /* abandoned: tell the owner so it can release its state */
		memset(&res, 0, sizeof(res));
		res.ip = h->ip;
		res.port = h->port;
		h->cb(h->cb_arg, &res);
		host_free(h);
		return;
	}
	if (!h->plan_done || h->finished)
		return;
	h->finished = 1;
	p = *probe_plan_profile(h->plan);
	p.http_checked = h->http_checked;
	p.http_status = h->http_status;
	p.hsts = h->hsts;
	p.hsts_max_age = h->hsts_max_age;
	p.hsts_subdomains = h->hsts_subdomains;
	p.hsts_preload = h->hsts_preload;
	p.client_reneg = h->client_reneg;
	p.session_resumption = h->session_resumption;
	/* No staple: no SCT can travel in one. A staple: what the session found in it. */
	p.sct_ocsp = p.ocsp_stapling == 0 ? 0 : h->sct_ocsp;
	p.connections += h->session_conns;
	p.ms = (engine_now() - h->t0) * 1000;
	res.ip = h->ip;
	res.port = h->port;
	res.sni = h->sni;
	res.starttls = h->proto != NULL ? h->proto->name : "";
	res.profile = &p;
	h->cb(h->cb_arg, &res);
	host_free(h);
}

/* ------------------------------------------------------------------ probe connections */

static void probe_finish(struct conn *c, enum probe_outcome outcome)
{
	struct probe_conn *pc = c->job_ctx;

	pc->outcome = outcome;
	pc->outcome_set = 1;
	conn_finish(c);
}

static void probe_begin(struct conn *c)
{
	struct probe_conn *pc = c->job_ctx;
	char err[160];

	if (c->in == NULL)
		c->in = evbuffer_new();
	if (c->out == NULL)
		c->out = evbuffer_new();
	/* STARTTLS services speak no HTTP; and a server that refused our ALPN list once (alert
	 * no_application_protocol) would refuse every hello that carries it. */
	if (c->proto != NULL || pc->host->no_alpn)
		pc->req.spec.alpn = NULL;
	pc->parser = probe_parser_new(pc->req.spec.version == 0x0002);
	if (c->in == NULL || c->out == NULL || pc->parser == NULL ||
	    probe_hello_build(c->eng->probe_keys, &pc->req.spec, c->out, err, sizeof(err)) != 0) {
		probe_finish(c, PO_CLOSED);
		return;
	}
	if (conn_flush(c) != 0)
		return;
	conn_wait(c, evbuffer_get_length(c->out) > 0 ? EV_READ | EV_WRITE : EV_READ);
}

/* A final reply arrived: send the heartbeat probe when asked, else report. */
static void probe_on_reply(struct conn *c, const struct server_reply *r)
{
	struct probe_conn *pc = c->job_ctx;
	struct timeval tv = { HEARTBEAT_WAIT_MS / 1000, (HEARTBEAT_WAIT_MS % 1000) * 1000 };

	if (pc->hb_sent) { /* answer to the heartbeat (or anything else: keep the hello reply) */
		if (r->kind == REPLY_HEARTBEAT)
			pc->reply = *r;
		probe_finish(c, PO_REPLY);
		return;
	}
	pc->reply = *r;
	pc->have_reply = 1;
	if (pc->req.heartbeat_after && r->kind == REPLY_HELLO && r->complete && r->version <= 0x0303 &&
	    probe_heartbeat_build(r->version, pc->req.heartbeat_declared, pc->req.heartbeat_sent, c->out) == 0) {
		pc->hb_sent = 1;
		if (conn_flush(c) != 0)
			return;
		evtimer_del(c->timer);
		evtimer_add(c->timer, &tv);
		conn_wait(c, evbuffer_get_length(c->out) > 0 ? EV_READ | EV_WRITE : EV_READ);
		return;
	}
	probe_finish(c, PO_REPLY);
}

static void probe_io(struct conn *c, short what)
{
	struct probe_conn *pc = c->job_ctx;
	struct server_reply r;

	if ((what & EV_WRITE) && conn_flush(c) != 0)
		return;
	if (what & EV_READ) {
		int n = evbuffer_read(c->in, c->fd, 16384);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
			probe_finish(c, pc->have_reply ? PO_REPLY : PO_CLOSED);
			return;
		}
	}
	memset(&r, 0, sizeof(r));
	if (probe_parser_feed(pc->parser, c->in, &r) == 1) {
		probe_on_reply(c, &r);
		return;
	}
	conn_wait(c, evbuffer_get_length(c->out) > 0 ? EV_READ | EV_WRITE : EV_READ);
}

static int probe_timeout(struct conn *c)
{
	struct probe_conn *pc = c->job_ctx;

	if (!pc->hb_sent)
		return 0;
	probe_finish(c, PO_REPLY); /* no heartbeat answer: the hello reply stands */
	return 1;
}

static void probe_done(struct conn *c)
{
	struct probe_conn *pc = c->job_ctx;
	struct probe_host *h = pc->host;
	enum probe_outcome outcome = pc->outcome;

	c->job_ctx = NULL;
	if (!pc->outcome_set) {
		switch (c->obs->status) {
		case EP_REFUSED: outcome = PO_CONNECT_FAILED; break;
		case EP_TIMEOUT: outcome = PO_TIMEOUT; break;
		case EP_STARTTLS_FAILED: outcome = PO_STARTTLS_FAILED; break;
		default: outcome = pc->have_reply ? PO_REPLY : PO_CLOSED; break;
		}
	}
	h->probes_in_flight--;
	if (!h->eng->stopped && outcome == PO_REPLY && pc->have_reply && pc->reply.kind == REPLY_ALERT &&
	    pc->reply.alert_desc == 120 && pc->req.spec.alpn != NULL) {
		/* Refused for our ALPN list, not for what the probe asks: ask again without it. */
		struct conn *again;

		h->no_alpn = 1;
		probe_parser_free(pc->parser);
		pc->parser = NULL;
		pc->have_reply = pc->hb_sent = pc->outcome_set = 0;
		again = host_conn(h, &probe_job, pc);
		if (again != NULL) {
			h->probes_in_flight++;
			engine_launch_conn(h->eng, again);
			return;
		}
		pc->parser = NULL;
	}
	if (!h->eng->stopped)
		probe_plan_result(h->plan, pc->id, outcome, outcome == PO_REPLY && pc->have_reply ? &pc->reply : NULL);
	probe_parser_free(pc->parser);
	free(pc);
	if (!h->eng->stopped)
		host_pump(h);
	host_maybe_finish(h);
}

static const struct conn_job probe_job = {
	.begin = probe_begin,
	.io = probe_io,
	.timeout = probe_timeout,
	.done = probe_done,
};

/* ------------------------------------------------------------------ OpenSSL sessions */

static void sess_setup_ssl(struct conn *c, SSL *ssl)
{
	struct sess_conn *sc = c->job_ctx;
	static const unsigned char http11[] = "\x08http/1.1";

	switch (sc->kind) {
	case SESS_HTTP:
		SSL_set_alpn_protos(ssl, http11, sizeof(http11) - 1);
		break;
	case SESS_RESUME:
		if (sc->host->session != NULL)
			SSL_set_session(ssl, sc->host->session);
		break;
	case SESS_RENEG:
		SSL_set_max_proto_version(ssl, TLS1_2_VERSION);
		break;
	}
}

static void sess_http_finish(struct conn *c)
{
	struct sess_conn *sc = c->job_ctx;
	struct probe_host *h = sc->host;
	size_t len = evbuffer_get_length(c->in);
	const char *head = (const char *)evbuffer_pullup(c->in, -1);
	struct http_head hh;

	if (head != NULL) {
		http_head_parse(head, len, &hh);
		if (hh.is_http) {
			h->http_checked = 1;
			h->http_status = hh.status;
			h->hsts = hh.hsts;
			h->hsts_max_age = hh.hsts_max_age;
			h->hsts_subdomains = hh.hsts_subdomains;
			h->hsts_preload = hh.hsts_preload;
		}
	}
	SSL_SESSION_free(h->session);
	h->session = SSL_get1_session(c->ssl);
	conn_finish(c);
}

static void sess_http_io(struct conn *c)
{
	struct sess_conn *sc = c->job_ctx;
	char buf[4096];
	int r, e;

	if (!sc->sent) {
		char req[512];
		int n = snprintf(req, sizeof(req),
		                 "GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: certsweep/0.1\r\nAccept: */*\r\n"
		                 "Connection: close\r\n\r\n",
		                 sc->host->sni != NULL ? sc->host->sni : sc->host->ip);

		ERR_clear_error();
		r = SSL_write(c->ssl, req, n);
		if (r <= 0) {
			e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
				conn_wait(c, e == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE);
				return;
			}
			conn_finish(c);
			return;
		}
		sc->sent = 1;
	}
	for (;;) {
		ERR_clear_error();
		r = SSL_read(c->ssl, buf, sizeof(buf));
		if (r <= 0) {
			e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
				conn_wait(c, e == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE);
				return;
			}
			sess_http_finish(c); /* closed: parse what came */
			return;
		}
		evbuffer_add(c->in, buf, (size_t)r);
		if (evbuffer_get_length(c->in) >= HTTP_MAX_HEAD ||
		    evbuffer_search(c->in, "\r\n\r\n", 4, NULL).pos >= 0) {
			sess_http_finish(c);
			return;
		}
	}
}

static void sess_reneg_io(struct conn *c)
{
	struct sess_conn *sc = c->job_ctx;
	int r, e;

	if (!sc->reneg_started) {
		struct timeval tv = { RENEG_WAIT_MS / 1000, (RENEG_WAIT_MS % 1000) * 1000 };

		sc->reneg_started = 1;
		if (!SSL_renegotiate(c->ssl)) {
			conn_finish(c);
			return;
		}
		evtimer_del(c->timer);
		evtimer_add(c->timer, &tv);
	}
	ERR_clear_error();
	r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		sc->host->client_reneg = 1;
		conn_finish(c);
		return;
	}
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		conn_wait(c, e == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE);
		return;
	}
	sc->host->client_reneg = 0; /* refused: alert, close or error */
	conn_finish(c);
}

/* A stapled OCSP response may carry SCTs (extension 1.3.6.1.4.1.11129.2.4.5 of a single
 * response, RFC 6962 section 3.3): records whether this one does. */
static void note_staple_scts(struct probe_host *h, SSL *ssl)
{
	const unsigned char *der = NULL, *p;
	long len = SSL_get_tlsext_status_ocsp_resp(ssl, &der);
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *basic = NULL;
	int found = 0;

	if (len <= 0 || der == NULL)
		return;
	p = der;
	if ((resp = d2i_OCSP_RESPONSE(NULL, &p, len)) == NULL ||
	    (basic = OCSP_response_get1_basic(resp)) == NULL) {
		ERR_clear_error();
		goto out;
	}
	for (int i = 0; i < OCSP_resp_count(basic) && !found; i++)
		found = OCSP_SINGLERESP_get_ext_by_NID(OCSP_resp_get0(basic, i), NID_ct_cert_scts, -1) >= 0;
	if (h->sct_ocsp != 1)
		h->sct_ocsp = found;
out:
	OCSP_BASICRESP_free(basic);
	OCSP_RESPONSE_free(resp);
}

static int sess_after_handshake(struct conn *c)
{
	struct sess_conn *sc = c->job_ctx;

	note_staple_scts(sc->host, c->ssl);

	switch (sc->kind) {
	case SESS_HTTP:
		if (c->in == NULL && (c->in = evbuffer_new()) == NULL)
			return 0;
		conn_wait(c, EV_WRITE);
		return 1;
	case SESS_RESUME:
		sc->host->session_resumption = SSL_session_reused(c->ssl) ? 1 : 0;
		return 0;
	case SESS_RENEG:
		if (SSL_version(c->ssl) > TLS1_2_VERSION)
			return 0; /* TLS 1.3 has no renegotiation */
		conn_wait(c, EV_WRITE);
		return 1;
	}
	return 0;
}

static void sess_io(struct conn *c, short what)
{
	struct sess_conn *sc = c->job_ctx;

	if (sc->kind == SESS_HTTP)
		sess_http_io(c);
	else
		sess_reneg_io(c);
}

static int sess_timeout(struct conn *c)
{
	struct sess_conn *sc = c->job_ctx;

	if (sc->kind == SESS_RENEG && sc->reneg_started) {
		sc->host->client_reneg = 0; /* no answer to the renegotiation: not accepted */
		conn_finish(c);
		return 1;
	}
	if (sc->kind == SESS_HTTP && sc->sent) {
		sess_http_finish(c);
		return 1;
	}
	return 0;
}

static void sess_start(struct probe_host *h, enum sess_kind kind);

static void sess_done(struct conn *c)
{
	struct sess_conn *sc = c->job_ctx;
	struct probe_host *h = sc->host;
	enum sess_kind kind = sc->kind;

	c->job_ctx = NULL;
	free(sc);
	h->sessions_in_flight--;
	if (kind == SESS_HTTP && h->session != NULL && !h->eng->stopped)
		sess_start(h, SESS_RESUME);
	host_maybe_finish(h);
}

static const struct conn_job sess_job = {
	.setup_ssl = sess_setup_ssl,
	.after_handshake = sess_after_handshake,
	.io = sess_io,
	.timeout = sess_timeout,
	.done = sess_done,
};

static struct conn *host_conn(struct probe_host *h, const struct conn_job *job, void *ctx)
{
	return conn_new_job(h->eng, (struct sockaddr *)&h->sa, h->salen, h->port, h->sni, h->proto, job, ctx);
}

static void sess_start(struct probe_host *h, enum sess_kind kind)
{
	struct sess_conn *sc = calloc(1, sizeof(*sc));
	struct conn *c;

	if (sc == NULL)
		return;
	sc->host = h;
	sc->kind = kind;
	c = host_conn(h, &sess_job, sc);
	if (c == NULL) {
		free(sc);
		return;
	}
	h->sessions_in_flight++;
	h->session_conns++;
	engine_launch_conn(h->eng, c);
}

/* ------------------------------------------------------------------ the host */

static void host_pump(struct probe_host *h)
{
	if (h->pumping)
		return;
	h->pumping = 1;
	while (!h->plan_done && !h->eng->stopped && h->probes_in_flight < h->opt.per_host) {
		struct probe_conn *pc = calloc(1, sizeof(*pc));
		struct conn *c;
		int id;

		if (pc == NULL)
			break;
		id = probe_plan_next(h->plan, &pc->req);
		if (id == PLAN_WAIT || id == PLAN_DONE) {
			free(pc);
			if (id == PLAN_DONE)
				h->plan_done = 1;
			break;
		}
		pc->host = h;
		pc->id = id;
		c = host_conn(h, &probe_job, pc);
		if (c == NULL) {
			probe_plan_result(h->plan, id, PO_CLOSED, NULL);
			free(pc);
			continue;
		}
		h->probes_in_flight++;
		engine_launch_conn(h->eng, c);
	}
	h->pumping = 0;
}

int probe_host_start(struct engine *eng, const struct observation *obs, const struct probe_options *opt,
                     probe_host_cb cb, void *arg, char *err, size_t errlen)
{
	struct probe_host *h = NULL;
	struct probe_plan_config pcfg;

	if (eng->probe_keys == NULL && (eng->probe_keys = probe_keys_new(err, errlen)) == NULL)
		return -1;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		goto nomem;
	h->eng = eng;
	h->opt = *opt;
	if (h->opt.per_host < 1)
		h->opt.per_host = 1;
	h->cb = cb;
	h->cb_arg = arg;
	h->port = obs->port;
	h->client_reneg = PROFILE_UNKNOWN;
	h->session_resumption = PROFILE_UNKNOWN;
	h->sct_ocsp = PROFILE_UNKNOWN;
	h->hsts_max_age = -1;
	snprintf(h->ip, sizeof(h->ip), "%s", obs->ip);
	if (inet_pton(AF_INET, obs->ip, &((struct sockaddr_in *)&h->sa)->sin_addr) == 1) {
		h->sa.ss_family = AF_INET;
		h->salen = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, obs->ip, &((struct sockaddr_in6 *)&h->sa)->sin6_addr) == 1) {
		h->sa.ss_family = AF_INET6;
		h->salen = sizeof(struct sockaddr_in6);
	} else {
		snprintf(err, errlen, "bad address \"%.46s\"", obs->ip);
		free(h);
		return -1;
	}
	if (obs->sni != NULL && tls_client_sni_usable(obs->sni) && (h->sni = strdup(obs->sni)) == NULL)
		goto nomem;
	if (obs->starttls[0] != '\0')
		h->proto = starttls_find(obs->starttls);
	memset(&pcfg, 0, sizeof(pcfg));
	pcfg.sni = h->sni;
	pcfg.test_heartbleed = opt->heartbleed;
	/* The OpenSSL sessions (HTTP, resumption, renegotiation) come out of the same budget. */
	pcfg.max_connections = opt->max_connections > 13 ? opt->max_connections - 3 : 10;
	if ((h->plan = probe_plan_new(&pcfg)) == NULL)
		goto nomem;
	h->t0 = engine_now();
	/* The OpenSSL sessions run beside the plan: they do not depend on its answers. */
	if (h->proto == NULL && opt->http)
		sess_start(h, SESS_HTTP);
	sess_start(h, SESS_RENEG);
	host_pump(h);
	host_maybe_finish(h);
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	if (h != NULL)
		host_free(h);
	return -1;
}
