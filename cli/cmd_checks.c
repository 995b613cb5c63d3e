/* cmd_checks.c: `certsweep checks` / `--list-checks`: the registry, printed. */
#include <stdio.h>

#include "analyzer/analyzer.h"
#include "analyzer/config.h"
#include "cli/cli.h"

int cmd_checks(int argc, char **argv)
{
	printf("%-28s %-9s %s\n", "ID", "SEVERITY", "CHECK");
	for (size_t i = 0; cert_checks[i] != NULL; i++)
		printf("%-28s %-9s %s\n", cert_checks[i]->id, severity_name(cert_checks[i]->severity),
		       cert_checks[i]->title);
	printf("\nConfiguration checks (certsweep analyze, scan --checks advanced):\n");
	for (size_t i = 0; config_checks[i] != NULL; i++)
		printf("%-28s %-9s %s\n", config_checks[i]->id, severity_name(config_checks[i]->severity),
		       config_checks[i]->title);
	return EXIT_OK;
}
