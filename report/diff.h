/*
 * diff.h: what changed between two snapshots of the inventory (store/inventory.h), A the older
 * and B the newer (report/diff.c computes, prints as text or JSON; report/html.c shows it as a
 * section of the dashboard; `certsweep diff` in cli/cmd_diff.c drives it).
 *
 * An endpoint is "up" in a snapshot when its observation there has status ok (TLS answered).
 *   new:       up in B, not up in A (absent from A, or another status there)
 *   vanished:  up in A, not up in B (absent from B, or another status: B's status is shown)
 *   changed:   up in both with a different leaf certificate; "renewed" when the new leaf has
 *              the same issuer (issuer name as stored) as the old one, else "replaced"
 * Findings are matched by their id (one row per endpoint x check id x certificate):
 *   new:       emitted in B, not in A
 *   resolved:  emitted in A, not in B, for an endpoint that is up in B (an endpoint that is
 *              down or absent in B tells nothing about its findings)
 * Every list is in the order of its snapshot's array (endpoints by address, findings by
 * severity).
 */
#ifndef CS_REPORT_DIFF_H
#define CS_REPORT_DIFF_H

#include <stddef.h>
#include <stdio.h>

#include "store/inventory.h"

struct diff_change {
	size_t ep_a, ep_b;           /* the endpoint in A and in B */
	size_t cert_a, cert_b;       /* its old and new leaf */
	int renewed;                 /* 1 renewed (same issuer), 0 replaced */
};

struct diff_result {
	const struct inventory *a, *b;      /* borrowed, must outlive the result */
	size_t *new_eps; size_t n_new_eps;  /* indices into b->endpoints */
	size_t *vanished_eps; size_t n_vanished_eps; /* indices into a->endpoints */
	size_t *vanished_now;               /* per vanished endpoint: its index in b, INV_NONE */
	struct diff_change *changed; size_t n_changed;
	size_t *new_findings; size_t n_new_findings;       /* indices into b->findings */
	size_t *resolved_findings; size_t n_resolved_findings; /* indices into a->findings */
};

/* Computes the differences into *d (zeroed first). Returns 0, or -1 when memory runs out
 * (*d is then empty). */
int diff_compute(const struct inventory *a, const struct inventory *b, struct diff_result *d);
/* Frees the lists (not the snapshots). NULL is a no-op. */
void diff_free(struct diff_result *d);
/* 1 when nothing changed. */
int diff_empty(const struct diff_result *d);

/* Text for a terminal: a heading per non-empty list, one line per item, values made
 * terminal-safe. Returns 0, or -1 on a write error. */
int diff_write_text(const struct diff_result *d, FILE *out);
/* JSON (schema "certsweep.diff/1", documented in doc/report-formats.md). Returns 0 or -1. */
int diff_write_json(const struct diff_result *d, FILE *out);

#endif
