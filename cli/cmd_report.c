/*
 * cmd_report.c: `certsweep report`: reads the inventory (read-only), loads the snapshot the
 * scope options name (store/inventory.h) and prints it with one of the writers in formats[].
 *
 * Files are written whole or not at all: the report goes to a temporary file next to the
 * target that is moved into place when complete (orders/atomic_file.h), so a nightly job
 * killed halfway leaves yesterday's report, not half of today's. CSV without --view writes one file per view into the folder -o names, or
 * the endpoints view when -o names a .csv file.
 * The HTML dashboard includes the changes since the previous scan of the same sweep, when
 * there is one and the scope is one scan (--no-diff leaves them out).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "core/text.h"
#include "orders/atomic_file.h"
#include "report/diff.h"
#include "report/html.h"
#include "report/report.h"
#include "store/inventory.h"
#include "store/store.h"

/* What a writer gets: the snapshot, the view chosen (NULL: all / the format's default), the
 * diff against the previous scan (NULL when none). */
struct report_job {
	const struct inventory *inv;
	const struct view *view;
	const struct diff_result *diff;
};

struct report_format {
	const char *name;
	int (*write)(const struct report_job *job, FILE *out, char *err, size_t errlen);
};

static int write_csv(const struct report_job *job, FILE *out, char *err, size_t errlen)
{
	return report_csv_view(job->inv, job->view != NULL ? job->view : report_views[0], out, err,
	                       errlen);
}

static int write_json(const struct report_job *job, FILE *out, char *err, size_t errlen)
{
	return report_json(job->inv, job->view, out, err, errlen);
}

static int write_html(const struct report_job *job, FILE *out, char *err, size_t errlen)
{
	return report_html(job->inv, job->diff, out, err, errlen);
}

static int write_text(const struct report_job *job, FILE *out, char *err, size_t errlen)
{
	return report_text(job->inv, out, err, errlen);
}

static const struct report_format formats[] = {
	{ "csv", write_csv },
	{ "json", write_json },
	{ "html", write_html },
	{ "text", write_text },
};

static const char *usage_text =
	"usage: certsweep report [--format csv|json|html|text] [--view VIEW] [--db FILE]\n"
	"                        [--scan ID | --sweep NAME | --since DATE] [-o PATH]\n"
	"\n"
	"  -f, --format FMT   csv   RFC 4180 tables, one per view (default)\n"
	"                     json  the views as arrays of objects, with the summary\n"
	"                     html  a self-contained dashboard: summary, charts, sortable tables\n"
	"                     text  the TLS endpoints and their certificates, for a terminal\n"
	"      --view VIEW    endpoints, certificates, findings or orders (csv, json)\n"
	"      --db FILE      inventory to read (default ./certsweep.db)\n"
	"      --scan ID      this scan\n"
	"      --sweep NAME   the latest scan of this sweep (--name is the same)\n"
	"      --since DATE   every sweep since DATE (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ, or 7d,\n"
	"                     12h, 2w ago): each endpoint as its latest sweep saw it\n"
	"                     (with --sweep: that sweep's scans only)\n"
	"                     default: the latest sweep of any name\n"
	"      --no-diff      html: leave out the changes since the previous scan\n"
	"  -o, --output PATH  write here instead of stdout; csv without --view: a folder that\n"
	"                     gets endpoints.csv, certificates.csv, findings.csv, orders.csv\n"
	"                     (a PATH ending in .csv gets the endpoints view)\n"
	"\n"
	"Columns and JSON fields: doc/report-formats.md (man certsweep).\n";

/* Writes one report to path (NULL: stdout) through a temporary file moved into place. */
static int emit(const struct report_format *fmt, const struct report_job *job, const char *path)
{
	struct atomic_stream as;
	char err[512] = "";

	if (path == NULL) {
		if (fmt->write(job, stdout, err, sizeof(err)) != 0) {
			if (errno != EPIPE) /* a reader that stopped early (| head) is not an error */
				cli_err("%s", err);
			return -1;
		}
		return 0;
	}
	if (atomic_stream_open(&as, path, 0644, err, sizeof(err)) != 0) {
		cli_err("-o: %s", err);
		return -1;
	}
	if (fmt->write(job, as.f, err, sizeof(err)) != 0) {
		cli_err("%s", err);
		atomic_stream_abort(&as);
		return -1;
	}
	if (atomic_stream_commit(&as, err, sizeof(err)) != 0) {
		cli_err("-o: %s", err);
		return -1;
	}
	return 0;
}

