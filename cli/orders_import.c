/*
 * orders_import.c: the manual and local-CA issuance paths of the renewal pipeline (issue 4):
 *   certsweep orders import ID FILE
 *       the CA's download for the CSR exported with `orders csr` (the JCS "Certificate available
 *       for download" path): PEM, DER, PKCS#7, PKCS#12 (analyzer/load.h), or the CA's .zip with
 *       the .crt and the chain (libzip: every .crt/.cer/.pem/.p7b/.p7c entry, directories
 *       ignored, at most ZIP_MAX_ENTRIES entries of at most CHAIN_LOAD_MAX_FILE bytes in all);
 *   certsweep orders issue ID --local-ca CERT --local-ca-key KEY [--days N]
 *       (routed here from cli/orders_issue.c) signs the order's CSR with orders/localca.h for
 *       min(N, the order's duration, the CA/Browser Forum maximum today) days.
 * Both end in ocli_accept_chain(): the certificates are put leaf first (chain_load_mem sorts
 * the bundle), checked against the order's CSR key and names (acme_check_chain, the same check
 * as ACME) and only then stored with store_order_set_issued: Processing (or Awaiting payment)
 * -> Issued, CA state "Certificate available for download", through the one CA state the CA
 * table needs on the way (via_state: "Accepted for automatic processing" from none, "Accepted
 * by CA" from "Waiting for manual approval"), each change validated and in the audit log, in
 * one transaction.
 * Exit codes: 0 stored; 1 the certificate does not match the order (or the local CA refused
 * to sign); 2 bad usage, an unknown order, one not ready, an unreadable or corrupt file;
 * 3 database failures. Nothing is stored unless the exit is 0.
 */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "analyzer/load.h"
#include "cli/cli.h"
#include "cli/orders_cli.h"
#include "core/observation.h"
#include "core/text.h"
#include "orders/acme.h"
#include "orders/bundle.h"
#include "orders/csr.h"
#include "orders/localca.h"
#include "orders/orders.h"
#include "store/store.h"

/* ---------------------------------------------------------------- check and store */

/* The CA state an order in CA state ca goes through on its way to "Certificate available for
 * download" when the CA table has no direct step (CA_NONE when there is one): "Accepted by CA"
 * (after "Waiting for manual approval"), else "Accepted for automatic processing" (from none:
 * the table's only one-step way there). */
static enum ca_state via_state(enum ca_state ca)
{
	static const enum ca_state candidates[] = { CA_ACCEPTED, CA_ACCEPTED_AUTO };

	if (ca != CA_NONE && orders_ca_transition_allowed(ca, CA_CERT_AVAILABLE))
		return CA_NONE;
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (orders_ca_transition_allowed(ca, candidates[i]) &&
		    orders_ca_transition_allowed(candidates[i], CA_CERT_AVAILABLE))
			return candidates[i];
	return CA_NONE;
}

/* Checks the order may become Issued; *via gets the intermediate CA state (or NULL). */
static int check_issuable(const struct order_rec *o, const char **via)
{
	enum order_status from;
	enum ca_state ca = CA_NONE, step;
	char err[256];

	if (order_status_parse(o->status, &from) != 0 ||
	    (o->ca_state != NULL && ca_state_parse(o->ca_state, &ca) != 0)) {
		cli_err("order %" PRId64 ": the stored status is not one certsweep knows", o->id);
		return EXIT_RUNTIME;
	}
	if ((from != ORDER_PROCESSING && from != ORDER_AWAITING_PAYMENT) || o->csr_pem == NULL) {
		cli_err("order %" PRId64 " is %s%s: only an order in Processing with a CSR takes a "
		        "certificate (see 'certsweep orders csr %" PRId64 "')", o->id, o->status,
		        o->csr_pem == NULL ? " without a CSR" : "", o->id);
		return EXIT_USAGE;
	}
	*via = NULL;
	if ((step = via_state(ca)) != CA_NONE) {
		if (orders_check_change(o->id, from, from, ca, step, err, sizeof(err)) != 0) {
			cli_err("%s", err);
			return EXIT_USAGE;
		}
		ca = step;
		*via = ca_state_name(step);
	}
	if (orders_check_change(o->id, from, ORDER_ISSUED, ca, CA_CERT_AVAILABLE, err,
	                        sizeof(err)) != 0) {
		cli_err("%s", err);
		return EXIT_USAGE;
	}
	return 0;
}

