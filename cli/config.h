/*
 * config.h: the sweep configuration file (`certsweep sweep`, `certsweep config check`).
 *
 * An INI file (parsed with libinih) of one optional [defaults] section and one [sweep NAME]
 * section per named sweep. Every key of a section is either a `certsweep scan` long option
 * (targets, ports, starttls, concurrency, ca-file, db, ...; the value is the option's value) or
 * a sweep-only key (diff, alerts, alert-*, report-*). A key a sweep sets replaces the
 * [defaults] value of that key; the others are inherited. The full key list, with what each
 * takes, is config_keys[] (documented in doc/sweeps.md and contrib/certsweep.conf.example).
 *
 * Syntax: "KEY = VALUE" (inih: "KEY: VALUE" too), '#' or ';' at the start of a line and ';'
 * after a space start a comment, indentation is insignificant (no continuation lines: repeat a
 * list key instead), values are not quoted, a line is at most CONFIG_MAX_LINE characters.
 *
 * Every mistake is printed to stderr as "certsweep: FILE:LINE: what" (values passed through
 * the CLI's own parsers, cli/opts.c, so the reasons read as they do for the options), and
 * parsing goes on to report the others; the file is rejected when there was any.
 * No function here exits.
 */
#ifndef CS_CONFIG_H
#define CS_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#define CONFIG_DEFAULT_PATH "/etc/certsweep/certsweep.conf"
#define CONFIG_ENV "CERTSWEEP_CONFIG"
#define CONFIG_MAX_BYTES (1024 * 1024)  /* a larger file is refused */
#define CONFIG_MAX_LINE 196             /* characters per line (libinih's 200-byte buffer) */
#define CONFIG_MAX_NAME 40              /* sweep name: [A-Za-z0-9][A-Za-z0-9._-]* */
#define CONFIG_MAX_SWEEPS 1000
#define CONFIG_MAX_VALUES 20000         /* key lines in the whole file */
#define CONFIG_MAX_ERRORS 20            /* mistakes printed; the rest are counted */
/* The strftime(3) conversions a report or json path may hold: %Y %m %d %H %M %S %F %j %G %V
 * %u and %% (others are refused: a path needs no locale-dependent text). */
#define CONFIG_TIME_SEQUENCES "YmdHMSFjGVu%"

/* config_parse flags. */
enum {
	/* Check what values name on this machine: readable input files (their content too:
	 * targets-file, preferred-ca-file), existing folders for output files. Without it only
	 * the syntax and the values themselves are checked (the fuzz target). */
	CONFIG_CHECK_FILES = 1,
};

/* One key line. */
struct config_value {
	int key;                 /* index into config_keys */
	char *text;              /* owned; trimmed, never empty */
	int line;
};

/* [defaults] (name NULL) or [sweep NAME]. */
struct config_section {
	char *name;              /* owned; NULL for [defaults] */
	int line;                /* line of the header; 0 when there is no [defaults] */
	struct config_value *v;  /* owned, in file order */
	size_t n, cap;
};

struct config {
	char *path;              /* owned: the file as given, for messages */
	struct config_section defaults;
	struct config_section *sweeps; /* owned, in file order, names unique */
	size_t n_sweeps, cap;
};

/* What a key is: its name in the file, the command and option it becomes, how it is checked. */
struct config_key {
	const char *name;
	int cmd;                 /* CONFIG_CMD_*: which step of the run it configures */
	const char *option;      /* "--ports"; "" for targets (positional); report: the format */
	unsigned flags;          /* CONFIG_KEY_* */
	int check;               /* how the value is validated (config.c) */
	long min, max;           /* numeric bounds, as cmd_scan/cmd_alerts apply them */
	const char *choices;     /* the words a choice key takes, space-separated */
};
enum { CONFIG_CMD_SCAN, CONFIG_CMD_SWEEP, CONFIG_CMD_ALERTS, CONFIG_CMD_REPORT };
enum {
	CONFIG_KEY_REPEAT = 1,   /* several lines accumulate */
	CONFIG_KEY_WORDS = 2,    /* a space-separated list: one option per word */
	CONFIG_KEY_STRFTIME = 4, /* CONFIG_TIME_SEQUENCES expanded (local time) at run start */
	CONFIG_KEY_FLAG = 8,     /* yes/no; yes adds the option without a value */
};
extern const struct config_key config_keys[];
extern const size_t config_n_keys;

/* The configuration file to read: given (--config) when not NULL, else $CERTSWEEP_CONFIG when
 * set and not empty, else CONFIG_DEFAULT_PATH. */
const char *config_path(const char *given);
/* Reads and parses path. Returns 0 with *out (caller frees with config_free); -1 after
 * printing the mistakes (exit 2); -2 after printing why the file cannot be read or memory ran
 * out. */
int config_load(const char *path, unsigned flags, struct config **out);
/* The same for text already in memory (len bytes, NUL bytes allowed and refused); path names
 * it in messages. */
int config_parse(const char *path, const char *text, size_t len, unsigned flags,
                 struct config **out);
void config_free(struct config *c);
/* The sweep named name, or NULL. */
const struct config_section *config_find(const struct config *c, const char *name);
/* The section whose lines of key (an index into config_keys) apply to sweep s: s when it
 * sets the key, else [defaults] when that does, else NULL. Walk its v[] for that key. */
const struct config_section *config_source(const struct config *c,
                                           const struct config_section *s, int key);
/* The last line of key in effect for s (a single-valued key has one), NULL when unset. */
const struct config_value *config_get(const struct config *c, const struct config_section *s,
                                      int key);
/* yes/no, true/false, on/off, 1/0: 1 or 0; -1 for anything else. */
int config_bool(const char *text);
/* Index of the key called name, -1 when there is none. */
int config_key_find(const char *name);

/* A NULL-terminated argument vector; every string owned. */
struct config_argv {
	char **v;
	int n, cap;
};
void config_argv_free(struct config_argv *a);

#define CONFIG_MAX_REPORTS 3

/* What one run of a sweep does, in order. Built by config_plan; freed with config_plan_free. */
struct config_plan {
	const char *name;        /* borrowed from the config */
	char *db;                /* owned: the inventory (default certsweep.db, as scan's) */
	struct config_argv scan; /* "scan" ... "--name" NAME [extra...] "--" TARGET... */
	int diff;                /* print the diff against the previous run */
	struct config_argv alerts;   /* "alerts" "run" ...; n == 0 when alerts = no */
	struct config_argv reports[CONFIG_MAX_REPORTS]; /* "report" ...; n_reports used */
	size_t n_reports;
};
/* Builds the plan of sweep s, strftime paths expanded at now (local time), the n_extra
 * arguments of extra appended to the scan's options (after the configured ones, so a
 * single-valued option given there wins). 0, or -1 with err (out of memory, a path longer
 * than PATH_MAX once expanded). */
int config_plan(const struct config *c, const struct config_section *s, time_t now,
                char *const *extra, int n_extra, struct config_plan *plan, char *err,
                size_t errlen);
void config_plan_free(struct config_plan *plan);
/* Prints the plan for a person: the commands, shell-quoted and terminal-safe, and the lock. */
void config_plan_print(const struct config_plan *plan, FILE *out);
/* The lock file of a run: DB + ".sweep-NAME.lock" (NAME as in the file: config names are
 * [A-Za-z0-9._-] only). 0, or -1 when it does not fit in len. */
int config_lock_path(const struct config_plan *plan, char *buf, size_t len);

#endif
