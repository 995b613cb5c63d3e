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
# E (+74, its own inventory) serves a certificate whose CN and O start with '=' and '@': the
# report has no OU column (D's OU only shows inside the RFC 2253 subject and issuer, which start
# with "CN="), so E is what puts a formula at the start of CSV cells.
#
# Asserts:
#   - diff: the text names D new, C vanished, A renewed, B replaced, the new and resolved
#     findings; --format json has exactly the staged lists (checked with jq, and the findings
#     lists against the scans' own NDJSON records); --exit-code exits 1, and 0 for `diff 2 2`;
#   - csv: -o DIR writes the four views, RFC 4180 (python3's csv), headers equal to
#     tests/golden/report-headers.txt, a normalized projection (ports as offsets from FARM_BASE,
#     no hashes, serials, dates, day counts, scan ids) equal to tests/golden/report-*.csv; D's
#     <script> and OU text verbatim, no cell starting like a formula; E's =... and @... cells
#     prefixed with "'" (JSON unchanged); --view findings on stdout is byte for byte
#     DIR/findings.csv;
#   - json: schema, summary counts against the CSV rows, value types, a normalized projection
#     equal to tests/golden/report.json.txt, --view orders holds only the orders array;
#   - html: self-contained (no http(s) src/href, a CSP meta element), then in headless
#     Chromium (tools/browser.py): no console error, no request but the file, the endpoint
#     table's rows, the filter, a header sort, red rows for non-preferred certificates, the
#     hostile certificate's detail panel showing its CN and subject (with the <script> text) as
#     text, no img element, window.__xss never set, section#diff naming the new and vanished endpoints; a screenshot with the detail
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
	assert_eq 0 "$_rc" "sweep $SWEEPS exits 0"
	[ "$_rc" -eq 0 ] || head -c 1000 "$W/sweep$SWEEPS.out"
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
assert_eq "O=$XSS_O|OU=$XSS_OU|CN=$XSS_CN" \
	"$(openssl x509 -in "$W/xss.crt" -noout -subject -nameopt multiline,-esc_msb,utf8,sname |
		sed -n 's/^ *\([A-Za-z]*\) *= \(.*\)$/\1=\2/p' | paste -sd'|')" \
	"the hostile certificate has the intended subject"

unserve A
unserve B
unserve C
serve_leaf A "$A_PORT" expiring || exit 1
serve_leaf B "$B_PORT" nonpref || exit 1
serve D "$D_PORT" "$W/xss.crt" "$W/xss.key" || exit 1
sweep "$W/targets2.csv"
stop_servers

# fp FILE: the SHA-256 of a PEM certificate, lowercase hex without colons.
fp() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/^.*=//; s/://g' | tr 'A-F' 'a-f'
}

# run NAME COMMAND...: runs COMMAND, stdout in $W/NAME.out, stderr in $W/NAME.err, status in RC.
run() {
	_name=$1
	shift
	RC=0
	"$@" >"$W/$_name.out" 2>"$W/$_name.err" || RC=$?
}

# ran_ok NAME MESSAGE: the last run exited 0; when not, its stderr is shown.
ran_ok() {
	assert_eq 0 "$RC" "$2"
	[ "$RC" -eq 0 ] || sed 's/^/    /' "$W/$1.err" | head -n 20
}

# ---------------------------------------------------------------- diff: text
run diff "$CERTSWEEP" diff --db "$DB"
ran_ok diff "diff exits 0 without --exit-code"
out=$(cat "$W/diff.out")
assert_contains "$out" "A = scan 1 (nightly, started " "diff text: A is scan 1 of nightly"
assert_contains "$out" "B = scan 2 (nightly, started " "diff text: B is scan 2 of nightly"
assert_contains "$out" "New endpoints (1)
  127.0.0.1:$D_PORT (xss.test)  CN $XSS_CN, not after " "diff text: D is the one new endpoint"
assert_contains "$out" "Vanished endpoints (1)
  127.0.0.1:$C_PORT (good.test)  CN good.test  now refused" "diff text: C vanished, now refused"
assert_contains "$out" "Changed certificates (2)" "diff text: two changed certificates"
assert_contains "$out" "  127.0.0.1:$A_PORT (good.test)  CN good.test -> CN expiring.test  renewed, same issuer; not after " \
	"diff text: A renewed by the same issuer"
assert_contains "$out" "  127.0.0.1:$B_PORT (expired.test)  CN expired.test -> CN nonpref.test  replaced, issuer certsweep Preferred Test CA -> certsweep Test Intermediate CA; not after " \
	"diff text: B replaced, naming both issuers"
assert_contains "$out" "New findings (7)" "diff text: seven new findings"
assert_contains "$out" "  [medium] issuer.non_preferred  127.0.0.1:$B_PORT (expired.test)  " \
	"diff text: issuer.non_preferred new on B"
