/*
 * tlsraw_hello.c: the ClientHello, built to match what OpenSSL 3.0.19 sends when configured
 * like scanner/tls_client.c (TLS 1.0 and up, security level 0, the cipher string
 * 'ALL:COMPLEMENTOFDEFAULT:!eNULL:@SECLEVEL=0', status_request), byte for byte apart from the
 * random, the session id and the key share (tests/unit/test_tlsraw.c compares the two).
 *
 * Layout (OpenSSL's order):
 *   legacy_version  0x0303, or max_version below TLS 1.2
 *   random          32 bytes (RAND_bytes)
 *   session_id      32 random bytes when TLS 1.3 is offered (middlebox compatibility), else empty
 *   cipher_suites   suites[] whose min_version <= max_version (the TLS 1.3 ones only when 1.3 is
 *                   offered), then TLS_EMPTY_RENEGOTIATION_INFO_SCSV. The list is what the
 *                   cipher string gives minus the PSK and SRP suites, which OpenSSL leaves out
 *                   of a hello when no PSK callback or SRP user is set.
 *   compression     null only
 *   extensions      server_name, ec_point_formats, supported_groups (ffdhe only with 1.3),
 *                   session_ticket (empty), status_request (OCSP), ALPN (h2, http/1.1),
 *                   encrypt_then_mac, extended_master_secret, signature_algorithms (TLS 1.2+),
 *                   then with TLS 1.3: supported_versions, psk_key_exchange_modes (psk_dhe_ke),
 *                   key_share (X25519 only: any other group costs a HelloRetryRequest).
 */
#include <string.h>

#include <openssl/rand.h>

#include "scanner/tlsraw_int.h"

