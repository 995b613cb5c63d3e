/*
 * sniff.c: the passive pipeline of sniff.h: libpcap -> packet -> flows -> reasm -> tlsp.
 *
 * Speed comes from doing nothing for most bytes: once both directions of a connection are past
 * their clear-text handshake (or are not TLS), its segments are no longer reassembled or
 * parsed; the packet only refreshes the flow's clock and its FIN/RST state. Most bytes of a
 * capture are application data, and they cost one decode and one hash lookup each.
 */
#include "passive/sniff.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "core/suites.h"
#include "passive/packet.h"

/* Per followed connection (flow->user). */
struct fstate {
	struct tlsp *t;              /* owned */
	int roles_fixed;             /* the client side is known */
	int swapped;                 /* the flow table's client is in fact the server */
	int emitted;
	int final[2];                /* per tlsp direction: no more bytes wanted */
	int incomplete[2];           /* per tlsp direction: segments lost or cut short */
};

struct sniffer {
	pcap_t *p;                   /* owned */
	int dlt;
	int live;
	char source[200];            /* the file or interface, for messages */
	struct flow_table *ft;       /* owned; NULL after the final flush */
	struct flow_limits limits;
	struct sniff_stats st;
	sniff_emit emit;             /* the current run's callback */
	void *arg;
	int stop_rc;                 /* non-zero: an emit asked to stop */
	volatile sig_atomic_t brk;
	int64_t now, last_expire;
};

/* ---------------------------------------------------------------- observations */

static const char *version_text(uint16_t v)
{
	switch (v) {
	case 0x0002: return "SSLv2";
	case 0x0300: return "SSLv3";
	case 0x0301: return "TLSv1";
	case 0x0302: return "TLSv1.1";
	case 0x0303: return "TLSv1.2";
	case 0x0304: return "TLSv1.3";
	default: return "";
	}
}

int sniff_observation(const struct tlsp_result *r, int family, const unsigned char *srv_addr,
                      uint16_t srv_port, int64_t when, int incomplete, struct observation *obs)
{
	const struct suite *su;

	obs->source = OBS_PASSIVE;
	pkt_addr_text(family, srv_addr, obs->ip, sizeof(obs->ip));
	obs->port = srv_port;
	obs->started = (time_t)when;
	if (r->sni[0] != '\0' && obs_set_str(&obs->sni, r->sni) != 0)
		return -1;
	snprintf(obs->starttls, sizeof(obs->starttls), "%s", r->starttls);
	snprintf(obs->ja3, sizeof(obs->ja3), "%s", r->ja3_md5);
	snprintf(obs->ja3s, sizeof(obs->ja3s), "%s", r->ja3s_md5);
	if (!r->server_hello) {
		obs_set_error(obs, EP_HANDSHAKE_FAILED, "the capture shows a ClientHello but no "
		              "ServerHello");
		return 0;
	}
	obs->status = EP_OK;
	obs->tls_version = r->version;
	snprintf(obs->version, sizeof(obs->version), "%s", version_text(r->version));
	su = suite_by_id(r->cipher);
	if (su != NULL) /* the IANA name, as active scans record it */
		snprintf(obs->cipher, sizeof(obs->cipher), "%s", su->name);
	else
		snprintf(obs->cipher, sizeof(obs->cipher), "0x%04X", r->cipher);
	for (size_t i = 0; i < r->n_server_chain; i++)
		if (obs_add_cert(obs, r->server_chain[i].der, r->server_chain[i].len) != 0 &&
		    !obs->chain_truncated)
			return -1;
	obs->chain_truncated |= r->chain_truncated;
	if (incomplete && r->version != 0x0304 && r->n_server_chain == 0)
		obs_set_error(obs, EP_HANDSHAKE_FAILED, "the capture lost or cut segments of the "
		              "server's handshake: no certificate could be read");
	for (size_t i = 0; i < r->n_client_chain; i++)
		if (obs_add_client_cert(obs, r->client_chain[i].der, r->client_chain[i].len) != 0)
			break; /* over the bound: the server's chain is what matters */
	return 0;
}

/* Hands the connection's result to the callback once. */
static void emit_flow(struct sniffer *s, struct flow *f, struct fstate *fs)
{
	const struct tlsp_result *r;
	struct observation *obs;
	int rc;

	if (fs->emitted)
		return;
	fs->emitted = 1;
	r = tlsp_result(fs->t);
	if (!r->client_hello && !r->server_hello)
		return;
	if (s->stop_rc != 0 || s->emit == NULL)
		return;
	if ((obs = obs_new()) == NULL) {
		s->stop_rc = -1;
		return;
	}
	/* a gap still open at the end is a lost segment too */
	for (int d = 0; d < 2; d++)
		if (f->dir[d].pending_segs > 0 && !f->dir[d].gave_up && !fs->incomplete[d ^ fs->swapped]) {
			fs->incomplete[d ^ fs->swapped] = 1;
			s->st.gave_up++;
		}
	if (sniff_observation(r, f->family, fs->swapped ? f->cli_addr : f->srv_addr,
	                      fs->swapped ? f->cli_port : f->srv_port, f->last_seen,
	                      fs->incomplete[1], obs) != 0) {
		obs_free(obs);
		s->stop_rc = -1;
		return;
	}
	s->st.emitted++;
	s->st.certificates += r->n_server_chain + r->n_client_chain;
	if (r->version == 0x0304)
		s->st.tls13++;
	if (r->starttls[0] != '\0')
		s->st.starttls++;
	rc = s->emit(s->arg, obs, r);
	obs_free(obs);
	if (rc != 0) {
		s->stop_rc = rc;
		s->brk = 1;
	}
}

