/* analyze_doc.c: the deep-analysis report as JSON and text (see analyze_doc.h). */
#include "report/analyze_doc.h"

#include <stdio.h>
#include <string.h>

#include "core/suites.h"
#include "core/text.h"
#include "report/ndjson.h"
#include "report/profile_json.h"

static json_t *reasons_json(const struct grade_reason *rs, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "rule", rs[i].rule->id, "cap",
		                                     rs[i].rule->cap, "text", rs[i].text, "source",
		                                     rs[i].rule->source));
	return arr;
}

json_t *analyze_doc_json(const struct deep_report *r)
{
	json_t *doc = ndjson_record(r->obs, r->an), *grade;
	const struct grade *g = r->grade;

	if (doc == NULL)
		return NULL;
	grade = json_pack("{s:s, s:s, s:i, s:s, s:i, s:i, s:i, s:i, s:s, s:o, s:o}", "letter", g->letter,
	                  "ignoring_trust", g->letter_ignoring_trust, "score", g->score, "score_letter",
	                  g->score_letter, "protocol_score", g->protocol_score, "kex_score", g->kex_score,
	                  "cipher_score", g->cipher_score, "kex_bits", g->kex_bits, "decided_by",
	                  g->decided_by != NULL ? g->decided_by : "", "reasons",
	                  reasons_json(g->reasons, g->n_reasons), "warnings",
	                  reasons_json(g->warnings, g->n_warnings));
	if (grade == NULL || json_object_set_new(doc, "grade", grade) != 0 ||
	    profile_json_add(doc, r->profile) != 0 ||
	    json_object_set_new(doc, "findings", ndjson_findings(r->findings, r->n_findings)) != 0) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static const char *yn(int v)
{
	return v == PROFILE_UNKNOWN ? "not tested" : v ? "yes" : "no";
}

static void print_suites(FILE *out, const struct tls_profile *p, int v)
{
	const struct proto_suites *ps = &p->suites[v];

	fprintf(out, "  %s (%s)\n", proto_version_name(v),
	        ps->server_order == 1 ? "server's order" : ps->server_order == 0 ? "client's order" : "order unknown");
	for (size_t i = 0; i < ps->n; i++) {
		const struct suite *s = suite_by_id(ps->ids[i]);
		const char *weak = s != NULL ? suite_weak_reason(s) : NULL;

		if (s == NULL) {
			fprintf(out, "    0x%04x\n", ps->ids[i]);
			continue;
		}
		fprintf(out, "    %-48s %4u bits%s%s%s%s%s\n", s->name, s->bits, (s->flags & SUITE_FS) ? "  FS" : "",
		        (s->flags & SUITE_AEAD) ? "  AEAD" : "", weak ? "  WEAK: " : "", weak ? weak : "",
		        i == 0 && ps->server_order == 1 ? "  (preferred)" : "");
	}
}

int analyze_doc_text(FILE *out, const struct deep_report *r)
{
	const struct observation *o = r->obs;
	const struct tls_profile *p = r->profile;
	const struct grade *g = r->grade;
	char buf[512], ep[80];

	snprintf(ep, sizeof(ep), strchr(o->ip, ':') ? "[%s]:%u" : "%s:%u", o->ip, o->port);
	text_terminal(buf, sizeof(buf), o->sni != NULL ? o->sni : "");
	fprintf(out, "certsweep analyze %s%s%s%s%s\n\n", ep, buf[0] ? " (SNI " : "", buf, buf[0] ? ")" : "",
	        o->starttls[0] ? ", STARTTLS" : "");
	if (strcmp(g->letter, "-") == 0)
		fprintf(out, "Grade        - (nothing to grade: no protocol version could be negotiated%s%s)\n",
		        p->error[0] ? ": " : "", p->error);
	else
		fprintf(out, "Grade        %s%s%s%s\n", g->letter,
		        strcmp(g->letter, g->letter_ignoring_trust) != 0 ? "  (" : "",
		        strcmp(g->letter, g->letter_ignoring_trust) != 0 ? g->letter_ignoring_trust : "",
		        strcmp(g->letter, g->letter_ignoring_trust) != 0 ? " if the certificate were trusted)" : "");
	fprintf(out, "Score        %d = protocol %d x 0.3 + key exchange %d x 0.3 + cipher %d x 0.4\n", g->score,
	        g->protocol_score, g->kex_score, g->cipher_score);
	for (size_t i = 0; i < g->n_reasons; i++)
		fprintf(out, "  %-3s %s [%s]\n", g->reasons[i].rule->cap, g->reasons[i].text, g->reasons[i].rule->id);
	for (size_t i = 0; i < g->n_warnings; i++)
		fprintf(out, "  A-  %s [%s]\n", g->warnings[i].text, g->warnings[i].rule->id);
	fprintf(out, "\nProtocols   ");
	for (int v = PV_TLS13; v >= 0; v--)
		fprintf(out, " %s %s", proto_version_name(v), yn(p->supported[v]));
	fprintf(out, "\n\nCipher suites\n");
	for (int v = PV_TLS13; v >= PV_SSL3; v--)
		if (p->supported[v] == 1)
			print_suites(out, p, v);
	if (p->supported[PV_SSL2] == 1) {
		fprintf(out, "  SSLv2\n");
		for (size_t i = 0; i < p->n_ssl2; i++) {
			const struct suite *s = suite_by_ssl2(p->ssl2_kinds[i]);
			fprintf(out, "    %s\n", s != NULL ? s->name : "(unknown SSLv2 cipher kind)");
		}
	}
	fprintf(out, "\nKey exchange groups ");
	for (size_t i = 0; i < p->n_groups; i++) {
		const struct named_group *ng = group_by_id(p->groups[i]);
		fprintf(out, " %s", ng != NULL ? ng->name : "?");
	}
	if (p->n_groups == 0)
		fprintf(out, " none");
	if (p->dh_bits > 0)
		fprintf(out, "; DHE %d bits", p->dh_bits);
	fprintf(out, "\n\nFeatures\n");
	fprintf(out, "  secure renegotiation %s, client-initiated renegotiation %s, compression %s\n",
	        yn(p->secure_reneg), yn(p->client_reneg), yn(p->compression));
	fprintf(out, "  fallback SCSV %s, heartbeat %s, heartbleed %s\n", yn(p->fallback_scsv), yn(p->heartbeat),
	        yn(p->heartbleed));
	fprintf(out, "  OCSP stapling %s, SCT extension %s, session tickets %s, session resumption %s\n",
	        yn(p->ocsp_stapling), yn(p->sct_extension), yn(p->session_ticket), yn(p->session_resumption));
	fprintf(out, "  ALPN %s, extended master secret %s, encrypt-then-MAC %s\n", p->alpn[0] ? p->alpn : "none",
	        yn(p->ems), yn(p->etm));
	if (p->http_checked && p->hsts)
		fprintf(out, "  HSTS max-age=%ld (%ld days)%s%s (HTTP status %d)\n", p->hsts_max_age,
		        p->hsts_max_age / 86400, p->hsts_subdomains ? "; includeSubDomains" : "",
		        p->hsts_preload ? "; preload" : "", p->http_status);
	else if (p->http_checked)
		fprintf(out, "  HSTS absent (HTTP status %d)\n", p->http_status);
	fprintf(out, "\nCertificate chain (%s%s%s)\n", r->an != NULL && r->an->verified ? "trusted" : "NOT trusted",
	        r->an != NULL && !r->an->verified && r->an->verify_error[0] ? ": " : "",
	        r->an != NULL && !r->an->verified ? r->an->verify_error : "");
	for (size_t i = 0; r->an != NULL && i < r->an->n_certs; i++) {
		const struct certinfo *ci = r->an->certs[i];
		char subj[256], iss[256], na[32];

		text_terminal(subj, sizeof(subj), ci->subject);
		text_terminal(iss, sizeof(iss), ci->issuer);
		iso8601_utc(na, sizeof(na), ci->not_after);
		fprintf(out, "  %zu %s\n      issuer %s\n      expires %s, %s %d bits, %s\n      sha256 %s\n", i, subj, iss,
		        na, ci->key_type, ci->key_bits, ci->sig_alg, ci->sha256_hex);
	}
	fprintf(out, "\nFindings (%zu)\n", r->n_findings);
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct finding *f = &r->findings[i];

		text_terminal(buf, sizeof(buf), f->message);
		fprintf(out, "  %-8s %-28s %s\n", severity_name(f->severity), f->id, buf);
		if (f->fix != NULL)
			fprintf(out, "           fix: %s\n", f->fix);
	}
	fprintf(out, "\n%u connections, %.1f s%s%s\n", p->connections, p->ms / 1000, p->error[0] ? "; " : "", p->error);
	return ferror(out) ? -1 : 0;
}
