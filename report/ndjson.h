/*
 * ndjson.h: one JSON object per endpoint, written as results arrive (--json FILE|-).
 * Schema (stable; fields are only ever added):
 *   ip, port, host, sni, starttls, status, error, attempts, observed_at (ISO 8601 UTC),
 *   tls {version, cipher, group, alpn, ocsp_stapled},
 *   timing_ms {connect, starttls, handshake, total}   (null when the phase did not happen),
 *   validation {trusted, error, hostname_checked, hostname_ok, preferred, days_left},
 *   chain [ {position, sha256, sha1, subject, issuer, serial, not_before, not_after, key_type,
 *            key_bits, sig_alg, sans[]} ],
 *   findings [ {id, severity, message, fix, cert_position} ]
 * Certificate text is emitted as valid UTF-8 (invalid bytes become U+FFFD).
 */
#ifndef CS_NDJSON_H
#define CS_NDJSON_H

#include <stdio.h>

#include "analyzer/analyzer.h"
#include "core/observation.h"

/* Writes one line; an = NULL writes no validation/chain details. Returns 0, or -1 on a write
 * error (errno set) or allocation failure. */
int ndjson_write(FILE *out, const struct observation *obs, const struct analysis *an);
/* ISO 8601 UTC ("2026-11-25T17:13:17Z") into buf (at least 21 bytes). */
void iso8601_utc(char *buf, size_t len, time_t t);

#endif
