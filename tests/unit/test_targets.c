/*
 * test_targets.c: target specs, exclusions, files, port lists and the permuted iterator of
 * scanner/targets.c.
 *
 * Covers every spec form and each error message; targets files (comments, CRLF, CSV overrides,
 * errors with file:line, rollback, bounds) and exclusion files; port lists; finalize (merging,
 * exclusions, duplicates across port overrides, empty and too-large spaces); and the iterator
 * against a brute-force model on random small IPv4 and IPv6 inputs: every endpoint exactly
 * once, shards disjoint with the whole as union, resumption from a position, non-sequential
 * order, and a /8 x 10 ports held in one block.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <malloc.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "scanner/targets.h"
#include "scanner/targets_internal.h"

#define ERRLEN 512

static void expect_substr(const char *s, const char *sub)
{
	if (strstr(s, sub) == NULL)
		fail_msg("message \"%s\" does not contain \"%s\"", s, sub);
}

static struct portlist ports_of(const char *spec)
{
	struct portlist pl;
	char err[ERRLEN];

	if (portlist_parse(&pl, spec, err, sizeof(err)) != 0)
		fail_msg("portlist_parse(%s): %s", spec, err);
	return pl;
}

/* A set holding one spec, finalized with ports 443. */
static struct target_set *one(const char *spec, const char *ports)
{
	struct target_set *ts = targets_new();
	struct portlist pl = ports_of(ports ? ports : "443");
	char err[ERRLEN];

	assert_non_null(ts);
	if (targets_add(ts, spec, 0, NULL, NULL, err, sizeof(err)) != 0)
		fail_msg("targets_add(%s): %s", spec, err);
	if (targets_finalize(ts, &pl, 1, err, sizeof(err)) != 0)
		fail_msg("targets_finalize(%s): %s", spec, err);
	portlist_free(&pl);
	return ts;
}

static void expect_add_error(const char *spec, const char *msg)
{
	struct target_set *ts = targets_new();
	char err[ERRLEN] = "";

	assert_int_equal(targets_add(ts, spec, 0, NULL, NULL, err, sizeof(err)), -1);
	expect_substr(err, msg);
	targets_free(ts);
}

static void expect_exclude_error(const char *spec, const char *msg)
{
	struct target_set *ts = targets_new();
	char err[ERRLEN] = "";

	assert_int_equal(targets_add_exclude(ts, spec, err, sizeof(err)), -1);
	expect_substr(err, msg);
	targets_free(ts);
}

/* Text form of an endpoint: "family addr port name sni starttls". */
static void ep_str(const struct endpoint_spec *ep, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "-";

	if (ep->family != 0)
		inet_ntop(ep->family, ep->addr, a, sizeof(a));
	snprintf(buf, len, "%d %s %u %s %s %s", ep->family, a, ep->port,
	         ep->name ? ep->name : "-", ep->sni ? ep->sni : "-",
	         ep->starttls ? ep->starttls : "-");
}

/* The first endpoint of a single-endpoint-or-more set, in text form. */
static void first_ep(struct target_set *ts, char *buf, size_t len)
{
	struct target_iter it;
	struct endpoint_spec ep;

	targets_iter_init(&it, ts, 0, 1, 0);
	assert_int_equal(targets_iter_next(&it, &ep), 1);
	ep_str(&ep, buf, len);
}

/* ------------------------------------------------------------------ spec forms */

static void test_spec_forms(void **state)
{
	static const struct {
		const char *spec;
		uint64_t count;
		const char *first; /* only checked for single-endpoint specs */
	} cases[] = {
		{ "192.0.2.7", 1, "2 192.0.2.7 443 - - -" },
		{ "2001:db8::1", 1, "10 2001:db8::1 443 - - -" },
		{ "192.0.2.0/24", 256, NULL },
		{ "192.0.2.7/24", 256, NULL },
		{ "192.0.2.7/32", 1, "2 192.0.2.7 443 - - -" },
		{ "0.0.0.0/0", UINT64_C(1) << 32, NULL },
		{ "2001:db8::/120", 256, NULL },
		{ "2001:db8::/80", UINT64_C(1) << 48, NULL },
		{ "2001:db8::5/128", 1, "10 2001:db8::5 443 - - -" },
		{ "192.0.2.10-192.0.2.20", 11, NULL },
		{ "192.0.2.10-20", 11, NULL },
		{ "192.0.2.10-10", 1, "2 192.0.2.10 443 - - -" },
		{ "10.0.0.250-10.0.1.5", 12, NULL },
		{ "2001:db8::1-2001:db8::10", 16, NULL },
		{ "host.example.com", 1, "0 - 443 host.example.com - -" },
		{ "Host.Example.COM.", 1, "0 - 443 host.example.com - -" },
		{ "localhost", 1, "0 - 443 localhost - -" },
		{ "_dmarc.under_score.example", 1, "0 - 443 _dmarc.under_score.example - -" },
		{ "1-2.example.com", 1, "0 - 443 1-2.example.com - -" },
		{ "host:8443", 1, "0 - 8443 host - -" },
		{ "192.0.2.7:8443", 1, "2 192.0.2.7 8443 - - -" },
		{ "192.0.2.0/30:25", 4, NULL },
		{ "192.0.2.1-3:25", 3, NULL },
		{ "[2001:db8::1]:8443", 1, "10 2001:db8::1 8443 - - -" },
		{ "[2001:db8::1]", 1, "10 2001:db8::1 443 - - -" },
		{ "[2001:db8::/126]:993", 4, NULL },
		{ "::ffff:192.0.2.1", 1, "10 ::ffff:192.0.2.1 443 - - -" },
		{ "127.0.0.1:65535", 1, "2 127.0.0.1 65535 - - -" },
	};
	char buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct target_set *ts = one(cases[i].spec, NULL);
		if (targets_count(ts) != cases[i].count)
			fail_msg("%s: count %llu, want %llu", cases[i].spec,
			         (unsigned long long)targets_count(ts),
			         (unsigned long long)cases[i].count);
		if (cases[i].first != NULL) {
			first_ep(ts, buf, sizeof(buf));
			if (strcmp(buf, cases[i].first) != 0)
				fail_msg("%s: got \"%s\", want \"%s\"", cases[i].spec, buf, cases[i].first);
		}
		targets_free(ts);
	}
}

/* CIDR host bits are cleared and range ends are inclusive: check the extremes. */
static void test_spec_bounds(void **state)
{
	struct target_set *ts = one("192.0.2.77/28", NULL);
	struct target_iter it;
	struct endpoint_spec ep;
	uint32_t lo = UINT32_MAX, hi = 0;

	(void)state;
	targets_iter_init(&it, ts, 0, 1, 0);
	while (targets_iter_next(&it, &ep)) {
		uint32_t a = ((uint32_t)ep.addr[0] << 24) | ((uint32_t)ep.addr[1] << 16) |
		             ((uint32_t)ep.addr[2] << 8) | ep.addr[3];
		lo = a < lo ? a : lo;
		hi = a > hi ? a : hi;
		for (int k = 4; k < 16; k++)
			assert_int_equal(ep.addr[k], 0);
	}
	assert_int_equal(lo, 0xc0000240u); /* 192.0.2.64 */
	assert_int_equal(hi, 0xc000024fu); /* 192.0.2.79 */
	targets_free(ts);
}

