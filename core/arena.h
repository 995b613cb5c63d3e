/*
 * arena.h: a bump allocator for data that lives and dies together (a report's snapshot).
 * Memory comes from malloc'd chunks of at least ARENA_CHUNK bytes; nothing is freed one by one;
 * arena_free releases every chunk. Not thread-safe (one owner).
 */
#ifndef CS_ARENA_H
#define CS_ARENA_H

#include <stddef.h>

#define ARENA_CHUNK (256 * 1024)

struct arena_chunk;

struct arena {
	struct arena_chunk *head;   /* owned: the chunk being filled, linked to the older ones */
	size_t used, cap;           /* of head's data */
	size_t total;               /* bytes handed out, for the caller's bounds */
};

/* Zeroed, max_align_t-aligned memory of n bytes, or NULL when malloc fails or n overflows. */
void *arena_alloc(struct arena *a, size_t n);
/* n elements of size each (overflow-checked), zeroed. */
void *arena_array(struct arena *a, size_t n, size_t size);
/* A copy of s (NULL gives ""), or NULL when memory runs out. */
char *arena_strdup(struct arena *a, const char *s);
/* Frees every chunk and resets a; a zeroed arena is valid and empty. */
void arena_free(struct arena *a);

#endif
