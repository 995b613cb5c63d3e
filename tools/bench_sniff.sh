#!/usr/bin/env bash
# bench_sniff.sh: the passive-discovery benchmark (make bench runs it after bench_report.sh).
# Everything on loopback; run as root (tcpdump captures on lo).
#
#   1. A template capture: tcpdump on lo, filtered to this run's ports, while clients talk to the
#      test farm (tools/farm.sh) and to two `openssl s_server -WWW` (the farm PKI's RSA `good`
#      and ECDSA `ecdsa` chains, at BASE+50 and BASE+51) that serve a 64 KiB file. Each round
#      (BENCH_SNIFF_ROUNDS, default 4) makes 13 connections:
#        - 4 TLS 1.2 downloads of the 64 KiB file (2 RSA, 2 ECDSA; curl --tlsv1.2 --tls-max 1.2);
#        - 6 TLS 1.2 requests for the farm's short pages (chains of 1 to 3 certificates);
#        - 2 TLS 1.3 sessions (a 64 KiB download, a short page): no certificate in the clear;
#        - 1 SMTP STARTTLS session in TLS 1.2 (openssl s_client) against the farm's mail server.
#      So most bytes are application data and the rest handshakes, as in a real capture.
#   2. tools/mkpcap (built by `make bench` next to certsweep, in BUILD/tools/) replicates the
#      template's connections with new loopback addresses, client ports and sequence numbers,
#      the servers on ports 443 (HTTPS) and 587 (SMTP) as in a real capture, until the
#      capture holds BENCH_SNIFF_SIZE bytes (default 1G; shrunk, with a message, when the disk
#      has not that much plus a tenth and 1 GiB free, or the memory not twice that plus 512 MiB
#      for tshark), BENCH_SNIFF_INTERLEAVE (default 64) connections at a time, segments cut to
#      an Ethernet MSS of 1448 bytes.
#   3. In the same run, on the same file (read once first, so both read it from the page cache),
#      each under /usr/bin/time -v (wall, user+sys, peak RSS; both matter on a shared machine):
#        certsweep sniff -r FILE --db DB -q
#        tshark -r FILE -Y tls.handshake.certificate -T fields -e frame.number -e tcp.stream
#               -e tls.handshake.certificate_length      (one pass, one line per Certificate
#                                                         message; the extra fields count the
#                                                         connections and certificates)
#      then certsweep once more without -q for its counts. Reported: MB/s and packets/s of both,
#      the ratio (the goal is 10x), and the counts, which must agree: TLS <= 1.2 connections
#      with certificates (certsweep: handshakes - TLS 1.3 ones; tshark: connections with a
#      Certificate message) and certificates.
# Environment: BENCH_SNIFF_SIZE, BENCH_SNIFF_INTERLEAVE, BENCH_SNIFF_ROUNDS, BENCH_MKPCAP (the
# generator), CERTSWEEP_FARM_BASE (default 26400), BENCH_KEEP=1 (keep the work folder and the
# capture), BENCH_OUT (default bench-results.txt, appended to).
# Exit: 0, or 1 when a step fails or the two tools' counts disagree (the results are written).
set -euo pipefail

BIN=${1:?usage: bench_sniff.sh PATH/TO/certsweep}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
HERE=$(cd "$(dirname "$0")" && pwd)
MKPCAP=${BENCH_MKPCAP:-$(dirname "$BIN")/tools/mkpcap}
SIZE=${BENCH_SNIFF_SIZE:-1G}
INTERLEAVE=${BENCH_SNIFF_INTERLEAVE:-64}
ROUNDS=${BENCH_SNIFF_ROUNDS:-4}
BASE=${CERTSWEEP_FARM_BASE:-26400}
KEEP=${BENCH_KEEP:-0}
OUT=${BENCH_OUT:-bench-results.txt}
OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/certsweep-bench-sniff.XXXXXX")
SERVER_PIDS=()
TCPDUMP_PID=

die() {
	echo "bench_sniff: $*" >&2
	exit 1
}

cleanup() {
	if [ -n "$TCPDUMP_PID" ]; then kill "$TCPDUMP_PID" 2>/dev/null || true; fi
	for p in "${SERVER_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	sh "$HERE/farm.sh" stop "$WORK/farm" >/dev/null 2>&1 || true
	if [ "$KEEP" = 1 ]; then
		echo "bench_sniff: kept $WORK (BENCH_KEEP=1)"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for tool in tcpdump tshark curl openssl nginx /usr/bin/time; do
	command -v "$tool" >/dev/null || die "$tool not found (run tools/deps.sh as root)"
done
[ -x "$MKPCAP" ] ||
	die "$MKPCAP is missing: make bench builds it (make $(dirname "$BIN")/tools/mkpcap)"
[ "$(id -u)" -eq 0 ] || die "tcpdump needs root to capture on lo"
for v in INTERLEAVE ROUNDS BASE; do
	case ${!v} in '' | *[!0-9]*) die "$v must be a number" ;; esac
