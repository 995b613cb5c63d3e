/*
 * cmd_analyze.c: `certsweep analyze`: one chain, judged in depth.
 *
 *   certsweep analyze --file CHAIN [--host NAME] [--at TIME] [--json] ...   offline, no network
 *   certsweep analyze HOST[:PORT] ...                                     a live server (to come)
 *
 * Dispatch: the options are parsed once into struct analyze_opts; --file runs analyze_file(),
 * a HOST argument runs analyze_host().
 *
 * Offline path: chain_load_file() turns PEM, DER, PKCS#7 or PKCS#12 into an observation (leaf
 * first, the rest in issuer order; analyzer/load.h), with --host as the name to check; analyze()
 * judges it at --at (default now) against --ca-file/--ca-path (default: the system store) with the
 * same certificate and chain checks as a sweep. A file that is not in leaf -> issuer order gets
 * one chain.order finding in the file's own terms (chain_order_finding), which replaces the
 * analyzer's (that one would speak of the sorted chain).
 *
 * Verdict: TRUSTED when the chain verifies to a trusted root at that time and, with --host, the
 * leaf covers the name; otherwise NOT TRUSTED with the reasons. Output is a text report (every
 * certificate string made terminal-safe) or, with --json, one JSON document on standard output:
 *   {file, format, host, at, trusted, verify_error, hostname_ok, preferred, reasons[], days_left,
 *    certificates, key_matches, chain[], findings[]}
 * where chain[] and findings[] are the NDJSON record's arrays (report/ndjson.h), each chain entry
 * with "file_position" added.
 *
 * Exit: 0 trusted and no finding at or above --fail-on (default high); 1 not trusted, or such a
 * finding; 2 usage error or a file that cannot be read as a chain (wrong PKCS#12 password too);
 * 3 runtime error (output, memory).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "analyzer/analyzer.h"
#include "analyzer/load.h"
#include "cli/cli.h"
#include "core/text.h"
#include "report/ndjson.h"
#include "scanner/probe_run.h"
#include "scanner/starttls.h"
#include "cli/analyze.h"

#define MAX_REASONS 4
#define SANS_SHOWN 20


/* What the offline path produced, for the writers. */
struct file_result {
	const char *file;                     /* borrowed */
	const char *host;                     /* borrowed, NULL when none */
	time_t at;
	int at_given;
	struct chain_load_info info;
	const struct analysis *an;            /* borrowed */
	struct finding *findings;             /* owned: the analysis' plus the file's, worst first */
	size_t n_findings;
	int trusted;
	char reasons[MAX_REASONS][400];       /* plain text; may quote the host and OpenSSL */
	size_t n_reasons;
	const char *trust_store;              /* borrowed description */
	const char *policy_name;              /* borrowed */
};

