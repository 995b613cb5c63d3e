/*
 * tlsp.h: a passive TLS observer for one TCP connection (passive/tlsp.c): fed the two byte
 * streams (as reassembled, each in order), it follows the handshake in clear and records what
 * a certificate inventory needs:
 *   - ClientHello: legacy version, SNI (server_name host_name), cipher suites, extensions,
 *     supported groups, EC point formats -> the JA3 string and its MD5 (GREASE values, RFC
 *     8701, left out; lists joined with '-', fields with ','; see https://github.com/salesforce/ja3);
 *   - ServerHello: the negotiated version (supported_versions when present, so TLS 1.3 shows
 *     as 0x0304), cipher suite, extensions -> JA3S ("version,cipher,extensions") and its MD5;
 *   - TLS <= 1.2 Certificate messages from the server and from the client (a client
 *     certificate follows a CertificateRequest), each certificate as DER;
 *   - STARTTLS: a stream that starts in clear (SMTP, IMAP, POP3, FTP, XMPP) switches to TLS
 *     parsing where a TLS handshake record begins right after a line end ('\n') or, for XMPP,
 *     after '>'; the protocol is named from the client's command (STARTTLS with an EHLO/HELO
 *     before it: smtp; "<tag> STARTTLS": imap; STLS: pop3; AUTH TLS / AUTH SSL: ftp;
 *     <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>: xmpp). At most 8 KiB of clear text
 *     per direction is examined; a stream that is neither TLS nor STARTTLS within it is
 *     NOT_TLS.
 * Parsing stops at ChangeCipherSpec, at the first record of another content type after the
 * handshake, or (TLS 1.3) after the ServerHello: what follows is encrypted.
 *
 * Records are parsed as they arrive (split across segments, several per segment), handshake
 * messages reassembled across records up to TLSP_MAX_MESSAGE bytes; a longer message, a record
 * longer than 2^14 + 2048, or a malformed structure ends that direction with TLSP_ERROR and
 * keeps what was already found. Memory per connection is bounded by two message buffers.
 */
#ifndef CS_PASSIVE_TLSP_H
#define CS_PASSIVE_TLSP_H

#include <stddef.h>
#include <stdint.h>

#include "core/observation.h"

#define TLSP_MAX_MESSAGE (256 * 1024)
#define TLSP_MAX_JA3 2048

enum tlsp_state {
	TLSP_MORE = 0,      /* keep feeding */
	TLSP_DONE,          /* this direction is past its clear-text handshake */
	TLSP_NOT_TLS,       /* this direction is not TLS (nor STARTTLS) */
	TLSP_ERROR          /* malformed or over a limit: stopped; results so far are kept */
};

struct tlsp_result {
	int client_hello, server_hello;     /* seen */
	uint16_t client_version;            /* ClientHello legacy_version */
	uint16_t version;                   /* negotiated (supported_versions honoured) */
	uint16_t cipher;                    /* negotiated suite */
	char sni[256];                      /* "" when none; as sent, bytes checked printable */
	char ja3[TLSP_MAX_JA3], ja3_md5[33];/* "" when no ClientHello */
	char ja3s[TLSP_MAX_JA3], ja3s_md5[33];
	char starttls[16];                  /* "smtp", "imap", "pop3", "ftp", "xmpp", or "" */
	struct der_blob server_chain[OBS_MAX_CHAIN]; /* owned by the tlsp */
	size_t n_server_chain;
	struct der_blob client_chain[OBS_MAX_CHAIN];
	size_t n_client_chain;
	int chain_truncated;                /* more than OBS_MAX_CHAIN certificates were sent */
	char error[160];                    /* why a direction stopped with TLSP_ERROR, "" none */
};

struct tlsp;

/* NULL when memory runs out. */
struct tlsp *tlsp_new(void);
/* Feeds n in-order bytes of direction dir (0 client to server, 1 server to client). Returns
 * that direction's state after them; bytes fed after a final state are ignored. */
enum tlsp_state tlsp_feed(struct tlsp *t, int dir, const unsigned char *p, size_t n);
enum tlsp_state tlsp_state(const struct tlsp *t, int dir);
/* 1 once nothing more can be learned from either direction (both final). */
int tlsp_finished(const struct tlsp *t);
/* Valid until tlsp_free. */
const struct tlsp_result *tlsp_result(const struct tlsp *t);
void tlsp_free(struct tlsp *t);

#endif
