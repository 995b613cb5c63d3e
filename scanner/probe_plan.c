/*
 * probe_plan.c: which ClientHello to send next, from what came back (see probe.h).
 *
 * A pure state machine: no sockets, no clock, no allocation after probe_plan_new(). It hands
 * out probe requests and takes their outcomes in any order, and fills a struct tls_profile.
 *
 * The work is split into LANES. A lane is a sequence of probes where each one depends on the
 * answer to the one before, so a lane has at most one probe in flight; different lanes are
 * independent and run at the same time (the driver decides how many: --per-host). A lane is
 * GATED (waiting for a fact from other lanes), READY, BUSY (a probe in flight) or DONE.
 *
 *   SSL2        one SSLv2-format hello with every cipher kind: the SERVER-HELLO lists all the
 *               kinds the server has at once.
 *   SUITES      elimination over one chunk of a version's candidate suites: offer the chunk,
 *               the server picks one, remove it, offer the rest again, until the server refuses.
 *               The first round of the first chunk is also the version's support test: a
 *               ServerHello at that version means supported; protocol_version, or a ServerHello
 *               at a lower version, means not (that lower version is then known supported).
 *               Candidates are every registry suite valid for the version (EC suites only where
 *               supported_groups is sent, so not in SSLv3), common ones first, split into
 *               chunks of at most CHUNK_MAX because some servers fail on huge hellos. Further
 *               chunks wait for the first chunk's first answer and are skipped when it proved
 *               the version unsupported.
 *   ORDER       once a version's chunks are done with >= 2 suites A (found order): offer A with
 *               A[0] moved last and the rest reversed (CHACHA20 suites after the others, so
 *               that OpenSSL's "prioritize ChaCha" does not mimic client order). The same pick
 *               as A[0] means the server imposes its order, and then the elimination order is
 *               its preference order; the new list's head means client order, reported in
 *               registry order. With acceptances in several chunks A[0] is not the server's
 *               overall favourite, so A is first offered whole to learn it, and a server-order
 *               verdict is followed by an elimination over A alone to rank it (n-1 probes).
 *   GROUPS12    ECDHE suites only, supported_groups = remaining curves: ServerKeyExchange names
 *               the curve the server took; remove it, repeat. Runs at the highest TLS <= 1.2
 *               version once an ECDHE suite was accepted there.
 *   GORDER      the same trick as ORDER on the accepted curves: groups_server_order.
 *   GROUPS13    TLS 1.3 with supported_groups = remaining groups not yet known accepted (the
 *               profile keeps the union over TLS <= 1.2 and 1.3), a key share for the first one
 *               when it is a group with a key (x25519, x448, P-256/384/521, ffdhe2048), none
 *               otherwise (an empty key_share list asks for a HelloRetryRequest):
 *               the ServerHello's key_share or the HelloRetryRequest's group is the server's
 *               choice. One lane for the groups only TLS 1.3 has (FFDHE, hybrids, ...), one for
 *               the curves TLS 1.2 has too, which runs only when GROUPS12 did not.
 *   DH          only when a DHE suite was accepted but no ServerKeyExchange gave its prime size.
 *   ALPN        every TLS <= 1.2 probe offers "h2,http/1.1"; when the server selected one of
 *               them, one probe offers only the other one.
 *   FALLBACK    once TLS 1.0..1.3 support is known and two of them are supported: the second
 *               highest (<= TLS 1.2) with TLS_FALLBACK_SCSV. inappropriate_fallback => 1, a
 *               ServerHello => 0. (Also when the highest is TLS 1.3: RFC 7507 compares with the
 *               server's highest version, whatever it is.)
 *   HEARTBLEED  when a ServerHello acknowledged the heartbeat extension: replay a hello that
 *               works and send a heartbeat declaring HB_SENT + HB_EXTRA bytes while carrying
 *               HB_SENT; an answer longer than HB_SENT is CVE-2014-0160. At most HB_EXTRA bytes
 *               of server memory can come back.
 *
 * Every TLS 1.0..1.2 hello offers all the extensions (renegotiation_info, session ticket,
 * status_request, SCT, EMS, EtM, heartbeat, ALPN) and DEFLATE next to null compression, so the
 * extension and compression facts come for free from every ServerHello; SSLv3 hellos carry no
 * extension (the reneg SCSV instead) and DEFLATE.
 *
 * Termination: each elimination round removes one candidate, and a pick that was not offered
 * ends the lane, so every lane ends within (candidates + 1) probes; triggers spawn each lane at
 * most once; cfg->max_connections bounds the total. Timeouts and resets count as refusals;
 * when nothing at all answered, support stays unknown and error says so. A connect failure
 * before any answer stops the plan ("cannot connect").
 *
 * TLS compression needs no probe of its own: every SSLv3 .. TLS 1.2 hello offers DEFLATE (as
 * OpenSSL 1.0 clients did), and a ServerHello choosing it anywhere sets compression.
 *
 * probe_plan_next() returns PLAN_DONE only when no probe is in flight, so the profile is final
 * then. Results for unknown or already reported ids are ignored. A request's pointers (sni,
 * alpn) point into the plan or to constants: valid until probe_plan_free().
 */
#include <stdlib.h>
#include <string.h>

#include "core/suites.h"
#include "scanner/probe.h"

#define CHUNK_MAX 128             /* suites per hello */
#define LANE_CAP 128              /* candidates / findings per lane */
#define MAX_CAND 512              /* candidate suites per version */
#define MAX_GROUPS 64             /* candidate groups per version family */
#define MAX_LANES 40              /* about 25 are used; the plan is some 80 KB */
#define HB_SENT 16                /* heartbeat payload actually sent */
#define HB_EXTRA 16               /* declared beyond it: the most a vulnerable server leaks */
#define DEFAULT_MAX_CONNECTIONS 400

#define ALERT_HANDSHAKE_FAILURE 40
#define ALERT_PROTOCOL_VERSION 70
#define ALERT_INAPPROPRIATE_FALLBACK 86

#define G_SECP256R1 23
#define G_SECP384R1 24
#define G_SECP521R1 25
#define G_X25519 29
#define G_X448 30
#define G_FFDHE2048 0x0100

static const char alpn_both[] = "h2,http/1.1";
static const char alpn_h2[] = "h2";
static const char alpn_h1[] = "http/1.1";

/* SSLv2 cipher kinds, used when the registry lists none. */
static const uint32_t ssl2_default_kinds[] = {
	0x010080, 0x020080, 0x030080, 0x040080, 0x050080, 0x060040, 0x0700c0,
};

enum lane_kind { LK_SSL2, LK_SUITES, LK_ORDER, LK_GROUPS12, LK_GORDER, LK_GROUPS13, LK_DH, LK_ALPN,
	         LK_FALLBACK, LK_HEARTBLEED };
enum lane_state { LS_GATED, LS_READY, LS_BUSY, LS_DONE };

/* How one answer relates to the offer. */
enum verdict {
	V_NONE = 0,    /* not answered yet */
	V_PICK,        /* a ServerHello (or HRR) at the offered version */
	V_NOVERSION,   /* protocol_version alert, or a ServerHello at another version */
	V_REFUSED,     /* another alert, not TLS, malformed */
	V_SILENT,      /* timeout or close without an answer */
	V_ABORT,       /* the connection could not be made: says nothing about the offer */
};

