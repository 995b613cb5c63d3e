/*
 * cmd_scan.c: `certsweep scan`: targets -> engine -> analyzer -> store + NDJSON + summary.
 *
 * Owns, for the duration of the command: the target set and iterator, the event base, the
 * engine, the analyzer (with its certificate and chain caches), the store and the NDJSON file.
 * Every result flows through on_result(): analysed once, written to the store (batched) and to
 * the NDJSON stream, counted for the summary, then released by the engine. Nothing here grows
 * per endpoint: unique certificates are counted by the store at the end.
 *
 * Resume and shards (doc/scale.md). The scan row records the plan: seed, shard, the SHA-256 of
 * the endpoint space (targets_describe + --sni + --starttls) and the command line as JSON.
 * Each result is stored with its permutation position, and the engine's watermark is handed to
 * the store after it (and once a second), to be written with the next commit. --resume finds
 * the scan (by id, else the latest of --name; a complete one leaves nothing to do), refuses a
 * live one or a different target space, rebuilds the permutation (from the targets given, or from the
 * stored command line when none are), loads what was stored above the watermark into the
 * engine's skip set and continues the same scan id from the watermark. --shard I/N without
 * --seed derives the seed from the space hash, so every shard has the same permutation.
 *
 * Re-entrant: no static state (certsweep sweep calls cmd_scan in-process).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "analyzer/analyzer.h"
#include "cli/cli.h"
#include "enrich/geo.h"
#include "core/text.h"
#include "cli/deep.h"
#include "report/analyze_doc.h"
#include "report/ndjson.h"
#include "scanner/engine.h"
#include "scanner/starttls.h"
#include "scanner/targets.h"
#include "store/store.h"

#define MAX_FINDING_IDS 64

struct finding_count {
	const char *id;            /* static storage (check descriptor) */
	enum severity sev;         /* highest seen */
	uint64_t n;
};

/* Everything one scan run owns; lives on cmd_scan's stack. */
struct scan_run {
	struct analyzer *az;
	struct store *st;
	int64_t scan_id;
	FILE *json;                /* NULL, stdout, or an owned file */
	const char *json_path;
	struct engine *eng;
	struct event_base *base;
	struct event *progress;
	struct event *flush;
	int quiet;
	int fail_on;               /* severity threshold for exit 1, -1 = never */
	int worst;                 /* highest severity seen, -1 = none */
	int signo;                 /* signal that interrupted the run, 0 = none */
	int fatal;                 /* a store or output failure stopped the run */
	char fatal_msg[300];
	double t0;
	uint64_t status_count[EP_STATUS_COUNT];
	struct finding_count fc[MAX_FINDING_IDS];
	size_t nfc;
	int progress_shown;
	int advanced;              /* --checks advanced */
	struct deep deep;          /* the deep-analysis pipeline (advanced) */
	uint64_t grades[10];       /* A+ A A- B C D E F T M */
	struct geo_dbs *geo;       /* owned; NULL without --geoip-db/--asn-db/--owner-db */
	uint64_t unique_certs;     /* counted by the store at the end (whole scan) */
	int resumed;               /* --resume: the scan continues an earlier run */
	uint64_t seed;             /* the permutation's */
	uint32_t shard, nshards;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void count_finding(struct scan_run *r, const struct finding *f)
{
	size_t i;

	for (i = 0; i < r->nfc; i++)
		if (strcmp(r->fc[i].id, f->id) == 0)
			break;
	if (i == r->nfc) {
		if (r->nfc == MAX_FINDING_IDS)
			return;
		r->fc[r->nfc].id = f->id;
		r->fc[r->nfc].sev = f->severity;
		r->nfc++;
	}
	r->fc[i].n++;
	if ((int)f->severity > (int)r->fc[i].sev)
		r->fc[i].sev = f->severity;
	if ((int)f->severity > r->worst)
		r->worst = (int)f->severity;
}

/* 1 when f is one of the certificate analysis' own findings (already counted). */
static int finding_in(const struct analysis *an, const struct finding *f)
{
	for (size_t i = 0; i < an->n_findings; i++)
		if (an->findings[i].id == f->id && an->findings[i].cert_pos == f->cert_pos)
			return 1;
	return 0;
}

static void count_grade(struct scan_run *r, const char *letter)
{
	static const char *const letters[] = { "A+", "A", "A-", "B", "C", "D", "E", "F", "T", "M" };

	for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]); i++)
		if (strcmp(letters[i], letter) == 0)
			r->grades[i]++;
}

static void stop_fatal(struct scan_run *r, const char *what, const char *why)
{
	if (r->fatal)
		return;
	r->fatal = 1;
	snprintf(r->fatal_msg, sizeof(r->fatal_msg), "%s: %s", what, why);
	engine_stop(r->eng);
}

/* --checks advanced: a deep analysis finished; its record replaces the plain one. */
static void on_deep(void *arg, const struct deep_report *rep)
{
	struct scan_run *r = arg;
	json_t *doc;

	for (size_t i = 0; i < rep->n_findings; i++)
		if (rep->an == NULL || !finding_in(rep->an, &rep->findings[i]))
			count_finding(r, &rep->findings[i]);
	count_grade(r, rep->grade->letter);
	if (r->json != NULL) {
		doc = analyze_doc_json(rep);
		if (ndjson_dump_line(r->json, doc) != 0)
			stop_fatal(r, r->json_path, strerror(errno));
		json_decref(doc);
	}
	if (r->deep.store_failed)
		stop_fatal(r, "cannot write to the database", store_errmsg(r->st));
}

/* --checks advanced, interrupted: the endpoint's plain record, so NDJSON matches the store. */
static void on_deep_abandoned(void *arg, const struct observation *obs, const struct analysis *an)
{
	struct scan_run *r = arg;

	if (r->json != NULL && ndjson_write(r->json, obs, an) != 0 && !r->fatal) {
		r->fatal = 1;
		snprintf(r->fatal_msg, sizeof(r->fatal_msg), "%s: %s", r->json_path, strerror(errno));
	}
}

