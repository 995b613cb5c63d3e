/*
 * cmd_config.c: `certsweep config check`: reads the sweep configuration (cli/config.h), prints
 * every mistake with its line, or each sweep with the commands one run of it executes.
 * Exit: 0 the file is good; 2 a mistake (or the file cannot be read).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/config.h"
#include "core/text.h"

static const char *usage_text =
	"usage: certsweep config check [--config FILE]\n"
	"\n"
	"Checks the sweep configuration: the syntax, every key and value (with the parsers of the\n"
	"options they stand for), that the files it reads exist and that the folders it writes\n"
	"into do. Prints each mistake as FILE:LINE: what, or each sweep and what it would run.\n"
	"\n"
	"      --config FILE  the configuration (default: $CERTSWEEP_CONFIG, else\n"
	"                     " CONFIG_DEFAULT_PATH ")\n"
	"\n"
	"Exit: 0 the file is good, 2 it is not (or cannot be read).\n";

static int check(const char *path)
{
	struct config *c = NULL;
	char safe[512], err[512];
	int rc = EXIT_USAGE;

	if (config_load(path, CONFIG_CHECK_FILES, &c) != 0)
		return EXIT_USAGE;
	text_terminal(safe, sizeof(safe), path);
	printf("%s: ok, %zu sweep%s\n", safe, c->n_sweeps, c->n_sweeps == 1 ? "" : "s");
	for (size_t i = 0; i < c->n_sweeps; i++) {
		struct config_plan plan;

		if (config_plan(c, &c->sweeps[i], time(NULL), NULL, 0, &plan, err, sizeof(err)) != 0) {
			text_terminal(safe, sizeof(safe), err);
			cli_err("sweep %s: %s", c->sweeps[i].name, safe);
			goto out;
		}
		printf("\nsweep %s (line %d) runs:\n", c->sweeps[i].name, c->sweeps[i].line);
		config_plan_print(&plan, stdout);
		config_plan_free(&plan);
	}
	rc = EXIT_OK;
out:
	config_free(c);
	return rc;
}

int cmd_config(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	char safe[128];
	int ch;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "check") != 0) {
		text_terminal(safe, sizeof(safe), argv[1]);
		cli_err("config: unknown subcommand \"%.40s\" (check)", safe);
		return EXIT_USAGE;
	}
	optind = 1;
	while ((ch = getopt_long(argc - 1, argv + 1, "h", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		default:
			fputs("Try 'certsweep config --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc - 1) {
		text_terminal(safe, sizeof(safe), argv[optind + 1]);
		cli_err("config check: unexpected argument \"%.80s\"", safe);
		return EXIT_USAGE;
	}
	return check(config_path(path));
}
