/*
 * grade.c: the SSL Labs-style grade (see grade.h).
 *
 * METHOD (SSL Server Rating Guide, version 2009, github.com/ssllabs/research
 * docs/SSL_Server_Rating_Guide.xml, "Scoring" and "Methodology Overview"):
 *   protocol score  (best + worst supported protocol) / 2, with SSL 2.0 20, SSL 3.0 80,
 *                   TLS 1.0 90, TLS 1.1 95, TLS 1.2 100 (the guide's table); TLS 1.3 100 (the
 *                   guide predates it; SSL Labs scores it like TLS 1.2).
 *   key exchange    the weakest key exchange of any accepted suite ("Key or DH parameter
 *                   strength"): anonymous 0; < 512 bits 20; < 1024 40 (exportable suites, limited
 *                   to 512 bits, land here); < 2048 80; < 4096 90; >= 4096 100. A suite's
 *                   strength is min(certificate key, ephemeral parameters) (the guide's note on
 *                   DHE/ECDHE), sizes as RSA-equivalent bits (config_rsa_equivalent: NIST SP
 *                   800-57, as SSL Labs shows "EC 256 bits (eq. 3072 bits RSA)").
 *   cipher strength (strongest + weakest accepted cipher) / 2: 0 bits 0; < 128 20; < 256 80;
 *                   >= 256 100. 3DES is scored at its nominal 168 bits, which the guide gives as
 *                   its example of the 80 row (suites.h records its effective 112 bits; the
 *                   Sweet32 rule below is what penalises 3DES).
 *   total           0.3 protocol + 0.3 key exchange + 0.4 cipher, rounded; "a zero score in any
 *                   category forces the total score to zero". Letters: >= 80 A, >= 65 B,
 *                   >= 50 C, >= 35 D, >= 20 E, else F.
 * Then the rules below cap the letter (the lowest cap wins; ties go to the first rule in the
 * table, and a cap equal to the score's own letter is named as the reason), warnings turn an A
 * into A-, and an A with no warning and no "A" rule becomes A+. T (not trusted) and M (name
 * mismatch) replace the letter, and the letter they replace is kept as letter_ignoring_trust
 * (the wiki version of the guide, 2009o, "Methodology Overview" step 8).
 *
 * RULES (id, effect, source). Dated sources are SSL Labs announcements on blog.qualys.com (and
 * blog.ivanristic.com for 2013); "guide 2009c" etc. are the "Changes" sections of the guide.
 *   trust.untrusted        T   chain not trusted (unknown CA, expired, self-signed, not yet
 *                              valid, incomplete...): guide "Certificate Inspection" (these
 *                              "immediately result in a zero score"), T grade since guide 2009o
 *   trust.hostname         M   certificate does not cover the name: same sources, M grade
 *   cert.key_insecure      F   leaf key < 1024 bits (RSA-eq.): "Stricter Security Requirements
 *                              for 2014" (2014-01-21)
 *   cert.key_weak          B   leaf key < 2048 bits: same post
 *   cert.md5               F   MD5/MD2 certificate signature: same post (and guide 2009e)
 *   chain.incomplete       B   "SSL Labs End of Year 2014 Updates" (2014-12-08)
 *   proto.sslv2            F   guide 2009c (2013-02-07), "SSL 2.0 is not allowed"
 *   proto.sslv3_only       F   End of Year 2014 Updates: "F to servers that support only SSL 3"
 *   proto.poodle           C   same post, "C if vulnerable to POODLE" (SSL 3 with a CBC suite,
 *                              CVE-2014-3566; testssl.sh run_ssl_poodle caps C likewise)
 *   proto.sslv3            B   same post, "Servers that support SSL 3 are now capped at B"
 *   proto.no_tls12         C   "Increased Penalty When TLS 1.2 Is Not Supported" (2015-05-22,
 *                              SSL Labs 1.17.10), restated in "Grading Changes January 2017"
 *   proto.tls10_11         B   "Grade Change for TLS 1.0 and TLS 1.1 Protocols" (2018-11-19,
 *                              live 2020-01-31)
 *   kex.anon               F   guide, key exchange table: anonymous 0%, and a zero category
 *                              zeroes the total
 *   kex.export             F   SSL Labs FREAK (CVE-2015-0204, March 2015) and Logjam
 *                              (CVE-2015-4000, May 2015) updates: export suites fail
 *   kex.dh_insecure        F   DH parameters < 1024 bits: Logjam update (2015), same threshold as
 *                              keys in the 2014 post (the guide's table is "Key or DH parameter
 *                              strength")
 *   kex.dh_weak            B   DH parameters < 2048 bits: same
 *   kex.weak_group         B   project rule: an EC group < 224 bits (or ffdhe < 2048) is the
 *                              elliptic-curve equivalent of kex.dh_weak (NIST SP 800-57)
 *   kex.no_fs              B   "Forward Secrecy, Authenticated Encryption and ROBOT Grading
 *                              Update" (2018-02-02, live 2018-03-01, SSL Labs 1.31.0): capped
 *                              at B, unless non-FS suites are never negotiated with clients that
 *                              can do better (here: the modern client, config.h)
 *   cipher.null            F   project rule: a NULL suite sends data in clear to any client that
 *                              offers it; the guide's 0-bit row alone would only halve the
 *                              cipher score
 *   cipher.rc4_modern      C   RC4 with TLS 1.1 or 1.2: 2015-05-22 post (1.17.10); testssl.sh
 *                              run_rc4 caps C likewise
 *   cipher.rc4             B   any RC4: End of Year 2014 Updates ("Servers that support RC4 are
 *                              capped at B"); testssl.sh run_rc4 caps B likewise
 *   cipher.64bit_modern    C   a 64-bit block cipher (3DES) negotiated with TLS 1.1+: "Announcing
 *                              SSL Labs Grading Changes for 2017" (2016-11-16) and "Grading
 *                              Changes January 2017" (live 2017-04, 1.28.3): "Sites that keep 3DES
 *                              at the end of their ordered list are not affected"
 *   cipher.no_aead         B   2018-02-02 post (1.31.0): AEAD required for A, unless AEAD is what
 *                              clients that support it negotiate (the modern client)
 *   vuln.heartbleed        F   SSL Labs Heartbleed test (April 2014): vulnerable servers fail
 *   compression.enabled    C   CRIME (CVE-2012-4929): guide 2009c capped it at B, raised to C
 *                              later (testssl.sh run_crime: "Vulnerable to CRIME", C)
 *   reneg.insecure_client  F   guide 2009c: "Insecure renegotiation is not allowed (F)" (client
 *                              renegotiation without RFC 5746, CVE-2009-3555)
 *   reneg.no_secure        A-  warning: "Stricter Security Requirements for 2014": "Servers that do
 *                              not support secure renegotiation are given a warning" (testssl.sh
 *                              run_renego: set_grade_warning likewise)
 *   fallback_scsv.missing  A   no A+: End of Year 2014 Updates, "A+ servers are now expected to
 *                              support TLS_FALLBACK_SCSV" (only when a downgrade is possible: two
 *                              or more of SSL 3.0..TLS 1.2)
 *   hsts.aplus             A   no A+: 2014-01-21 post, A+ needs "HTTP Strict Transport Security
 *                              (long max-age is required)"; 180 days (15552000 s), as testssl.sh
 *                              (HSTS_MIN) and SSL Labs use
 * Not rules, on purpose: TLS 1.3 support (the guide and SSL Labs do not require it; testssl.sh
 * 3.3dev adds a warning), client-initiated secure renegotiation (a DoS finding, no grade effect in
 * SSL Labs or testssl.sh), OCSP stapling, CT, session resumption.
 *
 * Unknowns: a rule only fires on a known fact (PROFILE_UNKNOWN never caps), so a partly tested
 * server can grade better than it deserves, never worse; its profile's error says what was not
 * tested.
 */