static void on_result(void *arg, const struct observation *engine_obs)
{
	struct scan_run *r = arg;
	const struct observation *obs = engine_obs;
	struct observation local;
	struct analysis *an;
	char err[256];

	if (r->geo != NULL) {
		/* a shallow copy on the stack that adds the location: the engine's observation stays
		 * const, and its chain and strings stay the engine's */
		local = *engine_obs;
		if (geo_lookup(r->geo, local.ip, &local.geo, err, sizeof(err)) != 0 &&
		    local.ip[0] != '\0')
			stop_fatal(r, "enrichment", err);
		local.geo_looked_up = 1;
		obs = &local;
	}
	an = analyze(r->az, obs);

	if (an == NULL) {
		stop_fatal(r, "analysis", "out of memory");
		return;
	}
	if (r->st != NULL) {
		uint64_t pos = engine_result_pos(r->eng);

		/* the watermark goes to the store after the result it may cover */
		if (store_add_result_pos(r->st, r->scan_id, obs, an,
		                         pos == UINT64_MAX ? -1 : (int64_t)pos) != 0)
			stop_fatal(r, "cannot write to the database", store_errmsg(r->st));
		else
			store_scan_progress(r->st, r->scan_id, engine_watermark(r->eng));
	}
	r->status_count[obs->status < EP_STATUS_COUNT ? obs->status : EP_HANDSHAKE_FAILED]++;
	for (size_t i = 0; i < an->n_findings; i++)
		count_finding(r, &an->findings[i]);
	if (r->advanced && (obs->status == EP_OK || obs->status == EP_HANDSHAKE_FAILED)) {
		/* deep_start takes an; the NDJSON record is written when the analysis ends */
		if (deep_start(&r->deep, obs, an, err, sizeof(err)) != 0)
			stop_fatal(r, "deep analysis", err);
		return;
	}
	if (r->json != NULL && ndjson_write(r->json, obs, an) != 0)
		stop_fatal(r, r->json_path, strerror(errno));
	analysis_free(an);
}

static void fmt_duration(char *buf, size_t len, double s)
{
	if (s < 0 || s > 360000)
		snprintf(buf, len, "--");
	else if (s >= 3600)
		snprintf(buf, len, "%dh%02dm", (int)s / 3600, ((int)s % 3600) / 60);
	else if (s >= 60)
		snprintf(buf, len, "%dm%02ds", (int)s / 60, (int)s % 60);
	else
		snprintf(buf, len, "%ds", (int)s);
}

static void on_progress(evutil_socket_t fd, short what, void *arg)
{
	struct scan_run *r = arg;
	struct engine_stats s;
	double el = now_s() - r->t0, rate, eta = -1;
	char etas[16];

	engine_get_stats(r->eng, &s);
	s.done += s.skipped; /* a resumed sweep: what was stored before counts as done */
	rate = el > 0 ? (double)(s.done - s.skipped) / el : 0;
	if (rate > 0 && s.total >= s.done)
		eta = (double)(s.total - s.done) / rate;
	fmt_duration(etas, sizeof(etas), eta);
	fprintf(stderr, "\r\033[K%llu/%llu done (%.1f%%), %.0f/s, ETA %s, %llu in flight, %llu TLS endpoints",
	        (unsigned long long)s.done, (unsigned long long)s.total,
	        s.total ? 100.0 * (double)s.done / (double)s.total : 100.0, rate, etas,
	        (unsigned long long)s.in_flight, (unsigned long long)s.tls);
	fflush(stderr);
	r->progress_shown = 1;
}

/* Commits the store's open batch once a second, so a quiet stretch of the sweep does not hold
 * the write lock or leave results uncommitted; with it the watermark (every result it covers
 * was added) and the heartbeat that tells --resume this run is alive. */
static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct scan_run *r = arg;

	if (!r->fatal)
		store_scan_progress(r->st, r->scan_id, engine_watermark(r->eng));
	if (store_flush(r->st) != 0)
		stop_fatal(r, "cannot write to the database", store_errmsg(r->st));
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct scan_run *r = arg;

	if (r->signo == 0)
		r->signo = (int)sig;
	engine_stop(r->eng);
}

static const char *usage_text =
	"usage: certsweep scan [OPTIONS] TARGET...\n"
	"\n"
	"Targets: 192.0.2.1  192.0.2.0/24  192.0.2.1-192.0.2.50  192.0.2.1-50  2001:db8::/120\n"
	"         host.example.com  host:8443  [2001:db8::1]:8443\n"
	"\n"
	"Targets and ports:\n"
	"  -p, --ports LIST            ports, e.g. 443,8443,9000-9010 (default 443)\n"
	"  -t, --targets FILE          targets file, '-' for stdin: one per line, or CSV\n"
	"                              target,port,sni,starttls\n"
	"  -x, --exclude SPEC          exclude an address, CIDR block or range (repeatable)\n"
	"      --exclude-file FILE     exclusions, one per line\n"
	"      --sni NAME              send this SNI to every endpoint\n"
	"      --starttls PROTO        none (default), auto, or one of: smtp imap pop3 ftp ldap\n"
	"                              xmpp postgres mysql\n"
	"      --seed N                permutation seed (default: random; with --shard, derived\n"
	"                              from the targets, the same on every shard)\n"
	"      --shard I/N             scan shard I (0-based) of N: N machines with the same\n"
	"                              targets cover them exactly once (certsweep merge joins them)\n"
	"      --resume[=ID]           continue scan ID, or the latest scan of --name, from its\n"
	"                              last committed position (a complete one: nothing to do);\n"
	"                              without targets, its stored command line gives them\n"
	"                              (also: --resume ID)\n"
	"Engine:\n"
	"  -c, --concurrency N         connections in flight (default 1000, up to 65000)\n"
	"  -r, --rate N                new connections per second (default: unlimited)\n"
	"      --connect-timeout T     TCP connect timeout (default 3s; 500ms, 3s, 3000)\n"
	"      --timeout T             STARTTLS + TLS handshake timeout (default 5s)\n"
	"      --retries N             extra attempts after a timeout (default 1)\n"
	"      --checks LEVEL          basic (default): certificate and chain checks;\n"
	"                              advanced: also the deep analysis of every TLS endpoint\n"
	"                              (protocols, ciphers, groups, renegotiation, heartbleed,\n"
	"                              HSTS ...) with an SSL Labs-style grade, as certsweep analyze\n"
	"      --per-host N            connections at once per analysed endpoint (default 4)\n"
	"      --max-connections N     connection budget per analysed endpoint (default 400)\n"
	"      --handshake MODE        fast (default): read the chain with certsweep's own\n"
	"                              ClientHello, OpenSSL's handshake when that cannot finish;\n"
	"                              full: always OpenSSL's complete handshake\n"
	"      --resolver IP[:PORT]    DNS server for hostnames (default: /etc/resolv.conf)\n"
	"      --hosts-file FILE       hosts file for hostnames (default: /etc/hosts)\n"
	"Analysis:\n"
	"      --ca-file FILE          trust these roots instead of the system store\n"
	"      --ca-path DIR           trust this hashed directory instead of the system store\n"
	"      --preferred-ca TEXT     preferred CA issuer/subject pattern (repeatable;\n"
	"                              replaces the default Comodo/Sectigo family)\n"
	"      --preferred-fingerprint HEX  preferred CA certificate SHA-256 (repeatable)\n"
	"      --preferred-ca-file FILE     patterns (pattern:TEXT, sha256:HEX) or ca-families.tsv\n"
	"      --expiring-critical DAYS     cert.expiring is critical at or below (default 7)\n"
	"      --expiring-high DAYS         cert.expiring is high at or below (default 30)\n"
	"Enrichment (looked up for every endpoint, stored, shown in reports):\n"
	"      --geoip-db FILE         GeoIP2/GeoLite2 City or Country mmdb: country, city\n"
	"      --asn-db FILE           GeoIP2/GeoLite2 ASN mmdb: ASN and its organisation\n"
	"      --owner-db FILE         mmdb of your own networks: owner, business_unit, site\n"
	"Output:\n"
	"      --db FILE               SQLite inventory (default ./certsweep.db)\n"
	"      --name NAME             name this sweep (reports and diffs group by it)\n"
	"      --json FILE             one JSON record per endpoint (NDJSON), '-' for stdout\n"
	"      --fail-on SEVERITY      exit 1 when a finding at or above it is found\n"
	"                              (info, low, medium, high, critical)\n"
	"  -q, --quiet                 no progress and no summary\n"
	"  -h, --help\n"
	"\n"
	"Exit: 0 ok, 1 findings at or above --fail-on, 2 usage, 3 runtime error, 130/143 interrupted.\n";

