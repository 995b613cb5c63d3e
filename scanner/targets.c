/*
 * targets.c: target specs, exclusions, port lists, and the permuted endpoint stream.
 *
 * Life of a target set:
 *   1. targets_add / targets_add_exclude / targets_load_file append raw entries. Every spec is
 *      parsed strictly here (so errors name the spec, the file and the line) into either an
 *      inclusive address interval [lo, hi] (IPv4 or IPv6, held in an unsigned __int128) or a
 *      lowercased hostname, plus optional port / SNI / STARTTLS overrides.
 *   2. targets_finalize turns entries into blocks:
 *        - exclusions are sorted and merged into disjoint intervals, one list per family;
 *        - entries are sorted by (family, sni, starttls, port, address); entries sharing that
 *          key form a group whose intervals are merged (overlapping or adjacent), then the
 *          exclusions are subtracted (interval arithmetic, binary search for the first
 *          exclusion that can touch an interval);
 *        - a group with a port override p that also appears in the default port list loses
 *          the addresses already covered by the group without override (same family, sni,
 *          starttls), so an endpoint (address, port, sni, starttls) is never listed twice.
 *          Names get the same treatment by exact (name, port, sni, starttls) comparison;
 *        - each block gets its size (addresses x ports) and its first position `start` in the
 *          concatenated endpoint space [0, N).
 *      Memory is proportional to the number of entries and exclusions, never to addresses.
 *   3. targets_iter_next maps position p (p = shard, shard + nshards, ...) through the keyed
 *      permutation (scanner/permute.c) to x in [0, N), finds the block holding x by binary
 *      search over `start` (narrowed first by a jump table of at most one entry per block,
 *      so that thousands of blocks cost one or two cache misses, not log2(blocks)), and
 *      splits the offset into (address index, port index):
 *      offset = address_index * nports + port_index.
 *
 * Spec grammar (see targets.h for examples). Classification of the host part, in order:
 *   contains '/'                        CIDR (host bits are cleared: 10.1.2.3/8 = 10.0.0.0/8)
 *   contains ':'  (and '-')             IPv6 range, else one IPv6 address (inet_pton)
 *   "digits.dots-rest"                  IPv4 range; rest is an address or a last octet
 *   last label all digits               an IPv4 address, strictly a.b.c.d (no octal, no
 *                                       leading zeros), so 10.0.0.300 is an error, not a name
 *   otherwise                           a hostname: [A-Za-z0-9_-] labels of 1..63, total
 *                                       <= 253, no label starting or ending with '-'
 * A port suffix is ":port" after a hostname or IPv4 spec, "]:port" after a bracketed IPv6.
 */
#include "scanner/targets.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "scanner/permute.h"
#include "scanner/targets_internal.h"

__extension__ typedef unsigned __int128 u128;

#define U128_MAX (~(u128)0)
#define QUOTE_MAX 64      /* characters of hostile input quoted in a message */
#define QBUF (QUOTE_MAX * 4 + 8)
#define WHY_MAX 256

struct interval {
	u128 lo, hi; /* inclusive */
};

/* One target as added, before finalize. */
struct tentry {
	int family;        /* AF_INET, AF_INET6, or 0 for a name */
	struct interval iv; /* addresses only; IPv4 in the low 32 bits */
	char *name;        /* owned: lowercased hostname (names only) */
	char *sni;         /* owned: lowercased SNI override, NULL = default */
	char *starttls;    /* owned: lowercased protocol override, NULL = default */
	uint16_t port;     /* override, 0 = the default port list */
};

/* A piece of the endpoint space, built by targets_finalize. */
struct block {
	struct interval iv;   /* addresses (unused for names) */
	uint64_t naddr;       /* addresses in iv (1 for a name) */
	uint64_t nports;      /* 1 with a port override, else the default list's length */
	uint64_t start;       /* position of its first endpoint in [0, N) */
	int family;
	uint16_t port;        /* override, 0 = default list */
	const char *name;     /* borrowed from the entries, like sni and starttls */
	const char *sni;
	const char *starttls;
};

/* A growable array of intervals, bounded by TARGETS_MAX_BLOCKS. */
struct ivec {
	struct interval *v; /* owned */
	size_t n, cap;
};

struct target_set {
	int (*protocol_known)(const char *name); /* optional STARTTLS name check (targets.h) */
	struct tentry *ent;   /* owned, with the strings inside */
	size_t nent, capent;
	struct ivec ex4, ex6; /* exclusions; sorted and merged by finalize */
	int finalized;

	struct block *blk;    /* owned; sorted by start */
	size_t nblk, capblk;
	uint16_t *ports;      /* owned copy of the default port list */
	size_t nports;
	uint64_t count;
	struct permutation perm;
	/* Jump table: position x lies in a block with index in [jump[x / jump_step],
	 * jump[x / jump_step + 1]]. At most one entry per block (plus one), so a lookup touches a
	 * couple of blocks instead of log2(nblk) cache lines. */
	uint32_t *jump;       /* owned, njump + 1 entries; NULL when nblk is 1 */
	size_t njump;
	uint64_t jump_step;
};

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Copies up to QUOTE_MAX bytes of s[0..len) into dst (QBUF bytes) with non-printable bytes,
 * quotes and backslashes escaped as \xNN, and "..." when truncated. */