#include "analyzer/grade.h"

#include <stdio.h>
#include <string.h>

#include "analyzer/config.h"
#include "core/suites.h"

/* What the rules read, computed once. */
struct grade_in {
	const struct tls_profile *p;
	const struct analysis *an;      /* NULL, or an analysis with at least one certificate */
	const struct certinfo *leaf;    /* an->certs[0] or NULL */
	int cert_bits;                  /* RSA-equivalent leaf key size, 0 when unknown */
	int best;                       /* best supported protocol */
	const struct suite *choice;     /* the modern client's suite on the best protocol, or NULL */
};

struct rule {
	struct grade_rule_desc d;
	/* Returns 1 when the rule applies, with this server's facts in text. */
	int (*applies)(const struct grade_in *in, char *text, size_t size);
};

/* ---- facts over the accepted suites ---- */

typedef int (*suite_pred)(const struct suite *s);

/* The first accepted suite on protocols vmin..vmax matching pred (SSLv2 kinds for PV_SSL2), and
 * its protocol in *v_out. */
static const struct suite *find_suite(const struct tls_profile *p, int vmin, int vmax,
				      suite_pred pred, int *v_out)
{
	for (int v = vmin; v <= vmax; v++) {
		size_t n;

		if (p->supported[v] != 1)
			continue;
		if (v == PV_SSL2) {
			n = p->n_ssl2 < 16 ? p->n_ssl2 : 16;
			for (size_t i = 0; i < n; i++) {
				const struct suite *s = suite_by_ssl2(p->ssl2_kinds[i]);

				if (s != NULL && pred(s)) {
					if (v_out != NULL)
						*v_out = v;
					return s;
				}
			}
			continue;
		}
		n = p->suites[v].n < PROFILE_MAX_SUITES ? p->suites[v].n : PROFILE_MAX_SUITES;
		for (size_t i = 0; i < n; i++) {
			const struct suite *s = suite_by_id(p->suites[v].ids[i]);

			if (s != NULL && !(s->flags & SUITE_SCSV) && pred(s)) {
				if (v_out != NULL)
					*v_out = v;
				return s;
			}
		}
	}
	return NULL;
}