done

# field NAME FILE: a value from /usr/bin/time -v output
field() { grep -F "$1" "$2" | head -1 | awk -F': ' '{print $2}'; }
secs() { # "m:ss.xx" or "h:mm:ss" -> seconds
	echo "$1" | awk -F: '{ printf "%.2f\n", NF == 3 ? $1 * 3600 + $2 * 60 + $3 : $1 * 60 + $2 }'
}
# timed NAME CMD...: CMD under /usr/bin/time -v, stdout to WORK/NAME.out; stops the run on failure
timed() {
	local name=$1
	shift
	if ! /usr/bin/time -v "$@" >"$WORK/$name.out" 2>"$WORK/$name.time"; then
		echo "bench_sniff: $name failed:" >&2
		grep -v '^	' "$WORK/$name.time" | tail -5 >&2
		exit 1
	fi
}
wall() { secs "$(field 'Elapsed (wall clock)' "$WORK/$1.time")"; }
# cpus NAME: user + sys seconds; cpu NAME: the same, itemised
cpus() { awk -v u="$(field 'User time' "$WORK/$1.time")" \
	-v s="$(field 'System time' "$WORK/$1.time")" 'BEGIN { printf "%.2f", u + s }'; }
cpu() { awk -v u="$(field 'User time' "$WORK/$1.time")" \
	-v s="$(field 'System time' "$WORK/$1.time")" \
	'BEGIN { printf "%.2fs (user %.2fs + sys %.2fs)", u + s, u, s }'; }
rss() { echo "$(($(field 'Maximum resident set size' "$WORK/$1.time") / 1024)) MB"; }
rate() { awk -v n="$1" -v w="$2" -v d="$3" 'BEGIN { printf "%.0f", (w > 0 ? n / d / w : 0) }'; }
report() { echo "$*" | tee -a "$WORK/results"; }

# bytes SIZE: "1G", "512M", "100K" (binary units) or a plain number of bytes
bytes() {
	local n=${1%[KkMmGgTt]} s=1
	case $n in
	'' | *[!0-9]*) die "BENCH_SNIFF_SIZE must be a number of bytes, or with K, M, G or T" ;;
	esac
	case $1 in
	*[Kk]) s=1024 ;;
	*[Mm]) s=1048576 ;;
	*[Gg]) s=1073741824 ;;
	*[Tt]) s=1099511627776 ;;
	esac
	echo $((n * s))
}

# ---------------------------------------------------------------- disk and memory
# shrink WHY FIT: the capture becomes FIT bytes (at least 64 MiB) for the reason given
shrink() {
	[ "$2" -ge 67108864 ] || die "$1: not enough for a capture of 64 MiB"
	echo "bench_sniff: $1: the capture shrinks from $((want / 1048576)) MiB" \
		"to $(($2 / 1048576)) MiB"
	want=$2
}
want=$(bytes "$SIZE")
[ "$want" -ge 1048576 ] || die "BENCH_SNIFF_SIZE must be at least 1M"
disk=$(($(df -Pk "$WORK" | awk 'NR == 2 { print $4 }') * 1024))
if [ $((want + want / 10 + 1073741824)) -gt "$disk" ]; then
	shrink "$((disk / 1048576)) MiB free in $WORK (a tenth and 1 GiB kept free)" \
		$(((disk - 1073741824) * 10 / 11))
fi
# tshark holds about 1.9 bytes of memory per byte of this capture (1.9 GB for 1 GiB)
mem=$(($(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo) * 1024))
if [ $((want * 2 + 536870912)) -gt "$mem" ]; then
	shrink "$((mem / 1048576)) MiB of memory available (tshark needs twice the capture)" \
		$(((mem - 536870912) / 2))
fi

