/*
 * test_permute.c: the keyed permutation of scanner/permute.c.
 *
 * Checks that perm_at is a bijection of [0, n) for many sizes and seeds (every value seen
 * exactly once), that perm_index inverts it, that the order depends on the seed and does not
 * look sequential, the limits of perm_init, and pins one output so that an accidental change
 * of the algorithm (which would break resuming saved sweeps) fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scanner/permute.h"

static uint64_t rng(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Every i in [0, n) maps to a distinct value in [0, n), and perm_index maps it back. */
static void check_bijection(uint64_t n, uint64_t seed)
{
	struct permutation p;
	uint8_t *seen = calloc(n, 1);

	assert_non_null(seen);
	assert_int_equal(perm_init(&p, n, seed), 0);
	assert_true(p.a * p.b >= n);
	assert_true(p.a <= p.b);
	assert_true(p.a * p.b - n < p.a);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t x = perm_at(&p, i);
		if (x >= n || seen[x])
			fail_msg("n=%llu seed=%llu: perm_at(%llu) = %llu repeated or out of range",
			         (unsigned long long)n, (unsigned long long)seed,
			         (unsigned long long)i, (unsigned long long)x);
		seen[x] = 1;
		if (perm_index(&p, x) != i)
			fail_msg("n=%llu: perm_index(perm_at(%llu)) != %llu", (unsigned long long)n,
			         (unsigned long long)i, (unsigned long long)i);
	}
	free(seen);
}

static void test_bijection_small(void **state)
{
	(void)state;
	for (uint64_t n = 1; n <= 300; n++)
		for (uint64_t seed = 0; seed < 5; seed++)
			check_bijection(n, seed * 7919 + n);
}

static void test_bijection_named_sizes(void **state)
{
	static const uint64_t sizes[] = { 1, 2, 3, 7, 1000, 65535, 65536, 65537, 1 << 20 };

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		check_bijection(sizes[i], 1);
		check_bijection(sizes[i], 0xdeadbeefcafef00dULL);
	}
}

static void test_bijection_random_sizes(void **state)
{
	uint64_t s = 12345;

	(void)state;
	for (int k = 0; k < 40; k++) {
		uint64_t n = 1 + rng(&s) % 200000;
		check_bijection(n, rng(&s));
	}
}

static void test_limits(void **state)
{
	struct permutation p;
	const uint64_t max = PERM_MAX_N;
	uint64_t s = 99;

	(void)state;
	assert_int_equal(perm_init(&p, 0, 1), -1);
	assert_int_equal(perm_init(&p, max + 1, 1), -1);
	assert_int_equal(perm_init(&p, UINT64_MAX, 1), -1);
	assert_int_equal(perm_init(&p, max, 1), 0);
	assert_true(p.a * p.b >= max);
	for (int k = 0; k < 10000; k++) {
		uint64_t i = rng(&s) % max;
		uint64_t x = perm_at(&p, i);
		assert_true(x < max);
		assert_true(perm_index(&p, x) == i);
	}
	assert_true(perm_at(&p, max - 1) < max);
	assert_int_equal(perm_init(&p, max - 1, 7), 0);
	assert_true(perm_at(&p, max - 2) < max - 1);
}

static void test_seed_changes_order(void **state)
{
	struct permutation p1, p2, p3;
	int same12 = 0, same13 = 0;

	(void)state;
	perm_init(&p1, 100000, 1);
	perm_init(&p2, 100000, 2);
	perm_init(&p3, 100000, 1);
	for (uint64_t i = 0; i < 100000; i++) {
		same12 += perm_at(&p1, i) == perm_at(&p2, i);
		same13 += perm_at(&p1, i) == perm_at(&p3, i);
	}
	assert_int_equal(same13, 100000); /* deterministic for a seed */
	assert_true(same12 < 100);        /* about 1 expected */
}

/* Consecutive outputs should land far apart: count neighbours and ascending runs. */
static void test_not_sequential(void **state)
{
	struct permutation p;
	const uint64_t n = 65536;
	int adjacent = 0, ascending = 0, fixed = 0;

	(void)state;
	perm_init(&p, n, 42);
	for (uint64_t i = 0; i + 1 < n; i++) {
		uint64_t x = perm_at(&p, i), y = perm_at(&p, i + 1);
		uint64_t d = x > y ? x - y : y - x;
		adjacent += d <= 16;
		ascending += y > x;
		fixed += x == i;
	}
	/* A random order has about 32 / 65536 of neighbours within 16 and half ascending. */
	assert_true(adjacent < 200);
	assert_true(ascending > 30000 && ascending < 35500);
	assert_true(fixed < 50);
}

/* The order for a given (n, seed) is part of the contract (resumable sweeps). */
static void test_pinned_output(void **state)
{
	static const uint64_t want10[10] = { 8, 1, 0, 2, 3, 9, 7, 5, 6, 4 };
	static const uint64_t want_big[5] = {
		UINT64_C(1461077387), UINT64_C(4141835034), UINT64_C(3861748477),
		UINT64_C(3544527609), UINT64_C(3658489895),
	};
	struct permutation p;

	(void)state;
	perm_init(&p, 10, 1);
	for (uint64_t i = 0; i < 10; i++)
		assert_int_equal(perm_at(&p, i), want10[i]);
	perm_init(&p, UINT64_C(1) << 32, 0x5eed);
	for (uint64_t i = 0; i < 5; i++)
		assert_int_equal(perm_at(&p, i * 1000003), want_big[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bijection_small),
		cmocka_unit_test(test_bijection_named_sizes),
		cmocka_unit_test(test_bijection_random_sizes),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_seed_changes_order),
		cmocka_unit_test(test_not_sequential),
		cmocka_unit_test(test_pinned_output),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
