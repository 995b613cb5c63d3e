/*
 * cmd_sweep.c: `certsweep sweep NAME`: one run of a sweep of the configuration file
 * (cli/config.h), and `certsweep sweep --list`.
 *
 * A run, in order, all in this process:
 *   1. the lock: flock(LOCK_EX | LOCK_NB) on DB + ".sweep-NAME.lock", held until the run ends
 *      (the kernel drops it if the process dies), with "PID START" written into it; when
 *      another run holds it: "sweep NAME is already running (pid N, since TIME)", exit 75;
 *   2. the scan: cmd_scan() with the sweep's options, "--name NAME", the command line's extra
 *      options and the targets;
 *   3. unless the scan failed (exit 2, 3) or was interrupted (130, 143): the changes since the
 *      previous run of the sweep (report/diff.h, as `certsweep diff --sweep NAME` prints
 *      them), `certsweep alerts run` with the sweep's channels and thresholds, and each
 *      configured report (`certsweep report --sweep NAME`).
 * Exit: the scan's status (0, or 1 for findings at or above fail-on), 3 when the scan or a
 * later step failed, 2 for a mistake in the file or the command line, 75 (EX_TEMPFAIL) when
 * the sweep is already running, 130/143 when the scan was interrupted.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd_alerts.h"
#include "cli/config.h"
#include "core/text.h"
#include "store/store.h"

static const char *usage_text =
	"usage: certsweep sweep NAME [--config FILE] [--dry-run] [SCAN OPTIONS...]\n"
	"       certsweep sweep --list [--config FILE]\n"
	"\n"
	"Runs the sweep NAME of the configuration file: its scan, then the changes since its\n"
	"previous run, its alerts and its reports. A lock next to the database keeps two runs of\n"
	"the same sweep apart.\n"
	"\n"
	"      --config FILE  the configuration (default: $CERTSWEEP_CONFIG, else\n"
	"                     " CONFIG_DEFAULT_PATH ")\n"
	"      --list         check the file and list its sweeps\n"
	"      --dry-run      check the file and print what the run would do\n"
	"  SCAN OPTIONS       after NAME: given to the scan after the configured options\n"
	"                     (e.g. --resume, --shard 0/4, --fail-on high)\n"
	"\n"
	"Exit: the scan's (0 ok, 1 findings at or above fail-on, 130/143 interrupted); 2 a mistake\n"
	"in the file or the command line; 3 the scan, the diff, the alerts or a report failed;\n"
	"75 the sweep is already running.\n";

/* ---------------------------------------------------------------------------- lock */

/* Takes the lock of the run (see the top of the file). Sets *fd (the caller closes it at the
 * end of the run, which releases the lock). EXIT_OK, EXIT_LOCKED or EXIT_RUNTIME. */
