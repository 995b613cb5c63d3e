/*
 * tlsraw_tls13.c: just enough of TLS 1.3 to read the server's Certificate message.
 *
 * Key schedule (RFC 8446 section 7.1), no PSK:
 *
 *   early   = HKDF-Extract(salt = 0^H, IKM = 0^H)                 constant per hash
 *   derived = HKDF-Expand-Label(early, "derived", Hash(""), H)      constant per hash: computed
 *                                                                   once, in tlsraw_shared
 *   hs      = HKDF-Extract(salt = derived, IKM = X25519(our key, server share))
 *   s_hs    = HKDF-Expand-Label(hs, "s hs traffic", Hash(ClientHello || ServerHello), H)
 *   key     = HKDF-Expand-Label(s_hs, "key", "", key length)
 *   iv      = HKDF-Expand-Label(s_hs, "iv", "", 12)
 *
 * HKDF-Extract is one HMAC; every Expand-Label here asks for at most H bytes, so it is one HMAC
 * too (T(1) = HMAC(secret, HkdfLabel || 0x01)). The HMACs run on EVP_MAC_CTXs made once per
 * hash with the digest already set: re-keying them (EVP_MAC_init with a key and no params)
 * fetches nothing, whereas HMAC() or an EVP_KDF per call looks algorithms up again. A
 * connection thus costs 4 HMACs, one hash of its ClientHello and ServerHello, one X25519.
 *
 * Records (section 5.2): nonce = iv XOR the 64-bit record sequence number (left-padded), AAD =
 * the 5-byte record header, 16-byte tag at the end; the plaintext ends with the real content
 * type followed by zero padding.
 *
 * X25519: the shared key pair is reused for TLSRAW_KEY_USES hellos (a scanner needs no forward
 * secrecy for traffic it abandons after the Certificate); its derive context is initialised once
 * and only gets a new peer per connection (EVP_PKEY_derive_set_peer_ex without the costly
 * public-key check: X25519 needs none, and an all-zero result fails the derivation).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "scanner/tlsraw_int.h"

static int hmac(const struct tlsraw_hash *h, const unsigned char *key, size_t key_len,
                const unsigned char *a, size_t a_len, const unsigned char *b, size_t b_len,
                unsigned char *out)
{
	size_t out_len = 0;

	if (EVP_MAC_init(h->hmac, key, key_len, NULL) != 1 ||
	    EVP_MAC_update(h->hmac, a, a_len) != 1 ||
	    (b_len > 0 && EVP_MAC_update(h->hmac, b, b_len) != 1) ||
	    EVP_MAC_final(h->hmac, out, &out_len, TLSRAW_MAX_HASH) != 1 || out_len != h->len)
		return -1;
	return 0;
}

int tls13_expand_label(const struct tlsraw_hash *h, const unsigned char *secret, const char *label,
                       const unsigned char *ctx, size_t ctx_len, unsigned char *out, size_t out_len)
{
	unsigned char info[2 + 1 + 6 + 32 + 1 + TLSRAW_MAX_HASH + 1], t1[TLSRAW_MAX_HASH];
	size_t label_len = strlen(label), n = 0;

	if (out_len > h->len || label_len > 32 || ctx_len > TLSRAW_MAX_HASH)
		return -1;
	info[n++] = (unsigned char)(out_len >> 8);
	info[n++] = (unsigned char)out_len;
	info[n++] = (unsigned char)(6 + label_len);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, label_len);
	n += label_len;
	info[n++] = (unsigned char)ctx_len;
	if (ctx_len > 0)
		memcpy(info + n, ctx, ctx_len);
	n += ctx_len;
	info[n++] = 0x01;
	if (hmac(h, secret, h->len, info, n, NULL, 0, t1) != 0)
		return -1;
	memcpy(out, t1, out_len);
	OPENSSL_cleanse(t1, sizeof(t1));
	return 0;
}

static int digest(EVP_MD_CTX *mdctx, const EVP_MD *md, const unsigned char *a, size_t a_len,
                  const unsigned char *b, size_t b_len, unsigned char *out)
{
	if (EVP_DigestInit_ex2(mdctx, md, NULL) != 1 || EVP_DigestUpdate(mdctx, a, a_len) != 1 ||
	    (b_len > 0 && EVP_DigestUpdate(mdctx, b, b_len) != 1) ||
	    EVP_DigestFinal_ex(mdctx, out, NULL) != 1)
		return -1;
	return 0;
}

/* Fetches one hash, makes its HMAC context and computes its "derived" secret. */
static int hash_init(struct tlsraw_shared *sh, struct tlsraw_hash *h, const char *name)
{
	unsigned char zero[TLSRAW_MAX_HASH] = { 0 }, early[TLSRAW_MAX_HASH], empty[TLSRAW_MAX_HASH];
	OSSL_PARAM params[2];
	int size;

	h->md = EVP_MD_fetch(NULL, name, NULL);
	h->hmac = EVP_MAC_CTX_new(sh->mac);
	if (h->md == NULL || h->hmac == NULL)
		return -1;
	size = EVP_MD_get_size(h->md);
	if (size <= 0 || size > TLSRAW_MAX_HASH)
		return -1;
	h->len = (size_t)size;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)(uintptr_t)name, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_CTX_set_params(h->hmac, params) != 1)
		return -1;
	if (hmac(h, zero, h->len, zero, h->len, NULL, 0, early) != 0 ||
	    digest(sh->mdctx, h->md, NULL, 0, NULL, 0, empty) != 0 ||
	    tls13_expand_label(h, early, "derived", empty, h->len, h->derived, h->len) != 0)
		return -1;
	return 0;
}

