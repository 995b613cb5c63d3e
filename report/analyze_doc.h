/*
 * analyze_doc.h: the deep-analysis report of one endpoint, as JSON and as text.
 *
 * JSON (`certsweep analyze --json`, and the NDJSON records of `scan --checks advanced`): the
 * scan record (report/ndjson.h) plus
 *   grade {letter, ignoring_trust, score, score_letter, protocol_score, kex_score, cipher_score,
 *          kex_bits, decided_by, reasons[{rule, cap, text, source}], warnings[...]},
 *   protocols, ciphers, groups, dh_bits, extensions, hsts, connections, ms (report/profile_json.h),
 * with "findings" holding the certificate and the configuration findings, worst first.
 * Text: the same facts for a person, every certificate string made terminal-safe.
 */
#ifndef CS_ANALYZE_DOC_H
#define CS_ANALYZE_DOC_H

#include <stdio.h>

#include <jansson.h>

#include "analyzer/analyzer.h"
#include "analyzer/grade.h"
#include "core/observation.h"
#include "core/profile.h"

struct deep_report {
	const struct observation *obs;
	const struct analysis *an;          /* certificate analysis */
	const struct tls_profile *profile;
	const struct grade *grade;
	const struct finding *findings;     /* certificate + configuration findings, worst first */
	size_t n_findings;
};

/* A new JSON document, NULL on allocation failure. */
json_t *analyze_doc_json(const struct deep_report *r);
/* The text report; returns 0, or -1 on a write error. */
int analyze_doc_text(FILE *out, const struct deep_report *r);

#endif
