/*
 * ndjson.h: one JSON object per endpoint, written as results arrive (--json FILE|-).
 * Schema (stable; fields are only ever added):
 *   ip, port, host, sni, starttls, status, error, attempts, observed_at (ISO 8601 UTC),
 *   tls {version, cipher, group, alpn, ocsp_stapled},
 *   timing_ms {connect, starttls, handshake, total}   (null when the phase did not happen),
 *   validation {trusted, error, hostname_checked, hostname_ok, preferred, days_left},
 *   chain [ {position, sha256, sha1, subject, issuer, serial, not_before, not_after, key_type,
 *            key_bits, sig_alg, sans[]} ],
 *   findings [ {id, severity, message, fix, cert_position} ],
 *   source ("active" or "passive"); passive records add ja3, ja3s (MD5 hex) and client_chain
 *   [sha256 of each client certificate]; with --geoip-db/--asn-db/--owner-db,
 *   geo {country, city, asn, as_org, owner, business_unit, site} (null when unknown)
 * Certificate text is emitted as valid UTF-8 (invalid bytes become U+FFFD).
 */
#ifndef CS_NDJSON_H
#define CS_NDJSON_H

#include <stdio.h>

#include <jansson.h>

#include "analyzer/analyzer.h"
#include "core/observation.h"

/* Writes one line; an = NULL writes no validation/chain details. Returns 0, or -1 on a write
 * error (errno set) or allocation failure. */
int ndjson_write(FILE *out, const struct observation *obs, const struct analysis *an);
/* The record as a new JSON object (NULL on allocation failure), for writers that add to it. */
json_t *ndjson_record(const struct observation *obs, const struct analysis *an);
/* Writes doc compactly on one line; 0, or -1 on a write error or doc == NULL. */
int ndjson_dump_line(FILE *out, json_t *doc);
/* The pieces, shared with other JSON writers (`certsweep analyze --json`); each returns a new
 * reference, or NULL on allocation failure. */
/* A JSON string from hostile text: invalid UTF-8 becomes U+FFFD; NULL gives "". */
json_t *ndjson_text(const char *s);
/* The "chain" array above, leaf first (an = NULL: empty). */
json_t *ndjson_chain(const struct analysis *an);
/* The "findings" array above, for any list of findings (an analysis' or a merged one). */
json_t *ndjson_findings(const struct finding *findings, size_t n);
/* ISO 8601 UTC ("2026-11-25T17:13:17Z") into buf (at least 21 bytes). */
void iso8601_utc(char *buf, size_t len, time_t t);

#endif
