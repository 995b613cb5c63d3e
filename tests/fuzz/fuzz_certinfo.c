/*
 * fuzz_certinfo.c: certinfo_parse() on arbitrary bytes (a certificate is the first thing a
 * hostile server controls). Whatever parses is walked field by field (so ASan sees every string
 * the parser produced) and matched against a policy, and every string must be NUL-terminated
 * valid UTF-8 without control characters: the contract writers rely on.
 *
 * Seeds: tests/fuzz/corpus/certinfo/ holds DER certificates made with the openssl CLI: EC and
 * RSA leaves with SANs (DNS, IP, email), AIA, CRL and EKU, a self-signed CA with a UTF-8 subject,
 * a SHA-1-signed RSA-1024 certificate, and one truncated certificate.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/analyzer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless s is valid UTF-8 with no C0 control or DEL. */
static void check_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (s == NULL)
		abort();
	while (*p) {
		size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 :
			   (*p & 0xf8) == 0xf0 ? 4 : 0;

		if (n == 0 || *p < 0x20 || *p == 0x7f)
			abort();
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				abort();
		p += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[128];
	struct certinfo *ci = certinfo_parse(data, size, err, sizeof(err));
	struct ca_policy *pol;

	if (ci == NULL) {
		if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		return 0;
	}
	check_text(ci->subject);
	check_text(ci->issuer);
	check_text(ci->subject_cn);
	check_text(ci->issuer_cn);
	check_text(ci->issuer_org);
	check_text(ci->serial_hex);
	for (size_t i = 0; i < ci->n_sans; i++)
		check_text(ci->sans[i]);
	if (ci->aia_ocsp != NULL)
		check_text(ci->aia_ocsp);
	if (ci->aia_ca_issuers != NULL)
		check_text(ci->aia_ca_issuers);
	if (ci->crl_url != NULL)
		check_text(ci->crl_url);
	check_text(ci->key_type);
	check_text(ci->curve);
	check_text(ci->sig_alg);
	check_text(ci->key_usage);
	check_text(ci->ext_key_usage);
	if (strlen(ci->sha256_hex) != 64 || strlen(ci->sha1_hex) != 40 || ci->der_len != size ||
	    memcmp(ci->der, data, size) != 0)
		abort();
	pol = ca_policy_default();
	if (pol != NULL)
		(void)ca_policy_matches_cert(pol, ci);
	ca_policy_free(pol);
	certinfo_free(ci);
	return 0;
}
