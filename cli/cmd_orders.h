/*
 * cmd_orders.h: `certsweep orders` (cli/cmd_orders.c). Kept apart from cli.h so the orders
 * command could land without touching the shared header; the lead may move this line there.
 */
#ifndef CS_CMD_ORDERS_H
#define CS_CMD_ORDERS_H

int cmd_orders(int argc, char **argv);

#endif
