/*
 * load.h: reading a certificate chain from a file, for offline analysis (`certsweep analyze
 * --file`). No network, no trust decisions: this only turns bytes into the observation's DER
 * chain, which analyze() then judges exactly as it judges a chain a server presented.
 *
 * Formats, detected by content (never by file name):
 *   pem     any number of CERTIFICATE (or X509 CERTIFICATE, TRUSTED CERTIFICATE) blocks, with any
 *           text around them; other blocks (keys, parameters, CSRs) are skipped; PKCS7 blocks
 *           contribute their certificates (a PEM file holding only PKCS7 blocks is "pkcs7")
 *   der     one DER certificate
 *   pkcs7   DER or PEM PKCS#7 SignedData, certificates only (.p7b, .p7c)
 *   pkcs12  .p12/.pfx; the MAC is tried with the empty password first, then with `password`
 *
 * Order. The observation receives the chain leaf first, then the leaf's issuer, that
 * certificate's issuer, and so on (X509_check_issued over the bundle), then any certificate that
 * is on no such path, in file order. The leaf is, for PKCS#12, the certificate matching the
 * private key; otherwise the certificate that issued no other certificate of the bundle (the
 * first such non-CA certificate when there are several, else the first such certificate, else
 * the first of the file).
 * Sorting means the analyzer sees the real leaf and never reports a PEM file's order problem in
 * terms of positions the file does not have. Instead the loader remembers where each certificate
 * was in the file (file_pos[]), and for PEM and DER, whose order is what a server sends as it is,
 * chain_order_finding() states a misordered file as one chain.order finding in the file's own
 * terms. PKCS#7 and PKCS#12 are containers whose order means nothing (a SET OF, or bags that the
 * importing server re-chains), so they are never reported as misordered.
 *
 * Bounds: files over CHAIN_LOAD_MAX_FILE bytes are refused unread, at most OBS_MAX_CHAIN
 * certificates per file, each at most OBS_MAX_CERT_DER bytes, PKCS#12 integrity checks of at most
 * 10,000,000 key-derivation iterations. Every input is hostile.
 *
 * OpenSSL's error queue is left as found. A PKCS#12 file protected with legacy algorithms
 * (RC2-40, the OpenSSL 1.x default) is read in a private library context with the legacy
 * provider, made the thread's default only for that call: no global state changes.
 */
#ifndef CS_ANALYZER_LOAD_H
#define CS_ANALYZER_LOAD_H

#include <stddef.h>

#include "analyzer/analyzer.h"
#include "core/observation.h"

#define CHAIN_LOAD_MAX_FILE (10 * 1024 * 1024)
/* Bytes of a password kept (a longer one is refused rather than cut). */
#define CHAIN_LOAD_MAX_PASSWORD 1024

enum chain_format { CHAIN_FMT_PEM = 0, CHAIN_FMT_DER, CHAIN_FMT_PKCS7, CHAIN_FMT_PKCS12 };

/* "pem", "der", "pkcs7", "pkcs12"; static storage. */
const char *chain_format_name(enum chain_format f);

struct chain_load_info {
	enum chain_format format;
	size_t n_certs;               /* certificates put into the observation */
	int file_pos[OBS_MAX_CHAIN];  /* file_pos[i]: where obs->chain[i] was in the file (0-based;
	                                 PKCS#12: the key's certificate is 0, then the others) */
	int order_reportable;         /* 1 for pem and der: the file's order is what a server sends */
	int has_key;                  /* PKCS#12: the file holds a private key */
	int key_matches;              /* PKCS#12 with a key: it matches the leaf (else none matched) */
};

/*
 * Loads the certificates of the file at path (or standard input for "-") into obs (which must
 * hold no certificate yet), in the order described above, and fills info (may be NULL).
 * password (may be NULL) is used for PKCS#12 only, after the empty password.
 * Returns 0, or -1 with a message in err: no such file, not a regular file, empty file, too
 * large, not a certificate file, corrupt PEM/DER/PKCS#7/PKCS#12, wrong or missing PKCS#12
 * password, too many certificates, out of memory. File errors name the path; on failure obs is
 * left with no certificate.
 */
int chain_load_file(const char *path, const char *password, struct observation *obs,
		    struct chain_load_info *info, char *err, size_t errlen);

/* The same over bytes in memory (the fuzz target's entry point). len above CHAIN_LOAD_MAX_FILE
 * is refused. */
int chain_load_mem(const unsigned char *buf, size_t len, const char *password,
		   struct observation *obs, struct chain_load_info *info, char *err, size_t errlen);

/*
 * For a pem/der file that is not in leaf -> issuer order, fills *f with a chain.order finding that
 * names the file's positions and returns 1; returns 0 when the file's order is right (or not
 * reportable). an must be the analysis of the observation the loader filled (certs[i] is
 * obs->chain[i]). Severity: medium when the leaf is not the file's first certificate (nginx and
 * Apache take the first certificate as the key's and refuse to start), else chain.order's own
 * (low). cert_pos is the position in the analysed (sorted) chain.
 */
int chain_order_finding(const struct chain_load_info *info, const struct analysis *an,
			struct finding *f);

#endif
