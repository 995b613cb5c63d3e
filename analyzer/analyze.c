/*
 * analyze.c: the analyzer object and analyze(), the one entry point per observation.
 *
 * analyzer_new loads the trust store once (ca_file/ca_path, else OpenSSL's default paths) and
 * owns two caches (internal.h, chain.h): parsed certificates by DER, verification results by
 * chain and day. analyze() then, for an observation with status ok and a chain:
 *   1. takes each presented certificate from the cache (parsing a new one once), stopping at the
 *      first that does not parse, so positions keep matching the presented chain;
 *   2. verifies the chain (cached), checks the host name (SNI, else the host the user gave) with
 *      OpenSSL's matcher, evaluates the preferred-CA policy over the chain and its trust anchor;
 *   3. runs every check of cert_checks[] over a check_ctx and hands the findings to the analysis.
 * An analysis holds a reference on each certificate it shows (internal.h), so it stays valid
 * whichever of analysis_free and analyzer_free comes first.
 *
 * Not thread-safe: one analyzer per thread (the caches are not locked).
 */
#include "analyzer/analyzer.h"
#include "analyzer/chain.h"
#include "analyzer/check_ctx.h"
#include "analyzer/internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#define DEFAULT_CRITICAL_DAYS 7
#define DEFAULT_HIGH_DAYS 30

struct analyzer {
	X509_STORE *store;              /* owned */
	struct ca_policy *own_policy;   /* owned; the default when the config gives none */
	const struct ca_policy *policy; /* borrowed from the config, or own_policy */
	int critical_days, high_days;
	time_t at;                      /* 0: now */
	struct cert_cache *certs;       /* owned */
	struct chain_cache *chains;    /* owned */
};

/* The analysis as allocated: the public part first, then the references it holds. */
struct analysis_box {
	struct analysis an;
	struct certinfo *refs[OBS_MAX_CHAIN]; /* one reference each, dropped by analysis_free */
};

static const char *const severity_names[] = {
	[SEV_INFO] = "info",
	[SEV_LOW] = "low",
	[SEV_MEDIUM] = "medium",
	[SEV_HIGH] = "high",
	[SEV_CRITICAL] = "critical",
};

const char *severity_name(enum severity s)
{
	if ((unsigned)s > SEV_CRITICAL)
		return "unknown";
	return severity_names[s];
}

int severity_from_name(const char *name)
{
	if (name == NULL)
		return -1;
	for (int i = SEV_INFO; i <= SEV_CRITICAL; i++)
		if (strcasecmp(severity_names[i], name) == 0)
			return i;
	return -1;
}

static int load_store(X509_STORE *store, const struct analyzer_config *cfg, char *err,
		      size_t errlen)
{
	unsigned long e;

	if (cfg->ca_file == NULL && cfg->ca_path == NULL) {
		if (X509_STORE_set_default_paths(store) != 1)
			goto fail;
		return 0;
	}
	if (cfg->ca_file != NULL && X509_STORE_load_file(store, cfg->ca_file) != 1)
		goto fail;
	if (cfg->ca_path != NULL && X509_STORE_load_path(store, cfg->ca_path) != 1)
		goto fail;
	return 0;
fail:
	e = ERR_peek_last_error();
	snprintf(err, errlen, "cannot load the trust store%s%s%s%s: %s",
		 cfg->ca_file ? " file " : "", cfg->ca_file ? cfg->ca_file : "",
		 cfg->ca_path ? " dir " : "", cfg->ca_path ? cfg->ca_path : "",
		 e ? ERR_reason_error_string(e) : "unknown error");
	return -1;
}

struct analyzer *analyzer_new(const struct analyzer_config *cfg, char *err, size_t errlen)
{
	static const struct analyzer_config defaults = { 0 };
	struct analyzer *az = calloc(1, sizeof(*az));

