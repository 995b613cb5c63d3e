/*
 * orders_verify.c: `certsweep orders verify ID [--ca-file FILE] ...` (issue 4): rescans the
 * order's endpoints (their ip, port, SNI and STARTTLS from the store) with the scan engine and
 * analyzer, stored as a scan named "verify" (store_add_result, store_scan_end), so the findings
 * of a certificate no longer served resolve exactly as after `certsweep scan`. Each endpoint's
 * leaf is compared with the order's issued leaf by the SHA-256 of its DER. The order moves from
 * Issued to Installed (actor "verify") only when every endpoint serves the issued leaf;
 * otherwise each endpoint that does not is printed with what it serves, and the status stays.
 * Exit codes: 0 Installed; 1 not (yet) served everywhere; 2 bad usage, an unknown order, one
 * not Issued, or one without endpoints; 3 database or engine failure.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "analyzer/analyzer.h"
#include "cli/cli.h"
#include "cli/orders_cli.h"
#include "core/text.h"
#include "orders/orders.h"
#include "scanner/engine.h"
#include "scanner/targets.h"
#include "store/store.h"

#define MAX_VERIFY_ENDPOINTS 1024

static const struct option verify_opts[] = {
	{ "db", required_argument, NULL, 'd' },
	{ "timeout", required_argument, NULL, 't' },
	{ "help", no_argument, NULL, 'h' },
	CLI_POLICY_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static const char verify_usage[] =
	"usage: certsweep orders verify ID [--ca-file FILE | --ca-path DIR] [--timeout MS]\n"
	"           [--expiring-high DAYS] [--expiring-critical DAYS] [--db FILE]\n"
	"\n"
	"  Rescans the order's endpoints (stored as a scan named \"verify\", so findings of a\n"
	"  certificate no longer served resolve) and moves the order from Issued to Installed when\n"
	"  every endpoint serves the issued certificate. Otherwise prints what each other endpoint\n"
	"  serves and exits 1, the order unchanged. The trust and policy options are scan's.\n";

struct verify_run {
	struct store *st;
	struct analyzer *az;
	struct engine *eng;
	int64_t scan_id;
	unsigned char want[SHA256_DIGEST_LENGTH];
	size_t n_done, n_match, n_tls;
	int fatal;
};

static void on_result(void *arg, const struct observation *obs)
{
	struct verify_run *r = arg;
	struct analysis *an = analyze(r->az, obs);
	unsigned char md[SHA256_DIGEST_LENGTH];
	char ep[400], hex[2 * SHA256_DIGEST_LENGTH + 1], sni[256];

	r->n_done++;
	if (store_add_result(r->st, r->scan_id, obs, an) != 0 && !r->fatal) {
		r->fatal = 1;
		engine_stop(r->eng);
	}
	analysis_free(an);
	text_terminal(sni, sizeof(sni), obs->sni != NULL ? obs->sni : "");
	snprintf(ep, sizeof(ep), "%s%s%s:%u%s%s%s", strchr(obs->ip, ':') ? "[" : "", obs->ip,
	         strchr(obs->ip, ':') ? "]" : "", (unsigned)obs->port, sni[0] ? " (" : "", sni,
	         sni[0] ? ")" : "");
	if (obs->status != EP_OK || obs->chain_len == 0) {
		printf("  %s: no certificate (%s)\n", ep, ep_status_name(obs->status));
		return;
	}
	r->n_tls++;
	SHA256(obs->chain[0].der, obs->chain[0].len, md);
	if (memcmp(md, r->want, sizeof(md)) == 0) {
		r->n_match++;
		printf("  %s: serves the issued certificate\n", ep);
		return;
	}
	for (size_t i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	printf("  %s: still serves another certificate (SHA-256 %s)\n", ep, hex);
}

struct ep_targets {
	struct target_set *ts;
	size_t n;
	int failed;
};

static int add_target(void *arg, const struct order_endpoint *ep)
{
	struct ep_targets *t = arg;
	char err[256];

	if (t->n >= MAX_VERIFY_ENDPOINTS)
		return 1;
	if (targets_add(t->ts, ep->ip, (uint16_t)ep->port,
	                ep->sni != NULL && ep->sni[0] != '\0' ? ep->sni : NULL,
	                ep->starttls != NULL && ep->starttls[0] != '\0' ? ep->starttls : NULL,
	                err, sizeof(err)) != 0) {
		cli_err("endpoint %" PRId64 ": %s", ep->id, err);
		t->failed = 1;
		return 1;
	}
	t->n++;
	return 0;
}

/* The SHA-256 of the issued chain's leaf (DER). 0 or -1 after a message. */
static int leaf_digest(struct store *st, int64_t id, unsigned char *md)
{
	char *pem = NULL;
	BIO *b = NULL;
	X509 *x = NULL;
	unsigned char *der = NULL;
	int len, ret = -1;

	if (store_order_issued_pem(st, id, &pem) != 0) {
		ocli_store_fail(st);
		return -1;
	}
	if (pem == NULL || (b = BIO_new_mem_buf(pem, -1)) == NULL ||
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL ||
	    (len = i2d_X509(x, &der)) <= 0) {
		cli_err("order %" PRId64 " has no readable issued certificate", id);
		goto out;
	}
	SHA256(der, (size_t)len, md);
	ret = 0;
out:
	OPENSSL_free(der);
	X509_free(x);
	BIO_free(b);
	free(pem);
	return ret;
}

