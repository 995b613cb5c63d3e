/*
 * orders_issue.c: `certsweep orders issue ID --acme DIRECTORY_URL ...`: ACME issuance (RFC 8555,
 * orders/acme.h) of an order in Processing with a CSR (issue 4).
 *
 * The change Processing -> Issued (CA state "Certificate available for download", through
 * "Accepted for automatic processing" when the order had no CA state yet) is validated before
 * anything is sent. The chain the CA returns is checked against the order (the leaf's key is
 * the CSR's, its SANs cover the order's names: acme_check_chain) and only then stored
 * (orders.issued_pem) with the transition and its audit-log rows, in one transaction; then the
 * chain is printed. Exit codes: 0 issued; 1 the CA refused (a problem document, a failed
 * challenge, a certificate that does not match the order, a timeout); 2 bad usage, an unknown
 * order or one not ready for issuance; 3 the CA is unreachable, or a database failure. Nothing
 * is stored unless the exit is 0.
 */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/orders_cli.h"
#include "core/text.h"
#include "orders/acme.h"
#include "orders/csr.h"
#include "orders/orders.h"
#include "store/store.h"

enum { I_DB = 'd', I_ACME = 'a', I_KEY = 'k', I_KID = 'K', I_HMAC = 'H', I_WEBROOT = 'w',
       I_LISTEN = 'l', I_HOOK = 'x', I_CAFILE = 'c', I_TIMEOUT = 't', I_HELP = 'h' };

