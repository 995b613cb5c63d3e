/*
 * ccheck_cipher_weak.c: cipher.weak, the server accepts weak cipher suites, listed per protocol.
 *
 * Weak (config_weak_class): NULL encryption, anonymous authentication and EXPORT suites (anyone
 * can read or intercept the traffic: critical), RC4, single DES and RC2 (broken ciphers: high),
 * and 3DES (64-bit block, Sweet32, CVE-2016-2183: medium). The finding takes the severity of the
 * worst suite accepted. SSLv2 cipher kinds count too (SSLv2 itself is proto.sslv2).
 */
#include "analyzer/ccheck.h"

#include <stdio.h>
#include <string.h>

static const char *const class_labels[] = { "NULL", "anon", "EXPORT", "RC4", "DES", "RC2", "3DES" };
#define N_LABELS (sizeof(class_labels) / sizeof(class_labels[0]))

static void note_label(const char *label, int *seen)
{
	for (size_t i = 0; i < N_LABELS; i++)
		if (strcmp(label, class_labels[i]) == 0)
			seen[i] = 1;
}

/* Adds one weak suite of protocol v to the list, with the protocol's name before its first. */
static void add_item(struct cbuf *b, enum proto_version v, int *last_v, const struct suite *s,
		     const char *label)
{
	if (*last_v != (int)v)
		cbuf_add(b, "%s%s: %s (%s)", *last_v < 0 ? "" : "; ", proto_version_name(v),
			 config_suite_name(s), label);
	else
		cbuf_add(b, ", %s (%s)", config_suite_name(s), label);
	*last_v = (int)v;
}

static void run(const struct config_check *self, struct config_ctx *ctx)
{
	const struct tls_profile *p = ctx->p;
	enum weak_class worst = WEAK_NONE;
	int seen[N_LABELS] = { 0 }, last_v = -1;
	char list[280], labels[64];
	struct cbuf b, lb;
	size_t n;

	cbuf_init(&b, list, sizeof(list), 16);
	if (p->supported[PV_SSL2] == 1) {
		n = p->n_ssl2 < 16 ? p->n_ssl2 : 16;
		for (size_t i = 0; i < n; i++) {
			const struct suite *s = suite_by_ssl2(p->ssl2_kinds[i]);
			const char *label;
			enum weak_class c;

			if (s == NULL || (c = config_weak_class(s, &label)) == WEAK_NONE)
				continue;
			worst = c > worst ? c : worst;
			note_label(label, seen);
			add_item(&b, PV_SSL2, &last_v, s, label);
		}
	}
	for (int v = PV_SSL3; v < PV_COUNT; v++) {
		const struct proto_suites *ps = &p->suites[v];

		if (p->supported[v] != 1)
			continue;
		n = ps->n < PROFILE_MAX_SUITES ? ps->n : PROFILE_MAX_SUITES;
		for (size_t i = 0; i < n; i++) {
			const struct suite *s = suite_by_id(ps->ids[i]);
			const char *label;
			enum weak_class c;

			if (s == NULL || (c = config_weak_class(s, &label)) == WEAK_NONE)
				continue;
			worst = c > worst ? c : worst;
			note_label(label, seen);
			add_item(&b, (enum proto_version)v, &last_v, s, label);
		}
	}
	if (worst == WEAK_NONE)
		return;
	cbuf_finish(&b);
	cbuf_init(&lb, labels, sizeof(labels), 0);
	for (size_t i = 0; i < N_LABELS; i++)
		if (seen[i])
			cbuf_add(&lb, "%s%s", lb.len ? ", " : "", class_labels[i]);
	config_add(ctx, self,
		   worst == WEAK_CLEAR ? SEV_CRITICAL : worst == WEAK_BROKEN ? SEV_HIGH : SEV_MEDIUM,
		   "weak cipher suites accepted (%s): %s", labels, list);
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
