/*
 * orders_dcv.c: `certsweep orders dcv ID` and `certsweep orders dcv-check ID` (issue 4):
 * domain control validation from the order's stored CSR.
 *
 * dcv: the MD5 and SHA-256 of the CSR's DER, then per DNS name of the CSR (IP addresses are
 * validated otherwise and skipped): the HTTP file's path and content, the CNAME record and the
 * constructed approver email addresses (orders/dcv.h). --webroot DIR writes the file there
 * (the file is the same for every name). The CA domain comes from --ca-profile, else the
 * order's profile.
 * dcv-check: the pre-check (orders/dcv_check.h) per DNS name with --method http|cname; pass or
 * fail with the reason; exit 0 when every name passes, 1 otherwise. --resolver IP:PORT is the
 * DNS server for the CNAME query; --resolve HOST:PORT:ADDR connects to ADDR:PORT for HOST
 * instead of the CA's port 80 (tests on loopback; the URL, and so the redirect policy, stay
 * the CA's).
 * An order without a CSR is refused (exit 2). --json prints one JSON document (jansson).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/orders_cli.h"
#include "orders/csr.h"
#include "orders/dcv.h"
#include "orders/dcv_check.h"
#include "report/ndjson.h"
#include "store/store.h"

#define MAX_RESOLVE 16
#define RESOLVE_ARG_MAX 300

enum { D_DB = 'd', D_JSON = 'j', D_PROFILE = 'P', D_UNIQUE = 'u', D_WEBROOT = 'w',
       D_METHOD = 'm', D_RESOLVER = 'r', D_RESOLVE = 'R', D_HELP = 'h' };

static const struct option dcv_opts[] = {
	{ "db", required_argument, NULL, D_DB },
	{ "json", no_argument, NULL, D_JSON },
	{ "ca-profile", required_argument, NULL, D_PROFILE },
	{ "unique", required_argument, NULL, D_UNIQUE },
	{ "webroot", required_argument, NULL, D_WEBROOT },
	{ "method", required_argument, NULL, D_METHOD },
	{ "resolver", required_argument, NULL, D_RESOLVER },
	{ "resolve", required_argument, NULL, D_RESOLVE },
	{ "help", no_argument, NULL, D_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char dcv_usage[] =
	"usage: certsweep orders dcv ID [--ca-profile sectigo|comodo] [--unique VALUE]\n"
	"                               [--webroot DIR] [--json] [--db FILE]\n"
	"\n"
	"  From the order's CSR: MD5 and SHA-256 of its DER, and per name the HTTP file\n"
	"  (/.well-known/pki-validation/<MD5>.txt and its content), the CNAME record and the\n"
	"  approver email addresses. --webroot writes the file into DIR.\n";

static const char check_usage[] =
	"usage: certsweep orders dcv-check ID --method http|cname [--resolver IP:PORT]\n"
	"                               [--resolve HOST:PORT:ADDR]... [--ca-profile sectigo|comodo]\n"
	"                               [--unique VALUE] [--json] [--db FILE]\n"
	"\n"
	"  Checks each name of the order's CSR as the CA would; exit 0 when all pass, 1 if not.\n"
	"  --resolver       the DNS server for the CNAME query (default /etc/resolv.conf's)\n"
	"  --resolve H:P:A  fetch http://H/ from address A, port P (instead of port 80)\n";

struct dcv_args {
	const char *db_path, *profile, *unique, *webroot, *method, *resolver;
	char resolve_buf[MAX_RESOLVE][RESOLVE_ARG_MAX];
	struct dcv_host_map map[MAX_RESOLVE];
	size_t n_map;
	unsigned http_port;
	int json;
	int64_t id;
};

/* HOST:PORT:ADDR (ADDR may be an IPv6 literal, optionally bracketed). */
static int add_resolve(struct dcv_args *a, const char *v)
{
	char *buf, *c1, *c2, *addr;
	long port;

	if (a->n_map >= MAX_RESOLVE || strlen(v) >= RESOLVE_ARG_MAX) {
		cli_err("--resolve: at most %d entries of %d bytes", MAX_RESOLVE, RESOLVE_ARG_MAX - 1);
		return -1;
	}
	buf = a->resolve_buf[a->n_map];
	strcpy(buf, v);
	if ((c1 = strchr(buf, ':')) == NULL || (c2 = strchr(c1 + 1, ':')) == NULL || c1 == buf)
		goto bad;
	*c1 = '\0';
	*c2 = '\0';
	addr = c2 + 1;
	if (addr[0] == '[' && addr[strlen(addr) - 1] == ']') {
		addr[strlen(addr) - 1] = '\0';
		addr++;
	}
	if (addr[0] == '\0' || opt_int("--resolve PORT", c1 + 1, 1, 65535, &port) != 0)
		goto bad;
	if (a->http_port != 0 && a->http_port != (unsigned)port) {
		cli_err("--resolve: every entry must use the same port");
		return -1;
	}
	a->http_port = (unsigned)port;
	a->map[a->n_map].host = buf;
	a->map[a->n_map].addr = addr;
	a->n_map++;
	return 0;
bad:
	cli_err("--resolve: \"%.80s\" is not HOST:PORT:ADDR", v);
	return -1;
}

