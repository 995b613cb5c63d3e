/* fuzz_http_head.c: the HTTP response head parser on arbitrary bytes (they come from servers). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/http_head.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_head h;
	/* an exact-size copy so ASan sees any read past the end */
	char *copy = malloc(size ? size : 1);

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	http_head_parse(copy, size, &h);
	if (h.hsts_max_age < -1 || (h.status != 0 && (h.status < 100 || h.status > 999)))
		abort();
	free(copy);
	return 0;
}