static void quote_n(char *dst, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < len && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			dst[o++] = (char)c;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	if (len > QUOTE_MAX) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

static void quote(char *dst, const char *s)
{
	quote_n(dst, s, strnlen(s, QUOTE_MAX + 1));
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char to_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int all_digits(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

static int strcmp_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* Grows an array to hold one more element; returns the (maybe moved) array or NULL when the
 * bound is reached or memory is short (the old array is then still valid). */
static void *grow(void *arr, size_t *cap, size_t n, size_t elsize, size_t max)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return arr;
	if (n >= max)
		return NULL;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap > max)
		ncap = max;
	p = realloc(arr, ncap * elsize);
	if (p != NULL)
		*cap = ncap;
	return p;
}

static int ivec_push(struct ivec *v, u128 lo, u128 hi)
{
	struct interval *p = grow(v->v, &v->cap, v->n, sizeof(*v->v), TARGETS_MAX_BLOCKS);

	if (p == NULL)
		return -1;
	v->v = p;
	v->v[v->n].lo = lo;
	v->v[v->n].hi = hi;
	v->n++;
	return 0;
}

static void ivec_free(struct ivec *v)
{
	free(v->v);
	v->v = NULL;
	v->n = v->cap = 0;
}

/* ------------------------------------------------------------------ ports */

/* Parses a decimal port of len bytes. Returns 0, or -1 with a reason in why. */
static int parse_port(const char *s, size_t len, uint16_t *out, char *why, size_t whylen)
{
	char q[QBUF];
	uint32_t v = 0;

	quote_n(q, s, len);
	if (len == 0)
		return fail(why, whylen, "missing port");
	if (!all_digits(s, len))
		return fail(why, whylen, "bad port \"%s\"", q);
	for (size_t i = 0; i < len; i++) {
		v = v * 10 + (uint32_t)(s[i] - '0');
		if (v > 65535)
			break;
	}
	if (v == 0 || v > 65535)
		return fail(why, whylen, "port %s out of range (1-65535)", q);
	*out = (uint16_t)v;
	return 0;
}

/* One item of a port list: "443" or "9000-9010"; sets its bits in map. */
static int port_item(const char *s, size_t len, uint8_t *map, char *why, size_t whylen)
{
	const char *dash;
	uint16_t lo, hi;

	while (len > 0 && is_space(*s)) {
		s++;
		len--;
	}
	while (len > 0 && is_space(s[len - 1]))
		len--;
	if (len == 0)
		return fail(why, whylen, "empty item");
	dash = memchr(s, '-', len);
	if (dash == NULL) {
		if (parse_port(s, len, &lo, why, whylen) != 0)
			return -1;
		hi = lo;
	} else {
		if (parse_port(s, (size_t)(dash - s), &lo, why, whylen) != 0 ||
		    parse_port(dash + 1, len - (size_t)(dash - s) - 1, &hi, why, whylen) != 0)
			return -1;
		if (hi < lo)
			return fail(why, whylen, "range %u-%u ends before it starts", lo, hi);
	}
	for (uint32_t p = lo; p <= hi; p++)
		map[p >> 3] |= (uint8_t)(1u << (p & 7));
	return 0;
}

int portlist_parse(struct portlist *pl, const char *spec, char *err, size_t errlen)
{
	uint8_t map[65536 / 8];
	char why[WHY_MAX], q[QBUF];
	const char *s;
	size_t n = 0, k = 0;

	pl->ports = NULL;
	pl->n = 0;
	if (spec == NULL)
		return fail(err, errlen, "empty port list");
	quote(q, spec);
	for (s = spec; is_space(*s); s++)
		;
	if (*s == '\0')
		return fail(err, errlen, "empty port list");
	memset(map, 0, sizeof(map));
	for (s = spec;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		if (port_item(s, len, map, why, sizeof(why)) != 0)
			return fail(err, errlen, "bad port list \"%s\": %s", q, why);
		if (comma == NULL)
			break;
		s = comma + 1;
	}
	for (uint32_t p = 1; p < 65536; p++)
		n += (map[p >> 3] >> (p & 7)) & 1;
	pl->ports = malloc(n * sizeof(*pl->ports));
	if (pl->ports == NULL)
		return fail(err, errlen, "out of memory");
	for (uint32_t p = 1; p < 65536; p++)
		if ((map[p >> 3] >> (p & 7)) & 1)
			pl->ports[k++] = (uint16_t)p;
	pl->n = n;
	return 0;
}

void portlist_free(struct portlist *pl)
{
	if (pl == NULL)
		return;
	free(pl->ports);
	pl->ports = NULL;
	pl->n = 0;
}

/* ------------------------------------------------------------------ addresses */

/* Strict dotted quad: four decimal octets, no leading zeros, nothing else. */
static int parse_ipv4(const char *s, size_t len, uint32_t *out)
{
	uint32_t v = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		uint32_t octet = 0;
		size_t digits = 0;
		if (part > 0) {
			if (i >= len || s[i] != '.')
				return -1;
			i++;
		}
		while (i < len && is_digit(s[i]) && digits < 4) {
			octet = octet * 10 + (uint32_t)(s[i] - '0');
			digits++;
			i++;
		}
		if (digits == 0 || digits > 3 || octet > 255 || (digits > 1 && s[i - digits] == '0'))
			return -1;
		v = (v << 8) | octet;
	}
	if (i != len)
		return -1;
	*out = v;
	return 0;
}

static int parse_ipv6(const char *s, size_t len, u128 *out)
{
	char buf[INET6_ADDRSTRLEN];
	unsigned char b[16];
	u128 v = 0;

	if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len) != NULL)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET6, buf, b) != 1)
		return -1;
	for (int i = 0; i < 16; i++)
		v = (v << 8) | b[i];
	*out = v;
	return 0;
}

/* Parses one address of the given family (AF_INET or AF_INET6). */
static int parse_addr(int family, const char *s, size_t len, u128 *out)
{
	uint32_t v4;

	if (family == AF_INET6)
		return parse_ipv6(s, len, out);
	if (parse_ipv4(s, len, &v4) != 0)
		return -1;
	*out = v4;
	return 0;
}

