/*
 * test_probe_plan.c: the deep-analysis plan (scanner/probe_plan.c) against models of servers.
 *
 * A model is a configurable server reduced to a function: given the ClientHello a probe
 * describes, it returns what such a server would answer (versions, suites per version, its
 * own order or the client's, curves, DH size, extensions, ALPN, compression, heartbeat and
 * heartbleed, TLS_FALLBACK_SCSV, SSLv2 kinds, and misbehaviours: timeouts, resets instead of
 * alerts, picking a suite that was not offered, garbage after the ServerHello).
 *
 * The driver runs the plan with 1, 4 and 8 probes in flight and answers them first-in
 * first-out, last-in first-out and in a seeded random order, and every run must give exactly
 * the profile written down for the model, within a bound on connections. Every request must
 * also be a hello the real codec accepts (probe_hello_build).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "core/profile.h"
#include "core/suites.h"
#include "scanner/probe.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAXFL 16
#define V(pv) (1u << (pv))

/* ------------------------------------------------------------------ the model server */

struct model {
	unsigned versions;                     /* V(PV_...) bits */
	const uint16_t *suites[PV_COUNT];      /* the server's list per version, its preference order */
	size_t n_suites[PV_COUNT];
	int server_order;
	int prioritize_chacha;                 /* OpenSSL: a client listing ChaCha first gets it */
	const uint16_t *groups;                /* EC groups (TLS 1.2 and 1.3), preference order */
	size_t n_groups;
	const uint16_t *groups13;              /* more groups only for TLS 1.3 (ffdhe) */
	size_t n_groups13;
	int group_server_order;
	int dh_bits;
	int reneg, ticket, staple, sct, ems, etm, heartbeat, heartbleed, compression, fallback_scsv;
	const char *alpn;                      /* protocols in server preference, "h2,http/1.1" */
	int alpn_strict;                       /* no_application_protocol without overlap */
	const uint32_t *ssl2;
	size_t n_ssl2;
	/* misbehaviour */
	int timeout_all, connect_fail, close_not_alert, garbage_after_hello;
	uint16_t force_suite;                  /* always selects this one */
};

