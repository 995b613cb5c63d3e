/*
 * alerts.c: due alerts and their channels (contract in alerts.h).
 *
 * Collecting walks the store's served certificates, new issuer.non_preferred findings and
 * failed orders, keeping those not yet sent on the channel (store_alert_sent). Channels:
 *   stdout    one line per alert, made terminal-safe (text_terminal);
 *   sendmail  CMD split on spaces and run with fork/execvp (no shell), an RFC 5322 message on
 *             its stdin (From/To/Subject/Date, UTF-8 text body); exit status 0 required, and
 *             it is killed after the timeout;
 *   webhook   one JSON POST (libcurl, http/https only, no redirects, no proxy, timeout),
 *             answer 2xx required, response body discarded;
 *   ics       an RFC 5545 calendar (CRLF, TEXT escaped, folded at 75 octets without cutting a
 *             UTF-8 sequence) written atomically (orders/atomic_file.h).
 * Hostile text (certificate names, SNI) is made valid UTF-8 or terminal-safe for each medium.
 */
#include "alerts/alerts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/text.h"
#include "orders/atomic_file.h"
#include "report/ndjson.h"
#include "store/store.h"

#define SECS_PER_DAY 86400
#define MAX_CMD_WORDS 16

/* ---------------------------------------------------------------- the list */

const char *alert_kind_name(enum alert_kind k)
{
	switch (k) {
	case ALERT_EXPIRY: return "expiry";
	case ALERT_NON_PREFERRED: return "non_preferred";
	case ALERT_FAILED_RENEWAL: return "failed_renewal";
	}
	return "?";
}

static void alert_free(struct alert *a)
{
	free(a->key);
	free(a->not_after_iso);
	free(a->subject_cn);
	free(a->sha256);
	free(a->endpoints);
	free(a->detail);
}

void alert_list_free(struct alert_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		alert_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static char *dup_or_empty(const char *s)
{
	return strdup(s != NULL ? s : "");
}

int alert_list_add(struct alert_list *l, const struct alert *a)
{
	struct alert c = *a;

	if (l->n >= ALERTS_MAX)
		return -1;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct alert *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	c.key = dup_or_empty(a->key);
	c.not_after_iso = dup_or_empty(a->not_after_iso);
	c.subject_cn = dup_or_empty(a->subject_cn);
	c.sha256 = dup_or_empty(a->sha256);
	c.endpoints = dup_or_empty(a->endpoints);
	c.detail = dup_or_empty(a->detail);
	if (!c.key || !c.not_after_iso || !c.subject_cn || !c.sha256 || !c.endpoints || !c.detail) {
		alert_free(&c);
		return -1;
	}
	l->v[l->n++] = c;
	return 0;
}

/* ---------------------------------------------------------------- thresholds */

static int cmp_desc(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x < y) - (x > y);
}

int alerts_parse_thresholds(const char *s, int *out, size_t max, char *err, size_t errlen)
{
	size_t n = 0;
	const char *p = s;

	if (max > ALERTS_MAX_THRESHOLDS)
		max = ALERTS_MAX_THRESHOLDS;
	for (;;) {
		char *end;
		long v;
		int dup = 0;

		errno = 0;
		if (*p < '0' || *p > '9') {
			snprintf(err, errlen, "expected a number of days at \"%.20s\"", p);
			return -1;
		}
		v = strtol(p, &end, 10);
		if (errno != 0 || v < 1 || v > 3650) {
			snprintf(err, errlen, "%.20s: thresholds are 1 to 3650 days", p);
			return -1;
		}
		for (size_t i = 0; i < n; i++)
			dup |= out[i] == (int)v;
		if (!dup) {
			if (n == max) {
				snprintf(err, errlen, "at most %zu thresholds", max);
				return -1;
			}
			out[n++] = (int)v;
		}
		if (*end == '\0')
			break;
		if (*end != ',') {
			snprintf(err, errlen, "expected a comma at \"%.20s\"", end);
			return -1;
		}
		p = end + 1;
	}
	qsort(out, n, sizeof(*out), cmp_desc);
	return (int)n;
}

