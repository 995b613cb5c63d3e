/*
 * test_geo.c: the geo enrichment (enrich/geo.c) over MaxMind DB files written for the test by
 * tools/mkmmdb.pl (MaxMind's Perl writer, libmaxmind-db-writer-perl; a missing writer fails
 * the group setup with a message to run make deps).
 *
 * The repository is found through CS_ROOT, else from the binary's place
 * (ROOT/build/FLAVOUR/tests/test_geo), else the current directory. The databases go to a
 * temporary directory removed at the end (kept when CERTSWEEP_KEEP_TEST_DIR is set).
 *
 * Cases: City/ASN/owner hits for IPv4 and IPv6 (::1 and ::ffff:127.0.0.1 through the IPv4
 * alias), misses (an address in no network; ::1 in an IPv4-only database), the
 * registered_country fallback, strings longer than the obs_geo bounds cut on a UTF-8 boundary,
 * addresses that are not addresses, no paths at all; databases of another kind given to an
 * option (refused, saying what they are) and of unknown types (accepted when their records fit);
 * a missing file, a directory, an empty file, random bytes, a truncated copy, a broken metadata
 * marker, a data section and a search tree overwritten; then every byte of four databases
 * flipped and every truncation opened and looked up: a clear message or a clean result, never a
 * crash (run it under make SANITIZER=address too).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the above first */
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <maxminddb.h>

#include "enrich/geo.h"

#define EURO "\xe2\x82\xac"          /* U+20AC, 3 bytes */
#define E_ACUTE "\xc3\xa9"           /* U+00E9, 2 bytes */
#define U_UML "\xc3\xbc"             /* U+00FC, 2 bytes */

/* The databases written in group setup: name, mkmmdb.pl arguments before OUT, spec. */
enum {
	DB_CITY, DB_ASN, DB_OWNER, DB_COUNTRY, DB_DBIP, DB_CUSTOM_OWNER, DB_CUSTOM_ASN,
	DB_CUSTOM_CITY, DB_EMPTY_CUSTOM, DB_N
};

struct fx {
	char root[PATH_MAX];
	char dir[64];
	char path[DB_N][128];
	char err[512];
	struct obs_geo g;
};

/* ---------------------------------------------------------------- helpers */

static int has_script(const char *root)
{
	char p[PATH_MAX + 32];

	snprintf(p, sizeof(p), "%s/tools/mkmmdb.pl", root);
	return access(p, R_OK) == 0;
}

/* The repository root: CS_ROOT, the binary's ROOT/build/FLAVOUR/tests/, or ".". */
static int find_root(char *root, size_t len)
{
	const char *env = getenv("CS_ROOT");
	char exe[PATH_MAX];
	ssize_t n;

	if (env != NULL && env[0] != '\0') {
		snprintf(root, len, "%s", env);
		return has_script(root) ? 0 : -1;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		for (int i = 0; i < 4; i++) {
			char *slash = strrchr(exe, '/');

			if (slash == NULL)
				break;
			*slash = '\0';
		}
		if (exe[0] != '\0' && has_script(exe)) {
			snprintf(root, len, "%s", exe);
			return 0;
		}
	}
	snprintf(root, len, ".");
	return has_script(root) ? 0 : -1;
}

/* Runs argv (argv[0] looked up in PATH) with text on its stdin; returns its exit status, or -1
 * when it could not run or died of a signal. */