static int has(const uint16_t *v, size_t n, uint16_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

static int is_kex(uint16_t id, enum suite_kex k)
{
	const struct suite *s = suite_by_id(id);

	return s && s->kex == k;
}

static int is_aead(uint16_t id)
{
	const struct suite *s = suite_by_id(id);

	return s && (s->flags & SUITE_AEAD);
}

static int top_pv(const struct model *m, int upto)
{
	for (int pv = upto; pv >= PV_SSL3; pv--)
		if (m->versions & V(pv))
			return pv;
	return -1;
}

/* The group both sides have, in the deciding side's order; 0 when none. */
static uint16_t pick_group(const struct model *m, const uint16_t *offer, size_t n, int tls13)
{
	const uint16_t *mine[2] = { m->groups, tls13 ? m->groups13 : NULL };
	size_t nm[2] = { m->n_groups, tls13 ? m->n_groups13 : 0 };

	if (m->group_server_order) {
		for (int k = 0; k < 2; k++)
			for (size_t i = 0; i < nm[k]; i++)
				if (has(offer, n, mine[k][i]))
					return mine[k][i];
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (has(m->groups, m->n_groups, offer[i]) || (tls13 && has(m->groups13, m->n_groups13, offer[i])))
			return offer[i];
	return 0;
}

/* The suite the server selects at version pv from the offer, 0 when none. */
static uint16_t pick_suite(const struct model *m, int pv, const struct hello_spec *s, int have_group)
{
	const uint16_t *mine = m->suites[pv];
	size_t n = m->n_suites[pv];

	if (m->force_suite)
		return m->force_suite;
	if (m->server_order && m->prioritize_chacha && s->n_suites && has(mine, n, s->suites[0])) {
		const struct suite *first = suite_by_id(s->suites[0]);
		if (first && first->enc == EN_CHACHA20)
			return s->suites[0];
	}
	for (size_t i = 0; i < (m->server_order ? n : s->n_suites); i++) {
		uint16_t id = m->server_order ? mine[i] : s->suites[i];
		if (!has(s->suites, s->n_suites, id) || !has(mine, n, id))
			continue;
		if (is_kex(id, KX_ECDHE) && !have_group)
			continue;
		return id;
	}
	return 0;
}

static enum probe_outcome refuse(const struct model *m, struct server_reply *r, int desc)
{
	if (m->close_not_alert)
		return PO_CLOSED;
	r->kind = REPLY_ALERT;
	r->alert_level = 2;
	r->alert_desc = desc;
	return PO_REPLY;
}

static enum probe_outcome reply13(const struct model *m, const struct hello_spec *s, struct server_reply *r)
{
	uint16_t g = pick_group(m, s->groups, s->n_groups, 1), suite = pick_suite(m, PV_TLS13, s, 1);

	if (!g || !suite)
		return refuse(m, r, 40);
	r->kind = REPLY_HELLO;
	r->version = 0x0304;
	r->suite = suite;
	r->complete = 1;
	/* like OpenSSL 3.0: a share the server can use is taken, else a HelloRetryRequest */
	for (size_t i = 0; i < s->n_key_shares; i++)
		if (has(m->groups, m->n_groups, s->key_shares[i]) || has(m->groups13, m->n_groups13, s->key_shares[i])) {
			r->group = s->key_shares[i];
			return PO_REPLY;
		}
	r->hrr = 1;
	r->group = g;
	return PO_REPLY;
}

/* The first protocol of the client's list the server has, in the server's order. */
static void pick_alpn(const struct model *m, const char *offer, char *out, size_t cap)
{
	char mine[64], *save = NULL;

	out[0] = '\0';
	if (!m->alpn || !offer)
		return;
	snprintf(mine, sizeof(mine), "%s", m->alpn);
	for (char *p = strtok_r(mine, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		char theirs[64], *save2 = NULL;
		snprintf(theirs, sizeof(theirs), "%s", offer);
		for (char *q = strtok_r(theirs, ",", &save2); q; q = strtok_r(NULL, ",", &save2))
			if (strcmp(p, q) == 0) {
				snprintf(out, cap, "%s", p);
				return;
			}
	}
}

static enum probe_outcome model_reply(const struct model *m, const struct probe_request *req, struct server_reply *r)
{
	const struct hello_spec *s = &req->spec;
	int pv, any_max;
	uint16_t suite, group;

	memset(r, 0, sizeof(*r));
	if (m->connect_fail)
		return PO_CONNECT_FAILED;
	if (m->timeout_all)
		return PO_TIMEOUT;
	if (s->version == 0x0002) {
		if (!m->n_ssl2)
			return PO_CLOSED;
		r->kind = REPLY_SSL2_HELLO;
		r->version = 0x0002;
		memcpy(r->ssl2_kinds, m->ssl2, m->n_ssl2 * sizeof(m->ssl2[0]));
		r->n_ssl2 = m->n_ssl2;
		return PO_REPLY;
	}
	if (s->version == 0x0304 && (m->versions & V(PV_TLS13)))
		return reply13(m, s, r);
	/* TLS <= 1.2 (a TLS 1.3 hello's legacy_version is 0x0303) */
	any_max = top_pv(m, PV_TLS13);
	pv = top_pv(m, s->version >= 0x0303 ? PV_TLS12 : s->version == 0x0302 ? PV_TLS11 :
	                s->version == 0x0301 ? PV_TLS10 : PV_SSL3);
	if (s->scsv_fallback && m->fallback_scsv && any_max > 0 &&
	    proto_version_wire((enum proto_version)any_max) > s->version)
		return refuse(m, r, 86);
	if (pv < 0)
		return refuse(m, r, 70);
	group = pick_group(m, s->groups, s->n_groups, 0);
	suite = pick_suite(m, pv, s, group != 0);
	if (!suite)
		return refuse(m, r, 40);
	r->kind = m->garbage_after_hello ? REPLY_MALFORMED : REPLY_HELLO;
	r->version = proto_version_wire((enum proto_version)pv);
	r->suite = suite;
	r->compression = s->compression && m->compression;
	r->complete = !m->garbage_after_hello;
	r->n_certs = 1;
	if (is_kex(suite, KX_ECDHE))
		r->group = group;
	if (is_kex(suite, KX_DHE))
		r->dh_bits = m->dh_bits;
	r->ext_reneg = m->reneg && (s->reneg_ext || s->scsv_reneg);
	if (!s->no_extensions) {
		r->ext_ticket = m->ticket && s->session_ticket;
		r->ext_status = r->cert_status = m->staple && s->status_request;
		r->ext_sct = m->sct && s->sct;
		r->ext_ems = m->ems && s->ems;
		r->ext_etm = m->etm && s->etm && !is_aead(suite);
		r->ext_heartbeat = m->heartbeat && s->heartbeat;
		pick_alpn(m, s->alpn, r->alpn, sizeof(r->alpn));
		if (s->alpn && !r->alpn[0] && m->alpn && m->alpn_strict)
			return refuse(m, r, 120);
	}
	if (req->heartbeat_after) {
		if (!r->ext_heartbeat || !m->heartbleed)
			return PO_TIMEOUT;   /* a patched server drops the bad heartbeat */
		memset(r, 0, sizeof(*r));
		r->kind = REPLY_HEARTBEAT;
		r->heartbeat_len = req->heartbeat_declared;
	}
	return PO_REPLY;
}

/* ------------------------------------------------------------------ the driver */

enum order { FIFO, LIFO, RANDOM };

struct run {
	struct tls_profile prof;
	unsigned probes;             /* requests handed out */
	unsigned max_in_flight;
	uint16_t watch[2];           /* set by the caller: count hellos of more than 3 suites */
	unsigned together;           /* offering both watch[0] and watch[1] */
	unsigned fail_at;            /* set by the caller: the n-th answer (1-based) is a connect failure */
	unsigned by_version[PV_COUNT];   /* hellos sent per highest version offered */
};

static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*s >> 33);
}

/* What every request must satisfy, whatever the plan's reasons. */
static void check_request(const struct probe_request *req, const char *sni)
{
	const struct hello_spec *s = &req->spec;

	if (s->version == 0x0002) {
		assert_true(s->n_ssl2 >= 7 && s->n_ssl2 <= 16);
		return;
	}
	assert_true(s->version >= 0x0300 && s->version <= 0x0304);
	assert_true(s->n_suites >= 1 && s->n_suites <= 128);
	assert_true(s->n_groups <= HELLO_MAX_GROUPS);
	for (size_t i = 0; i < s->n_suites; i++) {
		const struct suite *su = suite_by_id(s->suites[i]);
		assert_non_null(su);
		assert_false(su->flags & (SUITE_SCSV | SUITE_SSL2));
		assert_int_equal(!!(su->flags & SUITE_TLS13), s->version == 0x0304);
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(s->suites[i], s->suites[j]);
	}
	if (s->version == 0x0300)
		assert_true(s->no_extensions && s->n_groups == 0);
	for (size_t i = 0; i < s->n_key_shares; i++)
		assert_true(has(s->groups, s->n_groups, s->key_shares[i]));
	if (req->heartbeat_after) {
		assert_true(s->version <= 0x0303 && s->heartbeat);
		assert_int_equal(req->heartbeat_declared, req->heartbeat_sent + 16);
	}
	if (sni)
		assert_string_equal(s->sni, sni);
	else
		assert_null(s->sni);
}

static void drive(const struct model *m, const struct probe_plan_config *cfg, unsigned par, enum order ord,
                  uint64_t seed, struct run *out)
{
	struct probe_plan *pl = probe_plan_new(cfg);
	struct {
		int id;
		struct probe_request req;
	} *fl = calloc(MAXFL, sizeof(*fl));
	unsigned nfl = 0, steps = 0, answered = 0;
	int done = 0;

	assert_non_null(pl);
	assert_non_null(fl);
	memset(&out->prof, 0, sizeof(out->prof));
	out->probes = out->max_in_flight = out->together = 0;
	memset(out->by_version, 0, sizeof(out->by_version));
	while (!done) {
		size_t k;
		struct server_reply r;
		enum probe_outcome o;

		assert_true(++steps < 5000);       /* the plan must terminate */
		while (nfl < par) {
			int id = probe_plan_next(pl, &fl[nfl].req);
			if (id == PLAN_DONE) {
				assert_int_equal(nfl, 0);  /* DONE only when nothing is in flight */
				done = 1;
				break;
			}
			if (id == PLAN_WAIT)
				break;
			assert_true(id >= 0);
			for (unsigned j = 0; j < nfl; j++)
				assert_int_not_equal(fl[j].id, id);
			check_request(&fl[nfl].req, cfg ? cfg->sni : NULL);
			if (fl[nfl].req.spec.n_suites > 3 && out->watch[0] &&
			    has(fl[nfl].req.spec.suites, fl[nfl].req.spec.n_suites, out->watch[0]) &&
			    has(fl[nfl].req.spec.suites, fl[nfl].req.spec.n_suites, out->watch[1]))
				out->together++;
			for (int pv = 0; pv < PV_COUNT; pv++)
				out->by_version[pv] += fl[nfl].req.spec.version == proto_version_wire((enum proto_version)pv);
			fl[nfl++].id = id;
			out->probes++;
		}
		if (done)
			break;
		assert_true(nfl > 0);                  /* WAIT with nothing in flight would hang */
		if (nfl > out->max_in_flight)
			out->max_in_flight = nfl;
		k = ord == FIFO ? 0 : ord == LIFO ? nfl - 1 : rnd(&seed) % nfl;
		o = model_reply(m, &fl[k].req, &r);
		if (++answered == out->fail_at)
			o = PO_CONNECT_FAILED;
		probe_plan_result(pl, fl[k].id, o, o == PO_REPLY ? &r : NULL);
		probe_plan_result(pl, fl[k].id, o, o == PO_REPLY ? &r : NULL);   /* duplicates are ignored */
		fl[k] = fl[--nfl];
	}
	out->prof = *probe_plan_profile(pl);
	assert_int_equal(out->prof.connections, out->probes);
	/* DONE is final */
	{
		struct probe_request req;
		assert_int_equal(probe_plan_next(pl, &req), PLAN_DONE);
	}
	probe_plan_free(pl);
	free(fl);
}

/* ------------------------------------------------------------------ expectations */

#define U PROFILE_UNKNOWN

struct expect {
	int supported[PV_COUNT];
	const uint16_t *suites[PV_COUNT];
	size_t n_suites[PV_COUNT];
	int server_order[PV_COUNT];
	const uint16_t *groups;
	size_t n_groups;
	int groups_server_order, dh_bits, ecdh_bits;
	size_t n_ssl2;
	int secure_reneg, session_ticket, ocsp_stapling, sct_extension, ems, etm, heartbeat, heartbleed,
	    compression, fallback_scsv;
	const char *alpn;
	const char *error;             /* substring, "" for none */
	unsigned max_connections;      /* the bound this server's analysis must stay under */
};

static void check_profile(const struct expect *e, const struct tls_profile *p, const char *what)
{
	for (int pv = 0; pv < PV_COUNT; pv++) {
		if (p->supported[pv] != e->supported[pv])
			fail_msg("%s: supported[%s] = %d, want %d", what, proto_version_name((enum proto_version)pv),
			         p->supported[pv], e->supported[pv]);
		if (pv == PV_SSL2)
			continue;
		if (p->suites[pv].n != e->n_suites[pv] ||
		    (e->n_suites[pv] && memcmp(p->suites[pv].ids, e->suites[pv], e->n_suites[pv] * 2) != 0)) {
			char got[256] = "";
			for (size_t i = 0; i < p->suites[pv].n && strlen(got) < 240; i++)
				snprintf(got + strlen(got), sizeof(got) - strlen(got), " %04x", p->suites[pv].ids[i]);
			fail_msg("%s: %s suites:%s (want %zu)", what, proto_version_name((enum proto_version)pv), got,
			         e->n_suites[pv]);
		}
		if (p->suites[pv].server_order != e->server_order[pv])
			fail_msg("%s: %s server_order %d, want %d", what, proto_version_name((enum proto_version)pv),
			         p->suites[pv].server_order, e->server_order[pv]);
	}
	if (p->n_groups != e->n_groups || (e->n_groups && memcmp(p->groups, e->groups, e->n_groups * 2) != 0)) {
		char got[256] = "";
		for (size_t i = 0; i < p->n_groups && strlen(got) < 240; i++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), " %04x", p->groups[i]);
		fail_msg("%s: groups:%s (want %zu)", what, got, e->n_groups);
	}
#define EQ(f) do { if (p->f != e->f) fail_msg("%s: " #f " = %d, want %d", what, (int)p->f, (int)e->f); } while (0)
	EQ(groups_server_order);
	EQ(dh_bits);
	EQ(ecdh_bits);
	EQ(n_ssl2);
	EQ(secure_reneg);
	EQ(session_ticket);
	EQ(ocsp_stapling);
	EQ(sct_extension);
	EQ(ems);
	EQ(etm);
	EQ(heartbeat);
	EQ(heartbleed);
	EQ(compression);
	EQ(fallback_scsv);
#undef EQ
	if (strcmp(p->alpn, e->alpn) != 0)
		fail_msg("%s: alpn \"%s\", want \"%s\"", what, p->alpn, e->alpn);
	if (e->error[0] ? strstr(p->error, e->error) == NULL : p->error[0] != '\0')
		fail_msg("%s: error \"%s\", want \"%s\"", what, p->error, e->error);
	if (p->connections > e->max_connections)
		fail_msg("%s: %u connections, want at most %u", what, p->connections, e->max_connections);
	/* fields the plan leaves to the caller */
	assert_int_equal(p->client_reneg, U);
	assert_int_equal(p->session_resumption, U);
	assert_int_equal(p->http_checked, 0);
}

