/*
 * profile_json.h: a TLS configuration profile (core/profile.h) as JSON, the part of the
 * `certsweep analyze --json` document that describes the server's configuration:
 *   protocols {SSLv2..TLSv1.3: bool|null}, ciphers {proto: {server_order, suites[]}},
 *   groups[], dh_bits, extensions{...}, hsts{...}, connections, ms
 */
#ifndef CS_PROFILE_JSON_H
#define CS_PROFILE_JSON_H

#include <jansson.h>

#include "core/profile.h"

/* Adds the profile's members to obj (an object). Returns 0, or -1 on allocation failure. */
int profile_json_add(json_t *obj, const struct tls_profile *p);
/* "TLSv1.2 TLSv1.3": the supported protocols, space-separated, into buf. */
void profile_protocols(const struct tls_profile *p, char *buf, size_t len);

#endif
