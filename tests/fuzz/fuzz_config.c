/*
 * fuzz_config.c: config_parse() (cli/config.c) on arbitrary bytes, as `certsweep config check`
 * and `certsweep sweep` read a configuration file, then config_plan() of every sweep.
 *
 * The filesystem is not consulted (flags 0): the result depends on the bytes only. The
 * parser's messages go to a /dev/null stream while it runs (stderr is put back after, so a
 * sanitizer's report and libFuzzer's own output still show).
 *
 * Contract checked (abort on violation): a refused file yields no config; an accepted one has
 * 1..CONFIG_MAX_SWEEPS sweeps, each named [A-Za-z0-9][A-Za-z0-9._-]* of at most
 * CONFIG_MAX_NAME characters, unique, found by config_find, with header and key lines within
 * the input's line count and key values that are non-empty valid UTF-8 without controls (tab
 * aside) and at most CONFIG_MAX_LINE characters; each sweep has targets; its plan's scan
 * vector starts with "scan", holds "--name NAME" and "--", is NULL-terminated, and has no
 * empty argument;
 * the alerts vector (when any) starts with "alerts run --db DB" and each report with
 * "report --db DB --sweep NAME --format".
 *
 * cli/ is not part of libcertsweep.a: the parser and cli/opts.c are compiled in here.
 * Seeds: tests/fuzz/corpus/config/ (a full example, every kind of mistake, edge syntax).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config.c"
#include "cli/opts.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_value_text(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONFIG_MAX_LINE || !text_clean(s))
		abort();
}

static void check_argv(const struct config_argv *a)
{
	if (a->n < 1 || a->v[a->n] != NULL)
		abort();
	for (int i = 0; i < a->n; i++)
		if (a->v[i] == NULL || a->v[i][0] == '\0')
			abort();
}

static void check_plan(const struct config_plan *p, const char *name)
{
	int has_name = 0, has_dashes = 0;

	check_argv(&p->scan);
	if (strcmp(p->scan.v[0], "scan") != 0)
		abort();
	for (int i = 1; i < p->scan.n; i++) {
		if (strcmp(p->scan.v[i], "--name") == 0 && i + 1 < p->scan.n &&
		    strcmp(p->scan.v[i + 1], name) == 0)
			has_name = 1;
		if (strcmp(p->scan.v[i], "--") == 0)
			has_dashes = 1;
	}
	if (!has_name || !has_dashes)
		abort();
	if (p->alerts.n > 0) {
		check_argv(&p->alerts);
		if (p->alerts.n < 4 || strcmp(p->alerts.v[0], "alerts") != 0 ||
		    strcmp(p->alerts.v[1], "run") != 0 || strcmp(p->alerts.v[3], p->db) != 0)
			abort();
	}
	if (p->n_reports > CONFIG_MAX_REPORTS)
		abort();
	for (size_t i = 0; i < p->n_reports; i++) {
		const struct config_argv *r = &p->reports[i];

		check_argv(r);
		if (r->n != 9 || strcmp(r->v[0], "report") != 0 || strcmp(r->v[2], p->db) != 0 ||
		    strcmp(r->v[4], name) != 0 || strcmp(r->v[5], "--format") != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *quiet;
	struct config *c = NULL;
	FILE *saved = stderr;
	int lines = 1, rc;
	char err[512];

	if (quiet == NULL && (quiet = fopen("/dev/null", "w")) == NULL)
		return 0;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	stderr = quiet;
	rc = config_parse("fuzz.conf", (const char *)data, size, 0, &c);
	stderr = saved;
	if (rc != 0) {
		if (c != NULL || rc != -1)
			abort();
		return 0;
	}
	if (c == NULL || c->n_sweeps == 0 || c->n_sweeps > CONFIG_MAX_SWEEPS)
		abort();
	for (size_t i = 0; i < c->n_sweeps; i++) {
		const struct config_section *s = &c->sweeps[i];
		struct config_plan plan;

		if (!name_ok(s->name, strlen(s->name)) || config_find(c, s->name) != s ||
		    s->line < 1 || s->line > lines)
			abort();
		if (config_get(c, s, config_key_find("targets")) == NULL &&
		    config_get(c, s, config_key_find("targets-file")) == NULL)
			abort();
		for (size_t j = 0; j < s->n; j++) {
			if (s->v[j].line <= s->line || s->v[j].line > lines ||
			    s->v[j].key < 0 || (size_t)s->v[j].key >= config_n_keys)
				abort();
			check_value_text(s->v[j].text);
		}
		if (config_plan(c, s, 0, NULL, 0, &plan, err, sizeof(err)) != 0)
			abort();
		check_plan(&plan, s->name);
		config_plan_free(&plan);
	}
	for (size_t j = 0; j < c->defaults.n; j++)
		check_value_text(c->defaults.v[j].text);
	config_free(c);
	return 0;
}
