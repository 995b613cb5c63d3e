#!/bin/bash
# test_starttls_servers.sh: the ftp, postgres, mysql, ldap and xmpp STARTTLS modules against the
# real servers Debian 12 ships (vsftpd, PostgreSQL 15, MariaDB 10.11, OpenLDAP slapd 2.5 with
# GnuTLS, Prosody 0.12), each started here with a private configuration and a certificate made
# for it, and stopped again. SMTP/IMAP/POP3 are covered by test_scan.sh against nginx's mail module.
#
#   bash tests/integration/test_starttls_servers.sh PATH/TO/certsweep      (as root, about 5 s)
#
# Per protocol: `--starttls PROTO` gives status ok, the protocol's name, TLS 1.2 or 1.3 and, as
# chain[0], the very certificate file this server was given (SHA-256 of its DER); `--starttls
# auto` picks the protocol by its well-known port; one natural refusal (vsftpd without
# ssl_enable, PostgreSQL reloaded with ssl = off, MariaDB with --skip-ssl and with
# --skip-name-resolve, slapd without TLS, Prosody asked for a host it does not serve or for
# none) gives starttls_failed with the server's own reason. MariaDB also answers on a high port
# (--extra-port), where auto finds it by its greeting. FTP is never asserted under auto on a
# high port: its "220" greeting means SMTP there, by design.
#
# Where: a private network namespace (`ip netns`) when one can be made, so that every server
# listens on its well-known port of the namespace's own loopback (21, 5432, 3306, 389, 5222)
# without meeting the host's services or a parallel run, and certsweep runs inside it too.
# Without one (CERTSWEEP_NO_NETNS=1 forces this) the servers listen on free high ports of the
# host's 127.0.0.1 and the auto-by-port checks are skipped, saying why. Nothing listens on any
# other address.
#
# Servers run in the foreground as children of this script, as their own users where the server
# wants that (postgres, mysql, prosody; vsftpd and slapd as root), with everything under one
# temporary folder. The EXIT trap stops them (then SIGKILL after 10 s), removes the namespace and
# the folder; a watchdog does the same after CERTSWEEP_STARTTLS_LIFETIME seconds (default 300) if
# this script was killed outright. Before the closing line the script asserts that no process of
# its servers is left. A server whose package is missing is skipped with the reason.
CERTSWEEP=${1:?usage: test_starttls_servers.sh PATH/TO/certsweep}
CERTSWEEP=$(cd "$(dirname "$CERTSWEEP")" && pwd)/$(basename "$CERTSWEEP")
. "$(dirname "$0")/lib.sh"
PATH=/usr/sbin:/sbin:$PATH

[ "$(id -u)" -eq 0 ] || skip_all "test_starttls_servers.sh: needs root (servers run as their own users, vsftpd as root)"
[ -x "$CERTSWEEP" ] || { fail "no certsweep binary at $CERTSWEEP"; finish; exit 1; }

SKIP_COUNT=0
DONE=0
declare -A PID   # server name -> pid of the server process (a child of this script)
NSX=()           # command prefix that runs a command in the namespace, empty without one
NS=
NS_MADE=0
WATCHDOG=
T=$(mktemp -d "${TMPDIR:-/tmp}/certsweep-starttls.XXXXXX") || exit 1
chmod 711 "$T" # the servers' users reach their own sub-folders, list nothing
: >"$T/pids"

skip() {
	SKIP_COUNT=$((SKIP_COUNT + 1))
	echo "skip - $*"
}

# alive PID: the process exists and is not a zombie.
alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) && [ -n "$st" ] && [ "${st#Z}" = "$st" ]
}

# start NAME COMMAND...: runs a server in the background (in the namespace), output in
# $T/NAME.log, from $T (the service users may not enter the caller's folder).
start() {
	local name=$1
	shift
	(cd "$T" && exec "${NSX[@]}" "$@") >"$T/$name.log" 2>&1 &
	PID[$name]=$!
	echo "$!" >>"$T/pids"
}