struct lane {
	enum lane_kind kind;
	enum lane_state state;
	int pv;                     /* protocol the lane's hellos offer */
	int chunk;                  /* SUITES, GROUPS12, GROUPS13: chunk number */
	int probe_id;               /* id in flight when BUSY */
	unsigned rounds;            /* probes sent */
	unsigned aborted : 1;       /* ended without a verdict on what it offered */
	unsigned multi : 1;         /* ORDER: acceptances in several chunks */
	unsigned ranked : 1;        /* ORDER: found[] is the complete preference order */
	enum verdict first;         /* verdict of the first round */
	int step;                   /* ORDER: 0 learn the favourite, 1 order test, 2 rank */
	int result;                 /* lane-specific answer: 1, 0, PROFILE_UNKNOWN */
	uint16_t expect;            /* ORDER, GORDER: the pick that means "server order" */
	uint16_t cand[LANE_CAP];    /* remaining candidates (suites or groups) */
	size_t n_cand;
	uint16_t found[LANE_CAP];   /* accepted, in the order found */
	size_t n_found;
	struct hello_spec sent;     /* the hello in flight (or last sent) */
};

struct probe_plan {
	struct probe_plan_config cfg;    /* cfg.sni points into sni[] */
	char sni[256];
	struct tls_profile prof;

	uint16_t cand[PV_COUNT][MAX_CAND];   /* candidate suites per version, common ones first */
	size_t n_cand[PV_COUNT];
	uint16_t groups12[MAX_GROUPS];       /* EC curves usable in TLS <= 1.2, preferred first */
	size_t n_groups12;
	uint16_t groups13[MAX_GROUPS];       /* groups usable in TLS 1.3, preferred first */
	size_t n_groups13;
	uint32_t ssl2_kinds[16];
	size_t n_ssl2;

	struct lane lanes[MAX_LANES];
	size_t n_lanes;
	int next_id;
	int stopped;                    /* no new probes (connect failure, budget) */

	unsigned replies, timeouts, closes, not_tls, malformed;
	int hello_seen[PV_COUNT];       /* a ServerHello at that version was seen */

	/* Facts gathered from every accepted TLS <= 1.2 ServerHello. */
	unsigned n_hello12;             /* SSLv3 .. TLS 1.2 */
	unsigned n_ext_hello;           /* TLS 1.0 .. 1.2 (extensions offered) */
	int f_reneg, f_comp, f_ticket, f_status, f_sct, f_ems, f_etm, f_hb;
	int hb_pv;                      /* version of a hello that acknowledged heartbeat, -1 */
	char alpn_first[32];            /* selected with "h2,http/1.1" offered */
	int alpn_pv;
	int dh_min;
	uint16_t acc_groups[MAX_GROUPS]; /* union of groups seen accepted */
	size_t n_acc_groups;

	/* Lanes spawned (each at most once). */
	int spawned_order[PV_COUNT], spawned_g12, spawned_gorder, spawned_g13, spawned_dh,
	    spawned_alpn, spawned_fallback, spawned_hb;
};

/* ------------------------------------------------------------------ small helpers */

static int in_list(const uint16_t *v, size_t n, uint16_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

static size_t remove_from(uint16_t *v, size_t n, uint16_t x)
{
	size_t j = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i] != x)
			v[j++] = v[i];
	return j;
}

static void push_unique(uint16_t *v, size_t *n, size_t cap, uint16_t x)
{
	if (*n < cap && !in_list(v, *n, x))
		v[(*n)++] = x;
}

static void set_error(struct probe_plan *pl, const char *msg)
{
	if (pl->prof.error[0] == '\0') {
		strncpy(pl->prof.error, msg, sizeof(pl->prof.error) - 1);
		pl->prof.error[sizeof(pl->prof.error) - 1] = '\0';
	}
}

static int pv_from_wire(uint16_t w)
{
	for (int pv = 0; pv < PV_COUNT; pv++)
		if (proto_version_wire((enum proto_version)pv) == w)
			return pv;
	return -1;
}

static int is_ecdhe(const struct suite *s)
{
	return s && (s->kex == KX_ECDHE || (s->kex == KX_ECDH && s->auth == AU_ANON));
}

static int is_dhe(const struct suite *s)
{
	return s && (s->kex == KX_DHE || (s->kex == KX_DH && s->auth == AU_ANON));
}

/* Needs supported_groups (RFC 4492: no curve can be agreed without it). */
static int is_ec(const struct suite *s)
{
	return s->kex == KX_ECDH || s->kex == KX_ECDHE || s->kex == KX_ECDHE_PSK || s->auth == AU_ECDSA;
}

static int is_chacha(uint16_t id)
{
	const struct suite *s = suite_by_id(id);

	return s && s->enc == EN_CHACHA20;
}

/* Groups probe_keys has a key pair for (probe_codec.c). */
static int keyable(uint16_t g)
{
	return g == G_X25519 || g == G_SECP256R1 || g == G_SECP384R1 || g == G_SECP521R1 || g == G_X448 ||
	       g == G_FFDHE2048;
}

/* Position in the registry, for "standard order". */
static size_t table_pos(uint16_t id)
{
	const struct suite *s = suite_by_id(id);

	return s ? (size_t)(s - suite_table) : (size_t)-1;
}

static size_t group_pos(uint16_t id)
{
	for (size_t i = 0; group_table[i].name; i++)
		if (group_table[i].id == id)
			return i;
	return (size_t)-1;
}

/* ------------------------------------------------------------------ candidate lists */

/* Lower is offered earlier, so that what real servers have sits in the first chunk:
 * tier 0 the suites OpenSSL and GnuTLS enable (RSA/ECDSA certificates, RSA/DHE/ECDHE key
 * exchange, AES, ChaCha20, 3DES, RC4, Camellia), 1 the rest OpenSSL ever named (anonymous,
 * export, DES, static DH, DSS, ARIA, SEED, IDEA, NULL), 2 the unnamed, 3 PSK, SRP, Kerberos
 * and GOST; within a tier ECDHE before DHE before the others, AEAD first. */
static int suite_score(const struct suite *s)
{
	int sub, tier;

	switch (s->kex) {
	case KX_PSK: case KX_DHE_PSK: case KX_RSA_PSK: case KX_ECDHE_PSK: case KX_SRP: case KX_KRB5:
	case KX_GOST:
		tier = 3;
		break;
	default:
		if (s->auth == AU_PSK || s->auth == AU_KRB5 || s->auth == AU_GOST)
			tier = 3;
		else if (!s->openssl)
			tier = 2;
		else if ((s->auth == AU_RSA || s->auth == AU_ECDSA) && !(s->flags & SUITE_EXPORT) &&
		         (s->kex == KX_RSA || s->kex == KX_DHE || s->kex == KX_ECDHE) &&
		         (s->enc == EN_AES_CBC || s->enc == EN_AES_GCM || s->enc == EN_AES_CCM ||
		          s->enc == EN_CHACHA20 || s->enc == EN_3DES || s->enc == EN_RC4 ||
		          s->enc == EN_CAMELLIA_CBC))
			tier = 0;
		else
			tier = 1;
	}
	if (is_ecdhe(s))
		sub = (s->flags & SUITE_AEAD) ? 0 : 1;
	else if (is_dhe(s))
		sub = (s->flags & SUITE_AEAD) ? 2 : 3;
	else
		sub = (s->flags & SUITE_AEAD) ? 4 : 5;
	return tier * 8 + sub;
}

