/*
 * cmd_orders.c: `certsweep orders SUBCOMMAND`: the first part of the renewal pipeline
 * (issue 4): list, show, sync, new, status, cancel. The subcommands are a const table; the
 * later steps (csr, dcv, dcv-check, issue, import, install, verify) are in it without a
 * handler and say so (exit 2) rather than pretending.
 *
 * Every subcommand takes --db FILE (default ./certsweep.db). Only `new` creates a missing
 * database; the others need an existing one. The store is opened read-write (an older
 * inventory is migrated to the orders schema on first use).
 *
 * Text that came from certificates (names, SANs) or from users (notes, products) is printed
 * through text_terminal, and into JSON through ndjson_text (valid UTF-8 whatever it holds).
 * Exit codes (cli.h): 0 done; 2 bad usage, an unknown order, an illegal transition, an
 * existing open order for the lineage; 3 database or output failures.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <arpa/inet.h>
#include <jansson.h>

#include "cli/cli.h"
#include "cli/cmd_orders.h"
#include "cli/orders_cli.h"
#include "core/text.h"
#include "orders/orders.h"
#include "report/ndjson.h"
#include "store/store.h"

/* Bounds of what `orders new` accepts. */
#define NAME_MAX_LEN 253        /* a DNS name */
#define MAX_SANS 100
#define MAX_ENDPOINT_ARGS 64
#define MAX_ENDPOINT_IDS 1024
#define NOTE_MAX 1000

struct subcommand {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);   /* NULL: not implemented yet */
};

/* ---------------------------------------------------------------- helpers */

/* A terminal-safe, malloc'd copy of s (NULL -> ""); NULL only when out of memory. */
static char *tsafe(const char *s)
{
	size_t len = (s != NULL ? strlen(s) : 0) * 4 + 1;
	char *d = malloc(len);

	if (d != NULL)
		text_terminal(d, len, s != NULL ? s : "");
	return d;
}

/* Prints s made terminal-safe (fputs of a safe copy). */
static void put_safe(FILE *out, const char *s)
{
	char *d = tsafe(s);

	fputs(d != NULL ? d : "?", out);
	free(d);
}

static void when_text(char *buf, size_t len, int64_t t)
{
	iso8601_utc(buf, len, (time_t)t);
}

static int parse_id(const char *sub, const char *val, int64_t *id)
{
	long v;
	char opt[64];

	snprintf(opt, sizeof(opt), "orders %s: ID", sub);
	if (opt_int(opt, val, 1, LONG_MAX, &v) != 0)
		return -1;
	*id = v;
	return 0;
}

/* Opens the inventory; must_exist refuses a missing file. NULL after printing why. */
static struct store *open_db(const char *path, int must_exist)
{
	struct store *st;
	struct stat sb;
	char err[512];

	if (must_exist && stat(path, &sb) != 0) {
		char *p = tsafe(path);

		if (errno == ENOENT)
			cli_err("no such database: %s (run 'certsweep scan' or 'certsweep orders new' "
			        "first)", p ? p : "?");
		else
			cli_err("cannot open %s: %s", p ? p : "?", strerror(errno));
		free(p);
		return NULL;
	}
	st = store_open(path, err, sizeof(err));
	if (st == NULL) {
		char *e = tsafe(err);

		cli_err("%s", e ? e : "cannot open the database");
		free(e);
	}
	return st;
}

static int close_db(struct store *st, int rc)
{
	if (store_close(st) != 0 && rc == EXIT_OK) {
		cli_err("%s", store_errmsg(st));
		return EXIT_RUNTIME;
	}
	return rc;
}

static int store_fail(struct store *st)
{
	char *e = tsafe(store_errmsg(st));

	cli_err("%s", e ? e : "database error");
	free(e);
	return EXIT_RUNTIME;
}

/* Reads order id; prints "no order N in FILE" when missing. 0, or an exit code. */
static int get_order(struct store *st, int64_t id, const char *db_path, struct order_rec *o)
{
	int rc = store_order_get(st, id, o);

	if (rc < 0)
		return store_fail(st);
	if (rc == 1) {
		char *p = tsafe(db_path);

		cli_err("no order %" PRId64 " in %s (see 'certsweep orders list')", id, p ? p : "?");
		free(p);
		return EXIT_USAGE;
	}
	return 0;
}

/* A JSON array of the space-separated words of s. */
static json_t *json_words(const char *s)
{
	json_t *a = json_array();
	const char *p = s != NULL ? s : "";

	while (a != NULL && *p != '\0') {
		const char *start;
		char *w;

		while (*p == ' ')
			p++;
		start = p;
		while (*p != '\0' && *p != ' ')
			p++;
		if (p == start)
			continue;
		if ((w = strndup(start, (size_t)(p - start))) == NULL) {
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, ndjson_text(w));
		free(w);
	}
	return a;
}

static json_t *json_text_or_null(const char *s)
{
	return s != NULL ? ndjson_text(s) : json_null();
}

static json_t *json_id_or_null(int64_t id)
{
	return id > 0 ? json_integer(id) : json_null();
}

