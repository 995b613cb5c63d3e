/*
 * geo.h: where an endpoint is and whose it is, from MaxMind DB (mmdb) files read with
 * libmaxminddb (enrich/geo.c):
 *   - a GeoIP2/GeoLite2 City or Country database: country.iso_code, city.names.en;
 *   - a GeoIP2/GeoLite2 ASN database: autonomous_system_number, autonomous_system_organization;
 *   - an owner database: the organisation's own networks, each a map with the string fields
 *     "owner", "business_unit" and "site" (any may be missing). Write one with MaxMind's
 *     writer (Debian's libmaxmind-db-writer-perl; tools/mkmmdb.pl shows how).
 * Any of the three may be absent. Opening checks each file (readable, a valid mmdb, metadata
 * with the expected database_type family or record fields) and fails with a clear message
 * naming it; a lookup never fails for a missing network: the fields stay "".
 *
 * Values are copied into struct obs_geo (core/observation.h), cut to its bounds on a UTF-8
 * boundary. They come from a file the administrator chose, but are printed like any other
 * untrusted text.
 */
#ifndef CS_ENRICH_GEO_H
#define CS_ENRICH_GEO_H

#include <stddef.h>

#include "core/observation.h"

struct geo_dbs;

struct geo_paths {
	const char *geoip;   /* City or Country mmdb, or NULL */
	const char *asn;     /* ASN mmdb, or NULL */
	const char *owner;   /* owner mmdb, or NULL */
};

/* Opens the databases named (NULL fields skipped). Returns NULL with a message in err when one
 * cannot be used ("--geoip-db FILE: not a MaxMind DB file (...)"). With no path at all,
 * returns NULL and err "" (nothing to look up). */
struct geo_dbs *geo_open(const struct geo_paths *paths, char *err, size_t errlen);
/* Fills *g (zeroed first) for the numeric address ip. Returns 0; -1 when ip is not an address
 * or a database is corrupt at that record (err says which; *g keeps what was found). */
int geo_lookup(const struct geo_dbs *dbs, const char *ip, struct obs_geo *g, char *err,
               size_t errlen);
/* NULL is a no-op. */
void geo_close(struct geo_dbs *dbs);

#endif
