/*
 * acme.c: the RFC 8555 client (see acme.h for the contract).
 *
 * One struct acme holds the session: the curl handle, the account key and its JWK, the kid
 * (account URL), the last Replay-Nonce, the directory URLs, the http-01 responder (an evhttp
 * on its own event base, run only while we wait, so no thread is needed: a "sleep" is
 * event_base_loopexit + dispatch) and the cleanup list of challenge files and DNS records.
 * Every request goes through post(): a flattened JWS, the nonce refreshed from each answer,
 * one retry on badNonce, and problem documents turned into "TYPE: DETAIL" errors.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "orders/acme.h"
#include "orders/atomic_file.h"
#include "orders/csr.h"

extern char **environ;

#define NONCE_MAX 256
#define URL_MAX 2048
#define MAX_AUTHZ ACME_MAX_NAMES
#define MAX_CHAIN_CERTS 16

struct pending {                        /* one challenge set up, undone at the end */
	char *token, *key_auth;         /* owned */
	char *file;                     /* owned: web root file written, or NULL */
	char *domain, *txt;             /* owned: dns-01 record added, or NULL */
};

struct acme {
	const struct acme_cfg *cfg;
	CURL *curl;
	EVP_PKEY *key;                  /* owned: the account key */
	char jwk[256];                  /* canonical JWK (RFC 7638 member order) */
	char thumb[64];                 /* base64url SHA-256 of jwk */
	char kid[URL_MAX];              /* account URL, "" before newAccount */
	char nonce[NONCE_MAX];
	char new_nonce[URL_MAX], new_account[URL_MAX], new_order[URL_MAX];
	struct event_base *base;        /* owned: the responder's loop, or NULL */
	struct evhttp *http;            /* owned */
	struct pending pend[MAX_AUTHZ];
	size_t n_pend;
	time_t deadline;
	char *err;
	size_t errlen;
};

struct resp {                           /* one HTTP answer */
	long status;
	char *body;                     /* owned, NUL-terminated */
	size_t len;
	int too_big;
	char nonce[NONCE_MAX];
	char location[URL_MAX];
};

/* ---------------------------------------------------------------- encoding */

/* base64url without padding of in; malloc'd, NULL when out of memory. */
static char *b64url(const unsigned char *in, size_t len)
{
	size_t cap = 4 * ((len + 2) / 3) + 1;
	char *out;
	int n;

	if (len > INT32_MAX / 2 || (out = malloc(cap)) == NULL)
		return NULL;
	n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (char *p = out; *p != '\0'; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	return out;
}

static char *b64url_str(const char *s)
{
	return b64url((const unsigned char *)s, strlen(s));
}

/* Decodes base64url (padding optional) into a malloc'd buffer; NULL when invalid. */
static unsigned char *b64url_decode(const char *in, size_t *outlen)
{
	size_t len = strlen(in), plen = (len + 3) / 4 * 4;
	char *tmp;
	unsigned char *out;
	int n;

	if (len == 0 || len > 4096 || (tmp = malloc(plen + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < plen; i++) {
		char c = i < len ? in[i] : '=';

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		tmp[i] = c;
	}
	tmp[plen] = '\0';
	if ((out = malloc(plen)) == NULL) {
		free(tmp);
		return NULL;
	}
	n = EVP_DecodeBlock(out, (unsigned char *)tmp, (int)plen);
	free(tmp);
	if (n < 0) {
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	for (size_t i = len; i < plen && n > 0; i++)
		n--;
	*outlen = (size_t)n;
	return out;
}

static int fail(struct acme *a, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct acme *a, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->err, a->errlen, fmt, ap);
	va_end(ap);
	return code;
}

/* ---------------------------------------------------------------- account key and JWS */

static int bn_field(const EVP_PKEY *k, const char *name, unsigned char out[32])
{
	BIGNUM *bn = NULL;
	int ok = EVP_PKEY_get_bn_param(k, name, &bn) == 1 && BN_bn2binpad(bn, out, 32) == 32;

	BN_free(bn);
	return ok ? 0 : -1;
}

static int load_key(struct acme *a)
{
	struct stat sb;
	char e[256], name[64];
	unsigned char x[32], y[32], md[32];
	char *xs = NULL, *ys = NULL, *t = NULL;
	size_t nl = 0;
	int ret = -1;

	if (stat(a->cfg->account_key, &sb) == 0) {
		if ((a->key = csr_key_read(a->cfg->account_key, e, sizeof(e))) == NULL)
			return fail(a, ACME_REFUSED, "account key: %s", e);
	} else if (errno == ENOENT) {
		if ((a->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL)
			return fail(a, ACME_REFUSED, "cannot generate the account key");
		if (csr_key_write(a->key, a->cfg->account_key, e, sizeof(e)) != 0)
			return fail(a, ACME_REFUSED, "account key: %s", e);
	} else {
		return fail(a, ACME_REFUSED, "account key %s: %s", a->cfg->account_key,
		            strerror(errno));
	}
	if (EVP_PKEY_get_base_id(a->key) != EVP_PKEY_EC ||
	    EVP_PKEY_get_utf8_string_param(a->key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name),
	                                   &nl) != 1 || strcmp(name, "prime256v1") != 0)
		return fail(a, ACME_REFUSED, "account key %s: not an EC P-256 key (ES256 is used)",
		            a->cfg->account_key);
	if (bn_field(a->key, OSSL_PKEY_PARAM_EC_PUB_X, x) != 0 ||
	    bn_field(a->key, OSSL_PKEY_PARAM_EC_PUB_Y, y) != 0 ||
	    (xs = b64url(x, 32)) == NULL || (ys = b64url(y, 32)) == NULL)
		goto out;
	snprintf(a->jwk, sizeof(a->jwk), "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
	         xs, ys);
	SHA256((const unsigned char *)a->jwk, strlen(a->jwk), md);
	if ((t = b64url(md, sizeof(md))) == NULL)
		goto out;
	snprintf(a->thumb, sizeof(a->thumb), "%s", t);
	ret = 0;
out:
	free(xs);
	free(ys);
	free(t);
	if (ret != 0)
		fail(a, ACME_REFUSED, "account key: cannot build its JWK");
	return ret;
}

/* ES256 over "protected.payload": base64url(r || s), malloc'd; NULL on failure. */
static char *es256(EVP_PKEY *key, const char *input)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char der[128], rs[64];
	const unsigned char *p = der;
	size_t dlen = sizeof(der);
	ECDSA_SIG *sig = NULL;
	char *out = NULL;

	if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, der, &dlen, (const unsigned char *)input, strlen(input)) != 1 ||
	    (sig = d2i_ECDSA_SIG(NULL, &p, (long)dlen)) == NULL ||
	    BN_bn2binpad(ECDSA_SIG_get0_r(sig), rs, 32) != 32 ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(sig), rs + 32, 32) != 32)
		goto out;
	out = b64url(rs, sizeof(rs));