int alerts_days_left(int64_t not_after, int64_t now)
{
	int64_t d = not_after - now;
	int64_t days = d >= 0 ? d / SECS_PER_DAY : -((-d + SECS_PER_DAY - 1) / SECS_PER_DAY);

	if (days > INT_MAX)
		return INT_MAX;
	if (days < INT_MIN)
		return INT_MIN;
	return (int)days;
}

int alerts_due_threshold(int64_t not_after, int64_t now, const int *thresholds, size_t n)
{
	int days = alerts_days_left(not_after, now), due = -1;

	if (not_after <= now)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (days <= thresholds[i] && (due < 0 || thresholds[i] < due))
			due = thresholds[i];
	return due;
}

/* ---------------------------------------------------------------- collecting */

struct collect {
	struct store *st;
	const struct alert_channel *ch;
	const char *spec;
	const int *thresholds;
	size_t n_thresholds;
	int64_t now;
	struct alert_list *out;
	char *err;
	size_t errlen;
};

/* 1 when already sent, 0 when not, -1 with err. */
static int sent_before(struct collect *c, const char *kind, const char *key, int threshold)
{
	int r = store_alert_sent(c->st, kind, key, threshold, c->spec);

	if (r < 0)
		snprintf(c->err, c->errlen, "%s", store_errmsg(c->st));
	return r;
}

static int add(struct collect *c, const struct alert *a)
{
	if (alert_list_add(c->out, a) != 0) {
		snprintf(c->err, c->errlen, "out of memory or more than %d alerts", ALERTS_MAX);
		return -1;
	}
	return 0;
}

static int on_served(void *arg, const struct served_cert *sc)
{
	struct collect *c = arg;
	int due = alerts_due_threshold(sc->not_after_unix, c->now, c->thresholds, c->n_thresholds);
	struct alert a = {
		.kind = ALERT_EXPIRY,
		.key = (char *)(uintptr_t)sc->sha256,
		.threshold = due < 0 ? 0 : due,
		.days_left = alerts_days_left(sc->not_after_unix, c->now),
		.not_after = sc->not_after_unix,
		.not_after_iso = (char *)(uintptr_t)sc->not_after,
		.subject_cn = (char *)(uintptr_t)sc->subject_cn,
		.sha256 = (char *)(uintptr_t)sc->sha256,
		.endpoints = (char *)(uintptr_t)sc->endpoints,
	};
	int r;

	if (c->ch->export_all)
		return add(c, &a);
	if (due < 0)
		return 0;
	r = sent_before(c, "expiry", sc->sha256, due);
	return r != 0 ? (r > 0 ? 0 : -1) : add(c, &a);
}

static int on_new_finding(void *arg, const struct new_finding *f)
{
	struct collect *c = arg;
	char key[32];
	struct alert a = {
		.kind = ALERT_NON_PREFERRED,
		.key = key,
		.days_left = alerts_days_left(f->not_after_unix, c->now),
		.not_after = f->not_after_unix,
		.not_after_iso = (char *)(uintptr_t)f->not_after,
		.subject_cn = (char *)(uintptr_t)f->subject_cn,
		.sha256 = (char *)(uintptr_t)f->sha256,
		.endpoints = (char *)(uintptr_t)f->endpoint,
		.detail = (char *)(uintptr_t)"issued by a non-preferred CA",
	};
	int r;

	snprintf(key, sizeof(key), "%lld", (long long)f->finding_id);
	r = sent_before(c, "non_preferred", key, 0);
	return r != 0 ? (r > 0 ? 0 : -1) : add(c, &a);
}