static int suite_valid(const struct suite *s, int pv)
{
	uint16_t w = proto_version_wire((enum proto_version)pv);

	if (s->id == 0 || (s->flags & (SUITE_SCSV | SUITE_SSL2)))
		return 0;
	if (pv == PV_TLS13)
		return (s->flags & SUITE_TLS13) != 0;
	if (s->flags & SUITE_TLS13)
		return 0;
	if (s->min_version > w)
		return 0;
	if (pv == PV_SSL3 && is_ec(s))
		return 0;   /* SSLv3 hellos carry no supported_groups */
	return 1;
}

static void build_suite_candidates(struct probe_plan *pl, int pv)
{
	size_t n = 0;

	/* Stable selection by score: 32 passes over the table, once per plan. */
	for (int score = 0; score < 32; score++)
		for (size_t i = 0; suite_table[i].name && n < MAX_CAND; i++) {
			const struct suite *s = &suite_table[i];
			if (suite_valid(s, pv) && suite_score(s) == score && !in_list(pl->cand[pv], n, s->id))
				pl->cand[pv][n++] = s->id;
		}
	pl->n_cand[pv] = n;
}

static int group_valid12(const struct named_group *g)
{
	return !g->ffdhe && g->id >= 1 && g->id <= G_X448;
}

static int group_valid13(const struct named_group *g)
{
	if (g->ffdhe)
		return 1;
	if (g->id == G_SECP256R1 || g->id == G_SECP384R1 || g->id == G_SECP521R1 || g->id == G_X25519 ||
	    g->id == G_X448 || (g->id >= 31 && g->id <= 41))
		return 1;   /* brainpool*tls13 (RFC 8734), GOST (RFC 9367), curveSM2 (RFC 8998) */
	/* hybrids and later additions; not private-use or the arbitrary-curve markers */
	return g->id >= 0x0200 && g->id < 0xfe00;
}

static void build_group_candidates(struct probe_plan *pl)
{
	/* the common ones first, then the registry's order */
	static const uint16_t first[] = { G_X25519, G_SECP256R1, G_SECP384R1, G_SECP521R1, G_X448,
		                          G_FFDHE2048, 0x0101, 0x0102, 0x0103, 0x0104, 0x11ec, 0x11eb,
		                          0x11ed };

	for (size_t k = 0; k < sizeof(first) / sizeof(first[0]); k++) {
		const struct named_group *g = group_by_id(first[k]);
		if (g && group_valid12(g))
			push_unique(pl->groups12, &pl->n_groups12, MAX_GROUPS, g->id);
		if (g && group_valid13(g))
			push_unique(pl->groups13, &pl->n_groups13, MAX_GROUPS, g->id);
	}
	for (size_t i = 0; group_table[i].name; i++) {
		const struct named_group *g = &group_table[i];
		if (group_valid12(g))
			push_unique(pl->groups12, &pl->n_groups12, MAX_GROUPS, g->id);
		if (group_valid13(g))
			push_unique(pl->groups13, &pl->n_groups13, MAX_GROUPS, g->id);
	}
}

static void build_ssl2_kinds(struct probe_plan *pl)
{
	for (size_t i = 0; suite_table[i].name && pl->n_ssl2 < 16; i++)
		if ((suite_table[i].flags & SUITE_SSL2) && suite_table[i].ssl2)
			pl->ssl2_kinds[pl->n_ssl2++] = suite_table[i].ssl2;
	if (pl->n_ssl2 == 0)
		for (size_t i = 0; i < sizeof(ssl2_default_kinds) / sizeof(ssl2_default_kinds[0]); i++)
			pl->ssl2_kinds[pl->n_ssl2++] = ssl2_default_kinds[i];
}

/* ------------------------------------------------------------------ hellos */

/* The base hello for a version; the caller sets the suites (and narrows the rest). */
static void spec_base(const struct probe_plan *pl, struct hello_spec *s, int pv)
{
	memset(s, 0, sizeof(*s));
	s->version = proto_version_wire((enum proto_version)pv);
	s->sni = pl->cfg.sni;
	if (pv == PV_SSL3) {
		s->no_extensions = 1;
		s->scsv_reneg = 1;
		s->compression = 1;
		return;
	}
	if (pv == PV_TLS13) {
		s->min_version = 0x0304;
		for (size_t i = 0; i < pl->n_groups13 && s->n_groups < HELLO_MAX_GROUPS; i++)
			s->groups[s->n_groups++] = pl->groups13[i];
		for (size_t i = 0; i < s->n_groups && s->n_key_shares < 2; i++)
			if (s->groups[i] == G_X25519 || s->groups[i] == G_SECP256R1)
				s->key_shares[s->n_key_shares++] = s->groups[i];
		return;
	}
	for (size_t i = 0; i < pl->n_groups12 && s->n_groups < HELLO_MAX_GROUPS; i++)
		s->groups[s->n_groups++] = pl->groups12[i];
	s->alpn = alpn_both;
	s->reneg_ext = 1;
	s->compression = 1;
	s->heartbeat = 1;
	s->status_request = 1;
	s->sct = 1;
	s->session_ticket = 1;
	s->ems = 1;
	s->etm = 1;
}

static void spec_suites(struct hello_spec *s, const uint16_t *ids, size_t n)
{
	s->n_suites = 0;
	for (size_t i = 0; i < n && s->n_suites < CHUNK_MAX; i++)
		s->suites[s->n_suites++] = ids[i];
}

/* ------------------------------------------------------------------ lanes */

static struct lane *lane_add(struct probe_plan *pl, enum lane_kind kind, int pv, enum lane_state st)
{
	struct lane *ln;

	if (pl->n_lanes >= MAX_LANES)
		return NULL;
	ln = &pl->lanes[pl->n_lanes++];
	memset(ln, 0, sizeof(*ln));
	ln->kind = kind;
	ln->pv = pv;
	ln->state = st;
	ln->probe_id = -1;
	ln->result = PROFILE_UNKNOWN;
	return ln;
}

static void lane_done(struct lane *ln, int aborted)
{
	ln->state = LS_DONE;
	if (aborted)
		ln->aborted = 1;
}

/* All suites accepted at pv, chunk by chunk in the order found. */
static size_t accepted(const struct probe_plan *pl, int pv, uint16_t *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < pl->n_lanes; i++) {
		const struct lane *ln = &pl->lanes[i];
		if (ln->kind == LK_SUITES && ln->pv == pv)
			for (size_t k = 0; k < ln->n_found; k++)
				push_unique(out, &n, cap, ln->found[k]);
	}
	return n;
}

static int chunks_with_finds(const struct probe_plan *pl, int pv)
{
	int c = 0;

	for (size_t i = 0; i < pl->n_lanes; i++)
		if (pl->lanes[i].kind == LK_SUITES && pl->lanes[i].pv == pv && pl->lanes[i].n_found)
			c++;
	return c;
}

