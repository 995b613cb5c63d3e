/*
 * tls_profiles.h: hand-built TLS profiles and certificate analyses for the configuration-check
 * and grade tests (test_config_checks.c, test_grade.c). Header-only, static helpers.
 *
 * The reference server is "modern": TLS 1.2 (ECDHE-ECDSA AES-GCM and ChaCha20, server order) and
 * TLS 1.3, X25519/P-256/P-384, secure renegotiation, no compression, OCSP stapling, tickets and
 * session IDs, HSTS for one year, an ECDSA P-256 certificate with embedded SCTs that verifies and
 * matches the name. Each test starts from it and changes the one thing under test.
 */
#ifndef CS_TESTS_TLS_PROFILES_H
#define CS_TESTS_TLS_PROFILES_H

#include <stdint.h>
#include <string.h>

#include "analyzer/analyzer.h"
#include "core/profile.h"

/* IANA ids used by the tests (OpenSSL names in comments). */
#define S_TLS13_AES128 0x1301      /* TLS_AES_128_GCM_SHA256 */
#define S_TLS13_AES256 0x1302      /* TLS_AES_256_GCM_SHA384 */
#define S_TLS13_CHACHA 0x1303      /* TLS_CHACHA20_POLY1305_SHA256 */
#define S_ECDSA_AES128_GCM 0xc02b  /* ECDHE-ECDSA-AES128-GCM-SHA256 */
#define S_ECDSA_AES256_GCM 0xc02c  /* ECDHE-ECDSA-AES256-GCM-SHA384 */
#define S_ECDSA_CHACHA 0xcca9      /* ECDHE-ECDSA-CHACHA20-POLY1305 */
#define S_ECDHE_AES128_GCM 0xc02f  /* ECDHE-RSA-AES128-GCM-SHA256 */
#define S_ECDHE_AES256_GCM 0xc030  /* ECDHE-RSA-AES256-GCM-SHA384 */
#define S_ECDHE_AES128_CBC 0xc013  /* ECDHE-RSA-AES128-SHA */
#define S_ECDHE_AES256_CBC 0xc014  /* ECDHE-RSA-AES256-SHA */
#define S_ECDHE_3DES 0xc012        /* ECDHE-RSA-DES-CBC3-SHA */
#define S_DHE_AES128_GCM 0x009e    /* DHE-RSA-AES128-GCM-SHA256 */
#define S_DHE_AES128_CBC 0x0033    /* DHE-RSA-AES128-SHA */
#define S_RSA_AES128_GCM 0x009c    /* AES128-GCM-SHA256 */
#define S_RSA_AES256_GCM 0x009d    /* AES256-GCM-SHA384 */
#define S_RSA_AES128_CBC 0x002f    /* AES128-SHA */
#define S_RSA_AES256_CBC 0x0035    /* AES256-SHA */
#define S_RSA_3DES 0x000a          /* DES-CBC3-SHA */
#define S_RSA_DES 0x0009           /* DES-CBC-SHA */
#define S_RSA_RC4_SHA 0x0005       /* RC4-SHA */
#define S_RSA_RC4_MD5 0x0004       /* RC4-MD5 */
#define S_EXP_RC4_MD5 0x0003       /* EXP-RC4-MD5 */
#define S_EXP_EDH_DES 0x0014       /* EXP-EDH-RSA-DES-CBC-SHA */
#define S_RSA_NULL_SHA 0x0002      /* NULL-SHA */
#define S_ADH_AES128 0x0034        /* ADH-AES128-SHA */
#define S_EMPTY_RENEG_SCSV 0x00ff  /* TLS_EMPTY_RENEGOTIATION_INFO_SCSV */

#define K2_RC4_128 0x010080        /* SSLv2 RC4-MD5 */
#define K2_EXP_RC4 0x020080        /* SSLv2 EXP-RC4-MD5 */
#define K2_3DES 0x0700c0           /* SSLv2 DES-CBC3-MD5 */

#define G_X25519 0x001d
#define G_P256 0x0017
#define G_P384 0x0018
#define G_P192 0x0013
#define G_EXPLICIT 0xff01

#define ONE_YEAR 31536000L

/* Sets protocol v's accepted suites (and marks v supported). */
static inline void set_suites(struct tls_profile *p, enum proto_version v, int server_order,
			      const uint16_t *ids, size_t n)
{
	p->supported[v] = 1;
	p->suites[v].server_order = server_order;
	p->suites[v].n = n;
	for (size_t i = 0; i < n && i < PROFILE_MAX_SUITES; i++)
		p->suites[v].ids[i] = ids[i];
}