/* Every concurrency and answer order gives the same profile. */
static void run_all(const struct model *m, const struct probe_plan_config *cfg, const struct expect *e)
{
	static const unsigned pars[] = { 1, 4, 8 };
	unsigned lo = ~0u, hi = 0;

	for (size_t i = 0; i < N(pars); i++)
		for (int ord = FIFO; ord <= RANDOM; ord++)
			for (uint64_t seed = 1; seed <= (ord == RANDOM ? 3u : 1u); seed++) {
				struct run r = { .watch = { 0, 0 } };
				char what[64];
				snprintf(what, sizeof(what), "par %u order %d seed %llu", pars[i], ord,
				         (unsigned long long)seed);
				drive(m, cfg, pars[i], (enum order)ord, seed, &r);
				check_profile(e, &r.prof, what);
				if (pars[i] > 1 && e->max_connections > 8)
					assert_true(r.max_in_flight > 1);   /* independent probes run together */
				lo = r.prof.connections < lo ? r.prof.connections : lo;
				hi = r.prof.connections > hi ? r.prof.connections : hi;
			}
	print_message("    connections %u..%u\n", lo, hi);
}

static const struct probe_plan_config cfg_default = { "www.example.test", 1, 400 };

/* ------------------------------------------------------------------ the servers */

