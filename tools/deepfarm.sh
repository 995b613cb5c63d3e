#!/bin/sh
# deepfarm.sh: real TLS servers with controlled configurations for `certsweep analyze` (the deep
# analysis: protocols, cipher suites, server order, key exchange, extensions, HSTS, the grade).
#
#   sh tools/deepfarm.sh start DIR     (re)start the servers whose state lives in DIR
#   sh tools/deepfarm.sh status DIR    what runs; exit 0 when all of it runs, 3 otherwise
#   sh tools/deepfarm.sh verify DIR    nmap's ssl-enum-ciphers against every server, compared
#                                      with the expectations (protocols, suites, order); exit 1
#                                      on any difference. An independent check of the farm itself
#   sh tools/deepfarm.sh stop DIR      stop all it started; safe to call twice
#
# Where: in a private network namespace (`ip netns`, as root) when one can be made, so that
# gnutls-serv and `openssl ocsp -port`, which have no listen-address option and bind every
# address, meet nothing but the namespace's own loopback; run clients there with
# `ip netns exec $(cat DIR/netns) ...`. Without a namespace (not root, or CERTSWEEP_NO_NETNS=1)
# the servers listen on the host's 127.0.0.1, the gnutls-serv ones are left out (DIR/skipped
# says so) and nginx staples a response that `openssl ocsp` made offline. Either way every
# listener is 127.0.0.1:BASE+offset, BASE being CERTSWEEP_DEEP_BASE (default 24400).
#
# The servers (the offsets and expectations are the layout below; tools/README.md explains
# each expectation and where sslscan or testssl.sh see it differently):
#   0 modern      nginx, TLS 1.2+1.3, ECDHE+AEAD only, server order, HSTS one year, h2
#   1 nohsts      the same without HSTS
#   2 hstsshort   the same with HSTS max-age=86400
#   3 tls10only   nginx, TLS 1.0 only, nginx's default HIGH:!aNULL:!MD5 at SECLEVEL=0
#   4 tls11only   openssl s_server, TLS 1.1 only, DEFAULT at SECLEVEL=0, client renegotiation
#   5 nullsuites  openssl s_server, TLS 1.2, -cipher NULL:@SECLEVEL=0 (NULL encryption only)
#   6 nofs        nginx, TLS 1.2, AES128-GCM-SHA256 then AES256-SHA (RSA key exchange only)
#   7 dh1024      openssl s_server, TLS 1.2, DHE-RSA suites only, a 1024-bit dhparam
#   8 ocsp        nginx like modern with OCSP stapling from `openssl ocsp` on offset 9
#  10 gnutls3des  gnutls-serv, TLS 1.0-1.3 with 3DES, server order, heartbeat extension
#  11 gnutlsrc4   gnutls-serv, TLS 1.0-1.3 with RC4 (ARCFOUR-128), client order
#  12 garbage     tools/badserver.py afterhello: a ServerHello, then garbage
#  13 insecurereneg gnutls-serv, TLS 1.2, %DISABLE_SAFE_RENEGOTIATION: no RFC 5746, and it
#                 renegotiates when the client asks (insecurely)
#
# Written to DIR: deep.tsv (tab-separated, '#' header, '-' when empty):
#   name addr port sni software protocols findings optional severity grade
# protocols: the versions the server accepts, from SSLv2 SSLv3 TLSv1.0 TLSv1.1 TLSv1.2 TLSv1.3.
# findings: the configuration findings (proto.* cipher.* kex.* reneg.* compression.enabled
# vuln.heartbleed fallback_scsv.missing ocsp.no_stapling hsts.* ct.no_sct) an analysis must
# report, no more, no fewer, apart from the `optional` ones, which it may report or not (the
# README says why each is undecidable). severity: id=severity pins. grade: the letter, '-' when
# the analysis cannot succeed (garbage).
# expected/NAME.PROTO: the IANA names of the suites accepted, one a line, in the server's
# preference order when it imposes one; expected/NAME.PROTO.order: `yes` (server order), `no`
# (client order) or `-` (one suite: no order to see). expected/NAME.facts: `JQ-EXPR<TAB>JSON`
# lines, each a jq expression over the analysis JSON and the value it must give.
# Also: netns (the namespace's name, empty without one), nginx.conf, logs, pid files in run/.
#
# Environment: CERTSWEEP_DEEP_BASE; CERTSWEEP_PKI (the test PKI, default DIR/pki, made by
# tools/testpki.sh); CERTSWEEP_DEEP_LIFETIME (seconds, default 1800: then a watchdog stops the
# farm); CERTSWEEP_NO_NETNS=1. Processes are found again only through their pid files, each
# checked against /proc (its command line names DIR), so a recycled pid is never signalled;
# in a namespace, whatever still runs in it when it is deleted is ours by construction.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)

die() {
	echo "deepfarm: $*" >&2
	exit 1
}

usage() {
	die "usage: deepfarm.sh start|stop|status|verify DIR"
}

deep_base() {
	b=${CERTSWEEP_DEEP_BASE:-24400}
	case $b in '' | *[!0-9]*) die "CERTSWEEP_DEEP_BASE must be a number" ;; esac
	if [ "$b" -lt 1024 ] || [ "$b" -gt 65000 ]; then
		die "CERTSWEEP_DEEP_BASE must be in 1024..65000"
	fi
	echo "$b"
}

