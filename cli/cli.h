/*
 * cli.h: the command-line front end. main() owns every long-lived object (event base, store,
 * analyzer, engine) and is the only code that exits. Each subcommand is a const descriptor in
 * the table in main.c, one file per command.
 *
 * Exit codes (documented in the man page and README):
 *   0  success
 *   1  success, but findings at or above --fail-on were found
 *   2  usage error (bad option, malformed target, unreadable input file)
 *   3  runtime error (database, output file, resources)
 *   75 sweep: the same sweep is already running (EX_TEMPFAIL: try again later)
 *   130/143  interrupted by SIGINT/SIGTERM: everything gathered so far is stored
 */
#ifndef CS_CLI_H
#define CS_CLI_H

#include <stdint.h>

enum { EXIT_OK = 0, EXIT_FINDINGS = 1, EXIT_USAGE = 2, EXIT_RUNTIME = 3, EXIT_LOCKED = 75 };

struct command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

int cmd_scan(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_checks(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_sniff(int argc, char **argv);
struct store;
/* Loads scans ida (older) and idb from st and prints their diff to stdout, as text or JSON
 * (cli/cmd_diff.c; sweep uses it too). 0 nothing changed, 1 something did, -1 after printing
 * why. */
int cli_print_diff(struct store *st, int64_t ida, int64_t idb, int json);
int cmd_merge(int argc, char **argv);
int cmd_sweep(int argc, char **argv);   /* cli/cmd_sweep.c: a configured sweep (cli/config.h) */
int cmd_config(int argc, char **argv);  /* cli/cmd_config.c: config check */

/* Option value parsers: print "certsweep: OPTION: reason" to stderr and return -1 when bad. */
int opt_int(const char *opt, const char *val, long min, long max, long *out);
/* Durations: "500", "500ms", "3s", "2m" -> milliseconds. */
int opt_ms(const char *opt, const char *val, long min, long max, long *out);
int opt_double(const char *opt, const char *val, double min, double max, double *out);
/* --fail-on: a severity name, or none/never (-1). */
int opt_fail_on(const char *val, int *out);
/* --since: "2026-11-01", "2026-11-01T06:00:00Z" (UTC), or a time ago: "7d", "12h", "2w".
 * now is the reference for the relative forms. Sets *out to unix seconds. */
int opt_since(const char *opt, const char *val, int64_t now, int64_t *out);
/* Prints "certsweep: " + message to stderr, with hostile text made terminal-safe by the caller. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern const char certsweep_version[];

/* The trust and policy options that scan and analyze share: their getopt values, the
 * struct option entries (append CLI_POLICY_OPTIONS to a long_opts array) and one handler. */
enum {
	CLI_OPT_CA_FILE = 1000, CLI_OPT_CA_PATH, CLI_OPT_PREF_CA, CLI_OPT_PREF_FP, CLI_OPT_PREF_FILE,
	CLI_OPT_EXP_CRIT, CLI_OPT_EXP_HIGH,
};
#define CLI_POLICY_OPTIONS \
	{ "ca-file", required_argument, NULL, CLI_OPT_CA_FILE }, \
	{ "ca-path", required_argument, NULL, CLI_OPT_CA_PATH }, \
	{ "preferred-ca", required_argument, NULL, CLI_OPT_PREF_CA }, \
	{ "preferred-fingerprint", required_argument, NULL, CLI_OPT_PREF_FP }, \
	{ "preferred-ca-file", required_argument, NULL, CLI_OPT_PREF_FILE }, \
	{ "expiring-critical", required_argument, NULL, CLI_OPT_EXP_CRIT }, \
	{ "expiring-high", required_argument, NULL, CLI_OPT_EXP_HIGH }
struct ca_policy;
struct analyzer_config;
/* Applies option ch (a CLI_OPT_* value) with value val: the first --preferred-* option creates
 * *policy (owned by the caller, which frees it with ca_policy_free). Returns 0 when applied, 1
 * when ch is not one of these options, -1 after printing why val is bad. */
int cli_policy_option(int ch, const char *val, struct ca_policy **policy, struct analyzer_config *acfg);

/* The enrichment options that scan and sniff share (enrich/geo.h). */
enum { CLI_OPT_GEOIP_DB = 1100, CLI_OPT_ASN_DB, CLI_OPT_OWNER_DB };
#define CLI_GEO_OPTIONS \
	{ "geoip-db", required_argument, NULL, CLI_OPT_GEOIP_DB }, \
	{ "asn-db", required_argument, NULL, CLI_OPT_ASN_DB }, \
	{ "owner-db", required_argument, NULL, CLI_OPT_OWNER_DB }
struct geo_paths;
/* Applies option ch with value val to *paths: 0 when applied, 1 when ch is not one of them. */
int cli_geo_option(int ch, const char *val, struct geo_paths *paths);

#endif
