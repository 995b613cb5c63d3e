#!/bin/bash
# test_orders_csr.sh: `certsweep orders csr|dcv|dcv-check` (issue 4) end to end on loopback:
# a sweep of the farm, `orders sync`, then a generated key and CSR for a synced order (key file
# mode 0600, CSR verified by openssl with the order's SANs, status Processing, audit row),
# imports of an openssl-made CSR and of corrupted ones (refused, order unchanged), the DCV
# values of both CA profiles checked against openssl's digest of the CSR's DER, --webroot, and
# the pre-check against a python3 web server serving that web root and a dnsmasq on loopback,
# each in a pass and a fail case.
CERTSWEEP=${1:?usage: test_orders_csr.sh PATH/TO/certsweep}
CERTSWEEP=$(cd "$(dirname "$CERTSWEEP")" && pwd)/$(basename "$CERTSWEEP")
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || skip_all "jq not installed"
command -v dnsmasq >/dev/null || skip_all "dnsmasq not installed"
command -v python3 >/dev/null || skip_all "python3 not installed"
farm_up || exit 1
W=$FARM_DIR/work
mkdir -p "$W"
DB=$W/inv.db
HTTP_PID=
DNS_PID=
cleanup() {
	[ -n "$HTTP_PID" ] && kill "$HTTP_PID" 2>/dev/null
	[ -n "$DNS_PID" ] && kill "$DNS_PID" 2>/dev/null
	HTTP_PID= DNS_PID=
}
# lib.sh's EXIT trap, after stopping the servers this script started (by their pids).
trap '_st=$?; cleanup; (exit $_st); _lib_exit' EXIT

: >"$W/targets.csv"
for name in $(farm_names https); do
	sni=$(farm_sni "$name")
	[ "$sni" = "-" ] && sni=
	echo "$(farm_addr "$name"),$(farm_port "$name"),$sni," >>"$W/targets.csv"
done
"$CERTSWEEP" scan -q --db "$DB" --targets "$W/targets.csv" --ca-file "$FARM_ROOTS" \
	--preferred-ca "$FARM_PREFERRED" --timeout 3s >"$W/scan.out" 2>&1
"$CERTSWEEP" orders sync --db "$DB" >/dev/null 2>&1
"$CERTSWEEP" orders list --json --db "$DB" >"$W/list.json"
id=$(jq -r '[.[] | select(.sans | index("expiring.test"))][0].id // empty' "$W/list.json")
id2=$(jq -r '[.[] | select(.sans | index("expired.test"))][0].id // empty' "$W/list.json")
id3=$(jq -r '[.[] | select(.sans | index("nonpref.test"))][0].id // empty' "$W/list.json")
[ -n "$id" ] && [ -n "$id2" ] && [ -n "$id3" ] || { fail "orders sync made no orders for expiring, expired, nonpref"; finish; exit 1; }

# ---------------------------------------------------------------- before any CSR
rc=0
err=$("$CERTSWEEP" orders dcv "$id" --db "$DB" 2>&1) || rc=$?
assert_eq "2 certsweep: order $id has no CSR yet (run 'certsweep orders csr $id' first)" "$rc $err" \
	"dcv of an order without a CSR exits 2"
assert_status 2 "dcv-check of an order without a CSR exits 2" "$CERTSWEEP" orders dcv-check "$id" --method http --db "$DB"

# ---------------------------------------------------------------- generate
cd "$W" || exit 1
rc=0
"$CERTSWEEP" orders csr "$id" --key-type p256 --o "Test Org" --c de --l Berlin --db "$DB" \
	>"$W/gen.pem" 2>"$W/gen.err" || rc=$?
assert_eq 0 "$rc" "orders csr generates (exit 0)"
assert_eq 600 "$(stat -c %a "$W/order-$id.key" 2>/dev/null)" "the key file order-$id.key has mode 0600"
if openssl req -in "$W/gen.pem" -noout -verify >/dev/null 2>&1; then
	pass "openssl req -verify accepts the printed CSR"
else
	fail "openssl req -verify rejects the printed CSR"
