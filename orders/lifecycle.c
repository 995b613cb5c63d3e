/*
 * lifecycle.c: the order state machine (see orders.h for the diagrams), the CA/Browser Forum
 * default duration and lineage keys.
 *
 * Transitions are two const tables, one bit per allowed target: status_next[from] has bit `to`
 * set when from -> to is legal, ca_next[from + 1] likewise (index 0 is "no CA state yet").
 * orders_check_change adds the rules that tie the two together (no CA state before a CSR went
 * out, nothing changes on a closed order).
 *
 * Lineage key: split the SAN text on spaces, drop "DNS:"/"IP:" prefixes, lower-case, sort,
 * remove duplicates, join with ','; then '|' and the sorted, de-duplicated endpoint ids joined
 * with ','. Over ORDERS_LINEAGE_MAX bytes the key becomes "sha256:<hex of the full text>".
 */
#include "orders/orders.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/sha.h>

#include "core/hex.h"

static const char *const status_names[ORDER_STATUS_COUNT] = {
	[ORDER_WAITING_CSR] = "Waiting for CSR",
	[ORDER_PROCESSING] = "Processing",
	[ORDER_AWAITING_PAYMENT] = "Awaiting payment",
	[ORDER_ISSUED] = "Issued",
	[ORDER_INSTALLED] = "Installed",
	[ORDER_REJECTED] = "Rejected",
	[ORDER_CANCELLED] = "Cancelled",
};

static const char *const ca_names[CA_STATE_COUNT] = {
	[CA_ACCEPTED_AUTO] = "Accepted for automatic processing",
	[CA_WAITING_APPROVAL] = "Waiting for manual approval",
	[CA_ACCEPTED] = "Accepted by CA",
	[CA_REJECTED] = "Rejected by CA",
	[CA_CERT_AVAILABLE] = "Certificate available for download",
};

#define B(x) (1u << (x))

/* from -> allowed targets. */
static const unsigned status_next[ORDER_STATUS_COUNT] = {
	[ORDER_WAITING_CSR] = B(ORDER_PROCESSING) | B(ORDER_CANCELLED),
	[ORDER_PROCESSING] = B(ORDER_WAITING_CSR) | B(ORDER_AWAITING_PAYMENT) | B(ORDER_ISSUED) |
	                     B(ORDER_REJECTED) | B(ORDER_CANCELLED),
	[ORDER_AWAITING_PAYMENT] = B(ORDER_PROCESSING) | B(ORDER_ISSUED) | B(ORDER_REJECTED) |
	                           B(ORDER_CANCELLED),
	[ORDER_ISSUED] = B(ORDER_INSTALLED) | B(ORDER_CANCELLED),
	[ORDER_INSTALLED] = 0,
	[ORDER_REJECTED] = 0,
	[ORDER_CANCELLED] = 0,
};

/* from + 1 (0: no CA state yet) -> allowed targets. */
static const unsigned ca_next[CA_STATE_COUNT + 1] = {
	[0] = B(CA_ACCEPTED_AUTO) | B(CA_WAITING_APPROVAL) | B(CA_REJECTED),
	[1 + CA_ACCEPTED_AUTO] = B(CA_ACCEPTED) | B(CA_CERT_AVAILABLE) | B(CA_REJECTED),
	[1 + CA_WAITING_APPROVAL] = B(CA_ACCEPTED) | B(CA_REJECTED),
	[1 + CA_ACCEPTED] = B(CA_CERT_AVAILABLE) | B(CA_REJECTED),
	[1 + CA_REJECTED] = 0,
	[1 + CA_CERT_AVAILABLE] = 0,
};

const char *order_status_name(enum order_status s)
{
	if ((int)s < 0 || s >= ORDER_STATUS_COUNT)
		return NULL;
	return status_names[s];
}

const char *ca_state_name(enum ca_state s)
{
	if ((int)s < 0 || s >= CA_STATE_COUNT)
		return NULL;
	return ca_names[s];
}

/* 1 when name equals canon ignoring case, with '-' or '_' in name standing for a space. */
static int name_matches(const char *name, const char *canon)
{
	size_t i;

	for (i = 0; name[i] != '\0' && canon[i] != '\0'; i++) {
		char c = name[i];

		if (c == '-' || c == '_')
			c = ' ';
		if (tolower((unsigned char)c) != tolower((unsigned char)canon[i]))
			return 0;
	}
	return name[i] == '\0' && canon[i] == '\0';
}