# ---------------------------------------------------------------- servers
echo "== starting the farm (base $BASE) and two openssl s_server -WWW"
CERTSWEEP_FARM_BASE=$BASE sh "$HERE/farm.sh" start "$WORK/farm" >/dev/null
PKI=$WORK/farm/pki
listening() { [ -n "$(ss -Htln "sport = :$1")" ]; }
port_of() { awk -F'\t' -v n="$1" '$1 == n { print $3 }' "$WORK/farm/endpoints.tsv"; }
RSA_PORT=$((BASE + 50))
EC_PORT=$((BASE + 51))
SMTP_PORT=$(port_of smtp)
mkdir -p "$WORK/www"
# 65 KiB of text, as a page or a script would be
openssl rand -base64 49152 >"$WORK/www/body"
for spec in "good $RSA_PORT" "ecdsa $EC_PORT"; do
	read -r name port <<<"$spec"
	listening "$port" && die "port $port is taken (set CERTSWEEP_FARM_BASE to a free range)"
	(cd "$WORK/www" && exec openssl s_server -quiet -accept "127.0.0.1:$port" -WWW \
		-cert "$PKI/$name.crt" -key "$PKI/$name.key" -cert_chain "$PKI/pref-int-ca.crt") \
		</dev/null >"$WORK/s_server-$name.log" 2>&1 &
	SERVER_PIDS+=($!)
	for _ in $(seq 50); do
		listening "$port" && break
		sleep 0.1
	done
	listening "$port" ||
		die "openssl s_server did not listen on $port: $(cat "$WORK/s_server-$name.log")"
done

# ---------------------------------------------------------------- the template
echo "== recording the template on lo ($ROUNDS rounds of 13 connections)"
filter="tcp and host 127.0.0.1 and"
filter+=" (portrange $BASE-$((BASE + 22)) or portrange $RSA_PORT-$EC_PORT)"
tcpdump -i lo -n --immediate-mode -w "$WORK/template.pcap" "$filter" 2>"$WORK/tcpdump.err" &
TCPDUMP_PID=$!
for _ in $(seq 100); do
	grep -q 'listening on' "$WORK/tcpdump.err" && break
	sleep 0.1
done
grep -q 'listening on' "$WORK/tcpdump.err" ||
	die "tcpdump did not start: $(cat "$WORK/tcpdump.err")"

failed=0
HTTPS_NAMES="good nonpref expired wrongorder ecdsa untrusted"
# get NAME PORT PATH CURL_OPTIONS...: one HTTPS request to NAME.test (SNI) on 127.0.0.1:PORT,
# the body discarded
get() {
	local name=$1 port=$2 path=$3
	shift 3
	curl -sSk --max-time 10 -o /dev/null --resolve "$name.test:$port:127.0.0.1" "$@" \
		"https://$name.test:$port$path" || failed=$((failed + 1))
}
for _ in $(seq "$ROUNDS"); do
	for _ in 1 2; do
		get good "$RSA_PORT" /body --tlsv1.2 --tls-max 1.2
		get ecdsa "$EC_PORT" /body --tlsv1.2 --tls-max 1.2
	done
	for name in $HTTPS_NAMES; do
		get "$name" "$(port_of "$name")" / --tlsv1.2 --tls-max 1.2
	done
	get good "$RSA_PORT" /body --tlsv1.3
	get ecdsa "$(port_of ecdsa)" / --tlsv1.3
	printf 'QUIT\r\n' | timeout 10 openssl s_client -quiet -starttls smtp -tls1_2 \
		-servername mail.test -connect "127.0.0.1:$SMTP_PORT" >/dev/null 2>&1 ||
		failed=$((failed + 1))
done
sleep 0.5
kill -INT "$TCPDUMP_PID"
wait "$TCPDUMP_PID" || true
TCPDUMP_PID=
[ "$failed" -eq 0 ] || die "$failed of the template's $((ROUNDS * 13)) sessions failed"
for p in "${SERVER_PIDS[@]}"; do
	kill "$p" 2>/dev/null || true
done
SERVER_PIDS=()
sh "$HERE/farm.sh" stop "$WORK/farm" >/dev/null

# ---------------------------------------------------------------- the capture
CAP=$WORK/big.pcap
echo "== mkpcap: $((want / 1048576)) MiB, $INTERLEAVE connections at a time"
# The servers move to the ports a real capture shows them on: HTTPS 443, SMTP submission 587
# (tshark picks its dissector by the lower port first: a test port would not do).
maps=(--map-port "$RSA_PORT=443" --map-port "$EC_PORT=443" --map-port "$SMTP_PORT=587")
for name in $HTTPS_NAMES; do
	maps+=(--map-port "$(port_of "$name")=443")
done
timed gen "$MKPCAP" "$WORK/template.pcap" "$CAP" --size "$want" --interleave "$INTERLEAVE" \
	"${maps[@]}"
cat "$WORK/gen.out"
tmpl_conns=$(sed -n 's/.* packets in \([0-9]*\) TCP connections.*/\1/p' "$WORK/gen.out")
[ "$tmpl_conns" = $((ROUNDS * 13)) ] || die "the template holds $tmpl_conns connections, not" \
	"$((ROUNDS * 13)): something else talked on these ports"
