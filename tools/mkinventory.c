/*
 * mkinventory.c: a synthetic inventory for the report benchmark (tools/bench_report.sh).
 *
 *   mkinventory DB N [--certs M] [--seed S]
 *
 * Writes one scan named "bench" of N endpoints into DB (created when missing) through the same
 * calls a sweep makes (cli/cmd_scan.c): observation -> analyze() -> store_add_result(), then
 * store_scan_end(). So the rows, verdicts and findings are what `certsweep scan` would store;
 * this program has no SQL of its own. There is no network traffic at all: the observations are
 * built in memory and their addresses (127.16.0.1 upward, one endpoint each) are labels only.
 *
 * The data:
 *   - a PKI made in memory with OpenSSL: one root ("Certsweep Bench PKI", which no preferred-CA
 *     pattern matches) and 13 intermediates of different organisations. "Sectigo Limited" and
 *     "COMODO CA Limited" ones match the default preferred-CA policy
 *     (analyzer/policy_default.c: about half the leaves); Let's Encrypt, DigiCert Inc,
 *     GlobalSign nv-sa, Amazon, Entrust and internal CAs (one with markup in its name) do not;
 *   - M leaves (default N/5, at least 1) named hostNNNNN.bench.test (SANs: the name and www.),
 *     EC P-256 keys taken from a pool of LEAF_KEYS (key generation would dominate otherwise),
 *     expiring uniformly from 60 days ago to 396 days ahead (Let's Encrypt: 89, 90-day
 *     lifetime; others 397 days); about 1% self-signed, 1% signed with SHA-1, 1.5% valid for
 *     825 days, so that findings exist besides the expired and expiring ones;
 *   - N endpoints: port 443 (88%) or 8443, 993, 465, 636, 5061, 587 (STARTTLS smtp); 85% ok
 *     presenting leaf + intermediate (1% of them without the intermediate, 1% with an SNI the
 *     leaf does not cover, 30% address targets without a name), 10% refused, 5% timed out.
 *
 * Deterministic for a seed: the same N, M and S give the same endpoints, names, dates (relative
 * to the current time), issuers, statuses and TLS parameters. The certificates' bytes, hence
 * their fingerprints, still differ between runs: OpenSSL 3.0 randomises ECDSA signatures.
 *
 * The root goes to a temporary PEM file for analyzer_config.ca_file, removed once loaded.
 * Prints what it wrote and the time taken to stdout. Exit: 0 done, 2 usage, 3 failure (the
 * message on stderr).
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "analyzer/analyzer.h"
#include "core/observation.h"
#include "store/store.h"

#define EXIT_USAGE 2
#define EXIT_RUNTIME 3

#define MAX_ENDPOINTS 10000000UL /* 127.16.0.1 + N stays inside 127.0.0.0/8 */
#define MAX_CERTS 1000000UL
#define LEAF_KEYS 8
#define DAY 86400L
#define ADDR_BASE 0x7f100001UL   /* 127.16.0.1 */

/* splitmix64: small, fast, and the same sequence everywhere for a seed. */
struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform in [0, n), n > 0 (the modulo bias does not matter here). */
static size_t rng_below(struct rng *r, size_t n)
{
	return (size_t)(rng_next(r) % n);
}

/* Uniform in [lo, hi] seconds. */
static time_t rng_span(struct rng *r, long lo, long hi)
{
	return (time_t)(lo + (long)rng_below(r, (size_t)(hi - lo) + 1));
}

/* The intermediates; weight: percent of the leaves they issue (the weights sum to 100). */
struct ca_spec {
	const char *cn, *org;
	int weight;
	int acme;               /* 1: 90-day leaves expiring within 89 days (Let's Encrypt) */
};