/* flows.h release callback: emit what the connection showed, then free its state. */
static void release(void *arg, struct flow *f, enum flow_end why)
{
	struct sniffer *s = arg;
	struct fstate *fs = f->user;

	(void)why;
	if (fs == NULL)
		return;
	emit_flow(s, f, fs);
	tlsp_free(fs->t);
	free(fs);
	f->user = NULL;
}

/* ---------------------------------------------------------------- per packet */

struct deliver_ctx {
	struct sniffer *s;
	struct fstate *fs;
	int tdir;
};

static int deliver(void *arg, const unsigned char *p, size_t n)
{
	struct deliver_ctx *d = arg;
	enum tlsp_state st = tlsp_feed(d->fs->t, d->tdir, p, n);

	if (st != TLSP_MORE) {
		if (!d->fs->final[d->tdir] && st == TLSP_ERROR)
			d->s->st.parse_errors++;
		d->fs->final[d->tdir] = 1;
	}
	return 0;
}

/* A TLS handshake record holding a ClientHello: 16 03 0x .. .. 01. */
static int looks_like_client_hello(const unsigned char *p, size_t n)
{
	return n >= 6 && p[0] == 0x16 && p[1] == 0x03 && p[2] <= 0x04 && p[5] == 0x01;
}

static void on_segment(struct sniffer *s, const struct pkt_tcp *seg)
{
	struct flow *f;
	struct fstate *fs;
	int dir, tdir, rc;

	if ((f = flows_get(s->ft, seg, s->now, &dir)) == NULL)
		return;
	if ((fs = f->user) == NULL) {
		if ((fs = calloc(1, sizeof(*fs))) == NULL || (fs->t = tlsp_new()) == NULL) {
			free(fs);
			flows_close(s->ft, f);
			return;
		}
		f->user = fs;
		s->st.flows++;
	}
	if (!fs->roles_fixed && seg->len > 0) {
		fs->roles_fixed = 1;
		/* the side that sends a ClientHello is the client, whatever the flow table guessed */
		if (looks_like_client_hello(seg->payload, seg->len))
			fs->swapped = dir != 0;
		else if (seg->len >= 6 && seg->payload[0] == 0x16 && dir == 0)
			fs->swapped = 0;
	}
	tdir = dir ^ fs->swapped;
	if (!fs->final[tdir] && (seg->len > 0 || (seg->flags & (TCPF_SYN | TCPF_FIN)))) {
		struct deliver_ctx d = { s, fs, tdir };

		rc = reasm_add(&f->dir[dir], &s->limits.reasm, seg->seq, seg->flags, seg->payload,
		               seg->len, deliver, &d);
		if (seg->truncated)
			fs->incomplete[tdir] = 1;
		if (rc == REASM_GAVE_UP) {
			s->st.gave_up++;
			fs->incomplete[tdir] = 1;
			fs->final[tdir] = 1;
		} else if (rc == REASM_NOMEM) {
			fs->final[tdir] = 1;
		}
	}
	if (!fs->emitted && tlsp_finished(fs->t))
		emit_flow(s, f, fs);
	if (!fs->emitted && fs->final[0] && fs->final[1])
		emit_flow(s, f, fs);
	if ((seg->flags & TCPF_RST) || (f->closed_by[0] && f->closed_by[1]))
		flows_close(s->ft, f);
}

static void on_packet(struct sniffer *s, const struct pcap_pkthdr *h, const unsigned char *data)
{
	struct pkt_tcp seg;

	s->st.packets++;
	s->st.bytes += h->caplen;
	s->now = (int64_t)h->ts.tv_sec;
	if (s->now > s->last_expire) {
		flows_expire(s->ft, s->now);
		s->last_expire = s->now;
	}
	switch (pkt_decode(s->dlt, data, h->caplen, &seg)) {
	case PKT_TCP:
		s->st.tcp++;
		s->st.truncated += seg.truncated != 0;
		on_segment(s, &seg);
		break;
	case PKT_OTHER:
		s->st.other++;
		break;
	default:
		s->st.malformed++;
		break;
	}
}

/* ---------------------------------------------------------------- open, run, close */