out:
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	return out;
}

/* The flattened JWS of payload (NULL: "" for POST-as-GET) as a malloc'd JSON text. */
static char *jws(struct acme *a, const char *url, const char *payload)
{
	json_t *prot = json_object(), *doc = NULL;
	char *ph = NULL, *pp = NULL, *input = NULL, *sig = NULL, *ptxt = NULL, *out = NULL;
	size_t n;

	if (prot == NULL)
		return NULL;
	json_object_set_new(prot, "alg", json_string("ES256"));
	json_object_set_new(prot, "nonce", json_string(a->nonce));
	json_object_set_new(prot, "url", json_string(url));
	if (a->kid[0] != '\0')
		json_object_set_new(prot, "kid", json_string(a->kid));
	else
		json_object_set_new(prot, "jwk", json_loads(a->jwk, 0, NULL));
	if ((ptxt = json_dumps(prot, JSON_COMPACT)) == NULL || (ph = b64url_str(ptxt)) == NULL ||
	    (pp = payload != NULL ? b64url_str(payload) : strdup("")) == NULL)
		goto out;
	n = strlen(ph) + strlen(pp) + 2;
	if ((input = malloc(n)) == NULL)
		goto out;
	snprintf(input, n, "%s.%s", ph, pp);
	if ((sig = es256(a->key, input)) == NULL || (doc = json_object()) == NULL)
		goto out;
	json_object_set_new(doc, "protected", json_string(ph));
	json_object_set_new(doc, "payload", json_string(pp));
	json_object_set_new(doc, "signature", json_string(sig));
	out = json_dumps(doc, JSON_COMPACT);
out:
	json_decref(prot);
	json_decref(doc);
	free(ptxt);
	free(ph);
	free(pp);
	free(input);
	free(sig);
	return out;
}

/* The externalAccountBinding object (RFC 8555 7.3.4): HS256 over the account JWK. */
static json_t *eab(struct acme *a)
{
	unsigned char *key = NULL, mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t klen = 0, n;
	json_t *prot = json_object(), *out = NULL;
	char *ptxt = NULL, *ph = NULL, *pp = NULL, *input = NULL, *sig = NULL;

	if (prot == NULL || (key = b64url_decode(a->cfg->eab_hmac_key, &klen)) == NULL)
		goto out;
	json_object_set_new(prot, "alg", json_string("HS256"));
	json_object_set_new(prot, "kid", json_string(a->cfg->eab_kid));
	json_object_set_new(prot, "url", json_string(a->new_account));
	if ((ptxt = json_dumps(prot, JSON_COMPACT)) == NULL || (ph = b64url_str(ptxt)) == NULL ||
	    (pp = b64url_str(a->jwk)) == NULL)
		goto out;
	n = strlen(ph) + strlen(pp) + 2;
	if ((input = malloc(n)) == NULL)
		goto out;
	snprintf(input, n, "%s.%s", ph, pp);
	if (HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)input, strlen(input), mac,
	         &maclen) == NULL || (sig = b64url(mac, maclen)) == NULL ||
	    (out = json_object()) == NULL)
		goto out;
	json_object_set_new(out, "protected", json_string(ph));
	json_object_set_new(out, "payload", json_string(pp));
	json_object_set_new(out, "signature", json_string(sig));
out:
	if (key != NULL)
		OPENSSL_cleanse(key, klen);
	free(key);
	json_decref(prot);
	free(ptxt);
	free(ph);
	free(pp);
	free(input);
	free(sig);
	return out;
}

/* ---------------------------------------------------------------- HTTP */

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct resp *r = arg;
	size_t n = size * nmemb;
	char *nb;

	if (r->len + n > ACME_MAX_BODY) {
		r->too_big = 1;
		return 0;
	}
	if ((nb = realloc(r->body, r->len + n + 1)) == NULL)
		return 0;
	r->body = nb;
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