# name|offset|software|sni|protocols|findings|optional|severity|grade
# Derived from the servers themselves (nmap ssl-enum-ciphers, sslscan, openssl s_client,
# gnutls-cli; see tools/README.md), not from their documentation.
layout() {
	cat <<'EOF'
modern|0|nginx|good.test|TLSv1.2 TLSv1.3|ocsp.no_stapling ct.no_sct|-|-|A+
nohsts|1|nginx|good.test|TLSv1.2 TLSv1.3|hsts.missing ocsp.no_stapling ct.no_sct|-|-|A
hstsshort|2|nginx|good.test|TLSv1.2 TLSv1.3|hsts.short ocsp.no_stapling ct.no_sct|-|-|A
tls10only|3|nginx|good.test|TLSv1.0|proto.tls10 proto.no_tls13 cipher.no_aead hsts.missing ocsp.no_stapling ct.no_sct|-|-|C
tls11only|4|openssl-s_server|-|TLSv1.1|proto.tls11 proto.no_tls13 cipher.no_aead reneg.client_initiated hsts.missing ocsp.no_stapling ct.no_sct|-|-|C
nullsuites|5|openssl-s_server|-|TLSv1.2|cipher.weak cipher.no_aead proto.no_tls13 ocsp.no_stapling ct.no_sct|cipher.no_forward_secrecy hsts.missing|cipher.weak=critical|F
nofs|6|nginx|good.test|TLSv1.2|cipher.no_forward_secrecy proto.no_tls13 hsts.missing ocsp.no_stapling ct.no_sct|-|-|B
dh1024|7|openssl-s_server|-|TLSv1.2|kex.weak_dh proto.no_tls13 hsts.missing ocsp.no_stapling ct.no_sct|-|-|B
ocsp|8|nginx|good.test|TLSv1.2 TLSv1.3|ct.no_sct|-|-|A+
gnutls3des|10|gnutls-serv|-|TLSv1.0 TLSv1.1 TLSv1.2 TLSv1.3|cipher.weak proto.tls10 proto.tls11 reneg.client_initiated hsts.missing ocsp.no_stapling ct.no_sct|-|-|B
gnutlsrc4|11|gnutls-serv|-|TLSv1.0 TLSv1.1 TLSv1.2 TLSv1.3|cipher.weak proto.tls10 proto.tls11 reneg.client_initiated hsts.missing ocsp.no_stapling ct.no_sct|-|-|C
garbage|12|badserver.py-afterhello|-|-|-|-|-|-
insecurereneg|13|gnutls-serv|-|TLSv1.2|reneg.insecure reneg.client_initiated proto.no_tls13 hsts.missing ocsp.no_stapling ct.no_sct|-|-|F
EOF
}

OCSP_OFFSET=9

