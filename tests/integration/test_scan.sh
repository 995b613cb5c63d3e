#!/bin/bash
# test_scan.sh: certsweep scan end to end against the real loopback farm (nginx HTTPS with the
# test PKI, nginx mail STARTTLS, closed port, plain HTTP, hostile servers), a real DNS server
# (dnsmasq on a loopback port) and the SQLite inventory.
#
# Asserts, per endpoint: the status, and for TLS endpoints the exact set of finding IDs that
# tools/testpki.sh's expected.tsv lists (info findings aside) and the pinned severities. Then:
# STARTTLS auto by greeting, hostnames via DNS and a hosts file, re-run resolution of findings,
# the CSV report, exit codes, bad input (targets, files, corrupt database) and interruption.
CERTSWEEP=${1:?usage: test_scan.sh PATH/TO/certsweep}
CERTSWEEP=$(cd "$(dirname "$CERTSWEEP")" && pwd)/$(basename "$CERTSWEEP")
. "$(dirname "$0")/lib.sh"

farm_up || exit 1
W=$FARM_DIR/work
mkdir -p "$W"
COMMON=(--ca-file "$FARM_ROOTS" --preferred-ca "$FARM_PREFERRED" --timeout 2s --retries 0)

# ---------------------------------------------------------------- the whole farm, one sweep
awk -F'\t' '!/^#/ {
	sni = ($5 == "-") ? "" : $5
	st = ($4 == "smtp" || $4 == "imap" || $4 == "pop3") ? $4 : ""
	print $2 "," $3 "," sni "," st
}' "$FARM_DIR/endpoints.tsv" >"$W/targets.csv"
n_targets=$(wc -l <"$W/targets.csv")

rc=0
"$CERTSWEEP" scan -q --db "$W/inv.db" --json "$W/scan.ndjson" --targets "$W/targets.csv" \
	--name farm "${COMMON[@]}" >"$W/scan.out" 2>&1 || rc=$?
assert_eq 0 "$rc" "farm sweep exits 0"
assert_eq "$n_targets" "$(wc -l <"$W/scan.ndjson")" "one NDJSON record per endpoint"

record() { # addr port -> the endpoint's JSON record
	jq -c --arg a "$1" --argjson p "$2" 'select(.ip == $a and .port == $p)' "$W/scan.ndjson"
}

