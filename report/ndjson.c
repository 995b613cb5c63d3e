/* ndjson.c: the per-endpoint JSON record (schema in ndjson.h), built with jansson; its chain and
 * findings arrays are also what `certsweep analyze --json` shows. */
#include "report/ndjson.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "core/hex.h"

#include "core/text.h"

void iso8601_utc(char *buf, size_t len, time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "invalid");
}

json_t *ndjson_text(const char *s)
{
	char *clean = text_utf8_dup(s);
	json_t *j;

	if (clean == NULL)
		return NULL;
	j = json_string(clean);
	free(clean);
	return j;
}

static json_t *jstr_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? ndjson_text(s) : json_null();
}

static json_t *jms(double ms)
{
	return ms < 0 ? json_null() : json_real((double)(long long)(ms * 1000) / 1000.0);
}

static json_t *cert_json(size_t pos, const struct certinfo *ci)
{
	char nb[32], na[32];
	json_t *sans = json_array();

	iso8601_utc(nb, sizeof(nb), ci->not_before);
	iso8601_utc(na, sizeof(na), ci->not_after);
	for (size_t i = 0; sans != NULL && i < ci->n_sans; i++)
		json_array_append_new(sans, ndjson_text(ci->sans[i]));
	return json_pack("{s:I, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:s, s:i, s:o, s:s, s:o*,"
	                 " s:o, s:o, s:o, s:o, s:o, s:b, s:b, s:b}",
	                 "position", (json_int_t)pos, "sha256", ci->sha256_hex, "sha1", ci->sha1_hex,
	                 "subject", ndjson_text(ci->subject), "issuer", ndjson_text(ci->issuer),
	                 "serial", ndjson_text(ci->serial_hex), "not_before", nb, "not_after", na,
	                 "key_type", ci->key_type, "key_bits", ci->key_bits,
	                 "curve", jstr_or_null(ci->curve), "sig_alg", ci->sig_alg, "sans", sans,
	                 "key_usage", jstr_or_null(ci->key_usage),
	                 "ext_key_usage", jstr_or_null(ci->ext_key_usage),
	                 "ocsp_url", jstr_or_null(ci->aia_ocsp), "ca_issuers_url", jstr_or_null(ci->aia_ca_issuers),
	                 "crl_url", jstr_or_null(ci->crl_url), "has_sct", ci->has_sct, "is_ca", ci->is_ca,
	                 "self_signed", ci->self_signed);
}

json_t *ndjson_chain(const struct analysis *an)
{
	json_t *chain = json_array();

	for (size_t i = 0; chain != NULL && an != NULL && i < an->n_certs; i++)
		json_array_append_new(chain, cert_json(i, an->certs[i]));
	return chain;
}

json_t *ndjson_findings(const struct finding *findings, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && findings != NULL && i < n; i++) {
		const struct finding *f = &findings[i];
		json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:s, s:o}", "id", f->id,
		                                     "severity", severity_name(f->severity),
		                                     "message", ndjson_text(f->message), "fix", f->fix ? f->fix : "",
		                                     "cert_position", f->cert_pos < 0 ? json_null()
		                                                                      : json_integer(f->cert_pos)));
	}
	return arr;
}

/* source, ja3/ja3s and the client's certificates (passive), geo (when looked up). */
static void add_provenance(json_t *root, const struct observation *obs)
{
	const struct obs_geo *g = &obs->geo;

	json_object_set_new(root, "source", json_string(obs->source == OBS_PASSIVE ? "passive"
	                                                                            : "active"));
	if (obs->source == OBS_PASSIVE) {
		json_t *cc = json_array();

		for (size_t i = 0; cc != NULL && i < obs->client_chain_len; i++) {
			unsigned char md[32];
			char hex[65];

			SHA256(obs->client_chain[i].der, obs->client_chain[i].len, md);
			hex_encode(md, sizeof(md), hex);
			json_array_append_new(cc, json_string(hex));
		}
		json_object_set_new(root, "ja3", jstr_or_null(obs->ja3));
		json_object_set_new(root, "ja3s", jstr_or_null(obs->ja3s));
		json_object_set_new(root, "client_chain", cc);
	}
	if (obs->geo_looked_up)
		json_object_set_new(root, "geo",
		                    json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		                              "country", jstr_or_null(g->country),
		                              "city", jstr_or_null(g->city),
		                              "asn", jstr_or_null(g->asn),
		                              "as_org", jstr_or_null(g->as_org),
		                              "owner", jstr_or_null(g->owner),
		                              "business_unit", jstr_or_null(g->business_unit),
		                              "site", jstr_or_null(g->site)));
}

json_t *ndjson_record(const struct observation *obs, const struct analysis *an)
{
	char when[32];
	json_t *root, *chain = ndjson_chain(an), *validation = json_null();

	iso8601_utc(when, sizeof(when), obs->started);
	if (an != NULL && an->n_certs > 0)
		validation = json_pack("{s:b, s:o, s:b, s:o, s:b, s:i}", "trusted", an->verified,
		                       "error", jstr_or_null(an->verify_error),
		                       "hostname_checked", an->hostname_checked,
		                       "hostname_ok", an->hostname_checked ? json_boolean(an->hostname_ok)
		                                                          : json_null(),
		                       "preferred", an->preferred, "days_left", an->days_left);
	root = json_pack("{s:s, s:i, s:o, s:o, s:o, s:s, s:o, s:i, s:s,"
	                 " s:{s:o, s:o, s:o, s:o, s:b},"
	                 " s:{s:o, s:o, s:o, s:o}, s:o, s:o, s:o}",
	                 "ip", obs->ip, "port", obs->port, "host", jstr_or_null(obs->host),
	                 "sni", jstr_or_null(obs->sni), "starttls", jstr_or_null(obs->starttls),
	                 "status", ep_status_name(obs->status), "error", jstr_or_null(obs->error),
	                 "attempts", obs->attempts, "observed_at", when,
	                 "tls", "version", jstr_or_null(obs->version), "cipher", jstr_or_null(obs->cipher),
	                 "group", jstr_or_null(obs->group), "alpn", jstr_or_null(obs->alpn),
	                 "ocsp_stapled", obs->ocsp_stapled,
	                 "timing_ms", "connect", jms(obs->ms_connect), "starttls", jms(obs->ms_starttls),
	                 "handshake", jms(obs->ms_handshake), "total", jms(obs->ms_total),
	                 "validation", validation, "chain", chain, "findings",
	                 ndjson_findings(an != NULL ? an->findings : NULL, an != NULL ? an->n_findings : 0));
	if (root != NULL)
		add_provenance(root, obs);
	return root;
}

int ndjson_dump_line(FILE *out, json_t *doc)
{
	if (doc == NULL)
		return -1;
	if (json_dumpf(doc, out, JSON_COMPACT | JSON_REAL_PRECISION(7)) != 0 || fputc('\n', out) == EOF)
		return -1;
	return 0;
}

int ndjson_write(FILE *out, const struct observation *obs, const struct analysis *an)
{
	json_t *root = ndjson_record(obs, an);
	int rc = ndjson_dump_line(out, root);

	json_decref(root);
	return rc;
}