static void test_spec_errors(void **state)
{
	static const struct {
		const char *spec;
		const char *msg;
	} cases[] = {
		{ "10.0.0.300", "bad target \"10.0.0.300\": not an IPv4 address" },
		{ "010.0.0.1", "not an IPv4 address" },
		{ "1.2.3", "not an IPv4 address" },
		{ "1.2.3.4.5", "not an IPv4 address" },
		{ "12345", "not an IPv4 address" },
		{ "10.0.0.1.", "not an IPv4 address" },
		{ "10.0.0.0/33", "bad CIDR prefix /33" },
		{ "2001:db8::/129", "bad CIDR prefix /129" },
		{ "10.0.0.0/", "bad CIDR prefix /" },
		{ "10.0.0.0/x", "bad CIDR prefix /x" },
		{ "10.0.0.0/-1", "bad CIDR prefix /-1" },
		{ "10.0.0.0/0024", "bad CIDR prefix /0024" },
		{ "10.0.0.0/08", "bad CIDR prefix /08" },
		{ "10.0.0.256/8", "not an IPv4 address before '/'" },
		{ "host/24", "not an IPv4 address before '/'" },
		{ "10.0.0.9-3", "range end before start" },
		{ "10.0.0.9-10.0.0.1", "range end before start" },
		{ "2001:db8::9-2001:db8::1", "range end before start" },
		{ "10.0.0.1-256", "range end is not an octet (0-255)" },
		{ "10.0.0.1-", "range end is not an IPv4 address" },
		{ "10.0.0.1-10.0.0", "range end is not an IPv4 address" },
		{ "10.0.0.999-10.0.0.1", "range start is not an IPv4 address" },
		{ "2001:db8::1-ff", "range end is not an IPv6 address" },
		{ "2001:db8::zz", "not an IPv6 address" },
		{ "fe80::1%eth0", "not an IPv6 address" },
		{ "ho st", "bad hostname character ' '" },
		{ "host!.com", "bad hostname character '!'" },
		{ "h\x01st", "bad hostname character '\\x01'" },
		{ "h\xc3\xa9.example", "bad hostname character '\\xc3'" },
		{ "a..b", "empty label in hostname" },
		{ ".a.b", "empty label in hostname" },
		{ "-a.com", "hostname label starts with '-'" },
		{ "a-.com", "hostname label ends with '-'" },
		{ "a.com-", "hostname label ends with '-'" },
		{ "host:0", "port 0 out of range (1-65535)" },
		{ "host:65536", "port 65536 out of range (1-65535)" },
		{ "host:99999999999999999999", "out of range (1-65535)" },
		{ "host:abc", "bad port \"abc\"" },
		{ "host:", "missing port" },
		{ ":443", "missing address or hostname" },
		{ "[2001:db8::1", "missing ']'" },
		{ "[2001:db8::1]x", "expected ':port' after ']'" },
		{ "[2001:db8::1]:0", "port 0 out of range" },
		{ "[10.0.0.1]:80", "brackets are only for IPv6 addresses" },
		{ "", "empty spec" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_add_error(cases[i].spec, cases[i].msg);
}

static void test_spec_length_limits(void **state)
{
	char label[70], name[300], big[TARGETS_MAX_SPEC + 10];
	struct target_set *ts;
	char err[ERRLEN];

	(void)state;
	memset(label, 'a', 64);
	strcpy(label + 64, ".com");
	expect_add_error(label, "hostname label longer than 63 characters");
	strcpy(label + 63, ".com");
	ts = one(label, NULL); /* 63 is fine */
	targets_free(ts);

	/* 4 labels of 63 + 3 dots = 255 > 253 */
	memset(name, 'b', sizeof(name));
	name[63] = name[127] = name[191] = '.';
	name[255] = '\0';
	expect_add_error(name, "hostname longer than 253 characters");
	name[253] = '\0'; /* 253 characters is the maximum */
	ts = one(name, NULL);
	targets_free(ts);

	memset(big, 'c', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	expect_add_error(big, "longer than 1024 characters");
	/* the message quotes a bounded prefix of hostile input */
	ts = targets_new();
	assert_int_equal(targets_add(ts, big, 0, NULL, NULL, err, sizeof(err)), -1);
	assert_true(strlen(err) < 200);
	expect_substr(err, "...");
	targets_free(ts);
}

static void test_add_overrides(void **state)
{
	struct target_set *ts = targets_new();
	struct portlist pl = ports_of("443");
	char err[ERRLEN], buf[256];

	(void)state;
	assert_int_equal(targets_add(ts, "192.0.2.1", 8443, "WWW.Example.com", "SMTP", err,
	                             sizeof(err)), 0);
	assert_int_equal(targets_add(ts, "host:25", 25, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(targets_add(ts, "host:25", 26, NULL, NULL, err, sizeof(err)), -1);
	expect_substr(err, "bad target \"host:25\": port 25 conflicts with port 26");
	assert_int_equal(targets_add(ts, "host", 0, "bad sni!", NULL, err, sizeof(err)), -1);
	expect_substr(err, "bad SNI \"bad sni!\": bad hostname character ' '");
	assert_int_equal(targets_add(ts, "host", 0, NULL, "smtp;rm", err, sizeof(err)), -1);
	expect_substr(err, "bad STARTTLS protocol \"smtp;rm\"");
	assert_int_equal(targets_add(ts, "host", 0, NULL, "averyveryverylongprotocolname", err,
	                             sizeof(err)), -1);
	expect_substr(err, "bad STARTTLS protocol");
	assert_int_equal(targets_add(ts, NULL, 0, NULL, NULL, err, sizeof(err)), -1);
	/* empty overrides are the defaults */
	assert_int_equal(targets_add(ts, "192.0.2.2", 0, "", "", err, sizeof(err)), 0);
	assert_int_equal(targets_finalize(ts, &pl, 5, err, sizeof(err)), 0);
	assert_int_equal(targets_count(ts), 3);
	{
		struct target_iter it;
		struct endpoint_spec ep;
		int seen = 0;
		targets_iter_init(&it, ts, 0, 1, 0);
		while (targets_iter_next(&it, &ep)) {
			ep_str(&ep, buf, sizeof(buf));
			if (strcmp(buf, "2 192.0.2.1 8443 - www.example.com smtp") == 0)
				seen |= 1;
			else if (strcmp(buf, "0 - 25 host - -") == 0)
				seen |= 2;
			else if (strcmp(buf, "2 192.0.2.2 443 - - -") == 0)
				seen |= 4;
			else
				fail_msg("unexpected endpoint %s", buf);
		}
		assert_int_equal(seen, 7);
	}
	/* frozen */
	assert_int_equal(targets_add(ts, "192.0.2.3", 0, NULL, NULL, err, sizeof(err)), -1);
	expect_substr(err, "already finalized");
	assert_int_equal(targets_add_exclude(ts, "192.0.2.3", err, sizeof(err)), -1);
	assert_int_equal(targets_finalize(ts, &pl, 5, err, sizeof(err)), -1);
	expect_substr(err, "already finalized");
	portlist_free(&pl);
	targets_free(ts);
}

/* ------------------------------------------------------------------ exclusions */

static void test_exclude_specs(void **state)
{
	struct target_set *ts = targets_new();
	struct portlist pl = ports_of("443");
	char err[ERRLEN];
	unsigned char a4[4] = { 10, 1, 2, 3 }, a6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	unsigned char mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3 };

	(void)state;
	assert_int_equal(targets_add_exclude(ts, "10.0.0.0/8", err, sizeof(err)), 0);
	assert_int_equal(targets_add_exclude(ts, "192.0.2.10-20", err, sizeof(err)), 0);
	assert_int_equal(targets_add_exclude(ts, "192.0.2.30", err, sizeof(err)), 0);
	assert_int_equal(targets_add_exclude(ts, "2001:db8::/32", err, sizeof(err)), 0);
	assert_int_equal(targets_add_exclude(ts, "[2001:db9::1]", err, sizeof(err)), 0);
	assert_int_equal(targets_add_exclude(ts, "2001:dba::1-2001:dba::5", err, sizeof(err)), 0);
	/* before finalize, lookups work on the unsorted list */
	assert_int_equal(targets_is_excluded(ts, AF_INET, a4), 1);
	assert_int_equal(targets_is_excluded(ts, AF_INET6, a6), 1);
	assert_int_equal(targets_is_excluded(ts, AF_INET6, mapped), 1);
	assert_int_equal(targets_add(ts, "192.0.2.0/24", 0, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(targets_finalize(ts, &pl, 1, err, sizeof(err)), 0);
	assert_int_equal(targets_count(ts), 256 - 11 - 1);
	assert_int_equal(targets_is_excluded(ts, AF_INET, a4), 1);
	assert_int_equal(targets_is_excluded(ts, AF_INET6, a6), 1);
	assert_int_equal(targets_is_excluded(ts, AF_INET6, mapped), 1);
	{
		static const struct {
			const char *addr;
			int want;
		} probe[] = {
			{ "9.255.255.255", 0 }, { "10.0.0.0", 1 }, { "10.255.255.255", 1 },
			{ "11.0.0.0", 0 }, { "192.0.2.9", 0 }, { "192.0.2.10", 1 }, { "192.0.2.20", 1 },
			{ "192.0.2.21", 0 }, { "192.0.2.30", 1 }, { "192.0.2.31", 0 },
			{ "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", 0 }, { "2001:db8::", 1 },
			{ "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 1 }, { "2001:db9::", 0 },
			{ "2001:db9::1", 1 }, { "2001:db9::2", 0 }, { "2001:dba::", 0 },
			{ "2001:dba::3", 1 }, { "2001:dba::6", 0 }, { "::ffff:192.0.2.15", 1 },
			{ "::ffff:192.0.2.25", 0 }, { "::", 0 },
		};
		for (size_t i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
			unsigned char b[16];
			int fam = strchr(probe[i].addr, ':') ? AF_INET6 : AF_INET;
			assert_int_equal(inet_pton(fam, probe[i].addr, b), 1);
			if (targets_is_excluded(ts, fam, b) != probe[i].want)
				fail_msg("targets_is_excluded(%s) != %d", probe[i].addr, probe[i].want);
		}
	}
	assert_int_equal(targets_is_excluded(ts, 0, a4), 0);
	assert_int_equal(targets_is_excluded(NULL, AF_INET, a4), 0);
	portlist_free(&pl);
	targets_free(ts);
}

static void test_exclude_errors(void **state)
{
	(void)state;
	expect_exclude_error("host.example.com",
	                     "bad exclusion \"host.example.com\": not an address, CIDR block or "
	                     "range (names cannot be excluded)");
	expect_exclude_error("ho st", "not an address, CIDR block or range");
	expect_exclude_error("10.0.0.1:80", "exclusions take no port");
	expect_exclude_error("[2001:db8::1]:80", "exclusions take no port");
	expect_exclude_error("10.0.0.0/40", "bad CIDR prefix /40");
	expect_exclude_error("10.0.0.5-1", "range end before start");
	expect_exclude_error("10.0.0.256", "not an IPv4 address");
	expect_exclude_error("", "empty spec");
}

/* ------------------------------------------------------------------ files */

static struct target_set *load_text(const char *text, int exclude, int want_rc, char *err)
{
	struct target_set *ts = targets_new();
	FILE *f = fmemopen((void *)(uintptr_t)text, strlen(text), "r");

	assert_non_null(f);
	err[0] = '\0';
	assert_int_equal(targets_load_stream(ts, f, "t.txt", exclude, err, ERRLEN), want_rc);
	fclose(f);
	return ts;
}

/* All endpoints of a finalized set as sorted text lines; returns the count. */
static size_t collect(struct target_set *ts, char ***out)
{
	struct target_iter it;
	struct endpoint_spec ep;
	size_t n = 0, cap = 16;
	char **v = malloc(cap * sizeof(*v)), buf[256];

	targets_iter_init(&it, ts, 0, 1, 0);
	while (targets_iter_next(&it, &ep)) {
		if (n == cap)
			v = realloc(v, (cap *= 2) * sizeof(*v));
		ep_str(&ep, buf, sizeof(buf));
		v[n++] = strdup(buf);
	}
	*out = v;
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_lines(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int has_line(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

static void test_file_forms(void **state)
{
	static const char text[] =
		"# a targets file\r\n"
		"\r\n"
		"   192.0.2.1   # trailing comment\r\n"
		"target,port,sni,starttls\n"
		"192.0.2.2,8443,WWW.example.com,smtp\n"
		"mail.example.com,,, IMAP \n"
		"web.example.com,8080\n"
		"[2001:db8::1]:993,,sni.example.com\n"
		"\t\n"
		"192.0.2.3 ,  , ,\n"
		"# the end, without a newline\n"
		"192.0.2.4:25";
	char err[ERRLEN], **v;
	struct target_set *ts = load_text(text, 0, 0, err);
	struct portlist pl = ports_of("443");
	size_t n;

	(void)state;
	assert_int_equal(targets_finalize(ts, &pl, 9, err, sizeof(err)), 0);
	n = collect(ts, &v);
	assert_int_equal(n, 7);
	assert_true(has_line(v, n, "2 192.0.2.1 443 - - -"));
	assert_true(has_line(v, n, "2 192.0.2.2 8443 - www.example.com smtp"));
	assert_true(has_line(v, n, "0 - 443 mail.example.com - imap"));
	assert_true(has_line(v, n, "0 - 8080 web.example.com - -"));
	assert_true(has_line(v, n, "10 2001:db8::1 993 - sni.example.com -"));
	assert_true(has_line(v, n, "2 192.0.2.3 443 - - -"));
	assert_true(has_line(v, n, "2 192.0.2.4 25 - - -"));
	free_lines(v, n);
	portlist_free(&pl);
	targets_free(ts);
}

static void test_file_errors(void **state)
{
	static const struct {
		const char *text;
		int exclude;
		const char *msg;
	} cases[] = {
		{ "192.0.2.1\n# ok\n10.0.0.300\n", 0,
		  "t.txt:3: bad target \"10.0.0.300\": not an IPv4 address" },
		{ "\n\n\nhost:0\n", 0, "t.txt:4: bad target \"host:0\": port 0 out of range (1-65535)" },
		{ "192.0.2.1,0\n", 0, "t.txt:1: bad target \"192.0.2.1\": port 0 out of range" },
		{ "192.0.2.1,x\n", 0, "t.txt:1: bad target \"192.0.2.1\": bad port \"x\"" },
		{ "192.0.2.1:80,81\n", 0,
		  "t.txt:1: bad target \"192.0.2.1:80\": port 80 conflicts with port 81" },
		{ "a\nb,1,c,d,e\n", 0, "t.txt:2: too many CSV fields (expected target,port,sni,starttls)" },
		{ ",443\n", 0, "t.txt:1: missing target in CSV line" },
		{ "host,,bad..sni\n", 0, "t.txt:1: bad SNI \"bad..sni\": empty label in hostname" },
		{ "host,,,no/proto\n", 0, "t.txt:1: bad STARTTLS protocol \"no/proto\"" },
		{ "a\nb\x00" "c\n", 0, "t.txt:2: NUL byte in line" },
		{ "10.0.0.0/8\nhost.example.com\n", 1, "t.txt:2: bad exclusion \"host.example.com\"" },
		{ "10.0.0.1,443\n", 1, "t.txt:1: exclusions take one address, CIDR block or range per line" },
		{ "10.0.0.0/8\r\n10.0.0.0/33\r\n", 1,
		  "t.txt:2: bad exclusion \"10.0.0.0/33\": bad CIDR prefix /33" },
	};
	char err[ERRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* strlen stops at an embedded NUL: give fmemopen the real size for that case */
		struct target_set *ts = targets_new();
		size_t len = strlen(cases[i].text);
		FILE *f;
		if (strstr(cases[i].msg, "NUL") != NULL)
			len = 6;
		f = fmemopen((void *)(uintptr_t)cases[i].text, len, "r");
		assert_non_null(f);
		err[0] = '\0';
		assert_int_equal(targets_load_stream(ts, f, "t.txt", cases[i].exclude, err,
		                                     sizeof(err)), -1);
		expect_substr(err, cases[i].msg);
		fclose(f);
		targets_free(ts);
	}
}

static void test_file_long_line(void **state)
{
	size_t n = TARGETS_MAX_LINE + 20;
	char *text = malloc(n + 32), err[ERRLEN];
	struct target_set *ts;

	(void)state;
	strcpy(text, "192.0.2.1\n");
	memset(text + 10, ' ', n);
	strcpy(text + 10 + n, "x\n");
	ts = load_text(text, 0, -1, err);
	expect_substr(err, "t.txt:2: line longer than 4096 bytes");
	targets_free(ts);
	/* exactly TARGETS_MAX_LINE bytes is accepted */
	memset(text, ' ', TARGETS_MAX_LINE);
	memcpy(text + TARGETS_MAX_LINE - 9, "192.0.2.1\n", 11);
	ts = load_text(text, 0, 0, err);
	targets_free(ts);
	free(text);
}

/* A failed file leaves nothing of itself in the set. */
static void test_file_rollback(void **state)
{
	struct target_set *ts = targets_new();
	struct portlist pl = ports_of("443");
	char err[ERRLEN];
	static const char bad_targets[] = "192.0.2.1\n192.0.2.2\nbad!\n";
	static const char bad_excl[] = "192.0.2.0/24\nnope!\n";
	FILE *f;

	(void)state;
	assert_int_equal(targets_add(ts, "192.0.2.0/29", 0, NULL, NULL, err, sizeof(err)), 0);
	f = fmemopen((void *)(uintptr_t)bad_targets, strlen(bad_targets), "r");
	assert_int_equal(targets_load_stream(ts, f, "a", 0, err, sizeof(err)), -1);
	expect_substr(err, "a:3: bad target \"bad!\": bad hostname character '!'");
	fclose(f);
	f = fmemopen((void *)(uintptr_t)bad_excl, strlen(bad_excl), "r");
	assert_int_equal(targets_load_stream(ts, f, "b", 1, err, sizeof(err)), -1);
	expect_substr(err, "b:2: bad exclusion");
	fclose(f);
	assert_int_equal(targets_finalize(ts, &pl, 1, err, sizeof(err)), 0);
	assert_int_equal(targets_count(ts), 8);
	portlist_free(&pl);
	targets_free(ts);
}

static void test_load_file_paths(void **state)
{
	char path[] = "/tmp/test_targets_XXXXXX", err[ERRLEN];
	struct target_set *ts = targets_new();
	struct portlist pl = ports_of("443,8443");
	int fd = mkstemp(path), saved;
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("192.0.2.0/30\n", f);
	fclose(f);
	assert_int_equal(targets_load_file(ts, path, 0, err, sizeof(err)), 0);
	assert_int_equal(targets_load_file(ts, "/nonexistent/targets.txt", 0, err, sizeof(err)), -1);
	expect_substr(err, "/nonexistent/targets.txt: No such file or directory");

	/* "-" is stdin */
	f = fopen(path, "w");
	fputs("192.0.2.1\n", f);
	fclose(f);
	saved = dup(0);
	assert_non_null(freopen(path, "r", stdin));
	assert_int_equal(targets_load_file(ts, "-", 1, err, sizeof(err)), 0);
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	clearerr(stdin);

	assert_int_equal(targets_finalize(ts, &pl, 1, err, sizeof(err)), 0);
	assert_int_equal(targets_count(ts), 3 * 2);
	unlink(path);
	portlist_free(&pl);
	targets_free(ts);
}

/* ------------------------------------------------------------------ ports */

static void test_ports(void **state)
{
	struct portlist pl;
	char err[ERRLEN];

	(void)state;
	assert_int_equal(portlist_parse(&pl, "443,8443,9000-9010", err, sizeof(err)), 0);
	assert_int_equal(pl.n, 13);
	assert_int_equal(pl.ports[0], 443);
	assert_int_equal(pl.ports[1], 8443);
	assert_int_equal(pl.ports[2], 9000);
	assert_int_equal(pl.ports[12], 9010);
	portlist_free(&pl);
	assert_null(pl.ports);

	assert_int_equal(portlist_parse(&pl, " 8443 , 443,443,25-26,26 ", err, sizeof(err)), 0);
	assert_int_equal(pl.n, 4);
	assert_int_equal(pl.ports[0], 25);
	assert_int_equal(pl.ports[1], 26);
	assert_int_equal(pl.ports[2], 443);
	assert_int_equal(pl.ports[3], 8443);
	portlist_free(&pl);

	assert_int_equal(portlist_parse(&pl, "1-65535", err, sizeof(err)), 0);
	assert_int_equal(pl.n, 65535);
	for (size_t i = 0; i < pl.n; i++)
		assert_int_equal(pl.ports[i], i + 1);
	portlist_free(&pl);

	assert_int_equal(portlist_parse(&pl, "65535", err, sizeof(err)), 0);
	assert_int_equal(pl.n, 1);
	assert_int_equal(pl.ports[0], 65535);
	portlist_free(&pl);
	portlist_free(NULL);
}

static void test_port_errors(void **state)
{
	static const struct {
		const char *spec;
		const char *msg;
	} cases[] = {
		{ "0", "bad port list \"0\": port 0 out of range (1-65535)" },
		{ "443,65536", "port 65536 out of range (1-65535)" },
		{ "443,1000000000000", "port 1000000000000 out of range" },
		{ "9010-9000", "range 9010-9000 ends before it starts" },
		{ "44x3", "bad port \"44x3\"" },
		{ "443;80", "bad port \"443;80\"" },
		{ "-5", "missing port" },
		{ "5-", "missing port" },
		{ "1-2-3", "bad port \"2-3\"" },
		{ "0-10", "port 0 out of range" },
		{ "443,", "empty item" },
		{ ",443", "empty item" },
		{ "443,,80", "empty item" },
		{ "", "empty port list" },
		{ "   ", "empty port list" },
		{ "+443", "bad port \"+443\"" },
	};
	struct portlist pl;
	char err[ERRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		pl.ports = (uint16_t *)&pl; /* must be reset */
		pl.n = 7;
		assert_int_equal(portlist_parse(&pl, cases[i].spec, err, sizeof(err)), -1);
		expect_substr(err, cases[i].msg);
		assert_null(pl.ports);
		assert_int_equal(pl.n, 0);
	}
	assert_int_equal(portlist_parse(&pl, NULL, err, sizeof(err)), -1);
}

/* ------------------------------------------------------------------ finalize */

static void test_finalize_errors(void **state)
{
	struct portlist pl = ports_of("443"), two = ports_of("443,8443"), none = { NULL, 0 };
	struct target_set *ts;
	char err[ERRLEN];

	(void)state;
	ts = targets_new();
	assert_int_equal(targets_finalize(ts, &pl, 1, err, sizeof(err)), -1);
	expect_substr(err, "no targets given");
	assert_int_equal(targets_count(ts), 0);
	targets_free(ts);

	ts = targets_new();
	targets_add(ts, "192.0.2.0/24", 0, NULL, NULL, err, sizeof(err));
	targets_add_exclude(ts, "192.0.2.0-192.0.2.127", err, sizeof(err));
	targets_add_exclude(ts, "192.0.2.128/25", err, sizeof(err));
	assert_int_equal(targets_finalize(ts, &pl, 1, err, sizeof(err)), -1);
	assert_string_equal(err, "no targets left after exclusions");
	/* the failed finalize can be retried after adding more */
	targets_add(ts, "192.0.3.1", 0, NULL, NULL, err, sizeof(err));
	assert_int_equal(targets_finalize(ts, &pl, 1, err, sizeof(err)), 0);
	assert_int_equal(targets_count(ts), 1);
	targets_free(ts);

	ts = targets_new();
	targets_add(ts, "2001:db8::/64", 0, NULL, NULL, err, sizeof(err));
	assert_int_equal(targets_finalize(ts, &pl, 1, err, sizeof(err)), -1);
	expect_substr(err, "target space too large: more than 2^48 endpoints");
	targets_free(ts);

	ts = targets_new();
	targets_add(ts, "::/0", 0, NULL, NULL, err, sizeof(err));
	assert_int_equal(targets_finalize(ts, &pl, 1, err, sizeof(err)), -1);
	expect_substr(err, "too large");
	targets_free(ts);

	/* 2^48 addresses x 2 ports, and the sum of two blocks, are over the limit */
	ts = targets_new();
	targets_add(ts, "2001:db8::/80", 0, NULL, NULL, err, sizeof(err));
	assert_int_equal(targets_finalize(ts, &two, 1, err, sizeof(err)), -1);
	expect_substr(err, "too large");
	targets_free(ts);
	ts = targets_new();
	targets_add(ts, "2001:db8::/80", 0, NULL, NULL, err, sizeof(err));
	targets_add(ts, "192.0.2.1", 0, NULL, NULL, err, sizeof(err));
	assert_int_equal(targets_finalize(ts, &pl, 1, err, sizeof(err)), -1);
	expect_substr(err, "too large");
	targets_free(ts);

	/* no port list for a target without a port; fine when all have one */
	ts = targets_new();
	targets_add(ts, "192.0.2.1", 0, NULL, NULL, err, sizeof(err));
	assert_int_equal(targets_finalize(ts, &none, 1, err, sizeof(err)), -1);
	expect_substr(err, "no port list");
	assert_int_equal(targets_finalize(ts, NULL, 1, err, sizeof(err)), -1);
	targets_free(ts);
	ts = targets_new();
	targets_add(ts, "192.0.2.1:443", 0, NULL, NULL, err, sizeof(err));
	assert_int_equal(targets_finalize(ts, NULL, 1, err, sizeof(err)), 0);
	assert_int_equal(targets_count(ts), 1);
	targets_free(ts);

	/* an unsorted default list is refused */
	{
		uint16_t bad[2] = { 8443, 443 };
		struct portlist unsorted = { bad, 2 };
		ts = targets_new();
		targets_add(ts, "192.0.2.1", 0, NULL, NULL, err, sizeof(err));
		assert_int_equal(targets_finalize(ts, &unsorted, 1, err, sizeof(err)), -1);
		targets_free(ts);
	}
	assert_int_equal(targets_finalize(NULL, &pl, 1, err, sizeof(err)), -1);
	portlist_free(&pl);
	portlist_free(&two);
}

/* Overlaps and duplicates collapse, including an override port already in the list. */
static void test_merge_duplicates(void **state)
{
	struct target_set *ts = targets_new();
	struct portlist pl = ports_of("443,8443");
	char err[ERRLEN], **v;
	size_t n;

	(void)state;
	targets_add(ts, "192.0.2.0/28", 0, NULL, NULL, err, sizeof(err));
	targets_add(ts, "192.0.2.8-192.0.2.20", 0, NULL, NULL, err, sizeof(err)); /* overlaps */
	targets_add(ts, "192.0.2.21", 0, NULL, NULL, err, sizeof(err));           /* adjacent */
	targets_add(ts, "192.0.2.5:443", 0, NULL, NULL, err, sizeof(err));        /* in the list */
	targets_add(ts, "192.0.2.5:25", 0, NULL, NULL, err, sizeof(err));         /* new port */
	targets_add(ts, "192.0.2.30:443", 0, NULL, NULL, err, sizeof(err));       /* new address */
	targets_add(ts, "192.0.2.5", 0, "other.example", NULL, err, sizeof(err)); /* other SNI */
	targets_add(ts, "host.example", 0, NULL, NULL, err, sizeof(err));
	targets_add(ts, "HOST.example", 0, NULL, NULL, err, sizeof(err));
	targets_add(ts, "host.example:8443", 0, NULL, NULL, err, sizeof(err));
	targets_add(ts, "host.example:25", 0, NULL, NULL, err, sizeof(err));
	targets_add(ts, "host.example:25", 0, NULL, NULL, err, sizeof(err));
	targets_add(ts, "2001:db8::/126", 0, NULL, NULL, err, sizeof(err));
	targets_add(ts, "2001:db8::2-2001:db8::5", 0, NULL, NULL, err, sizeof(err));
	assert_int_equal(targets_finalize(ts, &pl, 3, err, sizeof(err)), 0);
	/* 22 v4 x 2 + 1 (.5:25) + 1 (.30:443) + 2 (other SNI) + host 2 + 1 (:25) + 6 v6 x 2 */
	assert_int_equal(targets_count(ts), 44 + 1 + 1 + 2 + 3 + 12);
	n = collect(ts, &v);
	assert_int_equal(n, targets_count(ts));
	qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 1; i < n; i++)
		if (strcmp(v[i - 1], v[i]) == 0)
			fail_msg("duplicate endpoint %s", v[i]);
	assert_true(has_line(v, n, "2 192.0.2.5 25 - - -"));
	assert_true(has_line(v, n, "2 192.0.2.5 443 - other.example -"));
	assert_true(has_line(v, n, "0 - 25 host.example - -"));
	free_lines(v, n);
	portlist_free(&pl);
	targets_free(ts);
}

/* Adjacent and overlapping intervals become one block; an exclusion splits one. */
static void test_merge_blocks(void **state)
{
	static const struct {
		const char *targets[4];
		const char *exclude;
		size_t blocks;
		uint64_t count;
	} cases[] = {
		{ { "10.0.0.0/25", "10.0.0.128-10.0.0.255", "10.0.1.0/24", NULL }, NULL, 1, 512 },
		{ { "10.0.0.0/25", "10.0.0.128-10.0.0.255", "10.0.1.0/24", NULL }, "10.0.0.5", 2, 511 },
		{ { "10.0.0.0/24", "10.0.0.0/24", "10.0.0.7", NULL }, "10.0.0.0", 1, 255 },
		{ { "10.0.0.0/24", "10.0.2.0/24", NULL, NULL }, "10.0.2.0-10.0.2.255", 1, 256 },
		{ { "2001:db8::-2001:db8::ff", "2001:db8::100/120", NULL, NULL }, NULL, 1, 512 },
		{ { "0.0.0.0/1", "128.0.0.0/1", NULL, NULL }, "255.255.255.255", 1, 0xffffffffu },
		{ { "::/1", "8000::/1", NULL, NULL }, "::/1", 1, 0 },
	};
	struct portlist pl = ports_of("443");
	char err[ERRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct target_set *ts = targets_new();
		for (int k = 0; k < 4 && cases[i].targets[k] != NULL; k++)
			assert_int_equal(targets_add(ts, cases[i].targets[k], 0, NULL, NULL, err,
			                             sizeof(err)), 0);
		if (cases[i].exclude != NULL)
			assert_int_equal(targets_add_exclude(ts, cases[i].exclude, err, sizeof(err)), 0);
		if (cases[i].count == 0) { /* 8000::/1 alone is far too large */
			assert_int_equal(targets_finalize(ts, &pl, 1, err, sizeof(err)), -1);
			expect_substr(err, "too large");
		} else {
			assert_int_equal(targets_finalize(ts, &pl, 1, err, sizeof(err)), 0);
			assert_int_equal(targets_block_count(ts), cases[i].blocks);
			assert_int_equal(targets_count(ts), cases[i].count);
		}
		targets_free(ts);
	}
	portlist_free(&pl);
}

/* Thousands of blocks (every third address excluded): each remaining endpoint once. */
static void test_many_blocks(void **state)
{
	struct target_set *ts = targets_new();
	struct portlist pl = ports_of("443,8443");
	char err[ERRLEN], spec[64];
	uint8_t *seen = calloc(4096 * 2, 1);
	struct target_iter it;
	struct endpoint_spec ep;
	uint64_t n = 0;

	(void)state;
	assert_int_equal(targets_add(ts, "10.0.0.0/20", 0, NULL, NULL, err, sizeof(err)), 0);
	for (int a = 1; a < 4096; a += 3) {
		snprintf(spec, sizeof(spec), "10.0.%d.%d", a >> 8, a & 255);
		assert_int_equal(targets_add_exclude(ts, spec, err, sizeof(err)), 0);
	}
	assert_int_equal(targets_finalize(ts, &pl, 11, err, sizeof(err)), 0);
	assert_int_equal(targets_count(ts), (4096 - 1365) * 2);
	assert_int_equal(targets_block_count(ts), 1366);
	targets_iter_init(&it, ts, 0, 1, 0);
	while (targets_iter_next(&it, &ep)) {
		int a = ((ep.addr[2] & 15) << 8) | ep.addr[3];
		int slot = a * 2 + (ep.port == 8443);
		assert_int_equal(ep.addr[0], 10);
		assert_int_equal(ep.addr[2] >> 4, 0);
		if (a % 3 == 1)
			fail_msg("excluded address 10.0.%d.%d visited", a >> 8, a & 255);
		if (seen[slot]++)
			fail_msg("10.0.%d.%d port %u visited twice", a >> 8, a & 255, ep.port);
		n++;
	}
	assert_int_equal(n, targets_count(ts));
	free(seen);
	portlist_free(&pl);
	targets_free(ts);
}

/* ------------------------------------------------------------------ iterator vs model */

__extension__ typedef unsigned __int128 u128;

struct model_target {
	int family;
	u128 lo, hi;
	uint16_t port;
	const char *sni;
};

static uint64_t rng(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void fmt_addr(int family, u128 a, char *buf, size_t len)
{
	unsigned char b[16] = { 0 };
	int nb = family == AF_INET6 ? 16 : 4;

	for (int k = nb - 1; k >= 0; k--) {
		b[k] = (unsigned char)a;
		a >>= 8;
	}
	inet_ntop(family, b, buf, (socklen_t)len);
}

/* A random spec (address, CIDR or range, maybe with a port) over a small space and its
 * interval; base is 10.1.0.0 or 2001:db8::. */
static void random_spec(uint64_t *s, int family, char *spec, size_t len, struct model_target *t,
                        int allow_port)
{
	u128 base = family == AF_INET6 ? (u128)0x20010db8u << 96 : 0x0a010000u;
	char a[64], b[64];
	uint64_t kind = rng(s) % 4, lo = rng(s) % 600, span = rng(s) % 80;

	t->family = family;
	t->port = 0;
	t->sni = NULL;
	switch (kind) {
	case 0:
		t->lo = t->hi = base + lo;
		fmt_addr(family, t->lo, a, sizeof(a));
		snprintf(spec, len, "%s", a);
		break;
	case 1: {
		int bits = (int)(rng(s) % 7); /* up to /25 or /121 */
		t->lo = (base + lo) & ~(((u128)1 << bits) - 1);
		t->hi = t->lo + ((u128)1 << bits) - 1;
		fmt_addr(family, base + lo, a, sizeof(a));
		snprintf(spec, len, "%s/%d", a, (family == AF_INET6 ? 128 : 32) - bits);
		break;
	}
	default:
		t->lo = base + lo;
		t->hi = base + lo + span;
		fmt_addr(family, t->lo, a, sizeof(a));
		fmt_addr(family, t->hi, b, sizeof(b));
		snprintf(spec, len, "%s-%s", a, b);
		break;
	}
	if (allow_port && rng(s) % 4 == 0) {
		static const uint16_t choices[] = { 443, 25, 8443 };
		t->port = choices[rng(s) % 3];
		if (family == AF_INET6) {
			char tmp[200];
			snprintf(tmp, sizeof(tmp), "[%s]:%u", spec, t->port);
			snprintf(spec, len, "%s", tmp);
		} else {
			size_t l = strlen(spec);
			snprintf(spec + l, len - l, ":%u", t->port);
		}
	}
	if (allow_port && rng(s) % 5 == 0)
		t->sni = "sni.example";
}

/* Builds a random set, then checks the iterator against the brute-force model. */
static void check_random_scenario(uint64_t seed, int family)
{
	struct model_target tgt[12], exc[6];
	struct target_set *ts = targets_new();
	struct portlist pl = ports_of(seed % 3 == 0 ? "443" : "443,8443");
	char spec[200], err[ERRLEN], buf[256], **want = NULL, **got = NULL;
	size_t nt = 1 + rng(&seed) % 12, nx = rng(&seed) % 6, nwant = 0, capw = 64, ngot;

	for (size_t i = 0; i < nt; i++) {
		random_spec(&seed, family, spec, sizeof(spec), &tgt[i], 1);
		if (targets_add(ts, spec, 0, tgt[i].sni, NULL, err, sizeof(err)) != 0)
			fail_msg("add %s: %s", spec, err);
	}
	for (size_t i = 0; i < nx; i++) {
		random_spec(&seed, family, spec, sizeof(spec), &exc[i], 0);
		if (targets_add_exclude(ts, spec, err, sizeof(err)) != 0)
			fail_msg("exclude %s: %s", spec, err);
	}
	/* the model: every (address, port, sni) of every target, minus exclusions, unique */
	want = malloc(capw * sizeof(*want));
	for (size_t i = 0; i < nt; i++) {
		for (u128 a = tgt[i].lo; a <= tgt[i].hi; a++) {
			int excluded = 0;
			char as[64];
			for (size_t k = 0; k < nx; k++)
				excluded |= exc[k].lo <= a && a <= exc[k].hi;
			if (excluded)
				continue;
			fmt_addr(family, a, as, sizeof(as));
			for (size_t p = 0; p < (tgt[i].port ? 1 : pl.n); p++) {
				if (nwant == capw)
					want = realloc(want, (capw *= 2) * sizeof(*want));
				snprintf(buf, sizeof(buf), "%d %s %u - %s -", family, as,
				         tgt[i].port ? tgt[i].port : pl.ports[p],
				         tgt[i].sni ? tgt[i].sni : "-");
				want[nwant++] = strdup(buf);
			}
		}
	}
	qsort(want, nwant, sizeof(*want), cmp_str);
	{
		size_t o = 0;
		for (size_t i = 0; i < nwant; i++) {
			if (o > 0 && strcmp(want[o - 1], want[i]) == 0)
				free(want[i]);
			else
				want[o++] = want[i];
		}
		nwant = o;
	}
	if (nwant == 0) {
		assert_int_equal(targets_finalize(ts, &pl, seed, err, sizeof(err)), -1);
		expect_substr(err, "no targets left after exclusions");
		goto done;
	}
	if (targets_finalize(ts, &pl, seed, err, sizeof(err)) != 0)
		fail_msg("finalize: %s", err);
	assert_int_equal(targets_count(ts), nwant);
	ngot = collect(ts, &got);
	assert_int_equal(ngot, nwant);
	qsort(got, ngot, sizeof(*got), cmp_str);
	for (size_t i = 0; i < ngot; i++)
		if (strcmp(got[i], want[i]) != 0)
			fail_msg("seed %llu: endpoint %zu is \"%s\", model says \"%s\"",
			         (unsigned long long)seed, i, got[i], want[i]);
	free_lines(got, ngot);
	/* and excluded addresses are reported as such */
	for (size_t k = 0; k < nx; k++) {
		unsigned char b[16] = { 0 };
		fmt_addr(family, exc[k].hi, buf, sizeof(buf));
		inet_pton(family, buf, b);
		assert_int_equal(targets_is_excluded(ts, family, b), 1);
	}
done:
	free_lines(want, nwant);
	portlist_free(&pl);
	targets_free(ts);
}

static void test_iter_matches_model_ipv4(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 300; seed++)
		check_random_scenario(seed, AF_INET);
}

static void test_iter_matches_model_ipv6(void **state)
{
	(void)state;
	for (uint64_t seed = 1000; seed < 1300; seed++)
		check_random_scenario(seed, AF_INET6);
}

/* A mixed set used by the shard and resume tests. */
static struct target_set *mixed_set(void)
{
	struct target_set *ts = targets_new();
	struct portlist pl = ports_of("443,8443,25");
	char err[ERRLEN];

	targets_add(ts, "10.0.0.0/22", 0, NULL, NULL, err, sizeof(err));
	targets_add(ts, "2001:db8::/122", 0, NULL, NULL, err, sizeof(err));
	targets_add(ts, "a.example", 0, NULL, NULL, err, sizeof(err));
	targets_add(ts, "10.9.9.9:993", 0, NULL, "imap", err, sizeof(err));
	targets_add_exclude(ts, "10.0.1.0/24", err, sizeof(err));
	targets_add_exclude(ts, "2001:db8::10-2001:db8::1f", err, sizeof(err));
	if (targets_finalize(ts, &pl, 77, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	portlist_free(&pl);
	return ts;
}

static void test_shards(void **state)
{
	struct target_set *ts = mixed_set();
	uint64_t n = targets_count(ts);
	char **all, buf[256];
	size_t nall = collect(ts, &all), seen = 0;
	uint8_t *hit;

	(void)state;
	assert_int_equal(n, 768 * 3 + 48 * 3 + 3 + 1);
	assert_int_equal(nall, n);
	qsort(all, nall, sizeof(*all), cmp_str);
	hit = calloc(nall, 1);
	for (uint32_t shard = 0; shard < 4; shard++) {
		struct target_iter it;
		struct endpoint_spec ep;
		targets_iter_init(&it, ts, shard, 4, 0);
		while (targets_iter_next(&it, &ep)) {
			char *key = buf, **pos;
			ep_str(&ep, buf, sizeof(buf));
			pos = bsearch(&key, all, nall, sizeof(*all), cmp_str);
			assert_non_null(pos);
			if (hit[pos - all]++)
				fail_msg("shard %u repeats %s", shard, buf);
			seen++;
		}
	}
	assert_int_equal(seen, nall);
	/* a shard index out of range visits nothing; 0 shards means 1 */
	{
		struct target_iter it;
		struct endpoint_spec ep;
		size_t c = 0;
		targets_iter_init(&it, ts, 4, 4, 0);
		assert_int_equal(targets_iter_next(&it, &ep), 0);
		targets_iter_init(&it, ts, 0, 0, 0);
		while (targets_iter_next(&it, &ep))
			c++;
		assert_int_equal(c, nall);
	}
	free(hit);
	free_lines(all, nall);
	targets_free(ts);
}

/* Stopping anywhere and resuming from it->pos (or any position) continues without gaps or
 * repeats, also per shard. */
static void test_resume(void **state)
{
	struct target_set *ts = mixed_set();
	uint64_t n = targets_count(ts);
	char **ref = malloc(n * sizeof(*ref)), buf[256];
	struct target_iter it;
	struct endpoint_spec ep;
	uint64_t i = 0;

	(void)state;
	targets_iter_init(&it, ts, 0, 1, 0);
	while (targets_iter_next(&it, &ep)) {
		ep_str(&ep, buf, sizeof(buf));
		ref[i++] = strdup(buf);
	}
	assert_int_equal(i, n);
	/* resume from several positions, in one shard */
	for (uint64_t start = 0; start <= n; start += 97) {
		uint64_t k = start;
		targets_iter_init(&it, ts, 0, 1, start);
		while (targets_iter_next(&it, &ep)) {
			ep_str(&ep, buf, sizeof(buf));
			assert_true(k < n);
			assert_string_equal(buf, ref[k]);
			k++;
		}
		assert_int_equal(k, n);
	}
	/* shard 1 of 3: interrupted after 10, resumed from it.pos */
	{
		struct target_iter a, b;
		uint64_t k = 1;
		targets_iter_init(&a, ts, 1, 3, 0);
		for (int c = 0; c < 10; c++, k += 3) {
			assert_int_equal(targets_iter_next(&a, &ep), 1);
			ep_str(&ep, buf, sizeof(buf));
			assert_string_equal(buf, ref[k]);
		}
		targets_iter_init(&b, ts, 1, 3, a.pos);
		for (; k < n; k += 3) {
			assert_int_equal(targets_iter_next(&b, &ep), 1);
			ep_str(&ep, buf, sizeof(buf));
			assert_string_equal(buf, ref[k]);
		}
		assert_int_equal(targets_iter_next(&b, &ep), 0);
		/* a start position between shard positions rounds up to the shard's next one */
		targets_iter_init(&b, ts, 1, 3, 5);
		assert_int_equal(targets_iter_next(&b, &ep), 1);
		ep_str(&ep, buf, sizeof(buf));
		assert_string_equal(buf, ref[7]);
		targets_iter_init(&b, ts, 1, 3, UINT64_MAX);
		assert_int_equal(targets_iter_next(&b, &ep), 0);
	}
	free_lines(ref, n);
	targets_free(ts);
}

/* Consecutive endpoints of a /16 are far apart: not an address-order sweep. */
static void test_order_not_sequential(void **state)
{
	struct target_set *ts = one("10.20.0.0/16", NULL);
	struct target_iter it;
	struct endpoint_spec ep;
	uint32_t prev = 0;
	int first = 1, near = 0, same24 = 0, steps = 0;

	(void)state;
	targets_iter_init(&it, ts, 0, 1, 0);
	while (targets_iter_next(&it, &ep)) {
		uint32_t a = ((uint32_t)ep.addr[2] << 8) | ep.addr[3];
		if (!first) {
			uint32_t d = a > prev ? a - prev : prev - a;
			near += d <= 4;
			same24 += (a >> 8) == (prev >> 8);
			steps++;
		}
		first = 0;
		prev = a;
	}
	assert_int_equal(steps, 65535);
	assert_true(near < 100);    /* about 8 expected */
	assert_true(same24 < 600);  /* about 256 expected */
	/* a different seed gives a different order */
	{
		struct target_set *t2 = targets_new();
		struct portlist pl = ports_of("443");
		char err[ERRLEN], b1[256], b2[256];
		int differ = 0;
		struct target_iter i1, i2;
		struct endpoint_spec e1, e2;
		targets_add(t2, "10.20.0.0/16", 0, NULL, NULL, err, sizeof(err));
		targets_finalize(t2, &pl, 2, err, sizeof(err));
		targets_iter_init(&i1, ts, 0, 1, 0);
		targets_iter_init(&i2, t2, 0, 1, 0);
		for (int k = 0; k < 100; k++) {
			targets_iter_next(&i1, &e1);
			targets_iter_next(&i2, &e2);
			ep_str(&e1, b1, sizeof(b1));
			ep_str(&e2, b2, sizeof(b2));
			differ += strcmp(b1, b2) != 0;
		}
		assert_true(differ > 90);
		portlist_free(&pl);
		targets_free(t2);
	}
	targets_free(ts);
}

/* A /8 x 10 ports is one block: no per-address memory, and iteration stays in range. */
static void test_big_space(void **state)
{
	struct target_set *ts = targets_new();
	struct portlist pl = ports_of("443,465,587,636,853,993,995,8443,9443,10443");
	struct mallinfo2 before, after;
	char err[ERRLEN];
	struct target_iter it;
	struct endpoint_spec ep;
	uint64_t ports_seen = 0;

	(void)state;
	assert_int_equal(targets_add(ts, "10.0.0.0/8", 0, NULL, NULL, err, sizeof(err)), 0);
	before = mallinfo2();
	assert_int_equal(targets_finalize(ts, &pl, 1, err, sizeof(err)), 0);
	after = mallinfo2();
	assert_true(after.uordblks < before.uordblks + 64 * 1024);
	assert_int_equal(targets_count(ts), UINT64_C(167772160));
	assert_int_equal(targets_block_count(ts), 1);
	targets_iter_init(&it, ts, 0, 1, 0);
	for (int k = 0; k < 1000000; k++) {
		assert_int_equal(targets_iter_next(&it, &ep), 1);
		if (ep.family != AF_INET || ep.addr[0] != 10)
			fail_msg("endpoint outside 10/8");
		for (size_t p = 0; p < pl.n; p++)
			if (pl.ports[p] == ep.port)
				ports_seen |= UINT64_C(1) << p;
	}
	assert_int_equal(ports_seen, (1u << 10) - 1);
	/* the last position is valid, the one after ends the stream */
	targets_iter_init(&it, ts, 0, 1, UINT64_C(167772159));
	assert_int_equal(targets_iter_next(&it, &ep), 1);
	assert_int_equal(targets_iter_next(&it, &ep), 0);
	portlist_free(&pl);
	targets_free(ts);
}

static void test_unfinalized_iter(void **state)
{
	struct target_set *ts = targets_new();
	struct target_iter it;
	struct endpoint_spec ep;
	char err[ERRLEN];

	(void)state;
	targets_add(ts, "192.0.2.1", 0, NULL, NULL, err, sizeof(err));
	targets_iter_init(&it, ts, 0, 1, 0);
	assert_int_equal(targets_iter_next(&it, &ep), 0);
	assert_int_equal(targets_count(ts), 0);
	assert_int_equal(targets_block_count(ts), 0);
	targets_free(ts);
	targets_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_forms),
		cmocka_unit_test(test_spec_bounds),
		cmocka_unit_test(test_spec_errors),
		cmocka_unit_test(test_spec_length_limits),
		cmocka_unit_test(test_add_overrides),
		cmocka_unit_test(test_exclude_specs),
		cmocka_unit_test(test_exclude_errors),
		cmocka_unit_test(test_file_forms),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_file_long_line),
		cmocka_unit_test(test_file_rollback),
		cmocka_unit_test(test_load_file_paths),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_port_errors),
		cmocka_unit_test(test_finalize_errors),
		cmocka_unit_test(test_merge_duplicates),
		cmocka_unit_test(test_merge_blocks),
		cmocka_unit_test(test_many_blocks),
		cmocka_unit_test(test_iter_matches_model_ipv4),
		cmocka_unit_test(test_iter_matches_model_ipv6),
		cmocka_unit_test(test_shards),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_order_not_sequential),
		cmocka_unit_test(test_big_space),
		cmocka_unit_test(test_unfinalized_iter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
