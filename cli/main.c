/*
 * main.c: certsweep's entry point: finds the subcommand in the table and runs it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#include <event2/event.h>
#include "cli/cmd_alerts.h"
#include "cli/cmd_orders.h"

static int cmd_version(int argc, char **argv)
{
	printf("certsweep %s\n", certsweep_version);
	return EXIT_OK;
}

static const struct command commands[] = {
	{ "scan", "sweep targets and store every certificate and finding", cmd_scan },
	{ "sniff", "find certificates in traffic: a capture file (-r) or an interface (-i)", cmd_sniff },
	{ "analyze", "SSL Labs-style analysis of HOST[:PORT], or of a chain file (--file)", cmd_analyze },
	{ "report", "report a stored sweep: csv, json, html dashboard, text", cmd_report },
	{ "diff", "what changed between two sweeps: endpoints, certificates, findings", cmd_diff },
	{ "merge", "combine databases: the shards of a sweep (scan --shard) into one", cmd_merge },
	{ "checks", "list the checks and their finding IDs", cmd_checks },
	{ "orders", "the renewal pipeline's orders: list, show, sync, new, status, cancel", cmd_orders },
	{ "alerts", "send expiry, non-preferred and failed-renewal alerts (run, test)", cmd_alerts },
	{ "sweep", "run a sweep of the configuration file: scan, diff, alerts, reports", cmd_sweep },
	{ "config", "check the sweep configuration file (config check)", cmd_config },
	{ "version", "print the version", cmd_version },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: certsweep COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nRun 'certsweep COMMAND --help' for a command's options; 'man certsweep' for more.\n");
}

/* libevent's own log lines ("[warn] Unable to parse nameserver address") would interleave
 * with certsweep's messages, which already say what went wrong in the user's terms. */
static void quiet_libevent(int severity, const char *msg)
{
	(void)severity;
	(void)msg;
}

/* A report or summary that could not be written is a failure, not a success (a reader that
 * stopped early, as `| head` does, is not). */
static int finish_output(int rc)
{
	if ((fflush(stdout) != 0 || ferror(stdout)) && errno != EPIPE && rc == EXIT_OK) {
		cli_err("standard output: write error: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	return rc;
}

int main(int argc, char **argv)
{
	event_set_log_callback(quiet_libevent);
	signal(SIGPIPE, SIG_IGN); /* a peer closing mid-write is an error code, not a death */
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		return cmd_version(argc, argv);
	if (strcmp(argv[1], "--list-checks") == 0)
		return cmd_checks(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return finish_output(commands[i].run(argc - 1, argv + 1));
	cli_err("unknown command \"%.40s\" (try 'certsweep --help')", argv[1]);
	return EXIT_USAGE;
}