static int dcv_parse_args(int argc, char **argv, struct dcv_args *a, int check)
{
	char err[256];
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", dcv_opts, NULL)) != -1) {
		switch (ch) {
		case D_DB: a->db_path = optarg; break;
		case D_JSON: a->json = 1; break;
		case D_PROFILE:
			if (ca_profile_find(optarg) == NULL) {
				cli_err("--ca-profile: unknown profile \"%.40s\" (sectigo or comodo)", optarg);
				return EXIT_USAGE;
			}
			a->profile = optarg;
			break;
		case D_UNIQUE:
			if (dcv_unique_check(optarg, err, sizeof(err)) != 0) {
				cli_err("--unique: %s", err);
				return EXIT_USAGE;
			}
			a->unique = optarg;
			break;
		case D_WEBROOT:
		case D_METHOD:
		case D_RESOLVER:
		case D_RESOLVE:
			if ((ch == D_WEBROOT) == check) {
				cli_err("orders %s: option %.40s does not apply here",
				        check ? "dcv-check" : "dcv", argv[optind - 1]);
				return EXIT_USAGE;
			}
			if (ch == D_WEBROOT)
				a->webroot = optarg;
			else if (ch == D_METHOD)
				a->method = optarg;
			else if (ch == D_RESOLVER)
				a->resolver = optarg;
			else if (add_resolve(a, optarg) != 0)
				return EXIT_USAGE;
			break;
		case D_HELP: fputs(check ? check_usage : dcv_usage, stdout); return -1;
		default: return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fputs(check ? check_usage : dcv_usage, stderr);
		return EXIT_USAGE;
	}
	if (ocli_parse_id(check ? "dcv-check" : "dcv", argv[optind], &a->id) != 0)
		return EXIT_USAGE;
	return 0;
}

/* The order, its parsed CSR and its profile; 0 or an exit code after a message. */
static int load(struct dcv_args *a, struct order_rec *o, struct csr_info **ci,
                const struct ca_profile **ca)
{
	struct store *st;
	char err[256];
	int rc;

	if ((st = ocli_open_db(a->db_path, 1)) == NULL)
		return EXIT_RUNTIME;
	rc = ocli_get_order(st, a->id, a->db_path, o);
	rc = ocli_close_db(st, rc);
	if (rc != 0)
		return rc;
	if (o->csr_pem == NULL) {
		cli_err("order %" PRId64 " has no CSR yet (run 'certsweep orders csr %" PRId64 "' "
		        "first)", a->id, a->id);
		return EXIT_USAGE;
	}
	if (csr_parse((const unsigned char *)o->csr_pem, strlen(o->csr_pem), ci, err,
	              sizeof(err)) != 0) {
		cli_err("order %" PRId64 ": the stored CSR does not parse: %s", a->id, err);
		return EXIT_RUNTIME;
	}
	*ca = ca_profile_find(a->profile != NULL ? a->profile : o->ca_profile);
	if (*ca == NULL) {
		cli_err("order %" PRId64 ": unknown CA profile (use --ca-profile)", a->id);
		return EXIT_USAGE;
	}
	return 0;
}

