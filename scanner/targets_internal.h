/*
 * targets_internal.h: the parts of scanner/targets.c that tests and fuzz targets reach, but
 * the rest of certsweep does not need. Not a public interface: it may change with targets.c.
 */
#ifndef CS_TARGETS_INTERNAL_H
#define CS_TARGETS_INTERNAL_H

#include <stddef.h>
#include <stdio.h>

#include "scanner/targets.h"

/* Bounds on hostile or mistaken input (every growing buffer has a maximum). */
#define TARGETS_MAX_LINE 4096            /* bytes per line of a targets/exclusions file */
#define TARGETS_MAX_SPEC 1024            /* bytes per target spec */
#define TARGETS_MAX_ENTRIES (1u << 22)   /* targets added (lines, specs) */
#define TARGETS_MAX_EXCLUDES (1u << 22)  /* exclusions added */
#define TARGETS_MAX_BLOCKS (1u << 24)    /* blocks after exclusions split the intervals */

/* targets_load_file() over an open stream; name is used in messages ("name:line: ..."). The
 * stream is borrowed (not closed). On error nothing from this stream stays in the set. */
int targets_load_stream(struct target_set *ts, FILE *f, const char *name, int exclude,
                        char *err, size_t errlen);

/* Number of blocks after targets_finalize (0 before): memory is proportional to it, never to
 * the number of addresses. */
size_t targets_block_count(const struct target_set *ts);

#endif