static int run(const char *const *argv, const char *text)
{
	int p[2], st = 0;
	pid_t pid;
	size_t len = strlen(text), off = 0;

	if (pipe(p) != 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		char *av[16];
		size_t i;

		for (i = 0; argv[i] != NULL && i < 15; i++)
			av[i] = strdup(argv[i]);
		av[i] = NULL;
		dup2(p[0], 0);
		close(p[0]);
		close(p[1]);
		execvp(av[0], av);
		_exit(127);
	}
	close(p[0]);
	while (off < len) {
		ssize_t w = write(p[1], text + off, len - off);

		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(p[1]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Writes one database with tools/mkmmdb.pl: opts (NULL-terminated, may be empty), kind, out. */
static int mkmmdb(const struct fx *f, const char *const *opts, const char *kind, const char *out,
                  const char *spec)
{
	char script[PATH_MAX + 32];
	const char *argv[16] = { "perl", script };
	size_t n = 2;

	snprintf(script, sizeof(script), "%s/tools/mkmmdb.pl", f->root);
	for (size_t i = 0; opts != NULL && opts[i] != NULL && n < 12; i++)
		argv[n++] = opts[i];
	argv[n++] = kind;
	argv[n++] = out;
	argv[n] = NULL;
	return run(argv, spec);
}

static char *read_all(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) > 0 && fseek(fp, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n);
		if (buf != NULL && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(fp);
	return buf;
}

static void write_all(const char *path, const void *buf, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* Opens exactly one database for one option. */
static struct geo_dbs *open1(struct fx *f, const char *opt, const char *path)
{
	struct geo_paths p = { NULL, NULL, NULL };

	if (strcmp(opt, "geoip") == 0)
		p.geoip = path;
	else if (strcmp(opt, "asn") == 0)
		p.asn = path;
	else
		p.owner = path;
	return geo_open(&p, f->err, sizeof(f->err));
}

/* Asserts that opening path for opt fails with exactly want. */
static void expect_open_err(struct fx *f, const char *opt, const char *path, const char *want)
{
	struct geo_dbs *d = open1(f, opt, path);

	if (d != NULL)
		geo_close(d);
	assert_null(d);
	assert_string_equal(f->err, want);
}

/* Asserts that opening path for opt fails with a message starting with prefix. */
static void expect_open_err_prefix(struct fx *f, const char *opt, const char *path,
                                   const char *prefix)
{
	struct geo_dbs *d = open1(f, opt, path);

	if (d != NULL)
		geo_close(d);
	assert_null(d);
	if (strncmp(f->err, prefix, strlen(prefix)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", f->err, prefix);
}

static int is_zero(const struct obs_geo *g)
{
	static const struct obs_geo zero;

	return memcmp(g, &zero, sizeof(zero)) == 0;
}

static void tmp_path(const struct fx *f, char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", f->dir, name);
}

/* ---------------------------------------------------------------- setup */

static const char city_spec[] =
	"# the test's City database (IPv6 with the IPv4 alias)\n"
	"127.0.0.0/24 country=DE city=Berlin\n"
	"127.0.0.6/32 country=FR city="
	EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO
	EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO EURO
	EURO EURO EURO EURO "\n"
	"127.0.0.7/32 country=ES city="
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"   /* 47 */
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"   /* 94 */
	EURO "tail\n"
	"127.0.0.8/32 registered_country=AT\n"
	"127.0.0.9/32 country=CH registered_country=AT city=Z" U_UML "rich\n"
	"127.0.0.10/32 country=DEUT\n"
	"::1/128 country=NL city=Amsterdam\n";

static const char asn_spec[] =
	"127.0.1.0/24 asn=64500 org=Example Net\n"
	"127.0.0.0/24 asn=4294967295 org="
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" E_ACUTE "\n";

static const char owner_spec[] =
	"127.0.2.0/24 owner=Payments business_unit=Retail site=Frankfurt\n"
	"127.0.0.0/24 owner=Loopback Team\n";

static int group_teardown(void **state);

static int make_all(struct fx *f)
{
	static const char *const v4[] = { "-4", NULL };
	static const char *const t_dbip[] = { "-t", "DBIP-City-Lite", NULL };
	static const char *const t_acme[] = { "-t", "Acme-Inventory", NULL };
	static const char *const t_empty[] = { "-t", "Acme-Empty", NULL };
	static const char *const check[] = {
		"perl", "-MMaxMind::DB::Writer::Tree", "-e", "1", NULL,
	};
	static const char *const names[DB_N] = {
		"city.mmdb", "asn.mmdb", "owner.mmdb", "country.mmdb", "dbip.mmdb",
		"custom-owner.mmdb", "custom-asn.mmdb", "custom-city.mmdb", "empty.mmdb",
	};

	if (find_root(f->root, sizeof(f->root)) != 0) {
		fprintf(stderr, "test_geo: tools/mkmmdb.pl not found: run from the repository root "
		        "or set CS_ROOT\n");
		return -1;
	}
	if (run(check, "") != 0) {
		fprintf(stderr, "test_geo: Perl's MaxMind::DB::Writer::Tree is missing: "
		        "run make deps (as root; installs libmaxmind-db-writer-perl)\n");
		return -1;
	}
	strcpy(f->dir, "/tmp/certsweep-geo-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		f->dir[0] = '\0';
		return -1;
	}
	for (int i = 0; i < DB_N; i++)
		tmp_path(f, f->path[i], sizeof(f->path[i]), names[i]);
	if (mkmmdb(f, NULL, "city", f->path[DB_CITY], city_spec) != 0 ||
	    mkmmdb(f, NULL, "asn", f->path[DB_ASN], asn_spec) != 0 ||
	    mkmmdb(f, v4, "owner", f->path[DB_OWNER], owner_spec) != 0 ||
	    mkmmdb(f, NULL, "country", f->path[DB_COUNTRY],
	           "127.0.0.0/8 country=SE\n::1/128 country=NO\n") != 0 ||
	    mkmmdb(f, t_dbip, "city", f->path[DB_DBIP],
	           "127.0.0.0/8 country=IT city=Roma\n") != 0 ||
	    mkmmdb(f, t_acme, "owner", f->path[DB_CUSTOM_OWNER],
	           "127.0.0.0/8 site=Basement\n::1/128 owner=IPv6 Team\n") != 0 ||
	    mkmmdb(f, t_acme, "asn", f->path[DB_CUSTOM_ASN], "127.0.0.0/8 asn=64511\n") != 0 ||
	    mkmmdb(f, t_acme, "city", f->path[DB_CUSTOM_CITY], "127.0.0.0/8 city=Oslo\n") != 0 ||
	    mkmmdb(f, t_empty, "owner", f->path[DB_EMPTY_CUSTOM], "") != 0) {
		fprintf(stderr, "test_geo: tools/mkmmdb.pl failed (see above)\n");
		return -1;
	}
	return 0;
}

/* cmocka runs no group teardown after a failed group setup: clean up here then. */
static int group_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	*state = f;
	if (make_all(f) != 0) {
		group_teardown(state);
		*state = NULL;
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	struct fx *f = *state;
	int rc = 0;

	if (f == NULL)
		return 0;
	if (f->dir[0] != '\0' && getenv("CERTSWEEP_KEEP_TEST_DIR") == NULL) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
		rc = system(cmd) == 0 ? 0 : -1;
	}
	free(f);
	return rc;
}

/* ---------------------------------------------------------------- lookups */

static struct geo_dbs *open3(struct fx *f)
{
	struct geo_paths p = { f->path[DB_CITY], f->path[DB_ASN], f->path[DB_OWNER] };
	struct geo_dbs *d = geo_open(&p, f->err, sizeof(f->err));

	if (d == NULL)
		fail_msg("geo_open: %s", f->err);
	assert_string_equal(f->err, "");
	return d;
}

static void look(struct fx *f, struct geo_dbs *d, const char *ip)
{
	memset(&f->g, 'Z', sizeof(f->g)); /* geo_lookup must zero it */
	strcpy(f->err, "stale");
	if (geo_lookup(d, ip, &f->g, f->err, sizeof(f->err)) != 0)
		fail_msg("geo_lookup %s: %s", ip, f->err);
	assert_string_equal(f->err, "");
}

static void test_ipv4_hits(void **state)
{
	struct fx *f = *state;
	struct geo_dbs *d = open3(f);

	look(f, d, "127.0.0.1");
	assert_string_equal(f->g.country, "DE");
	assert_string_equal(f->g.city, "Berlin");
	assert_string_equal(f->g.asn, "AS4294967295");
	assert_string_equal(f->g.owner, "Loopback Team");
	assert_string_equal(f->g.business_unit, "");   /* not in that record */
	assert_string_equal(f->g.site, "");

	look(f, d, "127.0.1.200");
	assert_string_equal(f->g.country, "");
	assert_string_equal(f->g.city, "");
	assert_string_equal(f->g.asn, "AS64500");
	assert_string_equal(f->g.as_org, "Example Net");
	assert_string_equal(f->g.owner, "");

	look(f, d, "127.0.2.3");
	assert_string_equal(f->g.owner, "Payments");
	assert_string_equal(f->g.business_unit, "Retail");
	assert_string_equal(f->g.site, "Frankfurt");
	assert_string_equal(f->g.country, "");
	assert_string_equal(f->g.asn, "");

	/* a host route inside 127.0.0.0/24 overrides it */
	look(f, d, "127.0.0.9");
	assert_string_equal(f->g.country, "CH");        /* country before registered_country */
	assert_string_equal(f->g.city, "Z" U_UML "rich");

	look(f, d, "127.0.0.8");
	assert_string_equal(f->g.country, "AT");        /* the registered_country fallback */
	assert_string_equal(f->g.city, "");
	geo_close(d);
}

static void test_misses(void **state)
{
	struct fx *f = *state;
	struct geo_dbs *d = open3(f);

	look(f, d, "127.0.9.9");                         /* in no network of any database */
	assert_true(is_zero(&f->g));
	look(f, d, "127.255.255.255");
	assert_true(is_zero(&f->g));
	look(f, d, "::ffff:127.0.9.9");
	assert_true(is_zero(&f->g));
	geo_close(d);
}

static void test_ipv6(void **state)
{
	struct fx *f = *state;
	struct geo_dbs *d = open3(f);

	/* ::1 is in the City database only; the ASN one is IPv6 without it, the owner one IPv4 */
	look(f, d, "::1");
	assert_string_equal(f->g.country, "NL");
	assert_string_equal(f->g.city, "Amsterdam");
	assert_string_equal(f->g.asn, "");
	assert_string_equal(f->g.as_org, "");
	assert_string_equal(f->g.owner, "");

	/* an IPv4-mapped address reaches the IPv4 networks through the alias, except in the
	 * IPv4-only owner database, where an IPv6 address is simply not there */
	look(f, d, "::ffff:127.0.0.1");
	assert_string_equal(f->g.country, "DE");
	assert_string_equal(f->g.city, "Berlin");
	assert_string_equal(f->g.asn, "AS4294967295");
	assert_string_equal(f->g.owner, "");

	look(f, d, "0:0:0:0:0:ffff:7f00:909");             /* ::ffff:127.0.9.9 */
	assert_true(is_zero(&f->g));
	look(f, d, "0:0:0:0:0:0:0:1");
	assert_string_equal(f->g.city, "Amsterdam");
	geo_close(d);
}

/* Strings longer than the obs_geo bounds keep whole UTF-8 sequences only. */
static void test_utf8_cut(void **state)
{
	struct fx *f = *state;
	struct geo_dbs *d = open3(f);
	char want[200];

	/* 40 x U+20AC (120 bytes) into city[96]: 31 fit (93 bytes), the 32nd would end at 96 */
	look(f, d, "127.0.0.6");
	assert_int_equal(strlen(f->g.city), 93);
	want[0] = '\0';
	for (int i = 0; i < 31; i++)
		strcat(want, EURO);
	assert_string_equal(f->g.city, want);
	assert_string_equal(f->g.country, "FR");

	/* 94 ASCII bytes then U+20AC: 95 bytes fit, the euro sign (bytes 94..96) does not */
	look(f, d, "127.0.0.7");
	memset(want, 'a', 94);
	want[94] = '\0';
	assert_string_equal(f->g.city, want);

	/* 126 ASCII bytes then U+00E9 into as_org[128]: 127 bytes fit, the e-acute needs 128 */
	look(f, d, "127.0.0.1");
	memset(want, 'x', 126);
	want[126] = '\0';
	assert_string_equal(f->g.as_org, want);

	/* country[4] */
	look(f, d, "127.0.0.10");
	assert_string_equal(f->g.country, "DEU");
	geo_close(d);
}

static void test_not_an_address(void **state)
{
	struct fx *f = *state;
	struct geo_dbs *d = open3(f);
	static const char *const bad[] = {
		"", "localhost", "127.1", "127.0.0.1 ", " 127.0.0.1", "127.0.0.256", "::1%lo",
		"127.0.0.1.5", "::g", "127.0.0.1/24",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&f->g, 'Z', sizeof(f->g));
		f->err[0] = '\0';
		if (geo_lookup(d, bad[i], &f->g, f->err, sizeof(f->err)) != -1)
			fail_msg("\"%s\" was taken for an address", bad[i]);
		assert_true(is_zero(&f->g));
		assert_string_equal(f->err, "geo lookup: not an IP address");
	}
	f->err[0] = '\0';
	assert_int_equal(geo_lookup(d, NULL, &f->g, f->err, sizeof(f->err)), -1);
	assert_true(f->err[0] != '\0');
	geo_close(d);
}

static void test_no_paths(void **state)
{
	struct fx *f = *state;
	struct geo_paths none = { NULL, NULL, NULL };

	strcpy(f->err, "stale");
	assert_null(geo_open(&none, f->err, sizeof(f->err)));
	assert_string_equal(f->err, "");
	strcpy(f->err, "stale");
	assert_null(geo_open(NULL, f->err, sizeof(f->err)));
	assert_string_equal(f->err, "");
	geo_close(NULL);
	/* no databases: nothing found, not an error */
	assert_int_equal(geo_lookup(NULL, "127.0.0.1", &f->g, f->err, sizeof(f->err)), 0);
	assert_true(is_zero(&f->g));
}

/* Any one database alone; other families of types; unknown types by their records. */
static void test_single_and_types(void **state)
{
	struct fx *f = *state;
	struct geo_dbs *d;

	d = open1(f, "owner", f->path[DB_OWNER]);
	assert_non_null(d);
	look(f, d, "127.0.2.1");
	assert_string_equal(f->g.site, "Frankfurt");
	assert_string_equal(f->g.country, "");
	geo_close(d);

	d = open1(f, "geoip", f->path[DB_COUNTRY]);      /* GeoLite2-Country */
	assert_non_null(d);
	look(f, d, "127.3.4.5");
	assert_string_equal(f->g.country, "SE");
	assert_string_equal(f->g.city, "");
	look(f, d, "::1");
	assert_string_equal(f->g.country, "NO");
	geo_close(d);

	d = open1(f, "geoip", f->path[DB_DBIP]);         /* DBIP-City-Lite */
	assert_non_null(d);
	look(f, d, "127.0.0.1");
	assert_string_equal(f->g.city, "Roma");
	geo_close(d);

	d = open1(f, "owner", f->path[DB_CUSTOM_OWNER]); /* Acme-Inventory with owner fields */
	if (d == NULL)
		fail_msg("%s", f->err);
	look(f, d, "127.0.0.1");
	assert_string_equal(f->g.site, "Basement");
	look(f, d, "::1");
	assert_string_equal(f->g.owner, "IPv6 Team");
	geo_close(d);

	d = open1(f, "geoip", f->path[DB_CUSTOM_CITY]);  /* Acme-Inventory with city fields */
	if (d == NULL)
		fail_msg("%s", f->err);
	look(f, d, "127.0.0.1");
	assert_string_equal(f->g.city, "Oslo");
	geo_close(d);

	d = open1(f, "owner", f->path[DB_EMPTY_CUSTOM]); /* no records: nothing to refuse */
	if (d == NULL)
		fail_msg("%s", f->err);
	look(f, d, "127.0.0.1");
	assert_true(is_zero(&f->g));
	geo_close(d);
}

/* A database of another kind given to an option says what it is. */
static void test_wrong_kind(void **state)
{
	struct fx *f = *state;
	char want[512];

	snprintf(want, sizeof(want), "--geoip-db %s: database type \"GeoLite2-ASN\" is an ASN "
	         "database (give it as --asn-db), not a City or Country database", f->path[DB_ASN]);
	expect_open_err(f, "geoip", f->path[DB_ASN], want);

	snprintf(want, sizeof(want), "--asn-db %s: database type \"GeoLite2-City\" is a City or "
	         "Country database (give it as --geoip-db), not an ASN database", f->path[DB_CITY]);
	expect_open_err(f, "asn", f->path[DB_CITY], want);

	snprintf(want, sizeof(want), "--owner-db %s: database type \"GeoLite2-ASN\" is an ASN "
	         "database (give it as --asn-db), not an owner database", f->path[DB_ASN]);
	expect_open_err(f, "owner", f->path[DB_ASN], want);

	snprintf(want, sizeof(want), "--geoip-db %s: database type \"certsweep-Owner\" is an owner "
	         "database (give it as --owner-db), not a City or Country database",
	         f->path[DB_OWNER]);
	expect_open_err(f, "geoip", f->path[DB_OWNER], want);

	snprintf(want, sizeof(want), "--owner-db %s: database type \"Acme-Inventory\" is not an "
	         "owner database: its records have no owner, business_unit or site",
	         f->path[DB_CUSTOM_ASN]);
	expect_open_err(f, "owner", f->path[DB_CUSTOM_ASN], want);

	snprintf(want, sizeof(want), "--asn-db %s: database type \"Acme-Inventory\" is not an ASN "
	         "database: its records have no autonomous_system_number or "
	         "autonomous_system_organization", f->path[DB_CUSTOM_OWNER]);
	expect_open_err(f, "asn", f->path[DB_CUSTOM_OWNER], want);

	/* one bad database among good ones: nothing is opened (and nothing leaks) */
	{
		struct geo_paths p = { f->path[DB_CITY], f->path[DB_CITY], f->path[DB_OWNER] };

		assert_null(geo_open(&p, f->err, sizeof(f->err)));
		assert_non_null(strstr(f->err, "--asn-db "));
	}
}

/* ---------------------------------------------------------------- broken files */

static void test_unusable_files(void **state)
{
	struct fx *f = *state;
	char path[256], want[512];
	unsigned char junk[4096];
	uint32_t x = 0x9e3779b9u;

	tmp_path(f, path, sizeof(path), "nope.mmdb");
	snprintf(want, sizeof(want), "--geoip-db %s: cannot open: No such file or directory", path);
	expect_open_err(f, "geoip", path, want);

	snprintf(want, sizeof(want), "--asn-db %s: cannot open: Is a directory", f->dir);
	expect_open_err(f, "asn", f->dir, want);

	expect_open_err(f, "owner", "/dev/null",
	                "--owner-db /dev/null: cannot open: not a regular file");

	tmp_path(f, path, sizeof(path), "empty-file.mmdb");
	write_all(path, "", 0);
	snprintf(want, sizeof(want), "--owner-db %s: not a MaxMind DB file (empty file)", path);
	expect_open_err(f, "owner", path, want);

	for (size_t i = 0; i < sizeof(junk); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		junk[i] = (unsigned char)x;
	}
	tmp_path(f, path, sizeof(path), "random.mmdb");
	write_all(path, junk, sizeof(junk));
	snprintf(want, sizeof(want), "--asn-db %s: not a MaxMind DB file (", path);
	expect_open_err_prefix(f, "asn", path, want);

	/* a text file that merely mentions the marker's text */
	tmp_path(f, path, sizeof(path), "text.mmdb");
	write_all(path, "MaxMind.com\n", 12);
	expect_open_err_prefix(f, "geoip", path, "--geoip-db ");
	assert_non_null(strstr(f->err, "not a MaxMind DB file"));
}

/* The metadata marker that counts: the last one in the file. */
static char *last_marker(char *db, size_t len)
{
	static const char marker[] = "\xab\xcd\xefMaxMind.com";
	char *m = NULL;

	for (char *p = db; (p = memmem(p, len - (size_t)(p - db), marker, sizeof(marker) - 1));
	     p++)
		m = p;
	return m;
}

static void test_truncated_and_marker(void **state)
{
	struct fx *f = *state;
	char path[256], want[512];
	size_t len = 0;
	char *db = read_all(f->path[DB_CITY], &len);
	char *m;

	assert_non_null(db);
	tmp_path(f, path, sizeof(path), "half.mmdb");
	write_all(path, db, len / 2);
	snprintf(want, sizeof(want), "--geoip-db %s: not a MaxMind DB file (The MaxMind DB file "
	         "contains invalid metadata)", path);
	expect_open_err(f, "geoip", path, want);

	m = last_marker(db, len);
	assert_non_null(m);
	m[5] ^= 0x20;                                     /* "MaxMind" -> "MaXMind" */
	tmp_path(f, path, sizeof(path), "marker.mmdb");
	write_all(path, db, len);
	snprintf(want, sizeof(want), "--geoip-db %s: not a MaxMind DB file (The MaxMind DB file "
	         "contains invalid metadata)", path);
	expect_open_err(f, "geoip", path, want);
	free(db);
}

/* Where the data section of the database db (len bytes, read from path) is: after the search
 * tree (its size from libmaxminddb) and 16 zero bytes, up to the metadata marker. */
static size_t data_section(const char *path, char *db, size_t len, size_t *data_len)
{
	MMDB_s m;
	size_t start;
	const char *marker = last_marker(db, len);

	assert_int_equal(MMDB_open(path, MMDB_MODE_MMAP, &m), MMDB_SUCCESS);
	start = (size_t)m.metadata.node_count * m.full_record_byte_size + 16;
	MMDB_close(&m);
	assert_non_null(marker);
	assert_true(start < (size_t)(marker - db));
	*data_len = (size_t)(marker - db) - start;
	return start;
}

/* A data section overwritten: the file opens (its type is known), lookups report corruption. */
static void test_corrupt_data_section(void **state)
{
	struct fx *f = *state;
	char path[256], prefix[300];
	size_t len = 0, start, data;
	char *db = read_all(f->path[DB_ASN], &len);
	struct geo_dbs *d;

	assert_non_null(db);
	start = data_section(f->path[DB_ASN], db, len, &data);
	/* 0xff 0xff ...: an "extended" type byte naming no valid type */
	memset(db + start, 0xff, data);
	tmp_path(f, path, sizeof(path), "bad-data.mmdb");
	write_all(path, db, len);
	d = open1(f, "asn", path);
	if (d == NULL)
		fail_msg("%s", f->err);
	memset(&f->g, 'Z', sizeof(f->g));
	assert_int_equal(geo_lookup(d, "127.0.1.1", &f->g, f->err, sizeof(f->err)), -1);
	snprintf(prefix, sizeof(prefix), "--asn-db %s: corrupt at 127.0.1.1 (", path);
	if (strncmp(f->err, prefix, strlen(prefix)) != 0)
		fail_msg("error \"%s\"", f->err);
	assert_true(is_zero(&f->g));
	/* a miss never touches the data section */
	look(f, d, "127.0.9.9");
	assert_true(is_zero(&f->g));
	geo_close(d);

	/* the same with an unknown type: its records are read when it is opened */
	free(db);
	db = read_all(f->path[DB_CUSTOM_OWNER], &len);
	assert_non_null(db);
	start = data_section(f->path[DB_CUSTOM_OWNER], db, len, &data);
	memset(db + start, 0xff, data);
	write_all(path, db, len);
	snprintf(prefix, sizeof(prefix), "--owner-db %s: corrupt MaxMind DB file (", path);
	expect_open_err_prefix(f, "owner", path, prefix);
	free(db);
}

/* A search tree overwritten: records point past the data section. */
static void test_corrupt_search_tree(void **state)
{
	struct fx *f = *state;
	char path[256];
	size_t len = 0, data;
	char *db = read_all(f->path[DB_CITY], &len);
	struct geo_dbs *d;
	int rc;

	assert_non_null(db);
	/* everything before the 16-byte separator */
	memset(db, 0xff, data_section(f->path[DB_CITY], db, len, &data) - 16);
	tmp_path(f, path, sizeof(path), "bad-tree.mmdb");
	write_all(path, db, len);
	d = open1(f, "geoip", path);
	if (d == NULL) {
		/* libmaxminddb may refuse it already when it looks for the IPv4 subtree */
		expect_open_err_prefix(f, "geoip", path, "--geoip-db ");
		assert_non_null(strstr(f->err, "corrupt"));
	} else {
		rc = geo_lookup(d, "127.0.0.1", &f->g, f->err, sizeof(f->err));
		assert_int_equal(rc, -1);
		assert_non_null(strstr(f->err, "corrupt at 127.0.0.1"));
		assert_true(is_zero(&f->g));
		geo_close(d);
	}
	free(db);
}

/* Every field NUL-terminated within its bound; a message without control characters. */
static void check_sane(const struct fx *f)
{
	const struct obs_geo *g = &f->g;

	assert_true(memchr(g->country, '\0', sizeof(g->country)) != NULL);
	assert_true(memchr(g->city, '\0', sizeof(g->city)) != NULL);
	assert_true(memchr(g->asn, '\0', sizeof(g->asn)) != NULL);
	assert_true(memchr(g->as_org, '\0', sizeof(g->as_org)) != NULL);
	assert_true(memchr(g->owner, '\0', sizeof(g->owner)) != NULL);
	assert_true(memchr(g->business_unit, '\0', sizeof(g->business_unit)) != NULL);
	assert_true(memchr(g->site, '\0', sizeof(g->site)) != NULL);
	for (const char *p = f->err; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fail_msg("control character in \"%s\"", f->err);
}

/* Opens buf (written to path) for opt, looks a few addresses up; counts what happened. */
static void try_damaged(struct fx *f, const char *opt, const char *path, const char *buf,
                        size_t len, int counts[3])
{
	static const char *const ips[] = {
		"127.0.0.1", "127.0.0.6", "127.0.1.1", "127.0.2.1", "127.0.9.9", "::1",
		"::ffff:127.0.0.7",
	};
	struct geo_dbs *d;

	write_all(path, buf, len);
	f->err[0] = '\0';
	d = open1(f, opt, path);
	if (d == NULL) {
		if (strncmp(f->err, "--", 2) != 0 || strstr(f->err, path) == NULL)
			fail_msg("unclear open error \"%s\"", f->err);
		check_sane(f);
		counts[0]++;
		return;
	}
	for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		int rc;

		f->err[0] = '\0';
		rc = geo_lookup(d, ips[i], &f->g, f->err, sizeof(f->err));
		if (rc == -1 && strstr(f->err, "corrupt at") == NULL)
			fail_msg("unclear lookup error \"%s\"", f->err);
		if (rc == 0 && f->err[0] != '\0')
			fail_msg("message \"%s\" on success", f->err);
		check_sane(f);
		counts[rc == 0 ? 1 : 2]++;
	}
	geo_close(d);
}

/* Every byte flipped (two ways) and every truncation of four databases. */
static void test_damage_sweep(void **state)
{
	struct fx *f = *state;
	static const struct { int db; const char *opt; } cases[] = {
		{ DB_CITY, "geoip" }, { DB_ASN, "asn" }, { DB_OWNER, "owner" },
		{ DB_CUSTOM_OWNER, "owner" },
	};
	char path[256];
	int counts[3] = { 0, 0, 0 };   /* open failed, lookup ok, lookup error */

	tmp_path(f, path, sizeof(path), "damaged.mmdb");
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t len = 0;
		char *db = read_all(f->path[cases[c].db], &len);

		assert_non_null(db);
		for (size_t i = 0; i < len; i++) {
			static const unsigned char flips[] = { 0xff, 0x01 };

			for (size_t k = 0; k < sizeof(flips); k++) {
				db[i] = (char)(db[i] ^ flips[k]);
				try_damaged(f, cases[c].opt, path, db, len, counts);
				db[i] = (char)(db[i] ^ flips[k]);
			}
		}
		for (size_t n = 1; n < len; n++)
			try_damaged(f, cases[c].opt, path, db, n, counts);
		free(db);
	}
	print_message("damage sweep: %d refused at open, %d lookups ok, %d lookups reported "
	              "corruption\n", counts[0], counts[1], counts[2]);
	/* the sweep reached all three outcomes */
	assert_true(counts[0] > 0 && counts[1] > 0 && counts[2] > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_hits),
		cmocka_unit_test(test_misses),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_utf8_cut),
		cmocka_unit_test(test_not_an_address),
		cmocka_unit_test(test_no_paths),
		cmocka_unit_test(test_single_and_types),
		cmocka_unit_test(test_wrong_kind),
		cmocka_unit_test(test_unusable_files),
		cmocka_unit_test(test_truncated_and_marker),
		cmocka_unit_test(test_corrupt_data_section),
		cmocka_unit_test(test_corrupt_search_tree),
		cmocka_unit_test(test_damage_sweep),
	};

	return cmocka_run_group_tests_name("geo", tests, group_setup, group_teardown);
}