/* One DNS name's values, printed or added to arr. 0, or -1 after a message. */
static int dcv_one(const char *name, const struct dcv_values *v, const struct ca_profile *ca,
                   const char *unique, json_t *arr)
{
	char rec[600], emails[DCV_MAX_AUTH_DOMAINS * DCV_N_EMAIL_LOCALS][DCV_EMAIL_MAX + 1];
	char cname[DCV_DOMAIN_MAX + 1], target[256], err[256];
	int n;

	if (dcv_cname(v, ca, name, unique, cname, sizeof(cname), target, sizeof(target), err,
	              sizeof(err)) != 0 ||
	    dcv_cname_record(v, ca, name, unique, rec, sizeof(rec), err, sizeof(err)) != 0 ||
	    (n = dcv_emails(name, emails, sizeof(emails) / sizeof(emails[0]), err,
	                    sizeof(err))) < 0) {
		fputs("certsweep: ", stderr);
		ocli_put_safe(stderr, name);
		fprintf(stderr, ": %s\n", err);
		return -1;
	}
	if (arr != NULL) {
		json_t *j = json_object(), *e = json_array();

		if (j == NULL || e == NULL) {
			json_decref(j);
			json_decref(e);
			return -1;
		}
		for (int i = 0; i < n; i++)
			json_array_append_new(e, json_string(emails[i]));
		json_object_set_new(j, "domain", ndjson_text(name));
		json_object_set_new(j, "cname_name", json_string(cname));
		json_object_set_new(j, "cname_target", json_string(target));
		json_object_set_new(j, "emails", e);
		return json_array_append_new(arr, j);
	}
	fputs("\n", stdout);
	ocli_put_safe(stdout, name);
	printf(":\n  CNAME  %s\n  email ", rec);
	for (int i = 0; i < n; i++)
		printf(" %s", emails[i]);
	fputc('\n', stdout);
	return 0;
}

int orders_dcv_cmd(int argc, char **argv)
{
	struct dcv_args *a = calloc(1, sizeof(*a));
	struct order_rec o = { 0 };
	struct csr_info *ci = NULL;
	const struct ca_profile *ca = NULL;
	struct dcv_values v;
	char path[128], content[256], written[4200], err[256];
	json_t *doc = NULL, *arr = NULL;
	int rc = EXIT_RUNTIME, r;

	if (a == NULL) {
		cli_err("out of memory");
		return EXIT_RUNTIME;
	}
	a->db_path = "certsweep.db";
	if ((r = dcv_parse_args(argc, argv, a, 0)) != 0) {
		rc = r < 0 ? EXIT_OK : r;
		goto out;
	}
	if ((rc = load(a, &o, &ci, &ca)) != 0)
		goto out;
	rc = EXIT_RUNTIME;
	dcv_values_from_digests(ci->md5, ci->sha256, &v);
	dcv_http_path(&v, path, sizeof(path));
	if (dcv_http_content(&v, ca, a->unique, content, sizeof(content), err, sizeof(err)) < 0) {
		cli_err("%s", err);
		goto out;
	}
	written[0] = '\0';
	if (a->webroot != NULL &&
	    dcv_write_file(a->webroot, &v, ca, a->unique, written, sizeof(written), err,
	                   sizeof(err)) != 0) {
		cli_err("--webroot: %s", err);
		goto out;
	}
	if (a->json) {
		if ((doc = json_object()) == NULL || (arr = json_array()) == NULL)
			goto oom;
		json_object_set_new(doc, "order", json_integer(o.id));
		json_object_set_new(doc, "ca_profile", json_string(ca->name));
		json_object_set_new(doc, "ca_domain", json_string(ca->dcv_domain));
		json_object_set_new(doc, "md5", json_string(v.md5));
		json_object_set_new(doc, "sha256", json_string(v.sha256));
		json_object_set_new(doc, "http_path", json_string(path));
		json_object_set_new(doc, "http_content", json_string(content));
		json_object_set_new(doc, "written", written[0] != '\0' ? ndjson_text(written) : json_null());
	} else {
		printf("order %" PRId64 ", CA profile %s (%s)\n", o.id, ca->name, ca->dcv_domain);
		printf("md5     %s\nsha256  %s\n", v.md5, v.sha256);
		printf("HTTP file  %s\n", path);
		printf("content:\n%s", content);
		if (written[0] != '\0') {
			fputs("written to ", stdout);
			ocli_put_safe(stdout, written);
			fputc('\n', stdout);
		}
	}
	for (size_t i = 0; i < ci->n_sans; i++) {
		if (ci->sans[i].type != CSR_SAN_DNS)
			continue;
		if (dcv_one(ci->sans[i].value, &v, ca, a->unique, arr) != 0)
			goto out;
	}
	if (a->json) {
		json_object_set_new(doc, "domains", arr);
		arr = NULL;
		r = ocli_dump_json(doc);
		doc = NULL;
		if (r != 0)
			goto out;
	}
	rc = EXIT_OK;
	goto out;
oom:
	cli_err("out of memory");
out:
	json_decref(arr);
	json_decref(doc);
	csr_info_free(ci);
	order_rec_free(&o);
	free(a);
	return ocli_finish_output(rc);
}

