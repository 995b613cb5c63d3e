/*
 * policy.c: the preferred-CA policy (which CA the organisation buys from).
 *
 * A policy is a name, a list of patterns and a sorted array of SHA-256 fingerprints. A
 * certificate matches when its fingerprint is in the array (binary search) or a pattern occurs,
 * ASCII case-insensitively, in its subject or issuer (RFC 2253 text). RFC 2253 escapes some
 * characters ("Foo\, Inc."), so the matcher reads "\," in the name as ",": the pattern is the
 * plain organisation name as a person would write it.
 *
 * Files (ca_policy_load_file), line by line, bounded (CA_POLICY_MAX_LINE bytes a line):
 *   # comment / blank             ignored
 *   pattern:TEXT                  a pattern
 *   sha256:HEX                    a fingerprint (64 hex digits, colons allowed)
 *   kind<TAB>subject<TAB>sha256<TAB>note   the ca-families.tsv format: each O= value of the
 *                                 subject becomes a pattern, the fingerprint is added; the
 *                                 header line "kind..." is skipped.
 */
#include "analyzer/analyzer.h"
#include "analyzer/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CA_POLICY_MAX_PATTERNS 1024
#define CA_POLICY_MAX_PATTERN_LEN 256
#define CA_POLICY_MAX_FPS 65536
#define CA_POLICY_MAX_LINE 4096
#define CA_POLICY_MAX_LINES 1000000

struct ca_policy {
	char name[64];
	char **patterns;          /* owned array of owned strings */
	size_t n_patterns;
	unsigned char (*fps)[32]; /* owned, sorted ascending */
	size_t n_fps, cap_fps;
};

struct ca_policy *ca_policy_new(const char *name)
{
	struct ca_policy *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	snprintf(p->name, sizeof(p->name), "%s", name != NULL && *name ? name : "custom");
	return p;
}

void ca_policy_free(struct ca_policy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_patterns; i++)
		free(p->patterns[i]);
	free(p->patterns);
	free(p->fps);
	free(p);
}

const char *ca_policy_name(const struct ca_policy *p)
{
	return p->name;
}

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int ascii_casecmp(const char *a, const char *b)
{
	while (*a && ascii_lower((unsigned char)*a) == ascii_lower((unsigned char)*b)) {
		a++;
		b++;
	}
	return ascii_lower((unsigned char)*a) - ascii_lower((unsigned char)*b);
}

