/*
 * fuzz_targets.c: feeds arbitrary bytes to the target parsers of scanner/targets.c.
 *
 * Input layout: the first line is a port list (portlist_parse; when it is refused, "443,8443"
 * is used); the rest is a targets file. Lines after a line "---" are an exclusions file.
 * Both are parsed through targets_load_stream, the set is finalized, and up to 2000 endpoints
 * are iterated. Invariants checked (abort on violation): a finalized set has 1..2^48
 * endpoints; the iterator yields exactly min(count, limit) endpoints; no address endpoint is
 * excluded; ports are never 0; and for small spaces every endpoint is distinct.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "scanner/targets.h"
#include "scanner/targets_internal.h"

#define ITER_LIMIT 2000

struct ep_key {
	int family;
	unsigned char addr[16];
	uint16_t port;
	const char *name, *sni, *starttls;
};

static int cmp_key(const void *pa, const void *pb)
{
	const struct ep_key *a = pa, *b = pb;
	int c;

	if (a->family != b->family)
		return a->family - b->family;
	if ((c = memcmp(a->addr, b->addr, 16)) != 0)
		return c;
	if (a->port != b->port)
		return (int)a->port - (int)b->port;
	if ((c = strcmp(a->name ? a->name : "", b->name ? b->name : "")) != 0)
		return c;
	if ((c = strcmp(a->sni ? a->sni : "", b->sni ? b->sni : "")) != 0)
		return c;
	return strcmp(a->starttls ? a->starttls : "", b->starttls ? b->starttls : "");
}

static void load(struct target_set *ts, const uint8_t *data, size_t len, int exclude)
{
	char err[512];
	FILE *f;

	if (len == 0)
		return;
	f = fmemopen((void *)(uintptr_t)data, len, "r");
	if (f == NULL)
		return;
	targets_load_stream(ts, f, "fuzz", exclude, err, sizeof(err));
	fclose(f);
}

static void iterate(const struct target_set *ts)
{
	struct ep_key *keys = NULL;
	struct target_iter it;
	struct endpoint_spec ep;
	uint64_t count = targets_count(ts), n = 0;

	if (count == 0 || count > (UINT64_C(1) << 48))
		abort();
	if (count <= ITER_LIMIT)
		keys = calloc(count, sizeof(*keys));
	targets_iter_init(&it, ts, 0, 1, 0);
	while (n < ITER_LIMIT && targets_iter_next(&it, &ep)) {
		if (ep.port == 0 || (ep.family == 0) != (ep.name != NULL))
			abort();
		if (ep.family != 0 && targets_is_excluded(ts, ep.family, ep.addr))
			abort();
		if (keys != NULL) {
			keys[n].family = ep.family;
			memcpy(keys[n].addr, ep.addr, 16);
			keys[n].port = ep.port;
			keys[n].name = ep.name;
			keys[n].sni = ep.sni;
			keys[n].starttls = ep.starttls;
		}
		n++;
	}
	if (n != (count < ITER_LIMIT ? count : ITER_LIMIT))
		abort();
	if (keys != NULL) {
		qsort(keys, n, sizeof(*keys), cmp_key);
		for (uint64_t i = 1; i < n; i++)
			if (cmp_key(&keys[i - 1], &keys[i]) == 0)
				abort();
		free(keys);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct target_set *ts = targets_new();
	struct portlist pl = { NULL, 0 };
	const uint8_t *nl = memchr(data, '\n', size), *rest, *sep = NULL;
	char spec[256], err[512];
	size_t plen, rlen;

	if (ts == NULL || size == 0)
		goto out;
	plen = nl ? (size_t)(nl - data) : size;
	if (plen >= sizeof(spec) || memchr(data, '\0', plen) != NULL)
		plen = 0;
	memcpy(spec, data, plen);
	spec[plen] = '\0';
	if (portlist_parse(&pl, spec, err, sizeof(err)) != 0 &&
	    portlist_parse(&pl, "443,8443", err, sizeof(err)) != 0)
		goto out;
	rest = nl ? nl + 1 : data + size;
	rlen = (size_t)(data + size - rest);
	for (size_t i = 0; i + 4 <= rlen; i++) {
		if (memcmp(rest + i, "---\n", 4) == 0 && (i == 0 || rest[i - 1] == '\n')) {
			sep = rest + i;
			break;
		}
	}
	if (sep != NULL) {
		load(ts, rest, (size_t)(sep - rest), 0);
		load(ts, sep + 4, (size_t)(rest + rlen - sep - 4), 1);
	} else {
		load(ts, rest, rlen, 0);
	}
	if (targets_finalize(ts, &pl, size, err, sizeof(err)) == 0)
		iterate(ts);
out:
	portlist_free(&pl);
	targets_free(ts);
	return 0;
}