static int is_anon(const struct suite *s) { return s->auth == AU_ANON; }
static int is_export(const struct suite *s) { return (s->flags & SUITE_EXPORT) != 0; }
static int is_null(const struct suite *s) { return s->enc == EN_NULL; }
static int is_rc4(const struct suite *s) { return s->enc == EN_RC4; }
static int is_fs(const struct suite *s) { return (s->flags & SUITE_FS) != 0; }
static int is_aead(const struct suite *s) { return (s->flags & SUITE_AEAD) != 0; }

static int is_cbc(const struct suite *s)
{
	switch (s->enc) {
	case EN_AES_CBC: case EN_CAMELLIA_CBC: case EN_ARIA_CBC: case EN_SEED: case EN_IDEA:
	case EN_DES: case EN_3DES: case EN_RC2:
		return 1;
	default:
		return 0;
	}
}

static int is_64bit_block(const struct suite *s)
{
	return s->enc == EN_3DES || s->enc == EN_DES || s->enc == EN_IDEA || s->enc == EN_RC2;
}

static const char *sname(const struct suite *s)
{
	return s->openssl != NULL && s->openssl[0] != '\0' ? s->openssl : s->name;
}

/* The finding of id in the analysis, or NULL. */
static const struct finding *an_finding(const struct analysis *an, const char *id)
{
	if (an == NULL)
		return NULL;
	for (size_t i = 0; i < an->n_findings; i++)
		if (an->findings[i].id != NULL && strcmp(an->findings[i].id, id) == 0)
			return &an->findings[i];
	return NULL;
}

static int weak_group(const struct named_group *g)
{
	return g->bits > 0 && (g->ffdhe ? g->bits < 2048 : g->bits < 224);
}

/* ---- rules ---- */

static int r_untrusted(const struct grade_in *in, char *t, size_t n)
{
	static const char *const why[] = { "cert.expired", "cert.not_yet_valid", "cert.self_signed",
		"chain.incomplete", "chain.untrusted", "chain.expired_intermediate",
		"cert.weak_signature", "cert.weak_key" };
	char ids[160] = "";
	size_t used = 0;

	/* A chain that verifies but carries an MD5/SHA-1 signature is distrusted by browsers
	 * (SHA-1: since 2017; SSL Labs grades it T). */
	if (in->an == NULL || (in->an->verified && an_finding(in->an, "cert.weak_signature") == NULL))
		return 0;
	for (size_t i = 0; i < sizeof(why) / sizeof(why[0]); i++) {
		int k;

		if (an_finding(in->an, why[i]) == NULL)
			continue;
		k = snprintf(ids + used, sizeof(ids) - used, "%s%s", used ? ", " : "", why[i]);
		if (k < 0 || (size_t)k >= sizeof(ids) - used)
			break;
		used += (size_t)k;
	}
	snprintf(t, n, "the certificate chain is not trusted: %.100s%s%s%s",
		 in->an->verify_error[0] ? in->an->verify_error
		 : in->an->verified ? "signed with a hash browsers no longer accept" : "verification failed",
		 used ? " (" : "", ids, used ? ")" : "");
	return 1;
}

static int r_hostname(const struct grade_in *in, char *t, size_t n)
{
	const struct finding *f;

	if (in->an == NULL || !in->an->hostname_checked || in->an->hostname_ok)
		return 0;
	f = an_finding(in->an, "cert.hostname_mismatch");
	snprintf(t, n, "%.190s", f != NULL ? f->message : "the certificate does not cover the host name");
	return 1;
}

static int r_key_insecure(const struct grade_in *in, char *t, size_t n)
{
	if (in->cert_bits <= 0 || in->cert_bits >= 1024)
		return 0;
	snprintf(t, n, "the certificate has a %d-bit %s key (%d bits RSA-equivalent), below 1024",
		 in->leaf->key_bits, in->leaf->key_type, in->cert_bits);
	return 1;
}

static int r_key_weak(const struct grade_in *in, char *t, size_t n)
{
	if (in->cert_bits < 1024 || in->cert_bits >= 2048)
		return 0;
	snprintf(t, n, "the certificate has a %d-bit %s key (%d bits RSA-equivalent), below 2048",
		 in->leaf->key_bits, in->leaf->key_type, in->cert_bits);
	return 1;
}

static int r_md5(const struct grade_in *in, char *t, size_t n)
{
	if (in->leaf == NULL || (strcasestr(in->leaf->sig_alg, "md5") == NULL &&
				 strcasestr(in->leaf->sig_alg, "md2") == NULL))
		return 0;
	snprintf(t, n, "the certificate is signed with %.60s, an insecure digest", in->leaf->sig_alg);
	return 1;
}

static int r_incomplete(const struct grade_in *in, char *t, size_t n)
{
	const struct finding *f = an_finding(in->an, "chain.incomplete");

	if (f == NULL)
		return 0;
	snprintf(t, n, "%.190s", f->message);
	return 1;
}

static int r_sslv2(const struct grade_in *in, char *t, size_t n)
{
	if (in->p->supported[PV_SSL2] != 1)
		return 0;
	snprintf(t, n, "SSL 2.0 is supported");
	return 1;
}

static int r_sslv3_only(const struct grade_in *in, char *t, size_t n)
{
	if (in->best != PV_SSL3)
		return 0;
	snprintf(t, n, "SSL 3.0 is the best protocol supported");
	return 1;
}