/* Offered suites in OpenSSL's order, with the key exchange the parser needs to read the flight. */
static const struct tlsraw_suite suites[] = {
	{ 0x1302, KX_TLS13, 0x0304 },      /* TLS_AES_256_GCM_SHA384 */
	{ 0x1303, KX_TLS13, 0x0304 },      /* TLS_CHACHA20_POLY1305_SHA256 */
	{ 0x1301, KX_TLS13, 0x0304 },      /* TLS_AES_128_GCM_SHA256 */
	{ 0xc02c, KX_ECDHE, 0x0303 },      /* ECDHE-ECDSA-AES256-GCM-SHA384 */
	{ 0xc030, KX_ECDHE, 0x0303 },      /* ECDHE-RSA-AES256-GCM-SHA384 */
	{ 0x00a3, KX_DHE, 0x0303 },        /* DHE-DSS-AES256-GCM-SHA384 */
	{ 0x009f, KX_DHE, 0x0303 },        /* DHE-RSA-AES256-GCM-SHA384 */
	{ 0xcca9, KX_ECDHE, 0x0303 },      /* ECDHE-ECDSA-CHACHA20-POLY1305 */
	{ 0xcca8, KX_ECDHE, 0x0303 },      /* ECDHE-RSA-CHACHA20-POLY1305 */
	{ 0xccaa, KX_DHE, 0x0303 },        /* DHE-RSA-CHACHA20-POLY1305 */
	{ 0xc0af, KX_ECDHE, 0x0303 },      /* ECDHE-ECDSA-AES256-CCM8 */
	{ 0xc0ad, KX_ECDHE, 0x0303 },      /* ECDHE-ECDSA-AES256-CCM */
	{ 0xc0a3, KX_DHE, 0x0303 },        /* DHE-RSA-AES256-CCM8 */
	{ 0xc09f, KX_DHE, 0x0303 },        /* DHE-RSA-AES256-CCM */
	{ 0xc05d, KX_ECDHE, 0x0303 },      /* ECDHE-ECDSA-ARIA256-GCM-SHA384 */
	{ 0xc061, KX_ECDHE, 0x0303 },      /* ECDHE-ARIA256-GCM-SHA384 */
	{ 0xc057, KX_DHE, 0x0303 },        /* DHE-DSS-ARIA256-GCM-SHA384 */
	{ 0xc053, KX_DHE, 0x0303 },        /* DHE-RSA-ARIA256-GCM-SHA384 */
	{ 0x00a7, KX_DHE, 0x0303 },        /* ADH-AES256-GCM-SHA384 */
	{ 0xc02b, KX_ECDHE, 0x0303 },      /* ECDHE-ECDSA-AES128-GCM-SHA256 */
	{ 0xc02f, KX_ECDHE, 0x0303 },      /* ECDHE-RSA-AES128-GCM-SHA256 */
	{ 0x00a2, KX_DHE, 0x0303 },        /* DHE-DSS-AES128-GCM-SHA256 */
	{ 0x009e, KX_DHE, 0x0303 },        /* DHE-RSA-AES128-GCM-SHA256 */
	{ 0xc0ae, KX_ECDHE, 0x0303 },      /* ECDHE-ECDSA-AES128-CCM8 */
	{ 0xc0ac, KX_ECDHE, 0x0303 },      /* ECDHE-ECDSA-AES128-CCM */
	{ 0xc0a2, KX_DHE, 0x0303 },        /* DHE-RSA-AES128-CCM8 */
	{ 0xc09e, KX_DHE, 0x0303 },        /* DHE-RSA-AES128-CCM */
	{ 0xc05c, KX_ECDHE, 0x0303 },      /* ECDHE-ECDSA-ARIA128-GCM-SHA256 */
	{ 0xc060, KX_ECDHE, 0x0303 },      /* ECDHE-ARIA128-GCM-SHA256 */
	{ 0xc056, KX_DHE, 0x0303 },        /* DHE-DSS-ARIA128-GCM-SHA256 */
	{ 0xc052, KX_DHE, 0x0303 },        /* DHE-RSA-ARIA128-GCM-SHA256 */
	{ 0x00a6, KX_DHE, 0x0303 },        /* ADH-AES128-GCM-SHA256 */
	{ 0xc024, KX_ECDHE, 0x0303 },      /* ECDHE-ECDSA-AES256-SHA384 */
	{ 0xc028, KX_ECDHE, 0x0303 },      /* ECDHE-RSA-AES256-SHA384 */
	{ 0x006b, KX_DHE, 0x0303 },        /* DHE-RSA-AES256-SHA256 */
	{ 0x006a, KX_DHE, 0x0303 },        /* DHE-DSS-AES256-SHA256 */
	{ 0xc073, KX_ECDHE, 0x0303 },      /* ECDHE-ECDSA-CAMELLIA256-SHA384 */
	{ 0xc077, KX_ECDHE, 0x0303 },      /* ECDHE-RSA-CAMELLIA256-SHA384 */
	{ 0x00c4, KX_DHE, 0x0303 },        /* DHE-RSA-CAMELLIA256-SHA256 */
	{ 0x00c3, KX_DHE, 0x0303 },        /* DHE-DSS-CAMELLIA256-SHA256 */
	{ 0x006d, KX_DHE, 0x0303 },        /* ADH-AES256-SHA256 */
	{ 0x00c5, KX_DHE, 0x0303 },        /* ADH-CAMELLIA256-SHA256 */
	{ 0xc023, KX_ECDHE, 0x0303 },      /* ECDHE-ECDSA-AES128-SHA256 */
	{ 0xc027, KX_ECDHE, 0x0303 },      /* ECDHE-RSA-AES128-SHA256 */
	{ 0x0067, KX_DHE, 0x0303 },        /* DHE-RSA-AES128-SHA256 */
	{ 0x0040, KX_DHE, 0x0303 },        /* DHE-DSS-AES128-SHA256 */
	{ 0xc072, KX_ECDHE, 0x0303 },      /* ECDHE-ECDSA-CAMELLIA128-SHA256 */
	{ 0xc076, KX_ECDHE, 0x0303 },      /* ECDHE-RSA-CAMELLIA128-SHA256 */
	{ 0x00be, KX_DHE, 0x0303 },        /* DHE-RSA-CAMELLIA128-SHA256 */
	{ 0x00bd, KX_DHE, 0x0303 },        /* DHE-DSS-CAMELLIA128-SHA256 */
	{ 0x006c, KX_DHE, 0x0303 },        /* ADH-AES128-SHA256 */
	{ 0x00bf, KX_DHE, 0x0303 },        /* ADH-CAMELLIA128-SHA256 */
	{ 0xc00a, KX_ECDHE, 0x0301 },      /* ECDHE-ECDSA-AES256-SHA */
	{ 0xc014, KX_ECDHE, 0x0301 },      /* ECDHE-RSA-AES256-SHA */
	{ 0x0039, KX_DHE, 0x0301 },        /* DHE-RSA-AES256-SHA */
	{ 0x0038, KX_DHE, 0x0301 },        /* DHE-DSS-AES256-SHA */
	{ 0x0088, KX_DHE, 0x0301 },        /* DHE-RSA-CAMELLIA256-SHA */
	{ 0x0087, KX_DHE, 0x0301 },        /* DHE-DSS-CAMELLIA256-SHA */
	{ 0xc019, KX_ECDHE, 0x0301 },      /* AECDH-AES256-SHA */
	{ 0x003a, KX_DHE, 0x0301 },        /* ADH-AES256-SHA */
	{ 0x0089, KX_DHE, 0x0301 },        /* ADH-CAMELLIA256-SHA */
	{ 0xc009, KX_ECDHE, 0x0301 },      /* ECDHE-ECDSA-AES128-SHA */
	{ 0xc013, KX_ECDHE, 0x0301 },      /* ECDHE-RSA-AES128-SHA */
	{ 0x0033, KX_DHE, 0x0301 },        /* DHE-RSA-AES128-SHA */
	{ 0x0032, KX_DHE, 0x0301 },        /* DHE-DSS-AES128-SHA */
	{ 0x0045, KX_DHE, 0x0301 },        /* DHE-RSA-CAMELLIA128-SHA */
	{ 0x0044, KX_DHE, 0x0301 },        /* DHE-DSS-CAMELLIA128-SHA */
	{ 0xc018, KX_ECDHE, 0x0301 },      /* AECDH-AES128-SHA */
	{ 0x0034, KX_DHE, 0x0301 },        /* ADH-AES128-SHA */
	{ 0x0046, KX_DHE, 0x0301 },        /* ADH-CAMELLIA128-SHA */
	{ 0x009d, KX_RSA, 0x0303 },        /* AES256-GCM-SHA384 */
	{ 0xc0a1, KX_RSA, 0x0303 },        /* AES256-CCM8 */
	{ 0xc09d, KX_RSA, 0x0303 },        /* AES256-CCM */
	{ 0xc051, KX_RSA, 0x0303 },        /* ARIA256-GCM-SHA384 */
	{ 0x009c, KX_RSA, 0x0303 },        /* AES128-GCM-SHA256 */
	{ 0xc0a0, KX_RSA, 0x0303 },        /* AES128-CCM8 */
	{ 0xc09c, KX_RSA, 0x0303 },        /* AES128-CCM */
	{ 0xc050, KX_RSA, 0x0303 },        /* ARIA128-GCM-SHA256 */
	{ 0x003d, KX_RSA, 0x0303 },        /* AES256-SHA256 */
	{ 0x00c0, KX_RSA, 0x0303 },        /* CAMELLIA256-SHA256 */
	{ 0x003c, KX_RSA, 0x0303 },        /* AES128-SHA256 */
	{ 0x00ba, KX_RSA, 0x0303 },        /* CAMELLIA128-SHA256 */
	{ 0x0035, KX_RSA, 0x0301 },        /* AES256-SHA */
	{ 0x0084, KX_RSA, 0x0301 },        /* CAMELLIA256-SHA */
	{ 0x002f, KX_RSA, 0x0301 },        /* AES128-SHA */
	{ 0x0041, KX_RSA, 0x0301 },        /* CAMELLIA128-SHA */
};
#define N_SUITES (sizeof(suites) / sizeof(suites[0]))
#define SCSV_RENEGOTIATION 0x00ff