# stop NAME [SIGNAL]: signals the server, waits up to 10 s, then SIGKILL; reaps it.
stop() {
	local pid=${PID[$1]:-} i
	[ -n "$pid" ] || return 0
	kill -"${2:-TERM}" "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	if alive "$pid"; then
		echo "# $1 (pid $pid) ignored SIG${2:-TERM} for 10 s: SIGKILL"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	unset "PID[$1]"
}

servers_down() {
	local n
	for n in "${!PID[@]}"; do
		case $n in
		pg*) stop "$n" INT ;; # fast shutdown; TERM would wait for clients
		*) stop "$n" ;;
		esac
	done
}

listening() { # PORT: something listens on 127.0.0.1:PORT (of the namespace)
	"${NSX[@]}" ss -Htln "sport = :$1" 2>/dev/null | grep -q .
}

# wait_port NAME PORT: 0 once the server listens (up to 20 s); else a failure with its log.
wait_port() {
	local i
	for ((i = 0; i < 200; i++)); do
		listening "$2" && return 0
		alive "${PID[$1]}" || break
		sleep 0.1
	done
	fail "$1: the server does not listen on 127.0.0.1:$2; its log ends with: $(tail -n 5 "$T/$1.log" | tr '\n' ' ')"
	return 1
}

# wait_log NAME TEXT: 0 once the server's log holds TEXT (up to 10 s).
wait_log() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -qF -- "$2" "$T/$1.log" && return 0
		sleep 0.1
	done
	fail "$1: '$2' never appeared in its log"
	return 1
}

# pick_port: a free high port of the host's loopback (only without a namespace).
USED_PORTS=" "
pick_port() {
	local p
	while :; do
		p=$((30000 + RANDOM % 2700))
		case $USED_PORTS in *" $p "*) continue ;; esac
		listening "$p" && continue
		USED_PORTS="$USED_PORTS$p "
		echo "$p"
		return
	done
}

# make_cert NAME: a self-signed RSA-2048 leaf for NAME.test (and 127.0.0.1) in $T/certs.
make_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/O=certsweep test servers/CN=$1.test" \
		-addext "subjectAltName=DNS:$1.test,DNS:localhost,IP:127.0.0.1" \
		-keyout "$T/certs/$1.key" -out "$T/certs/$1.crt" 2>"$T/certs/$1.err"
}

cert_sha256() {
	openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1
}

# install_cert NAME DIR OWNER: copies NAME's certificate and key into DIR as server.crt and
# server.key (0600), owned by OWNER; prints nothing.
install_cert() {
	install -o "$3" -m 0644 "$T/certs/$1.crt" "$2/server.crt"
	install -o "$3" -m 0600 "$T/certs/$1.key" "$2/server.key"
}

# scan NAME ARGS...: certsweep scan in the namespace; its NDJSON record lands in REC. Asserts a
# clean exit (0, nothing printed under -q: a sanitizer report would show here).
REC=
scan() {
	local name=$1 rc=0
	shift
	"${NSX[@]}" "$CERTSWEEP" scan -q --db "$T/inventory.db" --json "$T/$name.json" \
		--timeout 3s --retries 0 "$@" >"$T/$name.out" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ] && [ ! -s "$T/$name.out" ]; then
		pass "$name: certsweep exits 0 quietly"
	else
		fail "$name: certsweep exit $rc, printed: $(head -c 600 "$T/$name.out")"
	fi
	REC=$(cat "$T/$name.json" 2>/dev/null)
}

# check_ok NAME PROTO CERTFILE: REC is a successful STARTTLS + handshake presenting CERTFILE.
check_ok() {
	local f st proto ver sha errtext
	f=$(jq -r '[.status, (.starttls // "-"), (.tls.version // "-"), (.chain[0].sha256 // "-"),
		(.error // "")] | join("|")' <<<"$REC" 2>/dev/null)
	IFS='|' read -r st proto ver sha errtext <<<"$f"
	assert_eq ok "$st" "$1: status ok${errtext:+ (error: $errtext)}"
	assert_eq "$2" "$proto" "$1: STARTTLS $2 recorded"
	case $ver in
	TLSv1.2 | TLSv1.3) pass "$1: TLS version $ver" ;;
	*) fail "$1: TLS version: expected TLSv1.2 or TLSv1.3, got '$ver'" ;;
	esac
	assert_eq "$(cert_sha256 "$3")" "$sha" "$1: leaf is the configured certificate ($(basename "$3"))"
}