while IFS=$'\t' read -r name addr port findings severity sni starttls cert; do
	case $name in '#'*) continue ;; esac
	rec=$(record "$addr" "$port")
	assert_eq ok "$(jq -r .status <<<"$rec")" "$name: status ok"
	want=$(tr ' ' '\n' <<<"${findings/#-/}" | sed '/^$/d' | sort | paste -sd' ')
	got=$(jq -r '[.findings[] | select(.severity != "info") | .id] | unique | .[]' <<<"$rec" | sort | paste -sd' ')
	assert_eq "$want" "$got" "$name: findings"
	if [ "$severity" != "-" ]; then
		for pin in $severity; do
			id=${pin%%=*} sev=${pin#*=}
			assert_eq "$sev" "$(jq -r --arg i "$id" '[.findings[] | select(.id == $i) | .severity][0]' <<<"$rec")" \
				"$name: $id is $sev"
		done
	fi
	if [ "$starttls" != "-" ]; then
		assert_eq "$starttls" "$(jq -r .starttls <<<"$rec")" "$name: STARTTLS $starttls"
	fi
	[ "$sni" != "-" ] && assert_eq "$sni" "$(jq -r .sni <<<"$rec")" "$name: SNI sent"
	assert_eq true "$(jq '(.chain | length) > 0 and (.chain[0].sha256 | length) == 64' <<<"$rec")" \
		"$name: chain recorded"
done <"$FARM_DIR/expected.tsv"

rec=$(record "$(farm_addr good)" "$(farm_port good)")
assert_eq true "$(jq '.tls.version != null and .tls.cipher != null and .tls.group != null' <<<"$rec")" \
	"good: version, cipher and group recorded"
assert_contains " h2 http/1.1 " " $(jq -r .tls.alpn <<<"$rec") " "good: ALPN negotiated with nginx"
assert_eq true "$(jq '.validation.trusted and .validation.hostname_ok and .validation.preferred' <<<"$rec")" \
	"good: trusted, name ok, preferred"

# The same sweep with OpenSSL's full handshake must record the same facts as the fast path
# (own ClientHello, TLS 1.3 decrypted with the handshake keys): version, cipher, group, ALPN,
# staple, chain and findings, for every endpoint; statuses too.
"$CERTSWEEP" scan -q --db "$W/full.db" --json "$W/full.ndjson" --handshake full --targets "$W/targets.csv" \
	"${COMMON[@]}" >/dev/null 2>&1 || true
facts='[.ip, .port, .status, .starttls, .tls, [.chain[].sha256], ([.findings[].id] | sort)]'
jq -c "$facts" "$W/scan.ndjson" | sort >"$W/fast.facts"
jq -c "$facts" "$W/full.ndjson" | sort >"$W/full.facts"
if diff "$W/fast.facts" "$W/full.facts" >"$W/facts.diff"; then
	pass "--handshake fast and full record identical facts for all $n_targets endpoints"
else
	fail "fast and full handshakes differ: $(head -c 600 "$W/facts.diff")"
fi
# Older protocols through both paths: openssl s_server limited to TLS 1.2 (ECDHE-RSA), to
# TLS 1.2 with DHE only, and to TLS 1.0 (security level 0).
proto_case() { # label port expected-version expected-cipher expected-group s_server-args...
	label=$1 port=$2 want_v=$3 want_c=$4 want_g=$5
	shift 5
	openssl s_server -accept "127.0.0.1:$port" -cert "$FARM_PKI/good.crt" -key "$FARM_PKI/good.key" \
		-cert_chain "$FARM_PKI/pref-int-ca.crt" -quiet -naccept 2 "$@" >/dev/null 2>&1 &
	spid=$!
	sleep 0.4
	for mode in fast full; do
		"$CERTSWEEP" scan -q --db "$W/proto.db" --json "$W/proto-$mode.ndjson" --handshake "$mode" \
			"127.0.0.1:$port" "${COMMON[@]}" >/dev/null 2>&1 || true
		assert_eq "ok $want_v $want_c $want_g" \
			"$(jq -r '[.status, .tls.version, .tls.cipher, .tls.group] | join(" ")' "$W/proto-$mode.ndjson")" \
			"$label ($mode handshake)"
	done
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
}
proto_case "TLS 1.2 ECDHE-RSA" $((FARM_BASE + 95)) TLSv1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 x25519 \
	-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256
proto_case "TLS 1.2 DHE-RSA" $((FARM_BASE + 94)) TLSv1.2 TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 DH-2048 \
	-tls1_2 -cipher DHE-RSA-AES256-GCM-SHA384
proto_case "TLS 1.0" $((FARM_BASE + 93)) TLSv1 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA x25519 \
	-tls1 -cipher 'ECDHE-RSA-AES256-SHA:@SECLEVEL=0'

check_status() { # name status [error-substring]
	rec=$(record "$(farm_addr "$1")" "$(farm_port "$1")")
	assert_eq "$2" "$(jq -r .status <<<"$rec")" "$1: status $2"
	[ -n "${3:-}" ] && assert_contains "$(jq -r .error <<<"$rec")" "$3" "$1: error text"
}
check_status closed refused "refused"
check_status plain not_tls "HTTP/1.1"
check_status garbage not_tls "non-TLS"
check_status stall timeout "timed out"
check_status huge handshake_failed
check_status bigrecord handshake_failed

# The summary (not quiet) and the store.
"$CERTSWEEP" scan --db "$W/sum.db" "$(farm_target good)" "$(farm_target expired)" "${COMMON[@]}" >"$W/sum.out" 2>&1
out=$(cat "$W/sum.out")
assert_contains "$out" "endpoints tried     2" "summary: endpoints tried"
assert_contains "$out" "unique certificates 3" "summary: unique certificates (2 leaves + 1 intermediate)"
assert_contains "$out" "cert.expired" "summary: count per finding ID"

db() { sqlite3 -batch "$W/inv.db" "$@"; }
assert_eq ok "$(db 'PRAGMA integrity_check')" "inventory passes integrity_check"
assert_eq wal "$(db 'PRAGMA journal_mode')" "inventory in WAL mode"
assert_eq "$n_targets" "$(db 'SELECT count(*) FROM observations')" "one observation per endpoint"
assert_eq done "$(db "SELECT status FROM scans WHERE name = 'farm'")" "scan marked done"
n_unique=$(jq -r '.chain[].sha256' "$W/scan.ndjson" | sort -u | wc -l)
assert_eq "$n_unique" "$(db 'SELECT count(*) FROM certificates')" "certificates deduplicated by SHA-256"
assert_eq 1 "$(db "SELECT count(*) FROM findings WHERE check_id = 'cert.expired' AND status = 'open'")" \
	"cert.expired stored as an open finding"

# ---------------------------------------------------------------- CSV report
"$CERTSWEEP" report --db "$W/inv.db" --format csv -o "$W/report.csv"
assert_eq "host,ip,port,sni,starttls,status,error,tls_version,cipher,group" \
	"$(head -1 "$W/report.csv" | cut -d, -f1-10)" "CSV header"
assert_contains "$(grep ',nonpref.test,,ok,' "$W/report.csv")" ",no,nonpref.test," \
	"CSV: non-preferred row says no"
assert_contains "$(grep ",$(farm_port good),good.test,,ok," "$W/report.csv")" ",yes,good.test," \
	"CSV: preferred row says yes"
assert_eq "$(jq -s 'length' "$W/scan.ndjson")" \
	"$(($(wc -l <"$W/report.csv") - 1))" "CSV: one row per endpoint of the sweep"

# ---------------------------------------------------------------- re-run resolves findings
"$CERTSWEEP" scan -q --db "$W/rerun.db" --expiring-high 120 --expiring-critical 7 \
	"$(farm_target good)" "${COMMON[@]}"
assert_eq open "$(sqlite3 "$W/rerun.db" "SELECT status FROM findings WHERE check_id = 'cert.expiring'")" \
	"threshold 120 days: cert.expiring open on good"
"$CERTSWEEP" scan -q --db "$W/rerun.db" "$(farm_target good)" "${COMMON[@]}"
assert_eq resolved "$(sqlite3 "$W/rerun.db" "SELECT status FROM findings WHERE check_id = 'cert.expiring'")" \
	"default thresholds on re-run: cert.expiring resolved"
assert_eq 2 "$(sqlite3 "$W/rerun.db" 'SELECT count(*) FROM scans')" "two scans recorded"

# ---------------------------------------------------------------- STARTTLS auto by greeting
"$CERTSWEEP" scan -q --db "$W/auto.db" --json "$W/auto.ndjson" --starttls auto \
	"$(farm_target smtp)" "$(farm_target imap)" "$(farm_target pop3)" "${COMMON[@]}"
for p in smtp imap pop3; do
	rec=$(jq -c --argjson p "$(farm_port $p)" 'select(.port == $p)' "$W/auto.ndjson")
	assert_eq "ok $p" "$(jq -r '.status + " " + .starttls' <<<"$rec")" "--starttls auto finds $p by its greeting"
done
rc=0
"$CERTSWEEP" scan -q --db "$W/auto.db" --json "$W/st.ndjson" --starttls imap "$(farm_target smtp)" \
	"${COMMON[@]}" || rc=$?
assert_eq starttls_failed "$(jq -r .status "$W/st.ndjson")" "IMAP dialogue against SMTP: starttls_failed"

# ---------------------------------------------------------------- names: DNS server and hosts file
DNS_PORT=$((FARM_BASE + 98))
dnsmasq --keep-in-foreground --port="$DNS_PORT" --listen-address=127.0.0.1 --bind-interfaces \
	--no-resolv --no-hosts --local=/test/ --address=/good.test/127.0.0.1 \
	--address=/wronghost.test/127.0.0.1 --address=/dual.test/127.0.0.1 --address=/dual.test/::1 \
	--pid-file="$W/dnsmasq.pid" --user="$(id -un)" 2>"$W/dnsmasq.err" &
DNS_PID=$!
sleep 0.5
"$CERTSWEEP" scan -q --db "$W/dns.db" --json "$W/dns.ndjson" --resolver "127.0.0.1:$DNS_PORT" \
	"good.test:$(farm_port good)" "wronghost.test:$(farm_port wronghost)" \
	"missing.test:$(farm_port good)" "dual.test:$(farm_port good)" "${COMMON[@]}" || true
kill "$DNS_PID" 2>/dev/null
rec=$(jq -c 'select(.host == "good.test")' "$W/dns.ndjson")
assert_eq "ok good.test 127.0.0.1" "$(jq -r '.status + " " + .sni + " " + .ip' <<<"$rec")" \
	"hostname resolved by the DNS server, scanned with the name as SNI"
assert_eq "[]" "$(jq -c '[.findings[] | select(.severity != "info") | .id]' <<<"$rec")" "good.test: no findings"
rec=$(jq -c 'select(.host == "wronghost.test")' "$W/dns.ndjson")
assert_contains "$(jq -r '[.findings[].id] | join(" ")' <<<"$rec")" cert.hostname_mismatch \
	"wronghost.test: hostname mismatch found through DNS"
assert_eq dns_failed "$(jq -r 'select(.host == "missing.test") | .status' "$W/dns.ndjson")" \
	"unknown name: dns_failed"
assert_eq 1 "$(jq -r 'select(.host == "dual.test" and .ip == "127.0.0.1") | .port' "$W/dns.ndjson" | wc -l)" \
	"name with two addresses: IPv4 scanned"
assert_eq 1 "$(jq -r 'select(.host == "dual.test" and .ip == "::1") | .port' "$W/dns.ndjson" | wc -l)" \
	"name with two addresses: IPv6 scanned too"

printf '127.0.0.1 fromhosts.test\n' >"$W/hosts"
"$CERTSWEEP" scan -q --db "$W/hosts.db" --json "$W/hosts.ndjson" --hosts-file "$W/hosts" \
	--resolver "127.0.0.1:$DNS_PORT" --sni good.test "fromhosts.test:$(farm_port good)" "${COMMON[@]}" || true
assert_eq "ok good.test" "$(jq -r '.status + " " + .sni' "$W/hosts.ndjson")" "--hosts-file name, --sni override"

# ---------------------------------------------------------------- engine controls
# --rate: 30 endpoints (the closed port's neighbours, all refused at once) at 20 per second
# cannot finish in less than about 1.45 s (a burst of 1, then 29 paced tokens).
start=$(date +%s%N)
"$CERTSWEEP" scan -q --db "$W/rate.db" --json "$W/rate.ndjson" --rate 20 \
	-p "$((FARM_BASE + 60))-$((FARM_BASE + 89))" 127.0.0.1 >/dev/null 2>&1 || true
el_ms=$((($(date +%s%N) - start) / 1000000))
assert_eq 30 "$(wc -l <"$W/rate.ndjson")" "--rate: every endpoint visited"
[ "$el_ms" -ge 1400 ] && pass "--rate 20 paces 30 connections over >= 1.4 s ($el_ms ms)" ||
	fail "--rate 20 did not pace: 30 connections in $el_ms ms"
# --retries: a stalling server times out on every attempt.
"$CERTSWEEP" scan -q --db "$W/retry.db" --json "$W/retry.ndjson" --timeout 300ms --retries 2 \
	"$(farm_target stall)" >/dev/null 2>&1 || true
assert_eq "timeout 3" "$(jq -r '.status + " " + (.attempts | tostring)' "$W/retry.ndjson")" \
	"--retries 2: three attempts, then timeout"
# --connect-timeout vs --timeout: the stall server accepts, so the handshake timeout is named.
assert_contains "$(jq -r .error "$W/retry.ndjson")" "TLS handshake timed out after 300 ms" \
	"handshake timeout reported as such"
# Progress on a terminal (script(1) gives the scan a pseudo-terminal), none when piped.
script -qec "$CERTSWEEP scan --db $W/tty.db $(farm_target good) $(farm_target stall) --timeout 1500ms --retries 0 --ca-file $FARM_ROOTS" \
	/dev/null >"$W/tty.out" 2>&1 || true
assert_contains "$(cat "$W/tty.out")" "done (" "progress line shown on a terminal"
assert_contains "$(cat "$W/tty.out")" "TLS endpoints" "progress line counts TLS endpoints"
"$CERTSWEEP" scan --db "$W/tty.db" "$(farm_target good)" --ca-file "$FARM_ROOTS" >"$W/notty.out" 2>&1 || true
assert_not_contains "$(cat "$W/notty.out")" "in flight" "no progress line when stderr is not a terminal"
"$CERTSWEEP" scan -q --db "$W/tty.db" "$(farm_target good)" --ca-file "$FARM_ROOTS" >"$W/quiet.out" 2>&1 || true
assert_eq "" "$(cat "$W/quiet.out")" "--quiet prints nothing"

# ---------------------------------------------------------------- OCSP staple, exclusions
# openssl s_server staples a fixed OCSP response made by `openssl ocsp` with the test PKI.
mkdir -p "$W/ocsp"
: >"$W/ocsp/index.txt"
openssl ocsp -issuer "$FARM_PKI/pref-int-ca.crt" -cert "$FARM_PKI/good.crt" -no_nonce \
	-reqout "$W/ocsp/req.der" >/dev/null 2>&1
openssl ocsp -index "$W/ocsp/index.txt" -rsigner "$FARM_PKI/pref-int-ca.crt" -rkey "$FARM_PKI/pref-int-ca.key" \
	-CA "$FARM_PKI/pref-int-ca.crt" -reqin "$W/ocsp/req.der" -respout "$W/ocsp/resp.der" -ndays 1 >/dev/null 2>&1
OPORT=$((FARM_BASE + 96))
openssl s_server -accept "127.0.0.1:$OPORT" -cert "$FARM_PKI/good.crt" -key "$FARM_PKI/good.key" \
	-cert_chain "$FARM_PKI/pref-int-ca.crt" -status_file "$W/ocsp/resp.der" -quiet -naccept 2 >/dev/null 2>&1 &
OPID=$!
sleep 0.5
"$CERTSWEEP" scan -q --db "$W/ocsp.db" --json "$W/ocsp.ndjson" "127.0.0.1:$OPORT" "$(farm_target good)" \
	"${COMMON[@]}" >/dev/null 2>&1 || true
kill "$OPID" 2>/dev/null
assert_eq true "$(jq --argjson p "$OPORT" 'select(.port == $p) | .tls.ocsp_stapled' "$W/ocsp.ndjson")" \
	"OCSP staple recorded (openssl s_server -status_file)"
assert_eq false "$(jq --argjson p "$(farm_port good)" 'select(.port == $p) | .tls.ocsp_stapled' "$W/ocsp.ndjson")" \
	"no OCSP staple from nginx without ssl_stapling"
# Exclusions: 127.0.0.0/29 minus 127.0.0.2 and a file excluding 127.0.0.5-6: five addresses left.
printf '# lab\n127.0.0.5-127.0.0.6\n' >"$W/exclude.txt"
"$CERTSWEEP" scan -q --db "$W/ex.db" --json "$W/ex.ndjson" -p "$(farm_port good)" 127.0.0.0/29 \
	--exclude 127.0.0.2 --exclude-file "$W/exclude.txt" "${COMMON[@]}" >/dev/null 2>&1 || true
assert_eq "127.0.0.0 127.0.0.1 127.0.0.3 127.0.0.4 127.0.0.7" "$(jq -r .ip "$W/ex.ndjson" | sort -V | paste -sd' ')" \
	"--exclude and --exclude-file leave exactly the other addresses"
assert_eq ok "$(jq -r 'select(.ip == "127.0.0.1") | .status' "$W/ex.ndjson")" "CIDR target reaches the farm"

# ---------------------------------------------------------------- trust store and policy options
# --ca-path: a hashed directory (openssl rehash) instead of --ca-file.
mkdir -p "$W/capath"
awk -v d="$W/capath" '/BEGIN CERT/ { n++ } { print > (d "/root" n ".pem") }' "$FARM_ROOTS"
openssl rehash "$W/capath" >/dev/null 2>&1
"$CERTSWEEP" scan -q --db "$W/capath.db" --json "$W/capath.ndjson" --ca-path "$W/capath" \
	--preferred-ca "$FARM_PREFERRED" "$(farm_target good)" "$(farm_target untrusted)" >/dev/null 2>&1 || true
assert_eq true "$(jq --argjson p "$(farm_port good)" 'select(.port == $p) | .validation.trusted' "$W/capath.ndjson")" \
	"--ca-path: good chain trusted"
assert_eq false "$(jq --argjson p "$(farm_port untrusted)" 'select(.port == $p) | .validation.trusted' "$W/capath.ndjson")" \
	"--ca-path: untrusted chain not trusted"
# Without --ca-file the system store applies: the test PKI is not in it.
"$CERTSWEEP" scan -q --db "$W/sys.db" --json "$W/sys.ndjson" "$(farm_target good)" >/dev/null 2>&1 || true
assert_contains "$(jq -r '[.findings[].id] | join(" ")' "$W/sys.ndjson")" "chain." \
	"system trust store: the test PKI is not trusted"
assert_contains "$(jq -r '[.findings[].id] | join(" ")' "$W/sys.ndjson")" "issuer.non_preferred" \
	"default policy (Comodo/Sectigo): the test PKI is not preferred"
# --preferred-fingerprint: the non-preferred test root's SHA-256 makes nonpref preferred (the
# root is matched in the trust store even though the server does not send it).
fp=$(awk '/BEGIN CERT/ { n++ } n == 1' "$FARM_ROOTS" | openssl x509 -noout -fingerprint -sha256 | sed 's/.*=//')
subj=$(awk '/BEGIN CERT/ { n++ } n == 1' "$FARM_ROOTS" | openssl x509 -noout -subject)
"$CERTSWEEP" scan -q --db "$W/fp.db" --json "$W/fp.ndjson" --ca-file "$FARM_ROOTS" --preferred-fingerprint "$fp" \
	"$(farm_target nonpref)" "$(farm_target good)" >/dev/null 2>&1 || true
case $subj in
*"Preferred"*) want_nonpref=false want_good=true ;;
*) want_nonpref=true want_good=false ;;
esac
assert_eq "$want_nonpref" "$(jq --argjson p "$(farm_port nonpref)" 'select(.port == $p) | .validation.preferred' "$W/fp.ndjson")" \
	"--preferred-fingerprint of ${subj#subject=}: nonpref preferred = $want_nonpref"