/* Groups: x25519, secp256r1, x448, secp521r1, secp384r1, then ffdhe2048..8192 with TLS 1.3. */
static const uint16_t groups[] = { 0x001d, 0x0017, 0x001e, 0x0019, 0x0018,
                                   0x0100, 0x0101, 0x0102, 0x0103, 0x0104 };
#define N_EC_GROUPS 5

/* OpenSSL 3.0's default signature_algorithms list (23 schemes). */
static const uint16_t sigalgs[] = {
	0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805, 0x0806,
	0x0401, 0x0501, 0x0601, 0x0303, 0x0203, 0x0301, 0x0201, 0x0302, 0x0202, 0x0402, 0x0502,
	0x0602,
};

static const unsigned char alpn_list[] = "\x02h2\x08http/1.1";

const struct tlsraw_suite *tlsraw_suite_find(uint16_t id)
{
	for (size_t i = 0; i < N_SUITES; i++)
		if (suites[i].id == id)
			return &suites[i];
	return NULL;
}

/* Bounded writer: every write checks room; `bad` sticks once the buffer would overflow. */
struct wr {
	unsigned char *p;
	size_t n, cap;
	int bad;
};

static void wr_bytes(struct wr *w, const void *src, size_t len)
{
	if (w->bad || w->cap - w->n < len) {
		w->bad = 1;
		return;
	}
	memcpy(w->p + w->n, src, len);
	w->n += len;
}

