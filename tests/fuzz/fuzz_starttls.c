/*
 * fuzz_starttls.c: every STARTTLS module fed hostile server bytes in chunks.
 *
 * Input layout: data[0] picks the module (data[0] % number of modules, in registry order:
 * smtp imap pop3 ftp ldap xmpp postgres mysql), its bit 7 passes host NULL instead of a name,
 * bits 3..6 pick where the chunk-size cycle starts; data[1..] are the server's bytes, delivered
 * in chunks of 1, 2, 3, 5, 8, 13, 64, 512, 4096 bytes in turn until the module says READY or
 * FAIL. Beyond memory errors (run it under ASan/UBSan) it aborts when a contract of starttls.h
 * breaks: READY with input left over, a FAIL without a printable message, a step after the end
 * that does not fail, more input swallowed than STARTTLS_MAX_INPUT, or an outsized write.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "scanner/starttls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const size_t chunk_sizes[] = { 1, 2, 3, 5, 8, 13, 64, 512, 4096 };
#define NCHUNK (sizeof(chunk_sizes) / sizeof(chunk_sizes[0]))
#define MAX_WRITE 1024  /* no command any module sends is longer */

static void check_err(const char *err)
{
	if (err[0] == '\0')
		abort();
	for (const char *c = err; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct starttls_proto *p;
	struct evbuffer *in = NULL, *out = NULL;
	void *ctx = NULL;  /* owned here, freed at out: */
	const char *host;
	char err[256];
	enum starttls_rc rc;
	size_t count = 0, off = 1, k = 0;

	if (size < 1)
		return 0;
	while (starttls_protocols[count] != NULL)
		count++;
	p = starttls_protocols[data[0] % count];
	host = (data[0] & 0x80) ? NULL : "fuzz.example.test";
	k = (data[0] >> 3) & 0x0f;
	in = evbuffer_new();
	out = evbuffer_new();
	ctx = calloc(1, p->ctx_size);
	if (in == NULL || out == NULL || ctx == NULL)
		goto out;

	err[0] = '\0';
	rc = p->step(ctx, in, out, host, err, sizeof(err));
	while (rc == STARTTLS_MORE && off < size) {
		size_t n = chunk_sizes[k++ % NCHUNK];

		if (n > size - off)
			n = size - off;
		if (evbuffer_add(in, data + off, n) != 0)
			goto out;
		off += n;
		if (evbuffer_get_length(out) > MAX_WRITE)
			abort();
		evbuffer_drain(out, evbuffer_get_length(out));
		rc = p->step(ctx, in, out, host, err, sizeof(err));
	}
	if (evbuffer_get_length(out) > MAX_WRITE)
		abort();
	if (rc == STARTTLS_READY && evbuffer_get_length(in) != 0)
		abort();
	if (rc != STARTTLS_FAIL && off - 1 > STARTTLS_MAX_INPUT)
		abort();
	if (rc == STARTTLS_FAIL)
		check_err(err);
	if (rc != STARTTLS_MORE) {
		if (p->step(ctx, in, out, host, err, sizeof(err)) != STARTTLS_FAIL)
			abort();
		check_err(err);
	}
out:
	free(ctx);
	if (in != NULL)
		evbuffer_free(in);
	if (out != NULL)
		evbuffer_free(out);
	return 0;
}