fi
csr_sans=$(openssl req -in "$W/gen.pem" -noout -text | grep -A1 'Subject Alternative Name' | tail -1 |
	tr ',' '\n' | sed 's/^ *//; s/^DNS://; s/^IP Address://' | sort | paste -sd' ')
show=$("$CERTSWEEP" orders show "$id" --json --db "$DB")
assert_eq "$(jq -r '.sans | sort | join(" ")' <<<"$show")" "$csr_sans" "the CSR's SANs are the order's"
assert_contains "$(openssl req -in "$W/gen.pem" -noout -subject)" "C = DE, L = Berlin, O = Test Org, CN = expiring.test" \
	"the CSR's subject has the CN and the fields given"
assert_eq "Processing true $W/order-$id.key" "$(jq -r '"\(.status) \(.csr) \(.key_path)"' <<<"$show" | sed "s|order-|$W/order-|")" \
	"the order is Processing with its CSR and key path"
assert_eq '["Waiting for CSR","Processing","CSR generated"]' \
	"$(jq -c '.events[-1] | [.from_status, .to_status, .note]' <<<"$show")" "the audit log has the transition"
if sqlite3 "$DB" "SELECT csr_pem || key_path FROM orders" | grep -q PRIVATE; then
	fail "a private key reached the database"
else
	pass "no private key in the database"
fi
if openssl pkey -in "$W/order-$id.key" -pubout | cmp -s - <(openssl req -in "$W/gen.pem" -noout -pubkey); then
	pass "the key file holds the CSR's key"
else
	fail "the key file does not match the CSR"
fi
assert_contains "$("$CERTSWEEP" orders csr "$id" --show --db "$DB")" "signature:  ecdsa-with-SHA256, ok" "csr --show parses the stored CSR"
rc=0
err=$("$CERTSWEEP" orders csr "$id" --key-out "$W/again.key" --db "$DB" 2>&1) || rc=$?
assert_eq 2 "$rc" "a second csr for a Processing order exits 2"
[ -e "$W/again.key" ] && fail "... but wrote a key" || pass "... and writes no key"
rc=0
"$CERTSWEEP" orders csr "$id2" --key-out "$W/order-$id.key" --db "$DB" >/dev/null 2>&1 || rc=$?
assert_eq "3 Waiting for CSR" "$rc $(sqlite3 "$DB" "SELECT status FROM orders WHERE id = $id2")" \
	"an existing key file is not replaced, the order unchanged"
assert_status 2 "--c with three letters exits 2" "$CERTSWEEP" orders csr "$id2" --c DEU --key-out "$W/x.key" --db "$DB"
assert_status 2 "--key-type dsa exits 2" "$CERTSWEEP" orders csr "$id2" --key-type dsa --db "$DB"

# ---------------------------------------------------------------- import
openssl req -new -newkey rsa:2048 -nodes -keyout "$W/imp.key" -subj /CN=expired.test \
	-addext "subjectAltName=DNS:expired.test,IP:127.0.0.1" -out "$W/imp.csr" 2>/dev/null
before=$(sqlite3 "$DB" "SELECT status, csr_pem IS NULL, updated_at FROM orders WHERE id = $id2; SELECT count(*) FROM order_events WHERE order_id = $id2")
# A corrupted CSR: one byte of the signature flipped (the DER still parses).
openssl req -in "$W/imp.csr" -outform DER -out "$W/imp.der"
len=$(stat -c %s "$W/imp.der")
cp "$W/imp.der" "$W/badsig.der"
printf '\x55' | dd of="$W/badsig.der" bs=1 seek=$((len - 10)) conv=notrunc 2>/dev/null
rc=0
err=$("$CERTSWEEP" orders csr "$id2" --import "$W/badsig.der" --db "$DB" 2>&1) || rc=$?
assert_eq 2 "$rc" "a CSR whose signature does not verify exits 2"
assert_contains "$err" "signature does not verify" "... with a clear message"
head -c 300 "$W/imp.csr" >"$W/trunc.csr"
echo "-----END CERTIFICATE REQUEST-----" >>"$W/trunc.csr"
rc=0
err=$("$CERTSWEEP" orders csr "$id2" --import "$W/trunc.csr" --db "$DB" 2>&1) || rc=$?
assert_eq 2 "$rc" "a malformed CSR exits 2"
assert_contains "$err" "nothing stored" "... and says nothing is stored"
assert_eq "$before" "$(sqlite3 "$DB" "SELECT status, csr_pem IS NULL, updated_at FROM orders WHERE id = $id2; SELECT count(*) FROM order_events WHERE order_id = $id2")" \
	"the refused imports leave the order and its log unchanged"
