/*
 * deep.h: the deep-analysis pipeline shared by `certsweep analyze HOST` and
 * `certsweep scan --checks advanced`.
 *
 *   ok scan result (obs, an) --deep_start--> probe_host (scanner/probe_run.h) on the loop
 *        --> profile --> configuration checks + grade --> store_add_analysis --> emit callback
 *
 * deep_start copies the observation and takes the analysis (the engine frees its own); both are
 * freed once emit has returned. The command owns struct deep and everything it points to.
 */
#ifndef CS_CLI_DEEP_H
#define CS_CLI_DEEP_H

#include <stdint.h>

#include "analyzer/analyzer.h"
#include "report/analyze_doc.h"
#include "scanner/probe_run.h"

struct engine;
struct store;

typedef void (*deep_emit_cb)(void *arg, const struct deep_report *r);

struct deep {
	struct engine *eng;          /* borrowed */
	struct store *st;            /* borrowed, NULL: not stored */
	int64_t scan_id;
	struct probe_options popt;
	deep_emit_cb emit;
	void *emit_arg;            /* also given to abandon */
	/* Optional: an analysis the stopped engine abandoned (SIGINT); its endpoint and certificate
	 * analysis are still worth recording. */
	void (*abandon)(void *arg, const struct observation *obs, const struct analysis *an);
	unsigned pending;            /* analyses started and not yet emitted */
	int store_failed;            /* a store write failed (message in the store) */
};

/* Starts the deep analysis of an ok endpoint. Takes ownership of an (frees it even on failure).
 * Returns 0, or -1 with err. */
int deep_start(struct deep *d, const struct observation *obs, struct analysis *an, char *err, size_t errlen);

#endif
