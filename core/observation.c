/* observation.c: lifetime and small setters of the pipeline's data model (see observation.h). */
#include "core/observation.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[EP_STATUS_COUNT] = {
	[EP_OK] = "ok",
	[EP_REFUSED] = "refused",
	[EP_TIMEOUT] = "timeout",
	[EP_RESET] = "reset",
	[EP_NOT_TLS] = "not_tls",
	[EP_HANDSHAKE_FAILED] = "handshake_failed",
	[EP_STARTTLS_FAILED] = "starttls_failed",
	[EP_DNS_FAILED] = "dns_failed",
};

const char *ep_status_name(enum ep_status s)
{
	if ((unsigned)s >= EP_STATUS_COUNT)
		return "unknown";
	return status_names[s];
}

int ep_status_from_name(const char *name)
{
	for (int i = 0; i < EP_STATUS_COUNT; i++)
		if (strcmp(status_names[i], name) == 0)
			return i;
	return -1;
}

struct observation *obs_new(void)
{
	struct observation *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->ms_connect = o->ms_starttls = o->ms_handshake = o->ms_total = -1;
	return o;
}

void obs_free(struct observation *o)
{
	if (o == NULL)
		return;
	for (size_t i = 0; i < o->chain_len; i++)
		free(o->chain[i].der);
	for (size_t i = 0; i < o->client_chain_len; i++)
		free(o->client_chain[i].der);
	free(o->host);
	free(o->sni);
	free(o);
}

void obs_set_error(struct observation *o, enum ep_status st, const char *fmt, ...)
{
	va_list ap;

	o->status = st;
	va_start(ap, fmt);
	vsnprintf(o->error, sizeof(o->error), fmt, ap);
	va_end(ap);
}

/* Appends a copy of der to chain (*n entries). */
static int add_der(struct der_blob *chain, size_t *n, int *truncated, const unsigned char *der,
                   size_t len)
{
	unsigned char *copy;

	if (*n >= OBS_MAX_CHAIN) {
		*truncated = 1;
		return -1;
	}
	if (len == 0 || len > OBS_MAX_CERT_DER)
		return -1;
	copy = malloc(len);
	if (copy == NULL)
		return -1;
	memcpy(copy, der, len);
	chain[*n].der = copy;
	chain[*n].len = len;
	(*n)++;
	return 0;
}

int obs_add_cert(struct observation *o, const unsigned char *der, size_t len)
{
	return add_der(o->chain, &o->chain_len, &o->chain_truncated, der, len);
}

int obs_add_client_cert(struct observation *o, const unsigned char *der, size_t len)
{
	int truncated = 0;

	return add_der(o->client_chain, &o->client_chain_len, &truncated, der, len);
}

int obs_set_str(char **dst, const char *src)
{
	char *copy = NULL;

	if (src != NULL && (copy = strdup(src)) == NULL)
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}

struct observation *obs_dup(const struct observation *o)
{
	struct observation *c = obs_new();

	if (c == NULL)
		return NULL;
	*c = *o;
	c->host = c->sni = NULL;
	c->chain_len = 0;
	c->client_chain_len = 0;
	if (obs_set_str(&c->host, o->host) != 0 || obs_set_str(&c->sni, o->sni) != 0)
		goto fail;
	for (size_t i = 0; i < o->chain_len; i++)
		if (obs_add_cert(c, o->chain[i].der, o->chain[i].len) != 0)
			goto fail;
	for (size_t i = 0; i < o->client_chain_len; i++)
		if (obs_add_client_cert(c, o->client_chain[i].der, o->client_chain[i].len) != 0)
			goto fail;
	c->chain_truncated = o->chain_truncated;
	return c;
fail:
	obs_free(c);
	return NULL;
}
