#!/usr/bin/env bash
# bench.sh: certsweep's scan benchmark (make bench). Everything on loopback.
#
#   1. A farm of N (default 4096) nginx HTTPS endpoints: ECDSA P-256, full handshakes, no session
#      reuse (tools/farm.sh --bench). certsweep sweeps it; in the same run, nmap sweeps the same
#      targets with `-sT --script ssl-cert`, and `openssl s_time -new` measures a blocking client.
#      Reported: endpoints/s, client CPU ms per handshake (user+sys / TLS endpoints), peak RSS.
#   2. 10,000 connections in flight: a tarpit that accepts TCP and never answers, swept with
#      --concurrency 10000, so every connection waits its full handshake timeout at once.
#      Reported: peak RSS.
# Results go to stdout and to bench-results.txt (figures quoted in README.md).
set -euo pipefail

BIN=${1:?usage: bench.sh PATH/TO/certsweep}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
HERE=$(cd "$(dirname "$0")" && pwd)
N=${BENCH_N:-4096}
NMAP=${BENCH_NMAP:-1}
WORK=$(mktemp -d /tmp/certsweep-bench.XXXXXX)
OUT=${BENCH_OUT:-bench-results.txt}
TARPIT_PID=

cleanup() {
	sh "$HERE/farm.sh" stop "$WORK/farm" >/dev/null 2>&1 || true
	[ -n "$TARPIT_PID" ] && kill "$TARPIT_PID" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# field NAME FILE: a value from /usr/bin/time -v output
field() { grep -F "$1" "$2" | head -1 | awk -F': ' '{print $2}'; }
secs() { # "m:ss.xx" or "h:mm:ss" -> seconds
	echo "$1" | awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }'
}

report() { echo "$*" | tee -a "$WORK/results"; }

echo "== starting a farm of $N endpoints"
CERTSWEEP_FARM_BASE=${CERTSWEEP_FARM_BASE:-21000} sh "$HERE/farm.sh" start "$WORK/farm" --bench "$N" >/dev/null
TARGETS="$WORK/farm/targets.txt"
[ "$(wc -l <"$TARGETS")" -eq "$N" ] || { echo "bench: farm did not list $N targets" >&2; exit 1; }

# Warm-up (page cache, nginx workers), not measured.
"$BIN" scan -q --db "$WORK/warm.db" --targets "$TARGETS" --ca-file "$WORK/farm/pki/roots.pem" >/dev/null 2>&1 || true

echo "== certsweep"
/usr/bin/time -v "$BIN" scan -q --db "$WORK/bench.db" --json "$WORK/scan.ndjson" \
	--targets "$TARGETS" --concurrency 1000 --ca-file "$WORK/farm/pki/roots.pem" 2>"$WORK/cs.time" || true
cs_wall=$(secs "$(field 'Elapsed (wall clock)' "$WORK/cs.time")")
cs_user=$(field 'User time' "$WORK/cs.time")
cs_sys=$(field 'System time' "$WORK/cs.time")
cs_rss=$(field 'Maximum resident set size' "$WORK/cs.time")
cs_tls=$(grep -c '"status":"ok"' "$WORK/scan.ndjson" || true)
cs_rate=$(awk -v n="$N" -v w="$cs_wall" 'BEGIN { printf "%.0f", n / w }')
cs_cpu=$(awk -v u="$cs_user" -v s="$cs_sys" -v n="$cs_tls" 'BEGIN { printf "%.3f", (u + s) * 1000 / (n ? n : 1) }')

report "certsweep: $N endpoints, $cs_tls TLS, wall ${cs_wall}s, ${cs_rate} endpoints/s," \
	"client CPU ${cs_cpu} ms/handshake (user ${cs_user}s + sys ${cs_sys}s), peak RSS $((cs_rss / 1024)) MB"

echo "== certsweep --handshake full (OpenSSL's complete handshake for every endpoint)"
/usr/bin/time -v "$BIN" scan -q --db "$WORK/full.db" --json "$WORK/full.ndjson" --handshake full \
	--targets "$TARGETS" --concurrency 1000 --ca-file "$WORK/farm/pki/roots.pem" 2>"$WORK/full.time" || true