	if (cfg == NULL)
		cfg = &defaults;
	ERR_set_mark();
	if (az == NULL || (az->store = X509_STORE_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (load_store(az->store, cfg, err, errlen) != 0)
		goto fail;
	if (cfg->policy != NULL) {
		az->policy = cfg->policy;
	} else if ((az->own_policy = ca_policy_default()) != NULL) {
		az->policy = az->own_policy;
	} else {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	az->critical_days = cfg->expiring_critical_days > 0 ? cfg->expiring_critical_days :
							      DEFAULT_CRITICAL_DAYS;
	az->high_days = cfg->expiring_high_days > 0 ? cfg->expiring_high_days : DEFAULT_HIGH_DAYS;
	if (az->high_days < az->critical_days)
		az->high_days = az->critical_days;
	az->at = cfg->at;
	az->certs = cert_cache_new(CERT_CACHE_MAX);
	az->chains = chain_cache_new(az->store, az->policy, VERIFY_CACHE_MAX);
	if (az->certs == NULL || az->chains == NULL) {
		snprintf(err, errlen, "out of memory (or no randomness for the cache keys)");
		goto fail;
	}
	ERR_pop_to_mark();
	return az;
fail:
	ERR_pop_to_mark();
	analyzer_free(az);
	return NULL;
}

void analyzer_free(struct analyzer *az)
{
	if (az == NULL)
		return;
	chain_cache_free(az->chains);
	cert_cache_free(az->certs);
	ca_policy_free(az->own_policy);
	X509_STORE_free(az->store);
	free(az);
}

void analyzer_get_stats(const struct analyzer *az, struct analyzer_stats *st)
{
	memset(st, 0, sizeof(*st));
	cert_cache_stats(az->certs, &st->cert_parses, &st->cert_hits, &st->cert_entries);
	chain_cache_stats(az->chains, &st->chain_verifies, &st->chain_hits, &st->chain_entries);
}

int analyzer_set_cache_limits(struct analyzer *az, size_t certs, size_t chains)
{
	struct cert_cache *cc = cert_cache_new(certs);

	if (cc == NULL)
		return -1;
	cert_cache_free(az->certs);
	az->certs = cc;
	chain_cache_set_max(az->chains, chains);
	return 0;
}

/*
 * The name the client asked for: the SNI, else the host the user gave; brackets of an IPv6
 * literal and one trailing dot removed. Returns name, or NULL when there is none (or it is too
 * long to be a host name, in which case *bad is set).
 */
static const char *target_name(const struct observation *obs, char *name, size_t size, int *bad)
{
	const char *src = obs->sni != NULL && obs->sni[0] ? obs->sni :
			  obs->host != NULL && obs->host[0] ? obs->host : NULL;
	size_t len;

	*bad = 0;
	if (src == NULL)
		return NULL;
	len = strlen(src);
	if (src[0] == '[' && len > 2 && src[len - 1] == ']') {
		src++;
		len -= 2;
	}
	if (len >= size) {
		*bad = 1;
		return NULL;
	}
	memcpy(name, src, len);
	name[len] = '\0';
	if (len > 1 && name[len - 1] == '.')
		name[len - 1] = '\0';
	return name;
}

/* An IP literal is matched against IP SANs, a name against DNS SANs (wildcards whole-label only,
 * never the CN: browsers ignore it). */
static int hostname_matches(const struct certinfo *leaf, const char *name)
{
	unsigned char addr[16];

	if (inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1)
		return X509_check_ip_asc(leaf->x509, name, 0) == 1;
	return X509_check_host(leaf->x509, name, 0,
			       X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
			       X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL) == 1;
}

/*
 * Policy match of the certificate at position pos of the chain. A CA certificate matches by
 * fingerprint, subject or issuer. The leaf's subject names the customer, not the CA it was bought
 * from, so the leaf matches by fingerprint or by its issuer only, and a self-signed leaf (its
 * issuer is itself) by fingerprint only.
 */
static int cert_preferred(const struct ca_policy *p, const struct certinfo *ci, size_t pos)
{
	if (pos > 0)
		return ca_policy_matches_cert(p, ci);
	return ca_policy_matches(p, ci->sha256, NULL, ci->self_signed ? NULL : ci->issuer);
}

static void fill_verdicts(struct analyzer *az, struct analysis *an, const struct chain_result *vr,
			  const char *hostname, int bad_name, time_t at)
{
	an->verified = vr->verified;
	an->verify_code = vr->verified ? 0 : vr->code;
	if (!vr->verified)
		snprintf(an->verify_error, sizeof(an->verify_error), "%s",
			 X509_verify_cert_error_string(vr->code));
	an->hostname_checked = hostname != NULL || bad_name;
	an->hostname_ok = hostname != NULL && hostname_matches(an->certs[0], hostname);
	an->preferred = vr->anchor_preferred;
	for (size_t i = 0; !an->preferred && i < an->n_certs; i++)
		an->preferred = cert_preferred(az->policy, an->certs[i], i);
	an->days_left = (int)check_days_between(at, an->certs[0]->not_after);
}

static int run_checks(struct analyzer *az, const struct observation *obs, struct analysis *an,
		      const struct chain_result *vr, const char *hostname, time_t at)
{
	struct check_ctx ctx = {
		.obs = obs,
		.an = an,
		.chain = vr,
		.policy = az->policy,
		.at = at,
		.hostname = hostname,
		.expiring_critical_days = az->critical_days,
		.expiring_high_days = az->high_days,
	};

	for (size_t i = 0; cert_checks[i] != NULL; i++)
		cert_checks[i]->run(cert_checks[i], &ctx);
	if (ctx.failed) {
		free(ctx.findings);
		return -1;
	}
	an->findings = ctx.findings;
	an->n_findings = ctx.n_findings;
	return 0;
}

struct analysis *analyze(struct analyzer *az, const struct observation *obs)
{
	struct analysis_box *box = calloc(1, sizeof(*box));
	const struct chain_result *vr;
	const char *hostname;
	struct analysis *an;
	char name[256];
	int rc, bad_name;
	time_t at;

	if (box == NULL)
		return NULL;
	an = &box->an;
	if (az == NULL || obs == NULL || obs->status != EP_OK || obs->chain_len == 0)
		return an;
	at = az->at != 0 ? az->at : time(NULL);
	for (size_t i = 0; i < obs->chain_len && i < OBS_MAX_CHAIN; i++) {
		struct certinfo *ci = cert_cache_get(az->certs, obs->chain[i].der, obs->chain[i].len);

		if (ci == NULL)
			break;
		box->refs[i] = ci;
		an->certs[i] = ci;
		an->n_certs++;
	}
	if (an->n_certs == 0)
		return an;
	vr = chain_verify(az->chains, an->certs, an->n_certs, at);
	hostname = target_name(obs, name, sizeof(name), &bad_name);
	ERR_set_mark();
	fill_verdicts(az, an, vr, hostname, bad_name, at);
	rc = run_checks(az, obs, an, vr, hostname, at);
	ERR_pop_to_mark();
	if (rc != 0) {
		analysis_free(an);
		return NULL;
	}
	return an;
}

void analysis_free(struct analysis *an)
{
	struct analysis_box *box = (struct analysis_box *)(void *)an;

	if (an == NULL)
		return;
	for (size_t i = 0; i < OBS_MAX_CHAIN; i++)
		certinfo_free(box->refs[i]);
	free(an->findings);
	free(box);
}