static const struct ca_spec cas[] = {
	{ "Sectigo RSA Domain Validation Secure Server CA", "Sectigo Limited", 23, 0 },
	{ "Sectigo ECC Domain Validation Secure Server CA", "Sectigo Limited", 10, 0 },
	{ "Sectigo RSA Organization Validation Secure Server CA", "Sectigo Limited", 7, 0 },
	{ "COMODO RSA Domain Validation Secure Server CA", "COMODO CA Limited", 8, 0 },
	{ "R11", "Let's Encrypt", 10, 1 },
	{ "E6", "Let's Encrypt", 6, 1 },
	{ "DigiCert Global G2 TLS RSA SHA256 2020 CA1", "DigiCert Inc", 9, 0 },
	{ "GlobalSign GCC R6 AlphaSSL CA 2023", "GlobalSign nv-sa", 5, 0 },
	{ "Amazon RSA 2048 M02", "Amazon", 4, 0 },
	{ "Entrust Certification Authority - L1K", "Entrust, Inc.", 3, 0 },
	{ "Bench Corp Issuing CA 1", "Bench Corp", 8, 0 },
	{ "Bench Corp Issuing CA 2", "Bench Corp", 5, 0 },
	{ "Lab CA <b>&amp;\"'</b>", "Bench Lab <script>&</script>", 2, 0 },
};
#define N_CAS (sizeof(cas) / sizeof(cas[0]))

struct port_spec {
	int port;
	const char *starttls;   /* "" for direct TLS */
	int weight;             /* percent */
};

static const struct port_spec ports[] = {
	{ 443, "", 88 }, { 8443, "", 4 }, { 993, "", 2 }, { 465, "", 2 },
	{ 636, "", 1 }, { 5061, "", 1 }, { 587, "smtp", 2 },
};

struct tls_spec {
	int wire;
	const char *version, *cipher, *group;
	int weight;             /* percent */
};

static const struct tls_spec tls_params[] = {
	{ 0x0304, "TLSv1.3", "TLS_AES_256_GCM_SHA384", "x25519", 45 },
	{ 0x0304, "TLSv1.3", "TLS_AES_128_GCM_SHA256", "x25519", 20 },
	{ 0x0304, "TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256", "secp256r1", 5 },
	{ 0x0303, "TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256", "x25519", 18 },
	{ 0x0303, "TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384", "secp256r1", 10 },
	{ 0x0302, "TLSv1.1", "ECDHE-ECDSA-AES128-SHA", "secp256r1", 2 },
};

/* Sets out to the index of an entry of table (entries with a percent .weight), at random. */
#define PICK(r, table, out)                                                        \
	do {                                                                       \
		int roll_ = (int)rng_below((r), 100), i_ = 0;                     \
		while (i_ + 1 < (int)(sizeof(table) / sizeof((table)[0])) &&       \
		       roll_ >= (table)[i_].weight)                                \
			roll_ -= (table)[i_++].weight;                             \
		(out) = (size_t)i_;                                                \
	} while (0)

struct leaf {
	unsigned char *der;     /* owned (OPENSSL_free) */
	size_t len;
	int ca;                 /* index into cas[], -1 for a self-signed leaf */
};

/* The PKI. Everything is owned; pki_free releases it (also when half built). */
struct pki {
	X509 *root;
	EVP_PKEY *root_key;
	X509 *ca[N_CAS];
	EVP_PKEY *ca_key[N_CAS];
	unsigned char *ca_der[N_CAS]; /* OPENSSL_free */
	size_t ca_len[N_CAS];
	EVP_PKEY *leaf_key[LEAF_KEYS];
	struct leaf *leaves;    /* n_leaves entries */
	size_t n_leaves;
};

static void pki_free(struct pki *p)
{
	X509_free(p->root);
	EVP_PKEY_free(p->root_key);
	for (size_t i = 0; i < N_CAS; i++) {
		X509_free(p->ca[i]);
		EVP_PKEY_free(p->ca_key[i]);
		OPENSSL_free(p->ca_der[i]);
	}
	for (size_t i = 0; i < LEAF_KEYS; i++)
		EVP_PKEY_free(p->leaf_key[i]);
	for (size_t i = 0; p->leaves != NULL && i < p->n_leaves; i++)
		OPENSSL_free(p->leaves[i].der);
	free(p->leaves);
	memset(p, 0, sizeof(*p));
}