int ca_policy_add_pattern(struct ca_policy *p, const char *pattern)
{
	char **grown, *copy;
	size_t len = pattern != NULL ? strlen(pattern) : 0;

	if (len == 0 || len > CA_POLICY_MAX_PATTERN_LEN)
		return -1;
	for (size_t i = 0; i < p->n_patterns; i++)
		if (ascii_casecmp(p->patterns[i], pattern) == 0)
			return 0;
	if (p->n_patterns >= CA_POLICY_MAX_PATTERNS)
		return -1;
	grown = realloc(p->patterns, (p->n_patterns + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	p->patterns = grown;
	if ((copy = strdup(pattern)) == NULL)
		return -1;
	p->patterns[p->n_patterns++] = copy;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = ascii_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Parses 64 hex digits (colons allowed between them) into out; -1 when malformed. */
static int parse_fingerprint(const char *hex, unsigned char out[32])
{
	size_t n = 0;

	for (const char *s = hex; *s; s++) {
		int v = hexval((unsigned char)*s);

		if (*s == ':')
			continue;
		if (v < 0 || n >= 64)
			return -1;
		if (n % 2 == 0)
			out[n / 2] = (unsigned char)(v << 4);
		else
			out[n / 2] |= (unsigned char)v;
		n++;
	}
	return n == 64 ? 0 : -1;
}

/* Index of the first fingerprint >= fp. */
static size_t fp_lower_bound(const struct ca_policy *p, const unsigned char fp[32])
{
	size_t lo = 0, hi = p->n_fps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(p->fps[mid], fp, 32) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int ca_policy_add_fingerprint(struct ca_policy *p, const char *hex)
{
	unsigned char fp[32];
	size_t at;

	if (hex == NULL || parse_fingerprint(hex, fp) != 0)
		return -1;
	at = fp_lower_bound(p, fp);
	if (at < p->n_fps && memcmp(p->fps[at], fp, 32) == 0)
		return 0;
	if (p->n_fps >= CA_POLICY_MAX_FPS)
		return -1;
	if (p->n_fps == p->cap_fps) {
		size_t cap = p->cap_fps ? p->cap_fps * 2 : 32;
		unsigned char (*grown)[32] = realloc(p->fps, cap * sizeof(*grown));

		if (grown == NULL)
			return -1;
		p->fps = grown;
		p->cap_fps = cap;
	}
	memmove(p->fps + at + 1, p->fps + at, (p->n_fps - at) * sizeof(*p->fps));
	memcpy(p->fps[at], fp, 32);
	p->n_fps++;
	return 0;
}

/* 1 when c is a character RFC 2253 escapes with a backslash. */
static int rfc2253_special(char c)
{
	return c && strchr(",+\"\\<>;=# ", c) != NULL;
}

/* 1 when needle occurs in the RFC 2253 text hay, ASCII case-insensitively, reading "\X" in hay as
 * X for the characters RFC 2253 escapes. */
static int name_contains(const char *hay, const char *needle)
{
	for (const char *start = hay; *start; start++) {
		const char *h = start, *n = needle;

		while (*n) {
			if (h[0] == '\\' && rfc2253_special(h[1]))
				h++;
			if (*h == '\0' || ascii_lower((unsigned char)*h) != ascii_lower((unsigned char)*n))
				break;
			h++;
			n++;
		}
		if (*n == '\0')
			return 1;
	}
	return 0;
}

int ca_policy_matches(const struct ca_policy *p, const unsigned char sha256[32],
		      const char *subject, const char *issuer)
{
	size_t at;

	if (p == NULL)
		return 0;
	if (sha256 != NULL) {
		at = fp_lower_bound(p, sha256);
		if (at < p->n_fps && memcmp(p->fps[at], sha256, 32) == 0)
			return 1;
	}
	for (size_t i = 0; i < p->n_patterns; i++)
		if ((subject != NULL && name_contains(subject, p->patterns[i])) ||
		    (issuer != NULL && name_contains(issuer, p->patterns[i])))
			return 1;
	return 0;
}

int ca_policy_matches_cert(const struct ca_policy *p, const struct certinfo *ci)
{
	if (ci == NULL)
		return 0;
	return ca_policy_matches(p, ci->sha256, ci->subject, ci->issuer);
}

/*
 * Adds each O= value of an RFC 2253 name as a pattern (unescaping "\X" and "\XX"). Attribute
 * boundaries are unescaped ',' and '+'. Returns -1 when a pattern cannot be added.
 */
static int add_orgs_of_name(struct ca_policy *p, const char *dn)
{
	const char *s = dn;

	while (*s) {
		char val[CA_POLICY_MAX_PATTERN_LEN + 1];
		size_t n = 0;
		int is_org = (s[0] == 'O' || s[0] == 'o') && s[1] == '=';

		if (is_org)
			s += 2;
		while (*s && *s != ',' && *s != '+') {
			char c = *s++;

			if (c == '\\' && hexval((unsigned char)s[0]) >= 0 &&
			    hexval((unsigned char)s[1]) >= 0) {
				c = (char)(hexval((unsigned char)s[0]) * 16 + hexval((unsigned char)s[1]));
				s += 2;
			} else if (c == '\\' && *s) {
				c = *s++;
			}
			if (is_org && n < sizeof(val) - 1)
				val[n++] = c;
		}
		if (*s)
			s++;
		val[n] = '\0';
		if (is_org && n > 0 && ca_policy_add_pattern(p, val) != 0)
			return -1;
	}
	return 0;
}

/* One tab-separated ca-families.tsv row (line modified in place). */
static int load_tsv_row(struct ca_policy *p, char *line, char *err, size_t errlen)
{
	char *col[4] = { NULL };
	char *s = line;

	for (int i = 0; i < 4 && s != NULL; i++) {
		col[i] = s;
		s = strchr(s, '\t');
		if (s != NULL)
			*s++ = '\0';
	}
	if (strcmp(col[0], "kind") == 0)
		return 0; /* header */
	if (col[1] == NULL || col[2] == NULL) {
		snprintf(err, errlen, "expected kind<TAB>subject<TAB>sha256<TAB>note");
		return -1;
	}
	if (add_orgs_of_name(p, col[1]) != 0) {
		snprintf(err, errlen, "cannot add the organisation of \"%.80s\"", col[1]);
		return -1;
	}
	if (*col[2] != '\0' && ca_policy_add_fingerprint(p, col[2]) != 0) {
		snprintf(err, errlen, "malformed sha256 \"%.80s\"", col[2]);
		return -1;
	}
	return 0;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		*--end = '\0';
	return s;
}

static int load_line(struct ca_policy *p, char *raw, char *err, size_t errlen)
{
	char *line = trim(raw);

	if (*line == '\0' || *line == '#')
		return 0;
	if (strncmp(line, "pattern:", 8) == 0) {
		if (ca_policy_add_pattern(p, trim(line + 8)) != 0) {
			snprintf(err, errlen, "empty, too long or too many patterns");
			return -1;
		}
		return 0;
	}
	if (strncmp(line, "sha256:", 7) == 0) {
		if (ca_policy_add_fingerprint(p, trim(line + 7)) != 0) {
			snprintf(err, errlen, "malformed sha256 (64 hex digits expected)");
			return -1;
		}
		return 0;
	}
	if (strchr(line, '\t') != NULL)
		return load_tsv_row(p, line, err, errlen);
	snprintf(err, errlen, "expected pattern:TEXT, sha256:HEX or a ca-families.tsv row");
	return -1;
}

int ca_policy_load_file(struct ca_policy *p, const char *path, char *err, size_t errlen)
{
	char line[CA_POLICY_MAX_LINE + 2];
	char why[160];
	FILE *f = fopen(path, "r");
	long lineno = 0;
	int rc = -1;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t len = strlen(line);

		if (++lineno > CA_POLICY_MAX_LINES) {
			snprintf(err, errlen, "%s: more than %d lines", path, CA_POLICY_MAX_LINES);
			goto out;
		}
		if (len > CA_POLICY_MAX_LINE && line[len - 1] != '\n') {
			snprintf(err, errlen, "%s:%ld: line longer than %d bytes", path, lineno,
				 CA_POLICY_MAX_LINE);
			goto out;
		}
		if (load_line(p, line, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "%s:%ld: %s", path, lineno, why);
			goto out;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}