assert_contains "$out" "  [critical] cert.expiring  127.0.0.1:$A_PORT (good.test)  " \
	"diff text: cert.expiring new on A"
assert_contains "$out" "  [high] cert.self_signed  127.0.0.1:$D_PORT (xss.test)  " \
	"diff text: cert.self_signed new on D"
assert_contains "$out" "Resolved findings (1)
  [critical] cert.expired  127.0.0.1:$B_PORT (expired.test)  " "diff text: cert.expired resolved on B"
run diff_sweep "$CERTSWEEP" diff --db "$DB" --sweep nightly
run diff_one "$CERTSWEEP" diff --db "$DB" 2
run diff_two "$CERTSWEEP" diff --db "$DB" 1 2
if cmp -s "$W/diff.out" "$W/diff_sweep.out" && cmp -s "$W/diff.out" "$W/diff_one.out" &&
	cmp -s "$W/diff.out" "$W/diff_two.out"; then
	pass "diff, diff --sweep nightly, diff 2 and diff 1 2 print the same"
else
	fail "diff: the default, --sweep nightly, '2' and '1 2' differ"
fi

# ---------------------------------------------------------------- diff: JSON
run diffj "$CERTSWEEP" diff --db "$DB" --format json
DJ=$W/diffj.out
assert_eq 0 "$RC" "diff --format json exits 0"
assert_eq "certsweep.diff/1 [1] [2] nightly nightly" \
	"$(jq -r '[.schema, (.a.scans | tojson), (.b.scans | tojson), .a.name, .b.name] | join(" ")' "$DJ")" \
	"diff json: schema, the two scans, the sweep name"
assert_eq "1 1 2 7 1" \
	"$(jq -r '[.new_endpoints, .vanished_endpoints, .changed_certificates, .new_findings,
		.resolved_findings | length] | join(" ")' "$DJ")" \
	"diff json: 1 new, 1 vanished, 2 changed, 7 new findings, 1 resolved"
assert_eq "127.0.0.1 $D_PORT xss.test ok $XSS_CN $(fp "$W/xss.crt")" \
	"$(jq -r '.new_endpoints[0] | [.ip, .port, .sni, .status, .leaf_cn, .leaf_sha256] | join(" ")' "$DJ")" \
	"diff json: the new endpoint is D with the generated certificate"
assert_eq "127.0.0.1 $C_PORT good.test ok refused $(fp "$P/good.crt")" \
	"$(jq -r '.vanished_endpoints[0] | [.ip, .port, .sni, .status, .status_now, .leaf_sha256] | join(" ")' "$DJ")" \
	"diff json: the vanished endpoint is C (good, now refused)"
assert_eq "$A_PORT renewed $(fp "$P/good.crt") $(fp "$P/expiring.crt")|$B_PORT replaced $(fp "$P/expired.crt") $(fp "$P/nonpref.crt")" \
	"$(jq -r '[.changed_certificates[] | "\(.port) \(.change) \(.old.sha256) \(.new.sha256)"] | join("|")' "$DJ")" \
	"diff json: A renewed and B replaced, with the served certificates' SHA-256"
assert_eq true "$(jq '.changed_certificates[0] | .old.issuer == .new.issuer' "$DJ")" \
	"diff json: a renewal keeps the issuer"
assert_eq "CN=certsweep Test Intermediate CA,O=certsweep Test Org" \
	"$(jq -r '.changed_certificates[1].new.issuer' "$DJ")" "diff json: the replacement's issuer"
want="$A_PORT cert.expiring
$A_PORT cert.hostname_mismatch
$B_PORT cert.hostname_mismatch
$B_PORT issuer.non_preferred
$D_PORT cert.expiring
$D_PORT cert.self_signed
$D_PORT issuer.non_preferred"
assert_eq "$want" "$(jq -r '.new_findings[] | "\(.port) \(.check)"' "$DJ" | LC_ALL=C sort)" \
	"diff json: the new findings are those of A's, B's and D's new certificates"
assert_eq "$B_PORT cert.expired $(fp "$P/expired.crt")" \
	"$(jq -r '.resolved_findings[] | "\(.port) \(.check) \(.sha256)"' "$DJ")" \
	"diff json: the one resolved finding is cert.expired of B's old certificate"
# The same lists from the scans' own NDJSON records (another path than the inventory): a
# finding is endpoint x check x certificate; resolved only where the endpoint is up in B.
cat >"$W/nd.jq" <<'EOF'
def key: "\(.ip)|\(.port)|\(.sni)|\(.starttls)";
def fkeys: [.[] | select(.status == "ok") | . as $r | .findings[] |
	"\($r | key)|\(.id)|\(if .cert_position == null then null else $r.chain[.cert_position].sha256 end)"];