static const char *usage_text =
	"usage: certsweep analyze --file CHAIN [OPTIONS]\n"
	"       certsweep analyze HOST[:PORT] [OPTIONS]\n"
	"\n"
	"With HOST[:PORT] (port 443 by default): an SSL Labs-style analysis of a live server:\n"
	"protocols, every cipher suite per protocol and the server's order, groups, DH size,\n"
	"renegotiation, compression, heartbleed, fallback SCSV, OCSP stapling, HSTS, the chain,\n"
	"the findings with fixes and the grade. Results also go into the inventory (--db).\n"
	"With --file: judges a certificate chain file before it is deployed, without any network\n"
	"access: trusted or not and why, each certificate, and the findings with their fixes.\n"
	"\n"
	"Live server:\n"
	"      --sni NAME              server name to send (default: HOST when it is a name)\n"
	"      --starttls PROTO        smtp imap pop3 ftp ldap xmpp postgres mysql, or auto\n"
	"      --per-host N            connections at once (default 4)\n"
	"      --max-connections N     connection budget for the analysis (default 400)\n"
	"      --connect-timeout T     TCP connect timeout (default 3s)\n"
	"      --timeout T             per-connection handshake timeout (default 5s)\n"
	"      --no-heartbleed         skip the (safe, 16-byte) heartbleed probe\n"
	"      --no-http               skip the HTTP request that reads HSTS\n"
	"      --resolver IP[:PORT]    DNS server; --hosts-file FILE: extra hosts file\n"
	"      --db FILE               inventory to record the analysis in (default ./certsweep.db)\n"
	"      --no-db                 do not record it\n"
	"Chain file:\n"
	"  -f, --file FILE             the chain: PEM (any number of certificates; keys and other\n"
	"                              blocks are skipped), DER, PKCS#7 (.p7b) or PKCS#12 (.p12,\n"
	"                              .pfx); '-' for standard input\n"
	"      --host NAME             check that the leaf covers this host name or IP address\n"
	"      --at TIME               judge at this time instead of now: 2027-01-31,\n"
	"                              2027-01-31T12:00:00Z, 2027-01-31T12:00:00+02:00, or unix seconds\n"
	"      --password-file FILE    PKCS#12 password: the first line of FILE\n"
	"      --password-env VAR      PKCS#12 password: the environment variable VAR\n"
	"                              (the empty password is always tried first)\n"
	"Trust and policy:\n"
	"      --ca-file FILE          trust these roots instead of the system store\n"
	"      --ca-path DIR           trust this hashed directory instead of the system store\n"
	"      --preferred-ca TEXT     preferred CA issuer/subject pattern (repeatable;\n"
	"                              replaces the default Comodo/Sectigo family)\n"
	"      --preferred-fingerprint HEX  preferred CA certificate SHA-256 (repeatable)\n"
	"      --preferred-ca-file FILE     patterns (pattern:TEXT, sha256:HEX) or ca-families.tsv\n"
	"      --expiring-critical DAYS     cert.expiring is critical at or below (default 7)\n"
	"      --expiring-high DAYS         cert.expiring is high at or below (default 30)\n"
	"Output:\n"
	"      --json                  one JSON document on standard output instead of the report\n"
	"      --fail-on SEVERITY      exit 1 when a finding is at or above it (default high;\n"
	"                              info, low, medium, high, critical, or none)\n"
	"  -h, --help\n"
	"\n"
	"Exit: 0 trusted and no finding at or above --fail-on; 1 NOT TRUSTED (the chain does not\n"
	"verify, or the leaf does not cover --host) or such a finding; 2 usage error or a file that\n"
	"is not a readable chain (wrong password included); 3 runtime error.\n";

enum {
	O_HOST = 256, O_AT, O_PW_FILE, O_PW_ENV, O_JSON, O_FAIL_ON, O_SNI, O_STARTTLS, O_PER_HOST, O_MAX_CONN,
	O_CONNECT_TIMEOUT, O_TIMEOUT, O_NO_HEARTBLEED, O_NO_HTTP, O_RESOLVER, O_HOSTS_FILE, O_DB, O_NO_DB,
};

static const struct option long_opts[] = {
	{ "file", required_argument, NULL, 'f' },
	{ "host", required_argument, NULL, O_HOST },
	{ "at", required_argument, NULL, O_AT },
	{ "password-file", required_argument, NULL, O_PW_FILE },
	{ "password-env", required_argument, NULL, O_PW_ENV },
	{ "json", no_argument, NULL, O_JSON },
	{ "fail-on", required_argument, NULL, O_FAIL_ON },
	{ "sni", required_argument, NULL, O_SNI },
	{ "starttls", required_argument, NULL, O_STARTTLS },
	{ "per-host", required_argument, NULL, O_PER_HOST },
	{ "max-connections", required_argument, NULL, O_MAX_CONN },
	{ "connect-timeout", required_argument, NULL, O_CONNECT_TIMEOUT },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "no-heartbleed", no_argument, NULL, O_NO_HEARTBLEED },
	{ "no-http", no_argument, NULL, O_NO_HTTP },
	{ "resolver", required_argument, NULL, O_RESOLVER },
	{ "hosts-file", required_argument, NULL, O_HOSTS_FILE },
	{ "db", required_argument, NULL, O_DB },
	{ "no-db", no_argument, NULL, O_NO_DB },
	{ "help", no_argument, NULL, 'h' },
	CLI_POLICY_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* ---------------------------------------------------------------- option values */

static int digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

