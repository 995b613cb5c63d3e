/*
 * cmd_merge.c: `certsweep merge OUT IN...`: combines certsweep databases, typically the shards
 * of one sweep run on several machines (scan --shard I/N), into OUT (created when missing).
 *
 * Each input is merged in its own transaction (store/store_merge.c has the rules): the shard
 * scans of one sweep run become one scan in OUT, which reports and diffs use like any sweep;
 * other scans are copied as they are. Merging an input again changes nothing, unless the input
 * changed meanwhile (a scan resumed to its end, a new run): then what is new is added. A failing
 * input is reported and the others are still merged; the exit status is then 3.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/text.h"
#include "store/store.h"

static const char *usage_text =
	"usage: certsweep merge [-q] OUT.db IN.db...\n"
	"\n"
	"Merges the scans of each IN database into OUT (created when missing): the shards of one\n"
	"sweep (scan --shard I/N, same --name, seed and targets) become one scan, complete (done)\n"
	"once all N are merged; other scans are copied. Certificates, endpoints and findings are\n"
	"matched by content, not by id. Merging the same input again changes nothing. Scans still\n"
	"running in an input are left for a later merge.\n"
	"\n"
	"  -q, --quiet   print nothing but errors\n"
	"  -h, --help\n"
	"\n"
	"Exit: 0 ok, 2 usage, 3 an input could not be merged (the others were).\n";

int cmd_merge(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store *st = NULL;
	char err[512], safe[512], *out_path = NULL;
	int ch, quiet = 0, rc = EXIT_RUNTIME, failed = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "qh", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'q': quiet = 1; break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		default:
			fputs("Try 'certsweep merge --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind < 2) {
		cli_err("merge: give the output database and at least one input");
		fputs("Try 'certsweep merge --help'.\n", stderr);
		return EXIT_USAGE;
	}
	/* The output is opened with URI names allowed (store_merge attaches inputs read-only by
	 * URI); a path that would read as a URI is made relative-explicit first. */
	if ((out_path = malloc(strlen(argv[optind]) + 3)) == NULL) {
		cli_err("out of memory");
		goto out;
	}
	snprintf(out_path, strlen(argv[optind]) + 3, "%s%s",
	         strncmp(argv[optind], "file:", 5) == 0 ? "./" : "", argv[optind]);
	if ((st = store_open_flags(out_path, 1, err, sizeof(err))) == NULL) {
		cli_err("%s", err);
		goto out;
	}
	for (int i = optind + 1; i < argc; i++) {
		struct merge_stats ms;

		text_terminal(safe, sizeof(safe), argv[i]);
		if (store_merge(st, argv[i], &ms) != 0) {
			cli_err("%s: not merged: %s", safe, store_errmsg(st));
			failed = 1;
			continue;
		}
		if (quiet)
			continue;
		printf("%s: %u scan%s merged (%llu observations added)", safe, ms.scans,
		       ms.scans == 1 ? "" : "s", (unsigned long long)ms.observations);
		if (ms.groups > 0)
			printf(", %u of them shards", ms.groups);
		if (ms.unchanged > 0)
			printf(", %u already merged", ms.unchanged);
		if (ms.running > 0)
			printf(", %u still running: left for a later merge", ms.running);
		printf("\n");
	}
	rc = failed ? EXIT_RUNTIME : EXIT_OK;
out:
	if (st != NULL && store_close(st) != 0 && rc == EXIT_OK) {
		cli_err("cannot close the database cleanly");
		rc = EXIT_RUNTIME;
	}
	free(out_path);
	return rc;
}