(.[0] | fkeys) as $a | (.[1] | fkeys) as $b |
[.[1][] | select(.status == "ok") | key] as $up |
{new: ($b - $a | sort), resolved: ([$a[] | select(. as $k | ($b | index([$k])) == null) |
	select(split("|")[0:4] | join("|") as $e | $up | index([$e]))] | sort)}
EOF
nd=$(jq -s -c '.' "$W/sweep1.ndjson" | jq -c --slurpfile b "$W/sweep2.ndjson" '[., $b]' | jq -c -f "$W/nd.jq")
got=$(jq -c '{new: ([.new_findings[] | "\(.ip)|\(.port)|\(.sni)|\(.starttls)|\(.check)|\(.sha256)"] | sort),
	resolved: ([.resolved_findings[] | "\(.ip)|\(.port)|\(.sni)|\(.starttls)|\(.check)|\(.sha256)"] | sort)}' "$DJ")
assert_eq "$nd" "$got" "diff json: new and resolved findings match the two sweeps' NDJSON records"

assert_status 1 "diff --exit-code exits 1 when something changed" \
	"$CERTSWEEP" diff --db "$DB" --exit-code
run same "$CERTSWEEP" diff --db "$DB" --exit-code 2 2
assert_eq 0 "$RC" "diff --exit-code 2 2 (a scan against itself) exits 0"
assert_eq "No changes between scan A and scan B." "$(sed -n 3p "$W/same.out")" "diff 2 2 says no changes"
assert_eq 3 "$(wc -l <"$W/same.out")" "diff 2 2: no section after it"
run samej "$CERTSWEEP" diff --db "$DB" --format json 2 2
assert_eq "0 0 0 0 0" \
	"$(jq -r '[.new_endpoints, .vanished_endpoints, .changed_certificates, .new_findings,
		.resolved_findings | length] | join(" ")' "$W/samej.out")" "diff json 2 2: every list empty"

# ---------------------------------------------------------------- golden files
# golden NAME FILE: FILE must equal tests/golden/NAME (UPDATE_GOLDEN=1: FILE becomes it).
golden() {
	if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
		mkdir -p "$GOLDEN"
		cp "$2" "$GOLDEN/$1"
		pass "golden $1 written"
	elif [ ! -f "$GOLDEN/$1" ]; then
		fail "golden $1 is missing: run with UPDATE_GOLDEN=1 and review it"
	elif diff -u "$GOLDEN/$1" "$2" >"$W/golden.diff"; then
		pass "$1 equals its golden file"
	else
		fail "$1 differs from tests/golden/$1 (UPDATE_GOLDEN=1 rewrites it):"
		sed 's/^/    /' "$W/golden.diff" | head -n 80
	fi
}

# The normalized projection of a CSV view: ports as +offset from FARM_BASE; no hashes, serials,
# dates, day counts, observation times or scan ids; the bytes a non-TLS server sent elided;
# dates and day counts in messages replaced. Certificate rows sorted (their order follows the
# SHA-256). Also checks RFC 4180 (every row as wide as the header). usage: norm.py BASE VIEW FILE
cat >"$W/norm.py" <<'EOF'
import csv, re, sys

base, view, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
DROP = {"endpoints": {"not_after", "days_left", "sha256", "observed_at", "scan_id"},
        "certificates": {"sha256", "serial", "not_before", "not_after", "days_left"},
        "findings": {"cert_sha256", "first_seen", "last_seen", "resolved_at"}}[view]

def port(m):
    return "%s+%d%s" % (m.group(1), int(m.group(2)) - base, m.group(3))

def text(v):
    v = re.sub(r'(server sent non-TLS data: )".*"$', r'\1"..."', v)
    v = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "DATE", v)
    return re.sub(r"\b\d+ days\b", "N days", v)

with open(path, newline="") as f:
    rows = list(csv.reader(f, strict=True))
head = rows[0]
bad = [i + 1 for i, r in enumerate(rows) if len(r) != len(head)]
if bad:
    sys.exit("%s: rows %s do not have %d fields" % (path, bad, len(head)))
keep = [i for i, h in enumerate(head) if h not in DROP]
out = []
for r in rows[1:]:
    d = dict(zip(head, r))
    if "port" in d:
        d["port"] = "+%d" % (int(d["port"]) - base)
    if view == "certificates":
        d["endpoints"] = re.sub(r"(:)(\d+)(#|\s|$)", port, d["endpoints"])
    for k in ("error", "message"):
        if k in d:
            d[k] = text(d[k])
    out.append([d[head[i]] for i in keep])
if view == "certificates":
    out.sort()
w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow([head[i] for i in keep])
w.writerows(out)
EOF

