/*
 * schema.c: the inventory's schema, its migrations, and the checks made before a database is
 * trusted.
 *
 * Versioning: PRAGMA user_version holds the number of migrations applied. migrations[i] brings
 * version i to i + 1; each runs in its own BEGIN IMMEDIATE transaction together with the
 * user_version bump, so a failure leaves the previous version intact. Never edit a migration
 * that has shipped: append a new one.
 *
 * Marker: migration 1 sets PRAGMA application_id = STORE_APPLICATION_ID ("CSWP"). A database
 * with tables but without the marker belongs to another application and is refused.
 *
 * Opening an existing file is read-only until it has passed every check, in this order:
 *   1. schema_check_file: the 100-byte header is read with plain stdio. No SQLite magic ->
 *      "not an SQLite database"; page size invalid or file shorter than the page count in the
 *      header (when that count is valid and no WAL file could hold the rest) -> "corrupt".
 *   2. schema_validate: PRAGMA quick_check(1) for files up to STORE_QUICK_CHECK_MAX, then
 *      application_id, the table count, user_version (newer than the code -> refused).
 * Only then does store.c switch the journal mode to WAL and migrate. So a file that is refused
 * is left byte-for-byte as it was.
 *
 * Conventions of the schema:
 *   - times are unix seconds (INTEGER); certificate validity also as ISO 8601 UTC text;
 *   - absent text in a UNIQUE key is '' (never NULL: NULLs are all distinct in a UNIQUE index);
 *     a finding's certificate key is the certificate's SHA-256 hex, '' for endpoint findings;
 *   - observation_findings records which findings each observation emitted, so a report of
 *     any past scan shows exactly the findings of that scan.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *const migrations[] = {
	/* 1: the tables. */
	"PRAGMA application_id = 1129535312;\n" /* STORE_APPLICATION_ID, checked at run time */
	"CREATE TABLE certificates (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  sha256 TEXT NOT NULL UNIQUE,\n"
	"  der BLOB,\n"
	"  subject TEXT, issuer TEXT, subject_cn TEXT, issuer_cn TEXT, issuer_org TEXT,\n"
	"  serial TEXT,\n"
	"  sans TEXT,\n"                          /* space-separated "DNS:x IP:y" */
	"  not_before TEXT, not_after TEXT,\n"    /* ISO 8601 UTC */
	"  not_before_unix INTEGER, not_after_unix INTEGER,\n"
	"  key_type TEXT, key_bits INTEGER, curve TEXT,\n"
	"  sig_alg TEXT, sig_weak INTEGER,\n"
	"  sha1 TEXT, key_usage TEXT, eku TEXT,\n"
	"  ocsp_url TEXT, ca_issuers_url TEXT, crl_url TEXT,\n"
	"  has_sct INTEGER, is_ca INTEGER, self_signed INTEGER,\n"
	"  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL\n"
	");\n"
	"CREATE TABLE endpoints (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  ip TEXT NOT NULL,\n"
	"  ip_key BLOB,\n"                        /* 16-byte address (IPv4 mapped) for ordering */
	"  port INTEGER NOT NULL,\n"
	"  sni TEXT NOT NULL DEFAULT '',\n"
	"  starttls TEXT NOT NULL DEFAULT '',\n"
	"  host TEXT NOT NULL DEFAULT '',\n"
	"  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,\n"
	"  UNIQUE (ip, port, sni, starttls)\n"
	");\n"
	"CREATE TABLE scans (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  name TEXT,\n"                          /* NULL for an ad-hoc scan */
	"  args TEXT NOT NULL DEFAULT '',\n"
	"  started INTEGER NOT NULL, ended INTEGER,\n"
	"  status TEXT NOT NULL DEFAULT 'running'\n"
	"    CHECK (status IN ('running', 'done', 'interrupted')),\n"
	"  total_endpoints INTEGER NOT NULL DEFAULT 0,\n"
	"  total_open INTEGER NOT NULL DEFAULT 0,\n"
	"  total_tls INTEGER NOT NULL DEFAULT 0,\n"
	"  total_unique_certs INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE TABLE observations (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,\n"
	"  endpoint_id INTEGER NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,\n"
	"  status TEXT NOT NULL,\n"
	"  error TEXT NOT NULL DEFAULT '',\n"
	"  tls_version INTEGER, version TEXT, cipher TEXT, grp TEXT, alpn TEXT,\n"
	"  ocsp_stapled INTEGER,\n"
	"  ms_connect REAL, ms_starttls REAL, ms_handshake REAL, ms_total REAL,\n"
	"  verified INTEGER, verify_code INTEGER, verify_error TEXT,\n"
	"  hostname_checked INTEGER, hostname_ok INTEGER, preferred INTEGER,\n"
	"  chain_len INTEGER NOT NULL DEFAULT 0, chain_truncated INTEGER NOT NULL DEFAULT 0,\n"
	"  attempts INTEGER NOT NULL DEFAULT 0,\n"
	"  observed_at INTEGER NOT NULL,\n"
	"  UNIQUE (scan_id, endpoint_id)\n"
	");\n"
	"CREATE TABLE observation_certs (\n"
	"  observation_id INTEGER NOT NULL REFERENCES observations(id) ON DELETE CASCADE,\n"
	"  position INTEGER NOT NULL,\n"
	"  certificate_id INTEGER NOT NULL REFERENCES certificates(id),\n"
	"  PRIMARY KEY (observation_id, position)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE findings (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  endpoint_id INTEGER NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,\n"
	"  check_id TEXT NOT NULL,\n"
	"  cert_sha256 TEXT NOT NULL DEFAULT '',\n"
	"  certificate_id INTEGER REFERENCES certificates(id),\n"
	"  severity TEXT NOT NULL,\n"
	"  severity_level INTEGER NOT NULL,\n"    /* 0 info .. 4 critical, for ORDER BY */
	"  message TEXT NOT NULL DEFAULT '',\n"
	"  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),\n"
	"  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,\n"
	"  first_scan INTEGER NOT NULL, last_scan INTEGER NOT NULL,\n"
	"  resolved_at INTEGER,\n"
	"  reopened INTEGER NOT NULL DEFAULT 0,\n" /* times it came back after being resolved */
	"  UNIQUE (endpoint_id, check_id, cert_sha256)\n"
	");\n"
	"CREATE TABLE observation_findings (\n"
	"  observation_id INTEGER NOT NULL REFERENCES observations(id) ON DELETE CASCADE,\n"
	"  finding_id INTEGER NOT NULL REFERENCES findings(id) ON DELETE CASCADE,\n"
	"  PRIMARY KEY (observation_id, finding_id)\n"
	") WITHOUT ROWID;\n",

	/* 2: indexes for the reports and for ON DELETE CASCADE lookups. */
	"CREATE INDEX observations_endpoint ON observations(endpoint_id);\n"
	"CREATE INDEX observation_certs_cert ON observation_certs(certificate_id);\n"
	"CREATE INDEX observation_findings_finding ON observation_findings(finding_id);\n"
	"CREATE INDEX findings_status ON findings(status, severity_level);\n"
	"CREATE INDEX findings_certificate ON findings(certificate_id);\n"
	"CREATE INDEX certificates_not_after ON certificates(not_after_unix);\n"
	"CREATE INDEX endpoints_ip_key ON endpoints(ip_key, port);\n"
	"CREATE INDEX scans_name ON scans(name, id);\n",

	/* 3: deep analysis (certsweep analyze, scan --checks advanced): one row per endpoint and
	 * scan with the grade and the whole profile as JSON; configuration findings are kept apart
	 * from certificate findings, so a sweep without the deep checks does not resolve them. */
	"ALTER TABLE findings ADD COLUMN kind TEXT NOT NULL DEFAULT 'cert'"
	"  CHECK (kind IN ('cert', 'config'));\n"
	"CREATE TABLE analyses (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,\n"
	"  endpoint_id INTEGER NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,\n"
	"  grade TEXT NOT NULL,\n"
	"  grade_ignoring_trust TEXT NOT NULL DEFAULT '',\n"
	"  score INTEGER NOT NULL DEFAULT 0,\n"
	"  protocols TEXT NOT NULL DEFAULT '',\n"     /* space-separated supported protocols */
	"  profile TEXT NOT NULL DEFAULT '{}',\n"     /* the analyze --json document */
	"  connections INTEGER NOT NULL DEFAULT 0,\n"
	"  ms REAL,\n"
	"  analyzed_at INTEGER NOT NULL,\n"
	"  UNIQUE (scan_id, endpoint_id)\n"
	");\n"
	"CREATE INDEX analyses_endpoint ON analyses(endpoint_id);\n",

	/* 4: the renewal pipeline's orders (issue 4): one row per order with its status and its
	 * Janet Certificate Service request state, the endpoints it covers, and an audit log with
	 * one row per transition. At most one open order per lineage (same SAN set on the same
	 * endpoints): a partial unique index over the open statuses (orders/orders.h). */
	"CREATE TABLE orders (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  lineage_key TEXT NOT NULL,\n"            /* sorted SANs | sorted endpoint ids */
	"  status TEXT NOT NULL DEFAULT 'Waiting for CSR'\n"
	"    CHECK (status IN ('Waiting for CSR', 'Processing', 'Awaiting payment', 'Issued',\n"
	"                      'Installed', 'Rejected', 'Cancelled')),\n"
	"  ca_state TEXT\n"                           /* NULL until submitted to a CA */
	"    CHECK (ca_state IS NULL OR ca_state IN ('Accepted for automatic processing',\n"
	"      'Waiting for manual approval', 'Accepted by CA', 'Rejected by CA',\n"
	"      'Certificate available for download')),\n"
	"  product TEXT,\n"
	"  duration_days INTEGER NOT NULL CHECK (duration_days > 0),\n"
	"  common_name TEXT NOT NULL,\n"
	"  sans TEXT NOT NULL DEFAULT '',\n"          /* space-separated names and addresses */
	"  reason TEXT NOT NULL DEFAULT '',\n"        /* space-separated \"check.id#finding\" */
	"  certificate_id INTEGER REFERENCES certificates(id),\n"     /* the one being replaced */
	"  new_certificate_id INTEGER REFERENCES certificates(id),\n"
	"  csr_pem TEXT,\n"
	"  key_path TEXT,\n"
	"  ca_profile TEXT NOT NULL DEFAULT 'sectigo',\n"
	"  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,\n"
	"  created_by TEXT NOT NULL CHECK (created_by IN ('sync', 'manual'))\n"
	");\n"
	"CREATE UNIQUE INDEX orders_open_lineage ON orders(lineage_key)\n"
	"  WHERE status NOT IN ('Installed', 'Rejected', 'Cancelled');\n"
	"CREATE INDEX orders_status ON orders(status, id);\n"
	"CREATE TABLE order_endpoints (\n"
	"  order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,\n"
	"  endpoint_id INTEGER NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,\n"
	"  PRIMARY KEY (order_id, endpoint_id)\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX order_endpoints_endpoint ON order_endpoints(endpoint_id);\n"
	"CREATE TABLE order_events (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,\n"
	"  at INTEGER NOT NULL,\n"
	"  from_status TEXT,\n"                       /* NULL for the creation event */
	"  to_status TEXT NOT NULL,\n"
	"  from_ca_state TEXT, to_ca_state TEXT,\n"
	"  actor TEXT NOT NULL,\n"                    /* 'sync', 'manual', later the pipeline steps */
	"  note TEXT NOT NULL DEFAULT ''\n"
	");\n"
	"CREATE INDEX order_events_order ON order_events(order_id, id);\n",

	/* 5: alerts (issue 4): one row per alert sent, so each is sent once per threshold
	 * crossing per channel. kind is 'expiry' (key: certificate SHA-256 hex, threshold: the
	 * days-before-expiry threshold crossed, 0 once expired), 'non_preferred' (key: the
	 * finding id) or 'failed_renewal' (key: the order id); threshold is 0 for the last two.
	 * alert_runs records when alerts last ran
	 * successfully on each channel, for "newly discovered" alerts. */
	"CREATE TABLE alerts_sent (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  kind TEXT NOT NULL CHECK (kind IN ('expiry', 'non_preferred', 'failed_renewal')),\n"
	"  key TEXT NOT NULL,\n"
	"  threshold INTEGER NOT NULL DEFAULT 0,\n"
	"  channel TEXT NOT NULL,\n"
	"  sent_at INTEGER NOT NULL,\n"
	"  UNIQUE (kind, key, threshold, channel)\n"
	");\n"
	"CREATE TABLE alert_runs (\n"
	"  channel TEXT PRIMARY KEY,\n"
	"  ran_at INTEGER NOT NULL\n"
	") WITHOUT ROWID;\n",

	/* 6: ACME issuance (issue 4): the certificate chain (PEM, leaf first) a CA issued for an
	 * order, stored only after it was checked against the order's CSR key and SANs. */
	"ALTER TABLE orders ADD COLUMN issued_pem TEXT;\n",

	/* 7: issue 6. Where an endpoint is and whose it is (GeoIP/ASN/owner mmdb lookups at sweep
	 * time; '' when unknown). How each observation was made: 'active' (a handshake of ours)
	 * or 'passive' (seen in captured traffic), with the JA3/JA3S fingerprints of passive
	 * handshakes, and the client certificates a passive capture saw. */
	"ALTER TABLE endpoints ADD COLUMN country TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE endpoints ADD COLUMN city TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE endpoints ADD COLUMN asn TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE endpoints ADD COLUMN as_org TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE endpoints ADD COLUMN owner TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE endpoints ADD COLUMN business_unit TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE endpoints ADD COLUMN site TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE observations ADD COLUMN source TEXT NOT NULL DEFAULT 'active'"
	"  CHECK (source IN ('active', 'passive'));\n"
	"ALTER TABLE observations ADD COLUMN ja3 TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE observations ADD COLUMN ja3s TEXT NOT NULL DEFAULT '';\n"
	"CREATE INDEX observations_source ON observations(endpoint_id, source);\n"
	"CREATE TABLE observation_client_certs (\n"
	"  observation_id INTEGER NOT NULL REFERENCES observations(id) ON DELETE CASCADE,\n"
	"  position INTEGER NOT NULL,\n"
	"  certificate_id INTEGER NOT NULL REFERENCES certificates(id),\n"
	"  PRIMARY KEY (observation_id, position)\n"
	") WITHOUT ROWID;\n",

	/* 8: issue 7, sweeps at scale (doc/scale.md). What a sweep covers, so that it can be
	 * resumed and its shards merged: the permutation seed (the 64-bit value as SQLite's signed
	 * integer), the 0-based shard and shard count, the SHA-256 of the endpoint space
	 * (targets_describe + --sni + --starttls), its size, and the command line as a JSON array;
	 * all NULL for rows written before (and for analyze, sniff and orders runs). resume_pos is
	 * the watermark: every position of the shard below it is stored, written in the same
	 * transaction as the results; heartbeat, run_host and run_pid name the process that last
	 * ran the scan, so --resume can tell a dead run from a live one. merged is 1 for a scan
	 * `certsweep merge` assembled from shards. Observations carry their permutation position
	 * (NULL outside sweeps): a resume skips what was stored above its watermark.
	 * store_meta holds this database's random identity (uuid) and merged_sources the scans
	 * merged into it from other databases, by their database's uuid and scan id, so merging
	 * the same input again changes nothing. */
	"ALTER TABLE scans ADD COLUMN seed INTEGER;\n"
	"ALTER TABLE scans ADD COLUMN shard INTEGER;\n"
	"ALTER TABLE scans ADD COLUMN nshards INTEGER;\n"
	"ALTER TABLE scans ADD COLUMN space_hash TEXT;\n"
	"ALTER TABLE scans ADD COLUMN space_size INTEGER;\n"
	"ALTER TABLE scans ADD COLUMN argv TEXT;\n"
	"ALTER TABLE scans ADD COLUMN resume_pos INTEGER NOT NULL DEFAULT 0;\n"
	"ALTER TABLE scans ADD COLUMN heartbeat INTEGER;\n"
	"ALTER TABLE scans ADD COLUMN run_host TEXT;\n"
	"ALTER TABLE scans ADD COLUMN run_pid INTEGER;\n"
	"ALTER TABLE scans ADD COLUMN merged INTEGER NOT NULL DEFAULT 0;\n"
	"ALTER TABLE observations ADD COLUMN pos INTEGER;\n"
	"CREATE TABLE store_meta (\n"
	"  key TEXT PRIMARY KEY,\n"
	"  value TEXT NOT NULL\n"
	") WITHOUT ROWID;\n"
	"INSERT INTO store_meta (key, value) VALUES ('uuid', lower(hex(randomblob(16))));\n"
	"CREATE TABLE merged_sources (\n"
	"  source_uuid TEXT NOT NULL,\n"
	"  source_scan INTEGER NOT NULL,\n"
	"  scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,\n"
	"  shard INTEGER,\n"                        /* the source's shard, NULL when not a shard */
	"  source_status TEXT NOT NULL,\n"
	"  source_observations INTEGER NOT NULL,\n"
	"  merged_at INTEGER NOT NULL,\n"
	"  PRIMARY KEY (source_uuid, source_scan)\n"
	");\n"
	"CREATE INDEX merged_sources_scan ON merged_sources(scan_id, shard);\n",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int store_schema_version(void)
{
	return N_MIGRATIONS;
}