#define SUITES(p, v, order, ...) \
	set_suites((p), (v), (order), (const uint16_t[]){ __VA_ARGS__ }, \
		   sizeof((const uint16_t[]){ __VA_ARGS__ }) / sizeof(uint16_t))

static inline void set_groups(struct tls_profile *p, const uint16_t *ids, size_t n)
{
	p->n_groups = n;
	for (size_t i = 0; i < n && i < PROFILE_MAX_GROUPS; i++)
		p->groups[i] = ids[i];
}

#define GROUPS(p, ...) \
	set_groups((p), (const uint16_t[]){ __VA_ARGS__ }, \
		   sizeof((const uint16_t[]){ __VA_ARGS__ }) / sizeof(uint16_t))

/* Protocol v is tested and refused. */
static inline void refuse(struct tls_profile *p, enum proto_version v)
{
	p->supported[v] = 0;
	p->suites[v].n = 0;
}

/* Only TLS 1.2 with these suites (all else refused); keeps groups and extensions. */
#define ONLY_TLS12(p, order, ...) do { \
	for (int v_ = 0; v_ < PV_COUNT; v_++) \
		refuse((p), (enum proto_version)v_); \
	SUITES((p), PV_TLS12, (order), __VA_ARGS__); \
} while (0)

static inline void modern_profile(struct tls_profile *p)
{
	profile_init(p);
	refuse(p, PV_SSL2);
	refuse(p, PV_SSL3);
	refuse(p, PV_TLS10);
	refuse(p, PV_TLS11);
	SUITES(p, PV_TLS12, 1, S_ECDSA_AES128_GCM, S_ECDSA_AES256_GCM, S_ECDSA_CHACHA);
	SUITES(p, PV_TLS13, 0, S_TLS13_AES128, S_TLS13_AES256, S_TLS13_CHACHA);
	GROUPS(p, G_X25519, G_P256, G_P384);
	p->groups_server_order = 1;
	p->dh_bits = 0;
	p->ecdh_bits = 255;
	p->secure_reneg = 1;
	p->client_reneg = 0;
	p->compression = 0;
	p->heartbeat = 0;
	p->heartbleed = 0;
	p->fallback_scsv = 1;
	p->session_ticket = 1;
	p->session_resumption = 1;
	p->ocsp_stapling = 1;
	p->sct_extension = 0;
	p->sct_ocsp = 0;
	p->ems = 1;
	p->etm = 0;
	strcpy(p->alpn, "h2,http/1.1");
	p->http_checked = 1;
	p->http_status = 200;
	p->hsts = 1;
	p->hsts_max_age = ONE_YEAR;
}

/* A certificate analysis of one leaf: the test owns both (no OpenSSL objects involved). */
struct test_cert {
	struct certinfo leaf;
	struct analysis an;
	struct finding findings[4];
};

static inline void modern_cert(struct test_cert *tc)
{
	memset(tc, 0, sizeof(*tc));
	tc->leaf.subject = (char *)(uintptr_t)"CN=www.example.test";
	tc->leaf.issuer = (char *)(uintptr_t)"CN=Test CA";
	tc->leaf.subject_cn = (char *)(uintptr_t)"www.example.test";
	strcpy(tc->leaf.key_type, "EC");
	tc->leaf.key_bits = 256;
	strcpy(tc->leaf.curve, "prime256v1");
	strcpy(tc->leaf.sig_alg, "ecdsa-with-SHA256");
	tc->leaf.has_sct = 1;
	tc->an.n_certs = 1;
	tc->an.certs[0] = &tc->leaf;
	tc->an.verified = 1;
	tc->an.hostname_checked = 1;
	tc->an.hostname_ok = 1;
	tc->an.preferred = 1;
	tc->an.days_left = 60;
	tc->an.findings = tc->findings;
}

/* Adds a certificate finding (as analyze() would have) to the analysis. */
static inline void cert_finding(struct test_cert *tc, const char *id, const char *message)
{
	struct finding *f = &tc->findings[tc->an.n_findings++];

	memset(f, 0, sizeof(*f));
	f->id = id;
	f->severity = SEV_HIGH;
	f->cert_pos = 0;
	strncpy(f->message, message, sizeof(f->message) - 1);
}

#endif