# ---------------------------------------------------------------- report: CSV
CSV=$W/csv
run csvdir "$CERTSWEEP" report --db "$DB" --format csv -o "$CSV"
ran_ok csvdir "report --format csv -o DIR exits 0"
assert_eq "certificates.csv endpoints.csv findings.csv orders.csv" "$(ls "$CSV" | paste -sd' ')" \
	"csv: the folder holds the four views and nothing else"
for v in endpoints certificates findings; do
	if python3 "$W/norm.py" "$FARM_BASE" "$v" "$CSV/$v.csv" >"$W/norm-$v.csv" 2>"$W/norm-$v.err"; then
		pass "csv: $v.csv parses as RFC 4180, every row as wide as the header"
	else
		fail "csv: $v.csv: $(cat "$W/norm-$v.err")"
	fi
done
for v in endpoints certificates findings orders; do
	echo "$v.csv: $(head -n 1 "$CSV/$v.csv")"
done >"$W/headers.txt"
golden report-headers.txt "$W/headers.txt"
for v in endpoints certificates findings; do
	golden "report-$v.csv" "$W/norm-$v.csv"
done
assert_eq 1 "$(wc -l <"$CSV/orders.csv")" "csv: orders.csv is its header alone (no orders synced)"

# rows VIEW [PYTHON-CONDITION on r]: the number of rows of DIR/VIEW.csv (r: the row as a dict).
rows() {
	python3 - "$CSV/$1.csv" "${2:-True}" <<'EOF'
import csv, sys
print(sum(1 for r in csv.DictReader(open(sys.argv[1], newline="")) if eval(sys.argv[2])))
EOF
}
N_EPS=$(rows endpoints)
assert_eq $((N_FARM + 4)) "$N_EPS" "csv: one endpoint row per target of sweep 2 (farm + A B C D)"
assert_eq "$(jq -s '[.[] | select(.status == "ok")] | length' "$W/sweep2.ndjson")" \
	"$(rows endpoints 'r["status"] == "ok"')" "csv: as many ok rows as the sweep's NDJSON"
assert_eq "refused" "$(python3 - "$CSV/endpoints.csv" "$C_PORT" <<'EOF'
import csv, sys
print(" ".join(r["status"] for r in csv.DictReader(open(sys.argv[1], newline=""))
               if r["port"] == sys.argv[2]))
EOF
)" "csv: C is in scan 2's report, refused"

# The hostile certificate in CSV: text kept verbatim (CSV is not HTML), nothing a spreadsheet
# would evaluate. Its OU only appears inside the RFC 2253 subject and issuer (no OU column).
hostile=$(python3 - "$CSV/certificates.csv" "$XSS_CN" <<'EOF'
import csv, sys
for r in csv.DictReader(open(sys.argv[1], newline="")):
    if r["subject_cn"] == sys.argv[2]:
        print(r["issuer_org"])
        print(r["subject"])
EOF
)
assert_eq "$XSS_O" "$(echo "$hostile" | head -n 1)" "csv: the <script> organisation verbatim in issuer_org"
assert_contains "$(echo "$hostile" | tail -n 1)" 'OU==HYPERLINK(\"http://127.0.0.1/x\")' \
	"csv: the hostile OU verbatim inside the subject (RFC 2253)"
assert_eq "" "$(python3 - "$CSV" <<'EOF'
import csv, glob, re, sys
for path in sorted(glob.glob(sys.argv[1] + "/*.csv")):
    for n, row in enumerate(csv.reader(open(path, newline=""))):
        for cell in row:
            if cell[:1] in ("=", "+", "@", "\t", "\r") or (cell[:1] == "-" and not re.fullmatch(r"-\d+", cell)):
                print("%s:%d: %r" % (path, n + 1, cell))
EOF
)" "csv: no cell of the four views starts like a formula"
run fview "$CERTSWEEP" report --db "$DB" --format csv --view findings
if [ "$RC" -eq 0 ] && cmp -s "$W/fview.out" "$CSV/findings.csv"; then
	pass "csv: --view findings on stdout is byte for byte DIR/findings.csv"
else
	fail "csv: --view findings (exit $RC) differs from DIR/findings.csv"
fi

# Formula neutralisation: E (its own inventory) serves a certificate whose CN and O start
# with '=' and '@'; the CSV cells get a leading "'", the JSON keeps the text as it is.
E_PORT=$((FARM_BASE + 74))
FORMULA_CN='=HYPERLINK("http://127.0.0.1/x")'
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	-keyout "$W/formula.key" -out "$W/formula.crt" -addext 'subjectAltName=DNS:formula.test' \
	-subj '/O=@SUM(1\+1)/CN==HYPERLINK("http:\/\/127.0.0.1\/x")' >"$W/formula.err" 2>&1 ||
	fail "openssl req for the formula certificate: $(cat "$W/formula.err")"
