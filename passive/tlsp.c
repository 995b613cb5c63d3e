/*
 * tlsp.c: the passive TLS observer's lifetime, its per-direction phases, the record layer and
 * handshake message reassembly (see tlsp.h for the contract, tlsp_int.h for how the files
 * divide the work).
 *
 * Phases of a direction:
 *   PH_START    the first byte decides: a record content type (20..24) -> PH_RECORDS; ASCII
 *               text -> PH_CLEAR; anything else (an SSLv2-compatible ClientHello, binary):
 *               NOT_TLS
 *   PH_CLEAR    tlsp_starttls.c, until a handshake record starts after a '\n' or '>'
 *   PH_RECORDS  records, streamed: nothing is buffered but the 5-byte header, a 2-byte alert and
 *               the body of a message we parse (ClientHello, ServerHello, Certificate); others
 *               are counted through without being stored
 *   PH_END      a final state; later bytes are ignored
 *
 * Record layer: a header must have type 20..24, version 3.0..3.4 and a length of at most
 * TLSP_MAX_RECORD (the first header of a direction failing that: NOT_TLS, a later one: ERROR).
 * application_data and heartbeat end the direction (DONE: what follows is encrypted), as does
 * change_cipher_spec, but for the one a server may send after a HelloRetryRequest; an alert ends
 * it unless it is a warning other than close_notify (at most TLSP_MAX_WARNINGS are skipped).
 * Empty handshake, alert or CCS records are malformed (RFC 8446 section 5.1).
 *
 * Reassembly: handshake bytes of consecutive records form messages (4-byte header + body), one
 * message over many records or many per record; each goes to tlsp_message() when complete. A
 * body is held to TLSP_MAX_MESSAGE, a direction to TLSP_MAX_HANDSHAKE bytes and
 * TLSP_MAX_MESSAGES messages, so the endless and the huge end in ERROR.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passive/tlsp_int.h"

struct tlsp *tlsp_new(void)
{
	return calloc(1, sizeof(struct tlsp));
}

void tlsp_free(struct tlsp *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->res.n_server_chain; i++)
		free(t->res.server_chain[i].der);
	for (size_t i = 0; i < t->res.n_client_chain; i++)
		free(t->res.client_chain[i].der);
	free(t->dir[0].msg);
	free(t->dir[1].msg);
	free(t);
}

const struct tlsp_result *tlsp_result(const struct tlsp *t)
{
	return &t->res;
}

enum tlsp_state tlsp_state(const struct tlsp *t, int dir)
{
	if (dir != 0 && dir != 1)
		return TLSP_ERROR;
	return t->dir[dir].state;
}

int tlsp_finished(const struct tlsp *t)
{
	return t->dir[0].state != TLSP_MORE && t->dir[1].state != TLSP_MORE;
}

void tlsp_end(struct tlsp *t, int dir, enum tlsp_state st)
{
	struct tlsp_dir *d = &t->dir[dir];

	d->state = st;
	d->phase = PH_END;
	free(d->msg);
	d->msg = NULL;
	d->msg_cap = 0;
}

enum tlsp_state tlsp_fail(struct tlsp *t, int dir, const char *fmt, ...)
{
	va_list ap;

	if (t->res.error[0] == '\0') {
		const char *who = dir == 0 ? "client" : "server";
		int k = snprintf(t->res.error, sizeof(t->res.error), "%s: ", who);

		va_start(ap, fmt);
		vsnprintf(t->res.error + k, sizeof(t->res.error) - (size_t)k, fmt, ap);
		va_end(ap);
	}
	tlsp_end(t, dir, TLSP_ERROR);
	return TLSP_ERROR;
}

/* Grows d->msg to hold at least need bytes (need <= TLSP_MAX_MESSAGE): doubling from 4 KiB, so
 * memory follows the bytes that arrived, not the length a header claims. 0 or -1. */
