/*
 * test_config.c: unit tests of the sweep configuration parser (cli/config.c).
 *
 * cli/ is not part of libcertsweep.a, so the parser and the option parsers it relies on
 * (cli/opts.c) are compiled into this test by including them. Mistakes are printed to stderr;
 * parse() captures fd 2 in a temporary file so each message and its FILE:LINE can be
 * asserted. Covered: sections and inheritance, every kind of mistake with its line (and that
 * parsing goes on to report the next), line accounting (BOM, CRLF, comments, overlong lines,
 * NUL bytes), the plan (the exact argument vectors of the scan, the alerts and the reports,
 * the extras, the %-sequences), the cap on printed mistakes, the checks that need the
 * filesystem, and that the shipped example configuration documents every key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the above first */
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/config.c"
#include "cli/opts.c"

static char captured[1 << 16];

/* config_parse of text as "t.conf", its stderr in captured. */
static int parse(const char *text, unsigned flags, struct config **out)
{
	FILE *tmp = tmpfile();
	int saved, rc;
	size_t n;

	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), 2) >= 0);
	rc = config_parse("t.conf", text, strlen(text), flags, out);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(captured, 1, sizeof(captured) - 1, tmp);
	captured[n] = '\0';
	fclose(tmp);
	return rc;
}

/* The text must be refused with a message containing want (which names its line). */
static void refused(const char *text, const char *want)
{
	struct config *c = NULL;

	assert_int_equal(parse(text, 0, &c), -1);
	assert_null(c);
	if (strstr(captured, want) == NULL)
		fail_msg("expected \"%s\" in: %s", want, captured);
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* The argument vector joined by single spaces. */
static const char *joined(const struct config_argv *a)
{
	static char buf[4096];

	buf[0] = '\0';
	for (int i = 0; i < a->n; i++) {
		if (i > 0)
			strcat(buf, " ");
		strcat(buf, a->v[i]);
	}
	assert_null(a->v[a->n]);
	return buf;
}

static const char good[] =
	"# comment\n"
	"[defaults]\n"
	"db = inv.db\n"
	"preferred-ca = Default CA\n"
	"exclude = 10.0.0.1\n"
	"timeout = 3s\n"
	"alert-channel = stdout\n"
	"\n"
	"[sweep web]\n"
	"targets = 10.0.0.0/30 192.0.2.1\n"
	"targets = host.example:8443\n"
	"ports = 443,8443\n"
	"preferred-ca = Web CA ; replaces the default's\n"
	"preferred-ca = Other CA\n"
	"report-html = out/web.html\n"
	"report-csv = out/csv\n"
	"quiet = yes\n"
	"\n"
	"  [ sweep mail.v2 ]  # indented, spaced\n"
	"targets = 127.0.0.1\n"
	"starttls = smtp\n"
	"diff = no\n"
	"alerts = off\n"
	"timeout = 10s\n";

static void test_sections_and_inheritance(void **state)
{
	struct config *c = NULL;
	const struct config_section *web, *mail;
	const struct config_value *v;

	(void)state;
	assert_int_equal(parse(good, 0, &c), 0);
	assert_string_equal(captured, "");
	assert_int_equal(c->n_sweeps, 2);
	assert_int_equal(c->defaults.line, 2);
	web = config_find(c, "web");
	mail = config_find(c, "mail.v2");
	assert_non_null(web);
	assert_non_null(mail);
	assert_null(config_find(c, "nosuch"));
	assert_int_equal(web->line, 9);
	assert_int_equal(mail->line, 19);
	/* inherited */
	v = config_get(c, web, config_key_find("timeout"));
	assert_non_null(v);
	assert_string_equal(v->text, "3s");
	assert_int_equal(v->line, 6);
	/* overridden */
	v = config_get(c, mail, config_key_find("timeout"));
	assert_string_equal(v->text, "10s");
	assert_int_equal(v->line, 24);
	/* a list key set in the sweep replaces all the lines of [defaults] */
	assert_ptr_equal(config_source(c, web, config_key_find("preferred-ca")), web);
	assert_ptr_equal(config_source(c, mail, config_key_find("preferred-ca")), &c->defaults);
	assert_null(config_source(c, mail, config_key_find("report-html")));
	/* the inline comment is gone */
	v = config_get(c, web, config_key_find("preferred-ca"));
	assert_string_equal(v->text, "Other CA");
	config_free(c);
}

static void test_plan(void **state)
{
	struct config *c = NULL;
	struct config_plan p;
	char seed_opt[] = "--seed", seed_val[] = "7";
	char *extra[] = { seed_opt, seed_val };
	char err[256], lock[256];

	(void)state;
	assert_int_equal(parse(good, 0, &c), 0);
	assert_int_equal(config_plan(c, config_find(c, "web"), 0, extra, 2, &p, err, sizeof(err)), 0);
	assert_string_equal(joined(&p.scan),
	                    "scan --exclude 10.0.0.1 --ports 443,8443 --timeout 3s "
	                    "--preferred-ca Web CA --preferred-ca Other CA --db inv.db --quiet "
	                    "--name web --seed 7 -- 10.0.0.0/30 192.0.2.1 host.example:8443");
	/* "Web CA" is one argument */
	assert_string_equal(p.scan.v[8], "Web CA");
	assert_int_equal(p.diff, 1);
	assert_string_equal(joined(&p.alerts), "alerts run --db inv.db --channel stdout");
	assert_int_equal(p.n_reports, 2);
	assert_string_equal(joined(&p.reports[0]),
	                    "report --db inv.db --sweep web --format html -o out/web.html");
	assert_string_equal(joined(&p.reports[1]),
	                    "report --db inv.db --sweep web --format csv -o out/csv");
	assert_int_equal(config_lock_path(&p, lock, sizeof(lock)), 0);
	assert_string_equal(lock, "inv.db.sweep-web.lock");
	config_plan_free(&p);

	assert_int_equal(config_plan(c, config_find(c, "mail.v2"), 0, NULL, 0, &p, err, sizeof(err)), 0);
	assert_string_equal(joined(&p.scan),
	                    "scan --exclude 10.0.0.1 --starttls smtp --timeout 10s "
	                    "--preferred-ca Default CA --db inv.db --name mail.v2 -- 127.0.0.1");
	assert_int_equal(p.diff, 0);
	assert_int_equal(p.alerts.n, 0);
	assert_int_equal(p.n_reports, 0);
	config_plan_free(&p);
	config_free(c);
}

static void test_plan_defaults_and_dates(void **state)
{
	struct config *c = NULL;
	struct config_plan p;
	char err[256], want[256];
	time_t now = 1700000000; /* 2023-11-14 UTC */
	struct tm tm;

	(void)state;
	assert_int_equal(parse("[sweep s]\ntargets = 127.0.0.1\nreport-json = r-%F-%H%%.json\n"
	                       "json = n-%Y%m%d.ndjson\nalert-thresholds = 9,3\n"
	                       "alert-channel = ics:cal.ics\nalert-channel = stdout\n", 0, &c), 0);
	assert_int_equal(config_plan(c, &c->sweeps[0], now, NULL, 0, &p, err, sizeof(err)), 0);
	localtime_r(&now, &tm);
	assert_string_equal(p.db, "certsweep.db"); /* scan's default */
	snprintf(want, sizeof(want), "scan --json n-%04d%02d%02d.ndjson --name s -- 127.0.0.1",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	assert_string_equal(joined(&p.scan), want);
	snprintf(want, sizeof(want), "report --db certsweep.db --sweep s --format json -o "
	         "r-%04d-%02d-%02d-%02d%%.json", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	         tm.tm_hour);
	assert_string_equal(joined(&p.reports[0]), want);
	assert_string_equal(joined(&p.alerts), "alerts run --db certsweep.db --thresholds 9,3 "
	                    "--channel ics:cal.ics --channel stdout");
	config_plan_free(&p);
	config_free(c);
	/* words may be separated by tabs too */
	assert_int_equal(parse("[sweep s]\ntargets = 127.0.0.1\t 127.0.0.2\n", 0, &c), 0);
	assert_int_equal(config_plan(c, &c->sweeps[0], now, NULL, 0, &p, err, sizeof(err)), 0);
	assert_string_equal(joined(&p.scan), "scan --name s -- 127.0.0.1 127.0.0.2");
	config_plan_free(&p);
	config_free(c);
	refused("[sweep s]\ntargets = 127.0.0.1\nreport-html = r-%c.html\n",
	        "t.conf:3: report-html: a %-sequence other than %Y");
	refused("[sweep s]\ntargets = 127.0.0.1\nreport-html = r-%\n", "t.conf:3: report-html:");
	/* no %-sequences outside the date keys: db keeps its '%' */
	assert_int_equal(parse("[sweep s]\ntargets = 127.0.0.1\ndb = a%Yb.db\n", 0, &c), 0);
	assert_int_equal(config_plan(c, &c->sweeps[0], now, NULL, 0, &p, err, sizeof(err)), 0);
	assert_string_equal(p.db, "a%Yb.db");
	config_plan_free(&p);
	config_free(c);
}

static void test_value_mistakes(void **state)
{
	(void)state;
	refused("[sweep a]\ntargets = 127.0.0.1\nport = 443\n", "t.conf:3: unknown key \"port\"");
	refused("[sweep a]\ntargets = 127.0.0.1\nports = 443,70000\n", "t.conf:3: ports: bad port list");
	refused("[sweep a]\ntargets = 127.0.0.1\nconcurrency = 0\n",
	        "t.conf:3: concurrency: 0 is out of range (1 to 65000)");
	refused("[sweep a]\ntargets = 127.0.0.1\nconcurrency = 12x\n",
	        "t.conf:3: concurrency: \"12x\" is not a whole number");
	refused("[sweep a]\ntargets = 127.0.0.1\nrate = fast\n",
	        "t.conf:3: rate: \"fast\" is not a number");
	refused("[sweep a]\ntargets = 127.0.0.1\nconnect-timeout = 3 s\n",
	        "t.conf:3: connect-timeout: \"3 s\" is not a duration");
	refused("[sweep a]\ntargets = 127.0.0.1\nstarttls = smtps\n",
	        "t.conf:3: starttls: unknown protocol");
	refused("[sweep a]\ntargets = 127.0.0.1\nchecks = deep\n",
	        "t.conf:3: checks: \"deep\" is not one of: basic advanced");
	refused("[sweep a]\ntargets = 127.0.0.1\nfail-on = severe\n",
	        "t.conf:3: fail-on: unknown severity");
	refused("[sweep a]\ntargets = 127.0.0.1\ndiff = maybe\n",
	        "t.conf:3: diff: \"maybe\" is neither yes nor no");
	refused("[sweep a]\ntargets = 127.0.0.1 10.0.0.0/33\n", "t.conf:2: targets:");
	refused("[sweep a]\ntargets = 127.0.0.1\nexclude = example.com\n", "t.conf:3: exclude:");
	refused("[sweep a]\ntargets = 127.0.0.1\npreferred-fingerprint = abcd\n",
	        "t.conf:3: preferred-fingerprint: \"abcd\" is not a SHA-256 fingerprint");
	refused("[sweep a]\ntargets = 127.0.0.1\nalert-thresholds = 0\n", "t.conf:3: alert-thresholds:");
	refused("[sweep a]\ntargets = 127.0.0.1\nalert-channel = pager:x\n", "t.conf:3: alert-channel:");
	refused("[sweep a]\ntargets = 127.0.0.1\nalert-channel = sendmail:/bin/true\n",
	        "t.conf:3: alert-channel sendmail needs alert-mail-from and alert-mail-to");
	refused("[sweep a]\ntargets = 127.0.0.1\nports =\n", "t.conf:3: ports: no value");
	refused("[sweep a]\ntargets = 127.0.0.1\nports = 443\nports = 8443\n",
	        "t.conf:4: ports is already set at line 3");
	refused("[sweep a]\ntargets = 127.0.0.1\npreferred-ca = \"Quoted CA\"\n",
	        "t.conf:3: preferred-ca: values are not quoted");
	refused("[sweep a]\ntargets = 127.0.0.1\nsni = a\x1b[31mb\n",
	        "t.conf:3: sni: control characters or invalid UTF-8");
	refused("[sweep a]\ntargets = 127.0.0.1\nsni = a\xff\n",
	        "t.conf:3: sni: control characters or invalid UTF-8");
	refused("[sweep a]\ntargets = 127.0.0.1\njson = -\n", "t.conf:3: json: \"-\"");
	refused("[sweep a]\ntargets = 127.0.0.1\n= 1\n", "t.conf:3: a key name is missing");
	refused("[sweep a]\ntargets = 127.0.0.1\nexpiring-critical = 40\n",
	        "t.conf:3: sweep \"a\": expiring-critical (40) must not exceed expiring-high (30)");
	/* the unknown key is escaped for the terminal */
	refused("[sweep a]\ntargets = 127.0.0.1\nk\x1b[2J = 1\n", "unknown key \"k\\x1b[2J\"");
	/* a valid UTF-8 value is fine */
	{
		struct config *c = NULL;

		assert_int_equal(parse("[sweep a]\ntargets = 127.0.0.1\npreferred-ca = Ünïcode CA\n",
		                       0, &c), 0);
		config_free(c);
	}
}

static void test_structure_mistakes(void **state)
{
	(void)state;
	refused("ports = 443\n[sweep a]\ntargets = 127.0.0.1\n",
	        "t.conf:1: \"ports\" is outside a section");
	refused("[sweep a]\nports = 443\n", "t.conf:1: sweep \"a\" has no targets");
	refused("[defaults]\ntargets = 127.0.0.1\n", "t.conf: no sweep is defined");
	refused("", "t.conf: no sweep is defined");
	refused("[sweep a]\ntargets = 1.2.3.4\n\n[sweep a]\ntargets = 1.2.3.5\n",
	        "t.conf:4: sweep \"a\" is already defined at t.conf:1");
	refused("[defaults]\n[sweep a]\ntargets = 1.2.3.4\n[defaults]\n",
	        "t.conf:4: [defaults] is already at line 1");
	refused("[sweep a]\ntargets = 1.2.3.4\n[sweeps b]\n", "t.conf:3: unknown section [sweeps b]");
	refused("[sweep a]\ntargets = 1.2.3.4\n[sweep]\n", "t.conf:3: a sweep section needs a name");
	refused("[sweep a]\ntargets = 1.2.3.4\n[sweep b c]\n", "t.conf:3: bad sweep name \"b c\"");
	refused("[sweep a]\ntargets = 1.2.3.4\n[sweep -b]\n", "t.conf:3: bad sweep name \"-b\"");
	refused("[sweep a]\ntargets = 1.2.3.4\n[sweep b/../c]\n", "t.conf:3: bad sweep name");
	refused("[sweep a]\ntargets = 1.2.3.4\n[sweep "
	        "a2345678901234567890123456789012345678901]\n", "t.conf:3: bad sweep name");
	refused("[sweep a]\ntargets = 1.2.3.4\n[sweep b\n", "t.conf:3: unterminated section header");
	refused("[sweep a] x = 1\ntargets = 1.2.3.4\n",
	        "t.conf:1: unexpected text after the section header");
	refused("[sweep a]\ntargets = 1.2.3.4\njust words\n", "t.conf:3: expected KEY = VALUE");
	refused("[sweep a]\ntargets = 1.2.3.4\nfoo ;= bar\n", "t.conf:3: expected KEY = VALUE");
}

static void test_keys_of_a_broken_section_are_ignored(void **state)
{
	(void)state;
	/* the keys under a refused header do not cascade into more mistakes */
	refused("[sweep a]\ntargets = 1.2.3.4\n[bogus]\nnot-a-key = 1\n",
	        "t.conf:3: unknown section [bogus]");
	assert_null(strstr(captured, "not-a-key"));
	assert_int_equal(count_lines(captured), 1);
}

static void test_every_mistake_is_reported(void **state)
{
	(void)state;
	refused("[sweep a]\n"
	        "targets = 1.2.3.4\n"
	        "ports = x\n"
	        "bogus = 1\n"
	        "[what]\n"
	        "[sweep b]\n"
	        "retries = 11\n",
	        "t.conf:3: ports:");
	assert_non_null(strstr(captured, "t.conf:4: unknown key \"bogus\""));
	assert_non_null(strstr(captured, "t.conf:5: unknown section [what]"));
	assert_non_null(strstr(captured, "t.conf:7: retries: 11 is out of range (0 to 10)"));
	assert_non_null(strstr(captured, "t.conf:6: sweep \"b\" has no targets"));
	assert_int_equal(count_lines(captured), 5);
}

static void test_lines(void **state)
{
	struct config *c = NULL;
	char text[2048];
	const struct config_section *s;
	const struct config_value *v;

	(void)state;
	/* BOM, CRLF, comments of both kinds, tabs */
	assert_int_equal(parse("\xef\xbb\xbf[sweep a]\r\n; c\r\n# c\r\n\ttargets\t=\t1.2.3.4\t\r\n"
	                       "ports = 443\r\n", 0, &c), 0);
	assert_int_equal(c->n_sweeps, 1);
	s = &c->sweeps[0];
	assert_string_equal(s->name, "a");
	assert_int_equal(s->line, 1);
	v = config_get(c, s, config_key_find("targets"));
	assert_non_null(v);
	assert_int_equal(v->line, 4);
	v = config_get(c, s, config_key_find("ports"));
	assert_non_null(v);
	assert_string_equal(v->text, "443");
	config_free(c);
	/* a file without a final newline */
	assert_int_equal(parse("[sweep a]\ntargets = 1.2.3.4", 0, &c), 0);
	config_free(c);
	/* an overlong line is refused, not split (libinih would read its end as another line) */
	snprintf(text, sizeof(text), "[sweep a]\ntargets = 1.2.3.4\nsni = %0*d\nports = 443\n", 200, 0);
	refused(text, "t.conf:3: line longer than 196 characters");
	assert_int_equal(count_lines(captured), 1);
	/* the longest line allowed */
	snprintf(text, sizeof(text), "[sweep a]\ntargets = 1.2.3.4\nsni = %0*d\n", 190, 0);
	assert_int_equal(parse(text, 0, &c), 0);
	v = config_get(c, &c->sweeps[0], config_key_find("sni"));
	assert_non_null(v);
	assert_int_equal(strlen(v->text), 190);
	config_free(c);
	/* a NUL byte: the line is refused, the count goes on */
	{
		static const char nul[] = "[sweep a]\ntargets = 1.2.3.4\nports = 4\000" "3\nbogus = 1\n";
		struct config *cc = NULL;
		FILE *tmp = tmpfile();
		int saved = dup(2);
		size_t n;

		fflush(stderr);
		dup2(fileno(tmp), 2);
		assert_int_equal(config_parse("t.conf", nul, sizeof(nul) - 1, 0, &cc), -1);
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		rewind(tmp);
		n = fread(captured, 1, sizeof(captured) - 1, tmp);
		captured[n] = '\0';
		fclose(tmp);
		assert_non_null(strstr(captured, "t.conf:3: a NUL byte"));
		assert_non_null(strstr(captured, "t.conf:4: unknown key \"bogus\""));
	}
}

static void test_error_cap(void **state)
{
	char *text = malloc(200 * 16 + 64);
	size_t used;

	(void)state;
	assert_non_null(text);
	used = (size_t)sprintf(text, "[sweep a]\ntargets = 1.2.3.4\n");
	for (int i = 0; i < 200; i++)
		used += (size_t)sprintf(text + used, "bad%d = 1\n", i);
	refused(text, "t.conf:3: unknown key \"bad0\"");
	/* CONFIG_MAX_ERRORS lines, then one that says how many more */
	assert_int_equal(count_lines(captured), CONFIG_MAX_ERRORS + 1);
	assert_non_null(strstr(captured, "t.conf: 180 more mistakes not shown"));
	free(text);
}

static void test_files(void **state)
{
	char dir[] = "/tmp/test_config.XXXXXX", text[1024], path[512];
	struct config *c = NULL;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* checked only with CONFIG_CHECK_FILES */
	snprintf(text, sizeof(text), "[sweep a]\ntargets = 1.2.3.4\nca-file = %s/none.pem\n", dir);
	assert_int_equal(parse(text, 0, &c), 0);
	config_free(c);
	assert_int_equal(parse(text, CONFIG_CHECK_FILES, &c), -1);
	assert_non_null(strstr(captured, "t.conf:3: ca-file: cannot read"));
	/* a folder where a file is wanted */
	snprintf(text, sizeof(text), "[sweep a]\ntargets = 1.2.3.4\nca-file = %s\n", dir);
	assert_int_equal(parse(text, CONFIG_CHECK_FILES, &c), -1);
	assert_non_null(strstr(captured, "is not a regular file"));
	snprintf(text, sizeof(text), "[sweep a]\ntargets = 1.2.3.4\nca-path = %s\n", dir);
	assert_int_equal(parse(text, CONFIG_CHECK_FILES, &c), 0);
	config_free(c);
	/* outputs: the folder must exist; report-csv's own folder may not */
	snprintf(text, sizeof(text), "[sweep a]\ntargets = 1.2.3.4\nreport-csv = %s/new\n"
	         "report-html = %s/no/r.html\n", dir, dir);
	assert_int_equal(parse(text, CONFIG_CHECK_FILES, &c), -1);
	snprintf(path, sizeof(path), "t.conf:4: report-html: the folder %s/no does not exist", dir);
	assert_non_null(strstr(captured, path));
	assert_int_equal(count_lines(captured), 1);
	/* a targets file is read: its own mistakes are named with its line */
	snprintf(path, sizeof(path), "%s/targets.txt", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("127.0.0.1\n10.0.0.0/99\n", f);
	fclose(f);
	snprintf(text, sizeof(text), "[sweep a]\ntargets-file = %s\n", path);
	assert_int_equal(parse(text, CONFIG_CHECK_FILES, &c), -1);
	snprintf(text, sizeof(text), "t.conf:2: targets-file: %s:2", path);
	assert_non_null(strstr(captured, text));
	snprintf(text, sizeof(text), "[sweep a]\ntargets-file = %s\n", path);
	/* a targets file alone is enough targets */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("127.0.0.1\n", f);
	fclose(f);
	assert_int_equal(parse(text, CONFIG_CHECK_FILES, &c), 0);
	config_free(c);
	unlink(path);
	rmdir(dir);
}

/* The example shipped in contrib/ parses (without its paths) and documents every key. */
static void test_example_documents_every_key(void **state)
{
	struct config *c = NULL;
	char *text = malloc(CONFIG_MAX_BYTES + 1), needle[64];
	FILE *f = fopen("contrib/certsweep.conf.example", "r");
	size_t n;

	(void)state;
	assert_non_null(text);
	if (f == NULL) {
		free(text);
		skip(); /* tests run from the top folder */
	}
	n = fread(text, 1, CONFIG_MAX_BYTES, f);
	fclose(f);
	text[n] = '\0';
	assert_int_equal(parse(text, 0, &c), 0);
	assert_true(c->n_sweeps >= 2);
	config_free(c);
	/* each key has a line of its own, set or commented out */
	for (size_t i = 0; i < config_n_keys; i++) {
		char commented[64];

		snprintf(needle, sizeof(needle), "\n%s = ", config_keys[i].name);
		snprintf(commented, sizeof(commented), "\n#%s = ", config_keys[i].name);
		if (strstr(text, needle) == NULL && strstr(text, commented) == NULL)
			fail_msg("key %s is not in the example", config_keys[i].name);
	}
	free(text);
}

static void test_bool_and_keys(void **state)
{
	(void)state;
	assert_int_equal(config_bool("yes"), 1);
	assert_int_equal(config_bool("on"), 1);
	assert_int_equal(config_bool("0"), 0);
	assert_int_equal(config_bool("false"), 0);
	assert_int_equal(config_bool("Yes"), -1);
	assert_int_equal(config_bool(""), -1);
	assert_int_equal(config_key_find("nosuch"), -1);
	/* every scan option of the table is one cmd_scan takes (spelled as a long option) */
	for (size_t i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];

		assert_int_equal(config_key_find(k->name), (int)i);
		/* the exception: targets is the positional list, targets-file is --targets FILE */
		if (k->cmd == CONFIG_CMD_SCAN && strcmp(k->name, "targets-file") == 0) {
			assert_string_equal(k->option, "--targets");
		} else if (k->cmd == CONFIG_CMD_SCAN && k->option[0] != '\0') {
			assert_memory_equal(k->option, "--", 2);
			assert_string_equal(k->option + 2, k->name);
		}
	}
}

static void test_config_path(void **state)
{
	(void)state;
	unsetenv(CONFIG_ENV);
	assert_string_equal(config_path(NULL), CONFIG_DEFAULT_PATH);
	assert_string_equal(config_path("x.conf"), "x.conf");
	setenv(CONFIG_ENV, "/env.conf", 1);
	assert_string_equal(config_path(NULL), "/env.conf");
	assert_string_equal(config_path("x.conf"), "x.conf");
	setenv(CONFIG_ENV, "", 1);
	assert_string_equal(config_path(NULL), CONFIG_DEFAULT_PATH);
	unsetenv(CONFIG_ENV);
}

static void test_plan_print_quotes(void **state)
{
	struct config *c = NULL;
	struct config_plan p;
	char err[256], *buf = NULL;
	size_t len = 0;
	FILE *out;

	(void)state;
	assert_int_equal(parse("[sweep a]\ntargets = 1.2.3.4\npreferred-ca = Bob's CA\n", 0, &c), 0);
	assert_int_equal(config_plan(c, &c->sweeps[0], 0, NULL, 0, &p, err, sizeof(err)), 0);
	out = open_memstream(&buf, &len);
	assert_non_null(out);
	config_plan_print(&p, out);
	fclose(out);
	assert_non_null(strstr(buf, "    certsweep scan --preferred-ca 'Bob'\\''s CA' --name a -- "
	                       "1.2.3.4\n"));
	assert_non_null(strstr(buf, "    certsweep alerts run --db certsweep.db\n"));
	assert_non_null(strstr(buf, "    lock: certsweep.db.sweep-a.lock\n"));
	free(buf);
	config_plan_free(&p);
	config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections_and_inheritance),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_plan_defaults_and_dates),
		cmocka_unit_test(test_value_mistakes),
		cmocka_unit_test(test_structure_mistakes),
		cmocka_unit_test(test_keys_of_a_broken_section_are_ignored),
		cmocka_unit_test(test_every_mistake_is_reported),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_example_documents_every_key),
		cmocka_unit_test(test_bool_and_keys),
		cmocka_unit_test(test_config_path),
		cmocka_unit_test(test_plan_print_quotes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
