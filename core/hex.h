/*
 * hex.h: lowercase hexadecimal text of bytes (digests, serial numbers).
 */
#ifndef CS_HEX_H
#define CS_HEX_H

#include <stddef.h>

/* Writes the 2 * n lowercase hex digits of in[0..n) and a NUL into out, which must hold
 * 2 * n + 1 bytes. */
void hex_encode(const unsigned char *in, size_t n, char *out);

#endif
