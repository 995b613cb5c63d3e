/*
 * tlsp_int.h: what the tlsp*.c files share; nothing outside them includes it.
 *
 *   tlsp.c           lifetime, the per-direction phases, the record layer, message reassembly
 *   tlsp_msg.c       which handshake message each direction may send; Certificate
 *   tlsp_hello.c     ClientHello and ServerHello: SNI, versions, cipher, JA3 and JA3S
 *   tlsp_starttls.c  the clear-text phase before STARTTLS
 *
 * Byte readers: a `struct rd` is a cursor over hostile bytes; every read checks the length and
 * returns -1 on a short input, leaving the cursor where it was (as in scanner/tlsraw_int.h).
 */
#ifndef CS_PASSIVE_TLSP_INT_H
#define CS_PASSIVE_TLSP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/rd.h"
#include "passive/tlsp.h"

#define TLSP_MAX_RECORD (16384 + 2048)   /* record payload, as RFC 5246 allows ciphertext */
#define TLSP_MAX_CLEAR 8192              /* clear-text bytes examined per direction */
#define TLSP_MAX_HANDSHAKE (1024 * 1024) /* handshake bytes per direction, all messages */
#define TLSP_MAX_MESSAGES 64             /* handshake messages per direction */
#define TLSP_MAX_WARNINGS 4              /* warning alerts skipped per direction */
#define TLSP_PIECE 256                   /* clear text kept to recognise one command */

/* Content types (RFC 8446 section 5.1). */
enum { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23, CT_HEARTBEAT = 24 };

/* Handshake message types. */
enum {
	HS_HELLO_REQUEST = 0, HS_CLIENT_HELLO = 1, HS_SERVER_HELLO = 2, HS_NEW_SESSION_TICKET = 4,
	HS_CERTIFICATE = 11, HS_SERVER_KEY_EXCHANGE = 12, HS_CERTIFICATE_REQUEST = 13,
	HS_SERVER_HELLO_DONE = 14, HS_CERTIFICATE_VERIFY = 15, HS_CLIENT_KEY_EXCHANGE = 16,
	HS_CERTIFICATE_STATUS = 22,
};

/* Where a direction is: deciding, clear text (STARTTLS), TLS records, stopped. */
enum tlsp_phase { PH_START = 0, PH_CLEAR, PH_RECORDS, PH_END };

/* The clear-text phase of one direction (tlsp_starttls.c). */
struct tlsp_clear {
	size_t seen;                  /* clear-text bytes examined, up to TLSP_MAX_CLEAR */
	int boundary;                 /* the last byte ended a line ('\n') or an XML tag ('>') */
	char piece[TLSP_PIECE];       /* the client's text since the last boundary */
	size_t piece_len;
	int piece_long;               /* it did not fit: not a command we know */
	int piece_line;               /* it began at the start of a line */
	int helo;                     /* the client sent EHLO or HELO */
	const char *proto;            /* static name of the last STARTTLS command seen, or NULL */
};

struct tlsp_dir {
	enum tlsp_state state;
	enum tlsp_phase phase;
	struct tlsp_clear clear;

	/* Record layer: the header being read, then the payload bytes still to come. */
	unsigned char rh[5];
	size_t rh_len;
	size_t rec_left;              /* payload bytes of the current record not yet seen */
	unsigned rec_type;
	int records;                  /* record headers accepted */
	unsigned char alert[2];
	size_t alert_len;
	int warnings;

	/* Handshake messages: the 4-byte header being read, then the body (kept or skipped). */
	unsigned char mh[4];
	size_t mh_len;
	size_t body_len;              /* length of the current message's body */
	size_t body_got;              /* body bytes seen so far */
	int keep;                     /* the body is copied into msg */
	unsigned char *msg;           /* owned; the body of a message we parse, NULL when none */
	size_t msg_cap;
	size_t hs_total;              /* handshake bytes seen, up to TLSP_MAX_HANDSHAKE */
	int messages;                 /* messages completed */
	int hello;                    /* this direction's hello was parsed */
	int certificate;              /* this direction's Certificate was parsed */
	int hrr;                      /* server: a HelloRetryRequest was seen */
	int ccs_ok;                   /* server: one ChangeCipherSpec may follow (after the HRR) */
};

struct tlsp {
	struct tlsp_dir dir[2];       /* 0 client to server, 1 server to client */
	int tls13;                    /* the server chose TLS 1.3: the client's rest is encrypted */
	struct tlsp_result res;       /* chains owned */
};

/* tlsp.c: ends direction dir with TLSP_ERROR; the first error is kept in res.error, prefixed
 * "client: " or "server: ". Returns TLSP_ERROR. */
enum tlsp_state tlsp_fail(struct tlsp *t, int dir, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* tlsp.c: ends direction dir with a final state (DONE or NOT_TLS) and frees its buffers. */
void tlsp_end(struct tlsp *t, int dir, enum tlsp_state st);

/* tlsp_starttls.c: examines clear text of direction dir; returns the bytes consumed. Switches
 * the direction to PH_RECORDS (the byte that starts the record is not consumed) or ends it
 * (NOT_TLS). */
size_t tlsp_clear_feed(struct tlsp *t, int dir, const unsigned char *p, size_t n);

/* tlsp_msg.c: 1 when direction dir wants the body of a message of this type (the others are
 * skipped without being stored). */
int tlsp_msg_wanted(const struct tlsp *t, int dir, unsigned type);
/* tlsp_msg.c: one complete handshake message of direction dir (body not NULL when wanted).
 * Returns the direction's state after it. */
enum tlsp_state tlsp_message(struct tlsp *t, int dir, unsigned type, const unsigned char *body,
                             size_t len);

/* tlsp_hello.c: parse a ClientHello / ServerHello body into t->res. 0, or -1 when malformed
 * (the reason written to why). For a ServerHello, *tls13 is set when it chose TLS 1.3 or later
 * (it carries supported_versions) and *hrr when it is a HelloRetryRequest. */
int tlsp_client_hello(struct tlsp_result *res, const unsigned char *body, size_t len, char *why,
                      size_t whylen);
int tlsp_server_hello(struct tlsp_result *res, const unsigned char *body, size_t len, int *tls13,
                      int *hrr, char *why, size_t whylen);

#endif
