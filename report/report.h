/*
 * report.h: report writers. Each prints a snapshot of the inventory (store/inventory.h) that
 * the caller loaded: csv (csv.c), json (json.c), text (text.c); html has its own header
 * (html.h). The column sets are the views of views.h.
 *
 * CSV (report/csv.c) follows RFC 4180: fields separated by ',', records ended by CRLF, a field
 * is quoted when it contains ',', '"', CR, LF or any other control character, and a '"' inside
 * is doubled. Output is UTF-8: invalid UTF-8 in a value is replaced by U+FFFD.
 * Formula injection: a text cell starting with '=', '+', '-', '@', TAB or CR gets a leading
 * single quote ("'=1+2"), so spreadsheets show it as text. Numbers the writer produces itself
 * (csv_int) are not text cells and are written as they are (a negative days_left stays -5).
 */
#ifndef CS_REPORT_H
#define CS_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report/views.h"
#include "store/inventory.h"

/* The CSV form of one view (views.h): a header row of the column names, then one row per
 * item of the snapshot. Returns 0, or -1 with a message in err (write error, no memory). */
int report_csv_view(const struct inventory *inv, const struct view *v, FILE *out, char *err,
                    size_t errlen);

/* The JSON report (schema "certsweep.report/1", doc/report-formats.md): scope, summary and
 * the views, each an array of objects keyed by the view's column names; only one view when
 * `only` is not NULL. One object per line, so it streams. Returns 0 or -1 with err. */
int report_json(const struct inventory *inv, const struct view *only, FILE *out, char *err,
                size_t errlen);

/* The terminal report (report/text.c): one line per TLS endpoint with its leaf certificate,
 * fixed-width columns, every value made terminal-safe and cut to its column. */
int report_text(const struct inventory *inv, FILE *out, char *err, size_t errlen);

/* A one-line description of what the snapshot covers, e.g. 'sweep "nightly" (scan 12,
 * 2026-11-25 02:00 UTC)' or 'scan 3' or '4 sweeps since 2026-11-01'; not escaped. */
void report_scope_text(const struct inventory *inv, char *buf, size_t len);

/* Writes one text cell (no separator, no line end): quoted/neutralised as above. NULL is "". */
void csv_cell(FILE *out, const char *s);
/* The same into buf, snprintf-style: writes at most size bytes including the NUL, returns the
 * length the full cell needs (excluding the NUL). */
size_t csv_cell_buf(char *buf, size_t size, const char *s);
/* Writes an integer cell. */
void csv_int(FILE *out, long long v);
/* Field separator and record end. */
void csv_sep(FILE *out);
void csv_eol(FILE *out);

#endif
