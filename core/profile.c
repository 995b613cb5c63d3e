/*
 * profile.c: the tls_profile value's constructor and the protocol version names (see profile.h).
 *
 * profile_init() is the one place that says which fields are tri-states: every field that can
 * be "not tested" starts as PROFILE_UNKNOWN, the rest as zero. hsts_max_age starts at -1
 * ("absent"), as profile.h documents.
 */
#include <string.h>

#include "core/profile.h"

static const struct {
	const char *name;
	uint16_t wire;
} versions[PV_COUNT] = {
	[PV_SSL2] = { "SSLv2", 0x0002 },
	[PV_SSL3] = { "SSLv3", 0x0300 },
	[PV_TLS10] = { "TLSv1.0", 0x0301 },
	[PV_TLS11] = { "TLSv1.1", 0x0302 },
	[PV_TLS12] = { "TLSv1.2", 0x0303 },
	[PV_TLS13] = { "TLSv1.3", 0x0304 },
};

const char *proto_version_name(enum proto_version v)
{
	if ((int)v < 0 || v >= PV_COUNT)
		return "unknown";
	return versions[v].name;
}

uint16_t proto_version_wire(enum proto_version v)
{
	if ((int)v < 0 || v >= PV_COUNT)
		return 0;
	return versions[v].wire;
}

void profile_init(struct tls_profile *p)
{
	memset(p, 0, sizeof(*p));
	for (int v = 0; v < PV_COUNT; v++) {
		p->supported[v] = PROFILE_UNKNOWN;
		p->suites[v].server_order = PROFILE_UNKNOWN;
	}
	p->groups_server_order = PROFILE_UNKNOWN;
	p->secure_reneg = PROFILE_UNKNOWN;
	p->client_reneg = PROFILE_UNKNOWN;
	p->compression = PROFILE_UNKNOWN;
	p->heartbeat = PROFILE_UNKNOWN;
	p->heartbleed = PROFILE_UNKNOWN;
	p->fallback_scsv = PROFILE_UNKNOWN;
	p->session_ticket = PROFILE_UNKNOWN;
	p->session_resumption = PROFILE_UNKNOWN;
	p->ocsp_stapling = PROFILE_UNKNOWN;
	p->sct_extension = PROFILE_UNKNOWN;
	p->sct_ocsp = PROFILE_UNKNOWN;
	p->ems = PROFILE_UNKNOWN;
	p->etm = PROFILE_UNKNOWN;
	p->hsts = PROFILE_UNKNOWN;
	p->hsts_max_age = -1;
}