assert_eq "$want_good" "$(jq --argjson p "$(farm_port good)" 'select(.port == $p) | .validation.preferred' "$W/fp.ndjson")" \
	"--preferred-fingerprint replaces the name policy: good preferred = $want_good"
printf 'pattern:certsweep Test Org\n' >"$W/policy.txt"
"$CERTSWEEP" scan -q --db "$W/pf.db" --json "$W/pf.ndjson" --ca-file "$FARM_ROOTS" --preferred-ca-file "$W/policy.txt" \
	"$(farm_target nonpref)" >/dev/null 2>&1 || true
assert_eq true "$(jq '.validation.preferred' "$W/pf.ndjson")" "--preferred-ca-file pattern makes nonpref preferred"

# ---------------------------------------------------------------- --checks advanced, analyze
printf '%s\n%s\n%s,%s,mail.test,smtp\n' "$(farm_target good)" "$(farm_target sha1)" \
	"$(farm_addr smtp)" "$(farm_port smtp)" >"$W/adv.txt"
"$CERTSWEEP" scan --db "$W/adv.db" --json "$W/adv.ndjson" --checks advanced --targets "$W/adv.txt" \
	"${COMMON[@]}" >"$W/adv.out" 2>&1 || true
grade_of() { jq -r --argjson p "$1" 'select(.port == $p) | .grade.letter' "$W/adv.ndjson"; }
assert_eq A "$(grade_of "$(farm_port good)")" "--checks advanced: good graded A (no HSTS on the farm)"
assert_eq T "$(grade_of "$(farm_port sha1)")" "--checks advanced: SHA-1 chain graded T"
assert_eq A "$(grade_of "$(farm_port smtp)")" "--checks advanced: SMTP STARTTLS endpoint analysed and graded"
assert_eq "true false" "$(jq -r --argjson p "$(farm_port good)" 'select(.port == $p) | "\(.protocols["TLSv1.3"]) \(.protocols["TLSv1.0"])"' "$W/adv.ndjson")" \
	"--checks advanced: protocols recorded"
