/*
 * bundle.c: certificates as a CA hands them over: PEM, DER, PKCS#7, PKCS#12 (analyzer/load.h),
 * or the CA's .zip with the .crt and the chain (libzip: every .crt/.cer/.pem/.p7b/.p7c entry,
 * directories ignored, at most ZIP_MAX_ENTRIES entries of at most CHAIN_LOAD_MAX_FILE bytes in
 * all; one byte more is read to catch an entry whose header lies about its size). The result is
 * one PEM bundle, leaf first. Hostile input: tests/fuzz/fuzz_bundle.c.
 */
#include "orders/bundle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <zip.h>

#include "analyzer/load.h"
#include "core/observation.h"

#define ZIP_MAX_ENTRIES 256

/* ---------------------------------------------------------------- reading certificates */

/* Appends the PEM of every certificate of obs, in its order, to out. */
static int obs_to_pem(const struct observation *obs, BIO *out)
{
	for (size_t i = 0; i < obs->chain_len; i++) {
		const unsigned char *p = obs->chain[i].der;
		X509 *x = d2i_X509(NULL, &p, (long)obs->chain[i].len);
		int ok = x != NULL && PEM_write_bio_X509(out, x) == 1;

		X509_free(x);
		if (!ok)
			return -1;
	}
	return 0;
}

/* A malloc'd NUL-terminated copy of the memory BIO's bytes; NULL when out of memory/empty. */
static char *bio_text(BIO *b)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);

	return n > 0 ? strndup(data, (size_t)n) : NULL;
}

