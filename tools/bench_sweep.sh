#!/usr/bin/env bash
# bench_sweep.sh: sweeps at scale (make bench runs it after bench_sniff.sh). Loopback and a
# private network namespace only; run as root (the namespace).
#
#   1. Dead space: a /16 (65,536 addresses) in a network namespace of its own whose route for
#      10.99.0.0/16 leads to a gateway that drops every SYN (a veth pair, a permanent neighbour
#      entry; 10.99.0.1 is local and refuses), swept with --connect-timeout 500ms
#      --concurrency 4096 --retries 0, then --retries 1. Reported: wall time against the bound
#      N x timeout x (1 + retries) / concurrency (8 s, then 16 s), CPU and peak RSS. Without the
#      engine's own timer each address would wait for the kernel's SYN retries (about 2 min).
#   2. 65,536 live endpoints: 8,192 HTTPS listeners of tools/farm.sh --bench (its maximum,
#      16,384, needs an open-files hard limit above 32,768 for nginx) under 8 SNIs each (a
#      targets CSV: 8 distinct endpoints per listener, each a full handshake), swept with
#      --concurrency 1000. RSS (ps) sampled every second. Reported: endpoints/s, RSS at the
#      start, middle and end, and its peak.
# Results go to stdout and are appended to bench-results.txt (BENCH_OUT).
# Environment: BENCH_SWEEP_LIVE (listeners, default 8192), BENCH_SWEEP_SNIS (default 8),
# BENCH_SWEEP_DEAD=0 skips part 1, CERTSWEEP_FARM_BASE (default 27400), BENCH_OUT.
set -euo pipefail

BIN=${1:?usage: bench_sweep.sh PATH/TO/certsweep}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
HERE=$(cd "$(dirname "$0")" && pwd)
LIVE=${BENCH_SWEEP_LIVE:-8192}
SNIS=${BENCH_SWEEP_SNIS:-8}
DEAD=${BENCH_SWEEP_DEAD:-1}
OUT=${BENCH_OUT:-bench-results.txt}
OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/certsweep-bench-sweep.XXXXXX")
NS=cs-bench-$$
SCAN_PID=

cleanup() {
	if [ -n "$SCAN_PID" ]; then kill "$SCAN_PID" 2>/dev/null || true; fi
	ip netns del "$NS" 2>/dev/null || true
	sh "$HERE/farm.sh" stop "$WORK/farm" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# field NAME FILE: a value from /usr/bin/time -v output
field() { grep -F "$1" "$2" | head -1 | awk -F': ' '{print $2}'; }
secs() { # "m:ss.xx" or "h:mm:ss" -> seconds
	echo "$1" | awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }'
}
report() { echo "$*" | tee -a "$WORK/results"; }

# ---------------------------------------------------------------- 1. dead /16
dead() { # RETRIES
	rm -f "$WORK/dead.db"*
	ip netns exec "$NS" /usr/bin/time -v "$BIN" scan -q --db "$WORK/dead.db" \
		--connect-timeout 500ms --concurrency 4096 --retries "$1" 10.99.0.0/16 \
		>/dev/null 2>"$WORK/dead.time" || true
	local wall user sys rss bound n
	wall=$(secs "$(field 'Elapsed (wall clock)' "$WORK/dead.time")")
	user=$(field 'User time' "$WORK/dead.time")
	sys=$(field 'System time' "$WORK/dead.time")
	rss=$(field 'Maximum resident set size' "$WORK/dead.time")
	bound=$(awk -v r="$1" 'BEGIN { printf "%.1f", 65536 * 0.5 * (1 + r) / 4096 }')
	n=$(sqlite3 "$WORK/dead.db" "SELECT count(*) FROM observations WHERE status = 'timeout'")
	report "dead /16 (--connect-timeout 500ms --concurrency 4096 --retries $1): $n of 65536 timed" \
		"out, wall ${wall}s against the bound ${bound}s ($(awk -v w="$wall" -v b="$bound" \
		'BEGIN { printf "%.2f", w / b }')x), CPU $(awk -v u="$user" -v s="$sys" \
		'BEGIN { printf "%.1f", u + s }')s, peak RSS $(awk -v p="$rss" 'BEGIN { printf "%.1f", p / 1024 }') MB"
}

