#!/bin/sh
# test_report.sh: `certsweep report` (csv, json, html) and `certsweep diff` end to end, on an
# inventory of two real sweeps named "nightly" of the loopback farm plus four openssl s_server
# endpoints (127.0.0.1, ports FARM_BASE+70..73) whose changes between the sweeps are staged:
#
#   endpoint  SNI           sweep 1        sweep 2
#   A +70     good.test     good           expiring (same issuer: renewed)
#   B +71     expired.test  expired        nonpref (other issuer: replaced; cert.expired
#                                          resolved, issuer.non_preferred new)
#   C +72     good.test     good           stopped (vanished, now refused)
#   D +73     xss.test      not running    a self-signed P-256 certificate made here whose
#                                          subject is hostile: O=<script>..., CN=<img ...>,
#                                          OU==HYPERLINK(...) (new endpoint)
# A and B keep their sweep-1 SNI in sweep 2, so their new leaves also get cert.hostname_mismatch.
#
# Asserts:
#   - diff: the text names D new, C vanished, A renewed, B replaced, the new and resolved
#     findings; --format json has exactly the staged lists (checked with jq, and the findings
#     lists against the scans' own NDJSON records); --exit-code exits 1, and 0 for `diff 2 2`;
#   - csv: -o DIR writes the four views, RFC 4180 (python3's csv), headers equal to
#     tests/golden/report-headers.txt, a normalized projection (ports as offsets from FARM_BASE,
#     no hashes, serials, dates, day counts, scan ids) equal to tests/golden/report-*.csv; the
#     hostile OU cell neutralised ('=...), the <script> text verbatim; --view findings on
#     stdout is byte for byte DIR/findings.csv;
#   - json: schema, summary counts against the CSV rows, value types, a normalized projection
#     equal to tests/golden/report.json.txt, --view orders holds only the orders array;
#   - html: self-contained (no http(s) src/href, a CSP meta element), then in headless
#     Chromium (tools/browser.py): no console error, no request but the file, the endpoint
#     table's rows, the filter, a header sort, red rows for non-preferred certificates, the
#     hostile certificate's detail panel showing the <script> text as text (window.__xss never
#     set), section#diff naming the new and vanished endpoints; a screenshot with the detail
#     panel open is left in build/test-artifacts/report-dashboard.png;
#   - wrong input: exit 2 for bad options, 3 for runtime errors with clear messages, no partial
#     output file.
# UPDATE_GOLDEN=1 rewrites the golden files from this run instead of comparing.
# Usage: sh tests/integration/test_report.sh [PATH/TO/certsweep] (default: ./certsweep).
. "$(dirname "$0")/lib.sh"

CERTSWEEP=${1:-$CS_ROOT/certsweep}
CERTSWEEP=$(cd "$(dirname "$CERTSWEEP")" && pwd)/$(basename "$CERTSWEEP")
GOLDEN=$CS_ROOT/tests/golden
BROWSER=$CS_ROOT/tools/browser.py
ARTIFACTS=$CS_ROOT/build/test-artifacts

missing=
[ -x "$CERTSWEEP" ] || missing="$missing certsweep($CERTSWEEP: run make)"
for tool in jq python3 openssl ss; do
	command -v "$tool" >/dev/null || missing="$missing $tool"
done
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || missing="$missing chromium"
/usr/bin/python3 -c 'import websocket' 2>/dev/null || missing="$missing python3-websocket"
if [ -n "$missing" ]; then
	fail "missing:$missing (make deps)"
	finish
	exit 1
fi

