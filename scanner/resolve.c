/*
 * resolve.c: asynchronous name lookups with libevent's evdns, on the engine's loop.
 *
 * The DNS base is created on the first name (or at once when --resolver is given, so a bad
 * resolver is reported before the sweep starts). evdns_getaddrinfo may call back before it
 * returns (hosts file, cached answers): the callback then only records the answer and
 * resolve_start processes it, so a connection is never freed under its caller's feet.
 *
 * Every address a name yields is scanned with the name as SNI: the first reuses the
 * connection, the others are cloned onto the engine's ready list (at most CONN_MAX_ADDRS,
 * duplicates and excluded addresses dropped).
 */
#include "scanner/engine_internal.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/dns.h>
#include <event2/util.h>

int resolve_setup(struct engine *eng, char *err, size_t errlen)
{
	const struct engine_config *cfg = &eng->cfg;
	char tmo[32];
	int flags = EVDNS_BASE_DISABLE_WHEN_INACTIVE;

	if (eng->dns != NULL)
		return 0;
	if (cfg->resolver == NULL)
		flags |= EVDNS_BASE_INITIALIZE_NAMESERVERS;
	eng->dns = evdns_base_new(eng->base, flags);
	if (eng->dns == NULL) {
		snprintf(err, errlen, "cannot set up the DNS resolver");
		return -1;
	}
	if (cfg->resolver != NULL && evdns_base_nameserver_ip_add(eng->dns, cfg->resolver) != 0) {
		snprintf(err, errlen, "bad resolver address \"%s\" (want IP or IP:PORT)", cfg->resolver);
		return -1;
	}
	if (cfg->hosts_file != NULL) {
		if (evdns_base_load_hosts(eng->dns, cfg->hosts_file) != 0) {
			snprintf(err, errlen, "cannot read hosts file %s", cfg->hosts_file);
			return -1;
		}
	} else if (cfg->resolver != NULL) {
		evdns_base_load_hosts(eng->dns, NULL); /* /etc/hosts, as the system resolver would */
	}
	snprintf(tmo, sizeof(tmo), "%d.%03d", cfg->dns_timeout_ms / 1000, cfg->dns_timeout_ms % 1000);
	evdns_base_set_option(eng->dns, "timeout:", tmo);
	evdns_base_set_option(eng->dns, "attempts:", "2");
	return 0;
}

static int same_addr(const struct sockaddr *a, const struct sockaddr_storage *b)
{
	if (a->sa_family != b->ss_family)
		return 0;
	if (a->sa_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		              &((const struct sockaddr_in *)b)->sin_addr, 4) == 0;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	              &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

static int excluded(const struct engine *eng, const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return targets_is_excluded(eng->ts, AF_INET,
		                           (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr);
	return targets_is_excluded(eng->ts, AF_INET6,
	                           (const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr);
}

/* Turns a finished lookup into connections. */
static void resolve_finish(struct conn *c)
{
	struct engine *eng = c->eng;
	struct sockaddr_storage seen[CONN_MAX_ADDRS];
	int nseen = 0;
	struct evutil_addrinfo *res = c->dns_res;

	c->dns_res = NULL;
	if (c->dns_result != 0) {
		obs_set_error(c->obs, EP_DNS_FAILED, "cannot resolve %.200s: %s", c->obs->host,
		              evutil_gai_strerror(c->dns_result));
		goto finish;
	}
	for (struct evutil_addrinfo *ai = res; ai != NULL && nseen < CONN_MAX_ADDRS; ai = ai->ai_next) {
		int dup = 0;

		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		for (int i = 0; i < nseen && !dup; i++)
			dup = same_addr(ai->ai_addr, &seen[i]);
		if (dup || excluded(eng, ai->ai_addr))
			continue;
		memcpy(&seen[nseen], ai->ai_addr, ai->ai_addrlen);
		if (nseen == 0) {
			conn_set_addr(c, ai->ai_addr, (socklen_t)ai->ai_addrlen);
		} else {
			struct conn *n = conn_clone_for_addr(c, ai->ai_addr, (socklen_t)ai->ai_addrlen);
			if (n != NULL) {
				conn_list_push(&eng->ready, n);
				eng->st.total++;
				eng->st.resolved_extra++;
			}
		}
		nseen++;
	}
	if (res != NULL)
		evutil_freeaddrinfo(res);
	if (nseen == 0) {
		obs_set_error(c->obs, EP_DNS_FAILED, "%.200s: no address to scan (none returned, or all excluded)",
		              c->obs->host);
		goto finish;
	}
	if (engine_skip_resolved(eng, c)) /* scanned before a resume: c is gone */
		return;
	conn_connect(c);
	return;
finish:
	conn_finish(c);
}

static void on_resolved(int result, struct evutil_addrinfo *res, void *arg)
{
	struct conn *c = arg;

	if (result == EVUTIL_EAI_CANCEL) {
		if (res != NULL)
			evutil_freeaddrinfo(res);
		return;
	}
	c->dnsreq = NULL;
	c->dns_done = 1;
	c->dns_result = result;
	c->dns_res = res;
	if (!c->dns_sync)
		resolve_finish(c);
}

int resolve_start(struct conn *c, const char *name)
{
	struct engine *eng = c->eng;
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *req;
	char err[200];

	c->phase = PH_RESOLVE;
	if (resolve_setup(eng, err, sizeof(err)) != 0) {
		obs_set_error(c->obs, EP_DNS_FAILED, "%s", err);
		conn_finish(c);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	c->dns_sync = 1;
	c->dns_done = 0;
	req = evdns_getaddrinfo(eng->dns, name, NULL, &hints, on_resolved, c);
	c->dns_sync = 0;
	if (!c->dns_done) {
		c->dnsreq = req;
		if (req == NULL) {
			obs_set_error(c->obs, EP_DNS_FAILED, "cannot start a lookup for %.200s", name);
			conn_finish(c);
			return -1;
		}
		return 0;
	}
	resolve_finish(c);
	return 0;
}

void resolve_cancel(struct conn *c)
{
	if (c->dnsreq != NULL) {
		struct evdns_getaddrinfo_request *req = c->dnsreq;

		c->dnsreq = NULL;
		evdns_getaddrinfo_cancel(req);
	}
	if (c->dns_res != NULL) {
		evutil_freeaddrinfo(c->dns_res);
		c->dns_res = NULL;
	}
}