static int r_poodle(const struct grade_in *in, char *t, size_t n)
{
	const struct suite *s = find_suite(in->p, PV_SSL3, PV_SSL3, is_cbc, NULL);

	if (s == NULL)
		return 0;
	snprintf(t, n, "SSL 3.0 is supported with CBC suites (e.g. %s): POODLE, CVE-2014-3566",
		 sname(s));
	return 1;
}

static int r_sslv3(const struct grade_in *in, char *t, size_t n)
{
	if (in->p->supported[PV_SSL3] != 1)
		return 0;
	snprintf(t, n, "SSL 3.0 is supported");
	return 1;
}

static int r_no_tls12(const struct grade_in *in, char *t, size_t n)
{
	if (in->p->supported[PV_TLS12] != 0 || in->p->supported[PV_TLS13] != 0)
		return 0;
	snprintf(t, n, "neither TLS 1.2 nor TLS 1.3 is supported (best: %s)",
		 proto_version_name(in->best));
	return 1;
}

static int r_tls10_11(const struct grade_in *in, char *t, size_t n)
{
	int t10 = in->p->supported[PV_TLS10] == 1, t11 = in->p->supported[PV_TLS11] == 1;

	if (!t10 && !t11)
		return 0;
	snprintf(t, n, "%s supported", t10 && t11 ? "TLS 1.0 and TLS 1.1 are"
				     : t10 ? "TLS 1.0 is" : "TLS 1.1 is");
	return 1;
}

static int r_anon(const struct grade_in *in, char *t, size_t n)
{
	int v = 0;
	const struct suite *s = find_suite(in->p, PV_SSL2, PV_TLS13, is_anon, &v);

	if (s == NULL)
		return 0;
	snprintf(t, n, "anonymous (unauthenticated) key exchange is accepted: %s on %s", sname(s),
		 proto_version_name(v));
	return 1;
}

static int r_export(const struct grade_in *in, char *t, size_t n)
{
	int v = 0;
	const struct suite *s = find_suite(in->p, PV_SSL2, PV_TLS13, is_export, &v);

	if (s == NULL)
		return 0;
	snprintf(t, n, "export-grade suites are accepted: %s on %s (FREAK/Logjam)", sname(s),
		 proto_version_name(v));
	return 1;
}

static int r_dh_insecure(const struct grade_in *in, char *t, size_t n)
{
	if (in->p->dh_bits <= 0 || in->p->dh_bits >= 1024)
		return 0;
	snprintf(t, n, "DHE uses %d-bit parameters, below 1024 bits", in->p->dh_bits);
	return 1;
}

static int r_dh_weak(const struct grade_in *in, char *t, size_t n)
{
	if (in->p->dh_bits < 1024 || in->p->dh_bits >= 2048)
		return 0;
	snprintf(t, n, "DHE uses %d-bit parameters, below 2048 bits", in->p->dh_bits);
	return 1;
}

static int r_weak_group(const struct grade_in *in, char *t, size_t n)
{
	size_t ng = in->p->n_groups < PROFILE_MAX_GROUPS ? in->p->n_groups : PROFILE_MAX_GROUPS;

	for (size_t i = 0; i < ng; i++) {
		const struct named_group *g = group_by_id(in->p->groups[i]);

		if (g != NULL && weak_group(g)) {
			snprintf(t, n, "a weak key exchange group is accepted: %s (%d bits)", g->name,
				 g->bits);
			return 1;
		}
	}
	if (in->p->ecdh_bits > 0 && in->p->ecdh_bits < 224) {
		snprintf(t, n, "ECDHE uses a %d-bit curve, below 224 bits", in->p->ecdh_bits);
		return 1;
	}
	return 0;
}

static int r_no_fs(const struct grade_in *in, char *t, size_t n)
{
	if (in->best < PV_SSL3 || in->best == PV_TLS13 || in->p->suites[in->best].n == 0)
		return 0;
	if (in->choice != NULL) {
		if (in->choice->flags & SUITE_FS)
			return 0;
		snprintf(t, n, "a modern client negotiates %s on %s, without forward secrecy",
			 sname(in->choice), proto_version_name(in->best));
		return 1;
	}
	if (find_suite(in->p, in->best, in->best, is_fs, NULL) != NULL)
		return 0;
	snprintf(t, n, "no forward-secret suite is accepted on %s", proto_version_name(in->best));
	return 1;
}

static int r_null(const struct grade_in *in, char *t, size_t n)
{
	int v = 0;
	const struct suite *s = find_suite(in->p, PV_SSL2, PV_TLS13, is_null, &v);

	if (s == NULL)
		return 0;
	snprintf(t, n, "a NULL-encryption suite is accepted: %s on %s", sname(s),
		 proto_version_name(v));
	return 1;
}

static int r_rc4_modern(const struct grade_in *in, char *t, size_t n)
{
	int v = 0;
	const struct suite *s = find_suite(in->p, PV_TLS11, PV_TLS12, is_rc4, &v);

	if (s == NULL)
		return 0;
	snprintf(t, n, "RC4 is accepted with %s: %s", proto_version_name(v), sname(s));
	return 1;
}