fu_wall=$(secs "$(field 'Elapsed (wall clock)' "$WORK/full.time")")
fu_cpu=$(awk -v u="$(field 'User time' "$WORK/full.time")" -v s="$(field 'System time' "$WORK/full.time")" \
	-v n="$(grep -c '"status":"ok"' "$WORK/full.ndjson")" 'BEGIN { printf "%.3f", (u + s) * 1000 / (n ? n : 1) }')
fu_rss=$(field 'Maximum resident set size' "$WORK/full.time")
report "certsweep --handshake full: wall ${fu_wall}s, $(awk -v n="$N" -v w="$fu_wall" 'BEGIN { printf "%.0f", n / w }') endpoints/s," \
	"client CPU ${fu_cpu} ms/handshake, peak RSS $((fu_rss / 1024)) MB"

if [ "$NMAP" = 1 ] && command -v nmap >/dev/null; then
	echo "== nmap -sT --script ssl-cert (same targets)"
	/usr/bin/time -v nmap -n -Pn -sT --script ssl-cert -iL <(sed 's/:.*//' "$TARGETS" | sort -u) \
		-p "$(sed 's/.*://' "$TARGETS" | sort -n | uniq | paste -sd, -)" \
		-oN "$WORK/nmap.txt" >/dev/null 2>"$WORK/nmap.time" || true
	nm_wall=$(secs "$(field 'Elapsed (wall clock)' "$WORK/nmap.time")")
	nm_certs=$(grep -c 'Subject:' "$WORK/nmap.txt" || true)
	nm_rate=$(awk -v n="$N" -v w="$nm_wall" 'BEGIN { printf "%.0f", n / w }')
	ratio=$(awk -v a="$cs_rate" -v b="$nm_rate" 'BEGIN { printf "%.1f", a / (b ? b : 1) }')
	report "nmap -sT --script ssl-cert: wall ${nm_wall}s, ${nm_rate} endpoints/s, $nm_certs certificates read"
	report "ratio: certsweep is ${ratio}x nmap's endpoints/s"
fi

if command -v openssl >/dev/null; then
	echo "== openssl s_time -new (blocking client, one endpoint, 5 s)"
	first=$(head -1 "$TARGETS")
	/usr/bin/time -v openssl s_time -connect "$first" -new -time 5 >"$WORK/stime.out" 2>"$WORK/stime.time" || true
	st_conns=$(grep -Eo '^[0-9]+ connections in [0-9.]+s' "$WORK/stime.out" | head -1 | awk '{print $1}')
	st_user=$(field 'User time' "$WORK/stime.time")
	st_sys=$(field 'System time' "$WORK/stime.time")
	st_cpu=$(awk -v u="$st_user" -v s="$st_sys" -v n="${st_conns:-0}" 'BEGIN { printf "%.3f", (u + s) * 1000 / (n ? n : 1) }')
	report "openssl s_time -new: ${st_conns:-?} handshakes, client CPU ${st_cpu} ms/handshake"
fi

echo "== 10,000 connections in flight (tarpit)"
# 250 addresses (127.0.9.1-250) x 40 ports = 10,000 listening sockets that never accept: the
# kernel completes each TCP handshake, the ClientHello is never answered, so all 10,000
# connections stay in flight until the handshake timeout.
python3 - "$WORK/tarpit.ready" <<'PY' &
import resource, socket, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (10240, 10240))
socks = []
for a in range(1, 251):
    for p in range(23000, 23040):
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.9.%d" % a, p)); s.listen(8); socks.append(s)
open(sys.argv[1], "w").close()
time.sleep(120)
PY
TARPIT_PID=$!
for _ in $(seq 100); do [ -e "$WORK/tarpit.ready" ] && break; sleep 0.1; done
/usr/bin/time -v "$BIN" scan -q --db "$WORK/tarpit.db" --json "$WORK/tarpit.ndjson" --concurrency 10000 \
	--timeout 4s --retries 0 -p 23000-23039 127.0.9.1-250 2>"$WORK/tarpit.time" >/dev/null || true
tp_rss=$(field 'Maximum resident set size' "$WORK/tarpit.time")
tp_wall=$(secs "$(field 'Elapsed (wall clock)' "$WORK/tarpit.time")")
tp_to=$(grep -c '"status":"timeout"' "$WORK/tarpit.ndjson" || true)
report "10,000 in flight: $tp_to endpoints held open until the 4 s timeout, peak RSS $((tp_rss / 1024)) MB, wall ${tp_wall}s"

cp "$WORK/results" "$OUT"
echo "== results in $OUT"
