/*
 * cmd_sniff.c: `certsweep sniff`: passive discovery (passive/sniff.h). Every handshake seen
 * becomes an observation marked passive, analysed and stored like an active one, so findings,
 * reports, diffs and orders work for it unchanged. The same server seen in many connections
 * is stored once per run (per endpoint and leaf certificate). At the end, the endpoints no
 * active sweep has ever observed are listed: the ranges to add to the sweeps.
 *
 * Live capture: the interface is opened first, then, when running as root, privileges are
 * dropped (to --user, default nobody) before any packet is parsed; the inventory and the
 * --json file are opened before that, so they stay writable. SIGINT/SIGTERM stop the capture
 * cleanly (open connections are flushed and stored, the run is marked interrupted).
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "analyzer/analyzer.h"
#include "cli/cli.h"
#include "core/digestset.h"
#include "core/text.h"
#include "enrich/geo.h"
#include "passive/sniff.h"
#include "report/ndjson.h"
#include "store/store.h"

/* Endpoints listed at the end as seen only passively. */
#define SHOW_PASSIVE_ONLY 20

static const char *usage_text =
	"usage: certsweep sniff (-r FILE | -i IFACE) [OPTIONS]\n"
	"\n"
	"Finds TLS certificates in traffic: TLS <= 1.2 server and client certificates, SNI,\n"
	"version, cipher, JA3/JA3S, STARTTLS (SMTP, IMAP, POP3, FTP, XMPP); TLS 1.3 sessions give\n"
	"their SNI and version. Stored in the inventory as passive observations.\n"
	"\n"
	"  -r, --read FILE         a pcap or pcapng capture file ('-' for stdin)\n"
	"  -i, --interface IFACE   capture live on this interface (needs root or cap_net_raw)\n"
	"  -f, --filter EXPR       BPF filter (default: tcp)\n"
	"      --snaplen N         live: bytes kept per packet (default 262144)\n"
	"      --promisc           live: promiscuous mode\n"
	"      --user USER         live, as root: drop privileges to USER once the capture is\n"
	"                          open (default nobody)\n"
	"      --max-flows N       connections followed at once (default 65536; the least\n"
	"                          recently active is dropped first)\n"
	"      --flow-timeout T    forget a connection idle this long (default 60s)\n"
	"      --db FILE           SQLite inventory (default ./certsweep.db)\n"
	"      --name NAME         name of this run (default sniff)\n"
	"      --json FILE         one JSON record per observation (NDJSON), '-' for stdout\n"
	"      --ca-file, --ca-path, --preferred-ca, --preferred-fingerprint,\n"
	"      --preferred-ca-file, --expiring-critical, --expiring-high: as for scan\n"
	"      --geoip-db FILE, --asn-db FILE, --owner-db FILE: as for scan\n"
	"  -q, --quiet             no summary\n"
	"\n"
	"Exit: 0 ok, 2 usage, 3 runtime error, 130/143 interrupted.\n";

struct sniff_run {
	struct analyzer *az;            /* owned */
	struct store *st;               /* owned */
	struct geo_dbs *geo;            /* owned, NULL without databases */
	int64_t scan_id;
	FILE *json;                     /* NULL, stdout, or owned */
	const char *json_path;
	struct digestset *seen;         /* (endpoint, leaf) pairs already stored this run */
	struct digestset *endpoints;    /* distinct endpoints */
	uint64_t stored;
	char err[300];
};

/* The sniffer the signal handler stops; main owns it for the command's duration. */
static struct sniffer *volatile g_sniffer;
static volatile sig_atomic_t g_signo;

static void on_signal(int signo)
{
	g_signo = signo;
	if (g_sniffer != NULL)
		sniff_break(g_sniffer);
}

/* SHA-256 over the fields that make an observation new for this run: the endpoint, and with
 * with_leaf its status and leaf certificate. */
