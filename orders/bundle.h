/*
 * bundle.h: read the certificates a CA hands over (PEM, DER, PKCS#7, PKCS#12 without a password,
 * or a .zip of them) into one PEM bundle, leaf first. Used by `orders import`.
 */
#ifndef CS_ORDERS_BUNDLE_H
#define CS_ORDERS_BUNDLE_H

#include <stddef.h>

/* 0 with *pem (malloc'd, caller frees), or -1 with a message in err. */
int bundle_load_file(const char *path, char **pem, char *err, size_t errlen);
/* The same from memory (a .zip is recognised by its magic bytes). */
int bundle_load_mem(const unsigned char *buf, size_t len, char **pem, char *err, size_t errlen);

#endif