/* The order's names into names[] (pointing into *buf, malloc'd). 0, or an exit code. */
static int order_names(const struct order_rec *o, char **buf, const char **names, size_t *n)
{
	char *save = NULL;

	*n = 0;
	if ((*buf = strdup(o->sans[0] != '\0' ? o->sans : o->common_name)) == NULL) {
		cli_err("out of memory");
		return EXIT_RUNTIME;
	}
	for (char *w = strtok_r(*buf, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
		if (*n == ACME_MAX_NAMES) {
			cli_err("order %" PRId64 ": more than %d names", o->id, ACME_MAX_NAMES);
			return EXIT_USAGE;
		}
		names[(*n)++] = w;
	}
	return 0;
}

/* Checks chain (PEM, leaf first) against the order's CSR and names, then stores it. */
static int accept_chain(struct store *st, const struct order_rec *o, const struct csr_info *ci,
                        const char *via, const char *chain, const char *actor, const char *note)
{
	const char *names[ACME_MAX_NAMES];
	char err[1024], safe[4 * sizeof(err) + 1], *buf = NULL, *clean = NULL;
	size_t n;
	int rc;

	if ((rc = order_names(o, &buf, names, &n)) != 0)
		goto out;
	if (acme_check_chain(chain, ci->der, ci->der_len, names, n, &clean, err,
	                     sizeof(err)) != 0) {
		text_terminal(safe, sizeof(safe), err);
		cli_err("order %" PRId64 ": the certificate does not match the order: %s; nothing "
		        "stored", o->id, safe);
		rc = EXIT_FINDINGS;
		goto out;
	}
	if (store_order_set_issued(st, o->id, o->status, o->ca_state, via, clean, actor,
	                           note) != 0) {
		rc = ocli_store_fail(st);
		goto out;
	}
	fputs(clean, stdout);
	fprintf(stderr, "order %" PRId64 ": certificate %s; %s -> %s\n", o->id, note, o->status,
	        order_status_name(ORDER_ISSUED));
	rc = EXIT_OK;
out:
	free(clean);
	free(buf);
	return rc;
}

/* Parses the order's stored CSR. 0, or an exit code. */
static int order_csr(const struct order_rec *o, struct csr_info **ci)
{
	char err[512];

	if (csr_parse((const unsigned char *)o->csr_pem, strlen(o->csr_pem), ci, err,
	              sizeof(err)) != 0) {
		cli_err("order %" PRId64 ": the stored CSR does not parse: %s", o->id, err);
		return EXIT_RUNTIME;
	}
	return 0;
}

/* ---------------------------------------------------------------- orders import */

static const char import_usage[] =
	"usage: certsweep orders import ID FILE [--db FILE]\n"
	"\n"
	"  Imports the certificate a CA issued for the order's CSR (see 'orders csr'): PEM, DER,\n"
	"  PKCS#7 (.p7b), PKCS#12 without a password, or the CA's .zip holding the .crt and the\n"
	"  chain. The leaf must carry the CSR's key and cover the order's names; it is stored with\n"
	"  its chain and the order moves to Issued (CA state \"Certificate available for download\").\n"
	"  Exit: 0 imported, 1 the certificate does not match the order, 2 bad usage, an unknown\n"
	"  order or an unreadable file, 3 a database failure.\n";

static const struct option db_opts[] = {
	{ "db", required_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int do_import(struct store *st, const struct order_rec *o, const char *file)
{
	struct csr_info *ci = NULL;
	const char *via = NULL;
	char err[1024], safe[4 * sizeof(err) + 1], *chain = NULL;
	int rc;

	if ((rc = check_issuable(o, &via)) != 0)
		return rc;
	if ((rc = order_csr(o, &ci)) != 0)
		return rc;
	if (bundle_load_file(file, &chain, err, sizeof(err)) != 0) {
		text_terminal(safe, sizeof(safe), err);
		cli_err("orders import: %s; nothing stored", safe);
		rc = EXIT_USAGE;
	} else {
		rc = accept_chain(st, o, ci, via, chain, "manual", "imported from the CA's download");
	}
	free(chain);
	csr_info_free(ci);
	return rc;
}

int orders_import_cmd(int argc, char **argv)
{
	const char *db_path = "certsweep.db";
	struct order_rec o = { 0 };
	struct store *st;
	int64_t id;
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", db_opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db_path = optarg; break;
		case 'h': fputs(import_usage, stdout); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		fputs(import_usage, stderr);
		return EXIT_USAGE;
	}
	if (ocli_parse_id("import", argv[optind], &id) != 0)
		return EXIT_USAGE;
	if ((st = ocli_open_db(db_path, 1)) == NULL)
		return EXIT_RUNTIME;
	if ((rc = ocli_get_order(st, id, db_path, &o)) == 0)
		rc = do_import(st, &o, argv[optind + 1]);
	order_rec_free(&o);
	return ocli_finish_output(ocli_close_db(st, rc));
}

/* ---------------------------------------------------------------- orders issue --local-ca */

static const char local_usage[] =
	"usage: certsweep orders issue ID --local-ca CA_CERT --local-ca-key CA_KEY [--days N]\n"
	"           [--db FILE]\n"
	"\n"
	"  Signs the order's CSR with a local CA (PEM certificate and unencrypted PEM key): a random\n"
	"  16-byte serial, the CSR's SANs, serverAuth, keyUsage digitalSignature (+keyEncipherment\n"
	"  for RSA), key identifiers, valid for min(N, the order's duration, the CA/Browser Forum\n"
	"  maximum) days. Then the same check and store as every issuance.\n";

static const struct option local_opts[] = {
	{ "db", required_argument, NULL, 'd' },
	{ "local-ca", required_argument, NULL, 'c' },
	{ "local-ca-key", required_argument, NULL, 'k' },
	{ "days", required_argument, NULL, 'D' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct local_args {
	const char *db_path, *ca_cert, *ca_key;
	int days;                       /* 0: not given */
	int64_t id;
};

static int local_parse(int argc, char **argv, struct local_args *a)
{
	long v;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", local_opts, NULL)) != -1) {
		switch (ch) {
		case 'd': a->db_path = optarg; break;
		case 'c': a->ca_cert = optarg; break;
		case 'k': a->ca_key = optarg; break;
		case 'D':
			if (opt_int("--days", optarg, 1, LOCALCA_MAX_DAYS, &v) != 0)
				return EXIT_USAGE;
			a->days = (int)v;
			break;
		case 'h': fputs(local_usage, stdout); return -1;
		default: return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fputs(local_usage, stderr);
		return EXIT_USAGE;
	}
	if (ocli_parse_id("issue", argv[optind], &a->id) != 0)
		return EXIT_USAGE;
	if (a->ca_cert == NULL || a->ca_key == NULL) {
		cli_err("orders issue: --local-ca and --local-ca-key go together");
		return EXIT_USAGE;
	}
	return 0;
}

static int do_local(struct store *st, const struct order_rec *o, const struct local_args *a)
{
	struct csr_info *ci = NULL;
	const char *via = NULL;
	char err[1024], safe[4 * sizeof(err) + 1], *chain = NULL;
	int rc, days = orders_default_duration(time(NULL));

	if ((rc = check_issuable(o, &via)) != 0)
		return rc;
	if ((rc = order_csr(o, &ci)) != 0)
		return rc;
	if (o->duration_days > 0 && o->duration_days < days)
		days = o->duration_days;
	if (a->days > 0 && a->days < days)
		days = a->days;
	if (localca_sign(ci->der, ci->der_len, a->ca_cert, a->ca_key, days, &chain, err,
	                 sizeof(err)) != 0) {
		text_terminal(safe, sizeof(safe), err);
		cli_err("order %" PRId64 ": the local CA did not sign: %s; nothing stored", o->id,
		        safe);
		rc = EXIT_FINDINGS;
	} else {
		rc = accept_chain(st, o, ci, via, chain, "local-ca", "issued by the local CA");
	}
	free(chain);
	csr_info_free(ci);
	return rc;
}

int orders_issue_local_cmd(int argc, char **argv)
{
	struct local_args a = { .db_path = "certsweep.db" };
	struct order_rec o = { 0 };
	struct store *st;
	int rc, r;

	if ((r = local_parse(argc, argv, &a)) != 0)
		return r < 0 ? EXIT_OK : r;
	if ((st = ocli_open_db(a.db_path, 1)) == NULL)
		return EXIT_RUNTIME;
	if ((rc = ocli_get_order(st, a.id, a.db_path, &o)) == 0)
		rc = do_local(st, &o, &a);
	order_rec_free(&o);
	return ocli_finish_output(ocli_close_db(st, rc));
}
