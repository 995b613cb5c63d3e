/*
 * ccheck_cipher_weak.c: cipher.weak, the server accepts weak cipher suites, listed per protocol.
 *
 * Weak (config_weak_class): NULL encryption, anonymous authentication and EXPORT suites (anyone
 * can read or intercept the traffic: critical), RC4, single DES and RC2 (broken ciphers: high),
 * and 3DES (64-bit block, Sweet32, CVE-2016-2183: medium). The finding takes the severity of the
 * worst suite accepted. SSLv2 cipher kinds count too (SSLv2 itself is proto.sslv2).
 */
#include "analyzer/ccheck.h"

#include <string.h>

static const char *const class_labels[] = { "NULL", "anon", "EXPORT", "RC4", "DES", "RC2", "3DES" };
#define N_LABELS (sizeof(class_labels) / sizeof(class_labels[0]))

static void note_label(const char *label, int *seen)
{
	for (size_t i = 0; i < N_LABELS; i++)
		if (strcmp(label, class_labels[i]) == 0)
			seen[i] = 1;
}

struct walk {
	enum weak_class worst;
	int seen[N_LABELS];
	struct cbuf *out;   /* NULL on the first pass */
	int last_v;
};

/* Notes one accepted suite of protocol v; on the second pass lists it, with the protocol's name
 * before its first weak suite. */
static void visit(struct walk *w, enum proto_version v, const struct suite *s)
{
	const char *label;
	enum weak_class c;

	if (s == NULL || (c = config_weak_class(s, &label)) == WEAK_NONE)
		return;
	w->worst = c > w->worst ? c : w->worst;
	note_label(label, w->seen);
	if (w->out == NULL)
		return;
	if (w->last_v != (int)v)
		cbuf_add(w->out, "%s%s: %s (%s)", w->last_v < 0 ? "" : "; ", proto_version_name(v),
			 config_suite_name(s), label);
	else
		cbuf_add(w->out, ", %s (%s)", config_suite_name(s), label);
	w->last_v = (int)v;
}

static void walk(const struct tls_profile *p, struct walk *w)
{
	size_t n;

	if (p->supported[PV_SSL2] == 1) {
		n = p->n_ssl2 < 16 ? p->n_ssl2 : 16;
		for (size_t i = 0; i < n; i++)
			visit(w, PV_SSL2, suite_by_ssl2(p->ssl2_kinds[i]));
	}
	for (int v = PV_SSL3; v < PV_COUNT; v++) {
		const struct proto_suites *ps = &p->suites[v];

		if (p->supported[v] != 1)
			continue;
		n = ps->n < PROFILE_MAX_SUITES ? ps->n : PROFILE_MAX_SUITES;
		for (size_t i = 0; i < n; i++)
			visit(w, (enum proto_version)v, suite_by_id(ps->ids[i]));
	}
}

static void run(const struct config_check *self, struct config_ctx *ctx)
{
	struct walk w = { .worst = WEAK_NONE, .last_v = -1 };
	char msg[sizeof(((struct finding *)0)->message)];
	struct cbuf b;
	int first = 1;

	walk(ctx->p, &w);
	if (w.worst == WEAK_NONE)
		return;
	cbuf_init(&b, msg, sizeof(msg), 16);
	cbuf_add(&b, "weak cipher suites accepted (");
	for (size_t i = 0; i < N_LABELS; i++)
		if (w.seen[i]) {
			cbuf_add(&b, "%s%s", first ? "" : ", ", class_labels[i]);
			first = 0;
		}
	cbuf_add(&b, "): ");
	w.out = &b;
	w.last_v = -1;
	walk(ctx->p, &w);
	cbuf_finish(&b);
	config_add(ctx, self,
		   w.worst == WEAK_CLEAR ? SEV_CRITICAL : w.worst == WEAK_BROKEN ? SEV_HIGH : SEV_MEDIUM,
		   "%s", msg);
}

const struct config_check ccheck_cipher_weak = {
	.id = "cipher.weak",
	.severity = SEV_HIGH,
	.title = "Weak cipher suites are accepted (NULL, anon, EXPORT, RC4, DES, RC2, 3DES)",
	.fix = "Accept only strong suites: ECDHE with AES-GCM or ChaCha20-Poly1305 (plus the TLS 1.3 "
	       "suites). nginx: ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
	       "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
	       "ECDHE-RSA-CHACHA20-POLY1305; Apache: SSLCipherSuite with the same list. Never use "
	       "aNULL, eNULL, EXPORT, RC4, DES, 3DES or RC2.",
	.run = run,
};
