/*
 * dcv_check.c: see dcv_check.h.
 *
 * HTTP: one libcurl easy handle per hop, CURLOPT_FOLLOWLOCATION off; on a 3xx answer the next
 * URL is CURLINFO_REDIRECT_URL (curl resolves a relative Location), checked by
 * dcv_redirect_allowed() with curl's URL parser before it is fetched. The body goes into a
 * fixed buffer whose overflow aborts the transfer. Test mappings become CURLOPT_CONNECT_TO
 * entries "HOST:80:ADDR:PORT", so the URL, Host header and SNI stay the CA's.
 *
 * DNS: a private ldns_resolver per check (nameserver from opts or /etc/resolv.conf, recursion
 * desired, one try, the timeout), a CNAME query, the answer's CNAME whose owner is the queried
 * name. A failure that takes the whole timeout is reported as "timeout".
 */
#include "orders/dcv_check.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <ldns/ldns.h>

#include "core/text.h"

static const char *const method_names[] = { "http", "https", "cname" };

const char *dcv_method_name(enum dcv_method m)
{
	return (unsigned)m < 3 ? method_names[m] : "unknown";
}

int dcv_method_parse(const char *s, enum dcv_method *out)
{
	for (unsigned i = 0; s != NULL && i < 3; i++) {
		if (strcasecmp(s, method_names[i]) == 0) {
			*out = (enum dcv_method)i;
			return 0;
		}
	}
	return -1;
}