const char *schema_migration_sql(int version)
{
	if (version < 1 || version > N_MIGRATIONS)
		return NULL;
	return migrations[version - 1];
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* 1 when PATH-wal exists (it may hold pages the main file does not have yet). */
static int wal_exists(const char *path)
{
	char wal[4096];
	struct stat sb;

	if (snprintf(wal, sizeof(wal), "%s-wal", path) >= (int)sizeof(wal))
		return 1; /* cannot tell: assume it does, skip the size check */
	return stat(wal, &sb) == 0;
}

int schema_check_file(const char *path, char *err, size_t errlen)
{
	static const char magic[16] = "SQLite format 3";  /* includes the final NUL */
	unsigned char hdr[100];
	struct stat sb;
	FILE *f = NULL;
	unsigned page_size;
	uint32_t pages;
	int ret = -1;

	f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fileno(f), &sb) != 0) {
		snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		goto out;
	}
	if (sb.st_size == 0) {
		ret = 0; /* a new, empty database */
		goto out;
	}
	if (sb.st_size < (off_t)sizeof(hdr) || fread(hdr, 1, sizeof(hdr), f) != sizeof(hdr) ||
	    memcmp(hdr, magic, sizeof(magic)) != 0) {
		snprintf(err, errlen, "%s is not an SQLite database", path);
		goto out;
	}
	page_size = (unsigned)hdr[16] << 8 | hdr[17];
	if (page_size == 1)
		page_size = 65536;
	if (page_size < 512 || (page_size & (page_size - 1)) != 0) {
		snprintf(err, errlen, "database %s is corrupt: invalid page size", path);
		goto out;
	}
	/* The in-header page count is valid when non-zero and the change counter (offset 24)
	 * equals version-valid-for (offset 92). With a WAL file the main file may legitimately
	 * lag behind, so only check without one. */
	pages = be32(hdr + 28);
	if (pages != 0 && be32(hdr + 24) == be32(hdr + 92) && !wal_exists(path) &&
	    (long long)sb.st_size < (long long)pages * page_size) {
		snprintf(err, errlen, "database %s is corrupt: truncated (%lld of %lld bytes)", path,
		         (long long)sb.st_size, (long long)pages * page_size);
		goto out;
	}
	ret = 0;
