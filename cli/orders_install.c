/*
 * orders_install.c: `certsweep orders install ID --fullchain PATH [--key PATH]
 * [--pkcs12 PATH --pkcs12-password-file F] [--reload "CMD"]` (issue 4).
 *
 * Writes the order's issued chain (orders.issued_pem: leaf first, then the intermediates, as
 * checked at issuance) as a PEM fullchain (mode 0644), the order's private key (copied from its
 * key_path, mode 0600) and optionally a PKCS#12 file (mode 0600; AES-256-CBC for key and
 * certificates, the password is the first line of a file) for IIS and Tomcat. Each file is
 * written atomically (orders/atomic_file.h, replacing an older file). Then the reload command
 * runs through /bin/sh -c (it is the administrator's own command line) and its exit status is
 * reported. An audit note is appended (actor "install"); the status stays Issued: only
 * `orders verify` moves it to Installed.
 * Exit codes: 0 written and reloaded; 1 the reload command failed (the files stay written);
 * 2 bad usage, an unknown order or one without an issued certificate; 3 I/O or database error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "cli/cli.h"
#include "cli/orders_cli.h"
#include "orders/atomic_file.h"
#include "orders/orders.h"
#include "store/store.h"

#define KEY_FILE_MAX (64 * 1024)
#define PASSWORD_MAX 1024

enum { N_DB = 'd', N_FULLCHAIN = 'f', N_KEY = 'k', N_P12 = 'p', N_P12PASS = 'P',
       N_RELOAD = 'r', N_HELP = 'h' };

static const struct option install_opts[] = {
	{ "db", required_argument, NULL, N_DB },
	{ "fullchain", required_argument, NULL, N_FULLCHAIN },
	{ "key", required_argument, NULL, N_KEY },
	{ "pkcs12", required_argument, NULL, N_P12 },
	{ "pkcs12-password-file", required_argument, NULL, N_P12PASS },
	{ "reload", required_argument, NULL, N_RELOAD },
	{ "help", no_argument, NULL, N_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char install_usage[] =
	"usage: certsweep orders install ID --fullchain PATH [--key PATH]\n"
	"           [--pkcs12 PATH --pkcs12-password-file FILE] [--reload \"CMD ARGS\"] [--db FILE]\n"
	"\n"
	"  Writes the issued certificate and its intermediates as a PEM fullchain (nginx, Apache),\n"
	"  the order's private key (mode 0600) and optionally a PKCS#12 file (IIS, Tomcat; AES-256,\n"
	"  the password is the first line of FILE), each atomically, then runs the reload command\n"
	"  with /bin/sh -c. The order stays Issued until 'certsweep orders verify' sees it served.\n"
	"  Exit: 0 installed, 1 the reload command failed (files written), 2 bad usage.\n";

struct install_args {
	const char *db_path, *fullchain, *key, *p12, *p12pass, *reload;
	int64_t id;
};

static int install_parse(int argc, char **argv, struct install_args *a)
{
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", install_opts, NULL)) != -1) {
		switch (ch) {
		case N_DB: a->db_path = optarg; break;
		case N_FULLCHAIN: a->fullchain = optarg; break;
		case N_KEY: a->key = optarg; break;
		case N_P12: a->p12 = optarg; break;
		case N_P12PASS: a->p12pass = optarg; break;
		case N_RELOAD:
			if (optarg[0] == '\0' || strlen(optarg) > 4096) {
				cli_err("--reload: a command of 1 to 4096 bytes");
				return EXIT_USAGE;
			}
			a->reload = optarg;
			break;
		case N_HELP: fputs(install_usage, stdout); return -1;
		default: return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fputs(install_usage, stderr);
		return EXIT_USAGE;
	}
	if (ocli_parse_id("install", argv[optind], &a->id) != 0)
		return EXIT_USAGE;
	if (a->fullchain == NULL) {
		cli_err("orders install: --fullchain PATH is required");
		return EXIT_USAGE;
	}
	if ((a->p12 == NULL) != (a->p12pass == NULL)) {
		cli_err("orders install: --pkcs12 and --pkcs12-password-file go together");
		return EXIT_USAGE;
	}
	return 0;
}

/* Reads a whole small file (at most max bytes) into a malloc'd, NUL-terminated buffer. */
static char *read_small(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n;

	if (f == NULL) {
		cli_err("cannot read %.200s: %s", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(max + 1)) == NULL) {
		cli_err("out of memory");
		goto out;
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f) || n > max) {
		cli_err("%.200s: %s", path, ferror(f) ? "read error" : "too large");
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
	*len = n;
out:
	fclose(f);
	return buf;
}

static int write_file(const char *path, const void *buf, size_t len, mode_t mode)
{
	char err[512];

	if (atomic_write_file(path, buf, len, mode, ATOMIC_REPLACE, err, sizeof(err)) != 0) {
		cli_err("%s", err);
		return -1;
	}
	return 0;
}