/*
 * --at: unix seconds ("1801440000", "@1801440000"), or ISO 8601 YYYY-MM-DD, optionally followed by
 * T (or a space) HH:MM[:SS] and Z or an offset +HH:MM / +HHMM / -HH:MM. Without an offset the time
 * is UTC. Years 1970 to 9999; the instant must be after the epoch (0 means "now" to the analyzer).
 */
static int parse_at(const char *s, time_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	const char *p = s;
	struct tm tm;
	long long v;
	char *end;
	time_t t;

	if (s[0] == '@' || (s[0] >= '0' && s[0] <= '9' && strspn(s, "0123456789") == strlen(s))) {
		errno = 0;
		v = strtoll(s + (s[0] == '@'), &end, 10);
		if (*end != '\0' || errno != 0 || end == s + (s[0] == '@') || v <= 0 ||
		    v > 253402300799LL)
			goto bad;
		*out = (time_t)v;
		return 0;
	}
	if (strlen(p) < 10 || digits(p, 4, &y) || p[4] != '-' || digits(p + 5, 2, &mo) ||
	    p[7] != '-' || digits(p + 8, 2, &d))
		goto bad;
	p += 10;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (strlen(p) < 5 || digits(p, 2, &h) || p[2] != ':' || digits(p + 3, 2, &mi))
			goto bad;
		p += 5;
		if (*p == ':') {
			if (strlen(p) < 3 || digits(p + 1, 2, &sec))
				goto bad;
			p += 3;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p == '-' ? -1 : 1;
			if (strlen(p) < 5 || digits(p + 1, 2, &oh))
				goto bad;
			p += 3;
			if (*p == ':')
				p++;
			if (strlen(p) < 2 || digits(p, 2, &om))
				goto bad;
			p += 2;
		}
	}
	if (*p != '\0' || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > 59 || oh > 23 || om > 59)
		goto bad;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		goto bad;
	t -= (time_t)sign * (oh * 3600 + om * 60);
	if (t <= 0)
		goto bad;
	*out = t;
	return 0;
bad:
	cli_err("--at: \"%.60s\" is not a time after 1970 (examples: 2027-01-31, "
		"2027-01-31T12:00:00Z, 2027-01-31T12:00:00+02:00, 1801440000)", s);
	return -1;
}

/* The PKCS#12 password from --password-file (first line, CR LF stripped) or --password-env, into
 * buf. *given is 0 when neither option was used. */