static const char *family_word(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

static int family_bits(int family)
{
	return family == AF_INET6 ? 128 : 32;
}

/* "a.b.c.d/len" or "v6/len". */
static int parse_cidr(const char *s, size_t len, int *family, struct interval *iv, char *why,
                      size_t whylen)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = (size_t)(slash - s), plen = len - alen - 1;
	char q[QBUF];
	unsigned prefix = 0;
	int bits;
	u128 addr, hostmask;

	*family = memchr(s, ':', alen) ? AF_INET6 : AF_INET;
	bits = family_bits(*family);
	quote_n(q, slash + 1, plen);
	if (parse_addr(*family, s, alen, &addr) != 0)
		return fail(why, whylen, "not an %s address before '/'", family_word(*family));
	if (!all_digits(slash + 1, plen) || plen > 3 || (plen > 1 && slash[1] == '0'))
		return fail(why, whylen, "bad CIDR prefix /%s", q);
	for (size_t i = 0; i < plen; i++)
		prefix = prefix * 10 + (unsigned)(slash[1 + i] - '0');
	if (prefix > (unsigned)bits)
		return fail(why, whylen, "bad CIDR prefix /%s (max /%d for %s)", q, bits,
		            family_word(*family));
	if (prefix == 0)
		hostmask = bits == 128 ? U128_MAX : (u128)0xffffffffu;
	else
		hostmask = ((u128)1 << (bits - (int)prefix)) - 1;
	iv->lo = addr & ~hostmask;
	iv->hi = iv->lo | hostmask;
	return 0;
}

/* "a-b" where both are addresses, or IPv4 "a.b.c.d-e" (e replaces the last octet). */
static int parse_range(const char *s, size_t len, int family, struct interval *iv, char *why,
                       size_t whylen)
{
	const char *dash = memchr(s, '-', len);
	const char *r = dash + 1;
	size_t llen = (size_t)(dash - s), rlen = len - llen - 1;

	if (parse_addr(family, s, llen, &iv->lo) != 0)
		return fail(why, whylen, "range start is not an %s address", family_word(family));
	if (family == AF_INET && all_digits(r, rlen)) {
		unsigned v = 0;
		for (size_t i = 0; i < rlen && v <= 255; i++)
			v = v * 10 + (unsigned)(r[i] - '0');
		if (v > 255 || rlen > 3 || (rlen > 1 && r[0] == '0'))
			return fail(why, whylen, "range end is not an octet (0-255)");
		iv->hi = (iv->lo & ~(u128)0xff) | v;
	} else if (parse_addr(family, r, rlen, &iv->hi) != 0) {
		return fail(why, whylen, "range end is not an %s address", family_word(family));
	}
	if (iv->hi < iv->lo)
		return fail(why, whylen, "range end before start");
	return 0;
}

/* ------------------------------------------------------------------ names */

/* Validates a hostname of len bytes (one trailing dot allowed) and writes it lowercased
 * without the trailing dot into out (at least 254 bytes). */
static int check_hostname(const char *s, size_t len, char *out, char *why, size_t whylen)
{
	size_t label = 0;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0)
		return fail(why, whylen, "empty hostname");
	if (len > 253)
		return fail(why, whylen, "hostname longer than 253 characters");
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0)
				return fail(why, whylen, "empty label in hostname");
			if (s[i - 1] == '-')
				return fail(why, whylen, "hostname label ends with '-'");
			label = 0;
		} else if (is_alnum(c) || c == '-' || c == '_') {
			if (label == 0 && c == '-')
				return fail(why, whylen, "hostname label starts with '-'");
			if (++label > 63)
				return fail(why, whylen, "hostname label longer than 63 characters");
		} else {
			char q[QBUF];
			quote_n(q, &s[i], 1);
			return fail(why, whylen, "bad hostname character '%s'", q);
		}
		out[i] = to_lower(c);
	}
	if (label == 0)
		return fail(why, whylen, "empty label in hostname");
	if (s[len - 1] == '-')
		return fail(why, whylen, "hostname label ends with '-'");
	out[len] = '\0';
	return 0;
}

/* 1 when the last label (ignoring one trailing dot) is all digits: meant as an IPv4 address. */
static int looks_numeric(const char *s, size_t len)
{
	size_t end = len, i;

	if (end > 0 && s[end - 1] == '.')
		end--;
	for (i = end; i > 0 && s[i - 1] != '.'; i--)
		;
	return all_digits(s + i, end - i);
}

/* 1 when s[0..len) is "digits and dots containing a dot" before its first '-'. */
static int looks_ipv4_range(const char *s, size_t len)
{
	const char *dash = memchr(s, '-', len);
	int dot = 0;

	if (dash == NULL || dash == s)
		return 0;
	for (const char *p = s; p < dash; p++) {
		if (*p == '.')
			dot = 1;
		else if (!is_digit(*p))
			return 0;
	}
	return dot;
}

/* ------------------------------------------------------------------ specs */

struct parsed {
	int family;           /* AF_INET, AF_INET6, 0 for a name */
	struct interval iv;
	char name[256];       /* lowercased hostname when family == 0 */
	uint16_t port;        /* 0 when the spec has none */
};

/* Parses one target (allow_name=1) or exclusion (allow_name=0) spec. */
static int parse_spec(const char *spec, int allow_name, struct parsed *out, char *why,
                      size_t whylen)
{
	size_t len = strnlen(spec, TARGETS_MAX_SPEC + 1), hlen;
	const char *host = spec, *port = NULL, *colon;
	size_t portlen = 0;
	int bracket = 0;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return fail(why, whylen, "empty spec");
	if (len > TARGETS_MAX_SPEC)
		return fail(why, whylen, "longer than %d characters", TARGETS_MAX_SPEC);
	hlen = len;
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (close == NULL)
			return fail(why, whylen, "missing ']'");
		host = spec + 1;
		hlen = (size_t)(close - host);
		if (close[1] == ':') {
			port = close + 2;
			portlen = strlen(port);
		} else if (close[1] != '\0') {
			return fail(why, whylen, "expected ':port' after ']'");
		}
		if (memchr(host, ':', hlen) == NULL)
			return fail(why, whylen, "brackets are only for IPv6 addresses");
		bracket = 1;
	} else if ((colon = strchr(spec, ':')) != NULL && strchr(colon + 1, ':') == NULL) {
		hlen = (size_t)(colon - spec);
		port = colon + 1;
		portlen = strlen(port);
	}
	if (port != NULL) {
		if (!allow_name)
			return fail(why, whylen, "exclusions take no port");
		if (parse_port(port, portlen, &out->port, why, whylen) != 0)
			return -1;
	}
	if (hlen == 0)
		return fail(why, whylen, "missing address or hostname");

	if (memchr(host, '/', hlen) != NULL)
		return parse_cidr(host, hlen, &out->family, &out->iv, why, whylen);
	if (bracket || memchr(host, ':', hlen) != NULL) {
		out->family = AF_INET6;
		if (memchr(host, '-', hlen) != NULL)
			return parse_range(host, hlen, AF_INET6, &out->iv, why, whylen);
		if (parse_ipv6(host, hlen, &out->iv.lo) != 0)
			return fail(why, whylen, "not an IPv6 address");
		out->iv.hi = out->iv.lo;
		return 0;
	}
	if (looks_ipv4_range(host, hlen)) {
		out->family = AF_INET;
		return parse_range(host, hlen, AF_INET, &out->iv, why, whylen);
	}
	if (looks_numeric(host, hlen)) {
		out->family = AF_INET;
		if (parse_addr(AF_INET, host, hlen, &out->iv.lo) != 0)
			return fail(why, whylen, "not an IPv4 address");
		out->iv.hi = out->iv.lo;
		return 0;
	}
	if (!allow_name) {
		char tmp[256];
		if (check_hostname(host, hlen, tmp, why, whylen) == 0)
			fail(why, whylen, "not an address, CIDR block or range (names cannot be excluded)");
		else
			fail(why, whylen, "not an address, CIDR block or range");
		return -1;
	}
	out->family = 0;
	return check_hostname(host, hlen, out->name, why, whylen);
}