/* nginx with Mozilla "intermediate" on an RSA certificate, OpenSSL 3.0 defaults for groups. */
static const uint16_t modern12[] = { 0xc02f, 0xc030, 0xcca8, 0x009e, 0x009f };
static const uint16_t modern13[] = { 0x1302, 0x1303, 0x1301 };
static const uint16_t modern_groups[] = { 0x001d, 0x0017, 0x001e, 0x0019, 0x0018 };
static const uint16_t ffdhe_groups[] = { 0x0100, 0x0101, 0x0102, 0x0103, 0x0104 };

static struct model modern_model(void)
{
	struct model m = {
		.versions = V(PV_TLS12) | V(PV_TLS13),
		.suites = { [PV_TLS12] = modern12, [PV_TLS13] = modern13 },
		.n_suites = { [PV_TLS12] = N(modern12), [PV_TLS13] = N(modern13) },
		.server_order = 1, .prioritize_chacha = 1,
		.groups = modern_groups, .n_groups = N(modern_groups),
		.groups13 = ffdhe_groups, .n_groups13 = N(ffdhe_groups),
		.group_server_order = 1, .dh_bits = 2048,
		.reneg = 1, .ticket = 1, .staple = 1, .ems = 1, .etm = 1,
		.alpn = "h2,http/1.1", .fallback_scsv = 1,
	};
	return m;
}

static const uint16_t modern_groups_exp[] = { 0x001d, 0x0017, 0x001e, 0x0019, 0x0018,
	                                      0x0100, 0x0101, 0x0102, 0x0103, 0x0104 };

static struct expect modern_expect(void)
{
	struct expect e = {
		.supported = { 0, 0, 0, 0, 1, 1 },
		.suites = { [PV_TLS12] = modern12, [PV_TLS13] = modern13 },
		.n_suites = { [PV_TLS12] = N(modern12), [PV_TLS13] = N(modern13) },
		.server_order = { U, U, U, U, 1, 1 },
		.groups = modern_groups_exp, .n_groups = N(modern_groups_exp),
		.groups_server_order = 1, .dh_bits = 2048, .ecdh_bits = 255,
		.secure_reneg = 1, .session_ticket = 1, .ocsp_stapling = 1, .sct_extension = 0, .ems = 1,
		.etm = 0, .heartbeat = 0, .heartbleed = 0, .compression = 0, .fallback_scsv = 1,
		.alpn = "h2,http/1.1", .error = "", .max_connections = 36,
	};
	return e;
}

static void test_modern(void **state)
{
	struct model m = modern_model();
	struct expect e = modern_expect();

	(void)state;
	run_all(&m, &cfg_default, &e);
}

/* The same server resetting connections instead of sending alerts: the same answers, except
 * that TLS_FALLBACK_SCSV support needs the inappropriate_fallback alert to be seen. */
static void test_modern_resets(void **state)
{
	struct model m = modern_model();
	struct expect e = modern_expect();

	(void)state;
	m.close_not_alert = 1;
	e.fallback_scsv = U;      /* a reset is not inappropriate_fallback: cannot tell */
	run_all(&m, &cfg_default, &e);
}

