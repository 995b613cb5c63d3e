#!/bin/sh
# test_farm.sh: checks the test farm itself (tools/testpki.sh, tools/farm.sh, badserver.py)
# with openssl s_client and raw sockets, so that a broken farm is not mistaken for a broken
# scanner: every TLS endpoint presents the intended leaf and chain and fails verification
# exactly as designed; the non-TLS endpoints misbehave as designed; stop leaves nothing.
. "$(dirname "$0")/lib.sh"

# name|chain length|leaf CN|verify code from s_client at OpenSSL's default security level
# (sha1 and rsa1024 fail it there: 68 CA md too weak, 66 EE key too weak).
CASES='good|2|good.test|0
nonpref|2|nonpref.test|0
expired|2|expired.test|10
expiring|2|expiring.test|0
expiring20|2|expiring20.test|0
notyet|2|notyet.test|9
selfsigned|1|selfsigned.test|18
wronghost|2|other.test|0
incomplete|1|incomplete.test|21
wrongorder|3|wrongorder.test|0
sha1|2|sha1.test|68
rsa1024|2|rsa1024.test|66
ecdsa|2|ecdsa.test|0
ipv6|2|ipv6.test|0
expiredint|2|expiredint.test|10
longlife|2|longlife.test|0
untrusted|3|untrusted.test|19
smtp|2|mail.test|0
imap|2|mail.test|0
pop3|2|mail.test|0'

# probe MODE PORT: what a raw client sees (python3: POSIX sh has no sockets).
probe() {
	python3 - "$1" "$2" <<'PY'
import socket, sys, time
mode, port = sys.argv[1], int(sys.argv[2])
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
except ConnectionRefusedError:
    print("refused"); sys.exit(0)
if mode == "http":
    s.sendall(b"GET / HTTP/1.0\r\nHost: plain.test\r\n\r\n")
else:
    s.sendall(b"\x16\x03\x01\x00\x04\x01\x00\x00\x00")
end = time.monotonic() + (2.0 if mode == "slow" else 5.0)
data = b""
try:
    while len(data) < 70000 and time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        d = s.recv(65536)
        if not d:
            data += b"<EOF>"
            break
        data += d
except socket.timeout:
    pass
print(len(data), data[:9].hex(), data[:15].decode("latin-1").replace("\r", " ").replace("\n", " "))
PY
}

farm_up || exit 1

tab=$(printf '\t')
names=$(awk -F '\t' '!/^#/ { print $1 }' "$FARM_DIR/expected.tsv" | tr '\n' ' ')
assert_eq "good nonpref expired expiring expiring20 notyet selfsigned wronghost incomplete wrongorder sha1 rsa1024 ecdsa ipv6 expiredint longlife untrusted smtp imap pop3 " \
	"$names" "expected.tsv lists every TLS endpoint"
assert_eq "cert.expired" "$(farm_expected expired)" "farm_expected reads expected.tsv"
assert_eq "" "$(farm_expected good)" "good expects no finding"
assert_eq $((FARM_BASE + 13)) "$(farm_port ipv6)" "ports follow the base"
assert_eq "[::1]:$((FARM_BASE + 13))" "$(farm_target ipv6)" "IPv6 targets are bracketed"
assert_eq 27 "$(grep -vc '^#' "$FARM_DIR/targets.txt")" "targets.txt has every endpoint"

while IFS='|' read -r name len cn code; do
	row=$(grep "^$name$tab" "$FARM_DIR/expected.tsv")
	sni=$(echo "$row" | cut -f6)
	stls=$(echo "$row" | cut -f7)
	set -- -connect "$(farm_target "$name")" -servername "$sni" -CAfile "$FARM_ROOTS" -showcerts
	[ "$stls" = - ] || set -- "$@" -starttls "$stls"
	out=$(timeout 15 openssl s_client "$@" </dev/null 2>&1)
	assert_contains "$out" "New, TLSv1.3," "$name: TLS 1.3 handshake"
	assert_eq "$len" "$(echo "$out" | grep -cE '^ *[0-9]+ s:')" "$name: presents $len certificates"
	assert_eq "$cn" "$(echo "$out" | sed -n 's/^ *0 s:.*CN = \([^,]*\).*/\1/p')" "$name: leaf CN"
	assert_contains "$out" "Verify return code: $code " "$name: verify code $code"
	# and the hostname check against the name the server is for
	out=$(timeout 15 openssl s_client "$@" -verify_hostname "$sni" </dev/null 2>&1)
	if [ "$name" = wronghost ]; then
		assert_contains "$out" "Verify return code: 62 " "wronghost: hostname mismatch"
	elif [ "$code" = 0 ]; then
		assert_contains "$out" "Verify return code: 0 " "$name: hostname matches"
	fi
