/*
 * rd.h: a bounds-checked byte cursor over untrusted input (TLS records, handshake messages),
 * shared by the active handshake codec (scanner/tlsraw*) and the passive observer
 * (passive/tlsp*). Every read checks the bytes left; a failed read leaves the cursor where it
 * was (rd_vec) or past nothing it could not read, and returns -1. The cursor borrows the bytes.
 */
#ifndef CS_RD_H
#define CS_RD_H

#include <stddef.h>

/* Byte cursor over untrusted input. */
struct rd {
	const unsigned char *p;
	size_t n;
};

static inline int rd_skip(struct rd *r, size_t k)
{
	if (r->n < k)
		return -1;
	r->p += k;
	r->n -= k;
	return 0;
}

static inline int rd_u8(struct rd *r, unsigned *v)
{
	if (r->n < 1)
		return -1;
	*v = r->p[0];
	return rd_skip(r, 1);
}

static inline int rd_u16(struct rd *r, unsigned *v)
{
	if (r->n < 2)
		return -1;
	*v = (unsigned)r->p[0] << 8 | r->p[1];
	return rd_skip(r, 2);
}

static inline int rd_u24(struct rd *r, size_t *v)
{
	if (r->n < 3)
		return -1;
	*v = (size_t)r->p[0] << 16 | (size_t)r->p[1] << 8 | r->p[2];
	return rd_skip(r, 3);
}

/* Reads a vector with a `width`-byte length prefix (1, 2 or 3) into sub. */
static inline int rd_vec(struct rd *r, int width, struct rd *sub)
{
	struct rd save = *r;
	size_t len = 0;
	unsigned v;
	int rc;

	if (width == 3) {
		rc = rd_u24(r, &len);
	} else {
		rc = width == 2 ? rd_u16(r, &v) : rd_u8(r, &v);
		len = v;
	}
	if (rc != 0 || r->n < len) {
		*r = save;
		return -1;
	}
	sub->p = r->p;
	sub->n = len;
	return rd_skip(r, len);
}

#endif