int tls13_shared_init(struct tlsraw_shared *sh, char *err, size_t errlen)
{
	sh->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	sh->mdctx = EVP_MD_CTX_new();
	sh->aes128gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	sh->aes256gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	sh->chacha = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	if (sh->mac == NULL || sh->mdctx == NULL || sh->aes128gcm == NULL || sh->aes256gcm == NULL ||
	    sh->chacha == NULL || hash_init(sh, &sh->sha256, "SHA256") != 0 ||
	    hash_init(sh, &sh->sha384, "SHA384") != 0) {
		snprintf(err, errlen, "cannot set up TLS 1.3 primitives: %s",
		         ERR_reason_error_string(ERR_peek_last_error()));
		return -1;
	}
	return 0;
}

void tls13_shared_free(struct tlsraw_shared *sh)
{
	struct tlsraw_hash *hs[] = { &sh->sha256, &sh->sha384 };

	for (size_t i = 0; i < 2; i++) {
		EVP_MAC_CTX_free(hs[i]->hmac);
		EVP_MD_free(hs[i]->md);
	}
	EVP_MAC_free(sh->mac);
	EVP_MD_CTX_free(sh->mdctx);
	EVP_CIPHER_free(sh->aes128gcm);
	EVP_CIPHER_free(sh->aes256gcm);
	EVP_CIPHER_free(sh->chacha);
}

/* A new key pair (from priv when not NULL: tests), with one reference; NULL on failure. */
struct tlsraw_kx *tlsraw_kx_new(const unsigned char *priv)
{
	struct tlsraw_kx *kx = OPENSSL_zalloc(sizeof(*kx));
	size_t len = 32;

	if (kx == NULL)
		return NULL;
	kx->refs = 1;
	if (priv != NULL)
		kx->key = EVP_PKEY_new_raw_private_key_ex(NULL, "X25519", NULL, priv, 32);
	else
		kx->key = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	if (kx->key == NULL || EVP_PKEY_get_raw_public_key(kx->key, kx->pub, &len) != 1 ||
	    len != sizeof(kx->pub))
		goto fail;
	kx->dctx = EVP_PKEY_CTX_new_from_pkey(NULL, kx->key, NULL);
	if (kx->dctx == NULL || EVP_PKEY_derive_init(kx->dctx) != 1)
		goto fail;
	return kx;
fail:
	tlsraw_kx_unref(kx);
	return NULL;
}

void tlsraw_kx_unref(struct tlsraw_kx *kx)
{
	if (kx == NULL || --kx->refs > 0)
		return;
	EVP_PKEY_CTX_free(kx->dctx);
	EVP_PKEY_free(kx->key);
	OPENSSL_free(kx);
}

