/*
 * config.c: the sweep configuration file (config.h): parsing with libinih, checking every
 * value with the CLI's own parsers, and turning a sweep into the commands one run executes.
 *
 * libinih (Debian's build) calls its handler without a line number and never for a section
 * header, and silently splits a line longer than its 200-byte buffer. So the file is read
 * whole (at most CONFIG_MAX_BYTES) and fed to ini_parse_stream through reader(), which counts
 * lines, handles section headers itself, refuses overlong lines, NUL bytes and lines that are
 * neither a comment, a header nor "KEY = VALUE", and hands libinih only the key lines (the
 * others become empty lines). libinih splits those into key and value, strips whitespace and
 * inline comments, and calls on_key(), which sees the line number the reader just counted.
 */
#include "cli/config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "alerts/alerts.h"
#include "analyzer/analyzer.h"
#include "cli/cli.h"
#include "core/text.h"
#include "scanner/starttls.h"
#include "scanner/targets.h"

/* How a value is checked. */
enum {
	CK_TEXT, CK_TARGET, CK_EXCLUDE, CK_TARGETS_FILE, CK_EXCLUDE_FILE, CK_PORTS, CK_STARTTLS,
	CK_INT, CK_MS, CK_RATE, CK_CHOICE, CK_FAIL_ON, CK_READ_FILE, CK_READ_DIR, CK_OUT_FILE,
	CK_OUT_DIR, CK_PREF_CA, CK_PREF_FP, CK_PREF_FILE, CK_THRESHOLDS, CK_CHANNEL, CK_BOOL,
};

#define SCAN CONFIG_CMD_SCAN
#define REPEAT CONFIG_KEY_REPEAT
#define WORDS CONFIG_KEY_WORDS
#define STRF CONFIG_KEY_STRFTIME

/* The numeric bounds are cmd_scan's (cli/cmd_scan.c parse_scan_args) and cmd_alerts'; keep
 * them in step. Order: the scan's options are emitted in this order. */
const struct config_key config_keys[] = {
	{ "targets", SCAN, "", REPEAT | WORDS, CK_TARGET, 0, 0, NULL },
	{ "targets-file", SCAN, "--targets", REPEAT, CK_TARGETS_FILE, 0, 0, NULL },
	{ "exclude", SCAN, "--exclude", REPEAT | WORDS, CK_EXCLUDE, 0, 0, NULL },
	{ "exclude-file", SCAN, "--exclude-file", REPEAT, CK_EXCLUDE_FILE, 0, 0, NULL },
	{ "ports", SCAN, "--ports", 0, CK_PORTS, 0, 0, NULL },
	{ "sni", SCAN, "--sni", 0, CK_TEXT, 0, 0, NULL },
	{ "starttls", SCAN, "--starttls", 0, CK_STARTTLS, 0, 0, NULL },
	{ "seed", SCAN, "--seed", 0, CK_INT, 0, LONG_MAX, NULL },
	{ "concurrency", SCAN, "--concurrency", 0, CK_INT, 1, 65000, NULL },
	{ "rate", SCAN, "--rate", 0, CK_RATE, 0, 0, NULL },
	{ "connect-timeout", SCAN, "--connect-timeout", 0, CK_MS, 10, 600000, NULL },
	{ "timeout", SCAN, "--timeout", 0, CK_MS, 10, 600000, NULL },
	{ "retries", SCAN, "--retries", 0, CK_INT, 0, 10, NULL },
	{ "checks", SCAN, "--checks", 0, CK_CHOICE, 0, 0, "basic advanced" },
	{ "per-host", SCAN, "--per-host", 0, CK_INT, 1, 64, NULL },
	{ "max-connections", SCAN, "--max-connections", 0, CK_INT, 10, 10000, NULL },
	{ "handshake", SCAN, "--handshake", 0, CK_CHOICE, 0, 0, "fast full" },
	{ "resolver", SCAN, "--resolver", 0, CK_TEXT, 0, 0, NULL },
	{ "hosts-file", SCAN, "--hosts-file", 0, CK_READ_FILE, 0, 0, NULL },
	{ "ca-file", SCAN, "--ca-file", 0, CK_READ_FILE, 0, 0, NULL },
	{ "ca-path", SCAN, "--ca-path", 0, CK_READ_DIR, 0, 0, NULL },
	{ "preferred-ca", SCAN, "--preferred-ca", REPEAT, CK_PREF_CA, 0, 0, NULL },
	{ "preferred-fingerprint", SCAN, "--preferred-fingerprint", REPEAT | WORDS, CK_PREF_FP, 0, 0,
	  NULL },
	{ "preferred-ca-file", SCAN, "--preferred-ca-file", REPEAT, CK_PREF_FILE, 0, 0, NULL },
	{ "expiring-critical", SCAN, "--expiring-critical", 0, CK_INT, 0, 3650, NULL },
	{ "expiring-high", SCAN, "--expiring-high", 0, CK_INT, 0, 3650, NULL },
	{ "geoip-db", SCAN, "--geoip-db", 0, CK_READ_FILE, 0, 0, NULL },
	{ "asn-db", SCAN, "--asn-db", 0, CK_READ_FILE, 0, 0, NULL },
	{ "owner-db", SCAN, "--owner-db", 0, CK_READ_FILE, 0, 0, NULL },
	{ "db", SCAN, "--db", 0, CK_OUT_FILE, 0, 0, NULL },
	{ "json", SCAN, "--json", STRF, CK_OUT_FILE, 0, 0, NULL },
	{ "fail-on", SCAN, "--fail-on", 0, CK_FAIL_ON, 0, 0, NULL },
	{ "quiet", SCAN, "--quiet", CONFIG_KEY_FLAG, CK_BOOL, 0, 0, NULL },
	{ "diff", CONFIG_CMD_SWEEP, NULL, 0, CK_BOOL, 0, 0, NULL },
	{ "alerts", CONFIG_CMD_SWEEP, NULL, 0, CK_BOOL, 0, 0, NULL },
	{ "alert-thresholds", CONFIG_CMD_ALERTS, "--thresholds", 0, CK_THRESHOLDS, 0, 0, NULL },
	{ "alert-channel", CONFIG_CMD_ALERTS, "--channel", REPEAT, CK_CHANNEL, 0, 0, NULL },
	{ "alert-mail-from", CONFIG_CMD_ALERTS, "--mail-from", 0, CK_TEXT, 0, 0, NULL },
	{ "alert-mail-to", CONFIG_CMD_ALERTS, "--mail-to", 0, CK_TEXT, 0, 0, NULL },
	{ "alert-timeout", CONFIG_CMD_ALERTS, "--timeout", 0, CK_MS, 100, 600000, NULL },
	{ "report-html", CONFIG_CMD_REPORT, "html", STRF, CK_OUT_FILE, 0, 0, NULL },
	{ "report-csv", CONFIG_CMD_REPORT, "csv", STRF, CK_OUT_DIR, 0, 0, NULL },
	{ "report-json", CONFIG_CMD_REPORT, "json", STRF, CK_OUT_FILE, 0, 0, NULL },
};
const size_t config_n_keys = sizeof(config_keys) / sizeof(config_keys[0]);