cap_bytes=$(stat -c %s "$CAP")
cap_pkts=$(sed -n 's/.* bytes, \([0-9]*\) packets, .*/\1/p' "$WORK/gen.out")
cap_conns=$(sed -n 's/.* packets, \([0-9]*\) connections, .*/\1/p' "$WORK/gen.out")
cap_mb=$(awk -v b="$cap_bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
report "sniff bench: capture of $cap_mb MB, $cap_pkts packets, $cap_conns connections" \
	"($INTERLEAVE at a time, copies of $tmpl_conns recorded on lo: TLS 1.2 RSA/ECDSA" \
	"with 64 KiB of data or a short page, TLS 1.3, SMTP STARTTLS; MSS 1448)," \
	"written by mkpcap in $(wall gen)s"

cat "$CAP" >/dev/null # into the page cache: both tools read it from memory

# ---------------------------------------------------------------- the two readers
echo "== certsweep sniff"
load0=$(cut -d' ' -f1 /proc/loadavg)
timed cs "$BIN" sniff -r "$CAP" --db "$WORK/sniff.db" -q
cs_wall=$(wall cs)
timed cs2 "$BIN" sniff -r "$CAP" --db "$WORK/count.db"
sed -n 1,3p "$WORK/cs2.out"
cs_pkts=$(sed -n 's/^sniff: \([0-9]*\) packets.*/\1/p' "$WORK/cs2.out")
cs_hs=$(sed -n 's/^  TLS handshakes: \([0-9]*\) .*/\1/p' "$WORK/cs2.out")
cs_13=$(sed -n 's/^  TLS handshakes: [0-9]* (\([0-9]*\) TLS 1.3.*/\1/p' "$WORK/cs2.out")
cs_stls=$(sed -n 's/.* TLS 1.3, \([0-9]*\) STARTTLS.*/\1/p' "$WORK/cs2.out")
cs_certs=$(sed -n 's/.*, \([0-9]*\) certificates extracted.*/\1/p' "$WORK/cs2.out")
if [ -z "$cs_hs" ] || [ -z "$cs_13" ] || [ -z "$cs_certs" ]; then
	die "cannot read certsweep's summary"
fi
cs_12=$((cs_hs - cs_13))
if [ "$cs_pkts" != "$cap_pkts" ]; then
	echo "bench_sniff: warning: certsweep read $cs_pkts packets, mkpcap wrote $cap_pkts" >&2
fi
report "certsweep sniff -q: wall ${cs_wall}s, $(rate "$cap_bytes" "$cs_wall" 1048576) MB/s," \
	"$(rate "$cap_pkts" "$cs_wall" 1) packets/s; CPU $(cpu cs)," \
	"$(rate "$cap_bytes" "$(cpus cs)" 1048576) MB per CPU second; peak RSS $(rss cs)" \
	"(again without -q: $(wall cs2)s); $cs_hs TLS handshakes" \
	"($cs_13 TLS 1.3, $cs_stls STARTTLS)," \
	"so $cs_12 TLS <= 1.2, $cs_certs certificates"

echo "== tshark -Y tls.handshake.certificate"
timed ts tshark -r "$CAP" -Y tls.handshake.certificate -T fields -e frame.number -e tcp.stream \
	-e tls.handshake.certificate_length
ts_wall=$(wall ts)
ts_msgs=$(wc -l <"$WORK/ts.out")
ts_conns=$(cut -f2 "$WORK/ts.out" | sort -u | grep -c . || true)
ts_certs=$(awk -F'\t' '$3 != "" { n += split($3, a, ",") } END { print n + 0 }' "$WORK/ts.out")
load1=$(cut -d' ' -f1 /proc/loadavg)
report "tshark -Y tls.handshake.certificate: wall ${ts_wall}s," \
	"$(rate "$cap_bytes" "$ts_wall" 1048576) MB/s, $(rate "$cap_pkts" "$ts_wall" 1)" \
	"packets/s; CPU $(cpu ts), $(rate "$cap_bytes" "$(cpus ts)" 1048576) MB per CPU second;" \
	"peak RSS $(rss ts);" \
	"$ts_msgs Certificate messages in $ts_conns connections, $ts_certs certificates"

agree=yes
if [ "$cs_12" != "$ts_conns" ] || [ "$cs_certs" != "$ts_certs" ]; then agree=NO; fi
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }
report "ratio: certsweep is $(ratio "$ts_wall" "$cs_wall")x tshark's MB/s by wall time," \
	"$(ratio "$(cpus ts)" "$(cpus cs)")x by CPU time (goal: 10x; $(nproc) CPUs, load" \
	"average $load0 before, $load1 after); TLS <= 1.2 connections with certificates:" \
	"certsweep $cs_12, tshark $ts_conns; certificates: certsweep $cs_certs, tshark $ts_certs;" \
	"agree: $agree"

cat "$WORK/results" >>"$OUT"
echo "== results appended to $OUT"
[ "$agree" = yes ] || die "certsweep and tshark disagree on the counts"
