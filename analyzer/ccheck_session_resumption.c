/*
 * ccheck_session_resumption.c: session.resumption, how the server resumes sessions (info, never
 * a problem in itself): session IDs (server-side cache) and session tickets (RFC 5077). Tickets
 * are encrypted with a server key that, unless rotated, undoes forward secrecy for every session
 * it protected; the fix text says how to rotate or disable them. Silent when neither was tested.
 */
#include "analyzer/ccheck.h"

static const char *tri(int v, const char *yes, const char *no)
{
	return v == 1 ? yes : v == 0 ? no : "not tested";
}

static void run(const struct config_check *self, struct config_ctx *ctx)
{
	const struct tls_profile *p = ctx->p;

	if (p->session_resumption == PROFILE_UNKNOWN && p->session_ticket == PROFILE_UNKNOWN)
		return;
	config_add(ctx, self, self->severity,
		   "session resumption: session IDs %s; session tickets (RFC 5077) %s%s",
		   tri(p->session_resumption, "resumed", "not resumed"),
		   tri(p->session_ticket, "issued", "not issued"),
		   p->session_ticket == 1 ? " (forward secrecy then depends on rotating the ticket key)"
					  : "");
}

const struct config_check ccheck_session_resumption = {
	.id = "session.resumption",
	.severity = SEV_INFO,
	.title = "Session resumption (information)",
	.fix = "Nothing to fix. Resumption saves full handshakes; with tickets, rotate the ticket key "
	       "often (nginx reloads do; ssl_session_ticket_key files rotated by cron) or disable them "
	       "(nginx: ssl_session_tickets off; Apache: SSLSessionTickets off).",
	.run = run,
};
