/*
 * test_dcv_check.c: the DCV pre-check (orders/dcv_check.c) against real servers on loopback.
 *
 * Group setup starts Debian's nginx (HTTP and HTTPS listeners on free 127.0.0.1 ports, a web
 * root holding DCV files written by dcv_write_file, and locations answering with redirects)
 * and dnsmasq (a free 127.0.0.1 port, --cname records under example.test, NXDOMAIN for the
 * rest of example.test), each as a child process, and stops them in group teardown. The checks
 * reach "example.test" through opts.resolve and opts.port_override, as a CA reaches the real
 * name on ports 80/443. Both binaries are installed by tools/deps.sh: a missing one fails the
 * group setup with a message.
 *
 * Cases: HTTP and HTTPS pass; 404; content differs (named line); a redirect to another host, to
 * a port that is not 80/443, a loop, and an allowed http -> https redirect; a body over the
 * limit; a server that accepts and never answers (timeout) and a closed port (refused). CNAME
 * pass (with and without a unique value), a wrong target, NXDOMAIN, a DNS server that never
 * answers (timeout), and a bad resolver setting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the above first */
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "orders/dcv.h"
#include "orders/dcv_check.h"
#include "tests/unit/certgen.h"

#define NGINX "/usr/sbin/nginx"
#define DNSMASQ "/usr/sbin/dnsmasq"
#define DOMAIN "example.test"

/* Values of made-up CSRs: one per case, so each has its own file name and CNAME. */
enum { V_OK, V_WRONG, V_MISSING, V_EVIL, V_TO_HTTPS, V_PORT, V_LOOP, V_BIG, V_UNIQUE, V_N };

struct fixture {
	char dir[64];
	struct dcv_values v[V_N];
	unsigned http_port, https_port, dns_port;
	pid_t nginx, dnsmasq;
	int silent_tcp, silent_udp;   /* sockets that never answer */
	unsigned silent_tcp_port, silent_udp_port, closed_port;
	struct dcv_host_map map[1];
	struct dcv_check_opts opts;
	const struct ca_profile *comodo, *sectigo;
	char cname_server[64];
};

/* ---------------------------------------------------------------- helpers */

/* A port free on 127.0.0.1 for TCP and UDP at the time of asking. */
static unsigned free_port(void)
{
	for (int tries = 0; tries < 50; tries++) {
		struct sockaddr_in a = { .sin_family = AF_INET };
		socklen_t len = sizeof(a);
		int t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
		unsigned port = 0;

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (t >= 0 && bind(t, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		    getsockname(t, (struct sockaddr *)&a, &len) == 0 && u >= 0 &&
		    bind(u, (struct sockaddr *)&a, sizeof(a)) == 0)
			port = ntohs(a.sin_port);
		if (t >= 0)
			close(t);
		if (u >= 0)
			close(u);
		if (port != 0)
			return port;
	}
	return 0;
}

/* A socket bound to 127.0.0.1:0 (listening for TCP) that is never read; its port in *port. */
static int silent_socket(int type, unsigned *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    (type == SOCK_STREAM && listen(s, 16) != 0) ||
	    getsockname(s, (struct sockaddr *)&a, &len) != 0) {
		if (s >= 0)
			close(s);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return s;
}

/* Starts argv[0] with output to log; the child copies the (const) arguments for execv. */
static pid_t spawn(const char *const argv[], const char *log)
{
	pid_t pid = fork();

	if (pid == 0) {
		char *copy[32];
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644), n = 0;

		/* a test binary that dies (an assert, a signal) takes its servers with it */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		for (; n < 31 && argv[n] != NULL; n++)
			copy[n] = strdup(argv[n]);
		copy[n] = NULL;
		execv(copy[0], copy);
		_exit(127);
	}
	return pid;
}

static void stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}

static int tcp_ready(unsigned port)
{
	for (int i = 0; i < 100; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		int s = socket(AF_INET, SOCK_STREAM, 0), ok;

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
		if (s >= 0)
			close(s);
		if (ok)
			return 0;
		usleep(50000);
	}
	return -1;
}

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static void values(struct fixture *fx)
{
	for (int i = 0; i < V_N; i++) {
		unsigned char md5[16], sha[32];

		for (int j = 0; j < 16; j++)
			md5[j] = (unsigned char)(0x11 * (i + 1) + j);
		for (int j = 0; j < 32; j++)
			sha[j] = (unsigned char)(0x23 * (i + 1) + 3 * j);
		dcv_values_from_digests(md5, sha, &fx->v[i]);
	}
}

