#!/bin/sh
# demo.sh: the built-in local demo behind `make demo`.
#
# Starts the loopback farm (tools/farm.sh: nginx HTTPS with a throw-away test PKI, nginx mail
# STARTTLS, a closed port, plain HTTP, hostile servers), sweeps it with certsweep the way an
# administrator would sweep a network, prints the summary, writes the HTML and CSV reports, and stops
# the farm. Output stays in ./demo-out (inventory, NDJSON, HTML and CSV reports).
set -eu

BIN=${1:?usage: demo.sh PATH/TO/certsweep}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${DEMO_OUT:-demo-out}
FARM="$OUT/farm"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
FARM="$OUT/farm"
trap 'sh "$HERE/farm.sh" stop "$FARM" >/dev/null 2>&1 || true' EXIT INT TERM

# A free port range: another farm (a test run, tools/farm.sh by hand) may hold the default one.
ports_free() {
	! ss -Htln 2>/dev/null | awk -v b="$1" '{ n = split($4, a, ":"); p = a[n] + 0 }
		p >= b && p < b + 100 { found = 1 } END { exit !found }'
}
base=${CERTSWEEP_FARM_BASE:-20400}
if [ -z "${CERTSWEEP_FARM_BASE:-}" ]; then
	while ! ports_free "$base" && [ "$base" -lt 30000 ]; do
		base=$((base + 200))
	done
fi
echo "== starting the demo farm on loopback ports $base-$((base + 99)) (nginx, test PKI, mail STARTTLS, hostile servers)"
CERTSWEEP_FARM_BASE=$base sh "$HERE/farm.sh" start "$FARM"

# The farm's endpoints as a targets file: target,port,sni,starttls (CSV form of --targets).
awk -F'\t' '!/^#/ && $4 != "" {
	sni = ($5 == "-") ? "" : $5
	st = ($4 == "smtp" || $4 == "imap" || $4 == "pop3") ? $4 : ""
	print $2 "," $3 "," sni "," st
}' "$FARM/endpoints.tsv" >"$OUT/targets.csv"
echo "== sweeping $(wc -l <"$OUT/targets.csv") endpoints listed in $OUT/targets.csv"
echo "   (the test roots are trusted with --ca-file; the preferred CA is the test PKI's"
echo "    'certsweep Preferred Test Org', standing in for Comodo/Sectigo)"

rm -f "$OUT/certsweep.db" "$OUT/certsweep.db-wal" "$OUT/certsweep.db-shm"
rc=0
"$BIN" scan --db "$OUT/certsweep.db" --name demo --targets "$OUT/targets.csv" \
	--ca-file "$FARM/pki/roots.pem" --preferred-ca 'certsweep Preferred Test Org' \
	--timeout 3s --retries 0 --json "$OUT/endpoints.ndjson" || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "demo: certsweep scan exited with $rc" >&2
	exit "$rc"
fi

"$BIN" report --db "$OUT/certsweep.db" --format html -o "$OUT/report.html"
"$BIN" report --db "$OUT/certsweep.db" --format csv -o "$OUT/csv"
echo
echo "== the certificates found (certsweep report --format text):"
"$BIN" report --db "$OUT/certsweep.db" --format text
echo
echo "Written: $OUT/report.html (the dashboard: open it in a browser),"
echo "         $OUT/csv/ (endpoints.csv, certificates.csv, findings.csv, orders.csv),"
echo "         $OUT/certsweep.db (SQLite inventory), $OUT/endpoints.ndjson (one JSON record per endpoint)."
