/*
 * alerts.h: `certsweep alerts`: which alerts are due, and the channels that deliver them.
 *
 * Kinds of alert:
 *   expiry          a certificate currently served (store_each_served_cert) whose days left
 *                   (floor((not_after - now) / 86400)) are at or below a threshold. The due
 *                   threshold is the smallest one crossed (days_left <= t); an expired
 *                   certificate (not_after <= now) has threshold 0. Each (certificate,
 *                   threshold) is sent once per channel: an alert is due only when nothing was
 *                   sent for it at that threshold or a smaller one (a later crossing).
 *   non_preferred   an open issuer.non_preferred finding first seen since the channel's last
 *                   successful run (all of them on the first run), once per finding.
 *   failed_renewal  an order in Rejected or with CA state "Rejected by CA", once per order.
 *
 * Channels are a const table (alerts_channels): a channel spec is NAME or NAME:ARG. Each gets
 * the due alerts of that channel in one call; only when it returns 0 are they marked sent, so
 * a failed channel retries them next run. The ics channel is an export: it gets one expiry
 * entry for every served certificate on every run (alert state is not consulted for it).
 *
 * Library code: nothing here exits; the stdout channel writes to ctx->out; errors go to err.
 */
#ifndef CS_ALERTS_H
#define CS_ALERTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

struct store;

#define ALERTS_MAX_THRESHOLDS 16
#define ALERTS_MAX 100000          /* alerts per run and channel: the rest wait for next run */

enum alert_kind { ALERT_EXPIRY, ALERT_NON_PREFERRED, ALERT_FAILED_RENEWAL };

/* One alert; every string owned by it (alert_list_free), hostile text as stored. */
struct alert {
	enum alert_kind kind;
	char *key;                     /* certificate SHA-256, finding id or order id */
	int threshold;                 /* days (0: expired); 0 for the other kinds */
	int days_left;                 /* meaningful when not_after != 0 */
	int64_t not_after;             /* unix seconds, 0 when unknown */
	char *not_after_iso;           /* "" when unknown */
	char *subject_cn, *sha256;     /* "" when unknown */
	char *endpoints;               /* newline-separated, "" when none */
	char *detail;                  /* e.g. "order 3: Rejected", "" when none */
};

struct alert_list {
	struct alert *v;               /* owned */
	size_t n, cap;
};
void alert_list_free(struct alert_list *l);
/* Appends a copy of a (strings duplicated; NULL strings become ""). 0, -1 on allocation
 * failure or when ALERTS_MAX is reached. */
int alert_list_add(struct alert_list *l, const struct alert *a);
/* "expiry", "non_preferred", "failed_renewal". */
const char *alert_kind_name(enum alert_kind k);

/* Parses "30,14,7,1" (1..3650 each, at most ALERTS_MAX_THRESHOLDS, duplicates dropped) into
 * out sorted in decreasing order. Returns the count, or -1 with err. */
int alerts_parse_thresholds(const char *s, int *out, size_t max, char *err, size_t errlen);
/* floor((not_after - now) / 86400). */
int alerts_days_left(int64_t not_after, int64_t now);
/* The due threshold of a certificate: 0 when expired, else the smallest threshold t with
 * days_left <= t, or -1 when none is crossed. thresholds in any order. */
int alerts_due_threshold(int64_t not_after, int64_t now, const int *thresholds, size_t n);

/* What a channel sends with. Strings borrowed. */
struct alert_ctx {
	const char *arg;               /* the part after "NAME:", "" when none */
	const char *mail_from, *mail_to;
	long timeout_ms;
	time_t now;
	FILE *out;                     /* stdout channel */
};

struct alert_channel {
	const char *name;
	int needs_arg;                 /* NAME:ARG required */
	int export_all;                /* gets every served certificate, not the due alerts */
	int (*send)(const struct alert_ctx *ctx, const struct alert *a, size_t n, char *err,
	            size_t errlen);
};
extern const struct alert_channel alerts_channels[];
extern const size_t alerts_n_channels;
/* The channel of spec ("webhook:http://..."), with *arg pointing into spec; NULL with err
 * when unknown or when its argument is missing. */
const struct alert_channel *alerts_find_channel(const char *spec, const char **arg, char *err,
                                                size_t errlen);

/* Collects the alerts due on channel (its full spec is the state's channel key) into out.
 * For an export_all channel, every served certificate. 0, or -1 with err. */
int alerts_collect(struct store *st, const struct alert_channel *ch, const char *spec,
                   const int *thresholds, size_t n_thresholds, int64_t now,
                   struct alert_list *out, char *err, size_t errlen);
/* Marks them sent on spec and records the run at now. 0, or -1 with err. */
int alerts_mark_sent(struct store *st, const struct alert_channel *ch, const char *spec,
                     const struct alert_list *l, int64_t now, char *err, size_t errlen);

/* The RFC 5545 calendar of a's expiry dates (one VEVENT per alert with a known not_after),
 * CRLF line ends, lines folded at 75 octets. *out is malloc'd and NUL-terminated (caller
 * frees). 0, -1 on allocation failure. */
int alerts_ics_render(const struct alert *a, size_t n, time_t now, char **out, size_t *len);
/* The webhook's JSON document {"alerts":[...]}, malloc'd (caller frees); NULL on failure. */
char *alerts_json(const struct alert *a, size_t n);

#endif
