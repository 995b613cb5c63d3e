#!/bin/sh
# test_sniff.sh: `certsweep sniff` (passive discovery from captures and live traffic) and the
# GeoIP/ASN/owner enrichment (--geoip-db, --asn-db, --owner-db on scan and sniff), end to end
# against the loopback farm. Needs root (tcpdump on lo, the privilege drop), tcpdump, tshark,
# openssl, jq, sqlite3, python3 and perl with MaxMind's writer (tools/deps.sh).
#
# Captures are made here with `tcpdump -i lo -s 0 -U --immediate-mode` while `openssl s_client`
# handshakes with the farm (--immediate-mode: without it, packets still in the kernel's buffer
# when tcpdump gets SIGINT are never written). Asserts:
#   1. one capture of six handshakes (good TLS 1.3, good TLS 1.2 (RSA chain), ecdsa TLS 1.2,
#      STARTTLS SMTP TLS 1.2, expired TLS 1.2, ipv6 TLS 1.2 on ::1) read by sniff: per
#      handshake the SNI, version and cipher against what s_client printed, the chain's
#      SHA-256 against the PKI's fullchain files in order (empty for TLS 1.3), STARTTLS "smtp",
#      JA3/JA3S against tshark's per TCP stream, the findings against expected.tsv; the
#      inventory (source passive), the endpoints view (source passive, passive_only yes,
#      ja3/ja3s), the findings view (cert.expired). TLS 1.3 comes first on purpose: sniff
#      stores one observation per endpoint and run, and a TLS 1.3 session seen after a TLS 1.2
#      one to the same endpoint tells less, so it is not recorded (cmd_sniff.c);
#   2. the same capture as pcapng (editcap): identical facts;
#   3. the capture rewritten by pcap_shuffle.py (the good TLS 1.2 server flight split into
#      200-byte segments, swapped, duplicated, an overlapping retransmission; tshark confirms
#      the disorder and still decodes the Certificate): identical facts; with one segment lost
#      for good the summary reports the incomplete stream;
#   4. bad input: truncated capture, random bytes, missing and empty files, a capture with
#      snaplen 96, -r with -i, neither, a stray argument, a bad filter: exit codes, messages,
#      no crash (status < 128, no sanitizer report);
#   5. live capture on lo as root with --user nobody: the uid and groups dropped while it runs,
#      SIGINT exits 130 with the summary, the observation stored;
#   6. enrichment: mmdb files written by tools/mkmmdb.pl; scan of expired (127.0.0.1) and ipv6
#      (::1): endpoints and findings views, JSON summary countries, the HTML countries chart;
#      sniff enriches passive observations the same way; bad databases exit 2 naming option
#      and file, before any inventory is created.
# Usage: sh tests/integration/test_sniff.sh [PATH/TO/certsweep] (default: ./certsweep).
. "$(dirname "$0")/lib.sh"

CERTSWEEP=${1:-$CS_ROOT/certsweep}
CERTSWEEP=$(cd "$(dirname "$CERTSWEEP")" && pwd)/$(basename "$CERTSWEEP")
SHUFFLE=$CS_ROOT/tests/integration/pcap_shuffle.py
MKMMDB=$CS_ROOT/tools/mkmmdb.pl

[ "$(id -u)" -eq 0 ] || skip_all "needs root (tcpdump on lo, sniff --user)"
missing=
[ -x "$CERTSWEEP" ] || missing="$missing certsweep($CERTSWEEP: run make)"
for tool in tcpdump tshark openssl jq sqlite3 python3 perl ss; do
	command -v "$tool" >/dev/null || missing="$missing $tool"
done
perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null || missing="$missing libmaxmind-db-writer-perl"
if [ -n "$missing" ]; then
	fail "missing:$missing (make deps)"
	finish
	exit 1
fi

