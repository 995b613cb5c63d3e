/*
 * http_head.h: reads what the deep analysis needs from an HTTP response head (untrusted bytes
 * from the server): the status code and Strict-Transport-Security (RFC 6797).
 */
#ifndef CS_HTTP_HEAD_H
#define CS_HTTP_HEAD_H

#include <stddef.h>

#define HTTP_HEAD_MAX (16 * 1024)

struct http_head {
	int is_http;          /* the bytes start with "HTTP/" */
	int status;           /* status code, 0 when unreadable */
	int hsts;             /* a Strict-Transport-Security header is present */
	long hsts_max_age;    /* seconds; -1 when absent or invalid (RFC 6797 6.1.1: required) */
	int hsts_subdomains;
	int hsts_preload;
};

/* Parses at most HTTP_HEAD_MAX bytes of buf (no NUL needed). Only the first STS header counts
 * (RFC 6797 8.1); directive names are case-insensitive; max-age may be quoted; a value that is
 * not a plain non-negative number makes max-age -1. */
void http_head_parse(const char *buf, size_t len, struct http_head *out);

#endif