assert_contains "$(jq -r --argjson p "$(farm_port good)" 'select(.port == $p) | [.findings[].id] | join(" ")' "$W/adv.ndjson")" \
	"hsts.missing" "--checks advanced: configuration findings in the record"
assert_contains "$(cat "$W/adv.out")" "grades: A 2 T 1" "summary shows the grade distribution"
assert_eq 3 "$(sqlite3 "$W/adv.db" 'SELECT count(*) FROM analyses')" "analyses stored"
assert_eq 3 "$(sqlite3 "$W/adv.db" "SELECT count(DISTINCT endpoint_id) FROM findings WHERE kind = 'config' AND check_id IN ('hsts.missing', 'ocsp.no_stapling')")" \
	"configuration findings stored per endpoint"
rc=0
"$CERTSWEEP" analyze --db "$W/an.db" --starttls smtp --sni mail.test --ca-file "$FARM_ROOTS" \
	--preferred-ca "$FARM_PREFERRED" "$(farm_target smtp)" >"$W/an.txt" 2>&1 || rc=$?
assert_eq 0 "$rc" "analyze SMTP STARTTLS: exit 0 (nothing at or above high)"
assert_contains "$(cat "$W/an.txt")" "Grade        A" "analyze text: the grade"
assert_contains "$(cat "$W/an.txt")" "TLS_AES_256_GCM_SHA384" "analyze text: the TLS 1.3 suites"
assert_contains "$(cat "$W/an.txt")" "ct.no_sct" "analyze text: the configuration findings"
assert_eq 1 "$(sqlite3 "$W/an.db" "SELECT count(*) FROM analyses a JOIN endpoints e ON e.id = a.endpoint_id WHERE e.starttls = 'smtp'")" \
	"analyze records the analysis in the inventory"
