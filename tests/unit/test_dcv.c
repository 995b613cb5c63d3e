/*
 * test_dcv.c: unit tests of orders/dcv.c (domain control validation values) and of the pure
 * parts of orders/dcv_check.c (content comparison, the redirect policy).
 *
 * The seed's worked example is reproduced exactly: MD5 c7fbc203... and SHA-256 c9c86340...
 * give "_c7fbc2039e400c8ef74129ec7db1842c.example.com CNAME
 * c9c863405fe7675a3988b97664ea6baf.442019e4e52fa335f406f7c5f26cf14f.comodoca.com." with the
 * Comodo profile. Then: the Sectigo profile and a unique value, the file path and content byte
 * for byte, the approver addresses and authorization domains, the DCV file written into a web
 * root with its modes under a umask of 077, and bad domains and unique values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the above first */
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "orders/dcv.h"
#include "orders/dcv_check.h"

#define MD5 "c7fbc2039e400c8ef74129ec7db1842c"
#define SHA "c9c863405fe7675a3988b97664ea6baf442019e4e52fa335f406f7c5f26cf14f"

static void example(struct dcv_values *v)
{
	char err[128];

	assert_int_equal(dcv_values_from_hex(MD5, SHA, v, err, sizeof(err)), 0);
}

static void test_worked_example(void **state)
{
	struct dcv_values v;
	char buf[512], err[128];

	(void)state;
	example(&v);
	assert_int_equal(dcv_cname_record(&v, ca_profile_find("comodo"), "example.com", NULL, buf,
					  sizeof(buf), err, sizeof(err)), 0);
	assert_string_equal(buf, "_c7fbc2039e400c8ef74129ec7db1842c.example.com CNAME "
				 "c9c863405fe7675a3988b97664ea6baf.442019e4e52fa335f406f7c5f26cf14f"
				 ".comodoca.com.");
	/* upper-case input digests give the same values */
	assert_int_equal(dcv_values_from_hex("C7FBC2039E400C8EF74129EC7DB1842C", SHA, &v, err,
					     sizeof(err)), 0);
	assert_string_equal(v.md5, MD5);
	assert_string_equal(v.md5_upper, "C7FBC2039E400C8EF74129EC7DB1842C");
}