static int msg_reserve(struct tlsp_dir *d, size_t need)
{
	size_t cap = d->msg_cap ? d->msg_cap : 4096;
	unsigned char *p;

	if (need <= d->msg_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > TLSP_MAX_MESSAGE)
		cap = TLSP_MAX_MESSAGE;
	p = realloc(d->msg, cap);
	if (p == NULL)
		return -1;
	d->msg = p;
	d->msg_cap = cap;
	return 0;
}

static void message_done(struct tlsp *t, int dir)
{
	static const unsigned char empty[1];
	struct tlsp_dir *d = &t->dir[dir];
	const unsigned char *body = NULL;

	if (d->keep)
		body = d->msg != NULL ? d->msg : empty;
	d->mh_len = 0;
	tlsp_message(t, dir, d->mh[0], body, d->body_len);
}

/* The 4-byte header of a message is complete: checks its length and decides to keep the body. */
static void message_start(struct tlsp *t, int dir)
{
	struct tlsp_dir *d = &t->dir[dir];

	d->body_len = (size_t)d->mh[1] << 16 | (size_t)d->mh[2] << 8 | d->mh[3];
	d->body_got = 0;
	if (d->body_len > TLSP_MAX_MESSAGE) {
		tlsp_fail(t, dir, "handshake message of %zu bytes", d->body_len);
		return;
	}
	if (++d->messages > TLSP_MAX_MESSAGES) {
		tlsp_fail(t, dir, "more than %d handshake messages", TLSP_MAX_MESSAGES);
		return;
	}
	d->keep = tlsp_msg_wanted(t, dir, d->mh[0]);
	if (d->body_len == 0)
		message_done(t, dir);
}

/* Handshake bytes of one record (k > 0). */
static void handshake(struct tlsp *t, int dir, const unsigned char *p, size_t k)
{
	struct tlsp_dir *d = &t->dir[dir];

	if (k > TLSP_MAX_HANDSHAKE - d->hs_total) {
		tlsp_fail(t, dir, "more than %d bytes of handshake", TLSP_MAX_HANDSHAKE);
		return;
	}
	d->hs_total += k;
	while (k > 0 && d->state == TLSP_MORE) {
		size_t take;

		if (d->mh_len < 4) {
			take = 4 - d->mh_len < k ? 4 - d->mh_len : k;
			memcpy(d->mh + d->mh_len, p, take);
			d->mh_len += take;
			p += take;
			k -= take;
			if (d->mh_len == 4)
				message_start(t, dir);
			continue;
		}
		take = d->body_len - d->body_got < k ? d->body_len - d->body_got : k;
		if (d->keep) {
			if (msg_reserve(d, d->body_got + take) != 0) {
				tlsp_fail(t, dir, "out of memory");
				return;
			}
			memcpy(d->msg + d->body_got, p, take);
		}
		d->body_got += take;
		p += take;
		k -= take;
		if (d->body_got == d->body_len)
			message_done(t, dir);
	}
}

/* Both alert bytes are in. */
static void alert(struct tlsp *t, int dir)
{
	struct tlsp_dir *d = &t->dir[dir];

	d->alert_len = 0;
	if (d->alert[0] == 1 && d->alert[1] != 0) {
		if (++d->warnings > TLSP_MAX_WARNINGS)
			tlsp_fail(t, dir, "more than %d warning alerts", TLSP_MAX_WARNINGS);
		return;
	}
	tlsp_end(t, dir, TLSP_DONE);  /* fatal, or close_notify: the handshake is over */
}