assert_status 1 "analyze --fail-on low: exit 1 (ct.no_sct is low)" \
	"$CERTSWEEP" analyze --no-db --starttls smtp --sni mail.test --ca-file "$FARM_ROOTS" --fail-on low "$(farm_target smtp)"
assert_status 1 "analyze a closed port: exit 1" "$CERTSWEEP" analyze --no-db "$(farm_target closed)"
assert_status 2 "analyze --per-host 0: exit 2" "$CERTSWEEP" analyze --no-db --per-host 0 "$(farm_target good)"
assert_status 2 "scan --checks deep: exit 2" "$CERTSWEEP" scan --db "$W/x.db" --checks deep "$(farm_target good)"
# ---------------------------------------------------------------- exit codes and bad input
assert_status 1 "--fail-on high with a high finding exits 1" \
	"$CERTSWEEP" scan -q --db "$W/x.db" --fail-on high "$(farm_target expired)" "${COMMON[@]}"
assert_status 0 "--fail-on critical with none exits 0" \
	"$CERTSWEEP" scan -q --db "$W/x.db" --fail-on critical "$(farm_target good)" "${COMMON[@]}"
for bad in 10.0.0.300 10.0.0.0/33 '10.0.0.9-10.0.0.1' 'bad_host!' 'host:99999' '[::1' ''; do
	rc=0
	err=$("$CERTSWEEP" scan -q --db "$W/x.db" "$bad" 2>&1) || rc=$?
	assert_eq 2 "$rc" "malformed target '$bad' exits 2"
	assert_contains "$err" "certsweep:" "malformed target '$bad' has a message"
