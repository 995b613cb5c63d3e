/*
 * summary.h: the numbers a report's summary and charts show, computed from a snapshot
 * (store/inventory.h). Pure: no I/O. The HTML dashboard and the JSON report print them.
 *
 * Counted over leaf certificates (those some endpoint of the snapshot serves as its leaf):
 *   unique_certs, expired (not_after <= now), expiring_7/30/90 (not expired, not_after within
 *   7/30/90 days of now: cumulative), non_preferred (preferred == 0), untrusted (trusted == 0),
 *   expiry_weeks[i] (not expired, not_after in [now + i weeks, now + i+1 weeks)),
 *   issuers (by issuer_org, else issuer_cn, else "(unknown)").
 * Counted over endpoints: endpoints (all observed), tls (status ok), grades (endpoints with a
 * deep analysis, by grade; the rest of the TLS endpoints under "none"), protocols (negotiated
 * version of TLS endpoints), countries (endpoints with a country; empty without GeoIP data).
 */
#ifndef CS_REPORT_SUMMARY_H
#define CS_REPORT_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "store/inventory.h"

#define SUMMARY_WEEKS 52
#define SUMMARY_TOP 10

/* One bar of a chart: label borrowed from the inventory (or static), count. */
struct summary_bar {
	const char *label;
	size_t n;
};

struct report_summary {
	int64_t now;
	size_t endpoints, tls;
	size_t unique_certs, expired, expiring_7, expiring_30, expiring_90;
	size_t non_preferred, untrusted;
	size_t passive_only;               /* endpoints no active sweep ever observed */
	/* Grades in the order A+ A A- B C D E F T M none; absent grades have n 0. */
	struct summary_bar grades[11];
	size_t expiry_weeks[SUMMARY_WEEKS];
	size_t expiry_later;               /* not expired, a year or more away */
	/* Top issuers, most certificates first (ties by label); the rest summed in issuers_other. */
	struct summary_bar issuers[SUMMARY_TOP];
	size_t n_issuers, issuers_other;
	/* Negotiated versions, most endpoints first (ties by label). */
	struct summary_bar protocols[8];
	size_t n_protocols;
	/* Countries, most endpoints first; n_countries 0 without GeoIP data. */
	struct summary_bar countries[SUMMARY_TOP];
	size_t n_countries, countries_other;
};

/* Fills *s from inv as of now. Returns 0, or -1 when memory runs out. */
int report_summarize(const struct inventory *inv, int64_t now, struct report_summary *s);

#endif