static int x25519(struct tlsraw_kx *kx, const unsigned char *peer_pub, unsigned char out[32])
{
	EVP_PKEY *peer = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, peer_pub, 32);
	size_t len = 32;
	int rc = -1;

	if (peer != NULL && EVP_PKEY_derive_set_peer_ex(kx->dctx, peer, 0) == 1 &&
	    EVP_PKEY_derive(kx->dctx, out, &len) == 1 && len == 32)
		rc = 0;
	EVP_PKEY_free(peer);
	return rc;
}

int tls13_start(struct tlsraw *t, uint16_t id, const unsigned char *peer, const unsigned char *sh_msg,
                size_t sh_len)
{
	struct tlsraw_shared *sh = t->sh;
	const struct tlsraw_hash *h = id == 0x1302 ? &sh->sha384 : &sh->sha256;
	const EVP_CIPHER *cipher = id == 0x1301 ? sh->aes128gcm : id == 0x1302 ? sh->aes256gcm :
	                           id == 0x1303 ? sh->chacha : NULL;
	unsigned char ecdh[32], hs[TLSRAW_MAX_HASH], th[TLSRAW_MAX_HASH], shts[TLSRAW_MAX_HASH];
	unsigned char key[32];
	size_t key_len = id == 0x1301 ? 16 : 32;
	int rc = -1;

	if (cipher == NULL) {
		tlsraw_fail(t, TLSRAW_FALLBACK, "TLS 1.3 suite 0x%04x not supported here", id);
		return -1;
	}
	if (x25519(t->kx, peer, ecdh) != 0) {
		tlsraw_fail(t, TLSRAW_ERROR, "X25519 with the server's share failed");
		goto out;
	}
	t->hash = h;
	t->cctx = EVP_CIPHER_CTX_new();
	if (t->cctx == NULL ||
	    hmac(h, h->derived, h->len, ecdh, sizeof(ecdh), NULL, 0, hs) != 0 ||
	    digest(sh->mdctx, h->md, t->hello, t->hello_len, sh_msg, sh_len, th) != 0 ||
	    tls13_expand_label(h, hs, "s hs traffic", th, h->len, shts, h->len) != 0 ||
	    tls13_expand_label(h, shts, "key", NULL, 0, key, key_len) != 0 ||
	    tls13_expand_label(h, shts, "iv", NULL, 0, t->iv, sizeof(t->iv)) != 0 ||
	    EVP_DecryptInit_ex2(t->cctx, cipher, key, NULL, NULL) != 1) {
		tlsraw_fail(t, TLSRAW_ERROR, "TLS 1.3 key schedule failed");
		goto out;
	}
	t->seq = 0;
	rc = 0;
out:
	OPENSSL_cleanse(ecdh, sizeof(ecdh));
	OPENSSL_cleanse(hs, sizeof(hs));
	OPENSSL_cleanse(shts, sizeof(shts));
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

long tls13_decrypt(struct tlsraw *t, const unsigned char *hdr, const unsigned char *ct, size_t len,
                   unsigned char *out, unsigned *type)
{
	unsigned char nonce[TLS13_IV], tag[TLS13_TAG];
	size_t n;
	int outl = 0, finl = 0;

	if (len <= TLS13_TAG || len > TLS13_MAX_CIPHERTEXT || t->cctx == NULL)
		return -1;
	n = len - TLS13_TAG;
	memcpy(nonce, t->iv, sizeof(nonce));
	for (int i = 0; i < 8; i++)
		nonce[TLS13_IV - 1 - i] ^= (unsigned char)(t->seq >> (8 * i));
	memcpy(tag, ct + n, sizeof(tag));
	if (EVP_DecryptInit_ex2(t->cctx, NULL, NULL, nonce, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(t->cctx, EVP_CTRL_AEAD_SET_TAG, TLS13_TAG, tag) != 1 ||
	    EVP_DecryptUpdate(t->cctx, NULL, &outl, hdr, 5) != 1 ||
	    EVP_DecryptUpdate(t->cctx, out, &outl, ct, (int)n) != 1 || (size_t)outl != n ||
	    EVP_DecryptFinal_ex(t->cctx, out + outl, &finl) != 1 || finl != 0)
		return -1;
	t->seq++;
	/* TLSInnerPlaintext: content, then the content type, then zeros. */
	while (n > 0 && out[n - 1] == 0)
		n--;
	if (n == 0)
		return -1;
	*type = out[n - 1];
	return (long)(n - 1);
}
