/*
 * cmd_report.c: `certsweep report`: reads the inventory (read-only) and writes a report.
 * Formats are a table of writers; today: csv (latest sweep, endpoint x leaf certificate).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/text.h"
#include "report/report.h"
#include "store/store.h"

struct report_format {
	const char *name;
	int (*write)(struct store *st, int64_t scan_id, FILE *out, char *err, size_t errlen);
};

static const struct report_format formats[] = {
	{ "csv", report_csv_leaf },
	{ "text", report_text_leaf },
};

static const char *usage_text =
	"usage: certsweep report [--format csv|text] [--db FILE] [--scan ID | --name NAME] [-o FILE]\n"
	"\n"
	"  -f, --format FMT   csv: one row per endpoint x leaf certificate of the sweep (default)\n"
	"                     text: the same rows as a table for the terminal\n"
	"      --db FILE      inventory to read (default ./certsweep.db)\n"
	"      --scan ID      report this scan (default: the latest)\n"
	"      --name NAME    report the latest scan of this sweep name\n"
	"  -o, --output FILE  write here instead of stdout\n";

int cmd_report(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "db", required_argument, NULL, 'd' },
		{ "scan", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct report_format *fmt = &formats[0];
	const char *db_path = "certsweep.db", *name = NULL, *out_path = NULL;
	struct store *st = NULL;
	FILE *out = stdout;
	int64_t scan_id = 0;
	char err[512], safe[512];
	long v;
	int ch, rc = EXIT_RUNTIME;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "f:o:h", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			fmt = NULL;
			for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
				if (strcmp(optarg, formats[i].name) == 0)
					fmt = &formats[i];
			if (fmt == NULL) {
				cli_err("--format: unknown format \"%.40s\" (available: csv, text)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'd': db_path = optarg; break;
		case 's':
			if (opt_int("--scan", optarg, 1, LONG_MAX, &v) != 0)
				return EXIT_USAGE;
			scan_id = v;
			break;
		case 'n': name = optarg; break;
		case 'o': out_path = optarg; break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		default:
			fputs("Try 'certsweep report --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_err("report: unexpected argument \"%.80s\"", argv[optind]);
		return EXIT_USAGE;
	}
	st = store_open_readonly(db_path, err, sizeof(err));
	if (st == NULL) {
		cli_err("%s", err);
		goto out;
	}
	if (scan_id != 0 && store_scan_exists(st, scan_id) != 1) {
		cli_err("no scan %lld in %s ('certsweep report' without --scan takes the latest)", (long long)scan_id,
		        db_path);
		goto out;
	}
	if (scan_id == 0 && (scan_id = store_latest_scan(st, name)) == 0) {
		text_terminal(safe, sizeof(safe), name != NULL ? name : "");
		cli_err("no scan %s%s%s in %s yet: run 'certsweep scan' first", name ? "named \"" : "",
		        safe, name ? "\"" : "", db_path);
		goto out;
	}
	if (out_path != NULL && (out = fopen(out_path, "w")) == NULL) {
		cli_err("-o: cannot write %.200s: %s", out_path, strerror(errno));
		goto out;
	}
	if (fmt->write(st, scan_id, out, err, sizeof(err)) != 0) {
		cli_err("%s", err);
		goto out;
	}
	if (fflush(out) != 0) {
		if (errno != EPIPE) /* a reader that stopped early (| head) is not an error to report */
			cli_err("write error: %s", strerror(errno));
		goto out;
	}
	rc = EXIT_OK;
out:
	if (out != stdout && out != NULL && fclose(out) != 0 && rc == EXIT_OK) {
		cli_err("write error on %.200s", out_path);
		rc = EXIT_RUNTIME;
	}
	store_close(st);
	return rc;
}
