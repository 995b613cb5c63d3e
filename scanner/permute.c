/*
 * permute.c: a keyed permutation of [0, n) as a stream, with O(1) memory.
 *
 * The problem. A sweep visits N endpoints (up to 2^48) in an order that looks random, so that
 * consecutive probes land on different networks and no single host or subnet gets a burst,
 * yet every endpoint must be visited exactly once and the sweep must be resumable from a
 * position. Shuffling an array of N indexes is out of the question; instead we *encrypt* the
 * index: a block cipher whose domain is exactly [0, N) is a bijection on [0, N), and
 * perm_at(i) = E_k(i) visits everything once. This is format-preserving encryption, as in
 * Black and Rogaway, "Ciphers with Arbitrary Finite Domains" (CT-RSA 2002), and masscan's
 * src/crypto-blackrock.c.
 *
 * Step 1, a rectangle. Choose a = floor(sqrt(N)) and b = ceil(N / a). Then a <= b,
 * a * b >= N, and M = a * b exceeds N by less than a (so by less than sqrt(N)).
 * Any x in [0, M) is a pair (L, R) = (x mod a, x div a) with L in [0, a), R in [0, b).
 *
 * Step 2, a Feistel network on the rectangle (Black-Rogaway's "FE2"). Round j, with modulus
 * m_j = a for even j and b for odd j, maps
 *         (L, R)  ->  (R, (L + F_j(R)) mod m_j)
 * where F_j is any function of R into [0, m_j). Whatever F_j is, the round is invertible:
 * from the output (L', R') we get R = L' and L = (R' - F_j(L')) mod m_j. After an even round
 * L is in [0, a) again and R in [0, b), so after an even number of rounds L + a * R is back in
 * [0, M): E is a bijection of [0, M). Here F_j(R) = mix64(R ^ key_j) scaled into [0, m_j) by a
 * 64x64->128 multiply (no division); mix64 is the SplitMix64 finaliser (full avalanche) and the
 * six round keys come from a SplitMix64 stream seeded with the user's seed.
 *
 * Step 3, cycle walking. E permutes [0, M) but we want [0, N). Start from i < N and apply E
 * until the result falls below N. This terminates because E's cycle through i returns to i,
 * and it yields a bijection of [0, N): the values >= N are simply skipped along each cycle.
 * Since M - N < sqrt(N), almost every i needs one encryption; the expected count is M / N.
 *
 * Worked example, N = 10, with two rounds and toy round functions so it can be checked by hand:
 *   a = floor(sqrt(10)) = 3, b = ceil(10 / 3) = 4, M = 12.
 *   F_0(R) = (R*R + 1) mod 3 for R in [0, 4);   F_1(R) = (2R + 3) mod 4 for R in [0, 3).
 *   Encrypt x = 7:  L = 7 mod 3 = 1, R = 7 div 3 = 2
 *     round 0 (mod 3): F_0(2) = 5 mod 3 = 2, (1 + 2) mod 3 = 0      -> (L, R) = (2, 0)
 *     round 1 (mod 4): F_1(0) = 3,          (2 + 3) mod 4 = 1      -> (L, R) = (0, 1)
 *     output L + a * R = 0 + 3 * 1 = 3, so E(7) = 3.
 *   The whole of E on [0, 12):  0->4  1->11  2->9  3->2  4->0  5->7  6->5  7->3  8->10  9->1
 *                               10->8  11->6
 *   Cycle walking for the two inputs that land outside [0, 10):
 *     1 -> 11 (>= 10, again) -> 6            so perm(1) = 6
 *     8 -> 10 (>= 10, again) -> 8            so perm(8) = 8 (a fixed point is fine)
 *   Result: perm = 4 6 9 2 0 7 5 3 8 1, each of 0..9 exactly once.
 * The real thing uses PERM_ROUNDS = 6 rounds of the keyed F above; tests/unit/test_permute.c
 * pins the output for one (n, seed) so that an accidental change (which would break resuming
 * a saved sweep) fails the tests.
 *
 * Cost: one division (x div a, x mod a), six multiply-xorshift mixes and six 128-bit
 * multiplies per encryption, times M / N on average: a few tens of nanoseconds.
 */
#include "scanner/permute.h"

#include <string.h>

__extension__ typedef unsigned __int128 perm_u128;

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t splitmix_next(uint64_t *state)
{
	*state += UINT64_C(0x9e3779b97f4a7c15);
	return mix64(*state);
}

/* floor(sqrt(n)) for n <= 2^48, by bisection (no floating point, no libm). */
static uint64_t isqrt(uint64_t n)
{
	uint64_t lo = 0, hi = (UINT64_C(1) << 24) + 1; /* hi * hi > 2^48 >= n */

	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (mid * mid <= n)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The round function F_j(r) in [0, m). */
static uint64_t round_f(const struct permutation *p, unsigned j, uint64_t r, uint64_t m)
{
	return (uint64_t)(((perm_u128)mix64(r ^ p->key[j]) * m) >> 64);
}

static uint64_t modulus(const struct permutation *p, unsigned j)
{
	return (j & 1) ? p->b : p->a;
}

static uint64_t encrypt(const struct permutation *p, uint64_t x)
{
	uint64_t l = x % p->a, r = x / p->a;

	for (unsigned j = 0; j < PERM_ROUNDS; j++) {
		uint64_t m = modulus(p, j);
		uint64_t t = l + round_f(p, j, r, m); /* both < m */
		if (t >= m)
			t -= m;
		l = r;
		r = t;
	}
	return l + p->a * r;
}

static uint64_t decrypt(const struct permutation *p, uint64_t y)
{
	uint64_t l = y % p->a, r = y / p->a;

	for (unsigned j = PERM_ROUNDS; j-- > 0;) {
		uint64_t m = modulus(p, j);
		uint64_t f = round_f(p, j, l, m);
		uint64_t prev_l = r >= f ? r - f : r + m - f;
		r = l;
		l = prev_l;
	}
	return l + p->a * r;
}

int perm_init(struct permutation *p, uint64_t n, uint64_t seed)
{
	uint64_t state = seed;

	memset(p, 0, sizeof(*p));
	if (n == 0 || n > PERM_MAX_N)
		return -1;
	p->n = n;
	p->a = isqrt(n);
	p->b = (n + p->a - 1) / p->a;
	for (unsigned j = 0; j < PERM_ROUNDS; j++)
		p->key[j] = splitmix_next(&state);
	return 0;
}

uint64_t perm_at(const struct permutation *p, uint64_t i)
{
	uint64_t x = encrypt(p, i);

	while (x >= p->n)
		x = encrypt(p, x);
	return x;
}

uint64_t perm_index(const struct permutation *p, uint64_t x)
{
	uint64_t i = decrypt(p, x);

	while (i >= p->n)
		i = decrypt(p, i);
	return i;
}