/* Client order everywhere: suites and groups reported in registry order. */
static void test_modern_client_order(void **state)
{
	static const uint16_t exp12[] = { 0x009e, 0x009f, 0xc02f, 0xc030, 0xcca8 };
	static const uint16_t exp13[] = { 0x1301, 0x1302, 0x1303 };
	static const uint16_t expg[] = { 0x0017, 0x0018, 0x0019, 0x001d, 0x001e,
	                                 0x0100, 0x0101, 0x0102, 0x0103, 0x0104 };
	struct model m = modern_model();
	struct expect e = modern_expect();

	(void)state;
	m.server_order = 0;
	m.group_server_order = 0;
	e.suites[PV_TLS12] = exp12;
	e.suites[PV_TLS13] = exp13;
	e.server_order[PV_TLS12] = e.server_order[PV_TLS13] = 0;
	e.groups = expg;
	e.groups_server_order = 0;
	run_all(&m, &cfg_default, &e);
}

/* An old server: TLS 1.0 only, RC4 and 3DES, client order, DEFLATE, heartbleed. */
static const uint16_t legacy10[] = { 0x000a, 0x0005, 0x0004 };

static struct model legacy_model(void)
{
	struct model m = {
		.versions = V(PV_TLS10),
		.suites = { [PV_TLS10] = legacy10 },
		.n_suites = { [PV_TLS10] = N(legacy10) },
		.reneg = 1, .heartbeat = 1, .heartbleed = 1, .compression = 1,
	};
	return m;
}

static const uint16_t legacy10_exp[] = { 0x0004, 0x0005, 0x000a };

static struct expect legacy_expect(void)
{
	struct expect e = {
		.supported = { 0, 0, 1, 0, 0, 0 },
		.suites = { [PV_TLS10] = legacy10_exp },
		.n_suites = { [PV_TLS10] = N(legacy10_exp) },
		.server_order = { U, U, 0, U, U, U },
		.groups_server_order = U,
		.secure_reneg = 1, .session_ticket = 0, .ocsp_stapling = 0, .sct_extension = 0, .ems = 0,
		.etm = 0, .heartbeat = 1, .heartbleed = 1, .compression = 1, .fallback_scsv = U,
		.alpn = "", .error = "", .max_connections = 20,
	};
	return e;
}

static void test_legacy(void **state)
{
	struct model m = legacy_model();
	struct expect e = legacy_expect();

	(void)state;
	run_all(&m, &cfg_default, &e);
}

/* Garbage after the ServerHello: the hello still counts. */
/* Garbage after every ServerHello: no version counts as supported (a broken first flight is
 * no proof), and the error says why. */
static void test_legacy_garbage(void **state)
{
	struct model m = legacy_model();
	struct expect e = {
		.supported = { 0, 0, 0, 0, 0, 0 },
		.server_order = { U, U, U, U, U, U },
		.groups_server_order = U,
		.secure_reneg = U, .session_ticket = U, .ocsp_stapling = U, .sct_extension = U, .ems = U,
		.etm = U, .heartbeat = U, .heartbleed = U, .compression = U, .fallback_scsv = U,
		.alpn = "", .error = "malformed answers", .max_connections = 12,
	};

	(void)state;
	m.garbage_after_hello = 1;
	run_all(&m, &cfg_default, &e);
}

/* Heartbleed probing switched off: heartbeat seen, heartbleed not tested. */
static void test_legacy_no_heartbleed_test(void **state)
{
	struct probe_plan_config cfg = cfg_default;
	struct model m = legacy_model();
	struct expect e = legacy_expect();

	(void)state;
	cfg.test_heartbleed = 0;
	e.heartbleed = U;
	run_all(&m, &cfg, &e);
}

/* SSLv2 and SSLv3 (and TLS 1.0), server order, 1024-bit DHE. */
static const uint32_t ssl2_kinds[] = { 0x010080, 0x0700c0, 0x020080 };
static const uint16_t old3[] = { 0x0016, 0x0005, 0x000a, 0x0009 };
static const uint16_t old10[] = { 0x002f, 0x0016, 0x0005, 0x000a, 0x0009 };

static void test_ssl2_ssl3(void **state)
{
	struct model m = {
		.versions = V(PV_SSL3) | V(PV_TLS10),
		.suites = { [PV_SSL3] = old3, [PV_TLS10] = old10 },
		.n_suites = { [PV_SSL3] = N(old3), [PV_TLS10] = N(old10) },
		.server_order = 1, .dh_bits = 1024, .reneg = 0,
		.ssl2 = ssl2_kinds, .n_ssl2 = N(ssl2_kinds),
	};
	struct expect e = {
		.supported = { 1, 1, 1, 0, 0, 0 },
		.suites = { [PV_SSL3] = old3, [PV_TLS10] = old10 },
		.n_suites = { [PV_SSL3] = N(old3), [PV_TLS10] = N(old10) },
		.server_order = { U, 1, 1, U, U, U },
		.groups_server_order = U, .dh_bits = 1024, .n_ssl2 = 3,
		.secure_reneg = 0, .session_ticket = 0, .ocsp_stapling = 0, .sct_extension = 0, .ems = 0,
		.etm = 0, .heartbeat = 0, .heartbleed = 0, .compression = 0, .fallback_scsv = U,
		.alpn = "", .error = "", .max_connections = 30,
	};
	struct run r = { .watch = { 0, 0 } };

	(void)state;
	run_all(&m, &cfg_default, &e);
	drive(&m, &cfg_default, 4, FIFO, 1, &r);
	assert_memory_equal(r.prof.ssl2_kinds, ssl2_kinds, sizeof(ssl2_kinds));
}

/* NULL suites at TLS 1.2, one curve, client order, ALPN http/1.1 only. */
static const uint16_t null12[] = { 0x003b, 0x0002, 0xc010, 0x009c };
static const uint16_t null12_exp[] = { 0x0002, 0x003b, 0x009c, 0xc010 };
static const uint16_t p256[] = { 0x0017 };

