/* arena.c: see arena.h. Large requests get a chunk of their own, sized to fit. */
#include "core/arena.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
	struct arena_chunk *prev;
	alignas(max_align_t) unsigned char data[];
};

void *arena_alloc(struct arena *a, size_t n)
{
	const size_t align = alignof(max_align_t);
	size_t off = (a->used + align - 1) & ~(align - 1);
	void *p;

	if (n > SIZE_MAX / 2)
		return NULL;
	if (a->head == NULL || off > a->cap || n > a->cap - off) {
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		struct arena_chunk *c = malloc(sizeof(*c) + cap);

		if (c == NULL)
			return NULL;
		c->prev = a->head;
		a->head = c;
		a->cap = cap;
		off = 0;
	}
	p = a->head->data + off;
	a->used = off + n;
	a->total += n;
	memset(p, 0, n);
	return p;
}

void *arena_array(struct arena *a, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	return arena_alloc(a, n * size == 0 ? 1 : n * size);
}

char *arena_strdup(struct arena *a, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;
	char *p = arena_alloc(a, n + 1);

	if (p != NULL && n > 0)
		memcpy(p, s, n);
	return p;
}

void arena_free(struct arena *a)
{
	struct arena_chunk *c = a->head;

	while (c != NULL) {
		struct arena_chunk *prev = c->prev;

		free(c);
		c = prev;
	}
	memset(a, 0, sizeof(*a));
}
