/*
 * digestset.h: a set of 32-byte digests (SHA-256), open addressing, grows by doubling.
 * Used to count distinct certificates without asking the store. Memory: 32 bytes per slot,
 * at most twice the number of distinct digests.
 */
#ifndef CS_DIGESTSET_H
#define CS_DIGESTSET_H

#include <stddef.h>

struct digestset;
struct digestset *digestset_new(void);
/* Returns 1 when added, 0 when already present, -1 on allocation failure. */
int digestset_add(struct digestset *s, const unsigned char digest[32]);
size_t digestset_count(const struct digestset *s);
void digestset_free(struct digestset *s);

#endif
