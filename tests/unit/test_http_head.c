/* test_http_head.c: the HTTP response head parser (status, Strict-Transport-Security). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scanner/http_head.h"

static struct http_head parse(const char *s)
{
	struct http_head h;

	http_head_parse(s, strlen(s), &h);
	return h;
}

/* What nginx 1.22 sends with add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always; */
static void test_nginx(void **state)
{
	struct http_head h = parse("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 25 Nov 2026 18:00:00 GMT\r\n"
	                           "Content-Type: text/html\r\nContent-Length: 3\r\nConnection: close\r\n"
	                           "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n\r\nok\n");

	(void)state;
	assert_int_equal(h.is_http, 1);
	assert_int_equal(h.status, 200);
	assert_int_equal(h.hsts, 1);
	assert_int_equal(h.hsts_max_age, 31536000);
	assert_int_equal(h.hsts_subdomains, 1);
	assert_int_equal(h.hsts_preload, 0);
}

static void test_variants(void **state)
{
	struct http_head h;

	(void)state;
	h = parse("HTTP/1.0 301 Moved\nstrict-transport-security:MAX-AGE=\"86400\";preload\n\n");
	assert_int_equal(h.status, 301);
	assert_int_equal(h.hsts_max_age, 86400);
	assert_int_equal(h.hsts_preload, 1);
	/* only the first header counts (RFC 6797 8.1) */
	h = parse("HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=10\r\nStrict-Transport-Security: max-age=99999999\r\n\r\n");
	assert_int_equal(h.hsts_max_age, 10);
	/* absent */
	h = parse("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(h.status, 404);
	assert_int_equal(h.hsts, 0);
	assert_int_equal(h.hsts_max_age, -1);
	/* present but max-age missing, negative, not a number, unterminated quote, overflow */
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nStrict-Transport-Security: includeSubDomains\r\n\r\n").hsts_max_age, -1);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=-5\r\n\r\n").hsts_max_age, -1);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=1y\r\n\r\n").hsts_max_age, -1);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=\"5\r\n\r\n").hsts_max_age, -1);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=99999999999999999999999\r\n\r\n")
	                     .hsts_max_age, -1);
	/* a header after the empty line is body, not a header */
	assert_int_equal(parse("HTTP/1.1 200 OK\r\n\r\nStrict-Transport-Security: max-age=1\r\n").hsts, 0);
	/* not HTTP at all */
	h = parse("220 mail ESMTP\r\n");
	assert_int_equal(h.is_http, 0);
	assert_int_equal(h.status, 0);
	/* a truncated status line */
	assert_int_equal(parse("HTTP/1.1 2").status, 0);
}

static void test_not_nul_terminated(void **state)
{
	char buf[64];
	struct http_head h;

	(void)state;
	memset(buf, 'A', sizeof(buf));
	memcpy(buf, "HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=7", 53);
	http_head_parse(buf, 53, &h); /* the max-age digits end the buffer */
	assert_int_equal(h.hsts_max_age, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nginx),
		cmocka_unit_test(test_variants),
		cmocka_unit_test(test_not_nul_terminated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
