/*
 * orders_csr.c: `certsweep orders csr ID`: the order's key and CSR (issue 4).
 *
 * Generate (default): a key of --key-type (rsa2048 default) written with mode 0600 to
 * --key-out (default ./order-ID.key; an existing file is never replaced, and the key never
 * goes into the database), and a CSR with the order's common name and SANs (as the order
 * stores them, from the discovered certificate) plus the optional subject fields. The CSR
 * PEM and the key path are stored and the order moves Waiting for CSR -> Processing in one
 * transaction with its audit-log row; then the CSR PEM is printed.
 * --import FILE: "validate & parse" an existing CSR (PEM or DER): a malformed one or one
 * whose signature does not verify is refused (exit 2) with nothing stored; else the parse is
 * printed, the CSR stored (as PEM of its exact DER, which DCV hashes) and the same transition
 * made. --show: the parse of the stored CSR.
 *
 * The transition is validated (orders_check_change) before any key is generated, so an
 * order in another status is refused with nothing written.
 */
#include <inttypes.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cli/cli.h"
#include "cli/orders_cli.h"
#include "orders/csr.h"
#include "orders/orders.h"
#include "store/store.h"

#define KEY_PATH_MAX 4096

enum { C_DB = 'd', C_KT = 'k', C_KO = 'K', C_O = 'o', C_OU = 'u', C_C = 'c', C_ST = 's',
       C_L = 'l', C_EMAIL = 'e', C_IMPORT = 'i', C_SHOW = 'S', C_HELP = 'h' };