static void wr_uint(struct wr *w, size_t v, int width)
{
	unsigned char b[3];

	for (int i = 0; i < width; i++)
		b[i] = (unsigned char)(v >> (8 * (width - 1 - i)));
	wr_bytes(w, b, (size_t)width);
}

/* Opens a vector with a `width`-byte length prefix; returns where the prefix sits. */
static size_t wr_open(struct wr *w, int width)
{
	size_t at = w->n;

	wr_uint(w, 0, width);
	return at;
}

/* Closes the vector opened at `at`: writes its length into the prefix. */
static void wr_close(struct wr *w, size_t at, int width)
{
	size_t len;

	if (w->bad)
		return;
	len = w->n - at - (size_t)width;
	if (len >> (8 * width)) {
		w->bad = 1;
		return;
	}
	for (int i = 0; i < width; i++)
		w->p[at + (size_t)i] = (unsigned char)(len >> (8 * (width - 1 - i)));
}

static void put_suites(struct wr *w, int max_version)
{
	size_t at = wr_open(w, 2);

	for (size_t i = 0; i < N_SUITES; i++)
		if (suites[i].min_version <= max_version)
			wr_uint(w, suites[i].id, 2);
	wr_uint(w, SCSV_RENEGOTIATION, 2);
	wr_close(w, at, 2);
}

static void put_ext_start(struct wr *w, unsigned type, size_t *at)
{
	wr_uint(w, type, 2);
	*at = wr_open(w, 2);
}

