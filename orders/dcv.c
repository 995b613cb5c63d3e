/*
 * dcv.c: see dcv.h. Pure string work over the two digests, plus one file writer. The worked
 * example of the seed (MD5 c7fbc203..., SHA-256 c9c86340..., example.com, Comodo) is in
 * tests/unit/test_dcv.c.
 */
#include "orders/dcv.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "core/text.h"
#include "orders/atomic_file.h"

const struct ca_profile ca_profiles[] = {
	{ "comodo", "comodoca.com", "Comodo CA, as the seed's DCV documents specify" },
	{ "sectigo", "sectigo.com", "Sectigo, today's DCV values" },
	{ NULL, NULL, NULL },
};

static const char *const email_locals[DCV_N_EMAIL_LOCALS] = {
	"admin", "administrator", "hostmaster", "postmaster", "webmaster",
};

const struct ca_profile *ca_profile_find(const char *name)
{
	for (const struct ca_profile *p = ca_profiles; name != NULL && p->name != NULL; p++)
		if (strcasecmp(p->name, name) == 0)
			return p;
	return NULL;
}

static void hex(const unsigned char *d, size_t n, char *out, int upper)
{
	static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
	const char *digits = upper ? up : lo;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void dcv_values_from_digests(const unsigned char md5[16], const unsigned char sha256[32],
			     struct dcv_values *v)
{
	hex(md5, 16, v->md5, 0);
	hex(md5, 16, v->md5_upper, 1);
	hex(sha256, 32, v->sha256, 0);
}

void dcv_values_from_der(const unsigned char *der, size_t len, struct dcv_values *v)
{
	unsigned char md5[16] = { 0 }, sha256[32] = { 0 };

	EVP_Digest(der, len, md5, NULL, EVP_md5(), NULL);
	EVP_Digest(der, len, sha256, NULL, EVP_sha256(), NULL);
	dcv_values_from_digests(md5, sha256, v);
}

static int unhex(const char *s, unsigned char *out, size_t n)
{
	if (s == NULL || strlen(s) != 2 * n)
		return -1;
	for (size_t i = 0; i < 2 * n; i++) {
		int c = tolower((unsigned char)s[i]), d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char)(d << 4);
		else
			out[i / 2] |= (unsigned char)d;
	}
	return 0;
}

int dcv_values_from_hex(const char *md5_hex, const char *sha256_hex, struct dcv_values *v,
			char *err, size_t errlen)
{
	unsigned char md5[16], sha256[32];

	if (unhex(md5_hex, md5, 16) != 0) {
		snprintf(err, errlen, "MD5 must be 32 hex digits");
		return -1;
	}
	if (unhex(sha256_hex, sha256, 32) != 0) {
		snprintf(err, errlen, "SHA-256 must be 64 hex digits");
		return -1;
	}
	dcv_values_from_digests(md5, sha256, v);
	return 0;
}

int dcv_domain_normalize(const char *in, char *out, size_t outlen, char *err, size_t errlen)
{
	char shown[80];
	size_t len, labels = 1, label = 0;
	unsigned char ip[16];

	text_terminal(shown, sizeof(shown), in ? in : "");
	if (in == NULL || outlen < DCV_DOMAIN_MAX + 1) {
		snprintf(err, errlen, "no domain");
		return -1;
	}
	if (in[0] == '*' && in[1] == '.')
		in += 2;
	len = strlen(in);
	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0 || len > DCV_DOMAIN_MAX) {
		snprintf(err, errlen, "'%s' is not a domain name (empty or over 253 bytes)", shown);
		return -1;
	}
	memcpy(out, in, len);
	out[len] = '\0';
	if (inet_pton(AF_INET, out, ip) == 1 || inet_pton(AF_INET6, out, ip) == 1) {
		snprintf(err, errlen, "'%s' is an IP address: DCV by file, CNAME or email needs a domain",
			 shown);
		return -1;
	}
	for (size_t i = 0; i <= len; i++) {
		char c = out[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || out[i - 1] == '-') {
				snprintf(err, errlen, "'%s' is not a domain name (bad label)", shown);
				return -1;
			}
			if (c == '.')
				labels++;
			label = 0;
			continue;
		}
		if (!(isalnum((unsigned char)c) || (c == '-' && label > 0))) {
			snprintf(err, errlen, "'%s' is not a domain name (character not allowed)", shown);
			return -1;
		}
		out[i] = (char)tolower((unsigned char)c);
		label++;
	}
	if (labels < 2) {
		snprintf(err, errlen, "'%s' is not a domain name (needs at least two labels)", shown);
		return -1;
	}
	return 0;
}

int dcv_unique_check(const char *unique, char *err, size_t errlen)
{
	size_t len;

	if (unique == NULL || unique[0] == '\0')
		return 0;
	len = strlen(unique);
	for (size_t i = 0; i < len; i++) {
		if (!isalnum((unsigned char)unique[i])) {
			snprintf(err, errlen, "unique value must be letters and digits only");
			return -1;
		}
	}
	if (len > DCV_UNIQUE_MAX) {
		snprintf(err, errlen, "unique value longer than %d characters", DCV_UNIQUE_MAX);
		return -1;
	}
	return 0;
}

void dcv_http_path(const struct dcv_values *v, char *buf, size_t len)
{
	snprintf(buf, len, "/" DCV_HTTP_DIR "/%s.txt", v->md5_upper);
}