static const struct option csr_opts[] = {
	{ "db", required_argument, NULL, C_DB },
	{ "key-type", required_argument, NULL, C_KT },
	{ "key-out", required_argument, NULL, C_KO },
	{ "o", required_argument, NULL, C_O },
	{ "ou", required_argument, NULL, C_OU },
	{ "c", required_argument, NULL, C_C },
	{ "st", required_argument, NULL, C_ST },
	{ "l", required_argument, NULL, C_L },
	{ "email", required_argument, NULL, C_EMAIL },
	{ "import", required_argument, NULL, C_IMPORT },
	{ "show", no_argument, NULL, C_SHOW },
	{ "help", no_argument, NULL, C_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char csr_usage[] =
	"usage: certsweep orders csr ID [--key-type rsa2048|rsa3072|rsa4096|p256|p384]\n"
	"                               [--key-out PATH] [--o ORG] [--ou UNIT] [--c CC]\n"
	"                               [--st STATE] [--l CITY] [--email ADDR] [--db FILE]\n"
	"       certsweep orders csr ID --import FILE [--db FILE]\n"
	"       certsweep orders csr ID --show [--db FILE]\n"
	"\n"
	"  Generates a key (mode 0600, default ./order-ID.key, never stored in the database) and a\n"
	"  CSR with the order's names, or imports an existing CSR (its signature must verify);\n"
	"  stores the CSR and moves the order from Waiting for CSR to Processing.\n"
	"  --show prints the parse of the stored CSR.\n";

struct csr_args {
	const char *db_path, *key_out, *import;
	enum csr_key_type kt;
	struct csr_subject subj;
	int show;
	int64_t id;
};

static int csr_parse_args(int argc, char **argv, struct csr_args *a)
{
	char err[256];
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", csr_opts, NULL)) != -1) {
		switch (ch) {
		case C_DB: a->db_path = optarg; break;
		case C_KT:
			if (csr_key_type_parse(optarg, &a->kt, err, sizeof(err)) != 0) {
				cli_err("--key-type: %s", err);
				return EXIT_USAGE;
			}
			break;
		case C_KO: a->key_out = optarg; break;
		case C_O: a->subj.o = optarg; break;
		case C_OU: a->subj.ou = optarg; break;
		case C_C: a->subj.c = optarg; break;
		case C_ST: a->subj.st = optarg; break;
		case C_L: a->subj.l = optarg; break;
		case C_EMAIL: a->subj.email = optarg; break;
		case C_IMPORT: a->import = optarg; break;
		case C_SHOW: a->show = 1; break;
		case C_HELP: fputs(csr_usage, stdout); return -1;
		default: return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fputs(csr_usage, stderr);
		return EXIT_USAGE;
	}
	if (ocli_parse_id("csr", argv[optind], &a->id) != 0)
		return EXIT_USAGE;
	if (a->import != NULL && a->show) {
		cli_err("orders csr: --import and --show do not go together");
		return EXIT_USAGE;
	}
	return 0;
}

/* Prints a parsed CSR ("validate & parse"). */
static void print_info(const struct csr_info *ci)
{
	fputs("subject:    ", stdout);
	ocli_put_safe(stdout, ci->subject);
	fputs("\nSANs:      ", stdout);
	for (size_t i = 0; i < ci->n_sans; i++) {
		printf(" %s:", ci->sans[i].type == CSR_SAN_IP ? "IP" : "DNS");
		ocli_put_safe(stdout, ci->sans[i].value);
	}
	printf("\nkey:        %s %d bits%s%s\n", ci->key_type, ci->key_bits,
	       ci->curve[0] != '\0' ? " " : "", ci->curve);
	printf("signature:  %s, %s\n", ci->sig_alg, ci->signature_ok ? "ok" : "DOES NOT VERIFY");
	fputs("md5:        ", stdout);
	for (size_t i = 0; i < sizeof(ci->md5); i++)
		printf("%02x", ci->md5[i]);
	fputs("\nsha256:     ", stdout);
	for (size_t i = 0; i < sizeof(ci->sha256); i++)
		printf("%02x", ci->sha256[i]);
	fputc('\n', stdout);
}

/* The PEM of a DER request (its exact bytes); malloc'd, NULL when out of memory. */
static char *der_to_pem(const unsigned char *der, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *pem = NULL;
	long n;

	if (b == NULL)
		return NULL;
	if (len <= LONG_MAX && PEM_write_bio(b, "CERTIFICATE REQUEST", "", der, (long)len) > 0 &&
	    (n = BIO_get_mem_data(b, &data)) > 0 && (pem = malloc((size_t)n + 1)) != NULL) {
		memcpy(pem, data, (size_t)n);
		pem[n] = '\0';
	}
	BIO_free(b);
	return pem;
}

/* Splits the order's space-separated SANs into words (pointers into buf). */
static size_t split_sans(char *buf, const char **out, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *w = strtok_r(buf, " ", &save); w != NULL && n < max; w = strtok_r(NULL, " ", &save))
		out[n++] = w;
	return n;
}

/* Checks the order may go Waiting for CSR -> Processing; 0 or an exit code. */
static int check_to_processing(const struct order_rec *o)
{
	enum order_status from;
	enum ca_state ca = CA_NONE;
	char err[256];

	if (order_status_parse(o->status, &from) != 0 ||
	    (o->ca_state != NULL && ca_state_parse(o->ca_state, &ca) != 0)) {
		cli_err("order %" PRId64 ": the stored status is not one certsweep knows", o->id);
		return EXIT_RUNTIME;
	}
	if (from != ORDER_WAITING_CSR) {
		cli_err("order %" PRId64 " is %s: a CSR is made only for an order Waiting for CSR",
		        o->id, o->status);
		return EXIT_USAGE;
	}
	if (orders_check_change(o->id, from, ORDER_PROCESSING, ca, ca, err, sizeof(err)) != 0) {
		cli_err("%s", err);
		return EXIT_USAGE;
	}
	return 0;
}

static int do_show(const struct order_rec *o)
{
	struct csr_info *ci = NULL;
	char err[256];

	if (o->csr_pem == NULL) {
		cli_err("order %" PRId64 " has no CSR yet (run 'certsweep orders csr %" PRId64 "')",
		        o->id, o->id);
		return EXIT_USAGE;
	}
	if (csr_parse((const unsigned char *)o->csr_pem, strlen(o->csr_pem), &ci, err,
	              sizeof(err)) != 0) {
		cli_err("order %" PRId64 ": the stored CSR does not parse: %s", o->id, err);
		return EXIT_RUNTIME;
	}
	if (o->key_path != NULL) {
		fputs("key file:   ", stdout);
		ocli_put_safe(stdout, o->key_path);
		fputc('\n', stdout);
	}
	print_info(ci);
	csr_info_free(ci);
	return EXIT_OK;
}

static int do_import(struct store *st, const struct order_rec *o, const char *file)
{
	struct csr_info *ci = NULL;
	char err[256], *pem = NULL;
	int rc;

	if ((rc = check_to_processing(o)) != 0)
		return rc;
	if (csr_parse_file(file, &ci, err, sizeof(err)) != 0) {
		cli_err("orders csr --import: %s: nothing stored", err);
		return EXIT_USAGE;
	}
	rc = EXIT_USAGE;
	if (!ci->signature_ok) {
		cli_err("orders csr --import: the CSR's signature does not verify with its own key: "
		        "refused, nothing stored");
		goto out;
	}
	rc = EXIT_RUNTIME;
	if ((pem = der_to_pem(ci->der, ci->der_len)) == NULL) {
		cli_err("out of memory");
		goto out;
	}
	if (store_order_set_csr(st, o->id, o->status, o->ca_state,
	                        order_status_name(ORDER_PROCESSING), pem, NULL, "manual",
	                        "CSR imported") != 0) {
		rc = ocli_store_fail(st);
		goto out;
	}
	print_info(ci);
	printf("order %" PRId64 ": CSR imported; %s -> %s\n", o->id, o->status,
	       order_status_name(ORDER_PROCESSING));
	rc = EXIT_OK;
out:
	free(pem);
	csr_info_free(ci);
	return rc;
}

static int do_generate(struct store *st, const struct order_rec *o, struct csr_args *a)
{
	const char *sans[CSR_MAX_SANS];
	char err[256], keybuf[64], *names = NULL, *pem = NULL;
	const char *key_path = a->key_out;
	EVP_PKEY *key = NULL;
	int rc;

	if ((rc = check_to_processing(o)) != 0)
		return rc;
	if (key_path == NULL) {
		snprintf(keybuf, sizeof(keybuf), "order-%" PRId64 ".key", o->id);
		key_path = keybuf;
	}
	if (strlen(key_path) == 0 || strlen(key_path) > KEY_PATH_MAX) {
		cli_err("--key-out: 1 to %d bytes", KEY_PATH_MAX);
		return EXIT_USAGE;
	}
	rc = EXIT_RUNTIME;
	if ((names = strdup(o->sans)) == NULL) {
		cli_err("out of memory");
		goto out;
	}
	a->subj.cn = o->common_name;
	a->subj.sans = sans;
	a->subj.n_sans = split_sans(names, sans, CSR_MAX_SANS);
	if ((key = csr_key_generate(a->kt, err, sizeof(err))) == NULL) {
		cli_err("orders csr: %s", err);
		goto out;
	}
	if ((pem = csr_build_pem(key, &a->subj, err, sizeof(err))) == NULL) {
		cli_err("orders csr: %s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (csr_key_write(key, key_path, err, sizeof(err)) != 0) {
		cli_err("orders csr: %s", err);
		goto out;
	}
	if (store_order_set_csr(st, o->id, o->status, o->ca_state,
	                        order_status_name(ORDER_PROCESSING), pem, key_path, "manual",
	                        "CSR generated") != 0) {
		rc = ocli_store_fail(st);
		fputs("certsweep: the key written to ", stderr);
		ocli_put_safe(stderr, key_path);
		fputs(" is not used by any order\n", stderr);
		goto out;
	}
	fputs(pem, stdout);
	fprintf(stderr, "order %" PRId64 ": %s key written to ", o->id, csr_key_type_name(a->kt));
	ocli_put_safe(stderr, key_path);
	fprintf(stderr, " (mode 0600); %s -> %s\n", o->status, order_status_name(ORDER_PROCESSING));
	rc = EXIT_OK;
out:
	EVP_PKEY_free(key);
	free(pem);
	free(names);
	return rc;
}

int orders_csr_cmd(int argc, char **argv)
{
	struct csr_args a = { .db_path = "certsweep.db", .kt = CSR_KEY_RSA2048 };
	struct order_rec o = { 0 };
	struct store *st = NULL;
	int rc, r;

	if ((r = csr_parse_args(argc, argv, &a)) != 0)
		return r < 0 ? EXIT_OK : r;
	if ((st = ocli_open_db(a.db_path, 1)) == NULL)
		return EXIT_RUNTIME;
	if ((rc = ocli_get_order(st, a.id, a.db_path, &o)) != 0)
		goto out;
	if (a.show)
		rc = do_show(&o);
	else if (a.import != NULL)
		rc = do_import(st, &o, a.import);
	else
		rc = do_generate(st, &o, &a);
out:
	order_rec_free(&o);
	return ocli_finish_output(ocli_close_db(st, rc));
}
