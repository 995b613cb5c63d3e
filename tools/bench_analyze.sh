#!/usr/bin/env bash
# bench_analyze.sh: the deep analysis benchmark (make bench runs it after bench.sh).
#
#   1. One loopback host (nginx from the test farm, TLS 1.2 + 1.3): `certsweep analyze` against
#      `sslscan` (and testssl.sh when installed) on the same host in the same run: wall time,
#      and whether certsweep found every protocol and cipher suite sslscan found.
#   2. `certsweep scan --checks advanced` over 256 loopback endpoints (tools/farm.sh --bench 256):
#      endpoints/s and the total number of connections the analyses used.
# Results are appended to bench-results.txt.
set -euo pipefail

BIN=${1:?usage: bench_analyze.sh PATH/TO/certsweep}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/certsweep-bench-analyze.XXXXXX)
OUT=${BENCH_OUT:-bench-results.txt}

cleanup() {
	sh "$HERE/farm.sh" stop "$WORK/farm" >/dev/null 2>&1 || true
	sh "$HERE/farm.sh" stop "$WORK/bench" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

now() { date +%s.%N; }
report() { echo "$*" | tee -a "$OUT"; }

echo "== one host: certsweep analyze vs sslscan"
CERTSWEEP_FARM_BASE=${CERTSWEEP_FARM_BASE:-23400} sh "$HERE/farm.sh" start "$WORK/farm" >/dev/null
target=$(awk -F'\t' '$1 == "good" { print $2 ":" $3 }' "$WORK/farm/endpoints.tsv")
t0=$(now)
"$BIN" analyze --no-db --json --ca-file "$WORK/farm/pki/roots.pem" --sni good.test "$target" \
	>"$WORK/cs.json" 2>/dev/null || true
t1=$(now)
sslscan --no-colour --sni-name=good.test "$target" >"$WORK/sslscan.txt" 2>&1 || true
t2=$(now)
cs_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
ss_s=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.2f", b - a }')
conns=$(jq -r .connections "$WORK/cs.json")
# sslscan's accepted ciphers (OpenSSL names) must all be in certsweep's lists.
grep -E '^(Preferred|Accepted)' "$WORK/sslscan.txt" | awk '{ print $2, $5 }' | sort -u >"$WORK/ss.pairs"
jq -r '.ciphers | to_entries[] | .key as $p | .value.suites[] | "\($p) \(.openssl // .name)"' "$WORK/cs.json" |
	sed 's/^TLSv1.0 /TLSv1.0 /' | sort -u >"$WORK/cs.pairs"
missing=$(awk '{ print $2 }' "$WORK/ss.pairs" | sort -u | comm -23 - <(awk '{ print $2 }' "$WORK/cs.pairs" | sort -u) | paste -sd' ')
report "analyze one host: certsweep ${cs_s}s ($conns connections, grade $(jq -r .grade.letter "$WORK/cs.json")), sslscan ${ss_s}s;" \
	"suites sslscan found: $(wc -l <"$WORK/ss.pairs"), certsweep: $(wc -l <"$WORK/cs.pairs"), found by sslscan but not certsweep: ${missing:-none}"
if command -v testssl.sh >/dev/null 2>&1 || command -v testssl >/dev/null 2>&1; then
	ts=$(command -v testssl.sh || command -v testssl)
	t3=$(now)
	"$ts" --quiet --color 0 --warnings off --sneaky --ip one "$target" >"$WORK/testssl.txt" 2>&1 || true
	t4=$(now)
	report "analyze one host: testssl.sh $(awk -v a="$t3" -v b="$t4" 'BEGIN { printf "%.1f", b - a }')s"
fi

echo "== --checks advanced over 256 endpoints"
CERTSWEEP_FARM_BASE=${CERTSWEEP_BENCH_BASE:-25000} sh "$HERE/farm.sh" start "$WORK/bench" --bench 256 >/dev/null
t0=$(now)
"$BIN" scan -q --db "$WORK/adv.db" --json "$WORK/adv.ndjson" --checks advanced \
	--targets "$WORK/bench/targets.txt" --ca-file "$WORK/bench/pki/roots.pem" 2>/dev/null || true
t1=$(now)
el=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
graded=$(jq -r 'select(.grade != null) | .grade.letter' "$WORK/adv.ndjson" | wc -l)
total_conns=$(jq -s '[.[] | .connections // 0] | add' "$WORK/adv.ndjson")
report "checks advanced: 256 endpoints in ${el}s ($(awk -v e="$el" 'BEGIN { printf "%.1f", 256 / e }') endpoints/s)," \
	"$graded graded, $total_conns connections ($(awk -v c="$total_conns" 'BEGIN { printf "%.1f", c / 256 }') per endpoint)"