serve E "$E_PORT" "$W/formula.crt" "$W/formula.key" || exit 1
"$CERTSWEEP" scan -q --db "$W/formula.db" "127.0.0.1:$E_PORT" --sni formula.test \
	--ca-file "$FARM_ROOTS" --timeout 3s --retries 0 >/dev/null 2>&1
unserve E
run formula "$CERTSWEEP" report --db "$W/formula.db" --format csv -o "$W/formula"
assert_eq "'$FORMULA_CN|'@SUM(1+1)" "$(python3 - "$W/formula/certificates.csv" <<'EOF'
import csv, sys
for r in csv.DictReader(open(sys.argv[1], newline="")):
    print(r["subject_cn"] + "|" + r["issuer_org"])
EOF
)" "csv: cells starting with = and @ are prefixed with ' (formula neutralised)"
assert_contains "$(cat "$W/formula/endpoints.csv")" "\"'=HYPERLINK(\"\"http://127.0.0.1/x\"\")\"" \
	"csv: the endpoints view quotes and neutralises the same CN"
assert_eq "$FORMULA_CN" "$("$CERTSWEEP" report --db "$W/formula.db" --format json --view certificates |
	jq -r '.certificates[0].subject_cn')" "json: the same CN unchanged (no CSV prefix in JSON)"

# ---------------------------------------------------------------- report: JSON
run json "$CERTSWEEP" report --db "$DB" --format json
RJ=$W/json.out
assert_eq 0 "$RC" "report --format json exits 0"
if jq -e . "$RJ" >/dev/null 2>&1; then pass "json: parses"; else fail "json: does not parse"; fi
assert_eq "certsweep.report/1" "$(jq -r .schema "$RJ")" "json: schema certsweep.report/1"
assert_eq '[2] ["nightly"]' "$(jq -c '[.scope.scans[].id]' "$RJ") $(jq -c '[.scope.scans[].name]' "$RJ")" \
	"json: the default scope is the latest sweep, scan 2"
assert_eq "$N_EPS $N_EPS" "$(jq '.summary.endpoints' "$RJ") $(jq '.endpoints | length' "$RJ")" \
	"json: summary.endpoints = endpoint rows = CSV rows"
assert_eq "$(rows endpoints 'r["status"] == "ok"')" "$(jq '.summary.tls_endpoints' "$RJ")" \
	"json: summary.tls_endpoints = CSV rows with status ok"
assert_eq "$(rows certificates 'r["leaf"] == "yes"')" "$(jq '.summary.unique_certificates' "$RJ")" \
	"json: summary.unique_certificates = CSV leaf certificate rows"
assert_eq "$(rows certificates 'r["leaf"] == "yes" and r["preferred"] == "no"')" \
	"$(jq '.summary.non_preferred' "$RJ")" "json: summary.non_preferred = non-preferred leaf rows"
assert_eq "$(rows certificates 'r["leaf"] == "yes" and r["trusted"] == "no"')" \
	"$(jq '.summary.untrusted' "$RJ")" "json: summary.untrusted = untrusted leaf rows"
assert_eq "$(rows certificates 'r["leaf"] == "yes" and int(r["days_left"]) < 0')" \
	"$(jq '.summary.expired' "$RJ")" "json: summary.expired = leaf rows with days_left < 0"
assert_eq "$(rows certificates 'r["leaf"] == "yes" and 0 <= int(r["days_left"]) <= 30')" \
	"$(jq '.summary.expiring_30' "$RJ")" "json: summary.expiring_30 = leaf rows with 0-30 days left"
assert_eq "$(rows findings) $(rows certificates)" \
	"$(jq '.findings | length' "$RJ") $(jq '.certificates | length' "$RJ")" \
	"json: as many findings and certificates as the CSV views"
assert_eq true "$(jq '.summary | (.expiry_weeks | length) == 52 and
	(.expiry_weeks | add) + .expiry_later == .unique_certificates - .expired' "$RJ")" \
	"json: 52 expiry weeks, which with expiry_later count every unexpired leaf"
assert_eq true "$(jq '[.endpoints[] | (.port | type) == "number" and
	(.preferred | type) as $t | ($t == "boolean" or $t == "null") and
	(.verified | type) as $v | ($v == "boolean" or $v == "null") and
	(.findings | type) == "array"] | all' "$RJ")" \
	"json: endpoints: port a number, preferred and verified boolean or null, findings an array"
assert_eq true "$(jq '[.certificates[] | (.sans | type) == "array" and (.key_bits | type) == "number" and
	(.leaf | type) == "boolean" and (.endpoint_count == (.endpoints | length))] | all' "$RJ")" \
	"json: certificates: sans an array, key_bits a number, leaf a boolean, endpoint_count counted"