# check_fail NAME TEXT: REC is starttls_failed with an error holding TEXT.
check_fail() {
	assert_eq starttls_failed "$(jq -r .status <<<"$REC" 2>/dev/null)" "$1: status starttls_failed"
	assert_contains "$(jq -r .error <<<"$REC" 2>/dev/null)" "$2" "$1: the server's reason is reported"
}

# need NAME CMD...: 0 when every command exists, else a skip naming what is missing.
need() {
	local name=$1 c
	shift
	for c in "$@"; do
		if ! command -v "$c" >/dev/null 2>&1 && [ ! -x "$c" ]; then
			skip "$name: $c not found (its Debian package is in tools/deps.sh: run sh tools/deps.sh as root)"
			return 1
		fi
	done
}

cleanup() {
	servers_down
	if [ -n "$WATCHDOG" ]; then
		kill "$WATCHDOG" 2>/dev/null
		wait "$WATCHDOG" 2>/dev/null
		WATCHDOG=
	fi
	[ "$NS_MADE" -eq 1 ] && ip netns del "$NS" 2>/dev/null
	NS_MADE=0
	if [ "${CERTSWEEP_KEEP_FARM:-0}" = 1 ]; then
		echo "kept $T"
	else
		rm -rf "$T"
	fi
}

closing_line() {
	DONE=1
	echo "integration: $PASS_COUNT passed, $FAIL_COUNT failed$([ "$SKIP_COUNT" -gt 0 ] && echo ", $SKIP_COUNT skipped")"
	[ "$FAIL_COUNT" -eq 0 ] && [ "$PASS_COUNT" -gt 0 ]
}

on_exit() {
	local st=$?
	cleanup
	farm_down
	if [ "$DONE" -eq 0 ]; then
		fail "script ended before its closing line (exit status $st)"
		closing_line
		exit 1
	fi
	exit "$st"
}
trap on_exit EXIT

# ---------------------------------------------------------------- namespace, ports, certificates
if [ "${CERTSWEEP_NO_NETNS:-0}" = 1 ]; then
	NO_NS_WHY="CERTSWEEP_NO_NETNS=1"
else
	NS=certsweep-starttls-$$
	if ip netns add "$NS" 2>"$T/netns.err"; then
		NS_MADE=1
		if ip netns exec "$NS" ip link set lo up 2>>"$T/netns.err"; then
			NSX=(ip netns exec "$NS")
		fi
	fi
	NO_NS_WHY="ip netns: $(head -c 200 "$T/netns.err" | tr '\n' ' ')"