int orders_dcv_check_cmd(int argc, char **argv)
{
	struct dcv_args *a = calloc(1, sizeof(*a));
	struct order_rec o = { 0 };
	struct csr_info *ci = NULL;
	const struct ca_profile *ca = NULL;
	struct dcv_check_opts opts = { 0 };
	struct dcv_check_result res;
	enum dcv_method m;
	struct dcv_values v;
	json_t *arr = NULL;
	int rc = EXIT_RUNTIME, r, all = 1, n = 0;

	if (a == NULL) {
		cli_err("out of memory");
		return EXIT_RUNTIME;
	}
	a->db_path = "certsweep.db";
	if ((r = dcv_parse_args(argc, argv, a, 1)) != 0) {
		rc = r < 0 ? EXIT_OK : r;
		goto out;
	}
	if (a->method == NULL || dcv_method_parse(a->method, &m) != 0) {
		cli_err("orders dcv-check: --method http|https|cname is required");
		rc = EXIT_USAGE;
		goto out;
	}
	if ((rc = load(a, &o, &ci, &ca)) != 0)
		goto out;
	rc = EXIT_RUNTIME;
	dcv_values_from_digests(ci->md5, ci->sha256, &v);
	opts.resolve = a->map;
	opts.n_resolve = a->n_map;
	opts.dns_server = a->resolver;
	if (m == DCV_METHOD_HTTPS)
		opts.port_override.https = a->http_port;
	else
		opts.port_override.http = a->http_port;
	if (a->json && (arr = json_array()) == NULL) {
		cli_err("out of memory");
		goto out;
	}
	for (size_t i = 0; i < ci->n_sans; i++) {
		if (ci->sans[i].type != CSR_SAN_DNS)
			continue;
		n++;
		if (dcv_check(m, ci->sans[i].value, &v, ca, a->unique, &opts, &res) != 1)
			all = 0;
		if (arr != NULL) {
			json_t *j = json_object();

			if (j == NULL)
				goto out;
			json_object_set_new(j, "domain", ndjson_text(res.domain));
			json_object_set_new(j, "method", json_string(dcv_method_name(res.method)));
			json_object_set_new(j, "pass", json_boolean(res.pass));
			json_object_set_new(j, "reason", ndjson_text(res.reason));
			json_object_set_new(j, "where", ndjson_text(res.where));
			json_array_append_new(arr, j);
			continue;
		}
		printf("%s  ", res.pass ? "pass" : "FAIL");
		ocli_put_safe(stdout, res.domain);
		printf("  %s  ", dcv_method_name(res.method));
		ocli_put_safe(stdout, res.reason);
		fputs("  (", stdout);
		ocli_put_safe(stdout, res.where);
		fputs(")\n", stdout);
	}
	if (n == 0) {
		cli_err("order %" PRId64 ": the CSR names no DNS name to validate", o.id);
		rc = EXIT_USAGE;
		goto out;
	}
	if (arr != NULL) {
		json_t *j = arr;

		arr = NULL;
		if (ocli_dump_json(j) != 0)
			goto out;
	}
	rc = all ? EXIT_OK : EXIT_FINDINGS;
out:
	json_decref(arr);
	csr_info_free(ci);
	order_rec_free(&o);
	free(a);
	return ocli_finish_output(rc);
}
