/*
 * check_fix.c: the fix text of a check by its stable id, looked up in both registries
 * (cert_checks[] of analyzer.h, config_checks[] of config.h). Readers that only have a stored
 * finding (its check id) use it: the HTML report's "fixes" map.
 */
#include "analyzer/analyzer.h"

#include <string.h>

#include "analyzer/config.h"

const char *check_fix(const char *id)
{
	if (id == NULL)
		return NULL;
	for (size_t i = 0; cert_checks[i] != NULL; i++)
		if (strcmp(cert_checks[i]->id, id) == 0)
			return cert_checks[i]->fix;
	for (size_t i = 0; config_checks[i] != NULL; i++)
		if (strcmp(config_checks[i]->id, id) == 0)
			return config_checks[i]->fix;
	return NULL;
}
