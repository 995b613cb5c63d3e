/*
 * cmd_diff.c: `certsweep diff [A B]`: what changed between two scans (report/diff.h).
 * Without arguments: the latest sweep (of --sweep NAME, else of any name) against the scan of
 * the same sweep before it. With one argument: that scan against the one before it. With two:
 * A (older) against B (newer). Exit status 0, or with --exit-code 1 when something changed.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/text.h"
#include "report/diff.h"
#include "store/inventory.h"
#include "store/store.h"

static const char *usage_text =
	"usage: certsweep diff [--db FILE] [--sweep NAME] [--format text|json] [--exit-code] [A [B]]\n"
	"\n"
	"Compares two scans: new and vanished TLS endpoints, certificates that changed (renewed by\n"
	"the same issuer, or replaced by another), new findings and resolved findings.\n"
	"\n"
	"  A B                scan ids, A the older (default: the latest sweep and the scan of the\n"
	"                     same sweep before it; one id: that scan and the one before it)\n"
	"      --sweep NAME   the default compares the last two scans of this sweep\n"
	"      --db FILE      inventory to read (default ./certsweep.db)\n"
	"  -f, --format FMT   text (default) or json (schema certsweep.diff/1)\n"
	"      --exit-code    exit 1 when something changed, 0 when nothing did\n";

int cli_print_diff(struct store *st, int64_t ida, int64_t idb, int json)
{
	struct inventory *a = NULL, *b = NULL;
	struct diff_result d = { 0 };
	char safe[512];
	int rc = -1;

	if (store_inventory_load(st, &(struct inv_scope){ .scan_id = ida }, &a) != 0 ||
	    store_inventory_load(st, &(struct inv_scope){ .scan_id = idb }, &b) != 0) {
		text_terminal(safe, sizeof(safe), store_errmsg(st));
		cli_err("diff: %s", safe);
		goto out;
	}
	if (diff_compute(a, b, &d) != 0) {
		cli_err("diff: out of memory comparing scans %lld and %lld", (long long)ida,
		        (long long)idb);
		goto out;
	}
	if ((json ? diff_write_json(&d, stdout) : diff_write_text(&d, stdout)) != 0 ||
	    fflush(stdout) != 0) {
		cli_err("diff: write error");
		goto out;
	}
	rc = diff_empty(&d) ? 0 : 1;
out:
	diff_free(&d);
	inventory_free(a);
	inventory_free(b);
	return rc;
}

int cmd_diff(int argc, char **argv)
{
	enum { OPT_EXIT_CODE = 1 };
	static const struct option long_opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "sweep", required_argument, NULL, 'n' },
		{ "name", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "exit-code", no_argument, NULL, OPT_EXIT_CODE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db_path = "certsweep.db", *sweep = NULL;
	struct store *st = NULL;
	int64_t ida = 0, idb = 0;
	char err[512], safe[512];
	int ch, json = 0, exit_code = 0, rc = EXIT_RUNTIME, r;
	long v;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "f:h", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db_path = optarg; break;
		case 'n': sweep = optarg; break;
		case 'f':
			if (strcmp(optarg, "json") == 0) {
				json = 1;
			} else if (strcmp(optarg, "text") != 0) {
				text_terminal(safe, sizeof(safe), optarg);
				cli_err("--format: unknown format \"%.40s\" (available: text, json)", safe);
				return EXIT_USAGE;
			}
			break;
		case OPT_EXIT_CODE: exit_code = 1; break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		default:
			fputs("Try 'certsweep diff --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 2) {
		text_terminal(safe, sizeof(safe), argv[optind + 2]);
		cli_err("diff: unexpected argument \"%.80s\" (give at most two scan ids)", safe);
		return EXIT_USAGE;
	}
	if (argc - optind >= 1) {
		if (sweep != NULL) {
			cli_err("--sweep chooses the default scans: it does not go with scan ids");
			return EXIT_USAGE;
		}
		if (opt_int("diff: scan id", argv[optind], 1, LONG_MAX, &v) != 0)
			return EXIT_USAGE;
		idb = v;
		if (argc - optind == 2) {
			ida = idb;
			if (opt_int("diff: scan id", argv[optind + 1], 1, LONG_MAX, &v) != 0)
				return EXIT_USAGE;
			idb = v;
		}
	}
	if ((st = store_open_readonly(db_path, err, sizeof(err))) == NULL) {
		cli_err("%s", err);
		goto out;
	}
	if (idb == 0 && (idb = store_latest_scan(st, sweep)) == 0) {
		text_terminal(safe, sizeof(safe), sweep != NULL ? sweep : "");
		cli_err("no finished sweep%s%s%s in %.200s yet: run 'certsweep scan' first",
		        sweep ? " named \"" : "", safe, sweep ? "\"" : "", db_path);
		goto out;
	}
	if (store_scan_exists(st, idb) != 1) {
		cli_err("no scan %lld in %.200s", (long long)idb, db_path);
		goto out;
	}
	if (ida == 0 && (ida = store_previous_scan(st, idb)) == 0) {
		cli_err("scan %lld is the first of its sweep: nothing to compare it with (give two "
		        "scan ids: certsweep diff A B)", (long long)idb);
		goto out;
	}
	if ((r = cli_print_diff(st, ida, idb, json)) < 0)
		goto out;
	rc = exit_code && r == 1 ? EXIT_FINDINGS : EXIT_OK;
out:
	store_close(st);
	return rc;
}