done
for opt in "--concurrency 0" "--concurrency lots" "--rate -1" "--timeout 3x" "--retries 99" \
	"--ports 0" "--ports 1-70000" "--starttls gopher" "--fail-on severe" "--preferred-fingerprint zz"; do
	rc=0
	# shellcheck disable=SC2086
	err=$("$CERTSWEEP" scan -q --db "$W/x.db" $opt 127.0.0.1 2>&1) || rc=$?
	assert_eq 2 "$rc" "bad option '$opt' exits 2"
	assert_contains "$err" "certsweep:" "bad option '$opt' has a message"
done
rc=0
err=$("$CERTSWEEP" scan -q --db "$W/x.db" --targets "$W/nonexistent" 2>&1) || rc=$?
assert_eq 2 "$rc" "missing targets file exits 2"
assert_contains "$err" "nonexistent" "missing targets file is named"
printf '127.0.0.1\n127.0.0.1,notaport\n' >"$W/badtargets"
err=$("$CERTSWEEP" scan -q --db "$W/x.db" --targets "$W/badtargets" 2>&1) || true
assert_contains "$err" ":2" "bad targets file line is named"

printf '127.0.0.1,%s,good.test,http\n' "$(farm_port good)" >"$W/badproto.csv"
rc=0
err=$("$CERTSWEEP" scan -q --db "$W/x.db" --targets "$W/badproto.csv" 2>&1) || rc=$?
assert_eq 2 "$rc" "unknown STARTTLS protocol in a targets file exits 2"
assert_contains "$err" "badproto.csv:1: unknown STARTTLS protocol" "... naming file and line"
for opt in "--ca-path /nonexistent" "--ca-file /nonexistent" "--ca-file /tmp"; do
	rc=0
	# shellcheck disable=SC2086
	err=$("$CERTSWEEP" scan -q --db "$W/x.db" $opt 127.0.0.1 2>&1) || rc=$?
	assert_eq 2 "$rc" "'$opt' exits 2"
	assert_contains "$err" "certsweep: --ca-" "'$opt' has a message naming the option"
