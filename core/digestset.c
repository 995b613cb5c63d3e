/* digestset.c: linear-probing hash set of SHA-256 digests (see digestset.h). The digests are
 * already uniformly distributed, so their first 8 bytes serve as the hash. An all-zero slot
 * marks empty; the all-zero digest itself is tracked by a flag. */
#include "core/digestset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct digestset {
	unsigned char (*slots)[32]; /* owned, cap entries */
	size_t cap, count;
	int has_zero;
};

static const unsigned char zero[32];

struct digestset *digestset_new(void)
{
	struct digestset *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->cap = 64;
	s->slots = calloc(s->cap, 32);
	if (s->slots == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

static size_t slot_of(const struct digestset *s, const unsigned char d[32])
{
	uint64_t h;

	memcpy(&h, d, sizeof(h));
	return (size_t)(h & (s->cap - 1));
}

static int insert(struct digestset *s, const unsigned char d[32])
{
	for (size_t i = slot_of(s, d);; i = (i + 1) & (s->cap - 1)) {
		if (memcmp(s->slots[i], zero, 32) == 0) {
			memcpy(s->slots[i], d, 32);
			s->count++;
			return 1;
		}
		if (memcmp(s->slots[i], d, 32) == 0)
			return 0;
	}
}

static int grow(struct digestset *s)
{
	unsigned char (*old)[32] = s->slots;
	size_t oldcap = s->cap;

	s->slots = calloc(oldcap * 2, 32);
	if (s->slots == NULL) {
		s->slots = old;
		return -1;
	}
	s->cap = oldcap * 2;
	s->count = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (memcmp(old[i], zero, 32) != 0)
			insert(s, old[i]);
	free(old);
	return 0;
}

int digestset_add(struct digestset *s, const unsigned char digest[32])
{
	if (memcmp(digest, zero, 32) == 0) {
		int added = !s->has_zero;
		s->has_zero = 1;
		return added;
	}
	if ((s->count + 1) * 2 > s->cap && grow(s) != 0)
		return -1;
	return insert(s, digest);
}

size_t digestset_count(const struct digestset *s)
{
	return s->count + (size_t)s->has_zero;
}

void digestset_free(struct digestset *s)
{
	if (s == NULL)
		return;
	free(s->slots);
	free(s);
}
