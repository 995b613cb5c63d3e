/* scope.c: report_scope_text (report.h): what a snapshot covers, in one line. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report/report.h"

/* "2026-11-25 02:00 UTC" */
static void human_time(char *buf, size_t len, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	buf[0] = '\0';
	if (gmtime_r(&tt, &tm) != NULL)
		strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm);
}

void report_scope_text(const struct inventory *inv, char *buf, size_t len)
{
	char when[40];

	if (len == 0)
		return;
	buf[0] = '\0';
	if (inv->n_scans == 0) {
		snprintf(buf, len, "no scan");
		return;
	}
	if (inv->scope.since > 0) {
		human_time(when, sizeof(when), inv->scope.since);
		snprintf(buf, len, "%zu %s%.80s%ssweep%s since %s (scans %lld-%lld)", inv->n_scans,
		         inv->scope.sweep ? "\"" : "", inv->scope.sweep ? inv->scope.sweep : "",
		         inv->scope.sweep ? "\" " : "", inv->n_scans == 1 ? "" : "s", when,
		         (long long)inv->scans[0].id, (long long)inv->scans[inv->n_scans - 1].id);
		return;
	}
	human_time(when, sizeof(when), inv->scans[0].started);
	if (inv->scans[0].name[0] != '\0')
		snprintf(buf, len, "sweep \"%.80s\", scan %lld of %s%s", inv->scans[0].name,
		         (long long)inv->scans[0].id, when,
		         strcmp(inv->scans[0].status, "interrupted") == 0 ? " (interrupted)" : "");
	else
		snprintf(buf, len, "scan %lld of %s%s", (long long)inv->scans[0].id, when,
		         strcmp(inv->scans[0].status, "interrupted") == 0 ? " (interrupted)" : "");
}