done
head -c 8192 /dev/urandom >"$W/corrupt.db"
sum_before=$(sha256sum <"$W/corrupt.db")
rc=0
err=$("$CERTSWEEP" scan -q --db "$W/corrupt.db" "$(farm_target good)" "${COMMON[@]}" 2>&1) || rc=$?
assert_eq 3 "$rc" "corrupt database exits 3"
assert_contains "$err" "corrupt.db" "corrupt database is named in the message"
assert_eq "$sum_before" "$(sha256sum <"$W/corrupt.db")" "corrupt database left untouched"
cp "$W/inv.db" "$W/trunc.db"
sqlite3 "$W/trunc.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
truncate -s 3000 "$W/trunc.db"
rc=0
"$CERTSWEEP" scan -q --db "$W/trunc.db" "$(farm_target good)" "${COMMON[@]}" >/dev/null 2>&1 || rc=$?
assert_eq 3 "$rc" "truncated database exits 3"
rc=0
err=$("$CERTSWEEP" scan -q --db "$W/x.db" --json /nonexistent-dir/out.json "$(farm_target good)" 2>&1) || rc=$?
assert_eq 3 "$rc" "unwritable --json exits 3"
rc=0
err=$("$CERTSWEEP" report --db "$W/none.db" 2>&1) || rc=$?
assert_eq 3 "$rc" "report on a missing database exits 3"
assert_contains "$err" "none.db" "report names the missing database"
[ ! -e "$W/none.db" ] && pass "report does not create a database" || fail "report created a database"

