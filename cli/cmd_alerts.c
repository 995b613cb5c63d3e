/*
 * cmd_alerts.c: `certsweep alerts run|test`.
 *
 *   run   for each --channel (default stdout), collects the alerts due on it
 *         (alerts_collect), sends them in one call, and only when that succeeds marks them sent
 *         and records the run; a failed channel is reported and retried next run (exit 1).
 *   test  sends one synthetic expiry alert on each channel; the database is not opened.
 * Exit: 0 all channels succeeded, 1 a channel failed, 2 usage, 3 database.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "alerts/alerts.h"
#include "cli/cli.h"
#include "cli/cmd_alerts.h"
#include "core/text.h"
#include "store/store.h"

#define MAX_CHANNELS 16

static const char *usage_text =
	"usage: certsweep alerts run|test [--db FILE] [--thresholds 30,14,7,1]\n"
	"                 [--channel stdout|sendmail:CMD|webhook:URL|ics:FILE]...\n"
	"                 [--mail-from ADDR --mail-to ADDR] [--timeout 10s]\n"
	"\n"
	"  run                  send the alerts due: certificates served now at or below a threshold\n"
	"                       of days left (or expired), newly discovered certificates of a\n"
	"                       non-preferred CA, failed renewals; each once per threshold and channel\n"
	"  test                 send one synthetic alert on each channel (no database)\n"
	"      --db FILE        inventory (default ./certsweep.db)\n"
	"      --thresholds L   days before expiry, comma-separated (default 30,14,7,1)\n"
	"      --channel SPEC   stdout (default), sendmail:CMD (e.g. \"/usr/sbin/sendmail -t\", run\n"
	"                       without a shell), webhook:URL (JSON POST), ics:FILE (calendar of\n"
	"                       every served certificate's expiry date); repeatable\n"
	"      --mail-from ADDR, --mail-to ADDR   the sendmail message's From and To\n"
	"      --timeout DUR    per channel (default 10s)\n";

struct opts {
	const char *db_path, *specs[MAX_CHANNELS];
	const struct alert_channel *channels[MAX_CHANNELS];
	const char *args[MAX_CHANNELS];
	size_t n_channels;
	int thresholds[ALERTS_MAX_THRESHOLDS];
	size_t n_thresholds;
	struct alert_ctx ctx;
};

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option long_opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "thresholds", required_argument, NULL, 't' },
		{ "channel", required_argument, NULL, 'c' },
		{ "mail-from", required_argument, NULL, 'F' },
		{ "mail-to", required_argument, NULL, 'T' },
		{ "timeout", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[256], safe[512];
	long ms;
	int ch, n;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'd': o->db_path = optarg; break;
		case 't':
			n = alerts_parse_thresholds(optarg, o->thresholds, ALERTS_MAX_THRESHOLDS, err,
			                            sizeof(err));
			if (n < 0) {
				text_terminal(safe, sizeof(safe), err);
				cli_err("--thresholds: %s", safe);
				return EXIT_USAGE;
			}
			o->n_thresholds = (size_t)n;
			break;
		case 'c':
			if (o->n_channels == MAX_CHANNELS) {
				cli_err("--channel: at most %d channels", MAX_CHANNELS);
				return EXIT_USAGE;
			}
			o->channels[o->n_channels] = alerts_find_channel(optarg, &o->args[o->n_channels],
			                                                 err, sizeof(err));
			if (o->channels[o->n_channels] == NULL) {
				text_terminal(safe, sizeof(safe), err);
				cli_err("--channel: %s", safe);
				return EXIT_USAGE;
			}
			o->specs[o->n_channels++] = optarg;
			break;
		case 'F': o->ctx.mail_from = optarg; break;
		case 'T': o->ctx.mail_to = optarg; break;
		case 'w':
			if (opt_ms("--timeout", optarg, 100, 600000, &ms) != 0)
				return EXIT_USAGE;
			o->ctx.timeout_ms = ms;
			break;
		case 'h': fputs(usage_text, stdout); return -1;
		default:
			fputs("Try 'certsweep alerts --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (o->n_channels == 0) {
		o->channels[0] = alerts_find_channel("stdout", &o->args[0], err, sizeof(err));
		o->specs[o->n_channels++] = "stdout";
	}
	for (size_t i = 0; i < o->n_channels; i++)
		if (strcmp(o->channels[i]->name, "sendmail") == 0 &&
		    (o->ctx.mail_from == NULL || o->ctx.mail_to == NULL)) {
			cli_err("--channel sendmail: needs --mail-from and --mail-to");
			return EXIT_USAGE;
		}
	return 0;
}

/* Sends list on channel i; reports a failure. 0 or -1. */
static int send_one(struct opts *o, size_t i, const struct alert_list *l)
{
	char err[1024], safe[2048];
	struct alert_ctx ctx = o->ctx;

	ctx.arg = o->args[i];
	if (o->channels[i]->send(&ctx, l->v, l->n, err, sizeof(err)) != 0) {
		text_terminal(safe, sizeof(safe), err);
		cli_err("channel %s: %s; the %zu alert%s will be retried next run",
		        o->channels[i]->name, safe, l->n, l->n == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

static int run_test(struct opts *o)
{
	struct alert_list l = { 0 };
	struct alert a = {
		.kind = ALERT_EXPIRY,
		.key = (char *)(uintptr_t)"test",
		.threshold = 7,
		.days_left = 7,
		.not_after = (int64_t)o->ctx.now + 7 * 86400,
		.subject_cn = (char *)(uintptr_t)"certsweep alerts test",
		.sha256 = (char *)(uintptr_t)"0000000000000000000000000000000000000000000000000000000000000000",
		.endpoints = (char *)(uintptr_t)"127.0.0.1:443",
		.detail = (char *)(uintptr_t)"a test alert: nothing expires",
	};
	char iso[32];
	int rc = EXIT_OK;

	{
		time_t t = (time_t)a.not_after;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
		a.not_after_iso = iso;
	}
	if (alert_list_add(&l, &a) != 0) {
		cli_err("out of memory");
		return EXIT_RUNTIME;
	}
	for (size_t i = 0; i < o->n_channels; i++)
		if (send_one(o, i, &l) != 0)
			rc = EXIT_FINDINGS;
	alert_list_free(&l);
	return rc;
}

static int run_run(struct opts *o)
{
	char err[1024], safe[2048];
	struct store *st;
	int rc = EXIT_OK;

	st = store_open(o->db_path, err, sizeof(err));
	if (st == NULL) {
		text_terminal(safe, sizeof(safe), err);
		cli_err("%s", safe);
		return EXIT_RUNTIME;
	}
	for (size_t i = 0; i < o->n_channels && rc != EXIT_RUNTIME; i++) {
		struct alert_list l = { 0 };
		int64_t now = (int64_t)o->ctx.now;

		if (alerts_collect(st, o->channels[i], o->specs[i], o->thresholds, o->n_thresholds,
		                   now, &l, err, sizeof(err)) != 0) {
			text_terminal(safe, sizeof(safe), err);
			cli_err("channel %s: %s", o->channels[i]->name, safe);
			rc = EXIT_RUNTIME;
		} else if (l.n == 0 && !o->channels[i]->export_all) {
			/* nothing due: nothing to send, but the run counts */
			if (alerts_mark_sent(st, o->channels[i], o->specs[i], &l, now, err,
			                     sizeof(err)) != 0) {
				text_terminal(safe, sizeof(safe), err);
				cli_err("%s", safe);
				rc = EXIT_RUNTIME;
			}
		} else if (send_one(o, i, &l) != 0) {
			rc = EXIT_FINDINGS;
		} else if (alerts_mark_sent(st, o->channels[i], o->specs[i], &l, now, err,
		                            sizeof(err)) != 0) {
			text_terminal(safe, sizeof(safe), err);
			cli_err("channel %s: sent, but not recorded: %s", o->channels[i]->name, safe);
			rc = EXIT_RUNTIME;
		} else if (strcmp(o->channels[i]->name, "stdout") != 0) {
			fprintf(stderr, "certsweep: channel %s: %zu alert%s sent\n",
			        o->channels[i]->name, l.n, l.n == 1 ? "" : "s");
		}
		alert_list_free(&l);
	}
	if (store_close(st) != 0 && rc == EXIT_OK)
		rc = EXIT_RUNTIME;
	return rc;
}

int cmd_alerts(int argc, char **argv)
{
	struct opts o = {
		.db_path = "certsweep.db",
		.thresholds = { 30, 14, 7, 1 },
		.n_thresholds = 4,
		.ctx = { .timeout_ms = 10000, .out = stdout },
	};
	const char *verb;
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	verb = argv[1];
	if (strcmp(verb, "run") != 0 && strcmp(verb, "test") != 0) {
		char safe[128];

		text_terminal(safe, sizeof(safe), verb);
		cli_err("alerts: unknown subcommand \"%.40s\" (run, test)", safe);
		return EXIT_USAGE;
	}
	rc = parse(argc - 1, argv + 1, &o);
	if (rc != 0)
		return rc < 0 ? EXIT_OK : rc;
	o.ctx.now = time(NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = strcmp(verb, "run") == 0 ? run_run(&o) : run_test(&o);
	curl_global_cleanup();
	return rc;
}