static void test_null_suites(void **state)
{
	struct model m = {
		.versions = V(PV_TLS12),
		.suites = { [PV_TLS12] = null12 },
		.n_suites = { [PV_TLS12] = N(null12) },
		.groups = p256, .n_groups = 1,
		.reneg = 1, .etm = 1, .sct = 1, .alpn = "http/1.1",
	};
	struct expect e = {
		.supported = { 0, 0, 0, 0, 1, 0 },
		.suites = { [PV_TLS12] = null12_exp },
		.n_suites = { [PV_TLS12] = N(null12_exp) },
		.server_order = { U, U, U, U, 0, U },
		.groups = p256, .n_groups = 1, .groups_server_order = U, .ecdh_bits = 256,
		.secure_reneg = 1, .session_ticket = 0, .ocsp_stapling = 0, .sct_extension = 1, .ems = 0,
		.etm = 1, .heartbeat = 0, .heartbleed = 0, .compression = 0, .fallback_scsv = U,
		.alpn = "http/1.1", .error = "", .max_connections = 25,
	};

	struct run r = { .watch = { 0, 0 } };

	(void)state;
	run_all(&m, &cfg_default, &e);
	/* protocol_version settles an unsupported version in one probe, whatever its chunks */
	drive(&m, &cfg_default, 8, RANDOM, 5, &r);
	assert_int_equal(r.by_version[PV_SSL2], 1);
	assert_int_equal(r.by_version[PV_SSL3], 1);
	assert_int_equal(r.by_version[PV_TLS10], 1);
	assert_int_equal(r.by_version[PV_TLS11], 1);
	assert_int_equal(r.by_version[PV_TLS13], 1);
}

/* TLS 1.0 .. 1.2, no TLS_FALLBACK_SCSV, DHE only with 1024-bit primes, heartbeat without the
 * bug, h2 only with no_application_protocol on a mismatch, no SNI. */
static const uint16_t dhe[] = { 0x0033, 0x0039 };
static const uint16_t dhe12[] = { 0x009e, 0x0033, 0x0039 };

static void test_no_fallback_scsv(void **state)
{
	static const struct probe_plan_config cfg = { NULL, 1, 400 };
	struct model m = {
		.versions = V(PV_TLS10) | V(PV_TLS11) | V(PV_TLS12),
		.suites = { [PV_TLS10] = dhe, [PV_TLS11] = dhe, [PV_TLS12] = dhe12 },
		.n_suites = { [PV_TLS10] = N(dhe), [PV_TLS11] = N(dhe), [PV_TLS12] = N(dhe12) },
		.server_order = 1, .dh_bits = 1024, .reneg = 1, .etm = 1, .heartbeat = 1,
		.alpn = "h2", .alpn_strict = 1,
	};
	struct expect e = {
		.supported = { 0, 0, 1, 1, 1, 0 },
		.suites = { [PV_TLS10] = dhe, [PV_TLS11] = dhe, [PV_TLS12] = dhe12 },
		.n_suites = { [PV_TLS10] = N(dhe), [PV_TLS11] = N(dhe), [PV_TLS12] = N(dhe12) },
		.server_order = { U, U, 1, 1, 1, U },
		.groups_server_order = U, .dh_bits = 1024,
		.secure_reneg = 1, .session_ticket = 0, .ocsp_stapling = 0, .sct_extension = 0, .ems = 0,
		.etm = 1, .heartbeat = 1, .heartbleed = 0, .compression = 0, .fallback_scsv = 0,
		.alpn = "h2", .error = "", .max_connections = 30,
	};

	(void)state;
	run_all(&m, &cfg, &e);
}

/* A TLS 1.3-only server: everything TLS <= 1.2 would tell stays unknown. */
static const uint16_t only13_groups[] = { 0x001d };
static const uint16_t only13_ff[] = { 0x0100 };
static const uint16_t only13_exp_groups[] = { 0x001d, 0x0100 };
static const uint16_t only13[] = { 0x1301, 0x1303 };

static void test_tls13_only(void **state)
{
	struct model m = {
		.versions = V(PV_TLS13),
		.suites = { [PV_TLS13] = only13 },
		.n_suites = { [PV_TLS13] = N(only13) },
		.groups = only13_groups, .n_groups = 1, .groups13 = only13_ff, .n_groups13 = 1,
	};
	struct expect e = {
		.supported = { 0, 0, 0, 0, 0, 1 },
		.suites = { [PV_TLS13] = only13 },
		.n_suites = { [PV_TLS13] = N(only13) },
		.server_order = { U, U, U, U, U, 0 },
		.groups = only13_exp_groups, .n_groups = 2, .groups_server_order = U, .ecdh_bits = 255,
		.secure_reneg = U, .session_ticket = U, .ocsp_stapling = U, .sct_extension = U, .ems = U,
		.etm = U, .heartbeat = U, .heartbleed = U, .compression = 0, .fallback_scsv = U,
		.alpn = "", .error = "", .max_connections = 20,
	};

	(void)state;
	run_all(&m, &cfg_default, &e);
}

/* Suites in different chunks with the server's order: the ranking spans the chunks. The
 * RSA_PSK suite is one no server-side default has, so it is offered in a late chunk. */
static const uint16_t chunks12[] = { 0x00ac, 0xc02f, 0x009c };

