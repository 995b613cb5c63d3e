/*
 * report.h: report writers, reading from the store. One writer per format; this header grows
 * as formats are added (text, json, html).
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

#include "store/store.h"

/* "One row per endpoint x leaf certificate" of a scan (0: the latest finished or interrupted
 * scan), with a header row:
 *   host,ip,port,subject_cn,sans,issuer,not_after,days_left,preferred,findings,sni,starttls,sha256
 * preferred is yes/no; days_left is empty when the expiry is unknown. Returns 0, or -1 with a
 * message in err (store error, no scan, write error on out). */
int report_csv_leaf(struct store *st, int64_t scan_id, FILE *out, char *err, size_t errlen);

/* The same rows as a fixed-width table for a terminal (report/text.c); values are made
 * terminal-safe and cut to their column. */
int report_text_leaf(struct store *st, int64_t scan_id, FILE *out, char *err, size_t errlen);

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
