/*
 * analyze_host.c: `certsweep analyze HOST[:PORT]`, the SSL Labs-style analysis of a live server.
 *
 * The target goes through the same engine as a sweep (name lookup, STARTTLS, the handshake that
 * records the chain), so each address of the name is analysed; every ok endpoint then gets the
 * deep analysis (cli/deep.h): enumeration with the project's own ClientHellos, the OpenSSL
 * sessions for HSTS, resumption and renegotiation, configuration checks and the grade. The
 * result is printed (text, or one JSON document per endpoint with --json) and recorded in the
 * inventory like a sweep (a scan named "analyze").
 *
 * Exit: 0 every endpoint analysed and no finding at or above --fail-on (default high); 1 such a
 * finding, or an endpoint could not be analysed (refused, not TLS, ...); 2 usage; 3 runtime (database, memory);
 * 130/143 interrupted.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cli/analyze.h"
#include "cli/cli.h"
#include "cli/deep.h"
#include "core/text.h"
#include "report/analyze_doc.h"
#include "report/ndjson.h"
#include "scanner/engine.h"
#include "scanner/targets.h"
#include "store/store.h"

struct host_run {
	struct analyze_opts *o;      /* borrowed */
	struct analyzer *az;         /* owned (by analyze_host) */
	struct store *st;            /* owned, NULL with --no-db */
	int64_t scan_id;
	struct engine *eng;          /* owned */
	struct deep deep;
	int worst;                   /* highest severity emitted, -1 none */
	unsigned tried, analysed, printed;
	int signo, fatal;
	char fatal_msg[300];
};

static void fail(struct host_run *r, const char *what, const char *why)
{
	if (r->fatal)
		return;
	r->fatal = 1;
	snprintf(r->fatal_msg, sizeof(r->fatal_msg), "%s: %s", what, why);
	engine_stop(r->eng);
}

static void emit(void *arg, const struct deep_report *rep)
{
	struct host_run *r = arg;

	if (strcmp(rep->grade->letter, "-") != 0) /* "-": no protocol answered, nothing graded */
		r->analysed++;
	for (size_t i = 0; i < rep->n_findings; i++)
		if ((int)rep->findings[i].severity > r->worst)
			r->worst = (int)rep->findings[i].severity;
	if (r->o->json) {
		json_t *doc = analyze_doc_json(rep);

		if (ndjson_dump_line(stdout, doc) != 0)
			fail(r, "standard output", "write error");
		json_decref(doc);
	} else {
		if (r->printed++ > 0)
			fputs("\n", stdout);
		if (analyze_doc_text(stdout, rep) != 0)
			fail(r, "standard output", "write error");
	}
	fflush(stdout);
	if (r->deep.store_failed)
		fail(r, "cannot write to the database", store_errmsg(r->st));
}

static void on_result(void *arg, const struct observation *obs)
{
	struct host_run *r = arg;
	struct analysis *an = analyze(r->az, obs);
	char err[256];

	r->tried++;
	if (an == NULL) {
		fail(r, "analysis", "out of memory");
		return;
	}
	if (r->st != NULL && store_add_result(r->st, r->scan_id, obs, an) != 0)
		fail(r, "cannot write to the database", store_errmsg(r->st));
	/* A server no ordinary client can talk to (NULL-only, SSLv3-only, ...) still gets the
	 * deep analysis: its handshake failed, but it speaks TLS. */
	if (obs->status != EP_OK && obs->status != EP_HANDSHAKE_FAILED) {
		char safe[300];

		text_terminal(safe, sizeof(safe), obs->error);
		if (r->o->json) {
			json_t *doc = ndjson_record(obs, an);
			ndjson_dump_line(stdout, doc);
			json_decref(doc);
		}
		fprintf(stderr, "certsweep: %s%s%s:%u: %s: %s\n", strchr(obs->ip, ':') ? "[" : "",
		        obs->ip[0] ? obs->ip : r->o->target, strchr(obs->ip, ':') ? "]" : "", obs->port,
		        ep_status_name(obs->status), safe);
		analysis_free(an);
		return;
	}
	if (deep_start(&r->deep, obs, an, err, sizeof(err)) != 0)
		fail(r, "deep analysis", err);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct host_run *r = arg;

	if (r->signo == 0)
		r->signo = (int)sig;
	engine_stop(r->eng);
}

