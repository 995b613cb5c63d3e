/*
 * store_orders.c: the orders of the renewal pipeline (schema migration 4; contract in store.h,
 * rules in orders/orders.h).
 *
 * Writes: each runs as BEGIN IMMEDIATE ... COMMIT of its own, after committing the scan batch
 * that may be open (store_flush), so an order, its endpoint links and its audit-log event land
 * together or not at all; any failure rolls the whole write back. "One open order per lineage"
 * is checked inside the transaction (a clear message with the holder's id) and enforced again
 * by the partial unique index orders_open_lineage (two processes racing).
 *
 * A transition is a compare-and-set: UPDATE ... WHERE id = ? AND status = <from> AND ca_state IS
 * <from>, so a change validated against a state another process has since left is refused
 * instead of being applied over it.
 *
 * Reads: statements prepared per call (orders are few; the scan path keeps the cached ones),
 * every value bound as a parameter.
 */
#include "store/store_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Column text, NULL for NULL. Valid until the next step of s. */
static const char *col_or_null(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static const char *col(sqlite3_stmt *s, int i)
{
	const char *v = col_or_null(s, i);

	return v ? v : "";
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static sqlite3_stmt *prepare(struct store *st, const char *sql, const char *what)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		store_sqlerr(st, what);
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

/* Runs one prepared-once statement that returns no row, then finalizes it. */
static int exec_stmt(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		store_sqlerr(st, what);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Starts a write transaction of its own. */
static int tx_begin(struct store *st, const char *what)
{
	char *msg = NULL;

	st->err[0] = '\0';
	if (st->readonly)
		return store_seterr(st, "the database is open read-only");
	if (store_flush(st) != 0)
		return -1;
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
		store_seterr(st, "%s: %s", what, msg ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int tx_commit(struct store *st, const char *what)
{
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		store_sqlerr(st, what);
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

static void tx_rollback(struct store *st)
{
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

static int put_event(struct store *st, int64_t order_id, int64_t now, const char *from_status,
                     const char *to_status, const char *from_ca, const char *to_ca,
                     const char *actor, const char *note)
{
	static const char sql[] =
		"INSERT INTO order_events (order_id, at, from_status, to_status, from_ca_state,"
		"  to_ca_state, actor, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
	sqlite3_stmt *s = prepare(st, sql, "writing the order's audit log");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, order_id);
	sqlite3_bind_int64(s, 2, now);
	bind_text(s, 3, from_status);
	bind_text(s, 4, to_status);
	bind_text(s, 5, from_ca);
	bind_text(s, 6, to_ca);
	bind_text(s, 7, actor);
	bind_text(s, 8, note != NULL ? note : "");
	return exec_stmt(st, s, "writing the order's audit log");
}

/* Looks the open order of a lineage up inside the current connection state. */
int store_order_open_lineage(struct store *st, const char *lineage_key, int64_t *id)
{
	static const char sql[] =
		"SELECT id FROM orders WHERE lineage_key = ?1"
		" AND status NOT IN ('Installed', 'Rejected', 'Cancelled')";
	sqlite3_stmt *s = prepare(st, sql, "looking up the lineage's open order");
	int rc, ret = -1;

	if (s == NULL)
		return -1;
	bind_text(s, 1, lineage_key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		ret = 1;
	} else if (rc == SQLITE_DONE) {
		ret = 0;
	} else {
		store_sqlerr(st, "looking up the lineage's open order");
	}
	sqlite3_finalize(s);
	return ret;
}

static int put_order(struct store *st, const struct order_new *o, int64_t now, int64_t *id)
{
	static const char sql[] =
		"INSERT INTO orders (lineage_key, status, product, duration_days, common_name, sans,"
		"  reason, certificate_id, ca_profile, created_at, updated_at, created_by)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11)";
	sqlite3_stmt *s = prepare(st, sql, "creating the order");
	int rc;

	if (s == NULL)
		return -1;
	bind_text(s, 1, o->lineage_key);
	bind_text(s, 2, o->status);
	bind_text(s, 3, o->product);
	sqlite3_bind_int(s, 4, o->duration_days);
	bind_text(s, 5, o->common_name);
	bind_text(s, 6, o->sans != NULL ? o->sans : "");
	bind_text(s, 7, o->reason != NULL ? o->reason : "");
	if (o->certificate_id > 0)
		sqlite3_bind_int64(s, 8, o->certificate_id);
	bind_text(s, 9, o->ca_profile != NULL ? o->ca_profile : "sectigo");
	sqlite3_bind_int64(s, 10, now);
	bind_text(s, 11, o->created_by);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		*id = sqlite3_last_insert_rowid(st->db);
	else if ((rc & 0xff) == SQLITE_CONSTRAINT)
		store_seterr(st, "creating the order: %s (status, CA state, duration or creator out of "
		             "range, or an unknown certificate)", sqlite3_errmsg(st->db));
	else
		store_sqlerr(st, "creating the order");
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int put_order_endpoints(struct store *st, int64_t order_id, const int64_t *ids, size_t n)
{
	static const char sql[] =
		"INSERT OR IGNORE INTO order_endpoints (order_id, endpoint_id) VALUES (?1, ?2)";
	sqlite3_stmt *s = prepare(st, sql, "linking the order's endpoints");
	int ret = 0;

	if (s == NULL)
		return -1;
	for (size_t i = 0; i < n && ret == 0; i++) {
		int rc;

		sqlite3_bind_int64(s, 1, order_id);
		sqlite3_bind_int64(s, 2, ids[i]);
		rc = sqlite3_step(s);
		if ((rc & 0xff) == SQLITE_CONSTRAINT)
			ret = store_seterr(st, "no endpoint %" PRId64 " in the inventory", ids[i]);
		else if (rc != SQLITE_DONE)
			ret = store_sqlerr(st, "linking the order's endpoints");
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	return ret;
}

int store_order_create(struct store *st, const struct order_new *o, int64_t *id)
{
	int64_t now = (int64_t)time(NULL), existing = 0;
	int rc;

	if (o->lineage_key == NULL || o->status == NULL || o->common_name == NULL ||
	    o->created_by == NULL)
		return store_seterr(st, "creating the order: lineage, status, name and creator are "
		                    "required");
	if (tx_begin(st, "creating the order") != 0)
		return -1;
	rc = store_order_open_lineage(st, o->lineage_key, &existing);
	if (rc != 0) {
		tx_rollback(st);
		if (rc == 1) {
			*id = existing;
			store_seterr(st, "order %" PRId64 " is already open for this lineage", existing);
		}
		return rc;
	}
	if (put_order(st, o, now, id) != 0 ||
	    put_order_endpoints(st, *id, o->endpoint_ids, o->n_endpoints) != 0 ||
	    put_event(st, *id, now, NULL, o->status, NULL, NULL, o->created_by, o->note) != 0) {
		tx_rollback(st);
		return -1;
	}
	return tx_commit(st, "creating the order");
}

void order_rec_free(struct order_rec *o)
{
	if (o == NULL)
		return;
	free(o->lineage_key);
	free(o->status);
	free(o->ca_state);
	free(o->product);
	free(o->common_name);
	free(o->sans);
	free(o->reason);
	free(o->csr_pem);
	free(o->key_path);
	free(o->ca_profile);
	free(o->created_by);
	memset(o, 0, sizeof(*o));
}

#define ORDER_COLUMNS \
	"id, lineage_key, status, ca_state, product, duration_days, common_name, sans, reason," \
	" coalesce(certificate_id, 0), coalesce(new_certificate_id, 0), csr_pem, key_path," \
	" ca_profile, created_by, created_at, updated_at"

/* strdup that keeps NULL; sets *oom when a copy fails. */
static char *dup_or_null(const char *s, int *oom)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*oom = 1;
	return d;
}

/* Fills o (owned copies) from a row of ORDER_COLUMNS. -1 when out of memory (o freed). */
static int read_order(sqlite3_stmt *s, struct order_rec *o)
{
	int oom = 0;

	memset(o, 0, sizeof(*o));
	o->id = sqlite3_column_int64(s, 0);
	o->lineage_key = dup_or_null(col(s, 1), &oom);
	o->status = dup_or_null(col(s, 2), &oom);
	o->ca_state = dup_or_null(col_or_null(s, 3), &oom);
	o->product = dup_or_null(col_or_null(s, 4), &oom);
	o->duration_days = sqlite3_column_int(s, 5);
	o->common_name = dup_or_null(col(s, 6), &oom);
	o->sans = dup_or_null(col(s, 7), &oom);
	o->reason = dup_or_null(col(s, 8), &oom);
	o->certificate_id = sqlite3_column_int64(s, 9);
	o->new_certificate_id = sqlite3_column_int64(s, 10);
	o->csr_pem = dup_or_null(col_or_null(s, 11), &oom);
	o->key_path = dup_or_null(col_or_null(s, 12), &oom);
	o->ca_profile = dup_or_null(col(s, 13), &oom);
	o->created_by = dup_or_null(col(s, 14), &oom);
	o->created_at = sqlite3_column_int64(s, 15);
	o->updated_at = sqlite3_column_int64(s, 16);
	if (oom) {
		order_rec_free(o);
		return -1;
	}
	return 0;
}

/* Commits the open scan batch so reads see every stored result. */
static int read_begin(struct store *st)
{
	st->err[0] = '\0';
	return st->readonly ? 0 : store_flush(st);
}

int store_order_get(struct store *st, int64_t id, struct order_rec *o)
{
	static const char sql[] = "SELECT " ORDER_COLUMNS " FROM orders WHERE id = ?1";
	sqlite3_stmt *s;
	int rc, ret = -1;

	memset(o, 0, sizeof(*o));
	if (read_begin(st) != 0 || (s = prepare(st, sql, "reading the order")) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		ret = read_order(s, o) == 0 ? 0 : store_seterr(st, "out of memory");
	else if (rc == SQLITE_DONE)
		ret = 1;
	else
		store_sqlerr(st, "reading the order");
	sqlite3_finalize(s);
	return ret;
}

int store_each_order(struct store *st, const char *status, order_cb cb, void *arg)
{
	static const char sql[] =
		"SELECT " ORDER_COLUMNS " FROM orders WHERE ?1 IS NULL OR status = ?1 ORDER BY id";
	sqlite3_stmt *s;
	int rc = SQLITE_DONE, ret = 0;

	if (read_begin(st) != 0 || (s = prepare(st, sql, "listing orders")) == NULL)
		return -1;
	bind_text(s, 1, status);
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct order_rec o;

		if (read_order(s, &o) != 0) {
			ret = store_seterr(st, "out of memory");
			break;
		}
		ret = cb(arg, &o);
		order_rec_free(&o);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_sqlerr(st, "listing orders");
	sqlite3_finalize(s);
	return ret;
}

/* Steps and finalizes s, an UPDATE guarded by the order's expected status (WHERE id = ? AND
 * status = ? ...): 0 when exactly that order changed; -1 with a message when SQLite failed
 * (a constraint names the likely cause) or the order was not in the expected state. */
static int step_guarded(struct store *st, sqlite3_stmt *s, int64_t id, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		if ((rc & 0xff) == SQLITE_CONSTRAINT)
			store_seterr(st, "order %" PRId64 ": %s (another open order holds its lineage, or "
			             "the status is not a valid name)", id, sqlite3_errmsg(st->db));
		else
			store_sqlerr(st, what);
		return -1;
	}
	if (sqlite3_changes(st->db) != 1) {
		store_seterr(st, "order %" PRId64 " was changed meanwhile (or does not exist): "
		             "nothing done", id);
		return -1;
	}
	return 0;
}

int store_order_transition(struct store *st, int64_t id, const char *from_status,
                           const char *from_ca, const char *to_status, const char *to_ca,
                           const char *actor, const char *note)
{
	static const char sql[] =
		"UPDATE orders SET status = ?1, ca_state = ?2, updated_at = ?3"
		" WHERE id = ?4 AND status = ?5 AND ca_state IS ?6";
	int64_t now = (int64_t)time(NULL);
	sqlite3_stmt *s;

	if (tx_begin(st, "changing the order") != 0)
		return -1;
	if ((s = prepare(st, sql, "changing the order")) == NULL)
		goto fail;
	bind_text(s, 1, to_status);
	bind_text(s, 2, to_ca);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_int64(s, 4, id);
	bind_text(s, 5, from_status);
	bind_text(s, 6, from_ca);
	if (step_guarded(st, s, id, "changing the order") != 0)
		goto fail;
	if (put_event(st, id, now, from_status, to_status, from_ca, to_ca, actor, note) != 0)
		goto fail;
	return tx_commit(st, "changing the order");
fail:
	tx_rollback(st);
	return -1;
}

int store_order_set_csr(struct store *st, int64_t id, const char *from_status,
                        const char *from_ca, const char *to_status, const char *csr_pem,
                        const char *key_path, const char *actor, const char *note)
{
	static const char sql[] =
		"UPDATE orders SET status = ?1, csr_pem = ?2, key_path = ?3, updated_at = ?4"
		" WHERE id = ?5 AND status = ?6 AND ca_state IS ?7";
	int64_t now = (int64_t)time(NULL);
	sqlite3_stmt *s;

	if (tx_begin(st, "storing the order's CSR") != 0)
		return -1;
	if ((s = prepare(st, sql, "storing the order's CSR")) == NULL)
		goto fail;
	bind_text(s, 1, to_status);
	bind_text(s, 2, csr_pem);
	bind_text(s, 3, key_path);
	sqlite3_bind_int64(s, 4, now);
	sqlite3_bind_int64(s, 5, id);
	bind_text(s, 6, from_status);
	bind_text(s, 7, from_ca);
	if (step_guarded(st, s, id, "storing the order's CSR") != 0)
		goto fail;
	if (put_event(st, id, now, from_status, to_status, from_ca, from_ca, actor, note) != 0)
		goto fail;
	return tx_commit(st, "storing the order's CSR");
fail:
	tx_rollback(st);
	return -1;
}

int store_order_set_issued(struct store *st, int64_t id, const char *from_status,
                           const char *from_ca, const char *via_ca, const char *chain_pem,
                           const char *actor, const char *note)
{
	static const char sql[] =
		"UPDATE orders SET status = ?1, ca_state = ?2, issued_pem = ?3, updated_at = ?4"
		" WHERE id = ?5 AND status = ?6 AND ca_state IS ?7";
	static const char what[] = "storing the issued certificate";
	const char *to_status = "Issued", *to_ca = "Certificate available for download";
	int64_t now = (int64_t)time(NULL);
	sqlite3_stmt *s;

	if (tx_begin(st, what) != 0)
		return -1;
	if ((s = prepare(st, sql, what)) == NULL)
		goto fail;
	bind_text(s, 1, to_status);
	bind_text(s, 2, to_ca);
	bind_text(s, 3, chain_pem);
	sqlite3_bind_int64(s, 4, now);
	sqlite3_bind_int64(s, 5, id);
	bind_text(s, 6, from_status);
	bind_text(s, 7, from_ca);
	if (step_guarded(st, s, id, what) != 0)
		goto fail;
	if (via_ca != NULL) {
		if (put_event(st, id, now, from_status, from_status, from_ca, via_ca, actor,
		              "accepted by the CA") != 0)
			goto fail;
		from_ca = via_ca;
	}
	if (put_event(st, id, now, from_status, to_status, from_ca, to_ca, actor, note) != 0)
		goto fail;
	return tx_commit(st, what);
fail:
	tx_rollback(st);
	return -1;
}

int store_order_issued_pem(struct store *st, int64_t id, char **pem)
{
	static const char sql[] = "SELECT issued_pem FROM orders WHERE id = ?1";
	sqlite3_stmt *s;
	int rc, ret = -1;

	*pem = NULL;
	if (read_begin(st) != 0 || (s = prepare(st, sql, "reading the issued certificate")) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *v = col_or_null(s, 0);

		ret = 0;
		if (v != NULL && (*pem = strdup(v)) == NULL)
			ret = store_seterr(st, "out of memory");
	} else if (rc == SQLITE_DONE) {
		ret = 0;
	} else {
		store_sqlerr(st, "reading the issued certificate");
	}
	sqlite3_finalize(s);
	return ret;
}

int store_each_order_event(struct store *st, int64_t order_id, order_event_cb cb, void *arg)
{
	static const char sql[] =
		"SELECT at, from_status, to_status, from_ca_state, to_ca_state, actor, note"
		" FROM order_events WHERE order_id = ?1 ORDER BY id";
	sqlite3_stmt *s;
	int rc = SQLITE_DONE, ret = 0;

	if (read_begin(st) != 0 || (s = prepare(st, sql, "reading the audit log")) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, order_id);
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct order_event ev = {
			.at = sqlite3_column_int64(s, 0),
			.from_status = col_or_null(s, 1),
			.to_status = col(s, 2),
			.from_ca_state = col_or_null(s, 3),
			.to_ca_state = col_or_null(s, 4),
			.actor = col(s, 5),
			.note = col(s, 6),
		};

		ret = cb(arg, &ev);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_sqlerr(st, "reading the audit log");
	sqlite3_finalize(s);
	return ret;
}

static int each_endpoint(struct store *st, sqlite3_stmt *s, order_endpoint_cb cb, void *arg,
                         const char *what)
{
	int rc = SQLITE_DONE, ret = 0;

	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct order_endpoint ep = {
			.id = sqlite3_column_int64(s, 0),
			.ip = col(s, 1),
			.port = sqlite3_column_int(s, 2),
			.sni = col(s, 3),
			.starttls = col(s, 4),
			.host = col(s, 5),
		};

		ret = cb(arg, &ep);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_sqlerr(st, what);
	sqlite3_finalize(s);
	return ret;
}

int store_each_order_endpoint(struct store *st, int64_t order_id, order_endpoint_cb cb,
                              void *arg)
{
	static const char sql[] =
		"SELECT e.id, e.ip, e.port, e.sni, e.starttls, e.host FROM order_endpoints oe"
		" JOIN endpoints e ON e.id = oe.endpoint_id WHERE oe.order_id = ?1"
		" ORDER BY e.ip_key, e.port, e.sni, e.starttls, e.id";
	sqlite3_stmt *s;

	if (read_begin(st) != 0 ||
	    (s = prepare(st, sql, "reading the order's endpoints")) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, order_id);
	return each_endpoint(st, s, cb, arg, "reading the order's endpoints");
}

int store_each_endpoint_at(struct store *st, const char *ip, int port, order_endpoint_cb cb,
                           void *arg)
{
	static const char sql[] =
		"SELECT id, ip, port, sni, starttls, host FROM endpoints"
		" WHERE ip = ?1 AND port = ?2 ORDER BY id";
	sqlite3_stmt *s;

	if (read_begin(st) != 0 || (s = prepare(st, sql, "finding the endpoint")) == NULL)
		return -1;
	bind_text(s, 1, ip);
	sqlite3_bind_int(s, 2, port);
	return each_endpoint(st, s, cb, arg, "finding the endpoint");
}

int store_each_sync_finding(struct store *st, const char *const *kinds, sync_finding_cb cb,
                            void *arg)
{
	/* The certificate to replace: the finding's own when some observation of this endpoint
	 * presented it as the leaf (position 0), else the leaf of the endpoint's latest ok
	 * observation. kinds arrive as one space-separated parameter (no SQL text is built). */
	static const char sql[] =
		"WITH f AS ("
		"  SELECT f.id, f.check_id, f.endpoint_id,"
		"   coalesce("
		"    (SELECT f.certificate_id WHERE EXISTS (SELECT 1 FROM observation_certs oc"
		"      JOIN observations o ON o.id = oc.observation_id"
		"      WHERE o.endpoint_id = f.endpoint_id AND oc.position = 0"
		"        AND oc.certificate_id = f.certificate_id)),"
		"    (SELECT oc.certificate_id FROM observations o"
		"      JOIN observation_certs oc ON oc.observation_id = o.id AND oc.position = 0"
		"      WHERE o.endpoint_id = f.endpoint_id AND o.status = 'ok'"
		"      ORDER BY o.observed_at DESC, o.id DESC LIMIT 1)) AS cert_id"
		"  FROM findings f"
		"  WHERE f.status = 'open' AND instr(' ' || ?1 || ' ', ' ' || f.check_id || ' ') > 0"
		")"
		" SELECT f.id, f.check_id, f.endpoint_id, coalesce(f.cert_id, 0),"
		"  coalesce(c.subject_cn, ''), coalesce(c.sans, ''), coalesce(c.not_after_unix, 0)"
		" FROM f LEFT JOIN certificates c ON c.id = f.cert_id ORDER BY f.id";
	char kind_text[512];
	size_t used = 0;
	sqlite3_stmt *s;
	int rc = SQLITE_DONE, ret = 0;

	kind_text[0] = '\0';
	for (size_t i = 0; kinds != NULL && kinds[i] != NULL; i++) {
		int n = snprintf(kind_text + used, sizeof(kind_text) - used, "%s%s", used ? " " : "",
		                 kinds[i]);

		if (n < 0 || (size_t)n >= sizeof(kind_text) - used)
			return store_seterr(st, "too many finding kinds");
		used += (size_t)n;
	}
	if (read_begin(st) != 0 || (s = prepare(st, sql, "reading open findings")) == NULL)
		return -1;
	bind_text(s, 1, kind_text);
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct sync_finding f = {
			.finding_id = sqlite3_column_int64(s, 0),
			.check_id = col(s, 1),
			.endpoint_id = sqlite3_column_int64(s, 2),
			.certificate_id = sqlite3_column_int64(s, 3),
			.common_name = col(s, 4),
			.sans = col(s, 5),
			.not_after = sqlite3_column_int64(s, 6),
		};

		ret = cb(arg, &f);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_sqlerr(st, "reading open findings");
	sqlite3_finalize(s);
	return ret;
}