int order_status_parse(const char *name, enum order_status *out)
{
	for (int i = 0; name != NULL && i < ORDER_STATUS_COUNT; i++)
		if (name_matches(name, status_names[i])) {
			*out = (enum order_status)i;
			return 0;
		}
	return -1;
}

int ca_state_parse(const char *name, enum ca_state *out)
{
	if (name == NULL)
		return -1;
	if (strcasecmp(name, "none") == 0) {
		*out = CA_NONE;
		return 0;
	}
	for (int i = 0; i < CA_STATE_COUNT; i++)
		if (name_matches(name, ca_names[i])) {
			*out = (enum ca_state)i;
			return 0;
		}
	return -1;
}

int order_status_closed(enum order_status s)
{
	return s == ORDER_INSTALLED || s == ORDER_REJECTED || s == ORDER_CANCELLED;
}

int orders_transition_allowed(enum order_status from, enum order_status to)
{
	if ((int)from < 0 || from >= ORDER_STATUS_COUNT || (int)to < 0 || to >= ORDER_STATUS_COUNT)
		return 0;
	return (status_next[from] & B(to)) != 0;
}

int orders_ca_transition_allowed(enum ca_state from, enum ca_state to)
{
	if ((int)from < CA_NONE || from >= CA_STATE_COUNT || (int)to < 0 || to >= CA_STATE_COUNT)
		return 0;
	return (ca_next[from + 1] & B(to)) != 0;
}

static const char *ca_label(enum ca_state s)
{
	return s == CA_NONE ? "(none)" : ca_state_name(s);
}

