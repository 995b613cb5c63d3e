/* opts.c: strict parsing of option values, with messages that name the option. */
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	else
		goto bad;
	v *= mult;
	if (v < (double)min || v > (double)max) {
		cli_err("%s: %.40s is out of range (%ld ms to %ld ms)", opt, val, min, max);
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