done <<END
$CASES
END

out=$(timeout 15 openssl s_client -connect "$(farm_target wrongorder)" -showcerts </dev/null 2>&1)
assert_contains "$(echo "$out" | grep -E '^ *1 s:')" "Preferred Test Root CA" "wrongorder: root before intermediate"
for n in good sha1 rsa1024 ecdsa; do
	out=$(openssl x509 -in "$FARM_PKI/$n.crt" -noout -text)
	case $n in
	sha1) assert_contains "$out" "sha1WithRSAEncryption" "sha1: SHA-1 signature" ;;
	rsa1024) assert_contains "$out" "Public-Key: (1024 bit)" "rsa1024: 1024-bit key" ;;
	ecdsa) assert_contains "$out" "NIST CURVE: P-256" "ecdsa: P-256 key" ;;
	good) assert_contains "$out" "IP Address:127.0.0.1" "good: IP SAN" ;;
	esac
done
assert_eq 2 "$(grep -c 'BEGIN CERTIFICATE' "$FARM_ROOTS")" "roots.pem holds two roots"

# The endpoints that are not TLS servers.
assert_eq "refused" "$(probe tls "$(farm_port closed)")" "closed: connection refused"
assert_contains "$(probe http "$(farm_port plain)")" "HTTP/1.1 200 OK" "plain: HTTP answers"
out=$(probe tls "$(farm_port garbage)")
assert_contains "$out" "4101 00" "garbage: 4096 bytes, first 0x00, then EOF"
out=$(probe slow "$(farm_port stall)")
assert_eq "0  " "$out" "stall: sends nothing"
out=$(probe slow "$(farm_port drip)")
case $out in
[1-3]" 16"*) pass "drip: a TLS record, a byte a second" ;;
*) fail "drip: got '$out'" ;;
esac
assert_contains "$(probe tls "$(farm_port huge)")" "160303400" "huge: 16 KiB records"
assert_contains "$(probe tls "$(farm_port huge)")" "0bffffff" "huge: 16 MiB Certificate message"
assert_contains "$(probe tls "$(farm_port bigrecord)")" "160303ffff" "bigrecord: 65535-byte record"
out=$(timeout 15 openssl s_client -connect "$(farm_target garbage)" </dev/null 2>&1)
assert_contains "$out" "wrong version number" "garbage: not TLS to OpenSSL"

# stop: everything goes, and a second stop is harmless.
pids="$(cat "$FARM_DIR/nginx.pid") $(pgrep -P "$(cat "$FARM_DIR/nginx.pid")" | tr '\n' ' ')"
pids="$pids $(cat "$FARM_DIR/badserver.pid") $(cat "$FARM_DIR/watchdog.pid")"
assert_status 0 "status: running" sh "$CS_ROOT/tools/farm.sh" status "$FARM_DIR"
assert_status 0 "stop" sh "$CS_ROOT/tools/farm.sh" stop "$FARM_DIR"
assert_status 0 "stop again" sh "$CS_ROOT/tools/farm.sh" stop "$FARM_DIR"
assert_status 3 "status: stopped" sh "$CS_ROOT/tools/farm.sh" status "$FARM_DIR"
left=
for p in $pids; do
	kill -0 "$p" 2>/dev/null && left="$left $p"
done
assert_eq "" "$left" "no farm process left (pids$pids)"
farm_down

# A small bench farm: many listeners over two addresses.
farm_up --bench 300 || exit 1
assert_eq 300 "$(wc -l <"$FARM_DIR/targets.txt" | tr -d ' ')" "bench: 300 targets"
last=$(tail -n 1 "$FARM_DIR/targets.txt")
assert_eq "127.0.0.2:$((FARM_BASE + 1000 + 43))" "$last" "bench: spread over addresses"
out=$(timeout 15 openssl s_client -connect "$last" </dev/null 2>&1)
assert_contains "$out" "CN = ecdsa.test" "bench: ECDSA leaf on the last target"
assert_contains "$out" "Peer signature type: ECDSA" "bench: ECDSA handshake"
assert_contains "$(cat "$FARM_DIR/nginx.conf")" "ssl_session_tickets off" "bench: no tickets"
farm_down

finish