/* 1: every lane of that kind (and version, pv >= 0) is DONE; 0: some is not; -1: there is none. */
static int kind_done(const struct probe_plan *pl, enum lane_kind kind, int pv)
{
	int any = 0;

	for (size_t i = 0; i < pl->n_lanes; i++) {
		const struct lane *ln = &pl->lanes[i];
		if (ln->kind != kind || (pv >= 0 && ln->pv != pv))
			continue;
		any = 1;
		if (ln->state != LS_DONE)
			return 0;
	}
	return any ? 1 : -1;
}

static int kind_aborted(const struct probe_plan *pl, enum lane_kind kind, int pv)
{
	for (size_t i = 0; i < pl->n_lanes; i++)
		if (pl->lanes[i].kind == kind && pl->lanes[i].pv == pv && pl->lanes[i].aborted)
			return 1;
	return 0;
}

static const struct lane *find_lane(const struct probe_plan *pl, enum lane_kind kind, int pv, int chunk)
{
	for (size_t i = 0; i < pl->n_lanes; i++)
		if (pl->lanes[i].kind == kind && (pv < 0 || pl->lanes[i].pv == pv) &&
		    (chunk < 0 || pl->lanes[i].chunk == chunk))
			return &pl->lanes[i];
	return NULL;
}

/* Support of a version: 1 yes, 0 no (every chunk answered, none with that version), -1 not yet. */
static int version_state(const struct probe_plan *pl, int pv)
{
	if (pl->hello_seen[pv])
		return 1;
	if (kind_done(pl, LK_SUITES, pv) == 1 && !kind_aborted(pl, LK_SUITES, pv) && pl->replies > 0)
		return 0;
	return -1;
}

/* Settled either way, aborted lanes included (for decisions that must not wait forever). */
static int version_settled(const struct probe_plan *pl, int pv)
{
	return pl->hello_seen[pv] || kind_done(pl, LK_SUITES, pv) == 1;
}

static int has_accepted(const struct probe_plan *pl, int pv, int (*pred)(const struct suite *))
{
	uint16_t a[LANE_CAP];
	size_t n = accepted(pl, pv, a, LANE_CAP);

	for (size_t i = 0; i < n; i++)
		if (pred(suite_by_id(a[i])))
			return 1;
	return 0;
}

/* The second list of an order test: a without e, reversed, CHACHA20 (when asked) after the
 * others, and e last. Its head differs from e whenever a has two or more entries. */
static size_t order2(const uint16_t *a, size_t n, uint16_t e, int chacha_late, uint16_t *out)
{
	size_t m = 0;

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = n; i-- > 0;) {
			if (a[i] == e)
				continue;
			if (chacha_late && (pass == 0) == is_chacha(a[i]))
				continue;
			if (!chacha_late && pass == 1)
				continue;
			out[m++] = a[i];
		}
	out[m++] = e;
	return m;
}

/* ------------------------------------------------------------------ triggers */

static void spawn_chunks(struct probe_plan *pl, int pv)
{
	size_t n = pl->n_cand[pv], nchunks = (n + CHUNK_MAX - 1) / CHUNK_MAX;
	size_t per = nchunks ? (n + nchunks - 1) / nchunks : 0;

	for (size_t c = 0; c < nchunks; c++) {
		struct lane *ln = lane_add(pl, LK_SUITES, pv, c == 0 ? LS_READY : LS_GATED);
		if (!ln)
			return;
		ln->chunk = (int)c;
		for (size_t i = c * per; i < n && i < (c + 1) * per && ln->n_cand < LANE_CAP; i++)
			ln->cand[ln->n_cand++] = pl->cand[pv][i];
	}
}

/* Further chunks of a version start once its first chunk has answered once. */
static void gate_chunks(struct probe_plan *pl)
{
	for (size_t i = 0; i < pl->n_lanes; i++) {
		struct lane *ln = &pl->lanes[i];
		const struct lane *c0;
		if (ln->kind != LK_SUITES || ln->state != LS_GATED)
			continue;
		c0 = find_lane(pl, LK_SUITES, ln->pv, 0);
		if (pl->hello_seen[ln->pv]) {
			ln->state = LS_READY;
			continue;
		}
		if (!c0 || c0->first == V_NONE)
			continue;
		switch (c0->first) {
		case V_NOVERSION:
			lane_done(ln, 0);
			break;
		case V_ABORT:
			lane_done(ln, 1);
			break;
		case V_SILENT:
			if (pl->replies > 0)
				ln->state = LS_READY;   /* else wait: maybe nothing answers at all */
			break;
		default:
			ln->state = LS_READY;
		}
	}
}

static void spawn_order(struct probe_plan *pl)
{
	for (int pv = PV_SSL3; pv < PV_COUNT; pv++) {
		uint16_t a[LANE_CAP];
		size_t n;
		struct lane *ln;

		if (pl->spawned_order[pv] || kind_done(pl, LK_SUITES, pv) != 1)
			continue;
		pl->spawned_order[pv] = 1;
		n = accepted(pl, pv, a, LANE_CAP);
		if (n < 2 || !(ln = lane_add(pl, LK_ORDER, pv, LS_READY)))
			continue;
		memcpy(ln->cand, a, n * sizeof(a[0]));
		ln->n_cand = n;
		ln->multi = chunks_with_finds(pl, pv) > 1;
		ln->step = ln->multi ? 0 : 1;
		ln->expect = a[0];
	}
}

/* Highest TLS 1.0..1.2 version once known, if it accepted an ECDHE suite: -1 wait, -2 none. */
static int groups12_version(const struct probe_plan *pl)
{
	for (int pv = PV_TLS12; pv >= PV_TLS10; pv--) {
		if (pl->hello_seen[pv]) {
			if (has_accepted(pl, pv, is_ecdhe))
				return pv;
			return kind_done(pl, LK_SUITES, pv) == 1 ? -2 : -1;
		}
		if (!version_settled(pl, pv))
			return -1;
	}
	return -2;
}

static void spawn_groups12(struct probe_plan *pl)
{
	int pv;

	if (pl->spawned_g12)
		return;
	pv = groups12_version(pl);
	if (pv == -1)
		return;
	pl->spawned_g12 = 1;
	if (pv < 0 || pl->n_groups12 == 0)
		return;
	for (size_t c = 0; c * HELLO_MAX_GROUPS < pl->n_groups12; c++) {
		struct lane *ln = lane_add(pl, LK_GROUPS12, pv, LS_READY);
		if (!ln)
			return;
		ln->chunk = (int)c;
		for (size_t i = c * HELLO_MAX_GROUPS; i < pl->n_groups12 && i < (c + 1) * HELLO_MAX_GROUPS; i++)
			ln->cand[ln->n_cand++] = pl->groups12[i];
	}
}