static int on_order(void *arg, const struct order_rec *o)
{
	struct collect *c = arg;
	char key[32], detail[160];
	struct alert a = { .kind = ALERT_FAILED_RENEWAL, .key = key, .detail = detail };
	int r;

	if (strcmp(o->status, "Rejected") != 0 &&
	    (o->ca_state == NULL || strcmp(o->ca_state, "Rejected by CA") != 0))
		return 0;
	snprintf(key, sizeof(key), "%lld", (long long)o->id);
	snprintf(detail, sizeof(detail), "order %lld: %s%s%s", (long long)o->id, o->status,
	         o->ca_state ? ", " : "", o->ca_state ? o->ca_state : "");
	a.subject_cn = o->common_name;
	r = sent_before(c, "failed_renewal", key, 0);
	return r != 0 ? (r > 0 ? 0 : -1) : add(c, &a);
}

int alerts_collect(struct store *st, const struct alert_channel *ch, const char *spec,
                   const int *thresholds, size_t n_thresholds, int64_t now,
                   struct alert_list *out, char *err, size_t errlen)
{
	struct collect c = { st, ch, spec, thresholds, n_thresholds, now, out, err, errlen };
	int64_t since = 0;
	int r;

	err[0] = '\0';
	r = store_each_served_cert(st, on_served, &c);
	if (r == 0 && !ch->export_all) {
		r = store_alert_last_run(st, spec, &since) < 0 ? -1 : 0;
		if (r == 0)
			r = store_each_new_finding(st, "issuer.non_preferred", since, on_new_finding, &c);
		if (r == 0)
			r = store_each_order(st, NULL, on_order, &c);
	}
	if (r != 0 && err[0] == '\0')
		snprintf(err, errlen, "%s", store_errmsg(st));
	return r != 0 ? -1 : 0;
}

