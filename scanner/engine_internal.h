/*
 * engine_internal.h: state shared by the engine's files (engine.c schedules, conn.c runs one
 * connection, tls_client.c speaks OpenSSL, resolve.c resolves names). Not part of the API.
 */
#ifndef CS_ENGINE_INTERNAL_H
#define CS_ENGINE_INTERNAL_H

#include <sys/socket.h>
#include <openssl/ssl.h>
#include <event2/util.h> /* evutil_addrinfo is a macro for addrinfo here */

#include "scanner/engine.h"
#include "scanner/starttls.h"
#include "scanner/tlsraw.h"

struct event;
struct evbuffer;
struct evdns_base;
struct evdns_getaddrinfo_request;
struct timeval;

struct conn;
struct skipset;

/*
 * One permutation position the engine dispatched (engine.c, for scan --resume). The position
 * stays "in flight" until every connection made for it has delivered its result: the endpoint
 * itself, and for a name also the clones for its other addresses, which share the slot. Slots
 * are kept in dispatch order (ascending positions), so the first one is the lowest position not
 * yet finished. A connection dropped because the engine stopped keeps its slot: unfinished.
 */
struct pos_slot {
	uint64_t pos;
	unsigned refs;                 /* connections holding it */
	struct pos_slot *prev, *next;  /* links in eng->slots */
};

enum conn_phase { PH_NEW = 0, PH_RESOLVE, PH_CONNECT, PH_STARTTLS, PH_TLS, PH_RAW, PH_JOB };

/*
 * A connection runs a job. The engine's own job (job == NULL) scans an endpoint and delivers its
 * observation. Other jobs (the deep-analysis prober, scanner/probe_run.c) reuse connect,
 * STARTTLS, retries and timeouts, and take over at these hooks; every hook may be NULL.
 */
struct conn_job {
	/* Replaces the TLS phase once TCP (and STARTTLS) is up; the job then drives c in PH_JOB. */
	void (*begin)(struct conn *c);
	/* Adjusts the SSL of a full OpenSSL handshake before it starts (ALPN, version, session). */
	void (*setup_ssl)(struct conn *c, SSL *ssl);
	/* After a successful OpenSSL handshake: return 1 to keep the connection (PH_JOB). */
	int (*after_handshake)(struct conn *c);
	/* I/O readiness in PH_JOB. */
	void (*io)(struct conn *c, short what);
	/* The timer fired in PH_JOB: return 1 when handled (else the usual timeout/retry). */
	int (*timeout)(struct conn *c);
	/* The connection ended (any status); called instead of delivering the observation, just
	 * before the connection is freed. Must release job_ctx. */
	void (*done)(struct conn *c);
};

/* Bytes of the first server reply kept for classification (non-TLS greeting, banner). */
#define CONN_PEEK 64
/* Addresses scanned per name at most. */
#define CONN_MAX_ADDRS 16

struct conn {
	struct engine *eng;            /* borrowed back-pointer */
	struct conn *prev, *next;      /* links in *list */
	struct conn **list;            /* &eng->active, &eng->ready, or NULL when unlinked */
	struct observation *obs;       /* owned until delivered by conn_finish */
	enum conn_phase phase;
	int fd;                        /* owned, -1 when closed */
	struct event *io;              /* owned */
	struct event *timer;           /* owned */
	SSL *ssl;                      /* owned */
	struct tlsraw *raw;            /* owned: the own-ClientHello handshake (PH_RAW) */
	int force_full;                /* 1 after the raw handshake could not finish: use OpenSSL */
	const struct conn_job *job;    /* NULL: the engine's scan job */
	void *job_ctx;                 /* owned by the job (released in job->done) */
	const struct starttls_proto *proto; /* static registry entry, NULL for direct TLS */
	int proto_auto;                /* 1 when --starttls auto may still pick a protocol */
	void *proto_ctx;               /* owned, proto->ctx_size bytes */
	struct evbuffer *in, *out;     /* owned, STARTTLS dialogue buffers */
	struct evdns_getaddrinfo_request *dnsreq; /* pending lookup, cancelled on free */
	struct sockaddr_storage sa;
	socklen_t salen;
	double t_start, t_phase;       /* monotonic seconds */
	unsigned char peek[CONN_PEEK];
	size_t peek_len;
	int attempt;                   /* attempts made so far */
	int starttls_ready;            /* module said READY; waiting to flush its last bytes */
	int dns_sync, dns_done, dns_result; /* lookup bookkeeping (resolve.c) */
	struct evutil_addrinfo *dns_res;    /* owned until processed */
	struct pos_slot *slot;         /* one reference (engine_slot_release); NULL for jobs */
};