static json_t *json_time(int64_t t)
{
	char buf[32];

	when_text(buf, sizeof(buf), t);
	return json_string(buf);
}

static json_t *order_json(const struct order_rec *o)
{
	json_t *j = json_object();

	if (j == NULL)
		return NULL;
	json_object_set_new(j, "id", json_integer(o->id));
	json_object_set_new(j, "status", ndjson_text(o->status));
	json_object_set_new(j, "ca_state", json_text_or_null(o->ca_state));
	json_object_set_new(j, "common_name", ndjson_text(o->common_name));
	json_object_set_new(j, "sans", json_words(o->sans));
	json_object_set_new(j, "product", json_text_or_null(o->product));
	json_object_set_new(j, "duration_days", json_integer(o->duration_days));
	json_object_set_new(j, "ca_profile", ndjson_text(o->ca_profile));
	json_object_set_new(j, "reason", json_words(o->reason));
	json_object_set_new(j, "certificate_id", json_id_or_null(o->certificate_id));
	json_object_set_new(j, "new_certificate_id", json_id_or_null(o->new_certificate_id));
	json_object_set_new(j, "csr", json_boolean(o->csr_pem != NULL));
	json_object_set_new(j, "key_path", json_text_or_null(o->key_path));
	json_object_set_new(j, "lineage_key", ndjson_text(o->lineage_key));
	json_object_set_new(j, "created_by", ndjson_text(o->created_by));
	json_object_set_new(j, "created_at", json_time(o->created_at));
	json_object_set_new(j, "updated_at", json_time(o->updated_at));
	return j;
}

/* Writes doc (a new reference, consumed) and a newline to stdout. */
static int dump_json(json_t *doc)
{
	int ret = -1;

	if (doc != NULL && json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 &&
	    fputc('\n', stdout) != EOF)
		ret = 0;
	json_decref(doc);
	if (ret != 0)
		cli_err(doc == NULL ? "out of memory" : "write error");
	return ret;
}

