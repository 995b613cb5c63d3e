/*
 * store_int.h: internals shared by the files of store/ (and by tests/unit/test_store.c).
 * Nothing outside store/ includes this header: the public interface is store.h.
 *
 *   schema.c       file checks before SQLite sees the file, migrations, version checks
 *   store.c        open/close, batching, scans, store_add_result, store_add_analysis
 *   store_query.c  read-only queries for the reports
 *   store_orders.c the renewal pipeline's orders, their endpoints and audit log
 *   store_merge.c  certsweep merge: other databases' scans copied into this one
 */
#ifndef CS_STORE_INT_H
#define CS_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store/store.h"

/* PRAGMA application_id that marks a certsweep database: "CSWP". */
#define STORE_APPLICATION_ID 0x43535750

/* Files up to this size get a full PRAGMA quick_check at open; larger ones only the header and
 * size checks (quick_check reads every page: about a second per 100 MB). */
#define STORE_QUICK_CHECK_MAX (64LL * 1024 * 1024)

/* Milliseconds a writer waits for another connection's lock before giving up. */
#define STORE_BUSY_TIMEOUT_MS 5000

/* Cached statements of the write path, prepared on first use (store.c holds their SQL). */
enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_ENDPOINT_UPSERT,
	ST_CERT_UPSERT_FULL,
	ST_CERT_UPSERT_MIN,
	ST_OBS_INSERT,
	ST_OBS_DELETE,
	ST_OBS_CERT_INSERT,
	ST_OBS_CLIENT_CERT_INSERT,
	ST_FINDING_UPSERT,
	ST_OBS_FINDING_INSERT,
	ST_SCAN_PROGRESS,
	ST_COUNT
};

/* Direct-mapped cache of certificates stored by this connection: a repeated certificate (the
 * intermediate every endpoint sends) costs no SQL while its row needs no change. A collision
 * just replaces the slot, so hostile digests can only cost a cache miss. Emptied whenever a
 * transaction or savepoint is rolled back (the ids it holds may be gone). */
#define CERT_CACHE_SLOTS 4096

struct cert_slot {
	unsigned char sha256[32];
	int64_t id;
	int64_t first_seen, last_seen;  /* as stored in the row */
	int parsed;                     /* the row has the parsed columns */
	int used;
};

struct store {
	sqlite3 *db;                    /* owned: closed by store_close */
	int readonly;                   /* opened with store_open_readonly */
	sqlite3_stmt *stmt[ST_COUNT];   /* owned: lazily prepared, finalized by store_close */
	int in_batch;                   /* 1 while the batch transaction is open */
	int pending;                    /* results in the open batch */
	int batch_max;                  /* commit after this many results (>= 1) */
	int batch_ms;                   /* ... or this many ms after the batch began (0: no limit) */
	int64_t batch_t0;               /* monotonic ms when the open batch began */
	struct cert_slot *cache;        /* owned, CERT_CACHE_SLOTS entries; NULL when read-only */
	int64_t progress_scan;          /* store_scan_progress: the scan whose watermark ... */
	uint64_t progress_pos;          /* ... is this, written with the next commit ... */
	int progress_dirty;             /* ... when set (cleared once committed) */
	char err[512];                  /* last error, "" when none */
};

/* Sets st->err printf-style; returns -1 so callers can `return store_seterr(...)`. */
int store_seterr(struct store *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets st->err to "what: <SQLite's message>"; returns -1. */
int store_sqlerr(struct store *st, const char *what);

/* schema.c */

/* Checks a file before SQLite opens it, without modifying it: SQLite magic, page size, and that
 * the file is not shorter than its header says (truncation). An empty file passes (SQLite treats
 * it as a new database). Returns 0, or -1 with a message in err. */
int schema_check_file(const char *path, char *err, size_t errlen);
/* Reads (never writes) the open database: quick_check for small files, the certsweep marker and
 * the schema version. Sets *version to PRAGMA user_version. For a read-only store an older
 * version is an error too (it cannot be migrated). Returns 0 or -1 with err. */
int schema_validate(sqlite3 *db, const char *path, int readonly, int *version, char *err,
                    size_t errlen);
/* Applies the missing migrations, each in its own IMMEDIATE transaction that also bumps
 * user_version (re-read inside the transaction, so two processes opening together are safe). */
int schema_migrate(sqlite3 *db, char *err, size_t errlen);
/* The SQL of migration `version` (1..store_schema_version()), NULL otherwise. For tests. */
const char *schema_migration_sql(int version);

#endif