static void put_extensions(struct wr *w, const struct tlsraw *t)
{
	int tls13 = t->max_version >= 0x0304;
	size_t all = wr_open(w, 2), at, in, in2;

	if (t->sni[0] != '\0') {
		put_ext_start(w, EXT_SERVER_NAME, &at);
		in = wr_open(w, 2);
		wr_uint(w, 0, 1);  /* host_name */
		in2 = wr_open(w, 2);
		wr_bytes(w, t->sni, strlen(t->sni));
		wr_close(w, in2, 2);
		wr_close(w, in, 2);
		wr_close(w, at, 2);
	}
	put_ext_start(w, EXT_EC_POINT_FORMATS, &at);
	wr_bytes(w, "\x03\x00\x01\x02", 4);  /* uncompressed, ansiX962_compressed_prime, _char2 */
	wr_close(w, at, 2);

	put_ext_start(w, EXT_SUPPORTED_GROUPS, &at);
	in = wr_open(w, 2);
	for (size_t i = 0; i < (tls13 ? sizeof(groups) / sizeof(groups[0]) : N_EC_GROUPS); i++)
		wr_uint(w, groups[i], 2);
	wr_close(w, in, 2);
	wr_close(w, at, 2);

	put_ext_start(w, EXT_SESSION_TICKET, &at);
	wr_close(w, at, 2);

	put_ext_start(w, EXT_STATUS_REQUEST, &at);
	wr_bytes(w, "\x01\x00\x00\x00\x00", 5);  /* ocsp, no responder ids, no extensions */
	wr_close(w, at, 2);

	if (t->alpn) {
		put_ext_start(w, EXT_ALPN, &at);
		in = wr_open(w, 2);
		wr_bytes(w, alpn_list, sizeof(alpn_list) - 1);
		wr_close(w, in, 2);
		wr_close(w, at, 2);
	}
	put_ext_start(w, EXT_ENCRYPT_THEN_MAC, &at);
	wr_close(w, at, 2);
	put_ext_start(w, EXT_EMS, &at);
	wr_close(w, at, 2);

	if (t->max_version >= 0x0303) {
		put_ext_start(w, EXT_SIGNATURE_ALGORITHMS, &at);
		in = wr_open(w, 2);
		for (size_t i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++)
			wr_uint(w, sigalgs[i], 2);
		wr_close(w, in, 2);
		wr_close(w, at, 2);
	}
	if (tls13) {
		put_ext_start(w, EXT_SUPPORTED_VERSIONS, &at);
		in = wr_open(w, 1);
		for (unsigned v = 0x0304; v >= 0x0301; v--)
			wr_uint(w, v, 2);
		wr_close(w, in, 1);
		wr_close(w, at, 2);

		put_ext_start(w, EXT_PSK_KEX_MODES, &at);
		wr_bytes(w, "\x01\x01", 2);  /* psk_dhe_ke */
		wr_close(w, at, 2);

		put_ext_start(w, EXT_KEY_SHARE, &at);
		in = wr_open(w, 2);
		wr_uint(w, GROUP_X25519, 2);
		in2 = wr_open(w, 2);
		wr_bytes(w, t->kx->pub, sizeof(t->kx->pub));
		wr_close(w, in2, 2);
		wr_close(w, in, 2);
		wr_close(w, at, 2);
	}
	wr_close(w, all, 2);
}

/*
 * Builds the ClientHello handshake message into t->hello. The random bytes (and t->kx when
 * TLS 1.3 is offered) must be in place. 0, or -1 if it does not fit (cannot happen with a
 * 255-byte SNI, checked anyway).
 */
int tlsraw_build_hello(struct tlsraw *t)
{
	struct wr w = { .p = t->hello, .cap = sizeof(t->hello) };
	size_t body;

	if (t->max_version >= 0x0304 && t->kx == NULL)
		return -1;
	wr_uint(&w, HS_CLIENT_HELLO, 1);
	body = wr_open(&w, 3);
	wr_uint(&w, t->max_version >= 0x0303 ? 0x0303 : (size_t)t->max_version, 2);
	wr_bytes(&w, t->random, sizeof(t->random));
	wr_uint(&w, t->sid_len, 1);
	wr_bytes(&w, t->sid, t->sid_len);
	put_suites(&w, t->max_version);
	wr_bytes(&w, "\x01\x00", 2);  /* compression: null */
	put_extensions(&w, t);
	wr_close(&w, body, 3);
	if (w.bad)
		return -1;
	t->hello_len = w.n;
	return 0;
}