/* A complete record header in d->rh. */
static void record_header(struct tlsp *t, int dir)
{
	struct tlsp_dir *d = &t->dir[dir];
	const unsigned char *h = d->rh;
	size_t len = (size_t)h[3] << 8 | h[4];

	d->rh_len = 0;
	if (h[0] < CT_CCS || h[0] > CT_HEARTBEAT || h[1] != 3 || h[2] > 4) {
		if (d->records == 0)
			tlsp_end(t, dir, TLSP_NOT_TLS);
		else
			tlsp_fail(t, dir, "malformed record header %02x %02x %02x", h[0], h[1],
			          h[2]);
		return;
	}
	if (len > TLSP_MAX_RECORD) {
		tlsp_fail(t, dir, "record of %zu bytes", len);
		return;
	}
	if (d->records++ == 0 && dir == 0 && d->clear.proto != NULL)
		snprintf(t->res.starttls, sizeof(t->res.starttls), "%s", d->clear.proto);
	switch (h[0]) {
	case CT_APPDATA:
	case CT_HEARTBEAT:
		tlsp_end(t, dir, TLSP_DONE);
		return;
	case CT_CCS:
		if (len != 1) {
			tlsp_fail(t, dir, "malformed ChangeCipherSpec");
			return;
		}
		if (!d->ccs_ok) {
			tlsp_end(t, dir, TLSP_DONE);
			return;
		}
		d->ccs_ok = 0;  /* the compatibility CCS after a HelloRetryRequest: skipped once */
		break;
	case CT_ALERT:
		if (len != 2) {
			tlsp_fail(t, dir, "malformed alert record");
			return;
		}
		break;
	default:
		if (len == 0) {
			tlsp_fail(t, dir, "empty handshake record");
			return;
		}
		break;
	}
	d->rec_type = h[0];
	d->rec_left = len;
}

/* Record layer: consumes at least one byte of p[0..n) (n > 0); returns how many. */
static size_t records(struct tlsp *t, int dir, const unsigned char *p, size_t n)
{
	struct tlsp_dir *d = &t->dir[dir];
	size_t k;

	if (d->rec_left == 0) {
		k = 5 - d->rh_len < n ? 5 - d->rh_len : n;
		memcpy(d->rh + d->rh_len, p, k);
		d->rh_len += k;
		if (d->rh_len == 5)
			record_header(t, dir);
		return k;
	}
	k = d->rec_left < n ? d->rec_left : n;
	d->rec_left -= k;
	switch (d->rec_type) {
	case CT_HANDSHAKE:
		handshake(t, dir, p, k);
		break;
	case CT_ALERT:
		/* k <= 2 - alert_len: the record is 2 bytes */
		memcpy(d->alert + d->alert_len, p, k);
		d->alert_len += k;
		if (d->alert_len == 2)
			alert(t, dir);
		break;
	default:  /* the skipped ChangeCipherSpec byte */
		break;
	}
	return k;
}

/* The first byte of a direction chooses its phase. */
static void start(struct tlsp *t, int dir, unsigned c)
{
	struct tlsp_dir *d = &t->dir[dir];

	if (c >= CT_CCS && c <= CT_HEARTBEAT)
		d->phase = PH_RECORDS;
	else if ((c >= 0x20 && c < 0x7f) || c == '\t' || c == '\r' || c == '\n')
		d->phase = PH_CLEAR;
	else
		tlsp_end(t, dir, TLSP_NOT_TLS);
}

/* The client's rest is encrypted once it sent its ClientHello and the server chose TLS 1.3,
 * whichever direction was fed first. */
static void settle(struct tlsp *t)
{
	if (t->tls13 && t->dir[0].hello && t->dir[0].state == TLSP_MORE)
		tlsp_end(t, 0, TLSP_DONE);
}

enum tlsp_state tlsp_feed(struct tlsp *t, int dir, const unsigned char *p, size_t n)
{
	struct tlsp_dir *d;

	if (dir != 0 && dir != 1)
		return TLSP_ERROR;
	d = &t->dir[dir];
	while (n > 0 && d->state == TLSP_MORE) {
		size_t used = 0;

		switch (d->phase) {
		case PH_START:
			start(t, dir, p[0]);
			break;
		case PH_CLEAR:
			used = tlsp_clear_feed(t, dir, p, n);
			break;
		default:
			used = records(t, dir, p, n);
			break;
		}
		p += used;
		n -= used;
	}
	settle(t);
	return d->state;
}