rc=0
out=$("$CERTSWEEP" orders csr "$id2" --import "$W/imp.csr" --db "$DB" 2>&1) || rc=$?
assert_eq 0 "$rc" "an openssl-made CSR is imported"
assert_contains "$out" "subject:    CN=expired.test" "validate & parse shows the subject"
assert_contains "$out" "DNS:expired.test IP:127.0.0.1" "... the SANs"
assert_contains "$out" "key:        RSA 2048 bits" "... the key"
assert_contains "$out" "signature:  sha256WithRSAEncryption, ok" "... and the signature check"
assert_eq "Processing null" "$("$CERTSWEEP" orders show "$id2" --json --db "$DB" | jq -r '"\(.status) \(.key_path)"')" \
	"the imported order is Processing, with no key path"
assert_eq "$(openssl req -in "$W/imp.csr" -outform DER | sha256sum)" \
	"$(sqlite3 "$DB" "SELECT csr_pem FROM orders WHERE id = $id2" | openssl req -outform DER | sha256sum)" \
	"the stored CSR is the imported one"

# ---------------------------------------------------------------- dcv values
for pair in "$id:$W/gen.pem" "$id2:$W/imp.csr"; do
	oid=${pair%%:*} pem=${pair#*:}
	sha=$(openssl req -in "$pem" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
	md5=$(openssl req -in "$pem" -outform DER | openssl dgst -md5 -r | cut -d' ' -f1)
	for prof in sectigo:sectigo.com comodo:comodoca.com; do
		j=$("$CERTSWEEP" orders dcv "$oid" --ca-profile "${prof%%:*}" --json --db "$DB")
		dom=$(jq -r '.domains[0].domain' <<<"$j")
		assert_eq "_$md5.$dom ${sha:0:32}.${sha:32:32}.${prof#*:}." \
			"$(jq -r '.domains[0] | "\(.cname_name) \(.cname_target)"' <<<"$j")" \
			"order $oid, ${prof%%:*}: the CNAME matches openssl's digests"
		assert_eq "/.well-known/pki-validation/${md5^^}.txt" "$(jq -r .http_path <<<"$j")" \
			"order $oid, ${prof%%:*}: the file path is the upper-case MD5"
		assert_eq "$(printf '%s\n%s\n' "$sha" "${prof#*:}")" "$(jq -r .http_content <<<"$j")" \
			"order $oid, ${prof%%:*}: the file holds the SHA-256 and the CA domain"
	done
done
j=$("$CERTSWEEP" orders dcv "$id" --json --db "$DB")
assert_eq "1 admin@expiring.test" "$(jq -r '"\(.domains | length) \(.domains[0].emails[0])"' <<<"$j")" \
	"one DNS name (the IP SAN skipped), with its approver addresses"
txt=$("$CERTSWEEP" orders dcv "$id" --unique abc123 --db "$DB")
assert_contains "$txt" ".abc123.sectigo.com." "--unique goes into the CNAME target"
assert_status 2 "a bad --unique exits 2" "$CERTSWEEP" orders dcv "$id" --unique 'a.b' --db "$DB"

# ---------------------------------------------------------------- webroot + HTTP pre-check
WEB=$W/www
mkdir -p "$WEB"
"$CERTSWEEP" orders dcv "$id" --webroot "$WEB" --db "$DB" >/dev/null
sha=$(openssl req -in "$W/gen.pem" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
md5=$(openssl req -in "$W/gen.pem" -outform DER | openssl dgst -md5 -r | cut -d' ' -f1)
F=$WEB/.well-known/pki-validation/${md5^^}.txt
assert_eq "$(printf '%s\nsectigo.com\n' "$sha")" "$(cat "$F" 2>/dev/null)" "--webroot writes the file"
HTTP_PORT=$((FARM_BASE + 97))
python3 -m http.server --bind 127.0.0.1 "$HTTP_PORT" --directory "$WEB" >"$W/http.log" 2>&1 &
HTTP_PID=$!
for _ in $(seq 50); do
	curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/" && break
	sleep 0.1
done
rc=0
out=$("$CERTSWEEP" orders dcv-check "$id" --method http --resolve "expiring.test:$HTTP_PORT:127.0.0.1" --db "$DB" 2>&1) || rc=$?
assert_eq 0 "$rc" "dcv-check http passes against the served web root (exit 0)"
assert_contains "$out" "pass  expiring.test  http  ok" "... and prints pass"
j=$("$CERTSWEEP" orders dcv-check "$id" --method http --resolve "expiring.test:$HTTP_PORT:127.0.0.1" --json --db "$DB")
assert_eq '[["expiring.test",true]]' "$(jq -c 'map([.domain, .pass])' <<<"$j")" "dcv-check --json"
printf 'wrong\nsectigo.com\n' >"$F"
rc=0
out=$("$CERTSWEEP" orders dcv-check "$id" --method http --resolve "expiring.test:$HTTP_PORT:127.0.0.1" --db "$DB" 2>&1) || rc=$?
assert_eq 1 "$rc" "dcv-check http with the wrong content exits 1"
assert_contains "$out" "FAIL  expiring.test  http  content differs: line 1" "... with the reason"
kill "$HTTP_PID" 2>/dev/null
wait "$HTTP_PID" 2>/dev/null
HTTP_PID=

# ---------------------------------------------------------------- CNAME pre-check
DNS_PORT=$((FARM_BASE + 96))
tgt=${sha:0:32}.${sha:32:32}.sectigo.com
md5b=$(openssl req -in "$W/imp.csr" -outform DER | openssl dgst -md5 -r | cut -d' ' -f1)
dnsmasq --keep-in-foreground --port="$DNS_PORT" --listen-address=127.0.0.1 --bind-interfaces \
	--no-resolv --no-hosts --local=/test/ --local=/sectigo.com/ \
	--host-record="$tgt,127.0.0.1" --host-record=wrong.sectigo.com,127.0.0.1 \
	--cname="_$md5.expiring.test,$tgt" --cname="_$md5b.expired.test,wrong.sectigo.com" \
	--pid-file="$W/dnsmasq.pid" --user="$(id -un)" 2>"$W/dnsmasq.err" &
DNS_PID=$!
sleep 0.5
rc=0
out=$("$CERTSWEEP" orders dcv-check "$id" --method cname --resolver "127.0.0.1:$DNS_PORT" --db "$DB" 2>&1) || rc=$?
assert_eq 0 "$rc" "dcv-check cname passes against dnsmasq (exit 0)"
assert_contains "$out" "pass  expiring.test  cname  ok" "... and prints pass"
rc=0
out=$("$CERTSWEEP" orders dcv-check "$id2" --method cname --resolver "127.0.0.1:$DNS_PORT" --db "$DB" 2>&1) || rc=$?
assert_eq 1 "$rc" "dcv-check cname with a wrong target exits 1"
assert_contains "$out" "CNAME points to wrong.sectigo.com" "... with the reason"
rc=0
out=$("$CERTSWEEP" orders dcv-check "$id" --method cname --ca-profile comodo --resolver "127.0.0.1:$DNS_PORT" --db "$DB" 2>&1) || rc=$?
assert_eq 1 "$rc" "dcv-check cname for the other CA profile exits 1"
cleanup
assert_status 2 "dcv-check without --method exits 2" "$CERTSWEEP" orders dcv-check "$id" --db "$DB"
assert_status 2 "dcv --resolver does not apply" "$CERTSWEEP" orders dcv "$id" --resolver 127.0.0.1 --db "$DB"

finish
