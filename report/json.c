/*
 * json.c: the JSON report, schema "certsweep.report/1" (doc/report-formats.md):
 *
 *   {"schema": "certsweep.report/1", "generated_at": "...", "scope": {...},
 *    "summary": {...},
 *    "endpoints": [
 *   {...},                      one object per line, keys = the view's column names
 *   ...],
 *    "certificates": [...], "findings": [...], "orders": [...]}
 *
 * With one view chosen only that array follows "summary". The frame is written by hand and
 * each row is built with jansson and dumped on its own, so memory stays flat for 100,000
 * endpoints. Strings pass through ndjson_text (invalid UTF-8 becomes U+FFFD, so jansson never
 * refuses a value a hostile certificate put there).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report/ndjson.h"
#include "report/report.h"
#include "report/summary.h"

/* Sets key on o to the JSON form of c (views.h gives the mapping); takes no reference. */
static int put_cell(json_t *o, const char *key, const struct cell *c)
{
	char when[32];
	json_t *v = NULL;

	switch (c->kind) {
	case CELL_NULL:
		v = json_null();
		break;
	case CELL_STR:
		v = ndjson_text(c->s);
		break;
	case CELL_INT:
		v = json_integer(c->i);
		break;
	case CELL_BOOL:
		v = c->i < 0 ? json_null() : json_boolean(c->i);
		break;
	case CELL_TIME:
		report_time(when, sizeof(when), c->i);
		v = when[0] ? json_string(when) : json_null();
		break;
	case CELL_LIST: {
		const char *p = c->s;

		v = json_array();
		while (v != NULL && *p != '\0') {
			const char *sp = strchr(p, ' ');
			size_t n = sp ? (size_t)(sp - p) : strlen(p);
			char *item = strndup(p, n);

			if (item == NULL || (n > 0 && json_array_append_new(v, ndjson_text(item)) != 0)) {
				free(item);
				json_decref(v);
				return -1;
			}
			free(item);
			p += n;
			while (*p == ' ')
				p++;
		}
		break;
	}
	}
	if (v == NULL)
		return -1;
	return json_object_set_new(o, key, v);
}

static int dump(FILE *out, json_t *j)
{
	int rc = j != NULL ? json_dumpf(j, out, JSON_COMPACT | JSON_PRESERVE_ORDER) : -1;

	json_decref(j);
	return rc;
}

static int write_view(FILE *out, const struct inventory *inv, const struct view *v,
                      struct cell *c)
{
	size_t rows = v->rows(inv);

	fprintf(out, ",\n\"%s\": [", v->name);
	for (size_t r = 0; r < rows; r++) {
		json_t *o = json_object();

		if (o == NULL)
			return -1;
		for (size_t i = 0; i < v->n_cols; i++) {
			c->scratch[0] = '\0';
			v->cols[i].get(inv, r, c);
			if (put_cell(o, v->cols[i].name, c) != 0) {
				json_decref(o);
				return -1;
			}
		}
		fputs(r > 0 ? ",\n" : "\n", out);
		if (dump(out, o) != 0 || ferror(out))
			return -1;
	}
	fputs(rows > 0 ? "\n]" : "]", out);
	return ferror(out) ? -1 : 0;
}

static json_t *bars(const struct summary_bar *b, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; o != NULL && i < n; i++)
		if (b[i].n > 0 && json_object_set_new(o, b[i].label, json_integer((json_int_t)b[i].n)))
			break;
	return o;
}

static json_t *summary_json(const struct report_summary *s)
{
	json_t *weeks = json_array(), *o;
	json_t *issuers = json_array();

	for (size_t i = 0; weeks != NULL && i < SUMMARY_WEEKS; i++)
		json_array_append_new(weeks, json_integer((json_int_t)s->expiry_weeks[i]));
	for (size_t i = 0; issuers != NULL && i < s->n_issuers; i++)
		json_array_append_new(issuers, json_pack("{s:o,s:I}", "issuer",
		                                         ndjson_text(s->issuers[i].label), "certificates",
		                                         (json_int_t)s->issuers[i].n));
	o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:I,s:o,s:I,s:o}",
	              "endpoints", (json_int_t)s->endpoints, "tls_endpoints", (json_int_t)s->tls,
	              "unique_certificates", (json_int_t)s->unique_certs,
	              "expired", (json_int_t)s->expired, "expiring_7", (json_int_t)s->expiring_7,
	              "expiring_30", (json_int_t)s->expiring_30,
	              "expiring_90", (json_int_t)s->expiring_90,
	              "non_preferred", (json_int_t)s->non_preferred,
	              "untrusted", (json_int_t)s->untrusted,
	              "grades", bars(s->grades, sizeof(s->grades) / sizeof(s->grades[0])),
	              "expiry_weeks", weeks, "expiry_later", (json_int_t)s->expiry_later,
	              "issuers", issuers, "issuers_other", (json_int_t)s->issuers_other,
	              "protocols", bars(s->protocols, s->n_protocols));
	if (o != NULL)
		json_object_set_new(o, "passive_only", json_integer((json_int_t)s->passive_only));
	if (o != NULL && s->n_countries > 0)
		json_object_set_new(o, "countries", bars(s->countries, s->n_countries));
	return o;
}

static json_t *scope_json(const struct inventory *inv)
{
	json_t *scans = json_array();
	char since[32], text[256];

	for (size_t i = 0; scans != NULL && i < inv->n_scans; i++) {
		const struct inv_scan *sc = &inv->scans[i];
		char started[32], ended[32];

		report_time(started, sizeof(started), sc->started);
		report_time(ended, sizeof(ended), sc->ended);
		json_array_append_new(scans, json_pack("{s:I,s:o,s:s,s:s,s:o}", "id", (json_int_t)sc->id,
		                                       "name", sc->name[0] ? ndjson_text(sc->name) : json_null(),
		                                       "status", sc->status, "started", started,
		                                       "ended", ended[0] ? json_string(ended) : json_null()));
	}
	report_time(since, sizeof(since), inv->scope.since);
	report_scope_text(inv, text, sizeof(text));
	return json_pack("{s:o,s:o,s:o}", "text", ndjson_text(text),
	                 "since", since[0] ? json_string(since) : json_null(), "scans", scans);
}

int report_json(const struct inventory *inv, const struct view *only, FILE *out, char *err,
                size_t errlen)
{
	struct report_summary *sum = calloc(1, sizeof(*sum));
	struct cell *c = malloc(sizeof(*c));
	char when[32];
	int rc = -1;

	if (sum == NULL || c == NULL || report_summarize(inv, inv->generated_at, sum) != 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	report_time(when, sizeof(when), inv->generated_at);
	fprintf(out, "{\"schema\": \"certsweep.report/1\", \"generated_at\": \"%s\",\n\"scope\": ",
	        when);
	if (dump(out, scope_json(inv)) != 0)
		goto fail;
	fputs(",\n\"summary\": ", out);
	if (dump(out, summary_json(sum)) != 0)
		goto fail;
	for (size_t i = 0; report_views[i] != NULL; i++)
		if ((only == NULL || only == report_views[i]) &&
		    write_view(out, inv, report_views[i], c) != 0)
			goto fail;
	fputs("}\n", out);
	if (fflush(out) != 0 || ferror(out))
		goto fail;
	rc = 0;
	goto out;
fail:
	snprintf(err, errlen, "%s", ferror(out) ? "write error" : "out of memory building the JSON");
	if (ferror(out) && errno != 0)
		snprintf(err, errlen, "write error: %s", strerror(errno));
out:
	free(sum);
	free(c);
	return rc;
}