assert_eq true "$(jq '[.findings[] | (.port | type) == "number"] | all' "$RJ")" "json: findings: port a number"
assert_eq '["<img src=x onerror=window.__xss=2>","<script>window.__xss=1</script>",["DNS:xss.test"]]' \
	"$(jq -c --arg cn "$XSS_CN" '.certificates[] | select(.subject_cn == $cn) | [.subject_cn, .issuer_org, .sans]' "$RJ")" \
	"json: the hostile certificate's fields as they are"
# An endpoint that served no certificate is neither preferred nor non-preferred.
assert_eq '[null]' "$(jq -c '[.endpoints[] | select(.status != "ok") | .preferred] | unique' "$RJ")" \
	"json: endpoints without TLS (refused, timeout, not_tls ...) have preferred null"

cat >"$W/golden.jq" <<'EOF'
def port: . - $base;
def dates: gsub("[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?( UTC|Z)?"; "DATE");
"schema " + .schema,
"scope " + (.scope | {text: (.text | dates), since, scans: [.scans[] | {name, status}]} | tojson),
"summary " + (.summary | .expiry_weeks = {weeks: (.expiry_weeks | length), sum: (.expiry_weeks | add)} | tojson),
(.endpoints[] | "endpoint " + ({host, ip, port: (.port | port), sni, starttls, status, verified,
	hostname_ok, preferred, grade, score, subject_cn, findings, order_id} | tojson)),
([.certificates[] | "certificate " + ({subject_cn, issuer_org, sans, key_type, key_bits, curve,
	sig_alg, self_signed, is_ca, leaf, preferred, trusted, endpoint_count,
	endpoints: [.endpoints[] | sub(":(?<p>[0-9]+)(?<r>#|$)"; ":+\((.p | tonumber) - $base)\(.r)")],
	findings} | tojson)] | sort[]),
(.findings[] | "finding " + ({check_id, severity, kind, status, port: (.port | port), sni,
	cert_cn} | tojson)),
"orders " + (.orders | length | tostring)
EOF
if jq -r --argjson base "$FARM_BASE" -f "$W/golden.jq" "$RJ" >"$W/report.json.txt" 2>"$W/golden.jq.err"; then
	golden report.json.txt "$W/report.json.txt"
else
	fail "json: the golden projection failed: $(cat "$W/golden.jq.err")"
fi
run orders "$CERTSWEEP" report --db "$DB" --format json --view orders
assert_eq 0 "$RC" "report --format json --view orders exits 0"
assert_eq '["generated_at","orders","schema","scope","summary"]' "$(jq -c 'keys' "$W/orders.out")" \
	"json --view orders: only orders besides schema, generated_at, scope and summary"
assert_eq '[]' "$(jq -c '.orders' "$W/orders.out")" "json --view orders: no orders"

# ---------------------------------------------------------------- report: HTML
HTML=$W/r.html
run html "$CERTSWEEP" report --db "$DB" --format html --scan 2 -o "$HTML"
ran_ok html "report --format html --scan 2 -o FILE exits 0"
assert_eq "" "$(grep -Eio '(src|href|action|poster|srcset)[[:space:]]*=[[:space:]]*["'"'"']?[[:space:]]*(https?:)?//[^"'"'"' >]*' "$HTML")" \
	"html: no src/href fetching anything over the network"