static const struct option issue_opts[] = {
	{ "db", required_argument, NULL, I_DB },
	{ "acme", required_argument, NULL, I_ACME },
	{ "account-key", required_argument, NULL, I_KEY },
	{ "eab-kid", required_argument, NULL, I_KID },
	{ "eab-hmac-key", required_argument, NULL, I_HMAC },
	{ "http01-webroot", required_argument, NULL, I_WEBROOT },
	{ "http01-listen", required_argument, NULL, I_LISTEN },
	{ "dns01-hook", required_argument, NULL, I_HOOK },
	{ "ca-file", required_argument, NULL, I_CAFILE },
	{ "timeout", required_argument, NULL, I_TIMEOUT },
	{ "help", no_argument, NULL, I_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char issue_usage[] =
	"usage: certsweep orders issue ID --acme DIRECTORY_URL [--account-key FILE]\n"
	"           [--eab-kid KID --eab-hmac-key B64URL]\n"
	"           [--http01-webroot DIR | --http01-listen IP:PORT] [--dns01-hook CMD]\n"
	"           [--ca-file FILE] [--timeout SECONDS] [--db FILE]\n"
	"\n"
	"  Issues the order's certificate over ACME (RFC 8555) with the order's own CSR: the\n"
	"  account key (EC P-256, default ./acme-account.key, created with mode 0600 when missing),\n"
	"  External Account Binding when the CA requires it, http-01 from a web root or a built-in\n"
	"  responder, or dns-01 through `CMD add|del DOMAIN TXT`. The chain is checked against the\n"
	"  order's key and names, stored, and the order moves from Processing to Issued.\n"
	"  --ca-file: the roots that sign the ACME server's HTTPS certificate.\n"
	"  Exit: 0 issued, 1 the CA refused, 2 bad usage, 3 the CA is unreachable.\n"
	"\n"
	"   or: certsweep orders issue ID --local-ca CA_CERT --local-ca-key CA_KEY [--days N]\n"
	"  Signs the order's CSR with a local CA (see 'certsweep orders issue --local-ca x --help').\n";

struct issue_args {
	const char *db_path;
	struct acme_cfg cfg;
	int64_t id;
};

static int issue_parse_args(int argc, char **argv, struct issue_args *a)
{
	long v;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", issue_opts, NULL)) != -1) {
		switch (ch) {
		case I_DB: a->db_path = optarg; break;
		case I_ACME: a->cfg.directory_url = optarg; break;
		case I_KEY: a->cfg.account_key = optarg; break;
		case I_KID: a->cfg.eab_kid = optarg; break;
		case I_HMAC: a->cfg.eab_hmac_key = optarg; break;
		case I_WEBROOT: a->cfg.http01_webroot = optarg; break;
		case I_LISTEN: a->cfg.http01_listen = optarg; break;
		case I_HOOK: a->cfg.dns01_hook = optarg; break;
		case I_CAFILE: a->cfg.ca_file = optarg; break;
		case I_TIMEOUT:
			if (opt_int("--timeout", optarg, 1, 86400, &v) != 0)
				return EXIT_USAGE;
			a->cfg.timeout_s = (int)v;
			break;
		case I_HELP: fputs(issue_usage, stdout); return -1;
		default: return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fputs(issue_usage, stderr);
		return EXIT_USAGE;
	}
	if (ocli_parse_id("issue", argv[optind], &a->id) != 0)
		return EXIT_USAGE;
	if (a->cfg.directory_url == NULL) {
		cli_err("orders issue: --acme DIRECTORY_URL or --local-ca CA_CERT is required");
		return EXIT_USAGE;
	}
	if (strncmp(a->cfg.directory_url, "https://", 8) != 0) {
		cli_err("--acme: an https:// directory URL is required");
		return EXIT_USAGE;
	}
	if ((a->cfg.eab_kid == NULL) != (a->cfg.eab_hmac_key == NULL)) {
		cli_err("orders issue: --eab-kid and --eab-hmac-key go together");
		return EXIT_USAGE;
	}
	if (a->cfg.http01_webroot != NULL && a->cfg.http01_listen != NULL) {
		cli_err("orders issue: --http01-webroot and --http01-listen do not go together");
		return EXIT_USAGE;
	}
	if (a->cfg.http01_webroot == NULL && a->cfg.http01_listen == NULL &&
	    a->cfg.dns01_hook == NULL) {
		cli_err("orders issue: a challenge method is required: --http01-webroot, "
		        "--http01-listen or --dns01-hook");
		return EXIT_USAGE;
	}
	return 0;
}

/* Checks the order may become Issued; *via gets the intermediate CA state (or NULL). */
static int check_issuable(const struct order_rec *o, const char **via)
{
	enum order_status from;
	enum ca_state ca = CA_NONE;
	char err[256];

	if (order_status_parse(o->status, &from) != 0 ||
	    (o->ca_state != NULL && ca_state_parse(o->ca_state, &ca) != 0)) {
		cli_err("order %" PRId64 ": the stored status is not one certsweep knows", o->id);
		return EXIT_RUNTIME;
	}
	if (from != ORDER_PROCESSING || o->csr_pem == NULL) {
		cli_err("order %" PRId64 " is %s%s: only an order in Processing with a CSR is issued "
		        "(see 'certsweep orders csr %" PRId64 "')", o->id, o->status,
		        o->csr_pem == NULL ? " without a CSR" : "", o->id);
		return EXIT_USAGE;
	}
	*via = NULL;
	if (ca == CA_NONE) {
		if (orders_check_change(o->id, from, from, ca, CA_ACCEPTED_AUTO, err,
		                        sizeof(err)) != 0) {
			cli_err("%s", err);
			return EXIT_USAGE;
		}
		ca = CA_ACCEPTED_AUTO;
		*via = ca_state_name(CA_ACCEPTED_AUTO);
	}
	if (orders_check_change(o->id, from, ORDER_ISSUED, ca, CA_CERT_AVAILABLE, err,
	                        sizeof(err)) != 0) {
		cli_err("%s", err);
		return EXIT_USAGE;
	}
	return 0;
}

static int do_issue(struct store *st, const struct order_rec *o, struct issue_args *a)
{
	const char *names[ACME_MAX_NAMES], *via = NULL;
	struct csr_info *ci = NULL;
	char err[1024], safe[4 * sizeof(err) + 1], *buf = NULL, *chain = NULL, *save = NULL;
	char *clean = NULL;             /* owned: the checked chain, re-encoded */
	size_t n = 0;
	int rc, r;

	if ((rc = check_issuable(o, &via)) != 0)
		return rc;
	if (csr_parse((const unsigned char *)o->csr_pem, strlen(o->csr_pem), &ci, err,
	              sizeof(err)) != 0) {
		cli_err("order %" PRId64 ": the stored CSR does not parse: %s", o->id, err);
		return EXIT_RUNTIME;
	}
	rc = EXIT_RUNTIME;
	if ((buf = strdup(o->sans[0] != '\0' ? o->sans : o->common_name)) == NULL) {
		cli_err("out of memory");
		goto out;
	}
	for (char *w = strtok_r(buf, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
		if (n == ACME_MAX_NAMES) {
			cli_err("order %" PRId64 ": more than %d names", o->id, ACME_MAX_NAMES);
			rc = EXIT_USAGE;
			goto out;
		}
		names[n++] = w;
	}
	a->cfg.csr_der = ci->der;
	a->cfg.csr_der_len = ci->der_len;
	a->cfg.names = names;
	a->cfg.n_names = n;
	r = acme_issue(&a->cfg, &chain, err, sizeof(err));
	if (r != ACME_OK) {
		/* err holds text from the CA (problem details): terminal-safe only. */
		text_terminal(safe, sizeof(safe), err);
		cli_err("order %" PRId64 ": ACME issuance failed: %s; nothing stored", o->id, safe);
		rc = r == ACME_UNREACHABLE ? EXIT_RUNTIME : EXIT_FINDINGS;
		goto out;
	}
	if (acme_check_chain(chain, ci->der, ci->der_len, names, n, &clean, err,
	                     sizeof(err)) != 0) {
		text_terminal(safe, sizeof(safe), err);
		cli_err("order %" PRId64 ": the certificate the CA issued does not match the order: "
		        "%s; nothing stored", o->id, safe);
		rc = EXIT_FINDINGS;
		goto out;
	}
	if (store_order_set_issued(st, o->id, o->status, o->ca_state, via, clean, "acme",
	                           "issued over ACME") != 0) {
		rc = ocli_store_fail(st);
		goto out;
	}
	fputs(clean, stdout);
	fprintf(stderr, "order %" PRId64 ": certificate issued over ACME; %s -> %s\n", o->id,
	        o->status, order_status_name(ORDER_ISSUED));
	rc = EXIT_OK;
out:
	free(clean);
	free(chain);
	free(buf);
	csr_info_free(ci);
	return rc;
}

int orders_issue_cmd(int argc, char **argv)
{
	struct issue_args a = { .db_path = "certsweep.db",
	                        .cfg = { .account_key = "acme-account.key" } };
	struct order_rec o = { 0 };
	struct store *st = NULL;
	int rc, r;

	/* The local CA (cli/orders_import.c) has its own options. */
	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], "--local-ca", 10) == 0)
			return orders_issue_local_cmd(argc, argv);
	if ((r = issue_parse_args(argc, argv, &a)) != 0)
		return r < 0 ? EXIT_OK : r;
	if ((st = ocli_open_db(a.db_path, 1)) == NULL)
		return EXIT_RUNTIME;
	if ((rc = ocli_get_order(st, a.id, a.db_path, &o)) == 0)
		rc = do_issue(st, &o, &a);
	order_rec_free(&o);
	return ocli_finish_output(ocli_close_db(st, rc));
}