out:
	if (f != NULL)
		fclose(f);
	return ret;
}

/* Runs a one-row, one-column integer PRAGMA/query. Returns 0 or the SQLite error code. */
static int query_int(sqlite3 *db, const char *sql, long long *val)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*val = sqlite3_column_int64(s, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

/* A readable message for a failure while reading an unverified file. */
static void read_error(sqlite3 *db, int rc, const char *path, char *err, size_t errlen)
{
	switch (rc & 0xff) {
	case SQLITE_NOTADB:
		snprintf(err, errlen, "%s is not an SQLite database", path);
		break;
	case SQLITE_CORRUPT:
		snprintf(err, errlen, "database %s is corrupt: %s", path, sqlite3_errmsg(db));
		break;
	default:
		snprintf(err, errlen, "cannot read %s: %s", path, sqlite3_errmsg(db));
		break;
	}
}

static int quick_check(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	const char *res;
	int rc, ret = -1;

	rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &s, NULL);
	if (rc != SQLITE_OK) {
		read_error(db, rc, path, err, errlen);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		read_error(db, rc, path, err, errlen);
		goto out;
	}
	res = (const char *)sqlite3_column_text(s, 0);
	if (res == NULL || strcmp(res, "ok") != 0) {
		/* The text comes from SQLite's checker (no file bytes), but keep it short. */
		snprintf(err, errlen, "database %s is corrupt: %.120s", path, res ? res : "?");
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

int schema_validate(sqlite3 *db, const char *path, int readonly, int *version, char *err,
                    size_t errlen)
{
	struct stat sb;
	long long app_id = 0, n_objects = 0, ver = 0;
	int rc;

	if (stat(path, &sb) == 0 && sb.st_size <= STORE_QUICK_CHECK_MAX &&
	    quick_check(db, path, err, errlen) != 0)
		return -1;
	if ((rc = query_int(db, "PRAGMA application_id", &app_id)) != SQLITE_OK ||
	    (rc = query_int(db, "SELECT count(*) FROM sqlite_master", &n_objects)) != SQLITE_OK ||
	    (rc = query_int(db, "PRAGMA user_version", &ver)) != SQLITE_OK) {
		read_error(db, rc, path, err, errlen);
		return -1;
	}
	if (app_id != STORE_APPLICATION_ID && (app_id != 0 || n_objects != 0)) {
		snprintf(err, errlen, "%s is not a certsweep database", path);
		return -1;
	}
	if (ver > N_MIGRATIONS) {
		snprintf(err, errlen, "database schema version %lld is newer than this certsweep (%d)",
		         ver, N_MIGRATIONS);
		return -1;
	}
	if (readonly && app_id != STORE_APPLICATION_ID) {
		snprintf(err, errlen, "%s is not a certsweep database (it is empty)", path);
		return -1;
	}
	if (readonly && ver < N_MIGRATIONS) {
		snprintf(err, errlen,
		         "database schema version %lld is older than this certsweep (%d): "
		         "open it read-write once (e.g. run a scan) to migrate it", ver, N_MIGRATIONS);
		return -1;
	}
	*version = (int)ver;
	return 0;
}

/* Runs one statement without results; on failure writes "what: message" to err. */
static int exec(sqlite3 *db, const char *sql, const char *what, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", what, msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Applies migration `to` (1-based) if the database is still at to - 1. */
static int migrate_one(sqlite3 *db, int to, char *err, size_t errlen)
{
	char sql[64], what[64];
	long long ver = 0;

	snprintf(what, sizeof(what), "schema migration %d", to);
	if (exec(db, "BEGIN IMMEDIATE", what, err, errlen) != 0)
		return -1;
	if (query_int(db, "PRAGMA user_version", &ver) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
		goto fail;
	}
	if (ver >= to) /* another process got there first */
		return exec(db, "COMMIT", what, err, errlen);
	if (ver != to - 1) {
		snprintf(err, errlen, "%s: database is at version %lld", what, ver);
		goto fail;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", to); /* our integer, not input */
	if (exec(db, migrations[to - 1], what, err, errlen) != 0 ||
	    exec(db, sql, what, err, errlen) != 0 ||
	    exec(db, "COMMIT", what, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int schema_migrate(sqlite3 *db, char *err, size_t errlen)
{
	long long ver = 0;

	if (query_int(db, "PRAGMA user_version", &ver) != SQLITE_OK) {
		snprintf(err, errlen, "reading schema version: %s", sqlite3_errmsg(db));
		return -1;
	}
	for (int v = (int)ver + 1; v <= N_MIGRATIONS; v++)
		if (migrate_one(db, v, err, errlen) != 0)
			return -1;
	return 0;
}