static int set_filter(struct sniffer *s, const char *filter, char *err, size_t errlen)
{
	struct bpf_program prog;

	if (pcap_compile(s->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "bad filter \"%.100s\": %s", filter, pcap_geterr(s->p));
		return -1;
	}
	if (pcap_setfilter(s->p, &prog) != 0) {
		snprintf(err, errlen, "cannot set the filter: %s", pcap_geterr(s->p));
		pcap_freecode(&prog);
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

static pcap_t *open_live(const struct sniff_opts *o, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_create(o->iface, ebuf);
	int rc;

	if (p == NULL) {
		snprintf(err, errlen, "cannot capture on %.60s: %s", o->iface, ebuf);
		return NULL;
	}
	pcap_set_snaplen(p, o->snaplen > 0 ? o->snaplen : 262144);
	pcap_set_promisc(p, o->promisc);
	pcap_set_timeout(p, 200);
	pcap_set_buffer_size(p, 16 * 1024 * 1024);
	rc = pcap_activate(p);
	if (rc < 0) {
		if (rc == PCAP_ERROR_PERM_DENIED)
			snprintf(err, errlen, "no permission to capture on %.60s: run as root, or give "
			         "the program the cap_net_raw capability", o->iface);
		else if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
			snprintf(err, errlen, "no such interface: %.60s", o->iface);
		else
			snprintf(err, errlen, "cannot capture on %.60s: %s", o->iface, pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	return p;
}

struct sniffer *sniff_open(const struct sniff_opts *o, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct sniffer *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->limits = o->limits;
	if ((o->file == NULL) == (o->iface == NULL)) {
		snprintf(err, errlen, "give a capture file (-r) or an interface (-i)");
		goto fail;
	}
	if (o->file != NULL) {
		s->p = pcap_open_offline_with_tstamp_precision(o->file, PCAP_TSTAMP_PRECISION_MICRO,
		                                               ebuf);
		if (s->p == NULL) {
			snprintf(err, errlen, "cannot read capture %.200s: %s", o->file, ebuf);
			goto fail;
		}
		snprintf(s->source, sizeof(s->source), "%s", o->file);
	} else {
		if ((s->p = open_live(o, err, errlen)) == NULL)
			goto fail;
		s->live = 1;
		snprintf(s->source, sizeof(s->source), "interface %s", o->iface);
	}
	s->dlt = pcap_datalink(s->p);
	if (set_filter(s, o->filter != NULL ? o->filter : "tcp", err, errlen) != 0)
		goto fail;
	if ((s->ft = flows_new(&s->limits, release, s)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	s->limits = *flows_limits(s->ft);
	return s;
fail:
	sniff_close(s);
	return NULL;
}

int sniff_run(struct sniffer *s, sniff_emit emit, void *arg, char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const unsigned char *data;
	int rc = 0, r = 0;

	s->emit = emit;
	s->arg = arg;
	while (!s->brk && (r = pcap_next_ex(s->p, &h, &data)) >= 0) {
		if (r == 0)
			continue; /* live: the read timeout passed with no packet */
		on_packet(s, h, data);
	}
	if (!s->brk && r == PCAP_ERROR) {
		snprintf(err, errlen, "reading packets from %.150s: %s", s->source, pcap_geterr(s->p));
		rc = -1;
	}
	if (s->live && s->brk && s->stop_rc == 0) {
		/* stopped by a signal: what the kernel already holds is still read */
		char ebuf[PCAP_ERRBUF_SIZE];

		if (pcap_setnonblock(s->p, 1, ebuf) == 0)
			for (int i = 0; i < 1000000 && pcap_next_ex(s->p, &h, &data) == 1; i++)
				on_packet(s, h, data);
	}
	if (s->live) {
		struct pcap_stat ps;

		if (pcap_stats(s->p, &ps) == 0)
			s->st.kernel_drops = ps.ps_drop;
	}
	/* Flush what is still open: every connection still mid-handshake is emitted. */
	s->st.peak_flows = flows_peak(s->ft);
	flows_free(s->ft);
	s->ft = NULL;
	if (rc == 0 && s->stop_rc != 0) {
		rc = s->stop_rc;
		if (rc < 0)
			snprintf(err, errlen, "out of memory");
	}
	s->emit = NULL;
	return rc;
}

void sniff_break(struct sniffer *s)
{
	s->brk = 1;
	if (s->p != NULL)
		pcap_breakloop(s->p);
}

const struct sniff_stats *sniff_stats(const struct sniffer *s)
{
	return &s->st;
}

const char *sniff_linktype(const struct sniffer *s)
{
	const char *n = pcap_datalink_val_to_name(s->dlt);

	return n != NULL ? n : "unknown";
}

void sniff_close(struct sniffer *s)
{
	if (s == NULL)
		return;
	s->emit = NULL;
	flows_free(s->ft);
	if (s->p != NULL)
		pcap_close(s->p);
	free(s);
}