/* Builds the PKCS#12 of key + chain (AES-256-CBC, the password from pwfile) and writes it. */
static int write_pkcs12(const char *path, const char *pwfile, const char *chain_pem,
                        const char *key_pem, size_t key_len)
{
	STACK_OF(X509) *cas = NULL;
	X509 *leaf = NULL, *x;
	EVP_PKEY *pkey = NULL;
	PKCS12 *p12 = NULL;
	BIO *b = NULL;
	unsigned char *der = NULL;
	char *pw = NULL;
	size_t pwlen = 0;
	int derlen, ret = -1;

	if ((pw = read_small(pwfile, PASSWORD_MAX, &pwlen)) == NULL)
		return -1;
	pw[strcspn(pw, "\r\n")] = '\0';
	if ((b = BIO_new_mem_buf(key_pem, (int)key_len)) == NULL ||
	    (pkey = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL) {
		cli_err("--pkcs12: the order's key does not parse");
		goto out;
	}
	BIO_free(b);
	if ((b = BIO_new_mem_buf(chain_pem, -1)) == NULL || (cas = sk_X509_new_null()) == NULL ||
	    (leaf = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
		cli_err("--pkcs12: the issued chain does not parse");
		goto out;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(cas, x) <= 0) {
			X509_free(x);
			cli_err("out of memory");
			goto out;
		}
	p12 = PKCS12_create(pw, NULL, pkey, leaf, cas, NID_aes_256_cbc, NID_aes_256_cbc,
	                    PKCS12_DEFAULT_ITER, PKCS12_DEFAULT_ITER, 0);
	if (p12 == NULL || (derlen = i2d_PKCS12(p12, &der)) <= 0) {
		cli_err("--pkcs12: cannot build the PKCS#12 file");
		goto out;
	}
	ret = write_file(path, der, (size_t)derlen, 0600);
out:
	OPENSSL_free(der);
	PKCS12_free(p12);
	sk_X509_pop_free(cas, X509_free);
	X509_free(leaf);
	EVP_PKEY_free(pkey);
	BIO_free(b);
	if (pw != NULL)
		OPENSSL_cleanse(pw, pwlen);
	free(pw);
	return ret;
}

/* Runs cmd with /bin/sh -c; returns its exit status, 128+signal, or -1 when it cannot run. */
static int run_reload(const char *cmd)
{
	pid_t pid, w;
	int status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		cli_err("--reload: cannot fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	do
		w = waitpid(pid, &status, 0);
	while (w < 0 && errno == EINTR);
	if (w < 0) {
		cli_err("--reload: waitpid: %s", strerror(errno));
		return -1;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static int do_install(struct store *st, const struct order_rec *o, const struct install_args *a)
{
	char *chain = NULL, *key = NULL, note[600];
	size_t key_len = 0;
	int rc = EXIT_RUNTIME, st_reload = 0;

	if (strcmp(o->status, order_status_name(ORDER_ISSUED)) != 0) {
		cli_err("order %" PRId64 " is %s: only an Issued order is installed", o->id,
		        o->status);
		return EXIT_USAGE;
	}
	if (store_order_issued_pem(st, o->id, &chain) != 0)
		return ocli_store_fail(st);
	if (chain == NULL) {
		cli_err("order %" PRId64 " has no issued certificate", o->id);
		return EXIT_USAGE;
	}
	if ((a->key != NULL || a->p12 != NULL) && o->key_path == NULL) {
		cli_err("order %" PRId64 ": no private key file is known (the CSR was imported): "
		        "install the key yourself and omit --key/--pkcs12", o->id);
		rc = EXIT_USAGE;
		goto out;
	}
	if ((a->key != NULL || a->p12 != NULL) &&
	    (key = read_small(o->key_path, KEY_FILE_MAX, &key_len)) == NULL)
		goto out;
	if (write_file(a->fullchain, chain, strlen(chain), 0644) != 0)
		goto out;
	if (a->key != NULL && write_file(a->key, key, key_len, 0600) != 0)
		goto out;
	if (a->p12 != NULL && write_pkcs12(a->p12, a->p12pass, chain, key, key_len) != 0)
		goto out;
	printf("order %" PRId64 ": wrote %s%s%s%s%s\n", o->id, a->fullchain,
	       a->key ? ", " : "", a->key ? a->key : "", a->p12 ? ", " : "", a->p12 ? a->p12 : "");
	if (a->reload != NULL) {
		st_reload = run_reload(a->reload);
		if (st_reload != 0)
			cli_err("order %" PRId64 ": the reload command failed (exit status %d); the "
			        "files are written", o->id, st_reload);
		else
			printf("order %" PRId64 ": reload command done\n", o->id);
	}
	snprintf(note, sizeof(note), "installed to %.200s%s%s", a->fullchain,
	         a->reload == NULL ? "" : st_reload == 0 ? "; reloaded" : "; reload FAILED",
	         a->p12 != NULL ? "; PKCS#12 written" : "");
	if (store_order_transition(st, o->id, o->status, o->ca_state, o->status, o->ca_state,
	                           "install", note) != 0) {
		rc = ocli_store_fail(st);
		goto out;
	}
	rc = st_reload != 0 ? EXIT_FINDINGS : EXIT_OK;
out:
	if (key != NULL)
		OPENSSL_cleanse(key, key_len);
	free(key);
	free(chain);
	return rc;
}

int orders_install_cmd(int argc, char **argv)
{
	struct install_args a = { .db_path = "certsweep.db" };
	struct order_rec o = { 0 };
	struct store *st = NULL;
	int rc, r;

	if ((r = install_parse(argc, argv, &a)) != 0)
		return r < 0 ? EXIT_OK : r;
	if ((st = ocli_open_db(a.db_path, 1)) == NULL)
		return EXIT_RUNTIME;
	if ((rc = ocli_get_order(st, a.id, a.db_path, &o)) == 0)
		rc = do_install(st, &o, &a);
	order_rec_free(&o);
	return ocli_finish_output(ocli_close_db(st, rc));
}