# The s_server processes: one pid file each in $SRV (set once the farm is up). The EXIT trap
# stops them before lib.sh's own handler runs (which stops the farm and reports), keeping the
# script's exit status.
SRV=
stop_servers() {
	[ -n "$SRV" ] && [ -d "$SRV" ] || return 0
	for _pf in "$SRV"/*.pid; do
		[ -f "$_pf" ] || continue
		kill "$(cat "$_pf")" 2>/dev/null
		rm -f "$_pf"
	done
	wait 2>/dev/null
	return 0
}
# shellcheck disable=SC2154 # _st0 is assigned inside the trap
trap '_st0=$?; stop_servers; (exit $_st0); _lib_exit' EXIT

farm_up || exit 1
W=$FARM_DIR/work
SRV=$W/servers
mkdir -p "$W" "$SRV"
P=$FARM_PKI
DB=$W/inv.db
A_PORT=$((FARM_BASE + 70)) B_PORT=$((FARM_BASE + 71))
C_PORT=$((FARM_BASE + 72)) D_PORT=$((FARM_BASE + 73))

# chain_of NAME: the file of NAME.fullchain.pem without its leaf (for s_server -cert_chain).
chain_of() {
	awk '/-----BEGIN CERTIFICATE-----/ { n++ } n > 1' "$P/$1.fullchain.pem" >"$W/$1.chain.pem"
	echo "$W/$1.chain.pem"
}

# listening PORT: 0 once something listens on 127.0.0.1:PORT.
listening() {
	ss -Htln "sport = :$1" 2>/dev/null | grep -q .
}

# serve LETTER PORT CERT KEY [CHAIN]: starts openssl s_server, waits until it listens.
serve() {
	_l=$1 _port=$2 _cert=$3 _key=$4 _chain=${5:-}
	if [ -n "$_chain" ]; then
		openssl s_server -accept "127.0.0.1:$_port" -cert "$_cert" -key "$_key" \
			-cert_chain "$_chain" -www -quiet >"$SRV/$_l.log" 2>&1 &
	else
		openssl s_server -accept "127.0.0.1:$_port" -cert "$_cert" -key "$_key" \
			-www -quiet >"$SRV/$_l.log" 2>&1 &
	fi
	echo $! >"$SRV/$_l.pid"
	_n=0
	while ! listening "$_port"; do
		_n=$((_n + 1))
		if [ "$_n" -gt 50 ] || ! kill -0 "$(cat "$SRV/$_l.pid")" 2>/dev/null; then
			fail "s_server $_l on port $_port did not start: $(head -c 300 "$SRV/$_l.log")"
			return 1
		fi
		sleep 0.1
	done
}

# unserve LETTER: stops that s_server and waits until its port is free.
unserve() {
	_pid=$(cat "$SRV/$1.pid")
	kill "$_pid" 2>/dev/null
	wait "$_pid" 2>/dev/null
	rm -f "$SRV/$1.pid"
}

# serve_leaf LETTER PORT NAME: a leaf of the test PKI with its chain.
serve_leaf() {
	serve "$1" "$2" "$P/$3.crt" "$P/$3.key" "$(chain_of "$3")"
}

# sweep TARGETS: one scan named nightly into $DB, NDJSON in $W/sweepN.ndjson.
SWEEPS=0
sweep() {
	SWEEPS=$((SWEEPS + 1))
	_rc=0
	"$CERTSWEEP" scan -q --db "$DB" --name nightly --targets "$1" --json "$W/sweep$SWEEPS.ndjson" \
		--ca-file "$FARM_ROOTS" --preferred-ca "$FARM_PREFERRED" --timeout 3s --retries 0 \
		>"$W/sweep$SWEEPS.out" 2>&1 || _rc=$?
	assert_eq 0 "$_rc" "sweep $SWEEPS exits 0 ($(head -c 300 "$W/sweep$SWEEPS.out"))"
}

# ---------------------------------------------------------------- staging: sweep 1
awk -F'\t' '!/^#/ && $4 != "" {
	sni = ($5 == "-") ? "" : $5
	st = ($4 == "smtp" || $4 == "imap" || $4 == "pop3") ? $4 : ""
	print $2 "," $3 "," sni "," st
}' "$FARM_DIR/endpoints.tsv" >"$W/farm.csv"
N_FARM=$(wc -l <"$W/farm.csv")
{
	cat "$W/farm.csv"
	echo "127.0.0.1,$A_PORT,good.test,"
	echo "127.0.0.1,$B_PORT,expired.test,"
	echo "127.0.0.1,$C_PORT,good.test,"
} >"$W/targets1.csv"
{
	cat "$W/targets1.csv"
	echo "127.0.0.1,$D_PORT,xss.test,"
} >"$W/targets2.csv"

serve_leaf A "$A_PORT" good || exit 1
serve_leaf B "$B_PORT" expired || exit 1
serve_leaf C "$C_PORT" good || exit 1
sweep "$W/targets1.csv"

# ---------------------------------------------------------------- staging: sweep 2
# D's certificate: a hostile subject ('/' written '\/' for -subj), SAN xss.test.
XSS_O='<script>window.__xss=1</script>'
XSS_CN='<img src=x onerror=window.__xss=2>'
XSS_OU='=HYPERLINK("http://127.0.0.1/x")'
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	-keyout "$W/xss.key" -out "$W/xss.crt" -addext 'subjectAltName=DNS:xss.test' \
	-subj '/O=<script>window.__xss=1<\/script>/OU==HYPERLINK("http:\/\/127.0.0.1\/x")/CN=<img src=x onerror=window.__xss=2>' \
	>"$W/xss.err" 2>&1 || fail "openssl req for the hostile certificate: $(cat "$W/xss.err")"
assert_eq "O = \"$XSS_O\", OU = \"$XSS_OU\", CN = \"$XSS_CN\"" \
	"$(openssl x509 -in "$W/xss.crt" -noout -subject -nameopt oneline,-esc_msb | sed 's/^subject=//')" \
	"the hostile certificate has the intended subject"

unserve A
unserve B
unserve C
serve_leaf A "$A_PORT" expiring || exit 1
serve_leaf B "$B_PORT" nonpref || exit 1
serve D "$D_PORT" "$W/xss.crt" "$W/xss.key" || exit 1
sweep "$W/targets2.csv"
stop_servers

# ---------------------------------------------------------------- exploration
ls -la "$W"
finish