#define MAX_EXCLUDE_FILES 16 /* cmd_scan's limit */

/* Section cursor values besides a sweep index. */
enum { SEC_NONE = -1, SEC_BAD = -2, SEC_DEFAULTS = -3 };

/* Everything one parse owns; lives on config_parse's stack. */
struct parse_state {
	struct config *c;             /* being built; owned by config_parse */
	char path[256];               /* terminal-safe, for messages */
	const char *text;             /* borrowed: the whole file */
	size_t len, pos;
	int lineno;
	unsigned flags;
	int errors;
	int oom;
	int cur;                      /* SEC_* or an index into c->sweeps */
	size_t n_values;
	time_t now;
	struct target_set *scratch;   /* owned: targets and exclusions are checked into it */
	struct ca_policy *policy;     /* owned: preferred-CA values are checked into it */
};

static void perr(struct parse_state *ps, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prints "certsweep: PATH:LINE: message" (line 0: "PATH: message"), up to the cap. */
static void perr(struct parse_state *ps, int line, const char *fmt, ...)
{
	va_list ap;

	if (ps->errors++ >= CONFIG_MAX_ERRORS)
		return;
	if (line > 0)
		fprintf(stderr, "certsweep: %s:%d: ", ps->path, line);
	else
		fprintf(stderr, "certsweep: %s: ", ps->path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int config_key_find(const char *name)
{
	for (size_t i = 0; i < config_n_keys; i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

int config_bool(const char *text)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(text, yes[i]) == 0)
			return 1;
		if (strcmp(text, no[i]) == 0)
			return 0;
	}
	return -1;
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* 1 when s is valid UTF-8 without C0/C1 controls (tab aside) or DEL, so it prints safely. */
static int text_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), n;

	while (left > 0) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 0;
		if ((n = text_utf8_seq(p, left)) == 0)
			return 0;
		if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) /* U+0080..U+009F */
			return 0;
		p += n;
		left -= n;
	}
	return 1;
}

/* One %-sequence of a path: the conversion ch of tm into out (len bytes). Each format is a
 * literal, so the compiler checks them. The length written, 0 when ch is not supported. */
static size_t conversion(char ch, const struct tm *tm, char *out, size_t len)
{
	switch (ch) {
	case 'Y': return strftime(out, len, "%Y", tm);
	case 'm': return strftime(out, len, "%m", tm);
	case 'd': return strftime(out, len, "%d", tm);
	case 'H': return strftime(out, len, "%H", tm);
	case 'M': return strftime(out, len, "%M", tm);
	case 'S': return strftime(out, len, "%S", tm);
	case 'F': return strftime(out, len, "%F", tm);
	case 'j': return strftime(out, len, "%j", tm);
	case 'G': return strftime(out, len, "%G", tm);
	case 'V': return strftime(out, len, "%V", tm);
	case 'u': return strftime(out, len, "%u", tm);
	case '%': return strftime(out, len, "%%", tm);
	default: return 0;
	}
}

/* A key's value with its %-sequences expanded (local time at now) when the key allows them,
 * else a copy. 0; -1 when a sequence is not one of CONFIG_TIME_SEQUENCES; -2 when the result
 * does not fit in len. */
static int expand(const struct config_key *k, const char *text, time_t now, char *out, size_t len)
{
	struct tm tm;
	size_t used = 0, n;

	if (!(k->flags & STRF) || strchr(text, '%') == NULL) {
		n = strlen(text);
		if (n >= len)
			return -2;
		memcpy(out, text, n + 1);
		return 0;
	}
	if (localtime_r(&now, &tm) == NULL)
		return -2;
	for (const char *p = text; *p != '\0'; p++) {
		if (used + 1 >= len)
			return -2;
		if (*p != '%') {
			out[used++] = *p;
			continue;
		}
		if ((n = conversion(p[1], &tm, out + used, len - used)) == 0)
			return p[1] != '\0' && strchr(CONFIG_TIME_SEQUENCES, p[1]) != NULL ? -2 : -1;
		used += n;
		p++;
	}
	out[used] = '\0';
	return 0;
}

/* --------------------------------------------------------------------------- sections */