static int r_rc4(const struct grade_in *in, char *t, size_t n)
{
	int v = 0;
	const struct suite *s = find_suite(in->p, PV_SSL2, PV_TLS13, is_rc4, &v);

	if (s == NULL)
		return 0;
	snprintf(t, n, "RC4 is accepted: %s on %s", sname(s), proto_version_name(v));
	return 1;
}

static int r_64bit_modern(const struct grade_in *in, char *t, size_t n)
{
	for (int v = PV_TLS12; v >= PV_TLS11; v--) {
		const struct suite *s = config_client_choice(in->p, (enum proto_version)v);

		if (s != NULL && is_64bit_block(s)) {
			snprintf(t, n, "a modern client negotiates %s (64-bit block cipher, Sweet32) on %s",
				 sname(s), proto_version_name(v));
			return 1;
		}
	}
	return 0;
}

static int r_no_aead(const struct grade_in *in, char *t, size_t n)
{
	if (in->best < PV_SSL3 || in->best == PV_TLS13 || in->p->suites[in->best].n == 0)
		return 0;
	if (in->best < PV_TLS12) {
		snprintf(t, n, "no AEAD suite is possible: the best protocol is %s",
			 proto_version_name(in->best));
		return 1;
	}
	if (in->choice != NULL) {
		if (in->choice->flags & SUITE_AEAD)
			return 0;
		snprintf(t, n, "a modern client negotiates %s on %s, which is not AEAD",
			 sname(in->choice), proto_version_name(in->best));
		return 1;
	}
	if (find_suite(in->p, in->best, in->best, is_aead, NULL) != NULL)
		return 0;
	snprintf(t, n, "no AEAD suite is accepted on %s", proto_version_name(in->best));
	return 1;
}

static int r_heartbleed(const struct grade_in *in, char *t, size_t n)
{
	if (in->p->heartbleed != 1)
		return 0;
	snprintf(t, n, "vulnerable to Heartbleed (CVE-2014-0160)");
	return 1;
}

static int r_compression(const struct grade_in *in, char *t, size_t n)
{
	if (in->p->compression != 1)
		return 0;
	snprintf(t, n, "TLS compression is accepted (CRIME, CVE-2012-4929)");
	return 1;
}

static int r_reneg_client(const struct grade_in *in, char *t, size_t n)
{
	if (in->p->secure_reneg != 0 || in->p->client_reneg != 1 || config_legacy_protocols(in->p) == 0)
		return 0;
	snprintf(t, n, "client-initiated renegotiation is accepted without RFC 5746 (CVE-2009-3555)");
	return 1;
}

static int r_reneg_no_secure(const struct grade_in *in, char *t, size_t n)
{
	if (in->p->secure_reneg != 0 || config_legacy_protocols(in->p) == 0)
		return 0;
	snprintf(t, n, "secure renegotiation (RFC 5746) is not supported");
	return 1;
}

static int r_scsv(const struct grade_in *in, char *t, size_t n)
{
	if (in->p->fallback_scsv != 0 || config_legacy_protocols(in->p) < 2)
		return 0;
	snprintf(t, n, "TLS_FALLBACK_SCSV is not honoured although several protocols are supported");
	return 1;
}

static int r_hsts(const struct grade_in *in, char *t, size_t n)
{
	const struct tls_profile *p = in->p;

	if (p->hsts == 1 && p->hsts_max_age >= HSTS_MIN_MAX_AGE)
		return 0;
	if (p->http_checked != 1 || p->http_status <= 0)
		snprintf(t, n, "A+ needs HSTS and no HTTP response was checked");
	else if (p->hsts != 1)
		snprintf(t, n, "A+ needs HSTS and the response has no Strict-Transport-Security header");
	else if (p->hsts_max_age < 0)
		snprintf(t, n, "A+ needs HSTS and the header has no valid max-age");
	else
		snprintf(t, n, "A+ needs an HSTS max-age of at least 15552000 s (180 days); it is %ld",
			 p->hsts_max_age);
	return 1;
}

#define SRC_GUIDE "SSL Server Rating Guide 2009 (github.com/ssllabs/research), "
#define SRC_2014 "SSL Labs, \"Stricter Security Requirements for 2014\" (2014-01-21)"
#define SRC_2014_12 "SSL Labs, \"End of Year 2014 Updates\" (2014-12-08)"
#define SRC_2015_05 "SSL Labs 1.17.10, \"Increased Penalty When TLS 1.2 Is Not Supported\" " \
	"(2015-05-22)"
#define SRC_2018 "SSL Labs 1.31.0, \"Forward Secrecy, Authenticated Encryption and ROBOT Grading " \
	"Update\" (2018-02-02, live 2018-03-01)"

