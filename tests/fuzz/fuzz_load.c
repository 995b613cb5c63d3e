/*
 * fuzz_load.c: chain_load_mem() on arbitrary bytes, as `certsweep analyze --file` reads a file
 * (PEM, DER, PKCS#7, PKCS#12 detection and parsing, leaf choice and sorting), with the password
 * "fuzz" offered after the empty one.
 *
 * Contract checked: on failure the message is a non-empty NUL-terminated string and the
 * observation holds no certificate; on success 1..OBS_MAX_CHAIN certificates, each a complete DER
 * certificate of at most OBS_MAX_CERT_DER bytes, info.n_certs matches and file_pos[] is a
 * permutation of the file's positions. Either way OpenSSL's error queue is left empty. What loads
 * is then analysed (one analyzer for the whole run, system trust store) and the file-order finding
 * built, whose message must be valid UTF-8 without control characters.
 *
 * Seeds: tests/fuzz/corpus/load/ holds files made with the openssl CLI from a throw-away
 * root -> intermediate -> leaf PKI: a PEM chain, the same reversed, a PEM with text and a key, a
 * TRUSTED CERTIFICATE, a DER leaf, PKCS#7 as DER and PEM, PKCS#12 without a password and with the
 * password "fuzz", a key-only PEM and a text file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "analyzer/analyzer.h"
#include "analyzer/load.h"
#include "core/observation.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless s is valid UTF-8 with no C0 control or DEL (as check_text in fuzz_certinfo.c). */
static void check_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

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

static void check_loaded(const struct observation *obs, const struct chain_load_info *info)
{
	unsigned char seen[OBS_MAX_CHAIN] = { 0 };

	if (obs->chain_len == 0 || obs->chain_len > OBS_MAX_CHAIN || info->n_certs != obs->chain_len ||
	    (unsigned)info->format > CHAIN_FMT_PKCS12)
		abort();
	for (size_t i = 0; i < obs->chain_len; i++) {
		const unsigned char *p = obs->chain[i].der;
		X509 *x;
		int pos = info->file_pos[i];

		if (obs->chain[i].len == 0 || obs->chain[i].len > OBS_MAX_CERT_DER)
			abort();
		x = d2i_X509(NULL, &p, (long)obs->chain[i].len);
		if (x == NULL || p != obs->chain[i].der + obs->chain[i].len)
			abort();
		X509_free(x);
		if (pos < 0 || (size_t)pos >= obs->chain_len || seen[pos])
			abort();
		seen[pos] = 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct analyzer *az; /* one per run: loading a trust store per input would dominate */
	struct observation *obs = obs_new();
	struct chain_load_info info;
	struct analysis *an;
	struct finding f;
	char err[256];

	if (obs == NULL)
		return 0;
	ERR_clear_error();
	memset(err, 'x', sizeof(err));
	if (chain_load_mem(data, size, "fuzz", obs, &info, err, sizeof(err)) != 0) {
		if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0' || obs->chain_len != 0)
			abort();
		goto out;
	}
	check_loaded(obs, &info);
	if (az == NULL) {
		struct analyzer_config cfg = { .at = 1767225600 };

		az = analyzer_new(&cfg, err, sizeof(err));
		if (az == NULL)
			goto out;
	}
	obs->status = EP_OK;
	an = analyze(az, obs);
	if (an != NULL && chain_order_finding(&info, an, &f)) {
		if (memchr(f.message, '\0', sizeof(f.message)) == NULL || f.id == NULL || f.fix == NULL)
			abort();
		check_text(f.message);
	}
	analysis_free(an);
out:
	if (ERR_peek_error() != 0)
		abort();
	obs_free(obs);
	return 0;
}