static struct config_section *section_at(struct config *c, int cur)
{
	if (cur == SEC_DEFAULTS)
		return &c->defaults;
	return cur >= 0 ? &c->sweeps[cur] : NULL;
}

/* [sweep NAME]: NAME valid? */
static int name_ok(const char *s, size_t n)
{
	if (n == 0 || n > CONFIG_MAX_NAME)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		int alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');

		if (!alnum && (i == 0 || (ch != '.' && ch != '_' && ch != '-')))
			return 0;
	}
	return 1;
}

static void add_sweep(struct parse_state *ps, const char *name, size_t n)
{
	struct config *c = ps->c;
	struct config_section *sec;

	for (size_t i = 0; i < c->n_sweeps; i++)
		if (strlen(c->sweeps[i].name) == n && memcmp(c->sweeps[i].name, name, n) == 0) {
			perr(ps, ps->lineno, "sweep \"%s\" is already defined at %s:%d (sweep names are "
			     "unique)", c->sweeps[i].name, ps->path, c->sweeps[i].line);
			return;
		}
	if (c->n_sweeps == CONFIG_MAX_SWEEPS) {
		perr(ps, ps->lineno, "more than %d sweeps", CONFIG_MAX_SWEEPS);
		return;
	}
	if (c->n_sweeps == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 8;
		struct config_section *v = realloc(c->sweeps, cap * sizeof(*v));

		if (v == NULL) {
			ps->oom = 1;
			return;
		}
		c->sweeps = v;
		c->cap = cap;
	}
	sec = &c->sweeps[c->n_sweeps];
	memset(sec, 0, sizeof(*sec));
	if ((sec->name = strndup(name, n)) == NULL) {
		ps->oom = 1;
		return;
	}
	sec->line = ps->lineno;
	ps->cur = (int)c->n_sweeps++;
}

/* A header line s (trimmed, s[0] == '[', n bytes). Sets ps->cur. */
static void on_header(struct parse_state *ps, const char *s, size_t n)
{
	const char *close = memchr(s, ']', n), *in, *rest;
	char safe[128], raw[CONFIG_MAX_LINE + 1];
	size_t inlen;

	ps->cur = SEC_BAD;
	if (close == NULL) {
		perr(ps, ps->lineno, "unterminated section header (no ']'): expected [defaults] or "
		     "[sweep NAME]");
		return;
	}
	for (rest = close + 1; rest < s + n && is_space(*rest); rest++)
		;
	if (rest < s + n && *rest != '#' && *rest != ';') {
		perr(ps, ps->lineno, "unexpected text after the section header");
		return;
	}
	for (in = s + 1; in < close && is_space(*in); in++)
		;
	for (inlen = (size_t)(close - in); inlen > 0 && is_space(in[inlen - 1]); inlen--)
		;
	if (inlen == 8 && memcmp(in, "defaults", 8) == 0) {
		if (ps->c->defaults.line != 0) {
			perr(ps, ps->lineno, "[defaults] is already at line %d (one [defaults] section)",
			     ps->c->defaults.line);
			return;
		}
		ps->c->defaults.line = ps->lineno;
		ps->cur = SEC_DEFAULTS;
		return;
	}
	if (inlen >= 5 && memcmp(in, "sweep", 5) == 0 && (inlen == 5 || is_space(in[5]))) {
		const char *name = in + 5;
		size_t nlen;

		while (name < in + inlen && is_space(*name))
			name++;
		nlen = (size_t)(in + inlen - name);
		if (nlen == 0) {
			perr(ps, ps->lineno, "a sweep section needs a name: [sweep NAME]");
			return;
		}
		if (!name_ok(name, nlen)) {
			memcpy(raw, name, nlen);
			raw[nlen] = '\0';
			text_terminal(safe, sizeof(safe), raw);
			perr(ps, ps->lineno, "bad sweep name \"%s\": up to %d letters, digits, '.', '_' and "
			     "'-', starting with a letter or digit", safe, CONFIG_MAX_NAME);
			return;
		}
		add_sweep(ps, name, nlen);
		return;
	}
	memcpy(raw, in, inlen);
	raw[inlen] = '\0';
	text_terminal(safe, sizeof(safe), raw);
	perr(ps, ps->lineno, "unknown section [%s]: expected [defaults] or [sweep NAME]", safe);
}

/* --------------------------------------------------------------------------- reader */

/* 1 when libinih would take line s as "KEY = VALUE": an '=' or ':' before any inline
 * comment (';' after whitespace), as its find_chars_or_comment does. */
static int key_line(const char *s, size_t n)
{
	int was_space = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=' || s[i] == ':')
			return 1;
		if (was_space && s[i] == ';')
			return 0;
		was_space = s[i] == ' ' || s[i] == '\t';
	}
	return 0;
}