fi
if [ ${#NSX[@]} -gt 0 ]; then
	echo "# servers in network namespace $NS, on their well-known ports"
	P_FTP=21 P_FTP_PLAIN=2121 P_PG=5432 P_MY=3306 P_MY_HIGH=33306 P_LDAP=389 P_LDAP_PLAIN=3389 P_XMPP=5222
else
	echo "# no network namespace ($NO_NS_WHY): servers on high ports of the host's 127.0.0.1"
	P_FTP=$(pick_port) P_FTP_PLAIN=$(pick_port) P_PG=$(pick_port) P_MY=$(pick_port)
	P_MY_HIGH=$(pick_port) P_LDAP=$(pick_port) P_LDAP_PLAIN=$(pick_port) P_XMPP=$(pick_port)
fi
WELL_KNOWN=0
[ "$P_PG" = 5432 ] && WELL_KNOWN=1

# auto_by_port NAME PROTO CERT [ARGS...]: --starttls auto on the protocol's well-known port.
auto_by_port() {
	local name=$1 proto=$2 cert=$3 port=$4
	shift 4
	if [ "$WELL_KNOWN" -eq 1 ]; then
		scan "$name-auto" --starttls auto "$@" "127.0.0.1:$port"
		check_ok "$name: --starttls auto on port $port" "$proto" "$cert"
	else
		skip "$name: --starttls auto by well-known port $port needs a network namespace ($NO_NS_WHY)"
	fi
}

# The watchdog: if this script is killed outright, stop its servers anyway.
(
	trap 'kill "$s" 2>/dev/null; exit 0' TERM
	sleep "${CERTSWEEP_STARTTLS_LIFETIME:-300}" &
	s=$!
	wait "$s"
	while read -r p; do kill -TERM "$p"; done <"$T/pids"
	sleep 2
	while read -r p; do kill -KILL "$p"; done <"$T/pids"
	[ -n "$NS" ] && ip netns del "$NS"
	rm -rf "$T"
) >/dev/null 2>&1 &
WATCHDOG=$!

mkdir -p "$T/certs"
jobs_=()
for c in ftp postgres mysql ldap xmpp; do
	make_cert "$c" &
	jobs_+=($!)
done
wait "${jobs_[@]}"
for c in ftp postgres mysql ldap xmpp; do
	[ -s "$T/certs/$c.crt" ] || fail "certificate for $c: $(cat "$T/certs/$c.err")"
done
cd "$T" || exit 1

# ---------------------------------------------------------------- FTP: vsftpd, AUTH TLS
ftp_conf() { # PORT SSL(YES|NO)
	cat <<EOF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$1
background=NO
anonymous_enable=NO
local_enable=YES
xferlog_enable=NO
secure_chroot_dir=$T/ftp/empty
ssl_enable=$2
rsa_cert_file=$T/ftp/server.crt
rsa_private_key_file=$T/ftp/server.key
EOF
}
if need ftp vsftpd; then
	mkdir -p "$T/ftp/empty"
	install_cert ftp "$T/ftp" root
	ftp_conf "$P_FTP" YES >"$T/ftp/vsftpd.conf"
	ftp_conf "$P_FTP_PLAIN" NO >"$T/ftp/plain.conf"
	start ftp vsftpd "$T/ftp/vsftpd.conf"
	start ftp-plain vsftpd "$T/ftp/plain.conf"
	if wait_port ftp "$P_FTP" && wait_port ftp-plain "$P_FTP_PLAIN"; then
		scan ftp --starttls ftp "127.0.0.1:$P_FTP"
		check_ok "ftp: vsftpd AUTH TLS" ftp "$T/ftp/server.crt"
		auto_by_port ftp ftp "$T/ftp/server.crt" 21
		scan ftp-plain --starttls ftp "127.0.0.1:$P_FTP_PLAIN"
		check_fail "ftp: vsftpd without ssl_enable" 'FTP AUTH TLS refused: "530 Please login with USER and PASS."'
	fi
	stop ftp
	stop ftp-plain
fi

# ---------------------------------------------------------------- PostgreSQL: SSLRequest
# The ssl settings live in an included file rather than on the command line (-c wins over the
# files, even on reload), so that the same server can be reloaded with ssl = off.
PGBIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
if need postgres "$PGBIN/initdb" "$PGBIN/postgres" && id postgres >/dev/null 2>&1; then
	AS_PG=(setpriv --reuid=postgres --regid=postgres --init-groups)
	mkdir -p "$T/pg"
	chown postgres: "$T/pg"
	if (cd "$T" && "${AS_PG[@]}" "$PGBIN/initdb" -D "$T/pg/data" -A trust -U postgres --no-sync \
		-E UTF8 --locale=C) >"$T/pg-initdb.log" 2>&1; then
		install_cert postgres "$T/pg" postgres
		printf "ssl = on\nssl_cert_file = '%s'\nssl_key_file = '%s'\n" \
			"$T/pg/server.crt" "$T/pg/server.key" >"$T/pg/data/ssl.conf"
		chown postgres: "$T/pg/data/ssl.conf"
		echo "include 'ssl.conf'" >>"$T/pg/data/postgresql.conf"
		start pg "${AS_PG[@]}" "$PGBIN/postgres" -D "$T/pg/data" -c listen_addresses=127.0.0.1 \
			-c port="$P_PG" -k "$T/pg" -c logging_collector=off -c fsync=off
		if wait_port pg "$P_PG" && wait_log pg "ready to accept connections"; then
			scan postgres --starttls postgres "127.0.0.1:$P_PG"
			check_ok "postgres: PostgreSQL SSLRequest" postgres "$T/pg/server.crt"
			auto_by_port postgres postgres "$T/pg/server.crt" 5432
			echo "ssl = off" >"$T/pg/data/ssl.conf"
			kill -HUP "${PID[pg]}"
			if wait_log pg 'parameter "ssl" changed to "off"'; then
				scan postgres-nossl --starttls postgres "127.0.0.1:$P_PG"
				check_fail "postgres: reloaded with ssl = off" "postgres: server does not support SSL"
			fi
		fi
		stop pg INT
	else
		fail "postgres: initdb failed: $(tail -n 5 "$T/pg-initdb.log" | tr '\n' ' ')"
	fi
fi

# ---------------------------------------------------------------- MySQL: MariaDB SSLRequest
if need mysql mariadb-install-db mariadbd && id mysql >/dev/null 2>&1; then
	AS_MY=(setpriv --reuid=mysql --regid=mysql --init-groups)
	mkdir -p "$T/my"
	chown mysql: "$T/my"
	install_cert mysql "$T/my" mysql
	my_start() { # extra mariadbd options
		start my "${AS_MY[@]}" mariadbd --no-defaults --datadir="$T/my/data" --port="$P_MY" \
			--bind-address=127.0.0.1 --socket="$T/my/sock" --pid-file="$T/my/pid" \
			--skip-log-bin --innodb-buffer-pool-size=16M "$@"
		wait_port my "$P_MY"
	}
	SSL_OPTS=(--ssl-cert="$T/my/server.crt" --ssl-key="$T/my/server.key")
	if (cd "$T" && "${AS_MY[@]}" mariadb-install-db --no-defaults --datadir="$T/my/data" \
		--auth-root-authentication-method=socket --skip-test-db) >"$T/my-install.log" 2>&1; then
		if my_start "${SSL_OPTS[@]}" --extra-port="$P_MY_HIGH" && wait_port my "$P_MY_HIGH"; then
			scan mysql --starttls mysql "127.0.0.1:$P_MY"
			check_ok "mysql: MariaDB SSLRequest" mysql "$T/my/server.crt"
			auto_by_port mysql mysql "$T/my/server.crt" 3306
			# Not a well-known port: the TLS attempt meets the MySQL greeting, the engine
			# switches to mysql (one attempt: a protocol switch is not a retry).
			scan mysql-greeting --starttls auto "127.0.0.1:$P_MY_HIGH"
			check_ok "mysql: --starttls auto by greeting on port $P_MY_HIGH" mysql "$T/my/server.crt"
			assert_eq 1 "$(jq -r .attempts <<<"$REC")" "mysql: the switch by greeting is not a retry"
		fi
		stop my
		if my_start --skip-ssl; then
			scan mysql-nossl --starttls mysql "127.0.0.1:$P_MY"
			check_fail "mysql: MariaDB with --skip-ssl" "MySQL server does not support SSL"
		fi
		stop my
		# With --skip-name-resolve, 127.0.0.1 matches none of the install's localhost
		# accounts: the server sends an ERR packet instead of its greeting.
		if my_start "${SSL_OPTS[@]}" --skip-name-resolve; then
			scan mysql-denied --starttls mysql "127.0.0.1:$P_MY"
			check_fail "mysql: MariaDB refusing the host" "MySQL error 1130: \"Host '127.0.0.1' is not allowed to connect"
		fi
		stop my
	else
		fail "mysql: mariadb-install-db failed: $(tail -n 5 "$T/my-install.log" | tr '\n' ' ')"
	fi
fi

# ---------------------------------------------------------------- LDAP: slapd StartTLS
# slapd.conf with no database at all: the root DSE and the StartTLS operation are all we need.
if need ldap slapd; then
	mkdir -p "$T/ldap"
	install_cert ldap "$T/ldap" root
	printf 'pidfile %s\nargsfile %s\nTLSCertificateFile %s\nTLSCertificateKeyFile %s\n' \
		"$T/ldap/tls.pid" "$T/ldap/tls.args" "$T/ldap/server.crt" "$T/ldap/server.key" \
		>"$T/ldap/slapd.conf"
	printf 'pidfile %s\nargsfile %s\n' "$T/ldap/plain.pid" "$T/ldap/plain.args" >"$T/ldap/plain.conf"
	start ldap slapd -h "ldap://127.0.0.1:$P_LDAP/" -f "$T/ldap/slapd.conf" -d 0
	start ldap-plain slapd -h "ldap://127.0.0.1:$P_LDAP_PLAIN/" -f "$T/ldap/plain.conf" -d 0
	if wait_port ldap "$P_LDAP" && wait_port ldap-plain "$P_LDAP_PLAIN"; then
		scan ldap --starttls ldap "127.0.0.1:$P_LDAP"
		check_ok "ldap: slapd StartTLS" ldap "$T/ldap/server.crt"
		auto_by_port ldap ldap "$T/ldap/server.crt" 389
		scan ldap-plain --starttls ldap "127.0.0.1:$P_LDAP_PLAIN"
		check_fail "ldap: slapd without TLS" "ldap: LDAP StartTLS refused (resultCode "
	fi
	stop ldap
	stop ldap-plain
fi

# ---------------------------------------------------------------- XMPP: Prosody c2s STARTTLS
# The stream header's to= is the SNI (--sni), else the target's host name: Prosody ends the
# stream with <host-unknown/> when it names no VirtualHost.
if need xmpp prosody && id prosody >/dev/null 2>&1; then
	mkdir -p "$T/xmpp/data" "$T/xmpp/certs"
	install_cert xmpp "$T/xmpp" prosody
	cat >"$T/xmpp/prosody.cfg.lua" <<EOF
pidfile = "$T/xmpp/prosody.pid"
data_path = "$T/xmpp/data"
certificates = "$T/xmpp/certs"
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_ports = { $P_XMPP }
c2s_direct_tls_ports = { }
legacy_ssl_ports = { }
s2s_ports = { }
modules_enabled = { "tls", "saslauth" }
modules_disabled = { "s2s" }
c2s_require_encryption = true
log = { { levels = { min = "info" }, to = "console" } }
VirtualHost "xmpp.test"
	ssl = { certificate = "$T/xmpp/server.crt", key = "$T/xmpp/server.key" }
EOF
	chown -R prosody: "$T/xmpp"
	start xmpp setpriv --reuid=prosody --regid=prosody --init-groups prosody -F \
		--config "$T/xmpp/prosody.cfg.lua"
	if wait_port xmpp "$P_XMPP"; then
		scan xmpp --starttls xmpp --sni xmpp.test "127.0.0.1:$P_XMPP"
		check_ok "xmpp: Prosody STARTTLS (to='xmpp.test')" xmpp "$T/xmpp/server.crt"
		auto_by_port xmpp xmpp "$T/xmpp/server.crt" 5222 --sni xmpp.test
		scan xmpp-unknown --starttls xmpp --sni unknown.test "127.0.0.1:$P_XMPP"
		check_fail "xmpp: Prosody asked for to='unknown.test'" 'xmpp: XMPP stream error: "host-unknown"'
		# An address alone: today the header goes without to= ("improper-addressing"); were
		# the address sent as to=, Prosody would answer "host-unknown". Either way, a name
		# (--sni) is needed to scan an XMPP server.
		scan xmpp-noname --starttls xmpp "127.0.0.1:$P_XMPP"
		check_fail "xmpp: Prosody given no host name" 'xmpp: XMPP stream error: "'
	fi
	stop xmpp
fi

# ---------------------------------------------------------------- nothing left behind
servers_down
left=$(pgrep -f -- "$T" | tr '\n' ' ')
[ "$NS_MADE" -eq 1 ] && left="$left$(ip netns pids "$NS" 2>/dev/null | tr '\n' ' ')"
assert_eq "" "${left// /}" "every server process is gone (pids: ${left:-none})"
closing_line
