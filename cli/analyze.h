/*
 * analyze.h: `certsweep analyze`: the options, parsed once by cmd_analyze.c, and the two
 * paths: a chain file (cmd_analyze.c) and a live server (analyze_host.c).
 */
#ifndef CS_CLI_ANALYZE_H
#define CS_CLI_ANALYZE_H

#include <time.h>

#include "analyzer/analyzer.h"
#include "scanner/probe_run.h"

struct analyze_opts {
	const char *file;             /* --file, borrowed from argv */
	const char *target;           /* HOST[:PORT], borrowed from argv */
	const char *host;             /* --host */
	const char *password_file, *password_env;
	time_t at;                    /* 0: now */
	int json;
	int fail_on;                  /* severity threshold for exit 1, -1 = never */
	struct analyzer_config acfg;
	struct ca_policy *policy;     /* owned when custom */
	/* live servers (analyze_host) */
	const char *sni, *starttls, *db_path, *resolver, *hosts_file;
	struct probe_options popt;
	long connect_timeout_ms, timeout_ms;
	int no_store;
};

/* Analyses the live server o->target; returns the exit code. */
int analyze_host(struct analyze_opts *o);

#endif