static void test_chunks_server_order(void **state)
{
	static const uint16_t g[] = { 0x0017 };
	struct model m = {
		.versions = V(PV_TLS12),
		.suites = { [PV_TLS12] = chunks12 },
		.n_suites = { [PV_TLS12] = N(chunks12) },
		.server_order = 1, .groups = g, .n_groups = 1,
	};
	struct expect e = {
		.supported = { 0, 0, 0, 0, 1, 0 },
		.suites = { [PV_TLS12] = chunks12 },
		.n_suites = { [PV_TLS12] = N(chunks12) },
		.server_order = { U, U, U, U, 1, U },
		.groups = g, .n_groups = 1, .groups_server_order = U, .ecdh_bits = 256,
		.secure_reneg = 0, .session_ticket = 0, .ocsp_stapling = 0, .sct_extension = 0, .ems = 0,
		.etm = 0, .heartbeat = 0, .heartbleed = 0, .compression = 0, .fallback_scsv = U,
		.alpn = "", .error = "", .max_connections = 25,
	};

	(void)state;
	run_all(&m, &cfg_default, &e);
	{
		/* the suites really were in different chunks */
		struct run r = { .watch = { 0x00ac, 0xc02f } };
		drive(&m, &cfg_default, 4, FIFO, 1, &r);
		assert_int_equal(r.together, 0);
	}
	/* client order: registry order */
	{
		static const uint16_t exp[] = { 0x009c, 0x00ac, 0xc02f };
		m.server_order = 0;
		e.suites[PV_TLS12] = exp;
		e.server_order[PV_TLS12] = 0;
		run_all(&m, &cfg_default, &e);
	}
}

/* A server that always selects RC4-SHA, offered or not: no endless loop. */
static void test_unoffered_pick(void **state)
{
	static const uint16_t rc4[] = { 0x0005 };
	struct model m = {
		.versions = V(PV_TLS10) | V(PV_TLS11) | V(PV_TLS12),
		.suites = { [PV_TLS10] = rc4, [PV_TLS11] = rc4, [PV_TLS12] = rc4 },
		.n_suites = { [PV_TLS10] = 1, [PV_TLS11] = 1, [PV_TLS12] = 1 },
		.force_suite = 0x0005, .fallback_scsv = 1,
	};
	struct expect e = {
		.supported = { 0, 0, 1, 1, 1, 0 },
		.suites = { [PV_TLS10] = rc4, [PV_TLS11] = rc4, [PV_TLS12] = rc4 },
		.n_suites = { [PV_TLS10] = 1, [PV_TLS11] = 1, [PV_TLS12] = 1 },
		.server_order = { U, U, U, U, U, U },
		.groups_server_order = U,
		.secure_reneg = 0, .session_ticket = 0, .ocsp_stapling = 0, .sct_extension = 0, .ems = 0,
		.etm = 0, .heartbeat = 0, .heartbleed = 0, .compression = 0, .fallback_scsv = 1,
		.alpn = "", .error = "not offered", .max_connections = 30,
	};

	(void)state;
	run_all(&m, &cfg_default, &e);
}

/* Nothing ever answers. */
static void test_all_timeouts(void **state)
{
	struct model m = { .timeout_all = 1 };
	struct expect e = {
		.supported = { U, U, U, U, U, U },
		.server_order = { U, U, U, U, U, U },
		.groups_server_order = U,
		.secure_reneg = U, .session_ticket = U, .ocsp_stapling = U, .sct_extension = U, .ems = U,
		.etm = U, .heartbeat = U, .heartbleed = U, .compression = U, .fallback_scsv = U,
		.alpn = "", .error = "timed out", .max_connections = 6,
	};

	(void)state;
	run_all(&m, &cfg_default, &e);
}

/* Connection refused: stop at once. */
static void test_cannot_connect(void **state)
{
	struct model m = { .connect_fail = 1 };
	struct expect e = {
		.supported = { U, U, U, U, U, U },
		.server_order = { U, U, U, U, U, U },
		.groups_server_order = U,
		.secure_reneg = U, .session_ticket = U, .ocsp_stapling = U, .sct_extension = U, .ems = U,
		.etm = U, .heartbeat = U, .heartbleed = U, .compression = U, .fallback_scsv = U,
		.alpn = "", .error = "cannot connect", .max_connections = 8,
	};
	struct run r = { .watch = { 0, 0 } };

	(void)state;
	run_all(&m, &cfg_default, &e);
	drive(&m, &cfg_default, 1, FIFO, 1, &r);
	assert_int_equal(r.prof.connections, 1);
}

/* A budget of 10 connections: exactly 10 used, what is known is kept. */
static void test_budget(void **state)
{
	static const struct probe_plan_config cfg = { "www.example.test", 1, 10 };
	struct model m = modern_model();
	static const unsigned pars[] = { 1, 4, 8 };

	(void)state;
	for (size_t i = 0; i < N(pars); i++)
		for (int ord = FIFO; ord <= RANDOM; ord++) {
			struct run r = { .watch = { 0, 0 } };
			drive(&m, &cfg, pars[i], (enum order)ord, 7, &r);
			assert_int_equal(r.prof.connections, 10);
			assert_string_equal(r.prof.error, "connection budget exhausted");
			/* the first wave tells the versions */
			assert_int_equal(r.prof.supported[PV_TLS12], 1);
			assert_int_equal(r.prof.supported[PV_TLS13], 1);
			assert_int_equal(r.prof.supported[PV_SSL2], 0);
			/* whatever was listed was really accepted */
			for (int pv = 0; pv < PV_COUNT; pv++)
				for (size_t k = 0; k < r.prof.suites[pv].n; k++)
					assert_true(has(m.suites[pv], m.n_suites[pv], r.prof.suites[pv].ids[k]));
		}
}

/* A port that answers with something that is not TLS. */
static void test_not_tls(void **state)
{
	struct model m = { .versions = 0 };
	struct expect e = {
		.supported = { 0, 0, 0, 0, 0, 0 },
		.server_order = { U, U, U, U, U, U },
		.groups_server_order = U,
		.secure_reneg = U, .session_ticket = U, .ocsp_stapling = U, .sct_extension = U, .ems = U,
		.etm = U, .heartbeat = U, .heartbleed = U, .compression = U, .fallback_scsv = U,
		.alpn = "", .error = "not TLS", .max_connections = 12,
	};
	struct probe_plan *pl = probe_plan_new(&cfg_default);
	struct server_reply r;
	struct probe_request req;
	int id;

	(void)state;
	assert_non_null(pl);
	memset(&r, 0, sizeof(r));
	r.kind = REPLY_NOT_TLS;
	while ((id = probe_plan_next(pl, &req)) >= 0)
		probe_plan_result(pl, id, PO_REPLY, &r);
	assert_int_equal(id, PLAN_DONE);
	check_profile(&e, probe_plan_profile(pl), "not TLS");
	probe_plan_free(pl);
	(void)m;
}