/* CSV without --view: the four views into folder dir (created when missing). */
static int emit_csv_folder(const struct report_format *fmt, struct report_job *job,
                           const char *dir)
{
	struct stat sb;
	char path[PATH_MAX];

	if (stat(dir, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
		cli_err("-o %.200s: csv without --view writes one file per view into a folder, and "
		        "this is a file: give a folder, a name ending in .csv, or one view with --view",
		        dir);
		return -1;
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		cli_err("-o: cannot create the folder %.200s: %s", dir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; report_views[i] != NULL; i++) {
		int n = snprintf(path, sizeof(path), "%s/%s.csv", dir, report_views[i]->name);

		if (n < 0 || (size_t)n >= sizeof(path)) {
			cli_err("-o: folder name too long");
			return -1;
		}
		job->view = report_views[i];
		if (emit(fmt, job, path) != 0)
			return -1;
	}
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static const struct report_format *find_format(const char *name)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(name, formats[i].name) == 0)
			return &formats[i];
	return NULL;
}

int cmd_report(int argc, char **argv)
{
	enum { OPT_VIEW = 1, OPT_SINCE, OPT_NO_DIFF };
	static const struct option long_opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "view", required_argument, NULL, OPT_VIEW },
		{ "db", required_argument, NULL, 'd' },
		{ "scan", required_argument, NULL, 's' },
		{ "sweep", required_argument, NULL, 'n' },
		{ "name", required_argument, NULL, 'n' },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "no-diff", no_argument, NULL, OPT_NO_DIFF },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct report_format *fmt = &formats[0];
	const char *db_path = "certsweep.db", *out_path = NULL;
	struct inv_scope scope = { 0 };
	struct report_job job = { 0 };
	struct inventory *inv = NULL, *prev = NULL;
	struct diff_result diff = { 0 };
	struct store *st = NULL;
	char err[512], safe[512];
	int ch, rc = EXIT_RUNTIME, no_diff = 0, r;
	long v;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "f:o:h", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if ((fmt = find_format(optarg)) == NULL) {
				text_terminal(safe, sizeof(safe), optarg);
				cli_err("--format: unknown format \"%.40s\" (available: csv, json, html, text)",
				        safe);
				return EXIT_USAGE;
			}
			break;
		case OPT_VIEW:
			if ((job.view = report_view(optarg)) == NULL) {
				text_terminal(safe, sizeof(safe), optarg);
				cli_err("--view: unknown view \"%.40s\" (available: endpoints, certificates, "
				        "findings, orders)", safe);
				return EXIT_USAGE;
			}
			break;
		case 'd': db_path = optarg; break;
		case 's':
			if (opt_int("--scan", optarg, 1, LONG_MAX, &v) != 0)
				return EXIT_USAGE;
			scope.scan_id = v;
			break;
		case 'n': scope.sweep = optarg; break;
		case OPT_SINCE:
			if (opt_since("--since", optarg, (int64_t)time(NULL), &scope.since) != 0)
				return EXIT_USAGE;
			if (scope.since <= 0)
				scope.since = 1;
			break;
		case OPT_NO_DIFF: no_diff = 1; break;
		case 'o': out_path = optarg; break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		default:
			fputs("Try 'certsweep report --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		text_terminal(safe, sizeof(safe), argv[optind]);
		cli_err("report: unexpected argument \"%.80s\"", safe);
		return EXIT_USAGE;
	}
	if (scope.scan_id > 0 && (scope.sweep != NULL || scope.since > 0)) {
		cli_err("--scan names one scan: it goes with neither --sweep nor --since");
		return EXIT_USAGE;
	}
	if (job.view != NULL && (strcmp(fmt->name, "html") == 0 || strcmp(fmt->name, "text") == 0)) {
		cli_err("--view goes with --format csv or json (the %s report shows every view)",
		        fmt->name);
		return EXIT_USAGE;
	}
	if (out_path != NULL && (out_path[0] == '\0' || strcmp(out_path, "-") == 0))
		out_path = NULL;
	st = store_open_readonly(db_path, err, sizeof(err));
	if (st == NULL) {
		cli_err("%s", err);
		goto out;
	}
	if ((r = store_inventory_load(st, &scope, &inv)) != 0) {
		text_terminal(safe, sizeof(safe), store_errmsg(st));
		cli_err("%s (in %.200s)", safe, db_path);
		goto out;
	}
	job.inv = inv;
	if (strcmp(fmt->name, "html") == 0 && !no_diff && scope.since == 0 && inv->n_scans == 1) {
		struct inv_scope ps = { .scan_id = store_previous_scan(st, inv->scans[0].id) };

		if (ps.scan_id > 0) {
			if (store_inventory_load(st, &ps, &prev) != 0) {
				text_terminal(safe, sizeof(safe), store_errmsg(st));
				cli_err("reading the previous scan: %s", safe);
				goto out;
			}
			if (diff_compute(prev, inv, &diff) != 0) {
				cli_err("out of memory comparing with the previous scan");
				goto out;
			}
			job.diff = &diff;
		}
	}
	if (strcmp(fmt->name, "csv") == 0 && job.view == NULL && out_path != NULL &&
	    !ends_with(out_path, ".csv"))
		r = emit_csv_folder(fmt, &job, out_path);
	else
		r = emit(fmt, &job, out_path);
	if (r != 0)
		goto out;
	rc = EXIT_OK;
out:
	diff_free(&diff);
	inventory_free(prev);
	inventory_free(inv);
	store_close(st);
	return rc;
}