/* STARTTLS protocol names are checked for syntax here ([a-z0-9_-], 1..16) and lowercased;
 * the engine knows which ones exist. */
static int check_starttls(const char *s, char *out, size_t outlen)
{
	size_t len = strlen(s);

	if (len == 0 || len > 16 || len >= outlen)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_')
			return -1;
		out[i] = to_lower(s[i]);
	}
	out[len] = '\0';
	return 0;
}

/* ------------------------------------------------------------------ building the set */

struct target_set *targets_new(void)
{
	return calloc(1, sizeof(struct target_set));
}

void targets_set_protocol_check(struct target_set *ts, int (*known)(const char *name))
{
	ts->protocol_known = known;
}

static void entry_free(struct tentry *e)
{
	free(e->name);
	free(e->sni);
	free(e->starttls);
}

void targets_free(struct target_set *ts)
{
	if (ts == NULL)
		return;
	for (size_t i = 0; i < ts->nent; i++)
		entry_free(&ts->ent[i]);
	free(ts->ent);
	ivec_free(&ts->ex4);
	ivec_free(&ts->ex6);
	free(ts->blk);
	free(ts->ports);
	free(ts->jump);
	free(ts);
}

/*
 * The common start of targets_add (allow_name 1) and targets_add_exclude (0): checks that the
 * set still takes specs, quotes spec into q (QBUF bytes) and parses it. Returns the parsed spec
 * (malloc'd, the caller frees it), or NULL with a message in err naming the spec.
 */
static struct parsed *parse_new(const struct target_set *ts, const char *spec, int allow_name,
                                char *q, char *err, size_t errlen)
{
	const char *what = allow_name ? "target" : "exclusion";
	char why[WHY_MAX];
	struct parsed *p;

	if (ts == NULL || spec == NULL) {
		fail(err, errlen, "no %s given", what);
		return NULL;
	}
	if (ts->finalized) {
		fail(err, errlen, "target set already finalized");
		return NULL;
	}
	quote(q, spec);
	p = malloc(sizeof(*p));
	if (p == NULL) {
		fail(err, errlen, "out of memory");
		return NULL;
	}
	if (parse_spec(spec, allow_name, p, why, sizeof(why)) != 0) {
		fail(err, errlen, "bad %s \"%s\": %s", what, q, why);
		free(p);
		return NULL;
	}
	return p;
}

int targets_add(struct target_set *ts, const char *spec, uint16_t port, const char *sni,
                const char *starttls, char *err, size_t errlen)
{
	struct parsed *p;
	struct tentry e = { 0 }, *ent;
	char why[WHY_MAX], q[QBUF], name[256], proto[32];
	int rc = -1;

	if ((p = parse_new(ts, spec, 1, q, err, errlen)) == NULL)
		return -1;
	if (p->port != 0 && port != 0 && p->port != port) {
		fail(err, errlen, "bad target \"%s\": port %u conflicts with port %u", q, p->port, port);
		goto out;
	}
	e.family = p->family;
	e.iv = p->iv;
	e.port = p->port ? p->port : port;
	if (sni != NULL && *sni != '\0') {
		if (check_hostname(sni, strlen(sni), name, why, sizeof(why)) != 0) {
			quote(q, sni);
			fail(err, errlen, "bad SNI \"%s\": %s", q, why);
			goto out;
		}
		if ((e.sni = strdup(name)) == NULL)
			goto oom;
	}
	if (starttls != NULL && *starttls != '\0') {
		if (check_starttls(starttls, proto, sizeof(proto)) != 0) {
			quote(q, starttls);
			fail(err, errlen, "bad STARTTLS protocol \"%s\"", q);
			goto out;
		}
		if (ts->protocol_known != NULL && !ts->protocol_known(proto)) {
			quote(q, starttls);
			fail(err, errlen, "unknown STARTTLS protocol \"%s\" (smtp, imap, pop3, ftp, ldap, xmpp, "
			     "postgres, mysql, auto, none)", q);
			goto out;
		}
		if ((e.starttls = strdup(proto)) == NULL)
			goto oom;
	}
	if (e.family == 0 && (e.name = strdup(p->name)) == NULL)
		goto oom;
	ent = grow(ts->ent, &ts->capent, ts->nent, sizeof(*ts->ent), TARGETS_MAX_ENTRIES);
	if (ent == NULL) {
		if (ts->nent >= TARGETS_MAX_ENTRIES)
			fail(err, errlen, "too many targets (max %u)", TARGETS_MAX_ENTRIES);
		else
			fail(err, errlen, "out of memory");
		goto out;
	}
	ts->ent = ent;
	ts->ent[ts->nent++] = e;
	memset(&e, 0, sizeof(e)); /* now owned by the set */
	rc = 0;
	goto out;
oom:
	fail(err, errlen, "out of memory");
out:
	entry_free(&e);
	free(p);
	return rc;
}

