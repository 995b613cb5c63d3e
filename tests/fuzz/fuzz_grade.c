/*
 * fuzz_grade.c: configuration checks and grade over arbitrary profiles.
 *
 * The profile is the prober's summary of hostile servers, so every field can hold anything: the
 * input bytes are decoded field by field into a tls_profile (counts larger than the arrays,
 * unknown suite and group ids, tri-states outside -1..1, negative sizes) and a leaf certificate's
 * facts. config_analyze() and grade_compute() must not read out of bounds, and their results must
 * keep their contracts: NUL-terminated messages, a letter from the set, scores within 0..100.
 * Input layout: see decode(); missing bytes read as zero.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/config.h"
#include "analyzer/grade.h"

struct in {
	const uint8_t *d;
	size_t n, i;
};

static unsigned u8(struct in *in)
{
	return in->i < in->n ? in->d[in->i++] : 0;
}

static unsigned u16(struct in *in)
{
	unsigned hi = u8(in);

	return hi << 8 | u8(in);
}

static int tri(struct in *in)
{
	unsigned b = u8(in);

	return b < 250 ? (int)(b % 3) - 1 : (int)b; /* mostly -1..1, sometimes garbage */
}

static void decode(struct in *in, struct tls_profile *p, struct certinfo *leaf, struct analysis *an)
{
	static const char *const key_types[] = { "RSA", "EC", "ED25519", "DSA", "RSA-PSS", "" };
	static const char *const sigs[] = { "sha256WithRSAEncryption", "md5WithRSAEncryption",
		"ecdsa-with-SHA256", "" };

	profile_init(p);
	for (int v = 0; v < PV_COUNT; v++) {
		p->supported[v] = tri(in);
		p->suites[v].server_order = tri(in);
		p->suites[v].n = u8(in) < 240 ? u8(in) % 24 : u16(in);
		for (size_t k = 0; k < 24 && k < PROFILE_MAX_SUITES; k++)
			p->suites[v].ids[k] = (uint16_t)u16(in);
	}
	p->n_ssl2 = u8(in);
	for (size_t k = 0; k < 4; k++)
		p->ssl2_kinds[k] = (uint32_t)u16(in) << 8 | u8(in);
	p->n_groups = u8(in);
	for (size_t k = 0; k < 6; k++)
		p->groups[k] = (uint16_t)u16(in);
	p->dh_bits = (int)(int16_t)u16(in);
	p->ecdh_bits = (int)(int16_t)u16(in);
	p->secure_reneg = tri(in);
	p->client_reneg = tri(in);
	p->compression = tri(in);
	p->heartbleed = tri(in);
	p->fallback_scsv = tri(in);
	p->session_ticket = tri(in);
	p->session_resumption = tri(in);
	p->ocsp_stapling = tri(in);
	p->sct_extension = tri(in);
	p->sct_ocsp = tri(in);
	p->http_checked = tri(in);
	p->http_status = (int)u16(in) - 100;
	p->hsts = tri(in);
	p->hsts_max_age = (long)(int32_t)(u16(in) << 16 | u16(in));

	memset(leaf, 0, sizeof(*leaf));
	memset(an, 0, sizeof(*an));
	strcpy(leaf->key_type, key_types[u8(in) % 6]);
	leaf->key_bits = (int)(int16_t)u16(in);
	strcpy(leaf->sig_alg, sigs[u8(in) % 4]);
	leaf->has_sct = tri(in);
	leaf->self_signed = tri(in);
	an->n_certs = u8(in) % 2;
	an->certs[0] = leaf;
	an->verified = tri(in);
	an->hostname_checked = tri(in);
	an->hostname_ok = tri(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size, 0 };
	struct tls_profile p;
	struct certinfo leaf;
	struct analysis an;
	struct finding *f = NULL;
	size_t n = 0;
	struct grade g;
	int with_an;

	decode(&in, &p, &leaf, &an);
	with_an = u8(&in) & 1;
	if (config_analyze(&p, with_an ? &an : NULL, &f, &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (memchr(f[i].message, '\0', sizeof(f[i].message)) == NULL || f[i].id == NULL)
			abort();
	free(f);
	if (grade_compute(&p, with_an ? &an : NULL, &g) == 0) {
		static const char *const letters = " A+ A A- B C D E F T M ";
		char key[5];

		key[0] = ' ';
		strncpy(key + 1, g.letter, 3);
		key[1 + strlen(g.letter)] = ' ';
		key[2 + strlen(g.letter)] = '\0';
		if (g.letter[0] == '\0' || strstr(letters, key) == NULL || g.decided_by == NULL ||
		    g.score < 0 || g.score > 100 || g.kex_score < 0 || g.kex_score > 100 ||
		    g.cipher_score < 0 || g.cipher_score > 100 || g.protocol_score < 0 ||
		    g.protocol_score > 100 || g.n_reasons > GRADE_MAX_REASONS)
			abort();
	}
	return 0;
}
