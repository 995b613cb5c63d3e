/*
 * permute.h: a keyed pseudo-random permutation of [0, n), computed one element at a time.
 *
 * perm_at(p, i) is the i-th element of a shuffled [0, n): as i runs over [0, n) every value in
 * [0, n) comes out exactly once, in an order that depends on the seed. Nothing is stored but
 * the few words of struct permutation, so a sweep of 2^48 endpoints costs the same memory as a
 * sweep of ten. The algorithm (a Feistel network over a rectangle a x b >= n, with cycle
 * walking) is explained with a worked example at the top of permute.c.
 *
 * Stability: for a given (n, seed) the order never changes between versions of certsweep, so a
 * sweep interrupted at position i can be resumed by another build. Changing PERM_ROUNDS, the
 * round function or the key schedule breaks resumption and must be called out as such.
 *
 * The struct is plain data (no pointers, nothing to free): copy it or keep it on the stack.
 */
#ifndef CS_PERMUTE_H
#define CS_PERMUTE_H

#include <stdint.h>

#define PERM_ROUNDS 6
/* Largest n perm_init accepts (a and b stay below 2^25, so a * b never overflows). */
#define PERM_MAX_N (UINT64_C(1) << 48)

struct permutation {
	uint64_t n;                  /* size of the domain [0, n) */
	uint64_t a, b;               /* the rectangle: a * b >= n, a <= b, a * b - n < a + b */
	uint64_t key[PERM_ROUNDS];   /* round keys derived from the seed */
};

/* Keys a permutation of [0, n). Returns 0, or -1 when n is 0 or above PERM_MAX_N (p is then
 * left as the identity on an empty domain and perm_at must not be called). */
int perm_init(struct permutation *p, uint64_t n, uint64_t seed);
/* The i-th element of the permutation; i must be < p->n. */
uint64_t perm_at(const struct permutation *p, uint64_t i);
/* The inverse: perm_index(p, perm_at(p, i)) == i. x must be < p->n. */
uint64_t perm_index(const struct permutation *p, uint64_t x);

#endif