int targets_add_exclude(struct target_set *ts, const char *spec, char *err, size_t errlen)
{
	struct parsed *p;
	struct ivec *v;
	char q[QBUF];
	int rc = -1;

	if ((p = parse_new(ts, spec, 0, q, err, errlen)) == NULL)
		return -1;
	v = p->family == AF_INET6 ? &ts->ex6 : &ts->ex4;
	if (ts->ex4.n + ts->ex6.n >= TARGETS_MAX_EXCLUDES) {
		fail(err, errlen, "too many exclusions (max %u)", TARGETS_MAX_EXCLUDES);
		goto out;
	}
	if (ivec_push(v, p->iv.lo, p->iv.hi) != 0) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(p);
	return rc;
}

/* ------------------------------------------------------------------ files */

/* Reads one line (without '\n') into buf (TARGETS_MAX_LINE + 1 bytes). Returns 1 for a line,
 * 0 at the end, -1 when too long (the rest of the line is not read), -2 on a NUL byte,
 * -3 on a read error. */
static int read_line(FILE *f, char *buf, size_t *lenp)
{
	size_t len = 0;
	int c;

	while ((c = getc(f)) != EOF) {
		if (c == '\n')
			break;
		if (c == '\0')
			return -2;
		if (len >= TARGETS_MAX_LINE)
			return -1;
		buf[len++] = (char)c;
	}
	if (c == EOF) {
		if (ferror(f))
			return -3;
		if (len == 0)
			return 0;
	}
	buf[len] = '\0';
	*lenp = len;
	return 1;
}

/* Trims spaces and tabs at both ends, in place. */
static char *trim(char *s)
{
	char *end;

	while (is_space(*s))
		s++;
	end = s + strlen(s);
	while (end > s && is_space(end[-1]))
		*--end = '\0';
	return s;
}

static int ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (to_lower(*a) != to_lower(*b))
			return 0;
	return *a == *b;
}

/* One line of a file, already stripped of CR, comment and blanks. */
static int load_line(struct target_set *ts, char *line, int exclude, char *msg, size_t msglen)
{
	char *field[4] = { NULL, NULL, NULL, NULL };
	char why[WHY_MAX];
	uint16_t port = 0;
	int nf = 0;
	char *s = line;

	if (strchr(line, ',') == NULL)
		return exclude ? targets_add_exclude(ts, line, msg, msglen)
		               : targets_add(ts, line, 0, NULL, NULL, msg, msglen);
	if (exclude)
		return fail(msg, msglen, "exclusions take one address, CIDR block or range per line, "
		                         "not CSV fields");
	for (;;) {
		char *comma = strchr(s, ',');
		if (nf == 4)
			return fail(msg, msglen, "too many CSV fields (expected target,port,sni,starttls)");
		if (comma != NULL)
			*comma = '\0';
		field[nf++] = trim(s);
		if (comma == NULL)
			break;
		s = comma + 1;
	}
	if (nf >= 2 && ieq(field[0], "target") && ieq(field[1], "port"))
		return 0; /* a header line */
	if (field[0][0] == '\0')
		return fail(msg, msglen, "missing target in CSV line");
	if (nf >= 2 && field[1][0] != '\0' &&
	    parse_port(field[1], strlen(field[1]), &port, why, sizeof(why)) != 0) {
		char q[QBUF];
		quote(q, field[0]);
		return fail(msg, msglen, "bad target \"%s\": %s", q, why);
	}
	return targets_add(ts, field[0], port, nf >= 3 ? field[2] : NULL,
	                   nf >= 4 ? field[3] : NULL, msg, msglen);
}

/* Drops entries and exclusions added after the given counts (rollback of a failed file). */
static void truncate_set(struct target_set *ts, size_t nent, size_t nex4, size_t nex6)
{
	while (ts->nent > nent)
		entry_free(&ts->ent[--ts->nent]);
	ts->ex4.n = nex4;
	ts->ex6.n = nex6;
}

int targets_load_stream(struct target_set *ts, FILE *f, const char *name, int exclude,
                        char *err, size_t errlen)
{
	char *buf = NULL, msg[512];
	size_t nent, nex4, nex6, len = 0;
	unsigned long lineno = 0;
	int rc = -1, r;

	if (ts == NULL || f == NULL)
		return fail(err, errlen, "no file given");
	if (ts->finalized)
		return fail(err, errlen, "target set already finalized");
	if (name == NULL)
		name = "(stream)";
	nent = ts->nent;
	nex4 = ts->ex4.n;
	nex6 = ts->ex6.n;
	buf = malloc(TARGETS_MAX_LINE + 1);
	if (buf == NULL) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	while ((r = read_line(f, buf, &len)) != 0) {
		char *line, *hash;
		lineno++;
		if (r == -1) {
			fail(err, errlen, "%s:%lu: line longer than %d bytes", name, lineno,
			     TARGETS_MAX_LINE);
			goto out;
		}
		if (r == -2) {
			fail(err, errlen, "%s:%lu: NUL byte in line", name, lineno);
			goto out;
		}
		if (r == -3) {
			fail(err, errlen, "%s: read error: %s", name, strerror(errno));
			goto out;
		}
		if (len > 0 && buf[len - 1] == '\r')
			buf[--len] = '\0';
		if ((hash = strchr(buf, '#')) != NULL)
			*hash = '\0';
		line = trim(buf);
		if (*line == '\0')
			continue;
		if (load_line(ts, line, exclude, msg, sizeof(msg)) != 0) {
			fail(err, errlen, "%s:%lu: %s", name, lineno, msg);
			goto out;
		}
	}
	rc = 0;
out:
	if (rc != 0)
		truncate_set(ts, nent, nex4, nex6);
	free(buf);
	return rc;
}