static void obs_key(const struct observation *obs, int with_leaf, unsigned char md[32])
{
	unsigned char buf[sizeof(obs->ip) + 8 + 256 + sizeof(obs->starttls) + 8 + 32];
	size_t n = 0, len;

	len = strnlen(obs->ip, sizeof(obs->ip));
	memcpy(buf + n, obs->ip, len);
	n += len;
	buf[n++] = '\0';
	buf[n++] = (unsigned char)(obs->port >> 8);
	buf[n++] = (unsigned char)obs->port;
	len = obs->sni != NULL ? strnlen(obs->sni, 255) : 0;
	memcpy(buf + n, obs->sni != NULL ? obs->sni : "", len);
	n += len;
	buf[n++] = '\0';
	len = strnlen(obs->starttls, sizeof(obs->starttls));
	memcpy(buf + n, obs->starttls, len);
	n += len;
	buf[n++] = '\0';
	if (with_leaf) {
		buf[n++] = (unsigned char)obs->status;
		if (obs->chain_len > 0) {
			SHA256(obs->chain[0].der, obs->chain[0].len, buf + n);
			n += 32;
		}
	}
	SHA256(buf, n, md);
}

static int on_observation(void *arg, const struct observation *cobs, const struct tlsp_result *r)
{
	struct sniff_run *run = arg;
	struct observation obs = *cobs; /* shallow: adds the location */
	struct analysis *an = NULL;
	unsigned char md[32];
	char err[256];
	int added;

	(void)r;
	obs_key(&obs, 1, md);
	if ((added = digestset_add(run->seen, md)) <= 0)
		return added < 0 ? -1 : 0; /* seen before in this run: nothing new */
	obs_key(&obs, 0, md);
	if ((added = digestset_add(run->endpoints, md)) < 0)
		return -1;
	/* One observation per endpoint and run: a TLS 1.3 session (no chain) or a failed one
	 * tells less than the TLS 1.2 session already stored, so it does not replace it. */
	if (added == 0 && (obs.chain_len == 0 || obs.status != EP_OK))
		return 0;
	if (run->geo != NULL) {
		if (geo_lookup(run->geo, obs.ip, &obs.geo, err, sizeof(err)) != 0) {
			snprintf(run->err, sizeof(run->err), "%s", err);
			return 3;
		}
		obs.geo_looked_up = 1;
	}
	if ((an = analyze(run->az, &obs)) == NULL)
		return -1;
	if (run->st != NULL && store_add_result(run->st, run->scan_id, &obs, an) != 0) {
		snprintf(run->err, sizeof(run->err), "cannot write to the database: %s",
		         store_errmsg(run->st));
		analysis_free(an);
		return 3;
	}
	run->stored++;
	if (run->json != NULL && ndjson_write(run->json, &obs, an) != 0) {
		snprintf(run->err, sizeof(run->err), "%.200s: %s", run->json_path, strerror(errno));
		analysis_free(an);
		return 3;
	}
	analysis_free(an);
	return 0;
}

/* As root: become user (no supplementary groups), and check root cannot come back. */
static int drop_privileges(const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		cli_err("--user: no such user \"%.60s\"", user);
		return -1;
	}
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		cli_err("cannot drop privileges to %.60s: %s", user, strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		cli_err("dropping privileges to %.60s did not stick", user);
		return -1;
	}
	return 0;
}

static int list_passive_only_cb(void *arg, const struct passive_endpoint *e)
{
	int *shown = arg;
	char ip[64], sni[300];

	if (*shown == 0)
		printf("  seen only in traffic, never by an active sweep (add them to a sweep's "
		       "ranges):\n");
	if (++*shown > SHOW_PASSIVE_ONLY)
		return 0;
	text_terminal(ip, sizeof(ip), e->ip);
	text_terminal(sni, sizeof(sni), e->sni);
	printf("    %s%s%s:%d%s%s%s\n", strchr(ip, ':') ? "[" : "", ip, strchr(ip, ':') ? "]" : "",
	       e->port, sni[0] ? " (" : "", sni, sni[0] ? ")" : "");
	return 0;
}

