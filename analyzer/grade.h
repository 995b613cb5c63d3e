/*
 * grade.h: an SSL Labs-style grade (A+ .. F, T, M) for one endpoint, computed from its TLS
 * profile and, when available, its certificate analysis. Pure: no I/O, no allocation.
 *
 *   struct grade g;
 *   if (grade_compute(profile, an, &g) == 0)
 *       printf("%s (%d/100), set by %s\n", g.letter, g.score, g.decided_by);
 *
 * The method is the SSL Labs SSL Server Rating Guide (three weighted scores and letter
 * thresholds) plus the caps SSL Labs added in its dated grading changes; every rule, its cap and
 * its source are listed in the table at the top of grade.c and in doc/grading.md. The grade
 * explains itself: reasons[] holds every rule that applied with this server's facts, decided_by
 * names the one that set the letter, warnings[] the issues that lower an A to A-.
 */
#ifndef CS_ANALYZER_GRADE_H
#define CS_ANALYZER_GRADE_H

#include <stddef.h>

#include "analyzer/analyzer.h"
#include "core/profile.h"

#define GRADE_MAX_REASONS 32
#define GRADE_MAX_WARNINGS 8
#define GRADE_TEXT 200

/* One rule of the table in grade.c (all strings static). */
struct grade_rule_desc {
	const char *id;       /* stable rule id, e.g. "proto.tls10_11" */
	const char *cap;      /* what it does: "F", "C", "B" (grade at most that), "A" (no A+),
	                         "A-" (a warning), "T" or "M" (replace the letter) */
	const char *title;    /* one line */
	const char *source;   /* where the rule comes from (guide section, dated SSL Labs post,
	                         or "project rule" with its reason) */
};

/* The i-th rule of the table, NULL past the end. */
const struct grade_rule_desc *grade_rule(size_t i);

/* A rule that applied, with this server's facts. rule points into the table. */
struct grade_reason {
	const struct grade_rule_desc *rule;
	char text[GRADE_TEXT];
};

struct grade {
	char letter[3];                /* "A+", "A", "A-", "B", "C", "D", "E", "F", "T", "M" */
	char letter_ignoring_trust[3]; /* the A+..F letter without the T and M rules (SSL Labs shows
	                                  it next to T/M); equal to letter when neither applies */
	char score_letter[2];          /* the letter of the numeric score alone, "A".."F" */
	int protocol_score;            /* 0..100: (best + worst protocol) / 2 */
	int kex_score;                 /* 0..100: the weakest key exchange */
	int cipher_score;              /* 0..100: (strongest + weakest cipher) / 2 */
	int score;                     /* 0.3 protocol + 0.3 kex + 0.4 cipher, rounded; 0 when any
	                                  category is 0 */
	int kex_bits;                  /* weakest key exchange strength, RSA-equivalent bits; 0 for an
	                                  anonymous suite; 2048 when assumed */
	int kex_assumed;               /* 1: no strength was measurable (no certificate facts and no
	                                  (EC)DHE parameters): 2048 bits were assumed */
	int cipher_best_bits, cipher_worst_bits;  /* as scored (3DES counts 168, see grade.c) */
	const char *decided_by;        /* static: the rule id that set the letter, or "score",
	                                  "warnings" (A-), "aplus" (A+ awarded) */
	struct grade_reason reasons[GRADE_MAX_REASONS];   /* every cap/T/M rule that applied, in
	                                                     table order */
	size_t n_reasons;
	struct grade_reason warnings[GRADE_MAX_WARNINGS]; /* rules with cap "A-" that applied */
	size_t n_warnings;
};

/*
 * Grades the profile p. an (may be NULL) supplies the certificate facts: the leaf's key for the
 * key-exchange score, the key and signature rules, chain.incomplete, and the T (not trusted) and
 * M (name mismatch) letters; with NULL the grade is configuration-only (no T/M, key exchange from
 * the (EC)DHE parameters). Fills *g and returns 0, or returns -1 when there is nothing to grade
 * (no protocol known to be supported, or no accepted cipher suite known); then g->letter is "".
 */
int grade_compute(const struct tls_profile *p, const struct analysis *an, struct grade *g);

/* The reason of rule `id` in g, or NULL when that rule did not apply. */
const struct grade_reason *grade_find_reason(const struct grade *g, const char *id);

#endif