static int take_lock(const struct config_plan *plan, int *fd)
{
	char path[PATH_MAX], info[128], since[64], safe[PATH_MAX];
	time_t now = time(NULL);
	struct tm tm;
	ssize_t n;
	long pid;
	int len;

	*fd = -1;
	if (config_lock_path(plan, path, sizeof(path)) != 0) {
		cli_err("sweep %s: the lock file name is too long", plan->name);
		return EXIT_RUNTIME;
	}
	text_terminal(safe, sizeof(safe), path);
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644)) < 0) {
		cli_err("sweep %s: cannot open the lock %s: %s", plan->name, safe, strerror(errno));
		return EXIT_RUNTIME;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		int busy = errno == EWOULDBLOCK;

		if (busy && (n = pread(*fd, info, sizeof(info) - 1, 0)) > 0) {
			info[n] = '\0';
			if (sscanf(info, "%ld %63s", &pid, since) == 2) {
				text_terminal(safe, sizeof(safe), since);
				cli_err("sweep %s is already running (pid %ld, since %s)", plan->name, pid,
				        safe);
				return EXIT_LOCKED;
			}
		}
		if (busy)
			cli_err("sweep %s is already running (lock %s)", plan->name, safe);
		else
			cli_err("sweep %s: cannot lock %s: %s", plan->name, safe, strerror(errno));
		return busy ? EXIT_LOCKED : EXIT_RUNTIME;
	}
	gmtime_r(&now, &tm);
	strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);
	len = snprintf(info, sizeof(info), "%ld %s\n", (long)getpid(), since);
	if (ftruncate(*fd, 0) != 0 || pwrite(*fd, info, (size_t)len, 0) != (ssize_t)len) {
		cli_err("sweep %s: cannot write the lock %s: %s", plan->name, safe, strerror(errno));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* ---------------------------------------------------------------------------- steps */

/* Prints the changes between the sweep's latest scan (the one just run) and the one before.
 * 0, or -1 after printing why. */
static int run_diff(const struct config_plan *plan)
{
	struct store *st;
	char err[512], safe[512];
	int64_t ida, idb;
	int rc = -1;

	if ((st = store_open_readonly(plan->db, err, sizeof(err))) == NULL) {
		text_terminal(safe, sizeof(safe), err);
		cli_err("diff: %s", safe);
		return -1;
	}
	if ((idb = store_latest_scan(st, plan->name)) == 0) {
		cli_err("diff: no finished scan of sweep %s", plan->name);
		goto out;
	}
	if ((ida = store_previous_scan(st, idb)) == 0) {
		printf("First run of sweep %s (scan %lld): nothing to compare with yet.\n", plan->name,
		       (long long)idb);
		rc = 0;
		goto out;
	}
	rc = cli_print_diff(st, ida, idb, 0) < 0 ? -1 : 0;
out:
	store_close(st);
	return rc;
}

static void section(const char *title, const char *name)
{
	printf("\n== %s%s ==\n", title, name);
	fflush(stdout);
}

/* Steps 2 and 3 of a run (the lock is held). Returns the run's exit status. */
static int run_steps(const struct config_plan *plan)
{
	char safe[PATH_MAX];
	int rc, failed = 0;

	printf("== sweep %s: scan ==\n", plan->name);
	fflush(stdout);
	rc = cmd_scan(plan->scan.n, plan->scan.v);
	fflush(stdout);
	if (rc != EXIT_OK && rc != EXIT_FINDINGS) {
		cli_err("sweep %s: the scan %s (exit %d): no diff, alerts or reports", plan->name,
		        rc > 128 ? "was interrupted" : "failed", rc);
		return rc;
	}
	if (plan->diff) {
		section("changes since the previous run of sweep ", plan->name);
		failed |= run_diff(plan) != 0;
	}
	if (plan->alerts.n > 0) {
		section("alerts", "");
		if (cmd_alerts(plan->alerts.n, plan->alerts.v) != EXIT_OK) {
			cli_err("sweep %s: the alerts failed", plan->name);
			failed = 1;
		}
	}
	if (plan->n_reports > 0)
		section("reports", "");
	for (size_t i = 0; i < plan->n_reports; i++) {
		const struct config_argv *r = &plan->reports[i];
		const char *out = r->v[r->n - 1], *fmt = r->v[r->n - 3];

		fflush(stdout);
		text_terminal(safe, sizeof(safe), out);
		if (cmd_report(r->n, r->v) != EXIT_OK) {
			cli_err("sweep %s: the %s report %s failed", plan->name, fmt, safe);
			failed = 1;
		} else {
			printf("%s report: %s\n", fmt, safe);
		}
	}
	rc = failed ? EXIT_RUNTIME : rc;
	printf("\n== sweep %s: done, exit %d ==\n", plan->name, rc);
	fflush(stdout);
	return rc;
}

static int run_sweep(const struct config *c, const struct config_section *s, char *const *extra,
                     int n_extra, int dry_run)
{
	struct config_plan plan;
	char err[512];
	int rc, fd = -1;

	if (config_plan(c, s, time(NULL), extra, n_extra, &plan, err, sizeof(err)) != 0) {
		cli_err("sweep %s: %s", s->name, err);
		return EXIT_RUNTIME;
	}
	if (dry_run) {
		printf("sweep %s would run:\n", s->name);
		config_plan_print(&plan, stdout);
		rc = EXIT_OK;
		goto out;
	}
	if ((rc = take_lock(&plan, &fd)) != EXIT_OK)
		goto out;
	rc = run_steps(&plan);
out:
	if (fd >= 0)
		close(fd);
	config_plan_free(&plan);
	return rc;
}

/* ---------------------------------------------------------------------------- list */

/* Appends the values of key to buf (space-separated, terminal-safe), prefix before each. */
static void describe(char *buf, size_t len, const struct config *c, const struct config_section *s,
                     const char *key, const char *prefix)
{
	int k = config_key_find(key);
	const struct config_section *src = config_source(c, s, k);
	char safe[CONFIG_MAX_LINE * 4 + 1];
	size_t used = strlen(buf);

	for (size_t i = 0; src != NULL && i < src->n && used + 1 < len; i++) {
		if (src->v[i].key != k)
			continue;
		text_terminal(safe, sizeof(safe), src->v[i].text);
		snprintf(buf + used, len - used, "%s%s%s", used > 0 ? " " : "", prefix, safe);
		used = strlen(buf);
	}
}

static void list_sweeps(const struct config *c)
{
	for (size_t i = 0; i < c->n_sweeps; i++) {
		const struct config_section *s = &c->sweeps[i];
		const struct config_value *ports = config_get(c, s, config_key_find("ports"));
		char targets[1024] = "", safe[CONFIG_MAX_LINE * 4 + 1];

		describe(targets, sizeof(targets), c, s, "targets", "");
		describe(targets, sizeof(targets), c, s, "targets-file", "file:");
		if (strlen(targets) > 60)
			memcpy(targets + 57, "...", 4);
		text_terminal(safe, sizeof(safe), ports != NULL ? ports->text : "443");
		printf("%-20s line %-5d %s (ports %s)\n", s->name, s->line, targets, safe);
	}
}

/* ---------------------------------------------------------------------------- command */

/* 1 when a is --db or --name, or a prefix getopt_long would take for one ("--na", "--db=x"):
 * the lock, the diff and the reports go by the configured ones. */
static int names_db_or_name(const char *a)
{
	size_t n = strcspn(a, "=");

	if (n <= 2 || strncmp(a, "--", 2) != 0)
		return 0;
	return (n <= 4 && strncmp(a, "--db", n) == 0) || (n <= 6 && strncmp(a, "--name", n) == 0);
}

int cmd_sweep(int argc, char **argv)
{
	const char *cfg_path = NULL, *name = NULL;
	const struct config_section *s;
	struct config *c = NULL;
	char **extra = NULL, safe[256];
	int n_extra = 0, list = 0, dry_run = 0, rc = EXIT_USAGE;

	if ((extra = calloc((size_t)argc + 1, sizeof(*extra))) == NULL) {
		cli_err("out of memory");
		return EXIT_RUNTIME;
	}
	/* by hand, not getopt: everything after NAME but our own options goes to the scan */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--config") == 0 || strncmp(a, "--config=", 9) == 0) {
			if (a[8] == '=') {
				cfg_path = a + 9;
			} else if (i + 1 < argc) {
				cfg_path = argv[++i];
			} else {
				cli_err("--config needs a file");
				goto out;
			}
		} else if (strcmp(a, "--dry-run") == 0) {
			dry_run = 1;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage_text, stdout);
			rc = EXIT_OK;
			goto out;
		} else if (name != NULL) {
			if (names_db_or_name(a)) {
				text_terminal(safe, sizeof(safe), a);
				cli_err("sweep: \"%.80s\": the database and the name come from the "
				        "configuration", safe);
				goto out;
			}
			extra[n_extra++] = argv[i];
		} else if (strcmp(a, "--list") == 0) {
			list = 1;
		} else if (a[0] == '-' && a[1] != '\0') {
			text_terminal(safe, sizeof(safe), a);
			cli_err("sweep: unknown option \"%.80s\" (scan options go after the sweep name)",
			        safe);
			fputs("Try 'certsweep sweep --help'.\n", stderr);
			goto out;
		} else {
			name = a;
		}
	}
	if (list == (name != NULL)) {
		cli_err(list ? "sweep: --list takes no sweep name" : "sweep: which one? (certsweep "
		        "sweep NAME, or --list)");
		fputs(usage_text, stderr);
		goto out;
	}
	cfg_path = config_path(cfg_path);
	if (config_load(cfg_path, CONFIG_CHECK_FILES, &c) != 0)
		goto out; /* the mistakes are printed; an unreadable file is a usage error too */
	if (list) {
		list_sweeps(c);
		rc = EXIT_OK;
		goto out;
	}
	if ((s = config_find(c, name)) == NULL) {
		char path[512];

		text_terminal(safe, sizeof(safe), name);
		text_terminal(path, sizeof(path), cfg_path);
		cli_err("no sweep \"%.80s\" in %s ('certsweep sweep --list' shows them)", safe, path);
		goto out;
	}
	rc = run_sweep(c, s, extra, n_extra, dry_run);
out:
	config_free(c);
	free(extra);
	return rc;
}