int orders_check_change(int64_t id, enum order_status from, enum order_status to,
                        enum ca_state ca_from, enum ca_state ca_to, char *err, size_t errlen)
{
	if (order_status_name(from) == NULL || order_status_name(to) == NULL ||
	    (ca_from != CA_NONE && ca_state_name(ca_from) == NULL) ||
	    (ca_to != CA_NONE && ca_state_name(ca_to) == NULL)) {
		snprintf(err, errlen, "order %" PRId64 ": unknown status or CA state", id);
		return -1;
	}
	if (order_status_closed(from)) {
		snprintf(err, errlen, "order %" PRId64 ": cannot change a %s order (%s is final)", id,
		         from == ORDER_CANCELLED ? "cancelled" :
		         from == ORDER_REJECTED ? "rejected" : "installed", status_names[from]);
		return -1;
	}
	if (from == to && ca_from == ca_to) {
		snprintf(err, errlen, "order %" PRId64 ": already %s%s%s", id, status_names[from],
		         ca_from != CA_NONE ? ", " : "", ca_from != CA_NONE ? ca_names[ca_from] : "");
		return -1;
	}
	if (from != to && !orders_transition_allowed(from, to)) {
		snprintf(err, errlen, "order %" PRId64 ": cannot go from %s to %s", id,
		         status_names[from], status_names[to]);
		return -1;
	}
	if (ca_from != ca_to) {
		if (ca_to == CA_NONE || !orders_ca_transition_allowed(ca_from, ca_to)) {
			snprintf(err, errlen, "order %" PRId64 ": cannot go from CA state %s to %s", id,
			         ca_label(ca_from), ca_label(ca_to));
			return -1;
		}
		if (to == ORDER_WAITING_CSR) {
			snprintf(err, errlen, "order %" PRId64 ": no CA state while %s (nothing was "
			         "submitted to a CA yet)", id, status_names[to]);
			return -1;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- duration */

int orders_default_duration(time_t issue_date)
{
	/* SC081's dates at 00:00:00 UTC, as unix seconds. */
	static const struct { int64_t from; int days; } steps[] = {
		{ 1868227200, 47 },   /* 2029-03-15 */
		{ 1805068800, 100 },  /* 2027-03-15 */
		{ 1773532800, 200 },  /* 2026-03-15 */
	};

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if ((int64_t)issue_date >= steps[i].from)
			return steps[i].days;
	return 398;
}

/* ---------------------------------------------------------------- lineage */

/* Splits sans into malloc'd, prefix-less names (lower-cased when lower): *names owns them.
 * Returns the count, or -1 when out of memory. */
static long split_names(const char *sans, int lower, char ***names)
{
	size_t n = 0, cap = 0;
	char **v = NULL;
	const char *p = sans != NULL ? sans : "";

	*names = NULL;
	while (*p != '\0') {
		const char *start, *end;
		char *name;

		while (*p == ' ')
			p++;
		start = p;
		while (*p != '\0' && *p != ' ')
			p++;
		end = p;
		if (end - start > 4 && strncasecmp(start, "DNS:", 4) == 0)
			start += 4;
		else if (end - start > 3 && strncasecmp(start, "IP:", 3) == 0)
			start += 3;
		if (end == start)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			char **nv = realloc(v, ncap * sizeof(*v));

			if (nv == NULL)
				goto oom;
			v = nv;
			cap = ncap;
		}
		name = strndup(start, (size_t)(end - start));
		if (name == NULL)
			goto oom;
		for (char *c = name; lower && *c != '\0'; c++)
			*c = (char)tolower((unsigned char)*c);
		v[n++] = name;
	}
	*names = v;
	return (long)n;
oom:
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return -1;
}

static void free_names(char **names, long n)
{
	for (long i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

char *orders_sans_text(const char *sans)
{
	char **names = NULL;
	long n = split_names(sans, 0, &names);
	size_t len = 1, used = 0;
	char *out;

	if (n < 0)
		return NULL;
	for (long i = 0; i < n; i++)
		len += strlen(names[i]) + 1;
	out = malloc(len);
	if (out == NULL)
		goto out;
	out[0] = '\0';
	for (long i = 0; i < n; i++) {
		int dup = 0;
		size_t l = strlen(names[i]);

		for (long j = 0; j < i && !dup; j++)
			dup = strcasecmp(names[i], names[j]) == 0;
		if (dup)
			continue;
		if (used > 0)
			out[used++] = ' ';
		memcpy(out + used, names[i], l + 1);
		used += l;
	}
out:
	free_names(names, n);
	return out;
}

char *orders_lineage_key(const char *sans, const char *cn, const int64_t *endpoint_ids,
                         size_t n_endpoints, char *err, size_t errlen)
{
	char **names = NULL;
	int64_t *ids = NULL;
	char *key = NULL, *hashed = NULL;
	size_t len = 2, used = 0;
	long n = split_names(sans, 1, &names);

	if (n == 0 && cn != NULL && cn[0] != '\0') {
		free(names);
		n = split_names(cn, 1, &names);
	}
	if (n < 0)
		goto oom;
	if (n == 0) {
		snprintf(err, errlen, "no name to order a certificate for (no SAN and no common name)");
		goto out;
	}
	qsort(names, (size_t)n, sizeof(*names), cmp_str);
	if (n_endpoints > 0) {
		ids = malloc(n_endpoints * sizeof(*ids));
		if (ids == NULL)
			goto oom;
		memcpy(ids, endpoint_ids, n_endpoints * sizeof(*ids));
		qsort(ids, n_endpoints, sizeof(*ids), cmp_i64);
	}
	for (long i = 0; i < n; i++)
		len += strlen(names[i]) + 1;
	len += n_endpoints * 21;
	key = malloc(len);
	if (key == NULL)
		goto oom;
	for (long i = 0; i < n; i++) {
		size_t l = strlen(names[i]);

		if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
			continue;
		if (used > 0)
			key[used++] = ',';
		memcpy(key + used, names[i], l);
		used += l;
	}
	key[used++] = '|';
	for (size_t i = 0; i < n_endpoints; i++) {
		if (i > 0 && ids[i] == ids[i - 1])
			continue;
		used += (size_t)snprintf(key + used, len - used, "%s%" PRId64,
		                         key[used - 1] == '|' ? "" : ",", ids[i]);
	}
	key[used] = '\0';
	if (used > ORDERS_LINEAGE_MAX) {
		unsigned char md[SHA256_DIGEST_LENGTH];

		hashed = malloc(7 + 2 * sizeof(md) + 1);
		if (hashed == NULL)
			goto oom;
		SHA256((const unsigned char *)key, used, md);
		memcpy(hashed, "sha256:", 7);
		hex_encode(md, sizeof(md), hashed + 7);
		free(key);
		key = hashed;
	}
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
	free(key);
	key = NULL;
out:
	free_names(names, n < 0 ? 0 : n);
	free(ids);
	return key;
}