static int read_password(const struct analyze_opts *o, char *buf, size_t size, int *given)
{
	size_t len = 0;
	char *nl;
	int fd;

	*given = 0;
	buf[0] = '\0';
	if (o->password_env != NULL) {
		const char *v = getenv(o->password_env);

		if (v == NULL) {
			cli_err("--password-env: the variable %.80s is not set", o->password_env);
			return -1;
		}
		if (strlen(v) > size - 2) { /* the same limit as a file's line */
			cli_err("--password-env: the password is longer than %zu bytes", size - 2);
			return -1;
		}
		memcpy(buf, v, strlen(v) + 1);
		*given = 1;
		return 0;
	}
	if (o->password_file == NULL)
		return 0;
	fd = open(o->password_file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		cli_err("--password-file: cannot read %.200s: %s", o->password_file, strerror(errno));
		return -1;
	}
	while (len < size - 1) {
		ssize_t r = read(fd, buf + len, size - 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		cli_err("--password-file: the file holds a NUL byte");
		return -1;
	}
	nl = strchr(buf, '\n');
	if (nl == NULL && len == size - 1) {
		cli_err("--password-file: the password is longer than %zu bytes", size - 2);
		return -1;
	}
	if (nl != NULL)
		*nl = '\0';
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\r')
		buf[len - 1] = '\0';
	*given = 1;
	return 0;
}

/* Parses the options into o; returns EXIT_OK, -1 after --help, or an exit code. */
static int parse_analyze_args(int argc, char **argv, struct analyze_opts *o)
{
	long v;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "f:h", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'f': o->file = optarg; break;
		case O_HOST: o->host = optarg; break;
		case O_AT:
			if (parse_at(optarg, &o->at) != 0)
				return EXIT_USAGE;
			break;
		case O_PW_FILE: o->password_file = optarg; break;
		case O_PW_ENV: o->password_env = optarg; break;
		case O_JSON: o->json = 1; break;
		case O_FAIL_ON:
			if (opt_fail_on(optarg, &o->fail_on) != 0)
				return EXIT_USAGE;
			break;
		case O_SNI: o->sni = optarg; break;
		case O_STARTTLS:
			if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "none") != 0 && starttls_find(optarg) == NULL) {
				cli_err("--starttls: unknown protocol \"%.40s\" (none, auto, smtp, imap, pop3, ftp, ldap, xmpp, postgres, mysql)", optarg);
				return EXIT_USAGE;
			}
			o->starttls = optarg;
			break;
		case O_PER_HOST:
			if (opt_int("--per-host", optarg, 1, 64, &v) != 0)
				return EXIT_USAGE;
			o->popt.per_host = (int)v;
			break;
		case O_MAX_CONN:
			if (opt_int("--max-connections", optarg, 10, 10000, &v) != 0)
				return EXIT_USAGE;
			o->popt.max_connections = (int)v;
			break;
		case O_CONNECT_TIMEOUT:
			if (opt_ms("--connect-timeout", optarg, 10, 600000, &o->connect_timeout_ms) != 0)
				return EXIT_USAGE;
			break;
		case O_TIMEOUT:
			if (opt_ms("--timeout", optarg, 10, 600000, &o->timeout_ms) != 0)
				return EXIT_USAGE;
			break;
		case O_NO_HEARTBLEED: o->popt.heartbleed = 0; break;
		case O_NO_HTTP: o->popt.http = 0; break;
		case O_RESOLVER: o->resolver = optarg; break;
		case O_HOSTS_FILE: o->hosts_file = optarg; break;
		case O_DB: o->db_path = optarg; break;
		case O_NO_DB: o->no_store = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		default:
			switch (cli_policy_option(ch, optarg, &o->policy, &o->acfg)) {
			case 0: continue;
			case -1: return EXIT_USAGE;
			default: break;
			}
			fputs("Try 'certsweep analyze --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		o->target = argv[optind];
	if (argc - optind > 1 || (o->file != NULL && o->target != NULL)) {
		cli_err("analyze: give either --file CHAIN or one HOST[:PORT]");
		return EXIT_USAGE;
	}
	if (o->file == NULL && o->target == NULL) {
		cli_err("analyze: nothing to analyse (give --file CHAIN, or HOST[:PORT])");
		fputs("Try 'certsweep analyze --help'.\n", stderr);
		return EXIT_USAGE;
	}
	if (o->password_file != NULL && o->password_env != NULL) {
		cli_err("--password-file and --password-env: give one of them");
		return EXIT_USAGE;
	}
	if (o->acfg.expiring_critical_days > o->acfg.expiring_high_days) {
		cli_err("--expiring-critical (%d) must not exceed --expiring-high (%d)",
			o->acfg.expiring_critical_days, o->acfg.expiring_high_days);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* ---------------------------------------------------------------- verdict */

/* The analysis' findings, the file's chain.order in place of the analyzer's when the file is
 * misordered, worst first (stable). */
static int merge_findings(struct file_result *r)
{
	const struct analysis *an = r->an;
	struct finding order;
	int have_order = chain_order_finding(&r->info, an, &order);
	size_t n = 0;

	r->findings = calloc(an->n_findings + 1, sizeof(*r->findings));
	if (r->findings == NULL)
		return -1;
	for (size_t i = 0; i < an->n_findings; i++)
		if (!have_order || strcmp(an->findings[i].id, order.id) != 0)
			r->findings[n++] = an->findings[i];
	if (have_order)
		r->findings[n++] = order;
	for (size_t i = 1; i < n; i++) { /* insertion sort: stable, n is small */
		struct finding f = r->findings[i];
		size_t j = i;

		for (; j > 0 && r->findings[j - 1].severity < f.severity; j--)
			r->findings[j] = r->findings[j - 1];
		r->findings[j] = f;
	}
	r->n_findings = n;
	return 0;
}

static void add_reason(struct file_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_reason(struct file_result *r, const char *fmt, ...)
{
	va_list ap;

	if (r->n_reasons == MAX_REASONS)
		return;
	va_start(ap, fmt);
	vsnprintf(r->reasons[r->n_reasons++], sizeof(r->reasons[0]), fmt, ap);
	va_end(ap);
}

static void judge(struct file_result *r)
{
	const struct analysis *an = r->an;

	if (an->n_certs == 0) {
		add_reason(r, "no certificate of the file could be analysed");
		return;
	}
	if (!an->verified)
		add_reason(r, "the chain does not verify against the trust store: %s",
			   an->verify_error[0] ? an->verify_error : "unknown error");
	if (an->hostname_checked && !an->hostname_ok)
		add_reason(r, "the leaf does not cover the host name \"%.253s\"", r->host);
	r->trusted = r->n_reasons == 0;
}

/* ---------------------------------------------------------------- text report */

static void fmt_time(char *buf, size_t size, time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, size, "@%lld", (long long)t);
}

/* Prints s made terminal-safe. */
static void put_safe(FILE *out, const char *s)
{
	char safe[8192];

	text_terminal(safe, sizeof(safe), s != NULL ? s : "");
	fputs(safe, out);
}

static long days_floor(time_t from, time_t to)
{
	long long d = (long long)to - (long long)from;

	return (long)(d >= 0 ? d / 86400 : -((-d + 86399) / 86400));
}

static const char *role(const struct certinfo *ci, size_t pos)
{
	if (pos == 0)
		return "leaf";
	if (ci->is_ca && ci->self_signed)
		return "root";
	if (ci->is_ca)
		return "intermediate";
	return "not a CA";
}

static void print_cert(FILE *out, const struct file_result *r, size_t i)
{
	const struct certinfo *ci = r->an->certs[i];
	char nb[40], na[40];
	size_t shown;

	fmt_time(nb, sizeof(nb), ci->not_before);
	fmt_time(na, sizeof(na), ci->not_after);
	fprintf(out, "  [%zu] %s", i, role(ci, i));
	if (i < r->info.n_certs && r->info.file_pos[i] != (int)i)
		fprintf(out, " (certificate %d of the file)", r->info.file_pos[i] + 1);
	fputs("\n      subject    ", out);
	put_safe(out, ci->subject);
	fputs("\n      issuer     ", out);
	put_safe(out, ci->issuer);
	fputs("\n      serial     ", out);
	put_safe(out, ci->serial_hex);
	fprintf(out, "\n      validity   %s -> %s", nb, na);
	if (r->at < ci->not_before)
		fprintf(out, " (NOT YET VALID: starts in %ld days)", days_floor(r->at, ci->not_before) + 1);
	else if (r->at > ci->not_after)
		fprintf(out, " (EXPIRED %ld days ago)", days_floor(ci->not_after, r->at));
	else
		fprintf(out, " (%ld days left)", days_floor(r->at, ci->not_after));
	fputs("\n      key        ", out);
	put_safe(out, ci->key_type);
	fprintf(out, " %d bits", ci->key_bits);
	if (ci->curve[0] != '\0') {
		fputs(" (", out);
		put_safe(out, ci->curve);
		fputc(')', out);
	}
	fputs("\n      signature  ", out);
	put_safe(out, ci->sig_alg);
	if (ci->sig_weak)
		fputs(" (WEAK)", out);
	fputs("\n      SANs       ", out);
	shown = ci->n_sans < SANS_SHOWN ? ci->n_sans : SANS_SHOWN;
	for (size_t k = 0; k < shown; k++) {
		if (k > 0)
			fputs(", ", out);
		put_safe(out, ci->sans[k]);
	}
	if (ci->n_sans == 0)
		fputs("-", out);
	else if (ci->n_sans > shown)
		fprintf(out, " (and %zu more)", ci->n_sans - shown);
	fprintf(out, "\n      SHA-256    %s\n", ci->sha256_hex);
}

static void print_text(FILE *out, const struct file_result *r)
{
	const struct analysis *an = r->an;
	char when[40];

	fmt_time(when, sizeof(when), r->at);
	fputs("certsweep analyze: ", out);
	put_safe(out, r->file);
	fprintf(out, "\n  format        %s, %zu certificate%s\n", chain_format_name(r->info.format),
		r->info.n_certs, r->info.n_certs == 1 ? "" : "s");
	fputs("  host          ", out);
	if (r->host != NULL)
		put_safe(out, r->host);
	else
		fputs("(none: give --host NAME to check the name)", out);
	fprintf(out, "\n  judged at     %s%s\n", when, r->at_given ? "" : " (now)");
	fputs("  trust store   ", out);
	put_safe(out, r->trust_store);
	fputs("\n  preferred CA  ", out);
	fprintf(out, "%s (policy: ", an->preferred ? "yes" : "no");
	put_safe(out, r->policy_name);
	fputs(")\n", out);
	if (r->info.has_key)
		fprintf(out, "  private key   %s\n", r->info.key_matches ? "matches the leaf" :
			"matches NONE of the certificates");
	if (r->trusted) {
		fputs("\nTRUSTED: the chain verifies to a trusted root", out);
		if (r->host != NULL) {
			fputs(" and the leaf covers ", out);
			put_safe(out, r->host);
		}
		fputs("\n", out);
	} else {
		fputs("\nNOT TRUSTED\n", out);
		for (size_t i = 0; i < r->n_reasons; i++) {
			fputs("  - ", out);
			put_safe(out, r->reasons[i]);
			fputc('\n', out);
		}
	}
	fprintf(out, "\nChain (%zu certificate%s, leaf first):\n", an->n_certs, an->n_certs == 1 ? "" : "s");
	for (size_t i = 0; i < an->n_certs; i++)
		print_cert(out, r, i);
	if (r->n_findings == 0) {
		fputs("\nFindings: none\n", out);
		return;
	}
	fprintf(out, "\nFindings (%zu):\n", r->n_findings);
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct finding *f = &r->findings[i];

		fprintf(out, "  %-8s  %s", severity_name(f->severity), f->id);
		if (f->cert_pos >= 0)
			fprintf(out, " [%d]", f->cert_pos);
		fputs("\n      ", out);
		put_safe(out, f->message);
		if (f->fix != NULL && f->fix[0] != '\0') {
			fputs("\n      fix: ", out);
			put_safe(out, f->fix);
		}
		fputc('\n', out);
	}
}

/* ---------------------------------------------------------------- JSON */

static int print_json(FILE *out, const struct file_result *r)
{
	const struct analysis *an = r->an;
	json_t *root = NULL, *chain = ndjson_chain(an), *reasons = json_array();
	char when[32];
	int rc = -1;

	iso8601_utc(when, sizeof(when), r->at);
	if (chain == NULL || reasons == NULL)
		goto out;
	for (size_t i = 0; i < r->n_reasons; i++)
		json_array_append_new(reasons, ndjson_text(r->reasons[i]));
	for (size_t i = 0; i < json_array_size(chain) && i < r->info.n_certs; i++)
		json_object_set_new(json_array_get(chain, i), "file_position",
				    json_integer(r->info.file_pos[i]));
	root = json_pack("{s:o, s:s, s:o, s:s, s:b, s:o, s:o, s:b, s:O, s:o, s:I, s:o, s:O, s:o}",
			 "file", ndjson_text(r->file), "format", chain_format_name(r->info.format),
			 "host", r->host != NULL ? ndjson_text(r->host) : json_null(),
			 "at", when, "trusted", r->trusted,
			 "verify_error", an->n_certs > 0 && !an->verified ?
					 ndjson_text(an->verify_error) : json_null(),
			 "hostname_ok", an->hostname_checked ? json_boolean(an->hostname_ok) : json_null(),
			 "preferred", an->preferred, "reasons", reasons,
			 "days_left", an->n_certs > 0 ? json_integer(an->days_left) : json_null(),
			 "certificates", (json_int_t)r->info.n_certs,
			 "key_matches", r->info.has_key ? json_boolean(r->info.key_matches) : json_null(),
			 "chain", chain, "findings", ndjson_findings(r->findings, r->n_findings));
	if (root == NULL)
		goto out;
	if (json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 && fputc('\n', out) != EOF)
		rc = 0;
out:
	json_decref(root);
	json_decref(chain);
	json_decref(reasons);
	return rc;
}

/* ---------------------------------------------------------------- the two modes */

static const char *trust_store_text(const struct analyzer_config *c, char *buf, size_t size)
{
	if (c->ca_file == NULL && c->ca_path == NULL)
		return "the system trust store";
	snprintf(buf, size, "%s%s%s", c->ca_file ? c->ca_file : "", c->ca_file && c->ca_path ? " + " : "",
		 c->ca_path ? c->ca_path : "");
	return buf;
}

static int worst_severity(const struct file_result *r)
{
	int worst = -1;

	for (size_t i = 0; i < r->n_findings; i++)
		if ((int)r->findings[i].severity > worst)
			worst = (int)r->findings[i].severity;
	return worst;
}

/* Offline: --file. */
static int analyze_file(struct analyze_opts *o)
{
	struct file_result r;
	struct observation *obs = obs_new();
	struct analyzer *az = NULL;
	struct analysis *an = NULL;
	char err[600], pw[CHAIN_LOAD_MAX_PASSWORD + 2], store_desc[600];
	int rc = EXIT_RUNTIME, pw_given;

	memset(&r, 0, sizeof(r));
	if (obs == NULL) {
		cli_err("out of memory");
		goto out;
	}
	if (read_password(o, pw, sizeof(pw), &pw_given) != 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (chain_load_file(o->file, pw_given ? pw : NULL, obs, &r.info, err, sizeof(err)) != 0) {
		char safe[1024];

		text_terminal(safe, sizeof(safe), err);
		cli_err("analyze: %s", safe);
		rc = EXIT_USAGE;
		goto out;
	}
	r.at_given = o->at != 0;
	r.at = o->at != 0 ? o->at : time(NULL);
	o->acfg.at = r.at;
	o->acfg.policy = o->policy; /* NULL: the default family */
	az = analyzer_new(&o->acfg, err, sizeof(err));
	if (az == NULL) {
		char safe[1024];

		text_terminal(safe, sizeof(safe), err);
		cli_err("%s", safe);
		rc = EXIT_USAGE;
		goto out;
	}
	obs->status = EP_OK;
	obs->started = r.at;
	obs->attempts = 1;
	if (o->host != NULL && obs_set_str(&obs->host, o->host) != 0) {
		cli_err("out of memory");
		goto out;
	}
	an = analyze(az, obs);
	if (an == NULL) {
		cli_err("out of memory");
		goto out;
	}
	r.file = o->file;
	r.host = o->host;
	r.an = an;
	r.trust_store = trust_store_text(&o->acfg, store_desc, sizeof(store_desc));
	r.policy_name = o->policy != NULL ? ca_policy_name(o->policy) : "Comodo/Sectigo (default)";
	if (merge_findings(&r) != 0) {
		cli_err("out of memory");
		goto out;
	}
	judge(&r);
	if (o->json) {
		if (print_json(stdout, &r) != 0) {
			cli_err("cannot write the JSON document");
			goto out;
		}
	} else {
		print_text(stdout, &r);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_err("write error on standard output");
		goto out;
	}
	if (!r.trusted || (o->fail_on >= 0 && worst_severity(&r) >= o->fail_on))
		rc = EXIT_FINDINGS;
	else
		rc = EXIT_OK;
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	free(r.findings);
	analysis_free(an);
	analyzer_free(az);
	obs_free(obs);
	return rc;
}

int cmd_analyze(int argc, char **argv)
{
	struct analyze_opts o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.fail_on = SEV_HIGH;
	probe_options_defaults(&o.popt);
	o.connect_timeout_ms = 3000;
	o.timeout_ms = 5000;
	o.db_path = "certsweep.db";
	o.acfg.expiring_critical_days = 7;
	o.acfg.expiring_high_days = 30;
	rc = parse_analyze_args(argc, argv, &o);
	if (rc == EXIT_OK)
		rc = o.file != NULL ? analyze_file(&o) : analyze_host(&o);
	else if (rc < 0)
		rc = EXIT_OK;
	ca_policy_free(o.policy);
	return rc;
}
