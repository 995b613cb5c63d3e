/*
 * fuzz_csr.c: csr_parse() on arbitrary bytes, as `certsweep orders csr --import` reads a file
 * (PEM or DER detection, PEM block search, PKCS#10 decoding, subject, SANs, key, signature,
 * digests), then the DCV values derived from the result.
 *
 * Contract checked: on failure *out is NULL and the message is a non-empty NUL-terminated
 * string; on success the DER is non-empty and at most the input's size, the digests are those
 * of the DER, at most CSR_MAX_SANS SANs each a NUL-terminated printable-ASCII name, and the
 * subject and CN are free of control characters. Either way OpenSSL's error queue is left empty.
 *
 * Seeds: tests/fuzz/corpus/csr/ holds CSRs made with the openssl CLI (RSA and EC keys, PEM and
 * DER, the old NEW CERTIFICATE REQUEST header, many SANs with IP addresses, text around the
 * block), a certificate and a text file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "orders/csr.h"
#include "orders/dcv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, size_t cap)
{
	const char *end = memchr(s, '\0', cap);

	if (end == NULL)
		abort();
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csr_info *info = (struct csr_info *)&size;  /* must be reset by csr_parse */
	char err[256];
	unsigned char md[32];
	struct dcv_values v;

	ERR_clear_error();
	memset(err, 'x', sizeof(err));
	if (csr_parse(data, size, &info, err, sizeof(err)) != 0) {
		if (info != NULL || memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
			abort();
		goto out;
	}
	if (info == NULL || info->der == NULL || info->der_len == 0 || info->der_len > size ||
	    info->n_sans > CSR_MAX_SANS)
		abort();
	if (!EVP_Digest(info->der, info->der_len, md, NULL, EVP_sha256(), NULL) ||
	    memcmp(md, info->sha256, 32) != 0)
		abort();
	for (size_t i = 0; i < info->n_sans; i++) {
		const char *s = info->sans[i].value;
		size_t len = strnlen(s, sizeof(info->sans[i].value));

		if (len == 0 || len > CSR_MAX_NAME)
			abort();
		for (size_t j = 0; j < len; j++)
			if ((unsigned char)s[j] < 0x21 || (unsigned char)s[j] > 0x7e)
				abort();
	}
	check_text(info->subject, sizeof(info->subject));
	check_text(info->cn, sizeof(info->cn));
	check_text(info->key_type, sizeof(info->key_type));
	dcv_values_from_digests(info->md5, info->sha256, &v);
	if (strlen(v.md5) != 32 || strlen(v.sha256) != 64)
		abort();
	csr_info_free(info);
out:
	if (ERR_peek_error() != 0)
		abort();
	return 0;
}
