/*
 * geo.c: see geo.h. Each database is opened with libmaxminddb (MMDB_MODE_MMAP), and its
 * metadata.database_type decides whether it fits its option:
 *   --geoip-db  types naming City, Country, Enterprise or Location (GeoIP2-City,
 *               GeoLite2-Country, GeoIP2-Enterprise, DBIP-City-Lite, DBIP-Location ...);
 *   --asn-db    types naming ASN or ISP (GeoLite2-ASN, GeoIP2-ISP, DBIP-ASN-Lite ...);
 *   --owner-db  types naming Owner (certsweep-Owner, written by tools/mkmmdb.pl).
 * A type of another of these families is refused with what it is and which option takes it.
 * A type of none of them (a vendor's or the organisation's own) is accepted when the first
 * data records of its search tree (at most SAMPLE_RECORDS, found within SAMPLE_NODES nodes)
 * hold one of the fields the option reads, or when none is found (nothing to look up).
 *
 * Lookups read only the paths below with MMDB_aget_value; a path that is missing or holds
 * another type leaves its field ""; data libmaxminddb reports as corrupt is an error. MMDB
 * strings are not NUL-terminated: they are copied with their length, up to an embedded NUL,
 * cut on a UTF-8 boundary to the obs_geo bound.
 */
#include "enrich/geo.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <maxminddb.h>

#include "core/text.h"

/* Bounds of the record sample taken from a database of an unknown type. */
#define SAMPLE_NODES 65536
#define SAMPLE_RECORDS 16
/* Search-tree depth is at most 128 (IPv6); aliases may loop back, the stack stays bounded. */
#define SAMPLE_STACK 256

enum geo_role { ROLE_GEOIP, ROLE_ASN, ROLE_OWNER, ROLE_N };
enum geo_family { FAM_GEOIP = ROLE_GEOIP, FAM_ASN = ROLE_ASN, FAM_OWNER = ROLE_OWNER, FAM_OTHER };

static const char *const country_path[] = { "country", "iso_code", NULL };
static const char *const rcountry_path[] = { "registered_country", "iso_code", NULL };
static const char *const city_path[] = { "city", "names", "en", NULL };
static const char *const asn_path[] = { "autonomous_system_number", NULL };
static const char *const org_path[] = { "autonomous_system_organization", NULL };
static const char *const owner_path[] = { "owner", NULL };
static const char *const unit_path[] = { "business_unit", NULL };
static const char *const site_path[] = { "site", NULL };

static const struct role {
	const char *option;
	const char *what;                   /* "a City or Country database" */
	const char *fields;                 /* the fields read, for messages */
	const char *const *paths[4];        /* NULL-terminated: the fields a record may hold */
} roles[ROLE_N] = {
	[ROLE_GEOIP] = { "--geoip-db", "a City or Country database",
	                 "country.iso_code, registered_country.iso_code or city.names.en",
	                 { country_path, rcountry_path, city_path, NULL } },
	[ROLE_ASN] = { "--asn-db", "an ASN database",
	               "autonomous_system_number or autonomous_system_organization",
	               { asn_path, org_path, NULL, NULL } },
	[ROLE_OWNER] = { "--owner-db", "an owner database", "owner, business_unit or site",
	                 { owner_path, unit_path, site_path, NULL } },
};

struct geo_db {
	int open;       /* 1 once MMDB_open succeeded: mmdb then needs MMDB_close */
	MMDB_s mmdb;    /* mmdb.filename is libmaxminddb's copy of the path */
};