static int finish_output(int rc)
{
	if (fflush(stdout) != 0 && rc == EXIT_OK) {
		cli_err("write error: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	return rc;
}

/* Exported for cli/orders_csr.c and cli/orders_dcv.c (orders_cli.h). */
struct store *ocli_open_db(const char *path, int must_exist) { return open_db(path, must_exist); }
int ocli_close_db(struct store *st, int rc) { return close_db(st, rc); }
int ocli_store_fail(struct store *st) { return store_fail(st); }
int ocli_parse_id(const char *sub, const char *val, int64_t *id) { return parse_id(sub, val, id); }
void ocli_put_safe(FILE *out, const char *s) { put_safe(out, s); }
int ocli_dump_json(json_t *doc) { return dump_json(doc); }
int ocli_finish_output(int rc) { return finish_output(rc); }

int ocli_get_order(struct store *st, int64_t id, const char *db_path, struct order_rec *o)
{
	return get_order(st, id, db_path, o);
}

/* Options shared by the subcommands; each passes the letters it accepts. */
enum { O_DB = 'd', O_JSON = 'j', O_STATUS = 's', O_DRY = 'n', O_CN = 'c', O_SAN = 'a',
       O_ENDPOINT = 'e', O_PRODUCT = 'p', O_DURATION = 'D', O_PROFILE = 'P', O_CA = 'C',
       O_NOTE = 'N', O_HELP = 'h' };

static const struct option all_opts[] = {
	{ "db", required_argument, NULL, O_DB },
	{ "json", no_argument, NULL, O_JSON },
	{ "status", required_argument, NULL, O_STATUS },
	{ "dry-run", no_argument, NULL, O_DRY },
	{ "cn", required_argument, NULL, O_CN },
	{ "san", required_argument, NULL, O_SAN },
	{ "endpoint", required_argument, NULL, O_ENDPOINT },
	{ "product", required_argument, NULL, O_PRODUCT },
	{ "duration", required_argument, NULL, O_DURATION },
	{ "ca-profile", required_argument, NULL, O_PROFILE },
	{ "ca-state", required_argument, NULL, O_CA },
	{ "note", required_argument, NULL, O_NOTE },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

/* getopt_long over all_opts, refusing the options this subcommand does not take (allowed: a
 * string of the option letters). Returns the option, -1 at the end, '?' after a message. */
static int next_opt(int argc, char **argv, const char *sub, const char *allowed)
{
	int ch = getopt_long(argc, argv, "h", all_opts, NULL);

	if (ch == -1 || ch == '?')
		return ch;
	if (ch != O_HELP && strchr(allowed, ch) == NULL) {
		cli_err("orders %s: option %.40s does not apply here (try 'certsweep orders %s "
		        "--help')", sub, argv[optind - 1], sub);
		return '?';
	}
	return ch;
}

static int check_note(const char *note)
{
	if (note != NULL && strlen(note) > NOTE_MAX) {
		cli_err("--note: longer than %d bytes", NOTE_MAX);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- list */

struct list_ctx {
	json_t *arr;                    /* --json: the array being built, else NULL */
	size_t n;
};

static int list_one(void *arg, const struct order_rec *o)
{
	struct list_ctx *c = arg;
	char created[32];

	c->n++;
	if (c->arr != NULL) {
		json_t *j = order_json(o);

		if (j == NULL || json_array_append_new(c->arr, j) != 0)
			return -1;
		return 0;
	}
	when_text(created, sizeof(created), o->created_at);
	printf("%-5" PRId64 " %-16s %-34s %4d  %-20s %-6s ", o->id, o->status,
	       o->ca_state != NULL ? o->ca_state : "-", o->duration_days, created, o->created_by);
	put_safe(stdout, o->common_name);
	if (o->sans[0] != '\0' && strcmp(o->sans, o->common_name) != 0) {
		fputs(" [", stdout);
		put_safe(stdout, o->sans);
		fputc(']', stdout);
	}
	fputc('\n', stdout);
	return 0;
}

static const char list_usage[] =
	"usage: certsweep orders list [--status STATUS] [--json] [--db FILE]\n"
	"\n"
	"  --status STATUS  only orders in this status (\"Waiting for CSR\" or waiting-for-csr, ...)\n"
	"  --json           one JSON array of orders\n";

static int orders_list(int argc, char **argv)
{
	const char *db_path = "certsweep.db", *status = NULL;
	struct list_ctx c = { 0 };
	enum order_status s;
	struct store *st = NULL;
	int ch, json = 0, rc = EXIT_RUNTIME;

	optind = 1;
	while ((ch = next_opt(argc, argv, "list", "djs")) != -1) {
		switch (ch) {
		case O_DB: db_path = optarg; break;
		case O_JSON: json = 1; break;
		case O_STATUS:
			if (order_status_parse(optarg, &s) != 0) {
				cli_err("--status: unknown status \"%.40s\"", optarg);
				return EXIT_USAGE;
			}
			status = order_status_name(s);
			break;
		case O_HELP: fputs(list_usage, stdout); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_err("orders list: unexpected argument \"%.80s\"", argv[optind]);
		return EXIT_USAGE;
	}
	if ((st = open_db(db_path, 1)) == NULL)
		return EXIT_RUNTIME;
	if (json && (c.arr = json_array()) == NULL) {
		cli_err("out of memory");
		goto out;
	}
	if (!json)
		printf("%-5s %-16s %-34s %4s  %-20s %-6s %s\n", "ID", "STATUS", "CA STATE", "DAYS",
		       "CREATED", "BY", "NAME [SANS]");
	if (store_each_order(st, status, list_one, &c) != 0) {
		rc = store_errmsg(st)[0] != '\0' ? store_fail(st) : EXIT_RUNTIME;
		goto out;
	}
	if (json) {
		json_t *arr = c.arr;

		c.arr = NULL;
		if (dump_json(arr) != 0)
			goto out;
	}
	rc = EXIT_OK;
out:
	json_decref(c.arr);
	return finish_output(close_db(st, rc));
}

/* ---------------------------------------------------------------- show */

struct show_ctx {
	json_t *arr;                    /* --json: endpoints or events, else NULL */
};

static int show_endpoint(void *arg, const struct order_endpoint *ep)
{
	struct show_ctx *c = arg;

	if (c->arr != NULL) {
		json_t *j = json_object();

		if (j == NULL)
			return -1;
		json_object_set_new(j, "id", json_integer(ep->id));
		json_object_set_new(j, "ip", ndjson_text(ep->ip));
		json_object_set_new(j, "port", json_integer(ep->port));
		json_object_set_new(j, "sni", ndjson_text(ep->sni));
		json_object_set_new(j, "starttls", ndjson_text(ep->starttls));
		json_object_set_new(j, "host", ndjson_text(ep->host));
		return json_array_append_new(c->arr, j);
	}
	printf("  %" PRId64 "  ", ep->id);
	put_safe(stdout, ep->ip);
	printf(" port %d", ep->port);
	if (ep->sni[0] != '\0') {
		fputs(" sni ", stdout);
		put_safe(stdout, ep->sni);
	}
	if (ep->starttls[0] != '\0') {
		fputs(" starttls ", stdout);
		put_safe(stdout, ep->starttls);
	}
	fputc('\n', stdout);
	return 0;
}

static int show_event(void *arg, const struct order_event *ev)
{
	struct show_ctx *c = arg;
	char at[32];

	if (c->arr != NULL) {
		json_t *j = json_object();

		if (j == NULL)
			return -1;
		json_object_set_new(j, "at", json_time(ev->at));
		json_object_set_new(j, "from_status", json_text_or_null(ev->from_status));
		json_object_set_new(j, "to_status", ndjson_text(ev->to_status));
		json_object_set_new(j, "from_ca_state", json_text_or_null(ev->from_ca_state));
		json_object_set_new(j, "to_ca_state", json_text_or_null(ev->to_ca_state));
		json_object_set_new(j, "actor", ndjson_text(ev->actor));
		json_object_set_new(j, "note", ndjson_text(ev->note));
		return json_array_append_new(c->arr, j);
	}
	when_text(at, sizeof(at), ev->at);
	printf("  %s  %-6s ", at, ev->actor);
	if (ev->from_status == NULL)
		printf("created: %s", ev->to_status);
	else if (strcmp(ev->from_status, ev->to_status) != 0)
		printf("%s -> %s", ev->from_status, ev->to_status);
	else
		printf("%s", ev->to_status);
	if ((ev->from_ca_state == NULL) != (ev->to_ca_state == NULL) ||
	    (ev->to_ca_state != NULL && strcmp(ev->from_ca_state, ev->to_ca_state) != 0))
		printf("; CA: %s -> %s", ev->from_ca_state ? ev->from_ca_state : "none",
		       ev->to_ca_state ? ev->to_ca_state : "none");
	if (ev->note[0] != '\0') {
		fputs(" (", stdout);
		put_safe(stdout, ev->note);
		fputc(')', stdout);
	}
	fputc('\n', stdout);
	return 0;
}

static void show_text(const struct order_rec *o)
{
	char t[32];

	printf("order %" PRId64 "\n", o->id);
	printf("  status:       %s\n", o->status);
	printf("  CA state:     %s\n", o->ca_state != NULL ? o->ca_state : "-");
	fputs("  common name:  ", stdout);
	put_safe(stdout, o->common_name);
	fputs("\n  SANs:         ", stdout);
	put_safe(stdout, o->sans);
	fputs("\n  product:      ", stdout);
	put_safe(stdout, o->product != NULL ? o->product : "-");
	printf("\n  duration:     %d days\n", o->duration_days);
	fputs("  CA profile:   ", stdout);
	put_safe(stdout, o->ca_profile);
	fputs("\n  reason:       ", stdout);
	put_safe(stdout, o->reason[0] != '\0' ? o->reason : "-");
	fputc('\n', stdout);
	if (o->certificate_id > 0)
		printf("  replaces:     certificate %" PRId64 "\n", o->certificate_id);
	if (o->new_certificate_id > 0)
		printf("  new:          certificate %" PRId64 "\n", o->new_certificate_id);
	printf("  CSR:          %s\n", o->csr_pem != NULL ? "present" : "none yet");
	when_text(t, sizeof(t), o->created_at);
	printf("  created:      %s by %s\n", t, o->created_by);
	when_text(t, sizeof(t), o->updated_at);
	printf("  updated:      %s\n", t);
	fputs("  lineage:      ", stdout);
	put_safe(stdout, o->lineage_key);
	fputc('\n', stdout);
}

static const char show_usage[] =
	"usage: certsweep orders show ID [--json] [--db FILE]\n"
	"\n"
	"  The order, its endpoints and its audit log (every transition).\n";

static int orders_show(int argc, char **argv)
{
	const char *db_path = "certsweep.db";
	struct order_rec o = { 0 };
	struct show_ctx c = { 0 };
	struct store *st = NULL;
	json_t *doc = NULL;
	int64_t id = 0;
	int ch, json = 0, rc = EXIT_RUNTIME, r;

	optind = 1;
	while ((ch = next_opt(argc, argv, "show", "dj")) != -1) {
		switch (ch) {
		case O_DB: db_path = optarg; break;
		case O_JSON: json = 1; break;
		case O_HELP: fputs(show_usage, stdout); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fputs(show_usage, stderr);
		return EXIT_USAGE;
	}
	if (parse_id("show", argv[optind], &id) != 0)
		return EXIT_USAGE;
	if ((st = open_db(db_path, 1)) == NULL)
		return EXIT_RUNTIME;
	if ((r = get_order(st, id, db_path, &o)) != 0) {
		rc = r;
		goto out;
	}
	if (json) {
		if ((doc = order_json(&o)) == NULL || (c.arr = json_array()) == NULL)
			goto oom;
		if (store_each_order_endpoint(st, id, show_endpoint, &c) != 0)
			goto fail;
		json_object_set_new(doc, "endpoints", c.arr);
		if ((c.arr = json_array()) == NULL)
			goto oom;
		if (store_each_order_event(st, id, show_event, &c) != 0)
			goto fail;
		json_object_set_new(doc, "events", c.arr);
		c.arr = NULL;
		r = dump_json(doc);
		doc = NULL;
		rc = r == 0 ? EXIT_OK : EXIT_RUNTIME;
		goto out;
	}
	show_text(&o);
	printf("endpoints:\n");
	if (store_each_order_endpoint(st, id, show_endpoint, &c) != 0)
		goto fail;
	printf("audit log:\n");
	if (store_each_order_event(st, id, show_event, &c) != 0)
		goto fail;
	rc = EXIT_OK;
	goto out;
oom:
	json_decref(c.arr);
	c.arr = NULL;
	cli_err("out of memory");
	goto out;
fail:
	json_decref(c.arr);
	c.arr = NULL;
	rc = store_fail(st);
out:
	json_decref(doc);
	order_rec_free(&o);
	return finish_output(close_db(st, rc));
}

/* ---------------------------------------------------------------- sync */

static void sync_print(void *arg, const struct sync_order *so)
{
	const int *dry = arg;

	if (so->existing)
		printf("open:  order %" PRId64 " ", so->order_id);
	else if (*dry)
		printf("would create: ");
	else
		printf("new:   order %" PRId64 " ", so->order_id);
	put_safe(stdout, so->common_name);
	fputs(" [", stdout);
	put_safe(stdout, so->sans);
	printf("] on %zu endpoint%s, %d days: ", so->n_endpoints, so->n_endpoints == 1 ? "" : "s",
	       so->duration_days);
	put_safe(stdout, so->reason);
	fputc('\n', stdout);
}

static const char sync_usage[] =
	"usage: certsweep orders sync [--dry-run] [--db FILE]\n"
	"\n"
	"  Creates one order (Waiting for CSR) per certificate lineage (same SAN set on the same\n"
	"  endpoints) with an open finding cert.expiring, cert.expired, issuer.non_preferred,\n"
	"  cert.weak_key or cert.weak_signature, unless an open order already covers it.\n"
	"  --dry-run  show what would be created, write nothing\n";

static int orders_sync_cmd(int argc, char **argv)
{
	const char *db_path = "certsweep.db";
	struct sync_result res;
	struct store *st = NULL;
	char err[512];
	int ch, dry = 0, rc = EXIT_RUNTIME;

	optind = 1;
	while ((ch = next_opt(argc, argv, "sync", "dn")) != -1) {
		switch (ch) {
		case O_DB: db_path = optarg; break;
		case O_DRY: dry = 1; break;
		case O_HELP: fputs(sync_usage, stdout); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_err("orders sync: unexpected argument \"%.80s\"", argv[optind]);
		return EXIT_USAGE;
	}
	if ((st = open_db(db_path, 1)) == NULL)
		return EXIT_RUNTIME;
	if (orders_sync(st, time(NULL), dry, sync_print, &dry, &res, err, sizeof(err)) != 0) {
		char *e = tsafe(err);

		cli_err("orders sync: %s", e ? e : "failed");
		free(e);
		goto out;
	}
	printf("%zu new order%s%s (%zu open finding%s, %zu lineage%s, %zu already ordered",
	       res.created, res.created == 1 ? "" : "s", dry ? " would be created" : "",
	       res.findings, res.findings == 1 ? "" : "s", res.lineages,
	       res.lineages == 1 ? "" : "s", res.existing);
	if (res.skipped > 0)
		printf(", %zu without a known certificate", res.skipped);
	printf(")\n");
	rc = EXIT_OK;
out:
	return finish_output(close_db(st, rc));
}

/* ---------------------------------------------------------------- new */

/* A name for a certificate: 1..253 bytes of printable ASCII without spaces. */
static int check_name(const char *opt, const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > NAME_MAX_LEN) {
		cli_err("%s: a name must be 1 to %d bytes long", opt, NAME_MAX_LEN);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 0x7f || v[i] == ',' ||
		    v[i] == '|') {
			char *s = tsafe(v);

			cli_err("%s: \"%.80s\" is not a host name or address (no spaces, commas, "
			        "control or non-ASCII characters)", opt, s ? s : "?");
			free(s);
			return -1;
		}
	return 0;
}

/* Splits IP:PORT or [IPv6]:PORT; ip receives the address as text. */
static int parse_endpoint(const char *v, char *ip, size_t iplen, int *port)
{
	const char *colon;
	unsigned char buf[16];
	size_t n;
	long p;

	if (v[0] == '[') {
		const char *close = strchr(v, ']');

		if (close == NULL || close[1] != ':')
			goto bad;
		n = (size_t)(close - v - 1);
		colon = close + 1;
		if (n == 0 || n >= iplen)
			goto bad;
		memcpy(ip, v + 1, n);
	} else {
		colon = strrchr(v, ':');
		if (colon == NULL || strchr(v, ':') != colon)
			goto bad;
		n = (size_t)(colon - v);
		if (n == 0 || n >= iplen)
			goto bad;
		memcpy(ip, v, n);
	}
	ip[n] = '\0';
	if (inet_pton(AF_INET, ip, buf) != 1 && inet_pton(AF_INET6, ip, buf) != 1)
		goto bad;
	if (opt_int("--endpoint", colon + 1, 1, 65535, &p) != 0)
		return -1;
	*port = (int)p;
	return 0;
bad:
	{
		char *s = tsafe(v);

		cli_err("--endpoint: \"%.80s\" is not IP:PORT (IPv6 as [ADDR]:PORT)", s ? s : "?");
		free(s);
	}
	return -1;
}

struct ep_ids {
	int64_t v[MAX_ENDPOINT_IDS];
	size_t n;
	size_t found;                   /* matches of the current --endpoint */
};

static int add_ep(void *arg, const struct order_endpoint *ep)
{
	struct ep_ids *e = arg;

	e->found++;
	if (e->n >= MAX_ENDPOINT_IDS)
		return 1;
	for (size_t i = 0; i < e->n; i++)
		if (e->v[i] == ep->id)
			return 0;
	e->v[e->n++] = ep->id;
	return 0;
}

/* Appends name to the space-separated list unless it is there already (any case). */
static int sans_add(char *list, size_t len, const char *name)
{
	const char *p = list;
	size_t n = strlen(name), used = strlen(list);

	while (*p != '\0') {
		const char *end = strchr(p, ' ');
		size_t l = end != NULL ? (size_t)(end - p) : strlen(p);

		if (l == n && strncasecmp(p, name, n) == 0)
			return 0;
		p += l;
		while (*p == ' ')
			p++;
	}
	if (used + (used > 0) + n + 1 > len)
		return -1;
	if (used > 0)
		list[used++] = ' ';
	memcpy(list + used, name, n + 1);
	return 0;
}

static const char new_usage[] =
	"usage: certsweep orders new --cn NAME [--san NAME]... [--endpoint IP:PORT]...\n"
	"                            [--product P] [--duration DAYS] [--ca-profile sectigo|comodo]\n"
	"                            [--note TEXT] [--db FILE]\n"
	"\n"
	"  --cn NAME         the common name (also put first among the SANs)\n"
	"  --san NAME        a subject alternative name (repeat it)\n"
	"  --endpoint IP:PORT  an endpoint of the inventory the certificate is for (repeat it)\n"
	"  --product P       the CA product, recorded as given\n"
	"  --duration DAYS   at most the CA/Browser Forum maximum for today (the default)\n"
	"  --ca-profile P    sectigo (default, DCV domain sectigo.com) or comodo (comodoca.com)\n";

struct new_args {
	const char *db_path, *cn, *product, *profile, *note;
	const char *sans[MAX_SANS];
	size_t n_sans;
	const char *endpoints[MAX_ENDPOINT_ARGS];
	size_t n_endpoints;
	long duration;                  /* 0: default */
};

static int new_parse(int argc, char **argv, struct new_args *a)
{
	int ch;

	optind = 1;
	while ((ch = next_opt(argc, argv, "new", "dcaepDPN")) != -1) {
		switch (ch) {
		case O_DB: a->db_path = optarg; break;
		case O_CN:
			if (check_name("--cn", optarg) != 0)
				return EXIT_USAGE;
			a->cn = optarg;
			break;
		case O_SAN:
			if (check_name("--san", optarg) != 0)
				return EXIT_USAGE;
			if (a->n_sans >= MAX_SANS) {
				cli_err("--san: at most %d names", MAX_SANS);
				return EXIT_USAGE;
			}
			a->sans[a->n_sans++] = optarg;
			break;
		case O_ENDPOINT:
			if (a->n_endpoints >= MAX_ENDPOINT_ARGS) {
				cli_err("--endpoint: at most %d endpoints", MAX_ENDPOINT_ARGS);
				return EXIT_USAGE;
			}
			a->endpoints[a->n_endpoints++] = optarg;
			break;
		case O_PRODUCT:
			if (strlen(optarg) == 0 || strlen(optarg) > 200) {
				cli_err("--product: 1 to 200 bytes");
				return EXIT_USAGE;
			}
			a->product = optarg;
			break;
		case O_DURATION:
			if (opt_int("--duration", optarg, 1, 100000, &a->duration) != 0)
				return EXIT_USAGE;
			break;
		case O_PROFILE:
			if (strcmp(optarg, "sectigo") != 0 && strcmp(optarg, "comodo") != 0) {
				cli_err("--ca-profile: unknown profile \"%.40s\" (sectigo or comodo)", optarg);
				return EXIT_USAGE;
			}
			a->profile = optarg;
			break;
		case O_NOTE:
			if (check_note(optarg) != 0)
				return EXIT_USAGE;
			a->note = optarg;
			break;
		case O_HELP: fputs(new_usage, stdout); return -1;
		default: return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_err("orders new: unexpected argument \"%.80s\"", argv[optind]);
		return EXIT_USAGE;
	}
	if (a->cn == NULL) {
		cli_err("orders new: --cn NAME is required");
		return EXIT_USAGE;
	}
	return 0;
}

static int orders_new(int argc, char **argv)
{
	struct new_args a = { .db_path = "certsweep.db", .profile = "sectigo" };
	struct ep_ids *eps = NULL;
	struct store *st = NULL;
	char sans[MAX_SANS * (NAME_MAX_LEN + 1) + 1], err[256], today[32];
	char *key = NULL;
	time_t now = time(NULL);
	int64_t id = 0;
	int max, rc = EXIT_RUNTIME, r;

	if ((r = new_parse(argc, argv, &a)) != 0)
		return r < 0 ? EXIT_OK : r;
	max = orders_default_duration(now);
	if (a.duration > max) {
		iso8601_utc(today, sizeof(today), now);
		today[10] = '\0';
		cli_err("--duration: %ld days is above the CA/Browser Forum maximum of %d days for a "
		        "certificate issued on %s (ballot SC081)", a.duration, max, today);
		return EXIT_USAGE;
	}
	sans[0] = '\0';
	sans_add(sans, sizeof(sans), a.cn);
	for (size_t i = 0; i < a.n_sans; i++)
		if (sans_add(sans, sizeof(sans), a.sans[i]) != 0) {
			cli_err("--san: too many names");
			return EXIT_USAGE;
		}
	if ((eps = calloc(1, sizeof(*eps))) == NULL) {
		cli_err("out of memory");
		return EXIT_RUNTIME;
	}
	if ((st = open_db(a.db_path, 0)) == NULL)
		goto out;
	for (size_t i = 0; i < a.n_endpoints; i++) {
		char ip[64];
		int port;

		if (parse_endpoint(a.endpoints[i], ip, sizeof(ip), &port) != 0) {
			rc = EXIT_USAGE;
			goto out;
		}
		eps->found = 0;
		r = store_each_endpoint_at(st, ip, port, add_ep, eps);
		if (r < 0) {
			rc = store_fail(st);
			goto out;
		}
		if (r > 0) {
			cli_err("--endpoint: more than %d endpoints", MAX_ENDPOINT_IDS);
			rc = EXIT_USAGE;
			goto out;
		}
		if (eps->found == 0) {
			cli_err("--endpoint: no endpoint %s in the inventory (scan it first)",
			        a.endpoints[i]); /* validated: an address and a port */
			rc = EXIT_USAGE;
			goto out;
		}
	}
	key = orders_lineage_key(sans, a.cn, eps->v, eps->n, err, sizeof(err));
	if (key == NULL) {
		cli_err("orders new: %s", err);
		goto out;
	}
	{
		struct order_new on = {
			.lineage_key = key,
			.status = order_status_name(ORDER_WAITING_CSR),
			.product = a.product,
			.duration_days = a.duration > 0 ? (int)a.duration : max,
			.common_name = a.cn,
			.sans = sans,
			.reason = "",
			.ca_profile = a.profile,
			.created_by = "manual",
			.endpoint_ids = eps->v,
			.n_endpoints = eps->n,
			.note = a.note,
		};

		r = store_order_create(st, &on, &id);
	}
	if (r < 0) {
		rc = store_fail(st);
		goto out;
	}
	if (r == 1) {
		cli_err("orders new: order %" PRId64 " is already open for this lineage (same names "
		        "on the same endpoints): cancel it first or use it", id);
		rc = EXIT_USAGE;
		goto out;
	}
	printf("order %" PRId64 " created: %s, %d days, Waiting for CSR\n", id, a.cn,
	       a.duration > 0 ? (int)a.duration : max);
	rc = EXIT_OK;
out:
	free(key);
	free(eps);
	return finish_output(close_db(st, rc));
}

/* ---------------------------------------------------------------- status, cancel */

/* Applies a validated change to order id: to_status (NULL: keep), to_ca (has_ca: set). */
static int change(const char *db_path, int64_t id, const char *to_status_name, int has_ca,
                  const char *to_ca_name, const char *note)
{
	struct order_rec o = { 0 };
	struct store *st = NULL;
	enum order_status from, to;
	enum ca_state ca_from = CA_NONE, ca_to;
	char err[256];
	int rc = EXIT_RUNTIME, r;

	if (to_status_name != NULL && order_status_parse(to_status_name, &to) != 0) {
		cli_err("orders status: unknown status \"%.40s\" (Waiting for CSR, Processing, "
		        "Awaiting payment, Issued, Installed, Rejected, Cancelled)", to_status_name);
		return EXIT_USAGE;
	}
	if (has_ca && ca_state_parse(to_ca_name, &ca_to) != 0) {
		cli_err("--ca-state: unknown CA state \"%.60s\" (Accepted for automatic processing, "
		        "Waiting for manual approval, Accepted by CA, Rejected by CA, Certificate "
		        "available for download)", to_ca_name);
		return EXIT_USAGE;
	}
	if ((st = open_db(db_path, 1)) == NULL)
		return EXIT_RUNTIME;
	if ((r = get_order(st, id, db_path, &o)) != 0) {
		rc = r;
		goto out;
	}
	if (order_status_parse(o.status, &from) != 0 ||
	    (o.ca_state != NULL && ca_state_parse(o.ca_state, &ca_from) != 0)) {
		cli_err("order %" PRId64 ": the stored status is not one certsweep knows", id);
		goto out;
	}
	if (to_status_name == NULL)
		to = from;
	if (!has_ca)
		ca_to = ca_from;
	if (orders_check_change(id, from, to, ca_from, ca_to, err, sizeof(err)) != 0) {
		cli_err("%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (store_order_transition(st, id, o.status, o.ca_state, order_status_name(to),
	                           ca_state_name(ca_to), "manual", note) != 0) {
		rc = store_fail(st);
		goto out;
	}
	printf("order %" PRId64 ": %s -> %s", id, o.status, order_status_name(to));
	if (ca_to != ca_from)
		printf("; CA: %s -> %s", o.ca_state != NULL ? o.ca_state : "none", ca_state_name(ca_to));
	printf("\n");
	rc = EXIT_OK;
out:
	order_rec_free(&o);
	return finish_output(close_db(st, rc));
}

static const char status_usage[] =
	"usage: certsweep orders status ID STATUS [--ca-state STATE] [--note TEXT] [--db FILE]\n"
	"\n"
	"  Moves an order by hand; illegal transitions are refused (see 'man certsweep', ORDERS).\n"
	"  STATUS: \"Waiting for CSR\", Processing, \"Awaiting payment\", Issued, Installed,\n"
	"  Rejected, Cancelled (or as slugs: awaiting-payment); the same status with --ca-state\n"
	"  changes only the CA state: \"Accepted for automatic processing\", \"Waiting for manual\n"
	"  approval\", \"Accepted by CA\", \"Rejected by CA\", \"Certificate available for download\".\n";

static int orders_status(int argc, char **argv)
{
	const char *db_path = "certsweep.db", *ca = NULL, *note = NULL;
	int64_t id;
	int ch;

	optind = 1;
	while ((ch = next_opt(argc, argv, "status", "dCN")) != -1) {
		switch (ch) {
		case O_DB: db_path = optarg; break;
		case O_CA: ca = optarg; break;
		case O_NOTE:
			if (check_note(optarg) != 0)
				return EXIT_USAGE;
			note = optarg;
			break;
		case O_HELP: fputs(status_usage, stdout); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		fputs(status_usage, stderr);
		return EXIT_USAGE;
	}
	if (parse_id("status", argv[optind], &id) != 0)
		return EXIT_USAGE;
	return change(db_path, id, argv[optind + 1], ca != NULL, ca, note);
}

static const char cancel_usage[] =
	"usage: certsweep orders cancel ID [--note TEXT] [--db FILE]\n";

static int orders_cancel(int argc, char **argv)
{
	const char *db_path = "certsweep.db", *note = NULL;
	int64_t id;
	int ch;

	optind = 1;
	while ((ch = next_opt(argc, argv, "cancel", "dN")) != -1) {
		switch (ch) {
		case O_DB: db_path = optarg; break;
		case O_NOTE:
			if (check_note(optarg) != 0)
				return EXIT_USAGE;
			note = optarg;
			break;
		case O_HELP: fputs(cancel_usage, stdout); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fputs(cancel_usage, stderr);
		return EXIT_USAGE;
	}
	if (parse_id("cancel", argv[optind], &id) != 0)
		return EXIT_USAGE;
	return change(db_path, id, order_status_name(ORDER_CANCELLED), 0, NULL, note);
}

/* ---------------------------------------------------------------- the table */

static const struct subcommand subcommands[] = {
	{ "list", "list orders (--status S, --json)", orders_list },
	{ "show", "one order with its endpoints and audit log", orders_show },
	{ "sync", "create orders from open findings (idempotent; --dry-run)", orders_sync_cmd },
	{ "new", "create an order by hand", orders_new },
	{ "status", "move an order to another status or CA state", orders_status },
	{ "cancel", "cancel an order", orders_cancel },
	{ "csr", "generate or import the order's key and CSR", orders_csr_cmd },
	{ "dcv", "domain control validation values (file, CNAME, email)", orders_dcv_cmd },
	{ "dcv-check", "pre-check the DCV file and CNAME as a CA would", orders_dcv_check_cmd },
	{ "issue", "issue the certificate over ACME (RFC 8555) or from a local CA", orders_issue_cmd },
	{ "import", "import the certificate a CA issued (PEM, DER, PKCS#7, .zip)", orders_import_cmd },
	{ "install", "install certificate, chain and key, then reload", orders_install_cmd },
	{ "verify", "rescan the order's endpoints to confirm the new certificate", orders_verify_cmd },
};

#define N_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void orders_usage(FILE *out)
{
	fprintf(out, "usage: certsweep orders SUBCOMMAND [OPTIONS] [--db FILE]\n\nsubcommands:\n");
	for (size_t i = 0; i < N_SUBCOMMANDS; i++)
		fprintf(out, "  %-10s %s%s\n", subcommands[i].name, subcommands[i].summary,
		        subcommands[i].run == NULL ? " (not implemented yet)" : "");
	fprintf(out, "\nRun 'certsweep orders SUBCOMMAND --help' for its options.\n");
}

int cmd_orders(int argc, char **argv)
{
	if (argc < 2) {
		orders_usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		orders_usage(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < N_SUBCOMMANDS; i++) {
		if (strcmp(argv[1], subcommands[i].name) != 0)
			continue;
		if (subcommands[i].run == NULL) {
			cli_err("orders %s: not implemented yet (see issue 4)", subcommands[i].name);
			return EXIT_USAGE;
		}
		return subcommands[i].run(argc - 1, argv + 1);
	}
	{
		char *s = tsafe(argv[1]);

		cli_err("orders: unknown subcommand \"%.40s\" (try 'certsweep orders --help')",
		        s ? s : "?");
		free(s);
	}
	return EXIT_USAGE;
}