static void summary(const struct sniff_run *run, const struct sniffer *sn, const char *db_path)
{
	const struct sniff_stats *s = sniff_stats(sn);
	int shown = 0;

	printf("sniff: %llu packets (%llu TCP, %llu malformed), %llu connections (peak %zu at once)\n",
	       (unsigned long long)s->packets, (unsigned long long)s->tcp,
	       (unsigned long long)s->malformed, (unsigned long long)s->flows, s->peak_flows);
	printf("  TLS handshakes: %llu (%llu TLS 1.3, %llu STARTTLS), %llu certificates extracted\n",
	       (unsigned long long)s->emitted, (unsigned long long)s->tls13,
	       (unsigned long long)s->starttls, (unsigned long long)s->certificates);
	if (s->gave_up > 0 || s->parse_errors > 0 || s->kernel_drops > 0)
		printf("  incomplete: %llu streams with lost segments, %llu malformed handshakes, "
		       "%llu packets dropped by the kernel\n", (unsigned long long)s->gave_up,
		       (unsigned long long)s->parse_errors, (unsigned long long)s->kernel_drops);
	if (s->truncated > 0)
		printf("  incomplete: %llu packets cut short by the capture's snap length (capture "
		       "with tcpdump -s 0 to keep whole packets)\n", (unsigned long long)s->truncated);
	printf("  endpoints: %zu, stored in %s (run %lld)\n", digestset_count(run->endpoints),
	       db_path, (long long)run->scan_id);
	if (run->st != NULL && store_each_passive_only(run->st, run->scan_id, list_passive_only_cb,
	                                               &shown) == 0 && shown > SHOW_PASSIVE_ONLY)
		printf("    ... and %d more: certsweep report --format csv --view endpoints lists them "
		       "(passive_only = yes)\n", shown - SHOW_PASSIVE_ONLY);
}