int dcv_http_content(const struct dcv_values *v, const struct ca_profile *ca, const char *unique,
		     char *buf, size_t len, char *err, size_t errlen)
{
	int n;

	if (dcv_unique_check(unique, err, errlen) != 0)
		return -1;
	if (unique != NULL && unique[0] != '\0')
		n = snprintf(buf, len, "%s\n%s\n%s\n", v->sha256, ca->dcv_domain, unique);
	else
		n = snprintf(buf, len, "%s\n%s\n", v->sha256, ca->dcv_domain);
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "buffer too small for the DCV file");
		return -1;
	}
	return n;
}

int dcv_cname(const struct dcv_values *v, const struct ca_profile *ca, const char *domain,
	      const char *unique, char *name, size_t namelen, char *target, size_t targetlen,
	      char *err, size_t errlen)
{
	char d[DCV_DOMAIN_MAX + 1];
	int has_unique = unique != NULL && unique[0] != '\0';
	int n;

	if (dcv_domain_normalize(domain, d, sizeof(d), err, errlen) != 0 ||
	    dcv_unique_check(unique, err, errlen) != 0)
		return -1;
	n = snprintf(name, namelen, "_%s.%s", v->md5, d);
	if (n < 0 || (size_t)n >= namelen || n > DCV_DOMAIN_MAX) {
		snprintf(err, errlen, "the CNAME owner name for %s is over 253 bytes", d);
		return -1;
	}
	n = snprintf(target, targetlen, "%.32s.%.32s%s%s.%s.", v->sha256, v->sha256 + 32,
		     has_unique ? "." : "", has_unique ? unique : "", ca->dcv_domain);
	if (n < 0 || (size_t)n >= targetlen) {
		snprintf(err, errlen, "buffer too small for the CNAME target");
		return -1;
	}
	return 0;
}

int dcv_cname_record(const struct dcv_values *v, const struct ca_profile *ca, const char *domain,
		     const char *unique, char *buf, size_t len, char *err, size_t errlen)
{
	char name[DCV_DOMAIN_MAX + 1], target[256];
	int n;

	if (dcv_cname(v, ca, domain, unique, name, sizeof(name), target, sizeof(target), err,
		      errlen) != 0)
		return -1;
	n = snprintf(buf, len, "%s CNAME %s", name, target);
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "buffer too small for the CNAME record");
		return -1;
	}
	return 0;
}

int dcv_auth_domains(const char *fqdn, char (*out)[DCV_DOMAIN_MAX + 1], size_t max, char *err,
		     size_t errlen)
{
	char d[DCV_DOMAIN_MAX + 1];
	const char *p;
	size_t labels = 1, n = 0;

	if (dcv_domain_normalize(fqdn, d, sizeof(d), err, errlen) != 0)
		return -1;
	for (p = d; *p; p++)
		labels += *p == '.';
	if (max > DCV_MAX_AUTH_DOMAINS)
		max = DCV_MAX_AUTH_DOMAINS;
	for (p = d; n < max && labels >= 2; labels--) {
		memcpy(out[n++], p, strlen(p) + 1);
		p = strchr(p, '.');
		if (p == NULL)
			break;
		p++;
	}
	return (int)n;
}

int dcv_emails(const char *fqdn, char (*out)[DCV_EMAIL_MAX + 1], size_t max, char *err,
	       size_t errlen)
{
	char doms[DCV_MAX_AUTH_DOMAINS][DCV_DOMAIN_MAX + 1];
	int nd = dcv_auth_domains(fqdn, doms, DCV_MAX_AUTH_DOMAINS, err, errlen);
	size_t n = 0;

	if (nd < 0)
		return -1;
	for (int i = 0; i < nd; i++)
		for (size_t j = 0; j < DCV_N_EMAIL_LOCALS && n < max; j++)
			snprintf(out[n++], DCV_EMAIL_MAX + 1, "%.13s@%.253s", email_locals[j],
				 doms[i]);
	return (int)n;
}

/* mkdir that accepts an existing folder (not a symlink to one: web roots are hostile too). */
static int ensure_dir(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(path, 0755) == 0) {
		/* mkdir's mode is cut by the umask; the CA's web server must be able to read */
		if (chmod(path, 0755) != 0) {
			snprintf(err, errlen, "cannot chmod %s: %s", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a folder", path);
		return -1;
	}
	return 0;
}

int dcv_write_file(const char *webroot, const struct dcv_values *v, const struct ca_profile *ca,
		   const char *unique, char *path_out, size_t path_len, char *err, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX], content[256];
	struct stat st;
	int n;

	if (webroot == NULL || stat(webroot, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "web root %s is not a folder", webroot ? webroot : "(none)");
		return -1;
	}
	n = dcv_http_content(v, ca, unique, content, sizeof(content), err, errlen);
	if (n < 0)
		return -1;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/.well-known", webroot) >= sizeof(dir) ||
	    (size_t)snprintf(path, sizeof(path), "%s/" DCV_HTTP_DIR "/%s.txt", webroot,
			     v->md5_upper) >= sizeof(path)) {
		snprintf(err, errlen, "web root path too long");
		return -1;
	}
	if (ensure_dir(dir, err, errlen) != 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/" DCV_HTTP_DIR, webroot);
	if (ensure_dir(dir, err, errlen) != 0 ||
	    atomic_write_file(path, content, (size_t)n, 0644, ATOMIC_REPLACE, err, errlen) != 0)
		return -1;
	if (path_out != NULL)
		snprintf(path_out, path_len, "%s", path);
	return 0;
}
