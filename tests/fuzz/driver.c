/*
 * driver.c: a replay main() for the fuzz targets, so they build and run without libFuzzer.
 * Usage: fuzz_x FILE|DIR...   feeds each file (each file of each DIR) to LLVMFuzzerTestOneInput.
 *        fuzz_x -random N SEED also feeds N pseudo-random mutations of those inputs (smoke mode).
 * Build with `make FUZZ=libfuzzer CC=clang fuzz` to get real coverage-guided fuzzers instead.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DRIVER_MAX_INPUT (1 << 20)

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void mutate_and_run(const uint8_t *data, size_t len, long rounds, uint64_t *seed)
{
	uint8_t *buf = malloc(len + 64);

	if (buf == NULL)
		return;
	for (long r = 0; r < rounds; r++) {
		size_t n = len;
		memcpy(buf, data, len);
		int edits = 1 + (int)(rng_next(seed) % 8);
		for (int e = 0; e < edits; e++) {
			uint64_t x = rng_next(seed);
			switch (x % 4) {
			case 0: if (n) buf[(x >> 8) % n] ^= (uint8_t)(1u << ((x >> 40) % 8)); break;
			case 1: if (n) buf[(x >> 8) % n] = (uint8_t)(x >> 32); break;
			case 2: if (n) n = (size_t)((x >> 8) % n); break;           /* truncate */
			default: if (n < len + 64) buf[n++] = (uint8_t)(x >> 16); break; /* append */
			}
		}
		LLVMFuzzerTestOneInput(buf, n);
	}
	free(buf);
}

static int run_file(const char *path, long rounds, uint64_t *seed)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	buf = malloc(DRIVER_MAX_INPUT);
	if (buf == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, DRIVER_MAX_INPUT, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	if (rounds > 0)
		mutate_and_run(buf, n, rounds, seed);
	free(buf);
	return 0;
}

static int run_path(const char *path, long rounds, uint64_t *seed, long *count)
{
	struct stat sb;

	if (stat(path, &sb) != 0) {
		perror(path);
		return -1;
	}
	if (S_ISDIR(sb.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *de;
		int rc = 0;
		if (d == NULL)
			return -1;
		while ((de = readdir(d)) != NULL) {
			char sub[4096];
			if (de->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			if (run_path(sub, rounds, seed, count) != 0)
				rc = -1;
		}
		closedir(d);
		return rc;
	}
	(*count)++;
	return run_file(path, rounds, seed);
}

int main(int argc, char **argv)
{
	long rounds = 0, count = 0;
	uint64_t seed = 1;
	int i = 1, rc = 0;

	if (argc > 3 && strcmp(argv[1], "-random") == 0) {
		rounds = strtol(argv[2], NULL, 10);
		seed = strtoull(argv[3], NULL, 10);
		i = 4;
	}
	for (; i < argc; i++)
		if (run_path(argv[i], rounds, &seed, &count) != 0)
			rc = 1;
	printf("%s: %ld inputs replayed, %ld mutations each\n", argv[0], count, rounds);
	return rc;
}
