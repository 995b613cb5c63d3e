/*
 * views.h: the report's four tables (endpoints, certificates, findings, orders) as one
 * registry of views, each a const list of columns. The CSV writer (report/csv.c) and the JSON
 * writer (report/json.c) both print from this table, so a column exists in both formats with
 * the same name and meaning; doc/report-formats.md documents every column. Columns are only
 * ever added at the end of a view, never renamed or removed.
 *
 * A column reads one cell of row `row` of a snapshot (store/inventory.h) into struct cell:
 *   CELL_STR   text ("" when absent)                    CSV text cell, JSON string
 *   CELL_INT   integer                                  CSV number, JSON number
 *   CELL_BOOL  i = 1 yes, 0 no, -1 unknown              CSV yes/no/"", JSON true/false/null
 *   CELL_TIME  unix seconds in i, 0 when absent         CSV/JSON ISO 8601 UTC, ""/null
 *   CELL_LIST  space-separated text                     CSV as is, JSON array of strings
 *   CELL_NULL  no value                                 CSV "", JSON null
 * Strings are borrowed from the snapshot or from the cell's scratch buffer (bounded: a list
 * longer than CELL_SCRATCH is cut at a whole item).
 */
#ifndef CS_REPORT_VIEWS_H
#define CS_REPORT_VIEWS_H

#include <stddef.h>

#include "store/inventory.h"

#define CELL_SCRATCH 8192

enum cell_kind { CELL_NULL, CELL_STR, CELL_INT, CELL_BOOL, CELL_TIME, CELL_LIST };

struct cell {
	enum cell_kind kind;
	const char *s;
	long long i;
	char scratch[CELL_SCRATCH];
};

struct view_col {
	const char *name;
	void (*get)(const struct inventory *inv, size_t row, struct cell *c);
};

struct view {
	const char *name;          /* "endpoints", "certificates", "findings", "orders" */
	size_t (*rows)(const struct inventory *inv);
	const struct view_col *cols;
	size_t n_cols;
};

/* NULL-terminated, in report order. */
extern const struct view *const report_views[];
/* The view of that name, or NULL. */
const struct view *report_view(const char *name);

/* ISO 8601 UTC ("2026-11-26T00:00:00Z") of t into buf (>= 21 bytes); "" when t is 0. */
void report_time(char *buf, size_t len, long long t);

#endif