int targets_load_file(struct target_set *ts, const char *path, int exclude, char *err,
                      size_t errlen)
{
	FILE *f;
	int rc;

	if (path == NULL)
		return fail(err, errlen, "no file given");
	if (strcmp(path, "-") == 0)
		return targets_load_stream(ts, stdin, "stdin", exclude, err, errlen);
	f = fopen(path, "r");
	if (f == NULL)
		return fail(err, errlen, "%s: %s", path, strerror(errno));
	rc = targets_load_stream(ts, f, path, exclude, err, errlen);
	fclose(f);
	return rc;
}

/* ------------------------------------------------------------------ finalize */

static int cmp_interval(const void *pa, const void *pb)
{
	const struct interval *a = pa, *b = pb;

	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	return 0;
}

/* Sorts v and merges overlapping or adjacent intervals, in place. */
static void ivec_normalise(struct ivec *v)
{
	size_t o = 0;

	if (v->n == 0)
		return;
	qsort(v->v, v->n, sizeof(*v->v), cmp_interval);
	for (size_t i = 1; i < v->n; i++) {
		struct interval *last = &v->v[o];
		if (v->v[i].lo <= last->hi || v->v[i].lo - 1 == last->hi) {
			if (v->v[i].hi > last->hi)
				last->hi = v->v[i].hi;
		} else {
			v->v[++o] = v->v[i];
		}
	}
	v->n = o + 1;
}

/* out = a - x, where both are sorted, disjoint, non-adjacent. */
static int ivec_subtract(const struct ivec *a, const struct ivec *x, struct ivec *out)
{
	out->n = 0;
	for (size_t i = 0; i < a->n; i++) {
		u128 cur = a->v[i].lo, hi = a->v[i].hi;
		size_t lo_j = 0, hi_j = x->n, j;
		int covered = 0;

		while (lo_j < hi_j) { /* first exclusion with x.hi >= cur */
			size_t mid = lo_j + (hi_j - lo_j) / 2;
			if (x->v[mid].hi < cur)
				lo_j = mid + 1;
			else
				hi_j = mid;
		}
		for (j = lo_j; j < x->n && x->v[j].lo <= hi; j++) {
			if (x->v[j].lo > cur && ivec_push(out, cur, x->v[j].lo - 1) != 0)
				return -1;
			if (x->v[j].hi >= hi) {
				covered = 1;
				break;
			}
			cur = x->v[j].hi + 1;
		}
		if (!covered && ivec_push(out, cur, hi) != 0)
			return -1;
	}
	return 0;
}

static int cmp_entry(const void *pa, const void *pb)
{
	const struct tentry *a = pa, *b = pb;
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if ((c = strcmp_null(a->sni, b->sni)) != 0)
		return c;
	if ((c = strcmp_null(a->starttls, b->starttls)) != 0)
		return c;
	if (a->family == 0) { /* names: by name, then port (0 first) */
		if ((c = strcmp(a->name, b->name)) != 0)
			return c;
		return (int)a->port - (int)b->port;
	}
	if (a->port != b->port)
		return (int)a->port - (int)b->port;
	return cmp_interval(&a->iv, &b->iv);
}

static int same_cluster(const struct tentry *a, const struct tentry *b)
{
	return a->family == b->family && strcmp_null(a->sni, b->sni) == 0 &&
	       strcmp_null(a->starttls, b->starttls) == 0;
}