int alerts_mark_sent(struct store *st, const struct alert_channel *ch, const char *spec,
                     const struct alert_list *l, int64_t now, char *err, size_t errlen)
{
	for (size_t i = 0; !ch->export_all && i < l->n; i++) {
		const struct alert *a = &l->v[i];

		if (store_alert_mark_sent(st, alert_kind_name(a->kind), a->key, a->threshold, spec,
		                          now) != 0)
			goto fail;
	}
	if (store_alert_set_last_run(st, spec, now) != 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s", store_errmsg(st));
	return -1;
}

/* ---------------------------------------------------------------- text of an alert */

/* The alert as one line of plain (not yet sanitised) text, endpoints comma-separated. */
static void describe(const struct alert *a, char *buf, size_t len)
{
	char eps[1024];
	size_t i;

	snprintf(eps, sizeof(eps), "%s", a->endpoints);
	for (i = 0; eps[i] != '\0'; i++)
		if (eps[i] == '\n')
			eps[i] = ',';
	switch (a->kind) {
	case ALERT_EXPIRY:
		if (a->not_after != 0 && a->threshold == 0)
			snprintf(buf, len, "expiry: %s EXPIRED %d days ago (%s), sha256 %s, on %s",
			         a->subject_cn, -a->days_left, a->not_after_iso, a->sha256, eps);
		else
			snprintf(buf, len, "expiry: %s expires in %d days (%s, threshold %d), "
			         "sha256 %s, on %s", a->subject_cn, a->days_left, a->not_after_iso,
			         a->threshold, a->sha256, eps);
		break;
	case ALERT_NON_PREFERRED:
		snprintf(buf, len, "non_preferred: %s %s, sha256 %s, on %s", a->subject_cn,
		         a->detail, a->sha256, eps);
		break;
	case ALERT_FAILED_RENEWAL:
		snprintf(buf, len, "failed_renewal: %s (%s)", a->detail, a->subject_cn);
		break;
	}
}

/* ---------------------------------------------------------------- stdout */

static int send_stdout(const struct alert_ctx *ctx, const struct alert *a, size_t n, char *err,
                       size_t errlen)
{
	char line[2048], safe[4096];

	for (size_t i = 0; i < n; i++) {
		describe(&a[i], line, sizeof(line));
		text_terminal(safe, sizeof(safe), line);
		fprintf(ctx->out, "alert: %s\n", safe);
	}
	if (fflush(ctx->out) != 0 || ferror(ctx->out)) {
		snprintf(err, errlen, "standard output: write error: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- sendmail */

/* 1 when s is a usable header value (no CR/LF or other controls, not empty). */
static int header_ok(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* The RFC 5322 message into a malloc'd buffer. */
static char *mail_message(const struct alert_ctx *ctx, const struct alert *a, size_t n)
{
	char *buf = NULL, date[64], line[2048], safe[4096];
	size_t len = 0;
	struct tm tm;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	gmtime_r(&ctx->now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	fprintf(f, "From: %s\r\nTo: %s\r\nSubject: certsweep: %zu certificate alert%s\r\n"
	        "Date: %s\r\nMIME-Version: 1.0\r\n"
	        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
	        ctx->mail_from, ctx->mail_to, n, n == 1 ? "" : "s", date);
	for (size_t i = 0; i < n; i++) {
		describe(&a[i], line, sizeof(line));
		text_terminal(safe, sizeof(safe), line);
		/* a body line that is just "." ends the message for some MTAs: it cannot occur,
		 * every line starts with the alert kind. */
		fprintf(f, "%s\r\n", safe);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Splits cmd (copied into words) on spaces into argv; returns argc, 0 when none or too many. */
static int split_cmd(char *cmd, char **argv, int max)
{
	int argc = 0;

	for (char *tok = strtok(cmd, " \t"); tok != NULL; tok = strtok(NULL, " \t")) {
		if (argc == max - 1)
			return 0;
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	return argc;
}

/* Waits for pid at most timeout_ms; kills it after. Returns the wait status or -1. */
static int wait_child(pid_t pid, long timeout_ms, int *timed_out)
{
	int status;
	long waited = 0;

	*timed_out = 0;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		if (waited >= timeout_ms) {
			*timed_out = 1;
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return -1;
		}
		usleep(10000);
		waited += 10;
	}
}

static int send_sendmail(const struct alert_ctx *ctx, const struct alert *a, size_t n,
                         char *err, size_t errlen)
{
	char *cmd = NULL, *msg = NULL, *argv[MAX_CMD_WORDS + 1];
	int fds[2] = { -1, -1 }, status, timed_out, ret = -1;
	pid_t pid = -1;
	size_t len, off = 0;

	if (!header_ok(ctx->mail_to) || !header_ok(ctx->mail_from)) {
		snprintf(err, errlen, "sendmail: --mail-from and --mail-to are required "
		         "(one line each)");
		return -1;
	}
	cmd = strdup(ctx->arg);
	msg = mail_message(ctx, a, n);
	if (cmd == NULL || msg == NULL) {
		snprintf(err, errlen, "sendmail: out of memory");
		goto out;
	}
	if (split_cmd(cmd, argv, MAX_CMD_WORDS + 1) == 0) {
		snprintf(err, errlen, "sendmail: empty command or more than %d words", MAX_CMD_WORDS);
		goto out;
	}
	if (pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "sendmail: pipe: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "sendmail: fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		if (dup2(fds[0], STDIN_FILENO) < 0)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[0]);
	fds[0] = -1;
	len = strlen(msg);
	while (off < len) {
		ssize_t w = write(fds[1], msg + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* the command exited without reading it all: its status says why */
		off += (size_t)w;
	}
	close(fds[1]);
	fds[1] = -1;
	status = wait_child(pid, ctx->timeout_ms, &timed_out);
	if (timed_out)
		snprintf(err, errlen, "sendmail: %.200s did not finish within %ld ms", argv[0],
		         ctx->timeout_ms);
	else if (status < 0)
		snprintf(err, errlen, "sendmail: waiting for %.200s: %s", argv[0], strerror(errno));
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(err, errlen, "sendmail: cannot run %.200s", argv[0]);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		snprintf(err, errlen, "sendmail: %.200s failed (%s %d)", argv[0],
		         WIFEXITED(status) ? "exit status" : "signal",
		         WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	else if (off < len)
		snprintf(err, errlen, "sendmail: %.200s did not read the whole message", argv[0]);
	else
		ret = 0;
out:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	free(cmd);
	free(msg);
	return ret;
}

/* ---------------------------------------------------------------- JSON and webhook */

static json_t *json_alert(const struct alert *a)
{
	json_t *o = json_object(), *eps = json_array();
	const char *p = a->endpoints;

	if (o == NULL || eps == NULL)
		goto fail;
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		char *one = strndup(p, l);
		int r = one ? json_array_append_new(eps, ndjson_text(one)) : -1;

		free(one);
		if (r != 0)
			goto fail;
		p += l + (nl != NULL);
	}
	if (json_object_set_new(o, "kind", json_string(alert_kind_name(a->kind))) ||
	    json_object_set_new(o, "days_left", a->not_after ? json_integer(a->days_left) : json_null()) ||
	    json_object_set_new(o, "not_after", ndjson_text(a->not_after_iso)) ||
	    json_object_set_new(o, "subject_cn", ndjson_text(a->subject_cn)) ||
	    json_object_set_new(o, "sha256", ndjson_text(a->sha256)) ||
	    json_object_set(o, "endpoints", eps) ||
	    json_object_set_new(o, "threshold", json_integer(a->threshold)) ||
	    json_object_set_new(o, "detail", ndjson_text(a->detail)))
		goto fail;
	json_decref(eps);
	return o;
fail:
	json_decref(eps);
	json_decref(o);
	return NULL;
}

char *alerts_json(const struct alert *a, size_t n)
{
	json_t *doc = json_object(), *arr = json_array();
	char *s = NULL;

	if (doc == NULL || arr == NULL || json_object_set(doc, "alerts", arr) != 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(arr, json_alert(&a[i])) != 0)
			goto out;
	s = json_dumps(doc, JSON_COMPACT);
out:
	json_decref(arr);
	json_decref(doc);
	return s;
}

static size_t discard_body(char *p, size_t size, size_t nmemb, void *arg)
{
	(void)p;
	(void)arg;
	return size * nmemb;
}

static int send_webhook(const struct alert_ctx *ctx, const struct alert *a, size_t n,
                        char *err, size_t errlen)
{
	char *body = alerts_json(a, n), cerr[CURL_ERROR_SIZE] = "";
	CURL *c = NULL;
	struct curl_slist *hdrs = NULL;
	long code = 0;
	CURLcode rc;
	int ret = -1;

	if (body == NULL || (c = curl_easy_init()) == NULL ||
	    (hdrs = curl_slist_append(NULL, "Content-Type: application/json")) == NULL) {
		snprintf(err, errlen, "webhook: out of memory");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, ctx->arg);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ctx->timeout_ms);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "certsweep-alerts");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_body);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "webhook: %s", cerr[0] ? cerr : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299) {
		snprintf(err, errlen, "webhook: the receiver answered HTTP %ld (2xx required)", code);
		goto out;
	}
	ret = 0;
out:
	curl_slist_free_all(hdrs);
	if (c != NULL)
		curl_easy_cleanup(c);
	free(body);
	return ret;
}

/* ---------------------------------------------------------------- ics */

/* Writes one content line folded at 75 octets (continuation lines start with a space, which
 * counts), never inside a UTF-8 sequence, then CRLF. line is valid UTF-8. */
static void ics_line(FILE *f, const char *line)
{
	const unsigned char *p = (const unsigned char *)line;
	size_t col = 0, left = strlen(line);

	while (left > 0) {
		size_t seq = text_utf8_seq(p, left);

		if (seq == 0)
			seq = 1;
		if (col + seq > 75) {
			fputs("\r\n ", f);
			col = 1;
		}
		fwrite(p, 1, seq, f);
		col += seq;
		p += seq;
		left -= seq;
	}
	fputs("\r\n", f);
}

/* Appends s to buf as RFC 5545 TEXT: backslash, semicolon, comma escaped, newline as \n,
 * other controls dropped. Truncated to fit. */
static void ics_text(char *buf, size_t len, const char *s)
{
	size_t o = strlen(buf);

	for (; *s != '\0' && o + 3 < len; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '\\' || ch == ';' || ch == ',') {
			buf[o++] = '\\';
			buf[o++] = (char)ch;
		} else if (ch == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else if (ch >= 0x20 && ch != 0x7f) {
			buf[o++] = (char)ch;
		}
	}
	buf[o] = '\0';
}

static void ics_prop(FILE *f, const char *name, const char *value)
{
	char line[4096];
	char *u = text_utf8_dup(value);

	snprintf(line, sizeof(line), "%s:", name);
	ics_text(line, sizeof(line), u ? u : "");
	free(u);
	ics_line(f, line);
}

int alerts_ics_render(const struct alert *a, size_t n, time_t now, char **out, size_t *len)
{
	char stamp[32], day[16], uid[160], desc[2048];
	struct tm tm;
	FILE *f;

	*out = NULL;
	*len = 0;
	if ((f = open_memstream(out, len)) == NULL)
		return -1;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	ics_line(f, "BEGIN:VCALENDAR");
	ics_line(f, "VERSION:2.0");
	ics_line(f, "PRODID:-//certsweep//alerts//EN");
	ics_line(f, "CALSCALE:GREGORIAN");
	for (size_t i = 0; i < n; i++) {
		time_t na = (time_t)a[i].not_after;
		char summary[1024];

		if (a[i].not_after == 0)
			continue;
		gmtime_r(&na, &tm);
		strftime(day, sizeof(day), "%Y%m%d", &tm);
		snprintf(uid, sizeof(uid), "%.64s-expiry@certsweep", a[i].sha256);
		snprintf(summary, sizeof(summary), "Certificate expires: %s", a[i].subject_cn);
		snprintf(desc, sizeof(desc), "SHA-256 %s\nnot after %s\nendpoints:\n%s", a[i].sha256,
		         a[i].not_after_iso, a[i].endpoints);
		ics_line(f, "BEGIN:VEVENT");
		ics_prop(f, "UID", uid);
		fprintf(f, "DTSTAMP:%s\r\n", stamp);
		fprintf(f, "DTSTART;VALUE=DATE:%s\r\n", day);
		ics_prop(f, "SUMMARY", summary);
		ics_prop(f, "DESCRIPTION", desc);
		ics_line(f, "END:VEVENT");
	}
	ics_line(f, "END:VCALENDAR");
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

static int send_ics(const struct alert_ctx *ctx, const struct alert *a, size_t n, char *err,
                    size_t errlen)
{
	char *buf = NULL, why[512];
	size_t len = 0;
	int ret = -1;

	if (alerts_ics_render(a, n, ctx->now, &buf, &len) != 0) {
		snprintf(err, errlen, "ics: out of memory");
		return -1;
	}
	if (atomic_write_file(ctx->arg, buf, len, 0644, ATOMIC_REPLACE, why, sizeof(why)) != 0)
		snprintf(err, errlen, "ics: %s", why);
	else
		ret = 0;
	free(buf);
	return ret;
}

/* ---------------------------------------------------------------- registry */

const struct alert_channel alerts_channels[] = {
	{ "stdout", 0, 0, send_stdout },
	{ "sendmail", 1, 0, send_sendmail },
	{ "webhook", 1, 0, send_webhook },
	{ "ics", 1, 1, send_ics },
};
const size_t alerts_n_channels = sizeof(alerts_channels) / sizeof(alerts_channels[0]);

const struct alert_channel *alerts_find_channel(const char *spec, const char **arg, char *err,
                                                size_t errlen)
{
	const char *colon = strchr(spec, ':');
	size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);

	for (size_t i = 0; i < alerts_n_channels; i++) {
		const struct alert_channel *ch = &alerts_channels[i];

		if (strlen(ch->name) != nlen || strncmp(ch->name, spec, nlen) != 0)
			continue;
		*arg = colon ? colon + 1 : "";
		if (ch->needs_arg && **arg == '\0') {
			snprintf(err, errlen, "channel %s needs an argument (%s:...)", ch->name, ch->name);
			return NULL;
		}
		return ch;
	}
	snprintf(err, errlen, "unknown channel \"%.*s\" (stdout, sendmail:CMD, webhook:URL, "
	         "ics:FILE)", (int)(nlen > 40 ? 40 : nlen), spec);
	return NULL;
}
