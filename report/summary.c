/*
 * summary.c: the numbers of a report's summary and charts (see summary.h). Pure: no I/O.
 *
 * Time windows, in seconds from now (d = not_after - now, leaf certificates with a known
 * expiry): expired d <= 0; expiring_N 0 < d <= N days (cumulative); expiry_weeks[i]
 * i weeks <= d < i+1 weeks (d > 0); expiry_later d >= 52 weeks.
 *
 * Label counts (issuers, protocols, countries) sort the borrowed label pointers with qsort,
 * count runs, then sort the runs by count (most first, ties by label): memory is one pointer
 * and one bar per counted item, freed before returning.
 */
#include "report/summary.h"

#include <stdlib.h>
#include <string.h>

#define DAY UINT64_C(86400)
#define WEEK (7 * DAY)

static const char *const grade_labels[11] = {
	"A+", "A", "A-", "B", "C", "D", "E", "F", "T", "M", "none",
};

static int cmp_label(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_bar(const void *a, const void *b)
{
	const struct summary_bar *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->label, y->label);
}

/*
 * Counts labels[0..n) (borrowed strings; the array is sorted in place) into top[0..max):
 * *n_top bars, most first, ties by label; the counts beyond max are summed in *other (may be
 * NULL: then they are dropped). Returns 0, or -1 when memory runs out.
 */
static int count_labels(const char **labels, size_t n, struct summary_bar *top, size_t max,
                        size_t *n_top, size_t *other)
{
	struct summary_bar *runs = NULL;
	size_t n_runs = 0;

	*n_top = 0;
	if (other != NULL)
		*other = 0;
	if (n == 0)
		return 0;
	runs = calloc(n, sizeof(*runs));
	if (runs == NULL)
		return -1;
	qsort(labels, n, sizeof(*labels), cmp_label);
	for (size_t i = 0; i < n; i++) {
		if (n_runs > 0 && strcmp(runs[n_runs - 1].label, labels[i]) == 0) {
			runs[n_runs - 1].n++;
			continue;
		}
		runs[n_runs].label = labels[i];
		runs[n_runs].n = 1;
		n_runs++;
	}
	qsort(runs, n_runs, sizeof(*runs), cmp_bar);
	for (size_t i = 0; i < n_runs; i++) {
		if (i < max)
			top[(*n_top)++] = runs[i];
		else if (other != NULL)
			*other += runs[i].n;
	}
	free(runs);
	return 0;
}

static const char *issuer_label(const struct inv_cert *c)
{
	if (c->issuer_org[0] != '\0')
		return c->issuer_org;
	if (c->issuer_cn[0] != '\0')
		return c->issuer_cn;
	return "(unknown)";
}

static void count_expiry(struct report_summary *s, const struct inv_cert *c)
{
	uint64_t d;

	if (!c->has_not_after)
		return;
	if (c->not_after_unix <= s->now) {
		s->expired++;
		return;
	}
	/* not_after > now: the unsigned difference is exact whatever the two values */
	d = (uint64_t)c->not_after_unix - (uint64_t)s->now;
	s->expiring_7 += d <= 7 * DAY;
	s->expiring_30 += d <= 30 * DAY;
	s->expiring_90 += d <= 90 * DAY;
	if (d / WEEK < SUMMARY_WEEKS)
		s->expiry_weeks[d / WEEK]++;
	else
		s->expiry_later++;
}

static void count_grade(struct report_summary *s, const struct inv_endpoint *e)
{
	size_t g;

	if (e->grade[0] == '\0') {
		if (strcmp(e->status, "ok") == 0)
			s->grades[10].n++;
		return;
	}
	for (g = 0; g < 10; g++)
		if (strcmp(e->grade, grade_labels[g]) == 0)
			break;
	if (g < 10)
		s->grades[g].n++;
	/* a grade outside the scale (not one the analyzer gives) is not counted */
}

int report_summarize(const struct inventory *inv, int64_t now, struct report_summary *s)
{
	const char **issuers = NULL, **protocols = NULL, **countries = NULL;
	size_t n_iss = 0, n_proto = 0, n_cc = 0;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	s->now = now;
	for (size_t g = 0; g < 11; g++)
		s->grades[g].label = grade_labels[g];
	if (inv->n_certs > 0 && (issuers = malloc(inv->n_certs * sizeof(*issuers))) == NULL)
		goto out;
	if (inv->n_endpoints > 0 &&
	    ((protocols = malloc(inv->n_endpoints * sizeof(*protocols))) == NULL ||
	     (countries = malloc(inv->n_endpoints * sizeof(*countries))) == NULL))
		goto out;

	for (size_t i = 0; i < inv->n_certs; i++) {
		const struct inv_cert *c = &inv->certs[i];

		if (!c->leaf)
			continue;
		s->unique_certs++;
		s->non_preferred += c->preferred == 0;
		s->untrusted += c->trusted == 0;
		count_expiry(s, c);
		issuers[n_iss++] = issuer_label(c);
	}
	s->endpoints = inv->n_endpoints;
	for (size_t i = 0; i < inv->n_endpoints; i++) {
		const struct inv_endpoint *e = &inv->endpoints[i];
		int tls = strcmp(e->status, "ok") == 0;

		s->tls += tls;
		s->passive_only += e->passive_only != 0;
		count_grade(s, e);
		if (tls)
			protocols[n_proto++] = e->version[0] != '\0' ? e->version : "(unknown)";
		if (e->country[0] != '\0')
			countries[n_cc++] = e->country;
	}
	if (count_labels(issuers, n_iss, s->issuers, SUMMARY_TOP, &s->n_issuers,
	                 &s->issuers_other) < 0)
		goto out;
	/* protocols has no "other": there are fewer negotiable versions than bars */
	if (count_labels(protocols, n_proto, s->protocols,
	                 sizeof(s->protocols) / sizeof(s->protocols[0]), &s->n_protocols,
	                 NULL) < 0)
		goto out;
	if (count_labels(countries, n_cc, s->countries, SUMMARY_TOP, &s->n_countries,
	                 &s->countries_other) < 0)
		goto out;
	rc = 0;
out:
	free(issuers);
	free(protocols);
	free(countries);
	return rc;
}
