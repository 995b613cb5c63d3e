/*
 * tlsp.h: a passive TLS observer for one TCP connection (passive/tlsp*.c): fed the two byte
 * streams (as reassembled, each in order), it follows the handshake in clear and records what
 * a certificate inventory needs:
 *   - ClientHello (the first one; a second, after a HelloRetryRequest, is skipped): legacy
 *     version, SNI (server_name host_name), cipher suites, extensions, supported groups, EC
 *     point formats -> the JA3 string and its MD5, exactly as https://github.com/salesforce/ja3
 *     (python/ja3.py) computes it: "SSLVersion,Ciphers,Extensions,EllipticCurves,
 *     EllipticCurvePointFormats" in decimal, lists joined with '-', SSLVersion the
 *     legacy_version (771 for TLS 1.3 too), GREASE values (RFC 8701) left out of the suites,
 *     extension types and groups, every other extension kept (padding too); a repeated
 *     extension: its last copy gives the groups / point formats;
 *   - ServerHello: the negotiated version (supported_versions when present, so TLS 1.3 shows
 *     as 0x0304), cipher suite, extensions -> JA3S ("SSLVersion,Cipher,Extensions", legacy
 *     version, every extension type, as python/ja3s.py) and its MD5. A HelloRetryRequest is
 *     recorded, and the ServerHello after it overwrites it;
 *   - TLS <= 1.2 Certificate messages from the server and from the client (a client
 *     certificate follows a CertificateRequest), each certificate as DER;
 *   - STARTTLS: a stream that starts in clear (SMTP, IMAP, POP3, FTP, XMPP) switches to TLS
 *     parsing where a TLS handshake record (first byte 22) begins right after a line end
 *     ('\n') or an XML tag end ('>', for XMPP); the protocol is named from the client's command
 *     when the client's first TLS record arrives (STARTTLS with an EHLO/HELO before it: smtp;
 *     "<tag> STARTTLS": imap; STLS: pop3; AUTH TLS / AUTH SSL: ftp; <starttls
 *     xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>: xmpp; other commands, e.g. NNTP's bare
 *     STARTTLS: ""). At most 8 KiB of clear text per direction is examined; a stream that is
 *     neither TLS nor STARTTLS within it, or that has a byte that is not text (control bytes
 *     other than tab, CR, LF) before its TLS, is NOT_TLS.
 * A stream whose first byte is neither a record content type (20..24) nor ASCII text is NOT_TLS:
 * that includes an SSLv2-compatible ClientHello (top bit set), which is recognised no further.
 * A stream whose first record header is not TLS (version 3.x, x <= 4) is NOT_TLS too.
 *
 * Parsing stops (DONE) at ChangeCipherSpec (but the one a server may send after a
 * HelloRetryRequest), at an application_data or heartbeat record, at an alert (warnings other
 * than close_notify are skipped, at most 4), at the server's ServerHelloDone or the client's
 * ClientKeyExchange (nothing later is read), or with TLS 1.3 after the ServerHello (server) and
 * after the ClientHello (client, once the server's 1.3 ServerHello was seen, whichever
 * direction was fed first): what follows is encrypted.
 *
 * Records are parsed as they arrive (split across segments, several per segment), handshake
 * messages reassembled across records up to TLSP_MAX_MESSAGE bytes; a longer message, a record
 * longer than 2^14 + 2048, an empty handshake/alert/CCS record, more than 1 MiB of handshake
 * data or 64 messages in a direction, a message out of place for its direction (dir 0 must
 * start with a ClientHello, dir 1 with a ServerHello), or a malformed structure ends that
 * direction with TLSP_ERROR and keeps what was already found. Memory per connection is bounded
 * by two message buffers (kept only for the messages parsed, freed when a direction ends) and
 * the copied certificates.
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
	char sni[256];                      /* "" when none; as sent, kept only when all bytes are
	                                     * printable ASCII without spaces (0x21..0x7e) */
	char ja3[TLSP_MAX_JA3], ja3_md5[33];/* "" when no ClientHello; a string longer than the
	                                     * field is cut and ends in "...", the MD5 is always of
	                                     * the whole; the MD5 is "" when OpenSSL has no MD5 */
	char ja3s[TLSP_MAX_JA3], ja3s_md5[33];
	char starttls[16];                  /* "smtp", "imap", "pop3", "ftp", "xmpp", or "" */
	struct der_blob server_chain[OBS_MAX_CHAIN]; /* owned by the tlsp */
	size_t n_server_chain;
	struct der_blob client_chain[OBS_MAX_CHAIN];
	size_t n_client_chain;
	int chain_truncated;                /* more than OBS_MAX_CHAIN certificates were sent, or
	                                     * one over OBS_MAX_CERT_DER (the chain stops there) */
	char error[160];                    /* why a direction stopped with TLSP_ERROR, "" none; the
	                                     * first such, "client: ..." or "server: ..." */
};

struct tlsp;

/* NULL when memory runs out. */
struct tlsp *tlsp_new(void);
/* Feeds n in-order bytes of direction dir (0 client to server, 1 server to client). Returns
 * that direction's state after them; bytes fed after a final state are ignored. Feeding one
 * direction may end the other (TLS 1.3: the client's rest is encrypted). A dir other than 0
 * or 1 returns TLSP_ERROR and changes nothing. */
enum tlsp_state tlsp_feed(struct tlsp *t, int dir, const unsigned char *p, size_t n);
/* TLSP_ERROR for a dir other than 0 or 1. */
enum tlsp_state tlsp_state(const struct tlsp *t, int dir);
/* 1 once nothing more can be learned from either direction (both final). */
int tlsp_finished(const struct tlsp *t);
/* Valid until tlsp_free. */
const struct tlsp_result *tlsp_result(const struct tlsp *t);
void tlsp_free(struct tlsp *t);

#endif