/* libinih's fgets: one line of ps->text per call, as described at the top of the file. */
static char *reader(char *str, int num, void *stream)
{
	struct parse_state *ps = stream;
	const char *p, *nl;
	size_t n, limit = CONFIG_MAX_LINE;

	if (ps->pos >= ps->len || num < 4)
		return NULL;
	if ((size_t)num - 3 < limit)
		limit = (size_t)num - 3;
	p = ps->text + ps->pos;
	nl = memchr(p, '\n', ps->len - ps->pos);
	n = nl != NULL ? (size_t)(nl - p) : ps->len - ps->pos;
	ps->pos += n + (nl != NULL);
	ps->lineno++;
	str[0] = '\n';
	str[1] = '\0';
	if (ps->lineno == 1 && n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		n -= 3;
	}
	if (memchr(p, '\0', n) != NULL) {
		perr(ps, ps->lineno, "a NUL byte: this is not a text file");
		return str;
	}
	while (n > 0 && is_space(*p)) {
		p++;
		n--;
	}
	while (n > 0 && is_space(p[n - 1]))
		n--;
	if (n > limit) {
		perr(ps, ps->lineno, "line longer than %zu characters (split a long list over "
		     "several lines of the same key)", limit);
		return str;
	}
	if (n == 0 || p[0] == '#' || p[0] == ';')
		return str;
	if (p[0] == '[') {
		on_header(ps, p, n);
		return str;
	}
	if (!key_line(p, n)) {
		perr(ps, ps->lineno, "expected KEY = VALUE, [defaults] or [sweep NAME]");
		return str;
	}
	memcpy(str, p, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

/* --------------------------------------------------------------------------- values */

/* Checks that path (a key's input file or folder) can be read. */
static int check_readable(struct parse_state *ps, const char *key, const char *path, int dir)
{
	struct stat sb;

	if (stat(path, &sb) != 0 || access(path, R_OK) != 0) {
		perr(ps, ps->lineno, "%s: cannot read %s: %s", key, path, strerror(errno));
		return -1;
	}
	if (dir && !S_ISDIR(sb.st_mode)) {
		perr(ps, ps->lineno, "%s: %s is not a folder", key, path);
		return -1;
	}
	if (!dir && !S_ISREG(sb.st_mode)) {
		perr(ps, ps->lineno, "%s: %s is not a regular file", key, path);
		return -1;
	}
	return 0;
}

/* Checks that an output path (expanded) can be written: when it exists, that it is a file
 * (dir: a folder) this user may write; else that its folder exists and may be written into
 * (by this user: `config check` run as another user than the sweep's tells about that one). */
static int check_output(struct parse_state *ps, const char *key, const char *path, int dir)
{
	char parent[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat sb;

	if (stat(path, &sb) == 0) {
		if (dir != (S_ISDIR(sb.st_mode) != 0)) {
			perr(ps, ps->lineno, "%s: %s is %s", key, path, dir ? "not a folder" : "a folder");
			return -1;
		}
		if (access(path, dir ? W_OK | X_OK : W_OK) != 0) {
			perr(ps, ps->lineno, "%s: cannot write %s: %s", key, path, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (slash == NULL) {
		strcpy(parent, ".");
	} else if (slash == path) {
		strcpy(parent, "/");
	} else {
		if ((size_t)(slash - path) >= sizeof(parent))
			return 0; /* cannot happen: path is shorter */
		memcpy(parent, path, (size_t)(slash - path));
		parent[slash - path] = '\0';
	}
	if (stat(parent, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		perr(ps, ps->lineno, "%s: the folder %s does not exist", key, parent);
		return -1;
	}
	if (access(parent, W_OK | X_OK) != 0) {
		perr(ps, ps->lineno, "%s: cannot write into the folder %s: %s", key, parent,
		     strerror(errno));
		return -1;
	}
	return 0;
}

/* Each space-separated word of text, through fn. 0, or -1 when one was refused. */
static int each_word(struct parse_state *ps, const struct config_key *k, const char *text,
                     int (*fn)(struct parse_state *, const struct config_key *, const char *))
{
	char word[CONFIG_MAX_LINE + 1];
	const char *p = text;
	int rc = 0;

	while (*p != '\0') {
		size_t n = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		while (p[n] != '\0' && p[n] != ' ' && p[n] != '\t')
			n++;
		if (n == 0)
			break;
		if (n >= sizeof(word))
			return -1; /* cannot happen: lines are shorter */
		memcpy(word, p, n);
		word[n] = '\0';
		if (fn(ps, k, word) != 0)
			rc = -1;
		p += n;
	}
	return rc;
}

static int check_target(struct parse_state *ps, const struct config_key *k, const char *w)
{
	char err[512];
	int r = k->check == CK_TARGET ? targets_add(ps->scratch, w, 0, NULL, NULL, err, sizeof(err))
	                              : targets_add_exclude(ps->scratch, w, err, sizeof(err));

	if (r != 0) {
		perr(ps, ps->lineno, "%s: %s", k->name, err);
		return -1;
	}
	return 0;
}

static int check_fingerprint(struct parse_state *ps, const struct config_key *k, const char *w)
{
	if (ca_policy_add_fingerprint(ps->policy, w) != 0) {
		perr(ps, ps->lineno, "%s: \"%.80s\" is not a SHA-256 fingerprint (64 hex digits)",
		     k->name, w);
		return -1;
	}
	return 0;
}

static int starttls_ok(const char *name)
{
	return strcmp(name, "auto") == 0 || strcmp(name, "none") == 0 || starttls_find(name) != NULL;
}

/* 1 when word is one of the space-separated choices. */
static int one_of(const char *word, const char *choices)
{
	size_t n = strlen(word);

	for (const char *p = choices; *p != '\0';) {
		size_t m = strcspn(p, " ");

		if (m == n && memcmp(p, word, n) == 0)
			return 1;
		p += m;
		p += *p == ' ';
	}
	return 0;
}

/* r, with a mistake counted when it is not 0 (a parser of cli/opts.c printed it). */
static int counted(struct parse_state *ps, int r)
{
	if (r != 0)
		ps->errors++;
	return r;
}

/* Checks the value v of key k (text clean, not empty). 0, or -1 once printed. */
static int check_value(struct parse_state *ps, const struct config_key *k, const char *v)
{
	char loc[512], err[512], path[PATH_MAX];
	int files = (ps->flags & CONFIG_CHECK_FILES) != 0;
	int th[ALERTS_MAX_THRESHOLDS];
	const char *arg;
	long l;
	double d;

	snprintf(loc, sizeof(loc), "%s:%d: %s", ps->path, ps->lineno, k->name);
	switch (k->check) {
	case CK_TEXT:
		return 0;
	case CK_TARGET:
	case CK_EXCLUDE:
		return each_word(ps, k, v, check_target);
	case CK_PORTS: {
		struct portlist pl = { NULL, 0 };
		int r = portlist_parse(&pl, v, err, sizeof(err));

		portlist_free(&pl);
		if (r != 0)
			perr(ps, ps->lineno, "%s: %s", k->name, err);
		return r;
	}
	case CK_STARTTLS:
		if (!starttls_ok(v)) {
			perr(ps, ps->lineno, "%s: unknown protocol \"%s\" (none, auto, smtp, imap, pop3, "
			     "ftp, ldap, xmpp, postgres, mysql)", k->name, v);
			return -1;
		}
		return 0;
	case CK_INT: /* opt_* print "certsweep: LOC: reason" themselves */
		return counted(ps, opt_int(loc, v, k->min, k->max, &l));
	case CK_MS:
		return counted(ps, opt_ms(loc, v, k->min, k->max, &l));
	case CK_RATE:
		return counted(ps, opt_double(loc, v, 0.01, 10e6, &d));
	case CK_CHOICE:
		if (!one_of(v, k->choices)) {
			perr(ps, ps->lineno, "%s: \"%s\" is not one of: %s", k->name, v, k->choices);
			return -1;
		}
		return 0;
	case CK_BOOL:
		if (config_bool(v) < 0) {
			perr(ps, ps->lineno, "%s: \"%s\" is neither yes nor no", k->name, v);
			return -1;
		}
		return 0;
	case CK_FAIL_ON:
		if (strcmp(v, "none") != 0 && strcmp(v, "never") != 0 && severity_from_name(v) < 0) {
			perr(ps, ps->lineno, "%s: unknown severity \"%s\" (info, low, medium, high, "
			     "critical, none)", k->name, v);
			return -1;
		}
		return 0;
	case CK_PREF_CA:
		if (ca_policy_add_pattern(ps->policy, v) != 0) {
			perr(ps, ps->lineno, "%s: bad pattern \"%s\"", k->name, v);
			return -1;
		}
		return 0;
	case CK_PREF_FP:
		return each_word(ps, k, v, check_fingerprint);
	case CK_THRESHOLDS:
		if (alerts_parse_thresholds(v, th, ALERTS_MAX_THRESHOLDS, err, sizeof(err)) < 0) {
			perr(ps, ps->lineno, "%s: %s", k->name, err);
			return -1;
		}
		return 0;
	case CK_CHANNEL: {
		const struct alert_channel *ch = alerts_find_channel(v, &arg, err, sizeof(err));

		if (ch == NULL) {
			perr(ps, ps->lineno, "%s: %s", k->name, err);
			return -1;
		}
		if (files && strcmp(ch->name, "ics") == 0)
			return check_output(ps, k->name, arg, 0);
		if (files && strcmp(ch->name, "sendmail") == 0) {
			size_t n = strcspn(arg, " \t");

			if (n < sizeof(path) && memchr(arg, '/', n) != NULL) {
				memcpy(path, arg, n);
				path[n] = '\0';
				if (access(path, X_OK) != 0) {
					perr(ps, ps->lineno, "%s: cannot run %s: %s", k->name, path,
					     strerror(errno));
					return -1;
				}
			}
		}
		return 0;
	}
	default:
		break;
	}
	/* paths */
	if (strcmp(v, "-") == 0) {
		perr(ps, ps->lineno, "%s: \"-\" (standard input or output) is not available in a "
		     "configuration file: give a file name", k->name);
		return -1;
	}
	switch (expand(k, v, ps->now, path, sizeof(path))) {
	case 0: break;
	case -1:
		perr(ps, ps->lineno, "%s: a %%-sequence other than %%%s", k->name,
		     "Y %m %d %H %M %S %F %j %G %V %u %%");
		return -1;
	default:
		perr(ps, ps->lineno, "%s: the path is too long once its %%-sequences are expanded",
		     k->name);
		return -1;
	}
	if (!files)
		return 0;
	switch (k->check) {
	case CK_READ_FILE:
		return check_readable(ps, k->name, path, 0);
	case CK_READ_DIR:
		return check_readable(ps, k->name, path, 1);
	case CK_TARGETS_FILE:
	case CK_EXCLUDE_FILE:
		if (check_readable(ps, k->name, path, 0) != 0)
			return -1;
		if (targets_load_file(ps->scratch, path, k->check == CK_EXCLUDE_FILE, err,
		                      sizeof(err)) != 0) {
			perr(ps, ps->lineno, "%s: %s", k->name, err);
			return -1;
		}
		return 0;
	case CK_PREF_FILE:
		if (check_readable(ps, k->name, path, 0) != 0)
			return -1;
		if (ca_policy_load_file(ps->policy, path, err, sizeof(err)) != 0) {
			perr(ps, ps->lineno, "%s: %s", k->name, err);
			return -1;
		}
		return 0;
	case CK_OUT_FILE:
		return check_output(ps, k->name, path, 0);
	case CK_OUT_DIR:
		return check_output(ps, k->name, path, 1);
	default:
		return 0;
	}
}

static int add_value(struct parse_state *ps, struct config_section *sec, int key, const char *v)
{
	if (sec->n == sec->cap) {
		size_t cap = sec->cap ? 2 * sec->cap : 16;
		struct config_value *nv = realloc(sec->v, cap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		sec->v = nv;
		sec->cap = cap;
	}
	if ((sec->v[sec->n].text = strdup(v)) == NULL)
		return -1;
	sec->v[sec->n].key = key;
	sec->v[sec->n].line = ps->lineno;
	sec->n++;
	ps->n_values++;
	return 0;
}

/* libinih's handler: one "KEY = VALUE" line (section: unused, the reader tracks it). Always
 * returns 1: mistakes are counted and printed here. */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *ps = user;
	struct config_section *sec = section_at(ps->c, ps->cur);
	char safe[256];
	const struct config_key *k;
	size_t vlen = strlen(value);
	int key;

	(void)section;
	if (ps->oom || ps->cur == SEC_BAD)
		return 1; /* the header's mistake was reported */
	text_terminal(safe, sizeof(safe), name);
	if (ps->cur == SEC_NONE) {
		perr(ps, ps->lineno, "\"%s\" is outside a section: put it under [defaults] or "
		     "[sweep NAME]", safe);
		return 1;
	}
	if (name[0] == '\0') {
		perr(ps, ps->lineno, "a key name is missing before the '='");
		return 1;
	}
	if ((key = config_key_find(name)) < 0) {
		perr(ps, ps->lineno, "unknown key \"%s\" (the keys: man certsweep, SWEEPS)", safe);
		return 1;
	}
	k = &config_keys[key];
	if (vlen == 0) {
		perr(ps, ps->lineno, "%s: no value", k->name);
		return 1;
	}
	if (!text_clean(value)) {
		perr(ps, ps->lineno, "%s: control characters or invalid UTF-8 in the value", k->name);
		return 1;
	}
	if (vlen >= 2 && (value[0] == '"' || value[0] == '\'') && value[vlen - 1] == value[0]) {
		perr(ps, ps->lineno, "%s: values are not quoted: write the text without the quotes",
		     k->name);
		return 1;
	}
	if (!(k->flags & REPEAT))
		for (size_t i = 0; i < sec->n; i++)
			if (sec->v[i].key == key) {
				perr(ps, ps->lineno, "%s is already set at line %d (this key takes one value)",
				     k->name, sec->v[i].line);
				return 1;
			}
	if (ps->n_values == CONFIG_MAX_VALUES) {
		perr(ps, ps->lineno, "more than %d keys in the file", CONFIG_MAX_VALUES);
		return 1;
	}
	/* once the cap is reached the rest is not checked: the file is refused anyway */
	if (ps->errors < CONFIG_MAX_ERRORS)
		check_value(ps, k, value);
	if (add_value(ps, sec, key, value) != 0)
		ps->oom = 1;
	return 1;
}

/* --------------------------------------------------------------------------- whole file */

const struct config_section *config_source(const struct config *c,
                                           const struct config_section *s, int key)
{
	const struct config_section *secs[2] = { s, &c->defaults };

	for (size_t j = 0; j < 2; j++)
		for (size_t i = 0; secs[j] != NULL && i < secs[j]->n; i++)
			if (secs[j]->v[i].key == key)
				return secs[j];
	return NULL;
}

const struct config_value *config_get(const struct config *c, const struct config_section *s,
                                      int key)
{
	const struct config_section *src = config_source(c, s, key);
	const struct config_value *last = NULL;

	for (size_t i = 0; src != NULL && i < src->n; i++)
		if (src->v[i].key == key)
			last = &src->v[i];
	return last;
}

static size_t count_values(const struct config *c, const struct config_section *s, int key)
{
	const struct config_section *src = config_source(c, s, key);
	size_t n = 0;

	for (size_t i = 0; src != NULL && i < src->n; i++)
		n += src->v[i].key == key;
	return n;
}

static int is_sendmail(const char *spec)
{
	const struct alert_channel *ch;
	const char *arg;
	char err[256];

	ch = alerts_find_channel(spec, &arg, err, sizeof(err));
	return ch != NULL && strcmp(ch->name, "sendmail") == 0;
}

/* The checks that need a sweep's keys together (its own and those of [defaults]). */
static void check_sweep(struct parse_state *ps, const struct config_section *s)
{
	const struct config *c = ps->c;
	const struct config_value *crit = config_get(c, s, config_key_find("expiring-critical"));
	const struct config_value *high = config_get(c, s, config_key_find("expiring-high"));
	int chan = config_key_find("alert-channel");
	const struct config_section *src = config_source(c, s, chan);

	if (config_get(c, s, config_key_find("targets")) == NULL &&
	    config_get(c, s, config_key_find("targets-file")) == NULL)
		perr(ps, s->line, "sweep \"%s\" has no targets: set targets or targets-file (here or "
		     "in [defaults])", s->name);
	if (crit != NULL || high != NULL) {
		long vc = crit != NULL ? strtol(crit->text, NULL, 10) : 7;
		long vh = high != NULL ? strtol(high->text, NULL, 10) : 30;

		if (vc > vh)
			perr(ps, crit != NULL ? crit->line : high->line, "sweep \"%s\": expiring-critical "
			     "(%ld) must not exceed expiring-high (%ld)", s->name, vc, vh);
	}
	if (count_values(c, s, config_key_find("exclude-file")) > MAX_EXCLUDE_FILES)
		perr(ps, s->line, "sweep \"%s\": more than %d exclude-file lines", s->name,
		     MAX_EXCLUDE_FILES);
	for (size_t i = 0; src != NULL && i < src->n; i++)
		if (src->v[i].key == chan && is_sendmail(src->v[i].text) &&
		    (config_get(c, s, config_key_find("alert-mail-from")) == NULL ||
		     config_get(c, s, config_key_find("alert-mail-to")) == NULL))
			perr(ps, src->v[i].line, "alert-channel sendmail needs alert-mail-from and "
			     "alert-mail-to");
}

static void section_free(struct config_section *sec)
{
	for (size_t i = 0; i < sec->n; i++)
		free(sec->v[i].text);
	free(sec->v);
	free(sec->name);
}

void config_free(struct config *c)
{
	if (c == NULL)
		return;
	section_free(&c->defaults);
	for (size_t i = 0; i < c->n_sweeps; i++)
		section_free(&c->sweeps[i]);
	free(c->sweeps);
	free(c->path);
	free(c);
}

const struct config_section *config_find(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->n_sweeps; i++)
		if (strcmp(c->sweeps[i].name, name) == 0)
			return &c->sweeps[i];
	return NULL;
}

int config_parse(const char *path, const char *text, size_t len, unsigned flags,
                 struct config **out)
{
	struct parse_state ps;
	int rc = -2, r;

	*out = NULL;
	memset(&ps, 0, sizeof(ps));
	text_terminal(ps.path, sizeof(ps.path), path);
	ps.text = text;
	ps.len = len;
	ps.flags = flags;
	ps.cur = SEC_NONE;
	ps.now = time(NULL);
	if ((ps.c = calloc(1, sizeof(*ps.c))) == NULL || (ps.c->path = strdup(path)) == NULL ||
	    (ps.scratch = targets_new()) == NULL || (ps.policy = ca_policy_new("config")) == NULL) {
		cli_err("out of memory");
		goto out;
	}
	targets_set_protocol_check(ps.scratch, starttls_ok);
	if (len > CONFIG_MAX_BYTES) {
		perr(&ps, 0, "larger than %d bytes: this is not a configuration file", CONFIG_MAX_BYTES);
		rc = -1;
		goto out;
	}
	r = ini_parse_stream(reader, &ps, on_key, &ps);
	if (ps.oom || r == -2) {
		cli_err("out of memory");
		goto out;
	}
	if (r > 0 && ps.errors == 0) /* the reader passes libinih nothing it should refuse */
		perr(&ps, r, "syntax error");
	for (size_t i = 0; i < ps.c->n_sweeps; i++)
		check_sweep(&ps, &ps.c->sweeps[i]);
	if (ps.c->n_sweeps == 0 && ps.errors == 0)
		perr(&ps, 0, "no sweep is defined: add a [sweep NAME] section");
	if (ps.errors > CONFIG_MAX_ERRORS)
		cli_err("%s: %d more mistakes not shown", ps.path, ps.errors - CONFIG_MAX_ERRORS);
	if (ps.errors > 0) {
		rc = -1;
		goto out;
	}
	*out = ps.c;
	ps.c = NULL;
	rc = 0;
out:
	config_free(ps.c);
	targets_free(ps.scratch);
	ca_policy_free(ps.policy);
	return rc;
}

const char *config_path(const char *given)
{
	const char *env = getenv(CONFIG_ENV);

	if (given != NULL)
		return given;
	return env != NULL && env[0] != '\0' ? env : CONFIG_DEFAULT_PATH;
}

int config_load(const char *path, unsigned flags, struct config **out)
{
	char safe[512], *buf = NULL;
	struct stat sb;
	size_t n = 0;
	FILE *f = NULL;
	int rc = -2;

	*out = NULL;
	text_terminal(safe, sizeof(safe), path);
	if ((f = fopen(path, "r")) == NULL) {
		cli_err("cannot read the configuration %s: %s", safe, strerror(errno));
		goto out;
	}
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		cli_err("the configuration %s is not a regular file", safe);
		goto out;
	}
	if ((buf = malloc(CONFIG_MAX_BYTES + 1)) == NULL) {
		cli_err("out of memory");
		goto out;
	}
	n = fread(buf, 1, CONFIG_MAX_BYTES + 1, f);
	if (ferror(f)) {
		cli_err("cannot read the configuration %s: %s", safe, strerror(errno));
		goto out;
	}
	rc = config_parse(path, buf, n, flags, out);
out:
	if (f != NULL)
		fclose(f);
	free(buf);
	return rc;
}

/* --------------------------------------------------------------------------- plans */

void config_argv_free(struct config_argv *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* Appends a copy of s (bounded by the file's size: at most a few words per key line). */
static int push(struct config_argv *a, const char *s)
{
	if (a->n + 1 >= a->cap) {
		int cap = a->cap ? 2 * a->cap : 16;
		char **v = realloc(a->v, (size_t)cap * sizeof(*v));

		if (v == NULL)
			return -1;
		a->v = v;
		a->cap = cap;
	}
	if ((a->v[a->n] = strdup(s)) == NULL)
		return -1;
	a->v[++a->n] = NULL;
	return 0;
}

/* Appends the words of text (space-separated), each after option when option is not "". */
static int push_words(struct config_argv *a, const char *option, const char *text)
{
	char word[CONFIG_MAX_LINE + 1];

	for (const char *p = text; *p != '\0';) {
		size_t n;

		p += strspn(p, " \t");
		n = strcspn(p, " \t");
		if (n == 0)
			break;
		if (n >= sizeof(word))
			return -1;
		memcpy(word, p, n);
		word[n] = '\0';
		if ((option[0] != '\0' && push(a, option) != 0) || push(a, word) != 0)
			return -1;
		p += n;
	}
	return 0;
}

/* Appends each value of key k in effect for s as "OPTION VALUE" (or per its flags); option
 * NULL: the key's own. */
static int push_key(struct config_argv *a, const struct config *c, const struct config_section *s,
                    int k, const char *option, time_t now, char *err, size_t errlen)
{
	const struct config_key *key = &config_keys[k];
	const struct config_section *src = config_source(c, s, k);
	char path[PATH_MAX];

	if (option == NULL)
		option = key->option;
	for (size_t i = 0; src != NULL && i < src->n; i++) {
		const char *t = src->v[i].text;

		if (src->v[i].key != k)
			continue;
		if (key->flags & CONFIG_KEY_FLAG) {
			if (config_bool(t) == 1 && push(a, option) != 0)
				goto oom;
		} else if (key->flags & WORDS) {
			if (push_words(a, option, t) != 0)
				goto oom;
		} else {
			if (expand(key, t, now, path, sizeof(path)) != 0) {
				snprintf(err, errlen, "%s:%d: %s: the path is too long once expanded",
				         c->path, src->v[i].line, key->name);
				return -1;
			}
			if (push(a, option) != 0 || push(a, path) != 0)
				goto oom;
		}
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

void config_plan_free(struct config_plan *plan)
{
	free(plan->db);
	config_argv_free(&plan->scan);
	config_argv_free(&plan->alerts);
	for (size_t i = 0; i < CONFIG_MAX_REPORTS; i++)
		config_argv_free(&plan->reports[i]);
	memset(plan, 0, sizeof(*plan));
}

static int flag_or(const struct config *c, const struct config_section *s, const char *key,
                   int dflt)
{
	const struct config_value *v = config_get(c, s, config_key_find(key));

	return v != NULL ? config_bool(v->text) == 1 : dflt;
}

int config_plan(const struct config *c, const struct config_section *s, time_t now,
                char *const *extra, int n_extra, struct config_plan *plan, char *err,
                size_t errlen)
{
	const struct config_value *db = config_get(c, s, config_key_find("db"));
	int targets = config_key_find("targets");
	const struct config_section *src;

	memset(plan, 0, sizeof(*plan));
	plan->name = s->name;
	plan->diff = flag_or(c, s, "diff", 1);
	if ((plan->db = strdup(db != NULL ? db->text : "certsweep.db")) == NULL)
		goto oom;
	/* scan: the options in config_keys order, the command line's extras, the targets */
	if (push(&plan->scan, "scan") != 0)
		goto oom;
	for (size_t k = 0; k < config_n_keys; k++)
		if (config_keys[k].cmd == SCAN && (int)k != targets &&
		    push_key(&plan->scan, c, s, (int)k, NULL, now, err, errlen) != 0)
			goto fail;
	if (push(&plan->scan, "--name") != 0 || push(&plan->scan, s->name) != 0)
		goto oom;
	for (int i = 0; i < n_extra; i++)
		if (push(&plan->scan, extra[i]) != 0)
			goto oom;
	if (push(&plan->scan, "--") != 0)
		goto oom;
	src = config_source(c, s, targets);
	for (size_t i = 0; src != NULL && i < src->n; i++)
		if (src->v[i].key == targets && push_words(&plan->scan, "", src->v[i].text) != 0)
			goto oom;
	/* alerts run */
	if (flag_or(c, s, "alerts", 1)) {
		if (push(&plan->alerts, "alerts") != 0 || push(&plan->alerts, "run") != 0 ||
		    push(&plan->alerts, "--db") != 0 || push(&plan->alerts, plan->db) != 0)
			goto oom;
		for (size_t k = 0; k < config_n_keys; k++)
			if (config_keys[k].cmd == CONFIG_CMD_ALERTS &&
			    push_key(&plan->alerts, c, s, (int)k, NULL, now, err, errlen) != 0)
				goto fail;
	}
	/* reports */
	for (size_t k = 0; k < config_n_keys && plan->n_reports < CONFIG_MAX_REPORTS; k++) {
		struct config_argv *r = &plan->reports[plan->n_reports];

		if (config_keys[k].cmd != CONFIG_CMD_REPORT || config_get(c, s, (int)k) == NULL)
			continue;
		if (push(r, "report") != 0 || push(r, "--db") != 0 || push(r, plan->db) != 0 ||
		    push(r, "--sweep") != 0 || push(r, s->name) != 0 || push(r, "--format") != 0 ||
		    push(r, config_keys[k].option) != 0)
			goto oom;
		if (push_key(r, c, s, (int)k, "-o", now, err, errlen) != 0)
			goto fail;
		plan->n_reports++;
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	config_plan_free(plan);
	return -1;
}

int config_lock_path(const struct config_plan *plan, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s.sweep-%s.lock", plan->db, plan->name);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* One argument for a shell, terminal-safe: bare when harmless, else single-quoted. */
static void print_word(FILE *out, const char *w)
{
	char safe[2 * PATH_MAX];
	size_t n = strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	                     "@%+=:,./_-");

	text_terminal(safe, sizeof(safe), w);
	if (w[0] != '\0' && w[n] == '\0') {
		fputs(safe, out);
		return;
	}
	fputc('\'', out);
	for (const char *p = safe; *p != '\0'; p++)
		if (*p == '\'')
			fputs("'\\''", out);
		else
			fputc(*p, out);
	fputc('\'', out);
}

static void print_argv(FILE *out, const struct config_argv *a)
{
	fputs("    certsweep", out);
	for (int i = 0; i < a->n; i++) {
		fputc(' ', out);
		print_word(out, a->v[i]);
	}
	fputc('\n', out);
}

void config_plan_print(const struct config_plan *plan, FILE *out)
{
	char lock[PATH_MAX];

	print_argv(out, &plan->scan);
	if (plan->diff) {
		fputs("    then the changes since the previous run of ", out);
		print_word(out, plan->name);
		fputc('\n', out);
	}
	if (plan->alerts.n > 0)
		print_argv(out, &plan->alerts);
	for (size_t i = 0; i < plan->n_reports; i++)
		print_argv(out, &plan->reports[i]);
	if (config_lock_path(plan, lock, sizeof(lock)) == 0) {
		fputs("    lock: ", out);
		print_word(out, lock);
		fputc('\n', out);
	}
}