static int in_ports(const struct target_set *ts, uint16_t port)
{
	size_t lo = 0, hi = ts->nports;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ts->ports[mid] == port)
			return 1;
		if (ts->ports[mid] < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int push_block(struct target_set *ts, const struct tentry *e, const struct interval *iv)
{
	struct block *b = grow(ts->blk, &ts->capblk, ts->nblk, sizeof(*ts->blk),
	                       TARGETS_MAX_BLOCKS);

	if (b == NULL)
		return -1;
	ts->blk = b;
	b = &ts->blk[ts->nblk++];
	memset(b, 0, sizeof(*b));
	if (iv != NULL)
		b->iv = *iv;
	b->family = e->family;
	b->port = e->port;
	b->name = e->name;
	b->sni = e->sni;
	b->starttls = e->starttls;
	return 0;
}

/* Builds the name blocks of entries [i, j) (one cluster, sorted by name then port, so a name's
 * entry without override comes first and exact duplicates are adjacent). */
static int build_names(struct target_set *ts, size_t i, size_t j)
{
	size_t run = i; /* first entry with the current name */

	for (size_t k = i; k < j; k++) {
		const struct tentry *e = &ts->ent[k];
		int dup = 0;
		if (k > i && strcmp(ts->ent[k - 1].name, e->name) != 0)
			run = k;
		if (k > run && ts->ent[k - 1].port == e->port)
			dup = 1;
		if (e->port != 0 && ts->ent[run].port == 0 && in_ports(ts, e->port))
			dup = 1;
		if (!dup && push_block(ts, e, NULL) != 0)
			return -1;
	}
	return 0;
}

/* Builds the address blocks of entries [i, j) (one cluster, sorted by port then address). */
static int build_addresses(struct target_set *ts, size_t i, size_t j, const struct ivec *excl)
{
	struct ivec merged = { 0 }, cut = { 0 }, base = { 0 };
	int rc = -1;

	while (i < j) {
		size_t k = i;
		const struct tentry *e = &ts->ent[i];
		const struct ivec *emit;

		merged.n = 0;
		for (; k < j && ts->ent[k].port == e->port; k++)
			if (ivec_push(&merged, ts->ent[k].iv.lo, ts->ent[k].iv.hi) != 0)
				goto out;
		ivec_normalise(&merged);
		if (ivec_subtract(&merged, excl, &cut) != 0)
			goto out;
		if (e->port == 0) {
			/* keep the default-port group: overrides are cut by it below */
			struct ivec t = base;
			base = cut;
			cut = t;
			emit = &base;
		} else if (base.n > 0 && in_ports(ts, e->port)) {
			if (ivec_subtract(&cut, &base, &merged) != 0)
				goto out;
			emit = &merged;
		} else {
			emit = &cut;
		}
		for (size_t m = 0; m < emit->n; m++)
			if (push_block(ts, e, &emit->v[m]) != 0)
				goto out;
		i = k;
	}
	rc = 0;
out:
	ivec_free(&merged);
	ivec_free(&cut);
	ivec_free(&base);
	return rc;
}

static void reset_blocks(struct target_set *ts)
{
	free(ts->blk);
	ts->blk = NULL;
	ts->nblk = ts->capblk = 0;
	free(ts->ports);
	ts->ports = NULL;
	ts->nports = 0;
	ts->count = 0;
	free(ts->jump);
	ts->jump = NULL;
	ts->njump = 0;
	ts->jump_step = 0;
}

/* Index of the last block with start <= x, searching blocks [lo, hi] only. */
static size_t search_blocks(const struct target_set *ts, uint64_t x, size_t lo, size_t hi)
{
	hi++;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (ts->blk[mid].start <= x)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Builds the jump table (see struct target_set); cheap: one binary search per entry. */
static int build_jump(struct target_set *ts)
{
	size_t n = ts->nblk;

	if (n <= 1)
		return 0;
	ts->jump_step = (ts->count + n - 1) / n;
	ts->njump = (size_t)((ts->count + ts->jump_step - 1) / ts->jump_step);
	ts->jump = malloc((ts->njump + 1) * sizeof(*ts->jump));
	if (ts->jump == NULL)
		return -1;
	for (size_t k = 0; k < ts->njump; k++)
		ts->jump[k] = (uint32_t)search_blocks(ts, k * ts->jump_step, 0, n - 1);
	ts->jump[ts->njump] = (uint32_t)(n - 1);
	return 0;
}

/* Sizes the blocks and numbers their positions. */
static int number_blocks(struct target_set *ts, char *err, size_t errlen)
{
	u128 total = 0;

	for (size_t i = 0; i < ts->nblk; i++) {
		struct block *b = &ts->blk[i];
		u128 naddr;
		if (b->family == 0) {
			naddr = 1;
		} else {
			if (b->iv.hi - b->iv.lo >= PERM_MAX_N)
				goto too_large;
			naddr = b->iv.hi - b->iv.lo + 1;
		}
		b->nports = b->port != 0 ? 1 : ts->nports;
		if (b->nports == 0)
			return fail(err, errlen, "no port list for targets given without a port");
		b->naddr = (uint64_t)naddr;
		b->start = (uint64_t)total;
		total += naddr * b->nports;
		if (total > PERM_MAX_N)
			goto too_large;
	}
	if (total == 0)
		return fail(err, errlen, "no targets left after exclusions");
	ts->count = (uint64_t)total;
	return 0;
too_large:
	return fail(err, errlen, "target space too large: more than 2^48 endpoints (an IPv6 /64 "
	                         "alone is 2^64 addresses); narrow the ranges");
}

int targets_finalize(struct target_set *ts, const struct portlist *default_ports, uint64_t seed,
                     char *err, size_t errlen)
{
	size_t i, j;

	if (ts == NULL)
		return fail(err, errlen, "no target set");
	if (ts->finalized)
		return fail(err, errlen, "target set already finalized");
	if (ts->nent == 0)
		return fail(err, errlen, "no targets given");
	reset_blocks(ts);
	if (default_ports != NULL && default_ports->n > 0) {
		if (default_ports->ports == NULL || default_ports->n >= PORTLIST_MAX)
			return fail(err, errlen, "bad default port list");
		for (i = 0; i < default_ports->n; i++)
			if (default_ports->ports[i] == 0 ||
			    (i > 0 && default_ports->ports[i] <= default_ports->ports[i - 1]))
				return fail(err, errlen, "default port list not sorted and unique");
		ts->ports = malloc(default_ports->n * sizeof(*ts->ports));
		if (ts->ports == NULL)
			return fail(err, errlen, "out of memory");
		memcpy(ts->ports, default_ports->ports, default_ports->n * sizeof(*ts->ports));
		ts->nports = default_ports->n;
	}
	ivec_normalise(&ts->ex4);
	ivec_normalise(&ts->ex6);
	qsort(ts->ent, ts->nent, sizeof(*ts->ent), cmp_entry);
	for (i = 0; i < ts->nent; i = j) {
		int rc;
		for (j = i + 1; j < ts->nent && same_cluster(&ts->ent[i], &ts->ent[j]); j++)
			;
		if (ts->ent[i].family == 0)
			rc = build_names(ts, i, j);
		else
			rc = build_addresses(ts, i, j,
			                     ts->ent[i].family == AF_INET6 ? &ts->ex6 : &ts->ex4);
		if (rc != 0) {
			reset_blocks(ts);
			return fail(err, errlen, "too many blocks after exclusions (max %u) or out of "
			                         "memory", TARGETS_MAX_BLOCKS);
		}
	}
	if (number_blocks(ts, err, errlen) != 0 || perm_init(&ts->perm, ts->count, seed) != 0) {
		reset_blocks(ts);
		return -1;
	}
	if (build_jump(ts) != 0) {
		reset_blocks(ts);
		return fail(err, errlen, "out of memory");
	}
	ts->finalized = 1;
	return 0;
}

uint64_t targets_count(const struct target_set *ts)
{
	return ts != NULL && ts->finalized ? ts->count : 0;
}

int targets_reseed(struct target_set *ts, uint64_t seed)
{
	if (ts == NULL || !ts->finalized)
		return -1;
	return perm_init(&ts->perm, ts->count, seed);
}

/* Appends v big-endian to buf at *n (describe's fixed-width fields). */
static void put_be(unsigned char *buf, size_t *n, u128 v, int bytes)
{
	for (int k = bytes - 1; k >= 0; k--)
		buf[(*n)++] = (unsigned char)(v >> (8 * k));
}

/* A string field: its length (4 bytes, 0xffffffff for NULL) then its bytes. */
static void describe_str(const char *s, void (*emit)(void *, const void *, size_t), void *arg)
{
	unsigned char len[4];
	size_t n = 0, sl = s != NULL ? strlen(s) : 0;

	put_be(len, &n, s != NULL ? (u128)sl : 0xffffffffu, 4);
	emit(arg, len, sizeof(len));
	if (sl > 0)
		emit(arg, s, sl);
}

static void describe_ivec(const struct ivec *v, int family,
                          void (*emit)(void *, const void *, size_t), void *arg)
{
	unsigned char buf[48];
	size_t n = 0;

	put_be(buf, &n, (u128)family, 1);
	put_be(buf, &n, (u128)v->n, 8);
	emit(arg, buf, n);
	for (size_t i = 0; i < v->n; i++) {
		n = 0;
		put_be(buf, &n, v->v[i].lo, 16);
		put_be(buf, &n, v->v[i].hi, 16);
		emit(arg, buf, n);
	}
}

void targets_describe(const struct target_set *ts,
                      void (*emit)(void *arg, const void *data, size_t len), void *arg)
{
	unsigned char buf[80];
	size_t n = 0;

	if (ts == NULL || !ts->finalized)
		return;
	emit(arg, "certsweep-space-1", 17);
	put_be(buf, &n, ts->count, 8);
	put_be(buf, &n, ts->nports, 4);
	emit(arg, buf, n);
	for (size_t i = 0; i < ts->nports; i++) {
		n = 0;
		put_be(buf, &n, ts->ports[i], 2);
		emit(arg, buf, n);
	}
	n = 0;
	put_be(buf, &n, ts->nblk, 8);
	emit(arg, buf, n);
	for (size_t i = 0; i < ts->nblk; i++) {
		const struct block *b = &ts->blk[i];

		n = 0;
		put_be(buf, &n, (u128)b->family, 1);
		put_be(buf, &n, b->iv.lo, 16);
		put_be(buf, &n, b->iv.hi, 16);
		put_be(buf, &n, b->naddr, 8);
		put_be(buf, &n, b->nports, 8);
		put_be(buf, &n, b->start, 8);
		put_be(buf, &n, b->port, 2);
		emit(arg, buf, n);
		describe_str(b->name, emit, arg);
		describe_str(b->sni, emit, arg);
		describe_str(b->starttls, emit, arg);
	}
	describe_ivec(&ts->ex4, AF_INET, emit, arg);
	describe_ivec(&ts->ex6, AF_INET6, emit, arg);
}

size_t targets_block_count(const struct target_set *ts)
{
	return ts != NULL && ts->finalized ? ts->nblk : 0;
}

static int in_excl(const struct ivec *v, u128 a, int sorted)
{
	size_t lo = 0, hi = v->n;

	if (!sorted) {
		for (size_t i = 0; i < v->n; i++)
			if (v->v[i].lo <= a && a <= v->v[i].hi)
				return 1;
		return 0;
	}
	while (lo < hi) { /* first interval with hi >= a */
		size_t mid = lo + (hi - lo) / 2;
		if (v->v[mid].hi < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->n && v->v[lo].lo <= a;
}

int targets_is_excluded(const struct target_set *ts, int family, const unsigned char *addr)
{
	static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	u128 a = 0;

	if (ts == NULL || addr == NULL)
		return 0;
	if (family == AF_INET) {
		a = ((u128)addr[0] << 24) | ((u128)addr[1] << 16) | ((u128)addr[2] << 8) | addr[3];
		return in_excl(&ts->ex4, a, ts->finalized);
	}
	if (family != AF_INET6)
		return 0;
	if (memcmp(addr, v4mapped, sizeof(v4mapped)) == 0 &&
	    targets_is_excluded(ts, AF_INET, addr + 12))
		return 1;
	for (int i = 0; i < 16; i++)
		a = (a << 8) | addr[i];
	return in_excl(&ts->ex6, a, ts->finalized);
}

/* ------------------------------------------------------------------ iteration */

void targets_iter_init(struct target_iter *it, const struct target_set *ts, uint32_t shard,
                       uint32_t nshards, uint64_t start_pos)
{
	uint64_t r;

	it->ts = ts;
	it->nshards = nshards ? nshards : 1;
	it->shard = shard;
	if (shard >= it->nshards) {
		it->pos = UINT64_MAX; /* no such shard: nothing to visit */
		return;
	}
	if (start_pos > PERM_MAX_N)
		start_pos = PERM_MAX_N;
	r = start_pos % it->nshards;
	it->pos = start_pos - r + shard + (shard < r ? it->nshards : 0);
}

/* The block holding position x (x < count). */
static const struct block *find_block(const struct target_set *ts, uint64_t x)
{
	size_t k;

	if (ts->jump == NULL)
		return &ts->blk[0];
	k = (size_t)(x / ts->jump_step);
	return &ts->blk[search_blocks(ts, x, ts->jump[k], ts->jump[k + 1])];
}

uint64_t targets_iter_pos(const struct target_iter *it)
{
	return it->pos;
}

uint64_t targets_iter_remaining(const struct target_iter *it)
{
	uint64_t n = targets_count(it->ts);

	if (it->pos >= n)
		return 0;
	return (n - 1 - it->pos) / it->nshards + 1;
}

int targets_iter_next(struct target_iter *it, struct endpoint_spec *out)
{
	const struct target_set *ts = it->ts;
	const struct block *b;
	uint64_t x, off, ai, pi;

	if (ts == NULL || !ts->finalized || it->pos >= ts->count)
		return 0;
	x = perm_at(&ts->perm, it->pos);
	it->pos += it->nshards;
	b = find_block(ts, x);
	off = x - b->start;
	ai = off / b->nports;
	pi = off % b->nports;
	memset(out, 0, sizeof(*out));
	out->family = b->family;
	out->name = b->name;
	out->sni = b->sni;
	out->starttls = b->starttls;
	out->port = b->port != 0 ? b->port : ts->ports[pi];
	if (b->family != 0) {
		u128 a = b->iv.lo + ai;
		int nbytes = b->family == AF_INET6 ? 16 : 4;
		for (int k = nbytes - 1; k >= 0; k--) {
			out->addr[k] = (unsigned char)a;
			a >>= 8;
		}
	}
	return 1;
}