static long timeout_of(const struct dcv_check_opts *o)
{
	return o->timeout_ms > 0 ? o->timeout_ms : 10000;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void set_reason(struct dcv_check_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_reason(struct dcv_check_result *r, const char *fmt, ...)
{
	char raw[DCV_REASON_MAX * 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	text_terminal(r->reason, sizeof(r->reason), raw);
}

/* ---------------------------------------------------------------- content */

/* Line i (0-based) of s[0..len) with trailing blanks trimmed; "" past the end. */
static void line_at(const char *s, size_t len, size_t i, const char **start, size_t *llen)
{
	size_t pos = 0, n = 0;

	for (size_t k = 0; k < i && pos < len; k++) {
		const char *nl = memchr(s + pos, '\n', len - pos);

		pos = nl ? (size_t)(nl - s) + 1 : len;
	}
	if (pos >= len) {
		*start = s + len;
		*llen = 0;
		return;
	}
	{
		const char *nl = memchr(s + pos, '\n', len - pos);

		n = nl ? (size_t)(nl - (s + pos)) : len - pos;
	}
	while (n > 0 && (s[pos + n - 1] == ' ' || s[pos + n - 1] == '\t' || s[pos + n - 1] == '\r'))
		n--;
	*start = s + pos;
	*llen = n;
}

/* Lines up to the last one that is not empty after trimming. */
static size_t used_lines(const char *s, size_t len)
{
	size_t lines = 0, used = 0, pos = 0;

	while (pos < len) {
		const char *nl = memchr(s + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - s) : len;
		int blank = 1;

		lines++;
		for (size_t k = pos; k < end; k++)
			if (s[k] != ' ' && s[k] != '\t' && s[k] != '\r')
				blank = 0;
		if (!blank)
			used = lines;
		pos = end + 1;
	}
	return used;
}

int dcv_compare_content(const char *expected, const char *body, size_t body_len)
{
	size_t elen = strlen(expected);
	size_t ne = used_lines(expected, elen), nb = used_lines(body, body_len);
	size_t n = ne > nb ? ne : nb;

	for (size_t i = 0; i < n; i++) {
		const char *a, *b;
		size_t al, bl;

		line_at(expected, elen, i, &a, &al);
		line_at(body, body_len, i, &b, &bl);
		if (al != bl || memcmp(a, b, al) != 0)
			return (int)i + 1;
	}
	return 0;
}

/* ---------------------------------------------------------------- redirects */

static int same_host(const char *domain, const char *host)
{
	size_t dl = strlen(domain), hl = strlen(host);

	if (dl > 0 && domain[dl - 1] == '.')
		dl--;
	if (hl > 0 && host[hl - 1] == '.')
		hl--;
	return dl == hl && strncasecmp(domain, host, dl) == 0;
}

int dcv_redirect_allowed(const char *domain, const char *base, const char *location,
			 char *reason, size_t reasonlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int ok = 0;
	long p;

	if (u == NULL) {
		snprintf(reason, reasonlen, "out of memory");
		return 0;
	}
	if ((base != NULL && curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK) ||
	    curl_url_set(u, CURLUPART_URL, location, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
		snprintf(reason, reasonlen, "redirect to an invalid URL not allowed");
		goto out;
	}
	if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0) {
		snprintf(reason, reasonlen, "redirect to scheme %.20s not allowed", scheme);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !same_host(domain, host)) {
		snprintf(reason, reasonlen, "redirect to another host not allowed: %.100s",
			 host ? host : "(none)");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		snprintf(reason, reasonlen, "redirect to an invalid port not allowed");
		goto out;
	}
	p = strtol(port, NULL, 10);
	if (p != (strcasecmp(scheme, "http") == 0 ? 80 : 443)) {
		snprintf(reason, reasonlen, "redirect to port %ld not allowed", p);
		goto out;
	}
	ok = 1;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ok;
}

/* ---------------------------------------------------------------- HTTP */

struct body {
	char buf[DCV_MAX_BODY + 1];
	size_t len;
	int too_large;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct body *b = ud;
	size_t total = size * n;

	if (total > DCV_MAX_BODY - b->len) {
		b->too_large = 1;
		return 0;  /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	memcpy(b->buf + b->len, p, total);
	b->len += total;
	return total;
}

/* Adds "HOST:LPORT:ADDR:PORT" entries for the test mappings; NULL list when none apply. */
static struct curl_slist *connect_to(const char *host, const struct dcv_check_opts *o, int *err)
{
	struct curl_slist *list = NULL;
	const char *addr = "";
	char entry[400];
	const unsigned lport[2] = { 80, 443 };
	const unsigned over[2] = { o->port_override.http, o->port_override.https };

	*err = 0;
	for (size_t i = 0; i < o->n_resolve; i++)
		if (o->resolve[i].host && o->resolve[i].addr && same_host(o->resolve[i].host, host))
			addr = o->resolve[i].addr;
	for (int i = 0; i < 2; i++) {
		struct curl_slist *nl;
		int v6 = strchr(addr, ':') != NULL;

		if (addr[0] == '\0' && over[i] == 0)
			continue;
		snprintf(entry, sizeof(entry), "%s:%u:%s%s%s:%u", host, lport[i], v6 ? "[" : "", addr,
			 v6 ? "]" : "", over[i] ? over[i] : lport[i]);
		nl = curl_slist_append(list, entry);
		if (nl == NULL) {
			*err = 1;
			break;
		}
		list = nl;
	}
	return list;
}

/* One GET. Returns 1 when a final answer (status in *code, body in b), 0 with r->reason. */
static int fetch(const char *url, const char *host, const struct dcv_check_opts *o,
		 struct body *b, long *code, char **redirect, struct dcv_check_result *r)
{
	CURL *c = curl_easy_init();
	struct curl_slist *ct = NULL;
	char cerr[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	char *loc = NULL;
	int ok = 0, ct_err = 0;

	*redirect = NULL;
	b->len = 0;
	b->too_large = 0;
	if (c == NULL) {
		set_reason(r, "out of memory");
		return 0;
	}
	ct = connect_to(host, o, &ct_err);
	if (ct_err) {
		set_reason(r, "out of memory");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_of(o));
	curl_easy_setopt(c, CURLOPT_USERAGENT, "certsweep-dcv-precheck");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_PROXY, "");  /* the CA connects directly: no *_proxy variables */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, o->verify_tls ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, o->verify_tls ? 2L : 0L);
	if (o->verify_tls && o->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	if (ct != NULL)
		curl_easy_setopt(c, CURLOPT_CONNECT_TO, ct);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		if (rc == CURLE_OPERATION_TIMEDOUT)
			set_reason(r, "timeout");
		else if (rc == CURLE_WRITE_ERROR && b->too_large)
			set_reason(r, "response body too large (over %d bytes)", DCV_MAX_BODY);
		else if (rc == CURLE_COULDNT_CONNECT)
			set_reason(r, "connection refused");
		else if (rc == CURLE_COULDNT_RESOLVE_HOST)
			set_reason(r, "cannot resolve %s", host);
		else
			set_reason(r, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
	if (*code >= 300 && *code < 400) {
		curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc);
		if (loc == NULL) {
			set_reason(r, "HTTP %ld redirect without a Location", *code);
			goto out;
		}
		*redirect = strdup(loc);
		if (*redirect == NULL) {
			set_reason(r, "out of memory");
			goto out;
		}
	}
	b->buf[b->len] = '\0';
	ok = 1;
out:
	curl_slist_free_all(ct);
	curl_easy_cleanup(c);
	return ok;
}

static int check_http(int https, const char *domain, const struct dcv_values *v,
		      const struct ca_profile *ca, const char *unique,
		      const struct dcv_check_opts *o, struct dcv_check_result *r)
{
	char expected[256], path[96], url[512], why[DCV_REASON_MAX];
	struct body *b = malloc(sizeof(*b));
	int max = o->max_redirects == 0 ? DCV_MAX_REDIRECTS :
		  o->max_redirects < 0 ? 0 : o->max_redirects;
	int pass = 0, line;

	if (b == NULL) {
		set_reason(r, "out of memory");
		return 0;
	}
	if (dcv_http_content(v, ca, unique, expected, sizeof(expected), why, sizeof(why)) < 0) {
		set_reason(r, "%s", why);
		goto out;
	}
	dcv_http_path(v, path, sizeof(path));
	snprintf(url, sizeof(url), "%s://%s%s", https ? "https" : "http", domain, path);
	for (int hop = 0;; hop++) {
		char *next = NULL;
		long code = 0;

		snprintf(r->where, sizeof(r->where), "%s", url);
		if (!fetch(url, domain, o, b, &code, &next, r))
			goto out;
		if (next == NULL) {
			if (code < 200 || code > 299) {
				set_reason(r, "HTTP %ld", code);
				goto out;
			}
			break;
		}
		if (hop >= max) {
			set_reason(r, max == 0 ? "redirects not allowed" : "too many redirects");
			free(next);
			goto out;
		}
		if (!dcv_redirect_allowed(domain, url, next, why, sizeof(why))) {
			set_reason(r, "%s", why);
			free(next);
			goto out;
		}
		if ((size_t)snprintf(url, sizeof(url), "%s", next) >= sizeof(url)) {
			set_reason(r, "redirect URL too long");
			free(next);
			goto out;
		}
		free(next);
	}
	line = dcv_compare_content(expected, b->buf, b->len);
	if (line != 0) {
		set_reason(r, "content differs: line %d", line);
		goto out;
	}
	pass = 1;
out:
	free(b);
	return pass;
}

/* ---------------------------------------------------------------- DNS */

/* "IP", "IP:PORT", "[v6]:PORT" or a bare v6 address into a resolver. */
static ldns_resolver *resolver_for(const char *server, struct dcv_check_result *r)
{
	char ip[64];
	unsigned long port = 53;
	unsigned char bin[16];
	int v6;
	ldns_resolver *res;
	ldns_rdf *ns;
	const char *colon;

	if (server[0] == '[') {
		const char *end = strchr(server, ']');

		if (end == NULL || (size_t)(end - server - 1) >= sizeof(ip))
			goto bad;
		memcpy(ip, server + 1, (size_t)(end - server - 1));
		ip[end - server - 1] = '\0';
		if (end[1] == ':')
			port = strtoul(end + 2, NULL, 10);
		else if (end[1] != '\0')
			goto bad;
	} else if ((colon = strchr(server, ':')) != NULL && strchr(colon + 1, ':') == NULL) {
		if ((size_t)(colon - server) >= sizeof(ip))
			goto bad;
		memcpy(ip, server, (size_t)(colon - server));
		ip[colon - server] = '\0';
		port = strtoul(colon + 1, NULL, 10);
	} else {
		if (strlen(server) >= sizeof(ip))
			goto bad;
		snprintf(ip, sizeof(ip), "%s", server);
	}
	v6 = inet_pton(AF_INET6, ip, bin) == 1;
	if ((!v6 && inet_pton(AF_INET, ip, bin) != 1) || port == 0 || port > 65535)
		goto bad;
	res = ldns_resolver_new();
	ns = ldns_rdf_new_frm_str(v6 ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, ip);
	if (res == NULL || ns == NULL || ldns_resolver_push_nameserver(res, ns) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(ns);
		if (res != NULL)
			ldns_resolver_deep_free(res);
		set_reason(r, "out of memory");
		return NULL;
	}
	ldns_rdf_deep_free(ns);  /* the resolver keeps a copy */
	ldns_resolver_set_port(res, (uint16_t)port);
	return res;
bad:
	set_reason(r, "bad DNS server '%.60s' (IP, IP:PORT or [IPv6]:PORT)", server);
	return NULL;
}

static int same_target(const char *want, const char *got)
{
	return same_host(want, got);
}

static int check_cname(const char *domain, const struct dcv_values *v,
		       const struct ca_profile *ca, const char *unique,
		       const struct dcv_check_opts *o, struct dcv_check_result *r)
{
	char name[DCV_DOMAIN_MAX + 1], target[256], qstr[DCV_DOMAIN_MAX + 2], why[DCV_REASON_MAX];
	ldns_resolver *res = NULL;
	ldns_rdf *qname = NULL;
	ldns_pkt *pkt = NULL;
	ldns_rr_list *answers = NULL;
	ldns_status st;
	long tmo = timeout_of(o);
	double t0;
	int pass = 0;
	char *got = NULL;

	if (dcv_cname(v, ca, domain, unique, name, sizeof(name), target, sizeof(target), why,
		      sizeof(why)) != 0) {
		set_reason(r, "%s", why);
		return 0;
	}
	snprintf(r->where, sizeof(r->where), "%s", name);
	snprintf(qstr, sizeof(qstr), "%s.", name);
	if (o->dns_server != NULL) {
		res = resolver_for(o->dns_server, r);
		if (res == NULL)
			return 0;
	} else if (ldns_resolver_new_frm_file(&res, NULL) != LDNS_STATUS_OK) {
		set_reason(r, "cannot read /etc/resolv.conf");
		return 0;
	}
	ldns_resolver_set_timeout(res, (struct timeval){ .tv_sec = tmo / 1000,
							 .tv_usec = (tmo % 1000) * 1000 });
	ldns_resolver_set_retry(res, 1);
	ldns_resolver_set_recursive(res, true);
	ldns_resolver_set_dnssec(res, false);
	qname = ldns_dname_new_frm_str(qstr);
	if (qname == NULL) {
		set_reason(r, "cannot make a DNS query for %s", name);
		goto out;
	}
	t0 = now_ms();
	st = ldns_resolver_query_status(&pkt, res, qname, LDNS_RR_TYPE_CNAME, LDNS_RR_CLASS_IN,
					LDNS_RD);
	if (st != LDNS_STATUS_OK || pkt == NULL) {
		if (now_ms() - t0 >= (double)tmo * 0.9)
			set_reason(r, "timeout");
		else
			set_reason(r, "DNS query failed: %s", ldns_get_errorstr_by_id(st));
		goto out;
	}
	if (ldns_pkt_get_rcode(pkt) == LDNS_RCODE_NXDOMAIN) {
		set_reason(r, "NXDOMAIN");
		goto out;
	}
	if (ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR) {
		ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, (int)ldns_pkt_get_rcode(pkt));

		set_reason(r, "DNS %s", lt ? lt->name : "error");
		goto out;
	}
	answers = ldns_pkt_rr_list_by_type(pkt, LDNS_RR_TYPE_CNAME, LDNS_SECTION_ANSWER);
	for (size_t i = 0; answers != NULL && i < ldns_rr_list_rr_count(answers); i++) {
		ldns_rr *rr = ldns_rr_list_rr(answers, i);

		if (ldns_dname_compare(ldns_rr_owner(rr), qname) == 0 && ldns_rr_rd_count(rr) > 0) {
			got = ldns_rdf2str(ldns_rr_rdf(rr, 0));
			break;
		}
	}
	if (got == NULL) {
		set_reason(r, "no CNAME record");
		goto out;
	}
	if (!same_target(target, got)) {
		set_reason(r, "CNAME points to %.150s", got);
		goto out;
	}
	pass = 1;
out:
	free(got);
	if (answers != NULL)
		ldns_rr_list_deep_free(answers);
	if (pkt != NULL)
		ldns_pkt_free(pkt);
	if (qname != NULL)
		ldns_rdf_deep_free(qname);
	if (res != NULL)
		ldns_resolver_deep_free(res);
	return pass;
}

int dcv_check(enum dcv_method m, const char *domain, const struct dcv_values *v,
	      const struct ca_profile *ca, const char *unique, const struct dcv_check_opts *opts,
	      struct dcv_check_result *r)
{
	static const struct dcv_check_opts defaults;
	char why[DCV_REASON_MAX];
	const struct dcv_check_opts *o = opts ? opts : &defaults;

	memset(r, 0, sizeof(*r));
	r->method = m;
	if (dcv_domain_normalize(domain, r->domain, sizeof(r->domain), why, sizeof(why)) != 0) {
		set_reason(r, "%s", why);
		return 0;
	}
	switch (m) {
	case DCV_METHOD_HTTP:
	case DCV_METHOD_HTTPS:
		r->pass = check_http(m == DCV_METHOD_HTTPS, r->domain, v, ca, unique, o, r);
		break;
	case DCV_METHOD_CNAME:
		r->pass = check_cname(r->domain, v, ca, unique, o, r);
		break;
	default:
		set_reason(r, "unknown DCV method");
		return 0;
	}
	if (r->pass)
		snprintf(r->reason, sizeof(r->reason), "ok");
	return r->pass;
}