# A hostile certificate: markup and terminal escapes in the subject reach the store verbatim,
# the CSV quoted, the terminal never raw.
hostile="$W/hostile"
mkdir -p "$hostile"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	-keyout "$hostile/k.pem" -out "$hostile/c.pem" -utf8 \
	-subj "/CN==HYPERLINK(\"x\")<script>alert(1)<\/script>"$'\e'"[31mred/O=a,b\"c'); DROP TABLE certificates;--" 2>/dev/null
HPORT=$((FARM_BASE + 97))
openssl s_server -accept "127.0.0.1:$HPORT" -cert "$hostile/c.pem" -key "$hostile/k.pem" -quiet -naccept 3 \
	>/dev/null 2>&1 &
SPID=$!
sleep 0.5
"$CERTSWEEP" scan --db "$W/hostile.db" "127.0.0.1:$HPORT" --timeout 2s >"$W/hostile.out" 2>&1 || true
"$CERTSWEEP" report --db "$W/hostile.db" -o "$W/hostile.csv"
"$CERTSWEEP" report --db "$W/hostile.db" --format text >"$W/hostile.txt"
kill "$SPID" 2>/dev/null
assert_eq 0 "$(grep -c $'\e' "$W/hostile.txt")" "text report: no raw ESC from a certificate reaches the terminal"
assert_eq 1 "$(sqlite3 "$W/hostile.db" "SELECT instr(subject, '\\1B[31m') > 0 FROM certificates")" \
	"the escape byte is kept in the subject as RFC 2253 writes it (\\1B)"
assert_eq 0 "$(grep -c $'\e' "$W/hostile.out")" "scan output: no raw ESC"
assert_eq 1 "$(sqlite3 "$W/hostile.db" "SELECT count(*) FROM certificates WHERE subject LIKE '%DROP TABLE certificates%'")" \
	"hostile subject stored verbatim (bound, never formatted into SQL)"
assert_contains "$(cat "$W/hostile.csv")" "\"'=HYPERLINK" "CSV cell starting with = neutralised and quoted"

# ---------------------------------------------------------------- interruption keeps results
for n in $(farm_names https); do farm_target "$n"; done >"$W/int.txt"
"$CERTSWEEP" scan -q --db "$W/int.db" --targets "$W/int.txt" "$(farm_target stall)" \
	--ca-file "$FARM_ROOTS" --timeout 60s &
SCAN_PID=$!
sleep 2
kill -INT "$SCAN_PID"
rc=0
wait "$SCAN_PID" || rc=$?
assert_eq 130 "$rc" "SIGINT exits 130"
assert_eq interrupted "$(sqlite3 "$W/int.db" 'SELECT status FROM scans')" "scan marked interrupted"
assert_eq ok "$(sqlite3 "$W/int.db" 'PRAGMA integrity_check')" "interrupted inventory passes integrity_check"
assert_eq "$(wc -l <"$W/int.txt")" "$(sqlite3 "$W/int.db" "SELECT count(*) FROM observations WHERE status = 'ok'")" \
	"every endpoint finished before SIGINT is stored"

finish
