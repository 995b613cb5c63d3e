/*
 * orders_cli.h: helpers cli/cmd_orders.c shares with the other `orders` subcommand files
 * (cli/orders_csr.c, cli/orders_dcv.c), and their entry points for the subcommand table.
 * Each helper prints its own message (cli_err) and returns an exit code or NULL.
 */
#ifndef CS_ORDERS_CLI_H
#define CS_ORDERS_CLI_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

struct store;
struct order_rec;

/* Opens the inventory (must_exist: refuse a missing file); NULL after a message. */
struct store *ocli_open_db(const char *path, int must_exist);
/* Closes st; returns rc, or EXIT_RUNTIME when the close fails and rc was EXIT_OK. */
int ocli_close_db(struct store *st, int rc);
/* Prints the store's error; returns EXIT_RUNTIME. */
int ocli_store_fail(struct store *st);
/* Reads order id into o: 0, or an exit code after a message (unknown order: EXIT_USAGE). */
int ocli_get_order(struct store *st, int64_t id, const char *db_path, struct order_rec *o);
/* Parses an order id argument; 0 or -1 after a message. */
int ocli_parse_id(const char *sub, const char *val, int64_t *id);
/* Prints s made terminal-safe. */
void ocli_put_safe(FILE *out, const char *s);
/* Writes doc (consumed) as indented JSON and a newline; 0 or -1 after a message. */
int ocli_dump_json(json_t *doc);
/* Flushes stdout; returns rc, or EXIT_RUNTIME on a write error. */
int ocli_finish_output(int rc);

int orders_csr_cmd(int argc, char **argv);
int orders_dcv_cmd(int argc, char **argv);
int orders_dcv_check_cmd(int argc, char **argv);
int orders_issue_cmd(int argc, char **argv);
/* cli/orders_import.c: `orders import`, and `orders issue --local-ca` (routed from orders_issue.c). */
int orders_import_cmd(int argc, char **argv);
int orders_issue_local_cmd(int argc, char **argv);
int orders_install_cmd(int argc, char **argv);
int orders_verify_cmd(int argc, char **argv);

#endif