static const struct rule rules[] = {
	{ { "trust.untrusted", "T", "The certificate chain is not trusted",
	    SRC_GUIDE "\"Certificate Inspection\"; T grade: guide 2009o \"Methodology Overview\"" },
	  r_untrusted },
	{ { "trust.hostname", "M", "The certificate does not cover the host name",
	    SRC_GUIDE "\"Certificate Inspection\" (domain name mismatch); M grade: guide 2009o" },
	  r_hostname },
	{ { "cert.key_insecure", "F", "Certificate key below 1024 bits", SRC_2014 }, r_key_insecure },
	{ { "cert.key_weak", "B", "Certificate key below 2048 bits", SRC_2014 }, r_key_weak },
	{ { "cert.md5", "F", "Certificate signed with MD5 or MD2", SRC_2014 " and guide 2009e" }, r_md5 },
	{ { "chain.incomplete", "B", "Incomplete certificate chain", SRC_2014_12 }, r_incomplete },
	{ { "proto.sslv2", "F", "SSL 2.0 supported", SRC_GUIDE "changes in 2009c (2013-02-07)" },
	  r_sslv2 },
	{ { "proto.sslv3_only", "F", "SSL 3.0 is the best protocol", SRC_2014_12 }, r_sslv3_only },
	{ { "proto.poodle", "C", "SSL 3.0 with CBC suites (POODLE)",
	    SRC_2014_12 "; testssl.sh run_ssl_poodle" }, r_poodle },
	{ { "proto.sslv3", "B", "SSL 3.0 supported", SRC_2014_12 }, r_sslv3 },
	{ { "proto.no_tls12", "C", "Neither TLS 1.2 nor TLS 1.3 supported",
	    SRC_2015_05 "; \"SSL Labs Grading Changes January 2017\"" }, r_no_tls12 },
	{ { "proto.tls10_11", "B", "TLS 1.0 or TLS 1.1 supported",
	    "SSL Labs, \"Grade Change for TLS 1.0 and TLS 1.1 Protocols\" (2018-11-19, live "
	    "2020-01-31)" }, r_tls10_11 },
	{ { "kex.anon", "F", "Anonymous key exchange accepted",
	    SRC_GUIDE "\"Key Exchange\" table (anonymous 0%) and \"Methodology Overview\" (a zero "
	    "category zeroes the score)" }, r_anon },
	{ { "kex.export", "F", "Export-grade suites accepted",
	    "SSL Labs FREAK (CVE-2015-0204, 2015-03) and Logjam (CVE-2015-4000, 2015-05) grading "
	    "updates" }, r_export },
	{ { "kex.dh_insecure", "F", "DH parameters below 1024 bits",
	    "SSL Labs Logjam update (2015-05); thresholds as " SRC_2014 }, r_dh_insecure },
	{ { "kex.dh_weak", "B", "DH parameters below 2048 bits",
	    "SSL Labs Logjam update (2015-05); thresholds as " SRC_2014 }, r_dh_weak },
	{ { "kex.weak_group", "B", "Elliptic curve below 224 bits (or ffdhe below 2048)",
	    "project rule: the elliptic-curve equivalent of kex.dh_weak (NIST SP 800-57 part 1, "
	    "table 2)" }, r_weak_group },
	{ { "kex.no_fs", "B", "No forward secrecy with modern clients", SRC_2018 }, r_no_fs },
	{ { "cipher.null", "F", "NULL-encryption suite accepted",
	    "project rule: cleartext for any client that offers it (the guide's 0-bit row only "
	    "halves the cipher score)" }, r_null },
	{ { "cipher.rc4_modern", "C", "RC4 with TLS 1.1 or TLS 1.2",
	    SRC_2015_05 "; testssl.sh run_rc4" }, r_rc4_modern },
	{ { "cipher.rc4", "B", "RC4 accepted", SRC_2014_12 "; testssl.sh run_rc4" }, r_rc4 },
	{ { "cipher.64bit_modern", "C", "3DES (64-bit block) negotiated with TLS 1.1+",
	    "SSL Labs, \"Announcing SSL Labs Grading Changes for 2017\" (2016-11-16) and "
	    "\"Grading Changes January 2017\" (1.28.3, live 2017-04)" }, r_64bit_modern },
	{ { "cipher.no_aead", "B", "No AEAD suite with modern clients", SRC_2018 }, r_no_aead },
	{ { "vuln.heartbleed", "F", "Vulnerable to Heartbleed",
	    "SSL Labs Heartbleed test (2014-04): vulnerable servers get F" }, r_heartbleed },
	{ { "compression.enabled", "C", "TLS compression (CRIME)",
	    SRC_GUIDE "changes in 2009c (B), raised to C since; testssl.sh run_crime (C)" },
	  r_compression },
	{ { "reneg.insecure_client", "F", "Insecure client-initiated renegotiation",
	    SRC_GUIDE "changes in 2009c (2013-02-07): \"Insecure renegotiation is not allowed\"" },
	  r_reneg_client },
	{ { "reneg.no_secure", "A-", "Secure renegotiation (RFC 5746) not supported",
	    SRC_2014 " (a warning); testssl.sh run_renego (set_grade_warning)" }, r_reneg_no_secure },
	{ { "fallback_scsv.missing", "A", "No TLS_FALLBACK_SCSV (no A+)",
	    SRC_2014_12 ": \"A+ servers are now expected to support TLS_FALLBACK_SCSV\"" }, r_scsv },
	{ { "hsts.aplus", "A", "No HSTS of at least 180 days (no A+)",
	    SRC_2014 ": A+ needs HSTS with a long max-age; 180 days as testssl.sh HSTS_MIN" },
	  r_hsts },
};

