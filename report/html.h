/*
 * html.h: the self-contained HTML dashboard (report/html.c, report/assets/report.{js,css}).
 *
 * One file, no network fetches: inline CSS, inline JS, inline SVG. A Content-Security-Policy
 * meta element allows nothing but the page's own inline script (by its SHA-256) and inline
 * styles: default-src 'none'; script-src 'sha256-...'; style-src 'unsafe-inline';
 * img-src data:. Every value from a certificate or a server is attacker-controlled: the C side
 * HTML-escapes every string it prints, the data block is JSON with '<', '>', '&', U+2028 and
 * U+2029 written as \uXXXX, and the script builds the tables with textContent only (never
 * innerHTML, never an attribute built from data except class names it chooses itself).
 *
 * Layout (C side, static HTML that works without the script): header (title, scope, generation
 * time), section#summary (one div.tile[data-key] per number), section#charts (inline SVG:
 * expiry by week for the coming year, issuers, grades, protocols, countries when present),
 * section#diff when a diff is given, then one empty div.view per table that the script fills:
 *   div#view-endpoints, div#view-certs, div#view-findings, div#view-orders
 * and a <noscript> note. Then the data block and the script:
 *   <script id="cs-data" type="application/json">{...}</script>
 *   <script>...report.js...</script>
 *
 * The data block (schema "certsweep.html/1"). Tables are column lists plus row arrays (a
 * 100,000-endpoint report stays a few megabytes per 10,000 rows); cross references are row
 * indices into the other tables, -1 for none; integers where noted, else strings ("" none):
 * {
 *  "v": 1, "generated": "2026-11-26T00:00:00Z", "now": <unix seconds>, "scope": "<text>",
 *  "ep_cols": ["host","ip","port","sni","starttls","status","error","version","cipher","group",
 *              "grade","score","country","asn","org","verified","hostname_ok","preferred",
 *              "cert","findings","order","observed"],
 *  "eps": [[...], ...],        port, score int; verified/hostname_ok/preferred 1, 0 or -1;
 *                              cert: certs index of the leaf or -1; findings: [findings indices];
 *                              order: orders index or -1; observed: ISO 8601 UTC
 *  "cert_cols": ["sha256","cn","subject","issuer","issuer_cn","issuer_org","sans","not_before",
 *                "not_after","days","key","sig","preferred","trusted","leaf","self_signed",
 *                "chain","eps","findings","order"],
 *  "certs": [[...], ...],      days: int days left (negative: expired) or null when unknown;
 *                              key: "RSA 2048" / "EC P-256"; preferred/trusted 1, 0, -1;
 *                              leaf/self_signed 1 or 0; chain: [certs indices above it, in
 *                              order]; eps: [eps indices serving it]; findings: [indices];
 *                              order: orders index or -1
 *  "f_cols": ["check","severity","kind","status","message","ep","cert","first_seen","last_seen"],
 *  "findings": [[...], ...],   ep: eps index; cert: certs index or -1; times ISO 8601 UTC
 *  "fixes": {"<check id>": "<how to fix it>", ...}   one entry per check id present
 *  "o_cols": ["id","status","ca_state","cn","sans","reason","created","updated","cert","eps",
 *             "endpoints"],
 *  "orders": [[...], ...]      id int; cert: certs index or -1; eps: [eps indices];
 *                              endpoints: text of all its endpoints; times ISO 8601 UTC
 * }
 *
 * Script contract (tests/browser drives it): after rendering it sets window.csReady = true.
 * Each view has a filter input#filter-NAME, a table#table-NAME whose th[data-col] headers sort
 * on click (asc, then desc; aria-sort set), tbody rows for the current page only (100 a page),
 * buttons .prev/.next and span#page-NAME ("1-100 of 2345"). NAME is endpoints, certs,
 * findings, orders. Rows of non-preferred certificates (and endpoints serving one) have class
 * "nonpref" (shown red). Clicking a certificate row, or the certificate cell of an endpoint
 * row, fills aside#detail with the certificate: subject, issuer, validity, key, signature,
 * SANs, chain, every endpoint serving it, its findings with their fixes, its order status.
 */
#ifndef CS_REPORT_HTML_H
#define CS_REPORT_HTML_H

#include <stdio.h>

#include "store/inventory.h"

struct diff_result;

/* Writes the dashboard for inv to out. diff (may be NULL) adds section#diff. Returns 0, or -1
 * with a message in err (write error, no memory). */
int report_html(const struct inventory *inv, const struct diff_result *diff, FILE *out,
                char *err, size_t errlen);

/* Escaping (report/html_escape.c), for any hostile text; s NULL is "".
 * html_text: s as HTML text, safe in element content and in a quoted attribute value (also in
 * inline SVG): & < > " ' become entities; each byte of invalid UTF-8, each C0 control other than
 * tab and newline, DEL and each C1 control becomes U+FFFD. */
void html_text(FILE *out, const char *s);
/* html_text of at most max_chars characters of s, then an ellipsis (U+2026) when s is longer. */
void html_text_cut(FILE *out, const char *s, size_t max_chars);
/* Writes json (a JSON text, e.g. from json_dumps) for a <script type="application/json">
 * element: '<', '>', '&', U+2028 and U+2029 become \u003c \u003e \u0026 \u2028 \u2029 (they
 * only occur inside JSON strings, where the escapes mean the same), so the text can neither end
 * the element nor open a comment. */
void json_script_safe(FILE *out, const char *json);

#endif