enum {
	O_EXCLUDE_FILE = 256, O_SNI, O_STARTTLS, O_SEED, O_CONNECT_TIMEOUT, O_TIMEOUT, O_RETRIES,
	O_RESOLVER, O_HOSTS_FILE, O_MAX_CONN, O_DB, O_NAME, O_JSON, O_FAIL_ON, O_HANDSHAKE, O_CHECKS, O_PER_HOST,
	O_SHARD, O_RESUME,
};

static const struct option long_opts[] = {
	{ "ports", required_argument, NULL, 'p' },
	{ "targets", required_argument, NULL, 't' },
	{ "exclude", required_argument, NULL, 'x' },
	{ "exclude-file", required_argument, NULL, O_EXCLUDE_FILE },
	{ "sni", required_argument, NULL, O_SNI },
	{ "starttls", required_argument, NULL, O_STARTTLS },
	{ "seed", required_argument, NULL, O_SEED },
	{ "shard", required_argument, NULL, O_SHARD },
	{ "resume", optional_argument, NULL, O_RESUME },
	{ "concurrency", required_argument, NULL, 'c' },
	{ "rate", required_argument, NULL, 'r' },
	{ "connect-timeout", required_argument, NULL, O_CONNECT_TIMEOUT },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "retries", required_argument, NULL, O_RETRIES },
	{ "resolver", required_argument, NULL, O_RESOLVER },
	{ "hosts-file", required_argument, NULL, O_HOSTS_FILE },
	{ "db", required_argument, NULL, O_DB },
	{ "name", required_argument, NULL, O_NAME },
	{ "json", required_argument, NULL, O_JSON },
	{ "fail-on", required_argument, NULL, O_FAIL_ON },
	{ "handshake", required_argument, NULL, O_HANDSHAKE },
	{ "checks", required_argument, NULL, O_CHECKS },
	{ "per-host", required_argument, NULL, O_PER_HOST },
	{ "max-connections", required_argument, NULL, O_MAX_CONN },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	CLI_POLICY_OPTIONS,
	CLI_GEO_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* A STARTTLS value a target may carry: a protocol, "auto" or "none". */
static int starttls_name_ok(const char *name)
{
	return strcmp(name, "auto") == 0 || strcmp(name, "none") == 0 || starttls_find(name) != NULL;
}

/* Raises the open-file limit to what --concurrency needs (or as far as allowed). */
static int fit_concurrency(int want)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)want + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return want;
	if (rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < need) {
		int fit = rl.rlim_cur > 128 ? (int)(rl.rlim_cur - 64) : 64;
		cli_err("warning: the open-file limit (%llu) allows only %d connections at once; "
		        "raise it with 'ulimit -n' for --concurrency %d",
		        (unsigned long long)rl.rlim_cur, fit, want);
		return fit;
	}
	return want;
}

static uint64_t random_seed(void)
{
	uint64_t seed = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &seed, sizeof(seed)) != (ssize_t)sizeof(seed))
			seed = 0;
		close(fd);
	}
	if (seed == 0)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	return seed;
}

/* The command line as one string, stored with the scan. */
static char *join_args(int argc, char **argv)
{
	size_t len = 1;
	char *s;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	if (s == NULL)
		return NULL;
	for (int i = 0; i < argc; i++) {
		if (i > 0)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

static int sev_cmp_desc(const void *a, const void *b)
{
	const struct finding_count *x = a, *y = b;

	if (x->sev != y->sev)
		return (int)y->sev - (int)x->sev;
	return strcmp(x->id, y->id);
}

static void print_summary(struct scan_run *r, const struct engine_stats *s, const char *db_path,
                          int64_t scan_id)
{
	FILE *out = r->json == stdout ? stderr : stdout;
	double el = now_s() - r->t0;
	char dur[16];

	if (el >= 60)
		fmt_duration(dur, sizeof(dur), el);
	else
		snprintf(dur, sizeof(dur), "%.1f s", el);
	fprintf(out, "\ncertsweep: scan %lld %s%s in %s\n", (long long)scan_id,
	        r->resumed ? "resumed and " : "",
	        r->signo ? "interrupted" : r->fatal ? "stopped" : "finished", dur);
	if (r->nshards > 1)
		fprintf(out, "  shard               %u/%u (seed %llu)\n", r->shard, r->nshards,
		        (unsigned long long)r->seed);
	if (r->resumed)
		fprintf(out, "  stored before       %llu (not scanned again)\n",
		        (unsigned long long)s->skipped);
	fprintf(out, "  endpoints tried     %llu\n", (unsigned long long)s->done);
	fprintf(out, "  open (TCP)          %llu\n", (unsigned long long)s->open);
	fprintf(out, "  TLS                 %llu\n", (unsigned long long)s->tls);
	fprintf(out, "  unique certificates %llu%s\n", (unsigned long long)r->unique_certs,
	        r->resumed ? " (whole scan)" : "");
	fprintf(out, "  status:");
	for (int i = 0; i < EP_STATUS_COUNT; i++)
		if (r->status_count[i] > 0)
			fprintf(out, " %s %llu", ep_status_name(i), (unsigned long long)r->status_count[i]);
	fprintf(out, "\n");
	qsort(r->fc, r->nfc, sizeof(r->fc[0]), sev_cmp_desc);
	if (r->nfc == 0)
		fprintf(out, "  findings: none\n");
	else
		fprintf(out, "  findings (endpoints x certificates affected):\n");
	for (size_t i = 0; i < r->nfc; i++)
		fprintf(out, "    %-8s  %-28s %llu\n", severity_name(r->fc[i].sev), r->fc[i].id,
		        (unsigned long long)r->fc[i].n);
	if (r->advanced) {
		static const char *const letters[] = { "A+", "A", "A-", "B", "C", "D", "E", "F", "T", "M" };
		fprintf(out, "  grades:");
		for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]); i++)
			if (r->grades[i] > 0)
				fprintf(out, " %s %llu", letters[i], (unsigned long long)r->grades[i]);
		fprintf(out, "\n");
	}
	if (db_path != NULL) {
		char safe[512];
		text_terminal(safe, sizeof(safe), db_path);
		fprintf(out, "  inventory: %s (scan %lld); 'certsweep report --db %s' for the CSV\n", safe,
		        (long long)scan_id, safe);
	}
}