#define N_RULES (sizeof(rules) / sizeof(rules[0]))

const struct grade_rule_desc *grade_rule(size_t i)
{
	return i < N_RULES ? &rules[i].d : NULL;
}

const struct grade_reason *grade_find_reason(const struct grade *g, const char *id)
{
	for (size_t i = 0; i < g->n_reasons; i++)
		if (strcmp(g->reasons[i].rule->id, id) == 0)
			return &g->reasons[i];
	for (size_t i = 0; i < g->n_warnings; i++)
		if (strcmp(g->warnings[i].rule->id, id) == 0)
			return &g->warnings[i];
	return NULL;
}

/* ---- scores ---- */

static const int proto_points[PV_COUNT] = { 20, 80, 90, 95, 100, 100 };

static int kex_points(int bits)
{
	if (bits <= 0)
		return 0;
	if (bits < 512)
		return 20;
	if (bits < 1024)
		return 40;
	if (bits < 2048)
		return 80;
	if (bits < 4096)
		return 90;
	return 100;
}

static int cipher_points(int bits)
{
	if (bits <= 0)
		return 0;
	if (bits < 128)
		return 20;
	if (bits < 256)
		return 80;
	return 100;
}

static int min_known(int a, int b)
{
	if (a <= 0)
		return b;
	if (b <= 0)
		return a;
	return a < b ? a : b;
}

/* The smallest RSA-equivalent strength among the accepted groups (all, or EC only), 0 if none. */
static int groups_min(const struct tls_profile *p, int ec_only)
{
	size_t ng = p->n_groups < PROFILE_MAX_GROUPS ? p->n_groups : PROFILE_MAX_GROUPS;
	int m = 0;

	for (size_t i = 0; i < ng; i++) {
		const struct named_group *g = group_by_id(p->groups[i]);

		if (g == NULL || g->bits <= 0 || (ec_only && g->ffdhe))
			continue;
		m = min_known(m, g->ffdhe ? g->bits : config_rsa_equivalent("EC", g->bits));
	}
	return m;
}

/* Key exchange strength of suite s in RSA-equivalent bits; -1 when it cannot be told. */
static int suite_kex_bits(const struct grade_in *in, const struct suite *s, int ec_eq, int tls13_eq)
{
	int cert = 0, eph = 0, bits;

	if (s->auth == AU_ANON)
		return 0;
	if (s->auth == AU_RSA || s->auth == AU_DSS || s->auth == AU_ECDSA || s->auth == AU_TLS13)
		cert = in->cert_bits;
	switch (s->kex) {
	case KX_RSA:
	case KX_DH:
	case KX_ECDH:
	case KX_RSA_PSK:
		break;
	case KX_DHE:
	case KX_DHE_PSK:
		eph = in->p->dh_bits;
		break;
	case KX_ECDHE:
	case KX_ECDHE_PSK:
		eph = ec_eq;
		break;
	case KX_TLS13:
		eph = tls13_eq;
		break;
	default:
		return -1; /* NULL, PSK, SRP, KRB5, GOST: no size to judge */
	}
	bits = min_known(cert, eph);
	if (s->flags & SUITE_EXPORT)
		bits = bits > 0 && bits < 512 ? bits : 512;
	return bits > 0 ? bits : -1;
}

/* Scored symmetric strength (3DES at its nominal 168 bits, see the top comment). */
static int cipher_bits(const struct suite *s)
{
	return s->enc == EN_3DES ? 168 : s->bits;
}

struct tally {
	int any;                     /* some accepted suite is known */
	int kex_min, kex_known;      /* weakest key exchange */
	int c_best, c_worst;
};

static void tally_suite(const struct grade_in *in, const struct suite *s, int ec_eq, int tls13_eq,
			struct tally *t)
{
	int k = suite_kex_bits(in, s, ec_eq, tls13_eq), c = cipher_bits(s);

	if (s->flags & SUITE_SCSV)
		return;
	if (k >= 0) {
		t->kex_min = t->kex_known ? (k < t->kex_min ? k : t->kex_min) : k;
		t->kex_known = 1;
	}
	if (!t->any || c > t->c_best)
		t->c_best = c;
	if (!t->any || c < t->c_worst)
		t->c_worst = c;
	t->any = 1;
}

static void compute_scores(const struct grade_in *in, const struct tally *t, struct grade *g)
{
	const struct tls_profile *p = in->p;
	int best = -1, worst = -1;
	double ps, ks, cs, total;

	for (int v = 0; v < PV_COUNT; v++) {
		if (p->supported[v] != 1)
			continue;
		if (worst < 0)
			worst = v;
		best = v;
	}
	ps = (proto_points[best] + proto_points[worst]) / 2.0;
	if (t->kex_known) {
		g->kex_bits = t->kex_min;
	} else {
		g->kex_bits = 2048;
		g->kex_assumed = 1;
	}
	ks = kex_points(g->kex_bits);
	g->cipher_best_bits = t->c_best;
	g->cipher_worst_bits = t->c_worst;
	cs = (cipher_points(t->c_best) + cipher_points(t->c_worst)) / 2.0;
	total = ps == 0 || ks == 0 || cs == 0 ? 0 : 0.3 * ps + 0.3 * ks + 0.4 * cs;
	g->protocol_score = (int)(ps + 0.5);
	g->kex_score = (int)(ks + 0.5);
	g->cipher_score = (int)(cs + 0.5);
	g->score = (int)(total + 0.5);
}

