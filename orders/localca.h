/*
 * localca.h: a local certificate authority (OpenSSL) for internal PKI and for tests (issue 4,
 * "Issuance": Local CA). localca_sign() signs an order's CSR with a CA certificate and key
 * read from PEM files:
 *   - the CSR's signature is verified first (a CSR that does not prove its key is refused);
 *   - the CA key must be the CA certificate's key, and the CA certificate a CA (basicConstraints
 *     CA:TRUE when the extension is present);
 *   - version 3, a random 16-byte serial (positive, non-zero), issuer the CA's subject, subject
 *     the CSR's, notBefore now, notAfter now + days;
 *   - extensions: basicConstraints CA:FALSE (critical), keyUsage digitalSignature (plus
 *     keyEncipherment for an RSA key; critical), extendedKeyUsage serverAuth, the CSR's
 *     subjectAltName copied as requested (refused when the CSR has none), subject and authority
 *     key identifiers;
 *   - signed with SHA-256 (no digest for Ed25519/Ed448 CA keys).
 * Result: *chain_pem (malloc'd, caller frees): the new leaf then the CA certificate, PEM. The
 * caller still checks it against the order (acme_check_chain) before storing anything.
 * Files are bounded (LOCALCA_MAX_FILE) and treated as hostile. Library code: no printing; errors
 * in err. OpenSSL's error queue is left empty.
 */
#ifndef CS_ORDERS_LOCALCA_H
#define CS_ORDERS_LOCALCA_H

#include <stddef.h>

#define LOCALCA_MAX_FILE (1024 * 1024)
#define LOCALCA_MAX_DAYS 3650

/* 0 with *chain_pem, or -1 with the reason in err. days in 1..LOCALCA_MAX_DAYS. */
int localca_sign(const unsigned char *csr_der, size_t csr_der_len, const char *ca_cert_path,
                 const char *ca_key_path, int days, char **chain_pem, char *err, size_t errlen);

#endif