static void test_profiles_and_unique(void **state)
{
	struct dcv_values v;
	char name[300], target[300], err[128];
	const struct ca_profile *s = ca_profile_find("Sectigo");

	(void)state;
	example(&v);
	assert_non_null(s);
	assert_string_equal(s->dcv_domain, "sectigo.com");
	assert_string_equal(ca_profile_find("comodo")->dcv_domain, "comodoca.com");
	assert_null(ca_profile_find("letsencrypt"));
	assert_int_equal(dcv_cname(&v, s, "*.WWW.Example.COM.", "ab12CD", name, sizeof(name), target,
				   sizeof(target), err, sizeof(err)), 0);
	assert_string_equal(name, "_" MD5 ".www.example.com");
	assert_string_equal(target, "c9c863405fe7675a3988b97664ea6baf.442019e4e52fa335f406f7c5f26cf14f"
				    ".ab12CD.sectigo.com.");
	assert_int_equal(dcv_cname(&v, s, "example.com", "bad.value", name, sizeof(name), target,
				   sizeof(target), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unique"));
}

static void test_http_file(void **state)
{
	struct dcv_values v;
	char buf[300], err[128];
	const struct ca_profile *c = ca_profile_find("comodo");

	(void)state;
	example(&v);
	dcv_http_path(&v, buf, sizeof(buf));
	assert_string_equal(buf, "/.well-known/pki-validation/C7FBC2039E400C8EF74129EC7DB1842C.txt");
	assert_int_equal(dcv_http_content(&v, c, NULL, buf, sizeof(buf), err, sizeof(err)), 78);
	assert_string_equal(buf, SHA "\ncomodoca.com\n");
	assert_int_equal(dcv_http_content(&v, ca_profile_find("sectigo"), "u1q2", buf, sizeof(buf),
					  err, sizeof(err)), 82);
	assert_string_equal(buf, SHA "\nsectigo.com\nu1q2\n");
	assert_int_equal(dcv_http_content(&v, c, "x y", buf, sizeof(buf), err, sizeof(err)), -1);
	assert_int_equal(dcv_http_content(&v, c, NULL, buf, 40, err, sizeof(err)), -1);
}

static void test_emails(void **state)
{
	char mails[20][DCV_EMAIL_MAX + 1], doms[DCV_MAX_AUTH_DOMAINS][DCV_DOMAIN_MAX + 1], err[128];
	static const char *const want[] = {
		"admin@a.b.example.com", "administrator@a.b.example.com",
		"hostmaster@a.b.example.com", "postmaster@a.b.example.com",
		"webmaster@a.b.example.com",
		"admin@b.example.com", "administrator@b.example.com", "hostmaster@b.example.com",
		"postmaster@b.example.com", "webmaster@b.example.com",
		"admin@example.com", "administrator@example.com", "hostmaster@example.com",
		"postmaster@example.com", "webmaster@example.com",
	};

	(void)state;
	assert_int_equal(dcv_emails("*.A.b.example.com", mails, 20, err, sizeof(err)), 15);
	for (size_t i = 0; i < 15; i++)
		assert_string_equal(mails[i], want[i]);
	assert_int_equal(dcv_emails("example.com", mails, 20, err, sizeof(err)), 5);
	assert_string_equal(mails[0], "admin@example.com");
	assert_string_equal(mails[4], "webmaster@example.com");
	assert_int_equal(dcv_emails("example.com", mails, 3, err, sizeof(err)), 3);
	assert_int_equal(dcv_auth_domains("www.example.com.", doms, DCV_MAX_AUTH_DOMAINS, err,
					  sizeof(err)), 2);
	assert_string_equal(doms[0], "www.example.com");
	assert_string_equal(doms[1], "example.com");
	assert_int_equal(dcv_emails("192.0.2.1", mails, 20, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "IP address"));
}

static void test_bad_domains(void **state)
{
	static const char *const bad[] = { "", "localhost", "exa_mple.com", "-a.com", "a-.com",
					   "a..com", "*.", "::1", "10.0.0.1", "a.com/evil",
					   "\x1b[2J.com" };
	char out[DCV_DOMAIN_MAX + 1], err[200], longname[300];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(dcv_domain_normalize(bad[i], out, sizeof(out), err, sizeof(err)), -1);
		assert_true(err[0] != '\0');
		assert_null(strchr(err, '\x1b'));
	}
	memset(longname, 'a', 299);
	longname[299] = '\0';
	for (int i = 60; i < 299; i += 61)
		longname[i] = '.';
	assert_int_equal(dcv_domain_normalize(longname, out, sizeof(out), err, sizeof(err)), -1);
	assert_int_equal(dcv_domain_normalize("*.Shop.Example.TEST.", out, sizeof(out), err,
					      sizeof(err)), 0);
	assert_string_equal(out, "shop.example.test");
}

static void test_write_file(void **state)
{
	struct dcv_values v;
	char dir[64] = "/tmp/certsweep-dcv-XXXXXX", path[300], err[200], buf[200] = "", p[300];
	struct stat st;
	FILE *f;
	size_t n;
	mode_t old;

	(void)state;
	example(&v);
	assert_non_null(mkdtemp(dir));
	old = umask(077);
	assert_int_equal(dcv_write_file(dir, &v, ca_profile_find("comodo"), NULL, path, sizeof(path),
					err, sizeof(err)), 0);
	/* again, with a unique value: the file is replaced */
	assert_int_equal(dcv_write_file(dir, &v, ca_profile_find("sectigo"), "Z9", path,
					sizeof(path), err, sizeof(err)), 0);
	umask(old);
	snprintf(p, sizeof(p), "%s/.well-known/pki-validation/" "C7FBC2039E400C8EF74129EC7DB1842C.txt",
		 dir);
	assert_string_equal(path, p);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_string_equal(buf, SHA "\nsectigo.com\nZ9\n");
	snprintf(p, sizeof(p), "%s/.well-known", dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	snprintf(p, sizeof(p), "%s/.well-known/pki-validation", dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);

	/* a web root that does not exist, and a .well-known that is a file */
	snprintf(p, sizeof(p), "%s/none", dir);
	assert_int_equal(dcv_write_file(p, &v, ca_profile_find("comodo"), NULL, NULL, 0, err,
					sizeof(err)), -1);
	snprintf(p, sizeof(p), "%s/root2", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/root2/.well-known", dir);
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/root2", dir);
	assert_int_equal(dcv_write_file(p, &v, ca_profile_find("comodo"), NULL, NULL, 0, err,
					sizeof(err)), -1);
	assert_non_null(strstr(err, "not a folder"));
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	assert_int_equal(system(p), 0);
}

static void test_compare_content(void **state)
{
	const char *want = SHA "\ncomodoca.com\n";
	char body[300];

	(void)state;
	assert_int_equal(dcv_compare_content(want, want, strlen(want)), 0);
	snprintf(body, sizeof(body), "%s \r\ncomodoca.com\t\r\n\r\n\n", SHA);
	assert_int_equal(dcv_compare_content(want, body, strlen(body)), 0);
	snprintf(body, sizeof(body), "%s\ncomodoca.com", SHA);  /* no final newline */
	assert_int_equal(dcv_compare_content(want, body, strlen(body)), 0);
	snprintf(body, sizeof(body), "%s\nsectigo.com\n", SHA);
	assert_int_equal(dcv_compare_content(want, body, strlen(body)), 2);
	snprintf(body, sizeof(body), "X%s\ncomodoca.com\n", SHA);
	assert_int_equal(dcv_compare_content(want, body, strlen(body)), 1);
	snprintf(body, sizeof(body), "%s\n", SHA);
	assert_int_equal(dcv_compare_content(want, body, strlen(body)), 2);
	snprintf(body, sizeof(body), "%s\ncomodoca.com\nextra\n", SHA);
	assert_int_equal(dcv_compare_content(want, body, strlen(body)), 3);
	snprintf(body, sizeof(body), " %s\ncomodoca.com\n", SHA);  /* leading blank counts */
	assert_int_equal(dcv_compare_content(want, body, strlen(body)), 1);
	assert_int_equal(dcv_compare_content(want, "", 0), 1);
	/* a NUL inside the body is a difference, not an end */
	memcpy(body, SHA "\ncomodoca.com\0x\n", 80);
	assert_int_equal(dcv_compare_content(want, body, 79), 2);
}

static void test_redirect_policy(void **state)
{
	const char *base = "http://example.test/.well-known/pki-validation/A.txt";
	char why[200];

	(void)state;
	assert_int_equal(dcv_redirect_allowed("example.test", base,
					      "https://example.test/.well-known/pki-validation/A.txt",
					      why, sizeof(why)), 1);
	assert_int_equal(dcv_redirect_allowed("example.test", base, "/other/A.txt", why,
					      sizeof(why)), 1);
	assert_int_equal(dcv_redirect_allowed("example.test", base, "http://EXAMPLE.test.:80/x",
					      why, sizeof(why)), 1);
	assert_int_equal(dcv_redirect_allowed("example.test", base, "https://example.test:443/x",
					      why, sizeof(why)), 1);
	assert_int_equal(dcv_redirect_allowed("example.test", base, "http://evil.test/x", why,
					      sizeof(why)), 0);
	assert_non_null(strstr(why, "redirect to another host not allowed"));
	assert_int_equal(dcv_redirect_allowed("example.test", base, "http://www.example.test/x",
					      why, sizeof(why)), 0);
	assert_int_equal(dcv_redirect_allowed("example.test", base, "http://example.test:8080/x",
					      why, sizeof(why)), 0);
	assert_string_equal(why, "redirect to port 8080 not allowed");
	assert_int_equal(dcv_redirect_allowed("example.test", base, "https://example.test:80/x",
					      why, sizeof(why)), 0);
	assert_int_equal(dcv_redirect_allowed("example.test", base, "ftp://example.test/x", why,
					      sizeof(why)), 0);
	assert_non_null(strstr(why, "scheme"));
	assert_int_equal(dcv_redirect_allowed("example.test", base, "http://[::1/x", why,
					      sizeof(why)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worked_example),
		cmocka_unit_test(test_profiles_and_unique),
		cmocka_unit_test(test_http_file),
		cmocka_unit_test(test_emails),
		cmocka_unit_test(test_bad_domains),
		cmocka_unit_test(test_write_file),
		cmocka_unit_test(test_compare_content),
		cmocka_unit_test(test_redirect_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