# The suites each server accepts, per protocol: "@NAME PROTO ORDER" then one IANA name a line,
# in the server's order when ORDER is yes (client order: the order does not matter). Read off
# nmap's ssl-enum-ciphers (which offers the whole registry from its own code and sorts by the
# server's choices), cross-checked with sslscan --show-cipher-ids, `openssl ciphers -V -stdname`
# for the OpenSSL servers and `gnutls-cli -l --priority ...` for the GnuTLS ones; `verify`
# compares them with nmap again.
suites() {
	for n in modern nohsts hstsshort ocsp; do
		# nginx with ssl_prefer_server_ciphers on: the ssl_ciphers order for TLS 1.2; OpenSSL's
		# default TLS 1.3 list, in its order (server preference applies to TLS 1.3 too).
		cat <<EOF
@$n TLSv1.2 yes
TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
@$n TLSv1.3 yes
TLS_AES_256_GCM_SHA384
TLS_CHACHA20_POLY1305_SHA256
TLS_AES_128_GCM_SHA256
EOF
	done
	# tls10only: no DHE (nginx sets no DH parameters unless ssl_dhparam is given), no ECDSA
	# (RSA leaf). tls11only: s_server sets automatic DH parameters, so DHE is there; OpenSSL's
	# DEFAULT leaves CAMELLIA out. nullsuites: the PSK ones need a PSK callback, which s_server
	# sets only with -psk. dh1024: all 17 TLS 1.2 DHE-RSA suites of `openssl ciphers -V
	# -stdname -tls1_2 'kDHE+aRSA'`. gnutls*: `gnutls-cli -l --priority` order, which lists key
	# exchanges ECDHE-RSA, RSA, DHE-RSA and within each the ciphers.
	cat <<'EOF'
@tls10only TLSv1.0 no
TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA
TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
TLS_RSA_WITH_AES_256_CBC_SHA
TLS_RSA_WITH_CAMELLIA_256_CBC_SHA
TLS_RSA_WITH_AES_128_CBC_SHA
TLS_RSA_WITH_CAMELLIA_128_CBC_SHA
@tls11only TLSv1.1 no
TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA
TLS_DHE_RSA_WITH_AES_256_CBC_SHA
TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
TLS_DHE_RSA_WITH_AES_128_CBC_SHA
TLS_RSA_WITH_AES_256_CBC_SHA
TLS_RSA_WITH_AES_128_CBC_SHA
@nullsuites TLSv1.2 no
TLS_ECDHE_RSA_WITH_NULL_SHA
TLS_ECDH_anon_WITH_NULL_SHA
TLS_RSA_WITH_NULL_SHA256
TLS_RSA_WITH_NULL_SHA
TLS_RSA_WITH_NULL_MD5
@nofs TLSv1.2 yes
TLS_RSA_WITH_AES_128_GCM_SHA256
TLS_RSA_WITH_AES_256_CBC_SHA
@dh1024 TLSv1.2 no
TLS_DHE_RSA_WITH_AES_256_GCM_SHA384
TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256
TLS_DHE_RSA_WITH_AES_256_CCM_8
TLS_DHE_RSA_WITH_AES_256_CCM
TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384
TLS_DHE_RSA_WITH_AES_128_GCM_SHA256
TLS_DHE_RSA_WITH_AES_128_CCM_8
TLS_DHE_RSA_WITH_AES_128_CCM
TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256
TLS_DHE_RSA_WITH_AES_256_CBC_SHA256
TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256
TLS_DHE_RSA_WITH_AES_128_CBC_SHA256
TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256
TLS_DHE_RSA_WITH_AES_256_CBC_SHA
TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA
TLS_DHE_RSA_WITH_AES_128_CBC_SHA
TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA
EOF
	for p in TLSv1.0 TLSv1.1; do
		cat <<EOF
@gnutls3des $p yes
TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA
TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA
TLS_RSA_WITH_AES_256_CBC_SHA
TLS_RSA_WITH_AES_128_CBC_SHA
TLS_RSA_WITH_3DES_EDE_CBC_SHA
TLS_DHE_RSA_WITH_AES_256_CBC_SHA
TLS_DHE_RSA_WITH_AES_128_CBC_SHA
TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA
@gnutlsrc4 $p no
TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA
TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
TLS_ECDHE_RSA_WITH_RC4_128_SHA
TLS_RSA_WITH_AES_256_CBC_SHA
TLS_RSA_WITH_AES_128_CBC_SHA
TLS_RSA_WITH_RC4_128_SHA
TLS_DHE_RSA_WITH_AES_256_CBC_SHA
TLS_DHE_RSA_WITH_AES_128_CBC_SHA
EOF
	done
	cat <<'EOF'
@gnutls3des TLSv1.2 yes
TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA
TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA
TLS_RSA_WITH_AES_256_GCM_SHA384
TLS_RSA_WITH_AES_256_CCM
TLS_RSA_WITH_AES_256_CBC_SHA
TLS_RSA_WITH_AES_128_GCM_SHA256
TLS_RSA_WITH_AES_128_CCM
TLS_RSA_WITH_AES_128_CBC_SHA
TLS_RSA_WITH_3DES_EDE_CBC_SHA
TLS_DHE_RSA_WITH_AES_256_GCM_SHA384
TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256
TLS_DHE_RSA_WITH_AES_256_CCM
TLS_DHE_RSA_WITH_AES_256_CBC_SHA
TLS_DHE_RSA_WITH_AES_128_GCM_SHA256
TLS_DHE_RSA_WITH_AES_128_CCM
TLS_DHE_RSA_WITH_AES_128_CBC_SHA
TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA
@gnutls3des TLSv1.3 yes
TLS_AES_256_GCM_SHA384
TLS_CHACHA20_POLY1305_SHA256
TLS_AES_128_GCM_SHA256
TLS_AES_128_CCM_SHA256
@gnutlsrc4 TLSv1.2 no
TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA
TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
TLS_ECDHE_RSA_WITH_RC4_128_SHA
TLS_RSA_WITH_AES_256_GCM_SHA384
TLS_RSA_WITH_AES_256_CCM
TLS_RSA_WITH_AES_256_CBC_SHA
TLS_RSA_WITH_AES_128_GCM_SHA256
TLS_RSA_WITH_AES_128_CCM
TLS_RSA_WITH_AES_128_CBC_SHA
TLS_RSA_WITH_RC4_128_SHA
TLS_DHE_RSA_WITH_AES_256_GCM_SHA384
TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256
TLS_DHE_RSA_WITH_AES_256_CCM
TLS_DHE_RSA_WITH_AES_256_CBC_SHA
TLS_DHE_RSA_WITH_AES_128_GCM_SHA256
TLS_DHE_RSA_WITH_AES_128_CCM
TLS_DHE_RSA_WITH_AES_128_CBC_SHA
@gnutlsrc4 TLSv1.3 no
TLS_AES_256_GCM_SHA384
TLS_CHACHA20_POLY1305_SHA256
TLS_AES_128_GCM_SHA256
TLS_AES_128_CCM_SHA256
@insecurereneg TLSv1.2 no
TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA
TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
TLS_RSA_WITH_AES_256_GCM_SHA384
TLS_RSA_WITH_AES_256_CCM
TLS_RSA_WITH_AES_256_CBC_SHA
TLS_RSA_WITH_AES_128_GCM_SHA256
TLS_RSA_WITH_AES_128_CCM
TLS_RSA_WITH_AES_128_CBC_SHA
TLS_DHE_RSA_WITH_AES_256_GCM_SHA384
TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256
TLS_DHE_RSA_WITH_AES_256_CCM
TLS_DHE_RSA_WITH_AES_256_CBC_SHA
TLS_DHE_RSA_WITH_AES_128_GCM_SHA256
TLS_DHE_RSA_WITH_AES_128_CCM
TLS_DHE_RSA_WITH_AES_128_CBC_SHA
EOF
}

