/*
 * cmd_alerts.h: `certsweep alerts run|test` (cli/cmd_alerts.c).
 */
#ifndef CS_CMD_ALERTS_H
#define CS_CMD_ALERTS_H

int cmd_alerts(int argc, char **argv);

#endif