/* ---- letters ---- */

static const char *const rank_names[] = { "A+", "A", "A-", "B", "C", "D", "E", "F" };

static int rank_of(const char *cap)
{
	for (int r = 0; r < 8; r++)
		if (strcmp(cap, rank_names[r]) == 0)
			return r;
	return -1;
}

static int score_rank(int score)
{
	return score >= 80 ? 1 : score >= 65 ? 3 : score >= 50 ? 4 : score >= 35 ? 5 : score >= 20 ? 6 : 7;
}

static void apply_rules(const struct grade_in *in, struct grade *g)
{
	for (size_t i = 0; i < N_RULES; i++) {
		char text[GRADE_TEXT] = "";
		struct grade_reason *r;

		if (!rules[i].applies(in, text, sizeof(text)))
			continue;
		if (strcmp(rules[i].d.cap, "A-") == 0) {
			if (g->n_warnings == GRADE_MAX_WARNINGS)
				continue;
			r = &g->warnings[g->n_warnings++];
		} else {
			if (g->n_reasons == GRADE_MAX_REASONS)
				continue;
			r = &g->reasons[g->n_reasons++];
		}
		r->rule = &rules[i].d;
		memcpy(r->text, text, sizeof(r->text));
	}
}

static void decide(struct grade *g)
{
	int rank = score_rank(g->score);
	const char *a_cap = NULL, *t = NULL, *m = NULL;

	g->decided_by = "score";
	snprintf(g->score_letter, sizeof(g->score_letter), "%s", rank_names[rank]);
	for (size_t i = 0; i < g->n_reasons; i++) {
		const struct grade_rule_desc *d = g->reasons[i].rule;
		int r;

		if (strcmp(d->cap, "T") == 0) {
			t = t != NULL ? t : d->id;
			continue;
		}
		if (strcmp(d->cap, "M") == 0) {
			m = m != NULL ? m : d->id;
			continue;
		}
		r = rank_of(d->cap);
		if (r == 1) {
			a_cap = a_cap != NULL ? a_cap : d->id;
		} else if (r > rank || (r == rank && strcmp(g->decided_by, "score") == 0)) {
			/* a rule that caps at the score's own letter explains it better */
			rank = r;
			g->decided_by = d->id;
		}
	}
	if (g->n_warnings > 0 && rank < 2) {
		rank = 2;
		g->decided_by = "warnings";
	}
	if (rank == 1) {
		if (a_cap != NULL) {
			g->decided_by = a_cap;
		} else {
			rank = 0;
			g->decided_by = "aplus";
		}
	}
	snprintf(g->letter_ignoring_trust, sizeof(g->letter_ignoring_trust), "%s", rank_names[rank]);
	/* T before M: a chain that does not verify is the more basic failure; both are listed. */
	if (t != NULL || m != NULL) {
		snprintf(g->letter, sizeof(g->letter), "%s", t != NULL ? "T" : "M");
		g->decided_by = t != NULL ? t : m;
	} else {
		snprintf(g->letter, sizeof(g->letter), "%s", g->letter_ignoring_trust);
	}
}

int grade_compute(const struct tls_profile *p, const struct analysis *an, struct grade *g)
{
	struct grade_in in = { .p = p };
	struct tally t = { 0 };
	int ec_eq, tls13_eq;

	memset(g, 0, sizeof(*g));
	g->decided_by = "";
	if (p == NULL || (in.best = config_best_protocol(p)) < 0)
		return -1;
	if (an != NULL && an->n_certs > 0 && an->certs[0] != NULL) {
		in.an = an;
		in.leaf = an->certs[0];
		in.cert_bits = config_rsa_equivalent(in.leaf->key_type, in.leaf->key_bits);
	}
	in.choice = config_client_choice(p, (enum proto_version)in.best);

	ec_eq = p->ecdh_bits > 0 ? config_rsa_equivalent("EC", p->ecdh_bits) : groups_min(p, 1);
	tls13_eq = min_known(groups_min(p, 0), ec_eq);
	for (int v = PV_SSL2; v < PV_COUNT; v++) {
		const struct suite *s;

		if (p->supported[v] != 1)
			continue;
		if (v == PV_SSL2) {
			size_t n = p->n_ssl2 < 16 ? p->n_ssl2 : 16;

			for (size_t i = 0; i < n; i++)
				if ((s = suite_by_ssl2(p->ssl2_kinds[i])) != NULL)
					tally_suite(&in, s, ec_eq, tls13_eq, &t);
			continue;
		}
		for (size_t i = 0; i < p->suites[v].n && i < PROFILE_MAX_SUITES; i++)
			if ((s = suite_by_id(p->suites[v].ids[i])) != NULL)
				tally_suite(&in, s, ec_eq, tls13_eq, &t);
	}
	if (!t.any)
		return -1;
	compute_scores(&in, &t, g);
	apply_rules(&in, g);
	decide(g);
	return 0;
}