struct engine {
	struct event_base *base;       /* borrowed */
	struct engine_config cfg;      /* copy; its strings are borrowed from the caller */
	const struct target_set *ts;   /* borrowed */
	struct target_iter *it;        /* borrowed */
	engine_result_cb cb;
	void *cb_arg;
	SSL_CTX *ssl_ctx;              /* owned: one context for every connection */
	struct tlsraw_shared *raw;     /* owned: keys and algorithms for the raw handshake, or NULL */
	struct probe_keys *probe_keys; /* owned, created by the first deep analysis (probe_run.c) */
	struct evdns_base *dns;        /* owned, created on first name */
	const struct starttls_proto *default_proto; /* from cfg.starttls, NULL for none/auto */
	int default_auto;              /* cfg.starttls == "auto" */
	const struct timeval *tv_connect, *tv_handshake; /* libevent common timeouts */
	struct event *tick;            /* owned: rate limiter wake-up */
	struct conn *active;           /* in-flight connections (owned) */
	struct conn *ready;            /* resolved extra addresses waiting to launch (owned) */
	double tokens, last_refill;
	int iter_done, stopped, launching;
	struct engine_stats st;
	struct pos_slot *slots, *slots_tail; /* owned: positions in flight, in dispatch order */
	struct skipset *skip;          /* owned: endpoints done before a resume, or NULL */
	uint64_t result_pos;           /* position of the result being delivered (UINT64_MAX) */
};

double engine_now(void);
/* Launches as many connections as concurrency and rate allow. */
void engine_launch_more(struct engine *eng);

/* conn.c */
struct conn *conn_new(struct engine *eng, const struct endpoint_spec *ep);
struct conn *conn_clone_for_addr(const struct conn *c, const struct sockaddr *sa, socklen_t len);
void conn_set_addr(struct conn *c, const struct sockaddr *sa, socklen_t len);
void conn_begin(struct conn *c);
void conn_connect(struct conn *c);
/* Delivers the observation (unless the engine stopped) and frees the connection. */
void conn_finish(struct conn *c);
/* A connection for a job to an address (no name lookup); NULL on allocation failure. */
struct conn *conn_new_job(struct engine *eng, const struct sockaddr *sa, socklen_t len, uint16_t port,
                          const char *sni, const struct starttls_proto *proto,
                          const struct conn_job *job, void *job_ctx);
/* engine.c: position slots (struct pos_slot). A clone takes a reference to its name's slot;
 * conn_free releases a connection's reference unless the engine stopped (the position is then
 * unfinished and must stay below the watermark). */
void engine_slot_ref(struct pos_slot *s);
void engine_slot_release(struct engine *eng, struct pos_slot *s);
/* For an address just set on c (a name's first address): when its (position, address) was done
 * before a resume, drops c without a result and returns 1 (c is freed); else 0. */
int engine_skip_resolved(struct engine *eng, struct conn *c);
/* Counts c in flight and starts it (it may finish before this returns). */
void engine_launch_conn(struct engine *eng, struct conn *c);
/* Helpers for jobs. */
void conn_wait(struct conn *c, short what);
int conn_flush(struct conn *c);
void conn_fail_errno(struct conn *c, int err, const char *what);
/* Frees without delivering. */
void conn_free(struct conn *c);
void conn_list_remove(struct conn **head, struct conn *c);
void conn_list_push(struct conn **head, struct conn *c);

/* tls_client.c */
SSL_CTX *tls_client_ctx_new(char *err, size_t errlen);
/* Prepares an SSL for a connection: SNI, ALPN (direct TLS only), OCSP status request, and the
 * peek callback that records the first bytes the server sends. */
SSL *tls_client_new(struct conn *c, char *err, size_t errlen);
/* Copies the negotiated parameters and the presented chain into the observation. */
void tls_client_collect(SSL *ssl, struct observation *obs);
/* 1 when the name may be sent as SNI (not empty, not an IP literal: RFC 6066 section 3). */
int tls_client_sni_usable(const char *s);
/* Records EP_NOT_TLS, quoting the first bytes the server sent (conn->peek, topped up). */
void tls_client_note_not_tls(struct conn *c);
/* Fills the observation's status and error for a failed handshake. */
void tls_client_classify_failure(struct conn *c, int ssl_err, int sys_errno);

/* resolve.c */
/* Creates the DNS base (idempotent); -1 with err for a bad resolver or hosts file. */
int resolve_setup(struct engine *eng, char *err, size_t errlen);
int resolve_start(struct conn *c, const char *name);
void resolve_cancel(struct conn *c);

#endif