/* ---------------------------------------------------------------- servers */

static int write_files(struct fixture *fx)
{
	char www[128], path[300], err[200], *big;
	struct cg_cert cert = { 0 };
	const struct cg_cert *chain[1] = { &cert };
	char tmp[64];
	FILE *f;
	int rc;

	snprintf(www, sizeof(www), "%s/www", fx->dir);
	if (mkdir(www, 0755) != 0)
		return -1;
	if (dcv_write_file(www, &fx->v[V_OK], fx->comodo, NULL, NULL, 0, err, sizeof(err)) != 0 ||
	    dcv_write_file(www, &fx->v[V_TO_HTTPS], fx->comodo, NULL, NULL, 0, err, sizeof(err)) != 0 ||
	    dcv_write_file(www, &fx->v[V_UNIQUE], fx->sectigo, "U1x2", NULL, 0, err, sizeof(err)) != 0 ||
	    /* the Sectigo domain where the Comodo one is expected: line 2 differs */
	    dcv_write_file(www, &fx->v[V_WRONG], fx->sectigo, NULL, NULL, 0, err, sizeof(err)) != 0) {
		fprintf(stderr, "dcv_write_file: %s\n", err);
		return -1;
	}
	big = malloc(DCV_MAX_BODY * 3);
	if (big == NULL)
		return -1;
	memset(big, 'a', DCV_MAX_BODY * 3 - 1);
	big[DCV_MAX_BODY * 3 - 1] = '\0';
	snprintf(path, sizeof(path), "%s/.well-known/pki-validation/%s.txt", www,
		 fx->v[V_BIG].md5_upper);
	rc = write_text(path, big);
	free(big);
	if (rc != 0)
		return -1;

	/* the HTTPS listener's certificate: self-signed, as before the order is issued */
	if (cg_make(&(struct cg_spec){ .cn = DOMAIN, .san = "DNS:" DOMAIN, .not_before = time(NULL) - 60,
				       .not_after = time(NULL) + 86400 }, &cert) != 0 ||
	    cg_write_pem(chain, 1, tmp) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/cert.pem", fx->dir);
	rc = rename(tmp, path);
	snprintf(path, sizeof(path), "%s/key.pem", fx->dir);
	f = fopen(path, "w");
	if (rc != 0 || f == NULL || !PEM_write_PrivateKey(f, cert.key, NULL, NULL, 0, NULL, NULL))
		rc = -1;
	if (f != NULL && fclose(f) != 0)
		rc = -1;
	cg_free(&cert);
	return rc;
}

static int start_nginx(struct fixture *fx)
{
	char conf[4096], path[128], log[128], tmp[128];
	const char *d = fx->dir;
	const char *pki = "/.well-known/pki-validation/";
	const char *const argv[] = { NGINX, "-p", fx->dir, "-c", path, "-e", log, NULL };

	snprintf(tmp, sizeof(tmp), "%s/tmp", d);
	if (mkdir(tmp, 0700) != 0)
		return -1;
	snprintf(conf, sizeof(conf),
		 "daemon off;\nmaster_process off;\npid %s/nginx.pid;\nerror_log %s/error.log warn;\n"
		 "events { worker_connections 64; }\n"
		 "http {\n"
		 " access_log off;\n client_body_temp_path %s/tmp;\n proxy_temp_path %s/tmp;\n"
		 " fastcgi_temp_path %s/tmp;\n uwsgi_temp_path %s/tmp;\n scgi_temp_path %s/tmp;\n"
		 " default_type text/plain;\n"
		 " server {\n  listen 127.0.0.1:%u;\n  server_name " DOMAIN ";\n  root %s/www;\n"
		 "  location = %s%s.txt { return 301 http://evil.test%s%s.txt; }\n"
		 "  location = %s%s.txt { return 301 https://" DOMAIN "%s%s.txt; }\n"
		 "  location = %s%s.txt { return 302 http://" DOMAIN ":8080%s%s.txt; }\n"
		 "  location = %s%s.txt { absolute_redirect off; return 302 %s%s.txt; }\n"
		 " }\n"
		 " server {\n  listen 127.0.0.1:%u ssl;\n  server_name " DOMAIN ";\n  root %s/www;\n"
		 "  ssl_certificate %s/cert.pem;\n  ssl_certificate_key %s/key.pem;\n"
		 " }\n"
		 "}\n",
		 d, d, d, d, d, d, d, fx->http_port, d,
		 pki, fx->v[V_EVIL].md5_upper, pki, fx->v[V_EVIL].md5_upper,
		 pki, fx->v[V_TO_HTTPS].md5_upper, pki, fx->v[V_TO_HTTPS].md5_upper,
		 pki, fx->v[V_PORT].md5_upper, pki, fx->v[V_PORT].md5_upper,
		 pki, fx->v[V_LOOP].md5_upper, pki, fx->v[V_LOOP].md5_upper,
		 fx->https_port, d, d, d);
	snprintf(path, sizeof(path), "%s/nginx.conf", d);
	snprintf(log, sizeof(log), "%s/error.log", d);
	if (write_text(path, conf) != 0)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s/nginx.out", d);
	fx->nginx = spawn(argv, tmp);
	if (fx->nginx < 0 || tcp_ready(fx->http_port) != 0 || tcp_ready(fx->https_port) != 0) {
		fprintf(stderr, "nginx did not start: see %s and %s/error.log\n", tmp, d);
		return -1;
	}
	return 0;
}

static int start_dnsmasq(struct fixture *fx)
{
	char port[32], cname[4][400], host[4][300], pidf[128], log[128], user[80], err[200];
	char name[DCV_DOMAIN_MAX + 1], target[256];
	const struct passwd *pw = getpwuid(getuid());
	const struct { int v; const struct ca_profile *ca; const char *unique; const char *to; } rec[] = {
		{ V_OK, fx->comodo, NULL, NULL },
		{ V_UNIQUE, fx->sectigo, "U1x2", NULL },
		{ V_WRONG, fx->comodo, NULL, "wrong.comodoca.com" },
	};
	const char *argv[24];
	int n = 0;

	snprintf(port, sizeof(port), "--port=%u", fx->dns_port);
	snprintf(pidf, sizeof(pidf), "--pid-file=%s/dnsmasq.pid", fx->dir);
	snprintf(user, sizeof(user), "--user=%s", pw ? pw->pw_name : "root");
	argv[n++] = DNSMASQ;
	argv[n++] = "--keep-in-foreground";
	argv[n++] = "--conf-file=/dev/null";
	argv[n++] = port;
	argv[n++] = "--listen-address=127.0.0.1";
	argv[n++] = "--bind-interfaces";
	argv[n++] = "--no-resolv";
	argv[n++] = "--no-hosts";
	argv[n++] = "--local=/" DOMAIN "/";
	argv[n++] = pidf;
	argv[n++] = user;
	for (size_t i = 0; i < sizeof(rec) / sizeof(rec[0]); i++) {
		size_t tl;

		if (dcv_cname(&fx->v[rec[i].v], rec[i].ca, DOMAIN, rec[i].unique, name, sizeof(name),
			      target, sizeof(target), err, sizeof(err)) != 0)
			return -1;
		if (rec[i].to != NULL)
			snprintf(target, sizeof(target), "%s.", rec[i].to);
		tl = strlen(target) - 1;  /* dnsmasq wants the names without the final dot */
		snprintf(cname[i], sizeof(cname[i]), "--cname=%s,%.*s", name, (int)tl, target);
		snprintf(host[i], sizeof(host[i]), "--host-record=%.*s,127.0.0.1", (int)tl, target);
		argv[n++] = cname[i];
		argv[n++] = host[i];
	}
	argv[n] = NULL;
	snprintf(log, sizeof(log), "%s/dnsmasq.out", fx->dir);
	fx->dnsmasq = spawn(argv, log);
	for (int i = 0; i < 100; i++) {
		struct stat st;

		snprintf(pidf, sizeof(pidf), "%s/dnsmasq.pid", fx->dir);
		if (stat(pidf, &st) == 0 && st.st_size > 0) {
			usleep(100000);
			return 0;
		}
		if (waitpid(fx->dnsmasq, NULL, WNOHANG) == fx->dnsmasq) {
			fx->dnsmasq = 0;
			break;
		}
		usleep(50000);
	}
	fprintf(stderr, "dnsmasq did not start: see %s\n", log);
	return -1;
}

static int group_teardown(void **state);

static int start_all(struct fixture *fx)
{
	if (access(NGINX, X_OK) != 0 || access(DNSMASQ, X_OK) != 0) {
		fprintf(stderr, "test_dcv_check: %s and %s are needed (sh tools/deps.sh installs them)\n",
			NGINX, DNSMASQ);
		return -1;
	}
	fx->comodo = ca_profile_find("comodo");
	fx->sectigo = ca_profile_find("sectigo");
	values(fx);
	strcpy(fx->dir, "/tmp/certsweep-dcvchk-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	fx->http_port = free_port();
	fx->https_port = free_port();
	fx->dns_port = free_port();
	fx->closed_port = free_port();
	fx->silent_tcp = silent_socket(SOCK_STREAM, &fx->silent_tcp_port);
	fx->silent_udp = silent_socket(SOCK_DGRAM, &fx->silent_udp_port);
	if (!fx->http_port || !fx->https_port || !fx->dns_port || !fx->closed_port ||
	    fx->silent_tcp < 0 || fx->silent_udp < 0)
		return -1;
	if (write_files(fx) != 0 || start_nginx(fx) != 0 || start_dnsmasq(fx) != 0)
		return -1;
	fx->map[0] = (struct dcv_host_map){ .host = DOMAIN, .addr = "127.0.0.1" };
	return 0;
}

/* cmocka runs no group teardown after a failed group setup: clean up here then. */
static int group_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	fx->silent_tcp = fx->silent_udp = -1;
	*state = fx;
	if (start_all(fx) != 0) {
		group_teardown(state);
		*state = NULL;
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	if (fx == NULL)
		return 0;
	stop(fx->nginx);
	stop(fx->dnsmasq);
	if (fx->silent_tcp >= 0)
		close(fx->silent_tcp);
	if (fx->silent_udp >= 0)
		close(fx->silent_udp);
	if (fx->dir[0] != '\0' && getenv("CERTSWEEP_KEEP_TEST_DIR") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
		if (system(cmd) != 0)
			return -1;
	}
	free(fx);
	return 0;
}

/* Fresh options per test: the loopback mappings, 3 s timeouts. */
static int setup(void **state)
{
	struct fixture *fx = *state;

	memset(&fx->opts, 0, sizeof(fx->opts));
	fx->opts.port_override.http = fx->http_port;
	fx->opts.port_override.https = fx->https_port;
	fx->opts.resolve = fx->map;
	fx->opts.n_resolve = 1;
	fx->opts.timeout_ms = 3000;
	snprintf(fx->cname_server, sizeof(fx->cname_server), "127.0.0.1:%u", fx->dns_port);
	fx->opts.dns_server = fx->cname_server;
	return 0;
}

static void expect(struct fixture *fx, enum dcv_method m, const char *domain, int v,
		   const struct ca_profile *ca, const char *unique, int pass, const char *reason)
{
	struct dcv_check_result r;

	assert_int_equal(dcv_check(m, domain, &fx->v[v], ca, unique, &fx->opts, &r), pass);
	assert_int_equal(r.pass, pass);
	assert_int_equal(r.method, m);
	if (strncmp(r.reason, reason, strlen(reason)) != 0)
		fail_msg("%s %s: reason '%s', expected '%s...' (at %s)", dcv_method_name(m), domain,
			 r.reason, reason, r.where);
}

/* ---------------------------------------------------------------- HTTP(S) */

static void test_http_pass(void **state)
{
	struct fixture *fx = *state;

	expect(fx, DCV_METHOD_HTTP, DOMAIN, V_OK, fx->comodo, NULL, 1, "ok");
	expect(fx, DCV_METHOD_HTTP, "*." DOMAIN, V_OK, fx->comodo, NULL, 1, "ok");
	expect(fx, DCV_METHOD_HTTPS, DOMAIN, V_OK, fx->comodo, NULL, 1, "ok");
	expect(fx, DCV_METHOD_HTTP, DOMAIN, V_UNIQUE, fx->sectigo, "U1x2", 1, "ok");
}

static void test_http_fail(void **state)
{
	struct fixture *fx = *state;

	expect(fx, DCV_METHOD_HTTP, DOMAIN, V_MISSING, fx->comodo, NULL, 0, "HTTP 404");
	expect(fx, DCV_METHOD_HTTP, DOMAIN, V_WRONG, fx->comodo, NULL, 0, "content differs: line 2");
	/* the unique value is expected on line 3 and is not there */
	expect(fx, DCV_METHOD_HTTP, DOMAIN, V_OK, fx->comodo, "abc", 0, "content differs: line 3");
	expect(fx, DCV_METHOD_HTTP, DOMAIN, V_BIG, fx->comodo, NULL, 0, "response body too large");
	/* the certificate is self-signed: a check that verifies it fails */
	fx->opts.verify_tls = 1;
	expect(fx, DCV_METHOD_HTTPS, DOMAIN, V_OK, fx->comodo, NULL, 0, "");
}

static void test_redirects(void **state)
{
	struct fixture *fx = *state;
	struct dcv_check_result r;

	expect(fx, DCV_METHOD_HTTP, DOMAIN, V_EVIL, fx->comodo, NULL, 0,
	       "redirect to another host not allowed");
	expect(fx, DCV_METHOD_HTTP, DOMAIN, V_PORT, fx->comodo, NULL, 0,
	       "redirect to port 8080 not allowed");
	expect(fx, DCV_METHOD_HTTP, DOMAIN, V_LOOP, fx->comodo, NULL, 0, "too many redirects");
	/* http -> https on the same name is allowed, and the file is then read over TLS */
	assert_int_equal(dcv_check(DCV_METHOD_HTTP, DOMAIN, &fx->v[V_TO_HTTPS], fx->comodo, NULL,
				   &fx->opts, &r), 1);
	assert_int_equal(strncmp(r.where, "https://" DOMAIN "/", 21), 0);
	fx->opts.max_redirects = -1;
	expect(fx, DCV_METHOD_HTTP, DOMAIN, V_TO_HTTPS, fx->comodo, NULL, 0, "redirects not allowed");
}

static void test_http_timeout_and_refused(void **state)
{
	struct fixture *fx = *state;
	struct timespec t0, t1;
	double secs;

	fx->opts.port_override.http = fx->silent_tcp_port;
	fx->opts.timeout_ms = 700;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect(fx, DCV_METHOD_HTTP, DOMAIN, V_OK, fx->comodo, NULL, 0, "timeout");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(secs >= 0.6 && secs < 3.0);
	fx->opts.port_override.http = fx->closed_port;
	expect(fx, DCV_METHOD_HTTP, DOMAIN, V_OK, fx->comodo, NULL, 0, "connection refused");
	expect(fx, DCV_METHOD_HTTP, "10.0.0.1", V_OK, fx->comodo, NULL, 0, "'10.0.0.1' is an IP");
}

/* ---------------------------------------------------------------- CNAME */

static void test_cname(void **state)
{
	struct fixture *fx = *state;

	expect(fx, DCV_METHOD_CNAME, DOMAIN, V_OK, fx->comodo, NULL, 1, "ok");
	expect(fx, DCV_METHOD_CNAME, "*.EXAMPLE.test.", V_OK, fx->comodo, NULL, 1, "ok");
	expect(fx, DCV_METHOD_CNAME, DOMAIN, V_UNIQUE, fx->sectigo, "U1x2", 1, "ok");
	expect(fx, DCV_METHOD_CNAME, DOMAIN, V_UNIQUE, fx->comodo, "U1x2", 0,
	       "CNAME points to ");
	expect(fx, DCV_METHOD_CNAME, DOMAIN, V_WRONG, fx->comodo, NULL, 0,
	       "CNAME points to wrong.comodoca.com.");
	expect(fx, DCV_METHOD_CNAME, DOMAIN, V_MISSING, fx->comodo, NULL, 0, "NXDOMAIN");
}

static void test_cname_timeout_and_bad_server(void **state)
{
	struct fixture *fx = *state;

	snprintf(fx->cname_server, sizeof(fx->cname_server), "127.0.0.1:%u", fx->silent_udp_port);
	fx->opts.timeout_ms = 700;
	expect(fx, DCV_METHOD_CNAME, DOMAIN, V_OK, fx->comodo, NULL, 0, "timeout");
	snprintf(fx->cname_server, sizeof(fx->cname_server), "dns.example.test");
	expect(fx, DCV_METHOD_CNAME, DOMAIN, V_OK, fx->comodo, NULL, 0, "bad DNS server");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_http_pass, setup),
		cmocka_unit_test_setup(test_http_fail, setup),
		cmocka_unit_test_setup(test_redirects, setup),
		cmocka_unit_test_setup(test_http_timeout_and_refused, setup),
		cmocka_unit_test_setup(test_cname, setup),
		cmocka_unit_test_setup(test_cname_timeout_and_bad_server, setup),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
