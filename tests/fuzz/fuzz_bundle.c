/* fuzz_bundle.c: `orders import` input (PEM, DER, PKCS#7, PKCS#12, a CA's .zip) on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/err.h>

#include "orders/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *pem = NULL, err[512];

	if (bundle_load_mem(data, size, &pem, err, sizeof(err)) == 0 && pem == NULL)
		abort(); /* success must give a bundle */
	free(pem);
	ERR_clear_error();
	return 0;
}
