/* profile_json.c: the configuration part of the analyze JSON document (see profile_json.h). */
#include "report/profile_json.h"

#include <stdio.h>
#include <string.h>

#include "core/suites.h"

static json_t *tri(int v)
{
	return v == PROFILE_UNKNOWN ? json_null() : json_boolean(v);
}

void profile_protocols(const struct tls_profile *p, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int v = 0; v < PV_COUNT && o < len; v++)
		if (p->supported[v] == 1)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? " " : "", proto_version_name(v));
}

static json_t *suite_json(uint16_t id)
{
	const struct suite *s = suite_by_id(id);
	char hex[8];
	const char *weak;

	snprintf(hex, sizeof(hex), "0x%04x", id);
	if (s == NULL)
		return json_pack("{s:s, s:s, s:n, s:n, s:n, s:n, s:n}", "id", hex, "name", hex, "openssl",
		                 "bits", "fs", "aead", "weak");
	weak = suite_weak_reason(s);
	return json_pack("{s:s, s:s, s:o, s:i, s:b, s:b, s:o}", "id", hex, "name", s->name, "openssl",
	                 s->openssl != NULL ? json_string(s->openssl) : json_null(), "bits", s->bits,
	                 "fs", (s->flags & SUITE_FS) != 0, "aead", (s->flags & SUITE_AEAD) != 0,
	                 "weak", weak != NULL ? json_string(weak) : json_null());
}

static json_t *ssl2_json(const struct tls_profile *p)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < p->n_ssl2; i++) {
		const struct suite *s = suite_by_ssl2(p->ssl2_kinds[i]);
		char hex[10];

		snprintf(hex, sizeof(hex), "0x%06x", (unsigned)p->ssl2_kinds[i]);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:b, s:b, s:o}", "id", hex, "name",
		                                     s != NULL ? s->name : hex, "bits", s != NULL ? s->bits : 0,
		                                     "fs", 0, "aead", 0, "weak",
		                                     json_string(s != NULL && suite_weak_reason(s) ? suite_weak_reason(s)
		                                                                                   : "SSLv2")));
	}
	return arr;
}

int profile_json_add(json_t *obj, const struct tls_profile *p)
{
	json_t *protocols = json_object(), *ciphers = json_object(), *groups = json_array();
	json_t *ext, *hsts;

	if (protocols == NULL || ciphers == NULL || groups == NULL)
		goto fail;
	for (int v = 0; v < PV_COUNT; v++) {
		const struct proto_suites *ps = &p->suites[v];
		json_t *list;

		json_object_set_new(protocols, proto_version_name(v), tri(p->supported[v]));
		if (p->supported[v] != 1)
			continue;
		if (v == PV_SSL2) {
			list = ssl2_json(p);
		} else {
			list = json_array();
			for (size_t i = 0; list != NULL && i < ps->n; i++)
				json_array_append_new(list, suite_json(ps->ids[i]));
		}
		json_object_set_new(ciphers, proto_version_name(v),
		                    json_pack("{s:o, s:o}", "server_order", tri(ps->server_order), "suites", list));
	}
	for (size_t i = 0; i < p->n_groups; i++) {
		const struct named_group *g = group_by_id(p->groups[i]);
		char hex[8];

		snprintf(hex, sizeof(hex), "0x%04x", p->groups[i]);
		json_array_append_new(groups, json_string(g != NULL ? g->name : hex));
	}
	ext = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o}",
	                "secure_renegotiation", tri(p->secure_reneg), "session_ticket", tri(p->session_ticket),
	                "ocsp_stapling", tri(p->ocsp_stapling), "sct", tri(p->sct_extension), "ems", tri(p->ems),
	                "etm", tri(p->etm), "alpn", p->alpn, "heartbeat", tri(p->heartbeat),
	                "compression", tri(p->compression), "fallback_scsv", tri(p->fallback_scsv),
	                "heartbleed", tri(p->heartbleed), "client_renegotiation", tri(p->client_reneg),
	                "session_resumption", tri(p->session_resumption));
	hsts = json_pack("{s:b, s:b, s:I, s:b, s:b, s:i}", "checked", p->http_checked, "present", p->hsts,
	                 "max_age", (json_int_t)p->hsts_max_age, "include_subdomains", p->hsts_subdomains,
	                 "preload", p->hsts_preload, "http_status", p->http_status);
	if (ext == NULL || hsts == NULL)
		goto fail;
	json_object_set_new(obj, "protocols", protocols);
	json_object_set_new(obj, "ciphers", ciphers);
	json_object_set_new(obj, "groups", groups);
	json_object_set_new(obj, "dh_bits", json_integer(p->dh_bits));
	json_object_set_new(obj, "extensions", ext);
	json_object_set_new(obj, "hsts", hsts);
	json_object_set_new(obj, "connections", json_integer(p->connections));
	json_object_set_new(obj, "ms", json_real((double)(long long)(p->ms * 10) / 10.0));
	if (p->error[0] != '\0')
		json_object_set_new(obj, "analysis_error", json_string(p->error));
	return 0;
fail:
	json_decref(protocols);
	json_decref(ciphers);
	json_decref(groups);
	return -1;
}