int cmd_sniff(int argc, char **argv)
{
	enum {
		O_SNAPLEN = 1, O_PROMISC, O_USER, O_MAX_FLOWS, O_FLOW_TIMEOUT, O_DB, O_NAME, O_JSON,
	};
	static const struct option long_opts[] = {
		{ "read", required_argument, NULL, 'r' },
		{ "interface", required_argument, NULL, 'i' },
		{ "filter", required_argument, NULL, 'f' },
		{ "snaplen", required_argument, NULL, O_SNAPLEN },
		{ "promisc", no_argument, NULL, O_PROMISC },
		{ "user", required_argument, NULL, O_USER },
		{ "max-flows", required_argument, NULL, O_MAX_FLOWS },
		{ "flow-timeout", required_argument, NULL, O_FLOW_TIMEOUT },
		{ "db", required_argument, NULL, O_DB },
		{ "name", required_argument, NULL, O_NAME },
		{ "json", required_argument, NULL, O_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		CLI_POLICY_OPTIONS,
		CLI_GEO_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct sniff_opts so = { 0 };
	struct sniff_run run = { 0 };
	struct analyzer_config acfg = { .expiring_critical_days = 7, .expiring_high_days = 30 };
	struct ca_policy *policy = NULL;
	struct geo_paths gp = { 0 };
	struct sniffer *sn = NULL;
	struct sigaction sa, old_int, old_term;
	const char *db_path = "certsweep.db", *name = "sniff", *user = "nobody";
	char err[512], safe[512];
	int ch, rc = EXIT_RUNTIME, quiet = 0, r, have_signals = 0;
	long v;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "r:i:f:qh", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'r': so.file = optarg; break;
		case 'i': so.iface = optarg; break;
		case 'f': so.filter = optarg; break;
		case O_SNAPLEN:
			if (opt_int("--snaplen", optarg, 64, 262144, &v) != 0)
				return EXIT_USAGE;
			so.snaplen = (int)v;
			break;
		case O_PROMISC: so.promisc = 1; break;
		case O_USER: user = optarg; break;
		case O_MAX_FLOWS:
			if (opt_int("--max-flows", optarg, 16, 10000000, &v) != 0)
				return EXIT_USAGE;
			so.limits.max_flows = (size_t)v;
			break;
		case O_FLOW_TIMEOUT:
			if (opt_ms("--flow-timeout", optarg, 1000, 86400000, &v) != 0)
				return EXIT_USAGE;
			so.limits.idle_timeout = v / 1000;
			break;
		case O_DB: db_path = optarg; break;
		case O_NAME: name = optarg; break;
		case O_JSON: run.json_path = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		default:
			if (cli_geo_option(ch, optarg, &gp) == 0)
				continue;
			switch (cli_policy_option(ch, optarg, &policy, &acfg)) {
			case 0: continue;
			case -1: rc = EXIT_USAGE; goto out;
			default: break;
			}
			fputs("Try 'certsweep sniff --help'.\n", stderr);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (optind < argc) {
		text_terminal(safe, sizeof(safe), argv[optind]);
		cli_err("sniff: unexpected argument \"%.80s\" (a filter goes with -f)", safe);
		rc = EXIT_USAGE;
		goto out;
	}
	if ((so.file == NULL) == (so.iface == NULL)) {
		cli_err("sniff: give a capture file (-r FILE) or an interface (-i IFACE), one of them");
		rc = EXIT_USAGE;
		goto out;
	}
	acfg.policy = policy;
	if ((run.az = analyzer_new(&acfg, err, sizeof(err))) == NULL) {
		cli_err("%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if ((run.geo = geo_open(&gp, err, sizeof(err))) == NULL && err[0] != '\0') {
		cli_err("%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if ((run.seen = digestset_new()) == NULL || (run.endpoints = digestset_new()) == NULL) {
		cli_err("out of memory");
		goto out;
	}
	/* The capture first: a bad file or interface fails before anything is written. */
	if ((sn = sniff_open(&so, err, sizeof(err))) == NULL) {
		text_terminal(safe, sizeof(safe), err);
		cli_err("%s", safe);
		if (strncmp(err, "bad filter", 10) == 0)
			rc = EXIT_USAGE;
		goto out;
	}
	if (run.json_path != NULL) {
		if (strcmp(run.json_path, "-") == 0)
			run.json = stdout;
		else if ((run.json = fopen(run.json_path, "w")) == NULL) {
			cli_err("--json: cannot write %.200s: %s", run.json_path, strerror(errno));
			goto out;
		}
	}
	if ((run.st = store_open(db_path, err, sizeof(err))) == NULL) {
		cli_err("%s", err);
		goto out;
	}
	if (store_scan_begin(run.st, name, "sniff", &run.scan_id) != 0) {
		cli_err("cannot start a run in %s: %s", db_path, store_errmsg(run.st));
		goto out;
	}
	if (so.iface != NULL && drop_privileges(user) != 0)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	g_signo = 0;
	g_sniffer = sn;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	have_signals = 1;
	r = sniff_run(sn, on_observation, &run, err, sizeof(err));
	g_sniffer = NULL;
	if (store_scan_end(run.st, run.scan_id,
	                   &(struct scan_totals){ .endpoints = digestset_count(run.endpoints),
	                                          .open = digestset_count(run.endpoints),
	                                          .tls = run.stored },
	                   g_signo != 0 || r != 0 ? "interrupted" : "done") != 0) {
		cli_err("cannot finish the run in %s: %s", db_path, store_errmsg(run.st));
		goto out;
	}
	if (r != 0) {
		cli_err("%s", r > 0 ? run.err : err);
		goto out;
	}
	if (!quiet)
		summary(&run, sn, db_path);
	if (g_signo != 0) {
		cli_err("interrupted by signal %d: %llu observations stored, run %lld marked "
		        "interrupted", (int)g_signo, (unsigned long long)run.stored,
		        (long long)run.scan_id);
		rc = 128 + g_signo;
		goto out;
	}
	rc = EXIT_OK;
out:
	if (have_signals) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	g_sniffer = NULL;
	sniff_close(sn);
	if (run.st != NULL && store_close(run.st) != 0 && rc == EXIT_OK) {
		cli_err("cannot close the database cleanly");
		rc = EXIT_RUNTIME;
	}
	if (run.json != NULL && run.json != stdout && fclose(run.json) != 0 && rc == EXIT_OK) {
		cli_err("--json: write error on %.200s", run.json_path);
		rc = EXIT_RUNTIME;
	}
	digestset_free(run.seen);
	digestset_free(run.endpoints);
	geo_close(run.geo);
	analyzer_free(run.az);
	ca_policy_free(policy);
	return rc;
}