static void spawn_gorder(struct probe_plan *pl)
{
	const struct lane *g0;
	struct lane *ln;

	if (pl->spawned_gorder || !pl->spawned_g12 || kind_done(pl, LK_GROUPS12, -1) == 0)
		return;
	pl->spawned_gorder = 1;
	g0 = find_lane(pl, LK_GROUPS12, -1, 0);
	if (!g0 || g0->n_found < 2 || !(ln = lane_add(pl, LK_GORDER, g0->pv, LS_READY)))
		return;
	memcpy(ln->cand, g0->found, g0->n_found * sizeof(g0->found[0]));
	ln->n_cand = g0->n_found;
	ln->expect = g0->found[0];
}

/* Two lanes: the groups only TLS 1.3 knows (FFDHE, hybrids, ...) at once, and the curves
 * TLS 1.2 also has only when no GROUPS12 lane ran (it finds those more cheaply). */
static void spawn_groups13(struct probe_plan *pl)
{
	struct lane *ln[2];

	if (pl->spawned_g13 || !pl->hello_seen[PV_TLS13])
		return;
	pl->spawned_g13 = 1;
	ln[0] = lane_add(pl, LK_GROUPS13, PV_TLS13, LS_READY);
	ln[1] = lane_add(pl, LK_GROUPS13, PV_TLS13, LS_GATED);
	if (!ln[0] || !ln[1])
		return;
	ln[1]->chunk = 1;
	for (size_t i = 0; i < pl->n_groups13; i++) {
		const struct named_group *g = group_by_id(pl->groups13[i]);
		struct lane *to = ln[g && group_valid12(g) ? 1 : 0];
		if (to->n_cand < HELLO_MAX_GROUPS)
			to->cand[to->n_cand++] = pl->groups13[i];
	}
}

static void gate_groups13(struct probe_plan *pl)
{
	for (size_t i = 0; i < pl->n_lanes; i++) {
		struct lane *ln = &pl->lanes[i];
		if (ln->kind != LK_GROUPS13 || ln->state != LS_GATED || !pl->spawned_g12)
			continue;
		if (find_lane(pl, LK_GROUPS12, -1, -1))
			lane_done(ln, 0);
		else
			ln->state = LS_READY;
	}
}

static void spawn_dh(struct probe_plan *pl)
{
	struct lane *ln;
	uint16_t a[LANE_CAP];
	size_t n;

	if (pl->spawned_dh)
		return;
	for (int pv = PV_SSL3; pv <= PV_TLS12; pv++)
		if (kind_done(pl, LK_SUITES, pv) == 0)
			return;
	pl->spawned_dh = 1;
	if (pl->dh_min > 0)
		return;
	for (int pv = PV_TLS12; pv >= PV_SSL3; pv--) {
		if (!has_accepted(pl, pv, is_dhe))
			continue;
		if (!(ln = lane_add(pl, LK_DH, pv, LS_READY)))
			return;
		n = accepted(pl, pv, a, LANE_CAP);
		for (size_t i = 0; i < n; i++)
			if (is_dhe(suite_by_id(a[i])))
				ln->cand[ln->n_cand++] = a[i];
		return;
	}
}

static void spawn_single(struct probe_plan *pl, enum lane_kind kind, int pv)
{
	struct lane *ln = lane_add(pl, kind, pv, LS_READY);

	if (ln)
		ln->n_cand = accepted(pl, pv, ln->cand, LANE_CAP);
}

static void spawn_alpn(struct probe_plan *pl)
{
	if (pl->spawned_alpn || !pl->alpn_first[0])
		return;
	pl->spawned_alpn = 1;
	spawn_single(pl, LK_ALPN, pl->alpn_pv);
}

static void spawn_fallback(struct probe_plan *pl)
{
	int sup[2] = { -1, -1 }, k = 0;

	if (pl->spawned_fallback)
		return;
	for (int pv = PV_TLS13; pv >= PV_TLS10; pv--)
		if (!version_settled(pl, pv))
			return;
	pl->spawned_fallback = 1;
	for (int pv = PV_TLS13; pv >= PV_TLS10 && k < 2; pv--)
		if (pl->hello_seen[pv])
			sup[k++] = pv;
	if (k < 2 || sup[1] > PV_TLS12)
		return;
	spawn_single(pl, LK_FALLBACK, sup[1]);
}

static void spawn_heartbleed(struct probe_plan *pl)
{
	if (pl->spawned_hb || pl->hb_pv < 0 || !pl->cfg.test_heartbleed)
		return;
	pl->spawned_hb = 1;
	spawn_single(pl, LK_HEARTBLEED, pl->hb_pv);
}

static void advance(struct probe_plan *pl)
{
	gate_chunks(pl);
	spawn_order(pl);
	spawn_groups12(pl);
	spawn_gorder(pl);
	spawn_groups13(pl);
	gate_groups13(pl);
	spawn_dh(pl);
	spawn_alpn(pl);
	spawn_fallback(pl);
	spawn_heartbleed(pl);
}

/* ------------------------------------------------------------------ building one probe */

/* Fills req for the lane's next round; 0, or -1 when the lane has nothing left to offer. */
static int lane_build(const struct probe_plan *pl, struct lane *ln, struct probe_request *req)
{
	struct hello_spec *s = &req->spec;
	uint16_t tmp[LANE_CAP];
	size_t n = 0;

	memset(req, 0, sizeof(*req));
	if (ln->kind != LK_SSL2)
		spec_base(pl, s, ln->pv);
	switch (ln->kind) {
	case LK_SSL2:
		s->version = 0x0002;
		memcpy(s->ssl2_kinds, pl->ssl2_kinds, pl->n_ssl2 * sizeof(pl->ssl2_kinds[0]));
		s->n_ssl2 = pl->n_ssl2;
		return 0;
	case LK_SUITES: case LK_DH: case LK_ALPN: case LK_FALLBACK: case LK_HEARTBLEED:
		if (ln->n_cand == 0)
			return -1;
		spec_suites(s, ln->cand, ln->n_cand);
		if (ln->kind == LK_ALPN)
			s->alpn = strcmp(pl->alpn_first, alpn_h2) == 0 ? alpn_h1 : alpn_h2;
		if (ln->kind == LK_FALLBACK)
			s->scsv_fallback = 1;
		if (ln->kind == LK_HEARTBLEED) {
			req->heartbeat_after = 1;
			req->heartbeat_sent = HB_SENT;
			req->heartbeat_declared = HB_SENT + HB_EXTRA;
		}
		return 0;
	case LK_ORDER:
		if (ln->step == 0) {
			spec_suites(s, ln->cand, ln->n_cand);
		} else if (ln->step == 1) {
			n = order2(ln->cand, ln->n_cand, ln->expect, 1, tmp);
			spec_suites(s, tmp, n);
		} else {
			for (size_t i = 0; i < ln->n_cand; i++)
				if (!in_list(ln->found, ln->n_found, ln->cand[i]))
					tmp[n++] = ln->cand[i];
			if (n < 2)
				return -1;
			spec_suites(s, tmp, n);
		}
		return 0;
	case LK_GROUPS12: case LK_GORDER:
		if (ln->n_cand == 0)
			return -1;
		for (size_t i = 0; i < pl->n_cand[ln->pv] && n < CHUNK_MAX; i++)
			if (is_ecdhe(suite_by_id(pl->cand[ln->pv][i])))
				tmp[n++] = pl->cand[ln->pv][i];
		spec_suites(s, tmp, n);
		if (ln->kind == LK_GORDER)
			s->n_groups = order2(ln->cand, ln->n_cand, ln->expect, 0, s->groups);
		else
			for (s->n_groups = 0; s->n_groups < ln->n_cand && s->n_groups < HELLO_MAX_GROUPS; s->n_groups++)
				s->groups[s->n_groups] = ln->cand[s->n_groups];
		return 0;
	case LK_GROUPS13:
		spec_suites(s, pl->cand[PV_TLS13], pl->n_cand[PV_TLS13]);
		s->n_groups = 0;
		s->n_key_shares = 0;
		for (size_t i = 0; i < ln->n_cand && s->n_groups < HELLO_MAX_GROUPS; i++)
			if (!in_list(pl->acc_groups, pl->n_acc_groups, ln->cand[i]))
				s->groups[s->n_groups++] = ln->cand[i];
		if (s->n_groups == 0)
			return -1;
		if (keyable(s->groups[0]))
			s->key_shares[s->n_key_shares++] = s->groups[0];
		return 0;
	}
	return -1;
}