static int do_verify(struct verify_run *r, const struct order_rec *o, struct engine_config *ecfg)
{
	struct ep_targets t = { 0 };
	struct portlist pl = { 0 };
	struct event_base *base = NULL;
	struct target_iter it;
	struct engine_stats s;
	struct scan_totals tot = { 0 };
	enum ca_state ca = CA_NONE;
	char err[512];
	int rc = EXIT_RUNTIME, r2;

	if (strcmp(o->status, order_status_name(ORDER_ISSUED)) != 0) {
		cli_err("order %" PRId64 " is %s: only an Issued order is verified", o->id, o->status);
		return EXIT_USAGE;
	}
	if ((o->ca_state != NULL && ca_state_parse(o->ca_state, &ca) != 0) ||
	    orders_check_change(o->id, ORDER_ISSUED, ORDER_INSTALLED, ca, ca, err,
	                        sizeof(err)) != 0) {
		if (o->ca_state != NULL && ca_state_parse(o->ca_state, &ca) != 0)
			snprintf(err, sizeof(err), "order %" PRId64 ": unknown CA state", o->id);
		cli_err("%s", err);
		return EXIT_USAGE;
	}
	if (leaf_digest(r->st, o->id, r->want) != 0)
		return EXIT_USAGE;
	if ((t.ts = targets_new()) == NULL) {
		cli_err("out of memory");
		return EXIT_RUNTIME;
	}
	r2 = store_each_order_endpoint(r->st, o->id, add_target, &t);
	if (r2 < 0 || t.failed) {
		rc = r2 < 0 ? ocli_store_fail(r->st) : EXIT_RUNTIME;
		goto out;
	}
	if (t.n == 0) {
		cli_err("order %" PRId64 " has no endpoints to verify", o->id);
		rc = EXIT_USAGE;
		goto out;
	}
	if (portlist_parse(&pl, "443", err, sizeof(err)) != 0 ||
	    targets_finalize(t.ts, &pl, 1, err, sizeof(err)) != 0) {
		cli_err("%s", err);
		goto out;
	}
	if (store_scan_begin(r->st, "verify", "orders verify", &r->scan_id) != 0) {
		rc = ocli_store_fail(r->st);
		goto out;
	}
	if ((base = event_base_new()) == NULL) {
		cli_err("cannot create the event loop");
		goto out;
	}
	targets_iter_init(&it, t.ts, 0, 1, 0);
	r->eng = engine_new(base, ecfg, t.ts, &it, on_result, r, err, sizeof(err));
	if (r->eng == NULL) {
		cli_err("%s", err);
		goto out;
	}
	printf("order %" PRId64 ": rescanning %zu endpoint%s\n", o->id, t.n, t.n == 1 ? "" : "s");
	engine_start(r->eng);
	if (!engine_finished(r->eng) && !r->fatal)
		event_base_dispatch(base);
	engine_get_stats(r->eng, &s);
	tot.endpoints = s.done;
	tot.open = s.open;
	tot.tls = s.tls;
	tot.unique_certs = r->n_tls > 0;
	if (store_scan_end(r->st, r->scan_id, &tot, r->fatal ? "interrupted" : "done") != 0 ||
	    r->fatal) {
		rc = ocli_store_fail(r->st);
		goto out;
	}
	if (r->n_match != t.n || r->n_done != t.n) {
		printf("order %" PRId64 ": the issued certificate is served on %zu of %zu endpoints; "
		       "still %s\n", o->id, r->n_match, t.n, o->status);
		rc = EXIT_FINDINGS;
		goto out;
	}
	if (store_order_transition(r->st, o->id, o->status, o->ca_state,
	                           order_status_name(ORDER_INSTALLED), o->ca_state, "verify",
	                           "served on every endpoint (rescan)") != 0) {
		rc = ocli_store_fail(r->st);
		goto out;
	}
	printf("order %" PRId64 ": %s -> %s\n", o->id, o->status,
	       order_status_name(ORDER_INSTALLED));
	rc = EXIT_OK;
out:
	engine_free(r->eng);
	r->eng = NULL;
	if (base != NULL)
		event_base_free(base);
	portlist_free(&pl);
	targets_free(t.ts);
	return rc;
}

int orders_verify_cmd(int argc, char **argv)
{
	struct analyzer_config acfg = { .expiring_critical_days = 7, .expiring_high_days = 30 };
	struct engine_config ecfg;
	struct ca_policy *policy = NULL;
	struct verify_run r = { 0 };
	struct order_rec o = { 0 };
	const char *db_path = "certsweep.db";
	int64_t id;
	char err[512];
	long v;
	int ch, rc = EXIT_USAGE, pr;

	engine_config_defaults(&ecfg);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", verify_opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db_path = optarg; break;
		case 't':
			if (opt_int("--timeout", optarg, 100, 600000, &v) != 0)
				goto out;
			ecfg.connect_timeout_ms = ecfg.handshake_timeout_ms = (int)v;
			break;
		case 'h': fputs(verify_usage, stdout); rc = EXIT_OK; goto out;
		default:
			pr = cli_policy_option(ch, optarg, &policy, &acfg);
			if (pr != 0)
				goto out;
		}
	}
	if (argc - optind != 1) {
		fputs(verify_usage, stderr);
		goto out;
	}
	if (ocli_parse_id("verify", argv[optind], &id) != 0)
		goto out;
	acfg.policy = policy;
	if ((r.az = analyzer_new(&acfg, err, sizeof(err))) == NULL) {
		cli_err("%s", err);
		goto out;
	}
	if ((r.st = ocli_open_db(db_path, 1)) == NULL) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	if ((rc = ocli_get_order(r.st, id, db_path, &o)) == 0)
		rc = do_verify(&r, &o, &ecfg);
	order_rec_free(&o);
	rc = ocli_close_db(r.st, rc);
out:
	analyzer_free(r.az);
	ca_policy_free(policy);
	return ocli_finish_output(rc);
}