assert_eq "" "$(grep -Eio '(@import|url\([[:space:]]*["'"'"']?(https?:)?//)' "$HTML")" "html: no CSS import or url() fetch"
assert_contains "$(grep -o '<meta http-equiv="Content-Security-Policy" content="[^"]*"' "$HTML")" \
	"default-src 'none'; script-src 'sha256-" "html: a Content-Security-Policy meta element"
assert_eq 1 "$(grep -c '<section id="diff">' "$HTML")" "html: scan 2 has the diff section"
# The data block: valid JSON, no raw '<' (it cannot end its element), the hostile certificate.
if XSS_ROW=$(python3 - "$HTML" "$XSS_CN" 2>&1 <<'EOF'
import json, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<script id="cs-data" type="application/json">(.*?)</script>', page, re.S)
if not m or "<" in m.group(1):
    sys.exit("no data block, or a raw '<' in it")
d = json.loads(m.group(1))
cn = d["cert_cols"].index("cn")
print([i for i, c in enumerate(d["certs"]) if c[cn] == sys.argv[2]][0])
EOF
); then
	pass "html: the data block is JSON without a raw '<', holding the hostile certificate"
else
	fail "html: data block: $XSS_ROW"
fi
run html_nodiff "$CERTSWEEP" report --db "$DB" --format html --scan 2 --no-diff
assert_eq "0 0" "$RC $(grep -c '<section id="diff">' "$W/html_nodiff.out")" "html --no-diff: no diff section"
run html_first "$CERTSWEEP" report --db "$DB" --format html --scan 1
assert_eq "0 0" "$RC $(grep -c '<section id="diff">' "$W/html_first.out")" \
	"html --scan 1: the first scan of its sweep has no diff section"

mkdir -p "$ARTIFACTS"
SHOT=$ARTIFACTS/report-dashboard.png
rm -f "$SHOT"
ROWS='document.querySelectorAll("#table-endpoints tbody tr").length'
FIRST='document.querySelector("#table-endpoints tbody tr td[data-col=addr]").textContent'
XSS_TYPE='new Promise(r => { let n = 0; const t = setInterval(() => {
	if (window.__xss !== undefined || ++n > 20) { clearInterval(t); r(typeof window.__xss); }
}, 50); })'
BJ=$W/browser.json
RC=0
TMPDIR=$W python3 "$BROWSER" --timeout 40 --wait-for 'window.csReady === true' \
	--fail-on-console-errors --only-file-requests \
	--eval "$ROWS" \
	--eval "$FIRST" \
	--type '#filter-endpoints' nonpref --sleep 400 \
	--eval "$ROWS" \
	--eval '[...document.querySelectorAll("#table-endpoints tbody tr")].every(tr => tr.textContent.toLowerCase().includes("nonpref"))' \
	--type '#filter-endpoints' '' --sleep 400 \
	--eval "$ROWS" \
	--click '#table-endpoints th[data-col="cert"]' \
	--eval "$FIRST" \
	--eval 'document.querySelector("#table-endpoints th[data-col=cert]").getAttribute("aria-sort")' \
	--eval '[...document.querySelectorAll("#table-certs tbody tr.nonpref td[data-col=cn]")].map(t => t.textContent).sort().join("|")' \
	--eval '[...document.querySelectorAll("#table-endpoints tbody tr.nonpref td[data-col=addr]")].map(t => t.textContent).sort().join(" ")' \
	--click "#table-certs tbody tr[data-cert=\"$XSS_ROW\"]" --sleep 200 \
	--eval 'document.getElementById("detail").hidden' \
	--eval 'document.getElementById("detail").textContent' \
	--eval 'document.querySelectorAll("img").length + "/" + document.querySelectorAll("script").length' \
	--eval "document.querySelector('#table-certs tbody tr[data-cert=\"$XSS_ROW\"]').textContent" \
	--eval 'document.querySelector("section#diff") ? document.querySelector("section#diff").textContent : "none"' \
	--eval "$XSS_TYPE" \
	--eval 'window.scrollTo(0, 0)' \
	--screenshot "$SHOT" \
	"$HTML" >"$BJ" 2>"$W/browser.err" || RC=$?
# r N: the value of the run's eval step N (0-based, evals only).
r() {
	jq -r --argjson n "$1" '[.results[] | select(.step == "eval")][$n].value' "$BJ" 2>/dev/null
}
ran_ok browser "html in Chromium: the run works and passes both checks"
assert_eq '[]|[]|[]' "$(jq -c .console "$BJ")|$(jq -c .exceptions "$BJ")|$(jq -c .checks "$BJ")" \
	"html: no console message, exception or failed check"
assert_eq "[\"file://$HTML\"]" "$(jq -c .requests "$BJ")" "html: the only request is the file itself"
want_rows=$N_EPS
[ "$want_rows" -gt 100 ] && want_rows=100
assert_eq "$want_rows" "$(r 0)" "html: the endpoint table shows min(100, $N_EPS) rows"
want=$(jq '[.endpoints[] | select(((.sni + " " + .subject_cn) | ascii_downcase) | contains("nonpref"))] | length' "$RJ")
assert_eq "2 2" "$want $(r 2)" "html: filtering 'nonpref' leaves the 2 matching endpoints (farm nonpref, B)"
assert_eq true "$(r 3)" "html: every row left by the filter matches it"
assert_eq "$want_rows" "$(r 4)" "html: clearing the filter brings every row back"
assert_eq "127.0.0.1:$((FARM_BASE + 2))|ascending" "$(r 5)|$(r 6)" \
	"html: sorting by certificate puts the expired one first"
if [ "$(r 1)" != "$(r 5)" ]; then
	pass "html: the header click changed the first row ($(r 1) -> $(r 5))"
else
	fail "html: the header click left the first row at $(r 1)"
fi
assert_eq "$(jq -r '[.certificates[] | select(.preferred == false) | .subject_cn] | sort | join("|")' "$RJ")" \
	"$(r 7)" "html: the non-preferred certificates' rows, exactly, have class nonpref"
assert_eq "$(jq -r '[.endpoints[] | select(.status == "ok" and .preferred == false) | "\(.ip):\(.port)"] | sort | join(" ")' "$RJ")" \
	"$(r 8)" "html: endpoint rows have class nonpref exactly when they serve a non-preferred certificate"