/* Loads bytes (one file or one zip entry) and appends its certificates as PEM to out. */
static int load_mem_into(const unsigned char *buf, size_t len, const char *what, BIO *out,
                         char *err, size_t errlen)
{
	struct observation *obs = obs_new();
	char e[512];
	int ret = -1;

	if (obs == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (chain_load_mem(buf, len, NULL, obs, NULL, e, sizeof(e)) != 0)
		snprintf(err, errlen, "%.200s: %s", what, e);
	else if (obs_to_pem(obs, out) != 0)
		snprintf(err, errlen, "out of memory");
	else
		ret = 0;
	obs_free(obs);
	return ret;
}

static int cert_entry_name(const char *name)
{
	static const char *const exts[] = { ".crt", ".cer", ".pem", ".p7b", ".p7c" };
	size_t n = strlen(name);

	if (n == 0 || name[n - 1] == '/')
		return 0;
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (n > 4 && strcasecmp(name + n - 4, exts[i]) == 0)
			return 1;
	return 0;
}

/* Reads one entry of at most *budget bytes (reading one more detects a lying header). */
static int zip_entry(zip_t *z, zip_uint64_t i, const char *name, size_t *budget, BIO *out,
                     char *err, size_t errlen)
{
	zip_file_t *zf = NULL;
	unsigned char *buf = NULL;
	zip_int64_t n = 0;
	size_t len = 0;
	int ret = -1;

	if ((buf = malloc(*budget + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if ((zf = zip_fopen_index(z, i, 0)) == NULL) {
		snprintf(err, errlen, "zip entry %.200s: %s", name, zip_strerror(z));
		goto out;
	}
	while (len <= *budget && (n = zip_fread(zf, buf + len, *budget + 1 - len)) > 0)
		len += (size_t)n;
	if (n < 0) {
		snprintf(err, errlen, "zip entry %.200s: %s", name, zip_file_strerror(zf));
		goto out;
	}
	if (len > *budget) {
		snprintf(err, errlen, "the zip's certificate entries exceed %d bytes",
		         CHAIN_LOAD_MAX_FILE);
		goto out;
	}
	*budget -= len;
	ret = load_mem_into(buf, len, name, out, err, errlen);
out:
	if (zf != NULL)
		zip_fclose(zf);
	free(buf);
	return ret;
}

/* Every certificate entry of the open zip z, appended to out as PEM; z is discarded. */
static int load_zip(zip_t *z, const char *path, BIO *out, char *err, size_t errlen)
{
	zip_int64_t n = 0;
	size_t budget = CHAIN_LOAD_MAX_FILE, found = 0;
	int ret = -1;

	n = zip_get_num_entries(z, 0);
	if (n < 0 || n > ZIP_MAX_ENTRIES) {
		snprintf(err, errlen, "%.200s: more than %d zip entries", path, ZIP_MAX_ENTRIES);
		goto out;
	}
	for (zip_int64_t i = 0; i < n; i++) {
		const char *name = zip_get_name(z, (zip_uint64_t)i, 0);

		if (name == NULL || !cert_entry_name(name))
			continue;
		if (zip_entry(z, (zip_uint64_t)i, name, &budget, out, err, errlen) != 0)
			goto out;
		found++;
	}
	if (found == 0) {
		snprintf(err, errlen, "%.200s: the zip holds no .crt, .cer, .pem or .p7b entry", path);
		goto out;
	}
	ret = 0;
out:
	zip_discard(z);
	return ret;
}

static int zip_magic(const unsigned char *m, size_t n)
{
	return n >= 4 && m[0] == 'P' && m[1] == 'K' && m[2] == 3 && m[3] == 4;
}

static int is_zip(const char *path)
{
	unsigned char m[4] = { 0 };
	FILE *f = fopen(path, "rb");
	size_t n = 0;

	if (f != NULL) {
		n = fread(m, 1, sizeof(m), f);
		fclose(f);
	}
	return zip_magic(m, n);
}

static void zip_open_failed(int code, const char *path, char *err, size_t errlen)
{
	zip_error_t ze;

	zip_error_init_with_code(&ze, code);
	snprintf(err, errlen, "%.200s: not a readable zip: %s", path, zip_error_strerror(&ze));
	zip_error_fini(&ze);
}

/* The bundle's certificates (all of obs) as PEM in *pem, leaf first. */
static int finish_pem(struct observation *obs, char **pem, char *err, size_t errlen)
{
	BIO *sorted = BIO_new(BIO_s_mem());
	int ret = -1;

	if (sorted == NULL || obs_to_pem(obs, sorted) != 0 || (*pem = bio_text(sorted)) == NULL)
		snprintf(err, errlen, "out of memory");
	else
		ret = 0;
	BIO_free(sorted);
	return ret;
}

/* The certificates of an open zip, sorted leaf first as one bundle, into obs. */
static int zip_into(zip_t *z, const char *what, struct observation *obs, char *err, size_t errlen)
{
	BIO *all = BIO_new(BIO_s_mem());
	char *text = NULL;
	int ret = -1;

	if (all == NULL) {
		snprintf(err, errlen, "out of memory");
		zip_discard(z);
		goto out;
	}
	if (load_zip(z, what, all, err, errlen) != 0)
		goto out;
	if ((text = bio_text(all)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	ret = chain_load_mem((const unsigned char *)text, strlen(text), NULL, obs, NULL, err, errlen);
out:
	free(text);
	BIO_free(all);
	return ret;
}

int bundle_load_file(const char *path, char **pem, char *err, size_t errlen)
{
	struct observation *obs = obs_new();
	int ret = -1;

	*pem = NULL;
	if (obs == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!is_zip(path)) {
		if (chain_load_file(path, NULL, obs, NULL, err, errlen) != 0)
			goto out;
	} else {
		int zerr = 0;
		zip_t *z = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);

		if (z == NULL) {
			zip_open_failed(zerr, path, err, errlen);
			goto out;
		}
		if (zip_into(z, path, obs, err, errlen) != 0)
			goto out;
	}
	ret = finish_pem(obs, pem, err, errlen);
out:
	obs_free(obs);
	return ret;
}

int bundle_load_mem(const unsigned char *buf, size_t len, char **pem, char *err, size_t errlen)
{
	struct observation *obs = obs_new();
	int ret = -1;

	*pem = NULL;
	if (obs == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!zip_magic(buf, len)) {
		if (chain_load_mem(buf, len, NULL, obs, NULL, err, errlen) != 0)
			goto out;
	} else {
		zip_error_t ze;
		zip_source_t *src;
		zip_t *z;

		if (len > CHAIN_LOAD_MAX_FILE) {
			snprintf(err, errlen, "the zip is larger than %d bytes", CHAIN_LOAD_MAX_FILE);
			goto out;
		}
		zip_error_init(&ze);
		src = zip_source_buffer_create(buf, len, 0, &ze);
		z = src != NULL ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze) : NULL;
		if (z == NULL) {
			snprintf(err, errlen, "not a readable zip: %s", zip_error_strerror(&ze));
			zip_error_fini(&ze);
			if (src != NULL)
				zip_source_free(src);
			goto out;
		}
		zip_error_fini(&ze);
		if (zip_into(z, "zip", obs, err, errlen) != 0)
			goto out;
	}
	ret = finish_pem(obs, pem, err, errlen);
out:
	obs_free(obs);
	return ret;
}