/* ------------------------------------------------------------------ reading one answer */

static enum verdict classify(uint16_t wire, enum probe_outcome o, const struct server_reply *r)
{
	if (o == PO_CLOSED || o == PO_TIMEOUT)
		return V_SILENT;
	if (o != PO_REPLY)
		return V_ABORT;
	if (!r)
		return V_SILENT;
	/* A MALFORMED reply is no proof of support: a server that answers every hello with a
	 * ServerHello echoing the first suite offered and then garbage would seem to accept them all
	 * (sslscan falls for it; nmap and testssl.sh, which finish the handshake, do not). Only a
	 * well-formed first flight counts. */
	if (r->kind == REPLY_HELLO)
		return r->version == wire ? V_PICK : V_NOVERSION;
	if (r->kind == REPLY_ALERT && r->alert_desc == ALERT_PROTOCOL_VERSION)
		return V_NOVERSION;
	return V_REFUSED;
}

static void add_group(struct probe_plan *pl, uint16_t g)
{
	push_unique(pl->acc_groups, &pl->n_acc_groups, MAX_GROUPS, g);
}

/* Printable ALPN protocol name without commas, or "" (never copies anything else). */
static void copy_alpn(char *dst, size_t cap, const char *src, size_t srccap)
{
	size_t n = strnlen(src, srccap);

	dst[0] = '\0';
	if (n == 0 || n >= cap)
		return;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)src[i] <= 0x20 || (unsigned char)src[i] >= 0x7f || src[i] == ',')
			return;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* A ServerHello at the offered version that picked an offered suite: take every fact in it. */
static void absorb_hello(struct probe_plan *pl, const struct lane *ln, const struct server_reply *r)
{
	const struct hello_spec *s = &ln->sent;
	const struct suite *su = suite_by_id(r->suite);
	int pv = ln->pv;

	pl->hello_seen[pv] = 1;
	if (pv == PV_TLS13) {
		if (r->group && in_list(s->groups, s->n_groups, r->group))
			add_group(pl, r->group);
		return;
	}
	if (pv < PV_SSL3 || ln->kind == LK_FALLBACK)
		return;
	pl->n_hello12++;
	pl->f_reneg |= r->ext_reneg;
	pl->f_comp |= (r->compression == 1 && s->compression);
	if (is_dhe(su) && r->dh_bits > 0 && (pl->dh_min == 0 || r->dh_bits < pl->dh_min))
		pl->dh_min = r->dh_bits;
	if (is_ecdhe(su) && r->group && in_list(s->groups, s->n_groups, r->group))
		add_group(pl, r->group);
	if (s->no_extensions)
		return;
	pl->n_ext_hello++;
	pl->f_ticket |= r->ext_ticket;
	pl->f_status |= r->cert_status;
	pl->f_sct |= r->ext_sct;
	pl->f_ems |= r->ext_ems;
	pl->f_etm |= r->ext_etm;
	if (r->ext_heartbeat && s->heartbeat) {
		pl->f_hb = 1;
		if (pl->hb_pv < 0)
			pl->hb_pv = pv;
	}
	if (s->alpn == alpn_both && !pl->alpn_first[0]) {
		char got[32];
		copy_alpn(got, sizeof(got), r->alpn, sizeof(r->alpn));
		if (strcmp(got, alpn_h2) == 0 || strcmp(got, alpn_h1) == 0) {   /* only what was offered */
			strcpy(pl->alpn_first, got);
			pl->alpn_pv = pv;
		}
	}
}

/* A ServerHello at a lower version than offered: that version is supported. */
static void note_other_version(struct probe_plan *pl, const struct lane *ln, const struct server_reply *r)
{
	int other;

	if (r->kind != REPLY_HELLO && r->kind != REPLY_MALFORMED)
		return;
	other = pv_from_wire(r->version);
	if (other >= PV_SSL3 && r->version < ln->sent.version)
		pl->hello_seen[other] = 1;
}

/* Elimination step shared by SUITES and ORDER's ranking: 1 when pick was offered and taken. */
static int take_pick(struct probe_plan *pl, struct lane *ln, const struct server_reply *r)
{
	if (!in_list(ln->sent.suites, ln->sent.n_suites, r->suite)) {
		set_error(pl, "server selected a cipher suite that was not offered");
		return 0;
	}
	absorb_hello(pl, ln, r);
	push_unique(ln->found, &ln->n_found, LANE_CAP, r->suite);
	return 1;
}

static void result_suites(struct probe_plan *pl, struct lane *ln, enum verdict v, const struct server_reply *r)
{
	if (v != V_PICK || !take_pick(pl, ln, r)) {
		lane_done(ln, v == V_ABORT);
		return;
	}
	ln->n_cand = remove_from(ln->cand, ln->n_cand, r->suite);
	ln->state = ln->n_cand ? LS_READY : LS_DONE;
}

static void result_order(struct probe_plan *pl, struct lane *ln, enum verdict v, const struct server_reply *r)
{
	if (v != V_PICK || !take_pick(pl, ln, r)) {
		lane_done(ln, v == V_ABORT);
		return;
	}
	if (ln->step == 0) {
		/* found[0] is now the server's favourite among all of A */
		ln->expect = r->suite;
		ln->step = 1;
		ln->state = LS_READY;
		return;
	}
	if (ln->step == 1) {
		ln->result = r->suite == ln->expect ? 1 : r->suite == ln->sent.suites[0] ? 0 : PROFILE_UNKNOWN;
		/* keep found[] = [favourite] for the ranking */
		ln->found[0] = ln->expect;
		ln->n_found = 1;
		if (ln->result != 1 || !ln->multi) {
			lane_done(ln, 0);
			return;
		}
		ln->step = 2;
	}
	/* step 2: ranking by elimination; the last one left is the least preferred */
	if (ln->n_found + 1 >= ln->n_cand) {
		for (size_t i = 0; i < ln->n_cand; i++)
			push_unique(ln->found, &ln->n_found, LANE_CAP, ln->cand[i]);
		ln->ranked = 1;
		lane_done(ln, 0);
		return;
	}
	ln->state = LS_READY;
}