if [ "$DEAD" = 1 ]; then
	echo "== dead /16 in network namespace $NS"
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	ip -n "$NS" link add v0 type veth peer name v1
	ip -n "$NS" link set v0 up
	ip -n "$NS" link set v1 up
	ip -n "$NS" addr add 10.98.0.1/30 dev v0
	ip -n "$NS" neigh add 10.98.0.2 lladdr 02:00:00:00:00:02 dev v0 nud permanent
	ip -n "$NS" route add 10.99.0.0/16 via 10.98.0.2 dev v0
	ip -n "$NS" addr add 10.99.0.1/32 dev lo
	dead 0
	dead 1
fi

# ---------------------------------------------------------------- 2. 65,536 live endpoints
N=$((LIVE * SNIS))
echo "== $N live endpoints: $LIVE HTTPS listeners x $SNIS SNIs"
CERTSWEEP_FARM_BASE=${CERTSWEEP_FARM_BASE:-27400} sh "$HERE/farm.sh" start "$WORK/farm" \
	--bench "$LIVE" >/dev/null
awk -v k="$SNIS" '{ n = split($0, a, ":"); port = a[n]; addr = substr($0, 1, length($0) - length(port) - 1)
	for (i = 0; i < k; i++) print addr "," port ",s" i ".ecdsa.test," }' \
	"$WORK/farm/targets.txt" >"$WORK/live.csv"
[ "$(wc -l <"$WORK/live.csv")" -eq "$N" ] || { echo "bench_sweep: $N targets expected" >&2; exit 1; }

/usr/bin/time -v "$BIN" scan -q --db "$WORK/live.db" --targets "$WORK/live.csv" \
	--concurrency 1000 --ca-file "$WORK/farm/pki/roots.pem" >/dev/null 2>"$WORK/live.time" &
SCAN_PID=$!
: >"$WORK/rss"
sleep 0.2
CS=$(pgrep -P "$SCAN_PID" | head -1 || true) # /usr/bin/time's child: certsweep
while kill -0 "$SCAN_PID" 2>/dev/null; do
	ps -o rss= -p "${CS:-$SCAN_PID}" >>"$WORK/rss" 2>/dev/null || true
	sleep 1
done
wait "$SCAN_PID" || true
SCAN_PID=
wall=$(secs "$(field 'Elapsed (wall clock)' "$WORK/live.time")")
peak=$(field 'Maximum resident set size' "$WORK/live.time")
tls=$(sqlite3 "$WORK/live.db" "SELECT count(*) FROM observations WHERE status = 'ok'")
rss_at() { # FRACTION: the sample at that fraction of the run, MB
	awk -v f="$1" '{ v[NR] = $1 } END { i = int(NR * f); if (i < 1) i = 1; if (i > NR) i = NR
		printf "%.1f", v[i] / 1024 }' "$WORK/rss"
}
report "$N live endpoints ($LIVE listeners x $SNIS SNIs, --concurrency 1000): $tls TLS, wall" \
	"${wall}s, $(awk -v n="$N" -v w="$wall" 'BEGIN { printf "%.0f", n / w }') endpoints/s;" \
	"RSS start $(rss_at 0.0) MB, middle $(rss_at 0.5) MB, end $(rss_at 1.0) MB, peak" \
	"$(awk -v p="$peak" 'BEGIN { printf "%.1f", p / 1024 }') MB ($(grep -c . "$WORK/rss") samples, 1/s:" \
	"$(awk '{ printf "%s%.1f", (NR > 1 ? " " : ""), $1 / 1024 }' "$WORK/rss"))"

cat "$WORK/results" >>"$OUT"
echo "== results appended to $OUT"