/* What make_cert builds. Pointers are borrowed. */
struct cert_req {
	const char *cn, *org;   /* subject */
	X509 *issuer;           /* NULL: self-signed */
	EVP_PKEY *key;          /* the subject's key */
	EVP_PKEY *sign_key;     /* the issuer's key (key itself when self-signed) */
	const EVP_MD *md;
	time_t not_before, not_after;
	uint64_t serial;
	int ca;
	const char *san;        /* openssl.cnf syntax, NULL: none */
};

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok;

	if (ext == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -1;
}

/* Builds and signs one certificate. Returns it (the caller frees) or NULL. */
static X509 *make_cert(const struct cert_req *q)
{
	X509 *x = X509_new(), *ret = NULL;
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX ctx;

	if (x == NULL || name == NULL)
		goto out;
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)q->org,
					-1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)q->cn,
					-1, -1, 0))
		goto out;
	if (!X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), q->serial) ||
	    !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, q->issuer ? X509_get_subject_name(q->issuer) : name) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), q->not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), q->not_after) || !X509_set_pubkey(x, q->key))
		goto out;
	X509V3_set_ctx(&ctx, q->issuer ? q->issuer : x, x, NULL, NULL, 0);
	if (add_ext(x, &ctx, NID_basic_constraints, q->ca ? "critical,CA:TRUE" : "CA:FALSE") ||
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
	    (q->issuer && add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always")) ||
	    add_ext(x, &ctx, NID_key_usage, q->ca ? "critical,keyCertSign,cRLSign" :
						     "critical,digitalSignature") ||
	    (!q->ca && add_ext(x, &ctx, NID_ext_key_usage, "serverAuth,clientAuth")) ||
	    (q->san != NULL && add_ext(x, &ctx, NID_subject_alt_name, q->san)))
		goto out;
	if (X509_sign(x, q->sign_key, q->md) <= 0)
		goto out;
	ret = x;
	x = NULL;
out:
	X509_NAME_free(name);
	X509_free(x);
	return ret;
}

/* DER of x into *der (OPENSSL_free) and *len; -1 on failure. */
static int to_der(X509 *x, unsigned char **der, size_t *len)
{
	int n = i2d_X509(x, der);

	if (n <= 0)
		return -1;
	*len = (size_t)n;
	return 0;
}

/* The name of leaf j (and of the endpoints serving it). */
static void leaf_name(char *buf, size_t size, size_t j)
{
	snprintf(buf, size, "host%05zu.bench.test", j);
}

