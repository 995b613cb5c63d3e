/* opts.c: strict parsing of option values, with messages that name the option. */
#include "cli/cli.h"

#include "analyzer/analyzer.h"
#include "enrich/geo.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char certsweep_version[] = "0.1.0";

void cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("certsweep: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int opt_int(const char *opt, const char *val, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(val, &end, 10);
	if (val[0] == '\0' || *end != '\0' || errno != 0) {
		cli_err("%s: \"%.40s\" is not a whole number", opt, val);
		return -1;
	}
	if (v < min || v > max) {
		cli_err("%s: %ld is out of range (%ld to %ld)", opt, v, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int opt_ms(const char *opt, const char *val, long min, long max, long *out)
{
	char *end;
	double v, mult = 1;

	errno = 0;
	v = strtod(val, &end);
	if (val[0] == '\0' || errno != 0 || !isfinite(v) || v < 0)
		goto bad;
	if (strcmp(end, "") == 0 || strcmp(end, "ms") == 0)
		mult = 1;
	else if (strcmp(end, "s") == 0)
		mult = 1000;
	else if (strcmp(end, "m") == 0)
		mult = 60000;
	else if (strcmp(end, "h") == 0)
		mult = 3600000;
	else
		goto bad;
	v *= mult;
	if (v < (double)min || v > (double)max) {
		cli_err("%s: %.40s%s is out of range (%ld ms to %ld ms)", opt, val,
		        *end == '\0' ? " (a bare number is milliseconds: write 1.5s)" : "", min, max);
		return -1;
	}
	*out = (long)v;
	return 0;
bad:
	cli_err("%s: \"%.40s\" is not a duration (examples: 500ms, 3s, 3000)", opt, val);
	return -1;
}

int opt_double(const char *opt, const char *val, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(val, &end);
	if (val[0] == '\0' || *end != '\0' || errno != 0 || !isfinite(v)) {
		cli_err("%s: \"%.40s\" is not a number", opt, val);
		return -1;
	}
	if (v < min || v > max) {
		cli_err("%s: %.40s is out of range (%g to %g)", opt, val, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int need_policy(struct ca_policy **policy)
{
	if (*policy == NULL && (*policy = ca_policy_new("custom")) == NULL) {
		cli_err("out of memory");
		return -1;
	}
	return 0;
}

int cli_policy_option(int ch, const char *val, struct ca_policy **policy, struct analyzer_config *acfg)
{
	char err[512];
	long v;

	switch (ch) {
	case CLI_OPT_CA_FILE:
	case CLI_OPT_CA_PATH: {
		struct stat sb;
		int dir = ch == CLI_OPT_CA_PATH;

		if (stat(val, &sb) != 0 || access(val, R_OK) != 0) {
			cli_err("%s: cannot read %.200s: %s", dir ? "--ca-path" : "--ca-file", val, strerror(errno));
			return -1;
		}
		if (dir != (S_ISDIR(sb.st_mode) != 0)) {
			cli_err("%s: %.200s is %s", dir ? "--ca-path" : "--ca-file", val,
			        dir ? "not a directory (use --ca-file for a file)" : "a directory (use --ca-path)");
			return -1;
		}
		if (dir)
			acfg->ca_path = val;
		else
			acfg->ca_file = val;
		return 0;
	}
	case CLI_OPT_PREF_CA:
		if (need_policy(policy) != 0 || ca_policy_add_pattern(*policy, val) != 0) {
			cli_err("--preferred-ca: bad pattern \"%.80s\"", val);
			return -1;
		}
		return 0;
	case CLI_OPT_PREF_FP:
		if (need_policy(policy) != 0 || ca_policy_add_fingerprint(*policy, val) != 0) {
			cli_err("--preferred-fingerprint: \"%.80s\" is not a SHA-256 fingerprint (64 hex digits)", val);
			return -1;
		}
		return 0;
	case CLI_OPT_PREF_FILE:
		if (need_policy(policy) != 0 || ca_policy_load_file(*policy, val, err, sizeof(err)) != 0) {
			cli_err("--preferred-ca-file: %s", err);
			return -1;
		}
		return 0;
	case CLI_OPT_EXP_CRIT:
	case CLI_OPT_EXP_HIGH:
		if (opt_int(ch == CLI_OPT_EXP_CRIT ? "--expiring-critical" : "--expiring-high", val, 0, 3650, &v) != 0)
			return -1;
		if (ch == CLI_OPT_EXP_CRIT)
			acfg->expiring_critical_days = (int)v;
		else
			acfg->expiring_high_days = (int)v;
		return 0;
	default:
		return 1;
	}
}

int opt_fail_on(const char *val, int *out)
{
	if (strcmp(val, "none") == 0 || strcmp(val, "never") == 0) {
		*out = -1;
		return 0;
	}
	if ((*out = severity_from_name(val)) < 0) {
		cli_err("--fail-on: unknown severity \"%.40s\" (info, low, medium, high, critical, none)", val);
		return -1;
	}
	return 0;
}

int opt_since(const char *opt, const char *val, int64_t now, int64_t *out)
{
	struct tm tm;
	const char *end;
	char *num_end;
	long n;

	/* relative: N followed by h, d or w */
	errno = 0;
	n = strtol(val, &num_end, 10);
	if (num_end != val && errno == 0 && n >= 0 && n <= 100000 && num_end[0] != '\0' &&
	    num_end[1] == '\0' && strchr("hdw", num_end[0]) != NULL) {
		long unit = num_end[0] == 'h' ? 3600 : num_end[0] == 'd' ? 86400 : 7 * 86400;

		*out = now - (int64_t)n * unit;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(val, "%Y-%m-%d", &tm);
	if (end != NULL && *end == 'T')
		end = strptime(end, "T%H:%M:%S", &tm);
	if (end != NULL && *end == 'Z')
		end++;
	if (end == NULL || *end != '\0' || tm.tm_year < 70) {
		cli_err("%s: \"%.40s\" is not a date (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ in UTC, or a "
		        "time ago such as 7d, 12h, 2w)", opt, val);
		return -1;
	}
	*out = (int64_t)timegm(&tm);
	return 0;
}

int cli_geo_option(int ch, const char *val, struct geo_paths *paths)
{
	switch (ch) {
	case CLI_OPT_GEOIP_DB: paths->geoip = val; return 0;
	case CLI_OPT_ASN_DB: paths->asn = val; return 0;
	case CLI_OPT_OWNER_DB: paths->owner = val; return 0;
	default: return 1;
	}
}