# Background processes (tcpdump, the live sniff): one pid file each in $PIDS; the EXIT trap
# stops them and removes the live capture's world-writable folder before lib.sh's handler.
PIDS=
LIVE=
stop_bg() {
	if [ -n "$PIDS" ] && [ -d "$PIDS" ]; then
		for _pf in "$PIDS"/*.pid; do
			[ -f "$_pf" ] || continue
			kill "$(cat "$_pf")" 2>/dev/null
			rm -f "$_pf"
		done
		wait 2>/dev/null
	fi
	[ -n "$LIVE" ] && rm -rf "$LIVE"
	return 0
}
# shellcheck disable=SC2154 # _st0 is assigned inside the trap
trap '_st0=$?; stop_bg; (exit $_st0); _lib_exit' EXIT

farm_up || exit 1
W=$FARM_DIR/work
PIDS=$W/pids
mkdir -p "$W" "$PIDS"

# run NAME COMMAND...: runs COMMAND, stdout in $W/NAME.out, stderr in $W/NAME.err, status in RC.
run() {
	_name=$1
	shift
	RC=0
	"$@" >"$W/$_name.out" 2>"$W/$_name.err" || RC=$?
}

# sniff NAME ARGS...: certsweep sniff ARGS with the farm's trust policy, as run NAME.
sniff() {
	_n=$1
	shift
	run "$_n" "$CERTSWEEP" sniff "$@" --ca-file "$FARM_ROOTS" --preferred-ca "$FARM_PREFERRED"
}

# check MESSAGE COMMAND...: passes when COMMAND succeeds.
check() {
	_m=$1
	shift
	if "$@"; then pass "$_m"; else fail "$_m"; fi
}

# no_crash NAME MESSAGE: the last run ended by itself (status < 128), no sanitizer report.
no_crash() {
	if [ "$RC" -lt 128 ] && ! grep -q -e Sanitizer -e 'runtime error:' "$W/$1.err"; then
		pass "$2: no crash (exit $RC)"
	else
		fail "$2: crashed (exit $RC): $(head -c 600 "$W/$1.err")"
	fi
}

# capture_start NAME FILE FILTER [TCPDUMP-OPTIONS...]: tcpdump on lo into FILE, in the
# background; returns once tcpdump has written the pcap header (it opens the capture first).
capture_start() {
	_cn=$1 _cf=$2 _flt=$3
	shift 3
	rm -f "$_cf"
	tcpdump -i lo -U --immediate-mode -w "$_cf" "$@" "$_flt" >"$W/$_cn.tcpdump.log" 2>&1 &
	echo $! >"$PIDS/$_cn.pid"
	_t=0
	while [ "$({ wc -c <"$_cf"; } 2>/dev/null || echo 0)" -lt 24 ]; do
		_t=$((_t + 1))
		if [ "$_t" -gt 100 ] || ! kill -0 "$(cat "$PIDS/$_cn.pid")" 2>/dev/null; then
			fail "tcpdump $_cn did not start: $(head -c 300 "$W/$_cn.tcpdump.log")"
			return 1
		fi
		sleep 0.05
	done
}

# capture_stop NAME FILE: once FILE has stopped growing for 0.2 s (tcpdump has read the last
# packets: what is still in the kernel's buffer at SIGINT is lost), SIGINT to that tcpdump,
# then wait until it has written everything.
capture_stop() {
	_pid=$(cat "$PIDS/$1.pid")
	_last=-1 _same=0 _t=0
	while [ "$_same" -lt 2 ] && [ "$_t" -lt 30 ]; do
		sleep 0.1
		_sz=$(wc -c <"$2")
		if [ "$_sz" -eq "$_last" ]; then _same=$((_same + 1)); else _same=0; fi
		_last=$_sz _t=$((_t + 1))
	done
	kill -INT "$_pid" 2>/dev/null
	wait "$_pid" 2>/dev/null
	rm -f "$PIDS/$1.pid"
}

# hs LABEL HOST:PORT S_CLIENT-OPTIONS...: one handshake, s_client's output in $W/hs-LABEL.out;
# stdin is /dev/null, so s_client closes right after the handshake.
hs() {
	_l=$1 _to=$2
	shift 2
	_rc=0
	openssl s_client -connect "$_to" "$@" </dev/null >"$W/hs-$_l.out" 2>&1 || _rc=$?
	assert_eq 0 "$_rc" "s_client $_l: handshake done"
}

# hs_proto LABEL / hs_cipher LABEL: what s_client printed ("New, TLSv1.2, Cipher is X").
hs_proto() {
	sed -n 's/^New, \([^,]*\), Cipher is .*$/\1/p' "$W/hs-$1.out" | head -n 1
}
hs_cipher() {
	sed -n 's/^New, [^,]*, Cipher is \(.*\)$/\1/p' "$W/hs-$1.out" | head -n 1
}

# std_cipher NAME: the IANA name of the OpenSSL suite NAME (itself for TLS 1.3 suites).
std_cipher() {
	openssl ciphers -stdname 'ALL:@SECLEVEL=0' 2>/dev/null | awk -v c="$1" '$3 == c { print $1; exit }'
}

# fps NAME: SHA-256 of each certificate of $FARM_PKI/NAME.fullchain.pem, in order, lowercase
# hex, space-separated (`openssl x509 -fingerprint -sha256` of each).
fps() {
	rm -f "$W"/fp.*.pem
	awk -v d="$W" '/-----BEGIN CERTIFICATE-----/ { n++ } n { print > (d "/fp." n ".pem") }' \
		"$FARM_PKI/$1.fullchain.pem"
	_i=1 _fps=
	while [ -f "$W/fp.$_i.pem" ]; do
		_fps="$_fps $(openssl x509 -in "$W/fp.$_i.pem" -noout -fingerprint -sha256 |
			sed 's/^.*=//; s/://g' | tr 'A-F' 'a-f')"
		_i=$((_i + 1))
	done
	echo "${_fps# }"
}

# expected_cert NAME: the PKI leaf endpoint NAME serves (expected.tsv's cert column).
expected_cert() {
	awk -F '\t' -v n="$1" '$1 == n { print $8; exit }' "$FARM_DIR/expected.tsv"
}

# csv_get FILE KEY=VALUE COLUMN...: the columns (joined by '|') of the CSV rows whose column KEY
# is VALUE (one line per row), parsed with python3's csv module.
csv_get() {
	python3 - "$@" <<'EOF'
import csv, sys
path, cond, cols = sys.argv[1], sys.argv[2], sys.argv[3:]
key, _, want = cond.partition('=')
with open(path, newline='') as f:
    for row in csv.DictReader(f):
        if row.get(key) == want:
            print('|'.join(row.get(c, '<no column %s>' % c) for c in cols))
EOF
}

# The facts compared between capture variants: per record, in order.
FACTS='[.ip, .port, .sni, .starttls, .status, .tls.version, .tls.cipher, .ja3, .ja3s,
	[.chain[].sha256], ([.findings[].id] | sort), .source]'
facts() {
	jq -c "$FACTS" "$1"
}

GOOD=$(farm_port good)
ECDSA=$(farm_port ecdsa)
SMTP=$(farm_port smtp)
EXPIRED=$(farm_port expired)
V6=$(farm_port ipv6)

# ================================================================ 1. one capture, six handshakes
# Labels in connection order (= tshark's tcp.stream numbers): label farm-name port.
CONNS="t13 good $GOOD
good12 good $GOOD
ecdsa ecdsa $ECDSA
smtp smtp $SMTP
expired expired $EXPIRED
ipv6 ipv6 $V6"
capture_start main "$W/cap.pcap" \
	"tcp port $GOOD or tcp port $ECDSA or tcp port $SMTP or tcp port $EXPIRED or tcp port $V6" \
	-s 0 || exit 1
# The same traffic to good cut at 96 bytes a packet, for part 4.
capture_start snap96 "$W/snap96.pcap" "tcp port $GOOD" -s 96 || exit 1
hs t13 "127.0.0.1:$GOOD" -servername good.test -tls1_3
hs good12 "127.0.0.1:$GOOD" -servername good.test -tls1_2
hs ecdsa "127.0.0.1:$ECDSA" -servername ecdsa.test -tls1_2
hs smtp "127.0.0.1:$SMTP" -servername mail.test -starttls smtp -tls1_2
hs expired "127.0.0.1:$EXPIRED" -servername expired.test -tls1_2
hs ipv6 "[::1]:$V6" -servername ipv6.test -tls1_2
capture_stop main "$W/cap.pcap"
capture_stop snap96 "$W/snap96.pcap"

# tshark's view: per stream the server port, the client port, JA3; then JA3S.
tshark -r "$W/cap.pcap" -d "tcp.port==$SMTP,smtp" -Y 'tls.handshake.type == 1' -T fields \
	-e tcp.stream -e tcp.dstport -e tcp.srcport -e tls.handshake.ja3 >"$W/ja3.tsv" 2>/dev/null
tshark -r "$W/cap.pcap" -d "tcp.port==$SMTP,smtp" -Y 'tls.handshake.type == 2' -T fields \
	-e tcp.stream -e tcp.srcport -e tls.handshake.ja3s >"$W/ja3s.tsv" 2>/dev/null
assert_eq 6 "$(wc -l <"$W/ja3.tsv")" "tshark: six ClientHellos in the capture"
assert_eq 6 "$(wc -l <"$W/ja3s.tsv")" "tshark: six ServerHellos in the capture"
# tsv_field FILE STREAM COLUMN
tsv_field() {
	awk -F '\t' -v s="$2" -v c="$3" '$1 == s { print $c; exit }' "$1"
}

sniff main -r "$W/cap.pcap" --db "$W/main.db" --json "$W/main.ndjson"
assert_eq 0 "$RC" "sniff -r cap.pcap exits 0"
no_crash main "sniff -r cap.pcap"
out=$(cat "$W/main.out")
assert_contains "$out" "TLS handshakes: 6 (1 TLS 1.3, 1 STARTTLS), 10 certificates extracted" \
	"summary: six handshakes, one TLS 1.3, one STARTTLS, five chains of two"
assert_contains "$out" "6 connections" "summary: six connections"
assert_contains "$out" "endpoints: 5, stored " "summary: five endpoints"
assert_not_contains "$out" "incomplete" "summary: nothing incomplete in a clean capture"
assert_eq 6 "$(wc -l <"$W/main.ndjson")" "one NDJSON record per handshake"
assert_eq passive "$(jq -r .source "$W/main.ndjson" | sort -u)" "every record is passive"

stream=0
while read -r label name port; do
	cert=$(expected_cert "$name")
	sni=$(farm_sni "$name")
	addr=$(farm_addr "$name")
	proto=$(hs_proto "$label")
	ossl=$(hs_cipher "$label")
	rec=$(jq -c --arg a "$addr" --argjson p "$port" --arg v "$proto" \
		'select(.ip == $a and .port == $p and .tls.version == $v)' "$W/main.ndjson")
	assert_eq 1 "$(printf '%s\n' "$rec" | grep -c .)" "$label: one record for $addr:$port $proto"
	assert_eq "$port" "$(tsv_field "$W/ja3.tsv" "$stream" 2)" "$label: tshark stream $stream goes to port $port"
	assert_eq "ok $sni" "$(printf '%s' "$rec" | jq -r '[.status, .sni] | join(" ")')" "$label: status ok, SNI $sni"
	case $label in
	t13) want_v=TLSv1.3 ;;
	*) want_v=TLSv1.2 ;;
	esac
	assert_eq "$want_v" "$proto" "$label: s_client negotiated $want_v"
	# The cipher: the name s_client printed (OpenSSL's) or its IANA name, for the same suite.
	got=$(printf '%s' "$rec" | jq -r .tls.cipher)
	iana=$(std_cipher "$ossl")
	if [ -n "$ossl" ] && { [ "$got" = "$ossl" ] || [ "$got" = "$iana" ]; }; then
		pass "$label: cipher $got (s_client: $ossl)"
	else
		fail "$label: cipher '$got', s_client negotiated '$ossl' ('$iana')"
	fi
	if [ "$label" = t13 ]; then
		assert_eq "" "$(printf '%s' "$rec" | jq -r '[.chain[].sha256] | join(" ")')" \
			"t13: TLS 1.3 gives no chain (encrypted)"
	else
		assert_eq "$(fps "$cert")" "$(printf '%s' "$rec" | jq -r '[.chain[].sha256] | join(" ")')" \
			"$label: chain = $cert.fullchain.pem in order"
	fi
	want_st=null
	[ "$name" = smtp ] && want_st=smtp
	assert_eq "$want_st" "$(printf '%s' "$rec" | jq -r '.starttls // "null"')" "$label: starttls $want_st"
	assert_eq "$(tsv_field "$W/ja3.tsv" "$stream" 4)" "$(printf '%s' "$rec" | jq -r .ja3)" \
		"$label: JA3 = tshark's"
	assert_eq "$(tsv_field "$W/ja3s.tsv" "$stream" 3)" "$(printf '%s' "$rec" | jq -r .ja3s)" \
		"$label: JA3S = tshark's"
	want_f=$(farm_expected "$name" | tr ' ' '\n' | sed '/^$/d' | sort | paste -sd' ' -)
	assert_eq "$want_f" \
		"$(printf '%s' "$rec" | jq -r '[.findings[] | select(.severity != "info") | .id] | unique | join(" ")')" \
		"$label: findings '$want_f' (expected.tsv)"
	stream=$((stream + 1))
done <<EOF
$CONNS
EOF
assert_eq "5 1" "$(jq -r 'select(.tls.version == "TLSv1.2") | .ja3' "$W/main.ndjson" | sort | uniq -c | awk '{ print $1, NR }')" \
	"the five TLS 1.2 ClientHellos of one s_client share one JA3"
assert_eq false "$(jq -s '[.[] | select(.tls.version == "TLSv1.3") | .ja3][0] ==
	[.[] | select(.tls.version == "TLSv1.2") | .ja3][0]' "$W/main.ndjson")" "the TLS 1.3 ClientHello has another JA3"

# The inventory and the reports.
assert_eq "passive 5" "$(sqlite3 "$W/main.db" 'SELECT source, count(*) FROM observations GROUP BY source' | tr '|' ' ')" \
	"inventory: five observations, all passive"
assert_eq "good.test TLSv1.2 2" \
	"$(sqlite3 "$W/main.db" "SELECT e.sni, o.version, o.chain_len FROM observations o JOIN endpoints e ON e.id = o.endpoint_id WHERE e.port = $GOOD" | tr '|' ' ')" \
	"inventory: good's TLS 1.2 observation (with its chain) is the one kept"
run rep_ep "$CERTSWEEP" report --db "$W/main.db" --format csv --view endpoints
assert_eq 0 "$RC" "report --view endpoints exits 0"
while read -r label name port; do
	[ "$label" = t13 ] && continue
	# the endpoint's last connection (good: TLS 1.2, the observation kept)
	st=$(awk -F '\t' -v p="$port" '$2 == p { s = $1 } END { print s }' "$W/ja3.tsv")
	assert_eq "$(farm_addr "$name")|$(farm_sni "$name")|passive|yes|$(tsv_field "$W/ja3.tsv" "$st" 4)|$(tsv_field "$W/ja3s.tsv" "$st" 3)" \
		"$(csv_get "$W/rep_ep.out" port="$port" ip sni source passive_only ja3 ja3s)" \
		"endpoints view: $label passive, passive only, JA3/JA3S"
done <<EOF
$CONNS
EOF
assert_eq smtp "$(csv_get "$W/rep_ep.out" port="$SMTP" starttls)" "endpoints view: mail is smtp"
run rep_f "$CERTSWEEP" report --db "$W/main.db" --format csv --view findings
assert_eq "cert.expired|critical|open|expired.test" \
	"$(csv_get "$W/rep_f.out" port="$EXPIRED" check_id severity status sni | grep '^cert.expired')" \
	"findings view: cert.expired of the passively seen expired endpoint"
assert_eq "cert.expired" "$(csv_get "$W/rep_f.out" status=open check_id | sort -u | paste -sd' ' -)" \
	"findings view: no other open finding"
assert_contains "$out" "seen only in traffic, never by an active sweep" "summary lists passive-only endpoints"
assert_contains "$out" "[::1]:$V6 (ipv6.test)" "summary: the IPv6 endpoint, bracketed"

# ================================================================ 2. pcapng
if command -v editcap >/dev/null; then
	editcap -F pcapng "$W/cap.pcap" "$W/cap.pcapng" 2>"$W/editcap.err"
else
	tshark -r "$W/cap.pcap" -F pcapng -w "$W/cap.pcapng" 2>"$W/editcap.err"
fi
assert_eq 0a0d0d0a "$(head -c 4 "$W/cap.pcapng" | od -An -tx1 | tr -d ' \n')" "the converted file is pcapng"
sniff ng -r "$W/cap.pcapng" --db "$W/ng.db" --json "$W/ng.ndjson"
assert_eq 0 "$RC" "sniff -r cap.pcapng exits 0"
facts "$W/main.ndjson" >"$W/main.facts"
facts "$W/ng.ndjson" >"$W/ng.facts"
if cmp -s "$W/main.facts" "$W/ng.facts"; then
	pass "pcapng: the same facts as the pcap ($(wc -l <"$W/ng.facts") records)"
else
	fail "pcapng facts differ: $(diff "$W/main.facts" "$W/ng.facts" | head -c 600)"
fi
assert_eq "$(grep 'TLS handshakes' "$W/main.out")" "$(grep 'TLS handshakes' "$W/ng.out")" "pcapng: the same summary"

# ================================================================ 3. reordered, duplicated, overlapping
CPORT=$(tsv_field "$W/ja3.tsv" 1 3)
run shuffle python3 "$SHUFFLE" "$W/cap.pcap" "$W/shuf.pcap" --server-port "$GOOD" --client-port "$CPORT"
assert_eq 0 "$RC" "pcap_shuffle.py rewrote the good TLS 1.2 connection: $(cat "$W/shuffle.out" "$W/shuffle.err")"
# tshark sees the disorder, yet reassembles the Certificate message from several segments.
n_bad=$(tshark -r "$W/shuf.pcap" -Y "tcp.stream == 1 && (tcp.analysis.out_of_order || tcp.analysis.retransmission)" 2>/dev/null | wc -l)
check "tshark: $n_bad (>= 5) segments out of order or retransmitted" [ "$n_bad" -ge 5 ]
n_data=$(tshark -r "$W/shuf.pcap" -Y "tcp.stream == 1 && tcp.srcport == $GOOD && tcp.len > 0 && tcp.len <= 400" 2>/dev/null | wc -l)
check "the server flight is in $n_data (>= 12) small segments" [ "$n_data" -ge 12 ]
assert_eq 1 "$(tshark -r "$W/shuf.pcap" -o tcp.reassemble_out_of_order:TRUE \
	-Y 'tcp.stream == 1 && tls.handshake.type == 11' 2>/dev/null | wc -l)" \
	"tshark reassembles the shuffled Certificate message"
sniff shuf -r "$W/shuf.pcap" --db "$W/shuf.db" --json "$W/shuf.ndjson"
assert_eq 0 "$RC" "sniff of the shuffled capture exits 0"
no_crash shuf "sniff of the shuffled capture"
facts "$W/shuf.ndjson" >"$W/shuf.facts"
if cmp -s "$W/main.facts" "$W/shuf.facts"; then
	pass "shuffled: the same chains, JA3/JA3S and findings as the original"
else
	fail "shuffled facts differ: $(diff "$W/main.facts" "$W/shuf.facts" | head -c 800)"
fi
assert_not_contains "$(cat "$W/shuf.out")" "incomplete" "shuffled: no stream reported incomplete"
# One segment lost for good (c7, in the middle of the certificates): nothing made up, and the
# loss is reported (sniff.h: gave_up counts directions whose reassembly lost segments).
python3 "$SHUFFLE" "$W/cap.pcap" "$W/drop.pcap" --server-port "$GOOD" --client-port "$CPORT" --drop >/dev/null
sniff drop -r "$W/drop.pcap" -f "tcp port $CPORT" --db "$W/drop.db" --json "$W/drop.ndjson"
assert_eq 0 "$RC" "sniff of a capture with a lost segment exits 0"
no_crash drop "sniff with a lost segment"
assert_contains "$(cat "$W/drop.out")" "0 certificates extracted" "lost segment: no certificate made up"
assert_contains "$(cat "$W/drop.out")" "incomplete: 1 streams with lost segments" \
	"lost segment: the summary reports the incomplete stream"
assert_eq true "$(jq -s 'length == 1 and (.[0].status != "ok" or .[0].error != null)' "$W/drop.ndjson")" \
	"lost segment: the record does not pass for a complete TLS 1.2 handshake without a chain"

# ================================================================ 4. bad input
size=$(wc -c <"$W/cap.pcap")
head -c $((size - 10)) "$W/cap.pcap" >"$W/trunc.pcap" # the last packet (a bare ACK) cut in two
sniff trunc -r "$W/trunc.pcap" --db "$W/trunc.db"
assert_eq 3 "$RC" "truncated capture: exit 3"
no_crash trunc "truncated capture"
assert_contains "$(cat "$W/trunc.err")" "truncated" "truncated capture: the message says so"
assert_eq 5 "$(sqlite3 "$W/trunc.db" 'SELECT count(*) FROM observations')" \
	"truncated capture: the handshakes before the cut are stored"
head -c 20000 /dev/urandom >"$W/random.pcap"
sniff random -r "$W/random.pcap" --db "$W/random.db"
assert_eq 3 "$RC" "random bytes: exit 3"
no_crash random "random bytes"
assert_contains "$(cat "$W/random.err")" "random.pcap" "random bytes: the file is named"
assert_contains "$(cat "$W/random.err")" "unknown file format" "random bytes: not a capture"
check "random bytes: no inventory created" [ ! -e "$W/random.db" ]
sniff missing -r "$W/nonexistent.pcap" --db "$W/missing.db"
assert_eq 3 "$RC" "missing file: exit 3"
no_crash missing "missing file"
assert_contains "$(cat "$W/missing.err")" "nonexistent.pcap: No such file or directory" "missing file: named, with the reason"
: >"$W/empty.pcap"
sniff empty -r "$W/empty.pcap" --db "$W/empty.db"
assert_eq 3 "$RC" "empty file: exit 3"
no_crash empty "empty file"
assert_contains "$(cat "$W/empty.err")" "empty.pcap" "empty file: named"
# snaplen 96: every payload cut after 30 bytes.
assert_eq 96 "$(tshark -r "$W/snap96.pcap" -T fields -e frame.cap_len 2>/dev/null | sort -n | tail -n 1)" \
	"the snaplen-96 capture holds cut packets"
sniff snap96 -r "$W/snap96.pcap" --db "$W/snap96.db" --json "$W/snap96.ndjson"
assert_eq 0 "$RC" "snaplen 96: exit 0"
no_crash snap96 "snaplen 96"
out=$(cat "$W/snap96.out")
assert_contains "$out" "2 connections" "snaplen 96: summary counts the two connections"
assert_contains "$out" "0 certificates extracted" "snaplen 96: no certificate made up from cut packets"
assert_eq 0 "$(jq -s '[.[] | select((.chain | length) > 0)] | length' "$W/snap96.ndjson")" \
	"snaplen 96: no record with a chain"
# (the inventory's path, on the "endpoints:" line, is left out of the search)
if printf '%s\n' "$out" | grep -v '^  endpoints:' | grep -qi -e incomplete -e snap -e truncat -e 'cut short'; then
	pass "snaplen 96: the summary says the packets were cut"
else
	fail "snaplen 96: the summary does not say why nothing was found (packets cut by the snap length): $out"
fi
# Usage errors.
sniff both -r "$W/cap.pcap" -i lo --db "$W/both.db"
assert_eq 2 "$RC" "-r with -i: exit 2"
assert_contains "$(cat "$W/both.err")" "-r FILE" "-r with -i: the message says to give one"
no_crash both "-r with -i"
sniff neither --db "$W/neither.db"
assert_eq 2 "$RC" "neither -r nor -i: exit 2"
assert_contains "$(cat "$W/neither.err")" "one of them" "neither -r nor -i: the message says to give one"
sniff stray -r "$W/cap.pcap" --db "$W/stray.db" tcp
assert_eq 2 "$RC" "a stray argument: exit 2"
assert_contains "$(cat "$W/stray.err")" "a filter goes with -f" "a stray argument: the hint for filters"
sniff badflt -r "$W/cap.pcap" --db "$W/badflt.db" -f 'tcp port'
no_crash badflt "bad filter"
check "bad filter: exit $RC (not 0)" [ "$RC" -ne 0 ]
assert_contains "$(cat "$W/badflt.err")" 'bad filter "tcp port"' "bad filter: quoted in the message"
for f in both neither stray badflt missing; do
	check "$f: no inventory created" [ ! -e "$W/$f.db" ]
done
# stdin
RC=0
"$CERTSWEEP" sniff -r - --db "$W/stdin.db" --json "$W/stdin.ndjson" --ca-file "$FARM_ROOTS" \
	--preferred-ca "$FARM_PREFERRED" <"$W/cap.pcap" >/dev/null 2>&1 || RC=$?
assert_eq 0 "$RC" "sniff -r - (stdin) exits 0"
facts "$W/stdin.ndjson" >"$W/stdin.facts"
check "sniff -r -: the same facts" cmp -s "$W/main.facts" "$W/stdin.facts"

# ================================================================ 5. live capture, privileges dropped
LIVE=$(mktemp -d "${TMPDIR:-/tmp}/certsweep-sniff-live.XXXXXX")
chmod 777 "$LIVE" # SQLite may create -wal/-shm files after the drop to nobody
NOBODY=$(id -u nobody)
"$CERTSWEEP" sniff -i lo -f "tcp port $GOOD" --db "$LIVE/live.db" --user nobody \
	--ca-file "$FARM_ROOTS" --preferred-ca "$FARM_PREFERRED" >"$LIVE/out" 2>"$LIVE/err" &
SNIFF_PID=$!
echo "$SNIFF_PID" >"$PIDS/live.pid"
# The uid changes once the capture is open: then it captures.
t=0
while ! awk -v u="$NOBODY" '$1 == "Uid:" { exit !($2 == u && $3 == u && $4 == u && $5 == u) }' \
	"/proc/$SNIFF_PID/status" 2>/dev/null; do
	t=$((t + 1))
	if [ "$t" -gt 100 ] || ! kill -0 "$SNIFF_PID" 2>/dev/null; then
		break
	fi
	sleep 0.05
done
uid_before=$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$SNIFF_PID/status" 2>/dev/null)
hs live "127.0.0.1:$GOOD" -servername good.test -tls1_2
status_during=$(cat "/proc/$SNIFF_PID/status" 2>/dev/null)
assert_eq "$NOBODY $NOBODY $NOBODY $NOBODY" "$uid_before" "live: capturing as nobody (real, effective, saved, fs uid)"
assert_eq "$NOBODY $NOBODY $NOBODY $NOBODY" \
	"$(printf '%s\n' "$status_during" | awk '$1 == "Uid:" { print $2, $3, $4, $5 }')" \
	"live: still nobody after the handshake"
assert_eq "$(id -g nobody)" "$(printf '%s\n' "$status_during" | awk '$1 == "Gid:" { print $2 }')" "live: nobody's group"
assert_eq "" "$(printf '%s\n' "$status_during" | awk '$1 == "Groups:" { $1 = ""; print }' | tr -d ' ')" \
	"live: no supplementary groups"
# The capture reads the kernel's buffer every 200 ms (pcap timeout): let it see the handshake.
sleep 0.6
kill -INT "$SNIFF_PID"
RC=0
wait "$SNIFF_PID" || RC=$?
rm -f "$PIDS/live.pid"
assert_eq 130 "$RC" "live: SIGINT exits 130"
assert_contains "$(cat "$LIVE/out")" "TLS handshakes: 1 (0 TLS 1.3, 0 STARTTLS), 2 certificates extracted" \
	"live: the summary has the handshake"
assert_contains "$(cat "$LIVE/err")" "interrupted by signal 2" "live: says it was interrupted"
assert_eq "passive good.test TLSv1.2 $(fps good | tr ' ' '\n' | head -n 1)" \
	"$(sqlite3 "$LIVE/live.db" "SELECT o.source, e.sni, o.version, c.sha256 FROM observations o
		JOIN endpoints e ON e.id = o.endpoint_id JOIN observation_certs oc ON oc.observation_id = o.id
		JOIN certificates c ON c.id = oc.certificate_id WHERE oc.position = 0" 2>&1 | tr '|' ' ')" \
	"live: the observation is stored with good's leaf"
assert_eq "interrupted sniff" "$(sqlite3 "$LIVE/live.db" 'SELECT status, name FROM scans' 2>&1 | tr '|' ' ')" \
	"live: the run is marked interrupted"

# ================================================================ 6. enrichment
perl "$MKMMDB" city "$W/city.mmdb" '127.0.0.0/24 country=DE city=Berlin' '::1/128 country=NL city=Amsterdam' &&
	perl "$MKMMDB" asn "$W/asn.mmdb" '127.0.0.0/8 asn=64500 org=Example Net' &&
	perl "$MKMMDB" owner "$W/owner.mmdb" '127.0.0.0/24 owner=Payments business_unit=Retail site=Frankfurt'
assert_eq 0 "$?" "mkmmdb.pl wrote the city, ASN and owner databases"
GEO="--geoip-db $W/city.mmdb --asn-db $W/asn.mmdb --owner-db $W/owner.mmdb"
V4_GEO="DE|Berlin|AS64500|Example Net|Payments|Retail|Frankfurt"
V6_GEO="NL|Amsterdam|||||"
GEO_FIELDS='.geo | [.country, .city, .asn, .as_org, .owner, .business_unit, .site] | map(. // "") | join("|")'
# shellcheck disable=SC2086
run geoscan "$CERTSWEEP" scan -q --db "$W/geo.db" --json "$W/geo.ndjson" $GEO \
	"$(farm_target expired)" "$(farm_target ipv6)" --ca-file "$FARM_ROOTS" --preferred-ca "$FARM_PREFERRED"
assert_eq 0 "$RC" "scan with the three databases exits 0 $(head -c 300 "$W/geoscan.err")"
run geo_ep "$CERTSWEEP" report --db "$W/geo.db" --format csv --view endpoints
assert_eq "$V4_GEO" "$(csv_get "$W/geo_ep.out" ip=127.0.0.1 country city asn as_org owner business_unit site)" \
	"scan: endpoints view, 127.0.0.1 enriched from the three databases"
assert_eq "$V6_GEO" "$(csv_get "$W/geo_ep.out" ip=::1 country city asn as_org owner business_unit site)" \
	"scan: endpoints view, ::1 has city data only (no ASN nor owner network)"
run geo_f "$CERTSWEEP" report --db "$W/geo.db" --format csv --view findings
assert_eq "cert.expired|Payments|Retail|Frankfurt" \
	"$(csv_get "$W/geo_f.out" ip=127.0.0.1 check_id owner business_unit site | grep '^cert.expired')" \
	"scan: findings view carries the owner columns"
assert_eq '{"country":"DE","city":"Berlin","asn":"AS64500","as_org":"Example Net","owner":"Payments","business_unit":"Retail","site":"Frankfurt"}' \
	"$(jq -c 'select(.ip == "127.0.0.1") | .geo' "$W/geo.ndjson")" "scan: NDJSON geo of 127.0.0.1"
run geo_json "$CERTSWEEP" report --db "$W/geo.db" --format json
assert_eq '{"DE":1,"NL":1}' "$(jq -c .summary.countries "$W/geo_json.out")" "JSON report: summary countries"
run geo_html "$CERTSWEEP" report --db "$W/geo.db" --format html
html=$(cat "$W/geo_html.out")
assert_contains "$html" '<figure class="chart" id="chart-countries">' "HTML report: the countries chart"
assert_contains "$html" '<figcaption id="cap-countries">Endpoints by country</figcaption>' "HTML report: its caption"
assert_contains "$html" '<title>DE: 1 endpoint</title>' "HTML report: the DE bar"
assert_contains "$html" '<title>NL: 1 endpoint</title>' "HTML report: the NL bar"
# In the browser: the owner beside every endpoint and finding.
cp "$W/geo_html.out" "$W/geo.html"
bjson=$(python3 "$CS_ROOT/tools/browser.py" --wait-for 'window.csReady === true' \
	--fail-on-console-errors --only-file-requests \
	--eval "[...document.querySelectorAll('#table-endpoints th')].map(t => t.dataset.col).join(' ')" \
	--eval "[...document.querySelectorAll('#table-endpoints tbody td[data-col=owner]')].map(t => t.textContent).join('|')" \
	--eval "document.querySelectorAll('#table-findings tbody td[data-col=owner]').length > 0 && [...document.querySelectorAll('#table-findings tbody td[data-col=owner]')].every(t => t.textContent.startsWith('Payments'))" \
	"$W/geo.html")
assert_eq 0 "$?" "HTML report with owners loads without console errors"
assert_contains "$(printf '%s' "$bjson" | jq -r '.results[0].value')" "owner" "HTML: an Owner column"
assert_contains "$(printf '%s' "$bjson" | jq -r '.results[1].value')" "Payments · Retail · Frankfurt" \
	"HTML: the owner, unit and site of an endpoint"
assert_eq true "$(printf '%s' "$bjson" | jq -r '.results[2].value')" "HTML: the owner beside every finding"
assert_contains "$(printf '%s' "$bjson" | jq -r '.results[0].value')" "asn" "HTML: a Network (ASN) column"
bjson=$(python3 "$CS_ROOT/tools/browser.py" --wait-for 'window.csReady === true' \
	--eval "[...document.querySelectorAll('#table-endpoints tbody td[data-col=asn]')].map(t => t.textContent).join('|')" \
	--eval "[...document.querySelectorAll('#table-endpoints tbody td[data-col=country]')].map(t => t.textContent).join('|')" \
	"$W/geo.html")
assert_contains "$(printf '%s' "$bjson" | jq -r '.results[0].value')" "AS64500 Example Net" \
	"HTML: the ASN and its organisation"
assert_contains "$(printf '%s' "$bjson" | jq -r '.results[1].value')" "DE · Berlin" \
	"HTML: country and city"
# sniff enriches passive observations the same way.
# shellcheck disable=SC2086
sniff geosniff -r "$W/cap.pcap" --db "$W/geosniff.db" --json "$W/geosniff.ndjson" $GEO
assert_eq 0 "$RC" "sniff with the three databases exits 0"
assert_eq "$V4_GEO" \
	"$(jq -r "select(.ip == \"127.0.0.1\") | $GEO_FIELDS" "$W/geosniff.ndjson" | sort -u)" \
	"sniff: every 127.0.0.1 record enriched"
assert_eq "$V6_GEO" "$(jq -r "select(.ip == \"::1\") | $GEO_FIELDS" "$W/geosniff.ndjson")" \
	"sniff: the ::1 record enriched"
run geosniff_ep "$CERTSWEEP" report --db "$W/geosniff.db" --format csv --view endpoints
assert_eq "$V4_GEO|passive" \
	"$(csv_get "$W/geosniff_ep.out" port="$EXPIRED" country city asn as_org owner business_unit site source)" \
	"sniff: endpoints view of a passive observation has the enrichment"
assert_eq "$V6_GEO|passive" \
	"$(csv_get "$W/geosniff_ep.out" ip=::1 country city asn as_org owner business_unit site source)" \
	"sniff: endpoints view of ::1"
# Bad databases: exit 2, the option and file named, nothing created.
head -c 4096 /dev/urandom >"$W/random.mmdb"
for bad in "missing:--geoip-db:$W/nonexistent.mmdb:No such file" \
	"random:--geoip-db:$W/random.mmdb:not a MaxMind DB file" \
	"asn-as-city:--geoip-db:$W/asn.mmdb:ASN database"; do
	IFS=: read -r what opt file why <<EOF
$bad
EOF
	for cmd in scan sniff; do
		if [ "$cmd" = scan ]; then
			run "bad-$what-$cmd" "$CERTSWEEP" scan -q --db "$W/bad-$cmd.db" "$opt" "$file" "$(farm_target good)"
		else
			run "bad-$what-$cmd" "$CERTSWEEP" sniff -q -r "$W/cap.pcap" --db "$W/bad-$cmd.db" "$opt" "$file"
		fi
		assert_eq 2 "$RC" "$cmd $opt ($what): exit 2"
		no_crash "bad-$what-$cmd" "$cmd $opt ($what)"
		assert_contains "$(cat "$W/bad-$what-$cmd.err")" "$opt $file" "$cmd $opt ($what): option and file named"
		assert_contains "$(cat "$W/bad-$what-$cmd.err")" "$why" "$cmd $opt ($what): says why"
		check "$cmd $opt ($what): no inventory created" [ ! -e "$W/bad-$cmd.db" ]
	done
done

finish