struct scan_opts {
	struct portlist ports;
	const char *ports_spec;
	uint64_t seed;
	int have_seed;
	struct engine_config ecfg;
	struct analyzer_config acfg;
	struct ca_policy *policy; /* owned when custom */
	const char *db_path, *name, *json_path;
	int fail_on, quiet;
	int advanced;
	struct probe_options popt;
	struct geo_paths geo;
	int resume;               /* --resume */
	int64_t resume_id;        /* its scan id; 0: the latest scan of --name */
	int have_shard;
	uint32_t shard, nshards;  /* --shard I/N: 0 <= I < N */
	int ntargets;             /* target specs and --targets files given */
	const char *space_opt;    /* the last option given that shapes the endpoint space */
};

/* Sets o to the defaults (nothing owned yet). */
static void scan_opts_init(struct scan_opts *o)
{
	memset(o, 0, sizeof(*o));
	engine_config_defaults(&o->ecfg);
	o->acfg.expiring_critical_days = 7;
	o->acfg.expiring_high_days = 30;
	o->ports_spec = "443";
	o->db_path = "certsweep.db";
	o->fail_on = -1;
	probe_options_defaults(&o->popt);
}

static void scan_opts_free(struct scan_opts *o)
{
	ca_policy_free(o->policy);
	o->policy = NULL;
	portlist_free(&o->ports);
}

/* --shard I/N: whole numbers, N from 1 to 2^20, I below N. */
static int parse_shard(const char *val, uint32_t *shard, uint32_t *nshards)
{
	char *end;
	unsigned long i, n;

	errno = 0;
	if (val[0] < '0' || val[0] > '9')
		goto bad;
	i = strtoul(val, &end, 10);
	if (errno != 0 || end[0] != '/' || end[1] < '0' || end[1] > '9')
		goto bad;
	n = strtoul(end + 1, &end, 10);
	if (errno != 0 || *end != '\0')
		goto bad;
	if (n < 1 || n > (1ul << 20)) {
		cli_err("--shard: the shard count must be from 1 to %lu", 1ul << 20);
		return -1;
	}
	if (i >= n) {
		cli_err("--shard: shards are numbered from 0 to N-1: %lu/%lu does not exist", i, n);
		return -1;
	}
	*shard = (uint32_t)i;
	*nshards = (uint32_t)n;
	return 0;
bad:
	cli_err("--shard: \"%.40s\" is not I/N (e.g. 0/4, the first of four shards)", val);
	return -1;
}

static int all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Parses options into o and adds the targets to ts (not finalized); returns EXIT_OK, -1 after
 * --help, or an exit code. Called again over the same o and ts to lay the options given now
 * over a stored command line (--resume without targets). */