static void result_groups(struct probe_plan *pl, struct lane *ln, enum verdict v, const struct server_reply *r)
{
	const struct hello_spec *s = &ln->sent;

	if (v != V_PICK || !r->group || !in_list(s->groups, s->n_groups, r->group) ||
	    (ln->pv != PV_TLS13 && !in_list(s->suites, s->n_suites, r->suite))) {
		lane_done(ln, v == V_ABORT);
		return;
	}
	absorb_hello(pl, ln, r);
	add_group(pl, r->group);
	if (ln->kind == LK_GORDER) {
		ln->result = r->group == ln->expect ? 1 : r->group == s->groups[0] ? 0 : PROFILE_UNKNOWN;
		lane_done(ln, 0);
		return;
	}
	push_unique(ln->found, &ln->n_found, LANE_CAP, r->group);
	ln->n_cand = remove_from(ln->cand, ln->n_cand, r->group);
	ln->state = ln->n_cand ? LS_READY : LS_DONE;
}

static void result_single(struct probe_plan *pl, struct lane *ln, enum probe_outcome o, enum verdict v,
                          const struct server_reply *r)
{
	switch (ln->kind) {
	case LK_SSL2:
		if (o == PO_REPLY && r->kind == REPLY_SSL2_HELLO) {
			size_t n = r->n_ssl2 < 16 ? r->n_ssl2 : 16;
			ln->result = 1;
			pl->hello_seen[PV_SSL2] = 1;
			memcpy(pl->prof.ssl2_kinds, r->ssl2_kinds, n * sizeof(r->ssl2_kinds[0]));
			pl->prof.n_ssl2 = n;
		} else if (v != V_ABORT) {
			ln->result = 0;
		}
		break;
	case LK_FALLBACK:
		/* only inappropriate_fallback or a ServerHello answer the question */
		if (o == PO_REPLY && r->kind == REPLY_ALERT && r->alert_desc == ALERT_INAPPROPRIATE_FALLBACK)
			ln->result = 1;
		else if (o == PO_REPLY && (r->kind == REPLY_HELLO || v == V_PICK))
			ln->result = 0;
		break;
	case LK_HEARTBLEED:
		if (v == V_ABORT)
			break;
		ln->result = (o == PO_REPLY && r->kind == REPLY_HEARTBEAT && r->heartbeat_len > HB_SENT);
		if (v == V_PICK && in_list(ln->sent.suites, ln->sent.n_suites, r->suite))
			absorb_hello(pl, ln, r);
		break;
	case LK_ALPN:
		if (v == V_PICK && in_list(ln->sent.suites, ln->sent.n_suites, r->suite)) {
			char got[32];
			copy_alpn(got, sizeof(got), r->alpn, sizeof(r->alpn));
			ln->result = strcmp(got, ln->sent.alpn) == 0;
			absorb_hello(pl, ln, r);
		} else if (v != V_ABORT) {
			ln->result = 0;
		}
		break;
	case LK_DH:
		if (v == V_PICK && in_list(ln->sent.suites, ln->sent.n_suites, r->suite))
			absorb_hello(pl, ln, r);
		break;
	default:
		break;
	}
	lane_done(ln, v == V_ABORT);
}

/* ------------------------------------------------------------------ the profile */

static int cmp_pos(size_t a, size_t b)
{
	return a < b ? -1 : a > b;
}

