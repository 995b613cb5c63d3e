/*
 * orders.h: the renewal pipeline's order lifecycle (issue 4, first part): statuses, the Janet
 * Certificate Service (JCS) request states, the transition tables, the CA/Browser Forum default
 * duration, lineage keys, and `orders sync` (findings -> orders).
 *
 * Statuses (stored by name, exactly as below, in orders.status):
 *
 *   Waiting for CSR --> Processing --> Issued --> Installed
 *         |   ^            |   ^  |
 *         |   '------------'   |  '--> Awaiting payment --> Processing / Issued
 *         |                    |
 *         '--> Cancelled       '--> Rejected
 *
 *   Every open status may go to Cancelled; Processing and Awaiting payment may go to Rejected;
 *   Processing may go back to Waiting for CSR (a new CSR is needed). Installed, Rejected and
 *   Cancelled are final: nothing leaves them. The table in lifecycle.c is the reference.
 *
 * CA states (orders.ca_state, NULL until the request reaches a CA):
 *
 *   (none) --> Accepted for automatic processing --> Accepted by CA --> Certificate available
 *      |                     |          '-----------------------------> for download
 *      '--> Waiting for manual approval --> Accepted by CA              (final)
 *      '--> Rejected by CA (final; reachable from every non-final state)
 *
 * A CA state can only be set on an order that has left Waiting for CSR, and neither a status
 * nor a CA state of a closed order (Installed, Rejected, Cancelled) changes any more.
 *
 * Lineage: the sorted, lower-cased set of SAN names (with the common name when there is no SAN)
 * and the sorted endpoint ids: "a.example,b.example|3,17". Keys longer than
 * ORDERS_LINEAGE_MAX are replaced by "sha256:" + the hex digest of the full text, so keys stay
 * bounded whatever a certificate holds.
 *
 * Nothing here prints or exits: functions return -1 with a message in err.
 */
#ifndef CS_ORDERS_H
#define CS_ORDERS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct store;

enum order_status {
	ORDER_WAITING_CSR,
	ORDER_PROCESSING,
	ORDER_AWAITING_PAYMENT,
	ORDER_ISSUED,
	ORDER_INSTALLED,
	ORDER_REJECTED,
	ORDER_CANCELLED,
	ORDER_STATUS_COUNT
};

enum ca_state {
	CA_NONE = -1,                   /* not submitted to a CA: NULL in the database */
	CA_ACCEPTED_AUTO,
	CA_WAITING_APPROVAL,
	CA_ACCEPTED,
	CA_REJECTED,
	CA_CERT_AVAILABLE,
	CA_STATE_COUNT
};

/* Names as stored and printed ("Waiting for CSR"); static storage. NULL when out of range
 * (ca_state_name(CA_NONE) is NULL too). */
const char *order_status_name(enum order_status s);
const char *ca_state_name(enum ca_state s);
/* Parses a name: the exact name in any case ("processing"), or its slug with '-' or '_' for
 * spaces ("waiting-for-csr", "awaiting_payment"). Returns 0, or -1 when unknown. For CA states
 * "none" parses as CA_NONE. */
int order_status_parse(const char *name, enum order_status *out);
int ca_state_parse(const char *name, enum ca_state *out);
/* 1 for Installed, Rejected and Cancelled. */
int order_status_closed(enum order_status s);

/* 1 when the table allows from -> to (a status never goes to itself). */
int orders_transition_allowed(enum order_status from, enum order_status to);
/* 1 when the CA table allows from -> to (from may be CA_NONE; to never is). */
int orders_ca_transition_allowed(enum ca_state from, enum ca_state to);
/* Validates a whole change of order `id`: status from -> to (to == from when only the CA state
 * changes) and CA state ca_from -> ca_to (ca_to == ca_from when it does not change). Returns 0,
 * or -1 with e.g. "order 12: cannot go from Issued to Waiting for CSR" in err. */
int orders_check_change(int64_t id, enum order_status from, enum order_status to,
                        enum ca_state ca_from, enum ca_state ca_to, char *err, size_t errlen);

/* The CA/Browser Forum (ballot SC081) maximum lifetime in days of a certificate issued at
 * issue_date: 398 before 2026-03-15, 200 from then, 100 from 2027-03-15, 47 from 2029-03-15
 * (each date at 00:00:00 UTC). */
int orders_default_duration(time_t issue_date);

/* Bound of a lineage key; longer ones are hashed (see above). */
#define ORDERS_LINEAGE_MAX 4096

/* The lineage key of a SAN list (space-separated; "DNS:" and "IP:" prefixes are dropped, so a
 * certificate's stored SANs and names typed by hand give the same key) and endpoint ids.
 * cn is used when sans holds no name. Returns a malloc'd string (caller frees), or NULL with
 * err (out of memory, or no name at all). */
char *orders_lineage_key(const char *sans, const char *cn, const int64_t *endpoint_ids,
                         size_t n_endpoints, char *err, size_t errlen);
/* The SAN list as orders.sans stores it: names in their first-seen order, prefixes dropped,
 * duplicates (ignoring case) removed, space-separated. malloc'd; NULL when out of memory. */
char *orders_sans_text(const char *sans);

/* ---------------------------------------------------------------- orders sync */

/* Most open findings one sync reads; more is refused with a clear error rather than eating
 * memory (run it again after resolving some, or raise this bound). */
#define ORDERS_SYNC_MAX_FINDINGS 200000

/* One lineage sync found. Strings are borrowed for the callback only; cn and sans come from
 * certificates and must be escaped before printing. */
struct sync_order {
	int64_t order_id;               /* the new order's id; the open order's when existing */
	int existing;                   /* 1: an open order already covers this lineage */
	const char *lineage_key;
	const char *common_name;
	const char *sans;               /* space-separated, as orders.sans */
	const char *reason;             /* space-separated "check.id#finding_id" */
	const int64_t *endpoint_ids;
	size_t n_endpoints;
	int64_t certificate_id;         /* the certificate being replaced */
	int duration_days;
};
typedef void (*sync_order_cb)(void *arg, const struct sync_order *o);

struct sync_result {
	size_t findings;                /* open findings of the sync kinds read */
	size_t lineages;                /* distinct lineages among them */
	size_t created;                 /* new orders (would-be new orders with dry_run) */
	size_t existing;                /* lineages that already had an open order */
	size_t skipped;                 /* findings without a certificate name */
};

/* The finding kinds sync turns into orders; NULL-terminated. */
extern const char *const orders_sync_kinds[];

/* For each open finding of orders_sync_kinds, groups by lineage (the certificate's SAN set and
 * every endpoint with such a finding for that SAN set), and creates one order (Waiting for CSR,
 * created_by sync, duration orders_default_duration(now)) per lineage with no open order.
 * Idempotent. dry_run: create nothing, report what would be created. cb (may be NULL) is
 * called once per lineage, in the order of the sorted SAN sets. A finding whose endpoint has no
 * known leaf certificate (so no name to order) is skipped and counted. Returns 0, or -1 with
 * err (orders created before a failure stay: each is complete on its own). */
int orders_sync(struct store *st, time_t now, int dry_run, sync_order_cb cb, void *arg,
                struct sync_result *res, char *err, size_t errlen);

#endif