/* Builds the root, the intermediates and m leaves into p (zeroed by the caller). */
static int pki_build(struct pki *p, size_t m, uint64_t seed, time_t now, char *err,
		     size_t errlen)
{
	struct rng r = { seed ^ 0x5ca1ab1e0ddba11ULL };
	char name[64], san[160];
	X509 *x = NULL;
	int rc = -1;

	p->root_key = EVP_EC_gen("P-256");
	for (size_t i = 0; p->root_key != NULL && i < N_CAS; i++)
		p->ca_key[i] = EVP_EC_gen("P-256");
	for (size_t i = 0; p->root_key != NULL && i < LEAF_KEYS; i++)
		p->leaf_key[i] = EVP_EC_gen("P-256");
	if (p->root_key == NULL || p->ca_key[N_CAS - 1] == NULL || p->leaf_key[LEAF_KEYS - 1] == NULL) {
		snprintf(err, errlen, "cannot generate EC keys");
		goto out;
	}
	p->root = make_cert(&(struct cert_req){
		.cn = "Certsweep Bench Root CA", .org = "Certsweep Bench PKI", .key = p->root_key,
		.sign_key = p->root_key, .md = EVP_sha256(), .not_before = now - 3650 * DAY,
		.not_after = now + 3650 * DAY, .serial = rng_next(&r) >> 1, .ca = 1 });
	if (p->root == NULL) {
		snprintf(err, errlen, "cannot make the root certificate");
		goto out;
	}
	for (size_t i = 0; i < N_CAS; i++) {
		p->ca[i] = make_cert(&(struct cert_req){
			.cn = cas[i].cn, .org = cas[i].org, .issuer = p->root, .key = p->ca_key[i],
			.sign_key = p->root_key, .md = EVP_sha256(), .not_before = now - 1500 * DAY,
			.not_after = now + 1800 * DAY, .serial = rng_next(&r) >> 1, .ca = 1 });
		if (p->ca[i] == NULL || to_der(p->ca[i], &p->ca_der[i], &p->ca_len[i]) != 0) {
			snprintf(err, errlen, "cannot make intermediate %zu", i);
			goto out;
		}
	}
	p->leaves = calloc(m, sizeof(*p->leaves));
	if (p->leaves == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	p->n_leaves = m;
	for (size_t j = 0; j < m; j++) {
		struct leaf *lf = &p->leaves[j];
		EVP_PKEY *key = p->leaf_key[rng_below(&r, LEAF_KEYS)];
		double kind = rng_unit(&r);
		const EVP_MD *md = kind >= 0.010 && kind < 0.020 ? EVP_sha1() : EVP_sha256();
		int self = kind < 0.010, long_lived = kind >= 0.020 && kind < 0.035;
		size_t ca;
		long lifetime;
		time_t not_after;

		PICK(&r, cas, ca);
		lf->ca = self ? -1 : (int)ca;
		if (cas[ca].acme && !self && !long_lived) {
			lifetime = 90;
			not_after = now + rng_span(&r, -60 * DAY, 89 * DAY);
		} else {
			lifetime = long_lived ? 825 : 397;
			not_after = now + rng_span(&r, -60 * DAY, (long_lived ? 400 : 396) * DAY);
		}
		leaf_name(name, sizeof(name), j);
		snprintf(san, sizeof(san), "DNS:%s,DNS:www.%s", name, name);
		x = make_cert(&(struct cert_req){
			.cn = name, .org = self ? "Bench Appliance" : "Bench Customer",
			.issuer = self ? NULL : p->ca[ca], .key = key,
			.sign_key = self ? key : p->ca_key[ca], .md = md,
			.not_before = not_after - lifetime * DAY, .not_after = not_after,
			.serial = rng_next(&r) >> 1, .ca = 0, .san = san });
		if (x == NULL || to_der(x, &lf->der, &lf->len) != 0) {
			snprintf(err, errlen, "cannot make leaf %zu", j);
			goto out;
		}
		X509_free(x);
		x = NULL;
	}
	rc = 0;
out:
	X509_free(x);
	return rc;
}

/* Writes the root as PEM to a new temporary file; path (>= 64 bytes) receives its name. */
static int write_root(const struct pki *p, char *path, size_t size, char *err, size_t errlen)
{
	const char *dir = getenv("TMPDIR");
	FILE *f;
	int fd, ok;

	snprintf(path, size, "%s/mkinventory-root-XXXXXX", dir != NULL && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a temporary file: %s", strerror(errno));
		path[0] = '\0';
		return -1;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		snprintf(err, errlen, "fdopen: %s", strerror(errno));
		return -1;
	}
	ok = PEM_write_X509(f, p->root) == 1;
	if (fclose(f) != 0 || !ok) {
		snprintf(err, errlen, "cannot write %s", path);
		return -1;
	}
	return 0;
}

struct counts {
	size_t ok, refused, timeout, certs_used;
};

/* Fills o (fresh from obs_new) with endpoint i; marks in leaf_used / ca_used the certificates
 * it presents, counting each certificate the first time. */
static int make_endpoint(struct observation *o, size_t i, struct rng *r, const struct pki *p,
			 time_t now, unsigned char *leaf_used, unsigned char *ca_used,
			 struct counts *c)
{
	unsigned long a = ADDR_BASE + (unsigned long)i;
	double st = rng_unit(r);
	size_t port, tp, j;
	const struct leaf *lf;
	char name[64];

	snprintf(o->ip, sizeof(o->ip), "%lu.%lu.%lu.%lu", a >> 24, (a >> 16) & 255, (a >> 8) & 255,
		 a & 255);
	PICK(r, ports, port);
	o->port = (uint16_t)ports[port].port;
	snprintf(o->starttls, sizeof(o->starttls), "%s", ports[port].starttls);
	o->attempts = 1;
	o->started = now - (time_t)rng_below(r, 600);
	if (st >= 0.85) {
		if (st < 0.95) {
			obs_set_error(o, EP_REFUSED, "connect: %s", strerror(ECONNREFUSED));
			o->ms_total = 0.05 + rng_unit(r);
			c->refused++;
		} else {
			obs_set_error(o, EP_TIMEOUT, "TCP connect timed out after 3000 ms (every attempt)");
			o->attempts = 2;
			o->ms_total = 6000.0 + rng_unit(r) * 5;
			c->timeout++;
		}
		return 0;
	}
	j = rng_below(r, p->n_leaves);
	lf = &p->leaves[j];
	leaf_name(name, sizeof(name), j);
	if (rng_unit(r) < 0.70) {
		if (obs_set_str(&o->host, name) != 0)
			return -1;
		if (rng_unit(r) < 0.015)  /* ~1% of all ok endpoints: a name the leaf does not cover */
			snprintf(name, sizeof(name), "www.other%05zu.bench.test", i % 100000);
		if (obs_set_str(&o->sni, name) != 0)
			return -1;
	}
	if (obs_add_cert(o, lf->der, lf->len) != 0)
		return -1;
	if (!leaf_used[j]) {
		leaf_used[j] = 1;
		c->certs_used++;
	}
	if (lf->ca >= 0 && rng_unit(r) >= 0.01) {
		if (obs_add_cert(o, p->ca_der[lf->ca], p->ca_len[lf->ca]) != 0)
			return -1;
		if (!ca_used[lf->ca]) {
			ca_used[lf->ca] = 1;
			c->certs_used++;
		}
	}
	PICK(r, tls_params, tp);
	o->status = EP_OK;
	o->tls_version = tls_params[tp].wire;
	snprintf(o->version, sizeof(o->version), "%s", tls_params[tp].version);
	snprintf(o->cipher, sizeof(o->cipher), "%s", tls_params[tp].cipher);
	snprintf(o->group, sizeof(o->group), "%s", tls_params[tp].group);
	if (o->port == 443 || o->port == 8443) {
		double al = rng_unit(r);
		snprintf(o->alpn, sizeof(o->alpn), "%s", al < 0.6 ? "h2" : al < 0.85 ? "http/1.1" : "");
	}
	o->ocsp_stapled = rng_unit(r) < 0.3;
	o->ms_connect = 0.1 + rng_unit(r) * 20;
	o->ms_starttls = o->starttls[0] ? 5 + rng_unit(r) * 20 : -1;
	o->ms_handshake = 2 + rng_unit(r) * 60;
	o->ms_total = o->ms_connect + (o->ms_starttls > 0 ? o->ms_starttls : 0) + o->ms_handshake;
	c->ok++;
	return 0;
}

/* Analyses and stores the n endpoints of the scan, like cmd_scan's on_result. */
static int write_endpoints(struct store *st, int64_t scan_id, struct analyzer *az,
			   const struct pki *p, size_t n, uint64_t seed, time_t now,
			   struct counts *c, char *err, size_t errlen)
{
	struct rng r = { seed };
	unsigned char *leaf_used = calloc(p->n_leaves, 1);
	unsigned char ca_used[N_CAS] = { 0 };
	struct observation *o = NULL;
	struct analysis *an = NULL;
	int rc = -1;

	if (leaf_used == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if ((o = obs_new()) == NULL ||
		    make_endpoint(o, i, &r, p, now, leaf_used, ca_used, c) != 0 ||
		    (an = analyze(az, o)) == NULL) {
			snprintf(err, errlen, "out of memory at endpoint %zu", i);
			goto out;
		}
		if (store_add_result(st, scan_id, o, an) != 0) {
			snprintf(err, errlen, "cannot write to the database: %s", store_errmsg(st));
			goto out;
		}
		analysis_free(an);
		an = NULL;
		obs_free(o);
		o = NULL;
	}
	rc = 0;
out:
	analysis_free(an);
	obs_free(o);
	free(leaf_used);
	return rc;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A count in lo..hi from text; -1 when it is not one. */
static int parse_count(const char *what, const char *s, unsigned long lo, unsigned long hi,
		       unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < lo || v > hi) {
		fprintf(stderr, "mkinventory: %s must be a number in %lu..%lu\n", what, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static const char usage[] = "usage: mkinventory DB N [--certs M] [--seed S]\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "certs", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pki p;
	struct counts c = { 0 };
	struct analyzer_config cfg = { 0 };
	struct analyzer *az = NULL;
	struct store *st = NULL;
	struct scan_totals totals;
	char err[512], root_path[256] = "", args[256];
	unsigned long n, m = 0, seed = 1;
	int64_t scan_id = 0;
	double t0 = now_s(), t_pki, t_store;
	time_t now = time(NULL);
	int ch, rc = EXIT_RUNTIME;

	memset(&p, 0, sizeof(p));
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (parse_count("--certs", optarg, 1, MAX_CERTS, &m) != 0)
				return EXIT_USAGE;
			break;
		case 's':
			if (parse_count("--seed", optarg, 0, 0xffffffffUL, &seed) != 0)
				return EXIT_USAGE;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (parse_count("N", argv[optind + 1], 1, MAX_ENDPOINTS, &n) != 0)
		return EXIT_USAGE;
	if (m == 0)
		m = n / 5 > 0 ? n / 5 : 1;

	if (pki_build(&p, m, seed, now, err, sizeof(err)) != 0 ||
	    write_root(&p, root_path, sizeof(root_path), err, sizeof(err)) != 0)
		goto fail;
	t_pki = now_s();
	cfg.ca_file = root_path;
	cfg.expiring_critical_days = 7;
	cfg.expiring_high_days = 30;
	if ((az = analyzer_new(&cfg, err, sizeof(err))) == NULL)
		goto fail;
	unlink(root_path); /* loaded: the analyzer's trust store holds the root now */
	root_path[0] = '\0';
	if ((st = store_open(argv[optind], err, sizeof(err))) == NULL)
		goto fail;
	store_set_batch(st, 5000, 60000);
	snprintf(args, sizeof(args), "mkinventory %.150s %lu --certs %lu --seed %lu", argv[optind],
		 n, m, seed);
	if (store_scan_begin(st, "bench", args, &scan_id) != 0) {
		snprintf(err, sizeof(err), "cannot start a scan: %s", store_errmsg(st));
		goto fail;
	}
	if (write_endpoints(st, scan_id, az, &p, n, seed, now, &c, err, sizeof(err)) != 0)
		goto fail;
	totals.endpoints = n;
	totals.open = c.ok;
	totals.tls = c.ok;
	totals.unique_certs = c.certs_used;
	if (store_scan_end(st, scan_id, &totals, "done") != 0) {
		snprintf(err, sizeof(err), "cannot finish the scan: %s", store_errmsg(st));
		goto fail;
	}
	if (store_close(st) != 0) {
		st = NULL;
		snprintf(err, sizeof(err), "cannot close the database cleanly");
		goto fail;
	}
	st = NULL;
	t_store = now_s();
	printf("mkinventory: %lu endpoints (ok %zu, refused %zu, timeout %zu), %lu leaves + %zu "
	       "intermediates (%zu certificates served), scan %lld \"bench\" in %s\n",
	       n, c.ok, c.refused, c.timeout, m, N_CAS, c.certs_used, (long long)scan_id,
	       argv[optind]);
	printf("mkinventory: PKI %.2f s, analyse + store %.2f s, total %.2f s\n", t_pki - t0,
	       t_store - t_pki, t_store - t0);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "mkinventory: %s\n", err);
out:
	if (st != NULL)
		store_close(st);
	analyzer_free(az);
	if (root_path[0] != '\0')
		unlink(root_path);
	pki_free(&p);
	return rc;
}