# NAME<TAB>JQ-EXPR<TAB>JSON per line: facts beyond protocols, suites and findings, each seen on
# the server itself (openssl s_client -status, -msg with `R` for renegotiation, sslscan's DHE
# sizes, testssl's heartbeat line). Suite attributes are the IANA registry's.
facts() {
	for n in modern nohsts hstsshort ocsp tls10only tls11only nullsuites nofs dh1024 \
		gnutls3des gnutlsrc4; do
		# RFC 5746 renegotiation_info: all of them (s_client: "Secure Renegotiation IS
		# supported"). The test checks `.status == "ok"` of every TLS server itself.
		printf '%s\t.extensions.secure_renegotiation\ttrue\n' "$n"
	done
	for n in gnutls3des gnutlsrc4; do
		# TLS 1.0 to 1.3: a downgraded hello with TLS_FALLBACK_SCSV gets inappropriate_fallback
		printf '%s\t.extensions.fallback_scsv\ttrue\n' "$n"
	done
	for n in modern nohsts hstsshort ocsp; do
		# TLS 1.2 and 1.3 only: OpenSSL does answer a TLS 1.2 hello carrying the SCSV with
		# inappropriate_fallback (sslscan: "supports"), but TLS 1.3 has its own downgrade
		# sentinel and testssl calls this "no fallback possible": true or null, never false.
		printf '%s\t.extensions.fallback_scsv != false\ttrue\n' "$n"
	done
	for n in modern nohsts hstsshort ocsp tls10only nofs; do
		printf '%s\t.sni\t"good.test"\n' "$n"
	done
	cat <<'EOF'
modern	.hsts.present	true
modern	.hsts.max_age	31536000
modern	.extensions.ocsp_stapling	false
modern	.extensions.client_renegotiation	false
modern	(.extensions.alpn // "") | split(",") | index("h2") != null	true
modern	(["x25519", "secp256r1", "secp384r1"] - .groups) | length	0
modern	.ciphers["TLSv1.2"].suites[0] | [.id, .openssl, .bits, .fs, .aead, .weak]	["0xc02f","ECDHE-RSA-AES128-GCM-SHA256",128,true,true,null]
modern	.ciphers["TLSv1.3"].suites[0] | [.id, .bits, .fs, .aead, .weak]	["0x1302",256,true,true,null]
nohsts	.hsts.checked	true
nohsts	.hsts.present	false
hstsshort	.hsts.present	true
hstsshort	.hsts.max_age	86400
ocsp	.extensions.ocsp_stapling	true
ocsp	.hsts.max_age	31536000
tls11only	.extensions.client_renegotiation	true
tls11only	.dh_bits	2048
nullsuites	[.ciphers["TLSv1.2"].suites[] | .bits] | unique	[0]
nullsuites	[.ciphers["TLSv1.2"].suites[] | .weak | type] | unique	["string"]
nofs	[.ciphers["TLSv1.2"].suites[] | .fs] | unique	[false]
nofs	.ciphers["TLSv1.2"].suites | map(.aead)	[true,false]
dh1024	.dh_bits	1024
dh1024	[.ciphers["TLSv1.2"].suites[] | .fs] | unique	[true]
gnutls3des	.dh_bits	2048
gnutls3des	.extensions.heartbeat	true
gnutls3des	.extensions.heartbleed	false
gnutls3des	.extensions.client_renegotiation	true
gnutls3des	[.ciphers["TLSv1.2"].suites[] | select(.name | test("3DES")) | [.bits, (.weak != null)]] | unique	[[112,true]]
gnutlsrc4	.extensions.client_renegotiation	true
gnutlsrc4	[.ciphers["TLSv1.0"].suites[] | select(.name | test("RC4")) | .id] | sort	["0x0005","0xc011"]
insecurereneg	.extensions.secure_renegotiation	false
insecurereneg	.extensions.client_renegotiation	true
garbage	.status | IN("handshake_failed", "not_tls")	true
garbage	(.error // "") | length > 0	true
garbage	[(.protocols // {})[] | select(. == true)] | length	0
EOF
}

# pid_of FILE: the pid in FILE when that process is alive and its command line names DIR.
pid_of() {
	[ -f "$1" ] || return 0
	p=$(head -n 1 "$1" 2>/dev/null || true)
	case $p in '' | *[!0-9]*) return 0 ;; esac
	[ -r "/proc/$p/cmdline" ] || return 0
	if tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -- "$DIR/"; then
		echo "$p"
	fi
}

# alive PID: the process exists and is not a zombie (orphans wait for their reaper a while).
alive() {
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ]
}

# wait_gone PID SECONDS: 0 once PID has exited, 1 if it is still there after SECONDS.
wait_gone() {
	n=$(($2 * 10))
	while alive "$1"; do
		[ "$n" -gt 0 ] || return 1
		n=$((n - 1))
		sleep 0.1
	done
	return 0
}

netns_name() {
	[ -f "$DIR/netns" ] && cat "$DIR/netns"
	return 0
}

# NSX: the command prefix that runs a command in the farm's namespace (empty without one).
set_nsx() {
	NS=$(netns_name)
	NSX=
	[ -n "$NS" ] && NSX="ip netns exec $NS"
	return 0
}

stop_watchdog() {
	[ -f "$DIR/run/watchdog.pid" ] || return 0
	p=$(head -n 1 "$DIR/run/watchdog.pid" 2>/dev/null || true)
	case $p in '' | *[!0-9]*) return 0 ;; esac
	if [ -r "/proc/$p/cmdline" ] &&
		tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -- "certsweep-deepfarm-watchdog $DIR "; then
		kill -TERM "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true
		wait_gone "$p" 5 || true
	fi
}

# cmd_stop: TERM to every process of the farm at once, up to 5 s for them to go, then KILL.
cmd_stop() {
	[ -d "$DIR/run" ] || [ -f "$DIR/netns" ] || return 0
	rm -f "$DIR/run/started"
	stop_watchdog
	pids='' names=''
	pid=$(pid_of "$DIR/nginx.pid")
	if [ -n "$pid" ]; then
		pids="$pid $(pgrep -P "$pid" 2>/dev/null | tr '\n' ' ')"
		names="nginx($pid)"
	fi
	for f in "$DIR"/run/*.pid; do
		[ -f "$f" ] || continue
		name=$(basename "$f" .pid)
		[ "$name" = watchdog ] && continue
		pid=$(pid_of "$f")
		if [ -n "$pid" ]; then
			pids="$pids $pid"
			names="$names $name($pid)"
		fi
		rm -f "$f"
	done
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $pids; do
		if ! wait_gone "$p" 5; then
			echo "deepfarm: $p ignored TERM, killing" >&2
			kill -KILL "$p" 2>/dev/null || true
		fi
	done
	[ -n "$names" ] && echo "deepfarm: stopped$(echo " $names" | tr -s ' ')"
	NS=$(netns_name)
	if [ -n "$NS" ]; then
		# The namespace is ours: anything left in it was started by this farm.
		left=$(ip netns pids "$NS" 2>/dev/null || true)
		for p in $left; do
			kill -KILL "$p" 2>/dev/null || true
		done
		ip netns del "$NS" 2>/dev/null || true
		echo "deepfarm: namespace $NS deleted"
	fi
	rm -f "$DIR/netns" "$DIR/nginx.pid" "$DIR/run/watchdog.pid"
}

cmd_status() {
	rc=0
	if [ ! -f "$DIR/deep.tsv" ]; then
		echo "no deep farm in $DIR"
		return 3
	fi
	set_nsx
	[ -n "$NS" ] && echo "namespace: $NS (run clients with: ip netns exec $NS ...)"
	pid=$(pid_of "$DIR/nginx.pid")
	if [ -n "$pid" ]; then
		echo "nginx: running, pid $pid"
	else
		echo "nginx: not running"
		rc=3
	fi
	for f in "$DIR"/run/*.pid; do
		[ -f "$f" ] || continue
		name=$(basename "$f" .pid)
		[ "$name" = watchdog ] && continue
		pid=$(pid_of "$f")
		if [ -n "$pid" ]; then
			echo "$name: running, pid $pid"
		else
			echo "$name: not running"
			rc=3
		fi
	done
	while IFS="$TAB" read -r name addr port _rest; do
		case $name in '#'*) continue ;; esac
		if $NSX ss -Htln "sport = :$port" 2>/dev/null | grep -q .; then
			echo "$name: listening on $addr:$port"
		else
			echo "$name: nothing listens on $addr:$port"
			rc=3
		fi
	done <"$DIR/deep.tsv"
	[ -f "$DIR/skipped" ] && sed 's/^/skipped: /' "$DIR/skipped"
	return "$rc"
}

listening() {
	$NSX ss -Htln "sport = :$1" 2>/dev/null | grep -q .
}

# wait_listen NAME PORT PIDFILE: up to 10 s for the server to listen; dies with its log if not.
wait_listen() {
	n=100
	while ! listening "$2"; do
		if [ "$n" -le 0 ] || { [ -n "$3" ] && [ -z "$(pid_of "$3")" ]; }; then
			tail -n 20 "$DIR/log/$1.log" >&2 2>/dev/null || true
			cmd_stop >/dev/null 2>&1 || true
			die "$1 does not listen on 127.0.0.1:$2"
		fi
		n=$((n - 1))
		sleep 0.1
	done
}

# spawn NAME COMMAND...: runs a server in the background (in the namespace), in its own
# session, output in log/NAME.log, pid in run/NAME.pid. `ip netns exec` and setsid exec
# without forking here (the job is not a process group leader), so $! is the server itself.
spawn() {
	name=$1
	shift
	# shellcheck disable=SC2086 # NSX is a word list on purpose
	setsid $NSX "$@" </dev/null >"$DIR/log/$name.log" 2>&1 &
	echo "$!" >"$DIR/run/$name.pid"
}

# ---------------------------------------------------------------- configuration writers

nginx_server() { # NAME PORT PROTOCOLS CIPHERS PREFER(on|off) [EXTRA LINES...]
	name=$1 port=$2 protos=$3 ciphers=$4 prefer=$5
	shift 5
	h2=
	case $protos in *TLSv1.3*) h2=" http2" ;; esac
	cat <<EOF
	server {
		listen 127.0.0.1:$port ssl$h2;
		server_name good.test;
		ssl_certificate $DIR/tls/good.fullchain.pem;
		ssl_certificate_key $DIR/tls/good.key;
		ssl_protocols $protos;
		ssl_ciphers "$ciphers";
		ssl_prefer_server_ciphers $prefer;
EOF
	for line in "$@"; do
		printf '\t\t%s\n' "$line"
	done
	cat <<EOF
		location / { return 200 "certsweep deep farm: $name\n"; }
	}
EOF
}

write_nginx_conf() {
	base=$1
	# Mozilla's "intermediate" TLS 1.2 list: the ECDSA suites cannot be used with the RSA leaf,
	# so the server accepts only the three ECDHE-RSA ones.
	modern="ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"
	modern="$modern:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
	hsts_year='add_header Strict-Transport-Security "max-age=31536000" always;'
	{
		echo "# generated by tools/deepfarm.sh; rewritten on every start"
		[ "$(id -u)" -eq 0 ] && echo "user root;"
		cat <<EOF
daemon on;
worker_processes 1;
pid $DIR/nginx.pid;
error_log $DIR/log/nginx-error.log warn;
events { worker_connections 512; }
http {
	access_log off;
	client_body_temp_path $DIR/tmp/body;
	proxy_temp_path $DIR/tmp/proxy;
	fastcgi_temp_path $DIR/tmp/fastcgi;
	uwsgi_temp_path $DIR/tmp/uwsgi;
	scgi_temp_path $DIR/tmp/scgi;
	default_type text/plain;
EOF
		nginx_server modern $((base + 0)) "TLSv1.2 TLSv1.3" "$modern" on "$hsts_year"
		nginx_server nohsts $((base + 1)) "TLSv1.2 TLSv1.3" "$modern" on
		nginx_server hstsshort $((base + 2)) "TLSv1.2 TLSv1.3" "$modern" on \
			'add_header Strict-Transport-Security "max-age=86400" always;'
		# nginx's default ssl_ciphers; TLS 1.0 needs security level 0 with OpenSSL 3.
		nginx_server tls10only $((base + 3)) "TLSv1" "HIGH:!aNULL:!MD5:@SECLEVEL=0" off
		nginx_server nofs $((base + 6)) "TLSv1.2" "AES128-GCM-SHA256:AES256-SHA" on
		# The responder URL is a literal address: no resolver needed. nginx fetches the
		# response on the first handshakes that ask for it (cmd_start warms it up). Without
		# a namespace there is no responder (`openssl ocsp -port` binds every address): the
		# same responder code then answers offline, and nginx staples that file.
		if [ -n "$NS" ]; then
			stapling="ssl_stapling_responder http://127.0.0.1:$((base + OCSP_OFFSET))/;"
		else
			stapling="ssl_stapling_file $DIR/ocsp/good.resp.der;"
		fi
		nginx_server ocsp $((base + 8)) "TLSv1.2 TLSv1.3" "$modern" on "$hsts_year" \
			"ssl_stapling on;" "$stapling" "ssl_trusted_certificate $DIR/tls/ca-chain.pem;"
		echo "}"
	} >"$DIR/nginx.conf"
}

# The OCSP responder's index: the good leaf, valid (openssl ca's index.txt format).
write_ocsp_index() {
	serial=$(openssl x509 -in "$DIR/tls/good.crt" -noout -serial | sed 's/^serial=//')
	end=$(openssl x509 -in "$DIR/tls/good.crt" -noout -enddate | sed 's/^notAfter=//')
	end=$(date -u -d "$end" +%y%m%d%H%M%SZ)
	subj=$(openssl x509 -in "$DIR/tls/good.crt" -noout -subject -nameopt compat | sed 's/^subject=//')
	printf 'V\t%s\t\t%s\tunknown\t%s\n' "$end" "$serial" "$subj" >"$DIR/ocsp/index.txt"
	echo "unique_subject = no" >"$DIR/ocsp/index.txt.attr"
}

# ---------------------------------------------------------------- expectations

write_expectations() {
	base=$1 with_gnutls=$2
	rm -rf "$DIR/expected"
	mkdir -p "$DIR/expected"
	: >"$DIR/skipped"
	{
		printf '# name\taddr\tport\tsni\tsoftware\tprotocols\tfindings\toptional\tseverity\tgrade\n'
		layout | while IFS='|' read -r name off soft sni protos findings optional sev grade; do
			if [ "$soft" = gnutls-serv ] && [ "$with_gnutls" = 0 ]; then
				printf '%s\t%s\n' "$name" "$GNUTLS_WHY" >>"$DIR/skipped"
				continue
			fi
			printf '%s\t127.0.0.1\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$((base + off))" \
				"$sni" "$soft" "$protos" "$findings" "$optional" "$sev" "$grade"
		done
	} >"$DIR/deep.tsv"
	suites | awk -v d="$DIR/expected" '
		/^@/ { f = d "/" substr($1, 2) "." $2; print $3 > (f ".order"); close(f ".order")
		       printf "" > f; next }
		NF { print $1 >> f }'
	# facts() lines are NAME<TAB>JQ<TAB>JSON: split the name off
	facts | while IFS="$TAB" read -r name expr val; do
		[ -n "$name" ] || continue
		printf '%s\t%s\n' "$expr" "$val" >>"$DIR/expected/$name.facts"
	done
}

# ---------------------------------------------------------------- start

start_watchdog() {
	life=${CERTSWEEP_DEEP_LIFETIME:-1800}
	case $life in '' | *[!0-9]*) die "CERTSWEEP_DEEP_LIFETIME must be a number of seconds" ;; esac
	# shellcheck disable=SC2016 # expanded by the inner shell
	setsid sh -c '
		echo $$ >"$1/run/watchdog.pid"
		end=$(($(date +%s) + $2))
		while [ "$(date +%s)" -lt "$end" ]; do
			sleep 2
			[ -f "$1/run/started" ] || exit 0
		done
		echo "deepfarm: lifetime of $2 s is over, stopping" >>"$1/log/watchdog.log"
		exec sh "$3" stop "$1"
	' certsweep-deepfarm-watchdog "$DIR" "$life" "$HERE/deepfarm.sh" \
		</dev/null >>"$DIR/log/watchdog.log" 2>&1 &
}

make_netns() {
	NO_NS_WHY=
	if [ "${CERTSWEEP_NO_NETNS:-0}" = 1 ]; then
		NO_NS_WHY="CERTSWEEP_NO_NETNS=1"
	elif [ "$(id -u)" -ne 0 ]; then
		NO_NS_WHY="not root"
	elif ! command -v ip >/dev/null; then
		NO_NS_WHY="no ip command"
	else
		ns="certsweep-deep-$(printf '%s' "$DIR" | cksum | cut -d' ' -f1)"
		ip netns del "$ns" 2>/dev/null || true
		if ip netns add "$ns" 2>"$DIR/log/netns.err" &&
			ip netns exec "$ns" ip link set lo up 2>>"$DIR/log/netns.err"; then
			echo "$ns" >"$DIR/netns"
		else
			ip netns del "$ns" 2>/dev/null || true
			NO_NS_WHY="ip netns: $(head -c 200 "$DIR/log/netns.err" | tr '\n' ' ')"
		fi
	fi
	set_nsx
}

# s_server NAME PORT ARGS...: openssl s_server answering `GET /` with its status page.
s_server() {
	name=$1 port=$2
	shift 2
	spawn "$name" openssl s_server -accept "127.0.0.1:$port" -cert "$DIR/tls/good.crt" \
		-key "$DIR/tls/good.key" -cert_chain "$DIR/tls/ca-chain.pem" -www -quiet "$@"
}

gnutls_serv() { # NAME PORT PRIORITY [ARGS...]
	name=$1 port=$2 prio=$3
	shift 3
	spawn "$name" gnutls-serv --http -q -p "$port" --x509certfile "$DIR/tls/good.fullchain.pem" \
		--x509keyfile "$DIR/tls/good.key" --priority "$prio" "$@"
}

cmd_start() {
	for c in nginx openssl python3 ss; do
		command -v "$c" >/dev/null || die "$c not found (run tools/deps.sh as root)"
	done
	base=$(deep_base)
	cmd_stop >/dev/null
	PKI=${CERTSWEEP_PKI:-$DIR/pki}
	sh "$HERE/testpki.sh" "$PKI" >/dev/null
	PKI=$(cd "$PKI" && pwd)
	rm -rf "$DIR/run" "$DIR/log" "$DIR/tmp" "$DIR/tls" "$DIR/ocsp"
	mkdir -p "$DIR/run" "$DIR/log" "$DIR/tmp" "$DIR/tls" "$DIR/ocsp"
	# Copies, so that every server's command line names DIR (pid_of) and the farm is
	# self-contained. The good leaf carries IP:127.0.0.1 and DNS:good.test.
	cp "$PKI/good.crt" "$PKI/good.key" "$PKI/good.fullchain.pem" "$DIR/tls/"
	cp "$PKI/pref-int-ca.crt" "$PKI/pref-int-ca.key" "$DIR/tls/"
	cat "$PKI/pref-int-ca.crt" >"$DIR/tls/ca-chain.pem"
	chmod 600 "$DIR/tls/"*.key
	if [ ! -s "$DIR/dh1024.pem" ]; then
		openssl dhparam -out "$DIR/dh1024.pem.tmp" 1024 2>/dev/null
		mv "$DIR/dh1024.pem.tmp" "$DIR/dh1024.pem"
	fi

	make_netns
	with_gnutls=1
	if [ -z "$NS" ]; then
		with_gnutls=0
		GNUTLS_WHY="gnutls-serv binds every address: it runs only in a network namespace ($NO_NS_WHY)"
		echo "deepfarm: no network namespace ($NO_NS_WHY): servers on the host's 127.0.0.1," \
			"gnutls-serv left out" >&2
		p=$base
		while [ "$p" -le $((base + 13)) ]; do
			listening "$p" && die "127.0.0.1:$p: Address already in use"
			p=$((p + 1))
		done
	elif ! command -v gnutls-serv >/dev/null; then
		with_gnutls=0
		GNUTLS_WHY="gnutls-serv not found (run tools/deps.sh as root)"
	fi
	write_expectations "$base" "$with_gnutls"
	touch "$DIR/run/started"

	# OCSP responder first: nginx asks it on the first stapling handshakes.
	write_ocsp_index
	set -- -index "$DIR/ocsp/index.txt" -rsigner "$DIR/tls/pref-int-ca.crt" \
		-rkey "$DIR/tls/pref-int-ca.key" -CA "$DIR/tls/pref-int-ca.crt" -ndays 1
	if [ -n "$NS" ]; then
		spawn ocsp-responder openssl ocsp "$@" -port $((base + OCSP_OFFSET))
	else
		openssl ocsp -issuer "$DIR/tls/pref-int-ca.crt" -cert "$DIR/tls/good.crt" \
			-reqout "$DIR/ocsp/good.req.der" >/dev/null 2>&1
		openssl ocsp "$@" -reqin "$DIR/ocsp/good.req.der" -respout "$DIR/ocsp/good.resp.der" \
			>"$DIR/log/ocsp-offline.log" 2>&1 || die "openssl ocsp: no offline response"
	fi
	s_server tls11only $((base + 4)) -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' -client_renegotiation
	s_server nullsuites $((base + 5)) -tls1_2 -cipher 'NULL:@SECLEVEL=0'
	s_server dh1024 $((base + 7)) -tls1_2 -cipher 'kDHE+aRSA:@SECLEVEL=0' -dhparam "$DIR/dh1024.pem"
	if [ "$with_gnutls" = 1 ]; then
		gnutls_serv gnutls3des $((base + 10)) \
			'NORMAL:+VERS-TLS1.0:+VERS-TLS1.1:+3DES-CBC:%SERVER_PRECEDENCE' --heartbeat
		gnutls_serv gnutlsrc4 $((base + 11)) 'NORMAL:+VERS-TLS1.0:+VERS-TLS1.1:+ARCFOUR-128'
		gnutls_serv insecurereneg $((base + 13)) \
			'NORMAL:-VERS-ALL:+VERS-TLS1.2:%DISABLE_SAFE_RENEGOTIATION'
	fi
	spawn garbage python3 "$HERE/badserver.py" --pidfile "$DIR/run/garbage.pid" \
		--lifetime "${CERTSWEEP_DEEP_LIFETIME:-1800}" "afterhello=127.0.0.1:$((base + 12))"

	write_nginx_conf "$base"
	# daemon on: the master has bound every listener by the time this returns.
	# shellcheck disable=SC2086 # NSX is a word list on purpose
	if ! $NSX nginx -p "$DIR/" -c "$DIR/nginx.conf" -e "$DIR/log/nginx-error.log" \
		</dev/null >>"$DIR/log/nginx.out" 2>&1; then
		tail -n 20 "$DIR/log/nginx.out" "$DIR/log/nginx-error.log" >&2
		cmd_stop >/dev/null 2>&1 || true
		die "nginx failed to start (config: $DIR/nginx.conf)"
	fi
	start_watchdog

	[ -n "$NS" ] && wait_listen ocsp-responder $((base + OCSP_OFFSET)) "$DIR/run/ocsp-responder.pid"
	while IFS="$TAB" read -r name _addr port _sni soft _rest; do
		case $name in '#'*) continue ;; esac
		pidf="$DIR/run/$name.pid"
		[ "$soft" = nginx ] && pidf=
		wait_listen "$name" "$port" "$pidf"
	done <"$DIR/deep.tsv"
	warm_ocsp $((base + 8))
	echo "deepfarm: started in $DIR: $(grep -vc '^#' "$DIR/deep.tsv") servers" \
		"(base $base${NS:+, namespace $NS})"
}

# warm_ocsp PORT: handshakes asking for a staple until nginx has one (it fetches lazily).
warm_ocsp() {
	n=50
	while :; do
		if $NSX openssl s_client -connect "127.0.0.1:$1" -servername good.test -status \
			</dev/null 2>/dev/null | grep -q 'OCSP Response Status: successful'; then
			return 0
		fi
		if [ "$n" -le 0 ]; then
			tail -n 5 "$DIR/log/nginx-error.log" "$DIR/log/ocsp-responder.log" >&2
			cmd_stop >/dev/null 2>&1 || true
			die "ocsp: nginx never stapled a response"
		fi
		n=$((n - 1))
		sleep 0.2
	done
}

# ---------------------------------------------------------------- verify

# nmap's ssl-enum-ciphers output as lines "PORT PROTO SUITE" and "PORT PROTO =PREFERENCE"
# (server, client, indeterminate), and "PORT SSLv2 -" from the sslv2 script. nmap calls the
# TLS 1.3 suites TLS_AKE_WITH_*: the IANA names drop the AKE_WITH_.
parse_nmap() {
	awk '
		/^[0-9]+\/tcp/ { split($1, a, "/"); port = a[1]; proto = ""; inc = 0; next }
		/^\|   (SSLv3|TLSv1\.[0-3]): *$/ { proto = $2; sub(":", "", proto); inc = 0; next }
		/^\|     ciphers: *$/ { inc = 1; next }
		/^\|     [a-z]/ { inc = 0 }
		/cipher preference:/ { if (proto != "") print port, proto, "=" $NF; next }
		inc && /^\|       TLS_/ { s = $2; sub(/^TLS_AKE_WITH_/, "TLS_", s); print port, proto, s; next }
		/^\|   SSLv2 supported/ { print port, "SSLv2", "-" }
	' "$1"
}

# verify: every server's protocols, suites and order as nmap sees them, against the expectations.
cmd_verify() {
	[ -f "$DIR/deep.tsv" ] || die "no deep farm in $DIR"
	command -v nmap >/dev/null || die "nmap not found (run tools/deps.sh as root)"
	set_nsx
	ports=$(awk -F '\t' '!/^#/ && $6 != "-" { printf "%s%s", sep, $3; sep = "," }' "$DIR/deep.tsv")
	[ -n "$ports" ] || die "no TLS server in $DIR/deep.tsv"
	# shellcheck disable=SC2086 # NSX is a word list on purpose
	$NSX nmap -Pn -n -p "$ports" --script ssl-enum-ciphers,sslv2 127.0.0.1 \
		>"$DIR/log/nmap.txt" 2>&1 || die "nmap failed: $(tail -n 3 "$DIR/log/nmap.txt")"
	parse_nmap "$DIR/log/nmap.txt" >"$DIR/log/nmap.parsed"
	rc=0
	while IFS="$TAB" read -r name _addr port _sni _soft protos _rest; do
		case $name in '#'*) continue ;; esac
		[ "$protos" = - ] && continue
		bad=
		got=$(awk -v p="$port" '$1 == p { print $2 }' "$DIR/log/nmap.parsed" | sort -u |
			awk '{ o = index("SSLv2 SSLv3 TLSv1.0 TLSv1.1 TLSv1.2 TLSv1.3", $1); print o, $1 }' |
			sort -n | cut -d' ' -f2 | paste -sd' ' -)
		[ "$got" = "$protos" ] || bad="$bad protocols: nmap sees '$got', expected '$protos';"
		for proto in $protos; do
			[ "$proto" = SSLv2 ] && continue # SSLv2 cipher kinds are no IANA suites
			f="$DIR/expected/$name.$proto"
			awk -v p="$port" -v v="$proto" '$1 == p && $2 == v && $3 !~ /^=/ { print $3 }' \
				"$DIR/log/nmap.parsed" >"$DIR/log/nmap.$name.$proto"
			pref=$(awk -v p="$port" -v v="$proto" '$1 == p && $2 == v && $3 ~ /^=/ { print substr($3, 2) }' \
				"$DIR/log/nmap.parsed")
			order=$(cat "$f.order" 2>/dev/null || echo missing)
			case $order in
			yes)
				cmp -s "$f" "$DIR/log/nmap.$name.$proto" || bad="$bad $proto suites or their order differ;"
				[ "$pref" = server ] || bad="$bad $proto: nmap says the $pref orders;"
				;;
			no)
				[ "$(sort "$f")" = "$(sort "$DIR/log/nmap.$name.$proto")" ] ||
					bad="$bad $proto suites differ;"
				[ "$pref" = client ] || bad="$bad $proto: nmap says the $pref orders;"
				;;
			-) cmp -s "$f" "$DIR/log/nmap.$name.$proto" || bad="$bad $proto suites differ;" ;;
			*) bad="$bad no expectation for $proto;" ;;
			esac
			if [ -n "$bad" ] && [ -f "$f" ]; then
				diff "$f" "$DIR/log/nmap.$name.$proto" | sed "s/^/  $name $proto: /" >&2 || true
			fi
		done
		if [ -n "$bad" ]; then
			echo "verify $name: DIFFERS:$bad"
			rc=1
		else
			echo "verify $name: nmap agrees ($protos)"
		fi
	done <"$DIR/deep.tsv"
	return "$rc"
}

main() {
	[ $# -eq 2 ] || usage
	cmd=$1
	mkdir -p "$2"
	DIR=$(cd "$2" && pwd)
	# DIR is written unquoted into nginx.conf
	case $DIR in *[!A-Za-z0-9._/+-]*) die "DIR may hold only letters, digits and ._/+-" ;; esac
	TAB=$(printf '\t')
	NS='' NSX='' GNUTLS_WHY=''
	case $cmd in
	start) cmd_start ;;
	stop) cmd_stop ;;
	status) cmd_status ;;
	verify) cmd_verify ;;
	*) usage ;;
	esac
}

main "$@"