static int parse_scan_args(int argc, char **argv, struct scan_opts *o, struct target_set *ts)
{
	char err[512];
	long v;
	double d;
	int ch;
	const char *exclude_files[16];
	int nexclude_files = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "p:t:x:c:r:qh", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			o->ports_spec = optarg;
			o->space_opt = "--ports";
			break;
		case 't':
			if (targets_load_file(ts, optarg, 0, err, sizeof(err)) != 0) {
				cli_err("%s", err);
				return EXIT_USAGE;
			}
			o->ntargets++;
			break;
		case 'x':
			if (targets_add_exclude(ts, optarg, err, sizeof(err)) != 0) {
				cli_err("--exclude: %s", err);
				return EXIT_USAGE;
			}
			o->space_opt = "--exclude";
			break;
		case O_EXCLUDE_FILE:
			if (nexclude_files == 16) {
				cli_err("--exclude-file: at most 16 files");
				return EXIT_USAGE;
			}
			exclude_files[nexclude_files++] = optarg;
			o->space_opt = "--exclude-file";
			break;
		case O_SNI:
			o->ecfg.sni = optarg;
			o->space_opt = "--sni";
			break;
		case O_SHARD:
			if (parse_shard(optarg, &o->shard, &o->nshards) != 0)
				return EXIT_USAGE;
			o->have_shard = 1;
			o->space_opt = "--shard";
			break;
		case O_RESUME:
			o->resume = 1;
			if (optarg != NULL) {
				if (opt_int("--resume", optarg, 1, LONG_MAX, &v) != 0)
					return EXIT_USAGE;
				o->resume_id = v;
			}
			break;
		case O_STARTTLS:
			if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "none") != 0 && starttls_find(optarg) == NULL) {
				cli_err("--starttls: unknown protocol \"%.40s\" (none, auto, smtp, imap, pop3, ftp, ldap, xmpp, postgres, mysql)", optarg);
				return EXIT_USAGE;
			}
			o->ecfg.starttls = optarg;
			o->space_opt = "--starttls";
			break;
		case O_SEED:
			if (opt_int("--seed", optarg, 0, LONG_MAX, &v) != 0)
				return EXIT_USAGE;
			o->seed = (uint64_t)v;
			o->have_seed = 1;
			o->space_opt = "--seed";
			break;
		case 'c':
			if (opt_int("--concurrency", optarg, 1, 65000, &v) != 0)
				return EXIT_USAGE;
			o->ecfg.concurrency = (int)v;
			break;
		case 'r':
			if (opt_double("--rate", optarg, 0.01, 10e6, &d) != 0)
				return EXIT_USAGE;
			o->ecfg.rate = d;
			break;
		case O_CONNECT_TIMEOUT:
			if (opt_ms("--connect-timeout", optarg, 10, 600000, &v) != 0)
				return EXIT_USAGE;
			o->ecfg.connect_timeout_ms = (int)v;
			break;
		case O_TIMEOUT:
			if (opt_ms("--timeout", optarg, 10, 600000, &v) != 0)
				return EXIT_USAGE;
			o->ecfg.handshake_timeout_ms = (int)v;
			break;
		case O_RETRIES:
			if (opt_int("--retries", optarg, 0, 10, &v) != 0)
				return EXIT_USAGE;
			o->ecfg.retries = (int)v;
			break;
		case O_HANDSHAKE:
			if (strcmp(optarg, "fast") == 0) {
				o->ecfg.full_handshake = 0;
			} else if (strcmp(optarg, "full") == 0) {
				o->ecfg.full_handshake = 1;
			} else {
				cli_err("--handshake: \"%.40s\" is neither fast nor full", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_CHECKS:
			if (strcmp(optarg, "basic") == 0) {
				o->advanced = 0;
			} else if (strcmp(optarg, "advanced") == 0) {
				o->advanced = 1;
			} else {
				cli_err("--checks: \"%.40s\" is neither basic nor advanced", optarg);
				return EXIT_USAGE;
			}
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
		case O_RESOLVER: o->ecfg.resolver = optarg; break;
		case O_HOSTS_FILE:
			if (access(optarg, R_OK) != 0) {
				cli_err("--hosts-file: cannot read %.200s: %s", optarg, strerror(errno));
				return EXIT_USAGE;
			}
			o->ecfg.hosts_file = optarg;
			break;
		case O_DB: o->db_path = optarg; break;
		case O_NAME: o->name = optarg; break;
		case O_JSON: o->json_path = optarg; break;
		case O_FAIL_ON:
			if (opt_fail_on(optarg, &o->fail_on) != 0)
				return EXIT_USAGE;
			break;
		case 'q': o->quiet = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		default:
			if (cli_geo_option(ch, optarg, &o->geo) == 0)
				continue;
			switch (cli_policy_option(ch, optarg, &o->policy, &o->acfg)) {
			case 0: continue;
			case -1: return EXIT_USAGE;
			default: break;
			}
			fputs("Try 'certsweep scan --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	for (int i = 0; i < nexclude_files; i++)
		if (targets_load_file(ts, exclude_files[i], 1, err, sizeof(err)) != 0) {
			cli_err("%s", err);
			return EXIT_USAGE;
		}
	for (int i = optind; i < argc; i++) {
		if (o->resume && all_digits(argv[i])) { /* --resume ID: a number is never a target */
			if (o->resume_id != 0 || opt_int("--resume", argv[i], 1, LONG_MAX, &v) != 0) {
				cli_err("--resume: give one scan id at most");
				return EXIT_USAGE;
			}
			o->resume_id = v;
			continue;
		}
		if (targets_add(ts, argv[i], 0, NULL, NULL, err, sizeof(err)) != 0) {
			cli_err("%s", err);
			return EXIT_USAGE;
		}
		o->ntargets++;
	}
	return EXIT_OK;
}

/* The event loop. Without libevent's time cache: a connection started late in a busy loop
 * iteration (thousands of timeouts expiring at once, as in dead address space) gets its whole
 * --connect-timeout from when it starts, not from when the iteration began. */
static struct event_base *new_event_base(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base = NULL;

	if (cfg != NULL && event_config_set_flag(cfg, EVENT_BASE_FLAG_NO_CACHE_TIME) == 0)
		base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

/* ---------------------------------------------------------------- resume and shards */

/* The command line as a JSON array of strings (malloc'd), so --resume can parse it again
 * argument by argument; NULL when an argument is not UTF-8 (the scan can then be resumed only
 * with its targets given again) or out of memory. */
static char *argv_to_json(int argc, char **argv)
{
	json_t *a = json_array();
	char *text = NULL;

	if (a == NULL)
		return NULL;
	for (int i = 0; i < argc; i++)
		if (json_array_append_new(a, json_string(argv[i])) != 0)
			goto out;
	text = json_dumps(a, JSON_COMPACT);
out:
	json_decref(a);
	return text;
}

static void argv_free(int argc, char **argv)
{
	for (int i = 0; argv != NULL && i < argc; i++)
		free(argv[i]);
	free(argv);
}

/* Parses a stored command line into an owned argv (argv_free). Returns 0, or -1. */
static int argv_from_json(const char *text, int *argcp, char ***argvp)
{
	json_t *a = json_loads(text, 0, NULL);
	char **argv = NULL;
	size_t n, i = 0;
	int ret = -1;

	if (a == NULL || !json_is_array(a) || (n = json_array_size(a)) == 0 || n > 100000)
		goto out;
	if ((argv = calloc(n + 1, sizeof(*argv))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		const char *v = json_string_value(json_array_get(a, i));

		if (v == NULL || (argv[i] = strdup(v)) == NULL)
			goto out;
	}
	*argcp = (int)n;
	*argvp = argv;
	argv = NULL;
	ret = 0;
out:
	argv_free((int)i, argv);
	json_decref(a);
	return ret;
}

static void hash_update(void *arg, const void *data, size_t len)
{
	EVP_DigestUpdate(arg, data, len);
}

/* SHA-256 hex of the endpoint space: the finalized target set and the options that change an
 * endpoint's identity in the store (--sni, --starttls). Returns 0, or -1. */
static int space_hash(const struct target_set *ts, const struct scan_opts *o, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	const char *sni = o->ecfg.sni != NULL ? o->ecfg.sni : "";
	const char *starttls = o->ecfg.starttls != NULL ? o->ecfg.starttls : "";
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[32];
	unsigned int len = 0;
	int ret = -1;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	targets_describe(ts, hash_update, ctx);
	EVP_DigestUpdate(ctx, "\0sni=", 5);
	EVP_DigestUpdate(ctx, sni, strlen(sni));
	EVP_DigestUpdate(ctx, "\0starttls=", 10);
	EVP_DigestUpdate(ctx, starttls, strlen(starttls));
	if (EVP_DigestFinal_ex(ctx, md, &len) != 1 || len != sizeof(md))
		goto out;
	for (size_t i = 0; i < sizeof(md); i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
	ret = 0;
out:
	EVP_MD_CTX_free(ctx);
	return ret;
}

/* The seed every shard derives alike: the space hash's first 63 bits (a valid --seed). */
static uint64_t seed_from_hash(const char *hex)
{
	uint64_t v = 0;

	for (int i = 0; i < 16; i++)
		v = v << 4 | (uint64_t)(hex[i] <= '9' ? hex[i] - '0' : hex[i] - 'a' + 10);
	return v & INT64_MAX;
}

static void host_name(char *buf, size_t len)
{
	if (gethostname(buf, len) != 0)
		snprintf(buf, len, "?");
	buf[len - 1] = '\0';
}

/* 1 when the process that last ran a 'running' scan may still be at it (why says so): on this
 * host, when that process exists and is a certsweep (the pid is not recycled by another
 * program); elsewhere, when it made progress in the last 30 seconds (it commits every second). */
static int scan_alive(const struct scan_info *si, char *why, size_t len)
{
	char host[256], path[64], comm[64] = "";
	FILE *f;

	if (si->status == NULL || strcmp(si->status, "running") != 0)
		return 0;
	host_name(host, sizeof(host));
	if (si->run_host != NULL && strcmp(si->run_host, host) == 0) {
		if (si->run_pid <= 0 || si->run_pid == (int64_t)getpid()) /* an earlier run in this process */
			return 0;
		if (kill((pid_t)si->run_pid, 0) != 0 && errno != EPERM)
			return 0;
		snprintf(path, sizeof(path), "/proc/%lld/comm", (long long)si->run_pid);
		if ((f = fopen(path, "r")) != NULL) {
			if (fgets(comm, sizeof(comm), f) == NULL)
				comm[0] = '\0';
			fclose(f);
			if (strncmp(comm, "certsweep", 9) != 0)
				return 0;
		}
		snprintf(why, len, "its process %lld is still running", (long long)si->run_pid);
		return 1;
	}
	if (si->heartbeat > 0 && (int64_t)time(NULL) - si->heartbeat < 30) {
		char safe[96];

		text_terminal(safe, sizeof(safe), si->run_host != NULL ? si->run_host : "?");
		snprintf(why, len, "it made progress %llds ago on host %s",
		         (long long)((int64_t)time(NULL) - si->heartbeat), safe);
		return 1;
	}
	return 0;
}

/* Finds the scan --resume continues and checks it can be. Returns EXIT_OK with si filled, -1
 * when the scan is complete (nothing to do: not an error, so a job that resumes whatever is
 * left succeeds), or an exit code. */
static int find_resume(struct store *st, const struct scan_opts *o, struct scan_info *si)
{
	char why[200], name[128];
	int found = store_scan_info(st, o->resume_id, o->resume_id > 0 ? NULL : o->name, si);

	if (found < 0) {
		cli_err("--resume: %s", store_errmsg(st));
		return EXIT_RUNTIME;
	}
	text_terminal(name, sizeof(name), o->name != NULL ? o->name : "");
	if (found == 0) {
		if (o->resume_id > 0)
			cli_err("--resume: there is no scan %lld in this database", (long long)o->resume_id);
		else if (o->name != NULL)
			cli_err("--resume: there is no scan named \"%s\" to resume", name);
		else
			cli_err("--resume: there is no scan without --name to resume (give its id, or "
			        "the --name of the sweep)");
		return EXIT_USAGE;
	}
	if (o->resume_id > 0 && o->name != NULL &&
	    (si->name == NULL || strcmp(si->name, o->name) != 0)) {
		cli_err("--resume: scan %lld is not named \"%s\"", (long long)si->id, name);
		return EXIT_USAGE;
	}
	if (si->merged) {
		cli_err("--resume: scan %lld was assembled by certsweep merge; resume its shards in "
		        "their own databases and merge again", (long long)si->id);
		return EXIT_USAGE;
	}
	if (strcmp(si->status, "done") == 0) {
		if (!o->quiet)
			cli_err("scan %lld is complete: nothing to resume", (long long)si->id);
		return -1;
	}
	if (!si->has_plan) {
		cli_err("--resume: scan %lld cannot be resumed: it was started by an older certsweep "
		        "or is not a sweep", (long long)si->id);
		return EXIT_USAGE;
	}
	if (scan_alive(si, why, sizeof(why))) {
		cli_err("--resume: scan %lld is still running: %s", (long long)si->id, why);
		return EXIT_USAGE;
	}
	if (o->ntargets == 0 && si->argv_json == NULL) {
		cli_err("--resume: scan %lld's command line was not stored (not UTF-8): give its "
		        "targets again", (long long)si->id);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* --resume without targets: o and *tsp are rebuilt from the scan's stored command line, with
 * the options given now laid over it (they cannot shape the endpoint space: checked before).
 * The stored argv stays alive in *stored (its strings are the options' values). */
static int reparse_stored(const struct scan_info *si, int argc, char **argv, struct scan_opts *o,
                          struct target_set **tsp, char ***stored, int *nstored)
{
	struct target_set *ts;
	int prc;

	if (argv_from_json(si->argv_json, nstored, stored) != 0) {
		cli_err("--resume: scan %lld's stored command line is unreadable; give its targets "
		        "again", (long long)si->id);
		return EXIT_USAGE;
	}
	targets_free(*tsp);
	*tsp = ts = targets_new();
	scan_opts_free(o);
	scan_opts_init(o);
	if (ts == NULL) {
		cli_err("out of memory");
		return EXIT_RUNTIME;
	}
	targets_set_protocol_check(ts, starttls_name_ok);
	if ((prc = parse_scan_args(*nstored, *stored, o, ts)) != EXIT_OK) {
		cli_err("--resume: the stored command line of scan %lld no longer parses",
		        (long long)si->id);
		return prc < 0 ? EXIT_USAGE : prc;
	}
	if ((prc = parse_scan_args(argc, argv, o, ts)) != EXIT_OK)
		return prc < 0 ? EXIT_USAGE : prc;
	return EXIT_OK;
}

/* The plan of a resumed scan must be the one the targets give now. */
static int check_plan(const struct scan_info *si, const struct scan_opts *o, const char *hash)
{
	if (strcmp(hash, si->space_hash) != 0) {
		cli_err("--resume: the targets, ports, exclusions, --sni or --starttls differ from "
		        "those scan %lld was started with (or a targets file changed): resuming would "
		        "skip or repeat endpoints", (long long)si->id);
		return EXIT_USAGE;
	}
	if (o->have_seed && o->seed != si->seed) {
		cli_err("--resume: scan %lld was started with --seed %llu", (long long)si->id,
		        (unsigned long long)si->seed);
		return EXIT_USAGE;
	}
	if (o->have_shard && (o->shard != si->shard || o->nshards != si->nshards)) {
		if (si->nshards <= 1)
			cli_err("--resume: scan %lld is not sharded", (long long)si->id);
		else
			cli_err("--resume: scan %lld is shard %u/%u", (long long)si->id, si->shard,
			        si->nshards);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* store_each_stored_from: a result stored above the watermark is not scanned again. */
static int skip_stored(void *arg, uint64_t pos, const char *ip)
{
	return engine_skip_add(arg, pos, ip) != 0 ? 1 : 0;
}

/* A new scan of a sweep whose last run did not finish: say how to continue it instead. */
static void note_unfinished(struct store *st, const char *name)
{
	struct scan_info prev;
	char safe[128];

	if (name == NULL || store_scan_info(st, 0, name, &prev) != 1)
		return;
	if (strcmp(prev.status, "done") != 0) {
		text_terminal(safe, sizeof(safe), name);
		cli_err("note: scan %lld of \"%s\" did not finish (%s); 'certsweep scan --resume %lld' "
		        "continues it instead of starting over", (long long)prev.id, safe, prev.status,
		        (long long)prev.id);
	}
	scan_info_free(&prev);
}

/* Starts the scan row: a new scan with its plan, or the resumed one claimed again. */
static int begin_scan(struct scan_run *r, const struct scan_opts *o, const struct scan_info *si,
                      const char *hash, uint64_t space_size, int argc, char **argv)
{
	struct scan_plan plan;
	char host[256];
	char *args = NULL, *js = NULL;
	int ret = -1;

	host_name(host, sizeof(host));
	if (o->resume) {
		r->scan_id = si->id;
		if (store_scan_claim(r->st, r->scan_id, host, (int64_t)getpid()) != 0)
			goto out;
		ret = 0;
		goto out;
	}
	if (!o->quiet)
		note_unfinished(r->st, o->name);
	args = join_args(argc, argv);
	js = argv_to_json(argc, argv);
	if (store_scan_begin(r->st, o->name, args != NULL ? args : "", &r->scan_id) != 0)
		goto out;
	memset(&plan, 0, sizeof(plan));
	plan.seed = r->seed;
	plan.shard = r->shard;
	plan.nshards = r->nshards;
	plan.space_hash = hash;
	plan.space_size = space_size;
	plan.argv_json = js;
	if (store_scan_set_plan(r->st, r->scan_id, &plan) != 0 ||
	    store_scan_claim(r->st, r->scan_id, host, (int64_t)getpid()) != 0)
		goto out;
	ret = 0;
out:
	free(args);
	free(js);
	return ret;
}

int cmd_scan(int argc, char **argv)
{
	struct scan_opts o;
	struct scan_run r;
	struct target_set *ts = targets_new();
	struct target_iter it;
	struct event *sigint = NULL, *sigterm = NULL;
	struct engine_stats stats;
	struct scan_totals totals, counted;
	struct scan_info si;
	char err[512], hash[65];
	char **stored = NULL;
	int nstored = 0;
	const char *db_path;
	uint64_t start = 0;
	int rc = EXIT_RUNTIME, prc;

	scan_opts_init(&o);
	memset(&r, 0, sizeof(r));
	memset(&si, 0, sizeof(si));
	memset(&counted, 0, sizeof(counted));
	r.worst = -1;
	if (ts == NULL) {
		cli_err("out of memory");
		goto out;
	}
	targets_set_protocol_check(ts, starttls_name_ok);
	prc = parse_scan_args(argc, argv, &o, ts);
	if (prc != EXIT_OK) {
		rc = prc < 0 ? EXIT_OK : prc;
		goto out;
	}
	if (o.ntargets == 0 && !o.resume) {
		cli_err("no targets (give addresses, ranges or names, or --targets FILE)");
		fputs("Try 'certsweep scan --help'.\n", stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (o.ntargets == 0 && o.space_opt != NULL) {
		cli_err("--resume without targets takes them, and %s, from the scan's stored command "
		        "line: give the targets as well, or leave %s out", o.space_opt, o.space_opt);
		rc = EXIT_USAGE;
		goto out;
	}
	db_path = o.db_path;
	if (o.resume) {
		/* The scan to resume, first: without targets its command line holds the options. A
		 * new scan opens (and creates) its database only once every option checked out. */
		if (access(db_path, F_OK) != 0) {
			text_terminal(err, sizeof(err), db_path);
			cli_err("--resume: no such database: %s", err);
			rc = EXIT_USAGE;
			goto out;
		}
		if ((r.st = store_open(db_path, err, sizeof(err))) == NULL) {
			cli_err("%s", err);
			goto out;
		}
		if ((prc = find_resume(r.st, &o, &si)) != EXIT_OK ||
		    (o.ntargets == 0 &&
		     (prc = reparse_stored(&si, argc, argv, &o, &ts, &stored, &nstored)) != EXIT_OK)) {
			rc = prc < 0 ? EXIT_OK : prc;
			goto out;
		}
		o.db_path = db_path; /* the database the scan was found in */
		o.name = si.name;
	}
	if (o.acfg.expiring_critical_days > o.acfg.expiring_high_days) {
		cli_err("--expiring-critical (%d) must not exceed --expiring-high (%d)",
		        o.acfg.expiring_critical_days, o.acfg.expiring_high_days);
		rc = EXIT_USAGE;
		goto out;
	}
	if (portlist_parse(&o.ports, o.ports_spec, err, sizeof(err)) != 0) {
		cli_err("--ports: %s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	/* The space first (its hash does not depend on the seed), then the seed. */
	if (targets_finalize(ts, &o.ports, 0, err, sizeof(err)) != 0) {
		cli_err("%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (space_hash(ts, &o, hash) != 0) {
		cli_err("cannot hash the target space");
		goto out;
	}
	if (o.resume) {
		if ((prc = check_plan(&si, &o, hash)) != EXIT_OK) {
			rc = prc;
			goto out;
		}
		r.seed = si.seed;
		r.shard = si.shard;
		r.nshards = si.nshards > 0 ? si.nshards : 1;
		start = si.resume_pos;
		r.resumed = 1;
	} else {
		r.shard = o.have_shard ? o.shard : 0;
		r.nshards = o.have_shard ? o.nshards : 1;
		r.seed = o.have_seed ? o.seed : r.nshards > 1 ? seed_from_hash(hash) : random_seed();
	}
	if (targets_reseed(ts, r.seed) != 0) {
		cli_err("cannot key the permutation");
		goto out;
	}
	r.quiet = o.quiet;
	r.fail_on = o.fail_on;
	o.acfg.policy = o.policy; /* NULL: the default family */
	r.az = analyzer_new(&o.acfg, err, sizeof(err));
	if (r.az == NULL) {
		cli_err("%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if ((r.geo = geo_open(&o.geo, err, sizeof(err))) == NULL && err[0] != '\0') {
		cli_err("%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (o.json_path != NULL) {
		r.json_path = o.json_path;
		if (strcmp(o.json_path, "-") == 0) {
			r.json = stdout;
		} else if ((r.json = fopen(o.json_path, r.resumed ? "a" : "w")) == NULL) {
			/* a resumed scan appends: the file then holds the whole scan */
			cli_err("--json: cannot write %.200s: %s", o.json_path, strerror(errno));
			goto out;
		}
	}
	if (r.st == NULL && (r.st = store_open(o.db_path, err, sizeof(err))) == NULL) {
		cli_err("%s", err);
		goto out;
	}
	if (begin_scan(&r, &o, &si, hash, targets_count(ts), argc, argv) != 0) {
		cli_err("cannot start a scan in %s: %s", o.db_path, store_errmsg(r.st));
		goto out;
	}
	o.ecfg.concurrency = fit_concurrency(o.ecfg.concurrency);
	r.base = new_event_base();
	if (r.base == NULL) {
		cli_err("cannot create the event loop");
		goto out;
	}
	targets_iter_init(&it, ts, r.shard, r.nshards, start);
	r.eng = engine_new(r.base, &o.ecfg, ts, &it, on_result, &r, err, sizeof(err));
	if (r.eng == NULL) {
		cli_err("%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (r.resumed) {
		prc = store_each_stored_from(r.st, r.scan_id, start, skip_stored, r.eng);
		if (prc != 0) {
			cli_err("--resume: cannot load what scan %lld stored: %s", (long long)r.scan_id,
			        prc < 0 ? store_errmsg(r.st) : "out of memory");
			goto out;
		}
		if (!o.quiet) {
			char safe[128];

			text_terminal(safe, sizeof(safe), o.name != NULL ? o.name : "");
			cli_err("resuming scan %lld%s%s%s from position %llu of %llu%s",
			        (long long)r.scan_id, o.name != NULL ? " (\"" : "", safe,
			        o.name != NULL ? "\")" : "", (unsigned long long)start,
			        (unsigned long long)targets_count(ts), r.nshards > 1 ? " (its shard's)" : "");
		}
	}
	r.advanced = o.advanced;
	r.deep.eng = r.eng;
	r.deep.st = r.st;
	r.deep.scan_id = r.scan_id;
	r.deep.popt = o.popt;
	r.deep.emit = on_deep;
	r.deep.emit_arg = &r;
	r.deep.abandon = on_deep_abandoned;
	sigint = evsignal_new(r.base, SIGINT, on_signal, &r);
	sigterm = evsignal_new(r.base, SIGTERM, on_signal, &r);
	if (sigint == NULL || sigterm == NULL || evsignal_add(sigint, NULL) != 0 ||
	    evsignal_add(sigterm, NULL) != 0) {
		cli_err("cannot install signal handlers");
		goto out;
	}
	if (!o.quiet && isatty(STDERR_FILENO)) {
		struct timeval half = { 0, 500000 };
		r.progress = event_new(r.base, -1, EV_PERSIST, on_progress, &r);
		if (r.progress != NULL)
			event_add(r.progress, &half);
	}
	{
		struct timeval one = { 1, 0 };
		r.flush = event_new(r.base, -1, EV_PERSIST, on_flush, &r);
		if (r.flush == NULL || event_add(r.flush, &one) != 0) {
			cli_err("cannot create the commit timer");
			goto out;
		}
	}
	r.t0 = now_s();
	engine_start(r.eng);
	if (!engine_finished(r.eng) && !r.fatal && !r.signo)
		event_base_dispatch(r.base);
	if (r.progress_shown) {
		on_progress(-1, 0, &r);
		fputc('\n', stderr);
	}
	engine_get_stats(r.eng, &stats);
	if (r.json != NULL && fflush(r.json) != 0 && !r.fatal) {
		r.fatal = 1;
		snprintf(r.fatal_msg, sizeof(r.fatal_msg), "%s: %s", o.json_path, strerror(errno));
	}
	/* Every delivered result is stored unless a store failure stopped the run: then the last
	 * watermark handed over (after the last stored result) stands. */
	if (!r.fatal)
		store_scan_progress(r.st, r.scan_id, engine_watermark(r.eng));
	if (store_scan_totals(r.st, r.scan_id, &counted) != 0 && !r.fatal) {
		r.fatal = 1;
		snprintf(r.fatal_msg, sizeof(r.fatal_msg), "cannot count the scan in %s: %s", o.db_path,
		         store_errmsg(r.st));
	}
	r.unique_certs = counted.unique_certs;
	if (r.resumed) {
		totals = counted; /* the whole scan, every run of it */
	} else {
		totals.endpoints = stats.done;
		totals.open = stats.open;
		totals.tls = stats.tls;
		totals.unique_certs = counted.unique_certs;
	}
	if (store_scan_end(r.st, r.scan_id, &totals,
	                   r.signo || r.fatal ? "interrupted" : "done") != 0 && !r.fatal) {
		r.fatal = 1;
		snprintf(r.fatal_msg, sizeof(r.fatal_msg), "cannot finish the scan in %s: %s", o.db_path,
		         store_errmsg(r.st));
	}
	if (!o.quiet)
		print_summary(&r, &stats, o.db_path, r.scan_id);
	if (r.fatal) {
		cli_err("%s", r.fatal_msg);
		rc = EXIT_RUNTIME;
	} else if (r.signo) {
		cli_err("interrupted by signal %d: %llu results stored, scan %lld marked interrupted; "
		        "'certsweep scan --resume %lld' continues it", r.signo,
		        (unsigned long long)stats.done, (long long)r.scan_id, (long long)r.scan_id);
		rc = 128 + r.signo;
	} else if (r.fail_on >= 0 && r.worst >= r.fail_on) {
		rc = EXIT_FINDINGS;
	} else {
		rc = EXIT_OK;
	}
out:
	if (r.progress != NULL)
		event_free(r.progress);
	if (r.flush != NULL)
		event_free(r.flush);
	if (sigint != NULL)
		event_free(sigint);
	if (sigterm != NULL)
		event_free(sigterm);
	engine_free(r.eng);
	if (r.base != NULL)
		event_base_free(r.base);
	if (r.st != NULL && store_close(r.st) != 0 && rc == EXIT_OK) {
		cli_err("cannot close the database cleanly");
		rc = EXIT_RUNTIME;
	}
	if (r.json != NULL && r.json != stdout && fclose(r.json) != 0 && rc == EXIT_OK) {
		cli_err("--json: write error on %.200s", o.json_path);
		rc = EXIT_RUNTIME;
	}
	analyzer_free(r.az);
	geo_close(r.geo);
	scan_opts_free(&o);
	targets_free(ts);
	scan_info_free(&si);
	argv_free(nstored, stored);
	return rc;
}