assert_eq false "$(r 9)" "html: clicking the hostile certificate's row opens aside#detail"
detail=$(r 10)
assert_contains "$detail" "Common name$XSS_CN" "html: the detail shows the hostile CN as text"
assert_contains "$detail" 'O=\<script\>window.__xss=1\</script\>' \
	"html: the detail shows the <script> organisation as text (in the RFC 2253 subject)"
assert_contains "$detail" "DNS:xss.test" "html: the detail lists the SAN"
assert_contains "$(r 12)" "$XSS_O" "html: the certificate row shows the <script> organisation verbatim as text"
assert_eq "0/2" "$(r 11)" "html: no img element and only the page's two script elements exist"
diffsec=$(r 13)
assert_contains "$diffsec" "New endpoints (1)" "html: section#diff lists one new endpoint"
assert_contains "$diffsec" "127.0.0.1:$D_PORT (xss.test)" "html: section#diff names D"
assert_contains "$diffsec" "Vanished endpoints (1)" "html: section#diff lists one vanished endpoint"
assert_contains "$diffsec" "127.0.0.1:$C_PORT (good.test)" "html: section#diff names C"
assert_eq undefined "$(r 14)" "html: window.__xss is never set"
echo "screenshot: $SHOT"
assert_eq '89 50 4e 47 0d 0a 1a 0a' "$(od -An -tx1 -N8 "$SHOT" 2>/dev/null | sed 's/^ *//')" \
	"html: the screenshot is a PNG"
assert_eq 0 "$(find "$W" -maxdepth 1 -name 'certsweep-browser.*' | wc -l)" "html: browser.py removed its profile"

# ---------------------------------------------------------------- wrong input
# fails NAME STATUS NEEDLE MESSAGE COMMAND...: COMMAND exits STATUS with NEEDLE on stderr.
fails() {
	_n=$1 _st=$2 _needle=$3 _msg=$4
	shift 4
	run "$_n" "$@"
	assert_eq "$_st" "$RC" "$_msg: exit $_st"
	assert_contains "$(cat "$W/$_n.err")" "$_needle" "$_msg: message"
}
fails e1 2 "available: csv, json, html, text" "report --format bogus" \
	"$CERTSWEEP" report --db "$DB" --format bogus
fails e2 2 "available: endpoints, certificates, findings, orders" "report --view bogus" \
	"$CERTSWEEP" report --db "$DB" --view bogus
fails e3 2 "yesterdayish" "report --since yesterdayish" "$CERTSWEEP" report --db "$DB" --since yesterdayish
fails e4 3 "no scan 999" "report --scan 999" "$CERTSWEEP" report --db "$DB" --scan 999
fails e5 2 "--scan names one scan" "report --scan 1 --sweep x" "$CERTSWEEP" report --db "$DB" --scan 1 --sweep x
fails e6 2 "--view goes with" "report --view endpoints --format html" \
	"$CERTSWEEP" report --db "$DB" --view endpoints --format html
fails e7 3 "$W/missing.db" "report on a missing database" "$CERTSWEEP" report --db "$W/missing.db"
if [ ! -e "$W/missing.db" ]; then
	pass "report does not create the missing database"
else
	fail "report created $W/missing.db"
fi
fails e8 3 "/nonexistent-dir/x.html" "report -o /nonexistent-dir/x.html" \
	"$CERTSWEEP" report --db "$DB" --format html -o /nonexistent-dir/x.html
if [ ! -e /nonexistent-dir ]; then
	pass "-o /nonexistent-dir/x.html: the folder is not created"
else
	fail "-o /nonexistent-dir/x.html created /nonexistent-dir"
fi
mkdir -p "$W/outdir/taken.html"
fails e9 3 "taken.html" "report -o onto a folder" \
	"$CERTSWEEP" report --db "$DB" --format html -o "$W/outdir/taken.html"
assert_eq "taken.html" "$(ls -A "$W/outdir")" "report -o onto a folder: no partial or temporary file left"
printf 'keep me\n' >"$W/existing.out.txt"
fails e10 3 "give a folder" "csv without --view, -o an existing file" \
	"$CERTSWEEP" report --db "$DB" --format csv -o "$W/existing.out.txt"
assert_eq "keep me" "$(cat "$W/existing.out.txt")" "csv -o an existing file: the file is left alone"
"$CERTSWEEP" scan -q --db "$W/one.db" --name once "$(farm_target good)" --ca-file "$FARM_ROOTS" \
	--timeout 3s --retries 0 >/dev/null 2>&1
fails e11 3 "first of its sweep" "diff on an inventory with one scan" "$CERTSWEEP" diff --db "$W/one.db"
fails e12 2 'unexpected argument "3"' "diff 1 2 3" "$CERTSWEEP" diff --db "$DB" 1 2 3
assert_eq "" "$(find "$W" -name '*.tmp.*')" "no temporary report file left anywhere"

finish