/* Whatever the budget, it is never exceeded, and only a budget too small says so. */
static void test_budget_sweep(void **state)
{
	struct model m = modern_model();
	struct run full = { .watch = { 0, 0 } };

	(void)state;
	drive(&m, &cfg_default, 4, RANDOM, 3, &full);
	for (int budget = 1; budget <= (int)full.prof.connections + 3; budget++) {
		struct probe_plan_config cfg = cfg_default;
		struct run r = { .watch = { 0, 0 } };

		cfg.max_connections = budget;
		drive(&m, &cfg, 4, RANDOM, 3, &r);
		assert_true(r.prof.connections <= (unsigned)budget);
		if (budget >= (int)full.prof.connections) {
			assert_int_equal(r.prof.connections, full.prof.connections);
			assert_string_equal(r.prof.error, "");
		} else {
			assert_int_equal(r.prof.connections, budget);
			assert_string_equal(r.prof.error, "connection budget exhausted");
		}
	}
}

/* A connection that fails in the middle: the plan ends, says the result is incomplete. */
static void test_late_connect_failure(void **state)
{
	struct model m = modern_model();

	(void)state;
	for (unsigned at = 2; at < 30; at += 3) {
		struct run r = { .watch = { 0, 0 }, .fail_at = at };
		drive(&m, &cfg_default, 4, FIFO, 1, &r);
		assert_true(r.prof.connections <= 40);
		struct expect e = modern_expect();
		assert_non_null(strstr(r.prof.error, "incomplete"));
		/* never a wrong answer: the truth, or unknown where the lost probe mattered */
		for (int pv = 0; pv < PV_COUNT; pv++)
			assert_true(r.prof.supported[pv] == e.supported[pv] || r.prof.supported[pv] == U);
	}
}

/* Results for ids the plan never gave, and a NULL reply with PO_REPLY, are harmless. */
static void test_bad_results(void **state)
{
	struct probe_plan *pl = probe_plan_new(NULL);
	struct probe_request req;
	int id;

	(void)state;
	assert_non_null(pl);
	probe_plan_result(pl, 12345, PO_REPLY, NULL);
	probe_plan_result(pl, -7, PO_TIMEOUT, NULL);
	id = probe_plan_next(pl, &req);
	assert_true(id >= 0);
	assert_null(req.spec.sni);
	probe_plan_result(pl, id, PO_REPLY, NULL);
	assert_int_equal(probe_plan_profile(pl)->connections, 1);
	assert_int_equal(probe_plan_next(NULL, &req), PLAN_DONE);
	probe_plan_free(pl);
	probe_plan_free(NULL);
}

/* Every request of a full analysis is a hello the codec builds. */
static void test_requests_build(void **state)
{
	char err[160] = "";
	struct probe_keys *keys = probe_keys_new(err, sizeof(err));
	struct model m = modern_model();
	struct probe_plan *pl = probe_plan_new(&cfg_default);
	struct evbuffer *out = evbuffer_new();
	unsigned built = 0;

	(void)state;
	if (!keys)
		fail_msg("probe_keys_new: %s", err);
	assert_non_null(pl);
	assert_non_null(out);
	m.versions |= V(PV_SSL3) | V(PV_TLS10);   /* so SSLv3 and the fallback hello are built too */
	m.suites[PV_SSL3] = m.suites[PV_TLS10] = legacy10;
	m.n_suites[PV_SSL3] = m.n_suites[PV_TLS10] = N(legacy10);
	m.heartbeat = 1;
	for (;;) {
		struct probe_request req;
		struct server_reply r;
		enum probe_outcome o;
		int id = probe_plan_next(pl, &req);

		if (id == PLAN_DONE)
			break;
		assert_true(id >= 0);
		if (probe_hello_build(keys, &req.spec, out, err, sizeof(err)) != 0)
			fail_msg("probe %d (version %04x): %s", id, req.spec.version, err);
		assert_true(evbuffer_get_length(out) > 0);
		evbuffer_drain(out, evbuffer_get_length(out));
		built++;
		o = model_reply(&m, &req, &r);
		probe_plan_result(pl, id, o, o == PO_REPLY ? &r : NULL);
	}
	assert_true(built > 20);
	evbuffer_free(out);
	probe_plan_free(pl);
	probe_keys_free(keys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modern),
		cmocka_unit_test(test_modern_resets),
		cmocka_unit_test(test_modern_client_order),
		cmocka_unit_test(test_legacy),
		cmocka_unit_test(test_legacy_garbage),
		cmocka_unit_test(test_legacy_no_heartbleed_test),
		cmocka_unit_test(test_ssl2_ssl3),
		cmocka_unit_test(test_null_suites),
		cmocka_unit_test(test_no_fallback_scsv),
		cmocka_unit_test(test_tls13_only),
		cmocka_unit_test(test_chunks_server_order),
		cmocka_unit_test(test_unoffered_pick),
		cmocka_unit_test(test_all_timeouts),
		cmocka_unit_test(test_cannot_connect),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_not_tls),
		cmocka_unit_test(test_budget_sweep),
		cmocka_unit_test(test_late_connect_failure),
		cmocka_unit_test(test_bad_results),
		cmocka_unit_test(test_requests_build),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
