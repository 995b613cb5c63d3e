/*
 * assets.h: the dashboard's front-end (report/assets/report.js and report.css), embedded at build
 * time: tools/embed.sh turns each file into a C array in $(BUILD)/gen/report_assets.c (Makefile),
 * so the binary writes a self-contained page without reading any file at run time.
 *
 * Each array holds the file's bytes followed by a NUL; the _len variable is the file's size
 * (the NUL not counted). Static, read-only storage.
 */
#ifndef CS_REPORT_ASSETS_H
#define CS_REPORT_ASSETS_H

#include <stddef.h>

extern const char report_js[];
extern const size_t report_js_len;
extern const char report_css[];
extern const size_t report_css_len;

#endif