int analyze_host(struct analyze_opts *o)
{
	struct host_run r;
	struct engine_config ecfg;
	struct target_set *ts = targets_new();
	struct target_iter it;
	struct portlist ports = { NULL, 0 };
	struct event_base *base = NULL;
	struct event *sigint = NULL, *sigterm = NULL;
	struct engine_stats stats;
	struct scan_totals totals;
	char err[512];
	int rc = EXIT_RUNTIME;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.worst = -1;
	if (ts == NULL) {
		cli_err("out of memory");
		goto out;
	}
	if (targets_add(ts, o->target, 0, NULL, NULL, err, sizeof(err)) != 0 ||
	    portlist_parse(&ports, "443", err, sizeof(err)) != 0 ||
	    targets_finalize(ts, &ports, 1, err, sizeof(err)) != 0) {
		cli_err("%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	o->acfg.policy = o->policy;
	if ((r.az = analyzer_new(&o->acfg, err, sizeof(err))) == NULL) {
		cli_err("%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (!o->no_store) {
		if ((r.st = store_open(o->db_path, err, sizeof(err))) == NULL) {
			cli_err("%s", err);
			goto out;
		}
		if (store_scan_begin(r.st, "analyze", o->target, &r.scan_id) != 0) {
			cli_err("cannot start a scan in %s: %s", o->db_path, store_errmsg(r.st));
			goto out;
		}
	}
	if ((base = event_base_new()) == NULL) {
		cli_err("cannot create the event loop");
		goto out;
	}
	engine_config_defaults(&ecfg);
	ecfg.concurrency = o->popt.per_host * 4 + 4;
	ecfg.connect_timeout_ms = (int)o->connect_timeout_ms;
	ecfg.handshake_timeout_ms = (int)o->timeout_ms;
	ecfg.starttls = o->starttls;
	ecfg.sni = o->sni;
	ecfg.resolver = o->resolver;
	ecfg.hosts_file = o->hosts_file;
	targets_iter_init(&it, ts, 0, 1, 0);
	if ((r.eng = engine_new(base, &ecfg, ts, &it, on_result, &r, err, sizeof(err))) == NULL) {
		cli_err("%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	r.deep.eng = r.eng;
	r.deep.st = r.st;
	r.deep.scan_id = r.scan_id;
	r.deep.popt = o->popt;
	r.deep.emit = emit;
	r.deep.emit_arg = &r;
	sigint = evsignal_new(base, SIGINT, on_signal, &r);
	sigterm = evsignal_new(base, SIGTERM, on_signal, &r);
	if (sigint == NULL || sigterm == NULL || evsignal_add(sigint, NULL) != 0 || evsignal_add(sigterm, NULL) != 0) {
		cli_err("cannot install signal handlers");
		goto out;
	}
	engine_start(r.eng);
	if (!engine_finished(r.eng) && !r.fatal && !r.signo)
		event_base_dispatch(base);
	engine_get_stats(r.eng, &stats);
	if (r.st != NULL) {
		memset(&totals, 0, sizeof(totals));
		totals.endpoints = stats.done;
		totals.open = stats.open;
		totals.tls = stats.tls;
		if (store_scan_end(r.st, r.scan_id, &totals, r.signo || r.fatal ? "interrupted" : "done") != 0 &&
		    !r.fatal) {
			r.fatal = 1;
			snprintf(r.fatal_msg, sizeof(r.fatal_msg), "cannot finish the scan in %s: %s", o->db_path,
			         store_errmsg(r.st));
		}
	}
	if (r.fatal) {
		cli_err("%s", r.fatal_msg);
		rc = EXIT_RUNTIME;
	} else if (r.signo) {
		cli_err("interrupted by signal %d", r.signo);
		rc = 128 + r.signo;
	} else if (r.analysed < r.tried) { /* some endpoint (of a name or range) could not be analysed */
		if (r.tried == 0) {
			char safe[200];
			text_terminal(safe, sizeof(safe), o->target);
			cli_err("%s: nothing to analyse", safe);
		}
		rc = EXIT_FINDINGS;
	} else {
		rc = o->fail_on >= 0 && r.worst >= o->fail_on ? EXIT_FINDINGS : EXIT_OK;
	}
out:
	if (sigint != NULL)
		event_free(sigint);
	if (sigterm != NULL)
		event_free(sigterm);
	engine_free(r.eng);
	if (base != NULL)
		event_base_free(base);
	if (r.st != NULL && store_close(r.st) != 0 && rc == EXIT_OK)
		rc = EXIT_RUNTIME;
	analyzer_free(r.az);
	portlist_free(&ports);
	targets_free(ts);
	return rc;
}