/* Copies header value (trimmed) into out when the line is "name: value". */
static void header_value(const char *line, size_t len, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name), vl;

	if (len <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	line += nl + 1;
	len -= nl + 1;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' '))
		len--;
	vl = len < cap - 1 ? len : cap - 1;
	memcpy(out, line, vl);
	out[vl] = '\0';
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct resp *r = arg;
	size_t n = size * nmemb;

	header_value(data, n, "Replay-Nonce", r->nonce, sizeof(r->nonce));
	header_value(data, n, "Location", r->location, sizeof(r->location));
	return n;
}

static void resp_free(struct resp *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* One request; method "GET", "HEAD" or "POST" (body: the JOSE JSON). ACME_UNREACHABLE when
 * there is no HTTP answer at all. */
static int http(struct acme *a, const char *method, const char *url, const char *body,
                const char *accept, struct resp *r)
{
	struct curl_slist *h = NULL;
	char abuf[128];
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	if (strncmp(url, "https://", 8) != 0)
		return fail(a, ACME_REFUSED, "the CA gave a URL that is not https: refused");
	curl_easy_reset(a->curl);
	curl_easy_setopt(a->curl, CURLOPT_URL, url);
	curl_easy_setopt(a->curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(a->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(a->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(a->curl, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(a->curl, CURLOPT_USERAGENT, "certsweep-acme/1");
	curl_easy_setopt(a->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(a->curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(a->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(a->curl, CURLOPT_HEADERDATA, r);
	if (a->cfg->ca_file != NULL)
		curl_easy_setopt(a->curl, CURLOPT_CAINFO, a->cfg->ca_file);
	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(a->curl, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "POST") == 0) {
		h = curl_slist_append(h, "Content-Type: application/jose+json");
		curl_easy_setopt(a->curl, CURLOPT_POSTFIELDS, body);
	}
	snprintf(abuf, sizeof(abuf), "Accept: %s", accept != NULL ? accept : "application/json");
	h = curl_slist_append(h, abuf);
	curl_easy_setopt(a->curl, CURLOPT_HTTPHEADER, h);
	rc = curl_easy_perform(a->curl);
	curl_slist_free_all(h);
	if (r->too_big) {
		resp_free(r);
		return fail(a, ACME_REFUSED, "%s: answer larger than %d bytes", url, ACME_MAX_BODY);
	}
	if (rc != CURLE_OK) {
		resp_free(r);
		return fail(a, ACME_UNREACHABLE, "the CA is unreachable: %s: %s", url,
		            curl_easy_strerror(rc));
	}
	curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->nonce[0] != '\0')
		memcpy(a->nonce, r->nonce, sizeof(a->nonce));
	return ACME_OK;
}

/* A problem document's "type: detail" (RFC 7807) into err; prefix names the request. */
static int problem(struct acme *a, const char *what, const struct resp *r, char *type,
                   size_t typelen)
{
	json_t *doc = r->body != NULL ? json_loads(r->body, 0, NULL) : NULL;
	const char *t = doc != NULL ? json_string_value(json_object_get(doc, "type")) : NULL;
	const char *d = doc != NULL ? json_string_value(json_object_get(doc, "detail")) : NULL;

	if (type != NULL)
		snprintf(type, typelen, "%s", t != NULL ? t : "");
	fail(a, ACME_REFUSED, "%s: the CA refused (HTTP %ld): %.200s: %.400s", what, r->status,
	     t != NULL ? t : "no problem type", d != NULL ? d : "no detail");
	json_decref(doc);
	return ACME_REFUSED;
}

static int get_nonce(struct acme *a)
{
	struct resp r;
	int rc;

	if ((rc = http(a, "HEAD", a->new_nonce, NULL, NULL, &r)) != ACME_OK)
		return rc;
	resp_free(&r);
	if (a->nonce[0] == '\0')
		return fail(a, ACME_REFUSED, "newNonce: the CA gave no Replay-Nonce");
	return ACME_OK;
}

/* A signed POST (payload NULL: POST-as-GET). A 2xx answer gives ACME_OK and *r (with JSON
 * bodies parsed by the caller); else a problem error, retried once on badNonce. */
static int post(struct acme *a, const char *what, const char *url, const char *payload,
                const char *accept, struct resp *r)
{
	char type[128];
	int rc;

	for (int attempt = 0; attempt < 2; attempt++) {
		char *body;

		if (a->nonce[0] == '\0' && (rc = get_nonce(a)) != ACME_OK)
			return rc;
		if ((body = jws(a, url, payload)) == NULL)
			return fail(a, ACME_REFUSED, "%s: cannot sign the request", what);
		a->nonce[0] = '\0';     /* used; the answer brings the next one */
		rc = http(a, "POST", url, body, accept, r);
		free(body);
		if (rc != ACME_OK)
			return rc;
		if (r->status >= 200 && r->status < 300)
			return ACME_OK;
		problem(a, what, r, type, sizeof(type));
		resp_free(r);
		if (strcmp(type, "urn:ietf:params:acme:error:badNonce") != 0)
			return ACME_REFUSED;
	}
	return ACME_REFUSED;
}

/* A POST whose answer is a JSON object: *doc (caller decrefs). */
static int post_json(struct acme *a, const char *what, const char *url, const char *payload,
                     json_t **doc, char *location, size_t loclen)
{
	struct resp r;
	int rc = post(a, what, url, payload, NULL, &r);

	if (rc != ACME_OK)
		return rc;
	*doc = r.body != NULL ? json_loads(r.body, 0, NULL) : NULL;
	if (location != NULL)
		snprintf(location, loclen, "%s", r.location);
	resp_free(&r);
	if (!json_is_object(*doc)) {
		json_decref(*doc);
		*doc = NULL;
		return fail(a, ACME_REFUSED, "%s: the CA's answer is not a JSON object", what);
	}
	return ACME_OK;
}

static int copy_url(struct acme *a, json_t *obj, const char *name, char *out, size_t cap)
{
	const char *v = json_string_value(json_object_get(obj, name));

	if (v == NULL || strlen(v) >= cap || strncmp(v, "https://", 8) != 0)
		return fail(a, ACME_REFUSED, "the CA's answer lacks a valid \"%s\" URL", name);
	snprintf(out, cap, "%s", v);
	return ACME_OK;
}

/* ---------------------------------------------------------------- waiting and http-01 */

static void wait_ms(struct acme *a, long ms)
{
	if (a->base != NULL) {
		struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

		event_base_loopexit(a->base, &tv);
		event_base_dispatch(a->base);
	} else {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
}

static void on_http01(struct evhttp_request *req, void *arg)
{
	static const char prefix[] = "/.well-known/acme-challenge/";
	struct acme *a = arg;
	const char *uri = evhttp_request_get_uri(req);
	struct evbuffer *b;

	if (uri != NULL && strncmp(uri, prefix, sizeof(prefix) - 1) == 0) {
		const char *tok = uri + sizeof(prefix) - 1;

		for (size_t i = 0; i < a->n_pend; i++) {
			if (a->pend[i].token != NULL && a->pend[i].domain == NULL &&
			    strcmp(a->pend[i].token, tok) == 0 && (b = evbuffer_new()) != NULL) {
				evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
				                  "application/octet-stream");
				evbuffer_add(b, a->pend[i].key_auth, strlen(a->pend[i].key_auth));
				evhttp_send_reply(req, 200, "OK", b);
				evbuffer_free(b);
				return;
			}
		}
	}
	evhttp_send_error(req, 404, "Not Found");
}

static int start_responder(struct acme *a)
{
	char host[128];
	const char *spec = a->cfg->http01_listen, *colon = strrchr(spec, ':');
	size_t hl;
	long port;
	char *end;

	if (colon == NULL || (hl = (size_t)(colon - spec)) == 0 || hl >= sizeof(host))
		return fail(a, ACME_REFUSED, "--http01-listen: IP:PORT expected");
	if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']') {
		memcpy(host, spec + 1, hl - 2);
		host[hl - 2] = '\0';
	} else {
		memcpy(host, spec, hl);
		host[hl] = '\0';
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535 || errno != 0)
		return fail(a, ACME_REFUSED, "--http01-listen: bad port");
	if ((a->base = event_base_new()) == NULL || (a->http = evhttp_new(a->base)) == NULL)
		return fail(a, ACME_REFUSED, "cannot start the http-01 responder");
	evhttp_set_gencb(a->http, on_http01, a);
	evhttp_set_timeout(a->http, 10);
	if (evhttp_bind_socket(a->http, host, (ev_uint16_t)port) != 0)
		return fail(a, ACME_REFUSED, "http-01 responder: cannot listen on %s", spec);
	return ACME_OK;
}

/* ---------------------------------------------------------------- challenges */

static int token_ok(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 256)
		return 0;
	for (; *t != '\0'; t++)
		if (!((*t >= 'A' && *t <= 'Z') || (*t >= 'a' && *t <= 'z') || (*t >= '0' && *t <= '9') ||
		      *t == '-' || *t == '_'))
			return 0;
	return 1;
}

static int run_hook(struct acme *a, const char *verb, const char *domain, const char *txt)
{
	char script[4200];
	char *argv[7];
	pid_t pid;
	int st;

	if (snprintf(script, sizeof(script), "%s \"$@\"", a->cfg->dns01_hook) >= (int)sizeof(script))
		return fail(a, ACME_REFUSED, "--dns01-hook: too long");
	argv[0] = (char *)(uintptr_t)"sh";
	argv[1] = (char *)(uintptr_t)"-c";
	argv[2] = script;
	argv[3] = (char *)(uintptr_t)"sh";
	argv[4] = (char *)(uintptr_t)verb;
	argv[5] = (char *)(uintptr_t)domain;
	argv[6] = (char *)(uintptr_t)txt;
	{
		char *full[8];

		memcpy(full, argv, sizeof(argv));
		full[7] = NULL;
		if (posix_spawn(&pid, "/bin/sh", NULL, NULL, full, environ) != 0)
			return fail(a, ACME_REFUSED, "--dns01-hook: cannot run /bin/sh");
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return fail(a, ACME_REFUSED, "--dns01-hook: waitpid: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return fail(a, ACME_REFUSED, "--dns01-hook %s %s failed (status %d)", verb, domain,
		            WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return ACME_OK;
}

static int write_token_file(struct acme *a, struct pending *p)
{
	char dir[4096];
	size_t n = strlen(a->cfg->http01_webroot) + 64 + strlen(p->token);
	char err[256];

	snprintf(dir, sizeof(dir), "%s/.well-known", a->cfg->http01_webroot);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return fail(a, ACME_REFUSED, "web root: cannot create %s: %s", dir, strerror(errno));
	snprintf(dir, sizeof(dir), "%s/.well-known/acme-challenge", a->cfg->http01_webroot);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return fail(a, ACME_REFUSED, "web root: cannot create %s: %s", dir, strerror(errno));
	if ((p->file = malloc(n)) == NULL)
		return fail(a, ACME_REFUSED, "out of memory");
	snprintf(p->file, n, "%s/%s", dir, p->token);
	if (atomic_write_file(p->file, p->key_auth, strlen(p->key_auth), 0644, ATOMIC_REPLACE, err,
	                      sizeof(err)) != 0) {
		free(p->file);
		p->file = NULL;
		return fail(a, ACME_REFUSED, "web root: %s", err);
	}
	return ACME_OK;
}

/* Sets up one challenge of authorization authz (identifier value dom); *url gets its URL. */
static int setup_challenge(struct acme *a, json_t *authz, const char *dom, char *url, size_t cap)
{
	const char *want = (a->cfg->http01_webroot != NULL || a->cfg->http01_listen != NULL) ?
	                   "http-01" : "dns-01";
	json_t *chs = json_object_get(authz, "challenges"), *ch = NULL, *c;
	struct pending *p;
	const char *tok;
	size_t i, n;

	json_array_foreach(chs, i, c) {
		const char *t = json_string_value(json_object_get(c, "type"));

		if (t != NULL && strcmp(t, want) == 0) {
			ch = c;
			break;
		}
	}
	if (ch == NULL)
		return fail(a, ACME_REFUSED, "%s: the CA offers no %s challenge", dom, want);
	tok = json_string_value(json_object_get(ch, "token"));
	if (tok == NULL || !token_ok(tok) || copy_url(a, ch, "url", url, cap) != ACME_OK)
		return fail(a, ACME_REFUSED, "%s: the CA's %s challenge is malformed", dom, want);
	if (a->n_pend >= MAX_AUTHZ)
		return fail(a, ACME_REFUSED, "too many authorizations");
	p = &a->pend[a->n_pend++];
	n = strlen(tok) + strlen(a->thumb) + 2;
	if ((p->token = strdup(tok)) == NULL || (p->key_auth = malloc(n)) == NULL)
		return fail(a, ACME_REFUSED, "out of memory");
	snprintf(p->key_auth, n, "%s.%s", tok, a->thumb);
	if (strcmp(want, "dns-01") == 0) {
		unsigned char md[32];

		SHA256((const unsigned char *)p->key_auth, strlen(p->key_auth), md);
		if ((p->txt = b64url(md, sizeof(md))) == NULL)
			return fail(a, ACME_REFUSED, "out of memory");
		if (run_hook(a, "add", dom, p->txt) != ACME_OK) {
			free(p->txt);
			p->txt = NULL;
			return ACME_REFUSED;
		}
		if ((p->domain = strdup(dom)) == NULL)
			return fail(a, ACME_REFUSED, "out of memory");
		return ACME_OK;
	}
	if (a->cfg->http01_webroot != NULL)
		return write_token_file(a, p);
	return ACME_OK;
}

static void undo_challenges(struct acme *a)
{
	char save[512];

	snprintf(save, sizeof(save), "%s", a->err);
	for (size_t i = 0; i < a->n_pend; i++) {
		struct pending *p = &a->pend[i];

		if (p->file != NULL)
			unlink(p->file);
		if (p->domain != NULL && p->txt != NULL)
			run_hook(a, "del", p->domain, p->txt);
		free(p->file);
		free(p->domain);
		free(p->txt);
		free(p->token);
		free(p->key_auth);
	}
	a->n_pend = 0;
	snprintf(a->err, a->errlen, "%s", save);
}

/* POST-as-GET url until its "status" is not one of the waiting states (space-separated);
 * *doc holds the last answer. Back-off doubles from 250 ms to 4 s, within the deadline. */
static int poll_status(struct acme *a, const char *what, const char *url, const char *waiting,
                       json_t **doc)
{
	long ms = 250;
	int rc;

	for (;;) {
		const char *s;
		char word[40];

		if ((rc = post_json(a, what, url, NULL, doc, NULL, 0)) != ACME_OK)
			return rc;
		s = json_string_value(json_object_get(*doc, "status"));
		if (s == NULL) {
			json_decref(*doc);
			*doc = NULL;
			return fail(a, ACME_REFUSED, "%s: no status in the CA's answer", what);
		}
		snprintf(word, sizeof(word), " %s ", s);
		{
			char list[128];

			snprintf(list, sizeof(list), " %s ", waiting);
			if (strstr(list, word) == NULL)
				return ACME_OK;
		}
		if (time(NULL) + ms / 1000 >= a->deadline) {
			json_decref(*doc);
			*doc = NULL;
			return fail(a, ACME_REFUSED, "%s: still %s after the time allowed", what, s);
		}
		json_decref(*doc);
		*doc = NULL;
		wait_ms(a, ms);
		if (ms < 4000)
			ms *= 2;
	}
}

/* Why an authorization failed: the first challenge error, as "type: detail". */
static void authz_error(struct acme *a, json_t *authz, const char *dom, const char *status)
{
	json_t *chs = json_object_get(authz, "challenges"), *c;
	size_t i;

	json_array_foreach(chs, i, c) {
		json_t *e = json_object_get(c, "error");

		if (json_is_object(e)) {
			const char *t = json_string_value(json_object_get(e, "type"));
			const char *d = json_string_value(json_object_get(e, "detail"));

			fail(a, ACME_REFUSED, "%s: authorization %s: %.200s: %.400s", dom, status,
			     t != NULL ? t : "?", d != NULL ? d : "?");
			return;
		}
	}
	fail(a, ACME_REFUSED, "%s: authorization %s", dom, status);
}

static int do_authz(struct acme *a, const char *url)
{
	json_t *doc = NULL;
	char chal[URL_MAX], dom[256];
	const char *st, *v;
	json_t *resp = NULL;
	int rc;

	if ((rc = post_json(a, "authorization", url, NULL, &doc, NULL, 0)) != ACME_OK)
		return rc;
	st = json_string_value(json_object_get(doc, "status"));
	v = json_string_value(json_object_get(json_object_get(doc, "identifier"), "value"));
	if (st == NULL || v == NULL || strlen(v) >= sizeof(dom)) {
		rc = fail(a, ACME_REFUSED, "authorization: malformed answer");
		goto out;
	}
	snprintf(dom, sizeof(dom), "%s", v);
	if (strcmp(st, "valid") == 0)
		goto out;
	if (strcmp(st, "pending") != 0) {
		authz_error(a, doc, dom, st);
		rc = ACME_REFUSED;
		goto out;
	}
	if ((rc = setup_challenge(a, doc, dom, chal, sizeof(chal))) != ACME_OK)
		goto out;
	if ((rc = post_json(a, "challenge", chal, "{}", &resp, NULL, 0)) != ACME_OK)
		goto out;
	json_decref(doc);
	doc = NULL;
	if ((rc = poll_status(a, "authorization", url, "pending processing", &doc)) != ACME_OK)
		goto out;
	st = json_string_value(json_object_get(doc, "status"));
	if (strcmp(st, "valid") != 0) {
		authz_error(a, doc, dom, st);
		rc = ACME_REFUSED;
	}
out:
	json_decref(resp);
	json_decref(doc);
	return rc;
}

/* ---------------------------------------------------------------- the flow */

static int directory(struct acme *a)
{
	struct resp r;
	json_t *doc;
	int rc;

	if ((rc = http(a, "GET", a->cfg->directory_url, NULL, NULL, &r)) != ACME_OK)
		return rc;
	if (r.status != 200) {
		problem(a, "directory", &r, NULL, 0);
		resp_free(&r);
		return ACME_REFUSED;
	}
	doc = r.body != NULL ? json_loads(r.body, 0, NULL) : NULL;
	resp_free(&r);
	rc = ACME_REFUSED;
	if (!json_is_object(doc))
		fail(a, ACME_REFUSED, "directory: not a JSON object");
	else if (copy_url(a, doc, "newNonce", a->new_nonce, sizeof(a->new_nonce)) == ACME_OK &&
	         copy_url(a, doc, "newAccount", a->new_account, sizeof(a->new_account)) == ACME_OK &&
	         copy_url(a, doc, "newOrder", a->new_order, sizeof(a->new_order)) == ACME_OK)
		rc = ACME_OK;
	json_decref(doc);
	return rc;
}

static int account(struct acme *a)
{
	json_t *p = json_object(), *doc = NULL;
	char *txt = NULL, loc[URL_MAX] = "";
	int rc = ACME_REFUSED;

	if (p == NULL)
		return fail(a, ACME_REFUSED, "out of memory");
	json_object_set_new(p, "termsOfServiceAgreed", json_true());
	if (a->cfg->eab_kid != NULL) {
		json_t *e = eab(a);

		if (e == NULL) {
			fail(a, ACME_REFUSED, "--eab-hmac-key: not valid base64url");
			goto out;
		}
		json_object_set_new(p, "externalAccountBinding", e);
	}
	if ((txt = json_dumps(p, JSON_COMPACT)) == NULL) {
		fail(a, ACME_REFUSED, "out of memory");
		goto out;
	}
	if ((rc = post_json(a, "newAccount", a->new_account, txt, &doc, loc, sizeof(loc))) != ACME_OK)
		goto out;
	if (strncmp(loc, "https://", 8) != 0) {
		rc = fail(a, ACME_REFUSED, "newAccount: the CA gave no account URL");
		goto out;
	}
	snprintf(a->kid, sizeof(a->kid), "%s", loc);
out:
	json_decref(p);
	json_decref(doc);
	free(txt);
	return rc;
}

static int is_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* Checks an order's status: "invalid" and pebble 2.4's "deactivated" end it. */
static int order_ended(struct acme *a, json_t *order, const char *status)
{
	json_t *e = json_object_get(order, "error");
	const char *t = json_string_value(json_object_get(e, "type"));
	const char *d = json_string_value(json_object_get(e, "detail"));

	if (strcmp(status, "deactivated") == 0)
		return fail(a, ACME_REFUSED, "the CA ended the order: status \"deactivated\" (pebble's "
		            "name for an order whose authorization failed or expired)%s%.200s%s%.400s",
		            t != NULL ? ": " : "", t != NULL ? t : "", d != NULL ? ": " : "",
		            d != NULL ? d : "");
	return fail(a, ACME_REFUSED, "the order is %s%s%.200s%s%.400s", status,
	            t != NULL ? ": " : "", t != NULL ? t : "", d != NULL ? ": " : "",
	            d != NULL ? d : "");
}

static int new_order(struct acme *a, json_t **order, char *url, size_t cap)
{
	json_t *p = json_object(), *ids = json_array();
	char *txt = NULL;
	int rc = ACME_REFUSED;

	if (p == NULL || ids == NULL)
		goto oom;
	for (size_t i = 0; i < a->cfg->n_names; i++) {
		json_t *id = json_object();

		if (id == NULL)
			goto oom;
		json_object_set_new(id, "type", json_string(is_ip(a->cfg->names[i]) ? "ip" : "dns"));
		json_object_set_new(id, "value", json_string(a->cfg->names[i]));
		json_array_append_new(ids, id);
	}
	json_object_set_new(p, "identifiers", ids);
	ids = NULL;
	if ((txt = json_dumps(p, JSON_COMPACT)) == NULL)
		goto oom;
	rc = post_json(a, "newOrder", a->new_order, txt, order, url, cap);
	if (rc == ACME_OK && strncmp(url, "https://", 8) != 0) {
		json_decref(*order);
		*order = NULL;
		rc = fail(a, ACME_REFUSED, "newOrder: the CA gave no order URL");
	}
	goto out;
oom:
	fail(a, ACME_REFUSED, "out of memory");
out:
	json_decref(p);
	json_decref(ids);
	free(txt);
	return rc;
}

static int finalize(struct acme *a, json_t *order)
{
	char fin[URL_MAX], *csr = NULL, *txt = NULL;
	json_t *p = NULL, *doc = NULL;
	int rc;

	if ((rc = copy_url(a, order, "finalize", fin, sizeof(fin))) != ACME_OK)
		return rc;
	rc = fail(a, ACME_REFUSED, "out of memory");
	if ((csr = b64url(a->cfg->csr_der, a->cfg->csr_der_len)) == NULL ||
	    (p = json_object()) == NULL)
		goto out;
	json_object_set_new(p, "csr", json_string(csr));
	if ((txt = json_dumps(p, JSON_COMPACT)) == NULL)
		goto out;
	rc = post_json(a, "finalize", fin, txt, &doc, NULL, 0);
out:
	json_decref(p);
	json_decref(doc);
	free(csr);
	free(txt);
	return rc;
}

static int download(struct acme *a, json_t *order, char **chain)
{
	char url[URL_MAX];
	struct resp r;
	int rc;

	if ((rc = copy_url(a, order, "certificate", url, sizeof(url))) != ACME_OK)
		return rc;
	if ((rc = post(a, "certificate", url, NULL, "application/pem-certificate-chain", &r)) !=
	    ACME_OK)
		return rc;
	if (r.body == NULL || strstr(r.body, "-----BEGIN CERTIFICATE-----") == NULL) {
		resp_free(&r);
		return fail(a, ACME_REFUSED, "certificate: the CA's answer is not a PEM chain");
	}
	*chain = r.body;
	r.body = NULL;
	resp_free(&r);
	return ACME_OK;
}

static int run(struct acme *a, char **chain)
{
	json_t *order = NULL, *authzs, *u;
	char url[URL_MAX];
	const char *st;
	size_t i;
	int rc;

	if ((rc = directory(a)) != ACME_OK || (rc = load_key(a)) != ACME_OK ||
	    (rc = account(a)) != ACME_OK || (rc = new_order(a, &order, url, sizeof(url))) != ACME_OK)
		goto out;
	authzs = json_object_get(order, "authorizations");
	if (!json_is_array(authzs) || json_array_size(authzs) == 0 ||
	    json_array_size(authzs) > MAX_AUTHZ) {
		rc = fail(a, ACME_REFUSED, "newOrder: no valid list of authorizations");
		goto out;
	}
	json_array_foreach(authzs, i, u) {
		const char *au = json_string_value(u);

		if (au == NULL || strncmp(au, "https://", 8) != 0) {
			rc = fail(a, ACME_REFUSED, "newOrder: an authorization URL is not https");
			goto out;
		}
		if ((rc = do_authz(a, au)) != ACME_OK)
			goto out;
	}
	json_decref(order);
	order = NULL;
	if ((rc = poll_status(a, "order", url, "pending", &order)) != ACME_OK)
		goto out;
	st = json_string_value(json_object_get(order, "status"));
	if (strcmp(st, "ready") != 0 && strcmp(st, "processing") != 0 && strcmp(st, "valid") != 0) {
		rc = order_ended(a, order, st);
		goto out;
	}
	if (strcmp(st, "ready") == 0 && (rc = finalize(a, order)) != ACME_OK)
		goto out;
	json_decref(order);
	order = NULL;
	if ((rc = poll_status(a, "order", url, "ready processing", &order)) != ACME_OK)
		goto out;
	st = json_string_value(json_object_get(order, "status"));
	if (strcmp(st, "valid") != 0) {
		rc = order_ended(a, order, st);
		goto out;
	}
	rc = download(a, order, chain);
out:
	json_decref(order);
	return rc;
}

int acme_issue(const struct acme_cfg *cfg, char **chain_pem, char *err, size_t errlen)
{
	struct acme *a;
	int rc;

	*chain_pem = NULL;
	if (cfg->directory_url == NULL || cfg->account_key == NULL || cfg->csr_der == NULL ||
	    cfg->n_names == 0 || cfg->n_names > ACME_MAX_NAMES ||
	    (cfg->eab_kid == NULL) != (cfg->eab_hmac_key == NULL) ||
	    (cfg->http01_webroot != NULL && cfg->http01_listen != NULL) ||
	    (cfg->http01_webroot == NULL && cfg->http01_listen == NULL && cfg->dns01_hook == NULL)) {
		snprintf(err, errlen, "acme: incomplete or contradictory settings");
		return ACME_REFUSED;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return ACME_REFUSED;
	}
	a->cfg = cfg;
	a->err = err;
	a->errlen = errlen;
	a->deadline = time(NULL) + (cfg->timeout_s > 0 ? cfg->timeout_s : ACME_DEFAULT_TIMEOUT);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || (a->curl = curl_easy_init()) == NULL) {
		rc = fail(a, ACME_REFUSED, "cannot start libcurl");
		goto out;
	}
	if (cfg->http01_listen != NULL && (rc = start_responder(a)) != ACME_OK)
		goto out;
	rc = run(a, chain_pem);
	undo_challenges(a);
out:
	if (a->http != NULL)
		evhttp_free(a->http);
	if (a->base != NULL)
		event_base_free(a->base);
	if (a->curl != NULL)
		curl_easy_cleanup(a->curl);
	EVP_PKEY_free(a->key);
	free(a);
	if (rc != ACME_OK) {
		free(*chain_pem);
		*chain_pem = NULL;
	}
	ERR_clear_error();
	return rc;
}

/* ---------------------------------------------------------------- checking the chain */

static int san_covers(GENERAL_NAMES *gens, const char *name)
{
	unsigned char ip[16];
	int iplen = 0;

	if (inet_pton(AF_INET, name, ip) == 1)
		iplen = 4;
	else if (inet_pton(AF_INET6, name, ip) == 1)
		iplen = 16;
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (iplen == 0 && g->type == GEN_DNS) {
			const ASN1_IA5STRING *s = g->d.dNSName;

			if ((size_t)s->length == strlen(name) &&
			    strncasecmp((const char *)s->data, name, strlen(name)) == 0)
				return 1;
		} else if (iplen != 0 && g->type == GEN_IPADD && g->d.iPAddress->length == iplen &&
		           memcmp(g->d.iPAddress->data, ip, (size_t)iplen) == 0) {
			return 1;
		}
	}
	return 0;
}

int acme_check_chain(const char *chain_pem, const unsigned char *csr_der, size_t csr_der_len,
                     const char *const *names, size_t n_names, char **clean_pem, char *err,
                     size_t errlen)
{
	BIO *b = BIO_new_mem_buf(chain_pem, -1), *w = BIO_new(BIO_s_mem());
	const unsigned char *p = csr_der;
	char *data;
	long len;
	X509_REQ *req = NULL;
	X509 *leaf = NULL, *extra = NULL;
	GENERAL_NAMES *gens = NULL;
	int ret = -1, n = 0;

	*clean_pem = NULL;
	if (b == NULL || w == NULL || (leaf = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL ||
	    PEM_write_bio_X509(w, leaf) != 1) {
		snprintf(err, errlen, "the issued chain holds no readable certificate");
		goto out;
	}
	while ((extra = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		int wr = PEM_write_bio_X509(w, extra);

		X509_free(extra);
		if (wr != 1) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		if (++n > MAX_CHAIN_CERTS) {
			snprintf(err, errlen, "the issued chain holds more than %d certificates",
			         MAX_CHAIN_CERTS);
			goto out;
		}
	}
	if (csr_der_len > LONG_MAX || (req = d2i_X509_REQ(NULL, &p, (long)csr_der_len)) == NULL) {
		snprintf(err, errlen, "the order's CSR does not parse");
		goto out;
	}
	if (X509_REQ_get0_pubkey(req) == NULL || X509_get0_pubkey(leaf) == NULL ||
	    EVP_PKEY_eq(X509_REQ_get0_pubkey(req), X509_get0_pubkey(leaf)) != 1) {
		snprintf(err, errlen, "the issued certificate's public key is not the CSR's key");
		goto out;
	}
	gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	for (size_t i = 0; i < n_names; i++) {
		if (gens == NULL || !san_covers(gens, names[i])) {
			snprintf(err, errlen, "the issued certificate's subjectAltName lacks %.253s",
			         names[i]);
			goto out;
		}
	}
	if ((len = BIO_get_mem_data(w, &data)) <= 0 || (*clean_pem = malloc((size_t)len + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	memcpy(*clean_pem, data, (size_t)len);
	(*clean_pem)[len] = '\0';
	ret = 0;
out:
	BIO_free(w);
	GENERAL_NAMES_free(gens);
	X509_REQ_free(req);
	X509_free(leaf);
	BIO_free(b);
	ERR_clear_error();
	return ret;
}
