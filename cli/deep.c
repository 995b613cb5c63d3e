/* deep.c: from an ok endpoint to a graded, stored, emitted deep analysis (see deep.h). */
#include "cli/deep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/config.h"
#include "analyzer/grade.h"
#include "report/profile_json.h"
#include "store/store.h"

struct deep_job {
	struct deep *d;              /* borrowed */
	struct observation *obs;     /* owned copy */
	struct analysis *an;         /* owned */
};

/* Findings worst first; stable for equal severities (certificate findings before configuration). */
static int merge(const struct analysis *an, const struct finding *cfg, size_t n_cfg, struct finding **out)
{
	size_t n = an->n_findings + n_cfg, k = 0;
	struct finding *all = n > 0 ? calloc(n, sizeof(*all)) : NULL;

	*out = all;
	if (n > 0 && all == NULL)
		return -1;
	for (int sev = SEV_CRITICAL; sev >= SEV_INFO; sev--) {
		for (size_t i = 0; i < an->n_findings; i++)
			if ((int)an->findings[i].severity == sev)
				all[k++] = an->findings[i];
		for (size_t i = 0; i < n_cfg; i++)
			if ((int)cfg[i].severity == sev)
				all[k++] = cfg[i];
	}
	return (int)k;
}

static void job_free(struct deep_job *j)
{
	obs_free(j->obs);
	analysis_free(j->an);
	free(j);
}

static void on_profile(void *arg, const struct probe_host_result *res)
{
	struct deep_job *j = arg;
	struct deep *d = j->d;
	struct finding *cfg = NULL, *all = NULL;
	size_t n_cfg = 0;
	int n_all;
	struct grade g;
	struct deep_report r;
	json_t *doc = NULL;
	char *text = NULL, protocols[64];

	d->pending--;
	if (res->profile == NULL) { /* the engine stopped before the analysis ended */
		if (d->abandon != NULL)
			d->abandon(d->emit_arg, j->obs, j->an);
		goto out;
	}
	if (config_analyze(res->profile, j->an, &cfg, &n_cfg) != 0 ||
	    (n_all = merge(j->an, cfg, n_cfg, &all)) < 0) {
		fprintf(stderr, "certsweep: out of memory analysing %s\n", res->ip);
		goto out;
	}
	if (grade_compute(res->profile, j->an, &g) != 0) { /* nothing to grade: no protocol answered */
		memset(&g, 0, sizeof(g));
		snprintf(g.letter, sizeof(g.letter), "-");
		snprintf(g.letter_ignoring_trust, sizeof(g.letter_ignoring_trust), "-");
		snprintf(g.score_letter, sizeof(g.score_letter), "-");
		g.decided_by = "nothing to grade";
	}
	memset(&r, 0, sizeof(r));
	r.obs = j->obs;
	r.an = j->an;
	r.profile = res->profile;
	r.grade = &g;
	r.findings = all;
	r.n_findings = (size_t)n_all;
	if (d->st != NULL) {
		struct analysis_record rec;

		doc = analyze_doc_json(&r);
		text = doc != NULL ? json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(7)) : NULL;
		profile_protocols(res->profile, protocols, sizeof(protocols));
		memset(&rec, 0, sizeof(rec));
		rec.grade = g.letter;
		rec.grade_ignoring_trust = strcmp(g.letter, g.letter_ignoring_trust) != 0 ? g.letter_ignoring_trust : "";
		rec.score = g.score;
		rec.protocols = protocols;
		rec.profile_json = text;
		rec.connections = res->profile->connections;
		rec.ms = res->profile->ms;
		rec.findings = cfg;
		rec.n_findings = n_cfg;
		if (store_add_analysis(d->st, d->scan_id, j->obs, &rec) != 0)
			d->store_failed = 1;
	}
	d->emit(d->emit_arg, &r);
out:
	free(text);
	json_decref(doc);
	free(cfg);
	free(all);
	job_free(j);
}

int deep_start(struct deep *d, const struct observation *obs, struct analysis *an, char *err, size_t errlen)
{
	struct deep_job *j = calloc(1, sizeof(*j));

	if (j == NULL || (j->obs = obs_dup(obs)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(j);
		analysis_free(an);
		return -1;
	}
	j->d = d;
	j->an = an;
	d->pending++;
	if (probe_host_start(d->eng, obs, &d->popt, on_profile, j, err, errlen) != 0) {
		d->pending--;
		job_free(j);
		return -1;
	}
	return 0;
}