static void sort_by(uint16_t *v, size_t n, size_t (*pos)(uint16_t))
{
	for (size_t i = 1; i < n; i++) {
		uint16_t x = v[i];
		size_t j = i;
		while (j > 0 && cmp_pos(pos(v[j - 1]), pos(x)) > 0) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

static void finalize_suites(struct probe_plan *pl, int pv)
{
	struct proto_suites *ps = &pl->prof.suites[pv];
	const struct lane *ol = find_lane(pl, LK_ORDER, pv, -1);
	uint16_t a[LANE_CAP];
	size_t n = accepted(pl, pv, a, LANE_CAP);

	ps->server_order = ol ? ol->result : PROFILE_UNKNOWN;
	if (ol && ol->result == 1 && ol->multi && ol->ranked && ol->n_found == n)
		memcpy(a, ol->found, n * sizeof(a[0]));
	else if (ps->server_order == 0)
		sort_by(a, n, table_pos);
	if (n > PROFILE_MAX_SUITES)
		n = PROFILE_MAX_SUITES;
	memcpy(ps->ids, a, n * sizeof(a[0]));
	ps->n = n;
}

static void finalize_groups(struct probe_plan *pl)
{
	struct tls_profile *p = &pl->prof;
	const struct lane *go = find_lane(pl, LK_GORDER, -1, -1);
	const struct lane *g0 = find_lane(pl, LK_GROUPS12, -1, 0);
	uint16_t rest[MAX_GROUPS];
	size_t n = 0, m = 0;

	p->groups_server_order = go ? go->result : PROFILE_UNKNOWN;
	if (p->groups_server_order == 1 && g0)
		for (size_t i = 0; i < g0->n_found; i++)
			push_unique(p->groups, &n, PROFILE_MAX_GROUPS, g0->found[i]);
	for (size_t i = 0; i < pl->n_acc_groups; i++)
		if (!in_list(p->groups, n, pl->acc_groups[i]))
			rest[m++] = pl->acc_groups[i];
	sort_by(rest, m, group_pos);
	for (size_t i = 0; i < m; i++)
		push_unique(p->groups, &n, PROFILE_MAX_GROUPS, rest[i]);
	p->n_groups = n;
	p->ecdh_bits = 0;
	for (size_t i = 0; i < n; i++) {
		const struct named_group *g = group_by_id(p->groups[i]);
		if (g && !g->ffdhe && g->bits > 0 && (p->ecdh_bits == 0 || g->bits < p->ecdh_bits))
			p->ecdh_bits = g->bits;
	}
	p->dh_bits = pl->dh_min;
}

static int lane_result_of(const struct probe_plan *pl, enum lane_kind kind)
{
	const struct lane *ln = find_lane(pl, kind, -1, -1);

	return ln ? ln->result : PROFILE_UNKNOWN;
}

static void finalize_extensions(struct probe_plan *pl)
{
	struct tls_profile *p = &pl->prof;

	if (pl->n_hello12) {
		p->secure_reneg = pl->f_reneg;
		p->compression = pl->f_comp;
	} else if (pl->hello_seen[PV_TLS13]) {
		p->compression = 0;    /* TLS 1.3 has none */
	}
	if (pl->n_ext_hello) {
		p->session_ticket = pl->f_ticket;
		p->ocsp_stapling = pl->f_status;
		p->sct_extension = pl->f_sct;
		p->ems = pl->f_ems;
		p->etm = pl->f_etm;
		p->heartbeat = pl->f_hb;
		p->heartbleed = pl->f_hb ? lane_result_of(pl, LK_HEARTBLEED) : 0;
	}
	p->fallback_scsv = lane_result_of(pl, LK_FALLBACK);
	p->alpn[0] = '\0';
	if (pl->alpn_first[0]) {
		const char *alt = strcmp(pl->alpn_first, alpn_h2) == 0 ? alpn_h1 : alpn_h2;
		strcpy(p->alpn, pl->alpn_first);   /* < 32 bytes into 64 */
		if (lane_result_of(pl, LK_ALPN) == 1) {
			strcat(p->alpn, ",");
			strcat(p->alpn, alt);
		}
	}
}

static void finalize(struct probe_plan *pl)
{
	struct tls_profile *p = &pl->prof;
	const struct lane *l2 = find_lane(pl, LK_SSL2, -1, -1);

	p->supported[PV_SSL2] = PROFILE_UNKNOWN;
	if (l2 && l2->result == 1)
		p->supported[PV_SSL2] = 1;
	else if (l2 && l2->result == 0 && pl->replies > 0)
		p->supported[PV_SSL2] = 0;
	for (int pv = PV_SSL3; pv < PV_COUNT; pv++) {
		p->supported[pv] = version_state(pl, pv);
		finalize_suites(pl, pv);
	}
	finalize_groups(pl);
	finalize_extensions(pl);
}

/* ------------------------------------------------------------------ the interface */

struct probe_plan *probe_plan_new(const struct probe_plan_config *cfg)
{
	struct probe_plan *pl = calloc(1, sizeof(*pl));

	if (!pl)
		return NULL;
	pl->cfg.test_heartbleed = 1;
	pl->cfg.max_connections = DEFAULT_MAX_CONNECTIONS;
	if (cfg) {
		pl->cfg = *cfg;
		if (pl->cfg.max_connections <= 0)
			pl->cfg.max_connections = DEFAULT_MAX_CONNECTIONS;
	}
	pl->cfg.sni = NULL;
	if (cfg && cfg->sni && cfg->sni[0] && strlen(cfg->sni) < sizeof(pl->sni)) {
		strcpy(pl->sni, cfg->sni);
		pl->cfg.sni = pl->sni;
	}
	profile_init(&pl->prof);
	pl->hb_pv = -1;
	pl->alpn_pv = -1;
	for (int pv = PV_SSL3; pv < PV_COUNT; pv++)
		build_suite_candidates(pl, pv);
	build_group_candidates(pl);
	build_ssl2_kinds(pl);

	/* The first wave: every version's support test at once, the newest first. */
	lane_add(pl, LK_SSL2, PV_SSL2, LS_READY);
	for (int pv = PV_TLS13; pv >= PV_SSL3; pv--)
		spawn_chunks(pl, pv);
	finalize(pl);
	return pl;
}

void probe_plan_free(struct probe_plan *pl)
{
	free(pl);
}

static int busy_lanes(const struct probe_plan *pl)
{
	for (size_t i = 0; i < pl->n_lanes; i++)
		if (pl->lanes[i].state == LS_BUSY)
			return 1;
	return 0;
}

/* Nothing can move. Chunks that wait for any answer at all will never get one: end them,
 * which may settle versions and unblock other lanes; only if none waited, end every gated lane
 * (a safety net: the triggers never leave one gated once the versions are settled). */
static int release_stuck(struct probe_plan *pl)
{
	for (int all = 0; all < 2; all++) {
		int changed = 0;

		for (size_t i = 0; i < pl->n_lanes; i++)
			if (pl->lanes[i].state == LS_GATED && (all || pl->lanes[i].kind == LK_SUITES)) {
				lane_done(&pl->lanes[i], 1);
				changed = 1;
			}
		if (changed)
			return 1;
	}
	return 0;
}

static void finish(struct probe_plan *pl)
{
	int any_hello = 0;

	for (int pv = 0; pv < PV_COUNT; pv++)
		any_hello |= pl->hello_seen[pv];
	if (pl->replies == 0 && pl->timeouts > 0)
		set_error(pl, "no answer: every probe timed out");
	else if (pl->replies == 0 && pl->closes > 0)
		set_error(pl, "no answer: the server closed every connection");
	else if (!any_hello && pl->not_tls > 0)
		set_error(pl, "not TLS: the server answered with something else");
	else if (!any_hello && pl->malformed > 0)
		set_error(pl, "malformed answers: broken TLS records (garbage after the ServerHello?)");
	finalize(pl);
}

int probe_plan_next(struct probe_plan *pl, struct probe_request *req)
{
	if (!pl || !req)
		return PLAN_DONE;
	for (;;) {
		if (!pl->stopped) {
			advance(pl);
			for (size_t i = 0; i < pl->n_lanes; i++) {
				struct lane *ln = &pl->lanes[i];
				if (ln->state != LS_READY)
					continue;
				if (lane_build(pl, ln, req) != 0) {
					lane_done(ln, 0);
					continue;
				}
				if (pl->prof.connections >= (unsigned)pl->cfg.max_connections) {
					set_error(pl, "connection budget exhausted");
					pl->stopped = 1;
					break;
				}
				ln->sent = req->spec;
				ln->probe_id = pl->next_id++;
				if (pl->next_id < 0)
					pl->next_id = 0;
				ln->state = LS_BUSY;
				ln->rounds++;
				pl->prof.connections++;
				return ln->probe_id;
			}
		}
		if (busy_lanes(pl))
			return PLAN_WAIT;
		if (pl->stopped || !release_stuck(pl))
			break;
	}
	finish(pl);
	return PLAN_DONE;
}

void probe_plan_result(struct probe_plan *pl, int id, enum probe_outcome outcome,
                       const struct server_reply *reply)
{
	struct lane *ln = NULL;
	enum verdict v;

	if (!pl || id < 0)
		return;
	for (size_t i = 0; i < pl->n_lanes && !ln; i++)
		if (pl->lanes[i].state == LS_BUSY && pl->lanes[i].probe_id == id)
			ln = &pl->lanes[i];
	if (!ln)
		return;
	if (outcome == PO_REPLY && !reply)
		outcome = PO_CLOSED;
	if (outcome == PO_REPLY) {
		pl->replies++;
		pl->not_tls += reply->kind == REPLY_NOT_TLS;
		pl->malformed += reply->kind == REPLY_MALFORMED;
	}
	else if (outcome == PO_TIMEOUT)
		pl->timeouts++;
	else if (outcome == PO_CLOSED)
		pl->closes++;
	else if (pl->replies + pl->closes == 0) {     /* no probe ever got through */
		set_error(pl, outcome == PO_STARTTLS_FAILED ? "STARTTLS failed" : "cannot connect");
		pl->stopped = 1;
	} else {
		set_error(pl, "a probe connection failed: results are incomplete");
	}

	v = classify(ln->sent.version, outcome, reply);
	if (ln->rounds == 1)
		ln->first = v;
	if (v == V_NOVERSION)
		note_other_version(pl, ln, reply);
	ln->probe_id = -1;
	ln->state = LS_READY;
	switch (ln->kind) {
	case LK_SUITES:
		result_suites(pl, ln, v, reply);
		break;
	case LK_ORDER:
		result_order(pl, ln, v, reply);
		break;
	case LK_GROUPS12: case LK_GORDER: case LK_GROUPS13:
		result_groups(pl, ln, v, reply);
		break;
	default:
		result_single(pl, ln, outcome, v, reply);
	}
	finalize(pl);
}

const struct tls_profile *probe_plan_profile(const struct probe_plan *pl)
{
	return &pl->prof;
}