struct geo_dbs {
	struct geo_db db[ROLE_N];
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Copies the MMDB string s (len bytes, not NUL-terminated) into dst[cap]: up to an embedded NUL
 * and as many whole UTF-8 sequences as fit (a byte that starts no valid sequence counts as one),
 * so a cut never splits a character. */
static void copy_mmdb_string(char *dst, size_t cap, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	const void *nul = memchr(s, '\0', len);
	size_t n = 0;

	if (nul != NULL)
		len = (size_t)((const char *)nul - s);
	while (n < len) {
		size_t k = text_utf8_seq(p + n, len - n);

		if (k == 0)
			k = 1;
		if (n + k > cap - 1)
			break;
		n += k;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Is status what MMDB_aget_value says for a path the record does not have? */
static int path_absent(int status)
{
	return status == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR ||
	       status == MMDB_INVALID_LOOKUP_PATH_ERROR;
}

/* Reads path from the record e into *d. Returns 1 found, 0 absent, -1 with *status on corrupt
 * data. */
static int get_value(MMDB_entry_s *e, const char *const *path, MMDB_entry_data_s *d, int *status)
{
	int st = MMDB_aget_value(e, d, path);

	if (st == MMDB_SUCCESS)
		return d->has_data ? 1 : 0;
	if (path_absent(st))
		return 0;
	*status = st;
	return -1;
}

/* Copies the string at path into dst[cap] when there is one (other types are ignored).
 * Returns 1 copied, 0 absent, -1 with *status on corrupt data. */
static int get_string(MMDB_entry_s *e, const char *const *path, char *dst, size_t cap,
                      int *status)
{
	MMDB_entry_data_s d;
	int rc = get_value(e, path, &d, status);

	if (rc <= 0 || d.type != MMDB_DATA_TYPE_UTF8_STRING)
		return rc < 0 ? -1 : 0;
	copy_mmdb_string(dst, cap, d.utf8_string, d.data_size);
	return dst[0] != '\0';
}

/* Writes "AS<number>" when the record's number is an unsigned integer up to 2^32-1 (MaxMind
 * writes uint32; uint16, uint64 and non-negative int32 are accepted too). Returns as
 * get_string. */
static int get_asn(MMDB_entry_s *e, char *dst, size_t cap, int *status)
{
	MMDB_entry_data_s d;
	int rc = get_value(e, asn_path, &d, status);
	uint64_t v;

	if (rc <= 0)
		return rc;
	switch (d.type) {
	case MMDB_DATA_TYPE_UINT16:
		v = d.uint16;
		break;
	case MMDB_DATA_TYPE_UINT32:
		v = d.uint32;
		break;
	case MMDB_DATA_TYPE_UINT64:
		v = d.uint64;
		break;
	case MMDB_DATA_TYPE_INT32:
		if (d.int32 < 0)
			return 0;
		v = (uint64_t)d.int32;
		break;
	default:
		return 0;
	}
	if (v > UINT32_MAX)
		return 0;
	snprintf(dst, cap, "AS%u", (unsigned)v);
	return 1;
}

/* Fills the fields of role from the record e. Returns 0, or -1 with *status at the first
 * corrupt value (the fields read before it stay). */
static int read_record(enum geo_role role, MMDB_entry_s *e, struct obs_geo *g, int *status)
{
	int rc = 0;

	switch (role) {
	case ROLE_GEOIP:
		rc = get_string(e, country_path, g->country, sizeof(g->country), status);
		if (rc == 0)
			rc = get_string(e, rcountry_path, g->country, sizeof(g->country), status);
		if (rc >= 0)
			rc = get_string(e, city_path, g->city, sizeof(g->city), status);
		break;
	case ROLE_ASN:
		rc = get_asn(e, g->asn, sizeof(g->asn), status);
		if (rc >= 0)
			rc = get_string(e, org_path, g->as_org, sizeof(g->as_org), status);
		break;
	case ROLE_OWNER:
		rc = get_string(e, owner_path, g->owner, sizeof(g->owner), status);
		if (rc >= 0)
			rc = get_string(e, unit_path, g->business_unit, sizeof(g->business_unit),
			                status);
		if (rc >= 0)
			rc = get_string(e, site_path, g->site, sizeof(g->site), status);
		break;
	case ROLE_N:
		break;
	}
	return rc < 0 ? -1 : 0;
}

/* The family a database_type names (see the top of the file). */
static enum geo_family family_of(const char *type)
{
	if (strcasestr(type, "City") != NULL || strcasestr(type, "Country") != NULL ||
	    strcasestr(type, "Enterprise") != NULL || strcasestr(type, "Location") != NULL)
		return FAM_GEOIP;
	if (strcasestr(type, "ASN") != NULL || strcasestr(type, "ISP") != NULL)
		return FAM_ASN;
	if (strcasestr(type, "Owner") != NULL)
		return FAM_OWNER;
	return FAM_OTHER;
}

/* Does the record e hold one of role's fields? Returns 1 yes, 0 no, -1 with *status corrupt. */
static int record_fits(enum geo_role role, MMDB_entry_s *e, int *status)
{
	for (size_t i = 0; roles[role].paths[i] != NULL; i++) {
		MMDB_entry_data_s d;
		int rc = get_value(e, roles[role].paths[i], &d, status);

		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Walks the search tree depth-first (left first, within the SAMPLE_* bounds) and checks the
 * data records met against role. Returns 1 when one fits or none was met, 0 when records were
 * met and none fits, -1 with *status when the tree or a record is corrupt. */
static int sample_fits(const MMDB_s *m, enum geo_role role, int *status)
{
	uint32_t stack[SAMPLE_STACK];
	size_t top = 0, visits = 0, records = 0;

	if (m->metadata.node_count == 0)
		return 1;
	stack[top++] = 0;
	while (top > 0 && visits < SAMPLE_NODES && records < SAMPLE_RECORDS) {
		MMDB_search_node_s node = { 0 };
		int st = MMDB_read_node(m, stack[--top], &node);
		/* right first onto the stack, so that the left branch is walked first */
		const uint8_t types[2] = { node.right_record_type, node.left_record_type };
		const uint64_t recs[2] = { node.right_record, node.left_record };
		MMDB_entry_s *entries[2] = { &node.right_record_entry, &node.left_record_entry };

		visits++;
		if (st != MMDB_SUCCESS) {
			*status = st;
			return -1;
		}
		for (int i = 0; i < 2; i++) {
			switch (types[i]) {
			case MMDB_RECORD_TYPE_SEARCH_NODE:
				if (top < SAMPLE_STACK && recs[i] <= UINT32_MAX)
					stack[top++] = (uint32_t)recs[i];
				break;
			case MMDB_RECORD_TYPE_DATA: {
				int rc = record_fits(role, entries[i], status);

				if (rc != 0)
					return rc;
				records++;
				break;
			}
			case MMDB_RECORD_TYPE_EMPTY:
				break;
			default:
				*status = MMDB_CORRUPT_SEARCH_TREE_ERROR;
				return -1;
			}
		}
	}
	return records == 0;
}

/* Checks that the open database m fits role. Returns 0, or -1 with the message. */
static int check_type(const MMDB_s *m, enum geo_role role, const char *path, char *err,
                      size_t errlen)
{
	const struct role *r = &roles[role];
	const char *type = m->metadata.database_type;
	char shown[80];
	enum geo_family fam;
	int status = MMDB_SUCCESS, rc;

	if (m->metadata.ip_version != 4 && m->metadata.ip_version != 6) {
		set_err(err, errlen, "%s %s: not a MaxMind DB file (ip_version %u)", r->option,
		        path, (unsigned)m->metadata.ip_version);
		return -1;
	}
	if (type == NULL)
		type = "";
	text_terminal(shown, sizeof(shown), type);
	fam = family_of(type);
	if (fam == (enum geo_family)role)
		return 0;
	if (fam != FAM_OTHER) {
		set_err(err, errlen, "%s %s: database type \"%s\" is %s (give it as %s), not %s",
		        r->option, path, shown, roles[fam].what, roles[fam].option, r->what);
		return -1;
	}
	rc = sample_fits(m, role, &status);
	if (rc < 0) {
		set_err(err, errlen, "%s %s: corrupt MaxMind DB file (%s)", r->option, path,
		        MMDB_strerror(status));
		return -1;
	}
	if (rc == 0) {
		set_err(err, errlen,
		        "%s %s: database type \"%s\" is not %s: its records have no %s", r->option,
		        path, shown, r->what, r->fields);
		return -1;
	}
	return 0;
}

/* Opens path into db for role. Returns 0, or -1 with the message (db stays closed). */
static int open_one(struct geo_db *db, enum geo_role role, const char *path, char *err,
                    size_t errlen)
{
	const char *opt = roles[role].option;
	struct stat st;
	int status;

	/* Checked first for clear messages; a FIFO would block MMDB_open, an empty file fails
	 * its mmap with an unhelpful I/O error. */
	if (stat(path, &st) != 0) {
		set_err(err, errlen, "%s %s: cannot open: %s", opt, path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		set_err(err, errlen, "%s %s: cannot open: %s", opt, path, strerror(EISDIR));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		set_err(err, errlen, "%s %s: cannot open: not a regular file", opt, path);
		return -1;
	}
	if (st.st_size == 0) {
		set_err(err, errlen, "%s %s: not a MaxMind DB file (empty file)", opt, path);
		return -1;
	}
	errno = 0;
	status = MMDB_open(path, MMDB_MODE_MMAP, &db->mmdb);
	switch (status) {
	case MMDB_SUCCESS:
		break;
	case MMDB_FILE_OPEN_ERROR:
	case MMDB_IO_ERROR:
		set_err(err, errlen, "%s %s: cannot %s: %s", opt, path,
		        status == MMDB_FILE_OPEN_ERROR ? "open" : "read",
		        errno != 0 ? strerror(errno) : MMDB_strerror(status));
		return -1;
	case MMDB_OUT_OF_MEMORY_ERROR:
		set_err(err, errlen, "%s %s: out of memory", opt, path);
		return -1;
	case MMDB_INVALID_METADATA_ERROR:
	case MMDB_UNKNOWN_DATABASE_FORMAT_ERROR:
		set_err(err, errlen, "%s %s: not a MaxMind DB file (%s)", opt, path,
		        MMDB_strerror(status));
		return -1;
	case MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR:
	case MMDB_INVALID_LOOKUP_PATH_ERROR:
		/* a metadata map without the keys libmaxminddb reads */
		set_err(err, errlen, "%s %s: not a MaxMind DB file (%s)", opt, path,
		        MMDB_strerror(MMDB_INVALID_METADATA_ERROR));
		return -1;
	default:
		set_err(err, errlen, "%s %s: corrupt MaxMind DB file (%s)", opt, path,
		        MMDB_strerror(status));
		return -1;
	}
	db->open = 1;
	if (check_type(&db->mmdb, role, path, err, errlen) != 0) {
		MMDB_close(&db->mmdb);
		db->open = 0;
		return -1;
	}
	return 0;
}

struct geo_dbs *geo_open(const struct geo_paths *paths, char *err, size_t errlen)
{
	const char *want[ROLE_N] = { NULL, NULL, NULL };
	struct geo_dbs *dbs = NULL, *ret = NULL;

	set_err(err, errlen, "%s", "");
	if (paths != NULL) {
		want[ROLE_GEOIP] = paths->geoip;
		want[ROLE_ASN] = paths->asn;
		want[ROLE_OWNER] = paths->owner;
	}
	if (want[ROLE_GEOIP] == NULL && want[ROLE_ASN] == NULL && want[ROLE_OWNER] == NULL)
		goto out;
	dbs = calloc(1, sizeof(*dbs));
	if (dbs == NULL) {
		set_err(err, errlen, "geo databases: out of memory");
		goto out;
	}
	for (int r = 0; r < ROLE_N; r++) {
		if (want[r] == NULL)
			continue;
		if (open_one(&dbs->db[r], (enum geo_role)r, want[r], err, errlen) != 0)
			goto out;
	}
	ret = dbs;
	dbs = NULL;
out:
	geo_close(dbs);
	return ret;
}

int geo_lookup(const struct geo_dbs *dbs, const char *ip, struct obs_geo *g, char *err,
               size_t errlen)
{
	unsigned char addr[sizeof(struct in6_addr)];
	int ret = 0;

	memset(g, 0, sizeof(*g));
	set_err(err, errlen, "%s", "");
	/* Strict: MMDB_lookup_string's getaddrinfo would also take "127.1" and "fe80::1%eth0". */
	if (ip == NULL ||
	    (inet_pton(AF_INET, ip, addr) != 1 && inet_pton(AF_INET6, ip, addr) != 1)) {
		set_err(err, errlen, "geo lookup: not an IP address");
		return -1;
	}
	for (int r = 0; dbs != NULL && r < ROLE_N; r++) {
		const struct geo_db *db = &dbs->db[r];
		int gai = 0, status = MMDB_SUCCESS;
		MMDB_lookup_result_s res;

		if (!db->open)
			continue;
		res = MMDB_lookup_string(&db->mmdb, ip, &gai, &status);
		if (gai != 0) {
			set_err(err, errlen, "geo lookup %s: %s", ip, gai_strerror(gai));
			return -1;
		}
		/* an IPv6 address in an IPv4-only database: simply not there */
		if (status == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR || (status == MMDB_SUCCESS &&
		    !res.found_entry))
			continue;
		if (status == MMDB_SUCCESS &&
		    read_record((enum geo_role)r, &res.entry, g, &status) == 0)
			continue;
		/* the first error is reported; the other databases are still read */
		if (ret == 0)
			set_err(err, errlen, "%s %s: corrupt at %s (%s)", roles[r].option,
			        db->mmdb.filename, ip, MMDB_strerror(status));
		ret = -1;
	}
	return ret;
}

void geo_close(struct geo_dbs *dbs)
{
	if (dbs == NULL)
		return;
	for (int r = 0; r < ROLE_N; r++)
		if (dbs->db[r].open)
			MMDB_close(&dbs->db[r].mmdb);
	free(dbs);
}
